// SPDX-License-Identifier: MIT
/* After fork() the child can use the inherited DRM fd: create, map, write
 * and read a dumb buffer, and read a buffer mapped before the fork. */
#include "itest.h"

#include <sys/wait.h>

int main(void)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	struct itest_dumb before = itest_dumb_create(fd, 64, 64, 32);
	uint8_t *pre = itest_mmap(fd, before.offset, before.size,
				  PROT_READ | PROT_WRITE);
	int status;
	pid_t pid;

	itest_fill(pre, before.size, 6);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct itest_dumb d = itest_dumb_create(fd, 32, 32, 32);
		uint8_t *p = itest_mmap(fd, d.offset, d.size,
					PROT_READ | PROT_WRITE);
		size_t off;

		for (off = 0; off < d.size; off++)
			CHECK(p[off] == 0, "child: new object byte %zu is "
					   "0x%02x", off, p[off]);
		itest_fill(p, d.size, 7);
		off = itest_mismatch(p, d.size, 7);
		CHECK(off == (size_t)-1, "child: mapping differs at %zu", off);
		off = itest_mismatch(pre, before.size, 6);
		CHECK(off == (size_t)-1, "child: pre-fork mapping differs at "
					 "%zu", off);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child failed (status 0x%x)", status);
	CHECK(itest_mismatch(pre, before.size, 6) == (size_t)-1,
	      "the parent's buffer changed while the child ran");
	/* The parent still works. */
	{
		struct itest_dumb d = itest_dumb_create(fd, 32, 32, 32);

		CHECK(d.handle != before.handle, "handle reused while live");
	}
	close(fd);
	return 0;
}
