// SPDX-License-Identifier: MIT
/*
 * The vkms composer against an independent per-pixel model written here
 * from the documented formulas, in doubles:
 * - formats: the bit layouts of drm_fourcc.h, decoded from one
 *   little-endian integer per pixel (the composer reads bytes);
 * - YCbCr: R = Y + 2(1-Kr) Cr, B = Y + 2(1-Kb) Cb, G from Kr/Kb, with the
 *   scale vkms uses for limited range (256/219 for Y, 256/224 for chroma,
 *   16 * 257 off Y); chroma sample (x / hsub, y / vsub);
 * - rotation: the forward transform of drm_rect_rotate() (reflect, then
 *   rotate counter-clockwise) applied to every source pixel;
 * - blending: the drm_blend.c formulas for None, Pre-multiplied, Coverage;
 * - gamma: linear interpolation between LUT entries.
 *
 * Tolerances: the composer works in 16-bit integers and rounds after every
 * conversion and blend; the model keeps doubles. Each rounding is worth at
 * most half a 16-bit step and a pixel goes through a few of them, so
 * composed pixels may differ by MODEL_TOL 16-bit steps, and writeback
 * pixels by one step of their own precision.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "drivers/vkms/vkms_composer.h"
#include "drivers/vkms/vkms_formats.h"

#define MODEL_TOL 4.0
#define CRTC_W	  24
#define CRTC_H	  18

/* ------------------------------------------------------------------ */
/* The model's format table, from drm_fourcc.h                         */

enum ref_kind { REF_PACKED, REF_GREY, REF_SEMIPLANAR, REF_PLANAR };

struct ref_field {
	int shift, bits; /* bits 0: absent */
};

struct ref_format {
	uint32_t fourcc;
	enum ref_kind kind;
	int cpp;		     /* packed: bytes per pixel */
	struct ref_field a, r, g, b; /* packed */
	int grey_bits;		     /* R1..R8 */
	int hsub, vsub;		     /* YCbCr */
	int sample_bytes;	     /* YCbCr: 1, or 2 for P01x */
	bool cr_first;		     /* NV21, YVU420 ... */
};

#define F(s, n)                                                                \
	{                                                                      \
		s, n                                                           \
	}
#define PACKED(fmt, bytes, fa, fr, fg, fb)                                     \
	{                                                                      \
		.fourcc = DRM_FORMAT_##fmt, .kind = REF_PACKED, .cpp = bytes,  \
		.a = fa, .r = fr, .g = fg, .b = fb                             \
	}
#define NONE F(0, 0)
#define GREY(fmt, n)                                                           \
	{                                                                      \
		.fourcc = DRM_FORMAT_##fmt, .kind = REF_GREY, .grey_bits = n   \
	}
#define YCC(fmt, k, h, v, sb, crf)                                             \
	{                                                                      \
		.fourcc = DRM_FORMAT_##fmt, .kind = k, .hsub = h, .vsub = v,   \
		.sample_bytes = sb, .cr_first = crf                            \
	}

static const struct ref_format ref_formats[] = {
	PACKED(ARGB8888, 4, F(24, 8), F(16, 8), F(8, 8), F(0, 8)),
	PACKED(ABGR8888, 4, F(24, 8), F(0, 8), F(8, 8), F(16, 8)),
	PACKED(BGRA8888, 4, F(0, 8), F(8, 8), F(16, 8), F(24, 8)),
	PACKED(RGBA8888, 4, F(0, 8), F(24, 8), F(16, 8), F(8, 8)),
	PACKED(XRGB8888, 4, NONE, F(16, 8), F(8, 8), F(0, 8)),
	PACKED(XBGR8888, 4, NONE, F(0, 8), F(8, 8), F(16, 8)),
	PACKED(RGBX8888, 4, NONE, F(24, 8), F(16, 8), F(8, 8)),
	PACKED(BGRX8888, 4, NONE, F(8, 8), F(16, 8), F(24, 8)),
	PACKED(RGB888, 3, NONE, F(16, 8), F(8, 8), F(0, 8)),
	PACKED(BGR888, 3, NONE, F(0, 8), F(8, 8), F(16, 8)),
	PACKED(XRGB16161616, 8, NONE, F(32, 16), F(16, 16), F(0, 16)),
	PACKED(XBGR16161616, 8, NONE, F(0, 16), F(16, 16), F(32, 16)),
	PACKED(ARGB16161616, 8, F(48, 16), F(32, 16), F(16, 16), F(0, 16)),
	PACKED(ABGR16161616, 8, F(48, 16), F(0, 16), F(16, 16), F(32, 16)),
	PACKED(RGB565, 2, NONE, F(11, 5), F(5, 6), F(0, 5)),
	PACKED(BGR565, 2, NONE, F(0, 5), F(5, 6), F(11, 5)),
	PACKED(XRGB2101010, 4, NONE, F(20, 10), F(10, 10), F(0, 10)),
	PACKED(ARGB2101010, 4, F(30, 2), F(20, 10), F(10, 10), F(0, 10)),
	PACKED(XBGR2101010, 4, NONE, F(0, 10), F(10, 10), F(20, 10)),
	PACKED(ABGR2101010, 4, F(30, 2), F(0, 10), F(10, 10), F(20, 10)),
	YCC(NV12, REF_SEMIPLANAR, 2, 2, 1, false),
	YCC(NV16, REF_SEMIPLANAR, 2, 1, 1, false),
	YCC(NV24, REF_SEMIPLANAR, 1, 1, 1, false),
	YCC(NV21, REF_SEMIPLANAR, 2, 2, 1, true),
	YCC(NV61, REF_SEMIPLANAR, 2, 1, 1, true),
	YCC(NV42, REF_SEMIPLANAR, 1, 1, 1, true),
	YCC(YUV420, REF_PLANAR, 2, 2, 1, false),
	YCC(YUV422, REF_PLANAR, 2, 1, 1, false),
	YCC(YUV444, REF_PLANAR, 1, 1, 1, false),
	YCC(YVU420, REF_PLANAR, 2, 2, 1, true),
	YCC(YVU422, REF_PLANAR, 2, 1, 1, true),
	YCC(YVU444, REF_PLANAR, 1, 1, 1, true),
	YCC(P010, REF_SEMIPLANAR, 2, 2, 2, false),
	YCC(P012, REF_SEMIPLANAR, 2, 2, 2, false),
	YCC(P016, REF_SEMIPLANAR, 2, 2, 2, false),
	GREY(R1, 1),
	GREY(R2, 2),
	GREY(R4, 4),
	GREY(R8, 8),
};
#define NUM_REF_FORMATS (sizeof(ref_formats) / sizeof(ref_formats[0]))

static const struct ref_format *ref_format(uint32_t fourcc)
{
	for (size_t i = 0; i < NUM_REF_FORMATS; i++)
		if (ref_formats[i].fourcc == fourcc)
			return &ref_formats[i];
	fail_msg("format %.4s not in the model", (const char *)&fourcc);
	return NULL;
}

static const char *fourcc_name(uint32_t fourcc)
{
	static char name[5];

	memcpy(name, &fourcc, 4);
	return name;
}

/* ------------------------------------------------------------------ */
/* Framebuffers: exactly sized allocations, so ASan sees any overread  */

struct test_fb {
	struct udrm_format_info info;
	const struct ref_format *ref;
	uint8_t *buf[3];
	uint32_t pitch[3];
	uint32_t width, height;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void fb_make(struct test_fb *fb, uint32_t fourcc, uint32_t w, uint32_t h)
{
	const struct ref_format *f = ref_format(fourcc);
	uint32_t rows[3] = {h, 0, 0};
	int planes = 1;

	memset(fb, 0, sizeof(*fb));
	fb->info.format = fourcc;
	fb->ref = f;
	fb->width = w;
	fb->height = h;
	switch (f->kind) {
	case REF_PACKED:
		fb->pitch[0] = w * (uint32_t)f->cpp;
		break;
	case REF_GREY:
		fb->pitch[0] = (w * (uint32_t)f->grey_bits + 7) / 8;
		break;
	case REF_SEMIPLANAR:
	case REF_PLANAR: {
		uint32_t cw = (w + f->hsub - 1) / f->hsub;
		uint32_t ch = (h + f->vsub - 1) / f->vsub;
		uint32_t sb = (uint32_t)f->sample_bytes;

		planes = f->kind == REF_PLANAR ? 3 : 2;
		fb->pitch[0] = w * sb;
		fb->pitch[1] = cw * sb * (f->kind == REF_PLANAR ? 1 : 2);
		fb->pitch[2] = f->kind == REF_PLANAR ? cw * sb : 0;
		rows[1] = ch;
		rows[2] = f->kind == REF_PLANAR ? ch : 0;
		break;
	}
	}
	for (int p = 0; p < planes; p++) {
		size_t size = (size_t)fb->pitch[p] * rows[p];

		fb->buf[p] = malloc(size);
		assert_non_null(fb->buf[p]);
		for (size_t i = 0; i < size; i++)
			fb->buf[p][i] = (uint8_t)(rng() >> 56);
	}
}

static void fb_free(struct test_fb *fb)
{
	for (int p = 0; p < 3; p++)
		free(fb->buf[p]);
}

/* A plane showing the source rectangle (sx, sy, sw, sh) of @fb (whole
 * pixels) at (dx, dy) on the CRTC. */
static struct vkms_plane_input plane_of(const struct test_fb *fb, int sx,
					int sy, int sw, int sh, int dx, int dy,
					uint32_t rotation)
{
	bool swap = rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
	struct vkms_plane_input p = {
		.format = &fb->info,
		.fb_width = fb->width,
		.fb_height = fb->height,
		.src = {sx << 16, sy << 16, (sx + sw) << 16, (sy + sh) << 16},
		.dst = {dx, dy, dx + (swap ? sh : sw), dy + (swap ? sw : sh)},
		.rotation = rotation,
		.alpha = 0xffff,
		.blend_mode = DRM_MODE_BLEND_PREMULTI,
		.color_encoding = UDRM_COLOR_YCBCR_BT601,
		.color_range = UDRM_COLOR_YCBCR_LIMITED_RANGE,
	};

	for (int i = 0; i < 3; i++) {
		p.map[i] = fb->buf[i];
		p.pitch[i] = fb->pitch[i];
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* The model                                                           */

struct px {
	double a, r, g, b; /* 0..65535 */
};

static uint64_t load_le(const uint8_t *s, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | s[i];
	return v;
}

static double field(uint64_t v, struct ref_field f)
{
	uint64_t max = (1ull << f.bits) - 1;

	return (double)((v >> f.shift) & max) * 65535.0 / (double)max;
}

static void ycc_coefficients(uint32_t encoding, double *kr, double *kb)
{
	switch (encoding) {
	case UDRM_COLOR_YCBCR_BT601:
		*kr = 0.299;
		*kb = 0.114;
		break;
	case UDRM_COLOR_YCBCR_BT709:
		*kr = 0.2126;
		*kb = 0.0722;
		break;
	default:
		*kr = 0.2627;
		*kb = 0.0593;
		break;
	}
}

static double clamp16(double v)
{
	return v < 0 ? 0 : v > 65535 ? 65535 : v;
}

static struct px ycc_to_rgb(double y, double cb, double cr,
			    const struct vkms_plane_input *p)
{
	bool limited = p->color_range == UDRM_COLOR_YCBCR_LIMITED_RANGE;
	double sy = limited ? 256.0 / 219.0 : 1.0;
	double sc = limited ? 256.0 / 224.0 : 1.0;
	double kr, kb, kg, r, g, b;

	ycc_coefficients(p->color_encoding, &kr, &kb);
	kg = 1.0 - kr - kb;
	y = (y - (limited ? 16 * 257 : 0)) * sy;
	cb = (cb - 128 * 257) * sc;
	cr = (cr - 128 * 257) * sc;
	r = y + 2 * (1 - kr) * cr;
	b = y + 2 * (1 - kb) * cb;
	g = y - (2 * kr * (1 - kr) / kg) * cr - (2 * kb * (1 - kb) / kg) * cb;
	return (struct px){65535, clamp16(r), clamp16(g), clamp16(b)};
}

static double sample(const uint8_t *row, int index, int bytes)
{
	/* 8-bit samples widen by 257, 16-bit ones are taken as they are. */
	return bytes == 1 ? row[index] * 257.0
			  : (double)load_le(row + 2 * index, 2);
}

/* The fb pixel (x, y) of plane @p; *has_alpha tells whether .a counts. */
static struct px ref_fetch(const struct vkms_plane_input *p,
			   const struct ref_format *f, int x, int y,
			   bool *has_alpha)
{
	const uint8_t *row = p->map[0] + (size_t)y * p->pitch[0];

	*has_alpha = false;
	switch (f->kind) {
	case REF_PACKED: {
		uint64_t v = load_le(row + (size_t)x * f->cpp, f->cpp);

		*has_alpha = f->a.bits;
		return (struct px){f->a.bits ? field(v, f->a) : 65535,
				   field(v, f->r), field(v, f->g),
				   field(v, f->b)};
	}
	case REF_GREY: {
		int bit = x * f->grey_bits;
		int max = (1 << f->grey_bits) - 1;
		int v = (row[bit / 8] >> (8 - f->grey_bits - bit % 8)) & max;
		double grey = v * 65535.0 / max;

		return (struct px){65535, grey, grey, grey};
	}
	case REF_SEMIPLANAR: {
		const uint8_t *c =
			p->map[1] + (size_t)(y / f->vsub) * p->pitch[1];
		int cx = x / f->hsub;
		double c0 = sample(c, 2 * cx, f->sample_bytes);
		double c1 = sample(c, 2 * cx + 1, f->sample_bytes);

		return ycc_to_rgb(sample(row, x, f->sample_bytes),
				  f->cr_first ? c1 : c0, f->cr_first ? c0 : c1,
				  p);
	}
	case REF_PLANAR: {
		const uint8_t *c0 =
			p->map[1] + (size_t)(y / f->vsub) * p->pitch[1];
		const uint8_t *c1 =
			p->map[2] + (size_t)(y / f->vsub) * p->pitch[2];
		int cx = x / f->hsub;
		double u = sample(c0, cx, 1), v = sample(c1, cx, 1);

		return ycc_to_rgb(sample(row, x, 1), f->cr_first ? v : u,
				  f->cr_first ? u : v, p);
	}
	}
	return (struct px){0};
}

/* drm_rect_rotate() on the 1x1 rectangle at (u, v) of a w x h space. */
static void ref_rotate(int u, int v, int w, int h, uint32_t rotation, int *x,
		       int *y)
{
	if (rotation & DRM_MODE_REFLECT_X)
		u = w - 1 - u;
	if (rotation & DRM_MODE_REFLECT_Y)
		v = h - 1 - v;
	switch (rotation & 0xf) {
	case DRM_MODE_ROTATE_90:
		*x = v;
		*y = w - 1 - u;
		break;
	case DRM_MODE_ROTATE_180:
		*x = w - 1 - u;
		*y = h - 1 - v;
		break;
	case DRM_MODE_ROTATE_270:
		*x = h - 1 - v;
		*y = u;
		break;
	default:
		*x = u;
		*y = v;
		break;
	}
}

static double ref_blend(double fg, double fa, double bg, double pa,
			uint16_t mode, bool has_alpha)
{
	if (!has_alpha || mode == DRM_MODE_BLEND_PIXEL_NONE)
		return clamp16(pa * fg + (1 - pa) * bg);
	if (mode == DRM_MODE_BLEND_PREMULTI)
		return clamp16(pa * fg + (1 - pa * fa) * bg);
	return clamp16(pa * fa * fg + (1 - pa * fa) * bg);
}

static double ref_lut(const struct drm_color_lut *lut, uint32_t n, double v,
		      int ch)
{
	double pos = v / 65535.0 * (n - 1);
	uint32_t i = (uint32_t)floor(pos);
	double lo, hi;

	if (i >= n - 1)
		i = n - 1;
	lo = ch == 0 ? lut[i].red : ch == 1 ? lut[i].green : lut[i].blue;
	if (i == n - 1)
		return lo;
	hi = ch == 0   ? lut[i + 1].red
	     : ch == 1 ? lut[i + 1].green
		       : lut[i + 1].blue;
	return lo + (hi - lo) * (pos - i);
}

static struct px *ref_compose(const struct vkms_frame_input *in)
{
	struct px *frame =
		calloc((size_t)in->width * in->height, sizeof(*frame));
	struct px bg = {65535, (double)((in->background >> 32) & 0xffff),
			(double)((in->background >> 16) & 0xffff),
			(double)(in->background & 0xffff)};

	assert_non_null(frame);
	for (size_t i = 0; i < (size_t)in->width * in->height; i++)
		frame[i] = bg;
	for (unsigned int n = 0; n < in->num_planes; n++) {
		const struct vkms_plane_input *p = &in->planes[n];
		const struct ref_format *f = ref_format(p->format->format);
		int sx = p->src.x1 >> 16, sy = p->src.y1 >> 16;
		int w = (p->src.x2 - p->src.x1) >> 16;
		int h = (p->src.y2 - p->src.y1) >> 16;
		double pa = p->alpha / 65535.0;

		for (int v = 0; v < h; v++) {
			for (int u = 0; u < w; u++) {
				bool has_alpha;
				struct px fg = ref_fetch(p, f, sx + u, sy + v,
							 &has_alpha);
				double fa = fg.a / 65535.0;
				int x, y;
				struct px *o;

				ref_rotate(u, v, w, h, p->rotation, &x, &y);
				o = &frame[(size_t)(p->dst.y1 + y) * in->width +
					   p->dst.x1 + x];
				o->r = ref_blend(fg.r, fa, o->r, pa,
						 p->blend_mode, has_alpha);
				o->g = ref_blend(fg.g, fa, o->g, pa,
						 p->blend_mode, has_alpha);
				o->b = ref_blend(fg.b, fa, o->b, pa,
						 p->blend_mode, has_alpha);
			}
		}
	}
	if (in->gamma && in->gamma_size) {
		for (size_t i = 0; i < (size_t)in->width * in->height; i++) {
			frame[i].r = ref_lut(in->gamma, in->gamma_size,
					     frame[i].r, 0);
			frame[i].g = ref_lut(in->gamma, in->gamma_size,
					     frame[i].g, 1);
			frame[i].b = ref_lut(in->gamma, in->gamma_size,
					     frame[i].b, 2);
		}
	}
	return frame;
}

/* ------------------------------------------------------------------ */
/* Checking the composer against the model                             */

static struct vkms_pixel *compose_frame(const struct vkms_frame_input *in,
					struct vkms_frame_output *out)
{
	struct vkms_composer c;
	struct vkms_pixel *frame =
		malloc((size_t)in->width * in->height * sizeof(*frame));
	int ret;

	assert_non_null(frame);
	out->frame = frame;
	out->frame_stride = in->width * sizeof(*frame);
	vkms_composer_init(&c);
	ret = vkms_compose(&c, in, out);
	vkms_composer_fini(&c);
	if (ret)
		fail_msg("vkms_compose: expected 0, got %d", ret);
	return frame;
}

/* Composes @in and compares every pixel with the model; @what names the
 * case in failure messages. */
static void expect_matches_model(const struct vkms_frame_input *in,
				 const char *what, ...)
{
	struct vkms_frame_output out = {.want_crc = true};
	struct vkms_pixel *got = compose_frame(in, &out);
	struct px *want = ref_compose(in);
	char name[160];
	va_list ap;

	va_start(ap, what);
	vsnprintf(name, sizeof(name), what, ap);
	va_end(ap);
	for (uint32_t y = 0; y < in->height; y++) {
		for (uint32_t x = 0; x < in->width; x++) {
			const struct vkms_pixel *g = &got[y * in->width + x];
			const struct px *w = &want[y * in->width + x];

			if (g->a != 0xffff || fabs(g->r - w->r) > MODEL_TOL ||
			    fabs(g->g - w->g) > MODEL_TOL ||
			    fabs(g->b - w->b) > MODEL_TOL)
				fail_msg("%s: pixel (%u,%u): expected argb "
					 "ffff/%.1f/%.1f/%.1f (+-%.0f), got "
					 "%04x/%u/%u/%u",
					 name, x, y, w->r, w->g, w->b,
					 MODEL_TOL, g->a, g->r, g->g, g->b);
		}
	}
	free(got);
	free(want);
}

static struct vkms_frame_input frame_of(struct vkms_plane_input *planes,
					unsigned int n)
{
	return (struct vkms_frame_input){
		.width = CRTC_W,
		.height = CRTC_H,
		.background = 0xffff123456789abcull,
		.planes = planes,
		.num_planes = n,
	};
}

static const uint32_t rotations[] = {DRM_MODE_ROTATE_0, DRM_MODE_ROTATE_90,
				     DRM_MODE_ROTATE_180, DRM_MODE_ROTATE_270};
static const uint32_t reflections[] = {0, DRM_MODE_REFLECT_X,
				       DRM_MODE_REFLECT_Y,
				       DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y};

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void every_plane_format_matches_the_model(void **state)
{
	(void)state;
	assert_int_equal(vkms_plane_format_count, NUM_REF_FORMATS);
	for (unsigned int i = 0; i < vkms_plane_format_count; i++) {
		struct test_fb fb;
		struct vkms_plane_input p;
		struct vkms_frame_input in;

		/* Odd sizes and offsets: partial chroma blocks and bytes. */
		fb_make(&fb, vkms_plane_formats[i], 19, 13);
		p = plane_of(&fb, 3, 1, 15, 11, 5, 4, DRM_MODE_ROTATE_0);
		in = frame_of(&p, 1);
		expect_matches_model(&in, "%s", fourcc_name(fb.info.format));
		fb_free(&fb);
	}
}

static void every_rotation_and_reflection_matches_the_model(void **state)
{
	static const uint32_t formats[] = {
		DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888,     DRM_FORMAT_RGB888,
		DRM_FORMAT_RGB565,   DRM_FORMAT_NV12,	      DRM_FORMAT_YVU422,
		DRM_FORMAT_P010,     DRM_FORMAT_R1,	      DRM_FORMAT_R2,
		DRM_FORMAT_R4,	     DRM_FORMAT_ABGR16161616,
	};

	(void)state;
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (int r = 0; r < 4; r++) {
			for (int m = 0; m < 4; m++) {
				uint32_t rot = rotations[r] | reflections[m];
				struct test_fb fb;
				struct vkms_plane_input p;
				struct vkms_frame_input in;

				fb_make(&fb, formats[f], 17, 15);
				p = plane_of(&fb, 3, 2, 13, 9, 2, 3, rot);
				in = frame_of(&p, 1);
				expect_matches_model(&in, "%s rotation 0x%x",
						     fourcc_name(formats[f]),
						     rot);
				fb_free(&fb);
			}
		}
	}
}

static void blend_modes_and_plane_alpha_match_the_model(void **state)
{
	static const uint32_t formats[] = {
		DRM_FORMAT_ARGB8888,	DRM_FORMAT_RGBA8888,
		DRM_FORMAT_XRGB8888,	DRM_FORMAT_ARGB16161616,
		DRM_FORMAT_ABGR2101010, DRM_FORMAT_NV12,
	};
	static const uint16_t alphas[] = {0, 1, 0x4000, 0x8000, 0xfffe, 0xffff};

	(void)state;
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (uint16_t mode = 0; mode <= DRM_MODE_BLEND_COVERAGE;
		     mode++) {
			for (size_t a = 0;
			     a < sizeof(alphas) / sizeof(alphas[0]); a++) {
				struct test_fb under, fb;
				struct vkms_plane_input p[2];
				struct vkms_frame_input in;

				/* Random bytes: colours above their alpha
				 * too, which pre-multiplied saturates. */
				fb_make(&under, DRM_FORMAT_XRGB8888, CRTC_W,
					CRTC_H);
				fb_make(&fb, formats[f], 16, 12);
				p[0] = plane_of(&under, 0, 0, CRTC_W, CRTC_H, 0,
						0, DRM_MODE_ROTATE_0);
				p[1] = plane_of(&fb, 0, 0, 16, 12, 4, 3,
						DRM_MODE_ROTATE_0);
				p[1].blend_mode = mode;
				p[1].alpha = alphas[a];
				in = frame_of(p, 2);
				expect_matches_model(&in,
						     "%s blend mode %u alpha "
						     "0x%04x",
						     fourcc_name(formats[f]),
						     mode, alphas[a]);
				fb_free(&fb);
				fb_free(&under);
			}
		}
	}
}

static void zpos_order_stacks_bottom_to_top(void **state)
{
	struct test_fb fb[4];
	struct vkms_plane_input p[4];
	struct vkms_frame_input in;

	(void)state;
	fb_make(&fb[0], DRM_FORMAT_XRGB8888, CRTC_W, CRTC_H);
	fb_make(&fb[1], DRM_FORMAT_ARGB8888, 14, 10);
	fb_make(&fb[2], DRM_FORMAT_NV12, 12, 12);
	fb_make(&fb[3], DRM_FORMAT_ABGR16161616, 8, 8);
	p[0] = plane_of(&fb[0], 0, 0, CRTC_W, CRTC_H, 0, 0, DRM_MODE_ROTATE_0);
	p[1] = plane_of(&fb[1], 0, 0, 14, 10, 2, 2, DRM_MODE_ROTATE_90);
	p[2] = plane_of(&fb[2], 1, 1, 10, 10, 8, 6, DRM_MODE_ROTATE_0);
	p[2].alpha = 0x9000;
	p[3] = plane_of(&fb[3], 0, 0, 8, 8, 9, 9, DRM_MODE_ROTATE_180);
	p[3].blend_mode = DRM_MODE_BLEND_COVERAGE;
	in = frame_of(p, 4);
	expect_matches_model(&in, "four planes");
	/* Another order gives another picture, still the model's. */
	{
		struct vkms_plane_input q[4] = {p[0], p[3], p[2], p[1]};

		in = frame_of(q, 4);
		expect_matches_model(&in, "four planes, reordered");
	}
	for (int i = 0; i < 4; i++)
		fb_free(&fb[i]);
}

static void partial_and_offscreen_planes_match_the_model(void **state)
{
	/* What the atomic check leaves of planes hanging off each edge: the
	 * visible part of dst, and src cut to match. */
	static const struct {
		int sx, sy, sw, sh, dx, dy;
		uint32_t rot;
	} cases[] = {
		{0, 0, 1, 1, 0, 0, DRM_MODE_ROTATE_0},
		{0, 0, 1, 1, CRTC_W - 1, CRTC_H - 1, DRM_MODE_ROTATE_0},
		{6, 0, 10, 18, 0, 0, DRM_MODE_ROTATE_0}, /* off left */
		{0, 4, 16, 16, CRTC_W - 16, CRTC_H - 16,
		 DRM_MODE_ROTATE_0}, /* corner */
		{0, 0, 20, 5, 4, CRTC_H - 5, DRM_MODE_ROTATE_0},
		{2, 3, 14, 17, 0, 0, DRM_MODE_ROTATE_270},
		{0, 0, 18, 24, 0, 0, DRM_MODE_ROTATE_90}, /* 24 x 18 */
		{0, 0, 20, 18, 2, 0, DRM_MODE_ROTATE_180 | DRM_MODE_REFLECT_X},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_fb base, fb;
		struct vkms_plane_input p[2];
		struct vkms_frame_input in;

		fb_make(&base, DRM_FORMAT_RGB565, CRTC_W, CRTC_H);
		fb_make(&fb, DRM_FORMAT_ARGB8888, 20, 24);
		p[0] = plane_of(&base, 0, 0, CRTC_W, CRTC_H, 0, 0,
				DRM_MODE_ROTATE_0);
		p[1] = plane_of(&fb, cases[i].sx, cases[i].sy, cases[i].sw,
				cases[i].sh, cases[i].dx, cases[i].dy,
				cases[i].rot);
		in = frame_of(p, 2);
		expect_matches_model(&in, "partial plane case %zu", i);
		/* Alone on the background too. */
		in = frame_of(&p[1], 1);
		expect_matches_model(&in, "partial plane case %zu alone", i);
		fb_free(&fb);
		fb_free(&base);
	}
}

static void background_colour_fills_what_no_plane_covers(void **state)
{
	static const uint64_t colours[] = {0, 0xffffffffffffffffull,
					   0x0000ffff00000000ull,
					   0x1234000000010002ull};

	(void)state;
	for (size_t i = 0; i < sizeof(colours) / sizeof(colours[0]); i++) {
		struct test_fb fb;
		struct vkms_plane_input p;
		struct vkms_frame_input in;

		fb_make(&fb, DRM_FORMAT_ARGB8888, 8, 8);
		p = plane_of(&fb, 0, 0, 8, 8, 3, 3, DRM_MODE_ROTATE_0);
		in = frame_of(&p, 1);
		in.background = colours[i];
		expect_matches_model(&in, "background %016llx",
				     (unsigned long long)colours[i]);
		in.num_planes = 0;
		expect_matches_model(&in, "background %016llx, no plane",
				     (unsigned long long)colours[i]);
		fb_free(&fb);
	}
}

static void yuv_encodings_and_ranges_match_the_model(void **state)
{
	static const uint32_t formats[] = {DRM_FORMAT_NV12, DRM_FORMAT_NV61,
					   DRM_FORMAT_YUV420, DRM_FORMAT_YVU444,
					   DRM_FORMAT_P016};

	(void)state;
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (uint32_t enc = 0; enc <= UDRM_COLOR_YCBCR_BT2020; enc++) {
			for (uint32_t range = 0;
			     range <= UDRM_COLOR_YCBCR_FULL_RANGE; range++) {
				struct test_fb fb;
				struct vkms_plane_input p;
				struct vkms_frame_input in;

				fb_make(&fb, formats[f], 15, 11);
				p = plane_of(&fb, 1, 1, 14, 10, 3, 2,
					     DRM_MODE_ROTATE_0);
				p.color_encoding = enc;
				p.color_range = range;
				in = frame_of(&p, 1);
				expect_matches_model(
					&in, "%s encoding %u range %u",
					fourcc_name(formats[f]), enc, range);
				fb_free(&fb);
			}
		}
	}
}

/* Known YCbCr values (BT.709 limited, 8-bit): white, black, red. */
static void yuv_known_colours_convert_as_vkms(void **state)
{
	static const struct {
		uint8_t y, cb, cr;
		uint16_t r, g, b;
	} colours[] = {
		{235, 128, 128, 0xffff, 0xffff, 0xffff},
		{16, 128, 128, 0, 0, 0},
		{63, 102, 240, 0xffff, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(colours) / sizeof(colours[0]); i++) {
		struct test_fb fb;
		struct vkms_plane_input p;
		struct vkms_frame_input in;
		struct vkms_frame_output out = {0};
		struct vkms_pixel *got;

		fb_make(&fb, DRM_FORMAT_NV24, 1, 1);
		fb.buf[0][0] = colours[i].y;
		fb.buf[1][0] = colours[i].cb;
		fb.buf[1][1] = colours[i].cr;
		p = plane_of(&fb, 0, 0, 1, 1, 0, 0, DRM_MODE_ROTATE_0);
		p.color_encoding = UDRM_COLOR_YCBCR_BT709;
		in = frame_of(&p, 1);
		in.width = in.height = 1;
		got = compose_frame(&in, &out);
		/* 8-bit precision: one 8-bit step is 257. */
		if (abs(got->r - colours[i].r) > 257 ||
		    abs(got->g - colours[i].g) > 257 ||
		    abs(got->b - colours[i].b) > 257)
			fail_msg("YCbCr %u/%u/%u: expected rgb %04x/%04x/%04x, "
				 "got %04x/%04x/%04x",
				 colours[i].y, colours[i].cb, colours[i].cr,
				 colours[i].r, colours[i].g, colours[i].b,
				 got->r, got->g, got->b);
		free(got);
		fb_free(&fb);
	}
}

static void gamma_lut_interpolates_between_entries(void **state)
{
	static const uint32_t sizes[] = {1, 2, 3, 17, 256, 1024, 4096};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct drm_color_lut *lut = calloc(sizes[s], sizeof(*lut));
		struct test_fb fb;
		struct vkms_plane_input p;
		struct vkms_frame_input in;

		assert_non_null(lut);
		for (uint32_t i = 0; i < sizes[s]; i++) {
			/* Not monotonic: interpolation goes down as well. */
			lut[i].red = (uint16_t)(rng() >> 48);
			lut[i].green =
				(uint16_t)(sizes[s] > 1
						   ? 65535 - i * 65535 /
								     (sizes[s] -
								      1)
						   : 7);
			lut[i].blue = (uint16_t)(rng() >> 48);
		}
		fb_make(&fb, DRM_FORMAT_XRGB16161616, 20, 16);
		p = plane_of(&fb, 0, 0, 20, 16, 2, 1, DRM_MODE_ROTATE_0);
		in = frame_of(&p, 1);
		in.gamma = lut;
		in.gamma_size = sizes[s];
		expect_matches_model(&in, "gamma LUT of %u entries", sizes[s]);
		fb_free(&fb);
		free(lut);
	}
}

/* Large frames take the LUT through a table: same result. */
static void gamma_lut_on_a_large_frame_matches_the_model(void **state)
{
	struct drm_color_lut lut[33];
	struct test_fb fb;
	struct vkms_plane_input p;
	struct vkms_frame_input in;

	(void)state;
	for (int i = 0; i < 33; i++)
		lut[i] = (struct drm_color_lut){
			(uint16_t)(rng() >> 48), (uint16_t)(i * 2047),
			(uint16_t)(65535 - i * 2047), 0};
	fb_make(&fb, DRM_FORMAT_XRGB16161616, 640, 400);
	p = plane_of(&fb, 0, 0, 640, 400, 0, 0, DRM_MODE_ROTATE_0);
	in = frame_of(&p, 1);
	in.width = 640;
	in.height = 400;
	in.gamma = lut;
	in.gamma_size = 33;
	expect_matches_model(&in, "gamma LUT on 640x400");
	fb_free(&fb);
}

struct wb_format {
	uint32_t fourcc;
	int cpp;
	struct ref_field a, r, g, b;
	bool truncate; /* RGB565: the kernel truncates */
};

static const struct wb_format wb_formats[] = {
	{DRM_FORMAT_XRGB8888, 4, {24, 8}, {16, 8}, {8, 8}, {0, 8}, false},
	{DRM_FORMAT_ARGB8888, 4, {24, 8}, {16, 8}, {8, 8}, {0, 8}, false},
	{DRM_FORMAT_ABGR8888, 4, {24, 8}, {0, 8}, {8, 8}, {16, 8}, false},
	{DRM_FORMAT_XRGB16161616,
	 8,
	 {48, 16},
	 {32, 16},
	 {16, 16},
	 {0, 16},
	 false},
	{DRM_FORMAT_ARGB16161616,
	 8,
	 {48, 16},
	 {32, 16},
	 {16, 16},
	 {0, 16},
	 false},
	{DRM_FORMAT_RGB565, 2, {0, 0}, {11, 5}, {5, 6}, {0, 5}, true},
	{DRM_FORMAT_XRGB2101010,
	 4,
	 {30, 2},
	 {20, 10},
	 {10, 10},
	 {0, 10},
	 false},
	{DRM_FORMAT_ARGB2101010,
	 4,
	 {30, 2},
	 {20, 10},
	 {10, 10},
	 {0, 10},
	 false},
};

static void expect_wb_channel(uint64_t v, struct ref_field f, uint16_t src,
			      bool truncate, const char *what, uint32_t x,
			      uint32_t y)
{
	double max = (double)((1ull << f.bits) - 1);
	double want = src * max / 65535.0;
	double got = (double)((v >> f.shift) & ((1ull << f.bits) - 1));

	want = truncate ? floor(want) : floor(want + 0.5);
	if (fabs(got - want) > 1)
		fail_msg("writeback %s pixel (%u,%u): expected %.0f (+-1) from "
			 "%04x, got %.0f",
			 what, x, y, want, src, got);
}

static void writeback_converts_the_composed_frame(void **state)
{
	(void)state;
	assert_int_equal(vkms_writeback_format_count,
			 sizeof(wb_formats) / sizeof(wb_formats[0]));
	for (size_t i = 0; i < vkms_writeback_format_count; i++) {
		const struct wb_format *wf = &wb_formats[i];
		struct test_fb fb;
		struct vkms_plane_input p;
		struct vkms_frame_input in;
		struct vkms_frame_output out = {.want_crc = true};
		uint32_t pitch = CRTC_W * (uint32_t)wf->cpp;
		uint8_t *wb = malloc((size_t)pitch * CRTC_H);
		struct vkms_pixel *frame;

		assert_int_equal(vkms_writeback_formats[i], wf->fourcc);
		assert_non_null(wb);
		fb_make(&fb, DRM_FORMAT_ARGB16161616, 20, 14);
		p = plane_of(&fb, 0, 0, 20, 14, 2, 2, DRM_MODE_ROTATE_0);
		in = frame_of(&p, 1);
		out.wb_format = wf->fourcc;
		out.wb_map = wb;
		out.wb_pitch = pitch;
		frame = compose_frame(&in, &out);
		for (uint32_t y = 0; y < CRTC_H; y++) {
			for (uint32_t x = 0; x < CRTC_W; x++) {
				const struct vkms_pixel *s =
					&frame[y * CRTC_W + x];
				uint64_t v = load_le(
					wb + y * pitch + x * (uint32_t)wf->cpp,
					wf->cpp);
				const char *name = fourcc_name(wf->fourcc);

				expect_wb_channel(v, wf->r, s->r, wf->truncate,
						  name, x, y);
				expect_wb_channel(v, wf->g, s->g, wf->truncate,
						  name, x, y);
				expect_wb_channel(v, wf->b, s->b, wf->truncate,
						  name, x, y);
				/* Composed frames are opaque: X and A are
				 * all ones. */
				if (wf->a.bits)
					expect_wb_channel(v, wf->a, 0xffff,
							  false, name, x, y);
			}
		}
		free(frame);
		free(wb);
		fb_free(&fb);
	}
}

/* The CRC's definition (vkms_composer.h), computed from the frame: zlib's
 * crc32() of the high bytes of every r, g, b, then of every low XOR high
 * byte. */
static uint32_t crc_of_frame(const struct vkms_pixel *frame, size_t n)
{
	uint8_t *hi = malloc(3 * n + 1), *lo = malloc(3 * n + 1);
	uLong crc;

	assert_non_null(hi);
	assert_non_null(lo);
	for (size_t i = 0; i < n; i++) {
		const uint16_t v[3] = {frame[i].r, frame[i].g, frame[i].b};

		/* Composed pixels are opaque: the CRC leaves alpha out. */
		assert_int_equal(frame[i].a, 0xffff);
		for (int c = 0; c < 3; c++) {
			hi[3 * i + c] = (uint8_t)(v[c] >> 8);
			lo[3 * i + c] = (uint8_t)((v[c] & 0xff) ^ (v[c] >> 8));
		}
	}
	crc = crc32(0, Z_NULL, 0);
	crc = crc32(crc, hi, (uInt)(3 * n));
	crc = crc32(crc, lo, (uInt)(3 * n));
	free(hi);
	free(lo);
	return (uint32_t)crc;
}

static void crc_is_zlib_crc32_of_the_two_byte_planes(void **state)
{
	/* Widths around the 16-, 64- and 128-pixel steps of the fast CRC. */
	static const uint32_t widths[] = {1,  2,  7,  8,  9,   15,  16,	 17,
					  33, 63, 64, 65, 127, 128, 129, 250};

	(void)state;
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		/* Lines of an opaque 8-bit plane alone (exact 8-bit
		 * values, second plane all zeros), of a half-transparent
		 * one over them, and of the background, in that order and
		 * the reverse. */
		for (int order = 0; order < 2; order++) {
			struct test_fb fb[2];
			struct vkms_plane_input p[2];
			struct vkms_frame_input in;
			struct vkms_frame_output out = {.want_crc = true};
			struct vkms_pixel *frame;
			uint32_t want;

			fb_make(&fb[0], DRM_FORMAT_XRGB8888, widths[i], 3);
			fb_make(&fb[1], DRM_FORMAT_ARGB8888, widths[i], 2);
			p[0] = plane_of(&fb[0], 0, 0, (int)widths[i], 3, 0,
					order ? 3 : 0, DRM_MODE_ROTATE_0);
			p[1] = plane_of(&fb[1], 0, 0, (int)widths[i], 2, 0,
					order ? 0 : 2, DRM_MODE_ROTATE_0);
			p[1].alpha = 0x7123;
			in = frame_of(p, 2);
			in.width = widths[i];
			in.height = 7;
			in.background = 0x1234567890abcdefull;
			frame = compose_frame(&in, &out);
			want = crc_of_frame(frame, (size_t)widths[i] * 7);
			if (out.crc != want)
				fail_msg("width %u order %d: expected crc "
					 "%08x, got %08x",
					 widths[i], order, want, out.crc);
			free(frame);
			fb_free(&fb[0]);
			fb_free(&fb[1]);
		}
	}
}

static void crc_is_stable_and_changes_with_one_pixel(void **state)
{
	struct test_fb fb[2];
	struct vkms_plane_input p[2];
	struct vkms_frame_input in;
	struct vkms_frame_output out = {.want_crc = true};
	struct vkms_composer c;
	uint32_t first, again, changed;

	(void)state;
	fb_make(&fb[0], DRM_FORMAT_XRGB8888, CRTC_W, CRTC_H);
	fb_make(&fb[1], DRM_FORMAT_ARGB8888, 10, 10);
	p[0] = plane_of(&fb[0], 0, 0, CRTC_W, CRTC_H, 0, 0, DRM_MODE_ROTATE_0);
	p[1] = plane_of(&fb[1], 0, 0, 10, 10, 5, 5, DRM_MODE_ROTATE_0);
	in = frame_of(p, 2);
	vkms_composer_init(&c);
	assert_int_equal(vkms_compose(&c, &in, &out), 0);
	first = out.crc;
	out.crc = 0;
	assert_int_equal(vkms_compose(&c, &in, &out), 0);
	again = out.crc;
	fb[0].buf[0][(3 * CRTC_W + 20) * 4 + 1] ^= 0x10; /* green of (20,3) */
	assert_int_equal(vkms_compose(&c, &in, &out), 0);
	changed = out.crc;
	vkms_composer_fini(&c);
	if (first != again)
		fail_msg(
			"same input: expected the same crc, got %08x then %08x",
			first, again);
	if (changed == first)
		fail_msg("one pixel changed: expected another crc than %08x",
			 first);
	fb_free(&fb[0]);
	fb_free(&fb[1]);
}

static void bad_inputs_are_refused_with_einval(void **state)
{
	struct test_fb fb, yuv;
	struct vkms_plane_input good, p;
	struct vkms_frame_input in;
	struct vkms_frame_output out = {0};
	struct vkms_composer c;
	struct udrm_format_info unknown = {.format = DRM_FORMAT_C8};
	struct drm_color_lut lut[2] = {{0}};
	uint8_t wb[CRTC_W * 4 * CRTC_H];
	struct vkms_pixel frame[CRTC_W * CRTC_H];

	(void)state;
	fb_make(&fb, DRM_FORMAT_XRGB8888, 10, 10);
	fb_make(&yuv, DRM_FORMAT_NV12, 10, 10);
	good = plane_of(&fb, 0, 0, 10, 10, 0, 0, DRM_MODE_ROTATE_0);
	vkms_composer_init(&c);

#define EXPECT_EINVAL(setup, what)                                             \
	do {                                                                   \
		p = good;                                                      \
		in = frame_of(&p, 1);                                          \
		out = (struct vkms_frame_output){0};                           \
		setup;                                                         \
		int ret_ = vkms_compose(&c, &in, &out);                        \
		if (ret_ != -EINVAL)                                           \
			fail_msg("%s: expected -EINVAL, got %d", what, ret_);  \
	} while (0)

	p = good;
	in = frame_of(&p, 1);
	assert_int_equal(vkms_compose(&c, &in, &out), 0);

	EXPECT_EINVAL(p.format = &unknown, "unknown format");
	EXPECT_EINVAL(p.format = NULL, "no format");
	EXPECT_EINVAL(p.map[0] = NULL, "no map");
	EXPECT_EINVAL(p.pitch[0] = 39, "pitch below 10 XRGB8888 pixels");
	EXPECT_EINVAL((p.dst.x1 = -1, p.dst.x2 = 9), "dst left of the CRTC");
	EXPECT_EINVAL((p.dst.x1 = CRTC_W - 9, p.dst.x2 = CRTC_W + 1),
		      "dst right of the CRTC");
	EXPECT_EINVAL((p.dst.y1 = CRTC_H - 9, p.dst.y2 = CRTC_H + 1),
		      "dst below the CRTC");
	EXPECT_EINVAL((p.src.x1 = 1 << 16, p.src.x2 = 11 << 16),
		      "src right of the fb");
	EXPECT_EINVAL((p.src.y1 = -(1 << 16), p.src.y2 = 9 << 16),
		      "src above the fb");
	EXPECT_EINVAL(p.dst.x2 = 9, "src and dst sizes differ");
	EXPECT_EINVAL((p.src.x2 = 5 << 16, p.dst.y2 = 5,
		       p.rotation = DRM_MODE_ROTATE_0),
		      "unrotated 5x10 src on a 10x5 dst");
	EXPECT_EINVAL(p.rotation = 0, "no rotation angle");
	EXPECT_EINVAL(p.rotation = DRM_MODE_ROTATE_0 | DRM_MODE_ROTATE_90,
		      "two rotation angles");
	EXPECT_EINVAL(p.rotation = DRM_MODE_ROTATE_0 | (1u << 6),
		      "unknown rotation bit");
	EXPECT_EINVAL(p.blend_mode = 3, "unknown blend mode");
	EXPECT_EINVAL(p.fb_width = 0, "empty fb");
	EXPECT_EINVAL(
		(p = plane_of(&yuv, 0, 0, 10, 10, 0, 0, DRM_MODE_ROTATE_0),
		 p.color_encoding = 3),
		"unknown YCbCr encoding");
	EXPECT_EINVAL(
		(p = plane_of(&yuv, 0, 0, 10, 10, 0, 0, DRM_MODE_ROTATE_0),
		 p.color_range = 2),
		"unknown YCbCr range");
	EXPECT_EINVAL(
		(p = plane_of(&yuv, 0, 0, 10, 10, 0, 0, DRM_MODE_ROTATE_0),
		 p.map[1] = NULL),
		"no chroma map");
	EXPECT_EINVAL(in.width = 0, "empty CRTC");
	EXPECT_EINVAL(in.planes = NULL, "planes missing");
	EXPECT_EINVAL(in.num_planes = UDRM_KMS_MAX_PLANES + 1,
		      "too many planes");
	EXPECT_EINVAL(in.gamma_size = 2, "gamma size without a LUT");
	EXPECT_EINVAL((out.wb_format = DRM_FORMAT_NV12, out.wb_map = wb,
		       out.wb_pitch = CRTC_W * 4),
		      "writeback to NV12");
	EXPECT_EINVAL((out.wb_format = DRM_FORMAT_XRGB8888, out.wb_map = wb,
		       out.wb_pitch = CRTC_W * 4 - 1),
		      "writeback pitch too small");
	EXPECT_EINVAL((out.wb_format = DRM_FORMAT_XRGB8888, out.wb_map = NULL,
		       out.wb_pitch = CRTC_W * 4),
		      "writeback without a map");
	EXPECT_EINVAL((out.frame = frame,
		       out.frame_stride = CRTC_W * sizeof(*frame) - 8),
		      "frame stride too small");
	EXPECT_EINVAL((out.frame = frame, out.frame_stride = CRTC_W * 3 - 1,
		       out.frame_format = DRM_FORMAT_BGR888),
		      "BGR888 frame stride too small");
	EXPECT_EINVAL((out.frame = frame, out.frame_stride = CRTC_W * 4,
		       out.frame_format = DRM_FORMAT_XRGB8888),
		      "frame in XRGB8888 (captured frames are BGR888)");
	assert_int_equal(vkms_compose(NULL, &in, &out), -EINVAL);
#undef EXPECT_EINVAL

	/* A LUT and a plane of zero alpha are fine. */
	p = good;
	p.alpha = 0;
	in = frame_of(&p, 1);
	in.gamma = lut;
	in.gamma_size = 2;
	out = (struct vkms_frame_output){0};
	assert_int_equal(vkms_compose(&c, &in, &out), 0);

	vkms_composer_fini(&c);
	fb_free(&fb);
	fb_free(&yuv);
}

/* ------------------------------------------------------------------ */
/* SIMD paths against the portable code                                */

/* Composes @in with the SIMD paths on and off: the same frame, bit for
 * bit, and the same CRC. */
static void expect_simd_matches_portable(const struct vkms_frame_input *in,
					 const char *what, ...)
{
	struct vkms_frame_output fast = {.want_crc = true};
	struct vkms_frame_output slow = {.want_crc = true};
	struct vkms_pixel *a, *b;
	char name[160];
	va_list ap;

	va_start(ap, what);
	vsnprintf(name, sizeof(name), what, ap);
	va_end(ap);
	vkms_formats_set_simd(true);
	a = compose_frame(in, &fast);
	vkms_formats_set_simd(false);
	b = compose_frame(in, &slow);
	vkms_formats_set_simd(true);
	for (size_t i = 0; i < (size_t)in->width * in->height; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])))
			fail_msg("%s: pixel (%zu,%zu): SIMD argb "
				 "%04x/%04x/%04x/%04x, portable "
				 "%04x/%04x/%04x/%04x",
				 name, i % in->width, i / in->width, a[i].a,
				 a[i].r, a[i].g, a[i].b, b[i].a, b[i].r, b[i].g,
				 b[i].b);
	}
	if (fast.crc != slow.crc)
		fail_msg("%s: SIMD crc %08x, portable %08x", name, fast.crc,
			 slow.crc);
	free(a);
	free(b);
}

static void simd_8888_paths_match_the_portable_code(void **state)
{
	static const uint32_t formats[] = {
		DRM_FORMAT_ARGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_BGRA8888,
		DRM_FORMAT_RGBA8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_XBGR8888,
		DRM_FORMAT_RGBX8888, DRM_FORMAT_BGRX8888,
	};
	static const uint16_t modes[] = {DRM_MODE_BLEND_PIXEL_NONE,
					 DRM_MODE_BLEND_PREMULTI,
					 DRM_MODE_BLEND_COVERAGE};
	/* Around the 8-pixel step of the kernels, and long lines. */
	static const uint32_t widths[] = {1, 3, 7, 8, 9, 15, 16, 17, 45, 301};
	const size_t nf = sizeof(formats) / sizeof(formats[0]);

	(void)state;
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		for (size_t f = 0; f < nf; f++) {
			for (size_t m = 0; m < 3; m++) {
				uint32_t cw = widths[w], ch = 6;
				uint32_t top = formats[(f + 3 + w) % nf];
				uint16_t alpha =
					m == 1 && w % 2
						? (uint16_t)(rng() >> 48)
						: 0xffff;
				struct test_fb fb[3];
				struct vkms_plane_input p[3];
				struct vkms_frame_input in;

				/* Primary, full-screen overlay from an offset
				 * in a larger fb, partial plane on top. */
				fb_make(&fb[0], formats[f], cw, ch);
				fb_make(&fb[1], formats[f], cw + 5, ch + 2);
				fb_make(&fb[2], top, cw, ch);
				p[0] = plane_of(&fb[0], 0, 0, (int)cw, (int)ch,
						0, 0, DRM_MODE_ROTATE_0);
				p[1] = plane_of(&fb[1], 3, 1, (int)cw, (int)ch,
						0, 0, DRM_MODE_ROTATE_0);
				p[2] = plane_of(&fb[2], 0, 0, (int)(cw + 1) / 2,
						(int)ch - 2, (int)cw / 3, 1,
						w % 2 ? DRM_MODE_ROTATE_0
						      : DRM_MODE_ROTATE_180);
				p[0].blend_mode = modes[(m + 1) % 3];
				p[1].blend_mode = modes[m];
				p[1].alpha = alpha;
				p[2].blend_mode = modes[(m + 2) % 3];
				in = frame_of(p, 3);
				in.width = cw;
				in.height = ch;
				expect_simd_matches_portable(
					&in, "%s under %s, width %u, mode %u",
					fourcc_name(formats[f]),
					fourcc_name(top), cw, modes[m]);
				for (int i = 0; i < 3; i++)
					fb_free(&fb[i]);
			}
		}
	}
}

static void wide_lines_match_the_model(void **state)
{
	/* Planes across the composer's 512-pixel chunks of a line. */
	static const struct {
		uint32_t fourcc, rotation;
		int sw, sh, dx, dy;
	} planes[] = {
		{DRM_FORMAT_XRGB8888, DRM_MODE_ROTATE_0, 1030, 5, 0, 0},
		{DRM_FORMAT_ARGB8888, DRM_MODE_ROTATE_0, 600, 4, 300, 1},
		{DRM_FORMAT_ABGR8888, DRM_MODE_ROTATE_180, 130, 3, 450, 0},
		{DRM_FORMAT_RGB565, DRM_MODE_ROTATE_0 | DRM_MODE_REFLECT_X, 90,
		 5, 980, 0},
		{DRM_FORMAT_NV12, DRM_MODE_ROTATE_0, 100, 4, 1000, 1},
	};
	const size_t np = sizeof(planes) / sizeof(planes[0]);
	struct test_fb fb[5];
	struct vkms_plane_input p[5];
	struct vkms_frame_input in;
	struct vkms_frame_output out = {.want_crc = true};
	struct vkms_pixel *frame;
	uint8_t *wb;

	(void)state;
	for (size_t i = 0; i < np; i++) {
		fb_make(&fb[i], planes[i].fourcc, (uint32_t)planes[i].sw + 2,
			(uint32_t)planes[i].sh + 1);
		p[i] = plane_of(&fb[i], 1, 1, planes[i].sw, planes[i].sh,
				planes[i].dx, planes[i].dy, planes[i].rotation);
	}
	p[1].alpha = 0x8000;
	in = frame_of(p, (unsigned int)np);
	in.width = 1100;
	in.height = 5;
	expect_matches_model(&in, "wide line");
	expect_simd_matches_portable(&in, "wide line");

	/* Writeback of every chunk at its place in the line. */
	wb = calloc(in.width * in.height, 4);
	assert_non_null(wb);
	out.wb_format = DRM_FORMAT_XRGB8888;
	out.wb_map = wb;
	out.wb_pitch = in.width * 4;
	frame = compose_frame(&in, &out);
	for (size_t i = 0; i < (size_t)in.width * in.height; i++) {
		const uint8_t *d = wb + 4 * i;

		if (d[0] != (frame[i].b + 128) / 257 ||
		    d[1] != (frame[i].g + 128) / 257 ||
		    d[2] != (frame[i].r + 128) / 257 || d[3] != 0xff)
			fail_msg("writeback pixel %zu differs", i);
	}
	free(frame);
	free(wb);
	for (size_t i = 0; i < np; i++)
		fb_free(&fb[i]);
}

static void crc_fast_paths_match_zlib(void **state)
{
	static uint8_t buf[4096 + 64];
	uint32_t seed = 0x12345678;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(rng() >> 56);
	/* Each path the CPU has: 512-, 256-, 128-bit folds, zlib. */
	for (int level = VKMS_SIMD_MAX; level >= VKMS_SIMD_NONE; level--) {
		vkms_formats_set_simd_level((unsigned int)level);
		/* Every length across the 16-, 64- and 256-byte steps, at
		 * unaligned starts, chained from a previous value. */
		for (size_t len = 0; len <= 1100; len++) {
			for (size_t off = 0; off < 3; off++) {
				uint32_t want = (uint32_t)crc32(seed, buf + off,
								(uInt)len);
				uint32_t got = vkms_crc32(seed, buf + off, len);

				if (got != want)
					fail_msg("level %d len %zu offset %zu: "
						 "expected %08x, got %08x",
						 level, len, off, want, got);
			}
			seed = seed * 2654435761u + 1;
		}
		/* Long runs of the main loops, every alignment. */
		for (size_t off = 0; off < 64; off++) {
			size_t len = 4096 - off - (off * 7) % 32;
			uint32_t want =
				(uint32_t)crc32(seed, buf + off, (uInt)len);
			uint32_t got = vkms_crc32(seed, buf + off, len);

			if (got != want)
				fail_msg("level %d len %zu offset %zu: "
					 "expected %08x, got %08x",
					 level, len, off, want, got);
		}
		assert_int_equal(vkms_crc32(0, buf, 4096),
				 (uint32_t)crc32(0, buf, 4096));
	}
	vkms_formats_set_simd(true);
}

/* Composes @in into @out with the SIMD paths up to @level. */
static void compose_at(const struct vkms_frame_input *in, unsigned int level,
		       struct vkms_frame_output *out)
{
	struct vkms_composer c;
	int ret;

	vkms_formats_set_simd_level(level);
	vkms_composer_init(&c);
	ret = vkms_compose(&c, in, out);
	vkms_composer_fini(&c);
	vkms_formats_set_simd(true);
	if (ret)
		fail_msg("vkms_compose: expected 0, got %d", ret);
}

/* Composes @in at SIMD @level into a frame of @format (VKMS_FRAME_16 or
 * DRM_FORMAT_BGR888) @offset bytes into its buffer (or none), with or
 * without the CRC; returns the buffer, *crc the CRC. */
static uint8_t *compose_at_level(const struct vkms_frame_input *in,
				 unsigned int level, bool frame,
				 uint32_t format, bool want_crc, size_t offset,
				 uint32_t *crc)
{
	struct vkms_frame_output out = {.want_crc = want_crc,
					.frame_format = format};
	size_t stride =
		in->width *
		(format == VKMS_FRAME_16 ? sizeof(struct vkms_pixel) : 3);
	uint8_t *buf = NULL;

	if (frame) {
		buf = malloc(offset + stride * in->height + 64);
		assert_non_null(buf);
		memset(buf, 0x5a, offset + stride * in->height + 64);
		out.frame = buf + offset;
		out.frame_stride = stride;
	}
	compose_at(in, level, &out);
	*crc = out.crc;
	return buf;
}

/* Whether @got (XRGB8888 bytes) is @want (16-bit) rounded as the
 * kernel's argb_u16_to_XRGB8888, X 0xff. */
static bool xrgb_matches(const uint8_t *got, const struct vkms_pixel *want)
{
	return got[0] == (want->b + 128) / 257 &&
	       got[1] == (want->g + 128) / 257 &&
	       got[2] == (want->r + 128) / 257 && got[3] == 0xff;
}

/* Whether @got (BGR888 bytes: r, g, b) is @want rounded alike. */
static bool bgr_matches(const uint8_t *got, const struct vkms_pixel *want)
{
	return got[0] == (want->r + 128) / 257 &&
	       got[1] == (want->g + 128) / 257 &&
	       got[2] == (want->b + 128) / 257;
}

/* The SIMD paths against the portable code for every output combination:
 * frame and CRC, frame alone (at @offset in its buffer), CRC alone; 16-bit
 * and BGR888 frames (also with non-temporal stores, whatever the frame's
 * size); XRGB8888 writeback with and without a 16-bit frame. */
static void expect_outputs_match_portable(const struct vkms_frame_input *in,
					  size_t offset, const char *name)
{
	size_t pixels = (size_t)in->width * in->height, bytes = pixels * 8;
	uint32_t want, got, unused;
	uint8_t *ref = compose_at_level(in, VKMS_SIMD_NONE, true, VKMS_FRAME_16,
					true, 0, &want);

	for (unsigned int level = VKMS_SIMD_NONE; level <= VKMS_SIMD_MAX;
	     level++) {
		uint8_t *a = compose_at_level(in, level, true, VKMS_FRAME_16,
					      true, offset, &got);
		uint8_t *b = compose_at_level(in, level, true, VKMS_FRAME_16,
					      false, offset, &unused);
		uint8_t *x;

		if (got != want)
			fail_msg("%s level %u: crc %08x, portable %08x", name,
				 level, got, want);
		for (size_t i = 0; i < bytes; i++) {
			if (a[offset + i] != ref[i] || b[offset + i] != ref[i])
				fail_msg("%s level %u offset %zu: pixel "
					 "(%zu,%zu) differs from the portable "
					 "one",
					 name, level, offset, i / 8 % in->width,
					 i / 8 / in->width);
		}
		/* Nothing written around the frame. */
		for (size_t i = 0; i < offset; i++)
			assert_int_equal(a[i], 0x5a);
		for (size_t i = 0; i < 64; i++)
			assert_int_equal(a[offset + bytes + i], 0x5a);
		free(a);
		free(b);
		compose_at_level(in, level, false, VKMS_FRAME_16, true, 0,
				 &got);
		if (got != want)
			fail_msg("%s level %u, no frame: crc %08x, portable "
				 "%08x",
				 name, level, got, want);
		/* The BGR888 frame, with and without the CRC, streamed or
		 * not. */
		for (int k = 0; k < 4; k++) {
			bool with_crc = k & 1, stream = k & 2;
			size_t old = vkms_composer_set_stream_min(
				stream ? 0 : SIZE_MAX);

			x = compose_at_level(in, level, true, DRM_FORMAT_BGR888,
					     with_crc, offset, &got);
			vkms_composer_set_stream_min(old);
			if (with_crc && got != want)
				fail_msg("%s level %u, BGR888 frame: crc "
					 "%08x, portable %08x",
					 name, level, got, want);
			for (size_t i = 0; i < pixels; i++) {
				if (!bgr_matches(
					    x + offset + 3 * i,
					    (const struct vkms_pixel *)ref + i))
					fail_msg("%s level %u offset %zu%s: "
						 "BGR888 pixel (%zu,%zu) "
						 "differs",
						 name, level, offset,
						 stream ? " streamed" : "",
						 i % in->width, i / in->width);
			}
			for (size_t i = 0; i < offset; i++)
				assert_int_equal(x[i], 0x5a);
			for (size_t i = 0; i < 64; i++)
				assert_int_equal(x[offset + 3 * pixels + i],
						 0x5a);
			free(x);
		}
		/* An XRGB8888 writeback alone, then beside the 16-bit
		 * frame, with and without the CRC. */
		for (int k = 0; k < 4; k++) {
			bool with_frame = k & 1, with_crc = k & 2;
			struct vkms_frame_output out = {
				.want_crc = with_crc,
				.wb_format = DRM_FORMAT_XRGB8888,
				.wb_map = malloc(4 * pixels),
				.wb_pitch = 4 * in->width,
			};

			assert_non_null(out.wb_map);
			a = NULL;
			if (with_frame) {
				out.frame = a = malloc(bytes);
				assert_non_null(a);
				out.frame_stride = 8 * in->width;
			}
			compose_at(in, level, &out);
			if (with_crc)
				assert_int_equal(out.crc, want);
			if (with_frame)
				assert_memory_equal(a, ref, bytes);
			for (size_t i = 0; i < pixels; i++) {
				if (!xrgb_matches(
					    out.wb_map + 4 * i,
					    (const struct vkms_pixel *)ref + i))
					fail_msg("%s level %u: writeback "
						 "pixel (%zu,%zu) differs",
						 name, level, i % in->width,
						 i / in->width);
			}
			free(a);
			free(out.wb_map);
		}
	}
	free(ref);
}

static void lone_8888_plane_lines_match_the_portable_code(void **state)
{
	static const uint32_t formats[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
		DRM_FORMAT_ABGR8888, DRM_FORMAT_RGBX8888, DRM_FORMAT_RGBA8888,
		DRM_FORMAT_BGRX8888, DRM_FORMAT_BGRA8888,
	};
	/* Around the 16- and 32-pixel steps of the line kernel. */
	static const uint32_t widths[] = {1,  2,  7,   8,   9,	 15,  16, 17,
					  31, 32, 33,  47,  48,	 63,  64, 65,
					  95, 97, 127, 250, 513, 1030};
	const size_t nf = sizeof(formats) / sizeof(formats[0]);

	(void)state;
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		for (size_t f = 0; f < nf; f++) {
			uint32_t cw = widths[w], ch = 7;
			int sx = (int)(w + f) % 4;
			struct test_fb fb[2];
			struct vkms_plane_input p[2];
			struct vkms_frame_input in;
			char name[96];

			/* A full-width primary from an unaligned fb
			 * offset, below the top line, under a plane on
			 * lines 3-4 only: lines alone, covered and
			 * background, the CRC chained across them. */
			fb_make(&fb[0], formats[f], cw + 5, ch + 1);
			fb_make(&fb[1], DRM_FORMAT_ARGB8888, (cw + 1) / 2, 2);
			p[0] = plane_of(&fb[0], sx, 1, (int)cw, (int)ch - 1, 0,
					1, DRM_MODE_ROTATE_0);
			p[0].blend_mode = w % 2 ? DRM_MODE_BLEND_PIXEL_NONE
						: DRM_MODE_BLEND_PREMULTI;
			p[1] = plane_of(&fb[1], 0, 0, (int)(cw + 1) / 2, 2,
					(int)cw / 4, 3, DRM_MODE_ROTATE_0);
			in = frame_of(p, 2);
			in.width = cw;
			in.height = ch;
			snprintf(name, sizeof(name), "%s width %u sx %d",
				 fourcc_name(formats[f]), cw, sx);
			expect_outputs_match_portable(&in, 8 * (w % 9), name);
			/* The primary alone on every line. */
			in.num_planes = 1;
			in.height = ch - 1;
			p[0].dst.y1 = 0;
			p[0].dst.y2 = (int)ch - 1;
			expect_outputs_match_portable(&in, 2 * (w % 5), name);
			fb_free(&fb[0]);
			fb_free(&fb[1]);
		}
	}
}

static void stacks_of_8888_planes_match_the_portable_code(void **state)
{
	/* Around the 16- and 64-pixel steps of the stack kernel. */
	static const uint32_t widths[] = {1,  2,  15, 16,  17,	31,
					  63, 64, 65, 130, 257, 301};
	static const uint32_t tops[] = {
		DRM_FORMAT_ARGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_BGRA8888,
		DRM_FORMAT_RGBA8888, DRM_FORMAT_XRGB8888};

	(void)state;
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		uint32_t cw = widths[w], ch = 6;
		struct test_fb fb[4];
		struct vkms_plane_input p[4];
		struct vkms_frame_input in;
		char name[64];
		int x2 = (int)cw / 3 + (int)cw / 2 + 1;

		/* An opaque primary, a full-screen pre-multiplied overlay,
		 * one from a third of the line on lines 1-4, and a narrow
		 * one at the right edge on lines 2-5: blocks covered in
		 * part, by several planes or by none. */
		fb_make(&fb[0], tops[(w + 4) % 5], cw + 3, ch);
		fb_make(&fb[1], tops[w % 5], cw, ch);
		fb_make(&fb[2], tops[(w + 1) % 5], cw, 4);
		fb_make(&fb[3], tops[(w + 2) % 5], 7, 4);
		p[0] = plane_of(&fb[0], 3, 0, (int)cw, (int)ch, 0, 0,
				DRM_MODE_ROTATE_0);
		p[0].blend_mode = DRM_MODE_BLEND_PIXEL_NONE;
		p[1] = plane_of(&fb[1], 0, 0, (int)cw, (int)ch, 0, 0,
				DRM_MODE_ROTATE_0);
		p[2] = plane_of(&fb[2], 0, 0,
				(x2 > (int)cw ? (int)cw : x2) - (int)cw / 3, 4,
				(int)cw / 3, 1, DRM_MODE_ROTATE_0);
		p[3] = plane_of(&fb[3], 0, 0, cw < 7 ? (int)cw : 7, 4,
				(int)cw - (cw < 7 ? (int)cw : 7), 2,
				DRM_MODE_ROTATE_0);
		for (int i = 1; i < 4; i++)
			p[i].blend_mode = DRM_MODE_BLEND_PREMULTI;
		in = frame_of(p, 4);
		in.width = cw;
		in.height = ch;
		snprintf(name, sizeof(name), "stack width %u", cw);
		expect_matches_model(&in, "%s", name);
		expect_outputs_match_portable(&in, 8 * (w % 9), name);
		for (int i = 0; i < 4; i++)
			fb_free(&fb[i]);
	}
}

static void large_captured_frames_match_the_portable_code(void **state)
{
	/* Frames over the composer's non-temporal store threshold, at
	 * several alignments of the frame. */
	static const size_t offsets[] = {0, 8, 40, 2};
	struct test_fb fb[2];
	struct vkms_plane_input p[2];
	struct vkms_frame_input in;

	(void)state;
	fb_make(&fb[0], DRM_FORMAT_XRGB8888, 2003, 560);
	fb_make(&fb[1], DRM_FORMAT_ARGB8888, 1500, 100);
	p[0] = plane_of(&fb[0], 0, 0, 2003, 560, 0, 0, DRM_MODE_ROTATE_0);
	p[1] = plane_of(&fb[1], 0, 0, 1500, 100, 37, 100, DRM_MODE_ROTATE_0);
	in = frame_of(p, 1);
	in.width = 2003;
	in.height = 560;
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
		expect_outputs_match_portable(&in, offsets[i], "large frame");
	/* Lines blended in chunks and copied out, background lines above
	 * the primary. */
	in.num_planes = 2;
	in.height = 563;
	p[0].dst.y1 = 3;
	p[0].dst.y2 = 563;
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
		expect_outputs_match_portable(&in, offsets[i],
					      "large frame, two planes");
	fb_free(&fb[0]);
	fb_free(&fb[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_plane_format_matches_the_model),
		cmocka_unit_test(
			every_rotation_and_reflection_matches_the_model),
		cmocka_unit_test(blend_modes_and_plane_alpha_match_the_model),
		cmocka_unit_test(zpos_order_stacks_bottom_to_top),
		cmocka_unit_test(partial_and_offscreen_planes_match_the_model),
		cmocka_unit_test(background_colour_fills_what_no_plane_covers),
		cmocka_unit_test(yuv_encodings_and_ranges_match_the_model),
		cmocka_unit_test(yuv_known_colours_convert_as_vkms),
		cmocka_unit_test(gamma_lut_interpolates_between_entries),
		cmocka_unit_test(gamma_lut_on_a_large_frame_matches_the_model),
		cmocka_unit_test(writeback_converts_the_composed_frame),
		cmocka_unit_test(crc_is_zlib_crc32_of_the_two_byte_planes),
		cmocka_unit_test(crc_is_stable_and_changes_with_one_pixel),
		cmocka_unit_test(bad_inputs_are_refused_with_einval),
		cmocka_unit_test(simd_8888_paths_match_the_portable_code),
		cmocka_unit_test(crc_fast_paths_match_zlib),
		cmocka_unit_test(lone_8888_plane_lines_match_the_portable_code),
		cmocka_unit_test(large_captured_frames_match_the_portable_code),
		cmocka_unit_test(stacks_of_8888_planes_match_the_portable_code),
		cmocka_unit_test(wide_lines_match_the_model),
	};

	return cmocka_run_group_tests_name("vkms/composer", tests, NULL, NULL);
}
