// SPDX-License-Identifier: MIT
/*
 * simgpu queue scheduling around the firmware (see simgpu_queue.h):
 *
 *  - the interrupt thread, sole reader of the interrupt line: each
 *    interrupt wakes the fwif's waits (its irq hook) and completes the
 *    fences the queues' sync objects passed;
 *  - the slot manager thread: gives firmware group slots to the queues
 *    with work, highest priority first, taking them from idle queues, or
 *    draining a resident queue of lower priority (or of equal priority
 *    after a time slice) and handing its slot over once it is idle;
 *    handles faulted queues (banned) and the resets that hangs ask for;
 *  - the heartbeat thread: pings the firmware every heartbeat_ms and
 *    resets it when it does not answer.
 *
 * A reset stops every queue's scheduler, reboots the firmware, completes
 * what finished before, bans the guilty queue (its hung job -ETIMEDOUT,
 * the rest -ECANCELED) and lets every other queue run its unfinished
 * entries again from its next bind (INNOCENT if it had work running).
 */
#include "simgpu_queue.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/vfile.h"
#include "simgpu_drv.h"
#include "simgpu_vm.h"

#define SIMGPU_FW_TIMEOUT_MS   1000 /* a firmware request's answer */
#define SIMGPU_IRQ_POLL_MS     10   /* completions looked at even so */
#define SIMGPU_SLOT_SLICE_NS   (20ull * 1000000ull)
#define SIMGPU_MANAGER_TICK_MS 5 /* while queues wait for slots */
#define SIMGPU_INJECT_PATH     "simgpu_inject"

/* As the kernel's drm_err: the firmware's troubles go to the log. */
#define sched_log(...)                                                         \
	do {                                                                   \
		fprintf(stderr, "udrm: simgpu: " __VA_ARGS__);                 \
		fputc('\n', stderr);                                           \
	} while (0)

uint32_t simgpu_sched_fw_priority(uint32_t queue_priority)
{
	/* 0..15 on the firmware: room between the uapi's levels. */
	return 2 + queue_priority * 5;
}

void simgpu_sched_wake(struct simgpu_sched *sched)
{
	pthread_mutex_lock(&sched->lock);
	sched->kick = true;
	pthread_cond_signal(&sched->cond);
	pthread_mutex_unlock(&sched->lock);
}

/*
 * The interrupt line.
 */

/* The fwif's waits: until the interrupt thread saw the next interrupt. */
static int sched_irq_wait(void *ctx, int timeout_ms)
{
	struct simgpu_sched *sched = ctx;
	uint64_t deadline, seq;
	int ret = 0;

	if (timeout_ms < 0)
		timeout_ms = 1000;
	deadline = udrm_fence_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	pthread_mutex_lock(&sched->irq_lock);
	seq = sched->irq_seq;
	while (sched->irq_seq == seq && !ret)
		ret = simgpu_cond_wait_until(&sched->irq_cond, &sched->irq_lock,
					     deadline);
	ret = sched->irq_seq != seq ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&sched->irq_lock);
	return ret;
}

static void *sched_irq_main(void *arg)
{
	struct simgpu_sched *sched = arg;
	struct pollfd pfd[2] = {
		{.fd = simgpu_dev_irq_fd(sched->sdev->hw), .events = POLLIN},
		{.fd = sched->stop_fd, .events = POLLIN},
	};

	for (;;) {
		unsigned int done = 0;
		bool error = false;
		uint64_t count;
		int n;

		n = poll(pfd, 2, SIMGPU_IRQ_POLL_MS);
		if (n > 0 && (pfd[1].revents & POLLIN))
			break;
		if (n > 0 && (pfd[0].revents & POLLIN) &&
		    read(pfd[0].fd, &count, sizeof(count)) == sizeof(count)) {
			pthread_mutex_lock(&sched->irq_lock);
			sched->irq_seq++;
			pthread_cond_broadcast(&sched->irq_cond);
			pthread_mutex_unlock(&sched->irq_lock);
		}

		pthread_mutex_lock(&sched->lock);
		for (struct simgpu_queue *q = sched->queues; q;
		     q = q->list_next) {
			done += simgpu_queue_complete(q, true);
			if (atomic_load(&q->has_error))
				error = true;
		}
		/* Faults to handle, or slots to hand over. */
		if (error || (done && sched->contended)) {
			sched->kick = true;
			pthread_cond_signal(&sched->cond);
		}
		pthread_mutex_unlock(&sched->lock);
	}
	return NULL;
}

/*
 * Slots. All with fw_lock held.
 */

/* Gives @q group slot @slot. 0, or the fwif's error. */
static int slot_bind(struct simgpu_sched *sched, struct simgpu_queue *q,
		     unsigned int slot)
{
	struct simgpu_fwif *fwif = &sched->sdev->fwif;
	struct simgpu_fwif_queue_state st;
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = simgpu_fwif_group_start(fwif, slot, simgpu_vm_as_root(q->vm),
				      simgpu_sched_fw_priority(q->priority),
				      SIMGPU_FW_TIMEOUT_MS);
	if (!ret) {
		ret = simgpu_fwif_queue_bind(&q->fq, slot, 0, q->fq.extract,
					     SIMGPU_FW_TIMEOUT_MS);
		if (ret && simgpu_fwif_queue_bound(&q->fq))
			simgpu_fwif_queue_unbind(&q->fq, NULL, 0);
	}
	if (!ret) {
		q->slot = (int)slot;
		q->draining = false;
		q->bound_ns = udrm_fence_now_ns();
		q->waiting_since_ns = 0;
		/* What was pushed while the queue waited. */
		simgpu_fwif_queue_kick(&q->fq);
		/* The hang check measures the oldest job from here (the
		 * progress counter is the slot's). */
		simgpu_fwif_queue_state(&q->fq, &st);
		q->last_progress = st.progress;
		q->last_progress_seqno = simgpu_queue_oldest_seqno(q);
		sched->slots[slot] = q;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* Takes @q's slot back (the firmware stops it and keeps where it was). */
static int slot_unbind(struct simgpu_sched *sched, struct simgpu_queue *q)
{
	struct simgpu_fwif *fwif = &sched->sdev->fwif;
	int ret, ret2;

	pthread_mutex_lock(&q->lock);
	if (q->slot < 0) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	ret = simgpu_fwif_queue_unbind(&q->fq, NULL, SIMGPU_FW_TIMEOUT_MS);
	ret2 = simgpu_fwif_group_stop(fwif, (unsigned int)q->slot,
				      SIMGPU_FW_TIMEOUT_MS);
	sched->slots[q->slot] = NULL;
	q->slot = -1;
	q->draining = false;
	q->last_progress_seqno = 0;
	if (simgpu_queue_busy(q, NULL))
		q->waiting_since_ns = udrm_fence_now_ns();
	pthread_mutex_unlock(&q->lock);
	return ret ? ret : ret2;
}

static void sched_reset_locked(struct simgpu_sched *sched,
			       struct simgpu_queue *guilty);

/* A faulted or failed queue: banned, off its slot, its fences done. */
static int slot_check_fault(struct simgpu_sched *sched, struct simgpu_queue *q)
{
	struct simgpu_fwif_queue_state st;
	bool faulted;
	int ret;

	pthread_mutex_lock(&q->lock);
	if (q->slot < 0) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	simgpu_fwif_queue_state(&q->fq, &st);
	pthread_mutex_unlock(&q->lock);
	faulted = st.status == sched->st_faulted;
	if (!faulted && st.status != sched->st_error)
		return 0;

	/* Once off the cores, the failed entry's sync object is written.
	 * VM and queue state first, then the fences: whoever the failed
	 * job's fence wakes finds them. */
	ret = slot_unbind(sched, q);
	if (faulted)
		simgpu_vm_report_fault(q->vm, st.fault_va,
				       st.fault_access == sched->fault_write
					       ? DRM_SIMGPU_ACCESS_WRITE
					       : DRM_SIMGPU_ACCESS_READ);
	pthread_mutex_lock(&q->lock);
	atomic_store(&q->banned, true);
	q->state |= DRM_SIMGPU_QUEUE_STATE_FAULTED;
	q->fault_va = faulted ? st.fault_va : 0;
	q->error = st.error ? st.error : (faulted ? -EFAULT : -EINVAL);
	pthread_mutex_unlock(&q->lock);
	udrm_sched_entity_set_guilty(&q->entity);
	atomic_store(&q->has_error, false);
	simgpu_queue_complete(q, false);
	simgpu_queue_cancel_fences(q, -ECANCELED);
	return ret;
}

/* The queue waiting for a slot that comes first, or NULL. */
static struct simgpu_queue *slot_next_waiting(struct simgpu_sched *sched)
{
	struct simgpu_queue *best = NULL;

	for (struct simgpu_queue *q = sched->queues; q; q = q->list_next) {
		uint64_t since;
		bool busy;

		if (q->slot >= 0 || atomic_load(&q->banned) ||
		    q->served_pass == sched->pass)
			continue;
		pthread_mutex_lock(&q->lock);
		busy = simgpu_queue_busy(q, NULL);
		if (busy && !q->waiting_since_ns)
			q->waiting_since_ns = udrm_fence_now_ns();
		since = q->waiting_since_ns;
		pthread_mutex_unlock(&q->lock);
		if (!busy)
			continue;
		q->sort_key = since;
		if (!best || q->priority > best->priority ||
		    (q->priority == best->priority && since < best->sort_key))
			best = q;
	}
	return best;
}

/* A slot: a free one, else an idle queue's, else a drained one's
 * (unbound here); -1 when none. *err: the firmware's error. */
static int slot_find(struct simgpu_sched *sched, int *err)
{
	unsigned int i;

	for (i = 0; i < sched->num_slots; i++)
		if (!sched->slots[i])
			return (int)i;
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < sched->num_slots; i++) {
			struct simgpu_queue *q = sched->slots[i];
			bool busy, published_left;

			pthread_mutex_lock(&q->lock);
			busy = simgpu_queue_busy(q, &published_left);
			pthread_mutex_unlock(&q->lock);
			if (pass == 0 ? busy : (!q->draining || published_left))
				continue;
			*err = slot_unbind(sched, q);
			return *err ? -1 : (int)i;
		}
	}
	return -1;
}

/* The resident queue to drain for @want, or NULL: a lower priority one,
 * or one of the same priority that has had its time slice; the lowest
 * priority and the longest resident first. */
static struct simgpu_queue *slot_victim(struct simgpu_sched *sched,
					struct simgpu_queue *want, uint64_t now)
{
	struct simgpu_queue *victim = NULL;

	for (unsigned int i = 0; i < sched->num_slots; i++) {
		struct simgpu_queue *q = sched->slots[i];

		if (q->draining || q->priority > want->priority ||
		    (q->priority == want->priority &&
		     now - q->bound_ns < SIMGPU_SLOT_SLICE_NS))
			continue;
		if (!victim || q->priority < victim->priority ||
		    (q->priority == victim->priority &&
		     q->bound_ns < victim->bound_ns))
			victim = q;
	}
	return victim;
}

/* One pass of the slot manager: faults, then slots for the waiting
 * queues. Returns whether queues wait for slots. */
static bool sched_manage_slots(struct simgpu_sched *sched)
{
	uint64_t now = udrm_fence_now_ns();
	unsigned int draining = 0, i;
	struct simgpu_queue *want;
	bool contended = false;
	int err = 0;

	for (struct simgpu_queue *q = sched->queues; q && !err;
	     q = q->list_next) {
		err = slot_check_fault(sched, q);
		/* Not a fault: a stream's error, the queue goes on. */
		if (atomic_exchange(&q->has_error, false))
			simgpu_queue_complete(q, false);
	}
	for (i = 0; i < sched->num_slots; i++)
		if (sched->slots[i] && sched->slots[i]->draining)
			draining++;

	sched->pass++;
	while (!err && (want = slot_next_waiting(sched))) {
		struct simgpu_queue *victim;
		int slot = slot_find(sched, &err);

		contended = true;
		if (err)
			break;
		if (slot >= 0) {
			err = slot_bind(sched, want, (unsigned int)slot);
			continue;
		}
		/* A queue already draining serves it, or a new victim. */
		if (draining) {
			draining--;
		} else if ((victim = slot_victim(sched, want, now))) {
			pthread_mutex_lock(&victim->lock);
			victim->draining = true;
			pthread_mutex_unlock(&victim->lock);
		} else {
			break;
		}
		want->served_pass = sched->pass;
	}
	/* Queues draining for nobody publish again. */
	for (i = 0; i < sched->num_slots && draining && !err; i++) {
		struct simgpu_queue *q = sched->slots[i];

		if (!q || !q->draining)
			continue;
		pthread_mutex_lock(&q->lock);
		q->draining = false;
		simgpu_fwif_queue_kick(&q->fq);
		pthread_mutex_unlock(&q->lock);
		draining--;
	}
	if (err)
		sched_reset_locked(sched, NULL);
	return contended;
}

/*
 * Resets. With fw_lock held.
 */

/* Every queue of the list, with no reference: the list cannot change
 * while fw_lock is held. NULL when there are none or on ENOMEM. */
static struct simgpu_queue **sched_queue_array(struct simgpu_sched *sched,
					       unsigned int *count)
{
	struct simgpu_queue **all, *q;
	unsigned int n = 0;

	for (q = sched->queues; q; q = q->list_next)
		n++;
	*count = 0;
	all = n ? calloc(n, sizeof(*all)) : NULL;
	if (!all)
		return NULL;
	for (q = sched->queues; q; q = q->list_next)
		all[(*count)++] = q;
	return all;
}

/* After the reboot: @q lost its slot; what finished is completed, the
 * rest runs again from its next bind, unless @q is guilty. */
static void reset_queue(struct simgpu_sched *sched, struct simgpu_queue *q,
			bool guilty, bool fw_dead)
{
	bool was_bound, busy, published_left;

	simgpu_queue_complete(q, false);
	pthread_mutex_lock(&q->lock);
	was_bound = q->slot >= 0;
	busy = simgpu_queue_busy(q, &published_left);
	if (was_bound) {
		/* The slot is gone with the firmware: unbound where the
		 * first unfinished entry is. */
		q->fq.iface = NULL;
		q->fq.extract = simgpu_queue_replay_pos(q);
		q->slot = -1;
		q->draining = false;
	}
	q->last_progress_seqno = 0;
	if (guilty) {
		atomic_store(&q->banned, true);
		q->state |= DRM_SIMGPU_QUEUE_STATE_TIMEDOUT;
		q->error = -ETIMEDOUT;
	} else if (fw_dead) {
		atomic_store(&q->banned, true);
		q->error = -EIO;
	} else {
		if (was_bound && published_left)
			q->state |= DRM_SIMGPU_QUEUE_STATE_INNOCENT;
		if (busy && !q->waiting_since_ns)
			q->waiting_since_ns = udrm_fence_now_ns();
	}
	pthread_mutex_unlock(&q->lock);
	if (guilty || fw_dead) {
		simgpu_queue_cancel_fences(q, guilty ? -ETIMEDOUT : -EIO);
		udrm_sched_entity_set_guilty(&q->entity);
	}
	(void)sched;
}

static void sched_reset_locked(struct simgpu_sched *sched,
			       struct simgpu_queue *guilty)
{
	struct simgpu_device *sdev = sched->sdev;
	struct simgpu_queue **all;
	unsigned int n, i;
	int ret;

	all = sched_queue_array(sched, &n);
	for (i = 0; i < n; i++)
		udrm_sched_stop(&all[i]->gsched, NULL);
	/* Halted hard if it does not answer. An injected MCU hang is a
	 * test's fault: the reset is what clears it. */
	if (sdev->fwif.v)
		simgpu_fwif_halt(&sdev->fwif, SIMGPU_FW_TIMEOUT_MS);
	simgpu_dev_write_reg(sdev->hw, SIMGPU_REG_INJECT, 0);
	ret = simgpu_fwif_reboot(&sdev->fwif, 0, SIMGPU_FW_TIMEOUT_MS);
	atomic_fetch_add(&sdev->reboots, 1);
	if (ret) {
		sched_log("firmware reboot failed (%d)", ret);
		sched->fw_dead = true;
	}
	memset(sched->slots, 0, sched->num_slots * sizeof(*sched->slots));
	for (i = 0; i < n; i++)
		reset_queue(sched, all[i], all[i] == guilty, sched->fw_dead);
	for (i = 0; i < n; i++)
		udrm_sched_start(&all[i]->gsched, 0);
	free(all);
	/* The innocent queues want their slots back. */
	pthread_mutex_lock(&sched->lock);
	sched->kick = true;
	pthread_mutex_unlock(&sched->lock);
}

void simgpu_sched_report_hang(struct simgpu_sched *sched,
			      struct simgpu_queue *q)
{
	pthread_mutex_lock(&sched->lock);
	if (!sched->reset_pending) {
		sched->reset_pending = true;
		sched->reset_guilty = q;
	}
	sched->kick = true;
	pthread_cond_signal(&sched->cond);
	pthread_mutex_unlock(&sched->lock);
}

void simgpu_sched_add_queue(struct simgpu_sched *sched, struct simgpu_queue *q)
{
	pthread_mutex_lock(&sched->fw_lock);
	pthread_mutex_lock(&sched->lock);
	q->list_next = sched->queues;
	sched->queues = q;
	pthread_mutex_unlock(&sched->lock);
	pthread_mutex_unlock(&sched->fw_lock);
}

void simgpu_sched_remove_queue(struct simgpu_sched *sched,
			       struct simgpu_queue *q)
{
	struct simgpu_queue **link;
	int ret = 0;

	pthread_mutex_lock(&sched->fw_lock);
	pthread_mutex_lock(&sched->lock);
	for (link = &sched->queues; *link; link = &(*link)->list_next) {
		if (*link == q) {
			*link = q->list_next;
			break;
		}
	}
	/* Its hang goes with it: stopping it below ends it. */
	if (sched->reset_guilty == q) {
		sched->reset_guilty = NULL;
		sched->reset_pending = false;
	}
	pthread_mutex_unlock(&sched->lock);
	if (q->slot >= 0)
		ret = slot_unbind(sched, q);
	/* The firmware did not answer: it must not run this ring again. */
	if (ret)
		sched_reset_locked(sched, NULL);
	pthread_mutex_unlock(&sched->fw_lock);
	simgpu_queue_complete(q, false);
	simgpu_queue_cancel_fences(q, -ECANCELED);
	simgpu_sched_wake(sched);
}

/*
 * Threads.
 */

static void *sched_manager_main(void *arg)
{
	struct simgpu_sched *sched = arg;
	bool contended = false;

	pthread_mutex_lock(&sched->lock);
	while (!sched->exiting) {
		struct simgpu_queue *guilty = NULL;
		bool reset;

		if (!sched->kick) {
			if (contended)
				simgpu_cond_wait_until(
					&sched->cond, &sched->lock,
					udrm_fence_now_ns() +
						SIMGPU_MANAGER_TICK_MS *
							1000000ull);
			else
				pthread_cond_wait(&sched->cond, &sched->lock);
			if (sched->exiting)
				break;
		}
		sched->kick = false;
		pthread_mutex_unlock(&sched->lock);

		pthread_mutex_lock(&sched->fw_lock);
		pthread_mutex_lock(&sched->lock);
		reset = sched->reset_pending;
		guilty = sched->reset_guilty;
		sched->reset_pending = false;
		sched->reset_guilty = NULL;
		pthread_mutex_unlock(&sched->lock);
		if (reset && !sched->fw_dead)
			sched_reset_locked(sched, guilty);
		contended = !sched->fw_dead && sched_manage_slots(sched);
		pthread_mutex_unlock(&sched->fw_lock);

		pthread_mutex_lock(&sched->lock);
		sched->contended = contended;
	}
	pthread_mutex_unlock(&sched->lock);
	return NULL;
}

static void *sched_heartbeat_main(void *arg)
{
	struct simgpu_sched *sched = arg;
	uint64_t period = sched->sdev->opts.heartbeat_ms * 1000000ull;
	uint64_t next = udrm_fence_now_ns() + period;

	pthread_mutex_lock(&sched->lock);
	while (!sched->exiting) {
		int ret = 0;

		if (udrm_fence_now_ns() < next) {
			simgpu_cond_wait_until(&sched->hb_cond, &sched->lock,
					       next);
			continue;
		}
		pthread_mutex_unlock(&sched->lock);
		pthread_mutex_lock(&sched->fw_lock);
		if (!sched->fw_dead)
			ret = simgpu_fwif_ping(&sched->sdev->fwif,
					       SIMGPU_FW_TIMEOUT_MS);
		if (ret) {
			sched_log("firmware heartbeat lost (%d), "
				  "resetting",
				  ret);
			sched_reset_locked(sched, NULL);
		}
		pthread_mutex_unlock(&sched->fw_lock);
		if (ret)
			simgpu_sched_wake(sched);
		next = udrm_fence_now_ns() + period;
		pthread_mutex_lock(&sched->lock);
	}
	pthread_mutex_unlock(&sched->lock);
	return NULL;
}

/*
 * debugfs: dri/N/simgpu_inject, test hooks of the device.
 */

static int inject_show(void *data, char *buf, size_t len)
{
	struct simgpu_sched *sched = data;
	uint64_t bits = simgpu_dev_read_reg(sched->sdev->hw, SIMGPU_REG_INJECT);

	return snprintf(buf, len, "%s\n",
			bits & SIMGPU_INJECT_MCU_HANG ? "mcu_hang" : "none");
}

static int inject_store(void *data, const char *buf, size_t len)
{
	struct simgpu_sched *sched = data;
	size_t n = strcspn(buf, "\n");

	if (n == strlen("mcu_hang") && !strncmp(buf, "mcu_hang", n)) {
		simgpu_dev_write_reg(sched->sdev->hw, SIMGPU_REG_INJECT,
				     SIMGPU_INJECT_MCU_HANG);
		return (int)len;
	}
	return -EINVAL;
}

/*
 * Setup.
 */

static uint64_t fw_const(struct simgpu_sched *sched, unsigned int id)
{
	uint64_t value = UINT64_MAX;

	simgpu_fwif_const(&sched->sdev->fwif, id, &value);
	return value;
}

static void sched_stop_irq(struct simgpu_sched *sched)
{
	uint64_t one = 1;

	if (!sched->have_irq)
		return;
	if (write(sched->stop_fd, &one, sizeof(one)) != sizeof(one))
		sched_log("cannot stop the interrupt thread");
	pthread_join(sched->irq_thread, NULL);
	sched->have_irq = false;
}

static void sched_free(struct simgpu_sched *sched)
{
	simgpu_fwif_set_irq_hook(&sched->sdev->fwif, NULL, NULL);
	if (sched->stop_fd >= 0)
		close(sched->stop_fd);
	free(sched->slots);
	pthread_cond_destroy(&sched->hb_cond);
	pthread_cond_destroy(&sched->cond);
	pthread_mutex_destroy(&sched->lock);
	pthread_mutex_destroy(&sched->fw_lock);
	pthread_cond_destroy(&sched->irq_cond);
	pthread_mutex_destroy(&sched->irq_lock);
	sched->sdev->sched = NULL;
	free(sched);
}

static void sched_stop_threads(struct simgpu_sched *sched)
{
	pthread_mutex_lock(&sched->lock);
	sched->exiting = true;
	pthread_cond_broadcast(&sched->cond);
	pthread_cond_broadcast(&sched->hb_cond);
	pthread_mutex_unlock(&sched->lock);
	if (sched->have_manager)
		pthread_join(sched->manager_thread, NULL);
	if (sched->have_heartbeat)
		pthread_join(sched->heartbeat_thread, NULL);
	sched->have_manager = sched->have_heartbeat = false;
}

int simgpu_sched_init(struct simgpu_device *sdev)
{
	struct simgpu_sched *sched;
	int ret;

	sched = calloc(1, sizeof(*sched));
	if (!sched)
		return -ENOMEM;
	sched->sdev = sdev;
	sdev->sched = sched;
	pthread_mutex_init(&sched->irq_lock, NULL);
	simgpu_cond_init_monotonic(&sched->irq_cond);
	pthread_mutex_init(&sched->fw_lock, NULL);
	pthread_mutex_init(&sched->lock, NULL);
	simgpu_cond_init_monotonic(&sched->cond);
	simgpu_cond_init_monotonic(&sched->hb_cond);
	sched->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (sched->stop_fd < 0) {
		ret = -errno;
		goto err_free;
	}

	/* The interrupt thread first: the boot's waits need it. */
	simgpu_fwif_set_irq_hook(&sdev->fwif, sched_irq_wait, sched);
	ret = -pthread_create(&sched->irq_thread, NULL, sched_irq_main, sched);
	if (ret)
		goto err_free;
	sched->have_irq = true;
	ret = simgpu_fwif_boot(&sdev->fwif, 0, SIMGPU_FW_TIMEOUT_MS * 5);
	if (ret)
		goto err_irq;

	sched->ring_entry_size = sdev->fwif.ring_entry_size;
	/* The firmware wants sync objects 16-byte aligned. */
	sched->sync_stride =
		(fwabi_sizeof(sdev->fwif.v, SIMGPU_FW_S_SYNC_OBJ) + 15u) & ~15u;
	sched->num_slots = sdev->fwif.num_groups;
	sched->msg_exec = fw_const(sched, SIMGPU_FW_C_MSG_EXEC);
	sched->msg_nop = fw_const(sched, SIMGPU_FW_C_MSG_NOP);
	sched->st_idle = fw_const(sched, SIMGPU_FW_C_QUEUE_IDLE);
	sched->st_running = fw_const(sched, SIMGPU_FW_C_QUEUE_RUNNING);
	sched->st_faulted = fw_const(sched, SIMGPU_FW_C_QUEUE_FAULTED);
	sched->st_error = fw_const(sched, SIMGPU_FW_C_QUEUE_ERROR);
	sched->st_stuck = fw_const(sched, SIMGPU_FW_C_QUEUE_STUCK);
	sched->fault_write = fw_const(sched, SIMGPU_FW_C_FAULT_WRITE);
	sched->slots = calloc(sched->num_slots, sizeof(*sched->slots));
	if (!sched->slots) {
		ret = -ENOMEM;
		goto err_halt;
	}

	ret = -pthread_create(&sched->manager_thread, NULL, sched_manager_main,
			      sched);
	if (ret)
		goto err_halt;
	sched->have_manager = true;
	if (sdev->opts.heartbeat_ms) {
		ret = -pthread_create(&sched->heartbeat_thread, NULL,
				      sched_heartbeat_main, sched);
		if (ret)
			goto err_threads;
		sched->have_heartbeat = true;
	}
	ret = udrm_vfile_add_simple(sdev->drm, UDRM_VFILE_DEBUGFS,
				    SIMGPU_INJECT_PATH, 0644, inject_show,
				    inject_store, sched);
	if (ret)
		goto err_threads;
	return 0;

err_threads:
	sched_stop_threads(sched);
err_halt:
	simgpu_fwif_halt(&sdev->fwif, SIMGPU_FW_TIMEOUT_MS);
err_irq:
	sched_stop_irq(sched);
err_free:
	sched_free(sched);
	return ret;
}

void simgpu_sched_fini(struct simgpu_device *sdev)
{
	struct simgpu_sched *sched = sdev->sched;

	if (!sched)
		return;
	udrm_vfile_remove(sdev->drm, UDRM_VFILE_DEBUGFS, SIMGPU_INJECT_PATH);
	sched_stop_threads(sched);
	/* Every file is closed: no queue is left. */
	pthread_mutex_lock(&sched->fw_lock);
	if (sdev->fwif.v)
		simgpu_fwif_halt(&sdev->fwif, SIMGPU_FW_TIMEOUT_MS);
	pthread_mutex_unlock(&sched->fw_lock);
	sched_stop_irq(sched);
	sched_free(sched);
}
