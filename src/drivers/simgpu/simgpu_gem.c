// SPDX-License-Identifier: MIT
/* simgpu buffers (see simgpu_gem.h). Placeholder until implemented. */
#include "simgpu_gem.h"

#include <errno.h>

#include "simgpu_drv.h"

bool simgpu_gem_is_simgpu_bo(const struct udrm_gem_object *obj)
{
	(void)obj;
	return false;
}

int simgpu_mem_init(struct simgpu_device *sdev)
{
	(void)sdev;
	return 0;
}

void simgpu_mem_fini(struct simgpu_device *sdev)
{
	(void)sdev;
}

int simgpu_gem_make_resident(struct simgpu_device *sdev,
			     struct udrm_gem_object *obj, uint64_t *pa)
{
	(void)sdev, (void)obj, (void)pa;
	return -ENOSYS;
}

void simgpu_gem_touch(struct simgpu_device *sdev, struct udrm_gem_object *obj)
{
	(void)sdev, (void)obj;
}

int simgpu_bo_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_bo_mmap_offset_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}
