// SPDX-License-Identifier: MIT
/*
 * vgem fences, as the kernel's drivers/gpu/drm/vgem/vgem_fence.c: a client
 * attaches a fence to a buffer's reservation (so that every importer of
 * the buffer sees it) and signals it later by id; a fence left alone
 * signals itself after the timeout.
 *
 * The timeout is one thread per device (the "timer") that sleeps until the
 * earliest deadline of its pending fences. Locking: timer->lock protects
 * the pending list and the thread state and is a leaf (nothing is taken
 * under it; fences are signalled and put after dropping it), so a fence's
 * release may cancel its timer from any context. Each fence holds a
 * reference to the timer, which therefore outlives the device if fences do.
 * After fork() the child restarts the thread for its copy of the pending
 * fences on the next attach (the lock must not have been held
 * across the fork, as for every udrm lock).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/device.h"
#include "core/file.h"
#include "core/gem.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"
#include "vgem_drm.h"
#include "vgem_drv.h"

struct vgem_fence_timer {
	atomic_int refcount;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC; pending list or @stop */
	uint64_t timeout_ns;
	struct vgem_fence *head, *tail; /* pending, by deadline (lock) */
	pthread_t thread;		/* (lock) valid if @running */
	bool running;			/* (lock) */
	bool stop;			/* (lock) */
	pid_t pid;			/* (lock) process @thread runs in */
};

struct vgem_fence {
	struct udrm_fence base;
	pthread_mutex_t lock;
	struct vgem_fence_timer *timer; /* a reference */
	struct vgem_fence *prev, *next; /* timer->head list (timer lock) */
	bool queued;			/* (timer lock) on the list */
	uint64_t deadline;		/* CLOCK_MONOTONIC ns */
};

static struct vgem_fence *to_vgem_fence(struct udrm_fence *fence)
{
	return (struct vgem_fence *)((char *)fence -
				     offsetof(struct vgem_fence, base));
}

/* ---- the timeout timer ---- */

static void vgem_timer_put(struct vgem_fence_timer *t)
{
	if (atomic_fetch_sub(&t->refcount, 1) != 1)
		return;
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void vgem_timer_unlink_locked(struct vgem_fence_timer *t,
				     struct vgem_fence *f)
{
	if (!f->queued)
		return;
	if (f->prev)
		f->prev->next = f->next;
	else
		t->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->tail = f->prev;
	f->prev = f->next = NULL;
	f->queued = false;
}

/* Keeps the list sorted by deadline; fences mostly arrive in order. */
static void vgem_timer_insert_locked(struct vgem_fence_timer *t,
				     struct vgem_fence *f)
{
	struct vgem_fence *after = t->tail;

	while (after && after->deadline > f->deadline)
		after = after->prev;
	f->prev = after;
	f->next = after ? after->next : t->head;
	if (f->next)
		f->next->prev = f;
	else
		t->tail = f;
	if (after)
		after->next = f;
	else
		t->head = f;
	f->queued = true;
}

/* A reference unless the fence is already being released. */
static bool fence_get_unless_zero(struct udrm_fence *fence)
{
	int n = atomic_load(&fence->refcount);

	while (n > 0)
		if (atomic_compare_exchange_weak(&fence->refcount, &n, n + 1))
			return true;
	return false;
}

static void *vgem_timer_main(void *arg)
{
	struct vgem_fence_timer *t = arg;
	struct vgem_fence *f;
	struct timespec ts;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		f = t->head;
		if (!f) {
			pthread_cond_wait(&t->cond, &t->lock);
			continue;
		}
		if (f->deadline > udrm_fence_now_ns()) {
			ts.tv_sec = (time_t)(f->deadline / 1000000000u);
			ts.tv_nsec = (long)(f->deadline % 1000000000u);
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
			continue;
		}
		vgem_timer_unlink_locked(t, f);
		if (!fence_get_unless_zero(&f->base))
			continue; /* its release is waiting for our lock */
		pthread_mutex_unlock(&t->lock);
		udrm_fence_signal(&f->base);
		udrm_fence_put(&f->base);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* Starts the thread if this process has none yet. Timer lock held. */
static int vgem_timer_start_locked(struct vgem_fence_timer *t)
{
	int ret;

	if (t->running && t->pid == getpid())
		return 0;
	/* After fork() the parent's thread is not ours to join. */
	t->running = false;
	ret = pthread_create(&t->thread, NULL, vgem_timer_main, t);
	if (ret)
		return -ret;
	t->running = true;
	t->pid = getpid();
	return 0;
}

static int vgem_timer_create(uint64_t timeout_ns, struct vgem_fence_timer **out)
{
	struct vgem_fence_timer *t = calloc(1, sizeof(*t));
	pthread_condattr_t attr;

	if (!t)
		return -ENOMEM;
	atomic_init(&t->refcount, 1);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	t->timeout_ns = timeout_ns;
	*out = t;
	return 0;
}

/* Stops the thread (pending fences stay pending) and drops the device's
 * reference. */
static void vgem_timer_stop(struct vgem_fence_timer *t)
{
	bool join;

	pthread_mutex_lock(&t->lock);
	t->stop = true;
	join = t->running && t->pid == getpid();
	t->running = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (join)
		pthread_join(t->thread, NULL);
	vgem_timer_put(t);
}

/* Takes @f off the timer: it will be signalled by its owner instead. */
static void vgem_fence_cancel(struct vgem_fence *f)
{
	pthread_mutex_lock(&f->timer->lock);
	vgem_timer_unlink_locked(f->timer, f);
	pthread_mutex_unlock(&f->timer->lock);
}

/* ---- the fences ---- */

static void vgem_fence_release(struct udrm_fence *fence)
{
	struct vgem_fence *f = to_vgem_fence(fence);

	vgem_fence_cancel(f);
	vgem_timer_put(f->timer);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static const struct udrm_fence_ops vgem_fence_ops = {
	.release = vgem_fence_release,
};

/* A new fence on a context of its own, as the kernel's (each vgem fence is
 * its own timeline), armed to signal after the timeout. */
static int vgem_fence_create(struct vgem_device *vdev, struct vgem_fence **out)
{
	struct vgem_fence_timer *t = vdev->timer;
	struct vgem_fence *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	udrm_fence_init(&f->base, &vgem_fence_ops, &f->lock, vdev->fence_names,
			udrm_fence_context_alloc(1), 1);
	atomic_fetch_add(&t->refcount, 1);
	f->timer = t;
	f->deadline = udrm_fence_now_ns() + t->timeout_ns;

	pthread_mutex_lock(&t->lock);
	ret = vgem_timer_start_locked(t);
	if (!ret) {
		vgem_timer_insert_locked(t, f);
		if (t->head == f)
			pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	if (ret) {
		udrm_fence_put(&f->base);
		return ret;
	}
	*out = f;
	return 0;
}

/* Signals a fence its owner gives up (or failed to publish), dropping the
 * owner's reference. */
static void vgem_fence_finish(struct vgem_fence *f)
{
	vgem_fence_cancel(f);
	udrm_fence_signal(&f->base); /* -EINVAL if it timed out: fine */
	udrm_fence_put(&f->base);
}

int vgem_fence_attach_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_vgem_fence_attach *args = data;
	struct vgem_file *vfile = file->driver_private;
	bool write = args->flags & VGEM_FENCE_WRITE;
	struct udrm_gem_object *obj;
	struct vgem_fence *fence;
	int64_t id;
	int ret;

	if (args->flags & ~(uint32_t)VGEM_FENCE_WRITE)
		return -EINVAL;
	if (args->pad)
		return -EINVAL;
	obj = udrm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = vgem_fence_create(dev->driver_private, &fence);
	if (ret)
		goto out;

	/* A conflicting fence: a writer when reading, anyone when writing.
	 * Serialising is the client's business (wait on the dma-buf). */
	if (!udrm_resv_test_signaled(obj->resv, udrm_resv_usage_rw(write))) {
		ret = -EBUSY;
		goto out_fence;
	}
	ret = udrm_resv_add_fence(obj->resv, &fence->base,
				  write ? UDRM_RESV_USAGE_WRITE
					: UDRM_RESV_USAGE_READ);
	if (ret)
		goto out_fence;

	pthread_mutex_lock(&vfile->fence_lock);
	id = udrm_idr_alloc(&vfile->fences, fence);
	pthread_mutex_unlock(&vfile->fence_lock);
	if (id < 0) {
		ret = (int)id;
		goto out_fence;
	}
	args->out_fence = (uint32_t)id;
	goto out;

out_fence:
	vgem_fence_finish(fence);
out:
	udrm_gem_object_put(obj);
	return ret;
}

int vgem_fence_signal_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_vgem_fence_signal *args = data;
	struct vgem_file *vfile = file->driver_private;
	struct vgem_fence *fence;
	int ret = 0;

	if (args->flags)
		return -EINVAL;
	pthread_mutex_lock(&vfile->fence_lock);
	fence = udrm_idr_find(&vfile->fences, args->fence);
	if (fence)
		udrm_idr_replace(&vfile->fences, args->fence, NULL);
	pthread_mutex_unlock(&vfile->fence_lock);
	if (!fence)
		return -ENOENT;
	/* Signalled already: the timeout got there first. */
	if (udrm_fence_is_signaled(&fence->base))
		ret = -ETIMEDOUT;
	vgem_fence_finish(fence);
	return ret;
}

int vgem_fence_open(struct udrm_device *dev, struct udrm_file *file)
{
	struct vgem_file *vfile = calloc(1, sizeof(*vfile));

	if (!vfile)
		return -ENOMEM;
	pthread_mutex_init(&vfile->fence_lock, NULL);
	udrm_idr_init(&vfile->fences, 1);
	file->driver_private = vfile;
	return 0;
}

void vgem_fence_close(struct udrm_device *dev, struct udrm_file *file)
{
	struct vgem_file *vfile = file->driver_private;
	uint32_t id = 0;
	void *fence;

	/* No ioctl runs on a closing file: no lock needed. */
	while (udrm_idr_next(&vfile->fences, &id, &fence))
		if (fence)
			vgem_fence_finish(fence);
	udrm_idr_destroy(&vfile->fences);
	pthread_mutex_destroy(&vfile->fence_lock);
	free(vfile);
	file->driver_private = NULL;
}

int vgem_fence_device_init(struct udrm_device *dev, uint64_t timeout_ms)
{
	struct vgem_device *vdev = calloc(1, sizeof(*vdev));
	int ret;

	if (!vdev)
		return -ENOMEM;
	vdev->fence_names = udrm_fence_names_create("vgem", "unbound");
	if (!vdev->fence_names) {
		free(vdev);
		return -ENOMEM;
	}
	ret = vgem_timer_create(timeout_ms * 1000000u, &vdev->timer);
	if (ret) {
		udrm_fence_names_put(vdev->fence_names);
		free(vdev);
		return ret;
	}
	dev->driver_private = vdev;
	return 0;
}

void vgem_fence_device_fini(struct udrm_device *dev)
{
	struct vgem_device *vdev = dev->driver_private;

	if (!vdev)
		return;
	vgem_timer_stop(vdev->timer);
	udrm_fence_names_put(vdev->fence_names);
	free(vdev);
	dev->driver_private = NULL;
}
