/* SPDX-License-Identifier: MIT */
/*
 * The vkms topology: how many CRTCs, which planes (and on which CRTCs),
 * encoders, connectors and writeback connectors, as the kernel's VKMS
 * configfs describes a device, with its validation rules.
 *
 * It comes from the device's options in the udrm configuration file:
 *
 *   [device]
 *   driver = vkms
 *   crtcs = 2                    number of CRTCs (1..32)
 *   plane = primary 0            one line per plane: type, possible CRTCs
 *   plane = cursor 0
 *   plane = overlay 0 1
 *   plane = primary 1
 *   encoder = 0 1                one line per encoder: possible CRTCs
 *   connector = connected 0      one line per connector: status
 *                                (connected, disconnected, unknown), then
 *                                possible encoders
 *   writeback = 0                a writeback connector on CRTC 0 (repeat
 *                                for more CRTCs)
 *
 * Without any of these keys the topology is kernel VKMS's default: one
 * CRTC with a primary, a cursor and an overlay plane, one Virtual encoder
 * and connector, and a writeback connector. The module parameters of
 * kernel VKMS adjust that default: enable_cursor, enable_overlay and
 * enable_writeback = true | false (overlay_planes = N for N overlays).
 *
 *   fbdev = true                 light the first CRTC at load with the
 *                                preferred mode and a black framebuffer,
 *                                as the kernel's fbdev emulation (the
 *                                console) does; off by default
 */
#ifndef UDRM_VKMS_CONFIG_H
#define UDRM_VKMS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VKMS_MAX_CRTCS	    32
#define VKMS_MAX_PLANES	    64
#define VKMS_MAX_ENCODERS   32
#define VKMS_MAX_CONNECTORS 32
#define VKMS_MAX_OVERLAYS   8 /* as the kernel's NUM_OVERLAY_PLANES */

struct vkms_config_plane {
	uint32_t type;		 /* DRM_PLANE_TYPE_* */
	uint32_t possible_crtcs; /* bit per CRTC index */
};

struct vkms_config_connector {
	uint32_t status;	    /* enum drm_connector_status */
	uint32_t possible_encoders; /* bit per encoder index */
};

struct vkms_config {
	unsigned int num_crtcs;
	struct vkms_config_plane planes[VKMS_MAX_PLANES];
	unsigned int num_planes;
	uint32_t encoders[VKMS_MAX_ENCODERS]; /* possible CRTCs of each */
	unsigned int num_encoders;
	struct vkms_config_connector connectors[VKMS_MAX_CONNECTORS];
	unsigned int num_connectors;
	uint32_t writeback_crtcs; /* bit per CRTC with a writeback connector */
	bool fbdev;		  /* emulate the console's mode at load */
};

/*
 * Parses @options (the "key=value" lines of the device's configuration)
 * into @cfg and validates it. Returns 0 or -EINVAL with a message naming
 * the offending line or rule in @err.
 */
int vkms_config_parse(const char *options, struct vkms_config *cfg, char *err,
		      size_t errlen);

/* The configfs rules: CRTC count, exactly one primary and at most one
 * cursor plane per CRTC, every plane/encoder/connector with a possible
 * target that exists, every CRTC reachable by an encoder. */
int vkms_config_validate(const struct vkms_config *cfg, char *err,
			 size_t errlen);

#endif
