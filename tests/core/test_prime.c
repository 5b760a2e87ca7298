// SPDX-License-Identifier: MIT
/*
 * PRIME, as the kernel's drm_prime.c: exporting a handle as a dma-buf fd
 * that maps the object's pages, importing it back (same handle in the
 * exporting file, same object elsewhere), and udrm's extension of
 * importing any memfd.
 */
#include "udrm_test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static long to_fd(struct udrm_file *f, uint32_t handle, uint32_t flags,
		  int *fd)
{
	struct drm_prime_handle req = {.handle = handle, .flags = flags,
				       .fd = -1};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &req);

	*fd = req.fd;
	return ret;
}

static int export_fd(struct udrm_file *f, uint32_t handle, uint32_t flags)
{
	int fd;

	ut_expect(to_fd(f, handle, flags, &fd), 0,
		  "PRIME_HANDLE_TO_FD of handle %u flags 0x%x", handle, flags);
	ut_check(fd >= 0, "PRIME_HANDLE_TO_FD returned fd %d", fd);
	return fd;
}

static long to_handle(struct udrm_file *f, int fd, uint32_t *handle)
{
	struct drm_prime_handle req = {.fd = fd};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &req);

	*handle = req.handle;
	return ret;
}

static uint32_t import_fd(struct udrm_file *f, int fd)
{
	uint32_t h;

	ut_expect(to_handle(f, fd, &h), 0, "PRIME_FD_TO_HANDLE of fd %d", fd);
	ut_check(h != 0, "PRIME_FD_TO_HANDLE returned handle 0");
	return h;
}

static void *map_fd(int fd, size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	ut_check(p != MAP_FAILED, "mmap of dma-buf fd %d (%zu bytes) failed: "
				  "%s", fd, size, strerror(errno));
	return p;
}

/* A dumb buffer in @f filled with pattern @seed through its mapping. */
static uint32_t filled_object(struct udrm_file *f, uint32_t seed,
			      uint64_t *size)
{
	uint32_t h = ut_dumb_create(f, 128, 32, 32, NULL, size);
	uint8_t *p = ut_mmap(f, ut_map_offset(f, h), *size,
			     PROT_READ | PROT_WRITE);

	ut_fill(p, *size, seed);
	munmap(p, *size);
	return h;
}

static void check_object_pattern(struct udrm_file *f, uint32_t h,
				 uint64_t size, uint32_t seed,
				 const char *what)
{
	uint8_t *p = ut_mmap(f, ut_map_offset(f, h), size, PROT_READ);
	size_t bad = ut_pattern_mismatch(p, size, seed);

	ut_check(bad == (size_t)-1, "%s: contents differ at byte %zu", what,
		 bad);
	munmap(p, size);
}

/* Checks an object through a fresh export: imported objects cannot be
 * dumb-mapped (drm_gem_dumb_map_offset() refuses them). */
static void check_export_pattern(struct udrm_file *f, uint32_t h,
				 uint64_t size, uint32_t seed,
				 const char *what)
{
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	uint8_t *p = map_fd(fd, size, PROT_READ);
	size_t bad = ut_pattern_mismatch(p, size, seed);

	ut_check(bad == (size_t)-1, "%s: contents differ at byte %zu", what,
		 bad);
	munmap(p, size);
	close(fd);
}

static void handle_to_fd_rejects_unknown_flags_and_handles(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 8, 8, 32, NULL, NULL);
	int fd;

	ut_expect(to_fd(f, h, 0x1, &fd), -EINVAL,
		  "PRIME_HANDLE_TO_FD with flags 0x1");
	ut_expect(to_fd(f, h, DRM_CLOEXEC | 0x8000, &fd), -EINVAL,
		  "PRIME_HANDLE_TO_FD with CLOEXEC | 0x8000");
	ut_expect(to_fd(f, 77, 0, &fd), -ENOENT,
		  "PRIME_HANDLE_TO_FD of unknown handle 77");
	ut_expect(to_fd(f, 0, DRM_CLOEXEC, &fd), -ENOENT,
		  "PRIME_HANDLE_TO_FD of handle 0");
	udrm_file_close(f);
}

static void exported_fd_maps_the_objects_pages(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(f, 11, &size);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	uint8_t *p = map_fd(fd, size, PROT_READ | PROT_WRITE);
	size_t bad = ut_pattern_mismatch(p, size, 11);
	struct stat st;

	ut_check(bad == (size_t)-1, "the dma-buf mapping does not show the "
				    "object (byte %zu)", bad);
	ut_fill(p, size, 12);
	check_object_pattern(f, h, size, 12,
			     "writes through the dma-buf seen by the object");
	ut_check(fstat(fd, &st) == 0, "fstat of a dma-buf fd failed");
	/* dma_buf_llseek(): SEEK_END gives the size. */
	ut_check(lseek(fd, 0, SEEK_END) == (off_t)size,
		 "lseek(SEEK_END) on a dma-buf must give its size %llu",
		 (unsigned long long)size);
	munmap(p, size);
	close(fd);
	udrm_file_close(f);
}

static void exported_fd_outlives_every_handle(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(f, 21, &size);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	uint8_t *p;
	size_t bad;

	ut_gem_close(f, h);
	/* New objects must not reuse the exported pages. */
	filled_object(f, 99, &size);
	p = map_fd(fd, size, PROT_READ);
	bad = ut_pattern_mismatch(p, size, 21);
	ut_check(bad == (size_t)-1, "a dma-buf whose handles are all closed "
				    "lost its contents (byte %zu)", bad);
	munmap(p, size);
	close(fd);
	udrm_file_close(f);
}

static void reimport_after_every_handle_closed_gives_the_native_object(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(f, 22, &size);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	struct drm_mode_map_dumb map = {0};

	ut_gem_close(f, h);
	/* The dma-buf holds a reference on the GEM object, and
	 * drm_gem_prime_import_dev() hands back that object when it comes
	 * home: it is not an import, so MAP_DUMB works on it. */
	map.handle = import_fd(f, fd);
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		  "MAP_DUMB of the object re-imported from its own dma-buf "
		  "after its last handle was closed");
	if (map.offset)
		check_object_pattern(f, map.handle, size, 22,
				     "re-imported object");
	close(fd);
	udrm_file_close(f);
}

static void export_without_rdwr_is_read_only(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(f, 31, &size);
	int fd = export_fd(f, h, DRM_CLOEXEC);
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ut_check(p == MAP_FAILED && errno == EACCES,
		 "a shared writable mmap of a dma-buf exported without "
		 "DRM_RDWR must fail with EACCES (got %s)",
		 p == MAP_FAILED ? strerror(errno) : "success");
	p = map_fd(fd, size, PROT_READ);
	munmap(p, size);
	close(fd);
	udrm_file_close(f);
}

static void read_only_export_imports_into_another_device(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *k = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(k, 33, &size), rh;
	/* What libdrm users who pass only DRM_CLOEXEC get: dma_buf_get()
	 * does not care about the file's access mode. */
	int fd = export_fd(k, h, DRM_CLOEXEC);

	ut_expect(to_handle(r, fd, &rh), 0,
		  "PRIME_FD_TO_HANDLE on vgem of a vkms dma-buf exported "
		  "without DRM_RDWR");
	ut_expect(to_handle(k, fd, &rh), 0,
		  "PRIME_FD_TO_HANDLE of a read-only export in the exporting "
		  "file");
	ut_check(rh == h, "expected the original handle %u, got %u", h, rh);
	close(fd);
	udrm_file_close(r);
	udrm_file_close(k);
}

static void cloexec_flag_reaches_the_fd(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 8, 8, 32, NULL, NULL);
	int a = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	int b = export_fd(f, h, DRM_RDWR);
	struct stat sa, sb;

	ut_check(fcntl(a, F_GETFD) & FD_CLOEXEC,
		 "DRM_CLOEXEC export lacks FD_CLOEXEC");
	ut_check(!(fcntl(b, F_GETFD) & FD_CLOEXEC),
		 "export without DRM_CLOEXEC has FD_CLOEXEC");
	/* Both are the object's one dma-buf. */
	ut_check(fstat(a, &sa) == 0 && fstat(b, &sb) == 0, "fstat failed");
	ut_check(sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev,
		 "two exports of one object must be the same dma-buf file");
	close(a);
	close(b);
	udrm_file_close(f);
}

static void import_in_the_exporting_file_gives_the_original_handle(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 8, 8, 32, NULL, NULL);
	uint32_t other = ut_dumb_create(f, 8, 8, 32, NULL, NULL);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	int dupfd = dup(fd);
	uint32_t got;

	(void)other;
	got = import_fd(f, fd);
	ut_check(got == h, "import in the exporting file: expected the "
			   "original handle %u, got %u", h, got);
	got = import_fd(f, dupfd);
	ut_check(got == h, "import of a dup of the fd: expected %u, got %u", h,
		 got);
	close(dupfd);
	close(fd);
	udrm_file_close(f);
}

static void import_twice_gives_the_same_handle(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *g = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(f, 41, &size);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	uint32_t a = import_fd(g, fd), b = import_fd(g, fd);

	ut_check(a == b, "FD_TO_HANDLE twice in one file gave %u and %u", a, b);
	check_object_pattern(g, a, size, 41, "import in another file");
	/* After closing the imported handle, a new import works again. */
	ut_gem_close(g, a);
	b = import_fd(g, fd);
	check_object_pattern(g, b, size, 41, "re-import after GEM_CLOSE");
	close(fd);
	udrm_file_close(g);
	udrm_file_close(f);
}

static void import_across_devices_shares_pages(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *k = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *gp = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint64_t size;
	uint32_t h = filled_object(k, 51, &size), rh, kh;
	int fd = export_fd(k, h, DRM_CLOEXEC | DRM_RDWR), fd2;
	uint8_t *p;
	size_t bad;

	/* vkms -> vgem render node, then back. */
	rh = import_fd(r, fd);
	fd2 = export_fd(r, rh, DRM_CLOEXEC | DRM_RDWR);
	p = map_fd(fd2, size, PROT_READ | PROT_WRITE);
	bad = ut_pattern_mismatch(p, size, 51);
	ut_check(bad == (size_t)-1, "vgem's re-export of a vkms buffer shows "
				    "other contents (byte %zu)", bad);
	ut_fill(p, size, 52);
	munmap(p, size);
	check_object_pattern(k, h, size, 52,
			     "vkms object after writes through vgem's export");
	kh = import_fd(k, fd2);
	ut_check(kh == h, "importing vgem's re-export into the exporting vkms "
			  "file must give the original handle %u, got %u",
		 h, kh);
	/* vgem's card node imports too (dumb map there). */
	{
		uint32_t gh = import_fd(gp, fd);
		struct drm_mode_map_dumb map = {.handle = gh};

		check_export_pattern(gp, gh, size, 52, "vgem card import");
		ut_expect(udrm_file_ioctl(gp, DRM_IOCTL_MODE_MAP_DUMB, &map),
			  -EINVAL, "MAP_DUMB of an object imported from "
				   "another device");
	}
	close(fd2);
	close(fd);
	udrm_file_close(gp);
	udrm_file_close(r);
	udrm_file_close(k);
}

static void memfd_imports_as_an_object_sharing_its_pages(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	const size_t size = 4 * (size_t)ut_page_size();
	int mfd = memfd_create("udrm-test", MFD_CLOEXEC), efd;
	struct drm_mode_map_dumb map = {0};
	uint8_t *m, *p;
	uint32_t h;
	size_t bad;
	char hello[] = "hello from a memfd";

	ut_check(mfd >= 0, "memfd_create failed");
	ut_check(ftruncate(mfd, (off_t)size) == 0, "ftruncate failed");
	ut_check(pwrite(mfd, hello, sizeof(hello), 0) == sizeof(hello),
		 "pwrite failed");
	h = import_fd(f, mfd);
	ut_check(import_fd(f, mfd) == h,
		 "importing the same memfd twice must give the same handle");
	/* An imported object is not dumb-mappable, as in the kernel (a
	 * udmabuf import there); its pages are reached by exporting it. */
	map.handle = h;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_MODE_MAP_DUMB, &map), -EINVAL,
		  "MAP_DUMB of an imported memfd");
	efd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	p = map_fd(efd, size, PROT_READ | PROT_WRITE);
	ut_check(!memcmp(p, hello, sizeof(hello)),
		 "the imported memfd's object does not show the memfd's data");
	ut_fill(p, size, 61);
	m = map_fd(mfd, size, PROT_READ);
	bad = ut_pattern_mismatch(m, size, 61);
	ut_check(bad == (size_t)-1, "writes through the object's export are "
				    "not in the memfd (byte %zu)", bad);
	munmap(m, size);
	munmap(p, size);
	close(efd);
	/* Another device sees the same pages. */
	{
		struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER,
					      O_RDWR);

		check_export_pattern(r, import_fd(r, mfd), size, 61,
				     "memfd imported into vgem");
		udrm_file_close(r);
	}
	close(mfd);
	udrm_file_close(f);
}

static void fd_to_handle_rejects_bad_and_foreign_fds(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	int pipefd[2];
	uint32_t h;
	char path[] = "udrm-prime-test-XXXXXX";
	int tmp;
	struct statfs sfs;

	ut_expect(to_handle(f, -1, &h), -EBADF, "PRIME_FD_TO_HANDLE of fd -1");
	ut_check(pipe(pipefd) == 0, "pipe failed");
	close(pipefd[1]);
	ut_expect(to_handle(f, pipefd[1], &h), -EBADF,
		  "PRIME_FD_TO_HANDLE of a closed fd");
	/* dma_buf_get(): a file that is not a dma-buf is -EINVAL. */
	ut_expect(to_handle(f, pipefd[0], &h), -EINVAL,
		  "PRIME_FD_TO_HANDLE of a pipe");
	close(pipefd[0]);
	/* A regular file on a disk file system (the build directory). */
	tmp = mkstemp(path);
	ut_check(tmp >= 0, "mkstemp in the working directory failed");
	unlink(path);
	ut_check(ftruncate(tmp, 4096) == 0, "ftruncate failed");
	if (fstatfs(tmp, &sfs) == 0 && sfs.f_type != TMPFS_MAGIC) {
		ut_expect(to_handle(f, tmp, &h), -EINVAL,
			  "PRIME_FD_TO_HANDLE of a regular file");
	}
	close(tmp);
	/* The device's own fd is not a dma-buf either. */
	ut_expect(to_handle(f, udrm_file_fd(f), &h), -EINVAL,
		  "PRIME_FD_TO_HANDLE of the DRM file's own fd");
	udrm_file_close(f);
}

static void fd_to_handle_ignores_flags(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h = ut_dumb_create(f, 8, 8, 32, NULL, NULL);
	int fd = export_fd(f, h, DRM_CLOEXEC | DRM_RDWR);
	struct drm_prime_handle req = {.fd = fd, .flags = 0xffffffff};

	/* drm_prime_fd_to_handle_ioctl() does not look at .flags. */
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &req), 0,
		  "PRIME_FD_TO_HANDLE with flags 0xffffffff");
	ut_check(req.handle == h, "expected the original handle %u, got %u", h,
		 req.handle);
	close(fd);
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(handle_to_fd_rejects_unknown_flags_and_handles),
		T(exported_fd_maps_the_objects_pages),
		T(exported_fd_outlives_every_handle),
		T(reimport_after_every_handle_closed_gives_the_native_object),
		T(export_without_rdwr_is_read_only),
		T(read_only_export_imports_into_another_device),
		T(cloexec_flag_reaches_the_fd),
		T(import_in_the_exporting_file_gives_the_original_handle),
		T(import_twice_gives_the_same_handle),
		T(import_across_devices_shares_pages),
		T(memfd_imports_as_an_object_sharing_its_pages),
		T(fd_to_handle_rejects_bad_and_foreign_fds),
		T(fd_to_handle_ignores_flags),
#undef T
	};

	return cmocka_run_group_tests_name("core/prime", tests, NULL, NULL);
}
