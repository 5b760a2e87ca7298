// SPDX-License-Identifier: MIT
/*
 * simgpu queues run jobs: streams that write memory (WRITE32, FILL,
 * COPY) are seen through the CPU map once the out-syncobj signals; a pure
 * sync point signals after the queue's earlier jobs; jobs beyond the
 * ring's capacity all complete, in order; jobs on two queues are ordered
 * by binary and timeline syncobjs.
 */
#include "qtest.h"

#define BUF_SIZE (1u << 20)
#define DATA	 (BUF_SIZE / 2) /* data in the buffer's second half */

static void test_write_fill_copy(int fd)
{
	struct qt_vm v;
	struct qt_stream s;
	uint32_t q, out, *data;
	uint64_t size;

	qt_vm_init(&v, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	out = sg_syncobj_create(fd);
	data = qt_cpu(&v, DATA);
	for (int i = 0; i < 64; i++)
		data[64 + i] = 0xc0de0000u + (uint32_t)i;

	qt_stream_begin(&v, &s, 64);
	simgpu_cs_write32(&s.b, qt_va(DATA), 0x12345678);
	simgpu_cs_fill(&s.b, qt_va(DATA + 16), 32, 0xa5a5a5a5);
	simgpu_cs_copy(&s.b, qt_va(DATA + 1024), qt_va(DATA + 256), 256);
	size = qt_stream_end(&v, &s);
	CHECK_RET(qt_submit(&v, q, s.va, size, 0, out), 0, "SUBMIT");
	CHECK_RET(sg_syncobj_wait(fd, out, 5000), 0,
		  "out-syncobj signalled within 5 s");
	CHECK(qt_syncobj_status(fd, out) == 1,
	      "the job's fence signalled without error, status %d",
	      qt_syncobj_status(fd, out));
	CHECK(data[0] == 0x12345678, "WRITE32 result 0x12345678, got 0x%x",
	      data[0]);
	for (int i = 4; i < 12; i++)
		CHECK(data[i] == 0xa5a5a5a5,
		      "FILL word %d 0xa5a5a5a5, got 0x%x", i, data[i]);
	CHECK(data[12] == 0, "FILL stops after 32 bytes");
	for (int i = 0; i < 64; i++)
		CHECK(data[256 + i] == 0xc0de0000u + (uint32_t)i,
		      "COPY word %d is 0x%x, got 0x%x", i,
		      0xc0de0000u + (uint32_t)i, data[256 + i]);
	CHECK(qt_queue_state(fd, q).state == 0, "a queue that ran is clean");
	qt_vm_fini(&v);
}

/* A pure sync point (size 0) signals after the earlier job. */
static void test_sync_point(int fd)
{
	struct qt_vm v;
	struct qt_stream s;
	uint32_t q, out, *data;
	uint64_t size;

	qt_vm_init(&v, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	out = sg_syncobj_create(fd);
	data = qt_cpu(&v, DATA);
	/* The job waits for the CPU's go, then writes. */
	qt_stream_begin(&v, &s, 32);
	simgpu_cs_wait(&s.b, qt_va(DATA + 64), 1, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&s.b, qt_va(DATA), 7);
	size = qt_stream_end(&v, &s);
	CHECK_RET(qt_submit(&v, q, s.va, size, 0, 0), 0, "SUBMIT");
	CHECK_RET(qt_submit(&v, q, 0, 0, 0, out), 0, "SUBMIT sync point");
	CHECK_RET(sg_syncobj_wait(fd, out, 100), -ETIME,
		  "the sync point waits for the job before it");
	__atomic_store_n((uint64_t *)qt_cpu(&v, DATA + 64), 1,
			 __ATOMIC_RELEASE);
	CHECK_RET(sg_syncobj_wait(fd, out, 5000), 0,
		  "the sync point signals once the job is done");
	CHECK(data[0] == 7, "the job before the sync point wrote 7, got %u",
	      data[0]);
	CHECK(qt_syncobj_status(fd, out) == 1, "sync point without error");
	qt_vm_fini(&v);
}

/* More jobs than the ring holds (4 KiB: 64 or 128 entries), in order:
 * each job writes its index to the same word and appends it to a log. */
static void test_many_jobs(int fd)
{
	enum { JOBS = 600 };
	struct drm_simgpu_queue_create c = {0};
	struct qt_vm v;
	struct qt_stream s;
	uint32_t out, *data;
	uint64_t size, va[JOBS];

	qt_vm_init(&v, fd, BUF_SIZE);
	c.vm_id = v.vm;
	c.ring_size = 4096;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c), 0,
		  "QUEUE_CREATE ring 4 KiB");
	out = sg_syncobj_create(fd);
	data = qt_cpu(&v, DATA);
	for (int i = 0; i < JOBS; i++) {
		qt_stream_begin(&v, &s, 16);
		/* log[i] = last + 1 would need a read: write i to both. */
		simgpu_cs_write32(&s.b, qt_va(DATA + 4 + 4 * (uint64_t)i),
				  (uint32_t)i + 1);
		simgpu_cs_write32(&s.b, qt_va(DATA), (uint32_t)i + 1);
		size = qt_stream_end(&v, &s);
		va[i] = s.va;
		CHECK_RET(qt_submit(&v, c.handle, va[i], size, 0,
				    i == JOBS - 1 ? out : 0),
			  0, "SUBMIT job %d of %d", i, JOBS);
	}
	CHECK_RET(sg_syncobj_wait(fd, out, 20000), 0,
		  "the last of %d jobs signals", JOBS);
	CHECK(data[0] == JOBS, "the last job ran last: word is %u, want %u",
	      data[0], JOBS);
	for (int i = 0; i < JOBS; i++)
		CHECK(data[1 + i] == (uint32_t)i + 1, "job %d ran", i);
	qt_vm_fini(&v);
}

/* Queue B's job waits for queue A's through a binary syncobj, then a
 * timeline point: B copies what A wrote, after A wrote it. */
static void test_cross_queue(int fd, bool timeline)
{
	struct qt_vm v;
	struct qt_stream sa, sb;
	uint32_t qa, qb, link, out, *data;
	struct drm_simgpu_sync_op ops[2];
	uint64_t sza, szb;

	qt_vm_init(&v, fd, BUF_SIZE);
	qa = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_LOW);
	qb = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_HIGH);
	link = sg_syncobj_create(fd);
	out = sg_syncobj_create(fd);
	data = qt_cpu(&v, DATA);

	/* A: wait for the CPU's go, then write 0xabc. */
	qt_stream_begin(&v, &sa, 32);
	simgpu_cs_wait(&sa.b, qt_va(DATA + 64), 1, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&sa.b, qt_va(DATA), 0xabc);
	sza = qt_stream_end(&v, &sa);
	/* B: copy A's word. */
	qt_stream_begin(&v, &sb, 32);
	simgpu_cs_copy(&sb.b, qt_va(DATA + 4), qt_va(DATA), 4);
	szb = qt_stream_end(&v, &sb);

	ops[0] = sg_signal(link);
	if (timeline) {
		ops[0].flags |= DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
		ops[0].timeline_value = 5;
	}
	CHECK_RET(sg_submit(fd, qa, sa.va, sza, ops, 1), 0, "SUBMIT A");
	ops[0] = sg_wait(link);
	if (timeline) {
		ops[0].flags |= DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
		ops[0].timeline_value = 5;
	}
	ops[1] = sg_signal(out);
	CHECK_RET(sg_submit(fd, qb, sb.va, szb, ops, 2), 0, "SUBMIT B");
	CHECK_RET(sg_syncobj_wait(fd, out, 100), -ETIME,
		  "B waits for A (%s syncobj)",
		  timeline ? "timeline" : "binary");
	__atomic_store_n((uint64_t *)qt_cpu(&v, DATA + 64), 1,
			 __ATOMIC_RELEASE);
	CHECK_RET(sg_syncobj_wait(fd, out, 5000), 0, "B done after A");
	CHECK(data[1] == 0xabc, "B copied what A wrote (0xabc), got 0x%x",
	      data[1]);
	qt_vm_fini(&v);
}

int main(void)
{
	int fd = sg_open();

	test_write_fill_copy(fd);
	test_sync_point(fd);
	test_many_jobs(fd);
	test_cross_queue(fd, false);
	test_cross_queue(fd, true);
	close(fd);
	printf("ok\n");
	return 0;
}
