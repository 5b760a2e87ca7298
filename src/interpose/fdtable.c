// SPDX-License-Identifier: MIT
/* The interposer's fd table; see fdtable.h for the reference rules. */
#include "fdtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ipfd_table_init(struct ipfd_table *table, ipfd_release_fn release)
{
	memset(table, 0, sizeof(*table));
	pthread_mutex_init(&table->lock, NULL);
	table->release = release;
}

static void ipfd_recycle(struct ipfd_table *table, struct ipfd_entry *entry)
{
	pthread_mutex_lock(&table->lock);
	entry->file = NULL;
	entry->node = NULL;
	entry->next = table->free_list;
	table->free_list = entry;
	pthread_mutex_unlock(&table->lock);
}

/* Drops a reference; returns true if it was the last. */
static bool ipfd_unref(struct ipfd_entry *entry)
{
	return atomic_fetch_sub_explicit(&entry->refs, 1,
					 memory_order_acq_rel) == 1;
}

/* Releases a list of dead entries; called without the table lock. */
static void ipfd_release_list(struct ipfd_table *table, struct ipfd_entry *dead)
{
	while (dead) {
		struct ipfd_entry *next = dead->next;

		if (table->release)
			table->release(table, dead);
		ipfd_recycle(table, dead);
		dead = next;
	}
}

void ipfd_table_fini(struct ipfd_table *table)
{
	struct ipfd_entry *entry;
	unsigned int i;

	ipfd_remove_range(table, 0, IPFD_MAX_FD - 1);
	for (i = 0; i < IPFD_NCHUNKS; i++)
		free(atomic_load_explicit(&table->chunk[i],
					  memory_order_relaxed));
	while ((entry = table->free_list)) {
		table->free_list = entry->next;
		free(entry);
	}
	pthread_mutex_destroy(&table->lock);
}

struct ipfd_entry *ipfd_entry_new(struct ipfd_table *table, void *file,
				  const void *node)
{
	struct ipfd_entry *entry;

	pthread_mutex_lock(&table->lock);
	entry = table->free_list;
	if (entry)
		table->free_list = entry->next;
	pthread_mutex_unlock(&table->lock);
	if (!entry) {
		entry = calloc(1, sizeof(*entry));
		if (!entry)
			return NULL;
	}
	entry->file = file;
	entry->node = node;
	entry->next = NULL;
	/* Release: a stale reader that wins its increment on the recycled
	 * entry must see the new file before the slot recheck lets it in. */
	atomic_store_explicit(&entry->refs, 1, memory_order_release);
	return entry;
}

static _Atomic(struct ipfd_entry *) *ipfd_slot(struct ipfd_table *table,
					       unsigned int fd, bool create)
{
	struct ipfd_chunk *chunk;
	unsigned int index = fd >> IPFD_CHUNK_SHIFT;

	chunk = atomic_load_explicit(&table->chunk[index],
				     memory_order_acquire);
	if (!chunk && create) {
		/* Callers that create hold the table lock. */
		chunk = calloc(1, sizeof(*chunk));
		if (!chunk)
			return NULL;
		atomic_store_explicit(&table->chunk[index], chunk,
				      memory_order_release);
	}
	if (!chunk)
		return NULL;
	return &chunk->slot[fd & (IPFD_CHUNK_SIZE - 1)];
}

int ipfd_install(struct ipfd_table *table, int fd, struct ipfd_entry *entry)
{
	_Atomic(struct ipfd_entry *) *slot;
	struct ipfd_entry *old;

	if (fd < 0)
		return -EBADF;
	if ((unsigned int)fd >= IPFD_MAX_FD)
		return -EMFILE;
	atomic_fetch_add_explicit(&entry->refs, 1, memory_order_relaxed);
	pthread_mutex_lock(&table->lock);
	slot = ipfd_slot(table, (unsigned int)fd, true);
	if (!slot) {
		pthread_mutex_unlock(&table->lock);
		atomic_fetch_sub_explicit(&entry->refs, 1,
					  memory_order_relaxed);
		return -ENOMEM;
	}
	old = atomic_exchange_explicit(slot, entry, memory_order_acq_rel);
	if (!old)
		atomic_fetch_add_explicit(&table->count, 1,
					  memory_order_relaxed);
	pthread_mutex_unlock(&table->lock);
	if (old)
		ipfd_put(table, old);
	return 0;
}

struct ipfd_entry *ipfd_get(struct ipfd_table *table, int fd)
{
	_Atomic(struct ipfd_entry *) *slot;
	struct ipfd_entry *entry;
	unsigned int refs;

	if ((unsigned int)fd >= IPFD_MAX_FD)
		return NULL;
	slot = ipfd_slot(table, (unsigned int)fd, false);
	if (!slot)
		return NULL;
	for (;;) {
		entry = atomic_load_explicit(slot, memory_order_acquire);
		if (!entry)
			return NULL;
		refs = atomic_load_explicit(&entry->refs, memory_order_relaxed);
		do {
			if (!refs)
				break; /* dying: the slot has changed */
		} while (!atomic_compare_exchange_weak_explicit(
			&entry->refs, &refs, refs + 1, memory_order_acquire,
			memory_order_relaxed));
		if (!refs)
			continue;
		if (atomic_load_explicit(slot, memory_order_acquire) == entry)
			return entry;
		/* Raced with a change of the slot: the entry we pinned may
		 * be another incarnation. */
		ipfd_put(table, entry);
	}
}

void ipfd_put(struct ipfd_table *table, struct ipfd_entry *entry)
{
	if (ipfd_unref(entry)) {
		entry->next = NULL;
		ipfd_release_list(table, entry);
	}
}

bool ipfd_present(struct ipfd_table *table, int fd)
{
	_Atomic(struct ipfd_entry *) *slot;

	if (fd < 0 || (unsigned int)fd >= IPFD_MAX_FD)
		return false;
	slot = ipfd_slot(table, (unsigned int)fd, false);
	return slot && atomic_load_explicit(slot, memory_order_relaxed);
}

/* Empties one slot with the lock held; a dead entry goes on *dead. */
static bool ipfd_clear_locked(struct ipfd_table *table,
			      _Atomic(struct ipfd_entry *) *slot,
			      struct ipfd_entry **dead)
{
	struct ipfd_entry *old;

	old = atomic_exchange_explicit(slot, NULL, memory_order_acq_rel);
	if (!old)
		return false;
	atomic_fetch_sub_explicit(&table->count, 1, memory_order_relaxed);
	if (ipfd_unref(old)) {
		old->next = *dead;
		*dead = old;
	}
	return true;
}

bool ipfd_remove(struct ipfd_table *table, int fd)
{
	_Atomic(struct ipfd_entry *) *slot;
	struct ipfd_entry *dead = NULL;
	bool removed;

	if (!ipfd_present(table, fd))
		return false;
	slot = ipfd_slot(table, (unsigned int)fd, false);
	pthread_mutex_lock(&table->lock);
	removed = ipfd_clear_locked(table, slot, &dead);
	pthread_mutex_unlock(&table->lock);
	ipfd_release_list(table, dead);
	return removed;
}

unsigned int ipfd_remove_range(struct ipfd_table *table, unsigned int first,
			       unsigned int last)
{
	struct ipfd_entry *dead = NULL;
	struct ipfd_chunk *chunk;
	unsigned int fd, removed = 0;

	if (last >= IPFD_MAX_FD)
		last = IPFD_MAX_FD - 1;
	if (first > last)
		return 0;
	pthread_mutex_lock(&table->lock);
	for (fd = first; fd <= last; fd++) {
		chunk = atomic_load_explicit(
			&table->chunk[fd >> IPFD_CHUNK_SHIFT],
			memory_order_acquire);
		if (!chunk) {
			/* Skip to the next chunk. */
			fd |= IPFD_CHUNK_SIZE - 1;
			if (fd >= last)
				break;
			continue;
		}
		if (ipfd_clear_locked(table,
				      &chunk->slot[fd & (IPFD_CHUNK_SIZE - 1)],
				      &dead))
			removed++;
	}
	pthread_mutex_unlock(&table->lock);
	ipfd_release_list(table, dead);
	return removed;
}

void ipfd_atfork_prepare(struct ipfd_table *table)
{
	pthread_mutex_lock(&table->lock);
}

void ipfd_atfork_parent(struct ipfd_table *table)
{
	pthread_mutex_unlock(&table->lock);
}

void ipfd_atfork_child(struct ipfd_table *table)
{
	pthread_mutex_unlock(&table->lock);
}
