// SPDX-License-Identifier: MIT
/*
 * PRIME: GEM objects as dma-buf fds, as the kernel's drm_prime.c.
 *
 * A dma-buf is a memfd whose offset 0 is the object. Its identity (to find
 * the object again on import) is the file's inode: dev->dmabufs maps it to
 * the object and each file's prime map to the file's handle.
 */
#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "device.h"
#include "file.h"
#include "gem.h"
#include "shmem.h"

static void *handle_value(uint32_t handle)
{
	return (void *)(uintptr_t)handle;
}

/* Gives @obj pages of its own and registers them as its dma-buf. */
static int prime_export_locked(struct udrm_device *dev,
			       struct udrm_gem_object *obj)
{
	struct udrm_shmem *shm;
	int ret;

	if (obj->dmabuf)
		return 0;
	if (obj->shm->arena) {
		ret = udrm_shmem_create(obj->size, dev->dmabuf_name, &shm);
		if (ret)
			return ret;
		ret = udrm_shmem_relocate(obj->shm, obj->shm_offset, obj->size,
					  shm);
		if (ret) {
			udrm_shmem_put(shm);
			return ret;
		}
		udrm_shmem_put(obj->shm);
		obj->shm = shm;
		obj->shm_offset = 0;
	}
	ret = udrm_u64map_put(&dev->dmabufs, udrm_shmem_key(obj->shm), obj);
	if (ret)
		return ret;
	obj->dmabuf = true;
	return 0;
}

int udrm_prime_handle_to_fd_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file)
{
	struct drm_prime_handle *args = data;
	struct udrm_gem_object *obj;
	uint64_t key;
	int ret, fd;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	if (args->flags & ~(uint32_t)(DRM_CLOEXEC | DRM_RDWR))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	obj = udrm_idr_find(&file->handles, args->handle);
	if (!obj) {
		ret = -ENOENT;
		goto out;
	}
	ret = prime_export_locked(dev, obj);
	if (ret)
		goto out;
	/* As in the kernel, the first export fixes the dma-buf's mode. */
	if (obj->export_mode < 0)
		obj->export_mode = (args->flags & DRM_RDWR) ? O_RDWR : O_RDONLY;
	key = udrm_shmem_key(obj->shm);
	if (!udrm_u64map_get(&file->prime, key)) {
		ret = udrm_u64map_put(&file->prime, key,
				      handle_value(args->handle));
		if (ret)
			goto out;
	}
	fd = udrm_shmem_open_fd(obj->shm, obj->export_mode,
				args->flags & DRM_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	args->fd = fd;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/* The object registered for dma-buf @key on this device, if it is still
 * the same file (same st_dev). */
static struct udrm_gem_object *prime_find_locked(struct udrm_device *dev,
						 uint64_t key, dev_t st_dev)
{
	struct udrm_gem_object *obj = udrm_u64map_get(&dev->dmabufs, key);

	return obj && obj->shm->st_dev == st_dev ? obj : NULL;
}

/* An object for a dma-buf fd this device does not know: foreign pages, or
 * one of its own exports whose object is gone, which comes back native. */
static int prime_import(struct udrm_device *dev, int fd,
			struct udrm_gem_object **out)
{
	bool ours = udrm_shmem_fd_has_name(fd, dev->dmabuf_name);
	struct udrm_shmem *shm;
	int ret = udrm_shmem_import(fd, &shm);

	if (ret)
		return ret;
	ret = udrm_gem_object_create_on(dev, shm, shm->size, out);
	udrm_shmem_put(shm);
	if (ret)
		return ret;
	(*out)->imported = !ours;
	(*out)->export_mode = ours ? (fcntl(fd, F_GETFL) & O_ACCMODE) : O_RDWR;
	return 0;
}

int udrm_prime_fd_to_handle_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file)
{
	struct drm_prime_handle *args = data;
	struct udrm_gem_object *obj, *imported = NULL;
	uint32_t handle;
	dev_t st_dev;
	uint64_t key;
	void *known;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	/* flags only mean something for export; the kernel ignores them. */
	ret = udrm_shmem_fd_key(args->fd, &key, &st_dev);
	if (ret)
		return ret;

	pthread_mutex_lock(&dev->lock);
	obj = prime_find_locked(dev, key, st_dev);
	known = obj ? udrm_u64map_get(&file->prime, key) : NULL;
	pthread_mutex_unlock(&dev->lock);
	if (known) {
		args->handle = (uint32_t)(uintptr_t)known;
		return 0;
	}
	if (!obj) {
		ret = prime_import(dev, args->fd, &imported);
		if (ret)
			return ret;
	}

	pthread_mutex_lock(&dev->lock);
	/* Another thread may have imported the same buffer meanwhile. */
	obj = prime_find_locked(dev, key, st_dev);
	if (obj) {
		known = udrm_u64map_get(&file->prime, key);
		if (known) {
			handle = (uint32_t)(uintptr_t)known;
			goto done;
		}
	} else {
		obj = imported;
		ret = udrm_u64map_put(&dev->dmabufs, key, obj);
		if (ret)
			goto out;
		obj->dmabuf = true;
	}
	ret = udrm_gem_handle_create_locked(file, obj, &handle);
	if (ret)
		goto out;
	ret = udrm_u64map_put(&file->prime, key, handle_value(handle));
	if (ret)
		goto out; /* the handle stays, as when the kernel's fails */
done:
	args->handle = handle;
out:
	pthread_mutex_unlock(&dev->lock);
	/* Drops our creation reference; a handle keeps the object. */
	udrm_gem_object_put(imported);
	return ret;
}

void udrm_prime_remove_handle_locked(struct udrm_file *file,
				     struct udrm_gem_object *obj,
				     uint32_t handle)
{
	uint64_t key;

	if (!obj->dmabuf)
		return;
	key = udrm_shmem_key(obj->shm);
	if (udrm_u64map_get(&file->prime, key) == handle_value(handle))
		udrm_u64map_remove(&file->prime, key);
}
