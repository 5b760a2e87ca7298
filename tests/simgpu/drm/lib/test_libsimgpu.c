// SPDX-License-Identifier: MIT
/*
 * libsimgpu as a program uses it, on the simgpu device of the test
 * configuration (run once per firmware ABI version): finding the device
 * by name, buffers and their CPU mappings, the VA allocator, jobs whose
 * results are read back through the CPU mapping (FILL, COPY, WRITE32,
 * DISPATCH Mandelbrot bit for bit against the CPU kernel), asynchronous
 * binds and submissions ordered by syncobjs (binary and timeline), and
 * PRIME export and import.
 */
#include "../../../integration/itest.h"

#include <drm_fourcc.h>

#include "libsimgpu.h"

#define JOB_TIMEOUT_NS (20ll * 1000000000)
#define MiB	       (1ull << 20)

/* Fails unless @call returns 0. */
#define OK(call, ...) CHECK_RET(call, 0, __VA_ARGS__)

struct ctx {
	struct simgpu_device *dev;
	struct simgpu_vm *vm;
	struct simgpu_queue *queue;
	struct simgpu_stream *stream;
};

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	OK(simgpu_device_open(NULL, &c->dev), "simgpu_device_open(NULL)");
	OK(simgpu_vm_create(c->dev, 0, &c->vm), "simgpu_vm_create");
	OK(simgpu_queue_create(c->vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL, 0,
			       &c->queue),
	   "simgpu_queue_create");
	OK(simgpu_stream_create(c->vm, 0, &c->stream), "simgpu_stream_create");
}

static void ctx_fini(struct ctx *c)
{
	simgpu_stream_destroy(c->stream);
	simgpu_queue_destroy(c->queue);
	simgpu_vm_destroy(c->vm);
	simgpu_device_close(c->dev);
}

/* Submits the stream signalling a fresh syncobj, waits for it, checks the
 * queue is healthy and resets the stream. */
static void run_stream(struct ctx *c, const char *what)
{
	struct drm_simgpu_queue_get_state qs;
	struct drm_simgpu_sync_op sig;
	uint32_t done;

	OK(simgpu_syncobj_create(c->dev, false, &done), "%s: syncobj", what);
	sig = simgpu_sync_signal(done, 0);
	OK(simgpu_stream_submit(c->stream, c->queue, &sig, 1), "%s: submit",
	   what);
	OK(simgpu_syncobj_wait(c->dev, done, 0, JOB_TIMEOUT_NS), "%s: wait",
	   what);
	OK(simgpu_queue_get_state(c->queue, &qs), "%s: QUEUE_GET_STATE", what);
	CHECK(qs.state == 0 && qs.error == 0,
	      "%s: queue state %#x error %d after the job, expected 0 0", what,
	      qs.state, qs.error);
	OK(simgpu_syncobj_destroy(c->dev, done), "%s: syncobj destroy", what);
	simgpu_stream_reset(c->stream);
}

static void test_device_is_found_by_driver_name(void)
{
	const struct drm_simgpu_gpu_info *gpu;
	const struct drm_simgpu_fw_info *fw;
	struct simgpu_device *dev, *wrapped;
	int fd;

	OK(simgpu_device_open(NULL, &dev), "simgpu_device_open(NULL)");
	gpu = simgpu_device_gpu_info(dev);
	fw = simgpu_device_fw_info(dev);
	CHECK(gpu->gpu_id == DRM_SIMGPU_GPU_ID, "gpu_id %#x, expected %#x",
	      gpu->gpu_id, DRM_SIMGPU_GPU_ID);
	CHECK(gpu->num_cores > 0 && gpu->vram_size > 0 &&
		      gpu->page_size == 4096 && gpu->user_va_max > MiB,
	      "GPU info: %u cores, %llu bytes of VRAM, page %u, user VA max "
	      "%#llx",
	      gpu->num_cores, (unsigned long long)gpu->vram_size,
	      gpu->page_size, (unsigned long long)gpu->user_va_max);
	CHECK(fw->version_name[0] != '\0', "firmware version name is empty");
	printf("simgpu: firmware %s, %u cores\n", fw->version_name,
	       gpu->num_cores);

	/* The fd of another driver is refused; simgpu's own is taken. */
	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK_RET(simgpu_device_wrap_fd(fd, &wrapped), -ENODEV,
		  "simgpu_device_wrap_fd(vkms card0)");
	close(fd);
	CHECK_RET(simgpu_device_open("/dev/dri/card0", &wrapped), -ENODEV,
		  "simgpu_device_open(vkms card0)");
	OK(simgpu_device_wrap_fd(simgpu_device_fd(dev), &wrapped),
	   "simgpu_device_wrap_fd(simgpu's fd)");
	CHECK(simgpu_device_fw_info(wrapped)->abi_version == fw->abi_version,
	      "the wrapped fd reports firmware %#x, expected %#x",
	      simgpu_device_fw_info(wrapped)->abi_version, fw->abi_version);
	simgpu_device_close(wrapped);
	/* The wrapped fd was the caller's: still open. */
	CHECK(fcntl(simgpu_device_fd(dev), F_GETFD) >= 0,
	      "closing a wrapping device closed the caller's fd");
	simgpu_device_close(dev);
}

static void test_va_allocator_first_fit_align_and_merge(void)
{
	struct simgpu_device *dev;
	struct simgpu_vm *vm;
	uint64_t a, b, c, d;

	OK(simgpu_device_open(NULL, &dev), "open");
	/* 4 MiB of user VA: [1 MiB, 4 MiB) for the allocator. */
	OK(simgpu_vm_create(dev, 4 * MiB, &vm), "VM of 4 MiB");
	OK(simgpu_vm_alloc_va(vm, 1, 0, &a), "alloc 1 byte");
	CHECK(a == SIMGPU_VM_VA_BASE, "first VA %#llx, expected %#llx",
	      (unsigned long long)a, SIMGPU_VM_VA_BASE);
	OK(simgpu_vm_alloc_va(vm, 4096, 2 * MiB, &b), "alloc aligned 2 MiB");
	CHECK(b == 2 * MiB, "2 MiB-aligned VA %#llx, expected 0x200000",
	      (unsigned long long)b);
	/* The hole left below the aligned one is used first. */
	OK(simgpu_vm_alloc_va(vm, 8192, 0, &c), "alloc 8 KiB");
	CHECK(c == SIMGPU_VM_VA_BASE + 4096, "8 KiB at %#llx, expected %#llx",
	      (unsigned long long)c, SIMGPU_VM_VA_BASE + 4096);
	CHECK_RET(simgpu_vm_alloc_va(vm, 3 * MiB, 0, &d), -ENOSPC,
		  "alloc 3 MiB of a 3 MiB space partly used");
	CHECK_RET(simgpu_vm_alloc_va(vm, 4096, 3000, &d), -EINVAL,
		  "alignment not a power of two");
	CHECK_RET(simgpu_vm_free_va(vm, 3 * MiB, 4096), -EINVAL,
		  "free of a range never reserved");
	OK(simgpu_vm_free_va(vm, a, 4096), "free a");
	CHECK_RET(simgpu_vm_free_va(vm, a, 4096), -EINVAL, "free a twice");
	OK(simgpu_vm_free_va(vm, b, 4096), "free b");
	OK(simgpu_vm_free_va(vm, c, 8192), "free c");
	/* Everything merged back into one hole of 3 MiB. */
	OK(simgpu_vm_alloc_va(vm, 3 * MiB, 0, &d), "alloc all 3 MiB");
	CHECK(d == SIMGPU_VM_VA_BASE, "3 MiB at %#llx, expected %#llx",
	      (unsigned long long)d, SIMGPU_VM_VA_BASE);
	OK(simgpu_vm_free_va(vm, d, 3 * MiB), "free all");
	simgpu_vm_destroy(vm);
	simgpu_device_close(dev);
}

static void test_buffers_are_zeroed_page_rounded_and_mappable(void)
{
	struct simgpu_device *dev;
	struct simgpu_bo *vram, *sys;
	uint8_t *p, *q;
	void *again;
	size_t i;

	OK(simgpu_device_open(NULL, &dev), "open");
	CHECK_RET(simgpu_bo_create(dev, 0, 0, NULL, &vram), -EINVAL,
		  "a buffer of 0 bytes");
	OK(simgpu_bo_create(dev, 5000, 0, NULL, &vram), "VRAM buffer");
	OK(simgpu_bo_create(dev, 3 * 4096, DRM_SIMGPU_BO_SYSTEM, NULL, &sys),
	   "system buffer");
	CHECK(simgpu_bo_size(vram) == 8192, "5000 bytes became %llu, not 8192",
	      (unsigned long long)simgpu_bo_size(vram));
	OK(simgpu_bo_map(vram, (void **)&p), "map VRAM buffer");
	OK(simgpu_bo_map(sys, (void **)&q), "map system buffer");
	OK(simgpu_bo_map(vram, &again), "map VRAM buffer again");
	CHECK(again == p, "a second map gave another address");
	for (i = 0; i < 8192; i++)
		CHECK(!p[i], "VRAM byte %zu is %#x, expected zero", i, p[i]);
	for (i = 0; i < 3 * 4096; i++)
		CHECK(!q[i], "system byte %zu is %#x, expected zero", i, q[i]);
	memset(p, 0xa5, 8192);
	CHECK(p[8191] == 0xa5, "CPU write to the VRAM buffer not seen");
	simgpu_bo_destroy(sys);
	simgpu_bo_destroy(vram);
	simgpu_device_close(dev);
}

/* FILL a VRAM buffer, COPY part of it into a system buffer at an offset,
 * WRITE32 a marker: the CPU sees exactly that in both. */
static void test_fill_copy_write_land_in_cpu_mappings(void)
{
	struct simgpu_bo *vram, *sys;
	uint64_t vram_va, sys_va;
	uint32_t *v, *s;
	struct ctx c;
	size_t i;

	ctx_init(&c);
	OK(simgpu_bo_create(c.dev, 64 * 1024, 0, NULL, &vram), "VRAM buffer");
	OK(simgpu_bo_create(c.dev, 64 * 1024, DRM_SIMGPU_BO_SYSTEM, NULL, &sys),
	   "system buffer");
	OK(simgpu_vm_map_bo(c.vm, vram, 0, &vram_va), "map VRAM buffer");
	OK(simgpu_vm_map_bo(c.vm, sys, 0, &sys_va), "map system buffer");
	OK(simgpu_bo_map(vram, (void **)&v), "CPU map VRAM");
	OK(simgpu_bo_map(sys, (void **)&s), "CPU map system");

	simgpu_cs_fill(simgpu_stream_cs(c.stream), vram_va, 64 * 1024,
		       0xdeadbeef);
	/* 20000 bytes from VRAM offset 100 to system offset 8000: crosses
	 * pages on both sides. */
	simgpu_cs_copy(simgpu_stream_cs(c.stream), sys_va + 8000, vram_va + 100,
		       20000);
	simgpu_cs_write32(simgpu_stream_cs(c.stream), sys_va + 60000,
			  0x12345678);
	run_stream(&c, "FILL+COPY+WRITE32");

	for (i = 0; i < 64 * 1024 / 4; i++)
		CHECK(v[i] == 0xdeadbeef, "VRAM word %zu is %#x after FILL", i,
		      v[i]);
	for (i = 0; i < 64 * 1024 / 4; i++) {
		uint32_t want = i >= 8000 / 4 && i < 28000 / 4 ? 0xdeadbeef
				: i == 60000 / 4	       ? 0x12345678
							       : 0;

		CHECK(s[i] == want,
		      "system word %zu (byte %zu) is %#x, "
		      "expected %#x",
		      i, i * 4, s[i], want);
	}
	OK(simgpu_vm_unmap_bo(c.vm, vram_va, simgpu_bo_size(vram)),
	   "unmap VRAM buffer");
	OK(simgpu_vm_unmap_bo(c.vm, sys_va, simgpu_bo_size(sys)),
	   "unmap system buffer");
	simgpu_bo_destroy(sys);
	simgpu_bo_destroy(vram);
	ctx_fini(&c);
}

/* DISPATCH Mandelbrot into a picture with a padded pitch, BLIT it to
 * another buffer: both equal simgpu_kernel_mandelbrot_cpu() bit for bit,
 * and the padding is untouched. */
static void test_mandelbrot_dispatch_matches_cpu_bit_for_bit(void)
{
	const uint32_t w = 320, h = 200, pitch = 320 * 4 + 64;
	const uint32_t max_iter = 300;
	const float x0 = -2.2f, y0 = -1.25f, step = 3.0f / 320;
	struct simgpu_kernel_mandelbrot_args *args;
	struct simgpu_bo *pic, *copy;
	uint64_t pic_va, copy_va, args_va;
	uint32_t *gpu, *blit, *cpu;
	struct ctx c;
	size_t y, x, colours = 0;

	ctx_init(&c);
	OK(simgpu_bo_create(c.dev, (uint64_t)pitch * h, 0, c.vm, &pic),
	   "VRAM picture private to the VM");
	OK(simgpu_bo_create(c.dev, (uint64_t)w * 4 * h, DRM_SIMGPU_BO_SYSTEM,
			    NULL, &copy),
	   "system copy");
	OK(simgpu_vm_map_bo(c.vm, pic, 0, &pic_va), "map picture");
	OK(simgpu_vm_map_bo(c.vm, copy, 0, &copy_va), "map copy");
	OK(simgpu_bo_map(pic, (void **)&gpu), "CPU map picture");
	OK(simgpu_bo_map(copy, (void **)&blit), "CPU map copy");
	memset(gpu, 0x5a, (size_t)pitch * h); /* padding must stay 0x5a */

	OK(simgpu_stream_data(c.stream, sizeof(*args), 8, (void **)&args,
			      &args_va),
	   "argument block");
	*args = (struct simgpu_kernel_mandelbrot_args){
		.dst = pic_va,
		.width = w,
		.height = h,
		.pitch = pitch,
		.max_iter = max_iter,
		.x0 = x0,
		.y0 = y0,
		.step = step,
	};
	simgpu_cs_dispatch(simgpu_stream_cs(c.stream), SIMGPU_KERNEL_MANDELBROT,
			   args_va, h);
	simgpu_cs_error_barrier(simgpu_stream_cs(c.stream));
	simgpu_cs_blit(simgpu_stream_cs(c.stream), copy_va, w * 4,
		       DRM_FORMAT_XRGB8888, pic_va, pitch, DRM_FORMAT_XRGB8888,
		       w, h);
	run_stream(&c, "DISPATCH Mandelbrot + BLIT");

	cpu = calloc((size_t)w * h, 4);
	CHECK(cpu, "out of memory");
	simgpu_kernel_mandelbrot_cpu(cpu, w, h, w * 4, max_iter, x0, y0, step);
	for (y = 0; y < h; y++) {
		const uint32_t *row =
			(const uint32_t *)((const uint8_t *)gpu + y * pitch);
		const uint8_t *pad = (const uint8_t *)(row + w);

		for (x = 0; x < w; x++) {
			CHECK(row[x] == cpu[y * w + x],
			      "DISPATCH pixel (%zu, %zu) is %08x, the CPU "
			      "kernel gives %08x",
			      x, y, row[x], cpu[y * w + x]);
			CHECK(blit[y * w + x] == cpu[y * w + x],
			      "BLIT pixel (%zu, %zu) is %08x, expected %08x", x,
			      y, blit[y * w + x], cpu[y * w + x]);
			if (x && cpu[y * w + x] != cpu[y * w + x - 1])
				colours++;
		}
		for (x = 0; x < 64; x++)
			CHECK(pad[x] == 0x5a,
			      "row %zu padding byte %zu changed to %#x", y, x,
			      pad[x]);
	}
	CHECK(colours > 1000, "the picture is nearly uniform (%zu changes)",
	      colours);
	free(cpu);
	simgpu_bo_destroy(copy);
	simgpu_bo_destroy(pic);
	ctx_fini(&c);
}

static bool syncobj_signalled(struct simgpu_device *dev, uint32_t handle,
			      uint64_t point)
{
	int ret = simgpu_syncobj_wait(dev, handle, point, 0);

	CHECK(ret == 0 || ret == -ETIME, "syncobj poll: %s", strerror(-ret));
	return ret == 0;
}

/*
 * A chain held back by the GPU: job 1 on queue A waits (CS WAIT) for a
 * flag in memory; an async bind waits for job 1 and maps a buffer; job 2
 * waits for the bind (timeline point 1) and fills that buffer through the
 * new mapping; an async unmap waits for job 2. Nothing moves until job 3
 * on queue B sets the flag; then everything completes in order and the
 * buffer holds job 2's fill.
 */
static void test_async_bind_and_submit_ordered_by_syncobjs(void)
{
	struct simgpu_stream *other;
	struct simgpu_queue *queue_b;
	struct simgpu_bo *flag, *target;
	uint64_t flag_va, target_va;
	uint32_t job1, bound, job2, unbound, job3;
	struct drm_simgpu_sync_op ops[2];
	struct drm_simgpu_vm_get_state vs;
	uint32_t *t;
	struct ctx c;
	size_t i;

	ctx_init(&c);
	OK(simgpu_queue_create(c.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL, 0,
			       &queue_b),
	   "second queue");
	OK(simgpu_stream_create(c.vm, 4096, &other), "second stream");
	OK(simgpu_bo_create(c.dev, 4096, DRM_SIMGPU_BO_SYSTEM, NULL, &flag),
	   "flag buffer");
	OK(simgpu_bo_create(c.dev, 16384, 0, NULL, &target), "target buffer");
	OK(simgpu_bo_map(target, (void **)&t), "CPU map target");
	OK(simgpu_vm_map_bo(c.vm, flag, 0, &flag_va), "map flag");
	OK(simgpu_vm_alloc_va(c.vm, 16384, 0, &target_va), "target VA");
	OK(simgpu_syncobj_create(c.dev, false, &job1), "syncobj job1");
	OK(simgpu_syncobj_create(c.dev, false, &bound), "syncobj bound");
	OK(simgpu_syncobj_create(c.dev, false, &job2), "syncobj job2");
	OK(simgpu_syncobj_create(c.dev, false, &unbound), "syncobj unbound");
	OK(simgpu_syncobj_create(c.dev, false, &job3), "syncobj job3");

	/* Job 1: wait for the flag. */
	simgpu_cs_wait(simgpu_stream_cs(c.stream), flag_va, 1,
		       SIMGPU_CS_WAIT_GE);
	ops[0] = simgpu_sync_signal(job1, 0);
	OK(simgpu_stream_submit(c.stream, c.queue, ops, 1), "submit job 1");

	/* The bind after job 1, signalling timeline point 1. */
	ops[0] = simgpu_sync_wait(job1, 0);
	ops[1] = simgpu_sync_signal(bound, 1);
	OK(simgpu_vm_map_async(c.vm, target, 0, target_va, 16384, 0, ops, 2),
	   "async MAP");

	/* Job 2: fill through the new mapping, after the bind. Its stream
	 * is the second one (the first is still job 1's). */
	simgpu_cs_fill(simgpu_stream_cs(other), target_va, 16384, 0x0badf00d);
	ops[0] = simgpu_sync_wait(bound, 1);
	ops[1] = simgpu_sync_signal(job2, 0);
	OK(simgpu_stream_submit(other, c.queue, ops, 2), "submit job 2");

	/* The unmap after job 2. */
	ops[0] = simgpu_sync_wait(job2, 0);
	ops[1] = simgpu_sync_signal(unbound, 0);
	OK(simgpu_vm_unmap_async(c.vm, target_va, 16384, ops, 2),
	   "async UNMAP");

	usleep(50 * 1000);
	CHECK(!syncobj_signalled(c.dev, job1, 0) &&
		      !syncobj_signalled(c.dev, bound, 1) &&
		      !syncobj_signalled(c.dev, job2, 0) &&
		      !syncobj_signalled(c.dev, unbound, 0),
	      "part of the chain completed before the flag was set");
	for (i = 0; i < 16384 / 4; i++)
		CHECK(!t[i], "target word %zu written before its bind", i);

	/* Job 3 on queue B releases job 1 (SYNC_SET also raises the
	 * interrupt, so the firmware looks at its waits again). */
	{
		struct simgpu_stream *release;

		OK(simgpu_stream_create(c.vm, 4096, &release),
		   "release stream");
		simgpu_cs_sync_set(simgpu_stream_cs(release), flag_va, 1);
		ops[0] = simgpu_sync_signal(job3, 0);
		OK(simgpu_stream_submit(release, queue_b, ops, 1),
		   "submit job 3");
		OK(simgpu_syncobj_wait(c.dev, unbound, 0, JOB_TIMEOUT_NS),
		   "wait for the unmap at the end of the chain");
		CHECK(syncobj_signalled(c.dev, job1, 0) &&
			      syncobj_signalled(c.dev, bound, 1) &&
			      syncobj_signalled(c.dev, job2, 0),
		      "the unmap completed before what it depended on");
		/* Job 3 set the flag, but its own fence is signalled by its
		 * queue's completion, in no order with the chain's. */
		OK(simgpu_syncobj_wait(c.dev, job3, 0, JOB_TIMEOUT_NS),
		   "wait for job 3");
		simgpu_stream_destroy(release);
	}
	for (i = 0; i < 16384 / 4; i++)
		CHECK(t[i] == 0x0badf00d, "target word %zu is %#x after job 2",
		      i, t[i]);
	OK(simgpu_vm_get_state(c.vm, &vs), "VM_GET_STATE");
	CHECK(vs.state == 0, "VM state %#x after the chain, expected 0",
	      vs.state);
	OK(simgpu_vm_free_va(c.vm, target_va, 16384), "free target VA");

	simgpu_syncobj_destroy(c.dev, job3);
	simgpu_syncobj_destroy(c.dev, unbound);
	simgpu_syncobj_destroy(c.dev, job2);
	simgpu_syncobj_destroy(c.dev, bound);
	simgpu_syncobj_destroy(c.dev, job1);
	simgpu_bo_destroy(target);
	simgpu_bo_destroy(flag);
	simgpu_stream_destroy(other);
	simgpu_queue_destroy(queue_b);
	ctx_fini(&c);
}

/* The stream refuses what it cannot run: nothing encoded, an
 * instruction that did not fit, data over instructions, a queue of
 * another VM. */
static void test_stream_refuses_empty_overflowed_and_foreign(void)
{
	struct simgpu_vm *vm2;
	struct simgpu_queue *q2;
	struct ctx c;
	void *p;
	int i;

	ctx_init(&c);
	CHECK_RET(simgpu_stream_submit(c.stream, c.queue, NULL, 0), -ENODATA,
		  "submit of an empty stream");
	simgpu_cs_nop(simgpu_stream_cs(c.stream));
	OK(simgpu_vm_create(c.dev, 0, &vm2), "second VM");
	OK(simgpu_queue_create(vm2, DRM_SIMGPU_QUEUE_PRIORITY_LOW, 0, &q2),
	   "queue of the second VM");
	CHECK_RET(simgpu_stream_submit(c.stream, q2, NULL, 0), -EINVAL,
		  "submit on a queue of another VM");
	simgpu_queue_destroy(q2);
	simgpu_vm_destroy(vm2);
	/* 64 KiB of stream: data of 60 KiB leaves room for 1023 NOPs. */
	OK(simgpu_stream_data(c.stream, 60 * 1024, 4096, &p, NULL),
	   "60 KiB of data");
	CHECK_RET(simgpu_stream_data(c.stream, 8192, 0, &p, NULL), -ENOSPC,
		  "data over the instructions");
	for (i = 0; i < 1024; i++)
		simgpu_cs_nop(simgpu_stream_cs(c.stream));
	CHECK_RET(simgpu_stream_submit(c.stream, c.queue, NULL, 0), -ENOSPC,
		  "submit of an overflowed stream");
	simgpu_stream_reset(c.stream);
	simgpu_cs_nop(simgpu_stream_cs(c.stream));
	run_stream(&c, "one NOP after a reset");
	ctx_fini(&c);
}

/* An exported buffer maps the same pages through its dma-buf; importing
 * it on the same file gives the same GEM handle, on another file a
 * buffer with the same pages. */
static void test_export_import_shares_pages(void)
{
	struct simgpu_device *dev, *dev2;
	struct simgpu_bo *bo, *imported;
	uint32_t *p, *q, handle;
	int fd;

	OK(simgpu_device_open(NULL, &dev), "open");
	OK(simgpu_device_open(NULL, &dev2), "open a second file");
	OK(simgpu_bo_create(dev, 8192, DRM_SIMGPU_BO_SYSTEM, NULL, &bo),
	   "system buffer");
	OK(simgpu_bo_map(bo, (void **)&p), "map");
	p[1000] = 0xfeedface;
	OK(simgpu_bo_export(bo, &fd), "export");
	q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(q != MAP_FAILED, "mmap of the dma-buf: %s", strerror(errno));
	CHECK(q[1000] == 0xfeedface,
	      "the dma-buf shows %#x, expected "
	      "0xfeedface",
	      q[1000]);
	q[2] = 7;
	CHECK(p[2] == 7, "a write through the dma-buf is not in the buffer");
	munmap(q, 8192);
	CHECK_ERRNO(drmPrimeFDToHandle(simgpu_device_fd(dev), fd, &handle), 0,
		    "import on the exporting file");
	CHECK(handle == simgpu_bo_handle(bo),
	      "import of our own export gave handle %u, expected %u", handle,
	      simgpu_bo_handle(bo));
	OK(simgpu_bo_import(dev2, fd, &imported), "import on another file");
	close(fd);
	CHECK(simgpu_bo_size(imported) == 8192, "imported size %llu",
	      (unsigned long long)simgpu_bo_size(imported));
	OK(simgpu_bo_map(imported, (void **)&q), "map the import");
	CHECK(q[1000] == 0xfeedface && q[2] == 7,
	      "the import shows %#x %#x, expected 0xfeedface 7", q[1000], q[2]);
	simgpu_bo_destroy(imported);
	simgpu_bo_destroy(bo);
	simgpu_device_close(dev2);
	simgpu_device_close(dev);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_device_is_found_by_driver_name();
	test_va_allocator_first_fit_align_and_merge();
	test_buffers_are_zeroed_page_rounded_and_mappable();
	test_export_import_shares_pages();
	test_fill_copy_write_land_in_cpu_mappings();
	test_mandelbrot_dispatch_matches_cpu_bit_for_bit();
	test_stream_refuses_empty_overflowed_and_foreign();
	test_async_bind_and_submit_ordered_by_syncobjs();
	printf("libsimgpu: all checks passed\n");
	return 0;
}
