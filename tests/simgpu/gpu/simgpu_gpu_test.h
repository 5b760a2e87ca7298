/* SPDX-License-Identifier: MIT */
/*
 * Test support for the simgpu MMU and command-stream tests: a VRAM arena
 * in CPU memory with a page allocator, and a page-table writer that
 * builds the 4-level tables the way a driver would.
 */
#ifndef SIMGPU_GPU_TEST_H
#define SIMGPU_GPU_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu/simgpu_cs.h"
#include "gpu/simgpu_mmu.h"

#define GT_RW (SIMGPU_PTE_READ | SIMGPU_PTE_WRITE)

struct gt_vram {
	uint8_t *mem; /* page aligned, zeroed */
	uint64_t size;
	uint64_t next; /* bump allocator: next free page */
	uint64_t root; /* level-0 table */
	struct simgpu_mmu mmu;
};

/* A VRAM of @size bytes (a multiple of 4 KiB) with an empty address
 * space, and mmu set up on it. */
void gt_vram_init(struct gt_vram *v, uint64_t size);
void gt_vram_fini(struct gt_vram *v);

/* @pages zeroed pages of VRAM; fails the test when VRAM is full. */
uint64_t gt_alloc(struct gt_vram *v, uint64_t pages);

/* Map [va, va + size) to VRAM [pa, pa + size) with level-3 @flags
 * (SIMGPU_PTE_READ/WRITE; VALID is added), creating tables as needed. */
void gt_map(struct gt_vram *v, uint64_t va, uint64_t pa, uint64_t size,
	    uint64_t flags);

/* Fresh VRAM mapped at @va for @size bytes; returns its VRAM offset. */
uint64_t gt_map_new(struct gt_vram *v, uint64_t va, uint64_t size,
		    uint64_t flags);

/* The entry of @level (0..3) on the walk of @va; the tables above it must
 * exist. */
uint64_t *gt_entry(struct gt_vram *v, uint64_t va, unsigned int level);

/* The CPU address of VRAM offset @pa. */
void *gt_cpu(struct gt_vram *v, uint64_t pa);

/* The CPU address of mapped @va (walks the tables; fails if unmapped). */
void *gt_va(struct gt_vram *v, uint64_t va);

/* Copy a built stream to a fresh mapping at @va (read-only for the GPU). */
void gt_load_stream(struct gt_vram *v, uint64_t va,
		    const struct simgpu_cs_builder *b);

#endif
