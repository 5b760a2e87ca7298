// SPDX-License-Identifier: MIT
/*
 * The drivers' sysfs and debugfs files as a program sees them under
 * udrm: a connector's status through /sys/class/drm (open/read, stdio,
 * lseek, pread, dup, poll, a directory fd as IGT's igt_sysfs_open() uses)
 * and the CRC files in debugfs. Skips (77) while vkms publishes no files.
 */
#include <dirent.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "itest.h"

#define STATUS	"/sys/class/drm/card0-Virtual-1/status"
#define CRC_DIR "/sys/kernel/debug/dri/0/crtc-0/crc"

static void expect_status_text(const char *what, const char *buf)
{
	CHECK(!strcmp(buf, "connected\n") || !strcmp(buf, "disconnected\n") ||
		      !strcmp(buf, "unknown\n"),
	      "%s: \"%s\", expected a connector status line", what, buf);
}

static void check_status_read(void)
{
	char buf[64] = "", again[64] = "";
	struct pollfd pfd;
	struct stat st;
	ssize_t n;
	int fd, fd2;

	CHECK_ERRNO(stat(STATUS, &st), 0, "stat %s", STATUS);
	CHECK(S_ISREG(st.st_mode), "%s is not a regular file (mode 0%o)",
	      STATUS, st.st_mode);
	fd = open(STATUS, O_RDONLY | O_CLOEXEC);
	CHECK_ERRNO(fd, 0, "open %s", STATUS);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0, "read %s gave %zd (%s)", STATUS, n, strerror(errno));
	CHECK(!strcmp(buf, "connected\n"),
	      "%s holds \"%s\", expected "
	      "\"connected\\n\"",
	      STATUS, buf);
	CHECK(read(fd, buf, sizeof(buf)) == 0, "second read is not at EOF");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek to 0: %s", strerror(errno));
	CHECK(read(fd, again, sizeof(again) - 1) == n, "re-read after lseek");
	CHECK(!strcmp(buf, again), "re-read \"%s\"", again);
	memset(again, 0, sizeof(again));
	CHECK(pread(fd, again, 4, 2) == 4 && !strcmp(again, "nnec"),
	      "pread(4 at 2) gave \"%s\"", again);
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC), "O_CLOEXEC was not honoured");

	pfd.fd = fd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN),
	      "a sysfs attribute is not always readable (revents 0x%x)",
	      pfd.revents);

	fd2 = dup(fd);
	CHECK_ERRNO(fd2, 0, "dup");
	close(fd);
	memset(again, 0, sizeof(again));
	CHECK(pread(fd2, again, sizeof(again) - 1, 0) == n,
	      "pread on a dup after the original was closed");
	close(fd2);

	CHECK_ERRNO(open(STATUS, O_RDONLY | O_DIRECTORY), ENOTDIR,
		    "open O_DIRECTORY of a file");
}

static void check_status_stdio(void)
{
	char line[64] = "";
	FILE *fp = fopen(STATUS, "re");

	CHECK(fp, "fopen %s: %s", STATUS, strerror(errno));
	CHECK(fgets(line, sizeof(line), fp), "fgets %s", STATUS);
	CHECK(!strcmp(line, "connected\n"), "fgets gave \"%s\"", line);
	CHECK(!fgets(line, sizeof(line), fp) && feof(fp), "not at EOF");
	fclose(fp);
}

/* IGT: igt_sysfs_open() opens /sys/dev/char/226:N, then reads
 * "card0-Virtual-1/status" relative to it. */
static void check_status_at_dirfd(void)
{
	char buf[64] = "";
	bool found = false;
	struct dirent *de;
	DIR *dir;
	int dfd, fd;

	dfd = open("/sys/dev/char/226:0", O_RDONLY | O_DIRECTORY);
	CHECK_ERRNO(dfd, 0, "open /sys/dev/char/226:0");
	fd = openat(dfd, "card0-Virtual-1/status", O_RDONLY);
	CHECK_ERRNO(fd, 0, "openat(card dir, card0-Virtual-1/status)");
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0, "read through the dirfd");
	expect_status_text("status through a dirfd", buf);
	close(fd);
	close(dfd);

	dir = opendir("/sys/class/drm/card0-Virtual-1");
	CHECK(dir, "opendir of the connector: %s", strerror(errno));
	while ((de = readdir(dir)))
		found |= !strcmp(de->d_name, "status");
	closedir(dir);
	CHECK(found, "the connector directory does not list status");
}

static void check_crc_files(void)
{
	char buf[64] = "";
	int fd;

	if (access(CRC_DIR "/control", F_OK))
		return;
	fd = open(CRC_DIR "/control", O_RDWR);
	CHECK_ERRNO(fd, 0, "open crc/control");
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0, "read crc/control");
	CHECK_ERRNO(write(fd, "bogus", 5), EINVAL, "unknown CRC source");
	CHECK(write(fd, "auto", 4) == 4, "write \"auto\" to crc/control: %s",
	      strerror(errno));
	close(fd);
	/* No CRTC is on: drm_debugfs_crc.c refuses to start. */
	CHECK_ERRNO(open(CRC_DIR "/data", O_RDONLY | O_NONBLOCK), EIO,
		    "open crc/data with the CRTC off");
	CHECK_ERRNO(open(CRC_DIR "/data", O_WRONLY), EACCES,
		    "open crc/data for writing");
}

int main(void)
{
	if (access(STATUS, F_OK)) {
		printf("SKIP: %s does not exist (%s)\n", STATUS,
		       strerror(errno));
		return 77;
	}
	check_status_read();
	check_status_stdio();
	check_status_at_dirfd();
	check_crc_files();
	printf("ok\n");
	return 0;
}
