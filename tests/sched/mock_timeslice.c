// SPDX-License-Identifier: MIT
/*
 * The time-slicing GPU firmware model (see mock_timeslice.h).
 */
#include "mock_timeslice.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

static void ts_list_init(struct udrm_sched_list *l)
{
	l->next = l->prev = l;
}

static bool ts_list_empty(const struct udrm_sched_list *l)
{
	return l->next == l;
}

static void ts_list_add_tail(struct udrm_sched_list *n,
			     struct udrm_sched_list *head)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static void ts_list_del_init(struct udrm_sched_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	ts_list_init(n);
}

static struct mock_ts_queue *ts_queue_of(struct udrm_sched_list *l)
{
	return (struct mock_ts_queue *)((char *)l -
					offsetof(struct mock_ts_queue, link));
}

static struct mock_ts_job *ts_head_job(struct mock_ts_queue *q)
{
	return (struct mock_ts_job *)((char *)q->jobs.next -
				      offsetof(struct mock_ts_job, link));
}

unsigned int mock_ts_weight(enum udrm_sched_priority priority)
{
	return priority <= UDRM_SCHED_PRIORITY_HIGH
		       ? 1
		       : 1u << (priority - UDRM_SCHED_PRIORITY_HIGH);
}

void mock_ts_init(struct mock_ts *ts, uint64_t slice_ns, uint64_t now_ns)
{
	*ts = (struct mock_ts){.slice_ns = slice_ns, .now_ns = now_ns};
	ts_list_init(&ts->busy);
}

void mock_ts_fini(struct mock_ts *ts)
{
	while (ts->all) {
		struct mock_ts_queue *q = ts->all;

		ts->all = q->next_all;
		free(q);
	}
	ts->running = NULL;
	ts->current = NULL;
	ts_list_init(&ts->busy);
}

bool mock_ts_busy(const struct mock_ts *ts)
{
	return !ts_list_empty(&ts->busy);
}

/* The busy queue with the least virtual time; on a tie, not @avoid. */
static struct mock_ts_queue *ts_pick(struct mock_ts *ts,
				     struct mock_ts_queue *avoid)
{
	struct mock_ts_queue *best = NULL;

	for (struct udrm_sched_list *l = ts->busy.next; l != &ts->busy;
	     l = l->next) {
		struct mock_ts_queue *q = ts_queue_of(l);

		if (!best || q->vtime_ns < best->vtime_ns ||
		    (q->vtime_ns == best->vtime_ns && best == avoid))
			best = q;
	}
	return best;
}

static void ts_update_min_vtime(struct mock_ts *ts)
{
	struct mock_ts_queue *least = ts_pick(ts, NULL);

	if (least && least->vtime_ns > ts->min_vtime_ns)
		ts->min_vtime_ns = least->vtime_ns;
}

/* Gives the GPU to @q (may be NULL) for a new slice from now. */
static void ts_switch_to(struct mock_ts *ts, struct mock_ts_queue *q,
			 bool preempt)
{
	if (ts->running && q && q != ts->running) {
		ts->switches++;
		if (preempt)
			ts->preemptions++;
	}
	ts->running = q;
	ts->slice_end_ns = ts->now_ns + ts->slice_ns;
}

unsigned int mock_ts_advance(struct mock_ts *ts, uint64_t now_ns,
			     struct mock_ts_job **done, unsigned int max_done)
{
	unsigned int n = 0;

	while (ts->running) {
		struct mock_ts_queue *q = ts->running;
		struct mock_ts_job *job = ts_head_job(q);
		uint64_t end = ts->now_ns + (job->work_ns - job->done_ns);

		if (job != ts->current) {
			job->slices++;
			ts->current = job;
		}
		if (end > ts->slice_end_ns)
			end = ts->slice_end_ns;
		if (end > now_ns)
			end = now_ns;
		if (end > ts->now_ns) {
			uint64_t ran = end - ts->now_ns;

			job->done_ns += ran;
			q->vtime_ns += ran * q->weight;
			if (ts->charge)
				ts->charge(job, ts->now_ns, end, ts->priv);
			ts->now_ns = end;
		}
		if (job->done_ns >= job->work_ns) {
			if (n == max_done)
				return n; /* the caller comes back for it */
			ts_list_del_init(&job->link);
			job->queue = NULL;
			job->finish_ns = ts->now_ns;
			done[n++] = job;
			ts->current = NULL;
			if (ts_list_empty(&q->jobs)) {
				ts_list_del_init(&q->link);
				ts->running = NULL;
				ts_switch_to(ts, ts_pick(ts, NULL), false);
			}
			ts_update_min_vtime(ts);
			continue;
		}
		if (ts->now_ns >= ts->slice_end_ns) {
			struct mock_ts_queue *next = ts_pick(ts, q);

			if (next != q)
				ts->current = NULL;
			ts_switch_to(ts, next, false);
			ts_update_min_vtime(ts);
			continue;
		}
		break; /* reached now_ns */
	}
	if (ts->now_ns < now_ns)
		ts->now_ns = now_ns;
	return n;
}

int mock_ts_add(struct mock_ts *ts, struct mock_ts_job *job, uint64_t context,
		unsigned int weight)
{
	struct mock_ts_queue *q;

	for (q = ts->all; q && q->context != context; q = q->next_all)
		;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return -ENOMEM;
		q->context = context;
		ts_list_init(&q->jobs);
		ts_list_init(&q->link);
		q->next_all = ts->all;
		ts->all = q;
	}
	q->weight = weight ? weight : 1;
	job->queue = q;
	job->done_ns = 0;
	job->finish_ns = 0;
	if (ts_list_empty(&q->jobs)) {
		/* Rejoining: at the least virtual time minus a slice, never
		 * below where the queue was. */
		struct mock_ts_queue *least = ts_pick(ts, NULL);
		uint64_t floor = least ? least->vtime_ns : ts->min_vtime_ns;

		floor = floor > ts->slice_ns ? floor - ts->slice_ns : 0;
		if (q->vtime_ns < floor)
			q->vtime_ns = floor;
		ts_list_add_tail(&job->link, &q->jobs);
		ts_list_add_tail(&q->link, &ts->busy);
		if (!ts->running)
			ts_switch_to(ts, q, false);
		else if (q->vtime_ns < ts->running->vtime_ns)
			ts_switch_to(ts, q, true);
	} else {
		ts_list_add_tail(&job->link, &q->jobs);
	}
	return 0;
}

void mock_ts_remove(struct mock_ts *ts, struct mock_ts_job *job)
{
	struct mock_ts_queue *q = job->queue;

	if (!q)
		return;
	ts_list_del_init(&job->link);
	job->queue = NULL;
	if (ts->current == job)
		ts->current = NULL;
	if (ts_list_empty(&q->jobs)) {
		ts_list_del_init(&q->link);
		if (ts->running == q) {
			ts->running = NULL;
			ts_switch_to(ts, ts_pick(ts, NULL), false);
		}
	}
}

uint64_t mock_ts_next_event_ns(const struct mock_ts *ts)
{
	const struct mock_ts_job *job;
	uint64_t end;

	if (!ts->running)
		return UINT64_MAX;
	job = ts_head_job(ts->running);
	end = ts->now_ns + (job->work_ns - job->done_ns);
	return end < ts->slice_end_ns ? end : ts->slice_end_ns;
}
