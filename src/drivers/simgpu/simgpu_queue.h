/* SPDX-License-Identifier: MIT */
/*
 * simgpu queues, submission and recovery.
 *
 * A queue has a ring (in VRAM, mapped in its VM's kernel range), a sync
 * object the firmware writes when an entry is done, and its own udrm
 * scheduler with one entity (1:1, as firmware-scheduled Panthor), whose
 * credit limit is the ring's number of entries. run_job calls
 * simgpu_vm_prepare_job, writes the ring entry and, if the queue holds a
 * firmware slot, publishes it and rings its doorbell; its hardware fence
 * signals when the queue's sync object reaches the job's seqno, in order.
 *
 * Firmware slots: each queue with work needs a group slot (one queue per
 * group, the group's address space its VM's). Queues beyond the slot
 * count wait; a slot is taken from an idle queue first, then the
 * lowest-priority queue that has held its slot for a time slice is
 * drained (no new entries published) and gives it up when idle, so that
 * every queue runs, highest priority first.
 *
 * The interrupt thread reads the interrupt line and, for every resident
 * queue, signals the fences its sync object passed, and handles faults
 * (the job fails with -EFAULT, the queue is banned with FAULTED, the VM
 * marked faulted) and errors. A job that times out without progress
 * (scheduler timeout; a job still progressing gets NO_HANG) bans its
 * queue (TIMEDOUT) and resets the firmware: halt, reboot, every other
 * queue's unfinished entries run again (INNOCENT). A heartbeat thread
 * pings the firmware every heartbeat_ms and resets it the same way when it
 * does not answer. Device teardown cancels what is in flight.
 */
#ifndef SIMGPU_QUEUE_H
#define SIMGPU_QUEUE_H

struct udrm_device;
struct udrm_file;
struct simgpu_device;
struct simgpu_file;

/* Boots the firmware and starts the interrupt and heartbeat threads. */
int simgpu_sched_init(struct simgpu_device *sdev);
/* After every file closed: stops the threads, halts the firmware. */
void simgpu_sched_fini(struct simgpu_device *sdev);

/* File close: destroys every queue of @sfile (jobs not run: -ECANCELED). */
void simgpu_queue_file_close(struct simgpu_file *sfile);

int simgpu_queue_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file);
int simgpu_queue_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file);
int simgpu_submit_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file);
int simgpu_queue_get_state_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file);

#endif
