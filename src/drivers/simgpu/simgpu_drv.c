// SPDX-License-Identifier: MIT
/*
 * simgpu: the DRM driver of the simulated firmware-driven render GPU.
 * Device load and unload, options, per-file state, DEV_QUERY and the
 * ioctl table; the rest is in the modules listed in simgpu_drv.h.
 *
 * Options (the [device] section's other keys):
 *   vram_size = BYTES[K|M|G]     VRAM (default 64M)
 *   sysmem_size = BYTES[K|M|G]   the system-memory aperture (default 1G)
 *   cores = N                    execution cores, 1-16 (default 2)
 *   groups = N                   firmware group slots, 1-64 (default 8)
 *   queues_per_group = N         1-16 (default 4)
 *   firmware = NAME              firmware ABI version, "1.0" ... (newest)
 *   job_timeout_ms = N           a job's time limit, 1-3600000 (5000)
 *   heartbeat_ms = N             firmware ping period, 0 = off (1000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "core/gem.h"
#include "firmware/simgpu_fw.h"
#include "simgpu_drv.h"
#include "simgpu_gem.h"
#include "simgpu_queue.h"
#include "simgpu_sync.h"
#include "simgpu_vm.h"
#include "sync/dma_fence.h"

#define SIMGPU_TIMEOUT_MAX_MS 3600000u

/* A decimal count with an optional K/M/G suffix; -EINVAL otherwise. */
static int parse_size(const char *value, uint64_t *out)
{
	unsigned long long v;
	char *end;
	unsigned int shift = 0;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || end == value)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u32(const char *value, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	uint64_t v;

	if (parse_size(value, &v) || strpbrk(value, "KkMmGg") || v < min ||
	    v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int simgpu_option(void *ctx, const char *key, const char *value)
{
	struct simgpu_options *o = ctx;
	uint32_t n;

	if (!strcmp(key, "vram_size"))
		return parse_size(value, &o->hw.vram_size);
	if (!strcmp(key, "sysmem_size"))
		return parse_size(value, &o->hw.sysmem_size);
	if (!strcmp(key, "firmware"))
		return simgpu_fw_version_parse(value, &o->hw.fw_version);
	if (!strcmp(key, "job_timeout_ms"))
		return parse_u32(value, 1, SIMGPU_TIMEOUT_MAX_MS,
				 &o->job_timeout_ms);
	if (!strcmp(key, "heartbeat_ms"))
		return parse_u32(value, 0, SIMGPU_TIMEOUT_MAX_MS,
				 &o->heartbeat_ms);
	if (!strcmp(key, "cores")) {
		if (parse_u32(value, 1, SIMGPU_MAX_CORES, &n))
			return -EINVAL;
		o->hw.num_cores = n;
		return 0;
	}
	if (!strcmp(key, "groups")) {
		if (parse_u32(value, 1, SIMGPU_MAX_GROUPS, &n))
			return -EINVAL;
		o->hw.num_groups = n;
		return 0;
	}
	if (!strcmp(key, "queues_per_group")) {
		if (parse_u32(value, 1, SIMGPU_MAX_QUEUES, &n))
			return -EINVAL;
		o->hw.queues_per_group = n;
		return 0;
	}
	return -EINVAL;
}

/* The options with their defaults, then the configuration's. */
int simgpu_options_parse(const char *text, struct simgpu_options *o)
{
	memset(o, 0, sizeof(*o));
	simgpu_dev_config_default(&o->hw);
	o->job_timeout_ms = 5000;
	o->heartbeat_ms = 1000;
	return udrm_options_for_each(text, simgpu_option, o);
}

static int simgpu_load(struct udrm_device *dev, const char *options)
{
	struct simgpu_device *sdev;
	int ret;

	sdev = calloc(1, sizeof(*sdev));
	if (!sdev)
		return -ENOMEM;
	sdev->drm = dev;
	ret = simgpu_options_parse(options, &sdev->opts);
	if (ret)
		goto err_free;
	ret = simgpu_dev_create(&sdev->opts.hw, &sdev->hw);
	if (ret)
		goto err_free;
	simgpu_fwif_init(&sdev->fwif, sdev->hw);
	sdev->fence_names = udrm_fence_names_create("simgpu", "queue");
	if (!sdev->fence_names) {
		ret = -ENOMEM;
		goto err_hw;
	}
	dev->driver_private = sdev;
	ret = simgpu_mem_init(sdev);
	if (ret)
		goto err_names;
	ret = simgpu_sched_init(sdev);
	if (ret)
		goto err_mem;
	return 0;

err_mem:
	simgpu_mem_fini(sdev);
err_names:
	dev->driver_private = NULL;
	udrm_fence_names_put(sdev->fence_names);
err_hw:
	simgpu_fwif_fini(&sdev->fwif);
	simgpu_dev_destroy(sdev->hw);
err_free:
	free(sdev);
	return ret;
}

static void simgpu_unload(struct udrm_device *dev)
{
	struct simgpu_device *sdev = simgpu_device(dev);

	simgpu_sched_fini(sdev);
	simgpu_mem_fini(sdev);
	simgpu_fwif_fini(&sdev->fwif);
	simgpu_dev_destroy(sdev->hw);
	udrm_fence_names_put(sdev->fence_names);
	dev->driver_private = NULL;
	free(sdev);
}

static int simgpu_open(struct udrm_device *dev, struct udrm_file *file)
{
	struct simgpu_file *sfile = calloc(1, sizeof(*sfile));

	if (!sfile)
		return -ENOMEM;
	sfile->sdev = simgpu_device(dev);
	sfile->file = file;
	pthread_mutex_init(&sfile->lock, NULL);
	udrm_idr_init(&sfile->vms, 1);
	udrm_idr_init(&sfile->queues, 1);
	file->driver_private = sfile;
	return 0;
}

void *simgpu_file_take_next(struct simgpu_file *sfile, struct udrm_idr *table)
{
	uint32_t id = 0;
	void *ptr = NULL;

	pthread_mutex_lock(&sfile->lock);
	if (udrm_idr_next(table, &id, &ptr))
		udrm_idr_remove(table, id);
	else
		ptr = NULL;
	pthread_mutex_unlock(&sfile->lock);
	return ptr;
}

static void simgpu_postclose(struct udrm_device *dev, struct udrm_file *file)
{
	struct simgpu_file *sfile = simgpu_file(file);

	(void)dev;
	/* Queues first: they hold their VMs. */
	simgpu_queue_file_close(sfile);
	simgpu_vm_file_close(sfile);
	udrm_idr_destroy(&sfile->queues);
	udrm_idr_destroy(&sfile->vms);
	pthread_mutex_destroy(&sfile->lock);
	file->driver_private = NULL;
	free(sfile);
}

static void simgpu_gpu_info(struct simgpu_device *sdev,
			    struct drm_simgpu_gpu_info *info)
{
	memset(info, 0, sizeof(*info));
	info->gpu_id = DRM_SIMGPU_GPU_ID;
	info->num_cores = sdev->fwif.num_cores ? sdev->fwif.num_cores
					       : sdev->opts.hw.num_cores;
	info->vram_size = sdev->hw->vram_size;
	info->sysmem_size = sdev->opts.hw.sysmem_size;
	info->va_bits = 48;
	info->page_size = 4096;
	info->user_va_max = SIMGPU_USER_VA_MAX;
	info->queue_slots = sdev->fwif.num_groups;
	info->max_priority = DRM_SIMGPU_QUEUE_PRIORITY_HIGH;
}

static void simgpu_fw_info(struct simgpu_device *sdev,
			   struct drm_simgpu_fw_info *info)
{
	const char *name;
	uint32_t code;

	memset(info, 0, sizeof(*info));
	code = sdev->fwif.v ? sdev->fwif.v->code : sdev->opts.hw.fw_version;
	name = simgpu_fw_version_name(code);
	info->abi_version = code;
	info->ring_entry_size = sdev->fwif.ring_entry_size;
	info->features = sdev->fwif.features;
	snprintf(info->version_name, sizeof(info->version_name), "%s",
		 name ? name : "");
	info->num_groups = sdev->fwif.num_groups;
	info->queues_per_group = sdev->fwif.queues_per_group;
	info->reboots = atomic_load(&sdev->reboots);
}

static int simgpu_dev_query_ioctl(struct udrm_device *dev, void *data,
				  struct udrm_file *file)
{
	struct simgpu_device *sdev = simgpu_device(dev);
	struct drm_simgpu_dev_query *args = data;
	union {
		struct drm_simgpu_gpu_info gpu;
		struct drm_simgpu_fw_info fw;
	} info;
	uint32_t size;

	switch (args->type) {
	case DRM_SIMGPU_DEV_QUERY_GPU_INFO:
		size = sizeof(info.gpu);
		if (args->pointer)
			simgpu_gpu_info(sdev, &info.gpu);
		break;
	case DRM_SIMGPU_DEV_QUERY_FW_INFO:
		size = sizeof(info.fw);
		if (args->pointer)
			simgpu_fw_info(sdev, &info.fw);
		break;
	default:
		return -EINVAL;
	}
	if (!args->pointer) {
		args->size = size;
		return 0;
	}
	/* Both structs are in their first version: that is the minimum. */
	return simgpu_copy_uobj_to_user(file, args->pointer, args->size, size,
					&info, size);
}

#define SIMGPU_IOCTL(name, fn)                                                 \
	UDRM_IOCTL_DEF_DRV(DRM_IOCTL_SIMGPU_##name, fn, UDRM_IOCTL_RENDER_ALLOW)

static const struct udrm_ioctl_desc simgpu_ioctls[] = {
	SIMGPU_IOCTL(DEV_QUERY, simgpu_dev_query_ioctl),
	SIMGPU_IOCTL(BO_CREATE, simgpu_bo_create_ioctl),
	SIMGPU_IOCTL(BO_MMAP_OFFSET, simgpu_bo_mmap_offset_ioctl),
	SIMGPU_IOCTL(VM_CREATE, simgpu_vm_create_ioctl),
	SIMGPU_IOCTL(VM_DESTROY, simgpu_vm_destroy_ioctl),
	SIMGPU_IOCTL(VM_BIND, simgpu_vm_bind_ioctl),
	SIMGPU_IOCTL(VM_GET_STATE, simgpu_vm_get_state_ioctl),
	SIMGPU_IOCTL(QUEUE_CREATE, simgpu_queue_create_ioctl),
	SIMGPU_IOCTL(QUEUE_DESTROY, simgpu_queue_destroy_ioctl),
	SIMGPU_IOCTL(SUBMIT, simgpu_submit_ioctl),
	SIMGPU_IOCTL(QUEUE_GET_STATE, simgpu_queue_get_state_ioctl),
};

const struct udrm_driver simgpu_driver = {
	.name = "simgpu",
	.desc = "Simulated firmware-driven render GPU",
	.date = "20261124",
	.major = 1,
	.minor = 0,
	.patchlevel = 0,
	.features = UDRM_FEAT_GEM | UDRM_FEAT_RENDER | UDRM_FEAT_SYNCOBJ |
		    UDRM_FEAT_SYNCOBJ_TIMELINE,
	.ioctls = simgpu_ioctls,
	.num_ioctls = sizeof(simgpu_ioctls) / sizeof(simgpu_ioctls[0]),
	.load = simgpu_load,
	.unload = simgpu_unload,
	.open = simgpu_open,
	.postclose = simgpu_postclose,
};
