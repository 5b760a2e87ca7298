// SPDX-License-Identifier: MIT
/*
 * bench-compose: milliseconds per frame of the vkms composer
 * (vkms_compose(), one core) at 1920x1080 and 3840x2160 with 1 to 4
 * planes, in the two uses the driver composes for:
 *   "CRC off, frame out": the composed frame is written to a BGR888
 *   buffer, as for display capture (the driver composes nothing when no
 *   CRC, capture or writeback is wanted, and neither does vkms_compose());
 *   "CRC on": the CRC alone, as for the debugfs CRC source, no frame.
 * The planes:
 *   1: an XRGB8888 primary plane covering the CRTC;
 *   2: + a full-screen ARGB8888 overlay (pre-multiplied);
 *   3: + a 64x64 ARGB8888 cursor;
 *   4: + a second ARGB8888 overlay of a quarter of the screen.
 * Overlay alphas take every value (no fully transparent or opaque runs
 * that pixman could skip).
 *
 * Baselines, measured in the same run on the same plane memory:
 *  - pixman compositing the same planes into an a8r8g8b8 image
 *    (PIXMAN_OP_SRC for the primary, OVER for the others);
 *  - memcpy() of the planes' bytes.
 *
 * Pure library: needs no device and no "udrm run" (harmless under it).
 *
 * Usage: bench-compose [REPETITIONS [FILTER]]
 * FILTER: measure only the cases whose name contains it (e.g. "1 plane,").
 */
#include <errno.h>
#include <pixman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "drivers/vkms/vkms_composer.h"

#define COMPOSE_MAX_PLANES 4
#define CURSOR_SIZE	   64

struct compose_plane {
	uint8_t *pixels;
	uint32_t width, height, pitch;
	int32_t x, y; /* on the CRTC */
	bool alpha;
	pixman_image_t *image;
};

struct compose_bench {
	uint32_t width, height;
	unsigned int num_planes;
	struct compose_plane planes[COMPOSE_MAX_PLANES];
	/* vkms */
	struct vkms_composer composer;
	struct vkms_plane_input inputs[COMPOSE_MAX_PLANES];
	struct vkms_frame_input in;
	struct vkms_frame_output out;
	/* baselines */
	pixman_image_t *dest;
	uint32_t *dest_pixels;
	uint8_t *copy;
	uint8_t *frame; /* the captured frame (BGR888), CRC off */
};

static const struct udrm_format_info compose_xrgb = {
	.format = DRM_FORMAT_XRGB8888,
};
static const struct udrm_format_info compose_argb = {
	.format = DRM_FORMAT_ARGB8888,
};

/*
 * Every buffer (planes, pixman's destination, the frame, memcpy's copy)
 * starts @slot * 576 bytes into a page: streams whose offsets in their
 * pages are within 64 bytes of each other alias in the CPU's 4 KiB
 * store-to-load check and slow down whichever contender the heap happens
 * to place so (measured: pixman over two 1080p planes at 4.1 ms instead of
 * 1.3 ms with all buffers page-aligned; vkms's lone-plane copy 0.47 ms
 * instead of 0.33 ms with a frame 48 bytes after the plane's offset).
 * Freed with compose_free().
 */
static void *compose_alloc(size_t size, unsigned int slot)
{
	size_t off = (size_t)slot * 576 % 4096;
	uint8_t *base =
		aligned_alloc(4096, (4096 + off + size + 4095) & ~(size_t)4095);

	if (!base)
		return NULL;
	/* The allocation's start, kept just before the buffer. */
	memcpy(base + 4096 + off - sizeof(base), &base, sizeof(base));
	return base + 4096 + off;
}

static void compose_free(void *buf)
{
	uint8_t *base;

	if (!buf)
		return;
	memcpy(&base, (uint8_t *)buf - sizeof(base), sizeof(base));
	free(base);
}

/* A pattern with every alpha value, pre-multiplied (colour <= alpha). */
static void plane_fill(struct compose_plane *p, uint32_t seed)
{
	for (uint32_t y = 0; y < p->height; y++) {
		uint32_t *row = (uint32_t *)(p->pixels + (size_t)y * p->pitch);

		for (uint32_t x = 0; x < p->width; x++) {
			uint32_t a =
				p->alpha ? (x + 3 * y + seed) & 0xff : 0xff;
			uint32_t r = (x * 7 + seed) % (a + 1);
			uint32_t g = (y * 5 + seed) % (a + 1);
			uint32_t b = (x ^ y) % (a + 1);

			row[x] = a << 24 | r << 16 | g << 8 | b;
		}
	}
}

static int plane_init(struct compose_plane *p, uint32_t w, uint32_t h,
		      int32_t x, int32_t y, bool alpha, uint32_t seed,
		      unsigned int slot)
{
	*p = (struct compose_plane){.width = w,
				    .height = h,
				    .pitch = w * 4,
				    .x = x,
				    .y = y,
				    .alpha = alpha};
	p->pixels = compose_alloc((size_t)p->pitch * h, slot);
	if (!p->pixels)
		return -ENOMEM;
	plane_fill(p, seed);
	p->image = pixman_image_create_bits(
		alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)w, (int)h,
		(uint32_t *)p->pixels, (int)p->pitch);
	return p->image ? 0 : -ENOMEM;
}

static void compose_fini(struct compose_bench *b)
{
	for (unsigned int i = 0; i < b->num_planes; i++) {
		if (b->planes[i].image)
			pixman_image_unref(b->planes[i].image);
		compose_free(b->planes[i].pixels);
	}
	if (b->dest)
		pixman_image_unref(b->dest);
	compose_free(b->dest_pixels);
	compose_free(b->copy);
	compose_free(b->frame);
	vkms_composer_fini(&b->composer);
}

static int compose_init(struct compose_bench *b, uint32_t w, uint32_t h,
			unsigned int n, bool crc)
{
	size_t bytes = 0;
	int ret = 0;

	memset(b, 0, sizeof(*b));
	b->width = w;
	b->height = h;
	vkms_composer_init(&b->composer);
	/* Bottom to top; the cursor stays on top. */
	for (unsigned int i = 0; i < n && !ret; i++) {
		struct compose_plane *p = &b->planes[i];

		b->num_planes = i + 1;
		if (i == 0)
			ret = plane_init(p, w, h, 0, 0, false, 0, i);
		else if (i == 1)
			ret = plane_init(p, w, h, 0, 0, true, 11, i);
		else if (i == n - 1)
			ret = plane_init(p, CURSOR_SIZE, CURSOR_SIZE,
					 (int32_t)w / 3, (int32_t)h / 3, true,
					 23, i);
		else
			ret = plane_init(p, w / 2, h / 2, (int32_t)w / 4,
					 (int32_t)h / 4, true, 37, i);
	}
	if (ret)
		goto fail;

	for (unsigned int i = 0; i < n; i++) {
		const struct compose_plane *p = &b->planes[i];

		b->inputs[i] = (struct vkms_plane_input){
			.format = p->alpha ? &compose_argb : &compose_xrgb,
			.map = {p->pixels},
			.pitch = {p->pitch},
			.fb_width = p->width,
			.fb_height = p->height,
			.src = {0, 0, (int32_t)p->width << 16,
				(int32_t)p->height << 16},
			.dst = {p->x, p->y, p->x + (int32_t)p->width,
				p->y + (int32_t)p->height},
			.rotation = DRM_MODE_ROTATE_0,
			.alpha = 0xffff,
			.blend_mode = DRM_MODE_BLEND_PREMULTI,
		};
		bytes += (size_t)p->pitch * p->height;
	}
	b->in = (struct vkms_frame_input){
		.width = w, .height = h, .planes = b->inputs, .num_planes = n};
	b->out = (struct vkms_frame_output){.want_crc = crc};
	if (!crc) {
		/* Written before the first frame: no page faults timed. */
		b->frame = compose_alloc((size_t)w * h * 3, COMPOSE_MAX_PLANES);
		if (!b->frame) {
			ret = -ENOMEM;
			goto fail;
		}
		memset(b->frame, 0, (size_t)w * h * 3);
		b->out.frame = b->frame;
		b->out.frame_stride = (size_t)w * 3;
		b->out.frame_format = DRM_FORMAT_BGR888;
	}

	b->dest_pixels =
		compose_alloc((size_t)w * h * 4, COMPOSE_MAX_PLANES + 1);
	b->copy = compose_alloc(bytes, COMPOSE_MAX_PLANES + 2);
	if (!b->dest_pixels || !b->copy) {
		ret = -ENOMEM;
		goto fail;
	}
	memset(b->dest_pixels, 0, (size_t)w * h * 4);
	memset(b->copy, 0, bytes);
	b->dest = pixman_image_create_bits(PIXMAN_a8r8g8b8, (int)w, (int)h,
					   b->dest_pixels, (int)w * 4);
	if (!b->dest) {
		ret = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	compose_fini(b);
	return ret;
}

static int op_vkms_compose(void *ctx)
{
	struct compose_bench *b = ctx;

	return vkms_compose(&b->composer, &b->in, &b->out) ? -1 : 0;
}

static int op_pixman(void *ctx)
{
	struct compose_bench *b = ctx;

	for (unsigned int i = 0; i < b->num_planes; i++) {
		const struct compose_plane *p = &b->planes[i];

		pixman_image_composite32(i ? PIXMAN_OP_OVER : PIXMAN_OP_SRC,
					 p->image, NULL, b->dest, 0, 0, 0, 0,
					 p->x, p->y, (int32_t)p->width,
					 (int32_t)p->height);
	}
	return 0;
}

static int op_memcpy(void *ctx)
{
	struct compose_bench *b = ctx;
	uint8_t *dst = b->copy;

	for (unsigned int i = 0; i < b->num_planes; i++) {
		const struct compose_plane *p = &b->planes[i];
		size_t size = (size_t)p->pitch * p->height;

		memcpy(dst, p->pixels, size);
		dst += size;
	}
	return 0;
}

static void compose_report(const char *name, double ns, const char *baseline,
			   double baseline_ns)
{
	printf("%-52s %8.2f ms/frame\n", name, ns / 1e6);
	printf("%-52s %8.2f ms/frame\n", baseline, baseline_ns / 1e6);
	printf("| %s | %.2f ms/frame | %s: %.2f ms/frame | %.2fx |\n", name,
	       ns / 1e6, baseline, baseline_ns / 1e6, ns / baseline_ns);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[][2] = {{1920, 1080}, {3840, 2160}};
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	const char *filter = argc > 2 ? argv[2] : NULL;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned int n = 1; n <= COMPOSE_MAX_PLANES; n++) {
			for (int crc = 0; crc <= 1; crc++) {
				struct compose_bench b;
				struct bench_case subject = {
					"vkms_compose", op_vkms_compose, &b};
				struct bench_case pixman = {"pixman", op_pixman,
							    &b};
				struct bench_case copy = {"memcpy", op_memcpy,
							  &b};
				double ns, pixman_ns, copy_ns, ns2;
				char name[96];

				snprintf(name, sizeof(name),
					 "vkms compose %ux%u, %u plane%s, CRC "
					 "%s",
					 sizes[s][0], sizes[s][1], n,
					 n > 1 ? "s" : "",
					 crc ? "on" : "off, frame out");
				if (filter && !strstr(name, filter))
					continue;
				if (compose_init(&b, sizes[s][0], sizes[s][1],
						 n, crc)) {
					fprintf(stderr, "bench-compose: out of "
							"memory\n");
					return 1;
				}
				if (bench_compare_ns(&subject, &pixman, reps,
						     &ns, &pixman_ns) ||
				    bench_compare_ns(&subject, &copy, reps,
						     &ns2, &copy_ns)) {
					compose_fini(&b);
					return 1;
				}
				compose_report(name, ns, "pixman SRC+OVER",
					       pixman_ns);
				compose_report(name, ns2,
					       "memcpy of the planes", copy_ns);
				compose_fini(&b);
			}
		}
	}
	return 0;
}
