// SPDX-License-Identifier: MIT
/*
 * simgpu queues: creation and destruction, SUBMIT, run_job writing ring
 * entries, and the hardware fences the interrupt thread completes from
 * each queue's sync object (see simgpu_queue.h; the threads, slots and
 * resets are in simgpu_sched.c).
 */
#include "simgpu_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simgpu_drv.h"
#include "simgpu_sync.h"
#include "simgpu_vm.h"
#include "sync/dma_fence.h"

struct simgpu_job {
	struct udrm_sched_job base;
	struct simgpu_queue *queue; /* not a reference: outlives the job */
	uint64_t stream_va, stream_size;
	struct simgpu_hw_fence *hw; /* preallocated, given by run_job */
};

static struct simgpu_job *to_simgpu_job(struct udrm_sched_job *job)
{
	return (struct simgpu_job *)((char *)job -
				     offsetof(struct simgpu_job, base));
}

static void hw_fence_release(struct udrm_fence *fence)
{
	free((struct simgpu_hw_fence *)fence);
}

static const struct udrm_fence_ops hw_fence_ops = {
	.release = hw_fence_release,
	.use_64bit_seqno = true,
};

static struct simgpu_queue *queue_get(struct simgpu_queue *q)
{
	atomic_fetch_add(&q->refcount, 1);
	return q;
}

static void queue_put(struct simgpu_queue *q);

/*
 * Completion.
 */

/* Signals @f (removed from the list) with @error and drops the list's
 * reference. fence_lock held. */
static void hw_fence_complete(struct simgpu_hw_fence *f, int error)
{
	if (error < 0)
		udrm_fence_set_error(&f->base, error);
	udrm_fence_signal(&f->base);
	udrm_fence_put(&f->base);
}

/* The sync object of the ring entry at @ring_pos: one per entry, so that
 * each job's status stays until its fence completes (the entry is not
 * reused before: credits bound the entries in flight). */
static uint64_t queue_sync_index(const struct simgpu_queue *q,
				 uint64_t ring_pos)
{
	return (ring_pos & (q->ring_size - 1)) / q->sched->ring_entry_size;
}

static void *queue_sync_cpu(const struct simgpu_queue *q, uint64_t ring_pos)
{
	return (uint8_t *)q->sync_cpu +
	       queue_sync_index(q, ring_pos) * q->sync_stride;
}

static struct simgpu_hw_fence *fence_pop(struct simgpu_queue *q)
{
	struct simgpu_hw_fence *f = q->fences;

	q->fences = f->next;
	if (!q->fences)
		q->fences_tail = &q->fences;
	f->next = NULL;
	return f;
}

unsigned int simgpu_queue_complete(struct simgpu_queue *q, bool defer_errors)
{
	struct simgpu_device *sdev = q->sched->sdev;
	unsigned int done = 0;

	pthread_mutex_lock(&q->fence_lock);
	while (q->fences) {
		struct simgpu_hw_fence *f = q->fences;
		uint64_t seqno;
		int32_t status;
		int error;

		/* The firmware writes the entry's status before its seqno. */
		simgpu_fwif_sync_read(&sdev->fwif,
				      queue_sync_cpu(q, f->ring_pos), &seqno,
				      &status);
		if (seqno < f->base.seqno)
			break;
		error = f->error ? f->error : status;
		/* The slot manager looks at the queue's state first. */
		if (error && defer_errors) {
			atomic_store(&q->has_error, true);
			break;
		}
		hw_fence_complete(fence_pop(q), error);
		done++;
	}
	pthread_mutex_unlock(&q->fence_lock);
	return done;
}

void simgpu_queue_cancel_fences(struct simgpu_queue *q, int first_error)
{
	int error = first_error ? first_error : -ECANCELED;

	pthread_mutex_lock(&q->fence_lock);
	while (q->fences) {
		hw_fence_complete(fence_pop(q), error);
		error = -ECANCELED;
	}
	pthread_mutex_unlock(&q->fence_lock);
}

uint64_t simgpu_queue_replay_pos(struct simgpu_queue *q)
{
	uint64_t pos;

	pthread_mutex_lock(&q->fence_lock);
	pos = q->fences ? q->fences->ring_pos : q->fq.insert;
	pthread_mutex_unlock(&q->fence_lock);
	return pos;
}

bool simgpu_queue_busy(struct simgpu_queue *q, bool *published_left)
{
	bool busy;

	pthread_mutex_lock(&q->fence_lock);
	busy = q->fences != NULL;
	/* The oldest entry in flight is before what was published. */
	if (published_left)
		*published_left = busy && q->fences->ring_pos != q->fq.kicked;
	pthread_mutex_unlock(&q->fence_lock);
	return busy;
}

uint64_t simgpu_queue_oldest_seqno(struct simgpu_queue *q)
{
	uint64_t seqno;

	pthread_mutex_lock(&q->fence_lock);
	seqno = q->fences ? q->fences->base.seqno : 0;
	pthread_mutex_unlock(&q->fence_lock);
	return seqno;
}

/*
 * Scheduler backend.
 */

/* Initialises @f as a fence already completed with @error. */
static struct udrm_fence *hw_fence_failed(struct simgpu_queue *q,
					  struct simgpu_hw_fence *f, int error)
{
	udrm_fence_init(&f->base, &hw_fence_ops, NULL,
			q->sched->sdev->fence_names, q->fence_context,
			q->seqno);
	udrm_fence_set_error(&f->base, error);
	udrm_fence_signal(&f->base);
	return &f->base;
}

static struct udrm_fence *queue_run_job(struct udrm_sched_job *sjob)
{
	struct simgpu_job *job = to_simgpu_job(sjob);
	struct simgpu_queue *q = job->queue;
	struct simgpu_sched *sched = q->sched;
	struct simgpu_hw_fence *f = job->hw;
	struct simgpu_fwif_entry e = {0};
	bool want_slot = false;
	int prep = 0, ret;

	job->hw = NULL;
	if (!atomic_load(&q->banned))
		prep = simgpu_vm_prepare_job(q->vm,
					     udrm_sched_job_finished(sjob));

	pthread_mutex_lock(&q->lock);
	if (atomic_load(&q->banned)) {
		pthread_mutex_unlock(&q->lock);
		return hw_fence_failed(q, f, -ECANCELED);
	}
	/* A job whose buffers could not be made resident still takes its
	 * place in the ring (a NOP), so that fences complete in order. */
	e.type = (uint32_t)(job->stream_size && !prep ? sched->msg_exec
						      : sched->msg_nop);
	if (!prep) {
		e.stream_va = job->stream_va;
		e.stream_size = job->stream_size;
	}
	e.sync_va =
		q->sync_va + queue_sync_index(q, q->fq.insert) * q->sync_stride;
	e.sync_seqno = q->seqno + 1;
	f->ring_pos = q->fq.insert;
	f->error = prep;
	ret = simgpu_fwif_queue_push(&q->fq, &e);
	if (ret) {
		/* Cannot happen: credits bound the entries in the ring. */
		pthread_mutex_unlock(&q->lock);
		return hw_fence_failed(q, f, ret);
	}
	q->seqno++;
	udrm_fence_init(&f->base, &hw_fence_ops, NULL, sched->sdev->fence_names,
			q->fence_context, q->seqno);

	pthread_mutex_lock(&q->fence_lock);
	if (!q->fences && q->slot >= 0) {
		/* The job starts now: the hang check measures from here. */
		struct simgpu_fwif_queue_state st;

		simgpu_fwif_queue_state(&q->fq, &st);
		q->last_progress = st.progress;
		q->last_progress_seqno = q->seqno;
	}
	udrm_fence_get(&f->base);
	*q->fences_tail = f;
	q->fences_tail = &f->next;
	pthread_mutex_unlock(&q->fence_lock);

	if (q->slot >= 0 && !q->draining) {
		simgpu_fwif_queue_kick(&q->fq);
	} else if (q->slot < 0) {
		if (!q->waiting_since_ns)
			q->waiting_since_ns = udrm_fence_now_ns();
		want_slot = true;
	}
	pthread_mutex_unlock(&q->lock);
	if (want_slot)
		simgpu_sched_wake(sched);
	return &f->base;
}

static enum udrm_gpu_sched_stat queue_timedout_job(struct udrm_sched_job *sjob)
{
	struct simgpu_queue *q = to_simgpu_job(sjob)->queue;
	struct simgpu_fwif_queue_state st;
	uint64_t oldest;
	bool published_left, hang = false;

	if (atomic_load(&q->banned))
		return UDRM_GPU_SCHED_STAT_NO_HANG;
	pthread_mutex_lock(&q->lock);
	simgpu_queue_busy(q, &published_left);
	/* Waiting for a slot, or its entry not published yet: not a hang. */
	if (q->slot >= 0 && published_left) {
		simgpu_fwif_queue_state(&q->fq, &st);
		oldest = simgpu_queue_oldest_seqno(q);
		if (oldest != q->last_progress_seqno ||
		    st.progress != q->last_progress ||
		    st.status == q->sched->st_idle)
			q->stalled_checks = 0;
		/* Parked on a WAIT, or stopped by the watchdog, without
		 * progress: hung. Running without progress may be a core
		 * thread starved of CPU: hung at the second check. */
		else if (st.status != q->sched->st_running ||
			 ++q->stalled_checks >= 2)
			hang = true;
		q->last_progress = st.progress;
		q->last_progress_seqno = oldest;
	} else {
		q->last_progress_seqno = 0;
		q->stalled_checks = 0;
	}
	pthread_mutex_unlock(&q->lock);
	if (!hang)
		return UDRM_GPU_SCHED_STAT_NO_HANG;
	simgpu_sched_report_hang(q->sched, q);
	return UDRM_GPU_SCHED_STAT_RESET;
}

static void queue_free_job(struct udrm_sched_job *sjob)
{
	struct simgpu_job *job = to_simgpu_job(sjob);

	udrm_sched_job_cleanup(sjob);
	free(job->hw);
	free(job);
}

static void queue_cancel_job(struct udrm_sched_job *sjob)
{
	simgpu_queue_cancel_fences(to_simgpu_job(sjob)->queue, -ECANCELED);
}

static const struct udrm_sched_backend_ops queue_sched_ops = {
	.run_job = queue_run_job,
	.timedout_job = queue_timedout_job,
	.free_job = queue_free_job,
	.cancel_job = queue_cancel_job,
};

/*
 * Queues.
 */

static void queue_free(struct simgpu_queue *q)
{
	struct simgpu_device *sdev = q->sched->sdev;

	if (q->ring_va)
		simgpu_vm_unmap_kernel(q->vm, q->ring_va, q->map_size);
	if (udrm_mm_node_allocated(&q->vram))
		simgpu_dev_vram_free(sdev->hw, &q->vram);
	simgpu_vm_put(q->vm);
	pthread_mutex_destroy(&q->fence_lock);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The last reference: stop the queue, cancel what did not run, free it
 * once its scheduler is done. As Panthor's group destroy: what the
 * firmware had completes with -ECANCELED, and so does a queued job the
 * worker still takes (guilty entity, or run_job on the banned queue).
 * Jobs still waiting for a dependency when the entity's flush gives up
 * are killed with it (-ESRCH, drm_sched_entity_kill's status) without
 * waiting for that dependency, which may never signal. */
static void queue_destroy(struct simgpu_queue *q)
{
	pthread_mutex_lock(&q->lock);
	atomic_store(&q->banned, true);
	pthread_mutex_unlock(&q->lock);
	/* Off the firmware; fences of entries not done: -ECANCELED. */
	simgpu_sched_remove_queue(q->sched, q);
	/* Queued jobs complete with -ECANCELED without running, or -ESRCH
	 * if their dependencies keep them past the flush. */
	udrm_sched_entity_set_guilty(&q->entity);
	udrm_sched_entity_destroy(&q->entity);
	udrm_sched_fini(&q->gsched);
	simgpu_queue_cancel_fences(q, -ECANCELED);
	queue_free(q);
}

static void queue_put(struct simgpu_queue *q)
{
	if (q && atomic_fetch_sub(&q->refcount, 1) == 1)
		queue_destroy(q);
}

static struct simgpu_queue *queue_lookup(struct simgpu_file *sfile,
					 uint32_t handle)
{
	struct simgpu_queue *q;

	pthread_mutex_lock(&sfile->lock);
	q = udrm_idr_find(&sfile->queues, handle);
	if (q)
		queue_get(q);
	pthread_mutex_unlock(&sfile->lock);
	return q;
}

static enum udrm_sched_priority queue_entity_priority(uint32_t priority)
{
	switch (priority) {
	case DRM_SIMGPU_QUEUE_PRIORITY_HIGH:
		return UDRM_SCHED_PRIORITY_HIGH;
	case DRM_SIMGPU_QUEUE_PRIORITY_NORMAL:
		return UDRM_SCHED_PRIORITY_NORMAL;
	default:
		return UDRM_SCHED_PRIORITY_LOW;
	}
}

/* Ring and sync objects (one per ring entry) in VRAM, mapped in the VM's
 * kernel range. */
static int queue_init_ring(struct simgpu_queue *q)
{
	struct simgpu_device *sdev = q->sched->sdev;
	uint64_t entries = q->ring_size / q->sched->ring_entry_size;
	uint8_t *cpu;
	int ret;

	q->sync_stride = q->sched->sync_stride;
	/* Whole pages: the kernel range maps pages. */
	q->map_size =
		q->ring_size + ((entries * q->sync_stride + 4095) & ~4095ull);
	ret = simgpu_dev_vram_alloc(sdev->hw, &q->vram, q->map_size, 0);
	if (ret)
		return ret;
	ret = simgpu_vm_map_kernel(q->vm, q->vram.start, q->map_size,
				   &q->ring_va);
	if (ret) {
		q->ring_va = 0;
		return ret;
	}
	q->sync_va = q->ring_va + q->ring_size;
	cpu = simgpu_dev_vram_ptr(sdev->hw, q->vram.start);
	q->sync_cpu = cpu + q->ring_size;
	/* VRAM keeps what an earlier owner wrote: no stale seqno. */
	for (uint64_t i = 0; i < entries; i++)
		simgpu_fwif_sync_init(
			&sdev->fwif,
			(uint8_t *)q->sync_cpu + i * q->sync_stride, 0);
	simgpu_fwif_queue_init(&q->fq, &sdev->fwif, cpu, q->ring_va,
			       q->ring_size);
	return 0;
}

static int queue_create(struct simgpu_file *sfile, struct simgpu_vm *vm,
			uint32_t priority, uint32_t ring_size,
			struct simgpu_queue **out)
{
	struct simgpu_device *sdev = sfile->sdev;
	struct simgpu_sched *sched = sdev->sched;
	struct udrm_gpu_scheduler *list[1];
	struct udrm_sched_init_args args = {
		.ops = &queue_sched_ops,
		.name = "simgpu-queue",
		.credit_limit = ring_size / sched->ring_entry_size,
		.timeout_ms = sdev->opts.job_timeout_ms,
		.policy = UDRM_SCHED_POLICY_FIFO,
	};
	struct simgpu_queue *q;
	int ret;

	q = calloc(1, sizeof(*q));
	if (!q) {
		simgpu_vm_put(vm);
		return -ENOMEM;
	}
	atomic_init(&q->refcount, 1);
	q->sched = sched;
	q->vm = vm;
	q->priority = priority;
	q->ring_size = ring_size;
	q->slot = -1;
	q->fences_tail = &q->fences;
	q->fence_context = udrm_fence_context_alloc(1);
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->fence_lock, NULL);
	ret = queue_init_ring(q);
	if (ret)
		goto err_free;
	ret = udrm_sched_init(&q->gsched, &args);
	if (ret)
		goto err_free;
	list[0] = &q->gsched;
	ret = udrm_sched_entity_init(&q->entity,
				     queue_entity_priority(priority), list, 1);
	if (ret)
		goto err_sched;
	simgpu_sched_add_queue(sched, q);
	*out = q;
	return 0;

err_sched:
	udrm_sched_fini(&q->gsched);
err_free:
	queue_free(q);
	return ret;
}

int simgpu_queue_create_ioctl(struct udrm_device *dev, void *data,
			      struct udrm_file *file)
{
	struct simgpu_file *sfile = simgpu_file(file);
	struct drm_simgpu_queue_create *args = data;
	uint32_t ring_size = args->ring_size;
	struct simgpu_queue *q;
	struct simgpu_vm *vm;
	int64_t id;
	int ret;

	(void)dev;
	if (args->flags || args->pad ||
	    args->priority > DRM_SIMGPU_QUEUE_PRIORITY_HIGH)
		return -EINVAL;
	if (!ring_size)
		ring_size = SIMGPU_RING_SIZE_DEFAULT;
	if (ring_size < SIMGPU_RING_SIZE_MIN ||
	    ring_size > SIMGPU_RING_SIZE_MAX || (ring_size & (ring_size - 1)))
		return -EINVAL;
	vm = simgpu_vm_lookup(sfile, args->vm_id);
	if (!vm)
		return -EINVAL;
	if (simgpu_vm_is_unusable(vm)) {
		simgpu_vm_put(vm);
		return -EINVAL;
	}
	/* The queue takes the VM reference. */
	ret = queue_create(sfile, vm, args->priority, ring_size, &q);
	if (ret)
		return ret;
	pthread_mutex_lock(&sfile->lock);
	id = udrm_idr_alloc(&sfile->queues, q);
	pthread_mutex_unlock(&sfile->lock);
	if (id < 0) {
		queue_put(q);
		return (int)id;
	}
	args->handle = (uint32_t)id;
	return 0;
}

int simgpu_queue_destroy_ioctl(struct udrm_device *dev, void *data,
			       struct udrm_file *file)
{
	struct simgpu_file *sfile = simgpu_file(file);
	struct drm_simgpu_queue_destroy *args = data;
	struct simgpu_queue *q;

	(void)dev;
	if (args->pad)
		return -EINVAL;
	pthread_mutex_lock(&sfile->lock);
	q = udrm_idr_remove(&sfile->queues, args->handle);
	pthread_mutex_unlock(&sfile->lock);
	if (!q)
		return -EINVAL;
	queue_put(q);
	return 0;
}

void simgpu_queue_file_close(struct simgpu_file *sfile)
{
	struct simgpu_queue *q;

	while ((q = simgpu_file_take_next(sfile, &sfile->queues)))
		queue_put(q);
}

int simgpu_queue_get_state_ioctl(struct udrm_device *dev, void *data,
				 struct udrm_file *file)
{
	struct drm_simgpu_queue_get_state *args = data;
	struct simgpu_queue *q;

	(void)dev;
	if (args->pad)
		return -EINVAL;
	q = queue_lookup(simgpu_file(file), args->handle);
	if (!q)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	args->state = q->state;
	args->fault_va = q->fault_va;
	args->error = q->error;
	pthread_mutex_unlock(&q->lock);
	queue_put(q);
	return 0;
}

/* What a stream may be on the running firmware. */
static int submit_check_stream(struct simgpu_device *sdev,
			       const struct drm_simgpu_submit *args)
{
	const struct fwabi_version *v = sdev->fwif.v;

	if (args->flags || args->stream_addr % 8 || args->stream_size % 8)
		return -EINVAL;
	if (!args->stream_size && args->stream_addr)
		return -EINVAL;
	if (args->stream_addr + args->stream_size < args->stream_addr)
		return -EINVAL;
	/* stream_size is a u32 before 2.0-rc1. */
	if (args->stream_size > UINT32_MAX &&
	    (!v || v->fields[SIMGPU_FW_RING_ENTRY_STREAM_SIZE].size < 8))
		return -EINVAL;
	return 0;
}

int simgpu_submit_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file)
{
	struct simgpu_device *sdev = simgpu_device(dev);
	struct drm_simgpu_submit *args = data;
	struct simgpu_syncs syncs;
	struct simgpu_queue *q;
	struct simgpu_job *job;
	int ret;

	ret = submit_check_stream(sdev, args);
	if (ret)
		return ret;
	q = queue_lookup(simgpu_file(file), args->queue);
	if (!q)
		return -EINVAL;
	if (atomic_load(&q->banned)) {
		ret = -ECANCELED;
		goto out_put;
	}
	if (simgpu_vm_is_unusable(q->vm)) {
		ret = -EINVAL;
		goto out_put;
	}
	ret = simgpu_syncs_parse(file, &args->syncs, &syncs);
	if (ret)
		goto out_put;

	job = calloc(1, sizeof(*job));
	if (job)
		job->hw = calloc(1, sizeof(*job->hw));
	if (!job || !job->hw) {
		ret = -ENOMEM;
		goto err_job;
	}
	job->queue = q;
	job->stream_va = args->stream_addr;
	job->stream_size = args->stream_size;
	ret = udrm_sched_job_init(&job->base, &q->entity, 1);
	if (ret)
		goto err_job;
	ret = simgpu_syncs_add_deps(&syncs, &job->base);
	if (ret)
		goto err_cleanup;
	udrm_sched_job_arm(&job->base);
	simgpu_syncs_signal(&syncs, udrm_sched_job_finished(&job->base));
	udrm_sched_entity_push_job(&job->base);
	simgpu_syncs_fini(&syncs);
	queue_put(q);
	return 0;

err_cleanup:
	udrm_sched_job_cleanup(&job->base);
err_job:
	if (job)
		free(job->hw);
	free(job);
	simgpu_syncs_fini(&syncs);
out_put:
	queue_put(q);
	return ret;
}
