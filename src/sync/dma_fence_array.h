/* SPDX-License-Identifier: MIT */
/*
 * udrm_fence_array: one fence standing for several, signalled when all of
 * them (or any one) have signalled, as the kernel's struct dma_fence_array
 * (drivers/dma-buf/dma-fence-array.c). sync_file merges are built of it.
 *
 * The array reports the first error any of its fences signalled with,
 * observed before the array itself signals.
 *
 * Ownership: a udrm_fence (get/put). It owns the fences[] array (from
 * malloc) and one reference to each fence in it.
 *
 * Locking: base.lock is array->lock, private to this module. It is held
 * while callbacks are added to the contained fences (enable_signaling);
 * the callbacks never take it: the array signals from the fence worker.
 */
#ifndef UDRM_SYNC_DMA_FENCE_ARRAY_H
#define UDRM_SYNC_DMA_FENCE_ARRAY_H

#include "sync/dma_fence.h"
#include "sync/fence_work.h"

struct udrm_fence_array;

struct udrm_fence_array_cb {
	struct udrm_fence_cb cb;
	struct udrm_fence_array *array;
};

struct udrm_fence_array {
	struct udrm_fence base;
	pthread_mutex_t lock; /* base.lock */
	unsigned int num_fences;
	struct udrm_fence **fences; /* owned, a reference each */
	atomic_int num_pending;	    /* signals to wait for (any: 1) */
	atomic_int pending_error;   /* first error until frozen (see .c) */
	struct udrm_fence_work work;
	struct udrm_fence_array_cb callbacks[]; /* one per fence */
};

extern const struct udrm_fence_ops udrm_fence_array_ops;

/*
 * A fence on (@context, @seqno) that signals when all @num_fences @fences
 * have signalled, or any one with @signal_on_any. On success takes over
 * @fences (a malloc'd array) and the references in it, and returns a
 * reference to the array; NULL (nothing taken) when out of memory or for
 * @num_fences == 0.
 */
struct udrm_fence_array *
udrm_fence_array_create(unsigned int num_fences, struct udrm_fence **fences,
			uint64_t context, uint64_t seqno, bool signal_on_any);

/* @fence as an array, or NULL if it is not one. */
struct udrm_fence_array *udrm_fence_to_array(struct udrm_fence *fence);

/* True if @fence (or, for an array, every fence in it) is on @context. */
bool udrm_fence_match_context(struct udrm_fence *fence, uint64_t context);

/* Iteration over the fences of @head when it is an array, or @head alone:
 * the @index-th fence, NULL past the end. No reference is taken. */
struct udrm_fence *udrm_fence_array_at(struct udrm_fence *head,
				       unsigned int index);

#endif
