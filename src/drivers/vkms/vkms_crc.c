// SPDX-License-Identifier: MIT
/*
 * CRCs of composed frames through debugfs, with the semantics of the
 * kernel's drm_debugfs_crc.c for a driver with one CRC source, "auto",
 * and one value per frame (vkms_crc.c in kernel vkms):
 * - crtc-N/crc/control shows "auto*"; writing a source is checked
 *   (-EINVAL for another name) and refused with -EBUSY while data is open;
 * - opening crtc-N/crc/data needs an active CRTC (-EIO), only one opener
 *   at a time (-EBUSY), and starts CRC generation; closing stops it;
 * - each read returns exactly one entry "0x<frame> 0x<crc>\n\0" (23
 *   bytes), -EINVAL for a shorter buffer, -EAGAIN when empty and
 *   non-blocking, blocks otherwise; poll is readable while entries wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/device.h"
#include "core/vfile.h"
#include "vkms_drv.h"

/* LINE_LEN(1) of drm_debugfs_crc.c: frame, one CRC, newline, NUL. */
#define CRC_LINE_LEN (10 + 11 + 1 + 1)

static unsigned int crc_count(const struct vkms_output *out)
{
	return (out->crc_head - out->crc_tail) & (VKMS_CRC_ENTRIES - 1);
}

bool vkms_crc_wanted(struct vkms_output *out)
{
	return out->crc_opened;
}

/* Called with out->lock held (drm_crtc_add_crc_entry). */
void vkms_crc_add(struct vkms_output *out, uint64_t frame, uint32_t crc)
{
	unsigned int next = (out->crc_head + 1) & (VKMS_CRC_ENTRIES - 1);
	uint64_t one = 1;

	if (!out->crc_opened)
		return;
	if (next == out->crc_tail) {
		out->crc_overflow = true; /* the reader is too slow */
		return;
	}
	out->crc[out->crc_head] = (struct vkms_crc_entry){frame, crc};
	if (!crc_count(out) &&
	    write(out->crc_eventfd, &one, sizeof(one)) != sizeof(one))
		return;
	out->crc_head = next;
	pthread_cond_broadcast(&out->cond);
}

static void crc_reset_locked(struct vkms_output *out)
{
	uint64_t v;

	out->crc_head = out->crc_tail = 0;
	out->crc_overflow = false;
	out->crc_opened = false;
	if (read(out->crc_eventfd, &v, sizeof(v)) < 0)
		v = 0; /* already clear */
}

/* ---- crc/control ---- */

static int crc_control_show(void *data, char *buf, size_t len)
{
	struct vkms_output *out = data;
	int n;

	pthread_mutex_lock(&out->lock);
	/* The one source vkms has, starred when selected. */
	n = snprintf(buf, len, "auto%s\n",
		     !strcmp(out->crc_source, "auto") ? "*" : "");
	pthread_mutex_unlock(&out->lock);
	return n;
}

static int crc_control_store(void *data, const char *buf, size_t len)
{
	struct vkms_output *out = data;
	char source[16];

	if (len == 0)
		return 0;
	if (len >= 4096)
		return -E2BIG;
	/* vkms_verify_crc_source(): "auto" only (NULL, "no source", is
	 * what closing data passes, never a written name; "" is refused). */
	if (len >= sizeof(source))
		return -EINVAL;
	memcpy(source, buf, len);
	source[len] = '\0';
	if (len && source[len - 1] == '\n')
		source[len - 1] = '\0';
	if (strcmp(source, "auto"))
		return -EINVAL;
	pthread_mutex_lock(&out->lock);
	if (out->crc_opened) {
		pthread_mutex_unlock(&out->lock);
		return -EBUSY;
	}
	snprintf(out->crc_source, sizeof(out->crc_source), "%s", source);
	pthread_mutex_unlock(&out->lock);
	return (int)len;
}

/* ---- crc/data ---- */

static int crc_data_open(void *data, int flags, void **priv)
{
	struct vkms_output *out = data;
	struct udrm_kms *kms = out->crtc.kms;
	bool active;

	pthread_mutex_lock(&kms->lock);
	active = out->crtc.state && out->crtc.state->active;
	pthread_mutex_unlock(&kms->lock);
	if (!active)
		return -EIO;
	pthread_mutex_lock(&out->lock);
	if (out->crc_opened) {
		pthread_mutex_unlock(&out->lock);
		return -EBUSY;
	}
	crc_reset_locked(out);
	out->crc_opened = true;
	/* Start from the next vblank: nothing composed before counts. */
	out->composed_seq = out->vblank_seq;
	pthread_mutex_unlock(&out->lock);
	return 0;
}

static ssize_t crc_data_read(void *data, void *priv, char *buf, size_t len,
			     bool nonblock)
{
	struct vkms_output *out = data;
	struct vkms_crc_entry e;
	uint64_t v;

	pthread_mutex_lock(&out->lock);
	if (!out->crc_source[0]) {
		pthread_mutex_unlock(&out->lock);
		return 0;
	}
	while (!crc_count(out)) {
		if (out->stop) { /* device going away */
			pthread_mutex_unlock(&out->lock);
			return 0;
		}
		if (nonblock) {
			pthread_mutex_unlock(&out->lock);
			return -EAGAIN;
		}
		pthread_cond_wait(&out->cond, &out->lock);
	}
	if (len < CRC_LINE_LEN) {
		pthread_mutex_unlock(&out->lock);
		return -EINVAL;
	}
	e = out->crc[out->crc_tail];
	out->crc_tail = (out->crc_tail + 1) & (VKMS_CRC_ENTRIES - 1);
	if (!crc_count(out) && read(out->crc_eventfd, &v, sizeof(v)) < 0)
		v = 0;
	pthread_mutex_unlock(&out->lock);
	snprintf(buf, len, "0x%08x 0x%08x\n", (uint32_t)e.frame, e.crc);
	buf[CRC_LINE_LEN - 1] = '\0';
	return CRC_LINE_LEN;
}

static int crc_data_poll_fd(void *data, void *priv)
{
	struct vkms_output *out = data;

	return out->crc_eventfd;
}

static void crc_data_release(void *data, void *priv)
{
	struct vkms_output *out = data;

	pthread_mutex_lock(&out->lock);
	crc_reset_locked(out);
	pthread_mutex_unlock(&out->lock);
}

int vkms_crc_register(struct vkms_output *out)
{
	struct udrm_device *dev = out->vkms->dev;
	char path[64];
	int ret;

	snprintf(out->crc_source, sizeof(out->crc_source), "auto");
	snprintf(path, sizeof(path), "%s/crc/control", out->crtc.name);
	ret = udrm_vfile_add_simple(dev, UDRM_VFILE_DEBUGFS, path, 0644,
				    crc_control_show, crc_control_store, out);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/crc/data", out->crtc.name);
	return udrm_vfile_add_stream(dev, UDRM_VFILE_DEBUGFS, path, 0444,
				     crc_data_open, crc_data_read,
				     crc_data_poll_fd, crc_data_release, out);
}
