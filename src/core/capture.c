// SPDX-License-Identifier: MIT
/*
 * Frames a display showed (udrm.h "frames"): the embedding API checks its
 * arguments and hands over to the driver's capture/last_frame ops.
 */
#include <errno.h>
#include <string.h>

#include "device.h"
#include "driver.h"

int udrm_device_capture(struct udrm_device *dev,
			void (*fn)(void *ctx, struct udrm_device *dev,
				   const struct udrm_frame *frame),
			void *ctx)
{
	if (!dev)
		return -EINVAL;
	if (!dev->driver->capture)
		return -EOPNOTSUPP;
	return dev->driver->capture(dev, fn, ctx);
}

int udrm_device_last_frame(struct udrm_device *dev, unsigned int crtc,
			   struct udrm_frame *frame)
{
	if (!dev || !frame)
		return -EINVAL;
	if (!dev->driver->last_frame)
		return -EOPNOTSUPP;
	memset(frame, 0, sizeof(*frame));
	return dev->driver->last_frame(dev, crtc, frame);
}
