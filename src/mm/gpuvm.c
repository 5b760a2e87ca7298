/* SPDX-License-Identifier: MIT */
/*
 * GPUVM: VA space, mappings, vm_bos and the split/merge engine. See gpuvm.h
 * for ownership and locking.
 */
#include "mm/gpuvm.h"

#include <errno.h>
#include <stdlib.h>

#include "core/gem.h"

static void link_init(struct udrm_gpuvm_link *l)
{
	l->prev = l;
	l->next = l;
}

static bool link_empty(const struct udrm_gpuvm_link *l)
{
	return l->next == l;
}

static void link_insert_after(struct udrm_gpuvm_link *pos,
			      struct udrm_gpuvm_link *l)
{
	l->prev = pos;
	l->next = pos->next;
	pos->next->prev = l;
	pos->next = l;
}

static void link_del_init(struct udrm_gpuvm_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

static unsigned int link_count(const struct udrm_gpuvm_link *head)
{
	unsigned int n = 0;

	for (const struct udrm_gpuvm_link *l = head->next; l != head;
	     l = l->next)
		n++;
	return n;
}

/* --- ranges --- */

static bool range_overflows(uint64_t addr, uint64_t range)
{
	uint64_t end;

	return __builtin_add_overflow(addr, range, &end);
}

static bool in_mm_range(const struct udrm_gpuvm *vm, uint64_t addr,
			uint64_t range)
{
	return addr >= vm->mm_start &&
	       addr + range <= vm->mm_start + vm->mm_range;
}

static bool in_kernel_node(const struct udrm_gpuvm *vm, uint64_t addr,
			   uint64_t range)
{
	uint64_t kstart = vm->kernel_alloc_node.va.addr;
	uint64_t krange = vm->kernel_alloc_node.va.range;

	return krange && addr < kstart + krange && kstart < addr + range;
}

bool udrm_gpuvm_range_valid(const struct udrm_gpuvm *vm, uint64_t addr,
			    uint64_t range)
{
	return range && !range_overflows(addr, range) &&
	       in_mm_range(vm, addr, range) && !in_kernel_node(vm, addr, range);
}

/* --- the AVL tree, keyed by va.addr --- */

static int avl_height(const struct udrm_gpuva *n)
{
	return n ? n->rb.height : 0;
}

static void avl_update(struct udrm_gpuva *n)
{
	int l = avl_height(n->rb.left), r = avl_height(n->rb.right);

	n->rb.height = 1 + (l > r ? l : r);
}

static struct udrm_gpuva *avl_rotate_right(struct udrm_gpuva *n)
{
	struct udrm_gpuva *l = n->rb.left;

	n->rb.left = l->rb.right;
	l->rb.right = n;
	avl_update(n);
	avl_update(l);
	return l;
}

static struct udrm_gpuva *avl_rotate_left(struct udrm_gpuva *n)
{
	struct udrm_gpuva *r = n->rb.right;

	n->rb.right = r->rb.left;
	r->rb.left = n;
	avl_update(n);
	avl_update(r);
	return r;
}

static struct udrm_gpuva *avl_balance(struct udrm_gpuva *n)
{
	int bf;

	avl_update(n);
	bf = avl_height(n->rb.left) - avl_height(n->rb.right);
	if (bf > 1) {
		if (avl_height(n->rb.left->rb.left) <
		    avl_height(n->rb.left->rb.right))
			n->rb.left = avl_rotate_left(n->rb.left);
		return avl_rotate_right(n);
	}
	if (bf < -1) {
		if (avl_height(n->rb.right->rb.right) <
		    avl_height(n->rb.right->rb.left))
			n->rb.right = avl_rotate_right(n->rb.right);
		return avl_rotate_left(n);
	}
	return n;
}

static struct udrm_gpuva *avl_insert(struct udrm_gpuva *n,
				     struct udrm_gpuva *va)
{
	if (!n)
		return va;
	if (va->va.addr < n->va.addr)
		n->rb.left = avl_insert(n->rb.left, va);
	else
		n->rb.right = avl_insert(n->rb.right, va);
	return avl_balance(n);
}

static struct udrm_gpuva *avl_remove_min(struct udrm_gpuva *n,
					 struct udrm_gpuva **min)
{
	if (!n->rb.left) {
		*min = n;
		return n->rb.right;
	}
	n->rb.left = avl_remove_min(n->rb.left, min);
	return avl_balance(n);
}

static struct udrm_gpuva *avl_remove(struct udrm_gpuva *n,
				     struct udrm_gpuva *va)
{
	struct udrm_gpuva *min;

	if (!n)
		return NULL;
	if (va->va.addr < n->va.addr) {
		n->rb.left = avl_remove(n->rb.left, va);
	} else if (va->va.addr > n->va.addr) {
		n->rb.right = avl_remove(n->rb.right, va);
	} else {
		if (!n->rb.right)
			return n->rb.left;
		n->rb.right = avl_remove_min(n->rb.right, &min);
		min->rb.left = n->rb.left;
		min->rb.right = n->rb.right;
		return avl_balance(min);
	}
	return avl_balance(n);
}

/* The lowest mapping ending above @addr (mappings do not overlap, so their
 * ends are in the same order as their starts). */
static struct udrm_gpuva *first_ending_above(const struct udrm_gpuvm *vm,
					     uint64_t addr)
{
	struct udrm_gpuva *n = vm->rb.root, *best = NULL;

	while (n) {
		if (n->va.addr + n->va.range > addr) {
			best = n;
			n = n->rb.left;
		} else {
			n = n->rb.right;
		}
	}
	return best;
}

static struct udrm_gpuva *va_of_link(const struct udrm_gpuvm *vm,
				     const struct udrm_gpuvm_link *l)
{
	if (l == &vm->rb.list)
		return NULL;
	return udrm_gpuvm_entry(l, struct udrm_gpuva, rb.entry);
}

struct udrm_gpuva *udrm_gpuva_find_first(const struct udrm_gpuvm *vm,
					 uint64_t addr, uint64_t range)
{
	struct udrm_gpuva *va;
	uint64_t end;

	if (!range)
		return NULL;
	if (__builtin_add_overflow(addr, range, &end))
		end = UINT64_MAX;
	va = first_ending_above(vm, addr);
	return va && va->va.addr < end ? va : NULL;
}

struct udrm_gpuva *udrm_gpuva_find(const struct udrm_gpuvm *vm, uint64_t addr,
				   uint64_t range)
{
	struct udrm_gpuva *va = udrm_gpuva_find_first(vm, addr, range);

	if (va && va->va.addr == addr && va->va.range == range)
		return va;
	return NULL;
}

struct udrm_gpuva *udrm_gpuva_find_prev(const struct udrm_gpuvm *vm,
					uint64_t start)
{
	struct udrm_gpuva *va;

	if (start <= vm->mm_start)
		return NULL;
	va = udrm_gpuva_find_first(vm, start - 1, 1);
	return va && va->va.addr + va->va.range == start ? va : NULL;
}

struct udrm_gpuva *udrm_gpuva_find_next(const struct udrm_gpuvm *vm,
					uint64_t end)
{
	struct udrm_gpuva *va = udrm_gpuva_find_first(vm, end, 1);

	return va && va->va.addr == end ? va : NULL;
}

struct udrm_gpuva *udrm_gpuvm_first_va(const struct udrm_gpuvm *vm)
{
	return va_of_link(vm, vm->rb.list.next);
}

struct udrm_gpuva *udrm_gpuva_next(const struct udrm_gpuva *va)
{
	return va_of_link(va->vm, va->rb.entry.next);
}

struct udrm_gpuva *udrm_gpuva_prev(const struct udrm_gpuva *va)
{
	return va_of_link(va->vm, va->rb.entry.prev);
}

struct udrm_gpuva *udrm_gpuva_next_in_range(const struct udrm_gpuva *va,
					    uint64_t end)
{
	struct udrm_gpuva *next = udrm_gpuva_next(va);

	return next && next->va.addr < end ? next : NULL;
}

bool udrm_gpuvm_interval_empty(const struct udrm_gpuvm *vm, uint64_t addr,
			       uint64_t range)
{
	return !udrm_gpuva_find_first(vm, addr, range);
}

/* Links @va into the tree and the address-ordered list; no checks. */
static void tree_insert(struct udrm_gpuvm *vm, struct udrm_gpuva *va)
{
	struct udrm_gpuva *after = first_ending_above(vm, va->va.addr);

	va->vm = vm;
	va->rb.left = NULL;
	va->rb.right = NULL;
	va->rb.height = 1;
	vm->rb.root = avl_insert(vm->rb.root, va);
	/* @after is the mapping following @va, if any. */
	link_insert_after(after ? after->rb.entry.prev : vm->rb.list.prev,
			  &va->rb.entry);
}

static void tree_remove(struct udrm_gpuva *va)
{
	struct udrm_gpuvm *vm = va->vm;

	vm->rb.root = avl_remove(vm->rb.root, va);
	link_del_init(&va->rb.entry);
	va->vm = NULL;
}

static int tree_check_insert(struct udrm_gpuvm *vm, struct udrm_gpuva *va)
{
	if (!udrm_gpuvm_range_valid(vm, va->va.addr, va->va.range))
		return -EINVAL;
	if (udrm_gpuva_find_first(vm, va->va.addr, va->va.range))
		return -EEXIST;
	tree_insert(vm, va);
	return 0;
}

int udrm_gpuva_insert(struct udrm_gpuvm *vm, struct udrm_gpuva *va)
{
	int ret = tree_check_insert(vm, va);

	/* Each mapping keeps the VM alive; the reserved node does not. */
	if (!ret)
		udrm_gpuvm_get(vm);
	return ret;
}

void udrm_gpuva_remove(struct udrm_gpuva *va)
{
	struct udrm_gpuvm *vm = va->vm;

	if (!vm)
		return;
	tree_remove(va);
	udrm_gpuvm_put(vm);
}

/* --- the VM --- */

int udrm_gpuvm_init(struct udrm_gpuvm *vm, const char *name,
		    struct udrm_gem_object *r_obj, uint64_t start,
		    uint64_t range, uint64_t reserve_offset,
		    uint64_t reserve_range, const struct udrm_gpuvm_ops *ops)
{
	if (!range || range_overflows(start, range) || !r_obj || !ops ||
	    !ops->vm_free)
		return -EINVAL;
	if (!!ops->vm_bo_alloc != !!ops->vm_bo_free)
		return -EINVAL;

	*vm = (struct udrm_gpuvm){
		.name = name ? name : "GPUVM",
		.mm_start = start,
		.mm_range = range,
		.ops = ops,
	};
	atomic_init(&vm->refcount, 1);
	link_init(&vm->rb.list);
	link_init(&vm->bo_list);
	link_init(&vm->extobj_list);
	link_init(&vm->evict_list);
	link_init(&vm->kernel_alloc_node.rb.entry);
	link_init(&vm->kernel_alloc_node.gem.entry);

	if (reserve_range) {
		vm->kernel_alloc_node.va.addr = reserve_offset;
		vm->kernel_alloc_node.va.range = reserve_range;
		if (range_overflows(reserve_offset, reserve_range) ||
		    !in_mm_range(vm, reserve_offset, reserve_range))
			return -EINVAL;
		tree_insert(vm, &vm->kernel_alloc_node);
	}

	udrm_gem_object_get(r_obj);
	vm->r_obj = r_obj;
	return 0;
}

void udrm_gpuvm_fini(struct udrm_gpuvm *vm)
{
	if (vm->kernel_alloc_node.va.range && vm->kernel_alloc_node.vm)
		tree_remove(&vm->kernel_alloc_node);
	if (vm->r_obj)
		udrm_gem_object_put(vm->r_obj);
	vm->r_obj = NULL;
}

struct udrm_gpuvm *udrm_gpuvm_get(struct udrm_gpuvm *vm)
{
	atomic_fetch_add(&vm->refcount, 1);
	return vm;
}

void udrm_gpuvm_put(struct udrm_gpuvm *vm)
{
	if (!vm || atomic_fetch_sub(&vm->refcount, 1) != 1)
		return;
	udrm_gpuvm_fini(vm);
	vm->ops->vm_free(vm);
}

struct udrm_resv *udrm_gpuvm_resv(const struct udrm_gpuvm *vm)
{
	return vm->r_obj->resv;
}

bool udrm_gpuvm_is_extobj(const struct udrm_gpuvm *vm,
			  const struct udrm_gem_object *obj)
{
	return obj && obj->resv != udrm_gpuvm_resv(vm);
}

/* --- vm_bo --- */

static struct udrm_gpuvm_bo *bo_lookup(struct udrm_gpuvm *vm,
				       struct udrm_gem_object *obj)
{
	for (struct udrm_gpuvm_link *l = vm->bo_list.next; l != &vm->bo_list;
	     l = l->next) {
		struct udrm_gpuvm_bo *vm_bo =
			udrm_gpuvm_entry(l, struct udrm_gpuvm_bo, vm_entry);

		if (vm_bo->obj == obj)
			return vm_bo;
	}
	return NULL;
}

struct udrm_gpuvm_bo *udrm_gpuvm_bo_get(struct udrm_gpuvm_bo *vm_bo)
{
	vm_bo->refcount++;
	return vm_bo;
}

/* The GEM object's gpuva list (udrm_gem_for_each_gpuvm_bo), whose head
 * is set up on first use: zero means empty. obj->resv held. */
static void gem_list_add_tail(struct udrm_gem_object *obj,
			      struct udrm_gpuvm_bo *vm_bo)
{
	struct udrm_gpuvm_link *head = &obj->gpuva.list;

	if (!head->next)
		link_init(head);
	link_insert_after(head->prev, &vm_bo->gem_entry);
}

/* No-op for a vm_bo that was never linked. obj->resv held. */
static void gem_list_del(struct udrm_gpuvm_bo *vm_bo)
{
	if (vm_bo->gem_entry.next)
		link_del_init(&vm_bo->gem_entry);
}

unsigned int udrm_gem_gpuvm_bo_count(const struct udrm_gem_object *obj)
{
	return obj->gpuva.list.next ? link_count(&obj->gpuva.list) : 0;
}

int udrm_gpuvm_set_flags(struct udrm_gpuvm *vm, unsigned int flags)
{
	if (flags & ~(unsigned int)UDRM_GPUVM_GEM_LIST)
		return -EINVAL;
	if (!link_empty(&vm->bo_list))
		return -EBUSY;
	vm->flags = flags;
	return 0;
}

struct udrm_gpuvm_bo *udrm_gpuvm_bo_find(struct udrm_gpuvm *vm,
					 struct udrm_gem_object *obj)
{
	struct udrm_gpuvm_bo *vm_bo = bo_lookup(vm, obj);

	return vm_bo ? udrm_gpuvm_bo_get(vm_bo) : NULL;
}

int udrm_gpuvm_bo_obtain(struct udrm_gpuvm *vm, struct udrm_gem_object *obj,
			 struct udrm_gpuvm_bo **out)
{
	struct udrm_gpuvm_bo *vm_bo = udrm_gpuvm_bo_find(vm, obj);

	if (vm_bo) {
		*out = vm_bo;
		return 0;
	}
	vm_bo = vm->ops->vm_bo_alloc ? vm->ops->vm_bo_alloc()
				     : calloc(1, sizeof(*vm_bo));
	if (!vm_bo)
		return -ENOMEM;
	vm_bo->vm = udrm_gpuvm_get(vm);
	udrm_gem_object_get(obj);
	vm_bo->obj = obj;
	vm_bo->refcount = 1;
	link_init(&vm_bo->gpuva_list);
	link_init(&vm_bo->extobj_entry);
	link_init(&vm_bo->evict_entry);
	link_insert_after(vm->bo_list.prev, &vm_bo->vm_entry);
	if (vm->flags & UDRM_GPUVM_GEM_LIST)
		gem_list_add_tail(obj, vm_bo);
	*out = vm_bo;
	return 0;
}

void udrm_gpuvm_bo_put(struct udrm_gpuvm_bo *vm_bo)
{
	struct udrm_gpuvm *vm;
	struct udrm_gem_object *obj;

	if (!vm_bo || --vm_bo->refcount)
		return;
	vm = vm_bo->vm;
	obj = vm_bo->obj;
	link_del_init(&vm_bo->vm_entry);
	link_del_init(&vm_bo->extobj_entry);
	link_del_init(&vm_bo->evict_entry);
	gem_list_del(vm_bo);
	if (vm->ops->vm_bo_free)
		vm->ops->vm_bo_free(vm_bo);
	else
		free(vm_bo);
	udrm_gem_object_put(obj);
	udrm_gpuvm_put(vm);
}

void udrm_gpuvm_bo_extobj_add(struct udrm_gpuvm_bo *vm_bo)
{
	struct udrm_gpuvm *vm = vm_bo->vm;

	if (udrm_gpuvm_is_extobj(vm, vm_bo->obj) &&
	    link_empty(&vm_bo->extobj_entry))
		link_insert_after(vm->extobj_list.prev, &vm_bo->extobj_entry);
}

void udrm_gpuvm_bo_evict(struct udrm_gpuvm_bo *vm_bo, bool evict)
{
	struct udrm_gpuvm *vm = vm_bo->vm;

	vm_bo->evicted = evict;
	if (evict && link_empty(&vm_bo->evict_entry))
		link_insert_after(vm->evict_list.prev, &vm_bo->evict_entry);
	else if (!evict)
		link_del_init(&vm_bo->evict_entry);
}

unsigned int udrm_gpuvm_extobj_count(const struct udrm_gpuvm *vm)
{
	return link_count(&vm->extobj_list);
}

unsigned int udrm_gpuvm_evict_count(const struct udrm_gpuvm *vm)
{
	return link_count(&vm->evict_list);
}

void udrm_gpuva_link(struct udrm_gpuva *va, struct udrm_gpuvm_bo *vm_bo)
{
	va->vm_bo = udrm_gpuvm_bo_get(vm_bo);
	link_insert_after(vm_bo->gpuva_list.prev, &va->gem.entry);
}

void udrm_gpuva_unlink(struct udrm_gpuva *va)
{
	struct udrm_gpuvm_bo *vm_bo = va->vm_bo;

	if (!vm_bo)
		return;
	link_del_init(&va->gem.entry);
	va->vm_bo = NULL;
	udrm_gpuvm_bo_put(vm_bo);
}

/* --- applying steps --- */

static void va_init_from_op(struct udrm_gpuva *va,
			    const struct udrm_gpuva_op_map *op)
{
	va->va.addr = op->va.addr;
	va->va.range = op->va.range;
	va->gem.obj = op->gem.obj;
	va->gem.offset = op->gem.offset;
	va->flags = op->flags;
	va->vm_bo = NULL;
	link_init(&va->gem.entry);
}

int udrm_gpuva_map(struct udrm_gpuvm *vm, struct udrm_gpuva *va,
		   const struct udrm_gpuva_op_map *op)
{
	va_init_from_op(va, op);
	return udrm_gpuva_insert(vm, va);
}

void udrm_gpuva_remap(struct udrm_gpuva *prev, struct udrm_gpuva *next,
		      const struct udrm_gpuva_op_remap *op)
{
	struct udrm_gpuva *old = op->unmap->va;
	struct udrm_gpuvm *vm = old->vm;

	/* Hold the VM across the swap: @old may carry its last reference. */
	udrm_gpuvm_get(vm);
	udrm_gpuva_remove(old);
	if (op->prev && prev)
		udrm_gpuva_map(vm, prev, op->prev);
	if (op->next && next)
		udrm_gpuva_map(vm, next, op->next);
	udrm_gpuvm_put(vm);
}

void udrm_gpuva_unmap(const struct udrm_gpuva_op_unmap *op)
{
	udrm_gpuva_remove(op->va);
}

/* --- split/merge --- */

/* Where the steps go: the VM's callbacks, or an op list. */
struct sm_sink {
	int (*step)(struct sm_sink *sink, struct udrm_gpuva_op *op);
	struct udrm_gpuvm *vm;
	void *priv;
	struct udrm_gpuva_ops *ops;
};

static int sink_callbacks(struct sm_sink *sink, struct udrm_gpuva_op *op)
{
	const struct udrm_gpuvm_ops *fn = sink->vm->ops;

	switch (op->op) {
	case UDRM_GPUVA_OP_MAP:
		return fn->sm_step_map(op, sink->priv);
	case UDRM_GPUVA_OP_REMAP:
		return fn->sm_step_remap(op, sink->priv);
	case UDRM_GPUVA_OP_UNMAP:
		return fn->sm_step_unmap(op, sink->priv);
	}
	return -EINVAL;
}

static int sink_list(struct sm_sink *sink, struct udrm_gpuva_op *op)
{
	struct udrm_gpuva_op *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	copy->op = op->op;
	switch (op->op) {
	case UDRM_GPUVA_OP_MAP:
		copy->map = op->map;
		break;
	case UDRM_GPUVA_OP_UNMAP:
		copy->unmap = op->unmap;
		break;
	case UDRM_GPUVA_OP_REMAP:
		/* Point into the op's own storage, not the walker's stack. */
		copy->remap_unmap = *op->remap.unmap;
		copy->remap.unmap = &copy->remap_unmap;
		if (op->remap.prev) {
			copy->remap_prev = *op->remap.prev;
			copy->remap.prev = &copy->remap_prev;
		}
		if (op->remap.next) {
			copy->remap_next = *op->remap.next;
			copy->remap.next = &copy->remap_next;
		}
		break;
	}
	link_insert_after(sink->ops->list.prev, &copy->entry);
	sink->ops->count++;
	return 0;
}

static int emit_unmap(struct sm_sink *sink, struct udrm_gpuva *va, bool keep)
{
	struct udrm_gpuva_op op = {.op = UDRM_GPUVA_OP_UNMAP};

	op.unmap.va = va;
	op.unmap.keep = keep;
	return sink->step(sink, &op);
}

static int emit_remap(struct sm_sink *sink, struct udrm_gpuva_op_map *prev,
		      struct udrm_gpuva_op_map *next,
		      struct udrm_gpuva_op_unmap *unmap)
{
	struct udrm_gpuva_op op = {.op = UDRM_GPUVA_OP_REMAP};

	op.remap.prev = prev;
	op.remap.next = next;
	op.remap.unmap = unmap;
	return sink->step(sink, &op);
}

static int emit_map(struct sm_sink *sink, const struct udrm_gpuva_op_map *req)
{
	struct udrm_gpuva_op op = {.op = UDRM_GPUVA_OP_MAP};

	op.map = *req;
	return sink->step(sink, &op);
}

/* The part of @va from @from on, as a mapping of its own. */
static struct udrm_gpuva_op_map tail_of(const struct udrm_gpuva *va,
					uint64_t from)
{
	struct udrm_gpuva_op_map m = {
		.va.addr = from,
		.va.range = va->va.addr + va->va.range - from,
		.gem.obj = va->gem.obj,
		.gem.offset = va->gem.offset + (from - va->va.addr),
		.flags = va->flags,
	};
	return m;
}

/* The part of @va below @to. */
static struct udrm_gpuva_op_map head_of(const struct udrm_gpuva *va,
					uint64_t to)
{
	struct udrm_gpuva_op_map m = {
		.va.addr = va->va.addr,
		.va.range = to - va->va.addr,
		.gem.obj = va->gem.obj,
		.gem.offset = va->gem.offset,
		.flags = va->flags,
	};
	return m;
}

static int sm_map_walk(struct sm_sink *sink,
		       const struct udrm_gpuva_op_map *req)
{
	struct udrm_gpuvm *vm = sink->vm;
	uint64_t req_addr = req->va.addr;
	uint64_t req_end = req_addr + req->va.range;
	struct udrm_gpuva *va, *next;
	int ret;

	if (!udrm_gpuvm_range_valid(vm, req_addr, req->va.range))
		return -EINVAL;

	udrm_gpuvm_for_each_va_range_safe(va, next, vm, req_addr, req_end)
	{
		uint64_t addr = va->va.addr;
		uint64_t end = addr + va->va.range;
		/* Where @req's backing would be at @va's start: when it
		 * equals @va's own, the pages can stay (keep). */
		uint64_t req_offset_at_addr;
		struct udrm_gpuva_op_unmap u = {.va = va};
		struct udrm_gpuva_op_map p, n;
		bool has_prev = addr < req_addr;
		bool has_next = end > req_end;

		if (has_prev)
			req_offset_at_addr =
				req->gem.offset - (req_addr - addr);
		else
			req_offset_at_addr =
				req->gem.offset + (addr - req_addr);
		u.keep = va->gem.obj && va->gem.obj == req->gem.obj &&
			 va->gem.offset == req_offset_at_addr;

		if (!has_prev && !has_next) {
			ret = emit_unmap(sink, va, u.keep);
		} else {
			if (has_prev)
				p = head_of(va, req_addr);
			if (has_next)
				n = tail_of(va, req_end);
			ret = emit_remap(sink, has_prev ? &p : NULL,
					 has_next ? &n : NULL, &u);
		}
		if (ret)
			return ret;
		if (end >= req_end)
			break;
	}
	return emit_map(sink, req);
}

static int sm_unmap_walk(struct sm_sink *sink, uint64_t req_addr,
			 uint64_t req_range)
{
	struct udrm_gpuvm *vm = sink->vm;
	uint64_t req_end = req_addr + req_range;
	struct udrm_gpuva *va, *next;
	int ret;

	if (!udrm_gpuvm_range_valid(vm, req_addr, req_range))
		return -EINVAL;

	udrm_gpuvm_for_each_va_range_safe(va, next, vm, req_addr, req_end)
	{
		uint64_t addr = va->va.addr;
		uint64_t end = addr + va->va.range;
		struct udrm_gpuva_op_unmap u = {.va = va, .keep = false};
		struct udrm_gpuva_op_map p, n;
		bool has_prev = addr < req_addr;
		bool has_next = end > req_end;

		if (!has_prev && !has_next) {
			ret = emit_unmap(sink, va, false);
		} else {
			if (has_prev)
				p = head_of(va, req_addr);
			if (has_next)
				n = tail_of(va, req_end);
			ret = emit_remap(sink, has_prev ? &p : NULL,
					 has_next ? &n : NULL, &u);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static bool has_step_callbacks(const struct udrm_gpuvm *vm)
{
	return vm->ops->sm_step_map && vm->ops->sm_step_remap &&
	       vm->ops->sm_step_unmap;
}

int udrm_gpuvm_sm_map(struct udrm_gpuvm *vm, void *priv,
		      const struct udrm_gpuva_op_map *req)
{
	struct sm_sink sink = {.step = sink_callbacks, .vm = vm, .priv = priv};

	if (!has_step_callbacks(vm))
		return -EINVAL;
	return sm_map_walk(&sink, req);
}

int udrm_gpuvm_sm_unmap(struct udrm_gpuvm *vm, void *priv, uint64_t addr,
			uint64_t range)
{
	struct sm_sink sink = {.step = sink_callbacks, .vm = vm, .priv = priv};

	if (!vm->ops->sm_step_remap || !vm->ops->sm_step_unmap)
		return -EINVAL;
	return sm_unmap_walk(&sink, addr, range);
}

static struct udrm_gpuva_ops *ops_alloc(void)
{
	struct udrm_gpuva_ops *ops = calloc(1, sizeof(*ops));

	if (ops)
		link_init(&ops->list);
	return ops;
}

void udrm_gpuva_ops_free(struct udrm_gpuva_ops *ops)
{
	if (!ops)
		return;
	while (!link_empty(&ops->list)) {
		struct udrm_gpuvm_link *l = ops->list.next;

		link_del_init(l);
		free(udrm_gpuvm_entry(l, struct udrm_gpuva_op, entry));
	}
	free(ops);
}

int udrm_gpuvm_sm_map_ops_create(struct udrm_gpuvm *vm,
				 const struct udrm_gpuva_op_map *req,
				 struct udrm_gpuva_ops **out)
{
	struct sm_sink sink = {.step = sink_list, .vm = vm};
	int ret;

	sink.ops = ops_alloc();
	if (!sink.ops)
		return -ENOMEM;
	ret = sm_map_walk(&sink, req);
	if (ret) {
		udrm_gpuva_ops_free(sink.ops);
		return ret;
	}
	*out = sink.ops;
	return 0;
}

int udrm_gpuvm_sm_unmap_ops_create(struct udrm_gpuvm *vm, uint64_t addr,
				   uint64_t range, struct udrm_gpuva_ops **out)
{
	struct sm_sink sink = {.step = sink_list, .vm = vm};
	int ret;

	sink.ops = ops_alloc();
	if (!sink.ops)
		return -ENOMEM;
	ret = sm_unmap_walk(&sink, addr, range);
	if (ret) {
		udrm_gpuva_ops_free(sink.ops);
		return ret;
	}
	*out = sink.ops;
	return 0;
}

/* --- exec: locking the reservations of a job --- */

void udrm_gpuvm_exec_init(struct udrm_gpuvm_exec *exec, struct udrm_gpuvm *vm,
			  unsigned int num_fences)
{
	*exec = (struct udrm_gpuvm_exec){.vm = vm, .num_fences = num_fences};
}

/* Collects @resv (a reference); duplicates go at lock time. */
static int exec_add_resv(struct udrm_gpuvm_exec *exec, struct udrm_resv *resv)
{
	struct udrm_resv **grown;
	unsigned int capacity;

	if (exec->count == exec->capacity) {
		capacity = exec->capacity ? 2 * exec->capacity : 8;
		grown = realloc(exec->resvs, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		exec->resvs = grown;
		exec->capacity = capacity;
	}
	exec->resvs[exec->count++] = udrm_resv_get(resv);
	return 0;
}

int udrm_gpuvm_prepare_vm(struct udrm_gpuvm_exec *exec)
{
	return exec_add_resv(exec, udrm_gpuvm_resv(exec->vm));
}

int udrm_gpuvm_prepare_objects(struct udrm_gpuvm_exec *exec)
{
	struct udrm_gpuvm_bo *vm_bo;
	int ret;

	udrm_gpuvm_for_each_extobj(vm_bo, exec->vm)
	{
		ret = exec_add_resv(exec, vm_bo->obj->resv);
		if (ret)
			return ret;
	}
	return 0;
}

int udrm_gpuvm_prepare_range(struct udrm_gpuvm_exec *exec, uint64_t addr,
			     uint64_t range)
{
	struct udrm_gpuva *va, *next;
	int ret;

	if (!range || range_overflows(addr, range))
		return 0;
	udrm_gpuvm_for_each_va_range_safe(va, next, exec->vm, addr,
					  addr + range)
	{
		if (!va->gem.obj)
			continue;
		ret = exec_add_resv(exec, va->gem.obj->resv);
		if (ret)
			return ret;
	}
	return 0;
}

int udrm_gpuvm_exec_add_obj(struct udrm_gpuvm_exec *exec,
			    struct udrm_gem_object *obj)
{
	return exec_add_resv(exec, obj->resv);
}

static int resv_address_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (struct udrm_resv *const *)a;
	uintptr_t y = (uintptr_t) * (struct udrm_resv *const *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the collection by address and drops the duplicates. */
static void exec_sort_unique(struct udrm_gpuvm_exec *exec)
{
	unsigned int i, kept = 0;

	if (exec->count > 1)
		qsort(exec->resvs, exec->count, sizeof(*exec->resvs),
		      resv_address_cmp);
	for (i = 0; i < exec->count; i++) {
		if (kept && exec->resvs[kept - 1] == exec->resvs[i])
			udrm_resv_put(exec->resvs[i]);
		else
			exec->resvs[kept++] = exec->resvs[i];
	}
	exec->count = kept;
}

int udrm_gpuvm_exec_lock_all(struct udrm_gpuvm_exec *exec)
{
	unsigned int i;
	int ret;

	if (exec->locked)
		return 0;
	exec_sort_unique(exec);
	for (i = 0; i < exec->count; i++) {
		udrm_resv_lock(exec->resvs[i]);
		ret = exec->num_fences
			      ? udrm_resv_reserve_fences_locked(
					exec->resvs[i], exec->num_fences)
			      : 0;
		if (ret) {
			do
				udrm_resv_unlock(exec->resvs[i]);
			while (i--);
			return ret;
		}
	}
	exec->locked = true;
	return 0;
}

int udrm_gpuvm_exec_lock(struct udrm_gpuvm_exec *exec)
{
	int ret = udrm_gpuvm_prepare_vm(exec);

	if (!ret)
		ret = udrm_gpuvm_prepare_objects(exec);
	if (!ret)
		ret = udrm_gpuvm_exec_lock_all(exec);
	return ret;
}

void udrm_gpuvm_exec_unlock(struct udrm_gpuvm_exec *exec)
{
	unsigned int i;

	if (!exec->locked)
		return;
	/* Reverse order, as lock_all's own error path. */
	for (i = exec->count; i--;)
		udrm_resv_unlock(exec->resvs[i]);
	exec->locked = false;
}

void udrm_gpuvm_exec_fini(struct udrm_gpuvm_exec *exec)
{
	unsigned int i;

	udrm_gpuvm_exec_unlock(exec);
	for (i = 0; i < exec->count; i++)
		udrm_resv_put(exec->resvs[i]);
	free(exec->resvs);
	exec->resvs = NULL;
	exec->count = 0;
	exec->capacity = 0;
}

unsigned int udrm_gpuvm_exec_count(const struct udrm_gpuvm_exec *exec)
{
	return exec->count;
}

int udrm_gpuvm_validate(struct udrm_gpuvm *vm, struct udrm_gpuvm_exec *exec,
			void *priv)
{
	struct udrm_gpuvm_link *l, *next;
	struct udrm_gpuvm_bo *vm_bo;
	int ret;

	(void)exec; /* the proof that the locks are held */
	for (l = vm->evict_list.next; l != &vm->evict_list; l = next) {
		next = l->next;
		vm_bo = udrm_gpuvm_entry(l, struct udrm_gpuvm_bo, evict_entry);
		ret = vm->ops->vm_bo_validate(vm_bo, priv);
		if (ret)
			return ret;
		udrm_gpuvm_bo_evict(vm_bo, false);
	}
	return 0;
}

void udrm_gpuvm_resv_add_fence(struct udrm_gpuvm *vm,
			       struct udrm_gpuvm_exec *exec,
			       struct udrm_fence *fence,
			       enum udrm_resv_usage private_usage,
			       enum udrm_resv_usage extobj_usage)
{
	struct udrm_resv *own = udrm_gpuvm_resv(vm);
	unsigned int i;

	for (i = 0; i < exec->count; i++)
		udrm_resv_add_fence_locked(
			exec->resvs[i], fence,
			exec->resvs[i] == own ? private_usage : extobj_usage);
}
