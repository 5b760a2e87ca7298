// SPDX-License-Identifier: MIT
/*
 * The ioctl entry point and the core's own small ioctls, as the kernel's
 * drm_ioctl.c: dispatch by number, permission checks, and copying the
 * argument the way the kernel does (the caller's size in, the rest zeroed,
 * the caller's size out even on failure).
 */
#include <drm.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "device.h"
#include "file.h"
#include "gem.h"
#include "kms/kms.h"
#include "sync/syncobj.h"
#include "uaccess.h"

#define DRM_IF_MAJOR	  1
#define DRM_IF_MINOR	  4
#define UDRM_COMMAND_BASE 0x40
#define UDRM_COMMAND_END  0xa0

static int drm_version_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file);
static int drm_getunique_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file);
static int drm_getcap_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file);
static int drm_setclientcap_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file);
static int drm_setversion_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file);

static const struct udrm_ioctl_desc udrm_core_ioctls[] = {
	UDRM_IOCTL_DEF(DRM_IOCTL_VERSION, drm_version_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_GET_UNIQUE, drm_getunique_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_GET_MAGIC, udrm_getmagic_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_GET_CAP, drm_getcap_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SET_CLIENT_CAP, drm_setclientcap_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_SET_VERSION, drm_setversion_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_AUTH_MAGIC, udrm_authmagic_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_SET_MASTER, udrm_setmaster_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_DROP_MASTER, udrm_dropmaster_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_GEM_CLOSE, udrm_gem_close_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_GEM_FLINK, udrm_gem_flink_ioctl,
		       UDRM_IOCTL_AUTH),
	UDRM_IOCTL_DEF(DRM_IOCTL_GEM_OPEN, udrm_gem_open_ioctl,
		       UDRM_IOCTL_AUTH),
	UDRM_IOCTL_DEF(DRM_IOCTL_PRIME_HANDLE_TO_FD,
		       udrm_prime_handle_to_fd_ioctl, UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_PRIME_FD_TO_HANDLE,
		       udrm_prime_fd_to_handle_ioctl, UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CREATE_DUMB, udrm_mode_create_dumb_ioctl,
		       0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_MAP_DUMB, udrm_mode_map_dumb_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_DESTROY_DUMB,
		       udrm_mode_destroy_dumb_ioctl, 0),

	/* Sync objects (sync/syncobj.c), with the kernel's current struct
	 * sizes where they outgrew the installed uapi headers. */
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_CREATE, udrm_syncobj_create_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_DESTROY, udrm_syncobj_destroy_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(UDRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
		       udrm_syncobj_handle_to_fd_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(UDRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
		       udrm_syncobj_fd_to_handle_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_TRANSFER, udrm_syncobj_transfer_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(UDRM_IOCTL_SYNCOBJ_WAIT, udrm_syncobj_wait_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(UDRM_IOCTL_SYNCOBJ_TIMELINE_WAIT,
		       udrm_syncobj_timeline_wait_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(UDRM_IOCTL_SYNCOBJ_EVENTFD, udrm_syncobj_eventfd_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_RESET, udrm_syncobj_reset_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_SIGNAL, udrm_syncobj_signal_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL,
		       udrm_syncobj_timeline_signal_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),
	UDRM_IOCTL_DEF(DRM_IOCTL_SYNCOBJ_QUERY, udrm_syncobj_query_ioctl,
		       UDRM_IOCTL_RENDER_ALLOW),

	/* KMS (kms/), permissions as the kernel's drm_ioctls[]. */
	UDRM_IOCTL_DEF(DRM_IOCTL_WAIT_VBLANK, udrm_wait_vblank_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_CRTC_GET_SEQUENCE,
		       udrm_crtc_get_sequence_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_CRTC_QUEUE_SEQUENCE,
		       udrm_crtc_queue_sequence_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETRESOURCES, udrm_mode_getresources,
		       0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETPLANERESOURCES,
		       udrm_mode_getplane_res, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETCRTC, udrm_mode_getcrtc, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_SETCRTC, udrm_mode_setcrtc,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETPLANE, udrm_mode_getplane, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_SETPLANE, udrm_mode_setplane,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CURSOR, udrm_mode_cursor_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETGAMMA, udrm_mode_gamma_get_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_SETGAMMA, udrm_mode_gamma_set_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETENCODER, udrm_mode_getencoder, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETCONNECTOR, udrm_mode_getconnector,
		       0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_ATTACHMODE, udrm_mode_noop_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_DETACHMODE, udrm_mode_noop_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETPROPERTY, udrm_mode_getproperty_ioctl,
		       0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_SETPROPERTY,
		       udrm_connector_property_set_ioctl, UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETPROPBLOB, udrm_mode_getblob_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETFB, udrm_mode_getfb, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GETFB2, udrm_mode_getfb2_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_ADDFB, udrm_mode_addfb_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_ADDFB2, udrm_mode_addfb2_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_RMFB, udrm_mode_rmfb_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CLOSEFB, udrm_mode_closefb_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_PAGE_FLIP, udrm_mode_page_flip_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_DIRTYFB, udrm_mode_dirtyfb_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_OBJ_GETPROPERTIES,
		       udrm_mode_obj_get_properties_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_OBJ_SETPROPERTY,
		       udrm_mode_obj_set_property_ioctl, UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CURSOR2, udrm_mode_cursor2_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_ATOMIC, udrm_mode_atomic_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CREATEPROPBLOB,
		       udrm_mode_createblob_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_DESTROYPROPBLOB,
		       udrm_mode_destroyblob_ioctl, 0),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_CREATE_LEASE,
		       udrm_mode_create_lease_ioctl, UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_LIST_LESSEES,
		       udrm_mode_list_lessees_ioctl, UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_GET_LEASE, udrm_mode_get_lease_ioctl,
		       UDRM_IOCTL_MASTER),
	UDRM_IOCTL_DEF(DRM_IOCTL_MODE_REVOKE_LEASE,
		       udrm_mode_revoke_lease_ioctl, UDRM_IOCTL_MASTER),
};

#define UDRM_CORE_IOCTL_COUNT                                                  \
	(sizeof(udrm_core_ioctls) / sizeof(udrm_core_ioctls[0]))

/* drm_ioctl_permit() */
static int ioctl_permit(unsigned int flags, struct udrm_file *file)
{
	bool render = udrm_is_render_client(file);

	if ((flags & UDRM_IOCTL_ROOT_ONLY) &&
	    !(file->dev->flags & UDRM_DEVICE_PRIVILEGED))
		return -EACCES;
	if ((flags & UDRM_IOCTL_AUTH) && !render) {
		bool authenticated;

		pthread_mutex_lock(&file->dev->lock);
		authenticated = file->authenticated;
		pthread_mutex_unlock(&file->dev->lock);
		if (!authenticated)
			return -EACCES;
	}
	if ((flags & UDRM_IOCTL_MASTER) && !udrm_is_current_master(file))
		return -EACCES;
	if (!(flags & UDRM_IOCTL_RENDER_ALLOW) && render)
		return -EACCES;
	return 0;
}

static const struct udrm_ioctl_desc *ioctl_lookup(struct udrm_device *dev,
						  unsigned int nr)
{
	const struct udrm_ioctl_desc *ioctl;

	if (nr >= UDRM_COMMAND_BASE && nr < UDRM_COMMAND_END) {
		if (nr - UDRM_COMMAND_BASE >= dev->driver->num_ioctls)
			return NULL;
		ioctl = &dev->driver->ioctls[nr - UDRM_COMMAND_BASE];
	} else {
		if (nr >= UDRM_CORE_IOCTL_COUNT)
			return NULL;
		ioctl = &udrm_core_ioctls[nr];
	}
	return ioctl->func ? ioctl : NULL;
}

int udrm_file_ioctl(struct udrm_file *file, unsigned long cmd, void *arg)
{
	struct udrm_device *dev = file->dev;
	const struct udrm_ioctl_desc *ioctl;
	uint64_t stack_data[16];
	size_t in_size, out_size, drv_size, ksize;
	uint64_t uarg = udrm_user_ptr(arg);
	void *kdata = stack_data;
	int ret;

	if (_IOC_TYPE(cmd) != DRM_IOCTL_BASE)
		return -ENOTTY;
	ioctl = ioctl_lookup(dev, _IOC_NR(cmd));
	if (!ioctl)
		return -EINVAL;

	/* Do not trust the caller's size: use ours, as the kernel does. */
	drv_size = _IOC_SIZE(ioctl->cmd);
	in_size = out_size = _IOC_SIZE(cmd);
	if (!(cmd & ioctl->cmd & IOC_IN))
		in_size = 0;
	if (!(cmd & ioctl->cmd & IOC_OUT))
		out_size = 0;
	ksize = in_size > out_size ? in_size : out_size;
	if (drv_size > ksize)
		ksize = drv_size;
	if (ksize > sizeof(stack_data)) {
		kdata = malloc(ksize);
		if (!kdata)
			return -ENOMEM;
	}
	if (udrm_copy_from_user(file, kdata, uarg, in_size)) {
		ret = -EFAULT;
		goto out;
	}
	if (ksize > in_size)
		memset((char *)kdata + in_size, 0, ksize - in_size);

	ret = ioctl_permit(ioctl->flags, file);
	if (!ret)
		ret = ioctl->func(dev, kdata, file);
	if (udrm_copy_to_user(file, uarg, kdata, out_size))
		ret = -EFAULT;
out:
	if (kdata != stack_data)
		free(kdata);
	return ret;
}

/* drm_copy_field(): reports the full length, copies what fits. */
static int copy_field(struct udrm_file *file, char *buf, size_t *buf_len,
		      const char *value)
{
	size_t len = strlen(value);
	size_t n = len < *buf_len ? len : *buf_len;

	*buf_len = len;
	if (n && buf && udrm_copy_to_user(file, udrm_user_ptr(buf), value, n))
		return -EFAULT;
	return 0;
}

static int drm_version_ioctl(struct udrm_device *dev, void *data,
			     struct udrm_file *file)
{
	struct drm_version *version = data;
	const struct udrm_driver *drv = dev->driver;
	int ret;

	version->version_major = drv->major;
	version->version_minor = drv->minor;
	version->version_patchlevel = drv->patchlevel;
	ret = copy_field(file, version->name, &version->name_len, drv->name);
	if (!ret)
		ret = copy_field(file, version->date, &version->date_len,
				 drv->date);
	if (!ret)
		ret = copy_field(file, version->desc, &version->desc_len,
				 drv->desc);
	return ret;
}

static int drm_getunique_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	struct drm_unique *u = data;
	const char *unique;
	size_t len;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	unique = file->master && file->master->unique ? file->master->unique
						      : "";
	len = strlen(unique);
	if (u->unique_len >= len && len &&
	    udrm_copy_to_user(file, udrm_user_ptr(u->unique), unique, len))
		ret = -EFAULT;
	if (!ret)
		u->unique_len = len;
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int drm_setversion_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_set_version *sv = data;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (sv->drm_di_major != -1) {
		if (sv->drm_di_major != DRM_IF_MAJOR || sv->drm_di_minor < 0 ||
		    sv->drm_di_minor > DRM_IF_MINOR) {
			ret = -EINVAL;
			goto done;
		}
		/* Interface 1.1 ties the master to the bus id. */
		if (sv->drm_di_minor >= 1 && file->master) {
			char *unique = strdup(dev->unique);

			if (!unique) {
				ret = -ENOMEM;
				goto done;
			}
			free(file->master->unique);
			file->master->unique = unique;
		}
	}
	if (sv->drm_dd_major != -1) {
		if (sv->drm_dd_major != dev->driver->major ||
		    sv->drm_dd_minor < 0 ||
		    sv->drm_dd_minor > dev->driver->minor)
			ret = -EINVAL;
	}
done:
	sv->drm_di_major = DRM_IF_MAJOR;
	sv->drm_di_minor = DRM_IF_MINOR;
	sv->drm_dd_major = dev->driver->major;
	sv->drm_dd_minor = dev->driver->minor;
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

static int drm_getcap_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct drm_get_cap *req = data;
	const struct udrm_mode_config *mc = &dev->mode_config;

	req->value = 0;
	switch (req->capability) {
	case DRM_CAP_TIMESTAMP_MONOTONIC:
		req->value = 1;
		return 0;
	case DRM_CAP_PRIME:
		req->value = DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT;
		return 0;
	case DRM_CAP_SYNCOBJ:
		req->value = udrm_core_check_feature(dev, UDRM_FEAT_SYNCOBJ);
		return 0;
	case DRM_CAP_SYNCOBJ_TIMELINE:
		req->value = udrm_core_check_feature(
			dev, UDRM_FEAT_SYNCOBJ_TIMELINE);
		return 0;
	}
	/* The other caps only exist for KMS drivers. */
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET))
		return -EOPNOTSUPP;
	switch (req->capability) {
	case DRM_CAP_DUMB_BUFFER:
		req->value = dev->driver->dumb_create != NULL;
		break;
	case DRM_CAP_VBLANK_HIGH_CRTC:
	case DRM_CAP_CRTC_IN_VBLANK_EVENT:
		req->value = 1;
		break;
	case DRM_CAP_DUMB_PREFERRED_DEPTH:
		req->value = mc->preferred_depth;
		break;
	case DRM_CAP_DUMB_PREFER_SHADOW:
		req->value = mc->prefer_shadow;
		break;
	case DRM_CAP_ASYNC_PAGE_FLIP:
		req->value = mc->async_page_flip;
		break;
	case DRM_CAP_PAGE_FLIP_TARGET:
		req->value = !mc->num_crtc || mc->crtcs_support_flip_target;
		break;
	case DRM_CAP_CURSOR_WIDTH:
		req->value = mc->cursor_width ? mc->cursor_width : 64;
		break;
	case DRM_CAP_CURSOR_HEIGHT:
		req->value = mc->cursor_height ? mc->cursor_height : 64;
		break;
	case DRM_CAP_ADDFB2_MODIFIERS:
		req->value = !mc->fb_modifiers_not_supported;
		break;
#ifdef DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP
	case DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP:
		req->value = udrm_core_check_feature(dev, UDRM_FEAT_ATOMIC) &&
			     mc->async_page_flip;
		break;
#endif
	default:
		return -EINVAL;
	}
	return 0;
}

#ifndef DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT
#define DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT 6
#endif

static int drm_setclientcap_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file)
{
	struct drm_set_client_cap *req = data;
	int ret = 0;

	/* No render-only settable capabilities exist. */
	if (!udrm_core_check_feature(dev, UDRM_FEAT_MODESET))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	switch (req->capability) {
	case DRM_CLIENT_CAP_STEREO_3D:
		if (req->value > 1)
			ret = -EINVAL;
		else
			file->stereo_allowed = req->value;
		break;
	case DRM_CLIENT_CAP_UNIVERSAL_PLANES:
		if (req->value > 1)
			ret = -EINVAL;
		else
			file->universal_planes = req->value;
		break;
	case DRM_CLIENT_CAP_ATOMIC:
		if (!udrm_core_check_feature(dev, UDRM_FEAT_ATOMIC))
			ret = -EOPNOTSUPP;
		else if (req->value > 2)
			ret = -EINVAL;
		else
			file->atomic = file->universal_planes =
				file->aspect_ratio_allowed = req->value;
		break;
	case DRM_CLIENT_CAP_ASPECT_RATIO:
		if (req->value > 1)
			ret = -EINVAL;
		else
			file->aspect_ratio_allowed = req->value;
		break;
	case DRM_CLIENT_CAP_WRITEBACK_CONNECTORS:
		if (!file->atomic || req->value > 1)
			ret = -EINVAL;
		else
			file->writeback_connectors = req->value;
		break;
	case DRM_CLIENT_CAP_CURSOR_PLANE_HOTSPOT:
		if (!udrm_core_check_feature(dev, UDRM_FEAT_CURSOR_HOTSPOT))
			ret = -EOPNOTSUPP;
		else if (!file->atomic || req->value > 1)
			ret = -EINVAL;
		else
			file->supports_virtualized_cursor_plane = req->value;
		break;
	default:
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
