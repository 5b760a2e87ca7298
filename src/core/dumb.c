// SPDX-License-Identifier: MIT
/* Dumb buffers, as the kernel's drm_dumb_buffers.c and the shmem helper. */
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <stdint.h>

#include "device.h"
#include "file.h"
#include "gem.h"

#define UDRM_PAGE_SIZE 4096u

int udrm_gem_dumb_create(struct udrm_file *file, struct udrm_device *dev,
			 struct drm_mode_create_dumb *args)
{
	struct udrm_gem_object *obj;
	uint32_t handle;
	int ret;

	/* The core checked that this neither overflows nor wraps. */
	args->pitch = (uint32_t)(((uint64_t)args->width * args->bpp + 7) / 8);
	args->size =
		((uint64_t)args->pitch * args->height + UDRM_PAGE_SIZE - 1) &
		~(uint64_t)(UDRM_PAGE_SIZE - 1);
	ret = udrm_gem_object_create(dev, args->size, &obj);
	if (ret)
		return ret;
	ret = udrm_gem_handle_create(file, obj, &handle);
	/* The handle holds the object now (or creation failed). */
	udrm_gem_object_put(obj);
	if (ret)
		return ret;
	args->handle = handle;
	return 0;
}

/* drm_mode_create_dumb(). flags is not checked: the kernel cannot reject
 * it without breaking programs that leave it uninitialised. */
static int mode_create_dumb(struct udrm_device *dev,
			    struct drm_mode_create_dumb *args,
			    struct udrm_file *file)
{
	uint32_t cpp, stride, size;

	if (!dev->driver->dumb_create)
		return -ENOSYS;
	if (!args->width || !args->height || !args->bpp)
		return -EINVAL;
	/* The kernel computes the size in 32 bits and refuses what wraps. */
	if (args->bpp > UINT32_MAX - 8)
		return -EINVAL;
	cpp = (args->bpp + 7) / 8;
	if (cpp > UINT32_MAX / args->width)
		return -EINVAL;
	stride = cpp * args->width;
	if (args->height > UINT32_MAX / stride)
		return -EINVAL;
	size = args->height * stride;
	if (((uint64_t)size + UDRM_PAGE_SIZE - 1) >> 32)
		return -EINVAL;
	/* Outputs: callers need not clear them, so they are ignored. */
	args->handle = 0;
	args->pitch = 0;
	args->size = 0;
	return dev->driver->dumb_create(file, dev, args);
}

int udrm_mode_create_dumb_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_mode_create_dumb *args = data;
	int ret = mode_create_dumb(dev, args, file);

	/* No half-filled results on failure. */
	if (ret) {
		args->handle = 0;
		args->pitch = 0;
		args->size = 0;
	}
	return ret;
}

int udrm_mode_map_dumb_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file)
{
	struct drm_mode_map_dumb *args = data;
	struct udrm_gem_object *obj;
	uint64_t offset = 0;
	int ret;

	args->offset = 0;
	if (!dev->driver->dumb_create)
		return -ENOSYS;
	obj = udrm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	/* Imported objects are mapped through their exporter. */
	if (obj->imported)
		ret = -EINVAL;
	else
		ret = udrm_gem_create_mmap_offset(obj, &offset);
	if (!ret)
		args->offset = offset;
	udrm_gem_object_put(obj);
	return ret;
}

int udrm_mode_destroy_dumb_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_mode_destroy_dumb *args = data;

	if (!dev->driver->dumb_create)
		return -ENOSYS;
	return udrm_gem_handle_delete(file, args->handle);
}
