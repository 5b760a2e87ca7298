/* SPDX-License-Identifier: MIT */
/*
 * Unwrapping fence containers, as the kernel's dma-fence-unwrap.c: walking
 * the individual fences behind a chain and/or array, and merging several
 * fences into one that stands for all of them (sync_file merges, dma-buf
 * sync_file export).
 */
#ifndef UDRM_SYNC_DMA_FENCE_UNWRAP_H
#define UDRM_SYNC_DMA_FENCE_UNWRAP_H

#include "sync/dma_fence.h"

/* Iteration state: a reference to the current chain link (or the head). */
struct udrm_fence_unwrap {
	struct udrm_fence *chain;
	struct udrm_fence *array; /* the link's contained fence, no ref */
	unsigned int index;
};

/*
 * The first fence behind @head: the first fence of the array contained in
 * the head chain link, the link's fence, or @head itself. No reference is
 * taken on the returned fence; the cursor holds one on the current link
 * until the iteration ends (returns NULL). Do not break out of the loop.
 */
struct udrm_fence *udrm_fence_unwrap_first(struct udrm_fence *head,
					   struct udrm_fence_unwrap *cursor);
struct udrm_fence *udrm_fence_unwrap_next(struct udrm_fence_unwrap *cursor);

#define udrm_fence_unwrap_for_each(fence, cursor, head)                        \
	for ((fence) = udrm_fence_unwrap_first((head), (cursor)); (fence);     \
	     (fence) = udrm_fence_unwrap_next(cursor))

/* The number of fences udrm_fence_unwrap_for_each() visits in @head. */
unsigned int udrm_fence_unwrap_count(struct udrm_fence *head);

/*
 * Sorts @fences by context, the latest fence of a context first, and keeps
 * only that one per context, putting the others. Returns the new count.
 */
unsigned int udrm_fence_dedup_array(struct udrm_fence **fences,
				    unsigned int count);

/*
 * One fence for all the unsignalled fences behind @fences (unwrapped):
 * a private signalled stub carrying the latest timestamp when none is
 * pending, the fence itself when one is, else a new fence array of the
 * latest fence of each context. A reference; NULL on ENOMEM.
 */
struct udrm_fence *udrm_fence_unwrap_merge(unsigned int num_fences,
					   struct udrm_fence **fences);

#endif
