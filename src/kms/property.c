// SPDX-License-Identifier: MIT
/*
 * Properties and property blobs, as the kernel's drm_property.c: the
 * creation helpers, value validation for the set paths, and the
 * GETPROPERTY / GETPROPBLOB / CREATEPROPBLOB / DESTROYPROPBLOB ioctls.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"

static bool prop_is_type(const struct udrm_property *prop, uint32_t type)
{
	if (prop->flags & DRM_MODE_PROP_EXTENDED_TYPE)
		return (prop->flags & DRM_MODE_PROP_EXTENDED_TYPE) == type;
	return (prop->flags & type) != 0;
}

/* drm_property_create(): @num_values slots, enums added by the caller. */
static struct udrm_property *property_create(struct udrm_kms *kms,
					     uint32_t flags, const char *name,
					     uint32_t num_values)
{
	struct udrm_property *prop = calloc(1, sizeof(*prop));

	if (!prop)
		return NULL;
	if (num_values) {
		prop->values = calloc(num_values, sizeof(*prop->values));
		if (!prop->values)
			goto err;
	}
	prop->flags = flags;
	prop->num_values = num_values;
	strncpy(prop->name, name, DRM_PROP_NAME_LEN - 1);
	if (udrm_mode_object_add(kms, &prop->base, DRM_MODE_OBJECT_PROPERTY,
				 true))
		goto err;
	prop->next = kms->properties;
	kms->properties = prop;
	return prop;
err:
	free(prop->values);
	free(prop);
	return NULL;
}

/* drm_property_add_enum(): appends one name/value pair; for bitmasks the
 * value is the bit number. */
static int property_add_enum(struct udrm_property *prop, uint64_t value,
			     const char *name)
{
	struct udrm_property_enum *e;

	if (prop->num_enums >= prop->num_values)
		return -EINVAL;
	e = &prop->enums[prop->num_enums];
	e->value = value;
	strncpy(e->name, name, DRM_PROP_NAME_LEN - 1);
	prop->values[prop->num_enums] = value;
	prop->num_enums++;
	return 0;
}

struct udrm_property *udrm_property_create_range(struct udrm_kms *kms,
						 uint32_t flags,
						 const char *name, uint64_t min,
						 uint64_t max)
{
	struct udrm_property *prop;

	prop = property_create(kms, flags | DRM_MODE_PROP_RANGE, name, 2);
	if (prop) {
		prop->values[0] = min;
		prop->values[1] = max;
	}
	return prop;
}

struct udrm_property *
udrm_property_create_signed_range(struct udrm_kms *kms, uint32_t flags,
				  const char *name, int64_t min, int64_t max)
{
	struct udrm_property *prop;

	prop = property_create(kms, flags | DRM_MODE_PROP_SIGNED_RANGE, name,
			       2);
	if (prop) {
		prop->values[0] = (uint64_t)min;
		prop->values[1] = (uint64_t)max;
	}
	return prop;
}

struct udrm_property *udrm_property_create_bool(struct udrm_kms *kms,
						uint32_t flags,
						const char *name)
{
	return udrm_property_create_range(kms, flags, name, 0, 1);
}

static struct udrm_property *
enum_like_create(struct udrm_kms *kms, uint32_t flags, const char *name,
		 const struct udrm_property_enum *list, int n, bool bitmask,
		 uint64_t supported)
{
	struct udrm_property *prop;
	uint32_t count = 0;
	int i;

	if (n < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!bitmask)
			count++;
		else if (list[i].value < 64 &&
			 (supported & (1ull << list[i].value)))
			count++;
	}
	prop = property_create(kms, flags, name, count);
	if (!prop)
		return NULL;
	if (count) {
		prop->enums = calloc(count, sizeof(*prop->enums));
		if (!prop->enums)
			return NULL; /* the property goes with the kms */
	}
	for (i = 0; i < n; i++) {
		if (bitmask && (list[i].value >= 64 ||
				!(supported & (1ull << list[i].value))))
			continue;
		property_add_enum(prop, list[i].value, list[i].name);
	}
	return prop;
}

struct udrm_property *
udrm_property_create_enum(struct udrm_kms *kms, uint32_t flags,
			  const char *name,
			  const struct udrm_property_enum *list, int n)
{
	return enum_like_create(kms, flags | DRM_MODE_PROP_ENUM, name, list, n,
				false, 0);
}

struct udrm_property *udrm_property_create_bitmask(
	struct udrm_kms *kms, uint32_t flags, const char *name,
	const struct udrm_property_enum *list, int n, uint64_t supported)
{
	return enum_like_create(kms, flags | DRM_MODE_PROP_BITMASK, name, list,
				n, true, supported);
}

struct udrm_property *udrm_property_create_object(struct udrm_kms *kms,
						  uint32_t flags,
						  const char *name,
						  uint32_t type)
{
	struct udrm_property *prop;

	prop = property_create(kms, flags | DRM_MODE_PROP_OBJECT, name, 1);
	if (prop)
		prop->values[0] = type;
	return prop;
}

struct udrm_property *udrm_property_create_blob(struct udrm_kms *kms,
						uint32_t flags,
						const char *name)
{
	return property_create(kms, flags | DRM_MODE_PROP_BLOB, name, 0);
}

bool udrm_property_value_valid(struct udrm_kms *kms, struct udrm_file *file,
			       struct udrm_property *prop, uint64_t value,
			       struct udrm_mode_object **ref)
{
	uint64_t valid_mask = 0;
	uint32_t i;

	*ref = NULL;
	if (prop->flags & DRM_MODE_PROP_IMMUTABLE)
		return false;
	if (prop_is_type(prop, DRM_MODE_PROP_RANGE))
		return value >= prop->values[0] && value <= prop->values[1];
	if (prop_is_type(prop, DRM_MODE_PROP_SIGNED_RANGE))
		return (int64_t)value >= (int64_t)prop->values[0] &&
		       (int64_t)value <= (int64_t)prop->values[1];
	if (prop_is_type(prop, DRM_MODE_PROP_BITMASK)) {
		for (i = 0; i < prop->num_values; i++)
			valid_mask |= 1ull << prop->values[i];
		return !(value & ~valid_mask);
	}
	if (prop_is_type(prop, DRM_MODE_PROP_BLOB)) {
		if (!value)
			return true;
		if (value > UINT32_MAX)
			return false;
		*ref = udrm_mode_object_find(kms, file, (uint32_t)value,
					     DRM_MODE_OBJECT_BLOB);
		return *ref != NULL;
	}
	if (prop_is_type(prop, DRM_MODE_PROP_OBJECT)) {
		if (!value)
			return true;
		if (value > UINT32_MAX)
			return false;
		*ref = udrm_mode_object_find(kms, file, (uint32_t)value,
					     (uint32_t)prop->values[0]);
		return *ref != NULL;
	}
	if (prop_is_type(prop, DRM_MODE_PROP_ENUM)) {
		for (i = 0; i < prop->num_values; i++)
			if (prop->values[i] == value)
				return true;
		return false;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Blobs                                                               */

/* Blobs carry their kms in front of the struct (whose flexible data must
 * stay last): the free needs it to give the id back. */
#define BLOB_HEADER                                                            \
	((sizeof(struct udrm_kms *) + _Alignof(max_align_t) - 1) &             \
	 ~(_Alignof(max_align_t) - 1))

static struct udrm_kms **blob_kms(struct udrm_property_blob *blob)
{
	return (struct udrm_kms **)((char *)blob - BLOB_HEADER);
}

static void blob_free(struct udrm_mode_object *obj)
{
	struct udrm_property_blob *blob =
		(struct udrm_property_blob *)((char *)obj -
					      offsetof(
						      struct udrm_property_blob,
						      base));
	struct udrm_kms **kms = blob_kms(blob);

	udrm_mode_object_unregister(*kms, &blob->base);
	free(kms);
}

int udrm_property_blob_create(struct udrm_kms *kms, size_t length,
			      const void *data, struct udrm_property_blob **out)
{
	struct udrm_property_blob *blob;
	struct udrm_kms **hdr;
	int ret;

	if (!length || length > UDRM_BLOB_MAX)
		return -EINVAL;
	hdr = calloc(1, BLOB_HEADER + sizeof(*blob) + length);
	if (!hdr)
		return -ENOMEM;
	*hdr = kms;
	blob = (struct udrm_property_blob *)((char *)hdr + BLOB_HEADER);
	blob->length = length;
	if (data)
		memcpy(blob->data, data, length);
	blob->base.free = blob_free;
	ret = udrm_mode_object_add(kms, &blob->base, DRM_MODE_OBJECT_BLOB,
				   true);
	if (ret) {
		free(hdr);
		return ret;
	}
	*out = blob;
	return 0;
}

struct udrm_property_blob *udrm_blob_get(struct udrm_property_blob *blob)
{
	if (blob)
		udrm_mode_object_get(&blob->base);
	return blob;
}

void udrm_blob_put(struct udrm_property_blob *blob)
{
	if (blob)
		udrm_mode_object_put(&blob->base);
}

bool udrm_blob_replace(struct udrm_property_blob **slot,
		       struct udrm_property_blob *blob)
{
	struct udrm_property_blob *old = *slot;

	if (old == blob)
		return false;
	udrm_blob_get(blob);
	*slot = blob;
	udrm_blob_put(old);
	return true;
}

static struct udrm_property_blob *
blob_lookup(struct udrm_kms *kms, struct udrm_file *file, uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_BLOB);
	if (!obj)
		return NULL;
	return (struct udrm_property_blob *)((char *)obj -
					     offsetof(struct udrm_property_blob,
						      base));
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */

int udrm_mode_getproperty_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_mode_get_property *out = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_mode_object *obj;
	struct udrm_property *prop;
	uint32_t i;
	int ret = 0;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	obj = udrm_mode_object_find(kms, file, out->prop_id,
				    DRM_MODE_OBJECT_PROPERTY);
	if (!obj) {
		ret = -ENOENT;
		goto out;
	}
	prop = (struct udrm_property *)obj;
	memset(out->name, 0, sizeof(out->name));
	memcpy(out->name, prop->name, DRM_PROP_NAME_LEN - 1);
	out->flags = prop->flags;
	for (i = 0; i < prop->num_values && i < out->count_values; i++) {
		ret = udrm_copy_to_user(file, out->values_ptr + i * 8ull,
					&prop->values[i], 8);
		if (ret)
			goto out;
	}
	out->count_values = prop->num_values;
	if (prop_is_type(prop, DRM_MODE_PROP_ENUM) ||
	    prop_is_type(prop, DRM_MODE_PROP_BITMASK)) {
		for (i = 0; i < prop->num_enums && i < out->count_enum_blobs;
		     i++) {
			struct drm_mode_property_enum e;

			memset(&e, 0, sizeof(e));
			e.value = prop->enums[i].value;
			memcpy(e.name, prop->enums[i].name,
			       DRM_PROP_NAME_LEN - 1);
			ret = udrm_copy_to_user(file,
						out->enum_blob_ptr +
							i * (uint64_t)sizeof(e),
						&e, sizeof(e));
			if (ret)
				goto out;
		}
		out->count_enum_blobs = prop->num_enums;
	}
	/* Blob properties never listed their blobs here (see the kernel's
	 * comment): userspace reads them with GETPROPBLOB. */
	if (prop_is_type(prop, DRM_MODE_PROP_BLOB))
		out->count_enum_blobs = 0;
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_getblob_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_mode_get_blob *out = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_property_blob *blob;
	int ret = 0;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	blob = blob_lookup(kms, NULL, out->blob_id);
	pthread_mutex_unlock(&kms->lock);
	if (!blob)
		return -ENOENT;
	if (out->length == blob->length)
		ret = udrm_copy_to_user(file, out->data, blob->data,
					blob->length);
	if (!ret)
		out->length = (uint32_t)blob->length;
	udrm_blob_put(blob);
	return ret;
}

int udrm_mode_createblob_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	struct drm_mode_create_blob *out = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_property_blob *blob;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	ret = udrm_property_blob_create(kms, out->length, NULL, &blob);
	if (ret)
		return ret;
	ret = udrm_copy_from_user(file, blob->data, out->data, out->length);
	if (ret) {
		udrm_blob_put(blob);
		return ret;
	}
	pthread_mutex_lock(&kms->lock);
	blob->owner = file;
	blob->next = file->blobs;
	file->blobs = blob;
	out->blob_id = blob->base.id;
	pthread_mutex_unlock(&kms->lock);
	return 0;
}

int udrm_mode_destroyblob_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_mode_destroy_blob *out = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_property_blob *blob, **link;
	int ret = -EPERM;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	blob = blob_lookup(kms, NULL, out->blob_id);
	if (!blob) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	/* Only the file that created it may destroy it. */
	for (link = &file->blobs; *link; link = &(*link)->next) {
		if (*link == blob) {
			*link = blob->next;
			blob->next = NULL;
			blob->owner = NULL;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&kms->lock);
	/* The lookup's reference, and the file's if it was ours. */
	udrm_blob_put(blob);
	if (!ret)
		udrm_blob_put(blob);
	return ret;
}
