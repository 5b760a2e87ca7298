/* SPDX-License-Identifier: MIT */
/*
 * udrm_resv: a buffer's reservation object, as the kernel's struct dma_resv
 * (drivers/dma-buf/dma-resv.c): the set of fences of the operations that
 * use the buffer, each with a usage saying how it uses it.
 *
 * Usages are ordered: KERNEL < WRITE < READ < BOOKKEEP. A query for a usage
 * covers the fences of that usage and of every stronger (smaller) one, so
 * "READ" means "everything that an implicitly synced writer must wait for"
 * (writers and readers) and "WRITE" what a reader must wait for (writers).
 * udrm_resv_usage_rw() picks the one for an access.
 *
 * Ownership: reference counted (udrm_resv_get/put, atomic). Every GEM
 * object holds one; the GEM objects of all in-process devices that wrap the
 * same dma-buf share one resv (see the dma-buf registry in core/prime.c).
 * The resv holds one reference to each fence it lists.
 *
 * Locking: @lock (a plain mutex standing in for the kernel's ww_mutex: no
 * acquire contexts and no back-off, so take one resv lock at a time, or
 * several only in ascending address order of the struct udrm_resv, as
 * GPUVM's exec helpers do, mm/gpuvm.h) protects the fence list. Adding needs it held; queries (test_signaled, get_fences,
 * wait) take it themselves, briefly, and never wait with it held.
 * udrm_fence_is_signaled() may run fence callbacks, so the order is
 * resv->lock -> fence lock: fence callbacks must not take a resv lock.
 * No other udrm lock is taken under resv->lock.
 */
#ifndef UDRM_SYNC_DMA_RESV_H
#define UDRM_SYNC_DMA_RESV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct udrm_fence;

/* How a fence uses the buffer, the kernel's enum dma_resv_usage. */
enum udrm_resv_usage {
	UDRM_RESV_USAGE_KERNEL = 0,   /* memory management (moves, clears) */
	UDRM_RESV_USAGE_WRITE = 1,    /* implicitly synced writes */
	UDRM_RESV_USAGE_READ = 2,     /* implicitly synced reads */
	UDRM_RESV_USAGE_BOOKKEEP = 3, /* explicitly synced, no implicit sync */
};

/* The usage to wait for before an access: a writer waits for readers and
 * writers (READ), a reader for writers only (WRITE). */
static inline enum udrm_resv_usage udrm_resv_usage_rw(bool write)
{
	return write ? UDRM_RESV_USAGE_READ : UDRM_RESV_USAGE_WRITE;
}

struct udrm_resv_slot {
	struct udrm_fence *fence; /* a reference */
	enum udrm_resv_usage usage;
};

struct udrm_resv {
	atomic_int refcount;
	pthread_mutex_t lock;
	struct udrm_resv_slot *slots; /* (lock) */
	unsigned int count;	      /* (lock) slots in use */
	unsigned int capacity;	      /* (lock) slots allocated */
};

/* A new empty resv with one reference for the caller; 0 or -ENOMEM. */
int udrm_resv_create(struct udrm_resv **out);
struct udrm_resv *udrm_resv_get(struct udrm_resv *resv); /* NULL-safe */
/* The last put drops the fence references and frees. NULL-safe. */
void udrm_resv_put(struct udrm_resv *resv);

void udrm_resv_lock(struct udrm_resv *resv);
void udrm_resv_unlock(struct udrm_resv *resv);

/* Makes room for @num more fences, so that as many
 * udrm_resv_add_fence_locked() calls cannot fail; drops signalled fences
 * when it has to grow. Needs the lock held; 0 or -ENOMEM. */
int udrm_resv_reserve_fences_locked(struct udrm_resv *resv, unsigned int num);

/*
 * Adds @fence (taking a reference) with @usage. As in the kernel, it takes
 * the place of a signalled fence or of a fence of the same context whose
 * usage is the same or weaker; otherwise it uses a reserved slot. Needs the
 * lock held and a slot reserved since it was taken.
 */
void udrm_resv_add_fence_locked(struct udrm_resv *resv,
				struct udrm_fence *fence,
				enum udrm_resv_usage usage);
/* Locks, reserves one slot and adds; 0 or -ENOMEM. */
int udrm_resv_add_fence(struct udrm_resv *resv, struct udrm_fence *fence,
			enum udrm_resv_usage usage);

/* True if every fence of @usage or stronger has signalled. */
bool udrm_resv_test_signaled(struct udrm_resv *resv,
			     enum udrm_resv_usage usage);

/*
 * The unsignalled fences of @usage or stronger: *fences is a malloc'ed
 * array of *count references (NULL when none) that the caller puts and
 * frees. 0 or -ENOMEM.
 */
int udrm_resv_get_fences(struct udrm_resv *resv, enum udrm_resv_usage usage,
			 unsigned int *count, struct udrm_fence ***fences);

/*
 * One fence for the unsignalled fences of @usage or stronger, as the
 * kernel's dma_resv_get_singleton(): *fence is NULL when there are none,
 * the fence itself when there is one, else a new fence array of all of
 * them (a reference either way). 0 or -ENOMEM.
 */
int udrm_resv_get_singleton(struct udrm_resv *resv, enum udrm_resv_usage usage,
			    struct udrm_fence **fence);

/*
 * Waits for the fences of @usage or stronger present when called, up to
 * @timeout_ns (relative; UINT64_MAX: for ever; 0: just test). Returns the
 * time left (> 0; INT64_MAX when waiting for ever; 1 for a successful
 * test), 0 on timeout, -EINTR if @intr and interrupted, -ENOMEM.
 * Called without the lock.
 */
int64_t udrm_resv_wait_timeout(struct udrm_resv *resv,
			       enum udrm_resv_usage usage, bool intr,
			       uint64_t timeout_ns);

#endif
