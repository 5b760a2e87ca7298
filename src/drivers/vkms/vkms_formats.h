/* SPDX-License-Identifier: MIT */
/*
 * Private to the vkms composer: per-format line readers (fb -> 16 bpc
 * ARGB), writeback line writers (16 bpc ARGB -> fb), the YCbCr matrices and
 * the CRC, as the kernel's vkms_formats.c. One function call per line,
 * never per pixel.
 */
#ifndef UDRM_VKMS_FORMATS_H
#define UDRM_VKMS_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkms_composer.h"

struct vkms_plane_reader;

/*
 * On the functions holding a line loop: an AVX2 copy chosen at load time
 * on CPUs that have it (the baseline x86-64 lacks 32-bit multiplies and
 * unsigned minimums in vectors), plain C for everyone else. Not under
 * ThreadSanitizer: the ifunc resolvers of target_clones run before its
 * runtime starts and crash every program linking the core.
 */
#if defined(__SANITIZE_THREAD__)
#define VKMS_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VKMS_NO_CLONES 1
#endif
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&        \
	!defined(VKMS_NO_CLONES)
#define VKMS_LINE_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define VKMS_LINE_LOOP
#endif

/*
 * Reads @count pixels starting at fb pixel (@x, @y) and stepping by
 * (@dx, @dy) (one of (1,0), (-1,0), (0,1), (0,-1)) into @out. The caller
 * has checked that every pixel read lies inside the fb.
 */
typedef void (*vkms_read_line_fn)(const struct vkms_plane_reader *r, int x,
				  int y, int dx, int dy, unsigned int count,
				  struct vkms_pixel *out);

struct vkms_format_desc {
	uint32_t fourcc;
	uint8_t num_planes;
	/* Bits per pixel of each colour plane (R1: 1, NV12 chroma: 16). */
	uint8_t bpp[3];
	uint8_t hsub, vsub; /* chroma subsampling: 1 or 2 */
	bool has_alpha, is_yuv;
	bool swap_uv; /* first chroma sample is Cr (NV21, YVU420 ...) */
	/* 8 bits per channel in 4 bytes (ARGB8888, XBGR8888 ...): the byte
	 * index of a, r, g, b in a pixel, a -1 when there is no alpha. */
	bool is_8888;
	int8_t idx8[4];
	vkms_read_line_fn read_line;
};

/* YCbCr -> RGB in 32.32 fixed point for 16-bit samples, the kernel's
 * struct conversion_matrix with columns (Y, first chroma, second chroma). */
struct vkms_yuv_matrix {
	int64_t m[3][3];
	int32_t y_offset; /* 16 * 257 for limited range, 0 for full */
};

/* What a line reader needs about one plane of one frame. */
struct vkms_plane_reader {
	const struct vkms_format_desc *desc;
	const uint8_t *map[3];
	uint32_t pitch[3];
	struct vkms_yuv_matrix yuv;
};

/* The description of @fourcc, NULL if vkms planes do not support it. */
const struct vkms_format_desc *vkms_format_desc(uint32_t fourcc);

/* The matrix for @encoding/@range (UDRM_COLOR_*), columns swapped for
 * Cr-first formats. -EINVAL for unknown values. */
int vkms_yuv_matrix_init(struct vkms_yuv_matrix *m, uint32_t encoding,
			 uint32_t range, bool swap_uv);

/* Converts @count composed pixels into writeback format pixels at @dst. */
typedef void (*vkms_write_line_fn)(uint8_t *dst, const struct vkms_pixel *in,
				   unsigned int count);

/* The writer for writeback format @fourcc and its bytes per pixel, or NULL
 * for a format vkms writeback does not support. */
vkms_write_line_fn vkms_writeback_writer(uint32_t fourcc, unsigned int *cpp);

/*
 * Line kernels for the 8-bit formats (is_8888) read left to right from
 * @src, @n pixels, with SIMD on CPUs that have it; results identical to
 * the read_line() of the format followed by the composer's blend:
 * - vkms_read_8888() converts into @out;
 * - vkms_premulti_8888() blends pre-multiplied pixels over @bg with plane
 *   alpha 0xffff: bg = sat(fg + bg * (0xffff - fg.a) / 0xffff), a 0xffff.
 * Both are for @s->simd only (otherwise the caller uses the general path).
 */
struct vkms_row8 {
	/* byte shuffles: pixels, alpha broadcast; the opaque alpha mask */
	_Alignas(32) uint8_t px[32];
	_Alignas(32) uint8_t alpha[32];
	_Alignas(32) uint8_t set_a[32];
	/* byte shuffle of 4 pixels to XRGB8888 (b, g, r, x), x left 0 */
	_Alignas(16) uint8_t xrgb[16];
	/* AVX-512 VBMI permutes to the CRC's high bytes (struct vkms_crc) of
	 * 16 pixels (first 48 bytes) and of 64 (four registers to three) */
	_Alignas(64) uint8_t hi16[64];
	_Alignas(64) uint8_t hi3[3][64];
	/* AVX-512 VBMI permutes of 16 pixels (one 512-bit load) to 16-bit
	 * pixels 0-7 and 8-15: the pixels (alpha 0xffff without alpha), the
	 * same with alpha 0xffff, the alpha broadcast */
	_Alignas(64) uint8_t vpx[2][64];
	_Alignas(64) uint8_t vpx_opaque[2][64];
	_Alignas(64) uint8_t valpha[2][64];
	bool simd;
	bool line512; /* vkms_line_8888() and vkms_stack_line() can be used
		       * (AVX-512 with VBMI) */
};

void vkms_row8_init(struct vkms_row8 *s, const struct vkms_format_desc *d);
void vkms_read_8888(const struct vkms_row8 *s, const uint8_t *src,
		    unsigned int n, struct vkms_pixel *out);
void vkms_premulti_8888(const struct vkms_row8 *s, const uint8_t *src,
			unsigned int n, struct vkms_pixel *bg);

/*
 * A whole composed line that is one 8-bit plane's pixels alone (opaque,
 * nothing blended: alpha 0xffff), for @s->line512 only: converts @n
 * pixels from @src and stores them at @out16 (struct vkms_pixel) and/or
 * @out8 (in @out8_format, see below) unless NULL (non-temporal stores
 * when @stream: the frame is larger than the caches; then at most one of
 * them). With @want_crc, returns zlib's crc32(@h, r, g, b high bytes of
 * the line) (the first plane of the picture's CRC, see struct vkms_crc;
 * the second is all zeros for such a line), folded from the registers the
 * pixels are converted in; @h otherwise.
 *
 * @out8_format, the 8-bit outputs of the line kernels, each channel
 * rounded to 8 bits as the writeback writers do: DRM_FORMAT_XRGB8888
 * (X = 0xff), as the writeback of that format, or DRM_FORMAT_BGR888 (bytes
 * r, g, b), as the captured frame.
 */
uint32_t vkms_line_8888(const struct vkms_row8 *s, const uint8_t *src,
			unsigned int n, struct vkms_pixel *out16, uint8_t *out8,
			uint32_t out8_format, bool stream, bool want_crc,
			uint32_t h);

/* A plane over the bottom one of a stack line (vkms_stack_line()). */
struct vkms_stack_plane {
	const struct vkms_row8 *s;
	const uint8_t *src;  /* the pixel shown at CRTC x = @x1 */
	unsigned int x1, x2; /* on the line, @x2 excluded */
};

/* Converts @n composed pixels to XRGB8888 at @dst, as the writeback
 * writer of that format (with SIMD when the CPU has it). */
void vkms_write_xrgb8888(uint8_t *dst, const struct vkms_pixel *in,
			 unsigned int n);
/* The same in BGR888 (bytes r, g, b: 3 a pixel), rounded alike. */
void vkms_write_bgr888(uint8_t *dst, const struct vkms_pixel *in,
		       unsigned int n);

/*
 * The CRC of a composed picture (struct vkms_frame_output): zlib's crc32()
 * of the plane of r, g, b high bytes followed by the plane of their
 * low-XOR-high bytes (3 bytes a pixel each), kept as two running values so
 * that each line is read once.
 */
struct vkms_crc {
	uint32_t h;	/* crc32() of the high bytes so far */
	uint32_t q;	/* CRC register (from 0, not inverted) of the
			 * low-XOR-high bytes so far */
	uint64_t r_len; /* bytes of the second plane so far */
	uint64_t run_len;
	uint32_t run_op; /* crc32_combine_gen64(run_len), 0: none yet */
};

void vkms_crc_init(struct vkms_crc *c);
/* Adds @n composed pixels to both planes. */
void vkms_crc_pixels(struct vkms_crc *c, const struct vkms_pixel *p,
		     unsigned int n);
/* Adds @n pixels whose channels are all 8-bit values (v * 257) to the
 * second plane (zeros), their high bytes being already in @c->h. */
void vkms_crc_exact(struct vkms_crc *c, unsigned int n);
uint32_t vkms_crc_final(const struct vkms_crc *c);

/* Whether SIMD paths are taken when the CPU has them (the default); for
 * tests comparing them with the portable code. Returns the old value. */
bool vkms_formats_set_simd(bool enable);

/* The same by level, for tests of each path: the CPU's features up to
 * @level (VKMS_SIMD_*) are used. Returns the old level. */
enum {
	VKMS_SIMD_NONE,	  /* portable C and zlib */
	VKMS_SIMD_CLMUL,  /* + 128-bit carry-less CRC */
	VKMS_SIMD_AVX2,	  /* + AVX2 kernels, 256-bit VPCLMULQDQ CRC */
	VKMS_SIMD_AVX512, /* + AVX-512 line kernel, 512-bit CRC */
	VKMS_SIMD_MAX = VKMS_SIMD_AVX512,
};
unsigned int vkms_formats_set_simd_level(unsigned int level);

/*
 * A whole composed line of @n pixels that is an opaque 8-bit plane (@src,
 * @bottom) under 8-bit pre-multiplied planes with plane alpha 0xffff
 * (@planes, bottom to top; for @bottom->line512 only), composed 16 pixels
 * at a time in registers: stored at @out16 and/or @out8 (in @out8_format,
 * as vkms_line_8888()), and added to both planes of @crc unless it is
 * NULL. The same result as reading and blending plane by plane.
 */
void vkms_stack_line(const struct vkms_row8 *bottom, const uint8_t *src,
		     unsigned int n, const struct vkms_stack_plane *planes,
		     unsigned int num_planes, struct vkms_pixel *out16,
		     uint8_t *out8, uint32_t out8_format, struct vkms_crc *crc);

/* Ends a stretch of SIMD kernels: leaves the vector registers as code
 * compiled for SSE expects them (the composer calls it after each frame). */
void vkms_simd_end(void);

/* Orders the non-temporal stores of vkms_line_8888() with @stream (weakly
 * ordered) before the stores that follow: once, at the end of the frame
 * (it waits for them to reach memory). */
void vkms_stream_end(void);

/* zlib's crc32() of @len bytes, with a carry-less multiplication path on
 * CPUs that have one (same result). */
uint32_t vkms_crc32(uint32_t crc, const void *buf, size_t len);

#endif
