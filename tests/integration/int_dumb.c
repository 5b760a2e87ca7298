// SPDX-License-Identifier: MIT
/* Dumb buffers through libdrm: create, MAP_DUMB, mmap of the DRM fd,
 * write, read back through a second mapping, destroy. */
#include "itest.h"

int main(void)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	struct itest_dumb d = itest_dumb_create(fd, 640, 480, 32);
	struct drm_mode_destroy_dumb destroy = {.handle = d.handle};
	struct drm_mode_create_dumb bad = {.width = 0, .height = 480,
					   .bpp = 32};
	uint8_t *a, *b;
	size_t i, off;

	CHECK(d.pitch == 2560 && d.size == 2560 * 480,
	      "640x480@32: expected pitch 2560 size %u, got %u and %llu",
	      2560 * 480, d.pitch, (unsigned long long)d.size);
	CHECK(d.offset >= (1ull << 32) && d.offset % 4096 == 0,
	      "fake offset 0x%llx must be page aligned and above 4 GiB",
	      (unsigned long long)d.offset);
	a = itest_mmap(fd, d.offset, d.size, PROT_READ | PROT_WRITE);
	for (i = 0; i < d.size; i++)
		CHECK(a[i] == 0, "new dumb buffer byte %zu is 0x%02x", i, a[i]);
	itest_fill(a, d.size, 1);
	b = itest_mmap(fd, d.offset, d.size, PROT_READ);
	off = itest_mismatch(b, d.size, 1);
	CHECK(off == (size_t)-1, "second mapping differs at byte %zu", off);
	munmap(b, d.size);

	/* The kernel refuses a mapping longer than the object. */
	b = mmap(NULL, d.size + 4096, PROT_READ, MAP_SHARED, fd,
		 (off_t)d.offset);
	CHECK(b == MAP_FAILED && errno == EINVAL,
	      "mmap past the object's end must fail with EINVAL");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &bad), EINVAL,
		    "MODE_CREATE_DUMB with width 0");

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy), 0,
		    "MODE_DESTROY_DUMB");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy),
		    EINVAL, "MODE_DESTROY_DUMB of a destroyed handle");
	/* The mapping outlives the handle. */
	off = itest_mismatch(a, d.size, 1);
	CHECK(off == (size_t)-1, "mapping changed after destroy (byte %zu)",
	      off);
	munmap(a, d.size);
	close(fd);
	return 0;
}
