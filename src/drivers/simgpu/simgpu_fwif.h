/* SPDX-License-Identifier: MIT */
/*
 * simgpu_fwif: the driver's side of the firmware interface, for any
 * firmware ABI version. It loads an image, boots the firmware, finds the
 * running version from the control block and from then on reads and
 * writes every shared structure through that version's fwabi layout
 * table: group and queue slots (request/acknowledge), ring entries,
 * sync objects, heartbeat, watchdog, halt and reboot.
 *
 * Waits poll the device's interrupt eventfd and look at shared memory
 * after each interrupt (and at least every 10 ms, so that several waiters
 * sharing the line never lose a wake-up). A timeout of -1 waits forever.
 *
 * Ownership: a simgpu_fwif owns the firmware image and the shared area in
 * VRAM (allocated at boot, freed at fini) and halts the firmware at fini;
 * it does not own the device, the page tables or the rings.
 *
 * Locking: fwif->lock serialises the toggling of request bits, so that
 * several threads may send requests; a struct simgpu_fwif_queue is used
 * by one thread at a time (the queue's submitter); boot, reboot, halt and
 * fini must not run concurrently with anything else on the fwif.
 */
#ifndef SIMGPU_FWIF_H
#define SIMGPU_FWIF_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "firmware/simgpu_dev.h"
#include "firmware/simgpu_fw.h"
#include "gpu/simgpu_mmu.h"

struct simgpu_fwif {
	struct simgpu_dev *dev;
	const struct fwabi_version
		*v; /* the running firmware's; NULL if none */
	struct udrm_mm_node image, shared;
	uint8_t *shared_cpu;
	void *control, *global;

	/* From the control block. */
	uint64_t features;
	uint32_t num_groups, queues_per_group, num_cores;
	uint32_t group_offset, group_stride, queue_offset, queue_stride;
	uint32_t ring_entry_size;

	pthread_mutex_t lock;
	uint64_t ping_seq; /* (lock) */

	/* simgpu_fwif_set_irq_hook(); NULL: the device's eventfd. */
	int (*irq_wait)(void *ctx, int timeout_ms);
	void *irq_ctx;
};

/* simgpu_fwif_init - an interface for @dev, firmware not booted. */
void simgpu_fwif_init(struct simgpu_fwif *fwif, struct simgpu_dev *dev);

/* simgpu_fwif_fini - halts the firmware (hard, CONTROL=HALT) if it runs
 * and frees the image and shared area. */
void simgpu_fwif_fini(struct simgpu_fwif *fwif);

/*
 * simgpu_fwif_boot - loads the image of ABI version @code (0: the device
 * configuration's) and boots it. 0 once the control block is valid; the
 * boot status when the firmware refused the image (-ENODEV: unknown
 * version or bad magic); -EPROTO when the control block disagrees with
 * the image; -ETIMEDOUT; -EBUSY while a firmware runs.
 * simgpu_fwif_boot_image() does the same with an image of any @magic and
 * @code (tests of the firmware's checks).
 */
int simgpu_fwif_boot(struct simgpu_fwif *fwif, uint32_t code, int timeout_ms);
int simgpu_fwif_boot_image(struct simgpu_fwif *fwif, uint32_t code,
			   uint32_t magic, int timeout_ms);

/*
 * simgpu_fwif_halt - GLB_HALT: waits for the ack and the firmware's end.
 * 0; -ETIMEDOUT when it does not answer (it is then halted hard, as
 * CONTROL=HALT); -ENODEV when no firmware runs. Groups and queues are gone
 * afterwards.
 */
int simgpu_fwif_halt(struct simgpu_fwif *fwif, int timeout_ms);

/* simgpu_fwif_reboot - halts the firmware (gracefully, or hard if it does
 * not answer) and boots ABI version @code (0: the configuration's). */
int simgpu_fwif_reboot(struct simgpu_fwif *fwif, uint32_t code, int timeout_ms);

/* simgpu_fwif_ping - heartbeat: 0 when the firmware echoed a new ping
 * sequence number, -ETIMEDOUT. */
int simgpu_fwif_ping(struct simgpu_fwif *fwif, int timeout_ms);

/* simgpu_fwif_set_watchdog - GLB_WATCHDOG_CFG with @ms (0 = off). */
int simgpu_fwif_set_watchdog(struct simgpu_fwif *fwif, uint32_t ms,
			     int timeout_ms);

/* The value of a constant / enum value of the running version
 * (SIMGPU_FW_C_*): 0, or -EOPNOTSUPP when that version lacks it. */
int simgpu_fwif_const(const struct simgpu_fwif *fwif, unsigned int id,
		      uint64_t *value);

/* Whether the running firmware announces feature @const_id
 * (SIMGPU_FW_C_FEAT_*). */
bool simgpu_fwif_has_feature(const struct simgpu_fwif *fwif,
			     unsigned int const_id);

/* simgpu_fwif_wait_irq - waits for the interrupt (see simgpu_dev), or
 * with the hook below, for the hook's next wake-up. */
int simgpu_fwif_wait_irq(struct simgpu_fwif *fwif, int timeout_ms);

/*
 * simgpu_fwif_set_irq_hook - for a driver whose own thread reads the
 * interrupt line: every wait of the fwif calls @wait(@ctx, timeout_ms)
 * instead of reading the eventfd; it returns after the next interrupt the
 * driver's thread saw (0) or the timeout (-ETIMEDOUT). NULL restores the
 * default. Set before boot.
 */
void simgpu_fwif_set_irq_hook(struct simgpu_fwif *fwif,
			      int (*wait)(void *ctx, int timeout_ms),
			      void *ctx);

/*
 * Groups. simgpu_fwif_group_start() gives slot @group the address space
 * whose level-0 table is at VRAM offset @as_root and @priority (0..15)
 * and starts it; stop and priority change likewise. Each returns once the
 * firmware acknowledged: 0, -EINVAL for a bad slot, -ETIMEDOUT.
 * GROUP_STOP returns when none of the group's queues is on a core.
 */
int simgpu_fwif_group_start(struct simgpu_fwif *fwif, unsigned int group,
			    uint64_t as_root, uint32_t priority,
			    int timeout_ms);
int simgpu_fwif_group_stop(struct simgpu_fwif *fwif, unsigned int group,
			   int timeout_ms);
int simgpu_fwif_group_set_priority(struct simgpu_fwif *fwif, unsigned int group,
				   uint32_t priority, int timeout_ms);

/* Group requests without waiting, for several at once: set the inputs
 * (simgpu_fwif_group_setup), toggle the requests, ring one doorbell
 * (simgpu_fwif_ring_global), then simgpu_fwif_group_wait_ack() each. */
int simgpu_fwif_group_setup(struct simgpu_fwif *fwif, unsigned int group,
			    uint64_t as_root, uint32_t priority);
int simgpu_fwif_group_request(struct simgpu_fwif *fwif, unsigned int group,
			      unsigned int req_const_id);
int simgpu_fwif_group_wait_ack(struct simgpu_fwif *fwif, unsigned int group,
			       int timeout_ms);
void simgpu_fwif_ring_global(struct simgpu_fwif *fwif);

/* A ring entry, version independent; simgpu_fwif_queue_push writes it in
 * the running version's layout. @type is the wire value of a message
 * (simgpu_fwif_const(SIMGPU_FW_C_MSG_*)). */
struct simgpu_fwif_entry {
	uint32_t type;
	uint32_t flags;
	uint64_t stream_va, stream_size;
	uint64_t sync_va, sync_seqno;
	uint64_t wait_va, wait_value;
};

/* A queue slot as the driver drives it. */
struct simgpu_fwif_queue {
	struct simgpu_fwif *fwif;
	unsigned int group, index, doorbell;
	void *iface;	  /* the slot's queue interface; NULL: unbound */
	uint8_t *ring;	  /* CPU address of the ring */
	uint64_t ring_va; /* its GPU VA in the group's address space */
	uint64_t ring_size;
	/* Ring positions, wrapping at the version's counter width. */
	uint64_t insert;  /* bytes pushed */
	uint64_t kicked;  /* bytes published by a kick (or to be, at bind) */
	uint64_t extract; /* while unbound: where the firmware stopped */
};

/*
 * simgpu_fwif_queue_start - starts queue @index of @group on the ring at
 * GPU VA @ring_va (CPU address @ring, @ring_size bytes, a power of two
 * and a multiple of the entry size) with doorbell 1 + its slot number.
 * The first start begins at ring offset 0; a later one (after stop) goes
 * on from where the firmware left off. 0 once acknowledged, -EINVAL,
 * -ETIMEDOUT; a start the firmware found bad leaves the queue in ERROR.
 */
int simgpu_fwif_queue_start(struct simgpu_fwif *fwif,
			    struct simgpu_fwif_queue *q, unsigned int group,
			    unsigned int index, void *ring, uint64_t ring_va,
			    uint64_t ring_size, int timeout_ms);

/*
 * A queue whose ring outlives its firmware slot (a driver rotating slots):
 * simgpu_fwif_queue_init() sets up @q unbound on its ring, at insert 0;
 * entries may be pushed at any time (they wait in the ring).
 * simgpu_fwif_queue_bind() starts it on slot (@group, @index) with
 * ring_extract = @extract and ring_insert = what was pushed and kicked,
 * doorbell 1 + slot number; simgpu_fwif_queue_unbind() stops it and gives
 * the firmware's extract position (to bind elsewhere later). Kick
 * publishes only while bound. 0, -EINVAL, -ETIMEDOUT.
 * @extract must lie at most a ring behind the insert position (an entry
 * boundary); a queue with nothing pending takes @extract as its position
 * (insert = @extract). A bind that timed out leaves the queue bound (its
 * START is out): unbind it. Unbind always leaves the queue unbound; after
 * -ETIMEDOUT *@extract is the last position the firmware published.
 */
void simgpu_fwif_queue_init(struct simgpu_fwif_queue *q,
			    struct simgpu_fwif *fwif, void *ring,
			    uint64_t ring_va, uint64_t ring_size);
int simgpu_fwif_queue_bind(struct simgpu_fwif_queue *q, unsigned int group,
			   unsigned int index, uint64_t extract,
			   int timeout_ms);
int simgpu_fwif_queue_unbind(struct simgpu_fwif_queue *q, uint64_t *extract,
			     int timeout_ms);
/* Whether @q holds a slot. */
static inline bool simgpu_fwif_queue_bound(const struct simgpu_fwif_queue *q)
{
	return q->iface != NULL;
}

/* simgpu_fwif_queue_stop - QUEUE_STOP; returns once the queue is off
 * every core. */
int simgpu_fwif_queue_stop(struct simgpu_fwif_queue *q, int timeout_ms);

/* simgpu_fwif_queue_restart - stop then start again (after a fault). */
int simgpu_fwif_queue_restart(struct simgpu_fwif_queue *q, int timeout_ms);

/*
 * simgpu_fwif_queue_push - writes @e at the insert position. It is not
 * seen by the firmware before simgpu_fwif_queue_kick(). 0; -ENOSPC when
 * the ring is full; -EOPNOTSUPP when @e uses a field the running version
 * lacks (wait_va/value, flags); -ERANGE when a value does not fit the
 * version's field (a stream_size over 4 GiB before 2.0-rc1); -ENODEV
 * when no firmware runs (the layout is the running version's).
 */
int simgpu_fwif_queue_push(struct simgpu_fwif_queue *q,
			   const struct simgpu_fwif_entry *e);

/* simgpu_fwif_queue_kick - publishes the pushed entries (ring_insert) and
 * rings the queue's doorbell. */
void simgpu_fwif_queue_kick(struct simgpu_fwif_queue *q);

/* simgpu_fwif_queue_submit - push and kick. */
int simgpu_fwif_queue_submit(struct simgpu_fwif_queue *q,
			     const struct simgpu_fwif_entry *e);

/* What the firmware says of a queue. */
struct simgpu_fwif_queue_state {
	uint32_t status; /* SIMGPU_FW_C_QUEUE_* values */
	int32_t error;
	uint64_t extract;
	uint64_t fault_va;
	uint32_t fault_access; /* SIMGPU_FW_C_FAULT_* values, or 0 */
	uint64_t progress;
};

/* Of an unbound queue: status UINT32_MAX (no status), extract where it
 * stopped, the rest 0. */
void simgpu_fwif_queue_state(struct simgpu_fwif_queue *q,
			     struct simgpu_fwif_queue_state *state);

/* simgpu_fwif_queue_wait_status - waits until the queue's status is the
 * value of @status_const_id (SIMGPU_FW_C_QUEUE_*). 0 or -ETIMEDOUT. */
int simgpu_fwif_queue_wait_status(struct simgpu_fwif_queue *q,
				  unsigned int status_const_id, int timeout_ms);

/* simgpu_fwif_queue_wait_idle - waits until the firmware consumed every
 * pushed and kicked entry. 0 or -ETIMEDOUT. */
int simgpu_fwif_queue_wait_idle(struct simgpu_fwif_queue *q, int timeout_ms);

/*
 * Sync objects ({seqno, status} in VRAM, at CPU address @sync).
 * simgpu_fwif_sync_read() reads one; simgpu_fwif_sync_wait() waits until
 * its seqno >= @seqno, then gives its status. 0 or -ETIMEDOUT.
 */
void simgpu_fwif_sync_read(const struct simgpu_fwif *fwif, const void *sync,
			   uint64_t *seqno, int32_t *status);
int simgpu_fwif_sync_wait(struct simgpu_fwif *fwif, const void *sync,
			  uint64_t seqno, int timeout_ms, int32_t *status);
/* simgpu_fwif_sync_init - writes {seqno, 0} (a fresh sync object). */
void simgpu_fwif_sync_init(const struct simgpu_fwif *fwif, void *sync,
			   uint64_t seqno);

#endif
