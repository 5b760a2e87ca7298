// SPDX-License-Identifier: MIT
/* Device creation and destruction, and fork safety for all devices. */
#include "device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "file.h"
#include "gem.h"
#include "kms/kms.h"
#include "shmem.h"
#include "sync/sync_file.h"
#include "uaccess.h"
#include "vfile.h"

static pthread_mutex_t udrm_devices_lock = PTHREAD_MUTEX_INITIALIZER;
static struct udrm_device *udrm_devices; /* udrm_devices_lock */
static pthread_once_t udrm_atfork_once = PTHREAD_ONCE_INIT;

void udrm_devices_atfork_prepare(void)
{
	struct udrm_device *dev;

	pthread_mutex_lock(&udrm_devices_lock);
	/* kms->lock (with the KMS threads' locks) before dev->lock. */
	for (dev = udrm_devices; dev; dev = dev->next_device) {
		if (dev->kms)
			udrm_kms_atfork_prepare(dev->kms);
		pthread_mutex_lock(&dev->lock);
	}
	udrm_prime_atfork_prepare();
}

/* Both processes now share the arena files: stop reusing them (see
 * shmem.h) and unlock; the child restarts the KMS threads. */
static void devices_after_fork(bool child)
{
	struct udrm_device *dev;

	udrm_prime_atfork_after();
	for (dev = udrm_devices; dev; dev = dev->next_device) {
		if (dev->arena) {
			udrm_shmem_arena_seal(dev->arena);
			udrm_shmem_put(dev->arena);
			dev->arena = NULL;
		}
		pthread_mutex_unlock(&dev->lock);
		if (dev->kms && child)
			udrm_kms_atfork_child(dev->kms);
		else if (dev->kms)
			udrm_kms_atfork_parent(dev->kms);
	}
	pthread_mutex_unlock(&udrm_devices_lock);
}

void udrm_devices_atfork_parent(void)
{
	devices_after_fork(false);
}

void udrm_devices_atfork_child(void)
{
	devices_after_fork(true);
}

static void udrm_register_atfork(void)
{
	pthread_atfork(udrm_devices_atfork_prepare, udrm_devices_atfork_parent,
		       udrm_devices_atfork_child);
}

static const struct udrm_driver *find_driver(const char *name)
{
	size_t i;

	for (i = 0; udrm_builtin_drivers[i]; i++)
		if (!strcmp(udrm_builtin_drivers[i]->name, name))
			return udrm_builtin_drivers[i];
	return NULL;
}

/* The platform device's name: the driver's, then "name.1", "name.2"... for
 * further instances. Called with udrm_devices_lock held. */
static char *device_unique_locked(const struct udrm_driver *drv)
{
	struct udrm_device *dev;
	unsigned int n = 0;
	char buf[64];

	for (dev = udrm_devices; dev; dev = dev->next_device)
		if (dev->driver == drv)
			n++;
	if (!n)
		return strdup(drv->name);
	snprintf(buf, sizeof(buf), "%s.%u", drv->name, n);
	return strdup(buf);
}

static bool minor_in_use_locked(enum udrm_node_type type, int minor)
{
	struct udrm_device *dev;

	for (dev = udrm_devices; dev; dev = dev->next_device)
		if (dev->minor[type] == minor)
			return true;
	return false;
}

/* Frees what udrm_device_create() set up, the driver's part excepted. */
static void device_free(struct udrm_device *dev)
{
	udrm_vfile_device_fini(dev);
	if (dev->kms)
		udrm_kms_fini(dev->kms);
	udrm_shmem_put(dev->arena);
	udrm_u64map_destroy(&dev->dmabufs);
	udrm_u64map_destroy(&dev->mmap_offsets);
	udrm_idr_destroy(&dev->object_names);
	pthread_mutex_destroy(&dev->lock);
	free(dev->unique);
	free(dev);
}

int udrm_device_create(const struct udrm_device_desc *desc,
		       struct udrm_device **out)
{
	const struct udrm_driver *drv;
	struct udrm_device *dev;
	int ret;

	if (!desc || !desc->driver)
		return -EINVAL;
	drv = find_driver(desc->driver);
	if (!drv)
		return -ENODEV;
	if (desc->flags & ~(UDRM_DEVICE_PRIVILEGED | UDRM_DEVICE_OBJECT_MEMFDS))
		return -EINVAL;
	if (desc->primary_minor < -1 || desc->primary_minor > 63 ||
	    desc->render_minor < -1 ||
	    (desc->render_minor >= 0 &&
	     (desc->render_minor < 128 || desc->render_minor > 191)) ||
	    (desc->primary_minor < 0 && desc->render_minor < 0))
		return -EINVAL;
	if (desc->render_minor >= 0 && !(drv->features & UDRM_FEAT_RENDER))
		return -EINVAL;

	pthread_once(&udrm_atfork_once, udrm_register_atfork);
	udrm_uaccess_init();
	/* Syncobjs export and import sync_files from the first device on. */
	udrm_sync_file_init();
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->driver = drv;
	dev->flags = desc->flags;
	dev->minor[UDRM_NODE_PRIMARY] = desc->primary_minor;
	dev->minor[1] = -1;
	dev->minor[UDRM_NODE_RENDER] = desc->render_minor;
	pthread_mutex_init(&dev->lock, NULL);
	udrm_idr_init(&dev->object_names, 1);
	udrm_u64map_init(&dev->mmap_offsets);
	udrm_u64map_init(&dev->dmabufs);
	dev->next_mmap_page = UDRM_FILE_PAGE_OFFSET_START;
	snprintf(dev->dmabuf_name, sizeof(dev->dmabuf_name),
		 UDRM_DMABUF_NAME_PREFIX "%d:%p", (int)getpid(), (void *)dev);

	pthread_mutex_lock(&udrm_devices_lock);
	if ((desc->primary_minor >= 0 &&
	     minor_in_use_locked(UDRM_NODE_PRIMARY, desc->primary_minor)) ||
	    (desc->render_minor >= 0 &&
	     minor_in_use_locked(UDRM_NODE_RENDER, desc->render_minor))) {
		pthread_mutex_unlock(&udrm_devices_lock);
		ret = -EEXIST;
		goto err_free;
	}
	dev->unique = device_unique_locked(drv);
	if (!dev->unique) {
		pthread_mutex_unlock(&udrm_devices_lock);
		ret = -ENOMEM;
		goto err_free;
	}
	if (drv->load) {
		ret = drv->load(dev, desc->options);
		if (ret) {
			pthread_mutex_unlock(&udrm_devices_lock);
			goto err_free;
		}
	}
	dev->next_device = udrm_devices;
	udrm_devices = dev;
	pthread_mutex_unlock(&udrm_devices_lock);
	*out = dev;
	return 0;

err_free:
	device_free(dev);
	return ret;
}

void udrm_device_destroy(struct udrm_device *dev)
{
	struct udrm_device **link;

	if (!dev)
		return;
	while (dev->files)
		udrm_file_close(dev->files);
	if (dev->driver->unload)
		dev->driver->unload(dev);
	pthread_mutex_lock(&udrm_devices_lock);
	for (link = &udrm_devices; *link; link = &(*link)->next_device) {
		if (*link == dev) {
			*link = dev->next_device;
			break;
		}
	}
	pthread_mutex_unlock(&udrm_devices_lock);
	device_free(dev);
}

const char *udrm_device_driver_name(const struct udrm_device *dev)
{
	return dev->driver->name;
}

const char *udrm_device_driver_desc(const struct udrm_device *dev)
{
	return dev->driver->desc;
}

const char *udrm_device_unique(const struct udrm_device *dev)
{
	return dev->unique;
}

int udrm_device_minor(const struct udrm_device *dev, enum udrm_node_type type)
{
	if (type != UDRM_NODE_PRIMARY && type != UDRM_NODE_RENDER)
		return -1;
	return dev->minor[type];
}
