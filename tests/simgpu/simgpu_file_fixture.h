/* SPDX-License-Identifier: MIT */
/*
 * The cmocka fixture of the white-box simgpu DRM tests (test_simgpu_mem,
 * test_simgpu_queue): a simgpu device made through the embedding API with
 * driver options, a render file on it, and the driver's device.
 */
#ifndef SIMGPU_FILE_FIXTURE_H
#define SIMGPU_FILE_FIXTURE_H

#include <fcntl.h>
#include <stdlib.h>

#include "simgpu_drv.h"
#include "udrm/udrm.h"

struct t {
	struct udrm_device *dev;
	struct udrm_file *file;
	struct simgpu_device *sdev;
};

/* A group setup: the device with @options ("key=value\n" lines). */
static inline int setup_opts(void **state, const char *options)
{
	struct udrm_device_desc desc = {
		.driver = "simgpu",
		.primary_minor = -1,
		.render_minor = 128,
		.options = options,
	};
	struct t *t = calloc(1, sizeof(*t));

	if (!t || udrm_device_create(&desc, &t->dev))
		return -1;
	if (udrm_file_open(t->dev, UDRM_NODE_RENDER, O_RDWR, &t->file))
		return -1;
	t->sdev = simgpu_device(t->dev);
	*state = t;
	return 0;
}

static inline int teardown(void **state)
{
	struct t *t = *state;

	udrm_file_close(t->file);
	udrm_device_destroy(t->dev);
	free(t);
	return 0;
}

#endif
