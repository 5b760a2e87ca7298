// SPDX-License-Identifier: MIT
/*
 * simgpu's buffer and VM ioctls under `udrm run`, success and error
 * cases, with Panthor's errno: BO_CREATE, BO_MMAP_OFFSET (CPU contents),
 * private buffers, VM_CREATE/DESTROY/GET_STATE, VM_BIND checks (sync and
 * async) and binds over existing mappings.
 */
#include "sgtest.h"

#include <stdlib.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define VA0 0x200000ull

static int bo_create_ret(int fd, struct drm_simgpu_bo_create *c)
{
	return sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_CREATE, c);
}

static void bo_create_checks_its_arguments(int fd)
{
	struct drm_simgpu_bo_create c = {.size = 5000};

	CHECK_RET(bo_create_ret(fd, &c), 0, "BO_CREATE of 5000 bytes");
	CHECK(c.size == 8192, "size 5000 should be rounded to 8192, got %llu",
	      (unsigned long long)c.size);
	CHECK(c.handle != 0, "handle 0");
	c = (struct drm_simgpu_bo_create){.size = 0};
	CHECK_RET(bo_create_ret(fd, &c), -EINVAL, "BO_CREATE of 0 bytes");
	c = (struct drm_simgpu_bo_create){.size = 4096, .flags = 2};
	CHECK_RET(bo_create_ret(fd, &c), -EINVAL, "BO_CREATE unknown flag");
	c = (struct drm_simgpu_bo_create){.size = 4096, .pad = 1};
	CHECK_RET(bo_create_ret(fd, &c), -EINVAL, "BO_CREATE non-zero pad");
	c = (struct drm_simgpu_bo_create){.size = UINT64_MAX};
	CHECK_RET(bo_create_ret(fd, &c), -EINVAL, "BO_CREATE overflowing");
	c = (struct drm_simgpu_bo_create){.size = 16 * MiB};
	CHECK_RET(bo_create_ret(fd, &c), -E2BIG,
		  "BO_CREATE of a VRAM buffer bigger than the 8 MiB VRAM");
	c = (struct drm_simgpu_bo_create){.size = 4096, .exclusive_vm_id = 77};
	CHECK_RET(bo_create_ret(fd, &c), -EINVAL,
		  "BO_CREATE private to an unknown VM");
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_CREATE, (void *)8), -EFAULT,
		  "BO_CREATE with a bad pointer");
}

static void mmap_offset_and_contents(int fd)
{
	uint32_t h = sg_bo_create(fd, 64 * KiB, 0, 0);
	uint32_t hs = sg_bo_create(fd, 8 * KiB, DRM_SIMGPU_BO_SYSTEM, 0);
	struct drm_simgpu_bo_mmap_offset m = {.handle = h, .pad = 1};
	uint8_t *p = sg_bo_map(fd, h, 64 * KiB), *q;

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &m), -EINVAL,
		  "BO_MMAP_OFFSET with non-zero pad");
	m = (struct drm_simgpu_bo_mmap_offset){.handle = 999};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET, &m), -ENOENT,
		  "BO_MMAP_OFFSET of an unknown handle");
	for (size_t i = 0; i < 64 * KiB; i++)
		CHECK(p[i] == 0, "a new buffer reads as zero (byte %zu)", i);
	memset(p, 0x5a, 64 * KiB);
	q = sg_bo_map(fd, h, 64 * KiB);
	CHECK(q[64 * KiB - 1] == 0x5a, "a second map sees the first's writes");
	munmap(q, 64 * KiB);
	munmap(p, 64 * KiB);
	p = sg_bo_map(fd, hs, 8 * KiB);
	p[0] = 1;
	munmap(p, 8 * KiB);
	sg_gem_close(fd, h);
	sg_gem_close(fd, hs);
}

static void vm_ioctls(int fd)
{
	struct drm_simgpu_vm_create c = {.flags = 1};
	struct drm_simgpu_vm_destroy d = {0};
	struct drm_simgpu_vm_get_state s = {0};
	struct drm_simgpu_gpu_info info = sg_gpu_info(fd);
	uint32_t vm;

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c), -EINVAL,
		  "VM_CREATE with flags");
	c = (struct drm_simgpu_vm_create){.user_va_range = 4097};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c), -EINVAL,
		  "VM_CREATE with an unaligned range");
	c = (struct drm_simgpu_vm_create){.user_va_range =
						  info.user_va_max + 4096};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c), -EINVAL,
		  "VM_CREATE beyond user_va_max");
	c = (struct drm_simgpu_vm_create){.user_va_range = info.user_va_max};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c), 0,
		  "VM_CREATE of user_va_max");
	CHECK(c.id != 0, "VM id 0");
	vm = c.id;
	s.vm_id = vm;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &s), 0,
		  "VM_GET_STATE");
	CHECK(s.state == 0, "a new VM's state is 0, got 0x%x", s.state);
	s.pad = 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &s), -EINVAL,
		  "VM_GET_STATE with non-zero pad");
	s = (struct drm_simgpu_vm_get_state){.vm_id = 999};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, &s), -EINVAL,
		  "VM_GET_STATE of an unknown VM");
	d.id = vm;
	d.pad = 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &d), -EINVAL,
		  "VM_DESTROY with non-zero pad");
	d.pad = 0;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &d), 0,
		  "VM_DESTROY");
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &d), -EINVAL,
		  "VM_DESTROY twice");
}

static void private_buffers(int fd)
{
	uint32_t vm1 = sg_vm_create(fd), vm2 = sg_vm_create(fd);
	uint32_t priv = sg_bo_create(fd, 16 * KiB, 0, vm1);
	uint32_t shared = sg_bo_create(fd, 16 * KiB, 0, 0);
	int dmabuf;

	CHECK_RET(sg_map(fd, vm2, priv, 0, VA0, 16 * KiB), -EINVAL,
		  "MAP of a buffer private to another VM");
	CHECK_RET(sg_map(fd, vm1, priv, 0, VA0, 16 * KiB), 0,
		  "MAP of a private buffer in its VM");
	CHECK_RET(drmPrimeHandleToFD(fd, priv, DRM_CLOEXEC, &dmabuf) ? -errno
								     : 0,
		  -EINVAL, "PRIME export of a private buffer");
	CHECK_RET(drmPrimeHandleToFD(fd, shared, DRM_CLOEXEC, &dmabuf) ? -errno
								       : 0,
		  0, "PRIME export of a shared buffer");
	close(dmabuf);
	CHECK_RET(sg_map(fd, vm2, shared, 0, VA0, 16 * KiB), 0,
		  "MAP of an exported buffer");
}

static void vm_bind_checks_every_op(int fd)
{
	uint32_t vm = sg_vm_create(fd), bo = sg_bo_create(fd, 64 * KiB, 0, 0);
	struct drm_simgpu_vm_create small = {.user_va_range = 4 * MiB};
	struct drm_simgpu_vm_bind_op ops[2] = {
		{.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP,
		 .bo_handle = bo,
		 .va = VA0,
		 .size = 16 * KiB},
	};
	struct drm_simgpu_vm_bind b = {.vm_id = vm,
				       .ops = DRM_SIMGPU_OBJ_ARRAY(2, ops)};
	struct drm_simgpu_sync_op sync = sg_signal(sg_syncobj_create(fd));
	struct {
		struct drm_simgpu_vm_bind_op op;
		uint64_t extra;
	} big = {.op = ops[0], .extra = 1};

	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_CREATE, &small), 0,
		  "VM_CREATE of 4 MiB");
#define BAD(mod, err, what)                                                    \
	do {                                                                   \
		struct drm_simgpu_vm_bind_op o = ops[0];                       \
		mod;                                                           \
		CHECK_RET(sg_vm_bind_op(fd, vm, 0, &o), err, what);            \
	} while (0)
	BAD(o.va += 1, -EINVAL, "MAP at an unaligned VA");
	BAD(o.size = 100, -EINVAL, "MAP of an unaligned size");
	BAD(o.bo_offset = 8, -EINVAL, "MAP at an unaligned offset");
	BAD(o.size = 0, -EINVAL, "MAP of size 0");
	BAD(o.size = 128 * KiB, -EINVAL, "MAP beyond the buffer");
	BAD(o.bo_offset = 60 * KiB, -EINVAL, "MAP of offset + size > buffer");
	BAD(o.bo_offset = UINT64_MAX & ~4095ull, -EINVAL,
	    "MAP of an overflowing offset");
	BAD(o.va = UINT64_MAX & ~4095ull, -EINVAL, "MAP of an overflowing VA");
	BAD(o.va = sg_gpu_info(fd).user_va_max, -EINVAL,
	    "MAP in the kernel range");
	BAD(o.bo_handle = 999, -EINVAL, "MAP of an unknown handle");
	BAD(o.flags |= 1u << 5, -EINVAL, "MAP with an unknown flag");
	BAD(o.flags = 7u << 28, -EINVAL, "an unknown op type");
	BAD(o.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP, -EINVAL,
	    "UNMAP with a handle");
	BAD((o.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_SYNC_ONLY, o.bo_handle = 0,
	     o.va = 0, o.size = 0),
	    -EINVAL, "SYNC_ONLY in a synchronous bind");
	BAD(o.syncs =
		    (struct drm_simgpu_obj_array)DRM_SIMGPU_OBJ_ARRAY(1, &sync),
	    -EINVAL, "syncs in a synchronous bind");
	{
		struct drm_simgpu_vm_bind_op o = ops[0];

		o.va = 4 * MiB - 8 * KiB;
		CHECK_RET(sg_vm_bind_op(fd, small.id, 0, &o), -EINVAL,
			  "MAP past a VM's user range");
		o.va = 4 * MiB - 16 * KiB;
		CHECK_RET(sg_vm_bind_op(fd, small.id, 0, &o), 0,
			  "MAP up to a VM's user range");
		o = (struct drm_simgpu_vm_bind_op){
			.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_SYNC_ONLY,
			.syncs = DRM_SIMGPU_OBJ_ARRAY(1, &sync)};
		CHECK_RET(sg_vm_bind_op(fd, vm, DRM_SIMGPU_VM_BIND_ASYNC, &o),
			  0, "async SYNC_ONLY");
		CHECK_RET(sg_syncobj_wait(fd, sync.handle, 2000), 0,
			  "SYNC_ONLY signals its syncobj");
		o.va = 4096;
		CHECK_RET(sg_vm_bind_op(fd, vm, DRM_SIMGPU_VM_BIND_ASYNC, &o),
			  -EINVAL, "SYNC_ONLY with a VA");
	}

	/* The second op is bad: nothing is done, ops.count says 0. */
	ops[1] = ops[0];
	ops[1].va = VA0 + 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -EINVAL,
		  "VM_BIND with a bad second op");
	CHECK(b.ops.count == 0, "ops.count after a refused bind: want 0, %u",
	      b.ops.count);
	b.flags = 4;
	b.ops.count = 1;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -EINVAL,
		  "VM_BIND with unknown flags");
	b.flags = 0;
	b.vm_id = 999;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -EINVAL,
		  "VM_BIND on an unknown VM");
	b.vm_id = vm;
	b.ops.stride = sizeof(ops[0]) - 8;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -EINVAL,
		  "VM_BIND with a stride below the op's size");
	b.ops = (struct drm_simgpu_obj_array){sizeof(big), 1, (uintptr_t)&big};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -E2BIG,
		  "VM_BIND with non-zero bytes past the op");
	big.extra = 0;
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), 0,
		  "VM_BIND with a longer, zero-padded op");
	b.ops = (struct drm_simgpu_obj_array){sizeof(ops[0]), 1, 8};
	CHECK_RET(sg_ioctl(fd, DRM_IOCTL_SIMGPU_VM_BIND, &b), -EFAULT,
		  "VM_BIND with a bad ops pointer");
}

static void binds_over_existing_mappings(int fd)
{
	uint32_t vm = sg_vm_create(fd);
	uint32_t a = sg_bo_create(fd, 64 * KiB, 0, 0);
	uint32_t s = sg_bo_create(fd, 64 * KiB, DRM_SIMGPU_BO_SYSTEM, 0);

	CHECK_RET(sg_map(fd, vm, a, 0, VA0, 64 * KiB), 0, "MAP");
	CHECK_RET(sg_map(fd, vm, a, 16 * KiB, VA0 + 8 * KiB, 8 * KiB), 0,
		  "MAP over the middle");
	CHECK_RET(sg_map(fd, vm, s, 0, VA0 + 32 * KiB, 64 * KiB), 0,
		  "MAP of a system buffer over the end and beyond");
	CHECK_RET(sg_unmap(fd, vm, VA0 + 4 * KiB, 8 * KiB), 0,
		  "UNMAP straddling two mappings");
	CHECK_RET(sg_unmap(fd, vm, 0, 16 * MiB), 0,
		  "UNMAP of everything, holes included");
	CHECK_RET(sg_unmap(fd, vm, 0, 16 * MiB), 0, "UNMAP of nothing");
}

int main(void)
{
	int fd = sg_open();

	bo_create_checks_its_arguments(fd);
	mmap_offset_and_contents(fd);
	vm_ioctls(fd);
	private_buffers(fd);
	vm_bind_checks_every_op(fd);
	binds_over_existing_mappings(fd);
	close(fd);
	printf("mem_ioctl: ok\n");
	return 0;
}
