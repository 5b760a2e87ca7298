// SPDX-License-Identifier: MIT
#include "u64map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t u64map_hash(uint64_t key, size_t mask)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & mask;
}

void udrm_u64map_init(struct udrm_u64map *map)
{
	memset(map, 0, sizeof(*map));
}

void udrm_u64map_destroy(struct udrm_u64map *map)
{
	free(map->entries);
	memset(map, 0, sizeof(*map));
}

static struct udrm_u64map_entry *u64map_slot(const struct udrm_u64map *map,
					     uint64_t key)
{
	size_t mask = map->capacity - 1;
	size_t i = u64map_hash(key, mask);

	while (map->entries[i].value && map->entries[i].key != key)
		i = (i + 1) & mask;
	return &map->entries[i];
}

static int u64map_resize(struct udrm_u64map *map, size_t capacity)
{
	struct udrm_u64map old = *map;
	size_t i;

	map->entries = calloc(capacity, sizeof(*map->entries));
	if (!map->entries) {
		*map = old;
		return -ENOMEM;
	}
	map->capacity = capacity;
	for (i = 0; i < old.capacity; i++)
		if (old.entries[i].value)
			*u64map_slot(map, old.entries[i].key) = old.entries[i];
	free(old.entries);
	return 0;
}

int udrm_u64map_put(struct udrm_u64map *map, uint64_t key, void *value)
{
	struct udrm_u64map_entry *e;
	int ret;

	if ((map->count + 1) * 4 > map->capacity * 3) {
		ret = u64map_resize(map,
				    map->capacity ? map->capacity * 2 : 16);
		if (ret)
			return ret;
	}
	e = u64map_slot(map, key);
	if (!e->value)
		map->count++;
	e->key = key;
	e->value = value;
	return 0;
}

void *udrm_u64map_get(const struct udrm_u64map *map, uint64_t key)
{
	if (!map->capacity)
		return NULL;
	return u64map_slot(map, key)->value;
}

void *udrm_u64map_remove(struct udrm_u64map *map, uint64_t key)
{
	size_t mask = map->capacity - 1;
	struct udrm_u64map_entry *e;
	size_t i, j, home;
	void *value;

	if (!map->capacity)
		return NULL;
	e = u64map_slot(map, key);
	value = e->value;
	if (!value)
		return NULL;
	/* Backward-shift: move later entries of the probe run into the gap. */
	i = (size_t)(e - map->entries);
	for (j = (i + 1) & mask; map->entries[j].value; j = (j + 1) & mask) {
		home = u64map_hash(map->entries[j].key, mask);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			map->entries[i] = map->entries[j];
			i = j;
		}
	}
	map->entries[i].value = NULL;
	map->count--;
	return value;
}
