// SPDX-License-Identifier: MIT
/*
 * kms/ atomic, legacy modeset and vblank: commits through the uapi,
 * their events and fences, the legacy entry points and the vblank ioctls.
 *
 * Runs on vkms's topology when the driver builds one; otherwise the test
 * builds the same shape itself (1 CRTC with primary, cursor and overlay
 * planes, a virtual connector with its encoder) on the vkms device.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <drm_fourcc.h>

#include "core/device.h"
#include "kms/atomic_internal.h"
#include "kms/kms.h"
#include "sync/dma_fence.h"
#include "sync/sync_file.h"
#include "udrm_test.h"

/* ------------------------------------------------------------------ */
/* A topology for when vkms has none                                   */

static struct test_topology {
	struct udrm_plane primary, cursor, overlay;
	struct udrm_crtc crtc;
	struct udrm_encoder encoder;
	struct udrm_connector connector;
	atomic_int flushes, vblanks;
} topo;

static const uint32_t test_formats[] = {DRM_FORMAT_XRGB8888,
					DRM_FORMAT_ARGB8888};

static void test_flush(struct udrm_crtc *crtc, struct udrm_atomic_state *s)
{
	(void)crtc;
	(void)s;
	atomic_fetch_add(&topo.flushes, 1);
}

static void test_vblank(struct udrm_crtc *crtc, uint64_t count,
			const struct timespec *time)
{
	(void)crtc;
	(void)count;
	(void)time;
	atomic_fetch_add(&topo.vblanks, 1);
}

static const struct udrm_crtc_funcs test_crtc_funcs = {
	.atomic_flush = test_flush,
	.vblank = test_vblank,
};
static const struct udrm_plane_funcs test_plane_funcs = {.destroy = NULL};

static int test_get_modes(struct udrm_connector *conn)
{
	return udrm_connector_add_modes_noedid(conn, 1024, 768);
}

static const struct udrm_connector_funcs test_connector_funcs = {
	.get_modes = test_get_modes,
};

static void build_topology(struct udrm_device *dev)
{
	struct udrm_kms *kms;

	memset(&topo, 0, sizeof(topo));
	ut_expect(udrm_kms_init(dev, NULL, &kms), 0, "udrm_kms_init");
	ut_expect(udrm_plane_init(kms, &topo.primary, 1, &test_plane_funcs,
				  test_formats, 2, NULL, DRM_PLANE_TYPE_PRIMARY,
				  "primary"),
		  0, "primary plane");
	ut_expect(udrm_plane_init(kms, &topo.cursor, 1, &test_plane_funcs,
				  test_formats + 1, 1, NULL,
				  DRM_PLANE_TYPE_CURSOR, "cursor"),
		  0, "cursor plane");
	ut_expect(udrm_plane_init(kms, &topo.overlay, 1, &test_plane_funcs,
				  test_formats, 2, NULL, DRM_PLANE_TYPE_OVERLAY,
				  "overlay"),
		  0, "overlay plane");
	udrm_plane_create_zpos_property(&topo.primary, 0, 0, 2);
	udrm_plane_create_zpos_property(&topo.cursor, 2, 0, 2);
	udrm_plane_create_zpos_property(&topo.overlay, 1, 0, 2);
	udrm_plane_create_rotation_property(&topo.overlay, DRM_MODE_ROTATE_0,
					    DRM_MODE_ROTATE_MASK |
						    DRM_MODE_REFLECT_MASK);
	ut_expect(udrm_crtc_init(kms, &topo.crtc, &topo.primary, &topo.cursor,
				 &test_crtc_funcs, "crtc-0"),
		  0, "crtc");
	udrm_crtc_enable_color_mgmt(&topo.crtc, 256);
	ut_expect(udrm_encoder_init(kms, &topo.encoder,
				    DRM_MODE_ENCODER_VIRTUAL, 1),
		  0, "encoder");
	ut_expect(udrm_connector_init(kms, &topo.connector,
				      &test_connector_funcs,
				      DRM_MODE_CONNECTOR_VIRTUAL),
		  0, "connector");
	udrm_connector_attach_encoder(&topo.connector, &topo.encoder);
	kms->cursor_width = kms->cursor_height = 512;
	ut_expect(udrm_kms_register(kms), 0, "udrm_kms_register");
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

struct kt {
	struct udrm_device *dev;
	struct udrm_kms *kms;
	struct udrm_file *file; /* master, atomic */
	struct udrm_crtc *crtc;
	struct udrm_plane *primary, *cursor, *overlay;
	struct udrm_connector *conn;
	uint32_t fb[2];		       /* 640x480 XRGB8888 */
	struct drm_mode_modeinfo mode; /* 640x480 at 60 Hz */
	struct drm_mode_modeinfo slow; /* 640x480 at about 5 Hz */
	uint32_t mode_blob, slow_blob;
};

static void make_mode(struct drm_mode_modeinfo *m, uint32_t clock)
{
	memset(m, 0, sizeof(*m));
	m->clock = clock;
	m->hdisplay = 640;
	m->hsync_start = 656;
	m->hsync_end = 752;
	m->htotal = 800;
	m->vdisplay = 480;
	m->vsync_start = 490;
	m->vsync_end = 492;
	m->vtotal = 525;
	m->vrefresh = clock * 1000 / (800 * 525);
	m->type = DRM_MODE_TYPE_USERDEF;
	snprintf(m->name, sizeof(m->name), "640x480");
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

static uint32_t create_fb(struct udrm_file *file, uint32_t w, uint32_t h,
			  uint32_t format, uint32_t *handle_out)
{
	uint32_t pitch, handle = ut_dumb_create(file, w, h, 32, &pitch, NULL);
	struct drm_mode_fb_cmd2 r = {
		.width = w,
		.height = h,
		.pixel_format = format,
		.handles = {handle},
		.pitches = {pitch},
	};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_MODE_ADDFB2, &r), 0,
		  "ADDFB2 %ux%u", w, h);
	if (handle_out)
		*handle_out = handle;
	return r.fb_id;
}

static void set_cap(struct udrm_file *file, uint64_t cap, uint64_t value)
{
	struct drm_set_client_cap req = {.capability = cap, .value = value};

	ut_expect(udrm_file_ioctl(file, DRM_IOCTL_SET_CLIENT_CAP, &req), 0,
		  "SET_CLIENT_CAP %llu", (unsigned long long)cap);
}

static int setup(void **state)
{
	struct kt *t = calloc(1, sizeof(*t));
	unsigned int i;

	t->dev = ut_device("vkms", 0, -1, 0);
	if (!t->dev->kms)
		build_topology(t->dev);
	t->kms = t->dev->kms;
	t->crtc = t->kms->crtcs[0];
	t->primary = t->crtc->primary;
	t->cursor = t->crtc->cursor;
	for (i = 0; i < t->kms->num_total_plane; i++)
		if (t->kms->planes[i]->type == DRM_PLANE_TYPE_OVERLAY &&
		    !t->overlay)
			t->overlay = t->kms->planes[i];
	for (i = 0; i < t->kms->num_connector; i++)
		if (!t->kms->connectors[i]->writeback && !t->conn)
			t->conn = t->kms->connectors[i];
	t->file = ut_open(t->dev, UDRM_NODE_PRIMARY, O_RDWR);
	set_cap(t->file, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	set_cap(t->file, DRM_CLIENT_CAP_ATOMIC, 1);
	t->fb[0] = create_fb(t->file, 640, 480, DRM_FORMAT_XRGB8888, NULL);
	t->fb[1] = create_fb(t->file, 640, 480, DRM_FORMAT_XRGB8888, NULL);
	make_mode(&t->mode, 25200);
	make_mode(&t->slow, 2100); /* 5 Hz: a flip stays pending 200 ms */
	t->mode_blob = create_blob(t->file, &t->mode, sizeof(t->mode));
	t->slow_blob = create_blob(t->file, &t->slow, sizeof(t->slow));
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct kt *t = *state;

	udrm_file_close(t->file);
	udrm_device_destroy(t->dev);
	free(t);
	return 0;
}

/* An atomic request under construction. */
struct req {
	uint32_t objs[32], counts[32], props[128];
	uint64_t values[128];
	uint32_t nobj, nprop;
};

static void add(struct req *r, uint32_t obj, struct udrm_property *prop,
		uint64_t value)
{
	assert_non_null(prop);
	if (!r->nobj || r->objs[r->nobj - 1] != obj) {
		r->objs[r->nobj] = obj;
		r->counts[r->nobj++] = 0;
	}
	r->counts[r->nobj - 1]++;
	r->props[r->nprop] = prop->base.id;
	r->values[r->nprop++] = value;
}

static int atomic(struct udrm_file *file, struct req *r, uint32_t flags,
		  uint64_t user_data)
{
	struct drm_mode_atomic a = {
		.flags = flags,
		.count_objs = r->nobj,
		.objs_ptr = (uintptr_t)r->objs,
		.count_props_ptr = (uintptr_t)r->counts,
		.props_ptr = (uintptr_t)r->props,
		.prop_values_ptr = (uintptr_t)r->values,
		.user_data = user_data,
	};

	return udrm_file_ioctl(file, DRM_IOCTL_MODE_ATOMIC, &a);
}

/* The primary plane showing @fb full screen. */
static void add_primary(struct kt *t, struct req *r, uint32_t fb)
{
	struct udrm_kms *kms = t->kms;
	uint32_t id = t->primary->base.id;

	add(r, id, kms->prop.fb_id, fb);
	add(r, id, kms->prop.crtc_id, fb ? t->crtc->base.id : 0);
	add(r, id, kms->prop.src_x, 0);
	add(r, id, kms->prop.src_y, 0);
	add(r, id, kms->prop.src_w, fb ? 640u << 16 : 0);
	add(r, id, kms->prop.src_h, fb ? 480u << 16 : 0);
	add(r, id, kms->prop.crtc_x, 0);
	add(r, id, kms->prop.crtc_y, 0);
	add(r, id, kms->prop.crtc_w, fb ? 640 : 0);
	add(r, id, kms->prop.crtc_h, fb ? 480 : 0);
}

static struct udrm_property *conn_crtc_prop(struct kt *t)
{
	return t->kms->prop.conn_crtc_id ? t->kms->prop.conn_crtc_id
					 : t->kms->prop.crtc_id;
}

/* A full modeset turning the CRTC on with @blob and fb[0]. */
static void build_modeset(struct kt *t, struct req *r, uint32_t blob)
{
	memset(r, 0, sizeof(*r));
	add(r, t->crtc->base.id, t->kms->prop.active, 1);
	add(r, t->crtc->base.id, t->kms->prop.mode_id, blob);
	add(r, t->conn->base.id, conn_crtc_prop(t), t->crtc->base.id);
	add_primary(t, r, t->fb[0]);
}

static void modeset(struct kt *t, uint32_t blob)
{
	struct req r;

	build_modeset(t, &r, blob);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "blocking modeset");
}

static bool crtc_active(struct kt *t)
{
	bool active;

	pthread_mutex_lock(&t->kms->lock);
	active = t->crtc->state->active;
	pthread_mutex_unlock(&t->kms->lock);
	return active;
}

static uint32_t primary_fb(struct kt *t)
{
	uint32_t id;

	pthread_mutex_lock(&t->kms->lock);
	id = t->primary->state->fb ? t->primary->state->fb->base.id : 0;
	pthread_mutex_unlock(&t->kms->lock);
	return id;
}

/* Whether an event is readable within @ms. */
static bool event_pending(struct udrm_file *file, int ms)
{
	struct pollfd pfd = {.fd = udrm_file_fd(file), .events = POLLIN};

	return poll(&pfd, 1, ms) == 1;
}

/* Reads one event (waiting up to 2 s); fails the test on none. */
static void read_event(struct udrm_file *file, void *buf, size_t len,
		       uint32_t type)
{
	struct drm_event *e = buf;
	ssize_t n;

	ut_check(event_pending(file, 2000), "no event within 2 s");
	n = udrm_file_read(file, buf, len);
	ut_check(n >= (ssize_t)sizeof(*e), "read returned %zd", n);
	ut_expect(e->type, type, "event type");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A fence signalled by the test, and a sync_file for it. */
static struct udrm_fence *test_fence(int *fd)
{
	static const struct udrm_fence_ops ops = {.use_64bit_seqno = false};
	struct udrm_fence *fence = calloc(1, sizeof(*fence));

	udrm_fence_init(fence, &ops, NULL, NULL, udrm_fence_context_alloc(1),
			1);
	*fd = udrm_sync_file_create(fence, true);
	ut_check(*fd >= 0, "sync_file for the test fence: %d", *fd);
	return fence;
}

/* ------------------------------------------------------------------ */
/* Atomic                                                              */

static void test_atomic_test_only_changes_nothing(void **state)
{
	struct kt *t = *state;
	struct req r;
	int flushes = atomic_load(&topo.flushes);

	build_modeset(t, &r, t->mode_blob);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_TEST_ONLY |
				 DRM_MODE_ATOMIC_ALLOW_MODESET,
			 0),
		  0, "TEST_ONLY modeset");
	ut_check(!crtc_active(t), "TEST_ONLY turned the CRTC on");
	ut_expect(primary_fb(t), 0, "primary fb after TEST_ONLY");
	ut_expect(atomic_load(&topo.flushes), flushes, "flushes by TEST_ONLY");
}

static void test_atomic_blocking_commit_changes_state(void **state)
{
	struct kt *t = *state;
	struct req r;

	modeset(t, t->mode_blob);
	ut_check(crtc_active(t), "the CRTC is not active after the modeset");
	ut_expect(primary_fb(t), t->fb[0], "primary fb");
	ut_check(udrm_crtc_vblank_enabled(t->crtc), "vblank is off");

	/* Off again: the vblank timer stops. */
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.active, 0);
	add(&r, t->crtc->base.id, t->kms->prop.mode_id, 0);
	add(&r, t->conn->base.id, conn_crtc_prop(t), 0);
	add_primary(t, &r, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "disabling commit");
	ut_check(!crtc_active(t), "still active");
	ut_check(!udrm_crtc_vblank_enabled(t->crtc), "vblank still on");
}

static void test_atomic_modeset_needs_allow_modeset(void **state)
{
	struct kt *t = *state;
	struct req r;

	build_modeset(t, &r, t->mode_blob);
	ut_expect(atomic(t->file, &r, 0, 0), -EINVAL,
		  "modeset without ALLOW_MODESET");
	ut_check(!crtc_active(t), "a refused modeset turned the CRTC on");
}

static void test_atomic_rejects_bad_flags_and_clients(void **state)
{
	struct kt *t = *state;
	struct udrm_file *other;
	struct req r;

	build_modeset(t, &r, t->mode_blob);
	ut_expect(atomic(t->file, &r, 0x80000000u, 0), -EINVAL, "unknown flag");
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_PAGE_FLIP_EVENT,
			 0),
		  -EINVAL, "TEST_ONLY with PAGE_FLIP_EVENT");
	if (!t->kms->async_page_flip)
		ut_expect(atomic(t->file, &r, DRM_MODE_PAGE_FLIP_ASYNC, 0),
			  -EINVAL, "ASYNC without the capability");

	/* Not master: the dispatcher refuses it. */
	other = ut_open(t->dev, UDRM_NODE_PRIMARY, O_RDWR);
	set_cap(other, DRM_CLIENT_CAP_ATOMIC, 1);
	ut_expect(atomic(other, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), -EACCES,
		  "ATOMIC from a file that is not master");
	udrm_file_close(other);

	/* A master that did not ask for atomic. */
	set_cap(t->file, DRM_CLIENT_CAP_ATOMIC, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0),
		  -EINVAL, "ATOMIC without the atomic client cap");
	set_cap(t->file, DRM_CLIENT_CAP_ATOMIC, 1);
}

static void test_atomic_unknown_objects_and_props(void **state)
{
	struct kt *t = *state;
	struct req r;

	memset(&r, 0, sizeof(r));
	add(&r, 0xdead, t->kms->prop.active, 1);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ENOENT,
		  "unknown object");

	/* MODE_ID is a CRTC property, not a plane's. */
	memset(&r, 0, sizeof(r));
	add(&r, t->primary->base.id, t->kms->prop.mode_id, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ENOENT,
		  "property not on the object");

	/* A framebuffer is an object without properties. */
	memset(&r, 0, sizeof(r));
	add(&r, t->fb[0], t->kms->prop.fb_id, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ENOENT,
		  "object without properties");
}

static void test_atomic_bad_values(void **state)
{
	struct kt *t = *state;
	struct req r;

	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.active, 2);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -EINVAL,
		  "ACTIVE = 2");

	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.mode_id, t->fb[0]);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -EINVAL,
		  "MODE_ID naming a framebuffer");

	/* A blob that is not a mode. */
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.mode_id,
	    create_blob(t->file, "short", 5));
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -EINVAL,
		  "MODE_ID of a 5-byte blob");

	/* Active without a mode. */
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.active, 1);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_TEST_ONLY |
				 DRM_MODE_ATOMIC_ALLOW_MODESET,
			 0),
		  -EINVAL, "ACTIVE without MODE_ID");

	/* A plane with an fb but no CRTC. */
	memset(&r, 0, sizeof(r));
	add(&r, t->primary->base.id, t->kms->prop.fb_id, t->fb[0]);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -EINVAL,
		  "FB_ID without CRTC_ID");

	if (t->overlay && t->overlay->rotation_property) {
		memset(&r, 0, sizeof(r));
		add(&r, t->overlay->base.id, t->overlay->rotation_property,
		    DRM_MODE_ROTATE_0 | DRM_MODE_ROTATE_90);
		ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0),
			  -EINVAL, "two rotations");
	}

	/* Source outside the framebuffer, once the CRTC is on. */
	modeset(t, t->mode_blob);
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	r.values[4] = 641u << 16; /* SRC_W */
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ENOSPC,
		  "SRC_W past the framebuffer");
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	r.values[6] = 0x7fffffff; /* CRTC_X */
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ERANGE,
		  "CRTC_X + CRTC_W overflowing");
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	r.values[8] = 320; /* CRTC_W: scaling */
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -ERANGE,
		  "scaling the primary plane");
}

static void test_atomic_nonblocking_flip_event(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	struct req r;

	modeset(t, t->mode_blob);
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT,
			 0x1234),
		  0, "nonblocking flip with an event");
	ut_expect(primary_fb(t), t->fb[1], "the new fb is current at once");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
	ut_expect(ev.user_data, 0x1234, "user_data of the flip event");
	ut_expect(ev.crtc_id, t->crtc->base.id, "crtc_id of the flip event");
	ut_check(ev.tv_sec || ev.tv_usec, "the event has no time");
}

static void test_atomic_nonblocking_busy_while_pending(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	struct udrm_fence *fence;
	struct req r;
	int fd;

	modeset(t, t->slow_blob);
	fence = test_fence(&fd);
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	add(&r, t->primary->base.id, t->kms->prop.in_fence_fd, (uint64_t)fd);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT,
			 1),
		  0, "flip waiting for a fence");

	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[0]);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0), -EBUSY,
		  "second nonblocking flip while the first is pending");
	/* The in-fence holds the flip back. */
	ut_check(!event_pending(t->file, 300),
		 "the flip completed before its in-fence signalled");
	udrm_fence_signal(fence);
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
	ut_expect(ev.user_data, 1, "user_data");
	udrm_fence_put(fence);
	close(fd);

	/* Once flipped, the next one goes through. */
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[0]);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT,
			 2),
		  0, "flip after the previous completed");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
}

struct blocking_commit {
	struct kt *t;
	struct req r;
	atomic_int done;
	int ret;
};

static void *blocking_commit_thread(void *arg)
{
	struct blocking_commit *b = arg;

	b->ret = atomic(b->t->file, &b->r, 0, 0);
	atomic_store(&b->done, 1);
	return NULL;
}

static void test_atomic_in_fence_is_waited_for(void **state)
{
	struct kt *t = *state;
	struct blocking_commit b = {.t = t};
	struct udrm_fence *fence;
	pthread_t thread;
	int fd;

	modeset(t, t->mode_blob);
	fence = test_fence(&fd);
	add_primary(t, &b.r, t->fb[1]);
	add(&b.r, t->primary->base.id, t->kms->prop.in_fence_fd, (uint64_t)fd);
	pthread_create(&thread, NULL, blocking_commit_thread, &b);
	usleep(150 * 1000);
	ut_check(!atomic_load(&b.done),
		 "a blocking commit returned before its in-fence signalled");
	/* The kms lock is free while the commit waits. */
	ut_expect(primary_fb(t), t->fb[1], "state swapped before the wait");
	udrm_fence_signal(fence);
	pthread_join(thread, NULL);
	ut_expect(b.ret, 0, "blocking commit with an in-fence");
	udrm_fence_put(fence);
	close(fd);

	/* Not a sync_file: -EINVAL. */
	memset(&b.r, 0, sizeof(b.r));
	add(&b.r, t->primary->base.id, t->kms->prop.in_fence_fd, 0);
	ut_expect(atomic(t->file, &b.r, DRM_MODE_ATOMIC_TEST_ONLY, 0), -EINVAL,
		  "IN_FENCE_FD of stdin");
}

static void test_atomic_out_fence_signals_at_flip(void **state)
{
	struct kt *t = *state;
	struct udrm_fence *fence;
	int32_t out = -2;
	struct req r;

	modeset(t, t->mode_blob);
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	add(&r, t->crtc->base.id, t->kms->prop.out_fence_ptr, (uintptr_t)&out);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0), 0,
		  "flip with OUT_FENCE_PTR");
	ut_check(out >= 0, "no out-fence fd: %d", out);
	fence = udrm_sync_file_get_fence(out);
	ut_check(fence != NULL, "the out-fence fd is not a sync_file");
	ut_check(udrm_fence_wait_timeout(fence, false, 2000000000ull) > 0,
		 "the out-fence did not signal within 2 s");
	udrm_fence_put(fence);
	close(out);

	/* TEST_ONLY writes -1. */
	out = 7;
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0), 0,
		  "TEST_ONLY with OUT_FENCE_PTR");
	ut_expect(out, -1, "out fence of a TEST_ONLY commit");

	/* A bad pointer: -EFAULT. */
	ut_guard_user_faults();
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.out_fence_ptr,
	    (uintptr_t)ut_readonly_page());
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0), -EFAULT,
		  "OUT_FENCE_PTR to a read-only page");
}

/* A nonblocking commit that touches no CRTC (a property of a disabled
 * plane) has no flip to wait for: it is cleaned up after its tail, and
 * the device tears down without waiting for it forever. */
static void
test_atomic_nonblocking_commit_without_crtc_is_cleaned_up(void **state)
{
	struct kt *t = *state;
	struct udrm_property *zpos = t->overlay->zpos_property;
	struct req r;
	int i;

	if (!zpos)
		zpos = t->primary->zpos_property;
	assert_non_null(zpos);
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		add(&r, t->overlay->base.id, zpos, 1);
		ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0), 0,
			  "nonblocking commit of a disabled plane");
	}
	/* A blocking one on top still completes. */
	memset(&r, 0, sizeof(r));
	add(&r, t->overlay->base.id, zpos, 1);
	ut_expect(atomic(t->file, &r, 0, 0), 0,
		  "blocking commit of a disabled plane");
	/* An empty blocking modeset commit: nothing to do, nothing kept. */
	memset(&r, 0, sizeof(r));
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "empty commit");
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0), 0,
		  "empty nonblocking commit");
	/* teardown: udrm_atomic_helper_fini waits for every commit. */
}

/* modetest -v: nonblocking flips with events, each one issued as soon as
 * the previous one's event was read, never find the CRTC busy; then a
 * blocking commit on top of a pending flip, and one turning the CRTC off
 * under a pending flip, complete and send every event. */
static void test_atomic_flips_then_blocking_commits_complete(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	struct req r;
	int i;

	modeset(t, t->mode_blob);
	for (i = 0; i < 30; i++) {
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[(i + 1) & 1]);
		ut_expect(atomic(t->file, &r,
				 DRM_MODE_ATOMIC_NONBLOCK |
					 DRM_MODE_PAGE_FLIP_EVENT,
				 (uint64_t)i),
			  0, "flip %d right after the previous event", i);
		read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
		ut_expect(ev.user_data, (uint64_t)i, "user_data of flip %d", i);
	}
	for (i = 0; i < 20; i++) {
		/* A flip left pending, then a blocking commit. */
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[i & 1]);
		ut_expect(atomic(t->file, &r,
				 DRM_MODE_ATOMIC_NONBLOCK |
					 DRM_MODE_PAGE_FLIP_EVENT,
				 100),
			  0, "flip before blocking commit %d", i);
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[(i + 1) & 1]);
		ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0),
			  0, "blocking commit %d over a pending flip", i);
		read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
		ut_expect(ev.user_data, 100, "the pending flip's event");
	}
	/* modetest's cleanup: planes off, then the CRTC off, blocking, with
	 * a flip still pending. */
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, t->fb[1]);
	ut_expect(atomic(t->file, &r,
			 DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT,
			 200),
		  0, "last flip");
	memset(&r, 0, sizeof(r));
	add_primary(t, &r, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "planes off");
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.active, 0);
	add(&r, t->crtc->base.id, t->kms->prop.mode_id, 0);
	add(&r, t->conn->base.id, conn_crtc_prop(t), 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "CRTC off");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
	ut_expect(ev.user_data, 200, "the last flip's event");
	ut_check(!crtc_active(t), "still active");
}

struct flipper {
	struct kt *t;
	atomic_int stop, flips;
	int busy, errors;
};

/* Nonblocking flips without events, as fast as they are accepted. */
static void *flipper_thread(void *arg)
{
	struct flipper *f = arg;
	struct req r;
	int ret, i = 0;

	while (!atomic_load(&f->stop)) {
		memset(&r, 0, sizeof(r));
		add_primary(f->t, &r, f->t->fb[i++ & 1]);
		ret = atomic(f->t->file, &r, DRM_MODE_ATOMIC_NONBLOCK, 0);
		if (!ret)
			atomic_fetch_add(&f->flips, 1);
		else if (ret == -EBUSY)
			f->busy++;
		else
			f->errors++;
		usleep(500);
	}
	return NULL;
}

/* Blocking commits racing nonblocking flips on the same CRTC (the
 * committer waits with the kms lock dropped and builds its state again
 * when the flips replaced the states it saw): every commit completes,
 * nothing is freed twice (ASan) and the device tears down. */
static void test_atomic_blocking_commits_race_nonblocking_flips(void **state)
{
	struct kt *t = *state;
	struct flipper f = {.t = t};
	pthread_t thread;
	struct req r;
	int i;

	modeset(t, t->mode_blob);
	pthread_create(&thread, NULL, flipper_thread, &f);
	for (i = 0; i < 40; i++) {
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[i & 1]);
		if (i % 10 == 9) {
			add(&r, t->crtc->base.id, t->kms->prop.mode_id,
			    (i / 10) & 1 ? t->mode_blob : t->slow_blob);
		}
		ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0),
			  0, "blocking commit %d racing flips", i);
	}
	/* On a loaded machine every flip may have found a commit pending
	 * (-EBUSY): once the blocking commits stop, one must go through. */
	for (i = 0; i < 400 && !atomic_load(&f.flips); i++)
		usleep(5000);
	atomic_store(&f.stop, 1);
	pthread_join(thread, NULL);
	ut_expect(f.errors, 0, "flips failing other than -EBUSY");
	ut_check(atomic_load(&f.flips) > 0, "no flip went through");
}

/* An out-fence outlives its commit: after the flip and the commit's
 * cleanup, its sync_file still names the driver and the CRTC's timeline,
 * and the last reference (here: closing the fd) releases it once (the
 * release op once put the names and destroyed the lock the fence core
 * puts and destroys again: heap-use-after-free). */
static void test_atomic_out_fence_released_once_after_the_commit(void **state)
{
	struct kt *t = *state;
	struct udrm_fence *fence;
	int32_t out = -2;
	struct req r;
	int i;

	modeset(t, t->mode_blob);
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[(i + 1) & 1]);
		add(&r, t->crtc->base.id, t->kms->prop.out_fence_ptr,
		    (uintptr_t)&out);
		ut_expect(atomic(t->file, &r,
				 i == 1 ? 0 : DRM_MODE_ATOMIC_NONBLOCK, 0),
			  0, "commit %d with OUT_FENCE_PTR", i);
		fence = udrm_sync_file_get_fence(out);
		ut_check(fence != NULL, "out-fence %d", i);
		ut_check(udrm_fence_wait_timeout(fence, false, 2000000000ull) >
				 0,
			 "out-fence %d did not signal", i);
		/* Let the commit clean up: the fence has no other holder. */
		memset(&r, 0, sizeof(r));
		add_primary(t, &r, t->fb[i & 1]);
		ut_expect(atomic(t->file, &r, 0, 0), 0, "blocking commit");
		ut_check(strcmp(udrm_fence_timeline_name(fence),
				t->crtc->name) == 0,
			 "timeline name: %s", udrm_fence_timeline_name(fence));
		ut_check(udrm_fence_driver_name(fence)[0] != '\0',
			 "driver name");
		if (i == 2) {
			close(out);
			udrm_fence_put(fence); /* the last reference */
		} else {
			udrm_fence_put(fence);
			close(out); /* the last reference */
		}
	}
}

static void test_atomic_zpos_normalised(void **state)
{
	struct kt *t = *state;
	struct req r;
	uint32_t ov = t->overlay ? t->overlay->base.id : 0;

	if (!t->overlay || !t->overlay->zpos_property ||
	    !t->primary->zpos_property)
		skip();
	modeset(t, t->mode_blob);
	memset(&r, 0, sizeof(r));
	add(&r, ov, t->kms->prop.fb_id, t->fb[1]);
	add(&r, ov, t->kms->prop.crtc_id, t->crtc->base.id);
	add(&r, ov, t->kms->prop.src_w, 64u << 16);
	add(&r, ov, t->kms->prop.src_h, 64u << 16);
	add(&r, ov, t->kms->prop.crtc_w, 64);
	add(&r, ov, t->kms->prop.crtc_h, 64);
	add(&r, ov, t->overlay->zpos_property, 0);
	add(&r, t->primary->base.id, t->primary->zpos_property, 0);
	ut_expect(atomic(t->file, &r, 0, 0), 0, "overlay at zpos 0");
	pthread_mutex_lock(&t->kms->lock);
	/* Equal zpos: the lower plane id goes below. */
	ut_expect(t->primary->state->normalized_zpos,
		  t->primary->base.id < ov ? 0 : 1, "primary rank");
	ut_expect(t->overlay->state->normalized_zpos,
		  t->primary->base.id < ov ? 1 : 0, "overlay rank");
	pthread_mutex_unlock(&t->kms->lock);

	memset(&r, 0, sizeof(r));
	add(&r, t->primary->base.id, t->primary->zpos_property, 2);
	add(&r, ov, t->overlay->zpos_property, 1);
	ut_expect(atomic(t->file, &r, 0, 0), 0, "primary above the overlay");
	pthread_mutex_lock(&t->kms->lock);
	ut_expect(t->overlay->state->normalized_zpos, 0, "overlay rank");
	ut_expect(t->primary->state->normalized_zpos, 1, "primary rank");
	pthread_mutex_unlock(&t->kms->lock);
}

static void test_obj_setproperty_dpms(void **state)
{
	struct kt *t = *state;
	struct drm_mode_obj_set_property req = {
		.obj_id = t->conn->base.id,
		.obj_type = DRM_MODE_OBJECT_CONNECTOR,
		.prop_id = t->kms->prop.dpms->base.id,
		.value = DRM_MODE_DPMS_OFF,
	};

	modeset(t, t->mode_blob);
	ut_expect(
		udrm_file_ioctl(t->file, DRM_IOCTL_MODE_OBJ_SETPROPERTY, &req),
		0, "DPMS off");
	ut_check(!crtc_active(t), "DPMS off left the CRTC active");
	req.value = DRM_MODE_DPMS_ON;
	ut_expect(
		udrm_file_ioctl(t->file, DRM_IOCTL_MODE_OBJ_SETPROPERTY, &req),
		0, "DPMS on");
	ut_check(crtc_active(t), "DPMS on left the CRTC off");

	/* DPMS is not an atomic property. */
	{
		struct req r;

		memset(&r, 0, sizeof(r));
		add(&r, t->conn->base.id, t->kms->prop.dpms, 0);
		ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_TEST_ONLY, 0),
			  -EINVAL, "DPMS through ATOMIC");
	}
}

static uint32_t conn_dpms(struct kt *t)
{
	uint32_t dpms;

	pthread_mutex_lock(&t->kms->lock);
	dpms = t->conn->dpms;
	pthread_mutex_unlock(&t->kms->lock);
	return dpms;
}

/* drm_atomic_helper_update_legacy_modeset_state(): an atomic modeset
 * lighting the connector's CRTC turns its DPMS On, taking the CRTC away
 * turns it Off. */
static void test_atomic_modeset_updates_connector_dpms(void **state)
{
	struct kt *t = *state;
	struct req r;

	ut_expect(conn_dpms(t), DRM_MODE_DPMS_OFF, "DPMS of an idle connector");
	modeset(t, t->mode_blob);
	ut_expect(conn_dpms(t), DRM_MODE_DPMS_ON, "DPMS after the modeset");
	memset(&r, 0, sizeof(r));
	add(&r, t->crtc->base.id, t->kms->prop.active, 0);
	add(&r, t->crtc->base.id, t->kms->prop.mode_id, 0);
	add(&r, t->conn->base.id, conn_crtc_prop(t), 0);
	add(&r, t->primary->base.id, t->kms->prop.fb_id, 0);
	add(&r, t->primary->base.id, t->kms->prop.crtc_id, 0);
	ut_expect(atomic(t->file, &r, DRM_MODE_ATOMIC_ALLOW_MODESET, 0), 0,
		  "disabling commit");
	ut_expect(conn_dpms(t), DRM_MODE_DPMS_OFF,
		  "DPMS after the CRTC was taken away");
}

/* ------------------------------------------------------------------ */
/* Legacy                                                              */

static int setcrtc(struct kt *t, uint32_t fb, const struct drm_mode_modeinfo *m,
		   uint32_t *conns, uint32_t nconns)
{
	struct drm_mode_crtc req = {
		.crtc_id = t->crtc->base.id,
		.fb_id = fb,
		.set_connectors_ptr = (uintptr_t)conns,
		.count_connectors = nconns,
		.mode_valid = m != NULL,
	};

	if (m)
		req.mode = *m;
	return udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETCRTC, &req);
}

static void test_legacy_setcrtc(void **state)
{
	struct kt *t = *state;
	uint32_t conn = t->conn->base.id, bad = 0xdead;

	ut_expect(setcrtc(t, t->fb[0], &t->mode, NULL, 0), -EINVAL,
		  "mode without connectors");
	ut_expect(setcrtc(t, 0, &t->mode, &conn, 1), -ENOENT, "mode with fb 0");
	ut_expect(setcrtc(t, t->fb[0], &t->mode, &bad, 1), -ENOENT,
		  "unknown connector");
	ut_expect(setcrtc(t, t->fb[0], &t->mode, &conn, 1), 0, "SETCRTC on");
	ut_check(crtc_active(t), "SETCRTC did not turn the CRTC on");
	ut_expect(primary_fb(t), t->fb[0], "primary fb after SETCRTC");
	ut_expect(setcrtc(t, (uint32_t)-1, &t->mode, &conn, 1), 0,
		  "SETCRTC with the current fb (-1)");
	{
		struct drm_mode_crtc req = {.crtc_id = t->crtc->base.id,
					    .x = 0x10000};

		ut_expect(
			udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETCRTC, &req),
			-ERANGE, "x beyond 16 bits");
	}
	ut_expect(setcrtc(t, 0, NULL, NULL, 0), 0, "SETCRTC off");
	ut_check(!crtc_active(t), "SETCRTC off left the CRTC on");
	ut_expect(primary_fb(t), 0, "primary fb after SETCRTC off");
}

static int setplane(struct kt *t, uint32_t plane, uint32_t fb, int32_t x,
		    uint32_t w, uint32_t src_w)
{
	struct drm_mode_set_plane req = {
		.plane_id = plane,
		.crtc_id = t->crtc->base.id,
		.fb_id = fb,
		.crtc_x = x,
		.crtc_w = w,
		.crtc_h = 64,
		.src_w = src_w,
		.src_h = 64u << 16,
	};

	return udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETPLANE, &req);
}

static void test_legacy_setplane(void **state)
{
	struct kt *t = *state;
	uint32_t ov;

	if (!t->overlay)
		skip();
	ov = t->overlay->base.id;
	modeset(t, t->mode_blob);
	ut_expect(setplane(t, 0xdead, t->fb[1], 0, 64, 64u << 16), -ENOENT,
		  "unknown plane");
	ut_expect(setplane(t, ov, 0xdead, 0, 64, 64u << 16), -ENOENT,
		  "unknown fb");
	ut_expect(setplane(t, ov, t->fb[1], 0, 64, 641u << 16), -ENOSPC,
		  "source past the fb");
	ut_expect(setplane(t, ov, t->fb[1], 0x7fffffc0, 128, 128u << 16),
		  -ERANGE, "crtc_x + crtc_w overflowing");
	ut_expect(setplane(t, ov, t->fb[1], 10, 64, 64u << 16), 0,
		  "SETPLANE of the overlay");
	pthread_mutex_lock(&t->kms->lock);
	ut_check(t->overlay->state->visible, "the overlay is not visible");
	ut_expect(t->overlay->state->dst.x1, 10, "overlay x");
	pthread_mutex_unlock(&t->kms->lock);
	ut_expect(setplane(t, ov, 0, 0, 0, 0), 0, "SETPLANE off");
	pthread_mutex_lock(&t->kms->lock);
	ut_check(!t->overlay->state->fb, "the overlay still has an fb");
	pthread_mutex_unlock(&t->kms->lock);
}

static void test_legacy_page_flip(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	struct drm_mode_crtc_page_flip req = {
		.crtc_id = t->crtc->base.id,
		.fb_id = t->fb[1],
		.flags = DRM_MODE_PAGE_FLIP_EVENT,
		.user_data = 77,
	};

	req.flags = 0x100;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req),
		  -EINVAL, "unknown flag");
	req.flags = DRM_MODE_PAGE_FLIP_TARGET;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req),
		  -EINVAL, "both target flags");
	req.flags = DRM_MODE_PAGE_FLIP_EVENT;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req),
		  -EBUSY, "flip of a CRTC without fb");

	modeset(t, t->slow_blob);
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req), 0,
		  "PAGE_FLIP with an event");
	req.fb_id = t->fb[0];
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req),
		  -EBUSY, "PAGE_FLIP while one is pending");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
	ut_expect(ev.user_data, 77, "user_data of the flip");
	ut_expect(primary_fb(t), t->fb[1], "fb after the flip");
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req), 0,
		  "PAGE_FLIP after the previous completed");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);

	req.fb_id = 0xdead;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP, &req),
		  -ENOENT, "unknown fb");
}

/* modetest -s -v: each PAGE_FLIP is issued from the previous flip's event
 * handler, and modetest ignores its result. A flip refused with -EBUSY
 * there (the event readable before the commit knew of its flip) leaves
 * no event to wait for: "select timed out". */
static void test_legacy_page_flip_from_event_is_never_busy(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	struct drm_mode_crtc_page_flip req = {
		.crtc_id = t->crtc->base.id,
		.flags = DRM_MODE_PAGE_FLIP_EVENT,
	};
	int i;

	modeset(t, t->mode_blob);
	for (i = 0; i < 90; i++) {
		req.fb_id = t->fb[(i + 1) & 1];
		req.user_data = (uint64_t)i;
		ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_PAGE_FLIP,
					  &req),
			  0, "PAGE_FLIP %d from the previous flip's event", i);
		read_event(t->file, &ev, sizeof(ev), DRM_EVENT_FLIP_COMPLETE);
		ut_expect(ev.user_data, (uint64_t)i, "user_data of flip %d", i);
	}
}

static void test_legacy_cursor(void **state)
{
	struct kt *t = *state;
	struct drm_mode_cursor req = {
		.flags = DRM_MODE_CURSOR_BO,
		.crtc_id = t->crtc->base.id,
		.width = 64,
		.height = 64,
	};
	uint32_t handle = ut_dumb_create(t->file, 64, 64, 32, NULL, NULL);

	if (!t->cursor)
		skip();
	modeset(t, t->mode_blob);
	req.handle = handle;
	req.flags = 0;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CURSOR, &req),
		  -EINVAL, "no flags");
	req.flags = DRM_MODE_CURSOR_BO;
	req.width = 4096;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CURSOR, &req),
		  -EINVAL, "cursor wider than the maximum");
	req.width = 64;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CURSOR, &req), 0,
		  "cursor BO");
	pthread_mutex_lock(&t->kms->lock);
	ut_check(t->cursor->state->fb != NULL, "no cursor fb");
	ut_expect(t->cursor->state->crtc_w, 64, "cursor width");
	pthread_mutex_unlock(&t->kms->lock);

	req.flags = DRM_MODE_CURSOR_MOVE;
	req.x = 100;
	req.y = 50;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CURSOR, &req), 0,
		  "cursor move");
	pthread_mutex_lock(&t->kms->lock);
	ut_expect(t->cursor->state->crtc_x, 100, "cursor x");
	ut_expect(t->cursor->state->crtc_y, 50, "cursor y");
	pthread_mutex_unlock(&t->kms->lock);

	req.flags = DRM_MODE_CURSOR_BO;
	req.handle = 0;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_CURSOR, &req), 0,
		  "cursor off");
	pthread_mutex_lock(&t->kms->lock);
	ut_check(t->cursor->state->fb == NULL, "cursor still shown");
	pthread_mutex_unlock(&t->kms->lock);
	ut_gem_close(t->file, handle);
}

static void test_legacy_gamma(void **state)
{
	struct kt *t = *state;
	uint32_t n = t->crtc->gamma_size, i;
	uint16_t *in, *out;
	struct drm_mode_crtc_lut req = {.crtc_id = t->crtc->base.id};

	if (!n)
		skip();
	in = calloc(3 * n, sizeof(*in));
	out = calloc(3 * n, sizeof(*out));
	for (i = 0; i < 3 * n; i++)
		in[i] = (uint16_t)(i * 97);
	req.gamma_size = n + 1;
	req.red = (uintptr_t)in;
	req.green = (uintptr_t)(in + n);
	req.blue = (uintptr_t)(in + 2 * n);
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETGAMMA, &req),
		  -EINVAL, "SETGAMMA of the wrong size");
	req.gamma_size = n;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_SETGAMMA, &req), 0,
		  "SETGAMMA");
	pthread_mutex_lock(&t->kms->lock);
	ut_check(t->crtc->state->gamma_lut != NULL, "no GAMMA_LUT blob");
	ut_expect(t->crtc->state->gamma_lut->length,
		  n * sizeof(struct drm_color_lut), "GAMMA_LUT size");
	ut_expect(((struct drm_color_lut *)t->crtc->state->gamma_lut->data)[3]
			  .green,
		  in[n + 3], "GAMMA_LUT green[3]");
	pthread_mutex_unlock(&t->kms->lock);
	req.red = (uintptr_t)out;
	req.green = (uintptr_t)(out + n);
	req.blue = (uintptr_t)(out + 2 * n);
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_MODE_GETGAMMA, &req), 0,
		  "GETGAMMA");
	ut_check(!memcmp(in, out, 3 * n * sizeof(*in)),
		 "GETGAMMA differs from what SETGAMMA set");
	free(in);
	free(out);
}

/* ------------------------------------------------------------------ */
/* Vblank                                                              */

static int wait_vblank(struct udrm_file *file, unsigned int type,
		       unsigned int seq, union drm_wait_vblank *out)
{
	union drm_wait_vblank vbl;

	memset(&vbl, 0, sizeof(vbl));
	vbl.request.type = type;
	vbl.request.sequence = seq;
	vbl.request.signal = 0x55;
	int ret = udrm_file_ioctl(file, DRM_IOCTL_WAIT_VBLANK, &vbl);

	if (out)
		*out = vbl;
	return ret;
}

static void test_vblank_wait_relative_absolute(void **state)
{
	struct kt *t = *state;
	union drm_wait_vblank v;
	unsigned int start;
	double t0, dt;

	ut_expect(wait_vblank(t->file, _DRM_VBLANK_RELATIVE, 1, NULL), -EINVAL,
		  "WAIT_VBLANK on a CRTC that is off");
	modeset(t, t->mode_blob);
	ut_expect(wait_vblank(t->file,
			      _DRM_VBLANK_RELATIVE | _DRM_VBLANK_SIGNAL, 1,
			      NULL),
		  -EINVAL, "the SIGNAL flag");
	ut_expect(wait_vblank(t->file, _DRM_VBLANK_RELATIVE, 0, &v), 0,
		  "query");
	start = v.reply.sequence;

	t0 = now_s();
	ut_expect(wait_vblank(t->file, _DRM_VBLANK_RELATIVE, 30, &v), 0,
		  "wait for 30 vblanks");
	dt = now_s() - t0;
	ut_check(v.reply.sequence >= start + 30,
		 "count %u after waiting for %u", v.reply.sequence, start + 30);
	/* 30 frames at 60 Hz are 0.5 s: loosely. */
	ut_check(dt > 0.3 && dt < 1.5, "30 vblanks at 60 Hz took %.3f s", dt);

	ut_expect(wait_vblank(t->file, _DRM_VBLANK_ABSOLUTE,
			      v.reply.sequence + 2, &v),
		  0, "absolute wait");
	ut_check(v.reply.sequence >= start + 32, "absolute count %u",
		 v.reply.sequence);
	/* A past target returns at once; NEXTONMISS waits for the next. */
	ut_expect(wait_vblank(t->file, _DRM_VBLANK_ABSOLUTE, start, &v), 0,
		  "past absolute target");
	ut_expect(wait_vblank(t->file,
			      _DRM_VBLANK_ABSOLUTE | _DRM_VBLANK_NEXTONMISS,
			      start, &v),
		  0, "NEXTONMISS");
	ut_check(v.reply.sequence > start + 32, "NEXTONMISS count %u",
		 v.reply.sequence);
	ut_check(atomic_load(&topo.vblanks) > 0 ||
			 t->dev->kms->crtcs[0] != &topo.crtc,
		 "the driver's vblank hook never ran");
}

static void test_vblank_wait_event(void **state)
{
	struct kt *t = *state;
	struct drm_event_vblank ev;
	union drm_wait_vblank v;

	modeset(t, t->mode_blob);
	ut_expect(wait_vblank(t->file, _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT,
			      2, &v),
		  0, "WAIT_VBLANK with an event");
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_VBLANK);
	ut_expect(ev.user_data, 0x55, "user_data of the vblank event");
	ut_expect(ev.sequence, v.reply.sequence, "the event's count");
	ut_expect(ev.crtc_id, t->crtc->base.id, "crtc_id");
}

static void test_vblank_crtc_sequence(void **state)
{
	struct kt *t = *state;
	struct drm_crtc_get_sequence get = {.crtc_id = t->crtc->base.id};
	struct drm_crtc_queue_sequence q = {
		.crtc_id = t->crtc->base.id,
		.flags = DRM_CRTC_SEQUENCE_RELATIVE,
		.sequence = 3,
		.user_data = 0xabc,
	};
	struct drm_event_crtc_sequence ev;

	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_CRTC_GET_SEQUENCE, &get),
		  -EINVAL, "GET_SEQUENCE of a CRTC that is off");
	modeset(t, t->mode_blob);
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_CRTC_GET_SEQUENCE, &get),
		  0, "GET_SEQUENCE");
	ut_expect(get.active, 1, "active");
	ut_check(get.sequence_ns > 0, "no time");
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_CRTC_QUEUE_SEQUENCE, &q),
		  0, "QUEUE_SEQUENCE");
	ut_check(q.sequence >= get.sequence + 3, "queued for %llu after %llu",
		 (unsigned long long)q.sequence,
		 (unsigned long long)get.sequence);
	read_event(t->file, &ev, sizeof(ev), DRM_EVENT_CRTC_SEQUENCE);
	ut_expect(ev.user_data, 0xabc, "user_data");
	ut_expect(ev.sequence, q.sequence, "the event's count");

	q.flags = 0x80;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_CRTC_QUEUE_SEQUENCE, &q),
		  -EINVAL, "unknown flag");
	q.flags = 0;
	q.crtc_id = 0xdead;
	ut_expect(udrm_file_ioctl(t->file, DRM_IOCTL_CRTC_QUEUE_SEQUENCE, &q),
		  -ENOENT, "unknown CRTC");
}

static void test_vblank_events_dropped_on_close(void **state)
{
	struct kt *t = *state;
	struct udrm_file *other = ut_open(t->dev, UDRM_NODE_PRIMARY, O_RDWR);
	union drm_wait_vblank v;
	int i;

	modeset(t, t->mode_blob);
	for (i = 0; i < 8; i++)
		ut_expect(wait_vblank(other,
				      _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT,
				      (unsigned int)(1 + i % 2), NULL),
			  0, "event %d", i);
	ut_expect(wait_vblank(other, _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT,
			      1000, NULL),
		  0, "far event");
	udrm_file_close(other);
	/* The timer keeps going and sends nothing to the closed file. */
	ut_expect(wait_vblank(t->file, _DRM_VBLANK_RELATIVE, 3, &v), 0,
		  "wait after close");
	ut_check(!event_pending(t->file, 0), "an event reached another file");
}

static void test_vblank_event_budget(void **state)
{
	struct kt *t = *state;
	int i, ret = 0;

	modeset(t, t->mode_blob);
	for (i = 0; i < 1000 && !ret; i++)
		ret = wait_vblank(t->file,
				  _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT,
				  100000, NULL);
	ut_expect(ret, -ENOMEM, "events past the file's budget");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_atomic_test_only_changes_nothing),
		T(test_atomic_blocking_commit_changes_state),
		T(test_atomic_modeset_needs_allow_modeset),
		T(test_atomic_rejects_bad_flags_and_clients),
		T(test_atomic_unknown_objects_and_props),
		T(test_atomic_bad_values),
		T(test_atomic_nonblocking_flip_event),
		T(test_atomic_nonblocking_busy_while_pending),
		T(test_atomic_in_fence_is_waited_for),
		T(test_atomic_out_fence_signals_at_flip),
		T(test_atomic_out_fence_released_once_after_the_commit),
		T(test_atomic_zpos_normalised),
		T(test_atomic_nonblocking_commit_without_crtc_is_cleaned_up),
		T(test_atomic_flips_then_blocking_commits_complete),
		T(test_atomic_blocking_commits_race_nonblocking_flips),
		T(test_atomic_modeset_updates_connector_dpms),
		T(test_obj_setproperty_dpms),
		T(test_legacy_setcrtc),
		T(test_legacy_setplane),
		T(test_legacy_page_flip),
		T(test_legacy_page_flip_from_event_is_never_busy),
		T(test_legacy_cursor),
		T(test_legacy_gamma),
		T(test_vblank_wait_relative_absolute),
		T(test_vblank_wait_event),
		T(test_vblank_crtc_sequence),
		T(test_vblank_events_dropped_on_close),
		T(test_vblank_event_budget),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
