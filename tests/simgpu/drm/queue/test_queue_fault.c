// SPDX-License-Identifier: MIT
/*
 * A GPU fault: a stream writing an unmapped VA fails with EFAULT, its
 * queue is banned (QUEUE_GET_STATE FAULTED with the address, later
 * submits ECANCELED, the jobs behind it ECANCELED), its VM is FAULTED,
 * and another queue goes on unharmed.
 */
#include "qtest.h"

#define BUF_SIZE (256u << 10)
#define DATA	 (BUF_SIZE / 2)
#define UNMAPPED 0x40000000ull

int main(void)
{
	struct drm_simgpu_vm_get_state vs = {0};
	struct drm_simgpu_queue_get_state st;
	struct qt_vm bad, good;
	struct qt_stream s, sg;
	uint32_t qbad, qgood, out_fault, out_after, out_good;
	uint64_t size, size_good;
	int fd = sg_open();

	qt_vm_init(&bad, fd, BUF_SIZE);
	qt_vm_init(&good, fd, BUF_SIZE);
	qbad = sg_queue_create(fd, bad.vm, 1);
	qgood = sg_queue_create(fd, good.vm, 1);
	out_fault = sg_syncobj_create(fd);
	out_after = sg_syncobj_create(fd);
	out_good = sg_syncobj_create(fd);

	/* Wait for the CPU's go, then write where nothing is mapped. */
	qt_stream_begin(&bad, &s, 32);
	simgpu_cs_wait(&s.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&s.b, UNMAPPED + 0x10, 1);
	size = qt_stream_end(&bad, &s);
	CHECK_RET(qt_submit(&bad, qbad, s.va, size, 0, out_fault), 0,
		  "SUBMIT the faulting job");
	CHECK_RET(qt_submit(&bad, qbad, 0, 0, 0, out_after), 0,
		  "SUBMIT a job behind it");
	CHECK_RET(sg_syncobj_wait(fd, out_fault, 100), -ETIME,
		  "the faulting job waits for its go");
	__atomic_store_n((uint64_t *)qt_cpu(&bad, DATA), 1, __ATOMIC_RELEASE);

	CHECK_RET(sg_syncobj_wait(fd, out_fault, 5000), 0,
		  "the faulting job completes");
	CHECK(qt_syncobj_status(fd, out_fault) == -EFAULT,
	      "the faulting job's fence has EFAULT, status %d",
	      qt_syncobj_status(fd, out_fault));
	CHECK_RET(sg_syncobj_wait(fd, out_after, 5000), 0,
		  "the job behind it completes");
	CHECK(qt_syncobj_status(fd, out_after) == -ECANCELED,
	      "the job behind the fault is cancelled, status %d",
	      qt_syncobj_status(fd, out_after));

	/* The state is set before the next ioctl sees the queue banned. */
	for (int i = 0; i < 500; i++) {
		st = qt_queue_state(fd, qbad);
		if (st.state)
			break;
		usleep(10000);
	}
	CHECK(st.state == DRM_SIMGPU_QUEUE_STATE_FAULTED,
	      "QUEUE_GET_STATE FAULTED, got 0x%x", st.state);
	CHECK(st.fault_va == UNMAPPED + 0x10,
	      "fault_va is the address written, 0x%llx, got 0x%llx",
	      UNMAPPED + 0x10, (unsigned long long)st.fault_va);
	CHECK(st.error == -EFAULT, "error EFAULT, got %d", st.error);
	vs.vm_id = bad.vm;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &vs), 0,
		  "VM_GET_STATE");
	CHECK(vs.state & DRM_SIMGPU_VM_STATE_FAULTED,
	      "the VM is FAULTED, state 0x%x", vs.state);
	CHECK(vs.fault_va == UNMAPPED + 0x10 &&
		      vs.fault_access == DRM_SIMGPU_ACCESS_WRITE,
	      "the VM's fault is the write at 0x%llx, got 0x%llx access %u",
	      UNMAPPED + 0x10, (unsigned long long)vs.fault_va,
	      vs.fault_access);
	CHECK_RET(qt_submit(&bad, qbad, 0, 0, 0, 0), -ECANCELED,
		  "SUBMIT on a faulted queue");

	/* The other queue is unharmed. */
	qt_stream_begin(&good, &sg, 16);
	simgpu_cs_write32(&sg.b, qt_va(DATA + 8), 0x600d);
	size_good = qt_stream_end(&good, &sg);
	CHECK_RET(qt_submit(&good, qgood, sg.va, size_good, 0, out_good), 0,
		  "SUBMIT on the other queue");
	CHECK_RET(sg_syncobj_wait(fd, out_good, 5000), 0,
		  "the other queue's job signals");
	CHECK(qt_syncobj_status(fd, out_good) == 1 &&
		      *(uint32_t *)qt_cpu(&good, DATA + 8) == 0x600d,
	      "the other queue's job ran without error");
	st = qt_queue_state(fd, qgood);
	CHECK(st.state == 0, "the other queue's state is 0, got 0x%x",
	      st.state);

	qt_vm_fini(&bad);
	qt_vm_fini(&good);
	close(fd);
	printf("ok\n");
	return 0;
}
