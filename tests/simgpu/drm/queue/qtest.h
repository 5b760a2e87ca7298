/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the queue tests: a VM with one buffer mapped at a known VA
 * (streams and data side by side), streams built in place, submits and
 * waits on syncobjs, fence status through a sync_file.
 */
#ifndef UDRM_QTEST_H
#define UDRM_QTEST_H

#include <linux/sync_file.h>
#include <stdbool.h>

#include "sgtest.h"

#define QT_VA 0x100000ull /* where the buffer is mapped */

/* A VM with a buffer of @size bytes mapped at QT_VA, and its CPU map. */
struct qt_vm {
	int fd;
	uint32_t vm, bo;
	uint64_t size;
	uint8_t *cpu;
	uint64_t stream_top; /* streams are carved from offset 0 upwards */
};

static inline void qt_vm_init(struct qt_vm *v, int fd, uint64_t size)
{
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->size = size;
	v->vm = sg_vm_create(fd);
	v->bo = sg_bo_create(fd, size, 0, 0);
	CHECK_RET(sg_map(fd, v->vm, v->bo, 0, QT_VA, size), 0,
		  "VM_BIND MAP %llu bytes at 0x%llx", (unsigned long long)size,
		  (unsigned long long)QT_VA);
	v->cpu = sg_bo_map(fd, v->bo, size);
}

static inline void qt_vm_fini(struct qt_vm *v)
{
	munmap(v->cpu, v->size);
	sg_gem_close(v->fd, v->bo);
}

/* CPU pointer / GPU VA of offset @off of the buffer. */
static inline void *qt_cpu(struct qt_vm *v, uint64_t off)
{
	return v->cpu + off;
}

static inline uint64_t qt_va(uint64_t off)
{
	return QT_VA + off;
}

/* A stream under construction, carved from the buffer. */
struct qt_stream {
	struct simgpu_cs_builder b;
	uint64_t va;
};

static inline void qt_stream_begin(struct qt_vm *v, struct qt_stream *s,
				   size_t max_words)
{
	uint64_t off = v->stream_top;

	CHECK(off + max_words * 4 <= v->size / 2,
	      "streams fit in the buffer's first half");
	simgpu_cs_builder_init(&s->b, (uint32_t *)qt_cpu(v, off), max_words);
	s->va = qt_va(off);
}

/* Ends the stream; gives its size in bytes (a multiple of 8: a NOP pads). */
static inline uint64_t qt_stream_end(struct qt_vm *v, struct qt_stream *s)
{
	if (s->b.len % 2)
		simgpu_cs_nop(&s->b);
	CHECK(!s->b.overflow, "stream fits its %zu words", s->b.cap);
	v->stream_top += (s->b.len * 4 + 63) & ~63ull;
	return s->b.len * 4;
}

/* Submits stream @s on @queue signalling @out (0: none), waiting on
 * @in (0: none); 0 or -errno. */
static inline int qt_submit(struct qt_vm *v, uint32_t queue, uint64_t va,
			    uint64_t size, uint32_t in, uint32_t out)
{
	struct drm_simgpu_sync_op ops[2];
	uint32_t n = 0;

	if (in)
		ops[n++] = sg_wait(in);
	if (out)
		ops[n++] = sg_signal(out);
	return sg_submit(v->fd, queue, va, size, ops, n);
}

/* The fence status of a binary syncobj: 1 signalled, 0 pending, -errno
 * for an error, read from a sync_file as the kernel reports it. */
static inline int qt_syncobj_status(int fd, uint32_t syncobj)
{
	struct sync_file_info info = {0};
	int sync_fd = -1, ret;

	CHECK_RET(drmSyncobjExportSyncFile(fd, syncobj, &sync_fd), 0,
		  "SYNCOBJ_HANDLE_TO_FD (sync_file)");
	ret = ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info);
	CHECK(ret == 0, "SYNC_IOC_FILE_INFO: %s", strerror(errno));
	close(sync_fd);
	return info.status;
}

static inline struct drm_simgpu_queue_get_state qt_queue_state(int fd,
							       uint32_t q)
{
	struct drm_simgpu_queue_get_state st = {.handle = q};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &st), 0,
		  "QUEUE_GET_STATE %u", q);
	return st;
}

static inline uint64_t qt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* qt_vm_init() with a buffer of @bo_flags: DRM_SIMGPU_BO_SYSTEM gives one
 * the GPU reaches through the aperture, which never takes VRAM nor moves
 * (for tests that fill VRAM). */
static inline void qt_vm_init_placed(struct qt_vm *v, int fd, uint64_t size,
				     uint32_t bo_flags)
{
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->size = size;
	v->vm = sg_vm_create(fd);
	v->bo = sg_bo_create(fd, size, bo_flags, 0);
	CHECK_RET(sg_map(fd, v->vm, v->bo, 0, QT_VA, size), 0,
		  "VM_BIND MAP %llu bytes at 0x%llx", (unsigned long long)size,
		  (unsigned long long)QT_VA);
	v->cpu = sg_bo_map(fd, v->bo, size);
}

/* What SYNC_IOC_FILE_INFO says of the sync_file @sync_fd: its status (1
 * signalled, 0 pending, -errno), and in *@signalled_ns (if not NULL) the
 * CLOCK_MONOTONIC time its last fence signalled at (0 while pending). */
static inline int qt_sync_file_status(int sync_fd, uint64_t *signalled_ns)
{
	struct sync_fence_info fences[8];
	struct sync_file_info info = {0};
	uint64_t last = 0;

	CHECK(ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info) == 0,
	      "SYNC_IOC_FILE_INFO (count): %s", strerror(errno));
	CHECK(info.num_fences >= 1 && info.num_fences <= 8,
	      "a sync_file of 1 to 8 fences, got %u", info.num_fences);
	memset(fences, 0, sizeof(fences));
	info.sync_fence_info = (uintptr_t)fences;
	CHECK(ioctl(sync_fd, SYNC_IOC_FILE_INFO, &info) == 0,
	      "SYNC_IOC_FILE_INFO: %s", strerror(errno));
	for (uint32_t i = 0; i < info.num_fences; i++)
		if (fences[i].timestamp_ns > last)
			last = fences[i].timestamp_ns;
	if (signalled_ns)
		*signalled_ns = info.status == 1 || info.status < 0 ? last : 0;
	return info.status;
}

#endif
