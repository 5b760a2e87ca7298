// SPDX-License-Identifier: MIT
/*
 * Fence array conformance, after the kernel's dma-fence-array semantics
 * (drivers/dma-buf/dma-fence-array.c and its users in sync_file merges):
 * signalling when all or any fences have, by polling and by waiting, and
 * the first error of the contained fences becoming the array's.
 */
#include "sync_test.h"

#include <pthread.h>

#include "sync/dma_fence_array.h"

static int check_no_leaks(void **state)
{
	/* Arrays signal from the fence worker: let it finish. */
	udrm_fence_work_flush();
	st_expect(st_mock_fences_alive(), 0, "mock fences alive after test");
	return 0;
}

/* An array of @n new mock fences; their references stay in @fences. */
static struct udrm_fence *mock_array(unsigned int n, struct udrm_fence **fences,
				     bool signal_on_any)
{
	struct udrm_fence **owned = calloc(n, sizeof(*owned));
	struct udrm_fence_array *array;
	unsigned int i;

	st_check(owned, "allocating the fence list failed");
	for (i = 0; i < n; i++) {
		fences[i] = st_mock_fence();
		owned[i] = udrm_fence_get(fences[i]);
	}
	array = udrm_fence_array_create(n, owned, udrm_fence_context_alloc(1),
					1, signal_on_any);
	st_check(array, "udrm_fence_array_create failed");
	return &array->base;
}

static void put_all(struct udrm_fence **fences, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		udrm_fence_signal(fences[i]);
		udrm_fence_put(fences[i]);
	}
}

static void array_signals_when_all_have_polled(void **state)
{
	struct udrm_fence *f[4], *array = mock_array(4, f, false);

	st_check(udrm_fence_to_array(array), "to_array of an array is NULL");
	st_check(!udrm_fence_to_array(f[0]), "to_array of a plain fence");
	for (int i = 0; i < 4; i++) {
		st_check(!udrm_fence_is_signaled(array),
			 "array signalled with %d of 4 fences", i);
		udrm_fence_signal(f[i]);
	}
	st_check(udrm_fence_is_signaled(array),
		 "array pending with all 4 fences signalled");
	st_expect(udrm_fence_get_status(array), 1, "array status");
	udrm_fence_put(array);
	put_all(f, 4);
}

static void array_signals_when_all_have_with_callbacks(void **state)
{
	struct udrm_fence *f[4], *array = mock_array(4, f, false);
	struct st_simple_cb cb = {0};

	st_expect(udrm_fence_add_callback(array, &cb.cb, st_simple_callback), 0,
		  "add_callback on a pending array");
	udrm_fence_signal(f[3]);
	udrm_fence_signal(f[0]);
	udrm_fence_signal(f[1]);
	udrm_fence_work_flush();
	st_check(!cb.seen && !udrm_fence_is_signaled(array),
		 "array signalled with fence 2 pending");
	udrm_fence_signal(f[2]);
	udrm_fence_work_flush();
	st_check(cb.seen, "array callback did not run after all signalled");
	st_check(udrm_fence_is_signaled(array), "array pending after all");
	udrm_fence_put(array);
	put_all(f, 4);
}

static void array_on_any_signals_with_the_first(void **state)
{
	struct udrm_fence *f[3], *array = mock_array(3, f, true);
	struct st_simple_cb cb = {0};

	st_check(!udrm_fence_is_signaled(array), "any-array signalled early");
	st_expect(udrm_fence_add_callback(array, &cb.cb, st_simple_callback), 0,
		  "add_callback on a pending any-array");
	udrm_fence_signal(f[1]);
	udrm_fence_work_flush();
	st_check(cb.seen, "any-array callback did not run after one signal");
	st_expect(udrm_fence_get_status(array), 1, "any-array status");
	/* The others may signal later and must not disturb it. */
	udrm_fence_put(array);
	put_all(f, 3);
}

static void array_on_any_polled_signals_with_one(void **state)
{
	struct udrm_fence *f[3], *array = mock_array(3, f, true);

	udrm_fence_signal(f[2]);
	st_check(udrm_fence_is_signaled(array),
		 "polled any-array pending with fence 2 signalled");
	udrm_fence_put(array);
	put_all(f, 3);
}

static void array_of_signalled_fences_is_signalled_on_enable(void **state)
{
	struct udrm_fence *f[2], *array;
	struct udrm_fence **owned = calloc(2, sizeof(*owned));
	struct st_simple_cb cb = {0};

	f[0] = st_mock_fence();
	f[1] = st_mock_fence();
	udrm_fence_set_error(f[1], -ENOSPC);
	udrm_fence_signal(f[0]);
	udrm_fence_signal(f[1]);
	owned[0] = udrm_fence_get(f[0]);
	owned[1] = udrm_fence_get(f[1]);
	array = &udrm_fence_array_create(2, owned, 9, 1, false)->base;
	st_expect(udrm_fence_add_callback(array, &cb.cb, st_simple_callback),
		  -ENOENT, "add_callback on an array of signalled fences");
	st_expect(udrm_fence_get_status(array), -ENOSPC,
		  "status of an array of signalled fences, one failed");
	udrm_fence_put(array);
	put_all(f, 2);
}

static void array_reports_the_first_error(void **state)
{
	struct udrm_fence *f[3], *array = mock_array(3, f, false);

	udrm_fence_enable_sw_signaling(array);
	udrm_fence_signal(f[0]);
	udrm_fence_set_error(f[2], -EIO);
	udrm_fence_signal(f[2]);
	udrm_fence_set_error(f[1], -ETIMEDOUT);
	udrm_fence_signal(f[1]);
	st_check(udrm_fence_wait_timeout(array, false, 5000000000ull) > 0,
		 "wait on an array whose fences all signalled timed out");
	st_expect(udrm_fence_get_status(array), -EIO,
		  "array status: the first error");
	udrm_fence_put(array);
	put_all(f, 3);
}

static void polled_array_reports_an_error(void **state)
{
	struct udrm_fence *f[2], *array = mock_array(2, f, false);

	udrm_fence_set_error(f[1], -EPIPE);
	udrm_fence_signal(f[1]);
	udrm_fence_signal(f[0]);
	st_check(udrm_fence_is_signaled(array), "polled array pending");
	st_expect(udrm_fence_get_status(array), -EPIPE, "polled array status");
	udrm_fence_put(array);
	put_all(f, 2);
}

static void any_array_ignores_errors_after_it_signalled(void **state)
{
	struct udrm_fence *f[2], *array = mock_array(2, f, true);

	udrm_fence_enable_sw_signaling(array);
	udrm_fence_signal(f[0]);
	st_check(udrm_fence_wait_timeout(array, false, 5000000000ull) > 0,
		 "wait on an any-array timed out");
	udrm_fence_set_error(f[1], -EIO);
	udrm_fence_signal(f[1]);
	udrm_fence_work_flush();
	st_expect(udrm_fence_get_status(array), 1,
		  "any-array status after a later fence failed");
	udrm_fence_put(array);
	put_all(f, 2);
}

struct signal_later {
	pthread_t thread;
	struct udrm_fence **fences;
	unsigned int n;
};

static void *signal_later_thread(void *arg)
{
	struct signal_later *s = arg;

	for (unsigned int i = 0; i < s->n; i++) {
		st_msleep(1);
		udrm_fence_signal(s->fences[s->n - 1 - i]);
	}
	return NULL;
}

static void waiter_on_an_array_wakes_after_the_last(void **state)
{
	struct udrm_fence *f[8], *array = mock_array(8, f, false);
	struct signal_later s = {.fences = f, .n = 8};

	pthread_create(&s.thread, NULL, signal_later_thread, &s);
	st_check(udrm_fence_wait_timeout(array, false, 30000000000ull) > 0,
		 "wait on an array timed out");
	for (int i = 0; i < 8; i++)
		st_check(udrm_fence_is_signaled(f[i]),
			 "array signalled with fence %d pending", i);
	pthread_join(s.thread, NULL);
	udrm_fence_put(array);
	put_all(f, 8);
}

static void create_refuses_an_empty_set(void **state)
{
	struct udrm_fence *none[1];

	st_check(!udrm_fence_array_create(0, none, 1, 1, false),
		 "an empty array was created");
}

static void match_context_checks_every_fence(void **state)
{
	struct udrm_fence **owned = calloc(2, sizeof(*owned));
	struct udrm_fence *a = st_mock_fence(), *b = st_mock_fence(), *array;

	b->context = 5;
	owned[0] = udrm_fence_get(a);
	owned[1] = udrm_fence_get(b);
	array = &udrm_fence_array_create(2, owned, 7, 1, false)->base;
	st_check(udrm_fence_match_context(a, 0), "plain fence on its context");
	st_check(!udrm_fence_match_context(array, 0),
		 "array with a fence on context 5 matched context 0");
	st_check(udrm_fence_array_at(array, 1) == b &&
			 !udrm_fence_array_at(array, 2) &&
			 udrm_fence_array_at(a, 0) == a,
		 "array_at iteration");
	udrm_fence_signal(a);
	udrm_fence_signal(b);
	udrm_fence_put(array);
	udrm_fence_put(a);
	udrm_fence_put(b);
}

struct deadline_fence {
	struct udrm_fence base;
	uint64_t deadline;
};

static void record_deadline(struct udrm_fence *fence, uint64_t deadline_ns)
{
	((struct deadline_fence *)fence)->deadline = deadline_ns;
}

static void release_nothing(struct udrm_fence *fence)
{
	/* Both fences live in one allocation, freed by the test. */
}

static const struct udrm_fence_ops deadline_ops = {
	.set_deadline = record_deadline,
	.release = release_nothing,
};

static void deadline_reaches_every_pending_fence(void **state)
{
	struct deadline_fence *d = calloc(2, sizeof(*d));
	struct udrm_fence **owned = calloc(2, sizeof(*owned));
	struct udrm_fence *array;

	for (int i = 0; i < 2; i++) {
		udrm_fence_init(&d[i].base, &deadline_ops, NULL, NULL, 1, 1);
		owned[i] = &d[i].base; /* the array takes our references */
	}
	udrm_fence_signal(&d[0].base);
	array = &udrm_fence_array_create(2, owned, 3, 1, false)->base;
	udrm_fence_set_deadline(array, 777);
	st_expect(d[0].deadline, 0, "deadline given to a signalled fence");
	st_expect(d[1].deadline, 777, "deadline of the pending fence");
	udrm_fence_signal(&d[1].base);
	udrm_fence_put(array);
	udrm_fence_work_flush();
	free(d);
}

#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(array_signals_when_all_have_polled),
		T(array_signals_when_all_have_with_callbacks),
		T(array_on_any_signals_with_the_first),
		T(array_on_any_polled_signals_with_one),
		T(array_of_signalled_fences_is_signalled_on_enable),
		T(array_reports_the_first_error),
		T(polled_array_reports_an_error),
		T(any_array_ignores_errors_after_it_signalled),
		T(waiter_on_an_array_wakes_after_the_last),
		T(create_refuses_an_empty_set),
		T(match_context_checks_every_fence),
		T(deadline_reaches_every_pending_fence),
	};

	return cmocka_run_group_tests_name("dma_fence_array", tests, NULL,
					   NULL);
}
