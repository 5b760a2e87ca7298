// SPDX-License-Identifier: MIT
/*
 * Fence chain conformance, after the kernel's
 * drivers/dma-buf/st-dma-fence-chain.c: finding points (in order, after
 * signalling, out of order, across gaps, racing with signalling), and
 * nodes signalling only once every earlier point has, whichever order the
 * fences signal in, for pollers and for sleeping waiters. Beyond the
 * selftests: the context/seqno rules of init and long-chain teardown.
 */
#include "sync_test.h"

#include <pthread.h>
#include <unistd.h>

#include "sync/dma_fence_chain.h"

#define CHAIN_SZ (4 << 10)

static int check_no_leaks(void **state)
{
	/* Chain nodes signal from the fence worker: let it finish. */
	udrm_fence_work_flush();
	st_expect(st_mock_fences_alive(), 0, "mock fences alive after test");
	return 0;
}

/* A node on @prev for @fence at @seqno; takes its own references. */
static struct udrm_fence *mock_chain(struct udrm_fence *prev,
				     struct udrm_fence *fence, uint64_t seqno)
{
	struct udrm_fence_chain *chain = udrm_fence_chain_alloc();

	st_check(chain, "allocating a chain node failed");
	udrm_fence_chain_init(chain, udrm_fence_get(prev),
			      udrm_fence_get(fence), seqno);
	return &chain->base;
}

struct fence_chains {
	unsigned int chain_length;
	struct udrm_fence **fences;
	struct udrm_fence **chains;
	struct udrm_fence *tail;
};

static uint64_t seqno_inc(unsigned int i)
{
	return i + 1;
}

static uint64_t seqno_inc2(unsigned int i)
{
	return 2 * i + 2;
}

static void fence_chains_init(struct fence_chains *fc, unsigned int count,
			      uint64_t (*seqno_fn)(unsigned int))
{
	unsigned int i;

	fc->chains = calloc(count, sizeof(*fc->chains));
	fc->fences = calloc(count, sizeof(*fc->fences));
	st_check(fc->chains && fc->fences, "allocating %u chains failed",
		 count);
	fc->tail = NULL;
	for (i = 0; i < count; i++) {
		fc->fences[i] = st_mock_fence();
		fc->chains[i] =
			mock_chain(fc->tail, fc->fences[i], seqno_fn(i));
		fc->tail = fc->chains[i];
	}
	fc->chain_length = count;
}

static void fence_chains_fini(struct fence_chains *fc)
{
	unsigned int i;

	for (i = 0; i < fc->chain_length; i++) {
		udrm_fence_signal(fc->fences[i]);
		udrm_fence_put(fc->fences[i]);
	}
	free(fc->fences);
	for (i = 0; i < fc->chain_length; i++)
		udrm_fence_put(fc->chains[i]);
	free(fc->chains);
}

static void sanity_node_signals_with_its_fence(void **state)
{
	struct udrm_fence *f = st_mock_fence();
	struct udrm_fence *chain = mock_chain(NULL, f, 1);

	st_check(udrm_fence_to_chain(chain), "to_chain of a node is NULL");
	st_check(!udrm_fence_to_chain(f), "to_chain of a plain fence");
	st_check(udrm_fence_chain_contained(chain) == f,
		 "contained fence is not the node's");
	st_expect(strcmp(udrm_fence_driver_name(chain), "dma_fence_chain"), 0,
		  "chain driver name");
	st_check(!udrm_fence_is_signaled(chain), "node signalled early");
	udrm_fence_signal(f);
	st_check(udrm_fence_is_signaled(chain), "node not signalled");
	udrm_fence_put(f);
	udrm_fence_put(chain);
}

static void init_continues_or_starts_a_timeline(void **state)
{
	struct udrm_fence *f = st_mock_fence();
	struct udrm_fence *a = mock_chain(NULL, f, 5);
	struct udrm_fence *b = mock_chain(a, f, 7);
	struct udrm_fence *c = mock_chain(b, f, 6);
	struct udrm_fence *d = mock_chain(f, f, 3);

	st_check(b->context == a->context,
		 "a later point did not continue the timeline");
	st_expect(b->seqno, 7, "seqno of the later point");
	st_expect(udrm_fence_to_chain(b)->prev_seqno, 5, "prev_seqno");
	st_check(c->context != b->context,
		 "an earlier point stayed on the timeline");
	st_expect(c->seqno, 7, "seqno of an earlier point (the max)");
	st_expect(udrm_fence_to_chain(c)->prev_seqno, 0,
		  "prev_seqno of a new timeline");
	st_check(d->context != f->context && d->seqno == 3,
		 "a node on a plain fence: context %llu seqno %llu",
		 (unsigned long long)d->context, (unsigned long long)d->seqno);
	udrm_fence_signal(f);
	udrm_fence_put(d);
	udrm_fence_put(c);
	udrm_fence_put(b);
	udrm_fence_put(a);
	udrm_fence_put(f);
}

static void find_seqno_finds_every_point(void **state)
{
	struct fence_chains fc;
	struct udrm_fence *fence;
	unsigned int i;

	fence_chains_init(&fc, 64, seqno_inc);

	fence = udrm_fence_get(fc.tail);
	st_expect(udrm_fence_chain_find_seqno(&fence, 0), 0, "find_seqno(0)");
	st_check(fence == fc.tail, "find_seqno(0) moved");
	udrm_fence_put(fence);

	for (i = 0; i < fc.chain_length; i++) {
		fence = udrm_fence_get(fc.tail);
		st_expect(udrm_fence_chain_find_seqno(&fence, i + 1), 0,
			  "find_seqno(%u) from the tail", i + 1);
		st_check(fence == fc.chains[i],
			 "find_seqno(%u) gave the node of seqno %llu", i + 1,
			 fence ? (unsigned long long)fence->seqno : 0ull);

		st_expect(udrm_fence_chain_find_seqno(&fence, i + 1), 0,
			  "finding self (%u)", i + 1);
		st_check(fence == fc.chains[i], "finding self moved (%u)",
			 i + 1);

		st_expect(udrm_fence_chain_find_seqno(&fence, i + 2), -EINVAL,
			  "find_seqno(%u) from point %u, in the future", i + 2,
			  i + 1);
		st_check(fence == fc.chains[i], "failed find_seqno moved");

		st_expect(udrm_fence_chain_find_seqno(&fence, i), 0,
			  "find_seqno(%u) from point %u", i, i + 1);
		if (i > 0)
			st_check(fence == fc.chains[i - 1],
				 "find_seqno(%u) from point %u gave seqno %llu",
				 i, i + 1, (unsigned long long)fence->seqno);
		udrm_fence_put(fence);
	}

	fence = st_mock_fence();
	st_expect(udrm_fence_chain_find_seqno(&fence, 1), -EINVAL,
		  "find_seqno on a plain fence");
	udrm_fence_signal(fence);
	udrm_fence_put(fence);
	fence_chains_fini(&fc);
}

static void find_seqno_of_a_signalled_point_is_null_or_itself(void **state)
{
	struct fence_chains fc;
	struct udrm_fence *fence;

	fence_chains_init(&fc, 2, seqno_inc);
	udrm_fence_signal(fc.fences[0]);

	fence = udrm_fence_get(fc.tail);
	st_expect(udrm_fence_chain_find_seqno(&fence, 1), 0,
		  "find_seqno(1) after it signalled");
	st_check(!fence || fence == fc.chains[0],
		 "find_seqno(1) gave seqno %llu for a completed point",
		 fence ? (unsigned long long)fence->seqno : 0ull);
	udrm_fence_put(fence);
	fence_chains_fini(&fc);
}

static void find_seqno_waits_for_earlier_points_out_of_order(void **state)
{
	struct fence_chains fc;
	struct udrm_fence *fence;

	fence_chains_init(&fc, 3, seqno_inc);
	udrm_fence_signal(fc.fences[1]);

	/* 2 of 1-2-3 signalled: point 2 is still waiting for point 1. */
	fence = udrm_fence_get(fc.tail);
	st_expect(udrm_fence_chain_find_seqno(&fence, 2), 0, "find_seqno(2)");
	st_check(fence == fc.chains[0],
		 "find_seqno(2) with 1 pending gave seqno %llu, expected 1",
		 fence ? (unsigned long long)fence->seqno : 0ull);
	udrm_fence_put(fence);
	fence_chains_fini(&fc);
}

static void find_seqno_in_a_gap_gives_the_next_point(void **state)
{
	struct fence_chains fc;
	struct udrm_fence *fence;
	unsigned int i;

	fence_chains_init(&fc, 64, seqno_inc2);
	for (i = 0; i < fc.chain_length; i++) {
		fence = udrm_fence_get(fc.tail);
		st_expect(udrm_fence_chain_find_seqno(&fence, 2 * i + 1), 0,
			  "find_seqno(%u) in a gap", 2 * i + 1);
		st_check(fence == fc.chains[i],
			 "find_seqno(%u) gave seqno %llu, expected %u",
			 2 * i + 1,
			 fence ? (unsigned long long)fence->seqno : 0ull,
			 2 * i + 2);
		st_expect(udrm_fence_chain_find_seqno(&fence, 2 * i + 2), 0,
			  "finding self (%u)", 2 * i + 2);
		st_check(fence == fc.chains[i], "finding self moved");
		udrm_fence_put(fence);
	}
	fence_chains_fini(&fc);
}

struct find_race {
	struct fence_chains fc;
	atomic_bool stop;
	atomic_ulong cycles;
};

struct find_race_thread {
	pthread_t thread;
	struct find_race *data;
	uint32_t seed;
	int err;
	uint64_t bad_seqno;
};

static void *find_race_thread(void *arg)
{
	struct find_race_thread *t = arg;
	struct find_race *data = t->data;

	while (!t->err && !atomic_load(&data->stop)) {
		struct udrm_fence *fence = udrm_fence_get(data->fc.tail);
		uint64_t seqno;

		seqno = st_rand(&t->seed) % data->fc.chain_length + 1;
		if (udrm_fence_chain_find_seqno(&fence, seqno)) {
			t->err = -EINVAL;
			t->bad_seqno = seqno;
			udrm_fence_put(fence);
			break;
		}
		/* Only the node of the point itself finds itself. */
		if (fence && fence->seqno == seqno &&
		    udrm_fence_chain_find_seqno(&fence, seqno)) {
			t->err = -ESRCH;
			t->bad_seqno = seqno;
		}
		udrm_fence_put(fence);

		seqno = st_rand(&t->seed) % (data->fc.chain_length - 1);
		udrm_fence_signal(data->fc.fences[seqno]);
		atomic_fetch_add(&data->cycles, 1);
	}
	return NULL;
}

static void find_seqno_races_with_signalling(void **state)
{
	struct find_race data = {0};
	struct find_race_thread t[4];
	unsigned int i, n = 4;

	fence_chains_init(&data.fc, CHAIN_SZ, seqno_inc);
	for (i = 0; i < n; i++) {
		t[i] = (struct find_race_thread){.data = &data,
						 .seed = 0x1234567u * (i + 1)};
		st_expect(pthread_create(&t[i].thread, NULL, find_race_thread,
					 &t[i]),
			  0, "starting find_race thread %u", i);
	}
	st_msleep(500);
	atomic_store(&data.stop, true);
	for (i = 0; i < n; i++) {
		pthread_join(t[i].thread, NULL);
		st_expect(t[i].err, 0, "thread %u finding seqno %llu", i,
			  (unsigned long long)t[i].bad_seqno);
	}
	st_check(atomic_load(&data.cycles) > 0, "no find_race cycle ran");
	fence_chains_fini(&data.fc);
}

static void signal_forward_signals_each_point_in_turn(void **state)
{
	struct fence_chains fc;
	unsigned int i;

	fence_chains_init(&fc, 64, seqno_inc);
	for (i = 0; i < fc.chain_length; i++) {
		udrm_fence_signal(fc.fences[i]);
		st_check(udrm_fence_is_signaled(fc.chains[i]),
			 "point %u not signalled after its fence", i + 1);
		if (i + 1 < fc.chain_length)
			st_check(!udrm_fence_is_signaled(fc.chains[i + 1]),
				 "point %u signalled before its fence", i + 2);
	}
	fence_chains_fini(&fc);
}

static void signal_backward_signals_nothing_until_the_first(void **state)
{
	struct fence_chains fc;
	unsigned int i;

	fence_chains_init(&fc, 64, seqno_inc);
	for (i = fc.chain_length; i--;) {
		udrm_fence_signal(fc.fences[i]);
		if (i > 0)
			st_check(!udrm_fence_is_signaled(fc.chains[i]),
				 "point %u signalled with point 1 pending",
				 i + 1);
	}
	for (i = 0; i < fc.chain_length; i++)
		st_check(udrm_fence_is_signaled(fc.chains[i]),
			 "point %u not signalled at the end", i + 1);
	fence_chains_fini(&fc);
}

struct chain_waiter {
	pthread_t thread;
	struct udrm_fence *tail;
	atomic_int ret;
	atomic_bool started;
};

static void *chain_wait_thread(void *arg)
{
	struct chain_waiter *w = arg;

	atomic_store(&w->started, true);
	/* Bounded so that a broken chain fails instead of hanging. */
	atomic_store(&w->ret,
		     udrm_fence_wait_timeout(w->tail, false, 30000000000ull) > 0
			     ? 0
			     : -ETIMEDOUT);
	return NULL;
}

static void waiter_start(struct chain_waiter *w, struct udrm_fence *tail)
{
	w->tail = tail;
	atomic_init(&w->ret, 1);
	atomic_init(&w->started, false);
	st_expect(pthread_create(&w->thread, NULL, chain_wait_thread, w), 0,
		  "starting the waiter");
	while (!atomic_load(&w->started))
		sched_yield();
	st_msleep(1); /* let it block, as the kernel's yield_to() */
}

static void waiter_finish(struct chain_waiter *w, const char *order)
{
	pthread_join(w->thread, NULL);
	st_expect(atomic_load(&w->ret), 0,
		  "waiter on the tail after signalling %s", order);
	st_check(udrm_fence_is_signaled(w->tail), "tail pending after wait");
}

static void wait_forward_wakes_the_tail_waiter(void **state)
{
	struct chain_waiter w;
	struct fence_chains fc;
	unsigned int i;

	fence_chains_init(&fc, CHAIN_SZ, seqno_inc);
	waiter_start(&w, fc.tail);
	for (i = 0; i < fc.chain_length; i++)
		udrm_fence_signal(fc.fences[i]);
	waiter_finish(&w, "forward");
	fence_chains_fini(&fc);
}

static void wait_backward_wakes_the_tail_waiter(void **state)
{
	struct chain_waiter w;
	struct fence_chains fc;
	unsigned int i;

	fence_chains_init(&fc, CHAIN_SZ, seqno_inc);
	waiter_start(&w, fc.tail);
	for (i = fc.chain_length; i--;)
		udrm_fence_signal(fc.fences[i]);
	waiter_finish(&w, "backward");
	fence_chains_fini(&fc);
}

static void wait_random_wakes_the_tail_waiter(void **state)
{
	struct chain_waiter w;
	struct fence_chains fc;
	uint32_t seed = 0xdecafbad;
	unsigned int i, j;

	fence_chains_init(&fc, CHAIN_SZ, seqno_inc);
	/* Fisher-Yates over the fences only: the nodes keep their order. */
	for (i = fc.chain_length - 1; i > 0; i--) {
		struct udrm_fence *tmp;

		j = st_rand(&seed) % (i + 1);
		tmp = fc.fences[i];
		fc.fences[i] = fc.fences[j];
		fc.fences[j] = tmp;
	}
	waiter_start(&w, fc.tail);
	for (i = 0; i < fc.chain_length; i++)
		udrm_fence_signal(fc.fences[i]);
	waiter_finish(&w, "in random order");
	fence_chains_fini(&fc);
}

static void callback_on_a_node_runs_once_all_points_signal(void **state)
{
	struct st_simple_cb cb = {0};
	struct fence_chains fc;

	fence_chains_init(&fc, 3, seqno_inc);
	st_expect(udrm_fence_add_callback(fc.tail, &cb.cb, st_simple_callback),
		  0, "add_callback on the tail");
	udrm_fence_signal(fc.fences[2]);
	udrm_fence_signal(fc.fences[0]);
	udrm_fence_work_flush();
	st_check(!cb.seen, "tail callback ran with point 2 pending");
	udrm_fence_signal(fc.fences[1]);
	udrm_fence_work_flush();
	st_check(cb.seen, "tail callback did not run once all signalled");
	fence_chains_fini(&fc);
}

static void walk_drops_signalled_links(void **state)
{
	struct fence_chains fc;
	struct udrm_fence *iter;
	unsigned int n = 0;

	fence_chains_init(&fc, 8, seqno_inc);
	udrm_fence_signal(fc.fences[1]);
	udrm_fence_signal(fc.fences[2]);
	udrm_fence_signal(fc.fences[5]);
	udrm_fence_chain_for_each(iter, fc.tail) n++;
	/* 8 7 5 4 1: 6, 3 and 2 dropped as their fences signalled. */
	st_expect(n, 5, "links visited from the tail");
	st_check(udrm_fence_to_chain(fc.chains[3])->prev == fc.chains[0],
		 "point 4's prev is not point 1 after dropping 3 and 2");
	fence_chains_fini(&fc);
}

static void a_long_chain_is_released_without_deep_recursion(void **state)
{
	struct udrm_fence *f = st_mock_fence(), *tail = NULL, *node;
	unsigned int i;

	/* 200000 nested releases would overflow a default stack. */
	for (i = 0; i < 200000; i++) {
		node = mock_chain(tail, f, i + 1);
		udrm_fence_put(tail);
		tail = node;
	}
	udrm_fence_signal(f);
	udrm_fence_put(tail);
	udrm_fence_put(f);
}

#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(sanity_node_signals_with_its_fence),
		T(init_continues_or_starts_a_timeline),
		T(find_seqno_finds_every_point),
		T(find_seqno_of_a_signalled_point_is_null_or_itself),
		T(find_seqno_waits_for_earlier_points_out_of_order),
		T(find_seqno_in_a_gap_gives_the_next_point),
		T(find_seqno_races_with_signalling),
		T(signal_forward_signals_each_point_in_turn),
		T(signal_backward_signals_nothing_until_the_first),
		T(wait_forward_wakes_the_tail_waiter),
		T(wait_backward_wakes_the_tail_waiter),
		T(wait_random_wakes_the_tail_waiter),
		T(callback_on_a_node_runs_once_all_points_signal),
		T(walk_drops_signalled_links),
		T(a_long_chain_is_released_without_deep_recursion),
	};

	return cmocka_run_group_tests_name("dma_fence_chain", tests, NULL,
					   NULL);
}
