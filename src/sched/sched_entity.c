// SPDX-License-Identifier: MIT
/*
 * Scheduler entities and the job life cycle up to push, as the kernel's
 * sched_entity.c and the job half of sched_main.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/sched_internal.h"

struct udrm_sched_entity_stats *
sched_stats_get(struct udrm_sched_entity_stats *stats)
{
	atomic_fetch_add(&stats->refcount, 1);
	return stats;
}

void sched_stats_put(struct udrm_sched_entity_stats *stats)
{
	if (stats && atomic_fetch_sub(&stats->refcount, 1) == 1)
		free(stats);
}

/**
 * udrm_sched_entity_init - see gpu_scheduler.h.
 * Allocates the entity's two fence contexts (scheduled, finished).
 */
int udrm_sched_entity_init(struct udrm_sched_entity *entity,
			   enum udrm_sched_priority priority,
			   struct udrm_gpu_scheduler **sched_list,
			   unsigned int num_scheds)
{
	if (!entity || !sched_list || !num_scheds ||
	    (unsigned int)priority >= UDRM_SCHED_PRIORITY_COUNT)
		return -EINVAL;
	for (unsigned int i = 0; i < num_scheds; i++)
		if (!sched_list[i] || !sched_list[i]->ready)
			return -EINVAL;

	memset(entity, 0, sizeof(*entity));
	entity->sched_list = calloc(num_scheds, sizeof(*entity->sched_list));
	entity->stats = calloc(1, sizeof(*entity->stats));
	if (!entity->sched_list || !entity->stats) {
		free(entity->sched_list);
		free(entity->stats);
		return -ENOMEM;
	}
	memcpy(entity->sched_list, sched_list,
	       num_scheds * sizeof(*sched_list));
	entity->num_scheds = num_scheds;
	atomic_init(&entity->stats->refcount, 1);
	atomic_init(&entity->stats->guilty, false);
	atomic_init(&entity->stats->vruntime_ns, 0);
	atomic_init(&entity->stats->avg_job_ns, 0);
	entity->priority = priority;
	pthread_mutex_init(&entity->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&entity->idle, &attr);
	pthread_condattr_destroy(&attr);
	sched_list_init(&entity->queue);
	sched_list_init(&entity->rq_link);
	entity->fence_context = udrm_fence_context_alloc(2);
	return 0;
}

/**
 * udrm_sched_entity_flush - see gpu_scheduler.h. Caller must not hold
 * entity->lock.
 */
uint64_t udrm_sched_entity_flush(struct udrm_sched_entity *entity,
				 uint64_t timeout_ns)
{
	uint64_t now = udrm_fence_now_ns();
	uint64_t until = now + timeout_ns;
	struct timespec ts = {
		.tv_sec = (time_t)(until / 1000000000u),
		.tv_nsec = (long)(until % 1000000000u),
	};

	if (until < now)
		until = UINT64_MAX;
	pthread_mutex_lock(&entity->lock);
	while (!sched_list_empty(&entity->queue) && !entity->stopped) {
		if (until == UINT64_MAX)
			pthread_cond_wait(&entity->idle, &entity->lock);
		else if (pthread_cond_timedwait(&entity->idle, &entity->lock,
						&ts) == ETIMEDOUT)
			break;
	}
	bool empty = sched_list_empty(&entity->queue);
	pthread_mutex_unlock(&entity->lock);
	now = udrm_fence_now_ns();
	if (!empty)
		return 0;
	return now < until ? until - now : 1;
}

void sched_job_kill(struct udrm_sched_job *job, int error)
{
	struct udrm_gpu_scheduler *sched = job->sched;

	sched_fence_scheduled(job->s_fence, NULL);
	sched_fence_finished(job->s_fence, error);
	sched->ops.free_job(job);
}

/* Fence worker: the job before this killed one has finished. */
static void sched_job_kill_work(struct udrm_fence_work *work)
{
	sched_job_kill(
		sched_container_of(work, struct udrm_sched_job, kill_work),
		-ESRCH);
}

/* Runs under the previous job's fence lock: defer to the fence worker. */
static void sched_job_kill_cb(struct udrm_fence *fence,
			      struct udrm_fence_cb *cb)
{
	struct udrm_sched_job *job =
		sched_container_of(cb, struct udrm_sched_job, kill_cb);

	(void)fence;
	udrm_fence_work_queue(&job->kill_work);
}

/**
 * udrm_sched_entity_fini - see gpu_scheduler.h. Takes each scheduler's
 * lock and the entity's; the caller holds neither. Waits until the worker
 * is done looking at the entity.
 */
void udrm_sched_entity_fini(struct udrm_sched_entity *entity)
{
	struct udrm_sched_list killed;
	struct udrm_fence *prev;

	pthread_mutex_lock(&entity->lock);
	entity->stopped = true;
	pthread_cond_broadcast(&entity->idle);
	pthread_mutex_unlock(&entity->lock);

	for (unsigned int i = 0; i < entity->num_scheds; i++) {
		struct udrm_gpu_scheduler *sched = entity->sched_list[i];

		pthread_mutex_lock(&sched->lock);
		pthread_mutex_lock(&entity->lock);
		if (entity->rq_sched == sched && entity->on_rq) {
			if (sched->rr_cursor[entity->priority] ==
			    &entity->rq_link)
				sched->rr_cursor[entity->priority] = NULL;
			sched_list_del(&entity->rq_link);
			entity->on_rq = false;
		}
		if (entity->rq_sched == sched)
			entity->rq_sched = NULL;
		pthread_mutex_unlock(&entity->lock);
		while (sched->busy_entity == entity)
			pthread_cond_wait(&sched->idle, &sched->lock);
		pthread_mutex_unlock(&sched->lock);
	}

	/* The worker no longer sees the entity: drop a dependency wait. */
	if (entity->dep_fence) {
		udrm_fence_remove_callback(entity->dep_fence, &entity->dep_cb);
		udrm_fence_put(entity->dep_fence);
		entity->dep_fence = NULL;
	}

	sched_list_init(&killed);
	pthread_mutex_lock(&entity->lock);
	while (!sched_list_empty(&entity->queue)) {
		struct udrm_sched_list *node = entity->queue.next;

		sched_list_del(node);
		sched_list_add_tail(node, &killed);
	}
	pthread_mutex_unlock(&entity->lock);
	/* Each killed job completes after the job before it, starting
	 * with the last one the worker took, so that finished fences keep
	 * their order. */
	prev = udrm_fence_get(entity->last_popped);
	while (!sched_list_empty(&killed)) {
		struct udrm_sched_job *job = sched_job_of(killed.next);
		struct udrm_fence *wait_on = prev;

		sched_list_del(&job->link);
		atomic_fetch_sub(&job->sched->score, 1);
		udrm_fence_work_init(&job->kill_work, sched_job_kill_work);
		prev = udrm_fence_get(&job->s_fence->finished);
		if (!wait_on || udrm_fence_add_callback(wait_on, &job->kill_cb,
							sched_job_kill_cb))
			sched_job_kill(job, -ESRCH);
		udrm_fence_put(wait_on);
	}
	udrm_fence_put(prev);

	udrm_fence_put(entity->last_finished);
	entity->last_finished = NULL;
	udrm_fence_put(entity->last_popped);
	entity->last_popped = NULL;
	sched_stats_put(entity->stats);
	entity->stats = NULL;
	free(entity->sched_list);
	entity->sched_list = NULL;
	entity->num_scheds = 0;
	pthread_cond_destroy(&entity->idle);
	pthread_mutex_destroy(&entity->lock);
}

/**
 * udrm_sched_entity_destroy - flushes for up to a second, then finishes
 * the entity (see udrm_sched_entity_fini()).
 */
void udrm_sched_entity_destroy(struct udrm_sched_entity *entity)
{
	udrm_sched_entity_flush(entity, 1000000000ull);
	udrm_sched_entity_fini(entity);
}

/** udrm_sched_entity_set_guilty - later jobs complete with -ECANCELED. */
void udrm_sched_entity_set_guilty(struct udrm_sched_entity *entity)
{
	atomic_store(&entity->stats->guilty, true);
}

/** udrm_sched_entity_is_guilty - true once a hang was blamed on it. */
bool udrm_sched_entity_is_guilty(struct udrm_sched_entity *entity)
{
	return atomic_load(&entity->stats->guilty);
}

/**
 * udrm_sched_job_init - see gpu_scheduler.h. The job is the caller's
 * until pushed.
 */
int udrm_sched_job_init(struct udrm_sched_job *job,
			struct udrm_sched_entity *entity, uint32_t credits)
{
	if (!job || !entity || !credits || !entity->stats)
		return -EINVAL;
	memset(job, 0, sizeof(*job));
	job->s_fence = sched_fence_alloc();
	if (!job->s_fence)
		return -ENOMEM;
	sched_list_init(&job->link);
	job->entity = entity;
	job->credits = credits;
	job->stats = sched_stats_get(entity->stats);
	job->priority = entity->priority;
	atomic_init(&job->karma, 0);
	return 0;
}

/**
 * udrm_sched_job_add_dependency - see gpu_scheduler.h. Only before push;
 * the caller serialises calls on one job.
 */
int udrm_sched_job_add_dependency(struct udrm_sched_job *job,
				  struct udrm_fence *fence)
{
	if (!fence)
		return 0;
	for (unsigned int i = 0; i < job->num_deps; i++) {
		struct udrm_fence *old = job->deps[i];

		if (old->context != fence->context)
			continue;
		if (udrm_fence_is_later(fence, old)) {
			job->deps[i] = fence;
			udrm_fence_put(old);
		} else {
			udrm_fence_put(fence);
		}
		return 0;
	}
	if (job->num_deps == job->deps_cap) {
		unsigned int cap = job->deps_cap ? job->deps_cap * 2 : 4;
		struct udrm_fence **deps =
			realloc(job->deps, cap * sizeof(*deps));

		if (!deps) {
			udrm_fence_put(fence);
			return -ENOMEM;
		}
		job->deps = deps;
		job->deps_cap = cap;
	}
	job->deps[job->num_deps++] = fence;
	return 0;
}

/**
 * udrm_sched_job_add_resv_dependencies - see gpu_scheduler.h. Takes
 * resv->lock itself; the caller must not hold it.
 */
int udrm_sched_job_add_resv_dependencies(struct udrm_sched_job *job,
					 struct udrm_resv *resv,
					 enum udrm_resv_usage usage)
{
	struct udrm_fence **fences = NULL;
	unsigned int count = 0, i;
	int ret;

	ret = udrm_resv_get_fences(resv, usage, &count, &fences);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		ret = udrm_sched_job_add_dependency(job, fences[i]);
		if (ret)
			break;
	}
	for (i = ret ? i + 1 : count; i < count; i++)
		udrm_fence_put(fences[i]);
	free(fences);
	return ret;
}

/** udrm_sched_job_add_implicit_dependencies - see gpu_scheduler.h. */
int udrm_sched_job_add_implicit_dependencies(struct udrm_sched_job *job,
					     struct udrm_resv *resv, bool write)
{
	return udrm_sched_job_add_resv_dependencies(job, resv,
						    udrm_resv_usage_rw(write));
}

/*
 * The scheduler the entity's next job goes to: the current one while jobs
 * are queued or its last job is unfinished (so that finished fences stay
 * in order), else the least loaded of its list.
 */
static struct udrm_gpu_scheduler *
sched_entity_select(struct udrm_sched_entity *entity)
{
	struct udrm_gpu_scheduler *best;
	struct udrm_fence *last;

	pthread_mutex_lock(&entity->lock);
	best = entity->rq_sched;
	last = udrm_fence_get(entity->last_finished);
	if (!best && entity->last_sched && entity->num_scheds == 1)
		best = entity->last_sched;
	pthread_mutex_unlock(&entity->lock);
	if (best) {
		udrm_fence_put(last);
		return best;
	}
	if (entity->last_sched && last && !udrm_fence_is_signaled(last)) {
		udrm_fence_put(last);
		return entity->last_sched;
	}
	udrm_fence_put(last);
	best = entity->sched_list[0];
	for (unsigned int i = 1; i < entity->num_scheds; i++)
		if (atomic_load(&entity->sched_list[i]->score) <
		    atomic_load(&best->score))
			best = entity->sched_list[i];
	return best;
}

/*
 * An entity coming back from idle starts at the least virtual time of the
 * run queue, so that time spent idle is not credit to spend later, and is
 * interactive until its next job is picked (the tie-break of FAIR in
 * gpu_scheduler.h). sched->lock held.
 */
static void sched_entity_rejoin_locked(struct udrm_gpu_scheduler *sched,
				       struct udrm_sched_entity *entity)
{
	if (sched->policy != UDRM_SCHED_POLICY_FAIR)
		return;
	if (atomic_load(&entity->stats->vruntime_ns) < sched->min_vruntime_ns)
		atomic_store(&entity->stats->vruntime_ns,
			     sched->min_vruntime_ns);
	entity->interactive = true;
}

/**
 * udrm_sched_job_arm - see gpu_scheduler.h. The caller serialises arm and
 * push on one entity (the kernel's rule), so seqnos follow push order.
 */
void udrm_sched_job_arm(struct udrm_sched_job *job)
{
	struct udrm_sched_entity *entity = job->entity;
	struct udrm_gpu_scheduler *sched = sched_entity_select(entity);

	job->sched = sched;
	pthread_mutex_lock(&entity->lock);
	entity->last_sched = sched;
	sched_fence_init(job->s_fence, sched->names, entity->fence_context,
			 ++entity->fence_seq);
	job->s_fence->sched = sched;
	udrm_fence_put(entity->last_finished);
	entity->last_finished = udrm_fence_get(&job->s_fence->finished);
	pthread_mutex_unlock(&entity->lock);
	job->armed = true;
}

/**
 * udrm_sched_entity_set_priority - see gpu_scheduler.h. An entity on a run
 * queue moves to the new one under its scheduler's lock, so the worker sees
 * it at one priority or the other; the run queue may change between the
 * unlocked look and the locked one, hence the retry.
 */
int udrm_sched_entity_set_priority(struct udrm_sched_entity *entity,
				   enum udrm_sched_priority priority)
{
	struct udrm_gpu_scheduler *sched;

	if (!entity || (unsigned int)priority >= UDRM_SCHED_PRIORITY_COUNT)
		return -EINVAL;
	for (;;) {
		pthread_mutex_lock(&entity->lock);
		sched = entity->rq_sched;
		if (!sched) {
			entity->priority = priority;
			pthread_mutex_unlock(&entity->lock);
			return 0;
		}
		pthread_mutex_unlock(&entity->lock);

		pthread_mutex_lock(&sched->lock);
		pthread_mutex_lock(&entity->lock);
		if (entity->rq_sched == sched)
			break;
		pthread_mutex_unlock(&entity->lock);
		pthread_mutex_unlock(&sched->lock);
	}
	if (entity->on_rq && entity->priority != priority) {
		if (sched->rr_cursor[entity->priority] == &entity->rq_link)
			sched->rr_cursor[entity->priority] = NULL;
		sched_list_del(&entity->rq_link);
		sched_list_add_tail(&entity->rq_link, &sched->rq[priority]);
	}
	entity->priority = priority;
	pthread_mutex_unlock(&entity->lock);
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
	return 0;
}

/**
 * udrm_sched_entity_push_job - see gpu_scheduler.h. Takes entity->lock,
 * then the scheduler's lock and entity->lock nested.
 */
void udrm_sched_entity_push_job(struct udrm_sched_job *job)
{
	struct udrm_sched_entity *entity = job->entity;
	struct udrm_gpu_scheduler *sched;

	job->pushed = true;
	job->submit_ts = udrm_fence_now_ns();
	pthread_mutex_lock(&entity->lock);
	if (entity->stopped) {
		pthread_mutex_unlock(&entity->lock);
		sched_job_kill(job, -ESRCH);
		return;
	}
	sched_list_add_tail(&job->link, &entity->queue);
	atomic_fetch_add(&job->sched->score, 1);
	if (!entity->rq_sched)
		entity->rq_sched = job->sched;
	sched = entity->rq_sched;
	pthread_mutex_unlock(&entity->lock);

	pthread_mutex_lock(&sched->lock);
	pthread_mutex_lock(&entity->lock);
	if (entity->rq_sched == sched && !entity->on_rq && !entity->stopped) {
		sched_list_add_tail(&entity->rq_link,
				    &sched->rq[entity->priority]);
		entity->on_rq = true;
		sched_entity_rejoin_locked(sched, entity);
	}
	pthread_mutex_unlock(&entity->lock);
	pthread_cond_signal(&sched->wake);
	pthread_mutex_unlock(&sched->lock);
}

/**
 * udrm_sched_job_cleanup - see gpu_scheduler.h. Called from
 * ops->free_job, or by the owner of a job that was never pushed.
 */
void udrm_sched_job_cleanup(struct udrm_sched_job *job)
{
	struct udrm_sched_fence *s_fence = job->s_fence;

	for (unsigned int i = 0; i < job->num_deps; i++)
		udrm_fence_put(job->deps[i]);
	free(job->deps);
	job->deps = NULL;
	job->num_deps = job->deps_cap = job->next_dep = 0;
	udrm_fence_put(job->hw_fence);
	job->hw_fence = NULL;
	if (s_fence && !job->armed) {
		sched_fence_free_unarmed(s_fence);
	} else if (s_fence) {
		if (!job->pushed) {
			if (!udrm_fence_is_signaled(&s_fence->scheduled))
				udrm_fence_signal(&s_fence->scheduled);
			if (!udrm_fence_is_signaled(&s_fence->finished))
				sched_fence_finished(s_fence, -ECANCELED);
		}
		udrm_fence_put(&s_fence->finished);
	}
	job->s_fence = NULL;
	sched_stats_put(job->stats);
	job->stats = NULL;
}

/** udrm_sched_job_finished - the job's finished fence, no reference. */
struct udrm_fence *udrm_sched_job_finished(struct udrm_sched_job *job)
{
	return &job->s_fence->finished;
}

/** udrm_sched_job_scheduled - the job's scheduled fence, no reference. */
struct udrm_fence *udrm_sched_job_scheduled(struct udrm_sched_job *job)
{
	return &job->s_fence->scheduled;
}
