/* SPDX-License-Identifier: MIT */
/*
 * The udrm device server: devices shared by several processes with the
 * kernel's semantics (docs/server.md). This is the server side of the
 * transport; src/server/client.h is the other.
 *
 * Open files live in the server. A client's device fd is one end of the
 * file's event socket pair, made by core/ and handed over at OPEN; the
 * server keeps the other end, so the file is closed exactly when every
 * copy of the client's fd, in every process, is gone (dup, fork and
 * SCM_RIGHTS share it as they share a kernel file). Each request runs
 * with the client as the caller (core/uaccess.h): user memory through
 * process_vm_readv/writev, user fds through pidfd_getfd() and FD_INSTALL
 * callbacks. An ioctl on a file the connection has shown may come through
 * the connection's request slot instead of its socket (proto.h): its
 * argument's window is then served from the shared page.
 *
 * Threads: one accepting connections, one per connection (a client thread's
 * requests run in order, on that thread; other clients are not held up by a
 * blocking request), and one watching the kept ends for files to close.
 * A request first closes the files whose fds are gone by then, as the
 * kernel has released them when the client's close() or the reaping of a
 * killed process returns. A client that goes away interrupts its blocking
 * request, as SIGKILL does. srv->lock guards the file list and file
 * references; no core/ call is made under it.
 */
#ifndef UDRM_SERVER_SERVER_H
#define UDRM_SERVER_SERVER_H

#include <stddef.h>

#include "udrm/udrm.h"

struct udrm_server;

/* Connections served at once, per client process and in all: one thread
 * each. Further connections are accepted and closed (the client's HELLO
 * fails with -EPIPE), so that no process can take every thread. */
#define UDRM_SERVER_MAX_CONNS_PER_PID 256
#define UDRM_SERVER_MAX_CONNS	      1024

/*
 * Serves @devs (borrowed: they must outlive the server) on a new
 * AF_UNIX SOCK_SEQPACKET socket at @path, which must not exist. 0 or
 * -errno; the server runs on its own threads until udrm_server_stop().
 */
int udrm_server_start(struct udrm_device *const *devs, size_t ndevs,
		      const char *path, struct udrm_server **out);

/* Stops accepting, disconnects every client (a blocking request is
 * interrupted, others finish first), closes every open file, joins every
 * thread and removes the socket. */
void udrm_server_stop(struct udrm_server *srv);

/* Open files the server holds, virtual files' opens included (for tests
 * and `udrm info`). */
size_t udrm_server_file_count(struct udrm_server *srv);

/* The virtual files the server serves. Their ids, 0 to this count - 1,
 * follow udrm_device_for_each_vfile() over the devices in the order given
 * to udrm_server_start() (VFILE_OPEN, udrm_client_vfile_open()). */
size_t udrm_server_vfile_count(struct udrm_server *srv);

#endif
