// SPDX-License-Identifier: MIT
/*
 * vgem: the virtual GEM provider, as the kernel's drivers/gpu/drm/vgem.
 * A card and a render node with shmem-backed GEM and PRIME, and fences
 * that clients attach to buffers (vgem_fence.c).
 *
 * Options: "fence_timeout_ms=N" (1..3600000) sets how long an attached
 * fence may stay unsignalled (default 10000, the kernel's 10 s).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/driver.h"
#include "core/gem.h"
#include "vgem_drm.h"
#include "vgem_drv.h"

#define VGEM_FENCE_TIMEOUT_MAX_MS 3600000u

/* The one option: fence_timeout_ms; -EINVAL for anything else. */
static int vgem_option(void *ctx, const char *key, const char *value)
{
	uint64_t *timeout_ms = ctx;
	unsigned long long v;
	char *num_end;

	if (strcmp(key, "fence_timeout_ms"))
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &num_end, 10);
	if (errno || num_end == value || *num_end || !v ||
	    v > VGEM_FENCE_TIMEOUT_MAX_MS)
		return -EINVAL;
	*timeout_ms = v;
	return 0;
}

static int vgem_load(struct udrm_device *dev, const char *options)
{
	uint64_t timeout_ms = VGEM_FENCE_TIMEOUT_MS;
	int ret = udrm_options_for_each(options, vgem_option, &timeout_ms);

	if (ret)
		return ret;
	return vgem_fence_device_init(dev, timeout_ms);
}

static void vgem_unload(struct udrm_device *dev)
{
	vgem_fence_device_fini(dev);
}

static const struct udrm_ioctl_desc vgem_ioctls[] = {
	UDRM_IOCTL_DEF_DRV(DRM_IOCTL_VGEM_FENCE_ATTACH, vgem_fence_attach_ioctl,
			   UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF_DRV(DRM_IOCTL_VGEM_FENCE_SIGNAL, vgem_fence_signal_ioctl,
			   UDRM_IOCTL_RENDER_ALLOW),
};

const struct udrm_driver vgem_driver = {
	.name = "vgem",
	.desc = "Virtual GEM provider",
	.date = "20120112",
	.major = 1,
	.minor = 0,
	.patchlevel = 0,
	/* Syncobjs are a deliberate deviation from the kernel's vgem (which
	 * has none): they make explicit sync usable on a render node before
	 * simgpu exists. */
	.features = UDRM_FEAT_GEM | UDRM_FEAT_RENDER | UDRM_FEAT_SYNCOBJ |
		    UDRM_FEAT_SYNCOBJ_TIMELINE,
	.ioctls = vgem_ioctls,
	.num_ioctls = sizeof(vgem_ioctls) / sizeof(vgem_ioctls[0]),
	.load = vgem_load,
	.unload = vgem_unload,
	.open = vgem_fence_open,
	.postclose = vgem_fence_close,
	.dumb_create = udrm_gem_dumb_create,
};
