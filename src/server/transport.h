/* SPDX-License-Identifier: MIT */
/*
 * Sending and receiving one struct udrm_msg with at most one fd, for both
 * ends of the device server's connections.
 */
#ifndef UDRM_SERVER_TRANSPORT_H
#define UDRM_SERVER_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Sends @msg (its size field is set here) with @fd attached if >= 0.
 * 0 or -errno (-EPIPE when the peer is gone). Retries on EINTR. */
int udrm_msg_send(int sock, struct udrm_msg *msg, int fd);

/* Receives one message; *fd gets the attached fd (close-on-exec) or -1.
 * 0; -EPIPE when the peer has gone; -EPROTO for a message of the wrong
 * size or with more than one fd (any fds are closed); -EINTR when a
 * signal handler interrupted the wait; -errno otherwise. */
int udrm_msg_recv(int sock, struct udrm_msg *msg, int *fd);

/*
 * Waits up to UDRM_MSG_SPIN_NS for a message on @sock without sleeping,
 * giving the CPU away between looks (for a peer on the same CPU). Waking
 * a thread that slept costs tens of microseconds on a virtual machine,
 * more than most requests take, so both ends look for a while before
 * they block: a reply, or a client's next request, is then picked up at
 * once.
 */
#define UDRM_MSG_SPIN_NS 30000
void udrm_msg_spin(int sock);

/*
 * Waits up to UDRM_SLOT_SPIN_NS, without sleeping, for @word (of a
 * struct udrm_slot) to differ from @value: the value found, or @value when
 * the time is up. It spins with the CPU's pause, gives the CPU away every
 * few microseconds, and at every look while @peer_cpu names the CPU this
 * thread runs on (the peer can only answer once it runs). Looking costs
 * no system call, so a request or reply posted in the slot is seen within
 * a cache-line transfer while the other end looks.
 */
#define UDRM_SLOT_SPIN_NS 50000
uint32_t udrm_slot_spin(_Atomic uint32_t *word, uint32_t value,
			_Atomic int16_t *peer_cpu);

/* Records the CPU this thread runs on in @cpu (a slot's hint). */
void udrm_slot_note_cpu(_Atomic int16_t *cpu);

/* The inodes of the files a connection has shown to hold (both ends keep
 * one: the client to know when to attach the fd, the server to check). */
struct udrm_ino_set {
	uint64_t *inos;
	size_t count, capacity;
};

bool udrm_ino_set_has(const struct udrm_ino_set *set, uint64_t ino);
/* 0 (also when already there) or -ENOMEM. */
int udrm_ino_set_add(struct udrm_ino_set *set, uint64_t ino);
/* Keeps only the inodes for which @keep says true. */
void udrm_ino_set_filter(struct udrm_ino_set *set,
			 bool (*keep)(void *ctx, uint64_t ino), void *ctx);
void udrm_ino_set_fini(struct udrm_ino_set *set);

#endif
