/* SPDX-License-Identifier: MIT */
/*
 * Writes a composed frame (struct udrm_frame: 16-bit A, R, G, B per pixel)
 * as an 8-bit RGB PNG, for "udrm run --capture". Alpha is dropped: a
 * display shows no transparency.
 */
#ifndef UDRM_INTERPOSE_FRAME_PNG_H
#define UDRM_INTERPOSE_FRAME_PNG_H

#include "udrm/udrm.h"

/* One 16-bit channel as 8 bits, rounded (x * 257 maps back to x). */
static inline unsigned char frame_png_channel(uint16_t v)
{
	return (unsigned char)(((uint32_t)v * 255 + 32767) / 65535);
}

/*
 * Writes @frame to @path: to "<path>.tmp.<pid>" first, then renamed, so a
 * reader never sees half a file. Returns 0, -EINVAL for an empty frame or
 * a stride shorter than a line, -ENOMEM, or the -errno of the failing
 * file operation (-EIO if libpng failed).
 */
int frame_png_write(const char *path, const struct udrm_frame *frame);

#endif
