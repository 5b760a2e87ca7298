// SPDX-License-Identifier: MIT
/*
 * The device server (see server.h and docs/server.md).
 */
#include "server.h"

#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/event.h"
#include "core/file.h"
#include "core/uaccess.h"
#include "proto.h"
#include "transport.h"

/* One open file: a device file or an open of a virtual file (srv->lock
 * for the list and refs). */
struct srv_file {
	uint64_t ino;		       /* the inode of the client's fd */
	struct udrm_file *file;	       /* a device file, or */
	struct udrm_vfile_open *vopen; /* an open of a virtual file */
	int kept_fd; /* the other end of the client's, polled for POLLHUP:
		      * core's event end, or the vfile handle's (ours) */
	bool lessee; /* made by CREATE_LEASE */
	/* The vfile's O_NONBLOCK: its open is non-blocking underneath and
	 * blocking reads wait in the server (srv_vfile_read_wait). */
	atomic_bool nonblock;
	unsigned int refs; /* the list's + one per request using it */
	struct srv_file *next;
};

/* One client connection, served by its own thread. */
struct srv_conn {
	struct udrm_caller caller; /* first: the ops get back to the conn */
	struct udrm_server *srv;
	int sock;
	int pidfd;
	pthread_t thread;
	struct udrm_ino_set proven; /* the files this connection holds */
	uint64_t seq;		    /* of the request being served */
	bool cancelled;		    /* its CANCEL was read during a callback */
	/* The request slot shared with the client (NULL until SLOT_SETUP;
	 * proto.h). While @fast, the request being served came through it:
	 * user memory in [win_arg, win_arg + win_size) is @slot->buf, and
	 * the bytes core wrote there are [out_lo, out_hi); @diverted once a
	 * callback sent the rest of the request to the socket. */
	struct udrm_slot *slot;
	bool fast, diverted;
	uint64_t win_arg;
	uint32_t win_size, out_lo, out_hi;
	bool broken;	  /* a callback failed: the connection is dropped */
	atomic_bool done; /* the thread has finished (may be joined) */
	/* While set, a copy of exactly @snoop_len bytes to the client at
	 * @snoop_addr is also kept at @snoop (CREATE_LEASE's argument as
	 * core wrote it, whatever the client does to its memory after). */
	void *snoop;
	uint64_t snoop_addr;
	size_t snoop_len;
	bool snooped;
	struct srv_conn *next;
};

struct udrm_server {
	struct udrm_device **devs;
	size_t ndevs;
	char *path;
	int listen_fd;
	int wake[2]; /* wakes the watcher to stop */
	/* The kept end of every open file (data: its ino) and wake[0]
	 * (SRV_WAKE): reports the files whose client fds are all gone. */
	int epfd;
	pthread_t accept_thread, watch_thread;
	atomic_bool stopping;

	/* Virtual files by id: udrm_device_for_each_vfile() over the
	 * devices in order, at start. */
	struct udrm_vfile **vfiles;
	size_t nvfiles;

	pthread_mutex_t lock;
	struct srv_file *files;
	unsigned int closing;	/* files being closed (lock) */
	pthread_cond_t closed;	/* signalled when @closing drops to 0 */
	struct srv_conn *conns; /* the accepting thread's */
};

/* The wake pipe's epoll data: inode numbers are 32-bit on sockfs. */
#define SRV_WAKE UINT64_MAX

static void srv_wake(struct udrm_server *srv)
{
	static const char byte = 1;

	if (write(srv->wake[1], &byte, 1) < 0) {
		/* A full pipe is already a pending wake-up. */
	}
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static struct srv_file *srv_file_find(struct udrm_server *srv, uint64_t ino)
{
	struct srv_file *f;

	pthread_mutex_lock(&srv->lock);
	for (f = srv->files; f; f = f->next)
		if (f->ino == ino)
			break;
	if (f)
		f->refs++;
	pthread_mutex_unlock(&srv->lock);
	return f;
}

/* The inode naming the open file behind @fd: every fd the server hands
 * out is a socket, and sockets share one filesystem, so the inode alone
 * names one; any other fd is refused (-EBADF). */
static int srv_fd_ino(int fd, uint64_t *ino)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
		return -EBADF;
	*ino = st.st_ino;
	return 0;
}

static void srv_file_close(struct srv_file *f)
{
	if (f->file) {
		udrm_file_close(f->file);
	} else {
		udrm_vfile_close(f->vopen);
		close(f->kept_fd);
	}
	free(f);
}

/* Drops a reference to @f; true when it was the last, and the caller
 * then calls srv_file_release() without the lock. srv->lock held. */
static bool srv_file_unref_locked(struct udrm_server *srv, struct srv_file *f)
{
	if (--f->refs)
		return false;
	srv->closing++;
	return true;
}

static void srv_file_release(struct udrm_server *srv, struct srv_file *f)
{
	srv_file_close(f);
	pthread_mutex_lock(&srv->lock);
	if (!--srv->closing)
		pthread_cond_broadcast(&srv->closed);
	pthread_mutex_unlock(&srv->lock);
}

static void srv_file_put(struct udrm_server *srv, struct srv_file *f)
{
	bool last;

	pthread_mutex_lock(&srv->lock);
	last = srv_file_unref_locked(srv, f);
	pthread_mutex_unlock(&srv->lock);
	if (last)
		srv_file_release(srv, f);
}

/* Whether a file named @ino is open (srv->lock). */
static bool srv_file_is_open_locked(void *ctx, uint64_t ino)
{
	struct udrm_server *srv = ctx;

	for (struct srv_file *f = srv->files; f; f = f->next)
		if (f->ino == ino)
			return true;
	return false;
}

/* Records that @conn holds the file named @ino: 0 or -ENOMEM. */
static int srv_conn_prove(struct srv_conn *conn, uint64_t ino)
{
	struct udrm_server *srv = conn->srv;

	/* Before the set grows, the files closed since go: a connection
	 * opening and closing files (sysfs attributes) keeps it small. */
	if (conn->proven.count == conn->proven.capacity) {
		pthread_mutex_lock(&srv->lock);
		udrm_ino_set_filter(&conn->proven, srv_file_is_open_locked,
				    srv);
		pthread_mutex_unlock(&srv->lock);
	}
	return udrm_ino_set_add(&conn->proven, ino);
}

/* Publishes @f (its file or vopen and kept_fd set), named by @ino, the
 * inode of the end the client gets, as held by @conn. 0 or -errno
 * (nothing published). */
static int srv_file_publish(struct srv_conn *conn, struct srv_file *f,
			    uint64_t ino)
{
	struct udrm_server *srv = conn->srv;
	/* No events asked: EPOLLHUP is always reported. */
	struct epoll_event ev = {.data.u64 = ino};
	int ret = srv_conn_prove(conn, ino);

	if (ret)
		return ret;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, f->kept_fd, &ev))
		return -errno;
	f->ino = ino;
	f->refs = 1;
	pthread_mutex_lock(&srv->lock);
	f->next = srv->files;
	srv->files = f;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* Takes @f off the list (the list's reference goes). */
static void srv_file_unlink_locked(struct udrm_server *srv, struct srv_file *f)
{
	struct srv_file **link;

	for (link = &srv->files; *link; link = &(*link)->next) {
		if (*link == f) {
			*link = f->next;
			return;
		}
	}
}

/* The file named @ino lost its last client fd: off the list, and its
 * list reference goes (it closes now, or after the requests using it). */
static void srv_file_hangup(struct udrm_server *srv, uint64_t ino)
{
	struct srv_file *f;
	bool last = false;

	pthread_mutex_lock(&srv->lock);
	for (f = srv->files; f; f = f->next)
		if (f->ino == ino)
			break;
	if (f) {
		srv_file_unlink_locked(srv, f);
		/* Reported once: the end stays open while requests use it. */
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, f->kept_fd, NULL);
		last = srv_file_unref_locked(srv, f);
	}
	pthread_mutex_unlock(&srv->lock);
	if (last)
		srv_file_release(srv, f);
}

/*
 * Hangs up the files whose client fds are all gone, whoever held them
 * and however they died (their kept ends poll EPOLLHUP), waiting up to
 * @timeout ms for the first (or for the stop's wake-up).
 */
static void srv_hangups(struct udrm_server *srv, int timeout)
{
	struct epoll_event evs[32];
	int n;

	do {
		n = epoll_wait(srv->epfd, evs, 32, timeout);
		for (int i = 0; i < n; i++)
			if (evs[i].data.u64 != SRV_WAKE)
				srv_file_hangup(srv, evs[i].data.u64);
		timeout = 0;
	} while (n == 32);
}

/*
 * Before a request: the files whose client fds are gone are closed
 * first, so that the request sees what its client saw happen (a close()
 * of a master's last fd returned, a killed process was reaped: the
 * kernel has released the file by then).
 */
static void srv_sync_hangups(struct udrm_server *srv)
{
	srv_hangups(srv, 0);
	pthread_mutex_lock(&srv->lock);
	while (srv->closing)
		pthread_cond_wait(&srv->closed, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
}

static void *srv_watch_thread(void *arg)
{
	struct udrm_server *srv = arg;

	while (!atomic_load(&srv->stopping))
		srv_hangups(srv, -1);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The client as the caller of core/                                   */

static struct srv_conn *to_conn(struct udrm_caller *caller)
{
	return (struct srv_conn *)caller;
}

/* process_vm_readv or process_vm_writev. */
typedef ssize_t (*srv_vm_copy_fn)(pid_t, const struct iovec *, unsigned long,
				  const struct iovec *, unsigned long,
				  unsigned long);

/* Moves @n bytes between @local and the caller's address @remote: 0, or
 * -EFAULT when any byte could not be (a short copy included). */
static int srv_vm_copy(struct udrm_caller *caller, srv_vm_copy_fn copy,
		       void *local, uint64_t remote, size_t n)
{
	struct iovec l = {local, n};
	struct iovec r = {(void *)(uintptr_t)remote, n};

	if (!n)
		return 0;
	if (remote + n < remote)
		return -EFAULT;
	return copy(caller->pid, &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

/*
 * The part of the caller's [@addr, @addr + @n) (no wrap-around) inside a
 * slot request's window, as offsets [*lo, *hi) in the window; false when
 * none is.
 */
static bool srv_window_part(const struct srv_conn *conn, uint64_t addr,
			    size_t n, uint32_t *lo, uint32_t *hi)
{
	uint64_t start = conn->win_arg, end = conn->win_arg + conn->win_size;
	uint64_t a = addr > start ? addr : start;
	uint64_t b = addr + n < end ? addr + n : end;

	if (!conn->fast || a >= b)
		return false;
	*lo = (uint32_t)(a - start);
	*hi = (uint32_t)(b - start);
	return true;
}

/*
 * Copies between @local and the caller's @remote: what falls in a slot
 * request's window from or to the slot (writes recorded for the client
 * to copy back), the rest with process_vm_readv/writev.
 */
static int srv_user_copy(struct srv_conn *conn, bool to_user, void *local,
			 uint64_t remote, size_t n)
{
	srv_vm_copy_fn vm = to_user ? process_vm_writev : process_vm_readv;
	unsigned char *buf = conn->slot ? conn->slot->buf : NULL;
	uint32_t lo, hi;
	size_t before, inside;

	if (remote + n < remote)
		return -EFAULT;
	if (!srv_window_part(conn, remote, n, &lo, &hi))
		return srv_vm_copy(&conn->caller, vm, local, remote, n);
	before = (size_t)(conn->win_arg + lo - remote);
	inside = hi - lo;
	if (srv_vm_copy(&conn->caller, vm, local, remote, before) ||
	    srv_vm_copy(&conn->caller, vm, (char *)local + before + inside,
			remote + before + inside, n - before - inside))
		return -EFAULT;
	if (to_user) {
		memcpy(buf + lo, (char *)local + before, inside);
		if (conn->out_hi <= conn->out_lo) {
			conn->out_lo = lo;
			conn->out_hi = hi;
		} else {
			conn->out_lo = lo < conn->out_lo ? lo : conn->out_lo;
			conn->out_hi = hi > conn->out_hi ? hi : conn->out_hi;
		}
	} else {
		memcpy((char *)local + before, buf + lo, inside);
	}
	return 0;
}

static int srv_copy_from_user(struct udrm_caller *caller, void *dst,
			      uint64_t src, size_t n)
{
	return srv_user_copy(to_conn(caller), false, dst, src, n);
}

static int srv_copy_to_user(struct udrm_caller *caller, uint64_t dst,
			    const void *src, size_t n)
{
	struct srv_conn *conn = to_conn(caller);

	if (conn->snoop && dst == conn->snoop_addr && n == conn->snoop_len) {
		memcpy(conn->snoop, src, n);
		conn->snooped = true;
	}
	return srv_user_copy(conn, true, (void *)src, dst, n);
}

/* A callback to the client waiting for its reply; its answer's ret. */
static int64_t srv_callback(struct srv_conn *conn, struct udrm_msg *msg, int fd)
{
	struct udrm_msg reply;
	int rfd = -1, ret;

	if (conn->broken)
		return -EPIPE;
	if (conn->fast && !conn->diverted) {
		/* The client reads callbacks on the socket only. */
		atomic_exchange(&conn->slot->client, UDRM_SLOT_DIVERTED);
		conn->diverted = true;
	}
	msg->seq = conn->seq;
	ret = udrm_msg_send(conn->sock, msg, fd);
	/* A CANCEL may come first: the call is interrupted, and the client
	 * answers the callback all the same. */
	while (!ret) {
		do
			ret = udrm_msg_recv(conn->sock, &reply, &rfd);
		while (ret == -EINTR);
		if (ret || reply.type != UDRM_MSG_CANCEL)
			break;
		if (reply.seq == conn->seq)
			conn->cancelled = true;
		if (rfd >= 0)
			close(rfd);
		rfd = -1;
	}
	if (rfd >= 0)
		close(rfd);
	if (ret || reply.type != UDRM_MSG_CALLBACK_REPLY) {
		conn->broken = true;
		shutdown(conn->sock, SHUT_RDWR);
		return -EPIPE;
	}
	return reply.ret;
}

static int srv_fd_install(struct udrm_caller *caller, int fd)
{
	struct srv_conn *conn = to_conn(caller);
	int flags = fcntl(fd, F_GETFD);
	struct udrm_msg msg = {.type = UDRM_MSG_FD_INSTALL,
			       .a = flags >= 0 && (flags & FD_CLOEXEC)};
	int64_t ret = srv_callback(conn, &msg, fd);

	close(fd);
	if (ret < INT32_MIN || ret > INT32_MAX)
		return -EPROTO;
	return (int)ret;
}

static void srv_fd_uninstall(struct udrm_caller *caller, int ufd)
{
	struct udrm_msg msg = {.type = UDRM_MSG_FD_UNINSTALL,
			       .a = (uint64_t)ufd};

	srv_callback(to_conn(caller), &msg, -1);
}

static int srv_fd_get(struct udrm_caller *caller, int ufd)
{
	struct srv_conn *conn = to_conn(caller);
	int fd = (int)syscall(SYS_pidfd_getfd, conn->pidfd, ufd, 0);

	return fd < 0 ? -EBADF : fd;
}

/*
 * While a request runs the client sends nothing but a CANCEL of it; a
 * CANCEL left over from an earlier request (answered before it arrived),
 * or a stray SLOT_WAKE, is consumed here.
 */
static bool srv_interrupted(struct udrm_caller *caller)
{
	struct srv_conn *conn = to_conn(caller);
	struct udrm_msg msg;

	if (conn->cancelled)
		return true;
	for (;;) {
		ssize_t n = recv(conn->sock, &msg, sizeof(msg),
				 MSG_PEEK | MSG_DONTWAIT);

		if (n == 0)
			return true; /* the client is gone: a fatal signal */
		if (n != (ssize_t)sizeof(msg) ||
		    (msg.type != UDRM_MSG_CANCEL &&
		     msg.type != UDRM_MSG_SLOT_WAKE))
			return false; /* nothing, or for the loop to refuse */
		if (msg.type == UDRM_MSG_CANCEL && msg.seq == conn->seq)
			return true;
		if (recv(conn->sock, &msg, sizeof(msg), MSG_DONTWAIT) < 0)
			return false;
	}
}

static const struct udrm_caller_ops srv_caller_ops = {
	.copy_from_user = srv_copy_from_user,
	.copy_to_user = srv_copy_to_user,
	.fd_install = srv_fd_install,
	.fd_uninstall = srv_fd_uninstall,
	.fd_get = srv_fd_get,
	.interrupted = srv_interrupted,
};

/* ------------------------------------------------------------------ */
/* Requests                                                            */

static struct udrm_device *srv_device_by_minor(struct udrm_server *srv,
					       int minor,
					       enum udrm_node_type *type)
{
	for (size_t i = 0; i < srv->ndevs; i++) {
		for (int t = UDRM_NODE_PRIMARY; t <= UDRM_NODE_RENDER; t++) {
			if (udrm_device_minor(srv->devs[i], t) == minor) {
				*type = t;
				return srv->devs[i];
			}
		}
	}
	return NULL;
}

/* OPEN: a new file; its fd goes back with the reply. */
static int srv_open(struct srv_conn *conn, const struct udrm_msg *req,
		    struct udrm_msg *reply, int *reply_fd)
{
	enum udrm_node_type type;
	struct udrm_device *dev;
	struct udrm_caller *old;
	struct udrm_file *file;
	struct srv_file *f;
	uint64_t ino;
	int fd, ret;

	if (req->a > INT32_MAX || req->b > INT32_MAX)
		return -EINVAL;
	dev = srv_device_by_minor(conn->srv, (int)req->a, &type);
	if (!dev)
		return -ENODEV;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	old = udrm_caller_swap(&conn->caller);
	ret = udrm_file_open(dev, type, (int)req->b, &file);
	udrm_caller_swap(old);
	if (ret) {
		free(f);
		return ret;
	}
	f->file = file;
	f->kept_fd = file->event_fd;
	fd = udrm_file_take_fd(file);
	ret = fd < 0 ? fd : srv_fd_ino(fd, &ino);
	if (!ret)
		ret = srv_file_publish(conn, f, ino);
	if (ret) {
		if (fd >= 0)
			close(fd);
		srv_file_close(f);
		return ret;
	}
	reply->ino = ino;
	*reply_fd = fd;
	return 0;
}

/* The file a request names, if the connection holds it (or proves it
 * does with the attached @fd) and it is a virtual file's open when
 * @vfile, a device file otherwise (-EBADF); a reference. */
static int srv_request_file(struct srv_conn *conn, const struct udrm_msg *req,
			    int fd, bool vfile, struct srv_file **out)
{
	uint64_t ino;
	int ret;

	if (fd >= 0) {
		if (srv_fd_ino(fd, &ino) || ino != req->ino)
			return -EBADF;
		ret = srv_conn_prove(conn, req->ino);
		if (ret)
			return ret;
	}
	if (!udrm_ino_set_has(&conn->proven, req->ino))
		return -EBADF;
	*out = srv_file_find(conn->srv, req->ino);
	if (*out && ((*out)->vopen != NULL) != vfile) {
		srv_file_put(conn->srv, *out);
		*out = NULL;
	}
	return *out ? 0 : -EBADF;
}

/* ADOPT: the connection shows a device fd it did not get from OPEN. */
static int srv_adopt(struct srv_conn *conn, int fd, struct udrm_msg *reply)
{
	struct srv_file *f;
	uint64_t ino;
	int ret;

	if (srv_fd_ino(fd, &ino))
		return -EBADF;
	f = srv_file_find(conn->srv, ino);
	if (!f)
		return -EBADF;
	ret = f->file ? srv_conn_prove(conn, ino) : -EBADF;
	if (!ret) {
		reply->a = (uint64_t)udrm_device_minor(
			udrm_file_device(f->file),
			udrm_file_node_type(f->file));
		reply->b = f->lessee;
	}
	srv_file_put(conn->srv, f);
	return ret;
}

/* EVENTS_CONSUMED: the client read events from its end of the file. */
static int srv_events_consumed(struct srv_conn *conn,
			       const struct udrm_msg *req, int fd)
{
	struct srv_file *f;
	int ret;

	if (!req->a || req->a > UDRM_EVENT_SPACE)
		return -EINVAL;
	ret = srv_request_file(conn, req, fd, false, &f);
	if (ret)
		return ret;
	udrm_event_consumed(f->file, (size_t)req->a);
	srv_file_put(conn->srv, f);
	return 0;
}

/* MMAP: the memfd and offset the client maps itself. */
static int srv_mmap(struct srv_conn *conn, const struct udrm_msg *req, int fd,
		    struct udrm_msg *reply, int *reply_fd)
{
	uint64_t prot_flags = (uint64_t)req->ret, fd_offset = 0;
	struct srv_file *f;
	int ret = srv_request_file(conn, req, fd, false, &f);

	if (ret)
		return ret;
	if (req->b > SIZE_MAX)
		ret = -EINVAL;
	else
		ret = udrm_file_mmap_target(f->file, (size_t)req->b,
					    (int)(uint32_t)prot_flags,
					    (int)(uint32_t)(prot_flags >> 32),
					    req->a, reply_fd, &fd_offset);
	srv_file_put(conn->srv, f);
	reply->a = fd_offset;
	return ret;
}

/*
 * After a CREATE_LEASE: core made the lessee's file and returned its fd,
 * a server fd, in @cl. The file is served like OPEN's, its fd installed
 * in the client (O_CLOEXEC as cl->flags say; O_NONBLOCK is the file's
 * own) and its number written to the client's cl->fd. Called with the
 * client as the caller; on failure the lessee file is closed, which ends
 * the lease.
 */
static int srv_lease_install(struct srv_conn *conn,
			     const struct drm_mode_create_lease *cl,
			     uint64_t uarg)
{
	struct udrm_file *file = udrm_lease_take_file((int)cl->fd);
	struct srv_file *f;
	uint32_t ufd32;
	uint64_t ino;
	int fd, ufd, ret;

	if (!file)
		return -EIO;
	f = calloc(1, sizeof(*f));
	if (!f) {
		udrm_file_close(file);
		return -ENOMEM;
	}
	f->file = file;
	f->kept_fd = file->event_fd;
	f->lessee = true;
	fd = udrm_file_take_fd(file);
	ret = fd < 0 ? fd : srv_fd_ino(fd, &ino);
	if (!ret &&
	    fcntl(fd, F_SETFD, (cl->flags & O_CLOEXEC) ? FD_CLOEXEC : 0))
		ret = -errno;
	if (ret) {
		if (fd >= 0)
			close(fd);
		srv_file_close(f);
		return ret;
	}
	ufd = udrm_fd_install(fd);
	if (ufd < 0) {
		srv_file_close(f);
		return ufd;
	}
	ufd32 = (uint32_t)ufd;
	ret = udrm_copy_to_user(
		NULL, uarg + offsetof(struct drm_mode_create_lease, fd), &ufd32,
		sizeof(ufd32));
	if (!ret)
		ret = srv_file_publish(conn, f, ino);
	if (ret) {
		udrm_fd_uninstall(ufd);
		srv_file_close(f);
	}
	return ret;
}

/* IOCTL on a file the connection holds (or proves it holds with @fd). */
static int srv_ioctl(struct srv_conn *conn, const struct udrm_msg *req, int fd)
{
	unsigned long cmd = (unsigned long)req->a;
	struct drm_mode_create_lease cl;
	struct udrm_caller *old;
	struct srv_file *f;
	bool lease = _IOC_TYPE(cmd) == DRM_IOCTL_BASE &&
		     _IOC_NR(cmd) == _IOC_NR(DRM_IOCTL_MODE_CREATE_LEASE);
	int ret;

	/* Another size or direction would leave the lessee's fd unknown
	 * (and its file with nobody to close it): refused. */
	if (lease && cmd != DRM_IOCTL_MODE_CREATE_LEASE)
		return -EINVAL;
	ret = srv_request_file(conn, req, fd, false, &f);
	if (ret)
		return ret;
	if (lease) {
		conn->snoop = &cl;
		conn->snoop_addr = req->b;
		conn->snoop_len = sizeof(cl);
		conn->snooped = false;
	}
	old = udrm_caller_swap(&conn->caller);
	ret = udrm_file_ioctl(f->file, cmd, (void *)(uintptr_t)req->b);
	conn->snoop = NULL;
	if (lease && !ret)
		ret = conn->snooped ? srv_lease_install(conn, &cl, req->b)
				    : -EIO;
	udrm_caller_swap(old);
	srv_file_put(conn->srv, f);
	return ret;
}

/* FD_IOCTL: an ioctl on a dma-buf or sync_file of the client's; the
 * attached copy is the local fd core looks the object up by. */
static int srv_fd_ioctl(struct srv_conn *conn, const struct udrm_msg *req,
			int fd)
{
	unsigned int cmd = (unsigned int)req->a; /* the kernel's width */
	void *arg = (void *)(uintptr_t)req->b;
	struct udrm_caller *old;
	int ret;

	if (fd < 0)
		return -EBADF;
	old = udrm_caller_swap(&conn->caller);
	ret = udrm_dmabuf_ioctl(fd, cmd, arg);
	if (ret == -ENOTTY)
		ret = udrm_sync_file_ioctl(fd, cmd, arg);
	udrm_caller_swap(old);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Virtual files                                                       */

/* VFILE_OPEN: a new open of vfile @a; its handle, a socket end whose
 * other end the server keeps, goes back with the reply. */
static int srv_vfile_open(struct srv_conn *conn, const struct udrm_msg *req,
			  struct udrm_msg *reply, int *reply_fd)
{
	struct udrm_server *srv = conn->srv;
	struct udrm_vfile_open *of;
	struct udrm_caller *old;
	struct srv_file *f;
	uint64_t ino;
	int sv[2], ret;

	if (req->a >= srv->nvfiles)
		return -ENOENT;
	if (req->b > INT32_MAX)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	old = udrm_caller_swap(&conn->caller);
	ret = udrm_vfile_open(srv->vfiles[req->a], (int)req->b, &of);
	udrm_caller_swap(old);
	if (ret) {
		free(f);
		return ret;
	}
	udrm_vfile_set_nonblock(of, true);
	atomic_init(&f->nonblock, (req->b & O_NONBLOCK) != 0);
	f->vopen = of;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		udrm_vfile_close(of);
		free(f);
		return ret;
	}
	f->kept_fd = sv[0];
	shutdown(sv[1], SHUT_WR); /* a handle: nothing travels on it */
	ret = srv_fd_ino(sv[1], &ino);
	if (!ret)
		ret = srv_file_publish(conn, f, ino);
	if (ret) {
		close(sv[1]);
		srv_file_close(f);
		return ret;
	}
	reply->ino = ino;
	*reply_fd = sv[1];
	return 0;
}

/*
 * A read of a stream file that would block waits here rather than in the
 * driver (the open is non-blocking underneath), in slices, for the poll
 * fd the driver makes readable, so that the client's CANCEL ends it with
 * -EINTR as the kernel's wait_event_interruptible() would (and so does
 * stopping the server).
 */
static ssize_t srv_vfile_read_wait(struct udrm_server *srv, struct srv_file *f,
				   void *buf, size_t len, off_t pos)
{
	for (;;) {
		ssize_t ret = udrm_vfile_read(f->vopen, buf, len, pos);
		struct pollfd pfd = {.events = POLLIN};

		if (ret != -EAGAIN || atomic_load(&f->nonblock))
			return ret;
		if (udrm_signal_pending() || atomic_load(&srv->stopping))
			return -EINTR;
		pfd.fd = udrm_vfile_poll_fd(f->vopen); /* -1: just sleeps */
		poll(&pfd, 1, (int)(UDRM_SLEEP_SLICE_NS / 1000000));
	}
}

/* VFILE_READ, VFILE_WRITE, VFILE_LSEEK, VFILE_SET_NONBLOCK and
 * VFILE_POLL_FD on a handle the connection holds. */
static int64_t srv_vfile_call(struct srv_conn *conn, const struct udrm_msg *req,
			      int fd, int *reply_fd)
{
	void *buf = (void *)(uintptr_t)req->a;
	off_t pos = req->ret < 0 ? -1 : (off_t)req->ret;
	struct udrm_caller *old;
	struct srv_file *f;
	int64_t ret = srv_request_file(conn, req, fd, true, &f);

	if (ret)
		return ret;
	old = udrm_caller_swap(&conn->caller);
	switch (req->type) {
	case UDRM_MSG_VFILE_READ:
		ret = req->b > SIZE_MAX
			      ? -EINVAL
			      : srv_vfile_read_wait(conn->srv, f, buf,
						    (size_t)req->b, pos);
		break;
	case UDRM_MSG_VFILE_WRITE:
		ret = req->b > SIZE_MAX ? -EINVAL
					: udrm_vfile_write(f->vopen, buf,
							   (size_t)req->b, pos);
		break;
	case UDRM_MSG_VFILE_LSEEK:
		ret = req->b > INT32_MAX
			      ? -EINVAL
			      : udrm_vfile_lseek(f->vopen, (off_t)req->a,
						 (int)req->b);
		break;
	case UDRM_MSG_VFILE_SET_NONBLOCK:
		ret = req->a > 1 ? -EINVAL : 0;
		if (!ret)
			atomic_store(&f->nonblock, req->a);
		break;
	default: /* UDRM_MSG_VFILE_POLL_FD */
		ret = udrm_vfile_poll_fd(f->vopen);
		if (ret < 0)
			ret = -EOPNOTSUPP; /* always ready */
		else if ((*reply_fd = fcntl((int)ret, F_DUPFD_CLOEXEC, 0)) < 0)
			ret = -errno;
		else
			ret = 0;
		break;
	}
	udrm_caller_swap(old);
	srv_file_put(conn->srv, f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The request slot                                                    */

/* SLOT_SETUP: a sealed memfd holding the connection's slot, mapped here
 * and sent to the client. Sealed, so that no client can shrink it under
 * the server's mapping. */
static int srv_slot_setup(struct srv_conn *conn, int *reply_fd)
{
	const size_t len = sizeof(struct udrm_slot);
	void *map;
	int fd, ret;

	if (conn->slot)
		return -EBUSY;
	fd = memfd_create("udrm-slot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	conn->slot = map;
	*reply_fd = fd;
	return 0;
}

/* Takes the request posted in the slot as an IOCTL in @req: 0, or
 * -EPROTO for a window that does not match its command (the connection
 * is dropped). Each field is read once: the client may change them. */
static int srv_slot_take(struct srv_conn *conn, struct udrm_msg *req)
{
	volatile struct udrm_slot *slot = conn->slot;
	uint64_t cmd = slot->cmd, arg = slot->arg;
	uint32_t size = slot->arg_size;
	uint32_t want = _IOC_DIR((unsigned long)cmd) != _IOC_NONE
				? _IOC_SIZE((unsigned long)cmd)
				: 0;

	if (size != want || size > UDRM_SLOT_ARG_MAX || arg + size < arg)
		return -EPROTO;
	*req = (struct udrm_msg){.type = UDRM_MSG_IOCTL,
				 .seq = slot->seq,
				 .ino = slot->ino,
				 .a = cmd,
				 .b = arg};
	conn->fast = true;
	conn->diverted = false;
	conn->win_arg = arg;
	conn->win_size = size;
	conn->out_lo = conn->out_hi = 0;
	return 0;
}

/* The reply to a slot request, in the slot (and on the socket when the
 * client sleeps or was diverted there): 0 or -errno. */
static int srv_slot_reply(struct srv_conn *conn, struct udrm_msg *reply)
{
	struct udrm_slot *slot = conn->slot;

	conn->fast = false;
	slot->ret = reply->ret;
	slot->out_lo = conn->out_lo;
	slot->out_hi = conn->out_hi;
	if (!conn->diverted &&
	    atomic_exchange(&slot->client, UDRM_SLOT_REPLIED) !=
		    UDRM_SLOT_CLIENT_SLEEPING)
		return 0;
	return udrm_msg_send(conn->sock, reply, -1);
}

/* Receives a message; stale CANCELs (their request was answered) are
 * skipped. 0 or -errno. */
static int srv_conn_recv(struct srv_conn *conn, struct udrm_msg *req, int *fd)
{
	for (;;) {
		int ret;

		do
			ret = udrm_msg_recv(conn->sock, req, fd);
		while (ret == -EINTR);
		if (ret || req->type != UDRM_MSG_CANCEL)
			return ret;
		if (*fd >= 0)
			close(*fd);
	}
}

/*
 * The connection's next request: in @req (with *fd attached, or -1),
 * from the socket or the slot (conn->fast then set). 0, or -errno when
 * the client is gone or broke the protocol: the connection is dropped.
 * With a slot, it looks at the slot for a while, then sleeps in recv()
 * as proto.h describes.
 */
static int srv_conn_next(struct srv_conn *conn, struct udrm_msg *req, int *fd)
{
	struct udrm_slot *slot = conn->slot;
	uint32_t state;
	int ret;

	*fd = -1;
	if (!slot) {
		udrm_msg_spin(conn->sock);
		for (;;) {
			ret = srv_conn_recv(conn, req, fd);
			if (ret || req->type != UDRM_MSG_SLOT_WAKE)
				return ret;
			if (*fd >= 0)
				close(*fd);
		}
	}
	state = udrm_slot_spin(&slot->server, UDRM_SLOT_RUNNING,
			       &slot->client_cpu);
	if (state != UDRM_SLOT_POSTED)
		state = atomic_exchange(&slot->server, UDRM_SLOT_SLEEPING);
	for (;;) {
		if (state == UDRM_SLOT_POSTED) {
			atomic_store(&slot->server, UDRM_SLOT_RUNNING);
			udrm_slot_note_cpu(&slot->server_cpu);
			if (slot->via)
				return srv_slot_take(conn, req);
			/* A socket request is on its way. */
		}
		ret = srv_conn_recv(conn, req, fd);
		if (ret)
			return ret;
		if (req->type != UDRM_MSG_SLOT_WAKE) {
			/* Posted before it was sent. */
			atomic_store(&slot->server, UDRM_SLOT_RUNNING);
			return 0;
		}
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		/* Not POSTED: a stale wake-up; sleeps again, whatever the
		 * client left in the word. */
		state = atomic_exchange(&slot->server, UDRM_SLOT_SLEEPING);
	}
}

static void *srv_conn_thread(void *arg)
{
	struct srv_conn *conn = arg;

	while (!conn->broken) {
		struct udrm_msg req, reply = {.type = UDRM_MSG_REPLY};
		int fd = -1, reply_fd = -1;
		int ret;

		ret = srv_conn_next(conn, &req, &fd);
		if (ret) /* gone, or a malformed message: drop it */
			break;
		conn->seq = req.seq;
		conn->cancelled = false;
		reply.seq = req.seq;
		srv_sync_hangups(conn->srv);
		switch (req.type) {
		case UDRM_MSG_HELLO:
			reply.ret = req.a == UDRM_PROTO_VERSION ? 0 : -EPROTO;
			break;
		case UDRM_MSG_OPEN:
			reply.ret = srv_open(conn, &req, &reply, &reply_fd);
			break;
		case UDRM_MSG_IOCTL:
			reply.ret = srv_ioctl(conn, &req, fd);
			break;
		case UDRM_MSG_MMAP:
			reply.ret = srv_mmap(conn, &req, fd, &reply, &reply_fd);
			break;
		case UDRM_MSG_ADOPT:
			reply.ret = srv_adopt(conn, fd, &reply);
			break;
		case UDRM_MSG_EVENTS_CONSUMED:
			reply.ret = srv_events_consumed(conn, &req, fd);
			break;
		case UDRM_MSG_FD_IOCTL:
			reply.ret = srv_fd_ioctl(conn, &req, fd);
			break;
		case UDRM_MSG_VFILE_OPEN:
			reply.ret =
				srv_vfile_open(conn, &req, &reply, &reply_fd);
			break;
		case UDRM_MSG_VFILE_READ:
		case UDRM_MSG_VFILE_WRITE:
		case UDRM_MSG_VFILE_LSEEK:
		case UDRM_MSG_VFILE_SET_NONBLOCK:
		case UDRM_MSG_VFILE_POLL_FD:
			reply.ret = srv_vfile_call(conn, &req, fd, &reply_fd);
			break;
		case UDRM_MSG_SLOT_SETUP:
			reply.ret = srv_slot_setup(conn, &reply_fd);
			break;
		default:
			reply.ret = -EINVAL;
			break;
		}
		if (fd >= 0)
			close(fd);
		if (conn->broken)
			break;
		if (conn->fast) {
			if (srv_slot_reply(conn, &reply))
				break;
			continue;
		}
		ret = udrm_msg_send(conn->sock, &reply, reply_fd);
		if (reply_fd >= 0)
			close(reply_fd);
		if (ret)
			break;
	}
	shutdown(conn->sock, SHUT_RDWR);
	atomic_store(&conn->done, true);
	return NULL;
}

static void srv_conn_free(struct srv_conn *conn)
{
	if (conn->slot)
		munmap(conn->slot, sizeof(*conn->slot));
	close(conn->sock);
	if (conn->pidfd >= 0)
		close(conn->pidfd);
	udrm_ino_set_fini(&conn->proven);
	free(conn);
}

/* Joins and frees the connections whose threads are done (all, when
 * @all). The accepting thread's, or the stopper's once it is gone. */
static void srv_reap_conns(struct udrm_server *srv, bool all)
{
	struct srv_conn **link = &srv->conns;

	while (*link) {
		struct srv_conn *conn = *link;

		if (!all && !atomic_load(&conn->done)) {
			link = &conn->next;
			continue;
		}
		/* Wakes a thread waiting for a request (not one inside a
		 * request: that one finishes it first). */
		shutdown(conn->sock, SHUT_RDWR);
		pthread_join(conn->thread, NULL);
		*link = conn->next;
		srv_conn_free(conn);
	}
}

/* Whether @pid, or all clients together, have as many connections as
 * they may. */
static bool srv_conns_full(struct udrm_server *srv, pid_t pid)
{
	size_t all = 0, mine = 0;

	for (struct srv_conn *conn = srv->conns; conn; conn = conn->next) {
		all++;
		mine += conn->caller.pid == pid;
	}
	return all >= UDRM_SERVER_MAX_CONNS ||
	       mine >= UDRM_SERVER_MAX_CONNS_PER_PID;
}

static void *srv_accept_thread(void *arg)
{
	struct udrm_server *srv = arg;

	while (!atomic_load(&srv->stopping)) {
		struct pollfd pfd = {.fd = srv->listen_fd, .events = POLLIN};
		struct srv_conn *conn;
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int sock;

		if (poll(&pfd, 1, 200) <= 0) {
			srv_reap_conns(srv, false);
			continue;
		}
		sock = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (sock < 0)
			continue;
		srv_reap_conns(srv, false); /* count only live ones */
		conn = NULL;
		if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    srv_conns_full(srv, cred.pid) ||
		    !(conn = calloc(1, sizeof(*conn)))) {
			close(sock); /* the client's HELLO fails: EPIPE */
			continue;
		}
		conn->caller.ops = &srv_caller_ops;
		conn->caller.pid = cred.pid;
		conn->srv = srv;
		conn->sock = sock;
		conn->pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
		if (conn->pidfd < 0 || pthread_create(&conn->thread, NULL,
						      srv_conn_thread, conn)) {
			srv_conn_free(conn);
			continue;
		}
		conn->next = srv->conns;
		srv->conns = conn;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

static int srv_add_vfile(void *ctx, enum udrm_vfile_root root, const char *path,
			 unsigned int mode, struct udrm_vfile *vfile)
{
	struct udrm_server *srv = ctx;
	struct udrm_vfile **vfiles;

	vfiles = realloc(srv->vfiles, (srv->nvfiles + 1) * sizeof(*vfiles));
	if (!vfiles)
		return -ENOMEM;
	vfiles[srv->nvfiles++] = vfile;
	srv->vfiles = vfiles;
	return 0;
}

int udrm_server_start(struct udrm_device *const *devs, size_t ndevs,
		      const char *path, struct udrm_server **out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct udrm_server *srv;
	int ret;

	if (!path || strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = srv->wake[0] = srv->wake[1] = srv->epfd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->closed, NULL);
	srv->devs = malloc((ndevs ? ndevs : 1) * sizeof(*srv->devs));
	srv->path = strdup(path);
	if (!srv->devs || !srv->path) {
		ret = -ENOMEM;
		goto err;
	}
	memcpy(srv->devs, devs, ndevs * sizeof(*devs));
	srv->ndevs = ndevs;
	for (size_t i = 0; i < ndevs; i++) {
		ret = udrm_device_for_each_vfile(devs[i], srv_add_vfile, srv);
		if (ret)
			goto err;
	}
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK)) {
		ret = -errno;
		goto err;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wake[0],
		      &(struct epoll_event){.events = EPOLLIN,
					    .data.u64 = SRV_WAKE})) {
		ret = -errno;
		goto err;
	}
	srv->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(addr.sun_path, path);
	if (srv->listen_fd < 0 ||
	    bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		goto err;
	}
	if (listen(srv->listen_fd, 64)) {
		ret = -errno;
		goto err_unlink;
	}
	if (pthread_create(&srv->watch_thread, NULL, srv_watch_thread, srv)) {
		ret = -EAGAIN;
		goto err_unlink;
	}
	if (pthread_create(&srv->accept_thread, NULL, srv_accept_thread, srv)) {
		atomic_store(&srv->stopping, true);
		srv_wake(srv);
		pthread_join(srv->watch_thread, NULL);
		ret = -EAGAIN;
		goto err_unlink;
	}
	*out = srv;
	return 0;

err_unlink:
	unlink(path);
err:
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->wake[0] >= 0) {
		close(srv->wake[0]);
		close(srv->wake[1]);
	}
	pthread_cond_destroy(&srv->closed);
	pthread_mutex_destroy(&srv->lock);
	free(srv->vfiles);
	free(srv->path);
	free(srv->devs);
	free(srv);
	return ret;
}

void udrm_server_stop(struct udrm_server *srv)
{
	struct srv_file *f;

	if (!srv)
		return;
	atomic_store(&srv->stopping, true);
	srv_wake(srv);
	pthread_join(srv->accept_thread, NULL);
	pthread_join(srv->watch_thread, NULL);
	srv_reap_conns(srv, true);
	/* No request runs any more: each file has only the list's ref. */
	while ((f = srv->files)) {
		srv->files = f->next;
		srv_file_close(f);
	}
	close(srv->listen_fd);
	unlink(srv->path);
	close(srv->epfd);
	close(srv->wake[0]);
	close(srv->wake[1]);
	pthread_cond_destroy(&srv->closed);
	pthread_mutex_destroy(&srv->lock);
	free(srv->vfiles);
	free(srv->path);
	free(srv->devs);
	free(srv);
}

size_t udrm_server_file_count(struct udrm_server *srv)
{
	size_t n = 0;

	pthread_mutex_lock(&srv->lock);
	for (struct srv_file *f = srv->files; f; f = f->next)
		n++;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

size_t udrm_server_vfile_count(struct udrm_server *srv)
{
	return srv->nvfiles;
}
