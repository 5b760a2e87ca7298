/* SPDX-License-Identifier: MIT */
/*
 * udrm_syncobj: DRM synchronisation objects, binary and timeline, as the
 * kernel's drivers/gpu/drm/drm_syncobj.c.
 *
 * A syncobj is a container for a fence pointer that may be NULL. Used as a
 * binary primitive, signalling it replaces the fence; used as a timeline,
 * each signalled point adds a fence chain node (dma_fence_chain.h) in front
 * of the previous fence, and a point is found by walking the chain.
 *
 * Ownership: reference counted (udrm_syncobj_get/put, atomic). Each handle
 * in a file's table (file->syncobjs, under dev->lock) holds a reference; so
 * does each exported opaque fd (see udrm_syncobj_get_fd()) until every copy
 * of that fd is closed, and every caller between a lookup and its put. The
 * syncobj holds a reference on its fence. A syncobj does not point at any
 * device: it may be shared between files and devices of this process.
 *
 * Locking: syncobj->lock protects @fence and the two lists of entries
 * waiting for a fence to appear. Lock order: dev->lock (handle table) is
 * never held while taking syncobj->lock; syncobj->lock may be held while
 * taking a fence's lock (walking a chain, adding a callback); fence
 * callbacks never take syncobj->lock.
 */
#ifndef UDRM_SYNC_SYNCOBJ_H
#define UDRM_SYNC_SYNCOBJ_H

#include <drm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "sync/dma_fence.h"

struct udrm_device;
struct udrm_file;

/*
 * uapi newer than the installed libdrm headers (Debian 12 ships 2.4.114).
 * The layouts are the kernel's include/uapi/drm/drm.h; the ioctl table
 * uses the kernel's (larger) sizes, so older callers are zero-extended.
 */
#ifndef DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE
#define DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE (1 << 3)
#endif
#ifndef DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE
#define DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE (1 << 1)
#endif
#ifndef DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE
#define DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE (1 << 1)
#endif

/* struct drm_syncobj_handle with the timeline point (kernel 6.15+). */
struct udrm_drm_syncobj_handle {
	__u32 handle;
	__u32 flags;
	__s32 fd;
	__u32 pad;
	__u64 point;
};

/* struct drm_syncobj_wait with the deadline (kernel 6.4+). */
struct udrm_drm_syncobj_wait {
	__u64 handles;
	__s64 timeout_nsec; /* absolute CLOCK_MONOTONIC */
	__u32 count_handles;
	__u32 flags;
	__u32 first_signaled; /* only valid when not waiting all */
	__u32 pad;
	__u64 deadline_nsec; /* with DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE */
};

/* struct drm_syncobj_timeline_wait with the deadline (kernel 6.4+). */
struct udrm_drm_syncobj_timeline_wait {
	__u64 handles;
	__u64 points;
	__s64 timeout_nsec;
	__u32 count_handles;
	__u32 flags;
	__u32 first_signaled;
	__u32 pad;
	__u64 deadline_nsec;
};

/* struct drm_syncobj_eventfd (kernel 6.6+). */
struct udrm_drm_syncobj_eventfd {
	__u32 handle;
	__u32 flags; /* 0 or DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE */
	__u64 point;
	__s32 fd; /* an eventfd */
	__u32 pad;
};

#define UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD                                        \
	DRM_IOWR(0xC1, struct udrm_drm_syncobj_handle)
#define UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE                                        \
	DRM_IOWR(0xC2, struct udrm_drm_syncobj_handle)
#define UDRM_IOCTL_SYNCOBJ_WAIT DRM_IOWR(0xC3, struct udrm_drm_syncobj_wait)
#define UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT                                       \
	DRM_IOWR(0xCA, struct udrm_drm_syncobj_timeline_wait)
#define UDRM_IOCTL_SYNCOBJ_EVENTFD                                             \
	DRM_IOWR(0xCF, struct udrm_drm_syncobj_eventfd)

_Static_assert(sizeof(struct udrm_drm_syncobj_handle) == 24,
	       "drm_syncobj_handle layout");
_Static_assert(sizeof(struct udrm_drm_syncobj_wait) == 40,
	       "drm_syncobj_wait layout");
_Static_assert(sizeof(struct udrm_drm_syncobj_timeline_wait) == 48,
	       "drm_syncobj_timeline_wait layout");
_Static_assert(sizeof(struct udrm_drm_syncobj_eventfd) == 24,
	       "drm_syncobj_eventfd layout");

/* A list link; an entry that is on no list points at itself. */
struct udrm_syncobj_link {
	struct udrm_syncobj_link *next, *prev;
};

struct udrm_syncobj {
	atomic_int refcount;
	pthread_mutex_t lock;
	struct udrm_fence *fence; /* (lock) a reference, or NULL */
	/* (lock) host waits waiting for a fence/point to appear */
	struct udrm_syncobj_link waiters;
	/* (lock) eventfds waiting for a fence/point to appear */
	struct udrm_syncobj_link eventfds;
};

/*
 * New syncobj with one reference for the caller. @flags may hold
 * DRM_SYNCOBJ_CREATE_SIGNALED (a signalled stub fence); @fence, if not
 * NULL, is installed (referenced, not consumed). 0 or -ENOMEM.
 */
int udrm_syncobj_create(struct udrm_syncobj **out, uint32_t flags,
			struct udrm_fence *fence);
struct udrm_syncobj *udrm_syncobj_get(struct udrm_syncobj *syncobj);
void udrm_syncobj_put(struct udrm_syncobj *syncobj); /* NULL-safe */

/* The syncobj behind @handle in @file (a reference), or NULL. Takes
 * dev->lock. */
struct udrm_syncobj *udrm_syncobj_find(struct udrm_file *file, uint32_t handle);
/* A new handle in @file for @syncobj (which gains a reference). */
int udrm_syncobj_get_handle(struct udrm_file *file,
			    struct udrm_syncobj *syncobj, uint32_t *handle);
/*
 * A new opaque fd (O_CLOEXEC) standing for @syncobj itself, as the
 * kernel's anonymous "syncobj_file": FD_TO_HANDLE on any file of any
 * device in this process gives a handle to the same syncobj. The fd holds
 * a reference until every copy of it is closed (noticed lazily, at the
 * next export or import).
 */
int udrm_syncobj_get_fd(struct udrm_syncobj *syncobj, int *fd);

/* The current fence (a reference), or NULL. */
struct udrm_fence *udrm_syncobj_fence_get(struct udrm_syncobj *syncobj);
/* Replaces the fence (NULL resets); @fence is referenced, not consumed.
 * Wakes waiters for the new fence. */
void udrm_syncobj_replace_fence(struct udrm_syncobj *syncobj,
				struct udrm_fence *fence);
/* Adds timeline point @point carrying @fence (referenced, not consumed) in
 * front of the current fence. 0 or -ENOMEM. */
int udrm_syncobj_add_point(struct udrm_syncobj *syncobj,
			   struct udrm_fence *fence, uint64_t point);
/* The same with a chain node from udrm_fence_chain_alloc() (consumed), as
 * the kernel's drm_syncobj_add_point(): for signals that must not fail
 * after a job was pushed. */
struct udrm_fence_chain;
void udrm_syncobj_add_point_chain(struct udrm_syncobj *syncobj,
				  struct udrm_fence_chain *chain,
				  struct udrm_fence *fence, uint64_t point);
/*
 * The fence of @handle at @point (0: the current fence) in *fence, a
 * reference. @flags may be DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT: wait
 * (up to 5 s) for the point to appear. -EINVAL for other flags, for no
 * fence or a point not submitted yet; -ENOENT for an unknown handle;
 * -ETIME when the wait for submission times out.
 */
int udrm_syncobj_find_fence(struct udrm_file *file, uint32_t handle,
			    uint64_t point, uint64_t flags,
			    struct udrm_fence **fence);

/* Per-file table: set up at open, released at close before GEM. */
void udrm_syncobj_open(struct udrm_file *file);
void udrm_syncobj_release(struct udrm_file *file);

/*
 * sync_file interop, filled by the sync_file module (src/sync/sync_file.*)
 * with udrm_syncobj_set_sync_file_ops(). Until then the sync_file flags of
 * HANDLE_TO_FD / FD_TO_HANDLE fail with -EINVAL.
 *  export: a new sync_file fd (O_CLOEXEC) for @fence in *fd; 0 or -errno.
 *  import: the fence of sync_file @fd (a reference), NULL if @fd is not
 *          a sync_file.
 */
struct udrm_syncobj_sync_file_ops {
	int (*export_fence)(struct udrm_fence *fence, int *fd);
	struct udrm_fence *(*import_fence)(int fd);
};
/* @ops must stay valid; NULL unregisters. Thread-safe. */
void udrm_syncobj_set_sync_file_ops(
	const struct udrm_syncobj_sync_file_ops *ops);

/* The ioctls (core/ioctl.c's table), as the kernel's drm_syncobj_*_ioctl. */
int udrm_syncobj_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file);
int udrm_syncobj_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file);
int udrm_syncobj_handle_to_fd_ioctl(struct udrm_device *dev, void *data,
				    struct udrm_file *file);
int udrm_syncobj_fd_to_handle_ioctl(struct udrm_device *dev, void *data,
				    struct udrm_file *file);
int udrm_syncobj_transfer_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file);
int udrm_syncobj_wait_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file);
int udrm_syncobj_timeline_wait_ioctl(struct udrm_device *dev, void *data,
				     struct udrm_file *file);
int udrm_syncobj_eventfd_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file);
int udrm_syncobj_reset_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file);
int udrm_syncobj_signal_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file);
int udrm_syncobj_timeline_signal_ioctl(struct udrm_device *dev, void *data,
				       struct udrm_file *file);
int udrm_syncobj_query_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file);

#endif
