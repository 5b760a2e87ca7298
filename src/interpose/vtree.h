/* SPDX-License-Identifier: MIT */
/*
 * The private directory tree behind the virtual paths: /dev/dri nodes, the
 * sysfs view of each device as a platform device (what libdrm's
 * drmGetDevices2() and drmGetDevice2() read) and the debugfs dri/ entries.
 * Paths in the tree mirror the virtual ones: /dev/dri/card0 is
 * <root>/dev/dri/card0. Symlinks are relative so they resolve in the tree.
 */
#ifndef UDRM_INTERPOSE_VTREE_H
#define UDRM_INTERPOSE_VTREE_H

#include <stdbool.h>
#include <stddef.h>

struct vtree_device {
	const char *driver; /* driver name, "vkms" */
	const char *name;   /* platform device name (sysfs dir), "vkms" */
	const char *unique; /* bus id as GET_UNIQUE reports it */
	int primary_minor;  /* -1 if none */
	int render_minor;   /* -1 if none */
};

/* The version line of /sys/class/drm/version, as the kernel prints it. */
#define VTREE_CLASS_VERSION "drm 1.1.0 20060810\n"

/* Whether @name can be a platform device directory name. */
int vtree_name_ok(const char *name);

/* Creates the tree for @devs under the existing, empty directory @root.
 * Returns 0 or -errno (the tree may be partial; remove it). */
int vtree_create(const char *root, const struct vtree_device *devs,
		 size_t ndevs);

/*
 * Makes the placeholder of a driver's virtual file (udrm.h "virtual
 * files") of device @d in the tree at @root: an empty regular file with
 * permission bits @mode, and its directories, at
 *   sysfs (@debugfs false): sys/devices/platform/<name>/drm/<card>/<path>,
 *   debugfs:               sys/kernel/debug/dri/<minor>/<path>,
 * where <card>/<minor> is the primary node's, or the render node's for a
 * device without one. A sysfs file in a connector's directory
 * ("card0-Virtual-1/status") is also reachable through the
 * /sys/class/drm/card0-Virtual-1 link the kernel makes for every connector.
 * Writes the placeholder's path relative to @root to @rel (@len bytes).
 * Returns 0 or -errno (-EEXIST if it exists, -EINVAL for a bad path).
 */
int vtree_add_vfile(const char *root, const struct vtree_device *d,
		    bool debugfs, const char *path, unsigned int mode,
		    char *rel, size_t len);

/* Removes @root and everything below it, without following symlinks. */
int vtree_remove(const char *root);

#endif
