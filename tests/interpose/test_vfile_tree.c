// SPDX-License-Identifier: MIT
/*
 * Placeholders of the drivers' virtual files in the tree: a device's
 * registered files (core/vfile.h) become empty files with their modes
 * where the kernel has them, connectors' directories are linked from
 * /sys/class/drm, and bad or clashing paths are refused.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/vfile.h"
#include "vtree.h"

struct fixture {
	char root[256];
	struct udrm_device *vkms, *vgem;
	struct vtree_device devs[2];
	int added;
};

static int show(void *data, char *buf, size_t len)
{
	return snprintf(buf, len, "connected\n");
}

static int store(void *data, const char *buf, size_t len)
{
	return (int)len;
}

static ssize_t stream_read(void *data, void *priv, char *buf, size_t len,
			   bool nonblock)
{
	return -EAGAIN;
}

static struct udrm_device *make_device(const char *driver, int primary,
				       int render)
{
	struct udrm_device_desc desc = {
		.driver = driver,
		.primary_minor = primary,
		.render_minor = render,
	};
	struct udrm_device *dev = NULL;

	if (udrm_device_create(&desc, &dev))
		fail_msg("cannot create a %s device", driver);
	return dev;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->root, sizeof(f->root), "%s/udrm-vfile-tree-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(f->root))
		return -1;
	f->vkms = make_device("vkms", 0, -1);
	f->vgem = make_device("vgem", -1, 128);
	f->devs[0] = (struct vtree_device){"vkms", "vkms", "vkms", 0, -1};
	f->devs[1] = (struct vtree_device){"vgem", "vgem", "vgem", -1, 128};
	if (vtree_create(f->root, f->devs, 2))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vtree_remove(f->root);
	udrm_device_destroy(f->vgem);
	udrm_device_destroy(f->vkms);
	free(f);
	return 0;
}

struct add_ctx {
	struct fixture *f;
	const struct vtree_device *d;
};

/* What the preload does at tree creation, for one device. */
static int add_placeholder(void *ctx, enum udrm_vfile_root root,
			   const char *path, unsigned int mode,
			   struct udrm_vfile *vfile)
{
	struct add_ctx *c = ctx;
	char rel[PATH_MAX];
	int ret;

	ret = vtree_add_vfile(c->f->root, c->d, root == UDRM_VFILE_DEBUGFS,
			      path, mode, rel, sizeof(rel));
	if (ret)
		fail_msg("placeholder of %s: %s", path, strerror(-ret));
	c->f->added++;
	return 0;
}

static void add_all(struct fixture *f)
{
	struct add_ctx c = {f, &f->devs[0]};

	assert_int_equal(
		udrm_device_for_each_vfile(f->vkms, add_placeholder, &c), 0);
	c.d = &f->devs[1];
	assert_int_equal(
		udrm_device_for_each_vfile(f->vgem, add_placeholder, &c), 0);
}

/* @rel must be a regular, empty file with @mode, following links. */
static void expect_placeholder(const struct fixture *f, const char *rel,
			       unsigned int mode)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	if (stat(path, &st))
		fail_msg("%s: %s (expected a placeholder)", rel,
			 strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != mode || st.st_size)
		fail_msg("%s: mode 0%o size %lld, expected a regular empty "
			 "file with mode 0%o",
			 rel, st.st_mode, (long long)st.st_size, mode);
}

static void test_files_appear_where_the_kernel_has_them(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	assert_int_equal(udrm_vfile_add_simple(f->vkms, UDRM_VFILE_SYSFS,
					       "card0-Test-1/status", 0644,
					       show, store, NULL),
			 0);
	assert_int_equal(udrm_vfile_add_simple(f->vkms, UDRM_VFILE_SYSFS,
					       "card0-Test-1/enabled", 0444,
					       show, NULL, NULL),
			 0);
	assert_int_equal(udrm_vfile_add_stream(f->vkms, UDRM_VFILE_DEBUGFS,
					       "crtc-9/crc/data", 0444, NULL,
					       stream_read, NULL, NULL, NULL),
			 0);
	assert_int_equal(udrm_vfile_add_simple(f->vkms, UDRM_VFILE_DEBUGFS,
					       "crtc-9/crc/control", 0200, NULL,
					       store, NULL),
			 0);
	assert_int_equal(udrm_vfile_add_simple(f->vgem, UDRM_VFILE_DEBUGFS,
					       "test_state", 0444, show, NULL,
					       NULL),
			 0);
	add_all(f);
	assert_true(f->added >= 5);

	expect_placeholder(
		f, "sys/devices/platform/vkms/drm/card0/card0-Test-1/status",
		0644);
	expect_placeholder(f, "sys/class/drm/card0/card0-Test-1/enabled", 0444);
	/* drm_sysfs_connector_add(): the connector is a class device. */
	expect_placeholder(f, "sys/class/drm/card0-Test-1/status", 0644);
	snprintf(path, sizeof(path), "%s/sys/class/drm/card0-Test-1", f->root);
	n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(
		link, "../../devices/platform/vkms/drm/card0/card0-Test-1");
	expect_placeholder(f, "sys/dev/char/226:0/card0-Test-1/status", 0644);

	expect_placeholder(f, "sys/kernel/debug/dri/0/crtc-9/crc/data", 0444);
	expect_placeholder(f, "sys/kernel/debug/dri/0/crtc-9/crc/control",
			   0200);
	/* A device without a primary node: its render node's directories. */
	expect_placeholder(f, "sys/kernel/debug/dri/128/test_state", 0444);
	/* The node's own files are still there. */
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/dri/0/name", f->root);
	assert_int_equal(access(path, R_OK), 0);
}

static void test_bad_and_clashing_paths_are_refused(void **state)
{
	struct fixture *f = *state;
	char rel[PATH_MAX];

	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], true, "../x",
					 0444, rel, sizeof(rel)),
			 -EINVAL);
	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], false, "/x",
					 0444, rel, sizeof(rel)),
			 -EINVAL);
	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], true, "name",
					 0444, rel, sizeof(rel)),
			 -EEXIST);
	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], false,
					 "card0-X-1/status", 0444, rel, 8),
			 -ENAMETOOLONG);
	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], false,
					 "card0-X-1/status", 0444, rel,
					 sizeof(rel)),
			 0);
	assert_string_equal(
		rel, "sys/devices/platform/vkms/drm/card0/card0-X-1/status");
	/* A second file of the same connector: the link is already there. */
	assert_int_equal(vtree_add_vfile(f->root, &f->devs[0], false,
					 "card0-X-1/dpms", 0444, rel,
					 sizeof(rel)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_files_appear_where_the_kernel_has_them, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bad_and_clashing_paths_are_refused, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
