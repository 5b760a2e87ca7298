/* SPDX-License-Identifier: MIT */
/*
 * udrm_sync_file: a fence handed to a program as a file descriptor, as the
 * kernel's drivers/dma-buf/sync_file.c. The fd polls readable (POLLIN) once
 * the fence has signalled; its ioctls (udrm_sync_file_ioctl(), declared in
 * udrm/udrm.h) are SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO and
 * SYNC_IOC_SET_DEADLINE, with the kernel's semantics.
 *
 * The fd is an object of the sync_fd registry (sync_fd.h): it holds a
 * reference to its fence until every copy of the fd is closed (noticed at
 * the registry's next sweep). Unlike the kernel, which adds its callback on
 * the first poll(), the fence's signalling is enabled when the file is
 * created: poll() itself is not seen by udrm.
 *
 * Locking: a sync_file is immutable after creation. Its fence callback only
 * makes the fd readable (a non-blocking send(), no lock).
 */
#ifndef UDRM_SYNC_SYNC_FILE_H
#define UDRM_SYNC_SYNC_FILE_H

#include <linux/sync_file.h>
#include <stdbool.h>

#include "sync/dma_fence.h"

/* SYNC_IOC_SET_DEADLINE (kernel 6.4+), newer than Debian 12's headers. */
struct udrm_sync_set_deadline {
	__u64 deadline_ns; /* CLOCK_MONOTONIC */
	__u64 pad;	   /* must be zero */
};
#define UDRM_SYNC_IOC_SET_DEADLINE                                             \
	_IOW(SYNC_IOC_MAGIC, 5, struct udrm_sync_set_deadline)

_Static_assert(sizeof(struct udrm_sync_set_deadline) == 16,
	       "sync_set_deadline layout");
_Static_assert(sizeof(struct sync_merge_data) == 48, "sync_merge_data layout");
_Static_assert(sizeof(struct sync_fence_info) == 80, "sync_fence_info layout");
_Static_assert(sizeof(struct sync_file_info) == 56, "sync_file_info layout");

/*
 * A new sync_file fd for @fence (referenced, not consumed), with FD_CLOEXEC
 * if @cloexec. Returns the fd or -errno.
 */
int udrm_sync_file_create(struct udrm_fence *fence, bool cloexec);

/* The fence of sync_file @fd (a reference), or NULL if @fd is not one. */
struct udrm_fence *udrm_sync_file_get_fence(int fd);

/* Connects sync_files to the DRM syncobj ioctls (EXPORT/IMPORT_SYNC_FILE
 * flags). Idempotent; called at device creation. */
void udrm_sync_file_init(void);

#endif
