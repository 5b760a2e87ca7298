// SPDX-License-Identifier: MIT
/* simgpu VMs (see simgpu_vm.h). Placeholder until implemented. */
#include "simgpu_vm.h"

#include <errno.h>

#include "simgpu_drv.h"

void simgpu_vm_file_close(struct simgpu_file *sfile)
{
	(void)sfile;
}

int simgpu_vm_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_vm_destroy_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_vm_bind_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_vm_get_state_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}
