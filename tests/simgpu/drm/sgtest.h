/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the simgpu DRM tests: programs run under `udrm run` that
 * drive /dev/dri/renderD128 (simgpu) with raw ioctls. Checks come from
 * the integration tests' itest.h (a failure prints what was expected and
 * exits 1). Command streams are built with the GPU's own encoder
 * (gpu/simgpu_cs.h).
 */
#ifndef UDRM_SGTEST_H
#define UDRM_SGTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#include "../../integration/itest.h"
#include "gpu/simgpu_cs.h"
#include "udrm/simgpu_drm.h"

/* 0 or -errno, retrying EINTR as drmIoctl does. */
static inline int sg_ioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

/* The render node of the simgpu device (the test configuration gives it
 * renderD128); fails the test if it is not simgpu. */
static inline int sg_open(void)
{
	int fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	drmVersionPtr v;

	CHECK(fd >= 0, "open renderD128: %s", strerror(errno));
	v = drmGetVersion(fd);
	CHECK(v && !strcmp(v->name, "simgpu"), "renderD128 is %s, not simgpu",
	      v ? v->name : "?");
	drmFreeVersion(v);
	return fd;
}

/* DEV_QUERY of @type into @out (@size bytes); fails the test on error. */
static inline void sg_dev_query(int fd, uint32_t type, void *out, uint32_t size)
{
	struct drm_simgpu_dev_query q = {
		.type = type,
		.size = size,
		.pointer = (uintptr_t)out,
	};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_DEV_QUERY, &q), 0,
		  "DEV_QUERY type %u", type);
}

static inline struct drm_simgpu_gpu_info sg_gpu_info(int fd)
{
	struct drm_simgpu_gpu_info info;

	sg_dev_query(fd, DRM_SIMGPU_DEV_QUERY_GPU_INFO, &info, sizeof(info));
	return info;
}

static inline struct drm_simgpu_fw_info sg_fw_info(int fd)
{
	struct drm_simgpu_fw_info info;

	sg_dev_query(fd, DRM_SIMGPU_DEV_QUERY_FW_INFO, &info, sizeof(info));
	return info;
}

/* A buffer of @size bytes with @flags; returns its handle. */
static inline uint32_t sg_bo_create(int fd, uint64_t size, uint32_t flags,
				    uint32_t exclusive_vm)
{
	struct drm_simgpu_bo_create c = {
		.size = size, .flags = flags, .exclusive_vm_id = exclusive_vm};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_CREATE, &c), 0,
		  "BO_CREATE %llu", (unsigned long long)size);
	return c.handle;
}

/* Maps a buffer for the CPU. */
static inline void *sg_bo_map(int fd, uint32_t handle, uint64_t size)
{
	struct drm_simgpu_bo_mmap_offset m = {.handle = handle};
	void *p;

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &m), 0,
		  "BO_MMAP_OFFSET");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)m.offset);
	CHECK(p != MAP_FAILED, "mmap BO: %s", strerror(errno));
	return p;
}

static inline void sg_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = {.handle = handle};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c), 0, "GEM_CLOSE");
}

static inline uint32_t sg_vm_create(int fd)
{
	struct drm_simgpu_vm_create c = {0};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c), 0, "VM_CREATE");
	return c.id;
}

static inline int sg_vm_bind_op(int fd, uint32_t vm, uint32_t flags,
				struct drm_simgpu_vm_bind_op *op)
{
	struct drm_simgpu_vm_bind b = {
		.vm_id = vm,
		.flags = flags,
		.ops = DRM_SIMGPU_OBJ_ARRAY(1, op),
	};

	return sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b);
}

/* Synchronous MAP of [offset, + size) of @bo at @va; 0 or -errno. */
static inline int sg_map(int fd, uint32_t vm, uint32_t bo, uint64_t offset,
			 uint64_t va, uint64_t size)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.bo_handle = bo,
		.bo_offset = offset,
		.va = va,
		.size = size,
	};

	return sg_vm_bind_op(fd, vm, 0, &op);
}

static inline int sg_unmap(int fd, uint32_t vm, uint64_t va, uint64_t size)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP,
		.va = va,
		.size = size,
	};

	return sg_vm_bind_op(fd, vm, 0, &op);
}

static inline uint32_t sg_queue_create(int fd, uint32_t vm, uint32_t priority)
{
	struct drm_simgpu_queue_create c = {.vm_id = vm, .priority = priority};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c), 0,
		  "QUEUE_CREATE");
	return c.handle;
}

static inline uint32_t sg_syncobj_create(int fd)
{
	uint32_t h;

	CHECK_RET(drmSyncobjCreate(fd, 0, &h), 0, "SYNCOBJ_CREATE");
	return h;
}

/* Submits [addr, + size) on @queue with @nsyncs sync ops; 0 or -errno. */
static inline int sg_submit(int fd, uint32_t queue, uint64_t addr,
			    uint64_t size, struct drm_simgpu_sync_op *syncs,
			    uint32_t nsyncs)
{
	struct drm_simgpu_submit s = {
		.queue = queue,
		.stream_addr = addr,
		.stream_size = size,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(nsyncs, syncs),
	};

	return sg_ioctl(fd, DRM_IOCTL_SIMGPU_SUBMIT, &s);
}

static inline struct drm_simgpu_sync_op sg_signal(uint32_t syncobj)
{
	return (struct drm_simgpu_sync_op){.flags = DRM_SIMGPU_SYNC_OP_SIGNAL,
					   .handle = syncobj};
}

static inline struct drm_simgpu_sync_op sg_wait(uint32_t syncobj)
{
	return (struct drm_simgpu_sync_op){.flags = DRM_SIMGPU_SYNC_OP_WAIT,
					   .handle = syncobj};
}

/* Waits up to @timeout_ms for @syncobj; 0 or -errno (-ETIME). */
static inline int sg_syncobj_wait(int fd, uint32_t syncobj, int timeout_ms)
{
	struct timespec ts;
	int64_t deadline;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
		   (int64_t)timeout_ms * 1000000;
	return drmSyncobjWait(fd, &syncobj, 1, deadline, 0, NULL) ? -errno : 0;
}

#endif
