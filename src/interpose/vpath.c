// SPDX-License-Identifier: MIT
/* Virtual path classification and mapping; see vpath.h. */
#include "vpath.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Whether @path[0..len) is @prefix or starts with "@prefix/". */
static bool vpath_has_prefix(const char *path, size_t len, const char *prefix,
			     size_t plen)
{
	return len >= plen && !memcmp(path, prefix, plen) &&
	       (len == plen || path[plen] == '/');
}

#define PREFIX(s) s, sizeof(s) - 1

enum vpath_region vpath_classify(const struct vpath_ctx *ctx, const char *path,
				 size_t len, size_t *root_len)
{
	static const char devchar[] = "/sys/dev/char/226:";
	static const char platform[] = "/sys/devices/platform/";
	size_t i, n;

	if (vpath_has_prefix(path, len, PREFIX("/dev/dri"))) {
		*root_len = sizeof("/dev/dri") - 1;
		return VPATH_DEV_DRI;
	}
	if (len < 5 || memcmp(path, "/sys/", 5))
		return VPATH_NONE;
	if (vpath_has_prefix(path, len, PREFIX("/sys/class/drm"))) {
		*root_len = sizeof("/sys/class/drm") - 1;
		return VPATH_CLASS_DRM;
	}
	if (vpath_has_prefix(path, len, PREFIX("/sys/kernel/debug"))) {
		*root_len = sizeof("/sys/kernel/debug") - 1;
		return VPATH_DEBUGFS;
	}
	n = sizeof(devchar) - 1;
	if (len > n && !memcmp(path, devchar, n)) {
		for (i = n; i < len && path[i] >= '0' && path[i] <= '9'; i++)
			;
		if (i > n && (i == len || path[i] == '/')) {
			*root_len = i;
			return VPATH_DEV_CHAR;
		}
		return VPATH_NONE;
	}
	n = sizeof(platform) - 1;
	if (ctx && len > n && !memcmp(path, platform, n)) {
		for (i = 0; i < ctx->nplatform; i++) {
			size_t nlen = strlen(ctx->platform[i]);

			if (nlen && vpath_has_prefix(path + n, len - n,
						     ctx->platform[i], nlen)) {
				*root_len = n + nlen;
				return VPATH_PLATFORM;
			}
		}
	}
	return VPATH_NONE;
}

bool vpath_maybe_virtual(const char *path)
{
	if (!path || path[0] != '/')
		return false;
	/* Allow "//dev" and "/./dev"; the exact test follows. */
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path++;
	return path[0] == 'd' || path[0] == 's' || path[0] == '.';
}

bool vpath_needs_devices(const char *path)
{
	return strstr(path, "devices") != NULL;
}

/* Appends @n bytes to @out at *pos; false if it does not fit (with a NUL). */
static bool vpath_put(char *out, size_t outlen, size_t *pos, const char *s,
		      size_t n)
{
	if (*pos + n + 1 > outlen)
		return false;
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
	return true;
}

int vpath_map(const struct vpath_ctx *ctx, const char *path, char *out,
	      size_t outlen)
{
	char clean[PATH_MAX];
	size_t len = 0, root_len = 0, pos = 0;
	const char *p = path, *tail = NULL;
	enum vpath_region region;
	bool left_region = false;

	if (!path || path[0] != '/')
		return VPATH_NONE;
	clean[0] = '\0';
	while (*p) {
		const char *comp;
		size_t clen;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		while (*p && *p != '/')
			p++;
		clen = (size_t)(p - comp);
		if (clen == 1 && comp[0] == '.')
			continue;
		if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
			region = vpath_classify(ctx, clean, len, &root_len);
			if (region != VPATH_NONE &&
			    (len > root_len || region == VPATH_DEV_CHAR)) {
				/* Physical "..": the kernel resolves it. */
				tail = comp - 1;
				break;
			}
			if (region != VPATH_NONE)
				left_region = true;
			while (len > 0 && clean[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			clean[len] = '\0';
			continue;
		}
		if (len + 1 + clen + 1 > sizeof(clean))
			return -ENAMETOOLONG;
		clean[len++] = '/';
		memcpy(clean + len, comp, clen);
		len += clen;
		clean[len] = '\0';
	}
	region = vpath_classify(ctx, clean, len, &root_len);
	if (region == VPATH_NONE) {
		if (!left_region)
			return VPATH_NONE;
		if (!len)
			clean[len++] = '/';
		if (!vpath_put(out, outlen, &pos, clean, len))
			return -ENAMETOOLONG;
		return VPATH_HOST;
	}
	if (!vpath_put(out, outlen, &pos, ctx->root, ctx->root_len) ||
	    !vpath_put(out, outlen, &pos, clean, len))
		return -ENAMETOOLONG;
	if (tail) {
		if (!vpath_put(out, outlen, &pos, tail, strlen(tail)))
			return -ENAMETOOLONG;
	} else if (p > path && p[-1] == '/' && path[1] != '\0') {
		/* A trailing slash still asks for a directory. */
		if (!vpath_put(out, outlen, &pos, "/", 1))
			return -ENAMETOOLONG;
	}
	return region;
}

int vpath_unmap(const struct vpath_ctx *ctx, const char *path, char *out,
		size_t outlen)
{
	const char *rest;
	size_t n;

	if (!ctx->root_len || strncmp(path, ctx->root, ctx->root_len))
		return 0;
	rest = path + ctx->root_len;
	if (*rest != '/' && *rest != '\0')
		return 0;
	if (!*rest)
		rest = "/";
	n = strlen(rest);
	if (n + 1 > outlen)
		return -ENAMETOOLONG;
	memcpy(out, rest, n + 1);
	return 1;
}

/* Parses a decimal number at *p (no sign, no leading junk). */
static long vpath_number(const char **p)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
		s++;
	}
	*p = s;
	return v;
}

int vpath_proc_fd(const char *path, int pid)
{
	const char *p;
	long n;

	if (!path || strncmp(path, "/proc/", 6))
		return -1;
	p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else if (!strncmp(p, "thread-self/", 12)) {
		p += 12;
	} else {
		n = vpath_number(&p);
		if (n < 0 || n != pid || *p != '/')
			return -1;
		p++;
	}
	if (strncmp(p, "fd/", 3))
		return -1;
	p += 3;
	n = vpath_number(&p);
	if (n < 0 || *p)
		return -1;
	return (int)n;
}
