// SPDX-License-Identifier: MIT
/*
 * Fence unwrapping and merging (see dma_fence_unwrap.h).
 */
#include "dma_fence_unwrap.h"

#include <stdlib.h>

#include "sync/dma_fence_array.h"
#include "sync/dma_fence_chain.h"

static struct udrm_fence *unwrap_link(struct udrm_fence_unwrap *cursor)
{
	if (!cursor->chain)
		return NULL;
	cursor->array = udrm_fence_chain_contained(cursor->chain);
	cursor->index = 0;
	return udrm_fence_array_at(cursor->array, 0);
}

struct udrm_fence *udrm_fence_unwrap_first(struct udrm_fence *head,
					   struct udrm_fence_unwrap *cursor)
{
	cursor->chain = udrm_fence_get(head);
	return unwrap_link(cursor);
}

struct udrm_fence *udrm_fence_unwrap_next(struct udrm_fence_unwrap *cursor)
{
	struct udrm_fence *next;

	next = udrm_fence_array_at(cursor->array, ++cursor->index);
	if (next)
		return next;
	/* Puts a head that is not a chain and ends there. */
	cursor->chain = udrm_fence_chain_walk(cursor->chain);
	return unwrap_link(cursor);
}

unsigned int udrm_fence_unwrap_count(struct udrm_fence *head)
{
	struct udrm_fence_unwrap iter;
	struct udrm_fence *f;
	unsigned int n = 0;

	for (f = udrm_fence_unwrap_first(head, &iter); f;
	     f = udrm_fence_unwrap_next(&iter))
		n++;
	return n;
}

/* By context, then the later fence first. */
static int fence_order(const void *pa, const void *pb)
{
	const struct udrm_fence *a = *(struct udrm_fence *const *)pa;
	const struct udrm_fence *b = *(struct udrm_fence *const *)pb;

	if (a->context != b->context)
		return a->context < b->context ? -1 : 1;
	if (udrm_fence_is_later(b, a))
		return 1;
	if (udrm_fence_is_later(a, b))
		return -1;
	return 0;
}

unsigned int udrm_fence_dedup_array(struct udrm_fence **fences,
				    unsigned int count)
{
	unsigned int i, kept = 0;

	if (!count)
		return 0;
	qsort(fences, count, sizeof(*fences), fence_order);
	for (i = 1; i < count; i++) {
		if (fences[i]->context == fences[kept]->context)
			udrm_fence_put(fences[i]);
		else
			fences[++kept] = fences[i];
	}
	return kept + 1;
}

/* Counts the pending fences behind @fences; the latest timestamp of the
 * signalled ones goes to *timestamp. Also takes a reference to the first
 * @cap pending fences into @out. */
static unsigned int merge_collect(unsigned int num_fences,
				  struct udrm_fence **fences,
				  struct udrm_fence **out, unsigned int cap,
				  uint64_t *timestamp)
{
	struct udrm_fence_unwrap iter;
	struct udrm_fence *f;
	unsigned int i, n = 0;

	for (i = 0; i < num_fences; i++) {
		udrm_fence_unwrap_for_each(f, &iter, fences[i])
		{
			if (!udrm_fence_is_signaled(f)) {
				if (n < cap)
					out[n] = udrm_fence_get(f);
				n++;
			} else if (udrm_fence_timestamp(f) > *timestamp) {
				*timestamp = udrm_fence_timestamp(f);
			}
		}
	}
	return n;
}

struct udrm_fence *udrm_fence_unwrap_merge(unsigned int num_fences,
					   struct udrm_fence **fences)
{
	struct udrm_fence_array *array;
	struct udrm_fence **list, *result;
	uint64_t timestamp = 0;
	unsigned int count, i;

	count = merge_collect(num_fences, fences, NULL, 0, &timestamp);
	if (!count)
		return udrm_fence_allocate_private_stub(timestamp);
	for (;;) {
		unsigned int cap = count;

		list = calloc(cap, sizeof(*list));
		if (!list)
			return NULL;
		/* Fences signal meanwhile: this pass normally finds fewer. */
		count = merge_collect(num_fences, fences, list, cap,
				      &timestamp);
		if (count <= cap)
			break;
		for (i = 0; i < cap; i++)
			udrm_fence_put(list[i]);
		free(list);
	}
	count = udrm_fence_dedup_array(list, count);
	if (count == 0) {
		free(list);
		return udrm_fence_allocate_private_stub(timestamp);
	}
	if (count == 1) {
		result = list[0];
		free(list);
		return result;
	}
	array = udrm_fence_array_create(count, list,
					udrm_fence_context_alloc(1), 1, false);
	if (!array) {
		for (i = 0; i < count; i++)
			udrm_fence_put(list[i]);
		free(list);
		return NULL;
	}
	return &array->base;
}
