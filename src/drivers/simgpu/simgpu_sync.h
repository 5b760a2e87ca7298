/* SPDX-License-Identifier: MIT */
/*
 * simgpu_sync: the uapi's {stride, count, pointer} arrays and its sync
 * operations (struct drm_simgpu_sync_op), shared by VM_BIND and SUBMIT.
 *
 * A job's syncs are parsed and checked before anything is done
 * (simgpu_syncs_parse: flags, handles, values), so that the ioctl can
 * fail cleanly; the waits become dependencies of the job
 * (simgpu_syncs_add_deps) and the signals get the job's finished fence
 * once it is pushed (simgpu_syncs_signal), which cannot fail: the
 * timeline points' chain nodes are allocated at parse time.
 */
#ifndef SIMGPU_SYNC_H
#define SIMGPU_SYNC_H

#include <stdint.h>

#include "udrm/simgpu_drm.h"

struct udrm_file;
struct udrm_fence;
struct udrm_syncobj;
struct udrm_sched_job;
struct udrm_fence_chain;

/*
 * simgpu_obj_array_copy - copies the @in->count elements of a user array
 * into a new zeroed kernel array of @elem_size-byte elements (*out, to
 * free(); NULL when the count is 0). Each element's first
 * min(stride, elem_size) bytes are copied; bytes beyond @elem_size must
 * be zero. 0; -EINVAL for a stride below @min_stride or an array bigger
 * than UDRM_USER_ARRAY_MAX_BYTES; -E2BIG for non-zero unknown bytes;
 * -EFAULT; -ENOMEM.
 */
int simgpu_obj_array_copy(struct udrm_file *file,
			  const struct drm_simgpu_obj_array *in,
			  uint32_t min_stride, uint32_t elem_size, void **out);

/*
 * simgpu_copy_uobj_to_user - the sized-query copy: min(@usr_size,
 * @size) bytes of @obj to @dst, and zeros for the rest of a larger user
 * buffer. -EINVAL when @usr_size < @min_size, -EFAULT.
 */
int simgpu_copy_uobj_to_user(struct udrm_file *file, uint64_t dst,
			     uint32_t usr_size, uint32_t min_size,
			     const void *obj, uint32_t size);

struct simgpu_sync_signal {
	struct udrm_syncobj *syncobj;	/* a reference */
	uint64_t point;			/* 0: binary */
	struct udrm_fence_chain *chain; /* preallocated node, or NULL */
};

struct simgpu_syncs {
	struct udrm_fence **waits; /* references */
	unsigned int num_waits;
	struct simgpu_sync_signal *signals;
	unsigned int num_signals;
};

/*
 * simgpu_syncs_parse - reads the drm_simgpu_sync_op array @in and
 * resolves it: each wait's fence (a reference; -EINVAL when the syncobj
 * has no fence or not that point, -ENOENT for an unknown handle) and each
 * signal's syncobj. -EINVAL for unknown flags or handle types, a binary
 * op with a timeline value, a timeline signal at point 0. On error
 * nothing is held. @out is zeroed first.
 */
int simgpu_syncs_parse(struct udrm_file *file,
		       const struct drm_simgpu_obj_array *in,
		       struct simgpu_syncs *out);

/* simgpu_syncs_add_deps - gives every wait fence to @job as a dependency
 * (the references move to the job). 0 or -ENOMEM. */
int simgpu_syncs_add_deps(struct simgpu_syncs *syncs,
			  struct udrm_sched_job *job);

/* simgpu_syncs_wait - waits for every wait fence on this thread (the
 * synchronous paths); 0, the first fence error, or -EINTR/-ERESTARTSYS
 * as udrm_fence_wait. */
int simgpu_syncs_wait(struct simgpu_syncs *syncs);

/* simgpu_syncs_signal - installs @fence in every signal syncobj (binary:
 * replaced; timeline: the point added with its preallocated node). */
void simgpu_syncs_signal(struct simgpu_syncs *syncs, struct udrm_fence *fence);

/* simgpu_syncs_fini - drops what is left. */
void simgpu_syncs_fini(struct simgpu_syncs *syncs);

#endif
