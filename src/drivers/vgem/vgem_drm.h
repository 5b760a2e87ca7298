/* SPDX-License-Identifier: MIT */
/*
 * The vgem uapi (the kernel's include/uapi/drm/vgem_drm.h): fences that a
 * client attaches to a buffer's reservation and signals itself. Written
 * from the ABI: ioctl numbers and struct layouts must not change.
 */
#ifndef UDRM_VGEM_DRM_H
#define UDRM_VGEM_DRM_H

#include <drm.h>

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_VGEM_FENCE_ATTACH 0x1
#define DRM_VGEM_FENCE_SIGNAL 0x2

#define DRM_IOCTL_VGEM_FENCE_ATTACH                                            \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VGEM_FENCE_ATTACH,                     \
		 struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL                                            \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VGEM_FENCE_SIGNAL,                      \
		struct drm_vgem_fence_signal)

/* Attaches a new fence to the buffer @handle; returns its id. */
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
#define VGEM_FENCE_WRITE 0x1 /* a write (exclusive) fence, else a read */
	__u32 out_fence;     /* the fence id, for FENCE_SIGNAL */
	__u32 pad;	     /* must be zero */
};

/* Signals (and forgets) fence @fence of this file. */
struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags; /* must be zero */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct drm_vgem_fence_attach) == 16,
	       "drm_vgem_fence_attach is 16 bytes");
_Static_assert(sizeof(struct drm_vgem_fence_signal) == 8,
	       "drm_vgem_fence_signal is 8 bytes");
#endif

#if defined(__cplusplus)
}
#endif

#endif
