// SPDX-License-Identifier: MIT
/* Sharing by global name between two opens of card0: the second file must
 * be authenticated by the master first (drmGetMagic/drmAuthMagic). */
#include "itest.h"

int main(void)
{
	int master = itest_open("/dev/dri/card0", O_RDWR);
	int client = itest_open("/dev/dri/card0", O_RDWR);
	struct itest_dumb d = itest_dumb_create(master, 256, 256, 32);
	struct itest_dumb c = itest_dumb_create(client, 16, 16, 32);
	struct drm_gem_flink flink = {.handle = c.handle};
	struct drm_gem_open gopen = {0};
	struct drm_mode_map_dumb map = {0};
	drm_magic_t magic = 0;
	uint8_t *pm, *pc;
	size_t off;

	CHECK_ERRNO(drmIoctl(client, DRM_IOCTL_GEM_FLINK, &flink), EACCES,
		    "GEM_FLINK by an unauthenticated second opener");
	CHECK_RET(drmGetMagic(client, &magic), 0, "drmGetMagic");
	CHECK(magic != 0, "drmGetMagic returned 0");
	CHECK_RET(drmAuthMagic(master, magic), 0, "drmAuthMagic by master");

	flink.handle = d.handle;
	CHECK_ERRNO(drmIoctl(master, DRM_IOCTL_GEM_FLINK, &flink), 0,
		    "GEM_FLINK by the master");
	gopen.name = flink.name;
	CHECK_ERRNO(drmIoctl(client, DRM_IOCTL_GEM_OPEN, &gopen), 0,
		    "GEM_OPEN of name %u by the authenticated client",
		    flink.name);
	CHECK(gopen.size == d.size, "GEM_OPEN size: expected %llu, got %llu",
	      (unsigned long long)d.size, (unsigned long long)gopen.size);
	map.handle = gopen.handle;
	CHECK_ERRNO(drmIoctl(client, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB of the opened handle");

	pm = itest_mmap(master, d.offset, d.size, PROT_READ | PROT_WRITE);
	pc = itest_mmap(client, map.offset, d.size, PROT_READ | PROT_WRITE);
	itest_fill(pm, d.size, 2);
	off = itest_mismatch(pc, d.size, 2);
	CHECK(off == (size_t)-1, "the client's mapping of the flinked object "
				 "differs at byte %zu", off);
	itest_fill(pc, d.size, 3);
	off = itest_mismatch(pm, d.size, 3);
	CHECK(off == (size_t)-1, "the client's writes are not seen by the "
				 "master (byte %zu)", off);
	munmap(pc, d.size);
	munmap(pm, d.size);

	/* A file without a handle may not map the object. */
	{
		int third = itest_open("/dev/dri/card0", O_RDWR);
		void *p = mmap(NULL, d.size, PROT_READ, MAP_SHARED, third,
			       (off_t)d.offset);

		CHECK(p == MAP_FAILED && errno == EACCES,
		      "mmap of an object the file has no handle to must fail "
		      "with EACCES");
		close(third);
	}
	close(client);
	close(master);
	return 0;
}
