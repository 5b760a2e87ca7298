// SPDX-License-Identifier: MIT
/*
 * The range allocator (src/mm/drm_mm.c), after the kernel's
 * drivers/gpu/drm/tests/drm_mm_test.c and the older selftests: init and
 * debug output, reserve, insert, replace, insert in a range, alignment
 * (powers of two up to 2^63 and odd values), eviction scans with and
 * without colours, LOW/HIGH placement, the ONCE flag, colour gaps, hole
 * bookkeeping after long random sequences, and the nodes in a range
 * (udrm_mm_for_each_node_in_range, checked against a linear walk, and its
 * O(log n) lookup). Every test ends by walking
 * the nodes and the holes and checking that they tile the range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm/drm_mm.h"

/* Fails unless @expr evaluates to @expected; @...: what was done. */
#define mm_expect(expr, expected, ...)                                         \
	do {                                                                   \
		long long mm_got_ = (long long)(expr);                         \
		long long mm_want_ = (long long)(expected);                    \
		if (mm_got_ != mm_want_) {                                     \
			char mm_what_[256];                                    \
			snprintf(mm_what_, sizeof(mm_what_), __VA_ARGS__);     \
			fail_msg("%s: expected %lld (%s), got %lld (%s)",      \
				 mm_what_, mm_want_,                           \
				 mm_want_ < 0 ? strerror((int)-mm_want_)       \
					      : "-",                           \
				 mm_got_,                                      \
				 mm_got_ < 0 ? strerror((int)-mm_got_) : "-"); \
		}                                                              \
	} while (0)

#define mm_check(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_msg(__VA_ARGS__);                                 \
	} while (0)

typedef unsigned long long ull;

static uint32_t rng_next(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static void shuffle(unsigned int *order, unsigned int count, uint32_t *seed)
{
	for (unsigned int i = 0; i < count; i++)
		order[i] = i;
	for (unsigned int i = count; i > 1; i--) {
		unsigned int j = rng_next(seed) % i, t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

static struct udrm_mm_node *alloc_nodes(unsigned int count)
{
	struct udrm_mm_node *nodes = calloc(count, sizeof(*nodes));

	mm_check(nodes, "calloc of %u nodes failed", count);
	return nodes;
}

/*
 * Walks the nodes and the holes in address order and checks that they
 * alternate without overlap and cover exactly [start, end), that each
 * node's hole_follows agrees with the hole walk, and returns the number
 * of holes.
 */
static unsigned int check_mm_consistent(const struct udrm_mm *mm,
					uint64_t start, uint64_t end)
{
	struct udrm_mm_node *node, *hole;
	uint64_t expect = start, hs, he, free_space = 0, used = 0;
	unsigned int holes = 0, nodes = 0;

	hole = udrm_mm_first_hole(mm);
	if (hole && udrm_mm_hole_node_start(hole) == start) {
		expect = udrm_mm_hole_node_end(hole);
		free_space += expect - start;
		holes++;
		hole = udrm_mm_next_hole(hole);
	}
	udrm_mm_for_each_node(node, mm)
	{
		mm_check(node->start == expect,
			 "node %u at %#llx, expected it at %#llx (after the "
			 "previous node or hole)",
			 nodes, (ull)node->start, (ull)expect);
		mm_check(udrm_mm_node_allocated(node),
			 "node at %#llx on the list but not allocated",
			 (ull)node->start);
		expect = node->start + node->size;
		used += node->size;
		nodes++;
		if (udrm_mm_hole_follows(node)) {
			mm_check(hole == node,
				 "node at %#llx says a hole follows, the hole "
				 "walk has %#llx next",
				 (ull)node->start,
				 hole ? (ull)udrm_mm_hole_node_start(hole) : 0);
			hs = udrm_mm_hole_node_start(hole);
			he = udrm_mm_hole_node_end(hole);
			mm_check(hs == expect && he > hs,
				 "hole [%#llx, %#llx) after node ending at "
				 "%#llx",
				 (ull)hs, (ull)he, (ull)expect);
			free_space += he - hs;
			expect = he;
			holes++;
			hole = udrm_mm_next_hole(hole);
		} else {
			mm_check(hole != node,
				 "hole walk lists node at %#llx that says no "
				 "hole follows",
				 (ull)node->start);
		}
	}
	mm_check(!hole, "hole walk has holes left after the last node");
	mm_check(expect == end, "nodes and holes end at %#llx, expected %#llx",
		 (ull)expect, (ull)end);
	mm_check(used + free_space == end - start,
		 "used %llu + free %llu != range %llu", (ull)used,
		 (ull)free_space, (ull)(end - start));
	mm_check(udrm_mm_clean(mm) == (nodes == 0),
		 "udrm_mm_clean() disagrees with %u nodes", nodes);
	return holes;
}

static void remove_all(struct udrm_mm *mm)
{
	struct udrm_mm_node *node, *next;

	udrm_mm_for_each_node_safe(node, next, mm)
	{
		udrm_mm_remove_node(node);
	}
}

/* ---- init and debug ---- */

static void init_makes_one_hole_covering_the_range(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node node = {0};

	mm_expect(udrm_mm_init(&mm, 0, 0), -EINVAL, "init with size 0");
	mm_expect(udrm_mm_init(&mm, 2, UINT64_MAX), -EINVAL,
		  "init of a range past 2^64");
	mm_expect(udrm_mm_init(&mm, 0, 4096), 0, "init [0, 4096)");
	mm_check(udrm_mm_initialized(&mm), "initialized mm not initialized");
	mm_check(udrm_mm_clean(&mm), "new mm not clean");
	mm_expect(check_mm_consistent(&mm, 0, 4096), 1, "holes of a new mm");

	mm_expect(udrm_mm_insert_node(&mm, &node, 4096), 0,
		  "insert filling the mm");
	mm_check(!udrm_mm_clean(&mm), "mm with a node reported clean");
	mm_expect(check_mm_consistent(&mm, 0, 4096), 0, "holes of a full mm");
	mm_expect(udrm_mm_takedown(&mm), -EBUSY, "takedown with a node left");
	udrm_mm_remove_node(&node);
	mm_check(!udrm_mm_node_allocated(&node), "removed node allocated");
	mm_expect(check_mm_consistent(&mm, 0, 4096), 1, "holes after removal");
	mm_expect(udrm_mm_takedown(&mm), 0, "takedown of an empty mm");
	mm_check(!udrm_mm_initialized(&mm), "mm still initialized");
}

static void debug_print_lists_used_and_free_ranges(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node nodes[2] = {0};
	char buf[1024] = {0};
	FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");

	mm_check(out, "fmemopen failed");
	udrm_mm_init(&mm, 0, 4096);
	nodes[0].start = 0;
	nodes[0].size = 512;
	nodes[1].start = 1024;
	nodes[1].size = 1024;
	mm_expect(udrm_mm_reserve_node(&mm, &nodes[0]), 0, "reserve [0,512)");
	mm_expect(udrm_mm_reserve_node(&mm, &nodes[1]), 0,
		  "reserve [1024,2048)");
	udrm_mm_print(&mm, out);
	fclose(out);
	mm_check(
		strstr(buf, "0x0000000000000200-0x0000000000000400: 512: free"),
		"print lacks the free range [512, 1024):\n%s", buf);
	mm_check(strstr(buf,
			"0x0000000000000400-0x0000000000000800: 1024: used"),
		 "print lacks the used range [1024, 2048):\n%s", buf);
	mm_check(strstr(buf, "total: 4096, used 1536 free 2560"),
		 "print lacks the totals:\n%s", buf);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

/* ---- reserve ---- */

static void reserve_every_size_and_position_refusing_overlaps(void **state)
{
	const unsigned int count = 64;
	static const uint64_t sizes[] = {1, 2, 3, 7, 8, 4096, 65537};
	uint32_t seed = 0x1234;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t size = sizes[s], end = count * size;
		struct udrm_mm_node *nodes = alloc_nodes(count);
		struct udrm_mm_node tmp = {0};
		unsigned int order[64];
		struct udrm_mm mm;

		udrm_mm_init(&mm, 0, end);
		shuffle(order, count, &seed);
		for (unsigned int i = 0; i < count; i++) {
			struct udrm_mm_node *n = &nodes[order[i]];

			n->start = order[i] * size;
			n->size = size;
			mm_expect(udrm_mm_reserve_node(&mm, n), 0,
				  "reserve [%#llx, +%llu)", (ull)n->start,
				  (ull)size);
			mm_check(n->start == order[i] * size && n->size == size,
				 "reserve moved the node");
		}
		check_mm_consistent(&mm, 0, end);

		/* Every overlapping or outside range is refused. */
		for (unsigned int i = 0; i < count; i++) {
			tmp = (struct udrm_mm_node){.start = i * size,
						    .size = size};
			mm_expect(udrm_mm_reserve_node(&mm, &tmp), -ENOSPC,
				  "reserve over node %u (size %llu)", i,
				  (ull)size);
			if (size > 1) {
				tmp = (struct udrm_mm_node){.start = i * size +
								     size / 2,
							    .size = size};
				mm_expect(udrm_mm_reserve_node(&mm, &tmp),
					  -ENOSPC, "reserve straddling %u", i);
			}
		}
		tmp = (struct udrm_mm_node){.start = end, .size = 1};
		mm_expect(udrm_mm_reserve_node(&mm, &tmp), -ENOSPC,
			  "reserve past the end");
		tmp = (struct udrm_mm_node){.start = 0, .size = 0};
		mm_expect(udrm_mm_reserve_node(&mm, &tmp), -ENOSPC,
			  "reserve of size 0");
		tmp = (struct udrm_mm_node){.start = UINT64_MAX, .size = 2};
		mm_expect(udrm_mm_reserve_node(&mm, &tmp), -ENOSPC,
			  "reserve wrapping past 2^64");

		/* Free them in another order and reserve them again. */
		shuffle(order, count, &seed);
		for (unsigned int i = 0; i < count / 2; i++)
			udrm_mm_remove_node(&nodes[order[i]]);
		check_mm_consistent(&mm, 0, end);
		for (unsigned int i = 0; i < count / 2; i++)
			mm_expect(udrm_mm_reserve_node(&mm, &nodes[order[i]]),
				  0, "re-reserve node %u", order[i]);
		mm_expect(check_mm_consistent(&mm, 0, end), 0,
			  "holes of a fully reserved mm");
		remove_all(&mm);
		mm_expect(udrm_mm_takedown(&mm), 0, "takedown");
		free(nodes);
	}
}

static void reserve_rejects_an_allocated_node(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node node = {.start = 0, .size = 8};

	udrm_mm_init(&mm, 0, 64);
	mm_expect(udrm_mm_reserve_node(&mm, &node), 0, "reserve");
	node.start = 16;
	mm_expect(udrm_mm_reserve_node(&mm, &node), -EINVAL,
		  "reserve of an allocated node");
	mm_expect(udrm_mm_insert_node(&mm, &node, 8), -EINVAL,
		  "insert of an allocated node");
	node.start = 0;
	udrm_mm_remove_node(&node);
	udrm_mm_takedown(&mm);
}

/* ---- insert ---- */

static void insert_every_size_fills_the_mm_exactly(void **state)
{
	const unsigned int count = 128;
	static const uint64_t sizes[] = {1, 2, 3, 5, 8, 13, 4096, 4099};
	uint32_t seed = 42;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t size = sizes[s], end = count * size;
		struct udrm_mm_node *nodes = alloc_nodes(count);
		struct udrm_mm_node extra = {0};
		unsigned int order[128];
		struct udrm_mm mm;

		udrm_mm_init(&mm, 0, end);
		for (unsigned int i = 0; i < count; i++) {
			mm_expect(udrm_mm_insert_node(&mm, &nodes[i], size), 0,
				  "insert %u of size %llu", i, (ull)size);
			mm_check(nodes[i].size == size && nodes[i].start < end,
				 "node %u at %#llx size %llu", i,
				 (ull)nodes[i].start, (ull)nodes[i].size);
		}
		mm_expect(check_mm_consistent(&mm, 0, end), 0,
			  "holes when full");
		mm_expect(udrm_mm_insert_node(&mm, &extra, size), -ENOSPC,
			  "insert into a full mm");
		mm_expect(udrm_mm_insert_node(&mm, &extra, 0), -ENOSPC,
			  "insert of size 0");

		/* A freed slot is found again, whichever it is. */
		shuffle(order, count, &seed);
		for (unsigned int i = 0; i < count; i++) {
			struct udrm_mm_node *n = &nodes[order[i]];
			uint64_t was = n->start;

			udrm_mm_remove_node(n);
			mm_expect(udrm_mm_insert_node(&mm, n, size), 0,
				  "reinsert after removal");
			mm_check(n->start == was,
				 "reinserted at %#llx, the only hole is %#llx",
				 (ull)n->start, (ull)was);
		}
		/* Remove half, reinsert them ascending and descending. */
		for (unsigned int pass = 0; pass < 2; pass++) {
			for (unsigned int i = 0; i < count; i += 2)
				udrm_mm_remove_node(&nodes[i]);
			check_mm_consistent(&mm, 0, end);
			for (unsigned int k = 0; k < count / 2; k++) {
				unsigned int i =
					pass ? count - 2 - 2 * k : 2 * k;

				mm_expect(udrm_mm_insert_node(&mm, &nodes[i],
							      size),
					  0, "reinsert %u (pass %u)", i, pass);
			}
			mm_expect(check_mm_consistent(&mm, 0, end), 0,
				  "holes after refill");
		}
		remove_all(&mm);
		mm_expect(check_mm_consistent(&mm, 0, end), 1, "holes emptied");
		udrm_mm_takedown(&mm);
		free(nodes);
	}
}

static void replace_moves_the_range_to_the_new_node(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node a = {0}, b = {0}, c = {0};

	udrm_mm_init(&mm, 0, 1024);
	mm_expect(udrm_mm_insert_node_generic(&mm, &a, 100, 0, 7,
					      UDRM_MM_INSERT_LOW),
		  0, "insert a");
	mm_expect(udrm_mm_insert_node_generic(&mm, &c, 100, 0, 0,
					      UDRM_MM_INSERT_HIGH),
		  0, "insert c");
	udrm_mm_replace_node(&a, &b);
	mm_check(!udrm_mm_node_allocated(&a), "replaced node still allocated");
	mm_check(udrm_mm_node_allocated(&b), "replacement not allocated");
	mm_check(
		b.start == 0 && b.size == 100 && b.color == 7,
		"replacement at %#llx+%llu colour %lu, expected 0+100 colour 7",
		(ull)b.start, (ull)b.size, b.color);
	mm_check(udrm_mm_first_node(&mm) == &b, "first node is not b");
	mm_expect(check_mm_consistent(&mm, 0, 1024), 1, "holes after replace");
	udrm_mm_remove_node(&b);
	mm_expect(check_mm_consistent(&mm, 0, 1024), 1,
		  "holes after removing the replacement");
	udrm_mm_remove_node(&c);
	udrm_mm_takedown(&mm);
}

/* ---- insert in range ---- */

static void insert_range_places_nodes_only_inside_the_range(void **state)
{
	const unsigned int count = 64;
	const uint64_t size = 4096, end = count * size;
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH,
		UDRM_MM_INSERT_EVICT};
	static const struct {
		uint64_t start, end;
	} ranges[] = {{0, 64 * 4096},	      {0, 4096},
		      {63 * 4096, 64 * 4096}, {4096, 9 * 4096},
		      {100, 10 * 4096},	      {5000, 5000 + 4096},
		      {0, 64 * 4096 - 1}};

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]);
		     r++) {
			uint64_t rs = ranges[r].start, re = ranges[r].end;
			uint64_t first = (rs + size - 1) / size;
			uint64_t expect = re / size - first;
			struct udrm_mm_node *nodes = alloc_nodes(count + 1);
			struct udrm_mm mm;
			unsigned int n = 0;

			udrm_mm_init(&mm, 0, end);
			/* Fill in the range at size alignment. */
			while (udrm_mm_insert_node_in_range(
				       &mm, &nodes[n], size, size, 0, rs, re,
				       modes[m]) == 0) {
				mm_check(
					nodes[n].start >= rs &&
						nodes[n].start + size <= re,
					"mode %zu: node [%#llx, +%llu) outside "
					"[%#llx, %#llx)",
					m, (ull)nodes[n].start, (ull)size,
					(ull)rs, (ull)re);
				n++;
				mm_check(n <= count, "more nodes than fit");
			}
			mm_expect(n, expect,
				  "mode %zu: nodes that fit in [%#llx, %#llx)",
				  m, (ull)rs, (ull)re);
			check_mm_consistent(&mm, 0, end);
			remove_all(&mm);
			udrm_mm_takedown(&mm);
			free(nodes);
		}
	}
}

static void insert_range_rejects_bad_ranges(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node node = {0};

	udrm_mm_init(&mm, 4096, 4096);
	mm_expect(udrm_mm_insert_node_in_range(&mm, &node, 1, 0, 0, 10, 5,
					       UDRM_MM_INSERT_BEST),
		  -EINVAL, "inverted range");
	mm_expect(udrm_mm_insert_node_in_range(&mm, &node, 8, 0, 0, 10, 15,
					       UDRM_MM_INSERT_BEST),
		  -ENOSPC, "range smaller than the size");
	mm_expect(udrm_mm_insert_node_in_range(&mm, &node, 8, 0, 0, 0, 4096,
					       UDRM_MM_INSERT_LOW),
		  -ENOSPC, "range below the mm");
	mm_expect(udrm_mm_insert_node_in_range(&mm, &node, 8, 0, 0, 8192,
					       UINT64_MAX, UDRM_MM_INSERT_HIGH),
		  -ENOSPC, "range above the mm");
	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 8, 0, 0,
					      (enum udrm_mm_insert_mode)7),
		  -EINVAL, "unknown mode");
	mm_expect(udrm_mm_insert_node(&mm, &node, 4097), -ENOSPC,
		  "larger than the mm");
	mm_expect(check_mm_consistent(&mm, 4096, 8192), 1, "untouched mm");
	udrm_mm_takedown(&mm);
}

/* ---- alignment ---- */

static void align_to_every_power_of_two_up_to_2_63(void **state)
{
	struct udrm_mm_node nodes[64] = {{0}};
	struct udrm_mm mm;

	udrm_mm_init(&mm, 1, UINT64_MAX - 1);
	for (unsigned int bit = 1; bit < 64; bit++) {
		uint64_t align = 1ull << bit;

		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[bit], 1,
						      align, 0,
						      UDRM_MM_INSERT_LOW),
			  0, "insert aligned to 2^%u", bit);
		mm_check(nodes[bit].start % align == 0,
			 "start %#llx not aligned to 2^%u",
			 (ull)nodes[bit].start, bit);
	}
	check_mm_consistent(&mm, 1, UINT64_MAX);
	/* A second 2^63-aligned node has nowhere to go in [1, 2^64 - 1). */
	mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[0], 1, 1ull << 63, 0,
					      UDRM_MM_INSERT_BEST),
		  -ENOSPC, "second node aligned to 2^63");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

static void align_to_odd_values_in_every_mode(void **state)
{
	static const uint64_t aligns[] = {
		3, 5, 7, 12, 4095, 4097, 1000003, (1ull << 63) - 1};
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH,
		UDRM_MM_INSERT_EVICT};

	for (size_t m = 0; m < 4; m++) {
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]);
		     a++) {
			struct udrm_mm_node nodes[8] = {{0}};
			struct udrm_mm mm;

			udrm_mm_init(&mm, 0, UINT64_MAX);
			for (unsigned int i = 0; i < 2; i++) {
				mm_expect(udrm_mm_insert_node_generic(
						  &mm, &nodes[i], 1 + i * 3,
						  aligns[a], 0, modes[m]),
					  0,
					  "insert with alignment %llu mode %zu",
					  (ull)aligns[a], m);
				mm_check(nodes[i].start % aligns[a] == 0,
					 "start %#llx not a multiple of %llu",
					 (ull)nodes[i].start, (ull)aligns[a]);
			}
			check_mm_consistent(&mm, 0, UINT64_MAX);
			remove_all(&mm);
			udrm_mm_takedown(&mm);
		}
	}
}

static void align_skips_holes_the_alignment_does_not_fit(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node a = {.start = 10, .size = 1};
	struct udrm_mm_node b = {0};

	/* Holes [0,10) and [11,30): only [21,28) is 7-aligned with room. */
	udrm_mm_init(&mm, 0, 30);
	mm_expect(udrm_mm_reserve_node(&mm, &a), 0, "reserve [10,11)");
	mm_expect(udrm_mm_insert_node_in_range(&mm, &b, 7, 7, 0, 1, 30,
					       UDRM_MM_INSERT_LOW),
		  0, "7 bytes aligned to 7 from 1");
	mm_expect(b.start, 14, "start of the 7-aligned node");
	udrm_mm_remove_node(&b);
	mm_expect(udrm_mm_insert_node_in_range(&mm, &b, 7, 7, 0, 1, 30,
					       UDRM_MM_INSERT_HIGH),
		  0, "7 bytes aligned to 7 from the top");
	mm_expect(b.start, 21, "start of the 7-aligned node from the top");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

/* ---- LOW, HIGH and ONCE ---- */

/* Reserves every other block of @size in [0, count*size). */
static void make_comb(struct udrm_mm *mm, struct udrm_mm_node *nodes,
		      unsigned int count, uint64_t size)
{
	udrm_mm_init(mm, 0, count * size);
	for (unsigned int i = 0; i < count; i += 2) {
		nodes[i] =
			(struct udrm_mm_node){.start = i * size, .size = size};
		mm_expect(udrm_mm_reserve_node(mm, &nodes[i]), 0,
			  "reserve comb tooth %u", i);
	}
}

static void lowest_and_highest_fill_holes_in_address_order(void **state)
{
	const unsigned int count = 64;
	const uint64_t size = 8;
	struct udrm_mm_node nodes[64], extra = {0};
	struct udrm_mm mm;

	for (unsigned int high = 0; high < 2; high++) {
		make_comb(&mm, nodes, count, size);
		for (unsigned int k = 0; k < count / 2; k++) {
			unsigned int i = high ? count - 1 - 2 * k : 2 * k + 1;

			nodes[i] = (struct udrm_mm_node){0};
			mm_expect(udrm_mm_insert_node_generic(
					  &mm, &nodes[i], size, 0, 0,
					  high ? UDRM_MM_INSERT_HIGHEST
					       : UDRM_MM_INSERT_LOWEST),
				  0, "insert %s %u",
				  high ? "highest" : "lowest", k);
			mm_expect(nodes[i].start, i * size, "%s free slot",
				  high ? "highest" : "lowest");
		}
		mm_expect(udrm_mm_insert_node_generic(&mm, &extra, 1, 0, 0,
						      UDRM_MM_INSERT_LOWEST),
			  -ENOSPC, "insert into the filled comb");
		check_mm_consistent(&mm, 0, count * size);
		remove_all(&mm);
		udrm_mm_takedown(&mm);
	}
}

static void
topdown_places_each_node_at_the_top_of_the_highest_hole(void **state)
{
	const unsigned int count = 256;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 7;
	uint64_t top = 1 << 20;
	struct udrm_mm mm;

	udrm_mm_init(&mm, 0, 1 << 20);
	for (unsigned int i = 0; i < count; i++) {
		uint64_t size = 1 + rng_next(&seed) % 100;

		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[i], size, 0,
						      0, UDRM_MM_INSERT_HIGH),
			  0, "topdown insert %u", i);
		mm_expect(nodes[i].start + size, top,
			  "end of topdown node %u (the previous start)", i);
		top = nodes[i].start;
	}
	/* Free a few; the next topdown inserts take the highest of them. */
	for (unsigned int i = 10; i < count; i += 20)
		udrm_mm_remove_node(&nodes[i]);
	for (unsigned int i = 10; i < count; i += 20) {
		uint64_t end = nodes[i].start + nodes[i].size;

		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[i],
						      nodes[i].size, 0, 0,
						      UDRM_MM_INSERT_HIGH),
			  0, "topdown reinsert %u", i);
		mm_expect(nodes[i].start + nodes[i].size, end,
			  "reinserted node %u ends at its old end", i);
	}
	check_mm_consistent(&mm, 0, 1 << 20);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
}

static void
bottomup_places_each_node_at_the_bottom_of_the_lowest_hole(void **state)
{
	const unsigned int count = 256;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 9;
	uint64_t bottom = 0;
	struct udrm_mm mm;

	udrm_mm_init(&mm, 0, 1 << 20);
	for (unsigned int i = 0; i < count; i++) {
		uint64_t size = 1 + rng_next(&seed) % 100;

		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[i], size, 0,
						      0, UDRM_MM_INSERT_LOW),
			  0, "bottomup insert %u", i);
		mm_expect(nodes[i].start, bottom,
			  "start of bottomup node %u (the previous end)", i);
		bottom += size;
	}
	for (unsigned int i = count - 11; i > 0 && i < count; i -= 20)
		udrm_mm_remove_node(&nodes[i]);
	for (unsigned int i = 5; i < count; i += 20) {
		struct udrm_mm_node fresh = {0};
		uint64_t want =
			udrm_mm_hole_node_start(udrm_mm_first_hole(&mm));

		mm_expect(udrm_mm_insert_node_generic(&mm, &fresh, 1, 0, 0,
						      UDRM_MM_INSERT_LOW),
			  0, "bottomup insert of 1");
		mm_expect(fresh.start, want, "bottomup takes the lowest hole");
		udrm_mm_remove_node(&fresh);
	}
	check_mm_consistent(&mm, 0, 1 << 20);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
}

static void once_tries_only_the_first_hole(void **state)
{
	struct udrm_mm mm;
	struct udrm_mm_node lo = {.start = 1, .size = 1};
	struct udrm_mm_node hi = {.start = 5, .size = 1};
	struct udrm_mm_node node = {0};

	/* Holes [0,1), [2,5) and [6,16). */
	udrm_mm_init(&mm, 0, 16);
	udrm_mm_reserve_node(&mm, &lo);
	udrm_mm_reserve_node(&mm, &hi);

	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 2, 0, 0,
					      UDRM_MM_INSERT_LOWEST),
		  0, "lowest of size 2");
	mm_expect(node.start, 2, "lowest hole that fits size 2");
	udrm_mm_remove_node(&node);
	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 2, 0, 0,
					      UDRM_MM_INSERT_HIGHEST),
		  0, "highest of size 2");
	mm_expect(node.start, 14, "top of the highest hole");
	udrm_mm_remove_node(&node);

	/* The lowest hole of size 2 is [2,5); 8-alignment fails there. */
	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 2, 8, 0,
					      UDRM_MM_INSERT_LOWEST),
		  -ENOSPC, "lowest, once, aligned to 8");
	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 2, 8, 0,
					      UDRM_MM_INSERT_LOW),
		  0, "low, aligned to 8, may go on");
	mm_expect(node.start, 8, "next hole with an 8-aligned slot");
	udrm_mm_remove_node(&node);
	/* The highest hole [6,16) has no 32-aligned slot: once gives up. */
	mm_expect(udrm_mm_insert_node_generic(&mm, &node, 1, 3, 0,
					      UDRM_MM_INSERT_HIGHEST),
		  0, "highest aligned to 3");
	mm_expect(node.start, 15, "top 3-aligned slot");
	udrm_mm_remove_node(&node);
	mm_expect(udrm_mm_insert_node_in_range(&mm, &node, 1, 0, 0, 0, 5,
					       UDRM_MM_INSERT_HIGHEST),
		  0, "highest below 5");
	mm_expect(node.start, 4, "top of the highest hole below 5");
	udrm_mm_remove_node(&node);
	check_mm_consistent(&mm, 0, 16);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

/* ---- colour ---- */

static void separate_adjacent_colors(const struct udrm_mm_node *node,
				     unsigned long color, uint64_t *start,
				     uint64_t *end)
{
	if (udrm_mm_node_allocated(node) && node->color != color)
		++*start;
	node = udrm_mm_next_node(node);
	if (udrm_mm_node_allocated(node) && node->color != color)
		--*end;
}

static void colour_adjust_leaves_gaps_between_different_colours(void **state)
{
	const unsigned int count = 200;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	struct udrm_mm_node *node, *prev = NULL;
	struct udrm_mm_node tmp;
	uint32_t seed = 99;
	struct udrm_mm mm;

	udrm_mm_init(&mm, 0, 1 << 16);
	mm.color_adjust = separate_adjacent_colors;
	for (unsigned int i = 0; i < count; i++) {
		static const enum udrm_mm_insert_mode modes[] = {
			UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW,
			UDRM_MM_INSERT_HIGH, UDRM_MM_INSERT_EVICT};

		mm_expect(udrm_mm_insert_node_generic(
				  &mm, &nodes[i], 1 + rng_next(&seed) % 16,
				  1 + rng_next(&seed) % 5, rng_next(&seed) % 3,
				  modes[i % 4]),
			  0, "coloured insert %u", i);
		if (i % 3 == 0)
			udrm_mm_remove_node(&nodes[i]);
	}
	udrm_mm_for_each_node(node, &mm)
	{
		if (prev && prev->color != node->color)
			mm_check(node->start > prev->start + prev->size,
				 "colours %lu and %lu touch at %#llx",
				 prev->color, node->color, (ull)node->start);
		prev = node;
	}
	check_mm_consistent(&mm, 0, 1 << 16);

	/* Reserving right next to another colour is refused. */
	node = udrm_mm_first_node(&mm);
	tmp = (struct udrm_mm_node){.start = node->start + node->size,
				    .size = 1,
				    .color = node->color + 1};
	if (!udrm_mm_hole_follows(node))
		tmp.start = 0;
	mm_expect(udrm_mm_reserve_node(&mm, &tmp), -ENOSPC,
		  "reserve of colour %lu touching colour %lu", tmp.color,
		  node->color);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
}

/* ---- eviction ---- */

/*
 * Fills [0, count) with unit nodes, scans them in @order for @size at
 * @alignment, evicts what the roster says and returns how many it evicted,
 * checking the hole then takes an EVICT insert exactly.
 */
static unsigned int evict_for(struct udrm_mm *mm, struct udrm_mm_node *nodes,
			      const unsigned int *order, unsigned int count,
			      uint64_t size, uint64_t alignment,
			      uint64_t range_start, uint64_t range_end,
			      enum udrm_mm_insert_mode mode)
{
	unsigned int *added = calloc(count, sizeof(*added));
	unsigned int *evict = calloc(count, sizeof(*evict));
	unsigned int n = 0, evicted = 0;
	struct udrm_mm_scan scan;
	struct udrm_mm_node fresh = {0};
	bool found = false;

	mm_check(added && evict, "calloc failed");
	mm_expect(udrm_mm_scan_init_with_range(&scan, mm, size, alignment, 0,
					       range_start, range_end, mode),
		  0, "scan init");
	for (unsigned int i = 0; i < count && !found; i++) {
		added[n++] = order[i];
		found = udrm_mm_scan_add_block(&scan, &nodes[order[i]]);
	}
	mm_check(found, "no hole of %llu (align %llu) after scanning all",
		 (ull)size, (ull)alignment);
	mm_expect(udrm_mm_insert_node(mm, &fresh, 1), -EBUSY,
		  "insert during a scan");
	/* Unwind in reverse; evict after the roster is fully unwound. */
	for (unsigned int i = n; i-- > 0;) {
		if (udrm_mm_scan_remove_block(&scan, &nodes[added[i]]))
			evict[evicted++] = added[i];
		else
			mm_check(!udrm_mm_node_scanned(&nodes[added[i]]),
				 "node still scanned");
	}
	for (unsigned int i = 0; i < evicted; i++)
		udrm_mm_remove_node(&nodes[evict[i]]);
	check_mm_consistent(mm, 0, count);
	mm_expect(udrm_mm_insert_node_in_range(mm, &fresh, size, alignment, 0,
					       range_start, range_end,
					       UDRM_MM_INSERT_EVICT),
		  0, "insert into the evicted hole");
	mm_check(fresh.start >= scan.hit_start &&
			 fresh.start + size <= scan.hit_end,
		 "inserted at %#llx, the roster's hole is [%#llx, %#llx)",
		 (ull)fresh.start, (ull)scan.hit_start, (ull)scan.hit_end);
	mm_check(!alignment || fresh.start % alignment == 0,
		 "evicted hole misaligned");
	udrm_mm_remove_node(&fresh);
	for (unsigned int i = 0; i < evicted; i++)
		mm_expect(udrm_mm_reserve_node(mm, &nodes[evict[i]]), 0,
			  "put evicted node back");
	free(evict);
	free(added);
	return evicted;
}

static void fill_units(struct udrm_mm *mm, struct udrm_mm_node *nodes,
		       unsigned int count)
{
	udrm_mm_init(mm, 0, count);
	for (unsigned int i = 0; i < count; i++) {
		nodes[i] = (struct udrm_mm_node){.start = i, .size = 1};
		mm_expect(udrm_mm_reserve_node(mm, &nodes[i]), 0,
			  "reserve unit %u", i);
	}
}

static void evict_scan_restores_the_mm_when_nothing_is_evicted(void **state)
{
	const unsigned int count = 512;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	struct udrm_mm_scan scan;
	struct udrm_mm mm;
	unsigned int order[512];
	uint32_t seed = 5;

	fill_units(&mm, nodes, count);
	shuffle(order, count, &seed);
	mm_expect(udrm_mm_scan_init(&scan, &mm, count + 1, 0, 0,
				    UDRM_MM_INSERT_BEST),
		  0, "scan for more than the mm");
	for (unsigned int i = 0; i < count; i++)
		mm_check(!udrm_mm_scan_add_block(&scan, &nodes[order[i]]),
			 "scan found room for more than the mm");
	for (unsigned int i = count; i-- > 0;)
		mm_check(!udrm_mm_scan_remove_block(&scan, &nodes[order[i]]),
			 "a failed scan asks to evict node %u", order[i]);
	mm_expect(check_mm_consistent(&mm, 0, count), 0,
		  "holes after an unwound scan");
	mm_expect(udrm_mm_scan_init(&scan, &mm, 0, 0, 0, UDRM_MM_INSERT_BEST),
		  -EINVAL, "scan for size 0");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
}

static void evict_picks_a_minimal_set_for_every_size(void **state)
{
	const unsigned int count = 512;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH};
	unsigned int order[512];
	uint32_t seed = 11;
	struct udrm_mm mm;

	fill_units(&mm, nodes, count);
	for (size_t m = 0; m < 3; m++) {
		for (uint64_t size = 1; size <= count; size = size * 2 + 1) {
			/* In address order, nothing extra is ever scanned. */
			for (unsigned int i = 0; i < count; i++)
				order[i] = i;
			mm_expect(evict_for(&mm, nodes, order, count, size, 0,
					    0, count, modes[m]),
				  size, "evicted for %llu in order (mode %zu)",
				  (ull)size, m);
			shuffle(order, count, &seed);
			mm_expect(evict_for(&mm, nodes, order, count, size, 0,
					    0, count, modes[m]),
				  size, "evicted for %llu shuffled (mode %zu)",
				  (ull)size, m);
			if (size + 7 <= 200) {
				unsigned int got =
					evict_for(&mm, nodes, order, count,
						  size, 7, 100, 300, modes[m]);

				mm_expect(got, size,
					  "evicted for %llu aligned to 7 in "
					  "[100, 300)",
					  (ull)size);
			}
		}
	}
	mm_expect(check_mm_consistent(&mm, 0, count), 0, "holes after evicts");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
}

static void evict_with_colours_names_the_neighbour_to_evict(void **state)
{
	const unsigned int count = 64;
	struct udrm_mm_node nodes[64], fresh = {0}, *extra;
	unsigned int added[64], evict[64], n = 0, evicted = 0;
	struct udrm_mm_scan scan;
	struct udrm_mm mm;
	bool found = false;

	/* Units coloured 1, 2, 1, 2 ... scanned for colour 3. */
	udrm_mm_init(&mm, 0, count);
	for (unsigned int i = 0; i < count; i++) {
		nodes[i] = (struct udrm_mm_node){
			.start = i, .size = 1, .color = 1 + i % 2};
		mm_expect(udrm_mm_reserve_node(&mm, &nodes[i]), 0,
			  "reserve coloured unit %u", i);
	}
	/* Adjust only now: touching colours could not be reserved. */
	mm.color_adjust = separate_adjacent_colors;
	mm_expect(udrm_mm_scan_init(&scan, &mm, 4, 0, 3, UDRM_MM_INSERT_LOW), 0,
		  "coloured scan");
	for (unsigned int i = 10; i < count && !found; i++) {
		added[n++] = i;
		found = udrm_mm_scan_add_block(&scan, &nodes[i]);
	}
	mm_check(found, "coloured scan found no hole");
	/* [10, 16) freed: colour 3 needs a gap on both sides of 4. */
	mm_expect(n, 6, "nodes scanned to fit 4 between other colours");
	for (unsigned int i = n; i-- > 0;)
		if (udrm_mm_scan_remove_block(&scan, &nodes[added[i]]))
			evict[evicted++] = added[i];
	mm_expect(evicted, 4, "nodes overlapping the 4 found");
	for (unsigned int i = 0; i < evicted; i++)
		udrm_mm_remove_node(&nodes[evict[i]]);
	while ((extra = udrm_mm_scan_color_evict(&scan)))
		udrm_mm_remove_node(extra);
	mm_expect(udrm_mm_insert_node_generic(&mm, &fresh, 4, 0, 3,
					      UDRM_MM_INSERT_EVICT),
		  0, "coloured insert after eviction");
	mm_check(fresh.start >= scan.hit_start &&
			 fresh.start + 4 <= scan.hit_end,
		 "coloured node at %#llx, hole was [%#llx, %#llx)",
		 (ull)fresh.start, (ull)scan.hit_start, (ull)scan.hit_end);
	check_mm_consistent(&mm, 0, count);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

static void color_evict_names_a_scanned_neighbour_left_in_place(void **state)
{
	struct udrm_mm_node a = {.start = 0, .size = 4, .color = 1};
	struct udrm_mm_node b = {.start = 4, .size = 1, .color = 1};
	struct udrm_mm_node c = {.start = 5, .size = 5, .color = 1};
	struct udrm_mm_node d = {.start = 10, .size = 6, .color = 1};
	struct udrm_mm_node fresh = {0};
	struct udrm_mm_scan scan;
	struct udrm_mm mm;

	/*
	 * Scanning b then c for 4 of colour 2 finds [5, 9) inside [4, 10)
	 * (a gap after a and before d). Only c overlaps it; b stays, and
	 * then touches the hole with another colour: colour evict names b.
	 */
	udrm_mm_init(&mm, 0, 16);
	mm.color_adjust = separate_adjacent_colors;
	udrm_mm_reserve_node(&mm, &a);
	udrm_mm_reserve_node(&mm, &b);
	udrm_mm_reserve_node(&mm, &c);
	udrm_mm_reserve_node(&mm, &d);
	mm_expect(udrm_mm_scan_init(&scan, &mm, 4, 0, 2, UDRM_MM_INSERT_LOW), 0,
		  "scan init");
	mm_check(!udrm_mm_scan_add_block(&scan, &b),
		 "a hole for 4 after freeing only [4, 5)");
	mm_check(udrm_mm_scan_add_block(&scan, &c), "no hole after b and c");
	mm_check(scan.hit_start == 5 && scan.hit_end == 9,
		 "hit [%#llx, %#llx), expected [5, 9)", (ull)scan.hit_start,
		 (ull)scan.hit_end);
	mm_check(udrm_mm_scan_remove_block(&scan, &c), "c not to evict");
	mm_check(!udrm_mm_scan_remove_block(&scan, &b),
		 "b, outside [5, 9), to evict");
	udrm_mm_remove_node(&c);
	mm_check(udrm_mm_scan_color_evict(&scan) == &b,
		 "colour evict did not name b, which touches [5, 9)");
	udrm_mm_remove_node(&b);
	mm_check(udrm_mm_scan_color_evict(&scan) == NULL,
		 "colour evict asked for more though [5, 9) now fits");
	mm_expect(udrm_mm_insert_node_generic(&mm, &fresh, 4, 0, 2,
					      UDRM_MM_INSERT_EVICT),
		  0, "insert after colour eviction");
	mm_expect(fresh.start, 5, "start of the coloured node");
	check_mm_consistent(&mm, 0, 16);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
}

/* ---- consistency and cost ---- */

static void random_inserts_and_removes_keep_holes_consistent(void **state)
{
	const unsigned int count = 2000, rounds = 40000;
	const uint64_t end = 1 << 22;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 0xdecafbad;
	struct udrm_mm mm;

	udrm_mm_init(&mm, 0, end);
	mm.color_adjust = separate_adjacent_colors;
	for (unsigned int r = 0; r < rounds; r++) {
		struct udrm_mm_node *n = &nodes[rng_next(&seed) % count];
		uint32_t op = rng_next(&seed);

		if (udrm_mm_node_allocated(n)) {
			udrm_mm_remove_node(n);
		} else if (op % 4 == 0) {
			*n = (struct udrm_mm_node){
				.start = rng_next(&seed) % end,
				.size = 1 + rng_next(&seed) % 4096,
				.color = op % 3};
			int ret = udrm_mm_reserve_node(&mm, n);

			mm_check(ret == 0 || ret == -ENOSPC || ret == -EINVAL,
				 "reserve returned %d", ret);
		} else {
			uint64_t rs = rng_next(&seed) % end;
			uint64_t re = rs + rng_next(&seed) % end;
			int ret = udrm_mm_insert_node_in_range(
				&mm, n, 1 + rng_next(&seed) % 8192,
				rng_next(&seed) % 3 ? 0 : 1 + op % 4096, op % 3,
				rs, re > end ? end : re,
				(enum udrm_mm_insert_mode)((op >> 8) % 4) |
					(op & 0x10000 ? UDRM_MM_INSERT_ONCE
						      : 0));

			mm_check(ret == 0 || ret == -ENOSPC,
				 "insert returned %d", ret);
			if (!ret)
				mm_check(n->start >= rs &&
						 n->start + n->size <=
							 (re > end ? end : re),
					 "node outside its range");
		}
		if (r % 997 == 0)
			check_mm_consistent(&mm, 0, end);
	}
	check_mm_consistent(&mm, 0, end);
	remove_all(&mm);
	mm_expect(check_mm_consistent(&mm, 0, end), 1, "holes when emptied");
	udrm_mm_takedown(&mm);
	free(nodes);
}

/*
 * With n holes that do not fit (a comb of 1-unit holes), inserts of size 2
 * in each mode cost tree steps that grow with log n: 1000 inserts next to
 * 100000 useless holes must cost less than four times what they cost next
 * to 1000 (a linear walk would cost a hundred times more).
 */
static uint64_t steps_for_inserts_beside(unsigned int teeth,
					 enum udrm_mm_insert_mode mode)
{
	const unsigned int inserts = 1000;
	struct udrm_mm_node *nodes = alloc_nodes(teeth + inserts);
	struct udrm_mm mm;
	uint64_t before, steps;

	udrm_mm_init(&mm, 0, 2ull * teeth + 4ull * inserts);
	for (unsigned int i = 0; i < teeth; i++) {
		nodes[i] = (struct udrm_mm_node){.start = 2ull * i, .size = 1};
		mm_expect(udrm_mm_reserve_node(&mm, &nodes[i]), 0,
			  "reserve tooth %u", i);
	}
	before = udrm_mm_debug_tree_steps(&mm);
	for (unsigned int i = teeth; i < teeth + inserts; i++)
		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[i], 2, 0, 0,
						      mode),
			  0, "insert %u beside %u holes", i, teeth);
	steps = udrm_mm_debug_tree_steps(&mm) - before;
	mm_expect(check_mm_consistent(&mm, 0, 2ull * teeth + 4ull * inserts),
		  teeth,
		  "holes beside the comb (the last tooth's joins the tail)");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
	return steps;
}

static void insert_cost_grows_logarithmically_with_holes(void **state)
{
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH};

	for (size_t m = 0; m < 3; m++) {
		uint64_t small = steps_for_inserts_beside(1000, modes[m]);
		uint64_t large = steps_for_inserts_beside(100000, modes[m]);

		mm_check(large < 4 * small,
			 "mode %zu: 1000 inserts cost %llu tree steps beside "
			 "100000 holes, %llu beside 1000: expected less than "
			 "4x (logarithmic)",
			 m, (ull)large, (ull)small);
	}
}

/*
 * In a packed manager (no holes), removing a random node and inserting one
 * into the hole it left touches no long tree path: the node tree links the
 * new node beside its list neighbours instead of descending, and the hole
 * trees hold one hole. The steps per cycle must not grow with n (at most
 * 1.5x from 1000 to 100000 nodes) and stay below a descent of the 100000
 * (17 levels at least).
 */
static uint64_t steps_per_100_cycles_packed(unsigned int count)
{
	const unsigned int cycles = 20000;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 0x5eed1234;
	struct udrm_mm mm;
	uint64_t before, steps;

	udrm_mm_init(&mm, 0, 4096ull * count);
	for (unsigned int i = 0; i < count; i++)
		mm_expect(udrm_mm_insert_node(&mm, &nodes[i], 4096), 0,
			  "fill %u of %u", i, count);
	before = udrm_mm_debug_tree_steps(&mm);
	for (unsigned int c = 0; c < cycles; c++) {
		struct udrm_mm_node *node = &nodes[rng_next(&seed) % count];
		uint64_t start = node->start;

		udrm_mm_remove_node(node);
		mm_expect(udrm_mm_insert_node(&mm, node, 4096), 0,
			  "reinsert %u among %u", c, count);
		mm_check(node->start == start,
			 "cycle %u: the only hole was at %#llx, node went to "
			 "%#llx",
			 c, (ull)start, (ull)node->start);
	}
	steps = (udrm_mm_debug_tree_steps(&mm) - before) * 100 / cycles;
	mm_expect(check_mm_consistent(&mm, 0, 4096ull * count), 0,
		  "holes after the cycles");
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
	return steps;
}

static void packed_remove_insert_cost_does_not_grow_with_n(void **state)
{
	uint64_t small = steps_per_100_cycles_packed(1000);
	uint64_t large = steps_per_100_cycles_packed(100000);

	(void)state;
	mm_check(2 * large <= 3 * small,
		 "remove+insert costs %llu tree steps per 100 cycles among "
		 "100000 packed nodes, %llu among 1000: expected at most "
		 "1.5x (no descent)",
		 (ull)large, (ull)small);
	mm_check(large < 1700,
		 "remove+insert costs %llu tree steps per 100 cycles among "
		 "100000 packed nodes: a descent of the node tree each time",
		 (ull)large);
}

/* ---- alignment larger than the holes ---- */

/*
 * Fits @size aligned to @align into [hs, he) ∩ [rs, re) at the bottom, or
 * at the top for @high, as the kernel does; written out independently of
 * the allocator, for small values.
 */
static bool expect_aligned_fit(uint64_t hs, uint64_t he, uint64_t rs,
			       uint64_t re, uint64_t size, uint64_t align,
			       bool high, uint64_t *out)
{
	uint64_t lo = hs > rs ? hs : rs, hi = he < re ? he : re, at;

	if (hi <= lo || hi - lo < size)
		return false;
	if (high) {
		at = (hi - size) / align * align;
		if (at < lo)
			return false;
	} else {
		at = (lo + align - 1) / align * align;
		if (at + size > hi)
			return false;
	}
	*out = at;
	return true;
}

/*
 * Where an aligned insert must go, by a walk over every hole: the lowest
 * hole that fits (LOW), the highest (HIGH) or the smallest, the lowest
 * among equals (BEST); -1 if none.
 */
static int64_t expected_aligned_start(struct udrm_mm *mm, uint64_t size,
				      uint64_t align, unsigned long color,
				      uint64_t rs, uint64_t re,
				      enum udrm_mm_insert_mode mode)
{
	struct udrm_mm_node *hole;
	uint64_t hs, he, at, best_size = UINT64_MAX;
	int64_t found = -1;

	udrm_mm_for_each_hole(hole, mm, hs, he)
	{
		uint64_t raw = he - hs;

		if (mm->color_adjust)
			mm->color_adjust(hole, color, &hs, &he);
		if (!expect_aligned_fit(hs, he, rs, re, size, align,
					mode == UDRM_MM_INSERT_HIGH, &at))
			continue;
		if (mode == UDRM_MM_INSERT_LOW)
			return (int64_t)at;
		if (mode == UDRM_MM_INSERT_HIGH ||
		    (mode == UDRM_MM_INSERT_BEST && raw < best_size)) {
			found = (int64_t)at;
			best_size = raw;
		}
	}
	return found;
}

/*
 * Aligned inserts (powers of two and not, in ranges, with and without
 * colours) land exactly where a walk over every hole says, in every mode,
 * through random reserves, inserts and removals.
 */
static void aligned_inserts_match_a_walk_over_every_hole(void **state)
{
	static const uint64_t aligns[] = {2,  3,  4,   5,   7,	  8,   16,
					  24, 64, 100, 128, 1000, 4096};
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH};
	const unsigned int count = 600, ops = 6000;
	const uint64_t end = 1u << 16;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 0xa11a11;
	struct udrm_mm mm;

	(void)state;
	for (unsigned int coloured = 0; coloured < 2; coloured++) {
		udrm_mm_init(&mm, 0, end);
		if (coloured)
			mm.color_adjust = separate_adjacent_colors;
		/* Scattered small nodes: many holes, most unaligned. */
		for (unsigned int i = 0; i < count / 2; i++) {
			nodes[i] = (struct udrm_mm_node){
				.start = rng_next(&seed) % end,
				.size = 1 + rng_next(&seed) % 40,
				.color = rng_next(&seed) % 2,
			};
			if (udrm_mm_reserve_node(&mm, &nodes[i]))
				nodes[i] = (struct udrm_mm_node){0};
		}
		for (unsigned int op = 0; op < ops; op++) {
			struct udrm_mm_node *node =
				&nodes[rng_next(&seed) % count];
			uint64_t size = 1 + rng_next(&seed) % 48;
			uint64_t align = aligns[rng_next(&seed) % 13];
			enum udrm_mm_insert_mode mode =
				modes[rng_next(&seed) % 3];
			unsigned long color = rng_next(&seed) % 2;
			uint64_t rs = 0, re = end;
			int64_t want;
			int ret;

			if (udrm_mm_node_allocated(node)) {
				udrm_mm_remove_node(node);
				continue;
			}
			if (op % 3 == 0) {
				rs = rng_next(&seed) % end;
				re = rs + rng_next(&seed) % (end - rs + 1);
			}
			want = expected_aligned_start(&mm, size, align, color,
						      rs, re, mode);
			ret = udrm_mm_insert_node_in_range(
				&mm, node, size, align, color, rs, re, mode);
			mm_expect(ret, want < 0 ? -ENOSPC : 0,
				  "op %u: mode %d, size %llu, alignment %llu, "
				  "range [%llu, %llu), colour %lu",
				  op, (int)mode, (ull)size, (ull)align, (ull)rs,
				  (ull)re, color);
			if (!ret)
				mm_expect(node->start, want,
					  "op %u: start (mode %d, size %llu, "
					  "alignment %llu, range [%llu, %llu))",
					  op, (int)mode, (ull)size, (ull)align,
					  (ull)rs, (ull)re);
		}
		check_mm_consistent(&mm, 0, end);
		remove_all(&mm);
		udrm_mm_takedown(&mm);
	}
	free(nodes);
}

/*
 * A comb of @teeth 1-unit nodes at the bottom and at the top of [0, @top),
 * holes of 2 between the teeth, one large hole in the middle; then one
 * insert of 2 aligned to @align (top / 2): only @align, in the middle,
 * has room. Returns the tree steps of that insert.
 */
static uint64_t steps_for_aligned_insert_beside(unsigned int teeth,
						uint64_t top, uint64_t align,
						enum udrm_mm_insert_mode mode)
{
	struct udrm_mm_node *nodes = alloc_nodes(2 * teeth + 1);
	struct udrm_mm_node *node = &nodes[2 * teeth];
	struct udrm_mm mm;
	uint64_t before, steps;

	udrm_mm_init(&mm, 0, top);
	for (unsigned int i = 0; i < teeth; i++) {
		nodes[i] = (struct udrm_mm_node){.start = 3ull * i, .size = 1};
		nodes[teeth + i] = (struct udrm_mm_node){
			.start = top - 1 - 3ull * i, .size = 1};
		mm_expect(udrm_mm_reserve_node(&mm, &nodes[i]), 0,
			  "reserve bottom tooth %u", i);
		mm_expect(udrm_mm_reserve_node(&mm, &nodes[teeth + i]), 0,
			  "reserve top tooth %u", i);
	}
	before = udrm_mm_debug_tree_steps(&mm);
	mm_expect(udrm_mm_insert_node_generic(&mm, node, 2, align, 0, mode), 0,
		  "insert aligned to %#llx in mode %d beside %u teeth",
		  (ull)align, (int)mode, teeth);
	steps = udrm_mm_debug_tree_steps(&mm) - before;
	mm_expect(node->start, align, "start aligned to %#llx in mode %d",
		  (ull)align, (int)mode);
	check_mm_consistent(&mm, 0, top);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
	return steps;
}

/*
 * With a huge alignment, BEST, LOW and HIGH skip the holes that are big
 * enough but hold no aligned start, instead of trying each (the kernel
 * tries each): the cost of the insert beside 2 x 100000 such holes is at
 * most twice that beside 2 x 1000 (a walk would be 100 times), for
 * alignments of 2^39 (in 2^40) and 2^63 (in 2^64 - 1).
 */
static void huge_alignment_skips_holes_without_an_aligned_start(void **state)
{
	static const enum udrm_mm_insert_mode modes[] = {
		UDRM_MM_INSERT_BEST, UDRM_MM_INSERT_LOW, UDRM_MM_INSERT_HIGH};
	static const uint64_t tops[] = {1ull << 40, UINT64_MAX};
	static const uint64_t aligns[] = {1ull << 39, 1ull << 63};

	(void)state;
	for (size_t a = 0; a < 2; a++) {
		uint64_t align = aligns[a];

		for (size_t m = 0; m < 3; m++) {
			uint64_t small = steps_for_aligned_insert_beside(
				1000, tops[a], align, modes[m]);
			uint64_t large = steps_for_aligned_insert_beside(
				100000, tops[a], align, modes[m]);

			mm_check(large <= 2 * small,
				 "alignment %#llx, mode %d: the insert costs "
				 "%llu tree steps beside 2x100000 unaligned "
				 "holes, %llu beside 2x1000: expected at most "
				 "2x (they are skipped, not walked)",
				 (ull)align, (int)modes[m], (ull)large,
				 (ull)small);
		}
	}
}

/* ---- nodes in a range ---- */

/*
 * Checks that udrm_mm_for_each_node_in_range(@start, @end) visits exactly
 * @count nodes, @want[0..count), in that order, and that
 * udrm_mm_interval_first(@start, @end - 1) agrees with its first.
 */
static void check_in_range(const struct udrm_mm *mm, uint64_t start,
			   uint64_t end, struct udrm_mm_node *const *want,
			   unsigned int count)
{
	struct udrm_mm_node *node;
	unsigned int seen = 0;

	udrm_mm_for_each_node_in_range(node, mm, start, end)
	{
		mm_check(seen < count,
			 "[%#llx, %#llx): node at %#llx+%llu beyond the %u "
			 "expected",
			 (ull)start, (ull)end, (ull)node->start,
			 (ull)node->size, count);
		mm_check(node == want[seen],
			 "[%#llx, %#llx): node %u is at %#llx+%llu, expected "
			 "%#llx+%llu",
			 (ull)start, (ull)end, seen, (ull)node->start,
			 (ull)node->size, (ull)want[seen]->start,
			 (ull)want[seen]->size);
		seen++;
	}
	mm_check(seen == count, "[%#llx, %#llx): %u nodes, expected %u",
		 (ull)start, (ull)end, seen, count);
	if (start < end)
		mm_check(udrm_mm_interval_first(mm, start, end - 1) ==
				 (count ? want[0] : NULL),
			 "interval_first(%#llx, %#llx) disagrees", (ull)start,
			 (ull)(end - 1));
}

#define CHECK_IN_RANGE(mm, start, end, ...)                                    \
	do {                                                                   \
		struct udrm_mm_node *want_[] = {NULL, __VA_ARGS__};            \
		check_in_range((mm), (start), (end), want_ + 1,                \
			       sizeof(want_) / sizeof(want_[0]) - 1);          \
	} while (0)

static void in_range_on_an_empty_mm_finds_nothing(void **state)
{
	struct udrm_mm mm;

	(void)state;
	udrm_mm_init(&mm, 4096, 1 << 20);
	CHECK_IN_RANGE(&mm, 0, UINT64_MAX);
	CHECK_IN_RANGE(&mm, 4096, 4096 + (1 << 20));
	CHECK_IN_RANGE(&mm, 0, 0);
	mm_check(!udrm_mm_interval_first(&mm, 0, UINT64_MAX),
		 "interval_first over everything on an empty mm");
	udrm_mm_takedown(&mm);
}

static void in_range_finds_nodes_at_and_over_their_boundaries(void **state)
{
	struct udrm_mm_node a = {.start = 1100, .size = 100},
			    b = {.start = 1200, .size = 100},
			    c = {.start = 1400, .size = 100},
			    d = {.start = 1990, .size = 10};
	struct udrm_mm mm;

	(void)state;
	udrm_mm_init(&mm, 1000, 1000);
	mm_expect(udrm_mm_reserve_node(&mm, &a), 0, "reserve a");
	mm_expect(udrm_mm_reserve_node(&mm, &b), 0, "reserve b");
	mm_expect(udrm_mm_reserve_node(&mm, &c), 0, "reserve c");
	mm_expect(udrm_mm_reserve_node(&mm, &d), 0, "reserve d");

	/* Empty ranges, wherever they are. */
	CHECK_IN_RANGE(&mm, 0, 0);
	CHECK_IN_RANGE(&mm, 1100, 1100);
	CHECK_IN_RANGE(&mm, 1150, 1150);
	CHECK_IN_RANGE(&mm, 1200, 1200);
	CHECK_IN_RANGE(&mm, 1300, 1100);
	mm_check(!udrm_mm_interval_first(&mm, 1150, 1149),
		 "interval_first with last < start");
	/* Before the manager, in the leading hole, up to a node's start. */
	CHECK_IN_RANGE(&mm, 0, 1000);
	CHECK_IN_RANGE(&mm, 0, 1100);
	CHECK_IN_RANGE(&mm, 1000, 1100);
	CHECK_IN_RANGE(&mm, 1099, 1100);
	/* A node's first and last byte. */
	CHECK_IN_RANGE(&mm, 0, 1101, &a);
	CHECK_IN_RANGE(&mm, 1099, 1101, &a);
	CHECK_IN_RANGE(&mm, 1100, 1101, &a);
	CHECK_IN_RANGE(&mm, 1199, 1200, &a);
	CHECK_IN_RANGE(&mm, 1100, 1200, &a);
	CHECK_IN_RANGE(&mm, 1150, 1160, &a);
	/* Over the boundary of two adjacent nodes. */
	CHECK_IN_RANGE(&mm, 1199, 1201, &a, &b);
	CHECK_IN_RANGE(&mm, 1200, 1201, &b);
	CHECK_IN_RANGE(&mm, 1100, 1300, &a, &b);
	/* In the hole after b, and over it. */
	CHECK_IN_RANGE(&mm, 1300, 1400);
	CHECK_IN_RANGE(&mm, 1350, 1360);
	CHECK_IN_RANGE(&mm, 1299, 1400, &b);
	CHECK_IN_RANGE(&mm, 1300, 1401, &c);
	CHECK_IN_RANGE(&mm, 1250, 1450, &b, &c);
	/* The last node, at the manager's end, and past it. */
	CHECK_IN_RANGE(&mm, 1500, 1990);
	CHECK_IN_RANGE(&mm, 1999, 2000, &d);
	CHECK_IN_RANGE(&mm, 1999, UINT64_MAX, &d);
	CHECK_IN_RANGE(&mm, 2000, UINT64_MAX);
	CHECK_IN_RANGE(&mm, UINT64_MAX - 1, UINT64_MAX);
	mm_check(!udrm_mm_interval_first(&mm, UINT64_MAX, UINT64_MAX),
		 "interval_first at 2^64 - 1");
	/* The whole space. */
	CHECK_IN_RANGE(&mm, 1000, 2000, &a, &b, &c, &d);
	CHECK_IN_RANGE(&mm, 0, UINT64_MAX, &a, &b, &c, &d);
	mm_check(udrm_mm_interval_first(&mm, 0, UINT64_MAX) == &a,
		 "interval_first over everything is not the lowest node");

	/* After removals, a re-insert and a replacement. */
	udrm_mm_remove_node(&b);
	CHECK_IN_RANGE(&mm, 1200, 1300);
	CHECK_IN_RANGE(&mm, 1150, 1450, &a, &c);
	udrm_mm_remove_node(&a);
	CHECK_IN_RANGE(&mm, 0, 1400);
	CHECK_IN_RANGE(&mm, 0, UINT64_MAX, &c, &d);
	mm_expect(udrm_mm_insert_node_generic(&mm, &a, 50, 0, 0,
					      UDRM_MM_INSERT_LOW),
		  0, "insert a at the bottom");
	CHECK_IN_RANGE(&mm, 1000, 1001, &a);
	CHECK_IN_RANGE(&mm, 1049, 1451, &a, &c);
	udrm_mm_replace_node(&c, &b);
	CHECK_IN_RANGE(&mm, 1049, 1451, &a, &b);
	CHECK_IN_RANGE(&mm, 1420, 2000, &b, &d);
	udrm_mm_remove_node(&d);
	CHECK_IN_RANGE(&mm, 1500, UINT64_MAX);
	CHECK_IN_RANGE(&mm, 0, UINT64_MAX, &a, &b);
	mm_expect(check_mm_consistent(&mm, 1000, 2000), 2, "holes at the end");
	remove_all(&mm);
	CHECK_IN_RANGE(&mm, 0, UINT64_MAX);
	udrm_mm_takedown(&mm);
}

/*
 * After the kernel's assert_continuous(): a manager filled with nodes of
 * one size, each found alone by its own range, and a one-byte range at
 * every node's first and last byte.
 */
static void in_range_finds_each_node_of_a_contiguous_fill(void **state)
{
	static const uint64_t sizes[] = {1, 2, 3, 4096, 12345};
	const unsigned int count = 257;

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct udrm_mm_node *nodes = alloc_nodes(count);
		uint64_t size = sizes[s];
		struct udrm_mm mm;

		udrm_mm_init(&mm, 0, size * count);
		for (unsigned int i = 0; i < count; i++)
			mm_expect(udrm_mm_insert_node_generic(
					  &mm, &nodes[i], size, 0, 0,
					  UDRM_MM_INSERT_LOW),
				  0, "insert %u of size %llu", i, (ull)size);
		for (unsigned int i = 0; i < count; i++) {
			struct udrm_mm_node *n = &nodes[i];

			mm_expect(n->start, size * i, "node %u placed", i);
			CHECK_IN_RANGE(&mm, n->start, n->start + size, n);
			CHECK_IN_RANGE(&mm, n->start, n->start + 1, n);
			CHECK_IN_RANGE(&mm, n->start + size - 1,
				       n->start + size, n);
			if (i + 1 < count)
				CHECK_IN_RANGE(&mm, n->start + size - 1,
					       n->start + size + 1, n, n + 1);
		}
		mm_check(!udrm_mm_interval_first(&mm, size * count, UINT64_MAX),
			 "a node after the end of a full mm");
		remove_all(&mm);
		udrm_mm_takedown(&mm);
		free(nodes);
	}
}

/* The reference: a walk of every node. */
static unsigned int linear_in_range(const struct udrm_mm *mm, uint64_t start,
				    uint64_t end, struct udrm_mm_node **out)
{
	struct udrm_mm_node *node;
	unsigned int count = 0;

	udrm_mm_for_each_node(node, mm)
	{
		if (node->start < end && node->start + node->size > start)
			out[count++] = node;
	}
	return count;
}

static uint64_t random_point(uint32_t *seed, uint64_t lo, uint64_t hi)
{
	switch (rng_next(seed) % 8) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return lo;
	case 3:
		return hi;
	default:
		return lo - 64 + rng_next(seed) % (hi - lo + 128);
	}
}

/*
 * Thousands of reserves, inserts in every mode, removals, replacements
 * and eviction scans, each followed by range queries checked against a
 * linear walk, with a few deliberately at node boundaries.
 */
static void in_range_matches_a_linear_walk_through_random_changes(void **state)
{
	const unsigned int count = 512, ops = 6000;
	const uint64_t lo = 1u << 12, hi = lo + (1u << 16);
	struct udrm_mm_node *nodes = alloc_nodes(count + 1);
	struct udrm_mm_node **want = calloc(count, sizeof(*want));
	struct udrm_mm_node *spare = &nodes[count];
	uint32_t seed = 0x1badb002;
	struct udrm_mm mm;

	(void)state;
	mm_check(want, "calloc of the reference failed");
	udrm_mm_init(&mm, lo, hi - lo);
	for (unsigned int op = 0; op < ops; op++) {
		struct udrm_mm_node *n = &nodes[rng_next(&seed) % count];
		unsigned int what = rng_next(&seed) % 16;

		if (udrm_mm_node_allocated(n)) {
			if (what < 2) {
				udrm_mm_replace_node(n, spare);
				*n = (struct udrm_mm_node){0};
				udrm_mm_replace_node(spare, n);
			} else if (what < 9) {
				udrm_mm_remove_node(n);
			}
		} else if (what < 4) {
			n->start = lo + rng_next(&seed) % (hi - lo);
			n->size = 1 + rng_next(&seed) % 300;
			n->color = 0;
			udrm_mm_reserve_node(&mm, n);
		} else {
			uint64_t rs = lo + rng_next(&seed) % (hi - lo);
			uint64_t re = rs + rng_next(&seed) % (hi - lo);

			udrm_mm_insert_node_in_range(
				&mm, n, 1 + rng_next(&seed) % 400,
				rng_next(&seed) % 4 ? 0 : 1 + op % 64, 0, rs,
				re > hi ? hi : re,
				(enum udrm_mm_insert_mode)(what % 4));
		}
		if (op % 251 == 0) {
			/* A scan that evicts nothing leaves the tree alone. */
			struct udrm_mm_node *node, *order[64];
			struct udrm_mm_scan scan;
			unsigned int added = 0;

			udrm_mm_scan_init(&scan, &mm, 1000, 0, 0,
					  UDRM_MM_INSERT_BEST);
			udrm_mm_for_each_node(node, &mm)
			{
				if (added == 64)
					break;
				order[added++] = node;
				if (udrm_mm_scan_add_block(&scan, node))
					break;
			}
			while (added)
				udrm_mm_scan_remove_block(&scan,
							  order[--added]);
		}
		for (unsigned int q = 0; q < 8; q++) {
			uint64_t start = random_point(&seed, lo, hi);
			uint64_t end = q & 1 ? start + rng_next(&seed) % 2048
					     : random_point(&seed, lo, hi);
			struct udrm_mm_node *any =
				&nodes[rng_next(&seed) % count];

			if (q == 2 && udrm_mm_node_allocated(any)) {
				start = any->start +
					(rng_next(&seed) & 1) * any->size;
				end = start + 1 + rng_next(&seed) % 600;
			}
			if (end < start && q & 1)
				end = UINT64_MAX;
			check_in_range(&mm, start, end, want,
				       end > start ? linear_in_range(&mm, start,
								     end, want)
						   : 0);
		}
		if (op % 1000 == 0)
			check_mm_consistent(&mm, lo, hi);
	}
	check_mm_consistent(&mm, lo, hi);
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(want);
	free(nodes);
}

/*
 * Finding the first node costs O(log n) tree steps, even when the nodes
 * are packed with no hole between them (so no hole is near the query):
 * 1000 queries among 100000 nodes must cost less than twice what they
 * cost among 1000, and each at most an AVL tree's height (1.45 log2 n).
 */
static uint64_t steps_for_queries_among(unsigned int count, uint64_t *worst)
{
	const unsigned int queries = 1000;
	struct udrm_mm_node *nodes = alloc_nodes(count);
	uint32_t seed = 0xdecafbad;
	uint64_t steps = 0;
	struct udrm_mm mm;

	udrm_mm_init(&mm, 0, 4ull * count);
	for (unsigned int i = 0; i < count; i++)
		mm_expect(udrm_mm_insert_node_generic(&mm, &nodes[i], 4, 0, 0,
						      UDRM_MM_INSERT_LOW),
			  0, "insert %u of %u", i, count);
	mm_expect(check_mm_consistent(&mm, 0, 4ull * count), 0,
		  "holes in a packed mm");
	*worst = 0;
	for (unsigned int q = 0; q < queries; q++) {
		uint64_t at = rng_next(&seed) % (4ull * count);
		uint64_t before = udrm_mm_debug_tree_steps(&mm), cost;
		struct udrm_mm_node *node = udrm_mm_interval_first(&mm, at, at);

		cost = udrm_mm_debug_tree_steps(&mm) - before;
		mm_check(node == &nodes[at / 4],
			 "query at %#llx among %u found the wrong node",
			 (ull)at, count);
		steps += cost;
		if (cost > *worst)
			*worst = cost;
	}
	remove_all(&mm);
	udrm_mm_takedown(&mm);
	free(nodes);
	return steps;
}

static void interval_first_costs_log_n_tree_steps(void **state)
{
	uint64_t worst_small, worst_large;
	uint64_t small = steps_for_queries_among(1000, &worst_small);
	uint64_t large = steps_for_queries_among(100000, &worst_large);

	(void)state;
	mm_check(large < 2 * small,
		 "1000 queries cost %llu tree steps among 100000 nodes, %llu "
		 "among 1000: expected less than 2x (logarithmic)",
		 (ull)large, (ull)small);
	/* 1.44 log2(n + 2): 15 for 1001 entries, 24 for 100001. */
	mm_check(worst_small <= 15 && worst_large <= 24,
		 "worst query costs %llu steps among 1000 nodes, %llu among "
		 "100000: more than an AVL tree's height",
		 (ull)worst_small, (ull)worst_large);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_makes_one_hole_covering_the_range),
		cmocka_unit_test(debug_print_lists_used_and_free_ranges),
		cmocka_unit_test(
			reserve_every_size_and_position_refusing_overlaps),
		cmocka_unit_test(reserve_rejects_an_allocated_node),
		cmocka_unit_test(insert_every_size_fills_the_mm_exactly),
		cmocka_unit_test(replace_moves_the_range_to_the_new_node),
		cmocka_unit_test(
			insert_range_places_nodes_only_inside_the_range),
		cmocka_unit_test(insert_range_rejects_bad_ranges),
		cmocka_unit_test(align_to_every_power_of_two_up_to_2_63),
		cmocka_unit_test(align_to_odd_values_in_every_mode),
		cmocka_unit_test(align_skips_holes_the_alignment_does_not_fit),
		cmocka_unit_test(
			lowest_and_highest_fill_holes_in_address_order),
		cmocka_unit_test(
			topdown_places_each_node_at_the_top_of_the_highest_hole),
		cmocka_unit_test(
			bottomup_places_each_node_at_the_bottom_of_the_lowest_hole),
		cmocka_unit_test(once_tries_only_the_first_hole),
		cmocka_unit_test(
			colour_adjust_leaves_gaps_between_different_colours),
		cmocka_unit_test(
			evict_scan_restores_the_mm_when_nothing_is_evicted),
		cmocka_unit_test(evict_picks_a_minimal_set_for_every_size),
		cmocka_unit_test(
			evict_with_colours_names_the_neighbour_to_evict),
		cmocka_unit_test(
			color_evict_names_a_scanned_neighbour_left_in_place),
		cmocka_unit_test(
			random_inserts_and_removes_keep_holes_consistent),
		cmocka_unit_test(insert_cost_grows_logarithmically_with_holes),
		cmocka_unit_test(
			packed_remove_insert_cost_does_not_grow_with_n),
		cmocka_unit_test(aligned_inserts_match_a_walk_over_every_hole),
		cmocka_unit_test(
			huge_alignment_skips_holes_without_an_aligned_start),
		cmocka_unit_test(in_range_on_an_empty_mm_finds_nothing),
		cmocka_unit_test(
			in_range_finds_nodes_at_and_over_their_boundaries),
		cmocka_unit_test(in_range_finds_each_node_of_a_contiguous_fill),
		cmocka_unit_test(
			in_range_matches_a_linear_walk_through_random_changes),
		cmocka_unit_test(interval_first_costs_log_n_tree_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
