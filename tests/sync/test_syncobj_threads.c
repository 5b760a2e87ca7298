// SPDX-License-Identifier: MIT
/*
 * Syncobj waits across threads: a blocked WAIT woken by a fence signalled
 * elsewhere, WAIT_FOR_SUBMIT and WAIT_AVAILABLE woken by a later SIGNAL,
 * and many waiters on one syncobj.
 */
#include "syncobj_test.h"

#include <pthread.h>

struct waiter {
	pthread_t thread;
	struct udrm_file *file;
	uint32_t handle;
	uint64_t point; /* timeline wait if not 0 */
	uint32_t flags;
	int64_t timeout;
	atomic_bool started;
	long ret;
	uint64_t woke_ns;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->started, true);
	if (w->point)
		w->ret = so_timeline_wait1(w->file, w->handle, w->point,
					   w->flags, w->timeout);
	else
		w->ret = so_wait1(w->file, w->handle, w->flags, w->timeout);
	w->woke_ns = udrm_fence_now_ns();
	return NULL;
}

static void waiter_start(struct waiter *w, struct udrm_file *f, uint32_t h,
			 uint64_t point, uint32_t flags)
{
	w->file = f;
	w->handle = h;
	w->point = point;
	w->flags = flags;
	w->timeout = so_in_ms(10000);
	atomic_init(&w->started, false);
	w->ret = 1;
	ut_check(pthread_create(&w->thread, NULL, waiter_main, w) == 0,
		 "pthread_create");
	while (!atomic_load(&w->started))
		usleep(1000);
	/* Give it time to block in the wait. */
	usleep(50000);
}

static void waiter_join(struct waiter *w, long expected, uint64_t after_ns,
			const char *what)
{
	pthread_join(w->thread, NULL);
	ut_expect(w->ret, expected, "%s", what);
	ut_check(w->woke_ns >= after_ns,
		 "%s: the waiter returned before it was woken", what);
	ut_check(w->woke_ns - after_ns < 5000000000ull,
		 "%s: the waiter took %llu ms to wake", what,
		 (unsigned long long)((w->woke_ns - after_ns) / 1000000));
}

static void wait_is_woken_by_a_fence_signalled_in_another_thread(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	struct waiter w;
	uint64_t at;

	so_attach(f, h, &m->base, 0);
	waiter_start(&w, f, h, 0, 0);
	ut_expect(w.ret, 1, "the waiter returned before the signal");
	at = udrm_fence_now_ns();
	udrm_fence_signal(&m->base);
	waiter_join(&w, 0, at, "WAIT woken by the fence");
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void wait_for_submit_is_woken_by_a_later_signal(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *g = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, 0);
	struct waiter w;
	uint64_t at;
	int fd;
	uint32_t hg;
	struct udrm_drm_syncobj_handle req = {.handle = h};

	/* Signalled from another file sharing the syncobj. */
	ut_expect(udrm_file_ioctl(f, UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &req), 0,
		  "HANDLE_TO_FD");
	fd = req.fd;
	req = (struct udrm_drm_syncobj_handle){.fd = fd};
	ut_expect(udrm_file_ioctl(g, UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &req), 0,
		  "FD_TO_HANDLE");
	hg = req.handle;
	close(fd);

	waiter_start(&w, f, h, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	ut_expect(w.ret, 1, "WAIT_FOR_SUBMIT returned before any fence");
	at = udrm_fence_now_ns();
	ut_expect(so_signal(g, hg), 0, "SIGNAL from the other file");
	waiter_join(&w, 0, at, "WAIT_FOR_SUBMIT woken by SIGNAL");
	udrm_file_close(g);
	udrm_file_close(f);
}

static void wait_for_submit_then_waits_for_the_fence(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	struct waiter w;
	uint64_t at;

	waiter_start(&w, f, h, 0, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	so_attach(f, h, &m->base, 0);
	usleep(50000);
	ut_expect(w.ret, 1, "the waiter must wait for the submitted fence");
	at = udrm_fence_now_ns();
	udrm_fence_signal(&m->base);
	waiter_join(&w, 0, at, "WAIT_FOR_SUBMIT woken by the fence");
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void wait_available_is_woken_by_a_timeline_signal(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	struct waiter avail, signalled;
	uint64_t at;

	waiter_start(&avail, f, h, 3, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_AVAILABLE);
	waiter_start(&signalled, f, h, 3,
		     DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	at = udrm_fence_now_ns();
	so_attach(f, h, &m->base, 3);
	waiter_join(&avail, 0, at, "WAIT_AVAILABLE woken by point 3");
	usleep(50000);
	ut_expect(signalled.ret, 1,
		  "WAIT_FOR_SUBMIT must still wait for point 3 to signal");
	at = udrm_fence_now_ns();
	udrm_fence_signal(&m->base);
	waiter_join(&signalled, 0, at, "WAIT_FOR_SUBMIT woken by the fence");
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

static void blocked_wait_times_out_with_etime(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, 0);
	uint64_t start = udrm_fence_now_ns();

	ut_expect(so_wait1(f, h, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			   so_in_ms(80)),
		  -ETIME, "WAIT_FOR_SUBMIT with nothing submitted, 80 ms");
	ut_check(udrm_fence_now_ns() - start >= 79000000ull,
		 "the wait gave up early");
	udrm_file_close(f);
}

#define MANY 8

static void many_waiters_wake_on_one_signal(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct so_mock_fence *m = so_mock_fence();
	uint32_t h = so_create(f, 0);
	struct waiter w[MANY];
	uint64_t at;
	int i;

	so_attach(f, h, &m->base, 0);
	for (i = 0; i < MANY; i++)
		waiter_start(&w[i], f, h, 0,
			     i & 1 ? 0
				   : DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT);
	at = udrm_fence_now_ns();
	udrm_fence_signal(&m->base);
	for (i = 0; i < MANY; i++)
		waiter_join(&w[i], 0, at, "one of many waiters");
	udrm_fence_put(&m->base);
	udrm_file_close(f);
}

struct signaller {
	struct udrm_file *file;
	uint32_t handle;
	int rounds;
};

static void *signal_reset_loop(void *arg)
{
	struct signaller *s = arg;
	int i;

	for (i = 0; i < s->rounds; i++) {
		so_signal(s->file, s->handle);
		so_reset(s->file, s->handle);
	}
	so_signal(s->file, s->handle);
	return NULL;
}

static void racing_signal_reset_and_waits_stay_consistent(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	uint32_t h = so_create(f, 0);
	struct signaller s = {.file = f, .handle = h, .rounds = 2000};
	pthread_t t;
	int i;
	long ret;

	ut_check(pthread_create(&t, NULL, signal_reset_loop, &s) == 0,
		 "pthread_create");
	for (i = 0; i < 2000; i++) {
		ret = so_wait1(f, h, DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
			       so_in_ms(5000));
		ut_expect(ret, 0, "WAIT_FOR_SUBMIT racing SIGNAL/RESET (%d)",
			  i);
	}
	pthread_join(t, NULL);
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, ut_setup_default,                  \
					ut_teardown_devices)
		T(wait_is_woken_by_a_fence_signalled_in_another_thread),
		T(wait_for_submit_is_woken_by_a_later_signal),
		T(wait_for_submit_then_waits_for_the_fence),
		T(wait_available_is_woken_by_a_timeline_signal),
		T(blocked_wait_times_out_with_etime),
		T(many_waiters_wake_on_one_signal),
		T(racing_signal_reset_and_waits_stay_consistent),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
