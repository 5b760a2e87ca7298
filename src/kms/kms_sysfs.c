// SPDX-License-Identifier: MIT
/*
 * The connectors' sysfs directories, as the kernel's drm_sysfs.c:
 * card<N>-<connector>/{status,enabled,dpms,modes,edid,connector_id}.
 * Writing "detect", "on", "on-digital" or "off" to status forces the
 * connector (hotplug, seen by the next GETCONNECTOR).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/device.h"
#include "core/vfile.h"
#include "kms.h"

static const char *const status_names[] = {
	[1] = "connected",
	[2] = "disconnected",
	[3] = "unknown",
};

const char *udrm_connector_status_name(uint32_t status)
{
	return status >= 1 && status <= 3 ? status_names[status] : "unknown";
}

static int status_show(void *data, char *buf, size_t len)
{
	struct udrm_connector *conn = data;
	uint32_t status;

	pthread_mutex_lock(&conn->kms->lock);
	status = conn->status;
	pthread_mutex_unlock(&conn->kms->lock);
	return snprintf(buf, len, "%s\n", udrm_connector_status_name(status));
}

/* status_store(): the kernel's forcing keywords, newline optional. */
static int status_store(void *data, const char *buf, size_t len)
{
	static const struct {
		const char *name;
		enum udrm_connector_force force;
	} words[] = {
		{"detect", UDRM_FORCE_UNSPECIFIED},
		{"on", UDRM_FORCE_ON},
		{"on-digital", UDRM_FORCE_ON_DIGITAL},
		{"off", UDRM_FORCE_OFF},
	};
	struct udrm_connector *conn = data;
	size_t n = len, i;
	int ret;

	if (n && buf[n - 1] == '\n')
		n--;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].name) == n &&
		    !memcmp(buf, words[i].name, n)) {
			ret = udrm_connector_force(conn, words[i].force);
			return ret ? ret : (int)len;
		}
	}
	return -EINVAL;
}

static int enabled_show(void *data, char *buf, size_t len)
{
	struct udrm_connector *conn = data;
	bool enabled;

	pthread_mutex_lock(&conn->kms->lock);
	enabled = conn->state && conn->state->crtc;
	pthread_mutex_unlock(&conn->kms->lock);
	return snprintf(buf, len, "%s\n", enabled ? "enabled" : "disabled");
}

/* The DPMS property's own enum names ("On" ... "Off"). */
static int dpms_show(void *data, char *buf, size_t len)
{
	struct udrm_connector *conn = data;
	const struct udrm_property *prop = conn->kms->prop.dpms;
	const char *name = "Off";
	uint32_t dpms, i;

	pthread_mutex_lock(&conn->kms->lock);
	dpms = conn->dpms;
	pthread_mutex_unlock(&conn->kms->lock);
	for (i = 0; i < prop->num_enums; i++)
		if (prop->enums[i].value == dpms)
			name = prop->enums[i].name;
	return snprintf(buf, len, "%s\n", name);
}

static int modes_show(void *data, char *buf, size_t len)
{
	struct udrm_connector *conn = data;
	size_t off = 0;
	uint32_t i;

	pthread_mutex_lock(&conn->kms->lock);
	for (i = 0; i < conn->num_modes && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s\n",
				 conn->modes[i].name);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&conn->kms->lock);
	return (int)(off < len ? off : len);
}

/* No connector of udrm has an EDID: the file exists and is empty. */
static int edid_show(void *data, char *buf, size_t len)
{
	return 0;
}

static int connector_id_show(void *data, char *buf, size_t len)
{
	struct udrm_connector *conn = data;

	return snprintf(buf, len, "%u\n", conn->base.id);
}

int udrm_kms_publish_files(struct udrm_kms *kms)
{
	static const struct {
		const char *name;
		unsigned int mode;
		int (*show)(void *data, char *buf, size_t len);
		int (*store)(void *data, const char *buf, size_t len);
	} attrs[] = {
		{"status", 0644, status_show, status_store},
		{"enabled", 0444, enabled_show, NULL},
		{"dpms", 0444, dpms_show, NULL},
		{"modes", 0444, modes_show, NULL},
		{"edid", 0444, edid_show, NULL},
		{"connector_id", 0444, connector_id_show, NULL},
	};
	int minor = kms->dev->minor[UDRM_NODE_PRIMARY];
	unsigned int c, a;
	char path[96];
	int ret;

	if (minor < 0)
		return 0;
	for (c = 0; c < kms->num_connector; c++) {
		struct udrm_connector *conn = kms->connectors[c];

		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			snprintf(path, sizeof(path), "card%d-%s/%s", minor,
				 conn->name, attrs[a].name);
			ret = udrm_vfile_add_simple(
				kms->dev, UDRM_VFILE_SYSFS, path, attrs[a].mode,
				attrs[a].show, attrs[a].store, conn);
			if (ret)
				return ret;
		}
	}
	return 0;
}
