/* SPDX-License-Identifier: MIT */
/*
 * udrm_sched: the GPU scheduler, as the kernel's drivers/gpu/drm/scheduler/.
 *
 * A driver embeds a struct udrm_gpu_scheduler per hardware queue (ring) and
 * gives it ops. Clients submit jobs through entities: an entity is one FIFO
 * queue of jobs with a priority and a list of schedulers it may run on.
 * A job goes init -> add dependencies -> arm (its scheduled and finished
 * fences exist from here) -> push. The scheduler's worker thread picks the
 * next job (policy FIFO or round-robin, highest priority first), waits for
 * its dependencies without blocking, and hands it to ops->run_job once its
 * credits fit under the credit limit. The hardware fence run_job returns
 * drives the job's finished fence; the worker frees finished jobs through
 * ops->free_job.
 *
 * Ownership: the driver owns scheduler, entity and job memory. A job
 * belongs to the driver until push, then to the scheduler until
 * ops->free_job, which must call udrm_sched_job_cleanup(). The scheduled
 * and finished fences (struct udrm_sched_fence) are reference counted and
 * may outlive the scheduler: they hold their own names and touch nothing
 * of the scheduler once signalled.
 *
 * Locking:
 * - sched->lock protects the run queues (entity->rq_link, entity->on_rq),
 *   the pending list, credit_count, the timeout deadline and the worker
 *   state flags. It is a leaf with respect to fences: no fence is signalled,
 *   waited on or given a callback while it is held, because hardware fence
 *   callbacks take it (order: any fence lock -> sched->lock).
 * - entity->lock protects the entity's job queue, rq_sched and stopped. It
 *   nests inside sched->lock (sched->lock -> entity->lock), never outside.
 * - Fence callbacks (hardware fence done, dependency signalled) take
 *   sched->lock briefly and never block otherwise (but for the job
 *   started with run_on_completion, below).
 * - The run role (sched->busy, taken and given back under sched->lock) is
 *   held by one thread at a time, and only its holder calls
 *   ops->run_job, ops->prepare_job, ops->timedout_job and ops->free_job,
 *   pops jobs and links or unlinks pending jobs. It is the worker thread,
 *   except with run_on_completion: a job's hardware fence callback that
 *   finds the role free takes it and runs the next job itself, on the
 *   thread signalling that fence and under that fence's lock, when the job
 *   can run without waiting (no dependency left unsignalled, no
 *   prepare_job, entity not guilty); then the worker frees the finished
 *   job. udrm_sched_fini() and entity teardown free jobs on the caller's
 *   thread once no role holder can see them.
 *
 * The worker's hand-over spin: when the next job waits only for credits
 * and the hardware's average job time is known, the worker does not sleep
 * until the completion wakes it (a thread wake-up, tens of microseconds on
 * a busy host, lost per job at credit limit 1); it sleeps until shortly
 * before the oldest running job should finish (its start, or the previous
 * completion, plus the average) and then spins, without sched->lock,
 * on sched->completions for at most UDRM_SCHED_SPIN_NS past that point
 * (never more than an eighth of the average job), once per completion,
 * yielding the CPU between looks, before going back to sleeping. Opt-in
 * (udrm_sched_init_args.spin_for_completion): it costs up to that much
 * CPU per job, and on a host short of CPUs the spinning worker can delay
 * the thread that completes the job (bench-sched measures both).
 *
 * Time-sliced hardware (firmware that keeps several jobs resident and
 * rotates them, as Panthor's, Xe's or AGX's; tests/sched/mock_timeslice.h
 * models one): give the scheduler a credit limit of the number of jobs
 * the hardware may hold, and the hardware rotates them, preempting a long
 * job for a short one. Then:
 * - credits count resident jobs, not running ones: a job holds its
 *   credits from hand-over until its hardware fence signals, preempted
 *   or not;
 * - a job's hardware fences signal when its own work is done, in any
 *   order between entities; jobs of one entity must still complete in
 *   order (the hardware runs each entity's jobs in its own ring), which
 *   the same-scheduler dependency shortcut relies on;
 * - FAIR: the wall time from hand-over to completion counts the other
 *   resident jobs' slices, so the driver reports each job's own GPU
 *   time in job->hw_busy_ns before signalling its hardware fence, and
 *   the entity is charged that;
 * - the timeout, as the kernel's, counts wall time: it is armed when the
 *   first job is handed over and restarted at each completion, so a
 *   preempted job's slices and its wait for them count. A driver sizes
 *   the timeout for the slowest share a job may get, or answers NO_HANG
 *   from timedout_job while the job still makes progress.
 */
#ifndef UDRM_SCHED_GPU_SCHEDULER_H
#define UDRM_SCHED_GPU_SCHEDULER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sync/dma_fence.h"
#include "sync/fence_work.h"
#include "sync/dma_resv.h"

struct udrm_gpu_scheduler;
struct udrm_sched_entity;
struct udrm_sched_job;

/* An intrusive doubly linked list node/head, circular. */
struct udrm_sched_list {
	struct udrm_sched_list *next, *prev;
};

enum udrm_sched_priority {
	UDRM_SCHED_PRIORITY_KERNEL = 0,
	UDRM_SCHED_PRIORITY_HIGH,
	UDRM_SCHED_PRIORITY_NORMAL,
	UDRM_SCHED_PRIORITY_LOW,
	UDRM_SCHED_PRIORITY_COUNT,
};

enum udrm_sched_policy {
	UDRM_SCHED_POLICY_FIFO = 0, /* oldest job first (the default) */
	UDRM_SCHED_POLICY_RR,	    /* entities take turns */
	/* Kernel priority first; the other entities share the GPU by
	 * virtual GPU time (the time their jobs ran, times 1, 2 and 4 for
	 * high, normal and low), the lowest first. A job's time runs from
	 * the later of its hand-over and the scheduler's previous hardware
	 * completion (time spent behind other jobs in the ring is theirs)
	 * to its hardware fence's timestamp (or the driver's
	 * job->hw_busy_ns, time-sliced hardware); the entity pays its average
	 * job cost at hand-over, replaced by the real cost on completion.
	 *
	 * An entity whose queue ran empty and that left the run queue
	 * rejoins at the run queue's least virtual time (idle time is no
	 * credit), and until its next job is picked it is "interactive":
	 * against an entity that is not, it wins when its virtual time is
	 * at most the other's plus its own average virtual job cost (ties
	 * included). A client that submits one short job at a time thus
	 * runs next after the job on the GPU, ahead of busy entities at
	 * the same virtual time, for at most one job's worth of credit per
	 * idle period. Between two interactive or two busy entities: the
	 * lower virtual time, then the older head job. */
	UDRM_SCHED_POLICY_FAIR,
};

/* What ops->timedout_job found. */
enum udrm_gpu_sched_stat {
	UDRM_GPU_SCHED_STAT_NONE = 0,
	UDRM_GPU_SCHED_STAT_RESET,   /* the hardware was reset */
	UDRM_GPU_SCHED_STAT_ENODEV,  /* the device is gone */
	UDRM_GPU_SCHED_STAT_NO_HANG, /* the job is still making progress */
};

/*
 * The scheduled and finished fences of one job. @finished holds the only
 * reference to @scheduled; the last put of @scheduled frees the whole.
 */
struct udrm_sched_fence {
	struct udrm_fence scheduled; /* signalled when handed to run_job */
	struct udrm_fence finished;  /* signalled when the job is done */
	struct udrm_fence *parent;   /* the hardware fence, a reference */
	pthread_mutex_t parent_lock; /* protects @parent */
	/* The scheduler the job was armed on, only ever compared (it may be
	 * gone): a job of that scheduler depending on this one waits for
	 * @scheduled only, the ring running jobs in order. */
	const struct udrm_gpu_scheduler *sched;
	/* The kernel's DRM_SCHED_FENCE_DONT_PIPELINE: set by the driver
	 * before push when dependents must wait for @finished even on the
	 * same scheduler (work that does not complete in ring order). */
	bool dont_pipeline;
};

/* The finished/scheduled fence's udrm_sched_fence, or NULL for others. */
struct udrm_sched_fence *udrm_sched_fence_from(struct udrm_fence *fence);

struct udrm_sched_backend_ops {
	/* Extra dependency to wait for before running (a reference), or
	 * NULL when none is left. Called repeatedly until NULL. Optional. */
	struct udrm_fence *(*prepare_job)(struct udrm_sched_job *job,
					  struct udrm_sched_entity *entity);
	/* Starts the job on the hardware; returns its hardware fence (a
	 * reference), an already signalled fence carrying an error, or NULL
	 * when the job completed synchronously. */
	struct udrm_fence *(*run_job)(struct udrm_sched_job *job);
	/* The job has not finished within the timeout. A driver that resets
	 * calls udrm_sched_stop() and udrm_sched_start() from here. */
	enum udrm_gpu_sched_stat (*timedout_job)(struct udrm_sched_job *job);
	/* Frees the job; must call udrm_sched_job_cleanup(). */
	void (*free_job)(struct udrm_sched_job *job);
	/* udrm_sched_fini(): signal this running job's hardware fence with
	 * -ECANCELED, now. Optional. */
	void (*cancel_job)(struct udrm_sched_job *job);
};

struct udrm_sched_init_args {
	const struct udrm_sched_backend_ops *ops;
	const char *name;
	uint32_t credit_limit; /* > 0 */
	uint32_t hang_limit;   /* hangs before an entity is guilty */
	uint64_t timeout_ms;   /* 0: no timeout */
	enum udrm_sched_policy policy;
	/*
	 * Start the next job from the completion of the one before (see
	 * Locking) instead of waking the worker for it, saving a thread
	 * wake-up per job when the credit limit holds jobs back. Only when
	 * ops->run_job may run on any thread that signals one of this
	 * scheduler's hardware fences, under that fence's lock: it takes no
	 * lock held while a hardware fence is signalled, and the hardware
	 * fences of different jobs do not share a lock.
	 */
	bool run_on_completion;
	/* The worker's hand-over spin (see Locking): for hardware with
	 * regular job times, when a CPU can be spared for the worker. */
	bool spin_for_completion;
};

/* The longest the worker spins for a completion (see Locking). */
#define UDRM_SCHED_SPIN_NS 50000u

/*
 * What an entity's jobs report back to it, shared by the entity and its
 * jobs so that it survives either: guilt, and for the fair policy the
 * entity's virtual GPU time (GPU time scaled by priority) and the average
 * virtual cost of its jobs (the interactive window, see FAIR).
 */
struct udrm_sched_entity_stats {
	atomic_int refcount;
	atomic_bool guilty;
	_Atomic uint64_t vruntime_ns;
	_Atomic uint64_t avg_job_ns;
};

struct udrm_sched_job {
	struct udrm_sched_list link; /* entity queue, then pending (locks) */
	struct udrm_gpu_scheduler *sched;      /* set at arm */
	struct udrm_sched_entity *entity;      /* until popped */
	struct udrm_sched_fence *s_fence;      /* finished holds a reference */
	struct udrm_sched_entity_stats *stats; /* a reference */
	struct udrm_fence *hw_fence;	       /* from run_job, a reference */
	struct udrm_fence_cb cb;	       /* on the hardware fence */
	struct udrm_fence_cb kill_cb;	  /* entity fini: on the previous job */
	struct udrm_fence_work kill_work; /* entity fini: completes the job */
	struct udrm_fence **deps;	  /* references, one per context */
	unsigned int num_deps, deps_cap, next_dep;
	uint32_t credits;
	uint64_t submit_ts;   /* push time, for FIFO */
	uint64_t start_ns;    /* handed to run_job, for FAIR */
	uint64_t estimate_ns; /* FAIR: virtual cost charged at hand-over */
	/* The GPU time the job really occupied, set by a driver whose
	 * hardware time-slices several resident jobs (see "Time-sliced
	 * hardware" above) before it signals the hardware fence; FAIR
	 * charges it instead of the time since hand-over. 0: not known. */
	uint64_t hw_busy_ns;
	bool queued_behind; /* (sched->lock) others ran when handed over */
	enum udrm_sched_priority priority;
	atomic_uint karma;
	bool armed, pushed;
	bool done;     /* (sched->lock) hardware finished */
	bool detached; /* (sched->lock) hardware callback removed by stop */
};

struct udrm_sched_entity {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* queue became empty */
	/* (lock, and rq_sched->lock while on a run queue) */
	enum udrm_sched_priority priority;
	struct udrm_gpu_scheduler **sched_list;
	unsigned int num_scheds;
	struct udrm_sched_list queue;	       /* (lock) jobs, FIFO */
	struct udrm_gpu_scheduler *rq_sched;   /* (lock) current scheduler */
	struct udrm_gpu_scheduler *last_sched; /* (lock) last one used */
	struct udrm_fence *last_popped;	  /* (lock) last job taken, a ref */
	struct udrm_fence *last_finished; /* (lock) a reference */
	bool stopped;			  /* (lock) */
	struct udrm_sched_list rq_link;	  /* (rq_sched->lock) */
	bool on_rq;			  /* (rq_sched->lock) */
	bool blocked;			  /* (rq_sched->lock) */
	bool interactive; /* (rq_sched->lock) FAIR: rejoined, none picked */
	struct udrm_fence *dep_fence; /* run role; a reference */
	struct udrm_fence_cb dep_cb;
	struct udrm_gpu_scheduler *dep_sched;  /* for the callback */
	struct udrm_sched_entity_stats *stats; /* a reference */
	uint64_t fence_context;		       /* scheduled; finished is +1 */
	uint64_t fence_seq;		       /* (lock) */
};

struct udrm_gpu_scheduler {
	struct udrm_sched_backend_ops ops;
	char name[64];
	struct udrm_fence_names *names; /* given to each job's fences */
	uint32_t credit_limit, hang_limit;
	uint64_t timeout_ns;
	enum udrm_sched_policy policy;
	atomic_int score; /* jobs queued or running, for load balancing */

	pthread_mutex_t lock;
	pthread_cond_t wake; /* (lock) work for the worker */
	pthread_cond_t idle; /* (lock) the run role was given back */
	struct udrm_sched_list rq[UDRM_SCHED_PRIORITY_COUNT]; /* (lock) */
	struct udrm_sched_list *rr_cursor[UDRM_SCHED_PRIORITY_COUNT];
	struct udrm_sched_list pending; /* (lock) handed to run_job */
	uint32_t credit_count;		/* (lock) credits of running jobs */
	uint32_t hw_running;		/* (lock) pending jobs not done */
	uint64_t min_vruntime_ns; /* (lock) FAIR: where idle entities rejoin */
	uint64_t last_done_ns;	  /* (lock) latest hardware completion */
	uint64_t avg_run_ns;  /* (lock) a job's hardware time, moving average */
	bool credit_blocked;  /* (lock) the next job waits for credits */
	unsigned int spun_at; /* (lock) @completions when the worker spun */
	atomic_uint completions;	       /* hardware completions so far */
	uint64_t tdr_deadline;		       /* (lock) 0: timer not armed */
	struct udrm_sched_entity *busy_entity; /* (lock) role holder uses it */
	bool busy;    /* (lock) the run role is taken (see Locking) */
	bool paused;  /* (lock) udrm_sched_stop() */
	bool exiting; /* (lock) udrm_sched_fini() */
	bool run_on_completion;
	bool spin; /* spin_for_completion */
	bool ready;
	pthread_t worker;
};

/*
 * Initialises @sched and starts its worker thread. Returns 0, -EINVAL for
 * bad arguments (no ops, run_job or free_job, zero credit limit) or
 * -ENOMEM/-EAGAIN.
 */
int udrm_sched_init(struct udrm_gpu_scheduler *sched,
		    const struct udrm_sched_init_args *args);
/*
 * Stops the worker and completes every running job: ops->cancel_job first
 * when given, then the finished fences still pending get -ECANCELED, and
 * every job is freed with ops->free_job. Entities must be destroyed first.
 */
void udrm_sched_fini(struct udrm_gpu_scheduler *sched);

/*
 * Parks the worker (waits until it is outside run_job unless called from
 * the worker itself, e.g. from timedout_job) and detaches the hardware fence
 * callbacks of running jobs. @bad (may be NULL) gets a karma point; above
 * the hang limit its entity becomes guilty.
 */
void udrm_sched_stop(struct udrm_gpu_scheduler *sched,
		     struct udrm_sched_job *bad);
/*
 * Re-runs every pending job that is still marked guilty-free as the
 * kernel's deprecated drm_sched_resubmit_jobs(): calls run_job again
 * (with -ECANCELED set on the finished fence of jobs from guilty entities).
 * Only between udrm_sched_stop() and udrm_sched_start().
 */
void udrm_sched_resubmit_jobs(struct udrm_gpu_scheduler *sched);
/*
 * Re-attaches the hardware fence callbacks of the pending jobs (a job whose
 * hardware fence has signalled completes with that fence's error; a job
 * without one completes with @errno, or -ECANCELED when 0), re-arms the
 * timeout and restarts the worker.
 */
void udrm_sched_start(struct udrm_gpu_scheduler *sched, int errno_);

/*
 * Initialises @entity on @sched_list (@num_scheds > 0, copied) at
 * @priority. 0, -EINVAL or -ENOMEM.
 */
int udrm_sched_entity_init(struct udrm_sched_entity *entity,
			   enum udrm_sched_priority priority,
			   struct udrm_gpu_scheduler **sched_list,
			   unsigned int num_scheds);
/* Waits up to @timeout_ns until the worker has taken every queued job.
 * Returns the time left, 0 on timeout. */
uint64_t udrm_sched_entity_flush(struct udrm_sched_entity *entity,
				 uint64_t timeout_ns);
/*
 * Stops @entity: jobs still queued complete in order, their finished
 * fences signalled with -ESRCH, and are freed. Running jobs are not
 * affected; the killed jobs complete after them (from the fence worker),
 * so the entity's finished fences keep their order. Later pushes are
 * refused the same way.
 */
void udrm_sched_entity_fini(struct udrm_sched_entity *entity);
/* udrm_sched_entity_flush() for up to a second, then _fini(). */
void udrm_sched_entity_destroy(struct udrm_sched_entity *entity);
/*
 * Moves @entity to @priority, as the kernel's drm_sched_entity_set_priority():
 * queued jobs are picked at the new priority from the next job selection
 * on; jobs initialised from here on carry it (FAIR scales their GPU time by
 * it), jobs already initialised keep the old one. Takes the entity's
 * scheduler lock then entity->lock (the caller holds neither); must not race
 * with udrm_sched_job_init() on the same entity, which reads the priority
 * unlocked. 0, or -EINVAL for a bad priority.
 */
int udrm_sched_entity_set_priority(struct udrm_sched_entity *entity,
				   enum udrm_sched_priority priority);
/* Marks the entity guilty by hand (later jobs complete -ECANCELED). */
void udrm_sched_entity_set_guilty(struct udrm_sched_entity *entity);
bool udrm_sched_entity_is_guilty(struct udrm_sched_entity *entity);

/*
 * Initialises @job for @entity needing @credits (> 0) of the scheduler's
 * credit limit. 0, -EINVAL or -ENOMEM. Until push, the caller owns it
 * and calls udrm_sched_job_cleanup() to give up.
 */
int udrm_sched_job_init(struct udrm_sched_job *job,
			struct udrm_sched_entity *entity, uint32_t credits);
/*
 * Adds @fence (the reference is consumed) as a dependency. Only the latest
 * fence of each context is kept. 0 or -ENOMEM (the reference is dropped).
 */
int udrm_sched_job_add_dependency(struct udrm_sched_job *job,
				  struct udrm_fence *fence);
/* Adds the fences of @resv of @usage or stronger. 0 or -ENOMEM. */
int udrm_sched_job_add_resv_dependencies(struct udrm_sched_job *job,
					 struct udrm_resv *resv,
					 enum udrm_resv_usage usage);
/* Adds what an access to @resv must wait for (implicit sync). */
int udrm_sched_job_add_implicit_dependencies(struct udrm_sched_job *job,
					     struct udrm_resv *resv,
					     bool write);
/*
 * Picks the scheduler and creates the job's fences: the finished seqno
 * increases per entity. Must be followed by push or cleanup.
 */
void udrm_sched_job_arm(struct udrm_sched_job *job);
/* Queues an armed job on its entity; the scheduler owns it from here. */
void udrm_sched_entity_push_job(struct udrm_sched_job *job);
/*
 * Releases what the scheduler holds for @job: dependencies and its
 * reference to the finished fence. Valid at any stage; a job armed but
 * never pushed gets its fences signalled with -ECANCELED so that nobody
 * waits for ever.
 */
void udrm_sched_job_cleanup(struct udrm_sched_job *job);

/* The job's fences (no reference taken; valid while the job lives). */
struct udrm_fence *udrm_sched_job_finished(struct udrm_sched_job *job);
struct udrm_fence *udrm_sched_job_scheduled(struct udrm_sched_job *job);

#endif
