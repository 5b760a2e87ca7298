// SPDX-License-Identifier: MIT
/*
 * simgpu built-in compute kernels (DISPATCH) and their plain-CPU
 * versions.
 *
 * A dispatch validates its argument block, cuts the work into chunks and
 * runs them through ctx->parallel; each chunk translates through its own
 * copy of the queue's MMU context. The GPU versions compute every element
 * with the very code of the CPU versions (they call them on each run of
 * elements inside a page), so their results are bit-identical.
 */
#include "simgpu_kernels.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Elements of SAXPY and REDUCE_SUM per work chunk (16 KiB of each array). */
#define KERNEL_CHUNK_ELEMS 4096u

void simgpu_kernel_saxpy_cpu(float *y, const float *x, float a, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		/* Two statements: no compiler may fuse them into an FMA
		 * in one caller and not in another. */
		float ax = a * x[i];

		y[i] = ax + y[i];
	}
}

uint32_t simgpu_kernel_reduce_cpu(const uint32_t *x, uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += x[i];
	return sum;
}

static uint32_t mandelbrot_colour(uint32_t iter, uint32_t max_iter)
{
	if (iter >= max_iter)
		return 0xff000000u;
	return 0xff000000u | ((iter * 7u) & 0xff) << 16 |
	       ((iter * 13u) & 0xff) << 8 | ((iter * 29u) & 0xff);
}

/* Pixels (px .. px + n - 1, py) into out[0 .. n). Not inlined, so that the
 * CPU and GPU versions run the same machine code for every pixel. */
__attribute__((noinline)) static void
mandelbrot_span(uint32_t *out, uint32_t px, uint32_t py, uint32_t n,
		uint32_t max_iter, float x0, float y0, float step)
{
	float cy = y0 + (float)py * step;

	for (uint32_t i = 0; i < n; i++) {
		float cx = x0 + (float)(px + i) * step;
		float zx = 0.0f, zy = 0.0f;
		uint32_t iter = 0;

		while (iter < max_iter) {
			float zx2 = zx * zx;
			float zy2 = zy * zy;
			float zxy;

			if (zx2 + zy2 > 4.0f)
				break;
			zxy = 2.0f * zx * zy;
			zy = zxy + cy;
			zx = zx2 - zy2;
			zx = zx + cx;
			iter++;
		}
		out[i] = mandelbrot_colour(iter, max_iter);
	}
}

void simgpu_kernel_mandelbrot_cpu(uint32_t *dst, uint32_t width,
				  uint32_t height, uint32_t pitch,
				  uint32_t max_iter, float x0, float y0,
				  float step)
{
	for (uint32_t y = 0; y < height; y++)
		mandelbrot_span(
			(uint32_t *)((uint8_t *)dst + (size_t)y * pitch), 0, y,
			width, max_iter, x0, y0, step);
}

/* One DISPATCH: its decoded arguments and how its chunks went. */
struct kernel_job {
	const struct simgpu_mmu *mmu; /* copied by each chunk */
	uint32_t kernel;
	uint32_t n;    /* elements (SAXPY, REDUCE_SUM) or rows (MANDELBROT) */
	uint64_t x, y; /* SAXPY x, y; REDUCE_SUM x */
	float a;
	uint64_t dst; /* MANDELBROT */
	uint32_t width, pitch, max_iter;
	float x0, y0, step;

	atomic_uint sum; /* REDUCE_SUM: partial sums added as chunks end */
	/* The lowest chunk that faulted (UINT_MAX: none) and its fault;
	 * chunks above it are skipped. Written under lock. */
	atomic_uint fault_chunk;
	struct simgpu_mmu_fault fault;
	pthread_mutex_t lock;
};

static uint32_t bytes_le32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v; /* little-endian host (checked in simgpu_cs.c) */
}

static uint64_t bytes_le64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return v;
}

static float bytes_float(const uint8_t *b)
{
	float f;

	memcpy(&f, b, 4);
	return f;
}

/* Elements of 4 bytes from @va to the end of its page. */
static uint32_t elems_in_page(uint64_t va)
{
	return (uint32_t)((SIMGPU_PAGE_SIZE - (va & (SIMGPU_PAGE_SIZE - 1))) /
			  4);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static int chunk_saxpy(struct kernel_job *job, struct simgpu_mmu *mmu,
		       uint32_t first, uint32_t count)
{
	uint64_t x = job->x + 4ull * first, y = job->y + 4ull * first;

	while (count) {
		uint32_t k = min_u32(
			count, min_u32(elems_in_page(x), elems_in_page(y)));
		const float *xp = simgpu_mmu_ptr(mmu, x, SIMGPU_ACCESS_READ);
		float *yp;

		if (!xp)
			return -EFAULT;
		/* y is read, then written. */
		if (!simgpu_mmu_ptr(mmu, y, SIMGPU_ACCESS_READ))
			return -EFAULT;
		yp = simgpu_mmu_ptr(mmu, y, SIMGPU_ACCESS_WRITE);
		if (!yp)
			return -EFAULT;
		simgpu_kernel_saxpy_cpu(yp, xp, job->a, k);
		x += 4ull * k;
		y += 4ull * k;
		count -= k;
	}
	return 0;
}

static int chunk_reduce(struct kernel_job *job, struct simgpu_mmu *mmu,
			uint32_t first, uint32_t count)
{
	uint64_t x = job->x + 4ull * first;
	uint32_t sum = 0;

	while (count) {
		uint32_t k = min_u32(count, elems_in_page(x));
		const uint32_t *xp = simgpu_mmu_ptr(mmu, x, SIMGPU_ACCESS_READ);

		if (!xp)
			return -EFAULT;
		sum += simgpu_kernel_reduce_cpu(xp, k);
		x += 4ull * k;
		count -= k;
	}
	atomic_fetch_add_explicit(&job->sum, sum, memory_order_relaxed);
	return 0;
}

static int chunk_mandelbrot(struct kernel_job *job, struct simgpu_mmu *mmu,
			    uint32_t row)
{
	uint64_t va = job->dst + (uint64_t)row * job->pitch;
	uint32_t px = 0;

	while (px < job->width) {
		uint32_t k = min_u32(job->width - px, elems_in_page(va));
		uint32_t *p = simgpu_mmu_ptr(mmu, va, SIMGPU_ACCESS_WRITE);

		if (!p)
			return -EFAULT;
		mandelbrot_span(p, px, row, k, job->max_iter, job->x0, job->y0,
				job->step);
		va += 4ull * k;
		px += k;
	}
	return 0;
}

/* The work item of ctx->parallel: chunk @i of the job. */
static void kernel_chunk(void *arg, unsigned int i)
{
	struct kernel_job *job = arg;
	struct simgpu_mmu mmu;
	uint32_t first, count;
	int ret;

	if (i > atomic_load_explicit(&job->fault_chunk, memory_order_relaxed))
		return;
	mmu = *job->mmu;
	if (job->kernel == SIMGPU_KERNEL_MANDELBROT) {
		ret = chunk_mandelbrot(job, &mmu, i);
	} else {
		first = i * KERNEL_CHUNK_ELEMS;
		count = min_u32(job->n - first, KERNEL_CHUNK_ELEMS);
		if (job->kernel == SIMGPU_KERNEL_SAXPY)
			ret = chunk_saxpy(job, &mmu, first, count);
		else
			ret = chunk_reduce(job, &mmu, first, count);
	}
	if (!ret)
		return;
	pthread_mutex_lock(&job->lock);
	if (i < atomic_load_explicit(&job->fault_chunk, memory_order_relaxed)) {
		job->fault = mmu.fault;
		atomic_store_explicit(&job->fault_chunk, i,
				      memory_order_relaxed);
	}
	pthread_mutex_unlock(&job->lock);
}

/* Whether the array of @n 4-byte elements at @va is aligned and does not
 * wrap. */
static bool array_ok(uint64_t va, uint32_t n)
{
	return !(va & 3) && 4ull * n <= UINT64_MAX - va;
}

static int decode_args(struct simgpu_cs_ctx *ctx, struct kernel_job *job,
		       uint64_t args, uint32_t count)
{
	uint8_t b[sizeof(struct simgpu_kernel_mandelbrot_args)];
	uint64_t extent;
	uint32_t height;

	switch (job->kernel) {
	case SIMGPU_KERNEL_SAXPY:
		if (simgpu_mmu_read(ctx->mmu, args, b,
				    sizeof(struct simgpu_kernel_saxpy_args)))
			return -EFAULT;
		job->x = bytes_le64(b + 0);
		job->y = bytes_le64(b + 8);
		job->n = bytes_le32(b + 16);
		job->a = bytes_float(b + 20);
		if (count != job->n || !array_ok(job->x, job->n) ||
		    !array_ok(job->y, job->n))
			return -EINVAL;
		return 0;
	case SIMGPU_KERNEL_REDUCE_SUM:
		if (simgpu_mmu_read(ctx->mmu, args, b,
				    sizeof(struct simgpu_kernel_reduce_args)))
			return -EFAULT;
		job->x = bytes_le64(b + 0);
		job->y = bytes_le64(b + 8); /* out */
		job->n = bytes_le32(b + 16);
		if (bytes_le32(b + 20) || count != job->n ||
		    !array_ok(job->x, job->n) || (job->y & 3))
			return -EINVAL;
		return 0;
	case SIMGPU_KERNEL_MANDELBROT:
		if (simgpu_mmu_read(
			    ctx->mmu, args, b,
			    sizeof(struct simgpu_kernel_mandelbrot_args)))
			return -EFAULT;
		job->dst = bytes_le64(b + 0);
		job->width = bytes_le32(b + 8);
		height = bytes_le32(b + 12);
		job->pitch = bytes_le32(b + 16);
		job->max_iter = bytes_le32(b + 20);
		job->x0 = bytes_float(b + 24);
		job->y0 = bytes_float(b + 28);
		job->step = bytes_float(b + 32);
		job->n = height;
		if (bytes_le32(b + 36) || count != height ||
		    job->max_iter > SIMGPU_KERNEL_MANDELBROT_MAX_ITER ||
		    (job->dst & 3) || (job->pitch & 3) ||
		    4ull * job->width > job->pitch)
			return -EINVAL;
		if (!height || !job->width)
			return 0;
		if (__builtin_mul_overflow((uint64_t)(height - 1),
					   (uint64_t)job->pitch, &extent) ||
		    __builtin_add_overflow(extent, 4ull * job->width,
					   &extent) ||
		    extent > UINT64_MAX - job->dst)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int simgpu_kernel_dispatch(struct simgpu_cs_ctx *ctx, uint32_t kernel,
			   uint64_t args, uint32_t count)
{
	struct kernel_job job;
	unsigned int chunks;
	uint32_t *out;
	int ret;

	memset(&job, 0, sizeof(job));
	job.kernel = kernel;
	ret = decode_args(ctx, &job, args, count);
	if (ret)
		return ret;
	if (kernel == SIMGPU_KERNEL_MANDELBROT)
		chunks = job.width ? job.n : 0;
	else
		chunks = job.n / KERNEL_CHUNK_ELEMS +
			 (job.n % KERNEL_CHUNK_ELEMS != 0);

	job.mmu = ctx->mmu;
	atomic_init(&job.sum, 0);
	atomic_init(&job.fault_chunk, UINT_MAX);
	pthread_mutex_init(&job.lock, NULL);
	if (chunks && ctx->parallel) {
		ctx->parallel(ctx->core, chunks, kernel_chunk, &job);
	} else {
		for (unsigned int i = 0; i < chunks; i++)
			kernel_chunk(&job, i);
	}
	pthread_mutex_destroy(&job.lock);

	if (atomic_load(&job.fault_chunk) != UINT_MAX) {
		ctx->mmu->fault = job.fault;
		return -EFAULT;
	}
	if (kernel == SIMGPU_KERNEL_REDUCE_SUM) {
		out = simgpu_mmu_ptr(ctx->mmu, job.y, SIMGPU_ACCESS_WRITE);
		if (!out)
			return -EFAULT;
		__atomic_store_n(out, atomic_load(&job.sum), __ATOMIC_RELEASE);
	}
	return 0;
}
