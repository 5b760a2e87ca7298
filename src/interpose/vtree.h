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

/* Removes @root and everything below it, without following symlinks. */
int vtree_remove(const char *root);

#endif
