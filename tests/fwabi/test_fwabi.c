// SPDX-License-Identifier: MIT
/*
 * fwabi's generated code and runtime: the simgpu firmware layouts of every
 * version against offsets and sizes written here by hand (both the
 * per-version headers, at compile time, and the runtime tables), the
 * version lookup, constants and enums by version, and the accessors:
 * absent fields, array indices, values too wide for a field, widened
 * fields, signed and small fields, struct-typed fields (through the
 * tests' own schema, fwabi_test.fwabi), and a release/acquire hand-off
 * between two threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "simgpu_fw_abi.h"
#include "simgpu_fw_v1_0.h"
#include "simgpu_fw_v1_1.h"
#include "simgpu_fw_v2_0_rc1.h"
#include "simgpu_fw_v2_0.h"

#include "fwabi_test_abi.h"
#include "fwabi_test_v0_9_beta.h"
#include "fwabi_test_v1_1.h"

/* Fails unless @expr == @expected; @...: what was done. */
#define fw_expect(expr, expected, ...)                                         \
	do {                                                                   \
		long long fw_got_ = (long long)(expr);                         \
		long long fw_want_ = (long long)(expected);                    \
		if (fw_got_ != fw_want_) {                                     \
			char fw_what_[256];                                    \
			snprintf(fw_what_, sizeof(fw_what_), __VA_ARGS__);     \
			fail_msg("%s: expected %lld (%s), got %lld (%s)",      \
				 fw_what_, fw_want_,                           \
				 fw_want_ < 0 ? strerror((int)-fw_want_)       \
					      : "-",                           \
				 fw_got_,                                      \
				 fw_got_ < 0 ? strerror((int)-fw_got_) : "-"); \
		}                                                              \
	} while (0)

/*
 * The layouts, by hand. X(ID, struct, field, offset, element size), where
 * SIMGPU_FW_<ID> is the field id. Lists are per struct and per layout of
 * that struct; each version below names the ones it has.
 */
#define IMAGE_HEADER_1_0(X)                                                    \
	X(IMAGE_HEADER_MAGIC, image_header, magic, 0x00, 4)                    \
	X(IMAGE_HEADER_ABI_VERSION, image_header, abi_version, 0x04, 4)        \
	X(IMAGE_HEADER_FEATURES, image_header, features, 0x08, 8)              \
	X(IMAGE_HEADER_HEADER_SIZE, image_header, header_size, 0x10, 4)        \
	X(IMAGE_HEADER_IMAGE_SIZE, image_header, image_size, 0x14, 4)
#define IMAGE_HEADER_1_1(X)                                                    \
	IMAGE_HEADER_1_0(X)                                                    \
	X(IMAGE_HEADER_BUILD_ID, image_header, build_id, 0x18, 4)

#define CONTROL_HEAD(X)                                                        \
	X(CONTROL_MAGIC, control, magic, 0x00, 4)                              \
	X(CONTROL_VERSION, control, version, 0x04, 4)                          \
	X(CONTROL_FEATURES, control, features, 0x08, 8)                        \
	X(CONTROL_NUM_GROUPS, control, num_groups, 0x10, 4)                    \
	X(CONTROL_QUEUES_PER_GROUP, control, queues_per_group, 0x14, 4)
/* 1.0: legacy_timer_hz right after queues_per_group. */
#define CONTROL_1_0(X)                                                         \
	CONTROL_HEAD(X)                                                        \
	X(CONTROL_LEGACY_TIMER_HZ, control, legacy_timer_hz, 0x18, 4)          \
	X(CONTROL_GLOBAL_OFFSET, control, global_offset, 0x1c, 4)              \
	X(CONTROL_GROUP_OFFSET, control, group_offset, 0x20, 4)                \
	X(CONTROL_GROUP_STRIDE, control, group_stride, 0x24, 4)                \
	X(CONTROL_QUEUE_OFFSET, control, queue_offset, 0x28, 4)                \
	X(CONTROL_QUEUE_STRIDE, control, queue_stride, 0x2c, 4)                \
	X(CONTROL_RING_ENTRY_SIZE, control, ring_entry_size, 0x30, 4)
/* 1.1 and 2.0-rc1: num_cores inserted, everything after it moves by 4. */
#define CONTROL_1_1(X)                                                         \
	CONTROL_HEAD(X)                                                        \
	X(CONTROL_NUM_CORES, control, num_cores, 0x18, 4)                      \
	X(CONTROL_LEGACY_TIMER_HZ, control, legacy_timer_hz, 0x1c, 4)          \
	X(CONTROL_GLOBAL_OFFSET, control, global_offset, 0x20, 4)              \
	X(CONTROL_GROUP_OFFSET, control, group_offset, 0x24, 4)                \
	X(CONTROL_GROUP_STRIDE, control, group_stride, 0x28, 4)                \
	X(CONTROL_QUEUE_OFFSET, control, queue_offset, 0x2c, 4)                \
	X(CONTROL_QUEUE_STRIDE, control, queue_stride, 0x30, 4)                \
	X(CONTROL_RING_ENTRY_SIZE, control, ring_entry_size, 0x34, 4)
/* 2.0: legacy_timer_hz removed, the rest moves back by 4. */
#define CONTROL_2_0(X)                                                         \
	CONTROL_HEAD(X)                                                        \
	X(CONTROL_NUM_CORES, control, num_cores, 0x18, 4)                      \
	X(CONTROL_GLOBAL_OFFSET, control, global_offset, 0x1c, 4)              \
	X(CONTROL_GROUP_OFFSET, control, group_offset, 0x20, 4)                \
	X(CONTROL_GROUP_STRIDE, control, group_stride, 0x24, 4)                \
	X(CONTROL_QUEUE_OFFSET, control, queue_offset, 0x28, 4)                \
	X(CONTROL_QUEUE_STRIDE, control, queue_stride, 0x2c, 4)                \
	X(CONTROL_RING_ENTRY_SIZE, control, ring_entry_size, 0x30, 4)

#define GLOBAL_ALL(X)                                                          \
	X(GLOBAL_REQ, global, req, 0x00, 4)                                    \
	X(GLOBAL_WATCHDOG_MS, global, watchdog_ms, 0x04, 4)                    \
	X(GLOBAL_PING_SEQ, global, ping_seq, 0x08, 8)                          \
	X(GLOBAL_ACK, global, ack, 0x10, 4)                                    \
	X(GLOBAL_HALT_STATUS, global, halt_status, 0x14, 4)                    \
	X(GLOBAL_PONG_SEQ, global, pong_seq, 0x18, 8)                          \
	X(GLOBAL_FW_TIME_NS, global, fw_time_ns, 0x20, 8)

#define GROUP_ALL(X)                                                           \
	X(GROUP_REQ, group, req, 0x00, 4)                                      \
	X(GROUP_PRIORITY, group, priority, 0x04, 4)                            \
	X(GROUP_AS_ROOT, group, as_root, 0x08, 8)                              \
	X(GROUP_ACK, group, ack, 0x10, 4)                                      \
	X(GROUP_STATUS, group, status, 0x14, 4)

#define QUEUE_HEAD(X)                                                          \
	X(QUEUE_REQ, queue, req, 0x00, 4)                                      \
	X(QUEUE_DOORBELL, queue, doorbell, 0x04, 4)                            \
	X(QUEUE_RING_BASE, queue, ring_base, 0x08, 8)
/* Before 2.0-rc1: 32-bit ring positions, a pad after ring_extract. */
#define QUEUE_1_0(X)                                                           \
	QUEUE_HEAD(X)                                                          \
	X(QUEUE_RING_SIZE, queue, ring_size, 0x10, 4)                          \
	X(QUEUE_RING_INSERT, queue, ring_insert, 0x14, 4)                      \
	X(QUEUE_ACK, queue, ack, 0x18, 4)                                      \
	X(QUEUE_STATUS, queue, status, 0x1c, 4)                                \
	X(QUEUE_RING_EXTRACT, queue, ring_extract, 0x20, 4)                    \
	X(QUEUE_FAULT_VA, queue, fault_va, 0x28, 8)                            \
	X(QUEUE_FAULT_ACCESS, queue, fault_access, 0x30, 4)                    \
	X(QUEUE_ERROR, queue, error, 0x34, 4)                                  \
	X(QUEUE_PROGRESS, queue, progress, 0x38, 8)
/* From 2.0-rc1: widened to 64 bits. */
#define QUEUE_2_0(X)                                                           \
	QUEUE_HEAD(X)                                                          \
	X(QUEUE_RING_SIZE, queue, ring_size, 0x10, 8)                          \
	X(QUEUE_RING_INSERT, queue, ring_insert, 0x18, 8)                      \
	X(QUEUE_ACK, queue, ack, 0x20, 4)                                      \
	X(QUEUE_STATUS, queue, status, 0x24, 4)                                \
	X(QUEUE_RING_EXTRACT, queue, ring_extract, 0x28, 8)                    \
	X(QUEUE_FAULT_VA, queue, fault_va, 0x30, 8)                            \
	X(QUEUE_FAULT_ACCESS, queue, fault_access, 0x38, 4)                    \
	X(QUEUE_ERROR, queue, error, 0x3c, 4)                                  \
	X(QUEUE_PROGRESS, queue, progress, 0x40, 8)

#define RING_ENTRY_1_0(X)                                                      \
	X(RING_ENTRY_TYPE, ring_entry, type, 0x00, 4)                          \
	X(RING_ENTRY_STREAM_SIZE, ring_entry, stream_size, 0x04, 4)            \
	X(RING_ENTRY_STREAM_VA, ring_entry, stream_va, 0x08, 8)                \
	X(RING_ENTRY_SYNC_VA, ring_entry, sync_va, 0x10, 8)                    \
	X(RING_ENTRY_SYNC_SEQNO, ring_entry, sync_seqno, 0x18, 8)
#define RING_ENTRY_2_0(X)                                                      \
	X(RING_ENTRY_TYPE, ring_entry, type, 0x00, 4)                          \
	X(RING_ENTRY_FLAGS, ring_entry, flags, 0x04, 4)                        \
	X(RING_ENTRY_STREAM_VA, ring_entry, stream_va, 0x08, 8)                \
	X(RING_ENTRY_STREAM_SIZE, ring_entry, stream_size, 0x10, 8)            \
	X(RING_ENTRY_SYNC_VA, ring_entry, sync_va, 0x18, 8)                    \
	X(RING_ENTRY_SYNC_SEQNO, ring_entry, sync_seqno, 0x20, 8)              \
	X(RING_ENTRY_WAIT_VA, ring_entry, wait_va, 0x28, 8)                    \
	X(RING_ENTRY_WAIT_VALUE, ring_entry, wait_value, 0x30, 8)

#define SYNC_OBJ_ALL(X)                                                        \
	X(SYNC_OBJ_SEQNO, sync_obj, seqno, 0x00, 8)                            \
	X(SYNC_OBJ_STATUS, sync_obj, status, 0x08, 4)

#define FIELDS_V1_0(X)                                                         \
	IMAGE_HEADER_1_0(X)                                                    \
	CONTROL_1_0(X)                                                         \
	GLOBAL_ALL(X) GROUP_ALL(X) QUEUE_1_0(X) RING_ENTRY_1_0(X)              \
		SYNC_OBJ_ALL(X)
#define FIELDS_V1_1(X)                                                         \
	IMAGE_HEADER_1_1(X)                                                    \
	CONTROL_1_1(X)                                                         \
	GLOBAL_ALL(X) GROUP_ALL(X) QUEUE_1_0(X) RING_ENTRY_1_0(X)              \
		SYNC_OBJ_ALL(X)
#define FIELDS_V2_0_RC1(X)                                                     \
	IMAGE_HEADER_1_1(X)                                                    \
	CONTROL_1_1(X)                                                         \
	GLOBAL_ALL(X) GROUP_ALL(X) QUEUE_2_0(X) RING_ENTRY_2_0(X)              \
		SYNC_OBJ_ALL(X)
#define FIELDS_V2_0(X)                                                         \
	IMAGE_HEADER_1_1(X)                                                    \
	CONTROL_2_0(X)                                                         \
	GLOBAL_ALL(X) GROUP_ALL(X) QUEUE_2_0(X) RING_ENTRY_2_0(X)              \
		SYNC_OBJ_ALL(X)

/* Struct sizes: X(ID, struct, size). */
#define SIZES(X, header_size, queue_size, entry_size)                          \
	X(IMAGE_HEADER, image_header, header_size)                             \
	X(CONTROL, control, 56)                                                \
	X(GLOBAL, global, 40)                                                  \
	X(GROUP, group, 24)                                                    \
	X(QUEUE, queue, queue_size)                                            \
	X(RING_ENTRY, ring_entry, entry_size)                                  \
	X(SYNC_OBJ, sync_obj, 16)
#define SIZES_V1_0(X)	  SIZES(X, 24, 64, 32)
#define SIZES_V1_1(X)	  SIZES(X, 32, 64, 32)
#define SIZES_V2_0_RC1(X) SIZES(X, 32, 72, 64)
#define SIZES_V2_0(X)	  SIZES(X, 32, 72, 64)

/* The per-version headers agree with the hand-written layouts. */
#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#define STATIC_FIELD(ver, s, f, off, sz)                                       \
	_Static_assert(offsetof(struct simgpu_fw_##ver##_##s, f) == (off),     \
		       #ver " " #s "." #f " offset");                          \
	_Static_assert(MEMBER_SIZE(struct simgpu_fw_##ver##_##s, f) == (sz),   \
		       #ver " " #s "." #f " size");
#define STATIC_SIZE(ver, s, size)                                              \
	_Static_assert(sizeof(struct simgpu_fw_##ver##_##s) == (size),         \
		       #ver " sizeof " #s);
#define STATIC_V1_0(id, s, f, off, sz)	   STATIC_FIELD(v1_0, s, f, off, sz)
#define STATIC_V1_1(id, s, f, off, sz)	   STATIC_FIELD(v1_1, s, f, off, sz)
#define STATIC_V2_0_RC1(id, s, f, off, sz) STATIC_FIELD(v2_0_rc1, s, f, off, sz)
#define STATIC_V2_0(id, s, f, off, sz)	   STATIC_FIELD(v2_0, s, f, off, sz)
#define STATIC_SIZE_V1_0(id, s, size)	   STATIC_SIZE(v1_0, s, size)
#define STATIC_SIZE_V1_1(id, s, size)	   STATIC_SIZE(v1_1, s, size)
#define STATIC_SIZE_V2_0_RC1(id, s, size)  STATIC_SIZE(v2_0_rc1, s, size)
#define STATIC_SIZE_V2_0(id, s, size)	   STATIC_SIZE(v2_0, s, size)
FIELDS_V1_0(STATIC_V1_0)
FIELDS_V1_1(STATIC_V1_1)
FIELDS_V2_0_RC1(STATIC_V2_0_RC1)
FIELDS_V2_0(STATIC_V2_0)
SIZES_V1_0(STATIC_SIZE_V1_0)
SIZES_V1_1(STATIC_SIZE_V1_1)
SIZES_V2_0_RC1(STATIC_SIZE_V2_0_RC1)
SIZES_V2_0(STATIC_SIZE_V2_0)

/* Constants and enums of each per-version header. */
_Static_assert(SIMGPU_FW_VERSION_1_0 == 0x010000ffu, "1.0 code");
_Static_assert(SIMGPU_FW_VERSION_1_1 == 0x010100ffu, "1.1 code");
_Static_assert(SIMGPU_FW_VERSION_2_0_RC1 == 0x02000001u, "2.0-rc1 code");
_Static_assert(SIMGPU_FW_VERSION_2_0 == 0x020000ffu, "2.0 code");
_Static_assert(SIMGPU_FW_V1_0_IMAGE_MAGIC == 0x57464753u, "SGFW");
_Static_assert(SIMGPU_FW_V2_0_CONTROL_MAGIC == 0x4c544347u, "GCTL");
_Static_assert(SIMGPU_FW_V1_0_RING_ENTRY_SIZE == 32, "1.0 entries");
_Static_assert(SIMGPU_FW_V1_1_RING_ENTRY_SIZE == 32, "1.1 entries");
_Static_assert(SIMGPU_FW_V2_0_RC1_RING_ENTRY_SIZE == 64, "2.0-rc1 entries");
_Static_assert(SIMGPU_FW_V2_0_RING_ENTRY_SIZE == 64, "2.0 entries");
_Static_assert(SIMGPU_FW_V1_1_FEAT_TIMESTAMP == 1, "FEAT_TIMESTAMP");
_Static_assert(SIMGPU_FW_V2_0_RC1_FEAT_SYNC_WAIT == 2, "FEAT_SYNC_WAIT");
_Static_assert(SIMGPU_FW_V2_0_RC1_MSG_SYNC_WAIT == 2, "MSG_SYNC_WAIT");
_Static_assert(SIMGPU_FW_V1_0_MSG_EXEC == 1, "MSG_EXEC");
_Static_assert(SIMGPU_FW_V2_0_QUEUE_ERROR == 6, "QUEUE_ERROR");
_Static_assert(SIMGPU_FW_V1_0_GLB_WATCHDOG_CFG == 4, "GLB_WATCHDOG_CFG");
_Static_assert(SIMGPU_FW_V1_1_GROUP_PRIORITY == 4, "GROUP_PRIORITY");
_Static_assert(SIMGPU_FW_V2_0_FAULT_WRITE == 2, "FAULT_WRITE");
_Static_assert(sizeof(enum simgpu_fw_v2_0_msg) == sizeof(int), "enum msg");
#if defined(SIMGPU_FW_V1_0_FEAT_SYNC_WAIT) ||                                  \
	defined(SIMGPU_FW_V1_1_FEAT_SYNC_WAIT)
#error "FEAT_SYNC_WAIT exists only from 2.0-rc1"
#endif

struct expected_field {
	unsigned int id;
	const char *name;
	uint32_t offset;
	uint32_t size;
};

#define EXPECTED(id, s, f, off, sz) {SIMGPU_FW_##id, #s "." #f, off, sz},
#define EXPECTED_SIZE(id, s, size)  {SIMGPU_FW_S_##id, #s, 0, size},

static const struct expected_field fields_v1_0[] = {FIELDS_V1_0(EXPECTED)};
static const struct expected_field fields_v1_1[] = {FIELDS_V1_1(EXPECTED)};
static const struct expected_field fields_v2_0_rc1[] = {
	FIELDS_V2_0_RC1(EXPECTED)};
static const struct expected_field fields_v2_0[] = {FIELDS_V2_0(EXPECTED)};
static const struct expected_field sizes_v1_0[] = {SIZES_V1_0(EXPECTED_SIZE)};
static const struct expected_field sizes_v1_1[] = {SIZES_V1_1(EXPECTED_SIZE)};
static const struct expected_field sizes_v2_0_rc1[] = {
	SIZES_V2_0_RC1(EXPECTED_SIZE)};
static const struct expected_field sizes_v2_0[] = {SIZES_V2_0(EXPECTED_SIZE)};

struct expected_version {
	const char *name;
	uint32_t code;
	const struct expected_field *fields;
	unsigned int num_fields;
	const struct expected_field *sizes;
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct expected_version expected_versions[] = {
	{"1.0", 0x010000ff, fields_v1_0, ARRAY_LEN(fields_v1_0), sizes_v1_0},
	{"1.1", 0x010100ff, fields_v1_1, ARRAY_LEN(fields_v1_1), sizes_v1_1},
	{"2.0-rc1", 0x02000001, fields_v2_0_rc1, ARRAY_LEN(fields_v2_0_rc1),
	 sizes_v2_0_rc1},
	{"2.0", 0x020000ff, fields_v2_0, ARRAY_LEN(fields_v2_0), sizes_v2_0},
};

static const struct fwabi_version *version(const char *name)
{
	const struct fwabi_version *v = simgpu_fw_abi_lookup_name(name);

	if (!v)
		fail_msg("simgpu_fw_abi_lookup_name(\"%s\") gave NULL", name);
	return v;
}

/* The runtime table of version @i holds exactly the hand-written fields
 * (every other field absent and refused) and struct sizes. */
static void check_version_table(unsigned int i)
{
	const struct expected_version *e = &expected_versions[i];
	const struct fwabi_version *v = &simgpu_fw_versions[i];
	bool listed[SIMGPU_FW_NUM_FIELDS] = {0};
	uint64_t buf[16] = {0}, value;

	assert_string_equal(v->name, e->name);
	fw_expect(v->code, e->code, "code of %s", e->name);
	fw_expect(v->index, i, "index of %s", e->name);
	fw_expect(v->num_fields, SIMGPU_FW_NUM_FIELDS, "fields of %s", e->name);
	for (unsigned int k = 0; k < e->num_fields; k++) {
		const struct expected_field *f = &e->fields[k];
		const struct fwabi_field *got = &v->fields[f->id];

		listed[f->id] = true;
		assert_string_equal(got->name, f->name);
		if (!fwabi_has(v, f->id))
			fail_msg("%s: %s absent", e->name, f->name);
		fw_expect(fwabi_offsetof(v, f->id), f->offset,
			  "%s: offset of %s", e->name, f->name);
		fw_expect(got->size, f->size, "%s: size of %s", e->name,
			  f->name);
		fw_expect(got->count, 1, "%s: count of %s", e->name, f->name);
		fw_expect(got->is_struct, false, "%s: %s", e->name, f->name);
		fw_expect(got->is_signed,
			  f->id == SIMGPU_FW_QUEUE_ERROR ||
				  f->id == SIMGPU_FW_SYNC_OBJ_STATUS,
			  "%s: signedness of %s", e->name, f->name);
		fw_expect(fwabi_get(v, f->id, buf, 0, &value), 0, "%s: get %s",
			  e->name, f->name);
	}
	for (unsigned int id = 0; id < SIMGPU_FW_NUM_FIELDS; id++) {
		if (listed[id])
			continue;
		if (fwabi_has(v, id))
			fail_msg("%s: %s is present, the test says absent",
				 e->name, v->fields[id].name);
		fw_expect(fwabi_offsetof(v, id), FWABI_NO_OFFSET,
			  "%s: offset of absent %s", e->name,
			  v->fields[id].name);
		fw_expect(fwabi_get(v, id, buf, 0, &value), -ENOENT,
			  "%s: get absent %s", e->name, v->fields[id].name);
		fw_expect(fwabi_set(v, id, buf, 0, 1), -ENOENT,
			  "%s: set absent %s", e->name, v->fields[id].name);
	}
	for (unsigned int s = 0; s < SIMGPU_FW_NUM_STRUCTS; s++) {
		assert_string_equal(v->structs[e->sizes[s].id].name,
				    e->sizes[s].name);
		fw_expect(fwabi_sizeof(v, e->sizes[s].id), e->sizes[s].size,
			  "%s: sizeof %s", e->name, e->sizes[s].name);
	}
}

static void layout_of_1_0_matches_the_hand_written_one(void **state)
{
	check_version_table(0);
}

static void layout_of_1_1_matches_the_hand_written_one(void **state)
{
	check_version_table(1);
}

static void layout_of_2_0_rc1_matches_the_hand_written_one(void **state)
{
	check_version_table(2);
}

static void layout_of_2_0_matches_the_hand_written_one(void **state)
{
	check_version_table(3);
}

static void every_field_id_is_in_some_version(void **state)
{
	for (unsigned int id = 0; id < SIMGPU_FW_NUM_FIELDS; id++) {
		bool found = false;

		for (unsigned int i = 0; i < simgpu_fw_num_versions; i++)
			found |= fwabi_has(&simgpu_fw_versions[i], id);
		if (!found)
			fail_msg("field id %u in no version", id);
	}
	fw_expect(simgpu_fw_num_versions, 4, "versions");
	fw_expect(SIMGPU_FW_NUM_VERSIONS, 4, "SIMGPU_FW_NUM_VERSIONS");
}

static void lookup_finds_every_code(void **state)
{
	static const uint32_t codes[] = {
		SIMGPU_FW_VERSION_1_0, SIMGPU_FW_VERSION_1_1,
		SIMGPU_FW_VERSION_2_0_RC1, SIMGPU_FW_VERSION_2_0};

	for (unsigned int i = 0; i < ARRAY_LEN(codes); i++) {
		const struct fwabi_version *v = simgpu_fw_abi_lookup(codes[i]);

		if (v != &simgpu_fw_versions[i])
			fail_msg("lookup(0x%08x) gave %s", codes[i],
				 v ? v->name : "NULL");
		assert_string_equal(v->name, expected_versions[i].name);
		assert_ptr_equal(simgpu_fw_abi_lookup_name(v->name), v);
	}
}

static void lookup_refuses_unknown_codes(void **state)
{
	/* 0x01000000: 1.0 as a pre-release that does not exist; 2.0-rc2;
	 * a release byte that is not 0xff; 1.2; 3.0. */
	static const uint32_t codes[] = {0,	     0x01000000, 0x02000002,
					 0x020000fe, 0x010200ff, 0x030000ff,
					 0x010000fe, UINT32_MAX};

	for (unsigned int i = 0; i < ARRAY_LEN(codes); i++) {
		const struct fwabi_version *v = simgpu_fw_abi_lookup(codes[i]);

		if (v)
			fail_msg("lookup(0x%08x) gave %s, expected NULL",
				 codes[i], v->name);
	}
	assert_null(simgpu_fw_abi_lookup_name("2.0-rc2"));
	assert_null(simgpu_fw_abi_lookup_name("2"));
	assert_null(simgpu_fw_abi_lookup_name(NULL));
}

/* RING_ENTRY_SIZE follows the ring entry's size; FEAT_SYNC_WAIT and
 * MSG_SYNC_WAIT exist from 2.0-rc1. */
static void constants_and_enums_follow_their_versions(void **state)
{
	static const uint64_t entry_size[] = {32, 32, 64, 64};

	for (unsigned int i = 0; i < simgpu_fw_num_versions; i++) {
		const struct fwabi_version *v = &simgpu_fw_versions[i];
		bool v2 = i >= 2;
		uint64_t value = 0;

		fw_expect(
			fwabi_const_get(v, SIMGPU_FW_C_RING_ENTRY_SIZE, &value),
			0, "%s RING_ENTRY_SIZE", v->name);
		fw_expect(value, entry_size[i], "%s RING_ENTRY_SIZE", v->name);
		fw_expect(value, fwabi_sizeof(v, SIMGPU_FW_S_RING_ENTRY),
			  "%s: RING_ENTRY_SIZE is sizeof ring_entry", v->name);
		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_IMAGE_MAGIC, &value),
			  0, "%s IMAGE_MAGIC", v->name);
		fw_expect(value, 0x57464753, "%s IMAGE_MAGIC", v->name);
		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_CONTROL_MAGIC, &value),
			  0, "%s CONTROL_MAGIC", v->name);
		fw_expect(value, 0x4c544347, "%s CONTROL_MAGIC", v->name);
		fw_expect(
			fwabi_const_get(v, SIMGPU_FW_C_FEAT_TIMESTAMP, &value),
			0, "%s FEAT_TIMESTAMP", v->name);
		fw_expect(value, 1, "%s FEAT_TIMESTAMP", v->name);

		value = 99;
		fw_expect(
			fwabi_const_get(v, SIMGPU_FW_C_FEAT_SYNC_WAIT, &value),
			v2 ? 0 : -ENOENT, "%s FEAT_SYNC_WAIT", v->name);
		fw_expect(value, v2 ? 2 : 99, "%s FEAT_SYNC_WAIT", v->name);
		value = 99;
		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_MSG_SYNC_WAIT, &value),
			  v2 ? 0 : -ENOENT, "%s MSG_SYNC_WAIT", v->name);
		fw_expect(value, v2 ? 2 : 99, "%s MSG_SYNC_WAIT", v->name);

		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_MSG_EXEC, &value), 0,
			  "%s MSG_EXEC", v->name);
		fw_expect(value, 1, "%s MSG_EXEC", v->name);
		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_QUEUE_STUCK, &value),
			  0, "%s QUEUE_STUCK", v->name);
		fw_expect(value, 4, "%s QUEUE_STUCK", v->name);
		fw_expect(fwabi_const_get(v, SIMGPU_FW_C_FAULT_WRITE, &value),
			  0, "%s FAULT_WRITE", v->name);
		fw_expect(value, 2, "%s FAULT_WRITE", v->name);
		fw_expect(fwabi_const_get(v, SIMGPU_FW_NUM_CONSTS, &value),
			  -EINVAL, "%s: const id out of range", v->name);
	}
}

/* A value written through one version's struct reads back through the
 * table of the same version, whatever the field's width there. */
static void widened_fields_read_at_each_width(void **state)
{
	struct simgpu_fw_v1_1_queue q1;
	struct simgpu_fw_v2_0_queue q2;
	struct simgpu_fw_v1_0_ring_entry e1;
	struct simgpu_fw_v2_0_rc1_ring_entry e2;
	uint64_t value;

	memset(&q1, 0xaa, sizeof(q1));
	q1.ring_size = 0x1000;
	q1.ring_insert = 0xfffffff0u;
	q1.ack = 3;
	fw_expect(fwabi_get(version("1.1"), SIMGPU_FW_QUEUE_RING_SIZE, &q1, 0,
			    &value),
		  0, "get 1.1 ring_size");
	fw_expect(value, 0x1000, "1.1 ring_size");
	fwabi_get(version("1.1"), SIMGPU_FW_QUEUE_RING_INSERT, &q1, 0, &value);
	fw_expect(value, 0xfffffff0u, "1.1 ring_insert");
	fwabi_get(version("1.1"), SIMGPU_FW_QUEUE_ACK, &q1, 0, &value);
	fw_expect(value, 3, "1.1 ack");

	memset(&q2, 0, sizeof(q2));
	fw_expect(fwabi_set(version("2.0"), SIMGPU_FW_QUEUE_RING_INSERT, &q2, 0,
			    UINT64_C(0x123456789a)),
		  0, "set 2.0 ring_insert beyond 32 bits");
	fw_expect(q2.ring_insert, UINT64_C(0x123456789a), "2.0 ring_insert");
	fw_expect(q2.ring_size, 0, "2.0 ring_size untouched");
	fw_expect(q2.ack, 0, "2.0 ack untouched");
	fw_expect(fwabi_set(version("2.0"), SIMGPU_FW_QUEUE_RING_EXTRACT, &q2,
			    0, UINT64_MAX),
		  0, "set 2.0 ring_extract");
	fw_expect(q2.ring_extract, UINT64_MAX, "2.0 ring_extract");

	memset(&e1, 0, sizeof(e1));
	e1.stream_size = 0x40;
	e1.stream_va = UINT64_C(0x100000000);
	fwabi_get(version("1.0"), SIMGPU_FW_RING_ENTRY_STREAM_SIZE, &e1, 0,
		  &value);
	fw_expect(value, 0x40, "1.0 stream_size");
	fwabi_get(version("1.0"), SIMGPU_FW_RING_ENTRY_STREAM_VA, &e1, 0,
		  &value);
	fw_expect(value, UINT64_C(0x100000000), "1.0 stream_va");

	memset(&e2, 0, sizeof(e2));
	fwabi_set(version("2.0-rc1"), SIMGPU_FW_RING_ENTRY_STREAM_SIZE, &e2, 0,
		  UINT64_C(1) << 33);
	fwabi_set(version("2.0-rc1"), SIMGPU_FW_RING_ENTRY_WAIT_VALUE, &e2, 0,
		  7);
	fw_expect(e2.stream_size, UINT64_C(1) << 33, "2.0-rc1 stream_size");
	fw_expect(e2.wait_value, 7, "2.0-rc1 wait_value");
	fw_expect(e2.flags, 0, "2.0-rc1 flags untouched");
}

static void set_refuses_values_too_wide_and_stores_nothing(void **state)
{
	struct simgpu_fw_v1_0_queue q;
	struct simgpu_fw_v2_0_queue q2;

	memset(&q, 0, sizeof(q));
	q.ring_size = 0x55;
	fw_expect(fwabi_set(version("1.0"), SIMGPU_FW_QUEUE_RING_SIZE, &q, 0,
			    UINT64_C(1) << 32),
		  -ERANGE, "1.0 ring_size = 2^32");
	fw_expect(q.ring_size, 0x55, "1.0 ring_size kept");
	fw_expect(q.ring_insert, 0, "1.0 ring_insert untouched");
	fw_expect(fwabi_set(version("1.0"), SIMGPU_FW_QUEUE_RING_SIZE, &q, 0,
			    UINT32_MAX),
		  0, "1.0 ring_size = 2^32 - 1");
	fw_expect(q.ring_size, UINT32_MAX, "1.0 ring_size");
	fw_expect(q.ring_insert, 0, "1.0 ring_insert still untouched");

	memset(&q2, 0, sizeof(q2));
	fw_expect(fwabi_set(version("2.0"), SIMGPU_FW_QUEUE_RING_SIZE, &q2, 0,
			    UINT64_C(1) << 32),
		  0, "2.0 ring_size = 2^32");
	fw_expect(q2.ring_size, UINT64_C(1) << 32, "2.0 ring_size");
	fw_expect(fwabi_set(version("2.0"), SIMGPU_FW_QUEUE_ACK, &q2, 0,
			    UINT64_C(1) << 32),
		  -ERANGE, "2.0 ack (u32) = 2^32");
}

/* queue.error is i32: negative errnos round-trip, sign-extended. */
static void signed_fields_sign_extend_and_check_their_range(void **state)
{
	struct simgpu_fw_v2_0_queue q;
	const struct fwabi_version *v = version("2.0");
	uint64_t value;

	memset(&q, 0, sizeof(q));
	fw_expect(fwabi_set(v, SIMGPU_FW_QUEUE_ERROR, &q, 0,
			    (uint64_t)(int64_t)-EFAULT),
		  0, "error = -EFAULT");
	fw_expect(q.error, -EFAULT, "error");
	fw_expect(fwabi_get(v, SIMGPU_FW_QUEUE_ERROR, &q, 0, &value), 0,
		  "get error");
	fw_expect((int64_t)value, -EFAULT, "error read back");
	fw_expect(fwabi_set(v, SIMGPU_FW_QUEUE_ERROR, &q, 0,
			    (uint64_t)INT32_MAX + 1),
		  -ERANGE, "error = INT32_MAX + 1");
	fw_expect(fwabi_set(v, SIMGPU_FW_QUEUE_ERROR, &q, 0,
			    (uint64_t)((int64_t)INT32_MIN - 1)),
		  -ERANGE, "error = INT32_MIN - 1");
	fw_expect(fwabi_set(v, SIMGPU_FW_QUEUE_ERROR, &q, 0,
			    (uint64_t)(int64_t)INT32_MIN),
		  0, "error = INT32_MIN");
	fw_expect(q.error, INT32_MIN, "error");
	fw_expect(q.fault_access, 0, "fault_access untouched");
	fw_expect(q.progress, 0, "progress untouched");
}

static void bad_ids_indices_and_alignment_are_refused(void **state)
{
	const struct fwabi_version *v = version("2.0");
	uint64_t buf[16] = {0}, value;

	fw_expect(fwabi_get(v, SIMGPU_FW_GLOBAL_REQ, buf, 1, &value), -ERANGE,
		  "index 1 of a scalar");
	fw_expect(fwabi_set(v, SIMGPU_FW_GLOBAL_REQ, buf, 1, 0), -ERANGE,
		  "set index 1 of a scalar");
	fw_expect(fwabi_get(v, SIMGPU_FW_NUM_FIELDS, buf, 0, &value), -EINVAL,
		  "field id out of range");
	fw_expect(fwabi_has(v, SIMGPU_FW_NUM_FIELDS), false, "has bad id");
	fw_expect(fwabi_offsetof(v, SIMGPU_FW_NUM_FIELDS), FWABI_NO_OFFSET,
		  "offsetof bad id");
	fw_expect(fwabi_sizeof(v, SIMGPU_FW_NUM_STRUCTS), 0, "sizeof bad id");
	fw_expect(fwabi_get(v, SIMGPU_FW_GLOBAL_PING_SEQ,
			    (unsigned char *)buf + 4, 0, &value),
		  -EINVAL, "u64 at a misaligned base");
}

/* Absent in one version, present in another: the accessors say which. */
static void absent_fields_are_refused_with_enoent(void **state)
{
	struct simgpu_fw_v2_0_rc1_control c;
	uint64_t value = 42;

	memset(&c, 0, sizeof(c));
	c.legacy_timer_hz = 1000;
	c.num_cores = 2;
	fw_expect(fwabi_get(version("2.0-rc1"),
			    SIMGPU_FW_CONTROL_LEGACY_TIMER_HZ, &c, 0, &value),
		  0, "2.0-rc1 legacy_timer_hz");
	fw_expect(value, 1000, "2.0-rc1 legacy_timer_hz");
	value = 42;
	fw_expect(fwabi_get(version("2.0"), SIMGPU_FW_CONTROL_LEGACY_TIMER_HZ,
			    &c, 0, &value),
		  -ENOENT, "2.0 legacy_timer_hz");
	fw_expect(value, 42, "value untouched on -ENOENT");
	fw_expect(fwabi_get(version("1.0"), SIMGPU_FW_CONTROL_NUM_CORES, &c, 0,
			    &value),
		  -ENOENT, "1.0 num_cores");
	fw_expect(fwabi_set(version("1.0"), SIMGPU_FW_IMAGE_HEADER_BUILD_ID, &c,
			    0, 1),
		  -ENOENT, "1.0 build_id");
	fw_expect(fwabi_set(version("1.1"), SIMGPU_FW_RING_ENTRY_WAIT_VA, &c, 0,
			    1),
		  -ENOENT, "1.1 wait_va");
	fw_expect(c.num_cores, 2, "nothing written");
}

/* fwabi_test.fwabi: arrays, u8/i8/u16/i16, an embedded struct whose size
 * changes, a pre-release first version. */
static void arrays_small_types_and_struct_fields(void **state)
{
	const struct fwabi_version *beta =
		fwabi_test_abi_lookup(FWABI_TEST_VERSION_0_9_BETA);
	const struct fwabi_version *v11 = fwabi_test_abi_lookup(0x010100ff);
	struct fwabi_test_v1_1_obj o;
	struct fwabi_test_v0_9_beta_obj ob;
	uint64_t value;

	assert_non_null(beta);
	assert_non_null(v11);
	fw_expect(FWABI_TEST_VERSION_0_9_BETA, 0x00090001, "0.9-beta code");
	fw_expect(fwabi_sizeof(beta, FWABI_TEST_S_POINT), 4, "beta point");
	fw_expect(fwabi_sizeof(v11, FWABI_TEST_S_POINT), 8, "1.1 point");
	fw_expect(fwabi_sizeof(beta, FWABI_TEST_S_OBJ), 20, "beta obj");
	fw_expect(fwabi_sizeof(v11, FWABI_TEST_S_OBJ), 40, "1.1 obj");
	fw_expect(fwabi_offsetof(beta, FWABI_TEST_OBJ_WORDS), 8, "beta words");
	fw_expect(fwabi_offsetof(v11, FWABI_TEST_OBJ_WORDS), 12, "1.1 words");
	fw_expect(fwabi_offsetof(v11, FWABI_TEST_OBJ_BIG), 24, "1.1 big");
	fw_expect(v11->fields[FWABI_TEST_OBJ_WHERE].size, 8, "where size");
	fw_expect(v11->fields[FWABI_TEST_OBJ_WHERE].is_struct, true, "where");
	fw_expect(v11->fields[FWABI_TEST_OBJ_WORDS].count, 3, "words count");
	_Static_assert(offsetof(struct fwabi_test_v1_1_obj, big) == 24, "big");
	_Static_assert(sizeof(struct fwabi_test_v0_9_beta_obj) == 20, "obj");

	memset(&o, 0, sizeof(o));
	for (unsigned int i = 0; i < 3; i++)
		fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_WORDS, &o, i, 10 + i),
			  0, "words[%u]", i);
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_WORDS, &o, 3, 1), -ERANGE,
		  "words[3]");
	fw_expect(fwabi_get(v11, FWABI_TEST_OBJ_WORDS, &o, 3, &value), -ERANGE,
		  "get words[3]");
	fw_expect(o.words[0] + o.words[1] + o.words[2], 33, "words");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_BIG, &o, 1, UINT64_MAX), 0,
		  "big[1]");
	fw_expect(o.big[1], UINT64_MAX, "big[1]");
	fw_expect(o.big[0], 0, "big[0]");
	fw_expect(fwabi_get(v11, FWABI_TEST_OBJ_WHERE, &o, 0, &value), -EINVAL,
		  "get on a struct field");

	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_KIND, &o, 0, 255), 0, "kind");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_KIND, &o, 0, 256), -ERANGE,
		  "kind = 256");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_DELTA, &o, 0,
			    (uint64_t)(int64_t)-128),
		  0, "delta = -128");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_DELTA, &o, 0, 128), -ERANGE,
		  "delta = 128");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_FLAGS, &o, 0, 0xffff), 0,
		  "flags");
	fw_expect(fwabi_set(v11, FWABI_TEST_OBJ_FLAGS, &o, 0, 0x10000), -ERANGE,
		  "flags = 0x10000");
	fw_expect(o.kind, 255, "kind");
	fw_expect(o.delta, -128, "delta");
	fw_expect(o.flags, 0xffff, "flags");
	fwabi_get(v11, FWABI_TEST_OBJ_DELTA, &o, 0, &value);
	fw_expect((int64_t)value, -128, "delta sign-extended");

	memset(&ob, 0, sizeof(ob));
	ob.where.y = -2;
	ob.words[2] = 7;
	fw_expect(fwabi_get(beta, FWABI_TEST_OBJ_WORDS, &ob, 2, &value), 0,
		  "beta words[2]");
	fw_expect(value, 7, "beta words[2]");
	fw_expect(fwabi_get(beta, FWABI_TEST_OBJ_BIG, &ob, 0, &value), -ENOENT,
		  "beta big");
	/* The embedded point, through its own table at its offset. */
	fw_expect(fwabi_get(beta, FWABI_TEST_POINT_Y,
			    (unsigned char *)&ob +
				    fwabi_offsetof(beta, FWABI_TEST_OBJ_WHERE),
			    0, &value),
		  0, "beta where.y");
	fw_expect((int64_t)value, -2, "beta where.y");
	fw_expect(fwabi_has(beta, FWABI_TEST_POINT_TAG), false, "beta tag");

	fw_expect(fwabi_const_get(beta, FWABI_TEST_C_BIG, &value), 0, "BIG");
	fw_expect(value, UINT64_MAX, "BIG");
	_Static_assert(FWABI_TEST_V1_1_BIG == UINT64_MAX, "BIG");
}

/* The driver publishes ring_insert (release), the firmware sees it
 * (acquire) and then the entry it covers; and back with ring_extract. */
struct handoff {
	struct simgpu_fw_v2_0_queue queue;
	uint64_t entries[64];
};

static void *handoff_firmware(void *arg)
{
	struct handoff *h = arg;
	const struct fwabi_version *v = simgpu_fw_abi_lookup_name("2.0");
	uint64_t insert = 0, extract = 0, value;

	while (extract < 64) {
		while (insert == extract)
			fwabi_get(v, SIMGPU_FW_QUEUE_RING_INSERT, &h->queue, 0,
				  &insert);
		for (; extract < insert; extract++) {
			value = __atomic_load_n(&h->entries[extract],
						__ATOMIC_RELAXED);
			if (value != extract * 3 + 1)
				return (void *)1;
		}
		fwabi_set(v, SIMGPU_FW_QUEUE_RING_EXTRACT, &h->queue, 0,
			  extract);
	}
	return NULL;
}

static void release_and_acquire_hand_off_a_ring(void **state)
{
	const struct fwabi_version *v = version("2.0");
	static struct handoff h;
	pthread_t thread;
	uint64_t extract = 0;
	void *result;

	memset(&h, 0, sizeof(h));
	assert_int_equal(pthread_create(&thread, NULL, handoff_firmware, &h),
			 0);
	for (uint64_t i = 0; i < 64; i++) {
		__atomic_store_n(&h.entries[i], i * 3 + 1, __ATOMIC_RELAXED);
		fw_expect(fwabi_set(v, SIMGPU_FW_QUEUE_RING_INSERT, &h.queue, 0,
				    i + 1),
			  0, "publish entry %llu", (unsigned long long)i);
	}
	while (extract < 64)
		fwabi_get(v, SIMGPU_FW_QUEUE_RING_EXTRACT, &h.queue, 0,
			  &extract);
	assert_int_equal(pthread_join(thread, &result), 0);
	assert_null(result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_of_1_0_matches_the_hand_written_one),
		cmocka_unit_test(layout_of_1_1_matches_the_hand_written_one),
		cmocka_unit_test(
			layout_of_2_0_rc1_matches_the_hand_written_one),
		cmocka_unit_test(layout_of_2_0_matches_the_hand_written_one),
		cmocka_unit_test(every_field_id_is_in_some_version),
		cmocka_unit_test(lookup_finds_every_code),
		cmocka_unit_test(lookup_refuses_unknown_codes),
		cmocka_unit_test(constants_and_enums_follow_their_versions),
		cmocka_unit_test(widened_fields_read_at_each_width),
		cmocka_unit_test(
			set_refuses_values_too_wide_and_stores_nothing),
		cmocka_unit_test(
			signed_fields_sign_extend_and_check_their_range),
		cmocka_unit_test(bad_ids_indices_and_alignment_are_refused),
		cmocka_unit_test(absent_fields_are_refused_with_enoent),
		cmocka_unit_test(arrays_small_types_and_struct_fields),
		cmocka_unit_test(release_and_acquire_hand_off_a_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
