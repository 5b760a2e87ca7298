// SPDX-License-Identifier: MIT
#include "idr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void udrm_idr_init(struct udrm_idr *idr, uint32_t base)
{
	memset(idr, 0, sizeof(*idr));
	idr->base = base;
}

void udrm_idr_destroy(struct udrm_idr *idr)
{
	free(idr->slots);
	free(idr->used);
	memset(idr, 0, sizeof(*idr));
}

static int idr_grow(struct udrm_idr *idr)
{
	uint32_t cap = idr->capacity ? idr->capacity * 2 : 16;
	void **slots;
	bool *used;

	if (cap <= idr->capacity || (uint64_t)cap + idr->base > INT32_MAX)
		return -ENOSPC;
	slots = realloc(idr->slots, cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	idr->slots = slots;
	used = realloc(idr->used, cap * sizeof(*used));
	if (!used)
		return -ENOMEM;
	idr->used = used;
	memset(idr->slots + idr->capacity, 0,
	       (cap - idr->capacity) * sizeof(*slots));
	memset(idr->used + idr->capacity, 0,
	       (cap - idr->capacity) * sizeof(*used));
	idr->capacity = cap;
	return 0;
}

int64_t udrm_idr_alloc(struct udrm_idr *idr, void *ptr)
{
	uint32_t i = idr->lowest_free;
	int ret;

	while (i < idr->capacity && idr->used[i])
		i++;
	if (i >= idr->capacity) {
		ret = idr_grow(idr);
		if (ret)
			return ret;
	}
	idr->used[i] = true;
	idr->slots[i] = ptr;
	idr->lowest_free = i + 1;
	idr->count++;
	return (int64_t)i + idr->base;
}

static bool idr_index(const struct udrm_idr *idr, uint32_t id, uint32_t *index)
{
	if (id < idr->base || id - idr->base >= idr->capacity)
		return false;
	*index = id - idr->base;
	return idr->used[*index];
}

void *udrm_idr_find(const struct udrm_idr *idr, uint32_t id)
{
	uint32_t i;

	return idr_index(idr, id, &i) ? idr->slots[i] : NULL;
}

bool udrm_idr_is_allocated(const struct udrm_idr *idr, uint32_t id)
{
	uint32_t i;

	return idr_index(idr, id, &i);
}

void *udrm_idr_replace(struct udrm_idr *idr, uint32_t id, void *ptr)
{
	uint32_t i;
	void *old;

	if (!idr_index(idr, id, &i))
		return NULL;
	old = idr->slots[i];
	idr->slots[i] = ptr;
	return old;
}

void *udrm_idr_remove(struct udrm_idr *idr, uint32_t id)
{
	uint32_t i;
	void *old;

	if (!idr_index(idr, id, &i))
		return NULL;
	old = idr->slots[i];
	idr->slots[i] = NULL;
	idr->used[i] = false;
	idr->count--;
	if (i < idr->lowest_free)
		idr->lowest_free = i;
	return old;
}

bool udrm_idr_next(const struct udrm_idr *idr, uint32_t *id, void **ptr)
{
	uint32_t i = *id < idr->base ? 0 : *id - idr->base + 1;

	if (*id == 0)
		i = 0;
	for (; i < idr->capacity; i++) {
		if (idr->used[i]) {
			*id = i + idr->base;
			*ptr = idr->slots[i];
			return true;
		}
	}
	return false;
}
