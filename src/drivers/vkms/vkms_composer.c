// SPDX-License-Identifier: MIT
/*
 * The vkms composer (the kernel's vkms_composer.c): for every line of the
 * CRTC, the background colour, then each plane bottom to top read into 16
 * bpc ARGB and blended with its plane alpha and pixel blend mode, then the
 * gamma LUT, the CRC, the captured frame and the writeback buffer.
 *
 * Fast paths, all giving the same result as the general path:
 * - an opaque plane (plane alpha 0xffff, no pixel alpha or blend mode
 *   "None") is read straight into the line, no blending;
 * - planes and background under the topmost opaque plane that covers the
 *   whole line are not read at all;
 * - a plane with plane alpha 0 is skipped;
 * - blending is integer math on whole lines, one loop per blend mode;
 * - no LUT, no gamma pass; a large frame expands the LUT once to a table;
 * - a line whose planes are 8-bit, the bottom one opaque and full-width,
 *   the others pre-multiplied with plane alpha 0xffff, is composed in
 *   registers by the line kernels (vkms_line_8888() for the bottom plane
 *   alone, vkms_stack_line() otherwise), CRC and outputs included; a run
 *   of lines of the bottom plane alone without padding is one long line.
 */
/*
 * The line loops are written to be vectorised; GCC's -O2 only vectorises
 * loops that need no cost model (clang's -O2 does it all).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "vkms_composer.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vkms_formats.h"

/* Larger than any mode vkms offers; bounds the scratch allocations. */
#define VKMS_MAX_DIM 16384
/* Pixels composed, CRC'd and written back at a time (4 KiB of line). */
#ifndef VKMS_CHUNK
#define VKMS_CHUNK 512
#endif
/* Frames of at least this many pixels expand the gamma LUT to a table. */
#define VKMS_GAMMA_TABLE_MIN_PIXELS (3u * 65536u)
/* Captured frames of at least this many bytes (a 4K BGR888 frame, a 1080p
 * 16-bit one) are written with non-temporal stores: larger than what L3
 * keeps beside the planes, they would only evict the planes' lines.
 * Smaller ones are written through the caches, which measured as fast or
 * faster (1080p XRGB8888: 0.35 ms either way, sometimes 0.47 with them). */
#ifndef VKMS_STREAM_MIN_BYTES
#define VKMS_STREAM_MIN_BYTES (16u << 20)
#endif
static _Atomic size_t vkms_stream_min = VKMS_STREAM_MIN_BYTES;

size_t vkms_composer_set_stream_min(size_t bytes)
{
	return atomic_exchange(&vkms_stream_min, bytes);
}

#define VKMS_ROTATE_MASK                                                       \
	(DRM_MODE_ROTATE_0 | DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_180 |        \
	 DRM_MODE_ROTATE_270)
#define VKMS_REFLECT_MASK (DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y)

enum vkms_blend_kind {
	VKMS_SKIP,	    /* plane alpha 0: the plane changes nothing */
	VKMS_OPAQUE,	    /* fg replaces bg, alpha 0xffff from the reader */
	VKMS_OPAQUE_FIXA,   /* fg replaces bg, pixel alpha to be dropped */
	VKMS_LERP_CONST,    /* fg * pa + bg * (1 - pa) */
	VKMS_LERP_COVERAGE, /* fg * pa * fa + bg * (1 - pa * fa) */
	VKMS_PREMULTI,	    /* fg + bg * (1 - fa), plane alpha 0xffff */
	VKMS_PREMULTI_PA,   /* fg * pa + bg * (1 - pa * fa) */
};

/* One plane of the frame being composed, checked and prepared. */
struct vkms_plane_job {
	struct vkms_plane_reader reader;
	enum vkms_blend_kind kind;
	uint32_t rotation;
	uint16_t alpha;
	int src_x, src_y, src_w, src_h; /* whole pixels, fb orientation */
	int dst_x1, dst_y1, dst_x2, dst_y2;
	bool full_width;
	bool row8; /* 8-bit format read left to right by SIMD kernels */
	struct vkms_row8 simd8;
};

void vkms_composer_init(struct vkms_composer *c)
{
	memset(c, 0, sizeof(*c));
}

void vkms_composer_fini(struct vkms_composer *c)
{
	free(c->line);
	free(c->plane_line);
	free(c->gamma_table);
	memset(c, 0, sizeof(*c));
}

static int vkms_composer_reserve(struct vkms_composer *c, size_t width)
{
	struct vkms_pixel *line, *plane_line;

	if (width <= c->capacity)
		return 0;
	line = malloc(width * sizeof(*line));
	plane_line = malloc(width * sizeof(*plane_line));
	if (!line || !plane_line) {
		free(line);
		free(plane_line);
		return -ENOMEM;
	}
	free(c->line);
	free(c->plane_line);
	c->line = line;
	c->plane_line = plane_line;
	c->capacity = width;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checking the input                                                  */

static bool vkms_rotation_valid(uint32_t rotation)
{
	uint32_t rot = rotation & VKMS_ROTATE_MASK;

	if (rotation & ~(VKMS_ROTATE_MASK | VKMS_REFLECT_MASK))
		return false;
	return rot && !(rot & (rot - 1)); /* exactly one angle */
}

static int vkms_plane_check(const struct vkms_plane_input *p,
			    const struct vkms_frame_input *in,
			    struct vkms_plane_job *job)
{
	const struct vkms_format_desc *desc;
	int64_t sx, sy, sw, sh, dw, dh;
	bool swapped;

	if (!p->format || !(desc = vkms_format_desc(p->format->format)))
		return -EINVAL;
	if (!p->fb_width || !p->fb_height || p->fb_width > VKMS_MAX_DIM ||
	    p->fb_height > VKMS_MAX_DIM)
		return -EINVAL;
	if (!vkms_rotation_valid(p->rotation) ||
	    p->blend_mode > DRM_MODE_BLEND_COVERAGE)
		return -EINVAL;

	memset(job, 0, sizeof(*job));
	job->reader.desc = desc;
	for (unsigned int i = 0; i < desc->num_planes; i++) {
		uint32_t sub = i ? desc->hsub : 1;
		uint64_t w = (p->fb_width + sub - 1) / sub;

		if (!p->map[i] || p->pitch[i] < (w * desc->bpp[i] + 7) / 8)
			return -EINVAL;
		job->reader.map[i] = p->map[i];
		job->reader.pitch[i] = p->pitch[i];
	}
	if (desc->is_yuv &&
	    vkms_yuv_matrix_init(&job->reader.yuv, p->color_encoding,
				 p->color_range, desc->swap_uv))
		return -EINVAL;

	/* Source: whole pixels inside the fb, as drm_rect_fp_to_int(). */
	if (p->src.x1 < 0 || p->src.y1 < 0 || p->src.x2 < p->src.x1 ||
	    p->src.y2 < p->src.y1)
		return -EINVAL;
	sx = p->src.x1 >> 16;
	sy = p->src.y1 >> 16;
	sw = ((int64_t)p->src.x2 - p->src.x1) >> 16;
	sh = ((int64_t)p->src.y2 - p->src.y1) >> 16;
	if (sx + sw > p->fb_width || sy + sh > p->fb_height)
		return -EINVAL;

	/* Destination: inside the CRTC, the size of the (rotated) source. */
	if (p->dst.x1 < 0 || p->dst.y1 < 0 || p->dst.x2 < p->dst.x1 ||
	    p->dst.y2 < p->dst.y1 || (uint32_t)p->dst.x2 > in->width ||
	    (uint32_t)p->dst.y2 > in->height)
		return -EINVAL;
	dw = p->dst.x2 - p->dst.x1;
	dh = p->dst.y2 - p->dst.y1;
	swapped = p->rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
	if ((swapped ? sh : sw) != dw || (swapped ? sw : sh) != dh)
		return -EINVAL;

	job->rotation = p->rotation;
	job->alpha = p->alpha;
	job->src_x = (int)sx;
	job->src_y = (int)sy;
	job->src_w = (int)sw;
	job->src_h = (int)sh;
	job->dst_x1 = p->dst.x1;
	job->dst_y1 = p->dst.y1;
	job->dst_x2 = p->dst.x2;
	job->dst_y2 = p->dst.y2;
	job->full_width = p->dst.x1 == 0 && (uint32_t)p->dst.x2 == in->width;
	if (desc->is_8888 && p->rotation == DRM_MODE_ROTATE_0) {
		vkms_row8_init(&job->simd8, desc);
		job->row8 = job->simd8.simd;
	}

	/* Every blend mode gives fg.rgb for an opaque pixel with plane alpha
	 * 1, and bg.rgb with plane alpha 0 (drm_blend.c formulas). */
	if (!dw || !dh || p->alpha == 0)
		job->kind = VKMS_SKIP;
	else if (!desc->has_alpha || p->blend_mode == DRM_MODE_BLEND_PIXEL_NONE)
		job->kind = p->alpha != 0xffff ? VKMS_LERP_CONST
			    : desc->has_alpha  ? VKMS_OPAQUE_FIXA
					       : VKMS_OPAQUE;
	else if (p->blend_mode == DRM_MODE_BLEND_COVERAGE)
		job->kind = VKMS_LERP_COVERAGE;
	else
		job->kind =
			p->alpha == 0xffff ? VKMS_PREMULTI : VKMS_PREMULTI_PA;
	return 0;
}

/* Bytes per pixel of the captured frame. */
static size_t vkms_frame_cpp(const struct vkms_frame_output *out)
{
	return out->frame_format == VKMS_FRAME_16 ? sizeof(struct vkms_pixel)
						  : 3;
}

static int vkms_frame_check(const struct vkms_frame_input *in,
			    const struct vkms_frame_output *out,
			    vkms_write_line_fn *wb_write, unsigned int *wb_cpp)
{
	if (!in->width || !in->height || in->width > VKMS_MAX_DIM ||
	    in->height > VKMS_MAX_DIM)
		return -EINVAL;
	if (in->num_planes > UDRM_KMS_MAX_PLANES ||
	    (in->num_planes && !in->planes))
		return -EINVAL;
	if (in->gamma_size && !in->gamma)
		return -EINVAL;
	if (out->frame_format != VKMS_FRAME_16 &&
	    out->frame_format != DRM_FORMAT_BGR888)
		return -EINVAL;
	if (out->frame && out->frame_stride < in->width * vkms_frame_cpp(out))
		return -EINVAL;
	/* A 16-bit frame is an array of struct vkms_pixel; a BGR888 one is
	 * written byte by byte (or by aligned stores where it can). */
	if (out->frame && out->frame_format == VKMS_FRAME_16 &&
	    ((uintptr_t)out->frame % _Alignof(struct vkms_pixel) ||
	     out->frame_stride % _Alignof(struct vkms_pixel)))
		return -EINVAL;
	*wb_write = NULL;
	if (out->wb_format) {
		*wb_write = vkms_writeback_writer(out->wb_format, wb_cpp);
		if (!*wb_write || !out->wb_map ||
		    out->wb_pitch < (uint64_t)in->width * *wb_cpp)
			return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading a plane's line                                              */

/* The source of CRTC pixel (@x, @y) for a row8 plane. */
static const uint8_t *vkms_plane_row8(const struct vkms_plane_job *job, int x,
				      int y)
{
	return job->reader.map[0] +
	       (size_t)(job->src_y + y - job->dst_y1) * job->reader.pitch[0] +
	       (size_t)(job->src_x + x - job->dst_x1) * 4;
}

/*
 * Reads CRTC pixels @x1 to @x2 (excluded) of line @y, which @job covers,
 * into @out. The CRTC
 * pixel at (dst_x1 + i, y) shows the fb pixel found by undoing the
 * rotation (counter-clockwise, after the reflections) of the relative
 * position, as the kernel's drm_rect_rotate_inv(): the line becomes one
 * read along a row or a column of the source.
 */
static void vkms_plane_read_line(const struct vkms_plane_job *job, int x1,
				 int x2, int y, struct vkms_pixel *out)
{
	int w = job->src_w, h = job->src_h, ry = y - job->dst_y1;
	int x = 0, yy = ry, dx = 1, dy = 0, skip = x1 - job->dst_x1;

	if (job->row8) {
		vkms_read_8888(&job->simd8, vkms_plane_row8(job, x1, y),
			       (unsigned int)(x2 - x1), out);
		return;
	}
	switch (job->rotation & VKMS_ROTATE_MASK) {
	case DRM_MODE_ROTATE_90:
		x = w - 1 - ry;
		yy = 0;
		dx = 0;
		dy = 1;
		break;
	case DRM_MODE_ROTATE_180:
		x = w - 1;
		yy = h - 1 - ry;
		dx = -1;
		break;
	case DRM_MODE_ROTATE_270:
		x = ry;
		yy = h - 1;
		dx = 0;
		dy = -1;
		break;
	}
	if (job->rotation & DRM_MODE_REFLECT_X) {
		x = w - 1 - x;
		dx = -dx;
	}
	if (job->rotation & DRM_MODE_REFLECT_Y) {
		yy = h - 1 - yy;
		dy = -dy;
	}
	job->reader.desc->read_line(&job->reader, job->src_x + x + skip * dx,
				    job->src_y + yy + skip * dy, dx, dy,
				    (unsigned int)(x2 - x1), out);
}

/* ------------------------------------------------------------------ */
/* Blending                                                            */

/* round(x / 65535) for x <= 65535 * 65535, without a division. */
static inline uint32_t div65535(uint32_t x)
{
	x += 32768;
	return (x + (x >> 16)) >> 16;
}

static inline uint16_t sat16(uint32_t v)
{
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

VKMS_LINE_LOOP static void
blend_lerp_const(struct vkms_pixel *restrict bg,
		 const struct vkms_pixel *restrict fg, unsigned int n,
		 uint32_t ea)
{
	uint32_t inv = 0xffff - ea;

	for (unsigned int i = 0; i < n; i++) {
		bg[i].a = 0xffff;
		bg[i].r = (uint16_t)div65535(fg[i].r * ea + bg[i].r * inv);
		bg[i].g = (uint16_t)div65535(fg[i].g * ea + bg[i].g * inv);
		bg[i].b = (uint16_t)div65535(fg[i].b * ea + bg[i].b * inv);
	}
}

VKMS_LINE_LOOP static void
blend_lerp_coverage(struct vkms_pixel *restrict bg,
		    const struct vkms_pixel *restrict fg, unsigned int n,
		    uint32_t pa)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t ea = div65535(pa * fg[i].a), inv = 0xffff - ea;

		bg[i].a = 0xffff;
		bg[i].r = (uint16_t)div65535(fg[i].r * ea + bg[i].r * inv);
		bg[i].g = (uint16_t)div65535(fg[i].g * ea + bg[i].g * inv);
		bg[i].b = (uint16_t)div65535(fg[i].b * ea + bg[i].b * inv);
	}
}

/* The kernel's pre_mul_alpha_blend; saturates colours brighter than their
 * alpha (not valid pre-multiplied data). */
VKMS_LINE_LOOP static void blend_premulti(struct vkms_pixel *restrict bg,
					  const struct vkms_pixel *restrict fg,
					  unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t inv = 0xffffu - fg[i].a;

		bg[i].a = 0xffff;
		bg[i].r = sat16(fg[i].r + div65535(bg[i].r * inv));
		bg[i].g = sat16(fg[i].g + div65535(bg[i].g * inv));
		bg[i].b = sat16(fg[i].b + div65535(bg[i].b * inv));
	}
}

VKMS_LINE_LOOP static void
blend_premulti_pa(struct vkms_pixel *restrict bg,
		  const struct vkms_pixel *restrict fg, unsigned int n,
		  uint32_t pa)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t inv = 0xffff - div65535(pa * fg[i].a);

		bg[i].a = 0xffff;
		bg[i].r =
			sat16(div65535(pa * fg[i].r) + div65535(bg[i].r * inv));
		bg[i].g =
			sat16(div65535(pa * fg[i].g) + div65535(bg[i].g * inv));
		bg[i].b =
			sat16(div65535(pa * fg[i].b) + div65535(bg[i].b * inv));
	}
}

VKMS_LINE_LOOP static void vkms_opaque_alpha(struct vkms_pixel *p,
					     unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i].a = 0xffff;
}

VKMS_LINE_LOOP static void vkms_fill(struct vkms_pixel *line, unsigned int n,
				     uint64_t argb)
{
	/* DRM_ARGB64: a:r:g:b 16:16:16:16; the background is opaque. */
	const struct vkms_pixel px = {
		.a = 0xffff,
		.r = (uint16_t)(argb >> 32),
		.g = (uint16_t)(argb >> 16),
		.b = (uint16_t)argb,
	};

	for (unsigned int i = 0; i < n; i++)
		line[i] = px;
}

/* Blends CRTC pixels @x1 to @x2 (excluded) of line @y of @job into @line. */
static void vkms_plane_compose_line(struct vkms_composer *c,
				    const struct vkms_plane_job *job, int x1,
				    int x2, int y, struct vkms_pixel *line)
{
	struct vkms_pixel *dst = line + x1;
	unsigned int n = (unsigned int)(x2 - x1);

	switch (job->kind) {
	case VKMS_SKIP:
		return;
	case VKMS_OPAQUE:
		vkms_plane_read_line(job, x1, x2, y, dst);
		return;
	case VKMS_OPAQUE_FIXA:
		vkms_plane_read_line(job, x1, x2, y, dst);
		vkms_opaque_alpha(dst, n);
		return;
	case VKMS_PREMULTI:
		/* Read and blend in one pass, no scratch line. */
		if (job->row8) {
			vkms_premulti_8888(&job->simd8,
					   vkms_plane_row8(job, x1, y), n, dst);
			return;
		}
		break;
	default:
		break;
	}
	vkms_plane_read_line(job, x1, x2, y, c->plane_line);
	switch (job->kind) {
	case VKMS_LERP_CONST:
		blend_lerp_const(dst, c->plane_line, n, job->alpha);
		break;
	case VKMS_LERP_COVERAGE:
		blend_lerp_coverage(dst, c->plane_line, n, job->alpha);
		break;
	case VKMS_PREMULTI:
		blend_premulti(dst, c->plane_line, n);
		break;
	default:
		blend_premulti_pa(dst, c->plane_line, n, job->alpha);
		break;
	}
}

/*
 * Whether line @y is a stack the line kernels compose alone: plane @first
 * opaque, full-width and 8-bit, read by the AVX-512 kernels, and every
 * plane above it on the line 8-bit and pre-multiplied with plane alpha
 * 0xffff. Returns how many planes are above it (in @stack), -1 if not.
 */
static int vkms_line_stack(const struct vkms_plane_job *jobs,
			   unsigned int num_planes, unsigned int first, int y,
			   struct vkms_stack_plane *stack)
{
	const struct vkms_plane_job *job = &jobs[first];
	int n = 0;

	if (!job->full_width || !job->row8 || !job->simd8.line512 ||
	    y < job->dst_y1 || y >= job->dst_y2 ||
	    (job->kind != VKMS_OPAQUE && job->kind != VKMS_OPAQUE_FIXA))
		return -1;
	for (unsigned int i = first + 1; i < num_planes; i++) {
		job = &jobs[i];
		if (job->kind == VKMS_SKIP || y < job->dst_y1 ||
		    y >= job->dst_y2)
			continue;
		if (!job->row8 || job->kind != VKMS_PREMULTI)
			return -1;
		stack[n++] = (struct vkms_stack_plane){
			.s = &job->simd8,
			.src = vkms_plane_row8(job, job->dst_x1, y),
			.x1 = (unsigned int)job->dst_x1,
			.x2 = (unsigned int)job->dst_x2,
		};
	}
	return n;
}

/*
 * How many lines from @y on are plane @first alone (@y is a line of
 * vkms_line_stack() with no plane above) and can be composed as one long
 * line: its rows follow each other in memory, and so do the outputs' lines
 * (@out_contiguous).
 */
static unsigned int vkms_lone_lines(const struct vkms_plane_job *jobs,
				    unsigned int num_planes, unsigned int first,
				    int y, uint32_t width, bool out_contiguous)
{
	const struct vkms_plane_job *job = &jobs[first];
	int end = job->dst_y2;

	if (!out_contiguous || job->reader.pitch[0] != (size_t)width * 4)
		return 1;
	/* Planes above it start below @y (none is on line @y). */
	for (unsigned int i = first + 1; i < num_planes; i++)
		if (jobs[i].kind != VKMS_SKIP && jobs[i].dst_y1 > y &&
		    jobs[i].dst_y1 < end)
			end = jobs[i].dst_y1;
	return (unsigned int)(end - y);
}

/* Brings @len bytes at @p into the cache for writing. PREFETCHW (a NOP
 * on the x86-64 CPUs without it) in asm: compilers emit it only for
 * targets that have it, and drop a function whose only effect is one. */
static inline void vkms_prefetch_write(const void *p, size_t len)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	for (size_t i = 0; i < len; i += 64)
		__asm__ volatile("prefetchw %0" : : "m"(((const char *)p)[i]));
#else
	(void)p;
	(void)len;
#endif
}

/* ------------------------------------------------------------------ */
/* Gamma                                                               */

/*
 * The kernel's apply_lut_to_channel_value(): the value's position in the
 * LUT, v * (size - 1) / 0xffff, interpolated linearly between the two
 * entries around it (the last entry alone at the end).
 */
static uint16_t vkms_lut_channel(const struct drm_color_lut *lut, uint32_t size,
				 uint32_t v, int channel)
{
	uint64_t pos = (uint64_t)v * (size - 1);
	uint32_t i = (uint32_t)(pos / 0xffff), frac = (uint32_t)(pos % 0xffff);
	const struct drm_color_lut *e = &lut[i];
	int64_t lo, hi, delta;

	lo = channel == 0 ? e->red : channel == 1 ? e->green : e->blue;
	if (!frac || i + 1 >= size)
		return (uint16_t)lo;
	e++;
	hi = channel == 0 ? e->red : channel == 1 ? e->green : e->blue;
	delta = (hi - lo) * frac;
	/* Round half up, as drm_fixp2int_round(). */
	delta = delta >= 0 ? (delta + 32767) / 65535
			   : -((-delta - 32767 + 65534) / 65535);
	return (uint16_t)(lo + delta);
}

static int vkms_gamma_table_build(struct vkms_composer *c,
				  const struct vkms_frame_input *in)
{
	if (!c->gamma_table) {
		c->gamma_table = malloc(3 * 65536 * sizeof(*c->gamma_table));
		if (!c->gamma_table)
			return -ENOMEM;
	}
	for (int ch = 0; ch < 3; ch++)
		for (uint32_t v = 0; v < 65536; v++)
			c->gamma_table[ch * 65536 + v] = vkms_lut_channel(
				in->gamma, in->gamma_size, v, ch);
	return 0;
}

VKMS_LINE_LOOP static void vkms_gamma_apply(const struct vkms_composer *c,
					    const struct vkms_frame_input *in,
					    bool table, struct vkms_pixel *line,
					    unsigned int n)
{
	const uint16_t *t = c->gamma_table;

	if (table) {
		for (uint32_t i = 0; i < n; i++) {
			line[i].r = t[line[i].r];
			line[i].g = t[65536 + line[i].g];
			line[i].b = t[2 * 65536 + line[i].b];
		}
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		line[i].r = vkms_lut_channel(in->gamma, in->gamma_size,
					     line[i].r, 0);
		line[i].g = vkms_lut_channel(in->gamma, in->gamma_size,
					     line[i].g, 1);
		line[i].b = vkms_lut_channel(in->gamma, in->gamma_size,
					     line[i].b, 2);
	}
}

/* ------------------------------------------------------------------ */
/* The frame                                                           */

int vkms_compose(struct vkms_composer *c, const struct vkms_frame_input *in,
		 struct vkms_frame_output *out)
{
	struct vkms_plane_job jobs[UDRM_KMS_MAX_PLANES];
	vkms_write_line_fn wb_write;
	unsigned int wb_cpp = 0;
	bool gamma = false, gamma_table = false, stream, frame16, wb8;
	bool contiguous;
	struct vkms_crc crc;
	int ret;

	if (!c || !in || !out)
		return -EINVAL;
	ret = vkms_frame_check(in, out, &wb_write, &wb_cpp);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < in->num_planes; i++) {
		ret = vkms_plane_check(&in->planes[i], in, &jobs[i]);
		if (ret)
			return ret;
	}
	/* No CRC, no frame, no writeback: nothing to compose for. */
	if (!out->want_crc && !out->frame && !wb_write)
		return 0;
	frame16 = out->frame && out->frame_format == VKMS_FRAME_16;
	stream = out->frame && (uint64_t)in->height * out->frame_stride >=
				       atomic_load(&vkms_stream_min);
	/* An XRGB8888 writeback on a line of 8-bit planes is written by the
	 * line kernels (unless the frame is BGR888: they store one 8-bit
	 * output). */
	wb8 = out->wb_format == DRM_FORMAT_XRGB8888 &&
	      !(out->frame && !frame16);
	/* Lines without padding: runs of them are one long line. */
	contiguous = (!out->frame ||
		      out->frame_stride == in->width * vkms_frame_cpp(out)) &&
		     (!wb_write || out->wb_pitch == in->width * wb_cpp);
	ret = vkms_composer_reserve(c, in->width);
	if (ret)
		return ret;
	if (in->gamma && in->gamma_size) {
		gamma = true;
		if ((uint64_t)in->width * in->height >=
		    VKMS_GAMMA_TABLE_MIN_PIXELS) {
			ret = vkms_gamma_table_build(c, in);
			if (ret)
				return ret;
			gamma_table = true;
		}
	}
	vkms_crc_init(&crc);

	for (int y = 0, lines; y < (int)in->height; y += lines) {
		struct vkms_pixel *line = c->line;
		uint8_t *frame_line = NULL, *wb_line = NULL;
		struct vkms_stack_plane stack[UDRM_KMS_MAX_PLANES];
		unsigned int first = 0;
		bool covered = false;
		int nstack;

		lines = 1;
		if (out->frame)
			frame_line = (uint8_t *)out->frame +
				     (size_t)y * out->frame_stride;
		if (wb_write)
			wb_line = out->wb_map + (size_t)y * out->wb_pitch;
		/* Compose in place when the caller wants the 16-bit frame. */
		if (frame16)
			line = (struct vkms_pixel *)frame_line;

		/* Nothing under the topmost opaque full-width plane shows. */
		for (unsigned int i = in->num_planes; i-- > 0;) {
			const struct vkms_plane_job *job = &jobs[i];

			if (job->full_width && y >= job->dst_y1 &&
			    y < job->dst_y2 &&
			    (job->kind == VKMS_OPAQUE ||
			     job->kind == VKMS_OPAQUE_FIXA)) {
				first = i;
				covered = true;
				break;
			}
		}

		/* 8-bit planes over an opaque one: composed, CRC'd and
		 * stored in one pass, in registers; an opaque plane alone
		 * has 8-bit values, the CRC's second plane is all zeros. */
		if (covered && !gamma && (!wb_write || wb8) &&
		    (nstack = vkms_line_stack(jobs, in->num_planes, first, y,
					      stack)) >= 0) {
			const struct vkms_plane_job *job = &jobs[first];
			uint8_t *out8 = wb_write  ? wb_line
					: frame16 ? NULL
						  : frame_line;
			uint32_t out8_format = wb_write ? DRM_FORMAT_XRGB8888
							: DRM_FORMAT_BGR888;

			if (!nstack) {
				unsigned int n;

				lines = (int)vkms_lone_lines(
					jobs, in->num_planes, first, y,
					in->width, contiguous);
				n = in->width * (unsigned int)lines;
				crc.h = vkms_line_8888(
					&job->simd8, vkms_plane_row8(job, 0, y),
					n, frame16 ? line : NULL, out8,
					out8_format, stream && !wb_write,
					out->want_crc, crc.h);
				if (out->want_crc)
					vkms_crc_exact(&crc, n);
			} else {
				vkms_stack_line(
					&job->simd8, vkms_plane_row8(job, 0, y),
					in->width, stack, (unsigned int)nstack,
					frame16 ? line : NULL, out8,
					out8_format,
					out->want_crc ? &crc : NULL);
			}
			continue;
		}

		/* A chunk at a time: composed, then CRC'd and written back
		 * while in L1, the source reads never pausing long. */
		for (int x1 = 0; x1 < (int)in->width; x1 += VKMS_CHUNK) {
			int x2 = x1 + VKMS_CHUNK > (int)in->width
					 ? (int)in->width
					 : x1 + VKMS_CHUNK;
			unsigned int n = (unsigned int)(x2 - x1);

			/* A chunk of the frame is fetched for writing
			 * before it is composed: the readers would stall on
			 * every cache line of it they write first. */
			if (!covered)
				vkms_fill(line + x1, n, in->background);
			else if (frame16)
				vkms_prefetch_write(line + x1,
						    n * sizeof(*line));
			for (unsigned int i = first; i < in->num_planes; i++) {
				const struct vkms_plane_job *job = &jobs[i];

				if (y >= job->dst_y1 && y < job->dst_y2 &&
				    job->dst_x1 < x2 && job->dst_x2 > x1)
					vkms_plane_compose_line(
						c, job,
						job->dst_x1 > x1 ? job->dst_x1
								 : x1,
						job->dst_x2 < x2 ? job->dst_x2
								 : x2,
						y, line);
			}
			if (gamma)
				vkms_gamma_apply(c, in, gamma_table, line + x1,
						 n);
			if (out->want_crc)
				vkms_crc_pixels(&crc, line + x1, n);
			if (out->frame && !frame16)
				vkms_write_bgr888(frame_line + (size_t)x1 * 3,
						  line + x1, n);
			if (wb_write)
				wb_write(wb_line + (size_t)x1 * wb_cpp,
					 line + x1, n);
		}
	}
	if (stream)
		vkms_stream_end();
	if (out->want_crc)
		out->crc = vkms_crc_final(&crc);
	vkms_simd_end();
	return 0;
}
