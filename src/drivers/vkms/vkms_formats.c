// SPDX-License-Identifier: MIT
/*
 * vkms pixel formats: line readers into 16 bpc ARGB, writeback line
 * writers, YCbCr matrices and the CRC (the kernel's vkms_formats.c).
 *
 * Readers of packed formats are written once per format and inlined twice:
 * with a constant step for left-to-right reads (rotation 0, the common
 * case, where the compiler vectorises the loop) and with a variable step
 * for the other directions. Samples are little endian as drm_fourcc.h
 * says; they are read byte by byte, which is also right on big-endian
 * hosts.
 */
/*
 * The line loops are written to be vectorised; GCC's -O2 only vectorises
 * loops that need no cost model (clang's -O2 does it all).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include "vkms_formats.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <zlib.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VKMS_HAVE_CLMUL 1
#endif

#define VKMS_ALWAYS_INLINE inline __attribute__((always_inline))
/* Loops over a few registers are unrolled, so that arrays of registers stay
 * in registers (GCC -O2 keeps a loop whose body is large, and the array in
 * memory: every fold then waits on a store and a load). */
#define VKMS_UNROLL _Pragma("GCC unroll 8")

static VKMS_ALWAYS_INLINE uint16_t le16(const uint8_t *s)
{
	return (uint16_t)(s[0] | s[1] << 8);
}

static VKMS_ALWAYS_INLINE uint32_t le32(const uint8_t *s)
{
	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
	       (uint32_t)s[3] << 24;
}

static VKMS_ALWAYS_INLINE void put_le16(uint8_t *d, uint16_t v)
{
	d[0] = (uint8_t)v;
	d[1] = (uint8_t)(v >> 8);
}

static VKMS_ALWAYS_INLINE void put_le32(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)v;
	d[1] = (uint8_t)(v >> 8);
	d[2] = (uint8_t)(v >> 16);
	d[3] = (uint8_t)(v >> 24);
}

/* n-bit value to 16 bits, rounded to nearest: v * 65535 / (2^n - 1). The
 * 8-bit case is the exact v * 257 of the kernel. */
static VKMS_ALWAYS_INLINE uint16_t from8(uint32_t v)
{
	return (uint16_t)(v * 257);
}

static VKMS_ALWAYS_INLINE uint16_t from5(uint32_t v)
{
	return (uint16_t)((v * 65535 + 15) / 31);
}

static VKMS_ALWAYS_INLINE uint16_t from6(uint32_t v)
{
	return (uint16_t)((v * 65535 + 31) / 63);
}

static VKMS_ALWAYS_INLINE uint16_t from10(uint32_t v)
{
	return (uint16_t)((v * 65535 + 511) / 1023);
}

/* ------------------------------------------------------------------ */
/* Packed RGB readers                                                  */

static VKMS_ALWAYS_INLINE void set_px(struct vkms_pixel *o, uint16_t a,
				      uint16_t r, uint16_t g, uint16_t b)
{
	o->a = a;
	o->r = r;
	o->g = g;
	o->b = b;
}

/*
 * Defines reader @name for a one-plane format of @cpp bytes per pixel;
 * @convert(s, o) converts the pixel at s into *o.
 */
#define VKMS_PACKED_READER(name, cpp, convert)                                 \
	static VKMS_ALWAYS_INLINE void name##_run(                             \
		const uint8_t *p, ptrdiff_t step, unsigned int n,              \
		struct vkms_pixel *out)                                        \
	{                                                                      \
		for (unsigned int i = 0; i < n; i++)                           \
			convert(p + (ptrdiff_t)i * step, &out[i]);             \
	}                                                                      \
	VKMS_LINE_LOOP static void name(                                       \
		const struct vkms_plane_reader *r, int x, int y, int dx,       \
		int dy, unsigned int n, struct vkms_pixel *out)                \
	{                                                                      \
		const uint8_t *p = r->map[0] + (size_t)y * r->pitch[0] +       \
				   (size_t)x * (cpp);                          \
		ptrdiff_t step = (ptrdiff_t)dx * (cpp) +                       \
				 (ptrdiff_t)dy * (ptrdiff_t)r->pitch[0];       \
                                                                               \
		if (step == (cpp))                                             \
			name##_run(p, (cpp), n, out);                          \
		else                                                           \
			name##_run(p, step, n, out);                           \
	}

/* 8 bits per channel; the arguments are byte indices in the pixel. */
#define CVT_8888(name, ia, ir, ig, ib)                                         \
	static VKMS_ALWAYS_INLINE void name(const uint8_t *s,                  \
					    struct vkms_pixel *o)              \
	{                                                                      \
		set_px(o, from8(s[ia]), from8(s[ir]), from8(s[ig]),            \
		       from8(s[ib]));                                          \
	}
#define CVT_X888(name, ir, ig, ib)                                             \
	static VKMS_ALWAYS_INLINE void name(const uint8_t *s,                  \
					    struct vkms_pixel *o)              \
	{                                                                      \
		set_px(o, 0xffff, from8(s[ir]), from8(s[ig]), from8(s[ib]));   \
	}

CVT_8888(cvt_ARGB8888, 3, 2, 1, 0)
CVT_8888(cvt_ABGR8888, 3, 0, 1, 2)
CVT_8888(cvt_RGBA8888, 0, 3, 2, 1)
CVT_8888(cvt_BGRA8888, 0, 1, 2, 3)
CVT_X888(cvt_XRGB8888, 2, 1, 0)
CVT_X888(cvt_XBGR8888, 0, 1, 2)
CVT_X888(cvt_RGBX8888, 3, 2, 1)
CVT_X888(cvt_BGRX8888, 1, 2, 3)
CVT_X888(cvt_RGB888, 2, 1, 0)
CVT_X888(cvt_BGR888, 0, 1, 2)

/* 16 bits per channel, little endian; arguments are channel indices. */
#define CVT_16161616(name, ia, ir, ig, ib)                                     \
	static VKMS_ALWAYS_INLINE void name(const uint8_t *s,                  \
					    struct vkms_pixel *o)              \
	{                                                                      \
		set_px(o, (ia) < 0 ? 0xffff : le16(s + 2 * ((ia)&3)),          \
		       le16(s + 2 * (ir)), le16(s + 2 * (ig)),                 \
		       le16(s + 2 * (ib)));                                    \
	}

CVT_16161616(cvt_ARGB16161616, 3, 2, 1, 0)
CVT_16161616(cvt_ABGR16161616, 3, 0, 1, 2)
CVT_16161616(cvt_XRGB16161616, -1, 2, 1, 0)
CVT_16161616(cvt_XBGR16161616, -1, 0, 1, 2)

static VKMS_ALWAYS_INLINE void cvt_RGB565(const uint8_t *s,
					  struct vkms_pixel *o)
{
	uint32_t v = le16(s);

	set_px(o, 0xffff, from5(v >> 11), from6((v >> 5) & 0x3f),
	       from5(v & 0x1f));
}

static VKMS_ALWAYS_INLINE void cvt_BGR565(const uint8_t *s,
					  struct vkms_pixel *o)
{
	uint32_t v = le16(s);

	set_px(o, 0xffff, from5(v & 0x1f), from6((v >> 5) & 0x3f),
	       from5(v >> 11));
}

/* [31:0] A:R:G:B 2:10:10:10 (or A:B:G:R with @bgr). */
static VKMS_ALWAYS_INLINE void
cvt_2101010(const uint8_t *s, struct vkms_pixel *o, bool alpha, bool bgr)
{
	uint32_t v = le32(s);
	uint16_t hi = from10((v >> 20) & 0x3ff), lo = from10(v & 0x3ff);

	set_px(o, alpha ? (uint16_t)((v >> 30) * 0x5555) : 0xffff,
	       bgr ? lo : hi, from10((v >> 10) & 0x3ff), bgr ? hi : lo);
}

static VKMS_ALWAYS_INLINE void cvt_ARGB2101010(const uint8_t *s,
					       struct vkms_pixel *o)
{
	cvt_2101010(s, o, true, false);
}

static VKMS_ALWAYS_INLINE void cvt_XRGB2101010(const uint8_t *s,
					       struct vkms_pixel *o)
{
	cvt_2101010(s, o, false, false);
}

static VKMS_ALWAYS_INLINE void cvt_ABGR2101010(const uint8_t *s,
					       struct vkms_pixel *o)
{
	cvt_2101010(s, o, true, true);
}

static VKMS_ALWAYS_INLINE void cvt_XBGR2101010(const uint8_t *s,
					       struct vkms_pixel *o)
{
	cvt_2101010(s, o, false, true);
}

static VKMS_ALWAYS_INLINE void cvt_R8(const uint8_t *s, struct vkms_pixel *o)
{
	uint16_t v = from8(s[0]);

	set_px(o, 0xffff, v, v, v);
}

VKMS_PACKED_READER(read_ARGB8888, 4, cvt_ARGB8888)
VKMS_PACKED_READER(read_ABGR8888, 4, cvt_ABGR8888)
VKMS_PACKED_READER(read_RGBA8888, 4, cvt_RGBA8888)
VKMS_PACKED_READER(read_BGRA8888, 4, cvt_BGRA8888)
VKMS_PACKED_READER(read_XRGB8888, 4, cvt_XRGB8888)
VKMS_PACKED_READER(read_XBGR8888, 4, cvt_XBGR8888)
VKMS_PACKED_READER(read_RGBX8888, 4, cvt_RGBX8888)
VKMS_PACKED_READER(read_BGRX8888, 4, cvt_BGRX8888)
VKMS_PACKED_READER(read_RGB888, 3, cvt_RGB888)
VKMS_PACKED_READER(read_BGR888, 3, cvt_BGR888)
VKMS_PACKED_READER(read_ARGB16161616, 8, cvt_ARGB16161616)
VKMS_PACKED_READER(read_ABGR16161616, 8, cvt_ABGR16161616)
VKMS_PACKED_READER(read_XRGB16161616, 8, cvt_XRGB16161616)
VKMS_PACKED_READER(read_XBGR16161616, 8, cvt_XBGR16161616)
VKMS_PACKED_READER(read_RGB565, 2, cvt_RGB565)
VKMS_PACKED_READER(read_BGR565, 2, cvt_BGR565)
VKMS_PACKED_READER(read_ARGB2101010, 4, cvt_ARGB2101010)
VKMS_PACKED_READER(read_XRGB2101010, 4, cvt_XRGB2101010)
VKMS_PACKED_READER(read_ABGR2101010, 4, cvt_ABGR2101010)
VKMS_PACKED_READER(read_XBGR2101010, 4, cvt_XBGR2101010)
VKMS_PACKED_READER(read_R8, 1, cvt_R8)

/* R1/R2/R4: several pixels per byte, the leftmost in the top bits (the
 * kernel's Rx_read_line); a level is 0xffff / (2^bits - 1). */
VKMS_LINE_LOOP static void read_Rn(const struct vkms_plane_reader *r, int x,
				   int y, int dx, int dy, unsigned int n,
				   struct vkms_pixel *out)
{
	unsigned int bits = r->desc->bpp[0];
	unsigned int per_byte_log2 = bits == 1 ? 3 : bits == 2 ? 2 : 1;
	unsigned int mask = (1u << bits) - 1, level = 0xffff / mask;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int px = (unsigned int)(x + (int)i * dx);
		unsigned int py = (unsigned int)(y + (int)i * dy);
		const uint8_t *b = r->map[0] + (size_t)py * r->pitch[0] +
				   (px >> per_byte_log2);
		unsigned int in_byte = px & ((1u << per_byte_log2) - 1);
		unsigned int v = (*b >> (8 - bits - in_byte * bits)) & mask;
		uint16_t grey = (uint16_t)(v * level);

		set_px(&out[i], 0xffff, grey, grey, grey);
	}
}

/* ------------------------------------------------------------------ */
/* YCbCr readers                                                       */

static VKMS_ALWAYS_INLINE uint16_t clamp16(int64_t v)
{
	return v < 0 ? 0 : v > 0xffff ? 0xffff : (uint16_t)v;
}

/* The kernel's argb_u16_from_yuv161616 with one rounding at the end. */
static VKMS_ALWAYS_INLINE void yuv_to_px(const struct vkms_yuv_matrix *m,
					 int32_t y, int32_t c1, int32_t c2,
					 struct vkms_pixel *o)
{
	int64_t fy = y - m->y_offset, f1 = c1 - 128 * 257, f2 = c2 - 128 * 257;
	int64_t half = 1ll << 31;

	set_px(o, 0xffff,
	       clamp16((m->m[0][0] * fy + m->m[0][1] * f1 + m->m[0][2] * f2 +
			half) >>
		       32),
	       clamp16((m->m[1][0] * fy + m->m[1][1] * f1 + m->m[1][2] * f2 +
			half) >>
		       32),
	       clamp16((m->m[2][0] * fy + m->m[2][1] * f1 + m->m[2][2] * f2 +
			half) >>
		       32));
}

/*
 * Chroma is sampled as vkms does: the pixel at (x, y) takes the chroma
 * sample (x / hsub, y / vsub), nearest, no interpolation, whatever the
 * direction of the read.
 */
#define VKMS_YUV_READER(name, body)                                            \
	VKMS_LINE_LOOP static void name(                                       \
		const struct vkms_plane_reader *r, int x, int y, int dx,       \
		int dy, unsigned int n, struct vkms_pixel *out)                \
	{                                                                      \
		unsigned int hs = r->desc->hsub >> 1, vs = r->desc->vsub >> 1; \
                                                                               \
		for (unsigned int i = 0; i < n; i++) {                         \
			size_t px = (size_t)(x + (int)i * dx);                 \
			size_t py = (size_t)(y + (int)i * dy);                 \
			size_t cx = px >> hs, cy = py >> vs;                   \
			body                                                   \
		}                                                              \
	}

VKMS_YUV_READER(read_nv_8, {
	const uint8_t *l = r->map[0] + py * r->pitch[0] + px;
	const uint8_t *c = r->map[1] + cy * r->pitch[1] + cx * 2;

	yuv_to_px(&r->yuv, l[0] * 257, c[0] * 257, c[1] * 257, &out[i]);
})

VKMS_YUV_READER(read_nv_16, {
	const uint8_t *l = r->map[0] + py * r->pitch[0] + px * 2;
	const uint8_t *c = r->map[1] + cy * r->pitch[1] + cx * 4;

	yuv_to_px(&r->yuv, le16(l), le16(c), le16(c + 2), &out[i]);
})

VKMS_YUV_READER(read_planar_8, {
	const uint8_t *l = r->map[0] + py * r->pitch[0] + px;
	const uint8_t *c1 = r->map[1] + cy * r->pitch[1] + cx;
	const uint8_t *c2 = r->map[2] + cy * r->pitch[2] + cx;

	yuv_to_px(&r->yuv, l[0] * 257, c1[0] * 257, c2[0] * 257, &out[i]);
})

/* ------------------------------------------------------------------ */
/* The table                                                           */

#define RGB(f, b, alpha, fn)                                                   \
	{                                                                      \
		.fourcc = DRM_FORMAT_##f, .num_planes = 1, .bpp = {b},         \
		.hsub = 1, .vsub = 1, .has_alpha = alpha, .read_line = fn      \
	}
/* 8 bits per channel, 4 bytes per pixel: byte index of a, r, g, b (-1 for
 * no alpha), for the SIMD line kernels. */
#define RGB8(f, alpha, fn, ia, ir, ig, ib)                                     \
	{                                                                      \
		.fourcc = DRM_FORMAT_##f, .num_planes = 1, .bpp = {32},        \
		.hsub = 1, .vsub = 1, .has_alpha = alpha, .read_line = fn,     \
		.is_8888 = true, .idx8 = {                                     \
			ia,                                                    \
			ir,                                                    \
			ig,                                                    \
			ib                                                     \
		}                                                              \
	}
#define YUV(f, planes, bl, bc, h, v, swap, fn)                                 \
	{                                                                      \
		.fourcc = DRM_FORMAT_##f, .num_planes = planes,                \
		.bpp = {bl, bc, (planes) == 3 ? (bc) : 0}, .hsub = h,          \
		.vsub = v, .is_yuv = true, .swap_uv = swap, .read_line = fn    \
	}

static const struct vkms_format_desc vkms_formats[] = {
	RGB8(ARGB8888, true, read_ARGB8888, 3, 2, 1, 0),
	RGB8(ABGR8888, true, read_ABGR8888, 3, 0, 1, 2),
	RGB8(BGRA8888, true, read_BGRA8888, 0, 1, 2, 3),
	RGB8(RGBA8888, true, read_RGBA8888, 0, 3, 2, 1),
	RGB8(XRGB8888, false, read_XRGB8888, -1, 2, 1, 0),
	RGB8(XBGR8888, false, read_XBGR8888, -1, 0, 1, 2),
	RGB8(RGBX8888, false, read_RGBX8888, -1, 3, 2, 1),
	RGB8(BGRX8888, false, read_BGRX8888, -1, 1, 2, 3),
	RGB(RGB888, 24, false, read_RGB888),
	RGB(BGR888, 24, false, read_BGR888),
	RGB(XRGB16161616, 64, false, read_XRGB16161616),
	RGB(XBGR16161616, 64, false, read_XBGR16161616),
	RGB(ARGB16161616, 64, true, read_ARGB16161616),
	RGB(ABGR16161616, 64, true, read_ABGR16161616),
	RGB(RGB565, 16, false, read_RGB565),
	RGB(BGR565, 16, false, read_BGR565),
	RGB(XRGB2101010, 32, false, read_XRGB2101010),
	RGB(ARGB2101010, 32, true, read_ARGB2101010),
	RGB(XBGR2101010, 32, false, read_XBGR2101010),
	RGB(ABGR2101010, 32, true, read_ABGR2101010),
	/* Semi-planar: the chroma plane has 2 samples per pixel. */
	YUV(NV12, 2, 8, 16, 2, 2, false, read_nv_8),
	YUV(NV16, 2, 8, 16, 2, 1, false, read_nv_8),
	YUV(NV24, 2, 8, 16, 1, 1, false, read_nv_8),
	YUV(NV21, 2, 8, 16, 2, 2, true, read_nv_8),
	YUV(NV61, 2, 8, 16, 2, 1, true, read_nv_8),
	YUV(NV42, 2, 8, 16, 1, 1, true, read_nv_8),
	/* Planar: one sample per chroma plane. */
	YUV(YUV420, 3, 8, 8, 2, 2, false, read_planar_8),
	YUV(YUV422, 3, 8, 8, 2, 1, false, read_planar_8),
	YUV(YUV444, 3, 8, 8, 1, 1, false, read_planar_8),
	YUV(YVU420, 3, 8, 8, 2, 2, true, read_planar_8),
	YUV(YVU422, 3, 8, 8, 2, 1, true, read_planar_8),
	YUV(YVU444, 3, 8, 8, 1, 1, true, read_planar_8),
	YUV(P010, 2, 16, 32, 2, 2, false, read_nv_16),
	YUV(P012, 2, 16, 32, 2, 2, false, read_nv_16),
	YUV(P016, 2, 16, 32, 2, 2, false, read_nv_16),
	RGB(R1, 1, false, read_Rn),
	RGB(R2, 2, false, read_Rn),
	RGB(R4, 4, false, read_Rn),
	RGB(R8, 8, false, read_R8),
};

#define VKMS_NUM_FORMATS (sizeof(vkms_formats) / sizeof(vkms_formats[0]))

const struct vkms_format_desc *vkms_format_desc(uint32_t fourcc)
{
	for (size_t i = 0; i < VKMS_NUM_FORMATS; i++) {
		const struct vkms_format_desc *d = &vkms_formats[i];

		if (d->fourcc == fourcc)
			return d;
	}
	return NULL;
}

const uint32_t vkms_plane_formats[] = {
	DRM_FORMAT_ARGB8888,	 DRM_FORMAT_ABGR8888,
	DRM_FORMAT_BGRA8888,	 DRM_FORMAT_RGBA8888,
	DRM_FORMAT_XRGB8888,	 DRM_FORMAT_XBGR8888,
	DRM_FORMAT_RGBX8888,	 DRM_FORMAT_BGRX8888,
	DRM_FORMAT_RGB888,	 DRM_FORMAT_BGR888,
	DRM_FORMAT_XRGB16161616, DRM_FORMAT_XBGR16161616,
	DRM_FORMAT_ARGB16161616, DRM_FORMAT_ABGR16161616,
	DRM_FORMAT_RGB565,	 DRM_FORMAT_BGR565,
	DRM_FORMAT_XRGB2101010,	 DRM_FORMAT_ARGB2101010,
	DRM_FORMAT_XBGR2101010,	 DRM_FORMAT_ABGR2101010,
	DRM_FORMAT_NV12,	 DRM_FORMAT_NV16,
	DRM_FORMAT_NV24,	 DRM_FORMAT_NV21,
	DRM_FORMAT_NV61,	 DRM_FORMAT_NV42,
	DRM_FORMAT_YUV420,	 DRM_FORMAT_YUV422,
	DRM_FORMAT_YUV444,	 DRM_FORMAT_YVU420,
	DRM_FORMAT_YVU422,	 DRM_FORMAT_YVU444,
	DRM_FORMAT_P010,	 DRM_FORMAT_P012,
	DRM_FORMAT_P016,	 DRM_FORMAT_R1,
	DRM_FORMAT_R2,		 DRM_FORMAT_R4,
	DRM_FORMAT_R8,
};
const unsigned int vkms_plane_format_count =
	sizeof(vkms_plane_formats) / sizeof(vkms_plane_formats[0]);

_Static_assert(sizeof(vkms_plane_formats) / sizeof(vkms_plane_formats[0]) ==
		       VKMS_NUM_FORMATS,
	       "every plane format has a reader");

/* ------------------------------------------------------------------ */
/* YCbCr matrices                                                      */

/*
 * The kernel's matrices (vkms_formats.c): colour.matrix_YCbCr(K, is_legal,
 * bits = 8) * 2^32, columns (Y, Cb, Cr). Limited range scales Y by 256/219
 * and chroma by 256/224 after taking 16 * 257 off Y.
 */
static const int64_t yuv_matrices[3][2][3][3] = {
	[UDRM_COLOR_YCBCR_BT601] =
		{
			[UDRM_COLOR_YCBCR_LIMITED_RANGE] =
				{
					{5020601039, 0, 6881764740},
					{5020601039, -1689204679, -3505362278},
					{5020601039, 8697922339, 0},
				},
			[UDRM_COLOR_YCBCR_FULL_RANGE] =
				{
					{4294967296, 0, 6021544149},
					{4294967296, -1478054095, -3067191994},
					{4294967296, 7610682049, 0},
				},
		},
	[UDRM_COLOR_YCBCR_BT709] =
		{
			[UDRM_COLOR_YCBCR_LIMITED_RANGE] =
				{
					{5020601039, 0, 7729959424},
					{5020601039, -919487572, -2297803934},
					{5020601039, 9108275786, 0},
				},
			[UDRM_COLOR_YCBCR_FULL_RANGE] =
				{
					{4294967296, 0, 6763714498},
					{4294967296, -804551626, -2010578443},
					{4294967296, 7969741314, 0},
				},
		},
	[UDRM_COLOR_YCBCR_BT2020] =
		{
			[UDRM_COLOR_YCBCR_LIMITED_RANGE] =
				{
					{5020601039, 0, 7238124312},
					{5020601039, -807714626, -2804506279},
					{5020601039, 9234915964, 0},
				},
			[UDRM_COLOR_YCBCR_FULL_RANGE] =
				{
					{4294967296, 0, 6333358775},
					{4294967296, -706750298, -2453942994},
					{4294967296, 8080551471, 0},
				},
		},
};

int vkms_yuv_matrix_init(struct vkms_yuv_matrix *m, uint32_t encoding,
			 uint32_t range, bool swap_uv)
{
	if (encoding > UDRM_COLOR_YCBCR_BT2020 ||
	    range > UDRM_COLOR_YCBCR_FULL_RANGE)
		return -EINVAL;
	for (int row = 0; row < 3; row++) {
		const int64_t *src = yuv_matrices[encoding][range][row];

		m->m[row][0] = src[0];
		m->m[row][1] = swap_uv ? src[2] : src[1];
		m->m[row][2] = swap_uv ? src[1] : src[2];
	}
	m->y_offset = range == UDRM_COLOR_YCBCR_LIMITED_RANGE ? 16 * 257 : 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writeback writers                                                   */

/* DIV_ROUND_CLOSEST(v, 257), as the kernel's argb_u16_to_*8888. */
static VKMS_ALWAYS_INLINE uint8_t to8(uint32_t v)
{
	return (uint8_t)((v + 128) / 257);
}

static VKMS_ALWAYS_INLINE uint32_t to10(uint32_t v)
{
	return (v * 1023 + 32767) / 65535;
}

VKMS_LINE_LOOP static void
write_XRGB8888(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 4) {
		d[0] = to8(in[i].b);
		d[1] = to8(in[i].g);
		d[2] = to8(in[i].r);
		d[3] = 0xff;
	}
}

/* The captured frame's format: bytes r, g, b. */
VKMS_LINE_LOOP static void write_BGR888(uint8_t *d, const struct vkms_pixel *in,
					unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 3) {
		d[0] = to8(in[i].r);
		d[1] = to8(in[i].g);
		d[2] = to8(in[i].b);
	}
}

VKMS_LINE_LOOP static void
write_ARGB8888(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 4) {
		d[0] = to8(in[i].b);
		d[1] = to8(in[i].g);
		d[2] = to8(in[i].r);
		d[3] = to8(in[i].a);
	}
}

VKMS_LINE_LOOP static void
write_ABGR8888(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 4) {
		d[0] = to8(in[i].r);
		d[1] = to8(in[i].g);
		d[2] = to8(in[i].b);
		d[3] = to8(in[i].a);
	}
}

VKMS_LINE_LOOP static void
write_XRGB16161616(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 8) {
		put_le16(d, in[i].b);
		put_le16(d + 2, in[i].g);
		put_le16(d + 4, in[i].r);
		put_le16(d + 6, 0xffff);
	}
}

VKMS_LINE_LOOP static void
write_ARGB16161616(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 8) {
		put_le16(d, in[i].b);
		put_le16(d + 2, in[i].g);
		put_le16(d + 4, in[i].r);
		put_le16(d + 6, in[i].a);
	}
}

/* Truncating, as the kernel's argb_u16_to_RGB565. */
VKMS_LINE_LOOP static void write_RGB565(uint8_t *d, const struct vkms_pixel *in,
					unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 2) {
		uint32_t r = in[i].r * 31u / 65535, g = in[i].g * 63u / 65535;
		uint32_t b = in[i].b * 31u / 65535;

		put_le16(d, (uint16_t)(r << 11 | g << 5 | b));
	}
}

VKMS_LINE_LOOP static void
write_XRGB2101010(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 4)
		put_le32(d, 3u << 30 | to10(in[i].r) << 20 |
				    to10(in[i].g) << 10 | to10(in[i].b));
}

VKMS_LINE_LOOP static void
write_ARGB2101010(uint8_t *d, const struct vkms_pixel *in, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++, d += 4) {
		uint32_t a = (in[i].a * 3u + 32767) / 65535;

		put_le32(d, a << 30 | to10(in[i].r) << 20 |
				    to10(in[i].g) << 10 | to10(in[i].b));
	}
}

static const struct {
	uint32_t fourcc;
	unsigned int cpp;
	vkms_write_line_fn write;
} vkms_writers[] = {
	{DRM_FORMAT_XRGB8888, 4, vkms_write_xrgb8888},
	{DRM_FORMAT_ARGB8888, 4, write_ARGB8888},
	{DRM_FORMAT_ABGR8888, 4, write_ABGR8888},
	{DRM_FORMAT_XRGB16161616, 8, write_XRGB16161616},
	{DRM_FORMAT_ARGB16161616, 8, write_ARGB16161616},
	{DRM_FORMAT_RGB565, 2, write_RGB565},
	{DRM_FORMAT_XRGB2101010, 4, write_XRGB2101010},
	{DRM_FORMAT_ARGB2101010, 4, write_ARGB2101010},
};

#define VKMS_NUM_WRITERS (sizeof(vkms_writers) / sizeof(vkms_writers[0]))

const uint32_t vkms_writeback_formats[] = {
	DRM_FORMAT_XRGB8888,	 DRM_FORMAT_ARGB8888,	  DRM_FORMAT_ABGR8888,
	DRM_FORMAT_XRGB16161616, DRM_FORMAT_ARGB16161616, DRM_FORMAT_RGB565,
	DRM_FORMAT_XRGB2101010,	 DRM_FORMAT_ARGB2101010,
};
const unsigned int vkms_writeback_format_count =
	sizeof(vkms_writeback_formats) / sizeof(vkms_writeback_formats[0]);

_Static_assert(sizeof(vkms_writeback_formats) /
			       sizeof(vkms_writeback_formats[0]) ==
		       VKMS_NUM_WRITERS,
	       "every writeback format has a writer");

vkms_write_line_fn vkms_writeback_writer(uint32_t fourcc, unsigned int *cpp)
{
	for (size_t i = 0; i < VKMS_NUM_WRITERS; i++) {
		if (vkms_writers[i].fourcc == fourcc) {
			*cpp = vkms_writers[i].cpp;
			return vkms_writers[i].write;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* CPU features                                                        */

enum {
	VKMS_CPU_CLMUL = 1,   /* pclmul, sse4.1 */
	VKMS_CPU_AVX2 = 2,    /* avx2 */
	VKMS_CPU_VPCLMUL = 4, /* avx2, vpclmulqdq */
	VKMS_CPU_AVX512 = 8,  /* avx512f, avx512bw, vpclmulqdq */
	VKMS_CPU_VBMI = 16,   /* + avx512vbmi */
	VKMS_CPU_PROBED = 1 << 30,
};

/* VKMS_CPU_* bits; composers of several CRTCs may race on the first
 * probe, harmlessly (same answer). */
static atomic_int vkms_cpu;
static atomic_uint vkms_simd_level = VKMS_SIMD_MAX;

bool vkms_formats_set_simd(bool enable)
{
	return vkms_formats_set_simd_level(enable ? VKMS_SIMD_MAX
						  : VKMS_SIMD_NONE) !=
	       VKMS_SIMD_NONE;
}

unsigned int vkms_formats_set_simd_level(unsigned int level)
{
	return atomic_exchange(&vkms_simd_level, level);
}

static int vkms_cpu_features(void)
{
	int v = atomic_load_explicit(&vkms_cpu, memory_order_relaxed);

	if (!v) {
		v = VKMS_CPU_PROBED;
#ifdef VKMS_HAVE_CLMUL
		__builtin_cpu_init();
		if (__builtin_cpu_supports("pclmul") &&
		    __builtin_cpu_supports("sse4.1"))
			v |= VKMS_CPU_CLMUL;
		if (__builtin_cpu_supports("avx2"))
			v |= VKMS_CPU_AVX2;
		if ((v & VKMS_CPU_CLMUL) && (v & VKMS_CPU_AVX2) &&
		    __builtin_cpu_supports("vpclmulqdq"))
			v |= VKMS_CPU_VPCLMUL;
		if ((v & VKMS_CPU_VPCLMUL) &&
		    __builtin_cpu_supports("avx512f") &&
		    __builtin_cpu_supports("avx512bw"))
			v |= VKMS_CPU_AVX512;
		if ((v & VKMS_CPU_AVX512) &&
		    __builtin_cpu_supports("avx512vbmi"))
			v |= VKMS_CPU_VBMI;
#endif
		atomic_store_explicit(&vkms_cpu, v, memory_order_relaxed);
	}
	switch (atomic_load_explicit(&vkms_simd_level, memory_order_relaxed)) {
	case VKMS_SIMD_NONE:
		return VKMS_CPU_PROBED;
	case VKMS_SIMD_CLMUL:
		return v & (VKMS_CPU_PROBED | VKMS_CPU_CLMUL);
	case VKMS_SIMD_AVX2:
		return v & ~(VKMS_CPU_AVX512 | VKMS_CPU_VBMI);
	default:
		return v;
	}
}

/* ------------------------------------------------------------------ */
/* SIMD line kernels for the 8-bit formats                             */

#ifdef VKMS_HAVE_CLMUL
/*
 * Four pixels per 256-bit register, 16 bits per channel: each 128-bit
 * lane takes two source pixels (8 bytes) and one byte shuffle both orders
 * the channels as struct vkms_pixel and duplicates each byte, which is the
 * exact v * 257 of from8().
 */
/* Bytes ahead of the loads to prefetch source pixels: the hardware
 * prefetcher alone falls behind (measured at 4K, about 20%). */
#ifndef VKMS_PREFETCH
#define VKMS_PREFETCH 2048
#endif

/* round(a * b / 65535) in 16-bit lanes: div65535() of the 32-bit product
 * split into its halves. */
__attribute__((target("avx2"))) static inline __m256i
vkms_mul_div65535(__m256i a, __m256i b)
{
	__m256i lo = _mm256_mullo_epi16(a, b), hi = _mm256_mulhi_epu16(a, b);
	__m256i sum, nocarry;

	/* x + 32768: carry out of the low half into the high one. */
	hi = _mm256_add_epi16(hi, _mm256_srli_epi16(lo, 15));
	lo = _mm256_xor_si256(lo, _mm256_set1_epi16(-0x8000));
	/* (x + (x >> 16)) >> 16 = hi + carry of (lo + hi). */
	sum = _mm256_add_epi16(lo, hi);
	nocarry = _mm256_cmpeq_epi16(_mm256_max_epu16(sum, hi), sum);
	return _mm256_add_epi16(_mm256_sub_epi16(hi, _mm256_set1_epi16(-1)),
				nocarry);
}

/* Pixels 0-1 / 2-3 (lo) and 4-5 / 6-7 (hi) of 8 source pixels, one pair
 * per 128-bit lane. */
#define VKMS_SPLIT8(v, lo, hi)                                                 \
	do {                                                                   \
		(lo) = _mm256_permute4x64_epi64(v, 0x50);                      \
		(hi) = _mm256_permute4x64_epi64(v, 0xfa);                      \
	} while (0)

__attribute__((target("avx2"))) static void
read_8888_avx2(const struct vkms_row8 *s, const uint8_t *src, unsigned int n,
	       struct vkms_pixel *out)
{
	const __m256i px = _mm256_load_si256((const __m256i *)s->px);
	const __m256i set_a = _mm256_load_si256((const __m256i *)s->set_a);
	unsigned int i = 0;

	for (; i + 8 <= n; i += 8) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(src + 4 * i));

		_mm_prefetch((const char *)(src + 4 * i + VKMS_PREFETCH),
			     _MM_HINT_T0);
		__m256i lo, hi;

		VKMS_SPLIT8(v, lo, hi);
		lo = _mm256_or_si256(_mm256_shuffle_epi8(lo, px), set_a);
		hi = _mm256_or_si256(_mm256_shuffle_epi8(hi, px), set_a);
		_mm256_storeu_si256((__m256i *)(out + i), lo);
		_mm256_storeu_si256((__m256i *)(out + i + 4), hi);
	}
	if (i < n) {
		uint8_t tail[32] = {0};
		struct vkms_pixel tmp[8];

		memcpy(tail, src + 4 * i, 4 * (n - i));
		read_8888_avx2(s, tail, 8, tmp);
		memcpy(out + i, tmp, (n - i) * sizeof(*tmp));
	}
}

__attribute__((target("avx2"))) static void
premulti_8888_avx2(const struct vkms_row8 *s, const uint8_t *src,
		   unsigned int n, struct vkms_pixel *bg)
{
	const __m256i px = _mm256_load_si256((const __m256i *)s->px);
	const __m256i alpha = _mm256_load_si256((const __m256i *)s->alpha);
	const __m256i ones = _mm256_set1_epi16(-1);
	const __m256i set_a = _mm256_set1_epi64x(0xffff);
	unsigned int i = 0;

#define VKMS_PREMULTI4(h, dst)                                                 \
	do {                                                                   \
		__m256i fg = _mm256_shuffle_epi8(h, px);                       \
		__m256i inv =                                                  \
			_mm256_xor_si256(_mm256_shuffle_epi8(h, alpha), ones); \
		__m256i b = _mm256_loadu_si256((const __m256i *)(dst));        \
                                                                               \
		b = _mm256_adds_epu16(fg, vkms_mul_div65535(b, inv));          \
		_mm256_storeu_si256((__m256i *)(dst),                          \
				    _mm256_or_si256(b, set_a));                \
	} while (0)
	for (; i + 8 <= n; i += 8) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(src + 4 * i));

		_mm_prefetch((const char *)(src + 4 * i + VKMS_PREFETCH),
			     _MM_HINT_T0);
		__m256i lo, hi;

		VKMS_SPLIT8(v, lo, hi);
		VKMS_PREMULTI4(lo, bg + i);
		VKMS_PREMULTI4(hi, bg + i + 4);
	}
#undef VKMS_PREMULTI4
	if (i < n) {
		uint8_t tail[32] = {0};
		struct vkms_pixel tmp[8] = {0};

		memcpy(tail, src + 4 * i, 4 * (n - i));
		memcpy(tmp, bg + i, (n - i) * sizeof(*tmp));
		premulti_8888_avx2(s, tail, 8, tmp);
		memcpy(bg + i, tmp, (n - i) * sizeof(*tmp));
	}
}
#endif

void vkms_row8_init(struct vkms_row8 *s, const struct vkms_format_desc *d)
{
	const int8_t *idx = d->idx8;

	memset(s, 0, sizeof(*s));
	if (!d->is_8888 || !(vkms_cpu_features() & VKMS_CPU_AVX2))
		return;
	for (int j = 0; j < 32; j++) {
		int q = (j & 15) / 8, k = (j & 7) / 2;

		s->px[j] = idx[k] < 0 ? 0x80 : (uint8_t)(4 * q + idx[k]);
		s->alpha[j] = idx[0] < 0 ? 0x80 : (uint8_t)(4 * q + idx[0]);
		/* The a word of a format without alpha: 0xffff. */
		s->set_a[j] = idx[0] < 0 && (j & 7) < 2 ? 0xff : 0;
	}
	for (int j = 0; j < 16; j++) {
		int q = j / 4, c = j % 4;
		/* XRGB8888 bytes b, g, r, x take channels 3, 2, 1, none */
		int x = c == 3 ? -1 : idx[3 - c];

		s->xrgb[j] = x < 0 ? 0x80 : (uint8_t)(4 * q + x);
	}
	/* The CRC's high bytes (r, g, b) of 16 pixels in the first 48
	 * bytes, and of 64 pixels (four registers) in three: register k
	 * takes bytes 64k to 64k + 63, from source registers k and k + 1. */
	for (int b = 0; b < 64; b++) {
		s->hi16[b] =
			b < 48 ? (uint8_t)(4 * (b / 3) + idx[1 + b % 3]) : 0;
		for (int k = 0; k < 3; k++) {
			int q = 64 * k + b, p = q / 3;

			s->hi3[k][b] =
				(uint8_t)(4 * p + idx[1 + q % 3] - 64 * k);
		}
	}
	/* 16 pixels to 16-bit pixels 0-7 / 8-15: byte j of the result is
	 * byte c / 2 ... of channel c = j % 8 / 2 of pixel j / 8; index 64
	 * picks the second operand (0xff) */
	for (int h = 0; h < 2; h++) {
		for (int j = 0; j < 64; j++) {
			int p = 8 * h + j / 8, c = j % 8 / 2;

			s->vpx[h][j] =
				idx[c] < 0 ? 64 : (uint8_t)(4 * p + idx[c]);
			s->vpx_opaque[h][j] = c == 0 ? 64 : s->vpx[h][j];
			s->valpha[h][j] =
				idx[0] < 0 ? 64 : (uint8_t)(4 * p + idx[0]);
		}
	}
	s->simd = true;
	s->line512 = vkms_cpu_features() & VKMS_CPU_VBMI;
}

void vkms_read_8888(const struct vkms_row8 *s, const uint8_t *src,
		    unsigned int n, struct vkms_pixel *out)
{
#ifdef VKMS_HAVE_CLMUL
	read_8888_avx2(s, src, n, out);
#endif
}

void vkms_premulti_8888(const struct vkms_row8 *s, const uint8_t *src,
			unsigned int n, struct vkms_pixel *bg)
{
#ifdef VKMS_HAVE_CLMUL
	premulti_8888_avx2(s, src, n, bg);
#endif
}

/* ------------------------------------------------------------------ */
/* CRC                                                                 */

#ifdef VKMS_HAVE_CLMUL
#define VKMS_FOLD(x, k, next)                                                  \
	(_mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),         \
				     _mm_clmulepi64_si128(x, k, 0x11)),        \
		       next))

/*
 * Folds the 16-byte blocks left at @p into @x0 (the message so far, as
 * 128 bits still to be reduced), then reduces to the 32-bit register.
 */
__attribute__((target("pclmul,sse4.1"))) static inline uint32_t
crc32_finish_clmul(__m128i x0, const uint8_t *p, size_t len)
{
	/* x^(128+32), x^(128-32) mod P */
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
	/* Barrett: P' (low) and mu (high), bit-reflected */
	const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i t;

	while (len >= 16) {
		x0 = VKMS_FOLD(x0, k3k4, _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	/* 128 -> 64 bits, appending 32 zero bits. */
	t = _mm_clmulepi64_si128(k3k4, x0, 0x01);
	x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), t);
	/* 64 -> 32 bits. */
	t = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), k5, 0x00);
	x0 = _mm_xor_si128(_mm_srli_si128(x0, 4), t);
	/* Barrett reduction. */
	t = _mm_clmulepi64_si128(_mm_and_si128(x0, mask32), poly, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly, 0x00);
	x0 = _mm_xor_si128(x0, t);
	return (uint32_t)_mm_extract_epi32(x0, 1);
}

/*
 * CRC-32 (reflected 0xedb88320) by folding with carry-less multiplication
 * ("Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", Intel,
 * 2009): four 128-bit lanes folded 64 bytes at a time, then into one lane,
 * then reduced to 32 bits with Barrett's method. @crc is the raw register
 * (not inverted); @len is a multiple of 16, at least 64. Fold constants
 * for a distance of d bits are x^(d+32) and x^(d-32) mod P, bit-reflected
 * and shifted left by one.
 */
__attribute__((target("pclmul,sse4.1"))) static uint32_t
crc32_fold_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	__m128i x0, x1, x2, x3;

	x0 = _mm_loadu_si128((const __m128i *)p);
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)crc));
	p += 64;
	len -= 64;

	while (len >= 64) {
		x0 = VKMS_FOLD(x0, k1k2, _mm_loadu_si128((const __m128i *)p));
		x1 = VKMS_FOLD(x1, k1k2,
			       _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = VKMS_FOLD(x2, k1k2,
			       _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = VKMS_FOLD(x3, k1k2,
			       _mm_loadu_si128((const __m128i *)(p + 48)));
		p += 64;
		len -= 64;
	}
	x0 = VKMS_FOLD(x0, k3k4, x1);
	x0 = VKMS_FOLD(x0, k3k4, x2);
	x0 = VKMS_FOLD(x0, k3k4, x3);
	return crc32_finish_clmul(x0, p, len);
}

#define VKMS_FOLD256(x, k, next)                                               \
	(_mm256_xor_si256(                                                     \
		_mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00),         \
				 _mm256_clmulepi64_epi128(x, k, 0x11)),        \
		next))

/*
 * The same with 256-bit carry-less multiplications (VPCLMULQDQ): eight
 * registers of two lanes, 256 bytes at a time, then folded into one
 * register and into one lane. @len is a multiple of 16, at least 256.
 */
__attribute__((target("avx2,vpclmulqdq,pclmul,sse4.1"))) static uint32_t
crc32_fold_vpclmul(uint32_t crc, const uint8_t *p, size_t len)
{
	/* Distances 8 * 256 bits and 256 bits. */
	const __m256i k2048 = _mm256_set_epi64x(0x1322d1430, 0x11542778a,
						0x1322d1430, 0x11542778a);
	const __m256i k256 = _mm256_set_epi64x(0x15a546366, 0x0f1da05aa,
					       0x15a546366, 0x0f1da05aa);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	__m256i y[8], acc;
	__m128i x0;

	VKMS_UNROLL
	for (int j = 0; j < 8; j++)
		y[j] = _mm256_loadu_si256((const __m256i *)(p + 32 * j));
	y[0] = _mm256_xor_si256(
		y[0], _mm256_set_epi32(0, 0, 0, 0, 0, 0, 0, (int)crc));
	p += 256;
	len -= 256;
	while (len >= 256) {
		VKMS_UNROLL
		for (int j = 0; j < 8; j++)
			y[j] = VKMS_FOLD256(
				y[j], k2048,
				_mm256_loadu_si256(
					(const __m256i *)(p + 32 * j)));
		p += 256;
		len -= 256;
	}
	acc = y[0];
	for (int j = 1; j < 8; j++)
		acc = VKMS_FOLD256(acc, k256, y[j]);
	x0 = VKMS_FOLD(_mm256_castsi256_si128(acc), k3k4,
		       _mm256_extracti128_si256(acc, 1));
	return crc32_finish_clmul(x0, p, len);
}

#define VKMS_AVX512 "avx512f,avx512bw,vpclmulqdq,avx2,pclmul,sse4.1"
#define VKMS_FOLD512(x, k, next)                                               \
	(_mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),       \
				   _mm512_clmulepi64_epi128(x, k, 0x11), next, \
				   0x96))

/* Folds @n 512-bit registers (z[0] first in the message) into 128 bits
 * still to be reduced, one after the other. */
__attribute__((target(VKMS_AVX512))) static VKMS_ALWAYS_INLINE __m128i
crc32_reduce_seq(const __m512i *z, int n)
{
	const __m512i k512 = _mm512_broadcast_i32x4(
		_mm_set_epi64x(0x1c6e41596, 0x154442bd4));
	const __m256i k256 = _mm256_set_epi64x(0x15a546366, 0x0f1da05aa,
					       0x15a546366, 0x0f1da05aa);
	const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	__m512i acc = z[0];
	__m256i y;

	for (int j = 1; j < n; j++)
		acc = VKMS_FOLD512(acc, k512, z[j]);
	y = VKMS_FOLD256(_mm512_castsi512_si256(acc), k256,
			 _mm512_extracti64x4_epi64(acc, 1));
	return VKMS_FOLD(_mm256_castsi256_si128(y), k3k4,
			 _mm256_extracti128_si256(y, 1));
}

/* Distance 4 * 512 bits, the stride of the four registers. */
#define VKMS_K2048_512                                                         \
	_mm512_broadcast_i32x4(_mm_set_epi64x(0x1322d1430, 0x11542778a))
/* Distance 8 * 512 bits, the stride of eight registers. */
#define VKMS_K4096_512                                                         \
	_mm512_broadcast_i32x4(_mm_set_epi64x(0x1d741f35c, 0x01072db28))

/* Distances 6 and 3 * 512 bits: the stride of six and three registers. */
#define VKMS_K3072_512                                                         \
	_mm512_broadcast_i32x4(_mm_set_epi64x(0x0d31343ea, 0x1f79525b0))
#define VKMS_K1536_512                                                         \
	_mm512_broadcast_i32x4(_mm_set_epi64x(0x12e958ac4, 0x1821d8bc0))

/*
 * The same with 512-bit carry-less multiplications: four registers of four
 * lanes, 256 bytes at a time (four independent chains hide the latency).
 * @len is a multiple of 16, at least 256.
 */
__attribute__((target(VKMS_AVX512))) static uint32_t
crc32_fold_avx512(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m512i k2048 = VKMS_K2048_512;
	const __m512i k4096 = VKMS_K4096_512;
	__m512i z[8];
	int regs = len >= 512 ? 8 : 4;

	for (int j = 0; j < regs; j++)
		z[j] = _mm512_loadu_si512((const void *)(p + 64 * j));
	z[0] = _mm512_xor_si512(
		z[0], _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
	p += 64 * regs;
	len -= 64 * (size_t)regs;
	if (regs == 8) {
		/* Eight chains while they last, then four. */
		while (len >= 512) {
			VKMS_UNROLL
			for (int j = 0; j < 8; j++)
				z[j] = VKMS_FOLD512(
					z[j], k4096,
					_mm512_loadu_si512(
						(const void *)(p + 64 * j)));
			p += 512;
			len -= 512;
		}
		VKMS_UNROLL
		for (int j = 0; j < 4; j++)
			z[j] = VKMS_FOLD512(z[j], k2048, z[j + 4]);
	}
	while (len >= 256) {
		VKMS_UNROLL
		for (int j = 0; j < 4; j++)
			z[j] = VKMS_FOLD512(
				z[j], k2048,
				_mm512_loadu_si512((const void *)(p + 64 * j)));
		p += 256;
		len -= 256;
	}
	return crc32_finish_clmul(crc32_reduce_seq(z, 4), p, len);
}

/*
 * The line kernels permute bytes across whole registers (AVX-512 VBMI):
 * one VPERMB or VPERMT2B where AVX-512BW takes a lane permute, a shuffle
 * and an OR.
 */
#define VKMS_VBMI VKMS_AVX512 ",avx512vbmi"

/* The 16 8-bit pixels at @v as opaque 16-bit pixels 0-7 (*a) and 8-15
 * (*b), through a row's vpx_opaque permutes @t0 and @t1: alpha (and X)
 * bytes come from the second operand, all ones. */
__attribute__((target(VKMS_VBMI))) static inline void
line_8888_convert(__m512i v, __m512i t0, __m512i t1, __m512i *a, __m512i *b)
{
	const __m512i ones = _mm512_set1_epi8(-1);

	*a = _mm512_permutex2var_epi8(v, t0, ones);
	*b = _mm512_permutex2var_epi8(v, t1, ones);
}

/* Loads the @n <= 16 composed pixels at @p into @a (0-7) and @b (8-15),
 * nothing read past them. */
__attribute__((target(VKMS_AVX512))) static inline void
line_8888_load_tail(const struct vkms_pixel *p, unsigned int n, __m512i *a,
		    __m512i *b)
{
	*a = _mm512_maskz_loadu_epi64((__mmask8)((1u << (n > 8 ? 8 : n)) - 1),
				      p);
	*b = _mm512_maskz_loadu_epi64(
		(__mmask8)((1u << (n > 8 ? n - 8 : 0)) - 1), p + 8);
}

/* Stores the @n <= 16 pixels in @a and @b at @out. */
__attribute__((target(VKMS_AVX512))) static inline void
line_8888_store_tail(struct vkms_pixel *out, unsigned int n, __m512i a,
		     __m512i b)
{
	_mm512_mask_storeu_epi64(out, (__mmask8)((1u << (n > 8 ? 8 : n)) - 1),
				 a);
	if (n > 8)
		_mm512_mask_storeu_epi64(out + 8,
					 (__mmask8)((1u << (n - 8)) - 1), b);
}

/* The constants of the 8-bit line kernels. */
struct line8_k {
	__m512i vpx[2];	    /* 16-bit pixels 0-7, 8-15, alpha 0xffff */
	__m512i hi3[3];	    /* CRC high bytes (BGR888) of 64 pixels */
	__m512i hi16;	    /* CRC high bytes (BGR888) of 16 pixels */
	__m512i xrgb, x_ff; /* XRGB8888, x 0xff */
};

/* The CRC's first plane of the 64 pixels at @v[0-3] (192 bytes). */
__attribute__((target(VKMS_VBMI))) static inline void
line8_hi3(const __m512i v[4], const struct line8_k *k, __m512i h[3])
{
	VKMS_UNROLL
	for (int j = 0; j < 3; j++)
		h[j] = _mm512_permutex2var_epi8(v[j], k->hi3[j], v[j + 1]);
}

__attribute__((target(VKMS_VBMI))) static inline __m512i
line8_xrgb(__m512i v, const struct line8_k *k)
{
	return _mm512_or_si512(_mm512_shuffle_epi8(v, k->xrgb), k->x_ff);
}

/*
 * Stores @v at @d 16 bytes at a time: a line copied through the caches
 * (an XRGB8888 writeback of a plane alone) measured 10% faster than with
 * whole registers (1080p: 0.211 against 0.235 ms, level with pixman's
 * SSE2 copy).
 */
__attribute__((target(VKMS_AVX512))) static inline void
line8_store4x128(uint8_t *d, __m512i v)
{
	_mm_storeu_si128((__m128i *)d, _mm512_castsi512_si128(v));
	_mm_storeu_si128((__m128i *)(d + 16), _mm512_extracti32x4_epi32(v, 1));
	_mm_storeu_si128((__m128i *)(d + 32), _mm512_extracti32x4_epi32(v, 2));
	_mm_storeu_si128((__m128i *)(d + 48), _mm512_extracti32x4_epi32(v, 3));
}

/* Stores the 16 pixels at @v: 16-bit at @o16, XRGB8888 at @o8. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
line8_store16(__m512i v, const struct line8_k *k, struct vkms_pixel *o16,
	      uint8_t *o8, bool stream)
{
	if (o16) {
		__m512i a, b;

		line_8888_convert(v, k->vpx[0], k->vpx[1], &a, &b);
		if (stream) {
			_mm512_stream_si512((void *)o16, a);
			_mm512_stream_si512((void *)(o16 + 8), b);
		} else {
			_mm512_storeu_si512((void *)o16, a);
			_mm512_storeu_si512((void *)(o16 + 8), b);
		}
	}
	if (o8) {
		if (stream)
			_mm512_stream_si512((void *)o8, line8_xrgb(v, k));
		else
			line8_store4x128(o8, line8_xrgb(v, k));
	}
}

/* Any @n, 16 pixels at a time with masked loads and stores (@o8 in
 * BGR888 if @bgr, XRGB8888 otherwise); the CRC's high bytes go through a
 * small buffer into vkms_crc32(). */
__attribute__((target(VKMS_VBMI))) static uint32_t
line8_small(const struct line8_k *k, const uint8_t *src, unsigned int n,
	    struct vkms_pixel *o16, uint8_t *o8, bool bgr, bool want_crc,
	    uint32_t h)
{
	_Alignas(64) uint8_t tmp[256];
	unsigned int t = 0;

	for (unsigned int i = 0; i < n; i += 16) {
		unsigned int m = n - i > 16 ? 16 : n - i;
		__mmask16 mask = (__mmask16)((1u << m) - 1);
		__m512i v = _mm512_maskz_loadu_epi32(mask, src + 4 * i);

		if (o16) {
			__m512i a, b;

			line_8888_convert(v, k->vpx[0], k->vpx[1], &a, &b);
			line_8888_store_tail(o16 + i, m, a, b);
		}
		if (o8 && bgr)
			_mm512_mask_storeu_epi8(
				o8 + 3 * i, (__mmask64)((1ull << (3 * m)) - 1),
				_mm512_permutexvar_epi8(k->hi16, v));
		else if (o8)
			_mm512_mask_storeu_epi32(o8 + 4 * i, mask,
						 line8_xrgb(v, k));
		if (want_crc) {
			if (t + 64 > sizeof(tmp)) {
				h = vkms_crc32(h, tmp, t);
				t = 0;
			}
			_mm512_storeu_si512(
				(void *)(tmp + t),
				_mm512_permutexvar_epi8(k->hi16, v));
			t += 3 * m;
		}
	}
	return want_crc ? vkms_crc32(h, tmp, t) : h;
}

/* Stores the three registers of 64 BGR888 pixels at @d. */
__attribute__((target(VKMS_AVX512))) static VKMS_ALWAYS_INLINE void
line8_store_bgr(uint8_t *d, const __m512i w[3], bool stream)
{
	VKMS_UNROLL
	for (int j = 0; j < 3; j++) {
		if (stream)
			_mm512_stream_si512((void *)(d + 64 * j), w[j]);
		else
			_mm512_storeu_si512((void *)(d + 64 * j), w[j]);
	}
}

/*
 * 128 pixels (512 bytes of high bytes) at a time: eight registers folded
 * as crc32_fold_avx512() does (four chains leave the multiplier idle a
 * third of the time), the last pixels by line8_small(). A BGR888 line is
 * the CRC's high bytes themselves (8-bit channels round to themselves).
 */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE uint32_t
line8_run(const struct line8_k *k, const uint8_t *src, unsigned int n,
	  struct vkms_pixel *o16, uint8_t *o8, bool bgr, bool stream,
	  bool want_crc, uint32_t h)
{
	uint8_t *o32 = bgr ? NULL : o8; /* XRGB8888 */
	unsigned int i = 0;

	if (want_crc && n >= 128) {
		const __m512i k3072 = VKMS_K3072_512;
		__m512i z[6];

		/* 128 pixels a step: six registers of high bytes, folded in
		 * six chains. */
		for (i = 0; i + 128 <= n; i += 128) {
			VKMS_UNROLL
			for (int j = 0; j < 2; j++)
				_mm_prefetch((const char *)(src + 4 * i +
							    VKMS_PREFETCH +
							    64 * j),
					     _MM_HINT_T0);
			VKMS_UNROLL
			for (int g = 0; g < 2; g++) {
				__m512i v[4], hb[3];

				VKMS_UNROLL
				for (int j = 0; j < 4; j++) {
					unsigned int p = i + 64 * g + 16 * j;

					v[j] = _mm512_loadu_si512(
						(const void *)(src + 4 * p));
					line8_store16(v[j], k,
						      o16 ? o16 + p : NULL,
						      o32 ? o32 + 4 * p : NULL,
						      stream);
				}
				line8_hi3(v, k, hb);
				if (o8 && bgr)
					line8_store_bgr(o8 + 3 * (i + 64 * g),
							hb, stream);
				VKMS_UNROLL
				for (int j = 0; j < 3; j++)
					z[3 * g + j] =
						i ? VKMS_FOLD512(z[3 * g + j],
								 k3072, hb[j])
						  : hb[j];
			}
			if (!i)
				z[0] = _mm512_xor_si512(
					z[0],
					_mm512_zextsi128_si512(
						_mm_cvtsi32_si128((int)~h)));
		}
		h = ~crc32_finish_clmul(crc32_reduce_seq(z, 6), NULL, 0);
	} else if (!want_crc && o8 && bgr && !stream) {
		/* 48 bytes a store measured faster than three whole
		 * registers for 64 pixels (0.190 against 0.197 ms at 1080p). */
		for (; i + 16 <= n; i += 16) {
			__m512i v =
				_mm512_loadu_si512((const void *)(src + 4 * i));

			if (o16)
				line8_store16(v, k, o16 + i, NULL, false);
			_mm512_mask_storeu_epi8(
				o8 + 3 * i, (__mmask64)0xffffffffffffull,
				_mm512_permutexvar_epi8(k->hi16, v));
		}
	} else if (!want_crc && o8 && bgr) {
		/* Non-temporal stores: whole registers. */
		for (; i + 64 <= n; i += 64) {
			__m512i v[4], w[3];

			_mm_prefetch(
				(const char *)(src + 4 * i + VKMS_PREFETCH),
				_MM_HINT_T0);
			VKMS_UNROLL
			for (int j = 0; j < 4; j++) {
				v[j] = _mm512_loadu_si512(
					(const void *)(src + 4 * (i + 16 * j)));
				if (o16)
					line8_store16(v[j], k, o16 + i + 16 * j,
						      NULL, true);
			}
			line8_hi3(v, k, w);
			line8_store_bgr(o8 + 3 * i, w, true);
		}
	} else if (!want_crc) {
		for (; i + 16 <= n; i += 16) {
			/* Software prefetch pays on frames larger than the
			 * caches (4K: about 20%) and costs when the source is
			 * in L3 (1080p: 0.33 against 0.28 ms). */
			if (stream)
				_mm_prefetch((const char *)(src + 4 * i +
							    VKMS_PREFETCH),
					     _MM_HINT_T0);
			line8_store16(
				_mm512_loadu_si512((const void *)(src + 4 * i)),
				k, o16 ? o16 + i : NULL, o8 ? o8 + 4 * i : NULL,
				stream);
		}
	}
	if (i < n)
		h = line8_small(k, src + 4 * i, n - i, o16 ? o16 + i : NULL,
				o8 ? o8 + (bgr ? 3 : 4) * i : NULL, bgr,
				want_crc, h);
	return h;
}

__attribute__((target(VKMS_VBMI))) static uint32_t
line_8888_avx512(const struct vkms_row8 *s, const uint8_t *src, unsigned int n,
		 struct vkms_pixel *o16, uint8_t *o8, bool bgr, bool stream,
		 bool want_crc, uint32_t h)
{
	/* Every member set: nothing zeroed first. */
	struct line8_k k = {
		.vpx = {_mm512_load_si512((const void *)s->vpx_opaque[0]),
			_mm512_load_si512((const void *)s->vpx_opaque[1])},
		.hi3 = {_mm512_load_si512((const void *)s->hi3[0]),
			_mm512_load_si512((const void *)s->hi3[1]),
			_mm512_load_si512((const void *)s->hi3[2])},
		.hi16 = _mm512_load_si512((const void *)s->hi16),
		.xrgb = _mm512_broadcast_i32x4(
			_mm_load_si128((const __m128i *)s->xrgb)),
		.x_ff = _mm512_set1_epi32((int)0xff000000u),
	};
	uintptr_t dst;
	unsigned int cpp;

	if (!o8)
		bgr = false;

	/* Non-temporal stores are whole aligned 64 bytes: the pixels up to
	 * the first such boundary are stored as usual. */
	dst = o16 ? (uintptr_t)o16 : (uintptr_t)o8;
	cpp = o16 ? 8 : bgr ? 3 : 4;
	if (stream && (!dst || (o16 && o8) || (cpp != 3 && dst % cpp)))
		stream = false;
	if (stream && dst % 64) {
		unsigned int gap = (unsigned int)(64 - dst % 64);
		/* 3 * 43 = 1 (mod 64) */
		unsigned int head = cpp == 3 ? gap * 43 % 64 : gap / cpp;

		if (head > n)
			head = n;
		h = line8_small(&k, src, head, o16, o8, bgr, want_crc, h);
		src += 4 * head;
		o16 = o16 ? o16 + head : NULL;
		o8 = o8 ? o8 + cpp * head : NULL;
		n -= head;
	}
	/* One copy of the loop per combination the composer uses. */
	if (stream && o16)
		return want_crc ? line8_run(&k, src, n, o16, NULL, false, true,
					    true, h)
				: line8_run(&k, src, n, o16, NULL, false, true,
					    false, h);
	if (stream && bgr)
		return want_crc ? line8_run(&k, src, n, NULL, o8, true, true,
					    true, h)
				: line8_run(&k, src, n, NULL, o8, true, true,
					    false, h);
	if (o16 && !o8)
		return want_crc ? line8_run(&k, src, n, o16, NULL, false, false,
					    true, h)
				: line8_run(&k, src, n, o16, NULL, false, false,
					    false, h);
	if (o8 && !o16 && bgr)
		return want_crc ? line8_run(&k, src, n, NULL, o8, true, false,
					    true, h)
				: line8_run(&k, src, n, NULL, o8, true, false,
					    false, h);
	if (o8 && !o16 && !stream)
		return want_crc ? line8_run(&k, src, n, NULL, o8, false, false,
					    true, h)
				: line8_run(&k, src, n, NULL, o8, false, false,
					    false, h);
	return line8_run(&k, src, n, o16, o8, bgr, stream, want_crc, h);
}

/* round(a * b / 65535) in 16-bit lanes (vkms_mul_div65535() with a mask
 * for the carry). */
__attribute__((target(VKMS_AVX512))) static inline __m512i
mul_div65535_avx512(__m512i a, __m512i b)
{
	__m512i lo = _mm512_mullo_epi16(a, b), hi = _mm512_mulhi_epu16(a, b);
	__m512i sum;

	/* x + 32768: carry out of the low half into the high one. */
	hi = _mm512_add_epi16(hi, _mm512_srli_epi16(lo, 15));
	lo = _mm512_xor_si512(lo, _mm512_set1_epi16(-0x8000));
	/* (x + (x >> 16)) >> 16 = hi + carry of (lo + hi). */
	sum = _mm512_add_epi16(lo, hi);
	return _mm512_mask_sub_epi16(hi, _mm512_cmplt_epu16_mask(sum, hi), hi,
				     _mm512_set1_epi16(-1));
}

/* Pre-multiplied pixels (@v: 16 of them) over @a (pixels 0-7) and @b
 * (8-15) where @mask says. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
stack_blend(const struct vkms_row8 *s, __m512i v, __mmask16 mask, __m512i *a,
	    __m512i *b)
{
	__m512i nv = _mm512_ternarylogic_epi64(v, v, v, 0x55); /* ~v */

	for (int h = 0; h < 2; h++) {
		__m512i *bg = h ? b : a;
		__mmask8 m = (__mmask8)(mask >> (8 * h));
		__m512i fg, inv;

		if (!m)
			continue;
		fg = _mm512_permutexvar_epi8(
			_mm512_load_si512((const void *)s->vpx[h]), v);
		inv = _mm512_permutexvar_epi8(
			_mm512_load_si512((const void *)s->valpha[h]), nv);
		fg = _mm512_adds_epu16(fg, mul_div65535_avx512(*bg, inv));
		*bg = m == 0xff ? fg : _mm512_mask_mov_epi64(*bg, m, fg);
	}
}

/*
 * Pixels @x to @x + 15 of a stack line (@m of them: the last block may be
 * short) into @a (0-7) and @b (8-15).
 */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
stack_block(const struct vkms_row8 *bottom, const uint8_t *src,
	    const struct vkms_stack_plane *planes, unsigned int num_planes,
	    unsigned int x, unsigned int m, __m512i *a, __m512i *b)
{
	__m512i v = _mm512_maskz_loadu_epi32((__mmask16)((1u << m) - 1),
					     src + 4 * x);

	line_8888_convert(
		v, _mm512_load_si512((const void *)bottom->vpx_opaque[0]),
		_mm512_load_si512((const void *)bottom->vpx_opaque[1]), a, b);
	for (unsigned int i = 0; i < num_planes; i++) {
		const struct vkms_stack_plane *p = &planes[i];
		unsigned int lo, hi;
		__mmask16 mask;

		/* A plane over the whole block: no masks. */
		if (m == 16 && p->x1 <= x && x + 16 <= p->x2) {
			stack_blend(p->s,
				    _mm512_loadu_si512(
					    (const void *)(p->src +
							   4 * (x - p->x1))),
				    0xffff, a, b);
			continue;
		}
		lo = p->x1 > x ? p->x1 : x;
		hi = p->x2 < x + m ? p->x2 : x + m;

		if (lo >= hi)
			continue;
		mask = (__mmask16)(((1u << (hi - lo)) - 1) << (lo - x));
		/* Lanes outside the plane are not read (masked loads do not
		 * fault); the address is formed without pointer overflow. */
		v = _mm512_maskz_loadu_epi32(
			mask,
			(const void *)((uintptr_t)p->src + 4 * (uintptr_t)x -
				       4 * (uintptr_t)p->x1));
		stack_blend(p->s, v, mask, a, b);
	}
}

/* Byte @i of the composed pixels @a (0-7) then @b (8-15): 8 * pixel +
 * 2 * channel (a, r, g, b) + 1 for the high byte. */
#define VKMS_PX_BYTE(p, c, hi) ((p)*8 + (c)*2 + (hi))
#define VKMS_PX4(p, c0, c1, c2, c3, hi)                                        \
	VKMS_PX_BYTE(p, c0, hi), VKMS_PX_BYTE(p, c1, hi),                      \
		VKMS_PX_BYTE(p, c2, hi), VKMS_PX_BYTE(p, c3, hi)
#define VKMS_PX16(c0, c1, c2, c3, hi)                                          \
	{                                                                      \
		VKMS_PX4(0, c0, c1, c2, c3, hi),                               \
			VKMS_PX4(1, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(2, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(3, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(4, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(5, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(6, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(7, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(8, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(9, c0, c1, c2, c3, hi),                       \
			VKMS_PX4(10, c0, c1, c2, c3, hi),                      \
			VKMS_PX4(11, c0, c1, c2, c3, hi),                      \
			VKMS_PX4(12, c0, c1, c2, c3, hi),                      \
			VKMS_PX4(13, c0, c1, c2, c3, hi),                      \
			VKMS_PX4(14, c0, c1, c2, c3, hi),                      \
			VKMS_PX4(15, c0, c1, c2, c3, hi)                       \
	}
/* XRGB8888: the high bytes in b, g, r, a order. */
static _Alignas(64) const uint8_t vkms_px_xrgb[64] = VKMS_PX16(3, 2, 1, 0, 1);

/*
 * The bytes of r, g, b of each of 16 composed pixels, in the first 48
 * bytes: the high ones (the CRC's first plane; BGR888 after rounding), and
 * the low ones (XORed with the high ones: the CRC's second plane).
 */
#define VKMS_PX3(p, hi)                                                        \
	VKMS_PX_BYTE(p, 1, hi), VKMS_PX_BYTE(p, 2, hi), VKMS_PX_BYTE(p, 3, hi)
#define VKMS_PX48(hi)                                                          \
	{                                                                      \
		VKMS_PX3(0, hi), VKMS_PX3(1, hi), VKMS_PX3(2, hi),             \
			VKMS_PX3(3, hi), VKMS_PX3(4, hi), VKMS_PX3(5, hi),     \
			VKMS_PX3(6, hi), VKMS_PX3(7, hi), VKMS_PX3(8, hi),     \
			VKMS_PX3(9, hi), VKMS_PX3(10, hi), VKMS_PX3(11, hi),   \
			VKMS_PX3(12, hi), VKMS_PX3(13, hi), VKMS_PX3(14, hi),  \
			VKMS_PX3(15, hi)                                       \
	}
static _Alignas(64) const uint8_t vkms_px3_hi[64] = VKMS_PX48(1);
static _Alignas(64) const uint8_t vkms_px3_lo[64] = VKMS_PX48(0);

/* Four such blocks (192 bytes) into three registers: register k takes
 * bytes 64k to 64k + 63, from blocks k and k + 1: byte b is
 * (q / 48 - k) * 64 + q % 48 with q = 64k + b. */
static _Alignas(64) const uint8_t vkms_px3_pack[3][64] = {
	{0,  1,	 2,  3,	 4,  5,	 6,  7,	 8,  9,	 10, 11, 12, 13, 14, 15,
	 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
	 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79},
	{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
	 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
	 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
	 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95},
	{32,  33,  34,	35,  36,  37,  38,  39,	 40,  41,  42,	43, 44,
	 45,  46,  47,	64,  65,  66,  67,  68,	 69,  70,  71,	72, 73,
	 74,  75,  76,	77,  78,  79,  80,  81,	 82,  83,  84,	85, 86,
	 87,  88,  89,	90,  91,  92,  93,  94,	 95,  96,  97,	98, 99,
	 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111},
};

/* The CRC planes of 16 composed pixels (48 bytes each). */
__attribute__((target(VKMS_VBMI))) static inline void
stack_crc_planes(__m512i a, __m512i b, __m512i *h, __m512i *r)
{
	*h = _mm512_permutex2var_epi8(
		a, _mm512_load_si512((const void *)vkms_px3_hi), b);
	*r = _mm512_xor_si512(
		*h,
		_mm512_permutex2var_epi8(
			a, _mm512_load_si512((const void *)vkms_px3_lo), b));
}

/* Four blocks of 48 bytes (stack_crc_planes(), stack_bgr()) into three
 * whole registers. */
__attribute__((target(VKMS_VBMI))) static inline void
stack_pack3(const __m512i in[4], __m512i out[3])
{
	VKMS_UNROLL
	for (int k = 0; k < 3; k++)
		out[k] = _mm512_permutex2var_epi8(
			in[k],
			_mm512_load_si512((const void *)vkms_px3_pack[k]),
			in[k + 1]);
}

/* The bytes at @table (VKMS_PX_BYTE() indices, high bytes) of 16
 * composed pixels rounded to 8 bits, as the writeback writers: to8() of
 * each channel is the high byte of min(v + 128, 0xffff) * 0xff01 >> 16
 * (checked for every v). */
__attribute__((target(VKMS_VBMI))) static inline __m512i
stack_to8(__m512i a, __m512i b, const uint8_t *table)
{
	const __m512i r = _mm512_set1_epi16(128), k = _mm512_set1_epi16(-0xff);

	return _mm512_permutex2var_epi8(
		_mm512_mulhi_epu16(_mm512_adds_epu16(a, r), k),
		_mm512_load_si512((const void *)table),
		_mm512_mulhi_epu16(_mm512_adds_epu16(b, r), k));
}

/* XRGB8888 of 16 composed pixels, as the writeback writer (X = 0xff). */
__attribute__((target(VKMS_VBMI))) static inline __m512i stack_xrgb(__m512i a,
								    __m512i b)
{
	return _mm512_or_si512(stack_to8(a, b, vkms_px_xrgb),
			       _mm512_set1_epi32((int)0xff000000u));
}

/* BGR888 of 16 composed pixels (bytes r, g, b) in the first 48 bytes. */
__attribute__((target(VKMS_VBMI))) static inline __m512i stack_bgr(__m512i a,
								   __m512i b)
{
	return stack_to8(a, b, vkms_px3_hi);
}

/* Stores the first @m pixels of @v, 16 stack_bgr() pixels, at @d. */
__attribute__((target(VKMS_AVX512))) static inline void
stack_store_bgr_tail(uint8_t *d, unsigned int m, __m512i v)
{
	_mm512_mask_storeu_epi8(d, (__mmask64)((1ull << (3 * m)) - 1), v);
}

/* vkms_write_xrgb8888() with stack_xrgb(), vkms_write_bgr888() with
 * stack_bgr() (@bgr). */
__attribute__((target(VKMS_VBMI))) static void
write_8_vbmi(uint8_t *d, const struct vkms_pixel *in, unsigned int n, bool bgr)
{
	for (unsigned int i = 0; i < n; i += 16) {
		unsigned int m = n - i > 16 ? 16 : n - i;
		__m512i a, b;

		line_8888_load_tail(in + i, m, &a, &b);
		if (bgr)
			stack_store_bgr_tail(d + 3 * i, m, stack_bgr(a, b));
		else
			_mm512_mask_storeu_epi32(d + 4 * i,
						 (__mmask16)((1u << m) - 1),
						 stack_xrgb(a, b));
	}
}

/* Asks for the 256 bytes each plane shows VKMS_PREFETCH bytes after pixel
 * @x of the line. */
static inline void stack_prefetch(const uint8_t *src,
				  const struct vkms_stack_plane *planes,
				  unsigned int num_planes, unsigned int x)
{
	unsigned int ahead = x + VKMS_PREFETCH / 4;

	for (int k = 0; k < 256; k += 64)
		_mm_prefetch((const char *)src + 4 * ahead + k, _MM_HINT_T0);
	for (unsigned int i = 0; i < num_planes; i++) {
		const struct vkms_stack_plane *p = &planes[i];

		if (ahead < p->x1 || ahead >= p->x2)
			continue;
		for (int k = 0; k < 256; k += 64)
			_mm_prefetch((const char *)p->src +
					     4 * (size_t)(ahead - p->x1) + k,
				     _MM_HINT_T0);
	}
}

/* The CRC register after the three registers @z0-@z2 (if @have_z) and
 * @len bytes at @tail (taken by value: the callers' registers never go
 * through memory). */
__attribute__((target(VKMS_AVX512))) static uint32_t
crc_fold_finish(__m512i z0, __m512i z1, __m512i z2, bool have_z, uint32_t raw,
		const uint8_t *tail, size_t len)
{
	const __m512i z[3] = {z0, z1, z2};
	size_t n16 = len & ~(size_t)15;

	if (!have_z)
		return ~vkms_crc32(~raw, tail, len);
	raw = crc32_finish_clmul(crc32_reduce_seq(z, 3), tail, n16);
	if (len > n16)
		raw = ~(uint32_t)crc32(~raw, tail + n16, (uInt)(len - n16));
	return raw;
}

/*
 * Both planes of the CRC of a run of composed pixels being folded: 64
 * pixels (192 bytes per plane) a step into three registers per plane (six
 * chains hide the multiplications' latency). Registers only, so that they
 * stay in registers; the last pixels' bytes go to a struct crc_tail.
 */
struct crc_fold2 {
	__m512i zh[3], zr[3];
	__m512i bh[4], br[4]; /* the step's blocks */
};

struct crc_tail {
	unsigned int t;
	_Alignas(64) uint8_t th[256], tr[256];
};

/* Adds block @j (pixels @a, @b) of the 64-pixel step at pixel @x. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
crc_fold2_block(struct crc_fold2 *f, const struct vkms_crc *c, unsigned int x,
		int j, __m512i a, __m512i b)
{
	const __m512i k1536 = VKMS_K1536_512;
	__m512i h[3], r[3];

	stack_crc_planes(a, b, &f->bh[j], &f->br[j]);
	if (j < 3)
		return;
	stack_pack3(f->bh, h);
	stack_pack3(f->br, r);
	VKMS_UNROLL
	for (int k = 0; k < 3; k++) {
		f->zh[k] = x ? VKMS_FOLD512(f->zh[k], k1536, h[k]) : h[k];
		f->zr[k] = x ? VKMS_FOLD512(f->zr[k], k1536, r[k]) : r[k];
	}
	if (!x) {
		/* The registers so far enter with the first bytes. */
		f->zh[0] = _mm512_xor_si512(
			f->zh[0],
			_mm512_zextsi128_si512(_mm_cvtsi32_si128((int)~c->h)));
		f->zr[0] = _mm512_xor_si512(
			f->zr[0],
			_mm512_zextsi128_si512(_mm_cvtsi32_si128((int)c->q)));
	}
}

/* Adds @m <= 16 pixels after the last whole step. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
crc_fold2_tail(struct crc_tail *t, __m512i a, __m512i b, unsigned int m)
{
	__m512i h, r;

	stack_crc_planes(a, b, &h, &r);
	_mm512_storeu_si512((void *)(t->th + t->t), h);
	_mm512_storeu_si512((void *)(t->tr + t->t), r);
	t->t += 3 * m;
}

/* Ends a run of @n pixels into @c. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
crc_fold2_end(const struct crc_fold2 *f, const struct crc_tail *t,
	      struct vkms_crc *c, unsigned int n)
{
	c->h = ~crc_fold_finish(f->zh[0], f->zh[1], f->zh[2], n >= 64, ~c->h,
				t->th, t->t);
	c->q = crc_fold_finish(f->zr[0], f->zr[1], f->zr[2], n >= 64, c->q,
			       t->tr, t->t);
	c->r_len += 3 * (uint64_t)n;
}

/* @out8 is BGR888 if @bgr, XRGB8888 otherwise. */
__attribute__((target(VKMS_VBMI))) static VKMS_ALWAYS_INLINE void
stack_line_avx512(const struct vkms_row8 *bottom, const uint8_t *src,
		  unsigned int n, const struct vkms_stack_plane *planes,
		  unsigned int num_planes, struct vkms_pixel *out16,
		  uint8_t *out8, bool bgr, struct vkms_crc *crc)
{
	struct crc_fold2 f;
	struct crc_tail t;
	unsigned int x = 0;
	__m512i a, b, w3[3];
	/* BGR888 blocks of a step; set before read, but GCC cannot tell. */
	__m512i w[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(),
			_mm512_setzero_si512(), _mm512_setzero_si512()};

	t.t = 0;
	/* Not read for lines shorter than a step, but passed on. */
	VKMS_UNROLL
	for (int k = 0; k < 3; k++)
		f.zh[k] = f.zr[k] = _mm512_setzero_si512();
	for (; x + 64 <= n; x += 64) {
		/* The hardware prefetcher alone falls behind on several
		 * streams: every plane's next lines are asked for. */
		stack_prefetch(src, planes, num_planes, x);
		VKMS_UNROLL
		for (int j = 0; j < 4; j++) {
			unsigned int bx = x + 16 * (unsigned int)j;

			stack_block(bottom, src, planes, num_planes, bx, 16, &a,
				    &b);
			if (out16) {
				_mm512_storeu_si512((void *)(out16 + bx), a);
				_mm512_storeu_si512((void *)(out16 + bx + 8),
						    b);
			}
			if (out8 && bgr)
				w[j] = stack_bgr(a, b);
			else if (out8)
				_mm512_storeu_si512((void *)(out8 + 4 * bx),
						    stack_xrgb(a, b));
			if (crc)
				crc_fold2_block(&f, crc, x, j, a, b);
		}
		if (out8 && bgr) {
			stack_pack3(w, w3);
			VKMS_UNROLL
			for (int j = 0; j < 3; j++)
				_mm512_storeu_si512(
					(void *)(out8 + 3 * x + 64 * j), w3[j]);
		}
	}
	/* The last pixels, 16 at a time. */
	for (; x < n; x += 16) {
		unsigned int m = n - x > 16 ? 16 : n - x;

		stack_block(bottom, src, planes, num_planes, x, m, &a, &b);
		if (out16)
			line_8888_store_tail(out16 + x, m, a, b);
		if (out8 && bgr)
			stack_store_bgr_tail(out8 + 3 * x, m, stack_bgr(a, b));
		else if (out8)
			_mm512_mask_storeu_epi32(out8 + 4 * x,
						 (__mmask16)((1u << m) - 1),
						 stack_xrgb(a, b));
		if (crc)
			crc_fold2_tail(&t, a, b, m);
	}
	if (crc)
		crc_fold2_end(&f, &t, crc, n);
}

/* vkms_crc_pixels() with the stack kernel's folds. */
__attribute__((target(VKMS_VBMI))) static void
crc_pixels_avx512(struct vkms_crc *c, const struct vkms_pixel *p,
		  unsigned int n)
{
	struct crc_fold2 f;
	struct crc_tail t;
	unsigned int x = 0;

	t.t = 0;
	/* Not read for lines shorter than a step, but passed on. */
	VKMS_UNROLL
	for (int k = 0; k < 3; k++)
		f.zh[k] = f.zr[k] = _mm512_setzero_si512();
	for (; x + 64 <= n; x += 64) {
		VKMS_UNROLL
		for (int j = 0; j < 4; j++) {
			const struct vkms_pixel *q = p + x + 16 * j;

			crc_fold2_block(
				&f, c, x, j,
				_mm512_loadu_si512((const void *)q),
				_mm512_loadu_si512((const void *)(q + 8)));
		}
	}
	for (; x < n; x += 16) {
		unsigned int m = n - x > 16 ? 16 : n - x;
		__m512i a, b;

		line_8888_load_tail(p + x, m, &a, &b);
		crc_fold2_tail(&t, a, b, m);
	}
	crc_fold2_end(&f, &t, c, n);
}

/*
 * One copy of the loop per combination the composer uses. The stores are
 * never non-temporal: measured, they make these lines slower (1.3 ms
 * against 2.2 ms for a 1080p overlay over a primary), unlike the
 * lone-plane lines, whose loop is nothing but loads and stores.
 */
__attribute__((target(VKMS_VBMI))) static void
stack_line(const struct vkms_row8 *bottom, const uint8_t *src, unsigned int n,
	   const struct vkms_stack_plane *planes, unsigned int num_planes,
	   struct vkms_pixel *out16, uint8_t *out8, bool bgr,
	   struct vkms_crc *crc)
{
	if (crc && !out16 && !out8)
		stack_line_avx512(bottom, src, n, planes, num_planes, NULL,
				  NULL, false, crc);
	else if (!crc && !out16 && out8 && bgr)
		stack_line_avx512(bottom, src, n, planes, num_planes, NULL,
				  out8, true, NULL);
	else if (!crc && !out16 && out8)
		stack_line_avx512(bottom, src, n, planes, num_planes, NULL,
				  out8, false, NULL);
	else if (!crc && out16 && !out8)
		stack_line_avx512(bottom, src, n, planes, num_planes, out16,
				  NULL, false, NULL);
	else
		stack_line_avx512(bottom, src, n, planes, num_planes, out16,
				  out8, bgr, crc);
}
#undef VKMS_FOLD512
#undef VKMS_FOLD256
#undef VKMS_FOLD

/*
 * Zeroes the registers only AVX-512 has (zmm16-31) and the upper halves of
 * the others. VZEROUPPER alone leaves zmm16-31 as the kernels left them,
 * and legacy-SSE code that runs next is then slowed down: pixman's SSE2
 * OVER measured 4.1 ms instead of 1.3 ms right after a composed frame.
 */
__attribute__((target(VKMS_AVX512))) static void simd_end_avx512(void)
{
	__asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n"
			 "vpxord %%zmm17, %%zmm17, %%zmm17\n"
			 "vpxord %%zmm18, %%zmm18, %%zmm18\n"
			 "vpxord %%zmm19, %%zmm19, %%zmm19\n"
			 "vpxord %%zmm20, %%zmm20, %%zmm20\n"
			 "vpxord %%zmm21, %%zmm21, %%zmm21\n"
			 "vpxord %%zmm22, %%zmm22, %%zmm22\n"
			 "vpxord %%zmm23, %%zmm23, %%zmm23\n"
			 "vpxord %%zmm24, %%zmm24, %%zmm24\n"
			 "vpxord %%zmm25, %%zmm25, %%zmm25\n"
			 "vpxord %%zmm26, %%zmm26, %%zmm26\n"
			 "vpxord %%zmm27, %%zmm27, %%zmm27\n"
			 "vpxord %%zmm28, %%zmm28, %%zmm28\n"
			 "vpxord %%zmm29, %%zmm29, %%zmm29\n"
			 "vpxord %%zmm30, %%zmm30, %%zmm30\n"
			 "vpxord %%zmm31, %%zmm31, %%zmm31\n"
			 :
			 :
			 : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
			   "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
			   "xmm28", "xmm29", "xmm30", "xmm31");
	_mm256_zeroupper();
}
#endif

void vkms_simd_end(void)
{
#ifdef VKMS_HAVE_CLMUL
	if (vkms_cpu_features() & VKMS_CPU_AVX512)
		simd_end_avx512();
#endif
}

uint32_t vkms_line_8888(const struct vkms_row8 *s, const uint8_t *src,
			unsigned int n, struct vkms_pixel *out16, uint8_t *out8,
			uint32_t out8_format, bool stream, bool want_crc,
			uint32_t h)
{
#ifdef VKMS_HAVE_CLMUL
	return line_8888_avx512(s, src, n, out16, out8,
				out8_format == DRM_FORMAT_BGR888, stream,
				want_crc, h);
#else
	return h;
#endif
}

void vkms_stack_line(const struct vkms_row8 *bottom, const uint8_t *src,
		     unsigned int n, const struct vkms_stack_plane *planes,
		     unsigned int num_planes, struct vkms_pixel *out16,
		     uint8_t *out8, uint32_t out8_format, struct vkms_crc *crc)
{
#ifdef VKMS_HAVE_CLMUL
	stack_line(bottom, src, n, planes, num_planes, out16, out8,
		   out8_format == DRM_FORMAT_BGR888, crc);
#endif
}

void vkms_stream_end(void)
{
#ifdef VKMS_HAVE_CLMUL
	_mm_sfence();
#endif
}

uint32_t vkms_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

#ifdef VKMS_HAVE_CLMUL
	int cpu = len >= 64 ? vkms_cpu_features() : 0;

	if (cpu & (VKMS_CPU_CLMUL | VKMS_CPU_VPCLMUL)) {
		size_t n = len & ~(size_t)15;

		/* zlib's value is the raw register, inverted on entry and
		 * exit. */
		if (n >= 256 && (cpu & VKMS_CPU_AVX512))
			crc = ~crc32_fold_avx512(~crc, p, n);
		else if (n >= 256 && (cpu & VKMS_CPU_VPCLMUL))
			crc = ~crc32_fold_vpclmul(~crc, p, n);
		else
			crc = ~crc32_fold_clmul(~crc, p, n);
		p += n;
		len -= n;
	}
#endif
	while (len) {
		uInt chunk = len > (1u << 30) ? 1u << 30 : (uInt)len;

		crc = (uint32_t)crc32(crc, p, chunk);
		p += chunk;
		len -= chunk;
	}
	return crc;
}

/* XRGB8888, or BGR888 if @bgr. */
static void write_8(uint8_t *dst, const struct vkms_pixel *in, unsigned int n,
		    bool bgr)
{
#ifdef VKMS_HAVE_CLMUL
	if (vkms_cpu_features() & VKMS_CPU_VBMI) {
		write_8_vbmi(dst, in, n, bgr);
		return;
	}
#endif
	if (bgr)
		write_BGR888(dst, in, n);
	else
		write_XRGB8888(dst, in, n);
}

void vkms_write_xrgb8888(uint8_t *dst, const struct vkms_pixel *in,
			 unsigned int n)
{
	write_8(dst, in, n, false);
}

void vkms_write_bgr888(uint8_t *dst, const struct vkms_pixel *in,
		       unsigned int n)
{
	write_8(dst, in, n, true);
}

/* ------------------------------------------------------------------ */
/* The CRC of a composed picture                                       */

void vkms_crc_init(struct vkms_crc *c)
{
	memset(c, 0, sizeof(*c));
}

/* The register @q times x^(8 * @len) mod P: @q followed by @len zero
 * bytes. zlib's crc32_combine_op() is that product XOR its second
 * argument. */
static uint32_t crc_shift(struct vkms_crc *c, uint32_t q, uint64_t len)
{
	if (!q || !len)
		return q;
	if (len != c->run_len || !c->run_op) {
		c->run_len = len;
		c->run_op = (uint32_t)crc32_combine_gen64((z_off64_t)len);
	}
	return (uint32_t)crc32_combine_op(q, 0, c->run_op);
}

void vkms_crc_pixels(struct vkms_crc *c, const struct vkms_pixel *p,
		     unsigned int n)
{
	uint8_t hi[3 * 512], lo[3 * 512];

#ifdef VKMS_HAVE_CLMUL
	if (vkms_cpu_features() & VKMS_CPU_VBMI) {
		crc_pixels_avx512(c, p, n);
		return;
	}
#endif
	while (n) {
		unsigned int m = n > 512 ? 512 : n;

		for (unsigned int i = 0; i < m; i++) {
			const uint16_t v[3] = {p[i].r, p[i].g, p[i].b};

			for (int j = 0; j < 3; j++) {
				hi[3 * i + j] = (uint8_t)(v[j] >> 8);
				lo[3 * i + j] = (uint8_t)(v[j] ^ v[j] >> 8);
			}
		}
		c->h = vkms_crc32(c->h, hi, 3 * m);
		/* crc32() takes and gives the inverted register. */
		c->q = ~vkms_crc32(~c->q, lo, 3 * m);
		c->r_len += 3 * m;
		p += m;
		n -= m;
	}
}

void vkms_crc_exact(struct vkms_crc *c, unsigned int n)
{
	c->q = crc_shift(c, c->q, 3 * (uint64_t)n);
	c->r_len += 3 * (uint64_t)n;
}

uint32_t vkms_crc_final(const struct vkms_crc *c)
{
	/* The register after both planes: that after the first, shifted
	 * over the second, XOR the second's own from 0. */
	uint32_t h = ~c->h;

	if (c->r_len)
		h = (uint32_t)crc32_combine_op(
			h, 0, crc32_combine_gen64((z_off64_t)c->r_len));
	return ~(h ^ c->q);
}
