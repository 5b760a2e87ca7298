/* SPDX-License-Identifier: MIT */
/*
 * Private to libudrm-preload.so: the process-wide state the interposed libc
 * functions share, and the real libc functions they fall back on.
 *
 * Everything here has hidden visibility; only the interposed libc symbols
 * (preload.map) leave the library.
 */
#ifndef UDRM_INTERPOSE_PRELOAD_H
#define UDRM_INTERPOSE_PRELOAD_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "fdtable.h"
#include "udrm/udrm.h"
#include "vpath.h"

struct statx;

/* A node of a device, as /dev/dri shows it. Immutable after init. */
struct ip_node {
	struct udrm_device *dev; /* NULL in server mode */
	enum udrm_node_type type;
	int minor;
	char name[16];	/* "card0" */
	char path[32];	/* "/dev/dri/card0" */
	ino_t tree_ino; /* inode of the tree's plain file */
	ino_t fake_ino; /* st_ino the program sees */
};

/* A driver's virtual file (sysfs attribute, debugfs entry) and its
 * placeholder in the tree. Immutable after init. */
struct ip_vnode {
	struct udrm_vfile *vfile; /* NULL in server mode */
	uint32_t remote_id;	  /* its number in the server's manifest */
	ino_t tree_ino;	 /* inode of the placeholder */
	char *tree_path; /* "<root>/sys/..." */
};

#define IP_MAX_NODES	      64
#define IP_MAX_DEVICES	      32
#define IP_MAX_DEBUGFS_INODES 1024

/* The real libc functions, found with dlsym(RTLD_NEXT). */
struct ip_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	FILE *(*fopen)(const char *, const char *);
	FILE *(*fdopen)(int, const char *);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	int (*fclose)(FILE *);
	int (*ioctl)(int, unsigned long, ...);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	off_t (*lseek)(int, off_t, int);
	int (*fstatat)(int, const char *, struct stat *, int);
	int (*fstat)(int, struct stat *);
	int (*statx)(int, const char *, int, unsigned int, struct statx *);
	int (*faccessat)(int, const char *, int, int);
	int (*access)(const char *, int);
	int (*eaccess)(const char *, int);
	ssize_t (*readlink)(const char *, char *, size_t);
	ssize_t (*readlinkat)(int, const char *, char *, size_t);
	char *(*realpath)(const char *, char *);
	DIR *(*opendir)(const char *);
	int (*mknodat)(int, const char *, mode_t, dev_t);
	int (*unlinkat)(int, const char *, int);
	int (*remove)(const char *);
	int (*mkdirat)(int, const char *, mode_t);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
	ssize_t (*getxattr)(const char *, const char *, void *, size_t);
	ssize_t (*lgetxattr)(const char *, const char *, void *, size_t);
	ssize_t (*listxattr)(const char *, char *, size_t);
	ssize_t (*llistxattr)(const char *, char *, size_t);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
};

struct ip_state {
	bool ready;	/* devices and tree made */
	char root[256]; /* the tree; "" if it could not be made */
	struct vpath_ctx vpath;
	pid_t owner;	      /* the process that removes the tree */
	dev_t tree_dev;	      /* st_dev of the tree's filesystem */
	dev_t node_dev;	      /* st_dev the nodes report */
	dev_t debugfs_dev;    /* st_dev the debugfs part reports */
	struct timespec time; /* node times */

	struct udrm_device *devices[IP_MAX_DEVICES];
	char *platform_names[IP_MAX_DEVICES];
	size_t ndevices;
	struct ip_node nodes[IP_MAX_NODES];
	size_t nnodes;
	ino_t debugfs_ino[IP_MAX_DEBUGFS_INODES];
	size_t ndebugfs_ino;
	struct ip_vnode *vnodes; /* the devices' virtual files */
	size_t nvnodes;
	uint32_t nvfiles; /* the devices' virtual files seen, shown or not */
};

extern struct ip_real ip_real;
extern struct ip_state ip_state;
extern struct ipfd_table ip_fds;
/* Program fds open on virtual files: entry->file is the
 * struct udrm_vfile_open, entry->node the struct ip_vnode. A table of its
 * own keeps the device fds' lookups as they are. */
extern struct ipfd_table ip_vfds;
/* >0 while this thread runs udrm's own setup: every interposed call goes
 * straight to libc. */
extern __thread int ip_bypass __attribute__((tls_model("initial-exec")));
/* Whether the core's SIGSEGV/SIGBUS guard may be installed: from then on
 * sigaction() for those signals goes through udrm_uaccess_sigaction(). */
extern _Atomic bool ip_guard_on;
/* This process serves its devices to others (host.c): made before
 * ip_init(), it gives every object a memfd of its own. */
extern bool ip_hosting;

/* Set (release) once the devices and the tree are made; ip_state is
 * read-only from then on. */
extern _Atomic bool ip_ready;

static inline bool ip_ready_now(void)
{
	return atomic_load_explicit(&ip_ready, memory_order_acquire);
}

/* Resolves the real functions (idempotent). */
void ip_resolve(void);

/* An interposed libc function (the version script exports it). */
#define IP_EXPORT __attribute__((visibility("default")))

/* Makes sure ip_real.@field is resolved before it is called. */
#define IP_NEED(field)                                                         \
	do {                                                                   \
		if (__builtin_expect(!ip_real.field, 0))                       \
			ip_resolve();                                          \
	} while (0)

/* Creates the devices and the tree once; false if that failed. Sets no
 * errno. */
bool ip_init(void);

/* Returns -1 with errno = -@err (for a negative errno). */
static inline int ip_fail(int err)
{
	errno = -err;
	return -1;
}

/* How a path argument is to be handled. */
enum ip_target_kind {
	IP_TARGET_REAL,	  /* untouched: call libc with the original path */
	IP_TARGET_TREE,	  /* redirected: call libc with t->path */
	IP_TARGET_PROCFD, /* /proc/self/fd/N of a device fd: t->entry */
};

struct ip_target {
	enum ip_target_kind kind;
	int region;		  /* enum vpath_region for TREE */
	struct ipfd_entry *entry; /* a reference, for PROCFD */
	char path[4096];
};

/* Classifies @path (relative to @dirfd). Returns 0 or -errno. For PROCFD
 * the caller puts t->entry. */
int ip_target(int dirfd, const char *path, struct ip_target *t);
/* The path libc should see for @t (the original or the tree path). */
static inline const char *ip_target_path(const struct ip_target *t,
					 const char *orig)
{
	return t->kind == IP_TARGET_TREE ? t->path : orig;
}

/* The node whose tree file has inode @ino on the tree's filesystem. */
const struct ip_node *ip_node_by_tree_ino(dev_t dev, ino_t ino);
bool ip_is_debugfs_ino(dev_t dev, ino_t ino);

/* Fills @st as stat() of @node reports it. */
void ip_node_stat(const struct ip_node *node, struct stat *st);
/* Fixes a stat result from the tree: nodes become character devices, the
 * debugfs part gets its own st_dev. */
void ip_fix_stat(struct stat *st);
void ip_fix_statx(struct statx *stx);
void ip_node_statx(const struct ip_node *node, struct statx *stx);

/* Maps a path that may point into the tree back to the program's view, in
 * place (@buf holds @len bytes, NUL-terminated, of capacity @cap). Returns
 * the new length. */
size_t ip_unmap_path(char *buf, size_t len, size_t cap);

/* Opens a new file on @node and returns a program fd for it (-1/errno). */
int ip_open_node(const struct ip_node *node, int flags);

/* The virtual file whose placeholder has inode @ino on the tree's
 * filesystem. */
const struct ip_vnode *ip_vnode_by_tree_ino(dev_t dev, ino_t ino);
/* Opens @vnode with open(2) @flags: the program's fd is the placeholder
 * opened natively (so fstat, F_GETFL, CLOEXEC, /proc/self/fd and fork
 * behave), registered in ip_vfds. With @fd >= 0, that already open
 * placeholder fd is used (and closed on failure). Returns the fd or
 * -1/errno. */
int ip_open_vfile(const struct ip_vnode *vnode, int flags, int fd);
/* Display capture (capture.c): registers @dev, just created, for what
 * UDRM_CAPTURE* ask (nothing if unset). */
void ip_capture_device(struct udrm_device *dev);
/* Writes what exit would write now (once: exit then writes nothing). For
 * a host, whose clients have gone. */
void ip_capture_flush(void);

/* ---- server mode (remote.c) ----
 *
 * With UDRM_SERVER set the devices live in a device server: ip_state is
 * read from the server's manifest, device fds are the sockets the server
 * hands over (their table entries have no file), and the calls below go
 * to the server. The host side is host.c. */
extern bool ip_remote;

/* Whether the devices live in a server; initialises udrm (connects) if
 * UDRM_SERVER says so and that is not done yet. */
bool ip_server_mode(void);
/* Remembers the server's socket and prepares the connections. */
int ip_remote_setup(const char *server_path);
/* Fills ip_state from the manifest of the server whose tree is @root.
 * 0 or -errno (after printing why). */
int ip_read_manifest(const char *root);
/* Opens @node in the server: a program fd, or -1/errno. */
int ip_remote_open(const struct ip_node *node, int flags);
/* A device fd the table does not know (inherited across exec, received
 * over a socket) made known: its entry (a reference), or NULL if it is
 * none of the server's. */
struct ipfd_entry *ip_remote_adopt(int fd);
/* ioctl on device fd @fd in the server: >= 0 or -errno. */
int ip_remote_ioctl(int fd, unsigned long request, void *arg);
/* ioctl on a non-device fd that may be the server's dma-buf or sync_file:
 * -ENOTTY when it is not. */
int ip_remote_fd_ioctl(int fd, unsigned long request, void *arg);
int ip_remote_mmap(int fd, void *addr, size_t len, int prot, int flags,
		   uint64_t offset, void **out);
/* udrm_dmabuf_exists() and udrm_dmabuf_poll_fd(), in-process or through
 * the server. */
bool ip_dmabufs_may_exist(void);
int ip_dmabuf_poll_fd(int fd, bool write, int *sync_fd);

/* Device and virtual file operations, in-process or in the server; each
 * returns the result or -errno. @entry is @fd's. */
ssize_t ip_dev_read(int fd, struct ipfd_entry *entry, void *buf, size_t len);
int ip_vf_open(const struct ip_vnode *vnode, int flags, void **of);
void ip_vf_close(void *of);
ssize_t ip_vf_read(void *of, void *buf, size_t len, off_t pos);
ssize_t ip_vf_write(void *of, const void *buf, size_t len, off_t pos);
off_t ip_vf_lseek(void *of, off_t off, int whence);
void ip_vf_set_nonblock(void *of, bool nonblock);
/* The fd whose readiness is the open's, borrowed; < 0: always ready. */
int ip_vf_poll_fd(void *of);

/* Whether any program fd is open on a virtual file (cheap). */
static inline bool ip_vfiles_open(void)
{
	return atomic_load_explicit(&ip_vfds.count, memory_order_relaxed) != 0;
}

#endif
