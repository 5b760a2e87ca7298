// SPDX-License-Identifier: MIT
/*
 * A child that exec()s keeps the DRM fd it inherited without O_CLOEXEC:
 * the new program (this one again, "exec-child FD SOCK HANDLE OFFSET")
 * finds the same open file at the same number: its first call, an mmap of
 * the parent's buffer, shows the parent's bytes, fstat() says it is the
 * DRM node, the parent's handle maps to the parent's bytes, the file is
 * master, and a handle the new program makes is valid in the parent.
 */
#include "mp.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

static int exec_child(char **argv)
{
	int fd = atoi(argv[2]), sock = atoi(argv[3]);
	struct drm_mode_map_dumb map = {.handle = (uint32_t)atoi(argv[4])};
	struct itest_dumb mine;
	struct stat st;
	uint8_t *p;
	size_t off;

	CHECK(fcntl(fd, F_GETFD) == 0,
	      "exec'd child: fd %d must be open, without FD_CLOEXEC", fd);
	/* No DRM call has named the fd yet: mmap must find the file. */
	p = itest_mmap(fd, strtoull(argv[5], NULL, 0), 64 * 64 * 4,
		       PROT_READ);
	off = itest_mismatch(p, 64 * 64 * 4, 20);
	CHECK(off == (size_t)-1,
	      "exec'd child: its first call, mmap of the parent's buffer, "
	      "differs from what the parent wrote at byte %zu",
	      off);
	munmap(p, 64 * 64 * 4);
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
		      major(st.st_rdev) == 226 && minor(st.st_rdev) == 0,
	      "exec'd child: fstat of the inherited fd must be card0 "
	      "(226:0), got mode 0%o rdev %u:%u",
	      (unsigned int)st.st_mode, major(st.st_rdev),
	      minor(st.st_rdev));
	CHECK(mp_is_master(fd), "exec'd child: the inherited fd of the master "
				"parent must be master (same open file)");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "exec'd child: MAP_DUMB of the parent's handle %u",
		    map.handle);
	p = itest_mmap(fd, map.offset, 64 * 64 * 4, PROT_READ | PROT_WRITE);
	off = itest_mismatch(p, 64 * 64 * 4, 20);
	CHECK(off == (size_t)-1,
	      "exec'd child: the parent's buffer differs from what the parent "
	      "wrote at byte %zu",
	      off);
	itest_fill(p, 64 * 64 * 4, 21);
	munmap(p, 64 * 64 * 4);

	mine = itest_dumb_create(fd, 32, 32, 32);
	p = itest_mmap(fd, mine.offset, mine.size, PROT_WRITE);
	itest_fill(p, mine.size, 22);
	munmap(p, mine.size);
	mp_send_u64(sock, mine.handle);
	return 0;
}

int main(int argc, char **argv)
{
	struct itest_dumb d;
	struct drm_mode_map_dumb map = {0};
	char fd_arg[16], sock_arg[16], handle_arg[16], offset_arg[24];
	int fd, ch[2], status;
	uint8_t *p;
	size_t off;
	pid_t pid;

	if (argc == 6 && !strcmp(argv[1], "exec-child"))
		return exec_child(argv);
	mp_init(argc, argv, NULL);

	fd = open("/dev/dri/card0", O_RDWR); /* inherited across exec */
	CHECK(fd >= 0, "open(/dev/dri/card0): %s", strerror(errno));
	mp_channel(ch);
	CHECK(fcntl(ch[1], F_SETFD, 0) == 0, "clear FD_CLOEXEC: %s",
	      strerror(errno));
	d = itest_dumb_create(fd, 64, 64, 32);
	p = itest_mmap(fd, d.offset, d.size, PROT_READ | PROT_WRITE);
	itest_fill(p, d.size, 20);

	snprintf(fd_arg, sizeof(fd_arg), "%d", fd);
	snprintf(sock_arg, sizeof(sock_arg), "%d", ch[1]);
	snprintf(handle_arg, sizeof(handle_arg), "%u", d.handle);
	snprintf(offset_arg, sizeof(offset_arg), "%llu",
		 (unsigned long long)d.offset);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/proc/self/exe", argv[0], "exec-child", fd_arg, sock_arg,
		      handle_arg, offset_arg, (char *)NULL);
		fprintf(stderr, "FAIL: execl(/proc/self/exe): %s\n",
			strerror(errno));
		_exit(127);
	}
	close(ch[1]);

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the exec'd child failed (status 0x%x; its message is above)",
	      status);
	map.handle = (uint32_t)mp_recv_u64(ch[0]);

	off = itest_mismatch(p, d.size, 21);
	CHECK(off == (size_t)-1,
	      "the exec'd child's writes through the parent's handle %u are "
	      "not in the parent's mapping (byte %zu)",
	      d.handle, off);
	CHECK(map.handle != d.handle,
	      "the exec'd child's new handle %u equals the parent's live "
	      "handle",
	      map.handle);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map), 0,
		    "MAP_DUMB in the parent of handle %u the exec'd child "
		    "created",
		    map.handle);
	munmap(p, d.size);
	p = itest_mmap(fd, map.offset, 32 * 32 * 4, PROT_READ);
	off = itest_mismatch(p, 32 * 32 * 4, 22);
	CHECK(off == (size_t)-1,
	      "the exec'd child's buffer differs in the parent at byte %zu",
	      off);
	munmap(p, 32 * 32 * 4);
	close(fd);
	return 0;
}
