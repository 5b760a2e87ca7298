/* SPDX-License-Identifier: MIT */
/*
 * KMS: mode objects, properties, blobs, framebuffers, atomic state,
 * vblank and leases, as the kernel's drm_mode_config / drm_atomic /
 * drm_vblank. Drivers build their topology with the *_init() functions
 * below from their load() hook and provide small op tables; the core does
 * the rest (ioctls, checks, state, events).
 *
 * Ownership:
 * - struct udrm_kms is owned by the device (dev->kms), made by
 *   udrm_kms_init() and freed by udrm_kms_fini() after every file closed.
 * - CRTCs, planes, encoders and connectors are allocated by the driver
 *   (usually embedded in its own struct) and live until udrm_kms_fini(),
 *   which calls their funcs->destroy (if set) in reverse creation order.
 * - Framebuffers and blobs are reference counted (udrm_framebuffer_get/put,
 *   udrm_blob_get/put). The creating file's list holds one reference; every
 *   state pointing at one holds another.
 * - Atomic states hold references to the fbs/blobs/fences they point at.
 *
 * Locking:
 * - kms->lock (a mutex; the kernel's mode_config.mutex and every modeset
 *   lock in one) protects all mode object state (current states, property
 *   values, connector status and modes), the object id table, the fb and
 *   blob lists, lease tables and kms->pending commits. It may be taken
 *   with no other udrm lock held; it may then take dev->lock (GEM lookups,
 *   master checks): order kms->lock -> dev->lock -> file->event_lock.
 * - Each CRTC's vblank has its own lock (crtc->vblank.lock), innermost
 *   (nothing is taken under it but file->event_lock, fence locks and the
 *   commit worker's leaf lock). The vblank thread never takes kms->lock.
 * - Driver hooks are called with kms->lock held unless their comment says
 *   otherwise.
 */
#ifndef UDRM_KMS_KMS_H
#define UDRM_KMS_KMS_H

#include <drm.h>
#include <drm_fourcc.h>
#include <drm_mode.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct udrm_device;
struct udrm_file;
struct udrm_gem_object;
struct udrm_fence;
struct udrm_kms;
struct udrm_crtc;
struct udrm_plane;
struct udrm_connector;
struct udrm_atomic_state;
struct udrm_commit; /* kms/atomic_helper.c */
struct udrm_commit_worker;
struct udrm_encoder;

/* Kernel-internal enums the uapi headers do not carry: plane types
 * (enum drm_plane_type, the "type" property's values) and pixel blend
 * modes (the "pixel blend mode" property's values). */
#ifndef DRM_PLANE_TYPE_OVERLAY
#define DRM_PLANE_TYPE_OVERLAY 0
#define DRM_PLANE_TYPE_PRIMARY 1
#define DRM_PLANE_TYPE_CURSOR  2
#endif
#ifndef DRM_MODE_BLEND_PIXEL_NONE
#define DRM_MODE_BLEND_PIXEL_NONE 0
#define DRM_MODE_BLEND_PREMULTI	  1
#define DRM_MODE_BLEND_COVERAGE	  2
#endif

/* Formats newer than the installed drm_fourcc.h: colour-indexed and
 * grey levels of 1, 2 and 4 bits, packed MSB first (the leftmost pixel
 * in the top bits). */
#ifndef DRM_FORMAT_C1
#define DRM_FORMAT_C1 fourcc_code('C', '1', ' ', ' ')
#define DRM_FORMAT_C2 fourcc_code('C', '2', ' ', ' ')
#define DRM_FORMAT_C4 fourcc_code('C', '4', ' ', ' ')
#endif
#ifndef DRM_FORMAT_R1
#define DRM_FORMAT_R1 fourcc_code('R', '1', ' ', ' ')
#define DRM_FORMAT_R2 fourcc_code('R', '2', ' ', ' ')
#define DRM_FORMAT_R4 fourcc_code('R', '4', ' ', ' ')
#endif

#define UDRM_KMS_MAX_CRTCS	32
#define UDRM_KMS_MAX_PLANES	64
#define UDRM_KMS_MAX_ENCODERS	32
#define UDRM_KMS_MAX_CONNECTORS 32
#define UDRM_KMS_MAX_PROPS	64 /* per object, DRM_OBJECT_MAX_PROPERTY */

/* ------------------------------------------------------------------ */
/* Mode objects (kms/mode_object.c)                                    */

struct udrm_object_props {
	uint32_t count;
	struct udrm_property *props[UDRM_KMS_MAX_PROPS];
	/* Values of non-atomic properties (and the initial value of atomic
	 * ones, unused after that: atomic values live in the states). */
	uint64_t values[UDRM_KMS_MAX_PROPS];
};

struct udrm_mode_object {
	uint32_t id;			 /* 0 until registered */
	uint32_t type;			 /* DRM_MODE_OBJECT_* */
	struct udrm_object_props *props; /* NULL: object has none */
	/* Refcounted objects (fb, blob) only: */
	atomic_int refcount;
	void (*free)(struct udrm_mode_object *obj);
};

/* Allocates an id for @obj (ids start at 1, shared by every type, as the
 * kernel's idr). -ENOMEM/-ENOSPC. Objects added with @visible false are
 * found by udrm_mode_object_find only after udrm_mode_object_register. */
int udrm_mode_object_add(struct udrm_kms *kms, struct udrm_mode_object *obj,
			 uint32_t type, bool visible);
void udrm_mode_object_register(struct udrm_kms *kms,
			       struct udrm_mode_object *obj);
void udrm_mode_object_unregister(struct udrm_kms *kms,
				 struct udrm_mode_object *obj);
/* The object with @id and @type (DRM_MODE_OBJECT_ANY for any) that @file
 * may see (leases: objects outside the file's lease are invisible),
 * NULL otherwise. Takes a reference for refcounted objects (drop with
 * udrm_mode_object_put). @file may be NULL (no lease filtering).
 * Caller holds kms->lock. */
struct udrm_mode_object *udrm_mode_object_find(struct udrm_kms *kms,
					       struct udrm_file *file,
					       uint32_t id, uint32_t type);
void udrm_mode_object_get(struct udrm_mode_object *obj);
void udrm_mode_object_put(struct udrm_mode_object *obj);

/* Attaches @prop to @obj with @init_val (kernel:
 * drm_object_attach_property). */
void udrm_object_attach_property(struct udrm_mode_object *obj,
				 struct udrm_property *prop, uint64_t init_val);
/* Non-atomic values (legacy properties, e.g. DPMS's cached value). */
int udrm_object_property_set_value(struct udrm_mode_object *obj,
				   struct udrm_property *prop, uint64_t val);
int udrm_object_property_get_value(struct udrm_mode_object *obj,
				   struct udrm_property *prop, uint64_t *val);

/* ------------------------------------------------------------------ */
/* Properties and blobs (kms/property.c)                               */

struct udrm_property_enum {
	uint64_t value;
	char name[DRM_PROP_NAME_LEN];
};

struct udrm_property {
	struct udrm_mode_object base;
	uint32_t flags; /* DRM_MODE_PROP_* incl. ATOMIC, IMMUTABLE */
	char name[DRM_PROP_NAME_LEN];
	/* range: {min, max}; signed range: {(u64)min, (u64)max};
	 * object: {object type}; enum/bitmask: the enums' values. */
	uint32_t num_values;
	uint64_t *values;
	uint32_t num_enums;
	struct udrm_property_enum *enums;
	struct udrm_property *next; /* kms->properties */
};

struct udrm_property *udrm_property_create_range(struct udrm_kms *kms,
						 uint32_t flags,
						 const char *name, uint64_t min,
						 uint64_t max);
struct udrm_property *
udrm_property_create_signed_range(struct udrm_kms *kms, uint32_t flags,
				  const char *name, int64_t min, int64_t max);
struct udrm_property *udrm_property_create_bool(struct udrm_kms *kms,
						uint32_t flags,
						const char *name);
struct udrm_property *
udrm_property_create_enum(struct udrm_kms *kms, uint32_t flags,
			  const char *name,
			  const struct udrm_property_enum *list, int n);
/* @supported: bits (1 << value) of @list to include. */
struct udrm_property *udrm_property_create_bitmask(
	struct udrm_kms *kms, uint32_t flags, const char *name,
	const struct udrm_property_enum *list, int n, uint64_t supported);
struct udrm_property *udrm_property_create_object(struct udrm_kms *kms,
						  uint32_t flags,
						  const char *name,
						  uint32_t type);
struct udrm_property *udrm_property_create_blob(struct udrm_kms *kms,
						uint32_t flags,
						const char *name);
/* Whether @value is acceptable for @prop (kernel drm_property_change_valid_get
 * without the reference part): range bounds, enum membership, bitmask
 * bits, object/blob ids (0 allowed) existing with the right type. On
 * success, for object and blob properties, *@ref is set to the looked-up
 * object with a reference (or NULL for id 0); caller puts it. Caller holds
 * kms->lock. */
bool udrm_property_value_valid(struct udrm_kms *kms, struct udrm_file *file,
			       struct udrm_property *prop, uint64_t value,
			       struct udrm_mode_object **ref);

struct udrm_property_blob {
	struct udrm_mode_object base;
	struct udrm_file *owner; /* file that created it via ioctl, or NULL */
	struct udrm_property_blob *next; /* owner's list (kms->lock) */
	size_t length;
	uint8_t data[]; /* @length bytes */
};

/* A new blob with one reference for the caller, -EINVAL for length 0 or
 * above UDRM_BLOB_MAX; @data may be NULL (zero-filled). */
#define UDRM_BLOB_MAX (256u << 20) /* the kernel caps at ULONG_MAX-ish */
int udrm_property_blob_create(struct udrm_kms *kms, size_t length,
			      const void *data,
			      struct udrm_property_blob **out);
struct udrm_property_blob *udrm_blob_get(struct udrm_property_blob *blob);
void udrm_blob_put(struct udrm_property_blob *blob);
/* Replaces *@slot with @blob (references adjusted, either may be NULL);
 * returns whether it changed. */
bool udrm_blob_replace(struct udrm_property_blob **slot,
		       struct udrm_property_blob *blob);

/* ------------------------------------------------------------------ */
/* Formats and framebuffers (kms/framebuffer.c, kms/fourcc.c)          */

struct udrm_format_info {
	uint32_t format;    /* DRM_FORMAT_* */
	uint8_t depth;	    /* legacy depth, 0 if none */
	uint8_t num_planes; /* 1..3 */
	/* Bytes per block per plane (the kernel's char_per_block) and the
	 * block size in pixels (1x1 except R1/R2/R4 which pack 8/4/2 pixels
	 * in one byte). */
	uint8_t cpp[3];
	uint8_t block_w[3], block_h[3];
	uint8_t hsub, vsub; /* chroma subsampling */
	bool has_alpha, is_yuv;
};

/* The format's info, NULL for formats udrm does not know. */
const struct udrm_format_info *udrm_format_info(uint32_t format);
/* DRM_FORMAT_* for a legacy bpp/depth pair (ADDFB), or DRM_FORMAT_INVALID */
uint32_t udrm_mode_legacy_fb_format(uint32_t bpp, uint32_t depth);
/* Minimum pitch of plane @p for @width pixels. */
uint64_t udrm_format_min_pitch(const struct udrm_format_info *info, int p,
			       uint32_t width);

struct udrm_framebuffer {
	struct udrm_mode_object base; /* refcounted */
	struct udrm_kms *kms;
	struct udrm_file *owner;       /* NULL once removed from its file */
	struct udrm_framebuffer *next; /* owner's fb list (kms->lock) */
	const struct udrm_format_info *format;
	uint32_t width, height, flags; /* DRM_MODE_FB_* */
	uint64_t modifier;	       /* DRM_FORMAT_MOD_LINEAR */
	uint32_t pitches[4], offsets[4];
	struct udrm_gem_object *obj[4]; /* references; NULL past num_planes */
	/* CPU mappings of obj[i] (whole object), made at creation. */
	uint8_t *map[4];
};

/* A framebuffer on GEM objects @objs (one per colour plane of @r's
 * format; @r->handles are ignored) owned by no file, as the kernel's
 * drm_framebuffer_init() for in-kernel clients (fbdev emulation). The
 * caller holds kms->lock and the one reference *@out starts with. */
int udrm_framebuffer_create_internal(struct udrm_kms *kms,
				     const struct drm_mode_fb_cmd2 *r,
				     struct udrm_gem_object *const *objs,
				     struct udrm_framebuffer **out);
void udrm_framebuffer_get(struct udrm_framebuffer *fb);
void udrm_framebuffer_put(struct udrm_framebuffer *fb);
/* Looks up fb @id visible to @file with a reference, or NULL. Caller holds
 * kms->lock. */
struct udrm_framebuffer *udrm_framebuffer_lookup(struct udrm_kms *kms,
						 struct udrm_file *file,
						 uint32_t id);

/* ------------------------------------------------------------------ */
/* Atomic state (kms/atomic.c)                                         */

struct udrm_rect {
	int32_t x1, y1, x2, y2; /* half-open; src rects are 16.16 fixed */
};

struct udrm_plane_state {
	struct udrm_plane *plane;
	struct udrm_crtc *crtc;	     /* NULL when disabled */
	struct udrm_framebuffer *fb; /* a reference, or NULL */
	struct udrm_fence *fence;    /* IN_FENCE_FD (a reference) or NULL */
	int32_t crtc_x, crtc_y;
	uint32_t crtc_w, crtc_h;
	uint32_t src_x, src_y, src_w, src_h; /* 16.16 */
	uint16_t alpha;			     /* 0xffff opaque */
	uint16_t pixel_blend_mode;	     /* DRM_MODE_BLEND_* */
	uint32_t rotation;		     /* DRM_MODE_ROTATE_* | REFLECT_* */
	uint32_t zpos, normalized_zpos;
	uint32_t color_encoding, color_range; /* enum values, see below */
	/* Computed by the check: clipped source (16.16) and destination
	 * rectangles and whether anything is visible. */
	struct udrm_rect src, dst;
	bool visible;
};

/* COLOR_ENCODING and COLOR_RANGE values, as enum drm_color_encoding and
 * enum drm_color_range. */
enum {
	UDRM_COLOR_YCBCR_BT601,
	UDRM_COLOR_YCBCR_BT709,
	UDRM_COLOR_YCBCR_BT2020,
};
enum {
	UDRM_COLOR_YCBCR_LIMITED_RANGE,
	UDRM_COLOR_YCBCR_FULL_RANGE,
};

struct udrm_pending_event;

struct udrm_crtc_state {
	struct udrm_crtc *crtc;
	bool enable, active;
	/* Set by the check. */
	bool planes_changed, mode_changed, active_changed, connectors_changed,
		color_mgmt_changed;
	uint32_t plane_mask;		      /* 1 << plane index */
	uint32_t connector_mask;	      /* 1 << connector index */
	uint32_t encoder_mask;		      /* 1 << encoder index */
	struct drm_mode_modeinfo mode;	      /* valid if enable */
	struct udrm_property_blob *mode_blob; /* MODE_ID (a reference) */
	struct udrm_property_blob *gamma_lut; /* GAMMA_LUT (a reference) */
	uint64_t background_color;	      /* DRM_ARGB64 16 bpc */
	/* Flip-complete event to send when this state reaches the screen,
	 * and the OUT_FENCE_PTR fence to signal then (a reference). */
	struct udrm_pending_event *event;
	struct udrm_fence *out_fence;
	bool async_flip;
};

struct udrm_writeback_job {
	struct udrm_framebuffer *fb;  /* a reference */
	struct udrm_fence *out_fence; /* a reference, or NULL */
};

struct udrm_connector_state {
	struct udrm_connector *connector;
	struct udrm_crtc *crtc; /* NULL when unused */
	struct udrm_encoder *best_encoder;
	uint32_t link_status; /* DRM_MODE_LINK_STATUS_* */
	/* Writeback connectors: WRITEBACK_FB_ID's job (owned) and the user
	 * address WRITEBACK_OUT_FENCE_PTR asked the fence fd to go to. */
	struct udrm_writeback_job *writeback_job;
	uint64_t writeback_out_fence_ptr;
};

struct udrm_atomic_state {
	struct udrm_kms *kms;
	struct udrm_file *file; /* the committing file (leases) or NULL */
	bool allow_modeset;
	bool legacy_cursor_update;
	/* Made by udrm_atomic_remove_fb(): takes a removed framebuffer off
	 * the screen (drivers keep the previous picture for capture). */
	bool fb_removal;
	struct {
		struct udrm_plane *ptr; /* NULL: not in the state */
		struct udrm_plane_state *old_state, *new_state;
	} planes[UDRM_KMS_MAX_PLANES];
	struct {
		struct udrm_crtc *ptr;
		struct udrm_crtc_state *old_state, *new_state;
		uint64_t out_fence_ptr; /* user pointer for the fence fd */
	} crtcs[UDRM_KMS_MAX_CRTCS];
	struct {
		struct udrm_connector *ptr;
		struct udrm_connector_state *old_state, *new_state;
	} connectors[UDRM_KMS_MAX_CONNECTORS];
};

/* ------------------------------------------------------------------ */
/* CRTCs, planes, encoders, connectors (kms/mode_config.c)             */

struct udrm_crtc_funcs {
	void (*destroy)(struct udrm_crtc *crtc);
	/* Atomic check of the CRTC's new state; may return -EINVAL. */
	int (*atomic_check)(struct udrm_crtc *crtc,
			    struct udrm_atomic_state *state);
	/* The new state is now current (commit tail, kms->lock held):
	 * the driver snapshots what it scans out (planes of the CRTC,
	 * mode, gamma, writeback jobs). Called for every CRTC in the
	 * commit, with the CRTC active or not. */
	void (*atomic_flush)(struct udrm_crtc *crtc,
			     struct udrm_atomic_state *state);
	/* Called from the vblank thread after the vblank count advanced
	 * and events were sent (no KMS lock held). */
	void (*vblank)(struct udrm_crtc *crtc, uint64_t count,
		       const struct timespec *time);
};

/* Per-CRTC vblank state (kms/vblank.c). A timer thread ticks at the
 * mode's refresh rate while the CRTC is active. */
struct udrm_vblank {
	pthread_mutex_t lock; /* protects everything below */
	pthread_cond_t cond;  /* broadcast on every vblank and on/off */
	bool enabled;	      /* CRTC active: timer running */
	uint64_t count;	      /* vblanks since creation */
	struct timespec time; /* CLOCK_MONOTONIC of the last vblank */
	uint64_t period_ns;   /* frame duration of the current mode */
	struct udrm_pending_event *events; /* waiting for a count */
	pthread_t thread;
	bool thread_running, stop;
};

struct udrm_crtc {
	struct udrm_mode_object base;
	struct udrm_kms *kms;
	unsigned int index;
	char name[32];
	const struct udrm_crtc_funcs *funcs;
	struct udrm_plane *primary, *cursor;
	struct udrm_crtc_state *state; /* current (kms->lock) */
	uint32_t gamma_size;	       /* 0: no gamma */
	uint16_t *gamma_store;	       /* legacy r,g,b arrays (3*size) */
	struct udrm_vblank vblank;
	/* Commit in progress on this CRTC (kms->lock): a nonblocking
	 * commit that has not reached flip_done yet; EBUSY for the next. */
	struct udrm_commit *pending_commit;
	void *driver_private;
};

struct udrm_plane_funcs {
	void (*destroy)(struct udrm_plane *plane);
	int (*atomic_check)(struct udrm_plane *plane,
			    struct udrm_atomic_state *state);
};

struct udrm_plane {
	struct udrm_mode_object base;
	struct udrm_kms *kms;
	unsigned int index;
	char name[32];
	uint32_t type; /* DRM_PLANE_TYPE_* */
	uint32_t possible_crtcs;
	const struct udrm_plane_funcs *funcs;
	uint32_t *formats;
	uint32_t format_count;
	uint64_t *modifiers;
	uint32_t modifier_count;
	struct udrm_plane_state *state; /* current (kms->lock) */
	/* Optional standard properties attached by their create helpers. */
	struct udrm_property *rotation_property, *alpha_property,
		*blend_mode_property, *zpos_property, *color_encoding_property,
		*color_range_property;
	void *driver_private;
};

struct udrm_encoder {
	struct udrm_mode_object base;
	struct udrm_kms *kms;
	unsigned int index;
	uint32_t type; /* DRM_MODE_ENCODER_* */
	uint32_t possible_crtcs, possible_clones;
	void (*destroy)(struct udrm_encoder *encoder);
	void *driver_private;
};

struct udrm_connector_funcs {
	void (*destroy)(struct udrm_connector *connector);
	/* Status detection (no forcing applied: the core applies
	 * connector->force); may be NULL (always connected). */
	int (*detect)(struct udrm_connector *connector); /* connector_status */
	/* Adds the connector's modes with udrm_connector_add_mode(); returns
	 * how many. Called when probing a connected connector. */
	int (*get_modes)(struct udrm_connector *connector);
	int (*atomic_check)(struct udrm_connector *connector,
			    struct udrm_atomic_state *state);
};

/* DRM_FORCE_* */
enum udrm_connector_force {
	UDRM_FORCE_UNSPECIFIED,
	UDRM_FORCE_OFF,
	UDRM_FORCE_ON,
	UDRM_FORCE_ON_DIGITAL,
};

struct udrm_connector {
	struct udrm_mode_object base;
	struct udrm_kms *kms;
	unsigned int index;
	char name[32]; /* "Virtual-1", "Writeback-1" */
	uint32_t connector_type, connector_type_id;
	const struct udrm_connector_funcs *funcs;
	uint32_t possible_encoders; /* 1 << encoder index */
	/* (kms->lock) */
	uint32_t status; /* enum drm_connector_status 1..3 */
	enum udrm_connector_force force;
	struct drm_mode_modeinfo *modes; /* probed list */
	uint32_t num_modes, modes_capacity;
	uint32_t mm_width, mm_height, subpixel;
	uint32_t dpms;			    /* DRM_MODE_DPMS_* */
	struct udrm_connector_state *state; /* current */
	bool writeback;
	uint32_t *writeback_formats;
	uint32_t writeback_format_count;
	uint64_t epoch; /* bumped on status change (hotplug) */
	void *driver_private;
};

/* ------------------------------------------------------------------ */
/* The device's KMS (kms/mode_config.c)                                */

struct udrm_kms_funcs {
	/* Whole-commit check after the core's own, may be NULL. */
	int (*atomic_check)(struct udrm_kms *kms,
			    struct udrm_atomic_state *state);
};

struct udrm_kms {
	struct udrm_device *dev;
	const struct udrm_kms_funcs *funcs;
	pthread_mutex_t lock;
	pthread_cond_t commit_cond; /* broadcast when a commit completes */

	uint32_t min_width, max_width, min_height, max_height;
	uint32_t cursor_width, cursor_height;

	/* Object id table (lock). */
	struct udrm_idr *objects;

	struct udrm_crtc *crtcs[UDRM_KMS_MAX_CRTCS];
	unsigned int num_crtc;
	struct udrm_plane *planes[UDRM_KMS_MAX_PLANES];
	unsigned int num_plane, num_total_plane;
	struct udrm_encoder *encoders[UDRM_KMS_MAX_ENCODERS];
	unsigned int num_encoder;
	struct udrm_connector *connectors[UDRM_KMS_MAX_CONNECTORS];
	unsigned int num_connector;
	struct udrm_property *properties; /* every property, for freeing */

	/* Standard properties (kernel names in comments where different). */
	struct {
		struct udrm_property *plane_type, *fb_id, *crtc_id, *src_x,
			*src_y, *src_w, *src_h, *crtc_x, *crtc_y, *crtc_w,
			*crtc_h, *in_fence_fd, *in_formats, *fb_damage_clips;
		struct udrm_property *active, *mode_id, *out_fence_ptr,
			*vrr_enabled, *gamma_lut, *gamma_lut_size, *degamma_lut,
			*degamma_lut_size, *ctm, *background_color;
		struct udrm_property *edid, *dpms, *path, *tile, *link_status,
			*non_desktop, *conn_crtc_id;
		struct udrm_property *writeback_fb_id, *writeback_pixel_formats,
			*writeback_out_fence_ptr;
	} prop;

	/* Nonblocking commit tails and cleanups (kms/atomic_helper.c),
	 * made on first use, stopped by udrm_kms_fini. */
	struct udrm_commit_worker *commit_worker;

	/* Set by the driver before udrm_kms_register(). */
	bool async_page_flip;
	void *driver_private;
};

/* Sets up dev->kms (empty topology, standard properties). */
int udrm_kms_init(struct udrm_device *dev, const struct udrm_kms_funcs *funcs,
		  struct udrm_kms **out);
/* Finishes the topology: normalises states (udrm_mode_config_reset),
 * attaches IN_FORMATS etc., fills dev->mode_config (num_crtc, cursor
 * size). Call once from load() after every object is initialised. */
int udrm_kms_register(struct udrm_kms *kms);
/* Publishes the connectors' sysfs files (kms/kms_sysfs.c): call from
 * load() after udrm_kms_register(), as drm_dev_register() would. */
int udrm_kms_publish_files(struct udrm_kms *kms);
/* Stops vblank timers, disables everything, frees all objects. */
void udrm_kms_fini(struct udrm_kms *kms);

int udrm_crtc_init(struct udrm_kms *kms, struct udrm_crtc *crtc,
		   struct udrm_plane *primary, struct udrm_plane *cursor,
		   const struct udrm_crtc_funcs *funcs, const char *name);
/* Adds GAMMA_LUT/GAMMA_LUT_SIZE (and the legacy gamma store) of
 * @gamma_size entries. */
int udrm_crtc_enable_color_mgmt(struct udrm_crtc *crtc, uint32_t gamma_size);
int udrm_crtc_create_background_color_property(struct udrm_crtc *crtc);

int udrm_plane_init(struct udrm_kms *kms, struct udrm_plane *plane,
		    uint32_t possible_crtcs,
		    const struct udrm_plane_funcs *funcs,
		    const uint32_t *formats, uint32_t format_count,
		    const uint64_t *modifiers, uint32_t type, const char *name);
int udrm_plane_create_rotation_property(struct udrm_plane *plane,
					uint32_t rotation,
					uint32_t supported_rotations);
int udrm_plane_create_alpha_property(struct udrm_plane *plane);
int udrm_plane_create_blend_mode_property(struct udrm_plane *plane,
					  uint32_t supported_modes);
int udrm_plane_create_zpos_property(struct udrm_plane *plane, uint32_t zpos,
				    uint32_t min, uint32_t max);
int udrm_plane_create_zpos_immutable_property(struct udrm_plane *plane,
					      uint32_t zpos);
int udrm_plane_create_color_properties(struct udrm_plane *plane,
				       uint32_t supported_encodings,
				       uint32_t supported_ranges,
				       uint32_t default_encoding,
				       uint32_t default_range);

int udrm_encoder_init(struct udrm_kms *kms, struct udrm_encoder *encoder,
		      uint32_t type, uint32_t possible_crtcs);

int udrm_connector_init(struct udrm_kms *kms, struct udrm_connector *conn,
			const struct udrm_connector_funcs *funcs,
			uint32_t connector_type);
int udrm_connector_attach_encoder(struct udrm_connector *conn,
				  struct udrm_encoder *encoder);
/* A writeback connector with its own encoder (@encoder, initialised
 * here with @possible_crtcs) and its formats. */
int udrm_writeback_connector_init(struct udrm_kms *kms,
				  struct udrm_connector *conn,
				  struct udrm_encoder *encoder,
				  const struct udrm_connector_funcs *funcs,
				  uint32_t possible_crtcs,
				  const uint32_t *formats, uint32_t n_formats);
/* For get_modes(): appends a copy of @mode to the probed list. */
int udrm_connector_add_mode(struct udrm_connector *conn,
			    const struct drm_mode_modeinfo *mode);
/* drm_add_modes_noedid(): the DMT modes up to @hdisplay x @vdisplay.
 * Returns how many were added. */
int udrm_connector_add_modes_noedid(struct udrm_connector *conn,
				    uint32_t hdisplay, uint32_t vdisplay);
/* drm_set_preferred_mode(): marks modes of that size preferred. */
void udrm_connector_set_preferred_mode(struct udrm_connector *conn,
				       uint32_t hdisplay, uint32_t vdisplay);
/* "connected", "disconnected" or "unknown" for an enum
 * drm_connector_status value (1..3), as drm_get_connector_status_name(). */
const char *udrm_connector_status_name(uint32_t status);
/* Re-probes @conn (status with forcing applied, modes) as
 * drm_helper_probe_single_connector_modes(). Caller holds kms->lock. */
int udrm_connector_probe(struct udrm_connector *conn);
/* Hotplug: sets the connector's forcing (sysfs status writes) and
 * re-probes; bumps epoch when the status changed. Takes kms->lock. */
int udrm_connector_force(struct udrm_connector *conn,
			 enum udrm_connector_force force);

/* Fills a mode from its timings and refresh (vrefresh, name "WxH"). */
void udrm_mode_set_name(struct drm_mode_modeinfo *mode);
/* drm_mode_vrefresh(): refresh in Hz, rounded. */
int udrm_mode_vrefresh(const struct drm_mode_modeinfo *mode);
/* Frame duration in ns, 0 for a bad mode. */
uint64_t udrm_mode_frame_ns(const struct drm_mode_modeinfo *mode);
/* Checks a user mode (drm_mode_convert_umode rules). -EINVAL/-ERANGE. */
int udrm_mode_validate_user(const struct drm_mode_modeinfo *mode);

/* ------------------------------------------------------------------ */
/* Files (kms/mode_config.c), called by the core                       */

/* On open of a primary node of a modeset driver. */
void udrm_kms_file_open(struct udrm_file *file);
/* On close: removes the file's fbs (disabling planes that show them, as
 * drm_fb_release), destroys its blobs, releases leases it holds. */
void udrm_kms_file_close(struct udrm_file *file);

/* ------------------------------------------------------------------ */
/* Atomic (kms/atomic.c, kms/atomic_helper.c)                          */

struct udrm_atomic_state *udrm_atomic_state_alloc(struct udrm_kms *kms,
						  struct udrm_file *file);
void udrm_atomic_state_free(struct udrm_atomic_state *state);
/* Adds the object's current state duplicated as new state (idempotent);
 * returns the new state or an ERR (NULL + errno not used: -ENOMEM via
 * the int variants). */
struct udrm_plane_state *
udrm_atomic_get_plane_state(struct udrm_atomic_state *state,
			    struct udrm_plane *plane);
struct udrm_crtc_state *
udrm_atomic_get_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc);
struct udrm_connector_state *
udrm_atomic_get_connector_state(struct udrm_atomic_state *state,
				struct udrm_connector *conn);
/* The state's new/old state of an object, NULL if not in the state. */
struct udrm_plane_state *
udrm_atomic_new_plane_state(struct udrm_atomic_state *state,
			    struct udrm_plane *plane);
struct udrm_crtc_state *
udrm_atomic_new_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc);
struct udrm_crtc_state *
udrm_atomic_old_crtc_state(struct udrm_atomic_state *state,
			   struct udrm_crtc *crtc);
/* drm_atomic_crtc_needs_modeset(): the mode, activity or routing of the
 * CRTC changes. */
bool udrm_atomic_crtc_needs_modeset(const struct udrm_crtc_state *cs);
/* drm_plane_has_format(): @plane can scan out @fb's format and modifier. */
bool udrm_plane_has_format(const struct udrm_plane *plane,
			   const struct udrm_framebuffer *fb);
/* Every plane on @crtc, added to the state. */
int udrm_atomic_add_affected_planes(struct udrm_atomic_state *state,
				    struct udrm_crtc *crtc);
int udrm_atomic_add_affected_connectors(struct udrm_atomic_state *state,
					struct udrm_crtc *crtc);

/* Sets one property from the uapi (ATOMIC, OBJ_SETPROPERTY paths).
 * -EINVAL for bad values, -ENOENT for unknown object, as the kernel. */
int udrm_atomic_set_property(struct udrm_atomic_state *state,
			     struct udrm_mode_object *obj,
			     struct udrm_property *prop, uint64_t value);
/* The current value of @prop on @obj: atomic props from the current
 * state, others from obj->props->values. Caller holds kms->lock. */
int udrm_atomic_get_property(struct udrm_mode_object *obj,
			     struct udrm_property *prop, uint64_t *value);

/* drm_atomic_check_only() and drm_atomic_commit(). Caller holds
 * kms->lock; a blocking commit drops and retakes it while waiting. On
 * success the state is consumed (freed later by the core); on error the
 * caller still owns it. */
int udrm_atomic_check_only(struct udrm_atomic_state *state);
int udrm_atomic_commit(struct udrm_atomic_state *state);
int udrm_atomic_nonblocking_commit(struct udrm_atomic_state *state);

/* Waits for every commit in flight and stops the commit worker. Called
 * first thing by udrm_kms_fini(), without kms->lock. */
void udrm_atomic_helper_fini(struct udrm_kms *kms);

/* drm_framebuffer_remove(): disables every plane (and, for the primary,
 * CRTC) showing @fb with a commit. Caller holds kms->lock. */
int udrm_atomic_remove_fb(struct udrm_kms *kms, struct udrm_framebuffer *fb);

/* ------------------------------------------------------------------ */
/* vblank (kms/vblank.c)                                               */

/* A pending event with its file and space reservation; sent by the
 * vblank machinery at the right count. */
struct udrm_pending_event {
	struct udrm_file *file; /* NULL once the file closed (dropped) */
	struct udrm_pending_event *next;
	uint64_t sequence; /* vblank count to fire at */
	/* After sending: a fence to signal (OUT_FENCE) and/or completion
	 * of a commit (struct udrm_commit) to mark flip_done. */
	struct udrm_fence *fence;
	struct udrm_commit *commit;
	bool is_sequence; /* struct drm_event_crtc_sequence */
	union {
		struct drm_event base;
		struct drm_event_vblank vbl;
		struct drm_event_crtc_sequence seq;
	} event;
};

/* Starts/stops the CRTC's timer (at @mode's refresh rate). Stopping
 * sends pending events with the last count, as drm_crtc_vblank_off(). */
void udrm_crtc_vblank_on(struct udrm_crtc *crtc,
			 const struct drm_mode_modeinfo *mode);
void udrm_crtc_vblank_off(struct udrm_crtc *crtc);
/* Count and time of the last vblank. */
uint64_t udrm_crtc_vblank_count(struct udrm_crtc *crtc, struct timespec *time);
/* Queues @e to be sent at the next vblank (flip completion). When the
 * CRTC is off the event is sent at once. */
void udrm_crtc_arm_vblank_event(struct udrm_crtc *crtc,
				struct udrm_pending_event *e);
/* Drops every pending event of @file (file close): events stay queued
 * but are not sent. Caller holds kms->lock. */
void udrm_vblank_file_close(struct udrm_kms *kms, struct udrm_file *file);
/* Sets up / tears down @crtc's vblank state (udrm_crtc_init and
 * udrm_kms_fini; fini stops the timer). */
void udrm_vblank_init(struct udrm_crtc *crtc);
void udrm_vblank_fini(struct udrm_crtc *crtc);

/* Fork safety (kms/vblank.c), from the core's atfork hooks: prepare takes
 * kms->lock, the commit worker's lock and every vblank lock; the child
 * restarts the vblank timers of active CRTCs and the commit worker. */
void udrm_kms_atfork_prepare(struct udrm_kms *kms);
void udrm_kms_atfork_parent(struct udrm_kms *kms);
void udrm_kms_atfork_child(struct udrm_kms *kms);

/* ------------------------------------------------------------------ */
/* Leases (kms/lease.c)                                                */

/* Whether @file may use object @id (not leased away / within its lease).
 * Caller holds kms->lock. */
bool udrm_lease_held(struct udrm_file *file, uint32_t id);

/* ------------------------------------------------------------------ */
/* ioctls (implemented across kms/)                                    */

/* Newer than the installed uapi headers (kernel 6.8). */
#ifndef DRM_IOCTL_MODE_CLOSEFB
struct drm_mode_closefb {
	__u32 fb_id;
	__u32 pad;
};
#define DRM_IOCTL_MODE_CLOSEFB DRM_IOWR(0xD0, struct drm_mode_closefb)
#endif

#define UDRM_KMS_IOCTL(name)                                                   \
	int name(struct udrm_device *dev, void *data, struct udrm_file *file)
UDRM_KMS_IOCTL(udrm_mode_getresources);
UDRM_KMS_IOCTL(udrm_mode_getplane_res);
UDRM_KMS_IOCTL(udrm_mode_getcrtc);
UDRM_KMS_IOCTL(udrm_mode_setcrtc);
UDRM_KMS_IOCTL(udrm_mode_getplane);
UDRM_KMS_IOCTL(udrm_mode_setplane);
UDRM_KMS_IOCTL(udrm_mode_cursor_ioctl);
UDRM_KMS_IOCTL(udrm_mode_cursor2_ioctl);
UDRM_KMS_IOCTL(udrm_mode_gamma_get_ioctl);
UDRM_KMS_IOCTL(udrm_mode_gamma_set_ioctl);
UDRM_KMS_IOCTL(udrm_mode_getencoder);
UDRM_KMS_IOCTL(udrm_mode_getconnector);
UDRM_KMS_IOCTL(udrm_mode_getproperty_ioctl);
UDRM_KMS_IOCTL(udrm_connector_property_set_ioctl);
UDRM_KMS_IOCTL(udrm_mode_getblob_ioctl);
UDRM_KMS_IOCTL(udrm_mode_getfb);
UDRM_KMS_IOCTL(udrm_mode_getfb2_ioctl);
UDRM_KMS_IOCTL(udrm_mode_addfb_ioctl);
UDRM_KMS_IOCTL(udrm_mode_addfb2_ioctl);
UDRM_KMS_IOCTL(udrm_mode_rmfb_ioctl);
UDRM_KMS_IOCTL(udrm_mode_closefb_ioctl);
UDRM_KMS_IOCTL(udrm_mode_page_flip_ioctl);
UDRM_KMS_IOCTL(udrm_mode_dirtyfb_ioctl);
UDRM_KMS_IOCTL(udrm_mode_obj_get_properties_ioctl);
UDRM_KMS_IOCTL(udrm_mode_obj_set_property_ioctl);
UDRM_KMS_IOCTL(udrm_mode_atomic_ioctl);
UDRM_KMS_IOCTL(udrm_mode_createblob_ioctl);
UDRM_KMS_IOCTL(udrm_mode_destroyblob_ioctl);
UDRM_KMS_IOCTL(udrm_mode_create_lease_ioctl);
UDRM_KMS_IOCTL(udrm_mode_list_lessees_ioctl);
UDRM_KMS_IOCTL(udrm_mode_get_lease_ioctl);
UDRM_KMS_IOCTL(udrm_mode_revoke_lease_ioctl);
UDRM_KMS_IOCTL(udrm_wait_vblank_ioctl);
UDRM_KMS_IOCTL(udrm_crtc_get_sequence_ioctl);
UDRM_KMS_IOCTL(udrm_crtc_queue_sequence_ioctl);
UDRM_KMS_IOCTL(udrm_mode_noop_ioctl); /* ATTACHMODE/DETACHMODE */

#endif
