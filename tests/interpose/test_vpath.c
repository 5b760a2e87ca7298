// SPDX-License-Identifier: MIT
/* Virtual path classification and mapping: what is redirected into the
 * tree, what is left to the host, and how tree paths map back. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vpath.h"

#define ROOT "/tmp/udrm-test"

static const char *const names[] = {"vkms", "vgem"};
static const struct vpath_ctx ctx = {
	.root = ROOT,
	.root_len = sizeof(ROOT) - 1,
	.platform = names,
	.nplatform = 2,
};

/* Maps @path and checks the region and the mapped path. */
static void expect_map(const char *path, int region, const char *expected)
{
	char out[PATH_MAX] = "";
	int ret = vpath_map(&ctx, path, out, sizeof(out));

	if (ret != region)
		fail_msg("vpath_map(\"%s\") = %d, expected region %d", path,
			 ret, region);
	if (expected && strcmp(out, expected))
		fail_msg("vpath_map(\"%s\") gave \"%s\", expected \"%s\"", path,
			 out, expected);
}

static void expect_host(const char *path)
{
	expect_map(path, VPATH_NONE, NULL);
}

static void test_dev_dri_maps_into_the_tree(void **state)
{
	(void)state;
	expect_map("/dev/dri", VPATH_DEV_DRI, ROOT "/dev/dri");
	expect_map("/dev/dri/card0", VPATH_DEV_DRI, ROOT "/dev/dri/card0");
	expect_map("//dev///dri/./card0", VPATH_DEV_DRI, ROOT "/dev/dri/card0");
	expect_map("/dev/dri/by-path/platform-vkms-card", VPATH_DEV_DRI,
		   ROOT "/dev/dri/by-path/platform-vkms-card");
	/* A trailing slash still asks for a directory. */
	expect_map("/dev/dri/", VPATH_DEV_DRI, ROOT "/dev/dri/");
	expect_map("/dev/../dev/dri/renderD128", VPATH_DEV_DRI,
		   ROOT "/dev/dri/renderD128");
}

static void test_lookalike_prefixes_stay_on_the_host(void **state)
{
	(void)state;
	expect_host("/dev/drix");
	expect_host("/dev/dri2/card0");
	expect_host("/dev/null");
	expect_host("/dev");
	expect_host("/sys/class/drmfoo");
	expect_host("/sys/class/drm_dp_aux_dev");
	expect_host("/sys/class");
	expect_host("/sys/kernel/debugfs");
	expect_host("/sys/kernel/debug2/dri");
	expect_host("/sys/dev/char/226:");
	expect_host("/sys/dev/char/226:1a");
	expect_host("/sys/dev/char/2260:0");
	expect_host("/sys/dev/char/1:3");
	expect_host("/sys/dev/char");
	expect_host("/sys/devices/platform/vkms2");
	expect_host("/sys/devices/platform/serial8250/tty");
	expect_host("/sys/devices/platform");
	expect_host("/proc/self/fd/3");
	/* Relative paths are never mapped here. */
	expect_host("dev/dri/card0");
	expect_host("");
}

static void test_sysfs_regions_map_into_the_tree(void **state)
{
	(void)state;
	expect_map("/sys/class/drm", VPATH_CLASS_DRM, ROOT "/sys/class/drm");
	expect_map("/sys/class/drm/card0/device/uevent", VPATH_CLASS_DRM,
		   ROOT "/sys/class/drm/card0/device/uevent");
	expect_map("/sys/dev/char/226:0", VPATH_DEV_CHAR,
		   ROOT "/sys/dev/char/226:0");
	expect_map("/sys/dev/char/226:128/device/subsystem", VPATH_DEV_CHAR,
		   ROOT "/sys/dev/char/226:128/device/subsystem");
	/* Real minors the host has are hidden too. */
	expect_map("/sys/dev/char/226:7", VPATH_DEV_CHAR,
		   ROOT "/sys/dev/char/226:7");
	expect_map("/sys/kernel/debug", VPATH_DEBUGFS,
		   ROOT "/sys/kernel/debug");
	expect_map("/sys/kernel/debug/dri/0/name", VPATH_DEBUGFS,
		   ROOT "/sys/kernel/debug/dri/0/name");
	expect_map("/sys/devices/platform/vkms", VPATH_PLATFORM,
		   ROOT "/sys/devices/platform/vkms");
	expect_map("/sys/devices/platform/vgem/drm/card1/uevent",
		   VPATH_PLATFORM,
		   ROOT "/sys/devices/platform/vgem/drm/card1/uevent");
}

static void test_dotdot_follows_the_kernel(void **state)
{
	(void)state;
	/* Leaving a region lexically: the host sees the clean path. */
	expect_map("/dev/dri/..", VPATH_HOST, "/dev");
	expect_map("/dev/dri/../null", VPATH_HOST, "/dev/null");
	expect_map("/sys/kernel/debug/..", VPATH_HOST, "/sys/kernel");
	expect_map("/sys/class/drm/../..", VPATH_HOST, "/sys");
	/* Inside a region, ".." is physical: after a symlink it goes where
	 * the link went, so the kernel resolves it in the tree. */
	expect_map("/sys/class/drm/card0/device/..", VPATH_CLASS_DRM,
		   ROOT "/sys/class/drm/card0/device/..");
	expect_map("/sys/dev/char/226:0/..", VPATH_DEV_CHAR,
		   ROOT "/sys/dev/char/226:0/..");
	expect_map("/dev/dri/card0/..", VPATH_DEV_DRI,
		   ROOT "/dev/dri/card0/..");
	expect_host("/..");
	expect_host("/../tmp");
}

static void test_overlong_paths_fail(void **state)
{
	char path[PATH_MAX + 64], out[64];
	size_t i;

	(void)state;
	strcpy(path, "/dev/dri/");
	for (i = strlen(path); i < sizeof(path) - 1; i++)
		path[i] = 'a';
	path[i] = '\0';
	assert_int_equal(vpath_map(&ctx, path, out, sizeof(out)),
			 -ENAMETOOLONG);
	assert_int_equal(vpath_map(&ctx, "/dev/dri/card0", out, 8),
			 -ENAMETOOLONG);
}

static void test_tree_paths_map_back(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(
		vpath_unmap(&ctx, ROOT "/dev/dri/card0", out, sizeof(out)), 1);
	assert_string_equal(out, "/dev/dri/card0");
	assert_int_equal(vpath_unmap(&ctx, ROOT "/sys/devices/platform/vkms",
				     out, sizeof(out)),
			 1);
	assert_string_equal(out, "/sys/devices/platform/vkms");
	assert_int_equal(vpath_unmap(&ctx, ROOT, out, sizeof(out)), 1);
	assert_string_equal(out, "/");
	/* A sibling whose name starts like the root is not in the tree. */
	assert_int_equal(vpath_unmap(&ctx, ROOT "x/dev", out, sizeof(out)), 0);
	assert_int_equal(vpath_unmap(&ctx, "/dev/dri/card0", out, sizeof(out)),
			 0);
	assert_int_equal(vpath_unmap(&ctx, ROOT "/dev/dri", out, 4),
			 -ENAMETOOLONG);
}

static void test_map_and_unmap_round_trip(void **state)
{
	static const char *const paths[] = {
		"/dev/dri/card0",
		"/sys/class/drm/version",
		"/sys/dev/char/226:128",
		"/sys/kernel/debug/dri/0/name",
		"/sys/devices/platform/vkms/uevent",
	};
	char mapped[PATH_MAX], back[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_true(vpath_map(&ctx, paths[i], mapped, sizeof(mapped)) >
			    0);
		assert_int_equal(vpath_unmap(&ctx, mapped, back, sizeof(back)),
				 1);
		assert_string_equal(back, paths[i]);
	}
}

static void test_proc_fd_paths(void **state)
{
	(void)state;
	assert_int_equal(vpath_proc_fd("/proc/self/fd/3", 100), 3);
	assert_int_equal(vpath_proc_fd("/proc/thread-self/fd/12", 100), 12);
	assert_int_equal(vpath_proc_fd("/proc/100/fd/4", 100), 4);
	/* Another process's fds are not ours to answer for. */
	assert_int_equal(vpath_proc_fd("/proc/101/fd/4", 100), -1);
	assert_int_equal(vpath_proc_fd("/proc/self/fd/3x", 100), -1);
	assert_int_equal(vpath_proc_fd("/proc/self/fd/", 100), -1);
	assert_int_equal(vpath_proc_fd("/proc/self/fdinfo/3", 100), -1);
	assert_int_equal(vpath_proc_fd("/proc/self/fd/3/", 100), -1);
	assert_int_equal(vpath_proc_fd("/dev/fd/3", 100), -1);
}

static void test_cheap_prefilter(void **state)
{
	(void)state;
	assert_true(vpath_maybe_virtual("/dev/dri/card0"));
	assert_true(vpath_maybe_virtual("/sys/class/drm"));
	assert_true(vpath_maybe_virtual("//./dev/dri"));
	assert_false(vpath_maybe_virtual("/usr/lib/libc.so"));
	assert_false(vpath_maybe_virtual("dev/dri"));
	assert_false(vpath_maybe_virtual(NULL));
	assert_true(vpath_needs_devices("/sys/devices/platform/vkms"));
	assert_false(vpath_needs_devices("/sys/class/drm"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_dri_maps_into_the_tree),
		cmocka_unit_test(test_lookalike_prefixes_stay_on_the_host),
		cmocka_unit_test(test_sysfs_regions_map_into_the_tree),
		cmocka_unit_test(test_dotdot_follows_the_kernel),
		cmocka_unit_test(test_overlong_paths_fail),
		cmocka_unit_test(test_tree_paths_map_back),
		cmocka_unit_test(test_map_and_unmap_round_trip),
		cmocka_unit_test(test_proc_fd_paths),
		cmocka_unit_test(test_cheap_prefilter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
