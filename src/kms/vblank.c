// SPDX-License-Identifier: MIT
/*
 * Vblank: a timer thread per active CRTC ticking at the mode's refresh
 * rate, the vblank count and time, and the events waiting for a count
 * (flip completions, WAIT_VBLANK and CRTC_QUEUE_SEQUENCE), as the kernel's
 * drm_vblank.c with vkms's hrtimer.
 *
 * Events are sent under the vblank lock (file close clears their file
 * under it too), after their out-fence signalled and their commit was
 * told (which takes the commit worker's lock under the vblank lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_internal.h"
#include "core/device.h"
#include "core/event.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"
#include "sync/dma_fence.h"

#define NSEC_PER_SEC 1000000000ull
/* Used when a mode has no usable timings: 60 Hz. */
#define VBLANK_DEFAULT_PERIOD_NS 16666667ull
/* A blocking WAIT_VBLANK gives up after 3 s, as the kernel (-EBUSY). */
#define VBLANK_WAIT_TIMEOUT_NS (3 * NSEC_PER_SEC)

static uint64_t ts_to_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};
	return ts;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_to_ns(&ts);
}

struct udrm_pending_event *udrm_pending_event_alloc(void)
{
	return calloc(1, sizeof(struct udrm_pending_event));
}

void udrm_pending_event_free(struct udrm_pending_event *e)
{
	if (!e)
		return;
	if (e->file)
		udrm_event_cancel(e->file, e->event.base.length);
	udrm_fence_put(e->fence);
	if (e->commit)
		udrm_commit_put(e->commit);
	free(e);
}

void udrm_vblank_init(struct udrm_crtc *crtc)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	pthread_condattr_t attr;

	memset(vbl, 0, sizeof(*vbl));
	pthread_mutex_init(&vbl->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vbl->cond, &attr);
	pthread_condattr_destroy(&attr);
	clock_gettime(CLOCK_MONOTONIC, &vbl->time);
}

/* Fills @e's record for @count at @time and sends it if its file is still
 * there. Caller holds the vblank lock. */
static void event_send_locked(struct udrm_crtc *crtc,
			      struct udrm_pending_event *e, uint64_t count,
			      const struct timespec *time)
{
	if (e->is_sequence) {
		e->event.seq.sequence = count;
		e->event.seq.time_ns = (int64_t)ts_to_ns(time);
	} else {
		e->event.vbl.sequence = (uint32_t)count;
		e->event.vbl.tv_sec = (uint32_t)time->tv_sec;
		e->event.vbl.tv_usec = (uint32_t)(time->tv_nsec / 1000);
		e->event.vbl.crtc_id = crtc->base.id;
	}
	/* As drm_send_event_helper(): the fence and the commit know of the
	 * flip before the program can read about it. */
	if (e->fence) {
		udrm_fence_signal_timestamp(e->fence, ts_to_ns(time));
		udrm_fence_put(e->fence);
		e->fence = NULL;
	}
	if (e->commit) {
		udrm_commit_flip_marker_done(e->commit);
		udrm_commit_put(e->commit);
		e->commit = NULL;
	}
	if (e->file) {
		/* The send consumes the reservation, even when it fails. */
		udrm_event_send(e->file, &e->event.base);
		e->file = NULL;
	}
}

/* Frees the sent events of list @list, without the vblank lock. */
static void events_finish(struct udrm_pending_event *list)
{
	struct udrm_pending_event *e, *next;

	for (e = list; e; e = next) {
		next = e->next;
		udrm_pending_event_free(e);
	}
}

/* Takes the events due at vbl->count off the list and sends them; returns
 * them in order for events_finish(). Caller holds the vblank lock. */
static struct udrm_pending_event *events_take_due_locked(struct udrm_crtc *crtc,
							 bool all)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	struct udrm_pending_event *due = NULL, **tail = &due;
	struct udrm_pending_event **p = &vbl->events, *e;

	while ((e = *p)) {
		if (!all && e->sequence > vbl->count) {
			p = &e->next;
			continue;
		}
		*p = e->next;
		e->next = NULL;
		event_send_locked(crtc, e, vbl->count, &vbl->time);
		*tail = e;
		tail = &e->next;
	}
	return due;
}

static void *vblank_thread(void *arg)
{
	struct udrm_crtc *crtc = arg;
	struct udrm_vblank *vbl = &crtc->vblank;
	struct udrm_pending_event *due;
	struct timespec deadline, time;
	uint64_t next, now, count, missed;

	pthread_mutex_lock(&vbl->lock);
	next = ts_to_ns(&vbl->time);
	while (!vbl->stop) {
		/* Deadlines follow the first one: the rate does not drift. */
		next += vbl->period_ns;
		deadline = ns_to_ts(next);
		while (!vbl->stop &&
		       pthread_cond_timedwait(&vbl->cond, &vbl->lock,
					      &deadline) != ETIMEDOUT)
			;
		if (vbl->stop)
			break;
		/* Ticks lost to a stopped process still count, as vkms's
		 * hrtimer_forward_now() overruns. */
		now = now_ns();
		missed = now > next ? (now - next) / vbl->period_ns : 0;
		next += missed * vbl->period_ns;
		vbl->count += 1 + missed;
		vbl->time = ns_to_ts(next);
		count = vbl->count;
		time = vbl->time;
		due = events_take_due_locked(crtc, false);
		pthread_cond_broadcast(&vbl->cond);
		pthread_mutex_unlock(&vbl->lock);

		events_finish(due);
		if (crtc->funcs && crtc->funcs->vblank)
			crtc->funcs->vblank(crtc, count, &time);
		pthread_mutex_lock(&vbl->lock);
	}
	pthread_mutex_unlock(&vbl->lock);
	return NULL;
}

/* Caller holds the vblank lock; the timer is enabled. */
static int vblank_thread_start_locked(struct udrm_crtc *crtc)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	int ret;

	vbl->stop = false;
	ret = pthread_create(&vbl->thread, NULL, vblank_thread, crtc);
	vbl->thread_running = !ret;
	return -ret;
}

void udrm_crtc_vblank_on(struct udrm_crtc *crtc,
			 const struct drm_mode_modeinfo *mode)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	uint64_t period = mode ? udrm_mode_frame_ns(mode) : 0;

	pthread_mutex_lock(&vbl->lock);
	vbl->period_ns = period ? period : VBLANK_DEFAULT_PERIOD_NS;
	if (!vbl->enabled) {
		vbl->enabled = true;
		/* The count goes on from where it stopped; the next tick is
		 * one period from now. */
		clock_gettime(CLOCK_MONOTONIC, &vbl->time);
		vblank_thread_start_locked(crtc);
	}
	pthread_cond_broadcast(&vbl->cond);
	pthread_mutex_unlock(&vbl->lock);
}

void udrm_crtc_vblank_off(struct udrm_crtc *crtc)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	struct udrm_pending_event *due;
	bool join;

	pthread_mutex_lock(&vbl->lock);
	vbl->enabled = false;
	vbl->stop = true;
	join = vbl->thread_running;
	vbl->thread_running = false;
	pthread_cond_broadcast(&vbl->cond);
	pthread_mutex_unlock(&vbl->lock);
	if (join)
		pthread_join(vbl->thread, NULL);

	/* drm_crtc_vblank_off(): whatever waited is sent with the last
	 * count. */
	pthread_mutex_lock(&vbl->lock);
	due = events_take_due_locked(crtc, true);
	pthread_mutex_unlock(&vbl->lock);
	events_finish(due);
}

void udrm_vblank_fini(struct udrm_crtc *crtc)
{
	udrm_crtc_vblank_off(crtc);
	pthread_cond_destroy(&crtc->vblank.cond);
	pthread_mutex_destroy(&crtc->vblank.lock);
}

uint64_t udrm_crtc_vblank_count(struct udrm_crtc *crtc, struct timespec *time)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	uint64_t count;

	pthread_mutex_lock(&vbl->lock);
	count = vbl->count;
	if (time)
		*time = vbl->time;
	pthread_mutex_unlock(&vbl->lock);
	return count;
}

bool udrm_crtc_vblank_enabled(struct udrm_crtc *crtc)
{
	bool enabled;

	pthread_mutex_lock(&crtc->vblank.lock);
	enabled = crtc->vblank.enabled;
	pthread_mutex_unlock(&crtc->vblank.lock);
	return enabled;
}

/* Sends @e now if its count passed, else queues it. Caller holds the
 * vblank lock; returns whether it was sent (finish it after unlocking). */
static bool vblank_queue_event_locked(struct udrm_crtc *crtc,
				      struct udrm_pending_event *e)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	struct udrm_pending_event **p;

	if (e->sequence <= vbl->count) {
		event_send_locked(crtc, e, vbl->count, &vbl->time);
		return true;
	}
	for (p = &vbl->events; *p; p = &(*p)->next)
		;
	e->next = NULL;
	*p = e;
	return false;
}

void udrm_crtc_arm_vblank_event(struct udrm_crtc *crtc,
				struct udrm_pending_event *e)
{
	struct udrm_vblank *vbl = &crtc->vblank;
	bool sent;

	pthread_mutex_lock(&vbl->lock);
	/* A CRTC that is off flips at once, as drm_crtc_send_vblank_event
	 * when drm_crtc_vblank_get fails. */
	e->sequence = vbl->enabled ? vbl->count + 1 : vbl->count;
	sent = vblank_queue_event_locked(crtc, e);
	pthread_mutex_unlock(&vbl->lock);
	if (sent)
		events_finish(e);
}

void udrm_vblank_file_close(struct udrm_kms *kms, struct udrm_file *file)
{
	struct udrm_pending_event *e;
	unsigned int i;

	for (i = 0; i < kms->num_crtc; i++) {
		struct udrm_crtc *crtc = kms->crtcs[i];

		/* A committed flip event not armed yet lives in the
		 * current state until the commit's tail arms it. */
		if (crtc->state && crtc->state->event &&
		    crtc->state->event->file == file)
			crtc->state->event->file = NULL;
		pthread_mutex_lock(&crtc->vblank.lock);
		for (e = crtc->vblank.events; e; e = e->next)
			if (e->file == file)
				e->file = NULL;
		pthread_mutex_unlock(&crtc->vblank.lock);
	}
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

/* The CRTC with lease-relative index @index for @file (drm_wait_vblank's
 * pipe conversion). Caller holds kms->lock. */
static struct udrm_crtc *crtc_by_lease_index(struct udrm_kms *kms,
					     struct udrm_file *file,
					     unsigned int index)
{
	unsigned int i;

	for (i = 0; i < kms->num_crtc; i++) {
		if (!udrm_lease_held(file, kms->crtcs[i]->base.id))
			continue;
		if (index-- == 0)
			return kms->crtcs[i];
	}
	return NULL;
}

static struct udrm_crtc *crtc_find(struct udrm_kms *kms, struct udrm_file *file,
				   uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_CRTC);
	return obj ? (struct udrm_crtc *)obj : NULL;
}

/* widen_32_to_64(): the 64-bit count nearest @now with low bits @seq. */
static uint64_t widen_32_to_64(uint32_t seq, uint64_t now)
{
	return now + (int32_t)(seq - (uint32_t)now);
}

static void wait_vblank_reply(struct drm_wait_vblank_reply *reply,
			      uint64_t count, const struct timespec *time)
{
	reply->sequence = (unsigned int)count;
	reply->tval_sec = time->tv_sec;
	reply->tval_usec = time->tv_nsec / 1000;
}

#define VBLANK_TYPES_MASK (_DRM_VBLANK_ABSOLUTE | _DRM_VBLANK_RELATIVE)
#define VBLANK_FLAGS_MASK                                                      \
	(_DRM_VBLANK_EVENT | _DRM_VBLANK_SIGNAL | _DRM_VBLANK_SECONDARY |      \
	 _DRM_VBLANK_NEXTONMISS)

/* A WAIT_VBLANK/QUEUE_SEQUENCE event reserved on @file. */
static int vblank_event_create(struct udrm_file *file, bool sequence,
			       uint64_t user_data,
			       struct udrm_pending_event **out)
{
	struct udrm_pending_event *e = udrm_pending_event_alloc();
	int ret;

	if (!e)
		return -ENOMEM;
	e->is_sequence = sequence;
	if (sequence) {
		e->event.base.type = DRM_EVENT_CRTC_SEQUENCE;
		e->event.base.length = sizeof(e->event.seq);
		e->event.seq.user_data = user_data;
	} else {
		e->event.base.type = DRM_EVENT_VBLANK;
		e->event.base.length = sizeof(e->event.vbl);
		e->event.vbl.user_data = user_data;
	}
	ret = udrm_event_reserve(file, e->event.base.length);
	if (ret) {
		free(e);
		return ret;
	}
	e->file = file;
	*out = e;
	return 0;
}

int udrm_wait_vblank_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	union drm_wait_vblank *vblwait = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_pending_event *e;
	struct udrm_crtc *crtc;
	struct udrm_vblank *vbl;
	unsigned int type = vblwait->request.type, flags, index;
	uint64_t count, req_seq, end;
	struct timespec time, deadline;
	int ret = 0;

	if (!kms)
		return -EOPNOTSUPP;
	if (type & ~(VBLANK_TYPES_MASK | VBLANK_FLAGS_MASK |
		     _DRM_VBLANK_HIGH_CRTC_MASK))
		return -EINVAL;
	flags = type & VBLANK_FLAGS_MASK;
	if (flags & _DRM_VBLANK_SIGNAL)
		return -EINVAL;
	if (type & _DRM_VBLANK_HIGH_CRTC_MASK)
		index = (type & _DRM_VBLANK_HIGH_CRTC_MASK) >>
			_DRM_VBLANK_HIGH_CRTC_SHIFT;
	else
		index = (flags & _DRM_VBLANK_SECONDARY) ? 1 : 0;

	pthread_mutex_lock(&kms->lock);
	crtc = crtc_by_lease_index(kms, file, index);
	pthread_mutex_unlock(&kms->lock);
	if (!crtc)
		return -EINVAL;
	vbl = &crtc->vblank;

	pthread_mutex_lock(&vbl->lock);
	/* drm_vblank_get() fails while the CRTC is off. */
	if (!vbl->enabled) {
		pthread_mutex_unlock(&vbl->lock);
		return -EINVAL;
	}
	count = vbl->count;
	pthread_mutex_unlock(&vbl->lock);

	if (type & _DRM_VBLANK_RELATIVE) {
		req_seq = count + vblwait->request.sequence;
		vblwait->request.sequence = (unsigned int)req_seq;
		vblwait->request.type &= ~_DRM_VBLANK_RELATIVE;
	} else {
		req_seq = widen_32_to_64(vblwait->request.sequence, count);
	}
	if ((flags & _DRM_VBLANK_NEXTONMISS) && req_seq <= count) {
		req_seq = count + 1;
		vblwait->request.type &= ~_DRM_VBLANK_NEXTONMISS;
		vblwait->request.sequence = (unsigned int)req_seq;
	}

	if (flags & _DRM_VBLANK_EVENT) {
		bool sent;

		ret = vblank_event_create(file, false, vblwait->request.signal,
					  &e);
		if (ret)
			return ret;
		e->sequence = req_seq;
		pthread_mutex_lock(&vbl->lock);
		if (!vbl->enabled) {
			pthread_mutex_unlock(&vbl->lock);
			udrm_pending_event_free(e);
			return -EINVAL;
		}
		count = vbl->count;
		vblwait->reply.sequence =
			(unsigned int)(req_seq <= count ? count : req_seq);
		sent = vblank_queue_event_locked(crtc, e);
		time = vbl->time;
		pthread_mutex_unlock(&vbl->lock);
		if (sent)
			events_finish(e);
		return 0;
	}

	pthread_mutex_lock(&vbl->lock);
	end = now_ns() + VBLANK_WAIT_TIMEOUT_NS;
	while (vbl->enabled && vbl->count < req_seq) {
		/* drm_wait_vblank_ioctl() waits interruptibly. */
		if (udrm_signal_pending()) {
			ret = -EINTR;
			break;
		}
		deadline = ns_to_ts(udrm_sleep_slice(end));
		if (pthread_cond_timedwait(&vbl->cond, &vbl->lock, &deadline) ==
			    ETIMEDOUT &&
		    now_ns() >= end) {
			if (vbl->enabled && vbl->count < req_seq)
				ret = -EBUSY;
			break;
		}
	}
	count = vbl->count;
	time = vbl->time;
	pthread_mutex_unlock(&vbl->lock);
	/* As drm_wait_vblank_ioctl(): an interrupted wait leaves the request,
	 * made absolute, for the caller to retry. */
	if (ret != -EINTR)
		wait_vblank_reply(&vblwait->reply, count, &time);
	return ret;
}

int udrm_crtc_get_sequence_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_crtc_get_sequence *get_seq = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_crtc *crtc;
	struct timespec time;
	bool active;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	crtc = crtc_find(kms, file, get_seq->crtc_id);
	active = crtc && crtc->state && crtc->state->enable;
	pthread_mutex_unlock(&kms->lock);
	if (!crtc)
		return -ENOENT;

	pthread_mutex_lock(&crtc->vblank.lock);
	if (!crtc->vblank.enabled) {
		pthread_mutex_unlock(&crtc->vblank.lock);
		return -EINVAL;
	}
	get_seq->sequence = crtc->vblank.count;
	time = crtc->vblank.time;
	pthread_mutex_unlock(&crtc->vblank.lock);
	get_seq->active = active;
	get_seq->sequence_ns = (__s64)ts_to_ns(&time);
	return 0;
}

int udrm_crtc_queue_sequence_ioctl(struct udrm_device *dev, void *data,
				   struct udrm_file *file)
{
	struct drm_crtc_queue_sequence *queue_seq = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_pending_event *e;
	struct udrm_crtc *crtc;
	uint64_t count, req_seq;
	bool sent;
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	crtc = crtc_find(kms, file, queue_seq->crtc_id);
	pthread_mutex_unlock(&kms->lock);
	if (!crtc)
		return -ENOENT;
	if (queue_seq->flags &
	    ~(DRM_CRTC_SEQUENCE_RELATIVE | DRM_CRTC_SEQUENCE_NEXT_ON_MISS))
		return -EINVAL;

	ret = vblank_event_create(file, true, queue_seq->user_data, &e);
	if (ret)
		return ret;
	pthread_mutex_lock(&crtc->vblank.lock);
	if (!crtc->vblank.enabled) {
		pthread_mutex_unlock(&crtc->vblank.lock);
		udrm_pending_event_free(e);
		return -EINVAL;
	}
	count = crtc->vblank.count;
	req_seq = queue_seq->sequence;
	if (queue_seq->flags & DRM_CRTC_SEQUENCE_RELATIVE)
		req_seq += count;
	if ((queue_seq->flags & DRM_CRTC_SEQUENCE_NEXT_ON_MISS) &&
	    req_seq <= count)
		req_seq = count + 1;
	e->sequence = req_seq;
	queue_seq->sequence = req_seq <= count ? count : req_seq;
	sent = vblank_queue_event_locked(crtc, e);
	pthread_mutex_unlock(&crtc->vblank.lock);
	if (sent)
		events_finish(e);
	return 0;
}

/* ------------------------------------------------------------------ */
/* fork                                                                */

void udrm_kms_atfork_prepare(struct udrm_kms *kms)
{
	unsigned int i;

	pthread_mutex_lock(&kms->lock);
	for (i = 0; i < kms->num_crtc; i++)
		pthread_mutex_lock(&kms->crtcs[i]->vblank.lock);
	udrm_commit_worker_lock(kms);
}

void udrm_kms_atfork_parent(struct udrm_kms *kms)
{
	unsigned int i = kms->num_crtc;

	udrm_commit_worker_unlock(kms);
	while (i--)
		pthread_mutex_unlock(&kms->crtcs[i]->vblank.lock);
	pthread_mutex_unlock(&kms->lock);
}

void udrm_kms_atfork_child(struct udrm_kms *kms)
{
	pthread_condattr_t attr;
	unsigned int i = kms->num_crtc;

	/* Threads other than the forking one are gone: waiters recorded in
	 * the condition variables with them. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	while (i--) {
		struct udrm_vblank *vbl = &kms->crtcs[i]->vblank;

		pthread_cond_init(&vbl->cond, &attr);
		vbl->thread_running = false;
		if (vbl->enabled) {
			clock_gettime(CLOCK_MONOTONIC, &vbl->time);
			vblank_thread_start_locked(kms->crtcs[i]);
		}
		pthread_mutex_unlock(&vbl->lock);
	}
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&kms->commit_cond, NULL);
	udrm_commit_worker_unlock(kms);
	udrm_commit_worker_reset_child(kms);
	pthread_mutex_unlock(&kms->lock);
}
