// SPDX-License-Identifier: MIT
/*
 * Interposed path calls: stat, access, readlink, realpath, opendir and the
 * calls that would change the virtual directories. Virtual paths are
 * redirected into the tree; results from the tree are made to look like the
 * kernel's (character devices, debugfs as its own mount, paths mapped back).
 */
/* This file defines both open() and open64(): read the headers without the
 * large-file renaming (the layouts are the same on the 64-bit ABIs). */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include "preload.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>


_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
	       "the stat64 entry points assume an LP64 struct stat");

extern void __chk_fail(void) __attribute__((noreturn));

/* ---- stat ---- */

static int ip_fstat(int fd, struct stat *st)
{
	struct ipfd_entry *entry;
	int ret;

	IP_NEED(fstat);
	if (ip_bypass)
		return ip_real.fstat(fd, st);
	entry = ipfd_get(&ip_fds, fd);
	if (entry) {
		ip_node_stat(entry->node, st);
		ipfd_put(&ip_fds, entry);
		return 0;
	}
	ret = ip_real.fstat(fd, st);
	/* In server mode a device fd this process was given (across exec,
	 * over a socket) is a socket to libc until the server names it. */
	if (!ret && S_ISSOCK(st->st_mode) && ip_server_mode() &&
	    (entry = ip_remote_adopt(fd))) {
		ip_node_stat(entry->node, st);
		ipfd_put(&ip_fds, entry);
		return 0;
	}
	if (!ret)
		ip_fix_stat(st);
	return ret;
}

static int ip_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct ip_target t;
	int ret;

	IP_NEED(fstatat);
	if (ip_bypass || !path)
		return ip_real.fstatat(dirfd, path, st, flags);
	if (!path[0] && (flags & AT_EMPTY_PATH))
		return ip_fstat(dirfd, st);
	ret = ip_target(dirfd, path, &t);
	if (ret)
		return ip_fail(ret);
	if (t.kind == IP_TARGET_PROCFD) {
		if (!(flags & AT_SYMLINK_NOFOLLOW)) {
			ip_node_stat(t.entry->node, st);
			ipfd_put(&ip_fds, t.entry);
			return 0;
		}
		ipfd_put(&ip_fds, t.entry);
	}
	if (t.kind == IP_TARGET_TREE)
		ret = ip_real.fstatat(AT_FDCWD, t.path, st, flags);
	else
		ret = ip_real.fstatat(dirfd, path, st, flags);
	if (!ret)
		ip_fix_stat(st);
	return ret;
}

IP_EXPORT int stat(const char *path, struct stat *st)
{
	return ip_fstatat(AT_FDCWD, path, st, 0);
}

IP_EXPORT int stat64(const char *path, struct stat64 *st)
{
	return ip_fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

IP_EXPORT int lstat(const char *path, struct stat *st)
{
	return ip_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

IP_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return ip_fstatat(AT_FDCWD, path, (struct stat *)st,
			  AT_SYMLINK_NOFOLLOW);
}

IP_EXPORT int fstat(int fd, struct stat *st)
{
	return ip_fstat(fd, st);
}

IP_EXPORT int fstat64(int fd, struct stat64 *st)
{
	return ip_fstat(fd, (struct stat *)st);
}

IP_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return ip_fstatat(dirfd, path, st, flags);
}

IP_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st,
			int flags)
{
	return ip_fstatat(dirfd, path, (struct stat *)st, flags);
}

/* glibc before 2.33 compiled stat() calls to these; the version argument
 * selects a layout that is struct stat on the 64-bit ABIs. */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
	       int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
		 int flags);

IP_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return ip_fstatat(AT_FDCWD, path, st, 0);
}

IP_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return ip_fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

IP_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return ip_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

IP_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return ip_fstatat(AT_FDCWD, path, (struct stat *)st,
			  AT_SYMLINK_NOFOLLOW);
}

IP_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	(void)ver;
	return ip_fstat(fd, st);
}

IP_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	(void)ver;
	return ip_fstat(fd, (struct stat *)st);
}

IP_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
			 int flags)
{
	(void)ver;
	return ip_fstatat(dirfd, path, st, flags);
}

IP_EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			   struct stat64 *st, int flags)
{
	(void)ver;
	return ip_fstatat(dirfd, path, (struct stat *)st, flags);
}

static void ip_ts_to_statx(struct statx_timestamp *out,
			   const struct timespec *ts)
{
	out->tv_sec = ts->tv_sec;
	out->tv_nsec = (uint32_t)ts->tv_nsec;
}

void ip_node_statx(const struct ip_node *node, struct statx *stx)
{
	struct stat st;

	ip_node_stat(node, &st);
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (uint32_t)st.st_blksize;
	stx->stx_nlink = (uint32_t)st.st_nlink;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_ino = st.st_ino;
	ip_ts_to_statx(&stx->stx_atime, &st.st_atim);
	ip_ts_to_statx(&stx->stx_ctime, &st.st_ctim);
	ip_ts_to_statx(&stx->stx_mtime, &st.st_mtim);
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
}

void ip_fix_statx(struct statx *stx)
{
	const struct ip_node *node;
	dev_t dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);

	if (!ip_ready_now() || dev != ip_state.tree_dev ||
	    !(stx->stx_mask & STATX_INO))
		return;
	node = ip_node_by_tree_ino(dev, stx->stx_ino);
	if (node) {
		ip_node_statx(node, stx);
	} else if (ip_is_debugfs_ino(dev, stx->stx_ino)) {
		stx->stx_dev_major = major(ip_state.debugfs_dev);
		stx->stx_dev_minor = minor(ip_state.debugfs_dev);
	}
}

IP_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		    struct statx *stx)
{
	struct ipfd_entry *entry;
	struct ip_target t;
	int ret;

	IP_NEED(statx);
	if (!ip_real.statx)
		return ip_fail(-ENOSYS);
	if (ip_bypass)
		return ip_real.statx(dirfd, path, flags, mask, stx);
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		entry = ipfd_get(&ip_fds, dirfd);
		if (entry) {
			ip_node_statx(entry->node, stx);
			ipfd_put(&ip_fds, entry);
			return 0;
		}
	}
	ret = ip_target(dirfd, path, &t);
	if (ret)
		return ip_fail(ret);
	if (t.kind == IP_TARGET_PROCFD) {
		if (!(flags & AT_SYMLINK_NOFOLLOW)) {
			ip_node_statx(t.entry->node, stx);
			ipfd_put(&ip_fds, t.entry);
			return 0;
		}
		ipfd_put(&ip_fds, t.entry);
	}
	/* The inode is what tells tree files apart. */
	if (t.kind == IP_TARGET_TREE)
		ret = ip_real.statx(AT_FDCWD, t.path, flags, mask | STATX_INO,
				    stx);
	else
		ret = ip_real.statx(dirfd, path, flags,
				    ip_ready_now() ? mask | STATX_INO : mask,
				    stx);
	if (!ret)
		ip_fix_statx(stx);
	return ret;
}

/* ---- access ---- */

static int ip_faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct ip_target t;
	int ret;

	IP_NEED(faccessat);
	if (ip_bypass || !path)
		return ip_real.faccessat(dirfd, path, mode, flags);
	ret = ip_target(dirfd, path, &t);
	if (ret)
		return ip_fail(ret);
	if (t.kind == IP_TARGET_PROCFD) {
		ipfd_put(&ip_fds, t.entry);
		/* A node is rw for everyone and executable by no one. */
		return (mode & X_OK) ? ip_fail(-EACCES) : 0;
	}
	if (t.kind == IP_TARGET_TREE)
		return ip_real.faccessat(AT_FDCWD, t.path, mode, flags);
	return ip_real.faccessat(dirfd, path, mode, flags);
}

IP_EXPORT int access(const char *path, int mode)
{
	return ip_faccessat(AT_FDCWD, path, mode, 0);
}

IP_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	return ip_faccessat(dirfd, path, mode, flags);
}

IP_EXPORT int eaccess(const char *path, int mode)
{
	return ip_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

IP_EXPORT int euidaccess(const char *path, int mode)
{
	return ip_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

/* ---- readlink, realpath ---- */

static ssize_t ip_copy_link(const char *link, size_t len, char *buf,
			    size_t bufsiz)
{
	if (len > bufsiz)
		len = bufsiz;
	memcpy(buf, link, len);
	return (ssize_t)len;
}

static ssize_t ip_readlinkat(int dirfd, const char *path, char *buf,
			     size_t bufsiz)
{
	char link[PATH_MAX + 1];
	struct ip_target t;
	ssize_t n;
	int ret;

	IP_NEED(readlinkat);
	if (ip_bypass || !path)
		return ip_real.readlinkat(dirfd, path, buf, bufsiz);
	ret = ip_target(dirfd, path, &t);
	if (ret)
		return ip_fail(ret);
	if (t.kind == IP_TARGET_PROCFD) {
		const struct ip_node *node = t.entry->node;

		ipfd_put(&ip_fds, t.entry);
		if (!bufsiz)
			return ip_fail(-EINVAL);
		return ip_copy_link(node->path, strlen(node->path), buf,
				    bufsiz);
	}
	if (t.kind == IP_TARGET_REAL && !ip_ready_now())
		return ip_real.readlinkat(dirfd, path, buf, bufsiz);
	if (!bufsiz)
		return ip_fail(-EINVAL);
	if (t.kind == IP_TARGET_TREE)
		n = ip_real.readlinkat(AT_FDCWD, t.path, link,
				       sizeof(link) - 1);
	else
		n = ip_real.readlinkat(dirfd, path, link, sizeof(link) - 1);
	if (n < 0)
		return n;
	link[n] = '\0';
	/* /proc/self/fd/N, /proc/self/cwd ... may point into the tree. */
	n = (ssize_t)ip_unmap_path(link, (size_t)n, sizeof(link));
	return ip_copy_link(link, (size_t)n, buf, bufsiz);
}

IP_EXPORT ssize_t readlink(const char *path, char *buf, size_t bufsiz)
{
	return ip_readlinkat(AT_FDCWD, path, buf, bufsiz);
}

IP_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf,
			     size_t bufsiz)
{
	return ip_readlinkat(dirfd, path, buf, bufsiz);
}

static char *ip_realpath(const char *path, char *resolved)
{
	char out[PATH_MAX];
	struct ip_target t;
	size_t len;
	int ret;

	IP_NEED(realpath);
	if (ip_bypass || !path)
		return ip_real.realpath(path, resolved);
	ret = ip_target(AT_FDCWD, path, &t);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (t.kind == IP_TARGET_PROCFD) {
		snprintf(out, sizeof(out), "%s",
			 ((const struct ip_node *)t.entry->node)->path);
		ipfd_put(&ip_fds, t.entry);
	} else if (t.kind == IP_TARGET_REAL && !ip_ready_now()) {
		return ip_real.realpath(path, resolved);
	} else if (!ip_real.realpath(ip_target_path(&t, path), out)) {
		return NULL;
	}
	len = ip_unmap_path(out, strlen(out), sizeof(out));
	if (!resolved)
		return strdup(out);
	memcpy(resolved, out, len + 1);
	return resolved;
}

IP_EXPORT char *realpath(const char *path, char *resolved)
{
	return ip_realpath(path, resolved);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
IP_EXPORT char *__realpath_chk(const char *path, char *resolved,
			       size_t resolvedlen)
{
	if (resolved && resolvedlen < PATH_MAX)
		__chk_fail();
	return ip_realpath(path, resolved);
}

IP_EXPORT char *canonicalize_file_name(const char *path)
{
	return ip_realpath(path, NULL);
}

/* ---- directories ---- */

IP_EXPORT DIR *opendir(const char *path)
{
	struct ip_target t;
	int ret;

	IP_NEED(opendir);
	if (ip_bypass)
		return ip_real.opendir(path);
	ret = ip_target(AT_FDCWD, path, &t);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (t.kind == IP_TARGET_PROCFD) {
		ipfd_put(&ip_fds, t.entry);
		errno = ENOTDIR;
		return NULL;
	}
	return ip_real.opendir(ip_target_path(&t, path));
}

/* ---- extended attributes (ls asks for ACLs and labels) ---- */

/* The path libc should see for an xattr call; NULL with errno set if the
 * call is to fail, *node_fd set for a device's /proc/self/fd link. */
static const char *ip_xattr_path(const char *path, struct ip_target *t,
				 bool *is_node)
{
	int ret;

	*is_node = false;
	if (ip_bypass || !path)
		return path;
	ret = ip_target(AT_FDCWD, path, t);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if (t->kind == IP_TARGET_PROCFD) {
		ipfd_put(&ip_fds, t->entry);
		*is_node = true;
	}
	return ip_target_path(t, path);
}

IP_EXPORT ssize_t getxattr(const char *path, const char *name, void *value,
			   size_t size)
{
	struct ip_target t;
	const char *p;
	bool is_node;

	IP_NEED(getxattr);
	p = ip_xattr_path(path, &t, &is_node);
	if (!p)
		return -1;
	if (is_node)
		return ip_fail(-ENODATA);
	return ip_real.getxattr(p, name, value, size);
}

IP_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value,
			    size_t size)
{
	struct ip_target t;
	const char *p;
	bool is_node;

	IP_NEED(lgetxattr);
	p = ip_xattr_path(path, &t, &is_node);
	if (!p)
		return -1;
	return ip_real.lgetxattr(is_node ? path : p, name, value, size);
}

IP_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	struct ip_target t;
	const char *p;
	bool is_node;

	IP_NEED(listxattr);
	p = ip_xattr_path(path, &t, &is_node);
	if (!p)
		return -1;
	if (is_node)
		return 0;
	return ip_real.listxattr(p, list, size);
}

IP_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	struct ip_target t;
	const char *p;
	bool is_node;

	IP_NEED(llistxattr);
	p = ip_xattr_path(path, &t, &is_node);
	if (!p)
		return -1;
	return ip_real.llistxattr(is_node ? path : p, list, size);
}

/* ---- calls that would change the virtual directories ---- */

/*
 * Virtual paths are read-only: making nodes there would create host device
 * nodes (libdrm's drmOpenDevice() does mknod as root when a node is
 * missing), removing them would hide ours. Existing entries answer EEXIST
 * (or EACCES for removal), missing ones EPERM/EACCES as for an unprivileged
 * caller.
 */
static int ip_virtual_exists(const struct ip_target *t)
{
	struct stat st;

	if (t->kind == IP_TARGET_PROCFD)
		return 1;
	return !ip_real.fstatat(AT_FDCWD, t->path, &st, AT_SYMLINK_NOFOLLOW);
}

/* Classifies @path for a modifying call; returns 1 if it is virtual (and
 * fills *err with the errno to fail with), 0 to let libc do it. */
static int ip_deny_virtual(int dirfd, const char *path, int exist_err,
			   int missing_err, int *err)
{
	struct ip_target t;
	int ret;

	if (ip_bypass || !path)
		return 0;
	ret = ip_target(dirfd, path, &t);
	if (ret) {
		*err = ret;
		return 1;
	}
	if (t.kind == IP_TARGET_REAL)
		return 0;
	*err = ip_virtual_exists(&t) ? exist_err : missing_err;
	if (t.kind == IP_TARGET_PROCFD)
		ipfd_put(&ip_fds, t.entry);
	return 1;
}

IP_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	int err;

	IP_NEED(mknodat);
	if (ip_deny_virtual(dirfd, path, -EEXIST, -EPERM, &err))
		return ip_fail(err);
	return ip_real.mknodat(dirfd, path, mode, dev);
}

IP_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	return mknodat(AT_FDCWD, path, mode, dev);
}

int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);

IP_EXPORT int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev)
{
	(void)ver;
	return mknodat(AT_FDCWD, path, mode, dev ? *dev : 0);
}

IP_EXPORT int __xmknodat(int ver, int dirfd, const char *path, mode_t mode,
			 dev_t *dev)
{
	(void)ver;
	return mknodat(dirfd, path, mode, dev ? *dev : 0);
}

IP_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	int err;

	IP_NEED(unlinkat);
	if (ip_deny_virtual(dirfd, path, -EACCES, -ENOENT, &err))
		return ip_fail(err);
	return ip_real.unlinkat(dirfd, path, flags);
}

IP_EXPORT int unlink(const char *path)
{
	return unlinkat(AT_FDCWD, path, 0);
}

IP_EXPORT int rmdir(const char *path)
{
	return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

IP_EXPORT int remove(const char *path)
{
	int err;

	IP_NEED(remove);
	if (ip_deny_virtual(AT_FDCWD, path, -EACCES, -ENOENT, &err))
		return ip_fail(err);
	return ip_real.remove(path);
}

IP_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	int err;

	IP_NEED(mkdirat);
	if (ip_deny_virtual(dirfd, path, -EEXIST, -EACCES, &err))
		return ip_fail(err);
	return ip_real.mkdirat(dirfd, path, mode);
}

IP_EXPORT int mkdir(const char *path, mode_t mode)
{
	return mkdirat(AT_FDCWD, path, mode);
}
