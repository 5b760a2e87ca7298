// SPDX-License-Identifier: MIT
/*
 * The simgpu DRM driver through its uapi (the embedding API's ioctl entry,
 * i.e. everything but the interposer), each figure beside a baseline of
 * the same run:
 *
 *  - submit to signal of an empty job (SUBMIT of a two-NOP stream with a
 *    signal syncobj, then SYNCOBJ_WAIT), beside the firmware ring alone
 *    (the same entry pushed through simgpu_fwif and waited for on the sync
 *    object: no scheduler, no syncobj, no ioctl) and beside the scheduler
 *    alone (a job through a udrm scheduler whose run_job completes at once);
 *  - jobs per second through one queue and through eight queues (batches
 *    of SUBMITs, then a wait for the last of each queue), beside the
 *    firmware ring alone and the scheduler alone in batches of the same
 *    size;
 *  - VM_BIND map + unmap of a 64 KiB buffer per second (synchronous),
 *    beside the page-table writer alone (simgpu_pt_map + simgpu_pt_unmap
 *    of the same range).
 *
 * Usage: bench-simgpu [REPETITIONS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <drm.h>

#include "bench.h"
#include "bench_simgpu_ring.h"
#include "sched/gpu_scheduler.h"
#include "udrm/simgpu_drm.h"
#include "udrm/udrm.h"

#define BATCH	   64
#define NUM_QUEUES 8
#define STREAM_VA  0x100000ull
#define BIND_VA	   0x10000000ull
#define BIND_SIZE  (64u << 10)
#define WAIT_NS	   (10ll * 1000000000ll)

struct drv_bench {
	struct udrm_device *dev;
	struct udrm_file *file;
	uint32_t vm, bo, bind_bo;
	uint32_t queues[NUM_QUEUES];
	uint32_t syncobjs[NUM_QUEUES];
};

static int drv_ioctl(struct drv_bench *db, unsigned long cmd, void *arg)
{
	return udrm_file_ioctl(db->file, cmd, arg);
}

static int drv_setup(struct drv_bench *db)
{
	struct udrm_device_desc desc = {
		.driver = "simgpu",
		.primary_minor = -1,
		.render_minor = 128,
		.options = "heartbeat_ms=0\n",
	};
	struct drm_simgpu_vm_create vm = {0};
	struct drm_simgpu_bo_create bo = {.size = 4096};
	struct drm_simgpu_bo_create bind_bo = {.size = BIND_SIZE};
	struct drm_simgpu_bo_mmap_offset off = {0};
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.va = STREAM_VA,
		.size = 4096,
	};
	struct drm_simgpu_vm_bind bind = {.ops = DRM_SIMGPU_OBJ_ARRAY(1, &op)};
	struct simgpu_cs_builder b;
	uint32_t *words;
	int ret;

	memset(db, 0, sizeof(*db));
	ret = udrm_device_create(&desc, &db->dev);
	if (!ret)
		ret = udrm_file_open(db->dev, UDRM_NODE_RENDER, O_RDWR,
				     &db->file);
	if (!ret)
		ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_VM_CREATE, &vm);
	if (!ret)
		ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_BO_CREATE, &bo);
	if (!ret)
		ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_BO_CREATE, &bind_bo);
	if (ret)
		return ret;
	db->vm = vm.id;
	db->bo = bo.handle;
	db->bind_bo = bind_bo.handle;

	/* The stream: one NOP, at STREAM_VA. */
	off.handle = db->bo;
	ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &off);
	if (!ret)
		ret = udrm_file_mmap(db->file, NULL, 4096,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     off.offset, (void **)&words);
	if (ret)
		return ret;
	simgpu_cs_builder_init(&b, words, 1024);
	simgpu_cs_nop(&b);
	simgpu_cs_nop(&b); /* SUBMIT takes whole 8-byte units */
	munmap(words, 4096);
	op.bo_handle = db->bo;
	bind.vm_id = db->vm;
	ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_VM_BIND, &bind);

	for (unsigned int i = 0; !ret && i < NUM_QUEUES; i++) {
		struct drm_simgpu_queue_create q = {
			.vm_id = db->vm,
			.priority = DRM_SIMGPU_QUEUE_PRIORITY_NORMAL,
		};
		struct drm_syncobj_create s = {0};

		ret = drv_ioctl(db, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &q);
		if (!ret)
			ret = drv_ioctl(db, DRM_IOCTL_SYNCOBJ_CREATE, &s);
		db->queues[i] = q.handle;
		db->syncobjs[i] = s.handle;
	}
	return ret;
}

static void drv_teardown(struct drv_bench *db)
{
	if (db->file)
		udrm_file_close(db->file);
	if (db->dev)
		udrm_device_destroy(db->dev);
}

/* A NOP job on queue @q signalling its syncobj. */
static int drv_submit(struct drv_bench *db, unsigned int q)
{
	struct drm_simgpu_sync_op sig = {
		.flags = DRM_SIMGPU_SYNC_OP_SIGNAL,
		.handle = db->syncobjs[q],
	};
	struct drm_simgpu_submit s = {
		.queue = db->queues[q],
		.stream_addr = STREAM_VA,
		.stream_size = 8,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(1, &sig),
	};

	return drv_ioctl(db, DRM_IOCTL_SIMGPU_SUBMIT, &s);
}

/* Waits for the syncobjs of queues [0, @n). */
static int drv_wait(struct drv_bench *db, unsigned int n)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)db->syncobjs,
		.count_handles = n,
		.timeout_nsec = (int64_t)bench_now_ns() + WAIT_NS,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
	};

	return drv_ioctl(db, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static int drv_round_trip(void *ctx)
{
	struct drv_bench *db = ctx;

	return drv_submit(db, 0) || drv_wait(db, 1) ? -1 : 0;
}

static int drv_batch_one(void *ctx)
{
	struct drv_bench *db = ctx;

	for (unsigned int i = 0; i < BATCH; i++)
		if (drv_submit(db, 0))
			return -1;
	return drv_wait(db, 1) ? -1 : 0;
}

static int drv_batch_eight(void *ctx)
{
	struct drv_bench *db = ctx;

	for (unsigned int i = 0; i < BATCH; i++)
		if (drv_submit(db, i % NUM_QUEUES))
			return -1;
	return drv_wait(db, NUM_QUEUES) ? -1 : 0;
}

static int drv_bind_cycle(void *ctx)
{
	struct drv_bench *db = ctx;
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.bo_handle = db->bind_bo,
		.va = BIND_VA,
		.size = BIND_SIZE,
	};
	struct drm_simgpu_vm_bind bind = {
		.vm_id = db->vm,
		.ops = DRM_SIMGPU_OBJ_ARRAY(1, &op),
	};

	if (drv_ioctl(db, DRM_IOCTL_SIMGPU_VM_BIND, &bind))
		return -1;
	op = (struct drm_simgpu_vm_bind_op){
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP,
		.va = BIND_VA,
		.size = BIND_SIZE,
	};
	bind.ops.count = 1;
	return drv_ioctl(db, DRM_IOCTL_SIMGPU_VM_BIND, &bind) ? -1 : 0;
}

/* ---- the scheduler alone: run_job completes at once ---- */

struct sched_bench {
	struct udrm_gpu_scheduler sched;
	struct udrm_sched_entity entity;
	struct udrm_gpu_scheduler *list[1];
};

static struct udrm_fence *sb_run_job(struct udrm_sched_job *job)
{
	(void)job;
	return NULL;
}

static void sb_free_job(struct udrm_sched_job *job)
{
	udrm_sched_job_cleanup(job);
	free(job);
}

static const struct udrm_sched_backend_ops sb_ops = {
	.run_job = sb_run_job,
	.free_job = sb_free_job,
};

static int sb_setup(struct sched_bench *sb)
{
	struct udrm_sched_init_args args = {
		.ops = &sb_ops,
		.name = "bench",
		.credit_limit = RING_SIZE / 64,
	};
	int ret;

	memset(sb, 0, sizeof(*sb));
	ret = udrm_sched_init(&sb->sched, &args);
	if (ret)
		return ret;
	sb->list[0] = &sb->sched;
	ret = udrm_sched_entity_init(&sb->entity, UDRM_SCHED_PRIORITY_NORMAL,
				     sb->list, 1);
	if (ret)
		udrm_sched_fini(&sb->sched);
	return ret;
}

static void sb_teardown(struct sched_bench *sb)
{
	udrm_sched_entity_destroy(&sb->entity);
	udrm_sched_fini(&sb->sched);
}

/* @n jobs, then a wait for the last one's finished fence. */
static int sb_batch(struct sched_bench *sb, unsigned int n)
{
	struct udrm_fence *last = NULL;
	int ret = 0;

	for (unsigned int i = 0; i < n && !ret; i++) {
		struct udrm_sched_job *job = calloc(1, sizeof(*job));

		if (!job || udrm_sched_job_init(job, &sb->entity, 1)) {
			free(job);
			ret = -1;
			break;
		}
		udrm_sched_job_arm(job);
		udrm_fence_put(last);
		last = udrm_fence_get(udrm_sched_job_finished(job));
		udrm_sched_entity_push_job(job);
	}
	if (last && udrm_fence_wait(last, false))
		ret = -1;
	udrm_fence_put(last);
	return ret;
}

static int sb_one(void *ctx)
{
	return sb_batch(ctx, 1);
}

static int sb_many(void *ctx)
{
	return sb_batch(ctx, BATCH);
}

static int fw_many(void *ctx)
{
	return fw_bench_batch(ctx, BATCH);
}

/* ---- the page-table writer alone ---- */

struct pt_bench {
	struct simgpu_pt pt;
	struct udrm_mm_node mem;
	struct simgpu_dev *dev;
};

static int pt_cycle(void *ctx)
{
	struct pt_bench *pb = ctx;

	if (simgpu_pt_map(&pb->pt, BIND_VA, pb->mem.start, BIND_SIZE,
			  SIMGPU_PTE_READ | SIMGPU_PTE_WRITE))
		return -1;
	return simgpu_pt_unmap(&pb->pt, BIND_VA, BIND_SIZE) ? -1 : 0;
}

static int compare(const char *what, const struct bench_case *subject,
		   const struct bench_case *baseline, const char *base_name,
		   unsigned int reps, unsigned int ops_per_call, bool rate)
{
	double s_ns, b_ns;

	if (bench_compare_ns(subject, baseline, reps, &s_ns, &b_ns)) {
		fprintf(stderr, "bench-simgpu: %s failed\n", what);
		return -1;
	}
	if (rate)
		bench_report_rate(what, 1e9 * ops_per_call / s_ns, base_name,
				  1e9 * ops_per_call / b_ns);
	else
		bench_report_ns(what, s_ns, base_name, b_ns);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	struct drv_bench db;
	struct fw_bench fb;
	struct sched_bench sb;
	struct pt_bench pb = {0};
	struct simgpu_cs_builder b;
	uint32_t nop[4];
	int ret;

	ret = drv_setup(&db);
	if (ret) {
		fprintf(stderr, "bench-simgpu: driver setup: %s\n",
			strerror(-ret));
		drv_teardown(&db);
		return 1;
	}
	ret = fw_bench_setup(&fb, 2);
	if (!ret) {
		simgpu_cs_builder_init(&b, nop, 4);
		simgpu_cs_nop(&b);
		ret = fw_bench_set_stream(&fb, &b);
	}
	if (!ret)
		ret = sb_setup(&sb);
	if (ret) {
		fprintf(stderr, "bench-simgpu: baseline setup: %s\n",
			strerror(-ret));
		fw_bench_teardown(&fb);
		drv_teardown(&db);
		return 1;
	}
	pb.dev = fb.dev;
	ret = simgpu_pt_init(&pb.pt, pb.dev);
	if (!ret)
		ret = simgpu_dev_vram_alloc(pb.dev, &pb.mem, BIND_SIZE, 0);

	struct bench_case drv_rt = {"submit to signal", drv_round_trip, &db};
	struct bench_case fw_rt = {"ring round trip", fw_bench_round_trip, &fb};
	struct bench_case sb_rt = {"scheduler round trip", sb_one, &sb};
	struct bench_case drv_one = {"jobs, 1 queue", drv_batch_one, &db};
	struct bench_case drv_eight = {"jobs, 8 queues", drv_batch_eight, &db};
	struct bench_case fw_b = {"ring batch", fw_many, &fb};
	struct bench_case sb_b = {"scheduler batch", sb_many, &sb};
	struct bench_case drv_bind = {"VM_BIND map+unmap", drv_bind_cycle, &db};
	struct bench_case pt_b = {"pt map+unmap", pt_cycle, &pb};

	if (!ret)
		ret = compare("simgpu: submit to signal, empty job", &drv_rt,
			      &fw_rt, "firmware ring alone (fwif round trip)",
			      reps, 1, false);
	if (!ret)
		ret = compare("simgpu: submit to signal, empty job", &drv_rt,
			      &sb_rt, "scheduler alone (instant run_job)", reps,
			      1, false);
	if (!ret)
		ret = compare("simgpu: jobs/s through 1 queue", &drv_one, &fw_b,
			      "firmware ring alone, batches of 64", reps, BATCH,
			      true);
	if (!ret)
		ret = compare("simgpu: jobs/s through 1 queue", &drv_one, &sb_b,
			      "scheduler alone, batches of 64", reps, BATCH,
			      true);
	if (!ret)
		ret = compare("simgpu: jobs/s through 8 queues", &drv_eight,
			      &fw_b, "firmware ring alone (1 queue)", reps,
			      BATCH, true);
	if (!ret)
		ret = compare("simgpu: VM_BIND map+unmap 64 KiB /s", &drv_bind,
			      &pt_b, "page-table writer alone", reps, 1, true);

	if (udrm_mm_node_allocated(&pb.mem))
		simgpu_dev_vram_free(pb.dev, &pb.mem);
	if (pb.pt.dev)
		simgpu_pt_fini(&pb.pt);
	sb_teardown(&sb);
	fw_bench_teardown(&fb);
	drv_teardown(&db);
	return ret ? 1 : 0;
}
