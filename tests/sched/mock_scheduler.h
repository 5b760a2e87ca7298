/* SPDX-License-Identifier: MIT */
/*
 * A mock GPU for the scheduler tests, after the kernel's
 * drivers/gpu/drm/scheduler/tests/mock_scheduler.c: run_job puts the job on
 * a "hardware" queue with a fence of its own; the test completes jobs in
 * order with mock_sched_advance(), or a job given a duration completes by
 * itself from the mock's timer thread.
 */
#ifndef UDRM_TESTS_MOCK_SCHEDULER_H
#define UDRM_TESTS_MOCK_SCHEDULER_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock_timeslice.h"
#include "sched/gpu_scheduler.h"

/* Fails unless @expr evaluates to @expected; @...: what was done. */
#define ms_expect(expr, expected, ...)                                         \
	do {                                                                   \
		long long ms_got_ = (long long)(expr);                         \
		long long ms_want_ = (long long)(expected);                    \
		if (ms_got_ != ms_want_) {                                     \
			char ms_what_[256];                                    \
			snprintf(ms_what_, sizeof(ms_what_), __VA_ARGS__);     \
			fail_msg("%s: expected %lld (%s), got %lld (%s)",      \
				 ms_what_, ms_want_,                           \
				 ms_want_ < 0 ? strerror((int)-ms_want_)       \
					      : "-",                           \
				 ms_got_,                                      \
				 ms_got_ < 0 ? strerror((int)-ms_got_) : "-"); \
		}                                                              \
	} while (0)

#define ms_check(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

#define MOCK_MAX_LOG 256

struct mock_sched {
	struct udrm_gpu_scheduler base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct udrm_sched_list hw_queue;    /* (lock) mock_job.hw_link */
	uint64_t hw_context, hw_seqno;	    /* (lock) */
	unsigned int run_log[MOCK_MAX_LOG]; /* (lock) job ids in run order */
	pthread_t run_thread[MOCK_MAX_LOG]; /* (lock) who called run_job */
	unsigned int run_count;		    /* (lock) */
	bool exiting;			    /* (lock) */
	pthread_t timer;
	/* Time-sliced mode (mock_sched_new_timesliced): resident jobs share
	 * the GPU in the firmware model, on a virtual clock that only
	 * mock_sched_run_for() moves. */
	bool timesliced;
	struct mock_ts ts;		     /* (lock) */
	unsigned int done_log[MOCK_MAX_LOG]; /* (lock) ids, in finish order */
	uint64_t done_at[MOCK_MAX_LOG];	     /* (lock) virtual finish time */
	unsigned int done_count;	     /* (lock) */
	unsigned int resident;		     /* (lock) jobs in the model */
	atomic_int timeouts;
	atomic_int timeout_answer; /* enum udrm_gpu_sched_stat */
};

struct mock_job {
	struct udrm_sched_job base;
	struct mock_sched *sched;
	struct udrm_sched_list hw_link; /* (sched->lock) */
	struct udrm_fence *hw;		/* a reference */
	unsigned int id;
	unsigned int duration_ms; /* 0: only mock_sched_advance() */
	/* When set, mock_sched_advance() dates the hardware fence this long
	 * after the job started, whatever the real time. */
	uint64_t gpu_time_ns;
	uint64_t due_ns;
	struct mock_ts_job ts; /* (sched->lock) time-sliced mode */
};

/* A heap mock scheduler (freed by mock_sched_destroy). */
struct mock_sched *mock_sched_new(const char *name,
				  enum udrm_sched_policy policy,
				  uint32_t credit_limit, uint64_t timeout_ms);
/* The same with run_on_completion: the mock's run_job takes only its own
 * lock, never held while a hardware fence signals. */
struct mock_sched *mock_sched_new_direct(const char *name,
					 enum udrm_sched_policy policy,
					 uint32_t credit_limit);
/* The same with the worker's hand-over spin (spin_for_completion). */
struct mock_sched *mock_sched_new_spin(const char *name,
				       enum udrm_sched_policy policy,
				       uint32_t credit_limit);
/*
 * A time-sliced mock GPU (mock_timeslice.h) behind a scheduler with
 * @credit_limit resident jobs and no timeout: a job's duration_ms is
 * its GPU work in virtual milliseconds, run in slices of @slice_ms as
 * the tests move the virtual clock with mock_sched_run_for(). Each job
 * reports its GPU time (job->hw_busy_ns) when it finishes.
 */
struct mock_sched *mock_sched_new_timesliced(const char *name,
					     enum udrm_sched_policy policy,
					     uint32_t credit_limit,
					     unsigned int slice_ms);
/* Time-sliced mode: runs the virtual clock @ms milliseconds on, then
 * signals the jobs that finished on the way, in finish order. Returns
 * how many finished. */
unsigned int mock_sched_run_for(struct mock_sched *ms, unsigned int ms_);
/* Time-sliced mode: the @i-th job to finish (its id and virtual finish
 * time in ms since creation), how many finished, and how many times a
 * job arriving took the GPU from a running one. */
unsigned int mock_sched_done_id(struct mock_sched *ms, unsigned int i);
double mock_sched_done_at_ms(struct mock_sched *ms, unsigned int i);
unsigned int mock_sched_done_count(struct mock_sched *ms);
unsigned int mock_sched_preemptions(struct mock_sched *ms);
/* Time-sliced mode: jobs resident on the mock GPU. */
unsigned int mock_sched_resident(struct mock_sched *ms);
/* udrm_sched_fini() then frees the mock. */
void mock_sched_destroy(struct mock_sched *ms);
/* Initialises @entity on @ms alone at @priority; fails the test if that
 * fails. */
void mock_entity_init(struct udrm_sched_entity *entity, struct mock_sched *ms,
		      enum udrm_sched_priority priority);

/* A new job on @entity; init'ed but not armed. */
struct mock_job *mock_job_new(struct udrm_sched_entity *entity, unsigned int id,
			      uint32_t credits, unsigned int duration_ms);
/* Gives up on a job that was never pushed (armed or not). */
void mock_job_abandon(struct mock_job *job);
/* Arms and pushes; returns a reference to the finished fence. */
struct udrm_fence *mock_job_submit(struct mock_job *job);
/* As mock_job_submit, also returning a reference to the scheduled fence. */
struct udrm_fence *mock_job_submit2(struct mock_job *job,
				    struct udrm_fence **scheduled);

/* Completes up to @n jobs on the hardware queue, oldest first, with
 * @error (0 for success). Returns how many it completed. */
unsigned int mock_sched_advance(struct mock_sched *ms, unsigned int n,
				int error);
/* A reset that loses the hardware's work: jobs leave the queue and
 * their fences never signal. */
void mock_sched_lose_all(struct mock_sched *ms);
unsigned int mock_sched_run_count(struct mock_sched *ms);
unsigned int mock_sched_run_id(struct mock_sched *ms, unsigned int i);
/* Whether the @i-th run_job call was made on the calling thread. */
bool mock_sched_run_on_this_thread(struct mock_sched *ms, unsigned int i);
/* Waits until no thread holds the scheduler's run role (the worker has
 * gone back to waiting, or is about to). */
void mock_sched_wait_idle(struct mock_sched *ms);
/* Waits up to @timeout_ms until @count jobs have been run. */
bool mock_sched_wait_run_count(struct mock_sched *ms, unsigned int count,
			       unsigned int timeout_ms);

/* Mock jobs alive, to catch leaks. */
long mock_jobs_alive(void);
/* Waits up to @timeout_ms until no mock job is alive. */
bool mock_wait_jobs_freed(unsigned int timeout_ms);

/* A fence of its own context (a reference, own lock). */
struct udrm_fence *mock_fence_new(uint64_t context, uint64_t seqno);

/* Waits up to @timeout_ms for @fence; true if signalled. */
bool mock_fence_wait_ms(struct udrm_fence *fence, unsigned int timeout_ms);

void mock_msleep(unsigned int ms);

#endif
