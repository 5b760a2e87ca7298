// SPDX-License-Identifier: MIT
/*
 * Commits, as the kernel's drm_atomic_helper_commit(): the new states
 * become current at once, the tail (in-fence waits, vblank off/on, the
 * driver's flush, arming the flip events) runs in the caller or on the
 * commit worker, and the old states are freed once every CRTC of the
 * commit flipped. See atomic_internal.h for the locking.
 */
#include <errno.h>
#include <stdlib.h>

#include "atomic_internal.h"
#include "kms.h"
#include "sync/dma_fence.h"

enum {
	COMMIT_STAGE_TAIL,
	COMMIT_STAGE_CLEANUP,
};

struct udrm_commit_worker {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* queue, commit progress, idle */
	struct udrm_commit *head, **tail;
	struct udrm_commit *running;
	unsigned int inflight; /* nonblocking commits not cleaned up */
	pthread_t thread;
	bool thread_running, stop;
};

static struct udrm_commit *commit_get(struct udrm_commit *commit)
{
	atomic_fetch_add(&commit->refcount, 1);
	return commit;
}

void udrm_commit_put(struct udrm_commit *commit)
{
	if (commit && atomic_fetch_sub(&commit->refcount, 1) == 1)
		free(commit);
}

void udrm_commit_worker_lock(struct udrm_kms *kms)
{
	if (kms->commit_worker)
		pthread_mutex_lock(&kms->commit_worker->lock);
}

void udrm_commit_worker_unlock(struct udrm_kms *kms)
{
	if (kms->commit_worker)
		pthread_mutex_unlock(&kms->commit_worker->lock);
}

/* Caller holds worker->lock; takes over a reference for the queue. */
static void worker_queue_locked(struct udrm_commit_worker *w,
				struct udrm_commit *commit)
{
	commit->next = NULL;
	*w->tail = commit;
	w->tail = &commit->next;
	pthread_cond_broadcast(&w->cond);
}

static void commit_tail(struct udrm_commit *commit);
static void commit_cleanup(struct udrm_commit *commit);

static void *worker_thread(void *arg)
{
	struct udrm_kms *kms = arg;
	struct udrm_commit_worker *w = kms->commit_worker;
	struct udrm_commit *commit;
	int stage;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		commit = w->head;
		if (!commit) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		w->head = commit->next;
		if (!w->head)
			w->tail = &w->head;
		w->running = commit;
		stage = commit->stage;
		pthread_mutex_unlock(&w->lock);

		pthread_mutex_lock(&kms->lock);
		if (stage == COMMIT_STAGE_TAIL)
			commit_tail(commit);
		else
			commit_cleanup(commit);
		pthread_mutex_unlock(&kms->lock);

		pthread_mutex_lock(&w->lock);
		w->running = NULL;
		pthread_cond_broadcast(&w->cond);
		udrm_commit_put(commit);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The kms's worker, made and started on first use. Caller holds
 * kms->lock. */
static struct udrm_commit_worker *worker_get(struct udrm_kms *kms)
{
	struct udrm_commit_worker *w = kms->commit_worker;

	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->tail = &w->head;
	kms->commit_worker = w;
	return w;
}

/* Caller holds worker->lock. */
static int worker_start_locked(struct udrm_kms *kms)
{
	struct udrm_commit_worker *w = kms->commit_worker;
	int ret;

	if (w->thread_running)
		return 0;
	w->stop = false;
	ret = pthread_create(&w->thread, NULL, worker_thread, kms);
	if (ret)
		return -ret;
	w->thread_running = true;
	return 0;
}

void udrm_commit_worker_reset_child(struct udrm_kms *kms)
{
	struct udrm_commit_worker *w = kms->commit_worker;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	pthread_cond_init(&w->cond, NULL);
	w->thread_running = false;
	/* The job the parent's worker was on never finished here: its
	 * stages are whole under kms->lock, so it can run again. */
	if (w->running) {
		w->running->next = w->head;
		w->head = w->running;
		if (!w->running->next)
			w->tail = &w->running->next;
		w->running = NULL;
	}
	if (w->head)
		worker_start_locked(kms);
	pthread_mutex_unlock(&w->lock);
}

void udrm_atomic_helper_fini(struct udrm_kms *kms)
{
	struct udrm_commit_worker *w = kms->commit_worker;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	while (w->head || w->running || w->inflight)
		pthread_cond_wait(&w->cond, &w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->thread_running)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	kms->commit_worker = NULL;
}

void udrm_commit_flip_marker_done(struct udrm_commit *commit)
{
	struct udrm_commit_worker *w = commit->kms->commit_worker;

	pthread_mutex_lock(&w->lock);
	if (commit->pending_flips && --commit->pending_flips == 0) {
		commit->flip_done = true;
		/* Nonblocking commits are cleaned up on the worker;
		 * blocking ones by the waiting committer. */
		if (commit->nonblock) {
			commit->stage = COMMIT_STAGE_CLEANUP;
			worker_queue_locked(w, commit_get(commit));
		}
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

static bool commit_flag(struct udrm_commit *commit, const bool *flag)
{
	struct udrm_commit_worker *w = commit->kms->commit_worker;
	bool v;

	pthread_mutex_lock(&w->lock);
	v = *flag;
	pthread_mutex_unlock(&w->lock);
	return v;
}

/* Waits for *@flag of @commit with kms->lock dropped. */
static void commit_wait_flag(struct udrm_commit *commit, const bool *flag)
{
	struct udrm_kms *kms = commit->kms;
	struct udrm_commit_worker *w = kms->commit_worker;

	pthread_mutex_unlock(&kms->lock);
	pthread_mutex_lock(&w->lock);
	while (!*flag)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_lock(&kms->lock);
}

/* The tail: caller holds kms->lock (dropped while waiting for fences). */
static void commit_tail(struct udrm_commit *commit)
{
	struct udrm_atomic_state *state = commit->state;
	struct udrm_kms *kms = commit->kms;
	struct udrm_commit_worker *w = kms->commit_worker;
	struct udrm_fence *fences[UDRM_KMS_MAX_PLANES];
	unsigned int i, n = 0;

	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++)
		if (state->planes[i].ptr && state->planes[i].new_state->fence)
			fences[n++] = udrm_fence_get(
				state->planes[i].new_state->fence);
	if (n) {
		pthread_mutex_unlock(&kms->lock);
		for (i = 0; i < n; i++) {
			udrm_fence_wait(fences[i], false);
			udrm_fence_put(fences[i]);
		}
		pthread_mutex_lock(&kms->lock);
	}

	/* Disables, then enables, then the planes: vkms's commit tail. */
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *old = state->crtcs[i].old_state;
		struct udrm_crtc_state *new = state->crtcs[i].new_state;

		if (state->crtcs[i].ptr && old->active &&
		    (!new->active || udrm_atomic_crtc_needs_modeset(new)))
			udrm_crtc_vblank_off(state->crtcs[i].ptr);
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *old = state->crtcs[i].old_state;
		struct udrm_crtc_state *new = state->crtcs[i].new_state;

		if (state->crtcs[i].ptr && new->active &&
		    (!old->active || udrm_atomic_crtc_needs_modeset(new)))
			udrm_crtc_vblank_on(state->crtcs[i].ptr, &new->mode);
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;

		if (crtc && crtc->funcs && crtc->funcs->atomic_flush)
			crtc->funcs->atomic_flush(crtc, state);
	}

	pthread_mutex_lock(&w->lock);
	commit->hw_done = true;
	commit->stage = COMMIT_STAGE_CLEANUP;
	/* A nonblocking commit of no CRTC has no flip marker to schedule
	 * its cleanup: it is due now. */
	if (commit->nonblock && !commit->pending_flips)
		worker_queue_locked(w, commit_get(commit));
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);

	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;
		struct udrm_pending_event *e;

		if (!crtc)
			continue;
		e = state->crtcs[i].new_state->event;
		state->crtcs[i].new_state->event = NULL;
		udrm_crtc_arm_vblank_event(crtc, e);
	}
}

/* Frees the replaced states. Caller holds kms->lock. */
static void commit_cleanup(struct udrm_commit *commit)
{
	struct udrm_atomic_state *state = commit->state;
	struct udrm_kms *kms = commit->kms;
	struct udrm_commit_worker *w = kms->commit_worker;
	unsigned int i;

	if (!state)
		return;
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++) {
		udrm_plane_state_destroy(state->planes[i].old_state);
		state->planes[i].old_state = state->planes[i].new_state = NULL;
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;

		if (crtc && crtc->pending_commit == commit) {
			crtc->pending_commit = NULL;
			udrm_commit_put(commit);
		}
		udrm_crtc_state_destroy(state->crtcs[i].old_state);
		state->crtcs[i].old_state = state->crtcs[i].new_state = NULL;
	}
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		udrm_connector_state_destroy(state->connectors[i].old_state);
		state->connectors[i].old_state = NULL;
		state->connectors[i].new_state = NULL;
	}
	udrm_atomic_state_free(state);
	commit->state = NULL;

	pthread_mutex_lock(&w->lock);
	commit->cleanup_done = true;
	if (commit->nonblock)
		w->inflight--;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_broadcast(&kms->commit_cond);
}

/* Whether every object of @state still has the state the check saw. */
static bool state_current(struct udrm_atomic_state *state)
{
	unsigned int i;

	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++)
		if (state->planes[i].ptr &&
		    state->planes[i].ptr->state != state->planes[i].old_state)
			return false;
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
		if (state->crtcs[i].ptr &&
		    state->crtcs[i].ptr->state != state->crtcs[i].old_state)
			return false;
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++)
		if (state->connectors[i].ptr &&
		    state->connectors[i].ptr->state !=
			    state->connectors[i].old_state)
			return false;
	return true;
}

/* Whether @a and @b have an object in common. */
static bool states_overlap(const struct udrm_atomic_state *a,
			   const struct udrm_atomic_state *b)
{
	unsigned int i;

	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++)
		if (a->planes[i].ptr && b->planes[i].ptr)
			return true;
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
		if (a->crtcs[i].ptr && b->crtcs[i].ptr)
			return true;
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++)
		if (a->connectors[i].ptr && b->connectors[i].ptr)
			return true;
	return false;
}

/* A nonblocking commit sharing an object with @state whose tail has not
 * run yet (a reference), or NULL. Its tail reads its new states, which
 * a blocking commit's cleanup would free: commits of planes or
 * connectors without a CRTC have no crtc->pending_commit to stall on (the
 * kernel's fake_commit). Caller holds kms->lock. */
static struct udrm_commit *tail_pending_on(struct udrm_commit_worker *w,
					   struct udrm_atomic_state *state)
{
	struct udrm_commit *c;

	pthread_mutex_lock(&w->lock);
	c = w->running;
	if (!c || c->hw_done || !c->state || !states_overlap(c->state, state))
		for (c = w->head; c; c = c->next)
			if (!c->hw_done && c->state &&
			    states_overlap(c->state, state))
				break;
	if (c)
		commit_get(c);
	pthread_mutex_unlock(&w->lock);
	return c;
}

/* stall_checks(): a nonblocking commit may not get ahead of a commit
 * that has not flipped (-EBUSY); a blocking one waits until the previous
 * commits on its objects are flushed. -EDEADLK if the objects changed
 * while waiting (the caller builds the state again). */
static int commit_stall(struct udrm_atomic_state *state, bool nonblock)
{
	struct udrm_commit_worker *w = state->kms->commit_worker;
	struct udrm_commit *prev;
	unsigned int i;

again:
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		if (!state->crtcs[i].ptr)
			continue;
		prev = state->crtcs[i].ptr->pending_commit;
		if (!prev)
			continue;
		if (nonblock) {
			if (!commit_flag(prev, &prev->flip_done))
				return -EBUSY;
			continue;
		}
		if (commit_flag(prev, &prev->hw_done))
			continue;
		commit_get(prev);
		commit_wait_flag(prev, &prev->hw_done);
		udrm_commit_put(prev);
		if (!state_current(state))
			return -EDEADLK;
		goto again;
	}
	if (nonblock)
		return 0; /* the worker runs the tails in order */
	prev = tail_pending_on(w, state);
	if (prev) {
		commit_wait_flag(prev, &prev->hw_done);
		udrm_commit_put(prev);
		if (!state_current(state))
			return -EDEADLK;
		goto again;
	}
	return 0;
}

/* drm_atomic_helper_update_legacy_modeset_state(): a connector whose CRTC
 * was modeset (or taken away) reports DPMS On exactly when that CRTC is
 * active. Caller holds kms->lock; the new states are current. */
static void update_legacy_dpms(struct udrm_atomic_state *state)
{
	unsigned int i;

	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		struct udrm_connector *conn = state->connectors[i].ptr;
		struct udrm_crtc *crtc;

		if (!conn)
			continue;
		crtc = state->connectors[i].new_state->crtc;
		if ((!crtc && state->connectors[i].old_state->crtc) ||
		    (crtc && crtc->state &&
		     udrm_atomic_crtc_needs_modeset(crtc->state)))
			conn->dpms = crtc && crtc->state->active
					     ? DRM_MODE_DPMS_ON
					     : DRM_MODE_DPMS_OFF;
	}
}

static int commit_state(struct udrm_atomic_state *state, bool nonblock)
{
	struct udrm_kms *kms = state->kms;
	struct udrm_commit_worker *w;
	struct udrm_commit *commit;
	bool unsynced = state->legacy_cursor_update && !nonblock;
	unsigned int i, flips = 0;
	int ret;

	ret = udrm_atomic_check_only(state);
	if (ret)
		return ret;
	w = worker_get(kms);
	if (!w)
		return -ENOMEM;
	if (!unsynced) {
		ret = commit_stall(state, nonblock);
		if (ret)
			return ret;
	}
	commit = calloc(1, sizeof(*commit));
	if (!commit)
		return -ENOMEM;
	atomic_init(&commit->refcount, 1);
	commit->kms = kms;
	commit->state = state;
	/* Legacy cursor updates do not wait for the flip. */
	commit->nonblock = nonblock || unsynced;

	/* A flip marker per CRTC: the user's event or our own. */
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *cs = state->crtcs[i].new_state;

		if (!state->crtcs[i].ptr)
			continue;
		if (!cs->event) {
			cs->event = udrm_pending_event_alloc();
			if (!cs->event) {
				udrm_commit_put(commit);
				return -ENOMEM;
			}
		}
		flips++;
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *cs = state->crtcs[i].new_state;

		if (!state->crtcs[i].ptr)
			continue;
		cs->event->commit = commit_get(commit);
		cs->event->fence = cs->out_fence;
		cs->out_fence = NULL;
	}
	commit->pending_flips = flips;
	commit->flip_done = !flips;

	/* drm_atomic_helper_swap_state() */
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++)
		if (state->planes[i].ptr)
			state->planes[i].ptr->state =
				state->planes[i].new_state;
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;

		if (!crtc)
			continue;
		crtc->state = state->crtcs[i].new_state;
		if (unsynced)
			continue;
		if (crtc->pending_commit)
			udrm_commit_put(crtc->pending_commit);
		crtc->pending_commit = commit_get(commit);
	}
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++)
		if (state->connectors[i].ptr)
			state->connectors[i].ptr->state =
				state->connectors[i].new_state;
	update_legacy_dpms(state);

	if (nonblock) {
		pthread_mutex_lock(&w->lock);
		w->inflight++;
		commit->stage = COMMIT_STAGE_TAIL;
		worker_queue_locked(w, commit); /* our reference */
		ret = worker_start_locked(kms);
		pthread_mutex_unlock(&w->lock);
		/* The state is consumed: without a thread (EAGAIN) the
		 * tail runs when a later commit starts one. */
		(void)ret;
		return 0;
	}

	if (unsynced) {
		pthread_mutex_lock(&w->lock);
		w->inflight++;
		ret = worker_start_locked(kms);
		pthread_mutex_unlock(&w->lock);
	}
	commit_tail(commit);
	if (!unsynced) {
		commit_wait_flag(commit, &commit->flip_done);
		commit_cleanup(commit);
	}
	udrm_commit_put(commit);
	return 0;
}

int udrm_atomic_commit(struct udrm_atomic_state *state)
{
	return commit_state(state, false);
}

int udrm_atomic_nonblocking_commit(struct udrm_atomic_state *state)
{
	return commit_state(state, true);
}

/* One try of atomic_remove_fb(); -EDEADLK to try again. */
static int remove_fb_try(struct udrm_kms *kms, struct udrm_framebuffer *fb,
			 bool disable_crtcs)
{
	struct udrm_atomic_state *state;
	struct udrm_plane_state *ps;
	struct udrm_crtc_state *cs;
	unsigned int i, planes = 0;
	int ret = 0;

	state = udrm_atomic_state_alloc(kms, NULL);
	if (!state)
		return -ENOMEM;
	state->fb_removal = true;
	for (i = 0; i < kms->num_total_plane && !ret; i++) {
		struct udrm_plane *plane = kms->planes[i];

		if (plane->state->fb != fb)
			continue;
		ps = udrm_atomic_get_plane_state(state, plane);
		if (!ps) {
			ret = -ENOMEM;
			break;
		}
		if (disable_crtcs && ps->crtc && ps->crtc->primary == plane) {
			cs = udrm_atomic_new_crtc_state(state, ps->crtc);
			ret = udrm_atomic_add_affected_connectors(state,
								  ps->crtc);
			if (ret)
				break;
			cs->active = false;
			ret = udrm_atomic_set_mode_prop(cs, NULL);
			if (ret)
				break;
		}
		udrm_atomic_set_fb_for_plane(ps, NULL);
		ret = udrm_atomic_set_crtc_for_plane(state, ps, NULL);
		planes++;
	}
	/* Only filled when disabling CRTCs. */
	for (i = 0; i < kms->num_connector && !ret; i++) {
		struct udrm_connector_state *conn_state =
			udrm_atomic_new_connector_state(state,
							kms->connectors[i]);

		if (conn_state)
			ret = udrm_atomic_set_crtc_for_connector(
				state, conn_state, NULL);
	}
	if (!ret && planes)
		ret = udrm_atomic_commit(state);
	if (ret || !planes)
		udrm_atomic_state_free(state);
	return ret;
}

int udrm_atomic_remove_fb(struct udrm_kms *kms, struct udrm_framebuffer *fb)
{
	bool disable_crtcs = false;
	int ret, tries = 0;

	for (;;) {
		ret = remove_fb_try(kms, fb, disable_crtcs);
		if (ret == -EDEADLK && ++tries < 100)
			continue;
		/* A driver that needs its primary plane: the CRTC goes. */
		if (ret == -EINVAL && !disable_crtcs) {
			disable_crtcs = true;
			continue;
		}
		return ret;
	}
}
