// SPDX-License-Identifier: MIT
/*
 * Buffers shared between processes the two ways the kernel offers:
 *
 * - a flink name made in one process (on vkms's card0) opened with GEM_OPEN
 *   in another, authenticated, process: the same object (same size), the
 *   same pages through each process's mapping;
 * - a PRIME fd exported in one process (a vgem dumb buffer on card1), sent
 *   with SCM_RIGHTS and closed by the sender while in flight, imported on
 *   renderD128 in another: importing it twice gives one handle, and the
 *   bytes written through the importer's re-export are in the exporter's
 *   mapping.
 */
#include "mp.h"

#define SIZE (64 * 64 * 4)

static void importer_main(void *arg, int sock)
{
	int card0 = itest_open("/dev/dri/card0", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct drm_gem_open open_req = {0};
	struct drm_mode_map_dumb map = {0};
	drm_magic_t magic = 0;
	uint32_t h1 = 0, h2 = 0;
	uint64_t size;
	uint8_t *p;
	size_t off;
	int buf, buf2 = -1;

	(void)arg;
	/* flink: GEM_OPEN needs authentication. */
	CHECK_RET(drmGetMagic(card0, &magic), 0, "importer: GET_MAGIC");
	mp_send_u64(sock, magic);
	open_req.name = (uint32_t)mp_recv_u64(sock);
	CHECK_ERRNO(drmIoctl(card0, DRM_IOCTL_GEM_OPEN, &open_req), 0,
		    "importer: GEM_OPEN of flink name %u from the other "
		    "process",
		    open_req.name);
	CHECK(open_req.size == SIZE,
	      "importer: GEM_OPEN size %llu, expected the exporter's %u",
	      (unsigned long long)open_req.size, SIZE);
	map.handle = open_req.handle;
	CHECK_ERRNO(drmIoctl(card0, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "importer: MAP_DUMB of the GEM_OPEN handle %u", map.handle);
	p = itest_mmap(card0, map.offset, SIZE, PROT_READ | PROT_WRITE);
	off = itest_mismatch(p, SIZE, 70);
	CHECK(off == (size_t)-1,
	      "importer: the flinked buffer differs from what the exporter "
	      "wrote at byte %zu",
	      off);
	itest_fill(p, SIZE, 71);
	munmap(p, SIZE);
	mp_send_u64(sock, 0);

	/* PRIME */
	buf = mp_recv_fd(sock, &size);
	CHECK(size == SIZE, "importer: the exporter sent size %llu",
	      (unsigned long long)size);
	CHECK(lseek(buf, 0, SEEK_END) == (off_t)SIZE,
	      "importer: lseek(SEEK_END) of the received dma-buf: %lld",
	      (long long)lseek(buf, 0, SEEK_END));
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf, &h1), 0,
		    "importer: PRIME_FD_TO_HANDLE of the received dma-buf");
	CHECK_ERRNO(drmPrimeFDToHandle(render, buf, &h2), 0,
		    "importer: PRIME_FD_TO_HANDLE of it again");
	CHECK(h1 && h1 == h2,
	      "importer: importing one dma-buf twice must give one handle "
	      "(%u, %u)",
	      h1, h2);
	p = itest_mmap(buf, 0, SIZE, PROT_READ);
	off = itest_mismatch(p, SIZE, 72);
	CHECK(off == (size_t)-1,
	      "importer: the received dma-buf differs from what the exporter "
	      "wrote at byte %zu",
	      off);
	munmap(p, SIZE);
	CHECK_ERRNO(
		drmPrimeHandleToFD(render, h1, DRM_CLOEXEC | DRM_RDWR, &buf2),
		0, "importer: PRIME_HANDLE_TO_FD of the imported handle");
	p = itest_mmap(buf2, 0, SIZE, PROT_READ | PROT_WRITE);
	itest_fill(p, SIZE, 73);
	munmap(p, SIZE);
	close(buf2);
	close(buf);
	mp_send_u64(sock, 0);
	mp_recv_u64(sock); /* keep the import until the exporter checked */
	close(render);
	close(card0);
}

int main(int argc, char **argv)
{
	struct mp_peer importer;
	struct itest_dumb flinked, primed;
	struct drm_gem_flink flink = {0};
	uint8_t *p, *q;
	size_t off;
	int card0, card1, buf = -1;

	mp_init(argc, argv, NULL);
	card0 = itest_open("/dev/dri/card0", O_RDWR);
	card1 = itest_open("/dev/dri/card1", O_RDWR);
	flinked = itest_dumb_create(card0, 64, 64, 32);
	CHECK(flinked.size == SIZE, "test setup: dumb size %llu",
	      (unsigned long long)flinked.size);
	p = itest_mmap(card0, flinked.offset, SIZE, PROT_READ | PROT_WRITE);
	itest_fill(p, SIZE, 70);
	flink.handle = flinked.handle;
	CHECK_ERRNO(drmIoctl(card0, DRM_IOCTL_GEM_FLINK, &flink), 0,
		    "GEM_FLINK by the master");

	mp_peer_start(&importer, "the importer", importer_main, NULL);
	CHECK_RET(drmAuthMagic(card0, (drm_magic_t)mp_recv_u64(importer.sock)),
		  0, "AUTH_MAGIC of the importer's magic");
	mp_send_u64(importer.sock, flink.name);
	mp_recv_u64(importer.sock);
	off = itest_mismatch(p, SIZE, 71);
	CHECK(off == (size_t)-1,
	      "the importer's writes through the flink name are not in our "
	      "mapping (byte %zu)",
	      off);

	primed = itest_dumb_create(card1, 64, 64, 32);
	q = itest_mmap(card1, primed.offset, SIZE, PROT_READ | PROT_WRITE);
	itest_fill(q, SIZE, 72);
	CHECK_ERRNO(drmPrimeHandleToFD(card1, primed.handle,
				       DRM_CLOEXEC | DRM_RDWR, &buf),
		    0, "PRIME_HANDLE_TO_FD on card1");
	mp_send_fd(importer.sock, buf, SIZE);
	close(buf);
	mp_recv_u64(importer.sock);
	off = itest_mismatch(q, SIZE, 73);
	CHECK(off == (size_t)-1,
	      "the importer's writes through its PRIME import are not in our "
	      "mapping (byte %zu)",
	      off);
	mp_send_u64(importer.sock, 0);
	mp_peer_join(&importer);

	munmap(q, SIZE);
	munmap(p, SIZE);
	close(card1);
	close(card0);
	return 0;
}
