// SPDX-License-Identifier: MIT
/*
 * Jobs of two processes ordered by each other's fences. Process A (this
 * one) and process B (a forked child with its own open of the render
 * node) share a buffer (PRIME: A exports, B imports and maps it in its
 * VM). In each round A submits a job held by a WAIT on a value in its
 * memory that writes the shared buffer, and hands its fence to B over a
 * socket; B submits a job on its own queue that waits for that fence,
 * then stamps the time, copies what A wrote and writes its own value. A
 * gives the go only once B saw its job held, so B's job cannot run first
 * unless the wait is broken. The fence crosses as
 * - an opaque syncobj fd (HANDLE_TO_FD / FD_TO_HANDLE) of a binary
 *   syncobj; B's fence then goes back to A the same way and a second job
 *   of A copies what B wrote;
 * - an opaque fd of a timeline syncobj, B waiting for point 5 (a point not
 *   signalled yet is refused with EINVAL);
 * - a sync_file (HANDLE_TO_FD with EXPORT_SYNC_FILE), imported by B into
 *   a syncobj of its own; it is not readable until A's job is done.
 * B's job must see A's value, start (GPU TIMESTAMP) after A's job wrote
 * it, and its fence must signal after A's (sync_file signal times).
 * Sharing the buffer orders nothing by itself: its implicit fences
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE) do not include A's running job, whose
 * fence the driver adds for bookkeeping only, as Panthor does.
 *
 * A failed dependency: A's job faults (EFAULT). As in the kernel, where
 * drm_sched waits for a dependency but never reads its error and
 * Panthor's run_job only looks at its own group, simgpu runs B's job
 * anyway, after A's job failed: B's fence signals without error and B's
 * queue stays clean; a program must look at its dependencies' status
 * itself (Vulkan reports the device lost).
 */
#include "qtest.h"

#include <linux/dma-buf.h>

#include "../../../multiproc/mp.h"

#define BUF_SIZE    (256u << 10)
#define DATA	    (BUF_SIZE / 2)
#define SHARED_SIZE (64u << 10)
#define SHARED_VA   0x10000000ull /* the shared buffer, in both VMs */
#define UNMAPPED    0x40000000ull
#define POINT	    5 /* the timeline point of the timeline round */

enum round { BINARY, TIMELINE, SYNC_FILE, FAULT, ROUNDS };

static const char *const round_name[ROUNDS] = {
	"binary syncobj fd", "timeline syncobj fd", "sync_file",
	"failed dependency"};

/* Each round's part of the shared buffer: slot r of an array. */
struct slot {
	uint32_t a;	 /* A's value */
	uint32_t b;	 /* B's value */
	uint64_t a_ns;	 /* GPU time after A wrote */
	uint64_t b_ns;	 /* GPU time B's job started */
	uint32_t b_copy; /* what B's job read of A's value */
	uint32_t a_copy; /* what A's second job read of B's value */
};

/* The GPU VA of @field of round @r's slot. */
static uint64_t slot_va(enum round r, size_t field)
{
	return SHARED_VA + (uint64_t)r * sizeof(struct slot) + field;
}

static uint32_t a_value(enum round r)
{
	return 0xa000u + (uint32_t)r;
}

static uint32_t b_value(enum round r)
{
	return 0xb000u + (uint32_t)r;
}

/* When @syncobj's fence signalled (CLOCK_MONOTONIC), and its status. */
static uint64_t signalled_ns(int fd, uint32_t syncobj, int *status)
{
	uint64_t ns;
	int sync_file;

	CHECK_RET(drmSyncobjExportSyncFile(fd, syncobj, &sync_file), 0,
		  "export a sync_file");
	*status = qt_sync_file_status(sync_file, &ns);
	close(sync_file);
	return ns;
}

/* --- process B --- */

struct b_side {
	int fd, sock, prime;
	struct qt_vm v;
	uint32_t queue, shared;
	volatile struct slot *slots;
};

/* B's part of round @r: the fence comes as @fence_fd. */
static void b_round(struct b_side *b, enum round r, int fence_fd)
{
	volatile struct slot *sl = &b->slots[r];
	struct drm_simgpu_sync_op ops[2];
	struct qt_stream s;
	uint32_t in, done = sg_syncobj_create(b->fd);
	uint64_t size, a_signalled, b_signalled;
	int status;

	if (r == SYNC_FILE) {
		CHECK(!mp_readable(fence_fd, 0),
		      "B: the sync_file of A's held job is not readable");
		in = sg_syncobj_create(b->fd);
		CHECK_RET(drmSyncobjImportSyncFile(b->fd, in, fence_fd), 0,
			  "B: import the sync_file into a syncobj");
	} else {
		CHECK_RET(drmSyncobjFDToHandle(b->fd, fence_fd, &in), 0,
			  "B: FD_TO_HANDLE of A's syncobj fd (%s)",
			  round_name[r]);
	}

	qt_stream_begin(&b->v, &s, 32);
	simgpu_cs_timestamp(&s.b, slot_va(r, offsetof(struct slot, b_ns)));
	simgpu_cs_copy(&s.b, slot_va(r, offsetof(struct slot, b_copy)),
		       slot_va(r, offsetof(struct slot, a)), 4);
	simgpu_cs_write32(&s.b, slot_va(r, offsetof(struct slot, b)),
			  b_value(r));
	size = qt_stream_end(&b->v, &s);
	ops[0] = sg_wait(in);
	ops[1] = sg_signal(done);
	if (r == TIMELINE) {
		ops[0].flags |= DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
		ops[0].timeline_value = POINT + 1;
		CHECK_RET(sg_submit(b->fd, b->queue, s.va, size, ops, 2),
			  -EINVAL,
			  "B: SUBMIT waiting for point %d, which A "
			  "has not submitted",
			  POINT + 1);
		ops[0].timeline_value = POINT;
	}
	CHECK_RET(sg_submit(b->fd, b->queue, s.va, size, ops, 2), 0,
		  "B: SUBMIT waiting for A's fence (%s)", round_name[r]);
	CHECK_RET(sg_syncobj_wait(b->fd, done, 100), -ETIME,
		  "B: the job waits for A's held job (%s)", round_name[r]);
	CHECK(sl->b == 0, "B: the job has not run before A's (%s)",
	      round_name[r]);
	if (r == BINARY) {
		struct dma_buf_export_sync_file implicit = {
			.flags = DMA_BUF_SYNC_RW};
		int back;

		/* A's job, still writing, added its fence to the shared
		 * buffer for bookkeeping only, as Panthor's: implicit sync
		 * does not wait for it, only the fence handed over does. */
		CHECK(ioctl(b->prime, DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
			    &implicit) == 0,
		      "B: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: %s", strerror(errno));
		CHECK(qt_sync_file_status(implicit.fd, NULL) == 1,
		      "B: the shared buffer's implicit fences do not include "
		      "A's held job");
		close(implicit.fd);
		CHECK_RET(drmSyncobjHandleToFD(b->fd, done, &back), 0,
			  "B: HANDLE_TO_FD of its own fence");
		mp_send_fd(b->sock, back, 0);
		close(back);
	} else {
		mp_send_u64(b->sock, 0);
	}

	/* A gave the go and tells when its job's fence signalled. */
	a_signalled = mp_recv_u64(b->sock);
	CHECK_RET(sg_syncobj_wait(b->fd, done, 5000), 0,
		  "B: the job completes after A's (%s)", round_name[r]);
	b_signalled = signalled_ns(b->fd, done, &status);
	CHECK(status == 1, "B: the job ran without error (%s), status %d: %s",
	      round_name[r], status,
	      r == FAULT ? "a dependency's error does not fail the job" : "");
	CHECK(sl->b == b_value(r), "B: the job wrote 0x%x, got 0x%x",
	      b_value(r), sl->b);
	CHECK(b_signalled >= a_signalled,
	      "B: its fence signalled at %llu ns, before A's at %llu (%s)",
	      (unsigned long long)b_signalled, (unsigned long long)a_signalled,
	      round_name[r]);
	if (r == FAULT) {
		CHECK(sl->b_copy == 0,
		      "B: A's faulting job wrote nothing, read 0x%x",
		      sl->b_copy);
		CHECK(qt_queue_state(b->fd, b->queue).state == 0,
		      "B: the queue is clean after running behind a failed "
		      "dependency, state 0x%x",
		      qt_queue_state(b->fd, b->queue).state);
	} else {
		CHECK(sl->b_copy == a_value(r),
		      "B: the job read A's value 0x%x, got 0x%x (%s)",
		      a_value(r), sl->b_copy, round_name[r]);
		CHECK(sl->b_ns >= sl->a_ns && sl->a_ns,
		      "B: the job started at GPU time %llu, before A's job "
		      "wrote at %llu (%s)",
		      (unsigned long long)sl->b_ns,
		      (unsigned long long)sl->a_ns, round_name[r]);
	}
	if (r == SYNC_FILE)
		CHECK(mp_readable(fence_fd, 0) &&
			      qt_sync_file_status(fence_fd, NULL) == 1,
		      "B: the sync_file is readable and signalled once A's job "
		      "is done");
	close(fence_fd);
	mp_send_u64(b->sock, 0);
}

static void b_main(void *arg, int sock)
{
	struct b_side b = {.sock = sock};

	(void)arg;
	b.fd = sg_open();
	qt_vm_init(&b.v, b.fd, BUF_SIZE);
	b.queue =
		sg_queue_create(b.fd, b.v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	b.prime = mp_recv_fd(sock, NULL);
	CHECK_RET(drmPrimeFDToHandle(b.fd, b.prime, &b.shared), 0,
		  "B: PRIME import of A's buffer");
	CHECK_RET(sg_map(b.fd, b.v.vm, b.shared, 0, SHARED_VA, SHARED_SIZE), 0,
		  "B: map the shared buffer");
	b.slots = sg_bo_map(b.fd, b.shared, SHARED_SIZE);
	for (enum round r = 0; r < ROUNDS; r++) {
		uint64_t got;
		int fence_fd = mp_recv_fd(sock, &got);

		CHECK(got == r, "B: round %d's fence, got round %llu", r,
		      (unsigned long long)got);
		b_round(&b, r, fence_fd);
	}
	munmap((void *)b.slots, SHARED_SIZE);
	close(b.prime);
	qt_vm_fini(&b.v);
	close(b.fd);
}

/* --- process A --- */

struct a_side {
	int fd, sock;
	struct qt_vm v, faulty; /* faulty: the failed round's own VM */
	uint32_t queue, faulty_queue, shared;
	volatile struct slot *slots;
};

static void a_round(struct a_side *a, enum round r)
{
	volatile struct slot *sl = &a->slots[r];
	struct qt_vm *v = r == FAULT ? &a->faulty : &a->v;
	uint32_t queue = r == FAULT ? a->faulty_queue : a->queue;
	struct drm_simgpu_sync_op ops[2];
	struct qt_stream s, back;
	uint32_t done = sg_syncobj_create(a->fd), timeline = 0, b_done = 0,
		 back_done = 0;
	uint64_t size, signalled, go = DATA + 8 * (uint64_t)r;
	int fence_fd, status, n = 1;

	qt_stream_begin(v, &s, 32);
	simgpu_cs_wait(&s.b, qt_va(go), 1, SIMGPU_CS_WAIT_GE);
	if (r == FAULT) {
		simgpu_cs_write32(&s.b, UNMAPPED, 1);
	} else {
		simgpu_cs_write32(&s.b, slot_va(r, offsetof(struct slot, a)),
				  a_value(r));
		simgpu_cs_timestamp(&s.b,
				    slot_va(r, offsetof(struct slot, a_ns)));
	}
	size = qt_stream_end(v, &s);
	ops[0] = sg_signal(done);
	if (r == TIMELINE) {
		timeline = sg_syncobj_create(a->fd);
		ops[n] = sg_signal(timeline);
		ops[n].flags |= DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
		ops[n++].timeline_value = POINT;
	}
	CHECK_RET(sg_submit(a->fd, queue, s.va, size, ops, (uint32_t)n), 0,
		  "A: SUBMIT the held job (%s)", round_name[r]);

	if (r == SYNC_FILE)
		CHECK_RET(drmSyncobjExportSyncFile(a->fd, done, &fence_fd), 0,
			  "A: export the job's fence as a sync_file");
	else
		CHECK_RET(drmSyncobjHandleToFD(
				  a->fd, timeline ? timeline : done, &fence_fd),
			  0, "A: HANDLE_TO_FD (%s)", round_name[r]);
	mp_send_fd(a->sock, fence_fd, r);
	close(fence_fd);

	/* B's job is queued behind ours. */
	if (r == BINARY) {
		int b_fd = mp_recv_fd(a->sock, NULL);

		CHECK_RET(drmSyncobjFDToHandle(a->fd, b_fd, &b_done), 0,
			  "A: FD_TO_HANDLE of B's fence");
		close(b_fd);
		back_done = sg_syncobj_create(a->fd);
		qt_stream_begin(v, &back, 16);
		simgpu_cs_copy(&back.b,
			       slot_va(r, offsetof(struct slot, a_copy)),
			       slot_va(r, offsetof(struct slot, b)), 4);
		size = qt_stream_end(v, &back);
		CHECK_RET(qt_submit(v, queue, back.va, size, b_done, back_done),
			  0, "A: SUBMIT a job waiting for B's");
	} else {
		mp_recv_u64(a->sock);
	}
	CHECK_RET(sg_syncobj_wait(a->fd, done, 0), -ETIME,
		  "A: the job is held until the go");
	__atomic_store_n((uint64_t *)qt_cpu(v, go), 1, __ATOMIC_RELEASE);
	CHECK_RET(sg_syncobj_wait(a->fd, done, 5000), 0,
		  "A: the job completes after the go (%s)", round_name[r]);
	signalled = signalled_ns(a->fd, done, &status);
	CHECK(status == (r == FAULT ? -EFAULT : 1),
	      "A: the job's fence has status %d, got %d (%s)",
	      r == FAULT ? -EFAULT : 1, status, round_name[r]);
	if (r != FAULT)
		CHECK(sl->a == a_value(r), "A: the job wrote 0x%x, got 0x%x",
		      a_value(r), sl->a);
	mp_send_u64(a->sock, signalled);
	mp_recv_u64(a->sock); /* B checked its job */

	if (r == BINARY) {
		CHECK_RET(sg_syncobj_wait(a->fd, back_done, 5000), 0,
			  "A: the job waiting for B's completes");
		CHECK(qt_syncobj_status(a->fd, back_done) == 1 &&
			      sl->a_copy == b_value(r),
		      "A: the job behind B's read B's value 0x%x, got 0x%x",
		      b_value(r), sl->a_copy);
	}
	if (r == FAULT)
		CHECK(qt_queue_state(a->fd, queue).state ==
			      DRM_SIMGPU_QUEUE_STATE_FAULTED,
		      "A: the faulting queue is FAULTED");
}

int main(void)
{
	struct a_side a = {0};
	struct mp_peer b;
	int prime;

	signal(SIGPIPE, SIG_IGN);
	/* B is forked before A opens anything: its file is its own. */
	mp_fork(&b, "process B", b_main, NULL);
	a.sock = b.sock;
	a.fd = sg_open();
	qt_vm_init(&a.v, a.fd, BUF_SIZE);
	qt_vm_init(&a.faulty, a.fd, BUF_SIZE);
	a.queue =
		sg_queue_create(a.fd, a.v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	a.faulty_queue = sg_queue_create(a.fd, a.faulty.vm,
					 DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	/* Exported before any job writes it (docs/simgpu.md, Limits). */
	a.shared = sg_bo_create(a.fd, SHARED_SIZE, 0, 0);
	CHECK_RET(drmPrimeHandleToFD(a.fd, a.shared, DRM_CLOEXEC | DRM_RDWR,
				     &prime),
		  0, "A: PRIME export of the shared buffer");
	CHECK_RET(sg_map(a.fd, a.v.vm, a.shared, 0, SHARED_VA, SHARED_SIZE), 0,
		  "A: map the shared buffer");
	a.slots = sg_bo_map(a.fd, a.shared, SHARED_SIZE);
	mp_send_fd(a.sock, prime, 0);
	close(prime);

	for (enum round r = 0; r < ROUNDS; r++)
		a_round(&a, r);
	mp_peer_join(&b);

	munmap((void *)a.slots, SHARED_SIZE);
	qt_vm_fini(&a.v);
	qt_vm_fini(&a.faulty);
	close(a.fd);
	printf("ok\n");
	return 0;
}
