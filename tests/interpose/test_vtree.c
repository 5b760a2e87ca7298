// SPDX-License-Identifier: MIT
/* The tree behind the virtual paths: every file libdrm's drmGetDevices2()
 * reads for a platform device, with the kernel's contents. */
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

#include "vtree.h"

static const struct vtree_device devs[] = {
	{.driver = "vkms",
	 .name = "vkms",
	 .unique = "vkms",
	 .primary_minor = 0,
	 .render_minor = -1},
	{.driver = "vgem",
	 .name = "vgem",
	 .unique = "vgem",
	 .primary_minor = 1,
	 .render_minor = 128},
};

struct tree {
	char root[256];
};

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	const char *tmp = getenv("TMPDIR");

	snprintf(t->root, sizeof(t->root), "%s/udrm-vtree-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(t->root))
		return -1;
	if (vtree_create(t->root, devs, 2))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	vtree_remove(t->root);
	free(t);
	return 0;
}

static void tree_path(const struct tree *t, const char *rel, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", t->root, rel);
}

static void expect_content(const struct tree *t, const char *rel,
			   const char *expected)
{
	char path[PATH_MAX], buf[512];
	size_t n;
	FILE *fp;

	tree_path(t, rel, path);
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: %s (expected a file)", rel, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (strcmp(buf, expected))
		fail_msg("%s holds \"%s\", expected \"%s\"", rel, buf,
			 expected);
}

static void expect_link(const struct tree *t, const char *rel,
			const char *expected)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	tree_path(t, rel, path);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		fail_msg("%s: %s (expected a symlink)", rel, strerror(errno));
	buf[n] = '\0';
	if (strcmp(buf, expected))
		fail_msg("%s -> \"%s\", expected \"%s\"", rel, buf, expected);
}

/* Resolves @rel in the tree and checks where it lands, relative to the
 * tree: links must stay inside it. */
static void expect_resolves(const struct tree *t, const char *rel,
			    const char *expected)
{
	char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX];

	tree_path(t, rel, path);
	assert_non_null(realpath(t->root, root));
	if (!realpath(path, real))
		fail_msg("%s does not resolve: %s", rel, strerror(errno));
	if (strncmp(real, root, strlen(root)) ||
	    strcmp(real + strlen(root), expected))
		fail_msg("%s resolves to %s, expected <tree>%s", rel, real,
			 expected);
}

static void test_dev_dri_has_the_nodes(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX];
	struct stat st;

	tree_path(t, "dev/dri/card0", path);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0666);
	tree_path(t, "dev/dri/card1", path);
	assert_int_equal(stat(path, &st), 0);
	tree_path(t, "dev/dri/renderD128", path);
	assert_int_equal(stat(path, &st), 0);
	tree_path(t, "dev/dri/renderD129", path);
	assert_int_equal(stat(path, &st), -1);
	expect_link(t, "dev/dri/by-path/platform-vgem-render", "../renderD128");
	expect_resolves(t, "dev/dri/by-path/platform-vkms-card",
			"/dev/dri/card0");
}

static void test_class_drm_lists_the_nodes(void **state)
{
	struct tree *t = *state;

	expect_content(t, "sys/class/drm/version", "drm 1.1.0 20060810\n");
	expect_link(t, "sys/class/drm/card0",
		    "../../devices/platform/vkms/drm/card0");
	expect_resolves(t, "sys/class/drm/renderD128",
			"/sys/devices/platform/vgem/drm/renderD128");
}

static void test_dev_char_links_resolve_to_the_minor(void **state)
{
	struct tree *t = *state;

	expect_resolves(t, "sys/dev/char/226:0",
			"/sys/devices/platform/vkms/drm/card0");
	expect_resolves(t, "sys/dev/char/226:1",
			"/sys/devices/platform/vgem/drm/card1");
	expect_resolves(t, "sys/dev/char/226:128",
			"/sys/devices/platform/vgem/drm/renderD128");
	/* drmParseSubsystemType(): realpath of .../device, then the last
	 * component of the subsystem link must start with "/platform". */
	expect_resolves(t, "sys/dev/char/226:0/device",
			"/sys/devices/platform/vkms");
	expect_link(t, "sys/dev/char/226:0/device/subsystem",
		    "../../../bus/platform");
	expect_resolves(t, "sys/dev/char/226:0/device/subsystem",
			"/sys/bus/platform");
	/* drmNodeIsDRM(): stat of .../device/drm. */
	expect_resolves(t, "sys/dev/char/226:128/device/drm",
			"/sys/devices/platform/vgem/drm");
}

static void test_minor_directories_match_drm_sysfs(void **state)
{
	struct tree *t = *state;

	expect_content(t, "sys/devices/platform/vkms/drm/card0/dev", "226:0\n");
	expect_content(t, "sys/devices/platform/vkms/drm/card0/uevent",
		       "MAJOR=226\nMINOR=0\nDEVNAME=dri/card0\n"
		       "DEVTYPE=drm_minor\n");
	expect_content(t, "sys/devices/platform/vgem/drm/renderD128/uevent",
		       "MAJOR=226\nMINOR=128\nDEVNAME=dri/renderD128\n"
		       "DEVTYPE=drm_minor\n");
	expect_resolves(t, "sys/devices/platform/vgem/drm/card1/subsystem",
			"/sys/class/drm");
	expect_resolves(t, "sys/class/drm/card1/device",
			"/sys/devices/platform/vgem");
}

static void test_platform_device_uevent(void **state)
{
	struct tree *t = *state;

	/* drmParseOFBusInfo()/DeviceInfo() fall back on MODALIAS. */
	expect_content(t, "sys/devices/platform/vkms/uevent",
		       "MODALIAS=platform:vkms\n");
	expect_content(t, "sys/devices/platform/vgem/modalias",
		       "platform:vgem\n");
	expect_resolves(t, "sys/bus/platform/devices/vgem",
			"/sys/devices/platform/vgem");
}

static void test_debugfs_name_files(void **state)
{
	struct tree *t = *state;

	expect_content(t, "sys/kernel/debug/dri/0/name",
		       "vkms dev=vkms unique=vkms\n");
	expect_content(t, "sys/kernel/debug/dri/1/name",
		       "vgem dev=vgem unique=vgem\n");
	expect_content(t, "sys/kernel/debug/dri/128/name",
		       "vgem dev=vgem unique=vgem\n");
}

static void test_bad_device_names_are_refused(void **state)
{
	struct vtree_device bad = {.driver = "vkms",
				   .name = "../x",
				   .unique = "x",
				   .primary_minor = 2,
				   .render_minor = -1};
	char root[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/udrm-vtree-bad-XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(vtree_create(root, &bad, 1), -EINVAL);
	assert_int_equal(vtree_remove(root), 0);
	assert_int_equal(access(root, F_OK), -1);
	assert_false(vtree_name_ok(""));
	assert_false(vtree_name_ok(".."));
	assert_true(vtree_name_ok("vkms.1"));
}

static void test_remove_deletes_everything(void **state)
{
	char root[PATH_MAX];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/udrm-vtree-rm-XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(vtree_create(root, devs, 2), 0);
	assert_int_equal(vtree_remove(root), 0);
	if (access(root, F_OK) == 0)
		fail_msg("%s still exists after vtree_remove()", root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_dri_has_the_nodes),
		cmocka_unit_test(test_class_drm_lists_the_nodes),
		cmocka_unit_test(test_dev_char_links_resolve_to_the_minor),
		cmocka_unit_test(test_minor_directories_match_drm_sysfs),
		cmocka_unit_test(test_platform_device_uevent),
		cmocka_unit_test(test_debugfs_name_files),
		cmocka_unit_test(test_bad_device_names_are_refused),
		cmocka_unit_test(test_remove_deletes_everything),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
