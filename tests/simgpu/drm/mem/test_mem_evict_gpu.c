// SPDX-License-Identifier: MIT
/*
 * Eviction and restore as programs see them, with real GPU jobs: two VRAM
 * buffers that cannot both be in VRAM, each mapped in its own VM and used
 * by its own queue's jobs. Each job on one forces the other (idle) out of
 * VRAM; the next job on the evicted one must find it back in VRAM, its
 * contents intact and its PTEs rewritten (a stale or cleared mapping
 * reads the wrong data or faults the queue).
 *
 * Streams and readbacks live in a small system buffer per VM, which the
 * GPU reaches through the aperture, so they never compete for VRAM.
 * E2BIG for a buffer bigger than VRAM is checked by test_mem_ioctl.c.
 */
#include "sgtest.h"

#define KiB 1024ull
#define MiB (1024 * KiB)

#define SYS_VA	 0x100000ull /* the system buffer: streams, then readbacks */
#define SYS_SIZE (64 * KiB)
#define READBACK (32 * KiB)  /* offset of the readback area in it */
#define BIG_VA	 0x400000ull /* the VRAM buffer */

#define PATTERN_A 0xa1a10001u
#define PATTERN_B 0xb2b20002u
#define POISON	  0xdeadbeefu

#define NOFFS	   5
#define COPY_BYTES 16 /* four words from each offset */

/* One side: a VM, a queue, a system buffer and a VRAM buffer mapped in
 * it. */
struct side {
	const char *name;
	uint32_t vm, queue, sys, big, done;
	uint32_t *sys_cpu;
	uint64_t big_size;
};

static void side_init(int fd, struct side *s, const char *name,
		      uint64_t big_size)
{
	s->name = name;
	s->big_size = big_size;
	s->vm = sg_vm_create(fd);
	s->queue = sg_queue_create(fd, s->vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	s->sys = sg_bo_create(fd, SYS_SIZE, DRM_SIMGPU_BO_SYSTEM, 0);
	s->sys_cpu = sg_bo_map(fd, s->sys, SYS_SIZE);
	s->big = sg_bo_create(fd, big_size, 0, 0);
	s->done = sg_syncobj_create(fd);
	CHECK_RET(sg_map(fd, s->vm, s->sys, 0, SYS_VA, SYS_SIZE), 0,
		  "%s: map the system buffer", name);
	CHECK_RET(sg_map(fd, s->vm, s->big, 0, BIG_VA, big_size), 0,
		  "%s: map the %llu KiB VRAM buffer", name,
		  (unsigned long long)(big_size / KiB));
}

/* Offsets of the VRAM buffer that a readback copies from: both ends,
 * the middle and places in between (not page aligned). */
static uint64_t read_off(const struct side *s, int i)
{
	const uint64_t offs[NOFFS] = {
		0,
		s->big_size / 3 & ~3ull,
		s->big_size / 2 + 4 * KiB + 12,
		s->big_size - 64 * KiB - 20,
		s->big_size - COPY_BYTES,
	};

	return offs[i];
}

/* Runs the stream in @b (built at offset 0 of the system buffer) on the
 * side's queue and waits for it; the queue must not fault. */
static void run(int fd, struct side *s, struct simgpu_cs_builder *b,
		const char *what)
{
	struct drm_simgpu_sync_op sig = sg_signal(s->done);
	struct drm_simgpu_queue_get_state qs = {.handle = s->queue};

	if (b->len % 2)
		simgpu_cs_nop(b);
	CHECK(!b->overflow, "%s: the stream fits", what);
	CHECK_RET(sg_submit(fd, s->queue, SYS_VA, b->len * 4, &sig, 1), 0,
		  "%s: SUBMIT on %s", what, s->name);
	CHECK_RET(sg_syncobj_wait(fd, s->done, 20000), 0,
		  "%s: the job on %s completes", what, s->name);
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &qs), 0,
		  "QUEUE_GET_STATE %s", s->name);
	CHECK(qs.state == 0 && qs.error == 0,
	      "%s: queue %s state 0x%x error %d, fault at 0x%llx", what,
	      s->name, qs.state, qs.error, (unsigned long long)qs.fault_va);
}

static void fill(int fd, struct side *s, uint32_t pattern)
{
	struct simgpu_cs_builder b;

	simgpu_cs_builder_init(&b, s->sys_cpu, READBACK / 4);
	simgpu_cs_fill(&b, BIG_VA, s->big_size, pattern);
	run(fd, s, &b, "FILL");
}

/* The GPU copies COPY_BYTES from each read_off() of the VRAM buffer into
 * the readback area; each word read must be @pattern. */
static void check_by_gpu(int fd, struct side *s, uint32_t pattern,
			 const char *when)
{
	uint32_t *rb = s->sys_cpu + READBACK / 4;
	struct simgpu_cs_builder b;

	for (size_t w = 0; w < NOFFS * COPY_BYTES / 4; w++)
		rb[w] = POISON;
	simgpu_cs_builder_init(&b, s->sys_cpu, READBACK / 4);
	for (int i = 0; i < NOFFS; i++)
		simgpu_cs_copy(&b, SYS_VA + READBACK + i * COPY_BYTES,
			       BIG_VA + read_off(s, i), COPY_BYTES);
	run(fd, s, &b, when);
	for (int i = 0; i < NOFFS; i++)
		for (int w = 0; w < COPY_BYTES / 4; w++)
			CHECK(rb[i * COPY_BYTES / 4 + w] == pattern,
			      "%s: %s's buffer at offset %llu+%d reads 0x%08x "
			      "on the GPU, want 0x%08x",
			      when, s->name, (unsigned long long)read_off(s, i),
			      4 * w, rb[i * COPY_BYTES / 4 + w], pattern);
}

/* The CPU mapping sees the same contents, wherever the buffer is. */
static void check_by_cpu(int fd, struct side *s, uint32_t pattern)
{
	uint32_t *p = sg_bo_map(fd, s->big, s->big_size);

	for (uint64_t w = 0; w < s->big_size / 4; w += 997)
		CHECK(p[w] == pattern,
		      "%s's buffer word %llu reads 0x%08x "
		      "on the CPU, want 0x%08x",
		      s->name, (unsigned long long)w, p[w], pattern);
	CHECK(p[s->big_size / 4 - 1] == pattern, "%s's last word", s->name);
	munmap(p, s->big_size);
}

static void check_vm_ok(int fd, struct side *s)
{
	struct drm_simgpu_vm_get_state vs = {.vm_id = s->vm};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &vs), 0,
		  "VM_GET_STATE %s", s->name);
	CHECK(vs.state == 0, "VM %s state 0x%x, fault at 0x%llx access %u",
	      s->name, vs.state, (unsigned long long)vs.fault_va,
	      vs.fault_access);
}

int main(void)
{
	int fd = sg_open();
	struct drm_simgpu_gpu_info info = sg_gpu_info(fd);
	struct side a, b;
	uint64_t big;

	/* The test's configuration gives a small VRAM: more than half of it
	 * for each buffer, so the two never fit at once, whatever the
	 * firmware, rings and page tables take. */
	CHECK(info.vram_size <= 4 * MiB,
	      "a small VRAM (vram_size in meson.build), got %llu bytes",
	      (unsigned long long)info.vram_size);
	big = (info.vram_size / 2 + 256 * KiB) &
	      ~(uint64_t)(info.page_size - 1);

	/* 1: a, filled by a job on A. */
	side_init(fd, &a, "A", big);
	fill(fd, &a, PATTERN_A);
	/* 2: b, filled by a job on B: its VRAM is a's, a is evicted. */
	side_init(fd, &b, "B", big);
	fill(fd, &b, PATTERN_B);
	/* 3: each job brings its buffer back and pushes the other out. */
	for (int round = 0; round < 2; round++) {
		check_by_gpu(fd, &a, PATTERN_A,
			     round ? "A again after B" : "A after B's fill");
		check_by_gpu(fd, &b, PATTERN_B, "B after A");
	}
	check_by_cpu(fd, &a, PATTERN_A);
	check_by_cpu(fd, &b, PATTERN_B);
	check_vm_ok(fd, &a);
	check_vm_ok(fd, &b);
	close(fd);
	return 0;
}
