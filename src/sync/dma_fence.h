/* SPDX-License-Identifier: MIT */
/*
 * udrm_fence: a one-shot completion event on a timeline, as the kernel's
 * struct dma_fence (drivers/dma-buf/dma-fence.c).
 *
 * A producer embeds a fence in its own object, gives it ops, a context (one
 * per timeline, from udrm_fence_context_alloc()) and a seqno that increases
 * along the context, and later signals it, optionally with an error set
 * before. Consumers take references, poll the status, add callbacks or wait.
 *
 * Ownership: reference counted (udrm_fence_get/put, atomic); the last put
 * calls ops->release (or frees the fence with free() when release is NULL,
 * for fences allocated on their own). A fence may outlive its producer:
 * the driver and timeline names live in a refcounted udrm_fence_names that
 * each fence holds, so they stay safe to read until the fence's last put.
 *
 * Locking: each fence has a lock (the producer may share one lock among
 * the fences of a timeline, as the kernel does). It protects the callback
 * list, the error and the signalled transition. Callbacks run with the
 * fence's lock held, on whichever thread signals (a producer thread, a
 * waiter calling udrm_fence_is_signaled(), a timer): a callback must be
 * short, must not block, and must not call anything that takes the same
 * fence's lock (add/remove callback on it, signal it, set its error). It
 * may take references, signal *other* fences, write an eventfd, or wake a
 * condition variable.
 *
 * Lock order: containers that wait on other fences (chain, array) hold
 * their own lock while adding callbacks to the fences they contain
 * (enable_signaling), so a callback must never take the lock of such a
 * container, nor call udrm_fence_is_signaled() on one (that may signal
 * it): chains and arrays defer their own signalling to the fence
 * worker (fence_work.h), as the kernel defers it to irq_work. A callback
 * may take the lock of a plain dependent fence (one whose enable_signaling
 * takes no other fence's lock), as the scheduler's finished fence does.
 */
#ifndef UDRM_SYNC_DMA_FENCE_H
#define UDRM_SYNC_DMA_FENCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct udrm_fence;
struct udrm_fence_cb;

typedef void (*udrm_fence_func_t)(struct udrm_fence *fence,
				  struct udrm_fence_cb *cb);

/* A callback slot, embedded in the waiter's object. */
struct udrm_fence_cb {
	struct udrm_fence_cb *next, *prev; /* fence->cb_list (fence lock) */
	udrm_fence_func_t func;
};

/* Names of a fence's driver and timeline, shared and reference counted. */
struct udrm_fence_names {
	atomic_int refcount;
	char *driver;
	char *timeline;
};

/* New names (copied); one reference for the caller. NULL on ENOMEM. */
struct udrm_fence_names *udrm_fence_names_create(const char *driver,
						 const char *timeline);
struct udrm_fence_names *udrm_fence_names_get(struct udrm_fence_names *names);
void udrm_fence_names_put(struct udrm_fence_names *names);

struct udrm_fence_ops {
	/* Called once, the first time someone needs to know when the fence
	 * signals (a callback, a wait). Return false if the fence has
	 * signalled already. Called with the fence lock held. Optional. */
	bool (*enable_signaling)(struct udrm_fence *fence);
	/* Polls the hardware/producer: true if done. Optional; without it
	 * only udrm_fence_signal() signals. Called without the lock. */
	bool (*signaled)(struct udrm_fence *fence);
	/* A consumer needs the fence by @deadline_ns (CLOCK_MONOTONIC). */
	void (*set_deadline)(struct udrm_fence *fence, uint64_t deadline_ns);
	/* Frees the container when the last reference goes. Optional. */
	void (*release)(struct udrm_fence *fence);
	/* Seqnos compare as 64-bit numbers (else 32-bit with wrap-around). */
	bool use_64bit_seqno;
};

enum udrm_fence_flag {
	UDRM_FENCE_FLAG_SIGNALED = 1u << 0,
	UDRM_FENCE_FLAG_TIMESTAMP = 1u << 1,
	UDRM_FENCE_FLAG_ENABLE_SIGNAL = 1u << 2,
	UDRM_FENCE_FLAG_USER_BITS = 1u << 8, /* free for the producer */
};

struct udrm_fence {
	const struct udrm_fence_ops *ops;
	struct udrm_fence_names *names; /* a reference */
	pthread_mutex_t *lock;		/* the producer's, or &own_lock */
	pthread_mutex_t own_lock;
	uint64_t context;
	uint64_t seqno;
	atomic_uint flags; /* enum udrm_fence_flag */
	atomic_int refcount;
	int error;	    /* (lock) 0 or -errno, set before signalling */
	uint64_t timestamp; /* CLOCK_MONOTONIC ns, valid once signalled */
	struct udrm_fence_cb cb_list; /* (lock) list head */
};

/* @n new consecutive contexts; returns the first. Thread-safe. */
uint64_t udrm_fence_context_alloc(unsigned int n);

/*
 * Initialises @fence with one reference. @lock may be NULL (the fence uses
 * its own). @names is referenced (not consumed); NULL means "unknown".
 */
void udrm_fence_init(struct udrm_fence *fence, const struct udrm_fence_ops *ops,
		     pthread_mutex_t *lock, struct udrm_fence_names *names,
		     uint64_t context, uint64_t seqno);

struct udrm_fence *udrm_fence_get(struct udrm_fence *fence); /* NULL-safe */
void udrm_fence_put(struct udrm_fence *fence);		     /* NULL-safe */

/* Signals with the current CLOCK_MONOTONIC time (or @timestamp_ns) and runs
 * the callbacks. -EINVAL if it had already signalled. */
int udrm_fence_signal(struct udrm_fence *fence);
int udrm_fence_signal_timestamp(struct udrm_fence *fence,
				uint64_t timestamp_ns);
/* As above with the fence lock already held by the caller. */
int udrm_fence_signal_locked(struct udrm_fence *fence);
int udrm_fence_signal_timestamp_locked(struct udrm_fence *fence,
				       uint64_t timestamp_ns);

/* Records an error (-errno, non-zero) to report once signalled. Only before
 * signalling; -EINVAL afterwards or for a bad value. */
int udrm_fence_set_error(struct udrm_fence *fence, int error);

/* True once signalled (asking ops->signaled, which may signal it). */
bool udrm_fence_is_signaled(struct udrm_fence *fence);
/* The same with the fence lock held by the caller. */
bool udrm_fence_is_signaled_locked(struct udrm_fence *fence);
/* 0 pending, 1 signalled without error, or the -errno it was given. */
int udrm_fence_get_status(struct udrm_fence *fence);
/* The CLOCK_MONOTONIC ns it signalled at; 0 until known. */
uint64_t udrm_fence_timestamp(const struct udrm_fence *fence);

/* Asks the producer to report completion (ops->enable_signaling), once. */
void udrm_fence_enable_sw_signaling(struct udrm_fence *fence);

/* Calls @func once the fence signals. 0 if added; -ENOENT if the fence has
 * signalled already (@func is NOT called); -EINVAL for a NULL func. */
int udrm_fence_add_callback(struct udrm_fence *fence, struct udrm_fence_cb *cb,
			    udrm_fence_func_t func);
/* True if @cb was removed before running; false if it ran or is not
 * queued. When it returns, @cb is not running. */
bool udrm_fence_remove_callback(struct udrm_fence *fence,
				struct udrm_fence_cb *cb);

/*
 * Waits until the fence signals or @timeout_ns (relative; UINT64_MAX for
 * ever) passes. Returns the remaining time (> 0; at least 1 if signalled,
 * INT64_MAX when waiting for ever), 0 on timeout. @intr is accepted for
 * the kernel's signature but in-process waits are not interrupted by
 * POSIX signals: -EINTR is never returned. A zero timeout only polls.
 * Fences whose ops have ->signaled but no ->enable_signaling are polled
 * every millisecond while waiting.
 */
int64_t udrm_fence_wait_timeout(struct udrm_fence *fence, bool intr,
				uint64_t timeout_ns);
/* udrm_fence_wait_timeout() for ever: 0 once signalled. */
int udrm_fence_wait(struct udrm_fence *fence, bool intr);
/* Waits for any/all of @fences with the same contract; *idx (if not NULL)
 * gets the index of the first signalled fence for @wait_any. -EINVAL for
 * an empty set, -ENOMEM when out of memory. */
int64_t udrm_fence_wait_many(struct udrm_fence **fences, unsigned int count,
			     bool wait_any, bool intr, uint64_t timeout_ns,
			     unsigned int *idx);

/* Forwards a deadline hint to the producer. */
void udrm_fence_set_deadline(struct udrm_fence *fence, uint64_t deadline_ns);

/* @f1 is later on the same context than @f2 (32-bit wrap unless 64-bit). */
bool udrm_fence_is_later(const struct udrm_fence *f1,
			 const struct udrm_fence *f2);
bool udrm_fence_seqno_later(const struct udrm_fence *fence, uint64_t a,
			    uint64_t b);

/* A shared, always-signalled fence (a reference). */
struct udrm_fence *udrm_fence_get_stub(void);
/* A new signalled fence with @timestamp_ns (a reference; ENOMEM: NULL). */
struct udrm_fence *udrm_fence_allocate_private_stub(uint64_t timestamp_ns);

/* Names, safe for the fence's lifetime. "unknown" when none were given. */
const char *udrm_fence_driver_name(const struct udrm_fence *fence);
const char *udrm_fence_timeline_name(const struct udrm_fence *fence);

uint64_t udrm_fence_now_ns(void);

#endif
