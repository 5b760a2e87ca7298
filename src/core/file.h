/* SPDX-License-Identifier: MIT */
/*
 * struct udrm_file: one open file on a node, as the kernel's drm_file.
 * Fields marked (lock) are protected by dev->lock; the rest are set at open
 * and read-only after, or atomic.
 */
#ifndef UDRM_CORE_FILE_H
#define UDRM_CORE_FILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "idr.h"
#include "u64map.h"
#include "udrm/udrm.h"

struct udrm_device;
struct udrm_master;
struct udrm_uaccess_ops;
struct udrm_framebuffer;
struct udrm_property_blob;

struct udrm_file {
	struct udrm_device *dev;
	enum udrm_node_type node;
	int open_flags; /* open(2) flags */
	pid_t pid;	/* process that opened the file */
	const struct udrm_uaccess_ops *uaccess;

	/* Authentication and master (lock). */
	struct udrm_master *master; /* a reference, NULL on render nodes */
	uint32_t magic;
	bool authenticated;
	bool is_master;	 /* owns @master (made it by becoming master) */
	bool was_master; /* has been current master; may set it again */

	/* Client caps, set by SET_CLIENT_CAP (lock). */
	bool stereo_allowed, universal_planes, atomic, aspect_ratio_allowed,
		writeback_connectors, supports_virtualized_cursor_plane;

	/* GEM (lock) */
	struct udrm_idr handles;  /* handle -> object (a handle reference) */
	struct udrm_u64map prime; /* dma-buf inode -> handle */

	/* Sync objects (lock): handle -> struct udrm_syncobj (a reference),
	 * managed by sync/syncobj.c as the kernel's syncobj_idr. */
	struct udrm_idr syncobjs;

	/* Events: records travel from event_fd to user_fd (a socket pair);
	 * event_space is the kernel's budget of unread bytes. */
	int user_fd;  /* pollable end, what udrm_file_fd() returns */
	int event_fd; /* the core's end */
	pthread_mutex_t event_lock; /* serialises readers and event_space */
	int event_space;

	/* KMS (kms->lock, see kms/kms.h): framebuffers and property blobs
	 * this file created; they go when the file closes. */
	struct udrm_framebuffer *fbs;
	struct udrm_property_blob *blobs;

	void *driver_private;
	struct udrm_file *next; /* dev->files (lock) */
};

static inline bool udrm_is_render_client(const struct udrm_file *file)
{
	return file->node == UDRM_NODE_RENDER;
}

static inline bool udrm_is_primary_client(const struct udrm_file *file)
{
	return file->node == UDRM_NODE_PRIMARY;
}

#endif
