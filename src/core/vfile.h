/* SPDX-License-Identifier: MIT */
/*
 * Virtual files: the sysfs attributes and debugfs entries a driver
 * publishes (a connector's "status", a CRTC's "crc/control" and
 * "crc/data"). The core keeps them per device; the embedding API
 * (udrm_device_for_each_vfile, udrm_vfile_open/read/write/...) serves them
 * to the interposer, which shows them at /sys/class/drm/card<N>/... and
 * /sys/kernel/debug/dri/<N>/....
 *
 * Two kinds, as in the kernel:
 * - attribute files (sysfs show/store, debugfs seq_file): show() prints the
 *   whole content into a buffer, like snprintf; a read at offset 0 (or the
 *   first read of an open) calls it and later reads at other offsets are
 *   served from that copy, as seq_file does. The file is seekable
 *   (SEEK_SET, SEEK_CUR). A write(2) passes the whole written buffer, cut to
 *   UDRM_VFILE_STORE_MAX bytes, to store(), as sysfs does.
 * - stream files (drm_debugfs_crc.c's "data"): read() hands over what is
 *   ready, may block unless non-blocking, and the file polls readable
 *   through an fd the driver makes readable (poll_fd). Not seekable
 *   (-ESPIPE for lseek and pread).
 *
 * Lifetime: a vfile lives from udrm_vfile_add() until it is removed
 * (udrm_vfile_remove(), udrm_vfile_remove_all(), or the core at device
 * destruction). Removal waits for callbacks in progress on the file to
 * return, then calls release() for every open still there; the opens stay
 * valid for the caller of the embedding API and fail with -ENODEV from then
 * on. When the core removes what is left at device destruction the driver
 * is already gone, so release() is NOT called then: a driver whose
 * release() matters calls udrm_vfile_remove_all() first in its unload().
 * A driver whose read() blocks must make blocked reads return before it
 * removes the file.
 *
 * Locking: dev->lock protects the device's vfile list, each vfile's list of
 * opens and their in-progress counts; it is never held while a callback
 * runs. Each open has a mutex of its own for its position and its copy of
 * the content, held across show() and store() (so those of one open are
 * serialised, as sysfs serialises them per open file) but not across a
 * stream read(). Callbacks may take the driver's locks and dev->lock; they
 * must not call udrm_vfile_* functions on the same open.
 */
#ifndef UDRM_CORE_VFILE_H
#define UDRM_CORE_VFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "udrm/udrm.h"

/* What show() is given first (sysfs's PAGE_SIZE buffer); a show() that
 * returns more is called again with a larger buffer, up to
 * UDRM_VFILE_SHOW_MAX, as seq_file retries. */
#define UDRM_VFILE_SHOW_SIZE 4096
#define UDRM_VFILE_SHOW_MAX  (16u << 20)
/* The most one write(2) passes to store() (sysfs: PAGE_SIZE). */
#define UDRM_VFILE_STORE_MAX 4096
/* Longest path, relative to the root. */
#define UDRM_VFILE_PATH_MAX 256

/*
 * The callbacks of a vfile. @data is what was given to udrm_vfile_add(),
 * @priv what open() stored (NULL without open()). Each is optional, but a
 * readable file (mode has a read bit) needs show or read, a writable one
 * store; show and read exclude each other.
 */
struct udrm_vfile_ops {
	/* At each open, with the open(2) flags; 0 or -errno to refuse
	 * (-EBUSY, -EIO...). May set *priv. */
	int (*open)(void *data, int flags, void **priv);
	/* Undoes open() at the last close of the open (or at removal). */
	void (*release)(void *data, void *priv);
	/* Attribute content: prints into @buf (@len bytes), returns the
	 * length the content has (as snprintf: may exceed @len - 1, then
	 * show is called again with a larger buffer) or -errno. */
	int (*show)(void *data, char *buf, size_t len);
	/* A write: the whole written buffer, NUL-terminated (@buf[@len] is
	 * 0). Returns the bytes consumed (usually @len) or -errno. */
	int (*store)(void *data, const char *buf, size_t len);
	/* Stream read into @buf (the core's buffer, @len bytes): returns the
	 * bytes given, 0 at end of file, -EAGAIN if nothing is ready and
	 * @nonblock, else blocks. */
	ssize_t (*read)(void *data, void *priv, char *buf, size_t len,
			bool nonblock);
	/* Stream files: an fd, owned by the driver and valid until release,
	 * that polls POLLIN while read() would not block. NULL or -1: the
	 * file is always ready. */
	int (*poll_fd)(void *data, void *priv);
};

/*
 * Publishes a file at @path (relative to @root, see enum udrm_vfile_root;
 * components separated by '/', no "." or "..", at most
 * UDRM_VFILE_PATH_MAX - 1 bytes). @mode: permission bits (0444, 0644,
 * 0200...). @ops is copied. Returns 0, -EINVAL for a bad path, mode or set
 * of ops, -EEXIST if @path is taken, -ENOMEM. Any thread; drivers call it
 * from load() so the interposer's tree shows the file.
 */
int udrm_vfile_add(struct udrm_device *dev, enum udrm_vfile_root root,
		   const char *path, unsigned int mode,
		   const struct udrm_vfile_ops *ops, void *data);

/* An attribute file: show() and/or store() (either may be NULL). */
int udrm_vfile_add_simple(struct udrm_device *dev, enum udrm_vfile_root root,
			  const char *path, unsigned int mode,
			  int (*show)(void *data, char *buf, size_t len),
			  int (*store)(void *data, const char *buf, size_t len),
			  void *data);

/* A stream file: read-only, with open/read/poll_fd/release (open,
 * poll_fd and release may be NULL). */
int udrm_vfile_add_stream(struct udrm_device *dev, enum udrm_vfile_root root,
			  const char *path, unsigned int mode,
			  int (*open)(void *data, int flags, void **priv),
			  ssize_t (*read)(void *data, void *priv, char *buf,
					  size_t len, bool nonblock),
			  int (*poll_fd)(void *data, void *priv),
			  void (*release)(void *data, void *priv), void *data);

/* Removes the file at @root/@path (see "Lifetime" above). -ENOENT if
 * there is none. Must not be called from a callback of that file. */
int udrm_vfile_remove(struct udrm_device *dev, enum udrm_vfile_root root,
		      const char *path);
/* Removes every file of @dev, calling release() for their opens. */
void udrm_vfile_remove_all(struct udrm_device *dev);

/* For device_free(): removes what is left without calling back into the
 * driver (already unloaded). No other thread may use the device. */
void udrm_vfile_device_fini(struct udrm_device *dev);

#endif
