/* SPDX-License-Identifier: MIT */
/*
 * simgpu page tables, written by the driver: one GPU address space in the
 * format of gpu/simgpu_mmu.h (four levels of 512 entries, 4 KiB pages),
 * its tables allocated in VRAM.
 *
 * Entries are stored with atomic 64-bit stores (the MMU loads them
 * atomically), so a table may change while other address spaces run;
 * the firmware sees changes to a running address space once its queues
 * are restarted (it flushes their TLBs then).
 *
 * Ownership: a simgpu_pt owns its tables (freed by simgpu_pt_fini), not
 * the pages it maps. Locking: none; the caller serialises the calls on one
 * simgpu_pt (the VM's lock).
 */
#ifndef SIMGPU_PT_H
#define SIMGPU_PT_H

#include <stdint.h>

#include "firmware/simgpu_dev.h"
#include "gpu/simgpu_mmu.h"

struct simgpu_pt {
	struct simgpu_dev *dev;
	struct udrm_mm_node root; /* the level-0 table */
	/* Tables of levels 1-3, freed at fini. */
	struct udrm_mm_node **tables;
	unsigned int num_tables, cap_tables;
};

/* simgpu_pt_init - an empty address space (one level-0 table in VRAM).
 * 0, or -ENOSPC / -ENOMEM. */
int simgpu_pt_init(struct simgpu_pt *pt, struct simgpu_dev *dev);

/* simgpu_pt_fini - frees every table. No queue may run on it any more. */
void simgpu_pt_fini(struct simgpu_pt *pt);

/* simgpu_pt_root - the VRAM offset of the level-0 table (group.as_root). */
static inline uint64_t simgpu_pt_root(const struct simgpu_pt *pt)
{
	return pt->root.start;
}

/*
 * simgpu_pt_map - maps [@va, @va + @size) to GPU physical [@pa, @pa +
 * @size) (VRAM or the system aperture, below phys_size) with
 * @prot (SIMGPU_PTE_READ | SIMGPU_PTE_WRITE), replacing what was mapped
 * there. 0; -EINVAL for an unaligned or out-of-range argument or a @prot
 * with other bits; -ENOSPC / -ENOMEM when a table cannot be allocated
 * (the pages before it stay mapped).
 */
int simgpu_pt_map(struct simgpu_pt *pt, uint64_t va, uint64_t pa, uint64_t size,
		  uint64_t prot);

/* simgpu_pt_unmap - unmaps [@va, @va + @size) (holes allowed). 0 or
 * -EINVAL. Tables stay allocated until fini. */
int simgpu_pt_unmap(struct simgpu_pt *pt, uint64_t va, uint64_t size);

#endif
