/* SPDX-License-Identifier: MIT */
/*
 * vkms internals: the device, one output per CRTC (its composer thread,
 * CRC queue, writeback connector and captured frame).
 *
 * Locking: output->lock protects the output's snapshot, vblank sequence
 * numbers, CRC queue and captured frame. It is taken under kms->lock (from
 * atomic_flush) and from the vblank and composer threads, never the other
 * way round; nothing else is taken under it except fence signalling.
 */
#ifndef UDRM_VKMS_DRV_H
#define UDRM_VKMS_DRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kms/kms.h"
#include "udrm/udrm.h"
#include "vkms_composer.h"
#include "vkms_config.h"

struct udrm_device;

/* DRM_CRC_ENTRIES_NR */
#define VKMS_CRC_ENTRIES 128
#define VKMS_LUT_SIZE	 256

/* What a CRTC shows, copied from the atomic state when it became current
 * so that the composer never looks at KMS state (reference counted: the
 * composer may still use the previous one). */
struct vkms_snapshot {
	atomic_int refcount;
	bool active;
	bool hold;     /* made by taking a removed framebuffer off the screen */
	bool composed; /* (output->lock) composed at least once */
	struct vkms_frame_input in;
	struct vkms_plane_input planes[UDRM_KMS_MAX_PLANES];
	struct udrm_framebuffer *fbs[UDRM_KMS_MAX_PLANES]; /* references */
	struct drm_color_lut *gamma;			   /* owned copy */
	struct udrm_writeback_job *wb_job; /* owned, until written */
};

struct vkms_crc_entry {
	uint64_t frame;
	uint32_t crc;
};

struct vkms_output {
	struct udrm_crtc crtc;
	struct vkms_device *vkms;
	struct udrm_connector wb_connector;
	struct udrm_encoder wb_encoder;
	bool has_writeback;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Serialises composition (the composer's scratch, @frame swaps):
	 * the composer thread, a flush composing a picture about to be
	 * replaced, and udrm_device_last_frame may each compose. Taken
	 * before @lock. */
	pthread_mutex_t compose_lock;
	pthread_t thread;
	bool thread_running, stop;
	struct vkms_snapshot *snap; /* current (a reference) */
	uint64_t vblank_seq;	    /* last vblank seen */
	uint64_t composed_seq;	    /* last vblank composed for */
	struct vkms_composer composer;

	/* CRC (debugfs crtc-N/crc): the kernel's drm_crtc_crc. */
	char crc_source[16]; /* "" = none, "auto" */
	bool crc_opened;     /* data file open: capture running */
	struct vkms_crc_entry crc[VKMS_CRC_ENTRIES];
	unsigned int crc_head, crc_tail;
	bool crc_overflow;
	int crc_eventfd; /* readable while entries are queued */

	/* Last frame shown with a program's framebuffers (capture), in
	 * DRM_FORMAT_BGR888 (bytes R, G, B), frame_width * 3 bytes per line. */
	uint8_t *frame;
	uint32_t frame_width, frame_height;
	uint64_t frame_seq;
	bool have_frame;
	pid_t frame_pid; /* process that composed it */
	/* A frame buffer to reuse (compose_lock), as @frame. */
	uint8_t *spare;
	size_t spare_bytes;
};

struct vkms_device {
	struct udrm_device *dev;
	struct udrm_kms *kms;
	struct vkms_config config;
	struct vkms_output *outputs[VKMS_MAX_CRTCS];
	struct udrm_plane *planes[VKMS_MAX_PLANES];
	struct udrm_encoder *encoders[VKMS_MAX_ENCODERS];
	struct udrm_connector *connectors[VKMS_MAX_CONNECTORS];

	/* Capture (udrm_device_capture), read by the composer threads. */
	atomic_bool capture;
	void (*frame_fn)(void *ctx, struct udrm_device *dev,
			 const struct udrm_frame *frame);
	void *frame_ctx;
};

static inline struct vkms_output *vkms_output_of(struct udrm_crtc *crtc)
{
	return (struct vkms_output *)((char *)crtc -
				      offsetof(struct vkms_output, crtc));
}

/* vkms_output.c: the CRTCs, their composer threads and capture. */
int vkms_output_init(struct vkms_device *vkms, unsigned int index,
		     struct udrm_plane *primary, struct udrm_plane *cursor);
int vkms_output_init_writeback(struct vkms_output *out);
void vkms_output_stop(struct vkms_output *out);
int vkms_capture(struct udrm_device *dev,
		 void (*fn)(void *ctx, struct udrm_device *dev,
			    const struct udrm_frame *frame),
		 void *ctx);
int vkms_last_frame(struct udrm_device *dev, unsigned int crtc,
		    struct udrm_frame *frame);

/* vkms_crc.c: CRC queue and its debugfs files. */
void vkms_crc_add(struct vkms_output *out, uint64_t frame, uint32_t crc);
bool vkms_crc_wanted(struct vkms_output *out);
int vkms_crc_register(struct vkms_output *out);

#endif
