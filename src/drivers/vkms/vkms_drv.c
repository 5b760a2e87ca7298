// SPDX-License-Identifier: MIT
/*
 * vkms: the virtual KMS driver, as the kernel's drivers/gpu/drm/vkms.
 * For now a GEM device with dumb buffers on card0; modesetting objects
 * come with kms/.
 */
#include <errno.h>
#include <stddef.h>

#include "core/device.h"
#include "core/driver.h"
#include "core/gem.h"

static int vkms_load(struct udrm_device *dev, const char *options)
{
	if (options && *options)
		return -EINVAL; /* no options yet */
	/* As vkms_modeset_init(). */
	dev->mode_config.cursor_width = 512;
	dev->mode_config.cursor_height = 512;
	dev->mode_config.preferred_depth = 0;
	return 0;
}

const struct udrm_driver vkms_driver = {
	.name = "vkms",
	.desc = "Virtual Kernel Mode Setting",
	.date = "20180514",
	.major = 1,
	.minor = 0,
	.patchlevel = 0,
	.features = UDRM_FEAT_MODESET | UDRM_FEAT_ATOMIC | UDRM_FEAT_GEM,
	.load = vkms_load,
	.dumb_create = udrm_gem_dumb_create,
};
