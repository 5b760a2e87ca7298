/* SPDX-License-Identifier: MIT */
/*
 * udrm_waker: one thread sleeps, others (fence callbacks, signallers) wake
 * it. A flag under a mutex and a condition variable on CLOCK_MONOTONIC, so
 * that a wake-up that comes before the sleep is not lost.
 *
 * udrm_waker_wake() takes only the waker's own lock and never blocks for
 * long: fence callbacks (which run under their fence's lock) may call it.
 */
#ifndef UDRM_SYNC_WAKER_H
#define UDRM_SYNC_WAKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct udrm_waker {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	bool woken;	     /* (lock) */
};

void udrm_waker_init(struct udrm_waker *w);
void udrm_waker_fini(struct udrm_waker *w);
/* Sets the flag and wakes the sleeper. */
void udrm_waker_wake(struct udrm_waker *w);
/* Clears the flag: called before re-checking the conditions slept on. */
void udrm_waker_arm(struct udrm_waker *w);
/* Sleeps until woken (returns true at once if already woken) or until
 * CLOCK_MONOTONIC reaches @deadline_ns (UINT64_MAX: never). True if woken. */
bool udrm_waker_sleep(struct udrm_waker *w, uint64_t deadline_ns);

#endif
