/* SPDX-License-Identifier: MIT */
/*
 * Sending and receiving one struct udrm_msg with at most one fd, for both
 * ends of the device server's connections.
 */
#ifndef UDRM_SERVER_TRANSPORT_H
#define UDRM_SERVER_TRANSPORT_H

#include "proto.h"

/* Sends @msg (its size field is set here) with @fd attached if >= 0.
 * 0 or -errno (-EPIPE when the peer is gone). Retries on EINTR. */
int udrm_msg_send(int sock, struct udrm_msg *msg, int fd);

/* Receives one message; *fd gets the attached fd (close-on-exec) or -1.
 * 0; -EPIPE when the peer has gone; -EPROTO for a message of the wrong
 * size or with more than one fd (any fds are closed); -EINTR when a
 * signal handler interrupted the wait; -errno otherwise. */
int udrm_msg_recv(int sock, struct udrm_msg *msg, int *fd);

#endif
