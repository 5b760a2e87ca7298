// SPDX-License-Identifier: MIT
/*
 * DRM leases, as the kernel's drm_lease.c: a master (the lessor, always
 * the owner: no sub-leases) hands a set of CRTCs, connectors and planes
 * to a new master (the lessee) living in a new file on the same device.
 * The lessee sees and controls only its objects; the owner keeps seeing
 * everything. Revoking empties the lease; the lessee's file stays open.
 *
 * Locking: leases (their object sets and the device's list) are under
 * kms->lock. A lease's lessor pointer and its lessee master's ->lease
 * are set before the lessee file is published and cleared when that file
 * closes, so the master checks may read them under dev->lock alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/device.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "kms.h"
#include "objects_internal.h"
#include "udrm/udrm.h"

struct udrm_lease {
	struct udrm_kms *kms;
	struct udrm_master *master; /* the lessee */
	struct udrm_master *lessor; /* a reference (dev->lock) */
	uint32_t lessee_id;	    /* unique among the lessor's lessees */
	uint32_t *objects;	    /* sorted ids; empty once revoked */
	uint32_t count;
	struct udrm_lease *next; /* leases (leases_lock) */
};

/* Every lease of the process, in creation order (the kernel's lessor
 * lists are in that order). Changed under the device's kms->lock and
 * this lock, read under either. */
static pthread_mutex_t leases_lock = PTHREAD_MUTEX_INITIALIZER;
static struct udrm_lease *leases;

/* Lessee files made by CREATE_LEASE and not yet taken by whoever installs
 * their fd (udrm_lease_take_file). */
struct lease_file {
	int fd;
	struct udrm_file *file;
	struct lease_file *next;
};
static struct lease_file *untaken; /* leases_lock */

struct udrm_master *udrm_lease_owner(struct udrm_master *master)
{
	if (master && master->lease)
		return master->lease->lessor;
	return master;
}

struct udrm_file *udrm_lease_take_file(int fd)
{
	struct lease_file **link, *lf;
	struct udrm_file *file = NULL;

	pthread_mutex_lock(&leases_lock);
	for (link = &untaken; (lf = *link); link = &lf->next) {
		if (lf->fd == fd) {
			*link = lf->next;
			file = lf->file;
			free(lf);
			break;
		}
	}
	pthread_mutex_unlock(&leases_lock);
	return file;
}

static void forget_untaken(struct udrm_file *file)
{
	struct lease_file **link, *lf;

	pthread_mutex_lock(&leases_lock);
	for (link = &untaken; (lf = *link);) {
		if (lf->file == file) {
			*link = lf->next;
			free(lf);
		} else {
			link = &lf->next;
		}
	}
	pthread_mutex_unlock(&leases_lock);
}

/* The file's master and its lease (NULL for owners). */
static struct udrm_master *file_master(struct udrm_file *file)
{
	struct udrm_master *master;

	pthread_mutex_lock(&file->dev->lock);
	master = file->master;
	pthread_mutex_unlock(&file->dev->lock);
	return master;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool lease_has(const struct udrm_lease *lease, uint32_t id)
{
	/* A revoked lease holds nothing (and bsearch wants an array). */
	if (!lease->count || !lease->objects)
		return false;
	return bsearch(&id, lease->objects, lease->count, sizeof(id),
		       cmp_u32) != NULL;
}

bool udrm_lease_held(struct udrm_file *file, uint32_t id)
{
	struct udrm_master *master;

	if (!file)
		return true;
	master = file_master(file);
	if (!master || !master->lease)
		return true;
	return lease_has(master->lease, id);
}

uint32_t udrm_lease_filter_crtcs(struct udrm_file *file, uint32_t crtcs)
{
	struct udrm_kms *kms = file->dev->kms;
	struct udrm_master *master = file_master(file);
	uint32_t out = 0;
	unsigned int i, n = 0;

	if (!master || !master->lease)
		return crtcs;
	/* Renumbered: bit n is the n-th CRTC the lessee sees. */
	for (i = 0; i < kms->num_crtc; i++) {
		if (!lease_has(master->lease, kms->crtcs[i]->base.id))
			continue;
		if (crtcs & (1u << i))
			out |= 1u << n;
		n++;
	}
	return out;
}

/* Whether @id is in a live lease of @lessor (_drm_has_leased). */
static bool leased_by(struct udrm_kms *kms, struct udrm_master *lessor,
		      uint32_t id)
{
	struct udrm_lease *l;
	bool found = false;

	/* The list is every device's: another device's file close may
	 * unlink from it under leases_lock alone. */
	pthread_mutex_lock(&leases_lock);
	for (l = leases; l && !found; l = l->next)
		found = l->kms == kms && l->lessor == lessor &&
			lease_has(l, id);
	pthread_mutex_unlock(&leases_lock);
	return found;
}

/* Adds @id to the sorted set; -ENOSPC if present (the kernel's
 * idr_alloc of a taken id). */
static int set_add(uint32_t *set, uint32_t *n, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (set[i] == id)
			return -ENOSPC;
	set[(*n)++] = id;
	return 0;
}

/* fill_object_idr() and validate_lease(). */
static int fill_objects(struct udrm_kms *kms, struct udrm_file *lessor_file,
			const uint32_t *ids, uint32_t count, uint32_t *set,
			uint32_t *n)
{
	bool universal = lessor_file->universal_planes;
	bool has_crtc = false, has_connector = false, has_plane = false;
	struct udrm_mode_object *obj;
	uint32_t i, type;
	int ret;

	for (i = 0; i < count; i++) {
		obj = udrm_mode_object_find(kms, lessor_file, ids[i],
					    DRM_MODE_OBJECT_ANY);
		if (!obj)
			return -ENOENT;
		type = obj->type;
		udrm_mode_object_put(obj);
		if (type != DRM_MODE_OBJECT_CRTC &&
		    type != DRM_MODE_OBJECT_CONNECTOR &&
		    type != DRM_MODE_OBJECT_PLANE)
			return -EINVAL;
		has_crtc |= type == DRM_MODE_OBJECT_CRTC;
		has_connector |= type == DRM_MODE_OBJECT_CONNECTOR;
		has_plane |= type == DRM_MODE_OBJECT_PLANE;
	}
	if (!has_crtc || !has_connector || (universal && !has_plane))
		return -EINVAL;
	for (i = 0; i < count; i++) {
		struct udrm_crtc *crtc;

		ret = set_add(set, n, ids[i]);
		if (ret)
			return ret;
		/* Without universal planes the CRTC's planes come along. */
		crtc = universal ? NULL : udrm_crtc_find(kms, NULL, ids[i]);
		if (!crtc)
			continue;
		if (crtc->primary) {
			ret = set_add(set, n, crtc->primary->base.id);
			if (ret)
				return ret;
		}
		if (crtc->cursor) {
			ret = set_add(set, n, crtc->cursor->base.id);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static uint32_t new_lessee_id(struct udrm_kms *kms, struct udrm_master *lessor)
{
	struct udrm_lease *l;
	uint32_t id = 1;

again:
	for (l = leases; l; l = l->next) {
		if (l->kms == kms && l->lessor == lessor &&
		    l->lessee_id == id) {
			id++;
			goto again;
		}
	}
	return id;
}

int udrm_mode_create_lease_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_mode_create_lease *cl = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_master *lessor, *lessee = NULL, *old;
	struct udrm_file *lf = NULL;
	struct udrm_lease *lease = NULL, **tail;
	struct lease_file *pending = NULL;
	uint32_t *ids = NULL, *set = NULL, n = 0;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	/* A lease needs some objects (drm_mode_create_lease_ioctl). */
	if (!cl->object_count)
		return -EINVAL;
	if (cl->flags & ~(uint32_t)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	lessor = file_master(file);
	/* No sub-leases. */
	if (!lessor || lessor->lease)
		return -EINVAL;
	/* memdup_array_user() of the ids: -ENOMEM past its limit. */
	if (cl->object_count > UDRM_USER_ARRAY_MAX_BYTES / sizeof(uint32_t))
		return -ENOMEM;
	ids = malloc(cl->object_count * sizeof(*ids));
	/* Room for the CRTCs' primary and cursor planes. */
	set = malloc(3 * cl->object_count * sizeof(*set));
	if (!ids || !set) {
		ret = -ENOMEM;
		goto out;
	}
	ret = udrm_copy_from_user(file, ids, cl->object_ids,
				  cl->object_count * sizeof(*ids));
	if (ret)
		goto out;
	lease = calloc(1, sizeof(*lease));
	pending = calloc(1, sizeof(*pending));
	lessee = udrm_master_create(dev);
	if (!lease || !pending || !lessee) {
		ret = -ENOMEM;
		goto out;
	}
	ret = udrm_file_open(
		dev, UDRM_NODE_PRIMARY,
		O_RDWR | (int)(cl->flags & (O_CLOEXEC | O_NONBLOCK)), &lf);
	if (ret)
		goto out;

	pthread_mutex_lock(&kms->lock);
	ret = fill_objects(kms, file, ids, cl->object_count, set, &n);
	if (ret)
		goto out_unlock;
	for (uint32_t i = 0; i < n; i++) {
		if (leased_by(kms, lessor, set[i])) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	qsort(set, n, sizeof(*set), cmp_u32);
	lease->kms = kms;
	lease->master = lessee;
	lease->objects = set;
	lease->count = n;
	set = NULL;

	/* The new file becomes the lessee master. */
	pthread_mutex_lock(&dev->lock);
	old = lf->master;
	lf->master = lessee;
	lf->is_master = true;
	lf->authenticated = true;
	udrm_master_put_locked(&old);
	lease->lessor = udrm_master_get_locked(lessor);
	lessee->lease = lease;
	pthread_mutex_unlock(&dev->lock);
	lessee = NULL;

	pending->fd = udrm_file_fd(lf);
	pending->file = lf;
	pthread_mutex_lock(&leases_lock);
	lease->lessee_id = new_lessee_id(kms, lease->lessor);
	for (tail = &leases; *tail; tail = &(*tail)->next)
		;
	*tail = lease;
	pending->next = untaken;
	untaken = pending;
	pthread_mutex_unlock(&leases_lock);
	cl->fd = (uint32_t)pending->fd;
	cl->lessee_id = lease->lessee_id;
	pthread_mutex_unlock(&kms->lock);
	free(ids);
	return 0;

out_unlock:
	pthread_mutex_unlock(&kms->lock);
out:
	if (lf)
		udrm_file_close(lf);
	if (lessee) {
		pthread_mutex_lock(&dev->lock);
		udrm_master_put_locked(&lessee);
		pthread_mutex_unlock(&dev->lock);
	}
	free(pending);
	free(lease);
	free(set);
	free(ids);
	return ret;
}

int udrm_mode_list_lessees_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_mode_list_lessees *arg = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_master *lessor;
	struct udrm_lease *l;
	uint32_t count = 0;
	int ret = 0;

	if (arg->pad)
		return -EINVAL;
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	lessor = file_master(file);
	pthread_mutex_lock(&kms->lock);
	pthread_mutex_lock(&leases_lock);
	for (l = leases; l; l = l->next) {
		/* Only leases that still hold something. */
		if (l->kms != kms || l->lessor != lessor || !l->count)
			continue;
		if (arg->count_lessees > count) {
			ret = udrm_copy_to_user(file,
						arg->lessees_ptr + count * 4ull,
						&l->lessee_id, 4);
			if (ret)
				break;
		}
		count++;
	}
	if (!ret)
		arg->count_lessees = count;
	pthread_mutex_unlock(&leases_lock);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_get_lease_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_mode_get_lease *arg = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_master *master;
	uint32_t *ids = NULL, n = 0, i;
	int ret = 0;

	if (arg->pad)
		return -EINVAL;
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	master = file_master(file);
	pthread_mutex_lock(&kms->lock);
	if (master && master->lease) {
		ids = master->lease->objects;
		n = master->lease->count;
	} else {
		/* The owner can use every object. */
		ret = udrm_mode_object_list_ids(kms, &ids, &n);
		if (ret)
			goto out;
	}
	for (i = 0; i < n && i < arg->count_objects; i++) {
		ret = udrm_copy_to_user(file, arg->objects_ptr + i * 4ull,
					&ids[i], 4);
		if (ret)
			break;
	}
	if (!ret)
		arg->count_objects = n;
	if (!master || !master->lease)
		free(ids);
out:
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_revoke_lease_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_mode_revoke_lease *arg = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_master *lessor, *owner;
	struct udrm_lease *l;
	int ret = -ENOENT;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	lessor = file_master(file);
	owner = udrm_lease_owner(lessor);
	pthread_mutex_lock(&kms->lock);
	pthread_mutex_lock(&leases_lock);
	for (l = leases; l; l = l->next) {
		if (l->kms != kms || l->lessor != owner ||
		    l->lessee_id != arg->lessee_id)
			continue;
		if (l->lessor != lessor) {
			ret = -EACCES;
		} else {
			l->count = 0;
			ret = 0;
		}
		break;
	}
	pthread_mutex_unlock(&leases_lock);
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

void udrm_lease_file_close(struct udrm_file *file)
{
	struct udrm_device *dev = file->dev;
	struct udrm_master *master;
	struct udrm_lease *l, **link, *mine = NULL;

	forget_untaken(file);
	pthread_mutex_lock(&dev->lock);
	master = file->is_master ? file->master : NULL;
	pthread_mutex_unlock(&dev->lock);
	if (!master)
		return;
	/* drm_master_release() -> drm_lease_revoke(): the master's own
	 * lease and those of its lessees are emptied. */
	pthread_mutex_lock(&leases_lock);
	for (link = &leases; (l = *link);) {
		if (l->lessor == master)
			l->count = 0;
		if (l == master->lease) {
			*link = l->next;
			mine = l;
		} else {
			link = &l->next;
		}
	}
	pthread_mutex_unlock(&leases_lock);
	if (!mine)
		return;
	/* The lessee master goes with its only file: drm_lease_destroy. */
	pthread_mutex_lock(&dev->lock);
	master->lease = NULL;
	udrm_master_put_locked(&mine->lessor);
	pthread_mutex_unlock(&dev->lock);
	free(mine->objects);
	free(mine);
}
