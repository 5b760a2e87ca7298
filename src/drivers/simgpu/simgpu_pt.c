// SPDX-License-Identifier: MIT
/*
 * simgpu page-table writer (see simgpu_pt.h).
 */
#include "simgpu_pt.h"

#include <errno.h>
#include <stdlib.h>

#define PT_INDEX(va, level)                                                    \
	(((va) >>                                                              \
	  (SIMGPU_PAGE_SHIFT + 9 * (SIMGPU_PT_LEVELS - 1 - (level)))) &        \
	 (SIMGPU_PT_ENTRIES - 1))
#define PT_VA_LIMIT (1ull << SIMGPU_VA_BITS)

static uint64_t *pt_table(struct simgpu_pt *pt, uint64_t offset)
{
	return simgpu_dev_vram_ptr(pt->dev, offset);
}

/* A zeroed table page in VRAM; its offset in *offset. */
static int pt_alloc_table(struct simgpu_pt *pt, struct udrm_mm_node *node)
{
	uint64_t *table;
	int ret;

	ret = simgpu_dev_vram_alloc(pt->dev, node, SIMGPU_PAGE_SIZE,
				    SIMGPU_PAGE_SIZE);
	if (ret)
		return ret;
	/* Atomic stores, as every later access to the entries. */
	table = pt_table(pt, node->start);
	for (unsigned int i = 0; i < SIMGPU_PT_ENTRIES; i++)
		__atomic_store_n(&table[i], 0, __ATOMIC_RELAXED);
	return 0;
}

int simgpu_pt_init(struct simgpu_pt *pt, struct simgpu_dev *dev)
{
	*pt = (struct simgpu_pt){.dev = dev};
	return pt_alloc_table(pt, &pt->root);
}

void simgpu_pt_fini(struct simgpu_pt *pt)
{
	for (unsigned int i = 0; i < pt->num_tables; i++) {
		simgpu_dev_vram_free(pt->dev, pt->tables[i]);
		free(pt->tables[i]);
	}
	free(pt->tables);
	if (udrm_mm_node_allocated(&pt->root))
		simgpu_dev_vram_free(pt->dev, &pt->root);
	pt->tables = NULL;
	pt->num_tables = pt->cap_tables = 0;
}

/* The table the valid entry @pte of a level-0..2 table points to, made
 * and linked when @alloc and the entry is empty; 0 if none. */
static int pt_next_table(struct simgpu_pt *pt, uint64_t *entry, bool alloc,
			 uint64_t *next)
{
	struct udrm_mm_node *node, **tables;
	uint64_t pte = __atomic_load_n(entry, __ATOMIC_RELAXED);
	int ret;

	if (pte & SIMGPU_PTE_VALID) {
		*next = pte & SIMGPU_PTE_ADDR_MASK;
		return 0;
	}
	*next = 0;
	if (!alloc)
		return 0;
	if (pt->num_tables == pt->cap_tables) {
		unsigned int cap = pt->cap_tables ? 2 * pt->cap_tables : 16;

		tables = realloc(pt->tables, cap * sizeof(*tables));
		if (!tables)
			return -ENOMEM;
		pt->tables = tables;
		pt->cap_tables = cap;
	}
	node = calloc(1, sizeof(*node));
	if (!node)
		return -ENOMEM;
	ret = pt_alloc_table(pt, node);
	if (ret) {
		free(node);
		return ret;
	}
	pt->tables[pt->num_tables++] = node;
	/* Release: the zeroed table before the link to it. */
	__atomic_store_n(entry, node->start | SIMGPU_PTE_VALID,
			 __ATOMIC_RELEASE);
	*next = node->start;
	return 0;
}

/* The level-3 entry of @va, or NULL (no table and !alloc, or -errno in
 * *error). */
static uint64_t *pt_leaf(struct simgpu_pt *pt, uint64_t va, bool alloc,
			 int *error)
{
	uint64_t table = pt->root.start;

	*error = 0;
	for (unsigned int level = 0; level < SIMGPU_PT_LEVELS - 1; level++) {
		uint64_t *entry = &pt_table(pt, table)[PT_INDEX(va, level)];

		*error = pt_next_table(pt, entry, alloc, &table);
		if (*error || !table)
			return NULL;
	}
	return &pt_table(pt, table)[PT_INDEX(va, SIMGPU_PT_LEVELS - 1)];
}

static bool pt_range_ok(uint64_t va, uint64_t size)
{
	return !(va % SIMGPU_PAGE_SIZE) && !(size % SIMGPU_PAGE_SIZE) && size &&
	       va < PT_VA_LIMIT && size <= PT_VA_LIMIT - va;
}

int simgpu_pt_map(struct simgpu_pt *pt, uint64_t va, uint64_t pa, uint64_t size,
		  uint64_t prot)
{
	/* Pages anywhere in the physical space: VRAM or the aperture. */
	uint64_t phys_size = pt->dev->phys_size;
	int ret;

	if (!pt_range_ok(va, size) || pa % SIMGPU_PAGE_SIZE ||
	    pa >= phys_size || size > phys_size - pa ||
	    (prot & ~(SIMGPU_PTE_READ | SIMGPU_PTE_WRITE)))
		return -EINVAL;
	for (uint64_t off = 0; off < size; off += SIMGPU_PAGE_SIZE) {
		uint64_t *leaf = pt_leaf(pt, va + off, true, &ret);

		if (!leaf)
			return ret;
		__atomic_store_n(leaf, (pa + off) | prot | SIMGPU_PTE_VALID,
				 __ATOMIC_RELEASE);
	}
	return 0;
}

int simgpu_pt_unmap(struct simgpu_pt *pt, uint64_t va, uint64_t size)
{
	int ret;

	if (!pt_range_ok(va, size))
		return -EINVAL;
	for (uint64_t off = 0; off < size; off += SIMGPU_PAGE_SIZE) {
		uint64_t *leaf = pt_leaf(pt, va + off, false, &ret);

		if (leaf)
			__atomic_store_n(leaf, 0, __ATOMIC_RELEASE);
	}
	return 0;
}
