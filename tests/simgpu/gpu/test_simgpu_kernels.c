// SPDX-License-Identifier: MIT
/*
 * DISPATCH and the built-in kernels (src/drivers/simgpu/gpu/
 * simgpu_kernels.c): SAXPY, REDUCE_SUM and MANDELBROT run on the calling
 * thread, on 1 and on 2 worker threads (pthreads), over arrays whose
 * pages are scattered in VRAM, and give bit for bit what the CPU versions
 * give; bad argument blocks are refused with -EINVAL before any work and
 * faults report the first fault of the lowest faulting chunk.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simgpu_gpu_test.h"

#define VRAM_SIZE   (8u << 20)
#define STREAM_VA   0x100000ull
#define ARGS_VA	    0x180000ull /* one read-write page of argument blocks */
#define X_VA	    0x1000000ull
#define Y_VA	    0x2000000ull
#define MAX_THREADS 2

struct fixture {
	struct gt_vram v;
	struct simgpu_cs_ctx ctx;
	struct simgpu_cs_state st;
	uint32_t words[64];
	struct simgpu_cs_builder b;
	unsigned int threads; /* 0: ctx->parallel is NULL */
	unsigned int parallel_calls, last_n;
};

/* ctx->parallel of the tests: f->threads pthreads take work items in
 * turn until none is left. */
struct par_run {
	void (*fn)(void *arg, unsigned int i);
	void *arg;
	unsigned int n;
	atomic_uint next;
};

static void *par_worker(void *p)
{
	struct par_run *r = p;
	unsigned int i;

	while ((i = atomic_fetch_add(&r->next, 1)) < r->n)
		r->fn(r->arg, i);
	return NULL;
}

static void par_threads(void *core, unsigned int n,
			void (*fn)(void *arg, unsigned int i), void *arg)
{
	struct fixture *f = core;
	struct par_run r = {.fn = fn, .arg = arg, .n = n};
	pthread_t t[MAX_THREADS];

	atomic_init(&r.next, 0);
	for (unsigned int i = 0; i < f->threads; i++)
		assert_int_equal(pthread_create(&t[i], NULL, par_worker, &r),
				 0);
	for (unsigned int i = 0; i < f->threads; i++)
		pthread_join(t[i], NULL);
	f->parallel_calls++;
	f->last_n = n;
}

static int setup(void **state)
{
	unsigned int threads = *(unsigned int *)*state;
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	gt_vram_init(&f->v, VRAM_SIZE);
	gt_map_new(&f->v, ARGS_VA, SIMGPU_PAGE_SIZE, GT_RW);
	f->threads = threads;
	f->ctx.mmu = &f->v.mmu;
	f->ctx.core = f;
	f->ctx.parallel = threads ? par_threads : NULL;
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

/* Map @pages at @va on VRAM pages in reverse order, so that no two
 * neighbouring pages of the array are neighbours in VRAM. */
static void map_scattered(struct fixture *f, uint64_t va, uint64_t pages,
			  uint64_t flags)
{
	uint64_t pa = gt_alloc(&f->v, pages);

	for (uint64_t i = 0; i < pages; i++)
		gt_map(&f->v, va + i * SIMGPU_PAGE_SIZE,
		       pa + (pages - 1 - i) * SIMGPU_PAGE_SIZE,
		       SIMGPU_PAGE_SIZE, flags);
}

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes + SIMGPU_PAGE_SIZE - 1) / SIMGPU_PAGE_SIZE;
}

/* Copy between the CPU and mapped GPU memory with the test's own walk. */
static void to_gpu(struct fixture *f, uint64_t va, const void *src, size_t len)
{
	const uint8_t *in = src;

	while (len) {
		size_t n = SIMGPU_PAGE_SIZE - (va & (SIMGPU_PAGE_SIZE - 1));

		n = n < len ? n : len;
		memcpy(gt_va(&f->v, va), in, n);
		va += n;
		in += n;
		len -= n;
	}
}

static void from_gpu(struct fixture *f, void *dst, uint64_t va, size_t len)
{
	uint8_t *out = dst;

	while (len) {
		size_t n = SIMGPU_PAGE_SIZE - (va & (SIMGPU_PAGE_SIZE - 1));

		n = n < len ? n : len;
		memcpy(out, gt_va(&f->v, va), n);
		va += n;
		out += n;
		len -= n;
	}
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Run one DISPATCH of @kernel with the argument block @args. */
static int dispatch(struct fixture *f, enum simgpu_kernel kernel,
		    const void *args, size_t args_size, uint32_t count)
{
	to_gpu(f, ARGS_VA, args, args_size);
	simgpu_cs_builder_init(&f->b, f->words, 64);
	simgpu_cs_dispatch(&f->b, kernel, ARGS_VA, count);
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, f->b.len * 4);
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

/* The work was spread as the thread count says. */
static void expect_spread(struct fixture *f, unsigned int chunks)
{
	if (!f->threads)
		return;
	assert_int_equal(f->parallel_calls, 1);
	assert_int_equal(f->last_n, chunks);
}

static void test_saxpy_matches_cpu(void **state)
{
	struct fixture *f = *state;
	/* Not a multiple of the chunk, nor of a page. */
	const uint32_t n = 3 * 4096 + 1234;
	float *x = malloc(n * 4), *y = malloc(n * 4), *got = malloc(n * 4);
	struct simgpu_kernel_saxpy_args args = {
		.x = X_VA + 8, .y = Y_VA + 4, .n = n, .a = 1.7f};
	uint32_t seed = 12345;

	assert_non_null(x);
	assert_non_null(y);
	assert_non_null(got);
	for (uint32_t i = 0; i < n; i++) {
		x[i] = (float)(int32_t)rng(&seed) / 65536.0f;
		y[i] = (float)(int32_t)rng(&seed) / 1048576.0f;
	}
	map_scattered(f, X_VA, pages_for(8 + 4ull * n), SIMGPU_PTE_READ);
	map_scattered(f, Y_VA, pages_for(4 + 4ull * n), GT_RW);
	to_gpu(f, args.x, x, n * 4);
	to_gpu(f, args.y, y, n * 4);

	expect_ret(dispatch(f, SIMGPU_KERNEL_SAXPY, &args, sizeof(args), n), 0,
		   "SAXPY");
	expect_spread(f, 4);
	simgpu_kernel_saxpy_cpu(y, x, args.a, n);
	from_gpu(f, got, args.y, n * 4);
	assert_memory_equal(got, y, n * 4);
	/* x is read only. */
	from_gpu(f, got, args.x, n * 4);
	assert_memory_equal(got, x, n * 4);
	free(x);
	free(y);
	free(got);
}

static void test_reduce_matches_cpu(void **state)
{
	struct fixture *f = *state;
	const uint32_t n = 5 * 4096 + 17;
	uint32_t *x = malloc(n * 4), got;
	struct simgpu_kernel_reduce_args args = {
		.x = X_VA + 12, .out = Y_VA + 60, .n = n};
	uint32_t seed = 777;

	assert_non_null(x);
	/* Large values: the sum wraps many times. */
	for (uint32_t i = 0; i < n; i++)
		x[i] = rng(&seed);
	map_scattered(f, X_VA, pages_for(12 + 4ull * n), SIMGPU_PTE_READ);
	map_scattered(f, Y_VA, 1, GT_RW);
	to_gpu(f, args.x, x, n * 4);

	expect_ret(
		dispatch(f, SIMGPU_KERNEL_REDUCE_SUM, &args, sizeof(args), n),
		0, "REDUCE_SUM");
	expect_spread(f, 6);
	from_gpu(f, &got, args.out, 4);
	assert_int_equal(got, simgpu_kernel_reduce_cpu(x, n));

	/* The empty sum is 0, and is written. */
	got = 0xffffffff;
	to_gpu(f, args.out, &got, 4);
	args.n = 0;
	expect_ret(
		dispatch(f, SIMGPU_KERNEL_REDUCE_SUM, &args, sizeof(args), 0),
		0, "REDUCE_SUM of nothing");
	from_gpu(f, &got, args.out, 4);
	assert_int_equal(got, 0);
	free(x);
}

static void test_mandelbrot_matches_cpu(void **state)
{
	struct fixture *f = *state;
	const uint32_t w = 300, h = 40, pitch = 1232;
	struct simgpu_kernel_mandelbrot_args args = {
		.dst = Y_VA + 16,
		.width = w,
		.height = h,
		.pitch = pitch,
		.max_iter = 300,
		.x0 = -2.1f,
		.y0 = -1.0f,
		.step = 0.01f,
	};
	uint8_t *want = malloc((size_t)h * pitch),
		*got = malloc((size_t)h * pitch);
	uint32_t inside = 0, outside = 0;

	assert_non_null(want);
	assert_non_null(got);
	map_scattered(f, Y_VA, pages_for(16ull + (uint64_t)h * pitch), GT_RW);
	memset(want, 0x5a, (size_t)h * pitch);
	to_gpu(f, args.dst, want, (size_t)h * pitch);
	simgpu_kernel_mandelbrot_cpu((uint32_t *)want, w, h, pitch,
				     args.max_iter, args.x0, args.y0,
				     args.step);

	expect_ret(
		dispatch(f, SIMGPU_KERNEL_MANDELBROT, &args, sizeof(args), h),
		0, "MANDELBROT");
	expect_spread(f, h);
	from_gpu(f, got, args.dst, (size_t)h * pitch);
	/* Pixels and the untouched padding of each row. */
	assert_memory_equal(got, want, (size_t)h * pitch);
	assert_int_equal(got[w * 4], 0x5a);
	/* A picture, not a flat colour: both inside and outside points. */
	for (uint32_t i = 0; i < w; i++) {
		uint32_t px;

		memcpy(&px, want + (h / 2) * pitch + 4 * i, 4);
		if (px == 0xff000000)
			inside++;
		else
			outside++;
	}
	assert_true(inside > 10 && outside > 10);
	free(want);
	free(got);
}

static void test_bad_arguments_are_refused(void **state)
{
	struct fixture *f = *state;
	struct simgpu_kernel_saxpy_args saxpy = {.x = X_VA, .y = Y_VA, .n = 8};
	struct simgpu_kernel_reduce_args reduce = {
		.x = X_VA, .out = Y_VA, .n = 8};
	struct simgpu_kernel_mandelbrot_args mb = {.dst = Y_VA,
						   .width = 4,
						   .height = 4,
						   .pitch = 16,
						   .max_iter = 10,
						   .step = 0.1f};
	struct simgpu_kernel_saxpy_args s;
	struct simgpu_kernel_reduce_args r;
	struct simgpu_kernel_mandelbrot_args m;
	uint8_t y_before[64], y_after[64];

	map_scattered(f, X_VA, 1, GT_RW);
	map_scattered(f, Y_VA, 1, GT_RW);
	memset(y_before, 0x3c, sizeof(y_before));
	to_gpu(f, Y_VA, y_before, sizeof(y_before));

	/* The well-formed blocks work. */
	expect_ret(dispatch(f, SIMGPU_KERNEL_SAXPY, &saxpy, sizeof(saxpy), 8),
		   0, "good SAXPY");
	expect_ret(dispatch(f, SIMGPU_KERNEL_REDUCE_SUM, &reduce,
			    sizeof(reduce), 8),
		   0, "good REDUCE_SUM");
	expect_ret(dispatch(f, SIMGPU_KERNEL_MANDELBROT, &mb, sizeof(mb), 4), 0,
		   "good MANDELBROT");
	to_gpu(f, Y_VA, y_before, sizeof(y_before));

#define BAD(kernel, blk, count, what)                                          \
	do {                                                                   \
		expect_ret(dispatch(f, kernel, &blk, sizeof(blk), count),      \
			   -EINVAL, what);                                     \
		assert_int_equal(f->st.pc, STREAM_VA);                         \
		from_gpu(f, y_after, Y_VA, sizeof(y_after));                   \
		assert_memory_equal(y_after, y_before, sizeof(y_before));      \
	} while (0)

	BAD(0, saxpy, 8, "kernel 0");
	BAD(4, saxpy, 8, "kernel 4");
	BAD(0xffffffff, saxpy, 8, "kernel 0xffffffff");

	BAD(SIMGPU_KERNEL_SAXPY, saxpy, 7, "SAXPY count != n");
	s = saxpy, s.x = X_VA + 2;
	BAD(SIMGPU_KERNEL_SAXPY, s, 8, "SAXPY x misaligned");
	s = saxpy, s.y = Y_VA + 1;
	BAD(SIMGPU_KERNEL_SAXPY, s, 8, "SAXPY y misaligned");
	s = saxpy, s.x = UINT64_MAX - 15;
	BAD(SIMGPU_KERNEL_SAXPY, s, 8, "SAXPY x wrapping 2^64");
	s = saxpy, s.n = UINT32_MAX;
	s.y = (UINT64_MAX & ~3ull) - 4ull * UINT32_MAX + 8;
	BAD(SIMGPU_KERNEL_SAXPY, s, UINT32_MAX, "SAXPY y wrapping 2^64");

	BAD(SIMGPU_KERNEL_REDUCE_SUM, reduce, 9, "REDUCE_SUM count != n");
	r = reduce, r.pad = 1;
	BAD(SIMGPU_KERNEL_REDUCE_SUM, r, 8, "REDUCE_SUM pad != 0");
	r = reduce, r.out = Y_VA + 2;
	BAD(SIMGPU_KERNEL_REDUCE_SUM, r, 8, "REDUCE_SUM out misaligned");
	r = reduce, r.x = UINT64_MAX - 3;
	BAD(SIMGPU_KERNEL_REDUCE_SUM, r, 8, "REDUCE_SUM x wrapping 2^64");

	BAD(SIMGPU_KERNEL_MANDELBROT, mb, 3, "MANDELBROT count != height");
	m = mb, m.pad = 0x80000000;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4, "MANDELBROT pad != 0");
	m = mb, m.pitch = 12;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4, "MANDELBROT pitch < width * 4");
	m = mb, m.pitch = 18;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4, "MANDELBROT pitch % 4 != 0");
	m = mb, m.dst = Y_VA + 2;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4, "MANDELBROT dst misaligned");
	m = mb, m.max_iter = SIMGPU_KERNEL_MANDELBROT_MAX_ITER + 1;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4, "MANDELBROT max_iter too big");
	m = mb, m.width = 0x40000000, m.pitch = 0;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, 4,
	    "MANDELBROT row wider than any pitch");
	m = mb, m.height = UINT32_MAX, m.pitch = 0xfffffffc, m.dst = 1ull << 47;
	BAD(SIMGPU_KERNEL_MANDELBROT, m, UINT32_MAX,
	    "MANDELBROT picture wrapping 2^64");
#undef BAD

	/* Zero work is fine, even on memory that is not mapped. */
	s = saxpy, s.n = 0, s.x = 0x7000000, s.y = 0x7000000;
	expect_ret(dispatch(f, SIMGPU_KERNEL_SAXPY, &s, sizeof(s), 0), 0,
		   "SAXPY of nothing");
	m = mb, m.width = 0, m.dst = 0x7000000;
	expect_ret(dispatch(f, SIMGPU_KERNEL_MANDELBROT, &m, sizeof(m), 4), 0,
		   "MANDELBROT of width 0");
}

static void test_faults(void **state)
{
	struct fixture *f = *state;
	/* x has 5 pages mapped out of 10: the fault is in chunk 1. */
	struct simgpu_kernel_saxpy_args saxpy = {
		.x = X_VA, .y = Y_VA, .n = 10 * 1024, .a = 2.0f};
	struct simgpu_kernel_reduce_args reduce = {
		.x = X_VA, .out = ARGS_VA + 0x800, .n = 10 * 1024};
	struct simgpu_kernel_mandelbrot_args mb = {.dst = Y_VA,
						   .width = 1024,
						   .height = 20,
						   .pitch = 4096,
						   .max_iter = 4,
						   .step = 0.01f};

	map_scattered(f, X_VA, 5, GT_RW);
	map_scattered(f, Y_VA, 10, GT_RW);
	expect_ret(dispatch(f, SIMGPU_KERNEL_SAXPY, &saxpy, sizeof(saxpy),
			    saxpy.n),
		   -EFAULT, "SAXPY with x half mapped");
	assert_int_equal(f->v.mmu.fault.va, X_VA + 5 * SIMGPU_PAGE_SIZE);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_READ);
	assert_int_equal(f->st.pc, STREAM_VA);
	assert_int_equal(f->st.error, -EFAULT);

	expect_ret(dispatch(f, SIMGPU_KERNEL_REDUCE_SUM, &reduce,
			    sizeof(reduce), reduce.n),
		   -EFAULT, "REDUCE_SUM with x half mapped");
	assert_int_equal(f->v.mmu.fault.va, X_VA + 5 * SIMGPU_PAGE_SIZE);

	/* y read-only: SAXPY needs to write it. */
	map_scattered(f, Y_VA, 10, SIMGPU_PTE_READ);
	saxpy.n = 1024;
	expect_ret(dispatch(f, SIMGPU_KERNEL_SAXPY, &saxpy, sizeof(saxpy),
			    saxpy.n),
		   -EFAULT, "SAXPY into read-only y");
	assert_int_equal(f->v.mmu.fault.va, Y_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_WRITE);

	/* The result of a reduction in read-only memory. */
	reduce.n = 1024;
	reduce.out = Y_VA;
	expect_ret(dispatch(f, SIMGPU_KERNEL_REDUCE_SUM, &reduce,
			    sizeof(reduce), reduce.n),
		   -EFAULT, "REDUCE_SUM into read-only out");
	assert_int_equal(f->v.mmu.fault.va, Y_VA);
	assert_int_equal(f->v.mmu.fault.access, SIMGPU_ACCESS_WRITE);

	/* Rows 0-9 mapped writable, 10-19 not: the first fault is row 10. */
	map_scattered(f, Y_VA, 10, GT_RW);
	expect_ret(dispatch(f, SIMGPU_KERNEL_MANDELBROT, &mb, sizeof(mb), 20),
		   -EFAULT, "MANDELBROT rows half mapped");
	assert_int_equal(f->v.mmu.fault.va, Y_VA + 10 * SIMGPU_PAGE_SIZE);

	/* An argument block that is not mapped, or crosses into a hole. */
	simgpu_cs_builder_init(&f->b, f->words, 64);
	simgpu_cs_dispatch(&f->b, SIMGPU_KERNEL_SAXPY, 0x7000000, 1);
	simgpu_cs_dispatch(&f->b, SIMGPU_KERNEL_SAXPY,
			   ARGS_VA + SIMGPU_PAGE_SIZE - 16, 1);
	gt_load_stream(&f->v, STREAM_VA, &f->b);
	simgpu_cs_start(&f->st, STREAM_VA, 5 * 4);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EFAULT,
		   "unmapped argument block");
	assert_int_equal(f->v.mmu.fault.va, 0x7000000);
	simgpu_cs_start(&f->st, STREAM_VA + 5 * 4, 5 * 4);
	expect_ret(simgpu_cs_run(&f->ctx, &f->st), -EFAULT,
		   "argument block crossing into a hole");
	assert_int_equal(f->v.mmu.fault.va, ARGS_VA + SIMGPU_PAGE_SIZE);
}

static unsigned int on_caller = 0, one_thread = 1, two_threads = 2;

int main(void)
{
#define T(fn, threads)                                                         \
	{                                                                      \
#fn "/" #threads, fn, setup, teardown, &threads                \
	}
#define ALL(fn) T(fn, on_caller), T(fn, one_thread), T(fn, two_threads)
	const struct CMUnitTest tests[] = {
		ALL(test_saxpy_matches_cpu),
		ALL(test_reduce_matches_cpu),
		ALL(test_mandelbrot_matches_cpu),
		ALL(test_bad_arguments_are_refused),
		ALL(test_faults),
	};
#undef ALL
#undef T

	return cmocka_run_group_tests_name("simgpu_kernels", tests, NULL, NULL);
}
