/* SPDX-License-Identifier: MIT */
/*
 * simgpu MMU: GPU virtual addresses translated through multi-level page
 * tables that live in VRAM and are written by the driver.
 *
 * This is hardware, not firmware ABI: the format does not change between
 * firmware versions.
 *
 * Format: 48-bit virtual addresses, 4 KiB pages, four levels of 512
 * 64-bit little-endian entries (level 0 indexed by VA bits 47..39, level 3
 * by bits 20..12). Every table is one 4 KiB-aligned physical page. An
 * entry is valid when SIMGPU_PTE_VALID is set; in levels 0-2 a valid entry
 * points to the next table (its permission bits are ignored), in level 3
 * to a 4 KiB page, with SIMGPU_PTE_READ / SIMGPU_PTE_WRITE granting
 * access. Physical addresses are byte offsets into the physical memory
 * given to simgpu_mmu_init() (@vram, @vram_size bytes): pages and tables
 * are below the size given, wherever that memory comes from (the device
 * passes its whole physical space, VRAM and the system aperture). The
 * root of an address space is the physical address of its level-0 table.
 *
 * A fault (unmapped address, missing permission, an entry or table at or
 * past the size given, a VA with bits above 47 set, a valid entry with
 * bits set outside VALID, READ, WRITE and the address) is reported through
 * mmu->fault; the translation never touches memory past the size given.
 * The CPU mapping must be at least 8-byte aligned (a mapping is page
 * aligned).
 *
 * Locking: a struct simgpu_mmu is one execution context's view (one per
 * running queue); it is not shared between threads. Page tables are read
 * with relaxed atomic 64-bit loads, so the driver may update them while
 * other address spaces run; changes to a running address space take
 * effect after simgpu_mmu_flush() on its contexts (the firmware flushes
 * when a queue is (re)started), or, for a context that follows a flush
 * counter (simgpu_mmu_set_flush_seq), at its next translation after the
 * counter moved (the device's MMU_FLUSH register).
 */
#ifndef SIMGPU_GPU_MMU_H
#define SIMGPU_GPU_MMU_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SIMGPU_PAGE_SHIFT 12
#define SIMGPU_PAGE_SIZE  (1ull << SIMGPU_PAGE_SHIFT)
#define SIMGPU_VA_BITS	  48
#define SIMGPU_PT_LEVELS  4
#define SIMGPU_PT_ENTRIES 512

#define SIMGPU_PTE_VALID     (1ull << 0)
#define SIMGPU_PTE_READ	     (1ull << 1)
#define SIMGPU_PTE_WRITE     (1ull << 2)
#define SIMGPU_PTE_ADDR_MASK 0x000ffffffffff000ull

enum simgpu_access {
	SIMGPU_ACCESS_READ = 1,
	SIMGPU_ACCESS_WRITE = 2,
};

struct simgpu_mmu_fault {
	uint64_t va;
	enum simgpu_access access;
};

#define SIMGPU_MMU_TLB_ENTRIES 16

struct simgpu_mmu {
	uint8_t *vram;	    /* CPU mapping of all physical memory */
	uint64_t vram_size; /* its size: the bound of physical addresses */
	uint64_t root;	    /* physical address of the level-0 table */
	struct simgpu_mmu_fault fault; /* the last fault */
	/* The device's MMU_FLUSH counter, or NULL: when it moved since the
	 * last translation the TLB is flushed first. */
	const _Atomic uint64_t *flush_seq;
	uint64_t flush_seen;
	/* A small direct-mapped TLB of page translations (private). */
	struct {
		uint64_t vpn; /* VA >> 12, or UINT64_MAX when empty */
		uint64_t pte;
	} tlb[SIMGPU_MMU_TLB_ENTRIES];
};

/* Set up a context for the address space whose level-0 table is at
 * physical address @root, over the @vram_size bytes of physical memory
 * at @vram; it follows no flush counter. */
void simgpu_mmu_init(struct simgpu_mmu *mmu, uint8_t *vram, uint64_t vram_size,
		     uint64_t root);

/* Follow the device's MMU_FLUSH counter (simgpu_dev.mmu_flush_seq), or
 * none (NULL): flushes the TLB and records the counter's value. */
void simgpu_mmu_set_flush_seq(struct simgpu_mmu *mmu,
			      const _Atomic uint64_t *flush_seq);

/* Forget cached translations (after the driver changed page tables). */
void simgpu_mmu_flush(struct simgpu_mmu *mmu);

/*
 * The CPU address of the byte at @va for @access, valid up to the end of
 * va's page; NULL with mmu->fault filled when the access faults.
 */
void *simgpu_mmu_ptr(struct simgpu_mmu *mmu, uint64_t va,
		     enum simgpu_access access);

/* Copy @len bytes from/to GPU VA @va, page by page. 0, or -EFAULT with
 * mmu->fault naming the first faulting byte (bytes before it may have
 * been written). */
int simgpu_mmu_read(struct simgpu_mmu *mmu, uint64_t va, void *dst, size_t len);
int simgpu_mmu_write(struct simgpu_mmu *mmu, uint64_t va, const void *src,
		     size_t len);

#endif
