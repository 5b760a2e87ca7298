// SPDX-License-Identifier: MIT
/*
 * Fence arrays: one fence for many, with the semantics of the kernel's
 * drivers/dma-buf/dma-fence-array.c (see dma_fence_array.h).
 *
 * The first error is collected in pending_error, which starts OPEN and
 * takes the first negative error by compare-and-swap. When the array is
 * about to signal it is frozen (OPEN becomes 0), so errors of fences that
 * signal later (signal_on_any) are not reported.
 */
#include "sync/dma_fence_array.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#define ARRAY_ERROR_OPEN 1

static struct udrm_fence_names array_names = {
	.refcount = 1, /* never dropped: static */
	.driver = "dma_fence_array",
	.timeline = "unbound",
};

/**
 * udrm_fence_to_array - @fence as an array, or NULL (also for NULL).
 */
struct udrm_fence_array *udrm_fence_to_array(struct udrm_fence *fence)
{
	if (!fence || fence->ops != &udrm_fence_array_ops)
		return NULL;
	return (struct udrm_fence_array *)fence;
}

static void array_note_error(struct udrm_fence_array *array, int error)
{
	int open = ARRAY_ERROR_OPEN;

	if (error < 0)
		atomic_compare_exchange_strong(&array->pending_error, &open,
					       error);
}

/* Stops collecting; returns the error to signal with (0 or -errno). */
static int array_freeze_error(struct udrm_fence_array *array)
{
	int open = ARRAY_ERROR_OPEN;

	atomic_compare_exchange_strong(&array->pending_error, &open, 0);
	return atomic_load(&array->pending_error);
}

/* Caller holds array->lock. */
static void array_set_final_error_locked(struct udrm_fence_array *array)
{
	int error = array_freeze_error(array);

	if (error < 0 &&
	    !(atomic_load(&array->base.flags) & UDRM_FENCE_FLAG_SIGNALED))
		array->base.error = error;
}

static void array_cb(struct udrm_fence *fence, struct udrm_fence_cb *cb)
{
	struct udrm_fence_array *array =
		((struct udrm_fence_array_cb *)cb)->array;

	/* Called under @fence's lock: its error is final. */
	array_note_error(array, fence->error);
	if (atomic_fetch_sub(&array->num_pending, 1) == 1)
		udrm_fence_work_queue(&array->work); /* keeps the reference */
	else
		udrm_fence_put(&array->base);
}

static void array_work(struct udrm_fence_work *work)
{
	struct udrm_fence_array *array =
		(struct udrm_fence_array *)((char *)work -
					    offsetof(struct udrm_fence_array,
						     work));

	pthread_mutex_lock(&array->lock);
	array_set_final_error_locked(array);
	udrm_fence_signal_locked(&array->base);
	pthread_mutex_unlock(&array->lock);
	udrm_fence_put(&array->base);
}

/* Under array->lock, from the fence core. */
static bool array_enable_signaling(struct udrm_fence *fence)
{
	struct udrm_fence_array *array = udrm_fence_to_array(fence);
	struct udrm_fence *f;
	unsigned int i;

	for (i = 0; i < array->num_fences; i++) {
		f = array->fences[i];
		array->callbacks[i].array = array;
		/*
		 * Each callback holds a reference: the array may signal (on
		 * any) and lose its users before the others have run.
		 */
		udrm_fence_get(&array->base);
		if (!udrm_fence_add_callback(f, &array->callbacks[i].cb,
					     array_cb))
			continue;
		/* Signalled already: its error is final. */
		array_note_error(array, f->error);
		udrm_fence_put(&array->base); /* not the last: caller's */
		if (atomic_fetch_sub(&array->num_pending, 1) == 1) {
			array_set_final_error_locked(array);
			return false;
		}
	}
	return true;
}

/* Without array->lock (the lock is private, nobody polls under it). */
static bool array_signaled(struct udrm_fence *fence)
{
	struct udrm_fence_array *array = udrm_fence_to_array(fence);
	int pending = atomic_load(&array->num_pending);
	unsigned int i;

	/* Read pending first: once enabled, the callbacks count. */
	if (atomic_load(&fence->flags) & UDRM_FENCE_FLAG_ENABLE_SIGNAL) {
		if (pending > 0)
			return false;
	} else {
		for (i = 0; i < array->num_fences && pending > 0; i++) {
			if (!udrm_fence_is_signaled(array->fences[i]))
				continue;
			array_note_error(array, array->fences[i]->error);
			pending--;
		}
		if (pending > 0)
			return false;
	}
	pthread_mutex_lock(&array->lock);
	array_set_final_error_locked(array);
	pthread_mutex_unlock(&array->lock);
	return true;
}

static void array_set_deadline(struct udrm_fence *fence, uint64_t deadline_ns)
{
	struct udrm_fence_array *array = udrm_fence_to_array(fence);
	unsigned int i;

	for (i = 0; i < array->num_fences; i++)
		udrm_fence_set_deadline(array->fences[i], deadline_ns);
}

static void array_release(struct udrm_fence *fence)
{
	struct udrm_fence_array *array = udrm_fence_to_array(fence);
	unsigned int i;

	for (i = 0; i < array->num_fences; i++)
		udrm_fence_put(array->fences[i]);
	free(array->fences);
	pthread_mutex_destroy(&array->lock);
	free(array);
}

const struct udrm_fence_ops udrm_fence_array_ops = {
	.enable_signaling = array_enable_signaling,
	.signaled = array_signaled,
	.set_deadline = array_set_deadline,
	.release = array_release,
};

/**
 * udrm_fence_array_create - a fence for all (or, @signal_on_any, any) of
 * @fences. Takes over @fences and its references on success; returns a
 * reference to the array, or NULL (nothing taken) when out of memory or
 * for an empty set.
 */
struct udrm_fence_array *
udrm_fence_array_create(unsigned int num_fences, struct udrm_fence **fences,
			uint64_t context, uint64_t seqno, bool signal_on_any)
{
	struct udrm_fence_array *array;

	if (!num_fences || !fences)
		return NULL;
	array = calloc(1, sizeof(*array) +
				  num_fences * sizeof(array->callbacks[0]));
	if (!array)
		return NULL;

	pthread_mutex_init(&array->lock, NULL);
	array->num_fences = num_fences;
	array->fences = fences;
	atomic_init(&array->num_pending, signal_on_any ? 1 : (int)num_fences);
	atomic_init(&array->pending_error, ARRAY_ERROR_OPEN);
	udrm_fence_work_init(&array->work, array_work);
	udrm_fence_init(&array->base, &udrm_fence_array_ops, &array->lock,
			&array_names, context, seqno);
	return array;
}

/**
 * udrm_fence_match_context - true if @fence, or every fence of the array
 * @fence, is on @context.
 */
bool udrm_fence_match_context(struct udrm_fence *fence, uint64_t context)
{
	struct udrm_fence_array *array = udrm_fence_to_array(fence);
	unsigned int i;

	if (!array)
		return fence->context == context;
	for (i = 0; i < array->num_fences; i++)
		if (array->fences[i]->context != context)
			return false;
	return true;
}

/**
 * udrm_fence_array_at - the @index-th fence of the array @head, or @head
 * itself for index 0 when it is not an array; NULL past the end. Takes no
 * reference: valid while the caller holds @head.
 */
struct udrm_fence *udrm_fence_array_at(struct udrm_fence *head,
				       unsigned int index)
{
	struct udrm_fence_array *array = udrm_fence_to_array(head);

	if (!array)
		return index == 0 ? head : NULL;
	return index < array->num_fences ? array->fences[index] : NULL;
}
