// SPDX-License-Identifier: MIT
#include "waker.h"

#include <errno.h>
#include <time.h>

void udrm_waker_init(struct udrm_waker *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->woken = false;
}

void udrm_waker_fini(struct udrm_waker *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

void udrm_waker_wake(struct udrm_waker *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void udrm_waker_arm(struct udrm_waker *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = false;
	pthread_mutex_unlock(&w->lock);
}

bool udrm_waker_sleep(struct udrm_waker *w, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};
	bool woken;

	pthread_mutex_lock(&w->lock);
	while (!w->woken) {
		if (deadline_ns == UINT64_MAX)
			pthread_cond_wait(&w->cond, &w->lock);
		else if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
			 ETIMEDOUT)
			break;
	}
	woken = w->woken;
	pthread_mutex_unlock(&w->lock);
	return woken;
}
