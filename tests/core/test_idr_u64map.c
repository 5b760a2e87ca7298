// SPDX-License-Identifier: MIT
/*
 * The two containers under handles, names, magics and offsets:
 * udrm_idr (lowest-free ids, as idr_alloc(idr, ptr, base, 0)) and
 * udrm_u64map (hash map with backward-shift deletion).
 */
#include "udrm_test.h"

#include <stdlib.h>

#include "core/idr.h"
#include "core/u64map.h"

static void *ptr(uintptr_t v)
{
	return (void *)(v * 16 + 8);
}

static void idr_allocates_from_base_lowest_free_first(void **state)
{
	struct udrm_idr idr;
	int64_t id;
	uint32_t i;

	(void)state;
	udrm_idr_init(&idr, 1);
	for (i = 1; i <= 5; i++) {
		id = udrm_idr_alloc(&idr, ptr(i));
		ut_check(id == (int64_t)i, "allocation %u: expected id %u, got "
					   "%lld", i, i, (long long)id);
	}
	ut_check(udrm_idr_remove(&idr, 3) == ptr(3),
		 "remove must return the pointer");
	ut_check(udrm_idr_remove(&idr, 1) == ptr(1),
		 "remove must return the pointer");
	ut_check(udrm_idr_alloc(&idr, ptr(10)) == 1, "lowest free is 1");
	ut_check(udrm_idr_alloc(&idr, ptr(11)) == 3, "then 3");
	ut_check(udrm_idr_alloc(&idr, ptr(12)) == 6, "then 6");
	ut_check(idr.count == 6, "count: expected 6, got %u", idr.count);
	udrm_idr_destroy(&idr);

	udrm_idr_init(&idr, 100);
	ut_check(udrm_idr_alloc(&idr, ptr(1)) == 100,
		 "an idr with base 100 must start at 100");
	udrm_idr_destroy(&idr);
}

static void idr_find_replace_and_null_entries(void **state)
{
	struct udrm_idr idr;
	int64_t a, b;

	(void)state;
	udrm_idr_init(&idr, 1);
	a = udrm_idr_alloc(&idr, NULL);
	b = udrm_idr_alloc(&idr, ptr(2));
	ut_check(a == 1 && b == 2, "expected ids 1 and 2");
	/* A NULL entry reserves its id, as the kernel's handle creation
	 * does before publishing the object. */
	ut_check(udrm_idr_is_allocated(&idr, 1), "id 1 holds NULL but is "
						 "allocated");
	ut_check(udrm_idr_find(&idr, 1) == NULL, "find of a NULL entry");
	ut_check(udrm_idr_alloc(&idr, ptr(3)) == 3,
		 "a NULL entry must not be handed out again");
	ut_check(udrm_idr_replace(&idr, 1, ptr(1)) == NULL,
		 "replace returns the old pointer (NULL)");
	ut_check(udrm_idr_find(&idr, 1) == ptr(1), "find after replace");
	ut_check(udrm_idr_find(&idr, 0) == NULL &&
			 udrm_idr_find(&idr, 4) == NULL &&
			 udrm_idr_find(&idr, UINT32_MAX) == NULL,
		 "find of ids never allocated must be NULL");
	ut_check(!udrm_idr_is_allocated(&idr, 4) &&
			 !udrm_idr_is_allocated(&idr, UINT32_MAX),
		 "ids never allocated are not allocated");
	ut_check(udrm_idr_remove(&idr, 4) == NULL &&
			 udrm_idr_remove(&idr, UINT32_MAX) == NULL,
		 "remove of a free id returns NULL");
	ut_check(idr.count == 3, "count: expected 3, got %u", idr.count);
	udrm_idr_destroy(&idr);
}

static void idr_iterates_allocated_ids_in_order(void **state)
{
	struct udrm_idr idr;
	uint32_t id, seen = 0, last = 0;
	void *p;
	uint32_t i;

	(void)state;
	udrm_idr_init(&idr, 1);
	for (i = 1; i <= 20; i++)
		udrm_idr_alloc(&idr, ptr(i));
	for (i = 2; i <= 20; i += 2)
		udrm_idr_remove(&idr, i);
	for (id = 0; udrm_idr_next(&idr, &id, &p);) {
		ut_check(id % 2 == 1, "iteration returned freed id %u", id);
		ut_check(id > last, "iteration is not increasing (%u after %u)",
			 id, last);
		ut_check(p == ptr(id), "iteration gave the wrong pointer for "
				       "id %u", id);
		last = id;
		seen++;
		/* Removing the current entry during iteration is safe. */
		udrm_idr_remove(&idr, id);
	}
	ut_check(seen == 10, "expected 10 ids, iterated %u", seen);
	ut_check(idr.count == 0, "all removed, count %u", idr.count);
	udrm_idr_destroy(&idr);
}

static void idr_handles_many_ids(void **state)
{
	struct udrm_idr idr;
	uint32_t i;

	(void)state;
	udrm_idr_init(&idr, 1);
	for (i = 1; i <= 100000; i++) {
		int64_t id = udrm_idr_alloc(&idr, ptr(i));

		if (id != (int64_t)i)
			fail_msg("allocation %u gave id %lld", i,
				 (long long)id);
	}
	for (int64_t j = 100000; j >= 1; j -= 7)
		udrm_idr_remove(&idr, (uint32_t)j);
	for (i = 1; i <= 100000; i++) {
		bool removed = (100000 - i) % 7 == 0;

		if ((udrm_idr_find(&idr, i) == NULL) != removed)
			fail_msg("id %u: expected %s", i,
				 removed ? "free" : "present");
	}
	/* Lowest free is the smallest removed id. */
	ut_check(udrm_idr_alloc(&idr, ptr(0)) == (100000 % 7 ? 100000 % 7 : 7),
		 "lowest free after scattered removals");
	udrm_idr_destroy(&idr);
}

static void u64map_put_get_replace_remove(void **state)
{
	struct udrm_u64map map;

	(void)state;
	udrm_u64map_init(&map);
	ut_check(udrm_u64map_get(&map, 1) == NULL, "get on an empty map");
	ut_check(udrm_u64map_remove(&map, 1) == NULL,
		 "remove on an empty map");
	ut_expect(udrm_u64map_put(&map, 0, ptr(1)), 0, "put key 0");
	ut_expect(udrm_u64map_put(&map, UINT64_MAX, ptr(2)), 0,
		  "put key UINT64_MAX");
	ut_expect(udrm_u64map_put(&map, 1ull << 32, ptr(3)), 0,
		  "put key 1<<32");
	ut_check(udrm_u64map_get(&map, 0) == ptr(1) &&
			 udrm_u64map_get(&map, UINT64_MAX) == ptr(2) &&
			 udrm_u64map_get(&map, 1ull << 32) == ptr(3),
		 "get must return what was put");
	ut_check(map.count == 3, "count: expected 3, got %zu", map.count);
	ut_expect(udrm_u64map_put(&map, 0, ptr(4)), 0, "replace key 0");
	ut_check(map.count == 3, "replacing must not add an entry");
	ut_check(udrm_u64map_get(&map, 0) == ptr(4), "replace did not stick");
	ut_check(udrm_u64map_remove(&map, 0) == ptr(4),
		 "remove returns the value");
	ut_check(udrm_u64map_get(&map, 0) == NULL, "removed key still found");
	ut_check(udrm_u64map_remove(&map, 0) == NULL, "double remove");
	ut_check(map.count == 2, "count after remove: %zu", map.count);
	udrm_u64map_destroy(&map);
}

static void u64map_survives_collisions_and_removals(void **state)
{
	struct udrm_u64map map;
	const uint64_t n = 20000;
	uint64_t i;

	(void)state;
	udrm_u64map_init(&map);
	/* Keys that share low bits (fake offsets are page numbers, dma-buf
	 * keys are inodes): stride 4096. */
	for (i = 0; i < n; i++) {
		if (udrm_u64map_put(&map, 0x100000 + i * 4096, ptr(i + 1)))
			fail_msg("put %llu failed", (unsigned long long)i);
	}
	/* Remove every third key, so probe chains get holes that must be
	 * shifted back. */
	for (i = 0; i < n; i += 3)
		udrm_u64map_remove(&map, 0x100000 + i * 4096);
	for (i = 0; i < n; i++) {
		void *v = udrm_u64map_get(&map, 0x100000 + i * 4096);
		void *want = i % 3 ? ptr(i + 1) : NULL;

		if (v != want)
			fail_msg("key %llu: expected %p, got %p",
				 (unsigned long long)i, want, v);
	}
	ut_check(map.count == n - (n + 2) / 3, "count: expected %llu, got %zu",
		 (unsigned long long)(n - (n + 2) / 3), map.count);
	udrm_u64map_destroy(&map);
}

static void u64map_random_operations_match_a_reference(void **state)
{
	enum { KEYS = 512, OPS = 200000 };
	static void *ref[KEYS];
	struct udrm_u64map map;
	uint64_t x = 88172645463325252ull;
	size_t count = 0;
	int op;

	(void)state;
	memset(ref, 0, sizeof(ref));
	udrm_u64map_init(&map);
	for (op = 0; op < OPS; op++) {
		uint64_t k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = x % KEYS;
		if ((x >> 20) & 1) {
			if (!ref[k])
				count++;
			ref[k] = ptr(op + 1);
			if (udrm_u64map_put(&map, k << 12, ref[k]))
				fail_msg("put failed at op %d", op);
		} else {
			void *got = udrm_u64map_remove(&map, k << 12);

			if (got != ref[k])
				fail_msg("op %d: remove of key %llu returned "
					 "%p, expected %p",
					 op, (unsigned long long)k, got, ref[k]);
			if (ref[k])
				count--;
			ref[k] = NULL;
		}
		if (map.count != count)
			fail_msg("op %d: count %zu, expected %zu", op,
				 map.count, count);
	}
	udrm_u64map_destroy(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idr_allocates_from_base_lowest_free_first),
		cmocka_unit_test(idr_find_replace_and_null_entries),
		cmocka_unit_test(idr_iterates_allocated_ids_in_order),
		cmocka_unit_test(idr_handles_many_ids),
		cmocka_unit_test(u64map_put_get_replace_remove),
		cmocka_unit_test(u64map_survives_collisions_and_removals),
		cmocka_unit_test(u64map_random_operations_match_a_reference),
	};

	return cmocka_run_group_tests_name("core/idr_u64map", tests, NULL,
					   NULL);
}
