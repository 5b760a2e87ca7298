// SPDX-License-Identifier: MIT
/*
 * The simgpu firmware's cost, through its shared-memory interface as a
 * driver uses it (simgpu_fwif), without the DRM uapi:
 *
 *  - ring round trip: push an EXEC entry of a one-NOP stream, ring the
 *    queue's doorbell, wait on the interrupt eventfd until the entry's
 *    sync object is written. The firmware crosses three threads (the
 *    doorbell wakes the MCU, the MCU wakes a core, the core raises the
 *    interrupt); the baseline is the bare cost of one such crossing and
 *    back: an eventfd ping-pong between two threads.
 *  - DISPATCH throughput: a Mandelbrot picture through the ring on 1 and
 *    2 execution cores, beside the same kernel on the CPU
 *    (simgpu_kernel_mandelbrot_cpu) in the same process.
 *
 * Usage: bench-simgpu-fw [REPETITIONS]
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"
#include "bench_simgpu_ring.h"

#define PIC_W	 256
#define PIC_H	 256
#define PIC_ITER 64

/* The baseline: an eventfd ping-pong with a thread. */
struct pingpong {
	int ping, pong;
	pthread_t thread;
	atomic_bool stop;
};

static int efd_wait(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t value;

	for (;;) {
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -1;
		if (read(fd, &value, sizeof(value)) == sizeof(value))
			return 0;
		if (errno != EAGAIN)
			return -1;
	}
}

static void *pingpong_main(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t one = 1;

	while (!efd_wait(pp->ping) && !atomic_load(&pp->stop))
		if (write(pp->pong, &one, sizeof(one)) != sizeof(one))
			break;
	return NULL;
}

static int pingpong_op(void *ctx)
{
	struct pingpong *pp = ctx;
	uint64_t one = 1;

	if (write(pp->ping, &one, sizeof(one)) != sizeof(one))
		return -1;
	return efd_wait(pp->pong);
}

static int bench_round_trip(unsigned int reps)
{
	struct pingpong pp = {0};
	struct fw_bench fb;
	uint32_t words[4];
	struct simgpu_cs_builder b;
	double fw_ns, pp_ns;
	uint64_t one = 1;
	int ret;

	ret = fw_bench_setup(&fb, 2);
	if (ret) {
		fprintf(stderr, "bench-simgpu-fw: setup: %s\n", strerror(-ret));
		fw_bench_teardown(&fb);
		return -1;
	}
	simgpu_cs_builder_init(&b, words, 4);
	simgpu_cs_nop(&b);
	fw_bench_set_stream(&fb, &b);

	pp.ping = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pp.pong = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	atomic_init(&pp.stop, false);
	if (pp.ping < 0 || pp.pong < 0 ||
	    pthread_create(&pp.thread, NULL, pingpong_main, &pp)) {
		fw_bench_teardown(&fb);
		return -1;
	}

	struct bench_case subject = {"simgpu ring round trip",
				     fw_bench_round_trip, &fb};
	struct bench_case baseline = {"eventfd ping-pong", pingpong_op, &pp};

	ret = bench_compare_ns(&subject, &baseline, reps, &fw_ns, &pp_ns);
	if (!ret)
		bench_report_ns("simgpu-fw: ring round trip (doorbell to irq)",
				fw_ns, "eventfd ping-pong between 2 threads",
				pp_ns);

	atomic_store(&pp.stop, true);
	if (write(pp.ping, &one, sizeof(one)) != sizeof(one))
		ret = -1;
	pthread_join(pp.thread, NULL);
	close(pp.ping);
	close(pp.pong);
	fw_bench_teardown(&fb);
	return ret;
}

/* DISPATCH of a Mandelbrot picture, and the CPU kernel. */
static int cpu_mandelbrot_op(void *ctx)
{
	simgpu_kernel_mandelbrot_cpu(ctx, PIC_W, PIC_H, 4 * PIC_W, PIC_ITER,
				     -2.0f, -1.5f, 3.0f / PIC_H);
	return 0;
}

static int bench_dispatch(unsigned int cores, unsigned int reps)
{
	struct simgpu_kernel_mandelbrot_args *args;
	uint32_t words[8], *pic;
	struct simgpu_cs_builder b;
	struct fw_bench fb;
	double fw_ns, cpu_ns;
	char name[96];
	int ret;

	ret = fw_bench_setup(&fb, cores);
	pic = calloc(PIC_W * PIC_H, 4);
	if (ret || !pic) {
		fprintf(stderr, "bench-simgpu-fw: setup: %s\n",
			strerror(ret ? -ret : ENOMEM));
		fw_bench_teardown(&fb);
		free(pic);
		return -1;
	}
	args = (void *)(fb.cpu + ARGS_OFF);
	*args = (struct simgpu_kernel_mandelbrot_args){
		.dst = MEM_VA + PIC_OFF,
		.width = PIC_W,
		.height = PIC_H,
		.pitch = 4 * PIC_W,
		.max_iter = PIC_ITER,
		.x0 = -2.0f,
		.y0 = -1.5f,
		.step = 3.0f / PIC_H,
	};
	simgpu_cs_builder_init(&b, words, 8);
	simgpu_cs_dispatch(&b, SIMGPU_KERNEL_MANDELBROT, MEM_VA + ARGS_OFF,
			   PIC_H);
	fw_bench_set_stream(&fb, &b);

	struct bench_case subject = {"simgpu DISPATCH", fw_bench_round_trip,
				     &fb};
	struct bench_case baseline = {"CPU mandelbrot", cpu_mandelbrot_op, pic};

	ret = bench_compare_ns(&subject, &baseline, reps, &fw_ns, &cpu_ns);
	if (!ret) {
		snprintf(name, sizeof(name),
			 "simgpu-fw: DISPATCH mandelbrot %dx%d, %u core%s",
			 PIC_W, PIC_H, cores, cores > 1 ? "s" : "");
		bench_report_rate(name, 1e9 / fw_ns,
				  "the same kernel on the CPU (1 thread)",
				  1e9 / cpu_ns);
		if (memcmp(pic, fb.cpu + PIC_OFF, 4 * PIC_W * PIC_H)) {
			fprintf(stderr, "bench-simgpu-fw: the GPU picture "
					"differs from the CPU's\n");
			ret = -1;
		}
	}
	free(pic);
	fw_bench_teardown(&fb);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;

	if (bench_round_trip(reps) || bench_dispatch(1, reps) ||
	    bench_dispatch(2, reps))
		return 1;
	return 0;
}
