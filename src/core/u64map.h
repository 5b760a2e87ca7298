/* SPDX-License-Identifier: MIT */
/*
 * udrm_u64map: a hash map from 64-bit keys to non-NULL pointers (open
 * addressing, linear probing, backward-shift deletion). Used to find GEM
 * objects by fake mmap offset and dma-bufs by inode.
 *
 * Not locked: the owner's lock protects it.
 */
#ifndef UDRM_CORE_U64MAP_H
#define UDRM_CORE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct udrm_u64map_entry {
	uint64_t key;
	void *value; /* NULL marks an empty slot */
};

struct udrm_u64map {
	struct udrm_u64map_entry *entries;
	size_t capacity; /* power of two, or 0 */
	size_t count;
};

void udrm_u64map_init(struct udrm_u64map *map);
void udrm_u64map_destroy(struct udrm_u64map *map);
/* Inserts or replaces. @value must not be NULL. 0 or -ENOMEM. */
int udrm_u64map_put(struct udrm_u64map *map, uint64_t key, void *value);
void *udrm_u64map_get(const struct udrm_u64map *map, uint64_t key);
/* Removes @key; returns its value or NULL. */
void *udrm_u64map_remove(struct udrm_u64map *map, uint64_t key);

#endif
