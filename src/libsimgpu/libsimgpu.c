// SPDX-License-Identifier: MIT
/*
 * libsimgpu: the simgpu uapi wrapped for programs (see libsimgpu.h).
 */
#include "libsimgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#define SG_PAGE_SIZE	    4096ull
#define SG_STREAM_DEFAULT   (64ull << 10)
#define SG_RENDER_MINOR_MIN 128
#define SG_RENDER_MINOR_MAX 191

struct simgpu_device {
	int fd;
	bool owns_fd;
	struct drm_simgpu_gpu_info gpu;
	struct drm_simgpu_fw_info fw;
};

struct simgpu_bo {
	struct simgpu_device *dev;
	uint32_t handle;
	uint64_t size;
	void *map; /* NULL until simgpu_bo_map() */
};

/* A free range of the VA allocator; the list is sorted by @start and
 * neighbours never touch (they are merged). */
struct sg_va_hole {
	uint64_t start, end;
};

struct simgpu_vm {
	struct simgpu_device *dev;
	uint32_t id;
	struct sg_va_hole *holes;
	size_t nholes, cap;
};

struct simgpu_queue {
	struct simgpu_vm *vm;
	uint32_t handle;
};

struct simgpu_stream {
	struct simgpu_vm *vm;
	struct simgpu_bo *bo;
	uint8_t *cpu;
	uint64_t va;
	uint64_t data_start; /* offset of the lowest data block */
	struct simgpu_cs_builder cs;
};

/* 0 or -errno, retrying EINTR/EAGAIN as drmIoctl does. */
static int sg_ioctl(int fd, unsigned long request, void *arg)
{
	return drmIoctl(fd, request, arg) ? -errno : 0;
}

static uint64_t sg_page_round(uint64_t size)
{
	return (size + SG_PAGE_SIZE - 1) & ~(SG_PAGE_SIZE - 1);
}

static bool sg_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ---- Device ---- */

static int sg_query(int fd, uint32_t type, void *out, uint32_t size)
{
	struct drm_simgpu_dev_query q = {
		.type = type,
		.size = size,
		.pointer = (uintptr_t)out,
	};

	return sg_ioctl(fd, DRM_IOCTL_SIMGPU_DEV_QUERY, &q);
}

static bool sg_fd_is_simgpu(int fd)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool ok = v && v->name && !strcmp(v->name, "simgpu");

	drmFreeVersion(v);
	return ok;
}

static int sg_device_init(int fd, bool owns_fd, struct simgpu_device **out)
{
	struct simgpu_device *dev;
	int ret;

	if (!sg_fd_is_simgpu(fd))
		return -ENODEV;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->fd = fd;
	dev->owns_fd = owns_fd;
	ret = sg_query(fd, DRM_SIMGPU_DEV_QUERY_GPU_INFO, &dev->gpu,
		       sizeof(dev->gpu));
	if (ret)
		goto err_free;
	ret = sg_query(fd, DRM_SIMGPU_DEV_QUERY_FW_INFO, &dev->fw,
		       sizeof(dev->fw));
	if (ret)
		goto err_free;
	*out = dev;
	return 0;

err_free:
	free(dev);
	return ret;
}

int simgpu_device_wrap_fd(int fd, struct simgpu_device **out)
{
	if (fd < 0 || !out)
		return -EINVAL;
	return sg_device_init(fd, false, out);
}

static int sg_open_node(const char *path, struct simgpu_device **out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = sg_device_init(fd, true, out);
	if (ret)
		close(fd);
	return ret;
}

int simgpu_device_open(const char *path, struct simgpu_device **out)
{
	char node[32];
	int minor, ret;

	if (!out)
		return -EINVAL;
	if (path)
		return sg_open_node(path, out);
	/* By minor, so that the choice does not depend on readdir order. */
	for (minor = SG_RENDER_MINOR_MIN; minor <= SG_RENDER_MINOR_MAX;
	     minor++) {
		snprintf(node, sizeof(node), "%s/renderD%d", DRM_DIR_NAME,
			 minor);
		ret = sg_open_node(node, out);
		if (!ret)
			return 0;
		if (ret == -ENOMEM)
			return ret;
	}
	return -ENODEV;
}

void simgpu_device_close(struct simgpu_device *dev)
{
	if (!dev)
		return;
	if (dev->owns_fd)
		close(dev->fd);
	free(dev);
}

int simgpu_device_fd(const struct simgpu_device *dev)
{
	return dev->fd;
}

const struct drm_simgpu_gpu_info *
simgpu_device_gpu_info(const struct simgpu_device *dev)
{
	return &dev->gpu;
}

const struct drm_simgpu_fw_info *
simgpu_device_fw_info(const struct simgpu_device *dev)
{
	return &dev->fw;
}

/* ---- Syncobjs ---- */

int simgpu_syncobj_create(struct simgpu_device *dev, bool signaled,
			  uint32_t *handle)
{
	return drmSyncobjCreate(dev->fd,
				signaled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0,
				handle)
		       ? -errno
		       : 0;
}

int simgpu_syncobj_destroy(struct simgpu_device *dev, uint32_t handle)
{
	return drmSyncobjDestroy(dev->fd, handle) ? -errno : 0;
}

int simgpu_syncobj_wait(struct simgpu_device *dev, uint32_t handle,
			uint64_t point, int64_t timeout_ns)
{
	const uint32_t flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	struct timespec now;
	int64_t deadline = INT64_MAX;
	int ret;

	if (timeout_ns >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		deadline = timeout_ns > INT64_MAX - deadline
				   ? INT64_MAX
				   : deadline + timeout_ns;
	}
	if (point)
		ret = drmSyncobjTimelineWait(dev->fd, &handle, &point, 1,
					     deadline, flags, NULL);
	else
		ret = drmSyncobjWait(dev->fd, &handle, 1, deadline, flags,
				     NULL);
	return ret ? -errno : 0;
}

static struct drm_simgpu_sync_op sg_sync_op(uint32_t dir, uint32_t handle,
					    uint64_t point)
{
	return (struct drm_simgpu_sync_op){
		.flags =
			dir |
			(point ? DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ
			       : DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ),
		.handle = handle,
		.timeline_value = point,
	};
}

struct drm_simgpu_sync_op simgpu_sync_wait(uint32_t handle, uint64_t point)
{
	return sg_sync_op(DRM_SIMGPU_SYNC_OP_WAIT, handle, point);
}

struct drm_simgpu_sync_op simgpu_sync_signal(uint32_t handle, uint64_t point)
{
	return sg_sync_op(DRM_SIMGPU_SYNC_OP_SIGNAL, handle, point);
}

/* ---- Buffers ---- */

int simgpu_bo_create(struct simgpu_device *dev, uint64_t size, uint32_t flags,
		     struct simgpu_vm *exclusive_vm, struct simgpu_bo **out)
{
	struct drm_simgpu_bo_create c = {
		.size = size,
		.flags = flags,
		.exclusive_vm_id = exclusive_vm ? exclusive_vm->id : 0,
	};
	struct simgpu_bo *bo;
	int ret;

	if (!size || !out)
		return -EINVAL;
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	ret = sg_ioctl(dev->fd, DRM_IOCTL_SIMGPU_BO_CREATE, &c);
	if (ret)
		goto err_free;
	bo->dev = dev;
	bo->handle = c.handle;
	bo->size = c.size;
	*out = bo;
	return 0;

err_free:
	free(bo);
	return ret;
}

int simgpu_bo_import(struct simgpu_device *dev, int dmabuf_fd,
		     struct simgpu_bo **out)
{
	struct drm_gem_close cl = {0};
	struct simgpu_bo *bo;
	off_t size;
	int ret;

	if (!out)
		return -EINVAL;
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if (!size)
		return -EINVAL;
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	if (drmPrimeFDToHandle(dev->fd, dmabuf_fd, &bo->handle)) {
		ret = -errno;
		goto err_free;
	}
	if (lseek(dmabuf_fd, 0, SEEK_SET) < 0) {
		ret = -errno;
		goto err_close;
	}
	bo->dev = dev;
	bo->size = (uint64_t)size;
	*out = bo;
	return 0;

err_close:
	cl.handle = bo->handle;
	sg_ioctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &cl);
err_free:
	free(bo);
	return ret;
}

void simgpu_bo_destroy(struct simgpu_bo *bo)
{
	struct drm_gem_close cl;

	if (!bo)
		return;
	if (bo->map)
		munmap(bo->map, bo->size);
	cl = (struct drm_gem_close){.handle = bo->handle};
	sg_ioctl(bo->dev->fd, DRM_IOCTL_GEM_CLOSE, &cl);
	free(bo);
}

int simgpu_bo_map(struct simgpu_bo *bo, void **ptr)
{
	struct drm_simgpu_bo_mmap_offset m = {.handle = bo->handle};
	void *p;
	int ret;

	if (!bo->map) {
		ret = sg_ioctl(bo->dev->fd, DRM_IOCTL_SIMGPU_BO_MMAP_OFFSET,
			       &m);
		if (ret)
			return ret;
		p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bo->dev->fd, (off_t)m.offset);
		if (p == MAP_FAILED)
			return -errno;
		bo->map = p;
	}
	*ptr = bo->map;
	return 0;
}

int simgpu_bo_export(struct simgpu_bo *bo, int *dmabuf_fd)
{
	return drmPrimeHandleToFD(bo->dev->fd, bo->handle,
				  DRM_CLOEXEC | DRM_RDWR, dmabuf_fd)
		       ? -errno
		       : 0;
}

uint32_t simgpu_bo_handle(const struct simgpu_bo *bo)
{
	return bo->handle;
}

uint64_t simgpu_bo_size(const struct simgpu_bo *bo)
{
	return bo->size;
}

/* ---- VA allocator ---- */

static int va_insert_hole(struct simgpu_vm *vm, size_t at, uint64_t start,
			  uint64_t end)
{
	if (vm->nholes == vm->cap) {
		size_t cap = vm->cap ? vm->cap * 2 : 8;
		struct sg_va_hole *h = realloc(vm->holes, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		vm->holes = h;
		vm->cap = cap;
	}
	memmove(&vm->holes[at + 1], &vm->holes[at],
		(vm->nholes - at) * sizeof(vm->holes[0]));
	vm->holes[at] = (struct sg_va_hole){.start = start, .end = end};
	vm->nholes++;
	return 0;
}

static void va_remove_hole(struct simgpu_vm *vm, size_t at)
{
	memmove(&vm->holes[at], &vm->holes[at + 1],
		(vm->nholes - at - 1) * sizeof(vm->holes[0]));
	vm->nholes--;
}

int simgpu_vm_alloc_va(struct simgpu_vm *vm, uint64_t size, uint64_t align,
		       uint64_t *va)
{
	size_t i;

	if (!align)
		align = SG_PAGE_SIZE;
	if (!size || size > UINT64_MAX - SG_PAGE_SIZE || !sg_is_pow2(align) ||
	    align < SG_PAGE_SIZE)
		return -EINVAL;
	size = sg_page_round(size);
	for (i = 0; i < vm->nholes; i++) {
		struct sg_va_hole *h = &vm->holes[i];
		uint64_t start = (h->start + align - 1) & ~(align - 1);

		if (start < h->start || start >= h->end ||
		    h->end - start < size)
			continue;
		/* Carve [start, start + size): up to two pieces remain. */
		if (start > h->start && start + size < h->end) {
			uint64_t below = h->start;
			int ret = va_insert_hole(vm, i, below, start);

			if (ret)
				return ret;
			vm->holes[i + 1].start = start + size;
		} else if (start > h->start) {
			h->end = start;
		} else if (start + size < h->end) {
			h->start = start + size;
		} else {
			va_remove_hole(vm, i);
		}
		*va = start;
		return 0;
	}
	return -ENOSPC;
}

int simgpu_vm_free_va(struct simgpu_vm *vm, uint64_t va, uint64_t size)
{
	uint64_t end;
	size_t i;

	if (!size || (va & (SG_PAGE_SIZE - 1)) ||
	    size > UINT64_MAX - SG_PAGE_SIZE)
		return -EINVAL;
	size = sg_page_round(size);
	if (va < SIMGPU_VM_VA_BASE || size > UINT64_MAX - va)
		return -EINVAL;
	end = va + size;
	/* i: the first hole after the range. */
	for (i = 0; i < vm->nholes && vm->holes[i].start < end; i++)
		;
	if ((i < vm->nholes && vm->holes[i].start < end) ||
	    (i > 0 && vm->holes[i - 1].end > va))
		return -EINVAL; /* part of it is free already */
	if (i > 0 && vm->holes[i - 1].end == va) {
		vm->holes[i - 1].end = end;
		if (i < vm->nholes && vm->holes[i].start == end) {
			vm->holes[i - 1].end = vm->holes[i].end;
			va_remove_hole(vm, i);
		}
		return 0;
	}
	if (i < vm->nholes && vm->holes[i].start == end) {
		vm->holes[i].start = va;
		return 0;
	}
	return va_insert_hole(vm, i, va, end);
}

/* ---- GPU address spaces ---- */

int simgpu_vm_create(struct simgpu_device *dev, uint64_t user_va_range,
		     struct simgpu_vm **out)
{
	struct drm_simgpu_vm_create c = {.user_va_range = user_va_range};
	uint64_t range = user_va_range ? user_va_range : dev->gpu.user_va_max;
	struct simgpu_vm *vm;
	int ret;

	if (!out)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->dev = dev;
	if (range > SIMGPU_VM_VA_BASE) {
		ret = va_insert_hole(vm, 0, SIMGPU_VM_VA_BASE, range);
		if (ret)
			goto err_free;
	}
	ret = sg_ioctl(dev->fd, DRM_IOCTL_SIMGPU_VM_CREATE, &c);
	if (ret)
		goto err_free;
	vm->id = c.id;
	*out = vm;
	return 0;

err_free:
	free(vm->holes);
	free(vm);
	return ret;
}

void simgpu_vm_destroy(struct simgpu_vm *vm)
{
	struct drm_simgpu_vm_destroy d;

	if (!vm)
		return;
	d = (struct drm_simgpu_vm_destroy){.id = vm->id};
	sg_ioctl(vm->dev->fd, DRM_IOCTL_SIMGPU_VM_DESTROY, &d);
	free(vm->holes);
	free(vm);
}

uint32_t simgpu_vm_id(const struct simgpu_vm *vm)
{
	return vm->id;
}

int simgpu_vm_bind(struct simgpu_vm *vm, uint32_t flags,
		   const struct drm_simgpu_vm_bind_op *ops, uint32_t count,
		   uint32_t *done)
{
	struct drm_simgpu_vm_bind b = {
		.vm_id = vm->id,
		.flags = flags,
		.ops = DRM_SIMGPU_OBJ_ARRAY(count, ops),
	};
	int ret = sg_ioctl(vm->dev->fd, DRM_IOCTL_SIMGPU_VM_BIND, &b);

	if (done)
		*done = ret ? b.ops.count : count;
	return ret;
}

static struct drm_simgpu_vm_bind_op sg_map_op(struct simgpu_bo *bo,
					      uint64_t bo_offset, uint64_t va,
					      uint64_t size, uint32_t flags)
{
	return (struct drm_simgpu_vm_bind_op){
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_MAP | flags,
		.bo_handle = bo->handle,
		.bo_offset = bo_offset,
		.va = va,
		.size = size,
	};
}

int simgpu_vm_map(struct simgpu_vm *vm, struct simgpu_bo *bo,
		  uint64_t bo_offset, uint64_t va, uint64_t size,
		  uint32_t flags)
{
	struct drm_simgpu_vm_bind_op op =
		sg_map_op(bo, bo_offset, va, size, flags);

	return simgpu_vm_bind(vm, 0, &op, 1, NULL);
}

int simgpu_vm_unmap(struct simgpu_vm *vm, uint64_t va, uint64_t size)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP,
		.va = va,
		.size = size,
	};

	return simgpu_vm_bind(vm, 0, &op, 1, NULL);
}

int simgpu_vm_map_async(struct simgpu_vm *vm, struct simgpu_bo *bo,
			uint64_t bo_offset, uint64_t va, uint64_t size,
			uint32_t flags, const struct drm_simgpu_sync_op *syncs,
			uint32_t nsyncs)
{
	struct drm_simgpu_vm_bind_op op =
		sg_map_op(bo, bo_offset, va, size, flags);

	op.syncs = (struct drm_simgpu_obj_array)DRM_SIMGPU_OBJ_ARRAY(nsyncs,
								     syncs);
	return simgpu_vm_bind(vm, DRM_SIMGPU_VM_BIND_ASYNC, &op, 1, NULL);
}

int simgpu_vm_unmap_async(struct simgpu_vm *vm, uint64_t va, uint64_t size,
			  const struct drm_simgpu_sync_op *syncs,
			  uint32_t nsyncs)
{
	struct drm_simgpu_vm_bind_op op = {
		.flags = DRM_SIMGPU_VM_BIND_OP_TYPE_UNMAP,
		.va = va,
		.size = size,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(nsyncs, syncs),
	};

	return simgpu_vm_bind(vm, DRM_SIMGPU_VM_BIND_ASYNC, &op, 1, NULL);
}

int simgpu_vm_map_bo(struct simgpu_vm *vm, struct simgpu_bo *bo, uint32_t flags,
		     uint64_t *va)
{
	uint64_t addr;
	int ret;

	ret = simgpu_vm_alloc_va(vm, bo->size, 0, &addr);
	if (ret)
		return ret;
	ret = simgpu_vm_map(vm, bo, 0, addr, bo->size, flags);
	if (ret)
		goto err_free_va;
	*va = addr;
	return 0;

err_free_va:
	simgpu_vm_free_va(vm, addr, bo->size);
	return ret;
}

int simgpu_vm_unmap_bo(struct simgpu_vm *vm, uint64_t va, uint64_t size)
{
	int ret = simgpu_vm_unmap(vm, va, size);
	int ret_free = simgpu_vm_free_va(vm, va, size);

	return ret ? ret : ret_free;
}

int simgpu_vm_get_state(struct simgpu_vm *vm,
			struct drm_simgpu_vm_get_state *state)
{
	*state = (struct drm_simgpu_vm_get_state){.vm_id = vm->id};
	return sg_ioctl(vm->dev->fd, DRM_IOCTL_SIMGPU_VM_GET_STATE, state);
}

/* ---- Queues ---- */

int simgpu_queue_create(struct simgpu_vm *vm, uint32_t priority,
			uint32_t ring_size, struct simgpu_queue **out)
{
	struct drm_simgpu_queue_create c = {
		.vm_id = vm->id,
		.priority = priority,
		.ring_size = ring_size,
	};
	struct simgpu_queue *q;
	int ret;

	if (!out)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	ret = sg_ioctl(vm->dev->fd, DRM_IOCTL_SIMGPU_QUEUE_CREATE, &c);
	if (ret)
		goto err_free;
	q->vm = vm;
	q->handle = c.handle;
	*out = q;
	return 0;

err_free:
	free(q);
	return ret;
}

void simgpu_queue_destroy(struct simgpu_queue *q)
{
	struct drm_simgpu_queue_destroy d;

	if (!q)
		return;
	d = (struct drm_simgpu_queue_destroy){.handle = q->handle};
	sg_ioctl(q->vm->dev->fd, DRM_IOCTL_SIMGPU_QUEUE_DESTROY, &d);
	free(q);
}

uint32_t simgpu_queue_handle(const struct simgpu_queue *q)
{
	return q->handle;
}

int simgpu_queue_submit(struct simgpu_queue *q, uint64_t stream_va,
			uint64_t stream_size,
			const struct drm_simgpu_sync_op *syncs, uint32_t nsyncs)
{
	struct drm_simgpu_submit s = {
		.queue = q->handle,
		.stream_addr = stream_va,
		.stream_size = stream_size,
		.syncs = DRM_SIMGPU_OBJ_ARRAY(nsyncs, syncs),
	};

	return sg_ioctl(q->vm->dev->fd, DRM_IOCTL_SIMGPU_SUBMIT, &s);
}

int simgpu_queue_get_state(struct simgpu_queue *q,
			   struct drm_simgpu_queue_get_state *state)
{
	*state = (struct drm_simgpu_queue_get_state){.handle = q->handle};
	return sg_ioctl(q->vm->dev->fd, DRM_IOCTL_SIMGPU_QUEUE_GET_STATE,
			state);
}

/* ---- Command streams ---- */

int simgpu_stream_create(struct simgpu_vm *vm, uint64_t size,
			 struct simgpu_stream **out)
{
	struct simgpu_stream *s;
	void *cpu;
	int ret;

	if (!out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vm = vm;
	ret = simgpu_bo_create(vm->dev, size ? size : SG_STREAM_DEFAULT, 0, vm,
			       &s->bo);
	if (ret)
		goto err_free;
	ret = simgpu_bo_map(s->bo, &cpu);
	if (ret)
		goto err_bo;
	ret = simgpu_vm_map_bo(vm, s->bo, 0, &s->va);
	if (ret)
		goto err_bo;
	s->cpu = cpu;
	simgpu_stream_reset(s);
	*out = s;
	return 0;

err_bo:
	simgpu_bo_destroy(s->bo);
err_free:
	free(s);
	return ret;
}

void simgpu_stream_destroy(struct simgpu_stream *s)
{
	if (!s)
		return;
	simgpu_vm_unmap_bo(s->vm, s->va, s->bo->size);
	simgpu_bo_destroy(s->bo);
	free(s);
}

struct simgpu_cs_builder *simgpu_stream_cs(struct simgpu_stream *s)
{
	return &s->cs;
}

void simgpu_stream_reset(struct simgpu_stream *s)
{
	uint64_t words = s->bo->size / 4;

	s->data_start = s->bo->size;
	simgpu_cs_builder_init(&s->cs, (uint32_t *)s->cpu,
			       words > SIZE_MAX ? SIZE_MAX : (size_t)words);
}

int simgpu_stream_data(struct simgpu_stream *s, uint64_t size, uint64_t align,
		       void **cpu, uint64_t *va)
{
	uint64_t used = (uint64_t)s->cs.len * 4, start;

	if (!align)
		align = 8;
	if (!sg_is_pow2(align) || align > SG_PAGE_SIZE)
		return -EINVAL;
	if (size > s->data_start)
		return -ENOSPC;
	start = (s->data_start - size) & ~(align - 1);
	if (start < used)
		return -ENOSPC;
	memset(s->cpu + start, 0, size);
	s->data_start = start;
	/* Instructions may only grow up to the lowest data block. */
	s->cs.cap = (size_t)(start / 4);
	if (cpu)
		*cpu = s->cpu + start;
	if (va)
		*va = s->va + start;
	return 0;
}

uint64_t simgpu_stream_va(const struct simgpu_stream *s)
{
	return s->va;
}

uint64_t simgpu_stream_size(const struct simgpu_stream *s)
{
	return (uint64_t)s->cs.len * 4;
}

int simgpu_stream_submit(struct simgpu_stream *s, struct simgpu_queue *q,
			 const struct drm_simgpu_sync_op *syncs,
			 uint32_t nsyncs)
{
	if (q->vm != s->vm)
		return -EINVAL;
	if (!s->cs.len)
		return -ENODATA;
	/* SUBMIT takes streams in whole 8-byte units. */
	if (s->cs.len % 2)
		simgpu_cs_nop(&s->cs);
	if (s->cs.overflow)
		return -ENOSPC;
	return simgpu_queue_submit(q, s->va, simgpu_stream_size(s), syncs,
				   nsyncs);
}
