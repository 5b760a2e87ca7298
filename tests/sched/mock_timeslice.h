/* SPDX-License-Identifier: MIT */
/*
 * A time-slicing GPU "firmware" model, shared by the scheduler tests'
 * mock GPU (virtual time, driven by the test) and bench-sched's (real
 * time). It holds no lock and starts no thread: its user serialises the
 * calls and says what time it is.
 *
 * Several jobs are resident at once (the scheduler hands them over up to
 * its credit limit, a shared ring). Resident jobs sit in queues, one per
 * finished-fence context, i.e. one per scheduler entity, as a firmware's
 * per-group rings: within a queue jobs run in order, one at a time, so an
 * entity's fences signal in order. Between queues the model shares the
 * GPU as the scheduler's FAIR policy shares it between entities: each
 * queue has a virtual time (GPU ns it ran, times its weight: 1 high,
 * 2 normal, 4 low); the queue with the least runs, for slices of
 * @slice_ns, and at the end of a slice the least one takes over (ties go
 * to another queue than the one that ran, round robin). A queue that gets
 * a job while it had none rejoins at the least virtual time of the busy
 * queues minus one slice (idle time is no credit; the slice is the
 * waking queue's edge, CFS's sleeper credit) and preempts the running
 * queue at once when it is now below it: a client that submits one short
 * job at a time runs next, within microseconds, instead of after the
 * slice or the long job in front of it.
 *
 * Each job's progress is its own: it finishes when it has run its work,
 * however many slices that took; the model reports the GPU time it
 * occupied (its work) for the scheduler's accounting.
 */
#ifndef UDRM_TESTS_MOCK_TIMESLICE_H
#define UDRM_TESTS_MOCK_TIMESLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/gpu_scheduler.h"

struct mock_ts_queue {
	uint64_t context;		/* the jobs' finished-fence context */
	unsigned int weight;		/* virtual ns per GPU ns */
	uint64_t vtime_ns;		/* virtual GPU time */
	struct udrm_sched_list jobs;	/* resident mock_ts_job, in order */
	struct udrm_sched_list link;	/* in ts->busy while it has jobs */
	struct mock_ts_queue *next_all; /* every queue ever seen */
};

/* Embedded in the backend's job. */
struct mock_ts_job {
	struct udrm_sched_list link; /* in queue->jobs */
	struct mock_ts_queue *queue; /* NULL: not resident */
	uint64_t work_ns;	     /* GPU time it needs */
	uint64_t done_ns;	     /* GPU time it had */
	uint64_t finish_ns;	     /* model time it finished */
	unsigned int slices;	     /* times it was given the GPU */
};

struct mock_ts {
	uint64_t slice_ns;
	uint64_t now_ns;	       /* accounted up to here */
	uint64_t slice_end_ns;	       /* the running queue's slice ends */
	uint64_t min_vtime_ns;	       /* least virtual time, monotonic */
	struct udrm_sched_list busy;   /* queues with resident jobs */
	struct mock_ts_queue *running; /* NULL: GPU idle */
	struct mock_ts_job *current;   /* the job that ran last */
	struct mock_ts_queue *all;
	unsigned int switches;	  /* the GPU went to another queue */
	unsigned int preemptions; /* ... because a job arrived */
	/* Called for each stretch [from, to) a job ran. Optional. */
	void (*charge)(struct mock_ts_job *job, uint64_t from, uint64_t to,
		       void *priv);
	void *priv;
};

void mock_ts_init(struct mock_ts *ts, uint64_t slice_ns, uint64_t now_ns);
/* Frees the queues; no job may be resident. */
void mock_ts_fini(struct mock_ts *ts);
/*
 * Runs the model from ts->now_ns to @now_ns. Jobs that finish on the way
 * leave the model and go to @done (in finish order) with finish_ns set;
 * the caller signals them. Returns how many finished.
 */
unsigned int mock_ts_advance(struct mock_ts *ts, uint64_t now_ns,
			     struct mock_ts_job **done, unsigned int max_done);
/*
 * Makes @job (work_ns set) resident at ts->now_ns (call mock_ts_advance()
 * to the arrival time first) in the queue of @context with @weight.
 * Returns -ENOMEM, or 0.
 */
int mock_ts_add(struct mock_ts *ts, struct mock_ts_job *job, uint64_t context,
		unsigned int weight);
/* Takes @job out without finishing it (cancel, reset). No-op if it is
 * not resident. */
void mock_ts_remove(struct mock_ts *ts, struct mock_ts_job *job);
/* When the model next needs to run (a job finishes or a slice ends), or
 * UINT64_MAX when nothing is resident. */
uint64_t mock_ts_next_event_ns(const struct mock_ts *ts);
/* Whether any job is resident. */
bool mock_ts_busy(const struct mock_ts *ts);

/* The weight of a job of @priority (1 high, 2 normal, 4 low; kernel 1). */
unsigned int mock_ts_weight(enum udrm_sched_priority priority);

#endif
