// SPDX-License-Identifier: MIT
/* PNG output of composed frames (frame_png.h), with libpng. */
#include "frame_png.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* libpng reports errors by longjmp; keep its messages off stderr. */
static void frame_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void frame_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Encodes into the open @fp; 0 or -EIO/-ENOMEM. */
static int frame_png_encode(FILE *fp, const struct udrm_frame *frame)
{
	png_structp png;
	png_infop info;
	volatile int ret = -EIO;
	uint32_t y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
				      frame_png_error, frame_png_warning);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, fp);
	/* Screenshots: fast beats small. */
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, frame->width, frame->height, 8,
		     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < frame->height; y++) {
		/* BGR888 is bytes R, G, B: a PNG RGB row as it is. libpng
		 * takes a non-const row but only reads it. */
		png_bytep row =
			(png_bytep)frame->pixels + (size_t)y * frame->stride;

		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	return ret;
}

int frame_png_write(const char *path, const struct udrm_frame *frame)
{
	char *tmp;
	FILE *fp;
	int ret;

	if (!path || !frame || !frame->pixels || !frame->width ||
	    !frame->height || frame->width > PNG_USER_WIDTH_MAX ||
	    frame->height > PNG_USER_HEIGHT_MAX ||
	    frame->format != DRM_FORMAT_BGR888 ||
	    frame->stride < (size_t)frame->width * 3)
		return -EINVAL;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fp = fopen(tmp, "wbe");
	if (!fp) {
		ret = -errno;
		goto out;
	}
	ret = frame_png_encode(fp, frame);
	if (fflush(fp) && !ret)
		ret = -errno;
	if (fclose(fp) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(tmp);
	return ret;
}
