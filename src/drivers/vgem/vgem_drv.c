// SPDX-License-Identifier: MIT
/*
 * vgem: the virtual GEM provider, as the kernel's drivers/gpu/drm/vgem.
 * A card and a render node with shmem-backed GEM and PRIME; the fence
 * ioctls come with sync/.
 */
#include <errno.h>
#include <stddef.h>

#include "core/device.h"
#include "core/driver.h"
#include "core/gem.h"

static int vgem_load(struct udrm_device *dev, const char *options)
{
	if (options && *options)
		return -EINVAL; /* no options yet */
	return 0;
}

const struct udrm_driver vgem_driver = {
	.name = "vgem",
	.desc = "Virtual GEM provider",
	.date = "20120112",
	.major = 1,
	.minor = 0,
	.patchlevel = 0,
	.features = UDRM_FEAT_GEM | UDRM_FEAT_RENDER,
	.load = vgem_load,
	.dumb_create = udrm_gem_dumb_create,
};
