// SPDX-License-Identifier: MIT
/*
 * bench-syncobj: how fast syncobj waits are, through the embedding API (a
 * private vgem device in this process).
 *
 *  - Wake-up latency: one thread sleeps in DRM_IOCTL_SYNCOBJ_WAIT
 *    (WAIT_FOR_SUBMIT on an empty syncobj), another signals it
 *    (DRM_IOCTL_SYNCOBJ_SIGNAL); the time from just before the signal to
 *    the waiter running again. The baseline is the same hand-off between
 *    two threads through an eventfd (write(2) -> blocked read(2)), in the
 *    same run. Median of many rounds; before each round the signaller
 *    gives the waiter time to fall asleep.
 *  - DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT on 1,000 points of a timeline that
 *    have all signalled, per wait; the baseline is poll(2) on 1,000
 *    eventfds that are all readable.
 *
 * Usage: bench-syncobj [REPETITIONS]
 */
#include <drm.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sync/syncobj.h"
#include "udrm/udrm.h"

#define WAKE_ROUNDS	2000
#define WAKE_SETTLE_NS	100000 /* the waiter's time to fall asleep */
#define TIMELINE_POINTS 1000

/* ---- wake-up latency ---- */

/* One hand-off mechanism: the waiter blocks in wait(), the signaller
 * wakes it with signal(), and rearm() makes it ready for the next round. */
struct wake_ops {
	int (*wait)(void *ctx);
	int (*signal)(void *ctx);
	int (*rearm)(void *ctx);
};

/* Two mechanisms measured round by round in turn, by the same pair of
 * threads, so that thread placement and CPU states touch both alike. */
struct wake_bench {
	const struct wake_ops *ops[2];
	void *ctx[2];
	atomic_uint ready; /* rounds the waiter is (about to be) waiting for */
	atomic_uint done;  /* rounds the waiter has finished */
	_Atomic uint64_t t0; /* when the signal was sent */
	double samples[2][WAKE_ROUNDS];
	atomic_int failed;
};

static void *wake_waiter(void *arg)
{
	struct wake_bench *b = arg;
	unsigned int i, k;

	for (i = 0; i < 2 * WAKE_ROUNDS; i++) {
		k = i % 2;
		atomic_store(&b->ready, i + 1);
		if (b->ops[k]->wait(b->ctx[k])) {
			atomic_store(&b->failed, 1);
			return NULL;
		}
		b->samples[k][i / 2] =
			(double)(bench_now_ns() - atomic_load(&b->t0));
		if (b->ops[k]->rearm(b->ctx[k]))
			atomic_store(&b->failed, 1);
		atomic_store(&b->done, i + 1);
	}
	return NULL;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {0, (long)ns};

	nanosleep(&ts, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median wake-up latencies of @ops0 and @ops1 in ns in @median; 0 or
 * -1 on failure. */
static int wake_latency(const struct wake_ops *ops0, void *ctx0,
			const struct wake_ops *ops1, void *ctx1,
			double median[2])
{
	struct wake_bench *b = calloc(1, sizeof(*b));
	pthread_t waiter;
	unsigned int i, k;
	int ret = 0;

	if (!b)
		return -1;
	b->ops[0] = ops0;
	b->ctx[0] = ctx0;
	b->ops[1] = ops1;
	b->ctx[1] = ctx1;
	if (pthread_create(&waiter, NULL, wake_waiter, b)) {
		free(b);
		return -1;
	}
	for (i = 0; i < 2 * WAKE_ROUNDS && !atomic_load(&b->failed); i++) {
		k = i % 2;
		while (atomic_load(&b->ready) != i + 1 &&
		       !atomic_load(&b->failed))
			sched_yield();
		sleep_ns(WAKE_SETTLE_NS);
		atomic_store(&b->t0, bench_now_ns());
		if (b->ops[k]->signal(b->ctx[k])) {
			atomic_store(&b->failed, 1);
			break;
		}
		while (atomic_load(&b->done) != i + 1 &&
		       !atomic_load(&b->failed))
			sched_yield();
	}
	/* A waiter stuck after a failed signal would never return. */
	if (atomic_load(&b->failed))
		pthread_cancel(waiter);
	pthread_join(waiter, NULL);
	if (atomic_load(&b->failed)) {
		ret = -1;
	} else {
		for (k = 0; k < 2; k++) {
			qsort(b->samples[k], WAKE_ROUNDS, sizeof(double),
			      cmp_double);
			median[k] = b->samples[k][WAKE_ROUNDS / 2];
		}
	}
	free(b);
	return ret;
}

struct syncobj_ctx {
	struct udrm_file *file;
	uint32_t handle;
};

static int syncobj_wait(void *ctx)
{
	struct syncobj_ctx *c = ctx;
	struct udrm_drm_syncobj_wait req = {
		.handles = (uint64_t)(uintptr_t)&c->handle,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
		.timeout_nsec = INT64_MAX,
	};

	return udrm_file_ioctl(c->file, UDRM_IOCTL_SYNCOBJ_WAIT, &req) ? -1 : 0;
}

static int syncobj_array(void *ctx, unsigned long cmd)
{
	struct syncobj_ctx *c = ctx;
	struct drm_syncobj_array req = {
		.handles = (uint64_t)(uintptr_t)&c->handle,
		.count_handles = 1,
	};

	return udrm_file_ioctl(c->file, cmd, &req) ? -1 : 0;
}

static int syncobj_signal(void *ctx)
{
	return syncobj_array(ctx, DRM_IOCTL_SYNCOBJ_SIGNAL);
}

static int syncobj_rearm(void *ctx)
{
	return syncobj_array(ctx, DRM_IOCTL_SYNCOBJ_RESET);
}

static const struct wake_ops syncobj_wake = {
	.wait = syncobj_wait,
	.signal = syncobj_signal,
	.rearm = syncobj_rearm,
};

static int eventfd_wait(void *ctx)
{
	uint64_t v;

	return read(*(int *)ctx, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int eventfd_signal(void *ctx)
{
	uint64_t one = 1;

	return write(*(int *)ctx, &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

static int eventfd_rearm(void *ctx)
{
	(void)ctx; /* the read consumed the count */
	return 0;
}

static const struct wake_ops eventfd_wake = {
	.wait = eventfd_wait,
	.signal = eventfd_signal,
	.rearm = eventfd_rearm,
};

static int bench_wakeup(struct udrm_file *file)
{
	struct drm_syncobj_create create = {0};
	struct syncobj_ctx c = {.file = file};
	double syncobj_ns, eventfd_ns, median[2];
	int efd, ret;

	if (udrm_file_ioctl(file, DRM_IOCTL_SYNCOBJ_CREATE, &create))
		return -1;
	c.handle = create.handle;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return -1;
	ret = wake_latency(&syncobj_wake, &c, &eventfd_wake, &efd, median);
	close(efd);
	if (ret) {
		fprintf(stderr, "bench-syncobj: a wake-up round failed\n");
		return -1;
	}
	syncobj_ns = median[0];
	eventfd_ns = median[1];
	bench_report_ns("syncobj SIGNAL -> WAIT wake-up (median)", syncobj_ns,
			"eventfd write -> read wake-up", eventfd_ns);
	return 0;
}

/* ---- TIMELINE_WAIT on signalled points ---- */

struct timeline_ctx {
	struct udrm_file *file;
	uint32_t *handles;
	uint64_t *points;
	struct pollfd *pfds;
};

static int op_timeline_wait(void *ctx)
{
	struct timeline_ctx *c = ctx;
	struct udrm_drm_syncobj_timeline_wait req = {
		.handles = (uint64_t)(uintptr_t)c->handles,
		.points = (uint64_t)(uintptr_t)c->points,
		.count_handles = TIMELINE_POINTS,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
		.timeout_nsec = 0,
	};

	return udrm_file_ioctl(c->file, UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &req)
		       ? -1
		       : 0;
}

static int op_poll_eventfds(void *ctx)
{
	struct timeline_ctx *c = ctx;

	return poll(c->pfds, TIMELINE_POINTS, 0) == TIMELINE_POINTS ? 0 : -1;
}

static int bench_timeline(struct udrm_file *file, unsigned int reps)
{
	struct timeline_ctx c = {.file = file};
	struct bench_case wait = {
		.name = "TIMELINE_WAIT x1000",
		.op = op_timeline_wait,
		.ctx = &c,
	};
	struct bench_case baseline = {
		.name = "poll x1000",
		.op = op_poll_eventfds,
		.ctx = &c,
	};
	struct drm_syncobj_create create = {0};
	double wait_ns, poll_ns;
	unsigned int i, opened = 0;
	int ret = -1;

	c.handles = calloc(TIMELINE_POINTS, sizeof(*c.handles));
	c.points = calloc(TIMELINE_POINTS, sizeof(*c.points));
	c.pfds = calloc(TIMELINE_POINTS, sizeof(*c.pfds));
	if (!c.handles || !c.points || !c.pfds)
		goto out;
	if (udrm_file_ioctl(file, DRM_IOCTL_SYNCOBJ_CREATE, &create))
		goto out;
	for (i = 0; i < TIMELINE_POINTS; i++) {
		struct drm_syncobj_timeline_array sig = {
			.handles = (uint64_t)(uintptr_t)&create.handle,
			.points = (uint64_t)(uintptr_t)&c.points[i],
			.count_handles = 1,
		};

		c.handles[i] = create.handle;
		c.points[i] = i + 1;
		if (udrm_file_ioctl(file, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
				    &sig))
			goto out;
	}
	for (i = 0; i < TIMELINE_POINTS; i++, opened++) {
		c.pfds[i].fd = eventfd(1, EFD_CLOEXEC);
		c.pfds[i].events = POLLIN;
		if (c.pfds[i].fd < 0) {
			fprintf(stderr, "bench-syncobj: 1,000 eventfds do not "
					"fit the fd limit\n");
			goto out;
		}
	}
	ret = bench_compare_ns(&wait, &baseline, reps, &wait_ns, &poll_ns);
	if (!ret) {
		bench_report_ns("TIMELINE_WAIT on 1000 signalled points",
				wait_ns, "poll() on 1000 readable eventfds",
				poll_ns);
		printf("  %.1f ns per point\n", wait_ns / TIMELINE_POINTS);
	}
out:
	for (i = 0; i < opened; i++)
		close(c.pfds[i].fd);
	free(c.handles);
	free(c.points);
	free(c.pfds);
	if (ret)
		fprintf(stderr, "bench-syncobj: the timeline wait failed\n");
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	const struct udrm_device_desc desc = {
		/* A render node only, on a minor "udrm run" leaves free. */
		.driver = "vgem",
		.primary_minor = -1,
		.render_minor = 191,
	};
	struct udrm_device *dev;
	struct udrm_file *file;
	int ret;

	printf("bench-syncobj: private vgem device, embedding API; "
	       "median of %u repetitions (wake-ups: %u rounds)\n",
	       reps, WAKE_ROUNDS);
	if (udrm_device_create(&desc, &dev)) {
		fprintf(stderr, "bench-syncobj: cannot create a vgem device\n");
		return 1;
	}
	ret = udrm_file_open(dev, UDRM_NODE_RENDER, O_RDWR, &file);
	if (!ret) {
		ret = bench_wakeup(file);
		ret |= bench_timeline(file, reps);
		udrm_file_close(file);
	}
	udrm_device_destroy(dev);
	return ret ? 1 : 0;
}
