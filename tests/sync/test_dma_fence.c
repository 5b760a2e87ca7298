// SPDX-License-Identifier: MIT
/*
 * dma-fence conformance, after the kernel's drivers/dma-buf/st-dma-fence.c:
 * signalling once, callbacks before and after signalling, removal, status
 * and errors, waits with and without timeouts, stubs, and the race between
 * signalling a fence and adding a callback to it from another thread.
 * Beyond the selftests: lazy enable_signaling, seqno ordering with and
 * without wrap-around, names that outlive their producer, wait_many.
 */
#include "sync_test.h"

#include <pthread.h>

static int check_no_leaks(void **state)
{
	st_expect(st_mock_fences_alive(), 0, "mock fences alive after test");
	return 0;
}

static void new_fence_is_pending_and_signals_once(void **state)
{
	struct udrm_fence *f = st_mock_fence();

	st_check(!udrm_fence_is_signaled(f), "a new fence reports signalled");
	st_expect(udrm_fence_get_status(f), 0, "status of a new fence");
	st_expect(udrm_fence_timestamp(f), 0, "timestamp before signalling");
	st_expect(udrm_fence_signal(f), 0, "first signal");
	st_check(udrm_fence_is_signaled(f), "fence not signalled by signal");
	st_expect(udrm_fence_signal(f), -EINVAL, "second signal");
	udrm_fence_put(f);
}

static void signal_records_a_monotonic_timestamp(void **state)
{
	struct udrm_fence *f = st_mock_fence(), *g = st_mock_fence();
	uint64_t before = udrm_fence_now_ns(), ts;

	udrm_fence_signal(f);
	ts = udrm_fence_timestamp(f);
	st_check(ts >= before && ts <= udrm_fence_now_ns(),
		 "timestamp %llu not within the signal call (from %llu)",
		 (unsigned long long)ts, (unsigned long long)before);
	st_expect(udrm_fence_signal_timestamp(g, 1234), 0,
		  "signal with a timestamp");
	st_expect(udrm_fence_timestamp(g), 1234, "given timestamp");
	udrm_fence_put(f);
	udrm_fence_put(g);
}

static void callback_runs_on_signal(void **state)
{
	struct st_simple_cb cb = {0};
	struct udrm_fence *f = st_mock_fence();

	st_expect(udrm_fence_add_callback(f, &cb.cb, st_simple_callback), 0,
		  "add_callback on a pending fence");
	st_check(!cb.seen, "callback ran before signal");
	udrm_fence_signal(f);
	st_check(cb.seen, "callback did not run on signal");
	udrm_fence_put(f);
}

static void late_add_callback_is_enoent_and_never_runs(void **state)
{
	struct st_simple_cb cb = {0};
	struct udrm_fence *f = st_mock_fence();

	udrm_fence_enable_sw_signaling(f);
	udrm_fence_signal(f);
	st_expect(udrm_fence_add_callback(f, &cb.cb, st_simple_callback),
		  -ENOENT, "add_callback on a signalled fence");
	udrm_fence_signal(f);
	st_check(!cb.seen, "callback ran after a failed add_callback");
	st_expect(udrm_fence_add_callback(f, &cb.cb, NULL), -EINVAL,
		  "add_callback without a function");
	udrm_fence_put(f);
}

static void removed_callback_never_runs(void **state)
{
	struct st_simple_cb cb = {0};
	struct udrm_fence *f = st_mock_fence();

	st_expect(udrm_fence_add_callback(f, &cb.cb, st_simple_callback), 0,
		  "add_callback");
	st_check(udrm_fence_remove_callback(f, &cb.cb),
		 "remove_callback of a queued callback returned false");
	udrm_fence_signal(f);
	st_check(!cb.seen, "callback ran after removal");
	udrm_fence_put(f);
}

static void late_remove_callback_reports_it_ran(void **state)
{
	struct st_simple_cb cb = {0};
	struct udrm_fence *f = st_mock_fence();

	st_expect(udrm_fence_add_callback(f, &cb.cb, st_simple_callback), 0,
		  "add_callback");
	udrm_fence_signal(f);
	st_check(cb.seen, "callback did not run");
	st_check(!udrm_fence_remove_callback(f, &cb.cb),
		 "remove_callback succeeded after the callback ran");
	udrm_fence_put(f);
}

struct order_cb {
	struct udrm_fence_cb cb;
	int *log;
	int *n;
	int id;
};

static void order_callback(struct udrm_fence *fence, struct udrm_fence_cb *cb)
{
	struct order_cb *o = (struct order_cb *)cb;

	o->log[(*o->n)++] = o->id;
}

static void callbacks_run_in_the_order_added(void **state)
{
	struct udrm_fence *f = st_mock_fence();
	struct order_cb cbs[4];
	int log[4], n = 0, i;

	for (i = 0; i < 4; i++) {
		cbs[i] = (struct order_cb){.log = log, .n = &n, .id = i};
		udrm_fence_add_callback(f, &cbs[i].cb, order_callback);
	}
	udrm_fence_remove_callback(f, &cbs[2].cb);
	udrm_fence_signal(f);
	st_expect(n, 3, "callbacks run");
	st_check(log[0] == 0 && log[1] == 1 && log[2] == 3,
		 "callbacks ran as %d %d %d, expected 0 1 3", log[0], log[1],
		 log[2]);
	udrm_fence_put(f);
}

static void status_is_zero_then_one(void **state)
{
	struct udrm_fence *f = st_mock_fence();

	udrm_fence_enable_sw_signaling(f);
	st_expect(udrm_fence_get_status(f), 0, "status before signal");
	udrm_fence_signal(f);
	st_expect(udrm_fence_get_status(f), 1, "status after signal");
	udrm_fence_put(f);
}

static void error_shows_only_once_signalled(void **state)
{
	struct udrm_fence *f = st_mock_fence();

	udrm_fence_enable_sw_signaling(f);
	st_expect(udrm_fence_set_error(f, -EIO), 0, "set_error before signal");
	st_expect(udrm_fence_get_status(f), 0, "status with error, pending");
	udrm_fence_signal(f);
	st_expect(udrm_fence_get_status(f), -EIO, "status after signal");
	st_expect(udrm_fence_set_error(f, -ENOMEM), -EINVAL,
		  "set_error after signal");
	st_expect(udrm_fence_get_status(f), -EIO, "status after late error");
	udrm_fence_put(f);
}

static void set_error_rejects_non_errno_values(void **state)
{
	struct udrm_fence *f = st_mock_fence();

	st_expect(udrm_fence_set_error(f, 0), -EINVAL, "set_error(0)");
	st_expect(udrm_fence_set_error(f, 5), -EINVAL, "set_error(5)");
	st_expect(udrm_fence_set_error(f, -5000), -EINVAL, "set_error(-5000)");
	udrm_fence_signal(f);
	st_expect(udrm_fence_get_status(f), 1, "status after bad errors");
	udrm_fence_put(f);
}

static void zero_timeout_wait_only_polls(void **state)
{
	struct udrm_fence *f = st_mock_fence();

	udrm_fence_enable_sw_signaling(f);
	st_expect(udrm_fence_wait_timeout(f, false, 0), 0,
		  "zero-timeout wait on a pending fence");
	udrm_fence_signal(f);
	st_expect(udrm_fence_wait_timeout(f, false, 0), 1,
		  "zero-timeout wait on a signalled fence");
	udrm_fence_put(f);
}

struct delayed_signal {
	pthread_t thread;
	struct udrm_fence *fence;
	unsigned int ms;
};

static void *delayed_signal_thread(void *arg)
{
	struct delayed_signal *d = arg;

	st_msleep(d->ms);
	udrm_fence_signal(d->fence);
	return NULL;
}

static void delayed_signal_start(struct delayed_signal *d, struct udrm_fence *f,
				 unsigned int ms)
{
	d->fence = f;
	d->ms = ms;
	st_expect(pthread_create(&d->thread, NULL, delayed_signal_thread, d), 0,
		  "starting the signalling thread");
}

static void wait_times_out_then_wakes_on_signal(void **state)
{
	struct udrm_fence *f = st_mock_fence();
	struct delayed_signal d;
	int64_t ret;

	udrm_fence_enable_sw_signaling(f);
	st_expect(udrm_fence_wait_timeout(f, false, 1000000), 0,
		  "1 ms wait on a pending fence");
	delayed_signal_start(&d, f, 10);
	ret = udrm_fence_wait_timeout(f, false, 5000000000ull);
	st_check(ret > 0 && ret < 5000000000ll,
		 "5 s wait on a fence signalled after 10 ms returned %lld, "
		 "expected the remaining time",
		 (long long)ret);
	st_check(udrm_fence_is_signaled(f), "wait returned, fence pending");
	pthread_join(d.thread, NULL);
	st_expect(udrm_fence_wait(f, false), 0, "wait for ever, signalled");
	st_expect(udrm_fence_wait_timeout(f, false, UINT64_MAX), INT64_MAX,
		  "endless wait on a signalled fence");
	udrm_fence_put(f);
}

static bool counting_enable(struct udrm_fence *fence);

struct lazy_fence {
	struct udrm_fence base;
	atomic_int enables;
	bool report_done;
};

static const struct udrm_fence_ops lazy_ops = {
	.enable_signaling = counting_enable,
};

static bool counting_enable(struct udrm_fence *fence)
{
	struct lazy_fence *l = (struct lazy_fence *)fence;

	atomic_fetch_add(&l->enables, 1);
	return !l->report_done;
}

static void enable_signaling_is_lazy_and_called_once(void **state)
{
	struct lazy_fence *l = calloc(1, sizeof(*l));
	struct st_simple_cb a = {0}, b = {0};

	udrm_fence_init(&l->base, &lazy_ops, NULL, NULL, 1, 1);
	st_expect(l->enables, 0, "enable_signaling calls after init");
	st_check(!udrm_fence_is_signaled(&l->base), "new lazy fence signalled");
	st_expect(l->enables, 0, "enable_signaling calls after is_signaled");
	udrm_fence_add_callback(&l->base, &a.cb, st_simple_callback);
	st_expect(l->enables, 1, "enable_signaling calls after add_callback");
	udrm_fence_add_callback(&l->base, &b.cb, st_simple_callback);
	udrm_fence_enable_sw_signaling(&l->base);
	udrm_fence_wait_timeout(&l->base, false, 0);
	st_expect(l->enables, 1, "enable_signaling calls after more users");
	udrm_fence_signal(&l->base);
	st_check(a.seen && b.seen, "callbacks did not run");
	st_expect(strcmp(udrm_fence_driver_name(&l->base), "unknown"), 0,
		  "driver name without names");
	udrm_fence_put(&l->base);
}

static void enable_signaling_false_signals_the_fence(void **state)
{
	struct lazy_fence *l = calloc(1, sizeof(*l));
	struct st_simple_cb cb = {0};

	l->report_done = true;
	udrm_fence_init(&l->base, &lazy_ops, NULL, NULL, 1, 1);
	st_expect(udrm_fence_add_callback(&l->base, &cb.cb, st_simple_callback),
		  -ENOENT, "add_callback when enable_signaling says done");
	st_check(!cb.seen, "callback ran though not added");
	st_check(udrm_fence_is_signaled(&l->base),
		 "fence pending after enable_signaling returned false");
	udrm_fence_put(&l->base);
}

struct polled_fence {
	struct udrm_fence base;
	atomic_bool done;
};

static bool polled_signaled(struct udrm_fence *fence)
{
	return atomic_load(&((struct polled_fence *)fence)->done);
}

static const struct udrm_fence_ops polled_ops = {
	.signaled = polled_signaled,
};

static void *polled_complete_thread(void *arg)
{
	st_msleep(5);
	atomic_store(&((struct polled_fence *)arg)->done, true);
	return NULL;
}

static void signaled_op_completes_fences_and_waits(void **state)
{
	struct polled_fence *p = calloc(1, sizeof(*p));
	pthread_t thread;

	udrm_fence_init(&p->base, &polled_ops, NULL, NULL, 1, 1);
	st_check(!udrm_fence_is_signaled(&p->base), "polled fence signalled");
	pthread_create(&thread, NULL, polled_complete_thread, p);
	st_check(udrm_fence_wait_timeout(&p->base, false, 5000000000ull) > 0,
		 "wait on a fence completed through ops->signaled timed out");
	st_check(atomic_load(&p->base.flags) & UDRM_FENCE_FLAG_SIGNALED,
		 "is_signaled through ops->signaled did not signal the fence");
	pthread_join(thread, NULL);
	udrm_fence_put(&p->base);
}

static const struct udrm_fence_ops ops64 = {.use_64bit_seqno = true};
static const struct udrm_fence_ops ops32 = {0};

static void seqno_order_wraps_at_32_bits_unless_64bit(void **state)
{
	struct udrm_fence a, b, c;

	udrm_fence_init(&a, &ops32, NULL, NULL, 7, 0xfffffff0u);
	udrm_fence_init(&b, &ops32, NULL, NULL, 7, 0x10);
	udrm_fence_init(&c, &ops32, NULL, NULL, 8, 0x20);
	st_check(udrm_fence_is_later(&b, &a),
		 "0x10 is not later than 0xfffffff0 with 32-bit wrap");
	st_check(!udrm_fence_is_later(&a, &b), "0xfffffff0 later than 0x10");
	st_check(!udrm_fence_is_later(&c, &b),
		 "fences of different contexts compared as ordered");
	st_check(!udrm_fence_is_later(&a, &a), "a fence is later than itself");

	a.ops = &ops64;
	b.ops = &ops64;
	st_check(udrm_fence_is_later(&a, &b),
		 "64-bit seqno 0xfffffff0 not later than 0x10");
	st_check(udrm_fence_seqno_later(&a, 1ull << 40, 5),
		 "2^40 not later than 5 in 64 bits");
	st_check(!udrm_fence_seqno_later(&c, 1ull << 40, 5),
		 "2^40 later than 5 in 32 bits (the low bits are 0)");
}

static void contexts_are_unique_and_consecutive(void **state)
{
	uint64_t a = udrm_fence_context_alloc(3);
	uint64_t b = udrm_fence_context_alloc(1);

	st_check(a != 0, "context 0 (the stub's) was handed out");
	st_expect(b, a + 3, "context after a block of 3");
}

static void stub_is_always_signalled(void **state)
{
	struct udrm_fence *f[64];
	struct udrm_fence *p;
	int i;

	for (i = 0; i < 64; i++) {
		f[i] = udrm_fence_get_stub();
		st_check(udrm_fence_is_signaled(f[i]), "unsignalled stub %d",
			 i);
		st_check(f[i] == f[0], "the stub is not shared");
	}
	st_expect(udrm_fence_get_status(f[0]), 1, "stub status");
	for (i = 0; i < 64; i++)
		udrm_fence_put(f[i]);
	/* Its users are gone; the stub stays, still signalled. */
	p = udrm_fence_get_stub();
	st_check(p == f[0] && udrm_fence_is_signaled(p),
		 "the stub changed or went pending after its users left");
	udrm_fence_put(p);

	p = udrm_fence_allocate_private_stub(42);
	st_check(p && p != f[0], "private stub is the shared one");
	st_check(udrm_fence_is_signaled(p), "private stub not signalled");
	st_expect(udrm_fence_timestamp(p), 42, "private stub timestamp");
	st_check(p->context != 0, "private stub on the shared context");
	udrm_fence_put(p);
}

static void names_outlive_the_producer(void **state)
{
	struct udrm_fence_names *names = udrm_fence_names_create("drv", "tl");
	struct udrm_fence *f = malloc(sizeof(*f));

	udrm_fence_init(f, NULL, NULL, names, 1, 1);
	/* The producer goes away. */
	udrm_fence_names_put(names);
	st_expect(strcmp(udrm_fence_driver_name(f), "drv"), 0, "driver name");
	st_expect(strcmp(udrm_fence_timeline_name(f), "tl"), 0,
		  "timeline name");
	udrm_fence_signal(f);
	udrm_fence_put(f);
}

static void put_of_a_pending_fence_completes_callbacks(void **state)
{
	struct st_simple_cb cb = {0};
	struct udrm_fence *f = st_mock_fence();

	udrm_fence_add_callback(f, &cb.cb, st_simple_callback);
	udrm_fence_put(f);
	st_check(cb.seen, "callback left dangling by the last put");
}

static void wait_many_any_reports_the_signalled_index(void **state)
{
	struct udrm_fence *f[3] = {st_mock_fence(), st_mock_fence(),
				   st_mock_fence()};
	struct delayed_signal d;
	unsigned int idx = 99;

	st_expect(udrm_fence_wait_many(f, 3, true, false, 1000000, &idx), 0,
		  "wait_any on pending fences with 1 ms");
	st_expect(udrm_fence_wait_many(f, 0, true, false, 0, &idx), -EINVAL,
		  "wait_many with no fences");
	delayed_signal_start(&d, f[2], 5);
	st_check(udrm_fence_wait_many(f, 3, true, false, 5000000000ull, &idx) >
			 0,
		 "wait_any timed out though fence 2 signalled");
	st_expect(idx, 2, "index of the signalled fence");
	pthread_join(d.thread, NULL);
	udrm_fence_signal(f[0]);
	st_check(udrm_fence_wait_many(f, 3, true, false, 0, &idx) > 0,
		 "zero-timeout wait_any with signalled fences");
	st_expect(idx, 0, "index of the first signalled fence");
	udrm_fence_signal(f[1]);
	for (int i = 0; i < 3; i++)
		udrm_fence_put(f[i]);
}

static void wait_many_all_needs_every_fence(void **state)
{
	struct udrm_fence *f[3] = {st_mock_fence(), st_mock_fence(),
				   st_mock_fence()};
	struct delayed_signal d;

	udrm_fence_signal(f[0]);
	udrm_fence_signal(f[2]);
	st_expect(udrm_fence_wait_many(f, 3, false, false, 1000000, NULL), 0,
		  "wait_all with fence 1 pending");
	delayed_signal_start(&d, f[1], 5);
	st_check(udrm_fence_wait_many(f, 3, false, false, 5000000000ull, NULL) >
			 0,
		 "wait_all timed out though all signalled");
	pthread_join(d.thread, NULL);
	for (int i = 0; i < 3; i++)
		udrm_fence_put(f[i]);
}

/*
 * The kernel's race_signal_callback: two threads each publish a fence,
 * take the other's, add a callback to it and signal their own, before or
 * after adding. Whatever the interleaving, the callback must be seen once
 * the other fence is signalled, or add_callback must have said -ENOENT.
 */
struct race_slots {
	pthread_mutex_t lock;
	struct udrm_fence *fences[2]; /* (lock) a reference each */
	atomic_bool stop;
};

struct race_thread {
	pthread_t thread;
	struct race_slots *slots;
	int id;
	bool before;
	unsigned long passes, misses;
	int err;
};

static struct udrm_fence *race_take(struct race_slots *s, int id)
{
	struct udrm_fence *f;

	pthread_mutex_lock(&s->lock);
	f = udrm_fence_get(s->fences[id]);
	pthread_mutex_unlock(&s->lock);
	return f;
}

static void race_publish(struct race_slots *s, int id, struct udrm_fence *f)
{
	struct udrm_fence *old;

	pthread_mutex_lock(&s->lock);
	old = s->fences[id];
	s->fences[id] = udrm_fence_get(f);
	pthread_mutex_unlock(&s->lock);
	udrm_fence_put(old);
}

static void *race_signal_callback_thread(void *arg)
{
	struct race_thread *t = arg;

	while (!t->err && !atomic_load(&t->slots->stop)) {
		struct udrm_fence *f1 = st_mock_fence(), *f2;
		struct st_simple_cb cb = {0};

		udrm_fence_enable_sw_signaling(f1);
		race_publish(t->slots, t->id, f1);
		do {
			f2 = race_take(t->slots, !t->id);
		} while (!f2 && !atomic_load(&t->slots->stop));

		if (t->before)
			udrm_fence_signal(f1);
		if (!f2 ||
		    udrm_fence_add_callback(f2, &cb.cb, st_simple_callback)) {
			t->misses++;
			atomic_store(&cb.seen, true);
		}
		if (!t->before)
			udrm_fence_signal(f1);
		if (!atomic_load(&cb.seen)) {
			udrm_fence_wait(f2, false);
			/* Callbacks run under the lock: wait for them. */
			pthread_mutex_lock(f2->lock);
			pthread_mutex_unlock(f2->lock);
		}
		if (!atomic_load(&cb.seen))
			t->err = -EINVAL;
		udrm_fence_put(f2);
		race_publish(t->slots, t->id, NULL);
		udrm_fence_put(f1);
		t->passes++;
	}
	return NULL;
}

static void race_signal_callback(void **state)
{
	for (int pass = 0; pass <= 1; pass++) {
		struct race_slots slots = {.lock = PTHREAD_MUTEX_INITIALIZER};
		struct race_thread t[2];
		int i;

		for (i = 0; i < 2; i++) {
			t[i] = (struct race_thread){
				.slots = &slots, .id = i, .before = pass};
			st_expect(pthread_create(&t[i].thread, NULL,
						 race_signal_callback_thread,
						 &t[i]),
				  0, "starting race thread %d", i);
		}
		st_msleep(100);
		atomic_store(&slots.stop, true);
		for (i = 0; i < 2; i++) {
			pthread_join(t[i].thread, NULL);
			st_expect(t[i].err, 0,
				  "thread %d (signalling %s add_callback): "
				  "callback not seen after %lu passes",
				  i, pass ? "before" : "after", t[i].passes);
		}
		for (i = 0; i < 2; i++)
			udrm_fence_put(slots.fences[i]);
	}
}

#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(new_fence_is_pending_and_signals_once),
		T(signal_records_a_monotonic_timestamp),
		T(callback_runs_on_signal),
		T(late_add_callback_is_enoent_and_never_runs),
		T(removed_callback_never_runs),
		T(late_remove_callback_reports_it_ran),
		T(callbacks_run_in_the_order_added),
		T(status_is_zero_then_one),
		T(error_shows_only_once_signalled),
		T(set_error_rejects_non_errno_values),
		T(zero_timeout_wait_only_polls),
		T(wait_times_out_then_wakes_on_signal),
		T(enable_signaling_is_lazy_and_called_once),
		T(enable_signaling_false_signals_the_fence),
		T(signaled_op_completes_fences_and_waits),
		T(seqno_order_wraps_at_32_bits_unless_64bit),
		T(contexts_are_unique_and_consecutive),
		T(stub_is_always_signalled),
		T(names_outlive_the_producer),
		T(put_of_a_pending_fence_completes_callbacks),
		T(wait_many_any_reports_the_signalled_index),
		T(wait_many_all_needs_every_fence),
		T(race_signal_callback),
	};

	return cmocka_run_group_tests_name("dma_fence", tests, NULL, NULL);
}
