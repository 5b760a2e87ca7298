// SPDX-License-Identifier: MIT
/*
 * Atomic state: allocation, duplication of object states, lookups, and
 * the check (drm_atomic_check_only() with drm_atomic_helper_check(), as
 * the kernel's drm_atomic.c, drm_atomic_helper.c and drm_blend.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "atomic_internal.h"
#include "kms.h"
#include "sync/dma_fence.h"

struct udrm_atomic_state *udrm_atomic_state_alloc(struct udrm_kms *kms,
						  struct udrm_file *file)
{
	struct udrm_atomic_state *state = calloc(1, sizeof(*state));

	if (!state)
		return NULL;
	state->kms = kms;
	state->file = file;
	/* Internal and legacy commits may modeset (drm_atomic_state_init);
	 * the atomic ioctl sets it from its flags. */
	state->allow_modeset = true;
	return state;
}

void udrm_atomic_state_free(struct udrm_atomic_state *state)
{
	unsigned int i;

	if (!state)
		return;
	/* Only new states are owned here: a committed state's cleanup
	 * frees the old ones and clears both pointers first. */
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++)
		udrm_plane_state_destroy(state->planes[i].new_state);
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
		udrm_crtc_state_destroy(state->crtcs[i].new_state);
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++)
		udrm_connector_state_destroy(state->connectors[i].new_state);
	free(state);
}

/* ------------------------------------------------------------------ */
/* Object states                                                       */

struct udrm_plane_state *udrm_plane_state_dup(const struct udrm_plane_state *s)
{
	struct udrm_plane_state *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *s;
	if (n->fb)
		udrm_framebuffer_get(n->fb);
	n->fence = NULL; /* IN_FENCE_FD is for one commit */
	return n;
}

void udrm_plane_state_destroy(struct udrm_plane_state *s)
{
	if (!s)
		return;
	if (s->fb)
		udrm_framebuffer_put(s->fb);
	udrm_fence_put(s->fence);
	free(s);
}

struct udrm_crtc_state *udrm_crtc_state_dup(const struct udrm_crtc_state *s)
{
	struct udrm_crtc_state *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *s;
	if (n->mode_blob)
		udrm_blob_get(n->mode_blob);
	if (n->gamma_lut)
		udrm_blob_get(n->gamma_lut);
	n->planes_changed = n->mode_changed = n->active_changed = false;
	n->connectors_changed = n->color_mgmt_changed = false;
	n->event = NULL;
	n->out_fence = NULL;
	n->async_flip = false;
	return n;
}

void udrm_crtc_state_destroy(struct udrm_crtc_state *s)
{
	if (!s)
		return;
	udrm_blob_put(s->mode_blob);
	udrm_blob_put(s->gamma_lut);
	/* An event never armed (failed or test-only commit): cancelled. */
	udrm_pending_event_free(s->event);
	udrm_fence_put(s->out_fence);
	free(s);
}

static void writeback_job_free(struct udrm_writeback_job *job)
{
	if (!job)
		return;
	if (job->fb)
		udrm_framebuffer_put(job->fb);
	udrm_fence_put(job->out_fence);
	free(job);
}

struct udrm_connector_state *
udrm_connector_state_dup(const struct udrm_connector_state *s)
{
	struct udrm_connector_state *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *s;
	n->writeback_job = NULL;
	n->writeback_out_fence_ptr = 0;
	return n;
}

void udrm_connector_state_destroy(struct udrm_connector_state *s)
{
	if (!s)
		return;
	writeback_job_free(s->writeback_job);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

struct udrm_crtc_state *
udrm_atomic_get_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc)
{
	unsigned int i = crtc->index;
	struct udrm_crtc_state *s;

	if (state->crtcs[i].ptr)
		return state->crtcs[i].new_state;
	s = udrm_crtc_state_dup(crtc->state);
	if (!s)
		return NULL;
	state->crtcs[i].ptr = crtc;
	state->crtcs[i].old_state = crtc->state;
	state->crtcs[i].new_state = s;
	state->crtcs[i].out_fence_ptr = 0;
	return s;
}

struct udrm_plane_state *
udrm_atomic_get_plane_state(struct udrm_atomic_state *state,
			    struct udrm_plane *plane)
{
	unsigned int i = plane->index;
	struct udrm_plane_state *s;

	if (state->planes[i].ptr)
		return state->planes[i].new_state;
	s = udrm_plane_state_dup(plane->state);
	if (!s)
		return NULL;
	state->planes[i].ptr = plane;
	state->planes[i].old_state = plane->state;
	state->planes[i].new_state = s;
	/* The plane's CRTC comes along, as drm_atomic_get_plane_state. */
	if (s->crtc && !udrm_atomic_get_crtc_state(state, s->crtc))
		return NULL;
	return s;
}

struct udrm_connector_state *
udrm_atomic_get_connector_state(struct udrm_atomic_state *state,
				struct udrm_connector *conn)
{
	unsigned int i = conn->index;
	struct udrm_connector_state *s;

	if (state->connectors[i].ptr)
		return state->connectors[i].new_state;
	s = udrm_connector_state_dup(conn->state);
	if (!s)
		return NULL;
	state->connectors[i].ptr = conn;
	state->connectors[i].old_state = conn->state;
	state->connectors[i].new_state = s;
	if (s->crtc && !udrm_atomic_get_crtc_state(state, s->crtc))
		return NULL;
	return s;
}

struct udrm_plane_state *
udrm_atomic_new_plane_state(struct udrm_atomic_state *state,
			    struct udrm_plane *plane)
{
	return state->planes[plane->index].ptr
		       ? state->planes[plane->index].new_state
		       : NULL;
}

struct udrm_crtc_state *
udrm_atomic_new_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc)
{
	return state->crtcs[crtc->index].ptr
		       ? state->crtcs[crtc->index].new_state
		       : NULL;
}

struct udrm_crtc_state *
udrm_atomic_old_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc)
{
	return state->crtcs[crtc->index].ptr
		       ? state->crtcs[crtc->index].old_state
		       : NULL;
}

struct udrm_connector_state *
udrm_atomic_new_connector_state(struct udrm_atomic_state *state,
				struct udrm_connector *conn)
{
	return state->connectors[conn->index].ptr
		       ? state->connectors[conn->index].new_state
		       : NULL;
}

int udrm_atomic_add_affected_planes(struct udrm_atomic_state *state,
				    struct udrm_crtc *crtc)
{
	struct udrm_crtc_state *old = udrm_atomic_old_crtc_state(state, crtc);
	struct udrm_kms *kms = state->kms;
	unsigned int i;

	if (!old)
		return -EINVAL;
	for (i = 0; i < kms->num_total_plane; i++)
		if ((old->plane_mask & (1u << i)) &&
		    !udrm_atomic_get_plane_state(state, kms->planes[i]))
			return -ENOMEM;
	return 0;
}

int udrm_atomic_add_affected_connectors(struct udrm_atomic_state *state,
					struct udrm_crtc *crtc)
{
	struct udrm_crtc_state *cs = udrm_atomic_get_crtc_state(state, crtc);
	struct udrm_kms *kms = state->kms;
	unsigned int i;

	if (!cs)
		return -ENOMEM;
	for (i = 0; i < kms->num_connector; i++)
		if ((cs->connector_mask & (1u << i)) &&
		    !udrm_atomic_get_connector_state(state, kms->connectors[i]))
			return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setters shared by the uapi and legacy paths                         */

int udrm_atomic_set_crtc_for_plane(struct udrm_atomic_state *state,
				   struct udrm_plane_state *ps,
				   struct udrm_crtc *crtc)
{
	uint32_t bit = 1u << ps->plane->index;
	struct udrm_crtc_state *cs;

	if (ps->crtc == crtc)
		return 0;
	if (ps->crtc) {
		cs = udrm_atomic_get_crtc_state(state, ps->crtc);
		if (!cs)
			return -ENOMEM;
		cs->plane_mask &= ~bit;
	}
	ps->crtc = crtc;
	if (crtc) {
		cs = udrm_atomic_get_crtc_state(state, crtc);
		if (!cs)
			return -ENOMEM;
		cs->plane_mask |= bit;
	}
	return 0;
}

int udrm_atomic_set_crtc_for_connector(struct udrm_atomic_state *state,
				       struct udrm_connector_state *cs,
				       struct udrm_crtc *crtc)
{
	uint32_t bit = 1u << cs->connector->index;
	struct udrm_crtc_state *crtc_state;

	if (cs->crtc == crtc)
		return 0;
	if (cs->crtc) {
		crtc_state = udrm_atomic_get_crtc_state(state, cs->crtc);
		if (!crtc_state)
			return -ENOMEM;
		crtc_state->connector_mask &= ~bit;
		cs->crtc = NULL;
	}
	if (crtc) {
		crtc_state = udrm_atomic_get_crtc_state(state, crtc);
		if (!crtc_state)
			return -ENOMEM;
		crtc_state->connector_mask |= bit;
		cs->crtc = crtc;
	}
	return 0;
}

void udrm_atomic_set_fb_for_plane(struct udrm_plane_state *ps,
				  struct udrm_framebuffer *fb)
{
	if (fb)
		udrm_framebuffer_get(fb);
	if (ps->fb)
		udrm_framebuffer_put(ps->fb);
	ps->fb = fb;
}

int udrm_atomic_set_mode_prop(struct udrm_crtc_state *cs,
			      struct udrm_property_blob *blob)
{
	if (blob == cs->mode_blob)
		return 0;
	if (blob) {
		if (blob->length != sizeof(struct drm_mode_modeinfo))
			return -EINVAL;
		if (udrm_mode_validate_user(
			    (const struct drm_mode_modeinfo *)blob->data))
			return -EINVAL;
		memcpy(&cs->mode, blob->data, sizeof(cs->mode));
		cs->enable = true;
	} else {
		memset(&cs->mode, 0, sizeof(cs->mode));
		cs->enable = false;
	}
	udrm_blob_replace(&cs->mode_blob, blob);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Check                                                               */

bool udrm_atomic_crtc_needs_modeset(const struct udrm_crtc_state *cs)
{
	return cs->mode_changed || cs->active_changed || cs->connectors_changed;
}

bool udrm_plane_has_format(const struct udrm_plane *plane,
			   const struct udrm_framebuffer *fb)
{
	uint32_t i;

	for (i = 0; i < plane->format_count; i++)
		if (plane->formats[i] == fb->format->format)
			break;
	if (i == plane->format_count)
		return false;
	if (!plane->modifier_count)
		return fb->modifier == DRM_FORMAT_MOD_LINEAR;
	for (i = 0; i < plane->modifier_count; i++)
		if (plane->modifiers[i] == fb->modifier)
			return true;
	return false;
}

/* drm_atomic_plane_check() */
static int plane_check(struct udrm_plane_state *old,
		       struct udrm_plane_state *new)
{
	struct udrm_framebuffer *fb = new->fb;
	struct udrm_crtc *crtc = new->crtc;
	uint64_t fb_w, fb_h;

	if (!!crtc != !!fb)
		return -EINVAL;
	if (!crtc)
		return 0;
	if (!(new->plane->possible_crtcs &(1u << crtc->index)))
		return -EINVAL;
	if (!udrm_plane_has_format(new->plane, fb))
		return -EINVAL;
	/* Give drivers some help against integer overflows. */
	if (new->crtc_w > INT_MAX ||
	    new->crtc_x > INT_MAX - (int32_t) new->crtc_w ||
	    new->crtc_h > INT_MAX ||
	    new->crtc_y > INT_MAX - (int32_t) new->crtc_h)
		return -ERANGE;
	fb_w = (uint64_t)fb->width << 16;
	fb_h = (uint64_t)fb->height << 16;
	if (new->src_w > fb_w || new->src_x > fb_w - new->src_w ||
	    new->src_h > fb_h || new->src_y > fb_h - new->src_h)
		return -ENOSPC;
	/* No direct switching of an enabled plane between CRTCs. */
	if (old->crtc && new->crtc && old->crtc != new->crtc)
		return -EINVAL;
	return 0;
}

static void rect_rotate(struct udrm_rect *r, int32_t width, int32_t height,
			uint32_t rotation)
{
	struct udrm_rect t;

	if (rotation & (DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y)) {
		t = *r;
		if (rotation & DRM_MODE_REFLECT_X) {
			r->x1 = width - t.x2;
			r->x2 = width - t.x1;
		}
		if (rotation & DRM_MODE_REFLECT_Y) {
			r->y1 = height - t.y2;
			r->y2 = height - t.y1;
		}
	}
	t = *r;
	switch (rotation & DRM_MODE_ROTATE_MASK) {
	case DRM_MODE_ROTATE_90:
		*r = (struct udrm_rect){t.y1, width - t.x2, t.y2, width - t.x1};
		break;
	case DRM_MODE_ROTATE_180:
		*r = (struct udrm_rect){width - t.x2, height - t.y2,
					width - t.x1, height - t.y1};
		break;
	case DRM_MODE_ROTATE_270:
		*r = (struct udrm_rect){height - t.y2, t.x1, height - t.y1,
					t.x2};
		break;
	default:
		break;
	}
}

static void rect_rotate_inv(struct udrm_rect *r, int32_t width, int32_t height,
			    uint32_t rotation)
{
	struct udrm_rect t = *r;

	switch (rotation & DRM_MODE_ROTATE_MASK) {
	case DRM_MODE_ROTATE_90:
		*r = (struct udrm_rect){width - t.y2, t.x1, width - t.y1, t.x2};
		break;
	case DRM_MODE_ROTATE_180:
		*r = (struct udrm_rect){width - t.x2, height - t.y2,
					width - t.x1, height - t.y1};
		break;
	case DRM_MODE_ROTATE_270:
		*r = (struct udrm_rect){t.y1, height - t.x2, t.y2,
					height - t.x1};
		break;
	default:
		break;
	}
	if (rotation & (DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y)) {
		t = *r;
		if (rotation & DRM_MODE_REFLECT_X) {
			r->x1 = width - t.x2;
			r->x2 = width - t.x1;
		}
		if (rotation & DRM_MODE_REFLECT_Y) {
			r->y1 = height - t.y2;
			r->y2 = height - t.y1;
		}
	}
}

/* clip_scaled() of drm_rect.c: the source size left after clipping @clip
 * destination pixels. */
static uint32_t clip_scaled(int64_t src, int64_t dst, int64_t *clip)
{
	uint64_t tmp;

	if (dst == 0)
		return 0;
	if (*clip > dst)
		*clip = dst;
	tmp = (uint64_t)src * (uint64_t)(dst - *clip);
	if (src < (dst << 16))
		return (uint32_t)((tmp + (uint64_t)dst - 1) / (uint64_t)dst);
	return (uint32_t)(tmp / (uint64_t)dst);
}

/* drm_rect_clip_scaled() */
static bool rect_clip_scaled(struct udrm_rect *src, struct udrm_rect *dst,
			     const struct udrm_rect *clip)
{
	int64_t diff;

	diff = (int64_t)clip->x1 - dst->x1;
	if (diff > 0) {
		uint32_t w = clip_scaled(src->x2 - src->x1, dst->x2 - dst->x1,
					 &diff);
		src->x1 = src->x2 - (int32_t)w;
		dst->x1 += (int32_t)diff;
	}
	diff = (int64_t)clip->y1 - dst->y1;
	if (diff > 0) {
		uint32_t h = clip_scaled(src->y2 - src->y1, dst->y2 - dst->y1,
					 &diff);
		src->y1 = src->y2 - (int32_t)h;
		dst->y1 += (int32_t)diff;
	}
	diff = (int64_t)dst->x2 - clip->x2;
	if (diff > 0) {
		uint32_t w = clip_scaled(src->x2 - src->x1, dst->x2 - dst->x1,
					 &diff);
		src->x2 = src->x1 + (int32_t)w;
		dst->x2 -= (int32_t)diff;
	}
	diff = (int64_t)dst->y2 - clip->y2;
	if (diff > 0) {
		uint32_t h = clip_scaled(src->y2 - src->y1, dst->y2 - dst->y1,
					 &diff);
		src->y2 = src->y1 + (int32_t)h;
		dst->y2 -= (int32_t)diff;
	}
	return dst->x2 > dst->x1 && dst->y2 > dst->y1;
}

/* drm_rect_calc_hscale() with min == max == 1.0: the source must be as
 * large as the destination (fractional source pixels excepted). */
static bool unscaled(int64_t src, int64_t dst)
{
	if (src <= 0 || dst <= 0)
		return true;
	if (src > (dst << 16))
		return (src + dst - 1) / dst == (1 << 16);
	return src / dst == (1 << 16);
}

/* drm_atomic_helper_check_plane_state() with DRM_PLANE_NO_SCALING and
 * can_position and can_update_disabled set, as vkms: computes the
 * clipped src/dst and visibility. */
static int plane_check_state(struct udrm_plane_state *ps,
			     struct udrm_crtc_state *cs)
{
	struct udrm_framebuffer *fb = ps->fb;
	struct udrm_rect clip = {0, 0, 0, 0};
	int32_t fb_w, fb_h;

	ps->src = (struct udrm_rect){(int32_t)ps->src_x, (int32_t)ps->src_y,
				     (int32_t)(ps->src_x + ps->src_w),
				     (int32_t)(ps->src_y + ps->src_h)};
	ps->dst = (struct udrm_rect){ps->crtc_x, ps->crtc_y,
				     ps->crtc_x + (int32_t)ps->crtc_w,
				     ps->crtc_y + (int32_t)ps->crtc_h};
	ps->visible = false;
	if (!fb || !ps->crtc)
		return 0;
	fb_w = (int32_t)(fb->width << 16);
	fb_h = (int32_t)(fb->height << 16);
	rect_rotate(&ps->src, fb_w, fb_h, ps->rotation);
	if (!unscaled(ps->src.x2 - ps->src.x1, ps->dst.x2 - ps->dst.x1) ||
	    !unscaled(ps->src.y2 - ps->src.y1, ps->dst.y2 - ps->dst.y1))
		return -ERANGE;
	if (cs->enable) {
		clip.x2 = cs->mode.hdisplay;
		clip.y2 = cs->mode.vdisplay;
	}
	ps->visible = rect_clip_scaled(&ps->src, &ps->dst, &clip);
	rect_rotate_inv(&ps->src, fb_w, fb_h, ps->rotation);
	return 0;
}

/* drm_atomic_crtc_check() */
static int crtc_check(struct udrm_crtc_state *old, struct udrm_crtc_state *new)
{
	struct udrm_crtc *crtc = new->crtc;

	if (new->active && !new->enable)
		return -EINVAL;
	if (new->enable != !!new->mode_blob)
		return -EINVAL;
	/* No event for a CRTC that is off and stays off. */
	if (new->event && !new->active && !old->active)
		return -EINVAL;
	if (new->gamma_lut &&
	    (!crtc->gamma_size ||
	     new->gamma_lut->length !=
		     crtc->gamma_size * sizeof(struct drm_color_lut)))
		return -EINVAL;
	return 0;
}

static bool format_in(uint32_t format, const uint32_t *list, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (list[i] == format)
			return true;
	return false;
}

/* drm_atomic_connector_check() with the writeback rules of
 * drm_atomic_helper_check_wb_connector_state(). */
static int connector_check(struct udrm_atomic_state *state,
			   struct udrm_connector_state *cs)
{
	struct udrm_connector *conn = cs->connector;
	struct udrm_writeback_job *job = cs->writeback_job;
	struct udrm_crtc_state *crtc_state = NULL;
	struct udrm_framebuffer *fb;

	if (!conn->writeback)
		return 0;
	if (cs->crtc)
		crtc_state = udrm_atomic_new_crtc_state(state, cs->crtc);
	if (job && job->fb) {
		if (!crtc_state || !crtc_state->active)
			return -EINVAL;
		fb = job->fb;
		if (fb->width != crtc_state->mode.hdisplay ||
		    fb->height != crtc_state->mode.vdisplay)
			return -EINVAL;
		if (!format_in(fb->format->format, conn->writeback_formats,
			       conn->writeback_format_count))
			return -EINVAL;
		return 0;
	}
	if (job && job->out_fence)
		return -EINVAL;
	writeback_job_free(job);
	cs->writeback_job = NULL;
	return 0;
}

/* Keeps crtc encoder masks in sync with the connector's best encoder. */
static int set_best_encoder(struct udrm_atomic_state *state,
			    struct udrm_connector_state *cs,
			    struct udrm_encoder *encoder)
{
	struct udrm_crtc_state *crtc_state;

	if (cs->best_encoder && cs->crtc) {
		crtc_state = udrm_atomic_get_crtc_state(state, cs->crtc);
		if (!crtc_state)
			return -ENOMEM;
		crtc_state->encoder_mask &= ~(1u << cs->best_encoder->index);
	}
	if (encoder && cs->crtc) {
		crtc_state = udrm_atomic_get_crtc_state(state, cs->crtc);
		if (!crtc_state)
			return -ENOMEM;
		crtc_state->encoder_mask |= 1u << encoder->index;
	}
	cs->best_encoder = encoder;
	return 0;
}

static struct udrm_encoder *connector_encoder(struct udrm_connector *conn)
{
	struct udrm_kms *kms = conn->kms;
	unsigned int i;

	for (i = 0; i < kms->num_encoder; i++)
		if (conn->possible_encoders & (1u << i))
			return kms->encoders[i];
	return NULL;
}

/* update_connector_routing() */
static int connector_routing(struct udrm_atomic_state *state,
			     struct udrm_connector_state *old,
			     struct udrm_connector_state *new)
{
	struct udrm_crtc_state *crtc_state;
	struct udrm_encoder *encoder;

	if (old->crtc != new->crtc) {
		if (old->crtc)
			udrm_atomic_new_crtc_state(state, old->crtc)
				->connectors_changed = true;
		if (new->crtc)
			udrm_atomic_new_crtc_state(state, new->crtc)
				->connectors_changed = true;
	}
	if (!new->crtc) {
		/* The old CRTC's mask (the state's new one) loses the
		 * encoder. */
		if (new->best_encoder && old->crtc) {
			crtc_state =
				udrm_atomic_new_crtc_state(state, old->crtc);
			crtc_state->encoder_mask &=
				~(1u << new->best_encoder->index);
		}
		new->best_encoder = NULL;
		return 0;
	}
	crtc_state = udrm_atomic_new_crtc_state(state, new->crtc);
	encoder = connector_encoder(new->connector);
	if (!encoder)
		return -EINVAL;
	if (!(encoder->possible_crtcs & (1u << new->crtc->index)))
		return -EINVAL;
	if (old->crtc && old->crtc != new->crtc &&new->best_encoder) {
		udrm_atomic_new_crtc_state(state, old->crtc)->encoder_mask &=
			~(1u << new->best_encoder->index);
		new->best_encoder = NULL;
	}
	if (encoder == new->best_encoder) {
		crtc_state->encoder_mask |= 1u << encoder->index;
		return 0;
	}
	crtc_state->connectors_changed = true;
	return set_best_encoder(state, new, encoder);
}

/* drm_atomic_helper_check_modeset() */
static int check_modeset(struct udrm_atomic_state *state)
{
	unsigned int i;
	int ret;

	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *old = state->crtcs[i].old_state;
		struct udrm_crtc_state *new = state->crtcs[i].new_state;

		if (!state->crtcs[i].ptr)
			continue;
		if (memcmp(&old->mode, &new->mode, sizeof(old->mode)))
			new->mode_changed = true;
		if (old->enable != new->enable) {
			new->mode_changed = true;
			new->connectors_changed = true;
		}
		if (old->active != new->active)
			new->active_changed = true;
		if (new->gamma_lut != old->gamma_lut)
			new->color_mgmt_changed = true;
	}
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		struct udrm_connector_state *old =
			state->connectors[i].old_state;
		struct udrm_connector_state *new =
			state->connectors[i].new_state;
		struct udrm_connector *conn = state->connectors[i].ptr;

		if (!conn)
			continue;
		ret = connector_routing(state, old, new);
		if (ret)
			return ret;
		if (old->crtc && old->link_status != new->link_status)
			udrm_atomic_new_crtc_state(state, old->crtc)
				->connectors_changed = true;
		if (conn->funcs && conn->funcs->atomic_check) {
			ret = conn->funcs->atomic_check(conn, state);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;
		struct udrm_crtc_state *new = state->crtcs[i].new_state;

		if (!crtc)
			continue;
		if (new->enable != !!new->connector_mask)
			return -EINVAL;
		if (!udrm_atomic_crtc_needs_modeset(new))
			continue;
		ret = udrm_atomic_add_affected_connectors(state, crtc);
		if (!ret)
			ret = udrm_atomic_add_affected_planes(state, crtc);
		if (ret)
			return ret;
	}
	return 0;
}

static int zpos_cmp(const void *a, const void *b)
{
	const struct udrm_plane_state *pa =
		*(struct udrm_plane_state *const *)a;
	const struct udrm_plane_state *pb =
		*(struct udrm_plane_state *const *)b;

	if (pa->zpos != pb->zpos)
		return pa->zpos < pb->zpos ? -1 : 1;
	if (pa->plane->base.id != pb->plane->base.id)
		return pa->plane->base.id < pb->plane->base.id ? -1 : 1;
	return 0;
}

/* drm_atomic_normalize_zpos(): normalized_zpos is each plane's rank on
 * its CRTC by (zpos, plane id), for CRTCs whose plane set or zpos
 * changed. */
static int normalize_zpos(struct udrm_atomic_state *state)
{
	struct udrm_plane_state *list[UDRM_KMS_MAX_PLANES];
	bool changed[UDRM_KMS_MAX_CRTCS] = {false};
	struct udrm_kms *kms = state->kms;
	unsigned int i, j, n;
	int ret;

	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
		if (state->crtcs[i].ptr &&
		    state->crtcs[i].old_state->plane_mask !=
			    state->crtcs[i].new_state->plane_mask)
			changed[i] = true;
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++) {
		struct udrm_plane_state *old = state->planes[i].old_state;
		struct udrm_plane_state *new = state->planes[i].new_state;

		if (!state->planes[i].ptr)
			continue;
		if (old->zpos == new->zpos && old->crtc == new->crtc)
			continue;
		if (old->crtc)
			changed[old->crtc->index] = true;
		if (new->crtc)
			changed[new->crtc->index] = true;
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;
		struct udrm_crtc_state *cs = state->crtcs[i].new_state;

		if (!crtc || !changed[i])
			continue;
		ret = udrm_atomic_add_affected_planes(state, crtc);
		if (ret)
			return ret;
		for (j = 0, n = 0; j < kms->num_total_plane; j++) {
			if (!(cs->plane_mask & (1u << j)))
				continue;
			list[n] = udrm_atomic_get_plane_state(state,
							      kms->planes[j]);
			if (!list[n])
				return -ENOMEM;
			n++;
		}
		qsort(list, n, sizeof(list[0]), zpos_cmp);
		for (j = 0; j < n; j++)
			list[j]->normalized_zpos = j;
	}
	return 0;
}

static void plane_changed(struct udrm_atomic_state *state,
			  struct udrm_plane_state *old,
			  struct udrm_plane_state *new)
{
	if (old->crtc)
		udrm_atomic_new_crtc_state(state, old->crtc)->planes_changed =
			true;
	if (new->crtc)
		udrm_atomic_new_crtc_state(state, new->crtc)->planes_changed =
			true;
}

/* drm_atomic_helper_check_planes() with the core's plane state check */
static int check_planes(struct udrm_atomic_state *state)
{
	unsigned int i;
	int ret;

	ret = normalize_zpos(state);
	if (ret)
		return ret;
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++) {
		struct udrm_plane *plane = state->planes[i].ptr;
		struct udrm_plane_state *new = state->planes[i].new_state;
		struct udrm_crtc_state *cs = NULL;

		if (!plane)
			continue;
		plane_changed(state, state->planes[i].old_state, new);
		if (new->crtc)
			cs = udrm_atomic_new_crtc_state(state, new->crtc);
		ret = plane_check_state(new, cs);
		if (ret)
			return ret;
		if (plane->funcs && plane->funcs->atomic_check) {
			ret = plane->funcs->atomic_check(plane, state);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;

		if (crtc && crtc->funcs && crtc->funcs->atomic_check) {
			ret = crtc->funcs->atomic_check(crtc, state);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Async flips change nothing but the framebuffers of primary planes. */
static int check_async(struct udrm_atomic_state *state)
{
	unsigned int i;
	bool async = false;

	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
		if (state->crtcs[i].ptr &&
		    state->crtcs[i].new_state->async_flip)
			async = true;
	if (!async)
		return 0;
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc_state *new = state->crtcs[i].new_state;

		if (state->crtcs[i].ptr &&
		    (udrm_atomic_crtc_needs_modeset(new) || !new->active))
			return -EINVAL;
	}
	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++) {
		struct udrm_plane *plane = state->planes[i].ptr;
		struct udrm_plane_state *old = state->planes[i].old_state;
		struct udrm_plane_state *new = state->planes[i].new_state;

		if (!plane)
			continue;
		if (plane->type != DRM_PLANE_TYPE_PRIMARY && old->fb != new->fb)
			return -EINVAL;
		if (old->fb && new->fb &&
		    (old->fb->format != new->fb->format ||
		     old->fb->modifier != new->fb->modifier))
			return -EINVAL;
	}
	return 0;
}

int udrm_atomic_check_only(struct udrm_atomic_state *state)
{
	struct udrm_kms *kms = state->kms;
	unsigned int i;
	int ret;

	for (i = 0; i < UDRM_KMS_MAX_PLANES; i++) {
		if (!state->planes[i].ptr)
			continue;
		ret = plane_check(state->planes[i].old_state,
				  state->planes[i].new_state);
		if (ret)
			return ret;
	}
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		if (!state->crtcs[i].ptr)
			continue;
		ret = crtc_check(state->crtcs[i].old_state,
				 state->crtcs[i].new_state);
		if (ret)
			return ret;
	}
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		if (!state->connectors[i].ptr)
			continue;
		ret = connector_check(state, state->connectors[i].new_state);
		if (ret)
			return ret;
	}

	/* drm_atomic_helper_check() */
	ret = check_modeset(state);
	if (!ret)
		ret = check_planes(state);
	if (!ret)
		ret = check_async(state);
	if (!ret && kms->funcs && kms->funcs->atomic_check)
		ret = kms->funcs->atomic_check(kms, state);
	if (ret)
		return ret;

	if (!state->allow_modeset)
		for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
			if (state->crtcs[i].ptr &&
			    udrm_atomic_crtc_needs_modeset(
				    state->crtcs[i].new_state))
				return -EINVAL;
	return 0;
}
