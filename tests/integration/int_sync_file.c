// SPDX-License-Identifier: MIT
/*
 * sync_files through the real uapi, as a compositor or Vulkan WSI uses
 * them: a vgem buffer with a write fence exported as a dma-buf,
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE on it, the sync_file imported into a
 * syncobj with libdrm's drmSyncobjImportSyncFile() and exported back with
 * drmSyncobjExportSyncFile(), SYNC_IOC_MERGE / SYNC_IOC_FILE_INFO through
 * ioctl() (and libdrm's libsync.h helpers), and poll() on the fds.
 */
#include "itest.h"

/* Before libsync.h, which otherwise defines its own copy. */
#include <linux/sync_file.h>

#include <libsync.h>
#include <linux/dma-buf.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>

#include "../../src/drivers/vgem/vgem_drm.h"

static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n = poll(&pfd, 1, timeout_ms);

	CHECK(n >= 0, "poll: %s", strerror(errno));
	return n == 1 && (pfd.revents & POLLIN);
}

/* A dumb buffer on card1 with a vgem fence (write if @write) attached on
 * renderD128; returns the dma-buf fd, the fence id in *fence. */
static int fenced_buffer(int card1, int render, bool write, uint32_t *fence)
{
	struct itest_dumb d = itest_dumb_create(card1, 64, 64, 32);
	struct drm_vgem_fence_attach att = {0};
	uint32_t rh = 0;
	int buf_fd = -1;

	CHECK_ERRNO(drmPrimeHandleToFD(card1, d.handle, DRM_CLOEXEC | DRM_RDWR,
				       &buf_fd),
		    0, "drmPrimeHandleToFD on card1");
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf_fd, &rh), 0,
		    "drmPrimeFDToHandle on renderD128");
	att.handle = rh;
	att.flags = write ? VGEM_FENCE_WRITE : 0;
	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_ATTACH, &att), 0,
		    "VGEM_FENCE_ATTACH");
	*fence = att.out_fence;
	return buf_fd;
}

static void vgem_signal(int render, uint32_t fence)
{
	struct drm_vgem_fence_signal sig = {.fence = fence};

	CHECK_ERRNO(ioctl(render, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig), 0,
		    "VGEM_FENCE_SIGNAL %u", fence);
}

static int export_sync_file(int buf_fd, uint32_t flags)
{
	struct dma_buf_export_sync_file exp = {.flags = flags, .fd = -1};

	CHECK_ERRNO(ioctl(buf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp), 0,
		    "DMA_BUF_IOCTL_EXPORT_SYNC_FILE flags 0x%x", flags);
	CHECK(exp.fd >= 0, "EXPORT_SYNC_FILE gave fd %d", exp.fd);
	return exp.fd;
}

static struct sync_file_info file_info(int fd, struct sync_fence_info *fi,
				       uint32_t n)
{
	struct sync_file_info info = {.num_fences = n};

	info.sync_fence_info = (uint64_t)(uintptr_t)fi;
	CHECK_ERRNO(ioctl(fd, SYNC_IOC_FILE_INFO, &info), 0,
		    "SYNC_IOC_FILE_INFO of fd %d", fd);
	return info;
}

int main(void)
{
	int card1 = itest_open("/dev/dri/card1", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct sync_fence_info fi[4];
	struct sync_file_info info;
	struct sync_merge_data merge = {0};
	struct dma_buf_export_sync_file exp = {0};
	uint32_t fa, fb, h = 0, h2 = 0;
	int buf_a, buf_b, sa, sb, so, merged, pipefd[2];

	buf_a = fenced_buffer(card1, render, true, &fa);
	buf_b = fenced_buffer(card1, render, true, &fb);

	/* dma-buf -> sync_file */
	sa = export_sync_file(buf_a, DMA_BUF_SYNC_READ);
	sb = export_sync_file(buf_b, DMA_BUF_SYNC_WRITE);
	CHECK(!readable(sa, 0), "a reader's sync_file waits for the writer");
	info = file_info(sa, fi, 4);
	CHECK(info.num_fences == 1, "one fence, got %u", info.num_fences);
	CHECK(!strcmp(fi[0].driver_name, "vgem"),
	      "driver_name \"vgem\", got \"%s\"", fi[0].driver_name);
	CHECK(fi[0].status == 0, "pending: status 0, got %d", fi[0].status);
	exp.flags = 0;
	CHECK_ERRNO(ioctl(buf_a, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp), EINVAL,
		    "EXPORT_SYNC_FILE without READ or WRITE");

	/* sync_file -> syncobj -> sync_file (libdrm) */
	CHECK_RET(drmSyncobjCreate(render, 0, &h), 0, "drmSyncobjCreate");
	CHECK_RET(drmSyncobjImportSyncFile(render, h, sa), 0,
		  "drmSyncobjImportSyncFile");
	CHECK_RET(drmSyncobjWait(render, &h, 1, 0, 0, NULL), -ETIME,
		  "the imported fence is pending");
	so = -1;
	CHECK_RET(drmSyncobjExportSyncFile(render, h, &so), 0,
		  "drmSyncobjExportSyncFile");
	CHECK(so >= 0 && !readable(so, 0), "the exported sync_file pends");
	CHECK_RET(drmSyncobjCreate(render, DRM_SYNCOBJ_CREATE_SIGNALED, &h2), 0,
		  "drmSyncobjCreate(SIGNALED)");

	/* SYNC_IOC_MERGE through ioctl(), then libsync's sync_merge() */
	snprintf(merge.name, sizeof(merge.name), "frame");
	merge.fd2 = sb;
	CHECK_ERRNO(ioctl(so, SYNC_IOC_MERGE, &merge), 0, "SYNC_IOC_MERGE");
	merged = merge.fence;
	info = file_info(merged, NULL, 0);
	CHECK(info.num_fences == 2, "a merge of two vgem fences has 2, got %u",
	      info.num_fences);
	CHECK(!strcmp(info.name, "frame"), "merge name, got \"%s\"", info.name);
	CHECK(pipe(pipefd) == 0, "pipe");
	merge.fd2 = pipefd[0];
	CHECK_ERRNO(ioctl(so, SYNC_IOC_MERGE, &merge), ENOENT,
		    "SYNC_IOC_MERGE with a pipe");
	CHECK_ERRNO(ioctl(pipefd[0], SYNC_IOC_FILE_INFO, &info), ENOTTY,
		    "SYNC_IOC_FILE_INFO on a pipe");
	CHECK(sync_merge("self", merged, merged) >= 0, "libsync sync_merge");

	/* poll() / libsync sync_wait() see the signals */
	vgem_signal(render, fa);
	CHECK(readable(sa, 1000), "sa signalled with vgem fence a");
	CHECK(readable(so, 1000), "the syncobj's sync_file signalled too");
	CHECK(!readable(merged, 50), "the merge still waits for fence b");
	CHECK(sync_wait(merged, 0) < 0 && errno == ETIME,
	      "sync_wait(0) on the pending merge: ETIME");
	vgem_signal(render, fb);
	CHECK(sync_wait(merged, 1000) == 0, "sync_wait on the merge");
	CHECK_RET(drmSyncobjWait(render, &h, 1, INT64_MAX, 0, NULL), 0,
		  "the syncobj signalled with the sync_file");
	info = file_info(merged, fi, 4);
	CHECK(info.status == 1 && fi[0].status == 1 && fi[1].status == 1,
	      "all signalled: status %d (%d, %d)", info.status, fi[0].status,
	      fi[1].status);
	CHECK(fi[0].timestamp_ns != 0, "a signalled fence has a timestamp");

	/* sync_file -> dma-buf */
	{
		struct dma_buf_import_sync_file imp = {
			.flags = DMA_BUF_SYNC_WRITE, .fd = merged};

		CHECK_ERRNO(ioctl(buf_a, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp),
			    0, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE");
		imp.fd = pipefd[0];
		CHECK_ERRNO(ioctl(buf_a, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp),
			    EINVAL, "IMPORT_SYNC_FILE of a pipe");
	}
	CHECK(readable(export_sync_file(buf_a, DMA_BUF_SYNC_RW), 0),
	      "an idle buffer exports a signalled sync_file");

	printf("int_sync_file: ok\n");
	return 0;
}
