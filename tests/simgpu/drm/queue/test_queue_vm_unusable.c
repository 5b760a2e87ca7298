// SPDX-License-Identifier: MIT
/*
 * A failed async VM_BIND makes its VM unusable: with VRAM full, an async
 * MAP that needs new page tables is accepted (everything checks) and
 * fails once it runs; its out-fence completes with ENOMEM, VM_GET_STATE
 * says UNUSABLE (and not FAULTED), and from then on SUBMIT on a queue of
 * that VM, made before, and VM_BIND MAP on it fail with EINVAL, as
 * simgpu_drm.h documents. A VM beside it goes on.
 *
 * Buffers the test's jobs use are system memory, which the GPU reaches
 * through the aperture: filling VRAM does not touch them.
 *
 * Not pinned, because simgpu and Panthor part ways there: a job queued
 * before the failure (waiting for the failed bind, say) runs here on the
 * unusable VM and completes without error, where Panthor disables the
 * VM's address space (panthor_vm_declare_unusable()) so that it faults;
 * bind ops queued behind the failed one fail here with EINVAL where
 * Panthor still runs SYNC_ONLY and UNMAP ops; QUEUE_CREATE on the VM is
 * refused here, not by Panthor's GROUP_CREATE. Panthor's SUBMIT does not
 * look at the VM either: the EINVAL pinned here is simgpu's uapi.
 */
#include "qtest.h"

#define BUF_SIZE  (256u << 10)
#define DATA	  (BUF_SIZE / 2)
#define PAGE	  4096u
#define FILLER_VA 0x200000ull  /* one last-level table maps these 2 MiB */
#define FAR_VA	  (1ull << 40) /* no table there yet: needs three */

/* Fills VRAM with 4 KiB buffers mapped in a VM of their own, more of
 * them than VRAM has pages: whether later ones evict earlier ones or are
 * left unmapped, VRAM ends full. The fillers' VM is returned. */
static uint32_t fill_vram(int fd)
{
	struct drm_simgpu_gpu_info info = sg_gpu_info(fd);
	uint32_t vm = sg_vm_create(fd);
	uint64_t pages = info.vram_size / PAGE;

	/* The fillers' own page tables must not be what runs out. */
	CHECK(pages <= 512,
	      "a VRAM of at most 2 MiB (vram_size in "
	      "meson.build), got %llu bytes",
	      (unsigned long long)info.vram_size);
	for (uint64_t i = 0; i < pages; i++)
		CHECK_RET(sg_map(fd, vm, sg_bo_create(fd, PAGE, 0, 0), 0,
				 FILLER_VA + i * PAGE, PAGE),
			  0, "MAP filler %llu", (unsigned long long)i);
	return vm;
}

static struct drm_simgpu_vm_get_state vm_state(int fd, uint32_t vm)
{
	struct drm_simgpu_vm_get_state st = {.vm_id = vm};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &st), 0,
		  "VM_GET_STATE %u", vm);
	return st;
}

int main(void)
{
	struct drm_simgpu_sync_op syncs[2];
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		.va = FAR_VA,
		.size = PAGE,
	};
	struct drm_simgpu_vm_bind bind = {
		.flags = DRM_SIMGPU_VM_BIND_ASYNC,
		.ops = DRM_SIMGPU_OBJ_ARRAY(1, &op),
	};
	struct drm_simgpu_vm_destroy destroy = {0};
	struct drm_simgpu_vm_get_state st;
	struct qt_vm v, other;
	struct qt_stream s, gate, after;
	uint32_t q, qother, gate_done, bound, after_done, *data;
	uint64_t size, gate_size, after_size;
	int fd = sg_open();

	qt_vm_init_placed(&v, fd, BUF_SIZE, DRM_SIMGPU_BO_SYSTEM);
	qt_vm_init_placed(&other, fd, BUF_SIZE, DRM_SIMGPU_BO_SYSTEM);
	q = sg_queue_create(fd, v.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	qother =
		sg_queue_create(fd, other.vm, DRM_SIMGPU_QUEUE_PRIORITY_NORMAL);
	gate_done = sg_syncobj_create(fd);
	bound = sg_syncobj_create(fd);
	after_done = sg_syncobj_create(fd);
	op.bo_handle = sg_bo_create(fd, PAGE, DRM_SIMGPU_BO_SYSTEM, 0);
	data = qt_cpu(&other, DATA);

	qt_stream_begin(&v, &s, 16);
	simgpu_cs_write32(&s.b, qt_va(DATA), 0xbad);
	size = qt_stream_end(&v, &s);
	/* The other VM's gate: a job that waits for the CPU's go. */
	qt_stream_begin(&other, &gate, 16);
	simgpu_cs_wait(&gate.b, qt_va(DATA + 64), 1, SIMGPU_CS_WAIT_GE);
	gate_size = qt_stream_end(&other, &gate);
	qt_stream_begin(&other, &after, 16);
	simgpu_cs_write32(&after.b, qt_va(DATA), 0x600d);
	after_size = qt_stream_end(&other, &after);

	fill_vram(fd);
	CHECK_RET(qt_submit(&other, qother, gate.va, gate_size, 0, gate_done),
		  0, "SUBMIT the gate job");

	/* The MAP waits for the gate, so that it fails after the ioctl. */
	syncs[0] = sg_wait(gate_done);
	syncs[1] = sg_signal(bound);
	op.syncs = (struct drm_simgpu_obj_array)DRM_SIMGPU_OBJ_ARRAY(2, syncs);
	bind.vm_id = v.vm;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &bind), 0,
		  "async MAP at 0x%llx (checked fine, run later)",
		  (unsigned long long)FAR_VA);
	CHECK_RET(sg_syncobj_wait(fd, bound, 100), -ETIME,
		  "the MAP waits for the gate");
	CHECK(vm_state(fd, v.vm).state == 0,
	      "the VM is usable until the MAP runs, state 0x%x",
	      vm_state(fd, v.vm).state);
	__atomic_store_n((uint64_t *)qt_cpu(&other, DATA + 64), 1,
			 __ATOMIC_RELEASE);

	CHECK_RET(sg_syncobj_wait(fd, bound, 5000), 0,
		  "the MAP's out-fence completes");
	CHECK(qt_syncobj_status(fd, bound) == -ENOMEM,
	      "the MAP fails with ENOMEM (VRAM full: no room for its page "
	      "tables), status %d",
	      qt_syncobj_status(fd, bound));
	st = vm_state(fd, v.vm);
	CHECK(st.state == DRM_SIMGPU_VM_STATE_UNUSABLE,
	      "VM_GET_STATE UNUSABLE (0x%x) and nothing else, got 0x%x",
	      DRM_SIMGPU_VM_STATE_UNUSABLE, st.state);
	CHECK(st.fault_va == 0 && st.fault_access == 0,
	      "no fault recorded: fault_va 0x%llx access %u",
	      (unsigned long long)st.fault_va, st.fault_access);

	CHECK_RET(qt_submit(&v, q, s.va, size, 0, 0), -EINVAL,
		  "SUBMIT of a stream on a queue of the unusable VM");
	CHECK_RET(qt_submit(&v, q, 0, 0, 0, after_done), -EINVAL,
		  "SUBMIT of a sync point on a queue of the unusable VM");
	CHECK_RET(sg_syncobj_wait(fd, after_done, 0), -EINVAL,
		  "the refused SUBMIT gave its signal syncobj no fence");
	op.va = FAR_VA + PAGE;
	op.syncs.count = 0;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &bind), -EINVAL,
		  "async MAP on the unusable VM");
	CHECK(bind.ops.count == 0,
	      "the refused VM_BIND performed no op, "
	      "ops.count %u",
	      bind.ops.count);
	CHECK_RET(sg_map(fd, v.vm, op.bo_handle, 0, FAR_VA + PAGE, PAGE),
		  -EINVAL, "synchronous MAP on the unusable VM");
	CHECK(*(uint32_t *)qt_cpu(&v, DATA) == 0,
	      "nothing ran on the unusable VM: word is 0x%x",
	      *(uint32_t *)qt_cpu(&v, DATA));

	/* The VM beside it is unharmed. */
	CHECK(vm_state(fd, other.vm).state == 0,
	      "the other VM stays usable, state 0x%x",
	      vm_state(fd, other.vm).state);
	CHECK_RET(
		qt_submit(&other, qother, after.va, after_size, 0, after_done),
		0, "SUBMIT on the other VM's queue");
	CHECK_RET(sg_syncobj_wait(fd, after_done, 5000), 0,
		  "the other VM's job signals");
	CHECK(qt_syncobj_status(fd, after_done) == 1 && data[0] == 0x600d,
	      "the other VM's job ran without error: status %d, word 0x%x",
	      qt_syncobj_status(fd, after_done), data[0]);

	destroy.id = v.vm;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &destroy), 0,
		  "VM_DESTROY of the unusable VM");

	qt_vm_fini(&v);
	qt_vm_fini(&other);
	close(fd);
	printf("ok\n");
	return 0;
}
