/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the multi-process programs: each is an ordinary libdrm client
 * run under `udrm run --server`, so every process it forks or execs shares
 * the devices with the kernel's semantics.
 *
 * A program's "peer" is the other party of a check (mp_peer_start()). It is
 * a forked process, or, when the program runs with the argument "threads"
 * (under `udrm run --in-process`, where a forked child has a private copy
 * of the devices), a thread of the same process; mp_fork() always forks,
 * for the checks of fork sharing itself. Peers talk over their
 * SOCK_SEQPACKET channel only, so the same code checks both. A peer
 * process inherits the fds open at the fork: a check that a close()
 * releases a file starts its peers before that file's open. A failed check in a
 * peer process exits it with status 1 after printing what was expected;
 * mp_peer_join() then fails the program. A peer process dies with its parent
 * (PR_SET_PDEATHSIG), so a failed parent leaves nothing behind.
 */
#ifndef UDRM_MP_H
#define UDRM_MP_H

#include "../integration/itest.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <xf86drmMode.h>

enum mp_peer_kind { MP_PROCESS, MP_THREAD };

/* What mp_peer_start() makes: set by mp_init(). */
static enum mp_peer_kind mp_peer_kind = MP_PROCESS;

/* Reads the program's arguments: "threads" and the program's own
 * @option (NULL: none), in any order; returns whether @option was given. */
static inline bool mp_init(int argc, char **argv, const char *option)
{
	bool given = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "threads"))
			mp_peer_kind = MP_THREAD;
		else if (option && !strcmp(argv[i], option))
			given = true;
		else
			CHECK(false, "usage: %s [threads]%s%s", argv[0],
			      option ? " " : "", option ? option : "");
	}
	/* A peer that hung up is reported by a check, not by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return given;
}

/* A peer and the channel to it: mp_send()/mp_recv() on @sock reach the
 * peer's function, which has the other end. */
struct mp_peer {
	const char *name;
	enum mp_peer_kind kind;
	int sock, peer_sock;
	pid_t pid;
	pthread_t thread;
	void (*fn)(void *arg, int sock);
	void *arg;
};

static inline void mp_channel(int ch[2]);

static inline void *mp_peer_thread_main(void *p)
{
	struct mp_peer *peer = p;

	peer->fn(peer->arg, peer->peer_sock);
	return NULL;
}

/* Runs @fn(@arg, its end of the channel) in a new process or thread as
 * @kind says; @peer must outlive the peer. */
static inline void mp_peer_start_kind(struct mp_peer *peer, const char *name,
				      enum mp_peer_kind kind,
				      void (*fn)(void *, int), void *arg)
{
	pid_t parent = getpid();
	int ch[2];

	mp_channel(ch);
	*peer = (struct mp_peer){.name = name,
				 .kind = kind,
				 .sock = ch[0],
				 .peer_sock = ch[1],
				 .fn = fn,
				 .arg = arg};
	if (kind == MP_THREAD) {
		CHECK(!pthread_create(&peer->thread, NULL, mp_peer_thread_main,
				      peer),
		      "pthread_create for %s", name);
		return;
	}
	fflush(NULL);
	peer->pid = fork();
	CHECK(peer->pid >= 0, "fork for %s: %s", name, strerror(errno));
	if (peer->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(peer->sock);
		fn(arg, peer->peer_sock);
		exit(0);
	}
	/* A peer process that dies makes our mp_recv() fail, not block. */
	close(peer->peer_sock);
	peer->peer_sock = -1;
}

/* A peer as the program's arguments say: a process, or a thread. */
static inline void mp_peer_start(struct mp_peer *peer, const char *name,
				 void (*fn)(void *, int), void *arg)
{
	mp_peer_start_kind(peer, name, mp_peer_kind, fn, arg);
}

/* A peer that must be a process, whatever the arguments say. */
static inline void mp_fork(struct mp_peer *peer, const char *name,
			   void (*fn)(void *, int), void *arg)
{
	mp_peer_start_kind(peer, name, MP_PROCESS, fn, arg);
}

/* Waits for @peer; fails unless it finished all its checks. */
static inline void mp_peer_join(struct mp_peer *peer)
{
	int status;

	if (peer->kind == MP_THREAD) {
		CHECK(!pthread_join(peer->thread, NULL), "pthread_join of %s",
		      peer->name);
		close(peer->peer_sock);
	} else {
		CHECK(waitpid(peer->pid, &status, 0) == peer->pid,
		      "waitpid of %s: %s", peer->name, strerror(errno));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s failed (%s %d; its message is above)", peer->name,
		      WIFEXITED(status) ? "exit status" : "signal",
		      WIFEXITED(status) ? WEXITSTATUS(status)
					: WTERMSIG(status));
	}
	close(peer->sock);
}

/* A connected SOCK_SEQPACKET pair: one message per send, fds with them. */
static inline void mp_channel(int ch[2])
{
	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch),
	      "socketpair: %s", strerror(errno));
}

/* Sends @len bytes and, if @fd >= 0, a copy of @fd (SCM_RIGHTS). */
static inline void mp_send(int sock, const void *buf, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	CHECK(n == (ssize_t)len, "sendmsg of %zu bytes (fd %d): %s", len, fd,
	      n < 0 ? strerror(errno) : "short");
}

/* Receives one message of exactly @len bytes; returns the fd that came
 * with it (close-on-exec), or -1. */
static inline int mp_recv(int sock, void *buf, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	CHECK(n == (ssize_t)len,
	      "recvmsg: expected a %zu-byte message, got %zd (%s)", len, n,
	      n < 0    ? strerror(errno)
	      : n == 0 ? "the peer hung up: its message is above"
		       : "wrong size");
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static inline void mp_send_u64(int sock, uint64_t v)
{
	mp_send(sock, &v, sizeof(v), -1);
}

static inline uint64_t mp_recv_u64(int sock)
{
	uint64_t v = 0;

	CHECK(mp_recv(sock, &v, sizeof(v)) < 0,
	      "an fd came with a plain value");
	return v;
}

/* Sends @fd with @v. */
static inline void mp_send_fd(int sock, int fd, uint64_t v)
{
	mp_send(sock, &v, sizeof(v), fd);
}

/* Receives an fd and the value that came with it; fails without an fd. */
static inline int mp_recv_fd(int sock, uint64_t *v)
{
	uint64_t dummy;
	int fd = mp_recv(sock, v ? v : &dummy, sizeof(uint64_t));

	CHECK(fd >= 0, "expected an fd (SCM_RIGHTS) with the message");
	return fd;
}

static inline int64_t mp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void mp_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Whether @fd turns readable within @timeout_ms. */
static inline bool mp_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	CHECK(n >= 0, "poll of fd %d: %s", fd, strerror(errno));
	return n == 1 && (pfd.revents & POLLIN);
}

/* Whether @fd's file is the current master: AUTH_MAGIC of magic 0 gives
 * EINVAL to the master (no such magic) and EACCES to others. Stricter
 * than libdrm's drmIsMaster(), which says "master" for any other error
 * too (ENOTTY on a file the interposer does not know, say). */
static inline bool mp_is_master(int fd)
{
	struct drm_auth auth = {.magic = 0};
	int ret = drmIoctl(fd, DRM_IOCTL_AUTH_MAGIC, &auth);

	CHECK(ret < 0 && (errno == EINVAL || errno == EACCES),
	      "AUTH_MAGIC of magic 0 on fd %d: expected EINVAL (master) or "
	      "EACCES (not master), got %d (%s)",
	      fd, ret, ret < 0 ? strerror(errno) : "success");
	return errno == EINVAL;
}

/*
 * vkms's display as a program lights it: the first CRTC and connector, the
 * connector's preferred mode and a framebuffer of a dumb buffer of that
 * size. Finding them needs no master; setting them does.
 */
struct mp_display {
	uint32_t crtc_id, connector_id, fb_id;
	struct drm_mode_modeinfo mode;
	struct itest_dumb dumb;
};

static inline struct mp_display mp_display_find(int fd)
{
	struct mp_display d = {0};
	drmModeRes *res = drmModeGetResources(fd);
	drmModeConnector *conn;
	int i;

	CHECK(res && res->count_crtcs > 0 && res->count_connectors > 0,
	      "drmModeGetResources: a CRTC and a connector (%s)",
	      strerror(errno));
	d.crtc_id = res->crtcs[0];
	d.connector_id = res->connectors[0];
	conn = drmModeGetConnector(fd, d.connector_id);
	CHECK(conn && conn->count_modes > 0,
	      "drmModeGetConnector %u: a connector with modes", d.connector_id);
	memcpy(&d.mode, &conn->modes[0], sizeof(d.mode));
	for (i = 0; i < conn->count_modes; i++) {
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			memcpy(&d.mode, &conn->modes[i], sizeof(d.mode));
			break;
		}
	}
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	return d;
}

/* Adds a framebuffer of a new mode-sized dumb buffer filled with @seed's
 * pattern; ADDFB needs no master. */
static inline void mp_display_add_fb(int fd, struct mp_display *d,
				     uint32_t seed)
{
	struct drm_mode_fb_cmd fb = {.width = d->mode.hdisplay,
				     .height = d->mode.vdisplay,
				     .bpp = 32,
				     .depth = 24};
	void *p;

	d->dumb = itest_dumb_create(fd, d->mode.hdisplay, d->mode.vdisplay, 32);
	p = itest_mmap(fd, d->dumb.offset, d->dumb.size, PROT_WRITE);
	itest_fill(p, d->dumb.size, seed);
	munmap(p, d->dumb.size);
	fb.pitch = d->dumb.pitch;
	fb.handle = d->dumb.handle;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_ADDFB, &fb), 0,
		    "ADDFB of dumb handle %u", d->dumb.handle);
	d->fb_id = fb.fb_id;
}

/* SETCRTC of @d's mode and framebuffer: -1/errno as ioctl(). */
static inline int mp_display_set(int fd, const struct mp_display *d)
{
	struct drm_mode_crtc set = {
		.crtc_id = d->crtc_id,
		.fb_id = d->fb_id,
		.set_connectors_ptr = (uintptr_t)&d->connector_id,
		.count_connectors = 1,
		.mode = d->mode,
		.mode_valid = 1,
	};

	return drmIoctl(fd, DRM_IOCTL_MODE_SETCRTC, &set);
}

/* GETCRTC of @crtc_id; must succeed. */
static inline struct drm_mode_crtc mp_get_crtc(int fd, uint32_t crtc_id)
{
	struct drm_mode_crtc crtc = {.crtc_id = crtc_id};

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_GETCRTC, &crtc), 0,
		    "GETCRTC %u", crtc_id);
	return crtc;
}

/* A new binary syncobj on @fd, unsignalled. */
static inline uint32_t mp_syncobj_create(int fd)
{
	struct drm_syncobj_create create = {0};

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &create), 0,
		    "SYNCOBJ_CREATE");
	CHECK(create.handle, "SYNCOBJ_CREATE gave handle 0");
	return create.handle;
}

static inline void mp_syncobj_signal(int fd, uint32_t handle)
{
	struct drm_syncobj_array sig = {.handles = (uintptr_t)&handle,
					.count_handles = 1};

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &sig), 0,
		    "SYNCOBJ_SIGNAL of handle %u", handle);
}

/* SYNCOBJ_WAIT (WAIT_FOR_SUBMIT) on @handle until the absolute CLOCK_MONOTONIC
 * @deadline_ns (INT64_MAX: none) through raw ioctl(), which, unlike
 * drmIoctl(), returns EINTR to the caller: -1/errno as ioctl(). */
static inline int mp_syncobj_wait_raw(int fd, uint32_t handle,
				      int64_t deadline_ns)
{
	struct drm_syncobj_wait wait = {
		.handles = (uintptr_t)&handle,
		.count_handles = 1,
		.timeout_nsec = deadline_ns,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	return ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
}

#endif
