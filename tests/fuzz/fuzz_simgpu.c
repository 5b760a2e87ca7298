// SPDX-License-Identifier: MIT
/*
 * fuzz-simgpu: random sequences of simgpu ioctls against a simgpu device
 * booted with a firmware ABI version the input chooses. Each input gets
 * a fresh device (small VRAM, short job timeout, no heartbeat) and one or
 * two files; the input is a program of operations on tables of the
 * handles and ids it created: buffers (created, mapped, written, closed),
 * VMs, binds (sync and async, with syncobjs), queues, submissions of
 * command streams written into mapped buffers (valid, malformed, faulting
 * or hanging ones), state queries and syncobj waits. Pointers given to the
 * driver are valid, NULL, read-only or inaccessible. Everything is closed and
 * the device destroyed at the end: leaks and crashes are the findings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm.h>

#include "gpu/simgpu_cs.h"
#include "udrm/simgpu_drm.h"
#include "udrm/udrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS	     48
#define MAX_OBJS     8
#define PAGE	     4096ull
#define VA_BASE	     0x100000ull
#define VA_SLOT	     0x100000ull /* each buffer slot maps at its own 1 MiB */
#define STREAM_WORDS 64

static const char *const fw_versions[] = {"1.0", "1.1", "2.0-rc1", "2.0"};

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct fuzz_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint32_t take32(struct fuzz_input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | take8(in);
	return v;
}

struct fuzz_bo {
	uint32_t handle;
	uint64_t size;
	void *map; /* CPU mapping or NULL */
};

struct fuzz_state {
	struct udrm_file *file[2];
	struct fuzz_bo bos[MAX_OBJS];
	uint32_t vms[MAX_OBJS];
	uint32_t queues[MAX_OBJS];
	uint32_t syncobjs[MAX_OBJS];
	uint8_t *ro_page, *bad_page; /* read-only and inaccessible memory */
};

/* An address for the driver: mostly @good, sometimes NULL, read-only or
 * inaccessible memory. */
static uint64_t fuzz_ptr(struct fuzz_state *s, uint8_t sel, void *good)
{
	switch (sel & 7) {
	case 5:
		return 0;
	case 6:
		return (uintptr_t)s->ro_page;
	case 7:
		return (uintptr_t)s->bad_page;
	default:
		return (uintptr_t)good;
	}
}

/* A handle or id: one from the table, or a random one. */
static uint32_t pick(const uint32_t *table, uint8_t sel)
{
	if (sel < 0xf0)
		return table[sel % MAX_OBJS];
	return sel & 0x0f;
}

static uint32_t pick_bo(struct fuzz_state *s, uint8_t sel)
{
	if (sel < 0xf0)
		return s->bos[sel % MAX_OBJS].handle;
	return sel & 0x0f;
}

static int fuzz_ioctl(struct fuzz_state *s, uint8_t which, unsigned long cmd,
		      void *arg)
{
	return udrm_file_ioctl(s->file[which & 1], cmd, arg);
}

static void op_bo_create(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t slot = take8(in) % MAX_OBJS, f = take8(in);
	struct drm_simgpu_bo_create c = {
		.size = (uint64_t)(take8(in) % 80) * PAGE + (f & 0x80 ? 1 : 0),
		.flags = f & 0x40 ? take32(in) : (f & 1),
		.exclusive_vm_id = f & 2 ? pick(s->vms, take8(in)) : 0,
		.pad = f & 4 ? 1 : 0,
	};

	if (fuzz_ioctl(s, f >> 3, DRM_IOCTL_SIMGPU_BO_CREATE, &c) == 0 &&
	    !(f & 8)) {
		struct fuzz_bo *bo = &s->bos[slot];

		if (bo->map)
			munmap(bo->map, bo->size);
		bo->handle = c.handle;
		bo->size = c.size;
		bo->map = NULL;
	}
}

static void op_bo_map(struct fuzz_state *s, struct fuzz_input *in)
{
	struct fuzz_bo *bo = &s->bos[take8(in) % MAX_OBJS];
	uint8_t f = take8(in);
	struct drm_simgpu_bo_mmap_offset m = {.handle = bo->handle,
					      .pad = f & 1};
	void *p;

	if (fuzz_ioctl(s, 0, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &m) || bo->map ||
	    !bo->size)
		return;
	if (udrm_file_mmap(s->file[0], NULL, bo->size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, (int64_t)m.offset, &p))
		return;
	bo->map = p;
}

static void op_gem_close(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t slot = take8(in);
	struct drm_gem_close c = {.handle = pick_bo(s, slot)};

	if (!fuzz_ioctl(s, take8(in), DRM_IOCTL_GEM_CLOSE, &c) && slot < 0xf0) {
		struct fuzz_bo *bo = &s->bos[slot % MAX_OBJS];

		/* The mapping keeps the pages; drop it with the handle. */
		if (bo->map)
			munmap(bo->map, bo->size);
		memset(bo, 0, sizeof(*bo));
	}
}

static void op_vm_create(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t slot = take8(in) % MAX_OBJS, f = take8(in);
	struct drm_simgpu_vm_create c = {
		.flags = f & 1 ? take32(in) : 0,
		.user_va_range = f & 2 ? (uint64_t)take32(in) << 12 : 0,
	};

	if (!fuzz_ioctl(s, f >> 4, DRM_IOCTL_SIMGPU_VM_CREATE, &c))
		s->vms[slot] = c.id;
}

static void op_vm_destroy(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t f = take8(in);
	struct drm_simgpu_vm_destroy d = {.id = pick(s->vms, take8(in)),
					  .pad = f & 1};

	fuzz_ioctl(s, f >> 1, DRM_IOCTL_SIMGPU_VM_DESTROY, &d);
}

static void fill_syncs(struct fuzz_state *s, struct fuzz_input *in,
		       struct drm_simgpu_sync_op *ops, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint8_t f = take8(in);

		ops[i].flags = (f & 1 ? DRM_SIMGPU_SYNC_OP_SIGNAL : 0) |
			       (f & 2 ? 1 : 0) | (f & 0x80 ? 0x100 : 0);
		ops[i].handle = pick(s->syncobjs, take8(in));
		ops[i].timeline_value = f & 2 ? take8(in) : (f & 4);
	}
}

static void op_vm_bind(struct fuzz_state *s, struct fuzz_input *in)
{
	struct drm_simgpu_vm_bind_op ops[3];
	struct drm_simgpu_sync_op syncs[3][3];
	uint8_t f = take8(in), n = take8(in) % 4;
	struct drm_simgpu_vm_bind b = {
		.vm_id = pick(s->vms, take8(in)),
		.flags = f & 1 ? DRM_SIMGPU_VM_BIND_ASYNC : (f & 0x80 ? 2 : 0),
	};

	memset(ops, 0, sizeof(ops));
	for (unsigned int i = 0; i < n && i < 3; i++) {
		uint8_t of = take8(in), slot = take8(in);
		uint64_t unit = of & 0x40 ? 1 : PAGE;

		ops[i].flags = (uint32_t)(of & 3) << 28 | (of & 4 ? 1 : 0) |
			       (of & 8 ? 0x100 : 0);
		ops[i].bo_handle = pick_bo(s, slot);
		ops[i].bo_offset = (uint64_t)(take8(in) % 8) * unit;
		ops[i].va = VA_BASE + (uint64_t)(slot % MAX_OBJS) * VA_SLOT +
			    (uint64_t)(take8(in) % 16) * unit;
		if (of & 0x80)
			ops[i].va = (uint64_t)take32(in) << 16;
		ops[i].size = (uint64_t)(take8(in) % 24) * unit;
		if (of & 0x20) {
			unsigned int ns = take8(in) % 3;

			fill_syncs(s, in, syncs[i], ns);
			ops[i].syncs = (struct drm_simgpu_obj_array){
				.stride = sizeof(syncs[i][0]),
				.count = ns,
				.array = fuzz_ptr(s, take8(in), syncs[i])};
		}
	}
	b.ops = (struct drm_simgpu_obj_array){
		.stride = f & 2 ? (uint32_t)take8(in) : sizeof(ops[0]),
		.count = n,
		.array = fuzz_ptr(s, f >> 2, ops)};
	fuzz_ioctl(s, f >> 5, DRM_IOCTL_SIMGPU_VM_BIND, &b);
}

static void op_vm_get_state(struct fuzz_state *s, struct fuzz_input *in)
{
	struct drm_simgpu_vm_get_state g = {.vm_id = pick(s->vms, take8(in)),
					    .pad = take8(in) & 1};

	fuzz_ioctl(s, 0, DRM_IOCTL_SIMGPU_VM_GET_STATE, &g);
}

static void op_queue_create(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t slot = take8(in) % MAX_OBJS, f = take8(in);
	struct drm_simgpu_queue_create c = {
		.vm_id = pick(s->vms, take8(in)),
		.priority = f & 3,
		.ring_size = f & 4 ? 1u << (take8(in) % 24) : 0,
		.flags = f & 8 ? 1 : 0,
		.pad = f & 16 ? 1 : 0,
	};

	if (!fuzz_ioctl(s, f >> 5, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c))
		s->queues[slot] = c.handle;
}

static void op_queue_destroy(struct fuzz_state *s, struct fuzz_input *in)
{
	struct drm_simgpu_queue_destroy d = {
		.handle = pick(s->queues, take8(in)), .pad = take8(in) & 1};

	fuzz_ioctl(s, 0, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, &d);
}

/* Writes a stream into a mapped buffer: valid instructions on the
 * fuzzer's VAs (which may fault), or raw words. */
static uint64_t write_stream(struct fuzz_state *s, struct fuzz_input *in,
			     struct fuzz_bo *bo, unsigned int bo_slot)
{
	uint32_t words[STREAM_WORDS];
	struct simgpu_cs_builder b;
	uint64_t base = VA_BASE + (uint64_t)bo_slot * VA_SLOT;
	uint8_t n = take8(in) % 6;

	simgpu_cs_builder_init(&b, words, STREAM_WORDS);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t k = take8(in);
		uint64_t va = VA_BASE +
			      (uint64_t)(take8(in) % MAX_OBJS) * VA_SLOT +
			      (uint64_t)(take8(in) % 64) * 8;

		switch (k % 8) {
		case 0:
			simgpu_cs_write32(&b, va, take32(in));
			break;
		case 1:
			simgpu_cs_fill(&b, va, (take8(in) % 16) * 4, k);
			break;
		case 2:
			simgpu_cs_copy(&b, va, base + 2048, take8(in) % 64);
			break;
		case 3:
			simgpu_cs_sync_add(&b, va, 1);
			break;
		case 4: /* may never be satisfied: a hang */
			simgpu_cs_wait(&b, va, take8(in), k >> 7);
			break;
		case 5:
			simgpu_cs_error_barrier(&b);
			break;
		case 6:
			simgpu_cs_timestamp(&b, va);
			break;
		default:
			if (b.len < STREAM_WORDS)
				words[b.len++] = take32(in);
			break;
		}
	}
	if (bo->map && bo->size >= b.len * 4)
		memcpy(bo->map, words, b.len * 4);
	return b.len * 4;
}

static void op_submit(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t f = take8(in), bo_slot = take8(in) % MAX_OBJS;
	struct drm_simgpu_sync_op syncs[3];
	unsigned int ns = take8(in) % 4;
	struct drm_simgpu_submit sub = {
		.queue = pick(s->queues, take8(in)),
		.flags = f & 0x80 ? 1 : 0,
	};

	if (f & 1) {
		sub.stream_size =
			write_stream(s, in, &s->bos[bo_slot], bo_slot);
		sub.stream_addr = VA_BASE + (uint64_t)bo_slot * VA_SLOT;
		if (f & 2)
			sub.stream_addr += take8(in);
	}
	if (ns > 3)
		ns = 3;
	fill_syncs(s, in, syncs, ns);
	sub.syncs = (struct drm_simgpu_obj_array){
		.stride = f & 4 ? (uint32_t)take8(in) : sizeof(syncs[0]),
		.count = ns,
		.array = fuzz_ptr(s, f >> 3, syncs)};
	fuzz_ioctl(s, f >> 6, DRM_IOCTL_SIMGPU_SUBMIT, &sub);
}

static void op_queue_get_state(struct fuzz_state *s, struct fuzz_input *in)
{
	struct drm_simgpu_queue_get_state g = {
		.handle = pick(s->queues, take8(in)), .pad = take8(in) & 1};

	fuzz_ioctl(s, 0, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &g);
}

static void op_syncobj(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t f = take8(in), slot = take8(in) % MAX_OBJS;

	if (f & 1) {
		struct drm_syncobj_create c = {.flags = f & 2};

		if (!fuzz_ioctl(s, 0, DRM_IOCTL_SYNCOBJ_CREATE, &c))
			s->syncobjs[slot] = c.handle;
	} else {
		uint32_t h = s->syncobjs[slot];
		struct drm_syncobj_wait w = {
			.handles = (uintptr_t)&h,
			.count_handles = 1,
			.timeout_nsec = 2000000, /* an absolute time: past */
			.flags = f & 2 ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL : 0,
		};

		fuzz_ioctl(s, 0, DRM_IOCTL_SYNCOBJ_WAIT, &w);
	}
}

static void op_dev_query(struct fuzz_state *s, struct fuzz_input *in)
{
	uint8_t buf[128];
	uint8_t f = take8(in);
	struct drm_simgpu_dev_query q = {
		.type = f & 0x80 ? take32(in) : (f & 1),
		.size = take8(in) % sizeof(buf),
		.pointer = f & 2 ? 0 : fuzz_ptr(s, f >> 2, buf),
	};

	fuzz_ioctl(s, 0, DRM_IOCTL_SIMGPU_DEV_QUERY, &q);
}

typedef void (*fuzz_op)(struct fuzz_state *s, struct fuzz_input *in);

static const fuzz_op fuzz_ops[] = {
	op_bo_create,	    op_bo_map,	      op_gem_close, op_vm_create,
	op_vm_destroy,	    op_vm_bind,	      op_vm_bind,   op_vm_get_state,
	op_queue_create,    op_queue_destroy, op_submit,    op_submit,
	op_queue_get_state, op_syncobj,	      op_dev_query,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	struct fuzz_state s;
	struct udrm_device *dev;
	char options[160];
	struct udrm_device_desc desc = {
		.driver = "simgpu",
		.primary_minor = -1,
		.render_minor = 128,
		.options = options,
	};
	uint8_t *pages;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	snprintf(options, sizeof(options),
		 "firmware=%s\nvram_size=%uM\nsysmem_size=16M\ngroups=%u\n"
		 "job_timeout_ms=30\nheartbeat_ms=0\n",
		 fw_versions[take8(&in) % 4], 1 + take8(&in) % 4,
		 1 + take8(&in) % 3);
	if (udrm_device_create(&desc, &dev))
		abort();
	pages = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	if (pages == MAP_FAILED)
		abort();
	/* PROT_NONE, not unmapped: a page given back could be reused by the
	 * next mmap (a thread's stack or the sanitizer's own records, which
	 * the driver would then write into instead of failing with
	 * EFAULT). */
	if (mprotect(pages + PAGE, PAGE, PROT_NONE))
		abort();
	s.ro_page = pages;
	s.bad_page = pages + PAGE;
	for (i = 0; i < 2; i++)
		if (udrm_file_open(dev, UDRM_NODE_RENDER, O_RDWR, &s.file[i]))
			abort();

	for (i = 0; i < MAX_OPS && in.left; i++)
		fuzz_ops[take8(&in) % (sizeof(fuzz_ops) / sizeof(fuzz_ops[0]))](
			&s, &in);

	for (i = 0; i < MAX_OBJS; i++)
		if (s.bos[i].map)
			munmap(s.bos[i].map, s.bos[i].size);
	udrm_file_close(s.file[1]);
	udrm_file_close(s.file[0]);
	udrm_device_destroy(dev);
	munmap(pages, 2 * PAGE);
	return 0;
}
