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
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
};

static struct udrm_device *fuzz_devices[FUZZ_MAX_DEVICES];
static size_t fuzz_ndevices;
static uint8_t *fuzz_region;
static int fuzz_probe[2]; /* pipe for fuzz_addr_dangerous() */
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

static struct udrm_file *fuzz_pick_file(struct fuzz_stream *s,
					const struct fuzz_state *st)
{
	return st->files[fs_u8(s) % FUZZ_MAX_FILES];
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

static const struct fuzz_arg_tamer fuzz_arg_tamers[] = {
	{_IOC_NR(DRM_IOCTL_MODE_CREATE_DUMB),
	 sizeof(struct drm_mode_create_dumb), fuzz_tame_dumb_arg},
	{_IOC_NR(DRM_IOCTL_SYNCOBJ_WAIT), 16, fuzz_tame_syncobj_wait},
	{_IOC_NR(DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT), 24,
	 fuzz_tame_syncobj_timeline_wait},
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

/* Issues @cmd and collects any fd it returns. */
static int fuzz_ioctl(struct fuzz_state *st, struct udrm_file *file,
		      unsigned long cmd, void *arg)
{
	const struct fuzz_fd_ioctl *fdi = fuzz_find_fd_ioctl(cmd);
	int ret;

	if (fdi) {
		cmd = fdi->cmd;
		/* A valid pointer with room for the whole struct. */
		if (!fuzz_in_scratch(arg, _IOC_SIZE(cmd)))
			arg = fuzz_region;
	}
	fuzz_tame_arg(cmd, arg);
	ret = udrm_file_ioctl(file, cmd, arg);
	if (fuzz_trace)
		fprintf(stderr, "  ioctl(%p, %#lx, %p) = %d\n", (void *)file,
			cmd, arg, ret);
	if (fdi && ret == 0) {
		int fd;

		memcpy(&fd, (uint8_t *)arg + fdi->fd_offset, sizeof(fd));
		if (fd >= 0)
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
	if (fuzz_struct_ioctl(st, file, cmd, arg, &d, sizeof(d)) == 0)
		fuzz_remember_object(st, d.handle, d.size);
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

static void fuzz_check_no_leaks(void)
{
	struct fuzz_fd_census now;

	fuzz_count_fds(&now);
	if (now.sockets != fuzz_baseline.sockets || now.objects) {
		fprintf(stderr,
			"fuzz-ioctl: fd leak after closing every file: %d "
			"sockets open (expected %d), %d GEM/dma-buf memfds "
			"(expected 0)\n",
			now.sockets, fuzz_baseline.sockets, now.objects);
		abort();
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

	if (pipe2(fuzz_probe, O_CLOEXEC | O_NONBLOCK))
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
	memset(fuzz_region, 0, FUZZ_SCRATCH_SIZE);
	if (fuzz_trace)
		fprintf(stderr, "input of %zu bytes\n", size);
	for (steps = 0; s.pos < s.size && steps < FUZZ_MAX_STEPS; steps++)
		fuzz_run_op(&s, &st);

	for (i = 0; i < FUZZ_MAX_FILES; i++)
		if (st.files[i])
			udrm_file_close(st.files[i]);
	for (i = 0; i < fuzz_fd_count(&st); i++)
		close(st.fds[i]);
	for (i = 0; i < fuzz_live_count(&st); i++)
		munmap(st.live[i].addr, st.live[i].len);
	fuzz_check_no_leaks();
	return 0;
}
