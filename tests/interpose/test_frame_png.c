// SPDX-License-Identifier: MIT
/*
 * The PNG writer of "udrm run --capture": a known frame written and read
 * back with libpng gives the same pixels, 16-bit channels rounded to 8
 * bits, alpha dropped, the stride honoured; bad frames and paths fail
 * cleanly without leaving files behind.
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

/* Pixel (x, y) of the test pattern: distinct per position and channel. */
static void pattern(uint32_t x, uint32_t y, uint16_t argb[4])
{
	argb[0] = (uint16_t)(0x1234 + x);	  /* alpha: dropped */
	argb[1] = (uint16_t)((x * 40 + y) * 257); /* exact 8-bit values */
	argb[2] = (uint16_t)((y * 50) * 257);
	argb[3] = (uint16_t)(((x + y) * 13 % 256) * 257 + 120); /* rounds */
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

static void test_written_pixels_read_back(void **state)
{
	struct fixture *f = *state;
	const uint32_t width = 37, height = 11;
	/* A stride with padding past each line, as a composer may keep. */
	size_t stride = (width + 5) * 4 * sizeof(uint16_t);
	uint16_t *pixels = calloc(height, stride);
	struct udrm_frame frame = {
		.crtc = 0,
		.sequence = 42,
		.width = width,
		.height = height,
		.stride = stride,
		.pixels = pixels,
	};
	unsigned char *rgb;
	uint32_t x, y, w, h;
	uint16_t argb[4];

	for (y = 0; y < height; y++)
		for (x = 0; x < width; x++)
			pattern(x, y,
				(uint16_t *)((char *)pixels + y * stride) +
					x * 4);
	assert_int_equal(frame_png_write(f->path, &frame), 0);
	rgb = read_png(f->path, &w, &h);
	assert_int_equal(w, width);
	assert_int_equal(h, height);
	for (y = 0; y < height; y++) {
		for (x = 0; x < width; x++) {
			const unsigned char *px = rgb + (y * width + x) * 3;

			pattern(x, y, argb);
			if (px[0] != frame_png_channel(argb[1]) ||
			    px[1] != frame_png_channel(argb[2]) ||
			    px[2] != frame_png_channel(argb[3]))
				fail_msg("pixel (%u,%u) is %02x%02x%02x, "
					 "expected %02x%02x%02x",
					 x, y, px[0], px[1], px[2],
					 frame_png_channel(argb[1]),
					 frame_png_channel(argb[2]),
					 frame_png_channel(argb[3]));
		}
	}
	free(rgb);
	free(pixels);
}

static void test_channel_rounding(void **state)
{
	unsigned int v;

	(void)state;
	for (v = 0; v < 256; v++)
		assert_int_equal(frame_png_channel((uint16_t)(v * 257)), v);
	assert_int_equal(frame_png_channel(0x817f), 0x81);
	assert_int_equal(frame_png_channel(0xffff), 0xff);
	assert_int_equal(frame_png_channel(0), 0);
}

static void test_bad_frames_and_paths_fail(void **state)
{
	struct fixture *f = *state;
	uint16_t px[4 * 4] = {0};
	struct udrm_frame frame = {
		.width = 2, .height = 2, .stride = 16, .pixels = px};
	char path[PATH_MAX];

	frame.width = 0;
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.width = 2;
	frame.stride = 8; /* shorter than a line */
	assert_int_equal(frame_png_write(f->path, &frame), -EINVAL);
	frame.stride = 16;
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
		cmocka_unit_test(test_channel_rounding),
		cmocka_unit_test_setup_teardown(test_bad_frames_and_paths_fail,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
