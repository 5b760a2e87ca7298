// SPDX-License-Identifier: MIT
/*
 * The simgpu firmware through its shared-memory interface, as a driver
 * drives it (simgpu_fwif, simgpu_pt), without the DRM uapi: boot and its
 * refusals, every command through a ring, WAIT and SYNC_WAIT, DISPATCH on
 * one and two cores against the CPU, priorities and round-robin, MMU
 * faults, a hang caught by the watchdog, heartbeat, halt and reboot into
 * another version, teardown with work in flight; the GPU reaching a
 * file's pages through the aperture, MMU_FLUSH reaching a running queue,
 * queues bound to and unbound from slots (across the counters' wrap) and
 * the driver's interrupt hook. Every test runs on every firmware ABI
 * version of the schema.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "simgpu_check.h"
#include <drm_fourcc.h>

#include "gpu/simgpu_cs.h"
#include "simgpu_fwif.h"
#include "simgpu_pt.h"

#define TIMEOUT_MS 5000

/* GPU VA of the test memory, above 4 GiB. */
#define MEM_VA	    0x100000000ull
#define MEM_SIZE    (4ull << 20)
#define RING_OFF    0x0	     /* 4 KiB per queue slot, 16 slots */
#define SYNC_OFF    0x10000  /* 16 bytes per sync object */
#define STREAM_OFF  0x20000  /* streams, bump-allocated */
#define DATA_OFF    0x100000 /* data */
#define RING_SIZE   4096u
#define UNMAPPED_VA 0x700000000000ull

struct fx {
	struct simgpu_dev *dev;
	struct simgpu_fwif fwif;
	struct simgpu_pt pt;
	struct udrm_mm_node mem;
	uint8_t *cpu;
	uint64_t stream_next;
	const char *version;
	struct simgpu_fwif_queue q[16];
};

static uint64_t va(uint64_t off)
{
	return MEM_VA + off;
}

static void *ptr(struct fx *fx, uint64_t off)
{
	return fx->cpu + off;
}

static uint64_t sync_off(unsigned int i)
{
	return SYNC_OFF + 16u * i;
}

static uint64_t cst(struct fx *fx, unsigned int id)
{
	uint64_t value = 0;

	expect_eq(simgpu_fwif_const(&fx->fwif, id, &value), 0,
		  "constant %u of %s", id, fx->version);
	return value;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void fx_create(struct fx *fx, uint32_t code, unsigned int cores)
{
	struct simgpu_dev_config config;

	memset(fx, 0, sizeof(*fx));
	simgpu_dev_config_default(&config);
	config.num_cores = cores;
	config.fw_version = code;
	expect_eq(simgpu_dev_create(&config, &fx->dev), 0, "device");
	simgpu_fwif_init(&fx->fwif, fx->dev);
	fx->version = simgpu_fw_version_name(code);
}

/* The address space of group 0 (and any other): MEM_SIZE of VRAM at
 * MEM_VA, read-write. */
static void fx_map(struct fx *fx)
{
	expect_eq(simgpu_pt_init(&fx->pt, fx->dev), 0, "page tables");
	expect_eq(simgpu_dev_vram_alloc(fx->dev, &fx->mem, MEM_SIZE, 0), 0,
		  "test memory");
	fx->cpu = simgpu_dev_vram_ptr(fx->dev, fx->mem.start);
	expect_eq(simgpu_pt_map(&fx->pt, MEM_VA, fx->mem.start, MEM_SIZE,
				SIMGPU_PTE_READ | SIMGPU_PTE_WRITE),
		  0, "map the test memory");
	fx->stream_next = STREAM_OFF;
}

/* A booted device with group 0 (priority 5) on the test memory. */
static void fx_setup(struct fx *fx, uint32_t code, unsigned int cores)
{
	fx_create(fx, code, cores);
	expect_eq(simgpu_fwif_boot(&fx->fwif, 0, TIMEOUT_MS), 0, "boot %s",
		  fx->version);
	fx_map(fx);
	expect_eq(simgpu_fwif_group_start(&fx->fwif, 0, simgpu_pt_root(&fx->pt),
					  5, TIMEOUT_MS),
		  0, "group 0 start on %s", fx->version);
}

static void fx_teardown(struct fx *fx)
{
	simgpu_fwif_fini(&fx->fwif);
	if (fx->pt.dev)
		simgpu_pt_fini(&fx->pt);
	if (udrm_mm_node_allocated(&fx->mem))
		simgpu_dev_vram_free(fx->dev, &fx->mem);
	simgpu_dev_destroy(fx->dev);
}

static struct simgpu_fwif_queue *fx_queue(struct fx *fx, unsigned int group,
					  unsigned int index)
{
	unsigned int slot = group * fx->fwif.queues_per_group + index;
	struct simgpu_fwif_queue *q = &fx->q[slot];

	expect_eq(simgpu_fwif_queue_start(&fx->fwif, q, group, index,
					  ptr(fx, RING_OFF + slot * RING_SIZE),
					  va(RING_OFF + slot * RING_SIZE),
					  RING_SIZE, TIMEOUT_MS),
		  0, "queue %u/%u start on %s", group, index, fx->version);
	return q;
}

/* Copies a built stream into GPU memory; its VA. */
static uint64_t fx_stream(struct fx *fx, const struct simgpu_cs_builder *b)
{
	uint64_t off = fx->stream_next;

	check(!b->overflow, "stream builder overflow");
	check(off + b->len * 4 <= DATA_OFF, "out of stream space");
	memcpy(ptr(fx, off), b->words, b->len * 4);
	fx->stream_next = (off + b->len * 4 + 63) & ~63ull;
	return va(off);
}

/* Submits an EXEC of @b signalling sync object @sync with @seqno. */
static void fx_exec(struct fx *fx, struct simgpu_fwif_queue *q,
		    const struct simgpu_cs_builder *b, unsigned int sync,
		    uint64_t seqno)
{
	struct simgpu_fwif_entry e = {
		.type = (uint32_t)cst(fx, SIMGPU_FW_C_MSG_EXEC),
		.stream_va = fx_stream(fx, b),
		.stream_size = b->len * 4,
		.sync_va = va(sync_off(sync)),
		.sync_seqno = seqno,
	};

	expect_eq(simgpu_fwif_queue_submit(q, &e), 0, "submit on %s",
		  fx->version);
}

/* Waits for sync object @sync to reach @seqno; its status. */
static int32_t fx_wait(struct fx *fx, unsigned int sync, uint64_t seqno)
{
	int32_t status = 1;

	expect_eq(simgpu_fwif_sync_wait(&fx->fwif, ptr(fx, sync_off(sync)),
					seqno, TIMEOUT_MS, &status),
		  0, "sync %u reaching %llu on %s", sync,
		  (unsigned long long)seqno, fx->version);
	return status;
}

static uint32_t rd32(struct fx *fx, uint64_t off)
{
	return __atomic_load_n((uint32_t *)ptr(fx, off), __ATOMIC_ACQUIRE);
}

static uint64_t rd64(struct fx *fx, uint64_t off)
{
	return __atomic_load_n((uint64_t *)ptr(fx, off), __ATOMIC_ACQUIRE);
}

static void wr64(struct fx *fx, uint64_t off, uint64_t value)
{
	__atomic_store_n((uint64_t *)ptr(fx, off), value, __ATOMIC_RELEASE);
}

static uint32_t version_code(unsigned int i)
{
	return simgpu_fw_versions[i].code;
}

/*
 * Boot.
 */

static void boot_reports_the_control_block_of_every_version(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const struct fwabi_version *v = &simgpu_fw_versions[i];
		uint64_t entry_size;
		bool sync_wait;
		struct fx fx;

		fx_create(&fx, v->code, 2);
		expect_eq(simgpu_dev_boot_status(fx.dev), SIMGPU_BOOT_OFF,
			  "status before boot");
		expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0,
			  "boot %s", v->name);
		expect_eq(simgpu_dev_boot_status(fx.dev), SIMGPU_BOOT_READY,
			  "boot status of %s", v->name);
		check(fx.fwif.v == v, "%s: control block names %s", v->name,
		      fx.fwif.v ? fx.fwif.v->name : "nothing");
		expect_eq(fx.fwif.num_groups, 8, "%s num_groups", v->name);
		expect_eq(fx.fwif.queues_per_group, 4, "%s queues", v->name);
		/* 1.0 has no num_cores: its driver assumes one. */
		expect_eq(fx.fwif.num_cores,
			  fwabi_has(v, SIMGPU_FW_CONTROL_NUM_CORES) ? 2 : 1,
			  "%s num_cores", v->name);
		entry_size = cst(&fx, SIMGPU_FW_C_RING_ENTRY_SIZE);
		expect_eq(fx.fwif.ring_entry_size, entry_size,
			  "%s ring entry size", v->name);
		sync_wait = !fwabi_const_get(v, SIMGPU_FW_C_MSG_SYNC_WAIT,
					     &entry_size);
		expect_eq(simgpu_fwif_has_feature(&fx.fwif,
						  SIMGPU_FW_C_FEAT_SYNC_WAIT),
			  sync_wait, "%s FEAT_SYNC_WAIT", v->name);
		check(simgpu_fwif_has_feature(&fx.fwif,
					      SIMGPU_FW_C_FEAT_TIMESTAMP),
		      "%s lacks FEAT_TIMESTAMP", v->name);
		expect_eq(simgpu_dev_write_reg(fx.dev, SIMGPU_REG_CONTROL,
					       SIMGPU_CONTROL_BOOT),
			  -EBUSY, "booting a running firmware");
		for (unsigned int p = 0; p < 3; p++)
			expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0,
				  "%s heartbeat %u", v->name, p);
		expect_eq(simgpu_fwif_halt(&fx.fwif, TIMEOUT_MS), 0, "halt %s",
			  v->name);
		expect_eq(simgpu_dev_boot_status(fx.dev), SIMGPU_BOOT_HALTED,
			  "status after halt");
		expect_eq(simgpu_fwif_ping(&fx.fwif, 100), -ENODEV,
			  "ping after halt");
		fx_teardown(&fx);
	}
}

static void unknown_version_and_bad_magic_are_refused_with_enodev(void **state)
{
	const uint32_t unknown[] = {0x09000000u, 0x01000000u, 0x02000002u, 0};
	struct fx fx;

	(void)state;
	fx_create(&fx, simgpu_fw_version_newest(), 2);
	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]);
	     i++) {
		check(!simgpu_fw_abi_lookup(unknown[i]),
		      "0x%08x is a known version", unknown[i]);
		expect_eq(simgpu_fwif_boot_image(&fx.fwif, unknown[i],
						 SIMGPU_FW_IMAGE_MAGIC,
						 TIMEOUT_MS),
			  -ENODEV, "boot of version 0x%08x", unknown[i]);
		expect_eq(simgpu_dev_boot_status(fx.dev), -ENODEV,
			  "boot status after version 0x%08x", unknown[i]);
	}
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		expect_eq(simgpu_fwif_boot_image(&fx.fwif, version_code(i),
						 0x46574753u, TIMEOUT_MS),
			  -ENODEV, "boot of %s with a bad magic",
			  simgpu_fw_versions[i].name);
		expect_eq(simgpu_dev_boot_status(fx.dev), -ENODEV,
			  "boot status after a bad magic");
	}
	/* The device is not harmed: a good image boots. */
	expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0,
		  "boot after refusals");
	expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0, "ping");
	fx_teardown(&fx);
}

static void versions_parse_by_name_and_code(void **state)
{
	uint32_t code;

	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		char text[32];

		expect_eq(simgpu_fw_version_parse(simgpu_fw_versions[i].name,
						  &code),
			  0, "parse %s", simgpu_fw_versions[i].name);
		expect_eq(code, version_code(i), "code of %s",
			  simgpu_fw_versions[i].name);
		snprintf(text, sizeof(text), "0x%08x", version_code(i));
		expect_eq(simgpu_fw_version_parse(text, &code), 0, "parse %s",
			  text);
	}
	expect_eq(simgpu_fw_version_parse("2.0-rc1", &code), 0, "2.0-rc1");
	expect_eq(code, 0x02000001, "2.0-rc1 code");
	expect_eq(simgpu_fw_version_parse("3.0", &code), -EINVAL, "3.0");
	expect_eq(simgpu_fw_version_parse("0x09000000", &code), -EINVAL,
		  "an unknown code");
	expect_eq(simgpu_fw_version_parse("", &code), -EINVAL, "empty");
}

static void device_config_and_registers(void **state)
{
	struct simgpu_dev_config config;
	struct simgpu_dev *dev;
	struct udrm_mm_node a = {0}, b = {0};

	(void)state;
	simgpu_dev_config_default(&config);
	config.num_cores = 0;
	expect_eq(simgpu_dev_create(&config, &dev), -EINVAL, "0 cores");
	simgpu_dev_config_default(&config);
	config.fw_version = 0x09000000;
	expect_eq(simgpu_dev_create(&config, &dev), -EINVAL,
		  "an unknown firmware version");
	simgpu_dev_config_default(&config);
	config.vram_size = 1 << 20;
	expect_eq(simgpu_dev_create(&config, &dev), 0, "1 MiB device");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_VRAM_SIZE), 1 << 20,
		  "VRAM_SIZE");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_NUM_CORES), 2,
		  "NUM_CORES");
	expect_eq(simgpu_dev_read_reg(dev, SIMGPU_REG_NUM_DOORBELLS), 33,
		  "NUM_DOORBELLS");
	expect_eq(simgpu_dev_ring_doorbell(dev, 33), -EINVAL,
		  "doorbell out of range");
	expect_eq(simgpu_dev_write_reg(dev, SIMGPU_REG_BOOT_STATUS, 2), -EINVAL,
		  "writing a read-only register");
	expect_eq(simgpu_dev_vram_alloc(dev, &a, 768 << 10, 0), 0, "768 KiB");
	expect_eq(simgpu_dev_vram_alloc(dev, &b, 512 << 10, 0), -ENOSPC,
		  "512 KiB more");
	simgpu_dev_vram_free(dev, &a);
	expect_eq(simgpu_dev_vram_alloc(dev, &b, 512 << 10, 1 << 16), 0,
		  "512 KiB after the free");
	expect_eq(b.start % (1 << 16), 0, "alignment");
	simgpu_dev_vram_free(dev, &b);
	expect_eq(simgpu_dev_wait_irq(dev, 0), -ETIMEDOUT, "no interrupt");
	simgpu_dev_destroy(dev);
}

/*
 * Commands.
 */

static void every_command_runs_through_a_ring_on_every_version(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		uint32_t words[256], sub_words[16], tail_words[16];
		struct simgpu_cs_builder b, sub, tail;
		struct simgpu_kernel_reduce_args *ra;
		struct simgpu_fwif_queue *q;
		uint64_t d = DATA_OFF, sub_va, tail_va, ts;
		uint32_t *src;
		uint16_t *dst565;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);

		/* A called buffer and a jumped-to tail. */
		simgpu_cs_builder_init(&sub, sub_words, 16);
		simgpu_cs_write32(&sub, va(d + 0x40), 0x5b5b5b5b);
		simgpu_cs_return(&sub);
		sub_va = fx_stream(&fx, &sub);
		simgpu_cs_builder_init(&tail, tail_words, 16);
		simgpu_cs_write32(&tail, va(d + 0x44), 0x7a117a11);
		simgpu_cs_sync_set(&tail, va(sync_off(2)), 77);
		tail_va = fx_stream(&fx, &tail);

		/* Inputs: COPY source, BLIT source, reduce input, WAIT value.
		 */
		for (unsigned int k = 0; k < 16; k++)
			((uint32_t *)ptr(&fx, d + 0x100))[k] = 0x01010101u * k;
		src = ptr(&fx, d + 0x200);
		src[0] = 0x00ff0000; /* red */
		src[1] = 0x0000ff00; /* green */
		src[2] = 0x000000ff; /* blue */
		src[3] = 0x00ffffff;
		for (unsigned int k = 0; k < 100; k++)
			((uint32_t *)ptr(&fx, d + 0x1000))[k] = k + 1;
		ra = ptr(&fx, d + 0x300);
		*ra = (struct simgpu_kernel_reduce_args){
			.x = va(d + 0x1000), .out = va(d + 0x48), .n = 100};
		wr64(&fx, d + 0x50, 9);

		simgpu_cs_builder_init(&b, words, 256);
		simgpu_cs_nop(&b);
		simgpu_cs_write32(&b, va(d + 0x0), 0xdeadbeef);
		simgpu_cs_write64(&b, va(d + 0x8), 0x0123456789abcdefull);
		simgpu_cs_fill(&b, va(d + 0x400), 64, 0xa5a5a5a5);
		simgpu_cs_copy(&b, va(d + 0x500), va(d + 0x100), 64);
		simgpu_cs_blit(&b, va(d + 0x600), 8, DRM_FORMAT_RGB565,
			       va(d + 0x200), 8, DRM_FORMAT_XRGB8888, 2, 2);
		simgpu_cs_wait(&b, va(d + 0x50), 9, SIMGPU_CS_WAIT_GE);
		simgpu_cs_sync_add(&b, va(sync_off(1)), 3);
		simgpu_cs_sync_add(&b, va(sync_off(1)), 4);
		simgpu_cs_timestamp(&b, va(d + 0x58));
		simgpu_cs_call(&b, sub_va, (uint32_t)sub.len * 4);
		simgpu_cs_error_barrier(&b);
		simgpu_cs_dispatch(&b, SIMGPU_KERNEL_REDUCE_SUM, va(d + 0x300),
				   100);
		simgpu_cs_jump(&b, tail_va, (uint32_t)tail.len * 4);
		ts = now_ns();
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), 0, "status of the stream on %s",
			  fx.version);

		expect_eq(rd32(&fx, d), 0xdeadbeef, "WRITE32 on %s",
			  fx.version);
		expect_eq(rd64(&fx, d + 8), 0x0123456789abcdefull,
			  "WRITE64 on %s", fx.version);
		for (unsigned int k = 0; k < 16; k++) {
			expect_eq(rd32(&fx, d + 0x400 + 4 * k), 0xa5a5a5a5,
				  "FILL word %u on %s", k, fx.version);
			expect_eq(rd32(&fx, d + 0x500 + 4 * k), 0x01010101u * k,
				  "COPY word %u on %s", k, fx.version);
		}
		dst565 = ptr(&fx, d + 0x600);
		expect_eq(dst565[0], 0xf800, "BLIT red on %s", fx.version);
		expect_eq(dst565[1], 0x07e0, "BLIT green on %s", fx.version);
		expect_eq(dst565[4], 0x001f, "BLIT blue on %s", fx.version);
		expect_eq(dst565[5], 0xffff, "BLIT white on %s", fx.version);
		expect_eq(rd64(&fx, sync_off(1)), 7, "SYNC_ADD on %s",
			  fx.version);
		check(rd64(&fx, d + 0x58) >= ts &&
			      rd64(&fx, d + 0x58) <= now_ns(),
		      "TIMESTAMP %llu not between submission %llu and now on "
		      "%s",
		      (unsigned long long)rd64(&fx, d + 0x58),
		      (unsigned long long)ts, fx.version);
		expect_eq(rd32(&fx, d + 0x40), 0x5b5b5b5b, "CALL on %s",
			  fx.version);
		expect_eq(rd32(&fx, d + 0x48), 5050, "DISPATCH reduce on %s",
			  fx.version);
		expect_eq(rd32(&fx, d + 0x44), 0x7a117a11, "JUMP on %s",
			  fx.version);
		expect_eq(rd64(&fx, sync_off(2)), 77, "SYNC_SET on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_idle(q, TIMEOUT_MS), 0,
			  "ring consumed on %s", fx.version);
		fx_teardown(&fx);
	}
}

static void nop_entries_signal_and_the_ring_wraps(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue *q;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		struct simgpu_fwif_entry e;
		uint64_t seqno;
		struct fx fx;
		int ret;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 1);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_sync_add(&b, va(sync_off(3)), 1);
		e = (struct simgpu_fwif_entry){
			.type = (uint32_t)cst(&fx, SIMGPU_FW_C_MSG_EXEC),
			.stream_va = fx_stream(&fx, &b),
			.stream_size = b.len * 4,
			.sync_va = va(sync_off(0)),
		};
		/* Five rings' worth of entries, alternating NOP and EXEC. */
		for (seqno = 1;
		     seqno <= 5 * RING_SIZE / fx.fwif.ring_entry_size;
		     seqno++) {
			e.type = (uint32_t)cst(
				&fx, seqno % 2 ? SIMGPU_FW_C_MSG_NOP
					       : SIMGPU_FW_C_MSG_EXEC);
			e.sync_seqno = seqno;
			while ((ret = simgpu_fwif_queue_submit(q, &e)) ==
			       -ENOSPC)
				fx_wait(&fx, 0,
					seqno - RING_SIZE /
							fx.fwif.ring_entry_size /
							2);
			expect_eq(ret, 0, "submit %llu on %s",
				  (unsigned long long)seqno, fx.version);
		}
		expect_eq(fx_wait(&fx, 0, seqno - 1), 0, "last entry on %s",
			  fx.version);
		expect_eq(rd64(&fx, sync_off(3)), (seqno - 1) / 2,
			  "EXEC entries run on %s", fx.version);
		fx_teardown(&fx);
	}
}

static void wait_resumes_after_a_doorbell_or_another_queues_write(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue *q0, *q1;
		struct simgpu_fwif_queue_state st;
		uint32_t words[32];
		struct simgpu_cs_builder b;
		uint64_t d = DATA_OFF;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q0 = fx_queue(&fx, 0, 0);
		q1 = fx_queue(&fx, 0, 1);

		/* Woken by the CPU and a doorbell. */
		simgpu_cs_builder_init(&b, words, 32);
		simgpu_cs_wait(&b, va(d), 1, SIMGPU_CS_WAIT_EQ);
		simgpu_cs_write32(&b, va(d + 8), 0x600d);
		fx_exec(&fx, q0, &b, 0, 1);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q0, SIMGPU_FW_C_QUEUE_WAITING, TIMEOUT_MS),
			  0, "queue waiting on %s", fx.version);
		msleep(5);
		expect_eq(rd32(&fx, d + 8), 0, "ran past an unmet WAIT on %s",
			  fx.version);
		wr64(&fx, d, 1);
		simgpu_dev_ring_doorbell(fx.dev, q0->doorbell);
		expect_eq(fx_wait(&fx, 0, 1), 0, "after the doorbell on %s",
			  fx.version);
		expect_eq(rd32(&fx, d + 8), 0x600d, "after the WAIT on %s",
			  fx.version);

		/* Woken by another queue's plain write (no sync object, no
		 * doorbell: the firmware's bounded poll). */
		simgpu_cs_builder_init(&b, words, 32);
		simgpu_cs_wait(&b, va(d + 16), 0x42, SIMGPU_CS_WAIT_GE);
		simgpu_cs_write32(&b, va(d + 24), 0x600e);
		fx_exec(&fx, q0, &b, 0, 2);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q0, SIMGPU_FW_C_QUEUE_WAITING, TIMEOUT_MS),
			  0, "queue waiting again on %s", fx.version);
		simgpu_cs_builder_init(&b, words, 32);
		simgpu_cs_write64(&b, va(d + 16), 0x42);
		fx_exec(&fx, q1, &b, 1, 1);
		expect_eq(fx_wait(&fx, 1, 1), 0, "the writer on %s",
			  fx.version);
		expect_eq(fx_wait(&fx, 0, 2), 0, "the waiter on %s",
			  fx.version);
		expect_eq(rd32(&fx, d + 24), 0x600e, "after the WAIT on %s",
			  fx.version);
		simgpu_fwif_queue_state(q0, &st);
		check(st.progress >= 4, "progress %llu on %s",
		      (unsigned long long)st.progress, fx.version);
		fx_teardown(&fx);
	}
}

static void
sync_wait_entries_hold_the_ring_where_the_version_has_them(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const struct fwabi_version *newest =
			simgpu_fw_abi_lookup(simgpu_fw_version_newest());
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		struct simgpu_fwif_entry e;
		uint64_t sync_wait_type;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		int32_t status = 0;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(DATA_OFF), 0x5117);

		if (simgpu_fwif_has_feature(&fx.fwif,
					    SIMGPU_FW_C_FEAT_SYNC_WAIT)) {
			e = (struct simgpu_fwif_entry){
				.type = (uint32_t)cst(
					&fx, SIMGPU_FW_C_MSG_SYNC_WAIT),
				.wait_va = va(sync_off(5)),
				.wait_value = 5,
			};
			expect_eq(simgpu_fwif_queue_push(q, &e), 0,
				  "SYNC_WAIT on %s", fx.version);
			fx_exec(&fx, q, &b, 0, 1);
			expect_eq(simgpu_fwif_queue_wait_status(
					  q, SIMGPU_FW_C_QUEUE_WAITING,
					  TIMEOUT_MS),
				  0, "queue waiting on %s", fx.version);
			simgpu_fwif_sync_init(&fx.fwif, ptr(&fx, sync_off(5)),
					      4);
			simgpu_dev_ring_doorbell(fx.dev, q->doorbell);
			msleep(10);
			expect_eq(rd32(&fx, DATA_OFF), 0,
				  "an entry ran past SYNC_WAIT at 4 < 5 on %s",
				  fx.version);
			simgpu_fwif_sync_init(&fx.fwif, ptr(&fx, sync_off(5)),
					      5);
			simgpu_dev_ring_doorbell(fx.dev, q->doorbell);
			expect_eq(fx_wait(&fx, 0, 1), 0, "after the SYNC_WAIT");
			expect_eq(rd32(&fx, DATA_OFF), 0x5117,
				  "the entry after SYNC_WAIT on %s",
				  fx.version);
			fx_teardown(&fx);
			continue;
		}

		/* The driver side refuses fields the version lacks... */
		e = (struct simgpu_fwif_entry){
			.type = 2,
			.wait_va = va(sync_off(5)),
			.wait_value = 5,
		};
		expect_eq(simgpu_fwif_queue_push(q, &e), -EOPNOTSUPP,
			  "SYNC_WAIT fields on %s", fx.version);
		/* ...and the firmware refuses the message type. */
		check(!fwabi_const_get(newest, SIMGPU_FW_C_MSG_SYNC_WAIT,
				       &sync_wait_type),
		      "the newest version has MSG_SYNC_WAIT");
		e = (struct simgpu_fwif_entry){
			.type = (uint32_t)sync_wait_type,
			.sync_va = va(sync_off(0)),
			.sync_seqno = 1,
		};
		expect_eq(simgpu_fwif_queue_submit(q, &e), 0,
			  "forged SYNC_WAIT on %s", fx.version);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q, SIMGPU_FW_C_QUEUE_ERROR, TIMEOUT_MS),
			  0, "queue in ERROR on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.error, -EINVAL, "queue error on %s", fx.version);
		expect_eq(simgpu_fwif_sync_wait(&fx.fwif, ptr(&fx, sync_off(0)),
						1, TIMEOUT_MS, &status),
			  0, "the refused entry's sync on %s", fx.version);
		expect_eq(status, -EINVAL, "its status on %s", fx.version);
		/* A restart goes on with the next entry. */
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		fx_exec(&fx, q, &b, 0, 2);
		expect_eq(fx_wait(&fx, 0, 2), 0, "after restart on %s",
			  fx.version);
		fx_teardown(&fx);
	}
}

/*
 * DISPATCH.
 */

static void dispatch_on_one_and_two_cores_matches_the_cpu(void **state)
{
	enum { N = 20000, W = 96, H = 64, ITER = 200 };

	(void)state;
	for (unsigned int cores = 1; cores <= 2; cores++) {
		for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
			struct simgpu_kernel_saxpy_args *sa;
			struct simgpu_kernel_reduce_args *ra;
			struct simgpu_kernel_mandelbrot_args *ma;
			struct simgpu_fwif_queue *q;
			uint64_t x = DATA_OFF, y = x + 4 * N, ry = y + 4 * N;
			uint64_t pic = ry + 4 * N, args = pic + 4 * W * H;
			uint32_t words[64], *ref_pic;
			float *ref_y;
			struct simgpu_cs_builder b;
			struct fx fx;

			fx_setup(&fx, version_code(i), cores);
			q = fx_queue(&fx, 0, 0);
			ref_y = malloc(4 * N);
			ref_pic = calloc(W * H, 4);
			for (unsigned int k = 0; k < N; k++) {
				((float *)ptr(&fx, x))[k] = (float)k * 0.25f;
				((float *)ptr(&fx, y))[k] = 1.0f - (float)k;
				ref_y[k] = 1.0f - (float)k;
				((uint32_t *)ptr(&fx, ry))[k] = k * 2654435761u;
			}
			sa = ptr(&fx, args);
			*sa = (struct simgpu_kernel_saxpy_args){
				.x = va(x), .y = va(y), .n = N, .a = 1.5f};
			ra = ptr(&fx, args + 64);
			*ra = (struct simgpu_kernel_reduce_args){
				.x = va(ry), .out = va(args + 256), .n = N};
			ma = ptr(&fx, args + 128);
			*ma = (struct simgpu_kernel_mandelbrot_args){
				.dst = va(pic),
				.width = W,
				.height = H,
				.pitch = 4 * W,
				.max_iter = ITER,
				.x0 = -2.0f,
				.y0 = -1.0f,
				.step = 2.0f / H,
			};
			simgpu_cs_builder_init(&b, words, 64);
			simgpu_cs_dispatch(&b, SIMGPU_KERNEL_SAXPY, va(args),
					   N);
			simgpu_cs_dispatch(&b, SIMGPU_KERNEL_REDUCE_SUM,
					   va(args + 64), N);
			simgpu_cs_dispatch(&b, SIMGPU_KERNEL_MANDELBROT,
					   va(args + 128), H);
			fx_exec(&fx, q, &b, 0, 1);
			expect_eq(fx_wait(&fx, 0, 1), 0,
				  "DISPATCH on %u cores, %s", cores,
				  fx.version);

			simgpu_kernel_saxpy_cpu(ref_y, ptr(&fx, x), 1.5f, N);
			check(!memcmp(ref_y, ptr(&fx, y), 4 * N),
			      "saxpy on %u cores differs from the CPU (%s)",
			      cores, fx.version);
			expect_eq(rd32(&fx, args + 256),
				  simgpu_kernel_reduce_cpu(ptr(&fx, ry), N),
				  "reduce on %u cores, %s", cores, fx.version);
			simgpu_kernel_mandelbrot_cpu(ref_pic, W, H, 4 * W, ITER,
						     -2.0f, -1.0f, 2.0f / H);
			check(!memcmp(ref_pic, ptr(&fx, pic), 4 * W * H),
			      "mandelbrot on %u cores differs from the CPU "
			      "(%s)",
			      cores, fx.version);
			free(ref_y);
			free(ref_pic);
			fx_teardown(&fx);
		}
	}
}

/*
 * Scheduling.
 */

/* A stream of TIMESTAMP, @calls CALLs of a buffer of NOPs, TIMESTAMP. */
static void build_timed_nops(struct fx *fx, struct simgpu_cs_builder *b,
			     uint64_t nops_va, uint32_t nops_size,
			     unsigned int calls, uint64_t ts_off)
{
	simgpu_cs_timestamp(b, va(ts_off));
	for (unsigned int k = 0; k < calls; k++)
		simgpu_cs_call(b, nops_va, nops_size);
	simgpu_cs_timestamp(b, va(ts_off + 8));
}

static uint64_t fx_nops(struct fx *fx, unsigned int count, uint32_t *size)
{
	uint32_t *words = malloc(count * 4);
	struct simgpu_cs_builder b;
	uint64_t nops;

	simgpu_cs_builder_init(&b, words, count);
	for (unsigned int k = 0; k < count; k++)
		simgpu_cs_nop(&b);
	nops = fx_stream(fx, &b);
	*size = count * 4;
	free(words);
	return nops;
}

static void higher_priority_groups_run_first_equal_ones_take_turns(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue *lo, *hi, *a, *b2;
		uint64_t ts = DATA_OFF, nops;
		uint32_t words[64], nops_size;
		struct simgpu_cs_builder b;
		struct fx fx;

		/* One core, so that only the scheduler decides. */
		fx_create(&fx, version_code(i), 1);
		expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0, "boot");
		fx_map(&fx);
		nops = fx_nops(&fx, 8192, &nops_size);

		/* Groups 1 (priority 2) and 2 (priority 9) get their work
		 * before they start, then start together. */
		lo = fx_queue(&fx, 1, 0);
		hi = fx_queue(&fx, 2, 0);
		simgpu_cs_builder_init(&b, words, 64);
		build_timed_nops(&fx, &b, nops, nops_size, 4, ts);
		fx_exec(&fx, lo, &b, 0, 1);
		simgpu_cs_builder_init(&b, words, 64);
		build_timed_nops(&fx, &b, nops, nops_size, 4, ts + 16);
		fx_exec(&fx, hi, &b, 1, 1);
		expect_eq(simgpu_fwif_group_setup(&fx.fwif, 1,
						  simgpu_pt_root(&fx.pt), 2),
			  0, "group 1");
		expect_eq(simgpu_fwif_group_setup(&fx.fwif, 2,
						  simgpu_pt_root(&fx.pt), 9),
			  0, "group 2");
		simgpu_fwif_group_request(&fx.fwif, 1, SIMGPU_FW_C_GROUP_START);
		simgpu_fwif_group_request(&fx.fwif, 2, SIMGPU_FW_C_GROUP_START);
		simgpu_fwif_ring_global(&fx.fwif);
		expect_eq(simgpu_fwif_group_wait_ack(&fx.fwif, 1, TIMEOUT_MS),
			  0, "group 1 ack");
		expect_eq(simgpu_fwif_group_wait_ack(&fx.fwif, 2, TIMEOUT_MS),
			  0, "group 2 ack");
		fx_wait(&fx, 0, 1);
		fx_wait(&fx, 1, 1);
		/* The firmware may see group 1 started before group 2 and
		 * give it a first time slice (a slow run, e.g. under TSan);
		 * from the next slice on the priority-9 queue runs to its
		 * end, long before the priority-2 one (4 x 8192 NOPs each,
		 * slices of 4096). */
		check(rd64(&fx, ts + 24) < rd64(&fx, ts + 8),
		      "%s: the priority-9 queue ended at %llu, after the "
		      "priority-2 one ended at %llu",
		      fx.version, (unsigned long long)rd64(&fx, ts + 24),
		      (unsigned long long)rd64(&fx, ts + 8));

		/* Two queues of one priority take turns (time slices). */
		a = fx_queue(&fx, 3, 0);
		b2 = fx_queue(&fx, 3, 1);
		simgpu_cs_builder_init(&b, words, 64);
		build_timed_nops(&fx, &b, nops, nops_size, 8, ts + 32);
		fx_exec(&fx, a, &b, 2, 1);
		simgpu_cs_builder_init(&b, words, 64);
		build_timed_nops(&fx, &b, nops, nops_size, 8, ts + 48);
		fx_exec(&fx, b2, &b, 3, 1);
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 3,
						  simgpu_pt_root(&fx.pt), 4,
						  TIMEOUT_MS),
			  0, "group 3");
		fx_wait(&fx, 2, 1);
		fx_wait(&fx, 3, 1);
		check(rd64(&fx, ts + 48) < rd64(&fx, ts + 40) &&
			      rd64(&fx, ts + 32) < rd64(&fx, ts + 56),
		      "%s: equal priorities ran one after the other "
		      "([%llu, %llu] and [%llu, %llu])",
		      fx.version, (unsigned long long)rd64(&fx, ts + 32),
		      (unsigned long long)rd64(&fx, ts + 40),
		      (unsigned long long)rd64(&fx, ts + 48),
		      (unsigned long long)rd64(&fx, ts + 56));
		fx_teardown(&fx);
	}
}

static void stopped_groups_and_queues_do_not_run(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		expect_eq(simgpu_fwif_group_stop(&fx.fwif, 0, TIMEOUT_MS), 0,
			  "group stop");
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(DATA_OFF), 1);
		fx_exec(&fx, q, &b, 0, 1);
		msleep(10);
		expect_eq(rd64(&fx, sync_off(0)), 0,
			  "ran in a stopped group on %s", fx.version);
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 0,
						  simgpu_pt_root(&fx.pt), 5,
						  TIMEOUT_MS),
			  0, "group start");
		expect_eq(fx_wait(&fx, 0, 1), 0, "after group start");

		expect_eq(simgpu_fwif_queue_stop(q, TIMEOUT_MS), 0,
			  "queue stop");
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.status, cst(&fx, SIMGPU_FW_C_QUEUE_STOPPED),
			  "status after stop on %s", fx.version);
		fx_exec(&fx, q, &b, 0, 2);
		msleep(10);
		expect_eq(rd64(&fx, sync_off(0)), 1,
			  "a stopped queue ran on %s", fx.version);
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		expect_eq(fx_wait(&fx, 0, 2), 0, "after restart on %s",
			  fx.version);
		fx_teardown(&fx);
	}
}

/*
 * Errors.
 */

static void mmu_faults_stop_the_queue_and_say_where(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		uint32_t words[16];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);

		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_write32(&b, va(DATA_OFF), 1);
		simgpu_cs_write32(&b, UNMAPPED_VA + 0x124, 2);
		simgpu_cs_write32(&b, va(DATA_OFF + 4), 3);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), -EFAULT,
			  "sync status of a write fault on %s", fx.version);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q, SIMGPU_FW_C_QUEUE_FAULTED, TIMEOUT_MS),
			  0, "FAULTED on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.fault_va, UNMAPPED_VA + 0x124, "fault_va on %s",
			  fx.version);
		expect_eq(st.fault_access, cst(&fx, SIMGPU_FW_C_FAULT_WRITE),
			  "fault_access on %s", fx.version);
		expect_eq(st.error, -EFAULT, "error on %s", fx.version);
		expect_eq(rd32(&fx, DATA_OFF), 1, "before the fault");
		expect_eq(rd32(&fx, DATA_OFF + 4), 0, "after the fault");

		/* Faulted until restarted; then a read fault. */
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_copy(&b, va(DATA_OFF + 64), UNMAPPED_VA + 0x2000, 16);
		fx_exec(&fx, q, &b, 0, 2);
		msleep(10);
		expect_eq(rd64(&fx, sync_off(0)), 1,
			  "a faulted queue ran on %s", fx.version);
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		expect_eq(fx_wait(&fx, 0, 2), -EFAULT, "read fault on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q, SIMGPU_FW_C_QUEUE_FAULTED, TIMEOUT_MS),
			  0, "FAULTED on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.fault_va, UNMAPPED_VA + 0x2000, "fault_va");
		expect_eq(st.fault_access, cst(&fx, SIMGPU_FW_C_FAULT_READ),
			  "fault_access");

		/* A sync object that is not mapped faults as a write. */
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_nop(&b);
		{
			struct simgpu_fwif_entry e = {
				.type = (uint32_t)cst(&fx,
						      SIMGPU_FW_C_MSG_EXEC),
				.stream_va = fx_stream(&fx, &b),
				.stream_size = 4,
				.sync_va = UNMAPPED_VA,
				.sync_seqno = 1,
			};

			expect_eq(simgpu_fwif_queue_submit(q, &e), 0, "submit");
		}
		expect_eq(simgpu_fwif_queue_wait_status(
				  q, SIMGPU_FW_C_QUEUE_FAULTED, TIMEOUT_MS),
			  0, "FAULTED on the sync object");
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.fault_va, UNMAPPED_VA, "fault_va of the sync");

		/* Other queues never noticed. */
		{
			struct simgpu_fwif_queue *q1 = fx_queue(&fx, 0, 1);

			simgpu_cs_builder_init(&b, words, 16);
			simgpu_cs_write32(&b, va(DATA_OFF + 8), 9);
			fx_exec(&fx, q1, &b, 1, 1);
			expect_eq(fx_wait(&fx, 1, 1), 0, "another queue");
		}
		fx_teardown(&fx);
	}
}

static void malformed_streams_fail_their_entry_and_taint_the_queue(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue *q;
		uint32_t words[16];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_nop(&b);
		words[b.len++] = 0xff010000; /* unknown opcode */
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), -EINVAL, "malformed stream on %s",
			  fx.version);

		/* The queue goes on, carrying the error: a barrier stops. */
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_error_barrier(&b);
		simgpu_cs_write32(&b, va(DATA_OFF), 1);
		fx_exec(&fx, q, &b, 0, 2);
		expect_eq(fx_wait(&fx, 0, 2), -EIO,
			  "ERROR_BARRIER after an error on %s", fx.version);
		expect_eq(rd32(&fx, DATA_OFF), 0, "work after the barrier");

		/* A restart clears it. */
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		fx_exec(&fx, q, &b, 0, 3);
		expect_eq(fx_wait(&fx, 0, 3), 0, "barrier after restart on %s",
			  fx.version);
		expect_eq(rd32(&fx, DATA_OFF), 1, "work after the barrier");
		fx_teardown(&fx);
	}
}

static void a_hang_is_stuck_then_halt_and_reboot_recover(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		uint64_t loop_va;
		struct fx fx;

		fx_setup(&fx, version_code(i), 1);
		q = fx_queue(&fx, 0, 0);
		expect_eq(simgpu_fwif_set_watchdog(&fx.fwif, 40, TIMEOUT_MS), 0,
			  "watchdog on %s", fx.version);
		/* A buffer that jumps to itself. */
		loop_va = va(fx.stream_next);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_jump(&b, loop_va, 16);
		simgpu_cs_nop(&b);
		simgpu_cs_nop(&b);
		simgpu_cs_nop(&b);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(simgpu_fwif_queue_wait_status(
				  q, SIMGPU_FW_C_QUEUE_STUCK, TIMEOUT_MS),
			  0, "STUCK on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.error, -ETIMEDOUT, "error on %s", fx.version);
		check(st.progress > 1000, "%s: only %llu instructions",
		      fx.version, (unsigned long long)st.progress);
		expect_eq(rd64(&fx, sync_off(0)), 0, "a stuck entry signalled");
		expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0,
			  "the firmware still answers");

		expect_eq(simgpu_fwif_halt(&fx.fwif, TIMEOUT_MS), 0,
			  "halt with a hung queue on %s", fx.version);
		expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0,
			  "reboot %s", fx.version);
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 0,
						  simgpu_pt_root(&fx.pt), 5,
						  TIMEOUT_MS),
			  0, "group after reboot");
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(DATA_OFF), 0xa11e);
		fx_exec(&fx, q, &b, 1, 1);
		expect_eq(fx_wait(&fx, 1, 1), 0, "work after reboot on %s",
			  fx.version);
		expect_eq(rd32(&fx, DATA_OFF), 0xa11e, "its result");
		fx_teardown(&fx);
	}
}

static void a_silent_firmware_misses_heartbeats_and_is_rebooted(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue *q;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0, "ping");
		expect_eq(simgpu_dev_write_reg(fx.dev, SIMGPU_REG_INJECT,
					       SIMGPU_INJECT_MCU_HANG),
			  0, "inject an MCU hang");
		expect_eq(simgpu_fwif_ping(&fx.fwif, 50), -ETIMEDOUT,
			  "ping of a silent firmware on %s", fx.version);
		/* GLB_HALT is not acked either: halted hard. */
		expect_eq(simgpu_fwif_halt(&fx.fwif, 50), -ETIMEDOUT,
			  "halt of a silent firmware on %s", fx.version);
		expect_eq(simgpu_dev_boot_status(fx.dev), SIMGPU_BOOT_HALTED,
			  "halted hard");
		simgpu_dev_write_reg(fx.dev, SIMGPU_REG_INJECT, 0);
		expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0,
			  "reboot");
		expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0,
			  "ping after reboot on %s", fx.version);
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 0,
						  simgpu_pt_root(&fx.pt), 5,
						  TIMEOUT_MS),
			  0, "group after reboot");
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(DATA_OFF), 0xbea7);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), 0, "work after reboot");
		fx_teardown(&fx);
	}
}

static void reboot_into_every_other_version(void **state)
{
	struct fx fx;
	uint32_t words[8];
	struct simgpu_cs_builder b;

	(void)state;
	fx_setup(&fx, version_code(0), 2);
	for (unsigned int round = 0; round < 2 * simgpu_fw_num_versions;
	     round++) {
		unsigned int i = round % simgpu_fw_num_versions;
		struct simgpu_fwif_queue *q;

		if (round) {
			expect_eq(simgpu_fwif_reboot(&fx.fwif, version_code(i),
						     TIMEOUT_MS),
				  0, "reboot into %s",
				  simgpu_fw_versions[i].name);
			fx.version = simgpu_fw_versions[i].name;
			expect_eq(simgpu_fwif_group_start(
					  &fx.fwif, 0, simgpu_pt_root(&fx.pt),
					  5, TIMEOUT_MS),
				  0, "group 0 on %s", fx.version);
		}
		check(fx.fwif.v == &simgpu_fw_versions[i],
		      "running %s, wanted %s", fx.fwif.v->name,
		      simgpu_fw_versions[i].name);
		memset(ptr(&fx, SYNC_OFF), 0, 64);
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(DATA_OFF), round + 1);
		fx_exec(&fx, q, &b, 0, round + 1);
		expect_eq(fx_wait(&fx, 0, round + 1), 0, "work on %s",
			  fx.version);
		expect_eq(rd32(&fx, DATA_OFF), round + 1, "result on %s",
			  fx.version);
	}
	fx_teardown(&fx);
}

/* Destroying the device while queues loop, wait and dispatch: every
 * thread joined, nothing leaked (ASan/LSan), nothing hangs. */
static void teardown_with_work_in_flight(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_kernel_mandelbrot_args *ma;
		struct simgpu_fwif_queue *q0, *q1, *q2;
		uint32_t words[16];
		struct simgpu_cs_builder b;
		uint64_t loop_va;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q0 = fx_queue(&fx, 0, 0);
		q1 = fx_queue(&fx, 0, 1);
		q2 = fx_queue(&fx, 0, 2);
		loop_va = va(fx.stream_next);
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_jump(&b, loop_va, 16);
		simgpu_cs_nop(&b);
		simgpu_cs_nop(&b);
		simgpu_cs_nop(&b);
		fx_exec(&fx, q0, &b, 0, 1);
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_wait(&b, va(DATA_OFF), 1, SIMGPU_CS_WAIT_EQ);
		fx_exec(&fx, q1, &b, 1, 1);
		ma = ptr(&fx, DATA_OFF + 64);
		*ma = (struct simgpu_kernel_mandelbrot_args){
			.dst = va(DATA_OFF + 4096),
			.width = 64,
			.height = 64,
			.pitch = 256,
			.max_iter = 1000,
			.x0 = -2.0f,
			.y0 = -1.0f,
			.step = 1.0f / 32,
		};
		simgpu_cs_builder_init(&b, words, 16);
		for (unsigned int k = 0; k < 3; k++)
			simgpu_cs_dispatch(&b, SIMGPU_KERNEL_MANDELBROT,
					   va(DATA_OFF + 64), 64);
		fx_exec(&fx, q2, &b, 2, 1);
		msleep(5);
		fx_teardown(&fx);
	}
}

/*
 * Concurrency: several driver threads, each on its own queue, with pings
 * and DISPATCHes at the same time (a ThreadSanitizer test).
 */

#define STRESS_THREADS 4
#define STRESS_ENTRIES 200

struct stress_thread {
	struct fx *fx;
	struct simgpu_fwif_queue *q;
	struct simgpu_fwif_entry entry;
	unsigned int index;
	int ret;
	pthread_t thread;
};

static void *stress_submitter(void *arg)
{
	struct stress_thread *t = arg;
	struct fx *fx = t->fx;
	void *sync = ptr(fx, sync_off(t->index));
	int32_t status;

	for (uint64_t k = 1; k <= STRESS_ENTRIES && !t->ret; k++) {
		t->entry.sync_seqno = k;
		while ((t->ret = simgpu_fwif_queue_submit(t->q, &t->entry)) ==
		       -ENOSPC)
			if ((t->ret = simgpu_fwif_sync_wait(&fx->fwif, sync,
							    k - 8, TIMEOUT_MS,
							    &status)))
				break;
	}
	if (!t->ret)
		t->ret = simgpu_fwif_sync_wait(&fx->fwif, sync, STRESS_ENTRIES,
					       TIMEOUT_MS, &status);
	if (!t->ret)
		t->ret = status;
	return NULL;
}

static void *stress_pinger(void *arg)
{
	struct stress_thread *t = arg;

	for (unsigned int k = 0; k < 50 && !t->ret; k++)
		t->ret = simgpu_fwif_ping(&t->fx->fwif, TIMEOUT_MS);
	return NULL;
}

static void concurrent_submitters_pings_and_dispatches(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct stress_thread threads[STRESS_THREADS + 1];
		struct simgpu_kernel_reduce_args *ra;
		uint32_t words[32];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		for (unsigned int k = 0; k < 1000; k++)
			((uint32_t *)ptr(&fx, DATA_OFF + 4096))[k] = k;
		ra = ptr(&fx, DATA_OFF);
		*ra = (struct simgpu_kernel_reduce_args){
			.x = va(DATA_OFF + 4096),
			.out = va(DATA_OFF + 64),
			.n = 1000};
		for (unsigned int t = 0; t < STRESS_THREADS; t++) {
			threads[t] = (struct stress_thread){
				.fx = &fx,
				.q = fx_queue(&fx, 0, t),
				.index = t,
			};
			simgpu_cs_builder_init(&b, words, 32);
			simgpu_cs_sync_add(&b, va(sync_off(8 + t)), 1);
			if (t == 0)
				simgpu_cs_dispatch(&b, SIMGPU_KERNEL_REDUCE_SUM,
						   va(DATA_OFF), 1000);
			threads[t].entry = (struct simgpu_fwif_entry){
				.type = (uint32_t)cst(&fx,
						      SIMGPU_FW_C_MSG_EXEC),
				.stream_va = fx_stream(&fx, &b),
				.stream_size = b.len * 4,
				.sync_va = va(sync_off(t)),
			};
		}
		threads[STRESS_THREADS] =
			(struct stress_thread){.fx = &fx, .index = 99};
		for (unsigned int t = 0; t <= STRESS_THREADS; t++)
			check(!pthread_create(&threads[t].thread, NULL,
					      t < STRESS_THREADS
						      ? stress_submitter
						      : stress_pinger,
					      &threads[t]),
			      "pthread_create");
		for (unsigned int t = 0; t <= STRESS_THREADS; t++)
			pthread_join(threads[t].thread, NULL);
		for (unsigned int t = 0; t <= STRESS_THREADS; t++)
			expect_eq(threads[t].ret, 0, "thread %u on %s", t,
				  fx.version);
		for (unsigned int t = 0; t < STRESS_THREADS; t++)
			expect_eq(rd64(&fx, sync_off(8 + t)), STRESS_ENTRIES,
				  "streams run by queue %u on %s", t,
				  fx.version);
		expect_eq(rd32(&fx, DATA_OFF + 64), 499500, "reduce on %s",
			  fx.version);
		fx_teardown(&fx);
	}
}

static void unmapped_pages_fault_once_the_queue_restarts(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		uint64_t page = DATA_OFF + 0x40000;
		uint32_t words[8];
		struct simgpu_cs_builder b;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 8);
		simgpu_cs_write32(&b, va(page + 12), 0x1234);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), 0, "write to a mapped page");
		expect_eq(rd32(&fx, page + 12), 0x1234, "its result");

		expect_eq(simgpu_fwif_queue_stop(q, TIMEOUT_MS), 0, "stop");
		expect_eq(simgpu_pt_unmap(&fx.pt, va(page), SIMGPU_PAGE_SIZE),
			  0, "unmap");
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		fx_exec(&fx, q, &b, 0, 2);
		expect_eq(fx_wait(&fx, 0, 2), -EFAULT,
			  "write to an unmapped page on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.fault_va, va(page + 12), "fault_va");

		/* Read-only pages refuse writes. */
		expect_eq(simgpu_pt_map(&fx.pt, va(page), fx.mem.start + page,
					SIMGPU_PAGE_SIZE, SIMGPU_PTE_READ),
			  0, "map read-only");
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart");
		fx_exec(&fx, q, &b, 0, 3);
		expect_eq(fx_wait(&fx, 0, 3), -EFAULT,
			  "write to a read-only page on %s", fx.version);
		expect_eq(simgpu_pt_map(&fx.pt, va(page) + 1, 0, 4096, 0),
			  -EINVAL, "unaligned map");
		expect_eq(simgpu_pt_map(&fx.pt, 1ull << 48, 0, 4096, 0),
			  -EINVAL, "map above 48 bits");
		expect_eq(simgpu_pt_map(&fx.pt, 0, fx.dev->phys_size, 4096, 0),
			  -EINVAL, "map beyond the physical space");
		fx_teardown(&fx);
	}
}

/*
 * The physical space: the aperture and MMU_FLUSH, seen by the GPU.
 */

#define PHYS_VA 0x300000000ull

/* The level-3 entry of mapped @gva in the test's address space. */
static uint64_t *fx_leaf(struct fx *fx, uint64_t gva)
{
	uint64_t table = simgpu_pt_root(&fx->pt);
	uint64_t *entry = NULL;

	for (unsigned int level = 0; level < SIMGPU_PT_LEVELS; level++) {
		unsigned int shift =
			SIMGPU_PAGE_SHIFT + 9 * (SIMGPU_PT_LEVELS - 1 - level);

		entry = (uint64_t *)simgpu_dev_vram_ptr(fx->dev, table) +
			((gva >> shift) & (SIMGPU_PT_ENTRIES - 1));
		table = le64toh(__atomic_load_n(entry, __ATOMIC_RELAXED)) &
			SIMGPU_PTE_ADDR_MASK;
	}
	return entry;
}

/* Maps the page at @gva to physical address @pa, read-write, wherever it
 * lies (simgpu_pt maps VRAM only: its tables are made by mapping a VRAM
 * page first, then the entry is rewritten). */
static void fx_map_phys(struct fx *fx, uint64_t gva, uint64_t pa)
{
	expect_eq(simgpu_pt_map(&fx->pt, gva, fx->mem.start, SIMGPU_PAGE_SIZE,
				SIMGPU_PTE_READ | SIMGPU_PTE_WRITE),
		  0, "tables for 0x%llx", (unsigned long long)gva);
	__atomic_store_n(fx_leaf(fx, gva),
			 htole64(pa | SIMGPU_PTE_VALID | SIMGPU_PTE_READ |
				 SIMGPU_PTE_WRITE),
			 __ATOMIC_RELAXED);
}

/* A memfd of @pages pages, mapped at *@cpu. */
static int fx_memfd(unsigned int pages, uint8_t **cpu)
{
	size_t size = pages * SIMGPU_PAGE_SIZE;
	int fd = memfd_create("simgpu-test-sysmem", MFD_CLOEXEC);

	check(fd >= 0, "memfd_create: %s", strerror(errno));
	check(ftruncate(fd, (off_t)size) == 0, "ftruncate: %s",
	      strerror(errno));
	*cpu = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(*cpu != MAP_FAILED, "mmap of the memfd: %s", strerror(errno));
	return fd;
}

static void
the_gpu_copies_a_files_pages_through_the_aperture_and_vram(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const uint64_t ap_va = PHYS_VA, vr_va = PHYS_VA + 0x1000;
		struct udrm_mm_node ap = {0}, vr = {0};
		uint8_t pattern[SIMGPU_PAGE_SIZE], *file, *vram;
		struct simgpu_fwif_queue_state st;
		struct simgpu_fwif_queue *q;
		struct simgpu_cs_builder b;
		uint32_t words[32];
		struct fx fx;
		int fd;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		fd = fx_memfd(2, &file);
		for (unsigned int k = 0; k < sizeof(pattern); k++)
			pattern[k] = (uint8_t)(k * 7 + 3);
		memcpy(file, pattern, sizeof(pattern));

		/* File page 0 in the aperture, page 1 over a VRAM page. */
		expect_eq(simgpu_dev_sysmem_alloc(fx.dev, &ap, SIMGPU_PAGE_SIZE,
						  0),
			  0, "aperture page");
		expect_eq(simgpu_dev_phys_map(fx.dev, ap.start, fd, 0,
					      SIMGPU_PAGE_SIZE),
			  0, "phys_map into the aperture");
		expect_eq(simgpu_dev_vram_alloc_noclear(fx.dev, &vr,
							SIMGPU_PAGE_SIZE, 0),
			  0, "VRAM page");
		vram = simgpu_dev_vram_ptr(fx.dev, vr.start);
		memset(vram, 0xee, SIMGPU_PAGE_SIZE);
		expect_eq(simgpu_dev_phys_map(fx.dev, vr.start, fd,
					      SIMGPU_PAGE_SIZE,
					      SIMGPU_PAGE_SIZE),
			  0, "phys_map over VRAM");
		fx_map_phys(&fx, ap_va, ap.start);
		fx_map_phys(&fx, vr_va, vr.start);

		simgpu_cs_builder_init(&b, words, 32);
		simgpu_cs_copy(&b, vr_va, ap_va, SIMGPU_PAGE_SIZE);
		simgpu_cs_write32(&b, ap_va + 16, 0xabcd1234);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 0, 1), 0, "copy on %s", fx.version);
		check(!memcmp(file + SIMGPU_PAGE_SIZE, pattern,
			      SIMGPU_PAGE_SIZE),
		      "%s: file page 0 copied into file page 1", fx.version);
		expect_eq(*(uint32_t *)(file + 16), 0xabcd1234,
			  "the GPU's write in the file on %s", fx.version);

		/* Unmapped: VRAM's own page and the empty aperture are back,
		 * the file is left alone. */
		expect_eq(simgpu_dev_phys_unmap(fx.dev, ap.start,
						SIMGPU_PAGE_SIZE),
			  0, "phys_unmap of the aperture page");
		expect_eq(simgpu_dev_phys_unmap(fx.dev, vr.start,
						SIMGPU_PAGE_SIZE),
			  0, "phys_unmap of the VRAM page");
		expect_eq(vram[0], 0xee, "VRAM's page back on %s", fx.version);
		fx_exec(&fx, q, &b, 0, 2);
		expect_eq(fx_wait(&fx, 0, 2), 0, "copy again on %s",
			  fx.version);
		for (unsigned int k = 0; k < SIMGPU_PAGE_SIZE; k++)
			if (vram[k])
				fail_msg("%s: byte %u of the empty aperture "
					 "copied as 0x%x",
					 fx.version, k, vram[k]);
		check(!memcmp(file + SIMGPU_PAGE_SIZE, pattern,
			      SIMGPU_PAGE_SIZE),
		      "%s: the file changed after unmap", fx.version);
		expect_eq(simgpu_dev_phys_unmap(fx.dev, ap.start,
						SIMGPU_PAGE_SIZE),
			  0, "empty the aperture page again");

		/* Past the physical space: a fault, not a crash. */
		fx_map_phys(&fx, ap_va, fx.dev->phys_size);
		expect_eq(simgpu_fwif_queue_stop(q, TIMEOUT_MS), 0, "stop");
		expect_eq(simgpu_fwif_queue_restart(q, TIMEOUT_MS), 0,
			  "restart (a fresh TLB)");
		fx_exec(&fx, q, &b, 0, 3);
		expect_eq(fx_wait(&fx, 0, 3), -EFAULT,
			  "a page past the physical space on %s", fx.version);
		simgpu_fwif_queue_state(q, &st);
		expect_eq(st.fault_va, ap_va, "fault_va on %s", fx.version);

		simgpu_dev_sysmem_free(fx.dev, &ap);
		simgpu_dev_vram_free(fx.dev, &vr);
		munmap(file, 2 * SIMGPU_PAGE_SIZE);
		close(fd);
		fx_teardown(&fx);
	}
}

static void mmu_flush_reaches_a_running_queues_cached_translations(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		/* TLB slots (VA page % 16) of their own: 5 for the source,
		 * 9 for the flags, 12 for the results; the ring, the
		 * stream and the sync objects use slot 0. */
		const uint64_t src = DATA_OFF + 5 * SIMGPU_PAGE_SIZE;
		const uint64_t other = DATA_OFF + 6 * SIMGPU_PAGE_SIZE;
		const uint64_t flags = DATA_OFF + 9 * SIMGPU_PAGE_SIZE;
		const uint64_t dst = DATA_OFF + 12 * SIMGPU_PAGE_SIZE;
		struct simgpu_fwif_queue *q;
		struct simgpu_cs_builder b;
		uint32_t words[64];
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		q = fx_queue(&fx, 0, 0);
		wr64(&fx, src, 0xaaaa);
		wr64(&fx, other, 0xbbbb);

		simgpu_cs_builder_init(&b, words, 64);
		/* Each copy is followed by a SYNC_SET of sync object 5 (the
		 * copy's own stores are plain ones). */
		simgpu_cs_copy(&b, va(dst), va(src), 4);
		simgpu_cs_sync_set(&b, va(sync_off(5)), 1);
		simgpu_cs_wait(&b, va(flags), 1, SIMGPU_CS_WAIT_EQ);
		simgpu_cs_copy(&b, va(dst + 8), va(src), 4);
		simgpu_cs_sync_set(&b, va(sync_off(5)), 2);
		simgpu_cs_wait(&b, va(flags + 8), 1, SIMGPU_CS_WAIT_EQ);
		simgpu_cs_copy(&b, va(dst + 16), va(src), 4);
		fx_exec(&fx, q, &b, 0, 1);
		expect_eq(fx_wait(&fx, 5, 1), 0, "the first copy on %s",
			  fx.version);
		expect_eq(rd32(&fx, dst), 0xaaaa, "first copy on %s",
			  fx.version);

		/* The source's page now maps the other page; the queue
		 * keeps running (parked on the first WAIT). */
		expect_eq(simgpu_pt_map(&fx.pt, va(src), fx.mem.start + other,
					SIMGPU_PAGE_SIZE,
					SIMGPU_PTE_READ | SIMGPU_PTE_WRITE),
			  0, "remap the source");
		wr64(&fx, flags, 1);
		simgpu_dev_ring_doorbell(fx.dev, q->doorbell);
		expect_eq(fx_wait(&fx, 5, 2), 0, "the second copy on %s",
			  fx.version);
		expect_eq(rd32(&fx, dst + 8), 0xaaaa,
			  "without MMU_FLUSH the cached translation on %s",
			  fx.version);

		expect_eq(simgpu_dev_write_reg(fx.dev, SIMGPU_REG_MMU_FLUSH, 1),
			  0, "MMU_FLUSH");
		wr64(&fx, flags + 8, 1);
		simgpu_dev_ring_doorbell(fx.dev, q->doorbell);
		expect_eq(fx_wait(&fx, 0, 1), 0, "the entry on %s", fx.version);
		expect_eq(rd32(&fx, dst + 16), 0xbbbb,
			  "after MMU_FLUSH the new page on %s", fx.version);
		fx_teardown(&fx);
	}
}

/*
 * Queues whose ring outlives their slot.
 */

#define LOOSE_RING_OFF (RING_OFF + 15 * RING_SIZE)

/* A queue on the ring of the last test slot, unbound. */
static void fx_loose_queue(struct fx *fx, struct simgpu_fwif_queue *q)
{
	simgpu_fwif_queue_init(q, &fx->fwif, ptr(fx, LOOSE_RING_OFF),
			       va(LOOSE_RING_OFF), RING_SIZE);
}

/* The mask of the running version's ring counters. */
static uint64_t fx_counter_mask(struct fx *fx)
{
	unsigned int size =
		fx->fwif.v->fields[SIMGPU_FW_QUEUE_RING_INSERT].size;

	return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static void
queues_run_what_was_pushed_unbound_and_move_between_slots(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const uint64_t d = DATA_OFF;
		struct simgpu_fwif_queue_state st;
		struct simgpu_cs_builder b, w;
		uint32_t words[16], wait_words[32];
		struct simgpu_fwif_queue q;
		uint64_t es, ext = 1;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		es = fx.fwif.ring_entry_size;
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 1,
						  simgpu_pt_root(&fx.pt), 5,
						  TIMEOUT_MS),
			  0, "group 1 start on %s", fx.version);
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_sync_add(&b, va(sync_off(3)), 1);
		simgpu_cs_builder_init(&w, wait_words, 32);
		simgpu_cs_wait(&w, va(d), 1, SIMGPU_CS_WAIT_EQ);
		simgpu_cs_write32(&w, va(d + 8), 0x600d);

		fx_loose_queue(&fx, &q);
		check(!simgpu_fwif_queue_bound(&q), "bound after init");
		simgpu_fwif_queue_state(&q, &st);
		expect_eq(st.status, UINT32_MAX, "status of an unbound queue");
		expect_eq(st.extract, 0, "extract of a fresh queue");
		expect_eq(simgpu_fwif_queue_stop(&q, TIMEOUT_MS), -EINVAL,
			  "stop of an unbound queue");
		expect_eq(simgpu_fwif_queue_restart(&q, TIMEOUT_MS), -EINVAL,
			  "restart of an unbound queue");
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS),
			  -EINVAL, "unbind of an unbound queue");

		/* Pushed and kicked while unbound: nothing runs. */
		for (uint64_t n = 1; n <= 3; n++)
			fx_exec(&fx, &q, &b, 0, n);
		msleep(10);
		expect_eq(rd64(&fx, sync_off(0)), 0, "ran unbound on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_idle(&q, 10), -ETIMEDOUT,
			  "idle with entries pending");

		expect_eq(simgpu_fwif_queue_bind(&q, 0, 2, 0, TIMEOUT_MS), 0,
			  "bind to 0/2 on %s", fx.version);
		check(simgpu_fwif_queue_bound(&q), "not bound after bind");
		expect_eq(q.doorbell, 1 + 2, "doorbell of 0/2");
		expect_eq(fx_wait(&fx, 0, 3), 0, "entries pushed unbound on %s",
			  fx.version);
		expect_eq(rd64(&fx, sync_off(3)), 3, "EXECs run on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_bind(&q, 0, 3, 3 * es, TIMEOUT_MS),
			  -EINVAL, "bind of a bound queue");

		/* Unbound in the middle of an entry: it runs again from its
		 * start on the next slot. */
		fx_exec(&fx, &q, &w, 0, 4);
		expect_eq(simgpu_fwif_queue_wait_status(
				  &q, SIMGPU_FW_C_QUEUE_WAITING, TIMEOUT_MS),
			  0, "parked on %s", fx.version);
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS), 0,
			  "unbind on %s", fx.version);
		check(!simgpu_fwif_queue_bound(&q), "bound after unbind");
		expect_eq(ext, 3 * es, "extract at the parked entry on %s",
			  fx.version);
		simgpu_fwif_queue_state(&q, &st);
		expect_eq(st.extract, ext, "state's extract once unbound");
		fx_exec(&fx, &q, &b, 0, 5);

		/* Refusals leave it unbound. */
		expect_eq(simgpu_fwif_queue_bind(&q, fx.fwif.num_groups, 0, ext,
						 TIMEOUT_MS),
			  -EINVAL, "bind to a group past the last");
		expect_eq(simgpu_fwif_queue_bind(&q, 1,
						 fx.fwif.queues_per_group, ext,
						 TIMEOUT_MS),
			  -EINVAL, "bind to a queue past the last");
		expect_eq(simgpu_fwif_queue_bind(&q, 1, 3, ext + 1, TIMEOUT_MS),
			  -EINVAL, "an extract off an entry boundary");
		expect_eq(simgpu_fwif_queue_bind(&q, 1, 3, ext + 3 * es,
						 TIMEOUT_MS),
			  -EINVAL, "an extract past the insert position");
		check(!simgpu_fwif_queue_bound(&q), "bound after refusals");

		expect_eq(simgpu_fwif_queue_bind(&q, 1, 3, ext, TIMEOUT_MS), 0,
			  "bind to 1/3 on %s", fx.version);
		expect_eq(q.doorbell, 1 + fx.fwif.queues_per_group + 3,
			  "doorbell of 1/3");
		wr64(&fx, d, 1);
		simgpu_dev_ring_doorbell(fx.dev, q.doorbell);
		expect_eq(fx_wait(&fx, 0, 5), 0, "after the move on %s",
			  fx.version);
		expect_eq(rd32(&fx, d + 8), 0x600d, "the moved entry ran on %s",
			  fx.version);
		expect_eq(rd64(&fx, sync_off(3)), 4, "every EXEC once on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_idle(&q, TIMEOUT_MS), 0,
			  "idle on %s", fx.version);
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS), 0,
			  "unbind at the end");
		expect_eq(ext, 5 * es, "extract past everything on %s",
			  fx.version);
		fx_teardown(&fx);
	}
}

static void bound_queues_go_on_across_the_counters_wrap(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const uint64_t d = DATA_OFF;
		struct simgpu_fwif_queue_state st;
		struct simgpu_cs_builder b, w;
		uint32_t words[16], wait_words[32];
		struct simgpu_fwif_queue q;
		uint64_t es, mask, top, ext = 0;
		struct fx fx;

		fx_setup(&fx, version_code(i), 2);
		es = fx.fwif.ring_entry_size;
		mask = fx_counter_mask(&fx);
		/* The first position that wraps: 2^32 or 2^64. */
		top = mask + 1; /* 0 for u64: positions below are -n */
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_sync_add(&b, va(sync_off(3)), 1);
		simgpu_cs_builder_init(&w, wait_words, 32);
		simgpu_cs_wait(&w, va(d), 1, SIMGPU_CS_WAIT_EQ);
		simgpu_cs_sync_add(&w, va(sync_off(3)), 1);

		fx_loose_queue(&fx, &q);
		if (mask != UINT64_MAX)
			expect_eq(simgpu_fwif_queue_bind(&q, 0, 1, top,
							 TIMEOUT_MS),
				  -EINVAL, "an extract past the counter width");
		/* An empty queue takes the position it is bound at. */
		expect_eq(simgpu_fwif_queue_bind(
				  &q, 0, 1, (top - 3 * es) & mask, TIMEOUT_MS),
			  0, "bind 3 entries before the wrap on %s",
			  fx.version);
		expect_eq(q.insert, (top - 3 * es) & mask, "insert follows");
		for (uint64_t n = 1; n <= 6; n++)
			fx_exec(&fx, &q, &b, 0, n);
		expect_eq(fx_wait(&fx, 0, 6), 0, "across the wrap on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_idle(&q, TIMEOUT_MS), 0,
			  "idle across the wrap on %s", fx.version);
		simgpu_fwif_queue_state(&q, &st);
		expect_eq(st.extract, 3 * es, "extract wrapped on %s",
			  fx.version);
		expect_eq(st.error, 0, "no error on %s", fx.version);
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS), 0,
			  "unbind");

		/* Unbound with the extract before the wrap and the insert
		 * after it, bound elsewhere: it goes on. */
		fx_loose_queue(&fx, &q);
		expect_eq(simgpu_fwif_queue_bind(
				  &q, 0, 2, (top - 2 * es) & mask, TIMEOUT_MS),
			  0, "bind 2 entries before the wrap on %s",
			  fx.version);
		fx_exec(&fx, &q, &b, 0, 7);
		fx_exec(&fx, &q, &w, 0, 8);
		fx_exec(&fx, &q, &b, 0, 9);
		expect_eq(fx_wait(&fx, 0, 7), 0, "before the wrap on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_wait_status(
				  &q, SIMGPU_FW_C_QUEUE_WAITING, TIMEOUT_MS),
			  0, "parked on the last entry before the wrap on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS), 0,
			  "unbind across the wrap");
		expect_eq(ext, (top - es) & mask,
			  "extract before the wrap on %s", fx.version);
		expect_eq(q.insert, es, "insert after the wrap on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_bind(&q, 0, 3, ext, TIMEOUT_MS), 0,
			  "bind elsewhere across the wrap on %s", fx.version);
		wr64(&fx, d, 1);
		simgpu_dev_ring_doorbell(fx.dev, q.doorbell);
		expect_eq(fx_wait(&fx, 0, 9), 0, "after the move on %s",
			  fx.version);
		expect_eq(rd64(&fx, sync_off(3)), 9, "every EXEC ran on %s",
			  fx.version);
		expect_eq(simgpu_fwif_queue_unbind(&q, &ext, TIMEOUT_MS), 0,
			  "unbind at the end");
		expect_eq(ext, es, "extract after the wrap on %s", fx.version);
		fx_teardown(&fx);
	}
}

/*
 * The driver's interrupt hook.
 */

/* A driver's thread that owns the interrupt line. */
struct irq_reader {
	struct simgpu_dev *dev;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t seen; /* (lock) interrupts taken */
	bool stop;     /* (lock) */
	atomic_uint hook_calls;
};

static void *irq_reader_main(void *arg)
{
	struct irq_reader *r = arg;

	for (;;) {
		bool stop;

		pthread_mutex_lock(&r->lock);
		stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			return NULL;
		if (simgpu_dev_wait_irq(r->dev, 5))
			continue;
		pthread_mutex_lock(&r->lock);
		r->seen++;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
}

static int irq_reader_hook(void *ctx, int timeout_ms)
{
	struct irq_reader *r = ctx;
	struct timespec deadline;
	uint64_t seen;
	int ret = 0;

	atomic_fetch_add(&r->hook_calls, 1);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms > 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&r->lock);
	seen = r->seen;
	while (r->seen == seen && !ret) {
		if (timeout_ms < 0)
			pthread_cond_wait(&r->cond, &r->lock);
		else if (pthread_cond_timedwait(&r->cond, &r->lock,
						&deadline) == ETIMEDOUT)
			ret = -ETIMEDOUT;
	}
	if (r->seen != seen)
		ret = 0;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void every_fwif_wait_goes_through_the_irq_hook(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		struct irq_reader r = {0};
		struct simgpu_fwif_queue *q;
		struct simgpu_cs_builder b, w;
		uint32_t words[16], wait_words[32];
		pthread_condattr_t attr;
		unsigned int calls;
		uint64_t deadline;
		int32_t status;
		struct fx fx;
		int ret;

		fx_create(&fx, version_code(i), 2);
		r.dev = fx.dev;
		pthread_mutex_init(&r.lock, NULL);
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&r.cond, &attr);
		pthread_condattr_destroy(&attr);
		check(!pthread_create(&r.thread, NULL, irq_reader_main, &r),
		      "irq thread");
		simgpu_fwif_set_irq_hook(&fx.fwif, irq_reader_hook, &r);

		expect_eq(simgpu_fwif_boot(&fx.fwif, 0, TIMEOUT_MS), 0,
			  "boot %s with the hook", fx.version);
		fx_map(&fx);
		expect_eq(simgpu_fwif_group_start(&fx.fwif, 0,
						  simgpu_pt_root(&fx.pt), 5,
						  TIMEOUT_MS),
			  0, "group start");
		q = fx_queue(&fx, 0, 0);
		simgpu_cs_builder_init(&b, words, 16);
		simgpu_cs_sync_add(&b, va(sync_off(3)), 1);
		simgpu_cs_builder_init(&w, wait_words, 32);
		simgpu_cs_wait(&w, va(DATA_OFF), 1, SIMGPU_CS_WAIT_EQ);

		/* A wait that cannot be over at once waits through the
		 * hook. */
		fx_exec(&fx, q, &w, 0, 1);
		calls = atomic_load(&r.hook_calls);
		expect_eq(simgpu_fwif_sync_wait(&fx.fwif, ptr(&fx, sync_off(0)),
						1, 30, &status),
			  -ETIMEDOUT, "a blocked sync wait on %s", fx.version);
		check(atomic_load(&r.hook_calls) > calls,
		      "%s: the sync wait did not use the hook", fx.version);
		wr64(&fx, DATA_OFF, 1);
		simgpu_dev_ring_doorbell(fx.dev, q->doorbell);
		expect_eq(fx_wait(&fx, 0, 1), 0, "sync wait on %s", fx.version);
		expect_eq(simgpu_fwif_ping(&fx.fwif, TIMEOUT_MS), 0, "ping");
		calls = atomic_load(&r.hook_calls);
		ret = simgpu_fwif_wait_irq(&fx.fwif, 0);
		check(ret == 0 || ret == -ETIMEDOUT, "wait_irq: %d", ret);
		expect_eq(atomic_load(&r.hook_calls), calls + 1,
			  "simgpu_fwif_wait_irq through the hook");

		/* The interrupts went to the driver's thread. */
		deadline = now_ns() + TIMEOUT_MS * 1000000ull;
		pthread_mutex_lock(&r.lock);
		while (!r.seen && now_ns() < deadline) {
			pthread_mutex_unlock(&r.lock);
			msleep(1);
			pthread_mutex_lock(&r.lock);
		}
		check(r.seen > 0, "%s: the driver's thread saw no interrupt",
		      fx.version);
		r.stop = true;
		pthread_mutex_unlock(&r.lock);
		pthread_join(r.thread, NULL);

		/* Back to the eventfd. */
		simgpu_fwif_set_irq_hook(&fx.fwif, NULL, NULL);
		calls = atomic_load(&r.hook_calls);
		fx_exec(&fx, q, &b, 0, 2);
		expect_eq(fx_wait(&fx, 0, 2), 0, "sync wait without the hook");
		expect_eq(atomic_load(&r.hook_calls), calls,
			  "the hook called after it was removed");
		fx_teardown(&fx);
		pthread_cond_destroy(&r.cond);
		pthread_mutex_destroy(&r.lock);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(versions_parse_by_name_and_code),
		cmocka_unit_test(device_config_and_registers),
		cmocka_unit_test(
			boot_reports_the_control_block_of_every_version),
		cmocka_unit_test(
			unknown_version_and_bad_magic_are_refused_with_enodev),
		cmocka_unit_test(
			every_command_runs_through_a_ring_on_every_version),
		cmocka_unit_test(nop_entries_signal_and_the_ring_wraps),
		cmocka_unit_test(
			wait_resumes_after_a_doorbell_or_another_queues_write),
		cmocka_unit_test(
			sync_wait_entries_hold_the_ring_where_the_version_has_them),
		cmocka_unit_test(dispatch_on_one_and_two_cores_matches_the_cpu),
		cmocka_unit_test(
			higher_priority_groups_run_first_equal_ones_take_turns),
		cmocka_unit_test(stopped_groups_and_queues_do_not_run),
		cmocka_unit_test(mmu_faults_stop_the_queue_and_say_where),
		cmocka_unit_test(
			malformed_streams_fail_their_entry_and_taint_the_queue),
		cmocka_unit_test(a_hang_is_stuck_then_halt_and_reboot_recover),
		cmocka_unit_test(
			a_silent_firmware_misses_heartbeats_and_is_rebooted),
		cmocka_unit_test(reboot_into_every_other_version),
		cmocka_unit_test(teardown_with_work_in_flight),
		cmocka_unit_test(concurrent_submitters_pings_and_dispatches),
		cmocka_unit_test(unmapped_pages_fault_once_the_queue_restarts),
		cmocka_unit_test(
			the_gpu_copies_a_files_pages_through_the_aperture_and_vram),
		cmocka_unit_test(
			mmu_flush_reaches_a_running_queues_cached_translations),
		cmocka_unit_test(
			queues_run_what_was_pushed_unbound_and_move_between_slots),
		cmocka_unit_test(bound_queues_go_on_across_the_counters_wrap),
		cmocka_unit_test(every_fwif_wait_goes_through_the_irq_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
