// SPDX-License-Identifier: MIT
/*
 * Sync objects through libdrm's drmSyncobj* on vgem's render node: binary
 * signal/reset/wait with timeouts, sharing by fd between nodes, timeline
 * points with query, transfer and WAIT_AVAILABLE, eventfd notification,
 * and a wait woken from another thread. vkms (card0) has no syncobjs.
 */
#include "itest.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>

/* Newer than libdrm 2.4.114's headers: the kernel's uapi. */
struct int_syncobj_eventfd {
	uint32_t handle;
	uint32_t flags;
	uint64_t point;
	int32_t fd;
	uint32_t pad;
};
#define INT_IOCTL_SYNCOBJ_EVENTFD DRM_IOWR(0xCF, struct int_syncobj_eventfd)

/* libdrm's drmSyncobj* return -1/errno or -errno depending on the call:
 * accept either. @err 0 means success. */
#define CHECK_DRM(call, err, ...)                                              \
	do {                                                                   \
		int want_ = (err);                                             \
		errno = 0;                                                     \
		int ret_ = (call);                                             \
		int errno_ = ret_ == -1 ? errno : -ret_;                       \
		if (want_ == 0 ? ret_ != 0 : errno_ != want_) {                \
			char what_[256];                                       \
			snprintf(what_, sizeof(what_), __VA_ARGS__);           \
			itest_fail(__FILE__, __LINE__,                         \
				   "%s: expected %s, got %d (%s)", what_,      \
				   want_ ? strerror(want_) : "success", ret_,  \
				   strerror(errno_));                          \
		}                                                              \
	} while (0)

static int64_t in_ms(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + ms * 1000000;
}

static uint32_t create(int fd, uint32_t flags)
{
	uint32_t h = 0;

	CHECK_DRM(drmSyncobjCreate(fd, flags, &h), 0, "drmSyncobjCreate");
	CHECK(h != 0, "drmSyncobjCreate gave handle 0");
	return h;
}

static void caps_and_vkms(int render, int card0)
{
	uint64_t value = 0;
	uint32_t h;

	CHECK_DRM(drmGetCap(render, DRM_CAP_SYNCOBJ, &value), 0,
		  "GET_CAP SYNCOBJ");
	CHECK(value == 1, "vgem must report DRM_CAP_SYNCOBJ");
	CHECK_DRM(drmGetCap(render, DRM_CAP_SYNCOBJ_TIMELINE, &value), 0,
		  "GET_CAP SYNCOBJ_TIMELINE");
	CHECK(value == 1, "vgem must report DRM_CAP_SYNCOBJ_TIMELINE");
	CHECK_DRM(drmGetCap(card0, DRM_CAP_SYNCOBJ, &value), 0,
		  "GET_CAP SYNCOBJ on vkms");
	CHECK(value == 0, "vkms has no syncobjs");
	CHECK_DRM(drmSyncobjCreate(card0, 0, &h), EOPNOTSUPP,
		  "drmSyncobjCreate on vkms");
}

static void binary(int render)
{
	uint32_t h = create(render, 0),
		 s = create(render, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t both[2] = {h, s}, first = 99;
	int64_t start = in_ms(0);

	CHECK_DRM(drmSyncobjWait(render, &h, 1, in_ms(50), 0, NULL), EINVAL,
		  "wait on a syncobj without fence");
	CHECK_DRM(drmSyncobjWait(render, &h, 1, in_ms(50),
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL),
		  ETIME, "WAIT_FOR_SUBMIT with a 50 ms timeout");
	CHECK(in_ms(0) - start >= 49000000, "the 50 ms wait returned early");
	CHECK_DRM(drmSyncobjWait(render, both, 2, 0,
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
				 &first),
		  0, "wait for any of {empty, signalled}");
	CHECK(first == 1, "first_signaled %u, expected 1", first);
	CHECK_DRM(drmSyncobjWait(render, both, 2, 0,
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
					 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
				 NULL),
		  ETIME, "wait for all of {empty, signalled}");
	CHECK_DRM(drmSyncobjSignal(render, &h, 1), 0, "drmSyncobjSignal");
	CHECK_DRM(drmSyncobjWait(render, both, 2, in_ms(1000),
				 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, NULL),
		  0, "wait for all once signalled");
	CHECK_DRM(drmSyncobjReset(render, both, 2), 0, "drmSyncobjReset");
	CHECK_DRM(drmSyncobjWait(render, &s, 1, 0, 0, NULL), EINVAL,
		  "wait after reset");
	CHECK_DRM(drmSyncobjDestroy(render, h), 0, "drmSyncobjDestroy");
	CHECK_DRM(drmSyncobjDestroy(render, h), EINVAL, "destroy twice");
	CHECK_DRM(drmSyncobjSignal(render, &h, 1), ENOENT,
		  "signal a destroyed handle");
	CHECK_DRM(drmSyncobjDestroy(render, s), 0, "drmSyncobjDestroy");
}

static void sharing(int render)
{
	int card1 = itest_open("/dev/dri/card1", O_RDWR);
	int render2 = itest_open("/dev/dri/renderD128", O_RDWR);
	uint32_t h = create(render, 0), h1 = 0, h2 = 0;
	int fd = -1;

	CHECK_DRM(drmSyncobjHandleToFD(render, h, &fd), 0,
		  "drmSyncobjHandleToFD");
	CHECK(fd >= 0, "drmSyncobjHandleToFD gave fd %d", fd);
	CHECK_DRM(drmSyncobjFDToHandle(card1, fd, &h1), 0,
		  "drmSyncobjFDToHandle on card1");
	CHECK_DRM(drmSyncobjFDToHandle(render2, fd, &h2), 0,
		  "drmSyncobjFDToHandle on a second renderD128 open");
	CHECK_DRM(drmSyncobjSignal(card1, &h1, 1), 0, "signal via card1");
	CHECK_DRM(drmSyncobjWait(render2, &h2, 1, 0, 0, NULL), 0,
		  "the signal is seen through the other import");
	CHECK_DRM(drmSyncobjWait(render, &h, 1, 0, 0, NULL), 0,
		  "and through the exporter");
	close(fd);
	CHECK_DRM(drmSyncobjFDToHandle(render, fd, &h2), EINVAL,
		  "import of a closed fd");
	{
		int p[2];

		CHECK(pipe(p) == 0, "pipe");
		CHECK_DRM(drmSyncobjFDToHandle(render, p[0], &h2), EINVAL,
			  "import of a pipe");
		close(p[0]);
		close(p[1]);
	}
	close(render2);
	close(card1);
}

static void timeline(int render)
{
	uint32_t tl = create(render, 0), bin = create(render, 0);
	uint32_t handles[2] = {tl, tl};
	uint64_t points[2] = {1, 5}, got[2] = {0, 0};
	uint64_t p6 = 6, p5 = 5;

	CHECK_DRM(drmSyncobjTimelineSignal(render, handles, points, 2), 0,
		  "drmSyncobjTimelineSignal points 1 and 5");
	CHECK_DRM(drmSyncobjQuery2(render, &tl, got, 1, 0), 0,
		  "drmSyncobjQuery2");
	CHECK(got[0] == 5, "last signalled point %llu, expected 5",
	      (unsigned long long)got[0]);
	CHECK_DRM(drmSyncobjTimelineWait(render, &tl, &p5, 1, in_ms(1000), 0,
					 NULL),
		  0, "wait for point 5");
	CHECK_DRM(
		drmSyncobjTimelineWait(render, &tl, &p6, 1, in_ms(30), 0, NULL),
		EINVAL, "wait for point 6 (not submitted)");
	CHECK_DRM(drmSyncobjTimelineWait(render, &tl, &p6, 1, in_ms(30),
					 DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
					 NULL),
		  ETIME, "WAIT_AVAILABLE for point 6 with a 30 ms timeout");

	CHECK_DRM(drmSyncobjTransfer(render, bin, 0, tl, 5, 0), 0,
		  "transfer point 5 to a binary syncobj");
	CHECK_DRM(drmSyncobjWait(render, &bin, 1, 0, 0, NULL), 0,
		  "the binary syncobj got the signalled point");
	CHECK_DRM(drmSyncobjTransfer(render, tl, 8, bin, 0, 0), 0,
		  "transfer the binary fence to point 8");
	CHECK_DRM(drmSyncobjQuery2(render, &tl, got, 1,
				   DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
		  0, "drmSyncobjQuery2 LAST_SUBMITTED");
	CHECK(got[0] == 8, "last submitted point %llu, expected 8",
	      (unsigned long long)got[0]);
	CHECK_DRM(drmSyncobjTransfer(render, bin, 0, tl, 9, 0), EINVAL,
		  "transfer from point 9 (not submitted)");
	CHECK_DRM(drmSyncobjTransfer(render, bin, 0, 777, 0, 0), ENOENT,
		  "transfer from an unknown handle");
	drmSyncobjDestroy(render, bin);
	drmSyncobjDestroy(render, tl);
}

static void eventfd_notification(int render)
{
	uint32_t tl = create(render, 0);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct int_syncobj_eventfd req = {.handle = tl, .point = 10, .fd = efd};
	struct pollfd p = {.fd = efd, .events = POLLIN};
	uint64_t point = 10, count = 0;

	CHECK(efd >= 0, "eventfd: %s", strerror(errno));
	CHECK_ERRNO(drmIoctl(render, INT_IOCTL_SYNCOBJ_EVENTFD, &req), 0,
		    "SYNCOBJ_EVENTFD for point 10");
	CHECK(poll(&p, 1, 20) == 0, "the eventfd fired before point 10");
	CHECK_DRM(drmSyncobjTimelineSignal(render, &tl, &point, 1), 0,
		  "signal point 10");
	CHECK(poll(&p, 1, 5000) == 1, "the eventfd did not fire in 5 s");
	CHECK(read(efd, &count, sizeof(count)) == sizeof(count) && count == 1,
	      "eventfd count %llu, expected 1", (unsigned long long)count);

	req.fd = -1;
	CHECK_ERRNO(drmIoctl(render, INT_IOCTL_SYNCOBJ_EVENTFD, &req), EBADF,
		    "SYNCOBJ_EVENTFD with fd -1");
	req.fd = efd;
	req.pad = 1;
	CHECK_ERRNO(drmIoctl(render, INT_IOCTL_SYNCOBJ_EVENTFD, &req), EINVAL,
		    "SYNCOBJ_EVENTFD with pad");
	close(efd);
	drmSyncobjDestroy(render, tl);
}

struct waiter {
	int fd;
	uint32_t handle;
	int ret;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->ret = drmSyncobjWait(w->fd, &w->handle, 1, in_ms(10000),
				DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL);
	return NULL;
}

static void wait_woken_from_another_thread(int render)
{
	struct waiter w = {.fd = render, .handle = create(render, 0), .ret = 1};
	pthread_t t;
	int64_t signalled_at;

	CHECK(pthread_create(&t, NULL, waiter_main, &w) == 0, "pthread_create");
	usleep(50000);
	CHECK(w.ret == 1, "the waiter returned %d before the signal", w.ret);
	signalled_at = in_ms(0);
	CHECK_DRM(drmSyncobjSignal(render, &w.handle, 1), 0, "signal");
	pthread_join(t, NULL);
	CHECK(w.ret == 0, "the waiter returned %d", w.ret);
	CHECK(in_ms(0) - signalled_at < 5000000000, "the waiter woke late");
	drmSyncobjDestroy(render, w.handle);
}

int main(void)
{
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	int card0 = itest_open("/dev/dri/card0", O_RDWR);

	caps_and_vkms(render, card0);
	binary(render);
	sharing(render);
	timeline(render);
	eventfd_notification(render);
	wait_woken_from_another_thread(render);
	close(card0);
	close(render);
	return 0;
}
