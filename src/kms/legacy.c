// SPDX-License-Identifier: MIT
/*
 * The legacy modeset entry points on top of atomic commits: SETCRTC,
 * SETPLANE, CURSOR/CURSOR2, PAGE_FLIP and GETGAMMA/SETGAMMA, as the
 * kernel's drm_crtc.c, drm_plane.c and drm_color_mgmt.c with
 * drm_atomic_helper's legacy helpers.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "atomic_internal.h"
#include "core/device.h"
#include "core/event.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"

/* Commits the ioctls build retry this often when the objects changed
 * while a blocking commit waited (the kernel's -EDEADLK backoff). */
#define LEGACY_COMMIT_RETRIES 100

static void *object_find(struct udrm_kms *kms, struct udrm_file *file,
			 uint32_t id, uint32_t type)
{
	return udrm_mode_object_find(kms, file, id, type);
}

/* drm_framebuffer_check_src_coords() */
static int check_src_coords(uint32_t src_x, uint32_t src_y, uint32_t src_w,
			    uint32_t src_h, const struct udrm_framebuffer *fb)
{
	uint64_t fb_w = (uint64_t)fb->width << 16;
	uint64_t fb_h = (uint64_t)fb->height << 16;

	if (src_w > fb_w || src_x > fb_w - src_w || src_h > fb_h ||
	    src_y > fb_h - src_h)
		return -ENOSPC;
	return 0;
}

static bool rotated_90_270(uint32_t rotation)
{
	return rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
}

/* Builds a state with @build and commits it (blocking unless
 * @nonblock), starting again when the objects changed under a waiting
 * commit. Caller holds kms->lock. */
static int legacy_commit(struct udrm_kms *kms, struct udrm_file *file,
			 bool nonblock,
			 int (*build)(struct udrm_atomic_state *, void *),
			 void *arg)
{
	struct udrm_atomic_state *state;
	int ret, tries = 0;

	do {
		state = udrm_atomic_state_alloc(kms, file);
		if (!state)
			return -ENOMEM;
		ret = build(state, arg);
		if (!ret)
			ret = nonblock ? udrm_atomic_nonblocking_commit(state)
				       : udrm_atomic_commit(state);
		if (ret)
			udrm_atomic_state_free(state);
	} while (ret == -EDEADLK && ++tries < LEGACY_COMMIT_RETRIES);
	return ret;
}

/* ------------------------------------------------------------------ */
/* SETCRTC                                                             */

struct set_config {
	struct udrm_crtc *crtc;
	struct drm_mode_modeinfo *mode; /* NULL: off */
	struct udrm_framebuffer *fb;
	uint32_t x, y;
	struct udrm_connector **connectors;
	uint32_t num_connectors;
};

/* drm_atomic_set_mode_for_crtc(): a blob for @mode. */
static int set_mode_for_crtc(struct udrm_kms *kms, struct udrm_crtc_state *cs,
			     const struct drm_mode_modeinfo *mode)
{
	struct udrm_property_blob *blob;
	int ret;

	if (!mode)
		return udrm_atomic_set_mode_prop(cs, NULL);
	if (cs->enable && !memcmp(&cs->mode, mode, sizeof(*mode)))
		return 0;
	ret = udrm_property_blob_create(kms, sizeof(*mode), mode, &blob);
	if (ret)
		return ret;
	ret = udrm_atomic_set_mode_prop(cs, blob);
	udrm_blob_put(blob);
	return ret;
}

/* update_output_state() */
static int update_output_state(struct udrm_atomic_state *state,
			       struct set_config *set)
{
	struct udrm_kms *kms = state->kms;
	unsigned int i;
	int ret;

	ret = udrm_atomic_add_affected_connectors(state, set->crtc);
	if (ret)
		return ret;
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		struct udrm_connector_state *cs =
			state->connectors[i].new_state;

		if (!state->connectors[i].ptr || cs->crtc != set->crtc)
			continue;
		ret = udrm_atomic_set_crtc_for_connector(state, cs, NULL);
		if (ret)
			return ret;
		/* Legacy SETCRTC always retrains. */
		cs->link_status = DRM_MODE_LINK_STATUS_GOOD;
	}
	for (i = 0; i < set->num_connectors; i++) {
		struct udrm_connector_state *cs =
			udrm_atomic_get_connector_state(state,
							set->connectors[i]);

		if (!cs)
			return -ENOMEM;
		ret = udrm_atomic_set_crtc_for_connector(state, cs, set->crtc);
		if (ret)
			return ret;
	}
	for (i = 0; i < kms->num_crtc; i++) {
		struct udrm_crtc_state *cs = state->crtcs[i].new_state;

		if (!state->crtcs[i].ptr || state->crtcs[i].ptr == set->crtc)
			continue;
		if (!cs->connector_mask) {
			ret = udrm_atomic_set_mode_prop(cs, NULL);
			if (ret)
				return ret;
			cs->active = false;
		}
	}
	return 0;
}

/* __drm_atomic_helper_set_config() */
static int build_set_config(struct udrm_atomic_state *state, void *arg)
{
	struct set_config *set = arg;
	struct udrm_crtc *crtc = set->crtc;
	struct udrm_crtc_state *cs;
	struct udrm_plane_state *ps;
	int ret;

	cs = udrm_atomic_get_crtc_state(state, crtc);
	ps = cs ? udrm_atomic_get_plane_state(state, crtc->primary) : NULL;
	if (!ps)
		return -ENOMEM;
	if (!set->mode) {
		ret = set_mode_for_crtc(state->kms, cs, NULL);
		if (ret)
			return ret;
		cs->active = false;
		ret = udrm_atomic_set_crtc_for_plane(state, ps, NULL);
		if (ret)
			return ret;
		udrm_atomic_set_fb_for_plane(ps, NULL);
		return update_output_state(state, set);
	}
	ret = set_mode_for_crtc(state->kms, cs, set->mode);
	if (ret)
		return ret;
	cs->active = true;
	ret = udrm_atomic_set_crtc_for_plane(state, ps, crtc);
	if (ret)
		return ret;
	udrm_atomic_set_fb_for_plane(ps, set->fb);
	ps->crtc_x = 0;
	ps->crtc_y = 0;
	ps->crtc_w = set->mode->hdisplay;
	ps->crtc_h = set->mode->vdisplay;
	ps->src_x = set->x << 16;
	ps->src_y = set->y << 16;
	if (rotated_90_270(ps->rotation)) {
		ps->src_w = (uint32_t)set->mode->vdisplay << 16;
		ps->src_h = (uint32_t)set->mode->hdisplay << 16;
	} else {
		ps->src_w = (uint32_t)set->mode->hdisplay << 16;
		ps->src_h = (uint32_t)set->mode->vdisplay << 16;
	}
	return update_output_state(state, set);
}

int udrm_mode_setcrtc(struct udrm_device *dev, void *data,
		      struct udrm_file *file)
{
	struct drm_mode_crtc *req = data;
	struct udrm_kms *kms = dev->kms;
	struct set_config set = {.x = req->x, .y = req->y};
	struct drm_mode_modeinfo mode;
	struct udrm_framebuffer *fb = NULL;
	struct udrm_crtc *crtc;
	uint32_t i;
	int ret = 0;

	if (!kms)
		return -EOPNOTSUPP;
	/* Plane source offsets are 16.16. */
	if ((req->x & 0xffff0000) || (req->y & 0xffff0000))
		return -ERANGE;

	pthread_mutex_lock(&kms->lock);
	crtc = object_find(kms, file, req->crtc_id, DRM_MODE_OBJECT_CRTC);
	if (!crtc) {
		ret = -ENOENT;
		goto out;
	}
	set.crtc = crtc;
	/* Disabling is allowed with the primary plane leased away. */
	if (req->mode_valid && !udrm_lease_held(file, crtc->primary->base.id)) {
		ret = -EACCES;
		goto out;
	}
	if (req->mode_valid) {
		uint32_t hdisplay, vdisplay;

		if (req->fb_id == (uint32_t)-1) {
			/* The currently bound fb. */
			fb = crtc->primary->state->fb;
			if (!fb) {
				ret = -EINVAL;
				goto out;
			}
			udrm_framebuffer_get(fb);
		} else {
			fb = udrm_framebuffer_lookup(kms, file, req->fb_id);
			if (!fb) {
				ret = -ENOENT;
				goto out;
			}
		}
		mode = req->mode;
		ret = udrm_mode_validate_user(&mode);
		if (ret)
			goto out;
		if (!udrm_plane_has_format(crtc->primary, fb)) {
			ret = -EINVAL;
			goto out;
		}
		/* drm_crtc_check_viewport() */
		hdisplay = mode.hdisplay;
		vdisplay = mode.vdisplay;
		if (rotated_90_270(crtc->primary->state->rotation)) {
			uint32_t t = hdisplay;

			hdisplay = vdisplay;
			vdisplay = t;
		}
		ret = check_src_coords(req->x << 16, req->y << 16,
				       hdisplay << 16, vdisplay << 16, fb);
		if (ret)
			goto out;
		set.mode = &mode;
		set.fb = fb;
	}
	if (req->count_connectors == 0 && set.mode) {
		ret = -EINVAL;
		goto out;
	}
	if (req->count_connectors > 0 && (!set.mode || !fb)) {
		ret = -EINVAL;
		goto out;
	}
	if (req->count_connectors > 0) {
		if (req->count_connectors > kms->num_connector) {
			ret = -EINVAL;
			goto out;
		}
		set.connectors =
			calloc(req->count_connectors, sizeof(*set.connectors));
		if (!set.connectors) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < req->count_connectors; i++) {
			uint32_t id;

			if (udrm_copy_from_user(file, &id,
						req->set_connectors_ptr +
							4ull * i,
						sizeof(id))) {
				ret = -EFAULT;
				goto out;
			}
			set.connectors[i] = object_find(
				kms, file, id, DRM_MODE_OBJECT_CONNECTOR);
			if (!set.connectors[i]) {
				ret = -ENOENT;
				goto out;
			}
		}
		set.num_connectors = req->count_connectors;
	}
	ret = legacy_commit(kms, file, false, build_set_config, &set);
out:
	free(set.connectors);
	if (fb)
		udrm_framebuffer_put(fb);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* SETPLANE and the cursor                                             */

struct plane_update {
	struct udrm_plane *plane;
	struct udrm_crtc *crtc; /* NULL with fb NULL: disable */
	struct udrm_framebuffer *fb;
	int32_t crtc_x, crtc_y;
	uint32_t crtc_w, crtc_h;
	uint32_t src_x, src_y, src_w, src_h;
};

/* drm_atomic_helper_update_plane() / disable_plane() */
static int build_plane_update(struct udrm_atomic_state *state, void *arg)
{
	struct plane_update *u = arg;
	struct udrm_plane_state *ps;
	int ret;

	ps = udrm_atomic_get_plane_state(state, u->plane);
	if (!ps)
		return -ENOMEM;
	if (!u->fb) {
		if (ps->crtc && ps->crtc->cursor == u->plane)
			state->legacy_cursor_update = true;
		ret = udrm_atomic_set_crtc_for_plane(state, ps, NULL);
		if (ret)
			return ret;
		udrm_atomic_set_fb_for_plane(ps, NULL);
		ps->crtc_x = ps->crtc_y = 0;
		ps->crtc_w = ps->crtc_h = 0;
		ps->src_x = ps->src_y = ps->src_w = ps->src_h = 0;
		return 0;
	}
	ret = udrm_atomic_set_crtc_for_plane(state, ps, u->crtc);
	if (ret)
		return ret;
	udrm_atomic_set_fb_for_plane(ps, u->fb);
	ps->crtc_x = u->crtc_x;
	ps->crtc_y = u->crtc_y;
	ps->crtc_w = u->crtc_w;
	ps->crtc_h = u->crtc_h;
	ps->src_x = u->src_x;
	ps->src_y = u->src_y;
	ps->src_w = u->src_w;
	ps->src_h = u->src_h;
	if (u->plane == u->crtc->cursor)
		state->legacy_cursor_update = true;
	return 0;
}

/* __setplane_check() */
static int setplane_check(const struct plane_update *u)
{
	if (!(u->plane->possible_crtcs & (1u << u->crtc->index)))
		return -EINVAL;
	if (!udrm_plane_has_format(u->plane, u->fb))
		return -EINVAL;
	/* Give drivers some help against integer overflows. */
	if (u->crtc_w > INT_MAX || u->crtc_x > INT_MAX - (int32_t)u->crtc_w ||
	    u->crtc_h > INT_MAX || u->crtc_y > INT_MAX - (int32_t)u->crtc_h)
		return -ERANGE;
	return check_src_coords(u->src_x, u->src_y, u->src_w, u->src_h, u->fb);
}

/* __setplane_atomic(). Caller holds kms->lock. */
static int setplane_atomic(struct udrm_kms *kms, struct udrm_file *file,
			   struct plane_update *u)
{
	int ret;

	if (!u->fb) {
		if (!u->plane->state->crtc)
			return 0; /* already off */
		return legacy_commit(kms, file, false, build_plane_update, u);
	}
	ret = setplane_check(u);
	if (ret)
		return ret;
	return legacy_commit(kms, file, false, build_plane_update, u);
}

int udrm_mode_setplane(struct udrm_device *dev, void *data,
		       struct udrm_file *file)
{
	struct drm_mode_set_plane *req = data;
	struct udrm_kms *kms = dev->kms;
	struct plane_update u = {
		.crtc_x = req->crtc_x,
		.crtc_y = req->crtc_y,
		.crtc_w = req->crtc_w,
		.crtc_h = req->crtc_h,
		.src_x = req->src_x,
		.src_y = req->src_y,
		.src_w = req->src_w,
		.src_h = req->src_h,
	};
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	u.plane = object_find(kms, file, req->plane_id, DRM_MODE_OBJECT_PLANE);
	if (!u.plane) {
		ret = -ENOENT;
		goto out;
	}
	if (req->fb_id) {
		u.fb = udrm_framebuffer_lookup(kms, file, req->fb_id);
		if (!u.fb) {
			ret = -ENOENT;
			goto out;
		}
		u.crtc = object_find(kms, file, req->crtc_id,
				     DRM_MODE_OBJECT_CRTC);
		if (!u.crtc) {
			ret = -ENOENT;
			goto out;
		}
	}
	ret = setplane_atomic(kms, file, &u);
out:
	if (u.fb)
		udrm_framebuffer_put(u.fb);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

/* The cursor buffer @handle as an ARGB8888 fb of its own, as
 * drm_internal_framebuffer_create(): made through ADDFB2 and taken off
 * the file's list at once, so only our reference holds it. */
static int cursor_fb_create(struct udrm_device *dev, struct udrm_file *file,
			    const struct drm_mode_cursor2 *req,
			    struct udrm_framebuffer **out)
{
	struct udrm_kms *kms = dev->kms;
	struct drm_mode_fb_cmd2 r = {
		.width = req->width,
		.height = req->height,
		.pixel_format = DRM_FORMAT_ARGB8888,
		.pitches = {req->width * 4},
		.handles = {req->handle},
	};
	struct drm_mode_closefb close_req = {.fb_id = 0};
	int ret;

	ret = udrm_mode_addfb2_ioctl(dev, &r, file);
	if (ret)
		return ret;
	pthread_mutex_lock(&kms->lock);
	*out = udrm_framebuffer_lookup(kms, file, r.fb_id);
	pthread_mutex_unlock(&kms->lock);
	close_req.fb_id = r.fb_id;
	udrm_mode_closefb_ioctl(dev, &close_req, file);
	return *out ? 0 : -ENOENT;
}

#define CURSOR_FLAGS (DRM_MODE_CURSOR_BO | DRM_MODE_CURSOR_MOVE)

/* drm_mode_cursor_common() with drm_mode_cursor_universal() */
static int cursor_common(struct udrm_device *dev, struct drm_mode_cursor2 *req,
			 struct udrm_file *file)
{
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb = NULL;
	struct udrm_crtc *crtc;
	struct udrm_plane *plane;
	struct plane_update u = {.crtc_x = 0};
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	if (!req->flags || (req->flags & ~CURSOR_FLAGS))
		return -EINVAL;
	pthread_mutex_lock(&kms->lock);
	crtc = object_find(kms, file, req->crtc_id, DRM_MODE_OBJECT_CRTC);
	plane = crtc ? crtc->cursor : NULL;
	if (plane && !udrm_lease_held(file, plane->base.id))
		ret = -EACCES;
	else
		ret = crtc ? (plane ? 0 : -ENXIO) : -ENOENT;
	pthread_mutex_unlock(&kms->lock);
	if (ret)
		return ret;

	if (req->flags & DRM_MODE_CURSOR_BO) {
		/* The cursor plane's size limit (DRM_CAP_CURSOR_*). */
		uint32_t max_w = dev->mode_config.cursor_width
					 ? dev->mode_config.cursor_width
					 : 64;
		uint32_t max_h = dev->mode_config.cursor_height
					 ? dev->mode_config.cursor_height
					 : 64;

		if (req->handle && (req->width > max_w || req->height > max_h))
			return -EINVAL;
		if (req->handle) {
			ret = cursor_fb_create(dev, file, req, &fb);
			if (ret)
				return ret;
		}
	}

	pthread_mutex_lock(&kms->lock);
	if (!(req->flags & DRM_MODE_CURSOR_BO)) {
		fb = plane->state->fb;
		if (fb)
			udrm_framebuffer_get(fb);
	}
	if (req->flags & DRM_MODE_CURSOR_MOVE) {
		u.crtc_x = req->x;
		u.crtc_y = req->y;
	} else {
		u.crtc_x = plane->state->crtc_x;
		u.crtc_y = plane->state->crtc_y;
	}
	u.plane = plane;
	u.crtc = crtc;
	u.fb = fb;
	if (fb) {
		u.crtc_w = fb->width;
		u.crtc_h = fb->height;
		u.src_w = fb->width << 16;
		u.src_h = fb->height << 16;
	}
	ret = setplane_atomic(kms, file, &u);
	if (fb)
		udrm_framebuffer_put(fb);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_cursor_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_cursor *req = data;
	struct drm_mode_cursor2 new_req;

	memcpy(&new_req, req, sizeof(*req));
	new_req.hot_x = new_req.hot_y = 0;
	return cursor_common(dev, &new_req, file);
}

int udrm_mode_cursor2_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	return cursor_common(dev, data, file);
}

/* ------------------------------------------------------------------ */
/* PAGE_FLIP                                                           */

struct page_flip {
	struct udrm_crtc *crtc;
	struct udrm_framebuffer *fb;
	struct udrm_pending_event *event; /* handed to the state */
	uint32_t flags;
};

/* page_flip_common() */
static int build_page_flip(struct udrm_atomic_state *state, void *arg)
{
	struct page_flip *f = arg;
	struct udrm_crtc_state *cs;
	struct udrm_plane_state *ps;
	int ret;

	cs = udrm_atomic_get_crtc_state(state, f->crtc);
	if (!cs)
		return -ENOMEM;
	cs->event = f->event;
	f->event = NULL;
	cs->async_flip = f->flags & DRM_MODE_PAGE_FLIP_ASYNC;
	ps = udrm_atomic_get_plane_state(state, f->crtc->primary);
	if (!ps)
		return -ENOMEM;
	ret = udrm_atomic_set_crtc_for_plane(state, ps, f->crtc);
	if (ret)
		return ret;
	udrm_atomic_set_fb_for_plane(ps, f->fb);
	/* Never a full modeset. */
	state->allow_modeset = false;
	if (!cs->active)
		return -EINVAL;
	return 0;
}

#define PAGE_FLIP_FLAGS                                                        \
	(DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_PAGE_FLIP_ASYNC |                 \
	 DRM_MODE_PAGE_FLIP_TARGET)

int udrm_mode_page_flip_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_mode_crtc_page_flip_target *req = data;
	struct udrm_kms *kms = dev->kms;
	struct page_flip f = {.flags = req->flags};
	struct udrm_framebuffer *old_fb;
	struct udrm_plane *plane;
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	if (req->flags & ~PAGE_FLIP_FLAGS)
		return -EINVAL;
	if ((req->flags & DRM_MODE_PAGE_FLIP_ASYNC) && !kms->async_page_flip)
		return -EINVAL;
	if ((req->flags & DRM_MODE_PAGE_FLIP_TARGET) ==
	    DRM_MODE_PAGE_FLIP_TARGET)
		return -EINVAL;

	pthread_mutex_lock(&kms->lock);
	f.crtc = object_find(kms, file, req->crtc_id, DRM_MODE_OBJECT_CRTC);
	if (!f.crtc) {
		ret = -ENOENT;
		goto out;
	}
	plane = f.crtc->primary;
	if (!udrm_lease_held(file, plane->base.id)) {
		ret = -EACCES;
		goto out;
	}
	if (req->flags & DRM_MODE_PAGE_FLIP_TARGET) {
		uint32_t current, target = req->sequence;
		struct timespec time;

		/* drm_crtc_vblank_get() and the target's bounds. */
		if (!dev->mode_config.crtcs_support_flip_target ||
		    !udrm_crtc_vblank_enabled(f.crtc)) {
			ret = -EINVAL;
			goto out;
		}
		current = (uint32_t)udrm_crtc_vblank_count(f.crtc, &time);
		if (((req->flags & DRM_MODE_PAGE_FLIP_TARGET_ABSOLUTE) &&
		     (int32_t)(target - current) > 1) ||
		    ((req->flags & DRM_MODE_PAGE_FLIP_TARGET_RELATIVE) &&
		     target > 1)) {
			ret = -EINVAL;
			goto out;
		}
	}
	old_fb = plane->state->fb;
	if (!old_fb) {
		/* Unbound by a hotplug userspace has not seen yet. */
		ret = -EBUSY;
		goto out;
	}
	f.fb = udrm_framebuffer_lookup(kms, file, req->fb_id);
	if (!f.fb) {
		ret = -ENOENT;
		goto out;
	}
	ret = check_src_coords(plane->state->src_x, plane->state->src_y,
			       plane->state->src_w, plane->state->src_h, f.fb);
	if (ret)
		goto out;
	if (old_fb->format->format != f.fb->format->format) {
		ret = -EINVAL;
		goto out;
	}
	if (req->flags & DRM_MODE_PAGE_FLIP_EVENT) {
		f.event = udrm_pending_event_alloc();
		if (!f.event) {
			ret = -ENOMEM;
			goto out;
		}
		f.event->event.base.type = DRM_EVENT_FLIP_COMPLETE;
		f.event->event.base.length = sizeof(f.event->event.vbl);
		f.event->event.vbl.user_data = req->user_data;
		f.event->event.vbl.crtc_id = f.crtc->base.id;
		ret = udrm_event_reserve(file, f.event->event.base.length);
		if (ret)
			goto out;
		f.event->file = file;
	}
	/* drm_atomic_helper_page_flip(): a nonblocking commit, -EBUSY
	 * while the previous flip is pending. The event moves into the
	 * first state built. */
	ret = legacy_commit(kms, file, true, build_page_flip, &f);
out:
	udrm_pending_event_free(f.event);
	if (f.fb)
		udrm_framebuffer_put(f.fb);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Gamma                                                               */

struct legacy_gamma {
	struct udrm_crtc *crtc;
	struct udrm_property_blob *blob;
};

/* drm_atomic_helper_legacy_gamma_set() */
static int build_gamma(struct udrm_atomic_state *state, void *arg)
{
	struct legacy_gamma *g = arg;
	struct udrm_crtc_state *cs = udrm_atomic_get_crtc_state(state, g->crtc);

	if (!cs)
		return -ENOMEM;
	cs->color_mgmt_changed |= udrm_blob_replace(&cs->gamma_lut, g->blob);
	return 0;
}

int udrm_mode_gamma_set_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_mode_crtc_lut *req = data;
	struct udrm_kms *kms = dev->kms;
	struct legacy_gamma g = {.blob = NULL};
	struct drm_color_lut *lut;
	uint16_t *r, *gr, *b;
	uint32_t i, size;
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	g.crtc = object_find(kms, file, req->crtc_id, DRM_MODE_OBJECT_CRTC);
	if (!g.crtc) {
		ret = -ENOENT;
		goto out;
	}
	if (!g.crtc->gamma_size || !g.crtc->gamma_store) {
		ret = -ENOSYS;
		goto out;
	}
	if (req->gamma_size != g.crtc->gamma_size) {
		ret = -EINVAL;
		goto out;
	}
	size = req->gamma_size;
	r = g.crtc->gamma_store;
	gr = r + size;
	b = gr + size;
	/* Into the legacy store first, as the kernel. */
	if (udrm_copy_from_user(file, r, req->red, size * sizeof(*r)) ||
	    udrm_copy_from_user(file, gr, req->green, size * sizeof(*gr)) ||
	    udrm_copy_from_user(file, b, req->blue, size * sizeof(*b))) {
		ret = -EFAULT;
		goto out;
	}
	ret = udrm_property_blob_create(kms, size * sizeof(*lut), NULL,
					&g.blob);
	if (ret)
		goto out;
	lut = (struct drm_color_lut *)g.blob->data;
	for (i = 0; i < size; i++) {
		lut[i].red = r[i];
		lut[i].green = gr[i];
		lut[i].blue = b[i];
	}
	ret = legacy_commit(kms, file, false, build_gamma, &g);
out:
	udrm_blob_put(g.blob);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_gamma_get_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_mode_crtc_lut *req = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_crtc *crtc;
	uint32_t size;
	uint16_t *r;
	int ret = 0;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	crtc = object_find(kms, file, req->crtc_id, DRM_MODE_OBJECT_CRTC);
	if (!crtc) {
		ret = -ENOENT;
		goto out;
	}
	if (req->gamma_size != crtc->gamma_size) {
		ret = -EINVAL;
		goto out;
	}
	size = crtc->gamma_size;
	r = crtc->gamma_store;
	if (size &&
	    (udrm_copy_to_user(file, req->red, r, size * sizeof(*r)) ||
	     udrm_copy_to_user(file, req->green, r + size, size * sizeof(*r)) ||
	     udrm_copy_to_user(file, req->blue, r + 2 * size,
			       size * sizeof(*r))))
		ret = -EFAULT;
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}
