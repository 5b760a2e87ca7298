/* SPDX-License-Identifier: MIT */
/*
 * simgpu VMs: a GPUVM address space with its page tables (simgpu_pt),
 * VM_BIND (synchronous, or asynchronous on the VM's own bind queue, a
 * udrm scheduler with one entity), and the kernel part of the address
 * space where the queue module maps rings and sync objects.
 *
 * Ownership: a VM is reference counted; the file's id table, each queue
 * on it, and each ioctl using it (while it runs) hold references. Bind
 * jobs do not: the last put flushes the bind queue (up to a second for
 * jobs still waiting; those left complete with -ESRCH, as
 * drm_sched_entity_destroy), then unmaps everything and frees the page
 * tables; the GPUVM part is freed when its last vm_bo goes.
 *
 * VM_BIND of a VRAM buffer when VRAM cannot be had (every other buffer
 * busy) does not fail: the mapping is made without page-table entries and
 * its vm_bo left evicted, so that simgpu_vm_prepare_job() brings the
 * buffer in before the next job (or fails that job with -ENOSPC). Page
 * tables that cannot be allocated fail the op (-ENOMEM; an async op makes
 * the VM unusable).
 *
 * Locking: vm->lock serialises the GPUVM tree, its vm_bos and lists, the
 * page tables, the kernel range and the VM's state; see simgpu_drv.h for
 * the order.
 */
#ifndef SIMGPU_VM_H
#define SIMGPU_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gpuvm.h"

struct udrm_device;
struct udrm_file;
struct udrm_fence;
struct udrm_gem_object;
struct simgpu_device;
struct simgpu_file;
struct simgpu_vm;

/* A GPUVM vm_bo with its link in the buffer's list (simgpu_bo.vm_bos),
 * so that eviction finds every mapping of a buffer. */
struct simgpu_vm_bo {
	struct udrm_gpuvm_bo base;
	struct udrm_gpuvm_link bo_link; /* (mem->lock, see simgpu_gem.h) */
	bool linked; /* simgpu_gem_link_vm_bo done (vm->lock) */
};

/* simgpu_vm_lookup - the VM @id of @sfile with a reference, or NULL. */
struct simgpu_vm *simgpu_vm_lookup(struct simgpu_file *sfile, uint32_t id);
struct simgpu_vm *simgpu_vm_get(struct simgpu_vm *vm);
void simgpu_vm_put(struct simgpu_vm *vm); /* NULL-safe */

/* The VRAM offset of the level-0 page table (the group's as_root). */
uint64_t simgpu_vm_as_root(const struct simgpu_vm *vm);
/* The reservation object private buffers of this VM share. */
struct udrm_gem_object *simgpu_vm_resv_obj(const struct simgpu_vm *vm);
/* VM_GET_STATE's UNUSABLE. */
bool simgpu_vm_is_unusable(struct simgpu_vm *vm);

/*
 * simgpu_vm_map_kernel - maps GPU physical [@pa, + @size) (page aligned)
 * read-write at a free VA of the VM's kernel range, given in *@va.
 * 0, -ENOSPC, -ENOMEM. simgpu_vm_unmap_kernel undoes it.
 */
int simgpu_vm_map_kernel(struct simgpu_vm *vm, uint64_t pa, uint64_t size,
			 uint64_t *va);
void simgpu_vm_unmap_kernel(struct simgpu_vm *vm, uint64_t va, uint64_t size);

/*
 * simgpu_vm_prepare_job - called right before a job of this VM is handed
 * to the firmware: makes every buffer mapped in the VM resident
 * (restoring evicted ones: GPUVM validate, PTEs rewritten, TLBs flushed)
 * and adds @fence to the VM's reservation and its external objects'
 * (BOOKKEEP), so none is evicted before @fence signals. 0, -ENOSPC when
 * VRAM cannot hold them, -ENOMEM.
 */
int simgpu_vm_prepare_job(struct simgpu_vm *vm, struct udrm_fence *fence);

/*
 * simgpu_vm_bo_invalidate - for eviction: clears the PTEs of every
 * mapping of @obj in @vm_bo's VM and marks the vm_bo evicted. The caller
 * holds the VM's lock (simgpu_vm_trylock) and flushes TLBs afterwards.
 */
void simgpu_vm_bo_invalidate(struct simgpu_vm_bo *vm_bo);
bool simgpu_vm_trylock(struct simgpu_vm *vm);
void simgpu_vm_unlock(struct simgpu_vm *vm);
struct simgpu_vm *simgpu_vm_from_gpuvm(struct udrm_gpuvm *gpuvm);

/* simgpu_vm_report_fault - a GPU fault in this VM: FAULTED, first fault
 * kept. @access is DRM_SIMGPU_ACCESS_*. */
void simgpu_vm_report_fault(struct simgpu_vm *vm, uint64_t va, uint32_t access);

/* The simgpu_pt of @vm, for tests that translate through it. */
struct simgpu_pt *simgpu_vm_pt(struct simgpu_vm *vm);

/* File close: drops every VM id of @sfile. */
void simgpu_vm_file_close(struct simgpu_file *sfile);

int simgpu_vm_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file);
int simgpu_vm_destroy_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file);
int simgpu_vm_bind_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file);
int simgpu_vm_get_state_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file);

#endif
