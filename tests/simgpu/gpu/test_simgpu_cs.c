// SPDX-License-Identifier: MIT
/*
 * The simgpu command-stream engine (src/drivers/simgpu/gpu/simgpu_cs.c):
 * every instruction's effect, every malformed encoding and argument
 * (returning -EINVAL with st->pc at the instruction and memory around it
 * untouched), faults (-EFAULT with the MMU's fault), and the resumable
 * states: WAIT (-EAGAIN), the budget (-EBUSY) and stop (-EINTR).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "simgpu_gpu_test.h"

#define VRAM_SIZE  (4u << 20)
#define STREAM_VA  0x100000ull /* the stream under test (read-only) */
#define SUB_VA	   0x180000ull /* buffers for JUMP/CALL */
#define DATA_VA	   0x200000ull /* DATA_PAGES read-write pages */
#define DATA_PAGES 8
#define RO_VA	   0x300000ull /* one read-only page */
#define HOLE_VA	   (DATA_VA + DATA_PAGES * SIMGPU_PAGE_SIZE) /* unmapped */
#define DATA_SIZE  (DATA_PAGES * SIMGPU_PAGE_SIZE)
#define POISON	   0xa5

struct fixture {
	struct gt_vram v;
	struct simgpu_cs_ctx ctx;
	struct simgpu_cs_state st;
	struct simgpu_cs_builder b;
	uint32_t words[4096];
	uint8_t *data; /* CPU view of DATA_VA (contiguous in VRAM) */
	uint8_t *ro;
	uint8_t before[DATA_SIZE];
	int irqs;
	uint64_t now;
	atomic_bool stop;
};

static uint64_t fake_now(void *core)
{
	struct fixture *f = core;

	return f->now;
}

static void count_irq(void *core)
{
	struct fixture *f = core;

	f->irqs++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	gt_vram_init(&f->v, VRAM_SIZE);
	f->data = gt_cpu(&f->v, gt_map_new(&f->v, DATA_VA, DATA_SIZE, GT_RW));
	memset(f->data, POISON, DATA_SIZE);
	f->ro = gt_cpu(&f->v, gt_map_new(&f->v, RO_VA, SIMGPU_PAGE_SIZE,
					 SIMGPU_PTE_READ));
	memset(f->ro, 0x77, SIMGPU_PAGE_SIZE);
	f->ctx.mmu = &f->v.mmu;
	f->ctx.core = f;
	f->ctx.now_ns = fake_now;
	f->ctx.irq = count_irq;
	f->ctx.stop = &f->stop;
	atomic_init(&f->stop, false);
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	gt_vram_fini(&f->v);
	free(f);
	return 0;
}

/* Load the built stream at STREAM_VA, start it and run it. */
static int load_and_run(struct fixture *f)
{
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, f->b.len * 4);
	memcpy(f->before, f->data, DATA_SIZE);
	return simgpu_cs_run(&f->ctx, &f->st);
}

static const char *errname(int e)
{
	return e < 0 ? strerror(-e) : "ok";
}

#define expect_ret(got, want, what)                                            \
	do {                                                                   \
		int got_ = (got), want_ = (want);                              \
		if (got_ != want_)                                             \
			fail_msg("%s: expected %d (%s), got %d (%s)", what,    \
				 want_, errname(want_), got_, errname(got_));  \
	} while (0)

/* The data pages are as before the run. */
static void expect_data_untouched(struct fixture *f, const char *what)
{
	for (size_t i = 0; i < DATA_SIZE; i++)
		if (f->data[i] != f->before[i])
			fail_msg("%s: data byte %zu changed from 0x%02x to "
				 "0x%02x",
				 what, i, f->before[i], f->data[i]);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void test_empty_stream_and_nops(void **state)
{
	struct fixture *f = *state;

	expect_ret(load_and_run(f), 0, "empty stream");
	assert_int_equal(f->ctx.instructions, 0);
	for (int i = 0; i < 5; i++)
		simgpu_cs_nop(&f->b);
	expect_ret(load_and_run(f), 0, "five NOPs");
	assert_int_equal(f->ctx.instructions, 5);
	assert_int_equal(f->st.pc, STREAM_VA + 20);
	expect_data_untouched(f, "NOPs");
}

static void test_write32_write64(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_write32(&f->b, DATA_VA + 4, 0xdeadbeef);
	simgpu_cs_write64(&f->b, DATA_VA + 8, 0x0123456789abcdefull);
	simgpu_cs_write64(&f->b, DATA_VA + SIMGPU_PAGE_SIZE, 42);
	expect_ret(load_and_run(f), 0, "writes");
	assert_int_equal(rd32(f->data + 0), 0xa5a5a5a5);
	assert_int_equal(rd32(f->data + 4), 0xdeadbeef);
	assert_int_equal(rd64(f->data + 8), 0x0123456789abcdefull);
	assert_int_equal(rd64(f->data + SIMGPU_PAGE_SIZE), 42);
	assert_int_equal(rd32(f->data + 16), 0xa5a5a5a5);
}

static void test_writes_misaligned_or_faulting(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_write32(&f->b, DATA_VA + 2, 1);
	expect_ret(load_and_run(f), -EINVAL, "WRITE32 at va % 4 == 2");
	assert_int_equal(f->st.pc, STREAM_VA);
	expect_data_untouched(f, "misaligned WRITE32");

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_nop(&f->b);
	simgpu_cs_write64(&f->b, DATA_VA + 4, 1);
	expect_ret(load_and_run(f), -EINVAL, "WRITE64 at va % 8 == 4");
	assert_int_equal(f->st.pc, STREAM_VA + 4);
	expect_data_untouched(f, "misaligned WRITE64");

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_write32(&f->b, RO_VA, 1);
	expect_ret(load_and_run(f), -EFAULT, "WRITE32 to a read-only page");
	assert_int_equal(f->v.mmu.fault.va, RO_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_WRITE);
	assert_int_equal(f->ro[0], 0x77);
	/* The fault is the stream's error from now on. */
	assert_int_equal(f->st.error, -EFAULT);

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_write64(&f->b, HOLE_VA, 1);
	expect_ret(load_and_run(f), -EFAULT, "WRITE64 to an unmapped page");
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_write64(&f->b, 1ull << 48, 1);
	expect_ret(load_and_run(f), -EFAULT, "WRITE64 above 48 bits");
}

static void test_copy(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < DATA_SIZE / 2; i++)
		f->data[i] = (uint8_t)(i * 13 + i / 256);
	/* Across page boundaries on both sides, at different offsets. */
	simgpu_cs_copy(&f->b, DATA_VA + 5 * SIMGPU_PAGE_SIZE - 100,
		       DATA_VA + 10, 2 * SIMGPU_PAGE_SIZE + 300);
	simgpu_cs_copy(&f->b, DATA_VA + 7 * SIMGPU_PAGE_SIZE, DATA_VA, 0);
	expect_ret(load_and_run(f), 0, "COPY");
	assert_memory_equal(f->data + 5 * SIMGPU_PAGE_SIZE - 100,
			    f->before + 10, 2 * SIMGPU_PAGE_SIZE + 300);
	assert_int_equal(f->data[5 * SIMGPU_PAGE_SIZE - 101], POISON);
	assert_int_equal(f->data[7 * SIMGPU_PAGE_SIZE + 200], POISON);
}

static void test_copy_overlapping_is_memmove(void **state)
{
	struct fixture *f = *state;
	static uint8_t want[DATA_SIZE];
	const uint64_t size = 2 * SIMGPU_PAGE_SIZE + 123;

	for (unsigned int i = 0; i < DATA_SIZE; i++)
		f->data[i] = (uint8_t)(i * 7 + i / 4096);
	memcpy(want, f->data, DATA_SIZE);
	/* Destination above the source, overlapping: copied backwards. */
	memmove(want + 1000, want + 10, size);
	simgpu_cs_copy(&f->b, DATA_VA + 1000, DATA_VA + 10, size);
	/* Destination below the source. */
	memmove(want + 4 * SIMGPU_PAGE_SIZE + 3,
		want + 4 * SIMGPU_PAGE_SIZE + 4000, size);
	simgpu_cs_copy(&f->b, DATA_VA + 4 * SIMGPU_PAGE_SIZE + 3,
		       DATA_VA + 4 * SIMGPU_PAGE_SIZE + 4000, size);
	expect_ret(load_and_run(f), 0, "overlapping COPYs");
	assert_memory_equal(f->data, want, DATA_SIZE);
}

static void test_copy_bad_ranges(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_copy(&f->b, DATA_VA, UINT64_MAX - 8, 16);
	expect_ret(load_and_run(f), -EINVAL, "COPY source wrapping 2^64");
	expect_data_untouched(f, "wrapping COPY");

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_copy(&f->b, UINT64_MAX, DATA_VA, 2);
	expect_ret(load_and_run(f), -EINVAL, "COPY dest wrapping 2^64");

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_copy(&f->b, DATA_VA, HOLE_VA - 8, 16);
	expect_ret(load_and_run(f), -EFAULT, "COPY from into a hole");
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_READ);

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_copy(&f->b, RO_VA, DATA_VA, 16);
	expect_ret(load_and_run(f), -EFAULT, "COPY into a read-only page");
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_WRITE);
	assert_int_equal(f->ro[0], 0x77);

	/* A fault in the second page leaves what follows untouched. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_copy(&f->b, HOLE_VA - 16, DATA_VA, 4096);
	expect_ret(load_and_run(f), -EFAULT, "COPY running into a hole");
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_WRITE);
}

static void test_fill(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_fill(&f->b, DATA_VA + SIMGPU_PAGE_SIZE - 8,
		       2 * SIMGPU_PAGE_SIZE, 0x11223344);
	simgpu_cs_fill(&f->b, DATA_VA + 6 * SIMGPU_PAGE_SIZE, 0, 0);
	expect_ret(load_and_run(f), 0, "FILL");
	for (uint64_t i = 0; i < 2 * SIMGPU_PAGE_SIZE; i += 4)
		assert_int_equal(rd32(f->data + SIMGPU_PAGE_SIZE - 8 + i),
				 0x11223344);
	assert_int_equal(f->data[SIMGPU_PAGE_SIZE - 9], POISON);
	assert_int_equal(f->data[3 * SIMGPU_PAGE_SIZE - 8], POISON);
	assert_int_equal(f->data[6 * SIMGPU_PAGE_SIZE], POISON);
}

static void test_fill_bad_arguments(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t dst, size;
		int ret;
		const char *what;
	} cases[] = {
		{DATA_VA, 6, -EINVAL, "size % 4 != 0"},
		{DATA_VA, 1, -EINVAL, "size 1"},
		{DATA_VA + 2, 8, -EINVAL, "dst % 4 != 0"},
		{UINT64_MAX - 7, 16, -EINVAL, "range wrapping 2^64"},
		{HOLE_VA, 4, -EFAULT, "unmapped dst"},
		{RO_VA, 4, -EFAULT, "read-only dst"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		simgpu_cs_builder_init(&f->b, f->words, 4096);
		simgpu_cs_fill(&f->b, cases[i].dst, cases[i].size, 0);
		expect_ret(load_and_run(f), cases[i].ret, cases[i].what);
		assert_int_equal(f->st.pc, STREAM_VA);
		expect_data_untouched(f, cases[i].what);
		assert_int_equal(f->ro[0], 0x77);
	}
}

/* Test pixels in ARGB8888 and their forms in each format. */
static const uint32_t blit_argb[] = {0x80ff0000, 0x0000ff00, 0xff0000ff,
				     0x12345678, 0xffffffff, 0x00000000,
				     0x7f081004};

static unsigned int fmt_cpp(uint32_t fmt)
{
	return fmt == DRM_FORMAT_RGB565 ? 2 : 4;
}

/* A pixel of @fmt as BLIT's reference: the conversions the header states. */
static void encode_pixel(uint8_t *p, uint32_t fmt, uint32_t argb)
{
	uint16_t q;

	switch (fmt) {
	case DRM_FORMAT_RGB565:
		q = (uint16_t)((((argb >> 19) & 0x1f) << 11) |
			       (((argb >> 10) & 0x3f) << 5) |
			       ((argb >> 3) & 0x1f));
		memcpy(p, &q, 2);
		break;
	case DRM_FORMAT_XRGB8888:
		argb |= 0xff000000;
		memcpy(p, &argb, 4);
		break;
	default:
		memcpy(p, &argb, 4);
		break;
	}
}

/* What a pixel of @fmt reads as in ARGB8888. */
static uint32_t decode_pixel(const uint8_t *p, uint32_t fmt)
{
	uint32_t v, r, g, b;
	uint16_t q;

	switch (fmt) {
	case DRM_FORMAT_RGB565:
		memcpy(&q, p, 2);
		r = (q >> 11) & 0x1f;
		g = (q >> 5) & 0x3f;
		b = q & 0x1f;
		return 0xff000000 | (r << 3 | r >> 2) << 16 |
		       (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
	case DRM_FORMAT_XRGB8888:
		memcpy(&v, p, 4);
		return v | 0xff000000;
	default:
		memcpy(&v, p, 4);
		return v;
	}
}

static void test_blit_every_format_pair(void **state)
{
	struct fixture *f = *state;
	const uint32_t fmts[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
				 DRM_FORMAT_RGB565};
	const uint32_t w = 7, h = 3;

	for (unsigned int s = 0; s < 3; s++) {
		for (unsigned int d = 0; d < 3; d++) {
			uint32_t sf = fmts[s], df = fmts[d];
			uint32_t s_pitch = w * fmt_cpp(sf) + 6;
			uint32_t d_pitch = w * fmt_cpp(df) + 10;
			uint8_t *src = f->data;
			/* The destination straddles a page boundary. */
			uint64_t d_off = 2 * SIMGPU_PAGE_SIZE - d_pitch - 4;
			uint8_t *dst = f->data + d_off;
			char what[64];

			memset(f->data, POISON, DATA_SIZE);
			for (uint32_t y = 0; y < h; y++)
				for (uint32_t x = 0; x < w; x++)
					encode_pixel(src + y * s_pitch +
							     x * fmt_cpp(sf),
						     sf, blit_argb[x] + y);
			simgpu_cs_builder_init(&f->b, f->words, 4096);
			simgpu_cs_blit(&f->b, DATA_VA + d_off, d_pitch, df,
				       DATA_VA, s_pitch, sf, w, h);
			snprintf(what, sizeof(what), "BLIT %.4s -> %.4s",
				 (const char *)&sf, (const char *)&df);
			expect_ret(load_and_run(f), 0, what);
			for (uint32_t y = 0; y < h; y++) {
				for (uint32_t x = 0; x < w; x++) {
					uint32_t in = decode_pixel(
						src + y * s_pitch +
							x * fmt_cpp(sf),
						sf);
					uint8_t want[4];
					uint32_t got;

					/* The reference: source read as
					 * ARGB, encoded in the target. */
					encode_pixel(want, df, in);
					got = decode_pixel(
						dst + y * d_pitch +
							x * fmt_cpp(df),
						df);
					if (memcmp(dst + y * d_pitch +
							   x * fmt_cpp(df),
						   want, fmt_cpp(df)))
						fail_msg("%s: pixel (%u,%u) "
							 "from 0x%08x: got "
							 "0x%08x",
							 what, x, y, in, got);
				}
				/* The pitch padding is not written. */
				for (uint32_t i = w * fmt_cpp(df); i < d_pitch;
				     i++)
					assert_int_equal(dst[y * d_pitch + i],
							 POISON);
			}
			assert_int_equal(dst[-1], POISON);
		}
	}
}

static void test_blit_rgb565_expands_by_bit_replication(void **state)
{
	struct fixture *f = *state;
	const uint16_t px[] = {0xffff, 0x0000, 0xf800, 0x07e0, 0x001f, 0x8410};
	const uint32_t want[] = {0xffffffff, 0xff000000, 0xffff0000,
				 0xff00ff00, 0xff0000ff, 0xff848284};

	memcpy(f->data, px, sizeof(px));
	simgpu_cs_blit(&f->b, DATA_VA + 64, 24, DRM_FORMAT_ARGB8888, DATA_VA,
		       12, DRM_FORMAT_RGB565, 6, 1);
	expect_ret(load_and_run(f), 0, "BLIT RGB565 -> ARGB8888");
	for (int i = 0; i < 6; i++)
		assert_int_equal(rd32(f->data + 64 + 4 * i), want[i]);
}

static void test_blit_wide_row(void **state)
{
	struct fixture *f = *state;
	/* More pixels than the engine converts at a time, across pages. */
	const uint32_t w = 1500;

	for (uint32_t x = 0; x < w; x++) {
		uint32_t v = x * 0x010203u;

		memcpy(f->data + 4 * x, &v, 4);
	}
	simgpu_cs_blit(&f->b, DATA_VA + 3 * SIMGPU_PAGE_SIZE + 2, 2 * w,
		       DRM_FORMAT_RGB565, DATA_VA, 4 * w, DRM_FORMAT_XRGB8888,
		       w, 1);
	expect_ret(load_and_run(f), 0, "wide BLIT");
	for (uint32_t x = 0; x < w; x++) {
		uint8_t want[2];

		encode_pixel(want, DRM_FORMAT_RGB565, x * 0x010203u);
		assert_memory_equal(f->data + 3 * SIMGPU_PAGE_SIZE + 2 + 2 * x,
				    want, 2);
	}
}

static void test_blit_bad_arguments(void **state)
{
	struct fixture *f = *state;
	const uint32_t X = DRM_FORMAT_XRGB8888, R = DRM_FORMAT_RGB565;
	const struct {
		uint64_t dst;
		uint32_t dpitch, dfmt;
		uint64_t src;
		uint32_t spitch, sfmt, w, h;
		int ret;
		const char *what;
	} cases[] = {
		{DATA_VA, 64, DRM_FORMAT_NV12, DATA_VA + 4096, 64, X, 4, 4,
		 -EINVAL, "NV12 destination"},
		{DATA_VA, 64, X, DATA_VA + 4096, 64, DRM_FORMAT_XBGR8888, 4, 4,
		 -EINVAL, "XBGR8888 source"},
		{DATA_VA, 64, 0, DATA_VA + 4096, 64, X, 0, 0, -EINVAL,
		 "format 0 even with nothing to do"},
		{DATA_VA, 15, X, DATA_VA + 4096, 64, X, 4, 4, -EINVAL,
		 "destination pitch below a row"},
		{DATA_VA, 64, X, DATA_VA + 4096, 7, R, 4, 4, -EINVAL,
		 "source pitch below a row"},
		{DATA_VA, 64, X, DATA_VA + 4096, UINT32_MAX, R, 4, UINT32_MAX,
		 -EFAULT, "a source extent near 2^64 (row 1 faults)"},
		{UINT64_MAX - 200, 64, X, DATA_VA, 64, X, 4, 4, -EINVAL,
		 "destination wrapping 2^64"},
		{DATA_VA, 64, X, UINT64_MAX - 1000, 64, X, 4, 20, -EINVAL,
		 "source wrapping 2^64"},
		{DATA_VA, 64, X, HOLE_VA - 64, 64, X, 4, 4, -EFAULT,
		 "source rows running into a hole"},
		{RO_VA, 64, X, DATA_VA, 64, X, 4, 4, -EFAULT,
		 "read-only destination"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int want = cases[i].ret;

		simgpu_cs_builder_init(&f->b, f->words, 4096);
		simgpu_cs_blit(&f->b, cases[i].dst, cases[i].dpitch,
			       cases[i].dfmt, cases[i].src, cases[i].spitch,
			       cases[i].sfmt, cases[i].w, cases[i].h);
		expect_ret(load_and_run(f), want, cases[i].what);
		assert_int_equal(f->st.pc, STREAM_VA);
		if (want == -EINVAL)
			expect_data_untouched(f, cases[i].what);
		assert_int_equal(f->ro[0], 0x77);
	}

	/* Nothing to copy is fine, wherever it points. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_blit(&f->b, HOLE_VA, 0, X, HOLE_VA, 0, R, 0, 5);
	simgpu_cs_blit(&f->b, HOLE_VA, 0, X, HOLE_VA, 0, R, 5, 0);
	expect_ret(load_and_run(f), 0, "empty BLITs");
}

static void test_wait_blocks_until_the_value_changes(void **state)
{
	struct fixture *f = *state;
	uint64_t *flag = (uint64_t *)(f->data + 64);

	*flag = 3;
	simgpu_cs_write32(&f->b, DATA_VA, 1);
	simgpu_cs_wait(&f->b, DATA_VA + 64, 5, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&f->b, DATA_VA + 4, 2);
	expect_ret(load_and_run(f), -EAGAIN, "WAIT on 3 >= 5");
	assert_int_equal(f->st.pc, STREAM_VA + 16);
	assert_int_equal(f->st.wait_va, DATA_VA + 64);
	assert_int_equal(f->st.wait_value, 5);
	assert_int_equal(f->st.wait_cond, SIMGPU_CS_WAIT_GE);
	assert_int_equal(rd32(f->data), 1);
	assert_int_equal(rd32(f->data + 4), 0xa5a5a5a5);
	/* Retrying without a change waits again. */
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EAGAIN, "WAIT retried");
	*flag = 7;
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), 0, "WAIT on 7 >= 5");
	assert_int_equal(rd32(f->data + 4), 2);
}

static void test_wait_conditions(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t mem, value;
		enum simgpu_cs_wait_cond cond;
		int ret;
	} cases[] = {
		{5, 5, SIMGPU_CS_WAIT_GE, 0},
		{4, 5, SIMGPU_CS_WAIT_GE, -EAGAIN},
		{UINT64_MAX, 1ull << 63, SIMGPU_CS_WAIT_GE, 0}, /* unsigned */
		{5, 5, SIMGPU_CS_WAIT_EQ, 0},
		{6, 5, SIMGPU_CS_WAIT_EQ, -EAGAIN},
		{6, 5, SIMGPU_CS_WAIT_NE, 0},
		{5, 5, SIMGPU_CS_WAIT_NE, -EAGAIN},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[48];

		memcpy(f->data + 8, &cases[i].mem, 8);
		simgpu_cs_builder_init(&f->b, f->words, 4096);
		simgpu_cs_wait(&f->b, DATA_VA + 8, cases[i].value,
			       cases[i].cond);
		snprintf(what, sizeof(what), "WAIT case %u", i);
		expect_ret(load_and_run(f), cases[i].ret, what);
	}
}

static void test_wait_bad_arguments(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_wait(&f->b, DATA_VA, 0, 3);
	expect_ret(load_and_run(f), -EINVAL, "WAIT with cond 3");
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_wait(&f->b, DATA_VA + 4, 0, SIMGPU_CS_WAIT_GE);
	expect_ret(load_and_run(f), -EINVAL, "WAIT at va % 8 == 4");
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_wait(&f->b, HOLE_VA, 0, SIMGPU_CS_WAIT_GE);
	expect_ret(load_and_run(f), -EFAULT, "WAIT on an unmapped va");
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_READ);
	/* A read-only page is enough to wait on. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_wait(&f->b, RO_VA, 0x7777777777777777ull, SIMGPU_CS_WAIT_EQ);
	expect_ret(load_and_run(f), 0, "WAIT on a read-only page");
}

static void test_sync_add_and_set(void **state)
{
	struct fixture *f = *state;
	/* The last sync object's status sits on the next page. */
	const uint64_t last = DATA_VA + SIMGPU_PAGE_SIZE - 8;

	memset(f->data, 0, 32);
	memset(f->data + SIMGPU_PAGE_SIZE - 8, 0, 12);
	simgpu_cs_sync_set(&f->b, DATA_VA, 10);
	simgpu_cs_sync_add(&f->b, DATA_VA, 5);
	simgpu_cs_sync_add(&f->b, DATA_VA + 16, UINT64_MAX); /* wraps */
	simgpu_cs_sync_set(&f->b, last, 99);
	expect_ret(load_and_run(f), 0, "SYNC_SET/SYNC_ADD");
	assert_int_equal(rd64(f->data), 15);
	assert_int_equal(rd32(f->data + 8), 0);
	assert_int_equal(rd32(f->data + 12), 0); /* pad untouched */
	assert_int_equal(rd64(f->data + 16), UINT64_MAX);
	assert_int_equal(rd64(f->data + SIMGPU_PAGE_SIZE - 8), 99);
	assert_int_equal(rd32(f->data + SIMGPU_PAGE_SIZE), 0);
	assert_int_equal(rd32(f->data + SIMGPU_PAGE_SIZE + 4), 0xa5a5a5a5);
	assert_int_equal(f->irqs, 4);

	/* The status is the stream's error. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_sync_add(&f->b, DATA_VA, 1);
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, f->b.len * 4);
	f->st.error = -ETIMEDOUT;
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), 0, "SYNC_ADD with error");
	assert_int_equal(rd64(f->data), 16);
	assert_int_equal((int32_t)rd32(f->data + 8), -ETIMEDOUT);
	assert_int_equal(f->irqs, 5);
}

static void test_sync_bad_arguments(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_sync_add(&f->b, DATA_VA + 4, 1);
	expect_ret(load_and_run(f), -EINVAL, "SYNC_ADD at va % 8 == 4");
	expect_data_untouched(f, "misaligned SYNC_ADD");
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_sync_set(&f->b, RO_VA, 1);
	expect_ret(load_and_run(f), -EFAULT, "SYNC_SET on a read-only page");
	assert_int_equal(f->ro[0], 0x77);
	/* The status beyond the mapping faults before the seqno changes. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_sync_set(&f->b, HOLE_VA - 8, 1);
	expect_ret(load_and_run(f), -EFAULT, "SYNC_SET status in a hole");
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);
	expect_data_untouched(f, "SYNC_SET into a hole");
	assert_int_equal(f->irqs, 0);
}

static void test_timestamp(void **state)
{
	struct fixture *f = *state;

	f->now = 123456789012345ull;
	simgpu_cs_timestamp(&f->b, DATA_VA + 24);
	expect_ret(load_and_run(f), 0, "TIMESTAMP");
	assert_int_equal(rd64(f->data + 24), 123456789012345ull);

	/* Without a clock callback: CLOCK_MONOTONIC, non-zero. */
	f->ctx.now_ns = NULL;
	expect_ret(load_and_run(f), 0, "TIMESTAMP on CLOCK_MONOTONIC");
	assert_true(rd64(f->data + 24) != 123456789012345ull);
	assert_true(rd64(f->data + 24) != 0);

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_timestamp(&f->b, DATA_VA + 4);
	expect_ret(load_and_run(f), -EINVAL, "TIMESTAMP at va % 8 == 4");
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_timestamp(&f->b, RO_VA);
	expect_ret(load_and_run(f), -EFAULT, "TIMESTAMP to read-only");
}

/* Put a built stream at @va (a fresh read-only mapping) and reset @b. */
static void load_sub(struct fixture *f, uint64_t va,
		     struct simgpu_cs_builder *b)
{
	gt_load_stream(&f->v, va, b);
}

static void test_call_return_and_jump(void **state)
{
	struct fixture *f = *state;
	uint32_t sub_words[64];
	struct simgpu_cs_builder sub;

	/* sub 1: write, RETURN, a write never reached. */
	simgpu_cs_builder_init(&sub, sub_words, 64);
	simgpu_cs_write32(&sub, DATA_VA + 4, 11);
	simgpu_cs_return(&sub);
	simgpu_cs_write32(&sub, DATA_VA + 8, 666);
	load_sub(f, SUB_VA, &sub);
	/* sub 2: ends without RETURN (returns at its end). */
	simgpu_cs_builder_init(&sub, sub_words, 64);
	simgpu_cs_write32(&sub, DATA_VA + 12, 22);
	load_sub(f, SUB_VA + SIMGPU_PAGE_SIZE, &sub);
	/* sub 3: a JUMP target that ends the stream. */
	simgpu_cs_builder_init(&sub, sub_words, 64);
	simgpu_cs_write32(&sub, DATA_VA + 16, 33);
	load_sub(f, SUB_VA + 2 * SIMGPU_PAGE_SIZE, &sub);

	simgpu_cs_call(&f->b, SUB_VA, 9 * 4);
	simgpu_cs_call(&f->b, SUB_VA + SIMGPU_PAGE_SIZE, 4 * 4);
	simgpu_cs_write32(&f->b, DATA_VA + 20, 44);
	simgpu_cs_jump(&f->b, SUB_VA + 2 * SIMGPU_PAGE_SIZE, 4 * 4);
	simgpu_cs_write32(&f->b, DATA_VA + 24, 666);
	expect_ret(load_and_run(f), 0, "CALL/RETURN/JUMP");
	assert_int_equal(rd32(f->data + 4), 11);
	assert_int_equal(rd32(f->data + 8), 0xa5a5a5a5);
	assert_int_equal(rd32(f->data + 12), 22);
	assert_int_equal(rd32(f->data + 16), 33);
	assert_int_equal(rd32(f->data + 20), 44);
	assert_int_equal(rd32(f->data + 24), 0xa5a5a5a5);
	assert_int_equal(f->st.depth, 0);
	/* CALL, WRITE, RETURN, CALL, WRITE, WRITE, JUMP, WRITE. */
	assert_int_equal(f->ctx.instructions, 8);
}

static void test_call_depth_limit(void **state)
{
	struct fixture *f = *state;
	uint32_t sub_words[64];
	struct simgpu_cs_builder sub;

	/* A buffer that increments a counter and calls itself. */
	simgpu_cs_builder_init(&sub, sub_words, 64);
	simgpu_cs_sync_add(&sub, DATA_VA, 1);
	simgpu_cs_call(&sub, SUB_VA, 9 * 4);
	load_sub(f, SUB_VA, &sub);
	memset(f->data, 0, 16);
	simgpu_cs_call(&f->b, SUB_VA, 9 * 4);
	expect_ret(load_and_run(f), -EINVAL, "recursion past the depth limit");
	assert_int_equal(f->st.depth, SIMGPU_CS_MAX_DEPTH);
	assert_int_equal(f->st.pc, SUB_VA + 5 * 4);
	assert_int_equal(rd64(f->data), SIMGPU_CS_MAX_DEPTH);

	/* Exactly SIMGPU_CS_MAX_DEPTH nested calls work. */
	for (unsigned int d = 0; d < SIMGPU_CS_MAX_DEPTH - 1; d++) {
		simgpu_cs_builder_init(&sub, sub_words, 64);
		/* The innermost buffer is a SYNC_ADD (5 words). */
		simgpu_cs_call(&sub, SUB_VA + (d + 2) * SIMGPU_PAGE_SIZE,
			       d == SIMGPU_CS_MAX_DEPTH - 2 ? 20 : 16);
		load_sub(f, SUB_VA + (d + 1) * SIMGPU_PAGE_SIZE, &sub);
	}
	simgpu_cs_builder_init(&sub, sub_words, 64);
	simgpu_cs_sync_add(&sub, DATA_VA, 100);
	load_sub(f, SUB_VA + SIMGPU_CS_MAX_DEPTH * SIMGPU_PAGE_SIZE, &sub);
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_call(&f->b, SUB_VA + SIMGPU_PAGE_SIZE, 16);
	expect_ret(load_and_run(f), 0, "SIMGPU_CS_MAX_DEPTH nested calls");
	assert_int_equal(rd64(f->data), SIMGPU_CS_MAX_DEPTH + 100);
}

static void test_control_flow_bad_arguments(void **state)
{
	struct fixture *f = *state;
	const struct {
		bool call;
		uint64_t va;
		uint32_t size;
		const char *what;
	} cases[] = {
		{false, SUB_VA + 2, 16, "JUMP to va % 4 != 0"},
		{true, SUB_VA, 6, "CALL with size % 4 != 0"},
		{false, UINT64_MAX - 3, 8, "JUMP buffer wrapping 2^64"},
		{true, UINT64_MAX - 3, 8, "CALL buffer wrapping 2^64"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		simgpu_cs_builder_init(&f->b, f->words, 4096);
		simgpu_cs_nop(&f->b);
		if (cases[i].call)
			simgpu_cs_call(&f->b, cases[i].va, cases[i].size);
		else
			simgpu_cs_jump(&f->b, cases[i].va, cases[i].size);
		expect_ret(load_and_run(f), -EINVAL, cases[i].what);
		assert_int_equal(f->st.pc, STREAM_VA + 4);
		assert_int_equal(f->st.depth, 0);
	}

	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_return(&f->b);
	expect_ret(load_and_run(f), -EINVAL, "RETURN at depth 0");
	assert_int_equal(f->st.pc, STREAM_VA);

	/* A JUMP into unmapped memory faults on the fetch there. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_jump(&f->b, HOLE_VA, 16);
	expect_ret(load_and_run(f), -EFAULT, "JUMP into a hole");
	assert_int_equal(f->st.pc, HOLE_VA);
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);

	/* A JUMP to an empty buffer ends the stream. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_jump(&f->b, HOLE_VA, 0);
	simgpu_cs_write32(&f->b, DATA_VA, 1);
	expect_ret(load_and_run(f), 0, "JUMP to an empty buffer");
	expect_data_untouched(f, "JUMP to an empty buffer");
}

static void test_error_barrier(void **state)
{
	struct fixture *f = *state;

	simgpu_cs_error_barrier(&f->b);
	simgpu_cs_write32(&f->b, DATA_VA, 1);
	expect_ret(load_and_run(f), 0, "ERROR_BARRIER without error");
	assert_int_equal(rd32(f->data), 1);

	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, f->b.len * 4);
	memset(f->data, POISON, 4);
	f->st.error = -EFAULT;
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EIO,
		   "ERROR_BARRIER with error");
	assert_int_equal(f->st.pc, STREAM_VA);
	assert_int_equal(rd32(f->data), 0xa5a5a5a5);
}

static void test_budget_stops_and_resumes(void **state)
{
	struct fixture *f = *state;

	for (uint32_t i = 0; i < 10; i++)
		simgpu_cs_write32(&f->b, DATA_VA + 4 * i, i);
	f->ctx.budget = 3;
	expect_ret(load_and_run(f), -EBUSY, "budget of 3");
	assert_int_equal(f->ctx.instructions, 3);
	assert_int_equal(f->st.pc, STREAM_VA + 3 * 16);
	assert_int_equal(rd32(f->data + 8), 2);
	assert_int_equal(rd32(f->data + 12), 0xa5a5a5a5);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EBUSY, "second slice");
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EBUSY, "third slice");
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), 0, "last slice");
	assert_int_equal(f->ctx.instructions, 10);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(rd32(f->data + 4 * i), i);
}

static void test_jump_loop_stopped_by_budget(void **state)
{
	struct fixture *f = *state;

	memset(f->data, 0, 16);
	simgpu_cs_sync_add(&f->b, DATA_VA, 1);
	simgpu_cs_jump(&f->b, STREAM_VA, 9 * 4);
	f->ctx.budget = 1000;
	expect_ret(load_and_run(f), -EBUSY, "endless JUMP loop");
	assert_int_equal(rd64(f->data), 500);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EBUSY, "loop again");
	assert_int_equal(rd64(f->data), 1000);
	assert_int_equal(f->ctx.instructions, 2000);
}

static void test_stop_interrupts_and_resumes(void **state)
{
	struct fixture *f = *state;

	for (uint32_t i = 0; i < 4; i++)
		simgpu_cs_write32(&f->b, DATA_VA + 4 * i, i);
	atomic_store(&f->stop, true);
	expect_ret(load_and_run(f), -EINTR, "stopped before the start");
	assert_int_equal(f->st.pc, STREAM_VA);
	expect_data_untouched(f, "stopped stream");
	/* A stop seen between instructions, after a budget slice. */
	atomic_store(&f->stop, false);
	f->ctx.budget = 2;
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EBUSY, "two writes");
	atomic_store(&f->stop, true);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EINTR, "stopped again");
	assert_int_equal(f->st.pc, STREAM_VA + 2 * 16);
	atomic_store(&f->stop, false);
	f->ctx.budget = 0;
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), 0, "resumed");
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(rd32(f->data + 4 * i), i);
	/* A finished stream returns 0 even when stopped. */
	atomic_store(&f->stop, true);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), 0, "finished stream");
}

/* Run raw words (as written) in a buffer of @size_words words. */
static int run_words(struct fixture *f, const uint32_t *w, size_t n,
		     size_t size_words)
{
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	memcpy(f->words, w, n * 4);
	f->b.len = n;
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, size_words * 4);
	memcpy(f->before, f->data, DATA_SIZE);
	return simgpu_cs_run(&f->ctx, &f->st);
}

#define HDR(op, len) ((uint32_t)(op) << 24 | (uint32_t)(len) << 16)
#define LO(va)	     ((uint32_t)(va))
#define HI(va)	     ((uint32_t)((va) >> 32))

static void test_malformed_headers(void **state)
{
	struct fixture *f = *state;
	const uint32_t nop = HDR(SIMGPU_CS_NOP, 1);
	const struct {
		uint32_t w[6];
		size_t n;
		const char *what;
	} cases[] = {
		{{HDR(0x0f, 1)}, 1, "opcode 0x0f"},
		{{HDR(0xff, 1)}, 1, "opcode 0xff"},
		{{HDR(0x42, 4)}, 4, "opcode 0x42"},
		{{HDR(SIMGPU_CS_NOP, 0)}, 1, "NOP of length 0"},
		{{HDR(SIMGPU_CS_NOP, 2), 0}, 2, "NOP of length 2"},
		{{HDR(SIMGPU_CS_WRITE32, 3), LO(DATA_VA), HI(DATA_VA)},
		 3,
		 "WRITE32 of length 3"},
		{{HDR(SIMGPU_CS_WRITE32, 5), LO(DATA_VA), HI(DATA_VA), 1, 0},
		 5,
		 "WRITE32 of length 5"},
		{{HDR(SIMGPU_CS_NOP, 1) | 1}, 1, "reserved bit 0"},
		{{HDR(SIMGPU_CS_WRITE32, 4) | 0x8000, LO(DATA_VA), HI(DATA_VA),
		  1},
		 4,
		 "reserved bit 15"},
		{{HDR(SIMGPU_CS_RETURN, 1) | 0x100}, 1, "RETURN bit 8"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t w[8];

		/* A NOP first, so that pc must stay on the bad one. */
		w[0] = nop;
		memcpy(w + 1, cases[i].w, cases[i].n * 4);
		expect_ret(run_words(f, w, cases[i].n + 1, cases[i].n + 1),
			   -EINVAL, cases[i].what);
		assert_int_equal(f->st.pc, STREAM_VA + 4);
		assert_int_equal(f->st.error, -EINVAL);
		expect_data_untouched(f, cases[i].what);
	}
}

static void test_truncated_instructions(void **state)
{
	struct fixture *f = *state;
	const uint32_t w[] = {HDR(SIMGPU_CS_WRITE32, 4), LO(DATA_VA),
			      HI(DATA_VA), 7};

	/* The buffer ends inside the instruction (the words after the end
	 * are in memory, and must not be used). */
	for (size_t size = 1; size < 4; size++) {
		char what[48];

		snprintf(what, sizeof(what), "WRITE32 cut to %zu words", size);
		expect_ret(run_words(f, w, 4, size), -EINVAL, what);
		assert_int_equal(f->st.pc, STREAM_VA);
		expect_data_untouched(f, what);
	}
	/* A buffer whose size is not a multiple of 4 ends mid-word. */
	simgpu_cs_builder_init(&f->b, f->words, 4096);
	simgpu_cs_nop(&f->b);
	simgpu_cs_nop(&f->b);
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, 6);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EINVAL, "6-byte stream");
	assert_int_equal(f->st.pc, STREAM_VA + 4);
	/* A stream whose end wraps 2^64. */
	simgpu_cs_start(&f->st, UINT64_MAX - 3, 8);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EINVAL, "wrapping stream");
	/* An unaligned start. */
	simgpu_cs_start(&f->st, STREAM_VA + 2, 8);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EINVAL, "unaligned pc");
	/* A stream in unmapped memory faults on fetch. */
	simgpu_cs_start(&f->st, HOLE_VA, 8);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EFAULT, "unmapped stream");
	assert_int_equal(f->v.mmu.fault.va, HOLE_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_READ);
	/* An instruction whose operands are on an unmapped page. */
	{
		uint64_t pa = gt_map_new(&f->v, SUB_VA, 1, SIMGPU_PTE_READ);
		uint32_t *p = (uint32_t *)((uint8_t *)gt_cpu(&f->v, pa) +
					   SIMGPU_PAGE_SIZE - 8);

		p[0] = HDR(SIMGPU_CS_NOP, 1);
		p[1] = HDR(SIMGPU_CS_WRITE32, 4);
		simgpu_cs_start(&f->st, SUB_VA + SIMGPU_PAGE_SIZE - 8, 20);
		expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EFAULT,
			   "operands on an unmapped page");
		assert_int_equal(f->st.pc, SUB_VA + SIMGPU_PAGE_SIZE - 4);
		assert_int_equal(f->v.mmu.fault.va, SUB_VA + SIMGPU_PAGE_SIZE);
	}
}

static void test_builder_overflow(void **state)
{
	struct fixture *f = *state;
	uint32_t w[8];

	simgpu_cs_builder_init(&f->b, w, 8);
	simgpu_cs_write64(&f->b, DATA_VA, 1); /* 5 words */
	simgpu_cs_write32(&f->b, DATA_VA, 1); /* 4: does not fit */
	assert_true(f->b.overflow);
	assert_int_equal(f->b.len, 5);
	/* Nothing more is added, even what would fit. */
	simgpu_cs_nop(&f->b);
	assert_int_equal(f->b.len, 5);
	/* The encoding: header then operands, low words first. */
	assert_int_equal(w[0], HDR(SIMGPU_CS_WRITE64, 5));
	assert_int_equal(w[1], LO(DATA_VA));
	assert_int_equal(w[2], HI(DATA_VA));
	assert_int_equal(w[3], 1);
	assert_int_equal(w[4], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_empty_stream_and_nops),
		T(test_write32_write64),
		T(test_writes_misaligned_or_faulting),
		T(test_copy),
		T(test_copy_overlapping_is_memmove),
		T(test_copy_bad_ranges),
		T(test_fill),
		T(test_fill_bad_arguments),
		T(test_blit_every_format_pair),
		T(test_blit_rgb565_expands_by_bit_replication),
		T(test_blit_wide_row),
		T(test_blit_bad_arguments),
		T(test_wait_blocks_until_the_value_changes),
		T(test_wait_conditions),
		T(test_wait_bad_arguments),
		T(test_sync_add_and_set),
		T(test_sync_bad_arguments),
		T(test_timestamp),
		T(test_call_return_and_jump),
		T(test_call_depth_limit),
		T(test_control_flow_bad_arguments),
		T(test_error_barrier),
		T(test_budget_stops_and_resumes),
		T(test_jump_loop_stopped_by_budget),
		T(test_stop_interrupts_and_resumes),
		T(test_malformed_headers),
		T(test_truncated_instructions),
		T(test_builder_overflow),
#undef T
	};

	return cmocka_run_group_tests_name("simgpu_cs", tests, NULL, NULL);
}
