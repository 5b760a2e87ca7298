/* SPDX-License-Identifier: MIT */
/*
 * Private to the atomic, legacy and vblank parts of kms/: commits in
 * flight and pending events.
 *
 * A commit (struct udrm_commit) is made when a state is committed: the
 * state's new object states become current at once (under kms->lock, as
 * drm_atomic_helper_swap_state) and the commit keeps the state, whose
 * old states it frees once the new ones have reached the screen. Its tail
 * (in-fence waits, driver flush, vblank on/off, arming the flip events)
 * runs in the caller for blocking commits and on the kms's commit worker
 * for nonblocking ones; its cleanup runs after the last CRTC flipped.
 *
 * Locking: the commit's progress flags are protected by the commit
 * worker's lock (worker->lock), a leaf: it is taken with or without
 * kms->lock or a vblank lock held (the vblank thread tells commits of
 * their flip before sending the event) and never held while taking
 * another lock. Order: kms->lock -> vblank lock -> worker->lock.
 * crtc->pending_commit is under kms->lock.
 */
#ifndef UDRM_KMS_ATOMIC_INTERNAL_H
#define UDRM_KMS_ATOMIC_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "kms.h"

struct udrm_commit {
	atomic_int refcount;
	struct udrm_kms *kms;
	struct udrm_atomic_state *state; /* owned; freed by the cleanup */
	bool nonblock;
	/* (worker->lock) */
	bool hw_done;		    /* the driver flushed the new state */
	bool flip_done;		    /* every CRTC's flip event fired */
	bool cleanup_done;	    /* old states freed */
	unsigned int pending_flips; /* flip markers not fired yet */
	int stage;		    /* what the worker does next with it */
	struct udrm_commit *next;   /* worker queue */
};

/* Drops a reference; frees the commit (not its state) on the last. */
void udrm_commit_put(struct udrm_commit *commit);
/* One of the commit's CRTCs flipped (the CRTC's vblank lock held): marks
 * flip_done after the last and schedules the cleanup of nonblocking
 * commits. */
void udrm_commit_flip_marker_done(struct udrm_commit *commit);
/* The worker's lock, held across fork (see udrm_kms_atfork_prepare). */
void udrm_commit_worker_lock(struct udrm_kms *kms);
void udrm_commit_worker_unlock(struct udrm_kms *kms);
/* In the fork child: the worker thread is gone; restart it if work is
 * queued (the job it was running is queued again). */
void udrm_commit_worker_reset_child(struct udrm_kms *kms);

/* A zeroed pending event (NULL on ENOMEM). */
struct udrm_pending_event *udrm_pending_event_alloc(void);
/* Frees an event that was not sent: gives back the file's space if it is
 * still attached, drops its fence and commit references without marking
 * them done. */
void udrm_pending_event_free(struct udrm_pending_event *e);

/* Whether the CRTC's vblank timer runs (vblank lock taken). */
bool udrm_crtc_vblank_enabled(struct udrm_crtc *crtc);

/* atomic.c: duplicates/destroys object states (references handled). */
struct udrm_plane_state *udrm_plane_state_dup(const struct udrm_plane_state *s);
void udrm_plane_state_destroy(struct udrm_plane_state *s);
struct udrm_crtc_state *udrm_crtc_state_dup(const struct udrm_crtc_state *s);
void udrm_crtc_state_destroy(struct udrm_crtc_state *s);
struct udrm_connector_state *
udrm_connector_state_dup(const struct udrm_connector_state *s);
void udrm_connector_state_destroy(struct udrm_connector_state *s);
/* The CRTC state's mode from its MODE_ID blob (enable follows). */
int udrm_atomic_set_mode_prop(struct udrm_crtc_state *cs,
			      struct udrm_property_blob *blob);
/* drm_atomic_set_crtc_for_plane/connector (adds the CRTC states). */
int udrm_atomic_set_crtc_for_plane(struct udrm_atomic_state *state,
				   struct udrm_plane_state *ps,
				   struct udrm_crtc *crtc);
int udrm_atomic_set_crtc_for_connector(struct udrm_atomic_state *state,
				       struct udrm_connector_state *cs,
				       struct udrm_crtc *crtc);
/* drm_atomic_set_fb_for_plane. */
void udrm_atomic_set_fb_for_plane(struct udrm_plane_state *ps,
				  struct udrm_framebuffer *fb);
struct udrm_connector_state *
udrm_atomic_new_connector_state(struct udrm_atomic_state *state,
				struct udrm_connector *conn);

/* atomic_uapi.c: OUT_FENCE_PTR / flip events for a commit of @file. A
 * new fence for a CRTC flip (a reference). */
struct udrm_fence *udrm_kms_out_fence_create(struct udrm_crtc *crtc);

#endif
