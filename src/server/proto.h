/* SPDX-License-Identifier: MIT */
/*
 * The device server's wire protocol (docs/server.md).
 *
 * Each client thread has its own AF_UNIX SOCK_SEQPACKET connection to the
 * server; every message is exactly one struct udrm_msg, with at most one
 * fd attached (SCM_RIGHTS). A client sends a request and reads messages
 * until the REPLY to it: meanwhile the server may call back (FD_INSTALL,
 * FD_UNINSTALL) and the client answers each with a CALLBACK_REPLY.
 *
 * Open files are named by the inode number of the client's fd (the
 * socket end the server handed over at OPEN). A connection proves it may
 * use a file by attaching the fd to its first request on that file.
 *
 * After HELLO a connection may ask for a request slot (SLOT_SETUP): a
 * shared page through which IOCTLs on files it has shown go without a
 * system call while both ends are looking (struct udrm_slot below); the
 * socket stays for everything else, and for waking an end that sleeps.
 */
#ifndef UDRM_SERVER_PROTO_H
#define UDRM_SERVER_PROTO_H

#include <stdint.h>

#define UDRM_PROTO_VERSION 3

enum udrm_msg_type {
	/* c->s: a = UDRM_PROTO_VERSION. s->c REPLY: ret = 0 or -EPROTO. */
	UDRM_MSG_HELLO = 1,
	/* c->s: a = minor, b = open(2) flags. s->c REPLY: ret, ino; the
	 * file's fd attached on success. */
	UDRM_MSG_OPEN = 2,
	/* c->s: ino, a = ioctl cmd, b = argument (a client address); the fd
	 * attached when the connection has not used this file yet. s->c
	 * REPLY: ret. */
	UDRM_MSG_IOCTL = 3,
	/* s->c during a request: an fd attached, a = 1 for close-on-exec.
	 * c->s CALLBACK_REPLY: ret = the client's fd number or -errno. */
	UDRM_MSG_FD_INSTALL = 4,
	/* s->c during a request: a = the client's fd number to close.
	 * c->s CALLBACK_REPLY: ret = 0. */
	UDRM_MSG_FD_UNINSTALL = 5,
	UDRM_MSG_CALLBACK_REPLY = 6,
	UDRM_MSG_REPLY = 7,
	/* c->s: ino, a = fake offset, b = length, ret = prot | flags << 32
	 * (the fd attached as for IOCTL). s->c REPLY: ret, a = the offset to
	 * map the attached memfd at. */
	UDRM_MSG_MMAP = 8,
	/* c->s while waiting for the reply to request @seq: a signal handler
	 * without SA_RESTART interrupted the client, so the request's
	 * interruptible sleep ends with -EINTR (the kernel's -ERESTARTSYS).
	 * No reply of its own; one for a request already answered is
	 * ignored. */
	UDRM_MSG_CANCEL = 9,
	/* c->s: a device fd attached that this process got otherwise than
	 * from OPEN on this connection (exec, SCM_RIGHTS). s->c REPLY: ret 0,
	 * a = the minor of the file's node, b = 1 for a lessee's file
	 * (CREATE_LEASE) and 0 otherwise; the connection holds the file
	 * from then on. -EBADF when the fd is no open file of the server. */
	UDRM_MSG_ADOPT = 10,
	/* c->s: ino, a = the bytes of events the client read from its end
	 * of the file (1..UDRM_EVENT_SPACE, core/event.h); the fd attached
	 * as for IOCTL. s->c REPLY: ret. The server keeps only the other end
	 * and cannot see reads: this gives the file's event budget back. */
	UDRM_MSG_EVENTS_CONSUMED = 11,
	/* c->s: a = ioctl cmd, b = argument (a client address); attached, an
	 * fd that is no device file: a dma-buf or sync_file the server made,
	 * found by its inode. s->c REPLY: ret; -ENOTTY when the server knows
	 * no such fd (the client passes the ioctl to the real file). */
	UDRM_MSG_FD_IOCTL = 12,
	/*
	 * Virtual files (sysfs, debugfs: udrm_vfile_* in udrm/udrm.h). A
	 * vfile is named by its id, its index in udrm_device_for_each_vfile()
	 * over the server's devices in order (udrm_server_vfile_count()). An
	 * open of one is a handle: a socket end the server made, named and
	 * proven like a device fd (the server keeps the other end and closes
	 * the open when every copy of the handle is gone).
	 *
	 * VFILE_OPEN c->s: a = id, b = open(2) flags. s->c REPLY: ret (the
	 * open's errno, -ENOENT for a bad id), ino; the handle attached on
	 * success.
	 */
	UDRM_MSG_VFILE_OPEN = 13,
	/* c->s: ino (the handle, attached as for IOCTL), a = buffer (a
	 * client address), b = length, ret = position for pread/pwrite, < 0
	 * for the open's own. s->c REPLY: ret = bytes or -errno. A blocking
	 * read waits in the server and ends with -EINTR on CANCEL. */
	UDRM_MSG_VFILE_READ = 14,
	UDRM_MSG_VFILE_WRITE = 15,
	/* c->s: ino, a = offset (signed), b = whence. s->c REPLY: ret = the
	 * new position or -errno. */
	UDRM_MSG_VFILE_LSEEK = 16,
	/* c->s: ino, a = 1 to set O_NONBLOCK, 0 to clear it. s->c REPLY:
	 * ret. */
	UDRM_MSG_VFILE_SET_NONBLOCK = 17,
	/* c->s: ino. s->c REPLY: ret 0 with an fd attached that polls POLLIN
	 * while a read would not block; -EOPNOTSUPP for a file that is
	 * always ready (attributes); -errno. */
	UDRM_MSG_VFILE_POLL_FD = 18,
	/* c->s, once per connection: s->c REPLY: ret 0 with a sealed memfd
	 * attached (at least sizeof(struct udrm_slot) bytes, mapped shared
	 * by both ends) or -errno (the client stays on the socket). */
	UDRM_MSG_SLOT_SETUP = 19,
	/* c->s: a request was posted in the slot while the server slept
	 * (struct udrm_slot). No reply; a stale one is ignored. */
	UDRM_MSG_SLOT_WAKE = 20,
};

struct udrm_msg {
	uint32_t type; /* enum udrm_msg_type */
	uint32_t size; /* sizeof(struct udrm_msg) */
	uint64_t seq;  /* a request's number; its reply and callbacks echo it */
	int64_t ret;
	uint64_t ino;
	uint64_t a, b;
};
_Static_assert(sizeof(struct udrm_msg) == 48, "udrm_msg layout");

/*
 * The request slot (SLOT_SETUP): an IOCTL on a file the connection has
 * shown, its top-level argument (_IOC_SIZE(cmd) bytes at @arg, unless
 * _IOC_NONE) copied inline. The server serves copies from and to that
 * window out of @buf and records the bytes it wrote, which the client
 * copies back after the reply; other user memory goes through
 * process_vm_readv/writev as for socket requests.
 *
 * Two words hand the slot over, each changed only with an atomic
 * exchange by the side that does not own it, so that a sleeper is woken
 * exactly once:
 *
 * @server: the client posts any request (UDRM_SLOT_POSTED, after filling
 *   the slot, or before sending a socket request with @via = 0); if the
 *   old value was SLEEPING and the request is in the slot, it sends
 *   SLOT_WAKE on the socket (a socket request wakes the server itself).
 *   The server sets RUNNING when it takes a request, and SLEEPING before
 *   it blocks in recv() on the socket (a POSTED it finds then is taken).
 * @client: the client sets WAITING before posting a slot request, looks
 *   for the reply for a while, then exchanges SLEEPING and waits on the
 *   socket unless REPLIED was already there. The server sets REPLIED
 *   after writing the reply and sends a REPLY on the socket if it found
 *   SLEEPING; before any callback (FD_INSTALL...) it sets DIVERTED: the
 *   rest of that request (callbacks, a CANCEL, the REPLY) goes on the
 *   socket, the inline window and @out_* still hold.
 *
 * The server trusts nothing in the slot: it reads the request once and
 * drops the connection for a bad size; a client scribbling on the slot
 * only confuses its own requests.
 */
#define UDRM_SLOT_ARG_MAX 16384 /* > _IOC_SIZE's largest: every ioctl fits */

enum udrm_slot_server {
	UDRM_SLOT_RUNNING = 0,
	UDRM_SLOT_SLEEPING = 1,
	UDRM_SLOT_POSTED = 2,
};

enum udrm_slot_client {
	UDRM_SLOT_WAITING = 0,
	UDRM_SLOT_CLIENT_SLEEPING = 1,
	UDRM_SLOT_REPLIED = 2,
	UDRM_SLOT_DIVERTED = 3,
};

struct udrm_slot {
	_Atomic uint32_t server; /* enum udrm_slot_server */
	_Atomic uint32_t client; /* enum udrm_slot_client */
	/* The CPU each end last ran on (a hint: a looker whose peer is on
	 * its own CPU gives it the CPU at once). */
	_Atomic int16_t client_cpu, server_cpu;
	/* The request (client): in this slot (1) or on the socket (0). */
	uint16_t via;
	uint16_t arg_size; /* bytes of @buf valid: the window's size */
	uint64_t seq, ino, cmd, arg;
	/* The reply (server): the ioctl's ret; the window bytes
	 * [out_lo, out_hi) were written. */
	int64_t ret;
	uint16_t out_lo, out_hi;
	_Alignas(64) unsigned char buf[UDRM_SLOT_ARG_MAX];
};
_Static_assert(sizeof(struct udrm_slot) == 64 + UDRM_SLOT_ARG_MAX,
	       "udrm_slot layout: the control words and request in one line");

#endif
