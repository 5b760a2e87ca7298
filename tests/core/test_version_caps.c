// SPDX-License-Identifier: MIT
/*
 * The identification ioctls, as the kernel's drm_ioctl.c: VERSION
 * (drm_copy_field), GET_UNIQUE and SET_VERSION (the busid story),
 * GET_CAP and SET_CLIENT_CAP.
 */
#include "udrm_test.h"

#include "core/file.h"

struct version_strings {
	char name[64], date[64], desc[64];
};

static void query_version(struct udrm_file *f, struct drm_version *v,
			  struct version_strings *s)
{
	memset(s, 0, sizeof(*s));
	memset(v, 0, sizeof(*v));
	v->name = s->name;
	v->name_len = sizeof(s->name) - 1;
	v->date = s->date;
	v->date_len = sizeof(s->date) - 1;
	v->desc = s->desc;
	v->desc_len = sizeof(s->desc) - 1;
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, v), 0, "VERSION");
}

static void check_version(struct udrm_file *f, const char *name,
			  const char *desc, const char *date)
{
	struct drm_version v;
	struct version_strings s;

	query_version(f, &v, &s);
	ut_check(v.version_major == 1 && v.version_minor == 0 &&
			 v.version_patchlevel == 0,
		 "%s: expected version 1.0.0, got %d.%d.%d", name,
		 v.version_major, v.version_minor, v.version_patchlevel);
	ut_check(!strcmp(s.name, name) && v.name_len == strlen(name),
		 "expected name \"%s\" (len %zu), got \"%s\" (len %zu)", name,
		 strlen(name), s.name, (size_t)v.name_len);
	ut_check(!strcmp(s.desc, desc) && v.desc_len == strlen(desc),
		 "%s: expected desc \"%s\", got \"%s\" (len %zu)", name, desc,
		 s.desc, (size_t)v.desc_len);
	ut_check(!strcmp(s.date, date) && v.date_len == strlen(date),
		 "%s: expected date \"%s\", got \"%s\" (len %zu)", name, date,
		 s.date, (size_t)v.date_len);
}

static void vkms_version_names_the_driver(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	check_version(f, "vkms", "Virtual Kernel Mode Setting", "20180514");
	udrm_file_close(f);
}

static void vgem_version_names_the_driver_on_both_nodes(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *p = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);

	check_version(p, "vgem", "Virtual GEM provider", "20120112");
	check_version(r, "vgem", "Virtual GEM provider", "20120112");
	udrm_file_close(r);
	udrm_file_close(p);
}

static void version_reports_full_lengths_and_truncates_copies(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	char name[8] = "XXXXXXX", desc[8] = "XXXXXXX";
	struct drm_version v = {
		.name_len = 2, .name = name,
		.desc_len = 5, .desc = desc,
		.date_len = 0, .date = NULL,
	};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, &v), 0,
		  "VERSION with short buffers");
	ut_check(!memcmp(name, "vkXXXXX", 8),
		 "a 2-byte name buffer must receive \"vk\" and nothing more "
		 "(no terminator); got \"%.7s\"", name);
	ut_check(!memcmp(desc, "VirtuXX", 8),
		 "a 5-byte desc buffer must receive \"Virtu\"; got \"%.7s\"",
		 desc);
	ut_check(v.name_len == 4 && v.desc_len == 27 && v.date_len == 8,
		 "lengths must be the full string lengths (4, 27, 8), got "
		 "(%zu, %zu, %zu)",
		 (size_t)v.name_len, (size_t)v.desc_len, (size_t)v.date_len);
	udrm_file_close(f);
}

static void version_with_null_buffers_reports_lengths(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct drm_version v = {.name_len = 100, .date_len = 100,
				.desc_len = 100};

	/* libdrm's drmGetVersion() asks for the lengths this way first. */
	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_VERSION, &v), 0,
		  "VERSION with NULL buffers and non-zero lengths");
	ut_check(v.name_len == 4 && v.date_len == 8 && v.desc_len == 20,
		 "expected lengths (4, 8, 20), got (%zu, %zu, %zu)",
		 (size_t)v.name_len, (size_t)v.date_len, (size_t)v.desc_len);
	udrm_file_close(f);
}

/* ---- GET_UNIQUE / SET_VERSION ---- */

static void get_unique(struct udrm_file *f, char *buf, size_t len,
		       size_t *out_len)
{
	struct drm_unique u = {.unique_len = len, .unique = buf};

	ut_expect(udrm_file_ioctl(f, DRM_IOCTL_GET_UNIQUE, &u), 0,
		  "GET_UNIQUE");
	*out_len = u.unique_len;
}

static void get_unique_is_empty_until_set_version_1_1(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *c = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_set_version sv10 = {1, 0, -1, -1};
	struct drm_set_version sv11 = {1, 1, -1, -1};
	char buf[64];
	size_t len;

	/* Opening by name in libdrm needs an empty unique before
	 * SET_VERSION (see "getunique and setversion story"). */
	memset(buf, 'X', sizeof(buf));
	get_unique(m, buf, sizeof(buf), &len);
	ut_check(len == 0, "unique_len before SET_VERSION: expected 0, got %zu",
		 len);
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_VERSION, &sv10), 0,
		  "SET_VERSION 1.0");
	get_unique(m, buf, sizeof(buf), &len);
	ut_check(len == 0, "unique_len after SET_VERSION 1.0: expected 0, "
			   "got %zu", len);
	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_VERSION, &sv11), 0,
		  "SET_VERSION 1.1");
	get_unique(m, buf, sizeof(buf), &len);
	ut_check(len == 4 && !memcmp(buf, "vkms", 4),
		 "unique after SET_VERSION 1.1: expected \"vkms\", got "
		 "\"%.*s\" (len %zu)", (int)(len < 64 ? len : 64), buf, len);
	/* The unique belongs to the master: its clients see it too. */
	memset(buf, 'X', sizeof(buf));
	get_unique(c, buf, sizeof(buf), &len);
	ut_check(len == 4 && !memcmp(buf, "vkms", 4),
		 "a client of the master must see the master's unique");
	udrm_file_close(c);
	udrm_file_close(m);
}

static void get_unique_with_short_buffer_reports_only_length(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	struct drm_set_version sv = {1, 4, -1, -1};
	char buf[8] = "XXXXXXX";
	size_t len;

	ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_VERSION, &sv), 0,
		  "SET_VERSION 1.4");
	get_unique(m, buf, 3, &len);
	ut_check(len == 4, "GET_UNIQUE with a 3-byte buffer: expected length "
			   "4, got %zu", len);
	ut_check(!memcmp(buf, "XXXXXXX", 8),
		 "GET_UNIQUE must not copy into a buffer that is too short; "
		 "buffer is \"%.7s\"", buf);
	/* NULL with length 0 is how drmGetBusid() asks for the length. */
	get_unique(m, NULL, 0, &len);
	ut_check(len == 4, "GET_UNIQUE with a NULL buffer: expected length 4, "
			   "got %zu", len);
	udrm_file_close(m);
}

static void set_version_validates_and_always_reports_versions(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *m = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	static const struct {
		int di_major, di_minor, dd_major, dd_minor, ret;
		const char *what;
	} cases[] = {
		{-1, -1, -1, -1, 0, "all fields -1 (query only)"},
		{1, 4, 1, 0, 0, "interface 1.4, driver 1.0"},
		{1, 0, -1, 0, 0, "interface 1.0, driver ignored"},
		{2, 0, -1, -1, -EINVAL, "interface major 2"},
		{0, 0, -1, -1, -EINVAL, "interface major 0"},
		{1, 5, -1, -1, -EINVAL, "interface minor 5 (> 4)"},
		{1, -2, -1, -1, -EINVAL, "interface minor -2"},
		{-1, -1, 2, 0, -EINVAL, "driver major 2 (vkms is 1)"},
		{-1, -1, 1, 1, -EINVAL, "driver minor 1 (vkms is 1.0)"},
		{-1, -1, 1, -1, -EINVAL, "driver minor -1"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct drm_set_version sv = {
			cases[i].di_major, cases[i].di_minor,
			cases[i].dd_major, cases[i].dd_minor,
		};

		ut_expect(udrm_file_ioctl(m, DRM_IOCTL_SET_VERSION, &sv),
			  cases[i].ret, "SET_VERSION with %s", cases[i].what);
		ut_check(sv.drm_di_major == 1 && sv.drm_di_minor == 4 &&
				 sv.drm_dd_major == 1 && sv.drm_dd_minor == 0,
			 "SET_VERSION with %s must report interface 1.4 and "
			 "driver 1.0, got %d.%d and %d.%d",
			 cases[i].what, sv.drm_di_major, sv.drm_di_minor,
			 sv.drm_dd_major, sv.drm_dd_minor);
	}
	udrm_file_close(m);
}

/* ---- GET_CAP ---- */

static long get_cap(struct udrm_file *f, uint64_t cap, uint64_t *value)
{
	struct drm_get_cap req = {.capability = cap, .value = 0xbad};
	long ret = udrm_file_ioctl(f, DRM_IOCTL_GET_CAP, &req);

	*value = req.value;
	return ret;
}

static void expect_cap(struct udrm_file *f, const char *who, uint64_t cap,
		       const char *cap_name, long ret, uint64_t value)
{
	uint64_t got;

	ut_expect(get_cap(f, cap, &got), ret, "%s: GET_CAP(%s)", who, cap_name);
	ut_check(got == value, "%s: GET_CAP(%s): expected value %llu, got %llu",
		 who, cap_name, (unsigned long long)value,
		 (unsigned long long)got);
}

#define EXPECT_CAP(f, who, cap, ret, value) \
	expect_cap(f, who, cap, #cap, ret, value)

static void caps_every_driver_answers(struct udrm_file *f, const char *who,
				      uint64_t syncobj)
{
	EXPECT_CAP(f, who, DRM_CAP_TIMESTAMP_MONOTONIC, 0, 1);
	EXPECT_CAP(f, who, DRM_CAP_PRIME, 0,
		   DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT);
	/* vgem has DRIVER_SYNCOBJ(_TIMELINE) (udrm's deviation), vkms not. */
	EXPECT_CAP(f, who, DRM_CAP_SYNCOBJ, 0, syncobj);
	EXPECT_CAP(f, who, DRM_CAP_SYNCOBJ_TIMELINE, 0, syncobj);
}

static void vkms_reports_kms_caps(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	caps_every_driver_answers(f, "vkms", 0);
	EXPECT_CAP(f, "vkms", DRM_CAP_DUMB_BUFFER, 0, 1);
	EXPECT_CAP(f, "vkms", DRM_CAP_VBLANK_HIGH_CRTC, 0, 1);
	EXPECT_CAP(f, "vkms", DRM_CAP_CRTC_IN_VBLANK_EVENT, 0, 1);
	/* vkms_modeset_init(): 512x512 cursors, preferred depth 0. */
	EXPECT_CAP(f, "vkms", DRM_CAP_CURSOR_WIDTH, 0, 512);
	EXPECT_CAP(f, "vkms", DRM_CAP_CURSOR_HEIGHT, 0, 512);
	EXPECT_CAP(f, "vkms", DRM_CAP_DUMB_PREFERRED_DEPTH, 0, 0);
	EXPECT_CAP(f, "vkms", DRM_CAP_ADDFB2_MODIFIERS, 0, 1);
	EXPECT_CAP(f, "vkms", DRM_CAP_ASYNC_PAGE_FLIP, 0, 0);
	/* Unknown caps: -EINVAL, with the value zeroed. */
	EXPECT_CAP(f, "vkms", 0, -EINVAL, 0);
	EXPECT_CAP(f, "vkms", 0x7fff, -EINVAL, 0);
	EXPECT_CAP(f, "vkms", 1ull << 40, -EINVAL, 0);
	udrm_file_close(f);
}

static void vgem_refuses_kms_caps_with_eopnotsupp(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *p = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);
	struct udrm_file *r = ut_open(d->vgem, UDRM_NODE_RENDER, O_RDWR);
	struct udrm_file *files[2] = {p, r};
	const char *who[2] = {"vgem card", "vgem render"};
	int i;

	for (i = 0; i < 2; i++) {
		caps_every_driver_answers(files[i], who[i], 1);
		EXPECT_CAP(files[i], who[i], DRM_CAP_DUMB_BUFFER, -EOPNOTSUPP,
			   0);
		EXPECT_CAP(files[i], who[i], DRM_CAP_CURSOR_WIDTH, -EOPNOTSUPP,
			   0);
		EXPECT_CAP(files[i], who[i], 0x7fff, -EOPNOTSUPP, 0);
	}
	udrm_file_close(r);
	udrm_file_close(p);
}

/* ---- SET_CLIENT_CAP ---- */

static long set_client_cap(struct udrm_file *f, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap req = {.capability = cap, .value = value};

	return udrm_file_ioctl(f, DRM_IOCTL_SET_CLIENT_CAP, &req);
}

static void vgem_refuses_client_caps(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *p = ut_open(d->vgem, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(set_client_cap(p, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1),
		  -EOPNOTSUPP, "SET_CLIENT_CAP(UNIVERSAL_PLANES) on vgem");
	ut_expect(set_client_cap(p, DRM_CLIENT_CAP_ATOMIC, 1), -EOPNOTSUPP,
		  "SET_CLIENT_CAP(ATOMIC) on vgem");
	ut_expect(set_client_cap(p, 0x7fff, 1), -EOPNOTSUPP,
		  "SET_CLIENT_CAP(unknown) on vgem");
	udrm_file_close(p);
}

static void vkms_client_caps_check_their_values(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_STEREO_3D, 1), 0,
		  "SET_CLIENT_CAP(STEREO_3D, 1)");
	ut_check(f->stereo_allowed, "STEREO_3D=1 did not set stereo_allowed");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_STEREO_3D, 2), -EINVAL,
		  "SET_CLIENT_CAP(STEREO_3D, 2)");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1), 0,
		  "SET_CLIENT_CAP(UNIVERSAL_PLANES, 1)");
	ut_check(f->universal_planes, "UNIVERSAL_PLANES=1 did not stick");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 0), 0,
		  "SET_CLIENT_CAP(UNIVERSAL_PLANES, 0)");
	ut_check(!f->universal_planes, "UNIVERSAL_PLANES=0 did not clear it");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 2),
		  -EINVAL, "SET_CLIENT_CAP(UNIVERSAL_PLANES, 2)");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ASPECT_RATIO, 2), -EINVAL,
		  "SET_CLIENT_CAP(ASPECT_RATIO, 2)");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ASPECT_RATIO, 1), 0,
		  "SET_CLIENT_CAP(ASPECT_RATIO, 1)");
	ut_expect(set_client_cap(f, 0x7fff, 1), -EINVAL,
		  "SET_CLIENT_CAP(unknown 0x7fff)");
	ut_expect(set_client_cap(f, 0, 1), -EINVAL,
		  "SET_CLIENT_CAP(capability 0)");
	udrm_file_close(f);
}

static void atomic_client_cap_implies_universal_planes_and_aspect_ratio(
	void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ATOMIC, 3), -EINVAL,
		  "SET_CLIENT_CAP(ATOMIC, 3)");
	ut_check(!f->atomic, "a refused ATOMIC cap must not set atomic");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ATOMIC, 2), 0,
		  "SET_CLIENT_CAP(ATOMIC, 2)");
	ut_check(f->atomic && f->universal_planes && f->aspect_ratio_allowed,
		 "ATOMIC must also set universal_planes and "
		 "aspect_ratio_allowed (got atomic %d, universal %d, aspect "
		 "%d)", f->atomic, f->universal_planes,
		 f->aspect_ratio_allowed);
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ATOMIC, 0), 0,
		  "SET_CLIENT_CAP(ATOMIC, 0)");
	ut_check(!f->atomic && !f->universal_planes,
		 "ATOMIC=0 must clear atomic and universal_planes");
	udrm_file_close(f);
}

static void writeback_client_cap_needs_atomic_first(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1),
		  -EINVAL, "WRITEBACK_CONNECTORS before ATOMIC");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ATOMIC, 1), 0,
		  "SET_CLIENT_CAP(ATOMIC, 1)");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 2),
		  -EINVAL, "WRITEBACK_CONNECTORS = 2");
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1), 0,
		  "WRITEBACK_CONNECTORS after ATOMIC");
	ut_check(f->writeback_connectors, "WRITEBACK_CONNECTORS did not stick");
	udrm_file_close(f);
}

static void cursor_hotspot_client_cap_needs_driver_support(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);

	/* vkms has no DRIVER_CURSOR_HOTSPOT (only virtualized drivers do). */
	ut_expect(set_client_cap(f, DRM_CLIENT_CAP_ATOMIC, 1), 0,
		  "SET_CLIENT_CAP(ATOMIC, 1)");
	ut_expect(set_client_cap(f, 6 /* CURSOR_PLANE_HOTSPOT */, 1),
		  -EOPNOTSUPP, "SET_CLIENT_CAP(CURSOR_PLANE_HOTSPOT) on vkms");
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(vkms_version_names_the_driver),
		T(vgem_version_names_the_driver_on_both_nodes),
		T(version_reports_full_lengths_and_truncates_copies),
		T(version_with_null_buffers_reports_lengths),
		T(get_unique_is_empty_until_set_version_1_1),
		T(get_unique_with_short_buffer_reports_only_length),
		T(set_version_validates_and_always_reports_versions),
		T(vkms_reports_kms_caps),
		T(vgem_refuses_kms_caps_with_eopnotsupp),
		T(vgem_refuses_client_caps),
		T(vkms_client_caps_check_their_values),
		T(atomic_client_cap_implies_universal_planes_and_aspect_ratio),
		T(writeback_client_cap_needs_atomic_first),
		T(cursor_hotspot_client_cap_needs_driver_support),
#undef T
	};

	return cmocka_run_group_tests_name("core/version_caps", tests, NULL,
					   NULL);
}
