// SPDX-License-Identifier: MIT
/* The list of built-in drivers: the one core file a new driver touches. */
#include <stddef.h>

#include "core/driver.h"

extern const struct udrm_driver vkms_driver;
extern const struct udrm_driver vgem_driver;
extern const struct udrm_driver simgpu_driver;

const struct udrm_driver *const udrm_builtin_drivers[] = {
	&vkms_driver,
	&vgem_driver,
	&simgpu_driver,
	NULL,
};
