// SPDX-License-Identifier: MIT
/*
 * vgem fences through the real uapi, as IGT's prime_vgem does it: a vgem
 * dumb buffer shared into vkms (card0) by PRIME, a write fence attached on
 * renderD128, and DMA_BUF_IOCTL_SYNC on the dma-buf fd blocking until
 * another thread signals the fence.
 */
#include "itest.h"

#include <linux/dma-buf.h>
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
	CHECK(att.out_fence != 0, "VGEM_FENCE_ATTACH gave fence id 0");
	return att.out_fence;
}

/* SYNC_START on @buf_fd with a fence that another thread signals later:
 * the ioctl must not return before. */
static void sync_waits_for(int render, int buf_fd, uint32_t fence,
			   uint64_t flags, const char *what)
{
	struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START | flags};
	struct signaller s = {.fd = render, .fence = fence};
	pthread_t thread;

	CHECK(!pthread_create(&thread, NULL, signal_later, &s),
	      "pthread_create");
	CHECK_ERRNO(ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync), 0,
		    "DMA_BUF_IOCTL_SYNC(%s)", what);
	CHECK(atomic_load(&s.signalled),
	      "DMA_BUF_IOCTL_SYNC(%s) returned before the fence signalled",
	      what);
	pthread_join(thread, NULL);
}

int main(void)
{
	int card0 = itest_open("/dev/dri/card0", O_RDWR);
	int card1 = itest_open("/dev/dri/card1", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct itest_dumb d = itest_dumb_create(card1, 64, 64, 32);
	struct drm_vgem_fence_attach att = {0};
	struct drm_vgem_fence_signal sig = {0};
	struct dma_buf_sync sync = {0};
	int buf_fd = -1, vkms_fd = -1, pipefd[2];
	uint32_t rh = 0, vh = 0, w, r;

	CHECK_ERRNO(drmPrimeHandleToFD(card1, d.handle, DRM_CLOEXEC | DRM_RDWR,
				       &buf_fd),
		    0, "drmPrimeHandleToFD on card1");
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf_fd, &rh), 0,
		    "drmPrimeFDToHandle on renderD128");
	CHECK_ERRNO(drmPrimeFDToHandle(card0, buf_fd, &vh), 0,
		    "drmPrimeFDToHandle on card0 (vkms)");
	CHECK_ERRNO(
		drmPrimeHandleToFD(card0, vh, DRM_CLOEXEC | DRM_RDWR, &vkms_fd),
		0, "drmPrimeHandleToFD of the vkms import");

	/* The ioctls' argument checks. */
	att = (struct drm_vgem_fence_attach){.handle = rh, .flags = 2};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), EINVAL,
		    "VGEM_FENCE_ATTACH with flags 2");
	att = (struct drm_vgem_fence_attach){.handle = rh, .pad = 1};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), EINVAL,
		    "VGEM_FENCE_ATTACH with pad 1");
	att = (struct drm_vgem_fence_attach){.handle = rh + 1000};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), ENOENT,
		    "VGEM_FENCE_ATTACH to an unknown handle");
	sig = (struct drm_vgem_fence_signal){.fence = 77};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), ENOENT,
		    "VGEM_FENCE_SIGNAL of an unknown fence");
	sig = (struct drm_vgem_fence_signal){.fence = 1, .flags = 1};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), EINVAL,
		    "VGEM_FENCE_SIGNAL with flags 1");

	/* A writer: readers conflict, SYNC(READ) on either fd waits. */
	w = attach(render, rh, VGEM_FENCE_WRITE);
	att = (struct drm_vgem_fence_attach){.handle = rh};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), EBUSY,
		    "VGEM_FENCE_ATTACH(READ) with a pending writer");
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	CHECK_ERRNO(ioctl(vkms_fd, DMA_BUF_IOCTL_SYNC, &sync), 0,
		    "DMA_BUF_IOCTL_SYNC(END) does not wait");
	sync.flags = DMA_BUF_SYNC_START;
	CHECK_ERRNO(ioctl(vkms_fd, DMA_BUF_IOCTL_SYNC, &sync), EINVAL,
		    "DMA_BUF_IOCTL_SYNC without READ or WRITE");
	sync.flags = DMA_BUF_SYNC_RW | 0x100;
	CHECK_ERRNO(ioctl(vkms_fd, DMA_BUF_IOCTL_SYNC, &sync), EINVAL,
		    "DMA_BUF_IOCTL_SYNC with an unknown flag");
	sync_waits_for(render, vkms_fd, w, DMA_BUF_SYNC_READ,
		       "START|READ on the vkms export, vgem writer");
	sig = (struct drm_vgem_fence_signal){.fence = w};
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), ENOENT,
		    "VGEM_FENCE_SIGNAL of a signalled fence");

	/* A reader: SYNC(READ) passes, SYNC(WRITE) waits. */
	r = attach(render, rh, 0);
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	CHECK_ERRNO(ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync), 0,
		    "DMA_BUF_IOCTL_SYNC(START|READ) with only a reader");
	sync_waits_for(render, buf_fd, r, DMA_BUF_SYNC_WRITE,
		       "START|WRITE on the vgem export, vgem reader");

	/* dma-buf ioctls on other files still reach the kernel. */
	CHECK(!pipe(pipefd), "pipe");
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	CHECK_ERRNO(ioctl(pipefd[0], DMA_BUF_IOCTL_SYNC, &sync), ENOTTY,
		    "DMA_BUF_IOCTL_SYNC on a pipe");
	close(pipefd[0]);
	close(pipefd[1]);

	close(vkms_fd);
	close(buf_fd);
	close(render);
	close(card1);
	close(card0);
	return 0;
}
