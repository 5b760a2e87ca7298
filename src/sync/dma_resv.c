// SPDX-License-Identifier: MIT
/* Reservation objects, as the kernel's drivers/dma-buf/dma-resv.c. */
#include "dma_resv.h"

#include <errno.h>
#include <stdlib.h>

#include "dma_fence.h"
#include "dma_fence_array.h"

int udrm_resv_create(struct udrm_resv **out)
{
	struct udrm_resv *resv = calloc(1, sizeof(*resv));

	if (!resv)
		return -ENOMEM;
	atomic_init(&resv->refcount, 1);
	pthread_mutex_init(&resv->lock, NULL);
	*out = resv;
	return 0;
}

struct udrm_resv *udrm_resv_get(struct udrm_resv *resv)
{
	if (resv)
		atomic_fetch_add(&resv->refcount, 1);
	return resv;
}

void udrm_resv_put(struct udrm_resv *resv)
{
	unsigned int i;

	if (!resv || atomic_fetch_sub(&resv->refcount, 1) != 1)
		return;
	for (i = 0; i < resv->count; i++)
		udrm_fence_put(resv->slots[i].fence);
	free(resv->slots);
	pthread_mutex_destroy(&resv->lock);
	free(resv);
}

void udrm_resv_lock(struct udrm_resv *resv)
{
	pthread_mutex_lock(&resv->lock);
}

void udrm_resv_unlock(struct udrm_resv *resv)
{
	pthread_mutex_unlock(&resv->lock);
}

/* Drops the signalled fences, keeping the order of the others. */
static void resv_prune_locked(struct udrm_resv *resv)
{
	unsigned int i, kept = 0;

	for (i = 0; i < resv->count; i++) {
		if (udrm_fence_is_signaled(resv->slots[i].fence))
			udrm_fence_put(resv->slots[i].fence);
		else
			resv->slots[kept++] = resv->slots[i];
	}
	resv->count = kept;
}

int udrm_resv_reserve_fences_locked(struct udrm_resv *resv, unsigned int num)
{
	struct udrm_resv_slot *slots;
	unsigned int want;

	if (num <= resv->capacity - resv->count)
		return 0;
	resv_prune_locked(resv);
	if (num <= resv->capacity - resv->count)
		return 0;
	if (num > UINT32_MAX / 2 - resv->count)
		return -ENOMEM;
	want = resv->count + num;
	if (want < 2 * resv->capacity)
		want = 2 * resv->capacity;
	if (want < 4)
		want = 4;
	slots = realloc(resv->slots, want * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	resv->slots = slots;
	resv->capacity = want;
	return 0;
}

void udrm_resv_add_fence_locked(struct udrm_resv *resv,
				struct udrm_fence *fence,
				enum udrm_resv_usage usage)
{
	struct udrm_resv_slot *slot;
	struct udrm_fence *old = NULL;
	unsigned int i;

	udrm_fence_get(fence);
	for (i = 0; i < resv->count; i++) {
		slot = &resv->slots[i];
		if ((slot->fence->context == fence->context &&
		     slot->usage >= usage) ||
		    udrm_fence_is_signaled(slot->fence)) {
			old = slot->fence;
			break;
		}
	}
	if (!old) {
		/* The caller reserved a slot: running out is a udrm bug. */
		if (resv->count >= resv->capacity)
			abort();
		i = resv->count++;
	}
	resv->slots[i].fence = fence;
	resv->slots[i].usage = usage;
	udrm_fence_put(old);
}

int udrm_resv_add_fence(struct udrm_resv *resv, struct udrm_fence *fence,
			enum udrm_resv_usage usage)
{
	int ret;

	udrm_resv_lock(resv);
	ret = udrm_resv_reserve_fences_locked(resv, 1);
	if (!ret)
		udrm_resv_add_fence_locked(resv, fence, usage);
	udrm_resv_unlock(resv);
	return ret;
}

bool udrm_resv_test_signaled(struct udrm_resv *resv, enum udrm_resv_usage usage)
{
	bool signaled = true;
	unsigned int i;

	udrm_resv_lock(resv);
	for (i = 0; i < resv->count && signaled; i++)
		if (resv->slots[i].usage <= usage)
			signaled = udrm_fence_is_signaled(resv->slots[i].fence);
	udrm_resv_unlock(resv);
	return signaled;
}

int udrm_resv_get_fences(struct udrm_resv *resv, enum udrm_resv_usage usage,
			 unsigned int *count, struct udrm_fence ***fences)
{
	struct udrm_fence **list = NULL;
	struct udrm_resv_slot *slot;
	unsigned int i, n = 0;

	udrm_resv_lock(resv);
	if (resv->count) {
		list = malloc(resv->count * sizeof(*list));
		if (!list) {
			udrm_resv_unlock(resv);
			return -ENOMEM;
		}
	}
	for (i = 0; i < resv->count; i++) {
		slot = &resv->slots[i];
		if (slot->usage <= usage &&
		    !udrm_fence_is_signaled(slot->fence))
			list[n++] = udrm_fence_get(slot->fence);
	}
	udrm_resv_unlock(resv);
	if (!n) {
		free(list);
		list = NULL;
	}
	*count = n;
	*fences = list;
	return 0;
}

int udrm_resv_get_singleton(struct udrm_resv *resv, enum udrm_resv_usage usage,
			    struct udrm_fence **fence)
{
	struct udrm_fence_array *array;
	struct udrm_fence **fences;
	unsigned int count, i;
	int ret;

	ret = udrm_resv_get_fences(resv, usage, &count, &fences);
	if (ret)
		return ret;
	if (count <= 1) {
		*fence = count ? fences[0] : NULL;
		free(fences);
		return 0;
	}
	array = udrm_fence_array_create(count, fences,
					udrm_fence_context_alloc(1), 1, false);
	if (!array) {
		for (i = 0; i < count; i++)
			udrm_fence_put(fences[i]);
		free(fences);
		return -ENOMEM;
	}
	*fence = &array->base;
	return 0;
}

int64_t udrm_resv_wait_timeout(struct udrm_resv *resv,
			       enum udrm_resv_usage usage, bool intr,
			       uint64_t timeout_ns)
{
	bool forever = timeout_ns == UINT64_MAX;
	uint64_t left = timeout_ns;
	struct udrm_fence **fences;
	unsigned int count, i;
	int64_t ret;

	ret = udrm_resv_get_fences(resv, usage, &count, &fences);
	if (ret)
		return ret;
	if (forever)
		ret = INT64_MAX;
	else if (!timeout_ns)
		ret = 1;
	else
		ret = left > INT64_MAX ? INT64_MAX : (int64_t)left;
	for (i = 0; i < count && ret > 0; i++) {
		if (!timeout_ns) {
			if (!udrm_fence_is_signaled(fences[i]))
				ret = 0;
			continue;
		}
		ret = udrm_fence_wait_timeout(fences[i], intr,
					      forever ? UINT64_MAX : left);
		if (ret > 0 && !forever)
			left = (uint64_t)ret;
		else if (ret > 0)
			ret = INT64_MAX;
	}
	for (i = 0; i < count; i++)
		udrm_fence_put(fences[i]);
	free(fences);
	return ret;
}
