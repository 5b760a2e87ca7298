// SPDX-License-Identifier: MIT
/*
 * bench-mm: how many remove+insert cycles per second the range allocator
 * (udrm_mm, after the kernel's drm_mm) sustains at 10^3 to 10^6 live nodes.
 *
 * Each cycle removes a random live node and inserts a new one in its place
 * in the array, so the number of live nodes stays n (steady state). Two
 * layouts:
 *  - uniform: n page-sized nodes filling the range, no holes; BEST finds
 *    the hole the removal left.
 *  - fragmented: n nodes of mixed sizes and alignments (one of them not a
 *    power of two) with a hole after every other node, as if every other
 *    node of a 2n fill had been freed, and free space at the top; the
 *    churn inserts mixed sizes and alignments with BEST, LOW and HIGH.
 *
 * The baseline is glibc's tsearch()/tdelete() (a red-black tree) on n live
 * keys, one delete and one insert per cycle, driven by the same random
 * sequence (victim and new key per cycle), in the same run. Both are
 * O(log n): the last lines give the growth from 10^3 to 10^6 nodes beside
 * that of the baseline (log2 n alone grows 2x; cache misses add to both).
 *
 * Pure library: needs no device and no "udrm run" (harmless under it).
 *
 * Usage: bench-mm [REPETITIONS]
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mm/drm_mm.h"

#define MM_PAGE	      4096ull
#define MM_RAND_SEED  0x9e3779b97f4a7c15ull
#define MM_SETUP_SEED 0x2545f4914f6cdd1dull
/* Slot index bits in a baseline key: keys stay unique. */
#define MM_KEY_SLOT_BITS 20

static const unsigned int mm_live_nodes[] = {1000, 10000, 100000, 1000000};
#define MM_NUM_SIZES (sizeof(mm_live_nodes) / sizeof(mm_live_nodes[0]))

/* Mixed shapes of the fragmented layout, picked by 3 random bits each. */
static const uint64_t mm_mixed_size[8] = {
	MM_PAGE,      MM_PAGE,	    2 * MM_PAGE,  4 * MM_PAGE,
	16 * MM_PAGE, 16 * MM_PAGE, 64 * MM_PAGE, 256 * MM_PAGE,
};
/*
 * At most 64 KiB: alignments larger than most holes (2 MiB for one insert
 * in eight) make BEST and LOW walk the holes one by one, as in the kernel,
 * and the cost grows about linearly with n instead.
 */
static const uint64_t mm_mixed_align[8] = {
	0, 0, MM_PAGE, MM_PAGE, 16 * MM_PAGE, 3 * MM_PAGE, 16 * MM_PAGE, 0,
};

enum mm_variant {
	MM_UNIFORM,
	MM_FRAG_BEST,
	MM_FRAG_LOW,
	MM_FRAG_HIGH,
	MM_NUM_VARIANTS,
};

static const char *const mm_variant_name[MM_NUM_VARIANTS] = {
	[MM_UNIFORM] = "uniform, BEST",
	[MM_FRAG_BEST] = "fragmented, BEST",
	[MM_FRAG_LOW] = "fragmented, LOW",
	[MM_FRAG_HIGH] = "fragmented, HIGH",
};

static const enum udrm_mm_insert_mode mm_variant_mode[MM_NUM_VARIANTS] = {
	[MM_UNIFORM] = UDRM_MM_INSERT_BEST,
	[MM_FRAG_BEST] = UDRM_MM_INSERT_BEST,
	[MM_FRAG_LOW] = UDRM_MM_INSERT_LOW,
	[MM_FRAG_HIGH] = UDRM_MM_INSERT_HIGH,
};

/* The allocator under churn. */
struct mm_churn {
	struct udrm_mm mm;
	struct udrm_mm_node *nodes;
	unsigned int n;
	bool mixed;
	enum udrm_mm_insert_mode mode;
	uint64_t rng;
};

/* The baseline: a tsearch() tree of n keys living in keys[]. */
struct tree_churn {
	void *root;
	uint64_t *keys;
	unsigned int n;
	uint64_t rng;
};

/* xorshift64*: cheap, and the same sequence for subject and baseline. */
static uint64_t mm_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* The high half of a random value picks the victim, the low half the new
 * node's shape or key. */
static unsigned int mm_victim(uint64_t r, unsigned int n)
{
	return (unsigned int)((r >> 32) % n);
}

static uint64_t mm_align_up(uint64_t x, uint64_t align)
{
	return align > 1 ? (x + align - 1) / align * align : x;
}

static int op_mm_cycle(void *ctx)
{
	struct mm_churn *c = ctx;
	uint64_t r = mm_rand(&c->rng);
	struct udrm_mm_node *node = &c->nodes[mm_victim(r, c->n)];
	uint64_t size = MM_PAGE, align = 0;

	udrm_mm_remove_node(node);
	if (c->mixed) {
		size = mm_mixed_size[r & 7];
		align = mm_mixed_align[(r >> 3) & 7];
	}
	return udrm_mm_insert_node_generic(&c->mm, node, size, align, 0,
					   c->mode)
		       ? -1
		       : 0;
}

static int tree_key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void tree_key_keep(void *key)
{
	(void)key; /* keys[] owns the keys */
}

static uint64_t tree_key(uint64_t r, unsigned int slot)
{
	return ((r & 0xffffffffull) << MM_KEY_SLOT_BITS) | slot;
}

static int op_tree_cycle(void *ctx)
{
	struct tree_churn *c = ctx;
	uint64_t r = mm_rand(&c->rng);
	unsigned int v = mm_victim(r, c->n);

	if (!tdelete(&c->keys[v], &c->root, tree_key_cmp))
		return -1;
	c->keys[v] = tree_key(r, v);
	return tsearch(&c->keys[v], &c->root, tree_key_cmp) ? 0 : -1;
}

static void tree_teardown(struct tree_churn *c)
{
	tdestroy(c->root, tree_key_keep);
	free(c->keys);
}

static int tree_setup(struct tree_churn *c, unsigned int n)
{
	uint64_t setup_rng = MM_SETUP_SEED;
	unsigned int i;

	*c = (struct tree_churn){.n = n, .rng = MM_RAND_SEED};
	c->keys = calloc(n, sizeof(*c->keys));
	if (!c->keys)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		c->keys[i] = tree_key(mm_rand(&setup_rng), i);
		if (!tsearch(&c->keys[i], &c->root, tree_key_cmp)) {
			tree_teardown(c);
			return -ENOMEM;
		}
	}
	return 0;
}

static void mm_teardown(struct mm_churn *c)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (udrm_mm_node_allocated(&c->nodes[i]))
			udrm_mm_remove_node(&c->nodes[i]);
	udrm_mm_takedown(&c->mm);
	free(c->nodes);
}

/* n page-sized nodes filling [0, n pages) exactly. */
static int mm_setup_uniform(struct mm_churn *c)
{
	unsigned int i;
	int ret;

	ret = udrm_mm_init(&c->mm, 0, c->n * MM_PAGE);
	if (ret)
		return ret;
	for (i = 0; i < c->n; i++) {
		ret = udrm_mm_insert_node(&c->mm, &c->nodes[i], MM_PAGE);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * n nodes of mixed shapes placed bottom up, a random hole after every
 * other one; the range is twice the span they cover, so the churn starts
 * with free space at the top as well.
 */
static int mm_setup_fragmented(struct mm_churn *c)
{
	uint64_t setup_rng = MM_SETUP_SEED, cursor = 0, r;
	struct udrm_mm_node *node;
	unsigned int i;
	int ret;

	for (i = 0; i < c->n; i++) {
		r = mm_rand(&setup_rng);
		cursor = mm_align_up(cursor, mm_mixed_align[(r >> 3) & 7]) +
			 mm_mixed_size[r & 7];
		if (i % 2)
			cursor += mm_mixed_size[(r >> 6) & 7];
	}
	ret = udrm_mm_init(&c->mm, 0, 2 * cursor);
	if (ret)
		return ret;

	setup_rng = MM_SETUP_SEED;
	cursor = 0;
	for (i = 0; i < c->n; i++) {
		r = mm_rand(&setup_rng);
		node = &c->nodes[i];
		node->start = mm_align_up(cursor, mm_mixed_align[(r >> 3) & 7]);
		node->size = mm_mixed_size[r & 7];
		ret = udrm_mm_reserve_node(&c->mm, node);
		if (ret)
			return ret;
		cursor = node->start + node->size;
		if (i % 2)
			cursor += mm_mixed_size[(r >> 6) & 7];
	}
	return 0;
}

static int mm_setup(struct mm_churn *c, unsigned int n, enum mm_variant v)
{
	int ret;

	*c = (struct mm_churn){
		.n = n,
		.mixed = v != MM_UNIFORM,
		.mode = mm_variant_mode[v],
		.rng = MM_RAND_SEED,
	};
	c->nodes = calloc(n, sizeof(*c->nodes));
	if (!c->nodes)
		return -ENOMEM;
	ret = c->mixed ? mm_setup_fragmented(c) : mm_setup_uniform(c);
	if (ret) {
		if (udrm_mm_initialized(&c->mm))
			mm_teardown(c);
		else
			free(c->nodes);
	}
	return ret;
}

/* Measures one variant at n live nodes against the tree; costs in ns. */
static int bench_variant(struct tree_churn *tree, unsigned int n, int exp10,
			 enum mm_variant v, unsigned int reps, double *mm_ns,
			 double *tree_ns)
{
	struct mm_churn c;
	struct bench_case subject = {
		.name = "udrm_mm remove+insert",
		.op = op_mm_cycle,
		.ctx = &c,
	};
	const struct bench_case baseline = {
		.name = "tdelete+tsearch",
		.op = op_tree_cycle,
		.ctx = tree,
	};
	char name[96], base_name[64];
	int ret;

	ret = mm_setup(&c, n, v);
	if (ret) {
		fprintf(stderr, "bench-mm: setting up %u nodes (%s): %s\n", n,
			mm_variant_name[v], strerror(-ret));
		return ret;
	}
	ret = bench_compare_ns(&subject, &baseline, reps, mm_ns, tree_ns);
	mm_teardown(&c);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "udrm_mm remove+insert, %s, 10^%d nodes",
		 mm_variant_name[v], exp10);
	snprintf(base_name, sizeof(base_name),
		 "tsearch tdelete+tsearch, 10^%d keys", exp10);
	bench_report_rate(name, 1e9 / *mm_ns, base_name, 1e9 / *tree_ns);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	double mm_ns[MM_NUM_SIZES][MM_NUM_VARIANTS];
	double tree_ns[MM_NUM_SIZES][MM_NUM_VARIANTS];
	struct tree_churn tree;
	unsigned int i, last = MM_NUM_SIZES - 1;
	enum mm_variant v;
	int ret;

	printf("bench-mm: median of %u repetitions; a cycle is one remove and "
	       "one insert\n",
	       reps);
	for (i = 0; i < MM_NUM_SIZES; i++) {
		ret = tree_setup(&tree, mm_live_nodes[i]);
		if (ret) {
			fprintf(stderr,
				"bench-mm: tsearch tree of %u keys: %s\n",
				mm_live_nodes[i], strerror(-ret));
			return 1;
		}
		for (v = 0; v < MM_NUM_VARIANTS; v++) {
			ret = bench_variant(&tree, mm_live_nodes[i], (int)i + 3,
					    v, reps, &mm_ns[i][v],
					    &tree_ns[i][v]);
			if (ret)
				break;
		}
		tree_teardown(&tree);
		if (ret)
			return 1;
	}

	printf("growth of the cost per cycle from 10^3 to 10^6 nodes "
	       "(log2 n: 2.00x):\n");
	for (v = 0; v < MM_NUM_VARIANTS; v++)
		printf("  %-20s udrm_mm %5.2fx, tsearch %5.2fx\n",
		       mm_variant_name[v], mm_ns[last][v] / mm_ns[0][v],
		       tree_ns[last][v] / tree_ns[0][v]);
	return 0;
}
