// SPDX-License-Identifier: MIT
/*
 * PRIME: GEM objects as dma-buf fds, as the kernel's drm_prime.c.
 *
 * A dma-buf is a memfd whose offset 0 is the object. Its identity (to find
 * the object again on import) is the file's inode: dev->dmabufs maps it to
 * the object and each file's prime map to the file's handle.
 *
 * In the kernel a dma-buf carries one reservation object that every
 * importer uses. Here a dma-buf has no kernel object of its own, so a
 * process-wide registry keyed by the file's (st_dev, st_ino) stands for it:
 * it holds the dma-buf's resv, shared by every GEM object of any device
 * that wraps the buffer (the exporter's and the importers'), and its name
 * (DMA_BUF_SET_NAME). An entry lives while at least one object is bound to
 * it; an fd that outlives every object sees an empty reservation.
 *
 * Lock order: dev->lock -> prime_registry_lock. Nothing else is taken under
 * prime_registry_lock; resv references are dropped after unlocking it.
 */
#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "file.h"
#include "gem.h"
#include "shmem.h"
#include "sync/dma_fence_unwrap.h"
#include "sync/dma_resv.h"
#include "sync/sync_file.h"
#include "uaccess.h"

/* One dma-buf of the process, as far as udrm knows it. */
struct prime_dmabuf {
	dev_t st_dev;
	ino_t st_ino;
	struct udrm_resv *resv;	     /* a reference */
	unsigned int users;	     /* GEM objects bound (obj->resv_bound) */
	bool exported;		     /* handed out by a PRIME export */
	char name[DMA_BUF_NAME_LEN]; /* DMA_BUF_SET_NAME */
	struct prime_dmabuf *next;   /* same st_ino, other st_dev */
};

static pthread_mutex_t prime_registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* st_ino -> chain of struct prime_dmabuf (prime_registry_lock) */
static struct udrm_u64map prime_registry;
/* Entries in the registry, read without the lock by udrm_dmabuf_exists(). */
static atomic_uint prime_registry_count;

void udrm_prime_atfork_prepare(void)
{
	pthread_mutex_lock(&prime_registry_lock);
}

void udrm_prime_atfork_after(void)
{
	pthread_mutex_unlock(&prime_registry_lock);
}

static struct prime_dmabuf *prime_registry_find_locked(dev_t st_dev,
						       ino_t st_ino)
{
	struct prime_dmabuf *d = udrm_u64map_get(&prime_registry, st_ino);

	while (d && d->st_dev != st_dev)
		d = d->next;
	return d;
}

/*
 * Binds @obj to the registry entry of its pages: the object takes the
 * dma-buf's resv if another object already wraps the buffer, else its own
 * resv becomes the dma-buf's. @exported marks the buffer as handed out as
 * a dma-buf fd. Called with dev->lock held, once obj->shm is final.
 */
static int prime_bind_resv_locked(struct udrm_gem_object *obj, bool exported)
{
	struct udrm_shmem *shm = obj->shm;
	struct udrm_resv *old = NULL;
	struct prime_dmabuf *d, *head;
	int ret = 0;

	pthread_mutex_lock(&prime_registry_lock);
	d = prime_registry_find_locked(shm->st_dev, shm->st_ino);
	if (obj->resv_bound) {
		if (d && exported)
			d->exported = true;
		goto out;
	}
	if (d) {
		d->users++;
		if (d->resv != obj->resv) {
			old = obj->resv;
			obj->resv = udrm_resv_get(d->resv);
		}
	} else {
		d = calloc(1, sizeof(*d));
		if (!d) {
			ret = -ENOMEM;
			goto out;
		}
		head = udrm_u64map_get(&prime_registry, shm->st_ino);
		ret = udrm_u64map_put(&prime_registry, shm->st_ino, d);
		if (ret) {
			free(d);
			goto out;
		}
		d->st_dev = shm->st_dev;
		d->st_ino = shm->st_ino;
		d->resv = udrm_resv_get(obj->resv);
		d->users = 1;
		d->next = head;
		atomic_fetch_add(&prime_registry_count, 1);
	}
	d->exported |= exported;
	obj->resv_bound = true;
out:
	pthread_mutex_unlock(&prime_registry_lock);
	udrm_resv_put(old);
	return ret;
}

void udrm_prime_release_object(struct udrm_gem_object *obj)
{
	struct prime_dmabuf *d, **link;
	struct udrm_resv *resv = NULL;

	if (!obj->resv_bound)
		return;
	pthread_mutex_lock(&prime_registry_lock);
	link = NULL;
	d = udrm_u64map_get(&prime_registry, obj->shm->st_ino);
	while (d && d->st_dev != obj->shm->st_dev) {
		link = &d->next;
		d = d->next;
	}
	if (d && --d->users == 0) {
		if (link)
			*link = d->next;
		else if (d->next)
			udrm_u64map_put(&prime_registry, d->st_ino, d->next);
		else
			udrm_u64map_remove(&prime_registry, d->st_ino);
		resv = d->resv;
		free(d);
		atomic_fetch_sub(&prime_registry_count, 1);
	}
	pthread_mutex_unlock(&prime_registry_lock);
	obj->resv_bound = false;
	udrm_resv_put(resv);
}

/* Whether @fd is a udrm export whose objects are all gone. */
static bool prime_fd_is_orphan_dmabuf(int fd)
{
	return udrm_shmem_fd_name_starts_with(fd, UDRM_DMABUF_NAME_PREFIX);
}

/* DMA_BUF_IOCTL_SYNC: as the kernel's dma_buf_begin_cpu_access() on a
 * buffer without begin/end_cpu_access ops (shmem helpers): START waits for
 * the implicit fences of the access, END has nothing to do. */
static int prime_dmabuf_sync(struct udrm_resv *resv, void *arg)
{
	struct dma_buf_sync sync;
	int64_t ret;
	bool write;

	if (udrm_copy_from_user(NULL, &sync, udrm_user_ptr(arg), sizeof(sync)))
		return -EFAULT;
	if (sync.flags & ~(uint64_t)DMA_BUF_SYNC_VALID_FLAGS_MASK)
		return -EINVAL;
	if (!(sync.flags & DMA_BUF_SYNC_RW))
		return -EINVAL;
	if ((sync.flags & DMA_BUF_SYNC_END) || !resv)
		return 0;
	write = sync.flags & DMA_BUF_SYNC_WRITE;
	ret = udrm_resv_wait_timeout(resv, udrm_resv_usage_rw(write), true,
				     UINT64_MAX);
	return ret < 0 ? (int)ret : 0;
}

/* DMA_BUF_IOCTL_EXPORT_SYNC_FILE: a sync_file of the fences an access of
 * the requested kind must wait for (dma_buf_export_sync_file()): a reader
 * waits for the writers, a writer for everyone; the stub when none. */
static int prime_dmabuf_export_sync_file(struct udrm_resv *resv, void *arg)
{
	struct dma_buf_export_sync_file args;
	struct udrm_fence *fence = NULL;
	int ret, fd;

	if (udrm_copy_from_user(NULL, &args, udrm_user_ptr(arg), sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~(uint32_t)DMA_BUF_SYNC_RW) ||
	    !(args.flags & DMA_BUF_SYNC_RW))
		return -EINVAL;
	if (resv) {
		bool write = args.flags & DMA_BUF_SYNC_WRITE;

		ret = udrm_resv_get_singleton(resv, udrm_resv_usage_rw(write),
					      &fence);
		if (ret)
			return ret;
	}
	if (!fence)
		fence = udrm_fence_get_stub();
	fd = udrm_sync_file_create(fence, true);
	udrm_fence_put(fence);
	if (fd < 0)
		return fd;
	args.fd = fd;
	if (udrm_copy_to_user(NULL, udrm_user_ptr(arg), &args, sizeof(args))) {
		udrm_fd_uninstall(fd); /* the kernel never installs it */
		return -EFAULT;
	}
	return 0;
}

/* DMA_BUF_IOCTL_IMPORT_SYNC_FILE: adds the sync_file's fences to the
 * reservation as writes or reads (dma_buf_import_sync_file()). */
static int prime_dmabuf_import_sync_file(struct udrm_resv *resv, void *arg)
{
	struct dma_buf_import_sync_file args;
	enum udrm_resv_usage usage;
	struct udrm_fence_unwrap iter;
	struct udrm_fence *fence, *f;
	unsigned int num_fences = 0;
	int ret = 0;

	if (udrm_copy_from_user(NULL, &args, udrm_user_ptr(arg), sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~(uint32_t)DMA_BUF_SYNC_RW) ||
	    !(args.flags & DMA_BUF_SYNC_RW))
		return -EINVAL;
	fence = udrm_sync_file_get_fence(args.fd);
	if (!fence)
		return -EINVAL;
	usage = (args.flags & DMA_BUF_SYNC_WRITE) ? UDRM_RESV_USAGE_WRITE
						  : UDRM_RESV_USAGE_READ;
	num_fences = udrm_fence_unwrap_count(fence);
	/* A buffer whose objects are all gone has no reservation left. */
	if (num_fences && resv) {
		udrm_resv_lock(resv);
		ret = udrm_resv_reserve_fences_locked(resv, num_fences);
		/* Links that signal meanwhile drop out: no more fences
		 * than reserved. */
		if (!ret) {
			udrm_fence_unwrap_for_each(f, &iter, fence)
			{
				udrm_resv_add_fence_locked(resv, f, usage);
			}
		}
		udrm_resv_unlock(resv);
	}
	udrm_fence_put(fence);
	return ret;
}

/* DMA_BUF_SET_NAME: a string of at most DMA_BUF_NAME_LEN - 1 characters,
 * as strndup_user() reads it (-EINVAL if longer). */
static int prime_dmabuf_set_name(struct stat *st, void *arg)
{
	char name[DMA_BUF_NAME_LEN];
	struct prime_dmabuf *d;
	size_t i;

	for (i = 0; i < sizeof(name); i++) {
		if (udrm_copy_from_user(NULL, &name[i], udrm_user_ptr(arg) + i,
					1))
			return -EFAULT;
		if (!name[i])
			break;
	}
	if (i == sizeof(name))
		return -EINVAL;
	pthread_mutex_lock(&prime_registry_lock);
	d = prime_registry_find_locked(st->st_dev, st->st_ino);
	if (d)
		memcpy(d->name, name, sizeof(name));
	pthread_mutex_unlock(&prime_registry_lock);
	return 0;
}

bool udrm_dmabuf_exists(void)
{
	return atomic_load_explicit(&prime_registry_count,
				    memory_order_relaxed) != 0;
}

int udrm_dmabuf_poll_fd(int fd, bool write, int *sync_fd)
{
	struct udrm_resv *resv = NULL;
	struct udrm_fence *fence = NULL;
	struct prime_dmabuf *d;
	struct stat st;
	int ret;

	*sync_fd = -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -ENOTTY;
	pthread_mutex_lock(&prime_registry_lock);
	d = prime_registry_find_locked(st.st_dev, st.st_ino);
	if (d)
		resv = udrm_resv_get(d->resv);
	pthread_mutex_unlock(&prime_registry_lock);
	if (!resv)
		return -ENOTTY; /* not ours, or no fences to wait for */
	/* As dma_buf_poll(): readers wait for the writers, writers for all. */
	ret = udrm_resv_get_singleton(resv, udrm_resv_usage_rw(write), &fence);
	udrm_resv_put(resv);
	if (ret || !fence)
		return ret;
	ret = udrm_sync_file_create(fence, true);
	udrm_fence_put(fence);
	if (ret < 0)
		return ret;
	*sync_fd = ret;
	return 0;
}

int udrm_dmabuf_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct udrm_resv *resv = NULL;
	struct prime_dmabuf *d;
	struct stat st;
	int ret;

	if (_IOC_TYPE(cmd) != DMA_BUF_BASE || fstat(fd, &st))
		return -ENOTTY;
	pthread_mutex_lock(&prime_registry_lock);
	d = prime_registry_find_locked(st.st_dev, st.st_ino);
	if (d && d->exported)
		resv = udrm_resv_get(d->resv);
	pthread_mutex_unlock(&prime_registry_lock);
	if (!resv && !prime_fd_is_orphan_dmabuf(fd))
		return -ENOTTY;

	udrm_uaccess_init();
	switch (cmd) {
	case DMA_BUF_IOCTL_SYNC:
		ret = prime_dmabuf_sync(resv, arg);
		break;
	case DMA_BUF_SET_NAME_A:
	case DMA_BUF_SET_NAME_B:
		ret = prime_dmabuf_set_name(&st, arg);
		break;
	case DMA_BUF_IOCTL_EXPORT_SYNC_FILE:
		ret = prime_dmabuf_export_sync_file(resv, arg);
		break;
	case DMA_BUF_IOCTL_IMPORT_SYNC_FILE:
		ret = prime_dmabuf_import_sync_file(resv, arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	udrm_resv_put(resv);
	return ret;
}

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
		return prime_bind_resv_locked(obj, true);
	if (obj->funcs && obj->funcs->export) {
		ret = obj->funcs->export(obj);
		if (ret)
			return ret;
	}
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
	ret = prime_bind_resv_locked(obj, true);
	if (ret)
		return ret;
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
	fd = udrm_fd_install(udrm_shmem_open_fd(obj->shm, obj->export_mode,
						args->flags & DRM_CLOEXEC));
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

/* PRIME_FD_TO_HANDLE on local @fd. */
static int prime_fd_to_handle(struct udrm_device *dev, struct udrm_file *file,
			      int fd, uint32_t *handle_out)
{
	struct udrm_gem_object *obj, *imported = NULL;
	uint32_t handle;
	dev_t st_dev;
	uint64_t key;
	void *known;
	int ret;

	ret = udrm_shmem_fd_key(fd, &key, &st_dev);
	if (ret)
		return ret;

	pthread_mutex_lock(&dev->lock);
	obj = prime_find_locked(dev, key, st_dev);
	known = obj ? udrm_u64map_get(&file->prime, key) : NULL;
	pthread_mutex_unlock(&dev->lock);
	if (known) {
		*handle_out = (uint32_t)(uintptr_t)known;
		return 0;
	}
	if (!obj) {
		ret = prime_import(dev, fd, &imported);
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
		/* Share the reservation of whoever exported the buffer. */
		ret = prime_bind_resv_locked(obj, false);
		if (ret)
			goto out;
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
	*handle_out = handle;
out:
	pthread_mutex_unlock(&dev->lock);
	/* Drops our creation reference; a handle keeps the object. */
	udrm_gem_object_put(imported);
	return ret;
}

int udrm_prime_fd_to_handle_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file)
{
	struct drm_prime_handle *args = data;
	int fd, ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_GEM))
		return -EOPNOTSUPP;
	/* flags only mean something for export; the kernel ignores them. */
	ret = udrm_fd_get(args->fd, &fd);
	if (ret)
		return ret;
	ret = prime_fd_to_handle(dev, file, fd, &args->handle);
	udrm_fd_put(args->fd, fd);
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
