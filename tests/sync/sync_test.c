// SPDX-License-Identifier: MIT
/* Helpers of the fence conformance tests (see sync_test.h). */
#include "sync_test.h"

#include <time.h>

static atomic_long mock_alive;

static void mock_fence_release(struct udrm_fence *fence)
{
	atomic_fetch_sub(&mock_alive, 1);
	free(fence);
}

static const struct udrm_fence_ops mock_ops = {
	.release = mock_fence_release,
};

struct udrm_fence *st_mock_fence(void)
{
	struct udrm_fence_names *names =
		udrm_fence_names_create("mock", "mock");
	struct udrm_fence *fence = malloc(sizeof(*fence));

	st_check(names && fence, "allocating a mock fence failed");
	udrm_fence_init(fence, &mock_ops, NULL, names, 0, 0);
	udrm_fence_names_put(names);
	atomic_fetch_add(&mock_alive, 1);
	return fence;
}

long st_mock_fences_alive(void)
{
	return atomic_load(&mock_alive);
}

void st_simple_callback(struct udrm_fence *fence, struct udrm_fence_cb *cb)
{
	struct st_simple_cb *s = (struct st_simple_cb *)cb;

	atomic_store(&s->seen, true);
}

void st_msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint32_t st_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}
