// SPDX-License-Identifier: MIT
/*
 * A signal interrupts a blocking DRM wait as in the kernel (raw ioctl():
 * libdrm's drmIoctl() would retry on EINTR):
 *
 * - SYNCOBJ_WAIT (WAIT_FOR_SUBMIT, no timeout) on an unsignalled syncobj,
 *   with a handler installed without SA_RESTART: the ioctl fails with
 *   EINTR soon after the signal (a watchdog signals the syncobj at 3 s, so
 *   a wait that is not interrupted ends and is reported);
 * - WAIT_VBLANK for a vblank 5 s away: fails with EINTR, with or without
 *   SA_RESTART (drm_wait_vblank_ioctl() turns -ERESTARTSYS into -EINTR,
 *   which is never restarted), having rewritten the relative request as
 *   the absolute sequence it waited for, so that a retry (libdrm's
 *   drmWaitVBlank) waits for the same vblank.
 *
 * Server mode only: in-process, udrm's waits are never interrupted (the
 * handler runs and the call goes on, as with SA_RESTART; core/uaccess.h).
 */
#include "mp.h"

#define SIGNAL_AFTER_MS 100
#define WATCHDOG_MS	3000

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void install(bool restart)
{
	struct sigaction sa = {.sa_handler = on_signal,
			       .sa_flags = restart ? SA_RESTART : 0};

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction: %s",
	      strerror(errno));
}

struct interrupter {
	pthread_t target;
	int fd;
	uint32_t syncobj; /* 0: no watchdog */
	int done[2];	  /* written when the wait returned */
};

/* Sends SIGUSR1 to the waiting thread, then, as a watchdog, signals the
 * syncobj it waits on unless the wait returned. */
static void *interrupter_main(void *arg)
{
	struct interrupter *it = arg;

	mp_sleep_ms(SIGNAL_AFTER_MS);
	pthread_kill(it->target, SIGUSR1);
	if (it->syncobj &&
	    !mp_readable(it->done[0], WATCHDOG_MS - SIGNAL_AFTER_MS))
		mp_syncobj_signal(it->fd, it->syncobj);
	return NULL;
}

static void syncobj_wait_is_interrupted(void)
{
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct interrupter it = {.target = pthread_self(), .fd = render};
	pthread_t thread;
	int64_t t0, took;
	int ret, err;

	it.syncobj = mp_syncobj_create(render);
	CHECK(pipe(it.done) == 0, "pipe: %s", strerror(errno));
	install(false);
	handled = 0;
	CHECK(!pthread_create(&thread, NULL, interrupter_main, &it),
	      "pthread_create");
	t0 = mp_now_ns();
	ret = mp_syncobj_wait_raw(render, it.syncobj, INT64_MAX);
	err = errno;
	took = mp_now_ns() - t0;
	CHECK(write(it.done[1], "", 1) == 1, "write: %s", strerror(errno));
	pthread_join(thread, NULL);
	CHECK(ret == -1 && err == EINTR,
	      "SYNCOBJ_WAIT interrupted by a handler without SA_RESTART: "
	      "expected EINTR, got %d (%s) after %lld ms%s",
	      ret, ret ? strerror(err) : "success", (long long)(took / 1000000),
	      ret == 0 ? ", when the watchdog signalled the syncobj" : "");
	CHECK(handled == 1, "the handler ran %d times, expected 1",
	      (int)handled);
	CHECK(took >= (SIGNAL_AFTER_MS - 10) * 1000000LL &&
		      took < 2000 * 1000000LL,
	      "SYNCOBJ_WAIT ended %lld ms after it began, the signal came at "
	      "%d ms",
	      (long long)(took / 1000000), SIGNAL_AFTER_MS);
	/* The file works on after the interrupted call. */
	mp_syncobj_signal(render, it.syncobj);
	CHECK_ERRNO(mp_syncobj_wait_raw(render, it.syncobj, 0), 0,
		    "SYNCOBJ_WAIT after the interrupted one");
	close(it.done[0]);
	close(it.done[1]);
	close(render);
}

/* On @fd's lit CRTC. */
static void vblank_wait_is_interrupted(int fd, bool restart)
{
	struct interrupter it = {.target = pthread_self()};
	const char *how = restart ? "with" : "without";
	union drm_wait_vblank vbl = {0}, now = {0};
	pthread_t thread;
	int64_t t0, took;
	int ret, err;

	now.request.type = _DRM_VBLANK_RELATIVE;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_WAIT_VBLANK, &now), 0,
		    "WAIT_VBLANK query of the current sequence");

	install(restart);
	handled = 0;
	CHECK(!pthread_create(&thread, NULL, interrupter_main, &it),
	      "pthread_create");
	vbl.request.type = _DRM_VBLANK_RELATIVE;
	vbl.request.sequence = 300; /* 5 s at 60 Hz */
	t0 = mp_now_ns();
	ret = ioctl(fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
	err = errno;
	took = mp_now_ns() - t0;
	pthread_join(thread, NULL);
	CHECK(ret == -1 && err == EINTR,
	      "WAIT_VBLANK interrupted by a handler %s SA_RESTART: expected "
	      "EINTR, got %d (%s) after %lld ms",
	      how, ret, ret ? strerror(err) : "success",
	      (long long)(took / 1000000));
	CHECK(handled == 1,
	      "the handler (%s SA_RESTART) ran %d times, "
	      "expected 1",
	      how, (int)handled);
	CHECK(took < 2000 * 1000000LL,
	      "WAIT_VBLANK (handler %s SA_RESTART) ended %lld ms after it "
	      "began, the signal came at %d ms",
	      how, (long long)(took / 1000000), SIGNAL_AFTER_MS);
	/* drm_wait_vblank_ioctl() writes the reply over the request only
	 * when it was not interrupted. */
	CHECK(!(vbl.request.type & _DRM_VBLANK_RELATIVE) &&
		      vbl.request.sequence >= now.reply.sequence + 300,
	      "after EINTR (handler %s SA_RESTART) the request must be left "
	      "as the absolute sequence waited for (>= %u) for a retry, got "
	      "type 0x%x sequence %u (the reply overwrote it?)",
	      how, now.reply.sequence + 300, vbl.request.type,
	      vbl.request.sequence);
}

int main(int argc, char **argv)
{
	int fd;
	struct mp_display disp;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	disp = mp_display_find(fd);
	mp_display_add_fb(fd, &disp, 120);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0, "SETCRTC");

	syncobj_wait_is_interrupted();
	vblank_wait_is_interrupted(fd, false);
	vblank_wait_is_interrupted(fd, true);
	close(fd);
	return 0;
}
