// SPDX-License-Identifier: MIT
/*
 * Scheduler submission, after the kernel's scheduler KUnit tests
 * (drivers/gpu/drm/scheduler/tests/tests_basic.c): fences and their order,
 * dependencies, credits, priorities, FIFO and round-robin selection, and
 * entities spread over several schedulers.
 */
#include "mock_scheduler.h"

static int check_no_leaks(void **state)
{
	(void)state;
	ms_check(mock_wait_jobs_freed(2000), "%ld mock jobs still alive",
		 mock_jobs_alive());
	return 0;
}

static void job_runs_and_its_fences_signal_in_turn(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("basic", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_gpu_scheduler *list[] = {&ms->base};
	struct udrm_sched_entity entity;
	struct udrm_fence *scheduled, *finished;

	(void)state;
	ms_expect(udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_NORMAL,
					 list, 1),
		  0, "entity init");
	finished = mock_job_submit2(mock_job_new(&entity, 1, 1, 0), &scheduled);
	ms_check(mock_fence_wait_ms(scheduled, 2000),
		 "scheduled fence not signalled once the job was pushed");
	ms_check(!udrm_fence_is_signaled(finished),
		 "finished fence signalled before the hardware completed");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "jobs on the hardware");
	ms_check(mock_fence_wait_ms(finished, 2000),
		 "finished fence not signalled after the hardware fence");
	ms_expect(udrm_fence_get_status(finished), 1, "finished status");
	ms_check(strcmp(udrm_fence_timeline_name(finished), "basic") == 0,
		 "timeline name is '%s', expected the scheduler's name",
		 udrm_fence_timeline_name(finished));
	ms_check(finished->context == scheduled->context + 1,
		 "finished context is not the scheduled context + 1");
	udrm_fence_put(scheduled);
	udrm_fence_put(finished);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void finished_fences_signal_in_order_per_entity(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("order", UDRM_SCHED_POLICY_FIFO, 4, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[16];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 16; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 1));
	ms_check(mock_fence_wait_ms(f[15], 5000), "last job never finished");
	for (unsigned int i = 0; i < 16; i++) {
		ms_expect(udrm_fence_get_status(f[i]), 1, "status of job %u",
			  i);
		ms_expect(f[i]->seqno, i + 1, "finished seqno of job %u", i);
		ms_expect(mock_sched_run_id(ms, i), i, "job run at position %u",
			  i);
		if (i)
			ms_check(udrm_fence_timestamp(f[i]) >=
					 udrm_fence_timestamp(f[i - 1]),
				 "job %u finished before job %u", i, i - 1);
	}
	for (unsigned int i = 0; i < 16; i++)
		udrm_fence_put(f[i]);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void hardware_error_is_the_finished_fence_error(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("err", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *finished;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	finished = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job never ran");
	mock_sched_advance(ms, 1, -EIO);
	ms_check(mock_fence_wait_ms(finished, 2000), "job never finished");
	ms_expect(udrm_fence_get_status(finished), -EIO,
		  "finished status after a hardware error");
	udrm_fence_put(finished);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void job_waits_for_its_dependency(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("dep", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *dep = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct udrm_fence *scheduled, *finished;
	struct mock_job *job;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	job = mock_job_new(&entity, 1, 1, 1);
	ms_expect(
		udrm_sched_job_add_dependency(&job->base, udrm_fence_get(dep)),
		0, "add_dependency");
	finished = mock_job_submit2(job, &scheduled);
	mock_msleep(30);
	ms_check(!udrm_fence_is_signaled(scheduled),
		 "job scheduled before its dependency signalled");
	ms_expect(mock_sched_run_count(ms), 0, "jobs run");
	udrm_fence_signal(dep);
	ms_check(mock_fence_wait_ms(finished, 2000),
		 "job did not finish once its dependency signalled");
	udrm_fence_put(dep);
	udrm_fence_put(scheduled);
	udrm_fence_put(finished);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

/*
 * B (entity 2) depends on A (entity 1). On the same scheduler B may go to
 * the hardware as soon as A has (the ring runs them in order), unless A's
 * fence asks for no pipelining; on another scheduler B waits for A to
 * finish. @dont_pipeline and @same pick the case; returns whether B ran
 * while A was still on the hardware.
 */
static bool dependent_runs_before_dependency_finishes(bool same,
						      bool dont_pipeline)
{
	struct mock_sched *ms1 =
		mock_sched_new("pipe1", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct mock_sched *ms2 =
		same ? ms1
		     : mock_sched_new("pipe2", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity e1, e2;
	struct udrm_fence *fa, *fb;
	struct mock_job *a, *b;
	bool early;

	mock_entity_init(&e1, ms1, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&e2, ms2, UDRM_SCHED_PRIORITY_NORMAL);
	a = mock_job_new(&e1, 1, 1, 0); /* finishes on mock_sched_advance */
	a->base.s_fence->dont_pipeline = dont_pipeline;
	fa = mock_job_submit(a);
	b = mock_job_new(&e2, 2, 1, 0);
	ms_expect(udrm_sched_job_add_dependency(&b->base, udrm_fence_get(fa)),
		  0, "add_dependency on A");
	fb = mock_job_submit(b);
	ms_check(mock_sched_wait_run_count(ms1, 1, 2000), "A never ran");
	early = same ? mock_sched_wait_run_count(ms2, 2, 300)
		     : mock_sched_wait_run_count(ms2, 1, 300);
	ms_check(!udrm_fence_is_signaled(fa), "A finished on its own");
	ms_expect(mock_sched_advance(ms1, 1, 0), 1, "A completes");
	if (!early)
		ms_check(mock_sched_wait_run_count(ms2, same ? 2 : 1, 2000),
			 "B never ran after A finished");
	ms_expect(mock_sched_advance(ms2, 1, 0), 1, "B completes");
	ms_check(mock_fence_wait_ms(fb, 2000), "B's fence never signalled");
	udrm_fence_put(fa);
	udrm_fence_put(fb);
	udrm_sched_entity_destroy(&e1);
	udrm_sched_entity_destroy(&e2);
	mock_sched_destroy(ms1);
	if (!same)
		mock_sched_destroy(ms2);
	return early;
}

static void same_scheduler_dependency_waits_only_for_scheduled(void **state)
{
	(void)state;
	ms_check(dependent_runs_before_dependency_finishes(true, false),
		 "B waited for A to finish although both share the ring");
}

static void dont_pipeline_dependency_waits_for_finished(void **state)
{
	(void)state;
	ms_check(!dependent_runs_before_dependency_finishes(true, true),
		 "B ran before A finished although A asked for no pipelining");
}

static void other_scheduler_dependency_waits_for_finished(void **state)
{
	(void)state;
	ms_check(!dependent_runs_before_dependency_finishes(false, false),
		 "B ran before A (on another scheduler) finished");
}

static void dependencies_keep_the_latest_fence_per_context(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("dedup", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	uint64_t ctx = udrm_fence_context_alloc(2);
	struct udrm_fence *a1 = mock_fence_new(ctx, 1),
			  *a3 = mock_fence_new(ctx, 3),
			  *a2 = mock_fence_new(ctx, 2),
			  *b1 = mock_fence_new(ctx + 1, 1);
	struct mock_job *job;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	job = mock_job_new(&entity, 1, 1, 0);
	udrm_sched_job_add_dependency(&job->base, udrm_fence_get(a1));
	udrm_sched_job_add_dependency(&job->base, udrm_fence_get(a3));
	udrm_sched_job_add_dependency(&job->base, udrm_fence_get(a2));
	udrm_sched_job_add_dependency(&job->base, udrm_fence_get(b1));
	ms_expect(job->base.num_deps, 2, "dependencies kept for 2 contexts");
	ms_check(job->base.deps[0] == a3,
		 "kept seqno %llu of the first context, expected 3",
		 (unsigned long long)job->base.deps[0]->seqno);
	ms_expect(atomic_load(&a1->refcount), 1, "references left on a1");
	ms_expect(atomic_load(&a2->refcount), 1, "references left on a2");
	ms_expect(atomic_load(&a3->refcount), 2, "references left on a3");
	mock_job_abandon(job);
	ms_expect(atomic_load(&a3->refcount), 1, "a3 after cleanup");
	udrm_fence_put(a1);
	udrm_fence_put(a2);
	udrm_fence_put(a3);
	udrm_fence_put(b1);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void resv_dependencies_follow_the_usage(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("resv", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *w = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct udrm_fence *r = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct udrm_resv *resv;
	struct mock_job *reader, *writer;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	ms_expect(udrm_resv_create(&resv), 0, "resv create");
	udrm_resv_add_fence(resv, w, UDRM_RESV_USAGE_WRITE);
	udrm_resv_add_fence(resv, r, UDRM_RESV_USAGE_READ);
	reader = mock_job_new(&entity, 1, 1, 0);
	writer = mock_job_new(&entity, 2, 1, 0);
	ms_expect(udrm_sched_job_add_implicit_dependencies(&reader->base, resv,
							   false),
		  0, "reader implicit deps");
	ms_expect(udrm_sched_job_add_implicit_dependencies(&writer->base, resv,
							   true),
		  0, "writer implicit deps");
	ms_expect(reader->base.num_deps, 1, "a reader waits for the writer");
	ms_expect(writer->base.num_deps, 2, "a writer waits for everything");
	mock_job_abandon(reader);
	mock_job_abandon(writer);
	udrm_resv_put(resv);
	udrm_fence_put(w);
	udrm_fence_put(r);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void credits_limit_how_many_jobs_run_at_once(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("credits", UDRM_SCHED_POLICY_FIFO, 2, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[4];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 4; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 2, 2000), "two jobs never ran");
	mock_msleep(20);
	ms_expect(mock_sched_run_count(ms), 2,
		  "jobs running with a credit limit of 2");
	mock_sched_advance(ms, 1, 0);
	ms_check(mock_sched_wait_run_count(ms, 3, 2000),
		 "third job did not run after one finished");
	mock_msleep(20);
	ms_expect(mock_sched_run_count(ms), 3, "jobs run after one finished");
	while (!mock_fence_wait_ms(f[3], 1))
		mock_sched_advance(ms, 1, 0);
	for (unsigned int i = 0; i < 4; i++)
		udrm_fence_put(f[i]);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void big_job_waits_until_its_credits_fit(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("bigjob", UDRM_SCHED_POLICY_FIFO, 4, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *small, *big;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	small = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	big = mock_job_submit(mock_job_new(&entity, 2, 4, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "small job never ran");
	mock_msleep(20);
	ms_expect(mock_sched_run_count(ms), 1,
		  "jobs run while the big job's credits do not fit");
	mock_sched_advance(ms, 1, 0);
	ms_check(mock_sched_wait_run_count(ms, 2, 2000),
		 "big job did not run once the credits were free");
	mock_sched_advance(ms, 1, 0);
	ms_check(mock_fence_wait_ms(big, 2000), "big job never finished");
	udrm_fence_put(small);
	udrm_fence_put(big);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

/*
 * Occupies the hardware with a job at kernel priority so that the jobs
 * pushed after it queue up, then releases it: the run log shows the
 * selection order. Returns the blocker's finished fence.
 */
static struct udrm_fence *block_hardware(struct mock_sched *ms,
					 struct udrm_sched_entity *blocker)
{
	struct udrm_gpu_scheduler *list[] = {&ms->base};
	struct udrm_fence *f;

	udrm_sched_entity_init(blocker, UDRM_SCHED_PRIORITY_KERNEL, list, 1);
	f = mock_job_submit(mock_job_new(blocker, 100, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000),
		 "blocker job never ran");
	return f;
}

/*
 * run_on_completion: the completion of a job starts the next one on the
 * thread that signalled the hardware fence, before udrm_fence_signal()
 * returns, when nothing is left to wait for (here a dependency that has
 * signalled already).
 */
static void completion_runs_the_next_ready_job_on_its_thread(void **state)
{
	struct mock_sched *ms =
		mock_sched_new_direct("direct", UDRM_SCHED_POLICY_FIFO, 1);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[2],
		*done = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct mock_job *second;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	udrm_fence_signal(done);
	f[0] = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	second = mock_job_new(&entity, 2, 1, 0);
	ms_expect(udrm_sched_job_add_dependency(&second->base, done), 0,
		  "dependency on a signalled fence");
	f[1] = mock_job_submit(second);
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job 1 never ran");
	mock_sched_wait_idle(ms);
	ms_expect(mock_sched_run_count(ms), 1, "jobs run at credit limit 1");

	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 1 completed");
	ms_expect(mock_sched_run_count(ms), 2,
		  "jobs run when the completion of job 1 returned");
	ms_check(mock_sched_run_on_this_thread(ms, 1),
		 "job 2 was not run on the thread completing job 1");
	ms_check(mock_fence_wait_ms(f[0], 2000), "job 1 not finished");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 2 completed");
	ms_check(mock_fence_wait_ms(f[1], 2000), "job 2 not finished");
	for (unsigned int i = 0; i < 2; i++)
		udrm_fence_put(f[i]);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

/* A job with a dependency still pending is left to the worker, which runs
 * it once the dependency signals. */
static void completion_leaves_a_waiting_job_to_the_worker(void **state)
{
	struct mock_sched *ms =
		mock_sched_new_direct("direct-dep", UDRM_SCHED_POLICY_FIFO, 1);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[2],
		*dep = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct mock_job *second;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f[0] = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	second = mock_job_new(&entity, 2, 1, 0);
	udrm_sched_job_add_dependency(&second->base, udrm_fence_get(dep));
	f[1] = mock_job_submit(second);
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job 1 never ran");
	mock_sched_wait_idle(ms);

	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 1 completed");
	ms_check(mock_fence_wait_ms(f[0], 2000), "job 1 not finished");
	mock_msleep(20);
	ms_expect(mock_sched_run_count(ms), 1,
		  "jobs run while job 2's dependency is pending");
	udrm_fence_signal(dep);
	ms_check(mock_sched_wait_run_count(ms, 2, 2000),
		 "job 2 never ran after its dependency signalled");
	ms_check(!mock_sched_run_on_this_thread(ms, 1),
		 "job 2 ran on the thread signalling its dependency");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 2 completed");
	ms_check(mock_fence_wait_ms(f[1], 2000), "job 2 not finished");
	for (unsigned int i = 0; i < 2; i++)
		udrm_fence_put(f[i]);
	udrm_fence_put(dep);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

/*
 * Jobs completing on the mock's timer thread, each starting the next one:
 * the credit limit holds, every job runs once, in FIFO order across two
 * entities, and every finished job is freed.
 */
/* 24 timed jobs of two entities at credit limit 1 through @ms: all run
 * once, in submission order, and finish in that order. */
static void run_timed_chain(struct mock_sched *ms)
{
	struct udrm_sched_entity entity[2];
	struct udrm_fence *f[24];

	for (unsigned int e = 0; e < 2; e++)
		mock_entity_init(&entity[e], ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 24; i++)
		f[i] = mock_job_submit(mock_job_new(&entity[i % 2], i, 1, 1));
	for (unsigned int i = 0; i < 24; i++) {
		ms_check(mock_fence_wait_ms(f[i], 5000), "job %u not finished",
			 i);
		ms_expect(udrm_fence_get_status(f[i]), 1, "job %u status", i);
		if (i)
			ms_check(udrm_fence_timestamp(f[i - 1]) <=
					 udrm_fence_timestamp(f[i]),
				 "job %u finished before job %u", i, i - 1);
	}
	ms_expect(mock_sched_run_count(ms), 24, "run_job calls");
	for (unsigned int i = 0; i < 24; i++)
		ms_expect(mock_sched_run_id(ms, i), i, "job run at position %u",
			  i);
	for (unsigned int i = 0; i < 24; i++)
		udrm_fence_put(f[i]);
	for (unsigned int e = 0; e < 2; e++)
		udrm_sched_entity_destroy(&entity[e]);
	mock_sched_destroy(ms);
}

static void completion_chain_keeps_order_and_credits(void **state)
{
	(void)state;
	run_timed_chain(mock_sched_new_direct("direct-chain",
					      UDRM_SCHED_POLICY_FIFO, 1));
}

/* The worker's hand-over spin (spin_for_completion) changes only when the
 * worker looks: the same chain, the same order, every job once. */
static void spin_hand_over_keeps_order_and_credits(void **state)
{
	(void)state;
	run_timed_chain(
		mock_sched_new_spin("spin-chain", UDRM_SCHED_POLICY_FIFO, 1));
}

static void higher_priority_entity_runs_first(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("prio", UDRM_SCHED_POLICY_FIFO, 1, 0);
	struct udrm_sched_entity blocker, low, normal, high;
	struct udrm_fence *b, *f[6];

	(void)state;
	b = block_hardware(ms, &blocker);
	mock_entity_init(&low, ms, UDRM_SCHED_PRIORITY_LOW);
	mock_entity_init(&normal, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&high, ms, UDRM_SCHED_PRIORITY_HIGH);
	f[0] = mock_job_submit(mock_job_new(&low, 1, 1, 1));
	f[1] = mock_job_submit(mock_job_new(&low, 2, 1, 1));
	f[2] = mock_job_submit(mock_job_new(&normal, 3, 1, 1));
	f[3] = mock_job_submit(mock_job_new(&normal, 4, 1, 1));
	f[4] = mock_job_submit(mock_job_new(&high, 5, 1, 1));
	f[5] = mock_job_submit(mock_job_new(&high, 6, 1, 1));
	mock_sched_advance(ms, 1, 0);
	for (unsigned int i = 0; i < 6; i++)
		ms_check(mock_fence_wait_ms(f[i], 5000), "job %u never ran",
			 i + 1);
	static const unsigned int want[] = {100, 5, 6, 3, 4, 1, 2};
	for (unsigned int i = 0; i < 7; i++)
		ms_expect(mock_sched_run_id(ms, i), want[i],
			  "job run at position %u (high, normal, low)", i);
	for (unsigned int i = 0; i < 6; i++)
		udrm_fence_put(f[i]);
	udrm_fence_put(b);
	udrm_sched_entity_destroy(&low);
	udrm_sched_entity_destroy(&normal);
	udrm_sched_entity_destroy(&high);
	udrm_sched_entity_destroy(&blocker);
	mock_sched_destroy(ms);
}

static void raised_entity_overtakes_with_its_queued_jobs(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("set-prio", UDRM_SCHED_POLICY_FIFO, 1, 0);
	struct udrm_sched_entity blocker, low, normal;
	struct udrm_fence *b, *f[4];

	(void)state;
	b = block_hardware(ms, &blocker);
	mock_entity_init(&low, ms, UDRM_SCHED_PRIORITY_LOW);
	mock_entity_init(&normal, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f[0] = mock_job_submit(mock_job_new(&low, 1, 1, 1));
	f[1] = mock_job_submit(mock_job_new(&low, 2, 1, 1));
	f[2] = mock_job_submit(mock_job_new(&normal, 3, 1, 1));
	f[3] = mock_job_submit(mock_job_new(&normal, 4, 1, 1));
	ms_expect(
		udrm_sched_entity_set_priority(&low, UDRM_SCHED_PRIORITY_COUNT),
		-EINVAL, "set_priority with a bad priority");
	ms_expect(
		udrm_sched_entity_set_priority(&low, UDRM_SCHED_PRIORITY_HIGH),
		0, "raising the queued low entity to high");
	mock_sched_advance(ms, 1, 0);
	for (unsigned int i = 0; i < 4; i++)
		ms_check(mock_fence_wait_ms(f[i], 5000), "job %u never ran",
			 i + 1);
	static const unsigned int want[] = {100, 1, 2, 3, 4};
	for (unsigned int i = 0; i < 5; i++)
		ms_expect(mock_sched_run_id(ms, i), want[i],
			  "job run at position %u (raised low first)", i);
	for (unsigned int i = 0; i < 4; i++)
		udrm_fence_put(f[i]);
	udrm_fence_put(b);
	udrm_sched_entity_destroy(&low);
	udrm_sched_entity_destroy(&normal);
	udrm_sched_entity_destroy(&blocker);
	mock_sched_destroy(ms);
}

static void run_policy_order(enum udrm_sched_policy policy,
			     const unsigned int *want)
{
	struct mock_sched *ms = mock_sched_new("policy", policy, 1, 0);
	struct udrm_sched_entity blocker, a, b;
	struct udrm_fence *blk, *f[6];

	blk = block_hardware(ms, &blocker);
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 3; i++)
		f[i] = mock_job_submit(mock_job_new(&a, 1 + i, 1, 1));
	for (unsigned int i = 0; i < 3; i++)
		f[3 + i] = mock_job_submit(mock_job_new(&b, 11 + i, 1, 1));
	mock_sched_advance(ms, 1, 0);
	for (unsigned int i = 0; i < 6; i++)
		ms_check(mock_fence_wait_ms(f[i], 5000), "job %u never ran", i);
	for (unsigned int i = 0; i < 6; i++)
		ms_expect(mock_sched_run_id(ms, i + 1), want[i],
			  "%s: job run at position %u",
			  policy == UDRM_SCHED_POLICY_RR ? "round-robin"
							 : "FIFO",
			  i);
	for (unsigned int i = 0; i < 6; i++)
		udrm_fence_put(f[i]);
	udrm_fence_put(blk);
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	udrm_sched_entity_destroy(&blocker);
	mock_sched_destroy(ms);
}

static void fifo_runs_the_oldest_job_across_entities(void **state)
{
	static const unsigned int want[] = {1, 2, 3, 11, 12, 13};

	(void)state;
	run_policy_order(UDRM_SCHED_POLICY_FIFO, want);
}

static void round_robin_alternates_between_entities(void **state)
{
	static const unsigned int want[] = {1, 11, 2, 12, 3, 13};

	(void)state;
	run_policy_order(UDRM_SCHED_POLICY_RR, want);
}

/* Submits a job using @gpu_ms of (virtual) GPU time. */
static struct udrm_fence *submit_timed(struct udrm_sched_entity *entity,
				       unsigned int id, unsigned int gpu_ms)
{
	struct mock_job *job = mock_job_new(entity, id, 1, 0);

	job->gpu_time_ns = (uint64_t)gpu_ms * 1000000u;
	return mock_job_submit(job);
}

/* Completes jobs one at a time until @count have run in total. */
static void run_one_by_one(struct mock_sched *ms, unsigned int count)
{
	for (unsigned int k = mock_sched_run_count(ms); k < count; k++) {
		mock_sched_advance(ms, 1, 0);
		ms_check(mock_sched_wait_run_count(ms, k + 1, 2000),
			 "job %u never ran", k + 1);
	}
}

static void fair_policy_shares_gpu_time_not_job_count(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("fair", UDRM_SCHED_POLICY_FAIR, 1, 0);
	struct udrm_sched_entity blocker, a, b;
	struct udrm_fence *blk, *f[18];
	static const unsigned int want[] = {1, 11, 12, 13, 14,
					    2, 15, 16, 17, 18};

	(void)state;
	blk = block_hardware(ms, &blocker);
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 6; i++)
		f[i] = submit_timed(&a, 1 + i, 4);
	for (unsigned int i = 0; i < 12; i++)
		f[6 + i] = submit_timed(&b, 11 + i, 1);
	run_one_by_one(ms, 19);
	for (unsigned int i = 0; i < 10; i++)
		ms_expect(mock_sched_run_id(ms, 1 + i), want[i],
			  "job at position %u (4 ms jobs vs 1 ms jobs)", i);
	mock_sched_advance(ms, ~0u, 0);
	for (unsigned int i = 0; i < 18; i++) {
		ms_check(mock_fence_wait_ms(f[i], 2000), "job %u never ran", i);
		udrm_fence_put(f[i]);
	}
	udrm_fence_put(blk);
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	udrm_sched_entity_destroy(&blocker);
	mock_sched_destroy(ms);
}

static void fair_policy_gives_idle_time_no_credit(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("rejoin", UDRM_SCHED_POLICY_FAIR, 1, 0);
	struct udrm_sched_entity blocker, a, b;
	struct udrm_fence *blk, *f[16];
	unsigned int a_runs = 0;

	(void)state;
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 5; i++)
		f[i] = submit_timed(&a, 1 + i, 2);
	run_one_by_one(ms, 5);
	mock_sched_advance(ms, 1, 0);
	ms_check(mock_fence_wait_ms(f[4], 2000), "a's first jobs never ran");
	/* b was idle all along; both now queue work behind a blocker. */
	blk = block_hardware(ms, &blocker);
	for (unsigned int i = 0; i < 5; i++)
		f[5 + i] = submit_timed(&a, 6 + i, 2);
	for (unsigned int i = 0; i < 5; i++)
		f[10 + i] = submit_timed(&b, 11 + i, 2);
	run_one_by_one(ms, 6 + 4);
	for (unsigned int i = 0; i < 4; i++)
		a_runs += mock_sched_run_id(ms, 6 + i) < 11;
	ms_check(a_runs >= 1,
		 "a ran %u of the 4 jobs after b woke up, expected b not to "
		 "spend its idle time as credit",
		 a_runs);
	mock_sched_advance(ms, ~0u, 0);
	for (unsigned int i = 0; i < 15; i++) {
		while (!mock_fence_wait_ms(f[i], 1))
			mock_sched_advance(ms, ~0u, 0);
		udrm_fence_put(f[i]);
	}
	udrm_fence_put(blk);
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	udrm_sched_entity_destroy(&blocker);
	mock_sched_destroy(ms);
}

/*
 * With room for two jobs, the second one handed over waits behind the first
 * in the ring: it is charged from the first one's completion, not from its
 * hand-over, so both entities pay the same for the same GPU time.
 */
static void fair_policy_charges_no_time_spent_behind_another_job(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("ring-wait", UDRM_SCHED_POLICY_FAIR, 2, 0);
	struct udrm_sched_entity a, b;
	struct mock_job *ja, *jb;
	struct udrm_fence *fa, *fb;
	const uint64_t ms40 = 40000000u;

	(void)state;
	mock_entity_init(&a, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&b, ms, UDRM_SCHED_PRIORITY_NORMAL);
	ja = mock_job_new(&a, 1, 1, 0);
	ja->gpu_time_ns = ms40;
	fa = mock_job_submit(ja);
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "a's job never ran");
	jb = mock_job_new(&b, 2, 1, 0);
	fb = mock_job_submit(jb);
	ms_check(mock_sched_wait_run_count(ms, 2, 2000), "b's job never ran");
	mock_sched_wait_idle(ms);
	/* As a ring would: b's job runs 40 ms once a's is done. */
	jb->gpu_time_ns = ja->base.start_ns + 2 * ms40 - jb->base.start_ns;
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "a's job completed");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "b's job completed");
	ms_check(mock_fence_wait_ms(fb, 2000), "b's job not finished");
	ms_expect(atomic_load(&a.stats->vruntime_ns), 2 * ms40,
		  "a's virtual time after 40 ms at normal priority");
	ms_expect(atomic_load(&b.stats->vruntime_ns), 2 * ms40,
		  "b's virtual time after waiting 40 ms behind a's job and "
		  "running 40 ms");
	udrm_fence_put(fa);
	udrm_fence_put(fb);
	udrm_sched_entity_destroy(&a);
	udrm_sched_entity_destroy(&b);
	mock_sched_destroy(ms);
}

/*
 * An entity pays its average job cost when a job is handed over (so that
 * with room for several jobs the next pick sees it), and the job's real
 * cost replaces that estimate when it completes.
 */
static void
fair_policy_charges_an_estimate_until_the_job_completes(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("estimate", UDRM_SCHED_POLICY_FAIR, 2, 0);
	struct udrm_sched_entity e;
	struct udrm_fence *f[2];
	const uint64_t ms1 = 1000000u;

	(void)state;
	mock_entity_init(&e, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f[0] = submit_timed(&e, 1, 1);
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job 1 never ran");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 1 completed");
	ms_expect(atomic_load(&e.stats->vruntime_ns), 2 * ms1,
		  "virtual time after 1 ms at normal priority");
	f[1] = submit_timed(&e, 2, 3);
	ms_check(mock_sched_wait_run_count(ms, 2, 2000), "job 2 never ran");
	mock_sched_wait_idle(ms);
	ms_expect(atomic_load(&e.stats->vruntime_ns), 4 * ms1,
		  "virtual time with job 2 handed over (average cost 2 ms "
		  "charged)");
	ms_expect(mock_sched_advance(ms, 1, 0), 1, "job 2 completed");
	ms_expect(atomic_load(&e.stats->vruntime_ns), 8 * ms1,
		  "virtual time once job 2 ran 3 ms (estimate replaced)");
	for (unsigned int i = 0; i < 2; i++) {
		ms_check(mock_fence_wait_ms(f[i], 2000), "job %u not finished",
			 i + 1);
		udrm_fence_put(f[i]);
	}
	udrm_sched_entity_destroy(&e);
	mock_sched_destroy(ms);
}

/*
 * Two heavy clients keep 4 ms jobs queued; an interactive one submits a
 * 1 ms job only once its previous job finished. The heavy client waiting
 * while the other's job is on the GPU is at the run queue's least virtual
 * time, where the interactive client rejoins: the interactive client must
 * win that tie, its job running right after the heavy job on the GPU when
 * it was submitted, every time. (With a single heavy client there is no
 * tie: the job on the GPU is charged before the next pick.)
 */
static void fair_policy_interactive_job_runs_next(void **state)
{
	enum { ROUNDS = 8, HEAVY = 3 * ROUNDS + 4 };
	struct mock_sched *ms =
		mock_sched_new("interactive", UDRM_SCHED_POLICY_FAIR, 1, 0);
	struct udrm_sched_entity heavy[2], inter;
	struct udrm_fence *hf[2][HEAVY], *f;
	unsigned int queued[2] = {0, 0};

	(void)state;
	mock_entity_init(&heavy[0], ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&heavy[1], ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&inter, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int before, id = 1000 + r;

		/* Keep both heavy queues a few jobs deep. */
		for (unsigned int h = 0; h < 2; h++)
			while (queued[h] < 3 * (r + 1) + 2 &&
			       queued[h] < HEAVY) {
				hf[h][queued[h]] = submit_timed(
					&heavy[h], 100 * (h + 1) + queued[h],
					4);
				queued[h]++;
			}
		/* Both heavy clients get going (a new entity counts as
		 * interactive until its first job is picked). */
		if (r == 0) {
			ms_check(mock_sched_wait_run_count(ms, 1, 2000),
				 "no heavy job ran");
			mock_sched_advance(ms, 1, 0);
			ms_check(mock_sched_wait_run_count(ms, 2, 2000),
				 "the second heavy client never ran");
		}
		before = mock_sched_run_count(ms);
		f = submit_timed(&inter, id, 1);
		/* One job at a time is on the GPU and it has been handed
		 * over: each step completes it and waits for the next. */
		for (unsigned int k = 0; k < 3 + r % 2; k++) {
			ms_expect(mock_sched_advance(ms, 1, 0), 1,
				  "round %u: completing job %u", r, before + k);
			ms_check(mock_sched_wait_run_count(ms, before + k + 1,
							   2000),
				 "round %u: job %u never ran", r,
				 before + k + 1);
			/* First the heavy job that was on the GPU, then the
			 * interactive job, then one or two heavy jobs (the
			 * interactive client is idle, off the run queue,
			 * when it submits again; with two, the heavy clients
			 * are level at its next submission). */
			if (k == 0)
				ms_expect(mock_sched_run_id(ms, before), id,
					  "round %u: job run after the heavy "
					  "job on the GPU",
					  r);
		}
		ms_check(mock_fence_wait_ms(f, 2000),
			 "round %u: interactive job never finished", r);
		udrm_fence_put(f);
	}
	for (unsigned int h = 0; h < 2; h++)
		for (unsigned int i = 0; i < queued[h]; i++) {
			while (!mock_fence_wait_ms(hf[h][i], 1))
				mock_sched_advance(ms, ~0u, 0);
			udrm_fence_put(hf[h][i]);
		}
	udrm_sched_entity_destroy(&heavy[0]);
	udrm_sched_entity_destroy(&heavy[1]);
	udrm_sched_entity_destroy(&inter);
	mock_sched_destroy(ms);
}

static void idle_entity_goes_to_the_least_loaded_scheduler(void **state)
{
	struct mock_sched *ms0 =
		mock_sched_new("lb0", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct mock_sched *ms1 =
		mock_sched_new("lb1", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_gpu_scheduler *only0[] = {&ms0->base};
	struct udrm_gpu_scheduler *both[] = {&ms0->base, &ms1->base};
	struct udrm_sched_entity busy, spread;
	struct udrm_fence *b, *s;

	(void)state;
	udrm_sched_entity_init(&busy, UDRM_SCHED_PRIORITY_NORMAL, only0, 1);
	udrm_sched_entity_init(&spread, UDRM_SCHED_PRIORITY_NORMAL, both, 2);
	b = mock_job_submit(mock_job_new(&busy, 1, 1, 0));
	ms_check(mock_sched_wait_run_count(ms0, 1, 2000), "job 1 never ran");
	s = mock_job_submit(mock_job_new(&spread, 2, 1, 0));
	ms_check(mock_sched_wait_run_count(ms1, 1, 2000),
		 "the idle entity's job did not go to the idle scheduler");
	ms_check(strcmp(udrm_fence_timeline_name(s), "lb1") == 0,
		 "job's timeline is %s, expected lb1",
		 udrm_fence_timeline_name(s));
	mock_sched_advance(ms0, 1, 0);
	mock_sched_advance(ms1, 1, 0);
	ms_check(mock_fence_wait_ms(b, 2000) && mock_fence_wait_ms(s, 2000),
		 "jobs never finished");
	udrm_fence_put(b);
	udrm_fence_put(s);
	udrm_sched_entity_destroy(&busy);
	udrm_sched_entity_destroy(&spread);
	mock_sched_destroy(ms0);
	mock_sched_destroy(ms1);
}

static void invalid_arguments_are_refused(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("inval", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_gpu_scheduler *list[] = {&ms->base};
	struct udrm_sched_entity entity;
	struct udrm_sched_job job;
	struct udrm_gpu_scheduler other;
	struct udrm_sched_init_args args = {.name = "x", .credit_limit = 1};

	(void)state;
	ms_expect(udrm_sched_init(&other, &args), -EINVAL,
		  "scheduler without ops");
	ms_expect(udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_COUNT,
					 list, 1),
		  -EINVAL, "entity with a bad priority");
	ms_expect(udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_LOW, list,
					 0),
		  -EINVAL, "entity without schedulers");
	udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_LOW, list, 1);
	ms_expect(udrm_sched_job_init(&job, &entity, 0), -EINVAL,
		  "job needing no credits");
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)
		T(job_runs_and_its_fences_signal_in_turn),
		T(finished_fences_signal_in_order_per_entity),
		T(hardware_error_is_the_finished_fence_error),
		T(job_waits_for_its_dependency),
		T(same_scheduler_dependency_waits_only_for_scheduled),
		T(dont_pipeline_dependency_waits_for_finished),
		T(other_scheduler_dependency_waits_for_finished),
		T(dependencies_keep_the_latest_fence_per_context),
		T(resv_dependencies_follow_the_usage),
		T(credits_limit_how_many_jobs_run_at_once),
		T(big_job_waits_until_its_credits_fit),
		T(completion_runs_the_next_ready_job_on_its_thread),
		T(completion_leaves_a_waiting_job_to_the_worker),
		T(completion_chain_keeps_order_and_credits),
		T(spin_hand_over_keeps_order_and_credits),
		T(higher_priority_entity_runs_first),
		T(raised_entity_overtakes_with_its_queued_jobs),
		T(fifo_runs_the_oldest_job_across_entities),
		T(round_robin_alternates_between_entities),
		T(fair_policy_shares_gpu_time_not_job_count),
		T(fair_policy_gives_idle_time_no_credit),
		T(fair_policy_charges_no_time_spent_behind_another_job),
		T(fair_policy_charges_an_estimate_until_the_job_completes),
		T(fair_policy_interactive_job_runs_next),
		T(idle_entity_goes_to_the_least_loaded_scheduler),
		T(invalid_arguments_are_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
