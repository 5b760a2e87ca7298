// SPDX-License-Identifier: MIT
/* The firmware ring alone (see bench_simgpu_ring.h). */
#include "bench_simgpu_ring.h"

#include <errno.h>
#include <string.h>

int fw_bench_setup(struct fw_bench *fb, unsigned int cores)
{
	struct simgpu_dev_config config;
	int ret;

	memset(fb, 0, sizeof(*fb));
	simgpu_dev_config_default(&config);
	config.num_cores = cores;
	ret = simgpu_dev_create(&config, &fb->dev);
	if (ret)
		return ret;
	simgpu_fwif_init(&fb->fwif, fb->dev);
	ret = simgpu_fwif_boot(&fb->fwif, 0, TIMEOUT_MS);
	if (!ret)
		ret = simgpu_pt_init(&fb->pt, fb->dev);
	if (!ret)
		ret = simgpu_dev_vram_alloc(fb->dev, &fb->mem, MEM_SIZE, 0);
	if (ret)
		return ret;
	fb->cpu = simgpu_dev_vram_ptr(fb->dev, fb->mem.start);
	ret = simgpu_pt_map(&fb->pt, MEM_VA, fb->mem.start, MEM_SIZE,
			    SIMGPU_PTE_READ | SIMGPU_PTE_WRITE);
	if (!ret)
		ret = simgpu_fwif_group_start(
			&fb->fwif, 0, simgpu_pt_root(&fb->pt), 5, TIMEOUT_MS);
	if (!ret)
		ret = simgpu_fwif_queue_start(
			&fb->fwif, &fb->q, 0, 0, fb->cpu + RING_OFF,
			MEM_VA + RING_OFF, RING_SIZE, TIMEOUT_MS);
	return ret;
}

void fw_bench_teardown(struct fw_bench *fb)
{
	if (!fb->dev)
		return;
	simgpu_fwif_fini(&fb->fwif);
	if (fb->pt.dev)
		simgpu_pt_fini(&fb->pt);
	if (udrm_mm_node_allocated(&fb->mem))
		simgpu_dev_vram_free(fb->dev, &fb->mem);
	simgpu_dev_destroy(fb->dev);
}

/* An EXEC entry of the stream in @words, signalling the sync object. */
int fw_bench_set_stream(struct fw_bench *fb, const struct simgpu_cs_builder *b)
{
	uint64_t type;

	if (b->overflow ||
	    simgpu_fwif_const(&fb->fwif, SIMGPU_FW_C_MSG_EXEC, &type))
		return -EINVAL;
	memcpy(fb->cpu + STREAM_OFF, b->words, b->len * 4);
	fb->entry = (struct simgpu_fwif_entry){
		.type = (uint32_t)type,
		.stream_va = MEM_VA + STREAM_OFF,
		.stream_size = b->len * 4,
		.sync_va = MEM_VA + SYNC_OFF,
	};
	return 0;
}

/* One submission, waited for through the interrupt. */
int fw_bench_round_trip(void *ctx)
{
	struct fw_bench *fb = ctx;
	int32_t status;

	fb->entry.sync_seqno = ++fb->seqno;
	if (simgpu_fwif_queue_submit(&fb->q, &fb->entry))
		return -1;
	if (simgpu_fwif_sync_wait(&fb->fwif, fb->cpu + SYNC_OFF, fb->seqno,
				  TIMEOUT_MS, &status) ||
	    status)
		return -1;
	return 0;
}

int fw_bench_batch(struct fw_bench *fb, unsigned int n)
{
	int32_t status;

	for (unsigned int i = 0; i < n; i++) {
		fb->entry.sync_seqno = ++fb->seqno;
		/* A full ring waits for the firmware to make room. */
		while (simgpu_fwif_queue_push(&fb->q, &fb->entry) == -ENOSPC) {
			simgpu_fwif_queue_kick(&fb->q);
			if (simgpu_fwif_sync_wait(&fb->fwif, fb->cpu + SYNC_OFF,
						  fb->seqno - 8, TIMEOUT_MS,
						  &status))
				return -1;
		}
	}
	simgpu_fwif_queue_kick(&fb->q);
	if (simgpu_fwif_sync_wait(&fb->fwif, fb->cpu + SYNC_OFF, fb->seqno,
				  TIMEOUT_MS, &status) ||
	    status)
		return -1;
	return 0;
}
