// SPDX-License-Identifier: MIT
/*
 * libFuzzer entry for the simgpu command-stream engine and MMU: the input
 * chooses the level-3 entries of a small address space (valid or not,
 * permissions, reserved bits, addresses outside VRAM) and the words of
 * the stream. Whatever it holds, a run must not crash, must stay inside
 * VRAM (ASan) and must leave alone the VRAM pages no entry maps
 * (checked after every run).
 *
 * Input: PAGES bytes of entry flags, then the stream's words. A flag
 * byte of 0 gives the sane layout (stream pages readable, the others
 * readable and writable), so that mutations start from working streams.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/simgpu_cs.h"
#include "gpu/simgpu_mmu.h"

/* VRAM: 4 tables, PAGES mappable pages, GUARD_PAGES never mapped. */
#define PAGES	     24
#define GUARD_PAGES  4
#define FIRST_PAGE   4
#define VRAM_PAGES   (FIRST_PAGE + PAGES + GUARD_PAGES)
#define VRAM_BYTES   (VRAM_PAGES * SIMGPU_PAGE_SIZE)
#define STREAM_PAGES 4 /* VA pages 0-3 hold the stream */
#define GUARD_BYTE   0xc3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *vram;

static void set_entry(uint64_t table, unsigned int index, uint64_t value)
{
	memcpy(vram + table + 8 * index, &value, 8);
}

/* The level-3 entry of VA page @i from the flag byte @f: bits 0-2 are
 * VALID/READ/WRITE, bit 3 sets a reserved bit, bit 4 points outside
 * VRAM, bit 5 points at a table (a page the stream may then rewrite). */
static uint64_t leaf_entry(unsigned int i, uint8_t f)
{
	uint64_t pa = (uint64_t)(FIRST_PAGE + i) * SIMGPU_PAGE_SIZE;

	if (f & 0x10)
		pa = (uint64_t)VRAM_PAGES * SIMGPU_PAGE_SIZE;
	else if (f & 0x20)
		pa = 3 * SIMGPU_PAGE_SIZE;
	return pa | (f & 7) | ((f & 8) ? 1ull << 9 : 0);
}

static void ignore_irq(void *core)
{
	(void)core;
}

/*
 * Whether the stream spells a MANDELBROT DISPATCH: up to
 * SIMGPU_KERNEL_MANDELBROT_MAX_ITER iterations for each of thousands of
 * pixels take seconds, and a fuzzer wants many runs a second. (One the
 * stream writes itself still runs.)
 */
static bool has_mandelbrot(const uint8_t *p, size_t n)
{
	const uint32_t hdr = (uint32_t)SIMGPU_CS_DISPATCH << 24 | 5 << 16;

	for (size_t i = 0; i + 8 <= n; i += 4) {
		uint32_t w[2];

		memcpy(w, p + i, 8);
		if (w[0] == hdr && w[1] == SIMGPU_KERNEL_MANDELBROT)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simgpu_mmu mmu;
	struct simgpu_cs_ctx ctx = {0};
	struct simgpu_cs_state st;
	size_t stream_bytes;
	int ret;

	bool tables_writable = false;

	if (size < PAGES)
		return 0;
	if (!vram) {
		vram = aligned_alloc(SIMGPU_PAGE_SIZE, VRAM_BYTES);
		if (!vram)
			abort();
	}
	memset(vram, 0, VRAM_BYTES);
	memset(vram + (FIRST_PAGE + PAGES) * SIMGPU_PAGE_SIZE, GUARD_BYTE,
	       GUARD_PAGES * SIMGPU_PAGE_SIZE);
	/* Tables at pages 0-3; VA pages 0..PAGES-1 in the first 2 MiB. */
	set_entry(0, 0, 1 * SIMGPU_PAGE_SIZE | SIMGPU_PTE_VALID);
	set_entry(1 * SIMGPU_PAGE_SIZE, 0,
		  2 * SIMGPU_PAGE_SIZE | SIMGPU_PTE_VALID);
	set_entry(2 * SIMGPU_PAGE_SIZE, 0,
		  3 * SIMGPU_PAGE_SIZE | SIMGPU_PTE_VALID);
	for (unsigned int i = 0; i < PAGES; i++) {
		uint8_t f = data[i] ^ (i < STREAM_PAGES ? 0x3 : 0x7);

		set_entry(3 * SIMGPU_PAGE_SIZE, i, leaf_entry(i, f));
		if ((f & 0x35) == 0x25)
			tables_writable = true;
	}
	data += PAGES;
	size -= PAGES;

	/* The stream, in the VRAM pages behind VA pages 0-3. */
	stream_bytes = size < STREAM_PAGES * SIMGPU_PAGE_SIZE
			       ? size
			       : STREAM_PAGES * SIMGPU_PAGE_SIZE;
	if (has_mandelbrot(data, stream_bytes))
		return 0;
	memcpy(vram + FIRST_PAGE * SIMGPU_PAGE_SIZE, data, stream_bytes);

	simgpu_mmu_init(&mmu, vram, VRAM_BYTES, 0);
	ctx.mmu = &mmu;
	ctx.irq = ignore_irq;
	ctx.budget = 64;
	simgpu_cs_start(&st, 0, stream_bytes);
	/* A few slices, as a firmware core would give. */
	for (int slice = 0; slice < 4; slice++) {
		ret = simgpu_cs_run(&ctx, &st);
		if (ret != -EBUSY && ret != -EAGAIN)
			break;
	}

	/* A stream that can write the level-3 table may map the guard
	 * pages itself. */
	if (tables_writable)
		return 0;
	for (size_t i = 0; i < GUARD_PAGES * SIMGPU_PAGE_SIZE; i++)
		if (vram[(FIRST_PAGE + PAGES) * SIMGPU_PAGE_SIZE + i] !=
		    GUARD_BYTE)
			abort(); /* a write reached an unmapped page */
	return 0;
}
