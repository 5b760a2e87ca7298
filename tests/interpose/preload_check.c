// SPDX-License-Identifier: MIT
/*
 * Runs under libudrm-preload.so with the default configuration (vkms card0,
 * vgem card1 + renderD128, simgpu card2 + renderD129) and checks what a program
 * sees: nodes that stat as character devices, /proc/self/fd links, reopening,
 * realpath, directory listings, dup/close sharing, libdrm's device discovery,
 * debugfs as a mount point, errno on device fds, fork.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <xf86drm.h>

static int open_node(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		fail_msg("open(%s): %s (expected a device fd; is the preload "
			 "library in LD_PRELOAD?)",
			 path, strerror(errno));
	return fd;
}

static void expect_errno(long ret, int err, const char *what)
{
	if (ret != -1 || errno != err)
		fail_msg("%s returned %ld errno %d (%s), expected -1 with "
			 "errno %d (%s)",
			 what, ret, errno, strerror(errno), err, strerror(err));
}

static void expect_node_stat(const struct stat *st, unsigned int minor)
{
	if (!S_ISCHR(st->st_mode) || (st->st_mode & 07777) != 0666)
		fail_msg("mode %o, expected a character device with 0666",
			 st->st_mode);
	if (major(st->st_rdev) != 226 || minor(st->st_rdev) != minor)
		fail_msg("st_rdev %u:%u, expected 226:%u", major(st->st_rdev),
			 minor(st->st_rdev), minor);
	assert_true(st->st_dev != 0);
}

static void test_nodes_stat_as_char_devices(void **state)
{
	struct stat card0, card1, render, lst;

	(void)state;
	assert_int_equal(stat("/dev/dri/card0", &card0), 0);
	expect_node_stat(&card0, 0);
	assert_int_equal(stat("/dev/dri/card1", &card1), 0);
	expect_node_stat(&card1, 1);
	assert_int_equal(stat("/dev/dri/renderD128", &render), 0);
	expect_node_stat(&render, 128);
	assert_int_equal(lstat("/dev/dri/card0", &lst), 0);
	expect_node_stat(&lst, 0);
	/* One filesystem, one inode per node. */
	assert_true(card0.st_dev == card1.st_dev &&
		    card0.st_dev == render.st_dev);
	assert_true(card0.st_ino != card1.st_ino &&
		    card1.st_ino != render.st_ino);
	assert_int_equal(lst.st_ino, card0.st_ino);
	expect_errno(stat("/dev/dri/card9", &lst), ENOENT, "stat(card9)");
	expect_errno(stat("/dev/drix", &lst), ENOENT, "stat(/dev/drix)");
	/* The host is untouched. */
	assert_int_equal(stat("/dev/null", &lst), 0);
	assert_true(S_ISCHR(lst.st_mode) && major(lst.st_rdev) == 1);
}

static void test_fstat_and_statx_match_the_node(void **state)
{
	struct stat node, st;
	struct statx stx;
	int fd;

	(void)state;
	assert_int_equal(stat("/dev/dri/renderD128", &node), 0);
	fd = open_node("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_dev, node.st_dev);
	assert_int_equal(st.st_ino, node.st_ino);
	assert_int_equal(st.st_rdev, node.st_rdev);
	assert_int_equal(st.st_mode, node.st_mode);
	assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	assert_int_equal(st.st_ino, node.st_ino);
	assert_int_equal(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx),
			 0);
	assert_int_equal(stx.stx_rdev_major, 226);
	assert_int_equal(stx.stx_rdev_minor, 128);
	assert_int_equal(stx.stx_ino, node.st_ino);
	assert_true(S_ISCHR(stx.stx_mode));
	assert_int_equal(makedev(stx.stx_dev_major, stx.stx_dev_minor),
			 node.st_dev);
	assert_int_equal(statx(AT_FDCWD, "/dev/dri/renderD128", 0,
			       STATX_BASIC_STATS, &stx),
			 0);
	assert_int_equal(stx.stx_ino, node.st_ino);
	assert_true(S_ISCHR(stx.stx_mode));
	/* O_CLOEXEC was honoured. */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_proc_self_fd_names_the_node(void **state)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;
	int fd;

	(void)state;
	fd = open_node("/dev/dri/card0", O_RDWR);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf));
	assert_int_equal(n, strlen("/dev/dri/card0"));
	assert_memory_equal(buf, "/dev/dri/card0", n);
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", getpid(), fd);
	n = readlink(link, buf, sizeof(buf));
	assert_int_equal(n, strlen("/dev/dri/card0"));
	/* Truncated like the kernel: no NUL, bufsiz bytes. */
	assert_int_equal(readlink(link, buf, 4), 4);
	assert_memory_equal(buf, "/dev", 4);
	assert_non_null(realpath(link, buf));
	assert_string_equal(buf, "/dev/dri/card0");
	close(fd);
}

static void test_reopen_via_proc_self_fd_is_a_new_file(void **state)
{
	drm_auth_t a1, a2, a3;
	char link[64];
	struct stat st;
	int fd, re, dupfd;

	(void)state;
	fd = open_node("/dev/dri/card0", O_RDWR);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	re = open(link, O_RDWR);
	assert_true(re >= 0);
	assert_int_equal(fstat(re, &st), 0);
	expect_node_stat(&st, 0);
	/* Each file has its own magic; a dup shares its file's. */
	dupfd = dup(fd);
	assert_int_equal(ioctl(fd, DRM_IOCTL_GET_MAGIC, &a1), 0);
	assert_int_equal(ioctl(re, DRM_IOCTL_GET_MAGIC, &a2), 0);
	assert_int_equal(ioctl(dupfd, DRM_IOCTL_GET_MAGIC, &a3), 0);
	if (a1.magic == a2.magic)
		fail_msg("reopened file shares magic %u, expected a new file",
			 a1.magic);
	assert_int_equal(a1.magic, a3.magic);
	close(dupfd);
	close(re);
	close(fd);
}

static void test_realpath_maps_back_from_the_tree(void **state)
{
	char buf[PATH_MAX], *p;

	(void)state;
	assert_non_null(realpath("/dev/dri/card0", buf));
	assert_string_equal(buf, "/dev/dri/card0");
	assert_non_null(realpath("/sys/dev/char/226:0/device", buf));
	assert_string_equal(buf, "/sys/devices/platform/vkms");
	assert_non_null(realpath("/sys/class/drm/renderD128", buf));
	assert_string_equal(buf, "/sys/devices/platform/vgem/drm/renderD128");
	p = realpath("/dev/dri/by-path/platform-vgem-render", NULL);
	assert_non_null(p);
	assert_string_equal(p, "/dev/dri/renderD128");
	free(p);
	assert_null(realpath("/dev/dri/card9", buf));
	assert_int_equal(errno, ENOENT);
	assert_non_null(realpath("/dev/dri/..", buf));
	assert_string_equal(buf, "/dev");
}

static void test_readlink_in_sysfs(void **state)
{
	char buf[PATH_MAX];
	ssize_t n;

	(void)state;
	n = readlink("/sys/dev/char/226:0/device/subsystem", buf,
		     sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "/platform"));
	n = readlink("/sys/class/drm/card1", buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "../../devices/platform/vgem/drm/card1");
}

static void test_opendir_lists_only_our_nodes(void **state)
{
	const char *want[] = {"card0", "card1", "renderD128", "card2",
			      "renderD129"};
	int seen[5] = {0}, others = 0;
	struct dirent *d;
	DIR *dir;
	size_t i;

	(void)state;
	dir = opendir("/dev/dri");
	assert_non_null(dir);
	while ((d = readdir(dir))) {
		bool known = false;

		for (i = 0; i < 5; i++) {
			if (!strcmp(d->d_name, want[i])) {
				seen[i]++;
				known = true;
			}
		}
		if (!known && strncmp(d->d_name, ".", 1) &&
		    strcmp(d->d_name, "by-path"))
			others++;
	}
	closedir(dir);
	for (i = 0; i < 5; i++)
		if (seen[i] != 1)
			fail_msg("/dev/dri lists %s %d times, expected once",
				 want[i], seen[i]);
	if (others)
		fail_msg("/dev/dri has %d unexpected entries (host nodes must "
			 "be hidden)",
			 others);
	/* *at() calls relative to a tree directory reach the nodes too. */
	{
		struct stat st;
		int dfd = open("/dev/dri", O_RDONLY | O_DIRECTORY), fd;

		assert_true(dfd >= 0);
		assert_int_equal(fstatat(dfd, "card1", &st, 0), 0);
		expect_node_stat(&st, 1);
		fd = openat(dfd, "renderD128", O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(
			ioctl(fd, DRM_IOCTL_GET_MAGIC, &(drm_auth_t){0}),
			-1); /* render nodes refuse GET_MAGIC */
		assert_int_equal(fstat(fd, &st), 0);
		expect_node_stat(&st, 128);
		close(fd);
		close(dfd);
	}
}

static void test_dup_and_close_follow_the_file(void **state)
{
	drmVersionPtr v;
	int fd, d1, d2, d3, pipefd[2];

	(void)state;
	fd = open_node("/dev/dri/card0", O_RDWR);
	d1 = dup(fd);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	assert_true(d2 >= 100);
	assert_true(fcntl(d2, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(pipe(pipefd), 0);
	d3 = dup2(fd, pipefd[0]); /* dup2 over a host fd */
	assert_int_equal(d3, pipefd[0]);
	close(fd);
	v = drmGetVersion(d1);
	assert_non_null(v);
	assert_string_equal(v->name, "vkms");
	drmFreeVersion(v);
	v = drmGetVersion(d3);
	assert_non_null(v);
	drmFreeVersion(v);
	expect_errno(ioctl(fd, DRM_IOCTL_GET_MAGIC, &(drm_auth_t){0}), EBADF,
		     "ioctl on a closed fd");
	/* dup2 of a host fd over a device fd makes it a host fd again. */
	assert_int_equal(dup2(pipefd[1], d1), d1);
	expect_errno(ioctl(d1, DRM_IOCTL_GET_MAGIC, &(drm_auth_t){0}), ENOTTY,
		     "DRM ioctl on a pipe");
	close(d1);
	/* close_range drops the table entries in its range. */
	assert_int_equal(close_range((unsigned int)d2, (unsigned int)d2, 0), 0);
	expect_errno(ioctl(d2, DRM_IOCTL_GET_MAGIC, &(drm_auth_t){0}), EBADF,
		     "ioctl after close_range");
	v = drmGetVersion(d3);
	assert_non_null(v);
	drmFreeVersion(v);
	close(d3);
	close(pipefd[1]);
}

static void test_device_fd_errno_as_the_kernel(void **state)
{
	char buf[64];
	int fd;

	(void)state;
	fd = open_node("/dev/dri/card0", O_RDWR | O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	expect_errno(read(fd, buf, sizeof(buf)), EAGAIN,
		     "read with no event pending");
	expect_errno(write(fd, buf, 4), EINVAL, "write on a DRM fd");
	/* A bad pointer is EFAULT, not a crash. */
	expect_errno(ioctl(fd, DRM_IOCTL_VERSION, (void *)16), EFAULT,
		     "DRM_IOCTL_VERSION with a bad pointer");
	close(fd);
	expect_errno(open("/dev/dri/card0", O_RDWR | O_DIRECTORY), ENOTDIR,
		     "open(O_DIRECTORY) of a node");
	expect_errno(mknod("/dev/dri/card7", S_IFCHR | 0666, makedev(226, 7)),
		     EPERM, "mknod in /dev/dri");
	expect_errno(unlink("/dev/dri/card0"), EACCES, "unlink of a node");
	assert_int_equal(access("/dev/dri/card0", R_OK | W_OK), 0);
}

static void test_libdrm_finds_platform_devices(void **state)
{
	drmDevicePtr devs[8], dev;
	int n, i, fd, found = 0;

	(void)state;
	n = drmGetDevices2(0, devs, 8);
	if (n != 3)
		fail_msg("drmGetDevices2 found %d devices, expected 3", n);
	for (i = 0; i < n; i++) {
		assert_int_equal(devs[i]->bustype, DRM_BUS_PLATFORM);
		if (!strcmp(devs[i]->businfo.platform->fullname, "vkms")) {
			assert_true(devs[i]->available_nodes &
				    (1 << DRM_NODE_PRIMARY));
			found++;
		}
		if (!strcmp(devs[i]->businfo.platform->fullname, "vgem")) {
			assert_true(devs[i]->available_nodes &
				    (1 << DRM_NODE_RENDER));
			assert_string_equal(devs[i]->nodes[DRM_NODE_RENDER],
					    "/dev/dri/renderD128");
			found++;
		}
		if (!strcmp(devs[i]->businfo.platform->fullname, "simgpu")) {
			assert_true(devs[i]->available_nodes &
				    (1 << DRM_NODE_RENDER));
			assert_string_equal(devs[i]->nodes[DRM_NODE_RENDER],
					    "/dev/dri/renderD129");
			found++;
		}
	}
	drmFreeDevices(devs, n);
	assert_int_equal(found, 3);
	fd = open_node("/dev/dri/renderD128", O_RDWR);
	assert_int_equal(drmGetDevice2(fd, 0, &dev), 0);
	assert_string_equal(dev->businfo.platform->fullname, "vgem");
	assert_string_equal(dev->deviceinfo.platform->compatible[0], "vgem");
	drmFreeDevice(&dev);
	assert_int_equal(drmGetNodeTypeFromFd(fd), DRM_NODE_RENDER);
	{
		char *name = drmGetDeviceNameFromFd2(fd);

		assert_non_null(name);
		assert_string_equal(name, "/dev/dri/renderD128");
		free(name);
	}
	close(fd);
}

static void test_debugfs_is_a_mount_point(void **state)
{
	struct stat dot, dotdot;
	char buf[128];
	FILE *fp;
	size_t n;

	(void)state;
	assert_int_equal(stat("/sys/kernel/debug/.", &dot), 0);
	assert_int_equal(stat("/sys/kernel/debug/..", &dotdot), 0);
	if (dot.st_dev == dotdot.st_dev)
		fail_msg("debug/. and debug/.. share st_dev %lu, expected "
			 "debugfs to look mounted",
			 (unsigned long)dot.st_dev);
	fp = fopen("/sys/kernel/debug/dri/0/name", "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "vkms dev=vkms unique=vkms\n");
}

static void test_fork_child_has_a_working_device(void **state)
{
	struct stat st;
	pid_t pid;
	int fd, status;

	(void)state;
	fd = open_node("/dev/dri/card0", O_RDWR);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		drmVersionPtr v = drmGetVersion(fd);
		int fd2 = open("/dev/dri/renderD128", O_RDWR);

		/* exit(), not _exit(): the atexit handlers run in the child
		 * and must leave the parent's tree alone. */
		exit(v && fd2 >= 0 && drmGetVersion(fd2) ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child could not use the device (status %#x)", status);
	/* The child's exit left the parent's tree alone. */
	assert_int_equal(stat("/dev/dri/card0", &st), 0);
	assert_int_equal(stat("/sys/class/drm/version", &st), 0);
	close(fd);
}

#define STRESS_THREADS 4
#define STRESS_ROUNDS  300

static void *stress_thread(void *arg)
{
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < STRESS_ROUNDS; i++) {
		int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC), d;

		if (fd < 0) {
			bad++;
			continue;
		}
		d = dup(fd);
		if (ioctl(fd, DRM_IOCTL_GET_CAP, &cap) || cap.value != 1)
			bad++;
		close(fd);
		if (ioctl(d, DRM_IOCTL_GET_CAP, &cap))
			bad++;
		close(d);
	}
	return (void *)bad;
}

static void test_threads_open_ioctl_close_concurrently(void **state)
{
	pthread_t threads[STRESS_THREADS];
	void *bad;
	long total = 0;
	int i;

	(void)state;
	for (i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(
			pthread_create(&threads[i], NULL, stress_thread, NULL),
			0);
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(threads[i], &bad);
		total += (long)bad;
	}
	if (total)
		fail_msg("%ld opens or ioctls failed under concurrency, "
			 "expected none",
			 total);
}

static void on_segv(int sig)
{
	(void)sig;
}

static void test_sigaction_for_segv_round_trips(void **state)
{
	struct sigaction sa, old, now;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
	if (now.sa_handler != on_segv)
		fail_msg("sigaction(SIGSEGV) reports another handler than "
			 "the one just set");
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	assert_true(signal(SIGBUS, SIG_DFL) != SIG_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_stat_as_char_devices),
		cmocka_unit_test(test_fstat_and_statx_match_the_node),
		cmocka_unit_test(test_proc_self_fd_names_the_node),
		cmocka_unit_test(test_reopen_via_proc_self_fd_is_a_new_file),
		cmocka_unit_test(test_realpath_maps_back_from_the_tree),
		cmocka_unit_test(test_readlink_in_sysfs),
		cmocka_unit_test(test_opendir_lists_only_our_nodes),
		cmocka_unit_test(test_dup_and_close_follow_the_file),
		cmocka_unit_test(test_device_fd_errno_as_the_kernel),
		cmocka_unit_test(test_libdrm_finds_platform_devices),
		cmocka_unit_test(test_debugfs_is_a_mount_point),
		cmocka_unit_test(test_fork_child_has_a_working_device),
		cmocka_unit_test(test_sigaction_for_segv_round_trips),
		cmocka_unit_test(test_threads_open_ioctl_close_concurrently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
