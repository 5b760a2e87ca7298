// SPDX-License-Identifier: MIT
/*
 * Test support for the simgpu MMU and command-stream tests (see
 * simgpu_gpu_test.h).
 */
#include "simgpu_gpu_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void gt_vram_init(struct gt_vram *v, uint64_t size)
{
	v->mem = aligned_alloc(SIMGPU_PAGE_SIZE, size);
	assert_non_null(v->mem);
	memset(v->mem, 0, size);
	v->size = size;
	v->next = 0;
	v->root = gt_alloc(v, 1);
	simgpu_mmu_init(&v->mmu, v->mem, v->size, v->root);
}

void gt_vram_fini(struct gt_vram *v)
{
	free(v->mem);
	v->mem = NULL;
}

uint64_t gt_alloc(struct gt_vram *v, uint64_t pages)
{
	uint64_t pa = v->next;

	if (pages > (v->size - v->next) / SIMGPU_PAGE_SIZE)
		fail_msg("test VRAM full: %llu pages wanted",
			 (unsigned long long)pages);
	v->next += pages * SIMGPU_PAGE_SIZE;
	memset(v->mem + pa, 0, pages * SIMGPU_PAGE_SIZE);
	return pa;
}

static unsigned int level_index(uint64_t va, unsigned int level)
{
	return (va >> (SIMGPU_PAGE_SHIFT + 9 * (3 - level))) & 511;
}

uint64_t *gt_entry(struct gt_vram *v, uint64_t va, unsigned int level)
{
	uint64_t table = v->root;

	for (unsigned int l = 0;; l++) {
		uint64_t *e = (uint64_t *)(v->mem + table) + level_index(va, l);

		if (l == level)
			return e;
		if (!(*e & SIMGPU_PTE_VALID))
			fail_msg("no level-%u table on the walk of 0x%llx",
				 l + 1, (unsigned long long)va);
		table = *e & SIMGPU_PTE_ADDR_MASK;
	}
}

void gt_map(struct gt_vram *v, uint64_t va, uint64_t pa, uint64_t size,
	    uint64_t flags)
{
	for (uint64_t off = 0; off < size; off += SIMGPU_PAGE_SIZE) {
		uint64_t page_va = va + off;

		for (unsigned int l = 0; l < 3; l++) {
			uint64_t *e = gt_entry(v, page_va, l);

			if (!(*e & SIMGPU_PTE_VALID))
				*e = gt_alloc(v, 1) | SIMGPU_PTE_VALID;
		}
		*gt_entry(v, page_va, 3) =
			(pa + off) | flags | SIMGPU_PTE_VALID;
	}
	simgpu_mmu_flush(&v->mmu);
}

uint64_t gt_map_new(struct gt_vram *v, uint64_t va, uint64_t size,
		    uint64_t flags)
{
	uint64_t pages = (size + SIMGPU_PAGE_SIZE - 1) / SIMGPU_PAGE_SIZE;
	uint64_t pa = gt_alloc(v, pages);

	gt_map(v, va, pa, pages * SIMGPU_PAGE_SIZE, flags);
	return pa;
}

void *gt_cpu(struct gt_vram *v, uint64_t pa)
{
	return v->mem + pa;
}

void *gt_va(struct gt_vram *v, uint64_t va)
{
	uint64_t e = *gt_entry(v, va, 3);

	if (!(e & SIMGPU_PTE_VALID))
		fail_msg("0x%llx is not mapped", (unsigned long long)va);
	return v->mem + (e & SIMGPU_PTE_ADDR_MASK) +
	       (va & (SIMGPU_PAGE_SIZE - 1));
}

void gt_load_stream(struct gt_vram *v, uint64_t va,
		    const struct simgpu_cs_builder *b)
{
	uint64_t bytes = b->len * 4;
	uint64_t pa;

	assert_false(b->overflow);
	pa = gt_map_new(v, va, bytes ? bytes : 1, SIMGPU_PTE_READ);
	memcpy(gt_cpu(v, pa), b->words, bytes);
}
