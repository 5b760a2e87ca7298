/* SPDX-License-Identifier: MIT */
/*
 * udrm_mm: a range allocator, after the kernel's drm_mm
 * (drivers/gpu/drm/drm_mm.c, include/drm/drm_mm.h).
 *
 * A manager hands out non-overlapping ranges of [start, start + size). The
 * caller embeds a struct udrm_mm_node in its own object, zeroes it, and
 * either reserves a fixed range for it (udrm_mm_reserve_node) or lets the
 * manager find one (udrm_mm_insert_node_in_range) with a size, an
 * alignment (any value, not only powers of two), a colour and a search
 * mode. A colour_adjust callback may shrink a hole depending on the colours
 * around it, e.g. to keep a guard page between differently cached objects.
 *
 * Holes: the free space after each node is that node's hole. The nodes
 * are in a balanced tree by address (for finding the nodes in a range, as
 * the kernel's interval tree does); the non-empty holes are in their own
 * balanced tree by address (augmented with the largest hole of each
 * subtree, for LOW/HIGH and range-restricted searches), in one by size
 * (for BEST) and on a stack of the most recently made holes (for EVICT).
 * Insert, reserve and remove are O(log n), finding the first node in a
 * range too. With an alignment, a hole may be big enough and still not
 * fit; LOW, HIGH and BEST then also step from aligned address to aligned
 * address, so that the search costs O(log n) per hole or per aligned
 * address, whichever runs out first (not per hole, as in the kernel).
 *
 * Eviction scan: to make room, a caller builds a roster: udrm_mm_scan_init*,
 * then udrm_mm_scan_add_block() for candidate nodes (e.g. in LRU order)
 * until it returns true, then udrm_mm_scan_remove_block() for every added
 * node in the reverse order of adding (the roster must be unwound
 * completely, whether a hole was found or not). Nodes for which
 * remove_block returned true must be evicted (udrm_mm_remove_node) to make
 * the hole; with colours, udrm_mm_scan_color_evict() then names one more
 * neighbour to evict. No other operation on the manager is allowed while
 * a scan has blocks added.
 *
 * Ownership: the manager owns nothing; nodes belong to the caller's
 * objects and must stay in place (not moved or freed) while allocated.
 *
 * Locking: none inside, as in the kernel. The caller serialises every call
 * on a manager and its nodes (one lock around the manager is the usual
 * way); the colour_adjust callback runs inside the call that triggered it
 * and must not call back into the manager.
 *
 * Errors, as the kernel: -ENOSPC when nothing fits (a zero size included)
 * or a reserved range is occupied, empty or wrapping; -EINVAL for an
 * inverted range, an unknown mode or a node that is already allocated;
 * -EBUSY for changes during a scan.
 */
#ifndef UDRM_MM_DRM_MM_H
#define UDRM_MM_DRM_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Search modes of udrm_mm_insert_node_in_range(). */
enum udrm_mm_insert_mode {
	/* The smallest hole that fits (least fragmentation). */
	UDRM_MM_INSERT_BEST = 0,
	/* The lowest-address hole that fits, placed at its bottom. */
	UDRM_MM_INSERT_LOW,
	/* The highest-address hole that fits, placed at its top. */
	UDRM_MM_INSERT_HIGH,
	/* The most recently made hole first (after an eviction scan). */
	UDRM_MM_INSERT_EVICT,

	/* Flag: try only the first candidate hole; -ENOSPC if it fails. */
	UDRM_MM_INSERT_ONCE = 1u << 31,
	UDRM_MM_INSERT_HIGHEST = UDRM_MM_INSERT_HIGH | UDRM_MM_INSERT_ONCE,
	UDRM_MM_INSERT_LOWEST = UDRM_MM_INSERT_LOW | UDRM_MM_INSERT_ONCE,
};

/* Internal links; callers never touch them. */
struct udrm_mm_link {
	struct udrm_mm_link *prev, *next;
};

/*
 * A node of the manager's AVL trees, keyed by @key (an address: the start
 * of a hole, or the end of a node) and, in the size tree, @hole_size
 * first; @subtree_max_hole is the largest @hole_size below (0 in the node
 * tree, whose entries have none).
 */
struct udrm_mm_tree_node {
	struct udrm_mm_tree_node *parent, *left, *right;
	uint64_t key, hole_size;
	uint64_t subtree_max_hole;
	int height;
};

struct udrm_mm_tree {
	struct udrm_mm_tree_node *root;
};

/*
 * A range handed out by a manager, embedded in the caller's object. Zero
 * it before its first insert/reserve. @start, @size and @color are the
 * caller's to read (and to set before udrm_mm_reserve_node); the rest is
 * private to the manager.
 */
struct udrm_mm_node {
	unsigned long color;
	uint64_t start;
	uint64_t size;

	/* private */
	struct udrm_mm *mm;
	struct udrm_mm_link node_list;	       /* all nodes, by address */
	struct udrm_mm_link hole_stack;	       /* if a hole follows */
	struct udrm_mm_tree_node rb;	       /* allocated: by address */
	struct udrm_mm_tree_node hole_by_addr; /* if a hole follows */
	struct udrm_mm_tree_node hole_by_size; /* if a hole follows */
	uint64_t hole_size;		       /* 0 when no hole follows */
	unsigned int flags;
};

/*
 * Shrinks a candidate hole [*start, *end) following @node (which may be
 * the manager's head, not allocated) for an allocation of @color; it may
 * look at @node and udrm_mm_next_node(@node).
 */
typedef void (*udrm_mm_color_adjust_fn)(const struct udrm_mm_node *node,
					unsigned long color, uint64_t *start,
					uint64_t *end);

struct udrm_mm {
	/* Optional; set after udrm_mm_init. */
	udrm_mm_color_adjust_fn color_adjust;

	/* private */
	struct udrm_mm_node head_node; /* sentinel; its hole starts the range */
	struct udrm_mm_link hole_stack;
	struct udrm_mm_tree nodes;	/* allocated nodes, keyed by end */
	struct udrm_mm_tree holes_addr; /* non-empty holes, by start */
	struct udrm_mm_tree holes_size; /* non-empty holes, by size */
	unsigned int scan_active;
	uint64_t debug_tree_steps;
};

/* An eviction roster; see the top of this file. */
struct udrm_mm_scan {
	struct udrm_mm *mm;
	uint64_t size, alignment, remainder_mask;
	uint64_t range_start, range_end;
	uint64_t hit_start, hit_end;
	unsigned long color;
	enum udrm_mm_insert_mode mode;
};

/*
 * udrm_mm_init - makes @mm manage [@start, @start + @size), all free.
 * Returns 0, or -EINVAL if @size is 0 or @start + @size is past 2^64 - 1.
 */
int udrm_mm_init(struct udrm_mm *mm, uint64_t start, uint64_t size);

/*
 * udrm_mm_takedown - ends a manager. Returns 0, or -EBUSY (and leaves @mm
 * as it was) while it still has nodes: the caller must remove them first.
 */
int udrm_mm_takedown(struct udrm_mm *mm);

/* udrm_mm_clean - whether @mm has no allocated node. */
bool udrm_mm_clean(const struct udrm_mm *mm);

/* udrm_mm_initialized - whether @mm was set up by udrm_mm_init. */
bool udrm_mm_initialized(const struct udrm_mm *mm);

/*
 * udrm_mm_reserve_node - puts @node at the caller-chosen range
 * [node->start, node->start + node->size) with colour node->color.
 * Returns 0, -ENOSPC if any part of that range (after colour adjustment) is
 * not free or outside the manager or the range is empty or wraps, -EINVAL
 * for a node already allocated, -EBUSY during a scan.
 */
int udrm_mm_reserve_node(struct udrm_mm *mm, struct udrm_mm_node *node);

/*
 * udrm_mm_insert_node_in_range - finds room for @size bytes aligned to
 * @alignment (0 or 1: none; any other value, powers of two or not) with
 * @color, within [@range_start, @range_end), searching as @mode says, and
 * puts @node there. Returns 0, -ENOSPC if nothing fits (or @size is 0),
 * -EINVAL for @range_start > @range_end, an unknown mode or a node already
 * allocated, -EBUSY during a scan.
 */
int udrm_mm_insert_node_in_range(struct udrm_mm *mm, struct udrm_mm_node *node,
				 uint64_t size, uint64_t alignment,
				 unsigned long color, uint64_t range_start,
				 uint64_t range_end,
				 enum udrm_mm_insert_mode mode);

/* udrm_mm_insert_node_generic - insert_node_in_range over the whole range. */
int udrm_mm_insert_node_generic(struct udrm_mm *mm, struct udrm_mm_node *node,
				uint64_t size, uint64_t alignment,
				unsigned long color,
				enum udrm_mm_insert_mode mode);

/* udrm_mm_insert_node - best fit for @size, no alignment, colour 0. */
int udrm_mm_insert_node(struct udrm_mm *mm, struct udrm_mm_node *node,
			uint64_t size);

/*
 * udrm_mm_remove_node - frees @node's range, merging it with the holes
 * around it. @node must be allocated and not in a scan; afterwards it may
 * be inserted again.
 */
void udrm_mm_remove_node(struct udrm_mm_node *node);

/*
 * udrm_mm_replace_node - puts @new in place of the allocated @old (same
 * range and colour); @old becomes unallocated. @new must not be allocated.
 */
void udrm_mm_replace_node(struct udrm_mm_node *old, struct udrm_mm_node *new);

/* udrm_mm_node_allocated - whether @node holds a range. */
bool udrm_mm_node_allocated(const struct udrm_mm_node *node);

/* udrm_mm_node_scanned - whether @node is in an eviction roster. */
bool udrm_mm_node_scanned(const struct udrm_mm_node *node);

/* udrm_mm_hole_follows - whether free space follows @node. */
bool udrm_mm_hole_follows(const struct udrm_mm_node *node);

/* udrm_mm_hole_node_start/end - the free range that follows @node. */
uint64_t udrm_mm_hole_node_start(const struct udrm_mm_node *node);
uint64_t udrm_mm_hole_node_end(const struct udrm_mm_node *node);

/*
 * udrm_mm_next_node - the node after @node in address order, or the
 * manager's head (not allocated) after the last one. For colour_adjust.
 */
const struct udrm_mm_node *udrm_mm_next_node(const struct udrm_mm_node *node);

/*
 * Node iteration in address order: udrm_mm_first_node() returns the lowest
 * node or NULL, udrm_mm_next_allocated() the one after @node or NULL. The
 * current node may be removed if the next one was fetched before.
 */
struct udrm_mm_node *udrm_mm_first_node(const struct udrm_mm *mm);
struct udrm_mm_node *udrm_mm_next_allocated(const struct udrm_mm_node *node);

#define udrm_mm_for_each_node(pos, mm)                                         \
	for ((pos) = udrm_mm_first_node(mm); (pos);                            \
	     (pos) = udrm_mm_next_allocated(pos))

#define udrm_mm_for_each_node_safe(pos, n, mm)                                 \
	for ((pos) = udrm_mm_first_node(mm),                                   \
	    (n) = (pos) ? udrm_mm_next_allocated(pos) : NULL;                  \
	     (pos);                                                            \
	     (pos) = (n), (n) = (pos) ? udrm_mm_next_allocated(pos) : NULL)

/*
 * udrm_mm_interval_first - the lowest allocated node overlapping
 * [@start, @last] (both inclusive), or NULL if none does or @last < @start,
 * in O(log n) (the kernel's __drm_mm_interval_first, which returns the
 * head instead of NULL). Not while a scan has blocks added.
 */
struct udrm_mm_node *udrm_mm_interval_first(const struct udrm_mm *mm,
					    uint64_t start, uint64_t last);

/*
 * udrm_mm_for_each_node_in_range - the allocated nodes overlapping
 * [@start, @end) in address order: the first in O(log n), each next in
 * O(1). None for an empty range (@end <= @start). The current node may be
 * removed only if the walk stops there. The arguments are evaluated more
 * than once.
 */
#define udrm_mm_for_each_node_in_range(pos, mm, start, end)                    \
	for ((pos) = (start) < (end)                                           \
			     ? udrm_mm_interval_first((mm), (start), (end)-1)  \
			     : NULL;                                           \
	     (pos) && (pos)->start < (end);                                    \
	     (pos) = udrm_mm_next_allocated(pos))

/*
 * Hole iteration in address order, in O(log n) each step: the node (or
 * the manager's head) whose hole is the lowest, then the next one, or NULL.
 * The manager must not change during the walk.
 */
struct udrm_mm_node *udrm_mm_first_hole(const struct udrm_mm *mm);
struct udrm_mm_node *udrm_mm_next_hole(const struct udrm_mm_node *node);

#define udrm_mm_for_each_hole(pos, mm, hstart, hend)                           \
	for ((pos) = udrm_mm_first_hole(mm);                                   \
	     (pos) && ((hstart) = udrm_mm_hole_node_start(pos),                \
		      (hend) = udrm_mm_hole_node_end(pos), 1);                 \
	     (pos) = udrm_mm_next_hole(pos))

/*
 * udrm_mm_scan_init_with_range - starts an eviction roster on @mm for an
 * allocation as udrm_mm_insert_node_in_range would make it (@mode LOW/BEST/
 * EVICT place at the bottom of the found hole, HIGH at the top). Returns 0,
 * or -EINVAL for a zero size, a range that cannot hold @size, or a scan
 * already active on @mm.
 */
int udrm_mm_scan_init_with_range(struct udrm_mm_scan *scan, struct udrm_mm *mm,
				 uint64_t size, uint64_t alignment,
				 unsigned long color, uint64_t range_start,
				 uint64_t range_end,
				 enum udrm_mm_insert_mode mode);

/* udrm_mm_scan_init - scan_init_with_range over the whole manager. */
int udrm_mm_scan_init(struct udrm_mm_scan *scan, struct udrm_mm *mm,
		      uint64_t size, uint64_t alignment, unsigned long color,
		      enum udrm_mm_insert_mode mode);

/*
 * udrm_mm_scan_add_block - adds the allocated, unscanned @node to the
 * roster as if it were freed. Returns true once the freed space makes a
 * hole for the allocation (then stop adding).
 */
bool udrm_mm_scan_add_block(struct udrm_mm_scan *scan,
			    struct udrm_mm_node *node);

/*
 * udrm_mm_scan_remove_block - takes @node out of the roster; nodes must be
 * removed in the reverse order they were added. Returns true if @node
 * overlaps the found hole and must be evicted.
 */
bool udrm_mm_scan_remove_block(struct udrm_mm_scan *scan,
			       struct udrm_mm_node *node);

/*
 * udrm_mm_scan_color_evict - after the roster is unwound and its nodes
 * evicted: a neighbour whose colour still keeps the allocation from fitting
 * and must be evicted too, or NULL.
 */
struct udrm_mm_node *udrm_mm_scan_color_evict(struct udrm_mm_scan *scan);

/*
 * udrm_mm_print - writes each used and free range and the totals to @out,
 * as the kernel's drm_mm_print.
 */
void udrm_mm_print(const struct udrm_mm *mm, FILE *out);

/*
 * udrm_mm_debug_tree_steps - how many tree nodes the trees have visited
 * since udrm_mm_init (descents, rebalancing), for tests that check
 * the logarithmic cost without timing.
 */
uint64_t udrm_mm_debug_tree_steps(const struct udrm_mm *mm);

#endif
