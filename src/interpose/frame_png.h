/* SPDX-License-Identifier: MIT */
/*
 * Writes a composed frame (struct udrm_frame, DRM_FORMAT_BGR888) as an
 * 8-bit RGB PNG, for "udrm run --capture". The frame's bytes R, G, B are
 * already a PNG row: each line is written as it is.
 */
#ifndef UDRM_INTERPOSE_FRAME_PNG_H
#define UDRM_INTERPOSE_FRAME_PNG_H

#include "udrm/udrm.h"

/*
 * Writes @frame to @path: to "<path>.tmp.<pid>" first, then renamed, so a
 * reader never sees half a file. Returns 0, -EINVAL for an empty frame, a
 * format other than DRM_FORMAT_BGR888 or a stride shorter than a line
 * (width * 3 bytes), -ENOMEM, or the -errno of the failing file operation
 * (-EIO if libpng failed).
 */
int frame_png_write(const char *path, const struct udrm_frame *frame);

#endif
