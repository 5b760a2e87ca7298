// SPDX-License-Identifier: MIT
/* The render node refuses what the kernel refuses render clients. */
#include "itest.h"

int main(void)
{
	int fd = itest_open("/dev/dri/renderD128", O_RDWR);
	struct drm_mode_create_dumb create = {.width = 64, .height = 64,
					      .bpp = 32};
	struct drm_gem_flink flink = {.handle = 1};
	struct drm_gem_open gopen = {.name = 1};
	drm_magic_t magic;
	drmVersionPtr v;

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create), EACCES,
		    "MODE_CREATE_DUMB on renderD128");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_FLINK, &flink), EACCES,
		    "GEM_FLINK on renderD128");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_OPEN, &gopen), EACCES,
		    "GEM_OPEN on renderD128");
	CHECK_RET(drmGetMagic(fd, &magic), -EACCES,
		    "drmGetMagic on renderD128");
	CHECK_ERRNO(drmSetMaster(fd), EACCES, "drmSetMaster on renderD128");
	v = drmGetVersion(fd);
	CHECK(v && !strcmp(v->name, "vgem"),
	      "drmGetVersion on renderD128 must work and name vgem");
	drmFreeVersion(v);
	close(fd);
	return 0;
}
