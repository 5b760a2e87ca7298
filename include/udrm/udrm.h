/* SPDX-License-Identifier: MIT */
/*
 * udrm embedding API: the DRM subsystem as a library.
 *
 * A process creates devices (one DRM driver each, with a primary and/or a
 * render node), opens files on their nodes and issues ioctls exactly as it
 * would on the /dev/dri nodes. The interposer (libudrm-preload.so) is one user
 * of this API; tests, fuzzers and programs that want a private device are
 * others.
 *
 * All functions return 0 or a negative errno unless stated otherwise.
 * User pointers passed to udrm_file_ioctl() (the argument and pointers inside
 * it) are read and written with fault-safe copies: a bad pointer yields
 * -EFAULT, never a crash. The in-process copy installs a SIGSEGV/SIGBUS
 * handler on first use that recovers faults inside udrm's copy routines and
 * forwards every other fault to the handler that was installed before it.
 */
#ifndef UDRM_UDRM_H
#define UDRM_UDRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Node types, numbered as the kernel's enum drm_minor_type. */
enum udrm_node_type {
	UDRM_NODE_PRIMARY = 0,
	UDRM_NODE_RENDER = 2,
};

/* First minor of each node type, as in the kernel (card0 = 226:0). */
#define UDRM_MINOR_PRIMARY_BASE 0
#define UDRM_MINOR_RENDER_BASE	128
#define UDRM_DRM_MAJOR		226

/* udrm_device_desc.flags */
/* Callers act as if they had CAP_SYS_ADMIN (files start authenticated and
 * may take master from any process). Off by default: a desktop user. */
#define UDRM_DEVICE_PRIVILEGED (1u << 0)
/* Every GEM object gets a memfd of its own instead of a range of an arena,
 * so that its pages can be handed to other processes (the device server,
 * docs/server.md). Costs one fd per object in this process. */
#define UDRM_DEVICE_OBJECT_MEMFDS (1u << 1)

/* Describes one device. Strings are copied by udrm_device_create(). */
struct udrm_device_desc {
	const char *driver;  /* "vkms", "vgem" */
	int primary_minor;   /* 0..63, or -1 for no primary node */
	int render_minor;    /* 128..191, or -1 for no render node */
	unsigned int flags;  /* UDRM_DEVICE_* */
	const char *options; /* driver options "key=value\n...", may be NULL */
};

/*
 * Configuration: an ordered list of device descriptions, parsed from a text
 * file or made by default. Format:
 *
 *   # comment
 *   [device]
 *   driver = vkms
 *   primary = auto | none | <minor>
 *   render = auto | none | <minor>
 *   privileged = false | true
 *   <any other key> = <value>     (passed to the driver as an option)
 *
 * "auto" assigns the next free minor of the node type, in file order; a
 * render node is given only to drivers that support one. The default
 * configuration is vkms (card0) then vgem (card1, renderD128).
 *
 * A config is immutable after creation and may be read from any thread.
 */
struct udrm_config;

/* Parses @text. On error returns -EINVAL and writes "line N: reason" to
 * @err (if not NULL). The caller owns *out and frees it with
 * udrm_config_free(). */
int udrm_config_parse(const char *text, struct udrm_config **out, char *err,
		      size_t errlen);
/* Reads and parses the file at @path; -errno if it cannot be read. A NULL
 * or empty @path gives the default configuration. */
int udrm_config_load(const char *path, struct udrm_config **out, char *err,
		     size_t errlen);
/* The default configuration; the caller owns *out. */
int udrm_config_default(struct udrm_config **out);
size_t udrm_config_device_count(const struct udrm_config *cfg);
/* Borrowed pointer, valid until udrm_config_free(). */
const struct udrm_device_desc *udrm_config_device(const struct udrm_config *cfg,
						  size_t index);
void udrm_config_free(struct udrm_config *cfg);

/* ---- devices ---- */

struct udrm_device;

/* Creates a device. -ENODEV for an unknown driver, -EINVAL for a bad minor
 * or a render node on a driver without render support. The caller owns
 * *out. Thread-safe. */
int udrm_device_create(const struct udrm_device_desc *desc,
		       struct udrm_device **out);
/* Destroys a device. Files still open are closed first. The caller must not
 * use the device or its files concurrently. */
void udrm_device_destroy(struct udrm_device *dev);

/* Read-only facts about a device, valid for its lifetime, any thread. */
const char *udrm_device_driver_name(const struct udrm_device *dev);
const char *udrm_device_driver_desc(const struct udrm_device *dev);
/* The bus id the kernel reports (GET_UNIQUE), e.g. "vkms" for a platform
 * device named vkms. */
const char *udrm_device_unique(const struct udrm_device *dev);
/* The minor of @type, or -1 if the device has no such node. */
int udrm_device_minor(const struct udrm_device *dev, enum udrm_node_type type);

/* ---- files ---- */

struct udrm_file;

/*
 * Opens a file on node @type. @open_flags are the open(2) flags
 * (O_ACCMODE, O_NONBLOCK, O_CLOEXEC are honoured). The file owns a pollable
 * fd (udrm_file_fd()) that is readable while events are pending.
 * The caller owns *out and closes it with udrm_file_close(). Thread-safe.
 */
int udrm_file_open(struct udrm_device *dev, enum udrm_node_type type,
		   int open_flags, struct udrm_file **out);

/*
 * The ioctl entry point: @cmd is the full ioctl number, @arg the user
 * pointer. Returns 0 (or a positive value some ioctls define) or -errno,
 * as the kernel's drm_ioctl(). Thread-safe: several threads may be in
 * ioctls on the same file.
 */
int udrm_file_ioctl(struct udrm_file *file, unsigned long cmd, void *arg);

/*
 * mmap(2) on the file: maps the GEM object at fake offset @offset.
 * On success *out is the mapping (placed at @addr if MAP_FIXED). The mapping
 * belongs to the caller and is released with munmap(2); it stays valid after
 * the object's handles are closed. Errors as the kernel: -EINVAL for an
 * unknown offset, a length past the object or a private mapping, -EACCES if
 * the file has no handle to the object or lacks the access @prot asks for.
 */
int udrm_file_mmap(struct udrm_file *file, void *addr, size_t len, int prot,
		   int flags, uint64_t offset, void **out);

/*
 * What udrm_file_mmap() would map, for a transport whose client maps it
 * itself: the same checks, then *fd (a new fd the caller closes: read-write
 * when @prot has PROT_WRITE, else read-only) and *fd_offset to give to
 * mmap(2). Needs UDRM_DEVICE_OBJECT_MEMFDS (an arena must not be handed
 * out: -EOPNOTSUPP).
 */
int udrm_file_mmap_target(struct udrm_file *file, size_t len, int prot,
			  int flags, uint64_t offset, int *fd,
			  uint64_t *fd_offset);

/*
 * read(2) on the file: copies whole pending struct drm_event records into
 * @buf (a user pointer), as many as fit. Returns the number of bytes, 0 if
 * the first pending event does not fit, -EAGAIN if none is pending and the
 * file is non-blocking (O_NONBLOCK on the file or on its pollable fd),
 * -EINTR if a signal interrupted a blocking wait, -EFAULT for a bad @buf.
 */
ssize_t udrm_file_read(struct udrm_file *file, void *buf, size_t len);

/* The pollable fd, owned by the file (do not close it). POLLIN while events
 * are pending. Duplicate it to hand it to a program. */
int udrm_file_fd(const struct udrm_file *file);

/* Hands the file's pollable fd (udrm_file_fd()) over to the caller, who
 * owns it from then on: closing the file no longer closes it. For a
 * transport that passes it to another process. The fd, or -EBADF when it
 * was handed over already. */
int udrm_file_take_fd(struct udrm_file *file);

/* The device and node of an open file. */
struct udrm_device *udrm_file_device(const struct udrm_file *file);
enum udrm_node_type udrm_file_node_type(const struct udrm_file *file);

/* Closes the file as the last close(2) of a DRM fd would: handles are
 * released, master is dropped, pending events are discarded. The caller must
 * not use @file afterwards, nor concurrently. */
void udrm_file_close(struct udrm_file *file);

/*
 * DRM_IOCTL_MODE_CREATE_LEASE makes a new file (the lessee's) on the
 * device and returns its pollable fd (udrm_file_fd()) in the argument's
 * fd field. Whoever hands that fd to a program takes the file here: this
 * returns the file created by a CREATE_LEASE whose returned fd is @fd and
 * forgets it (NULL if there is none). The caller then owns the file and
 * closes it with udrm_file_close(); an untaken file is closed with its
 * device. Thread-safe.
 */
struct udrm_file *udrm_lease_take_file(int fd);

/* ---- dma-bufs ---- */

/*
 * ioctl(2) on a dma-buf fd exported by any udrm device of this process
 * (PRIME_HANDLE_TO_FD), as the kernel's dma_buf_ioctl(): DMA_BUF_IOCTL_SYNC
 * (START waits for the fences of the requested access on the buffer's
 * reservation, without a timeout and, unlike the kernel, without being
 * interrupted by signals; END returns at once), DMA_BUF_SET_NAME, and
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE / IMPORT_SYNC_FILE (a sync_file of the
 * reservation's fences for an access, or a sync_file's fences added to it).
 * Returns 0 or -errno; -ENOTTY if @fd is not a udrm dma-buf (the caller
 * then passes the ioctl to the real file) or for another dma-buf ioctl.
 * Thread-safe; @arg is read with fault-safe copies.
 */
int udrm_dmabuf_ioctl(int fd, unsigned long cmd, void *arg);

/* Whether this process has any udrm dma-buf with a reservation (cheap, no
 * lock): poll() wrappers skip the check below when it has none. */
bool udrm_dmabuf_exists(void);

/*
 * poll(2) support for udrm dma-buf fds, as the kernel's dma_buf_poll():
 * POLLIN waits for the buffer's writers, POLLOUT (@write) for all its
 * fences. Returns -ENOTTY if @fd is not a udrm dma-buf with a reservation
 * (such an fd is always ready). Otherwise 0 and *sync_fd is -1 if the
 * access need not wait, or a sync_file fd (the caller closes it) that polls
 * POLLIN once it need not. -errno on failure.
 */
int udrm_dmabuf_poll_fd(int fd, bool write, int *sync_fd);

/* ---- sync_files ---- */

/*
 * ioctl(2) on a sync_file fd made by udrm (DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD
 * with EXPORT_SYNC_FILE, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, SYNC_IOC_MERGE),
 * as the kernel's sync_file_ioctl(): SYNC_IOC_MERGE, SYNC_IOC_FILE_INFO and
 * SYNC_IOC_SET_DEADLINE. The fd polls POLLIN once its fences have
 * signalled. Returns 0 or -errno; -ENOTTY if @fd is not a udrm sync_file
 * (the caller then passes the ioctl to the real file) or for another
 * ioctl. Thread-safe; @arg is accessed with fault-safe copies. @fd is
 * this process's; a transport serving another process sets its caller
 * (core/uaccess.h) and @arg and the fds in it are then the caller's.
 */
int udrm_sync_file_ioctl(int fd, unsigned long cmd, void *arg);

/* ---- virtual files (sysfs and debugfs entries published by drivers) ---- */

/* Where a virtual file lives. Paths are relative to:
 * - UDRM_VFILE_SYSFS: the card's sysfs directory
 *   (/sys/class/drm/card<N>/, e.g. "card0-Virtual-1/status");
 * - UDRM_VFILE_DEBUGFS: the card's debugfs directory
 *   (/sys/kernel/debug/dri/<N>/, e.g. "crtc-0/crc/control"). */
enum udrm_vfile_root {
	UDRM_VFILE_SYSFS,
	UDRM_VFILE_DEBUGFS,
};

struct udrm_vfile;	/* one published file */
struct udrm_vfile_open; /* one open of it */

/* Calls @fn for every virtual file of @dev (at tree creation: the
 * interposer makes a placeholder for each). @mode is 0444, 0644 or 0200
 * style permission bits. Stops and returns @fn's value if non-zero. */
int udrm_device_for_each_vfile(struct udrm_device *dev,
			       int (*fn)(void *ctx, enum udrm_vfile_root root,
					 const char *path, unsigned int mode,
					 struct udrm_vfile *vfile),
			       void *ctx);

/*
 * Opens @vfile with open(2) @flags (O_ACCMODE and O_NONBLOCK matter).
 * -EACCES for an access mode the file does not allow, or the file's own
 * error (the CRC data file: -EBUSY... see the driver). Thread-safe.
 */
int udrm_vfile_open(struct udrm_vfile *vfile, int flags,
		    struct udrm_vfile_open **out);
/* read(2)/write(2) at the open's position (pread/pwrite with @pos >= 0).
 * User buffers are accessed with fault-safe copies (-EFAULT). Returns bytes
 * or -errno (-EAGAIN when non-blocking and nothing is ready; may block
 * otherwise). */
ssize_t udrm_vfile_read(struct udrm_vfile_open *of, void *buf, size_t len,
			off_t pos);
ssize_t udrm_vfile_write(struct udrm_vfile_open *of, const void *buf,
			 size_t len, off_t pos);
off_t udrm_vfile_lseek(struct udrm_vfile_open *of, off_t off, int whence);
/* Sets or clears O_NONBLOCK (fcntl F_SETFL). */
void udrm_vfile_set_nonblock(struct udrm_vfile_open *of, bool nonblock);
/* An fd that polls POLLIN while a read would not block, or -1 when the
 * file is always ready (regular sysfs/debugfs files). Owned by @of. */
int udrm_vfile_poll_fd(struct udrm_vfile_open *of);
void udrm_vfile_close(struct udrm_vfile_open *of);

/* ---- frames (what a display shows) ---- */

/*
 * One composed frame of a CRTC, as the display shows it: 8 bits per
 * channel in DRM_FORMAT_BGR888 (drm_fourcc.h: each pixel 3 bytes, a
 * little-endian 24-bit value [23:0] B:G:R, so bytes R, G, B in memory, the
 * order of an 8-bit RGB PNG row), each channel the composer's 16-bit value
 * rounded to 8 bits. Lines are @stride bytes apart (at least width * 3).
 * Read @format before the pixels: it is the only format today, but a
 * reader that finds another should refuse the frame.
 */
struct udrm_frame {
	unsigned int crtc; /* CRTC index */
	uint64_t sequence; /* vblank count it was composed for */
	uint32_t width, height;
	size_t stride;	 /* bytes from one line to the next */
	uint32_t format; /* DRM fourcc of @pixels: DRM_FORMAT_BGR888 */
	const void *pixels;
};

/*
 * Asks the driver of @dev to keep the last composed frame of every CRTC
 * (udrm_device_last_frame) and, if @fn is not NULL, to call @fn for each
 * composed frame (on the driver's composer thread; @fn must not call back
 * into the device). Returns -EOPNOTSUPP for drivers without a display.
 */
int udrm_device_capture(struct udrm_device *dev,
			void (*fn)(void *ctx, struct udrm_device *dev,
				   const struct udrm_frame *frame),
			void *ctx);
/*
 * A copy of the last frame CRTC @crtc showed with a program's
 * framebuffers on it: frames composed after a framebuffer was removed from
 * the screen (RMFB, closing the file) do not replace it, so a program that
 * cleans up before exit still leaves its picture. The caller frees
 * frame->pixels with free(). -ENOENT when none was composed, -EINVAL for a
 * bad index, -EOPNOTSUPP for drivers without a display.
 */
int udrm_device_last_frame(struct udrm_device *dev, unsigned int crtc,
			   struct udrm_frame *frame);

/* Names for messages: "card0", "renderD128". Writes at most @len bytes. */
void udrm_node_name(enum udrm_node_type type, int minor, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
