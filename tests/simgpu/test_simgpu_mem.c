// SPDX-License-Identifier: MIT
/*
 * simgpu's memory side through the embedding API, white-box: buffers made
 * with BO_CREATE and bound with VM_BIND on a simgpu device with small
 * VRAM, checked by translating GPU addresses through the VM's page tables
 * (simgpu_mmu, as the GPU does), and residency/eviction driven by
 * simgpu_gem_make_resident() and simgpu_vm_prepare_job() directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cmocka.h>

#include <drm.h>

#include "core/device.h"
#include "core/file.h"
#include "core/gem.h"
#include "gpu/simgpu_mmu.h"
#include "simgpu_drv.h"
#include "simgpu_gem.h"
#include "simgpu_vm.h"
#include "sync/dma_fence.h"
#include "sync/dma_resv.h"
#include "sync/syncobj.h"
#include "udrm/simgpu_drm.h"
#include "udrm/udrm.h"

#include "simgpu_check.h"
#include "simgpu_file_fixture.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define VA0 0x100000ull

static int setup(void **state)
{
	return setup_opts(state, "vram_size=2M\nheartbeat_ms=0\n");
}

static uint32_t bo_create(struct t *t, uint64_t size, uint32_t flags)
{
	struct drm_simgpu_bo_create c = {.size = size, .flags = flags};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_BO_CREATE, &c), 0,
		   "BO_CREATE of %llu bytes", (unsigned long long)size);
	return c.handle;
}

static uint8_t *bo_map(struct t *t, uint32_t handle, uint64_t size)
{
	struct drm_simgpu_bo_mmap_offset m = {.handle = handle};
	void *p = NULL;

	expect_eq(
		udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &m),
		0, "BO_MMAP_OFFSET");
	expect_eq(udrm_file_mmap(t->file, NULL, size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, m.offset, &p),
		   0, "mmap of the buffer");
	return p;
}

static uint32_t vm_create(struct t *t)
{
	struct drm_simgpu_vm_create c = {0};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_VM_CREATE, &c), 0,
		   "VM_CREATE");
	return c.id;
}

static int bind(struct t *t, uint32_t vm, uint32_t flags,
		struct drm_simgpu_vm_bind_op *op)
{
	struct drm_simgpu_vm_bind b = {
		.vm_id = vm,
		.flags = flags,
		.ops = DRM_SIMGPU_OBJ_ARRAY(1, op),
	};

	return udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_VM_BIND, &b);
}

static int map(struct t *t, uint32_t vm, uint32_t bo, uint64_t off, uint64_t va,
	       uint64_t size)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.bo_handle = bo,
		.bo_offset = off,
		.va = va,
		.size = size,
	};

	return bind(t, vm, 0, &op);
}

static int unmap(struct t *t, uint32_t vm, uint64_t va, uint64_t size)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP,
		.va = va,
		.size = size,
	};

	return bind(t, vm, 0, &op);
}

/* The GPU's view of @va in @vm_id: the CPU address of its byte, or NULL
 * when it faults. */
static uint8_t *gpu_ptr(struct t *t, uint32_t vm_id, uint64_t va)
{
	struct simgpu_vm *vm = simgpu_vm_lookup(simgpu_file(t->file), vm_id);
	struct simgpu_dev *hw = t->sdev->hw;
	struct simgpu_mmu mmu;
	uint8_t *p;

	assert_non_null(vm);
	simgpu_mmu_init(&mmu, hw->vram, hw->phys_size, simgpu_vm_as_root(vm));
	p = simgpu_mmu_ptr(&mmu, va, SIMGPU_ACCESS_READ);
	simgpu_vm_put(vm);
	return p;
}

static struct udrm_gem_object *lookup(struct t *t, uint32_t handle)
{
	struct udrm_gem_object *obj = udrm_gem_object_lookup(t->file, handle);

	assert_non_null(obj);
	return obj;
}

/* Each page of a buffer starts with its index and a tag. */
static void stamp(uint8_t *p, uint64_t size, uint32_t tag)
{
	for (uint64_t off = 0; off < size; off += 4 * KiB) {
		uint32_t v[2] = {tag, (uint32_t)(off / (4 * KiB))};

		memcpy(p + off, v, sizeof(v));
	}
}

/* Fails unless GPU page @va reads page @page of buffer @tag. */
static void expect_page(struct t *t, uint32_t vm, uint64_t va, uint32_t tag,
			uint32_t page)
{
	uint8_t *p = gpu_ptr(t, vm, va);
	uint32_t v[2];

	if (!p)
		fail_msg(
			"VA 0x%llx: expected page %u of buffer %u, got a fault",
			(unsigned long long)va, page, tag);
	memcpy(v, p, sizeof(v));
	if (v[0] != tag || v[1] != page)
		fail_msg(
			"VA 0x%llx: expected page %u of buffer %u, got page %u "
			"of %u",
			(unsigned long long)va, page, tag, v[1], v[0]);
}

static void expect_fault(struct t *t, uint32_t vm, uint64_t va)
{
	if (gpu_ptr(t, vm, va))
		fail_msg("VA 0x%llx: expected a fault (unmapped)",
			 (unsigned long long)va);
}

static void map_shows_the_buffers_pages_to_the_gpu(void **state)
{
	struct t *t = *state;
	uint32_t vm = vm_create(t);
	uint32_t bo = bo_create(t, 64 * KiB, 0);
	uint8_t *cpu = bo_map(t, bo, 64 * KiB);
	uint8_t *gpu;

	stamp(cpu, 64 * KiB, 1);
	expect_eq(map(t, vm, bo, 0, VA0, 64 * KiB), 0, "MAP");
	for (uint32_t i = 0; i < 16; i++)
		expect_page(t, vm, VA0 + i * 4 * KiB, 1, i);
	expect_fault(t, vm, VA0 + 64 * KiB);
	/* Same pages both ways: a GPU write is seen by the CPU. */
	gpu = gpu_ptr(t, vm, VA0 + 8);
	gpu[0] = 0xab;
	assert_int_equal(cpu[8], 0xab);
	munmap(cpu, 64 * KiB);
}

static void map_over_and_unmap_keep_the_rest(void **state)
{
	struct t *t = *state;
	uint32_t vm = vm_create(t);
	uint32_t a = bo_create(t, 64 * KiB, 0), b = bo_create(t, 16 * KiB, 0);
	uint8_t *pa = bo_map(t, a, 64 * KiB), *pb = bo_map(t, b, 16 * KiB);

	stamp(pa, 64 * KiB, 1);
	stamp(pb, 16 * KiB, 2);
	expect_eq(map(t, vm, a, 0, VA0, 64 * KiB), 0, "MAP a");
	/* Over the middle of a: a is split around b. */
	expect_eq(map(t, vm, b, 4 * KiB, VA0 + 16 * KiB, 8 * KiB), 0,
		   "MAP b over a");
	expect_page(t, vm, VA0 + 12 * KiB, 1, 3);
	expect_page(t, vm, VA0 + 16 * KiB, 2, 1);
	expect_page(t, vm, VA0 + 20 * KiB, 2, 2);
	expect_page(t, vm, VA0 + 24 * KiB, 1, 6);
	expect_page(t, vm, VA0 + 60 * KiB, 1, 15);
	/* An unmap straddling b's end and a's remainder, and a hole. */
	expect_eq(unmap(t, vm, VA0 + 20 * KiB, 8 * KiB), 0, "UNMAP");
	expect_page(t, vm, VA0 + 16 * KiB, 2, 1);
	expect_fault(t, vm, VA0 + 20 * KiB);
	expect_fault(t, vm, VA0 + 24 * KiB);
	expect_page(t, vm, VA0 + 28 * KiB, 1, 7);
	expect_eq(unmap(t, vm, VA0 - 64 * KiB, 256 * KiB), 0,
		   "UNMAP of everything and holes");
	expect_fault(t, vm, VA0);
	expect_fault(t, vm, VA0 + 60 * KiB);
	munmap(pa, 64 * KiB);
	munmap(pb, 16 * KiB);
}

/* A buffer's reservation, locked, as the make_resident contract wants. */
static int make_resident(struct t *t, uint32_t handle, uint64_t *pa)
{
	struct udrm_gem_object *obj = lookup(t, handle);
	int ret;

	udrm_resv_lock(obj->resv);
	ret = simgpu_gem_make_resident(t->sdev, obj, pa);
	udrm_resv_unlock(obj->resv);
	udrm_gem_object_put(obj);
	return ret;
}

static bool resident(struct t *t, uint32_t handle)
{
	struct udrm_gem_object *obj = lookup(t, handle);
	bool r = simgpu_gem_is_resident(t->sdev, obj, NULL);

	udrm_gem_object_put(obj);
	return r;
}

static const struct udrm_fence_ops test_fence_ops = {0};

/* An unsignalled fence of our own in @handle's reservation: busy. */
static struct udrm_fence *make_busy(struct t *t, uint32_t handle)
{
	struct udrm_gem_object *obj = lookup(t, handle);
	struct udrm_fence *f = calloc(1, sizeof(*f));

	udrm_fence_init(f, &test_fence_ops, NULL, NULL,
			udrm_fence_context_alloc(1), 1);
	expect_eq(udrm_resv_add_fence(obj->resv, f, UDRM_RESV_USAGE_BOOKKEEP),
		   0, "add a fence");
	udrm_gem_object_put(obj);
	return f;
}

/*
 * 2 MiB of VRAM: three 512 KiB buffers mapped in VM 1 fill most of it.
 * A fourth, mapped in VM 2, needs room: the least recently used idle
 * buffer goes, never the busy or locked ones; its PTEs are cleared, its
 * contents stay; prepare_job brings it back and rewrites its PTEs.
 */
static void vram_pressure_evicts_idle_buffers_only(void **state)
{
	struct t *t = *state;
	uint32_t vm1 = vm_create(t), vm2 = vm_create(t);
	uint32_t bo[4];
	uint8_t *cpu[4];
	struct udrm_fence *busy;
	struct udrm_gem_object *locked;
	struct simgpu_vm *v1;
	uint64_t pa;

	for (int i = 0; i < 4; i++) {
		bo[i] = bo_create(t, 512 * KiB, 0);
		cpu[i] = bo_map(t, bo[i], 512 * KiB);
		stamp(cpu[i], 512 * KiB, 10 + i);
	}
	for (int i = 0; i < 3; i++) {
		expect_eq(map(t, vm1, bo[i], 0, VA0 + i * MiB, 512 * KiB), 0,
			   "MAP buffer %d", i);
		assert_true(resident(t, bo[i]));
	}
	/* bo[0] least recently used but busy, bo[1] locked: bo[2] goes. */
	busy = make_busy(t, bo[0]);
	locked = lookup(t, bo[1]);
	udrm_resv_lock(locked->resv);
	expect_eq(map(t, vm2, bo[3], 0, VA0, 512 * KiB), 0, "MAP in VM 2");
	udrm_resv_unlock(locked->resv);
	udrm_gem_object_put(locked);
	if (!resident(t, bo[3]))
		fail_msg("the new buffer should have been made resident");
	assert_true(resident(t, bo[0]));
	assert_true(resident(t, bo[1]));
	if (resident(t, bo[2]))
		fail_msg(
			"the idle, unlocked buffer 2 should have been evicted");
	expect_fault(t, vm1, VA0 + 2 * MiB);
	expect_page(t, vm1, VA0, 10, 0);
	expect_page(t, vm2, VA0 + 4 * KiB, 13, 1);
	/* Its pages are kept: the CPU still sees them. */
	assert_int_equal(cpu[2][0], 12);

	/* A job in VM 1: buffer 2 comes back, VM 2's buffer (idle) makes
	 * room, the PTEs are rewritten. */
	v1 = simgpu_vm_lookup(simgpu_file(t->file), vm1);
	expect_eq(simgpu_vm_prepare_job(v1, NULL), 0, "prepare_job in VM 1");
	simgpu_vm_put(v1);
	assert_true(resident(t, bo[2]));
	if (resident(t, bo[3]))
		fail_msg("VM 2's idle buffer should have been evicted");
	expect_page(t, vm1, VA0 + 2 * MiB + 12 * KiB, 12, 3);
	expect_fault(t, vm2, VA0);

	/* Only busy buffers left besides the one wanted: no room. */
	udrm_fence_put(make_busy(t, bo[1]));
	udrm_fence_put(make_busy(t, bo[2]));
	expect_eq(make_resident(t, bo[3], &pa), -ENOSPC,
		   "make_resident with every other buffer busy");
	udrm_fence_signal(busy);
	udrm_fence_put(busy);
	expect_eq(make_resident(t, bo[3], &pa), 0,
		   "make_resident once buffer 0 is idle");
	if (resident(t, bo[0]))
		fail_msg("buffer 0, idle now, should have been evicted");
	for (int i = 0; i < 4; i++)
		munmap(cpu[i], 512 * KiB);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fills VRAM with busy resident buffers but for @leave bytes of its
 * largest hole (smallest holes first: VRAM allocations are best fit, so
 * each buffer lands in the hole of its size).
 */
static void fill_vram(struct t *t, uint64_t leave)
{
	struct simgpu_dev *hw = t->sdev->hw;
	uint64_t holes[64], hs, he, pa;
	struct udrm_mm_node *pos;
	unsigned int n = 0;

	pthread_mutex_lock(&hw->vram_lock);
	udrm_mm_for_each_hole(pos, &hw->vram_mm, hs, he)
	{
		/* Buffers are pages, page aligned. */
		hs = (hs + 4 * KiB - 1) & ~(4 * KiB - 1);
		he &= ~(4 * KiB - 1);
		if (n < 64 && he > hs)
			holes[n++] = he - hs;
	}
	pthread_mutex_unlock(&hw->vram_lock);
	qsort(holes, n, sizeof(holes[0]), cmp_u64);
	assert_true(n > 0 && holes[n - 1] >= leave);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t size = i == n - 1 ? holes[i] - leave : holes[i];
		uint32_t bo;

		if (!size)
			continue;
		bo = bo_create(t, size, 0);
		expect_eq(make_resident(t, bo, &pa), 0,
			   "filling a VRAM hole of %llu bytes",
			   (unsigned long long)size);
		udrm_fence_put(make_busy(t, bo));
	}
}

/* Maps and unmaps a page at @va, so that its page tables exist. */
static void warm_tables(struct t *t, uint32_t vm, uint64_t va)
{
	uint32_t bo = bo_create(t, 4 * KiB, 0);

	expect_eq(map(t, vm, bo, 0, va, 4 * KiB), 0, "MAP a page");
	expect_eq(unmap(t, vm, va, 4 * KiB), 0, "UNMAP the page");
}

/* prepare_job adds its fence to the VM's reservation: the buffers are
 * then busy until it signals. */
static void prepare_job_fences_keep_buffers_in(void **state)
{
	struct t *t = *state;
	uint32_t vm = vm_create(t), other = vm_create(t);
	uint32_t a = bo_create(t, 1024 * KiB, 0),
		 b = bo_create(t, 768 * KiB, 0);
	struct simgpu_vm *v;
	struct udrm_fence *f = calloc(1, sizeof(*f));
	uint64_t pa;

	udrm_fence_init(f, &test_fence_ops, NULL, NULL,
			udrm_fence_context_alloc(1), 1);
	warm_tables(t, vm, VA0);
	warm_tables(t, other, VA0);
	fill_vram(t, 1024 * KiB);
	expect_eq(map(t, vm, a, 0, VA0, 1024 * KiB), 0, "MAP a");
	v = simgpu_vm_lookup(simgpu_file(t->file), vm);
	expect_eq(simgpu_vm_prepare_job(v, f), 0, "prepare_job");
	simgpu_vm_put(v);
	expect_eq(map(t, other, b, 0, VA0, 768 * KiB), 0,
		   "MAP b (no room: mapped without PTEs)");
	expect_eq(make_resident(t, b, &pa), -ENOSPC, "b while a's job runs");
	udrm_fence_signal(f);
	udrm_fence_put(f);
	expect_eq(make_resident(t, b, &pa), 0, "b once a's job is done");
	assert_false(resident(t, a));
}

static void async_bind_waits_for_its_syncobj(void **state)
{
	struct t *t = *state;
	uint32_t vm = vm_create(t), bo = bo_create(t, 16 * KiB, 0);
	uint8_t *cpu = bo_map(t, bo, 16 * KiB);
	struct drm_syncobj_create in = {0}, out = {0};
	struct udrm_fence *f = calloc(1, sizeof(*f));
	struct udrm_syncobj *so;
	struct drm_simgpu_sync_op syncs[2];
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.bo_handle = bo,
		.va = VA0,
		.size = 16 * KiB,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(2, syncs),
	};
	struct drm_syncobj_wait w = {.count_handles = 1};
	struct timespec ts;

	stamp(cpu, 16 * KiB, 5);
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_CREATE, &in), 0,
		   "SYNCOBJ_CREATE");
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_CREATE, &out), 0,
		   "SYNCOBJ_CREATE");
	udrm_fence_init(f, &test_fence_ops, NULL, NULL,
			udrm_fence_context_alloc(1), 1);
	so = udrm_syncobj_find(t->file, in.handle);
	udrm_syncobj_replace_fence(so, f);
	udrm_syncobj_put(so);
	syncs[0] = (struct drm_simgpu_sync_op){.flags = DRM_SIMGPU_SYNC_OP_WAIT,
					       .handle = in.handle};
	syncs[1] = (struct drm_simgpu_sync_op){
		.flags = DRM_SIMGPU_SYNC_OP_SIGNAL, .handle = out.handle};
	expect_eq(bind(t, vm, DRM_SIMGPU_VM_BIND_ASYNC, &op), 0, "async MAP");
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	expect_fault(t, vm, VA0);
	udrm_fence_signal(f);
	udrm_fence_put(f);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.handles = (uintptr_t)&out.handle;
	w.timeout_nsec =
		(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 2000000000ll;
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_WAIT, &w), 0,
		   "the signal syncobj once the wait is signalled");
	expect_page(t, vm, VA0 + 4 * KiB, 5, 1);
	munmap(cpu, 16 * KiB);
}

/* 2 MiB of VRAM, nearly all of it in one buffer: a bind that needs new
 * page tables cannot get them; async, that makes the VM unusable. */
static void failed_async_bind_makes_the_vm_unusable(void **state)
{
	struct t *t = *state;
	uint32_t vm = vm_create(t), bo = bo_create(t, 4 * KiB, 0);
	struct drm_syncobj_create out = {0};
	struct drm_simgpu_sync_op sig = {.flags = DRM_SIMGPU_SYNC_OP_SIGNAL};
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.bo_handle = bo,
		.va = 1ull << 40, /* new level-1..3 tables */
		.size = 4 * KiB,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(1, &sig),
	};
	struct drm_simgpu_vm_get_state st = {.vm_id = vm};
	struct drm_syncobj_wait w = {.count_handles = 1};
	struct timespec ts;

	/* Fill VRAM, leaving exactly the page bo needs. */
	fill_vram(t, 4 * KiB);
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_CREATE, &out), 0,
		   "SYNCOBJ_CREATE");
	sig.handle = out.handle;
	expect_eq(bind(t, vm, DRM_SIMGPU_VM_BIND_ASYNC, &op), 0,
		   "async MAP (checked fine)");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.handles = (uintptr_t)&out.handle;
	w.timeout_nsec =
		(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 2000000000ll;
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_WAIT, &w), 0,
		   "the bind's fence signals (with an error)");
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_VM_GET_STATE, &st),
		   0, "VM_GET_STATE");
	if (!(st.state & DRM_SIMGPU_VM_STATE_UNUSABLE))
		fail_msg("expected UNUSABLE after a failed async bind, state "
			 "0x%x",
			 st.state);
	op.syncs.count = 0;
	expect_eq(bind(t, vm, 0, &op), -EINVAL, "a bind on an unusable VM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(map_shows_the_buffers_pages_to_the_gpu),
		T(map_over_and_unmap_keep_the_rest),
		T(vram_pressure_evicts_idle_buffers_only),
		T(prepare_job_fences_keep_buffers_in),
		T(async_bind_waits_for_its_syncobj),
		T(failed_async_bind_makes_the_vm_unusable),
#undef T
	};

	return cmocka_run_group_tests_name("simgpu/mem", tests, NULL, NULL);
}
