// SPDX-License-Identifier: MIT
/*
 * The scheduler proper, as the kernel's sched_main.c: the worker thread
 * that selects entities, resolves dependencies, runs and frees jobs, the
 * timeout handling and the stop/start recovery protocol.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include "sched/sched_internal.h"

static unsigned int sched_rq_count(const struct udrm_sched_list *head)
{
	unsigned int n = 0;

	for (const struct udrm_sched_list *node = head->next; node != head;
	     node = node->next)
		n++;
	return n;
}

/* Restarts the timeout for the oldest running job. sched->lock held. */
static void sched_rearm_timeout_locked(struct udrm_gpu_scheduler *sched)
{
	if (!sched->timeout_ns || !sched->hw_running)
		sched->tdr_deadline = 0;
	else
		sched->tdr_deadline = udrm_fence_now_ns() + sched->timeout_ns;
}

/*
 * Fair policy: GPU time scaled by priority (high 1, normal 2, low 4); the
 * entity's average job cost moves a quarter of the way to this job's. A
 * job handed over while others still ran is charged from the later of its
 * hand-over and the previous completion: the time it waited behind them
 * in the ring is theirs. The entity was charged its average job cost when
 * the job was handed over (see sched_run_job()); the real cost replaces
 * that estimate now. sched->lock held.
 */
static void sched_job_charge_locked(struct udrm_gpu_scheduler *sched,
				    struct udrm_sched_job *job)
{
	uint64_t end, start = job->start_ns, ran, cost, avg;

	end = job->hw_fence ? udrm_fence_timestamp(job->hw_fence) : 0;
	if (!end)
		end = udrm_fence_now_ns();
	if (job->queued_behind && sched->last_done_ns > start)
		start = sched->last_done_ns;
	if (end > sched->last_done_ns)
		sched->last_done_ns = end;
	ran = end > start ? end - start : 0;
	/* The hardware's job time, for the worker's hand-over spin. */
	if (sched->spin)
		sched->avg_run_ns = sched->avg_run_ns
					    ? sched->avg_run_ns -
						      sched->avg_run_ns / 8 +
						      ran / 8
					    : ran;
	if (sched->policy != UDRM_SCHED_POLICY_FAIR ||
	    job->priority == UDRM_SCHED_PRIORITY_KERNEL)
		return;
	if (job->hw_busy_ns)
		ran = job->hw_busy_ns;
	cost = ran << (job->priority - UDRM_SCHED_PRIORITY_HIGH);
	/* The estimate charged at hand-over is replaced by the cost. */
	if (cost >= job->estimate_ns)
		atomic_fetch_add(&job->stats->vruntime_ns,
				 cost - job->estimate_ns);
	else
		atomic_fetch_sub(&job->stats->vruntime_ns,
				 job->estimate_ns - cost);
	avg = atomic_load(&job->stats->avg_job_ns);
	atomic_store(&job->stats->avg_job_ns,
		     avg ? avg - avg / 4 + cost / 4 : cost);
}

static void sched_run_from_completion(struct udrm_gpu_scheduler *sched);

/*
 * The job's hardware is done with @result: signal the finished fence and
 * let the worker free the job. May run under the hardware fence's lock;
 * the job may be freed as soon as sched->lock is dropped. With
 * run_on_completion, when nobody holds the run role, this thread takes it
 * and starts the next job itself (see sched_run_from_completion()).
 */
static void sched_job_done(struct udrm_sched_job *job, int result)
{
	struct udrm_gpu_scheduler *sched = job->sched;
	bool direct;

	sched_fence_finished(job->s_fence, result);
	pthread_mutex_lock(&sched->lock);
	sched_job_charge_locked(sched, job);
	job->done = true;
	sched->credit_count -= job->credits;
	sched->hw_running--;
	atomic_fetch_add(&sched->completions, 1);
	sched_rearm_timeout_locked(sched);
	direct = sched->run_on_completion && !sched->busy && !sched->paused &&
		 !sched->exiting;
	if (direct)
		sched->busy = true;
	else
		pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
	if (direct)
		sched_run_from_completion(sched);
}

static void sched_job_done_cb(struct udrm_fence *fence,
			      struct udrm_fence_cb *cb)
{
	struct udrm_sched_job *job =
		sched_container_of(cb, struct udrm_sched_job, cb);

	/* We hold the fence's lock: read the error directly. */
	sched_job_done(job, fence->error);
}

static void sched_entity_dep_cb(struct udrm_fence *fence,
				struct udrm_fence_cb *cb)
{
	struct udrm_sched_entity *entity =
		sched_container_of(cb, struct udrm_sched_entity, dep_cb);
	struct udrm_gpu_scheduler *sched = entity->dep_sched;

	(void)fence;
	pthread_mutex_lock(&sched->lock);
	entity->blocked = false;
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
}

/* The job's credits, clamped to what the scheduler can ever give. */
static uint32_t sched_job_credits(struct udrm_gpu_scheduler *sched,
				  struct udrm_sched_job *job)
{
	if (job->credits > sched->credit_limit) {
		fprintf(stderr,
			"udrm_sched %s: job needs %u credits, limit is %u\n",
			sched->name, job->credits, sched->credit_limit);
		job->credits = sched->credit_limit;
	}
	return job->credits;
}

/*
 * FIFO: the older head job goes first. FAIR: an interactive entity against
 * a busy one wins unless its virtual GPU time exceeds the other's by more
 * than its average job cost; otherwise the entity with less virtual GPU
 * time, then the older job. sched->lock held.
 */
static bool sched_entity_before(struct udrm_gpu_scheduler *sched,
				struct udrm_sched_entity *a,
				struct udrm_sched_job *a_job,
				struct udrm_sched_entity *b,
				struct udrm_sched_job *b_job)
{
	if (sched->policy == UDRM_SCHED_POLICY_FAIR) {
		uint64_t va = atomic_load(&a->stats->vruntime_ns);
		uint64_t vb = atomic_load(&b->stats->vruntime_ns);

		if (a->interactive != b->interactive) {
			if (a->interactive)
				return va <=
				       vb + atomic_load(&a->stats->avg_job_ns);
			return vb > va + atomic_load(&b->stats->avg_job_ns);
		}
		if (va != vb)
			return va < vb;
	}
	return a_job->submit_ts < b_job->submit_ts;
}

/*
 * The entity whose head job runs next, or NULL: highest priority first;
 * within it the oldest head job (FIFO) or the next entity after the last
 * one served (RR); FAIR pools the priorities below kernel and takes the
 * least virtual GPU time. Entities with empty queues leave the run queue here.
 * When the chosen job's credits do not fit, nothing runs (no overtaking).
 * *@job_out gets the entity's head job. Call sched_commit_entity_locked()
 * when the entity is taken. sched->lock held.
 */
static struct udrm_sched_entity *
sched_pick_entity_locked(struct udrm_gpu_scheduler *sched,
			 struct udrm_sched_job **job_out)
{
	struct udrm_sched_entity *best = NULL;
	struct udrm_sched_job *best_job = NULL;

	for (int prio = 0; prio < UDRM_SCHED_PRIORITY_COUNT; prio++) {
		struct udrm_sched_list *head = &sched->rq[prio], *node, *next;
		struct udrm_sched_list *start;

		for (node = head->next; node != head; node = next) {
			struct udrm_sched_entity *e = sched_container_of(
				node, struct udrm_sched_entity, rq_link);

			next = node->next;
			pthread_mutex_lock(&e->lock);
			if (sched_list_empty(&e->queue)) {
				if (sched->rr_cursor[prio] == node)
					sched->rr_cursor[prio] = NULL;
				sched_list_del(node);
				e->on_rq = false;
				e->rq_sched = NULL;
			}
			pthread_mutex_unlock(&e->lock);
		}
		if (sched_list_empty(head))
			continue;

		start = sched->rr_cursor[prio] ? sched->rr_cursor[prio] : head;
		node = start;
		for (unsigned int i = 0, n = sched_rq_count(head); i < n; i++) {
			struct udrm_sched_entity *e;
			struct udrm_sched_job *job;

			node = node->next;
			if (node == head)
				node = node->next;
			e = sched_container_of(node, struct udrm_sched_entity,
					       rq_link);
			if (e->blocked)
				continue;
			pthread_mutex_lock(&e->lock);
			job = sched_job_of(e->queue.next);
			pthread_mutex_unlock(&e->lock);
			if (sched->policy == UDRM_SCHED_POLICY_RR) {
				best = e;
				best_job = job;
				break;
			}
			if (!best_job || sched_entity_before(sched, e, job,
							     best, best_job)) {
				best = e;
				best_job = job;
			}
		}
		/* The fair policy pools every priority below kernel. */
		if (best && (sched->policy != UDRM_SCHED_POLICY_FAIR ||
			     prio == UDRM_SCHED_PRIORITY_KERNEL))
			break;
	}
	sched->credit_blocked = false;
	if (!best)
		return NULL;
	if (sched->credit_count + sched_job_credits(sched, best_job) >
	    sched->credit_limit) {
		sched->credit_blocked = true;
		return NULL;
	}
	*job_out = best_job;
	return best;
}

/* The policy's bookkeeping for taking @entity's head job. sched->lock held. */
static void sched_commit_entity_locked(struct udrm_gpu_scheduler *sched,
				       struct udrm_sched_entity *entity)
{
	if (sched->policy == UDRM_SCHED_POLICY_RR)
		sched->rr_cursor[entity->priority] = &entity->rq_link;
	if (sched->policy == UDRM_SCHED_POLICY_FAIR) {
		uint64_t v = atomic_load(&entity->stats->vruntime_ns);

		if (v > sched->min_vruntime_ns)
			sched->min_vruntime_ns = v;
		entity->interactive = false;
	}
}

/* sched_pick_entity_locked() and commit. sched->lock held. */
static struct udrm_sched_entity *
sched_select_entity_locked(struct udrm_gpu_scheduler *sched)
{
	struct udrm_sched_job *job;
	struct udrm_sched_entity *entity =
		sched_pick_entity_locked(sched, &job);

	if (entity)
		sched_commit_entity_locked(sched, entity);
	return entity;
}

/*
 * Waits for @fence (a reference, consumed) on behalf of @entity. Returns
 * true when the entity is now blocked until the fence signals.
 */
static bool sched_entity_block_on(struct udrm_gpu_scheduler *sched,
				  struct udrm_sched_entity *entity,
				  struct udrm_fence *fence)
{
	if (udrm_fence_is_signaled(fence)) {
		udrm_fence_put(fence);
		return false;
	}
	pthread_mutex_lock(&sched->lock);
	entity->blocked = true;
	entity->dep_sched = sched;
	pthread_mutex_unlock(&sched->lock);
	entity->dep_fence = fence;
	if (!udrm_fence_add_callback(fence, &entity->dep_cb,
				     sched_entity_dep_cb))
		return true;
	entity->dep_fence = NULL;
	udrm_fence_put(fence);
	pthread_mutex_lock(&sched->lock);
	entity->blocked = false;
	pthread_mutex_unlock(&sched->lock);
	return false;
}

/*
 * What to wait for before running a job depending on @dep (a reference):
 * a job armed on this same scheduler only has to be handed to the
 * hardware first, as drm_sched_entity_add_dependency_cb() does, unless it
 * failed or its driver asked for the finished fence (dont_pipeline).
 */
static struct udrm_fence *
sched_dependency_to_wait(const struct udrm_gpu_scheduler *sched,
			 struct udrm_fence *dep)
{
	struct udrm_sched_fence *s_fence = udrm_sched_fence_from(dep);

	if (s_fence && dep == &s_fence->finished && s_fence->sched == sched &&
	    !s_fence->dont_pipeline && udrm_fence_get_status(dep) >= 0)
		return udrm_fence_get(&s_fence->scheduled);
	return udrm_fence_get(dep);
}

/*
 * The entity's head job if all its dependencies (and the driver's
 * prepare_job fences) have signalled, popped from the queue; NULL if the
 * entity now waits for one. Run role held, with sched->busy_entity set.
 */
static struct udrm_sched_job *
sched_entity_pop_job(struct udrm_gpu_scheduler *sched,
		     struct udrm_sched_entity *entity)
{
	struct udrm_sched_job *job;

	if (entity->dep_fence) {
		udrm_fence_put(entity->dep_fence);
		entity->dep_fence = NULL;
	}
	pthread_mutex_lock(&entity->lock);
	job = sched_list_empty(&entity->queue)
		      ? NULL
		      : sched_job_of(entity->queue.next);
	pthread_mutex_unlock(&entity->lock);
	if (!job)
		return NULL;

	while (job->next_dep < job->num_deps) {
		struct udrm_fence *dep = job->deps[job->next_dep];

		/* Earlier jobs of the same entity run first anyway. */
		if (dep->context == entity->fence_context ||
		    dep->context == entity->fence_context + 1) {
			job->next_dep++;
			continue;
		}
		if (sched_entity_block_on(sched, entity,
					  sched_dependency_to_wait(sched, dep)))
			return NULL;
		job->next_dep++;
	}
	while (sched->ops.prepare_job) {
		struct udrm_fence *fence = sched->ops.prepare_job(job, entity);

		if (!fence)
			break;
		if (sched_entity_block_on(sched, entity, fence))
			return NULL;
	}

	pthread_mutex_lock(&entity->lock);
	sched_list_del(&job->link);
	udrm_fence_put(entity->last_popped);
	entity->last_popped = udrm_fence_get(&job->s_fence->finished);
	if (sched_list_empty(&entity->queue))
		pthread_cond_broadcast(&entity->idle);
	pthread_mutex_unlock(&entity->lock);
	job->entity = NULL;
	return job;
}

/* Hands @job to the hardware and watches its fence. Run role held. */
static void sched_run_job(struct udrm_gpu_scheduler *sched,
			  struct udrm_sched_job *job)
{
	struct udrm_fence *fence;

	pthread_mutex_lock(&sched->lock);
	job->queued_behind = sched->hw_running > 0;
	/* FAIR: the entity pays an estimate now, so that with room for
	 * several jobs its next pick sees this one (corrected on completion,
	 * sched_job_charge_locked()). */
	if (sched->policy == UDRM_SCHED_POLICY_FAIR &&
	    job->priority != UDRM_SCHED_PRIORITY_KERNEL) {
		job->estimate_ns = atomic_load(&job->stats->avg_job_ns);
		atomic_fetch_add(&job->stats->vruntime_ns, job->estimate_ns);
	}
	sched->credit_count += job->credits;
	sched->hw_running++;
	/* Under the lock: the worker's hand-over spin reads it. */
	job->start_ns = udrm_fence_now_ns();
	sched_list_add_tail(&job->link, &sched->pending);
	if (sched->timeout_ns && !sched->tdr_deadline)
		sched_rearm_timeout_locked(sched);
	pthread_mutex_unlock(&sched->lock);

	fence = sched->ops.run_job(job);
	job->hw_fence = fence;
	sched_fence_scheduled(job->s_fence, fence);
	if (!fence) {
		sched_job_done(job, 0);
		return;
	}
	if (udrm_fence_add_callback(fence, &job->cb, sched_job_done_cb)) {
		int status = udrm_fence_get_status(fence);

		sched_job_done(job, status < 0 ? status : 0);
	}
}

/* Whether @fence has signalled, looked at without asking its producer
 * (no fence lock, no ops->signaled). */
static bool sched_fence_seen_signaled(struct udrm_fence *fence)
{
	return atomic_load(&fence->flags) & UDRM_FENCE_FLAG_SIGNALED;
}

/*
 * Whether @job, the head of @entity, can be popped and run without
 * waiting and without taking any fence lock: no prepare_job, not guilty,
 * and what sched_entity_pop_job() would wait for has signalled already.
 * sched->lock and the run role held.
 */
static bool sched_job_ready_locked(struct udrm_gpu_scheduler *sched,
				   struct udrm_sched_entity *entity,
				   struct udrm_sched_job *job)
{
	if (sched->ops.prepare_job || atomic_load(&job->stats->guilty))
		return false;
	for (unsigned int i = job->next_dep; i < job->num_deps; i++) {
		struct udrm_fence *dep = job->deps[i];
		struct udrm_sched_fence *s_fence;

		if (dep->context == entity->fence_context ||
		    dep->context == entity->fence_context + 1 ||
		    sched_fence_seen_signaled(dep))
			continue;
		s_fence = udrm_sched_fence_from(dep);
		if (s_fence && dep == &s_fence->finished &&
		    s_fence->sched == sched && !s_fence->dont_pipeline &&
		    sched_fence_seen_signaled(&s_fence->scheduled))
			continue;
		return false;
	}
	return true;
}

/*
 * run_on_completion: the completion of a job gave this thread (the one
 * that signalled the job's hardware fence, maybe under that fence's lock)
 * the run role. Starts the next job if it can run without waiting, then
 * gives the role back and wakes the worker, which frees the finished job
 * and does whatever else there is (dependencies, timeouts).
 */
static void sched_run_from_completion(struct udrm_gpu_scheduler *sched)
{
	struct udrm_sched_entity *entity;
	struct udrm_sched_job *job = NULL;

	pthread_mutex_lock(&sched->lock);
	entity = sched_pick_entity_locked(sched, &job);
	if (entity && sched_job_ready_locked(sched, entity, job)) {
		sched_commit_entity_locked(sched, entity);
		sched->busy_entity = entity;
	} else {
		entity = NULL;
	}
	pthread_mutex_unlock(&sched->lock);
	if (entity) {
		job = sched_entity_pop_job(sched, entity);
		pthread_mutex_lock(&sched->lock);
		sched->busy_entity = NULL;
		pthread_mutex_unlock(&sched->lock);
		if (job)
			sched_run_job(sched, job);
	}
	pthread_mutex_lock(&sched->lock);
	sched->busy = false;
	pthread_cond_broadcast(&sched->idle);
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
}

/* Frees the jobs whose hardware is done. Run role held, not sched->lock. */
static void sched_free_done_jobs(struct udrm_gpu_scheduler *sched)
{
	for (;;) {
		struct udrm_sched_job *job = NULL;

		pthread_mutex_lock(&sched->lock);
		for (struct udrm_sched_list *n = sched->pending.next;
		     n != &sched->pending; n = n->next) {
			if (sched_job_of(n)->done) {
				job = sched_job_of(n);
				sched_list_del(n);
				break;
			}
		}
		pthread_mutex_unlock(&sched->lock);
		if (!job)
			return;
		atomic_fetch_sub(&sched->score, 1);
		sched->ops.free_job(job);
	}
}

/* Whether a finished job waits to be freed. sched->lock held. */
static bool sched_has_done_locked(struct udrm_gpu_scheduler *sched)
{
	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next)
		if (sched_job_of(n)->done)
			return true;
	return false;
}

/* Calls ops->timedout_job for the oldest running job. sched->lock held;
 * dropped and retaken around the call. */
static void sched_handle_timeout_locked(struct udrm_gpu_scheduler *sched)
{
	struct udrm_sched_job *job = NULL;
	enum udrm_gpu_sched_stat stat = UDRM_GPU_SCHED_STAT_NO_HANG;

	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next) {
		if (!sched_job_of(n)->done && !sched_job_of(n)->detached) {
			job = sched_job_of(n);
			break;
		}
	}
	sched->tdr_deadline = 0;
	if (!job)
		return;
	sched->busy = true;
	pthread_mutex_unlock(&sched->lock);
	if (sched->ops.timedout_job)
		stat = sched->ops.timedout_job(job);
	pthread_mutex_lock(&sched->lock);
	sched->busy = false;
	pthread_cond_broadcast(&sched->idle);
	if (stat == UDRM_GPU_SCHED_STAT_NO_HANG || !sched->tdr_deadline)
		if (!sched->paused)
			sched_rearm_timeout_locked(sched);
}

/* Sleeps until @until (absolute, CLOCK_MONOTONIC) or a wake-up. */
static void sched_timedwait_locked(struct udrm_gpu_scheduler *sched,
				   uint64_t until)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000000u),
		.tv_nsec = (long)(until % 1000000000u),
	};

	pthread_cond_timedwait(&sched->wake, &sched->lock, &ts);
}

/*
 * The hand-over spin (see Locking in gpu_scheduler.h): the next job waits
 * for credits; sleep until shortly before the oldest running job should
 * finish, then spin for its completion. Returns false when there is
 * nothing to predict or the worker already spun for this completion (it
 * then sleeps as usual). sched->lock held, dropped while spinning.
 */
static bool sched_spin_for_completion_locked(struct udrm_gpu_scheduler *sched)
{
	struct udrm_sched_job *oldest = NULL;
	uint64_t window, start, due, now, until;
	unsigned int seen = atomic_load(&sched->completions);

	if (!sched->spin || !sched->credit_blocked || !sched->avg_run_ns ||
	    sched->spun_at == seen + 1)
		return false;
	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next) {
		if (!sched_job_of(n)->done && !sched_job_of(n)->detached) {
			oldest = sched_job_of(n);
			break;
		}
	}
	if (!oldest)
		return false;
	window = sched->avg_run_ns / 8;
	if (window > UDRM_SCHED_SPIN_NS)
		window = UDRM_SCHED_SPIN_NS;
	start = oldest->start_ns > sched->last_done_ns ? oldest->start_ns
						       : sched->last_done_ns;
	due = start + sched->avg_run_ns;
	now = udrm_fence_now_ns();
	if (due > now + window) {
		until = due - window;
		if (sched->tdr_deadline && sched->tdr_deadline < until)
			until = sched->tdr_deadline;
		sched_timedwait_locked(sched, until);
		return true;
	}
	/* Once per completion: +1 so that 0 never matches the start. */
	sched->spun_at = seen + 1;
	until = (due > now ? due : now) + window;
	pthread_mutex_unlock(&sched->lock);
	while (atomic_load(&sched->completions) == seen &&
	       udrm_fence_now_ns() < until)
		sched_yield();
	pthread_mutex_lock(&sched->lock);
	return true;
}

/*
 * The worker: runs the next job, then frees the finished ones, holding the
 * run role (sched->busy) while outside the lock; waits while a completion
 * holds it (run_on_completion) or the scheduler is stopped.
 */
static void *sched_worker(void *arg)
{
	struct udrm_gpu_scheduler *sched = arg;

	/* The hand-over spin's sleep must end on time (50 us slack else). */
	if (sched->spin)
		prctl(PR_SET_TIMERSLACK, 1ul, 0ul, 0ul, 0ul);
	pthread_mutex_lock(&sched->lock);
	while (!sched->exiting) {
		struct udrm_sched_entity *entity;
		struct udrm_sched_job *job;

		if (sched->paused || sched->busy) {
			pthread_cond_wait(&sched->wake, &sched->lock);
			continue;
		}
		if (sched->tdr_deadline &&
		    udrm_fence_now_ns() >= sched->tdr_deadline) {
			sched_handle_timeout_locked(sched);
			continue;
		}

		entity = sched_select_entity_locked(sched);
		if (!entity && !sched_has_done_locked(sched)) {
			if (sched_spin_for_completion_locked(sched))
				continue;
			if (!sched->tdr_deadline)
				pthread_cond_wait(&sched->wake, &sched->lock);
			else
				sched_timedwait_locked(sched,
						       sched->tdr_deadline);
			continue;
		}

		sched->busy_entity = entity;
		sched->busy = true;
		pthread_mutex_unlock(&sched->lock);
		if (entity) {
			job = sched_entity_pop_job(sched, entity);
			pthread_mutex_lock(&sched->lock);
			sched->busy_entity = NULL;
			pthread_mutex_unlock(&sched->lock);
			if (job && atomic_load(&job->stats->guilty)) {
				atomic_fetch_sub(&sched->score, 1);
				sched_job_kill(job, -ECANCELED);
			} else if (job) {
				sched_run_job(sched, job);
			}
		}
		/* After the run: the next job does not wait for frees. */
		sched_free_done_jobs(sched);
		pthread_mutex_lock(&sched->lock);
		sched->busy = false;
		pthread_cond_broadcast(&sched->idle);
	}
	pthread_mutex_unlock(&sched->lock);
	return NULL;
}

/** udrm_sched_init - see gpu_scheduler.h. */
int udrm_sched_init(struct udrm_gpu_scheduler *sched,
		    const struct udrm_sched_init_args *args)
{
	pthread_condattr_t attr;
	int ret;

	if (!sched || !args || !args->ops || !args->ops->run_job ||
	    !args->ops->free_job || !args->credit_limit ||
	    (args->policy != UDRM_SCHED_POLICY_FIFO &&
	     args->policy != UDRM_SCHED_POLICY_RR &&
	     args->policy != UDRM_SCHED_POLICY_FAIR))
		return -EINVAL;
	memset(sched, 0, sizeof(*sched));
	sched->ops = *args->ops;
	snprintf(sched->name, sizeof(sched->name), "%s",
		 args->name ? args->name : "udrm_sched");
	sched->names = udrm_fence_names_create("udrm_sched", sched->name);
	if (!sched->names)
		return -ENOMEM;
	sched->credit_limit = args->credit_limit;
	sched->hang_limit = args->hang_limit;
	sched->timeout_ns = args->timeout_ms * 1000000ull;
	sched->policy = args->policy;
	sched->run_on_completion = args->run_on_completion;
	sched->spin = args->spin_for_completion;
	atomic_init(&sched->score, 0);
	atomic_init(&sched->completions, 0);
	pthread_mutex_init(&sched->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&sched->wake, &attr);
	pthread_cond_init(&sched->idle, &attr);
	pthread_condattr_destroy(&attr);
	for (int i = 0; i < UDRM_SCHED_PRIORITY_COUNT; i++)
		sched_list_init(&sched->rq[i]);
	sched_list_init(&sched->pending);
	ret = pthread_create(&sched->worker, NULL, sched_worker, sched);
	if (ret) {
		pthread_cond_destroy(&sched->idle);
		pthread_cond_destroy(&sched->wake);
		pthread_mutex_destroy(&sched->lock);
		udrm_fence_names_put(sched->names);
		return -ret;
	}
	sched->ready = true;
	return 0;
}

/** udrm_sched_fini - see gpu_scheduler.h. No scheduler lock held. */
void udrm_sched_fini(struct udrm_gpu_scheduler *sched)
{
	struct udrm_sched_list *n;

	if (!sched->ready)
		return;
	pthread_mutex_lock(&sched->lock);
	sched->exiting = true;
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
	pthread_join(sched->worker, NULL);
	/* A completion may still hold the run role (run_on_completion). */
	pthread_mutex_lock(&sched->lock);
	while (sched->busy)
		pthread_cond_wait(&sched->idle, &sched->lock);
	pthread_mutex_unlock(&sched->lock);

	/* Only fence callbacks still touch the pending jobs now. */
	for (n = sched->pending.next; n != &sched->pending; n = n->next) {
		struct udrm_sched_job *job = sched_job_of(n);
		bool done, detached;

		pthread_mutex_lock(&sched->lock);
		done = job->done;
		detached = job->detached;
		pthread_mutex_unlock(&sched->lock);
		if (!done && !detached && sched->ops.cancel_job)
			sched->ops.cancel_job(job);
		pthread_mutex_lock(&sched->lock);
		done = job->done;
		pthread_mutex_unlock(&sched->lock);
		if (done)
			continue;
		if (job->hw_fence && !detached &&
		    !udrm_fence_remove_callback(job->hw_fence, &job->cb))
			continue; /* completed meanwhile */
		if (!detached) {
			pthread_mutex_lock(&sched->lock);
			sched->credit_count -= job->credits;
			sched->hw_running--;
			pthread_mutex_unlock(&sched->lock);
		}
		sched_fence_finished(job->s_fence, -ECANCELED);
	}
	while (!sched_list_empty(&sched->pending)) {
		struct udrm_sched_job *job = sched_job_of(sched->pending.next);

		sched_list_del(&job->link);
		atomic_fetch_sub(&sched->score, 1);
		sched->ops.free_job(job);
	}
	/* Jobs of destroyed entities waiting for the jobs cancelled above
	 * are completed by the fence worker: let it finish with them. */
	udrm_fence_work_flush();
	sched->ready = false;
	pthread_cond_destroy(&sched->idle);
	pthread_cond_destroy(&sched->wake);
	pthread_mutex_destroy(&sched->lock);
	udrm_fence_names_put(sched->names);
	sched->names = NULL;
}

/** udrm_sched_stop - see gpu_scheduler.h. No scheduler lock held. */
void udrm_sched_stop(struct udrm_gpu_scheduler *sched,
		     struct udrm_sched_job *bad)
{
	bool self = pthread_equal(pthread_self(), sched->worker);

	if (bad && atomic_fetch_add(&bad->karma, 1) + 1 > sched->hang_limit)
		atomic_store(&bad->stats->guilty, true);

	pthread_mutex_lock(&sched->lock);
	sched->paused = true;
	while (sched->busy && !self)
		pthread_cond_wait(&sched->idle, &sched->lock);
	sched->tdr_deadline = 0;
	pthread_mutex_unlock(&sched->lock);

	/* Nobody holds the run role, which alone links or unlinks pending
	 * jobs, and nobody takes it until udrm_sched_start(). */
	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next) {
		struct udrm_sched_job *job = sched_job_of(n);
		bool skip;

		pthread_mutex_lock(&sched->lock);
		skip = job->done || job->detached || !job->hw_fence;
		pthread_mutex_unlock(&sched->lock);
		if (skip ||
		    !udrm_fence_remove_callback(job->hw_fence, &job->cb))
			continue;
		pthread_mutex_lock(&sched->lock);
		job->detached = true;
		sched->credit_count -= job->credits;
		sched->hw_running--;
		pthread_mutex_unlock(&sched->lock);
	}
}

/** udrm_sched_resubmit_jobs - see gpu_scheduler.h. Scheduler stopped. */
void udrm_sched_resubmit_jobs(struct udrm_gpu_scheduler *sched)
{
	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next) {
		struct udrm_sched_job *job = sched_job_of(n);
		bool detached;

		pthread_mutex_lock(&sched->lock);
		detached = job->detached;
		pthread_mutex_unlock(&sched->lock);
		if (!detached)
			continue;
		if (atomic_load(&job->stats->guilty))
			udrm_fence_set_error(&job->s_fence->finished,
					     -ECANCELED);
		udrm_fence_put(job->hw_fence);
		job->hw_fence = sched->ops.run_job(job);
		sched_fence_scheduled(job->s_fence, job->hw_fence);
	}
}

/** udrm_sched_start - see gpu_scheduler.h. Scheduler stopped. */
void udrm_sched_start(struct udrm_gpu_scheduler *sched, int errno_)
{
	for (struct udrm_sched_list *n = sched->pending.next;
	     n != &sched->pending; n = n->next) {
		struct udrm_sched_job *job = sched_job_of(n);
		bool detached;

		pthread_mutex_lock(&sched->lock);
		detached = job->detached;
		if (detached) {
			job->detached = false;
			sched->credit_count += job->credits;
			sched->hw_running++;
		}
		pthread_mutex_unlock(&sched->lock);
		if (!detached)
			continue;
		if (!job->hw_fence) {
			sched_job_done(job, errno_ ? errno_ : -ECANCELED);
		} else if (udrm_fence_add_callback(job->hw_fence, &job->cb,
						   sched_job_done_cb)) {
			int status = udrm_fence_get_status(job->hw_fence);

			sched_job_done(job, status < 0 ? status : 0);
		}
	}
	pthread_mutex_lock(&sched->lock);
	sched->paused = false;
	sched_rearm_timeout_locked(sched);
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
}
