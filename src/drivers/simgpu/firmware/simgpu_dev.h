/* SPDX-License-Identifier: MIT */
/*
 * The simgpu device: what a driver finds on the bus.
 *
 *  - VRAM: one memfd, mapped once; the firmware's memory. Offsets into
 *    it are the GPU's physical addresses; past it lies the system-memory
 *    aperture, where the driver maps other files' pages (phys_map).
 *    Allocations of either are ranges of a udrm_mm (the range allocator),
 *    handed out under the device's VRAM lock.
 *  - Registers (SIMGPU_REG_*): where the firmware image and the shared
 *    area are, CONTROL to boot or halt the coprocessor, the boot status.
 *  - Doorbells: simgpu_dev_ring_doorbell() wakes the firmware; doorbell 0
 *    is the global one (rung after writing a request bit), the others are
 *    given to queues by the driver.
 *  - The interrupt line: an eventfd that the firmware raises (adds 1) and
 *    the driver polls and reads.
 *
 * The device owns the firmware instance it booted (firmware/simgpu_fw.h):
 * its threads are joined when the firmware halts and is booted again, at
 * CONTROL=HALT and at simgpu_dev_destroy(), whatever work is in flight.
 *
 * Locking: registers are atomics; the VRAM allocator has its own lock
 * (vram_lock); boot/halt are serialised by control_lock. VRAM contents are
 * not locked: the driver and the firmware synchronise through the shared
 * structures (fwabi's acquire/release accessors) and sync objects.
 */
#ifndef SIMGPU_FIRMWARE_DEV_H
#define SIMGPU_FIRMWARE_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/drm_mm.h"

struct simgpu_fw;

/* What the device is made of. */
struct simgpu_dev_config {
	uint64_t vram_size;	 /* bytes, a multiple of 4 KiB */
	unsigned int num_cores;	 /* execution cores, 1..SIMGPU_MAX_CORES */
	unsigned int num_groups; /* group slots of the firmware */
	unsigned int queues_per_group; /* queue slots of each group */
	/* The firmware ABI version the driver loads (a fwabi version code,
	 * see simgpu_fw_version_parse()). */
	uint32_t fw_version;
	/* Bytes of the system-memory aperture (a multiple of 4 KiB; 0 =
	 * none): GPU physical addresses [vram_size, vram_size +
	 * sysmem_size) through which the GPU reaches pages the driver maps
	 * there (simgpu_dev_phys_map), as a GART. */
	uint64_t sysmem_size;
};

#define SIMGPU_MAX_CORES  16
#define SIMGPU_MAX_GROUPS 64
#define SIMGPU_MAX_QUEUES 16 /* per group */

/* Device registers. */
enum simgpu_reg {
	SIMGPU_REG_FW_IMAGE,	/* VRAM offset of the firmware image */
	SIMGPU_REG_SHARED,	/* VRAM offset of the shared area */
	SIMGPU_REG_SHARED_SIZE, /* its size in bytes */
	SIMGPU_REG_CONTROL,	/* write-only: SIMGPU_CONTROL_* */
	SIMGPU_REG_BOOT_STATUS, /* read-only: SIMGPU_BOOT_* or -errno */
	SIMGPU_REG_NUM_CORES,	/* read-only: the configuration */
	SIMGPU_REG_NUM_DOORBELLS,
	SIMGPU_REG_VRAM_SIZE,
	/* Test hooks, SIMGPU_INJECT_* bits (no real hardware has them). */
	SIMGPU_REG_INJECT,
	SIMGPU_REG_SYSMEM_SIZE, /* read-only: the aperture's size */
	/* Write-only, any value: every MMU context forgets its cached
	 * translations before its next one (after the driver changed page
	 * tables of an address space that may be running). */
	SIMGPU_REG_MMU_FLUSH,
};

/* Faults a test can inject. */
enum simgpu_inject {
	/* The MCU stops answering: no request is performed or acked (the
	 * cores go on) until CONTROL=HALT; heartbeat-loss tests. */
	SIMGPU_INJECT_MCU_HANG = 1u << 0,
};

enum simgpu_control {
	/* Start the coprocessor on the image at FW_IMAGE. */
	SIMGPU_CONTROL_BOOT = 1,
	/* Stop it now, without the firmware's cooperation (no ack): every
	 * core stops between instructions and the threads are joined. */
	SIMGPU_CONTROL_HALT = 2,
};

/* Boot status; a failed boot reads as a negative errno (-ENODEV: bad
 * magic or unknown ABI version). */
enum simgpu_boot_status {
	SIMGPU_BOOT_OFF = 0, /* never booted */
	SIMGPU_BOOT_STARTING = 1,
	SIMGPU_BOOT_READY = 2,	/* the control block is valid */
	SIMGPU_BOOT_HALTED = 3, /* halted (GLB_HALT or CONTROL=HALT) */
};

struct simgpu_dev {
	struct simgpu_dev_config config;

	int vram_fd;   /* memfd */
	uint8_t *vram; /* the whole physical space, see phys_map */
	uint64_t vram_size;
	uint64_t phys_size;	  /* vram_size + config.sysmem_size */
	struct udrm_mm sysmem_mm; /* (vram_lock) the aperture */
	/* Bumped by MMU_FLUSH; MMU contexts compare it (simgpu_mmu.h). */
	_Atomic uint64_t mmu_flush_seq;
	pthread_mutex_t vram_lock;
	struct udrm_mm vram_mm; /* (vram_lock) */

	_Atomic uint64_t reg_fw_image, reg_shared, reg_shared_size;
	atomic_int boot_status;
	atomic_uint inject; /* SIMGPU_INJECT_* */

	unsigned int num_doorbells;
	atomic_ulong *doorbells; /* pending bits, taken by the firmware */

	/* The firmware's wake-up: doorbells and CONTROL=HALT bump wake_seq
	 * and signal wake_cond. */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	uint64_t wake_seq; /* (wake_lock) */

	int irq_fd; /* eventfd: the interrupt line */

	pthread_mutex_t control_lock;
	struct simgpu_fw *fw; /* (control_lock) the booted firmware */
};

/* A configuration with the defaults: 64 MiB of VRAM, a 1 GiB aperture,
 * 2 cores, 8 groups of 4 queues, the newest firmware ABI version. */
void simgpu_dev_config_default(struct simgpu_dev_config *config);

/*
 * simgpu_dev_create - makes a device. Returns 0 with *out set, -EINVAL for
 * a bad configuration (sizes, counts, an unknown firmware version), or
 * -errno when memory, the memfd or the eventfd cannot be had.
 */
int simgpu_dev_create(const struct simgpu_dev_config *config,
		      struct simgpu_dev **out);

/*
 * simgpu_dev_destroy - stops the firmware (as CONTROL=HALT, whatever it is
 * running), joins its threads and frees the device. Every VRAM allocation
 * must have been freed.
 */
void simgpu_dev_destroy(struct simgpu_dev *dev);

/*
 * simgpu_dev_write_reg - writes a register. CONTROL=BOOT returns -EBUSY
 * while the firmware runs (halt it first) and -errno if its threads
 * cannot start; the boot itself reports through BOOT_STATUS and the
 * interrupt. Read-only registers give -EINVAL.
 */
int simgpu_dev_write_reg(struct simgpu_dev *dev, enum simgpu_reg reg,
			 uint64_t value);

/* simgpu_dev_read_reg - a register's value; BOOT_STATUS is an int as a
 * two's-complement 64-bit value. */
uint64_t simgpu_dev_read_reg(struct simgpu_dev *dev, enum simgpu_reg reg);

/* simgpu_dev_boot_status - SIMGPU_BOOT_* or a negative errno. */
int simgpu_dev_boot_status(struct simgpu_dev *dev);

/*
 * simgpu_dev_ring_doorbell - rings doorbell @id. 0, or -EINVAL when the
 * device has no such doorbell.
 */
int simgpu_dev_ring_doorbell(struct simgpu_dev *dev, unsigned int id);

/* simgpu_dev_irq_fd - the interrupt eventfd (owned by the device): poll it
 * for POLLIN, read 8 bytes to acknowledge. */
int simgpu_dev_irq_fd(struct simgpu_dev *dev);

/*
 * simgpu_dev_wait_irq - waits up to @timeout_ms (-1: forever) for the
 * interrupt and acknowledges it. 0, or -ETIMEDOUT.
 */
int simgpu_dev_wait_irq(struct simgpu_dev *dev, int timeout_ms);

/*
 * VRAM. simgpu_dev_vram_alloc() finds @size bytes aligned to @align (a
 * power of two, 0 = 4 KiB) for @node, which the caller zeroed and keeps
 * in place until simgpu_dev_vram_free(); the range is zero-filled. 0,
 * -EINVAL, or -ENOSPC when VRAM is full.
 */
int simgpu_dev_vram_alloc(struct simgpu_dev *dev, struct udrm_mm_node *node,
			  uint64_t size, uint64_t align);
void simgpu_dev_vram_free(struct simgpu_dev *dev, struct udrm_mm_node *node);

/* The CPU address of VRAM offset @offset (no bounds check: use the
 * offsets of allocations). */
static inline void *simgpu_dev_vram_ptr(struct simgpu_dev *dev, uint64_t offset)
{
	return dev->vram + offset;
}

/* The memfd behind VRAM (owned by the device), e.g. to map allocations
 * into other address spaces. */
int simgpu_dev_vram_fd(struct simgpu_dev *dev);

/*
 * GPU physical address space: VRAM at [0, vram_size), the system
 * aperture at [vram_size, phys_size). dev->vram maps all of it (the name
 * stays): simgpu_dev_vram_ptr() works for aperture addresses too, and the
 * MMU accepts pages (and tables) anywhere below phys_size. Aperture
 * ranges nothing is mapped at read as zero.
 *
 * simgpu_dev_phys_map() shows pages [@offset, + @size) of file @fd at
 * [@pa, + @size) instead of what was there (VRAM's own pages or the empty
 * aperture), so that the GPU and every CPU mapping of @fd share them;
 * simgpu_dev_phys_unmap() puts VRAM's own pages (or the empty aperture)
 * back. Page aligned, inside the physical space; 0, -EINVAL, -errno of
 * mmap. The caller makes sure no job uses the range meanwhile.
 *
 * simgpu_dev_sysmem_alloc()/free() hand out aperture ranges (as
 * simgpu_dev_vram_alloc, without clearing: nothing is there), under
 * vram_lock; -ENOSPC when the aperture is full or absent.
 * simgpu_dev_vram_alloc_noclear() is simgpu_dev_vram_alloc without the
 * zero-fill, for ranges that are about to be covered by phys_map.
 */
int simgpu_dev_phys_map(struct simgpu_dev *dev, uint64_t pa, int fd,
			uint64_t offset, uint64_t size);
int simgpu_dev_phys_unmap(struct simgpu_dev *dev, uint64_t pa, uint64_t size);
int simgpu_dev_sysmem_alloc(struct simgpu_dev *dev, struct udrm_mm_node *node,
			    uint64_t size, uint64_t align);
void simgpu_dev_sysmem_free(struct simgpu_dev *dev, struct udrm_mm_node *node);
int simgpu_dev_vram_alloc_noclear(struct simgpu_dev *dev,
				  struct udrm_mm_node *node, uint64_t size,
				  uint64_t align);

/*
 * For the firmware (firmware/simgpu_fw.c), not for drivers.
 */
/* Raise the interrupt line. */
void simgpu_dev_raise_irq(struct simgpu_dev *dev);
/* Take the pending doorbells of word @word (64 doorbells per word). */
unsigned long simgpu_dev_take_doorbells(struct simgpu_dev *dev,
					unsigned int word);
/* A condition variable whose timed waits take CLOCK_MONOTONIC deadlines,
 * the clock every simgpu deadline is on (a default one would read them
 * as wall-clock times long past and never sleep). */
void simgpu_cond_init_monotonic(pthread_cond_t *cond);
/* pthread_cond_timedwait on such a variable until @deadline_ns
 * (CLOCK_MONOTONIC; UINT64_MAX: no deadline). Its return value. */
int simgpu_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			   uint64_t deadline_ns);
/* Wake the firmware as a doorbell would, without one (CONTROL=HALT). */
void simgpu_dev_wake(struct simgpu_dev *dev);

#endif
