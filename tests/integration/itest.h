/* SPDX-License-Identifier: MIT */
/*
 * Checks for the integration programs: each is an ordinary libdrm client
 * run under `udrm run`, so it only sees /dev/dri through the interposer.
 * A failed check prints what was expected and exits 1.
 */
#ifndef UDRM_ITEST_H
#define UDRM_ITEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

static inline void itest_fail(const char *file, int line, const char *fmt,
			      ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Fails unless @cond holds. */
#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond))                                                  \
			itest_fail(__FILE__, __LINE__, __VA_ARGS__);          \
	} while (0)

/* For calls that return -1/errno (ioctl, drmIoctl, open...): fails unless
 * the call fails with @err (0: succeeds). */
#define CHECK_ERRNO(call, err, ...)                                           \
	do {                                                                  \
		int itest_want_ = (err);                                      \
		errno = 0;                                                    \
		long itest_ret_ = (long)(call);                               \
		int itest_errno_ = errno;                                     \
		if (itest_want_ == 0 && itest_ret_ < 0) {                     \
			char itest_what_[256];                                \
			snprintf(itest_what_, sizeof(itest_what_),            \
				 __VA_ARGS__);                                \
			itest_fail(__FILE__, __LINE__,                        \
				   "%s: expected success, got -1 (%s)",       \
				   itest_what_, strerror(itest_errno_));      \
		}                                                             \
		if (itest_want_ != 0 &&                                       \
		    (itest_ret_ != -1 || itest_errno_ != itest_want_)) {      \
			char itest_what_[256];                                \
			snprintf(itest_what_, sizeof(itest_what_),            \
				 __VA_ARGS__);                                \
			itest_fail(__FILE__, __LINE__,                        \
				   "%s: expected -1 with errno %s, got %ld "  \
				   "(errno %s)",                              \
				   itest_what_, strerror(itest_want_),        \
				   itest_ret_, strerror(itest_errno_));       \
		}                                                             \
	} while (0)

/* For libdrm calls that return 0 or -errno (drmGetMagic, drmAuthMagic):
 * fails unless the call returns @want. */
#define CHECK_RET(call, want, ...)                                            \
	do {                                                                  \
		long itest_want_ = (want);                                    \
		long itest_ret_ = (long)(call);                               \
		if (itest_ret_ != itest_want_) {                              \
			char itest_what_[256];                                \
			snprintf(itest_what_, sizeof(itest_what_),            \
				 __VA_ARGS__);                                \
			itest_fail(__FILE__, __LINE__,                        \
				   "%s: expected %ld (%s), got %ld (%s)",     \
				   itest_what_, itest_want_,                  \
				   strerror((int)-itest_want_), itest_ret_,   \
				   strerror((int)-itest_ret_));               \
		}                                                             \
	} while (0)

static inline int itest_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	CHECK(fd >= 0, "open(%s): %s", path, strerror(errno));
	return fd;
}

struct itest_dumb {
	uint32_t handle, pitch;
	uint64_t size, offset;
};

/* MODE_CREATE_DUMB + MODE_MAP_DUMB through drmIoctl; must succeed. */
static inline struct itest_dumb itest_dumb_create(int fd, uint32_t w,
						  uint32_t h, uint32_t bpp)
{
	struct drm_mode_create_dumb create = {.width = w, .height = h,
					      .bpp = bpp};
	struct drm_mode_map_dumb map = {0};
	struct itest_dumb d;

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create), 0,
		    "MODE_CREATE_DUMB %ux%u@%u", w, h, bpp);
	map.handle = create.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MODE_MAP_DUMB of handle %u", create.handle);
	d.handle = create.handle;
	d.pitch = create.pitch;
	d.size = create.size;
	d.offset = map.offset;
	return d;
}

static inline void *itest_mmap(int fd, uint64_t offset, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)offset);

	CHECK(p != MAP_FAILED, "mmap(fd %d, %zu bytes, offset 0x%llx): %s", fd,
	      len, (unsigned long long)offset, strerror(errno));
	return p;
}

static inline void itest_fill(void *p, size_t len, uint32_t seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)((i * 2654435761u + seed * 40503u) >> 11) | 1;
}

/* First offset where the pattern differs, or (size_t)-1. */
static inline size_t itest_mismatch(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != ((uint8_t)((i * 2654435761u + seed * 40503u) >> 11) |
			     1))
			return i;
	return (size_t)-1;
}

#endif
