/* SPDX-License-Identifier: MIT */
/*
 * The simgpu firmware: a coprocessor thread (the "MCU") and one thread per
 * execution core, driven by the driver through shared memory in VRAM.
 *
 * The firmware of one image speaks one ABI version, the one in its image
 * header, and reads and writes every shared structure (image header,
 * control block, global / group / queue interfaces, ring entries, sync
 * objects) through that version's generated layout table
 * (fwabi_get/fwabi_set on simgpu_fw_abi_lookup(version)), never through a
 * per-version struct. The protocol is the one of the firmware contract:
 *
 *  - Boot (CONTROL=BOOT): image at FW_IMAGE checked (bad magic or an
 *    unknown ABI version: boot status -ENODEV; a malformed header or a
 *    shared area too small: -EINVAL), control block written at the start
 *    of the shared area, boot status READY, interrupt.
 *  - Requests: the driver toggles bits of an interface's req and rings
 *    doorbell 0; the firmware performs every pending request, toggles the
 *    same ack bits and raises the interrupt.
 *  - Queues: ring entries (NOP, EXEC, SYNC_WAIT where the version has it)
 *    at ring_base + extract % ring_size in the group's address space;
 *    ring_size is a power of two and a multiple of the entry size, and
 *    ring_insert/ring_extract count bytes modulo their field's width (u32
 *    before 2.0-rc1).
 *    EXEC runs its stream with simgpu_cs_run() on a core; at the end the
 *    sync object at sync_va (if not 0; 16-byte aligned) gets {sync_seqno,
 *    status}, ring_extract moves past the entry and the interrupt is
 *    raised. A NOP or SYNC_WAIT entry with a sync_va signals it likewise
 *    once done. A WAIT in a stream or a SYNC_WAIT entry parks the queue
 *    (WAITING) and frees its core; it is retried when memory may have
 *    changed (a doorbell, a sync object written by the firmware or a
 *    stream) and at least every SIMGPU_FW_POLL_US.
 *  - Cores: as many as the device has, except for a version whose control
 *    block has no num_cores (1.0): its firmware runs one.
 *  - Scheduling: cores pick, among started queues of started groups with
 *    work, the one of the highest group priority; within a priority the
 *    one that ran least recently. A queue runs SIMGPU_FW_SLICE
 *    instructions at most before the core picks again.
 *  - Errors: an MMU fault stops the queue (FAULTED, fault_va/access,
 *    error -EFAULT, sync status -EFAULT); an entry type the version does
 *    not know, a bad ring or a sync_va that is not aligned stop it with
 *    ERROR and -EINVAL; a malformed stream (-EINVAL) or an ERROR_BARRIER
 *    hit (-EIO) completes the entry with that status and the queue goes
 *    on, carrying the error into its later streams (sticky until the
 *    queue is restarted). A stopped queue stays so until QUEUE_STOP then
 *    QUEUE_START; START resumes from ring_extract (which the driver may
 *    rewrite while the queue is stopped, e.g. to skip an entry).
 *  - Watchdog: an EXEC entry that has run longer than watchdog_ms (wall
 *    time since it started, waits included) makes its queue STUCK, error
 *    -ETIMEDOUT; the queue stops executing but keeps its core until it is
 *    stopped (QUEUE_STOP, GROUP_STOP) or the firmware halts.
 *  - GLB_HALT: every core stops between instructions, the threads end, the
 *    request is acked, boot status HALTED, interrupt; the MCU thread then
 *    exits and the device may be booted again.
 *
 * Shared area layout (the control block's offsets say it to the driver):
 * control at 0, then the global interface, the groups and the queues,
 * each at a multiple of 64 bytes (simgpu_fw_shared_layout()).
 */
#ifndef SIMGPU_FIRMWARE_FW_H
#define SIMGPU_FIRMWARE_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwabi.h"
#include "simgpu_fw_abi.h"

struct simgpu_dev;
struct simgpu_fw;

#define SIMGPU_FW_SLICE	  4096 /* instructions per time slice */
#define SIMGPU_FW_POLL_US 500  /* a parked WAIT is retried at least so often */

/*
 * simgpu_fw_boot - starts the firmware of @dev (CONTROL=BOOT): the MCU
 * thread checks the image and reports through the boot status. 0 with
 * *out set, or -errno when the thread cannot start. Called by the device
 * under its control lock.
 */
int simgpu_fw_boot(struct simgpu_dev *dev, struct simgpu_fw **out);

/* simgpu_fw_exited - whether the firmware's threads have all ended
 * (GLB_HALT, failed boot). */
bool simgpu_fw_exited(struct simgpu_fw *fw);

/*
 * simgpu_fw_destroy - stops the firmware if it still runs (every core
 * between instructions, no ack), joins its threads and frees it.
 */
void simgpu_fw_destroy(struct simgpu_fw *fw);

/* Where the firmware puts things in the shared area, for a version and a
 * number of slots. */
struct simgpu_fw_layout {
	uint32_t global_offset;
	uint32_t group_offset, group_stride;
	uint32_t queue_offset, queue_stride;
	uint32_t size; /* the smallest SHARED_SIZE that fits */
};

/* 0, or -EINVAL if @v lacks a shared structure. */
int simgpu_fw_shared_layout(const struct fwabi_version *v,
			    unsigned int num_groups,
			    unsigned int queues_per_group,
			    struct simgpu_fw_layout *layout);

/*
 * Firmware images. simgpu_fw_image_build() writes an image for ABI
 * version @code into @dst (@cap bytes): a header in that version's layout
 * followed by a body, with @magic as its magic (SIMGPU_FW_IMAGE_MAGIC for
 * a good image; tests pass others). For a @code no version has, only the
 * magic and version words (whose offsets no version changes) are written:
 * the image a firmware must refuse. Returns the image size, or -ENOSPC
 * when @cap is too small (simgpu_fw_image_size() is enough).
 */
#define SIMGPU_FW_IMAGE_MAGIC 0x57464753u /* "SGFW" */
size_t simgpu_fw_image_size(void);
long simgpu_fw_image_build(void *dst, size_t cap, uint32_t code,
			   uint32_t magic);

/*
 * Versions. simgpu_fw_version_parse() takes a version name of the schema
 * ("2.0-rc1") or a code ("0x02000001", decimal too) and gives its code:
 * 0, or -EINVAL if no version has it. simgpu_fw_version_name() is the
 * name of a code, NULL if unknown; simgpu_fw_version_newest() the code of
 * the last version of the schema.
 */
int simgpu_fw_version_parse(const char *text, uint32_t *code);
const char *simgpu_fw_version_name(uint32_t code);
uint32_t simgpu_fw_version_newest(void);

#endif
