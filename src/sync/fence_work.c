// SPDX-License-Identifier: MIT
/*
 * The deferred-work queue of the fence containers: a FIFO and one lazily
 * started worker thread (see fence_work.h for why it exists).
 */
#include "sync/fence_work.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t work_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cond = PTHREAD_COND_INITIALIZER; /* new work */
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER; /* drained */
static struct udrm_fence_work *work_head, *work_tail;	    /* (work_lock) */
static bool worker_started;				    /* (work_lock) */
static bool worker_busy;				    /* (work_lock) */
static bool atfork_registered;				    /* (work_lock) */

void udrm_fence_work_init(struct udrm_fence_work *work,
			  udrm_fence_work_func_t func)
{
	work->next = NULL;
	work->func = func;
	work->queued = false;
}

static struct udrm_fence_work *work_pop_locked(void)
{
	struct udrm_fence_work *work = work_head;

	if (!work)
		return NULL;
	work_head = work->next;
	if (!work_head)
		work_tail = NULL;
	work->next = NULL;
	work->queued = false;
	return work;
}

static void *fence_worker(void *arg)
{
	struct udrm_fence_work *work;

	pthread_mutex_lock(&work_lock);
	for (;;) {
		work = work_pop_locked();
		if (!work) {
			worker_busy = false;
			pthread_cond_broadcast(&idle_cond);
			pthread_cond_wait(&work_cond, &work_lock);
			continue;
		}
		worker_busy = true;
		pthread_mutex_unlock(&work_lock);
		work->func(work);
		pthread_mutex_lock(&work_lock);
	}
	return NULL;
}

/* Caller holds work_lock. */
static bool worker_start_locked(void)
{
	pthread_attr_t attr;
	pthread_t thread;
	int ret;

	if (worker_started)
		return true;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&thread, &attr, fence_worker, NULL);
	pthread_attr_destroy(&attr);
	if (ret) {
		fprintf(stderr, "udrm: cannot start the fence worker: %s\n",
			strerror(ret));
		return false;
	}
	worker_started = true;
	return true;
}

/* The child of fork() has the queue but not the thread: start a new one. */
static void fence_work_atfork_child(void)
{
	pthread_mutex_init(&work_lock, NULL);
	pthread_cond_init(&work_cond, NULL);
	pthread_cond_init(&idle_cond, NULL);
	worker_started = false;
	worker_busy = false;
	if (work_head)
		worker_start_locked();
}

bool udrm_fence_work_queue(struct udrm_fence_work *work)
{
	pthread_mutex_lock(&work_lock);
	if (work->queued) {
		pthread_mutex_unlock(&work_lock);
		return false;
	}
	if (!atfork_registered) {
		pthread_atfork(NULL, NULL, fence_work_atfork_child);
		atfork_registered = true;
	}
	if (!worker_start_locked()) {
		pthread_mutex_unlock(&work_lock);
		work->func(work);
		return true;
	}
	work->queued = true;
	work->next = NULL;
	if (work_tail)
		work_tail->next = work;
	else
		work_head = work;
	work_tail = work;
	pthread_cond_signal(&work_cond);
	pthread_mutex_unlock(&work_lock);
	return true;
}

void udrm_fence_work_flush(void)
{
	pthread_mutex_lock(&work_lock);
	while (worker_started && (work_head || worker_busy))
		pthread_cond_wait(&idle_cond, &work_lock);
	pthread_mutex_unlock(&work_lock);
}
