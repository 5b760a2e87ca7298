// SPDX-License-Identifier: MIT
/*
 * The atomic uapi: properties into states, DRM_IOCTL_MODE_ATOMIC with its
 * events and out-fences, and OBJ_SETPROPERTY/SETPROPERTY, as the kernel's
 * drm_atomic_uapi.c and drm_mode_object.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_internal.h"
#include "core/device.h"
#include "core/event.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"
#include "sync/dma_fence.h"
#include "sync/sync_file.h"

/* Commits the ioctls build retry this often when the objects changed
 * while a blocking commit waited (the kernel's -EDEADLK backoff). */
#define KMS_COMMIT_RETRIES 100

static struct udrm_crtc *crtc_from_id(struct udrm_atomic_state *state,
				      uint64_t id)
{
	struct udrm_mode_object *obj;

	if (!id || id > UINT32_MAX)
		return NULL;
	obj = udrm_mode_object_find(state->kms, state->file, (uint32_t)id,
				    DRM_MODE_OBJECT_CRTC);
	return obj ? (struct udrm_crtc *)obj : NULL;
}

static int plane_set_property(struct udrm_atomic_state *state,
			      struct udrm_plane *plane,
			      struct udrm_plane_state *ps,
			      struct udrm_property *prop, uint64_t val)
{
	struct udrm_kms *kms = state->kms;

	if (prop == kms->prop.fb_id) {
		struct udrm_framebuffer *fb = NULL;

		if (val && val <= UINT32_MAX)
			fb = udrm_framebuffer_lookup(kms, state->file,
						     (uint32_t)val);
		udrm_atomic_set_fb_for_plane(ps, fb);
		if (fb)
			udrm_framebuffer_put(fb);
	} else if (prop == kms->prop.in_fence_fd) {
		if (ps->fence)
			return -EINVAL;
		if ((int64_t)val == -1)
			return 0;
		if ((int64_t)val < 0 || (int64_t)val > INT32_MAX)
			return -EINVAL;
		ps->fence = udrm_sync_file_get_fence((int)val);
		if (!ps->fence)
			return -EINVAL;
	} else if (prop == kms->prop.crtc_id) {
		struct udrm_crtc *crtc = crtc_from_id(state, val);

		if (val && !crtc)
			return -EACCES;
		return udrm_atomic_set_crtc_for_plane(state, ps, crtc);
	} else if (prop == kms->prop.crtc_x) {
		ps->crtc_x = (int32_t)(int64_t)val;
	} else if (prop == kms->prop.crtc_y) {
		ps->crtc_y = (int32_t)(int64_t)val;
	} else if (prop == kms->prop.crtc_w) {
		ps->crtc_w = (uint32_t)val;
	} else if (prop == kms->prop.crtc_h) {
		ps->crtc_h = (uint32_t)val;
	} else if (prop == kms->prop.src_x) {
		ps->src_x = (uint32_t)val;
	} else if (prop == kms->prop.src_y) {
		ps->src_y = (uint32_t)val;
	} else if (prop == kms->prop.src_w) {
		ps->src_w = (uint32_t)val;
	} else if (prop == kms->prop.src_h) {
		ps->src_h = (uint32_t)val;
	} else if (prop && prop == plane->alpha_property) {
		ps->alpha = (uint16_t)val;
	} else if (prop && prop == plane->blend_mode_property) {
		ps->pixel_blend_mode = (uint16_t)val;
	} else if (prop && prop == plane->rotation_property) {
		uint64_t rot = val & DRM_MODE_ROTATE_MASK;

		/* Exactly one rotation. */
		if (!rot || (rot & (rot - 1)))
			return -EINVAL;
		ps->rotation = (uint32_t)val;
	} else if (prop && prop == plane->zpos_property) {
		ps->zpos = (uint32_t)val;
	} else if (prop && prop == plane->color_encoding_property) {
		ps->color_encoding = (uint32_t)val;
	} else if (prop && prop == plane->color_range_property) {
		ps->color_range = (uint32_t)val;
	} else if (prop == kms->prop.fb_damage_clips) {
		/* Damage is a hint; vkms composes whole planes. */
		return 0;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* A blob by id for a blob property (0: none), with a reference. */
static int blob_lookup(struct udrm_atomic_state *state, uint64_t id,
		       struct udrm_property_blob **out)
{
	struct udrm_mode_object *obj;

	*out = NULL;
	if (!id)
		return 0;
	if (id > UINT32_MAX)
		return -EINVAL;
	obj = udrm_mode_object_find(state->kms, NULL, (uint32_t)id,
				    DRM_MODE_OBJECT_BLOB);
	if (!obj)
		return -EINVAL;
	*out = (struct udrm_property_blob *)obj;
	return 0;
}

static int crtc_set_property(struct udrm_atomic_state *state,
			     struct udrm_crtc *crtc, struct udrm_crtc_state *cs,
			     struct udrm_property *prop, uint64_t val)
{
	struct udrm_kms *kms = state->kms;
	struct udrm_property_blob *blob;
	int ret;

	if (prop == kms->prop.active) {
		cs->active = !!val;
	} else if (prop == kms->prop.mode_id) {
		ret = blob_lookup(state, val, &blob);
		if (ret)
			return ret;
		ret = udrm_atomic_set_mode_prop(cs, blob);
		udrm_blob_put(blob);
		return ret;
	} else if (prop == kms->prop.gamma_lut) {
		ret = blob_lookup(state, val, &blob);
		if (ret)
			return ret;
		if (blob && blob->length % sizeof(struct drm_color_lut)) {
			udrm_blob_put(blob);
			return -EINVAL;
		}
		cs->color_mgmt_changed |=
			udrm_blob_replace(&cs->gamma_lut, blob);
		udrm_blob_put(blob);
	} else if (prop == kms->prop.out_fence_ptr) {
		int32_t none = -1;

		if (!val)
			return 0;
		if (udrm_copy_to_user(state->file, val, &none, sizeof(none)))
			return -EFAULT;
		state->crtcs[crtc->index].out_fence_ptr = val;
	} else if (prop == kms->prop.background_color) {
		cs->background_color = val;
	} else if (prop == kms->prop.vrr_enabled) {
		/* No variable refresh: accepted and ignored. */
		return 0;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int connector_set_property(struct udrm_atomic_state *state,
				  struct udrm_connector *conn,
				  struct udrm_connector_state *cs,
				  struct udrm_property *prop, uint64_t val)
{
	struct udrm_kms *kms = state->kms;

	if (prop == kms->prop.conn_crtc_id || prop == kms->prop.crtc_id) {
		struct udrm_crtc *crtc = crtc_from_id(state, val);

		if (val && !crtc)
			return -EACCES;
		return udrm_atomic_set_crtc_for_connector(state, cs, crtc);
	} else if (prop == kms->prop.dpms) {
		/* Only through the legacy path
		 * (drm_atomic_connector_commit_dpms). */
		return -EINVAL;
	} else if (prop == kms->prop.link_status) {
		/* Userspace never downgrades GOOD to BAD. */
		if (cs->link_status != DRM_MODE_LINK_STATUS_GOOD)
			cs->link_status = (uint32_t)val;
	} else if (conn->writeback && prop == kms->prop.writeback_fb_id) {
		struct udrm_framebuffer *fb = NULL;

		if (!cs->writeback_job) {
			cs->writeback_job =
				calloc(1, sizeof(*cs->writeback_job));
			if (!cs->writeback_job)
				return -ENOMEM;
		}
		if (val && val <= UINT32_MAX)
			fb = udrm_framebuffer_lookup(kms, state->file,
						     (uint32_t)val);
		if (fb)
			udrm_framebuffer_get(fb);
		if (cs->writeback_job->fb)
			udrm_framebuffer_put(cs->writeback_job->fb);
		cs->writeback_job->fb = fb;
		if (fb)
			udrm_framebuffer_put(fb);
	} else if (conn->writeback &&
		   prop == kms->prop.writeback_out_fence_ptr) {
		int32_t none = -1;

		if (!val)
			return 0;
		if (udrm_copy_to_user(state->file, val, &none, sizeof(none)))
			return -EFAULT;
		cs->writeback_out_fence_ptr = val;
	} else {
		return -EINVAL;
	}
	return 0;
}

int udrm_atomic_set_property(struct udrm_atomic_state *state,
			     struct udrm_mode_object *obj,
			     struct udrm_property *prop, uint64_t value)
{
	struct udrm_mode_object *ref = NULL;
	int ret;

	if (!udrm_property_value_valid(state->kms, state->file, prop, value,
				       &ref))
		return -EINVAL;
	switch (obj->type) {
	case DRM_MODE_OBJECT_CONNECTOR: {
		struct udrm_connector *conn = (struct udrm_connector *)obj;
		struct udrm_connector_state *cs;

		cs = udrm_atomic_get_connector_state(state, conn);
		ret = cs ? connector_set_property(state, conn, cs, prop, value)
			 : -ENOMEM;
		break;
	}
	case DRM_MODE_OBJECT_CRTC: {
		struct udrm_crtc *crtc = (struct udrm_crtc *)obj;
		struct udrm_crtc_state *cs;

		cs = udrm_atomic_get_crtc_state(state, crtc);
		ret = cs ? crtc_set_property(state, crtc, cs, prop, value)
			 : -ENOMEM;
		break;
	}
	case DRM_MODE_OBJECT_PLANE: {
		struct udrm_plane *plane = (struct udrm_plane *)obj;
		struct udrm_plane_state *ps;

		ps = udrm_atomic_get_plane_state(state, plane);
		ret = ps ? plane_set_property(state, plane, ps, prop, value)
			 : -ENOMEM;
		break;
	}
	default:
		ret = -EINVAL;
		break;
	}
	if (ref)
		udrm_mode_object_put(ref);
	return ret;
}

/* A non-atomic value from the object's property table. */
static int object_value(struct udrm_mode_object *obj,
			struct udrm_property *prop, uint64_t *value)
{
	uint32_t i;

	if (!obj->props)
		return -EINVAL;
	for (i = 0; i < obj->props->count; i++) {
		if (obj->props->props[i] == prop) {
			*value = obj->props->values[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int plane_get_property(struct udrm_plane *plane,
			      struct udrm_property *prop, uint64_t *val)
{
	const struct udrm_plane_state *ps = plane->state;
	struct udrm_kms *kms = plane->kms;

	if (prop == kms->prop.fb_id)
		*val = ps->fb ? ps->fb->base.id : 0;
	else if (prop == kms->prop.in_fence_fd)
		*val = (uint64_t)-1;
	else if (prop == kms->prop.crtc_id)
		*val = ps->crtc ? ps->crtc->base.id : 0;
	else if (prop == kms->prop.crtc_x)
		*val = (uint64_t)(int64_t)ps->crtc_x;
	else if (prop == kms->prop.crtc_y)
		*val = (uint64_t)(int64_t)ps->crtc_y;
	else if (prop == kms->prop.crtc_w)
		*val = ps->crtc_w;
	else if (prop == kms->prop.crtc_h)
		*val = ps->crtc_h;
	else if (prop == kms->prop.src_x)
		*val = ps->src_x;
	else if (prop == kms->prop.src_y)
		*val = ps->src_y;
	else if (prop == kms->prop.src_w)
		*val = ps->src_w;
	else if (prop == kms->prop.src_h)
		*val = ps->src_h;
	else if (prop == plane->alpha_property)
		*val = ps->alpha;
	else if (prop == plane->blend_mode_property)
		*val = ps->pixel_blend_mode;
	else if (prop == plane->rotation_property)
		*val = ps->rotation;
	else if (prop == plane->zpos_property)
		*val = ps->zpos;
	else if (prop == plane->color_encoding_property)
		*val = ps->color_encoding;
	else if (prop == plane->color_range_property)
		*val = ps->color_range;
	else if (prop == kms->prop.fb_damage_clips)
		*val = 0;
	else
		return object_value(&plane->base, prop, val);
	return 0;
}

static int crtc_get_property(struct udrm_crtc *crtc, struct udrm_property *prop,
			     uint64_t *val)
{
	const struct udrm_crtc_state *cs = crtc->state;
	struct udrm_kms *kms = crtc->kms;

	if (prop == kms->prop.active)
		*val = cs->active;
	else if (prop == kms->prop.mode_id)
		*val = cs->mode_blob ? cs->mode_blob->base.id : 0;
	else if (prop == kms->prop.gamma_lut)
		*val = cs->gamma_lut ? cs->gamma_lut->base.id : 0;
	else if (prop == kms->prop.out_fence_ptr)
		*val = 0;
	else if (prop == kms->prop.background_color)
		*val = cs->background_color;
	else
		return object_value(&crtc->base, prop, val);
	return 0;
}

static int connector_get_property(struct udrm_connector *conn,
				  struct udrm_property *prop, uint64_t *val)
{
	const struct udrm_connector_state *cs = conn->state;
	struct udrm_kms *kms = conn->kms;

	if (prop == kms->prop.conn_crtc_id || prop == kms->prop.crtc_id)
		*val = cs->crtc ? cs->crtc->base.id : 0;
	else if (prop == kms->prop.dpms)
		*val = conn->dpms;
	else if (prop == kms->prop.link_status)
		*val = cs->link_status;
	else if (prop == kms->prop.writeback_fb_id ||
		 prop == kms->prop.writeback_out_fence_ptr)
		*val = 0; /* one-shot */
	else
		return object_value(&conn->base, prop, val);
	return 0;
}

int udrm_atomic_get_property(struct udrm_mode_object *obj,
			     struct udrm_property *prop, uint64_t *value)
{
	switch (obj->type) {
	case DRM_MODE_OBJECT_PLANE:
		if (((struct udrm_plane *)obj)->state)
			return plane_get_property((struct udrm_plane *)obj,
						  prop, value);
		break;
	case DRM_MODE_OBJECT_CRTC:
		if (((struct udrm_crtc *)obj)->state)
			return crtc_get_property((struct udrm_crtc *)obj, prop,
						 value);
		break;
	case DRM_MODE_OBJECT_CONNECTOR:
		if (((struct udrm_connector *)obj)->state)
			return connector_get_property(
				(struct udrm_connector *)obj, prop, value);
		break;
	default:
		break;
	}
	return object_value(obj, prop, value);
}

/* ------------------------------------------------------------------ */
/* Out fences and events                                               */

/* No release op: the fence core destroys the fence's own lock, frees it
 * and drops its names after ops->release, so freeing them here too was a
 * use after free once the last sync_file of an out-fence went. */
static const struct udrm_fence_ops out_fence_ops = {
	.release = NULL,
};

/* A fence on its own timeline named after @timeline (a reference). */
static struct udrm_fence *out_fence_create(struct udrm_kms *kms,
					   const char *timeline)
{
	struct udrm_fence *fence = calloc(1, sizeof(*fence));
	struct udrm_fence_names *names;

	if (!fence)
		return NULL;
	names = udrm_fence_names_create(kms->dev->driver->name, timeline);
	udrm_fence_init(fence, &out_fence_ops, NULL, names,
			udrm_fence_context_alloc(1), 1);
	udrm_fence_names_put(names);
	return fence;
}

struct udrm_fence *udrm_kms_out_fence_create(struct udrm_crtc *crtc)
{
	return out_fence_create(crtc->kms, crtc->name);
}

struct out_fence_fds {
	unsigned int count;
	struct {
		uint64_t ptr;
		int fd;
	} f[UDRM_KMS_MAX_CRTCS + UDRM_KMS_MAX_CONNECTORS];
};

/* A sync_file fd for @fence written to user @ptr; recorded in @fds so a
 * failed commit closes it. */
static int setup_out_fence(struct udrm_file *file, struct out_fence_fds *fds,
			   uint64_t ptr, struct udrm_fence *fence)
{
	int32_t fd = udrm_sync_file_create(fence, true);

	if (fd < 0)
		return fd;
	fds->f[fds->count].ptr = ptr;
	fds->f[fds->count].fd = fd;
	fds->count++;
	if (udrm_copy_to_user(file, ptr, &fd, sizeof(fd)))
		return -EFAULT;
	return 0;
}

/* prepare_signaling(): flip events and out fences for every CRTC. */
static int prepare_signaling(struct udrm_atomic_state *state, uint32_t flags,
			     uint64_t user_data, struct out_fence_fds *fds)
{
	struct udrm_file *file = state->file;
	unsigned int i, crtcs = 0;
	int ret;

	if (flags & DRM_MODE_ATOMIC_TEST_ONLY)
		return 0;
	for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++) {
		struct udrm_crtc *crtc = state->crtcs[i].ptr;
		struct udrm_crtc_state *cs = state->crtcs[i].new_state;
		uint64_t fence_ptr = state->crtcs[i].out_fence_ptr;
		struct udrm_pending_event *e;

		if (!crtc)
			continue;
		state->crtcs[i].out_fence_ptr = 0;
		if ((flags & DRM_MODE_PAGE_FLIP_EVENT) || fence_ptr) {
			e = udrm_pending_event_alloc();
			if (!e)
				return -ENOMEM;
			e->event.base.type = DRM_EVENT_FLIP_COMPLETE;
			e->event.base.length = sizeof(e->event.vbl);
			e->event.vbl.crtc_id = crtc->base.id;
			e->event.vbl.user_data = user_data;
			cs->event = e;
		}
		if ((flags & DRM_MODE_PAGE_FLIP_EVENT) && file) {
			ret = udrm_event_reserve(file,
						 cs->event->event.base.length);
			if (ret) {
				udrm_pending_event_free(cs->event);
				cs->event = NULL;
				return ret;
			}
			cs->event->file = file;
		}
		if (fence_ptr) {
			cs->out_fence = udrm_kms_out_fence_create(crtc);
			if (!cs->out_fence)
				return -ENOMEM;
			ret = setup_out_fence(file, fds, fence_ptr,
					      cs->out_fence);
			if (ret)
				return ret;
		}
		crtcs++;
	}
	for (i = 0; i < UDRM_KMS_MAX_CONNECTORS; i++) {
		struct udrm_connector *conn = state->connectors[i].ptr;
		struct udrm_connector_state *cs =
			state->connectors[i].new_state;
		uint64_t fence_ptr;

		if (!conn || !cs->writeback_job)
			continue;
		fence_ptr = cs->writeback_out_fence_ptr;
		cs->writeback_out_fence_ptr = 0;
		if (!fence_ptr)
			continue;
		cs->writeback_job->out_fence =
			out_fence_create(state->kms, conn->name);
		if (!cs->writeback_job->out_fence)
			return -ENOMEM;
		ret = setup_out_fence(file, fds, fence_ptr,
				      cs->writeback_job->out_fence);
		if (ret)
			return ret;
	}
	/* An event that no CRTC would ever send. */
	if (!crtcs && (flags & DRM_MODE_PAGE_FLIP_EVENT))
		return -EINVAL;
	return 0;
}

/* complete_signaling() for a failed commit: the fds go, the user's
 * pointers get -1. */
static void unwind_signaling(struct udrm_file *file, struct out_fence_fds *fds)
{
	int32_t none = -1;
	unsigned int i;

	for (i = 0; i < fds->count; i++) {
		udrm_fd_uninstall(fds->f[i].fd);
		udrm_copy_to_user(file, fds->f[i].ptr, &none, sizeof(none));
	}
	fds->count = 0;
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

static struct udrm_property *object_find_prop(struct udrm_mode_object *obj,
					      uint32_t prop_id)
{
	uint32_t i;

	if (!obj->props)
		return NULL;
	for (i = 0; i < obj->props->count; i++)
		if (obj->props->props[i]->base.id == prop_id)
			return obj->props->props[i];
	return NULL;
}

#define ATOMIC_FLAGS                                                           \
	(DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_PAGE_FLIP_ASYNC |                 \
	 DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_NONBLOCK |                \
	 DRM_MODE_ATOMIC_ALLOW_MODESET)

/* An async flip may change nothing but FB_ID, and only on primary
 * planes (drm_atomic_check_prop_changes). */
static int async_prop_check(struct udrm_atomic_state *state,
			    struct udrm_mode_object *obj,
			    struct udrm_property *prop, uint64_t value)
{
	uint64_t old;

	if (prop == state->kms->prop.fb_id) {
		if (obj->type != DRM_MODE_OBJECT_PLANE ||
		    ((struct udrm_plane *)obj)->type != DRM_PLANE_TYPE_PRIMARY)
			return -EINVAL;
		return 0;
	}
	if (udrm_atomic_get_property(obj, prop, &old) || old != value)
		return -EINVAL;
	return 0;
}

/* One build-and-commit of the ioctl; -EDEADLK to start again. */
static int atomic_ioctl_try(struct udrm_kms *kms, struct udrm_file *file,
			    struct drm_mode_atomic *arg)
{
	struct udrm_atomic_state *state;
	struct out_fence_fds fds = {.count = 0};
	uint32_t i, j, copied_props = 0;
	bool async = arg->flags & DRM_MODE_PAGE_FLIP_ASYNC;
	int ret = 0;

	state = udrm_atomic_state_alloc(kms, file);
	if (!state)
		return -ENOMEM;
	state->allow_modeset = arg->flags & DRM_MODE_ATOMIC_ALLOW_MODESET;

	for (i = 0; i < arg->count_objs && !ret; i++) {
		struct udrm_mode_object *obj;
		uint32_t obj_id, count_props;

		if (udrm_copy_from_user(file, &obj_id, arg->objs_ptr + 4ull * i,
					4)) {
			ret = -EFAULT;
			break;
		}
		obj = udrm_mode_object_find(kms, file, obj_id,
					    DRM_MODE_OBJECT_ANY);
		if (!obj) {
			ret = -ENOENT;
			break;
		}
		if (!obj->props || !obj->props->count) {
			udrm_mode_object_put(obj);
			ret = -ENOENT;
			break;
		}
		if (udrm_copy_from_user(file, &count_props,
					arg->count_props_ptr + 4ull * i, 4)) {
			udrm_mode_object_put(obj);
			ret = -EFAULT;
			break;
		}
		for (j = 0; j < count_props; j++) {
			struct udrm_property *prop;
			uint32_t prop_id;
			uint64_t value;

			if (udrm_copy_from_user(
				    file, &prop_id,
				    arg->props_ptr + 4ull * copied_props, 4)) {
				ret = -EFAULT;
				break;
			}
			prop = object_find_prop(obj, prop_id);
			if (!prop) {
				ret = -ENOENT;
				break;
			}
			if (udrm_copy_from_user(file, &value,
						arg->prop_values_ptr +
							8ull * copied_props,
						8)) {
				ret = -EFAULT;
				break;
			}
			if (async) {
				ret = async_prop_check(state, obj, prop, value);
				if (ret)
					break;
			}
			ret = udrm_atomic_set_property(state, obj, prop, value);
			if (ret)
				break;
			copied_props++;
		}
		udrm_mode_object_put(obj);
	}
	if (!ret && async)
		for (i = 0; i < UDRM_KMS_MAX_CRTCS; i++)
			if (state->crtcs[i].ptr)
				state->crtcs[i].new_state->async_flip = true;
	if (!ret)
		ret = prepare_signaling(state, arg->flags, arg->user_data,
					&fds);
	if (!ret) {
		if (arg->flags & DRM_MODE_ATOMIC_TEST_ONLY)
			ret = udrm_atomic_check_only(state);
		else if (arg->flags & DRM_MODE_ATOMIC_NONBLOCK)
			ret = udrm_atomic_nonblocking_commit(state);
		else
			ret = udrm_atomic_commit(state);
		/* A successful commit consumed the state. */
		if (!ret && !(arg->flags & DRM_MODE_ATOMIC_TEST_ONLY))
			return 0;
	}
	if (ret)
		unwind_signaling(file, &fds);
	udrm_atomic_state_free(state);
	return ret;
}

int udrm_mode_atomic_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_atomic *arg = data;
	struct udrm_kms *kms = dev->kms;
	bool atomic;
	int ret, tries = 0;

	if (!kms || !udrm_core_check_feature(dev, UDRM_FEAT_ATOMIC))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	atomic = file->atomic;
	pthread_mutex_unlock(&dev->lock);
	if (!atomic)
		return -EINVAL;
	if (arg->flags & ~ATOMIC_FLAGS)
		return -EINVAL;
	if (arg->reserved)
		return -EINVAL;
	if ((arg->flags & DRM_MODE_PAGE_FLIP_ASYNC) && !kms->async_page_flip)
		return -EINVAL;
	/* No event can come from a test. */
	if ((arg->flags & DRM_MODE_ATOMIC_TEST_ONLY) &&
	    (arg->flags & DRM_MODE_PAGE_FLIP_EVENT))
		return -EINVAL;

	pthread_mutex_lock(&kms->lock);
	do
		ret = atomic_ioctl_try(kms, file, arg);
	while (ret == -EDEADLK && ++tries < KMS_COMMIT_RETRIES);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

/* drm_atomic_connector_commit_dpms(). Caller holds kms->lock. Returns 1
 * when nothing was committed (no CRTC): the caller frees @state. */
static int connector_commit_dpms(struct udrm_atomic_state *state,
				 struct udrm_connector *conn, uint64_t mode)
{
	struct udrm_kms *kms = state->kms;
	uint32_t old_mode = conn->dpms;
	struct udrm_crtc_state *crtc_state;
	struct udrm_crtc *crtc;
	bool active = false;
	unsigned int i;
	int ret;

	conn->dpms =
		mode == DRM_MODE_DPMS_ON ? DRM_MODE_DPMS_ON : DRM_MODE_DPMS_OFF;
	crtc = conn->state->crtc;
	if (!crtc)
		return 1;
	ret = udrm_atomic_add_affected_connectors(state, crtc);
	crtc_state = udrm_atomic_get_crtc_state(state, crtc);
	if (!ret && !crtc_state)
		ret = -ENOMEM;
	if (!ret) {
		for (i = 0; i < kms->num_connector; i++) {
			struct udrm_connector_state *cs =
				udrm_atomic_new_connector_state(
					state, kms->connectors[i]);

			if (cs && cs->crtc == crtc &&
			    kms->connectors[i]->dpms == DRM_MODE_DPMS_ON)
				active = true;
		}
		crtc_state->active = active;
		ret = udrm_atomic_commit(state);
	}
	if (ret)
		conn->dpms = old_mode;
	return ret;
}

/* set_property_atomic(): one property, one blocking commit. Caller holds
 * kms->lock. */
static int set_property_atomic(struct udrm_kms *kms, struct udrm_file *file,
			       struct udrm_mode_object *obj,
			       struct udrm_property *prop, uint64_t value)
{
	struct udrm_atomic_state *state;
	int ret, tries = 0;

	do {
		state = udrm_atomic_state_alloc(kms, file);
		if (!state)
			return -ENOMEM;
		if (prop == kms->prop.dpms) {
			ret = obj->type == DRM_MODE_OBJECT_CONNECTOR
				      ? connector_commit_dpms(
						state,
						(struct udrm_connector *)obj,
						value)
				      : -EINVAL;
		} else {
			ret = udrm_atomic_set_property(state, obj, prop, value);
			if (!ret)
				ret = udrm_atomic_commit(state);
		}
		if (ret)
			udrm_atomic_state_free(state);
		if (ret == 1)
			return 0;
	} while (ret == -EDEADLK && ++tries < KMS_COMMIT_RETRIES);
	return ret;
}

int udrm_mode_obj_set_property_ioctl(struct udrm_device *dev, void *data,
				     struct udrm_file *file)
{
	struct drm_mode_obj_set_property *arg = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_mode_object *obj;
	struct udrm_property *prop;
	int ret;

	if (!kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	obj = udrm_mode_object_find(kms, file, arg->obj_id, arg->obj_type);
	if (!obj) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	prop = object_find_prop(obj, arg->prop_id);
	if (!prop)
		ret = -EINVAL;
	else
		ret = set_property_atomic(kms, file, obj, prop, arg->value);
	udrm_mode_object_put(obj);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_connector_property_set_ioctl(struct udrm_device *dev, void *data,
				      struct udrm_file *file)
{
	struct drm_mode_connector_set_property *arg = data;
	struct drm_mode_obj_set_property obj_arg = {
		.value = arg->value,
		.prop_id = arg->prop_id,
		.obj_id = arg->connector_id,
		.obj_type = DRM_MODE_OBJECT_CONNECTOR,
	};

	return udrm_mode_obj_set_property_ioctl(dev, &obj_arg, file);
}
