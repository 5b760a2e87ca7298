// SPDX-License-Identifier: MIT
/*
 * The vkms driver through the embedding API, as a program sees it: the
 * writeback connector and its out-fence, CRCs through debugfs, hotplug
 * through sysfs, the topology from the device's options, display capture,
 * fbdev emulation and teardown with a CRC reader still blocked.
 *
 * Everything goes through udrm_file_ioctl() with the DRM uapi structs and
 * the virtual files; nothing looks inside the driver.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <drm_fourcc.h>
#include <linux/sync_file.h>

#include "udrm_test.h"

/* enum drm_plane_type, not in the uapi headers */
#define PLANE_TYPE_OVERLAY 0
#define PLANE_TYPE_PRIMARY 1
#define PLANE_TYPE_CURSOR  2

/* enum drm_connector_status (libdrm's CONNECTED...) */
#define CONNECTED    1
#define DISCONNECTED 2
#define UNKNOWN	     3

#define W 1024
#define H 768

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

struct buf {
	uint32_t handle, fb_id, pitch, width, height, format;
	uint64_t size;
	uint8_t *map;
};

/* What the capture callback saw (checked on the composer thread). */
struct capture {
	uint32_t seed;
	atomic_int frames, good, bad;
	char first_bad[256];
	atomic_bool have_bad;
};

struct vt {
	struct udrm_device *dev;
	struct udrm_file *file;
	uint32_t crtcs[8], conns[8], encs[8], planes[16];
	unsigned int ncrtc, nconn, nenc, nplane;
	uint32_t conn;	  /* first Virtual connector */
	uint32_t wb;	  /* first writeback connector, 0 if none */
	uint32_t primary; /* primary plane of CRTC 0 */
	struct drm_mode_modeinfo mode; /* 1024x768 */
	uint32_t mode_blob;
	struct buf bufs[8];
	unsigned int nbufs;
	struct udrm_vfile_open *opens[8];
	unsigned int nopens;
	struct capture cap;
};

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct vt));
	return *state ? 0 : -1;
}

static void close_device(struct vt *t)
{
	unsigned int i;

	for (i = 0; i < t->nopens; i++)
		udrm_vfile_close(t->opens[i]);
	t->nopens = 0;
	if (t->file)
		udrm_file_close(t->file);
	t->file = NULL;
	if (t->dev)
		udrm_device_destroy(t->dev);
	t->dev = NULL;
	for (i = 0; i < t->nbufs; i++)
		munmap(t->bufs[i].map, t->bufs[i].size);
	t->nbufs = 0;
	/* What open_device() found belongs to that device. */
	t->ncrtc = t->nconn = t->nenc = t->nplane = 0;
	t->conn = t->wb = t->primary = t->mode_blob = 0;
	memset(&t->mode, 0, sizeof(t->mode));
}

static int teardown(void **state)
{
	struct vt *t = *state;

	close_device(t);
	free(t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* uapi helpers                                                        */

static void set_cap(struct udrm_file *file, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap req = {.capability = cap, .value = value};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_SET_CLIENT_CAP, &req), 0,
		  "SET_CLIENT_CAP %llu = %llu", (unsigned long long)cap,
		  (unsigned long long)value);
}

/* GETRESOURCES (and GETPLANERESOURCES) into @t. */
static void get_resources(struct vt *t)
{
	struct drm_mode_card_res res = {0};
	struct drm_mode_get_plane_res pres = {0};

	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETRESOURCES, &res),
		  0, "GETRESOURCES (counts)");
	ut_check(res.count_crtcs <= 8 && res.count_connectors <= 8 &&
			 res.count_encoders <= 8,
		 "GETRESOURCES: more objects than the test expects (%u "
		 "CRTCs, %u connectors, %u encoders)",
		 res.count_crtcs, res.count_connectors, res.count_encoders);
	res.count_fbs = 0;
	res.crtc_id_ptr = (uintptr_t)t->crtcs;
	res.connector_id_ptr = (uintptr_t)t->conns;
	res.encoder_id_ptr = (uintptr_t)t->encs;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETRESOURCES, &res),
		  0, "GETRESOURCES");
	t->ncrtc = res.count_crtcs;
	t->nconn = res.count_connectors;
	t->nenc = res.count_encoders;

	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPLANERESOURCES,
				  &pres),
		  0, "GETPLANERESOURCES (count)");
	ut_check(pres.count_planes <= 16, "%u planes: more than expected",
		 pres.count_planes);
	pres.plane_id_ptr = (uintptr_t)t->planes;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPLANERESOURCES,
				  &pres),
		  0, "GETPLANERESOURCES");
	t->nplane = pres.count_planes;
}

/* The id of property @name on object @obj, and its current value. */
static uint32_t find_prop(struct udrm_file *file, uint32_t obj, uint32_t type,
			  const char *name, uint64_t *value)
{
	struct drm_mode_obj_get_properties req = {.obj_id = obj,
						  .obj_type = type};
	uint32_t ids[64];
	uint64_t values[64];
	uint32_t i;

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &req),
		  0, "OBJ_GETPROPERTIES of object %u (count)", obj);
	ut_check(req.count_props <= 64, "object %u has %u properties", obj,
		 req.count_props);
	req.props_ptr = (uintptr_t)ids;
	req.prop_values_ptr = (uintptr_t)values;
	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &req),
		  0, "OBJ_GETPROPERTIES of object %u", obj);
	for (i = 0; i < req.count_props; i++) {
		struct drm_mode_get_property p = {.prop_id = ids[i]};

		ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_GETPROPERTY, &p),
			  0, "GETPROPERTY %u", ids[i]);
		if (!strcmp(p.name, name)) {
			if (value)
				*value = values[i];
			return ids[i];
		}
	}
	fail_msg("object %u has no property \"%s\"", obj, name);
	return 0;
}

static uint64_t prop_value(struct udrm_file *file, uint32_t obj, uint32_t type,
			   const char *name)
{
	uint64_t v = 0;

	find_prop(file, obj, type, name, &v);
	return v;
}

/* GETCONNECTOR: the connector and (if @modes) its modes, malloc'd. */
static void get_connector(struct udrm_file *file, uint32_t id,
			  struct drm_mode_get_connector *c,
			  struct drm_mode_modeinfo **modes)
{
	struct drm_mode_modeinfo *m = NULL;
	uint32_t encs[16];

	memset(c, 0, sizeof(*c));
	c->connector_id = id;
	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_GETCONNECTOR, c), 0,
		  "GETCONNECTOR %u (counts)", id);
	if (c->count_modes) {
		m = calloc(c->count_modes, sizeof(*m));
		assert_non_null(m);
	}
	ut_check(c->count_encoders <= 16, "connector %u has %u encoders", id,
		 c->count_encoders);
	c->modes_ptr = (uintptr_t)m;
	c->encoders_ptr = (uintptr_t)encs;
	c->count_props = 0;
	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_GETCONNECTOR, c), 0,
		  "GETCONNECTOR %u", id);
	if (modes)
		*modes = m;
	else
		free(m);
}

static uint32_t create_blob(struct udrm_file *file, const void *data,
			    size_t len)
{
	struct drm_mode_create_blob req = {
		.data = (uintptr_t)data,
		.length = (uint32_t)len,
	};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_CREATEPROPBLOB, &req), 0,
		  "CREATEPROPBLOB of %zu bytes", len);
	return req.blob_id;
}

/* A dumb buffer of @w x @h at @bpp, mapped, with a framebuffer of
 * @format on it. */
static struct buf *create_buf_bpp(struct vt *t, uint32_t w, uint32_t h,
				  uint32_t bpp, uint32_t format)
{
	struct buf *b = &t->bufs[t->nbufs];
	struct drm_mode_fb_cmd2 r = {0};

	assert_true(t->nbufs < 8);
	b->handle = ut_dumb_create(t->file, w, h, bpp, &b->pitch, &b->size);
	b->map = ut_mmap(t->file, ut_map_offset(t->file, b->handle),
			 (size_t)b->size, PROT_READ | PROT_WRITE);
	t->nbufs++;
	b->width = w;
	b->height = h;
	b->format = format;
	r.width = w;
	r.height = h;
	r.pixel_format = format;
	r.handles[0] = b->handle;
	r.pitches[0] = b->pitch;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_ADDFB2, &r), 0,
		  "ADDFB2 %ux%u of format %.4s", w, h, (const char *)&format);
	b->fb_id = r.fb_id;
	return b;
}

/* The same at 32 bpp. */
static struct buf *create_buf(struct vt *t, uint32_t w, uint32_t h,
			      uint32_t format)
{
	return create_buf_bpp(t, w, h, 32, format);
}

/* The pattern: 24 bits of colour per pixel from its position and @seed. */
static uint32_t pattern_rgb(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t v = x * 2654435761u ^ (y + seed * 7919u) * 40503u;

	v ^= v >> 15;
	v *= 0x2c1b3c6du;
	v ^= v >> 12;
	return v & 0xffffff;
}

/* XRGB8888 with a junk X byte that must be ignored. */
static void fill_pattern(struct buf *b, uint32_t seed)
{
	uint32_t x, y;

	for (y = 0; y < b->height; y++) {
		uint32_t *row = (uint32_t *)(b->map + (size_t)y * b->pitch);

		for (x = 0; x < b->width; x++)
			row[x] = 0x5a000000u | pattern_rgb(x, y, seed);
	}
}

/* An atomic request under construction: properties by name. */
struct req {
	uint32_t objs[16], counts[16], props[64];
	uint64_t values[64];
	uint32_t nobj, nprop;
};

static void add(struct vt *t, struct req *r, uint32_t obj, uint32_t type,
		const char *name, uint64_t value)
{
	uint32_t prop = find_prop(t->file, obj, type, name, NULL);

	assert_true(r->nprop < 64);
	if (!r->nobj || r->objs[r->nobj - 1] != obj) {
		assert_true(r->nobj < 16);
		r->objs[r->nobj] = obj;
		r->counts[r->nobj++] = 0;
	}
	r->counts[r->nobj - 1]++;
	r->props[r->nprop] = prop;
	r->values[r->nprop++] = value;
}

static int commit(struct vt *t, struct req *r, uint32_t flags)
{
	struct drm_mode_atomic a = {
		.flags = flags,
		.count_objs = r->nobj,
		.objs_ptr = (uintptr_t)r->objs,
		.count_props_ptr = (uintptr_t)r->counts,
		.props_ptr = (uintptr_t)r->props,
		.prop_values_ptr = (uintptr_t)r->values,
	};

	return udrm_file_ioctl(t->file, DRM_IOCTL_MODE_ATOMIC, &a);
}

/* CRTC 0 on with the mode, the connector routed to it. */
static void add_modeset(struct vt *t, struct req *r, bool active)
{
	ut_check(t->mode_blob != 0,
		 "the Virtual connector offers no preferred %ux%u mode", W, H);
	add(t, r, t->crtcs[0], DRM_MODE_OBJECT_CRTC, "ACTIVE", active);
	add(t, r, t->crtcs[0], DRM_MODE_OBJECT_CRTC, "MODE_ID", t->mode_blob);
	add(t, r, t->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
}

/* The primary plane of CRTC 0 showing @b over the whole mode. */
static void add_primary(struct vt *t, struct req *r, const struct buf *b)
{
	const uint32_t p = t->primary, o = DRM_MODE_OBJECT_PLANE;

	add(t, r, p, o, "FB_ID", b->fb_id);
	add(t, r, p, o, "CRTC_ID", t->crtcs[0]);
	add(t, r, p, o, "SRC_X", 0);
	add(t, r, p, o, "SRC_Y", 0);
	add(t, r, p, o, "SRC_W", (uint64_t)W << 16);
	add(t, r, p, o, "SRC_H", (uint64_t)H << 16);
	add(t, r, p, o, "CRTC_X", 0);
	add(t, r, p, o, "CRTC_Y", 0);
	add(t, r, p, o, "CRTC_W", W);
	add(t, r, p, o, "CRTC_H", H);
}

/* Lights CRTC 0 with @b on its primary plane (blocking commit). */
static void light(struct vt *t, const struct buf *b)
{
	struct req r = {0};

	add_modeset(t, &r, true);
	add_primary(t, &r, b);
	ut_expect(commit(t, &r, DRM_MODE_ATOMIC_ALLOW_MODESET), 0,
		  "modeset of %ux%u on CRTC %u with fb %u", W, H, t->crtcs[0],
		  b->fb_id);
}

/* Shows @b instead (a blocking flip, no modeset). */
static void flip(struct vt *t, const struct buf *b)
{
	struct req r = {0};

	add(t, &r, t->primary, DRM_MODE_OBJECT_PLANE, "FB_ID", b->fb_id);
	ut_expect(commit(t, &r, 0), 0, "flip to fb %u", b->fb_id);
}

/* Creates the device with @options (NULL: the default topology) on card0,
 * opens it as an atomic client and finds the objects the tests use. */
static void open_device(struct vt *t, const char *options, bool writeback)
{
	struct udrm_device_desc desc = {
		.driver = "vkms",
		.primary_minor = 0,
		.render_minor = -1,
		.options = options,
	};
	struct drm_mode_modeinfo *modes = NULL;
	struct drm_mode_get_connector c;
	unsigned int i;

	ut_expect(udrm_device_create(&desc, &t->dev), 0,
		  "creating vkms with options \"%s\"",
		  options ? options : "(none)");
	t->file = ut_open(t->dev, UDRM_NODE_PRIMARY, O_RDWR);
	set_cap(t->file, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	set_cap(t->file, DRM_CLIENT_CAP_ATOMIC, 1);
	if (writeback)
		set_cap(t->file, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	get_resources(t);
	ut_check(t->ncrtc >= 1, "vkms has no CRTC");

	for (i = 0; i < t->nconn; i++) {
		get_connector(t->file, t->conns[i], &c, NULL);
		if (c.connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			if (!t->wb)
				t->wb = t->conns[i];
		} else if (!t->conn) {
			t->conn = t->conns[i];
		}
	}
	ut_check(t->conn != 0, "vkms has no Virtual connector");

	for (i = 0; i < t->nplane; i++) {
		struct drm_mode_get_plane p = {.plane_id = t->planes[i]};

		ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPLANE, &p),
			  0, "GETPLANE %u", t->planes[i]);
		if ((p.possible_crtcs & 1) &&
		    prop_value(t->file, t->planes[i], DRM_MODE_OBJECT_PLANE,
			       "type") == PLANE_TYPE_PRIMARY)
			t->primary = t->planes[i];
	}
	ut_check(t->primary != 0, "CRTC 0 has no primary plane");

	/* The 1024x768 mode the connector offers (its preferred one). */
	get_connector(t->file, t->conn, &c, &modes);
	for (i = 0; i < c.count_modes; i++) {
		if (modes[i].hdisplay == W && modes[i].vdisplay == H &&
		    (modes[i].type & DRM_MODE_TYPE_PREFERRED)) {
			t->mode = modes[i];
			break;
		}
	}
	free(modes);
	/* (None when the connector is disconnected: light() fails then.) */
	if (t->mode.hdisplay == W)
		t->mode_blob = create_blob(t->file, &t->mode, sizeof(t->mode));
}

/* ------------------------------------------------------------------ */
/* Virtual files                                                       */

struct vfile_find {
	enum udrm_vfile_root root;
	const char *path;
	struct udrm_vfile *found;
	unsigned int mode;
};

static int vfile_match(void *ctx, enum udrm_vfile_root root, const char *path,
		       unsigned int mode, struct udrm_vfile *vfile)
{
	struct vfile_find *f = ctx;

	if (root != f->root || strcmp(path, f->path))
		return 0;
	f->found = vfile;
	f->mode = mode;
	return 1;
}

static struct udrm_vfile *
find_vfile(struct udrm_device *dev, enum udrm_vfile_root root, const char *path)
{
	struct vfile_find f = {.root = root, .path = path};

	udrm_device_for_each_vfile(dev, vfile_match, &f);
	ut_check(f.found != NULL, "no %s file \"%s\"",
		 root == UDRM_VFILE_SYSFS ? "sysfs" : "debugfs", path);
	return f.found;
}

static struct udrm_vfile_open *open_vfile(struct vt *t, struct udrm_vfile *vf,
					  int flags, const char *path)
{
	struct udrm_vfile_open *of = NULL;

	ut_expect(udrm_vfile_open(vf, flags, &of), 0, "opening %s", path);
	assert_true(t->nopens < 8);
	t->opens[t->nopens++] = of;
	return of;
}

static void close_vfile(struct vt *t, struct udrm_vfile_open *of)
{
	unsigned int i;

	for (i = 0; i < t->nopens; i++) {
		if (t->opens[i] == of) {
			t->opens[i] = t->opens[--t->nopens];
			break;
		}
	}
	udrm_vfile_close(of);
}

/* The whole content of an attribute file, read from offset 0. */
static void read_attr(struct vt *t, const char *path, char *buf, size_t len)
{
	struct udrm_vfile *vf = find_vfile(t->dev, UDRM_VFILE_SYSFS, path);
	struct udrm_vfile_open *of = NULL;
	ssize_t n;

	ut_expect(udrm_vfile_open(vf, O_RDONLY, &of), 0, "opening %s", path);
	n = udrm_vfile_read(of, buf, len - 1, 0);
	udrm_vfile_close(of);
	ut_check(n >= 0, "reading %s: %s", path, ut_errname(n));
	buf[n] = '\0';
}

static void expect_attr(struct vt *t, const char *path, const char *want)
{
	char buf[4096];

	read_attr(t, path, buf, sizeof(buf));
	ut_check(!strcmp(buf, want), "%s reads \"%s\", expected \"%s\"", path,
		 buf, want);
}

static ssize_t write_attr(struct vt *t, const char *path, const char *text)
{
	struct udrm_vfile *vf = find_vfile(t->dev, UDRM_VFILE_SYSFS, path);
	struct udrm_vfile_open *of = NULL;
	ssize_t n;

	ut_expect(udrm_vfile_open(vf, O_WRONLY, &of), 0, "opening %s", path);
	n = udrm_vfile_write(of, text, strlen(text), -1);
	udrm_vfile_close(of);
	return n;
}

/* ------------------------------------------------------------------ */
/* 1. Writeback                                                        */

static bool wait_pollin(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void test_writeback_out_fence_signals_with_the_picture(void **state)
{
	struct vt *t = *state;
	struct drm_mode_get_connector c;
	struct sync_file_info info = {0};
	struct buf *src, *dst;
	int32_t fence = -2;
	struct req r = {0};
	uint32_t x, y;

	open_device(t, NULL, true);
	ut_check(t->wb != 0,
		 "no connector of type DRM_MODE_CONNECTOR_WRITEBACK with "
		 "DRM_CLIENT_CAP_WRITEBACK_CONNECTORS set");
	get_connector(t->file, t->wb, &c, NULL);
	ut_expect(c.connection, CONNECTED, "status of the writeback connector");

	src = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	dst = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	fill_pattern(src, 1);
	add_modeset(t, &r, true);
	add_primary(t, &r, src);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    dst->fb_id);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
	    (uintptr_t)&fence);
	ut_expect(commit(t, &r, DRM_MODE_ATOMIC_ALLOW_MODESET), 0,
		  "modeset with a writeback job and an out-fence");
	ut_check(fence >= 0, "no writeback out-fence fd returned (%d)", fence);
	ut_check(wait_pollin(fence, 2000),
		 "the writeback out-fence did not poll POLLIN within 2 s");
	ut_expect(udrm_sync_file_ioctl(fence, SYNC_IOC_FILE_INFO, &info), 0,
		  "SYNC_IOC_FILE_INFO on the writeback fence");
	ut_expect(info.status, 1,
		  "status of the writeback fence (1: signalled without error)");
	close(fence);

	for (y = 0; y < H; y++) {
		const uint32_t *row =
			(const uint32_t *)(dst->map + (size_t)y * dst->pitch);

		for (x = 0; x < W; x++)
			ut_check((row[x] & 0xffffff) == pattern_rgb(x, y, 1),
				 "writeback pixel (%u,%u) is 0x%06x, expected "
				 "0x%06x (the primary plane's)",
				 x, y, row[x] & 0xffffff, pattern_rgb(x, y, 1));
	}
}

/* Writeback commits the kernel's drm_atomic_connector_check() and vkms's
 * vkms_wb_atomic_check() refuse, each next to its valid twin. */
static void test_writeback_rejects_bad_jobs(void **state)
{
	struct vt *t = *state;
	struct buf *src, *good, *small, *xbgr;
	struct drm_mode_get_blob blob = {0};
	uint32_t formats[32], i;
	const uint32_t ALLOW = DRM_MODE_ATOMIC_ALLOW_MODESET;
	int32_t fence;
	struct req r;

	open_device(t, NULL, true);
	ut_check(t->wb != 0, "no writeback connector");
	src = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	good = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	small = create_buf(t, 640, 480, DRM_FORMAT_XRGB8888);
	xbgr = create_buf(t, W, H, DRM_FORMAT_XBGR8888);

	/* XBGR8888 is a plane format but not a writeback format. */
	blob.blob_id =
		(uint32_t)prop_value(t->file, t->wb, DRM_MODE_OBJECT_CONNECTOR,
				     "WRITEBACK_PIXEL_FORMATS");
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPROPBLOB, &blob),
		  0, "GETPROPBLOB of WRITEBACK_PIXEL_FORMATS (length)");
	ut_check(blob.length && blob.length <= sizeof(formats) &&
			 blob.length % 4 == 0,
		 "WRITEBACK_PIXEL_FORMATS is %u bytes", blob.length);
	blob.data = (uintptr_t)formats;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPROPBLOB, &blob),
		  0, "GETPROPBLOB of WRITEBACK_PIXEL_FORMATS");
	for (i = 0; i < blob.length / 4; i++)
		ut_check(formats[i] != DRM_FORMAT_XBGR8888,
			 "XBGR8888 is a writeback format: pick another");

	/* FB_ID without an active CRTC: the CRTC has a mode but is off. */
	memset(&r, 0, sizeof(r));
	add_modeset(t, &r, false);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    good->fb_id);
	ut_expect(commit(t, &r, ALLOW), -EINVAL,
		  "WRITEBACK_FB_ID on a CRTC that is enabled but not active");

	light(t, src);

	/* Valid twin: a whole-mode XRGB8888 writeback passes. */
	memset(&r, 0, sizeof(r));
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    good->fb_id);
	ut_expect(commit(t, &r, ALLOW | DRM_MODE_ATOMIC_TEST_ONLY), 0,
		  "a valid writeback job (TEST_ONLY)");

	/* FB_ID with no CRTC_ID on the writeback connector. */
	memset(&r, 0, sizeof(r));
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    good->fb_id);
	ut_expect(commit(t, &r, ALLOW), -EINVAL,
		  "WRITEBACK_FB_ID on a writeback connector without a CRTC");

	/* A framebuffer of another size than the mode. */
	memset(&r, 0, sizeof(r));
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    small->fb_id);
	ut_expect(commit(t, &r, ALLOW), -EINVAL,
		  "a 640x480 writeback framebuffer on a %ux%u mode", W, H);

	/* A format not in WRITEBACK_PIXEL_FORMATS. */
	memset(&r, 0, sizeof(r));
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
	    xbgr->fb_id);
	ut_expect(commit(t, &r, ALLOW), -EINVAL,
		  "an XBGR8888 writeback framebuffer");

	/* An out-fence with WRITEBACK_FB_ID = 0 (kms_writeback's "out
	 * fence requested but no fb"): -EINVAL and the fd stays -1. */
	memset(&r, 0, sizeof(r));
	fence = 7;
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID", 0);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
	    (uintptr_t)&fence);
	ut_expect(commit(t, &r, ALLOW), -EINVAL,
		  "WRITEBACK_OUT_FENCE_PTR with WRITEBACK_FB_ID 0");
	ut_expect(fence, -1, "the out-fence fd after a refused commit");

	/* No WRITEBACK_FB_ID property at all: the kernel makes no job, so
	 * prepare_signaling() ignores the pointer and the commit passes
	 * with -1 written there. */
	memset(&r, 0, sizeof(r));
	fence = 7;
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", t->crtcs[0]);
	add(t, &r, t->wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_OUT_FENCE_PTR",
	    (uintptr_t)&fence);
	ut_expect(commit(t, &r, ALLOW), 0,
		  "WRITEBACK_OUT_FENCE_PTR without any WRITEBACK_FB_ID");
	ut_expect(fence, -1, "the out-fence fd of a commit without a job");
}

/* ------------------------------------------------------------------ */
/* 2. CRC                                                              */

struct crc_line {
	uint32_t frame, crc;
};

static struct crc_line parse_crc(const char *buf, ssize_t n)
{
	struct crc_line l = {0};
	char tail = 0;

	ut_expect(n, 23, "bytes of one CRC line");
	ut_check(buf[22] == '\0' && buf[21] == '\n',
		 "a CRC line ends with \"\\n\\0\"");
	ut_check(sscanf(buf, "0x%8x 0x%8x%c", &l.frame, &l.crc, &tail) == 3 &&
			 tail == '\n' && buf[0] == '0' && buf[10] == ' ',
		 "CRC line \"%.21s\" is not \"0x%%08x 0x%%08x\"", buf);
	return l;
}

/* Reads one line (blocking), checking the frame follows @prev. */
static struct crc_line read_crc(struct udrm_vfile_open *of, uint32_t *prev)
{
	char buf[64];
	ssize_t n = udrm_vfile_read(of, buf, sizeof(buf), -1);
	struct crc_line l;

	ut_check(n > 0, "reading crc/data: %s", ut_errname(n));
	l = parse_crc(buf, n);
	if (*prev != UINT32_MAX)
		ut_check(l.frame == *prev + 1,
			 "CRC frame 0x%08x after 0x%08x: expected one per "
			 "frame",
			 l.frame, *prev);
	*prev = l.frame;
	return l;
}

/*
 * Reads lines until the CRC differs from @old (at most 240 frames, 4 s),
 * then until it holds for 8 frames in a row; returns the new CRC. With
 * @strict (a flip: every frame shows one buffer or the other) the first
 * new CRC must be the one that holds; otherwise (stores into a buffer
 * being composed) frames of mixed content may come first.
 */
static uint32_t wait_crc_change(struct udrm_vfile_open *of, uint32_t *prev,
				uint32_t old, bool strict, const char *what)
{
	uint32_t crc = old, first = old;
	unsigned int i, same = 0;
	struct crc_line l;

	for (i = 0; i < 240; i++) {
		l = read_crc(of, prev);
		if (l.crc == crc) {
			same++;
		} else {
			ut_check(!strict || crc == old,
				 "CRC 0x%08x then 0x%08x then 0x%08x after "
				 "%s: expected one change",
				 old, crc, l.crc, what);
			crc = l.crc;
			same = 1;
			if (first == old)
				first = crc;
		}
		if (crc != old && same >= 8)
			return crc;
	}
	fail_msg("the CRC did not settle on a new value within 240 frames "
		 "after %s (it was 0x%08x, last 0x%08x)",
		 what, old, crc);
	return 0;
}

static void test_crc_debugfs_follows_the_picture(void **state)
{
	struct vt *t = *state;
	struct udrm_vfile *data_vf, *ctl_vf;
	struct udrm_vfile_open *data = NULL, *ctl, *other = NULL;
	struct buf *a, *b;
	uint32_t prev = UINT32_MAX, crc_a, crc_b, crc_c;
	struct crc_line l;
	char buf[64];
	ssize_t n;
	int i, fd;

	open_device(t, NULL, false);
	data_vf = find_vfile(t->dev, UDRM_VFILE_DEBUGFS, "crtc-0/crc/data");
	ctl_vf = find_vfile(t->dev, UDRM_VFILE_DEBUGFS, "crtc-0/crc/control");

	ctl = open_vfile(t, ctl_vf, O_RDWR, "crtc-0/crc/control");
	n = udrm_vfile_read(ctl, buf, sizeof(buf) - 1, 0);
	ut_check(n >= 0, "reading crc/control: %s", ut_errname(n));
	buf[n] = '\0';
	ut_check(!strcmp(buf, "auto*\n"),
		 "crc/control reads \"%s\", expected \"auto*\\n\"", buf);

	ut_expect(udrm_vfile_open(data_vf, O_RDONLY, &data), -EIO,
		  "opening crc/data with the CRTC off");

	a = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	b = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	fill_pattern(a, 1);
	fill_pattern(b, 2);
	light(t, a);

	data = open_vfile(t, data_vf, O_RDONLY, "crtc-0/crc/data");
	ut_expect(udrm_vfile_open(data_vf, O_RDONLY, &other), -EBUSY,
		  "a second open of crc/data");
	ut_expect(udrm_vfile_lseek(data, 0, SEEK_SET), -ESPIPE,
		  "lseek on crc/data");

	/* A buffer shorter than a line (waits for one, then refuses). */
	ut_expect(udrm_vfile_read(data, buf, 22, -1), -EINVAL,
		  "a 22-byte read of crc/data");

	/* Non-blocking: lines until the queue is empty, then -EAGAIN. */
	udrm_vfile_set_nonblock(data, true);
	for (i = 0; i < 1000; i++) {
		n = udrm_vfile_read(data, buf, sizeof(buf), -1);
		if (n < 0)
			break;
		l = parse_crc(buf, n);
		if (prev != UINT32_MAX)
			ut_check(l.frame == prev + 1,
				 "CRC frame 0x%08x after 0x%08x", l.frame,
				 prev);
		prev = l.frame;
	}
	ut_expect(n, -EAGAIN, "a non-blocking read of an empty crc/data");
	fd = udrm_vfile_poll_fd(data);
	ut_check(fd >= 0, "crc/data has no poll fd");
	ut_check(wait_pollin(fd, 2000),
		 "crc/data did not poll readable within 2 s with the CRTC on");
	n = udrm_vfile_read(data, buf, sizeof(buf), -1);
	ut_check(n > 0, "a non-blocking read after POLLIN: %s", ut_errname(n));
	l = parse_crc(buf, n);
	if (prev != UINT32_MAX)
		ut_check(l.frame == prev + 1, "CRC frame 0x%08x after 0x%08x",
			 l.frame, prev);
	prev = l.frame;
	udrm_vfile_set_nonblock(data, false);

	/* Nothing changes: one CRC, frame after frame. */
	crc_a = read_crc(data, &prev).crc;
	for (i = 0; i < 10; i++) {
		l = read_crc(data, &prev);
		ut_check(l.crc == crc_a,
			 "the CRC changed from 0x%08x to 0x%08x with the "
			 "picture unchanged",
			 crc_a, l.crc);
	}

	/* A flip to other content changes it, once. */
	flip(t, b);
	crc_b = wait_crc_change(data, &prev, crc_a, true, "a flip");
	for (i = 0; i < 10; i++) {
		l = read_crc(data, &prev);
		ut_check(l.crc == crc_b,
			 "the CRC changed from 0x%08x to 0x%08x after the "
			 "flip had settled",
			 crc_b, l.crc);
	}

	/* vkms composes from the buffer each frame: new content in the
	 * shown buffer is a new CRC too. */
	fill_pattern(b, 3);
	crc_c = wait_crc_change(data, &prev, crc_b, false,
				"writing the shown buffer");
	for (i = 0; i < 10; i++) {
		l = read_crc(data, &prev);
		ut_check(l.crc == crc_c,
			 "the CRC changed from 0x%08x to 0x%08x with the "
			 "buffer unchanged",
			 crc_c, l.crc);
	}
	/* Back to the first picture: its CRC again. */
	flip(t, a);
	ut_expect(wait_crc_change(data, &prev, crc_c, true, "a flip back"),
		  crc_a, "CRC of the first picture shown again");

	/* control while data is open. */
	ut_expect(udrm_vfile_write(ctl, "auto", 4, -1), -EBUSY,
		  "writing \"auto\" to crc/control while crc/data is open");
	ut_expect(udrm_vfile_write(ctl, "bogus", 5, -1), -EINVAL,
		  "writing \"bogus\" to crc/control");
	close_vfile(t, data);

	ut_expect(udrm_vfile_write(ctl, "bogus\n", 6, -1), -EINVAL,
		  "writing \"bogus\\n\" to crc/control");
	/* vkms_verify_crc_source() knows "auto" only: an empty name is
	 * refused too. */
	ut_expect(udrm_vfile_write(ctl, "\n", 1, -1), -EINVAL,
		  "writing an empty line to crc/control");
	ut_expect(udrm_vfile_write(ctl, "auto\n", 5, -1), 5,
		  "writing \"auto\\n\" to crc/control with crc/data closed");
	n = udrm_vfile_read(ctl, buf, sizeof(buf) - 1, 0);
	ut_check(n >= 0, "reading crc/control: %s", ut_errname(n));
	buf[n] = '\0';
	ut_check(!strcmp(buf, "auto*\n"),
		 "crc/control reads \"%s\" after \"auto\", expected "
		 "\"auto*\\n\"",
		 buf);

	/* And CRCs flow again for a new opener. */
	data = open_vfile(t, data_vf, O_RDONLY, "crtc-0/crc/data");
	prev = UINT32_MAX;
	l = read_crc(data, &prev);
	ut_expect(l.crc, crc_a, "CRC after reopening crc/data");
}

/* ------------------------------------------------------------------ */
/* 3. Hotplug through sysfs                                            */

static void expect_connection(struct vt *t, uint32_t want, bool modes,
			      const char *after)
{
	struct drm_mode_get_connector c;

	get_connector(t->file, t->conn, &c, NULL);
	ut_expect(c.connection, want, "GETCONNECTOR status after %s", after);
	if (modes)
		ut_check(c.count_modes > 0, "no modes after %s", after);
	else
		ut_expect(c.count_modes, 0, "modes after %s", after);
}

static void test_sysfs_status_forces_the_connector(void **state)
{
	struct vt *t = *state;
	const char *status = "card0-Virtual-1/status";
	char buf[4096], id[32];

	open_device(t, NULL, false);
	expect_attr(t, status, "connected\n");

	ut_expect(write_attr(t, status, "off"), 3, "writing \"off\" to status");
	expect_connection(t, DISCONNECTED, false, "\"off\"");
	expect_attr(t, status, "disconnected\n");
	expect_attr(t, "card0-Virtual-1/modes", "");

	ut_expect(write_attr(t, status, "on\n"), 3, "writing \"on\\n\"");
	expect_connection(t, CONNECTED, true, "\"on\"");
	expect_attr(t, status, "connected\n");

	ut_expect(write_attr(t, status, "off\n"), 4, "writing \"off\\n\"");
	ut_expect(write_attr(t, status, "detect"), 6, "writing \"detect\"");
	expect_connection(t, CONNECTED, true, "\"detect\"");
	expect_attr(t, status, "connected\n");

	ut_expect(write_attr(t, status, "bogus"), -EINVAL,
		  "writing \"bogus\" to status");
	expect_attr(t, status, "connected\n");

	/* The other attributes. */
	read_attr(t, "card0-Virtual-1/modes", buf, sizeof(buf));
	ut_check(!strncmp(buf, "1024x768\n", 9) ||
			 strstr(buf, "\n1024x768\n") != NULL,
		 "modes has no 1024x768 line: \"%.200s\"", buf);
	snprintf(id, sizeof(id), "%u\n", t->conn);
	expect_attr(t, "card0-Virtual-1/connector_id", id);
	expect_attr(t, "card0-Virtual-1/edid", "");
	expect_attr(t, "card0-Virtual-1/enabled", "disabled\n");
	{
		struct buf *fb = create_buf(t, W, H, DRM_FORMAT_XRGB8888);

		light(t, fb);
	}
	expect_attr(t, "card0-Virtual-1/enabled", "enabled\n");
	{
		struct udrm_vfile_open *of = NULL;

		ut_expect(udrm_vfile_open(find_vfile(t->dev, UDRM_VFILE_SYSFS,
						     "card0-Virtual-1/enabled"),
					  O_WRONLY, &of),
			  -EACCES,
			  "opening the read-only enabled file for "
			  "writing");
	}
}

/* dpms follows the connector's legacy DPMS property. */
static void test_sysfs_dpms_follows_the_dpms_property(void **state)
{
	struct vt *t = *state;
	struct drm_mode_connector_set_property sp = {0};
	struct buf *fb;

	open_device(t, NULL, false);
	fb = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	light(t, fb);
	sp.connector_id = t->conn;
	sp.prop_id = find_prop(t->file, t->conn, DRM_MODE_OBJECT_CONNECTOR,
			       "DPMS", NULL);
	sp.value = DRM_MODE_DPMS_OFF;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETPROPERTY, &sp), 0,
		  "SETPROPERTY DPMS Off");
	expect_attr(t, "card0-Virtual-1/dpms", "Off\n");
	ut_expect(prop_value(t->file, t->crtcs[0], DRM_MODE_OBJECT_CRTC,
			     "ACTIVE"),
		  0, "ACTIVE of the CRTC after DPMS Off");
	sp.value = DRM_MODE_DPMS_ON;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETPROPERTY, &sp), 0,
		  "SETPROPERTY DPMS On");
	expect_attr(t, "card0-Virtual-1/dpms", "On\n");
	ut_expect(prop_value(t->file, t->crtcs[0], DRM_MODE_OBJECT_CRTC,
			     "ACTIVE"),
		  1, "ACTIVE of the CRTC after DPMS On");
}

static void test_sysfs_status_of_a_disconnected_connector(void **state)
{
	struct vt *t = *state;
	const char *status = "card0-Virtual-1/status";

	open_device(t, "plane=primary 0\nencoder=0\nconnector=disconnected 0\n",
		    false);
	expect_attr(t, status, "disconnected\n");
	expect_connection(t, DISCONNECTED, false, "creation");
	ut_expect(write_attr(t, status, "on"), 2, "writing \"on\"");
	expect_connection(t, CONNECTED, true, "\"on\"");
	ut_expect(write_attr(t, status, "detect"), 6, "writing \"detect\"");
	expect_connection(t, DISCONNECTED, false, "\"detect\"");
	expect_attr(t, status, "disconnected\n");
}

/* ------------------------------------------------------------------ */
/* 4. Configuration                                                    */

static void expect_config_refused(const char *options, const char *rule)
{
	struct udrm_device_desc desc = {
		.driver = "vkms",
		.primary_minor = 0,
		.render_minor = -1,
		.options = options,
	};
	struct udrm_device *dev = NULL;
	int ret = udrm_device_create(&desc, &dev);

	if (!ret)
		udrm_device_destroy(dev);
	ut_expect(ret, -EINVAL, "creating vkms with %s", rule);
}

static void test_config_validation_rules(void **state)
{
	(void)state;
	expect_config_refused("crtcs=2\nplane=primary 0\nencoder=0 1\n"
			      "connector=connected 0\n",
			      "a CRTC without a primary plane");
	expect_config_refused("plane=primary 0\nplane=primary 0\nencoder=0\n"
			      "connector=connected 0\n",
			      "two primary planes on one CRTC");
	expect_config_refused("plane=primary 0\nplane=cursor 0\n"
			      "plane=cursor 0\nencoder=0\n"
			      "connector=connected 0\n",
			      "two cursor planes on one CRTC");
	expect_config_refused("crtcs=1\nplane=primary 0\nplane=overlay 1\n"
			      "encoder=0\nconnector=connected 0\n",
			      "a plane on CRTC 1 of 1");
	expect_config_refused("plane=primary 0\nplane=overlay\nencoder=0\n"
			      "connector=connected 0\n",
			      "a plane without a CRTC");
	expect_config_refused("plane=primary 0\nencoder=\nencoder=0\n"
			      "connector=connected 0\n",
			      "an encoder without a CRTC");
	expect_config_refused("crtcs=2\nplane=primary 0\nplane=primary 1\n"
			      "encoder=0\nconnector=connected 0\n",
			      "a CRTC no encoder reaches");
	expect_config_refused(
		"plane=primary 0\nencoder=0\nconnector=connected\n",
		"a connector without an encoder");
	expect_config_refused("plane=primary 0\nencoder=0\n"
			      "connector=connected 1\n",
			      "a connector on encoder 1 of 1");
	expect_config_refused("plane=primary 0\nencoder=0\n"
			      "connector=plugged 0\n",
			      "an unknown connector status");
	expect_config_refused("plane=primary 0\nencoder=0\n", "no connector");
	expect_config_refused("plane=primary 0\nconnector=connected 0\n",
			      "no encoder");
	expect_config_refused("plane=primary 0\nencoder=0\n"
			      "connector=connected 0\nwriteback=1\n",
			      "a writeback connector on CRTC 1 of 1");
	expect_config_refused("crtcs=0\n", "crtcs = 0");
	expect_config_refused("crtcs=33\n", "crtcs = 33");
	expect_config_refused("plane=underlay 0\n", "an unknown plane type");
	expect_config_refused("frobnicate=1\n", "an unknown key");
	expect_config_refused("enable_cursor=maybe\n", "a bad bool");
	expect_config_refused("fbdev=2\n", "a bad fbdev bool");
	expect_config_refused("overlay_planes=9\n", "9 overlay planes");
	expect_config_refused("crtcs\n", "a line without '='");
}

struct plane_info {
	uint32_t type, possible_crtcs;
};

static unsigned int plane_infos(struct vt *t, struct plane_info *out)
{
	unsigned int i;

	for (i = 0; i < t->nplane; i++) {
		struct drm_mode_get_plane p = {.plane_id = t->planes[i]};

		ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETPLANE, &p),
			  0, "GETPLANE %u", t->planes[i]);
		out[i].possible_crtcs = p.possible_crtcs;
		out[i].type = (uint32_t)prop_value(
			t->file, t->planes[i], DRM_MODE_OBJECT_PLANE, "type");
	}
	return t->nplane;
}

static unsigned int count_type(const struct plane_info *p, unsigned int n,
			       uint32_t type)
{
	unsigned int i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i].type == type;
	return c;
}

static unsigned int count_writeback(struct vt *t)
{
	struct drm_mode_get_connector c;
	unsigned int i, n = 0;

	for (i = 0; i < t->nconn; i++) {
		get_connector(t->file, t->conns[i], &c, NULL);
		n += c.connector_type == DRM_MODE_CONNECTOR_WRITEBACK;
	}
	return n;
}

static void test_config_two_crtc_topology(void **state)
{
	struct vt *t = *state;
	/* Planes in creation order, as GETPLANERESOURCES lists them. */
	static const struct plane_info want[] = {
		{PLANE_TYPE_PRIMARY, 1}, {PLANE_TYPE_CURSOR, 1},
		{PLANE_TYPE_OVERLAY, 3}, {PLANE_TYPE_PRIMARY, 2},
		{PLANE_TYPE_CURSOR, 2},
	};
	struct plane_info got[16];
	unsigned int i, n;

	open_device(t,
		    "crtcs=2\nplane=primary 0\nplane=cursor 0\n"
		    "plane=overlay 0 1\nplane=primary 1\nplane=cursor 1\n"
		    "encoder=0\nencoder=1\nconnector=connected 0\n"
		    "connector=unknown 1\nwriteback=1\n",
		    true);
	ut_expect(t->ncrtc, 2, "CRTCs");
	n = plane_infos(t, got);
	ut_expect(n, 5, "planes (universal)");
	for (i = 0; i < n; i++) {
		ut_expect(got[i].type, want[i].type, "type of plane %u", i);
		ut_expect(got[i].possible_crtcs, want[i].possible_crtcs,
			  "possible_crtcs of plane %u", i);
	}
	/* Two Virtual encoders, one writeback encoder on CRTC 1. */
	ut_expect(t->nenc, 3, "encoders");
	for (i = 0; i < t->nenc; i++) {
		struct drm_mode_get_encoder e = {.encoder_id = t->encs[i]};

		ut_expect(
			udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETENCODER, &e),
			0, "GETENCODER %u", t->encs[i]);
		ut_expect(e.possible_crtcs, i == 0 ? 1 : 2,
			  "possible_crtcs of encoder %u", i);
		ut_expect(e.encoder_type, DRM_MODE_ENCODER_VIRTUAL,
			  "type of encoder %u", i);
	}
	ut_expect(t->nconn, 3, "connectors with writeback ones");
	ut_expect(count_writeback(t), 1, "writeback connectors");
	{
		struct drm_mode_get_connector c;

		get_connector(t->file, t->conns[1], &c, NULL);
		ut_expect(c.connection, UNKNOWN,
			  "status of the connector configured unknown");
		ut_expect(c.encoder_id, 0, "encoder of an unused connector");
	}

	/* Without the writeback cap, its connector is hidden. */
	set_cap(t->file, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 0);
	get_resources(t);
	ut_expect(t->nconn, 2, "connectors without the writeback cap");
	/* Without universal planes, only overlays are listed. */
	set_cap(t->file, DRM_CLIENT_CAP_ATOMIC, 0);
	set_cap(t->file, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 0);
	get_resources(t);
	ut_expect(t->nplane, 1, "planes without universal planes");
}

static void test_config_module_parameters(void **state)
{
	struct vt *t = *state;
	struct plane_info got[16];
	unsigned int n;

	/* The default: primary, cursor, one overlay, a writeback. */
	open_device(t, NULL, true);
	n = plane_infos(t, got);
	ut_expect(n, 3, "planes of the default topology");
	ut_expect(count_type(got, n, PLANE_TYPE_CURSOR), 1, "cursor planes");
	ut_expect(count_type(got, n, PLANE_TYPE_OVERLAY), 1, "overlay planes");
	ut_expect(count_writeback(t), 1, "writeback connectors by default");
	close_device(t);

	open_device(t, "enable_cursor=false\n", true);
	n = plane_infos(t, got);
	ut_expect(count_type(got, n, PLANE_TYPE_CURSOR), 0,
		  "cursor planes with enable_cursor=false");
	ut_expect(count_type(got, n, PLANE_TYPE_PRIMARY), 1, "primary planes");
	close_device(t);

	open_device(t, "overlay_planes=3\n", true);
	n = plane_infos(t, got);
	ut_expect(count_type(got, n, PLANE_TYPE_OVERLAY), 3,
		  "overlay planes with overlay_planes=3");
	ut_expect(count_type(got, n, PLANE_TYPE_CURSOR), 1, "cursor planes");
	close_device(t);

	open_device(t, "enable_overlay=false\n", true);
	n = plane_infos(t, got);
	ut_expect(count_type(got, n, PLANE_TYPE_OVERLAY), 0,
		  "overlay planes with enable_overlay=false");
	close_device(t);

	open_device(t, "enable_writeback=false\n", true);
	ut_expect(count_writeback(t), 0,
		  "writeback connectors with enable_writeback=false");
	ut_expect(t->nconn, 1, "connectors with enable_writeback=false");
	ut_expect(t->nenc, 1, "encoders with enable_writeback=false");
}

/* ------------------------------------------------------------------ */
/* 5. Capture                                                          */

/* Pixel (@x, @y) of a BGR888 frame as 0xRRGGBB (bytes R, G, B in memory,
 * whatever the host). */
static uint32_t frame_pixel(const struct udrm_frame *f, uint32_t x, uint32_t y)
{
	const uint8_t *p = (const uint8_t *)f->pixels + (size_t)y * f->stride +
			   (size_t)x * 3;

	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | (uint32_t)p[2];
}

/* What is wrong with @f's format and size for a @w x @h mode, or "". */
static void frame_shape_mismatch(const struct udrm_frame *f, uint32_t w,
				 uint32_t h, char *msg, size_t len)
{
	msg[0] = '\0';
	if (f->format != DRM_FORMAT_BGR888)
		snprintf(msg, len, "a frame of format %#x, expected BGR888",
			 f->format);
	else if (f->width != w || f->height != h)
		snprintf(msg, len, "a frame of %ux%u, expected %ux%u", f->width,
			 f->height, w, h);
	else if (f->stride < (size_t)w * 3)
		snprintf(msg, len,
			 "a stride of %zu bytes, expected %u at least",
			 f->stride, w * 3);
	else if (!f->pixels)
		snprintf(msg, len, "a frame without pixels");
}

/* The first mismatch of @f against the pattern of @seed, or "". The
 * pattern's 8-bit channels are composed as v * 257 and come back as v;
 * the junk X byte of the framebuffer is not in the frame. */
static void frame_mismatch(const struct udrm_frame *f, uint32_t seed, char *msg,
			   size_t len)
{
	uint32_t x, y;

	frame_shape_mismatch(f, W, H, msg, len);
	if (msg[0])
		return;
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++) {
			uint32_t got = frame_pixel(f, x, y);
			uint32_t want = pattern_rgb(x, y, seed);

			if (got != want) {
				snprintf(msg, len,
					 "pixel (%u,%u) is RGB %06x, "
					 "expected %06x",
					 x, y, got, want);
				return;
			}
		}
	}
}

static void on_frame(void *ctx, struct udrm_device *dev,
		     const struct udrm_frame *frame)
{
	struct capture *c = ctx;
	char msg[256];

	(void)dev;
	/* Check the first few in full, count the rest. */
	if (atomic_fetch_add(&c->frames, 1) >= 4)
		return;
	frame_mismatch(frame, c->seed, msg, sizeof(msg));
	if (!msg[0]) {
		atomic_fetch_add(&c->good, 1);
	} else {
		atomic_fetch_add(&c->bad, 1);
		if (!atomic_exchange(&c->have_bad, true))
			snprintf(c->first_bad, sizeof(c->first_bad), "%s", msg);
	}
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_capture_frames_and_hold_after_rmfb(void **state)
{
	struct vt *t = *state;
	struct udrm_frame f;
	struct buf *a;
	char msg[256];
	int i;

	open_device(t, NULL, false);
	t->cap.seed = 1;
	ut_expect(udrm_device_last_frame(t->dev, 0, &f), -ENOENT,
		  "last frame before anything was shown");
	ut_expect(udrm_device_capture(t->dev, on_frame, &t->cap), 0,
		  "udrm_device_capture");
	a = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	fill_pattern(a, 1);
	light(t, a);

	/* (Checked ones: the callback counts a frame before checking.) */
	for (i = 0; i < 400 &&
		    atomic_load(&t->cap.good) + atomic_load(&t->cap.bad) < 3;
	     i++)
		sleep_ms(5);
	ut_check(atomic_load(&t->cap.frames) >= 3,
		 "the capture callback saw %d frames in 2 s, expected 3",
		 atomic_load(&t->cap.frames));
	ut_check(!atomic_load(&t->cap.have_bad), "a captured frame: %s",
		 t->cap.first_bad);
	ut_check(atomic_load(&t->cap.good) >= 3, "%d good frames",
		 atomic_load(&t->cap.good));

	ut_expect(udrm_device_last_frame(t->dev, 0, &f), 0,
		  "last frame of CRTC 0");
	ut_expect(f.crtc, 0, "CRTC of the last frame");
	ut_expect(f.format, DRM_FORMAT_BGR888, "format of the last frame");
	ut_expect(f.stride, (size_t)W * 3,
		  "stride of the last frame (BGR888 lines, no padding)");
	frame_mismatch(&f, 1, msg, sizeof(msg));
	free((void *)f.pixels);
	ut_check(!msg[0], "the last frame: %s", msg);

	/* RMFB takes the framebuffer off (and the CRTC down); the last
	 * frame stays the program's picture. */
	{
		uint32_t id = a->fb_id;

		ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_RMFB, &id), 0,
			  "RMFB of the shown framebuffer");
	}
	ut_expect(
		prop_value(t->file, t->primary, DRM_MODE_OBJECT_PLANE, "FB_ID"),
		0, "FB_ID of the primary plane after RMFB");
	sleep_ms(100); /* a few vblanks, had the CRTC stayed on */
	ut_expect(udrm_device_last_frame(t->dev, 0, &f), 0,
		  "last frame after RMFB");
	frame_mismatch(&f, 1, msg, sizeof(msg));
	free((void *)f.pixels);
	ut_check(!msg[0], "the last frame after RMFB: %s", msg);

	ut_expect(udrm_device_last_frame(t->dev, 1, &f), -EINVAL,
		  "last frame of CRTC 1 of 1");
	ut_expect(udrm_device_last_frame(t->dev, 1000, &f), -EINVAL,
		  "last frame of CRTC 1000");
}

/* The 16-bit channels of an XRGB16161616 pixel (@x, @y): red runs
 * through every 16-bit value in the first 64 lines, green is its
 * complement, blue a hash. */
static void pattern16(uint32_t x, uint32_t y, uint16_t rgb[3])
{
	uint32_t i = y * W + x;

	rgb[0] = (uint16_t)i;
	rgb[1] = (uint16_t)~i;
	rgb[2] = (uint16_t)(i * 40503u >> 7);
}

/* A 16-bit channel rounded to 8 bits: round(v / 257). */
static uint32_t round8(uint16_t v)
{
	return ((uint32_t)v + 128) / 257;
}

static void test_capture_rounds_16bit_channels_to_8(void **state)
{
	struct vt *t = *state;
	struct udrm_frame f;
	struct buf *b;
	uint32_t x, y;
	char msg[256];

	open_device(t, NULL, false);
	ut_expect(udrm_device_capture(t->dev, NULL, NULL), 0,
		  "udrm_device_capture without a callback");
	b = create_buf_bpp(t, W, H, 64, DRM_FORMAT_XRGB16161616);
	for (y = 0; y < H; y++) {
		uint16_t *row = (uint16_t *)(b->map + (size_t)y * b->pitch);

		for (x = 0; x < W; x++) {
			uint16_t rgb[3];

			/* Little-endian B, G, R, X words; X is junk. */
			pattern16(x, y, rgb);
			row[x * 4 + 0] = rgb[2];
			row[x * 4 + 1] = rgb[1];
			row[x * 4 + 2] = rgb[0];
			row[x * 4 + 3] = 0x1234;
		}
	}
	light(t, b);

	/* The picture is on the screen: last_frame composes it if no
	 * vblank has yet. */
	ut_expect(udrm_device_last_frame(t->dev, 0, &f), 0,
		  "last frame of an XRGB16161616 plane");
	frame_shape_mismatch(&f, W, H, msg, sizeof(msg));
	for (y = 0; y < H && !msg[0]; y++) {
		for (x = 0; x < W; x++) {
			uint32_t got = frame_pixel(&f, x, y), want;
			uint16_t rgb[3];

			pattern16(x, y, rgb);
			want = round8(rgb[0]) << 16 | round8(rgb[1]) << 8 |
			       round8(rgb[2]);
			if (got != want) {
				snprintf(msg, sizeof(msg),
					 "pixel (%u,%u) of 16-bit RGB %04x "
					 "%04x %04x is RGB %06x, expected "
					 "%06x",
					 x, y, rgb[0], rgb[1], rgb[2], got,
					 want);
				break;
			}
		}
	}
	free((void *)f.pixels);
	ut_check(!msg[0], "the last frame: %s", msg);
}

/* ------------------------------------------------------------------ */
/* 6. fbdev                                                            */

static void test_fbdev_lights_the_crtc_at_load(void **state)
{
	struct vt *t = *state;
	struct drm_mode_crtc c = {0};
	union drm_wait_vblank v;
	uint32_t first;

	open_device(t, "fbdev=true\n", false);
	c.crtc_id = t->crtcs[0];
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETCRTC, &c), 0,
		  "GETCRTC");
	ut_expect(c.mode_valid, 1, "mode_valid of CRTC 0 with fbdev = true");
	ut_expect(c.mode.hdisplay, W, "hdisplay of the fbdev mode");
	ut_expect(c.mode.vdisplay, H, "vdisplay of the fbdev mode");
	ut_check(c.fb_id != 0, "no framebuffer on CRTC 0 with fbdev = true");
	ut_expect(prop_value(t->file, t->crtcs[0], DRM_MODE_OBJECT_CRTC,
			     "ACTIVE"),
		  1, "ACTIVE of CRTC 0 with fbdev = true");
	expect_attr(t, "card0-Virtual-1/enabled", "enabled\n");

	memset(&v, 0, sizeof(v));
	v.request.type = _DRM_VBLANK_RELATIVE;
	v.request.sequence = 1;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_WAIT_VBLANK, &v), 0,
		  "WAIT_VBLANK for the next vblank without a modeset");
	first = v.reply.sequence;
	memset(&v, 0, sizeof(v));
	v.request.type = _DRM_VBLANK_RELATIVE;
	v.request.sequence = 2;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_WAIT_VBLANK, &v), 0,
		  "WAIT_VBLANK for 2 vblanks");
	ut_check(v.reply.sequence >= first + 2,
		 "vblank count %u after waiting 2 past %u", v.reply.sequence,
		 first);

	/* Without the option the CRTC is off and WAIT_VBLANK fails. */
	close_device(t);
	open_device(t, NULL, false);
	memset(&c, 0, sizeof(c));
	c.crtc_id = t->crtcs[0];
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETCRTC, &c), 0,
		  "GETCRTC");
	ut_expect(c.mode_valid, 0, "mode_valid of CRTC 0 by default");
	memset(&v, 0, sizeof(v));
	v.request.type = _DRM_VBLANK_RELATIVE;
	v.request.sequence = 1;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_WAIT_VBLANK, &v), -EINVAL,
		  "WAIT_VBLANK on a CRTC that is off");
}

/* ------------------------------------------------------------------ */
/* 7. Teardown with a blocked CRC reader                               */

struct reader {
	struct udrm_vfile_open *of;
	atomic_int reads;
	atomic_bool done;
	ssize_t last;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	char buf[64];
	ssize_t n;

	do {
		atomic_fetch_add(&r->reads, 1);
		n = udrm_vfile_read(r->of, buf, sizeof(buf), -1);
	} while (n > 0);
	r->last = n;
	atomic_store(&r->done, true);
	return NULL;
}

static void test_teardown_with_a_blocked_crc_reader(void **state)
{
	struct vt *t = *state;
	struct reader rd = {0};
	struct udrm_vfile *vf;
	struct timespec deadline;
	pthread_t thread;
	struct buf *a;
	struct req r = {0};
	uint32_t prev = UINT32_MAX;
	int ret;

	open_device(t, NULL, false);
	a = create_buf(t, W, H, DRM_FORMAT_XRGB8888);
	fill_pattern(a, 1);
	light(t, a);
	vf = find_vfile(t->dev, UDRM_VFILE_DEBUGFS, "crtc-0/crc/data");
	ut_expect(udrm_vfile_open(vf, O_RDONLY, &rd.of), 0, "opening crc/data");
	read_crc(rd.of, &prev);

	/* The CRTC off: no more lines, the reader drains what is queued
	 * and blocks. */
	add_modeset(t, &r, false);
	ut_expect(commit(t, &r, DRM_MODE_ATOMIC_ALLOW_MODESET), 0,
		  "turning CRTC 0 off");
	ut_expect(pthread_create(&thread, NULL, reader_thread, &rd), 0,
		  "pthread_create");
	sleep_ms(300);
	ut_check(!atomic_load(&rd.done),
		 "a blocking read of crc/data returned %s with the CRTC off",
		 ut_errname(rd.last));

	/* The device goes with the file open and the reader inside. */
	udrm_device_destroy(t->dev);
	t->dev = NULL;
	t->file = NULL; /* closed by the device */

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	ret = pthread_timedjoin_np(thread, NULL, &deadline);
	if (ret) {
		fail_msg("the blocked crc/data reader did not return within "
			 "5 s of udrm_device_destroy");
	}
	ut_check(rd.last == 0 || rd.last == -ENODEV,
		 "the blocked read returned %s, expected 0 (end of file) or "
		 "-ENODEV",
		 ut_errname(rd.last));
	ut_expect(udrm_vfile_read(rd.of, (char[64]){0}, 64, -1), -ENODEV,
		  "reading crc/data after the device went");
	udrm_vfile_close(rd.of);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_writeback_out_fence_signals_with_the_picture),
		T(test_writeback_rejects_bad_jobs),
		T(test_crc_debugfs_follows_the_picture),
		T(test_sysfs_status_forces_the_connector),
		T(test_sysfs_dpms_follows_the_dpms_property),
		T(test_sysfs_status_of_a_disconnected_connector),
		T(test_config_validation_rules),
		T(test_config_two_crtc_topology),
		T(test_config_module_parameters),
		T(test_capture_frames_and_hold_after_rmfb),
		T(test_capture_rounds_16bit_channels_to_8),
		T(test_fbdev_lights_the_crtc_at_load),
		T(test_teardown_with_a_blocked_crc_reader),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
