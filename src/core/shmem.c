// SPDX-License-Identifier: MIT
#include "shmem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Arena file size: sparse, costs nothing until pages are touched. */
#define UDRM_ARENA_SIZE (1ULL << 44)
/* Freed ranges queued before /proc/self/maps is read to reclaim them. */
#define UDRM_ARENA_SWEEP_BATCH 64

static int shmem_wrap(int fd, bool arena, struct udrm_shmem **out)
{
	struct udrm_shmem *shm;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	shm = calloc(1, sizeof(*shm));
	if (!shm)
		return -ENOMEM;
	atomic_init(&shm->refcount, 1);
	shm->fd = fd;
	shm->st_dev = st.st_dev;
	shm->st_ino = st.st_ino;
	shm->size = (uint64_t)st.st_size;
	shm->arena = arena;
	shm->sweep_at = UDRM_ARENA_SWEEP_BATCH;
	pthread_mutex_init(&shm->lock, NULL);
	*out = shm;
	return 0;
}

/* A new memfd of @size bytes with @seals added (if any). */
static int shmem_new(const char *name, uint64_t size, bool arena, int seals,
		     struct udrm_shmem **out)
{
	int fd = memfd_create(name,
			      MFD_CLOEXEC | (seals ? MFD_ALLOW_SEALING : 0));
	int ret;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals))) {
		ret = -errno;
		goto err;
	}
	ret = shmem_wrap(fd, arena, out);
	if (ret)
		goto err;
	return 0;
err:
	close(fd);
	return ret;
}

int udrm_shmem_arena_create(struct udrm_shmem **out)
{
	return shmem_new("udrm-gem-arena", UDRM_ARENA_SIZE, true, 0, out);
}

int udrm_shmem_arena_alloc(struct udrm_shmem *arena, uint64_t size,
			   uint64_t *offset)
{
	int ret = 0;

	pthread_mutex_lock(&arena->lock);
	if (arena->sealed || size > arena->size - arena->next_offset) {
		ret = -ENOSPC;
	} else {
		*offset = arena->next_offset;
		arena->next_offset += size;
	}
	pthread_mutex_unlock(&arena->lock);
	return ret;
}

/* Calls @fn for each mapping of @shm's file in this process, with the file
 * range [lo, hi) it maps, its address and its protection. Stops at and
 * returns the first non-zero result. */
static int shmem_for_each_mapping(const struct udrm_shmem *shm,
				  int (*fn)(void *ctx, uint64_t lo, uint64_t hi,
					    uint64_t addr, int prot),
				  void *ctx)
{
	char line[512], perms[8];
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	FILE *maps = fopen("/proc/self/maps", "re");
	int ret = 0;

	if (!maps)
		return -errno;
	while (!ret && fgets(line, sizeof(line), maps)) {
		int prot = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end,
			   perms, &pgoff, &maj, &min, &ino) != 7)
			continue;
		if (ino != (unsigned long long)shm->st_ino ||
		    (dev_t)makedev(maj, min) != shm->st_dev)
			continue;
		if (perms[0] == 'r')
			prot |= PROT_READ;
		if (perms[1] == 'w')
			prot |= PROT_WRITE;
		if (perms[2] == 'x')
			prot |= PROT_EXEC;
		ret = fn(ctx, pgoff, pgoff + (end - start), start, prot);
	}
	fclose(maps);
	return ret;
}

struct sweep_ctx {
	struct udrm_shmem_range *pending;
	bool *mapped;
	size_t count;
};

static int sweep_mark_mapped(void *data, uint64_t lo, uint64_t hi,
			     uint64_t addr, int prot)
{
	struct sweep_ctx *ctx = data;
	size_t i;

	for (i = 0; i < ctx->count; i++)
		if (lo < ctx->pending[i].offset + ctx->pending[i].size &&
		    ctx->pending[i].offset < hi)
			ctx->mapped[i] = true;
	return 0;
}

/* Punches the pending ranges nothing maps any more. Called with the
 * arena's lock held. */
static void arena_sweep_locked(struct udrm_shmem *arena)
{
	struct sweep_ctx ctx = {arena->pending, NULL, arena->pending_count};
	size_t i, kept = 0;

	ctx.mapped = calloc(ctx.count ? ctx.count : 1, sizeof(bool));
	if (!ctx.mapped ||
	    shmem_for_each_mapping(arena, sweep_mark_mapped, &ctx)) {
		free(ctx.mapped);
		return;
	}
	for (i = 0; i < ctx.count; i++) {
		if (ctx.mapped[i])
			arena->pending[kept++] = arena->pending[i];
		else
			fallocate(arena->fd,
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)arena->pending[i].offset,
				  (off_t)arena->pending[i].size);
	}
	free(ctx.mapped);
	arena->pending_count = kept;
	arena->sweep_at = kept + UDRM_ARENA_SWEEP_BATCH;
}

void udrm_shmem_arena_free(struct udrm_shmem *arena, uint64_t offset,
			   uint64_t size)
{
	struct udrm_shmem_range *pending;

	pthread_mutex_lock(&arena->lock);
	/* Offsets are never reused; a sealed arena is shared with another
	 * process, which may still use the range. */
	if (arena->sealed)
		goto out;
	if (arena->pending_count == arena->pending_capacity) {
		size_t cap = arena->pending_capacity * 2 + 16;

		pending = realloc(arena->pending, cap * sizeof(*pending));
		if (!pending)
			goto out; /* the range stays allocated */
		arena->pending = pending;
		arena->pending_capacity = cap;
	}
	arena->pending[arena->pending_count].offset = offset;
	arena->pending[arena->pending_count].size = size;
	arena->pending_count++;
	if (arena->pending_count >= arena->sweep_at)
		arena_sweep_locked(arena);
out:
	pthread_mutex_unlock(&arena->lock);
}

void udrm_shmem_arena_seal(struct udrm_shmem *arena)
{
	pthread_mutex_lock(&arena->lock);
	arena->sealed = true;
	pthread_mutex_unlock(&arena->lock);
}

int udrm_shmem_create(uint64_t size, const char *name, struct udrm_shmem **out)
{
	return shmem_new(name, size, false,
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, out);
}

int udrm_shmem_import(int fd, struct udrm_shmem **out)
{
	struct statfs sfs;
	struct stat st;
	int flags, dupfd, ret;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -EBADF;
	if (fstat(fd, &st) || fstatfs(fd, &sfs))
		return -errno;
	/* Only shared-memory files can stand in for a dma-buf. */
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC))
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_RDWR) {
		dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	} else {
		/* A read-only dma-buf fd still imports read-write, as in the
		 * kernel, where importers get the pages, not the fd's mode. */
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		dupfd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (dupfd < 0)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	ret = shmem_wrap(dupfd, false, out);
	if (ret)
		close(dupfd);
	return ret;
}

/* Whether @fd is a memfd whose name is @name (@prefix_only: starts with). */
static bool shmem_fd_name_matches(int fd, const char *name, bool prefix_only)
{
	char path[64], link[300], want[300];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	snprintf(want, sizeof(want), "/memfd:%s%s", name,
		 prefix_only ? "" : " (deleted)");
	return prefix_only ? !strncmp(link, want, strlen(want))
			   : !strcmp(link, want);
}

bool udrm_shmem_fd_has_name(int fd, const char *name)
{
	return shmem_fd_name_matches(fd, name, false);
}

bool udrm_shmem_fd_name_starts_with(int fd, const char *prefix)
{
	return shmem_fd_name_matches(fd, prefix, true);
}

void udrm_shmem_get(struct udrm_shmem *shm)
{
	atomic_fetch_add(&shm->refcount, 1);
}

void udrm_shmem_put(struct udrm_shmem *shm)
{
	if (!shm || atomic_fetch_sub(&shm->refcount, 1) != 1)
		return;
	close(shm->fd);
	pthread_mutex_destroy(&shm->lock);
	free(shm->pending);
	free(shm);
}

int udrm_shmem_fd_key(int fd, uint64_t *key, dev_t *st_dev)
{
	struct stat st;

	if (fstat(fd, &st))
		return -EBADF;
	*key = (uint64_t)st.st_ino;
	*st_dev = st.st_dev;
	return 0;
}

static int shmem_copy(struct udrm_shmem *from, uint64_t off, uint64_t size,
		      struct udrm_shmem *to)
{
	void *src, *dst;

	src = mmap(NULL, size, PROT_READ, MAP_SHARED, from->fd, (off_t)off);
	if (src == MAP_FAILED)
		return -errno;
	dst = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, to->fd, 0);
	if (dst == MAP_FAILED) {
		int err = -errno;

		munmap(src, size);
		return err;
	}
	memcpy(dst, src, size);
	munmap(dst, size);
	munmap(src, size);
	return 0;
}

struct remap_ctx {
	uint64_t off, size;
	int fd;
};

static int remap_one(void *data, uint64_t lo, uint64_t hi, uint64_t addr,
		     int prot)
{
	struct remap_ctx *ctx = data;
	uint64_t from = lo > ctx->off ? lo : ctx->off;
	uint64_t to = hi < ctx->off + ctx->size ? hi : ctx->off + ctx->size;
	void *p;

	if (from >= to)
		return 0;
	p = mmap((void *)(uintptr_t)(addr + (from - lo)), to - from, prot,
		 MAP_SHARED | MAP_FIXED, ctx->fd, (off_t)(from - ctx->off));
	return p == MAP_FAILED ? -errno : 0;
}

/* Moves every mapping of [off, off + size) of @from onto the same pages of
 * @to. */
static int shmem_remap(struct udrm_shmem *from, uint64_t off, uint64_t size,
		       struct udrm_shmem *to)
{
	struct remap_ctx ctx = {off, size, to->fd};

	return shmem_for_each_mapping(from, remap_one, &ctx);
}

int udrm_shmem_relocate(struct udrm_shmem *from, uint64_t off, uint64_t size,
			struct udrm_shmem *to)
{
	int ret = shmem_copy(from, off, size, to);

	if (ret)
		return ret;
	ret = shmem_remap(from, off, size, to);
	if (ret)
		return ret;
	if (from->arena)
		udrm_shmem_arena_free(from, off, size);
	return 0;
}

int udrm_shmem_open_fd(struct udrm_shmem *shm, int mode, bool cloexec)
{
	char path[64];
	int fd;

	/* A new open file description with its own access mode, as each
	 * dma-buf export of the kernel gives an fd with the export's mode. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", shm->fd);
	fd = open(path, mode | (cloexec ? O_CLOEXEC : 0));
	if (fd >= 0)
		return fd;
	if (mode != O_RDWR)
		return -errno;
	fd = fcntl(shm->fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	return fd < 0 ? -errno : fd;
}
