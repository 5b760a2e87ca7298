// SPDX-License-Identifier: MIT
/*
 * Hangs (job_timeout_ms = 500): a job that WAITs for ever is killed with
 * ETIMEDOUT, its queue is TIMEDOUT and refuses submits, the firmware is
 * rebooted (FW_INFO.reboots), and a long job of another queue that was
 * running meanwhile runs again and completes correctly (INNOCENT). A long
 * job that keeps making progress is not killed (NO_HANG).
 */
#include "qtest.h"

#define BUF_SIZE (1u << 20)
#define DATA	 (BUF_SIZE / 2)
#define FANOUT	 64

/* Buffers calling each other: bottom = FANOUT NOPs, each level above
 * FANOUT CALLs of the one below. Returns the VA of the top level's
 * @calls CALLs of level @levels - 1 and its size. */
struct qt_tree {
	uint64_t level_va[4], level_size[4];
};

static void tree_build(struct qt_vm *v, struct qt_tree *t)
{
	for (int l = 0; l < 3; l++) {
		struct qt_stream s;

		qt_stream_begin(v, &s, FANOUT * 4 + 2);
		for (int i = 0; i < FANOUT; i++) {
			if (l == 0)
				simgpu_cs_nop(&s.b);
			else
				simgpu_cs_call(&s.b, t->level_va[l - 1],
					       (uint32_t)t->level_size[l - 1]);
		}
		t->level_size[l] = qt_stream_end(v, &s);
		t->level_va[l] = s.va;
	}
}

/* A job of @calls CALLs of the tree's top (FANOUT^3 NOPs each), then a
 * WRITE32 of @marker at DATA + @off. */
static uint64_t long_job(struct qt_vm *v, struct qt_tree *t, int calls,
			 uint64_t off, uint32_t marker, uint64_t *va)
{
	struct qt_stream s;
	uint64_t size;

	qt_stream_begin(v, &s, (size_t)calls * 4 + 8);
	for (int i = 0; i < calls; i++)
		simgpu_cs_call(&s.b, t->level_va[2],
			       (uint32_t)t->level_size[2]);
	simgpu_cs_write32(&s.b, qt_va(DATA + off), marker);
	size = qt_stream_end(v, &s);
	*va = s.va;
	return size;
}

/* How many top-level calls take about @ms on this machine. */
static int calibrate(int fd, struct qt_vm *v, struct qt_tree *t, uint32_t q,
		     int ms)
{
	uint32_t out = sg_syncobj_create(fd);
	uint64_t va, size, t0, dt;
	int calls = 4;

	size = long_job(v, t, calls, 0, 1, &va);
	t0 = qt_now_ms();
	CHECK_RET(qt_submit(v, q, va, size, 0, out), 0, "SUBMIT calibration");
	CHECK_RET(sg_syncobj_wait(fd, out, 30000), 0, "calibration job");
	dt = qt_now_ms() - t0;
	if (!dt)
		dt = 1;
	calls = (int)((uint64_t)calls * (uint64_t)ms / dt);
	if (calls < 1)
		calls = 1;
	if (calls > 2000)
		calls = 2000;
	return calls;
}

/* A job running about 5 timeouts while making progress completes. */
static void test_no_hang(int fd, struct qt_vm *v, struct qt_tree *t)
{
	uint32_t q = sg_queue_create(fd, v->vm, 1);
	uint32_t out = sg_syncobj_create(fd);
	uint64_t va, size, t0;
	int calls = calibrate(fd, v, t, q, 2500);

	size = long_job(v, t, calls, 16, 0x1234, &va);
	t0 = qt_now_ms();
	CHECK_RET(qt_submit(v, q, va, size, 0, out), 0, "SUBMIT long job");
	CHECK_RET(sg_syncobj_wait(fd, out, 60000), 0, "the long job ends");
	CHECK(qt_syncobj_status(fd, out) == 1,
	      "a job that makes progress is not killed: status %d after "
	      "%llu ms (timeout 500 ms)",
	      qt_syncobj_status(fd, out),
	      (unsigned long long)(qt_now_ms() - t0));
	CHECK(*(uint32_t *)qt_cpu(v, DATA + 16) == 0x1234,
	      "the long job ran to its end");
	CHECK(qt_queue_state(fd, q).state == 0,
	      "no state on the long job's queue");
}

static void test_hang(int fd, struct qt_vm *v, struct qt_tree *t)
{
	struct drm_simgpu_queue_get_state st;
	struct qt_stream s;
	uint32_t qh = sg_queue_create(fd, v->vm, 1);
	uint32_t qi = sg_queue_create(fd, v->vm, 1);
	uint32_t qidle = sg_queue_create(fd, v->vm, 1);
	uint32_t out_hang = sg_syncobj_create(fd);
	uint32_t out_after = sg_syncobj_create(fd);
	uint32_t out_long = sg_syncobj_create(fd);
	uint32_t out_idle = sg_syncobj_create(fd);
	uint64_t reboots = sg_fw_info(fd).reboots;
	uint64_t va, size, hsize;
	int calls;

	/* The idle queue ran a job before: nothing in flight at the reset. */
	CHECK_RET(qt_submit(v, qidle, 0, 0, 0, out_idle), 0, "SUBMIT idle");
	CHECK_RET(sg_syncobj_wait(fd, out_idle, 5000), 0, "idle queue's job");

	calls = calibrate(fd, v, t, qi, 2500);
	size = long_job(v, t, calls, 32, 0x5678, &va);

	qt_stream_begin(v, &s, 16);
	simgpu_cs_wait(&s.b, qt_va(DATA + 64), 1, SIMGPU_CS_WAIT_GE);
	hsize = qt_stream_end(v, &s);
	CHECK_RET(qt_submit(v, qh, s.va, hsize, 0, out_hang), 0,
		  "SUBMIT the hanging job");
	CHECK_RET(qt_submit(v, qh, 0, 0, 0, out_after), 0,
		  "SUBMIT behind the hanging job");
	CHECK_RET(qt_submit(v, qi, va, size, 0, out_long), 0,
		  "SUBMIT the innocent long job");

	CHECK_RET(sg_syncobj_wait(fd, out_hang, 10000), 0,
		  "the hanging job is killed");
	CHECK(qt_syncobj_status(fd, out_hang) == -ETIMEDOUT,
	      "the hanging job completes with ETIMEDOUT, status %d",
	      qt_syncobj_status(fd, out_hang));
	CHECK_RET(sg_syncobj_wait(fd, out_after, 5000), 0,
		  "the job behind it completes");
	CHECK(qt_syncobj_status(fd, out_after) == -ECANCELED,
	      "the job behind the hang is cancelled, status %d",
	      qt_syncobj_status(fd, out_after));
	st = qt_queue_state(fd, qh);
	CHECK(st.state == DRM_SIMGPU_QUEUE_STATE_TIMEDOUT &&
		      st.error == -ETIMEDOUT,
	      "the hung queue is TIMEDOUT with ETIMEDOUT, got 0x%x %d",
	      st.state, st.error);
	CHECK_RET(qt_submit(v, qh, 0, 0, 0, 0), -ECANCELED,
		  "SUBMIT on the hung queue");
	CHECK(sg_fw_info(fd).reboots == reboots + 1,
	      "the firmware was rebooted once: %llu reboots, want %llu",
	      (unsigned long long)sg_fw_info(fd).reboots,
	      (unsigned long long)reboots + 1);

	CHECK_RET(sg_syncobj_wait(fd, out_long, 60000), 0,
		  "the innocent long job completes");
	CHECK(qt_syncobj_status(fd, out_long) == 1,
	      "the innocent job completes without error, status %d",
	      qt_syncobj_status(fd, out_long));
	CHECK(*(uint32_t *)qt_cpu(v, DATA + 32) == 0x5678,
	      "the innocent job ran to its end");
	st = qt_queue_state(fd, qi);
	CHECK(st.state == DRM_SIMGPU_QUEUE_STATE_INNOCENT && st.error == 0,
	      "the queue running at the reset is INNOCENT, got 0x%x %d",
	      st.state, st.error);
	CHECK(qt_queue_state(fd, qidle).state == 0,
	      "a queue with nothing in flight is not INNOCENT");

	/* Both go on. */
	CHECK_RET(qt_submit(v, qi, 0, 0, 0, out_after), 0,
		  "SUBMIT on the innocent queue");
	CHECK_RET(qt_submit(v, qidle, 0, 0, 0, out_idle), 0,
		  "SUBMIT on the idle queue");
	CHECK_RET(sg_syncobj_wait(fd, out_after, 5000), 0,
		  "the innocent queue runs after the reset");
	CHECK_RET(sg_syncobj_wait(fd, out_idle, 5000), 0,
		  "the idle queue runs after the reset");
}

int main(void)
{
	struct qt_vm v;
	struct qt_tree t;
	int fd = sg_open();

	qt_vm_init(&v, fd, BUF_SIZE);
	tree_build(&v, &t);
	test_no_hang(fd, &v, &t);
	test_hang(fd, &v, &t);
	qt_vm_fini(&v);
	close(fd);
	printf("ok\n");
	return 0;
}
