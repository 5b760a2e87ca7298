// SPDX-License-Identifier: MIT
/*
 * A forked child uses its parent's fd: it is the same open file, so GEM
 * handles made by either are valid in both, the bytes written through one
 * process's mapping are what the other maps, and master is the file's:
 * the child of a master parent is master (SETCRTC works) until the parent
 * drops it. SET_MASTER on the shared file from the child is refused
 * (EACCES: the file was opened by another process, drm_master_check_perm),
 * from the parent allowed.
 */
#include "mp.h"

static void child_main(void *arg, int sock)
{
	int fd = *(int *)arg;
	struct itest_dumb d = itest_dumb_create(fd, 64, 64, 32);
	struct mp_display disp = mp_display_find(fd);
	uint8_t *p = itest_mmap(fd, d.offset, d.size, PROT_WRITE);
	struct drm_gem_close cl = {0};

	CHECK(mp_is_master(fd), "child: the fd inherited from the master "
				"parent must be master (same open file)");
	mp_display_add_fb(fd, &disp, 12);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0,
		    "child: SETCRTC through the master parent's fd");
	itest_fill(p, d.size, 11);
	munmap(p, d.size);
	mp_send_u64(sock, d.handle);

	/* The parent dropped master and sent one of its handles. */
	cl.handle = (uint32_t)mp_recv_u64(sock);
	CHECK(!mp_is_master(fd), "child: still master after the parent's "
				 "DROP_MASTER on the shared file");
	CHECK_ERRNO(mp_display_set(fd, &disp), EACCES,
		    "child: SETCRTC after the parent dropped master");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), EACCES,
		    "child: SET_MASTER on a file another process opened");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), 0,
		    "child: GEM_CLOSE of the parent's handle %u", cl.handle);
	mp_send_u64(sock, 0);
}

int main(int argc, char **argv)
{
	int fd;
	struct mp_peer peer;
	struct itest_dumb mine;
	struct drm_mode_map_dumb map = {0};
	struct drm_gem_close cl = {0};
	uint8_t *p;
	size_t off;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(mp_is_master(fd), "the first opener of card0 must be master");
	mine = itest_dumb_create(fd, 32, 32, 32);

	mp_fork(&peer, "the forked child", child_main, &fd);

	map.handle = (uint32_t)mp_recv_u64(peer.sock);
	CHECK(map.handle != mine.handle,
	      "the child's new handle %u equals the parent's live handle",
	      map.handle);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB in the parent of handle %u the child created",
		    map.handle);
	p = itest_mmap(fd, map.offset, 64 * 64 * 4, PROT_READ);
	off = itest_mismatch(p, 64 * 64 * 4, 11);
	CHECK(off == (size_t)-1,
	      "the parent's mapping of the child's buffer differs from what "
	      "the child wrote at byte %zu",
	      off);

	CHECK_ERRNO(drmDropMaster(fd), 0, "DROP_MASTER by the parent");
	mp_send_u64(peer.sock, mine.handle);
	mp_recv_u64(peer.sock);
	cl.handle = mine.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), EINVAL,
		    "GEM_CLOSE of handle %u, which the child closed on the "
		    "shared file",
		    mine.handle);
	mp_peer_join(&peer);

	/* The child's exit closed its copy of the fd, not the file. */
	off = itest_mismatch(p, 64 * 64 * 4, 11);
	CHECK(off == (size_t)-1,
	      "the child's buffer changed when the child exited (byte %zu)",
	      off);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB of the child's handle %u after the child exited",
		    map.handle);
	CHECK_ERRNO(drmSetMaster(fd), 0,
		    "SET_MASTER by the parent, which opened the file and was "
		    "master");
	munmap(p, 64 * 64 * 4);
	close(fd);
	return 0;
}
