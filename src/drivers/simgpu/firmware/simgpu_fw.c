// SPDX-License-Identifier: MIT
/*
 * The simgpu firmware: the MCU thread (boot, requests, watchdog, halt) and
 * the execution cores (scheduling, rings, command streams). See
 * simgpu_fw.h for the protocol.
 *
 * Every access to a shared structure goes through fwabi with the layout
 * table of the image's version (fw->v); constants (request bits, entry
 * types, statuses) come from the same table.
 *
 * Threads and locking: fw->lock protects the scheduling state of groups
 * and queues (the fields marked (lock)) and fw->cond is broadcast on any
 * change a thread may wait for (work, a queue leaving its core, a
 * dispatch's helpers done). A queue on a core (on_core) has its execution
 * state (the fields marked (core)) owned by that core; others touch it
 * only under the lock while the queue is off every core. The MCU waits
 * for doorbells on the device's wake_cond.
 */
#include "simgpu_fw.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/simgpu_cs.h"
#include "gpu/simgpu_mmu.h"
#include "simgpu_dev.h"

#define FW_MAX_ENTRY_SIZE 256u
#define FW_PRIORITY_MAX	  15u
#define FW_IDLE_WAKE_MS	  50u

struct simgpu_fw;

struct fw_group {
	void *iface;
	bool started;	   /* (lock) */
	uint32_t priority; /* (lock) */
	uint64_t as_root;  /* (lock) */
};

struct fw_queue {
	struct simgpu_fw *fw;
	struct fw_group *group;
	void *iface;

	bool started;	    /* (lock) */
	bool on_core;	    /* (lock) */
	uint32_t status;    /* (lock) a QUEUE_* value */
	uint64_t ring_base; /* (lock) */
	uint64_t ring_size; /* (lock) */
	uint64_t extract;   /* (lock) firmware's copy of ring_extract */
	uint64_t last_run;  /* (lock) round-robin stamp */
	bool waiting;	    /* (lock) parked on a WAIT or SYNC_WAIT */
	uint64_t wait_epoch, wait_deadline_ns; /* (lock) */
	bool mmu_stale;			       /* (lock) */

	bool in_entry;			 /* (core) an EXEC entry is under way */
	struct simgpu_cs_state cs;	 /* (core) */
	uint64_t sync_va, sync_seqno;	 /* (core) of the current entry */
	int error;			 /* (core) sticky stream error */
	uint64_t progress;		 /* (core) instructions run */
	struct simgpu_mmu mmu;		 /* (core) */
	_Atomic uint64_t entry_start_ns; /* 0: no EXEC entry under way */
	atomic_bool stop; /* leave the core between instructions */
};

struct fw_dispatch {
	struct fw_dispatch *next;
	void (*fn)(void *arg, unsigned int i);
	void *arg;
	unsigned int n;
	atomic_uint next_item;
	unsigned int helpers; /* (lock) */
};

struct fw_core {
	struct simgpu_fw *fw;
	pthread_t thread;
	bool started;
};

/* Constants of the running version, read once from its table. */
struct fw_consts {
	uint64_t control_magic;
	uint64_t glb_halt, glb_ping, glb_watchdog_cfg;
	uint64_t group_start, group_stop, group_priority;
	uint64_t queue_start, queue_stop;
	uint64_t q_idle, q_running, q_waiting, q_faulted, q_stuck, q_stopped,
		q_error;
	uint64_t fault_read, fault_write;
	uint64_t msg_nop, msg_exec, msg_sync_wait;
	bool has_sync_wait;
	uint64_t feat_timestamp, feat_sync_wait;
	uint64_t entry_size;
	uint64_t counter_mask; /* ring_insert/extract wrap at their width */
};

struct simgpu_fw {
	struct simgpu_dev *dev;
	const struct fwabi_version *v;
	struct fw_consts c;
	struct simgpu_fw_layout layout;
	uint8_t *shared;
	void *control, *global;

	pthread_t mcu;
	atomic_bool stop_request; /* CONTROL=HALT */
	atomic_bool exited;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool exit;			/* (lock) cores leave */
	uint64_t epoch;			/* (lock) memory may have changed */
	uint64_t rr_clock;		/* (lock) */
	struct fw_dispatch *dispatches; /* (lock) */
	uint32_t watchdog_ms;		/* (lock) */

	unsigned int num_groups, queues_per_group, num_queues, num_cores;
	struct fw_group *groups;
	struct fw_queue *queues;
	struct fw_core *cores;
};

static uint64_t fw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Shared-structure accessors in the running version's layout. A field the
 * version lacks reads as 0 and is not written. */
static uint64_t fw_get(const struct simgpu_fw *fw, unsigned int field,
		       const void *base)
{
	uint64_t value = 0;

	if (fwabi_get(fw->v, field, base, 0, &value))
		return 0;
	return value;
}

static void fw_set(const struct simgpu_fw *fw, unsigned int field, void *base,
		   uint64_t value)
{
	(void)fwabi_set(fw->v, field, base, 0, value);
}

/* A negative errno into a signed 32-bit field. */
static void fw_set_errno(const struct simgpu_fw *fw, unsigned int field,
			 void *base, int error)
{
	fw_set(fw, field, base, (uint64_t)(int64_t)error);
}

static uint64_t fw_const(const struct fwabi_version *v, unsigned int id,
			 bool *present)
{
	uint64_t value = 0;
	int ret = fwabi_const_get(v, id, &value);

	if (present)
		*present = !ret;
	return ret ? 0 : value;
}

static void fw_consts_init(struct simgpu_fw *fw)
{
	const struct fwabi_version *v = fw->v;
	struct fw_consts *c = &fw->c;
	bool has_feat;

	c->control_magic = fw_const(v, SIMGPU_FW_C_CONTROL_MAGIC, NULL);
	c->glb_halt = fw_const(v, SIMGPU_FW_C_GLB_HALT, NULL);
	c->glb_ping = fw_const(v, SIMGPU_FW_C_GLB_PING, NULL);
	c->glb_watchdog_cfg = fw_const(v, SIMGPU_FW_C_GLB_WATCHDOG_CFG, NULL);
	c->group_start = fw_const(v, SIMGPU_FW_C_GROUP_START, NULL);
	c->group_stop = fw_const(v, SIMGPU_FW_C_GROUP_STOP, NULL);
	c->group_priority = fw_const(v, SIMGPU_FW_C_GROUP_PRIORITY, NULL);
	c->queue_start = fw_const(v, SIMGPU_FW_C_QUEUE_START, NULL);
	c->queue_stop = fw_const(v, SIMGPU_FW_C_QUEUE_STOP, NULL);
	c->q_idle = fw_const(v, SIMGPU_FW_C_QUEUE_IDLE, NULL);
	c->q_running = fw_const(v, SIMGPU_FW_C_QUEUE_RUNNING, NULL);
	c->q_waiting = fw_const(v, SIMGPU_FW_C_QUEUE_WAITING, NULL);
	c->q_faulted = fw_const(v, SIMGPU_FW_C_QUEUE_FAULTED, NULL);
	c->q_stuck = fw_const(v, SIMGPU_FW_C_QUEUE_STUCK, NULL);
	c->q_stopped = fw_const(v, SIMGPU_FW_C_QUEUE_STOPPED, NULL);
	c->q_error = fw_const(v, SIMGPU_FW_C_QUEUE_ERROR, NULL);
	c->fault_read = fw_const(v, SIMGPU_FW_C_FAULT_READ, NULL);
	c->fault_write = fw_const(v, SIMGPU_FW_C_FAULT_WRITE, NULL);
	c->msg_nop = fw_const(v, SIMGPU_FW_C_MSG_NOP, NULL);
	c->msg_exec = fw_const(v, SIMGPU_FW_C_MSG_EXEC, NULL);
	c->msg_sync_wait =
		fw_const(v, SIMGPU_FW_C_MSG_SYNC_WAIT, &c->has_sync_wait);
	c->feat_timestamp = fw_const(v, SIMGPU_FW_C_FEAT_TIMESTAMP, NULL);
	c->feat_sync_wait = fw_const(v, SIMGPU_FW_C_FEAT_SYNC_WAIT, &has_feat);
	if (!has_feat)
		c->feat_sync_wait = 0;
	c->entry_size = fwabi_sizeof(v, SIMGPU_FW_S_RING_ENTRY);
	c->counter_mask =
		v->fields[SIMGPU_FW_QUEUE_RING_INSERT].size >= 8
			? UINT64_MAX
			: (1ull
			   << (8 *
			       v->fields[SIMGPU_FW_QUEUE_RING_INSERT].size)) -
				  1;
}

static void fw_raise_irq(struct simgpu_fw *fw)
{
	simgpu_dev_raise_irq(fw->dev);
}

/* Memory may have changed: parked queues look again. (lock) */
static void fw_kick_locked(struct simgpu_fw *fw)
{
	fw->epoch++;
	pthread_cond_broadcast(&fw->cond);
}

static void fw_kick(struct simgpu_fw *fw)
{
	pthread_mutex_lock(&fw->lock);
	fw_kick_locked(fw);
	pthread_mutex_unlock(&fw->lock);
}

/* (lock) */
static void fw_queue_set_status_locked(struct fw_queue *q, uint64_t status)
{
	q->status = (uint32_t)status;
	fw_set(q->fw, SIMGPU_FW_QUEUE_STATUS, q->iface, status);
}

/* A core's status change: the MCU's verdicts (stopped, stuck) stand. */
static void fw_queue_set_status(struct fw_queue *q, uint64_t status)
{
	struct simgpu_fw *fw = q->fw;

	pthread_mutex_lock(&fw->lock);
	if (q->started && q->status != fw->c.q_stuck)
		fw_queue_set_status_locked(q, status);
	pthread_mutex_unlock(&fw->lock);
}

/*
 * Execution, on a core.
 */

/* DISPATCH work items on every core: the caller takes items, and idle
 * cores join in (fw_help_dispatch_locked). */
static void fw_parallel(void *core_ptr, unsigned int n,
			void (*fn)(void *arg, unsigned int i), void *arg)
{
	struct fw_core *core = core_ptr;
	struct simgpu_fw *fw = core->fw;
	struct fw_dispatch d = {.fn = fn, .arg = arg, .n = n};
	struct fw_dispatch **link;
	unsigned int i;

	if (fw->num_cores == 1 || n < 2) {
		for (i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	atomic_init(&d.next_item, 0);
	pthread_mutex_lock(&fw->lock);
	d.next = fw->dispatches;
	fw->dispatches = &d;
	pthread_cond_broadcast(&fw->cond);
	pthread_mutex_unlock(&fw->lock);

	while ((i = atomic_fetch_add(&d.next_item, 1)) < n)
		fn(arg, i);

	pthread_mutex_lock(&fw->lock);
	for (link = &fw->dispatches; *link != &d; link = &(*link)->next)
		;
	*link = d.next;
	while (d.helpers)
		pthread_cond_wait(&fw->cond, &fw->lock);
	pthread_mutex_unlock(&fw->lock);
}

/* Helps a dispatch with items left, if any. Returns with the lock held,
 * true if it helped. (lock) */
static bool fw_help_dispatch_locked(struct simgpu_fw *fw)
{
	struct fw_dispatch *d;
	unsigned int i;

	for (d = fw->dispatches; d; d = d->next)
		if (atomic_load(&d->next_item) < d->n)
			break;
	if (!d)
		return false;
	d->helpers++;
	pthread_mutex_unlock(&fw->lock);
	while ((i = atomic_fetch_add(&d->next_item, 1)) < d->n)
		d->fn(d->arg, i);
	pthread_mutex_lock(&fw->lock);
	d->helpers--;
	pthread_cond_broadcast(&fw->cond);
	return true;
}

/* A stream wrote a sync object (SYNC_ADD/SYNC_SET). */
static void fw_stream_irq(void *core_ptr)
{
	struct fw_core *core = core_ptr;

	fw_kick(core->fw);
	fw_raise_irq(core->fw);
}

/* The CPU address of the 16-byte-aligned sync object at @va, or NULL
 * (fault in q->mmu.fault; -EINVAL in *error for a misaligned va). */
static void *fw_sync_ptr(struct fw_queue *q, uint64_t va,
			 enum simgpu_access access, int *error)
{
	void *p;

	if (va & 15) {
		*error = -EINVAL;
		return NULL;
	}
	p = simgpu_mmu_ptr(&q->mmu, va, access);
	*error = p ? 0 : -EFAULT;
	return p;
}

/* Stops the queue: status @status, error @error, and for a fault where
 * and how. Interrupt. Before the failed entry's sync object is written,
 * so that a driver woken by it finds the queue's state. */
static void fw_queue_fail(struct fw_queue *q, uint64_t status, int error,
			  const struct simgpu_mmu_fault *fault)
{
	struct simgpu_fw *fw = q->fw;

	if (fault) {
		fw_set(fw, SIMGPU_FW_QUEUE_FAULT_VA, q->iface, fault->va);
		fw_set(fw, SIMGPU_FW_QUEUE_FAULT_ACCESS, q->iface,
		       fault->access == SIMGPU_ACCESS_WRITE ? fw->c.fault_write
							    : fw->c.fault_read);
	}
	fw_set_errno(fw, SIMGPU_FW_QUEUE_ERROR, q->iface, error);
	fw_queue_set_status(q, status);
	fw_raise_irq(fw);
}

/*
 * The entry at extract is done with @status: ring_extract moves past it,
 * then its sync object (if any) is written, then the interrupt. Returns 0,
 * or the error that stopped the queue (the sync object faulted or is
 * misaligned).
 */
static int fw_entry_done(struct fw_queue *q, uint64_t sync_va, uint64_t seqno,
			 int status)
{
	struct simgpu_fw *fw = q->fw;
	void *sync = NULL;
	int error = 0;

	atomic_store(&q->entry_start_ns, 0);
	q->in_entry = false;
	if (sync_va)
		sync = fw_sync_ptr(q, sync_va, SIMGPU_ACCESS_WRITE, &error);

	pthread_mutex_lock(&fw->lock);
	q->extract = (q->extract + fw->c.entry_size) & fw->c.counter_mask;
	fw_set(fw, SIMGPU_FW_QUEUE_RING_EXTRACT, q->iface, q->extract);
	if (sync) {
		fw_set_errno(fw, SIMGPU_FW_SYNC_OBJ_STATUS, sync, status);
		fw_set(fw, SIMGPU_FW_SYNC_OBJ_SEQNO, sync, seqno);
	}
	if (status)
		fw_set_errno(fw, SIMGPU_FW_QUEUE_ERROR, q->iface, status);
	fw_kick_locked(fw);
	pthread_mutex_unlock(&fw->lock);

	if (error == -EFAULT) {
		q->mmu.fault.va = sync_va;
		q->mmu.fault.access = SIMGPU_ACCESS_WRITE;
		fw_queue_fail(q, fw->c.q_faulted, -EFAULT, &q->mmu.fault);
	} else if (error) {
		fw_queue_fail(q, fw->c.q_error, error, NULL);
	} else {
		fw_raise_irq(fw);
	}
	return error;
}

/* Parks the queue until memory may have changed. */
static void fw_queue_park(struct fw_queue *q)
{
	struct simgpu_fw *fw = q->fw;

	pthread_mutex_lock(&fw->lock);
	q->waiting = true;
	q->wait_epoch = fw->epoch;
	q->wait_deadline_ns = fw_now_ns() + SIMGPU_FW_POLL_US * 1000ull;
	/* The watchdog or a stop may have had its say meanwhile. */
	if (q->started && q->status != fw->c.q_stuck)
		fw_queue_set_status_locked(q, fw->c.q_waiting);
	pthread_mutex_unlock(&fw->lock);
}

enum fw_step {
	FW_STEP_EXEC,	  /* an EXEC entry is under way */
	FW_STEP_CONTINUE, /* an entry was consumed; look at the next */
	FW_STEP_LEAVE,	  /* idle, parked or stopped: leave the core */
};

/* Reads the entry at extract and starts or consumes it. */
static enum fw_step fw_next_entry(struct fw_queue *q)
{
	struct simgpu_fw *fw = q->fw;
	uint64_t es = fw->c.entry_size, insert, extract, ring_base, ring_size;
	uint64_t type, sync_va, sync_seqno, pending;
	uint8_t entry[FW_MAX_ENTRY_SIZE];

	pthread_mutex_lock(&fw->lock);
	extract = q->extract;
	ring_base = q->ring_base;
	ring_size = q->ring_size;
	pthread_mutex_unlock(&fw->lock);

	insert = fw_get(fw, SIMGPU_FW_QUEUE_RING_INSERT, q->iface);
	if (insert == extract) {
		fw_queue_set_status(q, fw->c.q_idle);
		return FW_STEP_LEAVE;
	}
	pending = (insert - extract) & fw->c.counter_mask;
	if (pending > ring_size || pending % es) {
		fw_queue_fail(q, fw->c.q_error, -EINVAL, NULL);
		return FW_STEP_LEAVE;
	}
	if (simgpu_mmu_read(&q->mmu, ring_base + extract % ring_size, entry,
			    es)) {
		fw_queue_fail(q, fw->c.q_faulted, -EFAULT, &q->mmu.fault);
		return FW_STEP_LEAVE;
	}
	type = fw_get(fw, SIMGPU_FW_RING_ENTRY_TYPE, entry);
	sync_va = fw_get(fw, SIMGPU_FW_RING_ENTRY_SYNC_VA, entry);
	sync_seqno = fw_get(fw, SIMGPU_FW_RING_ENTRY_SYNC_SEQNO, entry);

	if (type == fw->c.msg_exec) {
		q->sync_va = sync_va;
		q->sync_seqno = sync_seqno;
		simgpu_cs_start(
			&q->cs,
			fw_get(fw, SIMGPU_FW_RING_ENTRY_STREAM_VA, entry),
			fw_get(fw, SIMGPU_FW_RING_ENTRY_STREAM_SIZE, entry));
		q->cs.error = q->error;
		q->in_entry = true;
		atomic_store(&q->entry_start_ns, fw_now_ns());
		fw_queue_set_status(q, fw->c.q_running);
		return FW_STEP_EXEC;
	}
	if (type == fw->c.msg_nop)
		return fw_entry_done(q, sync_va, sync_seqno, 0)
			       ? FW_STEP_LEAVE
			       : FW_STEP_CONTINUE;
	if (fw->c.has_sync_wait && type == fw->c.msg_sync_wait) {
		uint64_t wait_va =
			fw_get(fw, SIMGPU_FW_RING_ENTRY_WAIT_VA, entry);
		uint64_t value =
			fw_get(fw, SIMGPU_FW_RING_ENTRY_WAIT_VALUE, entry);
		int error;
		void *obj = fw_sync_ptr(q, wait_va, SIMGPU_ACCESS_READ, &error);

		if (!obj) {
			/* The entry is consumed: its sync says why. */
			fw_queue_fail(q,
				      error == -EFAULT ? fw->c.q_faulted
						       : fw->c.q_error,
				      error,
				      error == -EFAULT ? &q->mmu.fault : NULL);
			fw_entry_done(q, sync_va, sync_seqno, error);
			return FW_STEP_LEAVE;
		}
		if (fw_get(fw, SIMGPU_FW_SYNC_OBJ_SEQNO, obj) < value) {
			fw_queue_park(q);
			return FW_STEP_LEAVE;
		}
		return fw_entry_done(q, sync_va, sync_seqno, 0)
			       ? FW_STEP_LEAVE
			       : FW_STEP_CONTINUE;
	}
	/* An entry type this version does not have. */
	fw_queue_fail(q, fw->c.q_error, -EINVAL, NULL);
	fw_entry_done(q, sync_va, sync_seqno, -EINVAL);
	return FW_STEP_LEAVE;
}

/* Runs @q on @core for up to one time slice. */
static void fw_run_queue(struct fw_core *core, struct fw_queue *q)
{
	struct simgpu_fw *fw = core->fw;
	struct simgpu_cs_ctx ctx = {
		.mmu = &q->mmu,
		.parallel = fw_parallel,
		.irq = fw_stream_irq,
		.core = core,
		.stop = &q->stop,
	};
	uint64_t spent = 0;
	int ret;

	while (spent < SIMGPU_FW_SLICE) {
		if (atomic_load(&q->stop))
			return;
		if (!q->in_entry) {
			enum fw_step step = fw_next_entry(q);

			if (step == FW_STEP_LEAVE)
				return;
			if (step == FW_STEP_CONTINUE) {
				spent++;
				continue;
			}
		}
		ctx.instructions = 0;
		ctx.budget = SIMGPU_FW_SLICE - spent;
		ret = simgpu_cs_run(&ctx, &q->cs);
		spent += ctx.instructions;
		q->progress += ctx.instructions;
		fw_set(fw, SIMGPU_FW_QUEUE_PROGRESS, q->iface, q->progress);

		switch (ret) {
		case 0:
			if (fw_entry_done(q, q->sync_va, q->sync_seqno, 0))
				return;
			break;
		case -EAGAIN:
			fw_queue_park(q);
			return;
		case -EBUSY:
		case -EINTR:
			return;
		case -EFAULT:
			q->error = q->cs.error;
			fw_queue_fail(q, fw->c.q_faulted, -EFAULT,
				      &q->mmu.fault);
			fw_entry_done(q, q->sync_va, q->sync_seqno, -EFAULT);
			return;
		default:
			/* Malformed (-EINVAL) or stopped at an error barrier
			 * (-EIO): the entry fails, the queue goes on with the
			 * error carried into its later streams. */
			q->error = q->cs.error ? q->cs.error : ret;
			if (fw_entry_done(q, q->sync_va, q->sync_seqno, ret))
				return;
			spent++;
			break;
		}
	}
}

/* Whether @q may run now; *deadline is lowered to when a parked queue
 * should be looked at again. (lock) */
static bool fw_queue_runnable_locked(struct simgpu_fw *fw, struct fw_queue *q,
				     uint64_t now, uint64_t *deadline)
{
	if (!q->started || !q->group->started || q->on_core ||
	    atomic_load(&q->stop))
		return false;
	if (q->status != fw->c.q_idle && q->status != fw->c.q_running &&
	    q->status != fw->c.q_waiting)
		return false;
	if (q->waiting) {
		if (q->wait_epoch != fw->epoch || now >= q->wait_deadline_ns)
			return true;
		if (q->wait_deadline_ns < *deadline)
			*deadline = q->wait_deadline_ns;
		return false;
	}
	return q->in_entry ||
	       fw_get(fw, SIMGPU_FW_QUEUE_RING_INSERT, q->iface) != q->extract;
}

/* The runnable queue of the highest group priority that ran least
 * recently, or NULL. (lock) */
static struct fw_queue *fw_pick_locked(struct simgpu_fw *fw, uint64_t *deadline)
{
	struct fw_queue *best = NULL;
	uint64_t now = fw_now_ns();
	unsigned int i;

	*deadline = UINT64_MAX;
	for (i = 0; i < fw->num_queues; i++) {
		struct fw_queue *q = &fw->queues[i];

		if (!fw_queue_runnable_locked(fw, q, now, deadline))
			continue;
		if (!best || q->group->priority > best->group->priority ||
		    (q->group->priority == best->group->priority &&
		     q->last_run < best->last_run))
			best = q;
	}
	return best;
}

static void *fw_core_main(void *arg)
{
	struct fw_core *core = arg;
	struct simgpu_fw *fw = core->fw;
	struct fw_queue *q;
	uint64_t deadline;

	pthread_mutex_lock(&fw->lock);
	while (!fw->exit) {
		if (fw_help_dispatch_locked(fw))
			continue;
		q = fw_pick_locked(fw, &deadline);
		if (!q) {
			simgpu_cond_wait_until(&fw->cond, &fw->lock, deadline);
			continue;
		}
		q->on_core = true;
		q->waiting = false;
		q->last_run = ++fw->rr_clock;
		if (q->status != fw->c.q_running)
			fw_queue_set_status_locked(q, fw->c.q_running);
		if (q->mmu_stale) {
			/* Tables and pages anywhere in the physical space;
			 * MMU_FLUSH reaches the running context. */
			simgpu_mmu_init(&q->mmu, fw->dev->vram,
					fw->dev->phys_size, q->group->as_root);
			simgpu_mmu_set_flush_seq(&q->mmu,
						 &fw->dev->mmu_flush_seq);
			q->mmu_stale = false;
		}
		pthread_mutex_unlock(&fw->lock);

		fw_run_queue(core, q);

		pthread_mutex_lock(&fw->lock);
		/* A stuck queue keeps its core until it is stopped. */
		while (q->status == fw->c.q_stuck && q->started &&
		       q->group->started && !fw->exit)
			pthread_cond_wait(&fw->cond, &fw->lock);
		q->on_core = false;
		pthread_cond_broadcast(&fw->cond);
	}
	pthread_mutex_unlock(&fw->lock);
	return NULL;
}

/*
 * The MCU: requests, watchdog.
 */

/* Waits until @q is off every core. (lock) */
static void fw_queue_evict_locked(struct simgpu_fw *fw, struct fw_queue *q)
{
	atomic_store(&q->stop, true);
	pthread_cond_broadcast(&fw->cond);
	while (q->on_core)
		pthread_cond_wait(&fw->cond, &fw->lock);
}

static void fw_queue_start_locked(struct simgpu_fw *fw, struct fw_queue *q)
{
	uint64_t es = fw->c.entry_size;
	uint64_t doorbell;

	q->ring_base = fw_get(fw, SIMGPU_FW_QUEUE_RING_BASE, q->iface);
	q->ring_size = fw_get(fw, SIMGPU_FW_QUEUE_RING_SIZE, q->iface);
	q->extract = fw_get(fw, SIMGPU_FW_QUEUE_RING_EXTRACT, q->iface);
	doorbell = fw_get(fw, SIMGPU_FW_QUEUE_DOORBELL, q->iface);
	q->started = true;
	q->waiting = false;
	q->in_entry = false;
	q->error = 0;
	q->mmu_stale = true;
	atomic_store(&q->entry_start_ns, 0);
	atomic_store(&q->stop, false);
	fw_set(fw, SIMGPU_FW_QUEUE_FAULT_VA, q->iface, 0);
	fw_set(fw, SIMGPU_FW_QUEUE_FAULT_ACCESS, q->iface, 0);
	if (!q->ring_size || (q->ring_size & (q->ring_size - 1)) ||
	    q->ring_size % es || q->extract % es ||
	    doorbell >= fw->dev->num_doorbells) {
		fw_set_errno(fw, SIMGPU_FW_QUEUE_ERROR, q->iface, -EINVAL);
		fw_queue_set_status_locked(q, fw->c.q_error);
		return;
	}
	fw_set(fw, SIMGPU_FW_QUEUE_ERROR, q->iface, 0);
	fw_queue_set_status_locked(q, fw->c.q_idle);
}

/* Performs the pending requests of one queue. Returns whether any was.
 * (lock) */
static bool fw_queue_requests_locked(struct simgpu_fw *fw, struct fw_queue *q)
{
	uint64_t req = fw_get(fw, SIMGPU_FW_QUEUE_REQ, q->iface);
	uint64_t ack = fw_get(fw, SIMGPU_FW_QUEUE_ACK, q->iface);
	uint64_t pending = (req ^ ack) & (fw->c.queue_start | fw->c.queue_stop);

	if (!pending)
		return false;
	if (pending & fw->c.queue_stop) {
		q->started = false;
		fw_queue_evict_locked(fw, q);
		q->waiting = false;
		q->in_entry = false;
		atomic_store(&q->entry_start_ns, 0);
		fw_queue_set_status_locked(q, fw->c.q_stopped);
	}
	if ((pending & fw->c.queue_start) && !q->started)
		fw_queue_start_locked(fw, q);
	fw_set(fw, SIMGPU_FW_QUEUE_ACK, q->iface, ack ^ pending);
	return true;
}

static bool fw_group_requests_locked(struct simgpu_fw *fw, unsigned int g)
{
	struct fw_group *grp = &fw->groups[g];
	uint64_t req = fw_get(fw, SIMGPU_FW_GROUP_REQ, grp->iface);
	uint64_t ack = fw_get(fw, SIMGPU_FW_GROUP_ACK, grp->iface);
	uint64_t pending = (req ^ ack) & (fw->c.group_start | fw->c.group_stop |
					  fw->c.group_priority);
	uint64_t priority;
	unsigned int i;

	if (!pending)
		return false;
	if (pending & fw->c.group_stop) {
		grp->started = false;
		for (i = 0; i < fw->queues_per_group; i++)
			fw_queue_evict_locked(
				fw, &fw->queues[g * fw->queues_per_group + i]);
		fw_set(fw, SIMGPU_FW_GROUP_STATUS, grp->iface, 0);
	}
	if (pending & (fw->c.group_start | fw->c.group_priority)) {
		priority = fw_get(fw, SIMGPU_FW_GROUP_PRIORITY, grp->iface);
		grp->priority = priority > FW_PRIORITY_MAX ? FW_PRIORITY_MAX
							   : (uint32_t)priority;
	}
	if ((pending & fw->c.group_start) && !grp->started) {
		grp->as_root = fw_get(fw, SIMGPU_FW_GROUP_AS_ROOT, grp->iface);
		grp->started = true;
		for (i = 0; i < fw->queues_per_group; i++) {
			struct fw_queue *q =
				&fw->queues[g * fw->queues_per_group + i];

			q->mmu_stale = true;
			if (q->started)
				atomic_store(&q->stop, false);
		}
		fw_set(fw, SIMGPU_FW_GROUP_STATUS, grp->iface, 1);
	}
	fw_set(fw, SIMGPU_FW_GROUP_ACK, grp->iface, ack ^ pending);
	return true;
}

/* Reports queues whose EXEC entry has run too long. (lock) */
static bool fw_watchdog_locked(struct simgpu_fw *fw, uint64_t now)
{
	uint64_t limit = (uint64_t)fw->watchdog_ms * 1000000ull;
	bool fired = false;
	unsigned int i;

	if (!limit)
		return false;
	for (i = 0; i < fw->num_queues; i++) {
		struct fw_queue *q = &fw->queues[i];
		uint64_t start = atomic_load(&q->entry_start_ns);

		if (!q->started || !start || now - start <= limit ||
		    (q->status != fw->c.q_running &&
		     q->status != fw->c.q_waiting))
			continue;
		fw_set_errno(fw, SIMGPU_FW_QUEUE_ERROR, q->iface, -ETIMEDOUT);
		fw_queue_set_status_locked(q, fw->c.q_stuck);
		atomic_store(&q->stop, true);
		fired = true;
	}
	return fired;
}

/* The global interface; returns the pending request bits it did not
 * handle (GLB_HALT). */
static uint64_t fw_global_requests(struct simgpu_fw *fw, bool *irq)
{
	uint64_t req = fw_get(fw, SIMGPU_FW_GLOBAL_REQ, fw->global);
	uint64_t ack = fw_get(fw, SIMGPU_FW_GLOBAL_ACK, fw->global);
	uint64_t pending = (req ^ ack) & (fw->c.glb_halt | fw->c.glb_ping |
					  fw->c.glb_watchdog_cfg);
	uint64_t done = pending & ~fw->c.glb_halt;

	if (pending & fw->c.glb_ping)
		fw_set(fw, SIMGPU_FW_GLOBAL_PONG_SEQ, fw->global,
		       fw_get(fw, SIMGPU_FW_GLOBAL_PING_SEQ, fw->global));
	if (pending & fw->c.glb_watchdog_cfg) {
		uint64_t ms =
			fw_get(fw, SIMGPU_FW_GLOBAL_WATCHDOG_MS, fw->global);

		pthread_mutex_lock(&fw->lock);
		fw->watchdog_ms = (uint32_t)ms;
		pthread_mutex_unlock(&fw->lock);
	}
	if (done) {
		fw_set(fw, SIMGPU_FW_GLOBAL_ACK, fw->global, ack ^ done);
		*irq = true;
	}
	return pending & fw->c.glb_halt;
}

/* Waits for a doorbell, a hard halt or @timeout_ms. */
static void fw_mcu_wait(struct simgpu_fw *fw, uint64_t *seen,
			unsigned int timeout_ms)
{
	struct simgpu_dev *dev = fw->dev;
	uint64_t deadline = fw_now_ns() + timeout_ms * 1000000ull;

	pthread_mutex_lock(&dev->wake_lock);
	while (dev->wake_seq == *seen && !atomic_load(&fw->stop_request))
		if (simgpu_cond_wait_until(&dev->wake_cond, &dev->wake_lock,
					   deadline) == ETIMEDOUT)
			break;
	*seen = dev->wake_seq;
	pthread_mutex_unlock(&dev->wake_lock);
}

/* Whether an EXEC entry is under way somewhere (the watchdog then needs
 * to look often). */
static bool fw_any_entry_running(struct simgpu_fw *fw)
{
	for (unsigned int i = 0; i < fw->num_queues; i++)
		if (atomic_load(&fw->queues[i].entry_start_ns))
			return true;
	return false;
}

static void fw_stop_cores(struct simgpu_fw *fw)
{
	unsigned int i;

	pthread_mutex_lock(&fw->lock);
	fw->exit = true;
	for (i = 0; i < fw->num_queues; i++)
		atomic_store(&fw->queues[i].stop, true);
	pthread_cond_broadcast(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
	for (i = 0; i < fw->num_cores; i++) {
		if (fw->cores[i].started)
			pthread_join(fw->cores[i].thread, NULL);
		fw->cores[i].started = false;
	}
}

static void fw_mcu_loop(struct simgpu_fw *fw)
{
	uint64_t seen = 0, halt = 0;
	unsigned int i, w, words = (fw->dev->num_doorbells + 63) / 64;

	for (;;) {
		bool irq = false, rang = false;
		unsigned int timeout = FW_IDLE_WAKE_MS, wd;

		if (atomic_load(&fw->stop_request))
			return;
		if (atomic_load(&fw->dev->inject) & SIMGPU_INJECT_MCU_HANG) {
			fw_mcu_wait(fw, &seen, FW_IDLE_WAKE_MS);
			continue;
		}
		for (w = 0; w < words; w++)
			if (simgpu_dev_take_doorbells(fw->dev, w))
				rang = true;

		halt = fw_global_requests(fw, &irq);
		pthread_mutex_lock(&fw->lock);
		for (i = 0; i < fw->num_groups; i++)
			irq |= fw_group_requests_locked(fw, i);
		for (i = 0; i < fw->num_queues; i++)
			irq |= fw_queue_requests_locked(fw, &fw->queues[i]);
		irq |= fw_watchdog_locked(fw, fw_now_ns());
		if (rang || irq)
			fw_kick_locked(fw);
		wd = fw->watchdog_ms;
		pthread_mutex_unlock(&fw->lock);
		fw_set(fw, SIMGPU_FW_GLOBAL_FW_TIME_NS, fw->global,
		       fw_now_ns());
		if (irq)
			fw_raise_irq(fw);
		if (halt)
			break;

		if (wd && fw_any_entry_running(fw)) {
			timeout = wd / 4 < timeout ? wd / 4 : timeout;
			timeout = timeout ? timeout : 1;
		}
		fw_mcu_wait(fw, &seen, timeout);
	}

	/* GLB_HALT: the cores stop between instructions, then the ack. */
	fw_stop_cores(fw);
	fw_set(fw, SIMGPU_FW_GLOBAL_HALT_STATUS, fw->global, 0);
	fw_set(fw, SIMGPU_FW_GLOBAL_ACK, fw->global,
	       fw_get(fw, SIMGPU_FW_GLOBAL_ACK, fw->global) ^ halt);
	atomic_store(&fw->dev->boot_status, SIMGPU_BOOT_HALTED);
	fw_raise_irq(fw);
}

/*
 * Boot.
 */

/* Checks the image and finds its version; 0 or the boot status. */
static int fw_check_image(struct simgpu_fw *fw)
{
	struct simgpu_dev *dev = fw->dev;
	const struct fwabi_version *first = &simgpu_fw_versions[0];
	uint64_t image = atomic_load(&dev->reg_fw_image);
	uint64_t header_size, image_size, good_magic, magic = 0, code = 0;
	const uint8_t *hdr;

	/* Magic and version have the same offsets in every version: read
	 * them with the first one's layout, then use the image's own. */
	if (image % 8 || image >= dev->vram_size ||
	    dev->vram_size - image <
		    fwabi_sizeof(first, SIMGPU_FW_S_IMAGE_HEADER))
		return -EINVAL;
	hdr = dev->vram + image;
	fwabi_get(first, SIMGPU_FW_IMAGE_HEADER_MAGIC, hdr, 0, &magic);
	fwabi_get(first, SIMGPU_FW_IMAGE_HEADER_ABI_VERSION, hdr, 0, &code);
	fw->v = simgpu_fw_abi_lookup((uint32_t)code);
	if (!fw->v)
		return -ENODEV;
	good_magic = fw_const(fw->v, SIMGPU_FW_C_IMAGE_MAGIC, NULL);
	if (magic != good_magic)
		return -ENODEV;

	header_size = fwabi_sizeof(fw->v, SIMGPU_FW_S_IMAGE_HEADER);
	if (dev->vram_size - image < header_size)
		return -EINVAL;
	if (fw_get(fw, SIMGPU_FW_IMAGE_HEADER_HEADER_SIZE, hdr) != header_size)
		return -EINVAL;
	image_size = fw_get(fw, SIMGPU_FW_IMAGE_HEADER_IMAGE_SIZE, hdr);
	if (image_size < header_size || image_size > dev->vram_size - image)
		return -EINVAL;
	return 0;
}

/* Lays out the shared area and writes the control block; 0 or the boot
 * status. */
static int fw_setup_shared(struct simgpu_fw *fw)
{
	struct simgpu_dev *dev = fw->dev;
	uint64_t shared = atomic_load(&dev->reg_shared);
	uint64_t size = atomic_load(&dev->reg_shared_size);
	const void *hdr = dev->vram + atomic_load(&dev->reg_fw_image);
	uint64_t features, supported;
	unsigned int i;
	int ret;

	ret = simgpu_fw_shared_layout(fw->v, fw->num_groups,
				      fw->queues_per_group, &fw->layout);
	if (ret)
		return ret;
	if (shared % 64 || size < fw->layout.size || shared > dev->vram_size ||
	    dev->vram_size - shared < size)
		return -EINVAL;
	fw->shared = dev->vram + shared;
	/* Every output starts at 0, every request as acknowledged. */
	for (i = 0; i < fw->layout.size; i += 8)
		__atomic_store_n((uint64_t *)(fw->shared + i), 0,
				 __ATOMIC_RELAXED);
	fw->control = fw->shared;
	fw->global = fw->shared + fw->layout.global_offset;
	for (i = 0; i < fw->num_groups; i++)
		fw->groups[i].iface = fw->shared + fw->layout.group_offset +
				      (size_t)i * fw->layout.group_stride;
	for (i = 0; i < fw->num_queues; i++) {
		fw->queues[i].iface = fw->shared + fw->layout.queue_offset +
				      (size_t)i * fw->layout.queue_stride;
		fw_set(fw, SIMGPU_FW_QUEUE_STATUS, fw->queues[i].iface,
		       fw->c.q_stopped);
		fw->queues[i].status = (uint32_t)fw->c.q_stopped;
	}

	supported = fw->c.feat_timestamp | fw->c.feat_sync_wait;
	features = fw_get(fw, SIMGPU_FW_IMAGE_HEADER_FEATURES, hdr) & supported;
	fw_set(fw, SIMGPU_FW_CONTROL_VERSION, fw->control, fw->v->code);
	fw_set(fw, SIMGPU_FW_CONTROL_FEATURES, fw->control, features);
	fw_set(fw, SIMGPU_FW_CONTROL_NUM_GROUPS, fw->control, fw->num_groups);
	fw_set(fw, SIMGPU_FW_CONTROL_QUEUES_PER_GROUP, fw->control,
	       fw->queues_per_group);
	fw_set(fw, SIMGPU_FW_CONTROL_NUM_CORES, fw->control, fw->num_cores);
	fw_set(fw, SIMGPU_FW_CONTROL_LEGACY_TIMER_HZ, fw->control, 1000);
	fw_set(fw, SIMGPU_FW_CONTROL_GLOBAL_OFFSET, fw->control,
	       fw->layout.global_offset);
	fw_set(fw, SIMGPU_FW_CONTROL_GROUP_OFFSET, fw->control,
	       fw->layout.group_offset);
	fw_set(fw, SIMGPU_FW_CONTROL_GROUP_STRIDE, fw->control,
	       fw->layout.group_stride);
	fw_set(fw, SIMGPU_FW_CONTROL_QUEUE_OFFSET, fw->control,
	       fw->layout.queue_offset);
	fw_set(fw, SIMGPU_FW_CONTROL_QUEUE_STRIDE, fw->control,
	       fw->layout.queue_stride);
	fw_set(fw, SIMGPU_FW_CONTROL_RING_ENTRY_SIZE, fw->control,
	       fw->c.entry_size);
	/* The magic last: a driver that sees it sees the rest. */
	fw_set(fw, SIMGPU_FW_CONTROL_MAGIC, fw->control, fw->c.control_magic);
	return 0;
}

static int fw_start_cores(struct simgpu_fw *fw)
{
	unsigned int i;
	int ret;

	for (i = 0; i < fw->num_cores; i++) {
		fw->cores[i].fw = fw;
		ret = pthread_create(&fw->cores[i].thread, NULL, fw_core_main,
				     &fw->cores[i]);
		if (ret)
			return -ret;
		fw->cores[i].started = true;
	}
	return 0;
}

static void *fw_mcu_main(void *arg)
{
	struct simgpu_fw *fw = arg;
	int ret;

	ret = fw_check_image(fw);
	if (!ret) {
		fw_consts_init(fw);
		/* A version whose control block cannot announce its cores
		 * (1.0) is firmware for one core. */
		if (!fwabi_has(fw->v, SIMGPU_FW_CONTROL_NUM_CORES))
			fw->num_cores = 1;
		if (!fw->c.entry_size || fw->c.entry_size > FW_MAX_ENTRY_SIZE)
			ret = -ENODEV;
	}
	if (!ret)
		ret = fw_setup_shared(fw);
	if (!ret)
		ret = fw_start_cores(fw);
	if (ret) {
		fw_stop_cores(fw);
		atomic_store(&fw->dev->boot_status, ret);
		fw_raise_irq(fw);
		atomic_store(&fw->exited, true);
		return NULL;
	}
	atomic_store(&fw->dev->boot_status, SIMGPU_BOOT_READY);
	fw_raise_irq(fw);

	fw_mcu_loop(fw);
	/* After a hard halt (CONTROL=HALT) the cores still run. */
	fw_stop_cores(fw);
	atomic_store(&fw->exited, true);
	return NULL;
}

int simgpu_fw_boot(struct simgpu_dev *dev, struct simgpu_fw **out)
{
	struct simgpu_fw *fw;
	unsigned int i;
	int ret;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	fw->dev = dev;
	fw->num_groups = dev->config.num_groups;
	fw->queues_per_group = dev->config.queues_per_group;
	fw->num_queues = fw->num_groups * fw->queues_per_group;
	fw->num_cores = dev->config.num_cores;
	fw->groups = calloc(fw->num_groups, sizeof(*fw->groups));
	fw->queues = calloc(fw->num_queues, sizeof(*fw->queues));
	fw->cores = calloc(fw->num_cores, sizeof(*fw->cores));
	if (!fw->groups || !fw->queues || !fw->cores) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < fw->num_queues; i++) {
		fw->queues[i].fw = fw;
		fw->queues[i].group = &fw->groups[i / fw->queues_per_group];
		atomic_init(&fw->queues[i].entry_start_ns, 0);
		atomic_init(&fw->queues[i].stop, false);
	}
	atomic_init(&fw->stop_request, false);
	atomic_init(&fw->exited, false);
	pthread_mutex_init(&fw->lock, NULL);
	simgpu_cond_init_monotonic(&fw->cond);

	ret = pthread_create(&fw->mcu, NULL, fw_mcu_main, fw);
	if (ret) {
		ret = -ret;
		goto err_sync;
	}
	*out = fw;
	return 0;

err_sync:
	pthread_cond_destroy(&fw->cond);
	pthread_mutex_destroy(&fw->lock);
err_free:
	free(fw->cores);
	free(fw->queues);
	free(fw->groups);
	free(fw);
	return ret;
}

bool simgpu_fw_exited(struct simgpu_fw *fw)
{
	return atomic_load(&fw->exited);
}

void simgpu_fw_destroy(struct simgpu_fw *fw)
{
	atomic_store(&fw->stop_request, true);
	simgpu_dev_wake(fw->dev);
	pthread_join(fw->mcu, NULL);
	pthread_cond_destroy(&fw->cond);
	pthread_mutex_destroy(&fw->lock);
	free(fw->cores);
	free(fw->queues);
	free(fw->groups);
	free(fw);
}

static uint32_t fw_align64(uint32_t x)
{
	return (x + 63u) & ~63u;
}

int simgpu_fw_shared_layout(const struct fwabi_version *v,
			    unsigned int num_groups,
			    unsigned int queues_per_group,
			    struct simgpu_fw_layout *layout)
{
	uint32_t control = fwabi_sizeof(v, SIMGPU_FW_S_CONTROL);
	uint32_t global = fwabi_sizeof(v, SIMGPU_FW_S_GLOBAL);
	uint32_t group = fwabi_sizeof(v, SIMGPU_FW_S_GROUP);
	uint32_t queue = fwabi_sizeof(v, SIMGPU_FW_S_QUEUE);
	uint64_t size;

	if (!control || !global || !group || !queue)
		return -EINVAL;
	layout->global_offset = fw_align64(control);
	layout->group_offset = layout->global_offset + fw_align64(global);
	layout->group_stride = fw_align64(group);
	layout->queue_offset =
		layout->group_offset + num_groups * layout->group_stride;
	layout->queue_stride = fw_align64(queue);
	size = layout->queue_offset +
	       (uint64_t)num_groups * queues_per_group * layout->queue_stride;
	if (size > UINT32_MAX)
		return -EINVAL;
	layout->size = (uint32_t)size;
	return 0;
}
