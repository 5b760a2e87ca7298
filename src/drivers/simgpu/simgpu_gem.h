/* SPDX-License-Identifier: MIT */
/*
 * simgpu buffers (GEM objects) and where they live.
 *
 * A buffer's pages are its GEM object's memfd pages from creation to free;
 * the CPU maps them (BO_MMAP_OFFSET, PRIME) wherever the buffer is. "Where
 * it lives" is which GPU physical range shows them: the buffer is made
 * *resident* by mapping its pages at a range of VRAM (a VRAM buffer) or
 * of the system aperture (a system buffer) with simgpu_dev_phys_map(), so
 * the GPU and the CPU share the same pages with no copy. A VRAM buffer
 * becomes resident when a bind or a job first needs it; when VRAM is
 * short, idle VRAM buffers (reservation idle, not in use by the caller's
 * exec) are evicted with the range allocator's scan roster: their GPU
 * mappings are invalidated (simgpu_vm_bo_invalidate: PTEs cleared, vm_bo
 * marked evicted on GPUVM's evicted list, TLBs flushed) and their VRAM
 * range given back; the pages stay (system memory). simgpu_vm_prepare_job
 * brings them back before a job that uses them runs.
 *
 * Backing: a buffer's pages are a range of the device's arena memfd
 * (udrm_gem_object_init), not a memfd of their own, so that thousands of
 * buffers cost no fds (shmem.h). The GPU-physical overlay is a mapping
 * of that arena range, made under dev->lock (so that it never interleaves
 * with a first PRIME export); an export relocates the pages to their own
 * memfd and remaps every mapping of the range in this process
 * (udrm_shmem_relocate), the overlay included, so the GPU follows with
 * no hook. As for the CPU's mappings, a write made by a job running
 * during that first export may be lost (export before rendering).
 *
 * Foreign objects (PRIME imports of other devices' buffers) are placed
 * in the aperture while they are mapped in at least one VM (a record in
 * mem->foreign with a reference to the object, counted per vm_bo) and
 * never evicted.
 *
 * Locking: mem->lock protects residency (node, pa, state, the LRU) of
 * every buffer, each buffer's vm_bos list, the foreign records; it nests
 * inside vm->lock and the reservation locks, and outside dev->lock (taken
 * around phys_map) and hw->vram_lock. Evicting takes each candidate's
 * reservation and the locks of the VMs it is mapped in with trylock only,
 * skipping the buffer when one is busy (held by the caller too), so
 * evictions never deadlock; a buffer whose reservation has an unsignalled
 * fence is never evicted.
 */
#ifndef SIMGPU_GEM_H
#define SIMGPU_GEM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/gem.h"
#include "mm/drm_mm.h"
#include "mm/gpuvm.h"

struct simgpu_device;
struct simgpu_vm;

enum simgpu_bo_state {
	SIMGPU_BO_UNPLACED, /* never made resident */
	SIMGPU_BO_RESIDENT, /* pages shown at @pa */
	SIMGPU_BO_EVICTED,  /* VRAM buffer pushed out; pages kept */
};

struct simgpu_bo {
	struct udrm_gem_object base;
	uint32_t flags; /* DRM_SIMGPU_BO_* */
	/* The VM whose reservation this private buffer shares, or NULL
	 * (a reference to the VM's reservation object is in base.resv). */
	struct simgpu_vm *exclusive_vm; /* not a reference; compared only */
	/* (mem->lock) */
	enum simgpu_bo_state state;
	struct udrm_mm_node node;   /* in VRAM or the aperture while resident */
	uint64_t pa;		    /* GPU physical address while resident */
	struct udrm_gpuvm_link lru; /* resident VRAM buffers, LRU first */
	struct udrm_gpuvm_link vm_bos; /* struct simgpu_vm_bo.bo_link */
};

/* Tiny circular-list helpers on udrm_gpuvm_link, for gem.c and vm.c. */
static inline void simgpu_list_init(struct udrm_gpuvm_link *l)
{
	l->prev = l->next = l;
}

static inline bool simgpu_list_empty(const struct udrm_gpuvm_link *l)
{
	return l->next == l;
}

static inline void simgpu_list_add_tail(struct udrm_gpuvm_link *head,
					struct udrm_gpuvm_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static inline void simgpu_list_del_init(struct udrm_gpuvm_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	simgpu_list_init(l);
}

static inline struct simgpu_bo *to_simgpu_bo(struct udrm_gem_object *obj)
{
	return udrm_gpuvm_entry(obj, struct simgpu_bo, base);
}

/* True for objects made by this driver (imports of other devices'
 * dma-bufs are plain GEM objects: they are mapped through the aperture
 * like system buffers). */
bool simgpu_gem_is_simgpu_bo(const struct udrm_gem_object *obj);

int simgpu_mem_init(struct simgpu_device *sdev);
/* Every buffer is gone by then. */
void simgpu_mem_fini(struct simgpu_device *sdev);

/*
 * simgpu_gem_make_resident - makes @obj resident (evicting idle VRAM
 * buffers when VRAM is short; never a buffer whose reservation is
 * locked by the caller) and gives its GPU physical address. Foreign
 * objects (PRIME imports) are placed in the aperture (only while mapped
 * in a VM: -EINVAL otherwise). 0, -ENOSPC when no room can be made,
 * -ENOMEM. The caller holds the object's reservation; it may hold VM
 * locks (those VMs' buffers are then not evicted).
 */
int simgpu_gem_make_resident(struct simgpu_device *sdev,
			     struct udrm_gem_object *obj, uint64_t *pa);

/* simgpu_gem_touch - marks a resident VRAM buffer used (LRU). */
void simgpu_gem_touch(struct simgpu_device *sdev, struct udrm_gem_object *obj);

/* simgpu_gem_is_resident - whether @obj is resident now (and where, in
 * *@pa if not NULL). */
bool simgpu_gem_is_resident(struct simgpu_device *sdev,
			    struct udrm_gem_object *obj, uint64_t *pa);

/*
 * For simgpu_vm.c: a new vm_bo of @obj (link) or one going away
 * (unlink), called with its VM's lock held. A simgpu buffer lists its
 * vm_bos (eviction invalidates them); a foreign object counts them and
 * gives up its aperture placement with the last. link: 0 or -ENOMEM.
 */
struct simgpu_vm_bo;
int simgpu_gem_link_vm_bo(struct simgpu_device *sdev,
			  struct simgpu_vm_bo *vm_bo);
void simgpu_gem_unlink_vm_bo(struct simgpu_device *sdev,
			     struct simgpu_vm_bo *vm_bo);

/* simgpu_bo_check_vm - whether @obj may be mapped in @vm: 0, or -EINVAL
 * for a private buffer of another VM. */
int simgpu_bo_check_vm(struct udrm_gem_object *obj, struct simgpu_vm *vm);

int simgpu_bo_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file);
int simgpu_bo_mmap_offset_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file);

#endif
