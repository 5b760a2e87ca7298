// SPDX-License-Identifier: MIT
/*
 * DRM sync objects, binary and timeline, as the kernel's drm_syncobj.c.
 *
 * Host waits sleep on a condition variable that fence callbacks and
 * syncobj updates wake (the kernel's wake_up_process()); waits for a fence
 * to appear (WAIT_FOR_SUBMIT, WAIT_AVAILABLE) queue an entry on the
 * syncobj that replace_fence/add_point complete, as the kernel's
 * syncobj_wait_entry. Opaque syncobj fds are objects of the sync_fd
 * registry (see "Opaque fds" below).
 */
#include "syncobj.h"
#include "waker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/device.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "sync/dma_fence_chain.h"
#include "sync/sync_fd.h"

#define syncobj_container_of(ptr, type, member)                                \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* The kernel's 5 s limit on WAIT_FOR_SUBMIT in drm_syncobj_find_fence(). */
#define SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS 5000000000ull

/* An array copied from user space, refused (NULL: -ENOMEM) past the
 * kernel's kmalloc_array() limit. */
static void *syncobj_array_alloc(uint32_t count, size_t size)
{
	if (!count || size > UDRM_USER_ARRAY_MAX_BYTES / count)
		return NULL;
	return calloc(count, size);
}

/* ---- lists ---- */

static void link_init(struct udrm_syncobj_link *link)
{
	link->next = link->prev = link;
}

static bool link_queued(const struct udrm_syncobj_link *link)
{
	return link->next != link;
}

static void link_add_tail(struct udrm_syncobj_link *head,
			  struct udrm_syncobj_link *link)
{
	link->prev = head->prev;
	link->next = head;
	head->prev->next = link;
	head->prev = link;
}

static void link_del(struct udrm_syncobj_link *link)
{
	link->prev->next = link->next;
	link->next->prev = link->prev;
	link_init(link);
}

/* ---- fence chains (dma_fence_chain.h) ---- */

/*
 * dma_fence_chain_find_seqno(): replaces *fence (a reference) by the chain
 * node of @point, or NULL if that point has signalled and been collected.
 * Point 0 keeps the fence as it is. -EINVAL if the point is not submitted.
 */
static int syncobj_find_seqno(struct udrm_fence **fence, uint64_t point)
{
	return udrm_fence_chain_find_seqno(fence, point);
}

/* ---- the object ---- */

struct syncobj_wait_entry {
	struct udrm_syncobj_link node; /* syncobj->waiters (syncobj lock) */
	struct udrm_waker *waker;
	/* The fence waited for: set before queueing, or while queued by
	 * syncobj_wait_func() under the syncobj lock. A reference. */
	struct udrm_fence *fence;
	struct udrm_fence_cb fence_cb;
	bool cb_added;
	uint64_t point;
};

struct syncobj_eventfd_entry {
	struct udrm_syncobj_link node; /* syncobj->eventfds (syncobj lock) */
	struct udrm_fence *fence;      /* a reference once found */
	struct udrm_fence_cb fence_cb;
	int eventfd; /* our duplicate of the caller's eventfd */
	uint64_t point;
	uint32_t flags;
};

static struct syncobj_wait_entry *wait_entry_of(struct udrm_syncobj_link *l)
{
	return syncobj_container_of(l, struct syncobj_wait_entry, node);
}

static struct syncobj_eventfd_entry *
eventfd_entry_of(struct udrm_syncobj_link *l)
{
	return syncobj_container_of(l, struct syncobj_eventfd_entry, node);
}

/* A fence found for @point in @fence (a reference, or NULL when the point
 * was signalled and collected: the stub then). */
static struct udrm_fence *found_or_stub(struct udrm_fence *fence)
{
	return fence ? fence : udrm_fence_get_stub();
}

/* syncobj_wait_syncobj_func(): with the syncobj lock held, after the
 * fence changed. Completes @wait if its point is there now. */
static void syncobj_wait_func(struct udrm_syncobj *syncobj,
			      struct syncobj_wait_entry *wait)
{
	struct udrm_fence *fence = udrm_fence_get(syncobj->fence);

	if (!fence || syncobj_find_seqno(&fence, wait->point)) {
		udrm_fence_put(fence);
		return;
	}
	wait->fence = found_or_stub(fence);
	link_del(&wait->node);
	udrm_waker_wake(wait->waker);
}

static void eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static void eventfd_entry_free(struct syncobj_eventfd_entry *entry)
{
	close(entry->eventfd);
	udrm_fence_put(entry->fence);
	free(entry);
}

static void eventfd_entry_fence_func(struct udrm_fence *fence,
				     struct udrm_fence_cb *cb)
{
	struct syncobj_eventfd_entry *entry = syncobj_container_of(
		cb, struct syncobj_eventfd_entry, fence_cb);

	(void)fence;
	eventfd_signal(entry->eventfd);
	/* The signaller holds its own reference: this put is never the
	 * last one while the fence's lock is held. */
	eventfd_entry_free(entry);
}

/* syncobj_eventfd_entry_func(): with the syncobj lock held. Once the point
 * is there, the entry leaves the syncobj and either fires (available, or
 * already signalled) or waits on the fence. */
static void eventfd_entry_func(struct udrm_syncobj *syncobj,
			       struct syncobj_eventfd_entry *entry)
{
	struct udrm_fence *fence = udrm_fence_get(syncobj->fence);

	if (!fence)
		return;
	if (syncobj_find_seqno(&fence, entry->point)) {
		udrm_fence_put(fence); /* not submitted yet */
		return;
	}
	link_del(&entry->node);
	entry->fence = found_or_stub(fence);
	if ((entry->flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE) ||
	    udrm_fence_add_callback(entry->fence, &entry->fence_cb,
				    eventfd_entry_fence_func) == -ENOENT) {
		eventfd_signal(entry->eventfd);
		eventfd_entry_free(entry);
	}
}

/* After the fence changed, with the lock held: complete what waits. */
static void syncobj_fence_changed_locked(struct udrm_syncobj *syncobj)
{
	struct udrm_syncobj_link *l, *next;

	for (l = syncobj->waiters.next; l != &syncobj->waiters; l = next) {
		next = l->next;
		syncobj_wait_func(syncobj, wait_entry_of(l));
	}
	for (l = syncobj->eventfds.next; l != &syncobj->eventfds; l = next) {
		next = l->next;
		eventfd_entry_func(syncobj, eventfd_entry_of(l));
	}
}

int udrm_syncobj_create(struct udrm_syncobj **out, uint32_t flags,
			struct udrm_fence *fence)
{
	struct udrm_syncobj *syncobj = calloc(1, sizeof(*syncobj));
	struct udrm_fence *stub;

	if (!syncobj)
		return -ENOMEM;
	atomic_init(&syncobj->refcount, 1);
	pthread_mutex_init(&syncobj->lock, NULL);
	link_init(&syncobj->waiters);
	link_init(&syncobj->eventfds);
	if (flags & DRM_SYNCOBJ_CREATE_SIGNALED) {
		/* drm_syncobj_assign_null_handle() */
		stub = udrm_fence_allocate_private_stub(udrm_fence_now_ns());
		if (!stub) {
			udrm_syncobj_put(syncobj);
			return -ENOMEM;
		}
		udrm_syncobj_replace_fence(syncobj, stub);
		udrm_fence_put(stub);
	}
	if (fence)
		udrm_syncobj_replace_fence(syncobj, fence);
	*out = syncobj;
	return 0;
}

struct udrm_syncobj *udrm_syncobj_get(struct udrm_syncobj *syncobj)
{
	atomic_fetch_add(&syncobj->refcount, 1);
	return syncobj;
}

void udrm_syncobj_put(struct udrm_syncobj *syncobj)
{
	struct udrm_syncobj_link *l;

	if (!syncobj || atomic_fetch_sub(&syncobj->refcount, 1) != 1)
		return;
	/* drm_syncobj_free(): host waits hold references, so only eventfds
	 * still waiting for their point can be left; they never fire. */
	udrm_syncobj_replace_fence(syncobj, NULL);
	while ((l = syncobj->eventfds.next) != &syncobj->eventfds) {
		link_del(l);
		eventfd_entry_free(eventfd_entry_of(l));
	}
	pthread_mutex_destroy(&syncobj->lock);
	free(syncobj);
}

struct udrm_fence *udrm_syncobj_fence_get(struct udrm_syncobj *syncobj)
{
	struct udrm_fence *fence;

	pthread_mutex_lock(&syncobj->lock);
	fence = udrm_fence_get(syncobj->fence);
	pthread_mutex_unlock(&syncobj->lock);
	return fence;
}

void udrm_syncobj_replace_fence(struct udrm_syncobj *syncobj,
				struct udrm_fence *fence)
{
	struct udrm_fence *old;

	udrm_fence_get(fence);
	pthread_mutex_lock(&syncobj->lock);
	old = syncobj->fence;
	syncobj->fence = fence;
	if (fence != old)
		syncobj_fence_changed_locked(syncobj);
	pthread_mutex_unlock(&syncobj->lock);
	udrm_fence_put(old);
}

void udrm_syncobj_add_point_chain(struct udrm_syncobj *syncobj,
				    struct udrm_fence_chain *chain,
				    struct udrm_fence *fence, uint64_t point)
{
	struct udrm_fence *prev, *iter;

	pthread_mutex_lock(&syncobj->lock);
	/* The chain takes over the syncobj's reference to the previous
	 * fence and one to @fence; the syncobj gets the chain's. */
	prev = udrm_fence_get(syncobj->fence);
	udrm_fence_chain_init(chain, syncobj->fence, udrm_fence_get(fence),
			      point);
	syncobj->fence = &chain->base;
	syncobj_fence_changed_locked(syncobj);
	pthread_mutex_unlock(&syncobj->lock);

	/* Walk the chain once to drop signalled links, as the kernel. */
	udrm_fence_chain_for_each(iter, prev);
	udrm_fence_put(prev);
}

int udrm_syncobj_add_point(struct udrm_syncobj *syncobj,
			   struct udrm_fence *fence, uint64_t point)
{
	struct udrm_fence_chain *chain = udrm_fence_chain_alloc();

	if (!chain)
		return -ENOMEM;
	udrm_syncobj_add_point_chain(syncobj, chain, fence, point);
	return 0;
}

/* ---- handles ---- */

void udrm_syncobj_open(struct udrm_file *file)
{
	udrm_idr_init(&file->syncobjs, 1);
}

void udrm_syncobj_release(struct udrm_file *file)
{
	uint32_t handle = 0;
	void *ptr;

	/* The file is closing: nobody else uses its table any more. */
	while (udrm_idr_next(&file->syncobjs, &handle, &ptr))
		udrm_syncobj_put(ptr);
	udrm_idr_destroy(&file->syncobjs);
}

struct udrm_syncobj *udrm_syncobj_find(struct udrm_file *file, uint32_t handle)
{
	struct udrm_syncobj *syncobj;

	pthread_mutex_lock(&file->dev->lock);
	syncobj = udrm_idr_find(&file->syncobjs, handle);
	if (syncobj)
		udrm_syncobj_get(syncobj);
	pthread_mutex_unlock(&file->dev->lock);
	return syncobj;
}

int udrm_syncobj_get_handle(struct udrm_file *file,
			    struct udrm_syncobj *syncobj, uint32_t *handle)
{
	int64_t id;

	udrm_syncobj_get(syncobj);
	pthread_mutex_lock(&file->dev->lock);
	id = udrm_idr_alloc(&file->syncobjs, syncobj);
	pthread_mutex_unlock(&file->dev->lock);
	if (id < 0) {
		udrm_syncobj_put(syncobj);
		return (int)id;
	}
	*handle = (uint32_t)id;
	return 0;
}

static int syncobj_destroy_handle(struct udrm_file *file, uint32_t handle)
{
	struct udrm_syncobj *syncobj;

	pthread_mutex_lock(&file->dev->lock);
	syncobj = udrm_idr_remove(&file->syncobjs, handle);
	pthread_mutex_unlock(&file->dev->lock);
	if (!syncobj)
		return -EINVAL;
	udrm_syncobj_put(syncobj);
	return 0;
}

/* ---- finding fences ---- */

/* drm_syncobj_fence_add_wait(): takes the fence of the point if it is
 * there, else queues @wait to be completed when it appears. */
static void syncobj_add_wait(struct udrm_syncobj *syncobj,
			     struct syncobj_wait_entry *wait)
{
	struct udrm_fence *fence;

	if (wait->fence)
		return;
	pthread_mutex_lock(&syncobj->lock);
	fence = udrm_fence_get(syncobj->fence);
	if (!fence || syncobj_find_seqno(&fence, wait->point)) {
		udrm_fence_put(fence);
		link_add_tail(&syncobj->waiters, &wait->node);
	} else {
		wait->fence = found_or_stub(fence);
	}
	pthread_mutex_unlock(&syncobj->lock);
}

static void syncobj_remove_wait(struct udrm_syncobj *syncobj,
				struct syncobj_wait_entry *wait)
{
	pthread_mutex_lock(&syncobj->lock);
	if (link_queued(&wait->node))
		link_del(&wait->node);
	pthread_mutex_unlock(&syncobj->lock);
}

/* The fence @wait has now (not a reference), reading what a concurrent
 * syncobj_wait_func() may have set. */
static struct udrm_fence *wait_entry_fence(struct udrm_syncobj *syncobj,
					   struct syncobj_wait_entry *wait)
{
	struct udrm_fence *fence;

	pthread_mutex_lock(&syncobj->lock);
	fence = wait->fence;
	pthread_mutex_unlock(&syncobj->lock);
	return fence;
}

int udrm_syncobj_find_fence(struct udrm_file *file, uint32_t handle,
			    uint64_t point, uint64_t flags,
			    struct udrm_fence **fence)
{
	struct udrm_syncobj *syncobj;
	struct syncobj_wait_entry wait;
	struct udrm_waker waker;
	uint64_t deadline;
	bool in_time = true;
	int ret;

	if (flags & ~(uint64_t)DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT)
		return -EINVAL;
	syncobj = udrm_syncobj_find(file, handle);
	if (!syncobj)
		return -ENOENT;

	*fence = udrm_syncobj_fence_get(syncobj);
	if (*fence) {
		ret = syncobj_find_seqno(fence, point);
		if (!ret) {
			/* A signalled, collected point: give a fence that
			 * says so. */
			*fence = found_or_stub(*fence);
			goto out;
		}
		udrm_fence_put(*fence);
		*fence = NULL;
	} else {
		ret = -EINVAL;
	}
	if (!(flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT))
		goto out;

	memset(&wait, 0, sizeof(wait));
	link_init(&wait.node);
	udrm_waker_init(&waker);
	wait.waker = &waker;
	wait.point = point;
	deadline = udrm_fence_now_ns() + SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT_NS;
	syncobj_add_wait(syncobj, &wait);
	for (;;) {
		udrm_waker_arm(&waker);
		if (wait_entry_fence(syncobj, &wait)) {
			ret = 0;
			break;
		}
		if (!in_time) {
			ret = -ETIME;
			break;
		}
		if (udrm_signal_pending()) {
			ret = -EINTR;
			break;
		}
		in_time =
			udrm_waker_sleep(&waker, udrm_sleep_slice(deadline)) ||
			udrm_fence_now_ns() < deadline;
	}
	syncobj_remove_wait(syncobj, &wait);
	*fence = wait.fence;
	udrm_waker_fini(&waker);
out:
	udrm_syncobj_put(syncobj);
	return ret;
}

/* ---- opaque fds ----
 *
 * The kernel's syncobj fd is an anonymous file holding a reference. Here it
 * is an fd of the sync_fd registry (sync_fd.h) whose object holds the
 * reference until every copy of the fd is closed. Any device of the
 * process can import it.
 */

struct syncobj_export {
	struct udrm_sync_fd base;
	struct udrm_syncobj *syncobj; /* a reference */
};

static void syncobj_export_release(struct udrm_sync_fd *sfd)
{
	struct syncobj_export *e =
		syncobj_container_of(sfd, struct syncobj_export, base);

	udrm_syncobj_put(e->syncobj);
	free(e);
}

static const struct udrm_sync_fd_ops syncobj_export_ops = {
	.name = "syncobj_file",
	.release = syncobj_export_release,
};

int udrm_syncobj_get_fd(struct udrm_syncobj *syncobj, int *fd)
{
	struct syncobj_export *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->syncobj = udrm_syncobj_get(syncobj);
	ret = udrm_sync_fd_export(&e->base, &syncobj_export_ops, true, fd);
	if (ret) {
		udrm_syncobj_put(e->syncobj);
		free(e);
		return ret;
	}
	udrm_sync_fd_put(&e->base);
	return 0;
}

/* The syncobj an opaque fd stands for (a reference), or NULL. */
static struct udrm_syncobj *syncobj_from_fd(int fd)
{
	struct udrm_sync_fd *sfd = udrm_sync_fd_lookup(fd, &syncobj_export_ops);
	struct syncobj_export *e;
	struct udrm_syncobj *syncobj;

	if (!sfd)
		return NULL;
	e = syncobj_container_of(sfd, struct syncobj_export, base);
	syncobj = udrm_syncobj_get(e->syncobj);
	udrm_sync_fd_put(sfd);
	return syncobj;
}

/* ---- sync_file interop ---- */

static _Atomic(const struct udrm_syncobj_sync_file_ops *) sync_file_ops;

void udrm_syncobj_set_sync_file_ops(
	const struct udrm_syncobj_sync_file_ops *ops)
{
	atomic_store(&sync_file_ops, ops);
}

static int syncobj_import_sync_file(struct udrm_file *file, int fd,
				    uint32_t handle, uint64_t point)
{
	const struct udrm_syncobj_sync_file_ops *ops =
		atomic_load(&sync_file_ops);
	struct udrm_fence *fence = ops ? ops->import_fence(fd) : NULL;
	struct udrm_syncobj *syncobj;
	int ret = 0;

	if (!fence)
		return -EINVAL;
	syncobj = udrm_syncobj_find(file, handle);
	if (!syncobj) {
		udrm_fence_put(fence);
		return -ENOENT;
	}
	if (point)
		ret = udrm_syncobj_add_point(syncobj, fence, point);
	else
		udrm_syncobj_replace_fence(syncobj, fence);
	udrm_fence_put(fence);
	udrm_syncobj_put(syncobj);
	return ret;
}

static int syncobj_export_sync_file(struct udrm_file *file, uint32_t handle,
				    uint64_t point, int *fd)
{
	const struct udrm_syncobj_sync_file_ops *ops =
		atomic_load(&sync_file_ops);
	struct udrm_fence *fence;
	int ret;

	ret = udrm_syncobj_find_fence(file, handle, point, 0, &fence);
	if (ret)
		return ret;
	/* No sync_file module: as a failed sync_file_create(). */
	ret = ops ? ops->export_fence(fence, fd) : -EINVAL;
	udrm_fence_put(fence);
	return ret;
}

/* ---- ioctls ---- */

int udrm_syncobj_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_syncobj_create *args = data;
	struct udrm_syncobj *syncobj;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ))
		return -EOPNOTSUPP;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_CREATE_SIGNALED)
		return -EINVAL;
	ret = udrm_syncobj_create(&syncobj, args->flags, NULL);
	if (ret)
		return ret;
	ret = udrm_syncobj_get_handle(file, syncobj, &args->handle);
	udrm_syncobj_put(syncobj);
	return ret;
}

int udrm_syncobj_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	struct drm_syncobj_destroy *args = data;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ))
		return -EOPNOTSUPP;
	if (args->pad)
		return -EINVAL;
	return syncobj_destroy_handle(file, args->handle);
}

int udrm_syncobj_handle_to_fd_ioctl(struct udrm_device *dev, void *data,
				    struct udrm_file *file)
{
	struct udrm_drm_syncobj_handle *args = data;
	const uint32_t valid = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE |
			       DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE;
	struct udrm_syncobj *syncobj;
	uint64_t point = 0;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ))
		return -EOPNOTSUPP;
	if (args->pad || (args->flags & ~valid))
		return -EINVAL;
	if (args->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE)
		point = args->point;
	if (args->flags & DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE)
		return syncobj_export_sync_file(file, args->handle, point,
						&args->fd);
	if (point)
		return -EINVAL;
	/* drm_syncobj_handle_to_fd(): an unknown handle is -EINVAL here. */
	syncobj = udrm_syncobj_find(file, args->handle);
	if (!syncobj)
		return -EINVAL;
	ret = udrm_syncobj_get_fd(syncobj, &args->fd);
	udrm_syncobj_put(syncobj);
	return ret;
}

int udrm_syncobj_fd_to_handle_ioctl(struct udrm_device *dev, void *data,
				    struct udrm_file *file)
{
	struct udrm_drm_syncobj_handle *args = data;
	const uint32_t valid = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE |
			       DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
	struct udrm_syncobj *syncobj;
	uint64_t point = 0;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ))
		return -EOPNOTSUPP;
	if (args->pad || (args->flags & ~valid))
		return -EINVAL;
	if (args->flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE)
		point = args->point;
	if (args->flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE)
		return syncobj_import_sync_file(file, args->fd, args->handle,
						point);
	if (point)
		return -EINVAL;
	syncobj = syncobj_from_fd(args->fd);
	if (!syncobj)
		return -EINVAL;
	ret = udrm_syncobj_get_handle(file, syncobj, &args->handle);
	udrm_syncobj_put(syncobj);
	return ret;
}

static int syncobj_transfer_to_timeline(struct udrm_file *file,
					struct drm_syncobj_transfer *args)
{
	struct udrm_syncobj *timeline;
	struct udrm_fence *fence;
	int ret;

	timeline = udrm_syncobj_find(file, args->dst_handle);
	if (!timeline)
		return -ENOENT;
	ret = udrm_syncobj_find_fence(file, args->src_handle, args->src_point,
				      args->flags, &fence);
	if (ret)
		goto out;
	/* The kernel flattens the fence (dma_fence_unwrap_merge()) so that
	 * no chain holds another; the node found signals exactly when that
	 * flattened set does, so it is added as it is. */
	ret = udrm_syncobj_add_point(timeline, fence, args->dst_point);
	udrm_fence_put(fence);
out:
	udrm_syncobj_put(timeline);
	return ret;
}

static int syncobj_transfer_to_binary(struct udrm_file *file,
				      struct drm_syncobj_transfer *args)
{
	struct udrm_syncobj *binary;
	struct udrm_fence *fence;
	int ret;

	binary = udrm_syncobj_find(file, args->dst_handle);
	if (!binary)
		return -ENOENT;
	ret = udrm_syncobj_find_fence(file, args->src_handle, args->src_point,
				      args->flags, &fence);
	if (!ret) {
		udrm_syncobj_replace_fence(binary, fence);
		udrm_fence_put(fence);
	}
	udrm_syncobj_put(binary);
	return ret;
}

int udrm_syncobj_transfer_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_syncobj_transfer *args = data;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ_TIMELINE))
		return -EOPNOTSUPP;
	if (args->pad)
		return -EINVAL;
	if (args->dst_point)
		return syncobj_transfer_to_timeline(file, args);
	return syncobj_transfer_to_binary(file, args);
}

/* drm_syncobj_array_find(): references to the syncobjs of @count handles
 * at user address @user_handles. */
static int syncobj_array_find(struct udrm_file *file, uint64_t user_handles,
			      uint32_t count, struct udrm_syncobj ***out)
{
	struct udrm_syncobj **syncobjs;
	uint32_t *handles, i;
	int ret;

	handles = syncobj_array_alloc(count, sizeof(*handles));
	if (!handles)
		return -ENOMEM;
	if (udrm_copy_from_user(file, handles, user_handles,
				(size_t)count * sizeof(*handles))) {
		ret = -EFAULT;
		goto err_free_handles;
	}
	syncobjs = syncobj_array_alloc(count, sizeof(*syncobjs));
	if (!syncobjs) {
		ret = -ENOMEM;
		goto err_free_handles;
	}
	for (i = 0; i < count; i++) {
		syncobjs[i] = udrm_syncobj_find(file, handles[i]);
		if (!syncobjs[i]) {
			ret = -ENOENT;
			goto err_put;
		}
	}
	free(handles);
	*out = syncobjs;
	return 0;

err_put:
	while (i-- > 0)
		udrm_syncobj_put(syncobjs[i]);
	free(syncobjs);
err_free_handles:
	free(handles);
	return ret;
}

static void syncobj_array_free(struct udrm_syncobj **syncobjs, uint32_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		udrm_syncobj_put(syncobjs[i]);
	free(syncobjs);
}

/* @count points from user address @user_points (0: all zero). */
static int syncobj_copy_points(struct udrm_file *file, uint64_t user_points,
			       uint32_t count, uint64_t **out)
{
	uint64_t *points = syncobj_array_alloc(count, sizeof(*points));

	if (!points)
		return -ENOMEM;
	if (user_points &&
	    udrm_copy_from_user(file, points, user_points,
				(size_t)count * sizeof(*points))) {
		free(points);
		return -EFAULT;
	}
	*out = points;
	return 0;
}

static void syncobj_wait_fence_func(struct udrm_fence *fence,
				    struct udrm_fence_cb *cb)
{
	struct syncobj_wait_entry *wait =
		syncobj_container_of(cb, struct syncobj_wait_entry, fence_cb);

	(void)fence;
	udrm_waker_wake(wait->waker);
}

/* When a wait that starts now gives up: false for a poll. As the kernel's
 * drm_timeout_abs_to_jiffies(), 0 and any time not after now only poll. */
static bool syncobj_deadline(int64_t timeout_nsec, uint64_t *deadline)
{
	uint64_t now = udrm_fence_now_ns();

	if (timeout_nsec <= 0 || (uint64_t)timeout_nsec <= now)
		return false;
	*deadline = (uint64_t)timeout_nsec;
	return true;
}

/* drm_syncobj_array_wait_timeout(): 0 or -errno; *idx gets the first
 * signalled index. */
static int syncobj_array_wait_timeout(struct udrm_file *file,
				      struct udrm_syncobj **syncobjs,
				      uint64_t user_points, uint32_t count,
				      uint32_t flags, int64_t timeout_nsec,
				      uint32_t *idx, const uint64_t *deadline)
{
	const uint32_t submit = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	const bool available = flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	const bool wait_all = flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	struct syncobj_wait_entry *entries;
	struct udrm_waker waker;
	struct udrm_fence *fence;
	uint32_t signaled, i;
	uint64_t *points, until = 0;
	bool in_time;
	int ret;

	ret = syncobj_copy_points(file, user_points, count, &points);
	if (ret)
		return ret;
	entries = syncobj_array_alloc(count, sizeof(*entries));
	if (!entries) {
		free(points);
		return -ENOMEM;
	}
	udrm_waker_init(&waker);

	/* Find every fence up front so that a missing one is -EINVAL
	 * before anything waits. */
	signaled = 0;
	for (i = 0; i < count; i++) {
		entries[i].waker = &waker;
		entries[i].point = points[i];
		link_init(&entries[i].node);
		fence = udrm_syncobj_fence_get(syncobjs[i]);
		if (!fence || syncobj_find_seqno(&fence, points[i])) {
			udrm_fence_put(fence);
			if (flags & submit)
				continue;
			ret = -EINVAL;
			goto cleanup;
		}
		entries[i].fence = found_or_stub(fence);
		if (available || udrm_fence_is_signaled(entries[i].fence)) {
			if (signaled == 0 && idx)
				*idx = i;
			signaled++;
		}
	}
	if (signaled == count || (signaled > 0 && !wait_all))
		goto cleanup;

	if (flags & submit)
		for (i = 0; i < count; i++)
			syncobj_add_wait(syncobjs[i], &entries[i]);
	if (deadline) {
		for (i = 0; i < count; i++) {
			fence = wait_entry_fence(syncobjs[i], &entries[i]);
			if (fence)
				udrm_fence_set_deadline(fence, *deadline);
		}
	}

	in_time = syncobj_deadline(timeout_nsec, &until);
	for (;;) {
		udrm_waker_arm(&waker);
		signaled = 0;
		for (i = 0; i < count; i++) {
			struct syncobj_wait_entry *e = &entries[i];

			fence = wait_entry_fence(syncobjs[i], e);
			if (!fence)
				continue;
			if (!available && !udrm_fence_is_signaled(fence)) {
				if (e->cb_added)
					continue;
				if (!udrm_fence_add_callback(
					    fence, &e->fence_cb,
					    syncobj_wait_fence_func)) {
					e->cb_added = true;
					continue;
				}
			}
			/* Signalled (or available) */
			if (wait_all) {
				signaled++;
			} else {
				if (idx)
					*idx = i;
				goto cleanup;
			}
		}
		if (signaled == count)
			goto cleanup;
		if (!in_time) {
			ret = -ETIME;
			goto cleanup;
		}
		if (udrm_signal_pending()) {
			ret = -EINTR;
			goto cleanup;
		}
		in_time = udrm_waker_sleep(&waker, udrm_sleep_slice(until)) ||
			  udrm_fence_now_ns() < until;
	}

cleanup:
	for (i = 0; i < count; i++) {
		syncobj_remove_wait(syncobjs[i], &entries[i]);
		if (entries[i].cb_added)
			udrm_fence_remove_callback(entries[i].fence,
						   &entries[i].fence_cb);
		udrm_fence_put(entries[i].fence);
	}
	udrm_waker_fini(&waker);
	free(entries);
	free(points);
	return ret;
}

static int syncobj_wait_common(struct udrm_device *dev, struct udrm_file *file,
			       uint32_t feature, uint32_t possible_flags,
			       uint64_t user_handles, uint64_t user_points,
			       uint32_t count, uint32_t flags,
			       int64_t timeout_nsec, uint64_t deadline_nsec,
			       uint32_t *first_signaled)
{
	struct udrm_syncobj **syncobjs;
	uint32_t first = ~0u;
	int ret;

	if (!udrm_core_check_feature(dev, feature))
		return -EOPNOTSUPP;
	if (flags & ~possible_flags)
		return -EINVAL;
	/* Current kernels accept an empty wait (older ones gave -EINVAL). */
	if (count == 0)
		return 0;
	ret = syncobj_array_find(file, user_handles, count, &syncobjs);
	if (ret)
		return ret;
	ret = syncobj_array_wait_timeout(
		file, syncobjs, user_points, count, flags, timeout_nsec, &first,
		(flags & DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE) ? &deadline_nsec
							       : NULL);
	if (!ret)
		*first_signaled = first;
	syncobj_array_free(syncobjs, count);
	return ret;
}

int udrm_syncobj_wait_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct udrm_drm_syncobj_wait *args = data;

	return syncobj_wait_common(
		dev, file, UDRM_FEAT_SYNCOBJ,
		DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
			DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
			DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE,
		args->handles, 0, args->count_handles, args->flags,
		args->timeout_nsec, args->deadline_nsec, &args->first_signaled);
}

int udrm_syncobj_timeline_wait_ioctl(struct udrm_device *dev, void *data,
				     struct udrm_file *file)
{
	struct udrm_drm_syncobj_timeline_wait *args = data;

	return syncobj_wait_common(
		dev, file, UDRM_FEAT_SYNCOBJ_TIMELINE,
		DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL |
			DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
			DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE |
			DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE,
		args->handles, args->points, args->count_handles, args->flags,
		args->timeout_nsec, args->deadline_nsec, &args->first_signaled);
}

/* eventfd_ctx_fdget(): a duplicate of eventfd @fd; -EBADF for a bad fd,
 * -EINVAL for anything but an eventfd. */
static int syncobj_eventfd_get(int fd)
{
	char path[64], target[64];
	ssize_t n;
	int dup;

	int local;

	if (udrm_fd_get(fd, &local))
		return -EBADF;
	dup = fcntl(local, F_DUPFD_CLOEXEC, 0);
	udrm_fd_put(fd, local);
	if (dup < 0)
		return errno == EBADF ? -EBADF : -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dup);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (size_t)n != strlen("anon_inode:[eventfd]") ||
	    memcmp(target, "anon_inode:[eventfd]", (size_t)n) != 0) {
		close(dup);
		return -EINVAL;
	}
	return dup;
}

int udrm_syncobj_eventfd_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	struct udrm_drm_syncobj_eventfd *args = data;
	struct syncobj_eventfd_entry *entry;
	struct udrm_syncobj *syncobj;
	int ret, efd;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ_TIMELINE))
		return -EOPNOTSUPP;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE)
		return -EINVAL;
	if (args->pad)
		return -EINVAL;
	syncobj = udrm_syncobj_find(file, args->handle);
	if (!syncobj)
		return -ENOENT;
	efd = syncobj_eventfd_get(args->fd);
	if (efd < 0) {
		ret = efd;
		goto out;
	}
	entry = calloc(1, sizeof(*entry));
	if (!entry) {
		close(efd);
		ret = -ENOMEM;
		goto out;
	}
	link_init(&entry->node);
	entry->eventfd = efd;
	entry->point = args->point;
	entry->flags = args->flags;
	/* drm_syncobj_add_eventfd() */
	pthread_mutex_lock(&syncobj->lock);
	link_add_tail(&syncobj->eventfds, &entry->node);
	eventfd_entry_func(syncobj, entry);
	pthread_mutex_unlock(&syncobj->lock);
	ret = 0;
out:
	udrm_syncobj_put(syncobj);
	return ret;
}

/* RESET and SIGNAL share their checks. */
static int syncobj_array_ioctl_find(struct udrm_device *dev,
				    struct drm_syncobj_array *args,
				    struct udrm_file *file,
				    struct udrm_syncobj ***syncobjs)
{
	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ))
		return -EOPNOTSUPP;
	if (args->pad != 0 || args->count_handles == 0)
		return -EINVAL;
	return syncobj_array_find(file, args->handles, args->count_handles,
				  syncobjs);
}

int udrm_syncobj_reset_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file)
{
	struct drm_syncobj_array *args = data;
	struct udrm_syncobj **syncobjs;
	uint32_t i;
	int ret;

	ret = syncobj_array_ioctl_find(dev, args, file, &syncobjs);
	if (ret)
		return ret;
	for (i = 0; i < args->count_handles; i++)
		udrm_syncobj_replace_fence(syncobjs[i], NULL);
	syncobj_array_free(syncobjs, args->count_handles);
	return 0;
}

int udrm_syncobj_signal_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_syncobj_array *args = data;
	struct udrm_syncobj **syncobjs;
	struct udrm_fence *stub;
	uint32_t i;
	int ret;

	ret = syncobj_array_ioctl_find(dev, args, file, &syncobjs);
	if (ret)
		return ret;
	for (i = 0; i < args->count_handles; i++) {
		/* drm_syncobj_assign_null_handle() */
		stub = udrm_fence_allocate_private_stub(udrm_fence_now_ns());
		if (!stub) {
			ret = -ENOMEM;
			break;
		}
		udrm_syncobj_replace_fence(syncobjs[i], stub);
		udrm_fence_put(stub);
	}
	syncobj_array_free(syncobjs, args->count_handles);
	return ret;
}

int udrm_syncobj_timeline_signal_ioctl(struct udrm_device *dev, void *data,
				       struct udrm_file *file)
{
	struct drm_syncobj_timeline_array *args = data;
	struct udrm_fence_chain **chains;
	struct udrm_syncobj **syncobjs;
	struct udrm_fence *stub;
	uint64_t *points;
	uint32_t i, j;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ_TIMELINE))
		return -EOPNOTSUPP;
	if (args->flags != 0 || args->count_handles == 0)
		return -EINVAL;
	ret = syncobj_array_find(file, args->handles, args->count_handles,
				 &syncobjs);
	if (ret)
		return ret;
	ret = syncobj_copy_points(file, args->points, args->count_handles,
				  &points);
	if (ret)
		goto out;
	/* Every node first, so that signalling is all or nothing. */
	chains = syncobj_array_alloc(args->count_handles, sizeof(*chains));
	if (!chains) {
		ret = -ENOMEM;
		goto err_points;
	}
	for (i = 0; i < args->count_handles; i++) {
		chains[i] = udrm_fence_chain_alloc();
		if (!chains[i]) {
			for (j = 0; j < i; j++)
				udrm_fence_chain_free(chains[j]);
			ret = -ENOMEM;
			goto err_chains;
		}
	}
	stub = udrm_fence_get_stub();
	for (i = 0; i < args->count_handles; i++)
		udrm_syncobj_add_point_chain(syncobjs[i], chains[i], stub,
					points[i]);
	udrm_fence_put(stub);
err_chains:
	free(chains);
err_points:
	free(points);
out:
	syncobj_array_free(syncobjs, args->count_handles);
	return ret;
}

/* The QUERY value of a syncobj: the last signalled point of its timeline,
 * or the last submitted one with @last_submitted; 0 for a binary fence. */
static uint64_t syncobj_query_point(struct udrm_syncobj *syncobj,
				    bool last_submitted)
{
	struct udrm_fence *fence = udrm_syncobj_fence_get(syncobj);
	struct udrm_fence *iter, *last;
	uint64_t point = 0;

	if (!fence || !udrm_fence_to_chain(fence))
		goto out;
	if (last_submitted) {
		point = fence->seqno;
		goto out;
	}
	/* Walk to the oldest unsignalled node of the same timeline; the
	 * walk drops signalled nodes as it goes. */
	last = udrm_fence_get(fence);
	udrm_fence_chain_for_each(iter, fence)
	{
		if (iter->context != fence->context) {
			udrm_fence_put(iter); /* points out of order */
			break;
		}
		udrm_fence_put(last);
		last = udrm_fence_get(iter);
	}
	point = udrm_fence_is_signaled(last)
			? last->seqno
			: udrm_fence_to_chain(last)->prev_seqno;
	udrm_fence_put(last);
out:
	udrm_fence_put(fence);
	return point;
}

int udrm_syncobj_query_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file)
{
	struct drm_syncobj_timeline_array *args = data;
	struct udrm_syncobj **syncobjs;
	uint64_t point;
	uint32_t i;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ_TIMELINE))
		return -EOPNOTSUPP;
	if (args->flags & ~(uint32_t)DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED)
		return -EINVAL;
	if (args->count_handles == 0)
		return -EINVAL;
	ret = syncobj_array_find(file, args->handles, args->count_handles,
				 &syncobjs);
	if (ret)
		return ret;
	for (i = 0; i < args->count_handles; i++) {
		point = syncobj_query_point(
			syncobjs[i],
			args->flags & DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED);
		if (udrm_copy_to_user(
			    file, args->points + (uint64_t)i * sizeof(point),
			    &point, sizeof(point))) {
			ret = -EFAULT;
			break;
		}
	}
	syncobj_array_free(syncobjs, args->count_handles);
	return ret;
}
