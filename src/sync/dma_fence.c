// SPDX-License-Identifier: MIT
/*
 * udrm_fence: one-shot completion events on timelines, with the semantics
 * of the kernel's drivers/dma-buf/dma-fence.c (see dma_fence.h for the
 * ownership and locking contract).
 *
 * The SIGNALED flag is set with an atomic read-modify-write under the fence
 * lock, after the error is final, so a lock-free reader that sees the flag
 * may read the error. The timestamp is published by the TIMESTAMP flag.
 */
#include "sync/dma_fence.h"
#include "sync/waker.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FENCE_MAX_ERRNO 4095
/* How often a wait re-asks ops->signaled of a fence that cannot call back. */
#define FENCE_POLL_NS 1000000ull

/* Context 0 belongs to the stub fences. */
static atomic_uint_fast64_t fence_context_counter = 1;

static const char fence_unknown_name[] = "unknown";

uint64_t udrm_fence_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct udrm_fence_names *udrm_fence_names_create(const char *driver,
						 const char *timeline)
{
	struct udrm_fence_names *names = calloc(1, sizeof(*names));

	if (!names)
		return NULL;
	names->driver = strdup(driver ? driver : fence_unknown_name);
	names->timeline = strdup(timeline ? timeline : fence_unknown_name);
	if (!names->driver || !names->timeline) {
		free(names->driver);
		free(names->timeline);
		free(names);
		return NULL;
	}
	atomic_init(&names->refcount, 1);
	return names;
}

/**
 * udrm_fence_names_get - takes a reference on @names (NULL-safe).
 * Returns @names. The caller must already hold a reference.
 */
struct udrm_fence_names *udrm_fence_names_get(struct udrm_fence_names *names)
{
	if (names)
		atomic_fetch_add_explicit(&names->refcount, 1,
					  memory_order_relaxed);
	return names;
}

/**
 * udrm_fence_names_put - drops a reference on @names (NULL-safe), freeing
 * the strings with the last one.
 */
void udrm_fence_names_put(struct udrm_fence_names *names)
{
	if (!names || atomic_fetch_sub_explicit(&names->refcount, 1,
						memory_order_acq_rel) != 1)
		return;
	free(names->driver);
	free(names->timeline);
	free(names);
}

/**
 * udrm_fence_context_alloc - reserves @n consecutive fence contexts.
 * Returns the first; contexts are never reused. Thread-safe.
 */
uint64_t udrm_fence_context_alloc(unsigned int n)
{
	return atomic_fetch_add(&fence_context_counter, n);
}

static void fence_cb_init(struct udrm_fence_cb *cb)
{
	cb->next = cb;
	cb->prev = cb;
}

static bool fence_cb_queued(const struct udrm_fence_cb *cb)
{
	return cb->next && cb->next != cb;
}

static void fence_cb_unlink(struct udrm_fence_cb *cb)
{
	cb->prev->next = cb->next;
	cb->next->prev = cb->prev;
	fence_cb_init(cb);
}

/**
 * udrm_fence_init - initialises @fence with one reference, unsignalled.
 * @lock: the producer's lock shared by the fences of a timeline, or NULL
 * for the fence's own. @names is referenced, not consumed.
 */
void udrm_fence_init(struct udrm_fence *fence, const struct udrm_fence_ops *ops,
		     pthread_mutex_t *lock, struct udrm_fence_names *names,
		     uint64_t context, uint64_t seqno)
{
	fence->ops = ops;
	fence->names = udrm_fence_names_get(names);
	if (lock) {
		fence->lock = lock;
	} else {
		pthread_mutex_init(&fence->own_lock, NULL);
		fence->lock = &fence->own_lock;
	}
	fence->context = context;
	fence->seqno = seqno;
	atomic_init(&fence->flags, 0);
	atomic_init(&fence->refcount, 1);
	fence->error = 0;
	fence->timestamp = 0;
	fence_cb_init(&fence->cb_list);
}

/**
 * udrm_fence_get - takes a reference on @fence (NULL-safe). Returns @fence.
 * The caller must already hold a reference.
 */
struct udrm_fence *udrm_fence_get(struct udrm_fence *fence)
{
	if (fence)
		atomic_fetch_add_explicit(&fence->refcount, 1,
					  memory_order_relaxed);
	return fence;
}

static void fence_release(struct udrm_fence *fence)
{
	struct udrm_fence_names *names = fence->names;

	/*
	 * Waiters always hold a reference, so callbacks still queued on an
	 * unsignalled fence belong to a broken producer or consumer: complete
	 * them with -EDEADLK rather than leave them dangling, as the kernel.
	 */
	if (fence_cb_queued(&fence->cb_list) &&
	    !(atomic_load(&fence->flags) & UDRM_FENCE_FLAG_SIGNALED)) {
		pthread_mutex_lock(fence->lock);
		fence->error = -EDEADLK;
		udrm_fence_signal_locked(fence);
		pthread_mutex_unlock(fence->lock);
	}
	if (fence->lock == &fence->own_lock)
		pthread_mutex_destroy(&fence->own_lock);
	if (fence->ops && fence->ops->release)
		fence->ops->release(fence);
	else
		free(fence);
	udrm_fence_names_put(names);
}

/**
 * udrm_fence_put - drops a reference on @fence (NULL-safe); the last one
 * releases it (ops->release, or free()). Must not be called with the
 * fence's lock held if it may be the last reference.
 */
void udrm_fence_put(struct udrm_fence *fence)
{
	if (fence && atomic_fetch_sub_explicit(&fence->refcount, 1,
					       memory_order_acq_rel) == 1)
		fence_release(fence);
}

/**
 * udrm_fence_signal_timestamp_locked - signals @fence as of @timestamp_ns
 * and runs its callbacks, in the order they were added.
 * Returns 0, or -EINVAL if it had signalled already. Caller holds the lock.
 */
int udrm_fence_signal_timestamp_locked(struct udrm_fence *fence,
				       uint64_t timestamp_ns)
{
	struct udrm_fence_cb list, *cb;

	if (atomic_fetch_or(&fence->flags, UDRM_FENCE_FLAG_SIGNALED) &
	    UDRM_FENCE_FLAG_SIGNALED)
		return -EINVAL;

	fence->timestamp = timestamp_ns;
	atomic_fetch_or(&fence->flags, UDRM_FENCE_FLAG_TIMESTAMP);

	/* Detach the list: callbacks see themselves as no longer queued. */
	if (!fence_cb_queued(&fence->cb_list))
		return 0;
	list.next = fence->cb_list.next;
	list.prev = fence->cb_list.prev;
	list.next->prev = &list;
	list.prev->next = &list;
	fence_cb_init(&fence->cb_list);

	while (list.next != &list) {
		cb = list.next;
		fence_cb_unlink(cb);
		cb->func(fence, cb);
	}
	return 0;
}

/**
 * udrm_fence_signal_locked - signals @fence now and runs its callbacks.
 * Returns 0, or -EINVAL if it had signalled already. Caller holds the lock.
 */
int udrm_fence_signal_locked(struct udrm_fence *fence)
{
	return udrm_fence_signal_timestamp_locked(fence, udrm_fence_now_ns());
}

/**
 * udrm_fence_signal_timestamp - signals @fence as of @timestamp_ns
 * (CLOCK_MONOTONIC) and runs its callbacks. Returns 0, or -EINVAL if it had
 * signalled already. Caller must not hold the fence lock.
 */
int udrm_fence_signal_timestamp(struct udrm_fence *fence, uint64_t timestamp_ns)
{
	int ret;

	if (!fence)
		return -EINVAL;
	pthread_mutex_lock(fence->lock);
	ret = udrm_fence_signal_timestamp_locked(fence, timestamp_ns);
	pthread_mutex_unlock(fence->lock);
	return ret;
}

/**
 * udrm_fence_signal - signals @fence now and runs its callbacks.
 * Returns 0, or -EINVAL if it had signalled already. Caller must not hold
 * the fence lock.
 */
int udrm_fence_signal(struct udrm_fence *fence)
{
	return udrm_fence_signal_timestamp(fence, udrm_fence_now_ns());
}

/**
 * udrm_fence_set_error - records @error (a negative errno) to report when
 * @fence signals. Returns 0, or -EINVAL if it has signalled already or
 * @error is not a negative errno. Caller must not hold the fence lock.
 */
int udrm_fence_set_error(struct udrm_fence *fence, int error)
{
	int ret = 0;

	if (error >= 0 || error < -FENCE_MAX_ERRNO)
		return -EINVAL;
	pthread_mutex_lock(fence->lock);
	if (atomic_load(&fence->flags) & UDRM_FENCE_FLAG_SIGNALED)
		ret = -EINVAL;
	else
		fence->error = error;
	pthread_mutex_unlock(fence->lock);
	return ret;
}

static bool fence_flag_signaled(const struct udrm_fence *fence)
{
	return atomic_load(&fence->flags) & UDRM_FENCE_FLAG_SIGNALED;
}

/**
 * udrm_fence_is_signaled - true once @fence has signalled. Asks
 * ops->signaled of a pending fence and signals it if the producer is done,
 * so the caller must not hold the fence lock (see _locked below).
 */
bool udrm_fence_is_signaled(struct udrm_fence *fence)
{
	if (fence_flag_signaled(fence))
		return true;
	if (fence->ops && fence->ops->signaled && fence->ops->signaled(fence)) {
		udrm_fence_signal(fence);
		return true;
	}
	return false;
}

/**
 * udrm_fence_is_signaled_locked - udrm_fence_is_signaled() for a caller
 * that holds the fence lock.
 */
bool udrm_fence_is_signaled_locked(struct udrm_fence *fence)
{
	if (fence_flag_signaled(fence))
		return true;
	if (fence->ops && fence->ops->signaled && fence->ops->signaled(fence)) {
		udrm_fence_signal_locked(fence);
		return true;
	}
	return false;
}

/**
 * udrm_fence_get_status - 0 while @fence is pending, 1 once it signalled
 * without error, or the negative errno it signalled with. Lock-free (may
 * signal through ops->signaled): caller must not hold the fence lock.
 */
int udrm_fence_get_status(struct udrm_fence *fence)
{
	if (!udrm_fence_is_signaled(fence))
		return 0;
	return fence->error ? fence->error : 1;
}

/**
 * udrm_fence_timestamp - the CLOCK_MONOTONIC time @fence signalled at, or 0
 * while that is not known yet.
 */
uint64_t udrm_fence_timestamp(const struct udrm_fence *fence)
{
	if (!(atomic_load(&fence->flags) & UDRM_FENCE_FLAG_TIMESTAMP))
		return 0;
	return fence->timestamp;
}

/*
 * Calls ops->enable_signaling the first time, signalling the fence if it
 * reports completion. Returns true while the fence is pending, so that a
 * callback may be queued. Caller holds the fence lock.
 */
static bool fence_enable_signaling_locked(struct udrm_fence *fence)
{
	unsigned int was =
		atomic_fetch_or(&fence->flags, UDRM_FENCE_FLAG_ENABLE_SIGNAL);

	if (was & UDRM_FENCE_FLAG_SIGNALED)
		return false;
	if (!(was & UDRM_FENCE_FLAG_ENABLE_SIGNAL) && fence->ops &&
	    fence->ops->enable_signaling &&
	    !fence->ops->enable_signaling(fence)) {
		udrm_fence_signal_locked(fence);
		return false;
	}
	return true;
}

/**
 * udrm_fence_enable_sw_signaling - asks the producer to report completion
 * through udrm_fence_signal() (ops->enable_signaling, called once).
 * Caller must not hold the fence lock.
 */
void udrm_fence_enable_sw_signaling(struct udrm_fence *fence)
{
	pthread_mutex_lock(fence->lock);
	fence_enable_signaling_locked(fence);
	pthread_mutex_unlock(fence->lock);
}

/**
 * udrm_fence_add_callback - queues @cb to run @func when @fence signals,
 * enabling signalling. Returns 0 if queued; -ENOENT if the fence has
 * signalled already (@func is not called, @cb is left unqueued); -EINVAL
 * for a NULL @func. Caller must not hold the fence lock.
 */
int udrm_fence_add_callback(struct udrm_fence *fence, struct udrm_fence_cb *cb,
			    udrm_fence_func_t func)
{
	int ret = 0;

	if (!fence || !cb || !func)
		return -EINVAL;
	cb->func = func;
	fence_cb_init(cb);
	if (fence_flag_signaled(fence))
		return -ENOENT;

	pthread_mutex_lock(fence->lock);
	if (fence_enable_signaling_locked(fence)) {
		cb->next = &fence->cb_list;
		cb->prev = fence->cb_list.prev;
		cb->prev->next = cb;
		fence->cb_list.prev = cb;
	} else {
		ret = -ENOENT;
	}
	pthread_mutex_unlock(fence->lock);
	return ret;
}

/**
 * udrm_fence_remove_callback - unqueues @cb from @fence. Returns true if it
 * was queued (and so will never run), false if it ran or was never queued.
 * On return @cb is not running, so its memory may be reused. Caller must
 * not hold the fence lock.
 */
bool udrm_fence_remove_callback(struct udrm_fence *fence,
				struct udrm_fence_cb *cb)
{
	bool queued;

	pthread_mutex_lock(fence->lock);
	queued = fence_cb_queued(cb);
	if (queued)
		fence_cb_unlink(cb);
	pthread_mutex_unlock(fence->lock);
	return queued;
}

/* A fence callback that wakes a waiting thread. */
struct fence_waiter_cb {
	struct udrm_fence_cb base;
	struct udrm_waker *waiter;
};

static void fence_waiter_wake(struct udrm_fence *fence,
			      struct udrm_fence_cb *cb)
{
	udrm_waker_wake(((struct fence_waiter_cb *)cb)->waiter);
}

/* Sleeps until woken or @deadline (UINT64_MAX: never), or @poll_ns passed
 * (0: no polling). */
static void fence_waiter_sleep(struct udrm_waker *w, uint64_t deadline,
			       uint64_t poll_ns)
{
	uint64_t until = deadline;

	if (poll_ns) {
		uint64_t next = udrm_fence_now_ns() + poll_ns;

		if (next < until)
			until = next;
	}
	udrm_waker_sleep(w, until);
}

static uint64_t fence_deadline(uint64_t timeout_ns)
{
	uint64_t now = udrm_fence_now_ns();

	if (timeout_ns == UINT64_MAX || timeout_ns > UINT64_MAX - 1 - now)
		return UINT64_MAX;
	return now + timeout_ns;
}

/* The remaining time to report for a wait that succeeded. */
static int64_t fence_remaining(uint64_t deadline)
{
	uint64_t now;

	if (deadline == UINT64_MAX)
		return INT64_MAX;
	now = udrm_fence_now_ns();
	if (now >= deadline)
		return 1;
	if (deadline - now > INT64_MAX)
		return INT64_MAX;
	return (int64_t)(deadline - now);
}

/* Producers without enable_signaling only tell through ops->signaled. */
static bool fence_needs_polling(const struct udrm_fence *fence)
{
	return fence->ops && fence->ops->signaled &&
	       !fence->ops->enable_signaling;
}

/*
 * Waits for any (@wait_any) or all of @fences until @deadline. Returns the
 * remaining time, 0 on timeout or -ENOMEM; *@idx gets the first signalled
 * fence's index for @wait_any.
 */
static int64_t fence_wait_deadline(struct udrm_fence **fences,
				   unsigned int count, bool wait_any,
				   uint64_t deadline, unsigned int *idx)
{
	struct fence_waiter_cb *cbs;
	struct udrm_waker waiter;
	unsigned int i, first;
	uint64_t poll_ns = 0;
	bool done = false;

	/* Fast path, and the only path for a zero timeout. */
	for (i = 0; i < count; i++) {
		if (udrm_fence_is_signaled(fences[i])) {
			if (wait_any) {
				if (idx)
					*idx = i;
				return fence_remaining(deadline);
			}
		} else if (!wait_any) {
			break;
		}
	}
	if (!wait_any && i == count)
		return fence_remaining(deadline);
	if (udrm_fence_now_ns() >= deadline)
		return 0;

	cbs = calloc(count, sizeof(*cbs));
	if (!cbs)
		return -ENOMEM;
	udrm_waker_init(&waiter);
	first = count;
	for (;;) {
		for (i = 0; i < count; i++) {
			if (cbs[i].waiter)
				continue;
			cbs[i].waiter = &waiter;
			if (udrm_fence_add_callback(fences[i], &cbs[i].base,
						    fence_waiter_wake) < 0) {
				if (wait_any) {
					first = i;
					break;
				}
				continue;
			}
			if (fence_needs_polling(fences[i]))
				poll_ns = FENCE_POLL_NS;
			if (!wait_any)
				break; /* one at a time: sleep on it */
		}
		if (first < count)
			break;
		if (!wait_any && i == count) {
			done = true;
			break;
		}
		/* The callbacks are queued: sleep until one runs. */
		fence_waiter_sleep(&waiter, deadline, poll_ns);
		udrm_waker_arm(&waiter);
		for (i = 0; i < count; i++) {
			if (!udrm_fence_is_signaled(fences[i])) {
				if (!wait_any)
					break;
				continue;
			}
			if (wait_any) {
				first = i;
				break;
			}
		}
		if (first < count)
			break;
		if (!wait_any && i == count) {
			done = true;
			break;
		}
		if (udrm_fence_now_ns() >= deadline)
			break;
		/* For "all", add the callback on the next pending fence. */
	}
	/* After removal no callback runs, so the waiter may go. */
	for (i = 0; i < count; i++)
		if (cbs[i].waiter)
			udrm_fence_remove_callback(fences[i], &cbs[i].base);
	udrm_waker_fini(&waiter);
	free(cbs);

	if (first < count) {
		if (idx)
			*idx = first;
		return fence_remaining(deadline);
	}
	return done ? fence_remaining(deadline) : 0;
}

/**
 * udrm_fence_wait_timeout - sleeps until @fence signals or @timeout_ns
 * (relative; UINT64_MAX: for ever) passes, enabling signalling.
 * Returns the remaining time (at least 1, INT64_MAX when waiting for ever)
 * if it signalled, 0 on timeout. @intr is accepted for the kernel's
 * signature: an in-process wait is not interrupted by POSIX signals (the
 * caller's ioctl layer restarts or bounds it), so -EINTR is never
 * returned. Caller must hold a reference and no fence lock.
 */
int64_t udrm_fence_wait_timeout(struct udrm_fence *fence, bool intr,
				uint64_t timeout_ns)
{
	return fence_wait_deadline(&fence, 1, true, fence_deadline(timeout_ns),
				   NULL);
}

/**
 * udrm_fence_wait - sleeps until @fence signals. Returns 0 (see
 * udrm_fence_wait_timeout() for @intr). Caller must hold a reference.
 */
int udrm_fence_wait(struct udrm_fence *fence, bool intr)
{
	int64_t ret = udrm_fence_wait_timeout(fence, intr, UINT64_MAX);

	return ret < 0 ? (int)ret : 0;
}

/**
 * udrm_fence_wait_many - sleeps until any (@wait_any) or all of @fences
 * have signalled or @timeout_ns passed, with the contract of
 * udrm_fence_wait_timeout(); *@idx gets the index of the first signalled
 * fence when @wait_any. -EINVAL for no fences, -ENOMEM if the waiter
 * could not be allocated.
 */
int64_t udrm_fence_wait_many(struct udrm_fence **fences, unsigned int count,
			     bool wait_any, bool intr, uint64_t timeout_ns,
			     unsigned int *idx)
{
	unsigned int i;

	if (!fences || !count)
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (!fences[i])
			return -EINVAL;
	return fence_wait_deadline(fences, count, wait_any,
				   fence_deadline(timeout_ns), idx);
}

/**
 * udrm_fence_set_deadline - tells the producer of a pending @fence that a
 * consumer needs it by @deadline_ns (CLOCK_MONOTONIC). A hint only.
 */
void udrm_fence_set_deadline(struct udrm_fence *fence, uint64_t deadline_ns)
{
	if (fence->ops && fence->ops->set_deadline &&
	    !udrm_fence_is_signaled(fence))
		fence->ops->set_deadline(fence, deadline_ns);
}

/**
 * udrm_fence_seqno_later - true if seqno @a comes after @b on @fence's
 * context: 64-bit comparison with ops->use_64bit_seqno, else the low 32
 * bits with wrap-around (a is later if less than 2^31 ahead).
 */
bool udrm_fence_seqno_later(const struct udrm_fence *fence, uint64_t a,
			    uint64_t b)
{
	if (fence->ops && fence->ops->use_64bit_seqno)
		return a > b;
	return (int32_t)((uint32_t)a - (uint32_t)b) > 0;
}

/**
 * udrm_fence_is_later - true if @f1 comes after @f2 on their common
 * context; false for fences of different contexts.
 */
bool udrm_fence_is_later(const struct udrm_fence *f1,
			 const struct udrm_fence *f2)
{
	if (f1->context != f2->context)
		return false;
	return udrm_fence_seqno_later(f1, f1->seqno, f2->seqno);
}

static void fence_stub_release(struct udrm_fence *fence)
{
	/* The stub is static; its own reference is never dropped. */
}

static const struct udrm_fence_ops fence_stub_ops = {
	.release = fence_stub_release,
};

static struct udrm_fence_names fence_stub_names = {
	.refcount = 1,
	.driver = "stub",
	.timeline = "stub",
};

static struct udrm_fence fence_stub;
static pthread_once_t fence_stub_once = PTHREAD_ONCE_INIT;

static void fence_stub_init(void)
{
	udrm_fence_init(&fence_stub, &fence_stub_ops, NULL, &fence_stub_names,
			0, 0);
	udrm_fence_signal(&fence_stub);
}

/**
 * udrm_fence_get_stub - the shared, always-signalled fence (context 0,
 * seqno 0), signalled at its first use. Returns a reference.
 */
struct udrm_fence *udrm_fence_get_stub(void)
{
	pthread_once(&fence_stub_once, fence_stub_init);
	return udrm_fence_get(&fence_stub);
}

/**
 * udrm_fence_allocate_private_stub - a new fence of its own context,
 * already signalled as of @timestamp_ns. Returns a reference, or NULL if
 * out of memory.
 */
struct udrm_fence *udrm_fence_allocate_private_stub(uint64_t timestamp_ns)
{
	struct udrm_fence *fence = malloc(sizeof(*fence));

	if (!fence)
		return NULL;
	udrm_fence_init(fence, NULL, NULL, &fence_stub_names,
			udrm_fence_context_alloc(1), 0);
	udrm_fence_signal_timestamp(fence, timestamp_ns);
	return fence;
}

/**
 * udrm_fence_driver_name - the name of @fence's driver, valid while the
 * caller holds a reference; "unknown" when none was given.
 */
const char *udrm_fence_driver_name(const struct udrm_fence *fence)
{
	return fence->names ? fence->names->driver : fence_unknown_name;
}

/**
 * udrm_fence_timeline_name - the name of @fence's timeline, valid while the
 * caller holds a reference; "unknown" when none was given.
 */
const char *udrm_fence_timeline_name(const struct udrm_fence *fence)
{
	return fence->names ? fence->names->timeline : fence_unknown_name;
}
