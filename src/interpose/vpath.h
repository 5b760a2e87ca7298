/* SPDX-License-Identifier: MIT */
/*
 * Virtual paths: which absolute paths belong to udrm's filesystem view and
 * where they live in the private tree.
 *
 * The regions are /dev/dri, /sys/class/drm, /sys/dev/char/226:<minor>,
 * /sys/kernel/debug and /sys/devices/platform/<name> for each device's
 * platform name. A region path P lives at <root>P; the host's own entries
 * under these prefixes are hidden.
 *
 * "." and "//" are removed lexically. ".." is resolved lexically only above
 * a region (where the host has no symlinks that matter); inside a region, or
 * right after a symlinked region root (/sys/dev/char/226:N), the rest of the
 * path is kept so the kernel resolves it in the tree, as it would in sysfs.
 */
#ifndef UDRM_INTERPOSE_VPATH_H
#define UDRM_INTERPOSE_VPATH_H

#include <stdbool.h>
#include <stddef.h>

enum vpath_region {
	VPATH_NONE = 0,
	VPATH_DEV_DRI,	 /* /dev/dri */
	VPATH_CLASS_DRM, /* /sys/class/drm */
	VPATH_DEV_CHAR,	 /* /sys/dev/char/226:<minor> (a symlink) */
	VPATH_DEBUGFS,	 /* /sys/kernel/debug */
	VPATH_PLATFORM,	 /* /sys/devices/platform/<name> */
	/* Not virtual, but only once ".." left a region ("/dev/dri/.."): the
	 * host must see the clean path, as the region's root does not exist
	 * there. */
	VPATH_HOST,
};

struct vpath_ctx {
	const char *root; /* the tree, absolute, no trailing '/' */
	size_t root_len;
	const char *const *platform; /* platform device names */
	size_t nplatform;
};

/* The region a lexically clean absolute path lies in (VPATH_NONE if none);
 * *root_len is set to the length of the region's root prefix. */
enum vpath_region vpath_classify(const struct vpath_ctx *ctx, const char *path,
				 size_t len, size_t *root_len);

/* Cheap test run before anything else: could @path be in a region? False
 * for relative paths and most absolute ones. */
bool vpath_maybe_virtual(const char *path);

/* True if classifying @path needs the platform names (the devices). */
bool vpath_needs_devices(const char *path);

/*
 * Maps @path into the tree. Returns the region (and writes
 * "<root><clean path>" to @out), VPATH_HOST (and writes the clean host path
 * to @out), VPATH_NONE if the path is not virtual (out untouched), or
 * -ENAMETOOLONG.
 */
int vpath_map(const struct vpath_ctx *ctx, const char *path, char *out,
	      size_t outlen);

/*
 * Maps a path inside the tree back to the path the program sees: "<root>X"
 * becomes "X" ("<root>" becomes "/"). Returns 1 if mapped, 0 if @path is not
 * in the tree, -ENAMETOOLONG.
 */
int vpath_unmap(const struct vpath_ctx *ctx, const char *path, char *out,
		size_t outlen);

/* Parses "/proc/self/fd/N", "/proc/thread-self/fd/N" and "/proc/<pid>/fd/N"
 * with @pid our pid. Returns N, or -1 if @path is not such a path. */
int vpath_proc_fd(const char *path, int pid);

#endif
