// SPDX-License-Identifier: MIT
/* simgpu buffers: creation, residency, eviction (see simgpu_gem.h). */
#include "simgpu_gem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/shmem.h"
#include "gpu/simgpu_mmu.h"
#include "simgpu_drv.h"
#include "simgpu_vm.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"

#define SIMGPU_BO_FLAGS DRM_SIMGPU_BO_SYSTEM
/* Give up making room after this many evictions that others outran. */
#define SIMGPU_EVICT_TRIES 8

/* A foreign object placed in the aperture while mapped in a VM. */
struct simgpu_foreign {
	struct udrm_gem_object *obj; /* a reference */
	unsigned int users;	     /* its vm_bos */
	bool resident;
	struct udrm_mm_node node; /* in the aperture while resident */
	struct udrm_gpuvm_link link;
};

struct simgpu_mem {
	pthread_mutex_t lock;
	struct udrm_gpuvm_link lru;	/* resident VRAM buffers, LRU first */
	struct udrm_gpuvm_link foreign; /* struct simgpu_foreign */
};

static const struct udrm_gem_funcs simgpu_gem_funcs;

bool simgpu_gem_is_simgpu_bo(const struct udrm_gem_object *obj)
{
	return obj->funcs == &simgpu_gem_funcs;
}

int simgpu_mem_init(struct simgpu_device *sdev)
{
	struct simgpu_mem *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return -ENOMEM;
	pthread_mutex_init(&mem->lock, NULL);
	simgpu_list_init(&mem->lru);
	simgpu_list_init(&mem->foreign);
	sdev->mem = mem;
	return 0;
}

void simgpu_mem_fini(struct simgpu_device *sdev)
{
	struct simgpu_mem *mem = sdev->mem;

	if (!mem)
		return;
	pthread_mutex_destroy(&mem->lock);
	free(mem);
	sdev->mem = NULL;
}

/* Shows @obj's pages at GPU physical @pa. Under dev->lock, so that a first
 * PRIME export cannot move the pages between reading where they are and
 * mapping them (the export's relocation then moves this mapping too). */
static int mem_phys_map(struct simgpu_device *sdev, struct udrm_gem_object *obj,
			uint64_t pa)
{
	struct udrm_device *dev = sdev->drm;
	int ret;

	pthread_mutex_lock(&dev->lock);
	ret = simgpu_dev_phys_map(sdev->hw, pa, obj->shm->fd, obj->shm_offset,
				  obj->size);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

/* Every fence of @resv signalled; resv->lock held (the query of dma_resv.h
 * takes the lock itself). */
static bool resv_idle_locked(struct udrm_resv *resv)
{
	unsigned int i;

	for (i = 0; i < resv->count; i++)
		if (!udrm_fence_is_signaled(resv->slots[i].fence))
			return false;
	return true;
}

/*
 * The locks an eviction holds: the reservations and VMs of the buffers it
 * has pinned, each taken once with trylock and counted, because private
 * buffers of one VM share its reservation and many buffers share a VM.
 */
/* Locks taken by one eviction pass, counted: several candidates may
 * share a reservation (private buffers of one VM) or a VM. */
struct evict_lock {
	void *ptr;
	unsigned int count;
};

struct evict_lock_set {
	struct evict_lock *locks;
	unsigned int num, cap;
	bool (*trylock)(void *ptr);
	void (*unlock)(void *ptr);
};

struct evict_ctx {
	struct evict_lock_set resvs, vms;
	struct simgpu_bo **roster; /* scanned, in adding order */
	unsigned int num_roster, cap_roster;
};

static int grow(void **array, unsigned int *cap, unsigned int n, size_t elem)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*array, (*cap ? *cap * 2 : 8) * elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = *cap ? *cap * 2 : 8;
	return 0;
}

static struct evict_lock *evict_find(struct evict_lock_set *set, void *ptr)
{
	for (unsigned int i = 0; i < set->num; i++)
		if (set->locks[i].ptr == ptr)
			return &set->locks[i];
	return NULL;
}

/* Takes @ptr's lock with trylock, or counts one more use of it when this
 * pass holds it already. False when it is busy (or out of memory). */
static bool evict_trylock(struct evict_lock_set *set, void *ptr)
{
	struct evict_lock *l = evict_find(set, ptr);

	if (l) {
		l->count++;
		return true;
	}
	if (grow((void **)&set->locks, &set->cap, set->num,
		 sizeof(*set->locks)) ||
	    !set->trylock(ptr))
		return false;
	set->locks[set->num++] = (struct evict_lock){ptr, 1};
	return true;
}

static void evict_unlock(struct evict_lock_set *set, void *ptr)
{
	struct evict_lock *l = evict_find(set, ptr);

	if (--l->count)
		return;
	set->unlock(ptr);
	*l = set->locks[--set->num];
}

/* dma_resv.h has no trylock; its lock is a plain mutex, and trylock fails
 * on one the caller itself holds, as wanted. */
static bool resv_trylock(void *resv)
{
	return !pthread_mutex_trylock(&((struct udrm_resv *)resv)->lock);
}

static void resv_unlock(void *resv)
{
	udrm_resv_unlock(resv);
}

static bool vm_trylock(void *vm)
{
	return simgpu_vm_trylock(vm);
}

static void vm_unlock(void *vm)
{
	simgpu_vm_unlock(vm);
}

static struct simgpu_vm *vm_bo_vm(struct udrm_gpuvm_link *l)
{
	struct simgpu_vm_bo *vm_bo =
		udrm_gpuvm_entry(l, struct simgpu_vm_bo, bo_link);

	return simgpu_vm_from_gpuvm(vm_bo->base.vm);
}

/* Unpins the first @n VMs of @bo's vm_bos list, then its reservation. */
static void evict_unpin_n(struct evict_ctx *ctx, struct simgpu_bo *bo,
			  unsigned int n)
{
	struct udrm_gpuvm_link *l = bo->vm_bos.next;

	for (unsigned int i = 0; i < n; i++, l = l->next)
		evict_unlock(&ctx->vms, vm_bo_vm(l));
	evict_unlock(&ctx->resvs, bo->base.resv);
}

static void evict_unpin(struct evict_ctx *ctx, struct simgpu_bo *bo)
{
	unsigned int n = 0;

	for (struct udrm_gpuvm_link *l = bo->vm_bos.next; l != &bo->vm_bos;
	     l = l->next)
		n++;
	evict_unpin_n(ctx, bo, n);
}

/* Pins @bo for eviction: its reservation idle and locked, every VM it is
 * mapped in locked. False (nothing held) when something is busy. */
static bool evict_pin(struct evict_ctx *ctx, struct simgpu_bo *bo)
{
	unsigned int n = 0;

	if (!evict_trylock(&ctx->resvs, bo->base.resv))
		return false;
	if (!resv_idle_locked(bo->base.resv))
		goto fail;
	for (struct udrm_gpuvm_link *l = bo->vm_bos.next; l != &bo->vm_bos;
	     l = l->next, n++)
		if (!evict_trylock(&ctx->vms, vm_bo_vm(l)))
			goto fail;
	return true;
fail:
	evict_unpin_n(ctx, bo, n);
	return false;
}

/* Pushes the pinned, resident VRAM buffer @bo out of VRAM. mem->lock. */
static void evict_one(struct simgpu_device *sdev, struct simgpu_bo *bo)
{
	for (struct udrm_gpuvm_link *l = bo->vm_bos.next; l != &bo->vm_bos;
	     l = l->next)
		simgpu_vm_bo_invalidate(
			udrm_gpuvm_entry(l, struct simgpu_vm_bo, bo_link));
	simgpu_dev_phys_unmap(sdev->hw, bo->pa, bo->base.size);
	simgpu_dev_vram_free(sdev->hw, &bo->node);
	memset(&bo->node, 0, sizeof(bo->node));
	simgpu_list_del_init(&bo->lru);
	bo->state = SIMGPU_BO_EVICTED;
	bo->pa = 0;
}

/*
 * Makes a hole of @size bytes in VRAM by evicting idle buffers, least
 * recently used first, as the range allocator's scan roster selects
 * them. 0 (a hole was made; another allocator may still take it),
 * -ENOSPC when the evictable buffers cannot make one, -ENOMEM.
 * mem->lock held.
 */
static int mem_evict_for(struct simgpu_device *sdev, uint64_t size)
{
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_dev *hw = sdev->hw;
	struct evict_ctx ctx = {
		.resvs = {.trylock = resv_trylock, .unlock = resv_unlock},
		.vms = {.trylock = vm_trylock, .unlock = vm_unlock},
	};
	struct udrm_mm_scan scan;
	unsigned int i, victims = 0;
	bool found = false;
	int ret;

	pthread_mutex_lock(&hw->vram_lock);
	ret = udrm_mm_scan_init(&scan, &hw->vram_mm, size, SIMGPU_PAGE_SIZE, 0,
				UDRM_MM_INSERT_EVICT);
	if (ret) {
		pthread_mutex_unlock(&hw->vram_lock);
		return -ENOSPC;
	}
	for (struct udrm_gpuvm_link *l = mem->lru.next; l != &mem->lru;
	     l = l->next) {
		struct simgpu_bo *bo =
			udrm_gpuvm_entry(l, struct simgpu_bo, lru);

		if (grow((void **)&ctx.roster, &ctx.cap_roster, ctx.num_roster,
			 sizeof(*ctx.roster)))
			break;
		if (!evict_pin(&ctx, bo))
			continue;
		ctx.roster[ctx.num_roster++] = bo;
		if (udrm_mm_scan_add_block(&scan, &bo->node)) {
			found = true;
			break;
		}
	}
	/* Unwind in reverse; the selected stay pinned and are kept at the
	 * end of the roster, in unwinding order. */
	for (i = ctx.num_roster; i-- > 0;) {
		struct simgpu_bo *bo = ctx.roster[i];

		if (udrm_mm_scan_remove_block(&scan, &bo->node))
			ctx.roster[ctx.num_roster - 1 - victims++] = bo;
		else
			evict_unpin(&ctx, bo);
	}
	pthread_mutex_unlock(&hw->vram_lock);

	for (i = ctx.num_roster - victims; i < ctx.num_roster; i++)
		evict_one(sdev, ctx.roster[i]);
	if (victims)
		simgpu_dev_write_reg(hw, SIMGPU_REG_MMU_FLUSH, 1);
	for (i = ctx.num_roster - victims; i < ctx.num_roster; i++)
		evict_unpin(&ctx, ctx.roster[i]);
	free(ctx.roster);
	free(ctx.resvs.locks);
	free(ctx.vms.locks);
	return found ? 0 : -ENOSPC;
}

/* Places a VRAM buffer, evicting when needed. mem->lock held. */
static int mem_place_vram(struct simgpu_device *sdev, struct simgpu_bo *bo)
{
	int ret, tries = 0;

	for (;;) {
		ret = simgpu_dev_vram_alloc_noclear(sdev->hw, &bo->node,
						    bo->base.size, 0);
		if (ret != -ENOSPC || ++tries > SIMGPU_EVICT_TRIES)
			return ret;
		ret = mem_evict_for(sdev, bo->base.size);
		if (ret)
			return ret;
	}
}

/* The record of foreign object @obj, or NULL. mem->lock held. */
static struct simgpu_foreign *foreign_find_locked(struct simgpu_mem *mem,
						  struct udrm_gem_object *obj)
{
	for (struct udrm_gpuvm_link *l = mem->foreign.next; l != &mem->foreign;
	     l = l->next) {
		struct simgpu_foreign *f =
			udrm_gpuvm_entry(l, struct simgpu_foreign, link);

		if (f->obj == obj)
			return f;
	}
	return NULL;
}

static int foreign_make_resident(struct simgpu_device *sdev,
				 struct udrm_gem_object *obj, uint64_t *pa)
{
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_foreign *f;
	int ret = -EINVAL;

	pthread_mutex_lock(&mem->lock);
	f = foreign_find_locked(mem, obj);
	if (!f)
		goto out;
	if (!f->resident) {
		ret = simgpu_dev_sysmem_alloc(sdev->hw, &f->node, obj->size, 0);
		if (ret)
			goto out;
		ret = mem_phys_map(sdev, obj, f->node.start);
		if (ret) {
			simgpu_dev_sysmem_free(sdev->hw, &f->node);
			memset(&f->node, 0, sizeof(f->node));
			goto out;
		}
		f->resident = true;
	}
	*pa = f->node.start;
	ret = 0;
out:
	pthread_mutex_unlock(&mem->lock);
	return ret;
}

int simgpu_gem_make_resident(struct simgpu_device *sdev,
			     struct udrm_gem_object *obj, uint64_t *pa)
{
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_bo *bo;
	int ret = 0;

	if (!simgpu_gem_is_simgpu_bo(obj))
		return foreign_make_resident(sdev, obj, pa);
	bo = to_simgpu_bo(obj);
	pthread_mutex_lock(&mem->lock);
	if (bo->state == SIMGPU_BO_RESIDENT)
		goto resident;
	if (bo->flags & DRM_SIMGPU_BO_SYSTEM)
		ret = simgpu_dev_sysmem_alloc(sdev->hw, &bo->node, obj->size,
					      0);
	else
		ret = mem_place_vram(sdev, bo);
	if (ret)
		goto out;
	ret = mem_phys_map(sdev, obj, bo->node.start);
	if (ret) {
		if (bo->flags & DRM_SIMGPU_BO_SYSTEM)
			simgpu_dev_sysmem_free(sdev->hw, &bo->node);
		else
			simgpu_dev_vram_free(sdev->hw, &bo->node);
		memset(&bo->node, 0, sizeof(bo->node));
		goto out;
	}
	bo->pa = bo->node.start;
	bo->state = SIMGPU_BO_RESIDENT;
resident:
	if (!(bo->flags & DRM_SIMGPU_BO_SYSTEM)) {
		if (!simgpu_list_empty(&bo->lru))
			simgpu_list_del_init(&bo->lru);
		simgpu_list_add_tail(&mem->lru, &bo->lru);
	}
	*pa = bo->pa;
out:
	pthread_mutex_unlock(&mem->lock);
	return ret;
}

void simgpu_gem_touch(struct simgpu_device *sdev, struct udrm_gem_object *obj)
{
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_bo *bo;

	if (!simgpu_gem_is_simgpu_bo(obj))
		return;
	bo = to_simgpu_bo(obj);
	pthread_mutex_lock(&mem->lock);
	if (!simgpu_list_empty(&bo->lru)) {
		simgpu_list_del_init(&bo->lru);
		simgpu_list_add_tail(&mem->lru, &bo->lru);
	}
	pthread_mutex_unlock(&mem->lock);
}

bool simgpu_gem_is_resident(struct simgpu_device *sdev,
			    struct udrm_gem_object *obj, uint64_t *pa)
{
	struct simgpu_mem *mem = sdev->mem;
	bool resident = false;

	pthread_mutex_lock(&mem->lock);
	if (simgpu_gem_is_simgpu_bo(obj)) {
		struct simgpu_bo *bo = to_simgpu_bo(obj);

		resident = bo->state == SIMGPU_BO_RESIDENT;
		if (resident && pa)
			*pa = bo->pa;
	} else {
		struct simgpu_foreign *f = foreign_find_locked(mem, obj);

		if (f && f->resident) {
			resident = true;
			if (pa)
				*pa = f->node.start;
		}
	}
	pthread_mutex_unlock(&mem->lock);
	return resident;
}

int simgpu_gem_link_vm_bo(struct simgpu_device *sdev,
			  struct simgpu_vm_bo *vm_bo)
{
	struct udrm_gem_object *obj = vm_bo->base.obj;
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_foreign *f;
	int ret = 0;

	pthread_mutex_lock(&mem->lock);
	if (simgpu_gem_is_simgpu_bo(obj)) {
		simgpu_list_add_tail(&to_simgpu_bo(obj)->vm_bos,
				     &vm_bo->bo_link);
		goto out;
	}
	f = foreign_find_locked(mem, obj);
	if (f) {
		f->users++;
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto out;
	}
	udrm_gem_object_get(obj);
	f->obj = obj;
	f->users = 1;
	simgpu_list_add_tail(&mem->foreign, &f->link);
out:
	pthread_mutex_unlock(&mem->lock);
	return ret;
}

void simgpu_gem_unlink_vm_bo(struct simgpu_device *sdev,
			     struct simgpu_vm_bo *vm_bo)
{
	struct udrm_gem_object *obj = vm_bo->base.obj;
	struct simgpu_mem *mem = sdev->mem;
	struct simgpu_foreign *f;

	pthread_mutex_lock(&mem->lock);
	if (simgpu_gem_is_simgpu_bo(obj)) {
		simgpu_list_del_init(&vm_bo->bo_link);
		pthread_mutex_unlock(&mem->lock);
		return;
	}
	f = foreign_find_locked(mem, obj);
	if (f && --f->users == 0) {
		simgpu_list_del_init(&f->link);
		if (f->resident) {
			simgpu_dev_phys_unmap(sdev->hw, f->node.start,
					      obj->size);
			simgpu_dev_sysmem_free(sdev->hw, &f->node);
		}
	} else {
		f = NULL;
	}
	pthread_mutex_unlock(&mem->lock);
	if (f) {
		udrm_gem_object_put(f->obj);
		free(f);
	}
}

int simgpu_bo_check_vm(struct udrm_gem_object *obj, struct simgpu_vm *vm)
{
	struct simgpu_bo *bo;

	if (!simgpu_gem_is_simgpu_bo(obj))
		return 0;
	bo = to_simgpu_bo(obj);
	/* The reservation, not the VM pointer: the buffer holds a reference
	 * to it, so it cannot be another VM's after its VM is gone. */
	if (bo->exclusive_vm && bo->base.resv != simgpu_vm_resv_obj(vm)->resv)
		return -EINVAL;
	return 0;
}

/* Last reference: no VM maps the buffer any more (vm_bos hold it). */
static void simgpu_gem_free(struct udrm_gem_object *obj)
{
	struct simgpu_device *sdev = simgpu_device(obj->dev);
	struct simgpu_bo *bo = to_simgpu_bo(obj);
	struct simgpu_mem *mem = sdev->mem;

	pthread_mutex_lock(&mem->lock);
	if (bo->state == SIMGPU_BO_RESIDENT) {
		simgpu_dev_phys_unmap(sdev->hw, bo->pa, obj->size);
		if (bo->flags & DRM_SIMGPU_BO_SYSTEM)
			simgpu_dev_sysmem_free(sdev->hw, &bo->node);
		else
			simgpu_dev_vram_free(sdev->hw, &bo->node);
		if (!simgpu_list_empty(&bo->lru))
			simgpu_list_del_init(&bo->lru);
		bo->state = SIMGPU_BO_UNPLACED;
	}
	pthread_mutex_unlock(&mem->lock);
}

static void simgpu_gem_release(struct udrm_gem_object *obj)
{
	free(to_simgpu_bo(obj));
}

/* Private buffers share their VM's reservation: never exported
 * (panthor_gem_prime_export). */
static int simgpu_gem_export(struct udrm_gem_object *obj)
{
	return to_simgpu_bo(obj)->exclusive_vm ? -EINVAL : 0;
}

static const struct udrm_gem_funcs simgpu_gem_funcs = {
	.free = simgpu_gem_free,
	.release = simgpu_gem_release,
	.export = simgpu_gem_export,
};

int simgpu_bo_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct simgpu_device *sdev = simgpu_device(dev);
	struct drm_simgpu_bo_create *args = data;
	struct simgpu_vm *vm = NULL;
	struct simgpu_bo *bo;
	uint64_t size, limit;
	int ret;

	if (!args->size || args->pad || (args->flags & ~SIMGPU_BO_FLAGS) ||
	    args->size > UINT64_MAX - (SIMGPU_PAGE_SIZE - 1))
		return -EINVAL;
	size = (args->size + SIMGPU_PAGE_SIZE - 1) & ~(SIMGPU_PAGE_SIZE - 1);
	/* A buffer that could never be resident. */
	limit = (args->flags & DRM_SIMGPU_BO_SYSTEM) ? sdev->opts.hw.sysmem_size
						     : sdev->hw->vram_size;
	if (size > limit)
		return -E2BIG;
	if (args->exclusive_vm_id) {
		vm = simgpu_vm_lookup(simgpu_file(file), args->exclusive_vm_id);
		if (!vm)
			return -EINVAL;
	}
	bo = calloc(1, sizeof(*bo));
	if (!bo) {
		ret = -ENOMEM;
		goto out_vm;
	}
	ret = udrm_gem_object_init(dev, &bo->base, size);
	if (ret) {
		free(bo);
		goto out_vm;
	}
	bo->base.funcs = &simgpu_gem_funcs;
	bo->flags = args->flags;
	simgpu_list_init(&bo->lru);
	simgpu_list_init(&bo->vm_bos);
	if (vm) {
		bo->exclusive_vm = vm;
		udrm_gem_object_set_resv(&bo->base,
					 simgpu_vm_resv_obj(vm)->resv);
	}
	ret = udrm_gem_handle_create(file, &bo->base, &args->handle);
	udrm_gem_object_put(&bo->base);
	if (!ret)
		args->size = size;
out_vm:
	simgpu_vm_put(vm);
	return ret;
}

int simgpu_bo_mmap_offset_ioctl(struct udrm_device *dev, void *data,
				struct udrm_file *file)
{
	struct drm_simgpu_bo_mmap_offset *args = data;
	struct udrm_gem_object *obj;
	uint64_t offset;
	int ret;

	(void)dev;
	if (args->pad)
		return -EINVAL;
	obj = udrm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = udrm_gem_create_mmap_offset(obj, &offset);
	udrm_gem_object_put(obj);
	if (!ret)
		args->offset = offset;
	return ret;
}
