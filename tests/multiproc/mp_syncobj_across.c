// SPDX-License-Identifier: MIT
/*
 * Sync objects and sync_files crossing processes over a socket (vgem's
 * renderD128, each process its own open):
 *
 * - an opaque syncobj fd (HANDLE_TO_FD) imported with FD_TO_HANDLE in the
 *   other process is the same syncobj: that process's SYNCOBJ_WAIT
 *   (WAIT_FOR_SUBMIT) blocks until the first signals it (SYNCOBJ_SIGNAL),
 *   and its RESET is seen by the first;
 * - a sync_file exported from a syncobj (HANDLE_TO_FD with
 *   EXPORT_SYNC_FILE) holding an unsignalled vgem fence is not readable in
 *   the other process until the first signals the fence (VGEM_FENCE_SIGNAL);
 *   then the other's blocking poll() ends.
 */
#include "mp.h"

#include <linux/dma-buf.h>

#include "../../src/drivers/vgem/vgem_drm.h"

/* How long the signaller waits after the waiter said it is waiting. */
#define SIGNAL_DELAY_MS 100

static void waiter_main(void *arg, int sock)
{
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct drm_syncobj_handle imp = {0};
	struct drm_syncobj_array reset = {.count_handles = 1};
	int64_t t0, waited;
	int sync_file;

	(void)arg;
	imp.fd = mp_recv_fd(sock, NULL);
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp), 0,
		    "waiter: FD_TO_HANDLE of the other process's syncobj fd");
	CHECK(imp.handle, "waiter: FD_TO_HANDLE gave handle 0");
	close(imp.fd);
	CHECK_ERRNO(mp_syncobj_wait_raw(render, imp.handle, 0), ETIME,
		    "waiter: WAIT_FOR_SUBMIT with no timeout on the "
		    "unsignalled syncobj");
	mp_send_u64(sock, 0);
	t0 = mp_now_ns();
	CHECK_ERRNO(mp_syncobj_wait_raw(render, imp.handle,
					mp_now_ns() + 10000000000),
		    0, "waiter: SYNCOBJ_WAIT for the other process's signal");
	waited = mp_now_ns() - t0;
	CHECK(waited >= (SIGNAL_DELAY_MS / 2) * 1000000,
	      "waiter: SYNCOBJ_WAIT returned after %lld ns, before the other "
	      "process signalled (%d ms after we said we wait)",
	      (long long)waited, SIGNAL_DELAY_MS);
	reset.handles = (uintptr_t)&imp.handle;
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_RESET, &reset), 0,
		    "waiter: SYNCOBJ_RESET");
	mp_send_u64(sock, 0);

	sync_file = mp_recv_fd(sock, NULL);
	CHECK(!mp_readable(sync_file, 100),
	      "waiter: the sync_file is readable before its fence signalled");
	mp_send_u64(sock, 0);
	t0 = mp_now_ns();
	CHECK(mp_readable(sync_file, 5000),
	      "waiter: poll() of the sync_file did not end in 5 s after the "
	      "other process signalled its fence");
	waited = mp_now_ns() - t0;
	CHECK(waited >= (SIGNAL_DELAY_MS / 2) * 1000000,
	      "waiter: the sync_file turned readable after %lld ns, before the "
	      "other process signalled (%d ms after we said we poll)",
	      (long long)waited, SIGNAL_DELAY_MS);
	close(sync_file);
	close(render);
}

/* A sync_file exported from a syncobj holding an unsignalled vgem fence on
 * a card1 dumb buffer; the fence id in *fence. */
static int fenced_sync_file(int card1, int render, uint32_t *fence)
{
	struct itest_dumb d = itest_dumb_create(card1, 32, 32, 32);
	struct drm_vgem_fence_attach att = {.flags = VGEM_FENCE_WRITE};
	struct dma_buf_export_sync_file exp = {.flags = DMA_BUF_SYNC_WRITE,
					       .fd = -1};
	struct drm_syncobj_handle imp = {
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE};
	struct drm_syncobj_handle out = {
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1};
	int buf = -1;

	CHECK_ERRNO(drmPrimeHandleToFD(card1, d.handle, DRM_CLOEXEC | DRM_RDWR,
				       &buf),
		    0, "PRIME_HANDLE_TO_FD on card1");
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf, &att.handle), 0,
		    "PRIME_FD_TO_HANDLE on renderD128");
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), 0,
		    "VGEM_FENCE_ATTACH");
	*fence = att.out_fence;
	CHECK_ERRNO(ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp), 0,
		    "DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
	imp.fd = exp.fd;
	imp.handle = mp_syncobj_create(render);
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp), 0,
		    "FD_TO_HANDLE with IMPORT_SYNC_FILE");
	out.handle = imp.handle;
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &out), 0,
		    "HANDLE_TO_FD with EXPORT_SYNC_FILE");
	close(exp.fd);
	close(buf);
	return out.fd;
}

int main(int argc, char **argv)
{
	struct mp_peer waiter;
	struct drm_syncobj_handle exp = {.fd = -1};
	struct drm_vgem_fence_signal sig = {0};
	int render, card1, sync_file;

	mp_init(argc, argv, NULL);
	render = itest_open("/dev/dri/renderD128", O_RDWR);
	card1 = itest_open("/dev/dri/card1", O_RDWR);
	mp_peer_start(&waiter, "the waiting process", waiter_main, NULL);

	exp.handle = mp_syncobj_create(render);
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &exp), 0,
		    "SYNCOBJ_HANDLE_TO_FD (opaque)");
	mp_send_fd(waiter.sock, exp.fd, 0);
	close(exp.fd);
	mp_recv_u64(waiter.sock);
	mp_sleep_ms(SIGNAL_DELAY_MS);
	mp_syncobj_signal(render, exp.handle);
	mp_recv_u64(waiter.sock);
	CHECK_ERRNO(mp_syncobj_wait_raw(render, exp.handle, 0), ETIME,
		    "our syncobj after the other process reset it: expected "
		    "no fence (WAIT_FOR_SUBMIT with no timeout)");

	sync_file = fenced_sync_file(card1, render, &sig.fence);
	CHECK(!mp_readable(sync_file, 0),
	      "test setup: the sync_file is readable before the signal");
	mp_send_fd(waiter.sock, sync_file, 0);
	close(sync_file);
	mp_recv_u64(waiter.sock);
	mp_sleep_ms(SIGNAL_DELAY_MS);
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0,
		    "VGEM_FENCE_SIGNAL of fence %u", sig.fence);
	mp_peer_join(&waiter);
	close(card1);
	close(render);
	return 0;
}
