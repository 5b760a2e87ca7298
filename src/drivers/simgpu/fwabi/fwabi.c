// SPDX-License-Identifier: MIT
/*
 * fwabi: accessors through the generated layout tables (see fwabi.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fwabi.h"

bool fwabi_has(const struct fwabi_version *v, unsigned int field)
{
	return field < v->num_fields && v->fields[field].present;
}

/* Finds element @index of scalar @field at @base: 0 and *@fieldp, *@addrp;
 * or the negative errno fwabi_get() documents. */
static int fwabi_element(const struct fwabi_version *v, unsigned int field,
			 const void *base, unsigned int index,
			 const struct fwabi_field **fieldp, uintptr_t *addrp)
{
	const struct fwabi_field *f;
	uintptr_t addr;

	if (field >= v->num_fields)
		return -EINVAL;
	f = &v->fields[field];
	if (!f->present)
		return -ENOENT;
	if (f->is_struct)
		return -EINVAL;
	if (index >= f->count)
		return -ERANGE;
	addr = (uintptr_t)base + f->offset + (uintptr_t)index * f->size;
	if (addr % f->size)
		return -EINVAL;
	*fieldp = f;
	*addrp = addr;
	return 0;
}

int fwabi_get(const struct fwabi_version *v, unsigned int field,
	      const void *base, unsigned int index, uint64_t *value)
{
	const struct fwabi_field *f;
	uintptr_t p;
	int err;

	err = fwabi_element(v, field, base, index, &f, &p);
	if (err)
		return err;
	switch (f->size) {
	case 1: {
		uint8_t raw = __atomic_load_n((uint8_t *)p, __ATOMIC_ACQUIRE);

		*value = f->is_signed ? (uint64_t)(int64_t)(int8_t)raw : raw;
		return 0;
	}
	case 2: {
		uint16_t raw = __atomic_load_n((uint16_t *)p, __ATOMIC_ACQUIRE);

		*value = f->is_signed ? (uint64_t)(int64_t)(int16_t)raw : raw;
		return 0;
	}
	case 4: {
		uint32_t raw = __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);

		*value = f->is_signed ? (uint64_t)(int64_t)(int32_t)raw : raw;
		return 0;
	}
	case 8:
		*value = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
		return 0;
	}
	return -EINVAL;
}

/* True if @value fits a field of @size bytes and the given signedness. */
static bool fwabi_fits(uint64_t value, uint32_t size, bool is_signed)
{
	unsigned int bits = size * 8;
	int64_t s = (int64_t)value;

	if (bits >= 64)
		return true;
	if (is_signed)
		return s >= -(INT64_C(1) << (bits - 1)) &&
		       s < (INT64_C(1) << (bits - 1));
	return value < (UINT64_C(1) << bits);
}

int fwabi_set(const struct fwabi_version *v, unsigned int field, void *base,
	      unsigned int index, uint64_t value)
{
	const struct fwabi_field *f;
	uintptr_t p;
	int err;

	err = fwabi_element(v, field, base, index, &f, &p);
	if (err)
		return err;
	if (!fwabi_fits(value, f->size, f->is_signed))
		return -ERANGE;
	switch (f->size) {
	case 1:
		__atomic_store_n((uint8_t *)p, (uint8_t)value,
				 __ATOMIC_RELEASE);
		return 0;
	case 2:
		__atomic_store_n((uint16_t *)p, (uint16_t)value,
				 __ATOMIC_RELEASE);
		return 0;
	case 4:
		__atomic_store_n((uint32_t *)p, (uint32_t)value,
				 __ATOMIC_RELEASE);
		return 0;
	case 8:
		__atomic_store_n((uint64_t *)p, value, __ATOMIC_RELEASE);
		return 0;
	}
	return -EINVAL;
}

int fwabi_const_get(const struct fwabi_version *v, unsigned int id,
		    uint64_t *value)
{
	if (id >= v->num_consts)
		return -EINVAL;
	if (!v->consts[id].present)
		return -ENOENT;
	*value = v->consts[id].value;
	return 0;
}

uint32_t fwabi_sizeof(const struct fwabi_version *v, unsigned int struct_id)
{
	if (struct_id >= v->num_structs || !v->structs[struct_id].present)
		return 0;
	return v->structs[struct_id].size;
}

uint32_t fwabi_offsetof(const struct fwabi_version *v, unsigned int field)
{
	if (!fwabi_has(v, field))
		return FWABI_NO_OFFSET;
	return v->fields[field].offset;
}
