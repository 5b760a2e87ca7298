/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the syncobj tests (tests/sync/test_syncobj*.c): the
 * ioctls as one-line calls, and a pending fence the tests signal by hand
 * to stand for GPU work (the kernel's IGT uses vgem fences or sw_sync for
 * the same purpose).
 *
 * The tests run on the usual pair of devices (tests/core/udrm_test.h):
 * vgem has DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE, vkms has neither.
 */
#ifndef UDRM_SYNCOBJ_TEST_H
#define UDRM_SYNCOBJ_TEST_H

#include "udrm_test.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "core/uaccess.h"
#include "sync/dma_fence.h"
#include "sync/syncobj.h"

/* A fence nobody signals but the test, recording the deadline hint. */
struct so_mock_fence {
	struct udrm_fence base; /* first: freed with free() on last put */
	_Atomic uint64_t deadline;
};

static void so_mock_set_deadline(struct udrm_fence *fence, uint64_t ns)
{
	((struct so_mock_fence *)fence)->deadline = ns;
}

static const struct udrm_fence_ops so_mock_ops = {
	.set_deadline = so_mock_set_deadline,
	.use_64bit_seqno = true,
};

static inline struct so_mock_fence *so_mock_fence(void)
{
	struct so_mock_fence *m = calloc(1, sizeof(*m));

	ut_check(m != NULL, "out of memory for a mock fence");
	udrm_fence_init(&m->base, &so_mock_ops, NULL, NULL,
			udrm_fence_context_alloc(1), 1);
	return m;
}

static inline uint32_t so_create(struct udrm_file *f, uint32_t flags)
{
	struct drm_syncobj_create req = {.flags = flags};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_CREATE, &req), 0,
		  "SYNCOBJ_CREATE flags 0x%x", flags);
	ut_check(req.handle != 0, "SYNCOBJ_CREATE returned handle 0");
	return req.handle;
}

static inline long so_array(struct udrm_file *f, unsigned long cmd,
			    const uint32_t *handles, uint32_t count)
{
	struct drm_syncobj_array req = {
		.handles = udrm_user_ptr(handles),
		.count_handles = count,
	};

	return udrm_file_ioctl(f, cmd, &req);
}

static inline long so_signal(struct udrm_file *f, uint32_t h)
{
	return so_array(f, DRM_IOCTL_SYNCOBJ_SIGNAL, &h, 1);
}

static inline long so_reset(struct udrm_file *f, uint32_t h)
{
	return so_array(f, DRM_IOCTL_SYNCOBJ_RESET, &h, 1);
}

static inline long so_timeline_signal(struct udrm_file *f, uint32_t h,
				      uint64_t point)
{
	struct drm_syncobj_timeline_array req = {
		.handles = udrm_user_ptr(&h),
		.points = udrm_user_ptr(&point),
		.count_handles = 1,
	};

	return udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, &req);
}

/* The absolute CLOCK_MONOTONIC time @ms from now. */
static inline int64_t so_in_ms(int64_t ms)
{
	return (int64_t)udrm_fence_now_ns() + ms * 1000000;
}

static inline long so_wait(struct udrm_file *f, const uint32_t *handles,
			   uint32_t count, uint32_t flags, int64_t timeout,
			   uint32_t *first)
{
	struct udrm_drm_syncobj_wait req = {
		.handles = udrm_user_ptr(handles),
		.count_handles = count,
		.flags = flags,
		.timeout_nsec = timeout,
		.first_signaled = 0xdead,
	};
	long ret = udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_WAIT, &req);

	if (first)
		*first = req.first_signaled;
	return ret;
}

static inline long so_wait1(struct udrm_file *f, uint32_t h, uint32_t flags,
			    int64_t timeout)
{
	return so_wait(f, &h, 1, flags, timeout, NULL);
}

static inline long so_timeline_wait1(struct udrm_file *f, uint32_t h,
				     uint64_t point, uint32_t flags,
				     int64_t timeout)
{
	struct udrm_drm_syncobj_timeline_wait req = {
		.handles = udrm_user_ptr(&h),
		.points = udrm_user_ptr(&point),
		.count_handles = 1,
		.flags = flags,
		.timeout_nsec = timeout,
	};

	return udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &req);
}

static inline uint64_t so_query(struct udrm_file *f, uint32_t h, uint32_t flags)
{
	uint64_t point = ~0ull;
	struct drm_syncobj_timeline_array req = {
		.handles = udrm_user_ptr(&h),
		.points = udrm_user_ptr(&point),
		.count_handles = 1,
		.flags = flags,
	};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_QUERY, &req), 0,
		  "SYNCOBJ_QUERY of handle %u flags 0x%x", h, flags);
	return point;
}

/* Installs @fence in syncobj @h of @f (binary), or at @point. */
static inline void so_attach(struct udrm_file *f, uint32_t h,
			     struct udrm_fence *fence, uint64_t point)
{
	struct udrm_syncobj *syncobj = udrm_syncobj_find(f, h);

	ut_check(syncobj != NULL, "no syncobj behind handle %u", h);
	if (point)
		ut_expect(udrm_syncobj_add_point(syncobj, fence, point), 0,
			  "adding point %llu", (unsigned long long)point);
	else
		udrm_syncobj_replace_fence(syncobj, fence);
	udrm_syncobj_put(syncobj);
}

#endif
