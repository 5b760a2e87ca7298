// SPDX-License-Identifier: MIT
/*
 * The queue ioctls' arguments: what QUEUE_CREATE, QUEUE_DESTROY,
 * QUEUE_GET_STATE and SUBMIT accept and the errno of each mistake, as
 * Panthor's rules say; a SUBMIT that fails leaves nothing behind; a queue
 * keeps its VM after VM_DESTROY; QUEUE_DESTROY cancels what did not run.
 */
#include "qtest.h"

#define BUF_SIZE (256u << 10)
#define DATA	 (BUF_SIZE / 2)

static int queue_create(int fd, uint32_t vm, uint32_t prio, uint32_t ring,
			uint32_t flags, uint32_t pad, uint32_t *handle)
{
	struct drm_simgpu_queue_create c = {
		.vm_id = vm,
		.priority = prio,
		.ring_size = ring,
		.flags = flags,
		.pad = pad,
	};
	int ret = sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c);

	if (handle)
		*handle = c.handle;
	return ret;
}

static int queue_destroy(int fd, uint32_t handle, uint32_t pad)
{
	struct drm_simgpu_queue_destroy d = {.handle = handle, .pad = pad};

	return sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, &d);
}

static void test_create(int fd, uint32_t vm)
{
	static const uint32_t bad_rings[] = {1,	    2048,     4095,
					     12288, 2u << 20, UINT32_MAX};
	static const uint32_t good_rings[] = {0, 4096, 8192, 64u << 10,
					      1u << 20};
	uint32_t h;

	CHECK_RET(queue_create(fd, vm + 100, 0, 0, 0, 0, NULL), -EINVAL,
		  "QUEUE_CREATE on an unknown VM");
	CHECK_RET(queue_create(fd, 0, 0, 0, 0, 0, NULL), -EINVAL,
		  "QUEUE_CREATE on VM 0");
	CHECK_RET(queue_create(fd, vm, 3, 0, 0, 0, NULL), -EINVAL,
		  "QUEUE_CREATE priority 3");
	CHECK_RET(queue_create(fd, vm, 0, 0, 1, 0, NULL), -EINVAL,
		  "QUEUE_CREATE flags 1");
	CHECK_RET(queue_create(fd, vm, 0, 0, 0, 1, NULL), -EINVAL,
		  "QUEUE_CREATE pad 1");
	for (unsigned int i = 0; i < sizeof(bad_rings) / sizeof(*bad_rings);
	     i++)
		CHECK_RET(queue_create(fd, vm, 0, bad_rings[i], 0, 0, NULL),
			  -EINVAL, "QUEUE_CREATE ring_size %u", bad_rings[i]);
	for (unsigned int i = 0; i < sizeof(good_rings) / sizeof(*good_rings);
	     i++) {
		CHECK_RET(queue_create(fd, vm, i % 3, good_rings[i], 0, 0, &h),
			  0, "QUEUE_CREATE ring_size %u", good_rings[i]);
		CHECK(h != 0, "queue handles are never 0");
		CHECK_RET(queue_destroy(fd, h, 0), 0, "QUEUE_DESTROY %u", h);
	}
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_CREATE, (void *)8), EFAULT,
		    "QUEUE_CREATE with a bad pointer");
}

static void test_destroy_and_state(int fd, uint32_t vm)
{
	struct drm_simgpu_queue_get_state st = {0};
	uint32_t h;

	CHECK_RET(queue_create(fd, vm, 1, 0, 0, 0, &h), 0, "QUEUE_CREATE");
	CHECK_RET(queue_destroy(fd, h + 100, 0), -EINVAL,
		  "QUEUE_DESTROY unknown handle");
	CHECK_RET(queue_destroy(fd, h, 1), -EINVAL, "QUEUE_DESTROY pad 1");
	st.handle = h;
	st.pad = 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &st), -EINVAL,
		  "QUEUE_GET_STATE pad 1");
	st = (struct drm_simgpu_queue_get_state){.handle = h + 100};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, &st), -EINVAL,
		  "QUEUE_GET_STATE unknown handle");
	st = qt_queue_state(fd, h);
	CHECK(st.state == 0 && st.fault_va == 0 && st.error == 0,
	      "a new queue's state is 0, got state %u error %d", st.state,
	      st.error);
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE, (void *)8),
		    EFAULT, "QUEUE_GET_STATE with a bad pointer");
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, (void *)8),
		    EFAULT, "QUEUE_DESTROY with a bad pointer");
	CHECK_RET(queue_destroy(fd, h, 0), 0, "QUEUE_DESTROY");
	CHECK_RET(queue_destroy(fd, h, 0), -EINVAL, "QUEUE_DESTROY twice");
}

static void test_submit_args(int fd, struct qt_vm *v)
{
	struct drm_simgpu_fw_info fw = sg_fw_info(fd);
	struct drm_simgpu_submit s = {0};
	struct drm_simgpu_sync_op ops[2];
	uint32_t q, empty, out;
	uint64_t va = qt_va(0);

	q = sg_queue_create(fd, v->vm, 1);
	empty = sg_syncobj_create(fd);
	out = sg_syncobj_create(fd);
	/* A NOP stream at offset 0. */
	{
		struct qt_stream ns;

		qt_stream_begin(v, &ns, 2);
		simgpu_cs_nop(&ns.b);
		va = ns.va;
		qt_stream_end(v, &ns);
	}

	s.queue = q;
	s.stream_addr = va;
	s.stream_size = 8;
	s.flags = 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_SUBMIT, &s), -EINVAL,
		  "SUBMIT flags 1");
	CHECK_RET(sg_submit(fd, q, va + 4, 8, NULL, 0), -EINVAL,
		  "SUBMIT stream_addr not 8-byte aligned");
	CHECK_RET(sg_submit(fd, q, va, 12, NULL, 0), -EINVAL,
		  "SUBMIT stream_size not 8-byte aligned");
	CHECK_RET(sg_submit(fd, q, va, 0, NULL, 0), -EINVAL,
		  "SUBMIT size 0 with an address");
	CHECK_RET(sg_submit(fd, q + 100, va, 8, NULL, 0), -EINVAL,
		  "SUBMIT on an unknown queue");
	if (fw.abi_version < 0x02000001u)
		CHECK_RET(sg_submit(fd, q, va, (1ull << 32) + 8, NULL, 0),
			  -EINVAL, "SUBMIT of a stream over 4 GiB on %s",
			  fw.version_name);
	CHECK_ERRNO(ioctl(fd, DRM_IOCTL_SIMGPU_SUBMIT, (void *)8), EFAULT,
		    "SUBMIT with a bad pointer");
	s = (struct drm_simgpu_submit){
		.queue = q,
		.stream_addr = va,
		.stream_size = 8,
		.syncs = {.stride = sizeof(ops[0]), .count = 1, .array = 8}};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_SUBMIT, &s), -EFAULT,
		  "SUBMIT with a bad sync array");

	/* A failing sync op: nothing is signalled or queued. */
	ops[0] = sg_signal(out);
	ops[1] = sg_wait(empty);
	CHECK_RET(sg_submit(fd, q, va, 8, ops, 2), -EINVAL,
		  "SUBMIT waiting on a syncobj without a fence");
	ops[1] = sg_wait(9999);
	CHECK_RET(sg_submit(fd, q, va, 8, ops, 2), -ENOENT,
		  "SUBMIT waiting on an unknown syncobj");
	CHECK_RET(sg_syncobj_wait(fd, out, 0), -EINVAL,
		  "a failed SUBMIT installed no fence in its signal syncobj");

	CHECK_RET(sg_submit(fd, q, va, 8, ops, 1), 0, "SUBMIT a NOP stream");
	CHECK_RET(sg_syncobj_wait(fd, out, 5000), 0, "the NOP stream signals");
	CHECK(qt_syncobj_status(fd, out) == 1, "NOP stream without error");
}

/* The queue holds its VM: jobs run after VM_DESTROY. */
static void test_vm_destroyed(int fd)
{
	struct drm_simgpu_vm_destroy d = {0};
	struct qt_vm v;
	struct qt_stream s;
	uint32_t q, out;
	uint64_t size;

	qt_vm_init(&v, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, 1);
	d.id = v.vm;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &d), 0,
		  "VM_DESTROY");
	CHECK_RET(queue_create(fd, v.vm, 0, 0, 0, 0, NULL), -EINVAL,
		  "QUEUE_CREATE on a destroyed VM");
	out = sg_syncobj_create(fd);
	qt_stream_begin(&v, &s, 16);
	simgpu_cs_write32(&s.b, qt_va(DATA), 99);
	size = qt_stream_end(&v, &s);
	CHECK_RET(qt_submit(&v, q, s.va, size, 0, out), 0,
		  "SUBMIT after VM_DESTROY");
	CHECK_RET(sg_syncobj_wait(fd, out, 5000), 0, "the job signals");
	CHECK(*(uint32_t *)qt_cpu(&v, DATA) == 99,
	      "the job ran in the destroyed VM");
	qt_vm_fini(&v);
}

/* QUEUE_DESTROY: the job in flight and those queued complete with
 * ECANCELED. */
static void test_destroy_cancels(int fd)
{
	struct qt_vm v;
	struct qt_stream s;
	uint32_t q, outs[4];
	uint64_t size;

	qt_vm_init(&v, fd, BUF_SIZE);
	q = sg_queue_create(fd, v.vm, 1);
	qt_stream_begin(&v, &s, 16);
	simgpu_cs_wait(&s.b, qt_va(DATA), 1, SIMGPU_CS_WAIT_GE);
	size = qt_stream_end(&v, &s);
	for (int i = 0; i < 4; i++) {
		outs[i] = sg_syncobj_create(fd);
		CHECK_RET(qt_submit(&v, q, s.va, size, 0, outs[i]), 0,
			  "SUBMIT %d", i);
	}
	CHECK_RET(sg_syncobj_wait(fd, outs[0], 100), -ETIME,
		  "the first job waits");
	CHECK_RET(queue_destroy(fd, q, 0), 0, "QUEUE_DESTROY with jobs");
	for (int i = 0; i < 4; i++) {
		CHECK_RET(sg_syncobj_wait(fd, outs[i], 5000), 0,
			  "job %d completes after QUEUE_DESTROY", i);
		CHECK(qt_syncobj_status(fd, outs[i]) == -ECANCELED,
		      "job %d completes with ECANCELED, status %d", i,
		      qt_syncobj_status(fd, outs[i]));
	}
	qt_vm_fini(&v);
}

int main(void)
{
	int fd = sg_open();
	struct qt_vm v;

	qt_vm_init(&v, fd, BUF_SIZE);
	test_create(fd, v.vm);
	test_destroy_and_state(fd, v.vm);
	test_submit_args(fd, &v);
	test_vm_destroyed(fd);
	test_destroy_cancels(fd);
	qt_vm_fini(&v);
	close(fd);
	printf("ok\n");
	return 0;
}
