/* SPDX-License-Identifier: MIT */
/*
 * udrm_idr: small integer ids mapped to pointers, allocated lowest-free
 * first from a base, as the kernel's idr_alloc(idr, ptr, base, 0). Used for
 * GEM handles, flink names and authentication magics.
 *
 * Not locked: the owner's lock protects it.
 */
#ifndef UDRM_CORE_IDR_H
#define UDRM_CORE_IDR_H

#include <stdbool.h>
#include <stdint.h>

struct udrm_idr {
	void **slots; /* slots[i] holds id base + i */
	bool *used;   /* an id can be allocated and hold NULL */
	uint32_t capacity;
	uint32_t base;
	uint32_t lowest_free; /* hint: no free slot below this index */
	uint32_t count;
};

void udrm_idr_init(struct udrm_idr *idr, uint32_t base);
void udrm_idr_destroy(struct udrm_idr *idr);
/* Allocates the lowest free id >= base for @ptr (which may be NULL).
 * Returns the id (> 0), or -ENOMEM / -ENOSPC. */
int64_t udrm_idr_alloc(struct udrm_idr *idr, void *ptr);
/* The pointer stored at @id, NULL if the id is free or holds NULL. */
void *udrm_idr_find(const struct udrm_idr *idr, uint32_t id);
bool udrm_idr_is_allocated(const struct udrm_idr *idr, uint32_t id);
/* Replaces the pointer at an allocated id; returns the old one. */
void *udrm_idr_replace(struct udrm_idr *idr, uint32_t id, void *ptr);
/* Frees @id; returns what it held (NULL if it was not allocated). */
void *udrm_idr_remove(struct udrm_idr *idr, uint32_t id);

/* Iterate allocated ids: for (id = 0; udrm_idr_next(idr, &id, &ptr); ) */
bool udrm_idr_next(const struct udrm_idr *idr, uint32_t *id, void **ptr);

#endif
