// SPDX-License-Identifier: MIT
/*
 * Each open() is a new file with its own handle space, also in another
 * process: the peer's handle numbers mean nothing on our file and ours
 * nothing on its (GEM_CLOSE: EINVAL, MAP_DUMB: ENOENT), and mapping
 * another file's fake offset through ours is refused (EACCES, as
 * drm_vma_node_is_allowed()).
 */
#include "mp.h"

struct ours {
	uint32_t handle;
	uint64_t offset;
};

static void peer_main(void *arg, int sock)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	struct itest_dumb d = itest_dumb_create(fd, 32, 32, 32);
	struct drm_gem_close cl = {0};
	struct drm_mode_map_dumb map = {0};
	struct ours theirs;
	uint8_t *p;
	size_t off;
	void *q;

	(void)arg;
	CHECK(mp_recv(sock, &theirs, sizeof(theirs)) < 0, "no fd expected");
	CHECK(d.handle != theirs.handle,
	      "peer: test setup: handle numbers must differ (%u)", d.handle);
	cl.handle = theirs.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), EINVAL,
		    "peer: GEM_CLOSE of handle %u of the other process's file",
		    cl.handle);
	map.handle = theirs.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), ENOENT,
		    "peer: MAP_DUMB of handle %u of the other process's file",
		    map.handle);
	errno = 0;
	q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, (off_t)theirs.offset);
	CHECK(q == MAP_FAILED && errno == EACCES,
	      "peer: mmap through our fd of the other file's offset 0x%llx: "
	      "expected EACCES, got %s",
	      (unsigned long long)theirs.offset,
	      q == MAP_FAILED ? strerror(errno) : "a mapping");

	p = itest_mmap(fd, d.offset, d.size, PROT_READ | PROT_WRITE);
	for (off = 0; off < d.size; off++)
		CHECK(p[off] == 0,
		      "peer: our new buffer is not zero at byte %zu (0x%02x)",
		      off, p[off]);
	itest_fill(p, d.size, 41);
	munmap(p, d.size);
	mp_send_u64(sock, d.handle);
	mp_recv_u64(sock); /* keep the file open until checked */
	close(fd);
}

int main(int argc, char **argv)
{
	int fd, i;
	struct itest_dumb d[3];
	struct drm_gem_close cl = {0};
	struct drm_mode_map_dumb map = {0};
	struct mp_peer peer;
	struct ours ours;
	uint8_t *p;
	size_t off;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	/* Handles 1..3; keep only the last, so 1 is free in this file. */
	for (i = 0; i < 3; i++)
		d[i] = itest_dumb_create(fd, 32, 32, 32);
	for (i = 0; i < 2; i++) {
		cl.handle = d[i].handle;
		CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), 0,
			    "GEM_CLOSE of our handle %u", cl.handle);
	}
	p = itest_mmap(fd, d[2].offset, d[2].size, PROT_READ | PROT_WRITE);
	itest_fill(p, d[2].size, 40);

	mp_peer_start(&peer, "the peer with its own open", peer_main, NULL);
	ours.handle = d[2].handle;
	ours.offset = d[2].offset;
	mp_send(peer.sock, &ours, sizeof(ours), -1);

	cl.handle = (uint32_t)mp_recv_u64(peer.sock);
	CHECK(cl.handle != d[2].handle,
	      "test setup: the peer's handle must differ from ours (%u)",
	      cl.handle);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), EINVAL,
		    "GEM_CLOSE of handle %u of the peer's file", cl.handle);
	map.handle = cl.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), ENOENT,
		    "MAP_DUMB of handle %u of the peer's file", map.handle);
	off = itest_mismatch(p, d[2].size, 40);
	CHECK(off == (size_t)-1,
	      "our buffer changed while the peer worked on its own file "
	      "(byte %zu)",
	      off);
	mp_send_u64(peer.sock, 0);
	mp_peer_join(&peer);

	map.handle = d[2].handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB of our handle %u after the peer closed its file",
		    map.handle);
	munmap(p, d[2].size);
	close(fd);
	return 0;
}
