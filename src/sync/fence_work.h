/* SPDX-License-Identifier: MIT */
/*
 * udrm_fence_work: deferred work for fence containers (chain, array), the
 * userspace stand-in for the kernel's irq_work.
 *
 * A fence callback runs with the signalled fence's lock held, while a chain
 * or an array holds its own lock when it adds callbacks to the fences it
 * waits for (enable_signaling). If the callback signalled the container
 * directly, the two orders would meet (AB-BA). So the callback only queues
 * work; one process-wide worker thread runs it later with no fence lock
 * held. The queue lock is a leaf: it may be taken under any fence lock.
 *
 * The worker is started on first use and restarted in a forked child.
 */
#ifndef UDRM_SYNC_FENCE_WORK_H
#define UDRM_SYNC_FENCE_WORK_H

#include <stdbool.h>

struct udrm_fence_work;

typedef void (*udrm_fence_work_func_t)(struct udrm_fence_work *work);

/* Embedded in the owner; the owner keeps itself alive while queued. */
struct udrm_fence_work {
	struct udrm_fence_work *next; /* (queue lock) */
	udrm_fence_work_func_t func;
	bool queued; /* (queue lock) */
};

void udrm_fence_work_init(struct udrm_fence_work *work,
			  udrm_fence_work_func_t func);

/*
 * Runs @work->func(@work) soon on the fence worker thread. Returns false
 * (and does nothing) if @work is queued and has not started yet. Safe from
 * a fence callback (any lock held but the worker's). If the worker thread
 * cannot be started, the work runs on the caller's thread instead, which
 * is only safe without fence locks held: this is reported on stderr.
 */
bool udrm_fence_work_queue(struct udrm_fence_work *work);

/* Waits until all work queued before the call (and work it queued) has
 * run. Must not be called from work or a fence callback. */
void udrm_fence_work_flush(void);

#endif
