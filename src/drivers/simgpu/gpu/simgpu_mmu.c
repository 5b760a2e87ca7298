// SPDX-License-Identifier: MIT
/*
 * simgpu MMU: the 4-level page-table walk, a direct-mapped TLB of level-3
 * entries, and page-by-page copies between GPU virtual memory and the CPU.
 */
#include "simgpu_mmu.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Bits of an entry that carry no meaning: a valid entry with any of them
 * set is malformed and faults. */
#define SIMGPU_PTE_RESERVED                                                    \
	(~(SIMGPU_PTE_ADDR_MASK | SIMGPU_PTE_VALID | SIMGPU_PTE_READ |         \
	   SIMGPU_PTE_WRITE))

#define SIMGPU_VA_MASK	 ((1ull << SIMGPU_VA_BITS) - 1)
#define SIMGPU_PAGE_MASK (SIMGPU_PAGE_SIZE - 1)

void simgpu_mmu_init(struct simgpu_mmu *mmu, uint8_t *vram, uint64_t vram_size,
		     uint64_t root)
{
	mmu->vram = vram;
	mmu->vram_size = vram_size;
	mmu->root = root;
	mmu->fault.va = 0;
	mmu->fault.access = 0;
	mmu->flush_seq = NULL;
	mmu->flush_seen = 0;
	simgpu_mmu_flush(mmu);
}

void simgpu_mmu_set_flush_seq(struct simgpu_mmu *mmu,
			      const _Atomic uint64_t *flush_seq)
{
	mmu->flush_seq = flush_seq;
	if (flush_seq)
		mmu->flush_seen =
			atomic_load_explicit(flush_seq, memory_order_acquire);
	simgpu_mmu_flush(mmu);
}

void simgpu_mmu_flush(struct simgpu_mmu *mmu)
{
	for (unsigned int i = 0; i < SIMGPU_MMU_TLB_ENTRIES; i++) {
		mmu->tlb[i].vpn = UINT64_MAX;
		mmu->tlb[i].pte = 0;
	}
}

/* Whether the page at physical address @pa lies wholly below the bound. */
static bool vram_page_ok(const struct simgpu_mmu *mmu, uint64_t pa)
{
	return (pa & SIMGPU_PAGE_MASK) == 0 && pa < mmu->vram_size &&
	       mmu->vram_size - pa >= SIMGPU_PAGE_SIZE;
}

/*
 * Walk the tables for @va. Returns the valid, well-formed level-3 entry,
 * or 0 when the walk faults (0 is never a valid entry).
 */
static uint64_t mmu_walk(const struct simgpu_mmu *mmu, uint64_t va)
{
	uint64_t table = mmu->root;

	if (va & ~SIMGPU_VA_MASK)
		return 0;
	for (unsigned int level = 0; level < SIMGPU_PT_LEVELS; level++) {
		unsigned int shift =
			SIMGPU_PAGE_SHIFT + 9 * (SIMGPU_PT_LEVELS - 1 - level);
		uint64_t index = (va >> shift) & (SIMGPU_PT_ENTRIES - 1);
		const uint64_t *slot;
		uint64_t entry;

		if (!vram_page_ok(mmu, table))
			return 0;
		/* The table is 4 KiB aligned in VRAM, VRAM is page aligned in
		 * the CPU: the 64-bit load is naturally aligned. */
		slot = (const uint64_t *)(mmu->vram + table) + index;
		entry = le64toh(__atomic_load_n(slot, __ATOMIC_RELAXED));
		if (!(entry & SIMGPU_PTE_VALID) ||
		    (entry & SIMGPU_PTE_RESERVED))
			return 0;
		table = entry & SIMGPU_PTE_ADDR_MASK;
		if (level == SIMGPU_PT_LEVELS - 1)
			return vram_page_ok(mmu, table) ? entry : 0;
	}
	return 0;
}

static bool pte_allows(uint64_t pte, enum simgpu_access access)
{
	if ((access & SIMGPU_ACCESS_READ) && !(pte & SIMGPU_PTE_READ))
		return false;
	if ((access & SIMGPU_ACCESS_WRITE) && !(pte & SIMGPU_PTE_WRITE))
		return false;
	return true;
}

void *simgpu_mmu_ptr(struct simgpu_mmu *mmu, uint64_t va,
		     enum simgpu_access access)
{
	uint64_t vpn = va >> SIMGPU_PAGE_SHIFT;
	unsigned int slot = vpn % SIMGPU_MMU_TLB_ENTRIES;
	uint64_t pte;

	/* Acquire: the page-table writes made before MMU_FLUSH are seen by
	 * the walks after it. */
	if (mmu->flush_seq) {
		uint64_t seq = atomic_load_explicit(mmu->flush_seq,
						    memory_order_acquire);

		if (seq != mmu->flush_seen) {
			simgpu_mmu_flush(mmu);
			mmu->flush_seen = seq;
		}
	}
	if (mmu->tlb[slot].vpn == vpn) {
		pte = mmu->tlb[slot].pte;
	} else {
		pte = mmu_walk(mmu, va);
		if (!pte)
			goto fault;
		mmu->tlb[slot].vpn = vpn;
		mmu->tlb[slot].pte = pte;
	}
	if (!pte_allows(pte, access))
		goto fault;
	return mmu->vram + (pte & SIMGPU_PTE_ADDR_MASK) +
	       (va & SIMGPU_PAGE_MASK);

fault:
	mmu->fault.va = va;
	mmu->fault.access = access;
	return NULL;
}

int simgpu_mmu_read(struct simgpu_mmu *mmu, uint64_t va, void *dst, size_t len)
{
	uint8_t *out = dst;

	while (len) {
		uint64_t in_page = SIMGPU_PAGE_SIZE - (va & SIMGPU_PAGE_MASK);
		size_t n = len < in_page ? len : (size_t)in_page;
		const void *p = simgpu_mmu_ptr(mmu, va, SIMGPU_ACCESS_READ);

		if (!p)
			return -EFAULT;
		memcpy(out, p, n);
		out += n;
		va += n;
		len -= n;
	}
	return 0;
}

int simgpu_mmu_write(struct simgpu_mmu *mmu, uint64_t va, const void *src,
		     size_t len)
{
	const uint8_t *in = src;

	while (len) {
		uint64_t in_page = SIMGPU_PAGE_SIZE - (va & SIMGPU_PAGE_MASK);
		size_t n = len < in_page ? len : (size_t)in_page;
		void *p = simgpu_mmu_ptr(mmu, va, SIMGPU_ACCESS_WRITE);

		if (!p)
			return -EFAULT;
		memcpy(p, in, n);
		in += n;
		va += n;
		len -= n;
	}
	return 0;
}
