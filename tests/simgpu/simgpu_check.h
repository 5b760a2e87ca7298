/* SPDX-License-Identifier: MIT */
/*
 * cmocka checks shared by the simgpu device and firmware tests: a failure
 * says what was expected and what came, errno names included.
 */
#ifndef SIMGPU_CHECK_H
#define SIMGPU_CHECK_H

#include <stdio.h>
#include <string.h>

/* Fails unless @expr equals @expected; the message is printf-style. */
#define expect_eq(expr, expected, ...)                                         \
	do {                                                                   \
		long long got_ = (long long)(expr);                            \
		long long want_ = (long long)(expected);                       \
		if (got_ != want_) {                                           \
			char what_[256];                                       \
			snprintf(what_, sizeof(what_), __VA_ARGS__);           \
			fail_msg("%s: expected %lld (%s), got %lld (%s)",      \
				 what_, want_,                                 \
				 want_ < 0 ? strerror((int)-want_) : "-",      \
				 got_, got_ < 0 ? strerror((int)-got_) : "-"); \
		}                                                              \
	} while (0)

/* Fails with the printf-style message unless @cond holds. */
#define check(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

#endif
