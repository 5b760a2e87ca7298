// SPDX-License-Identifier: MIT
/*
 * The scheduler in front of time-slicing hardware: several jobs resident
 * on the mock GPU at once (credit limit > 1 on a shared ring), the mock
 * firmware (mock_timeslice.h) rotating them in 1 ms slices on a virtual
 * clock the test moves, a job arriving from a queue that used less GPU
 * time preempting the running one. Times below are virtual, so exact.
 */
#include "mock_scheduler.h"

static int check_no_leaks(void **state)
{
	(void)state;
	ms_check(mock_wait_jobs_freed(2000), "%ld mock jobs still alive",
		 mock_jobs_alive());
	return 0;
}

/* Waits until @n jobs are resident and the worker is idle. */
static void wait_resident(struct mock_sched *ms, unsigned int runs)
{
	ms_check(mock_sched_wait_run_count(ms, runs, 5000),
		 "only %u jobs were handed to the mock GPU, expected %u",
		 mock_sched_run_count(ms), runs);
	mock_sched_wait_idle(ms);
}

static void expect_done(struct mock_sched *ms, unsigned int i, unsigned int id,
			double at_ms)
{
	ms_expect(mock_sched_done_id(ms, i), id, "job finishing #%u", i);
	ms_check(mock_sched_done_at_ms(ms, i) == at_ms,
		 "job %u finished at %.3f ms of GPU time, expected %.3f", id,
		 mock_sched_done_at_ms(ms, i), at_ms);
}

static void two_resident_jobs_share_the_gpu_in_slices(void **state)
{
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-share", UDRM_SCHED_POLICY_FIFO, 2, 1);
	struct udrm_sched_entity a, b;
	struct udrm_fence *fa, *fb;

	(void)state;
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	fa = mock_job_submit(mock_job_new(&a, 1, 1, 4));
	fb = mock_job_submit(mock_job_new(&b, 2, 1, 2));
	wait_resident(ms, 2);
	ms_expect(mock_sched_resident(ms), 2,
		  "jobs resident at once with credit limit 2");
	ms_expect(mock_sched_run_for(ms, 3), 0,
		  "jobs finished after 3 ms of a 4 ms and a 2 ms job "
		  "alternating");
	ms_check(!udrm_fence_is_signaled(fa) && !udrm_fence_is_signaled(fb),
		 "a finished fence signalled before its job's work was done");
	ms_expect(mock_sched_run_for(ms, 7), 2, "jobs finished after 10 ms");
	/* A 0-1, B 1-2, A 2-3, B 3-4 (done), A 4-6 (done). */
	expect_done(ms, 0, 2, 4.0);
	expect_done(ms, 1, 1, 6.0);
	ms_check(mock_fence_wait_ms(fa, 2000) && mock_fence_wait_ms(fb, 2000),
		 "finished fences not signalled");
	ms_expect(udrm_fence_get_status(fa), 1, "status of the 4 ms job");
	ms_expect(udrm_fence_get_status(fb), 1, "status of the 2 ms job");
	udrm_fence_put(fa);
	udrm_fence_put(fb);
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	mock_sched_destroy(ms);
}

static void short_job_preempts_a_long_one(void **state)
{
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-preempt", UDRM_SCHED_POLICY_FIFO, 2, 1);
	struct udrm_sched_entity heavy, interactive;
	struct udrm_fence *fh, *fi;

	(void)state;
	mock_entity_init(&heavy, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&interactive, ms, UDRM_SCHED_PRIORITY_NORMAL);
	fh = mock_job_submit(mock_job_new(&heavy, 1, 1, 50));
	wait_resident(ms, 1);
	ms_expect(mock_sched_run_for(ms, 10), 0, "jobs done after 10 ms");

	fi = mock_job_submit(mock_job_new(&interactive, 2, 1, 1));
	wait_resident(ms, 2);
	ms_expect(mock_sched_preemptions(ms), 1,
		  "preemptions once a 1 ms job arrived next to a 50 ms job "
		  "that had run 10 ms");
	ms_expect(mock_sched_run_for(ms, 1), 1,
		  "jobs done 1 ms after the short job arrived");
	expect_done(ms, 0, 2, 11.0);
	ms_check(mock_fence_wait_ms(fi, 2000),
		 "the short job's finished fence did not signal");
	ms_check(!udrm_fence_is_signaled(fh),
		 "the preempted long job finished early");
	ms_expect(mock_sched_run_for(ms, 100), 1, "the long job finished");
	expect_done(ms, 1, 1, 51.0);
	ms_check(mock_fence_wait_ms(fh, 2000),
		 "the long job's finished fence did not signal");
	udrm_fence_put(fh);
	udrm_fence_put(fi);
	udrm_sched_entity_destroy(&heavy);
	udrm_sched_entity_destroy(&interactive);
	mock_sched_destroy(ms);
}

static void fair_charges_the_gpu_time_the_hardware_reports(void **state)
{
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-fair", UDRM_SCHED_POLICY_FAIR, 2, 1);
	struct udrm_sched_entity heavy, interactive;
	struct udrm_fence *fh, *fi;

	(void)state;
	mock_entity_init(&heavy, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&interactive, ms, UDRM_SCHED_PRIORITY_LOW);
	fh = mock_job_submit(mock_job_new(&heavy, 1, 1, 20));
	wait_resident(ms, 1);
	ms_expect(mock_sched_run_for(ms, 5), 0, "jobs done after 5 ms");
	fi = mock_job_submit(mock_job_new(&interactive, 2, 1, 3));
	wait_resident(ms, 2);
	ms_expect(mock_sched_run_for(ms, 100), 2, "jobs done");
	ms_check(mock_fence_wait_ms(fh, 2000) && mock_fence_wait_ms(fi, 2000),
		 "finished fences not signalled");
	mock_sched_wait_idle(ms);
	/* Both were resident for most of the run; each pays its own GPU
	 * time (x2 normal, x4 low), not the wall time since hand-over. */
	ms_expect(atomic_load(&heavy.stats->vruntime_ns), 40000000,
		  "virtual ns charged for a 20 ms normal-priority job");
	ms_expect(atomic_load(&interactive.stats->vruntime_ns), 12000000,
		  "virtual ns charged for a 3 ms low-priority job");
	udrm_fence_put(fh);
	udrm_fence_put(fi);
	udrm_sched_entity_destroy(&heavy);
	udrm_sched_entity_destroy(&interactive);
	mock_sched_destroy(ms);
}

static void fences_signal_in_order_per_entity(void **state)
{
	static const unsigned int a_ms[] = {3, 1, 2}, b_ms[] = {1, 2};
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-order", UDRM_SCHED_POLICY_FIFO, 8, 1);
	struct udrm_sched_entity a, b;
	struct udrm_fence *fa[3], *fb[2];
	unsigned int next_a = 0, next_b = 0;

	(void)state;
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 3; i++)
		fa[i] = mock_job_submit(mock_job_new(&a, i, 1, a_ms[i]));
	for (unsigned int i = 0; i < 2; i++)
		fb[i] = mock_job_submit(mock_job_new(&b, 10 + i, 1, b_ms[i]));
	wait_resident(ms, 5);
	ms_expect(mock_sched_resident(ms), 5, "jobs resident at once");
	ms_expect(mock_sched_run_for(ms, 20), 5, "jobs done after 20 ms");
	for (unsigned int i = 0; i < 5; i++) {
		unsigned int id = mock_sched_done_id(ms, i);

		if (id < 10)
			ms_expect(id, next_a++,
				  "entity A's job finishing next");
		else
			ms_expect(id, 10 + next_b++,
				  "entity B's job finishing next");
	}
	ms_check(mock_sched_done_at_ms(ms, 4) == 9.0,
		 "the last of 9 ms of work finished at %.3f ms: the GPU sat "
		 "idle with jobs resident",
		 mock_sched_done_at_ms(ms, 4));
	for (unsigned int i = 0; i < 3; i++) {
		ms_check(mock_fence_wait_ms(fa[i], 2000), "A's job %u", i);
		ms_expect(fa[i]->seqno, i + 1, "A's finished seqno %u", i);
		if (i)
			ms_check(udrm_fence_timestamp(fa[i]) >=
					 udrm_fence_timestamp(fa[i - 1]),
				 "A's job %u signalled before job %u", i,
				 i - 1);
	}
	for (unsigned int i = 0; i < 3; i++)
		udrm_fence_put(fa[i]);
	for (unsigned int i = 0; i < 2; i++) {
		ms_check(mock_fence_wait_ms(fb[i], 2000), "B's job %u", i);
		udrm_fence_put(fb[i]);
	}
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	mock_sched_destroy(ms);
}

static void credits_bound_the_resident_jobs(void **state)
{
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-credits", UDRM_SCHED_POLICY_FIFO, 2, 1);
	struct udrm_sched_entity e[3];
	struct udrm_fence *f[3];

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		mock_entity_init(&e[i], ms, UDRM_SCHED_PRIORITY_NORMAL);
		f[i] = mock_job_submit(mock_job_new(&e[i], i, 1, 1));
	}
	wait_resident(ms, 2);
	ms_expect(mock_sched_run_count(ms), 2,
		  "jobs handed over with credit limit 2 and none finished");
	ms_expect(mock_sched_run_for(ms, 1), 1, "jobs done after 1 ms");
	wait_resident(ms, 3);
	ms_expect(mock_sched_resident(ms), 2,
		  "resident jobs once the third took the freed credit");
	ms_expect(mock_sched_run_for(ms, 10), 2, "jobs done after 11 ms");
	for (unsigned int i = 0; i < 3; i++) {
		ms_check(mock_fence_wait_ms(f[i], 2000), "job %u", i);
		udrm_fence_put(f[i]);
		udrm_sched_entity_destroy(&e[i]);
	}
	mock_sched_destroy(ms);
}

static void teardown_cancels_resident_jobs(void **state)
{
	struct mock_sched *ms = mock_sched_new_timesliced(
		"ts-teardown", UDRM_SCHED_POLICY_FIFO, 2, 1);
	struct udrm_sched_entity a, b;
	struct udrm_fence *fa[2], *fb;

	(void)state;
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	fa[0] = mock_job_submit(mock_job_new(&a, 1, 1, 10));
	fa[1] = mock_job_submit(mock_job_new(&a, 2, 1, 10));
	wait_resident(ms, 2);
	fb = mock_job_submit(mock_job_new(&b, 3, 1, 10));
	ms_expect(mock_sched_run_for(ms, 3), 0, "jobs done after 3 ms");
	ms_expect(mock_sched_resident(ms), 2, "resident jobs");

	/* B's job never got credits: it is killed with the entity. */
	udrm_sched_entity_fini(&b);
	ms_check(mock_fence_wait_ms(fb, 2000),
		 "the queued job's fence did not signal at entity fini");
	ms_expect(udrm_fence_get_status(fb), -ESRCH,
		  "status of the job "
		  "still queued");
	udrm_sched_entity_fini(&a);
	/* fails the test if the mock GPU still holds a job */
	mock_sched_destroy(ms);
	for (unsigned int i = 0; i < 2; i++) {
		ms_check(udrm_fence_is_signaled(fa[i]),
			 "resident job %u not completed by scheduler teardown",
			 i + 1);
		ms_expect(udrm_fence_get_status(fa[i]), -ECANCELED,
			  "status of resident job %u after teardown", i + 1);
		udrm_fence_put(fa[i]);
	}
	udrm_fence_put(fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)
		T(two_resident_jobs_share_the_gpu_in_slices),
		T(short_job_preempts_a_long_one),
		T(fair_charges_the_gpu_time_the_hardware_reports),
		T(fences_signal_in_order_per_entity),
		T(credits_bound_the_resident_jobs),
		T(teardown_cancels_resident_jobs),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
