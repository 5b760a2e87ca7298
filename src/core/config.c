// SPDX-License-Identifier: MIT
/* The device configuration file (format in udrm.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "udrm/udrm.h"

#define CONFIG_MAX_DEVICES 16
#define MINOR_AUTO	   (-2)

struct udrm_config {
	struct udrm_device_desc devices[CONFIG_MAX_DEVICES];
	char *strings[CONFIG_MAX_DEVICES][2]; /* driver, options (owned) */
	size_t count;
};

static void config_error(char *err, size_t errlen, unsigned int line,
			 const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !errlen)
		return;
	if (line)
		n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static const struct udrm_driver *config_driver(const char *name)
{
	size_t i;

	for (i = 0; udrm_builtin_drivers[i]; i++)
		if (!strcmp(udrm_builtin_drivers[i]->name, name))
			return udrm_builtin_drivers[i];
	return NULL;
}

static int parse_minor(const char *value, int *minor)
{
	char *end;
	long v;

	if (!strcmp(value, "auto")) {
		*minor = MINOR_AUTO;
		return 0;
	}
	if (!strcmp(value, "none")) {
		*minor = -1;
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || *end || end == value || v < 0 || v > 255)
		return -EINVAL;
	*minor = (int)v;
	return 0;
}

static int append_option(char **options, const char *key, const char *value)
{
	size_t old = *options ? strlen(*options) : 0;
	size_t add = strlen(key) + strlen(value) + 2;
	char *s = realloc(*options, old + add + 1);

	if (!s)
		return -ENOMEM;
	snprintf(s + old, add + 1, "%s=%s\n", key, value);
	*options = s;
	return 0;
}

/* Gives "auto" nodes the next free minor of their type, in file order. */
static int config_assign_minors(struct udrm_config *cfg, char *err,
				size_t errlen)
{
	int next[3] = {UDRM_MINOR_PRIMARY_BASE, 0, UDRM_MINOR_RENDER_BASE};
	const int type[2] = {UDRM_NODE_PRIMARY, UDRM_NODE_RENDER};
	size_t i, j;
	int t;

	for (t = 0; t < 2; t++) {
		for (i = 0; i < cfg->count; i++) {
			struct udrm_device_desc *d = &cfg->devices[i];
			int *minor = type[t] == UDRM_NODE_PRIMARY
					     ? &d->primary_minor
					     : &d->render_minor;

			if (*minor != MINOR_AUTO)
				continue;
			if (type[t] == UDRM_NODE_RENDER &&
			    !(config_driver(d->driver)->features &
			      UDRM_FEAT_RENDER)) {
				*minor = -1;
				continue;
			}
			for (;;) {
				bool used = false;

				for (j = 0; j < cfg->count; j++) {
					const struct udrm_device_desc *o =
						&cfg->devices[j];

					if ((type[t] == UDRM_NODE_PRIMARY
						     ? o->primary_minor
						     : o->render_minor) ==
					    next[type[t]])
						used = true;
				}
				if (!used)
					break;
				next[type[t]]++;
			}
			*minor = next[type[t]]++;
		}
	}
	for (i = 0; i < cfg->count; i++) {
		const struct udrm_device_desc *d = &cfg->devices[i];

		if ((d->primary_minor > 63) ||
		    (d->render_minor >= 0 &&
		     (d->render_minor < 128 || d->render_minor > 191))) {
			config_error(err, errlen, 0,
				     "device %zu (%s): minor out of range "
				     "(cards 0-63, render nodes 128-191)",
				     i + 1, d->driver);
			return -EINVAL;
		}
		if (d->primary_minor < 0 && d->render_minor < 0) {
			config_error(err, errlen, 0,
				     "device %zu (%s) has no node", i + 1,
				     d->driver);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct udrm_device_desc *o = &cfg->devices[j];

			if ((d->primary_minor >= 0 &&
			     d->primary_minor == o->primary_minor) ||
			    (d->render_minor >= 0 &&
			     d->render_minor == o->render_minor)) {
				config_error(err, errlen, 0,
					     "devices %zu and %zu use the same "
					     "minor",
					     j + 1, i + 1);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int udrm_config_parse(const char *text, struct udrm_config **out, char *err,
		      size_t errlen)
{
	struct udrm_config *cfg = calloc(1, sizeof(*cfg));
	char *copy = strdup(text ? text : "");
	struct udrm_device_desc *cur = NULL;
	unsigned int lineno = 0;
	char *line, *next;
	int ret = -EINVAL;

	if (!cfg || !copy) {
		ret = -ENOMEM;
		goto err;
	}
	for (line = copy; line; line = next) {
		char *key, *value, *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		line = trim(line);
		if (!*line)
			continue;
		if (*line == '[') {
			if (strcmp(line, "[device]")) {
				config_error(err, errlen, lineno,
					     "unknown section '%s' (expected "
					     "[device])",
					     line);
				goto err;
			}
			if (cfg->count == CONFIG_MAX_DEVICES) {
				config_error(err, errlen, lineno,
					     "too many devices (at most %d)",
					     CONFIG_MAX_DEVICES);
				goto err;
			}
			cur = &cfg->devices[cfg->count++];
			cur->primary_minor = MINOR_AUTO;
			cur->render_minor = MINOR_AUTO;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			config_error(err, errlen, lineno,
				     "expected 'key = value', got '%s'", line);
			goto err;
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if (!cur) {
			config_error(err, errlen, lineno,
				     "'%s' outside a [device] section", key);
			goto err;
		}
		if (!strcmp(key, "driver")) {
			if (!config_driver(value)) {
				config_error(err, errlen, lineno,
					     "unknown driver '%s'", value);
				goto err;
			}
			free(cfg->strings[cur - cfg->devices][0]);
			cfg->strings[cur - cfg->devices][0] = strdup(value);
			cur->driver = cfg->strings[cur - cfg->devices][0];
		} else if (!strcmp(key, "primary") || !strcmp(key, "render")) {
			int *minor = key[0] == 'p' ? &cur->primary_minor
						   : &cur->render_minor;

			if (parse_minor(value, minor)) {
				config_error(err, errlen, lineno,
					     "%s: expected auto, none or a "
					     "minor number, got '%s'",
					     key, value);
				goto err;
			}
		} else if (!strcmp(key, "privileged")) {
			if (!strcmp(value, "true"))
				cur->flags |= UDRM_DEVICE_PRIVILEGED;
			else if (!strcmp(value, "false"))
				cur->flags &= ~UDRM_DEVICE_PRIVILEGED;
			else {
				config_error(err, errlen, lineno,
					     "privileged: expected true or "
					     "false, got '%s'",
					     value);
				goto err;
			}
		} else {
			char **opts = &cfg->strings[cur - cfg->devices][1];

			if (!*key || append_option(opts, key, value)) {
				config_error(err, errlen, lineno,
					     "bad option '%s'", key);
				goto err;
			}
			cur->options = *opts;
		}
	}
	for (size_t i = 0; i < cfg->count; i++) {
		if (!cfg->devices[i].driver) {
			config_error(err, errlen, 0,
				     "device %zu has no 'driver ='", i + 1);
			goto err;
		}
	}
	if (!cfg->count) {
		config_error(err, errlen, 0, "no [device] section");
		goto err;
	}
	ret = config_assign_minors(cfg, err, errlen);
	if (ret)
		goto err;
	free(copy);
	*out = cfg;
	return 0;
err:
	free(copy);
	udrm_config_free(cfg);
	return ret;
}

int udrm_config_load(const char *path, struct udrm_config **out, char *err,
		     size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!path || !*path)
		return udrm_config_default(out);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		config_error(err, errlen, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	text = calloc(1, 1 << 20);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, (1 << 20) - 1, f);
	if (ferror(f) || !feof(f)) {
		config_error(err, errlen, 0, "unreadable or larger than 1 MiB");
		ret = -EINVAL;
	} else {
		text[len] = '\0';
		ret = udrm_config_parse(text, out, err, errlen);
	}
	fclose(f);
	free(text);
	return ret;
}

/* vkms on card0, vgem on card1 + renderD128, simgpu on card2 +
 * renderD129: simgpu comes last so that vgem keeps the nodes it had
 * before simgpu existed. */
int udrm_config_default(struct udrm_config **out)
{
	return udrm_config_parse("[device]\ndriver = vkms\n"
				 "[device]\ndriver = vgem\n"
				 "[device]\ndriver = simgpu\n",
				 out, NULL, 0);
}

size_t udrm_config_device_count(const struct udrm_config *cfg)
{
	return cfg->count;
}

const struct udrm_device_desc *udrm_config_device(const struct udrm_config *cfg,
						  size_t index)
{
	return index < cfg->count ? &cfg->devices[index] : NULL;
}

void udrm_config_free(struct udrm_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < CONFIG_MAX_DEVICES; i++) {
		free(cfg->strings[i][0]);
		free(cfg->strings[i][1]);
	}
	free(cfg);
}

int udrm_options_for_each(const char *options,
			  int (*fn)(void *ctx, const char *key,
				    const char *value),
			  void *ctx)
{
	const char *line = options, *end;
	char buf[UDRM_OPTION_LINE_MAX], *eq;
	size_t len;
	int ret;

	for (; line && *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		len = (size_t)(end - line);
		if (!len)
			continue;
		if (len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, line, len);
		buf[len] = '\0';
		eq = strchr(buf, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		ret = fn(ctx, buf, eq + 1);
		if (ret)
			return ret;
	}
	return 0;
}
