// SPDX-License-Identifier: MIT
/* simgpu VMs: GPUVM, page tables, VM_BIND (see simgpu_vm.h). */
#include "simgpu_vm.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/gem.h"
#include "gpu/simgpu_mmu.h"
#include "mm/drm_mm.h"
#include "sched/gpu_scheduler.h"
#include "simgpu_drv.h"
#include "simgpu_gem.h"
#include "simgpu_pt.h"
#include "simgpu_sync.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"

/* udrm_gpuva.flags: the mapping is read-only for the GPU. */
#define SIMGPU_VA_READONLY UDRM_GPUVA_USERBITS

#define SIMGPU_PAGE_MASK (SIMGPU_PAGE_SIZE - 1)

struct simgpu_vm {
	struct udrm_gpuvm base; /* its refcount: mappings, vm_bos, ours */
	struct simgpu_device *sdev;
	atomic_int refcount; /* users: see simgpu_vm.h */
	uint64_t user_va_range;
	pthread_mutex_t lock;
	struct simgpu_pt pt;   /* (lock) */
	struct udrm_mm kva;    /* (lock) the kernel range */
	atomic_bool unusable;  /* a failed async bind */
	bool faulted;	       /* (lock) */
	uint64_t fault_va;     /* (lock) */
	uint32_t fault_access; /* (lock) */
	bool bind_ready;       /* (lock) the bind queue exists */
	struct udrm_gpu_scheduler bind_sched;
	struct udrm_sched_entity bind_entity;
};

/* A kernel-range mapping (simgpu_vm_map_kernel). */
struct simgpu_kva {
	struct udrm_mm_node node;
};

struct simgpu_vm *simgpu_vm_from_gpuvm(struct udrm_gpuvm *gpuvm)
{
	return udrm_gpuvm_entry(gpuvm, struct simgpu_vm, base);
}

static struct simgpu_vm_bo *to_simgpu_vm_bo(struct udrm_gpuvm_bo *vm_bo)
{
	return udrm_gpuvm_entry(vm_bo, struct simgpu_vm_bo, base);
}

uint64_t simgpu_vm_as_root(const struct simgpu_vm *vm)
{
	return simgpu_pt_root(&vm->pt);
}

struct udrm_gem_object *simgpu_vm_resv_obj(const struct simgpu_vm *vm)
{
	return vm->base.r_obj;
}

struct simgpu_pt *simgpu_vm_pt(struct simgpu_vm *vm)
{
	return &vm->pt;
}

bool simgpu_vm_is_unusable(struct simgpu_vm *vm)
{
	return atomic_load(&vm->unusable);
}

bool simgpu_vm_trylock(struct simgpu_vm *vm)
{
	return pthread_mutex_trylock(&vm->lock) == 0;
}

void simgpu_vm_unlock(struct simgpu_vm *vm)
{
	pthread_mutex_unlock(&vm->lock);
}

static void vm_flush(struct simgpu_vm *vm)
{
	simgpu_dev_write_reg(vm->sdev->hw, SIMGPU_REG_MMU_FLUSH, 1);
}

static uint64_t va_prot(const struct udrm_gpuva *va)
{
	return (va->flags & SIMGPU_VA_READONLY)
		       ? SIMGPU_PTE_READ
		       : SIMGPU_PTE_READ | SIMGPU_PTE_WRITE;
}

/* Writes the PTEs of every mapping of @vm_bo for its buffer at @pa. */
static int vm_bo_write_ptes(struct simgpu_vm *vm, struct udrm_gpuvm_bo *vm_bo,
			    uint64_t pa)
{
	struct udrm_gpuva *va;
	int ret;

	udrm_gpuvm_bo_for_each_va(va, vm_bo)
	{
		ret = simgpu_pt_map(&vm->pt, va->va.addr, pa + va->gem.offset,
				    va->va.range, va_prot(va));
		if (ret)
			return ret;
	}
	return 0;
}

void simgpu_vm_bo_invalidate(struct simgpu_vm_bo *vm_bo)
{
	struct simgpu_vm *vm = simgpu_vm_from_gpuvm(vm_bo->base.vm);
	struct udrm_gpuva *va;

	udrm_gpuvm_bo_for_each_va(va, &vm_bo->base)
		simgpu_pt_unmap(&vm->pt, va->va.addr, va->va.range);
	udrm_gpuvm_bo_evict(&vm_bo->base, true);
}

/* --- GPUVM ops --- */

static void simgpu_gpuvm_free(struct udrm_gpuvm *gpuvm)
{
	struct simgpu_vm *vm = simgpu_vm_from_gpuvm(gpuvm);

	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static struct udrm_gpuvm_bo *simgpu_vm_bo_alloc(void)
{
	struct simgpu_vm_bo *vm_bo = calloc(1, sizeof(*vm_bo));

	return vm_bo ? &vm_bo->base : NULL;
}

static void simgpu_vm_bo_free(struct udrm_gpuvm_bo *base)
{
	struct simgpu_vm_bo *vm_bo = to_simgpu_vm_bo(base);

	if (vm_bo->linked)
		simgpu_gem_unlink_vm_bo(simgpu_vm_from_gpuvm(base->vm)->sdev,
					vm_bo);
	free(vm_bo);
}

/* What the split/merge steps of one bind op need. */
struct bind_ctx {
	struct simgpu_vm *vm;
	struct udrm_gpuvm_bo *vm_bo; /* map: the buffer's vm_bo */
	bool resident;		     /* map: PTEs can be written at @pa */
	uint64_t pa;
	uint32_t va_flags;	   /* map: SIMGPU_VA_READONLY */
	struct udrm_gpuva *new[3]; /* preallocated: map, prev, next */
};

static struct udrm_gpuva *ctx_take_va(struct bind_ctx *ctx)
{
	for (unsigned int i = 0; i < 3; i++) {
		struct udrm_gpuva *va = ctx->new[i];

		if (va) {
			ctx->new[i] = NULL;
			return va;
		}
	}
	return NULL; /* cannot happen: three suffice for one request */
}

static void va_destroy(struct udrm_gpuva *va)
{
	udrm_gpuva_unlink(va);
	free(va);
}

static int bind_step_map(struct udrm_gpuva_op *op, void *priv)
{
	struct bind_ctx *ctx = priv;
	struct simgpu_vm *vm = ctx->vm;
	struct udrm_gpuva *va = ctx_take_va(ctx);
	int ret;

	ret = udrm_gpuva_map(&vm->base, va, &op->map);
	if (ret) {
		free(va);
		return ret;
	}
	va->flags |= ctx->va_flags;
	udrm_gpuva_link(va, ctx->vm_bo);
	if (!ctx->resident) {
		/* Brought in by prepare_job. */
		udrm_gpuvm_bo_evict(ctx->vm_bo, true);
		return 0;
	}
	ret = simgpu_pt_map(&vm->pt, va->va.addr, ctx->pa + va->gem.offset,
			    va->va.range, va_prot(va));
	if (ret) {
		/* Nothing half-mapped stays behind. */
		simgpu_pt_unmap(&vm->pt, va->va.addr, va->va.range);
		udrm_gpuva_remove(va);
		va_destroy(va);
	}
	return ret;
}

static int bind_step_remap(struct udrm_gpuva_op *op, void *priv)
{
	struct bind_ctx *ctx = priv;
	struct udrm_gpuva_op_remap *r = &op->remap;
	struct udrm_gpuva *old = r->unmap->va;
	struct udrm_gpuvm_bo *vm_bo = old->vm_bo;
	struct udrm_gpuva *prev = NULL, *next = NULL;
	uint64_t start = old->va.addr, end = old->va.addr + old->va.range;
	uint32_t flags = old->flags;

	if (r->prev) {
		prev = ctx_take_va(ctx);
		start = r->prev->va.addr + r->prev->va.range;
	}
	if (r->next) {
		next = ctx_take_va(ctx);
		end = r->next->va.addr;
	}
	/* The remainders keep their PTEs; only the cut-out part goes (unless
	 * the same pages are about to be mapped over it). */
	if (!r->unmap->keep && end > start)
		simgpu_pt_unmap(&ctx->vm->pt, start, end - start);
	udrm_gpuvm_bo_get(vm_bo);
	udrm_gpuva_remap(prev, next, r);
	if (prev) {
		prev->flags = flags;
		udrm_gpuva_link(prev, vm_bo);
	}
	if (next) {
		next->flags = flags;
		udrm_gpuva_link(next, vm_bo);
	}
	va_destroy(old);
	udrm_gpuvm_bo_put(vm_bo);
	return 0;
}

static int bind_step_unmap(struct udrm_gpuva_op *op, void *priv)
{
	struct bind_ctx *ctx = priv;
	struct udrm_gpuva *va = op->unmap.va;

	if (!op->unmap.keep)
		simgpu_pt_unmap(&ctx->vm->pt, va->va.addr, va->va.range);
	udrm_gpuva_unmap(&op->unmap);
	va_destroy(va);
	return 0;
}

/* Validate: make the buffer resident again and rewrite its PTEs. */
static int simgpu_vm_bo_validate(struct udrm_gpuvm_bo *vm_bo, void *priv)
{
	struct simgpu_vm *vm = simgpu_vm_from_gpuvm(vm_bo->vm);
	bool *changed = priv;
	uint64_t pa;
	int ret;

	ret = simgpu_gem_make_resident(vm->sdev, vm_bo->obj, &pa);
	if (ret)
		return ret;
	*changed = true;
	return vm_bo_write_ptes(vm, vm_bo, pa);
}

static const struct udrm_gpuvm_ops simgpu_gpuvm_ops = {
	.vm_free = simgpu_gpuvm_free,
	.vm_bo_alloc = simgpu_vm_bo_alloc,
	.vm_bo_free = simgpu_vm_bo_free,
	.sm_step_map = bind_step_map,
	.sm_step_remap = bind_step_remap,
	.sm_step_unmap = bind_step_unmap,
	.vm_bo_validate = simgpu_vm_bo_validate,
};

/* --- lifetime --- */

static int vm_create(struct simgpu_device *sdev, uint64_t user_va_range,
		     struct simgpu_vm **out)
{
	struct udrm_gem_object *r_obj;
	struct simgpu_vm *vm;
	int ret;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->sdev = sdev;
	vm->user_va_range = user_va_range;
	atomic_init(&vm->refcount, 1);
	pthread_mutex_init(&vm->lock, NULL);
	ret = simgpu_pt_init(&vm->pt, sdev->hw);
	if (ret)
		goto err_free;
	ret = udrm_mm_init(&vm->kva, SIMGPU_USER_VA_MAX, SIMGPU_KERNEL_VA_SIZE);
	if (ret)
		goto err_pt;
	/* A buffer-less object whose reservation is the VM's own. */
	ret = udrm_gem_object_create(sdev->drm, SIMGPU_PAGE_SIZE, &r_obj);
	if (ret)
		goto err_kva;
	ret = udrm_gpuvm_init(&vm->base, "simgpu", r_obj, 0, SIMGPU_VA_SIZE,
			      SIMGPU_USER_VA_MAX, SIMGPU_KERNEL_VA_SIZE,
			      &simgpu_gpuvm_ops);
	udrm_gem_object_put(r_obj);
	if (ret)
		goto err_kva;
	*out = vm;
	return 0;

err_kva:
	udrm_mm_takedown(&vm->kva);
err_pt:
	simgpu_pt_fini(&vm->pt);
err_free:
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return ret;
}

struct simgpu_vm *simgpu_vm_get(struct simgpu_vm *vm)
{
	atomic_fetch_add(&vm->refcount, 1);
	return vm;
}

/* The last user is gone: stop binding, unmap everything. */
static void vm_release(struct simgpu_vm *vm)
{
	struct udrm_gpuva *va, *next;
	struct udrm_mm_node *node, *n;

	if (vm->bind_ready) {
		udrm_sched_entity_destroy(&vm->bind_entity);
		udrm_sched_fini(&vm->bind_sched);
	}
	pthread_mutex_lock(&vm->lock);
	for (va = udrm_gpuvm_first_va(&vm->base); va; va = next) {
		next = udrm_gpuva_next(va);
		if (va == &vm->base.kernel_alloc_node)
			continue;
		udrm_gpuva_remove(va);
		va_destroy(va);
	}
	udrm_mm_for_each_node_safe(node, n, &vm->kva)
	{
		udrm_mm_remove_node(node);
		free(udrm_gpuvm_entry(node, struct simgpu_kva, node));
	}
	pthread_mutex_unlock(&vm->lock);
	udrm_mm_takedown(&vm->kva);
	simgpu_pt_fini(&vm->pt);
	udrm_gpuvm_put(&vm->base);
}

void simgpu_vm_put(struct simgpu_vm *vm)
{
	if (vm && atomic_fetch_sub(&vm->refcount, 1) == 1)
		vm_release(vm);
}

struct simgpu_vm *simgpu_vm_lookup(struct simgpu_file *sfile, uint32_t id)
{
	struct simgpu_vm *vm;

	pthread_mutex_lock(&sfile->lock);
	vm = udrm_idr_find(&sfile->vms, id);
	if (vm)
		simgpu_vm_get(vm);
	pthread_mutex_unlock(&sfile->lock);
	return vm;
}

void simgpu_vm_file_close(struct simgpu_file *sfile)
{
	struct simgpu_vm *vm;

	while ((vm = simgpu_file_take_next(sfile, &sfile->vms)))
		simgpu_vm_put(vm);
}

/* --- kernel range, faults --- */

int simgpu_vm_map_kernel(struct simgpu_vm *vm, uint64_t pa, uint64_t size,
			 uint64_t *va)
{
	struct simgpu_kva *kva;
	int ret;

	if (!size || ((pa | size) & SIMGPU_PAGE_MASK))
		return -EINVAL;
	kva = calloc(1, sizeof(*kva));
	if (!kva)
		return -ENOMEM;
	pthread_mutex_lock(&vm->lock);
	ret = udrm_mm_insert_node_generic(&vm->kva, &kva->node, size,
					  SIMGPU_PAGE_SIZE, 0,
					  UDRM_MM_INSERT_LOW);
	if (ret)
		goto err_unlock;
	ret = simgpu_pt_map(&vm->pt, kva->node.start, pa, size,
			    SIMGPU_PTE_READ | SIMGPU_PTE_WRITE);
	if (ret) {
		simgpu_pt_unmap(&vm->pt, kva->node.start, size);
		udrm_mm_remove_node(&kva->node);
		goto err_unlock;
	}
	*va = kva->node.start;
	pthread_mutex_unlock(&vm->lock);
	return 0;

err_unlock:
	pthread_mutex_unlock(&vm->lock);
	free(kva);
	return ret;
}

void simgpu_vm_unmap_kernel(struct simgpu_vm *vm, uint64_t va, uint64_t size)
{
	struct udrm_mm_node *node;

	pthread_mutex_lock(&vm->lock);
	node = udrm_mm_interval_first(&vm->kva, va, va);
	if (node && node->start == va && node->size == size) {
		simgpu_pt_unmap(&vm->pt, va, size);
		udrm_mm_remove_node(node);
		free(udrm_gpuvm_entry(node, struct simgpu_kva, node));
		vm_flush(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

void simgpu_vm_report_fault(struct simgpu_vm *vm, uint64_t va, uint32_t access)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->faulted) {
		vm->faulted = true;
		vm->fault_va = va;
		vm->fault_access = access;
	}
	pthread_mutex_unlock(&vm->lock);
}

/* --- before a job --- */

int simgpu_vm_prepare_job(struct simgpu_vm *vm, struct udrm_fence *fence)
{
	struct udrm_gpuvm_exec exec;
	struct udrm_gpuvm_bo *vm_bo;
	bool changed = false;
	int ret;

	pthread_mutex_lock(&vm->lock);
	udrm_gpuvm_exec_init(&exec, &vm->base, 1);
	ret = udrm_gpuvm_exec_lock(&exec);
	if (ret)
		goto out;
	ret = udrm_gpuvm_validate(&vm->base, &exec, &changed);
	if (changed)
		vm_flush(vm);
	if (ret)
		goto out;
	/* Used now: least likely to be evicted next. */
	for (struct udrm_gpuvm_link *l = vm->base.bo_list.next;
	     l != &vm->base.bo_list; l = l->next) {
		vm_bo = udrm_gpuvm_entry(l, struct udrm_gpuvm_bo, vm_entry);
		simgpu_gem_touch(vm->sdev, vm_bo->obj);
	}
	if (fence)
		udrm_gpuvm_resv_add_fence(&vm->base, &exec, fence,
					  UDRM_RESV_USAGE_BOOKKEEP,
					  UDRM_RESV_USAGE_BOOKKEEP);
out:
	udrm_gpuvm_exec_fini(&exec);
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* --- VM_BIND --- */

/* One checked op with what it needs. */
struct bind_op {
	uint32_t type;
	uint32_t flags;
	struct udrm_gem_object *obj; /* map: a reference */
	uint64_t bo_offset, va, size;
};

static int bind_op_check(struct udrm_file *file, struct simgpu_vm *vm,
			 const struct drm_simgpu_vm_bind_op *uop, bool async,
			 struct bind_op *op)
{
	uint32_t type = uop->flags & DRM_SIMGPU_VM_BIND_OP_TYPE_MASK;
	int ret;

	memset(op, 0, sizeof(*op));
	if (uop->syncs.count && !async)
		return -EINVAL;
	op->type = type;
	op->flags = uop->flags & ~DRM_SIMGPU_VM_BIND_OP_TYPE_MASK;
	if (type == DRM_SIMGPU_VM_BIND_OP_TYPE_SYNC_ONLY) {
		if (!async || op->flags || uop->bo_handle || uop->bo_offset ||
		    uop->va || uop->size)
			return -EINVAL;
		return 0;
	}
	if (type != DRM_SIMGPU_VM_BIND_OP_TYPE_MAP &&
	    type != DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP)
		return -EINVAL;
	if ((uop->va | uop->size | uop->bo_offset) & SIMGPU_PAGE_MASK ||
	    !uop->size || uop->va > vm->user_va_range ||
	    uop->size > vm->user_va_range - uop->va)
		return -EINVAL;
	op->va = uop->va;
	op->size = uop->size;
	if (type == DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP) {
		if (op->flags || uop->bo_handle || uop->bo_offset)
			return -EINVAL;
		return 0;
	}
	if (op->flags & ~DRM_SIMGPU_VM_BIND_OP_MAP_READONLY)
		return -EINVAL;
	/* As Panthor: an unknown handle is an invalid argument here. */
	op->obj = udrm_gem_object_lookup(file, uop->bo_handle);
	if (!op->obj)
		return -EINVAL;
	op->bo_offset = uop->bo_offset;
	ret = -EINVAL;
	if (op->size > op->obj->size ||
	    op->bo_offset > op->obj->size - op->size)
		goto err;
	ret = simgpu_bo_check_vm(op->obj, vm);
	if (ret)
		goto err;
	return 0;
err:
	udrm_gem_object_put(op->obj);
	op->obj = NULL;
	return ret;
}

static void bind_op_fini(struct bind_op *op)
{
	udrm_gem_object_put(op->obj);
	op->obj = NULL;
}

/* The vm_bo of (@vm, @obj), made and linked when new. vm->lock. */
static int vm_bo_get(struct simgpu_vm *vm, struct udrm_gem_object *obj,
		     struct udrm_gpuvm_bo **out)
{
	struct udrm_gpuvm_bo *vm_bo;
	int ret;

	ret = udrm_gpuvm_bo_obtain(&vm->base, obj, &vm_bo);
	if (ret)
		return ret;
	if (!to_simgpu_vm_bo(vm_bo)->linked) {
		ret = simgpu_gem_link_vm_bo(vm->sdev, to_simgpu_vm_bo(vm_bo));
		if (ret) {
			udrm_gpuvm_bo_put(vm_bo);
			return ret;
		}
		to_simgpu_vm_bo(vm_bo)->linked = true;
		udrm_gpuvm_bo_extobj_add(vm_bo);
	}
	*out = vm_bo;
	return 0;
}

/*
 * Applies one checked op to @vm: 0, or -ENOMEM when page tables (or
 * memory) cannot be had, the ops before it and the steps before the
 * failure staying applied. Takes vm->lock.
 */
static int bind_op_exec(struct simgpu_vm *vm, const struct bind_op *op)
{
	struct bind_ctx ctx = {.vm = vm};
	unsigned int i;
	int ret = 0;

	if (op->type == DRM_SIMGPU_VM_BIND_OP_TYPE_SYNC_ONLY)
		return 0;
	for (i = 0; i < 3; i++) {
		ctx.new[i] = calloc(1, sizeof(*ctx.new[i]));
		if (!ctx.new[i]) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	pthread_mutex_lock(&vm->lock);
	if (op->type == DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP) {
		ret = udrm_gpuvm_sm_unmap(&vm->base, &ctx, op->va, op->size);
		goto out_flush;
	}

	/* Linked first, so that nobody evicts the buffer while we map it
	 * (eviction needs this VM's lock). */
	ret = vm_bo_get(vm, op->obj, &ctx.vm_bo);
	if (ret)
		goto out_unlock;
	udrm_resv_lock(op->obj->resv);
	ret = simgpu_gem_make_resident(vm->sdev, op->obj, &ctx.pa);
	udrm_resv_unlock(op->obj->resv);
	if (ret && ret != -ENOSPC)
		goto out_put;
	ctx.resident = !ret;
	/* An evicted vm_bo whose buffer is back: its other mappings too. */
	if (ctx.resident && ctx.vm_bo->evicted) {
		ret = vm_bo_write_ptes(vm, ctx.vm_bo, ctx.pa);
		if (ret)
			goto out_put;
		udrm_gpuvm_bo_evict(ctx.vm_bo, false);
	}
	ctx.va_flags = (op->flags & DRM_SIMGPU_VM_BIND_OP_MAP_READONLY)
			       ? SIMGPU_VA_READONLY
			       : 0;
	{
		struct udrm_gpuva_op_map req = {
			.va = {op->va, op->size},
			.gem = {op->bo_offset, op->obj},
		};

		ret = udrm_gpuvm_sm_map(&vm->base, &ctx, &req);
	}
out_put:
	udrm_gpuvm_bo_put(ctx.vm_bo);
out_flush:
	vm_flush(vm);
out_unlock:
	pthread_mutex_unlock(&vm->lock);
out_free:
	for (i = 0; i < 3; i++)
		free(ctx.new[i]);
	return ret == -ENOSPC ? -ENOMEM : ret;
}

/* An ASYNC op on the VM's bind queue. */
struct bind_job {
	struct udrm_sched_job base;
	struct simgpu_vm *vm; /* lives until its bind queue is torn down */
	struct bind_op op;
};

static struct bind_job *to_bind_job(struct udrm_sched_job *job)
{
	return udrm_gpuvm_entry(job, struct bind_job, base);
}

static struct udrm_fence *bind_run_job(struct udrm_sched_job *sched_job)
{
	struct bind_job *job = to_bind_job(sched_job);
	struct simgpu_vm *vm = job->vm;
	int ret = -EINVAL;

	if (!simgpu_vm_is_unusable(vm))
		ret = bind_op_exec(vm, &job->op);
	if (ret) {
		/* As Panthor: an async bind that failed leaves the VM in a
		 * state nobody asked for; refuse it from now on. */
		atomic_store(&vm->unusable, true);
		udrm_fence_set_error(udrm_sched_job_finished(sched_job), ret);
	}
	return NULL;
}

static void bind_free_job(struct udrm_sched_job *sched_job)
{
	struct bind_job *job = to_bind_job(sched_job);

	udrm_sched_job_cleanup(sched_job);
	bind_op_fini(&job->op);
	free(job);
}

static const struct udrm_sched_backend_ops bind_sched_ops = {
	.run_job = bind_run_job,
	.free_job = bind_free_job,
};

/* The bind queue, made on first use. */
static int vm_bind_queue(struct simgpu_vm *vm)
{
	struct udrm_sched_init_args args = {
		.ops = &bind_sched_ops,
		.name = "simgpu-vm-bind",
		.credit_limit = 1,
		.policy = UDRM_SCHED_POLICY_FIFO,
	};
	struct udrm_gpu_scheduler *sched = &vm->bind_sched;
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->bind_ready)
		goto out;
	ret = udrm_sched_init(&vm->bind_sched, &args);
	if (ret)
		goto out;
	ret = udrm_sched_entity_init(&vm->bind_entity,
				     UDRM_SCHED_PRIORITY_NORMAL, &sched, 1);
	if (ret) {
		udrm_sched_fini(&vm->bind_sched);
		goto out;
	}
	vm->bind_ready = true;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/*
 * Queues the checked @ops as jobs: every sync parsed and every job made
 * first (nothing queued on an error), then armed, pushed and its signal
 * syncs given its finished fence, in order. The ops' buffer references
 * move to the jobs.
 */
static int vm_bind_async(struct udrm_file *file, struct simgpu_vm *vm,
			 const struct drm_simgpu_vm_bind_op *uops,
			 struct bind_op *ops, uint32_t count)
{
	struct simgpu_syncs *syncs;
	struct bind_job **jobs;
	uint32_t i, n;
	int ret;

	ret = vm_bind_queue(vm);
	if (ret)
		return ret;
	jobs = calloc(count, sizeof(*jobs));
	syncs = calloc(count, sizeof(*syncs));
	if (!jobs || !syncs) {
		ret = -ENOMEM;
		goto out;
	}
	for (n = 0; n < count; n++) {
		ret = simgpu_syncs_parse(file, &uops[n].syncs, &syncs[n]);
		if (ret)
			goto err;
		jobs[n] = calloc(1, sizeof(*jobs[n]));
		if (!jobs[n]) {
			ret = -ENOMEM;
			goto err;
		}
		jobs[n]->vm = vm;
		ret = udrm_sched_job_init(&jobs[n]->base, &vm->bind_entity, 1);
		if (ret) {
			free(jobs[n]);
			jobs[n] = NULL;
			goto err;
		}
		ret = simgpu_syncs_add_deps(&syncs[n], &jobs[n]->base);
		if (ret)
			goto err;
	}
	/* Nothing fails from here on. */
	for (i = 0; i < count; i++) {
		struct udrm_fence *done;

		jobs[i]->op = ops[i];
		ops[i].obj = NULL;
		udrm_sched_job_arm(&jobs[i]->base);
		done = udrm_fence_get(udrm_sched_job_finished(&jobs[i]->base));
		udrm_sched_entity_push_job(&jobs[i]->base);
		simgpu_syncs_signal(&syncs[i], done);
		udrm_fence_put(done);
	}
	n = count;
	goto out;
err:
	for (i = 0; i <= n && i < count; i++) {
		if (!jobs[i])
			continue;
		udrm_sched_job_cleanup(&jobs[i]->base);
		free(jobs[i]);
	}
out:
	for (i = 0; syncs && i < count; i++)
		simgpu_syncs_fini(&syncs[i]);
	free(syncs);
	free(jobs);
	return ret;
}

int simgpu_vm_bind_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file)
{
	struct drm_simgpu_vm_bind *args = data;
	struct drm_simgpu_vm_bind_op *uops = NULL;
	bool async = args->flags & DRM_SIMGPU_VM_BIND_ASYNC;
	struct bind_op *ops = NULL;
	struct simgpu_vm *vm;
	uint32_t i, checked = 0;
	int ret;

	(void)dev;
	if (args->flags & ~DRM_SIMGPU_VM_BIND_ASYNC)
		return -EINVAL;
	vm = simgpu_vm_lookup(simgpu_file(file), args->vm_id);
	if (!vm)
		return -EINVAL;
	ret = -EINVAL;
	if (simgpu_vm_is_unusable(vm))
		goto out_count;
	ret = simgpu_obj_array_copy(file, &args->ops, sizeof(*uops),
				    sizeof(*uops), (void **)&uops);
	if (ret || !uops)
		goto out_count;
	ops = calloc(args->ops.count, sizeof(*ops));
	if (!ops) {
		ret = -ENOMEM;
		goto out_count;
	}
	/* Everything is checked before anything is done. */
	for (checked = 0; checked < args->ops.count; checked++) {
		ret = bind_op_check(file, vm, &uops[checked], async,
				    &ops[checked]);
		if (ret)
			goto out_count;
	}
	if (async) {
		ret = vm_bind_async(file, vm, uops, ops, args->ops.count);
		goto out;
	}
	for (i = 0; i < args->ops.count; i++) {
		ret = bind_op_exec(vm, &ops[i]);
		if (ret) {
			args->ops.count = i;
			goto out;
		}
	}
	goto out;
out_count:
	/* Nothing was done. */
	if (ret)
		args->ops.count = 0;
out:
	for (i = 0; i < checked; i++)
		bind_op_fini(&ops[i]);
	free(ops);
	free(uops);
	simgpu_vm_put(vm);
	return ret;
}

/* --- VM ioctls --- */

int simgpu_vm_create_ioctl(struct udrm_device *dev, void *data,
			   struct udrm_file *file)
{
	struct simgpu_file *sfile = simgpu_file(file);
	struct drm_simgpu_vm_create *args = data;
	uint64_t range = args->user_va_range;
	struct simgpu_vm *vm;
	int64_t id;
	int ret;

	if (args->flags)
		return -EINVAL;
	if (!range)
		range = SIMGPU_USER_VA_MAX;
	if ((range & SIMGPU_PAGE_MASK) || range > SIMGPU_USER_VA_MAX)
		return -EINVAL;
	ret = vm_create(simgpu_device(dev), range, &vm);
	if (ret)
		return ret == -ENOSPC ? -ENOMEM : ret;
	pthread_mutex_lock(&sfile->lock);
	id = udrm_idr_alloc(&sfile->vms, vm);
	pthread_mutex_unlock(&sfile->lock);
	if (id < 0) {
		simgpu_vm_put(vm);
		return (int)id;
	}
	args->id = (uint32_t)id;
	return 0;
}

int simgpu_vm_destroy_ioctl(struct udrm_device *dev, void *data,
			    struct udrm_file *file)
{
	struct simgpu_file *sfile = simgpu_file(file);
	struct drm_simgpu_vm_destroy *args = data;
	struct simgpu_vm *vm;

	(void)dev;
	if (args->pad)
		return -EINVAL;
	pthread_mutex_lock(&sfile->lock);
	vm = udrm_idr_find(&sfile->vms, args->id)
		     ? udrm_idr_remove(&sfile->vms, args->id)
		     : NULL;
	pthread_mutex_unlock(&sfile->lock);
	if (!vm)
		return -EINVAL;
	simgpu_vm_put(vm);
	return 0;
}

int simgpu_vm_get_state_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct drm_simgpu_vm_get_state *args = data;
	struct simgpu_vm *vm;

	(void)dev;
	if (args->pad)
		return -EINVAL;
	vm = simgpu_vm_lookup(simgpu_file(file), args->vm_id);
	if (!vm)
		return -EINVAL;
	args->state = 0;
	if (simgpu_vm_is_unusable(vm))
		args->state |= DRM_SIMGPU_VM_STATE_UNUSABLE;
	pthread_mutex_lock(&vm->lock);
	args->fault_va = vm->faulted ? vm->fault_va : 0;
	args->fault_access = vm->faulted ? vm->fault_access : 0;
	if (vm->faulted)
		args->state |= DRM_SIMGPU_VM_STATE_FAULTED;
	pthread_mutex_unlock(&vm->lock);
	simgpu_vm_put(vm);
	return 0;
}
