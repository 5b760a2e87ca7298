// SPDX-License-Identifier: MIT
/*
 * The simgpu MMU (src/drivers/simgpu/gpu/simgpu_mmu.c): translation
 * through the four levels, the TLB and its flush, permissions, and every
 * fault: an unmapped entry at each level, a missing permission, an entry
 * or root outside VRAM, reserved bits, a VA above 48 bits, and copies
 * that run from a mapped page into an unmapped one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "simgpu_gpu_test.h"

#define VRAM_SIZE (1u << 20)
/* A VA whose index differs at every level. */
#define TEST_VA 0x00007f8040201000ull

static int setup(void **state)
{
	static struct gt_vram v;

	gt_vram_init(&v, VRAM_SIZE);
	*state = &v;
	return 0;
}

static int teardown(void **state)
{
	gt_vram_fini(*state);
	return 0;
}

/* Expect a fault on @va for @access. */
static void expect_fault(struct gt_vram *v, uint64_t va,
			 enum simgpu_access access, const char *why)
{
	v->mmu.fault.va = 0;
	v->mmu.fault.access = 0;
	if (simgpu_mmu_ptr(&v->mmu, va, access))
		fail_msg("%s: expected a fault at 0x%llx, got a translation",
			 why, (unsigned long long)va);
	if (v->mmu.fault.va != va || v->mmu.fault.access != access)
		fail_msg("%s: expected fault {0x%llx, %d}, got {0x%llx, %d}",
			 why, (unsigned long long)va, access,
			 (unsigned long long)v->mmu.fault.va,
			 v->mmu.fault.access);
}

static void test_translation_reaches_the_mapped_page(void **state)
{
	struct gt_vram *v = *state;
	uint64_t pa = gt_map_new(v, TEST_VA, 2 * SIMGPU_PAGE_SIZE, GT_RW);
	uint8_t *cpu = gt_cpu(v, pa);

	assert_ptr_equal(simgpu_mmu_ptr(&v->mmu, TEST_VA, SIMGPU_ACCESS_READ),
			 cpu);
	assert_ptr_equal(
		simgpu_mmu_ptr(&v->mmu, TEST_VA + 0x123, SIMGPU_ACCESS_WRITE),
		cpu + 0x123);
	assert_ptr_equal(simgpu_mmu_ptr(&v->mmu, TEST_VA + SIMGPU_PAGE_SIZE + 8,
					SIMGPU_ACCESS_READ),
			 cpu + SIMGPU_PAGE_SIZE + 8);
	/* The highest VA works too. */
	pa = gt_map_new(v, (1ull << 48) - SIMGPU_PAGE_SIZE, 1, GT_RW);
	assert_ptr_equal(
		simgpu_mmu_ptr(&v->mmu, (1ull << 48) - 1, SIMGPU_ACCESS_READ),
		(uint8_t *)gt_cpu(v, pa) + SIMGPU_PAGE_SIZE - 1);
}

static void test_read_write_cross_discontiguous_pages(void **state)
{
	struct gt_vram *v = *state;
	uint64_t pa0 = gt_alloc(v, 1), gap = gt_alloc(v, 1),
		 pa1 = gt_alloc(v, 1);
	uint8_t in[64], out[64];

	(void)gap;
	gt_map(v, TEST_VA, pa1, SIMGPU_PAGE_SIZE, GT_RW);
	gt_map(v, TEST_VA + SIMGPU_PAGE_SIZE, pa0, SIMGPU_PAGE_SIZE, GT_RW);
	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(simgpu_mmu_write(&v->mmu,
					  TEST_VA + SIMGPU_PAGE_SIZE - 20, in,
					  sizeof(in)),
			 0);
	assert_memory_equal((uint8_t *)gt_cpu(v, pa1) + SIMGPU_PAGE_SIZE - 20,
			    in, 20);
	assert_memory_equal(gt_cpu(v, pa0), in + 20, sizeof(in) - 20);
	memset(out, 0, sizeof(out));
	assert_int_equal(simgpu_mmu_read(&v->mmu,
					 TEST_VA + SIMGPU_PAGE_SIZE - 20, out,
					 sizeof(out)),
			 0);
	assert_memory_equal(out, in, sizeof(in));
	/* Nothing to copy touches nothing, not even an unmapped VA. */
	assert_int_equal(simgpu_mmu_read(&v->mmu, 0x5000, out, 0), 0);
	assert_int_equal(simgpu_mmu_write(&v->mmu, 0x5000, in, 0), 0);
}

static void test_unmapped_at_each_level_faults(void **state)
{
	struct gt_vram *v = *state;

	gt_map_new(v, TEST_VA, 1, GT_RW);
	for (unsigned int level = 0; level < 4; level++) {
		uint64_t *e = gt_entry(v, TEST_VA, level);
		uint64_t saved = *e;
		char why[64];

		*e &= ~SIMGPU_PTE_VALID;
		simgpu_mmu_flush(&v->mmu);
		snprintf(why, sizeof(why), "level %u entry not valid", level);
		expect_fault(v, TEST_VA, SIMGPU_ACCESS_READ, why);
		expect_fault(v, TEST_VA + 8, SIMGPU_ACCESS_WRITE, why);
		*e = saved;
		simgpu_mmu_flush(&v->mmu);
		assert_non_null(
			simgpu_mmu_ptr(&v->mmu, TEST_VA, SIMGPU_ACCESS_READ));
	}
	/* A neighbour never mapped: a missing level-3 entry, and a VA
	 * whose level-1 table does not exist. */
	expect_fault(v, TEST_VA + SIMGPU_PAGE_SIZE, SIMGPU_ACCESS_READ,
		     "unmapped neighbour page");
	expect_fault(v, 0x1000, SIMGPU_ACCESS_READ, "empty level 0 entry");
}

static void test_permissions(void **state)
{
	struct gt_vram *v = *state;

	gt_map_new(v, 0x10000, SIMGPU_PAGE_SIZE, SIMGPU_PTE_READ);
	gt_map_new(v, 0x11000, SIMGPU_PAGE_SIZE, SIMGPU_PTE_WRITE);
	gt_map_new(v, 0x12000, SIMGPU_PAGE_SIZE, 0);

	assert_non_null(simgpu_mmu_ptr(&v->mmu, 0x10000, SIMGPU_ACCESS_READ));
	expect_fault(v, 0x10010, SIMGPU_ACCESS_WRITE, "read-only page");
	assert_non_null(simgpu_mmu_ptr(&v->mmu, 0x11000, SIMGPU_ACCESS_WRITE));
	expect_fault(v, 0x11010, SIMGPU_ACCESS_READ, "write-only page");
	expect_fault(v, 0x12000, SIMGPU_ACCESS_READ, "no-access page");
	expect_fault(v, 0x12000, SIMGPU_ACCESS_WRITE, "no-access page");

	/* Permission bits of levels 0-2 are ignored. */
	for (unsigned int level = 0; level < 3; level++)
		*gt_entry(v, 0x10000, level) &= ~GT_RW;
	simgpu_mmu_flush(&v->mmu);
	assert_non_null(simgpu_mmu_ptr(&v->mmu, 0x10000, SIMGPU_ACCESS_READ));
}

static void test_entry_outside_vram_faults(void **state)
{
	struct gt_vram *v = *state;
	const uint64_t bad[] = {
		VRAM_SIZE,		  /* just past the end */
		SIMGPU_PTE_ADDR_MASK,	  /* far outside */
		(uint64_t)VRAM_SIZE << 8, /* outside, aligned */
	};

	gt_map_new(v, TEST_VA, 1, GT_RW);
	for (unsigned int level = 0; level < 4; level++) {
		uint64_t *e = gt_entry(v, TEST_VA, level);
		uint64_t saved = *e;

		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]);
		     i++) {
			char why[80];

			*e = (bad[i] & SIMGPU_PTE_ADDR_MASK) |
			     (saved & ~SIMGPU_PTE_ADDR_MASK);
			simgpu_mmu_flush(&v->mmu);
			snprintf(why, sizeof(why),
				 "level %u entry -> 0x%llx outside VRAM", level,
				 (unsigned long long)bad[i]);
			expect_fault(v, TEST_VA, SIMGPU_ACCESS_READ, why);
		}
		*e = saved;
	}
	simgpu_mmu_flush(&v->mmu);
	assert_non_null(simgpu_mmu_ptr(&v->mmu, TEST_VA, SIMGPU_ACCESS_READ));
}

static void test_root_outside_vram_faults(void **state)
{
	struct gt_vram *v = *state;
	struct simgpu_mmu mmu;

	gt_map_new(v, 0x1000, 1, GT_RW);
	simgpu_mmu_init(&mmu, v->mem, v->size, v->size);
	assert_null(simgpu_mmu_ptr(&mmu, 0x1000, SIMGPU_ACCESS_READ));
	simgpu_mmu_init(&mmu, v->mem, v->size, UINT64_MAX & ~0xfffull);
	assert_null(simgpu_mmu_ptr(&mmu, 0x1000, SIMGPU_ACCESS_READ));
	/* A root not on a page boundary is no table. */
	simgpu_mmu_init(&mmu, v->mem, v->size, v->root + 8);
	assert_null(simgpu_mmu_ptr(&mmu, 0x1000, SIMGPU_ACCESS_READ));
	simgpu_mmu_init(&mmu, v->mem, v->size, v->root);
	assert_non_null(simgpu_mmu_ptr(&mmu, 0x1000, SIMGPU_ACCESS_READ));
	/* A VRAM too small for the page the entry names. */
	simgpu_mmu_init(&mmu, v->mem, v->next - 1, v->root);
	assert_null(simgpu_mmu_ptr(&mmu, 0x1000, SIMGPU_ACCESS_READ));
}

static void test_reserved_bits_fault(void **state)
{
	struct gt_vram *v = *state;
	const uint64_t reserved[] = {1ull << 3, 1ull << 11, 1ull << 52,
				     1ull << 63};

	gt_map_new(v, TEST_VA, 1, GT_RW);
	for (unsigned int level = 0; level < 4; level++) {
		uint64_t *e = gt_entry(v, TEST_VA, level);
		uint64_t saved = *e;

		for (unsigned int i = 0; i < 4; i++) {
			*e = saved | reserved[i];
			simgpu_mmu_flush(&v->mmu);
			expect_fault(v, TEST_VA, SIMGPU_ACCESS_READ,
				     "reserved bit in an entry");
		}
		*e = saved;
	}
}

static void test_va_above_48_bits_faults(void **state)
{
	struct gt_vram *v = *state;

	/* Bits 47..12 of these select the mapped page at every level. */
	gt_map_new(v, 0x1000, 1, GT_RW);
	expect_fault(v, (1ull << 48) | 0x1000, SIMGPU_ACCESS_READ, "bit 48");
	expect_fault(v, (1ull << 63) | 0x1000, SIMGPU_ACCESS_WRITE, "bit 63");
	expect_fault(v, UINT64_MAX, SIMGPU_ACCESS_READ, "all bits");
	assert_non_null(simgpu_mmu_ptr(&v->mmu, 0x1000, SIMGPU_ACCESS_READ));
}

static void test_copy_into_unmapped_page_faults(void **state)
{
	struct gt_vram *v = *state;
	uint64_t pa = gt_map_new(v, TEST_VA, SIMGPU_PAGE_SIZE, GT_RW);
	uint8_t *cpu = gt_cpu(v, pa);
	uint64_t end = TEST_VA + SIMGPU_PAGE_SIZE;
	uint8_t buf[32], guard[32];

	memset(cpu, 0x5a, SIMGPU_PAGE_SIZE);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(simgpu_mmu_read(&v->mmu, end - 8, buf, sizeof(buf)),
			 -EFAULT);
	assert_int_equal(v->mmu.fault.va, end);
	assert_int_equal(v->mmu.fault.access, SIMGPU_ACCESS_READ);
	/* What came before the fault is there, nothing after it. */
	memset(guard, 0x5a, 8);
	memset(guard + 8, 0xee, sizeof(guard) - 8);
	assert_memory_equal(buf, guard, sizeof(buf));

	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(simgpu_mmu_write(&v->mmu, end - 8, buf, sizeof(buf)),
			 -EFAULT);
	assert_int_equal(v->mmu.fault.va, end);
	assert_int_equal(v->mmu.fault.access, SIMGPU_ACCESS_WRITE);
	assert_int_equal(cpu[SIMGPU_PAGE_SIZE - 9], 0x5a);
	assert_int_equal(cpu[SIMGPU_PAGE_SIZE - 1], 0x11);
	/* The page after the mapped one in VRAM is not touched. */
	assert_int_equal(cpu[SIMGPU_PAGE_SIZE], 0);
}

static void test_tlb_keeps_translations_until_flush(void **state)
{
	struct gt_vram *v = *state;
	uint64_t pa0 = gt_map_new(v, 0x40000, 1, GT_RW);
	uint64_t pa1 = gt_alloc(v, 1);

	assert_ptr_equal(simgpu_mmu_ptr(&v->mmu, 0x40000, SIMGPU_ACCESS_READ),
			 gt_cpu(v, pa0));
	*gt_entry(v, 0x40000, 3) = pa1 | GT_RW | SIMGPU_PTE_VALID;
	/* The cached translation stays until the flush ... */
	assert_ptr_equal(simgpu_mmu_ptr(&v->mmu, 0x40000, SIMGPU_ACCESS_READ),
			 gt_cpu(v, pa0));
	simgpu_mmu_flush(&v->mmu);
	assert_ptr_equal(simgpu_mmu_ptr(&v->mmu, 0x40000, SIMGPU_ACCESS_READ),
			 gt_cpu(v, pa1));
	/* ... and so does a permission change, which the TLB checks. */
	*gt_entry(v, 0x40000, 3) = pa1 | SIMGPU_PTE_READ | SIMGPU_PTE_VALID;
	simgpu_mmu_flush(&v->mmu);
	expect_fault(v, 0x40000, SIMGPU_ACCESS_WRITE, "made read-only");
	/* Pages that share a TLB slot both translate. */
	gt_map_new(v, 0x40000 + SIMGPU_MMU_TLB_ENTRIES * SIMGPU_PAGE_SIZE, 1,
		   GT_RW);
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(
			simgpu_mmu_ptr(&v->mmu, 0x40000, SIMGPU_ACCESS_READ),
			gt_cpu(v, pa1));
		assert_non_null(simgpu_mmu_ptr(
			&v->mmu, 0x40000 + SIMGPU_MMU_TLB_ENTRIES * 4096,
			SIMGPU_ACCESS_READ));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_translation_reaches_the_mapped_page),
		T(test_read_write_cross_discontiguous_pages),
		T(test_unmapped_at_each_level_faults),
		T(test_permissions),
		T(test_entry_outside_vram_faults),
		T(test_root_outside_vram_faults),
		T(test_reserved_bits_fault),
		T(test_va_above_48_bits_faults),
		T(test_copy_into_unmapped_page_faults),
		T(test_tlb_keeps_translations_until_flush),
#undef T
	};

	return cmocka_run_group_tests_name("simgpu_mmu", tests, NULL, NULL);
}
