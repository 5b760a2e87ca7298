/* SPDX-License-Identifier: MIT */
/*
 * vgem's private state, shared by vgem_drv.c and vgem_fence.c, as the
 * kernel's drivers/gpu/drm/vgem/vgem_drv.h.
 */
#ifndef UDRM_VGEM_DRV_H
#define UDRM_VGEM_DRV_H

#include <pthread.h>
#include <stdint.h>

#include "core/idr.h"

struct udrm_device;
struct udrm_file;
struct udrm_fence_names;
struct vgem_fence_timer;

/* How long an attached fence may stay unsignalled, as the kernel's
 * VGEM_FENCE_TIMEOUT (10 * HZ); the "fence_timeout_ms" option changes it. */
#define VGEM_FENCE_TIMEOUT_MS 10000u

/* dev->driver_private */
struct vgem_device {
	struct udrm_fence_names *fence_names; /* "vgem", "unbound" */
	struct vgem_fence_timer *timer;	      /* a reference */
};

/* file->driver_private */
struct vgem_file {
	pthread_mutex_t fence_lock; /* protects @fences */
	/* fence id -> fence (a reference); a signalled id stays allocated
	 * with NULL, as the kernel's idr_replace(), so ids are not reused. */
	struct udrm_idr fences;
};

/* Device setup and teardown of the fence machinery (the timeout timer). */
int vgem_fence_device_init(struct udrm_device *dev, uint64_t timeout_ms);
void vgem_fence_device_fini(struct udrm_device *dev);

/* Per-file fence table; close signals and drops every fence still held. */
int vgem_fence_open(struct udrm_device *dev, struct udrm_file *file);
void vgem_fence_close(struct udrm_device *dev, struct udrm_file *file);

int vgem_fence_attach_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file);
int vgem_fence_signal_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file);

#endif
