// SPDX-License-Identifier: MIT
/*
 * Reservation objects, as the kernel's dma-resv.c (and its selftest
 * drivers/dma-buf/st-dma-resv.c): usages nest, a fence replaces an older
 * one of its context, queries see only unsignalled fences, waits wait.
 */
#include "sync_test.h"

#include <pthread.h>

#include "sync/dma_resv.h"

static struct udrm_resv *new_resv(void)
{
	struct udrm_resv *resv = NULL;

	st_expect(udrm_resv_create(&resv), 0, "udrm_resv_create");
	st_check(resv, "udrm_resv_create gave no resv");
	return resv;
}

/* A mock fence on a timeline of its own. */
static struct udrm_fence *new_fence(void)
{
	struct udrm_fence *f = st_mock_fence();

	f->context = udrm_fence_context_alloc(1);
	return f;
}

static const char *const usage_names[] = {"KERNEL", "WRITE", "READ",
					  "BOOKKEEP"};

static void test_empty_resv_is_signalled(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence **fences = (void *)1;
	unsigned int count = 7, u;

	for (u = UDRM_RESV_USAGE_KERNEL; u <= UDRM_RESV_USAGE_BOOKKEEP; u++)
		st_check(udrm_resv_test_signaled(resv, u),
			 "an empty resv must test signalled for %s",
			 usage_names[u]);
	st_expect(udrm_resv_get_fences(resv, UDRM_RESV_USAGE_BOOKKEEP, &count,
				       &fences),
		  0, "get_fences of an empty resv");
	st_expect(count, 0, "fences in an empty resv");
	st_check(!fences, "get_fences must give NULL when there are none");
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_BOOKKEEP, false,
					 0),
		  1, "a zero-timeout wait on an empty resv");
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_BOOKKEEP, false,
					 1000),
		  1000, "a wait on an empty resv keeps its whole timeout");
	udrm_resv_put(resv);
}

/* A fence of usage U is seen by queries for U and weaker usages only. */
static void test_usage_nesting(void **state)
{
	unsigned int added, u;

	for (added = UDRM_RESV_USAGE_KERNEL; added <= UDRM_RESV_USAGE_BOOKKEEP;
	     added++) {
		struct udrm_resv *resv = new_resv();
		struct udrm_fence *f = new_fence();

		st_expect(udrm_resv_add_fence(resv, f, added), 0,
			  "add a %s fence", usage_names[added]);
		for (u = UDRM_RESV_USAGE_KERNEL; u <= UDRM_RESV_USAGE_BOOKKEEP;
		     u++)
			st_expect(udrm_resv_test_signaled(resv, u), u < added,
				  "test_signaled(%s) with a pending %s fence",
				  usage_names[u], usage_names[added]);
		udrm_fence_signal(f);
		for (u = UDRM_RESV_USAGE_KERNEL; u <= UDRM_RESV_USAGE_BOOKKEEP;
		     u++)
			st_check(
				udrm_resv_test_signaled(resv, u),
				"test_signaled(%s) once the %s fence signalled",
				usage_names[u], usage_names[added]);
		udrm_fence_put(f);
		udrm_resv_put(resv);
	}
	st_expect(st_mock_fences_alive(), 0, "fences left after the last put");
}

static void test_usage_rw(void **state)
{
	st_expect(udrm_resv_usage_rw(true), UDRM_RESV_USAGE_READ,
		  "a writer waits for readers and writers");
	st_expect(udrm_resv_usage_rw(false), UDRM_RESV_USAGE_WRITE,
		  "a reader waits for writers");
}

static unsigned int fence_count(struct udrm_resv *resv,
				enum udrm_resv_usage usage)
{
	struct udrm_fence **fences;
	unsigned int count, i;

	st_expect(udrm_resv_get_fences(resv, usage, &count, &fences), 0,
		  "get_fences");
	for (i = 0; i < count; i++)
		udrm_fence_put(fences[i]);
	free(fences);
	return count;
}

/* As dma_resv_add_fence(): a fence replaces one of its own context whose
 * usage is the same or weaker, never a stronger one. */
static void test_same_context_replaces_weaker_usage(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *a = new_fence(), *b = st_mock_fence(),
			  *c = st_mock_fence();

	b->context = c->context = a->context;
	b->seqno = 1;
	c->seqno = 2;
	st_expect(udrm_resv_add_fence(resv, a, UDRM_RESV_USAGE_READ), 0,
		  "add READ");
	st_expect(udrm_resv_add_fence(resv, b, UDRM_RESV_USAGE_WRITE), 0,
		  "add WRITE on the same context");
	st_expect(resv->count, 1,
		  "WRITE must replace the READ fence of its "
		  "context");
	st_check(resv->slots[0].fence == b &&
			 resv->slots[0].usage == UDRM_RESV_USAGE_WRITE,
		 "the slot must now hold the WRITE fence");
	st_expect(udrm_resv_add_fence(resv, c, UDRM_RESV_USAGE_READ), 0,
		  "add READ on the same context");
	st_expect(resv->count, 2, "READ must not replace a WRITE fence");
	st_expect(fence_count(resv, UDRM_RESV_USAGE_WRITE), 1,
		  "pending WRITE fences");
	st_expect(fence_count(resv, UDRM_RESV_USAGE_READ), 2,
		  "pending READ-or-stronger fences");
	udrm_fence_put(a);
	udrm_fence_put(b);
	udrm_fence_put(c);
	st_expect(st_mock_fences_alive(), 2,
		  "the resv must hold its two fences (the replaced one freed)");
	udrm_resv_put(resv);
	st_expect(st_mock_fences_alive(), 0, "fences left after the last put");
}

static void test_signalled_fence_is_replaced(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *a = new_fence(), *b = new_fence();

	st_expect(udrm_resv_add_fence(resv, a, UDRM_RESV_USAGE_KERNEL), 0,
		  "add KERNEL");
	udrm_fence_signal(a);
	st_expect(udrm_resv_add_fence(resv, b, UDRM_RESV_USAGE_BOOKKEEP), 0,
		  "add BOOKKEEP of another context");
	st_expect(resv->count, 1, "a signalled fence must give up its slot");
	udrm_fence_put(a);
	st_expect(st_mock_fences_alive(), 1, "the signalled fence was dropped");
	udrm_fence_put(b);
	udrm_resv_put(resv);
}

static void test_get_fences_skips_signalled_and_weaker(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *w = new_fence(), *r = new_fence(), *k = new_fence(),
			  **fences;
	unsigned int count;

	udrm_resv_add_fence(resv, w, UDRM_RESV_USAGE_WRITE);
	udrm_resv_add_fence(resv, r, UDRM_RESV_USAGE_READ);
	udrm_resv_add_fence(resv, k, UDRM_RESV_USAGE_KERNEL);
	udrm_fence_signal(k);
	st_expect(udrm_resv_get_fences(resv, UDRM_RESV_USAGE_WRITE, &count,
				       &fences),
		  0, "get_fences(WRITE)");
	st_expect(count, 1, "pending fences of WRITE or stronger");
	st_check(fences[0] == w, "get_fences(WRITE) must give the writer");
	st_expect(atomic_load(&w->refcount), 3,
		  "get_fences must give a reference (ours, the resv's, its)");
	udrm_fence_put(fences[0]);
	free(fences);
	udrm_fence_put(w);
	udrm_fence_put(r);
	udrm_fence_put(k);
	udrm_resv_put(resv);
	st_expect(st_mock_fences_alive(), 0, "fences left after the last put");
}

static void test_reserve_then_add_many(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *f[40];
	unsigned int i;

	udrm_resv_lock(resv);
	st_expect(udrm_resv_reserve_fences_locked(resv, 40), 0,
		  "reserve 40 slots");
	st_check(resv->capacity >= 40, "reserving 40 gave %u slots",
		 resv->capacity);
	for (i = 0; i < 40; i++) {
		f[i] = new_fence();
		udrm_resv_add_fence_locked(resv, f[i], UDRM_RESV_USAGE_READ);
	}
	udrm_resv_unlock(resv);
	st_expect(resv->count, 40, "fences of 40 contexts");
	for (i = 0; i < 40; i++)
		udrm_fence_signal(f[i]);
	/* Growing prunes the signalled fences first. */
	udrm_resv_lock(resv);
	st_expect(udrm_resv_reserve_fences_locked(resv, resv->capacity + 1), 0,
		  "reserve past the capacity");
	st_expect(resv->count, 0, "growing must drop signalled fences");
	udrm_resv_unlock(resv);
	for (i = 0; i < 40; i++)
		udrm_fence_put(f[i]);
	st_expect(st_mock_fences_alive(), 0, "fences left after pruning");
	udrm_resv_put(resv);
}

static void test_refcount_shares_fences(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *f = new_fence();

	st_check(udrm_resv_get(resv) == resv, "udrm_resv_get returns its arg");
	st_check(!udrm_resv_get(NULL), "udrm_resv_get(NULL)");
	udrm_resv_add_fence(resv, f, UDRM_RESV_USAGE_WRITE);
	udrm_fence_put(f);
	udrm_resv_put(resv);
	st_expect(st_mock_fences_alive(), 1,
		  "the fence must live while a reference to the resv does");
	udrm_resv_put(resv);
	udrm_resv_put(NULL);
	st_expect(st_mock_fences_alive(), 0, "fences left after the last put");
}

static void test_wait_times_out(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *f = new_fence();
	uint64_t start;

	udrm_resv_add_fence(resv, f, UDRM_RESV_USAGE_WRITE);
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_READ, true, 0),
		  0, "zero-timeout wait with a pending writer");
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_KERNEL, true, 0),
		  1, "zero-timeout wait for KERNEL fences only");
	start = udrm_fence_now_ns();
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_WRITE, true,
					 20000000),
		  0, "20 ms wait with a pending writer");
	st_check(udrm_fence_now_ns() - start >= 20000000,
		 "the wait returned before its timeout");
	udrm_fence_signal(f);
	st_check(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_WRITE, true,
					20000000) > 0,
		 "a wait after the signal must succeed");
	udrm_fence_put(f);
	udrm_resv_put(resv);
}

struct signal_later {
	struct udrm_fence *fence;
	unsigned int ms;
};

static void *signal_later_main(void *arg)
{
	struct signal_later *s = arg;

	st_msleep(s->ms);
	udrm_fence_signal(s->fence);
	return NULL;
}

static void test_wait_for_ever_wakes_on_signal(void **state)
{
	struct udrm_resv *resv = new_resv();
	struct udrm_fence *r = new_fence(), *w = new_fence();
	struct signal_later s[2] = {{r, 10}, {w, 30}};
	pthread_t threads[2];
	int i;

	udrm_resv_add_fence(resv, r, UDRM_RESV_USAGE_READ);
	udrm_resv_add_fence(resv, w, UDRM_RESV_USAGE_WRITE);
	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, signal_later_main, &s[i]);
	st_expect(udrm_resv_wait_timeout(resv, UDRM_RESV_USAGE_READ, true,
					 UINT64_MAX),
		  INT64_MAX, "a wait for ever returns once all fences signal");
	st_check(udrm_fence_is_signaled(r) && udrm_fence_is_signaled(w),
		 "the wait returned before both fences signalled");
	for (i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	udrm_fence_put(r);
	udrm_fence_put(w);
	udrm_resv_put(resv);
}

/* Writers add and signal while readers query; run it under TSan. */
struct stress {
	struct udrm_resv *resv;
	atomic_bool stop;
};

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		struct udrm_fence *f = new_fence();

		st_expect(udrm_resv_add_fence(s->resv, f,
					      (enum udrm_resv_usage)(i % 4)),
			  0, "add fence %d", i);
		udrm_fence_signal(f);
		udrm_fence_put(f);
	}
	return NULL;
}

static void *stress_reader(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load(&s->stop)) {
		udrm_resv_test_signaled(s->resv, UDRM_RESV_USAGE_BOOKKEEP);
		udrm_resv_wait_timeout(s->resv, UDRM_RESV_USAGE_READ, true,
				       1000000);
	}
	return NULL;
}

static void test_concurrent_add_and_wait(void **state)
{
	struct stress s = {.resv = new_resv()};
	pthread_t writers[2], reader;
	int i;

	pthread_create(&reader, NULL, stress_reader, &s);
	for (i = 0; i < 2; i++)
		pthread_create(&writers[i], NULL, stress_writer, &s);
	for (i = 0; i < 2; i++)
		pthread_join(writers[i], NULL);
	atomic_store(&s.stop, true);
	pthread_join(reader, NULL);
	st_check(udrm_resv_test_signaled(s.resv, UDRM_RESV_USAGE_BOOKKEEP),
		 "every fence signalled");
	st_check(s.resv->count <= 8,
		 "signalled fences must be reused, "
		 "%u slots in use",
		 s.resv->count);
	udrm_resv_put(s.resv);
	st_expect(st_mock_fences_alive(), 0, "fences left after the last put");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_resv_is_signalled),
		cmocka_unit_test(test_usage_nesting),
		cmocka_unit_test(test_usage_rw),
		cmocka_unit_test(test_same_context_replaces_weaker_usage),
		cmocka_unit_test(test_signalled_fence_is_replaced),
		cmocka_unit_test(test_get_fences_skips_signalled_and_weaker),
		cmocka_unit_test(test_reserve_then_add_many),
		cmocka_unit_test(test_refcount_shares_fences),
		cmocka_unit_test(test_wait_times_out),
		cmocka_unit_test(test_wait_for_ever_wakes_on_signal),
		cmocka_unit_test(test_concurrent_add_and_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
