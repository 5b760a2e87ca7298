// SPDX-License-Identifier: MIT
/*
 * Pixel format descriptions, as the kernel's drm_fourcc.c: planes, bytes
 * per block, block sizes, subsampling, the legacy depth, and the legacy
 * ADDFB bpp/depth mapping.
 */
#include <stddef.h>

#include <drm_fourcc.h>

#include "kms.h"

/* One packed plane of @cpp bytes per pixel. */
#define RGB(fmt, d, bytes, alpha)                                              \
	{                                                                      \
		.format = DRM_FORMAT_##fmt, .depth = d, .num_planes = 1,       \
		.cpp = {bytes}, .block_w = {1}, .block_h = {1}, .hsub = 1,     \
		.vsub = 1, .has_alpha = alpha                                  \
	}
/* One plane packing @ppb pixels in a byte. */
#define PACKED(fmt, d, ppb)                                                    \
	{                                                                      \
		.format = DRM_FORMAT_##fmt, .depth = d, .num_planes = 1,       \
		.cpp = {1}, .block_w = {ppb}, .block_h = {1}, .hsub = 1,       \
		.vsub = 1                                                      \
	}
/* Luma plus interleaved chroma. */
#define SEMI(fmt, y, uv, h, v)                                                 \
	{                                                                      \
		.format = DRM_FORMAT_##fmt, .num_planes = 2, .cpp = {y, uv},   \
		.block_w = {1, 1}, .block_h = {1, 1}, .hsub = h, .vsub = v,    \
		.is_yuv = true                                                 \
	}
/* Three planes. */
#define PLANAR(fmt, h, v)                                                      \
	{                                                                      \
		.format = DRM_FORMAT_##fmt, .num_planes = 3, .cpp = {1, 1, 1}, \
		.block_w = {1, 1, 1}, .block_h = {1, 1, 1}, .hsub = h,         \
		.vsub = v, .is_yuv = true                                      \
	}

static const struct udrm_format_info formats[] = {
	PACKED(C1, 1, 8),
	PACKED(C2, 2, 4),
	PACKED(C4, 4, 2),
	RGB(C8, 8, 1, false),
	PACKED(R1, 1, 8),
	PACKED(R2, 2, 4),
	PACKED(R4, 4, 2),
	RGB(R8, 8, 1, false),
	RGB(XRGB1555, 15, 2, false),
	RGB(ARGB1555, 15, 2, true),
	RGB(RGB565, 16, 2, false),
	RGB(BGR565, 16, 2, false),
	RGB(RGB888, 24, 3, false),
	RGB(BGR888, 24, 3, false),
	RGB(XRGB8888, 24, 4, false),
	RGB(XBGR8888, 24, 4, false),
	RGB(RGBX8888, 24, 4, false),
	RGB(BGRX8888, 24, 4, false),
	RGB(ARGB8888, 32, 4, true),
	RGB(ABGR8888, 32, 4, true),
	RGB(RGBA8888, 32, 4, true),
	RGB(BGRA8888, 32, 4, true),
	RGB(XRGB2101010, 30, 4, false),
	RGB(XBGR2101010, 30, 4, false),
	RGB(ARGB2101010, 30, 4, true),
	RGB(ABGR2101010, 30, 4, true),
	RGB(XRGB16161616, 0, 8, false),
	RGB(XBGR16161616, 0, 8, false),
	RGB(ARGB16161616, 0, 8, true),
	RGB(ABGR16161616, 0, 8, true),
	SEMI(NV12, 1, 2, 2, 2),
	SEMI(NV21, 1, 2, 2, 2),
	SEMI(NV16, 1, 2, 2, 1),
	SEMI(NV61, 1, 2, 2, 1),
	SEMI(NV24, 1, 2, 1, 1),
	SEMI(NV42, 1, 2, 1, 1),
	SEMI(P010, 2, 4, 2, 2),
	SEMI(P012, 2, 4, 2, 2),
	SEMI(P016, 2, 4, 2, 2),
	PLANAR(YUV420, 2, 2),
	PLANAR(YVU420, 2, 2),
	PLANAR(YUV422, 2, 1),
	PLANAR(YVU422, 2, 1),
	PLANAR(YUV444, 1, 1),
	PLANAR(YVU444, 1, 1),
};

const struct udrm_format_info *udrm_format_info(uint32_t format)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].format == format)
			return &formats[i];
	return NULL;
}

uint32_t udrm_mode_legacy_fb_format(uint32_t bpp, uint32_t depth)
{
	switch (bpp) {
	case 1:
		return depth == 1 ? DRM_FORMAT_C1 : DRM_FORMAT_INVALID;
	case 2:
		return depth == 2 ? DRM_FORMAT_C2 : DRM_FORMAT_INVALID;
	case 4:
		return depth == 4 ? DRM_FORMAT_C4 : DRM_FORMAT_INVALID;
	case 8:
		return depth == 8 ? DRM_FORMAT_C8 : DRM_FORMAT_INVALID;
	case 16:
		if (depth == 15)
			return DRM_FORMAT_XRGB1555;
		return depth == 16 ? DRM_FORMAT_RGB565 : DRM_FORMAT_INVALID;
	case 24:
		return depth == 24 ? DRM_FORMAT_RGB888 : DRM_FORMAT_INVALID;
	case 32:
		if (depth == 24)
			return DRM_FORMAT_XRGB8888;
		if (depth == 30)
			return DRM_FORMAT_XRGB2101010;
		return depth == 32 ? DRM_FORMAT_ARGB8888 : DRM_FORMAT_INVALID;
	}
	return DRM_FORMAT_INVALID;
}

uint64_t udrm_format_min_pitch(const struct udrm_format_info *info, int p,
			       uint32_t width)
{
	uint64_t block;

	if (p < 0 || p >= info->num_planes)
		return 0;
	block = (uint64_t)(info->block_w[p] ? info->block_w[p] : 1) *
		(info->block_h[p] ? info->block_h[p] : 1);
	return ((uint64_t)width * info->cpp[p] + block - 1) / block;
}
