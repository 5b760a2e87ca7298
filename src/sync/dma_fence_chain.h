/* SPDX-License-Identifier: MIT */
/*
 * udrm_fence_chain: a fence at a point of a timeline, as the kernel's
 * struct dma_fence_chain (drivers/dma-buf/dma-fence-chain.c). Timeline
 * syncobjs are built of these.
 *
 * A chain node holds a reference to the fence that completes its point and
 * to the previous node (or any fence standing for everything before). The
 * node signals once its fence and every earlier point have signalled.
 * Walking the chain garbage-collects signalled links: a node's prev is
 * replaced by the first link that is still pending, so long-lived
 * timelines do not keep every completed point alive.
 *
 * Ownership: a node is a udrm_fence (get/put); it owns one reference to
 * @prev and one to @fence, given by udrm_fence_chain_init(). Nodes come
 * from udrm_fence_chain_alloc() and are freed by the last put.
 *
 * Locking: the node's fence lock is chain->lock. @prev is protected by
 * chain->prev_lock, a leaf lock (the kernel uses RCU): readers take a
 * reference under it, walk() replaces it under it and drops the old
 * reference after unlocking. A node's signalling is deferred to the fence
 * worker (fence_work.h) so that a callback never takes chain->lock.
 */
#ifndef UDRM_SYNC_DMA_FENCE_CHAIN_H
#define UDRM_SYNC_DMA_FENCE_CHAIN_H

#include "sync/dma_fence.h"
#include "sync/fence_work.h"

struct udrm_fence_chain {
	struct udrm_fence base;
	pthread_mutex_t lock;	   /* base.lock */
	pthread_mutex_t prev_lock; /* protects prev */
	struct udrm_fence *prev;   /* (prev_lock) a reference, or NULL */
	uint64_t prev_seqno;	   /* prev's seqno if on the same context */
	struct udrm_fence *fence;  /* a reference, never NULL */
	/* Signalling: one callback at a time on the first pending link. */
	struct udrm_fence_cb cb;
	struct udrm_fence_work work;
};

extern const struct udrm_fence_ops udrm_fence_chain_ops;

/* Memory for a node (uninitialised); NULL on ENOMEM. Free an unused node
 * with udrm_fence_chain_free(), an initialised one with udrm_fence_put(). */
struct udrm_fence_chain *udrm_fence_chain_alloc(void);
void udrm_fence_chain_free(struct udrm_fence_chain *chain);

/*
 * Makes @chain the point @seqno completed by @fence after @prev. Consumes
 * the caller's references to @prev (may be NULL) and @fence (not NULL).
 * If @prev is a chain node and @seqno is later, the node continues prev's
 * timeline (its context); otherwise it starts a new context, with seqno
 * max(prev's, @seqno) when prev is a chain. One reference for the caller.
 */
void udrm_fence_chain_init(struct udrm_fence_chain *chain,
			   struct udrm_fence *prev, struct udrm_fence *fence,
			   uint64_t seqno);

/* @fence as a chain node, or NULL if it is not one. */
struct udrm_fence_chain *udrm_fence_to_chain(struct udrm_fence *fence);

/* The fence a node completes; @fence itself when not a chain. No
 * reference is taken. */
struct udrm_fence *udrm_fence_chain_contained(struct udrm_fence *fence);

/*
 * Steps from the node @fence (consuming the caller's reference) to the
 * previous link, dropping signalled links on the way. Returns a reference
 * to the previous pending link, or NULL at the end of the chain (or when
 * @fence is not a chain node).
 */
struct udrm_fence *udrm_fence_chain_walk(struct udrm_fence *fence);

/*
 * Moves *@pfence (a chain node; the caller's reference moves along) to
 * the node that signals point @seqno: 0 with *pfence the node to wait for,
 * or NULL if the point has signalled. @seqno 0 leaves *pfence as it is.
 * -EINVAL if *pfence is not a chain node or @seqno is later than it (the
 * point has not been added yet); *pfence is then unchanged.
 */
int udrm_fence_chain_find_seqno(struct udrm_fence **pfence, uint64_t seqno);

/*
 * Iterates from @head back through the pending links of a chain; @iter
 * holds a reference in the body. Breaking out leaves a reference in @iter
 * for the caller to put.
 */
#define udrm_fence_chain_for_each(iter, head)                                  \
	for ((iter) = udrm_fence_get(head); (iter);                            \
	     (iter) = udrm_fence_chain_walk(iter))

#endif
