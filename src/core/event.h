/* SPDX-License-Identifier: MIT */
/*
 * Per-file DRM events (vblank, flip complete, sequence), as the kernel's
 * drm_event_reserve_init()/drm_send_event()/drm_read().
 *
 * Events are struct drm_event records sent over the file's socket pair
 * (event_fd -> user_fd), so the file's fd polls readable exactly while
 * events are pending, even to code that udrm does not see. Each file may
 * hold at most UDRM_EVENT_SPACE bytes of unread events: a producer reserves
 * space first (-ENOMEM when full, as the kernel) and then sends or cancels.
 */
#ifndef UDRM_CORE_EVENT_H
#define UDRM_CORE_EVENT_H

#include <stddef.h>
#include <sys/types.h>

struct udrm_file;
struct drm_event;

#define UDRM_EVENT_SPACE 4096

/* Sets up @file's socket pair; -errno. */
int udrm_event_init(struct udrm_file *file);
void udrm_event_fini(struct udrm_file *file);

/* Reserves @length bytes of @file's budget; -ENOMEM if it is exhausted,
 * -EINVAL for a length below sizeof(struct drm_event). */
int udrm_event_reserve(struct udrm_file *file, size_t length);
/* Gives back a reservation that will not be sent. */
void udrm_event_cancel(struct udrm_file *file, size_t length);
/* Queues @event (event->length bytes, which were reserved). Never blocks.
 * Returns 0 or -errno (the reservation is released on failure). */
int udrm_event_send(struct udrm_file *file, const struct drm_event *event);

/* For a transport whose client reads the events itself from the fd it
 * took (udrm_file_take_fd()): @n bytes of them were read, so the budget
 * gets them back. Never beyond UDRM_EVENT_SPACE, whatever @n says (it
 * comes from another process). */
void udrm_event_consumed(struct udrm_file *file, size_t n);

/* drm_read(): whole events into user buffer @buf (see udrm_file_read()). */
ssize_t udrm_event_read(struct udrm_file *file, void *buf, size_t len);

#endif
