/* SPDX-License-Identifier: MIT */
/*
 * fwabi: reading and writing firmware-shared structures through the layout
 * of one firmware ABI version.
 *
 * tools/fwabi/fwabi.py turns a schema (simgpu_fw.fwabi) into, for PREFIX:
 *   - PREFIX_vVER.h, the C structs of one version, for code built for that
 *     version only (the firmware of that version);
 *   - PREFIX_abi.h/.c, one struct fwabi_version per version, indexed by
 *     version-independent ids (enum PREFIX_struct_id, PREFIX_field_id,
 *     PREFIX_const_id), and PREFIX_abi_lookup(code) from the version code
 *     the firmware reports to its table.
 * Code that must work with any version (the driver) finds the table once
 * and goes through the accessors below, which refuse a field the version
 * does not have instead of reading whatever sits at the old offset.
 *
 * The tables are constant data: no locking, no ownership.
 *
 * Memory ordering: fwabi_get() loads with acquire and fwabi_set() stores
 * with release semantics, each a single-copy-atomic access (every field is
 * naturally aligned, the generator checks it), so a req/ack or
 * insert/extract pair written by another thread is seen whole and in order.
 */
#ifndef UDRM_SIMGPU_FWABI_H
#define UDRM_SIMGPU_FWABI_H

#include <stdbool.h>
#include <stdint.h>

/* fwabi_offsetof() of a field the version does not have. */
#define FWABI_NO_OFFSET UINT32_MAX

/* One field of one struct in one version. An array of count elements of
 * size bytes each starts at offset. */
struct fwabi_field {
	const char *name; /* "struct.field" */
	uint32_t offset;
	uint32_t size;	/* of an element: 1, 2, 4, 8, or the struct's size */
	uint32_t count; /* 1 for a scalar */
	bool present;
	bool is_signed;
	bool is_struct; /* an embedded struct: no get/set */
};

struct fwabi_struct {
	const char *name;
	uint32_t size;
	bool present;
};

struct fwabi_const {
	const char *name;
	uint64_t value;
	bool present;
};

struct fwabi_version {
	const char *name;   /* "2.0-rc1" */
	uint32_t code;	    /* major << 24 | minor << 16 | patch << 8 | pre */
	unsigned int index; /* position in the schema's list */
	const struct fwabi_struct *structs; /* indexed by <prefix>_struct_id */
	const struct fwabi_field *fields;   /* indexed by <prefix>_field_id */
	const struct fwabi_const *consts;   /* indexed by <prefix>_const_id */
	unsigned int num_structs, num_fields, num_consts;
};

/* True if @v has the field with id @field. */
bool fwabi_has(const struct fwabi_version *v, unsigned int field);

/*
 * Loads element @index of scalar @field of the struct at @base into @value
 * (sign-extended for a signed field). Single-copy atomic, acquire ordering.
 *
 * Returns 0; -ENOENT when the field is absent in this version; -ERANGE when
 * @index >= its count; -EINVAL for an unknown id, a struct-typed field or a
 * @base that leaves the field misaligned.
 */
int fwabi_get(const struct fwabi_version *v, unsigned int field,
	      const void *base, unsigned int index, uint64_t *value);

/*
 * Stores @value into element @index of scalar @field of the struct at
 * @base. Single-copy atomic, release ordering. A signed field takes @value
 * as an int64_t.
 *
 * Returns 0, or the errors of fwabi_get(), and -ERANGE (nothing stored)
 * when @value does not fit the field in this version (a u32 field before it
 * was widened to u64, say).
 */
int fwabi_set(const struct fwabi_version *v, unsigned int field, void *base,
	      unsigned int index, uint64_t value);

/* The value of constant or enum value @id in @v: 0, -ENOENT if absent in
 * this version, -EINVAL for an unknown id. */
int fwabi_const_get(const struct fwabi_version *v, unsigned int id,
		    uint64_t *value);

/* sizeof struct @struct_id in @v; 0 if it does not exist in @v. */
uint32_t fwabi_sizeof(const struct fwabi_version *v, unsigned int struct_id);

/* Offset of @field in its struct in @v; FWABI_NO_OFFSET if absent. */
uint32_t fwabi_offsetof(const struct fwabi_version *v, unsigned int field);

#endif /* UDRM_SIMGPU_FWABI_H */
