// SPDX-License-Identifier: MIT
/*
 * poll() on a dma-buf waits for its implicit fences, as the kernel's
 * dma_buf_poll(): POLLIN once the writers are done, POLLOUT once every
 * fence is. A vgem buffer exported from card1, fenced on renderD128.
 */
#include "itest.h"

#include <xf86drmMode.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <time.h>

#include "../../src/drivers/vgem/vgem_drm.h"

struct signaller {
	int fd;
	uint32_t fence;
	atomic_bool signalled;
};

static void *signal_later(void *arg)
{
	struct signaller *s = arg;
	struct timespec ts = {0, 100 * 1000000};
	struct drm_vgem_fence_signal sig = {.fence = s->fence};

	nanosleep(&ts, NULL);
	atomic_store(&s->signalled, true);
	CHECK_ERRNO(ioctl(s->fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0,
		    "VGEM_FENCE_SIGNAL from a thread");
	return NULL;
}

static uint32_t attach(int fd, uint32_t handle, uint32_t flags)
{
	struct drm_vgem_fence_attach att = {.handle = handle, .flags = flags};

	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), 0,
		    "VGEM_FENCE_ATTACH flags 0x%x", flags);
	return att.out_fence;
}

static void signal_now(int fd, uint32_t fence)
{
	struct drm_vgem_fence_signal sig = {.fence = fence};

	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0,
		    "VGEM_FENCE_SIGNAL");
}

/* poll() of @events on @fd with @timeout_ms; returns revents. */
static short poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, timeout_ms);

	CHECK(n >= 0, "poll failed: %s", strerror(errno));
	CHECK((n == 0) == (p.revents == 0),
	      "poll returned %d with revents 0x%x", n, p.revents);
	return p.revents;
}

int main(void)
{
	int card1 = itest_open("/dev/dri/card1", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct itest_dumb d = itest_dumb_create(card1, 64, 64, 32);
	struct signaller s = {.fd = render};
	struct pollfd pair[2];
	int buf_fd = -1, pipefd[2];
	pthread_t thread;
	uint32_t rh = 0, f;
	short rev;

	CHECK_ERRNO(drmPrimeHandleToFD(card1, d.handle, DRM_CLOEXEC | DRM_RDWR,
				       &buf_fd),
		    0, "drmPrimeHandleToFD on card1");
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf_fd, &rh), 0,
		    "drmPrimeFDToHandle on renderD128");

	/* No fences: ready for both accesses at once. */
	rev = poll_one(buf_fd, POLLIN | POLLOUT, 0);
	CHECK(rev == (POLLIN | POLLOUT),
	      "unfenced dma-buf: expected POLLIN|POLLOUT, got 0x%x", rev);

	/* A pending writer blocks readers and writers. */
	f = attach(render, rh, VGEM_FENCE_WRITE);
	rev = poll_one(buf_fd, POLLIN | POLLOUT, 50);
	CHECK(rev == 0, "pending write fence: expected no event, got 0x%x",
	      rev);
	signal_now(render, f);
	rev = poll_one(buf_fd, POLLIN | POLLOUT, 0);
	CHECK(rev == (POLLIN | POLLOUT),
	      "signalled write fence: expected POLLIN|POLLOUT, got 0x%x", rev);

	/* A pending reader blocks only writers. */
	f = attach(render, rh, 0);
	rev = poll_one(buf_fd, POLLIN | POLLOUT, 0);
	CHECK(rev == POLLIN, "pending read fence: expected POLLIN, got 0x%x",
	      rev);
	signal_now(render, f);

	/* A blocking poll wakes when another thread signals the writer, and
	 * other fds in the same poll keep working. */
	CHECK(!pipe(pipefd), "pipe");
	s.fence = attach(render, rh, VGEM_FENCE_WRITE);
	CHECK(!pthread_create(&thread, NULL, signal_later, &s),
	      "pthread_create");
	pair[0] = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	pair[1] = (struct pollfd){.fd = buf_fd, .events = POLLIN};
	CHECK(poll(pair, 2, 5000) == 1, "poll of a pipe and a fenced dma-buf "
					"should report one ready entry");
	CHECK(atomic_load(&s.signalled),
	      "poll returned before the fence signalled");
	CHECK(pair[0].revents == 0 && pair[1].revents == POLLIN,
	      "expected only the dma-buf ready (POLLIN), got 0x%x / 0x%x",
	      pair[0].revents, pair[1].revents);
	pthread_join(thread, NULL);

	close(pipefd[0]);
	close(pipefd[1]);
	close(buf_fd);
	drmModeDestroyDumbBuffer(card1, d.handle);
	close(render);
	close(card1);
	puts("poll on dma-bufs waits for their fences");
	return 0;
}
