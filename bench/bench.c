// SPDX-License-Identifier: MIT
#include "bench.h"

#include <drm.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "udrm/udrm.h"

#define BENCH_TARGET_NS (20 * 1000 * 1000ull)
#define BENCH_MAX_REPS	64

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Runs @op @iters times; returns the elapsed ns, or 0 on failure. */
static uint64_t bench_run(bench_op_fn op, void *ctx, uint64_t iters)
{
	uint64_t i, start = bench_now_ns(), elapsed;

	for (i = 0; i < iters; i++)
		if (op(ctx))
			return 0;
	elapsed = bench_now_ns() - start;
	return elapsed ? elapsed : 1;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Iterations of @c that take about BENCH_TARGET_NS; 0 on failure. */
static uint64_t bench_calibrate(const struct bench_case *c)
{
	uint64_t iters = 1, elapsed;

	for (;;) {
		elapsed = bench_run(c->op, c->ctx, iters);
		if (!elapsed)
			return 0;
		if (elapsed >= BENCH_TARGET_NS / 4 || iters >= (1ull << 40))
			break;
		iters *= 2;
	}
	return iters * BENCH_TARGET_NS / elapsed + 1;
}

static double bench_median(double *samples, unsigned int n)
{
	qsort(samples, n, sizeof(samples[0]), bench_cmp_double);
	return n % 2 ? samples[n / 2]
		     : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

int bench_compare_ns(const struct bench_case *subject,
		     const struct bench_case *baseline, unsigned int reps,
		     double *subject_ns, double *baseline_ns)
{
	const struct bench_case *cases[2] = {subject, baseline};
	double samples[2][BENCH_MAX_REPS];
	uint64_t iters[2], elapsed;
	unsigned int r, i;

	if (reps == 0 || reps > BENCH_MAX_REPS)
		reps = BENCH_MAX_REPS;
	for (i = 0; i < 2; i++) {
		iters[i] = bench_calibrate(cases[i]);
		/* Warm-up at full length: caches, page tables, lazy setup. */
		if (!iters[i] ||
		    !bench_run(cases[i]->op, cases[i]->ctx, iters[i]))
			goto fail;
	}
	for (r = 0; r < reps; r++) {
		for (i = 0; i < 2; i++) {
			elapsed = bench_run(cases[i]->op, cases[i]->ctx,
					    iters[i]);
			if (!elapsed)
				goto fail;
			samples[i][r] = (double)elapsed / (double)iters[i];
		}
	}
	*subject_ns = bench_median(samples[0], reps);
	*baseline_ns = bench_median(samples[1], reps);
	return 0;
fail:
	fprintf(stderr, "bench: %s failed\n", cases[i]->name);
	return -1;
}

void bench_report_ns(const char *benchmark, double udrm_ns,
		     const char *baseline, double baseline_ns)
{
	double ratio = udrm_ns / baseline_ns;

	printf("%-44s %10.1f ns/op\n", benchmark, udrm_ns);
	printf("%-44s %10.1f ns/op\n", baseline, baseline_ns);
	printf("%-44s %10.2fx\n", "ratio", ratio);
	printf("| %s | %.1f ns/op | %s: %.1f ns/op | %.2fx |\n", benchmark,
	       udrm_ns, baseline, baseline_ns, ratio);
}

void bench_report_rate(const char *benchmark, double udrm_per_s,
		       const char *baseline, double baseline_per_s)
{
	double ratio = baseline_per_s / udrm_per_s;

	printf("%-44s %10.0f /s\n", benchmark, udrm_per_s);
	printf("%-44s %10.0f /s\n", baseline, baseline_per_s);
	printf("%-44s %10.2fx\n", "ratio (time per cycle)", ratio);
	printf("| %s | %.0f /s | %s: %.0f /s | %.2fx |\n", benchmark,
	       udrm_per_s, baseline, baseline_per_s, ratio);
}

bool bench_under_udrm(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "udrm-preload");
}

int bench_dumb_cycle(const struct bench_drm_ops *ops, void *ctx)
{
	struct drm_mode_create_dumb create = {
		.width = BENCH_DUMB_WIDTH,
		.height = BENCH_DUMB_HEIGHT,
		.bpp = BENCH_DUMB_BPP,
	};
	struct drm_mode_map_dumb map = {0};
	struct drm_mode_destroy_dumb destroy = {0};
	volatile uint8_t *p;
	int ret = -1;

	if (ops->ioctl(ctx, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -1;
	map.handle = destroy.handle = create.handle;
	if (ops->ioctl(ctx, DRM_IOCTL_MODE_MAP_DUMB, &map))
		goto out;
	p = ops->mmap(ctx, create.size, map.offset);
	if (p == MAP_FAILED)
		goto out;
	p[0] = 1;
	munmap((void *)p, create.size);
	ret = 0;
out:
	if (ops->ioctl(ctx, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy))
		ret = -1;
	return ret;
}

const char *bench_udrm_mode(void)
{
	const char *server = getenv("UDRM_SERVER");

	return server && server[0] ? " (device server)" : " (in-process)";
}

int bench_open_private_vkms(const char *bench, struct udrm_device **dev,
			    struct udrm_file **file)
{
	const struct udrm_device_desc desc = {
		.driver = "vkms",
		.primary_minor = 0,
		.render_minor = -1,
	};
	int ret = udrm_device_create(&desc, dev);

	if (ret) {
		fprintf(stderr, "%s: cannot create a vkms device: %s\n", bench,
			strerror(-ret));
		return ret;
	}
	ret = udrm_file_open(*dev, UDRM_NODE_PRIMARY, O_RDWR, file);
	if (ret) {
		fprintf(stderr, "%s: cannot open card0: %s\n", bench,
			strerror(-ret));
		udrm_device_destroy(*dev);
	}
	return ret;
}

void bench_close_private_vkms(struct udrm_device *dev, struct udrm_file *file)
{
	udrm_file_close(file);
	udrm_device_destroy(dev);
}
