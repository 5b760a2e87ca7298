// SPDX-License-Identifier: MIT
/*
 * Teardown with work in flight: closing a file whose queues have a job
 * waiting for ever and jobs queued behind it returns at once and cancels
 * them (their fences, shared with another file, complete with ECANCELED);
 * the program then exits with jobs still queued on its other file, which
 * must neither hang nor leak (ASan).
 */
#include "qtest.h"

#define BUF_SIZE (256u << 10)
#define DATA	 (BUF_SIZE / 2)

/* A queue with a job waiting for ever, then @n jobs; the last job's
 * syncobj is returned. */
static uint32_t stuck_queue(int fd, struct qt_vm *v, int n)
{
	struct qt_stream s;
	uint32_t q = sg_queue_create(fd, v->vm, 1);
	uint32_t out = sg_syncobj_create(fd);
	uint64_t size;

	qt_stream_begin(v, &s, 16);
	simgpu_cs_wait(&s.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
	size = qt_stream_end(v, &s);
	CHECK_RET(qt_submit(v, q, s.va, size, 0, 0), 0, "SUBMIT waiting job");
	for (int i = 0; i < n; i++)
		CHECK_RET(qt_submit(v, q, 0, 0, 0, i == n - 1 ? out : 0), 0,
			  "SUBMIT job %d", i);
	return out;
}

int main(void)
{
	int fd = sg_open(), fd2 = sg_open();
	struct qt_vm v, v2;
	uint32_t out, mine;
	uint64_t t0;
	int sync_fd;

	qt_vm_init(&v2, fd2, BUF_SIZE);
	out = stuck_queue(fd2, &v2, 20);
	stuck_queue(fd2, &v2, 5);
	/* The last job's fence, seen from the first file. */
	CHECK_RET(drmSyncobjHandleToFD(fd2, out, &sync_fd), 0,
		  "SYNCOBJ_HANDLE_TO_FD");
	CHECK_RET(drmSyncobjFDToHandle(fd, sync_fd, &mine), 0,
		  "SYNCOBJ_FD_TO_HANDLE");
	close(sync_fd);
	CHECK_RET(sg_syncobj_wait(fd, mine, 100), -ETIME,
		  "the jobs wait behind the stuck one");

	qt_vm_fini(&v2);
	t0 = qt_now_ms();
	close(fd2);
	CHECK_RET(sg_syncobj_wait(fd, mine, 5000), 0,
		  "the queued job completes when its file closes");
	CHECK(qt_syncobj_status(fd, mine) == -ECANCELED,
	      "the queued job is cancelled, status %d",
	      qt_syncobj_status(fd, mine));
	CHECK(qt_now_ms() - t0 < 3000, "closing took %llu ms",
	      (unsigned long long)(qt_now_ms() - t0));

	/* Exit with work in flight on this file. */
	qt_vm_init(&v, fd, BUF_SIZE);
	stuck_queue(fd, &v, 10);
	printf("ok\n");
	return 0;
}
