/* SPDX-License-Identifier: MIT */
/*
 * The vkms composer: turns a CRTC's planes into one frame, line by line, in
 * 16 bits per channel ARGB (as the kernel's vkms_composer.c and
 * vkms_formats.c), and from it the CRC, the writeback buffer and the
 * captured picture. Pure computation: no KMS state, no locks; the driver
 * snapshots what to compose (struct vkms_frame_input) and calls
 * vkms_compose() off the ioctl path.
 */
#ifndef UDRM_VKMS_COMPOSER_H
#define UDRM_VKMS_COMPOSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <drm_fourcc.h>

#include "kms/kms.h"

/* One pixel of a composed line, the order of the kernel's pixel_argb_u16. */
struct vkms_pixel {
	uint16_t a, r, g, b;
};

/* Plane formats (what the planes advertise) and writeback formats. */
extern const uint32_t vkms_plane_formats[];
extern const unsigned int vkms_plane_format_count;
extern const uint32_t vkms_writeback_formats[];
extern const unsigned int vkms_writeback_format_count;

struct vkms_plane_input {
	const struct udrm_format_info *format;
	/* Start of each colour plane (fb map + fb offset) and its pitch. */
	const uint8_t *map[3];
	uint32_t pitch[3];
	uint32_t fb_width, fb_height;
	/* Visible part: source rectangle in 16.16 fixed point inside the
	 * fb, destination on the CRTC, both already clipped to the CRTC (the
	 * atomic check computed them; no scaling: sizes are equal). */
	struct udrm_rect src, dst;
	uint32_t rotation;   /* DRM_MODE_ROTATE_* | DRM_MODE_REFLECT_* */
	uint16_t alpha;	     /* plane alpha, 0xffff opaque */
	uint16_t blend_mode; /* DRM_MODE_BLEND_PIXEL_NONE/PREMULTI/COVERAGE */
	uint32_t color_encoding; /* UDRM_COLOR_YCBCR_BT601/709/2020 */
	uint32_t color_range;	 /* UDRM_COLOR_YCBCR_LIMITED/FULL_RANGE */
};

struct drm_color_lut;

struct vkms_frame_input {
	uint32_t width, height; /* the mode's active area */
	uint64_t background;	/* DRM_ARGB64: 16 bpc, alpha ignored */
	/* Bottom to top (normalised zpos order). */
	const struct vkms_plane_input *planes;
	unsigned int num_planes;
	/* Gamma LUT (GAMMA_LUT blob), NULL for none. */
	const struct drm_color_lut *gamma;
	uint32_t gamma_size;
};

struct vkms_frame_output {
	/*
	 * CRC32 (zlib's crc32()) of the composed picture as two byte planes:
	 * first, for every pixel (top line first, left to right), the high
	 * bytes of r, g and b; then, in the same order, each channel's low
	 * byte XOR its high byte. Composed pixels are opaque (alpha 0xffff),
	 * so this is a one-to-one encoding of the 16-bit picture: the CRC
	 * changes exactly when the picture does, as the kernel's CRC of its
	 * 16-bit lines. A picture of 8-bit values (each channel v * 257) has
	 * an all-zero second plane, which costs nothing.
	 */
	bool want_crc;
	uint32_t crc;
	/* The whole composed frame (width * height pixels, @frame_stride
	 * bytes per line) or NULL, in @frame_format: VKMS_FRAME_16 (struct
	 * vkms_pixel) or DRM_FORMAT_BGR888 (bytes r, g, b, each channel
	 * rounded to 8 bits as the XRGB8888 writeback does). */
	void *frame;
	size_t frame_stride;
	uint32_t frame_format;
	/* Writeback: a buffer of the mode's size in one of
	 * vkms_writeback_formats, or wb_format 0 for none. */
	uint32_t wb_format;
	uint8_t *wb_map;
	uint32_t wb_pitch;
};

/* frame_format of a frame of struct vkms_pixel. */
#define VKMS_FRAME_16 0u

/* Scratch lines reused between frames (one composer per CRTC), and the
 * gamma LUT expanded to one entry per 16-bit value for large frames. */
struct vkms_composer {
	struct vkms_pixel *line, *plane_line;
	size_t capacity;       /* pixels */
	uint16_t *gamma_table; /* 3 * 65536 entries (r, g, b) or NULL */
};

void vkms_composer_init(struct vkms_composer *c);
void vkms_composer_fini(struct vkms_composer *c);

/* Composes one frame. Returns 0, -ENOMEM, or -EINVAL for an input the
 * atomic check should have refused (unknown format, rectangles outside the
 * frame or the fb). */
int vkms_compose(struct vkms_composer *c, const struct vkms_frame_input *in,
		 struct vkms_frame_output *out);

/* For tests of the non-temporal store paths: frames of at least @bytes
 * are written with them (default: 16 MiB). Returns the old value. */
size_t vkms_composer_set_stream_min(size_t bytes);

#endif
