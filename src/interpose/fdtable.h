/* SPDX-License-Identifier: MIT */
/*
 * The interposer's fd table: which program fds refer to which open udrm
 * file. Several fds may share one entry (dup, dup2, F_DUPFD), as several fds
 * share one struct file in the kernel.
 *
 * Lookups (ipfd_get) take no lock: the table is two levels of atomic
 * pointers and an entry is pinned with a reference count, so ioctl() on a
 * device fd costs a few atomic operations. Changes (install, remove) are
 * serialised by the table mutex. Entry memory is never returned to malloc
 * while the table lives (freed entries go to a free list), so a reader that
 * raced with a remove may touch a dead entry's counter safely; it then sees
 * the slot changed and lets go.
 *
 * References: each table slot holding an entry owns one reference, each
 * ipfd_get() returns one more. When the last is dropped the table's
 * release callback is called (with no table lock held), then the entry is
 * recycled.
 */
#ifndef UDRM_INTERPOSE_FDTABLE_H
#define UDRM_INTERPOSE_FDTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define IPFD_CHUNK_SHIFT 10
#define IPFD_CHUNK_SIZE	 (1u << IPFD_CHUNK_SHIFT)
/* fds at or above this cannot be device fds (4M, above the kernel's
 * default nr_open of 1M). */
#define IPFD_MAX_FD  (1u << 22)
#define IPFD_NCHUNKS (IPFD_MAX_FD / IPFD_CHUNK_SIZE)

struct ipfd_entry {
	atomic_uint refs;
	void *file;	  /* the udrm file (owned: released by the callback) */
	const void *node; /* what the file was opened on (borrowed) */
	/* Server mode: the inode of the fd's socket (set by remote.c). */
	unsigned long long ino;
	struct ipfd_entry *next; /* free list / release list (table lock) */
};

struct ipfd_table;
typedef void (*ipfd_release_fn)(struct ipfd_table *table,
				struct ipfd_entry *entry);

struct ipfd_chunk {
	_Atomic(struct ipfd_entry *) slot[IPFD_CHUNK_SIZE];
};

struct ipfd_table {
	_Atomic(struct ipfd_chunk *) chunk[IPFD_NCHUNKS];
	atomic_uint count;    /* installed slots, for tests and stats */
	pthread_mutex_t lock; /* serialises changes, guards free_list */
	struct ipfd_entry *free_list;
	ipfd_release_fn release;
};

/* Initialises an empty table; @release is called when an entry's last
 * reference goes. */
void ipfd_table_init(struct ipfd_table *table, ipfd_release_fn release);
/* Frees the table's memory. Entries still installed are dropped first (their
 * release runs). No other thread may use the table. */
void ipfd_table_fini(struct ipfd_table *table);

/* A new entry with one reference, owned by the caller; NULL on ENOMEM. */
struct ipfd_entry *ipfd_entry_new(struct ipfd_table *table, void *file,
				  const void *node);

/* Makes @fd refer to @entry (the slot takes its own reference). An entry
 * already at @fd is replaced and its reference dropped, as dup2() onto an
 * open fd closes it. Returns 0, -EBADF for a negative fd or -EMFILE for an
 * fd the table cannot hold. */
int ipfd_install(struct ipfd_table *table, int fd, struct ipfd_entry *entry);

/* The entry at @fd with a reference the caller drops with ipfd_put(), or
 * NULL. Lock-free; async-signal-safe unless the put releases. */
struct ipfd_entry *ipfd_get(struct ipfd_table *table, int fd);
void ipfd_put(struct ipfd_table *table, struct ipfd_entry *entry);

/* Whether @fd has an entry, without taking a reference. */
bool ipfd_present(struct ipfd_table *table, int fd);

/* Empties slot @fd. Returns true if it held an entry. */
bool ipfd_remove(struct ipfd_table *table, int fd);
/* Empties every slot in [first, last]. Returns how many held an entry. */
unsigned int ipfd_remove_range(struct ipfd_table *table, unsigned int first,
			       unsigned int last);

/* pthread_atfork handlers: the table lock is held across fork(). */
void ipfd_atfork_prepare(struct ipfd_table *table);
void ipfd_atfork_parent(struct ipfd_table *table);
void ipfd_atfork_child(struct ipfd_table *table);

#endif
