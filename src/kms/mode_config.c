// SPDX-License-Identifier: MIT
/*
 * The device's KMS and its topology, as the kernel's drm_mode_config.c,
 * drm_crtc.c, drm_plane.c, drm_encoder.c, drm_connector.c, drm_blend.c,
 * drm_color_mgmt.c, drm_writeback.c and the probe helper: standard
 * properties, object initialisation with their properties and initial
 * states, connector probing and modes, mode helpers, and the per-file
 * hooks.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "atomic_internal.h"
#include "core/device.h"
#include "core/file.h"
#include "kms.h"
#include "objects_internal.h"

/* ------------------------------------------------------------------ */
/* Standard properties                                                 */

static const struct udrm_property_enum plane_type_enums[] = {
	{DRM_PLANE_TYPE_OVERLAY, "Overlay"},
	{DRM_PLANE_TYPE_PRIMARY, "Primary"},
	{DRM_PLANE_TYPE_CURSOR, "Cursor"},
};

static const struct udrm_property_enum dpms_enums[] = {
	{DRM_MODE_DPMS_ON, "On"},
	{DRM_MODE_DPMS_STANDBY, "Standby"},
	{DRM_MODE_DPMS_SUSPEND, "Suspend"},
	{DRM_MODE_DPMS_OFF, "Off"},
};

static const struct udrm_property_enum link_status_enums[] = {
	{DRM_MODE_LINK_STATUS_GOOD, "Good"},
	{DRM_MODE_LINK_STATUS_BAD, "Bad"},
};

#define N_ENUMS(list) ((int)(sizeof(list) / sizeof((list)[0])))

/* drm_mode_create_standard_properties() and the connector, writeback and
 * colour ones the kernel makes on demand: all made once here. */
static int create_standard_properties(struct udrm_kms *kms)
{
	const uint32_t A = DRM_MODE_PROP_ATOMIC;
	const uint32_t I = DRM_MODE_PROP_IMMUTABLE;

	kms->prop.plane_type = udrm_property_create_enum(
		kms, I, "type", plane_type_enums, N_ENUMS(plane_type_enums));
	kms->prop.src_x =
		udrm_property_create_range(kms, A, "SRC_X", 0, UINT32_MAX);
	kms->prop.src_y =
		udrm_property_create_range(kms, A, "SRC_Y", 0, UINT32_MAX);
	kms->prop.src_w =
		udrm_property_create_range(kms, A, "SRC_W", 0, UINT32_MAX);
	kms->prop.src_h =
		udrm_property_create_range(kms, A, "SRC_H", 0, UINT32_MAX);
	kms->prop.crtc_x = udrm_property_create_signed_range(
		kms, A, "CRTC_X", INT32_MIN, INT32_MAX);
	kms->prop.crtc_y = udrm_property_create_signed_range(
		kms, A, "CRTC_Y", INT32_MIN, INT32_MAX);
	kms->prop.crtc_w =
		udrm_property_create_range(kms, A, "CRTC_W", 0, INT32_MAX);
	kms->prop.crtc_h =
		udrm_property_create_range(kms, A, "CRTC_H", 0, INT32_MAX);
	kms->prop.fb_id = udrm_property_create_object(kms, A, "FB_ID",
						      DRM_MODE_OBJECT_FB);
	kms->prop.in_fence_fd = udrm_property_create_signed_range(
		kms, A, "IN_FENCE_FD", -1, INT32_MAX);
	kms->prop.crtc_id = udrm_property_create_object(kms, A, "CRTC_ID",
							DRM_MODE_OBJECT_CRTC);
	kms->prop.conn_crtc_id =
		kms->prop.crtc_id; /* the kernel's prop_crtc_id serves both */
	kms->prop.fb_damage_clips =
		udrm_property_create_blob(kms, A, "FB_DAMAGE_CLIPS");
	kms->prop.in_formats = udrm_property_create_blob(kms, I, "IN_FORMATS");

	kms->prop.active = udrm_property_create_bool(kms, A, "ACTIVE");
	kms->prop.mode_id = udrm_property_create_blob(kms, A, "MODE_ID");
	kms->prop.out_fence_ptr = udrm_property_create_range(
		kms, A, "OUT_FENCE_PTR", 0, UINT64_MAX);
	kms->prop.vrr_enabled =
		udrm_property_create_bool(kms, 0, "VRR_ENABLED");
	kms->prop.degamma_lut =
		udrm_property_create_blob(kms, 0, "DEGAMMA_LUT");
	kms->prop.degamma_lut_size = udrm_property_create_range(
		kms, I, "DEGAMMA_LUT_SIZE", 0, UINT32_MAX);
	kms->prop.ctm = udrm_property_create_blob(kms, 0, "CTM");
	kms->prop.gamma_lut = udrm_property_create_blob(kms, 0, "GAMMA_LUT");
	kms->prop.gamma_lut_size = udrm_property_create_range(
		kms, I, "GAMMA_LUT_SIZE", 0, UINT32_MAX);
	/* Not upstream: the proposed CRTC background colour (DRM_ARGB64). */
	kms->prop.background_color = udrm_property_create_range(
		kms, 0, "BACKGROUND_COLOR", 0, UINT64_MAX);

	kms->prop.edid = udrm_property_create_blob(kms, I, "EDID");
	kms->prop.dpms = udrm_property_create_enum(kms, 0, "DPMS", dpms_enums,
						   N_ENUMS(dpms_enums));
	kms->prop.path = udrm_property_create_blob(kms, I, "PATH");
	kms->prop.tile = udrm_property_create_blob(kms, I, "TILE");
	kms->prop.link_status = udrm_property_create_enum(
		kms, 0, "link-status", link_status_enums,
		N_ENUMS(link_status_enums));
	kms->prop.non_desktop =
		udrm_property_create_bool(kms, I, "non-desktop");

	kms->prop.writeback_fb_id = udrm_property_create_object(
		kms, A, "WRITEBACK_FB_ID", DRM_MODE_OBJECT_FB);
	kms->prop.writeback_pixel_formats =
		udrm_property_create_blob(kms, I, "WRITEBACK_PIXEL_FORMATS");
	kms->prop.writeback_out_fence_ptr = udrm_property_create_range(
		kms, A, "WRITEBACK_OUT_FENCE_PTR", 0, UINT64_MAX);

	if (!kms->prop.plane_type || !kms->prop.src_x || !kms->prop.src_y ||
	    !kms->prop.src_w || !kms->prop.src_h || !kms->prop.crtc_x ||
	    !kms->prop.crtc_y || !kms->prop.crtc_w || !kms->prop.crtc_h ||
	    !kms->prop.fb_id || !kms->prop.in_fence_fd || !kms->prop.crtc_id ||
	    !kms->prop.fb_damage_clips || !kms->prop.in_formats ||
	    !kms->prop.active || !kms->prop.mode_id ||
	    !kms->prop.out_fence_ptr || !kms->prop.vrr_enabled ||
	    !kms->prop.degamma_lut || !kms->prop.degamma_lut_size ||
	    !kms->prop.ctm || !kms->prop.gamma_lut ||
	    !kms->prop.gamma_lut_size || !kms->prop.background_color ||
	    !kms->prop.edid || !kms->prop.dpms || !kms->prop.path ||
	    !kms->prop.tile || !kms->prop.link_status ||
	    !kms->prop.non_desktop || !kms->prop.writeback_fb_id ||
	    !kms->prop.writeback_pixel_formats ||
	    !kms->prop.writeback_out_fence_ptr)
		return -ENOMEM;
	return 0;
}

static bool is_atomic_driver(struct udrm_kms *kms)
{
	return udrm_core_check_feature(kms->dev, UDRM_FEAT_ATOMIC);
}

/* ------------------------------------------------------------------ */
/* The kms                                                             */

int udrm_kms_init(struct udrm_device *dev, const struct udrm_kms_funcs *funcs,
		  struct udrm_kms **out)
{
	struct udrm_kms *kms;
	int ret;

	kms = calloc(1, sizeof(*kms));
	if (!kms)
		return -ENOMEM;
	kms->objects = calloc(1, sizeof(*kms->objects));
	if (!kms->objects) {
		free(kms);
		return -ENOMEM;
	}
	udrm_idr_init(kms->objects, 1);
	kms->dev = dev;
	kms->funcs = funcs;
	pthread_mutex_init(&kms->lock, NULL);
	pthread_cond_init(&kms->commit_cond, NULL);
	/* Until the driver says otherwise (vkms: 10..8192). */
	kms->min_width = kms->min_height = 0;
	kms->max_width = kms->max_height = 8192;
	dev->kms = kms;
	ret = create_standard_properties(kms);
	if (ret) {
		udrm_kms_fini(kms);
		return ret;
	}
	if (out)
		*out = kms;
	return 0;
}

int udrm_kms_register(struct udrm_kms *kms)
{
	struct udrm_device *dev = kms->dev;
	unsigned int i;

	for (i = 0; i < kms->num_encoder; i++) {
		struct udrm_encoder *enc = kms->encoders[i];

		/* drm_mode_config_validate(): an encoder clones itself. */
		enc->possible_clones |= 1u << enc->index;
	}
	for (i = 0; i < kms->num_connector; i++)
		udrm_mode_object_register(kms, &kms->connectors[i]->base);
	dev->mode_config.num_crtc = kms->num_crtc;
	if (kms->cursor_width)
		dev->mode_config.cursor_width = kms->cursor_width;
	if (kms->cursor_height)
		dev->mode_config.cursor_height = kms->cursor_height;
	if (kms->async_page_flip)
		dev->mode_config.async_page_flip = true;
	/* The kernel's fbdev client probes every connector at registration,
	 * so a reader that is not master finds status and modes set. */
	pthread_mutex_lock(&kms->lock);
	for (i = 0; i < kms->num_connector; i++)
		udrm_connector_probe(kms->connectors[i]);
	pthread_mutex_unlock(&kms->lock);
	return 0;
}

static void free_object_props(struct udrm_mode_object *obj)
{
	free(obj->props);
	obj->props = NULL;
}

void udrm_kms_fini(struct udrm_kms *kms)
{
	struct udrm_mode_object **left = NULL;
	struct udrm_mode_object *obj;
	struct udrm_property *prop;
	size_t n_left = 0, cap = 0, k;
	uint32_t id;
	void *ptr;
	int i;

	if (!kms)
		return;
	udrm_atomic_helper_fini(kms);
	for (i = 0; i < (int)kms->num_crtc; i++)
		udrm_vblank_fini(kms->crtcs[i]);

	/* States first: they hold fbs and blobs. */
	for (i = 0; i < (int)kms->num_total_plane; i++) {
		udrm_plane_state_destroy(kms->planes[i]->state);
		kms->planes[i]->state = NULL;
	}
	for (i = 0; i < (int)kms->num_crtc; i++) {
		udrm_crtc_state_destroy(kms->crtcs[i]->state);
		kms->crtcs[i]->state = NULL;
	}
	for (i = 0; i < (int)kms->num_connector; i++) {
		udrm_connector_state_destroy(kms->connectors[i]->state);
		kms->connectors[i]->state = NULL;
	}

	/* Framebuffers and blobs nobody let go of (the kernel WARNs about
	 * fbs, and frees the driver's own blobs here), while the id table
	 * still only holds live objects: the destroy callbacks below free
	 * the driver's objects without unregistering them. */
	for (id = 0; udrm_idr_next(kms->objects, &id, &ptr);) {
		obj = ptr;
		if (!obj || !obj->free)
			continue;
		if (n_left == cap) {
			struct udrm_mode_object **grown;

			cap = cap ? cap * 2 : 16;
			grown = realloc(left, cap * sizeof(*left));
			if (!grown)
				break;
			left = grown;
		}
		left[n_left++] = obj;
	}
	for (k = 0; k < n_left; k++)
		left[k]->free(left[k]);
	free(left);

	/* Then the objects, in the kernel's drm_mode_config_cleanup order;
	 * the driver's destroy may free the memory they are in. */
	for (i = (int)kms->num_encoder - 1; i >= 0; i--) {
		struct udrm_encoder *enc = kms->encoders[i];

		free_object_props(&enc->base);
		if (enc->destroy)
			enc->destroy(enc);
	}
	for (i = (int)kms->num_connector - 1; i >= 0; i--) {
		struct udrm_connector *conn = kms->connectors[i];

		free_object_props(&conn->base);
		free(conn->modes);
		conn->modes = NULL;
		free(conn->writeback_formats);
		conn->writeback_formats = NULL;
		if (conn->funcs && conn->funcs->destroy)
			conn->funcs->destroy(conn);
	}
	for (i = (int)kms->num_total_plane - 1; i >= 0; i--) {
		struct udrm_plane *plane = kms->planes[i];

		free_object_props(&plane->base);
		free(plane->formats);
		free(plane->modifiers);
		plane->formats = NULL;
		plane->modifiers = NULL;
		if (plane->funcs && plane->funcs->destroy)
			plane->funcs->destroy(plane);
	}
	for (i = (int)kms->num_crtc - 1; i >= 0; i--) {
		struct udrm_crtc *crtc = kms->crtcs[i];

		free_object_props(&crtc->base);
		free(crtc->gamma_store);
		crtc->gamma_store = NULL;
		if (crtc->funcs && crtc->funcs->destroy)
			crtc->funcs->destroy(crtc);
	}


	while ((prop = kms->properties)) {
		kms->properties = prop->next;
		free(prop->values);
		free(prop->enums);
		free(prop);
	}
	udrm_idr_destroy(kms->objects);
	free(kms->objects);
	pthread_cond_destroy(&kms->commit_cond);
	pthread_mutex_destroy(&kms->lock);
	if (kms->dev && kms->dev->kms == kms)
		kms->dev->kms = NULL;
	free(kms);
}

/* ------------------------------------------------------------------ */
/* CRTCs                                                               */

int udrm_crtc_init(struct udrm_kms *kms, struct udrm_crtc *crtc,
		   struct udrm_plane *primary, struct udrm_plane *cursor,
		   const struct udrm_crtc_funcs *funcs, const char *name)
{
	struct udrm_crtc_state *state;
	int ret;

	if (kms->num_crtc >= UDRM_KMS_MAX_CRTCS)
		return -ENOSPC;
	if ((primary && primary->type != DRM_PLANE_TYPE_PRIMARY) ||
	    (cursor && cursor->type != DRM_PLANE_TYPE_CURSOR))
		return -EINVAL;
	state = calloc(1, sizeof(*state));
	if (!state)
		return -ENOMEM;
	ret = udrm_mode_object_add(kms, &crtc->base, DRM_MODE_OBJECT_CRTC,
				   true);
	if (ret) {
		free(state);
		return ret;
	}
	crtc->kms = kms;
	crtc->funcs = funcs;
	crtc->primary = primary;
	crtc->cursor = cursor;
	crtc->index = kms->num_crtc;
	if (name)
		snprintf(crtc->name, sizeof(crtc->name), "%s", name);
	else
		snprintf(crtc->name, sizeof(crtc->name), "crtc-%u",
			 crtc->index);
	state->crtc = crtc;
	crtc->state = state;
	kms->crtcs[kms->num_crtc++] = crtc;
	if (is_atomic_driver(kms)) {
		udrm_object_attach_property(&crtc->base, kms->prop.active, 0);
		udrm_object_attach_property(&crtc->base, kms->prop.mode_id, 0);
		udrm_object_attach_property(&crtc->base,
					    kms->prop.out_fence_ptr, 0);
		udrm_object_attach_property(&crtc->base, kms->prop.vrr_enabled,
					    0);
	}
	udrm_vblank_init(crtc);
	return 0;
}

int udrm_crtc_enable_color_mgmt(struct udrm_crtc *crtc, uint32_t gamma_size)
{
	struct udrm_kms *kms = crtc->kms;
	uint16_t *store;
	uint32_t i;

	if (!gamma_size)
		return 0;
	/* drm_mode_crtc_set_gamma_size(): a linear ramp to start with. */
	store = calloc(3 * (size_t)gamma_size, sizeof(*store));
	if (!store)
		return -ENOMEM;
	for (i = 0; i < gamma_size; i++) {
		store[i] = (uint16_t)(i << 8);
		store[gamma_size + i] = (uint16_t)(i << 8);
		store[2 * gamma_size + i] = (uint16_t)(i << 8);
	}
	free(crtc->gamma_store);
	crtc->gamma_store = store;
	crtc->gamma_size = gamma_size;
	udrm_object_attach_property(&crtc->base, kms->prop.gamma_lut, 0);
	udrm_object_attach_property(&crtc->base, kms->prop.gamma_lut_size,
				    gamma_size);
	return 0;
}

int udrm_crtc_create_background_color_property(struct udrm_crtc *crtc)
{
	udrm_object_attach_property(&crtc->base,
				    crtc->kms->prop.background_color, 0);
	crtc->state->background_color = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Planes                                                              */

/* The IN_FORMATS blob (struct drm_format_modifier_blob): the formats,
 * then per modifier which of them (in windows of 64) it supports. */
static int create_in_formats_blob(struct udrm_plane *plane)
{
	struct udrm_kms *kms = plane->kms;
	struct drm_format_modifier_blob *hdr;
	struct drm_format_modifier *mod;
	struct udrm_property_blob *blob;
	uint32_t windows = (plane->format_count + 63) / 64;
	size_t formats_size = plane->format_count * sizeof(uint32_t);
	size_t mods_offset, length;
	uint32_t i, w, j;
	int ret;

	if (!windows)
		windows = 1;
	mods_offset = (sizeof(*hdr) + formats_size + 7) & ~(size_t)7;
	length = mods_offset +
		 (size_t)plane->modifier_count * windows * sizeof(*mod);
	ret = udrm_property_blob_create(kms, length, NULL, &blob);
	if (ret)
		return ret;
	hdr = (struct drm_format_modifier_blob *)blob->data;
	hdr->version = FORMAT_BLOB_CURRENT;
	hdr->count_formats = plane->format_count;
	hdr->formats_offset = sizeof(*hdr);
	hdr->count_modifiers = plane->modifier_count * windows;
	hdr->modifiers_offset = (uint32_t)mods_offset;
	memcpy(blob->data + sizeof(*hdr), plane->formats, formats_size);
	mod = (struct drm_format_modifier *)(blob->data + mods_offset);
	for (i = 0; i < plane->modifier_count; i++) {
		for (w = 0; w < windows; w++, mod++) {
			mod->offset = w * 64;
			mod->modifier = plane->modifiers[i];
			for (j = w * 64;
			     j < plane->format_count && j < w * 64 + 64; j++)
				mod->formats |= 1ull << (j - w * 64);
		}
	}
	udrm_object_attach_property(&plane->base, kms->prop.in_formats,
				    blob->base.id);
	/* The kms keeps the creation reference until udrm_kms_fini. */
	return 0;
}

int udrm_plane_init(struct udrm_kms *kms, struct udrm_plane *plane,
		    uint32_t possible_crtcs,
		    const struct udrm_plane_funcs *funcs,
		    const uint32_t *formats, uint32_t format_count,
		    const uint64_t *modifiers, uint32_t type, const char *name)
{
	struct udrm_plane_state *state;
	uint32_t n_mods = 0;
	int ret;

	if (kms->num_total_plane >= UDRM_KMS_MAX_PLANES)
		return -ENOSPC;
	if (type > DRM_PLANE_TYPE_CURSOR || (format_count && !formats))
		return -EINVAL;
	if (modifiers)
		while (modifiers[n_mods] != DRM_FORMAT_MOD_INVALID)
			n_mods++;
	state = calloc(1, sizeof(*state));
	plane->formats = calloc(format_count ? format_count : 1,
				sizeof(*plane->formats));
	plane->modifiers =
		calloc(n_mods ? n_mods : 1, sizeof(*plane->modifiers));
	if (!state || !plane->formats || !plane->modifiers) {
		ret = -ENOMEM;
		goto err;
	}
	ret = udrm_mode_object_add(kms, &plane->base, DRM_MODE_OBJECT_PLANE,
				   true);
	if (ret)
		goto err;
	if (format_count)
		memcpy(plane->formats, formats,
		       format_count * sizeof(*formats));
	plane->format_count = format_count;
	/* No list: linear only, as drm_universal_plane_init. */
	if (n_mods)
		memcpy(plane->modifiers, modifiers,
		       n_mods * sizeof(*modifiers));
	else
		plane->modifiers[0] = DRM_FORMAT_MOD_LINEAR;
	plane->modifier_count = n_mods ? n_mods : 1;
	plane->kms = kms;
	plane->funcs = funcs;
	plane->type = type;
	plane->possible_crtcs = possible_crtcs;
	plane->index = kms->num_total_plane;
	if (name)
		snprintf(plane->name, sizeof(plane->name), "%s", name);
	else
		snprintf(plane->name, sizeof(plane->name), "plane-%u",
			 plane->index);

	/* __drm_atomic_helper_plane_state_reset() */
	state->plane = plane;
	state->alpha = 0xffff;
	state->pixel_blend_mode = DRM_MODE_BLEND_PREMULTI;
	state->rotation = DRM_MODE_ROTATE_0;
	state->zpos = plane->index;
	state->normalized_zpos = plane->index;
	state->color_encoding = UDRM_COLOR_YCBCR_BT601;
	state->color_range = UDRM_COLOR_YCBCR_LIMITED_RANGE;
	plane->state = state;
	kms->planes[kms->num_total_plane++] = plane;
	/* Every plane, as num_total_plane (iterate either). */
	kms->num_plane = kms->num_total_plane;

	udrm_object_attach_property(&plane->base, kms->prop.plane_type, type);
	if (is_atomic_driver(kms)) {
		struct udrm_mode_object *o = &plane->base;

		udrm_object_attach_property(o, kms->prop.fb_id, 0);
		udrm_object_attach_property(o, kms->prop.in_fence_fd,
					    (uint64_t)-1);
		udrm_object_attach_property(o, kms->prop.crtc_id, 0);
		udrm_object_attach_property(o, kms->prop.crtc_x, 0);
		udrm_object_attach_property(o, kms->prop.crtc_y, 0);
		udrm_object_attach_property(o, kms->prop.crtc_w, 0);
		udrm_object_attach_property(o, kms->prop.crtc_h, 0);
		udrm_object_attach_property(o, kms->prop.src_x, 0);
		udrm_object_attach_property(o, kms->prop.src_y, 0);
		udrm_object_attach_property(o, kms->prop.src_w, 0);
		udrm_object_attach_property(o, kms->prop.src_h, 0);
	}
	if (!kms->dev->mode_config.fb_modifiers_not_supported)
		create_in_formats_blob(plane);
	return 0;
err:
	free(state);
	free(plane->formats);
	free(plane->modifiers);
	plane->formats = NULL;
	plane->modifiers = NULL;
	return ret;
}

static const struct udrm_property_enum rotation_enums[] = {
	{0, "rotate-0"},   {1, "rotate-90"}, {2, "rotate-180"},
	{3, "rotate-270"}, {4, "reflect-x"}, {5, "reflect-y"},
};

int udrm_plane_create_rotation_property(struct udrm_plane *plane,
					uint32_t rotation,
					uint32_t supported_rotations)
{
	struct udrm_property *prop;

	if (!(supported_rotations & DRM_MODE_ROTATE_MASK) ||
	    (rotation & ~supported_rotations))
		return -EINVAL;
	prop = udrm_property_create_bitmask(
		plane->kms, 0, "rotation", rotation_enums,
		N_ENUMS(rotation_enums), supported_rotations);
	if (!prop)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, prop, rotation);
	plane->state->rotation = rotation;
	plane->rotation_property = prop;
	return 0;
}

int udrm_plane_create_alpha_property(struct udrm_plane *plane)
{
	struct udrm_property *prop;

	prop = udrm_property_create_range(plane->kms, 0, "alpha", 0, 0xffff);
	if (!prop)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, prop, 0xffff);
	plane->alpha_property = prop;
	plane->state->alpha = 0xffff;
	return 0;
}

static const struct udrm_property_enum blend_mode_enums[] = {
	{DRM_MODE_BLEND_PIXEL_NONE, "None"},
	{DRM_MODE_BLEND_PREMULTI, "Pre-multiplied"},
	{DRM_MODE_BLEND_COVERAGE, "Coverage"},
};

int udrm_plane_create_blend_mode_property(struct udrm_plane *plane,
					  uint32_t supported_modes)
{
	struct udrm_property_enum list[N_ENUMS(blend_mode_enums)];
	struct udrm_property *prop;
	int i, n = 0;

	/* Pre-multiplied is the default and must be supported. */
	if ((supported_modes & ~7u) ||
	    !(supported_modes & (1u << DRM_MODE_BLEND_PREMULTI)))
		return -EINVAL;
	for (i = 0; i < N_ENUMS(blend_mode_enums); i++)
		if (supported_modes & (1u << blend_mode_enums[i].value))
			list[n++] = blend_mode_enums[i];
	prop = udrm_property_create_enum(plane->kms, 0, "pixel blend mode",
					 list, n);
	if (!prop)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, prop,
				    DRM_MODE_BLEND_PREMULTI);
	plane->blend_mode_property = prop;
	plane->state->pixel_blend_mode = DRM_MODE_BLEND_PREMULTI;
	return 0;
}

int udrm_plane_create_zpos_property(struct udrm_plane *plane, uint32_t zpos,
				    uint32_t min, uint32_t max)
{
	struct udrm_property *prop;

	if (min > max || zpos < min || zpos > max)
		return -EINVAL;
	prop = udrm_property_create_range(plane->kms, 0, "zpos", min, max);
	if (!prop)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, prop, zpos);
	plane->zpos_property = prop;
	plane->state->zpos = zpos;
	return 0;
}

int udrm_plane_create_zpos_immutable_property(struct udrm_plane *plane,
					      uint32_t zpos)
{
	struct udrm_property *prop;

	prop = udrm_property_create_range(plane->kms, DRM_MODE_PROP_IMMUTABLE,
					  "zpos", zpos, zpos);
	if (!prop)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, prop, zpos);
	plane->zpos_property = prop;
	plane->state->zpos = zpos;
	return 0;
}

static const struct udrm_property_enum color_encoding_enums[] = {
	{UDRM_COLOR_YCBCR_BT601, "ITU-R BT.601 YCbCr"},
	{UDRM_COLOR_YCBCR_BT709, "ITU-R BT.709 YCbCr"},
	{UDRM_COLOR_YCBCR_BT2020, "ITU-R BT.2020 YCbCr"},
};

static const struct udrm_property_enum color_range_enums[] = {
	{UDRM_COLOR_YCBCR_LIMITED_RANGE, "YCbCr limited range"},
	{UDRM_COLOR_YCBCR_FULL_RANGE, "YCbCr full range"},
};

int udrm_plane_create_color_properties(struct udrm_plane *plane,
				       uint32_t supported_encodings,
				       uint32_t supported_ranges,
				       uint32_t default_encoding,
				       uint32_t default_range)
{
	struct udrm_property_enum enc[N_ENUMS(color_encoding_enums)];
	struct udrm_property_enum rng[N_ENUMS(color_range_enums)];
	struct udrm_property *penc, *prng;
	int i, n_enc = 0, n_rng = 0;

	if (!supported_encodings || !supported_ranges ||
	    (supported_encodings & ~7u) || (supported_ranges & ~3u) ||
	    default_encoding > 2 || default_range > 1 ||
	    !(supported_encodings & (1u << default_encoding)) ||
	    !(supported_ranges & (1u << default_range)))
		return -EINVAL;
	for (i = 0; i < N_ENUMS(color_encoding_enums); i++)
		if (supported_encodings & (1u << i))
			enc[n_enc++] = color_encoding_enums[i];
	for (i = 0; i < N_ENUMS(color_range_enums); i++)
		if (supported_ranges & (1u << i))
			rng[n_rng++] = color_range_enums[i];
	penc = udrm_property_create_enum(plane->kms, 0, "COLOR_ENCODING", enc,
					 n_enc);
	prng = udrm_property_create_enum(plane->kms, 0, "COLOR_RANGE", rng,
					 n_rng);
	if (!penc || !prng)
		return -ENOMEM;
	udrm_object_attach_property(&plane->base, penc, default_encoding);
	udrm_object_attach_property(&plane->base, prng, default_range);
	plane->color_encoding_property = penc;
	plane->color_range_property = prng;
	plane->state->color_encoding = default_encoding;
	plane->state->color_range = default_range;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Encoders and connectors                                             */

int udrm_encoder_init(struct udrm_kms *kms, struct udrm_encoder *encoder,
		      uint32_t type, uint32_t possible_crtcs)
{
	int ret;

	if (kms->num_encoder >= UDRM_KMS_MAX_ENCODERS)
		return -ENOSPC;
	ret = udrm_mode_object_add(kms, &encoder->base, DRM_MODE_OBJECT_ENCODER,
				   true);
	if (ret)
		return ret;
	encoder->kms = kms;
	encoder->type = type;
	encoder->possible_crtcs = possible_crtcs;
	encoder->index = kms->num_encoder;
	kms->encoders[kms->num_encoder++] = encoder;
	return 0;
}

/* drm_connector_enum_list[] */
static const char *const connector_type_names[] = {
	[DRM_MODE_CONNECTOR_Unknown] = "Unknown",
	[DRM_MODE_CONNECTOR_VGA] = "VGA",
	[DRM_MODE_CONNECTOR_DVII] = "DVI-I",
	[DRM_MODE_CONNECTOR_DVID] = "DVI-D",
	[DRM_MODE_CONNECTOR_DVIA] = "DVI-A",
	[DRM_MODE_CONNECTOR_Composite] = "Composite",
	[DRM_MODE_CONNECTOR_SVIDEO] = "SVIDEO",
	[DRM_MODE_CONNECTOR_LVDS] = "LVDS",
	[DRM_MODE_CONNECTOR_Component] = "Component",
	[DRM_MODE_CONNECTOR_9PinDIN] = "DIN",
	[DRM_MODE_CONNECTOR_DisplayPort] = "DP",
	[DRM_MODE_CONNECTOR_HDMIA] = "HDMI-A",
	[DRM_MODE_CONNECTOR_HDMIB] = "HDMI-B",
	[DRM_MODE_CONNECTOR_TV] = "TV",
	[DRM_MODE_CONNECTOR_eDP] = "eDP",
	[DRM_MODE_CONNECTOR_VIRTUAL] = "Virtual",
	[DRM_MODE_CONNECTOR_DSI] = "DSI",
	[DRM_MODE_CONNECTOR_DPI] = "DPI",
	[DRM_MODE_CONNECTOR_WRITEBACK] = "Writeback",
	[DRM_MODE_CONNECTOR_SPI] = "SPI",
	[DRM_MODE_CONNECTOR_USB] = "USB",
};

int udrm_connector_init(struct udrm_kms *kms, struct udrm_connector *conn,
			const struct udrm_connector_funcs *funcs,
			uint32_t connector_type)
{
	struct udrm_connector_state *state;
	uint32_t type_id = 1;
	unsigned int i;
	int ret;

	if (kms->num_connector >= UDRM_KMS_MAX_CONNECTORS)
		return -ENOSPC;
	if (connector_type >=
	    sizeof(connector_type_names) / sizeof(connector_type_names[0]))
		return -EINVAL;
	state = calloc(1, sizeof(*state));
	if (!state)
		return -ENOMEM;
	/* Published by udrm_kms_register, as drm_connector_register. */
	ret = udrm_mode_object_add(kms, &conn->base, DRM_MODE_OBJECT_CONNECTOR,
				   false);
	if (ret) {
		free(state);
		return ret;
	}
	for (i = 0; i < kms->num_connector; i++)
		if (kms->connectors[i]->connector_type == connector_type)
			type_id++;
	conn->kms = kms;
	conn->funcs = funcs;
	conn->connector_type = connector_type;
	conn->connector_type_id = type_id;
	conn->index = kms->num_connector;
	snprintf(conn->name, sizeof(conn->name), "%s-%u",
		 connector_type_names[connector_type], type_id);
	conn->status = UDRM_CONNECTOR_UNKNOWN;
	conn->dpms = DRM_MODE_DPMS_OFF;
	state->connector = conn;
	state->link_status = DRM_MODE_LINK_STATUS_GOOD;
	conn->state = state;
	kms->connectors[kms->num_connector++] = conn;

	/* As __drm_connector_init(): no EDID on virtual and writeback
	 * connectors, PATH only for MST ones. */
	if (connector_type != DRM_MODE_CONNECTOR_VIRTUAL &&
	    connector_type != DRM_MODE_CONNECTOR_WRITEBACK)
		udrm_object_attach_property(&conn->base, kms->prop.edid, 0);
	udrm_object_attach_property(&conn->base, kms->prop.dpms, 0);
	udrm_object_attach_property(&conn->base, kms->prop.link_status, 0);
	udrm_object_attach_property(&conn->base, kms->prop.non_desktop, 0);
	udrm_object_attach_property(&conn->base, kms->prop.tile, 0);
	if (is_atomic_driver(kms))
		udrm_object_attach_property(&conn->base, kms->prop.conn_crtc_id,
					    0);
	return 0;
}

int udrm_connector_attach_encoder(struct udrm_connector *conn,
				  struct udrm_encoder *encoder)
{
	if (encoder->kms != conn->kms)
		return -EINVAL;
	conn->possible_encoders |= 1u << encoder->index;
	return 0;
}

int udrm_writeback_connector_init(struct udrm_kms *kms,
				  struct udrm_connector *conn,
				  struct udrm_encoder *encoder,
				  const struct udrm_connector_funcs *funcs,
				  uint32_t possible_crtcs,
				  const uint32_t *formats, uint32_t n_formats)
{
	struct udrm_property_blob *blob;
	uint32_t *copy;
	int ret;

	if (!n_formats || !formats)
		return -EINVAL;
	copy = calloc(n_formats, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, formats, n_formats * sizeof(*formats));
	ret = udrm_property_blob_create(kms, n_formats * sizeof(*formats),
					formats, &blob);
	if (ret)
		goto err_copy;
	ret = udrm_encoder_init(kms, encoder, DRM_MODE_ENCODER_VIRTUAL,
				possible_crtcs);
	if (ret)
		goto err_blob;
	ret = udrm_connector_init(kms, conn, funcs,
				  DRM_MODE_CONNECTOR_WRITEBACK);
	if (ret)
		goto err_blob;
	udrm_connector_attach_encoder(conn, encoder);
	conn->writeback = true;
	conn->writeback_formats = copy;
	conn->writeback_format_count = n_formats;
	udrm_object_attach_property(&conn->base,
				    kms->prop.writeback_out_fence_ptr, 0);
	udrm_object_attach_property(&conn->base, kms->prop.writeback_fb_id, 0);
	udrm_object_attach_property(
		&conn->base, kms->prop.writeback_pixel_formats, blob->base.id);
	/* The kms keeps the blob's reference until udrm_kms_fini. */
	return 0;
err_blob:
	udrm_blob_put(blob);
err_copy:
	free(copy);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Modes                                                               */

int udrm_connector_add_mode(struct udrm_connector *conn,
			    const struct drm_mode_modeinfo *mode)
{
	if (conn->num_modes == conn->modes_capacity) {
		uint32_t cap =
			conn->modes_capacity ? conn->modes_capacity * 2 : 16;
		struct drm_mode_modeinfo *grown;

		grown = realloc(conn->modes, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		conn->modes = grown;
		conn->modes_capacity = cap;
	}
	conn->modes[conn->num_modes++] = *mode;
	return 0;
}

#define PH DRM_MODE_FLAG_PHSYNC
#define NH DRM_MODE_FLAG_NHSYNC
#define PV DRM_MODE_FLAG_PVSYNC
#define NV DRM_MODE_FLAG_NVSYNC
#define IL DRM_MODE_FLAG_INTERLACE

struct dmt_mode {
	uint32_t clock;	     /* kHz */
	uint16_t h[4], v[4]; /* display, sync start, sync end, total */
	uint32_t flags;
};

#define DMT(id, clk, h0, h1, h2, h3, v0, v1, v2, v3, fl)                       \
	{                                                                      \
		.clock = clk, .h = {h0, h1, h2, h3}, .v = {v0, v1, v2, v3},    \
		.flags = fl                                                    \
	}

/* VESA Display Monitor Timings, the kernel's drm_dmt_modes[] (DMT id
 * first; reduced-blanking modes included, in the kernel's order). */
static const struct dmt_mode dmt_modes[] = {
	DMT(0x01, 31500, 640, 672, 736, 832, 350, 382, 385, 445,
	    PH | NV), /* 85 Hz */
	DMT(0x02, 31500, 640, 672, 736, 832, 400, 401, 404, 445,
	    NH | PV), /* 85 Hz */
	DMT(0x03, 35500, 720, 756, 828, 936, 400, 401, 404, 446,
	    NH | PV), /* 85 Hz */
	DMT(0x04, 25175, 640, 656, 752, 800, 480, 490, 492, 525,
	    NH | NV), /* 60 Hz */
	DMT(0x05, 31500, 640, 664, 704, 832, 480, 489, 492, 520,
	    NH | NV), /* 73 Hz */
	DMT(0x06, 31500, 640, 656, 720, 840, 480, 481, 484, 500,
	    NH | NV), /* 75 Hz */
	DMT(0x07, 36000, 640, 696, 752, 832, 480, 481, 484, 509,
	    NH | NV), /* 85 Hz */
	DMT(0x08, 36000, 800, 824, 896, 1024, 600, 601, 603, 625,
	    PH | PV), /* 56 Hz */
	DMT(0x09, 40000, 800, 840, 968, 1056, 600, 601, 605, 628,
	    PH | PV), /* 60 Hz */
	DMT(0x0a, 50000, 800, 856, 976, 1040, 600, 637, 643, 666,
	    PH | PV), /* 72 Hz */
	DMT(0x0b, 49500, 800, 816, 896, 1056, 600, 601, 604, 625,
	    PH | PV), /* 75 Hz */
	DMT(0x0c, 56250, 800, 832, 896, 1048, 600, 601, 604, 631,
	    PH | PV), /* 85 Hz */
	DMT(0x0d, 73250, 800, 848, 880, 960, 600, 603, 607, 636,
	    PH | NV), /* 120 Hz */
	DMT(0x0e, 33750, 848, 864, 976, 1088, 480, 486, 494, 517,
	    PH | PV), /* 60 Hz */
	DMT(0x0f, 44900, 1024, 1032, 1208, 1264, 768, 768, 776, 817,
	    PH | PV | IL), /* 87 Hz */
	DMT(0x10, 65000, 1024, 1048, 1184, 1344, 768, 771, 777, 806,
	    NH | NV), /* 60 Hz */
	DMT(0x11, 75000, 1024, 1048, 1184, 1328, 768, 771, 777, 806,
	    NH | NV), /* 70 Hz */
	DMT(0x12, 78750, 1024, 1040, 1136, 1312, 768, 769, 772, 800,
	    PH | PV), /* 75 Hz */
	DMT(0x13, 94500, 1024, 1072, 1168, 1376, 768, 769, 772, 808,
	    PH | PV), /* 85 Hz */
	DMT(0x14, 115500, 1024, 1072, 1104, 1184, 768, 771, 775, 813,
	    PH | NV), /* 120 Hz */
	DMT(0x15, 108000, 1152, 1216, 1344, 1600, 864, 865, 868, 900,
	    PH | PV), /* 75 Hz */
	DMT(0x55, 74250, 1280, 1390, 1430, 1650, 720, 725, 730, 750,
	    PH | PV), /* 60 Hz */
	DMT(0x16, 68250, 1280, 1328, 1360, 1440, 768, 771, 778, 790,
	    PH | NV), /* 60 Hz */
	DMT(0x17, 79500, 1280, 1344, 1472, 1664, 768, 771, 778, 798,
	    NH | PV), /* 60 Hz */
	DMT(0x18, 102250, 1280, 1360, 1488, 1696, 768, 771, 778, 805,
	    NH | PV), /* 75 Hz */
	DMT(0x19, 117500, 1280, 1360, 1496, 1712, 768, 771, 778, 809,
	    NH | PV), /* 85 Hz */
	DMT(0x1a, 140250, 1280, 1328, 1360, 1440, 768, 771, 778, 813,
	    PH | NV), /* 120 Hz */
	DMT(0x1b, 71000, 1280, 1328, 1360, 1440, 800, 803, 809, 823,
	    PH | NV), /* 60 Hz */
	DMT(0x1c, 83500, 1280, 1352, 1480, 1680, 800, 803, 809, 831,
	    NH | PV), /* 60 Hz */
	DMT(0x1d, 106500, 1280, 1360, 1488, 1696, 800, 803, 809, 838,
	    NH | PV), /* 75 Hz */
	DMT(0x1e, 122500, 1280, 1360, 1496, 1712, 800, 803, 809, 843,
	    NH | PV), /* 85 Hz */
	DMT(0x1f, 146250, 1280, 1328, 1360, 1440, 800, 803, 809, 847,
	    PH | NV), /* 120 Hz */
	DMT(0x20, 108000, 1280, 1376, 1488, 1800, 960, 961, 964, 1000,
	    PH | PV), /* 60 Hz */
	DMT(0x21, 148500, 1280, 1344, 1504, 1728, 960, 961, 964, 1011,
	    PH | PV), /* 85 Hz */
	DMT(0x22, 175500, 1280, 1328, 1360, 1440, 960, 963, 967, 1017,
	    PH | NV), /* 120 Hz */
	DMT(0x23, 108000, 1280, 1328, 1440, 1688, 1024, 1025, 1028, 1066,
	    PH | PV), /* 60 Hz */
	DMT(0x24, 135000, 1280, 1296, 1440, 1688, 1024, 1025, 1028, 1066,
	    PH | PV), /* 75 Hz */
	DMT(0x25, 157500, 1280, 1344, 1504, 1728, 1024, 1025, 1028, 1072,
	    PH | PV), /* 85 Hz */
	DMT(0x26, 187250, 1280, 1328, 1360, 1440, 1024, 1027, 1034, 1084,
	    PH | NV), /* 120 Hz */
	DMT(0x27, 85500, 1360, 1424, 1536, 1792, 768, 771, 777, 795,
	    PH | PV), /* 60 Hz */
	DMT(0x28, 148250, 1360, 1408, 1440, 1520, 768, 771, 776, 813,
	    PH | NV), /* 120 Hz */
	DMT(0x51, 85500, 1366, 1436, 1579, 1792, 768, 771, 774, 798,
	    PH | PV), /* 60 Hz */
	DMT(0x56, 72000, 1366, 1380, 1436, 1500, 768, 769, 772, 800,
	    PH | PV), /* 60 Hz */
	DMT(0x29, 101000, 1400, 1448, 1480, 1560, 1050, 1053, 1057, 1080,
	    PH | NV), /* 60 Hz */
	DMT(0x2a, 121750, 1400, 1488, 1632, 1864, 1050, 1053, 1057, 1089,
	    NH | PV), /* 60 Hz */
	DMT(0x2b, 156000, 1400, 1504, 1648, 1896, 1050, 1053, 1057, 1099,
	    NH | PV), /* 75 Hz */
	DMT(0x2c, 179500, 1400, 1504, 1656, 1912, 1050, 1053, 1057, 1105,
	    NH | PV), /* 85 Hz */
	DMT(0x2d, 208000, 1400, 1448, 1480, 1560, 1050, 1053, 1057, 1112,
	    PH | NV), /* 120 Hz */
	DMT(0x2e, 88750, 1440, 1488, 1520, 1600, 900, 903, 909, 926,
	    PH | NV), /* 60 Hz */
	DMT(0x2f, 106500, 1440, 1520, 1672, 1904, 900, 903, 909, 934,
	    NH | PV), /* 60 Hz */
	DMT(0x30, 136750, 1440, 1536, 1688, 1936, 900, 903, 909, 942,
	    NH | PV), /* 75 Hz */
	DMT(0x31, 157000, 1440, 1544, 1696, 1952, 900, 903, 909, 948,
	    NH | PV), /* 85 Hz */
	DMT(0x32, 182750, 1440, 1488, 1520, 1600, 900, 903, 909, 953,
	    PH | NV), /* 120 Hz */
	DMT(0x53, 108000, 1600, 1624, 1704, 1800, 900, 901, 904, 1000,
	    PH | PV), /* 60 Hz */
	DMT(0x33, 162000, 1600, 1664, 1856, 2160, 1200, 1201, 1204, 1250,
	    PH | PV), /* 60 Hz */
	DMT(0x34, 175500, 1600, 1664, 1856, 2160, 1200, 1201, 1204, 1250,
	    PH | PV), /* 65 Hz */
	DMT(0x35, 189000, 1600, 1664, 1856, 2160, 1200, 1201, 1204, 1250,
	    PH | PV), /* 70 Hz */
	DMT(0x36, 202500, 1600, 1664, 1856, 2160, 1200, 1201, 1204, 1250,
	    PH | PV), /* 75 Hz */
	DMT(0x37, 229500, 1600, 1664, 1856, 2160, 1200, 1201, 1204, 1250,
	    PH | PV), /* 85 Hz */
	DMT(0x38, 268250, 1600, 1648, 1680, 1760, 1200, 1203, 1207, 1271,
	    PH | NV), /* 120 Hz */
	DMT(0x39, 119000, 1680, 1728, 1760, 1840, 1050, 1053, 1059, 1080,
	    PH | NV), /* 60 Hz */
	DMT(0x3a, 146250, 1680, 1784, 1960, 2240, 1050, 1053, 1059, 1089,
	    NH | PV), /* 60 Hz */
	DMT(0x3b, 187000, 1680, 1800, 1976, 2272, 1050, 1053, 1059, 1099,
	    NH | PV), /* 75 Hz */
	DMT(0x3c, 214750, 1680, 1808, 1984, 2288, 1050, 1053, 1059, 1105,
	    NH | PV), /* 85 Hz */
	DMT(0x3d, 245500, 1680, 1728, 1760, 1840, 1050, 1053, 1059, 1112,
	    PH | NV), /* 120 Hz */
	DMT(0x3e, 204750, 1792, 1920, 2120, 2448, 1344, 1345, 1348, 1394,
	    NH | PV), /* 60 Hz */
	DMT(0x3f, 261000, 1792, 1888, 2104, 2456, 1344, 1345, 1348, 1417,
	    NH | PV), /* 75 Hz */
	DMT(0x40, 333250, 1792, 1840, 1872, 1952, 1344, 1347, 1351, 1423,
	    PH | NV), /* 120 Hz */
	DMT(0x41, 218250, 1856, 1952, 2176, 2528, 1392, 1393, 1396, 1439,
	    NH | PV), /* 60 Hz */
	DMT(0x42, 288000, 1856, 1984, 2208, 2560, 1392, 1393, 1396, 1500,
	    NH | PV), /* 75 Hz */
	DMT(0x43, 356500, 1856, 1904, 1936, 2016, 1392, 1395, 1399, 1474,
	    PH | NV), /* 120 Hz */
	DMT(0x52, 148500, 1920, 2008, 2052, 2200, 1080, 1084, 1089, 1125,
	    NH | NV), /* 60 Hz */
	DMT(0x44, 154000, 1920, 1968, 2000, 2080, 1200, 1203, 1209, 1235,
	    PH | NV), /* 60 Hz */
	DMT(0x45, 193250, 1920, 2056, 2256, 2592, 1200, 1203, 1209, 1245,
	    NH | PV), /* 60 Hz */
	DMT(0x46, 245250, 1920, 2056, 2264, 2608, 1200, 1203, 1209, 1255,
	    NH | PV), /* 75 Hz */
	DMT(0x47, 281250, 1920, 2064, 2272, 2624, 1200, 1203, 1209, 1262,
	    NH | PV), /* 85 Hz */
	DMT(0x48, 317000, 1920, 1968, 2000, 2080, 1200, 1203, 1209, 1271,
	    PH | NV), /* 120 Hz */
	DMT(0x49, 234000, 1920, 2048, 2256, 2600, 1440, 1441, 1444, 1500,
	    NH | PV), /* 60 Hz */
	DMT(0x4a, 297000, 1920, 2064, 2288, 2640, 1440, 1441, 1444, 1500,
	    NH | PV), /* 75 Hz */
	DMT(0x4b, 380500, 1920, 1968, 2000, 2080, 1440, 1443, 1447, 1525,
	    PH | NV), /* 120 Hz */
	DMT(0x54, 162000, 2048, 2074, 2154, 2250, 1152, 1153, 1156, 1200,
	    PH | PV), /* 60 Hz */
	DMT(0x4c, 268500, 2560, 2608, 2640, 2720, 1600, 1603, 1609, 1646,
	    PH | NV), /* 60 Hz */
	DMT(0x4d, 348500, 2560, 2752, 3032, 3504, 1600, 1603, 1609, 1658,
	    NH | PV), /* 60 Hz */
	DMT(0x4e, 443250, 2560, 2768, 3048, 3536, 1600, 1603, 1609, 1672,
	    NH | PV), /* 75 Hz */
	DMT(0x4f, 505250, 2560, 2768, 3048, 3536, 1600, 1603, 1609, 1682,
	    NH | PV), /* 85 Hz */
	DMT(0x50, 552750, 2560, 2608, 2640, 2720, 1600, 1603, 1609, 1694,
	    PH | NV), /* 120 Hz */
	DMT(0x57, 556744, 4096, 4104, 4136, 4176, 2160, 2208, 2216, 2222,
	    PH | NV), /* 60 Hz */
	DMT(0x58, 556188, 4096, 4104, 4136, 4176, 2160, 2208, 2216, 2222,
	    PH | NV), /* 60 Hz */
};

#undef PH
#undef NH
#undef PV
#undef NV
#undef IL

static void dmt_to_modeinfo(const struct dmt_mode *d,
			    struct drm_mode_modeinfo *m)
{
	memset(m, 0, sizeof(*m));
	m->clock = d->clock;
	m->hdisplay = d->h[0];
	m->hsync_start = d->h[1];
	m->hsync_end = d->h[2];
	m->htotal = d->h[3];
	m->vdisplay = d->v[0];
	m->vsync_start = d->v[1];
	m->vsync_end = d->v[2];
	m->vtotal = d->v[3];
	m->flags = d->flags;
	m->type = DRM_MODE_TYPE_DRIVER;
	udrm_mode_set_name(m);
}

int udrm_connector_add_modes_noedid(struct udrm_connector *conn,
				    uint32_t hdisplay, uint32_t vdisplay)
{
	struct drm_mode_modeinfo m;
	int count = 0;
	size_t i;

	for (i = 0; i < sizeof(dmt_modes) / sizeof(dmt_modes[0]); i++) {
		dmt_to_modeinfo(&dmt_modes[i], &m);
		/* Both limits or none, as drm_add_modes_noedid(). */
		if (hdisplay && vdisplay &&
		    (m.hdisplay > hdisplay || m.vdisplay > vdisplay))
			continue;
		if (udrm_mode_vrefresh(&m) > 61)
			continue;
		if (udrm_connector_add_mode(conn, &m))
			break;
		count++;
	}
	return count;
}

void udrm_connector_set_preferred_mode(struct udrm_connector *conn,
				       uint32_t hdisplay, uint32_t vdisplay)
{
	uint32_t i;

	for (i = 0; i < conn->num_modes; i++)
		if (conn->modes[i].hdisplay == hdisplay &&
		    conn->modes[i].vdisplay == vdisplay)
			conn->modes[i].type |= DRM_MODE_TYPE_PREFERRED;
}

/* drm_mode_equal(): same timings, flags and aspect ratio. */
static bool mode_equal(const struct drm_mode_modeinfo *a,
		       const struct drm_mode_modeinfo *b)
{
	return a->clock == b->clock && a->hdisplay == b->hdisplay &&
	       a->hsync_start == b->hsync_start &&
	       a->hsync_end == b->hsync_end && a->htotal == b->htotal &&
	       a->hskew == b->hskew && a->vdisplay == b->vdisplay &&
	       a->vsync_start == b->vsync_start &&
	       a->vsync_end == b->vsync_end && a->vtotal == b->vtotal &&
	       a->vscan == b->vscan && a->flags == b->flags;
}

/* drm_mode_compare(): preferred first, then larger, faster, higher
 * clocked. */
static int mode_compare(const void *pa, const void *pb)
{
	const struct drm_mode_modeinfo *a = pa, *b = pb;
	long diff;

	diff = (long)!!(b->type & DRM_MODE_TYPE_PREFERRED) -
	       (long)!!(a->type & DRM_MODE_TYPE_PREFERRED);
	if (!diff)
		diff = (long)b->hdisplay * b->vdisplay -
		       (long)a->hdisplay * a->vdisplay;
	if (!diff)
		diff = udrm_mode_vrefresh(b) - udrm_mode_vrefresh(a);
	if (!diff)
		diff = (long)b->clock - (long)a->clock;
	return diff < 0 ? -1 : diff > 0;
}

/* The probe's validation: size within the kms limits, no interlace or
 * doublescan (connectors do not allow them), sane timings. */
static bool probed_mode_ok(struct udrm_kms *kms,
			   const struct drm_mode_modeinfo *m)
{
	if (kms->max_width && m->hdisplay > kms->max_width)
		return false;
	if (kms->max_height && m->vdisplay > kms->max_height)
		return false;
	if (m->flags & (DRM_MODE_FLAG_INTERLACE | DRM_MODE_FLAG_DBLSCAN))
		return false;
	return udrm_mode_validate_user(m) == 0;
}

int udrm_connector_probe(struct udrm_connector *conn)
{
	struct udrm_kms *kms = conn->kms;
	uint32_t status, i, j, n;
	int count = 0;

	switch (conn->force) {
	case UDRM_FORCE_ON:
	case UDRM_FORCE_ON_DIGITAL:
		status = UDRM_CONNECTOR_CONNECTED;
		break;
	case UDRM_FORCE_OFF:
		status = UDRM_CONNECTOR_DISCONNECTED;
		break;
	default:
		status = conn->funcs && conn->funcs->detect
				 ? (uint32_t)conn->funcs->detect(conn)
				 : UDRM_CONNECTOR_CONNECTED;
		if (status < UDRM_CONNECTOR_CONNECTED ||
		    status > UDRM_CONNECTOR_UNKNOWN)
			status = UDRM_CONNECTOR_UNKNOWN;
		break;
	}
	if (status != conn->status) {
		conn->status = status;
		conn->epoch++;
	}
	conn->num_modes = 0;
	/* A disconnected connector has no modes (the kernel prunes them). */
	if (status == UDRM_CONNECTOR_DISCONNECTED)
		return 0;
	if (conn->funcs && conn->funcs->get_modes)
		count = conn->funcs->get_modes(conn);
	if (count <= 0 && !conn->num_modes)
		udrm_connector_add_modes_noedid(conn, 1024, 768);

	/* Validate, merge duplicates (their type bits combine), sort. */
	for (i = 0, n = 0; i < conn->num_modes; i++) {
		struct drm_mode_modeinfo *m = &conn->modes[i];

		if (!probed_mode_ok(kms, m))
			continue;
		for (j = 0; j < n; j++) {
			if (mode_equal(&conn->modes[j], m)) {
				conn->modes[j].type |= m->type;
				break;
			}
		}
		if (j == n)
			conn->modes[n++] = *m;
	}
	conn->num_modes = n;
	qsort(conn->modes, n, sizeof(*conn->modes), mode_compare);
	return (int)n;
}

int udrm_connector_force(struct udrm_connector *conn,
			 enum udrm_connector_force force)
{
	struct udrm_kms *kms = conn->kms;
	int ret;

	if (force > UDRM_FORCE_ON_DIGITAL)
		return -EINVAL;
	pthread_mutex_lock(&kms->lock);
	conn->force = force;
	ret = udrm_connector_probe(conn);
	pthread_mutex_unlock(&kms->lock);
	return ret < 0 ? ret : 0;
}

void udrm_mode_set_name(struct drm_mode_modeinfo *mode)
{
	bool interlaced = mode->flags & DRM_MODE_FLAG_INTERLACE;

	snprintf(mode->name, DRM_DISPLAY_MODE_LEN, "%dx%d%s",
		 (int)mode->hdisplay, (int)mode->vdisplay,
		 interlaced ? "i" : "");
	mode->vrefresh = (uint32_t)udrm_mode_vrefresh(mode);
}

int udrm_mode_vrefresh(const struct drm_mode_modeinfo *mode)
{
	uint64_t num, den;

	if (!mode->htotal || !mode->vtotal)
		return 0;
	num = (uint64_t)mode->clock * 1000;
	den = (uint64_t)mode->htotal * mode->vtotal;
	if (mode->flags & DRM_MODE_FLAG_INTERLACE)
		num *= 2;
	if (mode->flags & DRM_MODE_FLAG_DBLSCAN)
		den *= 2;
	if (mode->vscan > 1)
		den *= mode->vscan;
	return (int)((num + den / 2) / den);
}

uint64_t udrm_mode_frame_ns(const struct drm_mode_modeinfo *mode)
{
	uint64_t ns;

	if (!mode->clock || !mode->htotal || !mode->vtotal)
		return 0;
	ns = (uint64_t)mode->htotal * mode->vtotal * 1000000ull / mode->clock;
	/* An interlaced mode's vblanks come once per field. */
	if (mode->flags & DRM_MODE_FLAG_INTERLACE)
		ns /= 2;
	if (mode->flags & DRM_MODE_FLAG_DBLSCAN)
		ns *= 2;
	return ns;
}

int udrm_mode_validate_user(const struct drm_mode_modeinfo *mode)
{
	/* drm_mode_convert_umode() then drm_mode_validate_basic(). */
	if (mode->clock > INT_MAX || mode->vrefresh > INT_MAX)
		return -ERANGE;
	switch (mode->flags & DRM_MODE_FLAG_PIC_AR_MASK) {
	case DRM_MODE_FLAG_PIC_AR_NONE:
	case DRM_MODE_FLAG_PIC_AR_4_3:
	case DRM_MODE_FLAG_PIC_AR_16_9:
	case DRM_MODE_FLAG_PIC_AR_64_27:
	case DRM_MODE_FLAG_PIC_AR_256_135:
		break;
	default:
		return -EINVAL;
	}
	if ((mode->flags & ~DRM_MODE_FLAG_PIC_AR_MASK) & ~DRM_MODE_FLAG_ALL)
		return -EINVAL;
	if ((mode->flags & DRM_MODE_FLAG_3D_MASK) >
	    DRM_MODE_FLAG_3D_SIDE_BY_SIDE_HALF)
		return -EINVAL;
	if (!mode->clock)
		return -EINVAL;
	if (!mode->hdisplay || mode->hsync_start < mode->hdisplay ||
	    mode->hsync_end < mode->hsync_start ||
	    mode->htotal < mode->hsync_end)
		return -EINVAL;
	if (!mode->vdisplay || mode->vsync_start < mode->vdisplay ||
	    mode->vsync_end < mode->vsync_start ||
	    mode->vtotal < mode->vsync_end)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

void udrm_kms_file_open(struct udrm_file *file)
{
	/* Nothing yet: fbs and blobs lists start empty (calloc). */
	(void)file;
}

void udrm_kms_file_close(struct udrm_file *file)
{
	struct udrm_kms *kms = file->dev->kms;
	struct udrm_property_blob *blob;

	if (!kms)
		return;
	pthread_mutex_lock(&kms->lock);
	udrm_vblank_file_close(kms, file);
	udrm_framebuffer_file_close(file);
	while ((blob = file->blobs)) {
		file->blobs = blob->next;
		blob->next = NULL;
		blob->owner = NULL;
		udrm_blob_put(blob);
	}
	udrm_lease_file_close(file);
	pthread_mutex_unlock(&kms->lock);
}

int udrm_mode_noop_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	(void)dev;
	(void)data;
	(void)file;
	return 0;
}
