// SPDX-License-Identifier: MIT
/*
 * A queue whose job faulted is in an error state, and every job it still
 * had carries the error:
 * - sync_files exported before the fault, while the jobs were pending,
 *   turn signalled with the error (SYNC_IOC_FILE_INFO status < 0): the
 *   faulting job EFAULT, the jobs already in its ring (a stream, a sync
 *   point) ECANCELED;
 * - jobs still waiting in the scheduler for a dependency stay pending
 *   until it signals (the ban does not skip their waits), then complete
 *   with ECANCELED without running, as does the job queued behind them;
 * - QUEUE_GET_STATE says FAULTED with the address and EFAULT, and SUBMIT
 *   refuses the queue with ECANCELED, whatever it submits;
 * - QUEUE_DESTROY of the faulted queue works and forgets it.
 * queue_fault checks the fault itself, the VM's state and the other queues.
 * The errnos are simgpu's uapi (simgpu_drm.h, docs/simgpu.md); Panthor
 * fails every job in flight on a faulted queue with EINVAL and refuses its
 * group's SUBMIT with EINVAL.
 */
#include "qtest.h"

#define BUF_SIZE (256u << 10)
#define DATA	 (BUF_SIZE / 2)
#define UNMAPPED 0x40000000ull

enum { FAULTING, IN_RING, SYNC_POINT, WAITING, BEHIND, JOBS };

static const char *const job_name[JOBS] = {
	"the faulting job", "the stream behind it", "the sync point behind it",
	"the job waiting for a dependency", "the job queued behind that one"};

int main(void)
{
	struct drm_simgpu_queue_destroy destroy = {0};
	struct drm_simgpu_queue_get_state st;
	struct qt_vm v, h;
	struct qt_stream s[JOBS], hold;
	uint64_t size[JOBS] = {0}, hold_size;
	uint32_t q, qh, dep, out[JOBS], *data;
	int sync_file[JOBS], fd = sg_open();

	qt_vm_init(&v, fd, BUF_SIZE);
	qt_vm_init(&h, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	qh = sg_queue_create(fd, h.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	dep = sg_syncobj_create(fd);
	for (int i = 0; i < JOBS; i++)
		out[i] = sg_syncobj_create(fd);
	data = qt_cpu(&v, DATA);

	/* The dependency: a job on another queue held by the CPU. */
	qt_stream_begin(&h, &hold, 16);
	simgpu_cs_wait(&hold.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
	hold_size = qt_stream_end(&h, &hold);
	CHECK_RET(qt_submit(&h, qh, hold.va, hold_size, 0, dep), 0,
		  "SUBMIT the dependency");

	/* Wait for the CPU's go, then write where nothing is mapped. */
	qt_stream_begin(&v, &s[FAULTING], 32);
	simgpu_cs_wait(&s[FAULTING].b, qt_va(DATA + 64), 1, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&s[FAULTING].b, UNMAPPED, 1);
	size[FAULTING] = qt_stream_end(&v, &s[FAULTING]);
	/* The others would leave a mark. */
	for (int i = IN_RING; i < JOBS; i++) {
		if (i == SYNC_POINT)
			continue;
		qt_stream_begin(&v, &s[i], 16);
		simgpu_cs_write32(&s[i].b, qt_va(DATA + 4 * (uint64_t)i),
				  0x100u + (uint32_t)i);
		size[i] = qt_stream_end(&v, &s[i]);
	}
	for (int i = 0; i < JOBS; i++) {
		CHECK_RET(qt_submit(&v, q, size[i] ? s[i].va : 0, size[i],
				    i == WAITING ? dep : 0, out[i]),
			  0, "SUBMIT %s", job_name[i]);
		CHECK_RET(drmSyncobjExportSyncFile(fd, out[i], &sync_file[i]),
			  0, "export %s's fence as a sync_file", job_name[i]);
	}
	CHECK_RET(sg_syncobj_wait(fd, out[BEHIND], 100), -ETIME,
		  "the jobs wait behind the faulting one");
	for (int i = 0; i < JOBS; i++)
		CHECK(qt_sync_file_status(sync_file[i], NULL) == 0,
		      "%s's sync_file is pending before the fault",
		      job_name[i]);

	__atomic_store_n((uint64_t *)qt_cpu(&v, DATA + 64), 1,
			 __ATOMIC_RELEASE);
	for (int i = FAULTING; i <= SYNC_POINT; i++)
		CHECK_RET(sg_syncobj_wait(fd, out[i], 5000), 0, "%s completes",
			  job_name[i]);
	CHECK(qt_sync_file_status(sync_file[FAULTING], NULL) == -EFAULT,
	      "the sync_file taken before the fault has EFAULT, status %d",
	      qt_sync_file_status(sync_file[FAULTING], NULL));
	for (int i = IN_RING; i <= SYNC_POINT; i++)
		CHECK(qt_sync_file_status(sync_file[i], NULL) == -ECANCELED,
		      "%s's sync_file taken before the fault has ECANCELED, "
		      "status %d",
		      job_name[i], qt_sync_file_status(sync_file[i], NULL));

	/* The queue's state is set before its fences are signalled. */
	st = qt_queue_state(fd, q);
	CHECK(st.state == DRM_SIMGPU_QUEUE_STATE_FAULTED,
	      "QUEUE_GET_STATE FAULTED, got 0x%x", st.state);
	CHECK(st.fault_va == UNMAPPED && st.error == -EFAULT,
	      "the state says EFAULT at 0x%llx, got %d at 0x%llx", UNMAPPED,
	      st.error, (unsigned long long)st.fault_va);
	CHECK_RET(qt_submit(&v, q, s[IN_RING].va, size[IN_RING], 0, 0),
		  -ECANCELED, "SUBMIT of a stream on the faulted queue");
	CHECK_RET(qt_submit(&v, q, 0, 0, 0, 0), -ECANCELED,
		  "SUBMIT of a sync point on the faulted queue");
	CHECK_RET(qt_submit(&v, q, 0, 0, out[FAULTING], 0), -ECANCELED,
		  "SUBMIT waiting on the failed job, on the faulted queue");

	/* The jobs still in the scheduler keep waiting for their dependency. */
	CHECK_RET(sg_syncobj_wait(fd, out[WAITING], 100), -ETIME,
		  "%s waits for it after the fault", job_name[WAITING]);
	CHECK(qt_sync_file_status(sync_file[WAITING], NULL) == 0 &&
		      qt_sync_file_status(sync_file[BEHIND], NULL) == 0,
	      "the jobs behind the dependency are still pending");
	__atomic_store_n((uint64_t *)qt_cpu(&h, DATA), 1, __ATOMIC_RELEASE);
	for (int i = WAITING; i < JOBS; i++) {
		CHECK_RET(sg_syncobj_wait(fd, out[i], 5000), 0, "%s completes",
			  job_name[i]);
		CHECK(qt_sync_file_status(sync_file[i], NULL) == -ECANCELED,
		      "%s's sync_file has ECANCELED, status %d", job_name[i],
		      qt_sync_file_status(sync_file[i], NULL));
	}
	/* Exported after the fact, the fences say the same. */
	CHECK(qt_syncobj_status(fd, out[FAULTING]) == -EFAULT,
	      "a sync_file exported now has EFAULT, status %d",
	      qt_syncobj_status(fd, out[FAULTING]));
	for (int i = IN_RING; i < JOBS; i++)
		CHECK(qt_syncobj_status(fd, out[i]) == -ECANCELED,
		      "a sync_file of %s exported now has ECANCELED, status %d",
		      job_name[i], qt_syncobj_status(fd, out[i]));
	for (int i = IN_RING; i < JOBS; i++)
		CHECK(data[i] == 0, "%s did not run: word %d is 0x%x",
		      job_name[i], i, data[i]);
	CHECK(qt_syncobj_status(fd, dep) == 1 &&
		      qt_queue_state(fd, qh).state == 0,
	      "the dependency's queue ran its job without error");

	destroy.handle = q;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, &destroy), 0,
		  "QUEUE_DESTROY of the faulted queue");
	st = (struct drm_simgpu_queue_get_state){.handle = q};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &st), -EINVAL,
		  "QUEUE_GET_STATE of the destroyed queue");
	CHECK_RET(qt_submit(&v, q, 0, 0, 0, 0), -EINVAL,
		  "SUBMIT on the destroyed queue");

	for (int i = 0; i < JOBS; i++)
		close(sync_file[i]);
	qt_vm_fini(&v);
	qt_vm_fini(&h);
	close(fd);
	printf("ok\n");
	return 0;
}
