/* SPDX-License-Identifier: MIT */
/*
 * What a driver provides to the DRM core: a table of ops and its ioctls,
 * as the kernel's struct drm_driver. Drivers include this header (and the
 * headers of the core services they use), never each other.
 */
#ifndef UDRM_CORE_DRIVER_H
#define UDRM_CORE_DRIVER_H

#include <stdint.h>

struct udrm_device;
struct udrm_file;
struct drm_mode_create_dumb;
struct udrm_frame;

/* Driver features, the kernel's DRIVER_* bits. */
enum udrm_driver_feature {
	UDRM_FEAT_GEM = 1u << 0,
	UDRM_FEAT_MODESET = 1u << 1,
	UDRM_FEAT_RENDER = 1u << 3,
	UDRM_FEAT_ATOMIC = 1u << 4,
	UDRM_FEAT_SYNCOBJ = 1u << 5,
	UDRM_FEAT_SYNCOBJ_TIMELINE = 1u << 6,
	UDRM_FEAT_CURSOR_HOTSPOT = 1u << 9,
};

/* ioctl permission flags, the kernel's DRM_AUTH & co. */
enum udrm_ioctl_flags {
	UDRM_IOCTL_AUTH = 1u << 0,
	UDRM_IOCTL_MASTER = 1u << 1,
	UDRM_IOCTL_ROOT_ONLY = 1u << 2,
	UDRM_IOCTL_RENDER_ALLOW = 1u << 5,
};

/* An ioctl handler works on the kernel copy of the argument (@data, at least
 * as large as the ioctl's own struct, zero-filled past what the caller gave)
 * and returns 0 or -errno. Called without locks held. */
typedef int (*udrm_ioctl_fn)(struct udrm_device *dev, void *data,
			     struct udrm_file *file);

struct udrm_ioctl_desc {
	unsigned long cmd;  /* full ioctl number, defines size and direction */
	unsigned int flags; /* enum udrm_ioctl_flags */
	udrm_ioctl_fn func; /* NULL: slot unused (-EINVAL, as the kernel) */
	const char *name;
};

#define UDRM_IOCTL_DEF(ioctl, _func, _flags)                                   \
	[_IOC_NR(ioctl)] = {                                                   \
		.cmd = ioctl, .flags = _flags, .func = _func, .name = #ioctl}
/* For driver ioctls: indexed from DRM_COMMAND_BASE. */
#define UDRM_IOCTL_DEF_DRV(ioctl, _func, _flags)                               \
	[_IOC_NR(ioctl) - 0x40] = {                                            \
		.cmd = ioctl, .flags = _flags, .func = _func, .name = #ioctl}

struct udrm_driver {
	const char *name;
	const char *desc;
	const char *date;
	int major, minor, patchlevel;
	uint32_t features; /* enum udrm_driver_feature */

	/* Driver ioctls, DRM_COMMAND_BASE + index. */
	const struct udrm_ioctl_desc *ioctls;
	unsigned int num_ioctls;

	/* Called by udrm_device_create() after the core is set up. @options is
	 * the driver's "key=value" text (may be NULL); unknown keys must be
	 * refused with -EINVAL. */
	int (*load)(struct udrm_device *dev, const char *options);
	/* Called by udrm_device_destroy() after every file is closed. */
	void (*unload)(struct udrm_device *dev);

	/* Per-file hooks; both optional. open may fail with -errno. */
	int (*open)(struct udrm_device *dev, struct udrm_file *file);
	void (*postclose)(struct udrm_device *dev, struct udrm_file *file);

	/* Display capture (see udrm_device_capture/udrm_device_last_frame
	 * in udrm.h); NULL for drivers without a display (-EOPNOTSUPP). */
	int (*capture)(struct udrm_device *dev,
		       void (*fn)(void *ctx, struct udrm_device *dev,
				  const struct udrm_frame *frame),
		       void *ctx);
	int (*last_frame)(struct udrm_device *dev, unsigned int crtc,
			  struct udrm_frame *frame);

	/* Dumb buffers; NULL means the driver has none (-ENOSYS). */
	int (*dumb_create)(struct udrm_file *file, struct udrm_device *dev,
			   struct drm_mode_create_dumb *args);
};

/*
 * Walks a driver's options (the "key=value" lines load() receives; NULL or
 * empty: none), calling @fn with each key and value, NUL-terminated, in
 * order. Stops at and returns @fn's first non-zero value; -EINVAL for a
 * line without '=' or longer than UDRM_OPTION_LINE_MAX - 1 bytes.
 */
#define UDRM_OPTION_LINE_MAX 256
int udrm_options_for_each(const char *options,
			  int (*fn)(void *ctx, const char *key,
				    const char *value),
			  void *ctx);

/* The built-in drivers, NULL-terminated (src/drivers/builtin.c). */
extern const struct udrm_driver *const udrm_builtin_drivers[];

#endif
