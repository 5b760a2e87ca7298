// SPDX-License-Identifier: MIT
#include "client.h"

#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/event.h"
#include "core/uaccess.h"
#include "transport.h"

struct udrm_client {
	int sock;
	/* The request slot shared with the server (NULL: none), mapped in
	 * the process that connected, in fork generation @slot_gen only. */
	struct udrm_slot *slot;
	unsigned int slot_gen;
	pid_t slot_pid;
	uint64_t seq;		    /* of the last request */
	struct udrm_ino_set proven; /* files this connection has shown */
	/* The request in flight is one whose wait the kernel ends with
	 * EINTR after any handler, SA_RESTART or not (WAIT_VBLANK). */
	bool never_restarted;
};

/* Past this many shown files the client forgets them all (it cannot tell
 * which were closed); each is shown again at its next use. */
#define CLIENT_PROVEN_MAX 1024

static void client_proven_add(struct udrm_client *c, uint64_t ino)
{
	if (c->proven.count >= CLIENT_PROVEN_MAX &&
	    !udrm_ino_set_has(&c->proven, ino))
		c->proven.count = 0;
	udrm_ino_set_add(&c->proven, ino);
}

/* Whether the argument window is copied with core's fault guard, or with
 * process_vm_readv/writev on this process (udrm_client_use_fault_guard). */
static atomic_bool client_fault_guard;

void udrm_client_use_fault_guard(void)
{
	udrm_uaccess_init();
	atomic_store(&client_fault_guard, true);
}

/* Copies @n bytes between the slot's @local and this process's @user,
 * with whichever of the two: 0 or -EFAULT. */
static int client_user_copy(bool to_user, void *local, uint64_t user, size_t n)
{
	struct iovec l = {local, n};
	struct iovec u = {(void *)(uintptr_t)user, n};
	ssize_t done;

	if (!n)
		return 0;
	if (atomic_load_explicit(&client_fault_guard, memory_order_relaxed))
		return to_user ? udrm_uaccess_local.copy_to_user(user, local, n)
			       : udrm_uaccess_local.copy_from_user(local, user,
								   n);
	if (user + n < user)
		return -EFAULT;
	done = to_user ? process_vm_writev(getpid(), &l, 1, &u, 1, 0)
		       : process_vm_readv(getpid(), &l, 1, &u, 1, 0);
	return done == (ssize_t)n ? 0 : -EFAULT;
}

/*
 * Fork generations: a child has no copy of its parent's slots (they are
 * MADV_DONTFORK) and must not use them, nor post socket requests in
 * them; its connections fall back to the socket alone.
 */
static _Atomic unsigned int client_fork_gen;
static pthread_once_t client_fork_once = PTHREAD_ONCE_INIT;

static void client_fork_child(void)
{
	atomic_fetch_add(&client_fork_gen, 1);
}

static void client_fork_atfork(void)
{
	pthread_atfork(NULL, NULL, client_fork_child);
}

static struct udrm_slot *client_slot(const struct udrm_client *c)
{
	if (c->slot &&
	    c->slot_gen == atomic_load_explicit(&client_fork_gen,
						memory_order_relaxed))
		return c->slot;
	return NULL;
}

/* Answers the server's callbacks until the reply to our request; @spin:
 * look at the socket for a while before sleeping. */
static int client_wait_reply(struct udrm_client *c, struct udrm_msg *reply,
			     int *reply_fd, bool spin)
{
	bool cancelled = false;

	if (spin)
		udrm_msg_spin(c->sock);
	for (;;) {
		struct udrm_msg answer = {.type = UDRM_MSG_CALLBACK_REPLY,
					  .seq = c->seq};
		struct pollfd pfd = {.fd = c->sock, .events = POLLIN};
		int fd, ret = 0;

		/* poll() fails with EINTR after any handler, as such a wait
		 * does; recvmsg() only after one without SA_RESTART. */
		if (c->never_restarted && !cancelled && poll(&pfd, 1, -1) < 0)
			ret = -errno;
		if (!ret)
			ret = udrm_msg_recv(c->sock, reply, &fd);
		if (ret == -EINTR) {
			/* A handler without SA_RESTART ran (with SA_RESTART
			 * the kernel restarts recvmsg and we never see it):
			 * the kernel would end the call with EINTR. */
			struct udrm_msg cancel = {.type = UDRM_MSG_CANCEL,
						  .seq = c->seq};

			if (!cancelled) {
				ret = udrm_msg_send(c->sock, &cancel, -1);
				if (ret)
					return ret;
				cancelled = true;
			}
			continue;
		}
		if (ret)
			return ret;
		if (reply->seq != c->seq) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		switch (reply->type) {
		case UDRM_MSG_REPLY:
			*reply_fd = fd;
			return 0;
		case UDRM_MSG_FD_INSTALL:
			if (fd < 0) {
				answer.ret = -EBADF;
			} else {
				if (!reply->a)
					fcntl(fd, F_SETFD, 0);
				answer.ret = fd;
			}
			break;
		case UDRM_MSG_FD_UNINSTALL:
			if (fd >= 0)
				close(fd);
			if (reply->a <= INT32_MAX)
				close((int)reply->a);
			break;
		default:
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		ret = udrm_msg_send(c->sock, &answer, -1);
		if (ret)
			return ret;
	}
}

static int client_call(struct udrm_client *c, struct udrm_msg *req, int fd,
		       struct udrm_msg *reply, int *reply_fd)
{
	struct udrm_slot *slot = client_slot(c);
	int ret;

	req->seq = ++c->seq;
	if (slot) {
		/* Posted before it is sent: a server looking at the slot
		 * then reads the socket, one asleep is woken by the
		 * message. */
		slot->via = 0;
		udrm_slot_note_cpu(&slot->client_cpu);
		atomic_exchange(&slot->server, UDRM_SLOT_POSTED);
	}
	ret = udrm_msg_send(c->sock, req, fd);
	*reply_fd = -1;
	if (ret)
		return ret;
	return client_wait_reply(c, reply, reply_fd, true);
}

/* SLOT_SETUP: maps the server's slot, or leaves the connection on the
 * socket alone (an old or a refusing server, no memory). */
static void client_slot_setup(struct udrm_client *c)
{
	struct udrm_msg req = {.type = UDRM_MSG_SLOT_SETUP};
	struct udrm_msg reply;
	struct stat st;
	void *map;
	int fd;

	if (client_call(c, &req, -1, &reply, &fd) || reply.ret || fd < 0 ||
	    fstat(fd, &st) || st.st_size < (off_t)sizeof(struct udrm_slot)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	map = mmap(NULL, sizeof(struct udrm_slot), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	/* A forked child must not share it (client_slot()). */
	if (madvise(map, sizeof(struct udrm_slot), MADV_DONTFORK)) {
		munmap(map, sizeof(struct udrm_slot));
		return;
	}
	pthread_once(&client_fork_once, client_fork_atfork);
	c->slot_gen = atomic_load(&client_fork_gen);
	c->slot_pid = getpid();
	c->slot = map;
}

int udrm_client_connect(const char *path, struct udrm_client **out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct udrm_msg req = {.type = UDRM_MSG_HELLO, .a = UDRM_PROTO_VERSION};
	struct udrm_msg reply;
	struct udrm_client *c;
	int ret, fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->sock < 0 ||
	    connect(c->sock, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		goto err;
	}
	ret = client_call(c, &req, -1, &reply, &fd);
	if (!ret && fd >= 0) {
		close(fd);
		ret = -EPROTO;
	}
	if (!ret)
		ret = (int)reply.ret;
	if (ret)
		goto err;
	client_slot_setup(c);
	*out = c;
	return 0;
err:
	if (c->sock >= 0)
		close(c->sock);
	free(c);
	return ret;
}

void udrm_client_disconnect(struct udrm_client *c)
{
	if (!c)
		return;
	/* Not in a forked child (whose fork handlers may run before the
	 * generation changes): the slot was not inherited, and whatever is
	 * mapped there now is not ours. */
	if (c->slot && c->slot_pid == getpid())
		munmap(c->slot, sizeof(struct udrm_slot));
	close(c->sock);
	udrm_ino_set_fini(&c->proven);
	free(c);
}

/* OPEN or VFILE_OPEN: the new file's fd from the reply, close-on-exec
 * unless @flags ask otherwise, which this connection holds. */
static int client_open_call(struct udrm_client *c, struct udrm_msg *req,
			    int flags)
{
	struct udrm_msg reply;
	int fd, ret = client_call(c, req, -1, &reply, &fd);

	if (ret)
		return ret;
	if (reply.ret) {
		if (fd >= 0)
			close(fd);
		return reply.ret < 0 ? (int)reply.ret : -EPROTO;
	}
	if (fd < 0)
		return -EPROTO;
	if (!(flags & O_CLOEXEC))
		fcntl(fd, F_SETFD, 0);
	client_proven_add(c, reply.ino);
	return fd;
}

int udrm_client_open(struct udrm_client *c, int minor, int flags)
{
	struct udrm_msg req = {.type = UDRM_MSG_OPEN,
			       .a = (uint64_t)minor,
			       .b = (uint64_t)flags};

	return client_open_call(c, &req, flags);
}

int udrm_client_adopt(struct udrm_client *c, int fd, int *minor)
{
	struct udrm_msg req = {.type = UDRM_MSG_ADOPT};
	struct udrm_msg reply;
	struct stat st;
	int rfd, ret;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	ret = client_call(c, &req, fd, &reply, &rfd);
	if (ret)
		return ret;
	if (rfd >= 0) {
		close(rfd);
		return -EPROTO;
	}
	if (reply.ret)
		return reply.ret < 0 && reply.ret >= INT32_MIN ? (int)reply.ret
							       : -EPROTO;
	if (reply.a > INT32_MAX || reply.b > 1)
		return -EPROTO;
	client_proven_add(c, st.st_ino);
	*minor = (int)reply.a;
	return (int)reply.b;
}

/* A request on the file of device fd (or vfile handle) @fd, with the fd
 * attached when this connection has not shown it yet; its reply's ret is
 * an errno or at most @max. */
static int client_file_call_ino(struct udrm_client *c, int fd, uint64_t ino,
				struct udrm_msg *req, int64_t max,
				struct udrm_msg *reply, int *reply_fd)
{
	bool prove;
	int ret;

	*reply_fd = -1;
	req->ino = ino;
	prove = !udrm_ino_set_has(&c->proven, ino);
	ret = client_call(c, req, prove ? fd : -1, reply, reply_fd);
	if (ret)
		return ret;
	if (prove && reply->ret != -EBADF)
		client_proven_add(c, ino); /* else: shown again */
	if (reply->ret < INT32_MIN || reply->ret > max) {
		if (*reply_fd >= 0)
			close(*reply_fd);
		*reply_fd = -1;
		return -EPROTO;
	}
	return 0;
}

static int client_file_call(struct udrm_client *c, int fd, struct udrm_msg *req,
			    int64_t max, struct udrm_msg *reply, int *reply_fd)
{
	struct stat st;

	*reply_fd = -1;
	if (fstat(fd, &st))
		return -errno;
	return client_file_call_ino(c, fd, st.st_ino, req, max, reply,
				    reply_fd);
}

/*
 * An IOCTL through the slot (struct udrm_slot): its argument's window
 * copied in, posted, the reply looked for, then waited for on the socket
 * (where a CANCEL can go and callbacks come); *@result gets 0 or -errno.
 * False when the window cannot be read here: a socket request then gives
 * EFAULT where the kernel would, after whatever the ioctl does without
 * its argument.
 */
static bool client_slot_ioctl(struct udrm_client *c, struct udrm_slot *slot,
			      uint64_t ino, unsigned long cmd, void *arg,
			      int *result)
{
	uint64_t uarg = udrm_user_ptr(arg);
	size_t size = _IOC_DIR(cmd) != _IOC_NONE ? _IOC_SIZE(cmd) : 0;
	uint32_t state, lo, hi;
	int64_t ret;

	if (size > UDRM_SLOT_ARG_MAX ||
	    client_user_copy(false, slot->buf, uarg, size))
		return false;
	slot->via = 1;
	slot->arg_size = (uint16_t)size;
	slot->seq = ++c->seq;
	slot->ino = ino;
	slot->cmd = cmd;
	slot->arg = uarg;
	udrm_slot_note_cpu(&slot->client_cpu);
	atomic_store_explicit(&slot->client, UDRM_SLOT_WAITING,
			      memory_order_relaxed);
	if (atomic_exchange(&slot->server, UDRM_SLOT_POSTED) ==
	    UDRM_SLOT_SLEEPING) {
		struct udrm_msg wake = {.type = UDRM_MSG_SLOT_WAKE,
					.seq = c->seq};
		int err = udrm_msg_send(c->sock, &wake, -1);

		if (err) {
			*result = err;
			return true;
		}
	}
	state = udrm_slot_spin(&slot->client, UDRM_SLOT_WAITING,
			       &slot->server_cpu);
	if (state == UDRM_SLOT_WAITING)
		state = atomic_exchange(&slot->client,
					UDRM_SLOT_CLIENT_SLEEPING);
	if (state == UDRM_SLOT_REPLIED) {
		ret = slot->ret;
	} else {
		/* Asleep, or diverted to the socket by a callback: the
		 * reply comes there. */
		struct udrm_msg reply;
		int rfd, err = client_wait_reply(c, &reply, &rfd, false);

		if (err) {
			*result = err;
			return true;
		}
		if (rfd >= 0)
			close(rfd);
		ret = reply.ret;
	}
	lo = slot->out_lo;
	hi = slot->out_hi;
	if (ret > 0 || ret < INT32_MIN || lo > hi || hi > size) {
		*result = -EPROTO;
		return true;
	}
	if (hi > lo &&
	    client_user_copy(true, slot->buf + lo, uarg + lo, hi - lo))
		ret = -EFAULT;
	*result = (int)ret;
	return true;
}

int udrm_client_ioctl_ino(struct udrm_client *c, int fd, uint64_t ino,
			  unsigned long cmd, void *arg)
{
	struct udrm_msg req = {.type = UDRM_MSG_IOCTL,
			       .a = cmd,
			       .b = (uint64_t)(uintptr_t)arg};
	struct udrm_slot *slot = client_slot(c);
	struct udrm_msg reply;
	int rfd, ret;

	/* drm_wait_vblank_ioctl() turns -ERESTARTSYS into -EINTR. */
	c->never_restarted = _IOC_TYPE(cmd) == DRM_IOCTL_BASE &&
			     _IOC_NR(cmd) == _IOC_NR(DRM_IOCTL_WAIT_VBLANK);
	/* A file this connection has shown goes through the slot. */
	if (slot && udrm_ino_set_has(&c->proven, ino) &&
	    client_slot_ioctl(c, slot, ino, cmd, arg, &ret)) {
		c->never_restarted = false;
		return ret;
	}
	ret = client_file_call_ino(c, fd, ino, &req, 0, &reply, &rfd);
	c->never_restarted = false;

	if (rfd >= 0)
		close(rfd);
	return ret ? ret : (int)reply.ret;
}

int udrm_client_ioctl(struct udrm_client *c, int fd, unsigned long cmd,
		      void *arg)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return udrm_client_ioctl_ino(c, fd, st.st_ino, cmd, arg);
}

int udrm_client_fd_ioctl(struct udrm_client *c, int fd, unsigned long cmd,
			 void *arg)
{
	struct udrm_msg req = {.type = UDRM_MSG_FD_IOCTL,
			       .a = cmd,
			       .b = (uint64_t)(uintptr_t)arg};
	struct udrm_msg reply;
	int rfd, ret;

	if (fd < 0)
		return -EBADF;
	ret = client_call(c, &req, fd, &reply, &rfd); /* -EBADF if closed */
	if (ret)
		return ret;
	if (rfd >= 0) {
		close(rfd);
		return -EPROTO;
	}
	return reply.ret > 0 || reply.ret < INT32_MIN ? -EPROTO
						      : (int)reply.ret;
}

/*
 * Readers of device fds in this process take turns, as the kernel's
 * file->event_read_lock: an event peeked by one is consumed by it. Held
 * only while moving pending events (never while waiting), and taken
 * around fork() so that a child never inherits it held. (Readers of one
 * file in two processes are not serialised: the kernel would, but no
 * lock spans processes sharing an open file description.)
 */
static pthread_mutex_t client_read_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t client_read_once = PTHREAD_ONCE_INIT;

static void client_read_lock_take(void)
{
	pthread_mutex_lock(&client_read_lock);
}

static void client_read_lock_drop(void)
{
	pthread_mutex_unlock(&client_read_lock);
}

static void client_read_atfork(void)
{
	pthread_atfork(client_read_lock_take, client_read_lock_drop,
		       client_read_lock_drop);
}

/*
 * Moves as many whole pending events from @fd as fit to @buf, as core's
 * event_read_pending(): the bytes moved, 0 if the first does not fit,
 * -EAGAIN if none is pending, -EFAULT for a bad @buf, -ENODEV when the
 * server's end is gone.
 */
static ssize_t client_read_pending(int fd, void *buf, size_t len)
{
	struct drm_event head;
	ssize_t n, err = 0;
	size_t done = 0;

	pthread_mutex_lock(&client_read_lock);
	for (;;) {
		void *dst = (void *)((uintptr_t)buf + done);

		/* The next event's length, leaving it queued. */
		n = recv(fd, &head, sizeof(head),
			 MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n <= 0) {
			err = n < 0 ? -errno : -ENODEV;
			break;
		}
		if ((size_t)n > len - done)
			break;
		/* The kernel copies it to @buf and reports a bad buffer as
		 * EFAULT; peeked, the event stays queued all the same. */
		if (recv(fd, dst, (size_t)n, MSG_PEEK | MSG_DONTWAIT) != n) {
			err = errno == EFAULT ? -EFAULT : -EIO;
			break;
		}
		if (recv(fd, &head, sizeof(head), MSG_DONTWAIT) < 0)
			break;
		done += (size_t)n;
	}
	pthread_mutex_unlock(&client_read_lock);
	return done ? (ssize_t)done : err;
}

/* EVENTS_CONSUMED: @n bytes of @fd's events were read here. The events
 * are delivered whatever happens to it. */
static void client_events_consumed(struct udrm_client *c, int fd, size_t n)
{
	while (n) {
		size_t part = n < UDRM_EVENT_SPACE ? n : UDRM_EVENT_SPACE;
		struct udrm_msg req = {.type = UDRM_MSG_EVENTS_CONSUMED,
				       .a = part};
		struct udrm_msg reply;
		int rfd;

		if (client_file_call(c, fd, &req, 0, &reply, &rfd))
			return;
		if (rfd >= 0)
			close(rfd);
		n -= part;
	}
}

ssize_t udrm_client_read(struct udrm_client *c, int fd, void *buf, size_t len)
{
	struct drm_event head;
	ssize_t ret;
	int flags;

	pthread_once(&client_read_once, client_read_atfork);
	for (;;) {
		ret = client_read_pending(fd, buf, len);
		if (ret != -EAGAIN)
			break;
		flags = fcntl(fd, F_GETFL);
		if (flags < 0)
			return -errno;
		if (flags & O_NONBLOCK)
			return -EAGAIN;
		/* Waits for an event without taking it. A blocking recv() is
		 * restarted after a handler with SA_RESTART and fails with
		 * EINTR after one without, as drm_read()'s interruptible
		 * wait (poll() would fail either way). */
		ret = recv(fd, &head, sizeof(head), MSG_PEEK | MSG_TRUNC);
		if (ret == 0)
			return -ENODEV;
		if (ret < 0 && errno != EAGAIN)
			return -errno;
	}
	if (ret > 0)
		client_events_consumed(c, fd, (size_t)ret);
	return ret;
}

int udrm_client_mmap(struct udrm_client *c, int fd, void *addr, size_t len,
		     int prot, int flags, uint64_t offset, void **out)
{
	struct udrm_msg req = {
		.type = UDRM_MSG_MMAP,
		.a = offset,
		.b = len,
		.ret = (int64_t)((uint64_t)(uint32_t)prot |
				 (uint64_t)(uint32_t)flags << 32)};
	struct udrm_msg reply;
	int memfd, ret = client_file_call(c, fd, &req, 0, &reply, &memfd);
	void *map;

	if (ret)
		return ret;
	if (reply.ret) {
		if (memfd >= 0)
			close(memfd);
		return (int)reply.ret;
	}
	if (memfd < 0 || reply.a > INT64_MAX)
		return -EPROTO;
	map = mmap(addr, len, prot, flags, memfd, (off_t)reply.a);
	ret = map == MAP_FAILED ? -errno : 0;
	close(memfd);
	if (!ret)
		*out = map;
	return ret;
}

int udrm_client_vfile_open(struct udrm_client *c, uint32_t id, int flags)
{
	struct udrm_msg req = {
		.type = UDRM_MSG_VFILE_OPEN, .a = id, .b = (uint64_t)flags};

	return client_open_call(c, &req, flags);
}

/* A request on vfile handle @hfd without an fd in the reply: its ret. */
static int64_t client_vfile_call(struct udrm_client *c, int hfd,
				 struct udrm_msg *req, int64_t max)
{
	struct udrm_msg reply;
	int rfd, ret = client_file_call(c, hfd, req, max, &reply, &rfd);

	if (ret)
		return ret;
	if (rfd >= 0) {
		close(rfd);
		return -EPROTO;
	}
	return reply.ret;
}

/* The most a read or write may report: @len, as a byte count. */
static int64_t client_rw_max(size_t len)
{
	return len > INT64_MAX ? INT64_MAX : (int64_t)len;
}

ssize_t udrm_client_vfile_read(struct udrm_client *c, int hfd, void *buf,
			       size_t len, int64_t pos)
{
	struct udrm_msg req = {.type = UDRM_MSG_VFILE_READ,
			       .a = (uint64_t)(uintptr_t)buf,
			       .b = len,
			       .ret = pos < 0 ? -1 : pos};

	return (ssize_t)client_vfile_call(c, hfd, &req, client_rw_max(len));
}

ssize_t udrm_client_vfile_write(struct udrm_client *c, int hfd, const void *buf,
				size_t len, int64_t pos)
{
	struct udrm_msg req = {.type = UDRM_MSG_VFILE_WRITE,
			       .a = (uint64_t)(uintptr_t)buf,
			       .b = len,
			       .ret = pos < 0 ? -1 : pos};

	return (ssize_t)client_vfile_call(c, hfd, &req, client_rw_max(len));
}

int64_t udrm_client_vfile_lseek(struct udrm_client *c, int hfd, int64_t off,
				int whence)
{
	struct udrm_msg req = {.type = UDRM_MSG_VFILE_LSEEK,
			       .a = (uint64_t)off,
			       .b = (uint64_t)(uint32_t)whence};

	return client_vfile_call(c, hfd, &req, INT64_MAX);
}

int udrm_client_vfile_set_nonblock(struct udrm_client *c, int hfd,
				   bool nonblock)
{
	struct udrm_msg req = {.type = UDRM_MSG_VFILE_SET_NONBLOCK,
			       .a = nonblock};

	return (int)client_vfile_call(c, hfd, &req, 0);
}

int udrm_client_vfile_poll_fd(struct udrm_client *c, int hfd)
{
	struct udrm_msg req = {.type = UDRM_MSG_VFILE_POLL_FD};
	struct udrm_msg reply;
	int fd, ret = client_file_call(c, hfd, &req, 0, &reply, &fd);

	if (ret)
		return ret;
	if (reply.ret) {
		if (fd >= 0)
			close(fd);
		return (int)reply.ret;
	}
	return fd >= 0 ? fd : -EPROTO;
}
