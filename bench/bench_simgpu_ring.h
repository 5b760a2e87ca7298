/* SPDX-License-Identifier: MIT */
/*
 * A simgpu firmware queue driven directly through simgpu_fwif, without the
 * DRM driver: the "firmware ring alone" of the simgpu benchmarks. One
 * device, one address space mapping MEM_SIZE bytes of VRAM at MEM_VA (ring,
 * sync object, stream, arguments, picture at the *_OFF offsets), group 0,
 * queue 0.
 */
#ifndef UDRM_BENCH_SIMGPU_RING_H
#define UDRM_BENCH_SIMGPU_RING_H

#include <stdint.h>

#include "gpu/simgpu_cs.h"
#include "simgpu_fwif.h"
#include "simgpu_pt.h"

#define MEM_VA	   0x100000000ull
#define MEM_SIZE   (8ull << 20)
#define RING_OFF   0x0
#define RING_SIZE  4096u
#define SYNC_OFF   0x1000
#define STREAM_OFF 0x2000
#define ARGS_OFF   0x3000
#define PIC_OFF	   0x10000
#define TIMEOUT_MS 10000

struct fw_bench {
	struct simgpu_dev *dev;
	struct simgpu_fwif fwif;
	struct simgpu_pt pt;
	struct udrm_mm_node mem;
	uint8_t *cpu;
	struct simgpu_fwif_queue q;
	uint64_t seqno;
	struct simgpu_fwif_entry entry;
};

/* Boots a device with @cores cores and starts the queue; 0 or -errno
 * (call fw_bench_teardown either way). */
int fw_bench_setup(struct fw_bench *fb, unsigned int cores);
void fw_bench_teardown(struct fw_bench *fb);
/* Makes the entry an EXEC of the stream built in @b (copied to
 * STREAM_OFF), signalling the sync object. */
int fw_bench_set_stream(struct fw_bench *fb, const struct simgpu_cs_builder *b);
/* One submission, waited for through the interrupt: 0 or -1. */
int fw_bench_round_trip(void *ctx);
/* @n submissions, then a wait for the last: 0 or -1. */
int fw_bench_batch(struct fw_bench *fb, unsigned int n);

#endif
