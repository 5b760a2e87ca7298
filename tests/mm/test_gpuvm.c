/* SPDX-License-Identifier: MIT */
/*
 * GPUVM (src/mm/gpuvm.c): the VA tree and its errors, vm_bos, the extobj
 * and evict lists, and the split/merge engine behind VM_BIND, checked
 * against a table of the kernel's documented cases and against a page
 * model with random requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "udrm_test.h"

#include "core/gem.h"
#include "mm/gpuvm.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"

#define PG	 0x1000ULL
#define VM_PAGES 64

struct fx {
	struct udrm_device *dev;
	struct udrm_gem_object *r_obj; /* the VM's reservation */
	struct udrm_gem_object *a, *b; /* external objects */
	struct udrm_gem_object *priv;  /* shares the VM's reservation */
	struct udrm_gpuvm *vm;
	int vm_freed;
	char steps[2048]; /* steps recorded by the callbacks */
	int fail_at;	  /* callback number that fails, or -1 */
	int calls;
};

static struct fx *the_fx;

static void vm_free(struct udrm_gpuvm *vm)
{
	the_fx->vm_freed++;
	free(vm);
}

static int apply_map(struct udrm_gpuva_op *op, void *priv);
static int apply_remap(struct udrm_gpuva_op *op, void *priv);
static int apply_unmap(struct udrm_gpuva_op *op, void *priv);

static const struct udrm_gpuvm_ops vm_ops = {
	.vm_free = vm_free,
	.sm_step_map = apply_map,
	.sm_step_remap = apply_remap,
	.sm_step_unmap = apply_unmap,
};

static struct udrm_gem_object *new_obj(struct fx *f)
{
	struct udrm_gem_object *obj = NULL;

	ut_expect(udrm_gem_object_create(f->dev, 64 * PG, &obj), 0,
		  "creating a GEM object");
	return obj;
}

static struct udrm_gpuvm *new_vm(struct fx *f, uint64_t start, uint64_t range,
				 uint64_t kstart, uint64_t krange)
{
	struct udrm_gpuvm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	ut_expect(udrm_gpuvm_init(vm, "test", f->r_obj, start, range, kstart,
				  krange, &vm_ops),
		  0, "initialising a VM [%#llx, +%#llx)",
		  (unsigned long long)start, (unsigned long long)range);
	return vm;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dev = ut_device("vgem", -1, 128, 0);
	f->r_obj = new_obj(f);
	f->a = new_obj(f);
	f->b = new_obj(f);
	f->priv = new_obj(f);
	udrm_resv_put(f->priv->resv);
	f->priv->resv = udrm_resv_get(f->r_obj->resv);
	f->fail_at = -1;
	f->vm = new_vm(f, 0, VM_PAGES * PG, 0, 0);
	the_fx = f;
	*state = f;
	return 0;
}

static struct udrm_gpuva *new_va(uint64_t addr, uint64_t range)
{
	struct udrm_gpuva *va = calloc(1, sizeof(*va));

	assert_non_null(va);
	va->va.addr = addr;
	va->va.range = range;
	return va;
}

/* Removes (and frees) every mapping but the reserved node. */
static void drop_all(struct udrm_gpuvm *vm)
{
	struct udrm_gpuva *va, *next;

	udrm_gpuvm_for_each_va_range_safe(va, next, vm, vm->mm_start,
					  vm->mm_start + vm->mm_range)
	{
		if (va == &vm->kernel_alloc_node)
			continue;
		udrm_gpuva_unlink(va);
		udrm_gpuva_remove(va);
		free(va);
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->vm) {
		drop_all(f->vm);
		udrm_gpuvm_put(f->vm);
		ut_check(f->vm_freed == 1,
			 "the last VM reference should free the VM once, "
			 "freed %d times",
			 f->vm_freed);
	}
	udrm_gem_object_put(f->priv);
	udrm_gem_object_put(f->b);
	udrm_gem_object_put(f->a);
	udrm_gem_object_put(f->r_obj);
	udrm_device_destroy(f->dev);
	free(f);
	the_fx = NULL;
	return 0;
}

/* --- describing mappings and steps as text, in pages --- */

static char obj_letter(struct fx *f, const struct udrm_gem_object *obj)
{
	if (!obj)
		return '-';
	if (obj == f->a)
		return 'A';
	if (obj == f->b)
		return 'B';
	return '?';
}

static struct udrm_gem_object *letter_obj(struct fx *f, char c)
{
	return c == 'A' ? f->a : c == 'B' ? f->b : NULL;
}

static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void describe_map(struct fx *f, char *buf, size_t size,
			 const struct udrm_gpuva_op_map *m)
{
	if (!m) {
		appendf(buf, size, "-");
		return;
	}
	appendf(buf, size, "%llu+%llu@%c%llu",
		(unsigned long long)(m->va.addr / PG),
		(unsigned long long)(m->va.range / PG),
		obj_letter(f, m->gem.obj),
		(unsigned long long)(m->gem.offset / PG));
}

static void describe_step(struct fx *f, char *buf, size_t size,
			  const struct udrm_gpuva_op *op)
{
	const struct udrm_gpuva_op_unmap *u;

	if (buf[0])
		appendf(buf, size, "; ");
	switch (op->op) {
	case UDRM_GPUVA_OP_MAP:
		appendf(buf, size, "map ");
		describe_map(f, buf, size, &op->map);
		return;
	case UDRM_GPUVA_OP_UNMAP:
		u = &op->unmap;
		appendf(buf, size, "unmap %llu+%llu%s",
			(unsigned long long)(u->va->va.addr / PG),
			(unsigned long long)(u->va->va.range / PG),
			u->keep ? " keep" : "");
		return;
	case UDRM_GPUVA_OP_REMAP:
		u = op->remap.unmap;
		appendf(buf, size, "remap %llu+%llu%s prev ",
			(unsigned long long)(u->va->va.addr / PG),
			(unsigned long long)(u->va->va.range / PG),
			u->keep ? " keep" : "");
		describe_map(f, buf, size, op->remap.prev);
		appendf(buf, size, " next ");
		describe_map(f, buf, size, op->remap.next);
		return;
	}
}

static void describe_vm(struct fx *f, char *buf, size_t size)
{
	struct udrm_gpuva *va;

	buf[0] = 0;
	udrm_gpuvm_for_each_va(va, f->vm)
	{
		struct udrm_gpuva_op_map m = {
			.va.addr = va->va.addr,
			.va.range = va->va.range,
			.gem.obj = va->gem.obj,
			.gem.offset = va->gem.offset,
		};

		if (buf[0])
			appendf(buf, size, " ");
		describe_map(f, buf, size, &m);
	}
}

/* --- applying steps, as a driver would --- */

static void link_to_obj(struct fx *f, struct udrm_gpuva *va)
{
	struct udrm_gpuvm_bo *vm_bo;

	if (!va->gem.obj)
		return;
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, va->gem.obj, &vm_bo), 0,
		  "obtaining the vm_bo of a new mapping");
	udrm_gpuvm_bo_extobj_add(vm_bo);
	udrm_gpuva_link(va, vm_bo);
	udrm_gpuvm_bo_put(vm_bo);
}

static int record_or_fail(struct fx *f, const struct udrm_gpuva_op *op)
{
	describe_step(f, f->steps, sizeof(f->steps), op);
	return f->calls++ == f->fail_at ? -EIO : 0;
}

static int apply_map(struct udrm_gpuva_op *op, void *priv)
{
	struct fx *f = priv;
	struct udrm_gpuva *va = calloc(1, sizeof(*va));
	int ret = record_or_fail(f, op);

	if (ret) {
		free(va);
		return ret;
	}
	assert_non_null(va);
	ut_expect(udrm_gpuva_map(f->vm, va, &op->map), 0,
		  "inserting the mapping of a map step");
	link_to_obj(f, va);
	return 0;
}

static int apply_remap(struct udrm_gpuva_op *op, void *priv)
{
	struct fx *f = priv;
	struct udrm_gpuva *old = op->remap.unmap->va;
	struct udrm_gpuva *prev = NULL, *next = NULL;
	int ret = record_or_fail(f, op);

	if (ret)
		return ret;
	if (op->remap.prev)
		prev = calloc(1, sizeof(*prev));
	if (op->remap.next)
		next = calloc(1, sizeof(*next));
	udrm_gpuva_remap(prev, next, &op->remap);
	if (old->vm_bo) {
		if (prev)
			udrm_gpuva_link(prev, old->vm_bo);
		if (next)
			udrm_gpuva_link(next, old->vm_bo);
	}
	udrm_gpuva_unlink(old);
	free(old);
	return 0;
}

static int apply_unmap(struct udrm_gpuva_op *op, void *priv)
{
	struct fx *f = priv;
	struct udrm_gpuva *va = op->unmap.va;
	int ret = record_or_fail(f, op);

	if (ret)
		return ret;
	udrm_gpuva_unmap(&op->unmap);
	udrm_gpuva_unlink(va);
	free(va);
	return 0;
}

static int apply_op(struct fx *f, struct udrm_gpuva_op *op)
{
	switch (op->op) {
	case UDRM_GPUVA_OP_MAP:
		return apply_map(op, f);
	case UDRM_GPUVA_OP_REMAP:
		return apply_remap(op, f);
	case UDRM_GPUVA_OP_UNMAP:
		return apply_unmap(op, f);
	}
	return -EINVAL;
}

/* Inserts the mappings of @desc ("addr+range@Xoffset ...", in pages). */
static void populate(struct fx *f, const char *desc)
{
	unsigned long long addr, range, offset;
	char obj;
	int used;

	while (sscanf(desc, " %llu+%llu@%c%llu%n", &addr, &range, &obj, &offset,
		      &used) == 4) {
		struct udrm_gpuva *va = new_va(addr * PG, range * PG);

		va->gem.obj = letter_obj(f, obj);
		va->gem.offset = offset * PG;
		ut_expect(udrm_gpuva_insert(f->vm, va), 0,
			  "populating %llu+%llu from \"%s\"", addr, range,
			  desc);
		link_to_obj(f, va);
		desc += used;
	}
}

/* --- the tree --- */

static void insert_find_remove(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuva *a = new_va(4 * PG, 4 * PG);
	struct udrm_gpuva *b = new_va(8 * PG, 2 * PG);
	struct udrm_gpuva *c = new_va(20 * PG, 4 * PG);

	ut_expect(udrm_gpuva_insert(f->vm, c), 0, "inserting [20, 24)");
	ut_expect(udrm_gpuva_insert(f->vm, a), 0, "inserting [4, 8)");
	ut_expect(udrm_gpuva_insert(f->vm, b), 0,
		  "inserting [8, 10), adjacent to [4, 8)");

	ut_check(udrm_gpuva_find(f->vm, 4 * PG, 4 * PG) == a,
		 "find of exactly [4, 8) should return that mapping");
	ut_check(!udrm_gpuva_find(f->vm, 4 * PG, 2 * PG),
		 "find is exact: [4, 6) is not a mapping");
	ut_check(!udrm_gpuva_find(f->vm, 5 * PG, 3 * PG),
		 "find is exact: [5, 8) is not a mapping");
	ut_check(udrm_gpuva_find_first(f->vm, 0, 5 * PG) == a,
		 "find_first of [0, 5) should return [4, 8)");
	ut_check(udrm_gpuva_find_first(f->vm, 9 * PG, 100) == b,
		 "find_first inside [8, 10) should return it");
	ut_check(udrm_gpuva_find_first(f->vm, 10 * PG, 20 * PG) == c,
		 "find_first of [10, 30) should return [20, 24)");
	ut_check(!udrm_gpuva_find_first(f->vm, 10 * PG, 10 * PG),
		 "find_first of the hole [10, 20) should return nothing");
	ut_check(udrm_gpuva_find_prev(f->vm, 8 * PG) == a,
		 "find_prev(8) should return the mapping ending at 8");
	ut_check(udrm_gpuva_find_next(f->vm, 8 * PG) == b,
		 "find_next(8) should return the mapping starting at 8");
	ut_check(!udrm_gpuva_find_next(f->vm, 10 * PG),
		 "find_next(10): nothing starts at 10");
	ut_check(!udrm_gpuva_find_prev(f->vm, 20 * PG),
		 "find_prev(20): nothing ends at 20");
	ut_check(udrm_gpuva_next(a) == b && udrm_gpuva_prev(c) == b &&
			 !udrm_gpuva_prev(a) && !udrm_gpuva_next(c),
		 "prev/next should follow address order a, b, c");
	ut_check(udrm_gpuvm_interval_empty(f->vm, 10 * PG, 10 * PG) &&
			 !udrm_gpuvm_interval_empty(f->vm, 0, 5 * PG),
		 "interval_empty should see only the hole as empty");

	udrm_gpuva_remove(b);
	ut_check(!udrm_gpuva_find(f->vm, 8 * PG, 2 * PG),
		 "a removed mapping should not be found");
	ut_check(udrm_gpuva_next(a) == c, "after removing b, a's next is c");
	free(b);
}

static void insert_rejects_invalid_ranges_with_einval(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm *vm = new_vm(f, 16 * PG, 32 * PG, 20 * PG, 2 * PG);
	static const struct {
		const char *what;
		uint64_t addr, range;
	} bad[] = {
		{"zero size", 24 * PG, 0},
		{"below the VA space", 8 * PG, 4 * PG},
		{"straddling the start", 15 * PG, 2 * PG},
		{"straddling the end", 46 * PG, 4 * PG},
		{"beyond the end", 48 * PG, PG},
		{"overflowing 64 bits", UINT64_MAX - PG + 1, 2 * PG},
		{"overlapping the reserved range's start", 19 * PG, 2 * PG},
		{"overlapping the reserved range's end", 21 * PG, 2 * PG},
		{"inside the reserved range", 20 * PG, PG},
		{"covering the reserved range", 16 * PG, 32 * PG},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct udrm_gpuva va = {
			.va.addr = bad[i].addr,
			.va.range = bad[i].range,
		};
		struct udrm_gpuva_op_map req = {
			.va.addr = bad[i].addr,
			.va.range = bad[i].range,
		};
		struct udrm_gpuva_ops *ops = NULL;

		ut_expect(udrm_gpuva_insert(vm, &va), -EINVAL,
			  "inserting a mapping %s", bad[i].what);
		ut_expect(udrm_gpuvm_sm_map_ops_create(vm, &req, &ops), -EINVAL,
			  "a map request %s", bad[i].what);
		ut_expect(udrm_gpuvm_sm_unmap_ops_create(vm, bad[i].addr,
							 bad[i].range, &ops),
			  -EINVAL, "an unmap request %s", bad[i].what);
		ut_check(!ops, "a failed ops_create should not return a list");
	}
	udrm_gpuvm_put(vm);
	ut_check(f->vm_freed == 1, "the VM should be freed by its last put");
	f->vm_freed = 0;
}

static void vm_init_rejects_bad_ranges(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm vm;

	ut_expect(udrm_gpuvm_init(&vm, "x", f->r_obj, 0, 0, 0, 0, &vm_ops),
		  -EINVAL, "a VM of size 0");
	ut_expect(udrm_gpuvm_init(&vm, "x", f->r_obj, UINT64_MAX - PG + 1,
				  2 * PG, 0, 0, &vm_ops),
		  -EINVAL, "a VM whose end overflows");
	ut_expect(udrm_gpuvm_init(&vm, "x", f->r_obj, 16 * PG, 16 * PG, 0, PG,
				  &vm_ops),
		  -EINVAL, "a reserved range outside the VM");
}

static void insert_overlapping_returns_eexist(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuva *va = new_va(8 * PG, 8 * PG);
	static const struct {
		const char *what;
		uint64_t addr, range;
	} overlap[] = {
		{"the same range", 8, 8}, {"over its start", 4, 6},
		{"over its end", 14, 4},  {"inside it", 10, 2},
		{"around it", 4, 16},	  {"its first page", 8, 1},
		{"its last page", 15, 1},
	};

	ut_expect(udrm_gpuva_insert(f->vm, va), 0, "inserting [8, 16)");
	for (size_t i = 0; i < sizeof(overlap) / sizeof(overlap[0]); i++) {
		struct udrm_gpuva other = {
			.va.addr = overlap[i].addr * PG,
			.va.range = overlap[i].range * PG,
		};

		ut_expect(udrm_gpuva_insert(f->vm, &other), -EEXIST,
			  "inserting a mapping over %s", overlap[i].what);
	}
	ut_check(udrm_gpuvm_first_va(f->vm) == va && !udrm_gpuva_next(va),
		 "refused inserts should leave only [8, 16) in the VM");
}

static unsigned int rng_state = 12345;

static unsigned int rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* The tree's real height, not the one it records. */
static int tree_height(const struct udrm_gpuva *n)
{
	int l, r;

	if (!n)
		return 0;
	l = tree_height(n->rb.left);
	r = tree_height(n->rb.right);
	return 1 + (l > r ? l : r);
}

/* Checks address order, the prev/next links and the tree's balance. */
static unsigned int check_order(struct udrm_gpuvm *vm)
{
	struct udrm_gpuva *va, *prev = NULL;
	unsigned int n = 0, log2 = 0;

	udrm_gpuvm_for_each_va(va, vm)
	{
		ut_check(!prev || prev->va.addr + prev->va.range <= va->va.addr,
			 "iteration should be in address order without "
			 "overlap: %#llx+%#llx before %#llx",
			 (unsigned long long)prev->va.addr,
			 (unsigned long long)prev->va.range,
			 (unsigned long long)va->va.addr);
		ut_check(udrm_gpuva_prev(va) == prev,
			 "prev of %#llx should be the previous mapping",
			 (unsigned long long)va->va.addr);
		ut_check(udrm_gpuva_find(vm, va->va.addr, va->va.range) == va,
			 "every iterated mapping should be found exactly");
		prev = va;
		n++;
	}
	while ((1u << log2) < n + 2)
		log2++;
	/* An AVL tree is at most ~1.44 log2(n + 2) high. */
	ut_check(tree_height(vm->rb.root) <= (int)(log2 * 3 / 2),
		 "a tree of %u mappings should be balanced, height %d", n,
		 tree_height(vm->rb.root));
	return n;
}

static void iteration_follows_address_order(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm *vm = f->vm;
	enum { N = 1000 };
	unsigned int order[N], n;

	/* A bigger VM for this test only. */
	drop_all(vm);
	udrm_gpuvm_put(vm);
	f->vm_freed = 0;
	vm = f->vm = new_vm(f, 0, 4 * N * PG, 0, 0);

	for (unsigned int i = 0; i < N; i++)
		order[i] = i;
	/* The first half stays ascending: the worst order for a tree that
	 * does not rebalance. */
	for (unsigned int i = N - 1; i > N / 2; i--) {
		unsigned int j = N / 2 + rng() % (i + 1 - N / 2), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned int i = 0; i < N; i++)
		ut_expect(
			udrm_gpuva_insert(vm, new_va(order[i] * 4 * PG,
						     (1 + order[i] % 3) * PG)),
			0, "inserting mapping %u", order[i]);
	n = check_order(vm);
	ut_check(n == N, "iteration should visit %d mappings, visited %u", N,
		 n);
	for (unsigned int i = 0; i < N; i += 2) {
		struct udrm_gpuva *va =
			udrm_gpuva_find_first(vm, order[i] * 4 * PG, PG);

		ut_check(va && va->va.addr == order[i] * 4 * PG,
			 "mapping %u should be found", order[i]);
		udrm_gpuva_remove(va);
		free(va);
	}
	n = check_order(vm);
	ut_check(n == N / 2, "after removing half, %d should remain, got %u",
		 N / 2, n);
}

static void
kernel_reserved_range_is_in_the_tree_but_never_handed_out(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm *vm = new_vm(f, 0, 32 * PG, 0, 4 * PG);
	struct udrm_gpuva *va, *user = new_va(4 * PG, 4 * PG);
	struct udrm_gpuva_op_map req = {.va.addr = 2 * PG, .va.range = 4 * PG};
	struct udrm_gpuva_ops *ops = NULL;
	unsigned int n = 0;

	ut_expect(udrm_gpuva_insert(vm, user), 0,
		  "inserting right after the reserved range");
	udrm_gpuvm_for_each_va(va, vm) n++;
	ut_check(n == 2 && udrm_gpuvm_first_va(vm) == &vm->kernel_alloc_node,
		 "iteration should see the reserved node then the mapping");
	ut_check(!udrm_gpuvm_interval_empty(vm, 0, PG),
		 "the reserved range is not empty");
	ut_check(udrm_gpuva_find_prev(vm, 4 * PG) == &vm->kernel_alloc_node,
		 "the reserved node ends where the first mapping starts");
	ut_expect(udrm_gpuvm_sm_map_ops_create(vm, &req, &ops), -EINVAL,
		  "a map request over the reserved range");
	ut_expect(udrm_gpuvm_sm_unmap(vm, f, 0, 32 * PG), -EINVAL,
		  "an unmap request covering the reserved range");
	ut_check(udrm_gpuva_find(vm, 4 * PG, 4 * PG) == user,
		 "refused requests should leave the mapping alone");
	ut_check(atomic_load(&vm->refcount) == 2,
		 "the mapping holds a VM reference, the reserved node none: "
		 "expected 2, got %d",
		 atomic_load(&vm->refcount));
	udrm_gpuva_remove(user);
	free(user);
	udrm_gpuvm_put(vm);
	ut_check(f->vm_freed == 1, "the VM should be freed by its last put");
	f->vm_freed = 0;
}

/* --- vm_bo --- */

static int obj_refs(struct udrm_gem_object *obj)
{
	return atomic_load(&obj->refcount);
}

static void vm_bo_obtain_find_put_count_references(void **state)
{
	struct fx *f = *state;
	int obj_base = obj_refs(f->a), vm_base = atomic_load(&f->vm->refcount);
	struct udrm_gpuvm_bo *vm_bo, *again;
	struct udrm_gpuva *v1 = new_va(0, PG), *v2 = new_va(4 * PG, PG), *va;
	unsigned int n = 0;

	ut_check(!udrm_gpuvm_bo_find(f->vm, f->a),
		 "find should return nothing before obtain");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &vm_bo), 0,
		  "obtaining a vm_bo");
	ut_check(vm_bo->refcount == 1 && vm_bo->obj == f->a &&
			 vm_bo->vm == f->vm,
		 "a new vm_bo has one reference and points at (vm, obj)");
	ut_check(obj_refs(f->a) == obj_base + 1 &&
			 atomic_load(&f->vm->refcount) == vm_base + 1,
		 "a vm_bo holds one reference to its object and its VM");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &again), 0,
		  "obtaining the same vm_bo again");
	ut_check(again == vm_bo && vm_bo->refcount == 2,
		 "obtain of the same (vm, obj) returns the same vm_bo with a "
		 "new reference, refcount %u",
		 vm_bo->refcount);
	ut_check(udrm_gpuvm_bo_find(f->vm, f->a) == vm_bo &&
			 vm_bo->refcount == 3,
		 "find returns the vm_bo with a reference");
	udrm_gpuvm_bo_put(vm_bo);
	udrm_gpuvm_bo_put(vm_bo);

	v1->gem.obj = v2->gem.obj = f->a;
	ut_expect(udrm_gpuva_insert(f->vm, v1), 0, "inserting v1");
	ut_expect(udrm_gpuva_insert(f->vm, v2), 0, "inserting v2");
	udrm_gpuva_link(v1, vm_bo);
	udrm_gpuva_link(v2, vm_bo);
	ut_check(vm_bo->refcount == 3,
		 "each linked mapping holds a vm_bo reference, refcount %u",
		 vm_bo->refcount);
	udrm_gpuvm_bo_for_each_va(va, vm_bo)
	{
		ut_check(va == v1 || va == v2,
			 "the object's list holds only its mappings");
		n++;
	}
	ut_check(n == 2, "the object's list should hold 2 mappings, got %u", n);
	udrm_gpuvm_bo_put(vm_bo);
	udrm_gpuva_unlink(v1);
	ut_check(vm_bo->refcount == 1 && v1->vm_bo == NULL,
		 "unlink drops the mapping's vm_bo reference");
	udrm_gpuva_remove(v1);
	udrm_gpuva_remove(v2);
	udrm_gpuva_unlink(v2); /* the last reference: frees the vm_bo */
	ut_check(!udrm_gpuvm_bo_find(f->vm, f->a),
		 "the vm_bo should be gone with its last reference");
	ut_check(obj_refs(f->a) == obj_base &&
			 atomic_load(&f->vm->refcount) == vm_base,
		 "freeing the vm_bo returns the object's (%d, expected %d) and "
		 "VM's references",
		 obj_refs(f->a), obj_base);
	free(v1);
	free(v2);
}

static void extobj_list_holds_only_external_objects(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm_bo *ext, *priv, *it;
	unsigned int n = 0;

	ut_check(udrm_gpuvm_is_extobj(f->vm, f->a),
		 "an object with its own reservation is external");
	ut_check(!udrm_gpuvm_is_extobj(f->vm, f->priv),
		 "an object sharing the VM's reservation is private");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &ext), 0, "obtain ext");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->priv, &priv), 0,
		  "obtain private");
	udrm_gpuvm_bo_extobj_add(ext);
	udrm_gpuvm_bo_extobj_add(ext);
	udrm_gpuvm_bo_extobj_add(priv);
	udrm_gpuvm_for_each_extobj(it, f->vm)
	{
		ut_check(it == ext, "only the external object is listed");
		n++;
	}
	ut_check(n == 1, "the extobj list should hold 1 entry, got %u", n);
	udrm_gpuvm_bo_put(ext);
	ut_check(udrm_gpuvm_extobj_count(f->vm) == 0,
		 "freeing the vm_bo takes it off the extobj list");
	udrm_gpuvm_bo_put(priv);
}

static void evict_marks_and_unmarks(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm_bo *a, *b, *it;

	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &a), 0, "obtain a");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->b, &b), 0, "obtain b");
	udrm_gpuvm_bo_evict(a, true);
	udrm_gpuvm_bo_evict(a, true);
	ut_check(a->evicted && udrm_gpuvm_evict_count(f->vm) == 1,
		 "evicting twice lists the vm_bo once, count %u",
		 udrm_gpuvm_evict_count(f->vm));
	udrm_gpuvm_bo_evict(b, true);
	udrm_gpuvm_for_each_evicted(it, f->vm)
		ut_check(it == a || it == b, "only evicted vm_bos are listed");
	udrm_gpuvm_bo_evict(a, false);
	ut_check(!a->evicted && udrm_gpuvm_evict_count(f->vm) == 1,
		 "unmarking takes the vm_bo off the evict list");
	udrm_gpuvm_bo_evict(a, false);
	ut_check(udrm_gpuvm_evict_count(f->vm) == 1,
		 "unmarking a vm_bo not evicted changes nothing");
	udrm_gpuvm_bo_put(b);
	ut_check(udrm_gpuvm_evict_count(f->vm) == 0,
		 "freeing an evicted vm_bo takes it off the evict list");
	udrm_gpuvm_bo_put(a);
}

/* --- the GEM object's list of vm_bos (drm_gem_for_each_gpuvm_bo) --- */

/* The VMs of @obj's vm_bos, in list order, walked under obj->resv. */
static unsigned int gem_vms(struct udrm_gem_object *obj,
			    struct udrm_gpuvm **vms, unsigned int max)
{
	struct udrm_gpuvm_bo *vm_bo;
	unsigned int n = 0;

	udrm_resv_lock(obj->resv);
	udrm_gem_for_each_gpuvm_bo(vm_bo, obj)
	{
		ut_check(vm_bo->obj == obj,
			 "a vm_bo on an object's list belongs to that object");
		if (n < max)
			vms[n] = vm_bo->vm;
		n++;
	}
	ut_check(n == udrm_gem_gpuvm_bo_count(obj),
		 "the walk and the count agree: %u vs %u", n,
		 udrm_gem_gpuvm_bo_count(obj));
	udrm_resv_unlock(obj->resv);
	return n;
}

/* obtain/put under the object's reservation, the list's lock. */
static struct udrm_gpuvm_bo *obtain_locked(struct udrm_gpuvm *vm,
					   struct udrm_gem_object *obj)
{
	struct udrm_gpuvm_bo *vm_bo = NULL;

	udrm_resv_lock(obj->resv);
	ut_expect(udrm_gpuvm_bo_obtain(vm, obj, &vm_bo), 0, "obtain");
	udrm_resv_unlock(obj->resv);
	return vm_bo;
}

static void put_locked(struct udrm_gpuvm_bo *vm_bo)
{
	struct udrm_gem_object *obj = vm_bo->obj;

	udrm_resv_lock(obj->resv);
	udrm_gpuvm_bo_put(vm_bo);
	udrm_resv_unlock(obj->resv);
}

static void gem_list_names_each_tracking_vm_the_object_is_bound_in(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm *vm2 = new_vm(f, 0, VM_PAGES * PG, 0, 0);
	struct udrm_gpuvm *untracked = new_vm(f, 0, VM_PAGES * PG, 0, 0);
	struct udrm_gpuvm_bo *a1, *a2, *a3, *b2, *again;
	struct udrm_gpuvm *vms[4];

	ut_expect(udrm_gpuvm_set_flags(f->vm, UDRM_GPUVM_GEM_LIST), 0,
		  "tracking objects in a VM without vm_bos");
	ut_expect(udrm_gpuvm_set_flags(vm2, UDRM_GPUVM_GEM_LIST), 0,
		  "tracking objects in a second VM");
	ut_check(gem_vms(f->a, vms, 4) == 0,
		 "an object bound nowhere has no vm_bo");

	a1 = obtain_locked(f->vm, f->a);
	a3 = obtain_locked(untracked, f->a);
	a2 = obtain_locked(vm2, f->a);
	b2 = obtain_locked(vm2, f->b);
	ut_check(gem_vms(f->a, vms, 4) == 2 && vms[0] == f->vm && vms[1] == vm2,
		 "a's list holds its vm_bos of the two tracking VMs, oldest "
		 "first, not the untracked VM's");
	ut_check(gem_vms(f->b, vms, 4) == 1 && vms[0] == vm2,
		 "b's list holds only b's vm_bo");

	again = obtain_locked(vm2, f->a);
	ut_check(again == a2 && gem_vms(f->a, vms, 4) == 2,
		 "obtaining an existing vm_bo does not list it twice");
	put_locked(again);

	/* A mapping's reference keeps the vm_bo (and its listing). */
	{
		struct udrm_gpuva *va = new_va(0, PG);

		va->gem.obj = f->a;
		ut_expect(udrm_gpuva_insert(f->vm, va), 0, "insert");
		udrm_gpuva_link(va, a1);
		put_locked(a1);
		ut_check(gem_vms(f->a, vms, 4) == 2 && vms[0] == f->vm,
			 "a vm_bo held by a mapping stays listed");
		udrm_resv_lock(f->a->resv);
		udrm_gpuva_unlink(va);
		udrm_resv_unlock(f->a->resv);
		udrm_gpuva_remove(va);
		free(va);
	}
	ut_check(gem_vms(f->a, vms, 4) == 1 && vms[0] == vm2,
		 "the last reference going takes the vm_bo off the list");

	put_locked(a2);
	ut_check(gem_vms(f->a, vms, 4) == 0 && gem_vms(f->b, vms, 4) == 1,
		 "dropping a's last vm_bo empties a's list, not b's");
	put_locked(b2);
	udrm_gpuvm_bo_put(a3);
	udrm_gpuvm_put(untracked);
	udrm_gpuvm_put(vm2);
	ut_check(f->vm_freed == 2, "both extra VMs freed, got %d", f->vm_freed);
	f->vm_freed = 0;
}

static void gem_list_safe_walk_may_drop_each_vm_bo(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm *vm[3];
	struct udrm_gpuvm_bo *vm_bo;
	unsigned int n = 0;

	for (int i = 0; i < 3; i++) {
		vm[i] = new_vm(f, 0, VM_PAGES * PG, 0, 0);
		ut_expect(udrm_gpuvm_set_flags(vm[i], UDRM_GPUVM_GEM_LIST), 0,
			  "tracking VM %d", i);
		(void)obtain_locked(vm[i], f->a);
	}
	udrm_resv_lock(f->a->resv);
	udrm_gem_for_each_gpuvm_bo_safe(vm_bo, f->a)
	{
		ut_check(vm_bo->vm == vm[n], "walk order: VM %u", n);
		udrm_gpuvm_bo_put(vm_bo);
		n++;
	}
	udrm_resv_unlock(f->a->resv);
	ut_check(n == 3 && udrm_gem_gpuvm_bo_count(f->a) == 0,
		 "the safe walk visited 3 vm_bos (got %u) and dropped them all",
		 n);
	for (int i = 0; i < 3; i++)
		udrm_gpuvm_put(vm[i]);
	f->vm_freed = 0;
}

static void gpuvm_set_flags_refuses_a_vm_with_vm_bos(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm_bo *vm_bo;

	ut_expect(udrm_gpuvm_set_flags(f->vm, 1u << 7), -EINVAL,
		  "an unknown flag");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &vm_bo), 0, "obtain");
	ut_expect(udrm_gpuvm_set_flags(f->vm, UDRM_GPUVM_GEM_LIST), -EBUSY,
		  "tracking objects once a vm_bo exists (it is not listed)");
	ut_check(udrm_gem_gpuvm_bo_count(f->a) == 0,
		 "a vm_bo of an untracked VM is not on the object's list");
	udrm_gpuvm_bo_put(vm_bo);
	ut_expect(udrm_gpuvm_set_flags(f->vm, UDRM_GPUVM_GEM_LIST), 0,
		  "tracking objects once the VM has no vm_bo again");
}

/* --- exec: locking, validating and fencing a job's reservations --- */

/* Whether @resv is locked now (by anyone: the test is single-threaded). */
static bool resv_is_locked(struct udrm_resv *resv)
{
	if (pthread_mutex_trylock(&resv->lock))
		return true;
	pthread_mutex_unlock(&resv->lock);
	return false;
}

static bool exec_holds(const struct udrm_gpuvm_exec *exec,
		       const struct udrm_resv *resv)
{
	for (unsigned int i = 0; i < udrm_gpuvm_exec_count(exec); i++)
		if (exec->resvs[i] == resv)
			return true;
	return false;
}

static void exec_lock_locks_the_vm_and_each_external_object_once(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuvm_bo *a, *b, *priv;
	struct udrm_gpuvm_exec exec;

	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &a), 0, "obtain a");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->b, &b), 0, "obtain b");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->priv, &priv), 0,
		  "obtain priv");
	udrm_gpuvm_bo_extobj_add(a);
	udrm_gpuvm_bo_extobj_add(b);
	udrm_gpuvm_bo_extobj_add(priv);

	udrm_gpuvm_exec_init(&exec, f->vm, 1);
	/* The VM's own reservation again, through the private object. */
	ut_expect(udrm_gpuvm_exec_add_obj(&exec, f->priv), 0, "add priv");
	ut_expect(udrm_gpuvm_exec_lock(&exec), 0, "exec lock");
	ut_check(udrm_gpuvm_exec_count(&exec) == 3,
		 "the VM's reservation and a's and b's, each once: got %u",
		 udrm_gpuvm_exec_count(&exec));
	ut_check(exec_holds(&exec, udrm_gpuvm_resv(f->vm)) &&
			 exec_holds(&exec, f->a->resv) &&
			 exec_holds(&exec, f->b->resv),
		 "the exec holds the VM's, a's and b's reservations");
	for (unsigned int i = 0; i + 1 < udrm_gpuvm_exec_count(&exec); i++)
		ut_check((uintptr_t)exec.resvs[i] <
				 (uintptr_t)exec.resvs[i + 1],
			 "reservations are locked in address order");
	ut_check(resv_is_locked(udrm_gpuvm_resv(f->vm)) &&
			 resv_is_locked(f->a->resv) &&
			 resv_is_locked(f->b->resv),
		 "every collected reservation is locked");
	ut_check(resv_is_locked(f->priv->resv),
		 "the private object's reservation is the VM's, locked");
	udrm_gpuvm_exec_unlock(&exec);
	ut_check(!resv_is_locked(udrm_gpuvm_resv(f->vm)) &&
			 !resv_is_locked(f->a->resv) &&
			 !resv_is_locked(f->b->resv),
		 "unlock releases every reservation");
	ut_expect(udrm_gpuvm_exec_lock_all(&exec), 0, "locking again");
	ut_check(resv_is_locked(f->a->resv), "the collection stays for a "
					     "second lock");
	udrm_gpuvm_exec_fini(&exec);
	ut_check(!resv_is_locked(f->a->resv) &&
			 !resv_is_locked(udrm_gpuvm_resv(f->vm)),
		 "fini unlocks");
	udrm_gpuvm_bo_put(priv);
	udrm_gpuvm_bo_put(b);
	udrm_gpuvm_bo_put(a);
}

static void exec_prepare_range_collects_the_objects_mapped_there(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuva *va_a = new_va(0, 4 * PG), *va_b = new_va(8 * PG, PG);
	struct udrm_gpuva *sparse = new_va(4 * PG, 2 * PG);
	struct udrm_gpuvm_exec exec;

	va_a->gem.obj = f->a;
	va_b->gem.obj = f->b;
	ut_expect(udrm_gpuva_insert(f->vm, va_a), 0, "insert a's mapping");
	ut_expect(udrm_gpuva_insert(f->vm, va_b), 0, "insert b's mapping");
	ut_expect(udrm_gpuva_insert(f->vm, sparse), 0, "insert a sparse one");

	udrm_gpuvm_exec_init(&exec, f->vm, 0);
	ut_expect(udrm_gpuvm_prepare_range(&exec, 2 * PG, 4 * PG), 0,
		  "prepare [2, 6) pages");
	ut_expect(udrm_gpuvm_exec_lock_all(&exec), 0, "lock [2, 6)");
	ut_check(udrm_gpuvm_exec_count(&exec) == 1 &&
			 exec_holds(&exec, f->a->resv),
		 "[2, 6) maps a (and a sparse range): only a's reservation, "
		 "got %u",
		 udrm_gpuvm_exec_count(&exec));
	udrm_gpuvm_exec_fini(&exec);

	udrm_gpuvm_exec_init(&exec, f->vm, 0);
	ut_expect(udrm_gpuvm_prepare_range(&exec, 0, VM_PAGES * PG), 0,
		  "prepare the whole VM");
	ut_expect(udrm_gpuvm_exec_lock_all(&exec), 0, "lock the whole VM");
	ut_check(udrm_gpuvm_exec_count(&exec) == 2 &&
			 exec_holds(&exec, f->a->resv) &&
			 exec_holds(&exec, f->b->resv),
		 "the whole VM maps a and b: got %u reservations",
		 udrm_gpuvm_exec_count(&exec));
	udrm_gpuvm_exec_fini(&exec);

	udrm_gpuvm_exec_init(&exec, f->vm, 0);
	ut_expect(udrm_gpuvm_prepare_range(&exec, 12 * PG, 4 * PG), 0,
		  "prepare an empty range");
	ut_expect(udrm_gpuvm_exec_lock_all(&exec), 0, "lock nothing");
	ut_check(udrm_gpuvm_exec_count(&exec) == 0,
		 "an unmapped range collects nothing");
	udrm_gpuvm_exec_fini(&exec);
}

struct validate_log {
	struct fx *f;
	char order[8];
	unsigned int calls;
	struct udrm_gem_object *fail_on;
};

static int validate_vm_bo(struct udrm_gpuvm_bo *vm_bo, void *priv)
{
	struct validate_log *log = priv;

	ut_check(resv_is_locked(vm_bo->obj->resv),
		 "validate runs with the object's reservation locked");
	if (log->calls < sizeof(log->order) - 1)
		log->order[log->calls] =
			vm_bo->obj == log->f->priv
				? 'P'
				: obj_letter(log->f, vm_bo->obj);
	log->calls++;
	return vm_bo->obj == log->fail_on ? -ENOMEM : 0;
}

static void validate_revalidates_the_evicted_and_stops_at_an_error(void **state)
{
	static const struct udrm_gpuvm_ops ops = {
		.vm_free = vm_free,
		.vm_bo_validate = validate_vm_bo,
	};
	struct fx *f = *state;
	struct validate_log log = {.f = f};
	struct udrm_gpuvm_bo *a, *b, *priv;
	struct udrm_gpuvm_exec exec;

	f->vm->ops = &ops;
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &a), 0, "obtain a");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->b, &b), 0, "obtain b");
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->priv, &priv), 0,
		  "obtain priv");
	udrm_gpuvm_bo_extobj_add(a);
	udrm_gpuvm_bo_extobj_add(b);
	udrm_gpuvm_bo_evict(priv, true);
	udrm_gpuvm_bo_evict(b, true);
	udrm_gpuvm_bo_evict(a, true);

	udrm_gpuvm_exec_init(&exec, f->vm, 0);
	ut_expect(udrm_gpuvm_exec_lock(&exec), 0, "exec lock");
	log.fail_on = f->b;
	ut_expect(udrm_gpuvm_validate(f->vm, &exec, &log), -ENOMEM,
		  "validate with b failing");
	ut_check(!strcmp(log.order, "PB"),
		 "validate walks the evict list in order and stops at b: "
		 "called for \"%s\"",
		 log.order);
	ut_check(!priv->evicted && b->evicted && a->evicted &&
			 udrm_gpuvm_evict_count(f->vm) == 2,
		 "the validated vm_bo leaves the evict list, the failed one "
		 "and those after it stay (count %u)",
		 udrm_gpuvm_evict_count(f->vm));

	log = (struct validate_log){.f = f};
	ut_expect(udrm_gpuvm_validate(f->vm, &exec, &log), 0, "validate again");
	ut_check(!strcmp(log.order, "BA") && udrm_gpuvm_evict_count(f->vm) == 0,
		 "the rest is validated in order (\"%s\") and the list is "
		 "empty (count %u)",
		 log.order, udrm_gpuvm_evict_count(f->vm));
	log = (struct validate_log){.f = f};
	ut_expect(udrm_gpuvm_validate(f->vm, &exec, &log), 0,
		  "validate with nothing evicted");
	ut_check(log.calls == 0, "nothing evicted: no callback, got %u",
		 log.calls);
	udrm_gpuvm_exec_fini(&exec);
	f->vm->ops = &vm_ops;
	udrm_gpuvm_bo_put(priv);
	udrm_gpuvm_bo_put(b);
	udrm_gpuvm_bo_put(a);
}

static unsigned int fences_of(struct udrm_resv *resv,
			      enum udrm_resv_usage usage)
{
	struct udrm_fence **fences = NULL;
	unsigned int count = 0;

	ut_expect(udrm_resv_get_fences(resv, usage, &count, &fences), 0,
		  "getting the fences of a reservation");
	for (unsigned int i = 0; i < count; i++)
		udrm_fence_put(fences[i]);
	free(fences);
	return count;
}

static void resv_add_fence_uses_private_and_extobj_usages(void **state)
{
	static const struct udrm_fence_ops fence_ops = {0};
	struct fx *f = *state;
	struct udrm_fence *fence = calloc(1, sizeof(*fence));
	struct udrm_gpuvm_bo *a;
	struct udrm_gpuvm_exec exec;

	assert_non_null(fence);
	udrm_fence_init(fence, &fence_ops, NULL, NULL,
			udrm_fence_context_alloc(1), 1);
	ut_expect(udrm_gpuvm_bo_obtain(f->vm, f->a, &a), 0, "obtain a");
	udrm_gpuvm_bo_extobj_add(a);

	udrm_gpuvm_exec_init(&exec, f->vm, 1);
	ut_expect(udrm_gpuvm_exec_lock(&exec), 0, "exec lock");
	udrm_gpuvm_resv_add_fence(f->vm, &exec, fence, UDRM_RESV_USAGE_BOOKKEEP,
				  UDRM_RESV_USAGE_WRITE);
	udrm_gpuvm_exec_fini(&exec);

	ut_check(fences_of(udrm_gpuvm_resv(f->vm), UDRM_RESV_USAGE_READ) == 0 &&
			 fences_of(udrm_gpuvm_resv(f->vm),
				   UDRM_RESV_USAGE_BOOKKEEP) == 1,
		 "the VM's reservation has the fence as BOOKKEEP only");
	ut_check(fences_of(f->a->resv, UDRM_RESV_USAGE_WRITE) == 1,
		 "the external object's reservation has it as WRITE");
	ut_check(fences_of(f->priv->resv, UDRM_RESV_USAGE_BOOKKEEP) == 1,
		 "the private object shares the VM's reservation and fence");
	ut_check(fences_of(f->b->resv, UDRM_RESV_USAGE_BOOKKEEP) == 0,
		 "an object not in the VM gets no fence");
	udrm_fence_signal(fence);
	udrm_fence_put(fence);
	udrm_gpuvm_bo_put(a);
}

/* --- split/merge --- */

struct sm_case {
	const char *name;
	const char *before;
	bool unmap;
	unsigned long long addr, range;
	char obj;
	unsigned long long offset;
	const char *steps;
	const char *after;
};

static const struct sm_case sm_cases[] = {
	{"map over nothing", "", false, 4, 4, 'A', 0, "map 4+4@A0", "4+4@A0"},
	{"map over a whole mapping of another object", "4+4@A0", false, 4, 4,
	 'B', 0, "unmap 4+4; map 4+4@B0", "4+4@B0"},
	{"map over a whole mapping, same object, other offset", "4+4@A0", false,
	 4, 4, 'A', 1, "unmap 4+4; map 4+4@A1", "4+4@A1"},
	{"map over a whole mapping, same backing: keep", "4+4@A0", false, 4, 4,
	 'A', 0, "unmap 4+4 keep; map 4+4@A0", "4+4@A0"},
	{"map inside a mapping: prev and next remain", "0+16@A0", false, 4, 4,
	 'B', 0, "remap 0+16 prev 0+4@A0 next 8+8@A8; map 4+4@B0",
	 "0+4@A0 4+4@B0 8+8@A8"},
	{"map inside a mapping with its own backing: keep", "0+16@A0", false, 4,
	 4, 'A', 4, "remap 0+16 keep prev 0+4@A0 next 8+8@A8; map 4+4@A4",
	 "0+4@A0 4+4@A4 8+8@A8"},
	{"map over the start of a mapping", "4+8@A0", false, 0, 8, 'B', 0,
	 "remap 4+8 prev - next 8+4@A4; map 0+8@B0", "0+8@B0 8+4@A4"},
	{"map over the end of a mapping", "0+8@A0", false, 4, 8, 'B', 0,
	 "remap 0+8 prev 0+4@A0 next -; map 4+8@B0", "0+4@A0 4+8@B0"},
	{"map from a mapping's start, ending inside", "0+8@A0", false, 0, 4,
	 'A', 0, "remap 0+8 keep prev - next 4+4@A4; map 0+4@A0",
	 "0+4@A0 4+4@A4"},
	{"map spanning several mappings", "0+4@A0 4+4@B0 8+4@A8 14+4@B4", false,
	 2, 14, 'B', 2,
	 "remap 0+4 prev 0+2@A0 next -; unmap 4+4; unmap 8+4; "
	 "remap 14+4 prev - next 16+2@B6; map 2+14@B2",
	 "0+2@A0 2+14@B2 16+2@B6"},
	{"map across two mappings of the same backing: keep both",
	 "0+4@A0 4+4@A4", false, 2, 4, 'A', 2,
	 "remap 0+4 keep prev 0+2@A0 next -; "
	 "remap 4+4 keep prev - next 6+2@A6; map 2+4@A2",
	 "0+2@A0 2+4@A2 6+2@A6"},
	{"sparse mappings are never kept", "0+4@-0", false, 0, 4, '-', 0,
	 "unmap 0+4; map 0+4@-0", "0+4@-0"},
	{"map between neighbours touches neither", "0+4@A0 8+4@A8", false, 4, 4,
	 'A', 4, "map 4+4@A4", "0+4@A0 4+4@A4 8+4@A8"},
	{"unmap part of a mapping", "0+8@A0", true, 2, 4, 0, 0,
	 "remap 0+8 prev 0+2@A0 next 6+2@A6", "0+2@A0 6+2@A6"},
	{"unmap a whole mapping", "4+4@A0", true, 4, 4, 0, 0, "unmap 4+4", ""},
	{"unmap the start of a mapping", "4+4@A0", true, 0, 6, 0, 0,
	 "remap 4+4 prev - next 6+2@A2", "6+2@A2"},
	{"unmap spanning several mappings", "0+4@A0 4+4@B0 10+4@A10", true, 2,
	 10, 0, 0,
	 "remap 0+4 prev 0+2@A0 next -; unmap 4+4; "
	 "remap 10+4 prev - next 12+2@A12",
	 "0+2@A0 12+2@A12"},
	{"unmap over nothing", "0+4@A0", true, 8, 4, 0, 0, "", "0+4@A0"},
};

static struct udrm_gpuva_op_map case_req(struct fx *f, const struct sm_case *c)
{
	struct udrm_gpuva_op_map req = {
		.va.addr = c->addr * PG,
		.va.range = c->range * PG,
		.gem.obj = letter_obj(f, c->obj),
		.gem.offset = c->offset * PG,
	};
	return req;
}

static void reset_vm(struct fx *f)
{
	drop_all(f->vm);
	f->steps[0] = 0;
	f->calls = 0;
	f->fail_at = -1;
}

/* Checks every vm_bo's list against the tree: each mapping of an object is
 * linked to the object's vm_bo. */
static void check_vm_bo_links(struct fx *f)
{
	struct udrm_gem_object *objs[] = {f->a, f->b};

	for (size_t i = 0; i < 2; i++) {
		struct udrm_gpuvm_bo *vm_bo =
			udrm_gpuvm_bo_find(f->vm, objs[i]);
		struct udrm_gpuva *va;
		unsigned int in_tree = 0, linked = 0;

		udrm_gpuvm_for_each_va(va, f->vm) in_tree +=
			va->gem.obj == objs[i];
		if (!vm_bo) {
			ut_check(!in_tree,
				 "an object with %u mappings should "
				 "have a vm_bo",
				 in_tree);
			continue;
		}
		udrm_gpuvm_bo_for_each_va(va, vm_bo)
		{
			ut_check(va->gem.obj == objs[i] && va->vm == f->vm,
				 "a vm_bo lists only its object's mappings");
			linked++;
		}
		ut_check(linked == in_tree,
			 "the vm_bo should list %u mappings, lists %u", in_tree,
			 linked);
		ut_check(
			vm_bo->refcount == linked + 1,
			"the vm_bo's references should be its mappings + ours");
		udrm_gpuvm_bo_put(vm_bo);
	}
}

static void split_merge_table(void **state)
{
	struct fx *f = *state;
	char list_steps[2048], got[2048];

	for (size_t i = 0; i < sizeof(sm_cases) / sizeof(sm_cases[0]); i++) {
		const struct sm_case *c = &sm_cases[i];
		struct udrm_gpuva_op_map req = case_req(f, c);
		struct udrm_gpuva_ops *ops = NULL;
		struct udrm_gpuva_op *op;
		unsigned int count = 0;
		int ret;

		/* As a list: walked once to describe, once to apply. */
		reset_vm(f);
		populate(f, c->before);
		ret = c->unmap
			      ? udrm_gpuvm_sm_unmap_ops_create(
					f->vm, req.va.addr, req.va.range, &ops)
			      : udrm_gpuvm_sm_map_ops_create(f->vm, &req, &ops);
		ut_expect(ret, 0, "%s: creating the ops", c->name);
		list_steps[0] = 0;
		udrm_gpuva_for_each_op(op, ops)
		{
			describe_step(f, list_steps, sizeof(list_steps), op);
			count++;
		}
		ut_check(count == ops->count, "%s: ops->count %u, walked %u",
			 c->name, ops->count, count);
		ut_check(!strcmp(list_steps, c->steps),
			 "%s: expected the steps \"%s\", the list has \"%s\"",
			 c->name, c->steps, list_steps);
		udrm_gpuva_for_each_op(op, ops) apply_op(f, op);
		udrm_gpuva_ops_free(ops);
		describe_vm(f, got, sizeof(got));
		ut_check(!strcmp(got, c->after),
			 "%s: after applying the list expected \"%s\", got "
			 "\"%s\"",
			 c->name, c->after, got);
		check_vm_bo_links(f);

		/* Through the callbacks, applied as they come. */
		reset_vm(f);
		populate(f, c->before);
		ret = c->unmap ? udrm_gpuvm_sm_unmap(f->vm, f, req.va.addr,
						     req.va.range)
			       : udrm_gpuvm_sm_map(f->vm, f, &req);
		ut_expect(ret, 0, "%s: sm_map/sm_unmap", c->name);
		ut_check(!strcmp(f->steps, list_steps),
			 "%s: the callbacks saw \"%s\", the list had \"%s\"",
			 c->name, f->steps, list_steps);
		describe_vm(f, got, sizeof(got));
		ut_check(!strcmp(got, c->after),
			 "%s: after the callbacks expected \"%s\", got \"%s\"",
			 c->name, c->after, got);
		check_vm_bo_links(f);
	}
}

static void callback_error_stops_the_walk(void **state)
{
	struct fx *f = *state;
	struct udrm_gpuva_op_map req = {
		.va.addr = 2 * PG, .va.range = 12 * PG, .gem.obj = f->b};
	char got[512];

	populate(f, "0+4@A0 4+4@A4 8+8@A8");
	f->fail_at = 1;
	ut_expect(udrm_gpuvm_sm_map(f->vm, f, &req), -EIO,
		  "sm_map whose second step fails");
	ut_check(!strcmp(f->steps, "remap 0+4 prev 0+2@A0 next -; unmap 4+4"),
		 "the walk should stop at the failing step, saw \"%s\"",
		 f->steps);
	describe_vm(f, got, sizeof(got));
	ut_check(!strcmp(got, "0+2@A0 4+4@A4 8+8@A8"),
		 "only the steps before the failure were applied, got \"%s\"",
		 got);
	f->fail_at = 0;
	f->calls = 0;
	f->steps[0] = 0;
	ut_expect(udrm_gpuvm_sm_unmap(f->vm, f, 0, 16 * PG), -EIO,
		  "sm_unmap whose first step fails");
	ut_check(f->calls == 1, "the walk should stop after the first step");
}

/* --- random requests against a page model --- */

struct page_model {
	char obj; /* 0: unmapped, '-', 'A', 'B' */
	uint64_t offset;
};

static void check_model(struct fx *f, const struct page_model *model,
			unsigned int round)
{
	struct udrm_gpuva *va;
	unsigned int mapped = 0, expected = 0;

	udrm_gpuvm_for_each_va(va, f->vm)
	{
		for (uint64_t p = va->va.addr / PG;
		     p < (va->va.addr + va->va.range) / PG; p++) {
			uint64_t off =
				va->gem.offset / PG + (p - va->va.addr / PG);

			ut_check(model[p].obj == obj_letter(f, va->gem.obj) &&
					 model[p].offset == off,
				 "round %u: page %llu should be %c%llu, the VM "
				 "has %c%llu",
				 round, (unsigned long long)p,
				 model[p].obj ? model[p].obj : '0',
				 (unsigned long long)model[p].offset,
				 obj_letter(f, va->gem.obj),
				 (unsigned long long)off);
			mapped++;
		}
	}
	for (unsigned int p = 0; p < VM_PAGES; p++)
		expected += model[p].obj != 0;
	ut_check(mapped == expected,
		 "round %u: the VM maps %u pages, the model %u", round, mapped,
		 expected);
}

static void random_requests_match_a_page_model(void **state)
{
	struct fx *f = *state;
	struct page_model model[VM_PAGES] = {0};
	static const char objs[] = {'A', 'B', '-'};

	for (unsigned int round = 0; round < 3000; round++) {
		unsigned int addr = rng() % VM_PAGES;
		unsigned int range = 1 + rng() % (VM_PAGES - addr);
		bool unmap = rng() % 3 == 0, use_list = rng() % 2;
		char obj = objs[rng() % 3];
		/* Small offsets, so that keep happens often. */
		unsigned int offset = rng() % 8;
		struct udrm_gpuva_op_map req = {
			.va.addr = addr * PG,
			.va.range = range * PG,
			.gem.obj = letter_obj(f, obj),
			.gem.offset = offset * PG,
		};
		struct udrm_gpuva_ops *ops = NULL;
		struct udrm_gpuva_op *op;
		int ret;

		if (use_list) {
			ret = unmap ? udrm_gpuvm_sm_unmap_ops_create(
					      f->vm, req.va.addr, req.va.range,
					      &ops)
				    : udrm_gpuvm_sm_map_ops_create(f->vm, &req,
								   &ops);
			ut_expect(ret, 0, "round %u: ops_create", round);
			udrm_gpuva_for_each_op(op, ops)
			{
				/* keep only where the backing is unchanged */
				if (op->op == UDRM_GPUVA_OP_UNMAP &&
				    op->unmap.keep)
					ut_check(op->unmap.va->gem.obj ==
							 req.gem.obj,
						 "keep with another object");
				apply_op(f, op);
			}
			udrm_gpuva_ops_free(ops);
		} else {
			ret = unmap ? udrm_gpuvm_sm_unmap(f->vm, f, req.va.addr,
							  req.va.range)
				    : udrm_gpuvm_sm_map(f->vm, f, &req);
			ut_expect(ret, 0, "round %u: sm_map/unmap", round);
		}
		for (unsigned int p = addr; p < addr + range; p++) {
			model[p].obj = unmap ? 0 : obj;
			model[p].offset = unmap ? 0 : offset + (p - addr);
		}
		check_model(f, model, round);
		if (round % 100 == 0) {
			check_order(f->vm);
			check_vm_bo_links(f);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(insert_find_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			insert_rejects_invalid_ranges_with_einval, setup,
			teardown),
		cmocka_unit_test_setup_teardown(vm_init_rejects_bad_ranges,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			insert_overlapping_returns_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(iteration_follows_address_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			kernel_reserved_range_is_in_the_tree_but_never_handed_out,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			vm_bo_obtain_find_put_count_references, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			extobj_list_holds_only_external_objects, setup,
			teardown),
		cmocka_unit_test_setup_teardown(evict_marks_and_unmarks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			gem_list_names_each_tracking_vm_the_object_is_bound_in,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			gem_list_safe_walk_may_drop_each_vm_bo, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			gpuvm_set_flags_refuses_a_vm_with_vm_bos, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			exec_lock_locks_the_vm_and_each_external_object_once,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			exec_prepare_range_collects_the_objects_mapped_there,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			validate_revalidates_the_evicted_and_stops_at_an_error,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			resv_add_fence_uses_private_and_extobj_usages, setup,
			teardown),
		cmocka_unit_test_setup_teardown(split_merge_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(callback_error_stops_the_walk,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			random_requests_match_a_page_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
