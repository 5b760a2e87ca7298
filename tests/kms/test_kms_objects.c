// SPDX-License-Identifier: MIT
/*
 * The KMS object layer, as the kernel's drm_mode_object.c, drm_property.c,
 * drm_framebuffer.c, the getters of drm_mode_config.c / drm_crtc.c /
 * drm_plane.c / drm_encoder.c / drm_connector.c, drm_lease.c and the probe
 * helper: ids and lookup, properties and blobs, framebuffer checks, the
 * two-call arrays, connector modes and leases, each with the kernel's errno.
 *
 * The tests run on a vkms device. Until vkms builds its own topology, the
 * fixture builds vkms's default one (one CRTC with primary, cursor and
 * overlay planes, a Virtual connector and encoder, a writeback connector)
 * with the kms/ init functions.
 */
#include "udrm_test.h"

#include <drm_fourcc.h>
#include <stdlib.h>

#include "core/device.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms/kms.h"

#ifndef DRM_FORMAT_R1
#define DRM_FORMAT_R1 fourcc_code('R', '1', ' ', ' ')
#define DRM_FORMAT_R2 fourcc_code('R', '2', ' ', ' ')
#define DRM_FORMAT_R4 fourcc_code('R', '4', ' ', ' ')
#endif

struct topo {
	struct udrm_plane planes[3];
	struct udrm_crtc crtc;
	struct udrm_encoder encoder, wb_encoder;
	struct udrm_connector conn, wb;
};

struct fix {
	struct udrm_device *dev;
	struct topo *topo; /* ours, when vkms has no KMS yet */
	struct udrm_file *master, *other;
};

static const uint32_t plane_formats[] = {
	DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_RGB565,
	DRM_FORMAT_NV12,     DRM_FORMAT_C8,	  DRM_FORMAT_XRGB2101010,
	DRM_FORMAT_RGB888,   DRM_FORMAT_XRGB1555,
};

static int topo_get_modes(struct udrm_connector *conn)
{
	int n = udrm_connector_add_modes_noedid(conn, conn->kms->max_width,
						conn->kms->max_height);

	udrm_connector_set_preferred_mode(conn, 1024, 768);
	return n;
}

static const struct udrm_connector_funcs topo_conn_funcs = {
	.get_modes = topo_get_modes,
};

/* vkms_modeset_init() and vkms_output_init() with the kms/ API. */
static void build_topology(struct fix *f)
{
	static const uint32_t types[3] = {DRM_PLANE_TYPE_PRIMARY,
					  DRM_PLANE_TYPE_CURSOR,
					  DRM_PLANE_TYPE_OVERLAY};
	struct udrm_kms *kms;
	struct topo *t = calloc(1, sizeof(*t));
	int i;

	assert_non_null(t);
	f->topo = t;
	ut_expect(udrm_kms_init(f->dev, NULL, &kms), 0, "udrm_kms_init");
	kms->min_width = kms->min_height = 10;
	kms->max_width = kms->max_height = 8192;
	kms->cursor_width = kms->cursor_height = 512;
	for (i = 0; i < 3; i++)
		ut_expect(udrm_plane_init(kms, &t->planes[i], 1, NULL,
					  plane_formats,
					  sizeof(plane_formats) / 4, NULL,
					  types[i], NULL),
			  0, "plane %d init", i);
	ut_expect(udrm_plane_create_rotation_property(
			  &t->planes[2], DRM_MODE_ROTATE_0,
			  DRM_MODE_ROTATE_MASK | DRM_MODE_REFLECT_MASK),
		  0, "rotation property");
	ut_expect(udrm_plane_create_alpha_property(&t->planes[2]), 0, "alpha");
	ut_expect(udrm_plane_create_blend_mode_property(&t->planes[2], 7), 0,
		  "blend mode");
	ut_expect(udrm_plane_create_zpos_property(&t->planes[2], 2, 0, 2), 0,
		  "zpos");
	ut_expect(udrm_crtc_init(kms, &t->crtc, &t->planes[0], &t->planes[1],
				 NULL, NULL),
		  0, "crtc init");
	ut_expect(udrm_crtc_enable_color_mgmt(&t->crtc, 256), 0, "gamma");
	ut_expect(udrm_crtc_create_background_color_property(&t->crtc), 0,
		  "background");
	ut_expect(udrm_encoder_init(kms, &t->encoder, DRM_MODE_ENCODER_VIRTUAL,
				    1),
		  0, "encoder init");
	ut_expect(udrm_connector_init(kms, &t->conn, &topo_conn_funcs,
				      DRM_MODE_CONNECTOR_VIRTUAL),
		  0, "connector init");
	ut_expect(udrm_connector_attach_encoder(&t->conn, &t->encoder), 0,
		  "attach encoder");
	ut_expect(udrm_writeback_connector_init(kms, &t->wb, &t->wb_encoder,
						&topo_conn_funcs, 1,
						plane_formats, 2),
		  0, "writeback init");
	ut_expect(udrm_kms_register(kms), 0, "udrm_kms_register");
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dev = ut_device("vkms", 0, -1, 0);
	if (!f->dev->kms)
		build_topology(f);
	f->master = ut_open(f->dev, UDRM_NODE_PRIMARY, O_RDWR);
	f->other = ut_open(f->dev, UDRM_NODE_PRIMARY, O_RDWR);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	udrm_device_destroy(f->dev);
	free(f->topo);
	free(f);
	return 0;
}

static long io(struct udrm_file *file, unsigned long cmd, void *arg)
{
	return udrm_file_ioctl(file, cmd, arg);
}

static void set_cap(struct udrm_file *file, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap c = {.capability = cap, .value = value};

	ut_expect(io(file, DRM_IOCTL_SET_CLIENT_CAP, &c), 0,
		  "SET_CLIENT_CAP %llu", (unsigned long long)cap);
}

struct res {
	uint32_t fbs[16], crtcs[8], encoders[8], connectors[8];
	struct drm_mode_card_res r;
};

static void get_resources(struct udrm_file *file, struct res *res)
{
	memset(res, 0, sizeof(*res));
	res->r.fb_id_ptr = udrm_user_ptr(res->fbs);
	res->r.crtc_id_ptr = udrm_user_ptr(res->crtcs);
	res->r.encoder_id_ptr = udrm_user_ptr(res->encoders);
	res->r.connector_id_ptr = udrm_user_ptr(res->connectors);
	res->r.count_fbs = 16;
	res->r.count_crtcs = res->r.count_encoders = 8;
	res->r.count_connectors = 8;
	ut_expect(io(file, DRM_IOCTL_MODE_GETRESOURCES, &res->r), 0,
		  "GETRESOURCES");
}

static uint32_t get_planes(struct udrm_file *file, uint32_t *ids)
{
	struct drm_mode_get_plane_res r = {.count_planes = 8,
					   .plane_id_ptr = udrm_user_ptr(ids)};

	ut_expect(io(file, DRM_IOCTL_MODE_GETPLANERESOURCES, &r), 0,
		  "GETPLANERESOURCES");
	return r.count_planes;
}

/* The id of property @name on an object, 0 if it has none. */
static uint32_t find_prop(struct udrm_file *file, uint32_t obj, uint32_t type,
			  const char *name, uint64_t *value)
{
	uint32_t ids[64];
	uint64_t vals[64];
	struct drm_mode_obj_get_properties r = {
		.props_ptr = udrm_user_ptr(ids),
		.prop_values_ptr = udrm_user_ptr(vals),
		.count_props = 64,
		.obj_id = obj,
		.obj_type = type,
	};
	uint32_t i;

	ut_expect(io(file, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &r), 0,
		  "OBJ_GETPROPERTIES of %u", obj);
	for (i = 0; i < r.count_props; i++) {
		struct drm_mode_get_property p = {.prop_id = ids[i]};

		ut_expect(io(file, DRM_IOCTL_MODE_GETPROPERTY, &p), 0,
			  "GETPROPERTY %u", ids[i]);
		if (!strcmp(p.name, name)) {
			if (value)
				*value = vals[i];
			return ids[i];
		}
	}
	return 0;
}

static uint32_t dumb(struct udrm_file *file, uint32_t w, uint32_t h,
		     uint32_t *pitch)
{
	return ut_dumb_create(file, w, h, 32, pitch, NULL);
}

static long addfb2(struct udrm_file *file, struct drm_mode_fb_cmd2 *r)
{
	return io(file, DRM_IOCTL_MODE_ADDFB2, r);
}

static uint32_t add_xrgb_fb(struct udrm_file *file, uint32_t w, uint32_t h)
{
	uint32_t pitch, handle = dumb(file, w, h, &pitch);
	struct drm_mode_fb_cmd2 r = {
		.width = w,
		.height = h,
		.pixel_format = DRM_FORMAT_XRGB8888,
		.handles = {handle},
		.pitches = {pitch},
	};

	ut_expect(addfb2(file, &r), 0, "ADDFB2 XRGB8888 %ux%u", w, h);
	return r.fb_id;
}

/* ------------------------------------------------------------------ */

static void object_ids_are_unique_and_typed(void **state)
{
	struct fix *f = *state;
	struct udrm_kms *kms = f->dev->kms;
	struct res res;
	uint32_t planes[8], n, i, j, all[32], count = 0;
	struct drm_mode_obj_get_properties r = {0};

	set_cap(f->master, DRM_CLIENT_CAP_ATOMIC, 1);
	set_cap(f->master, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	get_resources(f->master, &res);
	n = get_planes(f->master, planes);
	ut_check(res.r.count_crtcs == 1 && res.r.count_connectors == 2 &&
			 res.r.count_encoders == 2 && n == 3,
		 "vkms default: 1 crtc, 2 connectors, 2 encoders, 3 planes; "
		 "got %u %u %u %u",
		 res.r.count_crtcs, res.r.count_connectors,
		 res.r.count_encoders, n);
	for (i = 0; i < res.r.count_crtcs; i++)
		all[count++] = res.crtcs[i];
	for (i = 0; i < res.r.count_connectors; i++)
		all[count++] = res.connectors[i];
	for (i = 0; i < res.r.count_encoders; i++)
		all[count++] = res.encoders[i];
	for (i = 0; i < n; i++)
		all[count++] = planes[i];
	for (i = 0; i < count; i++) {
		ut_check(all[i] > 0, "object ids start at 1");
		for (j = i + 1; j < count; j++)
			ut_check(all[i] != all[j],
				 "one id space for all types: %u twice",
				 all[i]);
	}
	/* White box: lookup filters by type. */
	pthread_mutex_lock(&kms->lock);
	ut_check(udrm_mode_object_find(kms, NULL, res.crtcs[0],
				       DRM_MODE_OBJECT_CRTC) != NULL,
		 "CRTC found as a CRTC");
	ut_check(udrm_mode_object_find(kms, NULL, res.crtcs[0],
				       DRM_MODE_OBJECT_PLANE) == NULL,
		 "CRTC not found as a plane");
	ut_check(udrm_mode_object_find(kms, NULL, res.crtcs[0],
				       DRM_MODE_OBJECT_ANY) != NULL,
		 "CRTC found as ANY");
	pthread_mutex_unlock(&kms->lock);

	r.obj_id = res.crtcs[0];
	r.obj_type = DRM_MODE_OBJECT_CONNECTOR;
	ut_expect(io(f->master, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &r), -ENOENT,
		  "OBJ_GETPROPERTIES of a CRTC as a connector");
	r.obj_id = 0xffff;
	r.obj_type = DRM_MODE_OBJECT_ANY;
	ut_expect(io(f->master, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &r), -ENOENT,
		  "OBJ_GETPROPERTIES of an unknown id");
	r.obj_id = res.encoders[0];
	r.obj_type = DRM_MODE_OBJECT_ENCODER;
	ut_expect(io(f->master, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &r), -EINVAL,
		  "OBJ_GETPROPERTIES of an encoder (no properties)");
	r.obj_id = res.crtcs[0];
	r.obj_type = DRM_MODE_OBJECT_CRTC;
	r.count_props = 0;
	ut_expect(io(f->master, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &r), 0,
		  "OBJ_GETPROPERTIES count only");
	ut_check(r.count_props >= 7,
		 "CRTC has ACTIVE, MODE_ID, OUT_FENCE_PTR, VRR_ENABLED, "
		 "GAMMA_LUT(_SIZE), BACKGROUND_COLOR; got %u",
		 r.count_props);
}

static void property_values_are_validated_per_type(void **state)
{
	struct fix *f = *state;
	struct udrm_kms *kms = f->dev->kms;
	static const struct udrm_property_enum list[] = {
		{0, "zero"}, {3, "three"}, {5, "five"}};
	struct udrm_property *range, *srange, *boolp, *enm, *bits, *obj, *blobp,
		*imm;
	struct udrm_property_blob *blob;
	struct udrm_mode_object *ref;
	uint32_t crtc_id = kms->crtcs[0]->base.id;

	range = udrm_property_create_range(kms, 0, "t-range", 10, 20);
	srange = udrm_property_create_signed_range(kms, 0, "t-srange", -5, 5);
	boolp = udrm_property_create_bool(kms, 0, "t-bool");
	enm = udrm_property_create_enum(kms, 0, "t-enum", list, 3);
	bits = udrm_property_create_bitmask(kms, 0, "t-bits", list, 3,
					    (1u << 0) | (1u << 5));
	obj = udrm_property_create_object(kms, 0, "t-obj",
					  DRM_MODE_OBJECT_CRTC);
	blobp = udrm_property_create_blob(kms, 0, "t-blob");
	imm = udrm_property_create_range(kms, DRM_MODE_PROP_IMMUTABLE, "t-imm",
					 0, 100);
	assert_true(range && srange && boolp && enm && bits && obj && blobp &&
		    imm);
	ut_check(bits->num_enums == 2, "bitmask keeps only supported bits");
	ut_expect(udrm_property_blob_create(kms, 16, NULL, &blob), 0, "blob");

	pthread_mutex_lock(&kms->lock);
#define VALID(p, v, want)                                                      \
	do {                                                                   \
		bool got_ = udrm_property_value_valid(kms, NULL, p, v, &ref);  \
		ut_check(got_ == (want), "%s: value %lld %s", (p)->name,       \
			 (long long)(v), (want) ? "is valid" : "is invalid");  \
		udrm_mode_object_put(ref);                                     \
	} while (0)
	VALID(range, 10, true);
	VALID(range, 20, true);
	VALID(range, 9, false);
	VALID(range, 21, false);
	VALID(srange, (uint64_t)-5, true);
	VALID(srange, (uint64_t)-6, false);
	VALID(srange, 5, true);
	VALID(srange, 6, false);
	VALID(boolp, 1, true);
	VALID(boolp, 2, false);
	VALID(enm, 3, true);
	VALID(enm, 4, false);
	VALID(bits, 1 | 32, true);
	VALID(bits, 8, false);
	VALID(obj, 0, true);
	VALID(obj, crtc_id, true);
	VALID(obj, blob->base.id, false);
	VALID(blobp, 0, true);
	VALID(blobp, blob->base.id, true);
	VALID(blobp, crtc_id, false);
	VALID(imm, 1, false);
#undef VALID
	ut_check(udrm_property_value_valid(kms, NULL, blobp, blob->base.id,
					   &ref) &&
			 ref == &blob->base,
		 "a blob value hands back the blob");
	udrm_mode_object_put(ref);
	pthread_mutex_unlock(&kms->lock);
	udrm_blob_put(blob);
}

static void getproperty_reports_enums_and_values_two_call(void **state)
{
	struct fix *f = *state;
	struct udrm_kms *kms = f->dev->kms;
	struct drm_mode_get_property p = {.prop_id = kms->prop.dpms->base.id};
	struct drm_mode_property_enum enums[4];
	uint64_t values[4];

	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), 0,
		  "GETPROPERTY DPMS, counts only");
	ut_check(!strcmp(p.name, "DPMS") && p.count_enum_blobs == 4 &&
			 p.count_values == 4 && (p.flags & DRM_MODE_PROP_ENUM),
		 "DPMS: enum of 4, got %s %u %u", p.name, p.count_enum_blobs,
		 p.count_values);
	p.values_ptr = udrm_user_ptr(values);
	p.enum_blob_ptr = udrm_user_ptr(enums);
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), 0,
		  "GETPROPERTY DPMS with arrays");
	ut_check(!strcmp(enums[3].name, "Off") && enums[3].value == 3 &&
			 values[0] == 0,
		 "DPMS enum 3 is Off");

	ut_guard_user_faults();
	p.values_ptr = udrm_user_ptr(ut_noaccess_page());
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), -EFAULT,
		  "GETPROPERTY into an unmapped values array");

	memset(&p, 0, sizeof(p));
	p.prop_id = kms->prop.src_w->base.id;
	p.count_values = 2;
	p.values_ptr = udrm_user_ptr(values);
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), 0, "SRC_W");
	ut_check((p.flags & DRM_MODE_PROP_RANGE) &&
			 (p.flags & DRM_MODE_PROP_ATOMIC) && values[0] == 0 &&
			 values[1] == UINT32_MAX,
		 "SRC_W: atomic range 0..UINT32_MAX");

	memset(&p, 0, sizeof(p));
	p.prop_id = kms->prop.mode_id->base.id;
	p.count_enum_blobs = 5;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), 0, "MODE_ID");
	ut_check((p.flags & DRM_MODE_PROP_BLOB) && p.count_enum_blobs == 0,
		 "blob properties list no blobs");

	memset(&p, 0, sizeof(p));
	p.prop_id = kms->crtcs[0]->base.id;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPERTY, &p), -ENOENT,
		  "GETPROPERTY of a CRTC id");
}

static void blobs_belong_to_their_file(void **state)
{
	struct fix *f = *state;
	uint8_t data[100], back[100];
	struct drm_mode_create_blob c = {.data = udrm_user_ptr(data),
					 .length = 0};
	struct drm_mode_get_blob g = {0};
	struct drm_mode_destroy_blob d = {0};
	struct udrm_file *third;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATEPROPBLOB, &c), -EINVAL,
		  "CREATEPROPBLOB of length 0");
	ut_guard_user_faults();
	c.length = 100;
	c.data = udrm_user_ptr(ut_noaccess_page());
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATEPROPBLOB, &c), -EFAULT,
		  "CREATEPROPBLOB from unmapped memory");
	c.data = udrm_user_ptr(data);
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATEPROPBLOB, &c), 0,
		  "CREATEPROPBLOB");
	ut_check(c.blob_id, "a blob id");

	g.blob_id = c.blob_id;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPBLOB, &g), 0,
		  "GETPROPBLOB size query");
	ut_check(g.length == 100, "length 100, got %u", g.length);
	g.data = udrm_user_ptr(back);
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPBLOB, &g), 0,
		  "GETPROPBLOB from another file");
	ut_check(!memcmp(back, data, 100), "blob contents read back");
	g.length = 50;
	g.data = udrm_user_ptr(ut_noaccess_page());
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPBLOB, &g), 0,
		  "GETPROPBLOB with a short length copies nothing");
	ut_check(g.length == 100, "and reports the length");

	d.blob_id = c.blob_id;
	ut_expect(io(f->other, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d), -EPERM,
		  "DESTROYPROPBLOB of another file's blob");
	d.blob_id = 0xfffff;
	ut_expect(io(f->master, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d), -ENOENT,
		  "DESTROYPROPBLOB of an unknown id");
	d.blob_id = f->dev->kms->crtcs[0]->base.id;
	ut_expect(io(f->master, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d), -ENOENT,
		  "DESTROYPROPBLOB of a CRTC id");
	d.blob_id = c.blob_id;
	ut_expect(io(f->master, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d), 0,
		  "DESTROYPROPBLOB by its creator");
	g.data = 0;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPBLOB, &g), -ENOENT,
		  "GETPROPBLOB of a destroyed blob");

	third = ut_open(f->dev, UDRM_NODE_PRIMARY, O_RDWR);
	ut_expect(io(third, DRM_IOCTL_MODE_CREATEPROPBLOB, &c), 0,
		  "CREATEPROPBLOB in a third file");
	udrm_file_close(third);
	g.blob_id = c.blob_id;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETPROPBLOB, &g), -ENOENT,
		  "a file's blobs go when it closes");
}

static void addfb_checks_follow_framebuffer_check(void **state)
{
	struct fix *f = *state;
	struct udrm_file *m = f->master;
	uint32_t pitch, h = dumb(m, 64, 64, &pitch);
	struct drm_mode_fb_cmd old = {.width = 64,
				      .height = 64,
				      .pitch = pitch,
				      .bpp = 32,
				      .depth = 24,
				      .handle = h};
	struct drm_mode_fb_cmd2 r;

	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), 0, "ADDFB 32/24");
	ut_check(old.fb_id, "ADDFB returns an id");
	old.depth = 23;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -EINVAL,
		  "ADDFB with depth 23");
	old.depth = 24;
	old.handle = 999;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -ENOENT,
		  "ADDFB of an unknown handle");
	old.handle = h;
	old.pitch = 64 * 4 - 1;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -EINVAL,
		  "ADDFB with a pitch below width * cpp");
	old.pitch = pitch;
	old.height = 65;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -EINVAL,
		  "ADDFB larger than its buffer");
	old.height = 64;
	old.width = 0;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -EINVAL,
		  "ADDFB of width 0");
	old.width = 9;
	ut_expect(io(m, DRM_IOCTL_MODE_ADDFB, &old), -EINVAL,
		  "ADDFB below the minimum width (10)");

#define R2(...)                                                                \
	do {                                                                   \
		memset(&r, 0, sizeof(r));                                      \
		r.width = 64;                                                  \
		r.height = 64;                                                 \
		r.pixel_format = DRM_FORMAT_XRGB8888;                          \
		r.handles[0] = h;                                              \
		r.pitches[0] = pitch;                                          \
		__VA_ARGS__;                                                   \
	} while (0)
	R2();
	ut_expect(addfb2(m, &r), 0, "ADDFB2 XRGB8888");
	R2(r.pixel_format = fourcc_code('Z', 'Z', 'Z', 'Z'));
	ut_expect(addfb2(m, &r), -EINVAL, "ADDFB2 of an unknown format");
	R2(r.pixel_format = DRM_FORMAT_YUYV);
	ut_expect(addfb2(m, &r), -EINVAL, "ADDFB2 of a format no plane has");
	R2(r.flags = 1u << 7);
	ut_expect(addfb2(m, &r), -EINVAL, "ADDFB2 with an unknown flag");
	R2(r.modifier[0] = DRM_FORMAT_MOD_LINEAR + 1);
	ut_expect(addfb2(m, &r), -EINVAL, "a modifier without the flag");
	R2(r.flags = DRM_MODE_FB_MODIFIERS;
	   r.modifier[0] = I915_FORMAT_MOD_X_TILED);
	ut_expect(addfb2(m, &r), -EINVAL, "a modifier no plane supports");
	R2(r.flags = DRM_MODE_FB_MODIFIERS);
	ut_expect(addfb2(m, &r), 0, "explicit linear modifier");
	R2(r.flags = DRM_MODE_FB_MODIFIERS; r.handles[1] = h);
	ut_expect(addfb2(m, &r), -EINVAL,
		  "a handle for an unused plane with FB_MODIFIERS");
	R2(r.handles[1] = h);
	ut_expect(addfb2(m, &r), 0,
		  "stale unused-plane fields without FB_MODIFIERS are ignored");
	R2(r.handles[0] = 0);
	ut_expect(addfb2(m, &r), -EINVAL, "no handle for plane 0");
	R2(r.offsets[0] = 4096);
	ut_expect(addfb2(m, &r), -EINVAL, "an offset past the object's end");
	R2(r.offsets[0] = UINT32_MAX - 100);
	ut_expect(addfb2(m, &r), -ERANGE, "height * pitch + offset > 4G");
	R2(r.width = 8193);
	ut_expect(addfb2(m, &r), -EINVAL, "width above the maximum (8192)");
	/* NV12: Y then CbCr at half height in one object. */
	R2(r.pixel_format = DRM_FORMAT_NV12; r.handles[1] = h;
	   r.pitches[0] = 64; r.pitches[1] = 64; r.offsets[1] = 64 * 64);
	ut_expect(addfb2(m, &r), 0, "ADDFB2 NV12 on one object");
	R2(r.pixel_format = DRM_FORMAT_NV12; r.pitches[0] = 64);
	ut_expect(addfb2(m, &r), -EINVAL, "NV12 without a CbCr handle");
#undef R2
}

static void rmfb_and_getfb_follow_ownership(void **state)
{
	struct fix *f = *state;
	uint32_t fb = add_xrgb_fb(f->other, 64, 64);
	struct drm_mode_fb_cmd g = {.fb_id = fb};
	struct drm_mode_fb_cmd2 g2 = {.fb_id = fb};
	struct drm_mode_closefb cf = {.fb_id = fb, .pad = 1};
	struct drm_mode_fb_dirty_cmd dirty = {.fb_id = fb};
	struct drm_clip_rect clip = {0, 0, 4, 4};
	uint32_t id = fb;

	ut_expect(io(f->master, DRM_IOCTL_MODE_GETFB, &g), 0,
		  "GETFB by master");
	ut_check(g.width == 64 && g.height == 64 && g.bpp == 32 &&
			 g.depth == 24 && g.handle != 0,
		 "GETFB: 64x64 bpp 32 depth 24 with a handle for the master");
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETFB, &g), 0,
		  "GETFB by its non-master creator");
	ut_check(g.handle == 0, "no handle for non-masters, got %u", g.handle);
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETFB2, &g2), 0, "GETFB2");
	ut_check(g2.pixel_format == DRM_FORMAT_XRGB8888 && g2.handles[0] &&
			 (g2.flags & DRM_MODE_FB_MODIFIERS) &&
			 g2.modifier[0] == DRM_FORMAT_MOD_LINEAR,
		 "GETFB2: format, handle, linear modifier");

	ut_expect(io(f->master, DRM_IOCTL_MODE_DIRTYFB, &dirty), -ENOSYS,
		  "DIRTYFB on vkms");
	dirty.num_clips = 1;
	ut_expect(io(f->master, DRM_IOCTL_MODE_DIRTYFB, &dirty), -EINVAL,
		  "DIRTYFB with clips but no pointer");
	dirty.clips_ptr = udrm_user_ptr(&clip);
	dirty.flags = DRM_MODE_FB_DIRTY_ANNOTATE_COPY;
	ut_expect(io(f->master, DRM_IOCTL_MODE_DIRTYFB, &dirty), -EINVAL,
		  "DIRTYFB ANNOTATE_COPY with an odd clip count");

	ut_expect(io(f->master, DRM_IOCTL_MODE_RMFB, &id), -ENOENT,
		  "RMFB of another file's fb");
	ut_expect(io(f->other, DRM_IOCTL_MODE_CLOSEFB, &cf), -EINVAL,
		  "CLOSEFB with padding set");
	ut_expect(io(f->other, DRM_IOCTL_MODE_RMFB, &id), 0, "RMFB by owner");
	ut_expect(io(f->other, DRM_IOCTL_MODE_RMFB, &id), -ENOENT,
		  "RMFB twice");
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETFB, &g), -ENOENT,
		  "GETFB after RMFB");

	fb = add_xrgb_fb(f->other, 64, 64);
	cf.fb_id = fb;
	cf.pad = 0;
	ut_expect(io(f->master, DRM_IOCTL_MODE_CLOSEFB, &cf), -ENOENT,
		  "CLOSEFB of another file's fb");
	ut_expect(io(f->other, DRM_IOCTL_MODE_CLOSEFB, &cf), 0, "CLOSEFB");
	ut_expect(io(f->other, DRM_IOCTL_MODE_CLOSEFB, &cf), -ENOENT,
		  "CLOSEFB twice");
}

static void closing_a_file_removes_its_framebuffers(void **state)
{
	struct fix *f = *state;
	struct udrm_file *g = ut_open(f->dev, UDRM_NODE_PRIMARY, O_RDWR);
	uint32_t fb = add_xrgb_fb(g, 32, 32);
	struct drm_mode_fb_cmd q = {.fb_id = fb};
	struct res res;

	ut_expect(io(f->master, DRM_IOCTL_MODE_GETFB, &q), 0,
		  "another file's fb is visible by id");
	get_resources(f->master, &res);
	ut_check(res.r.count_fbs == 0,
		 "GETRESOURCES lists only the caller's fbs, got %u",
		 res.r.count_fbs);
	get_resources(g, &res);
	ut_check(res.r.count_fbs == 1 && res.fbs[0] == fb,
		 "GETRESOURCES lists the file's fb");
	udrm_file_close(g);
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETFB, &q), -ENOENT,
		  "a closed file's fbs are gone");
}

static void getresources_two_call_protocol(void **state)
{
	struct fix *f = *state;
	struct drm_mode_card_res r = {0};
	uint32_t one[1] = {0};
	struct res res;

	ut_expect(io(f->master, DRM_IOCTL_MODE_GETRESOURCES, &r), 0,
		  "GETRESOURCES counts");
	ut_check(r.count_crtcs == 1 && r.count_encoders == 2 &&
			 r.count_connectors == 1 && r.min_width == 10 &&
			 r.max_width == 8192 && r.max_height == 8192,
		 "1 crtc, 2 encoders, 1 connector (writeback hidden), "
		 "10..8192; got %u %u %u %u..%u",
		 r.count_crtcs, r.count_encoders, r.count_connectors,
		 r.min_width, r.max_width);
	/* Too small an array: what fits is copied, the count reported. */
	r.count_crtcs = r.count_connectors = r.count_fbs = 0;
	r.count_encoders = 1;
	r.encoder_id_ptr = udrm_user_ptr(one);
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETRESOURCES, &r), 0,
		  "GETRESOURCES with a short encoder array");
	ut_check(r.count_encoders == 2, "count still 2");
	ut_check(one[0] != 0, "the kernel fills what fits");

	ut_guard_user_faults();
	memset(&r, 0, sizeof(r));
	r.count_crtcs = 1;
	r.crtc_id_ptr = udrm_user_ptr(ut_readonly_page());
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETRESOURCES, &r), -EFAULT,
		  "GETRESOURCES into read-only memory");

	set_cap(f->master, DRM_CLIENT_CAP_ATOMIC, 1);
	set_cap(f->master, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	get_resources(f->master, &res);
	ut_check(res.r.count_connectors == 2,
		 "writeback connectors listed with the cap, got %u",
		 res.r.count_connectors);
}

/* Fails the test if an ioctl left kms->lock held. */
static void expect_kms_unlocked(struct fix *f, const char *what)
{
	int ret = pthread_mutex_trylock(&f->dev->kms->lock);

	ut_check(ret == 0, "%s left kms->lock held", what);
	if (!ret)
		pthread_mutex_unlock(&f->dev->kms->lock);
}

/* Every query ioctl's -EFAULT path (arrays written to read-only memory,
 * lists read from unmapped memory) gives kms->lock back: an earlier run
 * hung in teardown on a lock left held. */
static void efault_paths_release_the_kms_lock(void **state)
{
	struct fix *f = *state;
	void *ro = ut_readonly_page(), *na = ut_noaccess_page();
	uint64_t rop = udrm_user_ptr(ro), nap = udrm_user_ptr(na);
	struct drm_mode_card_res r;
	struct drm_mode_get_plane_res pr;
	struct drm_mode_get_plane gp;
	struct drm_mode_get_connector gc;
	struct drm_mode_obj_get_properties op;
	struct drm_mode_get_property prop;
	struct drm_mode_get_blob gb;
	struct drm_mode_create_blob cb;
	struct drm_mode_crtc_lut lut;
	struct drm_mode_crtc sc;
	struct drm_mode_create_lease cl;
	struct drm_mode_list_lessees ll;
	struct drm_mode_get_lease gl;
	struct drm_mode_modeinfo mode;
	struct res res;
	uint32_t planes[8], id;

	ut_guard_user_faults();
	set_cap(f->master, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	get_resources(f->master, &res);
	get_planes(f->master, planes);

	memset(&r, 0, sizeof(r));
	r.count_encoders = 1;
	r.encoder_id_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETRESOURCES, &r), -EFAULT,
		  "GETRESOURCES");
	expect_kms_unlocked(f, "GETRESOURCES");
	memset(&r, 0, sizeof(r));
	r.count_connectors = 1;
	r.connector_id_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETRESOURCES, &r), -EFAULT,
		  "GETRESOURCES of connectors");
	expect_kms_unlocked(f, "GETRESOURCES of connectors");

	memset(&pr, 0, sizeof(pr));
	pr.count_planes = 1;
	pr.plane_id_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr), -EFAULT,
		  "GETPLANERESOURCES");
	expect_kms_unlocked(f, "GETPLANERESOURCES");

	memset(&gp, 0, sizeof(gp));
	gp.plane_id = planes[0];
	gp.count_format_types = 64;
	gp.format_type_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETPLANE, &gp), -EFAULT,
		  "GETPLANE");
	expect_kms_unlocked(f, "GETPLANE");

	memset(&gc, 0, sizeof(gc));
	gc.connector_id = res.connectors[0];
	gc.count_encoders = 8;
	gc.encoders_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &gc), -EFAULT,
		  "GETCONNECTOR encoders");
	expect_kms_unlocked(f, "GETCONNECTOR encoders");
	memset(&gc, 0, sizeof(gc));
	gc.connector_id = res.connectors[0];
	gc.count_modes = 256;
	gc.modes_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &gc), -EFAULT,
		  "GETCONNECTOR modes");
	expect_kms_unlocked(f, "GETCONNECTOR modes");
	memset(&gc, 0, sizeof(gc));
	gc.connector_id = res.connectors[0];
	gc.count_props = 64;
	gc.props_ptr = rop;
	gc.prop_values_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &gc), -EFAULT,
		  "GETCONNECTOR props");
	expect_kms_unlocked(f, "GETCONNECTOR props");

	memset(&op, 0, sizeof(op));
	op.obj_id = res.crtcs[0];
	op.obj_type = DRM_MODE_OBJECT_CRTC;
	op.count_props = 64;
	op.props_ptr = rop;
	op.prop_values_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op), -EFAULT,
		  "OBJ_GETPROPERTIES");
	expect_kms_unlocked(f, "OBJ_GETPROPERTIES");

	id = find_prop(f->master, res.connectors[0], DRM_MODE_OBJECT_CONNECTOR,
		       "DPMS", NULL);
	ut_check(id != 0, "DPMS property");
	memset(&prop, 0, sizeof(prop));
	prop.prop_id = id;
	prop.count_enum_blobs = 8;
	prop.enum_blob_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETPROPERTY, &prop), -EFAULT,
		  "GETPROPERTY");
	expect_kms_unlocked(f, "GETPROPERTY");

	memset(&mode, 0, sizeof(mode));
	memset(&cb, 0, sizeof(cb));
	cb.data = udrm_user_ptr(&mode);
	cb.length = sizeof(mode);
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATEPROPBLOB, &cb), 0,
		  "CREATEPROPBLOB");
	memset(&gb, 0, sizeof(gb));
	gb.blob_id = cb.blob_id;
	gb.length = sizeof(mode);
	gb.data = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETPROPBLOB, &gb), -EFAULT,
		  "GETPROPBLOB");
	expect_kms_unlocked(f, "GETPROPBLOB");
	cb.data = nap;
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATEPROPBLOB, &cb), -EFAULT,
		  "CREATEPROPBLOB from unmapped memory");
	expect_kms_unlocked(f, "CREATEPROPBLOB");

	memset(&lut, 0, sizeof(lut));
	lut.crtc_id = res.crtcs[0];
	lut.gamma_size = 256;
	lut.red = lut.green = lut.blue = nap;
	ut_check(io(f->master, DRM_IOCTL_MODE_SETGAMMA, &lut) < 0,
		 "SETGAMMA from unmapped memory");
	expect_kms_unlocked(f, "SETGAMMA");
	lut.red = lut.green = lut.blue = rop;
	ut_check(io(f->master, DRM_IOCTL_MODE_GETGAMMA, &lut) < 0,
		 "GETGAMMA into read-only memory");
	expect_kms_unlocked(f, "GETGAMMA");

	memset(&sc, 0, sizeof(sc));
	sc.crtc_id = res.crtcs[0];
	sc.count_connectors = 1;
	sc.set_connectors_ptr = nap;
	ut_check(io(f->master, DRM_IOCTL_MODE_SETCRTC, &sc) < 0,
		 "SETCRTC with connectors in unmapped memory");
	expect_kms_unlocked(f, "SETCRTC");

	memset(&cl, 0, sizeof(cl));
	cl.object_count = 2;
	cl.object_ids = nap;
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATE_LEASE, &cl), -EFAULT,
		  "CREATE_LEASE");
	expect_kms_unlocked(f, "CREATE_LEASE");
	/* More ids than kmalloc gives memory for: ENOMEM before any copy
	 * (the fuzzer's gigabyte allocation). */
	cl.object_count = 0x40000000;
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATE_LEASE, &cl), -ENOMEM,
		  "CREATE_LEASE of 2^30 objects");
	memset(&gl, 0, sizeof(gl));
	gl.count_objects = 64;
	gl.objects_ptr = rop;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GET_LEASE, &gl), -EFAULT,
		  "GET_LEASE");
	expect_kms_unlocked(f, "GET_LEASE");
	memset(&ll, 0, sizeof(ll));
	ut_expect(io(f->master, DRM_IOCTL_MODE_LIST_LESSEES, &ll), 0,
		  "LIST_LESSEES");
	expect_kms_unlocked(f, "LIST_LESSEES");
}

static void
plane_resources_hide_non_overlays_without_universal_planes(void **state)
{
	struct fix *f = *state;
	uint32_t ids[8], formats[128], i, n;
	struct drm_mode_get_plane p = {0};

	n = get_planes(f->master, ids);
	ut_check(n == 1, "only the overlay without the cap, got %u", n);
	set_cap(f->master, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	n = get_planes(f->master, ids);
	ut_check(n == 3, "all three planes with the cap, got %u", n);
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.plane_id = ids[i];
		ut_expect(io(f->master, DRM_IOCTL_MODE_GETPLANE, &p), 0,
			  "GETPLANE count");
		ut_check(p.count_format_types > 0 &&
				 p.count_format_types <= 128,
			 "a plane has formats");
		ut_check(p.possible_crtcs == 1 && p.crtc_id == 0 &&
				 p.fb_id == 0,
			 "plane %u: crtc mask 1, idle", ids[i]);
		p.format_type_ptr = udrm_user_ptr(formats);
		ut_expect(io(f->master, DRM_IOCTL_MODE_GETPLANE, &p), 0,
			  "GETPLANE formats");
		ut_check(formats[0] != 0, "formats copied");
	}
	p.plane_id = f->dev->kms->crtcs[0]->base.id;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETPLANE, &p), -ENOENT,
		  "GETPLANE of a CRTC id");
}

static void connector_reports_modes_and_properties(void **state)
{
	struct fix *f = *state;
	struct udrm_kms *kms = f->dev->kms;
	struct udrm_connector *conn = NULL;
	uint32_t conn_id = 0, enc[4], props[64], i;
	uint64_t vals[64];
	struct drm_mode_modeinfo *modes;
	struct drm_mode_get_connector c = {0};
	struct res res;
	bool found_1024 = false;

	get_resources(f->master, &res);
	conn_id = res.connectors[0];
	for (i = 0; i < kms->num_connector; i++)
		if (kms->connectors[i]->base.id == conn_id)
			conn = kms->connectors[i];
	assert_non_null(conn);
	c.connector_id = conn_id;
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETCONNECTOR, &c), 0,
		  "GETCONNECTOR counts (not master: no probe)");
	ut_check(c.connection == 1 && c.count_modes > 10 &&
			 c.count_encoders == 1 &&
			 c.connector_type == DRM_MODE_CONNECTOR_VIRTUAL &&
			 c.connector_type_id == 1,
		 "Virtual-1 connected with modes and one encoder");
	modes = calloc(c.count_modes, sizeof(*modes));
	c.modes_ptr = udrm_user_ptr(modes);
	c.encoders_ptr = udrm_user_ptr(enc);
	c.props_ptr = udrm_user_ptr(props);
	c.prop_values_ptr = udrm_user_ptr(vals);
	c.count_props = 64;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &c), 0,
		  "GETCONNECTOR with arrays");
	ut_check(modes[0].hdisplay == 1024 && modes[0].vdisplay == 768 &&
			 (modes[0].type & DRM_MODE_TYPE_PREFERRED) &&
			 !strcmp(modes[0].name, "1024x768") &&
			 modes[0].vrefresh == 60,
		 "the preferred 1024x768@60 comes first, got %s",
		 modes[0].name);
	for (i = 0; i < c.count_modes; i++) {
		ut_check(modes[i].hdisplay <= 8192 && modes[i].vdisplay <= 8192,
			 "modes within 8192x8192");
		ut_check(!(modes[i].flags & DRM_MODE_FLAG_INTERLACE),
			 "no interlaced modes");
		ut_check(modes[i].vrefresh <= 61, "noedid modes are <= 61 Hz");
		found_1024 |= modes[i].hdisplay == 1024;
		if (i)
			ut_check(
				(uint64_t)modes[i].hdisplay *
							modes[i].vdisplay <=
						(uint64_t)modes[i - 1]
								.hdisplay *
							modes[i - 1].vdisplay ||
					i == 1,
				"modes sorted by size after the preferred");
	}
	ut_check(found_1024 && (enc[0] == res.encoders[0] ||
				enc[0] == res.encoders[1]),
		 "encoder list holds the connector's encoder");
	ut_check(
		find_prop(f->master, conn_id, DRM_MODE_OBJECT_CONNECTOR, "DPMS",
			  NULL) &&
			find_prop(f->master, conn_id, DRM_MODE_OBJECT_CONNECTOR,
				  "link-status", NULL) &&
			find_prop(f->master, conn_id, DRM_MODE_OBJECT_CONNECTOR,
				  "non-desktop", NULL),
		"connector has DPMS, link-status and non-desktop");
	ut_check(!find_prop(f->master, conn_id, DRM_MODE_OBJECT_CONNECTOR,
			    "CRTC_ID", NULL),
		 "CRTC_ID is hidden from non-atomic clients");
	set_cap(f->master, DRM_CLIENT_CAP_ATOMIC, 1);
	ut_check(find_prop(f->master, conn_id, DRM_MODE_OBJECT_CONNECTOR,
			   "CRTC_ID", NULL),
		 "CRTC_ID shown to atomic clients");
	free(modes);

	/* Forced off: disconnected, no modes; forced on again. */
	ut_expect(udrm_connector_force(conn, UDRM_FORCE_OFF), 0, "force off");
	memset(&c, 0, sizeof(c));
	c.connector_id = conn_id;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &c), 0,
		  "GETCONNECTOR forced off");
	ut_check(c.connection == 2 && c.count_modes == 0,
		 "forced off: disconnected without modes (%u, %u)",
		 c.connection, c.count_modes);
	ut_expect(udrm_connector_force(conn, UDRM_FORCE_ON), 0, "force on");
	ut_check(conn->epoch >= 2 && conn->status == 1,
		 "status changes bump the epoch");
	c.connector_id = res.crtcs[0];
	ut_expect(io(f->master, DRM_IOCTL_MODE_GETCONNECTOR, &c), -ENOENT,
		  "GETCONNECTOR of a CRTC id");
}

static void crtc_and_encoder_getters(void **state)
{
	struct fix *f = *state;
	struct res res;
	struct drm_mode_crtc c = {0};
	struct drm_mode_get_encoder e = {0};

	get_resources(f->master, &res);
	c.crtc_id = res.crtcs[0];
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETCRTC, &c), 0, "GETCRTC");
	ut_check(c.mode_valid == 0 && c.fb_id == 0 && c.gamma_size == 256,
		 "an idle CRTC, gamma size 256 (got %u)", c.gamma_size);
	c.crtc_id = res.encoders[0];
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETCRTC, &c), -ENOENT,
		  "GETCRTC of an encoder id");
	e.encoder_id = res.encoders[0];
	ut_expect(io(f->other, DRM_IOCTL_MODE_GETENCODER, &e), 0, "GETENCODER");
	ut_check(e.encoder_type == DRM_MODE_ENCODER_VIRTUAL &&
			 e.possible_crtcs == 1 && e.possible_clones == 1 &&
			 e.crtc_id == 0,
		 "virtual encoder on crtc mask 1, cloning itself, idle");
}

static long create_lease(struct udrm_file *file, const uint32_t *ids,
			 uint32_t n, uint32_t flags,
			 struct drm_mode_create_lease *cl)
{
	memset(cl, 0, sizeof(*cl));
	cl->object_ids = udrm_user_ptr(ids);
	cl->object_count = n;
	cl->flags = flags;
	return io(file, DRM_IOCTL_MODE_CREATE_LEASE, cl);
}

static void leases_limit_what_the_lessee_sees(void **state)
{
	struct fix *f = *state;
	struct drm_mode_create_lease cl;
	struct drm_mode_list_lessees ll = {0};
	struct drm_mode_get_lease gl = {0};
	struct drm_mode_revoke_lease rl = {0};
	struct drm_mode_crtc gc = {0};
	struct udrm_file *lessee;
	struct res res, lres;
	uint32_t ids[4], lessees[4], objects[8], planes[8];

	get_resources(f->master, &res);
	ids[0] = res.crtcs[0];
	ids[1] = res.connectors[0];
	ut_expect(create_lease(f->other, ids, 2, 0, &cl), -EACCES,
		  "CREATE_LEASE needs master");
	ut_expect(create_lease(f->master, ids, 1, 0, &cl), -EINVAL,
		  "a lease without a connector");
	ids[1] = res.encoders[0];
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), -EINVAL,
		  "encoders cannot be leased");
	ids[1] = 0xfffff;
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), -ENOENT,
		  "an unknown object");
	ids[1] = res.connectors[0];
	ids[2] = res.connectors[0];
	ut_expect(create_lease(f->master, ids, 3, 0, &cl), -ENOSPC,
		  "an object twice (the kernel's idr_alloc)");
	ut_expect(create_lease(f->master, ids, 2, O_APPEND, &cl), -EINVAL,
		  "flags beyond O_CLOEXEC | O_NONBLOCK");
	ut_guard_user_faults();
	memset(&cl, 0, sizeof(cl));
	cl.object_count = 2;
	cl.object_ids = udrm_user_ptr(ut_noaccess_page());
	ut_expect(io(f->master, DRM_IOCTL_MODE_CREATE_LEASE, &cl), -EFAULT,
		  "object list in unmapped memory");

	ut_expect(create_lease(f->master, ids, 2, O_CLOEXEC, &cl), 0,
		  "CREATE_LEASE of crtc + connector");
	ut_check(cl.lessee_id == 1 && cl.fd > 0, "lessee 1 with an fd");
	lessee = udrm_lease_take_file((int)cl.fd);
	ut_check(lessee != NULL, "the lessee file can be taken by its fd");
	ut_check(udrm_lease_take_file((int)cl.fd) == NULL, "only once");
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), -EBUSY,
		  "leasing leased objects again");

	get_resources(lessee, &lres);
	ut_check(lres.r.count_crtcs == 1 && lres.r.count_connectors == 1 &&
			 lres.crtcs[0] == res.crtcs[0],
		 "the lessee sees its crtc and connector");
	set_cap(lessee, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	ut_check(get_planes(lessee, planes) == 2,
		 "and the CRTC's primary and cursor planes, not the overlay");
	gl.count_objects = 8;
	gl.objects_ptr = udrm_user_ptr(objects);
	ut_expect(io(lessee, DRM_IOCTL_MODE_GET_LEASE, &gl), 0, "GET_LEASE");
	ut_check(gl.count_objects == 4,
		 "crtc, connector, primary and cursor: got %u",
		 gl.count_objects);
	gl.count_objects = 0;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GET_LEASE, &gl), 0,
		  "GET_LEASE of the owner");
	ut_check(gl.count_objects > 10, "the owner holds every object");
	gl.pad = 1;
	ut_expect(io(f->master, DRM_IOCTL_MODE_GET_LEASE, &gl), -EINVAL,
		  "GET_LEASE with padding");

	ll.count_lessees = 4;
	ll.lessees_ptr = udrm_user_ptr(lessees);
	ut_expect(io(f->master, DRM_IOCTL_MODE_LIST_LESSEES, &ll), 0,
		  "LIST_LESSEES");
	ut_check(ll.count_lessees == 1 && lessees[0] == 1, "one lessee: 1");
	ut_expect(create_lease(lessee, ids, 2, 0, &cl), -EINVAL,
		  "no sub-leases");

	rl.lessee_id = 7;
	ut_expect(io(f->master, DRM_IOCTL_MODE_REVOKE_LEASE, &rl), -ENOENT,
		  "REVOKE_LEASE of an unknown lessee");
	rl.lessee_id = 1;
	ut_expect(io(f->master, DRM_IOCTL_MODE_REVOKE_LEASE, &rl), 0,
		  "REVOKE_LEASE");
	get_resources(lessee, &lres);
	ut_check(lres.r.count_crtcs == 0 && lres.r.count_connectors == 0,
		 "a revoked lessee sees no CRTC or connector");
	gc.crtc_id = res.crtcs[0];
	ut_expect(io(lessee, DRM_IOCTL_MODE_GETCRTC, &gc), -ENOENT,
		  "GETCRTC by a revoked lessee");
	ll.count_lessees = 4;
	ut_expect(io(f->master, DRM_IOCTL_MODE_LIST_LESSEES, &ll), 0,
		  "LIST_LESSEES after revoke");
	ut_check(ll.count_lessees == 0, "revoked leases are not listed");
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), 0,
		  "the objects can be leased again");
	ut_check(cl.lessee_id == 2, "a new lessee id (1 still open)");
	udrm_file_close(lessee);
	/* The second lessee file stays untaken: closed with the device. */
}

/* drm_mode_create_lease_ioctl(): a lease needs some objects (-EINVAL
 * before anything else is looked at); a revoked lease holds nothing, and
 * asking it about an object is not a search of a NULL array (UBSan). */
static void
lease_of_no_objects_is_einval_and_revoked_holds_nothing(void **state)
{
	struct fix *f = *state;
	struct drm_mode_create_lease cl;
	struct drm_mode_revoke_lease rl = {0};
	struct drm_mode_get_lease gl = {0};
	struct drm_mode_crtc gc = {0};
	struct udrm_file *lessee;
	struct res res, lres;
	uint32_t ids[2], objects[8];

	ut_expect(create_lease(f->master, NULL, 0, 0, &cl), -EINVAL,
		  "CREATE_LEASE of no objects");
	ut_expect(create_lease(f->master, NULL, 0, O_APPEND, &cl), -EINVAL,
		  "CREATE_LEASE of no objects and bad flags");

	get_resources(f->master, &res);
	ids[0] = res.crtcs[0];
	ids[1] = res.connectors[0];
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), 0, "CREATE_LEASE");
	lessee = udrm_lease_take_file((int)cl.fd);
	ut_check(lessee != NULL, "the lessee file");
	rl.lessee_id = cl.lessee_id;
	ut_expect(io(f->master, DRM_IOCTL_MODE_REVOKE_LEASE, &rl), 0,
		  "REVOKE_LEASE");
	get_resources(lessee, &lres);
	ut_check(lres.r.count_crtcs == 0 && lres.r.count_connectors == 0,
		 "a revoked lessee sees no CRTC or connector");
	gc.crtc_id = res.crtcs[0];
	ut_expect(io(lessee, DRM_IOCTL_MODE_GETCRTC, &gc), -ENOENT,
		  "GETCRTC by a revoked lessee");
	gl.count_objects = 8;
	gl.objects_ptr = udrm_user_ptr(objects);
	ut_expect(io(lessee, DRM_IOCTL_MODE_GET_LEASE, &gl), 0,
		  "GET_LEASE of a revoked lease");
	ut_expect(gl.count_objects, 0, "objects of a revoked lease");
	/* The objects are free to lease again. */
	ut_expect(create_lease(f->master, ids, 2, 0, &cl), 0,
		  "leasing the revoked objects again");
	udrm_file_close(lessee);
}

static void mode_helpers_follow_drm_modes(void **state)
{
	struct drm_mode_modeinfo m = {
		.clock = 65000,
		.hdisplay = 1024,
		.hsync_start = 1048,
		.hsync_end = 1184,
		.htotal = 1344,
		.vdisplay = 768,
		.vsync_start = 771,
		.vsync_end = 777,
		.vtotal = 806,
	};

	(void)state;
	ut_expect(udrm_mode_vrefresh(&m), 60, "1024x768 DMT refresh");
	ut_check(udrm_mode_frame_ns(&m) == 16665600ull,
		 "frame time 16.6656 ms, got %llu",
		 (unsigned long long)udrm_mode_frame_ns(&m));
	udrm_mode_set_name(&m);
	ut_check(!strcmp(m.name, "1024x768") && m.vrefresh == 60, "set_name");
	ut_expect(udrm_mode_validate_user(&m), 0, "a good mode");
	m.flags = DRM_MODE_FLAG_PIC_AR_MASK;
	ut_expect(udrm_mode_validate_user(&m), -EINVAL, "a bad aspect ratio");
	m.flags = 1u << 30;
	ut_expect(udrm_mode_validate_user(&m), -EINVAL, "an unknown flag");
	m.flags = 0;
	m.clock = 0x80000000u;
	ut_expect(udrm_mode_validate_user(&m), -ERANGE, "clock > INT_MAX");
	m.clock = 0;
	ut_expect(udrm_mode_validate_user(&m), -EINVAL, "clock 0");
	m.clock = 65000;
	m.hsync_start = 1000;
	ut_expect(udrm_mode_validate_user(&m), -EINVAL,
		  "hsync before the end of the display");
}

static void format_table_matches_drm_fourcc(void **state)
{
	static const struct {
		uint32_t format;
		uint8_t planes, cpp0, cpp1, hsub, vsub, depth;
	} want[] = {
		{DRM_FORMAT_ARGB8888, 1, 4, 0, 1, 1, 32},
		{DRM_FORMAT_ABGR8888, 1, 4, 0, 1, 1, 32},
		{DRM_FORMAT_BGRA8888, 1, 4, 0, 1, 1, 32},
		{DRM_FORMAT_RGBA8888, 1, 4, 0, 1, 1, 32},
		{DRM_FORMAT_XRGB8888, 1, 4, 0, 1, 1, 24},
		{DRM_FORMAT_XBGR8888, 1, 4, 0, 1, 1, 24},
		{DRM_FORMAT_RGBX8888, 1, 4, 0, 1, 1, 24},
		{DRM_FORMAT_BGRX8888, 1, 4, 0, 1, 1, 24},
		{DRM_FORMAT_RGB888, 1, 3, 0, 1, 1, 24},
		{DRM_FORMAT_BGR888, 1, 3, 0, 1, 1, 24},
		{DRM_FORMAT_XRGB16161616, 1, 8, 0, 1, 1, 0},
		{DRM_FORMAT_XBGR16161616, 1, 8, 0, 1, 1, 0},
		{DRM_FORMAT_ARGB16161616, 1, 8, 0, 1, 1, 0},
		{DRM_FORMAT_ABGR16161616, 1, 8, 0, 1, 1, 0},
		{DRM_FORMAT_RGB565, 1, 2, 0, 1, 1, 16},
		{DRM_FORMAT_BGR565, 1, 2, 0, 1, 1, 16},
		{DRM_FORMAT_XRGB2101010, 1, 4, 0, 1, 1, 30},
		{DRM_FORMAT_ARGB2101010, 1, 4, 0, 1, 1, 30},
		{DRM_FORMAT_XBGR2101010, 1, 4, 0, 1, 1, 30},
		{DRM_FORMAT_ABGR2101010, 1, 4, 0, 1, 1, 30},
		{DRM_FORMAT_NV12, 2, 1, 2, 2, 2, 0},
		{DRM_FORMAT_NV21, 2, 1, 2, 2, 2, 0},
		{DRM_FORMAT_NV16, 2, 1, 2, 2, 1, 0},
		{DRM_FORMAT_NV61, 2, 1, 2, 2, 1, 0},
		{DRM_FORMAT_NV24, 2, 1, 2, 1, 1, 0},
		{DRM_FORMAT_NV42, 2, 1, 2, 1, 1, 0},
		{DRM_FORMAT_YUV420, 3, 1, 1, 2, 2, 0},
		{DRM_FORMAT_YVU420, 3, 1, 1, 2, 2, 0},
		{DRM_FORMAT_YUV422, 3, 1, 1, 2, 1, 0},
		{DRM_FORMAT_YVU422, 3, 1, 1, 2, 1, 0},
		{DRM_FORMAT_YUV444, 3, 1, 1, 1, 1, 0},
		{DRM_FORMAT_YVU444, 3, 1, 1, 1, 1, 0},
		{DRM_FORMAT_P010, 2, 2, 4, 2, 2, 0},
		{DRM_FORMAT_P012, 2, 2, 4, 2, 2, 0},
		{DRM_FORMAT_P016, 2, 2, 4, 2, 2, 0},
		{DRM_FORMAT_R1, 1, 1, 0, 1, 1, 1},
		{DRM_FORMAT_R2, 1, 1, 0, 1, 1, 2},
		{DRM_FORMAT_R4, 1, 1, 0, 1, 1, 4},
		{DRM_FORMAT_R8, 1, 1, 0, 1, 1, 8},
		{DRM_FORMAT_C8, 1, 1, 0, 1, 1, 8},
	};
	const struct udrm_format_info *info;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		info = udrm_format_info(want[i].format);
		ut_check(info, "format %zu is known", i);
		ut_check(info->num_planes == want[i].planes &&
				 info->cpp[0] == want[i].cpp0 &&
				 info->cpp[1] == want[i].cpp1 &&
				 info->hsub == want[i].hsub &&
				 info->vsub == want[i].vsub &&
				 info->depth == want[i].depth,
			 "format %.4s: planes/cpp/subsampling/depth",
			 (const char *)&want[i].format);
	}
	ut_check(udrm_format_info(DRM_FORMAT_ARGB8888)->has_alpha &&
			 !udrm_format_info(DRM_FORMAT_XRGB8888)->has_alpha &&
			 udrm_format_info(DRM_FORMAT_NV12)->is_yuv,
		 "alpha and yuv flags");
	ut_check(udrm_format_min_pitch(udrm_format_info(DRM_FORMAT_R1), 0, 9) ==
			 2,
		 "R1 packs 8 pixels a byte: 9 pixels need 2 bytes");
	ut_check(udrm_format_min_pitch(udrm_format_info(DRM_FORMAT_R4), 0, 3) ==
			 2,
		 "R4: 3 pixels need 2 bytes");
	ut_check(udrm_format_min_pitch(udrm_format_info(DRM_FORMAT_NV12), 1,
				       32) == 64,
		 "NV12 CbCr: 2 bytes per (subsampled) pixel");
	ut_expect(udrm_mode_legacy_fb_format(32, 24), DRM_FORMAT_XRGB8888,
		  "32/24");
	ut_expect(udrm_mode_legacy_fb_format(32, 32), DRM_FORMAT_ARGB8888,
		  "32/32");
	ut_expect(udrm_mode_legacy_fb_format(32, 30), DRM_FORMAT_XRGB2101010,
		  "32/30");
	ut_expect(udrm_mode_legacy_fb_format(16, 16), DRM_FORMAT_RGB565,
		  "16/16");
	ut_expect(udrm_mode_legacy_fb_format(16, 15), DRM_FORMAT_XRGB1555,
		  "16/15");
	ut_expect(udrm_mode_legacy_fb_format(24, 24), DRM_FORMAT_RGB888,
		  "24/24");
	ut_expect(udrm_mode_legacy_fb_format(8, 8), DRM_FORMAT_C8, "8/8");
	ut_expect(udrm_mode_legacy_fb_format(32, 16), DRM_FORMAT_INVALID,
		  "32/16");
	ut_check(udrm_format_info(DRM_FORMAT_YUYV) == NULL ||
			 udrm_format_info(DRM_FORMAT_YUYV)->format ==
				 DRM_FORMAT_YUYV,
		 "lookup by fourcc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(object_ids_are_unique_and_typed),
		T(property_values_are_validated_per_type),
		T(getproperty_reports_enums_and_values_two_call),
		T(blobs_belong_to_their_file),
		T(addfb_checks_follow_framebuffer_check),
		T(rmfb_and_getfb_follow_ownership),
		T(closing_a_file_removes_its_framebuffers),
		T(getresources_two_call_protocol),
		T(efault_paths_release_the_kms_lock),
		T(plane_resources_hide_non_overlays_without_universal_planes),
		T(connector_reports_modes_and_properties),
		T(crtc_and_encoder_getters),
		T(leases_limit_what_the_lessee_sees),
		T(lease_of_no_objects_is_einval_and_revoked_holds_nothing),
		cmocka_unit_test(mode_helpers_follow_drm_modes),
		cmocka_unit_test(format_table_matches_drm_fourcc),
#undef T
	};

	return cmocka_run_group_tests_name("kms/objects", tests, NULL, NULL);
}
