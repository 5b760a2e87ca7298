// SPDX-License-Identifier: MIT
/*
 * Framebuffers, as the kernel's drm_framebuffer.c with the GEM
 * framebuffer helper (drm_gem_framebuffer_helper.c): ADDFB/ADDFB2 with
 * the kernel's checks, RMFB/CLOSEFB, GETFB/GETFB2, DIRTYFB, lookup and
 * reference counting. Each fb maps its GEM objects into this process at
 * creation (fb->map[]) for the composer and writeback.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <drm_fourcc.h>

#include "core/auth.h"
#include "core/device.h"
#include "core/file.h"
#include "core/gem.h"
#include "core/shmem.h"
#include "core/uaccess.h"
#include "kms.h"
#include "objects_internal.h"

static struct udrm_framebuffer *to_fb(struct udrm_mode_object *obj)
{
	return UDRM_CONTAINER_OF(obj, struct udrm_framebuffer, base);
}

/* Whether map[i] is the first of the fb's planes on its object (each
 * object is mapped once). */
static bool first_use_of_object(const struct udrm_framebuffer *fb, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (fb->obj[j] == fb->obj[i])
			return false;
	return true;
}

static void fb_free(struct udrm_mode_object *obj)
{
	struct udrm_framebuffer *fb = to_fb(obj);
	int i;

	udrm_mode_object_unregister(fb->kms, &fb->base);
	for (i = 3; i >= 0; i--) {
		if (!fb->obj[i])
			continue;
		if (fb->map[i] && first_use_of_object(fb, i))
			munmap(fb->map[i], fb->obj[i]->size);
		udrm_gem_object_put(fb->obj[i]);
	}
	free(fb);
}

void udrm_framebuffer_get(struct udrm_framebuffer *fb)
{
	if (fb)
		udrm_mode_object_get(&fb->base);
}

void udrm_framebuffer_put(struct udrm_framebuffer *fb)
{
	if (fb)
		udrm_mode_object_put(&fb->base);
}

struct udrm_framebuffer *udrm_framebuffer_lookup(struct udrm_kms *kms,
						 struct udrm_file *file,
						 uint32_t id)
{
	struct udrm_mode_object *obj;

	obj = udrm_mode_object_find(kms, file, id, DRM_MODE_OBJECT_FB);
	return obj ? to_fb(obj) : NULL;
}

static uint32_t plane_width(const struct udrm_format_info *info, uint32_t width,
			    int p)
{
	return p ? (width + info->hsub - 1) / info->hsub : width;
}

static uint32_t plane_height(const struct udrm_format_info *info,
			     uint32_t height, int p)
{
	return p ? (height + info->vsub - 1) / info->vsub : height;
}

/* The kernel's framebuffer_check(). @by_handle: the planes' objects come
 * from @r->handles (ADDFB2), which must then be set. */
static int framebuffer_check(const struct drm_mode_fb_cmd2 *r, bool by_handle)
{
	const struct udrm_format_info *info = udrm_format_info(r->pixel_format);
	int i;

	if (!info || !r->width || !r->height)
		return -EINVAL;
	for (i = 0; i < info->num_planes; i++) {
		uint32_t height = plane_height(info, r->height, i);
		uint64_t min_pitch = udrm_format_min_pitch(
			info, i, plane_width(info, r->width, i));

		if (by_handle && !r->handles[i])
			return -EINVAL;
		if (min_pitch > UINT32_MAX)
			return -ERANGE;
		if ((uint64_t)height * r->pitches[i] + r->offsets[i] >
		    UINT32_MAX)
			return -ERANGE;
		if (r->pitches[i] < min_pitch)
			return -EINVAL;
		if (r->modifier[i] && !(r->flags & DRM_MODE_FB_MODIFIERS))
			return -EINVAL;
		if ((r->flags & DRM_MODE_FB_MODIFIERS) &&
		    r->modifier[i] != r->modifier[0])
			return -EINVAL;
	}
	for (i = info->num_planes; i < 4; i++) {
		if (r->modifier[i])
			return -EINVAL;
		/* Userspace before FB_MODIFIERS did not clear the rest. */
		if (!(r->flags & DRM_MODE_FB_MODIFIERS))
			continue;
		if (r->handles[i] || r->pitches[i] || r->offsets[i])
			return -EINVAL;
	}
	return 0;
}

/* drm_any_plane_has_format() */
static bool any_plane_has_format(struct udrm_kms *kms, uint32_t format,
				 uint64_t modifier)
{
	unsigned int i;
	uint32_t j, k;

	for (i = 0; i < kms->num_total_plane; i++) {
		struct udrm_plane *plane = kms->planes[i];

		for (j = 0; j < plane->format_count; j++) {
			if (plane->formats[j] != format)
				continue;
			for (k = 0; k < plane->modifier_count; k++)
				if (plane->modifiers[k] == modifier)
					return true;
		}
	}
	return false;
}

/* Maps @obj shared, read-write (dev->lock held: the pages may move to a
 * private memfd on first export). */
static uint8_t *map_object(struct udrm_gem_object *obj)
{
	void *p = mmap(NULL, obj->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       obj->shm->fd, (off_t)obj->shm_offset);

	return p == MAP_FAILED ? NULL : p;
}

/* drm_internal_framebuffer_create() with drm_gem_fb_create(). */
static int framebuffer_create(struct udrm_kms *kms, struct udrm_file *file,
			      const struct drm_mode_fb_cmd2 *r,
			      struct udrm_gem_object *const *objs,
			      struct udrm_framebuffer **out)
{
	struct udrm_device *dev = kms->dev;
	const struct udrm_format_info *info;
	struct udrm_framebuffer *fb;
	int i, ret;

	if (r->flags & ~(DRM_MODE_FB_INTERLACED | DRM_MODE_FB_MODIFIERS))
		return -EINVAL;
	if (r->width < kms->min_width || r->width > kms->max_width ||
	    r->height < kms->min_height || r->height > kms->max_height)
		return -EINVAL;
	if ((r->flags & DRM_MODE_FB_MODIFIERS) &&
	    dev->mode_config.fb_modifiers_not_supported)
		return -EINVAL;
	ret = framebuffer_check(r, !objs);
	if (ret)
		return ret;
	info = udrm_format_info(r->pixel_format);
	if (udrm_core_check_feature(dev, UDRM_FEAT_ATOMIC) &&
	    !any_plane_has_format(kms, r->pixel_format, r->modifier[0]))
		return -EINVAL;

	fb = calloc(1, sizeof(*fb));
	if (!fb)
		return -ENOMEM;
	fb->kms = kms;
	fb->format = info;
	fb->width = r->width;
	fb->height = r->height;
	fb->flags = r->flags;
	fb->modifier = (r->flags & DRM_MODE_FB_MODIFIERS)
			       ? r->modifier[0]
			       : DRM_FORMAT_MOD_LINEAR;
	for (i = 0; i < info->num_planes; i++) {
		uint32_t width = r->width / (i ? info->hsub : 1);
		uint32_t height = r->height / (i ? info->vsub : 1);
		uint64_t min_size;

		fb->pitches[i] = r->pitches[i];
		fb->offsets[i] = r->offsets[i];
		if (objs) {
			fb->obj[i] = objs[i];
			udrm_gem_object_get(objs[i]);
		} else {
			fb->obj[i] =
				udrm_gem_object_lookup(file, r->handles[i]);
		}
		if (!fb->obj[i]) {
			ret = -ENOENT;
			goto err;
		}
		min_size =
			(height ? (uint64_t)(height - 1) * r->pitches[i] : 0) +
			udrm_format_min_pitch(info, i, width) + r->offsets[i];
		if (fb->obj[i]->size < min_size) {
			ret = -EINVAL;
			goto err;
		}
	}
	pthread_mutex_lock(&dev->lock);
	for (i = 0; i < info->num_planes; i++) {
		fb->map[i] = first_use_of_object(fb, i) ? map_object(fb->obj[i])
							: NULL;
		if (!first_use_of_object(fb, i)) {
			int j;

			for (j = 0; j < i; j++)
				if (fb->obj[j] == fb->obj[i])
					fb->map[i] = fb->map[j];
		}
		if (!fb->map[i])
			ret = -ENOMEM;
	}
	pthread_mutex_unlock(&dev->lock);
	if (ret)
		goto err;
	fb->base.free = fb_free;
	ret = udrm_mode_object_add(kms, &fb->base, DRM_MODE_OBJECT_FB, true);
	if (ret)
		goto err;
	*out = fb;
	return 0;
err:
	for (i = 3; i >= 0; i--) {
		if (!fb->obj[i])
			continue;
		if (fb->map[i] && first_use_of_object(fb, i))
			munmap(fb->map[i], fb->obj[i]->size);
		udrm_gem_object_put(fb->obj[i]);
	}
	free(fb);
	return ret;
}

int udrm_framebuffer_create_internal(struct udrm_kms *kms,
				     const struct drm_mode_fb_cmd2 *r,
				     struct udrm_gem_object *const *objs,
				     struct udrm_framebuffer **out)
{
	return framebuffer_create(kms, NULL, r, objs, out);
}

/* drm_mode_addfb2(): the new fb joins the file's list, which holds the
 * creation reference. */
static int addfb2(struct udrm_device *dev, struct drm_mode_fb_cmd2 *r,
		  struct udrm_file *file)
{
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	int ret;

	pthread_mutex_lock(&kms->lock);
	ret = framebuffer_create(kms, file, r, NULL, &fb);
	if (!ret) {
		fb->owner = file;
		fb->next = file->fbs;
		file->fbs = fb;
		r->fb_id = fb->base.id;
	}
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_addfb2_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !dev->kms)
		return -EOPNOTSUPP;
	return addfb2(dev, data, file);
}

int udrm_mode_addfb_ioctl(struct udrm_device *dev, void *data,
			  struct udrm_file *file)
{
	struct drm_mode_fb_cmd * or = data;
	struct drm_mode_fb_cmd2 r;
	int ret;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !dev->kms)
		return -EOPNOTSUPP;
	memset(&r, 0, sizeof(r));
	r.pixel_format = udrm_mode_legacy_fb_format(or->bpp, or->depth);
	if (r.pixel_format == DRM_FORMAT_INVALID)
		return -EINVAL;
	r.width = or->width;
	r.height = or->height;
	r.pitches[0] = or->pitch;
	r.handles[0] = or->handle;
	ret = addfb2(dev, &r, file);
	if (ret)
		return ret;
	or->fb_id = r.fb_id;
	return 0;
}

/* Takes @fb off @file's list; false if it is not there. */
static bool unlink_from_file(struct udrm_file *file,
			     struct udrm_framebuffer *fb)
{
	struct udrm_framebuffer **link;

	for (link = &file->fbs; *link; link = &(*link)->next) {
		if (*link == fb) {
			*link = fb->next;
			fb->next = NULL;
			fb->owner = NULL;
			return true;
		}
	}
	return false;
}

/* RMFB (@remove: planes showing it are disabled) and CLOSEFB. */
static int remove_fb(struct udrm_device *dev, struct udrm_file *file,
		     uint32_t id, bool remove)
{
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	int ret = 0;

	pthread_mutex_lock(&kms->lock);
	fb = udrm_framebuffer_lookup(kms, file, id);
	if (!fb) {
		pthread_mutex_unlock(&kms->lock);
		return -ENOENT;
	}
	if (!unlink_from_file(file, fb)) {
		ret = -ENOENT;
	} else {
		/* The file's reference is ours now; shown elsewhere? */
		if (remove && atomic_load(&fb->base.refcount) > 2)
			udrm_atomic_remove_fb(kms, fb);
		udrm_framebuffer_put(fb);
	}
	udrm_framebuffer_put(fb); /* the lookup's */
	pthread_mutex_unlock(&kms->lock);
	return ret;
}

int udrm_mode_rmfb_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !dev->kms)
		return -EOPNOTSUPP;
	return remove_fb(dev, file, *(uint32_t *)data, true);
}

int udrm_mode_closefb_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_mode_closefb *r = data;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !dev->kms)
		return -EOPNOTSUPP;
	if (r->pad)
		return -EINVAL;
	return remove_fb(dev, file, r->fb_id, false);
}

void udrm_framebuffer_file_close(struct udrm_file *file)
{
	struct udrm_kms *kms = file->dev->kms;
	struct udrm_framebuffer *fb;

	while ((fb = file->fbs)) {
		file->fbs = fb->next;
		fb->next = NULL;
		fb->owner = NULL;
		/* drm_fb_release(): still used by a plane: take it off. */
		if (atomic_load(&fb->base.refcount) > 1)
			udrm_atomic_remove_fb(kms, fb);
		udrm_framebuffer_put(fb);
	}
}

/* Whether GETFB may hand out handles: current master or CAP_SYS_ADMIN. */
static bool may_get_handles(struct udrm_file *file)
{
	return udrm_is_current_master(file) ||
	       (file->dev->flags & UDRM_DEVICE_PRIVILEGED);
}

int udrm_mode_getfb(struct udrm_device *dev, void *data, struct udrm_file *file)
{
	struct drm_mode_fb_cmd *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	const struct udrm_format_info *info;
	int ret = 0;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	fb = udrm_framebuffer_lookup(kms, file, r->fb_id);
	pthread_mutex_unlock(&kms->lock);
	if (!fb)
		return -ENOENT;
	info = fb->format;
	/* Multi-planar framebuffers need GETFB2. */
	if (info->num_planes > 1) {
		ret = -EINVAL;
		goto out;
	}
	r->height = fb->height;
	r->width = fb->width;
	r->depth = info->depth;
	r->bpp = (uint32_t)info->cpp[0] * 8 /
		 ((info->block_w[0] ? info->block_w[0] : 1) *
		  (info->block_h[0] ? info->block_h[0] : 1));
	r->pitch = fb->pitches[0];
	r->handle = 0;
	/* An unprivileged ioctl: no buffer handle for non-masters. */
	if (may_get_handles(file))
		ret = udrm_gem_handle_create(file, fb->obj[0], &r->handle);
out:
	udrm_framebuffer_put(fb);
	return ret;
}

int udrm_mode_getfb2_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct drm_mode_fb_cmd2 *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	bool modifiers = !dev->mode_config.fb_modifiers_not_supported;
	int i, j, ret = 0;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	fb = udrm_framebuffer_lookup(kms, file, r->fb_id);
	pthread_mutex_unlock(&kms->lock);
	if (!fb)
		return -ENOENT;
	r->height = fb->height;
	r->width = fb->width;
	r->pixel_format = fb->format->format;
	r->flags = modifiers ? DRM_MODE_FB_MODIFIERS : 0;
	memset(r->handles, 0, sizeof(r->handles));
	memset(r->pitches, 0, sizeof(r->pitches));
	memset(r->offsets, 0, sizeof(r->offsets));
	memset(r->modifier, 0, sizeof(r->modifier));
	for (i = 0; i < fb->format->num_planes; i++) {
		r->pitches[i] = fb->pitches[i];
		r->offsets[i] = fb->offsets[i];
		if (modifiers)
			r->modifier[i] = fb->modifier;
	}
	if (!may_get_handles(file))
		goto out;
	for (i = 0; i < fb->format->num_planes; i++) {
		/* An object used by several planes gets one handle. */
		for (j = 0; j < i; j++) {
			if (fb->obj[i] == fb->obj[j]) {
				r->handles[i] = r->handles[j];
				break;
			}
		}
		if (r->handles[i])
			continue;
		ret = udrm_gem_handle_create(file, fb->obj[i], &r->handles[i]);
		if (ret)
			break;
	}
	if (ret) {
		for (i = 0; i < 4; i++) {
			if (!r->handles[i])
				continue;
			udrm_gem_handle_delete(file, r->handles[i]);
			for (j = i + 1; j < 4; j++)
				if (r->handles[j] == r->handles[i])
					r->handles[j] = 0;
			r->handles[i] = 0;
		}
	}
out:
	udrm_framebuffer_put(fb);
	return ret;
}

int udrm_mode_dirtyfb_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_mode_fb_dirty_cmd *r = data;
	struct udrm_kms *kms = dev->kms;
	struct udrm_framebuffer *fb;
	struct drm_clip_rect clip;
	uint32_t flags, i;
	int ret = -ENOSYS;

	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET) || !kms)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&kms->lock);
	fb = udrm_framebuffer_lookup(kms, file, r->fb_id);
	pthread_mutex_unlock(&kms->lock);
	if (!fb)
		return -ENOENT;
	flags = r->flags & DRM_MODE_FB_DIRTY_FLAGS;
	if (!r->num_clips != !r->clips_ptr) {
		ret = -EINVAL;
		goto out;
	}
	/* With ANNOTATE_COPY the clips come in pairs. */
	if ((flags & DRM_MODE_FB_DIRTY_ANNOTATE_COPY) && (r->num_clips % 2)) {
		ret = -EINVAL;
		goto out;
	}
	if (r->num_clips > DRM_MODE_FB_DIRTY_MAX_CLIPS) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < r->num_clips; i++) {
		if (udrm_copy_from_user(file, &clip,
					r->clips_ptr +
						i * (uint64_t)sizeof(clip),
					sizeof(clip))) {
			ret = -EFAULT;
			goto out;
		}
	}
	/* vkms framebuffers have no dirty hook. */
	ret = -ENOSYS;
out:
	udrm_framebuffer_put(fb);
	return ret;
}
