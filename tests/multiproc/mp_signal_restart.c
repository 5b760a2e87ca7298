// SPDX-License-Identifier: MIT
/*
 * A blocking SYNCOBJ_WAIT (WAIT_FOR_SUBMIT, raw ioctl()) interrupted by a
 * signal whose handler has SA_RESTART goes on, as the kernel restarts it
 * (the deadline is absolute): it ends when another process signals the
 * syncobj, not at the signal; and a wait with a deadline still times out
 * at its deadline (ETIME), not before.
 */
#include "mp.h"

#define SIGNAL_AFTER_MS	 50
#define PEER_SIGNALS_MS	 300
#define WAIT_DEADLINE_MS 300

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled++;
}

static void *interrupter_main(void *arg)
{
	mp_sleep_ms(SIGNAL_AFTER_MS);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

static void interrupt_me_soon(pthread_t *thread, pthread_t *self)
{
	*self = pthread_self();
	CHECK(!pthread_create(thread, NULL, interrupter_main, self),
	      "pthread_create");
}

static void signaller_main(void *arg, int sock)
{
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	struct drm_syncobj_handle imp = {0};

	(void)arg;
	imp.fd = mp_recv_fd(sock, NULL);
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &imp), 0,
		    "signaller: FD_TO_HANDLE");
	close(imp.fd);
	mp_recv_u64(sock); /* the other is about to wait */
	mp_sleep_ms(PEER_SIGNALS_MS);
	mp_syncobj_signal(render, imp.handle);
	close(render);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	int render, ret, err;
	struct drm_syncobj_handle exp = {.fd = -1};
	struct mp_peer signaller;
	pthread_t thread, self;
	int64_t t0, took;

	mp_init(argc, argv, NULL);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	render = itest_open("/dev/dri/renderD128", O_RDWR);
	exp.handle = mp_syncobj_create(render);
	CHECK_ERRNO(drmIoctl(render, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &exp), 0,
		    "SYNCOBJ_HANDLE_TO_FD");
	mp_peer_start(&signaller, "the signalling process", signaller_main,
		      NULL);
	mp_send_fd(signaller.sock, exp.fd, 0);
	close(exp.fd);

	/* Ended by the other process's signal, not by ours. */
	mp_send_u64(signaller.sock, 0);
	interrupt_me_soon(&thread, &self);
	t0 = mp_now_ns();
	ret = mp_syncobj_wait_raw(render, exp.handle,
				  mp_now_ns() + 10000000000);
	err = errno;
	took = mp_now_ns() - t0;
	pthread_join(thread, NULL);
	CHECK(ret == 0,
	      "SYNCOBJ_WAIT with an SA_RESTART handler: expected it to go on "
	      "until the other process signals, got -1 (%s) after %lld ms",
	      strerror(err), (long long)(took / 1000000));
	CHECK(handled == 1, "the handler ran %d times, expected 1",
	      (int)handled);
	CHECK(took >= (PEER_SIGNALS_MS - 50) * 1000000LL,
	      "SYNCOBJ_WAIT ended after %lld ms, before the other process "
	      "signalled at %d ms",
	      (long long)(took / 1000000), PEER_SIGNALS_MS);
	mp_peer_join(&signaller);

	/* A restarted wait keeps its deadline. */
	exp.handle = mp_syncobj_create(render);
	interrupt_me_soon(&thread, &self);
	t0 = mp_now_ns();
	ret = mp_syncobj_wait_raw(render, exp.handle,
				  t0 + WAIT_DEADLINE_MS * 1000000LL);
	err = errno;
	took = mp_now_ns() - t0;
	pthread_join(thread, NULL);
	CHECK(ret == -1 && err == ETIME,
	      "SYNCOBJ_WAIT with a %d ms deadline and an SA_RESTART handler: "
	      "expected ETIME, got %d (%s) after %lld ms",
	      WAIT_DEADLINE_MS, ret, ret ? strerror(err) : "success",
	      (long long)(took / 1000000));
	CHECK(handled == 2, "the handler ran %d times, expected 2",
	      (int)handled);
	CHECK(took >= (WAIT_DEADLINE_MS - 5) * 1000000LL,
	      "SYNCOBJ_WAIT timed out after %lld ms, before its %d ms deadline",
	      (long long)(took / 1000000), WAIT_DEADLINE_MS);
	close(render);
	return 0;
}
