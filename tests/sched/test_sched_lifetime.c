// SPDX-License-Identifier: MIT
/*
 * Scheduler teardown, lifetimes and recovery: entities destroyed with jobs
 * queued, schedulers torn down with jobs on the hardware, fences that
 * outlive their scheduler, job timeouts (no hang, reset) and guilty
 * entities, and jobs given up before push.
 */
#include "mock_scheduler.h"

static int check_no_leaks(void **state)
{
	(void)state;
	ms_check(mock_wait_jobs_freed(2000), "%ld mock jobs still alive",
		 mock_jobs_alive());
	return 0;
}

/* Records the order in which finished fences signal. */
struct order_cb {
	struct udrm_fence_cb cb;
	unsigned int index;
	atomic_uint *next;
	unsigned int position;
};

static void order_cb_func(struct udrm_fence *fence, struct udrm_fence_cb *cb)
{
	struct order_cb *o = (struct order_cb *)cb;

	(void)fence;
	o->position = atomic_fetch_add(o->next, 1);
}

static void entity_fini_completes_queued_jobs_with_esrch_in_order(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("esrch", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *never =
		mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct udrm_fence *f[5];
	struct order_cb cbs[5];
	atomic_uint next = 0;
	struct mock_job *job;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	job = mock_job_new(&entity, 0, 1, 0);
	udrm_sched_job_add_dependency(&job->base, udrm_fence_get(never));
	f[0] = mock_job_submit(job);
	for (unsigned int i = 1; i < 5; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 0));
	for (unsigned int i = 0; i < 5; i++) {
		cbs[i].index = i;
		cbs[i].next = &next;
		ms_expect(udrm_fence_add_callback(f[i], &cbs[i].cb,
						  order_cb_func),
			  0, "callback on finished fence %u", i);
	}
	ms_expect(udrm_sched_entity_flush(&entity, 20000000ull), 0,
		  "flush of an entity blocked on a dependency");
	udrm_sched_entity_fini(&entity);
	for (unsigned int i = 0; i < 5; i++) {
		ms_expect(udrm_fence_get_status(f[i]), -ESRCH,
			  "status of queued job %u after entity fini", i);
		ms_expect(cbs[i].position, i,
			  "position job %u's finished fence signalled at", i);
	}
	ms_expect(mock_sched_run_count(ms), 0, "jobs run");
	ms_expect(mock_jobs_alive(), 0, "jobs alive after entity fini");
	for (unsigned int i = 0; i < 5; i++)
		udrm_fence_put(f[i]);
	udrm_fence_signal(never);
	udrm_fence_put(never);
	mock_sched_destroy(ms);
}

static void killed_jobs_finish_after_the_running_job_before_them(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("killorder", UDRM_SCHED_POLICY_FIFO, 1, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[3];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 3; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job 0 never ran");
	udrm_sched_entity_fini(&entity);
	ms_check(!udrm_fence_is_signaled(f[1]) && !udrm_fence_is_signaled(f[2]),
		 "killed jobs finished before the job running ahead of them");
	mock_sched_advance(ms, 1, 0);
	for (unsigned int i = 0; i < 3; i++) {
		ms_check(mock_fence_wait_ms(f[i], 2000),
			 "job %u never finished", i);
		ms_expect(udrm_fence_get_status(f[i]), i ? -ESRCH : 1,
			  "status of job %u", i);
		if (i)
			ms_check(udrm_fence_timestamp(f[i]) >=
					 udrm_fence_timestamp(f[i - 1]),
				 "job %u finished before job %u", i, i - 1);
	}
	ms_expect(mock_sched_run_count(ms), 1, "jobs run");
	for (unsigned int i = 0; i < 3; i++)
		udrm_fence_put(f[i]);
	mock_sched_destroy(ms);
}

/* Jobs killed behind a running job are still completed by a teardown. */
static void sched_fini_completes_jobs_killed_behind_running_ones(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("killfini", UDRM_SCHED_POLICY_FIFO, 1, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[3];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 3; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job 0 never ran");
	udrm_sched_entity_fini(&entity);
	mock_sched_destroy(ms);
	ms_expect(mock_jobs_alive(), 0, "jobs alive after teardown");
	for (unsigned int i = 0; i < 3; i++) {
		ms_expect(udrm_fence_get_status(f[i]), i ? -ESRCH : -ECANCELED,
			  "status of job %u", i);
		udrm_fence_put(f[i]);
	}
}

static void push_to_a_stopped_entity_completes_with_esrch(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("stopped", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct mock_job *job;
	struct udrm_fence *f;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	job = mock_job_new(&entity, 1, 1, 0);
	udrm_sched_job_arm(&job->base);
	f = udrm_fence_get(udrm_sched_job_finished(&job->base));
	pthread_mutex_lock(&entity.lock);
	entity.stopped = true;
	pthread_mutex_unlock(&entity.lock);
	udrm_sched_entity_push_job(&job->base);
	ms_expect(udrm_fence_get_status(f), -ESRCH,
		  "status of a job pushed to a stopped entity");
	udrm_fence_put(f);
	udrm_sched_entity_fini(&entity);
	mock_sched_destroy(ms);
}

static void sched_fini_cancels_jobs_on_the_hardware(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("teardown", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[3];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	for (unsigned int i = 0; i < 3; i++)
		f[i] = mock_job_submit(mock_job_new(&entity, i, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 3, 2000), "jobs never ran");
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
	for (unsigned int i = 0; i < 3; i++) {
		ms_check(udrm_fence_is_signaled(f[i]),
			 "job %u not finished after scheduler teardown", i);
		ms_expect(udrm_fence_get_status(f[i]), -ECANCELED,
			  "status of running job %u after teardown", i);
		udrm_fence_put(f[i]);
	}
	ms_expect(mock_jobs_alive(), 0, "jobs not freed by teardown");
}

/* Without cancel_job the scheduler itself fails the jobs. */
static void sched_fini_without_cancel_job_still_completes_jobs(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("nocancel", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f;

	(void)state;
	ms->base.ops.cancel_job = NULL;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job never ran");
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
	ms_expect(udrm_fence_get_status(f), -ECANCELED,
		  "status of a running job after teardown");
	udrm_fence_put(f);
}

static void fences_stay_valid_after_the_scheduler_is_gone(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("gone", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *scheduled, *finished, *pending;
	struct udrm_sched_fence *sf;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	finished = mock_job_submit2(mock_job_new(&entity, 1, 1, 1), &scheduled);
	ms_check(mock_fence_wait_ms(finished, 2000), "job never finished");
	pending = mock_job_submit(mock_job_new(&entity, 2, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 2, 2000), "job 2 never ran");
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms); /* frees and poisons the scheduler */

	ms_check(strcmp(udrm_fence_driver_name(finished), "udrm_sched") == 0,
		 "driver name '%s' after teardown",
		 udrm_fence_driver_name(finished));
	ms_check(strcmp(udrm_fence_timeline_name(scheduled), "gone") == 0,
		 "timeline name '%s' after teardown",
		 udrm_fence_timeline_name(scheduled));
	ms_expect(udrm_fence_get_status(finished), 1, "finished status");
	ms_expect(udrm_fence_get_status(scheduled), 1, "scheduled status");
	ms_expect(udrm_fence_wait(pending, false), 0,
		  "wait on a cancelled job");
	ms_expect(udrm_fence_get_status(pending), -ECANCELED,
		  "status of the job cancelled by teardown");
	sf = udrm_sched_fence_from(finished);
	ms_check(sf && sf->parent, "finished fence lost its hardware fence");
	udrm_fence_set_deadline(finished, udrm_fence_now_ns());
	ms_check(udrm_sched_fence_from(sf->parent) == NULL,
		 "a hardware fence taken for a scheduler fence");
	udrm_fence_put(scheduled);
	udrm_fence_put(finished);
	udrm_fence_put(pending);
}

static void timeout_with_no_hang_keeps_the_job_running(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("nohang", UDRM_SCHED_POLICY_FIFO, 8, 10);
	struct udrm_sched_entity entity;
	struct udrm_fence *f;

	(void)state;
	atomic_store(&ms->timeout_answer, UDRM_GPU_SCHED_STAT_NO_HANG);
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job never ran");
	for (unsigned int i = 0; i < 2000 && atomic_load(&ms->timeouts) < 3;
	     i++)
		mock_msleep(1);
	ms_check(atomic_load(&ms->timeouts) >= 3,
		 "timeout fired %d times in 2 s, expected it to re-arm",
		 atomic_load(&ms->timeouts));
	ms_check(!udrm_fence_is_signaled(f),
		 "job finished although the driver said it did not hang");
	mock_sched_advance(ms, 1, 0);
	ms_check(mock_fence_wait_ms(f, 2000), "job never finished");
	ms_expect(udrm_fence_get_status(f), 1,
		  "status after a no-hang timeout");
	ms_expect(udrm_sched_entity_is_guilty(&entity), false,
		  "entity guilty after a no-hang timeout");
	udrm_fence_put(f);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void timeout_with_reset_fails_the_job_and_blames_its_entity(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("reset", UDRM_SCHED_POLICY_FIFO, 8, 10);
	struct udrm_sched_entity bad, good;
	struct udrm_fence *hung, *later, *other;
	unsigned int runs;

	(void)state;
	mock_entity_init(&bad, ms, UDRM_SCHED_PRIORITY_NORMAL);
	mock_entity_init(&good, ms, UDRM_SCHED_PRIORITY_NORMAL);
	hung = mock_job_submit(mock_job_new(&bad, 1, 1, 0));
	ms_check(mock_fence_wait_ms(hung, 2000),
		 "hung job not completed by the reset");
	ms_expect(udrm_fence_get_status(hung), -ETIMEDOUT,
		  "status of the job the reset killed");
	ms_expect(atomic_load(&ms->timeouts), 1, "timeouts");
	ms_check(udrm_sched_entity_is_guilty(&bad),
		 "entity of the hung job not marked guilty");
	ms_check(!udrm_sched_entity_is_guilty(&good),
		 "innocent entity marked guilty");

	runs = mock_sched_run_count(ms);
	later = mock_job_submit(mock_job_new(&bad, 2, 1, 0));
	ms_check(mock_fence_wait_ms(later, 2000),
		 "job of a guilty entity never completed");
	ms_expect(udrm_fence_get_status(later), -ECANCELED,
		  "status of a job from a guilty entity");
	ms_expect(mock_sched_run_count(ms), runs,
		  "jobs run (a guilty entity's job must not run)");
	other = mock_job_submit(mock_job_new(&good, 3, 1, 1));
	ms_check(mock_fence_wait_ms(other, 2000),
		 "innocent job did not run after the reset");
	ms_expect(udrm_fence_get_status(other), 1, "innocent job status");
	udrm_fence_put(hung);
	udrm_fence_put(later);
	udrm_fence_put(other);
	udrm_sched_entity_destroy(&bad);
	udrm_sched_entity_destroy(&good);
	mock_sched_destroy(ms);
}

static void stop_resubmit_start_reruns_pending_jobs(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("resubmit", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f[2];

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	f[0] = mock_job_submit(mock_job_new(&entity, 1, 1, 0));
	f[1] = mock_job_submit(mock_job_new(&entity, 2, 1, 0));
	ms_check(mock_sched_wait_run_count(ms, 2, 2000), "jobs never ran");
	udrm_sched_stop(&ms->base, NULL);
	/* The "hardware" loses its work: its fences are replaced. */
	mock_sched_lose_all(ms);
	udrm_sched_resubmit_jobs(&ms->base);
	udrm_sched_start(&ms->base, 0);
	ms_expect(mock_sched_run_count(ms), 4, "run_job calls after resubmit");
	ms_check(!udrm_fence_is_signaled(f[0]),
		 "job finished by the hardware fence it lost");
	mock_sched_advance(ms, 2, 0);
	for (unsigned int i = 0; i < 2; i++) {
		ms_check(mock_fence_wait_ms(f[i], 2000),
			 "resubmitted job %u never finished", i);
		ms_expect(udrm_fence_get_status(f[i]), 1,
			  "status of resubmitted job %u", i);
		udrm_fence_put(f[i]);
	}
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void start_fails_pending_jobs_without_hardware_fence(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("startfail", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct udrm_fence *f;
	struct mock_job *job;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	job = mock_job_new(&entity, 1, 1, 0);
	f = mock_job_submit(job);
	ms_check(mock_sched_wait_run_count(ms, 1, 2000), "job never ran");
	udrm_sched_stop(&ms->base, NULL);
	/* A driver that drops the hardware fences on reset. */
	mock_sched_lose_all(ms);
	udrm_fence_put(job->base.hw_fence);
	job->base.hw_fence = NULL;
	udrm_sched_start(&ms->base, -ENODEV);
	ms_expect(udrm_fence_get_status(f), -ENODEV,
		  "status of a pending job without a hardware fence at start");
	udrm_fence_put(f);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void job_given_up_at_any_stage_leaks_nothing(void **state)
{
	struct mock_sched *ms =
		mock_sched_new("cleanup", UDRM_SCHED_POLICY_FIFO, 8, 0);
	struct udrm_sched_entity entity;
	struct mock_job *unarmed, *armed;
	struct udrm_fence *dep = mock_fence_new(udrm_fence_context_alloc(1), 1);
	struct udrm_fence *f;

	(void)state;
	mock_entity_init(&entity, ms, UDRM_SCHED_PRIORITY_NORMAL);
	unarmed = mock_job_new(&entity, 1, 1, 0);
	udrm_sched_job_add_dependency(&unarmed->base, udrm_fence_get(dep));
	mock_job_abandon(unarmed);

	armed = mock_job_new(&entity, 2, 1, 0);
	udrm_sched_job_add_dependency(&armed->base, udrm_fence_get(dep));
	udrm_sched_job_arm(&armed->base);
	f = udrm_fence_get(udrm_sched_job_finished(&armed->base));
	mock_job_abandon(armed);
	ms_expect(udrm_fence_get_status(f), -ECANCELED,
		  "finished fence of a job armed but never pushed");
	ms_expect(atomic_load(&dep->refcount), 1,
		  "references left on the dependency");
	udrm_fence_put(f);
	udrm_fence_put(dep);
	udrm_sched_entity_destroy(&entity);
	mock_sched_destroy(ms);
}

static void many_threads_submit_to_shared_schedulers(void **state);

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, check_no_leaks)
		T(entity_fini_completes_queued_jobs_with_esrch_in_order),
		T(killed_jobs_finish_after_the_running_job_before_them),
		T(sched_fini_completes_jobs_killed_behind_running_ones),
		T(push_to_a_stopped_entity_completes_with_esrch),
		T(sched_fini_cancels_jobs_on_the_hardware),
		T(sched_fini_without_cancel_job_still_completes_jobs),
		T(fences_stay_valid_after_the_scheduler_is_gone),
		T(timeout_with_no_hang_keeps_the_job_running),
		T(timeout_with_reset_fails_the_job_and_blames_its_entity),
		T(stop_resubmit_start_reruns_pending_jobs),
		T(start_fails_pending_jobs_without_hardware_fence),
		T(job_given_up_at_any_stage_leaks_nothing),
		T(many_threads_submit_to_shared_schedulers),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

struct submitter {
	struct udrm_gpu_scheduler **list;
	unsigned int id;
	struct udrm_fence *last;
	atomic_int *finished_threads;
};

static void *submitter_thread(void *arg)
{
	struct submitter *s = arg;
	struct udrm_sched_entity entity;
	struct udrm_fence *prev = NULL;

	udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_NORMAL, s->list, 2);
	for (unsigned int i = 0; i < 50; i++) {
		struct mock_job *job = mock_job_new(&entity, s->id * 100 + i,
						    1 + i % 2, i % 3 ? 0 : 1);
		struct udrm_fence *f;

		if (prev)
			udrm_sched_job_add_dependency(&job->base, prev);
		f = mock_job_submit(job);
		prev = udrm_fence_get(f);
		udrm_fence_put(f);
	}
	s->last = prev;
	udrm_sched_entity_destroy(&entity);
	atomic_fetch_add(s->finished_threads, 1);
	return NULL;
}

static void many_threads_submit_to_shared_schedulers(void **state)
{
	struct mock_sched *ms[2] = {
		mock_sched_new("mt0", UDRM_SCHED_POLICY_FIFO, 3, 0),
		mock_sched_new("mt1", UDRM_SCHED_POLICY_RR, 3, 0),
	};
	struct udrm_gpu_scheduler *list[] = {&ms[0]->base, &ms[1]->base};
	struct submitter subs[4];
	pthread_t threads[4];
	atomic_int finished_threads = 0;

	(void)state;
	for (unsigned int i = 0; i < 4; i++) {
		subs[i] = (struct submitter){
			.list = list,
			.id = i,
			.finished_threads = &finished_threads,
		};
		pthread_create(&threads[i], NULL, submitter_thread, &subs[i]);
	}
	/* Completes manual jobs until every submitter has flushed its
	 * entity (a flush waits for the worker to take the queued jobs). */
	while (atomic_load(&finished_threads) < 4) {
		mock_sched_advance(ms[0], 1, 0);
		mock_sched_advance(ms[1], 1, 0);
		mock_msleep(0);
	}
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		while (!mock_fence_wait_ms(subs[i].last, 1)) {
			mock_sched_advance(ms[0], 1, 0);
			mock_sched_advance(ms[1], 1, 0);
		}
		ms_expect(udrm_fence_get_status(subs[i].last), 1,
			  "last job of submitter %u", i);
		udrm_fence_put(subs[i].last);
	}
	mock_sched_destroy(ms[0]);
	mock_sched_destroy(ms[1]);
}
