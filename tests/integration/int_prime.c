// SPDX-License-Identifier: MIT
/* PRIME round trip: a vkms dumb buffer exported as a dma-buf, mapped,
 * imported on vgem's render node, re-exported and imported back. */
#include "itest.h"

int main(void)
{
	int card0 = itest_open("/dev/dri/card0", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct itest_dumb d = itest_dumb_create(card0, 128, 128, 32);
	int buf_fd = -1, buf_fd2 = -1;
	uint32_t rh = 0, back = 0;
	uint8_t *dumb, *dma;
	size_t off;

	dumb = itest_mmap(card0, d.offset, d.size, PROT_READ | PROT_WRITE);
	itest_fill(dumb, d.size, 4);

	CHECK_ERRNO(drmPrimeHandleToFD(card0, d.handle, DRM_CLOEXEC | DRM_RDWR,
				       &buf_fd),
		    0, "drmPrimeHandleToFD on card0");
	CHECK(lseek(buf_fd, 0, SEEK_END) == (off_t)d.size,
	      "lseek(SEEK_END) on the dma-buf must give the object size");
	dma = itest_mmap(buf_fd, 0, d.size, PROT_READ | PROT_WRITE);
	off = itest_mismatch(dma, d.size, 4);
	CHECK(off == (size_t)-1, "the dma-buf mapping differs at byte %zu",
	      off);
	munmap(dma, d.size);

	CHECK_ERRNO(drmPrimeFDToHandle(render, buf_fd, &rh), 0,
		    "drmPrimeFDToHandle on renderD128");
	CHECK(rh != 0, "import returned handle 0");
	CHECK_ERRNO(drmPrimeHandleToFD(render, rh, DRM_CLOEXEC | DRM_RDWR,
				       &buf_fd2),
		    0, "drmPrimeHandleToFD of the imported handle");
	dma = itest_mmap(buf_fd2, 0, d.size, PROT_READ | PROT_WRITE);
	itest_fill(dma, d.size, 5);
	off = itest_mismatch(dumb, d.size, 5);
	CHECK(off == (size_t)-1, "writes through vgem's export are not in the "
				 "vkms dumb buffer (byte %zu)", off);
	munmap(dma, d.size);

	CHECK_ERRNO(drmPrimeFDToHandle(card0, buf_fd2, &back), 0,
		    "drmPrimeFDToHandle back on card0");
	CHECK(back == d.handle, "importing back into the exporting file must "
				"give the original handle %u, got %u",
	      d.handle, back);

	/* Import errors as the kernel's dma_buf_get(). */
	CHECK_ERRNO(drmPrimeFDToHandle(render, -1, &rh), EBADF,
		    "drmPrimeFDToHandle of fd -1");
	{
		int p[2];

		CHECK(pipe(p) == 0, "pipe");
		CHECK_ERRNO(drmPrimeFDToHandle(render, p[0], &rh), EINVAL,
			    "drmPrimeFDToHandle of a pipe");
		close(p[0]);
		close(p[1]);
	}
	CHECK_ERRNO(drmPrimeHandleToFD(card0, 999, DRM_CLOEXEC, &buf_fd2),
		    ENOENT, "drmPrimeHandleToFD of an unknown handle");

	munmap(dumb, d.size);
	close(buf_fd);
	close(render);
	close(card0);
	return 0;
}
