// SPDX-License-Identifier: MIT
/*
 * vgem fences, as the kernel's vgem_fence.c (and IGT's vgem_basic and
 * prime_vgem): attaching a fence to a buffer's reservation, signalling it
 * by id, the errors for every bad argument, the conflicts between readers
 * and writers, the timeout, the fences a closing file leaves, and the
 * reservation that a dma-buf shares between vgem and vkms, seen through
 * DMA_BUF_IOCTL_SYNC on the exported fd.
 */
#include "udrm_test.h"

#include <linux/dma-buf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/file.h"
#include "core/gem.h"
#include "drivers/vgem/vgem_drm.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"

/* vkms on card0 and vgem on card1 + renderD128, vgem with @options. */
static int setup_with_options(void **state, const char *options)
{
	struct udrm_device_desc vgem = {
		.driver = "vgem",
		.primary_minor = 1,
		.render_minor = 128,
		.options = options,
	};
	struct ut_devices *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	d->vkms = ut_device("vkms", 0, -1, 0);
	ut_expect(udrm_device_create(&vgem, &d->vgem), 0,
		  "creating vgem with options \"%s\"", options ? options : "");
	*state = d;
	return 0;
}

static int setup_default_timeout(void **state)
{
	return setup_with_options(state, NULL);
}

static int setup_short_timeout(void **state)
{
	return setup_with_options(state, "fence_timeout_ms=50\n");
}

static struct ut_devices *devs(void **state)
{
	return *state;
}

static long attach(struct udrm_file *f, uint32_t handle, uint32_t flags,
		   uint32_t *out_fence)
{
	struct drm_vgem_fence_attach req = {.handle = handle, .flags = flags};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_ATTACH, &req);

	if (out_fence)
		*out_fence = req.out_fence;
	return ret;
}

static uint32_t attach_ok(struct udrm_file *f, uint32_t handle, uint32_t flags)
{
	uint32_t fence = 0;

	ut_expect(attach(f, handle, flags, &fence), 0,
		  "FENCE_ATTACH to handle %u flags 0x%x", handle, flags);
	ut_check(fence != 0, "FENCE_ATTACH returned fence id 0");
	return fence;
}

static long signal_fence(struct udrm_file *f, uint32_t fence)
{
	struct drm_vgem_fence_signal req = {.fence = fence};

	return udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_SIGNAL, &req);
}

static int export_fd(struct udrm_file *f, uint32_t handle)
{
	struct drm_prime_handle req = {.handle = handle,
				       .flags = DRM_CLOEXEC | DRM_RDWR};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req), 0,
		  "PRIME_HANDLE_TO_FD of handle %u", handle);
	return req.fd;
}

static uint32_t import_fd(struct udrm_file *f, int fd)
{
	struct drm_prime_handle req = {.fd = fd};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &req), 0,
		  "PRIME_FD_TO_HANDLE of fd %d", fd);
	return req.handle;
}

/* White box: the reservation behind a handle. */
static bool handle_idle(struct udrm_file *f, uint32_t handle,
			enum udrm_resv_usage usage)
{
	struct udrm_gem_object *obj = udrm_gem_object_lookup(f, handle);
	bool idle;

	ut_check(obj, "no object behind handle %u", handle);
	idle = udrm_resv_test_signaled(obj->resv, usage);
	udrm_gem_object_put(obj);
	return idle;
}

static long dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = {.flags = flags};

	return udrm_dmabuf_ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

static void test_attach_and_signal(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	uint32_t h2 = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	uint32_t w, r;

	w = attach_ok(f, h, VGEM_FENCE_WRITE);
	ut_expect(w, 1, "the first fence id of a file");
	ut_check(!handle_idle(f, h, UDRM_RESV_USAGE_WRITE),
		 "a WRITE fence must be in the reservation as a writer");
	r = attach_ok(f, h2, 0);
	ut_expect(r, 2, "the second fence id of a file");
	ut_check(handle_idle(f, h2, UDRM_RESV_USAGE_WRITE) &&
			 !handle_idle(f, h2, UDRM_RESV_USAGE_READ),
		 "a read fence must be in the reservation as a reader");
	ut_expect(signal_fence(f, w), 0, "FENCE_SIGNAL of the write fence");
	ut_check(handle_idle(f, h, UDRM_RESV_USAGE_BOOKKEEP),
		 "the buffer must be idle once its fence is signalled");
	ut_expect(signal_fence(f, r), 0, "FENCE_SIGNAL of the read fence");
	ut_expect(signal_fence(f, r), -ENOENT, "FENCE_SIGNAL a second time");
	/* As the kernel's idr_replace(): signalled ids are not reused. */
	ut_expect(attach_ok(f, h, 0), 3, "the fence id after two signals");
	udrm_file_close(f);
}

static void test_attach_on_render_node(void **state)
{
	struct udrm_file *card =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *render =
		ut_open(devs(state)->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = ut_dumb_create(card, 16, 16, 32, NULL, NULL);
	int fd = export_fd(card, h);
	uint32_t rh = import_fd(render, fd), id;

	id = attach_ok(render, rh, VGEM_FENCE_WRITE);
	ut_check(!handle_idle(card, h, UDRM_RESV_USAGE_WRITE),
		 "the fence attached on the render node is on the object");
	ut_expect(signal_fence(render, id), 0, "FENCE_SIGNAL on renderD128");
	close(fd);
	udrm_file_close(render);
	udrm_file_close(card);
}

static void test_attach_errors(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	struct drm_vgem_fence_attach req = {.handle = h, .pad = 1};

	ut_expect(attach(f, h, 0x2, NULL), -EINVAL, "FENCE_ATTACH flags 0x2");
	ut_expect(attach(f, h, VGEM_FENCE_WRITE | 0x80000000u, NULL), -EINVAL,
		  "FENCE_ATTACH with an unknown flag beside WRITE");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_ATTACH, &req),
		  -EINVAL, "FENCE_ATTACH with non-zero pad");
	ut_expect(attach(f, h + 100, 0, NULL), -ENOENT,
		  "FENCE_ATTACH to an unknown handle");
	ut_expect(attach(f, 0, 0, NULL), -ENOENT, "FENCE_ATTACH to handle 0");
	ut_check(handle_idle(f, h, UDRM_RESV_USAGE_BOOKKEEP),
		 "failed attaches must leave no fence behind");
	udrm_file_close(f);
}

static void test_signal_errors(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *other =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	struct drm_vgem_fence_signal req;
	uint32_t id = attach_ok(f, h, 0);

	req = (struct drm_vgem_fence_signal){.fence = id, .flags = 1};
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VGEM_FENCE_SIGNAL, &req),
		  -EINVAL, "FENCE_SIGNAL with flags 1");
	ut_expect(signal_fence(f, 0), -ENOENT, "FENCE_SIGNAL of id 0");
	ut_expect(signal_fence(f, id + 1), -ENOENT,
		  "FENCE_SIGNAL of an id never given");
	ut_expect(signal_fence(other, id), -ENOENT,
		  "FENCE_SIGNAL of another file's fence");
	ut_check(!handle_idle(f, h, UDRM_RESV_USAGE_READ),
		 "failed signals must leave the fence pending");
	ut_expect(signal_fence(f, id), 0, "FENCE_SIGNAL");
	udrm_file_close(other);
	udrm_file_close(f);
}

/* As the kernel: a reader conflicts with a writer, a writer with anyone. */
static void test_busy_conflicts(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	uint32_t r1, r2, w;

	r1 = attach_ok(f, h, 0);
	r2 = attach_ok(f, h, 0);
	ut_expect(attach(f, h, VGEM_FENCE_WRITE, NULL), -EBUSY,
		  "FENCE_ATTACH(WRITE) with pending readers");
	ut_expect(signal_fence(f, r1), 0, "signal reader 1");
	ut_expect(attach(f, h, VGEM_FENCE_WRITE, NULL), -EBUSY,
		  "FENCE_ATTACH(WRITE) with one reader left");
	ut_expect(signal_fence(f, r2), 0, "signal reader 2");
	w = attach_ok(f, h, VGEM_FENCE_WRITE);
	ut_expect(attach(f, h, 0, NULL), -EBUSY,
		  "FENCE_ATTACH(READ) with a pending writer");
	ut_expect(attach(f, h, VGEM_FENCE_WRITE, NULL), -EBUSY,
		  "FENCE_ATTACH(WRITE) with a pending writer");
	ut_expect(signal_fence(f, w), 0, "signal the writer");
	ut_expect(signal_fence(f, attach_ok(f, h, 0)), 0,
		  "a reader after the writer signalled");
	udrm_file_close(f);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts))
		;
}

/* With fence_timeout_ms=50: the fence signals itself, FENCE_SIGNAL then
 * reports -ETIMEDOUT once and forgets the id. */
static void test_timeout_signals_and_reports_etimedout(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	uint32_t h2 = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	uint64_t start = udrm_fence_now_ns();
	uint32_t id = attach_ok(f, h, VGEM_FENCE_WRITE);
	uint32_t id2 = attach_ok(f, h2, 0);
	int fd = export_fd(f, h);

	/* DMA_BUF_IOCTL_SYNC blocks until the timer fires. */
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0,
		  "SYNC_START(READ) waiting for the timeout");
	ut_check(udrm_fence_now_ns() - start >= 50000000,
		 "the fence signalled %llu ns after attach, before its timeout",
		 (unsigned long long)(udrm_fence_now_ns() - start));
	ut_check(handle_idle(f, h, UDRM_RESV_USAGE_BOOKKEEP),
		 "the timed-out fence must be signalled");
	ut_expect(signal_fence(f, id), -ETIMEDOUT,
		  "FENCE_SIGNAL of a timed-out fence");
	ut_expect(signal_fence(f, id), -ENOENT,
		  "FENCE_SIGNAL of a timed-out fence a second time");
	sleep_ms(100);
	ut_expect(signal_fence(f, id2), -ETIMEDOUT,
		  "FENCE_SIGNAL of a timed-out read fence");
	close(fd);
	udrm_file_close(f);
}

static void test_default_timeout_is_long(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	uint32_t id = attach_ok(f, h, 0);

	sleep_ms(150);
	ut_expect(signal_fence(f, id), 0,
		  "FENCE_SIGNAL 150 ms after attach (10 s timeout)");
	udrm_file_close(f);
}

static void test_timeout_option_is_checked(void **state)
{
	static const char *const bad[] = {
		"fence_timeout_ms=0",	    "fence_timeout_ms=",
		"fence_timeout_ms=12x",	    "fence_timeout_ms=-1",
		"fence_timeout_ms=3600001", "fence_timeout=10",
		"fence_timeout_ms",	    "colour=blue",
	};
	struct udrm_device_desc desc = {
		.driver = "vgem",
		.primary_minor = 5,
		.render_minor = -1,
	};
	struct udrm_device *dev = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		desc.options = bad[i];
		ut_expect(udrm_device_create(&desc, &dev), -EINVAL,
			  "creating vgem with options \"%s\"", bad[i]);
	}
	desc.options = "fence_timeout_ms=3600000";
	ut_expect(udrm_device_create(&desc, &dev), 0,
		  "creating vgem with the longest timeout");
	udrm_device_destroy(dev);
}

/* As vgem_fence_close(): a closing file signals the fences it still has. */
static void test_close_signals_fences(void **state)
{
	struct udrm_file *a =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *b =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(a, 16, 16, 32, NULL, NULL);
	int fd = export_fd(a, h);
	uint32_t hb = import_fd(b, fd);

	attach_ok(a, h, VGEM_FENCE_WRITE);
	attach_ok(a, ut_dumb_create(a, 16, 16, 32, NULL, NULL), 0);
	ut_expect(attach(b, hb, 0, NULL), -EBUSY,
		  "another file's reader conflicts with the pending writer");
	udrm_file_close(a);
	ut_check(handle_idle(b, hb, UDRM_RESV_USAGE_BOOKKEEP),
		 "closing the file must signal its fences");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0,
		  "SYNC_START(RW) after the close");
	ut_expect(signal_fence(b, attach_ok(b, hb, VGEM_FENCE_WRITE)), 0,
		  "a writer after the close");
	close(fd);
	udrm_file_close(b);
}

/* Fences pending when the device goes: the timer must stop and nothing
 * may leak (ASan's leak check runs at exit). */
static void test_destroy_with_pending_fences(void **state)
{
	struct udrm_device_desc desc = {
		.driver = "vgem",
		.primary_minor = 5,
		.render_minor = -1,
	};
	struct udrm_device *dev = NULL;
	struct udrm_file *f;
	uint32_t h;
	int i;

	ut_expect(udrm_device_create(&desc, &dev), 0, "creating vgem");
	f = ut_open(dev, UDRM_NODE_PRIMARY, O_RDWR);
	for (i = 0; i < 8; i++) {
		h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
		attach_ok(f, h, i & 1 ? VGEM_FENCE_WRITE : 0);
	}
	udrm_device_destroy(dev);
}

/* The point of vgem fences: a vgem export imported into vkms (and back)
 * shares one reservation, so vkms sees the fences vgem attaches. */
static void test_vgem_export_shares_resv_with_vkms(void **state)
{
	struct udrm_file *vg =
		ut_open(devs(state)->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *card =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *vk =
		ut_open(devs(state)->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(card, 64, 64, 32, NULL, NULL);
	int fd = export_fd(card, h), fd2;
	uint32_t vh = import_fd(vk, fd), rh = import_fd(vg, fd), id;
	struct udrm_gem_object *a = udrm_gem_object_lookup(card, h),
			       *b = udrm_gem_object_lookup(vk, vh);

	ut_check(a != b, "vkms must have an object of its own");
	ut_check(a->resv == b->resv,
		 "the vkms import must use the vgem export's reservation");
	udrm_gem_object_put(a);
	udrm_gem_object_put(b);

	id = attach_ok(vg, rh, VGEM_FENCE_WRITE);
	ut_check(!handle_idle(vk, vh, UDRM_RESV_USAGE_WRITE),
		 "vkms must see the writer vgem attached");
	/* vkms re-exports the same dma-buf. */
	fd2 = export_fd(vk, vh);
	ut_expect(dmabuf_sync(fd2, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW), 0,
		  "SYNC_END never waits");
	ut_expect(signal_fence(vg, id), 0, "FENCE_SIGNAL");
	ut_check(handle_idle(vk, vh, UDRM_RESV_USAGE_BOOKKEEP),
		 "vkms must see the signal");
	close(fd2);
	close(fd);
	udrm_file_close(vk);
	udrm_file_close(card);
	udrm_file_close(vg);
}

/* The other way: a vkms buffer imported into vgem gets vgem's fences. */
static void test_vkms_export_fenced_by_vgem(void **state)
{
	struct udrm_file *vk =
		ut_open(devs(state)->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *vg =
		ut_open(devs(state)->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = ut_dumb_create(vk, 64, 64, 32, NULL, NULL);
	int fd = export_fd(vk, h);
	uint32_t rh = import_fd(vg, fd);
	uint32_t id = attach_ok(vg, rh, 0);

	ut_check(handle_idle(vk, h, UDRM_RESV_USAGE_WRITE) &&
			 !handle_idle(vk, h, UDRM_RESV_USAGE_READ),
		 "the vkms object must see vgem's reader");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0,
		  "SYNC_START(READ) does not wait for readers");
	ut_expect(signal_fence(vg, id), 0, "FENCE_SIGNAL");
	close(fd);
	udrm_file_close(vg);
	udrm_file_close(vk);
}

struct signaller {
	struct udrm_file *file;
	uint32_t fence;
	unsigned int ms;
	atomic_bool done;
};

static void *signaller_main(void *arg)
{
	struct signaller *s = arg;

	sleep_ms(s->ms);
	atomic_store(&s->done, true);
	ut_expect(signal_fence(s->file, s->fence), 0, "FENCE_SIGNAL (thread)");
	return NULL;
}

static void test_dmabuf_sync_waits_for_fences(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 64, 64, 32, NULL, NULL);
	int fd = export_fd(f, h);
	struct signaller s = {.file = f, .ms = 30};
	pthread_t thread;

	/* A reader: SYNC(READ) passes, SYNC(WRITE) waits for it. */
	s.fence = attach_ok(f, h, 0);
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0,
		  "SYNC_START(READ) with a pending reader");
	ut_check(!handle_idle(f, h, UDRM_RESV_USAGE_READ),
		 "SYNC_START(READ) must not have waited for the reader");
	pthread_create(&thread, NULL, signaller_main, &s);
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE), 0,
		  "SYNC_START(WRITE) with a pending reader");
	ut_check(atomic_load(&s.done),
		 "SYNC_START(WRITE) returned before the reader signalled");
	pthread_join(thread, NULL);

	/* A writer: even SYNC(READ) waits. */
	s.fence = attach_ok(f, h, VGEM_FENCE_WRITE);
	atomic_store(&s.done, false);
	pthread_create(&thread, NULL, signaller_main, &s);
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0,
		  "SYNC_START(READ) with a pending writer");
	ut_check(atomic_load(&s.done),
		 "SYNC_START(READ) returned before the writer signalled");
	pthread_join(thread, NULL);
	close(fd);
	udrm_file_close(f);
}

static void test_dmabuf_ioctl_errors(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 16, 16, 32, NULL, NULL);
	int fd = export_fd(f, h), pipefd[2];
	char long_name[DMA_BUF_NAME_LEN + 1];

	ut_guard_user_faults();
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START), -EINVAL,
		  "SYNC without READ or WRITE");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_END), -EINVAL,
		  "SYNC_END without READ or WRITE");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_RW | 0x8), -EINVAL,
		  "SYNC with flag 0x8");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_RW | (1ull << 40)), -EINVAL,
		  "SYNC with flag 1 << 40");
	ut_expect(udrm_dmabuf_ioctl(fd, DMA_BUF_IOCTL_SYNC, ut_noaccess_page()),
		  -EFAULT, "SYNC with an unreadable argument");
	ut_expect(udrm_dmabuf_ioctl(fd, _IOW('b', 9, int), NULL), -ENOTTY,
		  "an unknown dma-buf ioctl");
	ut_expect(udrm_dmabuf_ioctl(fd, DRM_IOCTL_VERSION, NULL), -ENOTTY,
		  "a DRM ioctl on a dma-buf");

	ut_expect(udrm_dmabuf_ioctl(fd, DMA_BUF_SET_NAME_B, "scanout"), 0,
		  "SET_NAME");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ut_expect(udrm_dmabuf_ioctl(fd, DMA_BUF_SET_NAME_A, long_name), -EINVAL,
		  "SET_NAME of %zu characters", strlen(long_name));
	long_name[DMA_BUF_NAME_LEN - 1] = '\0';
	ut_expect(udrm_dmabuf_ioctl(fd, DMA_BUF_SET_NAME_A, long_name), 0,
		  "SET_NAME of %zu characters", strlen(long_name));
	ut_expect(udrm_dmabuf_ioctl(fd, DMA_BUF_SET_NAME_A, UT_KERNEL_ADDRESS),
		  -EFAULT, "SET_NAME with a bad pointer");

	ut_expect(pipe(pipefd), 0, "pipe");
	ut_expect(dmabuf_sync(pipefd[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
		  -ENOTTY, "SYNC on a pipe");
	ut_expect(dmabuf_sync(-1, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
		  -ENOTTY, "SYNC on fd -1");
	close(pipefd[0]);
	close(pipefd[1]);

	/* The dma-buf outlives its object: still a dma-buf, without fences. */
	ut_gem_close(f, h);
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0,
		  "SYNC on a dma-buf whose object is gone");
	ut_expect(dmabuf_sync(fd, DMA_BUF_SYNC_START), -EINVAL,
		  "SYNC without READ or WRITE on an orphan dma-buf");
	close(fd);
	udrm_file_close(f);
}

/* Threads attaching and signalling on shared buffers: run under TSan. */
struct stress {
	struct udrm_file *file;
	uint32_t handles[4];
	int seed;
};

static void *stress_main(void *arg)
{
	struct stress *s = arg;
	uint32_t id;
	long ret;
	int i;

	for (i = 0; i < 300; i++) {
		ret = attach(s->file, s->handles[(i + s->seed) % 4],
			     (i & 3) ? 0 : VGEM_FENCE_WRITE, &id);
		if (ret == -EBUSY)
			continue;
		ut_expect(ret, 0, "FENCE_ATTACH in a thread");
		ut_expect(signal_fence(s->file, id), 0,
			  "FENCE_SIGNAL in a thread");
	}
	return NULL;
}

static void test_concurrent_attach_signal(void **state)
{
	struct udrm_file *f =
		ut_open(devs(state)->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *card =
		ut_open(devs(state)->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct stress s[3];
	pthread_t threads[3];
	uint32_t handles[4];
	int i, j, fds[4];

	for (j = 0; j < 4; j++) {
		handles[j] = ut_dumb_create(card, 16, 16, 32, NULL, NULL);
		fds[j] = export_fd(card, handles[j]);
	}
	for (i = 0; i < 3; i++) {
		s[i].file = f;
		s[i].seed = i;
		for (j = 0; j < 4; j++)
			s[i].handles[j] = import_fd(f, fds[j]);
		pthread_create(&threads[i], NULL, stress_main, &s[i]);
	}
	for (i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	for (j = 0; j < 4; j++) {
		ut_check(
			handle_idle(card, handles[j], UDRM_RESV_USAGE_BOOKKEEP),
			"buffer %d busy after every fence signalled", j);
		close(fds[j]);
	}
	udrm_file_close(card);
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, setup_default_timeout,             \
					ut_teardown_devices)
#define T_SHORT(fn)                                                            \
	cmocka_unit_test_setup_teardown(fn, setup_short_timeout,               \
					ut_teardown_devices)
		T(test_attach_and_signal),
		T(test_attach_on_render_node),
		T(test_attach_errors),
		T(test_signal_errors),
		T(test_busy_conflicts),
		T_SHORT(test_timeout_signals_and_reports_etimedout),
		T(test_default_timeout_is_long),
		T(test_timeout_option_is_checked),
		T(test_close_signals_fences),
		T(test_destroy_with_pending_fences),
		T(test_vgem_export_shares_resv_with_vkms),
		T(test_vkms_export_fenced_by_vgem),
		T(test_dmabuf_sync_waits_for_fences),
		T(test_dmabuf_ioctl_errors),
		T(test_concurrent_attach_signal),
#undef T
#undef T_SHORT
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
