// SPDX-License-Identifier: MIT
/*
 * Threads of one process in blocking ioctls at once, on one fd: two
 * threads wait on two syncobjs (SYNCOBJ_WAIT, WAIT_FOR_SUBMIT, no
 * timeout) while a third does GET_CAP in a loop, unhindered; signalling
 * one syncobj wakes only its waiter, the other stays blocked until its
 * own is signalled.
 */
#include "mp.h"

#include <stdatomic.h>

#define GET_CAPS 200

struct waiter {
	int fd;
	uint32_t handle;
	pthread_t thread;
	atomic_int state; /* 0 waiting, 1 returned 0, -1 failed */
	int err;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	int ret = mp_syncobj_wait_raw(w->fd, w->handle, INT64_MAX);

	w->err = ret ? errno : 0;
	atomic_store(&w->state, ret ? -1 : 1);
	return NULL;
}

struct capper {
	int fd;
	pthread_t thread;
	atomic_int done;
	int failures;
};

static void *capper_main(void *arg)
{
	struct capper *c = arg;
	uint64_t value;
	int i;

	for (i = 0; i < GET_CAPS; i++) {
		value = 0;
		if (drmGetCap(c->fd, DRM_CAP_SYNCOBJ, &value) || value != 1)
			c->failures++;
		atomic_store(&c->done, i + 1);
	}
	return NULL;
}

/* Waits up to @ms for @w to return. */
static bool returned(struct waiter *w, int ms)
{
	for (; ms > 0 && !atomic_load(&w->state); ms -= 5)
		mp_sleep_ms(5);
	return atomic_load(&w->state) != 0;
}

int main(int argc, char **argv)
{
	int fd, i;
	struct waiter w[2];
	struct capper c = {0};

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/renderD128", O_RDWR);
	for (i = 0; i < 2; i++) {
		w[i] = (struct waiter){.fd = fd,
				       .handle = mp_syncobj_create(fd)};
		CHECK(!pthread_create(&w[i].thread, NULL, waiter_main, &w[i]),
		      "pthread_create");
	}
	mp_sleep_ms(50);
	CHECK(!atomic_load(&w[0].state) && !atomic_load(&w[1].state),
	      "a waiter returned before any signal (states %d, %d)",
	      atomic_load(&w[0].state), atomic_load(&w[1].state));

	c.fd = fd;
	CHECK(!pthread_create(&c.thread, NULL, capper_main, &c),
	      "pthread_create");
	for (i = 0; i < 500 && atomic_load(&c.done) < GET_CAPS; i++)
		mp_sleep_ms(10);
	CHECK(atomic_load(&c.done) == GET_CAPS,
	      "GET_CAP in a loop beside two blocked SYNCOBJ_WAITs: %d of %d "
	      "calls in 5 s",
	      atomic_load(&c.done), GET_CAPS);
	pthread_join(c.thread, NULL);
	CHECK(c.failures == 0, "%d of %d GET_CAP(SYNCOBJ) calls failed",
	      c.failures, GET_CAPS);

	mp_syncobj_signal(fd, w[1].handle);
	CHECK(returned(&w[1], 5000),
	      "the second waiter did not return within 5 s of its signal");
	CHECK(atomic_load(&w[1].state) == 1, "the second waiter's wait: %s",
	      strerror(w[1].err));
	CHECK(!returned(&w[0], 100),
	      "the first waiter returned (%s) when only the second syncobj "
	      "was signalled",
	      atomic_load(&w[0].state) == 1 ? "success" : strerror(w[0].err));
	mp_syncobj_signal(fd, w[0].handle);
	CHECK(returned(&w[0], 5000),
	      "the first waiter did not return within 5 s of its signal");
	CHECK(atomic_load(&w[0].state) == 1, "the first waiter's wait: %s",
	      strerror(w[0].err));
	for (i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	close(fd);
	return 0;
}
