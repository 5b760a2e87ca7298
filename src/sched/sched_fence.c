// SPDX-License-Identifier: MIT
/*
 * The scheduled and finished fences of a job, as the kernel's
 * sched_fence.c. They live in their own allocation with their own names
 * reference and locks, so they stay valid after the scheduler is gone.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "sched/sched_internal.h"

static void sched_fence_release_scheduled(struct udrm_fence *f)
{
	struct udrm_sched_fence *fence =
		sched_container_of(f, struct udrm_sched_fence, scheduled);

	udrm_fence_put(fence->parent);
	pthread_mutex_destroy(&fence->parent_lock);
	free(fence);
}

static void sched_fence_release_finished(struct udrm_fence *f)
{
	struct udrm_sched_fence *fence =
		sched_container_of(f, struct udrm_sched_fence, finished);

	udrm_fence_put(&fence->scheduled);
}

/* A deadline on the finished fence is passed to the hardware fence. */
static void sched_fence_set_deadline_finished(struct udrm_fence *f,
					      uint64_t deadline_ns)
{
	struct udrm_sched_fence *fence =
		sched_container_of(f, struct udrm_sched_fence, finished);
	struct udrm_fence *parent;

	pthread_mutex_lock(&fence->parent_lock);
	parent = udrm_fence_get(fence->parent);
	pthread_mutex_unlock(&fence->parent_lock);
	if (parent) {
		udrm_fence_set_deadline(parent, deadline_ns);
		udrm_fence_put(parent);
	}
}

static const struct udrm_fence_ops sched_fence_scheduled_ops = {
	.release = sched_fence_release_scheduled,
	.use_64bit_seqno = true,
};

static const struct udrm_fence_ops sched_fence_finished_ops = {
	.release = sched_fence_release_finished,
	.set_deadline = sched_fence_set_deadline_finished,
	.use_64bit_seqno = true,
};

struct udrm_sched_fence *udrm_sched_fence_from(struct udrm_fence *fence)
{
	if (fence->ops == &sched_fence_scheduled_ops)
		return sched_container_of(fence, struct udrm_sched_fence,
					  scheduled);
	if (fence->ops == &sched_fence_finished_ops)
		return sched_container_of(fence, struct udrm_sched_fence,
					  finished);
	return NULL;
}

struct udrm_sched_fence *sched_fence_alloc(void)
{
	struct udrm_sched_fence *fence = calloc(1, sizeof(*fence));

	if (fence)
		pthread_mutex_init(&fence->parent_lock, NULL);
	return fence;
}

/* The finished fence's reference belongs to the job; it holds the only
 * reference to the scheduled fence. */
void sched_fence_init(struct udrm_sched_fence *fence,
		      struct udrm_fence_names *names, uint64_t context,
		      uint64_t seqno)
{
	udrm_fence_init(&fence->scheduled, &sched_fence_scheduled_ops, NULL,
			names, context, seqno);
	udrm_fence_init(&fence->finished, &sched_fence_finished_ops, NULL,
			names, context + 1, seqno);
}

void sched_fence_free_unarmed(struct udrm_sched_fence *fence)
{
	pthread_mutex_destroy(&fence->parent_lock);
	free(fence);
}

void sched_fence_scheduled(struct udrm_sched_fence *fence,
			   struct udrm_fence *parent)
{
	pthread_mutex_lock(&fence->parent_lock);
	udrm_fence_put(fence->parent);
	fence->parent = udrm_fence_get(parent);
	pthread_mutex_unlock(&fence->parent_lock);
	if (!udrm_fence_is_signaled(&fence->scheduled))
		udrm_fence_signal(&fence->scheduled);
}

void sched_fence_finished(struct udrm_sched_fence *fence, int result)
{
	if (result)
		udrm_fence_set_error(&fence->finished, result);
	udrm_fence_signal(&fence->finished);
}
