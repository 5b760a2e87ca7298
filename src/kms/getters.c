// SPDX-License-Identifier: MIT
/*
 * The KMS query ioctls: GETRESOURCES, GETPLANERESOURCES, GETCRTC,
 * GETPLANE, GETENCODER, GETCONNECTOR and OBJ_GETPROPERTIES, as the
 * kernel's drm_mode_config.c, drm_plane.c, drm_crtc.c, drm_encoder.c,
 * drm_connector.c and drm_mode_object.c. Arrays follow the two-call
 * protocol: the count is always reported, the array is written only when
 * the caller's count is large enough.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/device.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"
#include "objects_internal.h"

static bool modeset_ok(struct udrm_device *dev)
{
	return udrm_core_check_feature(dev, UDRM_FEAT_MODESET) && dev->kms;
}

/* Writes @id at index @i of the user array @ptr when @i < @room. */
static int put_id(struct udrm_file *file, uint64_t ptr, uint32_t i,
		  uint32_t room, uint32_t id)
{
	if (i >= room)
		return 0;
	return udrm_copy_to_user(file, ptr + i * 4ull, &id, sizeof(id));
}

int udrm_mode_getresources(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_card_res *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	uint32_t count;
	unsigned int i;
	int ret = 0;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	count = 0;
	for (fb = file->fbs; fb; fb = fb->next) {
		ret = put_id(file, r->fb_id_ptr, count, r->count_fbs,
			     fb->base.id);
		if (ret)
			goto out;
		count++;
	}
	r->count_fbs = count;
	r->max_height = kms->max_height;
	r->min_height = kms->min_height;
	r->max_width = kms->max_width;
	r->min_width = kms->min_width;

	count = 0;
	for (i = 0; i < kms->num_crtc; i++) {
		uint32_t id = kms->crtcs[i]->base.id;

		if (!udrm_lease_held(file, id))
			continue;
		ret = put_id(file, r->crtc_id_ptr, count, r->count_crtcs, id);
		if (ret)
			goto out;
		count++;
	}
	r->count_crtcs = count;

	count = 0;
	for (i = 0; i < kms->num_encoder; i++) {
		ret = put_id(file, r->encoder_id_ptr, count, r->count_encoders,
			     kms->encoders[i]->base.id);
		if (ret)
			goto out;
		count++;
	}
	r->count_encoders = count;

	count = 0;
	for (i = 0; i < kms->num_connector; i++) {
		struct udrm_connector *conn = kms->connectors[i];

		/* Writeback connectors only for clients that know them. */
		if (conn->connector_type == DRM_MODE_CONNECTOR_WRITEBACK &&
		    !file->writeback_connectors)
			continue;
		if (!conn->base.id || !udrm_lease_held(file, conn->base.id))
			continue;
		ret = put_id(file, r->connector_id_ptr, count,
			     r->count_connectors, conn->base.id);
		if (ret)
			goto out;
		count++;
	}
	r->count_connectors = count;
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_getplane_res(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_get_plane_res *r = data;
	struct udrm_kms *kms = dev->kms;
	uint32_t count = 0;
	unsigned int i;
	int ret = 0;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	for (i = 0; i < kms->num_total_plane; i++) {
		struct udrm_plane *plane = kms->planes[i];

		/* Only overlays unless the client asked for all planes. */
		if (plane->type != DRM_PLANE_TYPE_OVERLAY &&
		    !file->universal_planes)
			continue;
		/* Virtualized cursors need hotspot-aware atomic clients. */
		if (plane->type == DRM_PLANE_TYPE_CURSOR &&
		    udrm_core_check_feature(dev, UDRM_FEAT_CURSOR_HOTSPOT) &&
		    file->atomic && !file->supports_virtualized_cursor_plane)
			continue;
		if (!udrm_lease_held(file, plane->base.id))
			continue;
		ret = put_id(file, r->plane_id_ptr, count, r->count_planes,
			     plane->base.id);
		if (ret)
			goto out;
		count++;
	}
	r->count_planes = count;
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_getcrtc(struct udrm_device *dev, void *data,
		      struct udrm_file *file)
{
	struct drm_mode_crtc *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_crtc *crtc;
	struct udrm_plane_state *ps;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	crtc = udrm_crtc_find(kms, file, r->crtc_id);
	if (!crtc) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	r->gamma_size = crtc->gamma_size;
	ps = crtc->primary ? crtc->primary->state : NULL;
	r->fb_id = ps && ps->fb ? ps->fb->base.id : 0;
	if (ps) {
		r->x = ps->src_x >> 16;
		r->y = ps->src_y >> 16;
	}
	if (crtc->state->enable) {
		r->mode = crtc->state->mode;
		r->mode_valid = 1;
	} else {
		/* The mode is left as the caller passed it, as the kernel. */
		r->mode_valid = 0;
	}
	if (!file->aspect_ratio_allowed)
		r->mode.flags &= ~DRM_MODE_FLAG_PIC_AR_MASK;
	pthread_mutex_unlock(&kms->lock);
	return 0;
}

int udrm_mode_getplane(struct udrm_device *dev, void *data,
		       struct udrm_file *file)
{
	struct drm_mode_get_plane *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_plane *plane;
	struct udrm_plane_state *ps;
	int ret = 0;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	plane = udrm_plane_find(kms, file, r->plane_id);
	if (!plane) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	ps = plane->state;
	r->crtc_id = ps->crtc && udrm_lease_held(file, ps->crtc->base.id)
			     ? ps->crtc->base.id
			     : 0;
	r->fb_id = ps->fb ? ps->fb->base.id : 0;
	r->plane_id = plane->base.id;
	r->possible_crtcs =
		udrm_lease_filter_crtcs(file, plane->possible_crtcs);
	r->gamma_size = 0;
	if (plane->format_count && r->count_format_types >= plane->format_count)
		ret = udrm_copy_to_user(file, r->format_type_ptr,
					plane->formats,
					plane->format_count * sizeof(uint32_t));
	if (!ret)
		r->count_format_types = plane->format_count;
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_getencoder(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	struct drm_mode_get_encoder *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_encoder *enc;
	struct udrm_crtc *crtc = NULL;
	unsigned int i;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	enc = udrm_encoder_find(kms, file, r->encoder_id);
	if (!enc) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	/* drm_encoder_get_crtc(): the CRTC of a connector routed to it. */
	for (i = 0; i < kms->num_connector; i++) {
		struct udrm_connector_state *cs = kms->connectors[i]->state;

		if (cs && cs->best_encoder == enc) {
			crtc = cs->crtc;
			break;
		}
	}
	r->crtc_id = crtc && udrm_lease_held(file, crtc->base.id)
			     ? crtc->base.id
			     : 0;
	r->encoder_type = enc->type;
	r->encoder_id = enc->base.id;
	r->possible_crtcs = udrm_lease_filter_crtcs(file, enc->possible_crtcs);
	r->possible_clones = enc->possible_clones;
	pthread_mutex_unlock(&kms->lock);
	return 0;
}

int udrm_object_get_properties(struct udrm_file *file,
			       struct udrm_mode_object *obj, bool atomic,
			       uint64_t props_ptr, uint64_t values_ptr,
			       uint32_t *count)
{
	struct udrm_object_props *props = obj->props;
	uint32_t i, n = 0;
	int ret;

	for (i = 0; props && i < props->count; i++) {
		struct udrm_property *prop = props->props[i];
		uint64_t val;

		/* Atomic properties only for atomic clients. */
		if ((prop->flags & DRM_MODE_PROP_ATOMIC) && !atomic)
			continue;
		if (*count > n) {
			ret = udrm_atomic_get_property(obj, prop, &val);
			if (ret)
				return ret;
			ret = udrm_copy_to_user(file, props_ptr + n * 4ull,
						&prop->base.id, 4);
			if (ret)
				return ret;
			ret = udrm_copy_to_user(file, values_ptr + n * 8ull,
						&val, 8);
			if (ret)
				return ret;
		}
		n++;
	}
	*count = n;
	return 0;
}

int udrm_mode_obj_get_properties_ioctl(struct udrm_device *dev, void *data,
				       struct udrm_file *file)
{
	struct drm_mode_obj_get_properties *arg = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_mode_object *obj;
	int ret;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	obj = udrm_mode_object_find(kms, file, arg->obj_id, arg->obj_type);
	if (!obj) {
		ret = -ENOENT;
		goto out;
	}
	if (!obj->props)
		ret = -EINVAL;
	else
		ret = udrm_object_get_properties(
			file, obj, file->atomic, arg->props_ptr,
			arg->prop_values_ptr, &arg->count_props);
	udrm_mode_object_put(obj);
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

/* drm_mode_expose_to_userspace(): stereo modes only for stereo clients;
 * without the aspect-ratio cap, a mode equal to one already exposed but
 * for its aspect ratio is hidden. */
static bool expose_mode(const struct drm_mode_modeinfo *modes,
			const bool *exposed, uint32_t i,
			const struct udrm_file *file)
{
	const struct drm_mode_modeinfo *m = &modes[i];
	uint32_t j;

	if (!file->stereo_allowed && (m->flags & DRM_MODE_FLAG_3D_MASK))
		return false;
	if (file->aspect_ratio_allowed)
		return true;
	for (j = 0; j < i; j++) {
		const struct drm_mode_modeinfo *o = &modes[j];

		if (exposed[j] && o->clock == m->clock &&
		    o->hdisplay == m->hdisplay &&
		    o->hsync_start == m->hsync_start &&
		    o->hsync_end == m->hsync_end && o->htotal == m->htotal &&
		    o->hskew == m->hskew && o->vdisplay == m->vdisplay &&
		    o->vsync_start == m->vsync_start &&
		    o->vsync_end == m->vsync_end && o->vtotal == m->vtotal &&
		    o->vscan == m->vscan &&
		    (o->flags & ~DRM_MODE_FLAG_PIC_AR_MASK) ==
			    (m->flags & ~DRM_MODE_FLAG_PIC_AR_MASK))
			return false;
	}
	return true;
}

int udrm_mode_getconnector(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_get_connector *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_connector *conn;
	struct udrm_connector_state *cs;
	bool exposed[256], *expose = exposed;
	uint32_t count, i, copied;
	bool master;
	int ret = 0;

	if (!modeset_ok(dev))
		return -EOPNOTSUPP;
	master = udrm_is_current_master(file);
	pthread_mutex_lock(&kms->lock);
	conn = udrm_connector_find(kms, file, r->connector_id);
	if (!conn) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}

	count = (uint32_t)__builtin_popcount(conn->possible_encoders);
	if (count && r->count_encoders >= count) {
		copied = 0;
		for (i = 0; i < kms->num_encoder; i++) {
			if (!(conn->possible_encoders & (1u << i)))
				continue;
			ret = put_id(file, r->encoders_ptr, copied, count,
				     kms->encoders[i]->base.id);
			if (ret)
				goto out;
			copied++;
		}
	}
	r->count_encoders = count;
	r->connector_id = conn->base.id;
	r->connector_type = conn->connector_type;
	r->connector_type_id = conn->connector_type_id;

	/* A probe only for the current master; others read the last one. */
	if (r->count_modes == 0 && master)
		udrm_connector_probe(conn);
	r->mm_width = conn->mm_width;
	r->mm_height = conn->mm_height;
	r->subpixel = conn->subpixel;
	r->connection = conn->status;

	if (conn->num_modes > sizeof(exposed) / sizeof(exposed[0])) {
		expose = calloc(conn->num_modes, sizeof(*expose));
		if (!expose) {
			ret = -ENOMEM;
			goto out;
		}
	}
	count = 0;
	for (i = 0; i < conn->num_modes; i++) {
		expose[i] = expose_mode(conn->modes, expose, i, file);
		count += expose[i];
	}
	if (count && r->count_modes >= count) {
		copied = 0;
		for (i = 0; i < conn->num_modes; i++) {
			struct drm_mode_modeinfo m = conn->modes[i];

			if (!expose[i])
				continue;
			if (!file->aspect_ratio_allowed)
				m.flags &= ~DRM_MODE_FLAG_PIC_AR_MASK;
			ret = udrm_copy_to_user(
				file,
				r->modes_ptr + copied * (uint64_t)sizeof(m), &m,
				sizeof(m));
			if (ret)
				goto out;
			copied++;
		}
	}
	r->count_modes = count;

	cs = conn->state;
	r->encoder_id = cs && cs->best_encoder ? cs->best_encoder->base.id : 0;
	/* Properties after the probe, so they reflect it. */
	ret = udrm_object_get_properties(file, &conn->base, file->atomic,
					 r->props_ptr, r->prop_values_ptr,
					 &r->count_props);
out:
	if (expose != exposed)
		free(expose);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}
