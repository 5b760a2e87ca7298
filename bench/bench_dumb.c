// SPDX-License-Identifier: MIT
/*
 * bench-dumb: dumb-buffer cycles per second.
 *
 * One cycle is what a simple KMS client does for a buffer: CREATE_DUMB,
 * MAP_DUMB, mmap, touch one byte, munmap, DESTROY_DUMB. Under "udrm run"
 * it goes through the interposer on /dev/dri/card0; the baseline is the
 * same life of a plain shared-memory buffer (memfd_create, ftruncate,
 * mmap, touch, munmap, close) in the same run. The cycle through the
 * embedding API is measured for reference.
 *
 * Usage: udrm run -- bench-dumb [REPETITIONS]
 */
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "udrm/udrm.h"

/* A 256x256 XRGB8888 buffer: 256 KiB, a cursor-to-sprite sized object. */
#define DUMB_WIDTH  BENCH_DUMB_WIDTH
#define DUMB_HEIGHT BENCH_DUMB_HEIGHT
#define DUMB_BPP    BENCH_DUMB_BPP
#define DUMB_SIZE   ((size_t)DUMB_WIDTH * DUMB_HEIGHT * DUMB_BPP / 8)

struct dumb_ctx {
	int fd;
	struct udrm_file *file;
};

/* ioctl(2) or udrm_file_ioctl(), whichever the context has. */
static int dumb_ioctl(struct dumb_ctx *c, unsigned long cmd, void *arg)
{
	if (c->file)
		return udrm_file_ioctl(c->file, cmd, arg) ? -1 : 0;
	return ioctl(c->fd, cmd, arg) ? -1 : 0;
}

static void *dumb_mmap(struct dumb_ctx *c, size_t len, uint64_t offset)
{
	void *map;

	if (c->file)
		return udrm_file_mmap(c->file, NULL, len,
				      PROT_READ | PROT_WRITE, MAP_SHARED,
				      offset, &map)
			       ? MAP_FAILED
			       : map;
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		    (off_t)offset);
}

static int dumb_ops_ioctl(void *ctx, unsigned long cmd, void *arg)
{
	return dumb_ioctl(ctx, cmd, arg);
}

static void *dumb_ops_mmap(void *ctx, size_t len, uint64_t offset)
{
	return dumb_mmap(ctx, len, offset);
}

static int op_dumb_cycle(void *ctx)
{
	static const struct bench_drm_ops ops = {
		.ioctl = dumb_ops_ioctl,
		.mmap = dumb_ops_mmap,
	};

	return bench_dumb_cycle(&ops, ctx);
}

static int op_memfd_cycle(void *ctx)
{
	volatile uint8_t *p;
	int fd, ret = -1;

	(void)ctx;
	fd = memfd_create("bench-dumb", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, DUMB_SIZE))
		goto out;
	p = mmap(NULL, DUMB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto out;
	p[0] = 1;
	munmap((void *)p, DUMB_SIZE);
	ret = 0;
out:
	close(fd);
	return ret;
}

static const struct bench_case memfd_case = {
	.name = "memfd cycle",
	.op = op_memfd_cycle,
};

#define MEMFD_BASELINE "memfd+ftruncate+mmap+touch+munmap+close"

/* The embedding API path: a private vkms device in this process. */
static int bench_embedded(unsigned int reps)
{
	struct dumb_ctx c = {.fd = -1};
	struct bench_case embedded = {
		.name = "embedded dumb cycle",
		.op = op_dumb_cycle,
		.ctx = &c,
	};
	struct udrm_device *dev;
	double ns, memfd_ns;
	int ret;

	ret = bench_open_private_vkms("bench-dumb", &dev, &c.file);
	if (ret)
		return ret;
	ret = bench_compare_ns(&embedded, &memfd_case, reps, &ns, &memfd_ns);
	bench_close_private_vkms(dev, c.file);
	if (!ret)
		bench_report_rate("dumb cycle through the embedding API",
				  1e9 / ns, MEMFD_BASELINE, 1e9 / memfd_ns);
	return ret;
}

/* The interposer path: ioctl(2) and mmap(2) on /dev/dri/card0 under
 * "udrm run". */
static int bench_interposed(unsigned int reps)
{
	struct dumb_ctx c = {.fd = -1};
	struct bench_case interposed = {
		.name = "dumb cycle",
		.op = op_dumb_cycle,
		.ctx = &c,
	};
	double ns, memfd_ns;
	int ret;

	c.fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (c.fd < 0) {
		perror("bench-dumb: /dev/dri/card0");
		return -1;
	}
	ret = bench_compare_ns(&interposed, &memfd_case, reps, &ns, &memfd_ns);
	close(c.fd);
	if (!ret) {
		char label[128];

		snprintf(label, sizeof(label),
			 "dumb create+map+mmap+touch+munmap+destroy through "
			 "the interposer%s",
			 bench_udrm_mode());
		bench_report_rate(label, 1e9 / ns, MEMFD_BASELINE,
				  1e9 / memfd_ns);
	}
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	int ret = 0;

	printf("bench-dumb: %ux%u@%u buffers, median of %u repetitions\n",
	       DUMB_WIDTH, DUMB_HEIGHT, DUMB_BPP, reps);
	if (bench_under_udrm())
		ret |= bench_interposed(reps);
	else
		printf("not under \"udrm run\": skipping the interposer "
		       "figure\n");
	ret |= bench_embedded(reps);
	return ret ? 1 : 0;
}
