// SPDX-License-Identifier: MIT
/*
 * The simgpu device's physical space without the firmware: the system
 * aperture and its configuration, phys_map/phys_unmap of a file's pages
 * over the aperture and over VRAM (and their refusals), the aperture's
 * allocator, VRAM allocations without the zero-fill, and MMU contexts
 * that follow the MMU_FLUSH register. What the GPU does through these
 * (copies through aperture pages, a flush reaching a running queue) is in
 * test_simgpu_fw.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "simgpu_check.h"

#include "firmware/simgpu_dev.h"
#include "gpu/simgpu_mmu.h"
#include "simgpu_pt.h"

#define PAGE 4096ull

/* A device of @vram bytes of VRAM and @sysmem bytes of aperture. */
static struct simgpu_dev *dev_create(uint64_t vram, uint64_t sysmem)
{
	struct simgpu_dev_config config;
	struct simgpu_dev *dev = NULL;

	simgpu_dev_config_default(&config);
	config.vram_size = vram;
	config.sysmem_size = sysmem;
	expect_eq(simgpu_dev_create(&config, &dev), 0,
		  "device of %llu + %llu bytes", (unsigned long long)vram,
		  (unsigned long long)sysmem);
	return dev;
}

/* A memfd of @pages pages, mapped at *@cpu. */
static int memfd_pages(unsigned int pages, uint8_t **cpu)
{
	int fd = memfd_create("simgpu-test-sysmem", MFD_CLOEXEC);

	check(fd >= 0, "memfd_create: %s", strerror(errno));
	check(ftruncate(fd, (off_t)(pages * PAGE)) == 0, "ftruncate: %s",
	      strerror(errno));
	*cpu = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	check(*cpu != MAP_FAILED, "mmap of the memfd: %s", strerror(errno));
	return fd;
}

/* Whether the @size bytes at @p are all @byte. */
static bool all_bytes(const uint8_t *p, uint64_t size, uint8_t byte)
{
	for (uint64_t i = 0; i < size; i++)
		if (p[i] != byte)
			return false;
	return true;
}

static void the_aperture_is_configured_and_read_through_registers(void **state)
{
	struct simgpu_dev_config config;
	struct simgpu_dev *dev;

	(void)state;
	simgpu_dev_config_default(&config);
	expect_eq(config.sysmem_size, 1ull << 30, "default aperture");
	config.sysmem_size = PAGE + 1;
	expect_eq(simgpu_dev_create(&config, &dev), -EINVAL,
		  "an aperture of 4 KiB + 1");
	config.sysmem_size = (1ull << 40) + PAGE;
	expect_eq(simgpu_dev_create(&config, &dev), -EINVAL,
		  "an aperture over 1 TiB");

	/* A large aperture only reserves address space (1 TiB, the
	 * largest, may not find room under a sanitizer). */
	dev = dev_create(1 << 20, 64ull << 30);
	expect_eq(dev->phys_size, (1 << 20) + (64ull << 30), "phys_size");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_SYSMEM_SIZE), 64ull << 30,
		  "SYSMEM_SIZE");
	expect_eq(*(uint8_t *)simgpu_dev_vram_ptr(dev, dev->phys_size - 1), 0,
		  "the last aperture byte");
	simgpu_dev_destroy(dev);

	dev = dev_create(1 << 20, 0);
	expect_eq(dev->phys_size, 1 << 20, "phys_size without an aperture");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_SYSMEM_SIZE), 0,
		  "SYSMEM_SIZE without an aperture");
	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_SYSMEM_SIZE, PAGE),
		  -EINVAL, "writing SYSMEM_SIZE");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_SYSMEM_SIZE), 0,
		  "SYSMEM_SIZE after a refused write");
	expect_eq(atomic_load(&dev->mmu_flush_seq), 0, "flush seq at create");
	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_MMU_FLUSH, 0), 0,
		  "MMU_FLUSH");
	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_MMU_FLUSH, 12345), 0,
		  "MMU_FLUSH with any value");
	expect_eq(atomic_load(&dev->mmu_flush_seq), 2, "flush seq after two");
	simgpu_dev_destroy(dev);
}

static void an_empty_aperture_reads_zero_and_unmap_empties_it(void **state)
{
	struct simgpu_dev *dev;
	uint8_t *ap;

	(void)state;
	dev = dev_create(1 << 20, 64 * PAGE);
	ap = simgpu_dev_vram_ptr(dev, dev->vram_size);
	check(all_bytes(ap, 64 * PAGE, 0), "a fresh aperture reads zero");
	/* Nothing is mapped there: writes land in private zero pages, and
	 * unmap puts the empty aperture back. */
	memset(ap + 3 * PAGE, 0x5a, PAGE);
	expect_eq(simgpu_dev_phys_unmap(dev, dev->vram_size + 3 * PAGE, PAGE),
		  0, "unmap of an empty aperture page");
	check(all_bytes(ap + 3 * PAGE, PAGE, 0), "empty again after unmap");
	simgpu_dev_destroy(dev);
}

static void phys_map_shares_a_files_pages_at_aperture_addresses(void **state)
{
	struct simgpu_dev *dev;
	uint64_t pa;
	uint8_t *file, *gpu;
	int fd;

	(void)state;
	dev = dev_create(1 << 20, 64 * PAGE);
	fd = memfd_pages(4, &file);
	memset(file, 0x11, 4 * PAGE);
	memset(file + PAGE, 0x22, PAGE);
	/* File pages 1..2 at aperture pages 5..6. */
	pa = dev->vram_size + 5 * PAGE;
	expect_eq(simgpu_dev_phys_map(dev, pa, fd, PAGE, 2 * PAGE), 0,
		  "phys_map");
	gpu = simgpu_dev_vram_ptr(dev, pa);
	check(all_bytes(gpu, PAGE, 0x22) && all_bytes(gpu + PAGE, PAGE, 0x11),
	      "the file's pages at the physical address");
	check(all_bytes(gpu - PAGE, PAGE, 0) &&
		      all_bytes(gpu + 2 * PAGE, PAGE, 0),
	      "the neighbours stay empty");
	/* Shared both ways. */
	gpu[PAGE + 7] = 0x77;
	expect_eq(file[2 * PAGE + 7], 0x77, "a physical write in the file");
	file[PAGE + 9] = 0x99;
	expect_eq(gpu[9], 0x99, "a file write at the physical address");

	expect_eq(simgpu_dev_phys_unmap(dev, pa, 2 * PAGE), 0, "unmap");
	check(all_bytes(gpu, 2 * PAGE, 0), "empty aperture after unmap");
	expect_eq(file[2 * PAGE + 7], 0x77, "the file keeps what was written");
	/* The offset goes to the end of the aperture too. */
	pa = dev->phys_size - PAGE;
	expect_eq(simgpu_dev_phys_map(dev, pa, fd, 3 * PAGE, PAGE), 0,
		  "phys_map of the last aperture page");
	expect_eq(*(uint8_t *)simgpu_dev_vram_ptr(dev, pa), 0x11,
		  "the last page");
	expect_eq(simgpu_dev_phys_unmap(dev, pa, PAGE), 0, "unmap it");
	munmap(file, 4 * PAGE);
	close(fd);
	simgpu_dev_destroy(dev);
}

static void phys_map_over_vram_and_unmap_restore_vram_pages(void **state)
{
	struct udrm_mm_node node = {0};
	struct simgpu_dev *dev;
	uint8_t *file, *vram;
	int fd;

	(void)state;
	dev = dev_create(1 << 20, 16 * PAGE);
	fd = memfd_pages(2, &file);
	memset(file, 0xf1, 2 * PAGE);
	expect_eq(simgpu_dev_vram_alloc(dev, &node, 2 * PAGE, 0), 0, "VRAM");
	vram = simgpu_dev_vram_ptr(dev, node.start);
	memset(vram, 0xa0, 2 * PAGE);
	expect_eq(simgpu_dev_phys_map(dev, node.start, fd, 0, 2 * PAGE), 0,
		  "phys_map over VRAM");
	check(all_bytes(vram, 2 * PAGE, 0xf1), "the file's pages over VRAM");
	vram[5] = 0x55;
	expect_eq(file[5], 0x55, "a physical write in the file");
	expect_eq(simgpu_dev_phys_unmap(dev, node.start, 2 * PAGE), 0,
		  "unmap over VRAM");
	check(all_bytes(vram, 2 * PAGE, 0xa0), "VRAM's own contents back");
	expect_eq(file[5], 0x55, "the file keeps what was written");

	/* A range across the end of VRAM: each side gets its own back. */
	memset(simgpu_dev_vram_ptr(dev, dev->vram_size - PAGE), 0xb0, PAGE);
	expect_eq(simgpu_dev_phys_map(dev, dev->vram_size - PAGE, fd, 0,
				      2 * PAGE),
		  0, "phys_map across the end of VRAM");
	expect_eq(*(uint8_t *)simgpu_dev_vram_ptr(dev, dev->vram_size), 0xf1,
		  "the file in the aperture");
	expect_eq(simgpu_dev_phys_unmap(dev, dev->vram_size - PAGE, 2 * PAGE),
		  0, "unmap across the end of VRAM");
	check(all_bytes(simgpu_dev_vram_ptr(dev, dev->vram_size - PAGE), PAGE,
			0xb0),
	      "the last VRAM page back");
	check(all_bytes(simgpu_dev_vram_ptr(dev, dev->vram_size), PAGE, 0),
	      "the first aperture page empty");
	simgpu_dev_vram_free(dev, &node);
	munmap(file, 2 * PAGE);
	close(fd);
	simgpu_dev_destroy(dev);
}

static void phys_map_and_unmap_refuse_bad_ranges(void **state)
{
	struct simgpu_dev *dev;
	uint64_t end, ap;
	uint8_t *file;
	int fd, closed;

	(void)state;
	dev = dev_create(1 << 20, 16 * PAGE);
	end = dev->phys_size;
	ap = dev->vram_size;
	fd = memfd_pages(2, &file);
	expect_eq(simgpu_dev_phys_map(dev, ap + 1, fd, 0, PAGE), -EINVAL,
		  "unaligned address");
	expect_eq(simgpu_dev_phys_map(dev, ap, fd, 1, PAGE), -EINVAL,
		  "unaligned offset");
	expect_eq(simgpu_dev_phys_map(dev, ap, fd, 0, PAGE + 1), -EINVAL,
		  "unaligned size");
	expect_eq(simgpu_dev_phys_map(dev, ap, fd, 0, 0), -EINVAL, "size 0");
	expect_eq(simgpu_dev_phys_map(dev, end, fd, 0, PAGE), -EINVAL,
		  "at the end of the physical space");
	expect_eq(simgpu_dev_phys_map(dev, end - PAGE, fd, 0, 2 * PAGE),
		  -EINVAL, "across the end of the physical space");
	expect_eq(simgpu_dev_phys_map(dev, end - PAGE, fd, 0,
				      UINT64_MAX & ~(PAGE - 1)),
		  -EINVAL, "a size that wraps");
	expect_eq(simgpu_dev_phys_map(dev, ap, fd, UINT64_MAX & ~(PAGE - 1),
				      PAGE),
		  -EINVAL, "an offset past off_t");
	expect_eq(simgpu_dev_phys_map(dev, ap, -1, 0, PAGE), -EINVAL,
		  "no file");
	closed = dup(fd);
	close(closed);
	expect_eq(simgpu_dev_phys_map(dev, ap, closed, 0, PAGE), -EBADF,
		  "a closed file");
	check(all_bytes(simgpu_dev_vram_ptr(dev, ap), PAGE, 0),
	      "a refused map leaves the aperture empty");
	expect_eq(simgpu_dev_phys_unmap(dev, ap + 1, PAGE), -EINVAL,
		  "unmap: unaligned address");
	expect_eq(simgpu_dev_phys_unmap(dev, ap, PAGE - 1), -EINVAL,
		  "unmap: unaligned size");
	expect_eq(simgpu_dev_phys_unmap(dev, ap, 0), -EINVAL, "unmap: size 0");
	expect_eq(simgpu_dev_phys_unmap(dev, end, PAGE), -EINVAL,
		  "unmap at the end");
	expect_eq(simgpu_dev_phys_unmap(dev, PAGE, UINT64_MAX & ~(PAGE - 1)),
		  -EINVAL, "unmap: a size that wraps");
	munmap(file, 2 * PAGE);
	close(fd);
	simgpu_dev_destroy(dev);
}

static void sysmem_alloc_hands_out_the_aperture_until_it_is_full(void **state)
{
	struct udrm_mm_node a = {0}, b = {0}, c = {0};
	struct simgpu_dev *dev;

	(void)state;
	dev = dev_create(1 << 20, 16 * PAGE);
	expect_eq(simgpu_dev_sysmem_alloc(dev, &a, 8 * PAGE, 0), 0, "8 pages");
	check(a.start >= dev->vram_size && a.start + a.size <= dev->phys_size,
	      "8 pages at 0x%llx, outside the aperture",
	      (unsigned long long)a.start);
	expect_eq(simgpu_dev_sysmem_alloc(dev, &b, 8 * PAGE, 8 * PAGE), 0,
		  "8 more, aligned");
	expect_eq(b.start % (8 * PAGE), 0, "alignment");
	expect_eq(simgpu_dev_sysmem_alloc(dev, &c, PAGE, 0), -ENOSPC,
		  "a full aperture");
	expect_eq(simgpu_dev_sysmem_alloc(dev, &c, 0, 0), -EINVAL, "size 0");
	expect_eq(simgpu_dev_sysmem_alloc(dev, &c, PAGE, 3 * PAGE), -EINVAL,
		  "an alignment that is no power of two");
	simgpu_dev_sysmem_free(dev, &a);
	expect_eq(simgpu_dev_sysmem_alloc(dev, &c, 4 * PAGE, 0), 0,
		  "after a free");
	simgpu_dev_sysmem_free(dev, &b);
	simgpu_dev_sysmem_free(dev, &c);
	simgpu_dev_destroy(dev);

	dev = dev_create(1 << 20, 0);
	expect_eq(simgpu_dev_sysmem_alloc(dev, &a, PAGE, 0), -ENOSPC,
		  "no aperture");
	simgpu_dev_destroy(dev);
}

static void vram_alloc_noclear_keeps_what_was_there(void **state)
{
	struct udrm_mm_node node = {0};
	struct simgpu_dev *dev;

	(void)state;
	dev = dev_create(16 * PAGE, 0);
	expect_eq(simgpu_dev_vram_alloc(dev, &node, 16 * PAGE, 0), 0,
		  "all of VRAM");
	memset(simgpu_dev_vram_ptr(dev, 0), 0x3c, 16 * PAGE);
	simgpu_dev_vram_free(dev, &node);
	expect_eq(simgpu_dev_vram_alloc_noclear(dev, &node, 16 * PAGE, 0), 0,
		  "all of VRAM, not cleared");
	check(all_bytes(simgpu_dev_vram_ptr(dev, 0), 16 * PAGE, 0x3c),
	      "noclear kept the old contents");
	simgpu_dev_vram_free(dev, &node);
	expect_eq(simgpu_dev_vram_alloc(dev, &node, 16 * PAGE, 0), 0,
		  "all of VRAM, cleared");
	check(all_bytes(simgpu_dev_vram_ptr(dev, 0), 16 * PAGE, 0),
	      "vram_alloc still clears");
	simgpu_dev_vram_free(dev, &node);
	expect_eq(simgpu_dev_vram_alloc_noclear(dev, &node, 32 * PAGE, 0),
		  -ENOSPC, "more than VRAM");
	simgpu_dev_destroy(dev);
}

static void
a_context_following_mmu_flush_drops_its_cached_translations(void **state)
{
	struct udrm_mm_node pages = {0};
	struct simgpu_mmu follows, ignores;
	const uint64_t va = 0x200000000ull;
	struct simgpu_dev *dev;
	struct simgpu_pt pt;
	uint32_t *a, *b;

	(void)state;
	dev = dev_create(1 << 20, 16 * PAGE);
	expect_eq(simgpu_pt_init(&pt, dev), 0, "page tables");
	expect_eq(simgpu_dev_vram_alloc(dev, &pages, 2 * PAGE, 0), 0, "pages");
	a = simgpu_dev_vram_ptr(dev, pages.start);
	b = simgpu_dev_vram_ptr(dev, pages.start + PAGE);
	expect_eq(simgpu_pt_map(&pt, va, pages.start, PAGE,
				SIMGPU_PTE_READ | SIMGPU_PTE_WRITE),
		  0, "map page A");

	simgpu_mmu_init(&follows, dev->vram, dev->phys_size,
			simgpu_pt_root(&pt));
	check(!follows.flush_seq, "init follows no counter");
	simgpu_mmu_set_flush_seq(&follows, &dev->mmu_flush_seq);
	simgpu_mmu_init(&ignores, dev->vram, dev->phys_size,
			simgpu_pt_root(&pt));
	check(simgpu_mmu_ptr(&follows, va, SIMGPU_ACCESS_READ) == a,
	      "A through the following context");
	check(simgpu_mmu_ptr(&ignores, va, SIMGPU_ACCESS_READ) == a,
	      "A through the other");

	/* Remapped, not flushed: both still translate to A. */
	expect_eq(simgpu_pt_map(&pt, va, pages.start + PAGE, PAGE,
				SIMGPU_PTE_READ | SIMGPU_PTE_WRITE),
		  0, "map page B");
	check(simgpu_mmu_ptr(&follows, va, SIMGPU_ACCESS_READ) == a,
	      "the cached A before MMU_FLUSH");
	check(simgpu_mmu_ptr(&ignores, va, SIMGPU_ACCESS_READ) == a,
	      "the cached A in the other");

	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_MMU_FLUSH, 1), 0,
		  "MMU_FLUSH");
	check(simgpu_mmu_ptr(&follows, va, SIMGPU_ACCESS_READ) == b,
	      "B after MMU_FLUSH");
	expect_eq(follows.flush_seen, 1, "the counter recorded");
	check(simgpu_mmu_ptr(&ignores, va, SIMGPU_ACCESS_READ) == a,
	      "a context without the counter keeps A");
	simgpu_mmu_flush(&ignores);
	check(simgpu_mmu_ptr(&ignores, va, SIMGPU_ACCESS_READ) == b,
	      "B after its own flush");

	/* Detached again (which flushes once): MMU_FLUSH no longer reaches
	 * it. */
	simgpu_mmu_set_flush_seq(&follows, NULL);
	check(simgpu_mmu_ptr(&follows, va, SIMGPU_ACCESS_READ) == b,
	      "B after detaching");
	expect_eq(simgpu_pt_map(&pt, va, pages.start, PAGE, SIMGPU_PTE_READ), 0,
		  "map page A again");
	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_MMU_FLUSH, 1), 0,
		  "MMU_FLUSH");
	check(simgpu_mmu_ptr(&follows, va, SIMGPU_ACCESS_READ) == b,
	      "a detached context keeps B");

	simgpu_dev_vram_free(dev, &pages);
	simgpu_pt_fini(&pt);
	simgpu_dev_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			the_aperture_is_configured_and_read_through_registers),
		cmocka_unit_test(
			an_empty_aperture_reads_zero_and_unmap_empties_it),
		cmocka_unit_test(
			phys_map_shares_a_files_pages_at_aperture_addresses),
		cmocka_unit_test(
			phys_map_over_vram_and_unmap_restore_vram_pages),
		cmocka_unit_test(phys_map_and_unmap_refuse_bad_ranges),
		cmocka_unit_test(
			sysmem_alloc_hands_out_the_aperture_until_it_is_full),
		cmocka_unit_test(vram_alloc_noclear_keeps_what_was_there),
		cmocka_unit_test(
			a_context_following_mmu_flush_drops_its_cached_translations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
