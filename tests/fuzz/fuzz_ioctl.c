// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the DRM core, through the embedding API only.
 *
 * Each input is a program: a sequence of operations (open and close files,
 * random ioctls, the core's own ioctls with fuzzed fields, mmap, read),
 * each an opcode byte followed by its operands. Missing bytes read as
 * zero, so every input is valid. At the end every file and every fd the
 * core handed out is closed; the devices persist across inputs.
 *
 * Oracles besides the sanitizers: no fd the core made for a GEM object or
 * a dma-buf may outlive the files that reference it, and the process's
 * fd count must come back to where it was.
 *
 * User pointers the core dereferences must never reach memory the fuzzer
 * does not own (the copies are fault-safe, not corruption-safe), so every
 * pointer is either ours (the scratch area), unmapped (the guard area, low
 * or non-canonical addresses) or rewritten to one of those ("taming").
 */
#include <dirent.h>
#include <drm.h>
#include <drm_fourcc.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sync_file.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "udrm/udrm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PAGE_SIZE 4096u
/* Layout of the memory the fuzzer lends the core as "user memory":
 * [scratch: read-write][one read-only page][guard: no access]. A copy that
 * runs off the end of the scratch area faults instead of spilling. */
#define FUZZ_SCRATCH_SIZE (8u * 1024)
#define FUZZ_RO_SIZE	  FUZZ_PAGE_SIZE
#define FUZZ_GUARD_SIZE	  (64u * 1024)
#define FUZZ_REGION_SIZE  (FUZZ_SCRATCH_SIZE + FUZZ_RO_SIZE + FUZZ_GUARD_SIZE)
/* Below this nothing can be mapped (vm.mmap_min_addr is at least a page);
 * at and above the core's user address limit copies are refused. */
#define FUZZ_LOW_ADDR	4096ull
#define FUZZ_USER_LIMIT (1ull << 47)

#define FUZZ_MAX_STEPS	   256
#define FUZZ_MAX_FILES	   6
#define FUZZ_MAX_LEASES	   2
#define FUZZ_MAX_DEVICES   4
#define FUZZ_RING	   16
#define FUZZ_MAX_FDS	   16
#define FUZZ_MAX_LIVE_MAPS 8
/* Dumb buffers above this are shrunk: memory stays bounded, and exporting
 * an object copies it. */
#define FUZZ_DUMB_MAX_BYTES (4ull << 20)
#define FUZZ_ARG_MAX	    512u

struct fuzz_stream {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

struct fuzz_object {
	uint32_t handle;
	uint64_t size;
	/* Dumb buffers: their geometry (framebuffers over them), else 0. */
	uint32_t width, height, bpp, pitch;
};

struct fuzz_mapping {
	uint64_t offset;
	uint64_t size;
};

/* A mapping kept across operations: the core may move its pages (a PRIME
 * export relocates an object) and must keep every mapping of one object
 * coherent. Mappings of one object share (dev, offset). */
struct fuzz_live_map {
	uint8_t *addr;
	size_t len;
	const struct udrm_device *dev;
	uint64_t offset;
};

/* What one input has made; everything here is released at its end. */
struct fuzz_state {
	struct udrm_file *files[FUZZ_MAX_FILES];
	/* Lessee files of CREATE_LEASE (udrm_lease_take_file): the oldest
	 * is closed when a new one comes. */
	struct udrm_file *lease_files[FUZZ_MAX_LEASES];
	unsigned int nlease_files;
	struct fuzz_object objects[FUZZ_RING];
	unsigned int nobjects;
	uint32_t names[FUZZ_RING];
	unsigned int nnames;
	uint32_t magics[FUZZ_RING];
	unsigned int nmagics;
	struct fuzz_mapping mappings[FUZZ_RING];
	unsigned int nmappings;
	int fds[FUZZ_MAX_FDS];
	unsigned int nfds;
	struct fuzz_live_map live[FUZZ_MAX_LIVE_MAPS];
	unsigned int nlive;
	/* KMS: ids the core returned (mode objects, properties,
	 * framebuffers, blobs, lessees). */
	uint32_t kms_objs[FUZZ_RING];
	unsigned int nkms_objs;
	uint32_t kms_props[FUZZ_RING];
	unsigned int nkms_props;
	uint32_t fbs[FUZZ_RING];
	unsigned int nfbs;
	uint32_t blobs[FUZZ_RING];
	unsigned int nblobs;
	uint32_t lessees[FUZZ_RING];
	unsigned int nlessees;
	/* A commit or a legacy modeset succeeded: the display state must be
	 * put back before the next input. */
	bool kms_dirty;
	/* Commits that may wait for a vblank (~16 ms) left to this input. */
	unsigned int blocking_left;
};

static struct udrm_device *fuzz_devices[FUZZ_MAX_DEVICES];
static size_t fuzz_ndevices;
static uint8_t *fuzz_region;
static int fuzz_probe[2]; /* pipe for fuzz_addr_dangerous() */
/* A socket that is no sync_file, for fuzz_sweep_sync_files(). */
static int fuzz_sweep_sock[2];
/* FUZZ_IOCTL_TRACE=1 prints every operation, to read a reproducer. */
static bool fuzz_trace;

/* ---- input ---- */

static uint8_t fs_u8(struct fuzz_stream *s)
{
	return s->pos < s->size ? s->data[s->pos++] : 0;
}

static uint16_t fs_u16(struct fuzz_stream *s)
{
	uint16_t v = fs_u8(s);

	return (uint16_t)(v | fs_u8(s) << 8);
}

static uint32_t fs_u32(struct fuzz_stream *s)
{
	uint32_t v = fs_u16(s);

	return v | (uint32_t)fs_u16(s) << 16;
}

static uint64_t fs_u64(struct fuzz_stream *s)
{
	uint64_t v = fs_u32(s);

	return v | (uint64_t)fs_u32(s) << 32;
}

static void fs_bytes(struct fuzz_stream *s, void *dst, size_t n)
{
	size_t avail = s->size - s->pos < n ? s->size - s->pos : n;

	memcpy(dst, s->data + s->pos, avail);
	memset((uint8_t *)dst + avail, 0, n - avail);
	s->pos += avail;
}

struct fuzz_fd_census {
	int sockets;
	int objects;
};
static struct fuzz_fd_census fuzz_baseline;

/* ---- user memory ---- */

/* Whether [p, p + len) lies in the scratch area (integer compares: @p may
 * be any value). */
static bool fuzz_in_scratch(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)fuzz_region;

	return a >= base && len <= FUZZ_SCRATCH_SIZE &&
	       a - base <= FUZZ_SCRATCH_SIZE - len;
}

static uint8_t *fuzz_scratch(size_t offset)
{
	return fuzz_region + offset % FUZZ_SCRATCH_SIZE;
}

/* Whether the core could corrupt memory through @addr: readable memory
 * (writable memory is readable on every target) that is not ours.
 * Unreadable or unmapped memory is harmless: the copies fault safely. The
 * probe is a raw write(2) to a pipe, which fails with EFAULT instead of
 * faulting, and bypasses the sanitizers' interceptors. */
static bool fuzz_addr_dangerous(uint64_t addr)
{
	uint64_t base = (uint64_t)(uintptr_t)fuzz_region;
	char c;

	if (addr < FUZZ_LOW_ADDR || addr >= FUZZ_USER_LIMIT)
		return false;
	if (addr >= base && addr < base + FUZZ_REGION_SIZE)
		return false;
	if (syscall(SYS_write, fuzz_probe[1], (void *)(uintptr_t)addr, 1) != 1)
		return false;
	syscall(SYS_read, fuzz_probe[0], &c, 1);
	return true;
}

/* A pointer the core may follow: unchanged if harmless, otherwise moved
 * into our region (keeping low bits for variety). */
static uint64_t fuzz_tame_ptr(uint64_t v)
{
	if (!fuzz_addr_dangerous(v))
		return v;
	return (uint64_t)(uintptr_t)fuzz_region + v % FUZZ_REGION_SIZE;
}

/* Tames every 64-bit word of [buf, buf + len) at every byte offset
 * (pointers may be unaligned, and the core follows them to any depth).
 * A rewritten word changes the words overlapping it, so repeat until
 * nothing changes; give up by clearing the area, which is always safe.
 * Returns whether anything was rewritten. */
static bool fuzz_tame_area(uint8_t *buf, size_t len)
{
	bool changed_any = false;
	int pass;

	for (pass = 0; pass < 4; pass++) {
		bool changed = false;
		size_t i;

		for (i = 0; i + 8 <= len; i++) {
			uint64_t v, t;

			memcpy(&v, buf + i, 8);
			/* Quick reject: most words are small or huge. */
			if (v < FUZZ_LOW_ADDR || v >= FUZZ_USER_LIMIT)
				continue;
			t = fuzz_tame_ptr(v);
			if (t != v) {
				memcpy(buf + i, &t, 8);
				changed = true;
			}
		}
		if (!changed)
			return changed_any;
		changed_any = true;
	}
	memset(buf, 0, len);
	return true;
}

/* Scratch contents may be followed by the core as pointer chains of any
 * depth (arrays of structs with pointers), so all of it is tamed. */
static void fuzz_tame_scratch(void)
{
	fuzz_tame_area(fuzz_region, FUZZ_SCRATCH_SIZE);
}

/* A user pointer for an object of @len bytes: mostly valid, sometimes
 * straddling the end of the scratch area, read-only, unmapped, NULL or
 * outside user space. */
static void *fuzz_pick_ptr(struct fuzz_stream *s, size_t len)
{
	static const uint64_t wild[] = {
		FUZZ_USER_LIMIT - 8,   FUZZ_USER_LIMIT,
		0xffff800000000000ull, 0xffffffffffffffffull,
		0xfffffffffffff000ull, 1,
		FUZZ_LOW_ADDR - 1,     0x8000000000000000ull,
	};
	uint8_t sel = fs_u8(s);
	size_t off;

	if (len > FUZZ_SCRATCH_SIZE)
		len = FUZZ_SCRATCH_SIZE;
	switch (sel % 10) {
	case 0:
		return NULL;
	case 1:
		/* Straddles the read-only page: reads work, writes fault. */
		off = fs_u8(s) % (len + 1);
		return fuzz_region + FUZZ_SCRATCH_SIZE - off;
	case 2:
		return fuzz_region + FUZZ_SCRATCH_SIZE +
		       fs_u16(s) % FUZZ_RO_SIZE;
	case 3:
		return fuzz_region + FUZZ_SCRATCH_SIZE + FUZZ_RO_SIZE +
		       fs_u16(s) % FUZZ_GUARD_SIZE;
	case 4:
		return (void *)(uintptr_t)fuzz_tame_ptr(
			wild[fs_u8(s) % (sizeof(wild) / sizeof(wild[0]))]);
	default:
		/* Whole object inside the scratch area. */
		off = fs_u16(s) % (FUZZ_SCRATCH_SIZE - len + 1);
		if (!(sel & 0x80))
			off &= ~(size_t)7;
		return fuzz_region + off;
	}
}

/* Where a known ioctl's argument goes: nearly always valid, so that the
 * handler runs. */
static void *fuzz_pick_arg(struct fuzz_stream *s, size_t len)
{
	uint8_t sel = fs_u8(s);

	if (sel >= 0xf0)
		return fuzz_pick_ptr(s, len);
	return fuzz_scratch((size_t)(sel & 0x3f) * 8);
}

/* ---- bookkeeping ---- */

static void fuzz_remember_object(struct fuzz_state *st, uint32_t handle,
				 uint64_t size)
{
	st->objects[st->nobjects++ % FUZZ_RING] =
		(struct fuzz_object){.handle = handle, .size = size};
}

static uint64_t fuzz_object_size(const struct fuzz_state *st, uint32_t handle)
{
	unsigned int i, n = st->nobjects < FUZZ_RING ? st->nobjects : FUZZ_RING;

	for (i = 0; i < n; i++)
		if (st->objects[i].handle == handle)
			return st->objects[i].size;
	return FUZZ_PAGE_SIZE;
}

static uint32_t fuzz_pick_from(struct fuzz_stream *s, const uint32_t *ring,
			       unsigned int count)
{
	uint8_t sel = fs_u8(s);
	unsigned int n = count < FUZZ_RING ? count : FUZZ_RING;

	if (n && sel < 0xc0)
		return ring[sel % n];
	if (sel < 0xf0)
		return sel & 0xf;
	return fs_u32(s);
}

static uint32_t fuzz_pick_handle(struct fuzz_stream *s,
				 const struct fuzz_state *st)
{
	uint32_t ring[FUZZ_RING];
	unsigned int i, n = st->nobjects < FUZZ_RING ? st->nobjects : FUZZ_RING;

	for (i = 0; i < n; i++)
		ring[i] = st->objects[i].handle;
	return fuzz_pick_from(s, ring, n);
}

static void fuzz_remember_u32(uint32_t *ring, unsigned int *count,
			      uint32_t value)
{
	ring[(*count)++ % FUZZ_RING] = value;
}

/* Keeps an fd the core returned; the oldest is closed when full. */
static void fuzz_remember_fd(struct fuzz_state *st, int fd)
{
	unsigned int slot = st->nfds++ % FUZZ_MAX_FDS;

	if (st->nfds > FUZZ_MAX_FDS)
		close(st->fds[slot]);
	st->fds[slot] = fd;
}

static unsigned int fuzz_fd_count(const struct fuzz_state *st)
{
	return st->nfds < FUZZ_MAX_FDS ? st->nfds : FUZZ_MAX_FDS;
}

static int fuzz_pick_fd(struct fuzz_stream *s, const struct fuzz_state *st)
{
	uint8_t sel = fs_u8(s);
	unsigned int n = fuzz_fd_count(st);

	if (n && sel < 0xa0)
		return st->fds[sel % n];
	if (sel < 0xe0)
		return sel & 0x3f; /* whatever is open there, or nothing */
	return (int)fs_u32(s);
}

/* One of the opened files (selector 0..5 mod 8) or a lessee file. */
static struct udrm_file *fuzz_pick_file(struct fuzz_stream *s,
					const struct fuzz_state *st)
{
	uint8_t sel = fs_u8(s);

	if (sel % 8 < FUZZ_MAX_FILES)
		return st->files[sel % 8];
	return st->lease_files[(sel >> 3) % FUZZ_MAX_LEASES];
}

/* A CREATE_LEASE returned the lessee file's own fd: the fuzzer takes the
 * file (and never closes that fd itself). */
static void fuzz_take_lease(struct fuzz_state *st, int fd)
{
	struct udrm_file *file = udrm_lease_take_file(fd);
	unsigned int slot = st->nlease_files++ % FUZZ_MAX_LEASES;

	if (fuzz_trace)
		fprintf(stderr, "  lease fd %d -> file %p\n", fd, (void *)file);
	if (!file) {
		st->nlease_files--;
		return;
	}
	if (st->lease_files[slot])
		udrm_file_close(st->lease_files[slot]);
	fcntl(udrm_file_fd(file), F_SETFL, O_NONBLOCK);
	st->lease_files[slot] = file;
}

/* ---- argument taming per ioctl ---- */

/* Keeps width * height * cpp at most FUZZ_DUMB_MAX_BYTES unless the core
 * must refuse it anyway (more than 32 bits). */
static void fuzz_tame_dumb(struct drm_mode_create_dumb *args)
{
	uint64_t cpp = ((uint64_t)args->bpp + 7) / 8;
	uint64_t row = cpp * args->width; /* < 2^62 */
	uint64_t bytes;

	if (row > UINT32_MAX)
		return;
	bytes = row * args->height; /* < 2^64 */
	if (bytes <= FUZZ_DUMB_MAX_BYTES || bytes > UINT32_MAX)
		return;
	args->width &= 0x3ff;
	args->height &= 0x3ff;
	args->bpp &= 0x1f;
}

/* ioctls that return a new fd, and where: for these the fuzzer always
 * passes the right size and a valid pointer, so that it learns the fd and
 * can close it (as the kernel, a failed copy-out would leak it). */
struct fuzz_fd_ioctl {
	unsigned long cmd;
	size_t fd_offset;
};

static const struct fuzz_fd_ioctl fuzz_fd_ioctls[] = {
	{DRM_IOCTL_PRIME_HANDLE_TO_FD, offsetof(struct drm_prime_handle, fd)},
	{DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD,
	 offsetof(struct drm_syncobj_handle, fd)},
	{DRM_IOCTL_MODE_CREATE_LEASE,
	 offsetof(struct drm_mode_create_lease, fd)},
};

static const struct fuzz_fd_ioctl *fuzz_find_fd_ioctl(unsigned long cmd)
{
	size_t i;

	if (_IOC_TYPE(cmd) != DRM_IOCTL_BASE)
		return NULL;
	for (i = 0; i < sizeof(fuzz_fd_ioctls) / sizeof(fuzz_fd_ioctls[0]); i++)
		if (_IOC_NR(fuzz_fd_ioctls[i].cmd) == _IOC_NR(cmd))
			return &fuzz_fd_ioctls[i];
	return NULL;
}

/* Keeps a dumb buffer's size bounded, whoever issues CREATE_DUMB. */
static void fuzz_tame_dumb_arg(uint8_t *arg)
{
	struct drm_mode_create_dumb d;

	memcpy(&d, arg, sizeof(d));
	fuzz_tame_dumb(&d);
	memcpy(arg, &d, sizeof(d));
}

/* Waits take an absolute CLOCK_MONOTONIC deadline: one in the future may
 * legitimately block until then (a wait for submit, an unsignalled
 * fence), which would read as a hang. Past and zero deadlines stay. */
static void fuzz_tame_deadline(uint8_t *field)
{
	struct timespec ts;
	int64_t deadline, limit;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	limit = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 1000000;
	memcpy(&deadline, field, sizeof(deadline));
	if (deadline > limit)
		memcpy(field, &limit, sizeof(limit));
}

static void fuzz_tame_syncobj_wait(uint8_t *arg)
{
	fuzz_tame_deadline(arg + 8); /* drm_syncobj_wait.timeout_nsec */
}

static void fuzz_tame_syncobj_timeline_wait(uint8_t *arg)
{
	fuzz_tame_deadline(arg +
			   16); /* drm_syncobj_timeline_wait.timeout_nsec */
}

/* Arguments that must be bounded whatever the ioctl number's size and
 * direction say: by ioctl nr, the bytes the tamer reads. */
struct fuzz_arg_tamer {
	unsigned int nr;
	size_t len;
	void (*tame)(uint8_t *arg);
};

/* Blocking vblank waits left to this input: one may take a frame. */
static unsigned int fuzz_vblank_waits_left;

/* A wait without DRM_VBLANK_EVENT blocks until its count: keep it to the
 * current or the next vblank, and to the budget. */
static void fuzz_tame_wait_vblank(uint8_t *arg)
{
	union drm_wait_vblank w;

	memcpy(&w, arg, sizeof(w.request));
	if (w.request.type & _DRM_VBLANK_EVENT)
		return;
	w.request.type |= _DRM_VBLANK_RELATIVE;
	w.request.type &= ~(unsigned int)_DRM_VBLANK_NEXTONMISS;
	w.request.sequence &= 1;
	if (w.request.sequence) {
		if (fuzz_vblank_waits_left)
			fuzz_vblank_waits_left--;
		else
			w.request.sequence = 0;
	}
	memcpy(arg, &w, sizeof(w.request));
}

static const struct fuzz_arg_tamer fuzz_arg_tamers[] = {
	{_IOC_NR(DRM_IOCTL_MODE_CREATE_DUMB),
	 sizeof(struct drm_mode_create_dumb), fuzz_tame_dumb_arg},
	{_IOC_NR(DRM_IOCTL_SYNCOBJ_WAIT), 16, fuzz_tame_syncobj_wait},
	{_IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT), 24,
	 fuzz_tame_syncobj_timeline_wait},
	{_IOC_NR(DRM_IOCTL_WAIT_VBLANK), sizeof(struct drm_wait_vblank_request),
	 fuzz_tame_wait_vblank},
};

/* An argument only partly in the scratch area runs into the read-only
 * page, whose all-ones bytes read as a negative deadline and a size the
 * core refuses, so only whole arguments need taming. */
static void fuzz_tame_arg(unsigned long cmd, void *arg)
{
	size_t i;

	if (_IOC_TYPE(cmd) != DRM_IOCTL_BASE)
		return;
	for (i = 0; i < sizeof(fuzz_arg_tamers) / sizeof(fuzz_arg_tamers[0]);
	     i++) {
		const struct fuzz_arg_tamer *t = &fuzz_arg_tamers[i];

		if (t->nr == _IOC_NR(cmd) && fuzz_in_scratch(arg, t->len))
			t->tame(arg);
	}
}

/* The fds open in the process, as a bitmap, with the inode behind each:
 * a number closed and reused during a call (a dead sync_file's kept end
 * swept, then a new out fence) is a new fd. */
#define FUZZ_FDSET_MAX 1024
struct fuzz_fdset {
	uint64_t bits[FUZZ_FDSET_MAX / 64];
	ino_t ino[FUZZ_FDSET_MAX];
};

static void fuzz_fdset_take(struct fuzz_fdset *set)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;

	memset(set, 0, sizeof(*set));
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int fd = atoi(de->d_name);
		struct stat st;

		if (de->d_name[0] != '.' && fd != dirfd(dir) &&
		    fd < FUZZ_FDSET_MAX) {
			set->bits[fd / 64] |= 1ull << (fd % 64);
			if (!fstat(fd, &st))
				set->ino[fd] = st.st_ino;
		}
	}
	closedir(dir);
}

static bool fuzz_is_sync_file(int fd)
{
	struct sync_file_info info = {0};

	return udrm_sync_file_ioctl(fd, SYNC_IOC_FILE_INFO, &info) != -ENOTTY;
}

/* After a successful commit: the sync_files it made for OUT_FENCE_PTR and
 * WRITEBACK_OUT_FENCE_PTR (wherever in user memory their fds went) are
 * the program's, and closed with the rest. Any other new fd stays
 * unclaimed for the leak oracle. */
static void fuzz_collect_fence_fds(struct fuzz_state *st,
				   const struct fuzz_fdset *before)
{
	struct fuzz_fdset after;
	int fd;

	fuzz_fdset_take(&after);
	for (fd = 0; fd < FUZZ_FDSET_MAX; fd++) {
		uint64_t bit = 1ull << (fd % 64);

		if ((after.bits[fd / 64] & bit) &&
		    (!(before->bits[fd / 64] & bit) ||
		     before->ino[fd] != after.ino[fd]) &&
		    fuzz_is_sync_file(fd))
			fuzz_remember_fd(st, fd);
	}
}

static bool fuzz_cmd_is(unsigned long cmd, unsigned long known)
{
	return _IOC_TYPE(cmd) == DRM_IOCTL_BASE &&
	       _IOC_NR(cmd) == _IOC_NR(known);
}

/* ioctls that set property values, which may be pointers to where a
 * fence fd goes. */
static bool fuzz_may_make_fences(unsigned long cmd)
{
	return fuzz_cmd_is(cmd, DRM_IOCTL_MODE_ATOMIC) ||
	       fuzz_cmd_is(cmd, DRM_IOCTL_MODE_OBJ_SETPROPERTY) ||
	       fuzz_cmd_is(cmd, DRM_IOCTL_MODE_SETPROPERTY);
}

/* ioctls that change what the display shows (state kept by the device,
 * across inputs). */
static bool fuzz_changes_display(unsigned long cmd)
{
	static const unsigned long cmds[] = {
		DRM_IOCTL_MODE_ATOMIC,	    DRM_IOCTL_MODE_OBJ_SETPROPERTY,
		DRM_IOCTL_MODE_SETPROPERTY, DRM_IOCTL_MODE_SETCRTC,
		DRM_IOCTL_MODE_SETPLANE,    DRM_IOCTL_MODE_CURSOR,
		DRM_IOCTL_MODE_CURSOR2,	    DRM_IOCTL_MODE_SETGAMMA,
		DRM_IOCTL_MODE_PAGE_FLIP,
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (fuzz_cmd_is(cmd, cmds[i]))
			return true;
	return false;
}

/* Issues @cmd and collects any fd it returns. */
static int fuzz_ioctl(struct fuzz_state *st, struct udrm_file *file,
		      unsigned long cmd, void *arg)
{
	const struct fuzz_fd_ioctl *fdi = fuzz_find_fd_ioctl(cmd);
	bool fences = fuzz_may_make_fences(cmd);
	struct fuzz_fdset before;
	int ret;

	if (fdi) {
		cmd = fdi->cmd;
		/* A valid pointer with room for the whole struct. */
		if (!fuzz_in_scratch(arg, _IOC_SIZE(cmd)))
			arg = fuzz_region;
	}
	fuzz_tame_arg(cmd, arg);
	if (fences)
		fuzz_fdset_take(&before);
	ret = udrm_file_ioctl(file, cmd, arg);
	if (fuzz_trace)
		fprintf(stderr, "  ioctl(%p, %#lx, %p) = %d\n", (void *)file,
			cmd, arg, ret);
	if (ret == 0 && fences)
		fuzz_collect_fence_fds(st, &before);
	if (ret == 0 && fuzz_changes_display(cmd))
		st->kms_dirty = true;
	if (fdi && ret == 0) {
		int fd;

		memcpy(&fd, (uint8_t *)arg + fdi->fd_offset, sizeof(fd));
		if (fd >= 0 && fdi->cmd == DRM_IOCTL_MODE_CREATE_LEASE)
			fuzz_take_lease(st, fd);
		else if (fd >= 0)
			fuzz_remember_fd(st, fd);
	}
	return ret;
}

/* The command for a known ioctl: usually exact, sometimes with another
 * size or direction (the core must use its own size). */
static unsigned long fuzz_known_cmd(struct fuzz_stream *s, unsigned long cmd)
{
	uint8_t sel = fs_u8(s);

	if (sel < 0xe0 || fuzz_find_fd_ioctl(cmd))
		return cmd;
	return _IOC(sel & 3u, DRM_IOCTL_BASE, _IOC_NR(cmd), fs_u8(s) % 64);
}

/* ---- operations ---- */

enum fuzz_op {
	FUZZ_OP_OPEN,
	FUZZ_OP_CLOSE,
	FUZZ_OP_RANDOM_IOCTL,
	FUZZ_OP_RANDOM_DRM_IOCTL,
	FUZZ_OP_VERSION,
	FUZZ_OP_GET_UNIQUE,
	FUZZ_OP_GET_MAGIC,
	FUZZ_OP_AUTH_MAGIC,
	FUZZ_OP_SET_MASTER,
	FUZZ_OP_DROP_MASTER,
	FUZZ_OP_GET_CAP,
	FUZZ_OP_SET_CLIENT_CAP,
	FUZZ_OP_SET_VERSION,
	FUZZ_OP_GEM_CLOSE,
	FUZZ_OP_GEM_FLINK,
	FUZZ_OP_GEM_OPEN,
	FUZZ_OP_PRIME_EXPORT,
	FUZZ_OP_PRIME_IMPORT,
	FUZZ_OP_CREATE_DUMB,
	FUZZ_OP_MAP_DUMB,
	FUZZ_OP_DESTROY_DUMB,
	FUZZ_OP_MMAP,
	FUZZ_OP_READ,
	FUZZ_OP_CLOSE_FD,
	FUZZ_OP_FOREIGN_BUFFER,
	FUZZ_OP_TOUCH_MAPPING,
	/* KMS (the ops below fuzz_run_op's KMS section) */
	FUZZ_OP_KMS_CAPS,
	FUZZ_OP_GETRESOURCES,
	FUZZ_OP_GETPLANERESOURCES,
	FUZZ_OP_GET_OBJECT,
	FUZZ_OP_GETPROPERTY,
	FUZZ_OP_OBJ_GETPROPERTIES,
	FUZZ_OP_SETPROPERTY,
	FUZZ_OP_CREATE_BLOB,
	FUZZ_OP_GET_BLOB,
	FUZZ_OP_DESTROY_BLOB,
	FUZZ_OP_ADDFB,
	FUZZ_OP_ADDFB2,
	FUZZ_OP_RMFB,
	FUZZ_OP_GETFB,
	FUZZ_OP_DIRTYFB,
	FUZZ_OP_SETCRTC,
	FUZZ_OP_SETPLANE,
	FUZZ_OP_CURSOR,
	FUZZ_OP_PAGE_FLIP,
	FUZZ_OP_GAMMA,
	FUZZ_OP_ATOMIC,
	FUZZ_OP_WAIT_VBLANK,
	FUZZ_OP_SEQUENCE,
	FUZZ_OP_CREATE_LEASE,
	FUZZ_OP_LEASE_QUERY,
	FUZZ_OP_READ_EVENTS,
	FUZZ_OP_COUNT
};

static void fuzz_op_open(struct fuzz_stream *s, struct fuzz_state *st)
{
	uint8_t slot = fs_u8(s) % FUZZ_MAX_FILES;
	uint8_t how = fs_u8(s);
	struct udrm_device *dev = fuzz_devices[(how & 3) % fuzz_ndevices];
	enum udrm_node_type type =
		how & 4 ? UDRM_NODE_RENDER : UDRM_NODE_PRIMARY;
	int flags = (how >> 3) & O_ACCMODE;
	struct udrm_file *file;
	int ret;

	if (how & 0x20)
		flags |= O_NONBLOCK;
	if (how & 0x40)
		flags |= O_CLOEXEC;
	if (st->files[slot]) {
		udrm_file_close(st->files[slot]);
		st->files[slot] = NULL;
	}
	ret = udrm_file_open(dev, type, flags, &file);
	if (fuzz_trace)
		fprintf(stderr, "  open(%s, %s, %#x) = %d -> slot %u\n",
			udrm_device_driver_name(dev),
			type == UDRM_NODE_RENDER ? "render" : "primary", flags,
			ret, slot);
	if (ret)
		return;
	/* Reads must never block: no input may hang the fuzzer. */
	fcntl(udrm_file_fd(file), F_SETFL, O_NONBLOCK);
	st->files[slot] = file;
}

static void fuzz_op_close(struct fuzz_stream *s, struct fuzz_state *st)
{
	uint8_t slot = fs_u8(s) % FUZZ_MAX_FILES;

	if (st->files[slot]) {
		udrm_file_close(st->files[slot]);
		st->files[slot] = NULL;
	}
}

static void fuzz_op_random_ioctl(struct fuzz_stream *s, struct fuzz_state *st,
				 bool drm)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd;
	size_t len;
	uint8_t *arg;

	if (drm) {
		unsigned int dir = fs_u8(s) & 3u;
		uint8_t nr = fs_u8(s);

		cmd = _IOC(dir, DRM_IOCTL_BASE, nr, fs_u16(s) % FUZZ_ARG_MAX);
	} else {
		cmd = fs_u32(s);
		if (fs_u8(s) & 1)
			cmd |= (unsigned long)fs_u32(s) << 31 << 1;
	}
	len = fs_u16(s) % FUZZ_ARG_MAX;
	arg = fuzz_pick_ptr(s, len);
	if (!file)
		return;
	if (fuzz_in_scratch(arg, len))
		fs_bytes(s, arg, len);
	fuzz_tame_scratch();
	fuzz_ioctl(st, file, cmd, arg);
}

static void fuzz_op_version(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_VERSION);
	struct drm_version v;
	void *arg = fuzz_pick_arg(s, sizeof(v));

	fs_bytes(s, &v, sizeof(v));
	v.name_len %= 64;
	v.date_len %= 64;
	v.desc_len %= 64;
	v.name = fuzz_pick_ptr(s, v.name_len);
	v.date = fuzz_pick_ptr(s, v.date_len);
	v.desc = fuzz_pick_ptr(s, v.desc_len);
	if (!file)
		return;
	if (fuzz_in_scratch(arg, sizeof(v)))
		memcpy(arg, &v, sizeof(v));
	fuzz_ioctl(st, file, cmd, arg);
}

/* Copies @args to @arg when it is ours, issues the ioctl, reads back. */
static int fuzz_struct_ioctl(struct fuzz_state *st, struct udrm_file *file,
			     unsigned long cmd, void *arg, void *args,
			     size_t len)
{
	bool ours = fuzz_in_scratch(arg, len);
	int ret;

	if (!file)
		return -EBADF;
	if (ours)
		memcpy(arg, args, len);
	ret = fuzz_ioctl(st, file, cmd, arg);
	if (ours)
		memcpy(args, arg, len);
	else
		memset(args, 0, len);
	return ret;
}

static void fuzz_op_get_unique(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GET_UNIQUE);
	struct drm_unique u;
	void *arg = fuzz_pick_arg(s, sizeof(u));

	fs_bytes(s, &u, sizeof(u));
	u.unique_len %= 64;
	u.unique = fuzz_pick_ptr(s, u.unique_len);
	fuzz_struct_ioctl(st, file, cmd, arg, &u, sizeof(u));
}

static void fuzz_op_get_magic(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GET_MAGIC);
	struct drm_auth a = {0};
	void *arg = fuzz_pick_arg(s, sizeof(a));

	if (fuzz_struct_ioctl(st, file, cmd, arg, &a, sizeof(a)) == 0)
		fuzz_remember_u32(st->magics, &st->nmagics, a.magic);
}

static void fuzz_op_auth_magic(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_AUTH_MAGIC);
	struct drm_auth a;
	void *arg = fuzz_pick_arg(s, sizeof(a));

	a.magic = fuzz_pick_from(s, st->magics, st->nmagics);
	fuzz_struct_ioctl(st, file, cmd, arg, &a, sizeof(a));
}

static void fuzz_op_master(struct fuzz_stream *s, struct fuzz_state *st,
			   unsigned long base)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, base);

	if (file)
		fuzz_ioctl(st, file, cmd, fs_u8(s) & 1 ? fuzz_region : NULL);
}

static void fuzz_op_get_cap(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GET_CAP);
	struct drm_get_cap c;
	void *arg = fuzz_pick_arg(s, sizeof(c));
	uint8_t sel = fs_u8(s);

	c.capability = sel < 0xf0 ? sel & 0x1f : fs_u64(s);
	c.value = fs_u64(s);
	fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c));
}

static void fuzz_op_set_client_cap(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_SET_CLIENT_CAP);
	struct drm_set_client_cap c;
	void *arg = fuzz_pick_arg(s, sizeof(c));
	uint8_t sel = fs_u8(s);

	c.capability = sel < 0xf0 ? sel & 0xf : fs_u64(s);
	sel = fs_u8(s);
	c.value = sel < 0xf0 ? sel & 3 : fs_u64(s);
	fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c));
}

static int fuzz_small_int(struct fuzz_stream *s)
{
	uint8_t sel = fs_u8(s);

	if (sel < 0xf0)
		return (int)(sel & 7) - 1;
	return (int)fs_u32(s);
}

static void fuzz_op_set_version(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_SET_VERSION);
	struct drm_set_version v;
	void *arg = fuzz_pick_arg(s, sizeof(v));

	v.drm_di_major = fuzz_small_int(s);
	v.drm_di_minor = fuzz_small_int(s);
	v.drm_dd_major = fuzz_small_int(s);
	v.drm_dd_minor = fuzz_small_int(s);
	fuzz_struct_ioctl(st, file, cmd, arg, &v, sizeof(v));
}

static void fuzz_op_gem_close(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GEM_CLOSE);
	struct drm_gem_close c = {0};
	void *arg = fuzz_pick_arg(s, sizeof(c));

	c.handle = fuzz_pick_handle(s, st);
	if (fs_u8(s) >= 0xf0)
		c.pad = fs_u32(s);
	fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c));
}

static void fuzz_op_gem_flink(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GEM_FLINK);
	struct drm_gem_flink f = {0};
	void *arg = fuzz_pick_arg(s, sizeof(f));

	f.handle = fuzz_pick_handle(s, st);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &f, sizeof(f)) == 0)
		fuzz_remember_u32(st->names, &st->nnames, f.name);
}

static void fuzz_op_gem_open(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_GEM_OPEN);
	struct drm_gem_open o = {0};
	void *arg = fuzz_pick_arg(s, sizeof(o));

	o.name = fuzz_pick_from(s, st->names, st->nnames);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &o, sizeof(o)) == 0)
		fuzz_remember_object(st, o.handle, o.size);
}

static void fuzz_op_prime_export(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	struct drm_prime_handle p = {0};
	uint8_t sel;

	p.handle = fuzz_pick_handle(s, st);
	sel = fs_u8(s);
	p.flags = sel < 0xf0 ? (sel & 1 ? DRM_CLOEXEC : 0) |
				       (sel & 2 ? DRM_RDWR : 0)
			     : fs_u32(s);
	/* fuzz_ioctl() picks the fd up. */
	fuzz_struct_ioctl(st, file, DRM_IOCTL_PRIME_HANDLE_TO_FD,
			  fuzz_scratch((size_t)(sel >> 2) * 8), &p, sizeof(p));
}

static void fuzz_op_prime_import(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_PRIME_FD_TO_HANDLE);
	struct drm_prime_handle p = {0};
	void *arg = fuzz_pick_arg(s, sizeof(p));

	p.fd = fuzz_pick_fd(s, st);
	if (fs_u8(s) >= 0xf0)
		p.flags = fs_u32(s);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &p, sizeof(p)) == 0)
		fuzz_remember_object(st, p.handle, FUZZ_PAGE_SIZE);
}

static void fuzz_op_create_dumb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_CREATE_DUMB);
	struct drm_mode_create_dumb d = {0};
	void *arg = fuzz_pick_arg(s, sizeof(d));
	uint8_t sel = fs_u8(s);

	if (sel < 0xc0) {
		/* Sizes a program would use. */
		d.width = fs_u16(s) % 1025;
		d.height = fs_u16(s) % 1025;
		d.bpp = (uint32_t)(sel & 3) * 8 + 8;
	} else {
		d.width = fs_u32(s);
		d.height = fs_u32(s);
		d.bpp = fs_u32(s);
		d.flags = sel >= 0xf0 ? fs_u32(s) : 0;
	}
	fuzz_tame_dumb(&d);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &d, sizeof(d)) == 0) {
		fuzz_remember_object(st, d.handle, d.size);
		st->objects[(st->nobjects - 1) % FUZZ_RING] =
			(struct fuzz_object){
				.handle = d.handle,
				.size = d.size,
				.width = d.width,
				.height = d.height,
				.bpp = d.bpp,
				.pitch = d.pitch,
			};
	}
}

static void fuzz_op_map_dumb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_MAP_DUMB);
	struct drm_mode_map_dumb m = {0};
	void *arg = fuzz_pick_arg(s, sizeof(m));

	m.handle = fuzz_pick_handle(s, st);
	if (fs_u8(s) >= 0xf0)
		m.pad = fs_u32(s);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &m, sizeof(m)) == 0) {
		st->mappings[st->nmappings++ % FUZZ_RING] =
			(struct fuzz_mapping){
				.offset = m.offset,
				.size = fuzz_object_size(st, m.handle),
			};
	}
}

static void fuzz_op_destroy_dumb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_DESTROY_DUMB);
	struct drm_mode_destroy_dumb d;
	void *arg = fuzz_pick_arg(s, sizeof(d));

	d.handle = fuzz_pick_handle(s, st);
	fuzz_struct_ioctl(st, file, cmd, arg, &d, sizeof(d));
}

static void fuzz_keep_mapping(struct fuzz_state *st, void *map, size_t len,
			      const struct udrm_device *dev, uint64_t offset)
{
	struct fuzz_live_map *slot;

	slot = &st->live[st->nlive++ % FUZZ_MAX_LIVE_MAPS];
	if (st->nlive > FUZZ_MAX_LIVE_MAPS)
		munmap(slot->addr, slot->len);
	*slot = (struct fuzz_live_map){
		.addr = map,
		.len = len,
		.dev = dev,
		.offset = offset,
	};
}

static void fuzz_op_mmap(struct fuzz_stream *s, struct fuzz_state *st)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE, PROT_NONE,
		PROT_READ | PROT_EXEC,
	};
	static const int flags[] = {
		MAP_SHARED,	     MAP_SHARED | MAP_POPULATE,	 MAP_PRIVATE,
		MAP_SHARED_VALIDATE, MAP_SHARED | MAP_NORESERVE, 0,
	};
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned int n = st->nmappings < FUZZ_RING ? st->nmappings : FUZZ_RING;
	uint8_t sel = fs_u8(s);
	struct fuzz_mapping m = {.offset = 0, .size = FUZZ_PAGE_SIZE};
	int prot = prots[fs_u8(s) % (sizeof(prots) / sizeof(prots[0]))];
	int flag = flags[fs_u8(s) % (sizeof(flags) / sizeof(flags[0]))];
	size_t len;
	uint8_t keep;
	void *map;
	int ret;

	if (n && sel < 0xe0)
		m = st->mappings[sel % n];
	else
		m.offset = fs_u64(s);
	sel = fs_u8(s);
	if (sel < 0xc0)
		len = m.size;
	else if (sel < 0xe0)
		len = m.size + FUZZ_PAGE_SIZE * (sel & 3) - (sel & 4 ? 1 : 0);
	else if (sel < 0xf0)
		len = SIZE_MAX - FUZZ_PAGE_SIZE * (sel & 3);
	else
		len = fs_u32(s);
	keep = fs_u8(s);
	if (!file)
		return;
	ret = udrm_file_mmap(file, NULL, len, prot, flag, m.offset, &map);
	if (fuzz_trace)
		fprintf(stderr,
			"  mmap(%p, len %#zx, prot %d, flags %#x, "
			"offset %#llx) = %d\n",
			(void *)file, len, prot, flag,
			(unsigned long long)m.offset, ret);
	if (ret)
		return;
	/* A mapping the core allowed must be usable. */
	if (prot & PROT_WRITE)
		*(volatile uint8_t *)map = 0x5a;
	else if (prot & PROT_READ)
		(void)*(volatile uint8_t *)map;
	if ((keep & 1) && prot == (PROT_READ | PROT_WRITE))
		fuzz_keep_mapping(st, map, len, udrm_file_device(file),
				  m.offset);
	else
		munmap(map, len);
}

static unsigned int fuzz_live_count(const struct fuzz_state *st)
{
	return st->nlive < FUZZ_MAX_LIVE_MAPS ? st->nlive : FUZZ_MAX_LIVE_MAPS;
}

/* Writes through one kept mapping; every other mapping of the same object
 * must see the byte. */
static void fuzz_op_touch_mapping(struct fuzz_stream *s, struct fuzz_state *st)
{
	unsigned int i, n = fuzz_live_count(st);
	const struct fuzz_live_map *m;
	uint16_t pos = fs_u16(s);
	uint8_t value = fs_u8(s);
	size_t off;

	if (!n)
		return;
	m = &st->live[pos % n];
	off = (size_t)fs_u32(s) % m->len;
	((volatile uint8_t *)m->addr)[off] = value;
	for (i = 0; i < n; i++) {
		const struct fuzz_live_map *o = &st->live[i];
		uint8_t seen;

		if (o == m || o->dev != m->dev || o->offset != m->offset ||
		    off >= o->len)
			continue;
		seen = ((volatile uint8_t *)o->addr)[off];
		if (seen != value) {
			fprintf(stderr,
				"fuzz-ioctl: two mappings of offset %#llx "
				"differ at byte %#zx: wrote %#x at %p, read "
				"%#x at %p\n",
				(unsigned long long)m->offset, off, value,
				(void *)m->addr, seen, (void *)o->addr);
			abort();
		}
	}
}

static void fuzz_op_read(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	size_t len = fs_u16(s) % (2 * FUZZ_PAGE_SIZE);
	void *buf = fuzz_pick_ptr(s, len);

	if (file)
		udrm_file_read(file, buf, len);
}

static void fuzz_op_close_fd(struct fuzz_stream *s, struct fuzz_state *st)
{
	unsigned int n = fuzz_fd_count(st);
	unsigned int i;

	if (!n)
		return;
	i = fs_u8(s) % n;
	close(st->fds[i]);
	/* Keep the ring dense: move the newest entry into the hole. */
	st->fds[i] = st->fds[n - 1];
	st->nfds = n - 1;
}

/* A dma-buf from "another exporter": a memfd the core has never seen. */
static void fuzz_op_foreign_buffer(struct fuzz_stream *s, struct fuzz_state *st)
{
	uint8_t sel = fs_u8(s);
	off_t size =
		(off_t)(sel & 0x3f) * FUZZ_PAGE_SIZE + (sel & 0x40 ? 1 : 0);
	int fd = memfd_create("udrm-fuzz-foreign", MFD_CLOEXEC);
	int ro;

	if (fd < 0)
		return;
	if (ftruncate(fd, size)) {
		close(fd);
		return;
	}
	if (sel & 0x80) {
		/* Read-only: the core must refuse to import it. */
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ro = open(path, O_RDONLY | O_CLOEXEC);
		close(fd);
		if (ro < 0)
			return;
		fd = ro;
	}
	fuzz_remember_fd(st, fd);
}

/* ---- KMS ---- */

/* The display state (CRTCs, planes, connectors) belongs to the device and
 * outlives the files, so every input starts from the state the device had
 * at start-up: the fuzzer records it then (the catalogue, made through
 * the same ioctls) and commits it back after an input changed it. The
 * catalogue also lets inputs name objects by role and properties by name,
 * so that seeds and mutations reach valid commits whatever the ids. */

/* Newer than some installed uapi headers (kernel 6.8), and the kernel's
 * enum drm_plane_type (the "type" property's values). */
#ifndef DRM_IOCTL_MODE_CLOSEFB
struct drm_mode_closefb {
	__u32 fb_id;
	__u32 pad;
};
#define DRM_IOCTL_MODE_CLOSEFB DRM_IOWR(0xD0, struct drm_mode_closefb)
#endif
enum {
	FUZZ_PLANE_TYPE_OVERLAY,
	FUZZ_PLANE_TYPE_PRIMARY,
	FUZZ_PLANE_TYPE_CURSOR,
};

enum fuzz_kms_role {
	FUZZ_ROLE_CRTC,	     /* the first CRTC */
	FUZZ_ROLE_PRIMARY,   /* the first primary plane */
	FUZZ_ROLE_CURSOR,    /* the first cursor plane */
	FUZZ_ROLE_OVERLAY,   /* the first overlay plane */
	FUZZ_ROLE_CONNECTOR, /* the first connector that is not writeback */
	FUZZ_ROLE_WRITEBACK, /* the first writeback connector */
	FUZZ_ROLE_ENCODER,   /* the first encoder */
	FUZZ_ROLE_COUNT
};

/* Properties an input names by index (gen-corpus.py has the same list). */
static const char *const fuzz_prop_names[] = {
	"ACTIVE",
	"MODE_ID",
	"OUT_FENCE_PTR",
	"CRTC_ID",
	"FB_ID",
	"SRC_X",
	"SRC_Y",
	"SRC_W",
	"SRC_H",
	"CRTC_X",
	"CRTC_Y",
	"CRTC_W",
	"CRTC_H",
	"IN_FENCE_FD",
	"WRITEBACK_FB_ID",
	"WRITEBACK_OUT_FENCE_PTR",
	"GAMMA_LUT",
	"DEGAMMA_LUT",
	"CTM",
	"VRR_ENABLED",
	"rotation",
	"alpha",
	"pixel blend mode",
	"zpos",
	"COLOR_ENCODING",
	"COLOR_RANGE",
	"FB_DAMAGE_CLIPS",
	"DPMS",
	"link-status",
	"BACKGROUND_COLOR",
	"type",
	"IN_FORMATS",
};
#define FUZZ_PROP_NAMES (sizeof(fuzz_prop_names) / sizeof(fuzz_prop_names[0]))

#define FUZZ_KMS_MAX_OBJS    24
#define FUZZ_KMS_MAX_PROPS   96
#define FUZZ_KMS_OBJ_PROPS   32
#define FUZZ_KMS_PROP_VALUES 8
#define FUZZ_KMS_MAX_MODES   4
#define FUZZ_KMS_QUERY_MAX   64
/* Commits and legacy modesets per input that may wait for a vblank: a
 * blocking commit on a lit CRTC takes a frame (~16 ms at 60 Hz), the
 * fuzzer's whole budget for several inputs. */
#define FUZZ_MAX_BLOCKING     2
#define FUZZ_MAX_VBLANK_WAITS 1

struct fuzz_kms_prop {
	uint32_t id, flags;
	char name[DRM_PROP_NAME_LEN];
	uint32_t nvalues; /* range bounds, enum values or the object type */
	uint64_t values[FUZZ_KMS_PROP_VALUES];
	/* The value is a user pointer the core writes a fence fd to. */
	bool pointer;
};

struct fuzz_kms_obj {
	uint32_t id, type;
	unsigned int nprops;
	uint16_t props[FUZZ_KMS_OBJ_PROPS]; /* index in fuzz_kms_dev.props */
	uint64_t init[FUZZ_KMS_OBJ_PROPS];  /* value at start-up */
};

struct fuzz_kms_dev {
	unsigned int nobjs, nprops, nmodes;
	struct fuzz_kms_obj objs[FUZZ_KMS_MAX_OBJS];
	struct fuzz_kms_prop props[FUZZ_KMS_MAX_PROPS];
	int roles[FUZZ_ROLE_COUNT]; /* index in objs, or -1 */
	struct drm_mode_modeinfo modes[FUZZ_KMS_MAX_MODES];
	uint32_t gamma_size;
};

/* One per device, and an empty one for files of no device. */
static struct fuzz_kms_dev fuzz_kms[FUZZ_MAX_DEVICES + 1];

/* Layout of the scratch area for the arrays of KMS ioctls: the argument
 * structs go below FUZZ_AREA_SIZE (fuzz_pick_arg), arrays in 1 KiB areas
 * above, fence fds to slots at the end. */
#define FUZZ_AREA_SIZE	 1024u
#define FUZZ_FENCE_SLOTS (FUZZ_SCRATCH_SIZE - 16 * 8)
#define FUZZ_AREA(n)	 (fuzz_region + (n)*FUZZ_AREA_SIZE)

/* 1024x768@60 (the DMT mode). */
static const struct drm_mode_modeinfo fuzz_mode_1024x768 = {
	.clock = 65000,
	.hdisplay = 1024,
	.hsync_start = 1048,
	.hsync_end = 1184,
	.htotal = 1344,
	.vdisplay = 768,
	.vsync_start = 771,
	.vsync_end = 777,
	.vtotal = 806,
	.vrefresh = 60,
	.flags = DRM_MODE_FLAG_NHSYNC | DRM_MODE_FLAG_NVSYNC,
	.type = DRM_MODE_TYPE_DRIVER | DRM_MODE_TYPE_PREFERRED,
	.name = "1024x768",
};

/* 64x48 at 1000 Hz: commits that wait for a vblank take a millisecond,
 * and the composer has little to do. */
static const struct drm_mode_modeinfo fuzz_mode_fast = {
	.clock = 6000,
	.hdisplay = 64,
	.hsync_start = 70,
	.hsync_end = 80,
	.htotal = 100,
	.vdisplay = 48,
	.vsync_start = 50,
	.vsync_end = 52,
	.vtotal = 60,
	.vrefresh = 1000,
	.type = DRM_MODE_TYPE_USERDEF,
	.name = "64x48",
};

static const struct fuzz_kms_dev *fuzz_file_kms(const struct udrm_file *file)
{
	size_t i;

	for (i = 0; file && i < fuzz_ndevices; i++)
		if (fuzz_devices[i] == udrm_file_device(file))
			return &fuzz_kms[i];
	return &fuzz_kms[FUZZ_MAX_DEVICES];
}

static const struct fuzz_kms_obj *
fuzz_kms_find_obj(const struct fuzz_kms_dev *kd, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < kd->nobjs; i++)
		if (kd->objs[i].id == id)
			return &kd->objs[i];
	return NULL;
}

static const struct fuzz_kms_prop *
fuzz_kms_find_prop(const struct fuzz_kms_dev *kd, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < kd->nprops; i++)
		if (kd->props[i].id == id)
			return &kd->props[i];
	return NULL;
}

static uint32_t fuzz_role_id(const struct fuzz_kms_dev *kd, unsigned int role)
{
	int i = kd->roles[role % FUZZ_ROLE_COUNT];

	return i < 0 ? 0 : kd->objs[i].id;
}

static bool fuzz_is_pointer_prop(const char *name)
{
	return !strcmp(name, "OUT_FENCE_PTR") ||
	       !strcmp(name, "WRITEBACK_OUT_FENCE_PTR");
}

/* Property ids seen with a pointer name outside the catalogue (a
 * GETPROPERTY answer): their values are tamed too. */
static uint32_t fuzz_pointer_props[16];
static unsigned int fuzz_npointer_props;

static bool fuzz_prop_is_pointer(const struct fuzz_kms_prop *prop, uint32_t id)
{
	unsigned int i;

	if (prop)
		return prop->pointer;
	for (i = 0; i < fuzz_npointer_props; i++)
		if (fuzz_pointer_props[i] == id)
			return true;
	return false;
}

static void fuzz_learn_prop_name(uint32_t id, const char *name)
{
	char n[DRM_PROP_NAME_LEN + 1];

	memcpy(n, name, DRM_PROP_NAME_LEN);
	n[DRM_PROP_NAME_LEN] = 0;
	if (fuzz_is_pointer_prop(n) && !fuzz_prop_is_pointer(NULL, id) &&
	    fuzz_npointer_props < 16)
		fuzz_pointer_props[fuzz_npointer_props++] = id;
}

/* ---- KMS: user memory ---- */

/* Copies what fits of @len bytes to user pointer @p plus @off when that
 * points into the scratch area (the rest of a straddling array is the
 * read-only page or the guard). */
static void fuzz_put(void *p, size_t off, const void *src, size_t len)
{
	uintptr_t a = (uintptr_t)p + off, base = (uintptr_t)fuzz_region;

	if (!len || a < base || a - base >= FUZZ_SCRATCH_SIZE)
		return;
	if (len > FUZZ_SCRATCH_SIZE - (a - base))
		len = FUZZ_SCRATCH_SIZE - (a - base);
	memcpy((void *)a, src, len);
}

/* Where an array goes: its own area nearly always, else anywhere. */
static void *fuzz_array_ptr(struct fuzz_stream *s, unsigned int area,
			    size_t len)
{
	if (fs_u8(s) < 0xe8)
		return FUZZ_AREA(area);
	return fuzz_pick_ptr(s, len);
}

/* An array count: zero (a size query), @enough, small, or anything. */
static uint32_t fuzz_count(struct fuzz_stream *s, uint32_t enough)
{
	uint8_t sel = fs_u8(s);

	if (sel < 0x40)
		return 0;
	if (sel < 0xd0)
		return enough;
	if (sel < 0xf0)
		return sel & 0x1f;
	return fs_u32(s);
}

/* Reads back @n ids the core wrote to @p, if the array is ours. */
static void fuzz_remember_ids(uint32_t *ring, unsigned int *count,
			      const void *p, uint32_t n)
{
	uint32_t i, id;

	if (n > FUZZ_AREA_SIZE / 4 || !fuzz_in_scratch(p, (size_t)n * 4))
		return;
	for (i = 0; i < n; i++) {
		memcpy(&id, (const uint8_t *)p + i * 4, 4);
		if (id)
			fuzz_remember_u32(ring, count, id);
	}
}

/* A pointer a fence fd is written to: a slot at the end of the scratch
 * area, NULL (no fence), or any fuzz_pick_ptr() pointer. */
static uint64_t fuzz_pick_out_ptr(struct fuzz_stream *s)
{
	uint8_t sel = fs_u8(s);

	if (sel < 0xa0)
		return (uint64_t)(uintptr_t)(fuzz_region + FUZZ_FENCE_SLOTS +
					     (sel & 0xf) * 8);
	if (sel < 0xb0)
		return 0;
	return (uint64_t)(uintptr_t)fuzz_pick_ptr(s, 4);
}

/* ---- KMS: ids and values ---- */

static uint32_t fuzz_ring_at(const uint32_t *ring, unsigned int count,
			     unsigned int i)
{
	unsigned int n = count < FUZZ_RING ? count : FUZZ_RING;

	return n ? ring[i % n] : 0;
}

/* A mode object: by role, by catalogue index, one the core returned, a
 * framebuffer, a blob, a small or any id. *@obj is its catalogue entry. */
static uint32_t fuzz_pick_kms_obj(struct fuzz_stream *s,
				  const struct fuzz_state *st,
				  const struct fuzz_kms_dev *kd,
				  const struct fuzz_kms_obj **obj)
{
	uint8_t sel = fs_u8(s);
	uint32_t id;

	if (sel < 0x20)
		id = fuzz_role_id(kd, sel);
	else if (sel < 0x40)
		id = kd->nobjs ? kd->objs[sel % kd->nobjs].id : 0;
	else if (sel < 0x80)
		id = fuzz_ring_at(st->kms_objs, st->nkms_objs, sel);
	else if (sel < 0xa0)
		id = fuzz_ring_at(st->fbs, st->nfbs, sel);
	else if (sel < 0xb0)
		id = fuzz_ring_at(st->blobs, st->nblobs, sel);
	else if (sel < 0xf0)
		id = sel & 0x3f;
	else
		id = fs_u32(s);
	if (obj)
		*obj = fuzz_kms_find_obj(kd, id);
	return id;
}

static uint32_t fuzz_obj_type(struct fuzz_stream *s,
			      const struct fuzz_kms_obj *obj)
{
	static const uint32_t types[] = {
		DRM_MODE_OBJECT_CRTC,	  DRM_MODE_OBJECT_CONNECTOR,
		DRM_MODE_OBJECT_ENCODER,  DRM_MODE_OBJECT_MODE,
		DRM_MODE_OBJECT_PROPERTY, DRM_MODE_OBJECT_FB,
		DRM_MODE_OBJECT_BLOB,	  DRM_MODE_OBJECT_PLANE,
		DRM_MODE_OBJECT_ANY,
	};
	uint8_t sel = fs_u8(s);

	if (sel < 0xa0)
		return obj ? obj->type : DRM_MODE_OBJECT_ANY;
	if (sel < 0xf0)
		return types[sel % (sizeof(types) / sizeof(types[0]))];
	return fs_u32(s);
}

/* A property of @obj: by name, by index, one the core returned, a small
 * or any id. *@prop is its catalogue entry. */
static uint32_t fuzz_pick_kms_prop(struct fuzz_stream *s,
				   const struct fuzz_state *st,
				   const struct fuzz_kms_dev *kd,
				   const struct fuzz_kms_obj *obj,
				   const struct fuzz_kms_prop **prop)
{
	uint8_t sel = fs_u8(s);
	uint32_t id = 0;
	unsigned int i;

	if (sel < 0xa0 && obj && obj->nprops) {
		id = kd->props[obj->props[sel % obj->nprops]].id;
		for (i = 0; sel < 0x80 && i < obj->nprops; i++) {
			const struct fuzz_kms_prop *p =
				&kd->props[obj->props[i]];

			if (!strcmp(p->name,
				    fuzz_prop_names[sel % FUZZ_PROP_NAMES]))
				id = p->id;
		}
	} else if (sel < 0xd0 && st->nkms_props) {
		id = fuzz_ring_at(st->kms_props, st->nkms_props, sel);
	} else if (sel < 0xf0) {
		id = sel & 0x3f;
	} else {
		id = fs_u32(s);
	}
	*prop = fuzz_kms_find_prop(kd, id);
	return id;
}

/* A size or coordinate: screen-like, small, or anything. */
static uint32_t fuzz_dim(struct fuzz_stream *s)
{
	static const uint32_t dims[] = {0, 1, 64, 768, 1024, 4096, 8192};
	uint8_t sel = fs_u8(s);

	if (sel < 0x40)
		return dims[sel % (sizeof(dims) / sizeof(dims[0]))];
	if (sel < 0xe0)
		return fs_u16(s) % 2049;
	return fs_u32(s);
}

static int fuzz_pick_fence_fd(const struct fuzz_state *st, uint8_t sel)
{
	unsigned int n = fuzz_fd_count(st);

	return n ? st->fds[sel % n] : -1;
}

/* A value that fits @prop's type. */
static uint64_t fuzz_typed_value(struct fuzz_stream *s,
				 const struct fuzz_state *st,
				 const struct fuzz_kms_dev *kd,
				 const struct fuzz_kms_prop *prop)
{
	uint32_t type = prop->flags & (DRM_MODE_PROP_LEGACY_TYPE |
				       DRM_MODE_PROP_EXTENDED_TYPE);
	const uint64_t *v = prop->values;
	uint32_t n = prop->nvalues;
	uint8_t sel = fs_u8(s);
	uint64_t mask = 0;
	uint32_t i;

	if (!strcmp(prop->name, "IN_FENCE_FD"))
		return sel < 0xa0
			       ? (uint64_t)(int64_t)fuzz_pick_fence_fd(st, sel)
			       : (uint64_t)-1;
	if (!strncmp(prop->name, "SRC_", 4))
		return (uint64_t)fuzz_dim(s) << 16 |
		       (sel >= 0xf0 ? sel & 0xf : 0);
	if (!strncmp(prop->name, "CRTC_", 5) && strcmp(prop->name, "CRTC_ID")) {
		int64_t d = fuzz_dim(s);

		return (uint64_t)(sel & 1 ? -d : d);
	}
	switch (type) {
	case DRM_MODE_PROP_OBJECT:
		if (n && v[0] == DRM_MODE_OBJECT_FB)
			return fuzz_ring_at(st->fbs, st->nfbs, sel);
		if (n && v[0] == DRM_MODE_OBJECT_CRTC)
			return sel & 1 ? fuzz_role_id(kd, FUZZ_ROLE_CRTC) : 0;
		return fuzz_ring_at(st->kms_objs, st->nkms_objs, sel);
	case DRM_MODE_PROP_BLOB:
		return sel & 1 ? fuzz_ring_at(st->blobs, st->nblobs, sel >> 1)
			       : 0;
	case DRM_MODE_PROP_RANGE:
	case DRM_MODE_PROP_SIGNED_RANGE:
		if (n < 2)
			break;
		switch (sel % 5) {
		case 0:
			return v[0];
		case 1:
			return v[1];
		case 2:
			return v[0] + 1;
		case 3:
			return v[1] - 1;
		default:
			return v[0] + fs_u16(s);
		}
	case DRM_MODE_PROP_ENUM:
		if (n)
			return v[sel % n];
		break;
	case DRM_MODE_PROP_BITMASK:
		for (i = 0; i < n && i < 8; i++)
			if (sel & (1u << i) && v[i] < 64)
				mask |= 1ull << v[i];
		return mask;
	}
	return sel & 0xf;
}

/* A property value: typed, an id, small, 16.16, a fence fd, the
 * start-up value or anything. Pointer properties get a tamed pointer,
 * and any value is tamed as a pointer, since a property the catalogue
 * does not know may be one. */
static uint64_t fuzz_pick_value(struct fuzz_stream *s,
				const struct fuzz_state *st,
				const struct fuzz_kms_dev *kd,
				const struct fuzz_kms_prop *prop, uint32_t id)
{
	uint8_t sel;
	uint64_t v;

	if (fuzz_prop_is_pointer(prop, id))
		return fuzz_pick_out_ptr(s);
	sel = fs_u8(s);
	if (sel < 0x40)
		v = prop ? fuzz_typed_value(s, st, kd, prop) : sel;
	else if (sel < 0x60)
		v = fuzz_ring_at(st->fbs, st->nfbs, sel);
	else if (sel < 0x70)
		v = fuzz_ring_at(st->blobs, st->nblobs, sel);
	else if (sel < 0x80)
		v = fuzz_role_id(kd, sel - 0x70u);
	else if (sel < 0xa0)
		v = (uint64_t)(int64_t)((int)(sel & 0x1f) - 1);
	else if (sel < 0xb0)
		v = (uint64_t)(fs_u16(s) % 4097) << 16;
	else if (sel < 0xc0)
		v = fs_u16(s);
	else if (sel < 0xd0)
		v = (uint64_t)(int64_t)fuzz_pick_fence_fd(st, sel);
	else if (sel < 0xe0)
		v = 0; /* replaced below by the start-up value if known */
	else
		v = fs_u64(s);
	if (sel >= 0xd0 && sel < 0xe0 && prop) {
		unsigned int i, j;

		for (i = 0; i < kd->nobjs; i++)
			for (j = 0; j < kd->objs[i].nprops; j++)
				if (&kd->props[kd->objs[i].props[j]] == prop)
					v = kd->objs[i].init[j];
	}
	return fuzz_tame_ptr(v);
}

/* A mode: 1024x768@60, 64x48@1000, one the connector reported, either
 * with one field changed, or any bytes. */
static void fuzz_pick_mode(struct fuzz_stream *s, const struct fuzz_kms_dev *kd,
			   struct drm_mode_modeinfo *mode)
{
	uint8_t sel = fs_u8(s);

	*mode = sel >= 0x20 && sel < 0x40 ? fuzz_mode_fast : fuzz_mode_1024x768;
	if (sel >= 0x40 && sel < 0xa0 && kd->nmodes)
		*mode = kd->modes[sel % kd->nmodes];
	if (sel >= 0xa0 && sel < 0xf0) {
		uint16_t *fields = &mode->hdisplay; /* 10 u16 timings */
		uint8_t f = fs_u8(s) % 13;

		if (f < 10)
			fields[f] = fs_u16(s);
		else if (f == 10)
			mode->clock = fs_u32(s);
		else if (f == 11)
			mode->flags = fs_u32(s);
		else
			mode->type = fs_u32(s);
	} else if (sel >= 0xf0) {
		fs_bytes(s, mode, sizeof(*mode));
	}
}

static const struct fuzz_object *fuzz_pick_object(struct fuzz_stream *s,
						  const struct fuzz_state *st)
{
	unsigned int n = st->nobjects < FUZZ_RING ? st->nobjects : FUZZ_RING;
	uint8_t sel = fs_u8(s);

	if (!n || sel >= 0xe0)
		return NULL;
	return &st->objects[sel % n];
}

/* ---- KMS: formats ---- */

struct fuzz_format {
	uint32_t format;
	uint8_t bpp, planes;
};

static const struct fuzz_format fuzz_formats[] = {
	{DRM_FORMAT_XRGB8888, 32, 1},
	{DRM_FORMAT_ARGB8888, 32, 1},
	{DRM_FORMAT_XBGR8888, 32, 1},
	{DRM_FORMAT_ABGR8888, 32, 1},
	{DRM_FORMAT_RGBX8888, 32, 1},
	{DRM_FORMAT_XRGB2101010, 32, 1},
	{DRM_FORMAT_ARGB2101010, 32, 1},
	{DRM_FORMAT_RGB565, 16, 1},
	{DRM_FORMAT_XRGB1555, 16, 1},
	{DRM_FORMAT_ARGB4444, 16, 1},
	{DRM_FORMAT_YUYV, 16, 1},
	{DRM_FORMAT_UYVY, 16, 1},
	{DRM_FORMAT_RGB888, 24, 1},
	{DRM_FORMAT_BGR888, 24, 1},
	{DRM_FORMAT_C8, 8, 1},
	{DRM_FORMAT_R8, 8, 1},
	{DRM_FORMAT_NV12, 8, 2},
	{DRM_FORMAT_NV21, 8, 2},
	{DRM_FORMAT_NV16, 8, 2},
	{DRM_FORMAT_YUV420, 8, 3},
	{DRM_FORMAT_YVU420, 8, 3},
	{DRM_FORMAT_P010, 16, 2},
	{DRM_FORMAT_XRGB16161616, 64, 1},
	{DRM_FORMAT_ARGB16161616F, 64, 1},
	{DRM_FORMAT_R16, 16, 1},
	{DRM_FORMAT_GR88, 16, 1},
};
#define FUZZ_NFORMATS (sizeof(fuzz_formats) / sizeof(fuzz_formats[0]))

/* A format, usually one of @bpp bits per pixel. */
static const struct fuzz_format *
fuzz_pick_format(struct fuzz_stream *s, uint32_t bpp, struct fuzz_format *any)
{
	uint8_t sel = fs_u8(s);
	unsigned int i, k, n = 0;

	if (sel < 0xa0) {
		for (i = 0; i < FUZZ_NFORMATS; i++)
			n += fuzz_formats[i].bpp == bpp;
		for (i = 0, k = n ? sel % n : 0; n && i < FUZZ_NFORMATS; i++)
			if (fuzz_formats[i].bpp == bpp && k-- == 0)
				return &fuzz_formats[i];
	}
	if (sel < 0xf0)
		return &fuzz_formats[sel % FUZZ_NFORMATS];
	*any = (struct fuzz_format){
		.format = fs_u32(s), .bpp = 32, .planes = 1};
	return any;
}

/* ---- KMS: operations ---- */

/* Counts a commit that may wait for a vblank (a frame, ~16 ms); false
 * once the input's budget is spent. */
static bool fuzz_may_block(struct fuzz_state *st)
{
	if (!st->blocking_left)
		return false;
	st->blocking_left--;
	return true;
}

/* Every pending event record must be whole and of a known type. */
static void fuzz_check_events(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct drm_event e;
		uint32_t want = 0;

		if (len - off < sizeof(e))
			goto bad;
		memcpy(&e, buf + off, sizeof(e));
		if (e.type == DRM_EVENT_VBLANK ||
		    e.type == DRM_EVENT_FLIP_COMPLETE)
			want = sizeof(struct drm_event_vblank);
		else if (e.type == DRM_EVENT_CRTC_SEQUENCE)
			want = sizeof(struct drm_event_crtc_sequence);
		if (!want || e.length != want || e.length > len - off)
			goto bad;
		off += e.length;
	}
	return;
bad:
	fprintf(stderr,
		"fuzz-ioctl: read() returned %zu bytes with a malformed event "
		"at byte %zu\n",
		len, off);
	abort();
}

static void fuzz_read_events(struct udrm_file *file, size_t len)
{
	uint8_t *buf = FUZZ_AREA(6);
	ssize_t ret;

	if (!file)
		return;
	ret = udrm_file_read(file, buf, len);
	if (fuzz_trace)
		fprintf(stderr, "  read(%p, %zu) = %zd\n", (void *)file, len,
			ret);
	if (ret > 0)
		fuzz_check_events(buf, (size_t)ret);
}

static void fuzz_op_read_events(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	uint8_t sel = fs_u8(s);

	fuzz_read_events(file, sel < 0xe0 ? FUZZ_AREA_SIZE : sel & 0x1f);
}

static void fuzz_op_kms_caps(struct fuzz_stream *s, struct fuzz_state *st)
{
	static const uint64_t caps[] = {
		DRM_CLIENT_CAP_UNIVERSAL_PLANES,
		DRM_CLIENT_CAP_ATOMIC,
		DRM_CLIENT_CAP_WRITEBACK_CONNECTORS,
		DRM_CLIENT_CAP_ASPECT_RATIO,
		DRM_CLIENT_CAP_STEREO_3D,
	};
	struct udrm_file *file = fuzz_pick_file(s, st);
	uint8_t off = fs_u8(s); /* a clear bit turns a cap on */
	size_t i;

	for (i = 0; file && i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct drm_set_client_cap c = {
			.capability = caps[i],
			.value = !(off & (1u << i)),
		};

		fuzz_ioctl(st, file, DRM_IOCTL_SET_CLIENT_CAP, &c);
	}
}

static void fuzz_op_getresources(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETRESOURCES);
	struct drm_mode_card_res r = {0};
	void *arg = fuzz_pick_arg(s, sizeof(r));
	uint32_t n[4];
	void *p[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		n[i] = fuzz_count(s, 16);
		p[i] = fuzz_array_ptr(s, 1 + i, (size_t)n[i] * 4);
	}
	r.fb_id_ptr = (uintptr_t)p[0];
	r.crtc_id_ptr = (uintptr_t)p[1];
	r.connector_id_ptr = (uintptr_t)p[2];
	r.encoder_id_ptr = (uintptr_t)p[3];
	r.count_fbs = n[0];
	r.count_crtcs = n[1];
	r.count_connectors = n[2];
	r.count_encoders = n[3];
	if (fuzz_struct_ioctl(st, file, cmd, arg, &r, sizeof(r)))
		return;
	fuzz_remember_ids(st->fbs, &st->nfbs, p[0],
			  r.count_fbs < n[0] ? r.count_fbs : n[0]);
	fuzz_remember_ids(st->kms_objs, &st->nkms_objs, p[1],
			  r.count_crtcs < n[1] ? r.count_crtcs : n[1]);
	fuzz_remember_ids(st->kms_objs, &st->nkms_objs, p[2],
			  r.count_connectors < n[2] ? r.count_connectors
						    : n[2]);
	fuzz_remember_ids(st->kms_objs, &st->nkms_objs, p[3],
			  r.count_encoders < n[3] ? r.count_encoders : n[3]);
}

static void fuzz_op_getplaneresources(struct fuzz_stream *s,
				      struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETPLANERESOURCES);
	struct drm_mode_get_plane_res r = {0};
	void *arg = fuzz_pick_arg(s, sizeof(r));
	uint32_t n = fuzz_count(s, 16);
	void *p = fuzz_array_ptr(s, 1, (size_t)n * 4);

	r.plane_id_ptr = (uintptr_t)p;
	r.count_planes = n;
	if (fuzz_struct_ioctl(st, file, cmd, arg, &r, sizeof(r)) == 0)
		fuzz_remember_ids(st->kms_objs, &st->nkms_objs, p,
				  r.count_planes < n ? r.count_planes : n);
}

static void fuzz_get_connector(struct fuzz_stream *s, struct fuzz_state *st,
			       struct udrm_file *file, uint32_t id)
{
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETCONNECTOR);
	struct drm_mode_get_connector c = {0};
	void *arg = fuzz_pick_arg(s, sizeof(c));
	uint32_t nenc = fuzz_count(s, 8), nmodes = fuzz_count(s, 8),
		 nprops = fuzz_count(s, 32);
	void *enc = fuzz_array_ptr(s, 1, (size_t)nenc * 4);
	void *modes = fuzz_array_ptr(s, 2, (size_t)nmodes * 68);
	void *props = fuzz_array_ptr(s, 3, (size_t)nprops * 4);
	void *values = fuzz_array_ptr(s, 4, (size_t)nprops * 8);

	c.connector_id = id;
	c.encoders_ptr = (uintptr_t)enc;
	c.modes_ptr = (uintptr_t)modes;
	c.props_ptr = (uintptr_t)props;
	c.prop_values_ptr = (uintptr_t)values;
	c.count_encoders = nenc;
	c.count_modes = nmodes;
	c.count_props = nprops;
	if (fs_u8(s) >= 0xf0)
		c.pad = fs_u32(s);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c)))
		return;
	fuzz_remember_ids(st->kms_objs, &st->nkms_objs, enc,
			  c.count_encoders < nenc ? c.count_encoders : nenc);
	fuzz_remember_ids(st->kms_props, &st->nkms_props, props,
			  c.count_props < nprops ? c.count_props : nprops);
}

/* GETCRTC, GETENCODER, GETPLANE or GETCONNECTOR. */
static void fuzz_op_get_object(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	uint8_t which = fs_u8(s) % 4;
	uint32_t id = fuzz_pick_kms_obj(s, st, kd, NULL);

	if (which == 0) {
		unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETCRTC);
		struct drm_mode_crtc c = {.crtc_id = id};
		void *arg = fuzz_pick_arg(s, sizeof(c));

		if (fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c)) == 0 &&
		    c.fb_id)
			fuzz_remember_u32(st->fbs, &st->nfbs, c.fb_id);
	} else if (which == 1) {
		unsigned long cmd =
			fuzz_known_cmd(s, DRM_IOCTL_MODE_GETENCODER);
		struct drm_mode_get_encoder e = {.encoder_id = id};
		void *arg = fuzz_pick_arg(s, sizeof(e));

		fuzz_struct_ioctl(st, file, cmd, arg, &e, sizeof(e));
	} else if (which == 2) {
		unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETPLANE);
		struct drm_mode_get_plane p = {.plane_id = id};
		void *arg = fuzz_pick_arg(s, sizeof(p));
		uint32_t n = fuzz_count(s, 64);

		p.count_format_types = n;
		p.format_type_ptr =
			(uintptr_t)fuzz_array_ptr(s, 1, (size_t)n * 4);
		if (fuzz_struct_ioctl(st, file, cmd, arg, &p, sizeof(p)) == 0 &&
		    p.fb_id)
			fuzz_remember_u32(st->fbs, &st->nfbs, p.fb_id);
	} else {
		fuzz_get_connector(s, st, file, id);
	}
}

static void fuzz_op_getproperty(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETPROPERTY);
	struct drm_mode_get_property g = {0};
	void *arg = fuzz_pick_arg(s, sizeof(g));
	const struct fuzz_kms_obj *obj;
	const struct fuzz_kms_prop *prop;
	uint32_t nvalues, nenums;

	fuzz_pick_kms_obj(s, st, kd, &obj);
	g.prop_id = fuzz_pick_kms_prop(s, st, kd, obj, &prop);
	nvalues = fuzz_count(s, 16);
	nenums = fuzz_count(s, 16);
	g.count_values = nvalues;
	g.count_enum_blobs = nenums;
	g.values_ptr = (uintptr_t)fuzz_array_ptr(s, 1, (size_t)nvalues * 8);
	g.enum_blob_ptr = (uintptr_t)fuzz_array_ptr(
		s, 2, (size_t)nenums * sizeof(struct drm_mode_property_enum));
	if (fuzz_struct_ioctl(st, file, cmd, arg, &g, sizeof(g)) == 0) {
		fuzz_learn_prop_name(g.prop_id, g.name);
		fuzz_remember_u32(st->kms_props, &st->nkms_props, g.prop_id);
	}
}

static void fuzz_op_obj_getproperties(struct fuzz_stream *s,
				      struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_OBJ_GETPROPERTIES);
	struct drm_mode_obj_get_properties g = {0};
	void *arg = fuzz_pick_arg(s, sizeof(g));
	const struct fuzz_kms_obj *obj;
	uint32_t i, n, got;
	void *props, *values;

	g.obj_id = fuzz_pick_kms_obj(s, st, kd, &obj);
	g.obj_type = fuzz_obj_type(s, obj);
	n = fuzz_count(s, 32);
	props = fuzz_array_ptr(s, 1, (size_t)n * 4);
	values = fuzz_array_ptr(s, 2, (size_t)n * 8);
	g.count_props = n;
	g.props_ptr = (uintptr_t)props;
	g.prop_values_ptr = (uintptr_t)values;
	if (fuzz_struct_ioctl(st, file, cmd, arg, &g, sizeof(g)))
		return;
	got = g.count_props < n ? g.count_props : n;
	fuzz_remember_ids(st->kms_props, &st->nkms_props, props, got);
	/* Blob property values are blob ids (MODE_ID, GAMMA_LUT). */
	if (got > FUZZ_AREA_SIZE / 8 || !fuzz_in_scratch(props, got * 4) ||
	    !fuzz_in_scratch(values, got * 8))
		return;
	for (i = 0; i < got; i++) {
		const struct fuzz_kms_prop *prop;
		uint32_t id;
		uint64_t v;

		memcpy(&id, (uint8_t *)props + i * 4, 4);
		memcpy(&v, (uint8_t *)values + i * 8, 8);
		prop = fuzz_kms_find_prop(kd, id);
		if (prop && (prop->flags & DRM_MODE_PROP_BLOB) && v &&
		    v <= UINT32_MAX)
			fuzz_remember_u32(st->blobs, &st->nblobs, (uint32_t)v);
	}
}

/* OBJ_SETPROPERTY, or the legacy connector SETPROPERTY. */
static void fuzz_op_setproperty(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	uint8_t legacy = fs_u8(s) & 1;
	unsigned long cmd =
		fuzz_known_cmd(s, legacy ? DRM_IOCTL_MODE_SETPROPERTY
					 : DRM_IOCTL_MODE_OBJ_SETPROPERTY);
	struct drm_mode_obj_set_property o = {0};
	void *arg = fuzz_pick_arg(s, sizeof(o));
	const struct fuzz_kms_obj *obj;
	const struct fuzz_kms_prop *prop;

	o.obj_id = fuzz_pick_kms_obj(s, st, kd, &obj);
	o.obj_type = fuzz_obj_type(s, obj);
	o.prop_id = fuzz_pick_kms_prop(s, st, kd, obj, &prop);
	o.value = fuzz_pick_value(s, st, kd, prop, o.prop_id);
	if (!fuzz_may_block(st))
		return;
	fuzz_tame_scratch();
	if (legacy) {
		struct drm_mode_connector_set_property c = {
			.value = o.value,
			.prop_id = o.prop_id,
			.connector_id = o.obj_id,
		};

		fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c));
	} else {
		fuzz_struct_ioctl(st, file, cmd, arg, &o, sizeof(o));
	}
}

/* Blob contents: a mode, a gamma ramp, a colour matrix, damage clips, or
 * raw bytes; lengths stay below 64 KiB but for a few the core must
 * refuse outright. */
static size_t fuzz_blob_data(struct fuzz_stream *s,
			     const struct fuzz_kms_dev *kd, uint8_t *data)
{
	static const uint32_t wild[] = {
		0,
		(256u << 20) + 1,
		0x80000000u,
		0xffffffffu,
	};
	uint8_t kind = fs_u8(s);
	uint32_t i, n;

	switch (kind % 8) {
	case 0: {
		struct drm_mode_modeinfo m;

		fuzz_pick_mode(s, kd, &m);
		memcpy(data, &m, sizeof(m));
		return sizeof(m);
	}
	case 1: {
		uint16_t x = fs_u16(s);

		n = fs_u8(s) < 0xc0 && kd->gamma_size ? kd->gamma_size
						      : fs_u16(s) % 600;
		for (i = 0; i < n && (i + 1) * 8 <= 7 * FUZZ_AREA_SIZE; i++) {
			uint16_t v =
				(uint16_t)(n > 1 ? i * 0xffffu / (n - 1) : 0);
			struct drm_color_lut l = {v ^ x, v, v, 0};

			memcpy(data + i * 8, &l, 8);
		}
		return (size_t)n * 8;
	}
	case 2: {
		struct drm_color_ctm m = {{0}};

		for (i = 0; i < 9; i += 4)
			m.matrix[i] = 1ull << 32;
		m.matrix[fs_u8(s) % 9] = fs_u64(s);
		memcpy(data, &m, sizeof(m));
		return sizeof(m);
	}
	case 3:
		n = fs_u8(s) % 8;
		for (i = 0; i < n; i++) {
			struct drm_mode_rect r;

			r.x1 = (int32_t)fuzz_dim(s);
			r.y1 = (int32_t)fuzz_dim(s);
			r.x2 = (int32_t)fuzz_dim(s);
			r.y2 = (int32_t)fuzz_dim(s);
			memcpy(data + i * sizeof(r), &r, sizeof(r));
		}
		return n * sizeof(struct drm_mode_rect);
	case 4:
	case 5:
		n = fs_u16(s) % 512;
		fs_bytes(s, data, n);
		return n;
	case 6:
		return fs_u16(s);
	default:
		return wild[fs_u8(s) % (sizeof(wild) / sizeof(wild[0]))];
	}
}

static void fuzz_op_create_blob(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_CREATEPROPBLOB);
	struct drm_mode_create_blob b = {0};
	void *arg = fuzz_pick_arg(s, sizeof(b));
	uint8_t *data = FUZZ_AREA(1);
	size_t len = fuzz_blob_data(s, kd, data);

	b.length = (uint32_t)len;
	b.data = (uintptr_t)(fs_u8(s) < 0xe8 ? data : fuzz_pick_ptr(s, len));
	if (fuzz_struct_ioctl(st, file, cmd, arg, &b, sizeof(b)) == 0)
		fuzz_remember_u32(st->blobs, &st->nblobs, b.blob_id);
}

static void fuzz_op_get_blob(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GETPROPBLOB);
	struct drm_mode_get_blob g = {0};
	void *arg = fuzz_pick_arg(s, sizeof(g));

	g.blob_id = fuzz_pick_from(s, st->blobs, st->nblobs);
	g.length = fuzz_count(s, 4096);
	g.data = (uintptr_t)fuzz_array_ptr(s, 1, g.length);
	fuzz_struct_ioctl(st, file, cmd, arg, &g, sizeof(g));
}

static void fuzz_op_destroy_blob(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_DESTROYPROPBLOB);
	struct drm_mode_destroy_blob d = {0};
	void *arg = fuzz_pick_arg(s, sizeof(d));

	d.blob_id = fuzz_pick_from(s, st->blobs, st->nblobs);
	fuzz_struct_ioctl(st, file, cmd, arg, &d, sizeof(d));
}

/* Legacy ADDFB: bpp/depth; usually a dumb buffer's own geometry. */
static void fuzz_op_addfb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_ADDFB);
	struct drm_mode_fb_cmd f = {0};
	void *arg = fuzz_pick_arg(s, sizeof(f));
	const struct fuzz_object *o = fuzz_pick_object(s, st);
	uint8_t sel = fs_u8(s);

	if (o && sel < 0xa0) {
		f.width = o->width;
		f.height = o->height;
		f.pitch = o->pitch;
		f.bpp = o->bpp;
		f.depth = o->bpp == 32 ? (sel & 1 ? 24 : 32 - (sel & 2))
				       : o->bpp - (sel & 1);
		f.handle = o->handle;
	} else {
		f.width = fuzz_dim(s);
		f.height = fuzz_dim(s);
		f.pitch = fuzz_dim(s);
		f.bpp = fs_u8(s);
		f.depth = fs_u8(s);
		f.handle = fuzz_pick_handle(s, st);
	}
	if (fuzz_struct_ioctl(st, file, cmd, arg, &f, sizeof(f)) == 0)
		fuzz_remember_u32(st->fbs, &st->nfbs, f.fb_id);
}

/* ADDFB2: usually a format of the dumb buffer's bpp over its geometry
 * (planar formats split its rows), sometimes any layout. */
static void fuzz_op_addfb2(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_ADDFB2);
	struct drm_mode_fb_cmd2 f = {0};
	void *arg = fuzz_pick_arg(s, sizeof(f));
	const struct fuzz_object *o = fuzz_pick_object(s, st);
	uint8_t sel = fs_u8(s), flags;
	struct fuzz_format any;
	const struct fuzz_format *fmt =
		fuzz_pick_format(s, o ? o->bpp : 32, &any);
	unsigned int p;

	f.pixel_format = fmt->format;
	if (o && sel < 0xa0) {
		uint32_t rows =
			fmt->planes > 1 ? o->height * 2 / 3 & ~1u : o->height;

		f.width = o->width >> (sel & 1);
		f.height = rows >> (sel & 2 ? 1 : 0);
		for (p = 0; p < fmt->planes; p++) {
			f.handles[p] = o->handle;
			f.pitches[p] =
				p && fmt->planes == 3 ? o->pitch / 2 : o->pitch;
		}
		if (fmt->planes > 1)
			f.offsets[1] = o->pitch * rows;
		if (fmt->planes > 2)
			f.offsets[2] = f.offsets[1] + o->pitch / 2 * (rows / 2);
		if (sel & 4)
			f.offsets[0] = fs_u16(s);
	} else {
		f.width = fuzz_dim(s);
		f.height = fuzz_dim(s);
		for (p = 0; p < 4; p++) {
			if (p >= fmt->planes && !(sel & (0x10 << (p & 1))))
				continue;
			f.handles[p] = fuzz_pick_handle(s, st);
			f.pitches[p] = fuzz_dim(s);
			f.offsets[p] = fs_u8(s) < 0xc0 ? 0 : fs_u32(s);
		}
	}
	flags = fs_u8(s);
	if (flags >= 0xf0) {
		f.flags = fs_u32(s);
	} else {
		if (flags & 1)
			f.flags |= DRM_MODE_FB_MODIFIERS;
		if (flags & 2)
			f.flags |= DRM_MODE_FB_INTERLACED;
	}
	for (p = 0; p < 4 && (flags & 4); p++)
		f.modifier[p] =
			fs_u8(s) < 0xc0 ? DRM_FORMAT_MOD_LINEAR : fs_u64(s);
	if (fuzz_struct_ioctl(st, file, cmd, arg, &f, sizeof(f)) == 0)
		fuzz_remember_u32(st->fbs, &st->nfbs, f.fb_id);
}

/* RMFB or CLOSEFB. */
static void fuzz_op_rmfb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	uint8_t close = fs_u8(s) & 1;
	unsigned long cmd = fuzz_known_cmd(s, close ? DRM_IOCTL_MODE_CLOSEFB
						    : DRM_IOCTL_MODE_RMFB);
	struct drm_mode_closefb c = {0};
	void *arg = fuzz_pick_arg(s, sizeof(c));

	c.fb_id = fuzz_pick_from(s, st->fbs, st->nfbs);
	if (fs_u8(s) >= 0xf0)
		c.pad = fs_u32(s);
	fuzz_struct_ioctl(st, file, cmd, arg, &c,
			  close ? sizeof(c) : sizeof(c.fb_id));
}

/* GETFB or GETFB2: the handles they return are the caller's. */
static void fuzz_op_getfb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	uint8_t v2 = fs_u8(s) & 1;
	unsigned long cmd = fuzz_known_cmd(s, v2 ? DRM_IOCTL_MODE_GETFB2
						 : DRM_IOCTL_MODE_GETFB);
	struct drm_mode_fb_cmd2 f = {0};
	void *arg = fuzz_pick_arg(s, sizeof(f));
	unsigned int p;

	f.fb_id = fuzz_pick_from(s, st->fbs, st->nfbs);
	if (v2) {
		if (fuzz_struct_ioctl(st, file, cmd, arg, &f, sizeof(f)))
			return;
		for (p = 0; p < 4; p++)
			if (f.handles[p] &&
			    (!p || f.handles[p] != f.handles[0]))
				fuzz_remember_object(st, f.handles[p],
						     FUZZ_PAGE_SIZE);
	} else {
		struct drm_mode_fb_cmd c = {.fb_id = f.fb_id};

		if (fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c)) == 0 &&
		    c.handle)
			fuzz_remember_object(st, c.handle, FUZZ_PAGE_SIZE);
	}
}

static void fuzz_op_dirtyfb(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_DIRTYFB);
	struct drm_mode_fb_dirty_cmd d = {0};
	void *arg = fuzz_pick_arg(s, sizeof(d));
	uint8_t sel;
	uint32_t i, n;
	void *clips;

	d.fb_id = fuzz_pick_from(s, st->fbs, st->nfbs);
	sel = fs_u8(s);
	d.flags = sel < 0xf0 ? sel & 3 : fs_u32(s);
	d.color = fs_u8(s);
	n = fuzz_count(s, 4);
	d.num_clips = n;
	clips = fuzz_array_ptr(s, 1, (size_t)n * sizeof(struct drm_clip_rect));
	d.clips_ptr = (uintptr_t)clips;
	for (i = 0; i < n && i < FUZZ_AREA_SIZE / 8; i++) {
		struct drm_clip_rect r = {
			(unsigned short)fuzz_dim(s),
			(unsigned short)fuzz_dim(s),
			(unsigned short)fuzz_dim(s),
			(unsigned short)fuzz_dim(s),
		};

		fuzz_put(clips, i * sizeof(r), &r, sizeof(r));
	}
	fuzz_struct_ioctl(st, file, cmd, arg, &d, sizeof(d));
}

static void fuzz_op_setcrtc(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_SETCRTC);
	struct drm_mode_crtc c = {0};
	void *arg = fuzz_pick_arg(s, sizeof(c));
	uint32_t conns[4], i, n;
	uint8_t sel;
	void *p;

	c.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	if (sel < 0xc0)
		c.fb_id = fuzz_ring_at(st->fbs, st->nfbs, sel);
	else if (sel >= 0xf0)
		c.fb_id = sel & 1 ? (uint32_t)-1 : fs_u32(s);
	c.x = fuzz_dim(s);
	c.y = fuzz_dim(s);
	n = fs_u8(s) % 4;
	for (i = 0; i < n; i++)
		conns[i] = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	c.count_connectors = sel < 0xf0 ? n : fs_u32(s);
	p = fuzz_array_ptr(s, 1, (size_t)n * 4);
	fuzz_put(p, 0, conns, (size_t)n * 4);
	c.set_connectors_ptr = (uintptr_t)p;
	sel = fs_u8(s);
	c.mode_valid = sel < 0xc0 ? 1 : sel < 0xf0 ? 0 : fs_u32(s);
	fuzz_pick_mode(s, kd, &c.mode);
	if (!fuzz_may_block(st))
		return;
	fuzz_struct_ioctl(st, file, cmd, arg, &c, sizeof(c));
}

static void fuzz_op_setplane(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_SETPLANE);
	struct drm_mode_set_plane p = {0};
	void *arg = fuzz_pick_arg(s, sizeof(p));
	uint8_t sel;

	p.plane_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	p.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	p.fb_id = sel < 0xe0 ? fuzz_ring_at(st->fbs, st->nfbs, sel)
			     : (sel < 0xf0 ? 0 : fs_u32(s));
	sel = fs_u8(s);
	p.flags = sel < 0xf0 ? 0 : fs_u32(s);
	p.crtc_x = (int32_t)fuzz_dim(s) * (sel & 1 ? -1 : 1);
	p.crtc_y = (int32_t)fuzz_dim(s) * (sel & 2 ? -1 : 1);
	p.crtc_w = fuzz_dim(s);
	p.crtc_h = fuzz_dim(s);
	p.src_x = fuzz_dim(s) << 16;
	p.src_y = fuzz_dim(s) << 16;
	p.src_w = fuzz_dim(s) << 16 | (sel & 4 ? 0x8000 : 0);
	p.src_h = fuzz_dim(s) << 16;
	if (!fuzz_may_block(st))
		return;
	fuzz_struct_ioctl(st, file, cmd, arg, &p, sizeof(p));
}

/* CURSOR or CURSOR2. */
static void fuzz_op_cursor(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	uint8_t v2 = fs_u8(s) & 1;
	unsigned long cmd = fuzz_known_cmd(s, v2 ? DRM_IOCTL_MODE_CURSOR2
						 : DRM_IOCTL_MODE_CURSOR);
	struct drm_mode_cursor2 c = {0};
	void *arg = fuzz_pick_arg(s, sizeof(c));
	uint8_t sel;

	c.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	c.flags = sel < 0xf0 ? sel & DRM_MODE_CURSOR_FLAGS : fs_u32(s);
	c.handle = sel & 4 ? 0 : fuzz_pick_handle(s, st);
	c.width = sel & 8 ? fuzz_dim(s) : 64;
	c.height = sel & 8 ? fuzz_dim(s) : 64;
	c.x = (int32_t)fuzz_dim(s) - 32;
	c.y = (int32_t)fuzz_dim(s) - 32;
	if (v2) {
		c.hot_x = (int32_t)fs_u8(s) - 8;
		c.hot_y = (int32_t)fs_u8(s) - 8;
	}
	if (!fuzz_may_block(st))
		return;
	fuzz_struct_ioctl(st, file, cmd, arg, &c,
			  v2 ? sizeof(c) : sizeof(struct drm_mode_cursor));
}

static void fuzz_op_page_flip(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_PAGE_FLIP);
	struct drm_mode_crtc_page_flip_target f = {0};
	void *arg = fuzz_pick_arg(s, sizeof(f));
	uint8_t sel;

	f.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	f.fb_id = fuzz_pick_from(s, st->fbs, st->nfbs);
	sel = fs_u8(s);
	if (sel < 0xf0) {
		f.flags = (sel & 1 ? DRM_MODE_PAGE_FLIP_EVENT : 0) |
			  (sel & 2 ? DRM_MODE_PAGE_FLIP_ASYNC : 0);
		if ((sel & 0x1c) == 0x1c)
			f.flags |= DRM_MODE_PAGE_FLIP_TARGET_RELATIVE;
		else if ((sel & 0x1c) == 0x18)
			f.flags |= DRM_MODE_PAGE_FLIP_TARGET_ABSOLUTE;
		f.sequence = sel >> 5;
	} else {
		f.flags = fs_u32(s);
		f.sequence = fs_u32(s);
	}
	f.user_data = 0x1000 + sel;
	sel = fs_u8(s); /* read the event after */
	if (fuzz_struct_ioctl(st, file, cmd, arg, &f, sizeof(f)) == 0 &&
	    (sel & 1))
		fuzz_read_events(file, FUZZ_AREA_SIZE);
}

/* GETGAMMA or SETGAMMA, with red, green and blue in areas 1, 2, 3. */
static void fuzz_op_gamma(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	uint8_t set = fs_u8(s) & 1;
	unsigned long cmd = fuzz_known_cmd(s, set ? DRM_IOCTL_MODE_SETGAMMA
						  : DRM_IOCTL_MODE_GETGAMMA);
	struct drm_mode_crtc_lut l = {0};
	void *arg = fuzz_pick_arg(s, sizeof(l));
	uint8_t sel;
	uint16_t x;
	uint32_t i, c;
	void *p[3];

	l.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	if (sel < 0xc0)
		l.gamma_size = kd->gamma_size ? kd->gamma_size : 256;
	else
		l.gamma_size = sel < 0xf0 ? sel & 0x3f : fs_u32(s);
	x = fs_u16(s);
	for (c = 0; c < 3; c++) {
		p[c] = fuzz_array_ptr(s, 1 + c, (size_t)l.gamma_size * 2);
		for (i = 0; set && i < l.gamma_size && i < FUZZ_AREA_SIZE / 2;
		     i++) {
			uint16_t v = (uint16_t)(i * 257u) ^ (uint16_t)(x * c);

			fuzz_put(p[c], i * 2, &v, 2);
		}
	}
	l.red = (uintptr_t)p[0];
	l.green = (uintptr_t)p[1];
	l.blue = (uintptr_t)p[2];
	if (set && !fuzz_may_block(st))
		return;
	fuzz_struct_ioctl(st, file, cmd, arg, &l, sizeof(l));
}

#define FUZZ_ATOMIC_OBJS  6
#define FUZZ_ATOMIC_PROPS 12

/* An atomic commit of known objects and properties with typed, id,
 * small or random values; TEST_ONLY, NONBLOCK, ALLOW_MODESET,
 * PAGE_FLIP_EVENT and ASYNC from the flags byte. */
static void fuzz_op_atomic(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_ATOMIC);
	struct drm_mode_atomic a = {0};
	void *arg = fuzz_pick_arg(s, sizeof(a));
	uint32_t objs[FUZZ_ATOMIC_OBJS], counts[FUZZ_ATOMIC_OBJS];
	uint32_t props[FUZZ_ATOMIC_OBJS * FUZZ_ATOMIC_PROPS];
	uint64_t values[FUZZ_ATOMIC_OBJS * FUZZ_ATOMIC_PROPS];
	uint32_t i, j, nobjs, nprops = 0;
	uint8_t read, sel = fs_u8(s);
	void *p[4];

	if (sel < 0xf0) {
		a.flags = (sel & 1 ? DRM_MODE_ATOMIC_TEST_ONLY : 0) |
			  (sel & 2 ? DRM_MODE_ATOMIC_NONBLOCK : 0) |
			  (sel & 4 ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0) |
			  (sel & 8 ? DRM_MODE_PAGE_FLIP_EVENT : 0) |
			  ((sel & 0x30) == 0x30 ? DRM_MODE_PAGE_FLIP_ASYNC : 0);
	} else {
		a.flags = fs_u32(s);
	}
	nobjs = fs_u8(s) % (FUZZ_ATOMIC_OBJS + 1);
	for (i = 0; i < nobjs; i++) {
		const struct fuzz_kms_obj *obj;

		objs[i] = fuzz_pick_kms_obj(s, st, kd, &obj);
		counts[i] = fs_u8(s) % (FUZZ_ATOMIC_PROPS + 1);
		for (j = 0; j < counts[i]; j++, nprops++) {
			const struct fuzz_kms_prop *prop;

			props[nprops] =
				fuzz_pick_kms_prop(s, st, kd, obj, &prop);
			values[nprops] =
				fuzz_pick_value(s, st, kd, prop, props[nprops]);
			if (fuzz_trace)
				fprintf(stderr,
					"  atomic: object %u %s(%u) = %#llx\n",
					objs[i], prop ? prop->name : "?",
					props[nprops],
					(unsigned long long)values[nprops]);
		}
	}
	sel = fs_u8(s);
	a.count_objs = sel < 0xf0 ? nobjs : fs_u32(s);
	p[0] = fuzz_array_ptr(s, 1, (size_t)nobjs * 4);
	p[1] = fuzz_array_ptr(s, 2, (size_t)nobjs * 4);
	p[2] = fuzz_array_ptr(s, 3, (size_t)nprops * 4);
	p[3] = fuzz_array_ptr(s, 4, (size_t)nprops * 8);
	/* Stale scratch words the core may read as values (counts larger
	 * than the arrays) must be harmless. Taming after writing would
	 * rewrite ids: two u32 ids can read as an address in the
	 * sanitizers' shadow memory. The values are tamed one by one. */
	fuzz_tame_scratch();
	fuzz_put(p[0], 0, objs, (size_t)nobjs * 4);
	fuzz_put(p[1], 0, counts, (size_t)nobjs * 4);
	fuzz_put(p[2], 0, props, (size_t)nprops * 4);
	fuzz_put(p[3], 0, values, (size_t)nprops * 8);
	a.objs_ptr = (uintptr_t)p[0];
	a.count_props_ptr = (uintptr_t)p[1];
	a.props_ptr = (uintptr_t)p[2];
	a.prop_values_ptr = (uintptr_t)p[3];
	if (sel >= 0xe0 && sel < 0xf0)
		a.reserved = fs_u64(s);
	a.user_data = 0x2000 + nprops;
	if (!(a.flags &
	      (DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_NONBLOCK)) &&
	    !fuzz_may_block(st))
		a.flags |= DRM_MODE_ATOMIC_NONBLOCK;
	read = fs_u8(s) & 1;
	if (fuzz_struct_ioctl(st, file, cmd, arg, &a, sizeof(a)) == 0 && read)
		fuzz_read_events(file, FUZZ_AREA_SIZE);
}

static void fuzz_op_wait_vblank(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_WAIT_VBLANK);
	union drm_wait_vblank w = {{0}};
	void *arg = fuzz_pick_arg(s, sizeof(w));
	uint8_t sel = fs_u8(s);

	if (sel < 0xf0) {
		w.request.type =
			(sel & 1 ? _DRM_VBLANK_RELATIVE
				 : _DRM_VBLANK_ABSOLUTE) |
			(sel & 2 ? _DRM_VBLANK_EVENT : 0) |
			(sel & 4 ? _DRM_VBLANK_NEXTONMISS : 0) |
			((sel >> 3) & 3u) << _DRM_VBLANK_HIGH_CRTC_SHIFT |
			((sel & 0x60) == 0x60 ? _DRM_VBLANK_SECONDARY : 0);
	} else {
		w.request.type = fs_u32(s);
	}
	sel = fs_u8(s);
	w.request.sequence = sel < 0xf0 ? sel & 3 : fs_u32(s);
	w.request.signal = 0x3000 + sel;
	/* fuzz_ioctl() keeps blocking waits short. */
	fuzz_struct_ioctl(st, file, cmd, arg, &w, sizeof(w));
}

/* CRTC_GET_SEQUENCE or CRTC_QUEUE_SEQUENCE. */
static void fuzz_op_sequence(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	uint8_t queue = fs_u8(s) & 1;
	unsigned long cmd =
		fuzz_known_cmd(s, queue ? DRM_IOCTL_CRTC_QUEUE_SEQUENCE
					: DRM_IOCTL_CRTC_GET_SEQUENCE);
	struct drm_crtc_queue_sequence q = {0};
	void *arg = fuzz_pick_arg(s, sizeof(q));
	uint8_t sel;

	q.crtc_id = fuzz_pick_kms_obj(s, st, kd, NULL);
	if (!queue) {
		struct drm_crtc_get_sequence g = {.crtc_id = q.crtc_id};

		fuzz_struct_ioctl(st, file, cmd, arg, &g, sizeof(g));
		return;
	}
	sel = fs_u8(s);
	q.flags = sel < 0xf0 ? sel & 3 : fs_u32(s);
	q.sequence = sel < 0xc0 ? (uint64_t)(sel >> 2 & 3) : fs_u64(s);
	q.user_data = 0x4000 + sel;
	fuzz_struct_ioctl(st, file, cmd, arg, &q, sizeof(q));
}

static void fuzz_op_create_lease(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	const struct fuzz_kms_dev *kd = fuzz_file_kms(file);
	struct drm_mode_create_lease l = {0};
	uint32_t ids[8], i, n = fs_u8(s) % 6;
	uint8_t sel;
	void *p;

	for (i = 0; i < n; i++)
		ids[i] = fuzz_pick_kms_obj(s, st, kd, NULL);
	sel = fs_u8(s);
	l.object_count = sel < 0xf0 ? n : fs_u32(s);
	p = fuzz_array_ptr(s, 1, (size_t)n * 4);
	fuzz_put(p, 0, ids, (size_t)n * 4);
	l.object_ids = (uintptr_t)p;
	sel = fs_u8(s);
	l.flags = sel < 0xf0 ? (sel & 1 ? O_CLOEXEC : 0) |
				       (sel & 2 ? O_NONBLOCK : 0)
			     : fs_u32(s);
	/* fuzz_ioctl() picks the fd up. */
	if (fuzz_struct_ioctl(st, file, DRM_IOCTL_MODE_CREATE_LEASE,
			      fuzz_scratch((size_t)(sel & 0x3f) * 8), &l,
			      sizeof(l)) == 0)
		fuzz_remember_u32(st->lessees, &st->nlessees, l.lessee_id);
}

/* LIST_LESSEES, GET_LEASE or REVOKE_LEASE. */
static void fuzz_op_lease_query(struct fuzz_stream *s, struct fuzz_state *st)
{
	struct udrm_file *file = fuzz_pick_file(s, st);
	uint8_t which = fs_u8(s) % 3;

	if (which == 0) {
		unsigned long cmd =
			fuzz_known_cmd(s, DRM_IOCTL_MODE_LIST_LESSEES);
		struct drm_mode_list_lessees l = {0};
		void *arg = fuzz_pick_arg(s, sizeof(l));
		uint32_t n = fuzz_count(s, 16);
		void *p = fuzz_array_ptr(s, 1, (size_t)n * 4);

		l.count_lessees = n;
		l.lessees_ptr = (uintptr_t)p;
		if (fuzz_struct_ioctl(st, file, cmd, arg, &l, sizeof(l)) == 0)
			fuzz_remember_ids(st->lessees, &st->nlessees, p,
					  l.count_lessees < n ? l.count_lessees
							      : n);
	} else if (which == 1) {
		unsigned long cmd = fuzz_known_cmd(s, DRM_IOCTL_MODE_GET_LEASE);
		struct drm_mode_get_lease g = {0};
		void *arg = fuzz_pick_arg(s, sizeof(g));
		uint32_t n = fuzz_count(s, 16);
		void *p = fuzz_array_ptr(s, 1, (size_t)n * 4);

		g.count_objects = n;
		g.objects_ptr = (uintptr_t)p;
		if (fuzz_struct_ioctl(st, file, cmd, arg, &g, sizeof(g)) == 0)
			fuzz_remember_ids(st->kms_objs, &st->nkms_objs, p,
					  g.count_objects < n ? g.count_objects
							      : n);
	} else {
		unsigned long cmd =
			fuzz_known_cmd(s, DRM_IOCTL_MODE_REVOKE_LEASE);
		struct drm_mode_revoke_lease r = {0};
		void *arg = fuzz_pick_arg(s, sizeof(r));

		r.lessee_id = fuzz_pick_from(s, st->lessees, st->nlessees);
		fuzz_struct_ioctl(st, file, cmd, arg, &r, sizeof(r));
	}
}

/* ---- KMS: the device's start-up state ---- */

static void fuzz_kms_caps(struct udrm_file *file)
{
	static const uint64_t caps[] = {
		DRM_CLIENT_CAP_UNIVERSAL_PLANES,
		DRM_CLIENT_CAP_ATOMIC,
		DRM_CLIENT_CAP_WRITEBACK_CONNECTORS,
	};
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct drm_set_client_cap c = {.capability = caps[i],
					       .value = 1};

		udrm_file_ioctl(file, DRM_IOCTL_SET_CLIENT_CAP, &c);
	}
}

/* The catalogue index of property @id, added on first sight; -1. */
static int fuzz_kms_add_prop(struct udrm_file *file, struct fuzz_kms_dev *kd,
			     uint32_t id)
{
	uint64_t values[FUZZ_KMS_QUERY_MAX];
	struct drm_mode_property_enum enums[FUZZ_KMS_QUERY_MAX];
	struct drm_mode_get_property g = {
		.values_ptr = (uintptr_t)values,
		.enum_blob_ptr = (uintptr_t)enums,
		.prop_id = id,
		.count_values = FUZZ_KMS_QUERY_MAX,
		.count_enum_blobs = FUZZ_KMS_QUERY_MAX,
	};
	struct fuzz_kms_prop *p;
	unsigned int i;

	for (i = 0; i < kd->nprops; i++)
		if (kd->props[i].id == id)
			return (int)i;
	if (kd->nprops == FUZZ_KMS_MAX_PROPS ||
	    udrm_file_ioctl(file, DRM_IOCTL_MODE_GETPROPERTY, &g))
		return -1;
	p = &kd->props[kd->nprops];
	p->id = id;
	p->flags = g.flags;
	memcpy(p->name, g.name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = 0;
	p->nvalues = g.count_values < FUZZ_KMS_PROP_VALUES
			     ? g.count_values
			     : FUZZ_KMS_PROP_VALUES;
	memcpy(p->values, values, p->nvalues * sizeof(values[0]));
	p->pointer = fuzz_is_pointer_prop(p->name);
	return (int)kd->nprops++;
}

static struct fuzz_kms_obj *fuzz_kms_add_obj(struct udrm_file *file,
					     struct fuzz_kms_dev *kd,
					     uint32_t id, uint32_t type)
{
	uint32_t props[FUZZ_KMS_QUERY_MAX];
	uint64_t values[FUZZ_KMS_QUERY_MAX];
	struct drm_mode_obj_get_properties g = {
		.props_ptr = (uintptr_t)props,
		.prop_values_ptr = (uintptr_t)values,
		.count_props = FUZZ_KMS_QUERY_MAX,
		.obj_id = id,
		.obj_type = type,
	};
	struct fuzz_kms_obj *obj;
	unsigned int i;

	if (kd->nobjs == FUZZ_KMS_MAX_OBJS)
		return NULL;
	obj = &kd->objs[kd->nobjs++];
	*obj = (struct fuzz_kms_obj){.id = id, .type = type};
	if (udrm_file_ioctl(file, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &g))
		return obj;
	for (i = 0; i < g.count_props && i < FUZZ_KMS_QUERY_MAX &&
		    obj->nprops < FUZZ_KMS_OBJ_PROPS;
	     i++) {
		int p = fuzz_kms_add_prop(file, kd, props[i]);

		if (p < 0)
			continue;
		obj->props[obj->nprops] = (uint16_t)p;
		obj->init[obj->nprops++] = values[i];
	}
	return obj;
}

static bool fuzz_kms_obj_value(const struct fuzz_kms_dev *kd,
			       const struct fuzz_kms_obj *obj, const char *name,
			       uint64_t *value)
{
	unsigned int i;

	for (i = 0; i < obj->nprops; i++) {
		if (!strcmp(kd->props[obj->props[i]].name, name)) {
			*value = obj->init[i];
			return true;
		}
	}
	return false;
}

static void fuzz_kms_set_role(struct fuzz_kms_dev *kd, enum fuzz_kms_role role,
			      const struct fuzz_kms_obj *obj)
{
	if (obj && kd->roles[role] < 0)
		kd->roles[role] = (int)(obj - kd->objs);
}

static void fuzz_kms_add_connector(struct udrm_file *file,
				   struct fuzz_kms_dev *kd, uint32_t id)
{
	struct drm_mode_modeinfo modes[FUZZ_KMS_QUERY_MAX];
	struct drm_mode_get_connector c = {.connector_id = id};
	const struct fuzz_kms_obj *obj =
		fuzz_kms_add_obj(file, kd, id, DRM_MODE_OBJECT_CONNECTOR);

	/* The first call probes, the second gets the modes. */
	if (udrm_file_ioctl(file, DRM_IOCTL_MODE_GETCONNECTOR, &c))
		return;
	if (c.connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
		fuzz_kms_set_role(kd, FUZZ_ROLE_WRITEBACK, obj);
		return;
	}
	fuzz_kms_set_role(kd, FUZZ_ROLE_CONNECTOR, obj);
	c = (struct drm_mode_get_connector){
		.connector_id = id,
		.modes_ptr = (uintptr_t)modes,
		.count_modes = FUZZ_KMS_QUERY_MAX,
	};
	if (kd->nmodes ||
	    udrm_file_ioctl(file, DRM_IOCTL_MODE_GETCONNECTOR, &c))
		return;
	kd->nmodes = c.count_modes < FUZZ_KMS_MAX_MODES ? c.count_modes
							: FUZZ_KMS_MAX_MODES;
	memcpy(kd->modes, modes, kd->nmodes * sizeof(modes[0]));
}

/* Records device @i's objects, their properties and their start-up
 * values. Devices without KMS get an empty catalogue. */
static void fuzz_kms_catalogue(size_t i)
{
	struct fuzz_kms_dev *kd = &fuzz_kms[i];
	uint32_t ids[4][FUZZ_KMS_QUERY_MAX], planes[FUZZ_KMS_QUERY_MAX];
	struct drm_mode_card_res r = {
		.fb_id_ptr = (uintptr_t)ids[0],
		.crtc_id_ptr = (uintptr_t)ids[1],
		.connector_id_ptr = (uintptr_t)ids[2],
		.encoder_id_ptr = (uintptr_t)ids[3],
		.count_fbs = FUZZ_KMS_QUERY_MAX,
		.count_crtcs = FUZZ_KMS_QUERY_MAX,
		.count_connectors = FUZZ_KMS_QUERY_MAX,
		.count_encoders = FUZZ_KMS_QUERY_MAX,
	};
	struct drm_mode_get_plane_res pr = {
		.plane_id_ptr = (uintptr_t)planes,
		.count_planes = FUZZ_KMS_QUERY_MAX,
	};
	struct udrm_file *file;
	uint32_t j;

	if (i >= fuzz_ndevices ||
	    udrm_file_open(fuzz_devices[i], UDRM_NODE_PRIMARY, O_RDWR, &file))
		return;
	fuzz_kms_caps(file);
	if (udrm_file_ioctl(file, DRM_IOCTL_MODE_GETRESOURCES, &r))
		goto out;
	for (j = 0; j < r.count_crtcs && j < FUZZ_KMS_QUERY_MAX; j++) {
		struct drm_mode_crtc c = {.crtc_id = ids[1][j]};

		fuzz_kms_set_role(kd, FUZZ_ROLE_CRTC,
				  fuzz_kms_add_obj(file, kd, ids[1][j],
						   DRM_MODE_OBJECT_CRTC));
		if (!kd->gamma_size &&
		    !udrm_file_ioctl(file, DRM_IOCTL_MODE_GETCRTC, &c))
			kd->gamma_size = c.gamma_size;
	}
	for (j = 0; j < r.count_connectors && j < FUZZ_KMS_QUERY_MAX; j++)
		fuzz_kms_add_connector(file, kd, ids[2][j]);
	for (j = 0; j < r.count_encoders && j < FUZZ_KMS_QUERY_MAX; j++)
		fuzz_kms_set_role(kd, FUZZ_ROLE_ENCODER,
				  fuzz_kms_add_obj(file, kd, ids[3][j],
						   DRM_MODE_OBJECT_ENCODER));
	if (udrm_file_ioctl(file, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr))
		goto out;
	for (j = 0; j < pr.count_planes && j < FUZZ_KMS_QUERY_MAX; j++) {
		const struct fuzz_kms_obj *obj = fuzz_kms_add_obj(
			file, kd, planes[j], DRM_MODE_OBJECT_PLANE);
		uint64_t type;

		if (!obj || !fuzz_kms_obj_value(kd, obj, "type", &type))
			continue;
		if (type == FUZZ_PLANE_TYPE_PRIMARY)
			fuzz_kms_set_role(kd, FUZZ_ROLE_PRIMARY, obj);
		else if (type == FUZZ_PLANE_TYPE_CURSOR)
			fuzz_kms_set_role(kd, FUZZ_ROLE_CURSOR, obj);
		else
			fuzz_kms_set_role(kd, FUZZ_ROLE_OVERLAY, obj);
	}
out:
	udrm_file_close(file);
}

static void fuzz_kms_trace_catalogue(size_t i)
{
	const struct fuzz_kms_dev *kd = &fuzz_kms[i];
	unsigned int o, p;

	for (o = 0; o < kd->nobjs; o++) {
		const struct fuzz_kms_obj *obj = &kd->objs[o];

		fprintf(stderr, "kms %zu: object %u type %#x:", i, obj->id,
			obj->type);
		for (p = 0; p < obj->nprops; p++)
			fprintf(stderr, " %s(%u)=%llu",
				kd->props[obj->props[p]].name,
				kd->props[obj->props[p]].id,
				(unsigned long long)obj->init[p]);
		fprintf(stderr, "\n");
	}
	for (o = 0; o < FUZZ_ROLE_COUNT; o++)
		fprintf(stderr, "kms %zu: role %u = %u\n", i, o,
			fuzz_role_id(kd, o));
	fprintf(stderr, "kms %zu: %u modes, gamma size %u\n", i, kd->nmodes,
		kd->gamma_size);
}

/* Whether the restore commit sets @prop: not the immutable ones, nor
 * those that only make sense in one commit (fences, writeback jobs,
 * damage), nor DPMS (legacy only). */
static bool fuzz_kms_restorable(const struct fuzz_kms_prop *prop, bool minimal)
{
	static const char *const skip[] = {
		"IN_FENCE_FD",
		"WRITEBACK_FB_ID",
		"FB_DAMAGE_CLIPS",
		"DPMS",
	};
	static const char *const essential[] = {
		"ACTIVE",
		"MODE_ID",
		"CRTC_ID",
		"FB_ID",
	};
	size_t i;

	if (prop->pointer || (prop->flags & DRM_MODE_PROP_IMMUTABLE))
		return false;
	if (minimal) {
		for (i = 0; i < sizeof(essential) / sizeof(essential[0]); i++)
			if (!strcmp(prop->name, essential[i]))
				return true;
		return false;
	}
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcmp(prop->name, skip[i]))
			return false;
	return true;
}

/* Commits the start-up values (all of them, or only those that light
 * the display: ACTIVE, MODE_ID, CRTC_ID, FB_ID). */
static int fuzz_kms_commit_init(struct udrm_file *file,
				const struct fuzz_kms_dev *kd, bool minimal)
{
	uint32_t objs[FUZZ_KMS_MAX_OBJS], counts[FUZZ_KMS_MAX_OBJS];
	uint32_t props[FUZZ_KMS_MAX_OBJS * FUZZ_KMS_OBJ_PROPS];
	uint64_t values[FUZZ_KMS_MAX_OBJS * FUZZ_KMS_OBJ_PROPS];
	struct drm_mode_atomic a = {
		.flags = DRM_MODE_ATOMIC_ALLOW_MODESET,
		.objs_ptr = (uintptr_t)objs,
		.count_props_ptr = (uintptr_t)counts,
		.props_ptr = (uintptr_t)props,
		.prop_values_ptr = (uintptr_t)values,
	};
	unsigned int i, j, n = 0;

	for (i = 0; i < kd->nobjs; i++) {
		const struct fuzz_kms_obj *obj = &kd->objs[i];

		objs[a.count_objs] = obj->id;
		counts[a.count_objs] = 0;
		for (j = 0; j < obj->nprops; j++) {
			if (!fuzz_kms_restorable(&kd->props[obj->props[j]],
						 minimal))
				continue;
			props[n] = kd->props[obj->props[j]].id;
			values[n++] = obj->init[j];
			counts[a.count_objs]++;
		}
		if (counts[a.count_objs])
			a.count_objs++;
	}
	return udrm_file_ioctl(file, DRM_IOCTL_MODE_ATOMIC, &a);
}

/* Puts device @i's display back as it was at start-up. */
static void fuzz_kms_restore(size_t i)
{
	const struct fuzz_kms_dev *kd = &fuzz_kms[i];
	struct udrm_file *file;
	int ret;

	if (!kd->nobjs ||
	    udrm_file_open(fuzz_devices[i], UDRM_NODE_PRIMARY, O_RDWR, &file))
		return;
	fuzz_kms_caps(file);
	ret = fuzz_kms_commit_init(file, kd, false);
	if (ret)
		ret = fuzz_kms_commit_init(file, kd, true);
	if (ret && fuzz_trace)
		fprintf(stderr, "restoring %s's display state failed: %d\n",
			udrm_device_driver_name(fuzz_devices[i]), ret);
	udrm_file_close(file);
}

static void fuzz_run_op(struct fuzz_stream *s, struct fuzz_state *st)
{
	unsigned int op = fs_u8(s) % FUZZ_OP_COUNT;

	if (fuzz_trace)
		fprintf(stderr, "op %u at byte %zu\n", op, s->pos - 1);
	switch (op) {
	case FUZZ_OP_OPEN:
		fuzz_op_open(s, st);
		break;
	case FUZZ_OP_CLOSE:
		fuzz_op_close(s, st);
		break;
	case FUZZ_OP_RANDOM_IOCTL:
		fuzz_op_random_ioctl(s, st, false);
		break;
	case FUZZ_OP_RANDOM_DRM_IOCTL:
		fuzz_op_random_ioctl(s, st, true);
		break;
	case FUZZ_OP_VERSION:
		fuzz_op_version(s, st);
		break;
	case FUZZ_OP_GET_UNIQUE:
		fuzz_op_get_unique(s, st);
		break;
	case FUZZ_OP_GET_MAGIC:
		fuzz_op_get_magic(s, st);
		break;
	case FUZZ_OP_AUTH_MAGIC:
		fuzz_op_auth_magic(s, st);
		break;
	case FUZZ_OP_SET_MASTER:
		fuzz_op_master(s, st, DRM_IOCTL_SET_MASTER);
		break;
	case FUZZ_OP_DROP_MASTER:
		fuzz_op_master(s, st, DRM_IOCTL_DROP_MASTER);
		break;
	case FUZZ_OP_GET_CAP:
		fuzz_op_get_cap(s, st);
		break;
	case FUZZ_OP_SET_CLIENT_CAP:
		fuzz_op_set_client_cap(s, st);
		break;
	case FUZZ_OP_SET_VERSION:
		fuzz_op_set_version(s, st);
		break;
	case FUZZ_OP_GEM_CLOSE:
		fuzz_op_gem_close(s, st);
		break;
	case FUZZ_OP_GEM_FLINK:
		fuzz_op_gem_flink(s, st);
		break;
	case FUZZ_OP_GEM_OPEN:
		fuzz_op_gem_open(s, st);
		break;
	case FUZZ_OP_PRIME_EXPORT:
		fuzz_op_prime_export(s, st);
		break;
	case FUZZ_OP_PRIME_IMPORT:
		fuzz_op_prime_import(s, st);
		break;
	case FUZZ_OP_CREATE_DUMB:
		fuzz_op_create_dumb(s, st);
		break;
	case FUZZ_OP_MAP_DUMB:
		fuzz_op_map_dumb(s, st);
		break;
	case FUZZ_OP_DESTROY_DUMB:
		fuzz_op_destroy_dumb(s, st);
		break;
	case FUZZ_OP_MMAP:
		fuzz_op_mmap(s, st);
		break;
	case FUZZ_OP_READ:
		fuzz_op_read(s, st);
		break;
	case FUZZ_OP_CLOSE_FD:
		fuzz_op_close_fd(s, st);
		break;
	case FUZZ_OP_FOREIGN_BUFFER:
		fuzz_op_foreign_buffer(s, st);
		break;
	case FUZZ_OP_TOUCH_MAPPING:
		fuzz_op_touch_mapping(s, st);
		break;
	case FUZZ_OP_KMS_CAPS:
		fuzz_op_kms_caps(s, st);
		break;
	case FUZZ_OP_GETRESOURCES:
		fuzz_op_getresources(s, st);
		break;
	case FUZZ_OP_GETPLANERESOURCES:
		fuzz_op_getplaneresources(s, st);
		break;
	case FUZZ_OP_GET_OBJECT:
		fuzz_op_get_object(s, st);
		break;
	case FUZZ_OP_GETPROPERTY:
		fuzz_op_getproperty(s, st);
		break;
	case FUZZ_OP_OBJ_GETPROPERTIES:
		fuzz_op_obj_getproperties(s, st);
		break;
	case FUZZ_OP_SETPROPERTY:
		fuzz_op_setproperty(s, st);
		break;
	case FUZZ_OP_CREATE_BLOB:
		fuzz_op_create_blob(s, st);
		break;
	case FUZZ_OP_GET_BLOB:
		fuzz_op_get_blob(s, st);
		break;
	case FUZZ_OP_DESTROY_BLOB:
		fuzz_op_destroy_blob(s, st);
		break;
	case FUZZ_OP_ADDFB:
		fuzz_op_addfb(s, st);
		break;
	case FUZZ_OP_ADDFB2:
		fuzz_op_addfb2(s, st);
		break;
	case FUZZ_OP_RMFB:
		fuzz_op_rmfb(s, st);
		break;
	case FUZZ_OP_GETFB:
		fuzz_op_getfb(s, st);
		break;
	case FUZZ_OP_DIRTYFB:
		fuzz_op_dirtyfb(s, st);
		break;
	case FUZZ_OP_SETCRTC:
		fuzz_op_setcrtc(s, st);
		break;
	case FUZZ_OP_SETPLANE:
		fuzz_op_setplane(s, st);
		break;
	case FUZZ_OP_CURSOR:
		fuzz_op_cursor(s, st);
		break;
	case FUZZ_OP_PAGE_FLIP:
		fuzz_op_page_flip(s, st);
		break;
	case FUZZ_OP_GAMMA:
		fuzz_op_gamma(s, st);
		break;
	case FUZZ_OP_ATOMIC:
		fuzz_op_atomic(s, st);
		break;
	case FUZZ_OP_WAIT_VBLANK:
		fuzz_op_wait_vblank(s, st);
		break;
	case FUZZ_OP_SEQUENCE:
		fuzz_op_sequence(s, st);
		break;
	case FUZZ_OP_CREATE_LEASE:
		fuzz_op_create_lease(s, st);
		break;
	case FUZZ_OP_LEASE_QUERY:
		fuzz_op_lease_query(s, st);
		break;
	case FUZZ_OP_READ_EVENTS:
		fuzz_op_read_events(s, st);
		break;
	}
}

/* ---- leak oracle ---- */

/* Counts the open fds the core could have leaked: sockets (each file's
 * event channel) and memfds backing GEM objects or dma-bufs; not the
 * devices' GEM arenas (made on first use and kept), and not other fds
 * (libFuzzer and the sanitizers open pipes to their symbolizer). */
static void fuzz_count_fds(struct fuzz_fd_census *c)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	char path[64], link[256];

	c->sockets = c->objects = 0;
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (!strncmp(link, "socket:", 7))
			c->sockets++;
		else if (strstr(link, "memfd:udrm-dmabuf") ||
			 strstr(link, "memfd:udrm-fuzz-foreign"))
			c->objects++;
	}
	closedir(dir);
}

/* A sync_file (OUT_FENCE_PTR, SYNCOBJ_HANDLE_TO_FD) keeps the other end of
 * its socket until a lookup finds the program's end closed: have the
 * core look one up, so that those whose fds the fuzzer closed go. */
static void fuzz_sweep_sync_files(void)
{
	struct sync_file_info info = {0};

	udrm_sync_file_ioctl(fuzz_sweep_sock[0], SYNC_IOC_FILE_INFO, &info);
}

/*
 * Some releases are deferred by design and finish shortly after the last
 * close: an unsynced (legacy cursor) commit frees the state it replaced,
 * and with it the old cursor framebuffer, at the next vblank on the
 * commit worker; a composition in progress holds its snapshot's
 * framebuffers until it ends. Each holds the GEM object, and so an
 * exported buffer's memfd, for at most a frame or two. The oracle waits
 * for them (up to FUZZ_SETTLE_MS); a leak stays and still fails.
 */
#define FUZZ_SETTLE_MS 1000

static bool fuzz_census_clean(struct fuzz_fd_census *now)
{
	fuzz_sweep_sync_files();
	fuzz_count_fds(now);
	return now->sockets == fuzz_baseline.sockets && !now->objects;
}

static void fuzz_check_no_leaks(void)
{
	struct fuzz_fd_census now;
	unsigned int waited;

	for (waited = 0; !fuzz_census_clean(&now); waited++) {
		if (waited == FUZZ_SETTLE_MS) {
			fprintf(stderr,
				"fuzz-ioctl: fd leak after closing every "
				"file (still there after %d ms): %d sockets "
				"open (expected %d), %d GEM/dma-buf memfds "
				"(expected 0)\n",
				FUZZ_SETTLE_MS, now.sockets,
				fuzz_baseline.sockets, now.objects);
			abort();
		}
		usleep(1000);
	}
}

/* ---- libFuzzer entry points ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct udrm_config *cfg;
	size_t i;

	if (udrm_config_default(&cfg))
		abort();
	for (i = 0; i < udrm_config_device_count(cfg) && i < FUZZ_MAX_DEVICES;
	     i++) {
		if (udrm_device_create(udrm_config_device(cfg, i),
				       &fuzz_devices[fuzz_ndevices]))
			abort();
		fuzz_ndevices++;
	}
	udrm_config_free(cfg);
	if (!fuzz_ndevices)
		abort();
	for (i = 0; i <= FUZZ_MAX_DEVICES; i++) {
		memset(fuzz_kms[i].roles, 0xff, sizeof(fuzz_kms[i].roles));
		fuzz_kms_catalogue(i);
	}

	if (pipe2(fuzz_probe, O_CLOEXEC | O_NONBLOCK) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		       fuzz_sweep_sock))
		abort();
	fuzz_region = mmap(NULL, FUZZ_REGION_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fuzz_region == MAP_FAILED)
		abort();
	/* Reads of the read-only page see all ones: no user pointer, a
	 * negative deadline, a size the core must refuse. */
	memset(fuzz_region + FUZZ_SCRATCH_SIZE, 0xff, FUZZ_RO_SIZE);
	if (mprotect(fuzz_region + FUZZ_SCRATCH_SIZE, FUZZ_RO_SIZE,
		     PROT_READ) ||
	    mprotect(fuzz_region + FUZZ_SCRATCH_SIZE + FUZZ_RO_SIZE,
		     FUZZ_GUARD_SIZE, PROT_NONE))
		abort();
	fuzz_count_fds(&fuzz_baseline);
	fuzz_trace = getenv("FUZZ_IOCTL_TRACE") != NULL;
	for (i = 0; fuzz_trace && i < fuzz_ndevices; i++)
		fuzz_kms_trace_catalogue(i);
	if (fuzz_trace)
		fprintf(stderr, "scratch %p, read-only page %p, guard %p\n",
			(void *)fuzz_region,
			(void *)(fuzz_region + FUZZ_SCRATCH_SIZE),
			(void *)(fuzz_region + FUZZ_SCRATCH_SIZE +
				 FUZZ_RO_SIZE));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_stream s = {.data = data, .size = size};
	struct fuzz_state st;
	unsigned int i, steps;

	memset(&st, 0, sizeof(st));
	st.blocking_left = FUZZ_MAX_BLOCKING;
	fuzz_vblank_waits_left = FUZZ_MAX_VBLANK_WAITS;
	memset(fuzz_region, 0, FUZZ_SCRATCH_SIZE);
	if (fuzz_trace)
		fprintf(stderr, "input of %zu bytes\n", size);
	for (steps = 0; s.pos < s.size && steps < FUZZ_MAX_STEPS; steps++)
		fuzz_run_op(&s, &st);

	for (i = 0; i < FUZZ_MAX_FILES; i++)
		if (st.files[i])
			udrm_file_close(st.files[i]);
	for (i = 0; i < FUZZ_MAX_LEASES; i++)
		if (st.lease_files[i])
			udrm_file_close(st.lease_files[i]);
	for (i = 0; i < fuzz_fd_count(&st); i++)
		close(st.fds[i]);
	for (i = 0; i < fuzz_live_count(&st); i++)
		munmap(st.live[i].addr, st.live[i].len);
	for (i = 0; st.kms_dirty && i < fuzz_ndevices; i++)
		fuzz_kms_restore(i);
	fuzz_check_no_leaks();
	return 0;
}
