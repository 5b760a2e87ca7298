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

static void vkms_plane_destroy(struct udrm_plane *plane) { free(plane); }

static const struct udrm_plane_funcs vkms_plane_funcs = {
    .destroy = vkms_plane_destroy,
};

static void vkms_encoder_destroy(struct udrm_encoder *encoder) {
  free(encoder);
}

static int vkms_connector_detect(struct udrm_connector *conn) {
  const struct vkms_config_connector *cc = conn->driver_private;

  return (int)cc->status;
}

/* vkms_conn_get_modes(): no EDID, every DMT mode that fits, 1024x768
 * preferred. */
static int vkms_connector_get_modes(struct udrm_connector *conn) {
  int count = udrm_connector_add_modes_noedid(conn, XRES_MAX, YRES_MAX);

  udrm_connector_set_preferred_mode(conn, XRES_DEF, YRES_DEF);
  return count;
}

static void vkms_connector_destroy(struct udrm_connector *conn) { free(conn); }

static const struct udrm_connector_funcs vkms_connector_funcs = {
    .destroy = vkms_connector_destroy,
    .detect = vkms_connector_detect,
    .get_modes = vkms_connector_get_modes,
};

static const uint32_t vkms_rotations =
    DRM_MODE_ROTATE_0 | DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_180 |
    DRM_MODE_ROTATE_270 | DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y;

static int vkms_plane_create(struct vkms_device *vkms, unsigned int index,
                             uint32_t zpos) {
  const struct vkms_config_plane *cp = &vkms->config.planes[index];
  struct udrm_plane *plane = calloc(1, sizeof(*plane));
  unsigned int last = vkms->config.num_planes - 1;
  int ret;

  if (!plane)
    return -ENOMEM;
  ret = udrm_plane_init(vkms->kms, plane, cp->possible_crtcs, &vkms_plane_funcs,
                        vkms_plane_formats, vkms_plane_format_count, NULL,
                        cp->type, NULL);
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
        (1u << UDRM_COLOR_YCBCR_BT601) | (1u << UDRM_COLOR_YCBCR_BT709) |
            (1u << UDRM_COLOR_YCBCR_BT2020),
        (1u << UDRM_COLOR_YCBCR_LIMITED_RANGE) |
            (1u << UDRM_COLOR_YCBCR_FULL_RANGE),
        UDRM_COLOR_YCBCR_BT601, UDRM_COLOR_YCBCR_LIMITED_RANGE);
  return ret;
}

/* Primary planes at the bottom, cursors on top, overlays between in
 * creation order: the default zpos of each plane. */
static uint32_t vkms_default_zpos(const struct vkms_config *cfg,
                                  unsigned int index) {
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
                                          unsigned int crtc, uint32_t type) {
  unsigned int i;

  for (i = 0; i < vkms->config.num_planes; i++)
    if (vkms->config.planes[i].type == type &&
        (vkms->config.planes[i].possible_crtcs & (1u << crtc)))
      return vkms->planes[i];
  return NULL;
}

static int vkms_build(struct vkms_device *vkms) {
  const struct vkms_config *cfg = &vkms->config;
  unsigned int i, e;
  int ret;

  for (i = 0; i < cfg->num_planes; i++) {
    ret = vkms_plane_create(vkms, i, vkms_default_zpos(cfg, i));
    if (ret)
      return ret;
  }
  for (i = 0; i < cfg->num_crtcs; i++) {
    ret = vkms_output_init(vkms, i,
                           vkms_find_plane(vkms, i, DRM_PLANE_TYPE_PRIMARY),
                           vkms_find_plane(vkms, i, DRM_PLANE_TYPE_CURSOR));
    if (ret)
      return ret;
  }
  for (i = 0; i < cfg->num_encoders; i++) {
    struct udrm_encoder *enc = calloc(1, sizeof(*enc));

    if (!enc)
      return -ENOMEM;
    ret = udrm_encoder_init(vkms->kms, enc, DRM_MODE_ENCODER_VIRTUAL,
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
    ret = udrm_connector_init(vkms->kms, conn, &vkms_connector_funcs,
                              DRM_MODE_CONNECTOR_VIRTUAL);
    if (ret) {
      free(conn);
      return ret;
    }
    vkms->connectors[i] = conn;
    for (e = 0; e < cfg->num_encoders; e++) {
      if (!(cfg->connectors[i].possible_encoders & (1u << e)))
        continue;
      ret = udrm_connector_attach_encoder(conn, vkms->encoders[e]);
      if (ret)
        return ret;
    }
  }
  return 0;
}

static int vkms_register_files(struct vkms_device *vkms) {
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

static void vkms_teardown(struct udrm_device *dev, struct vkms_device *vkms) {
  unsigned int i;

  /* Composer threads and blocked CRC readers first, then the files
   * (their release callbacks still see the outputs), then KMS. */
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

static int vkms_load(struct udrm_device *dev, const char *options) {
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
  return 0;

err:
  vkms_teardown(dev, vkms);
  return ret;
}

static void vkms_unload(struct udrm_device *dev) {
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
