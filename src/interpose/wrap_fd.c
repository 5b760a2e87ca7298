// SPDX-License-Identifier: MIT
/*
 * Interposed fd calls: opening nodes, the fd table's dup/close bookkeeping,
 * and ioctl/mmap/read on device fds. Anything that is not a device fd or a
 * virtual path goes to libc untouched.
 */
/* This file defines both open() and open64(): read the headers without the
 * large-file renaming (the layouts are the same on the 64-bit ABIs). */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include "preload.h"

#include <fcntl.h>
#include <linux/sync_file.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>


extern void __chk_fail(void) __attribute__((noreturn));

/* A fd libc just returned cannot be a device fd; drop what the table still
 * says about it (the program closed it in a way we do not see, as fclose()
 * or a raw syscall). */
static void ip_forget_stale(int fd)
{
	if (fd >= 0 && ipfd_present(&ip_fds, fd))
		ipfd_remove(&ip_fds, fd);
}

/* After a relative open that libc served: a relative path or a dirfd in the
 * tree can reach a node's plain file; reopen it as the node. */
static int ip_check_opened(int fd, const char *path, int flags)
{
	const struct ip_node *node;
	struct ipfd_entry *entry;
	struct stat st;
	int saved = errno, nfd;

	if (fd < 0)
		return fd;
	ip_forget_stale(fd);
	if (!ip_ready_now() || path[0] == '/' || (flags & O_PATH))
		return fd;
	if (ip_real.fstat(fd, &st)) {
		errno = saved;
		return fd;
	}
	node = ip_node_by_tree_ino(st.st_dev, st.st_ino);
	if (!node) {
		errno = saved;
		return fd;
	}
	nfd = ip_open_node(node, flags);
	if (nfd < 0) {
		saved = errno;
		ip_real.close(fd);
		errno = saved;
		return -1;
	}
	/* The program expects the number libc gave; keep it. */
	if (ip_real.dup3(nfd, fd, (flags & O_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		saved = errno;
		close(nfd);
		ip_real.close(fd);
		errno = saved;
		return -1;
	}
	entry = ipfd_get(&ip_fds, nfd);
	if (entry) {
		ipfd_install(&ip_fds, fd, entry);
		ipfd_put(&ip_fds, entry);
	}
	close(nfd);
	return fd;
}

static int ip_open_target_node(const struct ip_node *node, int flags)
{
	if (flags & O_DIRECTORY)
		return ip_fail(-ENOTDIR);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return ip_fail(-EEXIST);
	return ip_open_node(node, flags);
}

static int ip_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	const struct ip_node *node;
	struct ip_target t;
	struct stat st;
	int ret;

	IP_NEED(openat);
	if (ip_bypass || !path)
		return ip_real.openat(dirfd, path, flags, mode);
	ret = ip_target(dirfd, path, &t);
	if (ret)
		return ip_fail(ret);
	switch (t.kind) {
	case IP_TARGET_PROCFD:
		/* Reopening /proc/self/fd/N opens the node again. */
		node = t.entry->node;
		ipfd_put(&ip_fds, t.entry);
		return ip_open_target_node(node, flags);
	case IP_TARGET_TREE:
		if (!(flags & O_PATH) &&
		    !ip_real.fstatat(AT_FDCWD, t.path, &st, 0)) {
			node = ip_node_by_tree_ino(st.st_dev, st.st_ino);
			if (node)
				return ip_open_target_node(node, flags);
		}
		ret = ip_real.openat(AT_FDCWD, t.path, flags, mode);
		ip_forget_stale(ret);
		return ret;
	case IP_TARGET_REAL:
		break;
	}
	ret = ip_real.openat(dirfd, path, flags, mode);
	return ip_check_opened(ret, path, flags);
}

static mode_t ip_open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

IP_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ip_open_mode(flags, ap);
	va_end(ap);
	return ip_openat(AT_FDCWD, path, flags, mode);
}

IP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = ip_open_mode(flags, ap);
	va_end(ap);
	return ip_openat(dirfd, path, flags, mode);
}

/* The 64-bit ABIs have one open(): the *64 names are the same function. */
IP_EXPORT int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));
IP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

/* The _FORTIFY_SOURCE entry points: the mode was not passed. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

IP_EXPORT int __open_2(const char *path, int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		__chk_fail();
	return ip_openat(AT_FDCWD, path, flags, 0);
}

IP_EXPORT int __open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

IP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		__chk_fail();
	return ip_openat(dirfd, path, flags, 0);
}

IP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return __openat_2(dirfd, path, flags);
}

/* open(2) flags for an fopen() mode, or -1 if the mode is invalid. */
static int ip_fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (mode++; *mode && *mode != ','; mode++) {
		if (*mode == '+')
			flags = (flags & ~O_ACCMODE) | O_RDWR;
		else if (*mode == 'e')
			flags |= O_CLOEXEC;
		else if (*mode == 'x')
			flags |= O_EXCL;
	}
	return flags;
}

static FILE *ip_fopen_node(const struct ip_node *node, const char *mode)
{
	int flags = ip_fopen_flags(mode), fd, err;
	FILE *fp;

	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = ip_open_target_node(node, flags);
	if (fd < 0)
		return NULL;
	fp = fdopen(fd, mode);
	if (!fp) {
		err = errno;
		close(fd);
		errno = err;
	}
	return fp;
}

static FILE *ip_fopen(const char *path, const char *mode)
{
	const struct ip_node *node;
	struct ip_target t;
	struct stat st;
	FILE *fp;
	int ret;

	IP_NEED(fopen);
	if (ip_bypass || !path || !mode)
		return ip_real.fopen(path, mode);
	ret = ip_target(AT_FDCWD, path, &t);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (t.kind == IP_TARGET_PROCFD) {
		node = t.entry->node;
		ipfd_put(&ip_fds, t.entry);
		return ip_fopen_node(node, mode);
	}
	if (t.kind == IP_TARGET_TREE &&
	    !ip_real.fstatat(AT_FDCWD, t.path, &st, 0)) {
		node = ip_node_by_tree_ino(st.st_dev, st.st_ino);
		if (node)
			return ip_fopen_node(node, mode);
	}
	fp = ip_real.fopen(ip_target_path(&t, path), mode);
	if (fp)
		ip_forget_stale(fileno(fp));
	return fp;
}

IP_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return ip_fopen(path, mode);
}

IP_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return ip_fopen(path, mode);
}

IP_EXPORT int fclose(FILE *fp)
{
	IP_NEED(fclose);
	/* libc closes the fd internally, out of our sight. */
	if (fp)
		ip_forget_stale(fileno(fp));
	return ip_real.fclose(fp);
}

IP_EXPORT int close(int fd)
{
	IP_NEED(close);
	ipfd_remove(&ip_fds, fd);
	return ip_real.close(fd);
}

/* Makes @newfd (just made by libc as a copy of @oldfd) follow @entry. */
static int ip_dup_done(int newfd, struct ipfd_entry *entry)
{
	int ret;

	if (newfd < 0 || !entry) {
		ip_forget_stale(newfd);
		return newfd;
	}
	ret = ipfd_install(&ip_fds, newfd, entry);
	if (ret) {
		ip_real.close(newfd);
		return ip_fail(ret);
	}
	return newfd;
}

IP_EXPORT int dup(int oldfd)
{
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(dup);
	entry = ipfd_get(&ip_fds, oldfd);
	ret = ip_dup_done(ip_real.dup(oldfd), entry);
	if (entry)
		ipfd_put(&ip_fds, entry);
	return ret;
}

static int ip_dup3(int oldfd, int newfd, int flags, bool is_dup3)
{
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(dup3);
	if (oldfd == newfd)
		return is_dup3 ? ip_real.dup3(oldfd, newfd, flags)
			       : ip_real.dup2(oldfd, newfd);
	entry = ipfd_get(&ip_fds, oldfd);
	ret = is_dup3 ? ip_real.dup3(oldfd, newfd, flags)
		      : ip_real.dup2(oldfd, newfd);
	if (ret >= 0 && !entry)
		ipfd_remove(&ip_fds, ret); /* the old newfd was closed */
	ret = ip_dup_done(ret, entry);
	if (entry)
		ipfd_put(&ip_fds, entry);
	return ret;
}

IP_EXPORT int dup2(int oldfd, int newfd)
{
	return ip_dup3(oldfd, newfd, 0, false);
}

IP_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return ip_dup3(oldfd, newfd, flags, true);
}

static int ip_fcntl(int fd, int cmd, void *arg)
{
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(fcntl);
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return ip_real.fcntl(fd, cmd, arg);
	entry = ipfd_get(&ip_fds, fd);
	ret = ip_dup_done(ip_real.fcntl(fd, cmd, (int)(intptr_t)arg), entry);
	if (entry)
		ipfd_put(&ip_fds, entry);
	return ret;
}

/* fcntl's third argument is an int, a pointer or absent; reading it as a
 * pointer is what libc itself does. */
IP_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ip_fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);
IP_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ip_fcntl(fd, cmd, arg);
}

IP_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	IP_NEED(close_range);
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		ipfd_remove_range(&ip_fds, first, last);
	if (!ip_real.close_range)
		return ip_fail(-ENOSYS);
	return ip_real.close_range(first, last, flags);
}

IP_EXPORT void closefrom(int lowfd)
{
	IP_NEED(closefrom);
	if (lowfd >= 0)
		ipfd_remove_range(&ip_fds, (unsigned int)lowfd, ~0u);
	if (ip_real.closefrom)
		ip_real.closefrom(lowfd);
}

IP_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct ipfd_entry *entry;
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	IP_NEED(ioctl);
	entry = ipfd_get(&ip_fds, fd);
	if (!entry) {
		/* dma-buf ioctls on a udrm export (a plain memfd to libc). */
		if (__builtin_expect(_IOC_TYPE(request) == 'b', 0) &&
		    ip_ready_now()) {
			ret = udrm_dmabuf_ioctl(fd, request, arg);
			if (ret != -ENOTTY)
				return ret < 0 ? ip_fail(ret) : ret;
		}
		/* sync_file ioctls on a udrm sync_file (a socket to libc). */
		if (__builtin_expect(_IOC_TYPE(request) == SYNC_IOC_MAGIC, 0) &&
		    ip_ready_now()) {
			ret = udrm_sync_file_ioctl(fd, request, arg);
			if (ret != -ENOTTY)
				return ret < 0 ? ip_fail(ret) : ret;
		}
		return ip_real.ioctl(fd, request, arg);
	}
	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		/* The VFS handles these before the driver sees them. */
		ipfd_put(&ip_fds, entry);
		return ip_real.ioctl(fd, request, arg);
	}
	ret = udrm_file_ioctl(entry->file, request, arg);
	ipfd_put(&ip_fds, entry);
	if (ret < 0)
		return ip_fail(ret);
	return ret;
}

IP_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	struct ipfd_entry *entry;
	void *out;
	int ret;

	IP_NEED(mmap);
	entry = fd >= 0 ? ipfd_get(&ip_fds, fd) : NULL;
	if (!entry)
		return ip_real.mmap(addr, len, prot, flags, fd, off);
	ret = udrm_file_mmap(entry->file, addr, len, prot, flags, (uint64_t)off,
			     &out);
	ipfd_put(&ip_fds, entry);
	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return out;
}

IP_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		       off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

IP_EXPORT int munmap(void *addr, size_t len)
{
	IP_NEED(munmap);
	return ip_real.munmap(addr, len);
}

IP_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	struct ipfd_entry *entry;
	ssize_t ret;

	IP_NEED(read);
	entry = ipfd_get(&ip_fds, fd);
	if (!entry)
		return ip_real.read(fd, buf, count);
	ret = udrm_file_read(entry->file, buf, count);
	ipfd_put(&ip_fds, entry);
	if (ret < 0)
		return ip_fail((int)ret);
	return ret;
}

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
IP_EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return read(fd, buf, count);
}

/* The kernel serves readv() on a file without read_iter as one read() per
 * segment, stopping at the first short one; drm_read() does the same. */
IP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct ipfd_entry *entry;
	ssize_t total = 0, n;
	int i;

	IP_NEED(readv);
	entry = ipfd_get(&ip_fds, fd);
	if (!entry)
		return ip_real.readv(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		ipfd_put(&ip_fds, entry);
		return ip_fail(-EINVAL);
	}
	for (i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		n = udrm_file_read(entry->file, iov[i].iov_base,
				   iov[i].iov_len);
		if (n < 0) {
			if (!total)
				total = n;
			break;
		}
		total += n;
		if ((size_t)n != iov[i].iov_len)
			break;
	}
	ipfd_put(&ip_fds, entry);
	if (total < 0)
		return ip_fail((int)total);
	return total;
}

/* DRM files have no write(): the kernel answers EINVAL (and the socket
 * underneath would raise SIGPIPE). */
IP_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	IP_NEED(write);
	if (ipfd_present(&ip_fds, fd))
		return ip_fail(-EINVAL);
	return ip_real.write(fd, buf, count);
}
