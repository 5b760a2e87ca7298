// SPDX-License-Identifier: MIT
/* drmGetVersion, drmGetCap and drmSetClientCap on the default devices. */
#include "itest.h"

static void check_version(int fd, const char *node, const char *name,
			  const char *desc)
{
	drmVersionPtr v = drmGetVersion(fd);

	CHECK(v, "drmGetVersion(%s) failed: %s", node, strerror(errno));
	CHECK(!strcmp(v->name, name) && v->name_len == (int)strlen(name),
	      "%s: expected driver \"%s\", got \"%s\"", node, name, v->name);
	CHECK(!strcmp(v->desc, desc),
	      "%s: expected desc \"%s\", got \"%s\"", node, desc, v->desc);
	CHECK(v->version_major == 1 && v->version_minor == 0,
	      "%s: expected version 1.0, got %d.%d", node, v->version_major,
	      v->version_minor);
	drmFreeVersion(v);
}

int main(void)
{
	int card0 = itest_open("/dev/dri/card0", O_RDWR);
	int render = itest_open("/dev/dri/renderD128", O_RDWR);
	uint64_t value = 0;

	check_version(card0, "card0", "vkms", "Virtual Kernel Mode Setting");
	check_version(render, "renderD128", "vgem", "Virtual GEM provider");

	CHECK_ERRNO(drmGetCap(card0, DRM_CAP_DUMB_BUFFER, &value), 0,
		    "drmGetCap(card0, DUMB_BUFFER)");
	CHECK(value == 1, "card0 DUMB_BUFFER: expected 1, got %llu",
	      (unsigned long long)value);
	CHECK_ERRNO(drmGetCap(card0, DRM_CAP_PRIME, &value), 0,
		    "drmGetCap(card0, PRIME)");
	CHECK(value == (DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT),
	      "card0 PRIME: expected 3, got %llu", (unsigned long long)value);
	CHECK_ERRNO(drmGetCap(render, DRM_CAP_PRIME, &value), 0,
		    "drmGetCap(renderD128, PRIME)");
	CHECK(value == 3, "renderD128 PRIME: expected 3, got %llu",
	      (unsigned long long)value);
	CHECK_ERRNO(drmGetCap(render, DRM_CAP_TIMESTAMP_MONOTONIC, &value), 0,
		    "drmGetCap(renderD128, TIMESTAMP_MONOTONIC)");
	CHECK(value == 1, "TIMESTAMP_MONOTONIC: expected 1");
	CHECK_ERRNO(drmGetCap(render, DRM_CAP_DUMB_BUFFER, &value), EOPNOTSUPP,
		    "drmGetCap(renderD128, DUMB_BUFFER) on a non-KMS driver");
	CHECK_ERRNO(drmGetCap(card0, 0x7fff, &value), EINVAL,
		    "drmGetCap(card0, unknown capability)");

	CHECK_ERRNO(drmSetClientCap(card0, DRM_CLIENT_CAP_ATOMIC, 1), 0,
		    "drmSetClientCap(card0, ATOMIC, 1)");
	CHECK_ERRNO(drmSetClientCap(card0, DRM_CLIENT_CAP_STEREO_3D, 2),
		    EINVAL, "drmSetClientCap(card0, STEREO_3D, 2)");

	/* libdrm's drmIsMaster() is AUTH_MAGIC(0): -EINVAL for a master. */
	CHECK(drmIsMaster(card0), "the first opener of card0 must be master");
	CHECK(!drmIsMaster(render), "a render node file is never master");

	close(render);
	close(card0);
	return 0;
}
