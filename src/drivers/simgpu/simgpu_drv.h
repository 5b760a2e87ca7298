/* SPDX-License-Identifier: MIT */
/*
 * simgpu, the DRM driver: what its modules share. As Panthor:
 *
 *   simgpu_drv.c    load/unload, options, the ioctl table, DEV_QUERY,
 *                   per-file state
 *   simgpu_sync.c   {stride, count, pointer} arrays and sync ops
 *   simgpu_gem.c    buffers: placement in VRAM or the system aperture,
 *                   eviction and restore (simgpu_gem.h)
 *   simgpu_vm.c     VMs: GPUVM, page tables, VM_BIND sync and async,
 *                   validation before a job (simgpu_vm.h)
 *   simgpu_queue.c  queues: one scheduler per queue, firmware slots
 *                   rotated by priority, submission, completion from the
 *                   interrupt, faults, timeouts, heartbeat and firmware
 *                   reboot (simgpu_queue.h)
 *
 * Ownership: the udrm_device owns the simgpu_device (driver_private),
 * which owns the simgpu_dev (the hardware), the firmware interface and the
 * modules' state. A udrm_file owns its simgpu_file (driver_private): ids
 * of VMs and queues, each holding a reference.
 *
 * Lock order (outermost first):
 *   sfile->lock -> vm->lock -> reservation locks (GPUVM exec, by address)
 *   -> mem->lock (simgpu_gem.c) -> hw->vram_lock.
 * The queue module's locks are taken without any of these held, but for
 * simgpu_vm_prepare_job(), which is called with none held and takes them.
 */
#ifndef SIMGPU_DRV_H
#define SIMGPU_DRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/device.h"
#include "core/file.h"
#include "core/idr.h"
#include "firmware/simgpu_dev.h"
#include "simgpu_fwif.h"
#include "udrm/simgpu_drm.h"

struct udrm_device;
struct udrm_file;
struct udrm_fence_names;
struct simgpu_mem;
struct simgpu_sched;

/* What the configuration file gives the driver (see simgpu_drv.c). */
struct simgpu_options {
	struct simgpu_dev_config hw; /* VRAM, aperture, cores, slots, fw */
	uint32_t job_timeout_ms;     /* scheduler timeout per job */
	uint32_t heartbeat_ms;	     /* firmware ping period; 0 = none */
};

/* simgpu_options_parse - the defaults, then the "key=value" lines of
 * @text (see simgpu_drv.c); -EINVAL for an unknown key or a bad value. */
int simgpu_options_parse(const char *text, struct simgpu_options *o);

/* dev->driver_private */
struct simgpu_device {
	struct udrm_device *drm;
	struct simgpu_options opts;
	struct simgpu_dev *hw;
	/* Set up by load, used by the queue module (which serialises boot,
	 * reboot and slot requests, see simgpu_queue.c). */
	struct simgpu_fwif fwif;
	struct udrm_fence_names *fence_names; /* "simgpu" */
	_Atomic uint64_t reboots;	      /* firmware reboots */
	struct simgpu_mem *mem;		      /* simgpu_gem.c */
	struct simgpu_sched *sched;	      /* simgpu_queue.c */
};

/* file->driver_private */
struct simgpu_file {
	struct simgpu_device *sdev;
	struct udrm_file *file;
	pthread_mutex_t lock;	/* protects the tables */
	struct udrm_idr vms;	/* id -> struct simgpu_vm * (a reference) */
	struct udrm_idr queues; /* id -> struct simgpu_queue * (a reference) */
};

static inline struct simgpu_device *simgpu_device(struct udrm_device *dev)
{
	return dev->driver_private;
}

static inline struct simgpu_file *simgpu_file(struct udrm_file *file)
{
	return file->driver_private;
}

/* simgpu_file_take_next - removes the lowest id of @table (one of
 * @sfile's tables) under sfile->lock and returns its object, whose
 * reference passes to the caller; NULL when the table is empty. For file
 * close, which drops every entry. */
void *simgpu_file_take_next(struct simgpu_file *sfile, struct udrm_idr *table);

/* Default queue ring and the limits of QUEUE_CREATE's ring_size. */
#define SIMGPU_RING_SIZE_DEFAULT (64u << 10)
#define SIMGPU_RING_SIZE_MIN	 (4u << 10)
#define SIMGPU_RING_SIZE_MAX	 (1u << 20)

/*
 * The GPU virtual address space of a VM: 48 bits; the top
 * SIMGPU_KERNEL_VA_SIZE bytes are the kernel's (rings and sync objects of
 * the VM's queues), the rest may be the user's.
 */
#define SIMGPU_VA_SIZE	      (1ull << 48)
#define SIMGPU_KERNEL_VA_SIZE (1ull << 32)
#define SIMGPU_USER_VA_MAX    (SIMGPU_VA_SIZE - SIMGPU_KERNEL_VA_SIZE)

#endif
