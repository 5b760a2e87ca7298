/* SPDX-License-Identifier: MIT */
/*
 * struct udrm_device: one DRM device (one driver instance) with its nodes,
 * as the kernel's struct drm_device.
 *
 * Locking: @lock protects the master state, the file list, the flink name
 * table, every file's handle and PRIME tables and the GEM objects' handle
 * bookkeeping (see gem.h). It is the kernel's master_mutex, object_name_lock
 * and per-file table_lock in one, taken without other core locks held.
 * Lock order: udrm_devices_lock (device list, fork) -> dev->lock.
 */
#ifndef UDRM_CORE_DEVICE_H
#define UDRM_CORE_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "driver.h"
#include "idr.h"
#include "u64map.h"
#include "udrm/udrm.h"

struct udrm_master;
struct udrm_file;
struct udrm_shmem;
struct udrm_kms;

/* The mode_config facts GET_CAP reports; kms/ fills the rest later. */
struct udrm_mode_config {
	uint32_t preferred_depth;
	bool prefer_shadow;
	bool async_page_flip;
	bool fb_modifiers_not_supported;
	uint32_t cursor_width, cursor_height; /* 0 = 64 */
	uint32_t num_crtc;
	bool crtcs_support_flip_target;
};

struct udrm_device {
	const struct udrm_driver *driver;
	void *driver_private; /* owned by the driver */
	char *unique;	      /* bus id, "vkms" */
	int minor[3];	      /* by enum udrm_node_type; -1 if absent */
	unsigned int flags;   /* UDRM_DEVICE_* */
	struct udrm_mode_config mode_config;
	/* KMS objects and state (kms/kms.h); NULL unless the driver called
	 * udrm_kms_init() from load(). Freed by the core after unload(). */
	struct udrm_kms *kms;

	pthread_mutex_t lock;
	struct udrm_master *master; /* current master (a reference) or NULL */
	struct udrm_file *files;    /* list of open files (file->next) */

	/* GEM, under @lock */
	struct udrm_idr object_names; /* flink name -> object (a reference) */
	struct udrm_u64map mmap_offsets; /* fake offset page -> object */
	uint64_t next_mmap_page;
	struct udrm_u64map dmabufs; /* dma-buf inode -> object */
	struct udrm_shmem *arena;   /* where new objects are placed */
	/* memfd name of this device's dma-bufs: an export whose object is
	 * gone still imports as a native object, as in the kernel where the
	 * dma-buf keeps its object alive. */
	char dmabuf_name[64];
	/* Published sysfs/debugfs files (vfile.h), under @lock. */
	struct udrm_vfile *vfiles;

	struct udrm_device *next_device; /* udrm_devices list */
};

static inline bool udrm_core_check_feature(const struct udrm_device *dev,
					   uint32_t feature)
{
	return (dev->driver->features & feature) == feature;
}

/* Fork safety: called around fork() (registered with pthread_atfork). */
void udrm_devices_atfork_prepare(void);
void udrm_devices_atfork_parent(void);
void udrm_devices_atfork_child(void);

#endif
