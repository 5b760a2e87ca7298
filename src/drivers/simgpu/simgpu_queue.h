/* SPDX-License-Identifier: MIT */
/*
 * simgpu queues, submission and recovery.
 *
 * A queue has a ring (in VRAM, mapped in its VM's kernel range), one sync
 * object per ring entry that the firmware writes when the entry is done
 * ({seqno, status}), and its own udrm scheduler with one entity (1:1, as
 * firmware-scheduled Panthor), whose credit limit is the ring's number of
 * entries. run_job calls simgpu_vm_prepare_job, writes the ring entry and,
 * if the queue holds a firmware slot, publishes it and rings its doorbell;
 * its hardware fence signals, in order, when its entry's sync object
 * reaches the job's seqno, with the status the firmware wrote there.
 *
 * Firmware slots: each queue with work needs a group slot (one queue per
 * group, the group's address space its VM's). Queues beyond the slot
 * count wait; a slot is taken from an idle queue first, then the
 * lowest-priority queue that has held its slot for a time slice is
 * drained (no new entries published) and gives it up when idle, so that
 * every queue runs, highest priority first.
 *
 * The interrupt thread reads the interrupt line and, for every queue,
 * signals the fences its sync object passed; a completion carrying an
 * error goes to the slot manager, which handles faults first (the job
 * fails with -EFAULT, the queue is banned with FAULTED, the VM marked
 * faulted, later jobs -ECANCELED) and errors (-EINVAL) likewise. A job that
 * times out without progress (scheduler timeout; a job still progressing gets
 * NO_HANG) bans its queue (TIMEDOUT) and resets the firmware: halt, reboot,
 * every other queue's unfinished entries run again (INNOCENT). A heartbeat
 * thread pings the firmware every heartbeat_ms and resets it the same way when
 * it does not answer. Device teardown cancels what is in flight.
 *
 * Files: simgpu_queue.c has the queues, the ioctls, run_job and the
 * completion of hardware fences; simgpu_sched.c the threads (interrupt,
 * slot manager, heartbeat), slot rotation, faults and firmware resets,
 * and the debugfs file "simgpu_inject" (writing "mcu_hang" makes the
 * firmware's MCU stop answering, for heartbeat tests).
 */
#ifndef SIMGPU_QUEUE_H
#define SIMGPU_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/drm_mm.h"
#include "sched/gpu_scheduler.h"
#include "simgpu_fwif.h"

struct udrm_device;
struct udrm_file;
struct simgpu_device;
struct simgpu_file;
struct simgpu_vm;

/* Boots the firmware and starts the interrupt and heartbeat threads. */
int simgpu_sched_init(struct simgpu_device *sdev);
/* After every file closed: stops the threads, halts the firmware. */
void simgpu_sched_fini(struct simgpu_device *sdev);

/* File close: destroys every queue of @sfile (as QUEUE_DESTROY: jobs on
 * the firmware -ECANCELED, jobs still waiting for dependencies -ESRCH). */
void simgpu_queue_file_close(struct simgpu_file *sfile);

int simgpu_queue_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file);
int simgpu_queue_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file);
int simgpu_submit_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file);
int simgpu_queue_get_state_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file);

/*
 * Internal to simgpu_queue.c and simgpu_sched.c.
 *
 * Lock order (outermost first):
 *   sched->fw_lock -> sched->lock -> queue->lock -> queue->fence_lock
 *   -> a hardware fence's own lock -> (fence callbacks: the udrm
 *   scheduler's locks).
 * fw_lock serialises everything that talks to the firmware with a
 * request (slot bind/unbind, group start/stop, ping, halt, reboot) and
 * every change of the queue list; the interrupt thread never takes it,
 * so that firmware waits (which wait for its wake-ups) always end.
 * No lock of this module is held while calling udrm_sched_stop/start/fini
 * or simgpu_vm_prepare_job.
 */

/* A queue's hardware fence: the job's ring entry, done when the sync
 * object's seqno reaches @base.seqno. */
struct simgpu_hw_fence {
	struct udrm_fence base;	      /* own lock */
	struct simgpu_hw_fence *next; /* (queue->fence_lock) in flight */
	uint64_t ring_pos;	      /* ring position of the entry */
	int error;		      /* forced error (prepare failed), or 0 */
};

struct simgpu_queue {
	atomic_int refcount; /* the file's id, ioctls in progress */
	struct simgpu_sched *sched;
	struct simgpu_vm *vm;		/* a reference */
	uint32_t priority;		/* DRM_SIMGPU_QUEUE_PRIORITY_* */
	struct simgpu_queue *list_next; /* (fw_lock + sched->lock) */
	uint64_t served_pass, sort_key; /* (fw_lock) the slot manager's */

	/* Ring and sync objects: one VRAM range, mapped at ring_va in the
	 * VM's kernel range; the sync objects follow the ring, one per ring
	 * entry (entry i's at sync_va + i * sync_stride), so that the status
	 * the firmware writes for an entry is its job's alone. */
	struct udrm_mm_node vram;
	uint64_t ring_size, map_size, ring_va, sync_va;
	void *sync_cpu;
	uint32_t sync_stride;

	struct udrm_gpu_scheduler gsched;
	struct udrm_sched_entity entity;
	uint64_t fence_context;

	pthread_mutex_t lock;
	/* (lock) */
	struct simgpu_fwif_queue fq; /* ring positions and the slot */
	uint64_t seqno;		     /* last seqno written to the ring */
	/* Written with fw_lock and lock held, read with either. */
	int slot;		      /* group slot, -1 when unbound */
	bool draining;		      /* entries pushed are not published */
	uint64_t bound_ns;	      /* when it took its slot */
	uint64_t waiting_since_ns;    /* unbound with work: since when */
	uint64_t last_progress;	      /* the firmware's counter, last check */
	uint64_t last_progress_seqno; /* the oldest job at that check */
	unsigned int stalled_checks;  /* running without progress */
	/* What QUEUE_GET_STATE says (lock). */
	uint32_t state; /* DRM_SIMGPU_QUEUE_STATE_* */
	uint64_t fault_va;
	int32_t error;
	atomic_bool banned; /* no more entries run; set under lock */

	pthread_mutex_t fence_lock;
	/* (fence_lock) in flight, oldest first (references) */
	struct simgpu_hw_fence *fences, **fences_tail;
	atomic_bool has_error; /* a completion carrying an error waits */
};

struct simgpu_sched {
	struct simgpu_device *sdev;
	uint32_t ring_entry_size; /* of the booted firmware */
	uint32_t sync_stride;	  /* bytes between a ring's sync objects */

	/* The interrupt thread and the fwif's wait hook. */
	pthread_t irq_thread;
	int stop_fd; /* eventfd: makes the interrupt thread leave */
	pthread_mutex_t irq_lock;
	pthread_cond_t irq_cond;
	uint64_t irq_seq; /* (irq_lock) interrupts seen */

	pthread_mutex_t fw_lock; /* see the lock order */

	/* Wire values of the running firmware's constants. */
	uint64_t msg_exec, msg_nop;
	uint64_t st_idle, st_running, st_faulted, st_error, st_stuck;
	uint64_t fault_write;

	pthread_mutex_t lock;
	pthread_cond_t cond;	     /* (lock) wakes the slot manager */
	pthread_cond_t hb_cond;	     /* (lock) wakes the heartbeat thread */
	bool contended;		     /* (lock) queues wait for slots or drain */
	struct simgpu_queue *queues; /* (fw_lock + lock to change) */
	struct simgpu_queue **slots; /* (fw_lock) resident queue per group */
	unsigned int num_slots;
	uint64_t pass;			   /* (fw_lock) slot manager passes */
	bool exiting;			   /* (lock) */
	bool kick;			   /* (lock) the manager has work */
	bool reset_pending;		   /* (lock) */
	struct simgpu_queue *reset_guilty; /* (lock) not a reference */
	bool fw_dead;			   /* (fw_lock) a reboot failed */

	pthread_t manager_thread, heartbeat_thread;
	bool have_manager, have_heartbeat, have_irq;
};

/* simgpu_queue.c */
/* Signals the fences whose entries' sync objects reached their seqno, in
 * order, each with its entry's status. Returns how many. With
 * @defer_errors, stops before a fence that would carry an error and sets
 * has_error instead, so that the queue's state is known before its failed
 * job completes. Takes fence_lock. */
unsigned int simgpu_queue_complete(struct simgpu_queue *q, bool defer_errors);
/* Completes every fence left in flight: the first with @first_error,
 * the others with -ECANCELED. Takes fence_lock. */
void simgpu_queue_cancel_fences(struct simgpu_queue *q, int first_error);
/* The ring position of the oldest entry in flight, or @q's insert
 * position when none is. (lock) */
uint64_t simgpu_queue_replay_pos(struct simgpu_queue *q);
/* Whether @q has entries in flight; *published_left: some published
 * entry is not done. (lock) */
bool simgpu_queue_busy(struct simgpu_queue *q, bool *published_left);
/* The oldest fence's seqno in flight, or 0. */
uint64_t simgpu_queue_oldest_seqno(struct simgpu_queue *q);

/* simgpu_sched.c */
/* Asks the slot manager to look at the queues again. */
void simgpu_sched_wake(struct simgpu_sched *sched);
/* Adds/removes @q to/from the queue list; remove also gives its slot
 * back (stopping it on the firmware) and completes its fences. */
void simgpu_sched_add_queue(struct simgpu_sched *sched, struct simgpu_queue *q);
void simgpu_sched_remove_queue(struct simgpu_sched *sched,
			       struct simgpu_queue *q);
/* A hang of @q (the scheduler timed out on it): ban it and reset the
 * firmware from the manager thread. */
void simgpu_sched_report_hang(struct simgpu_sched *sched,
			      struct simgpu_queue *q);
/* The firmware group priority of a queue priority. */
uint32_t simgpu_sched_fw_priority(uint32_t queue_priority);

#endif
