// SPDX-License-Identifier: MIT
/*
 * vkms: the virtual KMS driver, as the kernel's drivers/gpu/drm/vkms: a
 * topology built from the device's configuration (vkms_config.h), planes
 * in every format the composer reads, connectors without EDID offering
 * modes up to 8192x8192 (1024x768 preferred) whose status can be forced
 * through sysfs, and per-CRTC outputs composing frames (vkms_output.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "core/device.h"
#include "core/driver.h"
#include "core/gem.h"
#include "core/vfile.h"
#include "vkms_drv.h"

#define XRES_MIN 10
#define YRES_MIN 10
#define XRES_DEF 1024
#define YRES_DEF 768
#define XRES_MAX 8192
#define YRES_MAX 8192

static void vkms_plane_destroy(struct udrm_plane *plane)
{
	free(plane);
}

static const struct udrm_plane_funcs vkms_plane_funcs = {
	.destroy = vkms_plane_destroy,
};

static void vkms_encoder_destroy(struct udrm_encoder *encoder)
{
	free(encoder);
}

static int vkms_connector_detect(struct udrm_connector *conn)
{
	const struct vkms_config_connector *cc = conn->driver_private;

	return (int)cc->status;
}

/* vkms_conn_get_modes(): no EDID, every DMT mode that fits, 1024x768
 * preferred. */
static int vkms_connector_get_modes(struct udrm_connector *conn)
{
	int count = udrm_connector_add_modes_noedid(conn, XRES_MAX, YRES_MAX);

	udrm_connector_set_preferred_mode(conn, XRES_DEF, YRES_DEF);
	return count;
}

static void vkms_connector_destroy(struct udrm_connector *conn)
{
	free(conn);
}

static const struct udrm_connector_funcs vkms_connector_funcs = {
	.destroy = vkms_connector_destroy,
	.detect = vkms_connector_detect,
	.get_modes = vkms_connector_get_modes,
};

static const uint32_t vkms_rotations =
	DRM_MODE_ROTATE_0 | DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_180 |
	DRM_MODE_ROTATE_270 | DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y;

static int vkms_plane_create(struct vkms_device *vkms, unsigned int index,
			     uint32_t zpos)
{
	const struct vkms_config_plane *cp = &vkms->config.planes[index];
	struct udrm_plane *plane = calloc(1, sizeof(*plane));
	unsigned int last = vkms->config.num_planes - 1;
	int ret;

	if (!plane)
		return -ENOMEM;
	ret = udrm_plane_init(vkms->kms, plane, cp->possible_crtcs,
			      &vkms_plane_funcs, vkms_plane_formats,
			      vkms_plane_format_count, NULL, cp->type, NULL);
	if (ret) {
		free(plane);
		return ret;
	}
	vkms->planes[index] = plane;
	ret = udrm_plane_create_rotation_property(plane, DRM_MODE_ROTATE_0,
						  vkms_rotations);
	if (!ret)
		ret = udrm_plane_create_alpha_property(plane);
	if (!ret)
		ret = udrm_plane_create_blend_mode_property(
			plane, (1u << DRM_MODE_BLEND_PIXEL_NONE) |
				       (1u << DRM_MODE_BLEND_PREMULTI) |
				       (1u << DRM_MODE_BLEND_COVERAGE));
	if (!ret)
		ret = udrm_plane_create_zpos_property(plane, zpos, 0, last);
	if (!ret)
		ret = udrm_plane_create_color_properties(
			plane,
			(1u << UDRM_COLOR_YCBCR_BT601) |
				(1u << UDRM_COLOR_YCBCR_BT709) |
				(1u << UDRM_COLOR_YCBCR_BT2020),
			(1u << UDRM_COLOR_YCBCR_LIMITED_RANGE) |
				(1u << UDRM_COLOR_YCBCR_FULL_RANGE),
			UDRM_COLOR_YCBCR_BT601, UDRM_COLOR_YCBCR_LIMITED_RANGE);
	return ret;
}

/* Primary planes at the bottom, cursors on top, overlays between in
 * creation order: the default zpos of each plane. */
static uint32_t vkms_default_zpos(const struct vkms_config *cfg,
				  unsigned int index)
{
	uint32_t type = cfg->planes[index].type, z = 0;
	unsigned int i;

	if (type == DRM_PLANE_TYPE_PRIMARY)
		return 0;
	if (type == DRM_PLANE_TYPE_CURSOR)
		return cfg->num_planes - 1;
	for (i = 0; i < index; i++)
		if (cfg->planes[i].type == DRM_PLANE_TYPE_OVERLAY)
			z++;
	return 1 + z;
}

static struct udrm_plane *vkms_find_plane(struct vkms_device *vkms,
					  unsigned int crtc, uint32_t type)
{
	unsigned int i;

	for (i = 0; i < vkms->config.num_planes; i++)
		if (vkms->config.planes[i].type == type &&
		    (vkms->config.planes[i].possible_crtcs & (1u << crtc)))
			return vkms->planes[i];
	return NULL;
}

static int vkms_build(struct vkms_device *vkms)
{
	const struct vkms_config *cfg = &vkms->config;
	unsigned int i, e;
	int ret;

	for (i = 0; i < cfg->num_planes; i++) {
		ret = vkms_plane_create(vkms, i, vkms_default_zpos(cfg, i));
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->num_crtcs; i++) {
		ret = vkms_output_init(
			vkms, i,
			vkms_find_plane(vkms, i, DRM_PLANE_TYPE_PRIMARY),
			vkms_find_plane(vkms, i, DRM_PLANE_TYPE_CURSOR));
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->num_encoders; i++) {
		struct udrm_encoder *enc = calloc(1, sizeof(*enc));

		if (!enc)
			return -ENOMEM;
		ret = udrm_encoder_init(vkms->kms, enc,
					DRM_MODE_ENCODER_VIRTUAL,
					cfg->encoders[i]);
		if (ret) {
			free(enc);
			return ret;
		}
		enc->destroy = vkms_encoder_destroy;
		vkms->encoders[i] = enc;
	}
	for (i = 0; i < cfg->num_connectors; i++) {
		struct udrm_connector *conn = calloc(1, sizeof(*conn));

		if (!conn)
			return -ENOMEM;
		conn->driver_private = (void *)&cfg->connectors[i];
		ret = udrm_connector_init(vkms->kms, conn,
					  &vkms_connector_funcs,
					  DRM_MODE_CONNECTOR_VIRTUAL);
		if (ret) {
			free(conn);
			return ret;
		}
		vkms->connectors[i] = conn;
		for (e = 0; e < cfg->num_encoders; e++) {
			if (!(cfg->connectors[i].possible_encoders & (1u << e)))
				continue;
			ret = udrm_connector_attach_encoder(conn,
							    vkms->encoders[e]);
			if (ret)
				return ret;
		}
	}
	for (i = 0; i < cfg->num_crtcs; i++) {
		if (!(cfg->writeback_crtcs & (1u << i)))
			continue;
		ret = vkms_output_init_writeback(vkms->outputs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int vkms_register_files(struct vkms_device *vkms)
{
	unsigned int i;
	int ret;

	ret = udrm_kms_publish_files(vkms->kms);
	if (ret)
		return ret;
	for (i = 0; i < vkms->config.num_crtcs; i++) {
		ret = vkms_crc_register(vkms->outputs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The mode the console would get: the first connected connector's
 * preferred mode (or its first) on the first CRTC its encoder can use. */
static int vkms_fbdev_pick(struct vkms_device *vkms,
			   struct udrm_connector **conn_out,
			   struct udrm_crtc **crtc_out,
			   struct drm_mode_modeinfo *mode)
{
	struct udrm_kms *kms = vkms->kms;
	unsigned int c, m;

	for (c = 0; c < kms->num_connector; c++) {
		struct udrm_connector *conn = kms->connectors[c];
		struct udrm_encoder *enc;
		unsigned int e, i;

		if (conn->writeback || conn->status != 1 || !conn->num_modes)
			continue;
		*mode = conn->modes[0];
		for (m = 0; m < conn->num_modes; m++)
			if (conn->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
				*mode = conn->modes[m];
				break;
			}
		for (e = 0; e < kms->num_encoder; e++) {
			if (!(conn->possible_encoders & (1u << e)))
				continue;
			enc = kms->encoders[e];
			for (i = 0; i < kms->num_crtc; i++) {
				if (enc->possible_crtcs & (1u << i)) {
					*conn_out = conn;
					*crtc_out = kms->crtcs[i];
					return 0;
				}
			}
		}
	}
	return -ENODEV;
}

static int vkms_fbdev_set_props(struct udrm_atomic_state *state,
				const struct udrm_kms *kms,
				struct udrm_connector *conn,
				struct udrm_crtc *crtc, uint32_t fb_id,
				uint32_t blob_id, uint32_t w, uint32_t h)
{
	const struct {
		struct udrm_mode_object *obj;
		struct udrm_property *prop;
		uint64_t value;
	} set[] = {
		{&crtc->base, kms->prop.active, 1},
		{&crtc->base, kms->prop.mode_id, blob_id},
		{&conn->base, kms->prop.conn_crtc_id, crtc->base.id},
		{&crtc->primary->base, kms->prop.fb_id, fb_id},
		{&crtc->primary->base, kms->prop.crtc_id, crtc->base.id},
		{&crtc->primary->base, kms->prop.src_w, (uint64_t)w << 16},
		{&crtc->primary->base, kms->prop.src_h, (uint64_t)h << 16},
		{&crtc->primary->base, kms->prop.crtc_w, w},
		{&crtc->primary->base, kms->prop.crtc_h, h},
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		ret = udrm_atomic_set_property(state, set[i].obj, set[i].prop,
					       set[i].value);
		if (ret)
			return ret;
	}
	return 0;
}

/* Fbdev emulation: what the kernel's console does at load, a black
 * XRGB8888 framebuffer of the preferred mode on the first CRTC. */
static int vkms_fbdev_setup(struct vkms_device *vkms)
{
	struct udrm_kms *kms = vkms->kms;
	struct drm_mode_fb_cmd2 r = {.pixel_format = DRM_FORMAT_XRGB8888};
	struct udrm_property_blob *blob = NULL;
	struct udrm_framebuffer *fb = NULL;
	struct udrm_atomic_state *state;
	struct udrm_gem_object *obj;
	struct drm_mode_modeinfo mode;
	struct udrm_connector *conn;
	struct udrm_crtc *crtc;
	int ret;

	pthread_mutex_lock(&kms->lock);
	ret = vkms_fbdev_pick(vkms, &conn, &crtc, &mode);
	if (ret)
		goto out;
	r.width = mode.hdisplay;
	r.height = mode.vdisplay;
	r.pitches[0] = r.width * 4;
	ret = udrm_gem_object_create(vkms->dev,
				     (uint64_t)r.pitches[0] * r.height, &obj);
	if (ret)
		goto out;
	ret = udrm_framebuffer_create_internal(kms, &r, &obj, &fb);
	udrm_gem_object_put(obj);
	if (ret)
		goto out;
	ret = udrm_property_blob_create(kms, sizeof(mode), &mode, &blob);
	if (ret)
		goto out;
	state = udrm_atomic_state_alloc(kms, NULL);
	if (!state) {
		ret = -ENOMEM;
		goto out;
	}
	ret = vkms_fbdev_set_props(state, kms, conn, crtc, fb->base.id,
				   blob->base.id, r.width, r.height);
	if (!ret)
		ret = udrm_atomic_commit(state);
	if (ret)
		udrm_atomic_state_free(state);
out:
	/* The committed state holds its own references. */
	if (blob)
		udrm_blob_put(blob);
	if (fb)
		udrm_framebuffer_put(fb);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

static void vkms_teardown(struct udrm_device *dev, struct vkms_device *vkms)
{
	unsigned int i;

	/* Commits in flight first (no flush may make a new snapshot after
	 * the outputs stopped), then composer threads, snapshots and
	 * blocked CRC readers, then the files (their release callbacks
	 * still see the outputs), then KMS. */
	if (dev->kms)
		udrm_atomic_helper_fini(dev->kms);
	for (i = 0; i < VKMS_MAX_CRTCS; i++)
		if (vkms->outputs[i])
			vkms_output_stop(vkms->outputs[i]);
	udrm_vfile_remove_all(dev);
	if (dev->kms)
		udrm_kms_fini(dev->kms);
	dev->kms = NULL;
	dev->driver_private = NULL;
	free(vkms);
}

static int vkms_load(struct udrm_device *dev, const char *options)
{
	struct vkms_device *vkms;
	char err[200];
	int ret;

	vkms = calloc(1, sizeof(*vkms));
	if (!vkms)
		return -ENOMEM;
	ret = vkms_config_parse(options, &vkms->config, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "udrm: vkms: %s\n", err);
		free(vkms);
		return ret;
	}
	vkms->dev = dev;
	dev->driver_private = vkms;
	ret = udrm_kms_init(dev, NULL, &vkms->kms);
	if (ret)
		goto err;
	dev->kms = vkms->kms;
	vkms->kms->driver_private = vkms;
	/* As vkms_modeset_init(). */
	vkms->kms->min_width = XRES_MIN;
	vkms->kms->min_height = YRES_MIN;
	vkms->kms->max_width = XRES_MAX;
	vkms->kms->max_height = YRES_MAX;
	vkms->kms->cursor_width = 512;
	vkms->kms->cursor_height = 512;
	dev->mode_config.preferred_depth = 0;

	ret = vkms_build(vkms);
	if (ret)
		goto err;
	ret = udrm_kms_register(vkms->kms);
	if (ret)
		goto err;
	ret = vkms_register_files(vkms);
	if (ret)
		goto err;
	if (vkms->config.fbdev) {
		ret = vkms_fbdev_setup(vkms);
		if (ret) {
			fprintf(stderr, "udrm: vkms: fbdev emulation: %s\n",
				strerror(-ret));
			goto err;
		}
	}
	return 0;

err:
	vkms_teardown(dev, vkms);
	return ret;
}

static void vkms_unload(struct udrm_device *dev)
{
	vkms_teardown(dev, dev->driver_private);
}

const struct udrm_driver vkms_driver = {
	.name = "vkms",
	.desc = "Virtual Kernel Mode Setting",
	.date = "20180514",
	.major = 1,
	.minor = 0,
	.patchlevel = 0,
	.features = UDRM_FEAT_MODESET | UDRM_FEAT_ATOMIC | UDRM_FEAT_GEM,
	.load = vkms_load,
	.unload = vkms_unload,
	.capture = vkms_capture,
	.last_frame = vkms_last_frame,
	.dumb_create = udrm_gem_dumb_create,
};
