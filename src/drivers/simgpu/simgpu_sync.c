// SPDX-License-Identifier: MIT
/* simgpu_sync: uapi arrays and sync operations (see simgpu_sync.h). */
#include "simgpu_sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/uaccess.h"
#include "sched/gpu_scheduler.h"
#include "sync/dma_fence.h"
#include "sync/dma_fence_chain.h"
#include "sync/syncobj.h"

int simgpu_obj_array_copy(struct udrm_file *file,
			  const struct drm_simgpu_obj_array *in,
			  uint32_t min_stride, uint32_t elem_size, void **out)
{
	uint8_t *elems, *tail = NULL;
	uint32_t copy, i;
	int ret = 0;

	*out = NULL;
	if (!in->count)
		return 0;
	if (in->stride < min_stride)
		return -EINVAL;
	if ((uint64_t)in->count * in->stride > UDRM_USER_ARRAY_MAX_BYTES ||
	    (uint64_t)in->count * elem_size > UDRM_USER_ARRAY_MAX_BYTES)
		return -EINVAL;
	elems = calloc(in->count, elem_size);
	if (!elems)
		return -ENOMEM;
	copy = in->stride < elem_size ? in->stride : elem_size;
	if (in->stride > elem_size) {
		tail = malloc(in->stride - elem_size);
		if (!tail) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < in->count; i++) {
		uint64_t src = in->array + (uint64_t)i * in->stride;

		ret = udrm_copy_from_user(file, elems + (size_t)i * elem_size,
					  src, copy);
		if (ret)
			goto out;
		if (!tail)
			continue;
		/* Bytes of a newer element version must be zero. */
		ret = udrm_copy_from_user(file, tail, src + elem_size,
					  in->stride - elem_size);
		if (ret)
			goto out;
		for (uint32_t b = 0; b < in->stride - elem_size; b++) {
			if (tail[b]) {
				ret = -E2BIG;
				goto out;
			}
		}
	}
out:
	free(tail);
	if (ret)
		free(elems);
	else
		*out = elems;
	return ret;
}

int simgpu_copy_uobj_to_user(struct udrm_file *file, uint64_t dst,
			     uint32_t usr_size, uint32_t min_size,
			     const void *obj, uint32_t size)
{
	static const uint8_t zeros[256];
	uint32_t done;
	int ret;

	if (usr_size < min_size)
		return -EINVAL;
	done = usr_size < size ? usr_size : size;
	ret = udrm_copy_to_user(file, dst, obj, done);
	while (!ret && done < usr_size) {
		uint32_t n = usr_size - done;

		if (n > sizeof(zeros))
			n = sizeof(zeros);
		ret = udrm_copy_to_user(file, dst + done, zeros, n);
		done += n;
	}
	return ret;
}

void simgpu_syncs_fini(struct simgpu_syncs *syncs)
{
	unsigned int i;

	for (i = 0; i < syncs->num_waits; i++)
		udrm_fence_put(syncs->waits[i]);
	for (i = 0; i < syncs->num_signals; i++) {
		udrm_syncobj_put(syncs->signals[i].syncobj);
		if (syncs->signals[i].chain)
			udrm_fence_chain_free(syncs->signals[i].chain);
	}
	free(syncs->waits);
	free(syncs->signals);
	memset(syncs, 0, sizeof(*syncs));
}

/* Checks one op and resolves it into @syncs. */
static int syncs_add_op(struct udrm_file *file,
			const struct drm_simgpu_sync_op *op,
			struct simgpu_syncs *syncs)
{
	uint32_t type = op->flags & DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_MASK;
	bool timeline = type == DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_TIMELINE_SYNCOBJ;
	struct simgpu_sync_signal *sig;
	int ret;

	if (op->flags &
	    ~(DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_MASK | DRM_SIMGPU_SYNC_OP_SIGNAL))
		return -EINVAL;
	if (type != DRM_SIMGPU_SYNC_OP_HANDLE_TYPE_SYNCOBJ && !timeline)
		return -EINVAL;
	if (!timeline && op->timeline_value)
		return -EINVAL;

	if (!(op->flags & DRM_SIMGPU_SYNC_OP_SIGNAL)) {
		struct udrm_fence *fence;

		ret = udrm_syncobj_find_fence(file, op->handle,
					      op->timeline_value, 0, &fence);
		if (ret)
			return ret;
		syncs->waits[syncs->num_waits++] = fence;
		return 0;
	}

	if (timeline && !op->timeline_value)
		return -EINVAL;
	sig = &syncs->signals[syncs->num_signals];
	sig->syncobj = udrm_syncobj_find(file, op->handle);
	if (!sig->syncobj)
		return -ENOENT;
	syncs->num_signals++;
	sig->point = op->timeline_value;
	if (timeline) {
		sig->chain = udrm_fence_chain_alloc();
		if (!sig->chain)
			return -ENOMEM;
	}
	return 0;
}

int simgpu_syncs_parse(struct udrm_file *file,
		       const struct drm_simgpu_obj_array *in,
		       struct simgpu_syncs *out)
{
	struct drm_simgpu_sync_op *ops;
	uint32_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = simgpu_obj_array_copy(file, in, sizeof(*ops), sizeof(*ops),
				    (void **)&ops);
	if (ret || !ops)
		return ret;
	out->waits = calloc(in->count, sizeof(*out->waits));
	out->signals = calloc(in->count, sizeof(*out->signals));
	if (!out->waits || !out->signals) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < in->count && !ret; i++)
		ret = syncs_add_op(file, &ops[i], out);
out:
	free(ops);
	if (ret)
		simgpu_syncs_fini(out);
	return ret;
}

int simgpu_syncs_add_deps(struct simgpu_syncs *syncs,
			  struct udrm_sched_job *job)
{
	int ret = 0;
	unsigned int i;

	/* Each reference moves to the job, even when adding fails. */
	for (i = 0; i < syncs->num_waits; i++) {
		struct udrm_fence *fence = syncs->waits[i];

		syncs->waits[i] = NULL;
		if (!ret)
			ret = udrm_sched_job_add_dependency(job, fence);
		else
			udrm_fence_put(fence);
	}
	syncs->num_waits = 0;
	return ret;
}

int simgpu_syncs_wait(struct simgpu_syncs *syncs)
{
	unsigned int i;
	int ret;

	for (i = 0; i < syncs->num_waits; i++) {
		ret = udrm_fence_wait(syncs->waits[i], true);
		if (ret < 0)
			return ret;
		ret = udrm_fence_get_status(syncs->waits[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void simgpu_syncs_signal(struct simgpu_syncs *syncs, struct udrm_fence *fence)
{
	unsigned int i;

	for (i = 0; i < syncs->num_signals; i++) {
		struct simgpu_sync_signal *sig = &syncs->signals[i];

		if (sig->chain) {
			udrm_syncobj_add_point_chain(sig->syncobj, sig->chain,
						     fence, sig->point);
			sig->chain = NULL;
		} else {
			udrm_syncobj_replace_fence(sig->syncobj, fence);
		}
	}
}
