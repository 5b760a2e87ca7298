// SPDX-License-Identifier: MIT
/*
 * DRM syncobj ioctls, as the kernel's drm_syncobj.c: every ioctl's
 * argument checks and errno in one table, then the behaviour of binary
 * and timeline syncobjs (signal, reset, wait, query, transfer, opaque fd
 * sharing, eventfds, sync_file hooks).
 */
#include "syncobj_test.h"

#include <poll.h>
#include <sys/eventfd.h>

/* The objects every table row starts with, in a new vgem render file. */
enum {
	H_EMPTY = 1,	  /* no fence */
	H_SIGNALED = 2,	  /* CREATE_SIGNALED */
	H_TIMELINE = 3,	  /* points 1 and 2 signalled */
	H_PENDING = 4,	  /* a fence that never signals (binary) */
	H_PENDING_TL = 5, /* point 1 signalled, point 2 pending */
	H_BAD = 99,	  /* no such handle */
};

/* Stand-ins for fds made per row. */
enum {
	FD_EVENTFD = -100,
	FD_PIPE = -101,
	FD_EXPORTED = -102, /* an opaque fd of H_SIGNALED */
};

struct so_fixture {
	struct udrm_file *file;
	struct so_mock_fence *pending, *pending_tl;
	int eventfd, pipe[2], exported;
};

static void fixture_setup(struct so_fixture *fx, struct udrm_device *vgem)
{
	struct udrm_drm_syncobj_handle exp = {.handle = H_SIGNALED};

	fx->file = ut_open(vgem, UDRM_NODE_RENDER, O_RDWR);
	ut_expect(so_create(fx->file, 0), H_EMPTY, "first handle");
	ut_expect(so_create(fx->file, DRM_SYNCOBJ_CREATE_SIGNALED), H_SIGNALED,
		  "second handle");
	ut_expect(so_create(fx->file, 0), H_TIMELINE, "third handle");
	ut_expect(so_timeline_signal(fx->file, H_TIMELINE, 1), 0, "point 1");
	ut_expect(so_timeline_signal(fx->file, H_TIMELINE, 2), 0, "point 2");
	ut_expect(so_create(fx->file, 0), H_PENDING, "fourth handle");
	fx->pending = so_mock_fence();
	so_attach(fx->file, H_PENDING, &fx->pending->base, 0);
	ut_expect(so_create(fx->file, 0), H_PENDING_TL, "fifth handle");
	ut_expect(so_timeline_signal(fx->file, H_PENDING_TL, 1), 0, "point 1");
	fx->pending_tl = so_mock_fence();
	so_attach(fx->file, H_PENDING_TL, &fx->pending_tl->base, 2);

	fx->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ut_check(fx->eventfd >= 0, "eventfd: %s", strerror(errno));
	ut_check(pipe2(fx->pipe, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	ut_expect(udrm_file_ioctl(fx->file, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
				  &exp),
		  0, "exporting H_SIGNALED");
	fx->exported = exp.fd;
}

static void fixture_teardown(struct so_fixture *fx)
{
	/* Signal what is pending so callbacks run and free their entries. */
	udrm_fence_signal(&fx->pending->base);
	udrm_fence_signal(&fx->pending_tl->base);
	udrm_fence_put(&fx->pending->base);
	udrm_fence_put(&fx->pending_tl->base);
	udrm_file_close(fx->file);
	close(fx->eventfd);
	close(fx->pipe[0]);
	close(fx->pipe[1]);
	close(fx->exported);
}

static int fixture_fd(const struct so_fixture *fx, int fd)
{
	switch (fd) {
	case FD_EVENTFD:
		return fx->eventfd;
	case FD_PIPE:
		return fx->pipe[0];
	case FD_EXPORTED:
		return fx->exported;
	}
	return fd;
}

union so_arg {
	struct drm_syncobj_create create;
	struct drm_syncobj_destroy destroy;
	struct udrm_drm_syncobj_handle handle;
	struct drm_syncobj_transfer transfer;
	struct udrm_drm_syncobj_wait wait;
	struct udrm_drm_syncobj_timeline_wait twait;
	struct drm_syncobj_array array;
	struct drm_syncobj_timeline_array tarray;
	struct udrm_drm_syncobj_eventfd eventfd;
};

struct so_case {
	const char *name;
	unsigned long cmd;
	union so_arg arg;
	long expected;
	bool on_vkms; /* a driver without DRIVER_SYNCOBJ */
};

#define P(ptr) udrm_user_ptr(ptr)

static void run_case(struct ut_devices *d, const struct so_case *c)
{
	struct so_fixture fx;
	union so_arg arg = c->arg;
	struct udrm_file *vkms = NULL;
	long ret;

	fixture_setup(&fx, d->vgem);
	if (c->cmd == UDRM_IOCTL_SYNCOBJ_EVENTFD)
		arg.eventfd.fd = fixture_fd(&fx, arg.eventfd.fd);
	if (c->cmd == UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE)
		arg.handle.fd = fixture_fd(&fx, arg.handle.fd);
	if (c->on_vkms)
		vkms = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	ret = udrm_file_ioctl(vkms ? vkms : fx.file, c->cmd, &arg);
	ut_expect(ret, c->expected, "%s", c->name);
	if (c->cmd == UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD && !ret)
		close(arg.handle.fd);
	if (vkms)
		udrm_file_close(vkms);
	fixture_teardown(&fx);
}

static void every_ioctl_checks_its_arguments_as_the_kernel(void **state)
{
	struct ut_devices *d = *state;
	uint64_t bad = P(ut_noaccess_page());
	uint32_t signaled[] = {H_SIGNALED}, empty[] = {H_EMPTY};
	uint32_t pending[] = {H_PENDING}, timeline[] = {H_TIMELINE};
	uint32_t bad_handle[] = {H_BAD}, pending_tl[] = {H_PENDING_TL};
	uint32_t signaled_pending[] = {H_SIGNALED, H_PENDING};
	uint32_t pending_signaled[] = {H_PENDING, H_SIGNALED};
	uint32_t signaled_bad[] = {H_SIGNALED, H_BAD};
	uint64_t p0[] = {0}, p1[] = {1}, p2[] = {2}, p3[] = {3};
	const uint32_t all = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL;
	const uint32_t submit = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	const uint32_t avail = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE;
	const uint32_t deadline = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE;
	const int64_t past = so_in_ms(-10);
	const struct so_case cases[] = {
		/* CREATE */
		{"CREATE without flags",
		 DRM_IOCTL_SYNCOBJ_CREATE,
		 {.create = {.flags = 0}},
		 0,
		 false},
		{"CREATE signalled",
		 DRM_IOCTL_SYNCOBJ_CREATE,
		 {.create = {.flags = DRM_SYNCOBJ_CREATE_SIGNALED}},
		 0,
		 false},
		{"CREATE with unknown flag 0x2",
		 DRM_IOCTL_SYNCOBJ_CREATE,
		 {.create = {.flags = 2}},
		 -EINVAL,
		 false},
		{"CREATE on vkms (no DRIVER_SYNCOBJ)",
		 DRM_IOCTL_SYNCOBJ_CREATE,
		 {.create = {0}},
		 -EOPNOTSUPP,
		 true},
		/* DESTROY */
		{"DESTROY",
		 DRM_IOCTL_SYNCOBJ_DESTROY,
		 {.destroy = {.handle = H_SIGNALED}},
		 0,
		 false},
		{"DESTROY with pad",
		 DRM_IOCTL_SYNCOBJ_DESTROY,
		 {.destroy = {.handle = H_SIGNALED, .pad = 1}},
		 -EINVAL,
		 false},
		{"DESTROY of an unknown handle",
		 DRM_IOCTL_SYNCOBJ_DESTROY,
		 {.destroy = {.handle = H_BAD}},
		 -EINVAL,
		 false},
		{"DESTROY of handle 0",
		 DRM_IOCTL_SYNCOBJ_DESTROY,
		 {.destroy = {.handle = 0}},
		 -EINVAL,
		 false},
		{"DESTROY on vkms",
		 DRM_IOCTL_SYNCOBJ_DESTROY,
		 {.destroy = {.handle = 1}},
		 -EOPNOTSUPP,
		 true},
		/* HANDLE_TO_FD */
		{"HANDLE_TO_FD",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_EMPTY}},
		 0,
		 false},
		{"HANDLE_TO_FD with pad",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_EMPTY, .pad = 1}},
		 -EINVAL,
		 false},
		{"HANDLE_TO_FD with unknown flag 0x4",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_EMPTY, .flags = 4}},
		 -EINVAL,
		 false},
		{"HANDLE_TO_FD of an unknown handle (-EINVAL, not -ENOENT)",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_BAD}},
		 -EINVAL,
		 false},
		{"HANDLE_TO_FD TIMELINE at point 0 is the opaque export",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_TIMELINE,
			     .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE}},
		 0,
		 false},
		{"HANDLE_TO_FD TIMELINE with a point needs EXPORT_SYNC_FILE",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_TIMELINE,
			     .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE,
			     .point = 1}},
		 -EINVAL,
		 false},
		{"HANDLE_TO_FD ignores point without TIMELINE",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = H_TIMELINE, .point = 1}},
		 0,
		 false},
		{"EXPORT_SYNC_FILE of an unknown handle",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle =
			  {.handle = H_BAD,
			   .flags =
				   DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE}},
		 -ENOENT,
		 false},
		{"EXPORT_SYNC_FILE of a syncobj without fence",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle =
			  {.handle = H_EMPTY,
			   .flags =
				   DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE}},
		 -EINVAL,
		 false},
		{"EXPORT_SYNC_FILE of a point not submitted",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle =
			  {.handle = H_TIMELINE,
			   .flags =
				   DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE |
				   DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_TIMELINE,
			   .point = 3}},
		 -EINVAL,
		 false},
		{"HANDLE_TO_FD on vkms",
		 UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		 {.handle = {.handle = 1}},
		 -EOPNOTSUPP,
		 true},
		/* FD_TO_HANDLE */
		{"FD_TO_HANDLE of an exported syncobj",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_EXPORTED}},
		 0,
		 false},
		{"FD_TO_HANDLE with pad",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_EXPORTED, .pad = 1}},
		 -EINVAL,
		 false},
		{"FD_TO_HANDLE with unknown flag 0x4",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_EXPORTED, .flags = 4}},
		 -EINVAL,
		 false},
		{"FD_TO_HANDLE of fd -1",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = -1}},
		 -EINVAL,
		 false},
		{"FD_TO_HANDLE of a pipe",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_PIPE}},
		 -EINVAL,
		 false},
		{"FD_TO_HANDLE TIMELINE with a point needs IMPORT_SYNC_FILE",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_EXPORTED,
			     .flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE,
			     .point = 1}},
		 -EINVAL,
		 false},
		{"IMPORT_SYNC_FILE of something not a sync_file",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle =
			  {.fd = FD_PIPE,
			   .handle = H_EMPTY,
			   .flags =
				   DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE}},
		 -EINVAL,
		 false},
		{"FD_TO_HANDLE on vkms",
		 UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		 {.handle = {.fd = FD_EXPORTED}},
		 -EOPNOTSUPP,
		 true},
		/* TRANSFER */
		{"TRANSFER binary to binary",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED,
			       .dst_handle = H_EMPTY}},
		 0,
		 false},
		{"TRANSFER binary to a timeline point",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED,
			       .dst_handle = H_TIMELINE,
			       .dst_point = 3}},
		 0,
		 false},
		{"TRANSFER a timeline point to binary",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_TIMELINE,
			       .src_point = 2,
			       .dst_handle = H_EMPTY}},
		 0,
		 false},
		{"TRANSFER with pad",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED,
			       .dst_handle = H_EMPTY,
			       .pad = 1}},
		 -EINVAL,
		 false},
		{"TRANSFER to an unknown handle",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED, .dst_handle = H_BAD}},
		 -ENOENT,
		 false},
		{"TRANSFER from an unknown handle",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_BAD, .dst_handle = H_EMPTY}},
		 -ENOENT,
		 false},
		{"TRANSFER with flag WAIT_ALL",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED,
			       .dst_handle = H_EMPTY,
			       .flags = all}},
		 -EINVAL,
		 false},
		{"TRANSFER from a syncobj without fence",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_EMPTY,
			       .dst_handle = H_SIGNALED}},
		 -EINVAL,
		 false},
		{"TRANSFER from a point not submitted",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_TIMELINE,
			       .src_point = 3,
			       .dst_handle = H_EMPTY}},
		 -EINVAL,
		 false},
		{"TRANSFER from a binary syncobj at a point",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = H_SIGNALED,
			       .src_point = 1,
			       .dst_handle = H_EMPTY}},
		 -EINVAL,
		 false},
		{"TRANSFER on vkms",
		 DRM_IOCTL_SYNCOBJ_TRANSFER,
		 {.transfer = {.src_handle = 1, .dst_handle = 2}},
		 -EOPNOTSUPP,
		 true},
		/* WAIT */
		{"WAIT on a signalled syncobj",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled), .count_handles = 1}},
		 0,
		 false},
		{"WAIT with no handles",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.count_handles = 0}},
		 0,
		 false},
		{"WAIT with unknown flag 0x10",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled),
			   .count_handles = 1,
			   .flags = 0x10}},
		 -EINVAL,
		 false},
		{"WAIT (binary) with WAIT_AVAILABLE",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled),
			   .count_handles = 1,
			   .flags = avail}},
		 -EINVAL,
		 false},
		{"WAIT with an unreadable handle array",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = bad, .count_handles = 1}},
		 -EFAULT,
		 false},
		{"WAIT with a count too large to allocate",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled),
			   .count_handles = 0xffffffffu}},
		 -ENOMEM,
		 false},
		{"WAIT on an unknown handle",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(bad_handle), .count_handles = 1}},
		 -ENOENT,
		 false},
		{"WAIT on a signalled and an unknown handle",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled_bad), .count_handles = 2}},
		 -ENOENT,
		 false},
		{"WAIT on a syncobj without fence",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(empty), .count_handles = 1}},
		 -EINVAL,
		 false},
		{"WAIT_FOR_SUBMIT polling a syncobj without fence",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(empty),
			   .count_handles = 1,
			   .flags = submit}},
		 -ETIME,
		 false},
		{"WAIT polling a pending fence",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(pending), .count_handles = 1}},
		 -ETIME,
		 false},
		{"WAIT with a timeout in the past",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(pending),
			   .count_handles = 1,
			   .timeout_nsec = past}},
		 -ETIME,
		 false},
		{"WAIT with a negative timeout",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(pending),
			   .count_handles = 1,
			   .timeout_nsec = -1}},
		 -ETIME,
		 false},
		{"WAIT for any of signalled + pending",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled_pending), .count_handles = 2}},
		 0,
		 false},
		{"WAIT_ALL of signalled + pending",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled_pending),
			   .count_handles = 2,
			   .flags = all}},
		 -ETIME,
		 false},
		{"WAIT_DEADLINE on a signalled syncobj",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled),
			   .count_handles = 1,
			   .flags = deadline,
			   .deadline_nsec = 1}},
		 0,
		 false},
		{"WAIT on vkms",
		 UDRM_IOCTL_SYNCOBJ_WAIT,
		 {.wait = {.handles = P(signaled), .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* TIMELINE_WAIT */
		{"TIMELINE_WAIT for a signalled point",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = P(p2),
			    .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_WAIT without points is a binary wait",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(signaled), .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_WAIT with no handles",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.count_handles = 0}},
		 0,
		 false},
		{"TIMELINE_WAIT with unknown flag 0x10",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = P(p2),
			    .count_handles = 1,
			    .flags = 0x10}},
		 -EINVAL,
		 false},
		{"TIMELINE_WAIT with an unreadable handle array",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = bad,
			    .points = P(p2),
			    .count_handles = 1}},
		 -EFAULT,
		 false},
		{"TIMELINE_WAIT with an unreadable point array",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = bad,
			    .count_handles = 1}},
		 -EFAULT,
		 false},
		{"TIMELINE_WAIT on an unknown handle",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(bad_handle),
			    .points = P(p1),
			    .count_handles = 1}},
		 -ENOENT,
		 false},
		{"TIMELINE_WAIT for a point not submitted",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = P(p3),
			    .count_handles = 1}},
		 -EINVAL,
		 false},
		{"TIMELINE_WAIT_FOR_SUBMIT polling a point not submitted",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = P(p3),
			    .count_handles = 1,
			    .flags = submit}},
		 -ETIME,
		 false},
		{"TIMELINE_WAIT_AVAILABLE polling a point not submitted",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(timeline),
			    .points = P(p3),
			    .count_handles = 1,
			    .flags = avail}},
		 -ETIME,
		 false},
		{"TIMELINE_WAIT_AVAILABLE for a pending point",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(pending_tl),
			    .points = P(p2),
			    .count_handles = 1,
			    .flags = avail}},
		 0,
		 false},
		{"TIMELINE_WAIT polling a pending point",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(pending_tl),
			    .points = P(p2),
			    .count_handles = 1}},
		 -ETIME,
		 false},
		{"TIMELINE_WAIT for the signalled point before a pending one",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(pending_tl),
			    .points = P(p1),
			    .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_WAIT at a point of a binary syncobj",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(signaled),
			    .points = P(p1),
			    .count_handles = 1}},
		 -EINVAL,
		 false},
		{"TIMELINE_WAIT at point 0 of a binary syncobj",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(signaled),
			    .points = P(p0),
			    .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_WAIT_ALL of pending + signalled",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(pending_signaled),
			    .count_handles = 2,
			    .flags = all}},
		 -ETIME,
		 false},
		{"TIMELINE_WAIT on vkms",
		 UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		 {.twait = {.handles = P(signaled), .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* RESET */
		{"RESET",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = P(signaled), .count_handles = 1}},
		 0,
		 false},
		{"RESET with pad",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = P(signaled),
			    .count_handles = 1,
			    .pad = 1}},
		 -EINVAL,
		 false},
		{"RESET with no handles",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = P(signaled), .count_handles = 0}},
		 -EINVAL,
		 false},
		{"RESET with an unreadable handle array",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = bad, .count_handles = 1}},
		 -EFAULT,
		 false},
		{"RESET of an unknown handle",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = P(bad_handle), .count_handles = 1}},
		 -ENOENT,
		 false},
		{"RESET on vkms",
		 DRM_IOCTL_SYNCOBJ_RESET,
		 {.array = {.handles = P(signaled), .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* SIGNAL */
		{"SIGNAL",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = P(empty), .count_handles = 1}},
		 0,
		 false},
		{"SIGNAL with pad",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = P(empty), .count_handles = 1, .pad = 1}},
		 -EINVAL,
		 false},
		{"SIGNAL with no handles",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = P(empty), .count_handles = 0}},
		 -EINVAL,
		 false},
		{"SIGNAL with an unreadable handle array",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = bad, .count_handles = 1}},
		 -EFAULT,
		 false},
		{"SIGNAL of a signalled and an unknown handle",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = P(signaled_bad), .count_handles = 2}},
		 -ENOENT,
		 false},
		{"SIGNAL on vkms",
		 DRM_IOCTL_SYNCOBJ_SIGNAL,
		 {.array = {.handles = P(empty), .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* TIMELINE_SIGNAL */
		{"TIMELINE_SIGNAL",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_SIGNAL without points",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(empty), .count_handles = 1}},
		 0,
		 false},
		{"TIMELINE_SIGNAL with flags",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1,
			     .flags = 1}},
		 -EINVAL,
		 false},
		{"TIMELINE_SIGNAL with no handles",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(timeline), .points = P(p3)}},
		 -EINVAL,
		 false},
		{"TIMELINE_SIGNAL with an unreadable handle array",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = bad,
			     .points = P(p3),
			     .count_handles = 1}},
		 -EFAULT,
		 false},
		{"TIMELINE_SIGNAL with an unreadable point array",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(timeline),
			     .points = bad,
			     .count_handles = 1}},
		 -EFAULT,
		 false},
		{"TIMELINE_SIGNAL of an unknown handle",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(bad_handle),
			     .points = P(p3),
			     .count_handles = 1}},
		 -ENOENT,
		 false},
		{"TIMELINE_SIGNAL on vkms",
		 DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* QUERY */
		{"QUERY",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1}},
		 0,
		 false},
		{"QUERY with unknown flag 0x2",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1,
			     .flags = 2}},
		 -EINVAL,
		 false},
		{"QUERY with no handles",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(timeline), .points = P(p3)}},
		 -EINVAL,
		 false},
		{"QUERY with an unreadable handle array",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = bad,
			     .points = P(p3),
			     .count_handles = 1}},
		 -EFAULT,
		 false},
		{"QUERY with an unwritable point array",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(timeline),
			     .points = bad,
			     .count_handles = 1}},
		 -EFAULT,
		 false},
		{"QUERY of an unknown handle",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(bad_handle),
			     .points = P(p3),
			     .count_handles = 1}},
		 -ENOENT,
		 false},
		{"QUERY on vkms",
		 DRM_IOCTL_SYNCOBJ_QUERY,
		 {.tarray = {.handles = P(timeline),
			     .points = P(p3),
			     .count_handles = 1}},
		 -EOPNOTSUPP,
		 true},
		/* EVENTFD */
		{"EVENTFD on a signalled syncobj",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED, .fd = FD_EVENTFD}},
		 0,
		 false},
		{"EVENTFD on a pending fence",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_PENDING, .fd = FD_EVENTFD}},
		 0,
		 false},
		{"EVENTFD on a syncobj without fence",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_EMPTY, .fd = FD_EVENTFD}},
		 0,
		 false},
		{"EVENTFD with flag WAIT_ALL",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED,
			      .fd = FD_EVENTFD,
			      .flags = all}},
		 -EINVAL,
		 false},
		{"EVENTFD with pad",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED,
			      .fd = FD_EVENTFD,
			      .pad = 1}},
		 -EINVAL,
		 false},
		{"EVENTFD of an unknown handle",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_BAD, .fd = FD_EVENTFD}},
		 -ENOENT,
		 false},
		{"EVENTFD with fd -1",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED, .fd = -1}},
		 -EBADF,
		 false},
		{"EVENTFD with a closed fd number",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED, .fd = 1000000}},
		 -EBADF,
		 false},
		{"EVENTFD with a pipe",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED, .fd = FD_PIPE}},
		 -EINVAL,
		 false},
		{"EVENTFD on vkms",
		 UDRM_IOCTL_SYNCOBJ_EVENTFD,
		 {.eventfd = {.handle = H_SIGNALED, .fd = FD_EVENTFD}},
		 -EOPNOTSUPP,
		 true},
	};
	size_t i;

	ut_guard_user_faults();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(d, &cases[i]);
}

static void every_syncobj_ioctl_is_allowed_on_render_nodes(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *render = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *card = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t h;

	/* A render file and an unauthenticated primary file may both use
	 * them: DRM_RENDER_ALLOW and no DRM_AUTH, as the kernel. */
	h = so_create(render, 0);
	ut_expect(so_signal(render, h), 0, "SIGNAL on the render node");
	h = so_create(card, 0);
	ut_expect(so_signal(card, h), 0, "SIGNAL on an unauthenticated card");
	udrm_file_close(card);
	udrm_file_close(render);
}

static void signal_reset_and_create_signaled_set_the_state(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t a = so_create(f, 0);
	uint32_t b = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);

	ut_check(a != b, "two syncobjs got the same handle %u", a);
	ut_expect(so_wait1(f, a, 0, 0), -EINVAL, "WAIT on a new syncobj");
	ut_expect(so_wait1(f, b, 0, 0), 0, "WAIT on a CREATE_SIGNALED one");
	ut_expect(so_signal(f, a), 0, "SIGNAL");
	ut_expect(so_wait1(f, a, 0, 0), 0, "WAIT after SIGNAL");
	ut_expect(so_reset(f, a), 0, "RESET");
	ut_expect(so_wait1(f, a, 0, 0), -EINVAL, "WAIT after RESET");
	ut_expect(so_wait1(f, a, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, 0),
		  -ETIME, "WAIT_FOR_SUBMIT after RESET");
	udrm_file_close(f);
}

static void destroyed_handles_are_gone_and_reused(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drm_syncobj_destroy destroy = {0};
	uint32_t a = so_create(f, 0);

	destroy.handle = a;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_DESTROY, &destroy), 0,
		  "DESTROY");
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_DESTROY, &destroy),
		  -EINVAL, "DESTROY twice");
	ut_expect(so_signal(f, a), -ENOENT, "SIGNAL of a destroyed handle");
	ut_expect(so_create(f, 0), a, "the lowest free handle is reused");
	udrm_file_close(f);
}

static void handles_are_per_file(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f1 = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *f2 = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t a = so_create(f1, DRM_SYNCOBJ_CREATE_SIGNALED);

	ut_expect(so_wait1(f2, a, 0, 0), -ENOENT,
		  "WAIT in another file on handle %u", a);
	udrm_file_close(f2);
	udrm_file_close(f1);
}

static void wait_reports_the_first_signaled_index(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t pending = so_create(f, 0);
	uint32_t s1 = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t s2 = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t handles[3] = {pending, s1, s2}, first;

	so_attach(f, pending, &m->base, 0);
	ut_expect(so_wait(f, handles, 3, 0, 0, &first), 0, "WAIT for any");
	ut_expect(first, 1,
		  "first_signaled of {pending, signalled, signalled}");
	ut_expect(so_wait(f, handles + 1, 2, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, 0,
			  &first),
		  0, "WAIT_ALL of two signalled");
	ut_expect(first, 0, "first_signaled of a WAIT_ALL");
	ut_expect(so_wait(f, handles, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, 0,
			  &first),
		  -ETIME, "WAIT_ALL with one pending");
	ut_expect(first, 0xdead, "first_signaled must not change on -ETIME");
	udrm_fence_signal(&m->base);
	ut_expect(so_wait(f, handles, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL, 0,
			  &first),
		  0, "WAIT_ALL once the fence signalled");
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void wait_times_out_at_the_absolute_deadline(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	uint64_t start, elapsed_ms;

	so_attach(f, h, &m->base, 0);
	start = udrm_fence_now_ns();
	ut_expect(so_wait1(f, h, 0, so_in_ms(100)), -ETIME,
		  "WAIT with a 100 ms timeout");
	elapsed_ms = (udrm_fence_now_ns() - start) / 1000000;
	ut_check(elapsed_ms >= 99 && elapsed_ms < 2000,
		 "a 100 ms wait took %llu ms", (unsigned long long)elapsed_ms);
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void wait_deadline_reaches_the_fence(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	struct udrm_drm_syncobj_wait req = {
		.handles = udrm_user_ptr(&h),
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_DEADLINE,
		.deadline_nsec = 123456789,
	};

	so_attach(f, h, &m->base, 0);
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_WAIT, &req), -ETIME,
		  "WAIT_DEADLINE polling a pending fence");
	ut_expect(m->deadline, 123456789, "the deadline the fence was given");
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void old_wait_struct_without_deadline_still_works(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);
	/* libdrm 2.4.114's struct, 32 bytes, as older programs send it. */
	struct drm_syncobj_wait old = {
		.handles = udrm_user_ptr(&h),
		.count_handles = 1,
		.first_signaled = 7,
	};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_WAIT, &old), 0,
		  "WAIT with the pre-deadline struct");
	ut_expect(old.first_signaled, 0, "first_signaled");
	udrm_file_close(f);
}

static void timeline_points_query_and_wait(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	const uint32_t last = DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED;

	ut_expect(so_query(f, h, 0), 0, "QUERY of a new syncobj");
	ut_expect(so_timeline_signal(f, h, 1), 0, "signal point 1");
	ut_expect(so_timeline_signal(f, h, 3), 0, "signal point 3");
	ut_expect(so_query(f, h, 0), 3, "QUERY after points 1 and 3");
	ut_expect(so_query(f, h, last), 3, "QUERY LAST_SUBMITTED");
	so_attach(f, h, &m->base, 5);
	ut_expect(so_query(f, h, 0), 3, "QUERY with point 5 pending");
	ut_expect(so_query(f, h, last), 5, "LAST_SUBMITTED with point 5");
	ut_expect(so_timeline_wait1(f, h, 2, 0, 0), 0,
		  "wait for point 2 (between 1 and 3)");
	ut_expect(so_timeline_wait1(f, h, 4, 0, 0), -ETIME,
		  "wait for point 4 (before the pending 5)");
	ut_expect(so_timeline_wait1(f, h, 5, 0, 0), -ETIME,
		  "wait for pending point 5");
	ut_expect(so_timeline_wait1(f, h, 6, 0, 0), -EINVAL,
		  "wait for point 6, not submitted");
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	ut_expect(so_timeline_wait1(f, h, 5, 0, so_in_ms(5000)), 0,
		  "wait for point 5 once signalled");
	ut_expect(so_query(f, h, 0), 5, "QUERY after point 5 signalled");
	ut_expect(so_query(f, h, last), 5, "LAST_SUBMITTED");
	udrm_file_close(f);
}

static void query_of_a_binary_syncobj_is_zero(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);

	ut_expect(so_query(f, h, 0), 0, "QUERY of a signalled binary");
	ut_expect(so_query(f, h, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 0,
		  "LAST_SUBMITTED of a binary");
	udrm_file_close(f);
}

static void transfer_moves_fences_between_binary_and_timeline(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t bin = so_create(f, 0), tl = so_create(f, 0);
	uint32_t out = so_create(f, 0);
	struct drm_syncobj_transfer t = {
		.src_handle = bin, .dst_handle = tl, .dst_point = 7};

	so_attach(f, bin, &m->base, 0);
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_TRANSFER, &t), 0,
		  "TRANSFER binary -> point 7");
	ut_expect(so_query(f, tl, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 7,
		  "LAST_SUBMITTED after the transfer");
	ut_expect(so_timeline_wait1(f, tl, 7, 0, 0), -ETIME,
		  "point 7 carries the pending fence");
	t = (struct drm_syncobj_transfer){
		.src_handle = tl, .src_point = 7, .dst_handle = out};
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_SYNCOBJ_TRANSFER, &t), 0,
		  "TRANSFER point 7 -> binary");
	ut_expect(so_wait1(f, out, 0, 0), -ETIME, "the binary copy is pending");
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	ut_expect(so_wait1(f, out, 0, so_in_ms(5000)), 0,
		  "the binary copy signals with the fence");
	ut_expect(so_timeline_wait1(f, tl, 7, 0, so_in_ms(5000)), 0,
		  "point 7 signals with the fence");
	ut_expect(so_query(f, tl, 0), 7, "QUERY after the fence signalled");
	udrm_file_close(f);
}

static long to_fd(struct udrm_file *f, uint32_t h, int *fd)
{
	struct udrm_drm_syncobj_handle req = {.handle = h, .fd = -1};
	long ret = udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &req);

	*fd = req.fd;
	return ret;
}

static long to_handle(struct udrm_file *f, int fd, uint32_t *h)
{
	struct udrm_drm_syncobj_handle req = {.fd = fd};
	long ret = udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req);

	*h = req.handle;
	return ret;
}

static void opaque_fd_shares_the_syncobj_across_files_and_devices(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_device *vgem2 = ut_device("vgem", 2, 129, 0);
	struct udrm_file *a = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *b = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *c = ut_open(vgem2, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(a, 0), hb, hc, hb2;
	int fd;

	ut_expect(to_fd(a, h, &fd), 0, "HANDLE_TO_FD");
	ut_check(fd >= 0, "HANDLE_TO_FD gave fd %d", fd);
	ut_check(fcntl(fd, F_GETFD) & FD_CLOEXEC,
		 "a syncobj fd must be close-on-exec, as the kernel's");
	ut_expect(to_handle(b, fd, &hb), 0, "FD_TO_HANDLE in another file");
	ut_expect(to_handle(c, fd, &hc), 0, "FD_TO_HANDLE on another device");
	ut_expect(to_handle(b, fd, &hb2), 0, "FD_TO_HANDLE twice");
	ut_check(hb2 != hb,
		 "unlike PRIME, each import is a new handle "
		 "(got %u twice)",
		 hb);
	ut_expect(so_signal(c, hc), 0, "SIGNAL through the other device");
	ut_expect(so_wait1(a, h, 0, 0), 0, "WAIT through the exporter");
	ut_expect(so_reset(b, hb), 0, "RESET through the importer");
	ut_expect(so_wait1(a, h, 0, 0), -EINVAL, "WAIT after the RESET");

	/* The fd keeps the syncobj alive once every handle is gone. */
	udrm_file_close(a);
	udrm_file_close(b);
	udrm_file_close(c);
	b = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	ut_expect(to_handle(b, fd, &hb), 0, "FD_TO_HANDLE with no handle left");
	ut_expect(so_signal(b, hb), 0, "SIGNAL of the re-imported syncobj");
	close(fd);
	ut_expect(to_handle(b, fd, &hb), -EINVAL,
		  "FD_TO_HANDLE of a closed fd");
	udrm_file_close(b);
	udrm_device_destroy(vgem2);
}

static void dup_of_the_opaque_fd_keeps_it_importable(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED), h2;
	int fd, copy;

	ut_expect(to_fd(f, h, &fd), 0, "HANDLE_TO_FD");
	copy = dup(fd);
	close(fd);
	ut_expect(to_handle(f, copy, &h2), 0, "FD_TO_HANDLE of a dup");
	ut_expect(so_wait1(f, h2, 0, 0), 0, "the import is the same syncobj");
	close(copy);
	udrm_file_close(f);
}

static uint64_t eventfd_count(int fd)
{
	uint64_t value = 0;

	if (read(fd, &value, sizeof(value)) != sizeof(value))
		return 0;
	return value;
}

static long add_eventfd(struct udrm_file *f, uint32_t h, uint64_t point,
			uint32_t flags, int fd)
{
	struct udrm_drm_syncobj_eventfd req = {
		.handle = h, .point = point, .flags = flags, .fd = fd};

	return udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_EVENTFD, &req);
}

static void eventfd_fires_when_the_point_signals_or_appears(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t bin = so_create(f, 0), tl = so_create(f, 0);
	int signalled = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int available = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int binary = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ut_expect(add_eventfd(f, bin, 0, 0, binary), 0, "EVENTFD (binary)");
	ut_expect(add_eventfd(f, tl, 4, 0, signalled), 0, "EVENTFD point 4");
	ut_expect(add_eventfd(f, tl, 4, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE,
			      available),
		  0, "EVENTFD point 4 WAIT_AVAILABLE");
	ut_expect(eventfd_count(binary) + eventfd_count(signalled) +
			  eventfd_count(available),
		  0, "nothing fires before any fence");

	ut_expect(so_signal(f, bin), 0, "SIGNAL the binary syncobj");
	ut_expect(eventfd_count(binary), 1, "binary eventfd after SIGNAL");

	so_attach(f, tl, &m->base, 4);
	ut_expect(eventfd_count(available), 1,
		  "WAIT_AVAILABLE eventfd once point 4 is submitted");
	ut_expect(eventfd_count(signalled), 0,
		  "the other one waits for the fence");
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	/* Chain nodes signal from the fence worker: poll for it. */
	{
		struct pollfd p = {.fd = signalled, .events = POLLIN};

		ut_expect(poll(&p, 1, 5000), 1, "eventfd readable in 5 s");
	}
	ut_expect(eventfd_count(signalled), 1, "eventfd once point 4 signals");

	ut_expect(add_eventfd(f, tl, 2, 0, signalled), 0,
		  "EVENTFD for a point already signalled");
	ut_expect(eventfd_count(signalled), 1, "fires at once");
	close(binary);
	close(signalled);
	close(available);
	udrm_file_close(f);
}

static void eventfd_waiting_for_a_point_is_freed_with_the_syncobj(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, 0);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ut_expect(add_eventfd(f, h, 9, 0, efd), 0, "EVENTFD for point 9");
	/* Closing our fd must not matter: the entry holds its own. */
	close(efd);
	udrm_file_close(f); /* the leak checker sees the entry go */
}

/* A fake sync_file module: "exports" a fence by remembering it. */
static struct udrm_fence *fake_exported;
static int fake_import_fd = -1;
static struct udrm_fence *fake_import_fence;

static int fake_export(struct udrm_fence *fence, int *fd)
{
	fake_exported = udrm_fence_get(fence);
	*fd = dup(0);
	return 0;
}

static struct udrm_fence *fake_import(int fd)
{
	return fd == fake_import_fd ? udrm_fence_get(fake_import_fence) : NULL;
}

static const struct udrm_syncobj_sync_file_ops fake_sync_file_ops = {
	.export_fence = fake_export,
	.import_fence = fake_import,
};

static void sync_file_flags_go_through_the_sync_file_hooks(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, DRM_SYNCOBJ_CREATE_SIGNALED);
	uint32_t tl = so_create(f, 0);
	struct udrm_drm_syncobj_handle req = {
		.handle = h,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE};

	udrm_syncobj_set_sync_file_ops(NULL);
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &req),
		  -EINVAL, "EXPORT_SYNC_FILE without a sync_file module");

	udrm_syncobj_set_sync_file_ops(&fake_sync_file_ops);
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &req), 0,
		  "EXPORT_SYNC_FILE");
	ut_check(fake_exported && udrm_fence_is_signaled(fake_exported),
		 "the exported fence must be the signalled one");
	close(req.fd);
	udrm_fence_put(fake_exported);

	fake_import_fd = 0;
	fake_import_fence = &m->base;
	req = (struct udrm_drm_syncobj_handle){
		.handle = tl,
		.fd = 0,
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE |
			 DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_TIMELINE,
		.point = 3};
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req), 0,
		  "IMPORT_SYNC_FILE at point 3");
	ut_expect(so_query(f, tl, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED), 3,
		  "the import added point 3");
	req.handle = H_BAD;
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req),
		  -ENOENT, "IMPORT_SYNC_FILE into an unknown handle");
	req = (struct udrm_drm_syncobj_handle){
		.handle = h,
		.fd = 0,
		.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE};
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req), 0,
		  "IMPORT_SYNC_FILE into a binary syncobj");
	ut_expect(so_wait1(f, h, 0, 0), -ETIME,
		  "the binary syncobj now has the pending fence");
	udrm_syncobj_set_sync_file_ops(NULL);
	udrm_fence_signal(&m->base);
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ut_setup_default,                  \
					ut_teardown_devices)
		T(every_ioctl_checks_its_arguments_as_the_kernel),
		T(every_syncobj_ioctl_is_allowed_on_render_nodes),
		T(signal_reset_and_create_signaled_set_the_state),
		T(destroyed_handles_are_gone_and_reused),
		T(handles_are_per_file),
		T(wait_reports_the_first_signaled_index),
		T(wait_times_out_at_the_absolute_deadline),
		T(wait_deadline_reaches_the_fence),
		T(old_wait_struct_without_deadline_still_works),
		T(timeline_points_query_and_wait),
		T(query_of_a_binary_syncobj_is_zero),
		T(transfer_moves_fences_between_binary_and_timeline),
		T(opaque_fd_shares_the_syncobj_across_files_and_devices),
		T(dup_of_the_opaque_fd_keeps_it_importable),
		T(eventfd_fires_when_the_point_signals_or_appears),
		T(eventfd_waiting_for_a_point_is_freed_with_the_syncobj),
		T(sync_file_flags_go_through_the_sync_file_hooks),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
