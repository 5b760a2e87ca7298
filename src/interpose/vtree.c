// SPDX-License-Identifier: MIT
/*
 * Writes the tree described in vtree.h. The sysfs layout follows the
 * kernel's drm_sysfs.c for a device on the platform bus; the debugfs name
 * file follows drm_debugfs.c.
 */
#include "vtree.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udrm/udrm.h"

struct vtree {
	const char *root;
};

/* Formats "<root>/<rel>" into @buf. */
static int __attribute__((format(printf, 4, 5)))
vtree_path(const struct vtree *t, char *buf, size_t len, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s", t->root, rel);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Makes the directory "<root>/<rel>" and its parents. */
static int vtree_mkdirs(const struct vtree *t, const char *rel)
{
	char path[PATH_MAX];
	size_t base;
	char *p;
	int ret;

	ret = vtree_path(t, path, sizeof(path), "%s", rel);
	if (ret)
		return ret;
	base = strlen(t->root) + 1;
	for (p = path + base;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0755) && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int vtree_write(const struct vtree *t, const char *rel, mode_t mode,
		       const char *content)
{
	char path[PATH_MAX];
	size_t len = strlen(content), done = 0;
	ssize_t n;
	int fd, ret;

	ret = vtree_path(t, path, sizeof(path), "%s", rel);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (done < len) {
		n = write(fd, content + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	/* The umask must not narrow what the kernel would show. */
	if (!ret && chmod(path, mode))
		ret = -errno;
	return ret;
}

static int vtree_link(const struct vtree *t, const char *rel,
		      const char *target)
{
	char path[PATH_MAX];
	int ret;

	ret = vtree_path(t, path, sizeof(path), "%s", rel);
	if (ret)
		return ret;
	if (symlink(target, path))
		return -errno;
	return 0;
}

int vtree_name_ok(const char *name)
{
	return name && name[0] && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/') && strlen(name) < 64;
}

/* /sys/devices/platform/<name>/drm/<node> and the links that reach it. */
static int vtree_node(const struct vtree *t, const struct vtree_device *d,
		      enum udrm_node_type type, int minor)
{
	char node[32], rel[PATH_MAX], text[256], target[PATH_MAX];
	int ret;

	udrm_node_name(type, minor, node, sizeof(node));

	/* /dev/dri: a plain file; stat() is what makes it a device. */
	snprintf(rel, sizeof(rel), "dev/dri/%s", node);
	ret = vtree_write(t, rel, 0666, "");
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "dev/dri/by-path/platform-%s-%s", d->name,
		 type == UDRM_NODE_RENDER ? "render" : "card");
	snprintf(target, sizeof(target), "../%s", node);
	ret = vtree_link(t, rel, target);
	if (ret)
		return ret;

	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm/%s", d->name,
		 node);
	ret = vtree_mkdirs(t, rel);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm/%s/dev",
		 d->name, node);
	snprintf(text, sizeof(text), "%d:%d\n", UDRM_DRM_MAJOR, minor);
	ret = vtree_write(t, rel, 0444, text);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm/%s/uevent",
		 d->name, node);
	snprintf(text, sizeof(text),
		 "MAJOR=%d\nMINOR=%d\nDEVNAME=dri/%s\nDEVTYPE=drm_minor\n",
		 UDRM_DRM_MAJOR, minor, node);
	ret = vtree_write(t, rel, 0644, text);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm/%s/device",
		 d->name, node);
	snprintf(target, sizeof(target), "../../../%s", d->name);
	ret = vtree_link(t, rel, target);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm/%s/subsystem",
		 d->name, node);
	ret = vtree_link(t, rel, "../../../../../class/drm");
	if (ret)
		return ret;

	snprintf(target, sizeof(target), "../../devices/platform/%s/drm/%s",
		 d->name, node);
	snprintf(rel, sizeof(rel), "sys/class/drm/%s", node);
	ret = vtree_link(t, rel, target);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/dev/char/%d:%d", UDRM_DRM_MAJOR, minor);
	ret = vtree_link(t, rel, target);
	if (ret)
		return ret;

	/* debugfs: dri/<minor>/name as drm_name_info() prints it. */
	snprintf(rel, sizeof(rel), "sys/kernel/debug/dri/%d", minor);
	ret = vtree_mkdirs(t, rel);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/kernel/debug/dri/%d/name", minor);
	if (d->unique && d->unique[0])
		snprintf(text, sizeof(text), "%s dev=%s unique=%s\n", d->driver,
			 d->name, d->unique);
	else
		snprintf(text, sizeof(text), "%s dev=%s\n", d->driver, d->name);
	return vtree_write(t, rel, 0444, text);
}

/* /sys/devices/platform/<name>: an unbound platform device, as vkms and
 * vgem register theirs (no DRIVER= line, no driver link). */
static int vtree_device(const struct vtree *t, const struct vtree_device *d)
{
	char rel[PATH_MAX], text[256], target[PATH_MAX];
	int ret;

	if (!vtree_name_ok(d->name))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s", d->name);
	ret = vtree_mkdirs(t, rel);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/uevent", d->name);
	snprintf(text, sizeof(text), "MODALIAS=platform:%s\n", d->name);
	ret = vtree_write(t, rel, 0644, text);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/modalias", d->name);
	snprintf(text, sizeof(text), "platform:%s\n", d->name);
	ret = vtree_write(t, rel, 0444, text);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/subsystem",
		 d->name);
	ret = vtree_link(t, rel, "../../../bus/platform");
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/devices/platform/%s/drm", d->name);
	ret = vtree_mkdirs(t, rel);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "sys/bus/platform/devices/%s", d->name);
	snprintf(target, sizeof(target), "../../../devices/platform/%s",
		 d->name);
	ret = vtree_link(t, rel, target);
	if (ret)
		return ret;
	if (d->primary_minor >= 0) {
		ret = vtree_node(t, d, UDRM_NODE_PRIMARY, d->primary_minor);
		if (ret)
			return ret;
	}
	if (d->render_minor >= 0) {
		ret = vtree_node(t, d, UDRM_NODE_RENDER, d->render_minor);
		if (ret)
			return ret;
	}
	return 0;
}

int vtree_create(const char *root, const struct vtree_device *devs,
		 size_t ndevs)
{
	static const char *const dirs[] = {
		"dev/dri/by-path",
		"sys/class/drm",
		"sys/dev/char",
		"sys/bus/platform/devices",
		"sys/bus/platform/drivers",
		"sys/devices/platform",
		"sys/kernel/debug/dri",
	};
	struct vtree t = {.root = root};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ret = vtree_mkdirs(&t, dirs[i]);
		if (ret)
			return ret;
	}
	ret = vtree_write(&t, "sys/class/drm/version", 0444,
			  VTREE_CLASS_VERSION);
	if (ret)
		return ret;
	for (i = 0; i < ndevs; i++) {
		ret = vtree_device(&t, &devs[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether @path is relative, clean ("a/b", no "." or ".." or "//"). */
static bool vtree_rel_ok(const char *path)
{
	const char *p = path, *end;
	size_t n;

	if (!path[0])
		return false;
	for (;;) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

int vtree_add_vfile(const char *root, const struct vtree_device *d,
		    bool debugfs, const char *path, unsigned int mode,
		    char *rel, size_t len)
{
	struct vtree t = {.root = root};
	char node[32], dir[PATH_MAX], target[PATH_MAX], link[PATH_MAX];
	const char *slash;
	enum udrm_node_type type = UDRM_NODE_PRIMARY;
	int minor = d->primary_minor, n, ret;

	if (minor < 0) {
		type = UDRM_NODE_RENDER;
		minor = d->render_minor;
	}
	if (minor < 0 || !vtree_name_ok(d->name) || !vtree_rel_ok(path))
		return -EINVAL;
	udrm_node_name(type, minor, node, sizeof(node));
	if (debugfs)
		n = snprintf(rel, len, "sys/kernel/debug/dri/%d/%s", minor,
			     path);
	else
		n = snprintf(rel, len, "sys/devices/platform/%s/drm/%s/%s",
			     d->name, node, path);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	slash = strrchr(rel, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	ret = vtree_mkdirs(&t, dir);
	if (ret)
		return ret;
	ret = vtree_write(&t, rel, (mode_t)(mode & 07777), "");
	if (ret)
		return ret;

	/* drm_sysfs_connector_add(): connectors are class devices named
	 * "<card>-<connector>", linked from /sys/class/drm. */
	slash = strchr(path, '/');
	n = (int)strlen(node);
	if (debugfs || !slash || strncmp(path, node, (size_t)n) ||
	    path[n] != '-')
		return 0;
	snprintf(link, sizeof(link), "sys/class/drm/%.*s", (int)(slash - path),
		 path);
	snprintf(target, sizeof(target),
		 "../../devices/platform/%s/drm/%s/%.*s", d->name, node,
		 (int)(slash - path), path);
	ret = vtree_link(&t, link, target);
	return ret == -EEXIST ? 0 : ret;
}

static int vtree_remove_one(const char *path, const struct stat *st, int type,
			    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int vtree_remove(const char *root)
{
	if (nftw(root, vtree_remove_one, 16, FTW_DEPTH | FTW_PHYS))
		return -errno;
	return 0;
}
