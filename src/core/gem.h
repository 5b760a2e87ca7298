/* SPDX-License-Identifier: MIT */
/*
 * GEM objects, handles and flink names, as the kernel's drm_gem.c.
 *
 * Ownership: an object is reference counted (udrm_gem_object_get/put,
 * atomic). Each handle holds one reference; so does every caller between
 * udrm_gem_object_lookup() and udrm_gem_object_put(). Flink names and the
 * dma-buf table do not hold references: they are dropped when the last
 * handle goes (names) or when the object is freed (dma-buf entry).
 * Fields marked (lock) are protected by dev->lock.
 */
#ifndef UDRM_CORE_GEM_H
#define UDRM_CORE_GEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udrm_device;
struct udrm_file;
struct udrm_shmem;
struct udrm_resv;
struct drm_mode_create_dumb;

/* The memfd name prefix of every udrm dma-buf (see dev->dmabuf_name). */
#define UDRM_DMABUF_NAME_PREFIX "udrm-dmabuf:"

/* First fake mmap offset (in pages), as DRM_FILE_PAGE_OFFSET_START on 64-bit.
 */
#define UDRM_FILE_PAGE_OFFSET_START 0x100000ULL

struct udrm_gem_object;

struct udrm_gem_funcs {
	/* Called once when the last reference goes, before the core frees
	 * its part. Optional. */
	void (*free)(struct udrm_gem_object *obj);
	/* Frees the memory of an object embedded in a driver's struct
	 * (udrm_gem_object_init), after the core dropped everything it
	 * held; the core's free() of @obj otherwise. Optional. */
	void (*release)(struct udrm_gem_object *obj);
	/* PRIME export veto, asked before the object's first export: 0
	 * lets the core export it, a negative errno fails HANDLE_TO_FD with
	 * it (as a kernel driver's gem export hook returning an error, e.g.
	 * Panthor's private objects: -EINVAL). Called with dev->lock held;
	 * must not take it. Optional. */
	int (*export)(struct udrm_gem_object *obj);
};

struct udrm_vma_allow {
	struct udrm_file *file;
	uint32_t count; /* handles @file has to the object */
};

/* A circular doubly linked list link (also used as the list head), the
 * GPUVM's (mm/gpuvm.h): the object carries a list of its vm_bos. */
struct udrm_gpuvm_link {
	struct udrm_gpuvm_link *prev, *next;
};

struct udrm_gem_object {
	atomic_int refcount;
	struct udrm_device *dev;
	uint64_t size; /* bytes, a page multiple */
	const struct udrm_gem_funcs *funcs;

	/* Where the pages are (lock: changes on first export). */
	struct udrm_shmem *shm; /* a reference */
	uint64_t shm_offset;

	uint32_t handle_count; /* (lock) */
	uint32_t name;	       /* (lock) flink name, 0 if none */
	uint64_t mmap_page;    /* (lock) fake offset in pages, 0 if none */
	struct udrm_vma_allow *vma_allow; /* (lock) files that may mmap */
	uint32_t vma_allow_count;
	bool dmabuf;	 /* (lock) shm is registered in dev->dmabufs */
	bool imported;	 /* pages came from a foreign dma-buf */
	int export_mode; /* (lock) O_RDWR/O_RDONLY, fixed on first export */

	/* The fences of the operations on the buffer (a reference). Shared
	 * by every object, on any device, wrapping the same dma-buf; fixed
	 * from the object's first export or its import on. */
	struct udrm_resv *resv;
	bool resv_bound; /* (lock) holds an entry of the dma-buf registry */

	/* The kernel's gem->gpuva.list: the vm_bos of this object in the
	 * GPUVMs that track their objects (mm/gpuvm.h,
	 * udrm_gem_for_each_gpuvm_bo, which says which lock protects it).
	 * All zero means empty; only mm/gpuvm.c links and unlinks. */
	struct {
		struct udrm_gpuvm_link list;
	} gpuva;
};

/* A new zero-filled object of @size bytes (rounded up to pages) in the
 * device's arena, with one reference for the caller. */
int udrm_gem_object_create(struct udrm_device *dev, uint64_t size,
			   struct udrm_gem_object **out);
/* An object on @shm (whole file), taking a reference to @shm. */
int udrm_gem_object_create_on(struct udrm_device *dev, struct udrm_shmem *shm,
			      uint64_t size, struct udrm_gem_object **out);
/*
 * For drivers that embed the object in their own struct (the kernel's
 * drm_gem_object_init + shmem): sets up @obj, which the caller zeroed,
 * as udrm_gem_object_create would (size rounded up to pages, zero-filled
 * pages in the arena or a memfd of its own, a reservation of its own, one
 * reference). The caller sets obj->funcs, with a release hook that frees
 * its struct, before the object can be put. 0, -EINVAL (size 0 or
 * overflowing), -ENOMEM, -errno of the memfd; on error nothing is held
 * and the caller frees its struct itself.
 */
int udrm_gem_object_init(struct udrm_device *dev, struct udrm_gem_object *obj,
			 uint64_t size);
/*
 * Makes @obj use @resv (a reference is taken) instead of its own
 * reservation, for a driver's private objects, which share a VM's
 * (Panthor's exclusive_vm). Only before the object has a handle and
 * while it cannot be exported (the driver's export hook refuses it), so
 * that the dma-buf registry never binds it to another reservation.
 */
void udrm_gem_object_set_resv(struct udrm_gem_object *obj,
			      struct udrm_resv *resv);
void udrm_gem_object_get(struct udrm_gem_object *obj);
void udrm_gem_object_put(struct udrm_gem_object *obj);

/* Creates a handle in @file for @obj (the handle takes its own reference).
 * Handles start at 1, lowest free first. */
int udrm_gem_handle_create(struct udrm_file *file, struct udrm_gem_object *obj,
			   uint32_t *handle);
int udrm_gem_handle_create_locked(struct udrm_file *file,
				  struct udrm_gem_object *obj,
				  uint32_t *handle);
/* -EINVAL for an unknown handle, as the kernel. */
int udrm_gem_handle_delete(struct udrm_file *file, uint32_t handle);
/* The object behind @handle with a reference, or NULL. */
struct udrm_gem_object *udrm_gem_object_lookup(struct udrm_file *file,
					       uint32_t handle);
struct udrm_gem_object *udrm_gem_object_lookup_locked(struct udrm_file *file,
						      uint32_t handle);
/* Closes every handle of @file (file close). */
void udrm_gem_release(struct udrm_file *file);

/* Gives @obj a fake mmap offset (idempotent); returns it in bytes. */
int udrm_gem_create_mmap_offset(struct udrm_gem_object *obj, uint64_t *offset);

int udrm_gem_close_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file);
int udrm_gem_flink_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file);
int udrm_gem_open_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file);

int udrm_mode_create_dumb_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file);
int udrm_mode_map_dumb_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file);
int udrm_mode_destroy_dumb_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file);
/* The shmem helper's dumb_create, for drivers: pitch and size as the
 * kernel's drm_gem_shmem_dumb_create(). */
int udrm_gem_dumb_create(struct udrm_file *file, struct udrm_device *dev,
			 struct drm_mode_create_dumb *args);

int udrm_prime_handle_to_fd_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file);
int udrm_prime_fd_to_handle_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file);
/* Drops @obj's hold on the process-wide dma-buf registry (object free). */
void udrm_prime_release_object(struct udrm_gem_object *obj);

/* Fork safety for the process-wide dma-buf registry: taken after every
 * dev->lock by udrm_devices_atfork_prepare(). */
void udrm_prime_atfork_prepare(void);
void udrm_prime_atfork_after(void);
/* Drops @file's PRIME entries for @obj (handle being deleted). Locked. */
void udrm_prime_remove_handle_locked(struct udrm_file *file,
				     struct udrm_gem_object *obj,
				     uint32_t handle);

#endif
