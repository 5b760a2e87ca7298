// SPDX-License-Identifier: MIT
/*
 * The PNG writer of "udrm run --capture": a known BGR888 frame written
 * and read back with libpng gives the same pixels, the stride honoured and
 * the frame left as it was; bad frames (other formats, XRGB8888 and RGB888
 * included, short strides) and paths fail cleanly without leaving files
 * behind.
 */
#include <errno.h>
#include <limits.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <drm_fourcc.h>

#include "frame_png.h"
#include "vtree.h"

struct fixture {
	char dir[256];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/udrm-png-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/frame.png", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vtree_remove(f->dir);
	free(f);
	return 0;
}

/* Pixel (x, y) of the test pattern, 0xRRGGBB: distinct per position
 * and channel. */
static uint32_t pattern(uint32_t x, uint32_t y)
{
	uint32_t r = (x * 40 + y) & 0xff, g = (y * 50) & 0xff,
		 b = ((x + y) * 13 + x * y) & 0xff;

	return r << 16 | g << 8 | b;
}

/* Stores 0xRRGGBB @v at @p as DRM_FORMAT_BGR888 does: [23:0] B:G:R
 * little-endian, so bytes R, G, B. */
static void put_bgr888(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 16);
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)v;
}

/* Reads @path as 8-bit RGB; the caller frees the result. */
static unsigned char *read_png(const char *path, uint32_t *w, uint32_t *h)
{
	png_image image;
	unsigned char *buf;

	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&image, path))
		fail_msg("%s: libpng cannot read it: %s", path, image.message);
	image.format = PNG_FORMAT_RGB;
	buf = malloc(PNG_IMAGE_SIZE(image));
	if (!png_image_finish_read(&image, NULL, buf, 0, NULL))
		fail_msg("%s: %s", path, image.message);
	*w = image.width;
	*h = image.height;
	return buf;
}

/* Writes a @width x @height pattern frame with lines @stride bytes apart
 * to @path and checks what libpng reads back and that the frame is left
 * as it was (the writer hands the frame's own lines to libpng). */
static void check_written_pixels(const char *path, uint32_t width,
				 uint32_t height, size_t stride)
{
	unsigned char *pixels = malloc(height * stride);
	unsigned char *before = malloc(height * stride);
	struct udrm_frame frame = {
		.crtc = 0,
		.sequence = 42,
		.width = width,
		.height = height,
		.stride = stride,
		.format = DRM_FORMAT_BGR888,
		.pixels = pixels,
	};
	unsigned char *rgb;
	uint32_t x, y, w, h;

	memset(pixels, 0xa5, height * stride);
	for (y = 0; y < height; y++)
		for (x = 0; x < width; x++)
			put_bgr888(pixels + y * stride + x * 3, pattern(x, y));
	memcpy(before, pixels, height * stride);
	assert_int_equal(frame_png_write(path, &frame), 0);
	if (memcmp(pixels, before, height * stride))
		fail_msg("stride %zu: writing the PNG changed the frame",
			 stride);
	rgb = read_png(path, &w, &h);
	assert_int_equal(w, width);
	assert_int_equal(h, height);
	for (y = 0; y < height; y++) {
		for (x = 0; x < width; x++) {
			const unsigned char *px = rgb + (y * width + x) * 3;
			uint32_t got = (uint32_t)px[0] << 16 |
				       (uint32_t)px[1] << 8 | px[2];
			uint32_t want = pattern(x, y);

			if (got != want)
				fail_msg("stride %zu: pixel (%u,%u) is %06x, "
					 "expected %06x",
					 stride, x, y, got, want);
		}
	}
	free(rgb);
	free(before);
	free(pixels);
}

static void test_written_pixels_read_back(void **state)
{
	struct fixture *f = *state;
	const uint32_t width = 37, height = 11;

	/* Lines without padding, as vkms captures them. */
	check_written_pixels(f->path, width, height, (size_t)width * 3);
	/* A stride with padding past each line, not a whole number of
	 * pixels; the padding is junk that must not show. */
	check_written_pixels(f->path, width, height, (size_t)width * 3 + 7);
}

static void test_bad_frames_and_paths_fail(void **state)
{
	struct fixture *f = *state;
	/* Room for 2x2 pixels of 8 bytes, so that a writer that read the
	 * old 16-bit frames would not overrun it either. */
	unsigned char px[2 * 2 * 8] = {0};
	struct udrm_frame frame = {.width = 2,
				   .height = 2,
				   .stride = 6,
				   .format = DRM_FORMAT_BGR888,
				   .pixels = px};
	char path[PATH_MAX];

	frame.width = 0;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.width = 2;
	frame.stride = 5; /* shorter than a line of 2 * 3 bytes */
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.stride = 6;
	/* Only BGR888 is written; anything else is refused, not guessed
	 * at (0 was the old 16-bit frames' missing format, XRGB8888 the
	 * old 8-bit frames', RGB888 the same size in the other order). */
	frame.format = 0;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.format = DRM_FORMAT_RGB888;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.format = DRM_FORMAT_ARGB16161616;
	frame.stride = 16;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.format = DRM_FORMAT_XRGB8888;
	frame.stride = 8;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.format = DRM_FORMAT_XBGR8888;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.format = DRM_FORMAT_BGR888;
	frame.stride = 6;
	frame.pixels = NULL;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.pixels = px;
	assert_int_equal(access(f->path, F_OK), -1);

	snprintf(path, sizeof(path), "%s/missing/frame.png", f->dir);
	assert_int_equal(frame_png_write(path, &frame), -ENOENT);
	/* A directory in the way: the rename fails, no temporary is left. */
	snprintf(path, sizeof(path), "%s/dir.png", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(frame_png_write(path, &frame), -EISDIR);
	snprintf(path, sizeof(path), "%s/dir.png.tmp.%d", f->dir,
		 (int)getpid());
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written_pixels_read_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames_and_paths_fail,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
