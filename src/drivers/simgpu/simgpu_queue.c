// SPDX-License-Identifier: MIT
/* simgpu queues (see simgpu_queue.h). Placeholder until implemented. */
#include "simgpu_queue.h"

#include <errno.h>

#include "simgpu_drv.h"

int simgpu_sched_init(struct simgpu_device *sdev)
{
	return simgpu_fwif_boot(&sdev->fwif, 0, 5000);
}

void simgpu_sched_fini(struct simgpu_device *sdev)
{
	(void)sdev;
}

void simgpu_queue_file_close(struct simgpu_file *sfile)
{
	(void)sfile;
}

int simgpu_queue_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_queue_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_submit_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}

int simgpu_queue_get_state_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	(void)dev, (void)data, (void)file;
	return -ENOSYS;
}
