// SPDX-License-Identifier: MIT
/*
 * simgpu's queues through the embedding API, white-box: jobs submitted
 * with SUBMIT, completions held back by holding the slot manager's lock
 * (which the interrupt thread needs to complete fences), so that many
 * entries finish on the firmware between two looks of the driver, as
 * when interrupts come late. Each job's fence must still carry its own
 * entry's status, across ring wraps and on every ring entry size. And
 * QUEUE_DESTROY of jobs waiting on a dependency that never signals.
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
#include "core/idr.h"
#include "gpu/simgpu_cs.h"
#include "simgpu_drv.h"
#include "simgpu_queue.h"
#include "sync/dma_fence.h"
#include "sync/syncobj.h"
#include "udrm/simgpu_drm.h"
#include "udrm/udrm.h"

#include "simgpu_check.h"
#include "simgpu_file_fixture.h"

#define KiB	 1024ull
#define VA0	 0x100000ull
#define BO_SIZE	 (64 * KiB)
#define GATE_OFF 0x0ull	   /* u64 the round's first job waits on */
#define OK_OFF	 0x100ull  /* NOPs: completes with 0 */
#define BAD_OFF	 0x200ull  /* an unknown opcode: -EINVAL, queue goes on */
#define BAR_OFF	 0x300ull  /* ERROR_BARRIER after an error: -EIO */
#define WAIT_OFF 0x1000ull /* round r's WAIT stream at + r * 0x40 */

/* The newest firmware (64-byte entries, 64-bit ring counters) and the
 * oldest (32-byte entries, 32-bit counters). */
static int setup_newest(void **state)
{
	return setup_opts(state, "heartbeat_ms=0\n");
}

static int setup_1_0(void **state)
{
	return setup_opts(state, "heartbeat_ms=0\nfirmware=1.0\n");
}

static uint32_t syncobj_create(struct t *t)
{
	struct drm_syncobj_create c = {0};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_CREATE, &c), 0,
		   "SYNCOBJ_CREATE");
	return c.handle;
}

/* A VM with a buffer of BO_SIZE at VA0; its CPU map in *cpu. */
static uint32_t vm_with_buffer(struct t *t, uint8_t **cpu)
{
	struct drm_simgpu_vm_create vc = {0};
	struct drm_simgpu_bo_create bc = {.size = BO_SIZE};
	struct drm_simgpu_bo_mmap_offset mo = {0};
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.va = VA0,
		.size = BO_SIZE,
	};
	struct drm_simgpu_vm_bind b = {.ops = DRM_SIMGPU_OBJ_ARRAY(1, &op)};
	void *p = NULL;

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_VM_CREATE, &vc), 0,
		   "VM_CREATE");
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_BO_CREATE, &bc), 0,
		   "BO_CREATE");
	op.bo_handle = bc.handle;
	b.vm_id = vc.id;
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_VM_BIND, &b), 0,
		   "VM_BIND MAP");
	mo.handle = bc.handle;
	expect_eq(
		udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &mo),
		0, "BO_MMAP_OFFSET");
	expect_eq(udrm_file_mmap(t->file, NULL, BO_SIZE,
				  PROT_READ | PROT_WRITE, MAP_SHARED, mo.offset,
				  &p),
		   0, "mmap of the buffer");
	*cpu = p;
	return vc.id;
}

static uint32_t queue_create(struct t *t, uint32_t vm, uint32_t ring_size)
{
	struct drm_simgpu_queue_create c = {.vm_id = vm,
					    .ring_size = ring_size};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c),
		   0, "QUEUE_CREATE");
	return c.handle;
}

/* The driver's queue of @handle; the file's reference keeps it. */
static struct simgpu_queue *queue_of(struct t *t, uint32_t handle)
{
	struct simgpu_file *sfile = simgpu_file(t->file);
	struct simgpu_queue *q;

	pthread_mutex_lock(&sfile->lock);
	q = udrm_idr_find(&sfile->queues, handle);
	pthread_mutex_unlock(&sfile->lock);
	assert_non_null(q);
	return q;
}

static void submit(struct t *t, uint32_t queue, uint64_t off, uint64_t size,
		   uint32_t out)
{
	struct drm_simgpu_sync_op op = {.flags = DRM_SIMGPU_SYNC_OP_SIGNAL,
					.handle = out};
	struct drm_simgpu_submit s = {
		.queue = queue,
		.stream_addr = VA0 + off,
		.stream_size = size,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(1, &op),
	};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_SUBMIT, &s), 0,
		   "SUBMIT of the stream at 0x%llx", (unsigned long long)off);
}

static uint64_t build(uint8_t *cpu, uint64_t off,
		      void (*fill)(struct simgpu_cs_builder *b, void *arg),
		      void *arg)
{
	struct simgpu_cs_builder b;

	simgpu_cs_builder_init(&b, (uint32_t *)(cpu + off), 16);
	fill(&b, arg);
	if (b.len % 2)
		simgpu_cs_nop(&b);
	assert_false(b.overflow);
	return b.len * 4;
}

static void fill_ok(struct simgpu_cs_builder *b, void *arg)
{
	(void)arg;
	simgpu_cs_nop(b);
	simgpu_cs_nop(b);
}

static void fill_bad(struct simgpu_cs_builder *b, void *arg)
{
	(void)arg;
	/* Opcode 0xff does not exist: the stream is malformed. */
	b->words[b->len++] = 0xff010000u;
}

static void fill_barrier(struct simgpu_cs_builder *b, void *arg)
{
	(void)arg;
	simgpu_cs_error_barrier(b);
}

static void fill_wait(struct simgpu_cs_builder *b, void *arg)
{
	simgpu_cs_wait(b, VA0 + GATE_OFF, *(uint64_t *)arg, SIMGPU_CS_WAIT_GE);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_nsec = ms * 1000000l};

	nanosleep(&ts, NULL);
}

/* Waits until @q has written @seqno entries to its ring, is bound and
 * has published them all. */
static void wait_published(struct simgpu_queue *q, uint64_t seqno)
{
	uint64_t deadline = now_ns() + 5000000000ull;
	bool done = false;

	while (!done && now_ns() < deadline) {
		pthread_mutex_lock(&q->lock);
		done = q->seqno == seqno && q->slot >= 0 &&
		       q->fq.kicked == q->fq.insert;
		pthread_mutex_unlock(&q->lock);
		if (!done)
			sleep_ms(1);
	}
	if (!done)
		fail_msg("the queue's %llu entries are not published after 5 s",
			 (unsigned long long)seqno);
}

/* Waits until the firmware consumed every entry of @q. Called with the
 * slot manager's lock held: nothing unbinds @q meanwhile. */
static void wait_consumed(struct simgpu_queue *q)
{
	uint64_t deadline = now_ns() + 5000000000ull;
	bool done = false;

	while (!done && now_ns() < deadline) {
		struct simgpu_fwif_queue_state st;

		pthread_mutex_lock(&q->lock);
		simgpu_fwif_queue_state(&q->fq, &st);
		done = st.extract == q->fq.insert;
		pthread_mutex_unlock(&q->lock);
		if (!done)
			sleep_ms(1);
	}
	if (!done)
		fail_msg("the firmware did not consume the ring within 5 s");
}

/* 1 once signalled without error, 0 pending, or the fence's error. */
static int syncobj_status(struct t *t, uint32_t handle)
{
	struct udrm_syncobj *so = udrm_syncobj_find(t->file, handle);
	struct udrm_fence *f;
	int status;

	assert_non_null(so);
	f = udrm_syncobj_fence_get(so);
	udrm_syncobj_put(so);
	if (!f)
		return 0;
	status = udrm_fence_get_status(f);
	udrm_fence_put(f);
	return status;
}

static void wait_all(struct t *t, const uint32_t *handles, uint32_t n)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)handles,
		.count_handles = n,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL,
		.timeout_nsec = (int64_t)(now_ns() + 5000000000ull),
	};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SYNCOBJ_WAIT, &w), 0,
		   "SYNCOBJ_WAIT for the round's %u jobs", n);
}

enum job_kind { JOB_OK, JOB_BAD, JOB_BARRIER };

#define ROUND_JOBS 24 /* the gate job, then 23 */
#define ROUNDS	   8  /* 192 entries: past two wraps of a 4 KiB ring */

/*
 * Rounds of jobs on a 4 KiB ring: a job waiting on a gate, then jobs that
 * succeed, fail (a malformed stream: -EINVAL, the queue goes on) or stop
 * at an ERROR_BARRIER (-EIO once the queue carries an error). With the
 * interrupt thread held back, the whole round completes on the firmware
 * before the driver looks; then every fence must have its own status.
 */
static void each_job_gets_its_own_status(void **state)
{
	static const enum job_kind pattern[4] = {JOB_OK, JOB_BAD, JOB_OK,
						 JOB_BARRIER};
	static const char *const names[] = {"ok", "malformed", "barrier"};
	struct t *t = *state;
	struct simgpu_sched *sched = t->sdev->sched;
	uint64_t size[3], wait_size, seqno = 0;
	struct simgpu_queue *q;
	uint32_t vm, queue;
	uint8_t *cpu;

	vm = vm_with_buffer(t, &cpu);
	queue = queue_create(t, vm, 4 * KiB);
	q = queue_of(t, queue);
	size[JOB_OK] = build(cpu, OK_OFF, fill_ok, NULL);
	size[JOB_BAD] = build(cpu, BAD_OFF, fill_bad, NULL);
	size[JOB_BARRIER] = build(cpu, BAR_OFF, fill_barrier, NULL);

	for (uint64_t r = 0; r < ROUNDS; r++) {
		uint64_t gate = r + 1, wait_off = WAIT_OFF + r * 0x40;
		uint32_t out[ROUND_JOBS];
		enum job_kind kind[ROUND_JOBS];

		wait_size = build(cpu, wait_off, fill_wait, &gate);
		out[0] = syncobj_create(t);
		submit(t, queue, wait_off, wait_size, out[0]);
		for (unsigned int j = 1; j < ROUND_JOBS; j++) {
			static const uint64_t offs[3] = {OK_OFF, BAD_OFF,
							 BAR_OFF};

			/* Round 0 starts with a malformed job: every
			 * barrier comes after an error. */
			kind[j] = pattern[(j + r) % 4];
			out[j] = syncobj_create(t);
			submit(t, queue, offs[kind[j]], size[kind[j]], out[j]);
		}
		seqno += ROUND_JOBS;
		wait_published(q, seqno);

		/* The interrupt thread completes fences under sched->lock:
		 * the round runs to its end before the driver sees it. */
		pthread_mutex_lock(&sched->lock);
		__atomic_store_n((uint64_t *)(cpu + GATE_OFF), gate,
				 __ATOMIC_RELEASE);
		wait_consumed(q);
		pthread_mutex_unlock(&sched->lock);

		wait_all(t, out, ROUND_JOBS);
		expect_eq(syncobj_status(t, out[0]), 1,
			   "round %llu: the gate job's status",
			   (unsigned long long)r);
		for (unsigned int j = 1; j < ROUND_JOBS; j++) {
			int want = kind[j] == JOB_OK	? 1
				   : kind[j] == JOB_BAD ? -EINVAL
							: -EIO;

			expect_eq(syncobj_status(t, out[j]), want,
				   "round %llu, job %u (%s): its fence status "
				   "(1 = signalled without error)",
				   (unsigned long long)r, j, names[kind[j]]);
		}
	}
	/* Stream errors do not ban the queue. */
	pthread_mutex_lock(&q->lock);
	assert_false(atomic_load(&q->banned));
	assert_int_equal(q->state, 0);
	pthread_mutex_unlock(&q->lock);
	munmap(cpu, BO_SIZE);
}

static const struct udrm_fence_ops never_ops = {0};

/* A syncobj holding a fence of our own that nobody signals; the fence
 * (a reference) in *fence, to signal at the end. */
static uint32_t syncobj_never(struct t *t, struct udrm_fence **fence)
{
	uint32_t handle = syncobj_create(t);
	struct udrm_fence *f = calloc(1, sizeof(*f));
	struct udrm_syncobj *so = udrm_syncobj_find(t->file, handle);

	assert_non_null(f);
	assert_non_null(so);
	udrm_fence_init(f, &never_ops, NULL, NULL, udrm_fence_context_alloc(1),
			1);
	udrm_syncobj_replace_fence(so, f);
	udrm_syncobj_put(so);
	*fence = f;
	return handle;
}

static void submit_waiting(struct t *t, uint32_t queue, uint64_t off,
			   uint64_t size, uint32_t in, uint32_t out)
{
	struct drm_simgpu_sync_op ops[2] = {
		{.flags = DRM_SIMGPU_SYNC_OP_WAIT, .handle = in},
		{.flags = DRM_SIMGPU_SYNC_OP_SIGNAL, .handle = out},
	};
	struct drm_simgpu_submit s = {
		.queue = queue,
		.stream_addr = VA0 + off,
		.stream_size = size,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(2, ops),
	};

	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_SUBMIT, &s), 0,
		   "SUBMIT waiting on a syncobj");
}

/*
 * QUEUE_DESTROY of a queue whose jobs wait behind a dependency that never
 * signals: they never ran, so they are killed with the scheduler entity,
 * their fences signalled with ESRCH as drm_sched_entity_kill() does
 * (without waiting for the dependency, which the kernel would do for
 * ever); a job that ran keeps its 0; the ioctl returns once the entity's
 * flush (up to a second) gives up.
 */
static void destroy_kills_jobs_waiting_on_dependencies(void **state)
{
	struct t *t = *state;
	struct drm_simgpu_queue_destroy d = {0};
	struct udrm_fence *never;
	uint32_t vm, in, done, out[3];
	uint64_t size, t0, took_ms;
	uint8_t *cpu;

	vm = vm_with_buffer(t, &cpu);
	d.handle = queue_create(t, vm, 0);
	size = build(cpu, OK_OFF, fill_ok, NULL);
	done = syncobj_create(t);
	submit(t, d.handle, OK_OFF, size, done);
	wait_all(t, &done, 1);
	/* The first waits on the dependency, the others behind it. */
	in = syncobj_never(t, &never);
	for (unsigned int i = 0; i < 3; i++) {
		out[i] = syncobj_create(t);
		if (i == 0)
			submit_waiting(t, d.handle, OK_OFF, size, in, out[i]);
		else
			submit(t, d.handle, OK_OFF, size, out[i]);
	}
	sleep_ms(20);
	expect_eq(syncobj_status(t, out[2]), 0,
		   "the jobs wait behind the dependency");

	t0 = now_ns();
	expect_eq(udrm_file_ioctl(t->file, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, &d),
		   0, "QUEUE_DESTROY");
	took_ms = (now_ns() - t0) / 1000000;
	wait_all(t, out, 3);
	for (unsigned int i = 0; i < 3; i++)
		expect_eq(syncobj_status(t, out[i]), -ESRCH,
			   "job %u behind the dependency: its status", i);
	expect_eq(syncobj_status(t, done), 1, "the job that ran");
	if (took_ms >= 3000)
		fail_msg("QUEUE_DESTROY took %llu ms, expected the flush's "
			 "second at most",
			 (unsigned long long)took_ms);
	udrm_fence_signal(never);
	udrm_fence_put(never);
	munmap(cpu, BO_SIZE);
}

static void each_job_gets_its_own_status_fw_newest(void **state)
{
	each_job_gets_its_own_status(state);
}

static void each_job_gets_its_own_status_fw_1_0(void **state)
{
	each_job_gets_its_own_status(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			each_job_gets_its_own_status_fw_newest, setup_newest,
			teardown),
		cmocka_unit_test_setup_teardown(
			each_job_gets_its_own_status_fw_1_0, setup_1_0,
			teardown),
		cmocka_unit_test_setup_teardown(
			destroy_kills_jobs_waiting_on_dependencies,
			setup_newest, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
