// SPDX-License-Identifier: MIT
/* DRM master and authentication, as the kernel's drm_auth.c. */
#include "auth.h"

#include <drm.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "file.h"
#include "uaccess.h"

struct udrm_master *udrm_master_create(struct udrm_device *dev)
{
	struct udrm_master *master = calloc(1, sizeof(*master));

	if (!master)
		return NULL;
	master->refcount = 1;
	master->dev = dev;
	udrm_idr_init(&master->magic_map, 1);
	return master;
}

struct udrm_master *udrm_master_get_locked(struct udrm_master *master)
{
	master->refcount++;
	return master;
}

void udrm_master_put_locked(struct udrm_master **master)
{
	struct udrm_master *m = *master;

	*master = NULL;
	if (!m || --m->refcount)
		return;
	udrm_idr_destroy(&m->magic_map);
	free(m->unique);
	free(m);
}

/* The file's process may take master back without CAP_SYS_ADMIN only if
 * it opened the file and the file was master before (drm_master_check_perm). */
static int master_check_perm(struct udrm_file *file)
{
	if (file->was_master && file->pid == udrm_caller_pid())
		return 0;
	if (!(file->dev->flags & UDRM_DEVICE_PRIVILEGED))
		return -EACCES;
	return 0;
}

static void set_master_locked(struct udrm_device *dev, struct udrm_file *file)
{
	dev->master = udrm_master_get_locked(file->master);
	file->was_master = true;
}

static int new_set_master_locked(struct udrm_device *dev,
				 struct udrm_file *file)
{
	struct udrm_master *old = file->master;
	struct udrm_master *master = udrm_master_create(dev);

	if (!master)
		return -ENOMEM;
	file->master = master;
	file->is_master = true;
	file->authenticated = true;
	set_master_locked(dev, file);
	if (old)
		udrm_master_put_locked(&old);
	return 0;
}

static void drop_master_locked(struct udrm_device *dev)
{
	udrm_master_put_locked(&dev->master);
}

/* A lessee is master while its lessor (the owner) is, as the kernel's
 * drm_is_current_master_locked() with drm_lease_owner(). */
bool udrm_is_current_master_locked(const struct udrm_file *file)
{
	return file->is_master &&
	       udrm_lease_owner(file->master) == file->dev->master;
}

bool udrm_is_current_master(struct udrm_file *file)
{
	bool ret;

	pthread_mutex_lock(&file->dev->lock);
	ret = udrm_is_current_master_locked(file);
	pthread_mutex_unlock(&file->dev->lock);
	return ret;
}

int udrm_master_open(struct udrm_file *file)
{
	struct udrm_device *dev = file->dev;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (!dev->master)
		ret = new_set_master_locked(dev, file);
	else
		file->master = udrm_master_get_locked(dev->master);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void udrm_master_release(struct udrm_file *file)
{
	struct udrm_device *dev = file->dev;

	pthread_mutex_lock(&dev->lock);
	if (file->magic && file->master)
		udrm_idr_remove(&file->master->magic_map, file->magic);
	if (file->is_master && file->master == dev->master)
		drop_master_locked(dev);
	udrm_master_put_locked(&file->master);
	pthread_mutex_unlock(&dev->lock);
}

int udrm_getmagic_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file)
{
	struct drm_auth *auth = data;
	int64_t id = 0;

	pthread_mutex_lock(&dev->lock);
	if (!file->magic) {
		id = udrm_idr_alloc(&file->master->magic_map, file);
		if (id > 0)
			file->magic = (uint32_t)id;
	}
	auth->magic = file->magic;
	pthread_mutex_unlock(&dev->lock);
	return id < 0 ? (int)id : 0;
}

int udrm_authmagic_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	struct drm_auth *auth = data;
	struct udrm_file *client;

	pthread_mutex_lock(&dev->lock);
	client = udrm_idr_find(&file->master->magic_map, auth->magic);
	if (client) {
		client->authenticated = true;
		/* The magic stays allocated but can be used only once. */
		udrm_idr_replace(&file->master->magic_map, auth->magic, NULL);
	}
	pthread_mutex_unlock(&dev->lock);
	return client ? 0 : -EINVAL;
}

int udrm_setmaster_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = master_check_perm(file);
	if (ret)
		goto out;
	if (udrm_is_current_master_locked(file))
		goto out;
	if (dev->master) {
		ret = -EBUSY;
		goto out;
	}
	if (!file->master) {
		ret = -EINVAL;
		goto out;
	}
	if (!file->is_master) {
		ret = new_set_master_locked(dev, file);
		goto out;
	}
	/* A lessee never becomes the device's master. */
	if (udrm_lease_owner(file->master) != file->master) {
		ret = -EINVAL;
		goto out;
	}
	set_master_locked(dev, file);
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int udrm_dropmaster_ioctl(struct udrm_device *dev, void *data,
			  struct udrm_file *file)
{
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = master_check_perm(file);
	if (ret)
		goto out;
	if (!udrm_is_current_master_locked(file) || !dev->master ||
	    udrm_lease_owner(file->master) != file->master) {
		ret = -EINVAL;
		goto out;
	}
	drop_master_locked(dev);
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
