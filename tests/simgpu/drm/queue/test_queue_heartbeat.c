// SPDX-License-Identifier: MIT
/*
 * Heartbeat loss (heartbeat_ms = 100): after debugfs simgpu_inject
 * "mcu_hang" the firmware stops answering; the driver notices, reboots it
 * (FW_INFO.reboots), the job that was in flight runs again and completes,
 * its queue is INNOCENT, and new work goes on.
 */
#include <stdio.h>

#include "qtest.h"

#define BUF_SIZE (256u << 10)
#define DATA	 (BUF_SIZE / 2)

/* dri/N/simgpu_inject of the simgpu card. */
static int open_inject(void)
{
	char path[64];

	for (int n = 0; n < 64; n++) {
		int fd;

		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/dri/%d/simgpu_inject", n);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	CHECK(0, "no /sys/kernel/debug/dri/N/simgpu_inject");
	return -1;
}

int main(void)
{
	struct drm_simgpu_queue_get_state st;
	struct qt_vm v;
	struct qt_stream s;
	uint32_t q, out, out2;
	uint64_t size, reboots, t0;
	int fd = sg_open(), inj;

	qt_vm_init(&v, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, 1);
	out = sg_syncobj_create(fd);
	out2 = sg_syncobj_create(fd);
	reboots = sg_fw_info(fd).reboots;

	inj = open_inject();
	CHECK(write(inj, "bogus\n", 6) < 0 && errno == EINVAL,
	      "simgpu_inject refuses an unknown fault with EINVAL");

	/* A job in flight: waits for the CPU's go, then counts. */
	qt_stream_begin(&v, &s, 32);
	simgpu_cs_write32(&s.b, qt_va(DATA + 16), 1);
	simgpu_cs_wait(&s.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
	simgpu_cs_write32(&s.b, qt_va(DATA + 8), 0xbeef);
	size = qt_stream_end(&v, &s);
	CHECK_RET(qt_submit(&v, q, s.va, size, 0, out), 0, "SUBMIT");
	/* On the firmware, waiting for its go. */
	t0 = qt_now_ms();
	while (!__atomic_load_n((uint32_t *)qt_cpu(&v, DATA + 16),
				__ATOMIC_ACQUIRE) &&
	       qt_now_ms() - t0 < 5000)
		usleep(1000);
	CHECK(*(uint32_t *)qt_cpu(&v, DATA + 16) == 1,
	      "the job started within 5 s");
	CHECK_RET(sg_syncobj_wait(fd, out, 0), -ETIME,
		  "the job waits for its go");

	CHECK(write(inj, "mcu_hang\n", 9) == 9, "write mcu_hang: %s",
	      strerror(errno));
	close(inj);
	t0 = qt_now_ms();
	while (sg_fw_info(fd).reboots == reboots && qt_now_ms() - t0 < 10000)
		usleep(10000);
	CHECK(sg_fw_info(fd).reboots > reboots,
	      "the firmware is rebooted after its heartbeat stopped (10 s)");

	__atomic_store_n((uint64_t *)qt_cpu(&v, DATA), 1, __ATOMIC_RELEASE);
	CHECK_RET(sg_syncobj_wait(fd, out, 10000), 0,
		  "the job in flight completes after the reboot");
	CHECK(qt_syncobj_status(fd, out) == 1,
	      "the job in flight completes without error, status %d",
	      qt_syncobj_status(fd, out));
	CHECK(*(uint32_t *)qt_cpu(&v, DATA + 8) == 0xbeef,
	      "the job in flight ran to its end");
	st = qt_queue_state(fd, q);
	CHECK(st.state == DRM_SIMGPU_QUEUE_STATE_INNOCENT,
	      "the queue is INNOCENT after a heartbeat reset, got 0x%x",
	      st.state);

	CHECK_RET(qt_submit(&v, q, 0, 0, 0, out2), 0, "SUBMIT after reboot");
	CHECK_RET(sg_syncobj_wait(fd, out2, 5000), 0,
		  "work goes on after the reboot");
	qt_vm_fini(&v);
	close(fd);
	printf("ok\n");
	return 0;
}
