// SPDX-License-Identifier: MIT
/*
 * The device server with real client processes: forked children talk to
 * the server running in the test process through src/server/client.h,
 * with their own memory and fds, and the kernel's multi-process semantics
 * are checked: a forked child shares its parent's open file, master and
 * authentication work across processes, a killed process's files are
 * closed (its master freed), PRIME fds land in the calling process, bad
 * pointers give EFAULT and a malformed message only costs its sender the
 * connection. Then what a process needs beyond its ioctls: adopting a
 * received fd, reading its events (the budget refilled as it reads),
 * dma-buf and sync_file ioctls, sysfs and debugfs files, leases; and
 * robustness: a cap on connections, a flood that holds nobody else up,
 * out-of-range fields refused.
 *
 * A child reports failure through its exit status and a message on
 * stderr; the parent checks the statuses.
 */
#include "../core/udrm_test.h"

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "drivers/vgem/vgem_drm.h"
#include "server/client.h"
#include "server/proto.h"
#include "server/server.h"
#include "server/transport.h"

#define VKMS_MINOR 0
#define VGEM_MINOR 1

struct server_fixture {
	struct ut_devices *devs;
	struct udrm_server *srv;
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct server_fixture *fx = calloc(1, sizeof(*fx));
	struct udrm_device *devs[2];

	if (!fx)
		return -1;
	/* Objects in memfds of their own, as `udrm serve` makes them. */
	fx->devs = calloc(1, sizeof(*fx->devs));
	if (!fx->devs)
		return -1;
	fx->devs->vkms =
		ut_device("vkms", VKMS_MINOR, -1, UDRM_DEVICE_OBJECT_MEMFDS);
	fx->devs->vgem =
		ut_device("vgem", VGEM_MINOR, 128, UDRM_DEVICE_OBJECT_MEMFDS);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/udrm-server-test.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/socket", fx->dir);
	devs[0] = fx->devs->vkms;
	devs[1] = fx->devs->vgem;
	if (udrm_server_start(devs, 2, fx->path, &fx->srv))
		return -1;
	*state = fx;
	return 0;
}

static void kill_children(void);
static int child_slot_count(void);

static int teardown(void **state)
{
	struct server_fixture *fx = *state;
	void *d = fx->devs;

	kill_children();
	udrm_server_stop(fx->srv);
	rmdir(fx->dir);
	ut_teardown_devices(&d);
	free(fx);
	return 0;
}

/* In a child: fail with a message unless @cond. */
#define CHILD_CHECK(cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child %d: ", (int)getpid());          \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static struct udrm_client *child_connect(const struct server_fixture *fx)
{
	struct udrm_client *c = NULL;
	int ret = udrm_client_connect(fx->path, &c);

	CHILD_CHECK(ret == 0, "connect: %s", strerror(-ret));
	return c;
}

static int child_open(struct udrm_client *c, int minor)
{
	int fd = udrm_client_open(c, minor, O_RDWR | O_CLOEXEC);

	CHILD_CHECK(fd >= 0, "open of minor %d: %s", minor, strerror(-fd));
	return fd;
}

static uint32_t child_dumb(struct udrm_client *c, int fd)
{
	struct drm_mode_create_dumb req = {
		.width = 64, .height = 64, .bpp = 32};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_CREATE_DUMB, &req);

	CHILD_CHECK(ret == 0 && req.handle, "CREATE_DUMB: %s", strerror(-ret));
	return req.handle;
}

/* The test's children, killed at teardown if a failed check left them
 * waiting (an orphan would hold the test's output open). */
static pid_t children[16];

static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid > 0) {
		for (size_t i = 0; i < sizeof(children) / sizeof(children[0]);
		     i++) {
			if (!children[i]) {
				children[i] = pid;
				break;
			}
		}
	}
	return pid;
}

static void forget_child(pid_t pid)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
		if (children[i] == pid)
			children[i] = 0;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	forget_child(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void kill_children(void)
{
	for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
		if (children[i]) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

/* Waits up to @ms for the server to hold @n files. */
static void expect_file_count_within(struct server_fixture *fx, size_t n,
				     int ms)
{
	for (int i = 0; i < ms / 10 && udrm_server_file_count(fx->srv) != n;
	     i++)
		usleep(10000);
	ut_expect(udrm_server_file_count(fx->srv), n,
		  "files the server holds after up to %d ms", ms);
}

static void expect_file_count(struct server_fixture *fx, size_t n)
{
	expect_file_count_within(fx, n, 5000);
}

static void forked_child_shares_the_open_file(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		uint32_t h = child_dumb(c, fd);
		struct drm_gem_close close_req = {.handle = h};
		pid_t grandchild = fork();
		int ret;

		if (grandchild == 0) {
			/* Its own connection, the inherited fd. */
			struct udrm_client *gc = child_connect(fx);

			ret = udrm_client_ioctl(gc, fd, DRM_IOCTL_GEM_CLOSE,
						&close_req);
			CHILD_CHECK(ret == 0,
				    "GEM_CLOSE of the parent's handle %u in "
				    "the forked child: %s",
				    h, strerror(-ret));
			_exit(0);
		}
		CHILD_CHECK(wait_child(grandchild) == 0, "grandchild failed");
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GEM_CLOSE, &close_req);
		CHILD_CHECK(ret == -EINVAL,
			    "GEM_CLOSE after the child closed the handle: "
			    "expected EINVAL, got %d",
			    ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the forked processes' checks");
	expect_file_count(fx, 0);
}

static void killed_master_frees_master(void **state)
{
	struct server_fixture *fx = *state;
	int ready[2], go[2];
	pid_t holder, other;
	char byte;

	ut_check(pipe(ready) == 0 && pipe(go) == 0, "pipes");
	holder = spawn();
	if (holder == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);

		CHILD_CHECK(ret == 0, "first opener is master: %d", ret);
		CHILD_CHECK(write(ready[1], "m", 1) == 1, "write");
		pause(); /* killed holding master */
		_exit(0);
	}
	ut_check(read(ready[0], &byte, 1) == 1, "the holder became master");

	other = spawn();
	if (other == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);

		CHILD_CHECK(ret == -EACCES,
			    "SET_MASTER while another process is master: "
			    "expected EACCES, got %d",
			    ret);
		CHILD_CHECK(write(ready[1], "n", 1) == 1, "write");
		CHILD_CHECK(read(go[0], &byte, 1) == 1, "read");
		/* The holder is gone: a new open is master at once. */
		fd = child_open(c, VKMS_MINOR);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);
		CHILD_CHECK(ret == 0,
			    "a new open after the master was killed is "
			    "master: got %d",
			    ret);
		_exit(0);
	}
	ut_check(read(ready[0], &byte, 1) == 1, "the other process checked");
	expect_file_count(fx, 2);
	kill(holder, SIGKILL);
	ut_check(wait_child(holder) == 128 + SIGKILL, "holder killed");
	expect_file_count(fx, 1); /* the holder's file was closed */
	ut_check(write(go[1], "g", 1) == 1, "write");
	ut_expect(wait_child(other), 0, "the other process's checks");
	expect_file_count(fx, 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

static void magic_is_authenticated_across_processes(void **state)
{
	struct server_fixture *fx = *state;
	int to_master[2], to_client[2];
	pid_t master, client;
	char byte;

	ut_check(pipe(to_master) == 0 && pipe(to_client) == 0, "pipes");
	master = spawn();
	if (master == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		struct drm_auth auth;
		int ret;

		CHILD_CHECK(write(to_client[1], "o", 1) == 1, "write");
		CHILD_CHECK(read(to_master[0], &auth.magic,
				 sizeof(auth.magic)) == sizeof(auth.magic),
			    "read magic");
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_AUTH_MAGIC, &auth);
		CHILD_CHECK(ret == 0, "AUTH_MAGIC of the other's magic: %d",
			    ret);
		CHILD_CHECK(write(to_client[1], "a", 1) == 1, "write");
		CHILD_CHECK(read(to_master[0], &byte, 1) == 1, "read");
		_exit(0);
	}
	client = spawn();
	if (client == 0) {
		struct udrm_client *c = child_connect(fx);
		struct drm_auth auth = {0};
		struct drm_gem_flink flink = {0};
		int fd, ret;

		CHILD_CHECK(read(to_client[0], &byte, 1) == 1, "read");
		fd = child_open(c, VKMS_MINOR);
		flink.handle = child_dumb(c, fd);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GEM_FLINK, &flink);
		CHILD_CHECK(ret == -EACCES,
			    "FLINK before authentication: expected EACCES, "
			    "got %d",
			    ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_MAGIC, &auth);
		CHILD_CHECK(ret == 0 && auth.magic, "GET_MAGIC: %d", ret);
		CHILD_CHECK(write(to_master[1], &auth.magic,
				  sizeof(auth.magic)) == sizeof(auth.magic),
			    "write magic");
		CHILD_CHECK(read(to_client[0], &byte, 1) == 1, "read");
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GEM_FLINK, &flink);
		CHILD_CHECK(ret == 0 && flink.name,
			    "FLINK after the master authenticated us: %d", ret);
		CHILD_CHECK(write(to_master[1], "d", 1) == 1, "write");
		_exit(0);
	}
	ut_expect(wait_child(client), 0, "the authenticated process's checks");
	ut_expect(wait_child(master), 0, "the master process's checks");
	close(to_master[0]);
	close(to_master[1]);
	close(to_client[0]);
	close(to_client[1]);
}

static void prime_fd_lands_in_the_calling_process(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_MINOR);
		uint32_t h = child_dumb(c, fd);
		struct drm_prime_handle exp = {.handle = h,
					       .flags = DRM_CLOEXEC | DRM_RDWR};
		struct drm_prime_handle imp = {0};
		struct stat st;
		uint32_t *map;
		int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
					    &exp);

		CHILD_CHECK(ret == 0, "PRIME_HANDLE_TO_FD: %d", ret);
		CHILD_CHECK(fstat(exp.fd, &st) == 0 && S_ISREG(st.st_mode) &&
				    st.st_size >= 64 * 64 * 4,
			    "the exported fd %d is this process's dma-buf",
			    exp.fd);
		CHILD_CHECK(fcntl(exp.fd, F_GETFD) == FD_CLOEXEC,
			    "DRM_CLOEXEC reached the fd");
		map = mmap(NULL, 64 * 64 * 4, PROT_READ | PROT_WRITE,
			   MAP_SHARED, exp.fd, 0);
		CHILD_CHECK(map != MAP_FAILED, "mmap of the dma-buf");
		map[0] = 0x12345678;
		munmap(map, 64 * 64 * 4);
		imp.fd = exp.fd;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_FD_TO_HANDLE,
					&imp);
		CHILD_CHECK(ret == 0 && imp.handle == h,
			    "import of our own export gives handle %u back: "
			    "ret %d handle %u",
			    h, ret, imp.handle);
		imp.fd = 1000; /* not open here */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_FD_TO_HANDLE,
					&imp);
		CHILD_CHECK(ret == -EBADF,
			    "import of fd 1000: expected EBADF, "
			    "got %d",
			    ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the PRIME process's checks");
}

static void mmap_shares_pages_between_processes(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_MINOR);
		struct drm_mode_map_dumb map_req = {.handle =
							    child_dumb(c, fd)};
		struct drm_prime_handle exp = {.handle = map_req.handle,
					       .flags = DRM_CLOEXEC};
		const size_t size = 64 * 64 * 4;
		uint32_t *map = NULL, *view;
		pid_t reader;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_MAP_DUMB,
					&map_req);
		CHILD_CHECK(ret == 0, "MAP_DUMB: %d", ret);
		ret = udrm_client_mmap(c, fd, NULL, size,
				       PROT_READ | PROT_WRITE, MAP_SHARED,
				       map_req.offset, (void **)&map);
		CHILD_CHECK(ret == 0, "mmap of the dumb buffer: %d", ret);
		map[0] = 0xabcd0123;
		map[size / 4 - 1] = 0x0badf00d;

		reader = fork();
		if (reader == 0) {
			struct udrm_client *rc = child_connect(fx);

			ret = udrm_client_mmap(rc, fd, NULL, size, PROT_READ,
					       MAP_SHARED, map_req.offset,
					       (void **)&view);
			CHILD_CHECK(ret == 0, "mmap in the forked child: %d",
				    ret);
			CHILD_CHECK(view[0] == 0xabcd0123 &&
					    view[size / 4 - 1] == 0x0badf00d,
				    "the child sees the parent's writes: "
				    "0x%08x 0x%08x",
				    view[0], view[size / 4 - 1]);
			_exit(0);
		}
		CHILD_CHECK(wait_child(reader) == 0, "the reader failed");

		ret = udrm_client_mmap(c, fd, NULL, size, PROT_READ, MAP_SHARED,
				       map_req.offset + (1 << 30),
				       (void **)&view);
		CHILD_CHECK(ret == -EINVAL,
			    "mmap of an unknown offset: "
			    "expected EINVAL, got %d",
			    ret);
		ret = udrm_client_mmap(c, fd, NULL, size, PROT_READ,
				       MAP_PRIVATE, map_req.offset,
				       (void **)&view);
		CHILD_CHECK(ret == -EINVAL,
			    "private mmap: expected EINVAL, "
			    "got %d",
			    ret);

		/* The export is the same pages, mapped through its own fd. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
					&exp);
		CHILD_CHECK(ret == 0, "PRIME_HANDLE_TO_FD: %d", ret);
		view = mmap(NULL, size, PROT_READ, MAP_SHARED, exp.fd, 0);
		CHILD_CHECK(view != MAP_FAILED && view[0] == 0xabcd0123,
			    "the dma-buf shows the buffer's contents");
		map[1] = 7;
		CHILD_CHECK(view[1] == 7, "and stays the same pages");
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the mmap processes' checks");
}

#define VGEM_RENDER_MINOR 128

static void send_fd(int sock, int fd)
{
	char byte = 0, buf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = buf,
			    .msg_controllen = sizeof(buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHILD_CHECK(sendmsg(sock, &mh, 0) == 1, "sendmsg of an fd");
}

static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = buf,
			    .msg_controllen = sizeof(buf)};
	struct cmsghdr *c;
	int fd;

	CHILD_CHECK(recvmsg(sock, &mh, 0) == 1, "recvmsg of an fd");
	c = CMSG_FIRSTHDR(&mh);
	CHILD_CHECK(c && c->cmsg_type == SCM_RIGHTS, "an fd arrived");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void syncobj_fd_crosses_processes(void **state)
{
	struct server_fixture *fx = *state;
	int sv[2];
	pid_t signaller, waiter;

	ut_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	signaller = spawn();
	if (signaller == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_RENDER_MINOR);
		struct drm_syncobj_create create = {0};
		struct drm_syncobj_handle exp = {0};
		struct drm_syncobj_array sig = {.count_handles = 1};
		char byte;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_CREATE,
					&create);
		CHILD_CHECK(ret == 0, "SYNCOBJ_CREATE: %d", ret);
		exp.handle = create.handle;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
					&exp);
		CHILD_CHECK(ret == 0 && exp.fd >= 0, "HANDLE_TO_FD: %d", ret);
		send_fd(sv[0], exp.fd);
		/* Signal once the waiter is waiting. */
		CHILD_CHECK(read(sv[0], &byte, 1) == 1, "read");
		usleep(50000);
		sig.handles = (uintptr_t)&create.handle;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_SIGNAL, &sig);
		CHILD_CHECK(ret == 0, "SYNCOBJ_SIGNAL: %d", ret);
		_exit(0);
	}
	waiter = spawn();
	if (waiter == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_RENDER_MINOR);
		struct drm_syncobj_handle imp = {.fd = recv_fd(sv[1])};
		struct drm_syncobj_wait wait = {
			.count_handles = 1,
			.timeout_nsec = INT64_MAX,
			.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT};
		struct timespec t0, t1;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE,
					&imp);
		CHILD_CHECK(ret == 0 && imp.handle,
			    "FD_TO_HANDLE of the fd from the other process: %d",
			    ret);
		wait.handles = (uintptr_t)&imp.handle;
		CHILD_CHECK(write(sv[1], "w", 1) == 1, "write");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHILD_CHECK(ret == 0,
			    "SYNCOBJ_WAIT for the other process's "
			    "signal: %d",
			    ret);
		CHILD_CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L +
					    (t1.tv_nsec - t0.tv_nsec) >=
				    40000000L,
			    "the wait blocked until the signal");
		_exit(0);
	}
	ut_expect(wait_child(waiter), 0, "the waiting process's checks");
	ut_expect(wait_child(signaller), 0, "the signalling process's checks");
	close(sv[0]);
	close(sv[1]);
}

/* Lights the first CRTC of vkms with its preferred mode on a dumb fb. */
static uint32_t child_modeset(struct udrm_client *c, int fd)
{
	uint32_t crtcs[8], conns[8], encs[8], fbs[8];
	struct drm_mode_card_res res = {.crtc_id_ptr = (uintptr_t)crtcs,
					.connector_id_ptr = (uintptr_t)conns,
					.encoder_id_ptr = (uintptr_t)encs,
					.fb_id_ptr = (uintptr_t)fbs,
					.count_crtcs = 8,
					.count_connectors = 8,
					.count_encoders = 8,
					.count_fbs = 8};
	struct drm_mode_modeinfo modes[64];
	struct drm_mode_get_connector conn = {0};
	struct drm_mode_create_dumb dumb = {.bpp = 32};
	struct drm_mode_fb_cmd fb = {.bpp = 32, .depth = 24};
	struct drm_mode_crtc set = {0};
	int ret;

	ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	CHILD_CHECK(ret == 0 && res.count_crtcs && res.count_connectors,
		    "GETRESOURCES: %d", ret);
	conn.connector_id = conns[0];
	conn.modes_ptr = (uintptr_t)modes;
	conn.count_modes = 64;
	ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn);
	CHILD_CHECK(ret == 0 && conn.count_modes, "GETCONNECTOR: %d", ret);
	dumb.width = modes[0].hdisplay;
	dumb.height = modes[0].vdisplay;
	ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	CHILD_CHECK(ret == 0, "CREATE_DUMB: %d", ret);
	fb.width = dumb.width;
	fb.height = dumb.height;
	fb.pitch = dumb.pitch;
	fb.handle = dumb.handle;
	ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_ADDFB, &fb);
	CHILD_CHECK(ret == 0, "ADDFB: %d", ret);
	set.crtc_id = crtcs[0];
	set.fb_id = fb.fb_id;
	set.set_connectors_ptr = (uintptr_t)&conns[0];
	set.count_connectors = 1;
	set.mode = modes[0];
	set.mode_valid = 1;
	ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_SETCRTC, &set);
	CHILD_CHECK(ret == 0, "SETCRTC: %d", ret);
	return crtcs[0];
}

static void vblank_event_reaches_the_requesting_process(void **state)
{
	struct server_fixture *fx = *state;
	int ready[2];
	pid_t other, master;
	char byte;

	ut_check(pipe(ready) == 0, "pipe");
	master = spawn();
	if (master == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		union drm_wait_vblank vbl = {0};
		struct drm_event_vblank ev;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ret;

		child_modeset(c, fd);
		CHILD_CHECK(write(ready[1], "m", 1) == 1, "write");
		vbl.request.type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT;
		vbl.request.sequence = 1;
		vbl.request.signal = 0x5eed;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
		CHILD_CHECK(ret == 0, "WAIT_VBLANK with an event: %d", ret);
		CHILD_CHECK(poll(&pfd, 1, 2000) == 1, "the event arrives");
		CHILD_CHECK(read(fd, &ev, sizeof(ev)) == sizeof(ev) &&
				    ev.base.type == DRM_EVENT_VBLANK &&
				    ev.user_data == 0x5eed,
			    "a vblank event with our user data");
		CHILD_CHECK(read(ready[0], &byte, 1) == 1, "read");
		_exit(0);
	}
	ut_check(read(ready[0], &byte, 1) == 1, "the mode is set");
	other = spawn();
	if (other == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		CHILD_CHECK(c && poll(&pfd, 1, 300) == 0,
			    "no event for a process that asked for none");
		_exit(0);
	}
	ut_expect(wait_child(other), 0, "the other process's checks");
	ut_check(write(ready[1], "d", 1) == 1, "write");
	ut_expect(wait_child(master), 0, "the master process's checks");
	close(ready[0]);
	close(ready[1]);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM in @ms, handled with or without SA_RESTART. */
static void child_alarm(int ms, bool restart)
{
	struct sigaction sa = {.sa_handler = on_alarm,
			       .sa_flags = restart ? SA_RESTART : 0};
	struct itimerval it = {.it_value = {.tv_sec = ms / 1000,
					    .tv_usec = (ms % 1000) * 1000}};

	sigemptyset(&sa.sa_mask);
	CHILD_CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	CHILD_CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void signal_interrupts_a_blocking_wait(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_RENDER_MINOR);
		struct drm_syncobj_create create = {0};
		struct drm_syncobj_wait wait = {
			.count_handles = 1,
			.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT};
		int64_t t0, t;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_CREATE,
					&create);
		CHILD_CHECK(ret == 0, "SYNCOBJ_CREATE: %d", ret);
		wait.handles = (uintptr_t)&create.handle;
		/* The file shown, the waits go through the request slot. */
		CHILD_CHECK(child_slot_count() == 1, "the connection's slot");

		/* Without SA_RESTART: the wait ends with EINTR. */
		wait.timeout_nsec = INT64_MAX;
		child_alarm(100, false);
		t0 = now_ns();
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
		t = now_ns() - t0;
		for (int i = 0; i < 100 && alarms < 1; i++)
			usleep(1000); /* a sanitizer may run it late */
		CHILD_CHECK(ret == -EINTR && alarms == 1,
			    "SYNCOBJ_WAIT interrupted by a handler without "
			    "SA_RESTART: expected EINTR, got %d (%d alarms)",
			    ret, (int)alarms);
		CHILD_CHECK(t >= 90000000 && t < 2000000000,
			    "interrupted after the alarm, not before or long "
			    "after: %lld ns",
			    (long long)t);

		/* With SA_RESTART: the wait goes on to its timeout. */
		wait.timeout_nsec = now_ns() + 300000000;
		child_alarm(50, true);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
		CHILD_CHECK(ret == -ETIME && alarms == 2,
			    "SYNCOBJ_WAIT with an SA_RESTART handler runs to "
			    "its timeout: expected ETIME, got %d (%d alarms)",
			    ret, (int)alarms);
		CHILD_CHECK(now_ns() >= (int64_t)wait.timeout_nsec,
			    "not before the timeout");

		/* The connection works on after an interrupted call. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
		CHILD_CHECK(ret == -ETIME, "a wait after: %d", ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the interrupted process's checks");
}

static void signal_interrupts_wait_vblank(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		union drm_wait_vblank vbl = {0};
		int ret;

		child_modeset(c, fd);
		CHILD_CHECK(child_slot_count() == 1, "the connection's slot");
		vbl.request.type = _DRM_VBLANK_RELATIVE;
		vbl.request.sequence = 600; /* ten seconds at 60 Hz */
		child_alarm(100, false);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
		CHILD_CHECK(ret == -EINTR,
			    "WAIT_VBLANK interrupted: expected "
			    "EINTR, got %d",
			    ret);
		CHILD_CHECK(!(vbl.request.type & _DRM_VBLANK_RELATIVE) &&
				    vbl.request.sequence >= 600,
			    "the interrupted request is left absolute for a "
			    "retry: type 0x%x sequence %u",
			    vbl.request.type, vbl.request.sequence);

		/* drm_wait_vblank_ioctl() is not restarted: EINTR after a
		 * handler with SA_RESTART too. */
		vbl.request.type = _DRM_VBLANK_RELATIVE;
		vbl.request.sequence = 600;
		child_alarm(100, true);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
		CHILD_CHECK(ret == -EINTR,
			    "WAIT_VBLANK interrupted by a handler with "
			    "SA_RESTART: expected EINTR, got %d",
			    ret);
		vbl.request.type = _DRM_VBLANK_RELATIVE;
		vbl.request.sequence = 1;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
		CHILD_CHECK(ret == 0, "a WAIT_VBLANK after: %d", ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the vblank waiter's checks");
}

static void bad_pointer_gives_efault(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		void *unmapped = mmap(NULL, 4096, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		const struct drm_version *ro;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VERSION, unmapped);
		CHILD_CHECK(ret == -EFAULT,
			    "VERSION into PROT_NONE memory: expected EFAULT, "
			    "got %d",
			    ret);
		ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VERSION, (void *)ro);
		CHILD_CHECK(ret == -EFAULT,
			    "VERSION into read-only memory: expected EFAULT, "
			    "got %d",
			    ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the EFAULT process's checks");
}

static void version_is_copied_to_the_caller(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_MINOR);
		char name[32] = {0};
		struct drm_version v = {.name = name,
					.name_len = sizeof(name) - 1};
		int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VERSION, &v);

		CHILD_CHECK(ret == 0 && !strcmp(name, "vgem"),
			    "VERSION names the driver: ret %d name '%s'", ret,
			    name);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the VERSION process's checks");
}

static void malformed_message_costs_only_its_connection(void **state)
{
	struct server_fixture *fx = *state;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	char buf[64];
	pid_t pid;

	strcpy(addr.sun_path, fx->path);
	ut_check(connect(sock, (struct sockaddr *)&addr, sizeof(addr)) == 0,
		 "connect");
	ut_check(send(sock, "bad", 3, 0) == 3, "send a 3-byte message");
	ut_expect(recv(sock, buf, sizeof(buf), 0), 0,
		  "the server hangs up on a malformed message");
	close(sock);

	pid = spawn();
	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);

		child_open(c, VKMS_MINOR);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "a well-behaved client afterwards");
}

static void adopt_names_the_node_of_a_received_fd(void **state)
{
	struct server_fixture *fx = *state;
	int sv[2];
	pid_t opener, receiver;

	ut_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	opener = spawn();
	if (opener == 0) {
		struct udrm_client *c = child_connect(fx);
		char byte;

		send_fd(sv[0], child_open(c, VKMS_MINOR));
		send_fd(sv[0], child_open(c, VGEM_RENDER_MINOR));
		CHILD_CHECK(read(sv[0], &byte, 1) == 1, "read");
		_exit(0);
	}
	receiver = spawn();
	if (receiver == 0) {
		struct udrm_client *c = child_connect(fx);
		int card = recv_fd(sv[1]), render = recv_fd(sv[1]);
		struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};
		int minor = -1, pipefd[2], pair[2], ret;

		ret = udrm_client_adopt(c, card, &minor);
		CHILD_CHECK(ret == 0 && minor == VKMS_MINOR,
			    "ADOPT of a received card0 fd: expected 0 and "
			    "minor %d, got %d and %d",
			    VKMS_MINOR, ret, minor);
		ret = udrm_client_adopt(c, render, &minor);
		CHILD_CHECK(ret == 0 && minor == VGEM_RENDER_MINOR,
			    "ADOPT of a received renderD128 fd: expected 0 "
			    "and minor %d, got %d and %d",
			    VGEM_RENDER_MINOR, ret, minor);
		ret = udrm_client_ioctl(c, card, DRM_IOCTL_GET_CAP, &cap);
		CHILD_CHECK(ret == 0 && cap.value == 1,
			    "GET_CAP on the adopted fd: %d", ret);
		CHILD_CHECK(pipe(pipefd) == 0 &&
				    socketpair(AF_UNIX, SOCK_SEQPACKET, 0,
					       pair) == 0,
			    "pipe and socketpair");
		ret = udrm_client_adopt(c, pipefd[0], &minor);
		CHILD_CHECK(ret == -EBADF,
			    "ADOPT of a pipe: expected EBADF, got %d", ret);
		ret = udrm_client_adopt(c, pair[0], &minor);
		CHILD_CHECK(ret == -EBADF,
			    "ADOPT of a socket the server did not make: "
			    "expected EBADF, got %d",
			    ret);
		ret = udrm_client_adopt(c, 1000, &minor);
		CHILD_CHECK(ret == -EBADF,
			    "ADOPT of a closed fd: expected EBADF, got %d",
			    ret);
		CHILD_CHECK(write(sv[1], "d", 1) == 1, "write");
		_exit(0);
	}
	ut_expect(wait_child(receiver), 0, "the receiving process's checks");
	ut_expect(wait_child(opener), 0, "the opening process's checks");
	close(sv[0]);
	close(sv[1]);
}

/* Asks for a vblank event at the next vblank of pipe 0. */
static int child_request_event(struct udrm_client *c, int fd, uint64_t data)
{
	union drm_wait_vblank vbl = {0};

	vbl.request.type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT;
	vbl.request.sequence = 1;
	vbl.request.signal = (unsigned long)data;
	return udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK, &vbl);
}

#define VBLANK_EVENT_SIZE ((int)sizeof(struct drm_event_vblank))
#define EVENTS_IN_BUDGET  (4096 / VBLANK_EVENT_SIZE)

/* Reads @count vblank events carrying user data @first, @first + 1...,
 * in as many reads as it takes. */
static void child_read_events(struct udrm_client *c, int fd, int count,
			      uint64_t first)
{
	struct drm_event_vblank evs[EVENTS_IN_BUDGET];
	int got = 0;

	while (got < count) {
		ssize_t n = udrm_client_read(c, fd, evs, sizeof(evs));

		CHILD_CHECK(n > 0 && n % VBLANK_EVENT_SIZE == 0,
			    "a read of whole events: %zd", n);
		for (ssize_t i = 0; i < n / VBLANK_EVENT_SIZE; i++, got++) {
			CHILD_CHECK(evs[i].base.type == DRM_EVENT_VBLANK &&
					    evs[i].user_data == first + got,
				    "event %d is ours, in order: user data "
				    "%llu, expected %llu",
				    got, (unsigned long long)evs[i].user_data,
				    (unsigned long long)(first + got));
		}
	}
}

static void read_refills_the_event_budget(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		int ret;

		child_modeset(c, fd);
		/* Three budgets' worth, each asked for before any is read:
		 * only reads make room for the next round. */
		for (int round = 0; round < 3; round++) {
			for (int i = 0; i < EVENTS_IN_BUDGET; i++) {
				ret = child_request_event(c, fd,
							  round * 1000 + i);
				CHILD_CHECK(ret == 0,
					    "round %d: event %d of a budget "
					    "of %d: %d",
					    round, i, EVENTS_IN_BUDGET, ret);
			}
			ret = child_request_event(c, fd, 0);
			CHILD_CHECK(ret == -ENOMEM,
				    "round %d: an event past the 4096-byte "
				    "budget: expected ENOMEM, got %d",
				    round, ret);
			child_read_events(c, fd, EVENTS_IN_BUDGET,
					  round * 1000);
		}
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the event reader's checks");
}

static void read_keeps_events_it_cannot_deliver(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		int nbfd = udrm_client_open(c, VKMS_MINOR,
					    O_RDWR | O_CLOEXEC | O_NONBLOCK);
		void *none = mmap(NULL, 4096, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *ro = mmap(NULL, 4096, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct drm_event_vblank evs[4];
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		union drm_wait_vblank vbl = {0};
		ssize_t n;

		CHILD_CHECK(nbfd >= 0, "O_NONBLOCK open: %d", nbfd);
		child_modeset(c, fd);
		n = udrm_client_read(c, nbfd, evs, sizeof(evs));
		CHILD_CHECK(n == -EAGAIN,
			    "read of an O_NONBLOCK file without events: "
			    "expected EAGAIN, got %zd",
			    n);

		for (int i = 0; i < 3; i++)
			CHILD_CHECK(child_request_event(c, fd, 10 + i) == 0,
				    "WAIT_VBLANK with an event");
		CHILD_CHECK(poll(&pfd, 1, 2000) == 1, "the events arrive");
		usleep(50000); /* the three come with the same vblank */
		n = udrm_client_read(c, fd, evs, VBLANK_EVENT_SIZE - 1);
		CHILD_CHECK(n == 0,
			    "read into a buffer smaller than the event: "
			    "expected 0, got %zd",
			    n);
		n = udrm_client_read(c, fd, none, 4096);
		CHILD_CHECK(n == -EFAULT,
			    "read into PROT_NONE memory: expected EFAULT, "
			    "got %zd",
			    n);
		n = udrm_client_read(c, fd, ro, 4096);
		CHILD_CHECK(n == -EFAULT,
			    "read into read-only memory: expected EFAULT, "
			    "got %zd",
			    n);
		n = udrm_client_read(c, fd, evs, 2 * VBLANK_EVENT_SIZE + 8);
		CHILD_CHECK(n == 2 * VBLANK_EVENT_SIZE &&
				    evs[0].user_data == 10 &&
				    evs[1].user_data == 11,
			    "the events refused before are all there: read "
			    "gives two whole ones (%zd bytes, user data %llu "
			    "%llu)",
			    n, (unsigned long long)evs[0].user_data,
			    (unsigned long long)evs[1].user_data);
		n = udrm_client_read(c, fd, evs, sizeof(evs));
		CHILD_CHECK(n == VBLANK_EVENT_SIZE && evs[0].user_data == 12,
			    "then the third: %zd", n);

		/* A blocking read waits; a handler with SA_RESTART lets it
		 * go on, one without ends it with EINTR. */
		vbl.request.type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT;
		vbl.request.sequence = 6; /* 100 ms at 60 Hz */
		vbl.request.signal = 20;
		CHILD_CHECK(udrm_client_ioctl(c, fd, DRM_IOCTL_WAIT_VBLANK,
					      &vbl) == 0,
			    "WAIT_VBLANK with an event");
		child_alarm(20, true);
		n = udrm_client_read(c, fd, evs, sizeof(evs));
		CHILD_CHECK(n == VBLANK_EVENT_SIZE && evs[0].user_data == 20 &&
				    alarms == 1,
			    "a blocking read waits for the next event through "
			    "an SA_RESTART handler: %zd bytes, %d alarms",
			    n, (int)alarms);
		child_alarm(100, false);
		n = udrm_client_read(c, fd, evs, sizeof(evs));
		CHILD_CHECK(n == -EINTR,
			    "a blocking read without events interrupted by "
			    "a handler without SA_RESTART: expected EINTR, "
			    "got %zd",
			    n);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the event reader's checks");
}

static void dmabuf_and_sync_file_ioctls_from_another_process(void **state)
{
	struct server_fixture *fx = *state;
	int sv[2];
	pid_t exporter, user;

	ut_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	exporter = spawn();
	if (exporter == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_MINOR);
		uint32_t h = child_dumb(c, fd);
		struct drm_prime_handle exp = {.handle = h,
					       .flags = DRM_CLOEXEC | DRM_RDWR};
		struct drm_vgem_fence_attach attach = {
			.handle = h, .flags = VGEM_FENCE_WRITE};
		struct drm_vgem_fence_signal sig = {0};
		struct dma_buf_export_sync_file sf = {
			.flags = DMA_BUF_SYNC_READ};
		char byte;
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
					&exp);
		CHILD_CHECK(ret == 0, "PRIME_HANDLE_TO_FD: %d", ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VGEM_FENCE_ATTACH,
					&attach);
		CHILD_CHECK(ret == 0, "VGEM_FENCE_ATTACH: %d", ret);
		ret = udrm_client_fd_ioctl(c, exp.fd,
					   DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sf);
		CHILD_CHECK(ret == 0 && sf.fd >= 0,
			    "EXPORT_SYNC_FILE of the write fence: %d", ret);
		send_fd(sv[0], exp.fd);
		send_fd(sv[0], sf.fd);
		/* Signal once the other process waits in DMA_BUF_IOCTL_SYNC. */
		CHILD_CHECK(read(sv[0], &byte, 1) == 1, "read");
		usleep(50000);
		sig.fence = attach.out_fence;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VGEM_FENCE_SIGNAL,
					&sig);
		CHILD_CHECK(ret == 0, "VGEM_FENCE_SIGNAL: %d", ret);
		CHILD_CHECK(read(sv[0], &byte, 1) == 1, "read");
		_exit(0);
	}
	user = spawn();
	if (user == 0) {
		struct udrm_client *c = child_connect(fx);
		int buf = recv_fd(sv[1]), fence = recv_fd(sv[1]);
		struct sync_file_info info = {0};
		struct sync_merge_data merge = {.name = "merged"};
		struct dma_buf_sync sync = {.flags = DMA_BUF_SYNC_START |
						     DMA_BUF_SYNC_READ};
		void *none = mmap(NULL, 4096, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int64_t t0, t;
		int pipefd[2], ret;

		ret = udrm_client_fd_ioctl(c, fence, SYNC_IOC_FILE_INFO, &info);
		CHILD_CHECK(ret == 0 && info.status == 0,
			    "FILE_INFO of the other process's sync_file: "
			    "expected 0 and status 0 (active), got %d and %d",
			    ret, info.status);
		ret = udrm_client_fd_ioctl(c, fence, SYNC_IOC_FILE_INFO, none);
		CHILD_CHECK(ret == -EFAULT,
			    "FILE_INFO into PROT_NONE memory: expected "
			    "EFAULT, got %d",
			    ret);
		merge.fd2 = fence;
		ret = udrm_client_fd_ioctl(c, fence, SYNC_IOC_MERGE, &merge);
		CHILD_CHECK(ret == 0 && merge.fence >= 0 &&
				    fcntl(merge.fence, F_GETFD) >= 0,
			    "MERGE gives a sync_file in this process: %d", ret);

		CHILD_CHECK(write(sv[1], "w", 1) == 1, "write");
		t0 = now_ns();
		ret = udrm_client_fd_ioctl(c, buf, DMA_BUF_IOCTL_SYNC, &sync);
		t = now_ns() - t0;
		CHILD_CHECK(ret == 0 && t >= 40000000,
			    "DMA_BUF_IOCTL_SYNC START waits for the other "
			    "process's write fence: %d after %lld ns",
			    ret, (long long)t);
		info = (struct sync_file_info){0};
		ret = udrm_client_fd_ioctl(c, merge.fence, SYNC_IOC_FILE_INFO,
					   &info);
		CHILD_CHECK(ret == 0 && info.status == 1 &&
				    !strcmp(info.name, "merged"),
			    "FILE_INFO of the merge once signalled: %d, "
			    "status %d, name '%s'",
			    ret, info.status, info.name);
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ret = udrm_client_fd_ioctl(c, buf, DMA_BUF_IOCTL_SYNC, &sync);
		CHILD_CHECK(ret == 0, "DMA_BUF_IOCTL_SYNC END: %d", ret);

		CHILD_CHECK(pipe(pipefd) == 0, "pipe");
		ret = udrm_client_fd_ioctl(c, pipefd[0], SYNC_IOC_FILE_INFO,
					   &info);
		CHILD_CHECK(ret == -ENOTTY,
			    "FILE_INFO on a pipe: expected ENOTTY, got %d",
			    ret);
		ret = udrm_client_fd_ioctl(c, buf, SYNC_IOC_FILE_INFO, &info);
		CHILD_CHECK(ret == -ENOTTY,
			    "a sync_file ioctl on a dma-buf: expected ENOTTY, "
			    "got %d",
			    ret);
		CHILD_CHECK(write(sv[1], "d", 1) == 1, "write");
		_exit(0);
	}
	ut_expect(wait_child(user), 0, "the dma-buf user's checks");
	ut_expect(wait_child(exporter), 0, "the exporter's checks");
	close(sv[0]);
	close(sv[1]);
}

/* The ids of vkms's first connector status and CRC files, as the server
 * numbers virtual files: udrm_device_for_each_vfile() over its devices in
 * order (vkms, then vgem). */
struct vfile_ids {
	int status, control, data;
	uint32_t count;
};

static int note_vfile(void *ctx, enum udrm_vfile_root root, const char *path,
		      unsigned int mode, struct udrm_vfile *vfile)
{
	struct vfile_ids *ids = ctx;
	size_t len = strlen(path);

	(void)mode;
	(void)vfile;
	if (ids->status < 0 && root == UDRM_VFILE_SYSFS && len > 7 &&
	    !strcmp(path + len - 7, "/status"))
		ids->status = (int)ids->count;
	if (root == UDRM_VFILE_DEBUGFS && !strcmp(path, "crtc-0/crc/control"))
		ids->control = (int)ids->count;
	if (root == UDRM_VFILE_DEBUGFS && !strcmp(path, "crtc-0/crc/data"))
		ids->data = (int)ids->count;
	ids->count++;
	return 0;
}

static struct vfile_ids find_vfiles(struct server_fixture *fx)
{
	struct vfile_ids ids = {.status = -1, .control = -1, .data = -1};

	udrm_device_for_each_vfile(fx->devs->vkms, note_vfile, &ids);
	udrm_device_for_each_vfile(fx->devs->vgem, note_vfile, &ids);
	ut_check(ids.status >= 0 && ids.control >= 0 && ids.data >= 0,
		 "vkms publishes a connector status and CRTC 0's CRC files");
	ut_expect(udrm_server_vfile_count(fx->srv), (size_t)ids.count,
		  "the server serves every device's virtual files");
	return ids;
}

static int child_vfile_open(struct udrm_client *c, int id, int flags)
{
	int fd = udrm_client_vfile_open(c, (uint32_t)id, flags | O_CLOEXEC);

	CHILD_CHECK(fd >= 0, "open of vfile %d: %s", id, strerror(-fd));
	return fd;
}

/* Reads the whole attribute from its start into @buf (NUL-terminated). */
static void child_vfile_show(struct udrm_client *c, int hfd, char *buf,
			     size_t len)
{
	ssize_t n = udrm_client_vfile_read(c, hfd, buf, len - 1, 0);

	CHILD_CHECK(n >= 0, "pread of an attribute: %zd", n);
	buf[n] = '\0';
}

static void vfile_connector_status_from_clients(void **state)
{
	struct server_fixture *fx = *state;
	struct vfile_ids ids = find_vfiles(fx);
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int hfd = child_vfile_open(c, ids.status, O_RDONLY);
		int wfd = child_vfile_open(c, ids.status, O_WRONLY);
		void *none = mmap(NULL, 4096, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char buf[64] = {0};
		pid_t reader;
		ssize_t n;

		n = udrm_client_vfile_read(c, hfd, buf, 4, -1);
		CHILD_CHECK(n == 4 && !memcmp(buf, "conn", 4),
			    "first read of 4 bytes of status: %zd '%s'", n,
			    buf);
		n = udrm_client_vfile_read(c, hfd, buf, sizeof(buf), -1);
		CHILD_CHECK(n == 6 && !memcmp(buf, "ected\n", 6),
			    "the rest at the file position: %zd", n);
		n = udrm_client_vfile_read(c, hfd, buf, sizeof(buf), -1);
		CHILD_CHECK(n == 0, "then end of file: %zd", n);
		n = udrm_client_vfile_read(c, hfd, buf, sizeof(buf), 7);
		CHILD_CHECK(n == 3 && !memcmp(buf, "ed\n", 3),
			    "pread at 7: %zd", n);
		CHILD_CHECK(udrm_client_vfile_lseek(c, hfd, 2, SEEK_SET) == 2,
			    "lseek to 2");
		CHILD_CHECK(udrm_client_vfile_lseek(c, hfd, 0, SEEK_END) ==
				    -EINVAL,
			    "SEEK_END of an attribute: EINVAL");
		n = udrm_client_vfile_read(c, hfd, none, sizeof(buf), 0);
		CHILD_CHECK(n == -EFAULT,
			    "read into PROT_NONE memory: expected EFAULT, got "
			    "%zd",
			    n);
		n = udrm_client_vfile_write(c, hfd, "off", 3, -1);
		CHILD_CHECK(n == -EBADF,
			    "write to a read-only open: expected EBADF, got "
			    "%zd",
			    n);
		n = udrm_client_vfile_poll_fd(c, hfd);
		CHILD_CHECK(n == -EOPNOTSUPP,
			    "an attribute is always ready: expected "
			    "EOPNOTSUPP, got %zd",
			    n);

		/* Forcing the connector through the writable open. */
		n = udrm_client_vfile_write(c, wfd, "off", 3, -1);
		CHILD_CHECK(n == 3, "write of 'off': %zd", n);
		child_vfile_show(c, hfd, buf, sizeof(buf));
		CHILD_CHECK(!strcmp(buf, "disconnected\n"),
			    "status after 'off': '%s'", buf);
		n = udrm_client_vfile_write(c, wfd, "sideways", 8, -1);
		CHILD_CHECK(n == -EINVAL,
			    "write of an unknown word: expected EINVAL, got "
			    "%zd",
			    n);

		/* Another process, its own connection, the inherited handle. */
		reader = fork();
		if (reader == 0) {
			struct udrm_client *rc = child_connect(fx);

			n = udrm_client_vfile_write(rc, wfd, "detect\n", 7, -1);
			CHILD_CHECK(n == 7,
				    "write of 'detect' in the child: "
				    "%zd",
				    n);
			child_vfile_show(rc, hfd, buf, sizeof(buf));
			CHILD_CHECK(!strcmp(buf, "connected\n"),
				    "status after 'detect': '%s'", buf);
			_exit(0);
		}
		CHILD_CHECK(wait_child(reader) == 0, "the reader failed");

		n = udrm_client_vfile_open(c, (uint32_t)ids.count, O_RDONLY);
		CHILD_CHECK(n == -ENOENT,
			    "open of vfile id %u, one past the last: "
			    "expected ENOENT, got %zd",
			    ids.count, n);
		n = udrm_client_vfile_open(c, (uint32_t)ids.data, O_WRONLY);
		CHILD_CHECK(n == -EACCES,
			    "write open of CRC data: expected EACCES, got %zd",
			    n);
		n = udrm_client_ioctl(c, hfd, DRM_IOCTL_VERSION, buf);
		CHILD_CHECK(n == -EBADF,
			    "an ioctl on a vfile handle: expected EBADF, got "
			    "%zd",
			    n);

		/* Many opens and closes on one connection: the files it
		 * still holds stay usable as the closed ones are forgotten. */
		for (int i = 0; i < 300; i++) {
			int tmp = child_vfile_open(c, ids.status, O_RDONLY);

			child_vfile_show(c, tmp, buf, sizeof(buf));
			close(tmp);
		}
		n = udrm_client_vfile_read(c, hfd, buf, sizeof(buf), 0);
		CHILD_CHECK(n == 10, "the first handle after 300 opens: %zd",
			    n);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the status processes' checks");
	expect_file_count(fx, 0); /* the opens went with their handles */
}

static void vfile_crc_from_a_client(void **state)
{
	struct server_fixture *fx = *state;
	struct vfile_ids ids = find_vfiles(fx);
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		uint32_t crtc = child_modeset(c, fd);
		int ctl = child_vfile_open(c, ids.control, O_RDWR);
		struct drm_mode_crtc off = {.crtc_id = crtc};
		unsigned int frame, crc;
		char line[64] = {0};
		struct pollfd pfd = {.events = POLLIN};
		int data, ret;
		int64_t t0, t;
		ssize_t n;

		child_vfile_show(c, ctl, line, sizeof(line));
		CHILD_CHECK(!strcmp(line, "auto*\n"), "crc/control: '%s'",
			    line);
		data = child_vfile_open(c, ids.data, O_RDONLY);
		n = udrm_client_vfile_open(c, (uint32_t)ids.data, O_RDONLY);
		CHILD_CHECK(n == -EBUSY,
			    "a second open of CRC data: expected EBUSY, got "
			    "%zd",
			    n);
		n = udrm_client_vfile_write(c, ctl, "auto", 4, -1);
		CHILD_CHECK(n == -EBUSY,
			    "selecting a source while data is open: expected "
			    "EBUSY, got %zd",
			    n);
		n = udrm_client_vfile_read(c, data, line, sizeof(line), -1);
		CHILD_CHECK(n == 23 && line[22] == '\0' &&
				    sscanf(line, "0x%x 0x%x", &frame, &crc) ==
					    2,
			    "a blocking read gives one CRC entry: %zd '%s'", n,
			    line);
		pfd.fd = udrm_client_vfile_poll_fd(c, data);
		CHILD_CHECK(pfd.fd >= 0, "CRC data's poll fd: %d", pfd.fd);
		CHILD_CHECK(poll(&pfd, 1, 2000) == 1,
			    "CRC data polls readable once a frame is composed");
		n = udrm_client_vfile_lseek(c, data, 0, SEEK_SET);
		CHILD_CHECK(n == -ESPIPE, "lseek of CRC data: %zd", n);
		n = udrm_client_vfile_read(c, data, line, sizeof(line), 0);
		CHILD_CHECK(n == -ESPIPE, "pread of CRC data: %zd", n);

		/* With the CRTC off no frame is composed: once what is
		 * there is drained a read waits, and a signal ends it. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_SETCRTC, &off);
		CHILD_CHECK(ret == 0, "SETCRTC off: %d", ret);
		CHILD_CHECK(udrm_client_vfile_set_nonblock(c, data, true) == 0,
			    "O_NONBLOCK on");
		do
			n = udrm_client_vfile_read(c, data, line, sizeof(line),
						   -1);
		while (n == 23);
		CHILD_CHECK(n == -EAGAIN,
			    "a non-blocking read of drained CRC data: "
			    "expected EAGAIN, got %zd",
			    n);
		CHILD_CHECK(udrm_client_vfile_set_nonblock(c, data, false) == 0,
			    "O_NONBLOCK off");
		child_alarm(100, false);
		t0 = now_ns();
		n = udrm_client_vfile_read(c, data, line, sizeof(line), -1);
		t = now_ns() - t0;
		CHILD_CHECK(n == -EINTR && t >= 90000000,
			    "a blocking read interrupted by a handler without "
			    "SA_RESTART: expected EINTR after the alarm, got "
			    "%zd after %lld ns",
			    n, (long long)t);
		close(pfd.fd);
		close(data);
		for (int i = 0; i < 200; i++) {
			/* Closed once the server sees the handle go. */
			n = udrm_client_vfile_open(c, (uint32_t)ids.data,
						   O_RDONLY);
			if (n != -EBUSY)
				break;
			usleep(10000);
		}
		CHILD_CHECK(n == -EIO,
			    "CRC data reopened after the close, on an "
			    "inactive CRTC: expected EIO, got %zd",
			    n);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the CRC reader's checks");
}

/* The first CRTC and connector of vkms. */
static void child_first_objects(struct udrm_client *c, int fd, uint32_t *crtc,
				uint32_t *conn)
{
	uint32_t crtcs[8], conns[8];
	struct drm_mode_card_res res = {.crtc_id_ptr = (uintptr_t)crtcs,
					.connector_id_ptr = (uintptr_t)conns,
					.count_crtcs = 8,
					.count_connectors = 8};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_GETRESOURCES, &res);

	CHILD_CHECK(ret == 0 && res.count_crtcs && res.count_connectors,
		    "GETRESOURCES: %d", ret);
	*crtc = crtcs[0];
	*conn = conns[0];
}

/* GET_LEASE on @fd: how many objects, and whether @a and @b are among. */
static uint32_t child_lease_objects(struct udrm_client *c, int fd, uint32_t a,
				    uint32_t b, bool *both)
{
	uint32_t ids[16];
	struct drm_mode_get_lease get = {.count_objects = 16,
					 .objects_ptr = (uintptr_t)ids};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_GET_LEASE, &get);
	bool has_a = false, has_b = false;

	CHILD_CHECK(ret == 0 && get.count_objects <= 16, "GET_LEASE: %d", ret);
	for (uint32_t i = 0; i < get.count_objects; i++) {
		has_a |= ids[i] == a;
		has_b |= ids[i] == b;
	}
	*both = has_a && has_b;
	return get.count_objects;
}

static uint32_t child_lessee_count(struct udrm_client *c, int fd)
{
	uint32_t ids[8];
	struct drm_mode_list_lessees list = {.count_lessees = 8,
					     .lessees_ptr = (uintptr_t)ids};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_LIST_LESSEES, &list);

	CHILD_CHECK(ret == 0, "LIST_LESSEES: %d", ret);
	return list.count_lessees;
}

/* CREATE_LEASE of @objs (a CRTC and a connector) with @flags: the lessee
 * fd, its lessee id in *id; or -errno. */
static int child_lease(struct udrm_client *c, int fd, const uint32_t *objs,
		       uint32_t flags, uint32_t *id)
{
	struct drm_mode_create_lease cl = {.object_ids = (uintptr_t)objs,
					   .object_count = 2,
					   .flags = flags};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_CREATE_LEASE, &cl);

	if (ret)
		return ret;
	CHILD_CHECK(cl.lessee_id && (int)cl.fd >= 0 &&
			    fcntl((int)cl.fd, F_GETFD) >= 0,
		    "CREATE_LEASE gives a lessee id and an fd of this "
		    "process: id %u fd %d",
		    cl.lessee_id, (int)cl.fd);
	*id = cl.lessee_id;
	return (int)cl.fd;
}

static void lease_fd_lands_in_the_lessor_process(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		struct drm_mode_revoke_lease revoke = {0};
		struct drm_mode_get_lease small = {0};
		int minor = -1, lessee, ret;
		uint32_t objs[2], id, n;
		pid_t other;
		bool both;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);
		CHILD_CHECK(ret == 0, "SET_MASTER: %d", ret);
		child_first_objects(c, fd, &objs[0], &objs[1]);
		lessee = child_lease(c, fd, objs, O_CLOEXEC | O_NONBLOCK, &id);
		CHILD_CHECK(lessee >= 0, "CREATE_LEASE: %d", lessee);
		CHILD_CHECK(fcntl(lessee, F_GETFD) == FD_CLOEXEC &&
				    (fcntl(lessee, F_GETFL) & O_NONBLOCK),
			    "the lessee fd is close-on-exec and non-blocking "
			    "as asked");
		ret = udrm_client_adopt(c, lessee, &minor);
		CHILD_CHECK(ret == 1 && minor == VKMS_MINOR,
			    "ADOPT of the lessee fd: expected 1 (a lessee) and "
			    "minor %d, got %d and %d",
			    VKMS_MINOR, ret, minor);
		n = child_lease_objects(c, lessee, objs[0], objs[1], &both);
		CHILD_CHECK(n >= 2 && both,
			    "GET_LEASE on the lessee lists the CRTC and the "
			    "connector (%u objects)",
			    n);
		CHILD_CHECK(child_lessee_count(c, fd) == 1,
			    "the lessor lists one lessee");
		ret = child_lease(c, fd, objs, 0, &id);
		CHILD_CHECK(ret == -EBUSY,
			    "leasing leased objects again: expected EBUSY, "
			    "got %d",
			    ret);
		ret = udrm_client_ioctl(
			c, fd,
			DRM_IOWR(_IOC_NR(DRM_IOCTL_MODE_CREATE_LEASE),
				 struct drm_mode_get_lease),
			&small);
		CHILD_CHECK(ret == -EINVAL,
			    "CREATE_LEASE with another argument size, whose "
			    "lessee fd the server could not give back: "
			    "expected EINVAL, got %d",
			    ret);

		/* Another process, its own connection, the inherited fd. */
		other = fork();
		if (other == 0) {
			struct udrm_client *oc = child_connect(fx);

			n = child_lease_objects(oc, lessee, objs[0], objs[1],
						&both);
			CHILD_CHECK(n >= 2 && both,
				    "GET_LEASE on the lessee in a forked "
				    "process (%u objects)",
				    n);
			_exit(0);
		}
		CHILD_CHECK(wait_child(other) == 0,
			    "the forked process failed");

		/* Revoked: the lessee holds nothing, its fd stays open. */
		revoke.lessee_id = id;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_REVOKE_LEASE,
					&revoke);
		CHILD_CHECK(ret == 0, "REVOKE_LEASE: %d", ret);
		n = child_lease_objects(c, lessee, objs[0], objs[1], &both);
		CHILD_CHECK(n == 0, "GET_LEASE on a revoked lessee: %u objects",
			    n);
		CHILD_CHECK(child_lessee_count(c, fd) == 0,
			    "no lessee listed after the revoke");

		/* A new lease of the same objects; closing its fd ends it. */
		lessee = child_lease(c, fd, objs, 0, &id);
		CHILD_CHECK(lessee >= 0, "CREATE_LEASE of revoked objects: %d",
			    lessee);
		CHILD_CHECK(fcntl(lessee, F_GETFD) == 0,
			    "without O_CLOEXEC the lessee fd is inherited "
			    "by exec");
		close(lessee);
		for (int i = 0; i < 200 && child_lessee_count(c, fd); i++)
			usleep(10000);
		CHILD_CHECK(child_lessee_count(c, fd) == 0,
			    "the lease ends with its last fd");
		lessee = child_lease(c, fd, objs, 0, &id);
		CHILD_CHECK(lessee >= 0,
			    "CREATE_LEASE once the lessee closed: %d", lessee);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the lessor's checks");
	expect_file_count(fx, 0);
}

static void connections_per_process_are_capped(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		static struct udrm_client *conns[UDRM_SERVER_MAX_CONNS_PER_PID];
		struct udrm_client *extra = NULL;
		int ret = 0;

		for (int i = 0; i < UDRM_SERVER_MAX_CONNS_PER_PID; i++) {
			ret = udrm_client_connect(fx->path, &conns[i]);
			CHILD_CHECK(ret == 0, "connection %d of %d: %d", i + 1,
				    UDRM_SERVER_MAX_CONNS_PER_PID, ret);
		}
		ret = udrm_client_connect(fx->path, &extra);
		CHILD_CHECK(ret == -EPIPE,
			    "a connection past the cap: expected EPIPE, got "
			    "%d",
			    ret);
		child_open(conns[0], VKMS_MINOR); /* the others still work */
		udrm_client_disconnect(conns[1]);
		for (int i = 0; i < 200; i++) {
			ret = udrm_client_connect(fx->path, &extra);
			if (ret != -EPIPE)
				break;
			usleep(10000);
		}
		CHILD_CHECK(ret == 0,
			    "a connection once one is gone: expected 0, got "
			    "%d",
			    ret);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the connecting process's checks");
}

#define FLOOD_THREADS 8

struct flood {
	const struct server_fixture *fx;
	atomic_bool stop;
	atomic_int calls;
};

/* GET_CAP on a connection and a file of its own, as fast as it goes. */
static void *flood_thread(void *arg)
{
	struct flood *fl = arg;
	struct udrm_client *c = child_connect(fl->fx);
	int fd = child_open(c, VKMS_MINOR);

	while (!atomic_load(&fl->stop)) {
		struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};
		int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP, &cap);

		CHILD_CHECK(ret == 0, "GET_CAP in the flood: %d", ret);
		atomic_fetch_add(&fl->calls, 1);
	}
	udrm_client_disconnect(c);
	return NULL;
}

static void flooding_client_does_not_stall_another(void **state)
{
	struct server_fixture *fx = *state;
	int ready[2], done[2];
	pid_t flooder, other;
	char byte;

	ut_check(pipe(ready) == 0 && pipe(done) == 0, "pipes");
	flooder = spawn();
	if (flooder == 0) {
		static struct flood fl;
		pthread_t threads[FLOOD_THREADS];
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		int deaf = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
		struct udrm_msg hello = {.type = UDRM_MSG_HELLO,
					 .size = sizeof(hello),
					 .a = UDRM_PROTO_VERSION};

		fl.fx = fx;
		for (int i = 0; i < FLOOD_THREADS; i++)
			CHILD_CHECK(pthread_create(&threads[i], NULL,
						   flood_thread, &fl) == 0,
				    "pthread_create");
		/* And a connection that sends requests but never reads the
		 * replies: its server thread ends up blocked sending. */
		strcpy(addr.sun_path, fx->path);
		CHILD_CHECK(connect(deaf, (struct sockaddr *)&addr,
				    sizeof(addr)) == 0,
			    "connect");
		for (int i = 0; i < 100000; i++) {
			hello.seq = (uint64_t)i + 1;
			if (send(deaf, &hello, sizeof(hello), 0) < 0)
				break;
		}
		while (atomic_load(&fl.calls) < 100 * FLOOD_THREADS)
			usleep(1000);
		CHILD_CHECK(write(ready[1], "f", 1) == 1, "write");
		CHILD_CHECK(read(done[0], &byte, 1) == 1, "read");
		atomic_store(&fl.stop, true);
		for (int i = 0; i < FLOOD_THREADS; i++)
			pthread_join(threads[i], NULL);
		_exit(0);
	}
	ut_check(read(ready[0], &byte, 1) == 1, "the flood is on");
	other = spawn();
	if (other == 0) {
		int64_t t0 = now_ns(), worst = 0;
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		int64_t t = now_ns() - t0;

		CHILD_CHECK(t < 1000000000,
			    "connect and open during the flood took %lld ns",
			    (long long)t);
		for (int i = 0; i < 20; i++) {
			struct drm_get_cap cap = {.capability =
							  DRM_CAP_DUMB_BUFFER};
			int ret;

			t0 = now_ns();
			ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP, &cap);
			t = now_ns() - t0;
			CHILD_CHECK(ret == 0, "GET_CAP: %d", ret);
			worst = t > worst ? t : worst;
		}
		CHILD_CHECK(worst < 1000000000,
			    "the slowest GET_CAP during the flood took %lld ns",
			    (long long)worst);
		_exit(0);
	}
	ut_expect(wait_child(other), 0, "the other client's checks");
	ut_check(write(done[1], "d", 1) == 1, "write");
	ut_expect(wait_child(flooder), 0, "the flooding process's checks");
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
}

/* One raw request on @sock: the reply's ret (its fd closed, if any). */
static int64_t raw_call(int sock, uint32_t type, uint64_t ino, uint64_t a,
			uint64_t b, int fd)
{
	static uint64_t seq;
	struct udrm_msg req = {
		.type = type, .seq = ++seq, .ino = ino, .a = a, .b = b};
	struct udrm_msg reply;
	int rfd, ret;

	ret = udrm_msg_send(sock, &req, fd);
	CHILD_CHECK(ret == 0, "send of message type %u: %d", type, ret);
	ret = udrm_msg_recv(sock, &reply, &rfd);
	CHILD_CHECK(ret == 0 && reply.type == UDRM_MSG_REPLY &&
			    reply.seq == req.seq,
		    "the reply to message type %u: %d", type, ret);
	if (rfd >= 0)
		close(rfd);
	return reply.ret;
}

static void bad_fields_of_new_messages_are_refused(void **state)
{
	struct server_fixture *fx = *state;
	struct vfile_ids ids = find_vfiles(fx);
	pid_t pid = spawn();

	if (pid == 0) {
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		struct udrm_client *c = child_connect(fx);
		int sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		int fd = child_open(c, VKMS_MINOR);
		int hfd = child_vfile_open(c, ids.status, O_RDONLY);
		struct stat st, hst;
		int64_t ret;

		strcpy(addr.sun_path, fx->path);
		CHILD_CHECK(connect(sock, (struct sockaddr *)&addr,
				    sizeof(addr)) == 0,
			    "connect");
		CHILD_CHECK(raw_call(sock, UDRM_MSG_HELLO, 0,
				     UDRM_PROTO_VERSION, 0, -1) == 0,
			    "HELLO");
		CHILD_CHECK(fstat(fd, &st) == 0 && fstat(hfd, &hst) == 0,
			    "fstat");
#define EXPECT_RAW(want, ...)                                                  \
	do {                                                                   \
		ret = raw_call(sock, __VA_ARGS__);                             \
		CHILD_CHECK(ret == (want), "%s: expected %lld, got %lld",      \
			    #__VA_ARGS__, (long long)(want), (long long)ret);  \
	} while (0)
		/* Files this connection has not shown. */
		EXPECT_RAW(-EBADF, UDRM_MSG_EVENTS_CONSUMED, st.st_ino, 32, 0,
			   -1);
		EXPECT_RAW(-EBADF, UDRM_MSG_VFILE_READ, hst.st_ino, 0, 0, -1);
		/* Shown with the wrong fd. */
		EXPECT_RAW(-EBADF, UDRM_MSG_EVENTS_CONSUMED, st.st_ino, 32, 0,
			   hfd);
		/* Missing fds. */
		EXPECT_RAW(-EBADF, UDRM_MSG_ADOPT, 0, 0, 0, -1);
		EXPECT_RAW(-EBADF, UDRM_MSG_FD_IOCTL, 0, DMA_BUF_IOCTL_SYNC, 0,
			   -1);
		/* Out of range. */
		EXPECT_RAW(-EINVAL, UDRM_MSG_EVENTS_CONSUMED, st.st_ino, 0, 0,
			   fd);
		EXPECT_RAW(-EINVAL, UDRM_MSG_EVENTS_CONSUMED, st.st_ino, 4097,
			   0, fd);
		EXPECT_RAW(-ENOENT, UDRM_MSG_VFILE_OPEN, 0, ids.count, O_RDONLY,
			   -1);
		EXPECT_RAW(-ENOENT, UDRM_MSG_VFILE_OPEN, 0, UINT64_MAX,
			   O_RDONLY, -1);
		EXPECT_RAW(-EINVAL, UDRM_MSG_VFILE_OPEN, 0, ids.status,
			   1ull << 32, -1);
		EXPECT_RAW(-EINVAL, UDRM_MSG_VFILE_SET_NONBLOCK, hst.st_ino, 2,
			   0, hfd);
		EXPECT_RAW(-EINVAL, UDRM_MSG_VFILE_LSEEK, hst.st_ino, 0,
			   1ull << 32, -1);
		/* A device file is no vfile handle, and the other way. */
		EXPECT_RAW(-EBADF, UDRM_MSG_VFILE_READ, st.st_ino, 0, 0, fd);
		EXPECT_RAW(-EBADF, UDRM_MSG_IOCTL, hst.st_ino,
			   DRM_IOCTL_VERSION, 0, -1);
		EXPECT_RAW(-EBADF, UDRM_MSG_ADOPT, 0, 0, 0, hfd);
		EXPECT_RAW(-EINVAL, 99, 0, 0, 0, -1);
#undef EXPECT_RAW
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the raw client's checks");
}

/* Whether a file opened now on vkms is master at once (no other master):
 * SET_MASTER succeeds for it, and fails with EACCES for an open that
 * never was master. */
static bool child_open_is_master(struct udrm_client *c)
{
	int fd = child_open(c, VKMS_MINOR);
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);

	CHILD_CHECK(ret == 0 || ret == -EACCES, "SET_MASTER: %d", ret);
	close(fd);
	return ret == 0;
}

static void request_sees_files_closed_before_it(void **state)
{
	struct server_fixture *fx = *state;
	int to_parent[2], to_holder[2], to_other[2];
	pid_t holder, other;
	char byte;

	ut_check(pipe(to_parent) == 0 && pipe(to_holder) == 0 &&
			 pipe(to_other) == 0,
		 "pipes");
	holder = spawn();
	if (holder == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);

		CHILD_CHECK(udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER,
					      NULL) == 0,
			    "the first opener is master");
		close(fd);
		CHILD_CHECK(write(to_parent[1], "c", 1) == 1, "write");
		CHILD_CHECK(read(to_holder[0], &byte, 1) == 1, "read");
		fd = child_open(c, VKMS_MINOR);
		CHILD_CHECK(udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER,
					      NULL) == 0,
			    "the opener is master again");
		CHILD_CHECK(write(to_parent[1], "m", 1) == 1, "write");
		pause(); /* killed holding master */
		_exit(0);
	}
	other = spawn();
	if (other == 0) {
		struct udrm_client *c = child_connect(fx);

		CHILD_CHECK(read(to_other[0], &byte, 1) == 1, "read");
		CHILD_CHECK(child_open_is_master(c),
			    "an open once the master's close() returned is "
			    "master at once");
		CHILD_CHECK(write(to_parent[1], "o", 1) == 1, "write");
		CHILD_CHECK(read(to_other[0], &byte, 1) == 1, "read");
		CHILD_CHECK(child_open_is_master(c),
			    "an open once the master's killed process was "
			    "reaped is master at once");
		_exit(0);
	}
	ut_check(read(to_parent[0], &byte, 1) == 1, "the holder closed");
	ut_check(write(to_other[1], "1", 1) == 1, "write");
	ut_check(read(to_parent[0], &byte, 1) == 1, "the other opened");
	ut_check(write(to_holder[1], "2", 1) == 1, "write");
	ut_check(read(to_parent[0], &byte, 1) == 1, "the holder is master");
	kill(holder, SIGKILL);
	ut_check(wait_child(holder) == 128 + SIGKILL, "holder killed");
	ut_check(write(to_other[1], "3", 1) == 1, "write");
	ut_expect(wait_child(other), 0, "the other process's checks");
	for (int i = 0; i < 2; i++) {
		close(to_parent[i]);
		close(to_holder[i]);
		close(to_other[i]);
	}
}

static void killed_client_ends_its_blocking_request(void **state)
{
	struct server_fixture *fx = *state;
	int ready[2];
	pid_t pid;
	char byte;

	ut_check(pipe(ready) == 0, "pipe");
	pid = spawn();
	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VGEM_RENDER_MINOR);
		struct drm_syncobj_create create = {0};
		struct drm_syncobj_wait wait = {
			.count_handles = 1,
			.timeout_nsec = INT64_MAX,
			.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT};
		int ret;

		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_CREATE,
					&create);
		CHILD_CHECK(ret == 0, "SYNCOBJ_CREATE: %d", ret);
		wait.handles = (uintptr_t)&create.handle;
		/* The file shown, the wait goes through the request slot. */
		CHILD_CHECK(child_slot_count() == 1, "the connection's slot");
		CHILD_CHECK(write(ready[1], "w", 1) == 1, "write");
		udrm_client_ioctl(c, fd, DRM_IOCTL_SYNCOBJ_WAIT, &wait);
		_exit(1); /* the wait never ends */
	}
	ut_check(read(ready[0], &byte, 1) == 1, "the child waits");
	usleep(100000);
	expect_file_count(fx, 1);
	kill(pid, SIGKILL);
	ut_check(wait_child(pid) == 128 + SIGKILL, "the waiter killed");
	/* As SIGKILL ends a kernel wait: the request ends, and the file
	 * it used is released (long before WAIT_FOR_SUBMIT's 5 s). */
	expect_file_count_within(fx, 0, 1000);
	close(ready[0]);
	close(ready[1]);
}

/* ------------------------------------------------------------------ */
/* The request slot (proto.h): ioctls on a file the connection has shown
 * go through a page shared with the server. */

/* Mappings of a request slot in this process. */
static int child_slot_count(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHILD_CHECK(maps, "/proc/self/maps");
	while (fgets(line, sizeof(line), maps))
		n += strstr(line, "memfd:udrm-slot") != NULL;
	fclose(maps);
	return n;
}

static void child_getcap(struct udrm_client *c, int fd, const char *when)
{
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};
	int ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP, &cap);

	CHILD_CHECK(ret == 0 && cap.value == 1,
		    "GET_CAP(DUMB_BUFFER) %s: ret %d value %llu", when, ret,
		    (unsigned long long)cap.value);
}

static void slot_serves_ioctls_of_a_shown_file(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		struct drm_mode_create_dumb create = {
			.width = 64, .height = 64, .bpp = 32};
		struct drm_mode_map_dumb map = {0};
		struct drm_prime_handle exp = {.flags = DRM_CLOEXEC};
		char name[16] = {0};
		struct drm_version v = {.name = name,
					.name_len = sizeof(name) - 1};
		struct stat st;
		int ret;

		CHILD_CHECK(child_slot_count() == 1,
			    "a connection maps one slot: %d",
			    child_slot_count());
		child_getcap(c, fd, "first (on the socket)");
		child_getcap(c, fd, "through the slot");
		/* An out struct. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_CREATE_DUMB,
					&create);
		CHILD_CHECK(ret == 0 && create.handle && create.pitch == 256 &&
				    create.size >= 64 * 256,
			    "CREATE_DUMB: ret %d handle %u pitch %u size %llu",
			    ret, create.handle, create.pitch,
			    (unsigned long long)create.size);
		map.handle = create.handle;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_MAP_DUMB, &map);
		CHILD_CHECK(ret == 0 && map.offset, "MAP_DUMB: ret %d", ret);
		/* A nested buffer (process_vm_writev) beside the window. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VERSION, &v);
		CHILD_CHECK(ret == 0 && !strcmp(name, "vkms") &&
				    v.name_len == 4,
			    "VERSION: ret %d name '%s' (%zu)", ret, name,
			    v.name_len);
		/* No argument; an error; a callback (FD_INSTALL) moves the
		 * request to the socket. */
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_SET_MASTER, NULL);
		CHILD_CHECK(ret == 0, "SET_MASTER: %d", ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GEM_CLOSE,
					&(struct drm_gem_close){.handle = 0});
		CHILD_CHECK(ret == -EINVAL, "GEM_CLOSE of handle 0: %d", ret);
		exp.handle = create.handle;
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_PRIME_HANDLE_TO_FD,
					&exp);
		CHILD_CHECK(ret == 0 && fstat(exp.fd, &st) == 0 &&
				    S_ISREG(st.st_mode),
			    "PRIME_HANDLE_TO_FD: ret %d fd %d", ret, exp.fd);
		child_getcap(c, fd, "after a diverted request");
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the slot client's checks");
}

static void slot_bad_pointers_give_efault(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		long page = sysconf(_SC_PAGESIZE);
		void *none = mmap(NULL, (size_t)page, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *ro = mmap(NULL, (size_t)page, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *pages =
			mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct drm_mode_create_dumb *edge;
		int ret;

		CHILD_CHECK(none != MAP_FAILED && ro != MAP_FAILED &&
				    pages != MAP_FAILED &&
				    !mprotect(pages + page, (size_t)page,
					      PROT_NONE),
			    "mmap");
		child_getcap(c, fd, "to show the file");
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP, none);
		CHILD_CHECK(ret == -EFAULT, "GET_CAP into PROT_NONE: %d", ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP, NULL);
		CHILD_CHECK(ret == -EFAULT, "GET_CAP into NULL: %d", ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_VERSION, ro);
		CHILD_CHECK(ret == -EFAULT, "VERSION into read-only: %d", ret);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_GET_CAP,
					(void *)(1ull << 47));
		CHILD_CHECK(ret == -EFAULT, "GET_CAP at 1 << 47: %d", ret);
		edge = (void *)(pages + page - sizeof(*edge) + 8);
		ret = udrm_client_ioctl(c, fd, DRM_IOCTL_MODE_CREATE_DUMB,
					edge);
		CHILD_CHECK(ret == -EFAULT, "CREATE_DUMB half-mapped: %d", ret);
		child_getcap(c, fd, "after the bad pointers");
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the EFAULT process's checks");
}

/* A raw connection with a slot: HELLO and SLOT_SETUP on @sock, the
 * slot mapped. */
static struct udrm_slot *raw_slot(const struct server_fixture *fx, int *sock)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct udrm_msg req = {.type = UDRM_MSG_SLOT_SETUP, .seq = 1000};
	struct udrm_msg reply;
	struct udrm_slot *slot;
	int fd, ret;

	*sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	strcpy(addr.sun_path, fx->path);
	CHILD_CHECK(connect(*sock, (struct sockaddr *)&addr, sizeof(addr)) == 0,
		    "connect");
	CHILD_CHECK(raw_call(*sock, UDRM_MSG_HELLO, 0, UDRM_PROTO_VERSION, 0,
			     -1) == 0,
		    "HELLO");
	ret = udrm_msg_send(*sock, &req, -1);
	CHILD_CHECK(ret == 0, "send SLOT_SETUP");
	ret = udrm_msg_recv(*sock, &reply, &fd);
	CHILD_CHECK(ret == 0 && reply.ret == 0 && fd >= 0,
		    "SLOT_SETUP: %d %lld", ret, (long long)reply.ret);
	CHILD_CHECK((fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW)) ==
				    (F_SEAL_SHRINK | F_SEAL_GROW) &&
			    ftruncate(fd, 4096) < 0 && errno == EPERM,
		    "the slot's memfd is sealed against shrinking");
	slot = mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	CHILD_CHECK(slot != MAP_FAILED, "mmap of the slot");
	close(fd);
	return slot;
}

/* Posts @cmd on @arg with @size inline bytes (from @arg if @copy) in
 * @slot (the server woken if it sleeps) as proto.h says. */
static void raw_slot_post(int sock, struct udrm_slot *slot, uint64_t seq,
			  uint64_t ino, unsigned long cmd, void *arg,
			  uint32_t size, bool copy)
{
	if (copy)
		memcpy(slot->buf, arg, size);
	slot->via = 1;
	slot->arg_size = (uint16_t)(size > UINT16_MAX ? UINT16_MAX : size);
	slot->seq = seq;
	slot->ino = ino;
	slot->cmd = cmd;
	slot->arg = (uintptr_t)arg;
	atomic_store(&slot->client, UDRM_SLOT_WAITING);
	if (atomic_exchange(&slot->server, UDRM_SLOT_POSTED) ==
	    UDRM_SLOT_SLEEPING) {
		struct udrm_msg wake = {.type = UDRM_MSG_SLOT_WAKE, .seq = seq};

		CHILD_CHECK(udrm_msg_send(sock, &wake, -1) == 0, "SLOT_WAKE");
	}
}

/* Whether the server hung up @sock within a second. */
static bool raw_hung_up(int sock)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	char buf[64];

	return poll(&pfd, 1, 1000) == 1 && recv(sock, buf, sizeof(buf), 0) == 0;
}

static void hostile_slot_costs_only_its_connection(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};
		struct udrm_msg reply;
		struct udrm_slot *slot;
		struct stat st;
		int sock, fd, i;
		int64_t ret;

		/* A well-formed request through a raw slot. */
		slot = raw_slot(fx, &sock);
		ret = raw_call(sock, UDRM_MSG_SLOT_SETUP, 0, 0, 0, -1);
		CHILD_CHECK(ret == -EBUSY, "a second SLOT_SETUP: %lld",
			    (long long)ret);
		fd = child_open(child_connect(fx), VKMS_MINOR);
		CHILD_CHECK(fstat(fd, &st) == 0, "fstat");
		raw_slot_post(sock, slot, 1, st.st_ino, DRM_IOCTL_GET_CAP, &cap,
			      sizeof(cap), true);
		for (i = 0; i < 5000000 &&
			    atomic_load(&slot->client) != UDRM_SLOT_REPLIED;
		     i++)
			sched_yield();
		CHILD_CHECK(slot->ret == -EBADF,
			    "a file the connection has not shown: %lld",
			    (long long)slot->ret);
		CHILD_CHECK(raw_call(sock, UDRM_MSG_IOCTL, st.st_ino,
				     DRM_IOCTL_GET_CAP, (uintptr_t)&cap,
				     fd) == 0,
			    "GET_CAP on the socket, the file shown");
		/* A server state word it never wrote, a WAKE for nothing. */
		atomic_store(&slot->server, 77);
		reply = (struct udrm_msg){.type = UDRM_MSG_SLOT_WAKE};
		CHILD_CHECK(udrm_msg_send(sock, &reply, -1) == 0, "send");
		cap.value = 0;
		raw_slot_post(sock, slot, 2, st.st_ino, DRM_IOCTL_GET_CAP, &cap,
			      sizeof(cap), true);
		for (i = 0; i < 5000000 &&
			    atomic_load(&slot->client) != UDRM_SLOT_REPLIED;
		     i++)
			sched_yield();
		memcpy(&cap, slot->buf, sizeof(cap));
		CHILD_CHECK(slot->ret == 0 && slot->out_lo == 0 &&
				    slot->out_hi == sizeof(cap) &&
				    cap.value == 1,
			    "GET_CAP through the raw slot: ret %lld "
			    "written [%u, %u) value %llu",
			    (long long)slot->ret, slot->out_lo, slot->out_hi,
			    (unsigned long long)cap.value);
		/* A window larger than the slot: the connection goes. */
		raw_slot_post(sock, slot, 3, st.st_ino, DRM_IOCTL_GET_CAP, &cap,
			      UDRM_SLOT_ARG_MAX + 1, false);
		CHILD_CHECK(raw_hung_up(sock), "dropped after a bad size");
		close(sock);
		munmap(slot, sizeof(*slot));

		/* A window that does not match the command. */
		slot = raw_slot(fx, &sock);
		CHILD_CHECK(raw_call(sock, UDRM_MSG_IOCTL, st.st_ino,
				     DRM_IOCTL_GET_CAP, (uintptr_t)&cap,
				     fd) == 0,
			    "GET_CAP on the socket");
		raw_slot_post(sock, slot, 2, st.st_ino, DRM_IOCTL_GET_CAP, &cap,
			      4, true);
		CHILD_CHECK(raw_hung_up(sock), "dropped after a wrong size");
		close(sock);
		munmap(slot, sizeof(*slot));

		/* A window wrapping around the address space. */
		slot = raw_slot(fx, &sock);
		CHILD_CHECK(raw_call(sock, UDRM_MSG_IOCTL, st.st_ino,
				     DRM_IOCTL_GET_CAP, (uintptr_t)&cap,
				     fd) == 0,
			    "GET_CAP on the socket");
		raw_slot_post(sock, slot, 2, st.st_ino, DRM_IOCTL_GET_CAP,
			      (void *)(uintptr_t)(UINT64_MAX - 4), sizeof(cap),
			      false);
		CHILD_CHECK(raw_hung_up(sock), "dropped after a wrapping arg");
		close(sock);
		munmap(slot, sizeof(*slot));

		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the hostile client's checks");
	pid = spawn();
	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);

		child_getcap(c, fd, "of a client after the hostile one");
		child_getcap(c, fd, "again");
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "a well-behaved client afterwards");
}

static void forked_child_uses_its_own_slot(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = spawn();

	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);
		int fd = child_open(c, VKMS_MINOR);
		pid_t grandchild;
		int status;

		child_getcap(c, fd, "in the parent");
		child_getcap(c, fd, "in the parent, through the slot");
		grandchild = fork();
		if (grandchild == 0) {
			struct udrm_client *own;

			CHILD_CHECK(child_slot_count() == 0,
				    "the child has no copy of the parent's "
				    "slot: %d",
				    child_slot_count());
			/* What the interposer does at fork: its copy goes
			 * and leaves the parent's alone. */
			udrm_client_disconnect(c);
			own = child_connect(fx);
			CHILD_CHECK(child_slot_count() == 1,
				    "the child's own connection has a slot");
			child_getcap(own, fd, "in the child");
			child_getcap(own, fd, "in the child, through its slot");
			_exit(0);
		}
		CHILD_CHECK(waitpid(grandchild, &status, 0) == grandchild &&
				    WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0,
			    "the forked child's checks");
		child_getcap(c, fd, "in the parent after the child");
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "the forking process's checks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(forked_child_shares_the_open_file),
		T(killed_master_frees_master),
		T(magic_is_authenticated_across_processes),
		T(prime_fd_lands_in_the_calling_process),
		T(mmap_shares_pages_between_processes),
		T(syncobj_fd_crosses_processes),
		T(vblank_event_reaches_the_requesting_process),
		T(signal_interrupts_a_blocking_wait),
		T(signal_interrupts_wait_vblank),
		T(bad_pointer_gives_efault),
		T(version_is_copied_to_the_caller),
		T(malformed_message_costs_only_its_connection),
		T(adopt_names_the_node_of_a_received_fd),
		T(read_refills_the_event_budget),
		T(read_keeps_events_it_cannot_deliver),
		T(dmabuf_and_sync_file_ioctls_from_another_process),
		T(vfile_connector_status_from_clients),
		T(vfile_crc_from_a_client),
		T(lease_fd_lands_in_the_lessor_process),
		T(connections_per_process_are_capped),
		T(flooding_client_does_not_stall_another),
		T(bad_fields_of_new_messages_are_refused),
		T(request_sees_files_closed_before_it),
		T(killed_client_ends_its_blocking_request),
		T(slot_serves_ioctls_of_a_shown_file),
		T(slot_bad_pointers_give_efault),
		T(hostile_slot_costs_only_its_connection),
		T(forked_child_uses_its_own_slot),
#undef T
	};

	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
