// SPDX-License-Identifier: MIT
/*
 * Mode objects: ids, lookup with lease filtering, reference counting of
 * the refcounted kinds (framebuffers, blobs) and per-object property
 * values, as the kernel's drm_mode_object.c.
 *
 * The id table has its own lock (objects_lock below), innermost: the last
 * reference of a framebuffer or blob may go with or without kms->lock
 * held, and its free must take the id out of the table either way. A
 * lookup takes a reference only from an object whose count is not zero,
 * so a freeing object is never handed out.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/file.h"
#include "kms.h"
#include "objects_internal.h"

/* Protects every kms->objects table. One lock for the process: it is
 * held only for a table operation. */
static pthread_mutex_t objects_lock = PTHREAD_MUTEX_INITIALIZER;

int udrm_mode_object_add(struct udrm_kms *kms, struct udrm_mode_object *obj,
			 uint32_t type, bool visible)
{
	int64_t id;

	pthread_mutex_lock(&objects_lock);
	id = udrm_idr_alloc(kms->objects, visible ? obj : NULL);
	pthread_mutex_unlock(&objects_lock);
	if (id < 0)
		return (int)id;
	obj->id = (uint32_t)id;
	obj->type = type;
	if (obj->free)
		atomic_init(&obj->refcount, 1);
	return 0;
}

void udrm_mode_object_register(struct udrm_kms *kms,
			       struct udrm_mode_object *obj)
{
	pthread_mutex_lock(&objects_lock);
	if (obj->id)
		udrm_idr_replace(kms->objects, obj->id, obj);
	pthread_mutex_unlock(&objects_lock);
}

void udrm_mode_object_unregister(struct udrm_kms *kms,
				 struct udrm_mode_object *obj)
{
	pthread_mutex_lock(&objects_lock);
	if (obj->id) {
		udrm_idr_remove(kms->objects, obj->id);
		obj->id = 0;
	}
	pthread_mutex_unlock(&objects_lock);
}

/* CRTCs, connectors and planes are what a lease controls
 * (drm_mode_object_lease_required). */
static bool lease_required(uint32_t type)
{
	return type == DRM_MODE_OBJECT_CRTC ||
	       type == DRM_MODE_OBJECT_CONNECTOR ||
	       type == DRM_MODE_OBJECT_PLANE;
}

struct udrm_mode_object *udrm_mode_object_find(struct udrm_kms *kms,
					       struct udrm_file *file,
					       uint32_t id, uint32_t type)
{
	struct udrm_mode_object *obj;

	pthread_mutex_lock(&objects_lock);
	obj = udrm_idr_find(kms->objects, id);
	if (obj && type != DRM_MODE_OBJECT_ANY && obj->type != type)
		obj = NULL;
	if (obj && obj->id != id)
		obj = NULL;
	if (obj && obj->free) {
		int count = atomic_load(&obj->refcount);

		/* kref_get_unless_zero(): a dying object is not found. */
		do {
			if (!count) {
				obj = NULL;
				break;
			}
		} while (!atomic_compare_exchange_weak(&obj->refcount, &count,
						       count + 1));
	}
	pthread_mutex_unlock(&objects_lock);
	if (obj && file && lease_required(obj->type) &&
	    !udrm_lease_held(file, obj->id))
		obj = NULL; /* not refcounted: nothing to drop */
	return obj;
}

void udrm_mode_object_get(struct udrm_mode_object *obj)
{
	if (obj && obj->free)
		atomic_fetch_add(&obj->refcount, 1);
}

void udrm_mode_object_put(struct udrm_mode_object *obj)
{
	if (obj && obj->free && atomic_fetch_sub(&obj->refcount, 1) == 1)
		obj->free(obj);
}

void udrm_object_attach_property(struct udrm_mode_object *obj,
				 struct udrm_property *prop, uint64_t init_val)
{
	struct udrm_object_props *props = obj->props;
	uint32_t i;

	if (!props) {
		props = calloc(1, sizeof(*props));
		if (!props)
			return;
		obj->props = props;
	}
	for (i = 0; i < props->count; i++) {
		if (props->props[i] == prop) {
			props->values[i] = init_val;
			return;
		}
	}
	/* The kernel WARNs and ignores the property past the limit. */
	if (props->count == UDRM_KMS_MAX_PROPS)
		return;
	props->props[props->count] = prop;
	props->values[props->count] = init_val;
	props->count++;
}

static int prop_index(struct udrm_mode_object *obj, struct udrm_property *prop)
{
	uint32_t i;

	if (!obj->props)
		return -EINVAL;
	for (i = 0; i < obj->props->count; i++)
		if (obj->props->props[i] == prop)
			return (int)i;
	return -EINVAL;
}

int udrm_object_property_set_value(struct udrm_mode_object *obj,
				   struct udrm_property *prop, uint64_t val)
{
	int i = prop_index(obj, prop);

	if (i < 0)
		return i;
	obj->props->values[i] = val;
	return 0;
}

int udrm_object_property_get_value(struct udrm_mode_object *obj,
				   struct udrm_property *prop, uint64_t *val)
{
	int i = prop_index(obj, prop);

	if (i < 0)
		return i;
	*val = obj->props->values[i];
	return 0;
}

struct udrm_crtc *udrm_crtc_find(struct udrm_kms *kms, struct udrm_file *file,
				 uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_CRTC);
	return obj ? UDRM_CONTAINER_OF(obj, struct udrm_crtc, base) : NULL;
}

struct udrm_plane *udrm_plane_find(struct udrm_kms *kms, struct udrm_file *file,
				   uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_PLANE);
	return obj ? UDRM_CONTAINER_OF(obj, struct udrm_plane, base) : NULL;
}

struct udrm_connector *udrm_connector_find(struct udrm_kms *kms,
					   struct udrm_file *file, uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_CONNECTOR);
	return obj ? UDRM_CONTAINER_OF(obj, struct udrm_connector, base) : NULL;
}

struct udrm_encoder *udrm_encoder_find(struct udrm_kms *kms,
				       struct udrm_file *file, uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_ENCODER);
	return obj ? UDRM_CONTAINER_OF(obj, struct udrm_encoder, base) : NULL;
}

int udrm_mode_object_list_ids(struct udrm_kms *kms, uint32_t **ids,
			      uint32_t *count)
{
	uint32_t id, n = 0, cap = 0, *out = NULL;
	void *ptr;
	int ret = 0;

	pthread_mutex_lock(&objects_lock);
	for (id = 0; udrm_idr_next(kms->objects, &id, &ptr);) {
		if (!ptr)
			continue;
		if (n == cap) {
			uint32_t *grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			out = grown;
		}
		out[n++] = id;
	}
	pthread_mutex_unlock(&objects_lock);
	if (ret) {
		free(out);
		return ret;
	}
	*ids = out;
	*count = n;
	return 0;
}
