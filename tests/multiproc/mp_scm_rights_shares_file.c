// SPDX-License-Identifier: MIT
/*
 * An fd sent with SCM_RIGHTS to a process that opened nothing itself (a
 * child forked before the open) is the same open file: the child sees the
 * parent's handles and bytes and the file's master, and a handle it makes
 * is the parent's too. The parent closes its fd while the copy is in
 * flight: the file lives on in the message, as in the kernel; the child
 * sends it back the same way.
 */
#include "mp.h"

static void child_main(void *arg, int sock)
{
	uint64_t handle;
	int fd = mp_recv_fd(sock, &handle);
	struct drm_mode_map_dumb map = {.handle = (uint32_t)handle};
	struct drm_gem_close cl = {.handle = (uint32_t)handle};
	struct itest_dumb mine;
	uint8_t *p;
	size_t off;

	(void)arg;
	CHECK(mp_is_master(fd), "child: the received fd of the master parent "
				"must be master (same open file)");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "child: MAP_DUMB of the parent's handle %u on the "
		    "received fd",
		    map.handle);
	p = itest_mmap(fd, map.offset, 64 * 64 * 4, PROT_READ);
	off = itest_mismatch(p, 64 * 64 * 4, 30);
	CHECK(off == (size_t)-1,
	      "child: the parent's buffer differs from what the parent wrote "
	      "at byte %zu",
	      off);
	munmap(p, 64 * 64 * 4);

	mine = itest_dumb_create(fd, 32, 32, 32);
	p = itest_mmap(fd, mine.offset, mine.size, PROT_WRITE);
	itest_fill(p, mine.size, 31);
	munmap(p, mine.size);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), 0,
		    "child: GEM_CLOSE of the parent's handle %u", cl.handle);
	mp_send_fd(sock, fd, mine.handle);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mp_peer peer;
	struct itest_dumb d;
	struct drm_mode_map_dumb map = {0};
	struct drm_gem_close cl = {0};
	uint64_t handle;
	uint8_t *p;
	size_t off;
	int fd;

	mp_init(argc, argv, NULL);
	mp_fork(&peer, "the child that opened nothing", child_main, NULL);

	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(mp_is_master(fd), "the first opener of card0 must be master");
	d = itest_dumb_create(fd, 64, 64, 32);
	p = itest_mmap(fd, d.offset, d.size, PROT_WRITE);
	itest_fill(p, d.size, 30);
	munmap(p, d.size);
	mp_send_fd(peer.sock, fd, d.handle);
	close(fd);

	fd = mp_recv_fd(peer.sock, &handle);
	mp_peer_join(&peer);

	CHECK(mp_is_master(fd), "the fd sent back must still be master");
	cl.handle = d.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), EINVAL,
		    "GEM_CLOSE of handle %u, which the child closed",
		    cl.handle);
	map.handle = (uint32_t)handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB of handle %u the child created", map.handle);
	p = itest_mmap(fd, map.offset, 32 * 32 * 4, PROT_READ);
	off = itest_mismatch(p, 32 * 32 * 4, 31);
	CHECK(off == (size_t)-1,
	      "the child's buffer differs from what the child wrote at byte "
	      "%zu",
	      off);
	munmap(p, 32 * 32 * 4);
	close(fd);
	return 0;
}
