/* SPDX-License-Identifier: MIT */
/*
 * libsimgpu: a small userspace library for the simgpu render GPU, on top
 * of libdrm and the simgpu uapi (udrm/simgpu_drm.h).
 *
 * What it gives a program: the simgpu render node (found by driver name),
 * the GPU and firmware descriptions, buffers (VRAM or system memory) with
 * their CPU mappings and PRIME export/import, GPU address spaces (VMs)
 * with synchronous and asynchronous VM_BIND and a simple VA allocator,
 * queues, command streams built with the GPU's own encoder
 * (gpu/simgpu_cs.h) straight into a buffer the GPU reads, submission with
 * syncobj waits and signals, and syncobj waits on the CPU.
 *
 * Conventions: every function that can fail returns 0 or a negative
 * errno (what the ioctl failed with, -ENOMEM, -EINVAL for bad arguments
 * caught here). Objects are plain heap objects owned by the caller:
 * whatever was made from a device (buffers, VMs, queues, streams) must be
 * destroyed before the device is closed, and a stream or queue before the
 * VM it uses. No object is locked: a program that shares one between
 * threads serialises the calls itself (the ioctls themselves are safe to
 * make from any thread).
 */
#ifndef LIBSIMGPU_H
#define LIBSIMGPU_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu/simgpu_cs.h"
#include "udrm/simgpu_drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

struct simgpu_device;
struct simgpu_bo;
struct simgpu_vm;
struct simgpu_queue;
struct simgpu_stream;

/* ---- Device ---- */

/*
 * simgpu_device_open - opens a simgpu device. @path: a DRM node to open
 * (its driver must be simgpu), or NULL to take the first render node
 * /dev/dri/renderD128..191 whose driver (drmGetVersion) is "simgpu".
 * Queries the GPU and firmware information once. The device owns the fd.
 * 0; -ENODEV when no node is simgpu (or @path's driver is not), -errno
 * of open() or of the queries, -ENOMEM.
 */
int simgpu_device_open(const char *path, struct simgpu_device **out);

/*
 * simgpu_device_wrap_fd - the same on an fd the caller already opened
 * (a render or card node of simgpu). The caller keeps the fd and closes
 * it after simgpu_device_close(). 0, -ENODEV when the fd's driver is not
 * simgpu, -errno of the queries, -ENOMEM.
 */
int simgpu_device_wrap_fd(int fd, struct simgpu_device **out);

/* simgpu_device_close - frees @dev and closes its fd if it opened it.
 * NULL is allowed. */
void simgpu_device_close(struct simgpu_device *dev);

/* The DRM fd of @dev, for ioctls the library does not wrap. */
int simgpu_device_fd(const struct simgpu_device *dev);

/* DEV_QUERY's GPU and firmware descriptions, as read when the device was
 * opened (valid until simgpu_device_close()). */
const struct drm_simgpu_gpu_info *
simgpu_device_gpu_info(const struct simgpu_device *dev);
const struct drm_simgpu_fw_info *
simgpu_device_fw_info(const struct simgpu_device *dev);

/* ---- Syncobjs ---- */

/* simgpu_syncobj_create - a syncobj on @dev, signalled at creation when
 * @signaled. 0 or -errno. */
int simgpu_syncobj_create(struct simgpu_device *dev, bool signaled,
			  uint32_t *handle);

/* simgpu_syncobj_destroy - destroys syncobj @handle; 0 or -errno. */
int simgpu_syncobj_destroy(struct simgpu_device *dev, uint32_t handle);

/*
 * simgpu_syncobj_wait - waits on the CPU until syncobj @handle is
 * signalled: a binary syncobj's fence (@point 0), or timeline point
 * @point. A fence not submitted yet is waited for too (WAIT_FOR_SUBMIT).
 * @timeout_ns is relative; a negative value waits forever. 0, -ETIME on
 * timeout, -errno.
 */
int simgpu_syncobj_wait(struct simgpu_device *dev, uint32_t handle,
			uint64_t point, int64_t timeout_ns);

/* A sync operation for VM_BIND and SUBMIT: wait for / signal syncobj
 * @handle, binary when @point is 0, timeline point @point otherwise. */
struct drm_simgpu_sync_op simgpu_sync_wait(uint32_t handle, uint64_t point);
struct drm_simgpu_sync_op simgpu_sync_signal(uint32_t handle, uint64_t point);

/* ---- Buffers ---- */

/*
 * simgpu_bo_create - a zero-filled buffer of at least @size bytes
 * (rounded up to pages by the driver). @flags: DRM_SIMGPU_BO_SYSTEM for
 * system memory, 0 for VRAM. @exclusive_vm: NULL, or the VM whose
 * reservation a private buffer shares (it can only be mapped in that VM
 * and cannot be exported). 0 or -errno (-EINVAL for size 0).
 */
int simgpu_bo_create(struct simgpu_device *dev, uint64_t size, uint32_t flags,
		     struct simgpu_vm *exclusive_vm, struct simgpu_bo **out);

/*
 * simgpu_bo_import - a buffer from dma-buf @dmabuf_fd (an export of this
 * or another DRM device, or any memfd). Its size is the dma-buf's; the
 * fd stays the caller's. Importing the same dma-buf twice gives two
 * objects sharing one GEM handle: destroy only one of them (the driver
 * gives the same handle back). 0 or -errno.
 */
int simgpu_bo_import(struct simgpu_device *dev, int dmabuf_fd,
		     struct simgpu_bo **out);

/* simgpu_bo_destroy - unmaps the CPU mapping and closes the GEM handle.
 * The GPU may still use the buffer through its VM mappings and running
 * jobs (the driver keeps it alive). NULL is allowed. */
void simgpu_bo_destroy(struct simgpu_bo *bo);

/*
 * simgpu_bo_map - maps @bo for the CPU (read/write, shared), once: later
 * calls give the same address. The mapping shows the same pages as the
 * GPU; order CPU and GPU accesses with syncobjs. 0 or -errno.
 */
int simgpu_bo_map(struct simgpu_bo *bo, void **ptr);

/*
 * simgpu_bo_export - a dma-buf fd for @bo (PRIME, O_CLOEXEC, read/write),
 * to share it with another device (drmPrimeFDToHandle) or process. The
 * caller closes the fd. 0 or -errno.
 */
int simgpu_bo_export(struct simgpu_bo *bo, int *dmabuf_fd);

uint32_t simgpu_bo_handle(const struct simgpu_bo *bo);
/* The buffer's size in bytes (page-rounded as the driver made it). */
uint64_t simgpu_bo_size(const struct simgpu_bo *bo);

/* ---- GPU address spaces ---- */

/*
 * simgpu_vm_create - a GPU address space with user range
 * [0, @user_va_range) (0: the largest the GPU allows). The VA allocator
 * hands out addresses from SIMGPU_VM_VA_BASE up to the end of that
 * range, so that address 0 and the first megabyte always fault. 0 or
 * -errno.
 */
#define SIMGPU_VM_VA_BASE (1ull << 20)

int simgpu_vm_create(struct simgpu_device *dev, uint64_t user_va_range,
		     struct simgpu_vm **out);

/* simgpu_vm_destroy - drops the VM id (the driver keeps the VM while
 * queues use it) and frees the allocator. NULL is allowed. */
void simgpu_vm_destroy(struct simgpu_vm *vm);

uint32_t simgpu_vm_id(const struct simgpu_vm *vm);

/*
 * simgpu_vm_alloc_va - reserves @size bytes of the VM's address space
 * (rounded up to pages), aligned to @align (a power of two, at least a
 * page; 0 means a page). Only reserves: nothing is mapped. First fit
 * from the bottom. 0, -ENOSPC when no hole is large enough, -EINVAL,
 * -ENOMEM.
 */
int simgpu_vm_alloc_va(struct simgpu_vm *vm, uint64_t size, uint64_t align,
		       uint64_t *va);

/* simgpu_vm_free_va - gives back [@va, + @size) reserved by
 * simgpu_vm_alloc_va(). 0, -EINVAL for a range that is not wholly
 * reserved. */
int simgpu_vm_free_va(struct simgpu_vm *vm, uint64_t va, uint64_t size);

/*
 * simgpu_vm_bind - VM_BIND of @count ops. @flags 0: synchronous (done on
 * return); DRM_SIMGPU_VM_BIND_ASYNC: queued on the VM's bind queue,
 * ordered by each op's syncs. On failure, *@done (may be NULL) is the
 * number of ops the driver performed. 0 or -errno.
 */
int simgpu_vm_bind(struct simgpu_vm *vm, uint32_t flags,
		   const struct drm_simgpu_vm_bind_op *ops, uint32_t count,
		   uint32_t *done);

/*
 * simgpu_vm_map / simgpu_vm_unmap - one synchronous MAP of
 * [@bo_offset, + @size) of @bo at [@va, + @size) (@flags:
 * DRM_SIMGPU_VM_BIND_OP_MAP_READONLY or 0), or UNMAP of
 * [@va, + @size). Page-aligned arguments. 0 or -errno.
 */
int simgpu_vm_map(struct simgpu_vm *vm, struct simgpu_bo *bo,
		  uint64_t bo_offset, uint64_t va, uint64_t size,
		  uint32_t flags);
int simgpu_vm_unmap(struct simgpu_vm *vm, uint64_t va, uint64_t size);

/*
 * simgpu_vm_map_async / simgpu_vm_unmap_async - the same as one ASYNC
 * op that waits for and signals @syncs (@nsyncs entries, see
 * simgpu_sync_wait/_signal) on the VM's bind queue. An op that fails
 * after the ioctl returned makes the VM unusable (simgpu_vm_get_state).
 * 0 or -errno.
 */
int simgpu_vm_map_async(struct simgpu_vm *vm, struct simgpu_bo *bo,
			uint64_t bo_offset, uint64_t va, uint64_t size,
			uint32_t flags, const struct drm_simgpu_sync_op *syncs,
			uint32_t nsyncs);
int simgpu_vm_unmap_async(struct simgpu_vm *vm, uint64_t va, uint64_t size,
			  const struct drm_simgpu_sync_op *syncs,
			  uint32_t nsyncs);

/*
 * simgpu_vm_map_bo - reserves VA for the whole of @bo and maps it
 * there synchronously (@flags as simgpu_vm_map). *@va is its address.
 * Undo with simgpu_vm_unmap_bo(). 0 or -errno (nothing reserved then).
 */
int simgpu_vm_map_bo(struct simgpu_vm *vm, struct simgpu_bo *bo, uint32_t flags,
		     uint64_t *va);

/* simgpu_vm_unmap_bo - unmaps [@va, + @size) and gives the VA back
 * (even when the unmap fails, which only an invalid range does). 0 or
 * -errno. */
int simgpu_vm_unmap_bo(struct simgpu_vm *vm, uint64_t va, uint64_t size);

/* simgpu_vm_get_state - VM_GET_STATE (UNUSABLE, FAULTED and where). 0 or
 * -errno. */
int simgpu_vm_get_state(struct simgpu_vm *vm,
			struct drm_simgpu_vm_get_state *state);

/* ---- Queues ---- */

/*
 * simgpu_queue_create - a queue of jobs on @vm at @priority
 * (DRM_SIMGPU_QUEUE_PRIORITY_*) with a ring of @ring_size bytes (0: the
 * driver's default). 0 or -errno.
 */
int simgpu_queue_create(struct simgpu_vm *vm, uint32_t priority,
			uint32_t ring_size, struct simgpu_queue **out);

/* simgpu_queue_destroy - QUEUE_DESTROY (jobs not yet run complete with
 * ECANCELED). NULL is allowed. */
void simgpu_queue_destroy(struct simgpu_queue *q);

uint32_t simgpu_queue_handle(const struct simgpu_queue *q);

/*
 * simgpu_queue_submit - runs the command stream [@stream_va,
 * + @stream_size) of the queue's VM once every wait of @syncs is
 * signalled, then signals its signal syncs. @stream_size 0 with
 * @stream_va 0 is a pure sync point. 0 or -errno (-ECANCELED for a
 * queue that faulted or hung).
 */
int simgpu_queue_submit(struct simgpu_queue *q, uint64_t stream_va,
			uint64_t stream_size,
			const struct drm_simgpu_sync_op *syncs,
			uint32_t nsyncs);

/* simgpu_queue_get_state - QUEUE_GET_STATE. 0 or -errno. */
int simgpu_queue_get_state(struct simgpu_queue *q,
			   struct drm_simgpu_queue_get_state *state);

/* ---- Command streams ---- */

/*
 * A stream is a buffer mapped in a VM and on the CPU: instructions are
 * encoded into it from the bottom with the gpu/simgpu_cs.h builder
 * (simgpu_cs_fill(simgpu_stream_cs(s), ...)), and data the instructions
 * point to (DISPATCH arguments, small constants) is carved from the top
 * with simgpu_stream_data(). A stream must not be reset or destroyed
 * while a job that runs it may still be running: wait for the job's
 * signal syncobj first.
 */

/*
 * simgpu_stream_create - a stream of @size bytes (rounded up to pages;
 * 0: 64 KiB) in a VRAM buffer private to @vm, mapped at a VA
 * from the VM's allocator. 0 or -errno.
 */
int simgpu_stream_create(struct simgpu_vm *vm, uint64_t size,
			 struct simgpu_stream **out);

/* simgpu_stream_destroy - unmaps and frees the stream's buffer and VA.
 * NULL is allowed. */
void simgpu_stream_destroy(struct simgpu_stream *s);

/* The builder to encode instructions with (the functions of
 * gpu/simgpu_cs.h); it writes straight into the stream's buffer. */
struct simgpu_cs_builder *simgpu_stream_cs(struct simgpu_stream *s);

/* simgpu_stream_reset - forgets every instruction and data block. */
void simgpu_stream_reset(struct simgpu_stream *s);

/*
 * simgpu_stream_data - @size bytes of data in the stream's buffer,
 * aligned to @align (a power of two, 8 when 0), zero-filled: *@cpu is
 * where the CPU writes them, *@va where the GPU reads them (either may
 * be NULL). 0; -ENOSPC when they would overlap the instructions already
 * encoded; -EINVAL for a bad alignment.
 */
int simgpu_stream_data(struct simgpu_stream *s, uint64_t size, uint64_t align,
		       void **cpu, uint64_t *va);

/* The GPU address of the first instruction, and the bytes encoded so
 * far. */
uint64_t simgpu_stream_va(const struct simgpu_stream *s);
uint64_t simgpu_stream_size(const struct simgpu_stream *s);

/*
 * simgpu_stream_submit - submits the instructions encoded so far on @q
 * (whose VM must be the stream's) with @syncs, first padding them with a
 * NOP to a multiple of 8 bytes as SUBMIT requires. 0; -ENOSPC when an
 * instruction did not fit (the builder overflowed); -ENODATA for an
 * empty stream; -EINVAL for a queue of another VM; -errno of SUBMIT.
 */
int simgpu_stream_submit(struct simgpu_stream *s, struct simgpu_queue *q,
			 const struct drm_simgpu_sync_op *syncs,
			 uint32_t nsyncs);

#if defined(__cplusplus)
}
#endif

#endif
