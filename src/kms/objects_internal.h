/* SPDX-License-Identifier: MIT */
/*
 * Private to the mode object half of kms/ (mode_config.c, framebuffer.c,
 * getters.c, lease.c): what these files call in each other.
 */
#ifndef UDRM_KMS_OBJECTS_INTERNAL_H
#define UDRM_KMS_OBJECTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kms.h"

/* enum drm_connector_status */
enum {
	UDRM_CONNECTOR_CONNECTED = 1,
	UDRM_CONNECTOR_DISCONNECTED = 2,
	UDRM_CONNECTOR_UNKNOWN = 3,
};

#define UDRM_CONTAINER_OF(ptr, type, member)                                   \
	((type *)((char *)(ptr)-offsetof(type, member)))

/* The CRTC/plane/connector/encoder of id @id visible to @file, or NULL.
 * Caller holds kms->lock. */
struct udrm_crtc *udrm_crtc_find(struct udrm_kms *kms, struct udrm_file *file,
				 uint32_t id);
struct udrm_plane *udrm_plane_find(struct udrm_kms *kms, struct udrm_file *file,
				   uint32_t id);
struct udrm_connector *udrm_connector_find(struct udrm_kms *kms,
					   struct udrm_file *file, uint32_t id);
struct udrm_encoder *udrm_encoder_find(struct udrm_kms *kms,
				       struct udrm_file *file, uint32_t id);

/* Every registered object's id, ascending, in a new array (GET_LEASE of
 * an owner). */
int udrm_mode_object_list_ids(struct udrm_kms *kms, uint32_t **ids,
			      uint32_t *count);

/* lease.c: on close of @file (kms->lock held): a master file revokes the
 * leases of its master; a lessee's lease goes. */
void udrm_lease_file_close(struct udrm_file *file);
/* The lease's crtc mask filter (drm_lease_filter_crtcs). */
uint32_t udrm_lease_filter_crtcs(struct udrm_file *file, uint32_t crtcs);

/* framebuffer.c: removes @file's framebuffers (kms->lock held), taking
 * those still shown off the planes, as drm_fb_release(). */
void udrm_framebuffer_file_close(struct udrm_file *file);

/* getters.c: the OBJ_GETPROPERTIES list of @obj into user arrays
 * (drm_mode_object_get_properties). Caller holds kms->lock. */
int udrm_object_get_properties(struct udrm_file *file,
			       struct udrm_mode_object *obj, bool atomic,
			       uint64_t props_ptr, uint64_t values_ptr,
			       uint32_t *count);

#endif
