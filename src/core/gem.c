// SPDX-License-Identifier: MIT
/* GEM objects, handles, flink names and mmap, as the kernel's drm_gem.c. */
#include "gem.h"

#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device.h"
#include "file.h"
#include "shmem.h"
#include "sync/dma_resv.h"

#define UDRM_PAGE_SIZE 4096ULL

static uint64_t page_align(uint64_t size)
{
	return (size + UDRM_PAGE_SIZE - 1) & ~(UDRM_PAGE_SIZE - 1);
}

/* The core's part of a new object: one reference, its own reservation. */
static int gem_object_setup(struct udrm_device *dev,
			    struct udrm_gem_object *obj, uint64_t size)
{
	if (udrm_resv_create(&obj->resv))
		return -ENOMEM;
	atomic_init(&obj->refcount, 1);
	obj->dev = dev;
	obj->size = size;
	obj->export_mode = -1;
	return 0;
}

static struct udrm_gem_object *gem_object_alloc(struct udrm_device *dev,
						uint64_t size)
{
	struct udrm_gem_object *obj = calloc(1, sizeof(*obj));

	if (!obj)
		return NULL;
	if (gem_object_setup(dev, obj, size)) {
		free(obj);
		return NULL;
	}
	return obj;
}

/* The device's current arena, made on first use or after a fork sealed
 * the previous one. Called with dev->lock held. */
static int gem_arena_alloc_locked(struct udrm_device *dev, uint64_t size,
				  struct udrm_shmem **shm, uint64_t *offset)
{
	int ret;

	if (dev->arena) {
		ret = udrm_shmem_arena_alloc(dev->arena, size, offset);
		if (ret != -ENOSPC)
			goto out;
		udrm_shmem_put(dev->arena);
		dev->arena = NULL;
	}
	ret = udrm_shmem_arena_create(&dev->arena);
	if (ret)
		return ret;
	ret = udrm_shmem_arena_alloc(dev->arena, size, offset);
out:
	if (!ret) {
		udrm_shmem_get(dev->arena);
		*shm = dev->arena;
	}
	return ret;
}

/* Gives @obj (set up, obj->size final) its pages. */
static int gem_object_alloc_pages(struct udrm_device *dev,
				  struct udrm_gem_object *obj)
{
	int ret;

	if (dev->flags & UDRM_DEVICE_OBJECT_MEMFDS) {
		/* Named as the device's dma-bufs: exporting it moves nothing.
		 */
		return udrm_shmem_create(obj->size, dev->dmabuf_name,
					 &obj->shm);
	}
	pthread_mutex_lock(&dev->lock);
	ret = gem_arena_alloc_locked(dev, obj->size, &obj->shm,
				     &obj->shm_offset);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int udrm_gem_object_create(struct udrm_device *dev, uint64_t size,
			   struct udrm_gem_object **out)
{
	struct udrm_gem_object *obj;
	int ret;

	if (!size || size > UINT64_MAX - UDRM_PAGE_SIZE)
		return -EINVAL;
	size = page_align(size);
	obj = gem_object_alloc(dev, size);
	if (!obj)
		return -ENOMEM;
	ret = gem_object_alloc_pages(dev, obj);
	if (ret) {
		udrm_resv_put(obj->resv);
		free(obj);
		return ret;
	}
	*out = obj;
	return 0;
}

int udrm_gem_object_init(struct udrm_device *dev, struct udrm_gem_object *obj,
			 uint64_t size)
{
	int ret;

	if (!size || size > UINT64_MAX - UDRM_PAGE_SIZE)
		return -EINVAL;
	ret = gem_object_setup(dev, obj, page_align(size));
	if (ret)
		return ret;
	ret = gem_object_alloc_pages(dev, obj);
	if (ret) {
		udrm_resv_put(obj->resv);
		obj->resv = NULL;
	}
	return ret;
}

void udrm_gem_object_set_resv(struct udrm_gem_object *obj,
			      struct udrm_resv *resv)
{
	struct udrm_resv *old = obj->resv;

	obj->resv = udrm_resv_get(resv);
	udrm_resv_put(old);
}

int udrm_gem_object_create_on(struct udrm_device *dev, struct udrm_shmem *shm,
			      uint64_t size, struct udrm_gem_object **out)
{
	struct udrm_gem_object *obj = gem_object_alloc(dev, page_align(size));

	if (!obj)
		return -ENOMEM;
	udrm_shmem_get(shm);
	obj->shm = shm;
	*out = obj;
	return 0;
}

void udrm_gem_object_get(struct udrm_gem_object *obj)
{
	atomic_fetch_add(&obj->refcount, 1);
}

void udrm_gem_object_put(struct udrm_gem_object *obj)
{
	struct udrm_device *dev;

	if (!obj || atomic_fetch_sub(&obj->refcount, 1) != 1)
		return;
	dev = obj->dev;
	if (obj->funcs && obj->funcs->free)
		obj->funcs->free(obj);
	pthread_mutex_lock(&dev->lock);
	if (obj->mmap_page)
		udrm_u64map_remove(&dev->mmap_offsets, obj->mmap_page);
	if (obj->dmabuf &&
	    udrm_u64map_get(&dev->dmabufs, udrm_shmem_key(obj->shm)) == obj)
		udrm_u64map_remove(&dev->dmabufs, udrm_shmem_key(obj->shm));
	pthread_mutex_unlock(&dev->lock);
	udrm_prime_release_object(obj);
	udrm_resv_put(obj->resv);
	if (obj->shm->arena)
		udrm_shmem_arena_free(obj->shm, obj->shm_offset, obj->size);
	udrm_shmem_put(obj->shm);
	free(obj->vma_allow);
	if (obj->funcs && obj->funcs->release)
		obj->funcs->release(obj);
	else
		free(obj);
}

static int vma_allow_locked(struct udrm_gem_object *obj, struct udrm_file *file)
{
	struct udrm_vma_allow *allow;
	uint32_t i;

	for (i = 0; i < obj->vma_allow_count; i++) {
		if (obj->vma_allow[i].file == file) {
			obj->vma_allow[i].count++;
			return 0;
		}
	}
	allow = realloc(obj->vma_allow, (i + 1) * sizeof(*allow));
	if (!allow)
		return -ENOMEM;
	allow[i].file = file;
	allow[i].count = 1;
	obj->vma_allow = allow;
	obj->vma_allow_count = i + 1;
	return 0;
}

static void vma_revoke_locked(struct udrm_gem_object *obj,
			      struct udrm_file *file)
{
	uint32_t i;

	for (i = 0; i < obj->vma_allow_count; i++) {
		if (obj->vma_allow[i].file != file)
			continue;
		if (--obj->vma_allow[i].count == 0)
			obj->vma_allow[i] =
				obj->vma_allow[--obj->vma_allow_count];
		return;
	}
}

static bool vma_is_allowed_locked(const struct udrm_gem_object *obj,
				  const struct udrm_file *file)
{
	uint32_t i;

	for (i = 0; i < obj->vma_allow_count; i++)
		if (obj->vma_allow[i].file == file)
			return true;
	return false;
}

int udrm_gem_handle_create_locked(struct udrm_file *file,
				  struct udrm_gem_object *obj, uint32_t *handle)
{
	int64_t id;
	int ret;

	ret = vma_allow_locked(obj, file);
	if (ret)
		return ret;
	id = udrm_idr_alloc(&file->handles, obj);
	if (id < 0) {
		vma_revoke_locked(obj, file);
		return (int)id;
	}
	udrm_gem_object_get(obj);
	obj->handle_count++;
	*handle = (uint32_t)id;
	return 0;
}

int udrm_gem_handle_create(struct udrm_file *file, struct udrm_gem_object *obj,
			   uint32_t *handle)
{
	int ret;

	pthread_mutex_lock(&file->dev->lock);
	ret = udrm_gem_handle_create_locked(file, obj, handle);
	pthread_mutex_unlock(&file->dev->lock);
	return ret;
}

/* Drops what a handle holds except the object reference, which the caller
 * puts after unlocking (the free path takes dev->lock). */
static void gem_handle_release_locked(struct udrm_file *file,
				      struct udrm_gem_object *obj,
				      uint32_t handle)
{
	udrm_prime_remove_handle_locked(file, obj, handle);
	vma_revoke_locked(obj, file);
	if (--obj->handle_count == 0 && obj->name) {
		udrm_idr_remove(&file->dev->object_names, obj->name);
		obj->name = 0;
	}
}

int udrm_gem_handle_delete(struct udrm_file *file, uint32_t handle)
{
	struct udrm_device *dev = file->dev;
	struct udrm_gem_object *obj;

	pthread_mutex_lock(&dev->lock);
	obj = udrm_idr_remove(&file->handles, handle);
	if (obj)
		gem_handle_release_locked(file, obj, handle);
	pthread_mutex_unlock(&dev->lock);
	if (!obj)
		return -EINVAL;
	udrm_gem_object_put(obj);
	return 0;
}

struct udrm_gem_object *udrm_gem_object_lookup_locked(struct udrm_file *file,
						      uint32_t handle)
{
	struct udrm_gem_object *obj = udrm_idr_find(&file->handles, handle);

	if (obj)
		udrm_gem_object_get(obj);
	return obj;
}

struct udrm_gem_object *udrm_gem_object_lookup(struct udrm_file *file,
					       uint32_t handle)
{
	struct udrm_gem_object *obj;

	pthread_mutex_lock(&file->dev->lock);
	obj = udrm_gem_object_lookup_locked(file, handle);
	pthread_mutex_unlock(&file->dev->lock);
	return obj;
}

void udrm_gem_release(struct udrm_file *file)
{
	struct udrm_device *dev = file->dev;
	struct udrm_gem_object *obj;
	uint32_t handle = 0;
	void *ptr;

	for (;;) {
		pthread_mutex_lock(&dev->lock);
		if (!udrm_idr_next(&file->handles, &handle, &ptr)) {
			pthread_mutex_unlock(&dev->lock);
			break;
		}
		obj = udrm_idr_remove(&file->handles, handle);
		gem_handle_release_locked(file, obj, handle);
		pthread_mutex_unlock(&dev->lock);
		udrm_gem_object_put(obj);
		handle = 0;
	}
}

int udrm_gem_create_mmap_offset(struct udrm_gem_object *obj, uint64_t *offset)
{
	struct udrm_device *dev = obj->dev;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (!obj->mmap_page) {
		ret = udrm_u64map_put(&dev->mmap_offsets, dev->next_mmap_page,
				      obj);
		if (!ret) {
			obj->mmap_page = dev->next_mmap_page;
			/* Offsets are not reused; a one-page gap keeps a
			 * too-long mapping from reaching the next object. */
			dev->next_mmap_page += obj->size / UDRM_PAGE_SIZE + 1;
		}
	}
	*offset = obj->mmap_page * UDRM_PAGE_SIZE;
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/* The object at fake offset @offset that @file may map @len bytes of with
 * @prot and @flags; dev->lock held. */
static int gem_mmap_lookup_locked(struct udrm_file *file, size_t len, int prot,
				  int flags, uint64_t offset,
				  struct udrm_gem_object **out)
{
	struct udrm_device *dev = file->dev;
	struct udrm_gem_object *obj;

	obj = udrm_u64map_get(&dev->mmap_offsets, offset / UDRM_PAGE_SIZE);
	if (!obj || page_align(len) > obj->size)
		return -EINVAL;
	if (!vma_is_allowed_locked(obj, file))
		return -EACCES;
	*out = obj;
	return 0;
}

/* The checks that need no lock. */
static int gem_mmap_check(struct udrm_file *file, size_t len, int prot,
			  int flags, uint64_t offset)
{
	int accmode = file->open_flags & O_ACCMODE;

	if (!len || (offset & (UDRM_PAGE_SIZE - 1)) ||
	    ((flags & MAP_TYPE) != MAP_SHARED &&
	     (flags & MAP_TYPE) != MAP_SHARED_VALIDATE))
		return -EINVAL;
	/* The access the file was opened with bounds the mapping. */
	if (((prot & PROT_READ) && accmode == O_WRONLY) ||
	    ((prot & PROT_WRITE) && accmode == O_RDONLY))
		return -EACCES;
	if (!udrm_core_check_feature(file->dev, UDRM_FEAT_GEM))
		return -ENODEV;
	return 0;
}

int udrm_file_mmap(struct udrm_file *file, void *addr, size_t len, int prot,
		   int flags, uint64_t offset, void **out)
{
	struct udrm_device *dev = file->dev;
	struct udrm_gem_object *obj;
	void *map;
	int ret = gem_mmap_check(file, len, prot, flags, offset);

	if (ret)
		return ret;
	pthread_mutex_lock(&dev->lock);
	ret = gem_mmap_lookup_locked(file, len, prot, flags, offset, &obj);
	if (ret)
		goto out;
	/* Under the lock, so that an export cannot move the pages between
	 * looking them up and mapping them. */
	map = mmap(addr, len, prot, flags, obj->shm->fd,
		   (off_t)obj->shm_offset);
	if (map == MAP_FAILED)
		ret = -errno;
	else
		*out = map;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int udrm_file_mmap_target(struct udrm_file *file, size_t len, int prot,
			  int flags, uint64_t offset, int *fd,
			  uint64_t *fd_offset)
{
	struct udrm_device *dev = file->dev;
	struct udrm_gem_object *obj;
	char path[64];
	int ret = gem_mmap_check(file, len, prot, flags, offset);

	if (ret)
		return ret;
	if (!(dev->flags & UDRM_DEVICE_OBJECT_MEMFDS))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	ret = gem_mmap_lookup_locked(file, len, prot, flags, offset, &obj);
	if (ret)
		goto out;
	if (obj->shm->arena) { /* an import wrapped in an arena: never */
		ret = -EOPNOTSUPP;
		goto out;
	}
	/* A new open of the memfd, read-only unless writes are asked for. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", obj->shm->fd);
	*fd = open(path, ((prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (*fd < 0)
		ret = -errno;
	else
		*fd_offset = obj->shm_offset;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int udrm_gem_close_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	struct drm_gem_close *args = data;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	return udrm_gem_handle_delete(file, args->handle);
}

int udrm_gem_flink_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	struct drm_gem_flink *args = data;
	struct udrm_gem_object *obj;
	int64_t name;
	int ret = 0;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	obj = udrm_idr_find(&file->handles, args->handle);
	if (!obj || !obj->handle_count) {
		ret = -ENOENT;
		goto out;
	}
	if (!obj->name) {
		name = udrm_idr_alloc(&dev->object_names, obj);
		if (name < 0) {
			ret = (int)name;
			goto out;
		}
		obj->name = (uint32_t)name;
	}
	args->name = obj->name;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int udrm_gem_open_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file)
{
	struct drm_gem_open *args = data;
	struct udrm_gem_object *obj;
	uint32_t handle;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	obj = udrm_idr_find(&dev->object_names, args->name);
	if (!obj) {
		ret = -ENOENT;
		goto out;
	}
	ret = udrm_gem_handle_create_locked(file, obj, &handle);
	if (!ret) {
		args->handle = handle;
		args->size = obj->size;
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
