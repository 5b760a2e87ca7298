// SPDX-License-Identifier: MIT
/* The vkms topology from the device's options (format in vkms_config.h). */
#include "vkms_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "kms/kms.h"

static int config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "0 1 3" -> bits; -EINVAL for anything but indices below @limit. */
static int parse_index_list(const char *s, unsigned int limit, uint32_t *mask)
{
	char *end;

	*mask = 0;
	while (*s) {
		unsigned long v;

		if (*s == ' ' || *s == ',' || *s == '\t') {
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v >= limit)
			return -EINVAL;
		*mask |= 1u << v;
		s = end;
	}
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	uint32_t value;
} plane_types[] = {
	{"primary", DRM_PLANE_TYPE_PRIMARY},
	{"cursor", DRM_PLANE_TYPE_CURSOR},
	{"overlay", DRM_PLANE_TYPE_OVERLAY},
};

/* "word rest": splits off the first word into @word. */
static const char *split_word(const char *s, char *word, size_t len)
{
	size_t n = strcspn(s, " \t");

	if (n >= len)
		n = len - 1;
	memcpy(word, s, n);
	word[n] = '\0';
	s += strcspn(s, " \t");
	return s + strspn(s, " \t");
}

struct default_knobs {
	bool cursor, writeback, explicit_topology, fbdev;
	unsigned int overlays;
};

static void config_default(struct vkms_config *cfg,
			   const struct default_knobs *k)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_crtcs = 1;
	cfg->planes[cfg->num_planes++] =
		(struct vkms_config_plane){DRM_PLANE_TYPE_PRIMARY, 1};
	if (k->cursor)
		cfg->planes[cfg->num_planes++] =
			(struct vkms_config_plane){DRM_PLANE_TYPE_CURSOR, 1};
	for (i = 0; i < k->overlays; i++)
		cfg->planes[cfg->num_planes++] =
			(struct vkms_config_plane){DRM_PLANE_TYPE_OVERLAY, 1};
	cfg->encoders[cfg->num_encoders++] = 1;
	cfg->connectors[cfg->num_connectors++] =
		(struct vkms_config_connector){1, 1};
	cfg->writeback_crtcs = k->writeback ? 1 : 0;
}

static int parse_line(struct vkms_config *cfg, struct default_knobs *k,
		      const char *key, const char *value, char *err,
		      size_t errlen)
{
	char word[32];
	const char *rest;
	uint32_t mask;
	unsigned int i;
	bool b;

	if (!strcmp(key, "crtcs")) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);

		if (!*value || *end || n < 1 || n > VKMS_MAX_CRTCS)
			return config_fail(err, errlen,
					   "crtcs = %s: expected 1 to %d",
					   value, VKMS_MAX_CRTCS);
		cfg->num_crtcs = (unsigned int)n;
		k->explicit_topology = true;
		return 0;
	}
	if (!strcmp(key, "plane")) {
		rest = split_word(value, word, sizeof(word));
		for (i = 0; i < 3; i++)
			if (!strcmp(word, plane_types[i].name))
				break;
		if (i == 3)
			return config_fail(err, errlen,
					   "plane = %s: type must be primary, "
					   "cursor or overlay",
					   value);
		if (parse_index_list(rest, VKMS_MAX_CRTCS, &mask))
			return config_fail(err, errlen,
					   "plane = %s: expected CRTC indices "
					   "after the type",
					   value);
		if (cfg->num_planes == VKMS_MAX_PLANES)
			return config_fail(err, errlen, "more than %d planes",
					   VKMS_MAX_PLANES);
		cfg->planes[cfg->num_planes++] =
			(struct vkms_config_plane){plane_types[i].value, mask};
		k->explicit_topology = true;
		return 0;
	}
	if (!strcmp(key, "encoder")) {
		if (parse_index_list(value, VKMS_MAX_CRTCS, &mask))
			return config_fail(
				err, errlen,
				"encoder = %s: expected CRTC indices", value);
		if (cfg->num_encoders == VKMS_MAX_ENCODERS)
			return config_fail(err, errlen, "more than %d encoders",
					   VKMS_MAX_ENCODERS);
		cfg->encoders[cfg->num_encoders++] = mask;
		k->explicit_topology = true;
		return 0;
	}
	if (!strcmp(key, "connector")) {
		rest = split_word(value, word, sizeof(word));
		for (i = 1; i <= 3; i++)
			if (!strcmp(word, udrm_connector_status_name(i)))
				break;
		if (i > 3)
			return config_fail(err, errlen,
					   "connector = %s: status must be "
					   "connected, disconnected or unknown",
					   value);
		if (parse_index_list(rest, VKMS_MAX_ENCODERS, &mask))
			return config_fail(err, errlen,
					   "connector = %s: expected encoder "
					   "indices after the status",
					   value);
		if (cfg->num_connectors == VKMS_MAX_CONNECTORS)
			return config_fail(err, errlen,
					   "more than %d connectors",
					   VKMS_MAX_CONNECTORS);
		cfg->connectors[cfg->num_connectors++] =
			(struct vkms_config_connector){i, mask};
		k->explicit_topology = true;
		return 0;
	}
	if (!strcmp(key, "writeback")) {
		if (parse_index_list(value, VKMS_MAX_CRTCS, &mask) || !mask)
			return config_fail(err, errlen,
					   "writeback = %s: expected CRTC "
					   "indices",
					   value);
		cfg->writeback_crtcs |= mask;
		k->explicit_topology = true;
		return 0;
	}
	if (!strcmp(key, "enable_cursor") || !strcmp(key, "enable_writeback") ||
	    !strcmp(key, "enable_overlay")) {
		if (parse_bool(value, &b))
			return config_fail(err, errlen,
					   "%s = %s: expected true or false",
					   key, value);
		if (key[7] == 'c')
			k->cursor = b;
		else if (key[7] == 'w')
			k->writeback = b;
		else
			k->overlays = b ? 1 : 0;
		return 0;
	}
	if (!strcmp(key, "fbdev")) {
		if (parse_bool(value, &b))
			return config_fail(err, errlen,
					   "fbdev = %s: expected true or false",
					   value);
		k->fbdev = b;
		return 0;
	}
	if (!strcmp(key, "overlay_planes")) {
		char *end;
		unsigned long n = strtoul(value, &end, 10);

		if (!*value || *end || n > VKMS_MAX_OVERLAYS)
			return config_fail(err, errlen,
					   "overlay_planes = %s: expected 0 to "
					   "%d",
					   value, VKMS_MAX_OVERLAYS);
		k->overlays = (unsigned int)n;
		return 0;
	}
	return config_fail(err, errlen, "unknown vkms option '%s'", key);
}

struct parse_ctx {
	struct vkms_config *cfg;
	struct default_knobs *knobs;
	char *err;
	size_t errlen;
};

static int parse_option(void *ctx, const char *key, const char *value)
{
	struct parse_ctx *p = ctx;

	return parse_line(p->cfg, p->knobs, key, value, p->err, p->errlen);
}

int vkms_config_parse(const char *options, struct vkms_config *cfg, char *err,
		      size_t errlen)
{
	struct default_knobs k = {
		.cursor = true, .writeback = true, .overlays = 1};
	struct vkms_config parsed;
	struct parse_ctx ctx = {&parsed, &k, err, errlen};
	int ret;

	memset(&parsed, 0, sizeof(parsed));
	if (err && errlen)
		err[0] = '\0';
	ret = udrm_options_for_each(options, parse_option, &ctx);
	if (ret) {
		if (err && errlen && !err[0])
			config_fail(err, errlen,
				    "bad option line (key=value, at most %d "
				    "bytes)",
				    UDRM_OPTION_LINE_MAX - 1);
		return ret;
	}
	if (!k.explicit_topology) {
		config_default(cfg, &k);
		cfg->fbdev = k.fbdev;
		return 0;
	}
	parsed.fbdev = k.fbdev;
	if (!parsed.num_crtcs)
		parsed.num_crtcs = 1;
	ret = vkms_config_validate(&parsed, err, errlen);
	if (ret)
		return ret;
	*cfg = parsed;
	return 0;
}

int vkms_config_validate(const struct vkms_config *cfg, char *err,
			 size_t errlen)
{
	uint32_t all_crtcs, reachable = 0, all_encoders;
	unsigned int c, i;

	if (cfg->num_crtcs < 1 || cfg->num_crtcs > VKMS_MAX_CRTCS)
		return config_fail(err, errlen, "need 1 to %d CRTCs",
				   VKMS_MAX_CRTCS);
	all_crtcs = cfg->num_crtcs == 32 ? ~0u : (1u << cfg->num_crtcs) - 1;
	if (!cfg->num_encoders)
		return config_fail(err, errlen, "need at least one encoder");
	if (!cfg->num_connectors)
		return config_fail(err, errlen, "need at least one connector");
	all_encoders =
		cfg->num_encoders == 32 ? ~0u : (1u << cfg->num_encoders) - 1;
	for (i = 0; i < cfg->num_planes; i++) {
		if (!cfg->planes[i].possible_crtcs)
			return config_fail(err, errlen,
					   "plane %u has no possible CRTC", i);
		if (cfg->planes[i].possible_crtcs & ~all_crtcs)
			return config_fail(
				err, errlen,
				"plane %u: CRTC index past crtcs = %u", i,
				cfg->num_crtcs);
	}
	for (c = 0; c < cfg->num_crtcs; c++) {
		unsigned int primary = 0, cursor = 0;

		/* As configfs: a plane of one type per CRTC it may use. */
		for (i = 0; i < cfg->num_planes; i++) {
			if (!(cfg->planes[i].possible_crtcs & (1u << c)))
				continue;
			if (cfg->planes[i].type == DRM_PLANE_TYPE_PRIMARY)
				primary++;
			else if (cfg->planes[i].type == DRM_PLANE_TYPE_CURSOR)
				cursor++;
		}
		if (primary != 1)
			return config_fail(err, errlen,
					   "CRTC %u has %u primary planes, "
					   "needs exactly one",
					   c, primary);
		if (cursor > 1)
			return config_fail(err, errlen,
					   "CRTC %u has %u cursor planes, at "
					   "most one allowed",
					   c, cursor);
	}
	for (i = 0; i < cfg->num_encoders; i++) {
		if (!cfg->encoders[i])
			return config_fail(err, errlen,
					   "encoder %u has no possible CRTC",
					   i);
		if (cfg->encoders[i] & ~all_crtcs)
			return config_fail(err, errlen,
					   "encoder %u: CRTC index past crtcs "
					   "= %u",
					   i, cfg->num_crtcs);
		reachable |= cfg->encoders[i];
	}
	if (reachable != all_crtcs)
		return config_fail(err, errlen,
				   "every CRTC needs an encoder that can use "
				   "it");
	for (i = 0; i < cfg->num_connectors; i++) {
		if (!cfg->connectors[i].possible_encoders)
			return config_fail(err, errlen,
					   "connector %u has no possible "
					   "encoder",
					   i);
		if (cfg->connectors[i].possible_encoders & ~all_encoders)
			return config_fail(err, errlen,
					   "connector %u: encoder index past "
					   "the %u encoders",
					   i, cfg->num_encoders);
	}
	if (cfg->writeback_crtcs & ~all_crtcs)
		return config_fail(err, errlen,
				   "writeback on a CRTC that does not exist");
	return 0;
}
