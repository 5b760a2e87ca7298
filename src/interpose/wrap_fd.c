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

#include <drm.h>
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
	if (fd >= 0 && ip_vfiles_open() && ipfd_present(&ip_vfds, fd))
		ipfd_remove(&ip_vfds, fd);
}

/* The entry at @fd in either table (a reference), and which table. */
static struct ipfd_entry *ip_any_entry(int fd, struct ipfd_table **table)
{
	struct ipfd_entry *entry = ipfd_get(&ip_fds, fd);

	*table = &ip_fds;
	if (!entry && ip_vfiles_open()) {
		entry = ipfd_get(&ip_vfds, fd);
		*table = &ip_vfds;
	}
	return entry;
}

/* Whether a path libc opened may be a virtual file reached in a way
 * ip_target() does not see: relative to a directory in the tree, or
 * /proc/self/fd/N of a virtual file's fd. */
static bool ip_may_reach_tree(const char *path)
{
	return path[0] != '/' ||
	       (!strncmp(path, "/proc/", 6) && strstr(path, "/fd/"));
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
	if (!ip_ready_now() || !ip_may_reach_tree(path) || (flags & O_PATH))
		return fd;
	if (ip_real.fstat(fd, &st)) {
		errno = saved;
		return fd;
	}
	node = ip_node_by_tree_ino(st.st_dev, st.st_ino);
	if (!node) {
		const struct ip_vnode *vnode =
			ip_vnode_by_tree_ino(st.st_dev, st.st_ino);

		/* libc opened the placeholder: it becomes the program's fd
		 * of the virtual file. */
		if (vnode)
			return ip_open_vfile(vnode, flags, fd);
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

static int ip_open_target_vfile(const struct ip_vnode *vnode, int flags)
{
	if (flags & O_DIRECTORY)
		return ip_fail(-ENOTDIR);
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return ip_fail(-EEXIST);
	return ip_open_vfile(vnode, flags, -1);
}

static int ip_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	const struct ip_vnode *vnode;
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
			vnode = ip_vnode_by_tree_ino(st.st_dev, st.st_ino);
			if (vnode)
				return ip_open_target_vfile(vnode, flags);
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

/* ---- stdio on virtual files ----
 *
 * libc's FILE reads and writes with its internal syscalls, which never
 * reach read()/write() here: a FILE on a virtual file is a fopencookie()
 * stream whose functions call the virtual file through the fd. */

static ssize_t ip_vfd_read(int fd, void *buf, size_t count, off_t pos,
			   bool *handled);
static ssize_t ip_vfd_write(int fd, const void *buf, size_t count, off_t pos,
			    bool *handled);
static off_t ip_vfd_lseek(int fd, off_t off, int whence, bool *handled);

static ssize_t ip_cookie_read(void *cookie, char *buf, size_t size)
{
	bool handled;

	return ip_vfd_read((int)(intptr_t)cookie, buf, size, -1, &handled);
}

static ssize_t ip_cookie_write(void *cookie, const char *buf, size_t size)
{
	bool handled;
	ssize_t n;

	n = ip_vfd_write((int)(intptr_t)cookie, buf, size, -1, &handled);
	/* fopencookie: 0 is an error for write. */
	return n < 0 ? 0 : n;
}

static int ip_cookie_seek(void *cookie, off64_t *pos, int whence)
{
	bool handled;
	off_t ret;

	ret = ip_vfd_lseek((int)(intptr_t)cookie, (off_t)*pos, whence,
			   &handled);
	if (ret < 0)
		return -1;
	*pos = ret;
	return 0;
}

static int ip_cookie_close(void *cookie)
{
	return close((int)(intptr_t)cookie);
}

/* A stream on the virtual file open at @fd; closes @fd on failure. */
static FILE *ip_vfile_stream(int fd, const char *mode)
{
	static const cookie_io_functions_t io = {
		.read = ip_cookie_read,
		.write = ip_cookie_write,
		.seek = ip_cookie_seek,
		.close = ip_cookie_close,
	};
	FILE *fp;
	int err;

	fp = fopencookie((void *)(intptr_t)fd, mode, io);
	if (!fp) {
		err = errno;
		close(fd);
		errno = err;
	}
	return fp;
}

static FILE *ip_fopen_vfile(const struct ip_vnode *vnode, const char *mode)
{
	int flags = ip_fopen_flags(mode), fd;

	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = ip_open_target_vfile(vnode, flags);
	if (fd < 0)
		return NULL;
	return ip_vfile_stream(fd, mode);
}

IP_EXPORT FILE *fdopen(int fd, const char *mode)
{
	IP_NEED(fdopen);
	if (ip_vfiles_open() && ipfd_present(&ip_vfds, fd))
		return ip_vfile_stream(fd, mode);
	return ip_real.fdopen(fd, mode);
}

static FILE *ip_fopen(const char *path, const char *mode)
{
	const struct ip_vnode *vnode;
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
		vnode = ip_vnode_by_tree_ino(st.st_dev, st.st_ino);
		if (vnode)
			return ip_fopen_vfile(vnode, mode);
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
	if (ip_vfiles_open())
		ipfd_remove(&ip_vfds, fd);
	return ip_real.close(fd);
}

/* Makes @newfd (just made by libc as a copy of @oldfd) follow @entry of
 * @table. */
static int ip_dup_done(int newfd, struct ipfd_entry *entry,
		       struct ipfd_table *table)
{
	int ret;

	if (newfd < 0 || !entry) {
		ip_forget_stale(newfd);
		return newfd;
	}
	/* What the other table had at @newfd was closed by the dup. */
	if (table == &ip_fds && ip_vfiles_open())
		ipfd_remove(&ip_vfds, newfd);
	else if (table == &ip_vfds)
		ipfd_remove(&ip_fds, newfd);
	ret = ipfd_install(table, newfd, entry);
	if (ret) {
		ip_real.close(newfd);
		return ip_fail(ret);
	}
	return newfd;
}

IP_EXPORT int dup(int oldfd)
{
	struct ipfd_table *table;
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(dup);
	entry = ip_any_entry(oldfd, &table);
	ret = ip_dup_done(ip_real.dup(oldfd), entry, table);
	if (entry)
		ipfd_put(table, entry);
	return ret;
}

static int ip_dup3(int oldfd, int newfd, int flags, bool is_dup3)
{
	struct ipfd_table *table;
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(dup3);
	if (oldfd == newfd)
		return is_dup3 ? ip_real.dup3(oldfd, newfd, flags)
			       : ip_real.dup2(oldfd, newfd);
	entry = ip_any_entry(oldfd, &table);
	ret = is_dup3 ? ip_real.dup3(oldfd, newfd, flags)
		      : ip_real.dup2(oldfd, newfd);
	/* The old newfd was closed (ip_dup_done forgets it if !entry). */
	ret = ip_dup_done(ret, entry, table);
	if (entry)
		ipfd_put(table, entry);
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

/* O_NONBLOCK set on a virtual file's fd reaches its open. */
static void ip_vfd_nonblock(int fd, bool nonblock)
{
	struct ipfd_entry *entry;

	if (!ip_vfiles_open())
		return;
	entry = ipfd_get(&ip_vfds, fd);
	if (entry) {
		ip_vf_set_nonblock(entry->file, nonblock);
		ipfd_put(&ip_vfds, entry);
	}
}

static int ip_fcntl(int fd, int cmd, void *arg)
{
	struct ipfd_table *table;
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(fcntl);
	if (cmd == F_SETFL) {
		ret = ip_real.fcntl(fd, cmd, (int)(intptr_t)arg);
		if (!ret)
			ip_vfd_nonblock(fd, ((int)(intptr_t)arg & O_NONBLOCK));
		return ret;
	}
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return ip_real.fcntl(fd, cmd, arg);
	entry = ip_any_entry(fd, &table);
	ret = ip_dup_done(ip_real.fcntl(fd, cmd, (int)(intptr_t)arg), entry,
			  table);
	if (entry)
		ipfd_put(table, entry);
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
	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		ipfd_remove_range(&ip_fds, first, last);
		ipfd_remove_range(&ip_vfds, first, last);
	}
	if (!ip_real.close_range)
		return ip_fail(-ENOSYS);
	return ip_real.close_range(first, last, flags);
}

IP_EXPORT void closefrom(int lowfd)
{
	IP_NEED(closefrom);
	if (lowfd >= 0) {
		ipfd_remove_range(&ip_fds, (unsigned int)lowfd, ~0u);
		ipfd_remove_range(&ip_vfds, (unsigned int)lowfd, ~0u);
	}
	if (ip_real.closefrom)
		ip_real.closefrom(lowfd);
}

/* A successful CREATE_LEASE made a lessee file and returned its own fd:
 * give the program a device fd of its own for it, as open() of a node
 * does, and return that one instead. */
static int ip_install_lease(struct ipfd_entry *lessor,
			    struct drm_mode_create_lease *cl)
{
	struct udrm_file *file = udrm_lease_take_file((int)cl->fd);
	struct ipfd_entry *entry;
	int fd, fl, ret;

	if (!file)
		return 0;
	fd = ip_real.fcntl(udrm_file_fd(file),
			   (cl->flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD,
			   0);
	if (fd < 0) {
		ret = -errno;
		udrm_file_close(file);
		return ret;
	}
	if (cl->flags & O_NONBLOCK) {
		fl = ip_real.fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK))
			ip_real.fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	entry = ipfd_entry_new(&ip_fds, file, lessor->node);
	if (!entry) {
		ip_real.close(fd);
		udrm_file_close(file);
		return -ENOMEM;
	}
	ret = ipfd_install(&ip_fds, fd, entry);
	/* On failure this put is the last and closes the file. */
	ipfd_put(&ip_fds, entry);
	if (ret) {
		ip_real.close(fd);
		return ret;
	}
	cl->fd = (uint32_t)fd;
	return 0;
}

/* ioctl on a fd that is no device fd the table knows. */
static int ip_other_ioctl(int fd, unsigned long request, void *arg)
{
	unsigned int type = _IOC_TYPE(request);
	int ret;

	/* dma-buf ioctls on a udrm export (a plain memfd to libc), sync_file
	 * ioctls on a udrm sync_file (a socket to libc). */
	if (__builtin_expect(type == 'b' || type == SYNC_IOC_MAGIC, 0) &&
	    (ip_server_mode() || ip_ready_now())) {
		if (ip_remote)
			ret = ip_remote_fd_ioctl(fd, request, arg);
		else if (type == 'b')
			ret = udrm_dmabuf_ioctl(fd, request, arg);
		else
			ret = udrm_sync_file_ioctl(fd, request, arg);
		if (ret != -ENOTTY)
			return ret < 0 ? ip_fail(ret) : ret;
	}
	ret = ip_real.ioctl(fd, request, arg);
	if (__builtin_expect(request == FIONBIO, 0) && !ret && arg)
		ip_vfd_nonblock(fd, *(const int *)arg != 0);
	return ret;
}

/* The entry of device fd @fd; in server mode one inherited across exec
 * or received over a socket is made known on its first DRM call. */
static struct ipfd_entry *ip_device_entry(int fd, bool drm_call)
{
	struct ipfd_entry *entry = ipfd_get(&ip_fds, fd);

	if (__builtin_expect(!entry && drm_call, 0) && ip_server_mode())
		entry = ip_remote_adopt(fd);
	return entry;
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
	entry = ip_device_entry(fd, _IOC_TYPE(request) == DRM_IOCTL_BASE);
	if (!entry)
		return ip_other_ioctl(fd, request, arg);
	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		/* The VFS handles these before the driver sees them. */
		ipfd_put(&ip_fds, entry);
		return ip_real.ioctl(fd, request, arg);
	}
	if (ip_remote) {
		ret = ip_remote_ioctl(fd, request, arg);
	} else {
		ret = udrm_file_ioctl(entry->file, request, arg);
		if (ret == 0 && request == DRM_IOCTL_MODE_CREATE_LEASE)
			ret = ip_install_lease(entry, arg);
	}
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
	if (!entry) {
		out = ip_real.mmap(addr, len, prot, flags, fd, off);
		/* A socket cannot be mapped: in server mode it may be a
		 * device fd this process was given (across exec, over a
		 * socket) and does not know yet. */
		if (out != MAP_FAILED || errno != ENODEV ||
		    (flags & MAP_ANONYMOUS) ||
		    !(entry = ip_device_entry(fd, true))) {
			if (out == MAP_FAILED)
				errno = ENODEV;
			return out;
		}
	}
	if (ip_remote)
		ret = ip_remote_mmap(fd, addr, len, prot, flags, (uint64_t)off,
				     &out);
	else
		ret = udrm_file_mmap(entry->file, addr, len, prot, flags,
				     (uint64_t)off, &out);
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

/* ---- read/write/lseek on virtual files ---- */

/* Each sets *handled and returns the call's -1/errno result if @fd is a
 * virtual file's fd; @pos < 0 means at the file position. */
static ssize_t ip_vfd_read(int fd, void *buf, size_t count, off_t pos,
			   bool *handled)
{
	struct ipfd_entry *entry = ipfd_get(&ip_vfds, fd);
	ssize_t ret;

	*handled = entry != NULL;
	if (!entry)
		return 0;
	ret = ip_vf_read(entry->file, buf, count, pos);
	ipfd_put(&ip_vfds, entry);
	return ret < 0 ? ip_fail((int)ret) : ret;
}

static ssize_t ip_vfd_write(int fd, const void *buf, size_t count, off_t pos,
			    bool *handled)
{
	struct ipfd_entry *entry = ipfd_get(&ip_vfds, fd);
	ssize_t ret;

	*handled = entry != NULL;
	if (!entry)
		return 0;
	ret = ip_vf_write(entry->file, buf, count, pos);
	ipfd_put(&ip_vfds, entry);
	return ret < 0 ? ip_fail((int)ret) : ret;
}

static off_t ip_vfd_lseek(int fd, off_t off, int whence, bool *handled)
{
	struct ipfd_entry *entry = ipfd_get(&ip_vfds, fd);
	off_t ret;

	*handled = entry != NULL;
	if (!entry)
		return 0;
	ret = ip_vf_lseek(entry->file, off, whence);
	ipfd_put(&ip_vfds, entry);
	return ret < 0 ? ip_fail((int)ret) : ret;
}

IP_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	struct ipfd_entry *entry;
	bool handled;
	ssize_t ret;

	IP_NEED(read);
	entry = ipfd_get(&ip_fds, fd);
	if (!entry) {
		if (__builtin_expect(ip_vfiles_open(), 0)) {
			ret = ip_vfd_read(fd, buf, count, -1, &handled);
			if (handled)
				return ret;
		}
		return ip_real.read(fd, buf, count);
	}
	ret = ip_dev_read(fd, entry, buf, count);
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

/* pread/pwrite/lseek: virtual files here, everything else (device fds
 * included, as before) to libc. */
IP_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t pos)
{
	bool handled;
	ssize_t ret;

	IP_NEED(pread);
	if (__builtin_expect(ip_vfiles_open(), 0)) {
		if (pos < 0 && ipfd_present(&ip_vfds, fd))
			return ip_fail(-EINVAL);
		ret = ip_vfd_read(fd, buf, count, pos, &handled);
		if (handled)
			return ret;
	}
	return ip_real.pread(fd, buf, count, pos);
}

IP_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t pos)
	__attribute__((alias("pread")));

ssize_t __pread_chk(int fd, void *buf, size_t count, off_t pos, size_t buflen);
IP_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t pos,
			      size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return pread(fd, buf, count, pos);
}

ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t pos,
		      size_t buflen);
IP_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t pos,
				size_t buflen)
	__attribute__((alias("__pread_chk")));

/* The kernel serves readv() on a file without read_iter as one read() per
 * segment, stopping at the first short one; drm_read() does the same. */
IP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct ipfd_table *table;
	struct ipfd_entry *entry;
	ssize_t total = 0, n;
	int i;

	IP_NEED(readv);
	entry = ip_any_entry(fd, &table);
	if (!entry)
		return ip_real.readv(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		ipfd_put(table, entry);
		return ip_fail(-EINVAL);
	}
	for (i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		if (table == &ip_vfds)
			n = ip_vf_read(entry->file, iov[i].iov_base,
				       iov[i].iov_len, -1);
		else
			n = ip_dev_read(fd, entry, iov[i].iov_base,
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
	ipfd_put(table, entry);
	if (total < 0)
		return ip_fail((int)total);
	return total;
}

/* DRM files have no write(): the kernel answers EINVAL (and the socket
 * underneath would raise SIGPIPE). */
IP_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	bool handled;
	ssize_t ret;

	IP_NEED(write);
	if (ipfd_present(&ip_fds, fd))
		return ip_fail(-EINVAL);
	if (__builtin_expect(ip_vfiles_open(), 0)) {
		ret = ip_vfd_write(fd, buf, count, -1, &handled);
		if (handled)
			return ret;
	}
	return ip_real.write(fd, buf, count);
}

IP_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t pos)
{
	bool handled;
	ssize_t ret;

	IP_NEED(pwrite);
	if (ipfd_present(&ip_fds, fd))
		return ip_fail(-EINVAL);
	if (__builtin_expect(ip_vfiles_open(), 0)) {
		if (pos < 0 && ipfd_present(&ip_vfds, fd))
			return ip_fail(-EINVAL);
		ret = ip_vfd_write(fd, buf, count, pos, &handled);
		if (handled)
			return ret;
	}
	return ip_real.pwrite(fd, buf, count, pos);
}

IP_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t pos)
	__attribute__((alias("pwrite")));

/* sysfs has no write_iter for attributes: one store() per segment. */
IP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct ipfd_entry *entry;
	ssize_t total = 0, n;
	int i;

	IP_NEED(writev);
	if (ipfd_present(&ip_fds, fd))
		return ip_fail(-EINVAL);
	entry = ip_vfiles_open() ? ipfd_get(&ip_vfds, fd) : NULL;
	if (!entry)
		return ip_real.writev(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		ipfd_put(&ip_vfds, entry);
		return ip_fail(-EINVAL);
	}
	for (i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		n = ip_vf_write(entry->file, iov[i].iov_base, iov[i].iov_len,
				-1);
		if (n < 0) {
			if (!total)
				total = n;
			break;
		}
		total += n;
		if ((size_t)n != iov[i].iov_len)
			break;
	}
	ipfd_put(&ip_vfds, entry);
	if (total < 0)
		return ip_fail((int)total);
	return total;
}

IP_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	bool handled;
	off_t ret;

	IP_NEED(lseek);
	if (__builtin_expect(ip_vfiles_open(), 0)) {
		ret = ip_vfd_lseek(fd, off, whence, &handled);
		if (handled)
			return ret;
	}
	return ip_real.lseek(fd, off, whence);
}

IP_EXPORT off_t lseek64(int fd, off_t off, int whence)
	__attribute__((alias("lseek")));
