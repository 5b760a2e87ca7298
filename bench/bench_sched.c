// SPDX-License-Identifier: MIT
/*
 * GPU scheduler fairness and overhead, after the workloads of the kernel's
 * drivers/gpu/drm/scheduler/tests/tests_scheduler.c (two clients,
 * interactive, many clients, queue overhead).
 *
 * A mock GPU thread runs one job at a time for the job's duration. Each
 * client is a thread with its own entity that repeats a cycle: submit N
 * jobs, wait for the last one to finish (synchronous clients; asynchronous
 * ones keep a few cycles in flight instead), sleep its think time. Per
 * policy (FIFO, RR, FAIR) and client we print the share of the GPU time
 * it got while every client was active, its cycle time (submit to last
 * job finished) and latency (cycle time minus the GPU work of the cycle),
 * beside the ideal: the cycle time the client would see alone.
 *
 * Then the scheduler's cost: 1,000 jobs of 1 ms at credit limit 1 against
 * the ideal second, and empty jobs per second through one entity against
 * a mutex-protected queue handed to a consumer thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "sched/gpu_scheduler.h"

#define WORKLOAD_MS    600
#define MAX_CLIENTS    31
#define ASYNC_INFLIGHT 4
#define EMPTY_JOBS     20000

static void sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000ull),
		.tv_nsec = (long)(deadline % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void sleep_us(unsigned int us)
{
	if (us)
		sleep_until_ns(bench_now_ns() + (uint64_t)us * 1000u);
}

/* The mock GPU: one hardware queue, one job at a time. */
struct bench_gpu {
	struct udrm_gpu_scheduler base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct udrm_sched_list queue;  /* (lock) bench_job.hw_link */
	uint64_t hw_context, hw_seqno; /* (lock) */
	bool exiting;		       /* (lock) */
	atomic_bool counting;	       /* GPU time is credited to clients */
	pthread_t thread;
};

struct bench_job {
	struct udrm_sched_job base;
	struct bench_gpu *gpu;
	struct udrm_sched_list hw_link; /* (gpu->lock) */
	struct udrm_fence *hw;		/* a reference */
	unsigned int duration_us;	/* 0: completes in run_job */
	_Atomic uint64_t *gpu_ns;	/* the client's GPU time, or NULL */
};

static const struct udrm_fence_ops bench_hw_fence_ops = {
	.use_64bit_seqno = true,
};

static struct bench_job *bench_job_of(struct udrm_sched_list *link)
{
	return (struct bench_job *)((char *)link -
				    offsetof(struct bench_job, hw_link));
}

static struct udrm_fence *bench_run_job(struct udrm_sched_job *sched_job)
{
	struct bench_job *job = (struct bench_job *)sched_job;
	struct bench_gpu *gpu = job->gpu;
	struct udrm_fence *hw;

	if (!job->duration_us)
		return NULL;
	hw = malloc(sizeof(*hw));
	if (!hw)
		return NULL;
	pthread_mutex_lock(&gpu->lock);
	udrm_fence_init(hw, &bench_hw_fence_ops, NULL, NULL, gpu->hw_context,
			++gpu->hw_seqno);
	job->hw = udrm_fence_get(hw);
	job->hw_link.prev = gpu->queue.prev;
	job->hw_link.next = &gpu->queue;
	gpu->queue.prev->next = &job->hw_link;
	gpu->queue.prev = &job->hw_link;
	pthread_cond_signal(&gpu->cond);
	pthread_mutex_unlock(&gpu->lock);
	return hw;
}

static void bench_free_job(struct udrm_sched_job *sched_job)
{
	struct bench_job *job = (struct bench_job *)sched_job;

	udrm_sched_job_cleanup(&job->base);
	udrm_fence_put(job->hw);
	free(job);
}

static const struct udrm_sched_backend_ops bench_gpu_ops = {
	.run_job = bench_run_job,
	.free_job = bench_free_job,
};

/* Runs the queued jobs in order, each for its duration from its start. */
static void *bench_gpu_thread(void *arg)
{
	struct bench_gpu *gpu = arg;

	pthread_mutex_lock(&gpu->lock);
	for (;;) {
		struct bench_job *job;
		struct udrm_fence *hw;
		uint64_t start;

		while (!gpu->exiting && gpu->queue.next == &gpu->queue)
			pthread_cond_wait(&gpu->cond, &gpu->lock);
		if (gpu->exiting && gpu->queue.next == &gpu->queue)
			break;
		job = bench_job_of(gpu->queue.next);
		job->hw_link.prev->next = job->hw_link.next;
		job->hw_link.next->prev = job->hw_link.prev;
		/* The job owns a reference; the scheduler may free the job
		 * as soon as the fence signals. */
		hw = udrm_fence_get(job->hw);
		pthread_mutex_unlock(&gpu->lock);

		start = bench_now_ns();
		sleep_until_ns(start + (uint64_t)job->duration_us * 1000u);
		if (job->gpu_ns && atomic_load(&gpu->counting))
			atomic_fetch_add(job->gpu_ns,
					 (uint64_t)job->duration_us * 1000u);
		udrm_fence_signal(hw);
		udrm_fence_put(hw);
		pthread_mutex_lock(&gpu->lock);
	}
	pthread_mutex_unlock(&gpu->lock);
	return NULL;
}

static int bench_gpu_init(struct bench_gpu *gpu, enum udrm_sched_policy policy,
			  uint32_t credit_limit)
{
	struct udrm_sched_init_args args = {
		.ops = &bench_gpu_ops,
		.name = "bench-gpu",
		.credit_limit = credit_limit,
		.policy = policy,
	};
	int ret;

	memset(gpu, 0, sizeof(*gpu));
	pthread_mutex_init(&gpu->lock, NULL);
	pthread_cond_init(&gpu->cond, NULL);
	gpu->queue.next = gpu->queue.prev = &gpu->queue;
	gpu->hw_context = udrm_fence_context_alloc(1);
	if (pthread_create(&gpu->thread, NULL, bench_gpu_thread, gpu)) {
		ret = -EAGAIN;
		goto err_lock;
	}
	ret = udrm_sched_init(&gpu->base, &args);
	if (ret)
		goto err_thread;
	return 0;

err_thread:
	pthread_mutex_lock(&gpu->lock);
	gpu->exiting = true;
	pthread_cond_signal(&gpu->cond);
	pthread_mutex_unlock(&gpu->lock);
	pthread_join(gpu->thread, NULL);
err_lock:
	pthread_cond_destroy(&gpu->cond);
	pthread_mutex_destroy(&gpu->lock);
	return ret;
}

/* Entities must be gone; the GPU finishes what it has first. */
static void bench_gpu_fini(struct bench_gpu *gpu)
{
	pthread_mutex_lock(&gpu->lock);
	gpu->exiting = true;
	pthread_cond_signal(&gpu->cond);
	pthread_mutex_unlock(&gpu->lock);
	pthread_join(gpu->thread, NULL);
	udrm_sched_fini(&gpu->base);
	pthread_cond_destroy(&gpu->cond);
	pthread_mutex_destroy(&gpu->lock);
}

/* Arms and pushes a job; returns a reference to its finished fence. */
static struct udrm_fence *bench_submit(struct udrm_sched_entity *entity,
				       unsigned int duration_us,
				       _Atomic uint64_t *gpu_ns)
{
	struct bench_job *job = calloc(1, sizeof(*job));
	struct udrm_fence *finished;

	if (!job)
		return NULL;
	if (udrm_sched_job_init(&job->base, entity, 1)) {
		free(job);
		return NULL;
	}
	job->gpu = (struct bench_gpu *)entity->sched_list[0];
	job->hw_link.next = job->hw_link.prev = &job->hw_link;
	job->duration_us = duration_us;
	job->gpu_ns = gpu_ns;
	udrm_sched_job_arm(&job->base);
	finished = udrm_fence_get(udrm_sched_job_finished(&job->base));
	udrm_sched_entity_push_job(&job->base);
	return finished;
}

struct client_params {
	enum udrm_sched_priority priority;
	unsigned int job_cnt, job_us, wait_us;
	bool sync;
};

struct workload {
	const char *name;
	unsigned int num_clients; /* client[1] repeats client[0] when 0 */
	struct client_params client[2];
};

static const struct workload workloads[] = {
	{"normal + normal (async)",
	 0,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 1, 8000, 0, false},
	  {UDRM_SCHED_PRIORITY_NORMAL, 1, 8000, 0, false}}},
	{"normal + low (async)",
	 0,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 1, 8000, 0, false},
	  {UDRM_SCHED_PRIORITY_LOW, 1, 8000, 0, false}}},
	{"50/50",
	 0,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 1, 1500, 1500, true},
	  {UDRM_SCHED_PRIORITY_NORMAL, 1, 2500, 2500, true}}},
	{"low hog + interactive",
	 0,
	 {{UDRM_SCHED_PRIORITY_LOW, 3, 2500, 500, false},
	  {UDRM_SCHED_PRIORITY_NORMAL, 1, 500, 10000, true}}},
	{"heavy + interactive",
	 0,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 3, 2500, 2500, true},
	  {UDRM_SCHED_PRIORITY_NORMAL, 1, 1000, 9000, true}}},
	{"very heavy + interactive",
	 0,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 50000, 1, true},
	  {UDRM_SCHED_PRIORITY_NORMAL, 1, 1000, 9000, true}}},
	{"2 equal clients",
	 2,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 1000, 0, true}}},
	{"3 equal clients",
	 3,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 1000, 0, true}}},
	{"7 equal clients",
	 7,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 1000, 0, true}}},
	{"13 equal clients",
	 13,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 1000, 0, true}}},
	{"31 equal clients",
	 31,
	 {{UDRM_SCHED_PRIORITY_NORMAL, 4, 1000, 0, true}}},
};

struct client_stats {
	uint64_t min_ns, max_ns, total_ns;
	unsigned int n;
};

struct client {
	struct udrm_sched_entity entity;
	struct client_params params;
	pthread_t thread;
	atomic_bool *stop;
	_Atomic uint64_t gpu_ns; /* GPU time while every client was active */
	struct client_stats cycle, latency;
	int error;
};

static void stats_add(struct client_stats *s, uint64_t ns)
{
	if (!s->n || ns < s->min_ns)
		s->min_ns = ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	s->total_ns += ns;
	s->n++;
}

static double stats_avg_us(const struct client_stats *s)
{
	return s->n ? (double)s->total_ns / s->n / 1000.0 : 0.0;
}

/* Accounts a finished cycle that started at @start_ns. */
static void client_cycle_done(struct client *c, uint64_t start_ns,
			      struct udrm_fence *last)
{
	uint64_t work_ns =
		(uint64_t)c->params.job_cnt * c->params.job_us * 1000u;
	uint64_t end = udrm_fence_timestamp(last), cycle;

	if (!end)
		end = bench_now_ns();
	cycle = end > start_ns ? end - start_ns : 0;
	stats_add(&c->cycle, cycle);
	stats_add(&c->latency, cycle > work_ns ? cycle - work_ns : 0);
}

static void *client_thread(void *arg)
{
	struct client *c = arg;
	struct udrm_fence *inflight[ASYNC_INFLIGHT] = {NULL};
	uint64_t inflight_start[ASYNC_INFLIGHT] = {0};
	unsigned int head = 0, count = 0, i;

	while (!atomic_load(c->stop)) {
		struct udrm_fence *last = NULL;
		uint64_t start = bench_now_ns();

		for (i = 0; i < c->params.job_cnt; i++) {
			udrm_fence_put(last);
			last = bench_submit(&c->entity, c->params.job_us,
					    &c->gpu_ns);
			if (!last) {
				c->error = -ENOMEM;
				goto out;
			}
		}
		if (c->params.sync) {
			udrm_fence_wait(last, false);
			client_cycle_done(c, start, last);
			udrm_fence_put(last);
		} else {
			/* Asynchronous: keep a few cycles in flight. */
			if (count == ASYNC_INFLIGHT) {
				udrm_fence_wait(inflight[head], false);
				client_cycle_done(c, inflight_start[head],
						  inflight[head]);
				udrm_fence_put(inflight[head]);
				count--;
				head = (head + 1) % ASYNC_INFLIGHT;
			}
			i = (head + count) % ASYNC_INFLIGHT;
			inflight[i] = last;
			inflight_start[i] = start;
			count++;
		}
		sleep_us(c->params.wait_us);
	}
out:
	for (; count; count--, head = (head + 1) % ASYNC_INFLIGHT) {
		udrm_fence_wait(inflight[head], false);
		udrm_fence_put(inflight[head]);
	}
	return NULL;
}

static const char *const policy_names[] = {"FIFO", "RR", "FAIR"};
static const char *const prio_names[] = {"kernel", "high", "normal", "low"};

struct workload_result {
	double interactive_latency_us; /* the last client's average */
	double interactive_ideal_us;
	double share_spread; /* equal clients: (max - min) / mean */
};

static int run_workload(enum udrm_sched_policy policy, const struct workload *w,
			struct workload_result *res)
{
	unsigned int n = w->num_clients ? w->num_clients : 2, i, started = 0;
	struct udrm_gpu_scheduler *list[1];
	struct client *clients;
	struct bench_gpu gpu;
	atomic_bool stop;
	double total_gpu = 0, min_share = 1, max_share = 0;
	int ret;

	clients = calloc(n, sizeof(*clients));
	if (!clients)
		return -ENOMEM;
	ret = bench_gpu_init(&gpu, policy, 1);
	if (ret)
		goto out_free;
	list[0] = &gpu.base;
	atomic_init(&stop, false);
	atomic_store(&gpu.counting, true);
	for (i = 0; i < n; i++) {
		struct client *c = &clients[i];

		c->params = w->client[w->num_clients ? 0 : i];
		c->stop = &stop;
		atomic_init(&c->gpu_ns, 0);
		ret = udrm_sched_entity_init(&c->entity, c->params.priority,
					     list, 1);
		if (ret)
			goto out_clients;
		if (pthread_create(&c->thread, NULL, client_thread, c)) {
			udrm_sched_entity_destroy(&c->entity);
			ret = -EAGAIN;
			goto out_clients;
		}
		started++;
	}
	sleep_us(WORKLOAD_MS * 1000u);
	/* Shares count only while every client still submits. */
	atomic_store(&gpu.counting, false);
	atomic_store(&stop, true);

out_clients:
	atomic_store(&stop, true);
	for (i = 0; i < started; i++) {
		pthread_join(clients[i].thread, NULL);
		udrm_sched_entity_destroy(&clients[i].entity);
		if (clients[i].error)
			ret = clients[i].error;
	}
	bench_gpu_fini(&gpu);
	if (ret)
		goto out_free;

	for (i = 0; i < n; i++)
		total_gpu += (double)atomic_load(&clients[i].gpu_ns);
	printf("%s, %s (%u clients, %u ms):\n", policy_names[policy], w->name,
	       n, WORKLOAD_MS);
	for (i = 0; i < n; i++) {
		struct client *c = &clients[i];
		const struct client_params *p = &c->params;
		double share = total_gpu > 0 ? (double)atomic_load(&c->gpu_ns) /
						       total_gpu
					     : 0;
		double work_us = (double)p->job_cnt * p->job_us;

		if (share < min_share)
			min_share = share;
		if (share > max_share)
			max_share = share;
		if (n > 2 && i != 0 && i != n - 1)
			continue;
		printf("  %2u %-6s %-5s %ux%uus+%uus: share %5.1f%%  cycle "
		       "%.0f/%.0f/%.0f us (ideal %.0f)  latency "
		       "%.0f/%.0f/%.0f us (ideal 0)  cycles %u\n",
		       i, prio_names[p->priority], p->sync ? "sync" : "async",
		       p->job_cnt, p->job_us, p->wait_us, 100 * share,
		       c->cycle.min_ns / 1000.0, stats_avg_us(&c->cycle),
		       c->cycle.max_ns / 1000.0, work_us,
		       c->latency.min_ns / 1000.0, stats_avg_us(&c->latency),
		       c->latency.max_ns / 1000.0, c->cycle.n);
	}
	res->interactive_latency_us = stats_avg_us(&clients[n - 1].cycle);
	res->interactive_ideal_us = (double)clients[n - 1].params.job_cnt *
				    clients[n - 1].params.job_us;
	res->share_spread = n ? (max_share - min_share) * n : 0;
	if (w->num_clients)
		printf("  share min %.2f%% max %.2f%% (ideal %.2f%%), spread "
		       "%.1f%% of the fair share\n",
		       100 * min_share, 100 * max_share, 100.0 / n,
		       100 * res->share_spread);

	/* One Markdown row: the figures of the first and last client. */
	printf("| sched %s: %s | c0 %.1f%% cycle %.0f us, c%u %.1f%% cycle "
	       "%.0f us (lat max %.0f us) | ideal: c0 cycle %.0f us, c%u "
	       "cycle %.0f us | %.2fx |\n",
	       policy_names[policy], w->name,
	       100 * (double)atomic_load(&clients[0].gpu_ns) / total_gpu,
	       stats_avg_us(&clients[0].cycle), n - 1,
	       100 * (double)atomic_load(&clients[n - 1].gpu_ns) / total_gpu,
	       stats_avg_us(&clients[n - 1].cycle),
	       clients[n - 1].latency.max_ns / 1000.0,
	       (double)clients[0].params.job_cnt * clients[0].params.job_us,
	       n - 1, res->interactive_ideal_us,
	       res->interactive_latency_us / res->interactive_ideal_us);
out_free:
	free(clients);
	return ret;
}

/* 1,000 jobs of 1 ms at credit limit 1: the scheduler's cost per job. */
static int run_queue_overhead(void)
{
	const unsigned int jobs = 1000, job_us = 1000;
	struct udrm_gpu_scheduler *list[1];
	struct udrm_sched_entity entity;
	struct udrm_fence *last = NULL;
	struct bench_gpu gpu;
	uint64_t start, elapsed, ideal = (uint64_t)jobs * job_us * 1000u;
	unsigned int i;
	int ret;

	ret = bench_gpu_init(&gpu, UDRM_SCHED_POLICY_FIFO, 1);
	if (ret)
		return ret;
	list[0] = &gpu.base;
	ret = udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_NORMAL, list,
				     1);
	if (ret)
		goto out_gpu;
	start = bench_now_ns();
	for (i = 0; i < jobs; i++) {
		udrm_fence_put(last);
		last = bench_submit(&entity, job_us, NULL);
		if (!last) {
			ret = -ENOMEM;
			goto out_entity;
		}
	}
	udrm_fence_wait(last, false);
	elapsed = bench_now_ns() - start;
	udrm_fence_put(last);
	printf("queue overhead: %u x %u us jobs, credit limit 1: %.1f ms "
	       "(ideal %.1f ms), %.1f%% over ideal, %.1f us per job\n",
	       jobs, job_us, elapsed / 1e6, ideal / 1e6,
	       100.0 * ((double)elapsed - (double)ideal) / (double)ideal,
	       ((double)elapsed - (double)ideal) / jobs / 1000.0);
	printf("| sched: 1000 x 1 ms jobs, credit limit 1 | %.1f ms (%.1f%% "
	       "over) | ideal: %.1f ms | %.3fx |\n",
	       elapsed / 1e6,
	       100.0 * ((double)elapsed - (double)ideal) / (double)ideal,
	       ideal / 1e6, (double)elapsed / (double)ideal);
out_entity:
	udrm_sched_entity_destroy(&entity);
out_gpu:
	bench_gpu_fini(&gpu);
	return ret;
}

/* Baseline: a mutex-protected queue handed to a consumer thread. */
struct handoff_node {
	struct handoff_node *next;
};

struct handoff {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct handoff_node *head, **tail; /* (lock) */
	unsigned int completed, expected;  /* (lock) */
	bool exiting;			   /* (lock) */
};

static void *handoff_consumer(void *arg)
{
	struct handoff *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->head && !h->exiting)
			pthread_cond_wait(&h->work, &h->lock);
		if (!h->head)
			break;
		h->head = h->head->next;
		if (!h->head)
			h->tail = &h->head;
		if (++h->completed == h->expected)
			pthread_cond_signal(&h->done);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static double handoff_rate(unsigned int items)
{
	struct handoff_node *nodes = calloc(items, sizeof(*nodes));
	struct handoff h = {.expected = items};
	pthread_t thread;
	uint64_t start, elapsed;
	unsigned int i;

	if (!nodes)
		return 0;
	pthread_mutex_init(&h.lock, NULL);
	pthread_cond_init(&h.work, NULL);
	pthread_cond_init(&h.done, NULL);
	h.tail = &h.head;
	if (pthread_create(&thread, NULL, handoff_consumer, &h)) {
		free(nodes);
		return 0;
	}
	start = bench_now_ns();
	for (i = 0; i < items; i++) {
		pthread_mutex_lock(&h.lock);
		*h.tail = &nodes[i];
		h.tail = &nodes[i].next;
		pthread_cond_signal(&h.work);
		pthread_mutex_unlock(&h.lock);
	}
	pthread_mutex_lock(&h.lock);
	while (h.completed < items)
		pthread_cond_wait(&h.done, &h.lock);
	elapsed = bench_now_ns() - start;
	h.exiting = true;
	pthread_cond_signal(&h.work);
	pthread_mutex_unlock(&h.lock);
	pthread_join(thread, NULL);
	pthread_cond_destroy(&h.done);
	pthread_cond_destroy(&h.work);
	pthread_mutex_destroy(&h.lock);
	free(nodes);
	return items / (elapsed / 1e9);
}

/* Empty jobs (run_job completes them synchronously) through one entity. */
static double empty_job_rate(unsigned int jobs)
{
	struct udrm_gpu_scheduler *list[1];
	struct udrm_sched_entity entity;
	struct udrm_fence *last = NULL;
	struct bench_gpu gpu;
	uint64_t start, elapsed = 0;
	unsigned int i;

	if (bench_gpu_init(&gpu, UDRM_SCHED_POLICY_FIFO, 64))
		return 0;
	list[0] = &gpu.base;
	if (udrm_sched_entity_init(&entity, UDRM_SCHED_PRIORITY_NORMAL, list,
				   1))
		goto out_gpu;
	start = bench_now_ns();
	for (i = 0; i < jobs; i++) {
		udrm_fence_put(last);
		last = bench_submit(&entity, 0, NULL);
		if (!last)
			goto out_entity;
	}
	udrm_fence_wait(last, false);
	elapsed = bench_now_ns() - start;
	udrm_fence_put(last);
out_entity:
	udrm_sched_entity_destroy(&entity);
out_gpu:
	bench_gpu_fini(&gpu);
	return elapsed ? jobs / (elapsed / 1e9) : 0;
}

int main(void)
{
	struct workload_result res[3][sizeof(workloads) / sizeof(workloads[0])];
	const unsigned int num = sizeof(workloads) / sizeof(workloads[0]);
	double sched_rate, base_rate, worst_spread = 0;
	unsigned int p, i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("sched fairness: mock GPU, one job at a time, credit limit 1; "
	       "cycle = submit to last job finished, latency = cycle - GPU "
	       "work, times min/avg/max\n");
	for (p = UDRM_SCHED_POLICY_FIFO; p <= UDRM_SCHED_POLICY_FAIR; p++) {
		for (i = 0; i < num; i++) {
			ret = run_workload((enum udrm_sched_policy)p,
					   &workloads[i], &res[p][i]);
			if (ret) {
				fprintf(stderr, "bench-sched: %s: %s\n",
					workloads[i].name, strerror(-ret));
				return 1;
			}
		}
	}

	ret = run_queue_overhead();
	if (ret) {
		fprintf(stderr, "bench-sched: queue overhead: %s\n",
			strerror(-ret));
		return 1;
	}
	sched_rate = empty_job_rate(EMPTY_JOBS);
	base_rate = handoff_rate(EMPTY_JOBS);
	if (!sched_rate || !base_rate) {
		fprintf(stderr, "bench-sched: empty jobs failed\n");
		return 1;
	}
	bench_report_rate("sched: empty jobs through one entity", sched_rate,
			  "mutex queue to a thread", base_rate);

	/* The goals, for the fair policy. */
	for (i = 0; i < num; i++)
		if (workloads[i].num_clients &&
		    res[UDRM_SCHED_POLICY_FAIR][i].share_spread > worst_spread)
			worst_spread =
				res[UDRM_SCHED_POLICY_FAIR][i].share_spread;
	for (i = 0; i < num; i++) {
		const struct workload_result *r =
			&res[UDRM_SCHED_POLICY_FAIR][i];

		if (strcmp(workloads[i].name, "very heavy + interactive"))
			continue;
		printf("goal FAIR: interactive cycle within 2x of ideal next "
		       "to "
		       "a very heavy client: %.0f us vs %.0f us ideal (%.1fx): "
		       "%s\n",
		       r->interactive_latency_us, r->interactive_ideal_us,
		       r->interactive_latency_us / r->interactive_ideal_us,
		       r->interactive_latency_us <= 2 * r->interactive_ideal_us
			       ? "met"
			       : "NOT met");
	}
	printf("goal FAIR: equal clients' progress within 5%%: worst spread "
	       "%.1f%% of the fair share: %s\n",
	       100 * worst_spread, worst_spread <= 0.05 ? "met" : "NOT met");
	return 0;
}
