/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the tests of the DRM core (tests/core).
 *
 * Every check reports what was expected and what happened, so a failing
 * test says which kernel behaviour udrm got wrong without a debugger.
 * Devices are created per test and destroyed in teardown: minors are
 * global, and a test must not see state left by another.
 */
#ifndef UDRM_TEST_H
#define UDRM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <drm.h>
#include <drm_mode.h>

#include "udrm/udrm.h"

/* "0", "-EINVAL (Invalid argument)", or the number. */
const char *ut_errname(long value);

/* Fails unless @expr evaluates to @expected; @...: printf-style description
 * of the operation, e.g. "MAP_DUMB of handle %u", h. */
#define ut_expect(expr, expected, ...)                                        \
	do {                                                                  \
		long ut_got_ = (long)(expr);                                  \
		long ut_want_ = (long)(expected);                             \
		if (ut_got_ != ut_want_) {                                    \
			char ut_what_[256];                                   \
			snprintf(ut_what_, sizeof(ut_what_), __VA_ARGS__);    \
			fail_msg("%s: expected %s, got %s", ut_what_,         \
				 ut_errname(ut_want_), ut_errname(ut_got_));   \
		}                                                             \
	} while (0)

/* Fails with the message unless @cond holds. */
#define ut_check(cond, ...)                                                   \
	do {                                                                  \
		if (!(cond))                                                  \
			fail_msg(__VA_ARGS__);                                \
	} while (0)

/* A device with the given nodes (-1: none); fails the test on error. */
struct udrm_device *ut_device(const char *driver, int primary_minor,
			      int render_minor, unsigned int flags);
/* Opens a file; fails the test on error. */
struct udrm_file *ut_open(struct udrm_device *dev, enum udrm_node_type type,
			  int open_flags);

/* The usual pair: vkms on card0 and vgem on card1 + renderD128. */
struct ut_devices {
	struct udrm_device *vkms;
	struct udrm_device *vgem;
};
/* cmocka setup/teardown making *state a struct ut_devices. */
int ut_setup_default(void **state);
int ut_setup_privileged(void **state);
int ut_teardown_devices(void **state);

/* MODE_CREATE_DUMB that must succeed; returns the handle. @pitch and @size
 * may be NULL. */
uint32_t ut_dumb_create(struct udrm_file *file, uint32_t width,
			uint32_t height, uint32_t bpp, uint32_t *pitch,
			uint64_t *size);
/* MODE_MAP_DUMB that must succeed; returns the fake offset. */
uint64_t ut_map_offset(struct udrm_file *file, uint32_t handle);
/* udrm_file_mmap() of a whole object, shared; must succeed. */
void *ut_mmap(struct udrm_file *file, uint64_t offset, size_t len, int prot);
/* GEM_CLOSE that must succeed. */
void ut_gem_close(struct udrm_file *file, uint32_t handle);
/* GET_MAGIC in @client and AUTH_MAGIC in @master; both must succeed. */
void ut_authenticate(struct udrm_file *master, struct udrm_file *client);
/* GEM_FLINK that must succeed; returns the name. */
uint32_t ut_flink(struct udrm_file *file, uint32_t handle);

/* Fills @len bytes at @p with a pattern derived from @seed; checks it. */
void ut_fill(void *p, size_t len, uint32_t seed);
/* Returns the first offset where the pattern differs, or (size_t)-1. */
size_t ut_pattern_mismatch(const void *p, size_t len, uint32_t seed);
/* Returns the first non-zero offset, or (size_t)-1. */
size_t ut_first_nonzero(const void *p, size_t len);

/* A page mapped PROT_NONE and one mapped read-only, for -EFAULT tests.
 * Never unmapped. */
void *ut_noaccess_page(void);
void *ut_readonly_page(void);
/* An address in the kernel half: never mapped for the process. */
#define UT_KERNEL_ADDRESS ((void *)0xffff888000000000ull)

long ut_page_size(void);

/*
 * cmocka installs its own SIGSEGV/SIGBUS handler around every test, on top
 * of the core's fault guard, so a fault inside a guarded copy would reach
 * cmocka first. Tests that pass bad pointers call this first: it puts the
 * guard back on top with cmocka's handler as the one it forwards to (what
 * the interposer does for a program's own sigaction()).
 */
void ut_guard_user_faults(void);

#endif
