/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmarks: a monotonic clock, a measurement loop
 * (calibration, warm-up, repetitions, median) and the report format.
 *
 * Every benchmark prints its figure beside a baseline measured in the same
 * run, as human-readable lines and as Markdown table rows (lines starting
 * with "|"), which bench/run.sh collects into one table.
 */
#ifndef UDRM_BENCH_H
#define UDRM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One operation of the measured loop; returns 0 or -1 on failure. */
typedef int (*bench_op_fn)(void *ctx);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* What to measure: an operation and its argument. */
struct bench_case {
	const char *name;
	bench_op_fn op;
	void *ctx;
};

/*
 * Measures @subject against @baseline: finds for each an iteration count
 * that takes about 20 ms, warms both up, then times @reps repetitions of
 * each, alternating so that drift (other load, frequency changes) touches
 * both alike. Writes the median cost of one operation in nanoseconds to
 * *subject_ns and *baseline_ns. Returns 0, or -1 if an operation failed.
 */
int bench_compare_ns(const struct bench_case *subject,
		     const struct bench_case *baseline, unsigned int reps,
		     double *subject_ns, double *baseline_ns);

/* Prints a human-readable line and a Markdown row comparing a cost in ns
 * per operation with its baseline. */
void bench_report_ns(const char *benchmark, double udrm_ns,
		     const char *baseline, double baseline_ns);
/* The same for throughputs in operations per second (higher is better);
 * the ratio column is still "how many times costlier udrm is". */
void bench_report_rate(const char *benchmark, double udrm_per_s,
		       const char *baseline, double baseline_per_s);

/* Whether the process runs under "udrm run" (libudrm-preload.so is in
 * LD_PRELOAD): /dev/dri/card0 is then a udrm device, not a kernel one. */
bool bench_under_udrm(void);
/* How a benchmark reaches a device: ioctl and mmap through the embedding
 * API, the interposer or a server client (each returns 0 / -1, or the
 * mapping / MAP_FAILED). */
struct bench_drm_ops {
	int (*ioctl)(void *ctx, unsigned long cmd, void *arg);
	void *(*mmap)(void *ctx, size_t len, uint64_t offset);
};

/* The dumb buffer cycle of bench-dumb and bench-server: a 256x256
 * XRGB8888 (256 KiB) CREATE_DUMB, MAP_DUMB, mmap, one byte written,
 * munmap, DESTROY_DUMB. 0 or -1. */
#define BENCH_DUMB_WIDTH  256
#define BENCH_DUMB_HEIGHT 256
#define BENCH_DUMB_BPP	  32
int bench_dumb_cycle(const struct bench_drm_ops *ops, void *ctx);

/* " (device server)" under "udrm run --server", " (in-process)" otherwise:
 * the mode an interposed figure was taken in, for its label. */
const char *bench_udrm_mode(void);

struct udrm_device;
struct udrm_file;
/* A private vkms device of this process (card minor 0, in the embedding
 * API's namespace) and a file on it, for the embedding-API figures.
 * 0 or -errno (with a message). Undo with bench_close_private_vkms(). */
int bench_open_private_vkms(const char *bench, struct udrm_device **dev,
			    struct udrm_file **file);
void bench_close_private_vkms(struct udrm_device *dev, struct udrm_file *file);

#endif
