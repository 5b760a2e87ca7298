/* SPDX-License-Identifier: MIT */
/*
 * udrm_sync_fd: an object handed to a program as a file descriptor, the
 * userspace stand-in for the kernel's anonymous inode files (the opaque
 * syncobj fd, the sync_file).
 *
 * The fd is one end of an AF_UNIX SOCK_SEQPACKET socket pair, so that dup,
 * close, fork, CLOEXEC and poll behave as for any file. The other end, the
 * "kept" end, stays in a process-wide registry keyed by the exported end's
 * (st_dev, st_ino): a lookup by fd fstat()s it and finds the object. When
 * every copy of the exported end is closed the kept end polls POLLHUP and
 * the registry drops its reference; this is noticed lazily, by a sweep at
 * each export and before each lookup (a dead export's inode number may be
 * reused by a new socket). Sending a byte on the kept end makes the
 * exported end poll POLLIN: a sync_file is readable once its fence has
 * signalled.
 *
 * Ownership: struct udrm_sync_fd is embedded in the object and reference
 * counted (udrm_sync_fd_get/put). The registry holds one reference per
 * export; lookups return one. The last put calls ops->release, then closes
 * the kept end.
 *
 * Locking: one registry lock, a leaf: nothing but the reference count is
 * touched under it, and releases run after it is dropped. Fork: the
 * registry is locked around fork() so the child gets a consistent copy.
 */
#ifndef UDRM_SYNC_SYNC_FD_H
#define UDRM_SYNC_SYNC_FD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

struct udrm_sync_fd;

struct udrm_sync_fd_ops {
	/* The type's name; a lookup only finds objects of the ops it asks. */
	const char *name;
	/* The last reference is gone: free the container. The kept end is
	 * still open during the call (pending make-readable callbacks may be
	 * cancelled) and closed right after it. */
	void (*release)(struct udrm_sync_fd *sfd);
};

struct udrm_sync_fd {
	const struct udrm_sync_fd_ops *ops;
	atomic_int refcount;
	atomic_int kept_fd; /* our end of the pair; -1 once closed */
	dev_t st_dev;	    /* the exported end's identity */
	ino_t st_ino;
};

/*
 * Makes a socket pair for @sfd, registers @sfd (initialised with @ops and
 * two references: the registry's and the caller's) and returns the
 * exported end in *fd, with FD_CLOEXEC if @cloexec, given to the caller of
 * the running entry point (udrm_fd_install(): *fd is the caller's number). On
 * failure @sfd is left uninitialised and the caller frees it; 0 or -errno
 * (-EMFILE, -ENOMEM...).
 */
int udrm_sync_fd_export(struct udrm_sync_fd *sfd,
			const struct udrm_sync_fd_ops *ops, bool cloexec,
			int *fd);

/* The object of @ops type that @fd stands for (a reference), or NULL if @fd
 * is not one (another type, a plain socket, not an fd). @fd is the
 * caller's (udrm_fd_get()). Sweeps first. */
struct udrm_sync_fd *udrm_sync_fd_lookup(int fd,
					 const struct udrm_sync_fd_ops *ops);
/* The same for a local @fd (the fd an entry point was called on). */
struct udrm_sync_fd *
udrm_sync_fd_lookup_local(int fd, const struct udrm_sync_fd_ops *ops);

struct udrm_sync_fd *udrm_sync_fd_get(struct udrm_sync_fd *sfd);
void udrm_sync_fd_put(struct udrm_sync_fd *sfd); /* NULL-safe */

/*
 * Makes the exported end poll readable (POLLIN) from now on. Does not block
 * and takes no lock: safe from a fence callback. Idempotent in effect.
 * Only while the caller holds a reference (the kept end is open).
 */
void udrm_sync_fd_make_readable(struct udrm_sync_fd *sfd);

/* Drops the registry's reference to every object whose fds are all
 * closed, now rather than at the next export or lookup. */
void udrm_sync_fd_sweep(void);

/* Objects currently registered (all types), for tests. */
size_t udrm_sync_fd_count(void);

#endif
