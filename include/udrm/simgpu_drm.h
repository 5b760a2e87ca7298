/* SPDX-License-Identifier: MIT */
/*
 * The simgpu uapi: buffers, GPU virtual address spaces (VMs) with VM_BIND,
 * queues and submission for the simgpu render GPU.
 *
 * Rules (Panthor's):
 * - every struct is a multiple of 8 bytes, every field naturally aligned,
 *   gaps are explicit pad fields that must be zero (EINVAL otherwise);
 * - no unions; flags that are not defined must be zero (EINVAL);
 * - arrays are struct drm_simgpu_obj_array {stride, count, array}: the
 *   driver reads min(stride, its own element size) bytes of each element,
 *   refuses a stride below the element's first version (EINVAL) and bytes
 *   it does not know that are not zero (E2BIG), so elements can grow;
 * - a zero field means the old behaviour, so that a struct can grow at
 *   the end without breaking older programs;
 * - sized queries (DEV_QUERY) return the driver's size when the pointer
 *   is 0, and copy min(size, the driver's size) bytes otherwise, zeroing
 *   the rest of a larger user buffer.
 *
 * Nodes: a card node and a render node; every ioctl is allowed on both.
 * VM and queue ids are per file, start at 1 and are never 0.
 */
#ifndef UDRM_SIMGPU_DRM_H
#define UDRM_SIMGPU_DRM_H

#include <drm.h>

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_SIMGPU_DEV_QUERY	   0x00
#define DRM_SIMGPU_BO_CREATE	   0x01
#define DRM_SIMGPU_BO_MMAP_OFFSET  0x02
#define DRM_SIMGPU_VM_CREATE	   0x03
#define DRM_SIMGPU_VM_DESTROY	   0x04
#define DRM_SIMGPU_VM_BIND	   0x05
#define DRM_SIMGPU_VM_GET_STATE	   0x06
#define DRM_SIMGPU_QUEUE_CREATE	   0x07
#define DRM_SIMGPU_QUEUE_DESTROY   0x08
#define DRM_SIMGPU_SUBMIT	   0x09
#define DRM_SIMGPU_QUEUE_GET_STATE 0x0a

/* An array of objects in user memory. @stride is the size of one element
 * as the program knows it (sizeof its struct), @count the number of
 * elements, @array their address. */
struct drm_simgpu_obj_array {
	__u32 stride;
	__u32 count;
	__u64 array;
};

#define DRM_SIMGPU_OBJ_ARRAY(cnt, ptr)                                         \
	{                                                                      \
		.stride = sizeof((ptr)[0]), .count = (cnt),                    \
		.array = (__u64)(unsigned long)(ptr)                           \
	}

/*
 * Synchronisation: a wait or a signal on a syncobj (binary or timeline).
 * A binary syncobj's @timeline_value must be 0. A wait on a syncobj that
 * has no fence (binary) or no such point yet (timeline) fails the ioctl
 * with EINVAL, as the kernel's drm_syncobj_find_fence() without
 * WAIT_FOR_SUBMIT. A signal on a timeline syncobj adds point
 * @timeline_value (which must be > 0); on a binary one it replaces the
 * fence.
 */
#define DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_MASK		0xffu
#define DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ		0x0u
#define DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ 0x1u
#define DRM_SIMGPU_SYNC_OP_WAIT				(0u << 31)
#define DRM_SIMGPU_SYNC_OP_SIGNAL			(1u << 31)

struct drm_simgpu_sync_op {
	__u32 flags;  /* handle type | WAIT or SIGNAL */
	__u32 handle; /* syncobj handle */
	__u64 timeline_value;
};

/*
 * DEV_QUERY: what the GPU and its firmware are. @type is a
 * DRM_SIMGPU_DEV_QUERY_*; with @pointer 0 the driver writes the size of
 * that query's struct to @size; otherwise @size (at least the struct's
 * first version, EINVAL) says how many bytes @pointer has.
 */
#define DRM_SIMGPU_DEV_QUERY_GPU_INFO 0
#define DRM_SIMGPU_DEV_QUERY_FW_INFO  1

struct drm_simgpu_dev_query {
	__u32 type;
	__u32 size;
	__u64 pointer;
};

/* GPU physical memory: VRAM, and an aperture through which the GPU
 * reaches buffers placed in system memory. */
struct drm_simgpu_gpu_info {
	__u32 gpu_id;	   /* DRM_SIMGPU_GPU_ID */
	__u32 num_cores;   /* execution cores */
	__u64 vram_size;   /* bytes */
	__u64 sysmem_size; /* bytes of the system-memory aperture */
	__u32 va_bits;	   /* 48 */
	__u32 page_size;   /* 4096 */
	/* The largest VM_CREATE user_va_range; VAs above it are the
	 * kernel's (rings and sync objects of the VM's queues). */
	__u64 user_va_max;
	__u32 queue_slots;  /* queues the firmware runs at once */
	__u32 max_priority; /* DRM_SIMGPU_QUEUE_PRIORITY_HIGH */
};

#define DRM_SIMGPU_GPU_ID 0x53470001u /* "SG", model 1 */

struct drm_simgpu_fw_info {
	__u32 abi_version; /* the running firmware's version code */
	__u32 ring_entry_size;
	__u64 features;	       /* the firmware's FEAT_* bits */
	char version_name[16]; /* "2.0-rc1", NUL-terminated */
	__u32 num_groups;      /* firmware group slots */
	__u32 queues_per_group;
	__u64 reboots; /* firmware reboots since the device was loaded */
};

/*
 * BO_CREATE: a buffer of @size bytes (rounded up to pages; the rounded
 * size is written back), zero-filled, CPU-mappable wherever it lives.
 * Placement: VRAM unless DRM_SIMGPU_BO_SYSTEM. A VRAM buffer gets its
 * VRAM when a job or a bind first needs it and may be evicted to system
 * memory while idle when VRAM runs short; it is brought back before a job
 * that uses it runs. A system buffer is reached by the GPU through the
 * aperture and never moves.
 * @exclusive_vm_id: 0, or a VM of this file whose reservation the buffer
 * shares (a private object: it can only be mapped in that VM and cannot
 * be exported).
 * Errors: EINVAL for a size of 0 or one that overflows when rounded,
 * unknown flags, a non-zero pad or an unknown exclusive_vm_id; E2BIG for
 * a buffer bigger than the memory it is placed in (VRAM, or the aperture
 * for a system buffer), which could never be resident.
 */
#define DRM_SIMGPU_BO_SYSTEM (1u << 0)

struct drm_simgpu_bo_create {
	__u64 size;
	__u32 flags;
	__u32 exclusive_vm_id;
	__u32 handle; /* out */
	__u32 pad;
};

/* BO_MMAP_OFFSET: the fake offset to mmap the buffer at on the DRM fd. */
struct drm_simgpu_bo_mmap_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset; /* out */
};

/*
 * VM_CREATE: a GPU address space whose user part is [0, @user_va_range)
 * (0: the largest, gpu_info.user_va_max; otherwise a multiple of the page
 * size, at most user_va_max).
 */
struct drm_simgpu_vm_create {
	__u32 flags; /* must be 0 */
	__u32 id;    /* out */
	__u64 user_va_range;
};

/* VM_DESTROY: drops the id; the VM lives on while queues use it. */
struct drm_simgpu_vm_destroy {
	__u32 id;
	__u32 pad;
};

/*
 * VM_BIND operations. MAP maps [@bo_offset, + @size) of @bo_handle at
 * [@va, + @size), replacing whatever was mapped there; UNMAP unmaps
 * [@va, + @size) (holes allowed; @bo_handle and @bo_offset 0); SYNC_ONLY
 * only waits and signals (everything but @flags and @syncs 0; only in
 * ASYNC binds). @va, @size and @bo_offset are page aligned, @size > 0,
 * the range inside the VM's user range and the buffer.
 * @syncs: drm_simgpu_sync_op, only in ASYNC binds.
 */
#define DRM_SIMGPU_VM_BIND_OP_MAP_READONLY   (1u << 0)
#define DRM_SIMGPU_VM_BIND_OP_TYPE_MASK	     (0xfu << 28)
#define DRM_SIMGPU_VM_BIND_OP_TYPE_MAP	     (0u << 28)
#define DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP     (1u << 28)
#define DRM_SIMGPU_VM_BIND_OP_TYPE_SYNC_ONLY (2u << 28)

struct drm_simgpu_vm_bind_op {
	__u32 flags;
	__u32 bo_handle;
	__u64 bo_offset;
	__u64 va;
	__u64 size;
	struct drm_simgpu_obj_array syncs;
};

/*
 * VM_BIND: applies @ops in order. Synchronous (flags 0): done when the
 * ioctl returns. ASYNC: each op becomes a job on the VM's own bind queue,
 * run in order once its waits are signalled; its signal syncs are
 * signalled when the page tables are written. Everything is checked
 * before the ioctl returns; an async op that fails later (out of memory)
 * makes the VM unusable (VM_GET_STATE), as Panthor. On an error the
 * driver writes to @ops.count the number of ops it performed.
 */
#define DRM_SIMGPU_VM_BIND_ASYNC (1u << 0)

struct drm_simgpu_vm_bind {
	__u32 vm_id;
	__u32 flags;
	struct drm_simgpu_obj_array ops; /* drm_simgpu_vm_bind_op */
};

/* VM_GET_STATE: UNUSABLE after a failed async bind (later binds and
 * submits on it fail with EINVAL); FAULTED after a GPU page fault in it,
 * at @fault_va (the first fault), access DRM_SIMGPU_ACCESS_*. */
#define DRM_SIMGPU_VM_STATE_UNUSABLE (1u << 0)
#define DRM_SIMGPU_VM_STATE_FAULTED  (1u << 1)
#define DRM_SIMGPU_ACCESS_READ	     1u
#define DRM_SIMGPU_ACCESS_WRITE	     2u

struct drm_simgpu_vm_get_state {
	__u32 vm_id;
	__u32 state;	    /* out */
	__u64 fault_va;	    /* out */
	__u32 fault_access; /* out */
	__u32 pad;
};

/*
 * QUEUE_CREATE: a queue of jobs on VM @vm_id, scheduled by the firmware at
 * @priority. @ring_size: bytes of its ring, a power of two from 4 KiB to
 * 1 MiB (0: 64 KiB); it bounds the jobs in flight. When more queues have
 * work than the firmware has slots, slots are rotated by priority.
 */
#define DRM_SIMGPU_QUEUE_PRIORITY_LOW	 0
#define DRM_SIMGPU_QUEUE_PRIORITY_NORMAL 1
#define DRM_SIMGPU_QUEUE_PRIORITY_HIGH	 2

struct drm_simgpu_queue_create {
	__u32 vm_id;
	__u32 priority;
	__u32 ring_size;
	__u32 flags;  /* must be 0 */
	__u32 handle; /* out */
	__u32 pad;
};

/* QUEUE_DESTROY: jobs on the firmware or picked up after the queue was
 * banned complete with ECANCELED; jobs still waiting for a dependency
 * when the queue's entity is killed (after up to a second) with ESRCH, as
 * the kernel scheduler's entity kill. */
struct drm_simgpu_queue_destroy {
	__u32 handle;
	__u32 pad;
};

/*
 * SUBMIT: runs the command stream [@stream_addr, + @stream_size) (GPU VAs
 * of the queue's VM, 8-byte aligned) on @queue once every wait of @syncs
 * is signalled, then signals the signal syncs. @stream_size 0 (with
 * @stream_addr 0) is a pure sync point: it signals once the waits and
 * the queue's earlier jobs are done. A stream over 4 GiB needs firmware
 * 2.0-rc1 or later (EINVAL). A queue that faulted or hung refuses
 * submissions (ECANCELED): destroy it and make another.
 */
struct drm_simgpu_submit {
	__u32 queue;
	__u32 flags; /* must be 0 */
	__u64 stream_addr;
	__u64 stream_size;
	struct drm_simgpu_obj_array syncs; /* drm_simgpu_sync_op */
};

/*
 * QUEUE_GET_STATE: TIMEDOUT when a job of this queue hung (the firmware
 * was rebooted; the queue is banned), FAULTED after a GPU fault of its
 * job (banned, @fault_va and @error say what), INNOCENT when a reset
 * caused by another queue or by the firmware hit it while it had work in
 * flight (that work was run again; the queue goes on). @error is the
 * negative errno its failed job completed with, or 0.
 */
#define DRM_SIMGPU_QUEUE_STATE_TIMEDOUT (1u << 0)
#define DRM_SIMGPU_QUEUE_STATE_FAULTED	(1u << 1)
#define DRM_SIMGPU_QUEUE_STATE_INNOCENT (1u << 2)

struct drm_simgpu_queue_get_state {
	__u32 handle;
	__u32 state;	/* out */
	__u64 fault_va; /* out */
	__s32 error;	/* out */
	__u32 pad;
};

#define DRM_IOCTL_SIMGPU(dir, name, type)                                      \
	DRM_IO##dir(DRM_COMMAND_BASE + DRM_SIMGPU_##name, type)

#define DRM_IOCTL_SIMGPU_DEV_QUERY                                             \
	DRM_IOCTL_SIMGPU(WR, DEV_QUERY, struct drm_simgpu_dev_query)
#define DRM_IOCTL_SIMGPU_BO_CREATE                                             \
	DRM_IOCTL_SIMGPU(WR, BO_CREATE, struct drm_simgpu_bo_create)
#define DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET                                        \
	DRM_IOCTL_SIMGPU(WR, BO_MMAP_OFFSET, struct drm_simgpu_bo_mmap_offset)
#define DRM_IOCTL_SIMGPU_VM_CREATE                                             \
	DRM_IOCTL_SIMGPU(WR, VM_CREATE, struct drm_simgpu_vm_create)
#define DRM_IOCTL_SIMGPU_VM_DESTROY                                            \
	DRM_IOCTL_SIMGPU(WR, VM_DESTROY, struct drm_simgpu_vm_destroy)
#define DRM_IOCTL_SIMGPU_VM_BIND                                               \
	DRM_IOCTL_SIMGPU(WR, VM_BIND, struct drm_simgpu_vm_bind)
#define DRM_IOCTL_SIMGPU_VM_GET_STATE                                          \
	DRM_IOCTL_SIMGPU(WR, VM_GET_STATE, struct drm_simgpu_vm_get_state)
#define DRM_IOCTL_SIMGPU_QUEUE_CREATE                                          \
	DRM_IOCTL_SIMGPU(WR, QUEUE_CREATE, struct drm_simgpu_queue_create)
#define DRM_IOCTL_SIMGPU_QUEUE_DESTROY                                         \
	DRM_IOCTL_SIMGPU(WR, QUEUE_DESTROY, struct drm_simgpu_queue_destroy)
#define DRM_IOCTL_SIMGPU_SUBMIT                                                \
	DRM_IOCTL_SIMGPU(WR, SUBMIT, struct drm_simgpu_submit)
#define DRM_IOCTL_SIMGPU_QUEUE_GET_STATE                                       \
	DRM_IOCTL_SIMGPU(WR, QUEUE_GET_STATE, struct drm_simgpu_queue_get_state)

#if defined(__cplusplus)
}
#endif

#endif
