// SPDX-License-Identifier: MIT
/*
 * More queues than firmware slots (groups = 2): six queues with many jobs
 * each all complete, in order; when slots are contended, high-priority
 * queues run before the low-priority ones still waiting.
 */
#include "qtest.h"

#define BUF_SIZE (1u << 20)
#define DATA	 (BUF_SIZE / 2)
#define QUEUES	 6

/* Six queues of one priority, 40 jobs each: every job appends. */
static void test_all_complete(int fd)
{
	enum { JOBS = 40 };
	struct qt_vm v;
	uint32_t q[QUEUES], out[QUEUES], *data;

	qt_vm_init(&v, fd, BUF_SIZE);
	data = qt_cpu(&v, DATA);
	for (int i = 0; i < QUEUES; i++) {
		q[i] = sg_queue_create(fd, v.vm,
				       DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
		out[i] = sg_syncobj_create(fd);
	}
	for (int j = 0; j < JOBS; j++) {
		for (int i = 0; i < QUEUES; i++) {
			struct qt_stream s;
			uint64_t size, slot = (uint64_t)i * 256;

			qt_stream_begin(&v, &s, 16);
			simgpu_cs_write32(&s.b, qt_va(DATA + 4 * (slot + j)),
					  (uint32_t)j + 1);
			simgpu_cs_write32(&s.b, qt_va(DATA + 4 * (slot + 255)),
					  (uint32_t)j + 1);
			size = qt_stream_end(&v, &s);
			CHECK_RET(qt_submit(&v, q[i], s.va, size, 0,
					    j == JOBS - 1 ? out[i] : 0),
				  0, "SUBMIT job %d on queue %d", j, i);
		}
	}
	for (int i = 0; i < QUEUES; i++) {
		CHECK_RET(sg_syncobj_wait(fd, out[i], 20000), 0,
			  "queue %d of %d (2 slots) completes", i, QUEUES);
		CHECK(data[i * 256 + 255] == JOBS,
		      "queue %d ran its last job last (%u, want %u)", i,
		      data[i * 256 + 255], JOBS);
		for (int j = 0; j < JOBS; j++)
			CHECK(data[i * 256 + j] == (uint32_t)j + 1,
			      "queue %d ran job %d", i, j);
	}
	qt_vm_fini(&v);
}

/*
 * Four low-priority queues take the two slots first (their jobs wait for
 * the CPU's go), then two high-priority queues arrive. After the go, the
 * high ones get the slots before the two low ones still waiting: their
 * timestamps come first.
 */
static void test_priority(int fd)
{
	struct qt_vm v;
	uint32_t q[QUEUES], out[QUEUES];
	uint64_t *ts;

	qt_vm_init(&v, fd, BUF_SIZE);
	ts = qt_cpu(&v, DATA + 1024);
	for (int i = 0; i < QUEUES; i++) {
		bool high = i >= 4;
		struct qt_stream s;
		uint64_t size;

		q[i] = sg_queue_create(fd, v.vm,
				       high ? DRM_SIMGPU_QUEUE_PRIORITY_HIGH
					    : DRM_SIMGPU_QUEUE_PRIORITY_LOW);
		out[i] = sg_syncobj_create(fd);
		qt_stream_begin(&v, &s, 32);
		simgpu_cs_wait(&s.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
		simgpu_cs_timestamp(&s.b, qt_va(DATA + 1024 + 8 * i));
		size = qt_stream_end(&v, &s);
		CHECK_RET(qt_submit(&v, q[i], s.va, size, 0, out[i]), 0,
			  "SUBMIT on queue %d", i);
		/* The low ones are in place before the high ones come. */
		if (i == 3)
			usleep(100000);
	}
	usleep(50000);
	__atomic_store_n((uint64_t *)qt_cpu(&v, DATA), 1, __ATOMIC_RELEASE);
	for (int i = 0; i < QUEUES; i++)
		CHECK_RET(sg_syncobj_wait(fd, out[i], 10000), 0,
			  "queue %d completes", i);
	/* Two low queues ran at the go; the other two after both high. */
	for (int h = 4; h < QUEUES; h++) {
		int later = 0;

		for (int l = 0; l < 4; l++)
			later += ts[l] > ts[h];
		CHECK(later >= 2,
		      "high-priority queue %d ran before the low-priority "
		      "queues still waiting: %d of 4 low ones after it",
		      h, later);
	}
	qt_vm_fini(&v);
}

int main(void)
{
	int fd = sg_open();

	CHECK(sg_gpu_info(fd).queue_slots == 2,
	      "the test configuration has 2 slots, got %u",
	      sg_gpu_info(fd).queue_slots);
	test_all_complete(fd);
	test_priority(fd);
	close(fd);
	printf("ok\n");
	return 0;
}
