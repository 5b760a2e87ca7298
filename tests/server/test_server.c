// SPDX-License-Identifier: MIT
/*
 * The device server with real client processes: forked children talk to
 * the server running in the test process through src/server/client.h,
 * with their own memory and fds, and the kernel's multi-process semantics
 * are checked: a forked child shares its parent's open file, master and
 * authentication work across processes, a killed process's files are
 * closed (its master freed), PRIME fds land in the calling process, bad
 * pointers give EFAULT and a malformed message only costs its sender the
 * connection.
 *
 * A child reports failure through its exit status and a message on
 * stderr; the parent checks the statuses.
 */
#include "../core/udrm_test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "server/client.h"
#include "server/server.h"

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

static int teardown(void **state)
{
	struct server_fixture *fx = *state;
	void *d = fx->devs;

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

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits up to 5 s for the server to hold @n files. */
static void expect_file_count(struct server_fixture *fx, size_t n)
{
	for (int i = 0; i < 500 && udrm_server_file_count(fx->srv) != n; i++)
		usleep(10000);
	ut_expect(udrm_server_file_count(fx->srv), n, "files the server holds");
}

static void forked_child_shares_the_open_file(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = fork();

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
	holder = fork();
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

	other = fork();
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
	master = fork();
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
	client = fork();
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
	pid_t pid = fork();

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
	pid_t pid = fork();

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

static void bad_pointer_gives_efault(void **state)
{
	struct server_fixture *fx = *state;
	pid_t pid = fork();

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
	pid_t pid = fork();

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

	pid = fork();
	if (pid == 0) {
		struct udrm_client *c = child_connect(fx);

		child_open(c, VKMS_MINOR);
		_exit(0);
	}
	ut_expect(wait_child(pid), 0, "a well-behaved client afterwards");
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
		T(bad_pointer_gives_efault),
		T(version_is_copied_to_the_caller),
		T(malformed_message_costs_only_its_connection),
#undef T
	};

	return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
