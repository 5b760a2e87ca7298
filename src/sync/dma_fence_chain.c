// SPDX-License-Identifier: MIT
/*
 * Fence chains: timeline points built of fences, with the semantics of the
 * kernel's drivers/dma-buf/dma-fence-chain.c (see dma_fence_chain.h).
 */
#include "sync/dma_fence_chain.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

static struct udrm_fence_names chain_names = {
	.refcount = 1, /* never dropped: static */
	.driver = "dma_fence_chain",
	.timeline = "unbound",
};

/**
 * udrm_fence_to_chain - @fence as a chain node, or NULL (also for NULL).
 */
struct udrm_fence_chain *udrm_fence_to_chain(struct udrm_fence *fence)
{
	if (!fence || fence->ops != &udrm_fence_chain_ops)
		return NULL;
	return (struct udrm_fence_chain *)fence;
}

/**
 * udrm_fence_chain_contained - the fence completing the point of node
 * @fence, or @fence when it is not a chain node. Takes no reference.
 */
struct udrm_fence *udrm_fence_chain_contained(struct udrm_fence *fence)
{
	struct udrm_fence_chain *chain = udrm_fence_to_chain(fence);

	return chain ? chain->fence : fence;
}

/* A reference to @chain's previous link, or NULL. */
static struct udrm_fence *chain_get_prev(struct udrm_fence_chain *chain)
{
	struct udrm_fence *prev;

	pthread_mutex_lock(&chain->prev_lock);
	prev = udrm_fence_get(chain->prev);
	pthread_mutex_unlock(&chain->prev_lock);
	return prev;
}

/**
 * udrm_fence_chain_walk - steps from node @fence to its previous pending
 * link, unlinking signalled ones. Consumes the caller's reference to
 * @fence; returns a reference to the link, or NULL at the end. Takes no
 * fence lock of its own (only prev_lock), so it may run under the node's
 * fence lock.
 */
struct udrm_fence *udrm_fence_chain_walk(struct udrm_fence *fence)
{
	struct udrm_fence_chain *chain = udrm_fence_to_chain(fence);
	struct udrm_fence_chain *prev_chain;
	struct udrm_fence *prev, *replacement, *drop;

	if (!chain) {
		udrm_fence_put(fence);
		return NULL;
	}

	while ((prev = chain_get_prev(chain))) {
		prev_chain = udrm_fence_to_chain(prev);
		if (prev_chain) {
			if (!udrm_fence_is_signaled(prev_chain->fence))
				break;
			replacement = chain_get_prev(prev_chain);
		} else {
			if (!udrm_fence_is_signaled(prev))
				break;
			replacement = NULL;
		}

		/* Another walker may have unlinked it first: then keep its
		 * result and drop ours. */
		pthread_mutex_lock(&chain->prev_lock);
		if (chain->prev == prev) {
			chain->prev = replacement;
			drop = prev;
		} else {
			drop = replacement;
		}
		pthread_mutex_unlock(&chain->prev_lock);
		udrm_fence_put(drop);
		udrm_fence_put(prev);
	}

	udrm_fence_put(fence);
	return prev;
}

/**
 * udrm_fence_chain_find_seqno - moves *@pfence to the node that signals
 * point @seqno (see dma_fence_chain.h). Returns 0 or -EINVAL. The caller's
 * reference moves with *@pfence.
 */
int udrm_fence_chain_find_seqno(struct udrm_fence **pfence, uint64_t seqno)
{
	struct udrm_fence_chain *head, *chain;

	if (!seqno)
		return 0;
	head = udrm_fence_to_chain(*pfence);
	if (!head || head->base.seqno < seqno)
		return -EINVAL;

	udrm_fence_chain_for_each(*pfence, &head->base)
	{
		chain = udrm_fence_to_chain(*pfence);
		if ((*pfence)->context != head->base.context || !chain ||
		    chain->prev_seqno < seqno)
			break;
	}
	udrm_fence_put(&head->base);
	return 0;
}

static void chain_cb(struct udrm_fence *fence, struct udrm_fence_cb *cb);

/*
 * Arms the node's one callback on the first pending link, holding a
 * reference to the node for it. Returns false if every link has
 * signalled. Runs under the node's lock (from the fence core) or on the
 * fence worker.
 */
static bool chain_enable_signaling(struct udrm_fence *fence)
{
	struct udrm_fence_chain *head = udrm_fence_to_chain(fence);
	struct udrm_fence *iter, *f;

	udrm_fence_get(&head->base);
	udrm_fence_chain_for_each(iter, &head->base)
	{
		f = udrm_fence_chain_contained(iter);
		if (!udrm_fence_add_callback(f, &head->cb, chain_cb)) {
			udrm_fence_put(iter);
			return true;
		}
	}
	udrm_fence_put(&head->base);
	return false;
}

/* A link signalled: look again from the worker, without any fence lock. */
static void chain_cb(struct udrm_fence *fence, struct udrm_fence_cb *cb)
{
	struct udrm_fence_chain *chain =
		(struct udrm_fence_chain *)((char *)cb -
					    offsetof(struct udrm_fence_chain,
						     cb));

	udrm_fence_work_queue(&chain->work);
}

static void chain_work(struct udrm_fence_work *work)
{
	struct udrm_fence_chain *chain =
		(struct udrm_fence_chain *)((char *)work -
					    offsetof(struct udrm_fence_chain,
						     work));

	if (!chain_enable_signaling(&chain->base))
		udrm_fence_signal(&chain->base);
	/* The callback's reference, taken when it was armed. */
	udrm_fence_put(&chain->base);
}

static bool chain_signaled(struct udrm_fence *fence)
{
	struct udrm_fence *iter;

	udrm_fence_chain_for_each(iter, fence)
	{
		if (!udrm_fence_is_signaled(udrm_fence_chain_contained(iter))) {
			udrm_fence_put(iter);
			return false;
		}
	}
	return true;
}

/* Every pending link is needed by the deadline. */
static void chain_set_deadline(struct udrm_fence *fence, uint64_t deadline_ns)
{
	struct udrm_fence *iter;

	udrm_fence_chain_for_each(iter, fence) udrm_fence_set_deadline(
		udrm_fence_chain_contained(iter), deadline_ns);
}

static void chain_release(struct udrm_fence *fence)
{
	struct udrm_fence_chain *chain = udrm_fence_to_chain(fence);
	struct udrm_fence_chain *prev_chain;
	struct udrm_fence *prev;

	/*
	 * Unlink the links only we hold here, one at a time, rather than let
	 * each release put the next: a long timeline would recurse as deep
	 * as it is long.
	 */
	while ((prev = chain->prev)) {
		prev_chain = udrm_fence_to_chain(prev);
		if (!prev_chain || atomic_load(&prev->refcount) > 1)
			break;
		chain->prev = prev_chain->prev;
		prev_chain->prev = NULL;
		udrm_fence_put(prev);
	}
	udrm_fence_put(chain->prev);
	udrm_fence_put(chain->fence);
	pthread_mutex_destroy(&chain->prev_lock);
	pthread_mutex_destroy(&chain->lock);
	free(chain);
}

const struct udrm_fence_ops udrm_fence_chain_ops = {
	.enable_signaling = chain_enable_signaling,
	.signaled = chain_signaled,
	.set_deadline = chain_set_deadline,
	.release = chain_release,
	.use_64bit_seqno = true,
};

/**
 * udrm_fence_chain_alloc - memory for one chain node, to pass to
 * udrm_fence_chain_init(). Returns NULL when out of memory.
 */
struct udrm_fence_chain *udrm_fence_chain_alloc(void)
{
	return malloc(sizeof(struct udrm_fence_chain));
}

/**
 * udrm_fence_chain_free - frees a node that was never initialised.
 */
void udrm_fence_chain_free(struct udrm_fence_chain *chain)
{
	free(chain);
}

/**
 * udrm_fence_chain_init - makes @chain point @seqno of a timeline, done
 * when @fence and everything before (@prev) is. Consumes the references
 * to @prev and @fence; the caller gets one to the node.
 */
void udrm_fence_chain_init(struct udrm_fence_chain *chain,
			   struct udrm_fence *prev, struct udrm_fence *fence,
			   uint64_t seqno)
{
	struct udrm_fence_chain *prev_chain = udrm_fence_to_chain(prev);
	uint64_t context;

	pthread_mutex_init(&chain->lock, NULL);
	pthread_mutex_init(&chain->prev_lock, NULL);
	chain->prev = prev;
	chain->fence = fence;
	chain->prev_seqno = 0;
	chain->cb.next = chain->cb.prev = &chain->cb;
	chain->cb.func = NULL;
	udrm_fence_work_init(&chain->work, chain_work);

	/* Continue prev's timeline if this point comes after it. */
	if (prev_chain && seqno > prev->seqno) {
		context = prev->context;
		chain->prev_seqno = prev->seqno;
	} else {
		context = udrm_fence_context_alloc(1);
		/* Never let a point go backwards. */
		if (prev_chain && prev->seqno > seqno)
			seqno = prev->seqno;
	}

	udrm_fence_init(&chain->base, &udrm_fence_chain_ops, &chain->lock,
			&chain_names, context, seqno);
}
