/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the conformance tests of the fences (tests/sync): the
 * mock fence of the kernel's selftests and checks whose failure says what
 * was expected.
 */
#ifndef UDRM_SYNC_TEST_H
#define UDRM_SYNC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/dma_fence.h"

/* Fails unless @expr evaluates to @expected; @...: what was done. */
#define st_expect(expr, expected, ...)                                         \
	do {                                                                   \
		long long st_got_ = (long long)(expr);                         \
		long long st_want_ = (long long)(expected);                    \
		if (st_got_ != st_want_) {                                     \
			char st_what_[256];                                    \
			snprintf(st_what_, sizeof(st_what_), __VA_ARGS__);     \
			fail_msg("%s: expected %lld (%s), got %lld (%s)",      \
				 st_what_, st_want_,                           \
				 st_want_ < 0 ? strerror((int)-st_want_)       \
					      : "-",                           \
				 st_got_,                                      \
				 st_got_ < 0 ? strerror((int)-st_got_) : "-"); \
		}                                                              \
	} while (0)

/* Fails with the message unless @cond holds. */
#define st_check(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

/* A heap fence with its own lock, context 0 seqno 0, like the kernel's
 * mock_fence(); freed by the last put. Fails the test on ENOMEM. */
struct udrm_fence *st_mock_fence(void);

/* The number of mock fences alive, to catch leaked references. */
long st_mock_fences_alive(void);

/* A callback that records that it ran. */
struct st_simple_cb {
	struct udrm_fence_cb cb;
	atomic_bool seen;
};

void st_simple_callback(struct udrm_fence *fence, struct udrm_fence_cb *cb);

/* Sleeps @ms milliseconds. */
void st_msleep(unsigned int ms);

/* A small deterministic PRNG (xorshift) for reproducible shuffles. */
uint32_t st_rand(uint32_t *state);

#endif
