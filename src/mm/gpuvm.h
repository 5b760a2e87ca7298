/* SPDX-License-Identifier: MIT */
/*
 * GPUVM: a GPU virtual address space and its mappings, after the kernel's
 * drm_gpuvm.c / drm_gpuvm.h.
 *
 * A VM (struct udrm_gpuvm) manages [mm_start, mm_start + mm_range), of which
 * an optional kernel-reserved range is never handed out. Mappings (struct
 * udrm_gpuva) are embedded in the driver's own objects; the VM keeps them in
 * an AVL tree keyed by address (O(log n) lookup) and in a list in address
 * order (iteration, prev/next).
 *
 * A struct udrm_gpuvm_bo ties one GEM object to one VM: there is at most
 * one per (vm, object); it lists the object's mappings in that VM, sits on
 * the VM's extobj list when the object is external (its reservation is not
 * the VM's own) and on the VM's evict list while marked evicted.
 *
 * The split/merge engine turns a VM_BIND map or unmap request into the
 * steps (unmap / remap / map) that make the VM look as requested, either
 * through the VM's sm_step_* callbacks or as a list (struct udrm_gpuva_ops)
 * that the driver walks as often as it likes (prepare, then commit).
 *
 * Ownership:
 * - the VM is reference counted (udrm_gpuvm_get/put); every inserted
 *   mapping (not the kernel-reserved node) and every vm_bo holds a
 *   reference; the last put calls ops->vm_free, which must free the VM
 *   after udrm_gpuvm_fini() (udrm_gpuvm_put does the fini itself).
 * - a vm_bo holds a reference to its GEM object and to its VM; each
 *   mapping linked to it (udrm_gpuva_link) holds a reference to the vm_bo.
 * - mappings belong to the driver; the VM only points at them.
 *
 * Locking, as in the kernel: the VM does no locking of its own. The caller
 * serialises every call that reads or changes a VM's tree (insert, remove,
 * find, iteration, sm_map/sm_unmap and ops creation), e.g. with a driver
 * lock per VM. A vm_bo's refcount and mapping list, and the VM's vm_bo,
 * extobj and evict lists, are protected by a lock the caller holds for
 * them as well (the same VM lock, or the GEM object's reservation for
 * private objects, whose reservation is the VM's).
 */
#ifndef UDRM_MM_GPUVM_H
#define UDRM_MM_GPUVM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gem.h"
#include "sync/dma_resv.h"

struct udrm_fence;
struct udrm_gem_object;
struct udrm_resv;
struct udrm_gpuvm;
struct udrm_gpuvm_bo;
struct udrm_gpuva_op;

#define udrm_gpuvm_entry(ptr, type, member)                                    \
	((type *)((char *)(ptr)-offsetof(type, member)))

enum udrm_gpuva_flags {
	/* The backing object was invalidated (e.g. evicted). */
	UDRM_GPUVA_INVALIDATED = 1u << 0,
	/* A sparse mapping (no object behind it). */
	UDRM_GPUVA_SPARSE = 1u << 1,
	/* First bit free for drivers. */
	UDRM_GPUVA_USERBITS = 1u << 2,
};

/* A mapping, embedded in a driver object. */
struct udrm_gpuva {
	struct udrm_gpuvm *vm;	     /* set while inserted */
	struct udrm_gpuvm_bo *vm_bo; /* set while linked */
	uint32_t flags;		     /* enum udrm_gpuva_flags */
	struct {
		uint64_t addr;
		uint64_t range;
	} va;
	struct {
		uint64_t offset;
		struct udrm_gem_object *obj;  /* not a reference */
		struct udrm_gpuvm_link entry; /* in vm_bo->gpuva_list */
	} gem;
	/* private: the VM's tree and address-ordered list */
	struct {
		struct udrm_gpuva *left, *right;
		int height;
		struct udrm_gpuvm_link entry;
	} rb;
};

/* One step of a split/merge sequence, as passed to the callbacks. */
enum udrm_gpuva_op_type {
	UDRM_GPUVA_OP_MAP,
	UDRM_GPUVA_OP_REMAP,
	UDRM_GPUVA_OP_UNMAP,
};

/* A mapping to create (also the map request of udrm_gpuvm_sm_map). */
struct udrm_gpuva_op_map {
	struct {
		uint64_t addr;
		uint64_t range;
	} va;
	struct {
		uint64_t offset;
		struct udrm_gem_object *obj;
	} gem;
	uint32_t flags;
};

/* A mapping to remove. keep: the range about to be mapped over it is
 * backed by the same object at the same offsets, so the driver may keep the
 * page-table entries (only ever set by udrm_gpuvm_sm_map). */
struct udrm_gpuva_op_unmap {
	struct udrm_gpuva *va;
	bool keep;
};

/* A mapping cut down: unmap->va goes, and the remainders prev (below the
 * request) and/or next (above it) take its place. */
struct udrm_gpuva_op_remap {
	struct udrm_gpuva_op_map *prev; /* NULL if none */
	struct udrm_gpuva_op_map *next; /* NULL if none */
	struct udrm_gpuva_op_unmap *unmap;
};

struct udrm_gpuva_op {
	enum udrm_gpuva_op_type op;
	union {
		struct udrm_gpuva_op_map map;
		struct udrm_gpuva_op_remap remap;
		struct udrm_gpuva_op_unmap unmap;
	};
	/* private: list link and the storage remap points into */
	struct udrm_gpuvm_link entry;
	struct udrm_gpuva_op_map remap_prev, remap_next;
	struct udrm_gpuva_op_unmap remap_unmap;
};

/* A list of steps made by the *_ops_create functions. */
struct udrm_gpuva_ops {
	struct udrm_gpuvm_link list;
	unsigned int count;
};

#define udrm_gpuva_for_each_op(op, ops)                                        \
	for (struct udrm_gpuvm_link *op##_l_ = (ops)->list.next;               \
	     op##_l_ != &(ops)->list &&                                        \
	     ((op) = udrm_gpuvm_entry(op##_l_, struct udrm_gpuva_op, entry));  \
	     op##_l_ = op##_l_->next)

struct udrm_gpuvm_ops {
	/* Frees the VM (after udrm_gpuvm_fini). Required. */
	void (*vm_free)(struct udrm_gpuvm *vm);
	/* Allocate/free a zeroed vm_bo, for drivers that embed it. Both or
	 * neither; calloc/free otherwise. */
	struct udrm_gpuvm_bo *(*vm_bo_alloc)(void);
	void (*vm_bo_free)(struct udrm_gpuvm_bo *vm_bo);
	/* The steps of udrm_gpuvm_sm_map/sm_unmap; a non-zero return stops
	 * the walk and is returned. The op and what it points to live only
	 * during the call. Required by sm_map/sm_unmap only. */
	int (*sm_step_map)(struct udrm_gpuva_op *op, void *priv);
	int (*sm_step_remap)(struct udrm_gpuva_op *op, void *priv);
	int (*sm_step_unmap)(struct udrm_gpuva_op *op, void *priv);
	/* Makes an evicted object usable again (e.g. moves it back and
	 * rebinds its mappings), for udrm_gpuvm_validate; 0 or -errno.
	 * Called with the exec's reservations locked; it must not take
	 * another vm_bo off the evict list. Required by validate only. */
	int (*vm_bo_validate)(struct udrm_gpuvm_bo *vm_bo, void *priv);
};

struct udrm_gpuvm {
	const char *name;
	atomic_int refcount;
	uint64_t mm_start;
	uint64_t mm_range;
	/* Object whose reservation is the VM's own (a reference). */
	struct udrm_gem_object *r_obj;
	const struct udrm_gpuvm_ops *ops;
	struct {
		struct udrm_gpuva *root;
		struct udrm_gpuvm_link list; /* every mapping, by address */
	} rb;
	/* The kernel-reserved range, in the tree when its range is not 0. */
	struct udrm_gpuva kernel_alloc_node;
	struct udrm_gpuvm_link bo_list;	    /* every vm_bo */
	struct udrm_gpuvm_link extobj_list; /* vm_bos of external objects */
	struct udrm_gpuvm_link evict_list;  /* vm_bos marked evicted */
	unsigned int flags;		    /* enum udrm_gpuvm_flags */
};

enum udrm_gpuvm_flags {
	/*
	 * Link each vm_bo on its GEM object's gpuva list, as the kernel
	 * always does, so that udrm_gem_for_each_gpuvm_bo() finds every VM
	 * the object is bound in. Creating a vm_bo (udrm_gpuvm_bo_obtain)
	 * and dropping its last reference then change that list, and need
	 * the object's gpuva lock (see udrm_gem_for_each_gpuvm_bo). Opt-in
	 * because a VM whose driver serialises vm_bos with a per-VM lock
	 * only would race with the other VMs binding the same object.
	 */
	UDRM_GPUVM_GEM_LIST = 1u << 0,
};

struct udrm_gpuvm_bo {
	struct udrm_gpuvm *vm;	     /* a reference */
	struct udrm_gem_object *obj; /* a reference */
	unsigned int refcount;
	bool evicted;
	struct udrm_gpuvm_link gpuva_list;   /* the object's mappings in vm */
	struct udrm_gpuvm_link vm_entry;     /* in vm->bo_list */
	struct udrm_gpuvm_link extobj_entry; /* in vm->extobj_list */
	struct udrm_gpuvm_link evict_entry;  /* in vm->evict_list */
	/* In obj->gpuva.list (UDRM_GPUVM_GEM_LIST), else unlinked. */
	struct udrm_gpuvm_link gem_entry;
};

/* Sets up @vm for [@start, @start + @range) with the reserved range
 * [@reserve_offset, + @reserve_range) (0: none), one reference for the
 * caller, and a reference to @r_obj, whose reservation becomes the VM's.
 * Returns 0, or -EINVAL if a range overflows, is empty (@range) or the
 * reserved range lies outside the VM. */
int udrm_gpuvm_init(struct udrm_gpuvm *vm, const char *name,
		    struct udrm_gem_object *r_obj, uint64_t start,
		    uint64_t range, uint64_t reserve_offset,
		    uint64_t reserve_range, const struct udrm_gpuvm_ops *ops);
/* Sets @vm's enum udrm_gpuvm_flags, between init and the first vm_bo:
 * 0, -EBUSY when the VM has vm_bos, -EINVAL for an unknown flag. */
int udrm_gpuvm_set_flags(struct udrm_gpuvm *vm, unsigned int flags);
/* Undoes udrm_gpuvm_init: removes the reserved node, drops r_obj. Every
 * mapping and vm_bo must be gone. Called by the last udrm_gpuvm_put. */
void udrm_gpuvm_fini(struct udrm_gpuvm *vm);
/* Takes a reference to @vm; returns @vm. */
struct udrm_gpuvm *udrm_gpuvm_get(struct udrm_gpuvm *vm);
/* Drops a reference; the last one finis the VM and calls ops->vm_free. */
void udrm_gpuvm_put(struct udrm_gpuvm *vm);
/* The VM's own reservation (r_obj's). */
struct udrm_resv *udrm_gpuvm_resv(const struct udrm_gpuvm *vm);
/* True if [@addr, @addr + @range) is non-empty, does not overflow, lies in
 * the VM and does not touch the reserved range. */
bool udrm_gpuvm_range_valid(const struct udrm_gpuvm *vm, uint64_t addr,
			    uint64_t range);
/* True if no mapping (nor the reserved node) intersects the range. Caller
 * serialises against tree changes. */
bool udrm_gpuvm_interval_empty(const struct udrm_gpuvm *vm, uint64_t addr,
			       uint64_t range);
/* True if @obj is external to @vm (its reservation is not the VM's). */
bool udrm_gpuvm_is_extobj(const struct udrm_gpuvm *vm,
			  const struct udrm_gem_object *obj);

/* Inserts @va (va.addr/va.range set) into @vm and takes a VM reference.
 * Returns 0, -EINVAL for an invalid range (see udrm_gpuvm_range_valid) or
 * -EEXIST if it overlaps a mapping. Caller serialises the VM. */
int udrm_gpuva_insert(struct udrm_gpuvm *vm, struct udrm_gpuva *va);
/* Removes @va from its VM and drops the VM reference it held. */
void udrm_gpuva_remove(struct udrm_gpuva *va);
/* The mapping exactly at [@addr, @addr + @range), or NULL. */
struct udrm_gpuva *udrm_gpuva_find(const struct udrm_gpuvm *vm, uint64_t addr,
				   uint64_t range);
/* The lowest mapping intersecting [@addr, @addr + @range), or NULL. */
struct udrm_gpuva *udrm_gpuva_find_first(const struct udrm_gpuvm *vm,
					 uint64_t addr, uint64_t range);
/* The mapping ending exactly at @start, or NULL. */
struct udrm_gpuva *udrm_gpuva_find_prev(const struct udrm_gpuvm *vm,
					uint64_t start);
/* The mapping starting exactly at @end, or NULL. */
struct udrm_gpuva *udrm_gpuva_find_next(const struct udrm_gpuvm *vm,
					uint64_t end);
/* The VM's first mapping (lowest address), or NULL. */
struct udrm_gpuva *udrm_gpuvm_first_va(const struct udrm_gpuvm *vm);
/* The mapping after/before @va in address order, or NULL. */
struct udrm_gpuva *udrm_gpuva_next(const struct udrm_gpuva *va);
struct udrm_gpuva *udrm_gpuva_prev(const struct udrm_gpuva *va);
/* The next mapping after @va that still starts below @end, or NULL. */
struct udrm_gpuva *udrm_gpuva_next_in_range(const struct udrm_gpuva *va,
					    uint64_t end);

/* Every mapping (the reserved node included, as in the kernel), by address.
 */
#define udrm_gpuvm_for_each_va(va, vm)                                         \
	for ((va) = udrm_gpuvm_first_va(vm); (va); (va) = udrm_gpuva_next(va))
/* Every mapping intersecting [start, end); @va may be removed in the body.
 */
#define udrm_gpuvm_for_each_va_range_safe(va, nxt, vm, start, end)             \
	for ((va) = udrm_gpuva_find_first((vm), (start), (end) - (start)),     \
	    (nxt) = (va) ? udrm_gpuva_next_in_range((va), (end)) : NULL;       \
	     (va); (va) = (nxt),                                               \
	    (nxt) = (va) ? udrm_gpuva_next_in_range((va), (end)) : NULL)

/* Finds the vm_bo of (@vm, @obj) and takes a reference, or returns NULL. */
struct udrm_gpuvm_bo *udrm_gpuvm_bo_find(struct udrm_gpuvm *vm,
					 struct udrm_gem_object *obj);
/* As find, creating the vm_bo (refcount 1, references to @vm and @obj) if
 * there is none. Returns 0 or -ENOMEM. */
int udrm_gpuvm_bo_obtain(struct udrm_gpuvm *vm, struct udrm_gem_object *obj,
			 struct udrm_gpuvm_bo **out);
/* Takes a reference; returns @vm_bo. */
struct udrm_gpuvm_bo *udrm_gpuvm_bo_get(struct udrm_gpuvm_bo *vm_bo);
/* Drops a reference; the last one takes the vm_bo off the VM's lists,
 * drops its object and VM references and frees it. NULL-safe. */
void udrm_gpuvm_bo_put(struct udrm_gpuvm_bo *vm_bo);
/* Puts @vm_bo on its VM's extobj list if the object is external (no-op if
 * private or already there). */
void udrm_gpuvm_bo_extobj_add(struct udrm_gpuvm_bo *vm_bo);
/* Marks (@evict true) or unmarks @vm_bo evicted, adding it to or removing
 * it from the VM's evict list. */
void udrm_gpuvm_bo_evict(struct udrm_gpuvm_bo *vm_bo, bool evict);
/* Counts of the VM's lists (for drivers' validation loops and tests). */
unsigned int udrm_gpuvm_extobj_count(const struct udrm_gpuvm *vm);
unsigned int udrm_gpuvm_evict_count(const struct udrm_gpuvm *vm);

#define udrm_gpuvm_for_each_extobj(vm_bo, vm)                                  \
	for (struct udrm_gpuvm_link *vm_bo##_l_ = (vm)->extobj_list.next;      \
	     vm_bo##_l_ != &(vm)->extobj_list &&                               \
	     ((vm_bo) = udrm_gpuvm_entry(vm_bo##_l_, struct udrm_gpuvm_bo,     \
					 extobj_entry));                       \
	     vm_bo##_l_ = vm_bo##_l_->next)
#define udrm_gpuvm_for_each_evicted(vm_bo, vm)                                 \
	for (struct udrm_gpuvm_link *vm_bo##_l_ = (vm)->evict_list.next;       \
	     vm_bo##_l_ != &(vm)->evict_list &&                                \
	     ((vm_bo) = udrm_gpuvm_entry(vm_bo##_l_, struct udrm_gpuvm_bo,     \
					 evict_entry));                        \
	     vm_bo##_l_ = vm_bo##_l_->next)
/*
 * The kernel's drm_gem_for_each_gpuvm_bo(): every vm_bo of GEM object
 * @obj, one per VM created with UDRM_GPUVM_GEM_LIST that @obj is bound in
 * (has a vm_bo in), oldest first.
 *
 * Locking, the kernel's default rule (drm_gem_gpuva_assert_lock_held):
 * the object's gpuva list is protected by its reservation, obj->resv.
 * Hold it across the walk, and around every udrm_gpuvm_bo_obtain() that
 * may create a vm_bo of @obj and every udrm_gpuvm_bo_put() that may drop
 * the last reference of one, in any VM with UDRM_GPUVM_GEM_LIST. The
 * walk takes no reference: the body may use the vm_bos while the lock is
 * held, take references with udrm_gpuvm_bo_get(), but not drop the last
 * one (udrm_gem_for_each_gpuvm_bo_safe() for that).
 */
#define udrm_gem_for_each_gpuvm_bo(vm_bo, obj)                                 \
	for (struct udrm_gpuvm_link *vm_bo##_g_ = (obj)->gpuva.list.next;      \
	     vm_bo##_g_ && vm_bo##_g_ != &(obj)->gpuva.list &&                 \
	     ((vm_bo) = udrm_gpuvm_entry(vm_bo##_g_, struct udrm_gpuvm_bo,     \
					 gem_entry));                          \
	     vm_bo##_g_ = vm_bo##_g_->next)
/* As udrm_gem_for_each_gpuvm_bo(); the body may drop the last reference
 * of @vm_bo (unlinking it), not of the next one. */
#define udrm_gem_for_each_gpuvm_bo_safe(vm_bo, obj)                            \
	for (struct udrm_gpuvm_link *vm_bo##_g_ = (obj)->gpuva.list.next,      \
				    *vm_bo##_n_ = vm_bo##_g_                   \
							  ? vm_bo##_g_->next   \
							  : NULL;              \
	     vm_bo##_g_ && vm_bo##_g_ != &(obj)->gpuva.list &&                 \
	     ((vm_bo) = udrm_gpuvm_entry(vm_bo##_g_, struct udrm_gpuvm_bo,     \
					 gem_entry));                          \
	     vm_bo##_g_ = vm_bo##_n_, vm_bo##_n_ = vm_bo##_g_->next)
/* The number of vm_bos on @obj's gpuva list (same lock). */
unsigned int udrm_gem_gpuvm_bo_count(const struct udrm_gem_object *obj);

/* The mappings linked to @vm_bo (not in address order). */
#define udrm_gpuvm_bo_for_each_va(va, vm_bo)                                   \
	for (struct udrm_gpuvm_link *va##_l_ = (vm_bo)->gpuva_list.next;       \
	     va##_l_ != &(vm_bo)->gpuva_list &&                                \
	     ((va) = udrm_gpuvm_entry(va##_l_, struct udrm_gpuva, gem.entry)); \
	     va##_l_ = va##_l_->next)

/*
 * Locking the reservations of a job, as the kernel's drm_gpuvm_exec /
 * drm_exec: collect the VM's own reservation, those of its external
 * objects, of the objects mapped in a range or of any other object, then
 * lock them all at once, with room for the job's fences in each.
 *
 *	struct udrm_gpuvm_exec exec;
 *
 *	udrm_gpuvm_exec_init(&exec, vm, 1);
 *	ret = udrm_gpuvm_exec_lock(&exec);   (VM + every external object)
 *	if (!ret)
 *		ret = udrm_gpuvm_validate(vm, &exec, priv);
 *	if (!ret)
 *		(submit; then)
 *		udrm_gpuvm_resv_add_fence(vm, &exec, fence, BOOKKEEP, BOOKKEEP);
 *	udrm_gpuvm_exec_fini(&exec);         (unlocks)
 *
 * Locking: udrm_resv locks are plain mutexes with no acquire context
 * (sync/dma_resv.h), so an exec takes them in one global order, by
 * address, after de-duplicating: two execs never deadlock, whatever
 * objects they share. The caller holds no reservation lock when it calls
 * udrm_gpuvm_exec_lock_all, and does not take one in another order while
 * an exec holds its locks. The prepare_* calls read the VM's extobj list
 * and tree: the caller serialises them with the VM (see the top of this
 * file); the exec holds a reference to each reservation it collects.
 */
struct udrm_gpuvm_exec {
	struct udrm_gpuvm *vm;
	unsigned int num_fences; /* slots reserved in each reservation */
	/* private */
	struct udrm_resv **resvs; /* references; sorted once locked */
	unsigned int count, capacity;
	bool locked;
};

/* Starts an empty exec on @vm; @num_fences slots will be reserved in each
 * reservation when locked (0: none). */
void udrm_gpuvm_exec_init(struct udrm_gpuvm_exec *exec, struct udrm_gpuvm *vm,
			  unsigned int num_fences);
/* Collect: the VM's own reservation (drm_gpuvm_prepare_vm); 0 or -ENOMEM. */
int udrm_gpuvm_prepare_vm(struct udrm_gpuvm_exec *exec);
/* Collect: the reservation of every object on the VM's extobj list
 * (drm_gpuvm_prepare_objects); 0 or -ENOMEM. */
int udrm_gpuvm_prepare_objects(struct udrm_gpuvm_exec *exec);
/* Collect: the reservation of every object mapped in [@addr, @addr +
 * @range) (drm_gpuvm_prepare_range); 0 or -ENOMEM. */
int udrm_gpuvm_prepare_range(struct udrm_gpuvm_exec *exec, uint64_t addr,
			     uint64_t range);
/* Collect: @obj's reservation (drm_exec_prepare_obj); 0 or -ENOMEM. */
int udrm_gpuvm_exec_add_obj(struct udrm_gpuvm_exec *exec,
			    struct udrm_gem_object *obj);
/* Locks every collected reservation (each once, in address order) and
 * reserves num_fences slots in each. 0, or -ENOMEM with nothing locked. */
int udrm_gpuvm_exec_lock_all(struct udrm_gpuvm_exec *exec);
/* prepare_vm + prepare_objects + lock_all, as drm_gpuvm_exec_lock. */
int udrm_gpuvm_exec_lock(struct udrm_gpuvm_exec *exec);
/* Unlocks what lock_all locked (the collection stays). */
void udrm_gpuvm_exec_unlock(struct udrm_gpuvm_exec *exec);
/* Unlocks if locked and drops the collected reservations. */
void udrm_gpuvm_exec_fini(struct udrm_gpuvm_exec *exec);
/* How many distinct reservations are collected (after lock_all). */
unsigned int udrm_gpuvm_exec_count(const struct udrm_gpuvm_exec *exec);

/*
 * udrm_gpuvm_validate - calls ops->vm_bo_validate(vm_bo, @priv) for each
 * vm_bo on @vm's evict list, in order, and takes each that succeeds off
 * the list (drm_gpuvm_validate). Stops at the first error and returns it;
 * that vm_bo and those after it stay listed. Needs @exec locked with the
 * VM's and the evicted objects' reservations.
 */
int udrm_gpuvm_validate(struct udrm_gpuvm *vm, struct udrm_gpuvm_exec *exec,
			void *priv);

/*
 * udrm_gpuvm_resv_add_fence - adds @fence to every reservation of the
 * locked @exec: with @private_usage to the VM's own (the private
 * objects'), with @extobj_usage to the others (drm_gpuvm_resv_add_fence).
 * Uses the slots lock_all reserved: at most num_fences calls per lock.
 */
void udrm_gpuvm_resv_add_fence(struct udrm_gpuvm *vm,
			       struct udrm_gpuvm_exec *exec,
			       struct udrm_fence *fence,
			       enum udrm_resv_usage private_usage,
			       enum udrm_resv_usage extobj_usage);

/* Adds @va to @vm_bo's mapping list, taking a vm_bo reference. */
void udrm_gpuva_link(struct udrm_gpuva *va, struct udrm_gpuvm_bo *vm_bo);
/* Takes @va off its vm_bo's list and drops that reference (which may free
 * the vm_bo). No-op for an unlinked va. */
void udrm_gpuva_unlink(struct udrm_gpuva *va);

/* Fills @va from @op and inserts it into @vm (see udrm_gpuva_insert). */
int udrm_gpuva_map(struct udrm_gpuvm *vm, struct udrm_gpuva *va,
		   const struct udrm_gpuva_op_map *op);
/* Applies a remap step: removes op->unmap->va and inserts @prev and @next
 * (each may be NULL if the op has no such remainder), filled from the op.
 * The driver moves the vm_bo links itself. */
void udrm_gpuva_remap(struct udrm_gpuva *prev, struct udrm_gpuva *next,
		      const struct udrm_gpuva_op_remap *op);
/* Applies an unmap step: removes op->va from its VM. */
void udrm_gpuva_unmap(const struct udrm_gpuva_op_unmap *op);

/* Walks the steps that map @req (its va range must be valid) over @vm,
 * calling ops->sm_step_*: first unmaps/remaps of every mapping the request
 * overlaps, in address order, then the map of @req itself. The callbacks
 * may apply each step to the tree as it comes. Returns 0, -EINVAL for an
 * invalid range, or the first callback error (the walk stops there). */
int udrm_gpuvm_sm_map(struct udrm_gpuvm *vm, void *priv,
		      const struct udrm_gpuva_op_map *req);
/* As sm_map for an unmap of [@addr, @addr + @range): unmap steps for the
 * mappings inside it and remap steps for those straddling its ends. */
int udrm_gpuvm_sm_unmap(struct udrm_gpuvm *vm, void *priv, uint64_t addr,
			uint64_t range);
/* The same steps as sm_map / sm_unmap, as a list in *@out (the tree is not
 * changed; the list stays valid until the tree changes). Returns 0,
 * -EINVAL or -ENOMEM. Free with udrm_gpuva_ops_free. */
int udrm_gpuvm_sm_map_ops_create(struct udrm_gpuvm *vm,
				 const struct udrm_gpuva_op_map *req,
				 struct udrm_gpuva_ops **out);
int udrm_gpuvm_sm_unmap_ops_create(struct udrm_gpuvm *vm, uint64_t addr,
				   uint64_t range, struct udrm_gpuva_ops **out);
/* Frees a list made by *_ops_create. NULL-safe. */
void udrm_gpuva_ops_free(struct udrm_gpuva_ops *ops);

#endif
