// SPDX-License-Identifier: MIT
/*
 * The driver's side of the simgpu firmware interface (see simgpu_fwif.h).
 */
#include "simgpu_fwif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FWIF_WAIT_SLICE_MS 10

static uint64_t fwif_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t fwif_get(const struct simgpu_fwif *fwif, unsigned int field,
			 const void *base)
{
	uint64_t value = 0;

	if (fwabi_get(fwif->v, field, base, 0, &value))
		return 0;
	return value;
}

static int fwif_set(const struct simgpu_fwif *fwif, unsigned int field,
		    void *base, uint64_t value)
{
	return fwabi_set(fwif->v, field, base, 0, value);
}

/* The value of constant @id, or UINT64_MAX when the version lacks it
 * (never a request bit or status). */
static uint64_t fwif_c(const struct simgpu_fwif *fwif, unsigned int id)
{
	uint64_t value;

	return fwabi_const_get(fwif->v, id, &value) ? UINT64_MAX : value;
}

/* One wait for the interrupt: the driver's hook, or the eventfd. */
static int fwif_wait_irq(struct simgpu_fwif *fwif, int timeout_ms)
{
	if (fwif->irq_wait)
		return fwif->irq_wait(fwif->irq_ctx, timeout_ms);
	return simgpu_dev_wait_irq(fwif->dev, timeout_ms);
}

/* Waits until @done(@arg) holds, looking after every interrupt and at
 * least every FWIF_WAIT_SLICE_MS. */
static int fwif_wait(struct simgpu_fwif *fwif, bool (*done)(void *arg),
		     void *arg, int timeout_ms)
{
	uint64_t deadline = fwif_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		int slice = FWIF_WAIT_SLICE_MS;

		if (done(arg))
			return 0;
		if (timeout_ms >= 0) {
			uint64_t now = fwif_now_ms();

			if (now >= deadline)
				return done(arg) ? 0 : -ETIMEDOUT;
			if (deadline - now < (uint64_t)slice)
				slice = (int)(deadline - now);
		}
		fwif_wait_irq(fwif, slice);
	}
}

void simgpu_fwif_init(struct simgpu_fwif *fwif, struct simgpu_dev *dev)
{
	memset(fwif, 0, sizeof(*fwif));
	fwif->dev = dev;
	pthread_mutex_init(&fwif->lock, NULL);
}

static void fwif_free_vram(struct simgpu_fwif *fwif)
{
	if (udrm_mm_node_allocated(&fwif->image))
		simgpu_dev_vram_free(fwif->dev, &fwif->image);
	if (udrm_mm_node_allocated(&fwif->shared))
		simgpu_dev_vram_free(fwif->dev, &fwif->shared);
	memset(&fwif->image, 0, sizeof(fwif->image));
	memset(&fwif->shared, 0, sizeof(fwif->shared));
	fwif->shared_cpu = NULL;
	fwif->control = fwif->global = NULL;
	fwif->v = NULL;
}

void simgpu_fwif_fini(struct simgpu_fwif *fwif)
{
	simgpu_dev_write_reg(fwif->dev, SIMGPU_REG_CONTROL,
			     SIMGPU_CONTROL_HALT);
	fwif_free_vram(fwif);
	pthread_mutex_destroy(&fwif->lock);
}

static bool fwif_boot_done(void *arg)
{
	struct simgpu_fwif *fwif = arg;

	return simgpu_dev_boot_status(fwif->dev) != SIMGPU_BOOT_STARTING;
}

/* Reads the control block of a firmware that booted image version @v. */
static int fwif_read_control(struct simgpu_fwif *fwif,
			     const struct fwabi_version *v)
{
	uint64_t magic = 0, code = 0, value;

	fwabi_get(v, SIMGPU_FW_CONTROL_MAGIC, fwif->control, 0, &magic);
	fwabi_get(v, SIMGPU_FW_CONTROL_VERSION, fwif->control, 0, &code);
	if (fwabi_const_get(v, SIMGPU_FW_C_CONTROL_MAGIC, &value) ||
	    magic != value || code != v->code)
		return -EPROTO;
	fwif->v = v;
	fwif->features =
		fwif_get(fwif, SIMGPU_FW_CONTROL_FEATURES, fwif->control);
	fwif->num_groups = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_NUM_GROUPS, fwif->control);
	fwif->queues_per_group = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_QUEUES_PER_GROUP, fwif->control);
	/* 1.0 does not say: its firmware has one core. */
	fwif->num_cores =
		fwabi_has(v, SIMGPU_FW_CONTROL_NUM_CORES)
			? (uint32_t)fwif_get(fwif, SIMGPU_FW_CONTROL_NUM_CORES,
					     fwif->control)
			: 1;
	fwif->group_offset = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_GROUP_OFFSET, fwif->control);
	fwif->group_stride = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_GROUP_STRIDE, fwif->control);
	fwif->queue_offset = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_QUEUE_OFFSET, fwif->control);
	fwif->queue_stride = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_QUEUE_STRIDE, fwif->control);
	fwif->ring_entry_size = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_CONTROL_RING_ENTRY_SIZE, fwif->control);
	fwif->global =
		fwif->shared_cpu +
		fwif_get(fwif, SIMGPU_FW_CONTROL_GLOBAL_OFFSET, fwif->control);
	if (!fwif->num_groups || !fwif->queues_per_group ||
	    fwif->ring_entry_size != fwabi_sizeof(v, SIMGPU_FW_S_RING_ENTRY) ||
	    (uint64_t)fwif->queue_offset + (uint64_t)fwif->num_groups *
						   fwif->queues_per_group *
						   fwif->queue_stride >
		    fwif->shared.size) {
		fwif->v = NULL;
		return -EPROTO;
	}
	return 0;
}

int simgpu_fwif_boot_image(struct simgpu_fwif *fwif, uint32_t code,
			   uint32_t magic, int timeout_ms)
{
	struct simgpu_dev *dev = fwif->dev;
	const struct fwabi_version *v = simgpu_fw_abi_lookup(code);
	const struct fwabi_version *layout_v = v ? v : &simgpu_fw_versions[0];
	struct simgpu_fw_layout layout;
	size_t image_size = simgpu_fw_image_size();
	long built;
	int ret;

	if (fwif->v || udrm_mm_node_allocated(&fwif->image))
		return -EBUSY;
	ret = simgpu_fw_shared_layout(layout_v, dev->config.num_groups,
				      dev->config.queues_per_group, &layout);
	if (ret)
		return ret;
	ret = simgpu_dev_vram_alloc(dev, &fwif->image, image_size, 0);
	if (ret)
		return ret;
	ret = simgpu_dev_vram_alloc(dev, &fwif->shared, layout.size, 0);
	if (ret)
		goto err_free;
	built = simgpu_fw_image_build(
		simgpu_dev_vram_ptr(dev, fwif->image.start), image_size, code,
		magic);
	if (built < 0) {
		ret = (int)built;
		goto err_free;
	}
	fwif->shared_cpu = simgpu_dev_vram_ptr(dev, fwif->shared.start);
	fwif->control = fwif->shared_cpu;

	simgpu_dev_write_reg(dev, SIMGPU_REG_FW_IMAGE, fwif->image.start);
	simgpu_dev_write_reg(dev, SIMGPU_REG_SHARED, fwif->shared.start);
	simgpu_dev_write_reg(dev, SIMGPU_REG_SHARED_SIZE, fwif->shared.size);
	ret = simgpu_dev_write_reg(dev, SIMGPU_REG_CONTROL,
				   SIMGPU_CONTROL_BOOT);
	if (ret)
		goto err_free;
	ret = fwif_wait(fwif, fwif_boot_done, fwif, timeout_ms);
	if (ret)
		goto err_halt;
	ret = simgpu_dev_boot_status(dev);
	if (ret < 0)
		goto err_halt;
	if (ret != SIMGPU_BOOT_READY || !v) {
		ret = -EPROTO;
		goto err_halt;
	}
	ret = fwif_read_control(fwif, v);
	if (ret)
		goto err_halt;
	return 0;

err_halt:
	simgpu_dev_write_reg(dev, SIMGPU_REG_CONTROL, SIMGPU_CONTROL_HALT);
err_free:
	fwif_free_vram(fwif);
	return ret;
}

int simgpu_fwif_boot(struct simgpu_fwif *fwif, uint32_t code, int timeout_ms)
{
	if (!code)
		code = fwif->dev->config.fw_version;
	return simgpu_fwif_boot_image(fwif, code, SIMGPU_FW_IMAGE_MAGIC,
				      timeout_ms);
}

/* Toggles @bits of the req field @req_field of @iface. */
static void fwif_toggle(struct simgpu_fwif *fwif, void *iface,
			unsigned int req_field, uint64_t bits)
{
	pthread_mutex_lock(&fwif->lock);
	fwif_set(fwif, req_field, iface,
		 fwif_get(fwif, req_field, iface) ^ bits);
	pthread_mutex_unlock(&fwif->lock);
}

struct fwif_ack_wait {
	struct simgpu_fwif *fwif;
	void *iface;
	unsigned int req_field, ack_field;
	uint64_t bits;
};

static bool fwif_acked(void *arg)
{
	struct fwif_ack_wait *w = arg;
	uint64_t req = fwif_get(w->fwif, w->req_field, w->iface);
	uint64_t ack = fwif_get(w->fwif, w->ack_field, w->iface);

	return !((req ^ ack) & w->bits);
}

/* Sends a request and waits for its ack. */
static int fwif_request(struct simgpu_fwif *fwif, void *iface,
			unsigned int req_field, unsigned int ack_field,
			uint64_t bits, int timeout_ms)
{
	struct fwif_ack_wait w = {fwif, iface, req_field, ack_field, bits};

	fwif_toggle(fwif, iface, req_field, bits);
	simgpu_fwif_ring_global(fwif);
	return fwif_wait(fwif, fwif_acked, &w, timeout_ms);
}

void simgpu_fwif_ring_global(struct simgpu_fwif *fwif)
{
	simgpu_dev_ring_doorbell(fwif->dev, 0);
}

static bool fwif_halted(void *arg)
{
	struct simgpu_fwif *fwif = arg;

	return simgpu_dev_boot_status(fwif->dev) != SIMGPU_BOOT_READY;
}

int simgpu_fwif_halt(struct simgpu_fwif *fwif, int timeout_ms)
{
	int ret;

	if (!fwif->v)
		return -ENODEV;
	ret = fwif_request(fwif, fwif->global, SIMGPU_FW_GLOBAL_REQ,
			   SIMGPU_FW_GLOBAL_ACK,
			   fwif_c(fwif, SIMGPU_FW_C_GLB_HALT), timeout_ms);
	if (!ret)
		ret = fwif_wait(fwif, fwif_halted, fwif, timeout_ms);
	/* Joins the threads (and stops them if the firmware did not). */
	simgpu_dev_write_reg(fwif->dev, SIMGPU_REG_CONTROL,
			     SIMGPU_CONTROL_HALT);
	fwif_free_vram(fwif);
	return ret;
}

int simgpu_fwif_reboot(struct simgpu_fwif *fwif, uint32_t code, int timeout_ms)
{
	if (fwif->v)
		simgpu_fwif_halt(fwif, timeout_ms);
	else
		simgpu_dev_write_reg(fwif->dev, SIMGPU_REG_CONTROL,
				     SIMGPU_CONTROL_HALT);
	return simgpu_fwif_boot(fwif, code, timeout_ms);
}

struct fwif_pong_wait {
	struct simgpu_fwif *fwif;
	uint64_t seq;
};

static bool fwif_ponged(void *arg)
{
	struct fwif_pong_wait *w = arg;

	return fwif_get(w->fwif, SIMGPU_FW_GLOBAL_PONG_SEQ, w->fwif->global) ==
	       w->seq;
}

int simgpu_fwif_ping(struct simgpu_fwif *fwif, int timeout_ms)
{
	struct fwif_pong_wait w = {.fwif = fwif};
	int ret;

	if (!fwif->v)
		return -ENODEV;
	pthread_mutex_lock(&fwif->lock);
	w.seq = ++fwif->ping_seq;
	fwif_set(fwif, SIMGPU_FW_GLOBAL_PING_SEQ, fwif->global, w.seq);
	pthread_mutex_unlock(&fwif->lock);
	ret = fwif_request(fwif, fwif->global, SIMGPU_FW_GLOBAL_REQ,
			   SIMGPU_FW_GLOBAL_ACK,
			   fwif_c(fwif, SIMGPU_FW_C_GLB_PING), timeout_ms);
	if (ret)
		return ret;
	/* A ping of another thread may have been acked with ours. */
	return fwif_wait(fwif, fwif_ponged, &w, timeout_ms);
}

int simgpu_fwif_set_watchdog(struct simgpu_fwif *fwif, uint32_t ms,
			     int timeout_ms)
{
	if (!fwif->v)
		return -ENODEV;
	fwif_set(fwif, SIMGPU_FW_GLOBAL_WATCHDOG_MS, fwif->global, ms);
	return fwif_request(
		fwif, fwif->global, SIMGPU_FW_GLOBAL_REQ, SIMGPU_FW_GLOBAL_ACK,
		fwif_c(fwif, SIMGPU_FW_C_GLB_WATCHDOG_CFG), timeout_ms);
}

int simgpu_fwif_const(const struct simgpu_fwif *fwif, unsigned int id,
		      uint64_t *value)
{
	if (!fwif->v || fwabi_const_get(fwif->v, id, value))
		return -EOPNOTSUPP;
	return 0;
}

bool simgpu_fwif_has_feature(const struct simgpu_fwif *fwif,
			     unsigned int const_id)
{
	uint64_t bit;

	return !simgpu_fwif_const(fwif, const_id, &bit) &&
	       (fwif->features & bit);
}

int simgpu_fwif_wait_irq(struct simgpu_fwif *fwif, int timeout_ms)
{
	return fwif_wait_irq(fwif, timeout_ms);
}

void simgpu_fwif_set_irq_hook(struct simgpu_fwif *fwif,
			      int (*wait)(void *ctx, int timeout_ms), void *ctx)
{
	fwif->irq_wait = wait;
	fwif->irq_ctx = wait ? ctx : NULL;
}

/*
 * Groups.
 */

static void *fwif_group_iface(struct simgpu_fwif *fwif, unsigned int group)
{
	if (!fwif->v || group >= fwif->num_groups)
		return NULL;
	return fwif->shared_cpu + fwif->group_offset +
	       (size_t)group * fwif->group_stride;
}

int simgpu_fwif_group_request(struct simgpu_fwif *fwif, unsigned int group,
			      unsigned int req_const_id)
{
	void *iface = fwif_group_iface(fwif, group);
	uint64_t bit = fwif ? fwif_c(fwif, req_const_id) : UINT64_MAX;

	if (!iface || bit == UINT64_MAX)
		return -EINVAL;
	fwif_toggle(fwif, iface, SIMGPU_FW_GROUP_REQ, bit);
	return 0;
}

int simgpu_fwif_group_wait_ack(struct simgpu_fwif *fwif, unsigned int group,
			       int timeout_ms)
{
	struct fwif_ack_wait w = {fwif, fwif_group_iface(fwif, group),
				  SIMGPU_FW_GROUP_REQ, SIMGPU_FW_GROUP_ACK,
				  UINT32_MAX};

	if (!w.iface)
		return -EINVAL;
	return fwif_wait(fwif, fwif_acked, &w, timeout_ms);
}

int simgpu_fwif_group_setup(struct simgpu_fwif *fwif, unsigned int group,
			    uint64_t as_root, uint32_t priority)
{
	void *iface = fwif_group_iface(fwif, group);

	if (!iface || priority > 15 || as_root % SIMGPU_PAGE_SIZE)
		return -EINVAL;
	fwif_set(fwif, SIMGPU_FW_GROUP_AS_ROOT, iface, as_root);
	fwif_set(fwif, SIMGPU_FW_GROUP_PRIORITY, iface, priority);
	return 0;
}

int simgpu_fwif_group_start(struct simgpu_fwif *fwif, unsigned int group,
			    uint64_t as_root, uint32_t priority, int timeout_ms)
{
	void *iface = fwif_group_iface(fwif, group);
	int ret = simgpu_fwif_group_setup(fwif, group, as_root, priority);

	if (ret)
		return ret;
	return fwif_request(fwif, iface, SIMGPU_FW_GROUP_REQ,
			    SIMGPU_FW_GROUP_ACK,
			    fwif_c(fwif, SIMGPU_FW_C_GROUP_START), timeout_ms);
}

int simgpu_fwif_group_stop(struct simgpu_fwif *fwif, unsigned int group,
			   int timeout_ms)
{
	void *iface = fwif_group_iface(fwif, group);

	if (!iface)
		return -EINVAL;
	return fwif_request(fwif, iface, SIMGPU_FW_GROUP_REQ,
			    SIMGPU_FW_GROUP_ACK,
			    fwif_c(fwif, SIMGPU_FW_C_GROUP_STOP), timeout_ms);
}

int simgpu_fwif_group_set_priority(struct simgpu_fwif *fwif, unsigned int group,
				   uint32_t priority, int timeout_ms)
{
	void *iface = fwif_group_iface(fwif, group);

	if (!iface || priority > 15)
		return -EINVAL;
	fwif_set(fwif, SIMGPU_FW_GROUP_PRIORITY, iface, priority);
	return fwif_request(
		fwif, iface, SIMGPU_FW_GROUP_REQ, SIMGPU_FW_GROUP_ACK,
		fwif_c(fwif, SIMGPU_FW_C_GROUP_PRIORITY), timeout_ms);
}

/*
 * Queues.
 */

static int fwif_queue_request(struct simgpu_fwif_queue *q, unsigned int id,
			      int timeout_ms)
{
	return fwif_request(q->fwif, q->iface, SIMGPU_FW_QUEUE_REQ,
			    SIMGPU_FW_QUEUE_ACK, fwif_c(q->fwif, id),
			    timeout_ms);
}

/* The width mask of the ring counters in this version (u32 before
 * 2.0-rc1): insert and extract compare modulo it. */
static uint64_t fwif_counter_mask(const struct simgpu_fwif *fwif)
{
	const struct fwabi_field *f =
		&fwif->v->fields[SIMGPU_FW_QUEUE_RING_INSERT];

	return f->size >= 8 ? UINT64_MAX : (1ull << (8 * f->size)) - 1;
}

/* The extract position: the firmware's while bound, the one it stopped
 * at otherwise. */
static uint64_t fwif_queue_extract(const struct simgpu_fwif_queue *q)
{
	if (!q->iface)
		return q->extract;
	return fwif_get(q->fwif, SIMGPU_FW_QUEUE_RING_EXTRACT, q->iface);
}

void simgpu_fwif_queue_init(struct simgpu_fwif_queue *q,
			    struct simgpu_fwif *fwif, void *ring,
			    uint64_t ring_va, uint64_t ring_size)
{
	*q = (struct simgpu_fwif_queue){
		.fwif = fwif,
		.ring = ring,
		.ring_va = ring_va,
		.ring_size = ring_size,
	};
}

int simgpu_fwif_queue_bind(struct simgpu_fwif_queue *q, unsigned int group,
			   unsigned int index, uint64_t extract, int timeout_ms)
{
	struct simgpu_fwif *fwif = q->fwif;
	uint64_t es, mask, pending;
	unsigned int slot;
	void *iface;
	int ret;

	if (q->iface || !fwif->v || group >= fwif->num_groups ||
	    index >= fwif->queues_per_group)
		return -EINVAL;
	es = fwif->ring_entry_size;
	mask = fwif_counter_mask(fwif);
	if (!q->ring_size || (q->ring_size & (q->ring_size - 1)) ||
	    q->ring_size % es || (extract & ~mask) || extract % es)
		return -EINVAL;
	/* An empty queue may begin anywhere; otherwise @extract must be an
	 * entry boundary at most a ring behind what was pushed, and not
	 * past what was kicked. */
	if (q->insert == q->extract) {
		q->insert = q->kicked = extract;
	} else {
		pending = (q->insert - extract) & mask;
		if (pending > q->ring_size ||
		    ((q->kicked - extract) & mask) > pending)
			return -EINVAL;
	}
	slot = group * fwif->queues_per_group + index;
	iface = fwif->shared_cpu + fwif->queue_offset +
		(size_t)slot * fwif->queue_stride;
	/* A u32 ring_size before 2.0-rc1: fwabi refuses what does not fit. */
	ret = fwif_set(fwif, SIMGPU_FW_QUEUE_RING_SIZE, iface, q->ring_size);
	if (ret)
		return ret == -ERANGE ? -EINVAL : ret;
	q->group = group;
	q->index = index;
	q->doorbell = 1 + slot;
	q->extract = extract;
	q->iface = iface;
	fwif_set(fwif, SIMGPU_FW_QUEUE_RING_BASE, iface, q->ring_va);
	fwif_set(fwif, SIMGPU_FW_QUEUE_DOORBELL, iface, q->doorbell);
	fwif_set(fwif, SIMGPU_FW_QUEUE_RING_INSERT, iface, q->kicked);
	/* Written by the firmware, but read by it at START: where to begin. */
	fwif_set(fwif, SIMGPU_FW_QUEUE_RING_EXTRACT, iface, extract);
	return fwif_queue_request(q, SIMGPU_FW_C_QUEUE_START, timeout_ms);
}

int simgpu_fwif_queue_unbind(struct simgpu_fwif_queue *q, uint64_t *extract,
			     int timeout_ms)
{
	int ret;

	if (!q->iface)
		return -EINVAL;
	ret = fwif_queue_request(q, SIMGPU_FW_C_QUEUE_STOP, timeout_ms);
	/* After the ack the firmware no longer moves it. */
	q->extract = fwif_get(q->fwif, SIMGPU_FW_QUEUE_RING_EXTRACT, q->iface);
	q->iface = NULL;
	if (extract)
		*extract = q->extract;
	return ret;
}

int simgpu_fwif_queue_start(struct simgpu_fwif *fwif,
			    struct simgpu_fwif_queue *q, unsigned int group,
			    unsigned int index, void *ring, uint64_t ring_va,
			    uint64_t ring_size, int timeout_ms)
{
	simgpu_fwif_queue_init(q, fwif, ring, ring_va, ring_size);
	return simgpu_fwif_queue_bind(q, group, index, 0, timeout_ms);
}

int simgpu_fwif_queue_stop(struct simgpu_fwif_queue *q, int timeout_ms)
{
	if (!q->iface)
		return -EINVAL;
	return fwif_queue_request(q, SIMGPU_FW_C_QUEUE_STOP, timeout_ms);
}

int simgpu_fwif_queue_restart(struct simgpu_fwif_queue *q, int timeout_ms)
{
	int ret = simgpu_fwif_queue_stop(q, timeout_ms);

	if (ret)
		return ret;
	return fwif_queue_request(q, SIMGPU_FW_C_QUEUE_START, timeout_ms);
}

int simgpu_fwif_queue_push(struct simgpu_fwif_queue *q,
			   const struct simgpu_fwif_entry *e)
{
	struct simgpu_fwif *fwif = q->fwif;
	uint64_t mask, es, extract;
	uint8_t *entry;
	int ret;

	/* The layout is the running version's. */
	if (!fwif->v)
		return -ENODEV;
	mask = fwif_counter_mask(fwif);
	es = fwif->ring_entry_size;
	extract = fwif_queue_extract(q);
	if (((q->insert - extract) & mask) + es > q->ring_size)
		return -ENOSPC;
	if ((e->wait_va || e->wait_value) &&
	    !fwabi_has(fwif->v, SIMGPU_FW_RING_ENTRY_WAIT_VA))
		return -EOPNOTSUPP;
	if (e->flags && !fwabi_has(fwif->v, SIMGPU_FW_RING_ENTRY_FLAGS))
		return -EOPNOTSUPP;

	entry = q->ring + (q->insert & mask) % q->ring_size;
	/* Stale words of an earlier entry (and pads) must read as zero. */
	for (uint64_t i = 0; i < es; i += 8)
		__atomic_store_n((uint64_t *)(entry + i), 0, __ATOMIC_RELAXED);
	ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_TYPE, entry, e->type);
	if (!ret)
		ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_STREAM_VA, entry,
			       e->stream_va);
	if (!ret)
		ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_STREAM_SIZE, entry,
			       e->stream_size);
	if (!ret)
		ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_SYNC_VA, entry,
			       e->sync_va);
	if (!ret)
		ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_SYNC_SEQNO, entry,
			       e->sync_seqno);
	if (!ret && fwabi_has(fwif->v, SIMGPU_FW_RING_ENTRY_WAIT_VA)) {
		ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_FLAGS, entry,
			       e->flags);
		if (!ret)
			ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_WAIT_VA,
				       entry, e->wait_va);
		if (!ret)
			ret = fwif_set(fwif, SIMGPU_FW_RING_ENTRY_WAIT_VALUE,
				       entry, e->wait_value);
	}
	if (ret)
		return ret;
	q->insert = (q->insert + es) & mask;
	return 0;
}

void simgpu_fwif_queue_kick(struct simgpu_fwif_queue *q)
{
	q->kicked = q->insert;
	/* Unbound: bind publishes it. */
	if (!q->iface)
		return;
	/* Release: the entries before the insert pointer that covers them. */
	fwif_set(q->fwif, SIMGPU_FW_QUEUE_RING_INSERT, q->iface, q->kicked);
	simgpu_dev_ring_doorbell(q->fwif->dev, q->doorbell);
}

int simgpu_fwif_queue_submit(struct simgpu_fwif_queue *q,
			     const struct simgpu_fwif_entry *e)
{
	int ret = simgpu_fwif_queue_push(q, e);

	if (!ret)
		simgpu_fwif_queue_kick(q);
	return ret;
}

void simgpu_fwif_queue_state(struct simgpu_fwif_queue *q,
			     struct simgpu_fwif_queue_state *state)
{
	struct simgpu_fwif *fwif = q->fwif;

	/* Unbound: nothing but where it stopped. */
	if (!q->iface) {
		*state = (struct simgpu_fwif_queue_state){
			.status = UINT32_MAX,
			.extract = q->extract,
		};
		return;
	}
	state->status =
		(uint32_t)fwif_get(fwif, SIMGPU_FW_QUEUE_STATUS, q->iface);
	state->error = (int32_t)fwif_get(fwif, SIMGPU_FW_QUEUE_ERROR, q->iface);
	state->extract = fwif_get(fwif, SIMGPU_FW_QUEUE_RING_EXTRACT, q->iface);
	state->fault_va = fwif_get(fwif, SIMGPU_FW_QUEUE_FAULT_VA, q->iface);
	state->fault_access = (uint32_t)fwif_get(
		fwif, SIMGPU_FW_QUEUE_FAULT_ACCESS, q->iface);
	state->progress = fwif_get(fwif, SIMGPU_FW_QUEUE_PROGRESS, q->iface);
}

struct fwif_status_wait {
	struct simgpu_fwif_queue *q;
	uint64_t status;
};

static bool fwif_queue_has_status(void *arg)
{
	struct fwif_status_wait *w = arg;

	return w->q->iface && fwif_get(w->q->fwif, SIMGPU_FW_QUEUE_STATUS,
				       w->q->iface) == w->status;
}

int simgpu_fwif_queue_wait_status(struct simgpu_fwif_queue *q,
				  unsigned int status_const_id, int timeout_ms)
{
	struct fwif_status_wait w = {q, fwif_c(q->fwif, status_const_id)};

	return fwif_wait(q->fwif, fwif_queue_has_status, &w, timeout_ms);
}

static bool fwif_queue_idle(void *arg)
{
	struct simgpu_fwif_queue *q = arg;

	return fwif_queue_extract(q) == q->kicked;
}

int simgpu_fwif_queue_wait_idle(struct simgpu_fwif_queue *q, int timeout_ms)
{
	return fwif_wait(q->fwif, fwif_queue_idle, q, timeout_ms);
}

/*
 * Sync objects.
 */

void simgpu_fwif_sync_read(const struct simgpu_fwif *fwif, const void *sync,
			   uint64_t *seqno, int32_t *status)
{
	const struct fwabi_version *v =
		fwif->v ? fwif->v : &simgpu_fw_versions[0];
	uint64_t value = 0;

	/* Status after seqno: the firmware writes them the other way. */
	fwabi_get(v, SIMGPU_FW_SYNC_OBJ_SEQNO, sync, 0, &value);
	*seqno = value;
	value = 0;
	fwabi_get(v, SIMGPU_FW_SYNC_OBJ_STATUS, sync, 0, &value);
	if (status)
		*status = (int32_t)value;
}

void simgpu_fwif_sync_init(const struct simgpu_fwif *fwif, void *sync,
			   uint64_t seqno)
{
	const struct fwabi_version *v =
		fwif->v ? fwif->v : &simgpu_fw_versions[0];

	fwabi_set(v, SIMGPU_FW_SYNC_OBJ_STATUS, sync, 0, 0);
	fwabi_set(v, SIMGPU_FW_SYNC_OBJ_SEQNO, sync, 0, seqno);
}

struct fwif_sync_wait {
	const struct simgpu_fwif *fwif;
	const void *sync;
	uint64_t seqno;
};

static bool fwif_sync_reached(void *arg)
{
	struct fwif_sync_wait *w = arg;
	uint64_t seqno;

	simgpu_fwif_sync_read(w->fwif, w->sync, &seqno, NULL);
	return seqno >= w->seqno;
}

int simgpu_fwif_sync_wait(struct simgpu_fwif *fwif, const void *sync,
			  uint64_t seqno, int timeout_ms, int32_t *status)
{
	struct fwif_sync_wait w = {fwif, sync, seqno};
	uint64_t got;
	int ret;

	ret = fwif_wait(fwif, fwif_sync_reached, &w, timeout_ms);
	if (!ret)
		simgpu_fwif_sync_read(fwif, sync, &got, status);
	return ret;
}
