/* SPDX-License-Identifier: MIT */
/*
 * The client side of the device server's transport (docs/server.md): one
 * connection, used by one thread at a time. The interposer keeps one per
 * thread; tests use it directly.
 */
#ifndef UDRM_SERVER_CLIENT_H
#define UDRM_SERVER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct udrm_client;

/* Connects to the server at @path and checks the protocol version.
 * 0 or -errno (-EPROTO for another version). */
int udrm_client_connect(const char *path, struct udrm_client **out);
void udrm_client_disconnect(struct udrm_client *c);

/*
 * An ioctl's argument (its _IOC_SIZE bytes) travels in a page shared with
 * the server; the client copies it there and back with
 * process_vm_readv/writev on its own process, which fail with EFAULT on
 * bad memory and never fault. A process whose SIGSEGV/SIGBUS handler
 * stays core's fault guard (udrm_uaccess_init(), kept first as the
 * interposer keeps it) may call this once to use guarded copies instead,
 * which cost no system call.
 */
void udrm_client_use_fault_guard(void);

/* Opens the node with @minor: a new open file; its fd, or -errno. */
int udrm_client_open(struct udrm_client *c, int minor, int flags);

/* Shows device fd @fd, which this process got otherwise than from
 * udrm_client_open() (exec inheritance, SCM_RIGHTS), to the server: 0, or
 * 1 when it is a lessee's file (from CREATE_LEASE), with *minor the minor
 * of the node the file was opened on; -EBADF when @fd is no open file of
 * the server. Requests attach such an fd by themselves; this is to learn
 * what the fd is. */
int udrm_client_adopt(struct udrm_client *c, int fd, int *minor);

/* An ioctl on device fd @fd (from udrm_client_open, or a dup, an
 * inherited or a received copy of one): 0 or -errno. Fds the server
 * installs during the call (PRIME exports, sync_files...) appear in this
 * process. A signal handler without SA_RESTART ends a blocking wait with
 * -EINTR, one with it lets it go on; WAIT_VBLANK's ends after either, as
 * the kernel's. */
int udrm_client_ioctl(struct udrm_client *c, int fd, unsigned long cmd,
		      void *arg);

/* The same, for a caller that knows @fd's inode (st_ino) already: an
 * ioctl through the slot then makes no system call. */
int udrm_client_ioctl_ino(struct udrm_client *c, int fd, uint64_t ino,
			  unsigned long cmd, void *arg);

/*
 * read(2) of device fd @fd: the DRM events the server queued on it, as the
 * kernel's drm_read(): as many whole events as fit in @buf, 0 if the first
 * pending one does not fit in @len, -EFAULT for a bad @buf (the event
 * stays queued). With none pending it waits for one, unless @fd is
 * O_NONBLOCK (-EAGAIN); a signal handler without SA_RESTART ends the wait
 * with -EINTR, one with it lets it go on. -ENODEV once the server is
 * gone. The server's event budget (UDRM_EVENT_SPACE bytes unread) is
 * given back for what was read. Readers in one process take turns.
 */
ssize_t udrm_client_read(struct udrm_client *c, int fd, void *buf, size_t len);

/* An ioctl on @fd, which is no device file but may be a dma-buf (a PRIME
 * export) or a sync_file the server made, however this process got it:
 * 0 or -errno; -ENOTTY when the server knows no such fd or no such ioctl
 * on it (the caller then passes the ioctl to the real file). Fds the
 * server installs (EXPORT_SYNC_FILE, SYNC_IOC_MERGE) appear here. */
int udrm_client_fd_ioctl(struct udrm_client *c, int fd, unsigned long cmd,
			 void *arg);

/* mmap(2) of device fd @fd at fake offset @offset, mapped here from the
 * memfd the server names: 0 and *out, or -errno. */
int udrm_client_mmap(struct udrm_client *c, int fd, void *addr, size_t len,
		     int prot, int flags, uint64_t offset, void **out);

/*
 * Virtual files (sysfs and debugfs, udrm_vfile_* in udrm/udrm.h), by id:
 * the index of the file in udrm_device_for_each_vfile() over the server's
 * devices in order (udrm_server_vfile_count()). Opens return a handle fd,
 * shared by dup, fork and SCM_RIGHTS like a device fd; the open is closed
 * when every copy is gone. The calls on a handle return what
 * udrm_vfile_read(), _write() and _lseek() return (bytes, a position or
 * -errno) with @buf in this process; @pos < 0 reads or writes at the
 * open's position, else at @pos (pread/pwrite). A blocking read (CRC
 * data) waits until data comes; a signal handler without SA_RESTART ends
 * it with -EINTR.
 */
/* A new open of vfile @id with open(2) @flags: the handle, or
 * udrm_vfile_open()'s -errno; -ENOENT for an unknown id. */
int udrm_client_vfile_open(struct udrm_client *c, uint32_t id, int flags);
ssize_t udrm_client_vfile_read(struct udrm_client *c, int hfd, void *buf,
			       size_t len, int64_t pos);
ssize_t udrm_client_vfile_write(struct udrm_client *c, int hfd, const void *buf,
				size_t len, int64_t pos);
int64_t udrm_client_vfile_lseek(struct udrm_client *c, int hfd, int64_t off,
				int whence);
/* fcntl(F_SETFL) of O_NONBLOCK on the open: 0 or -errno. */
int udrm_client_vfile_set_nonblock(struct udrm_client *c, int hfd,
				   bool nonblock);
/* A new fd (close-on-exec, the caller closes it) that polls POLLIN while a
 * read would not block; -EOPNOTSUPP for a file that is always ready (an
 * attribute), or -errno. */
int udrm_client_vfile_poll_fd(struct udrm_client *c, int hfd);

#endif
