// SPDX-License-Identifier: MIT
/* Opening and closing files on a node, as the kernel's drm_file.c. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth.h"
#include "device.h"
#include "event.h"
#include "gem.h"
#include "kms/kms.h"
#include "sync/syncobj.h"
#include "uaccess.h"

int udrm_file_open(struct udrm_device *dev, enum udrm_node_type type,
		   int open_flags, struct udrm_file **out)
{
	struct udrm_file *file;
	int ret;

	if (type != UDRM_NODE_PRIMARY && type != UDRM_NODE_RENDER)
		return -EINVAL;
	if (dev->minor[type] < 0)
		return -ENODEV;
	file = calloc(1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	file->dev = dev;
	file->node = type;
	file->open_flags = open_flags;
	file->pid = udrm_caller_pid();
	file->uaccess = &udrm_uaccess_local;
	file->authenticated = dev->flags & UDRM_DEVICE_PRIVILEGED;
	udrm_idr_init(&file->handles, 1);
	udrm_u64map_init(&file->prime);
	udrm_syncobj_open(file);
	ret = udrm_event_init(file);
	if (ret)
		goto err_free;
	if (dev->driver->open) {
		ret = dev->driver->open(dev, file);
		if (ret)
			goto err_event;
	}
	if (udrm_is_primary_client(file)) {
		ret = udrm_master_open(file);
		if (ret)
			goto err_driver;
	}
	if (dev->kms)
		udrm_kms_file_open(file);
	pthread_mutex_lock(&dev->lock);
	file->next = dev->files;
	dev->files = file;
	pthread_mutex_unlock(&dev->lock);
	*out = file;
	return 0;

err_driver:
	if (dev->driver->postclose)
		dev->driver->postclose(dev, file);
err_event:
	udrm_event_fini(file);
err_free:
	udrm_syncobj_release(file);
	udrm_u64map_destroy(&file->prime);
	udrm_idr_destroy(&file->handles);
	free(file);
	return ret;
}

void udrm_file_close(struct udrm_file *file)
{
	struct udrm_device *dev = file->dev;
	struct udrm_file **link;

	pthread_mutex_lock(&dev->lock);
	for (link = &dev->files; *link; link = &(*link)->next) {
		if (*link == file) {
			*link = file->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);

	/* As the kernel's drm_file_free(): framebuffers and blobs first (a
	 * displayed fb is taken off the screen), then sync objects, GEM. */
	if (dev->kms)
		udrm_kms_file_close(file);
	udrm_syncobj_release(file);
	if (udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		udrm_gem_release(file);
	if (udrm_is_primary_client(file))
		udrm_master_release(file);
	if (dev->driver->postclose)
		dev->driver->postclose(dev, file);
	udrm_u64map_destroy(&file->prime);
	udrm_idr_destroy(&file->handles);
	udrm_event_fini(file);
	free(file);
}

int udrm_file_fd(const struct udrm_file *file)
{
	return file->user_fd;
}

int udrm_file_take_fd(struct udrm_file *file)
{
	int fd;

	pthread_mutex_lock(&file->event_lock);
	fd = file->user_fd;
	file->user_fd = -1;
	pthread_mutex_unlock(&file->event_lock);
	return fd >= 0 ? fd : -EBADF;
}

struct udrm_device *udrm_file_device(const struct udrm_file *file)
{
	return file->dev;
}

enum udrm_node_type udrm_file_node_type(const struct udrm_file *file)
{
	return file->node;
}

ssize_t udrm_file_read(struct udrm_file *file, void *buf, size_t len)
{
	return udrm_event_read(file, buf, len);
}

void udrm_node_name(enum udrm_node_type type, int minor, char *buf, size_t len)
{
	snprintf(buf, len, "%s%d",
		 type == UDRM_NODE_RENDER ? "renderD" : "card", minor);
}
