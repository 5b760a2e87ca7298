// SPDX-License-Identifier: MIT
/*
 * The mock GPU behind the scheduler tests (see mock_scheduler.h).
 */
#include "mock_scheduler.h"

#include <time.h>

static atomic_long mock_alive;

static const struct udrm_fence_ops mock_hw_fence_ops = {
	.use_64bit_seqno = true,
};

struct udrm_fence *mock_fence_new(uint64_t context, uint64_t seqno)
{
	struct udrm_fence *fence = calloc(1, sizeof(*fence));

	if (!fence)
		fail_msg("out of memory allocating a mock fence");
	udrm_fence_init(fence, &mock_hw_fence_ops, NULL, NULL, context, seqno);
	return fence;
}

void mock_msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	nanosleep(&ts, NULL);
}

bool mock_fence_wait_ms(struct udrm_fence *fence, unsigned int timeout_ms)
{
	return udrm_fence_wait_timeout(fence, false,
				       (uint64_t)timeout_ms * 1000000u) > 0;
}

/* Takes @job off the hardware queue; returns its fence (a reference) or
 * NULL if it was not there. */
static struct udrm_fence *mock_hw_take_locked(struct mock_job *job)
{
	if (job->hw_link.next == &job->hw_link)
		return NULL;
	job->hw_link.prev->next = job->hw_link.next;
	job->hw_link.next->prev = job->hw_link.prev;
	job->hw_link.next = job->hw_link.prev = &job->hw_link;
	return udrm_fence_get(job->hw);
}

static void mock_hw_complete(struct udrm_fence *hw, int error,
			     uint64_t timestamp_ns)
{
	if (error)
		udrm_fence_set_error(hw, error);
	if (timestamp_ns)
		udrm_fence_signal_timestamp(hw, timestamp_ns);
	else
		udrm_fence_signal(hw);
	udrm_fence_put(hw);
}

/* Time-sliced mode: takes @job out of the firmware model; returns its
 * fence (a reference) or NULL if it was not resident. ms->lock held. */
static struct udrm_fence *mock_ts_take_locked(struct mock_sched *ms,
					      struct mock_job *job)
{
	if (!ms->timesliced || !job->ts.queue)
		return NULL;
	mock_ts_remove(&ms->ts, &job->ts);
	ms->resident--;
	return udrm_fence_get(job->hw);
}

static struct udrm_fence *mock_run_job(struct udrm_sched_job *sched_job)
{
	struct mock_job *job = (struct mock_job *)sched_job;
	struct mock_sched *ms = job->sched;

	pthread_mutex_lock(&ms->lock);
	udrm_fence_put(job->hw);
	job->hw = mock_fence_new(ms->hw_context, ++ms->hw_seqno);
	if (ms->timesliced) {
		/* Resident from now on the virtual clock, in its entity's
		 * queue (one finished-fence context per entity). */
		job->ts.work_ns = (uint64_t)job->duration_ms * 1000000u;
		if (mock_ts_add(&ms->ts, &job->ts,
				job->base.s_fence->finished.context,
				mock_ts_weight(job->base.priority)))
			fail_msg("out of memory in the firmware model");
		ms->resident++;
		goto log;
	}
	job->hw_link.prev = ms->hw_queue.prev;
	job->hw_link.next = &ms->hw_queue;
	ms->hw_queue.prev->next = &job->hw_link;
	ms->hw_queue.prev = &job->hw_link;
	if (job->duration_ms)
		job->due_ns = udrm_fence_now_ns() +
			      (uint64_t)job->duration_ms * 1000000u;
log:
	if (ms->run_count < MOCK_MAX_LOG) {
		ms->run_log[ms->run_count] = job->id;
		ms->run_thread[ms->run_count] = pthread_self();
	}
	ms->run_count++;
	pthread_cond_broadcast(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
	return udrm_fence_get(job->hw);
}

static void mock_free_job(struct udrm_sched_job *sched_job)
{
	struct mock_job *job = (struct mock_job *)sched_job;
	struct udrm_fence *hw;

	pthread_mutex_lock(&job->sched->lock);
	hw = mock_hw_take_locked(job);
	if (!hw)
		hw = mock_ts_take_locked(job->sched, job);
	pthread_mutex_unlock(&job->sched->lock);
	udrm_fence_put(hw);
	udrm_sched_job_cleanup(&job->base);
	udrm_fence_put(job->hw);
	free(job);
	atomic_fetch_sub(&mock_alive, 1);
}

static void mock_cancel_job(struct udrm_sched_job *sched_job)
{
	struct mock_job *job = (struct mock_job *)sched_job;
	struct udrm_fence *hw;

	pthread_mutex_lock(&job->sched->lock);
	hw = mock_hw_take_locked(job);
	if (!hw)
		hw = mock_ts_take_locked(job->sched, job);
	pthread_mutex_unlock(&job->sched->lock);
	if (hw)
		mock_hw_complete(hw, -ECANCELED, 0);
}

/* A reset kills everything on the hardware queue with -ETIMEDOUT. */
static enum udrm_gpu_sched_stat mock_timedout_job(struct udrm_sched_job *job)
{
	struct mock_sched *ms = ((struct mock_job *)job)->sched;
	enum udrm_gpu_sched_stat answer = atomic_load(&ms->timeout_answer);

	atomic_fetch_add(&ms->timeouts, 1);
	if (answer != UDRM_GPU_SCHED_STAT_RESET)
		return answer;
	udrm_sched_stop(&ms->base, job);
	mock_sched_advance(ms, ~0u, -ETIMEDOUT);
	udrm_sched_start(&ms->base, 0);
	return UDRM_GPU_SCHED_STAT_RESET;
}

static const struct udrm_sched_backend_ops mock_ops = {
	.run_job = mock_run_job,
	.free_job = mock_free_job,
	.cancel_job = mock_cancel_job,
	.timedout_job = mock_timedout_job,
};

/* Completes jobs with a duration when they are due, in queue order. */
static void *mock_timer(void *arg)
{
	struct mock_sched *ms = arg;

	pthread_mutex_lock(&ms->lock);
	while (!ms->exiting) {
		struct mock_job *head = NULL;
		uint64_t now = udrm_fence_now_ns();

		if (ms->hw_queue.next != &ms->hw_queue)
			head = (struct mock_job *)((char *)ms->hw_queue.next -
						   offsetof(struct mock_job,
							    hw_link));
		if (head && head->duration_ms && head->due_ns <= now) {
			struct udrm_fence *hw = mock_hw_take_locked(head);

			pthread_mutex_unlock(&ms->lock);
			mock_hw_complete(hw, 0, 0);
			pthread_mutex_lock(&ms->lock);
			continue;
		}
		if (head && head->duration_ms) {
			struct timespec ts = {
				.tv_sec = (time_t)(head->due_ns / 1000000000u),
				.tv_nsec = (long)(head->due_ns % 1000000000u),
			};

			pthread_cond_timedwait(&ms->cond, &ms->lock, &ts);
		} else {
			pthread_cond_wait(&ms->cond, &ms->lock);
		}
	}
	pthread_mutex_unlock(&ms->lock);
	return NULL;
}

static struct mock_sched *mock_sched_create(const char *name,
					    enum udrm_sched_policy policy,
					    uint32_t credit_limit,
					    uint64_t timeout_ms, bool direct,
					    bool spin, unsigned int slice_ms)
{
	struct mock_sched *ms = calloc(1, sizeof(*ms));
	struct udrm_sched_init_args args = {
		.ops = &mock_ops,
		.name = name,
		.credit_limit = credit_limit,
		.timeout_ms = timeout_ms,
		.policy = policy,
		.run_on_completion = direct,
		.spin_for_completion = spin,
	};
	pthread_condattr_t attr;

	if (!ms)
		fail_msg("out of memory allocating the mock scheduler");
	pthread_mutex_init(&ms->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ms->cond, &attr);
	pthread_condattr_destroy(&attr);
	ms->hw_queue.next = ms->hw_queue.prev = &ms->hw_queue;
	ms->hw_context = udrm_fence_context_alloc(1);
	atomic_init(&ms->timeout_answer, UDRM_GPU_SCHED_STAT_RESET);
	ms->timesliced = slice_ms > 0;
	mock_ts_init(&ms->ts, (uint64_t)slice_ms * 1000000u, 0);
	if (pthread_create(&ms->timer, NULL, mock_timer, ms))
		fail_msg("cannot start the mock timer thread");
	ms_expect(udrm_sched_init(&ms->base, &args), 0, "udrm_sched_init(%s)",
		  name);
	return ms;
}

struct mock_sched *mock_sched_new(const char *name,
				  enum udrm_sched_policy policy,
				  uint32_t credit_limit, uint64_t timeout_ms)
{
	return mock_sched_create(name, policy, credit_limit, timeout_ms, false,
				 false, 0);
}

struct mock_sched *mock_sched_new_direct(const char *name,
					 enum udrm_sched_policy policy,
					 uint32_t credit_limit)
{
	return mock_sched_create(name, policy, credit_limit, 0, true, false,
				 0);
}

struct mock_sched *mock_sched_new_spin(const char *name,
				       enum udrm_sched_policy policy,
				       uint32_t credit_limit)
{
	return mock_sched_create(name, policy, credit_limit, 0, false, true,
				 0);
}

struct mock_sched *mock_sched_new_timesliced(const char *name,
					     enum udrm_sched_policy policy,
					     uint32_t credit_limit,
					     unsigned int slice_ms)
{
	return mock_sched_create(name, policy, credit_limit, 0, false, false,
				 slice_ms ? slice_ms : 1);
}

unsigned int mock_sched_run_for(struct mock_sched *ms, unsigned int ms_)
{
	struct mock_ts_job *done[MOCK_MAX_LOG];
	struct udrm_fence *hw[MOCK_MAX_LOG];
	unsigned int n;

	pthread_mutex_lock(&ms->lock);
	n = mock_ts_advance(&ms->ts, ms->ts.now_ns + (uint64_t)ms_ * 1000000u,
			    done, MOCK_MAX_LOG);
	for (unsigned int i = 0; i < n; i++) {
		struct mock_job *job =
			(struct mock_job *)((char *)done[i] -
					    offsetof(struct mock_job, ts));

		if (ms->done_count < MOCK_MAX_LOG) {
			ms->done_log[ms->done_count] = job->id;
			ms->done_at[ms->done_count] = job->ts.finish_ns;
		}
		ms->done_count++;
		ms->resident--;
		/* What the firmware reports: the job's own GPU time. */
		job->base.hw_busy_ns = job->ts.done_ns;
		hw[i] = udrm_fence_get(job->hw);
	}
	pthread_mutex_unlock(&ms->lock);
	/* The job may be freed from the first signal on. */
	for (unsigned int i = 0; i < n; i++)
		mock_hw_complete(hw[i], 0, 0);
	return n;
}

unsigned int mock_sched_done_id(struct mock_sched *ms, unsigned int i)
{
	unsigned int id;

	pthread_mutex_lock(&ms->lock);
	id = i < MOCK_MAX_LOG && i < ms->done_count ? ms->done_log[i] : ~0u;
	pthread_mutex_unlock(&ms->lock);
	return id;
}

double mock_sched_done_at_ms(struct mock_sched *ms, unsigned int i)
{
	double at;

	pthread_mutex_lock(&ms->lock);
	at = i < MOCK_MAX_LOG && i < ms->done_count ? ms->done_at[i] / 1e6 : -1;
	pthread_mutex_unlock(&ms->lock);
	return at;
}

unsigned int mock_sched_done_count(struct mock_sched *ms)
{
	unsigned int n;

	pthread_mutex_lock(&ms->lock);
	n = ms->done_count;
	pthread_mutex_unlock(&ms->lock);
	return n;
}

unsigned int mock_sched_preemptions(struct mock_sched *ms)
{
	unsigned int n;

	pthread_mutex_lock(&ms->lock);
	n = ms->ts.preemptions;
	pthread_mutex_unlock(&ms->lock);
	return n;
}

unsigned int mock_sched_resident(struct mock_sched *ms)
{
	unsigned int n;

	pthread_mutex_lock(&ms->lock);
	n = ms->resident;
	pthread_mutex_unlock(&ms->lock);
	return n;
}

void mock_sched_destroy(struct mock_sched *ms)
{
	udrm_sched_fini(&ms->base);
	pthread_mutex_lock(&ms->lock);
	ms->exiting = true;
	pthread_cond_broadcast(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
	pthread_join(ms->timer, NULL);
	if (ms->resident)
		fail_msg("%u jobs left resident on the time-sliced mock GPU "
			 "after udrm_sched_fini",
			 ms->resident);
	mock_ts_fini(&ms->ts);
	pthread_cond_destroy(&ms->cond);
	pthread_mutex_destroy(&ms->lock);
	memset(ms, 0x6b, sizeof(*ms)); /* poison: fences must not look here */
	free(ms);
}

struct mock_job *mock_job_new(struct udrm_sched_entity *entity, unsigned int id,
			      uint32_t credits, unsigned int duration_ms)
{
	struct mock_job *job = calloc(1, sizeof(*job));

	if (!job)
		fail_msg("out of memory allocating a mock job");
	ms_expect(udrm_sched_job_init(&job->base, entity, credits), 0,
		  "udrm_sched_job_init for job %u", id);
	job->sched = (struct mock_sched *)entity->sched_list[0];
	job->hw_link.next = job->hw_link.prev = &job->hw_link;
	job->id = id;
	job->duration_ms = duration_ms;
	atomic_fetch_add(&mock_alive, 1);
	return job;
}

void mock_job_abandon(struct mock_job *job)
{
	udrm_sched_job_cleanup(&job->base);
	free(job);
	atomic_fetch_sub(&mock_alive, 1);
}

struct udrm_fence *mock_job_submit2(struct mock_job *job,
				    struct udrm_fence **scheduled)
{
	struct udrm_fence *finished;

	udrm_sched_job_arm(&job->base);
	/* The job runs on the scheduler arm picked. */
	job->sched = (struct mock_sched *)job->base.sched;
	finished = udrm_fence_get(udrm_sched_job_finished(&job->base));
	if (scheduled)
		*scheduled =
			udrm_fence_get(udrm_sched_job_scheduled(&job->base));
	udrm_sched_entity_push_job(&job->base);
	return finished;
}

struct udrm_fence *mock_job_submit(struct mock_job *job)
{
	return mock_job_submit2(job, NULL);
}

unsigned int mock_sched_advance(struct mock_sched *ms, unsigned int n,
				int error)
{
	unsigned int done = 0;

	while (done < n) {
		struct udrm_fence *hw = NULL;
		uint64_t ts = 0;

		pthread_mutex_lock(&ms->lock);
		if (ms->hw_queue.next != &ms->hw_queue) {
			struct mock_job *job =
				(struct mock_job *)((char *)ms->hw_queue.next -
						    offsetof(struct mock_job,
							     hw_link));

			if (job->gpu_time_ns)
				ts = job->base.start_ns + job->gpu_time_ns;
			hw = mock_hw_take_locked(job);
		}
		pthread_mutex_unlock(&ms->lock);
		if (!hw)
			break;
		mock_hw_complete(hw, error, ts);
		done++;
	}
	return done;
}

void mock_sched_lose_all(struct mock_sched *ms)
{
	pthread_mutex_lock(&ms->lock);
	while (ms->hw_queue.next != &ms->hw_queue)
		udrm_fence_put(mock_hw_take_locked(
			(struct mock_job *)((char *)ms->hw_queue.next -
					    offsetof(struct mock_job,
						     hw_link))));
	pthread_mutex_unlock(&ms->lock);
}

unsigned int mock_sched_run_count(struct mock_sched *ms)
{
	unsigned int n;

	pthread_mutex_lock(&ms->lock);
	n = ms->run_count;
	pthread_mutex_unlock(&ms->lock);
	return n;
}

unsigned int mock_sched_run_id(struct mock_sched *ms, unsigned int i)
{
	unsigned int id;

	pthread_mutex_lock(&ms->lock);
	id = i < MOCK_MAX_LOG ? ms->run_log[i] : ~0u;
	pthread_mutex_unlock(&ms->lock);
	return id;
}

bool mock_sched_run_on_this_thread(struct mock_sched *ms, unsigned int i)
{
	bool same;

	pthread_mutex_lock(&ms->lock);
	same = i < MOCK_MAX_LOG && i < ms->run_count &&
	       pthread_equal(ms->run_thread[i], pthread_self());
	pthread_mutex_unlock(&ms->lock);
	return same;
}

void mock_sched_wait_idle(struct mock_sched *ms)
{
	pthread_mutex_lock(&ms->base.lock);
	while (ms->base.busy)
		pthread_cond_wait(&ms->base.idle, &ms->base.lock);
	pthread_mutex_unlock(&ms->base.lock);
}

bool mock_sched_wait_run_count(struct mock_sched *ms, unsigned int count,
			       unsigned int timeout_ms)
{
	for (unsigned int i = 0; i <= timeout_ms; i++) {
		if (mock_sched_run_count(ms) >= count)
			return true;
		mock_msleep(1);
	}
	return false;
}

long mock_jobs_alive(void)
{
	return atomic_load(&mock_alive);
}

bool mock_wait_jobs_freed(unsigned int timeout_ms)
{
	for (unsigned int i = 0; i <= timeout_ms; i++) {
		if (!atomic_load(&mock_alive))
			return true;
		mock_msleep(1);
	}
	return false;
}

void mock_entity_init(struct udrm_sched_entity *entity, struct mock_sched *ms,
		      enum udrm_sched_priority priority)
{
	struct udrm_gpu_scheduler *list[] = {&ms->base};
	int ret = udrm_sched_entity_init(entity, priority, list, 1);

	if (ret)
		fail_msg("udrm_sched_entity_init on %s: expected 0, got %d",
			 ms->base.name, ret);
}
