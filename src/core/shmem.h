/* SPDX-License-Identifier: MIT */
/*
 * Backing store for GEM objects: memfds.
 *
 * One fd per object would exhaust RLIMIT_NOFILE (1024 by default) long
 * before a program runs out of buffers, so objects are carved out of an
 * *arena*: one large sparse memfd per device, sub-allocated page by page,
 * freed by punching holes (so reused pages read as zero). An object that is
 * exported as a dma-buf needs an fd of its own whose offset 0 is the
 * object; udrm_shmem_relocate() moves it to a private memfd and remaps every
 * mapping of it in this process onto the new file.
 *
 * Freed arena ranges are punched only once nothing maps them any more (a
 * mapping keeps its object's pages, as in the kernel): frees are queued and
 * swept against /proc/self/maps in batches.
 *
 * After fork() both processes still share the arena file; arenas are then
 * *sealed* (no new allocations, no hole punching) so neither process can
 * clobber pages the other still uses; new objects go to a new arena.
 */
#ifndef UDRM_CORE_SHMEM_H
#define UDRM_CORE_SHMEM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct udrm_shmem {
	atomic_int refcount;
	int fd; /* owned, O_RDWR, close-on-exec */
	dev_t st_dev;
	ino_t st_ino;
	uint64_t size;	      /* file size */
	bool arena;	      /* shared by many objects */
	pthread_mutex_t lock; /* protects the fields below */
	uint64_t next_offset;
	bool sealed;
	struct udrm_shmem_range *pending; /* freed, maybe still mapped */
	size_t pending_count, pending_capacity;
	size_t sweep_at; /* sweep when pending_count reaches this */
};

struct udrm_shmem_range {
	uint64_t offset, size;
};

/* A new empty arena. */
int udrm_shmem_arena_create(struct udrm_shmem **out);
/* Allocates @size bytes (a page multiple) in @arena; -ENOSPC when full or
 * sealed. */
int udrm_shmem_arena_alloc(struct udrm_shmem *arena, uint64_t size,
			   uint64_t *offset);
/* Gives a range back: its pages are discarded unless the arena is sealed. */
void udrm_shmem_arena_free(struct udrm_shmem *arena, uint64_t offset,
			   uint64_t size);
void udrm_shmem_arena_seal(struct udrm_shmem *arena);

/* A private memfd of @size bytes, size-sealed (cannot grow or shrink),
 * named @name (what readlink of /proc/self/fd shows, see
 * udrm_shmem_fd_has_name()). */
int udrm_shmem_create(uint64_t size, const char *name, struct udrm_shmem **out);
/* Whether @fd is a memfd made by udrm_shmem_create() with @name. */
bool udrm_shmem_fd_has_name(int fd, const char *name);
/* Whether @fd is a memfd whose name starts with @prefix. */
bool udrm_shmem_fd_name_starts_with(int fd, const char *prefix);
/* Wraps a dma-buf fd made elsewhere (a memfd or any tmpfs/hugetlbfs file
 * opened read-only or read-write). The file is reopened read-write (or the
 * fd duplicated); the caller keeps its own fd.
 * -EBADF for a bad fd, -EINVAL for a file that cannot be a dma-buf. */
int udrm_shmem_import(int fd, struct udrm_shmem **out);

void udrm_shmem_get(struct udrm_shmem *shm);
void udrm_shmem_put(struct udrm_shmem *shm);

/* Identity of the file behind @fd, as a dma-buf key; -EBADF. */
int udrm_shmem_fd_key(int fd, uint64_t *key, dev_t *st_dev);
static inline uint64_t udrm_shmem_key(const struct udrm_shmem *shm)
{
	return (uint64_t)shm->st_ino;
}

/*
 * Copies [@off, @off + @size) of @from to offset 0 of @to and replaces every
 * mapping of that range in this process with the same range of @to. Returns
 * 0 or -errno (nothing changed then). Writes racing with the move from
 * other threads may be lost; the caller holds the locks that stop udrm
 * itself from touching the range.
 */
int udrm_shmem_relocate(struct udrm_shmem *from, uint64_t off, uint64_t size,
			struct udrm_shmem *to);

/* A new fd on @shm's file with access @mode (O_RDWR or O_RDONLY) and
 * O_CLOEXEC if @cloexec: what a dma-buf export hands out. */
int udrm_shmem_open_fd(struct udrm_shmem *shm, int mode, bool cloexec);

#endif
