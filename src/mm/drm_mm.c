// SPDX-License-Identifier: MIT
/*
 * The range allocator: see drm_mm.h. Nodes sit on an address-ordered list
 * whose head is a sentinel node at the end of the range with a negative
 * size, so that the head's hole is the free space at the start of the
 * range; every node owns the hole that follows it, possibly empty.
 *
 * The allocated nodes are in an AVL tree keyed by their end (which orders
 * them as their starts do: nodes never overlap and are never empty), only
 * for the node-in-range lookup; it is not augmented, and a new node is
 * linked beside its list neighbours without a descent. The non-empty holes
 * are in an AVL tree by address, augmented with subtree_max_hole for the
 * LOW/HIGH searches, in one by size (for BEST) and on a most-recent-first
 * stack, so that a manager packed without holes keeps its hole trees
 * small.
 */
#include "mm/drm_mm.h"

#include <errno.h>
#include <stddef.h>

#define MM_NODE_ALLOCATED 0x1u
#define MM_NODE_SCANNED	  0x2u

#define mm_container_of(ptr, type, member)                                     \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- links ---- */

static void link_init(struct udrm_mm_link *head)
{
	head->prev = head;
	head->next = head;
}

static void link_add_after(struct udrm_mm_link *entry, struct udrm_mm_link *at)
{
	entry->prev = at;
	entry->next = at->next;
	at->next->prev = entry;
	at->next = entry;
}

/* Unlinks @entry but keeps its own pointers, for the scan's undo. */
static void link_del_keep(struct udrm_mm_link *entry)
{
	entry->prev->next = entry->next;
	entry->next->prev = entry->prev;
}

static void link_del(struct udrm_mm_link *entry)
{
	link_del_keep(entry);
	entry->prev = entry;
	entry->next = entry;
}

static struct udrm_mm_node *list_node(const struct udrm_mm_link *l)
{
	return mm_container_of(l, struct udrm_mm_node, node_list);
}

static struct udrm_mm_node *next_node(const struct udrm_mm_node *node)
{
	return list_node(node->node_list.next);
}

/* ---- AVL trees of holes ---- */

static int t_height(const struct udrm_mm_tree_node *t)
{
	return t ? t->height : 0;
}

static uint64_t t_max(const struct udrm_mm_tree_node *t)
{
	return t ? t->subtree_max_hole : 0;
}

static void t_update(struct udrm_mm_tree_node *t)
{
	int hl = t_height(t->left), hr = t_height(t->right);

	t->height = 1 + (hl > hr ? hl : hr);
	t->subtree_max_hole =
		max_u64(t->hole_size, max_u64(t_max(t->left), t_max(t->right)));
}

static void t_replace_child(struct udrm_mm_tree *tree,
			    struct udrm_mm_tree_node *parent,
			    struct udrm_mm_tree_node *old,
			    struct udrm_mm_tree_node *new)
{
	if (!parent)
		tree->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct udrm_mm_tree_node *t_rotate_left(struct udrm_mm_tree *tree,
					       struct udrm_mm_tree_node *x)
{
	struct udrm_mm_tree_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	t_replace_child(tree, x->parent, x, y);
	y->left = x;
	x->parent = y;
	t_update(x);
	t_update(y);
	return y;
}

static struct udrm_mm_tree_node *t_rotate_right(struct udrm_mm_tree *tree,
						struct udrm_mm_tree_node *x)
{
	struct udrm_mm_tree_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	t_replace_child(tree, x->parent, x, y);
	y->right = x;
	x->parent = y;
	t_update(x);
	t_update(y);
	return y;
}

static struct udrm_mm_tree_node *t_rebalance(struct udrm_mm_tree *tree,
					     struct udrm_mm_tree_node *n)
{
	int balance;

	t_update(n);
	balance = t_height(n->left) - t_height(n->right);
	if (balance > 1) {
		if (t_height(n->left->left) < t_height(n->left->right))
			t_rotate_left(tree, n->left);
		return t_rotate_right(tree, n);
	}
	if (balance < -1) {
		if (t_height(n->right->right) < t_height(n->right->left))
			t_rotate_right(tree, n->right);
		return t_rotate_left(tree, n);
	}
	return n;
}

/*
 * Restores heights, balance and subtree_max_hole from @n up, stopping at
 * the first node that keeps its height and maximum without a rotation
 * (nothing above it changed). @n's stored height and maximum must be
 * those its ancestors were computed from.
 */
static void t_fixup(struct udrm_mm *mm, struct udrm_mm_tree *tree,
		    struct udrm_mm_tree_node *n)
{
	struct udrm_mm_tree_node *r;
	uint64_t max;
	int height;

	while (n) {
		mm->debug_tree_steps++;
		height = n->height;
		max = n->subtree_max_hole;
		r = t_rebalance(tree, n);
		if (r == n && n->height == height && n->subtree_max_hole == max)
			return;
		n = r->parent;
	}
}

static bool t_less(const struct udrm_mm_tree_node *a,
		   const struct udrm_mm_tree_node *b, bool by_size)
{
	if (by_size && a->hole_size != b->hole_size)
		return a->hole_size < b->hole_size;
	return a->key < b->key;
}

static void t_insert(struct udrm_mm *mm, struct udrm_mm_tree *tree,
		     struct udrm_mm_tree_node *n, bool by_size)
{
	struct udrm_mm_tree_node *parent = NULL, **link = &tree->root;

	while (*link) {
		mm->debug_tree_steps++;
		parent = *link;
		link = t_less(n, parent, by_size) ? &parent->left
						  : &parent->right;
	}
	n->parent = parent;
	n->left = NULL;
	n->right = NULL;
	n->height = 1;
	n->subtree_max_hole = n->hole_size;
	*link = n;
	t_fixup(mm, tree, parent);
}

/*
 * Links @n into @tree as the in-order successor of @pred (NULL: as the
 * first entry) when @succ is @pred's current successor (NULL: none): no
 * descent, for callers that know the neighbours from elsewhere.
 */
static void t_link_beside(struct udrm_mm *mm, struct udrm_mm_tree *tree,
			  struct udrm_mm_tree_node *n,
			  struct udrm_mm_tree_node *pred,
			  struct udrm_mm_tree_node *succ)
{
	struct udrm_mm_tree_node *parent = NULL, **link = &tree->root;

	/* A node with a right subtree has a successor without a left child
	 * (the leftmost of that subtree); one without has no right child. */
	if (pred && !pred->right) {
		parent = pred;
		link = &pred->right;
	} else if (succ) {
		parent = succ;
		link = &succ->left;
	}
	n->parent = parent;
	n->left = NULL;
	n->right = NULL;
	n->height = 1;
	n->subtree_max_hole = n->hole_size;
	*link = n;
	t_fixup(mm, tree, parent);
}

static void t_erase(struct udrm_mm *mm, struct udrm_mm_tree *tree,
		    struct udrm_mm_tree_node *n)
{
	struct udrm_mm_tree_node *fix, *succ;

	if (!n->left || !n->right) {
		fix = n->parent;
		t_replace_child(tree, n->parent, n,
				n->left ? n->left : n->right);
	} else {
		succ = n->right;
		while (succ->left)
			succ = succ->left;
		if (succ->parent == n) {
			fix = succ;
		} else {
			fix = succ->parent;
			t_replace_child(tree, succ->parent, succ, succ->right);
			succ->right = n->right;
			n->right->parent = succ;
		}
		succ->left = n->left;
		n->left->parent = succ;
		t_replace_child(tree, n->parent, n, succ);
		/* What @n's ancestors saw: the fixup may stop below @succ. */
		succ->height = n->height;
		succ->subtree_max_hole = n->subtree_max_hole;
		if (fix != succ)
			t_fixup(mm, tree, fix);
		fix = succ;
	}
	t_fixup(mm, tree, fix);
}

static struct udrm_mm_tree_node *t_first(struct udrm_mm_tree_node *t)
{
	if (t)
		while (t->left)
			t = t->left;
	return t;
}

/* The in-order successor of @t, or NULL; counted as one step. */
static struct udrm_mm_tree_node *t_next(struct udrm_mm *mm,
					const struct udrm_mm_tree_node *t)
{
	const struct udrm_mm_tree_node *p;

	mm->debug_tree_steps++;
	if (t->right)
		return t_first(t->right);
	for (p = t->parent; p && t == p->right; t = p, p = p->parent)
		;
	return (struct udrm_mm_tree_node *)p;
}

/* The lowest node of subtree @t with a hole of at least @size, or NULL. */
static struct udrm_mm_tree_node *
t_lowest_fit(struct udrm_mm *mm, struct udrm_mm_tree_node *t, uint64_t size)
{
	while (t && t->subtree_max_hole >= size) {
		mm->debug_tree_steps++;
		if (t_max(t->left) >= size)
			t = t->left;
		else if (t->hole_size >= size)
			return t;
		else
			t = t->right;
	}
	return NULL;
}

static struct udrm_mm_tree_node *
t_highest_fit(struct udrm_mm *mm, struct udrm_mm_tree_node *t, uint64_t size)
{
	while (t && t->subtree_max_hole >= size) {
		mm->debug_tree_steps++;
		if (t_max(t->right) >= size)
			t = t->right;
		else if (t->hole_size >= size)
			return t;
		else
			t = t->left;
	}
	return NULL;
}

/* The next node after @t in address order with a hole of @size or more. */
static struct udrm_mm_tree_node *
t_next_fit(struct udrm_mm *mm, struct udrm_mm_tree_node *t, uint64_t size)
{
	struct udrm_mm_tree_node *found = t_lowest_fit(mm, t->right, size);

	while (!found && t->parent) {
		mm->debug_tree_steps++;
		if (t == t->parent->left) {
			t = t->parent;
			if (t->hole_size >= size)
				return t;
			found = t_lowest_fit(mm, t->right, size);
		} else {
			t = t->parent;
		}
	}
	return found;
}

static struct udrm_mm_tree_node *
t_prev_fit(struct udrm_mm *mm, struct udrm_mm_tree_node *t, uint64_t size)
{
	struct udrm_mm_tree_node *found = t_highest_fit(mm, t->left, size);

	while (!found && t->parent) {
		mm->debug_tree_steps++;
		if (t == t->parent->right) {
			t = t->parent;
			if (t->hole_size >= size)
				return t;
			found = t_highest_fit(mm, t->left, size);
		} else {
			t = t->parent;
		}
	}
	return found;
}

static struct udrm_mm_node *addr_to_node(const struct udrm_mm_tree_node *t)
{
	return t ? mm_container_of(t, struct udrm_mm_node, hole_by_addr) : NULL;
}

static struct udrm_mm_node *size_to_node(const struct udrm_mm_tree_node *t)
{
	return t ? mm_container_of(t, struct udrm_mm_node, hole_by_size) : NULL;
}

static struct udrm_mm_node *rb_to_node(const struct udrm_mm_tree_node *t)
{
	return t ? mm_container_of(t, struct udrm_mm_node, rb) : NULL;
}

/* ---- holes ---- */

static uint64_t hole_start(const struct udrm_mm_node *node)
{
	return node->start + node->size;
}

static uint64_t hole_end(const struct udrm_mm_node *node)
{
	return next_node(node)->start;
}

/* Puts @node's hole, of node->hole_size > 0, into the trees and atop the
 * stack. */
static void add_hole(struct udrm_mm_node *node)
{
	struct udrm_mm *mm = node->mm;

	node->hole_by_addr.key = hole_start(node);
	node->hole_by_addr.hole_size = node->hole_size;
	t_insert(mm, &mm->holes_addr, &node->hole_by_addr, false);
	node->hole_by_size.key = hole_start(node);
	node->hole_by_size.hole_size = node->hole_size;
	t_insert(mm, &mm->holes_size, &node->hole_by_size, true);
	link_add_after(&node->hole_stack, &mm->hole_stack);
}

static void rm_hole(struct udrm_mm_node *node)
{
	struct udrm_mm *mm = node->mm;

	t_erase(mm, &mm->holes_addr, &node->hole_by_addr);
	t_erase(mm, &mm->holes_size, &node->hole_by_size);
	link_del(&node->hole_stack);
	node->hole_size = 0;
}

/*
 * Recomputes @node's hole after its next node changed. A hole that stays
 * keeps its place in the address tree (same key) and only the
 * augmentation moves up, as far as it changes; the size tree and the
 * stack take it anew.
 */
static void resize_hole(struct udrm_mm_node *node)
{
	struct udrm_mm *mm = node->mm;
	uint64_t size = hole_end(node) - hole_start(node), old;
	struct udrm_mm_tree_node *t = &node->hole_by_addr;

	if (!node->hole_size) {
		node->hole_size = size;
		if (size)
			add_hole(node);
		return;
	}
	if (!size) {
		rm_hole(node);
		return;
	}
	node->hole_size = size;
	t->hole_size = size;
	for (; t; t = t->parent) {
		mm->debug_tree_steps++;
		old = t->subtree_max_hole;
		t_update(t);
		if (t->subtree_max_hole == old)
			break;
	}
	t_erase(mm, &mm->holes_size, &node->hole_by_size);
	node->hole_by_size.hole_size = size;
	t_insert(mm, &mm->holes_size, &node->hole_by_size, true);
	link_del(&node->hole_stack);
	link_add_after(&node->hole_stack, &mm->hole_stack);
}

/* Puts @new in @old's place in a tree (same key), in O(1). */
static void t_swap_in(struct udrm_mm_tree *tree, struct udrm_mm_tree_node *old,
		      struct udrm_mm_tree_node *new)
{
	*new = *old;
	t_replace_child(tree, old->parent, old, new);
	if (new->left)
		new->left->parent = new;
	if (new->right)
		new->right->parent = new;
}

/* The hole containing @addr (hole_start <= addr < hole_end), or NULL. */
static struct udrm_mm_node *find_hole_at(struct udrm_mm *mm, uint64_t addr)
{
	struct udrm_mm_tree_node *t = mm->holes_addr.root;

	while (t) {
		mm->debug_tree_steps++;
		if (addr < t->key)
			t = t->left;
		else if (addr - t->key >= t->hole_size)
			t = t->right;
		else
			return addr_to_node(t);
	}
	return NULL;
}

/* The lowest hole ending after @addr, whatever its size. */
static struct udrm_mm_tree_node *hole_ending_after(struct udrm_mm *mm,
						   uint64_t addr)
{
	struct udrm_mm_tree_node *t = mm->holes_addr.root, *best = NULL;

	while (t) {
		mm->debug_tree_steps++;
		if (t->key + t->hole_size > addr) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	return best;
}

/* The highest hole starting before @addr, whatever its size. */
static struct udrm_mm_tree_node *hole_starting_before(struct udrm_mm *mm,
						      uint64_t addr)
{
	struct udrm_mm_tree_node *t = mm->holes_addr.root, *best = NULL;

	while (t) {
		mm->debug_tree_steps++;
		if (t->key < addr) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best;
}

/* The smallest hole of at least @size (lowest address among equals). */
static struct udrm_mm_tree_node *best_hole(struct udrm_mm *mm, uint64_t size)
{
	struct udrm_mm_tree_node *t = mm->holes_size.root, *best = NULL;

	while (t) {
		mm->debug_tree_steps++;
		if (t->hole_size >= size) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	return best;
}

static struct udrm_mm_node *first_hole(struct udrm_mm *mm, uint64_t start,
				       uint64_t end, uint64_t size,
				       enum udrm_mm_insert_mode mode)
{
	struct udrm_mm_tree_node *t;

	switch (mode) {
	default:
	case UDRM_MM_INSERT_BEST:
		return size_to_node(best_hole(mm, size));
	case UDRM_MM_INSERT_LOW:
		t = hole_ending_after(mm, start);
		if (t && t->hole_size < size)
			t = t_next_fit(mm, t, size);
		return addr_to_node(t);
	case UDRM_MM_INSERT_HIGH:
		t = hole_starting_before(mm, end);
		if (t && t->hole_size < size)
			t = t_prev_fit(mm, t, size);
		return addr_to_node(t);
	case UDRM_MM_INSERT_EVICT:
		if (mm->hole_stack.next == &mm->hole_stack)
			return NULL;
		return mm_container_of(mm->hole_stack.next, struct udrm_mm_node,
				       hole_stack);
	}
}

static struct udrm_mm_node *next_hole(struct udrm_mm *mm,
				      struct udrm_mm_node *node, uint64_t size,
				      enum udrm_mm_insert_mode mode)
{
	switch (mode) {
	default:
	case UDRM_MM_INSERT_BEST:
		return size_to_node(t_next(mm, &node->hole_by_size));
	case UDRM_MM_INSERT_LOW:
		return addr_to_node(t_next_fit(mm, &node->hole_by_addr, size));
	case UDRM_MM_INSERT_HIGH:
		return addr_to_node(t_prev_fit(mm, &node->hole_by_addr, size));
	case UDRM_MM_INSERT_EVICT:
		if (node->hole_stack.next == &mm->hole_stack)
			return NULL;
		return mm_container_of(node->hole_stack.next,
				       struct udrm_mm_node, hole_stack);
	}
}

/*
 * Places an allocation of @size in [col_start, col_end) ∩ [range_start,
 * range_end) at the bottom (or top for HIGH), aligned; false if it does
 * not fit. Shared by insert and the eviction scan.
 */
static bool fit_in_hole(uint64_t col_start, uint64_t col_end,
			uint64_t range_start, uint64_t range_end, uint64_t size,
			uint64_t alignment, uint64_t remainder_mask,
			enum udrm_mm_insert_mode mode, uint64_t *out_start)
{
	uint64_t lo = max_u64(col_start, range_start);
	uint64_t hi = min_u64(col_end, range_end);
	uint64_t adj_start, rem;

	if (hi <= lo || hi - lo < size)
		return false;
	adj_start = mode == UDRM_MM_INSERT_HIGH ? hi - size : lo;
	if (alignment) {
		rem = remainder_mask ? adj_start & remainder_mask
				     : adj_start % alignment;
		if (rem) {
			adj_start -= rem;
			if (mode != UDRM_MM_INSERT_HIGH) {
				/* Rounding up past 2^64 - 1 cannot fit. */
				if (adj_start > UINT64_MAX - alignment)
					return false;
				adj_start += alignment;
			}
			if (adj_start < lo || adj_start >= hi ||
			    hi - adj_start < size)
				return false;
		}
	}
	*out_start = adj_start;
	return true;
}

static bool is_power_of_2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/*
 * Links @node (start and size set) after @hole's node, whose hole holds
 * it: on the list, into the node tree beside its list neighbours, and
 * splits the hole.
 */
static void link_node_after_hole(struct udrm_mm_node *node,
				 struct udrm_mm_node *hole, struct udrm_mm *mm)
{
	struct udrm_mm_node *next = next_node(hole);

	node->mm = mm;
	node->hole_size = 0;
	node->flags = MM_NODE_ALLOCATED;
	link_add_after(&node->node_list, &hole->node_list);
	node->rb.key = node->start + node->size;
	node->rb.hole_size = 0;
	t_link_beside(mm, &mm->nodes, &node->rb,
		      hole == &mm->head_node ? NULL : &hole->rb,
		      next == &mm->head_node ? NULL : &next->rb);
	resize_hole(hole);
	resize_hole(node);
}

/* ---- aligned searches ---- */

/* What an insert asks for, as the searches below see it. */
struct mm_request {
	uint64_t size, alignment, remainder_mask;
	uint64_t range_start, range_end;
	unsigned long color;
};

/* Whether the request fits @hole (after colour adjustment), placed as
 * @mode places it; its start in *@start. */
static bool hole_fits(struct udrm_mm *mm, struct udrm_mm_node *hole,
		      const struct mm_request *req,
		      enum udrm_mm_insert_mode mode, uint64_t *start)
{
	uint64_t col_start = hole_start(hole);
	uint64_t col_end = col_start + hole->hole_size;

	if (mm->color_adjust)
		mm->color_adjust(hole, req->color, &col_start, &col_end);
	return fit_in_hole(col_start, col_end, req->range_start, req->range_end,
			   req->size, req->alignment, req->remainder_mask, mode,
			   start);
}

static uint64_t align_down(const struct mm_request *req, uint64_t x)
{
	return x - (req->remainder_mask ? x & req->remainder_mask
					: x % req->alignment);
}

/* The lowest multiple of the alignment at or above @x; false if it is
 * past 2^64 - 1. */
static bool align_up(const struct mm_request *req, uint64_t x, uint64_t *out)
{
	uint64_t down = align_down(req, x);

	if (down == x) {
		*out = x;
		return true;
	}
	if (down > UINT64_MAX - req->alignment)
		return false;
	*out = down + req->alignment;
	return true;
}

/*
 * A bottom-up walk over the holes that may hold an aligned allocation.
 * A hole at least as big as the request may still not fit once the
 * start is aligned; when a hole fails, every aligned start up to its end
 * has failed, so the walk goes on from the first aligned address past it
 * (@next) and finds the hole there, skipping the holes in between, which
 * hold no aligned start: by stepping to the next big holes (cheap, and
 * usually they reach next) or, after MM_ALIGNED_SHORT_STEPS of them, with
 * one descent. Each step thus passes at least one hole and one aligned
 * address: it costs O(log n) times the smaller of the numbers of holes and
 * of aligned addresses in the range.
 */
#define MM_ALIGNED_SHORT_STEPS 4

struct aligned_walk {
	struct udrm_mm_tree_node *t; /* the hole of the last step */
	uint64_t next;		     /* lowest aligned start not ruled out */
	bool done;
};

static void low_walk_init(struct aligned_walk *w, const struct mm_request *req)
{
	w->t = NULL;
	w->done = !align_up(req, req->range_start, &w->next);
}

/*
 * One step: the next big enough hole ending past w->next, or NULL (and
 * w->done) when none is left in the range; *@fits says whether the
 * request fits it, at *@start.
 */
static struct udrm_mm_node *low_walk_step(struct udrm_mm *mm,
					  struct aligned_walk *w,
					  const struct mm_request *req,
					  bool *fits, uint64_t *start)
{
	struct udrm_mm_tree_node *t = w->t;
	struct udrm_mm_node *hole;
	uint64_t end;

	*fits = false;
	if (w->done || w->next >= req->range_end ||
	    req->range_end - w->next < req->size) {
		w->done = true;
		return NULL;
	}
	/* The next big holes in address order, until one ends past next;
	 * a descent once a few have not. */
	for (unsigned int i = 0; t && i < MM_ALIGNED_SHORT_STEPS; i++) {
		t = t_next_fit(mm, t, req->size);
		if (!t || t->key + t->hole_size > w->next)
			break;
	}
	if (!t || t->key + t->hole_size <= w->next) {
		t = hole_ending_after(mm, w->next);
		if (t && t->hole_size < req->size)
			t = t_next_fit(mm, t, req->size);
	}
	if (!t || t->key >= req->range_end) {
		w->done = true;
		return NULL;
	}
	w->t = t;
	hole = addr_to_node(t);
	*fits = hole_fits(mm, hole, req, UDRM_MM_INSERT_LOW, start);
	end = t->key + t->hole_size;
	if (!align_up(req, end, &w->next))
		w->done = true;
	return hole;
}

/* The lowest hole the aligned request fits, placed at its bottom. */
static struct udrm_mm_node *find_low_aligned(struct udrm_mm *mm,
					     const struct mm_request *req,
					     uint64_t *start)
{
	struct udrm_mm_node *hole;
	struct aligned_walk w;
	bool fits;

	low_walk_init(&w, req);
	while (!w.done) {
		hole = low_walk_step(mm, &w, req, &fits, start);
		if (fits)
			return hole;
	}
	return NULL;
}

/*
 * The highest hole the aligned request fits, placed at its top: the
 * mirror of the bottom-up walk, from the highest aligned start down.
 */
static struct udrm_mm_node *find_high_aligned(struct udrm_mm *mm,
					      const struct mm_request *req,
					      uint64_t *start)
{
	struct udrm_mm_tree_node *t = NULL;
	struct udrm_mm_node *hole;
	uint64_t top = align_down(req, req->range_end - req->size);

	/* top: the highest aligned start not ruled out; its allocation ends
	 * at or below range_end. */
	while (top >= req->range_start) {
		for (unsigned int i = 0; t && i < MM_ALIGNED_SHORT_STEPS; i++) {
			t = t_prev_fit(mm, t, req->size);
			if (!t || t->key < top + req->size)
				break;
		}
		if (!t || t->key >= top + req->size) {
			t = hole_starting_before(mm, top + req->size);
			if (t && t->hole_size < req->size)
				t = t_prev_fit(mm, t, req->size);
		}
		if (!t || t->key + t->hole_size <= req->range_start)
			return NULL;
		hole = addr_to_node(t);
		if (hole_fits(mm, hole, req, UDRM_MM_INSERT_HIGH, start))
			return hole;
		if (t->key < req->size)
			return NULL;
		top = align_down(req, t->key - req->size);
	}
	return NULL;
}

#define MM_BEST_STEPS_PER_LOW_STEP 16

/*
 * The smallest hole the aligned request fits (the lowest among equals),
 * placed at its bottom. The walk by size stops at the first hole that
 * fits, but may meet many that are big enough and do not; the bottom-up
 * walk must see every hole in the range, but skips those without an
 * aligned start. Both give the same answer: the bottom-up walk takes one
 * step (a descent, dearer) for every MM_BEST_STEPS_PER_LOW_STEP holes by
 * size, and the search stops when either is done.
 */
static struct udrm_mm_node *find_best_aligned(struct udrm_mm *mm,
					      const struct mm_request *req,
					      uint64_t *start)
{
	struct udrm_mm_node *hole, *low_best = NULL;
	struct udrm_mm_tree_node *t;
	struct aligned_walk w;
	uint64_t low_start = 0;
	bool fits;

	t = best_hole(mm, req->size);
	if (!t)
		return NULL;
	if (hole_fits(mm, size_to_node(t), req, UDRM_MM_INSERT_BEST, start))
		return size_to_node(t);
	low_walk_init(&w, req);
	for (unsigned int by_size = 1;; by_size++) {
		t = t_next(mm, t);
		if (!t)
			return NULL;
		if (hole_fits(mm, size_to_node(t), req, UDRM_MM_INSERT_BEST,
			      start))
			return size_to_node(t);
		if (by_size % MM_BEST_STEPS_PER_LOW_STEP)
			continue;

		hole = low_walk_step(mm, &w, req, &fits, start);
		if (fits &&
		    (!low_best || hole->hole_size < low_best->hole_size)) {
			low_best = hole;
			low_start = *start;
		}
		if (w.done || (low_best && low_best->hole_size == req->size)) {
			*start = low_start;
			return low_best;
		}
	}
}

/* ---- the exported API ---- */

int udrm_mm_init(struct udrm_mm *mm, uint64_t start, uint64_t size)
{
	if (!size || size > UINT64_MAX - start)
		return -EINVAL;
	*mm = (struct udrm_mm){0};
	link_init(&mm->hole_stack);
	link_init(&mm->head_node.node_list);
	link_init(&mm->head_node.hole_stack);
	mm->head_node.mm = mm;
	/* The head sits at the end with a negative size: its hole is the
	 * whole range, [start, start + size). */
	mm->head_node.start = start + size;
	mm->head_node.size = (uint64_t)0 - size;
	resize_hole(&mm->head_node);
	return 0;
}

int udrm_mm_takedown(struct udrm_mm *mm)
{
	if (!udrm_mm_clean(mm))
		return -EBUSY;
	rm_hole(&mm->head_node);
	mm->head_node.mm = NULL;
	return 0;
}

bool udrm_mm_clean(const struct udrm_mm *mm)
{
	return mm->head_node.node_list.next == &mm->head_node.node_list;
}

bool udrm_mm_initialized(const struct udrm_mm *mm)
{
	return mm->head_node.mm == mm;
}

int udrm_mm_reserve_node(struct udrm_mm *mm, struct udrm_mm_node *node)
{
	struct udrm_mm_node *hole;
	uint64_t end = node->start + node->size, adj_start, adj_end;

	if (node->flags & MM_NODE_ALLOCATED)
		return -EINVAL;
	/* As the kernel: an empty or wrapping range cannot be reserved. */
	if (end <= node->start)
		return -ENOSPC;
	if (mm->scan_active)
		return -EBUSY;
	hole = find_hole_at(mm, node->start);
	if (!hole)
		return -ENOSPC;
	adj_start = hole_start(hole);
	adj_end = adj_start + hole->hole_size;
	if (mm->color_adjust)
		mm->color_adjust(hole, node->color, &adj_start, &adj_end);
	if (adj_start > node->start || adj_end < end)
		return -ENOSPC;
	link_node_after_hole(node, hole, mm);
	return 0;
}

int udrm_mm_insert_node_in_range(struct udrm_mm *mm, struct udrm_mm_node *node,
				 uint64_t size, uint64_t alignment,
				 unsigned long color, uint64_t range_start,
				 uint64_t range_end,
				 enum udrm_mm_insert_mode mode)
{
	struct udrm_mm_node *hole;
	uint64_t remainder_mask, start;
	unsigned int base;
	bool once;

	once = mode & UDRM_MM_INSERT_ONCE;
	base = mode & ~(unsigned int)UDRM_MM_INSERT_ONCE;
	if (node->flags & MM_NODE_ALLOCATED || range_start > range_end ||
	    base > UDRM_MM_INSERT_EVICT)
		return -EINVAL;
	/* As the kernel: nothing fits a zero size. */
	if (!size)
		return -ENOSPC;
	if (mm->scan_active)
		return -EBUSY;
	if (range_end - range_start < size || t_max(mm->holes_addr.root) < size)
		return -ENOSPC;
	mode = (enum udrm_mm_insert_mode)base;
	if (alignment <= 1)
		alignment = 0;
	remainder_mask = is_power_of_2(alignment) ? alignment - 1 : 0;

	if (alignment && !once && mode != UDRM_MM_INSERT_EVICT) {
		const struct mm_request req = {
			.size = size,
			.alignment = alignment,
			.remainder_mask = remainder_mask,
			.range_start = range_start,
			.range_end = range_end,
			.color = color,
		};

		if (mode == UDRM_MM_INSERT_LOW)
			hole = find_low_aligned(mm, &req, &start);
		else if (mode == UDRM_MM_INSERT_HIGH)
			hole = find_high_aligned(mm, &req, &start);
		else
			hole = find_best_aligned(mm, &req, &start);
		if (!hole)
			return -ENOSPC;
		goto insert;
	}

	for (hole = first_hole(mm, range_start, range_end, size, mode); hole;
	     hole = once ? NULL : next_hole(mm, hole, size, mode)) {
		uint64_t col_start = hole_start(hole);
		uint64_t col_end = col_start + hole->hole_size;

		/* Address-ordered walks can stop once past the range. */
		if (mode == UDRM_MM_INSERT_LOW && col_start >= range_end)
			return -ENOSPC;
		if (mode == UDRM_MM_INSERT_HIGH && col_end <= range_start)
			return -ENOSPC;
		if (mm->color_adjust)
			mm->color_adjust(hole, color, &col_start, &col_end);
		if (fit_in_hole(col_start, col_end, range_start, range_end,
				size, alignment, remainder_mask, mode, &start))
			goto insert;
	}
	return -ENOSPC;

insert:
	node->start = start;
	node->size = size;
	node->color = color;
	link_node_after_hole(node, hole, mm);
	return 0;
}

int udrm_mm_insert_node_generic(struct udrm_mm *mm, struct udrm_mm_node *node,
				uint64_t size, uint64_t alignment,
				unsigned long color,
				enum udrm_mm_insert_mode mode)
{
	return udrm_mm_insert_node_in_range(mm, node, size, alignment, color, 0,
					    UINT64_MAX, mode);
}

int udrm_mm_insert_node(struct udrm_mm *mm, struct udrm_mm_node *node,
			uint64_t size)
{
	return udrm_mm_insert_node_generic(mm, node, size, 0, 0,
					   UDRM_MM_INSERT_BEST);
}

void udrm_mm_remove_node(struct udrm_mm_node *node)
{
	struct udrm_mm *mm = node->mm;
	struct udrm_mm_node *prev = list_node(node->node_list.prev);

	if (node->hole_size)
		rm_hole(node);
	t_erase(mm, &mm->nodes, &node->rb);
	link_del(&node->node_list);
	resize_hole(prev);
	node->flags = 0;
	node->mm = NULL;
}

void udrm_mm_replace_node(struct udrm_mm_node *old, struct udrm_mm_node *new)
{
	struct udrm_mm *mm = old->mm;

	/* As the kernel: @new takes @old's places in place, in O(1). */
	new->start = old->start;
	new->size = old->size;
	new->color = old->color;
	new->mm = mm;
	new->hole_size = old->hole_size;
	new->flags = MM_NODE_ALLOCATED;
	link_add_after(&new->node_list, &old->node_list);
	link_del(&old->node_list);
	t_swap_in(&mm->nodes, &old->rb, &new->rb);
	if (old->hole_size) {
		t_swap_in(&mm->holes_addr, &old->hole_by_addr,
			  &new->hole_by_addr);
		t_swap_in(&mm->holes_size, &old->hole_by_size,
			  &new->hole_by_size);
		link_add_after(&new->hole_stack, &old->hole_stack);
		link_del(&old->hole_stack);
	} else {
		link_init(&new->hole_stack);
	}
	old->flags = 0;
	old->mm = NULL;
	old->hole_size = 0;
}

bool udrm_mm_node_allocated(const struct udrm_mm_node *node)
{
	return node->flags & MM_NODE_ALLOCATED;
}

bool udrm_mm_node_scanned(const struct udrm_mm_node *node)
{
	return node->flags & MM_NODE_SCANNED;
}

bool udrm_mm_hole_follows(const struct udrm_mm_node *node)
{
	return node->hole_size != 0;
}

uint64_t udrm_mm_hole_node_start(const struct udrm_mm_node *node)
{
	return hole_start(node);
}

uint64_t udrm_mm_hole_node_end(const struct udrm_mm_node *node)
{
	return hole_end(node);
}

const struct udrm_mm_node *udrm_mm_next_node(const struct udrm_mm_node *node)
{
	return next_node(node);
}

struct udrm_mm_node *udrm_mm_first_node(const struct udrm_mm *mm)
{
	return udrm_mm_next_allocated(&mm->head_node);
}

struct udrm_mm_node *udrm_mm_next_allocated(const struct udrm_mm_node *node)
{
	struct udrm_mm_node *next = next_node(node);

	return next == &next->mm->head_node ? NULL : next;
}

struct udrm_mm_node *udrm_mm_first_hole(const struct udrm_mm *mm)
{
	return addr_to_node(t_first(mm->holes_addr.root));
}

struct udrm_mm_node *udrm_mm_next_hole(const struct udrm_mm_node *node)
{
	return addr_to_node(t_next(node->mm, &node->hole_by_addr));
}

struct udrm_mm_node *udrm_mm_interval_first(const struct udrm_mm *mm,
					    uint64_t start, uint64_t last)
{
	const struct udrm_mm_tree_node *t = mm->nodes.root, *best = NULL;
	struct udrm_mm_node *node;

	if (last < start)
		return NULL;
	/* Nodes do not overlap: the first one ending after @start. */
	while (t) {
		mm->head_node.mm->debug_tree_steps++;
		if (t->key > start) {
			best = t;
			t = t->left;
		} else {
			t = t->right;
		}
	}
	node = rb_to_node(best);
	if (!node || node->start > last)
		return NULL;
	return node;
}

int udrm_mm_scan_init_with_range(struct udrm_mm_scan *scan, struct udrm_mm *mm,
				 uint64_t size, uint64_t alignment,
				 unsigned long color, uint64_t range_start,
				 uint64_t range_end,
				 enum udrm_mm_insert_mode mode)
{
	if (!size || range_start >= range_end ||
	    size > range_end - range_start || mm->scan_active)
		return -EINVAL;
	if (alignment <= 1)
		alignment = 0;
	*scan = (struct udrm_mm_scan){
		.mm = mm,
		.size = size,
		.alignment = alignment,
		.remainder_mask = is_power_of_2(alignment) ? alignment - 1 : 0,
		.range_start = range_start,
		.range_end = range_end,
		.hit_start = UINT64_MAX,
		.hit_end = 0,
		.color = color,
		.mode = (enum udrm_mm_insert_mode)(
			mode & ~(unsigned int)UDRM_MM_INSERT_ONCE),
	};
	return 0;
}

int udrm_mm_scan_init(struct udrm_mm_scan *scan, struct udrm_mm *mm,
		      uint64_t size, uint64_t alignment, unsigned long color,
		      enum udrm_mm_insert_mode mode)
{
	return udrm_mm_scan_init_with_range(scan, mm, size, alignment, color, 0,
					    UINT64_MAX, mode);
}

bool udrm_mm_scan_add_block(struct udrm_mm_scan *scan,
			    struct udrm_mm_node *node)
{
	struct udrm_mm *mm = scan->mm;
	struct udrm_mm_node *hole;
	uint64_t col_start, col_end, start;

	node->flags |= MM_NODE_SCANNED;
	mm->scan_active++;

	/*
	 * Unlink the node so that the space before it joins the space after
	 * it; its own links stay, so remove_block can put it back.
	 */
	hole = list_node(node->node_list.prev);
	link_del_keep(&node->node_list);

	col_start = hole_start(hole);
	col_end = hole_end(hole);
	if (mm->color_adjust)
		mm->color_adjust(hole, scan->color, &col_start, &col_end);
	if (!fit_in_hole(col_start, col_end, scan->range_start, scan->range_end,
			 scan->size, scan->alignment, scan->remainder_mask,
			 scan->mode, &start))
		return false;
	scan->hit_start = start;
	scan->hit_end = start + scan->size;
	return true;
}

bool udrm_mm_scan_remove_block(struct udrm_mm_scan *scan,
			       struct udrm_mm_node *node)
{
	struct udrm_mm_node *prev = list_node(node->node_list.prev);

	node->flags &= ~MM_NODE_SCANNED;
	scan->mm->scan_active--;
	/* Walking back in reverse order, prev still links to our next. */
	link_add_after(&node->node_list, &prev->node_list);
	return node->start + node->size > scan->hit_start &&
	       node->start < scan->hit_end;
}

struct udrm_mm_node *udrm_mm_scan_color_evict(struct udrm_mm_scan *scan)
{
	struct udrm_mm *mm = scan->mm;
	struct udrm_mm_node *hole;
	uint64_t start, end;

	if (!mm->color_adjust || scan->hit_end <= scan->hit_start)
		return NULL;
	hole = find_hole_at(mm, scan->hit_start);
	if (!hole)
		return NULL;
	start = hole_start(hole);
	end = start + hole->hole_size;
	if (end - scan->hit_start < scan->hit_end - scan->hit_start)
		return NULL;
	mm->color_adjust(hole, scan->color, &start, &end);
	if (start > scan->hit_start)
		return hole;
	if (end < scan->hit_end)
		return next_node(hole);
	return NULL;
}

void udrm_mm_print(const struct udrm_mm *mm, FILE *out)
{
	const struct udrm_mm_node *node = &mm->head_node;
	uint64_t used = 0, free_space = 0;

	do {
		if (node != &mm->head_node) {
			fprintf(out, "%#018llx-%#018llx: %llu: used\n",
				(unsigned long long)node->start,
				(unsigned long long)(node->start + node->size),
				(unsigned long long)node->size);
			used += node->size;
		}
		if (node->hole_size) {
			fprintf(out, "%#018llx-%#018llx: %llu: free\n",
				(unsigned long long)hole_start(node),
				(unsigned long long)(hole_start(node) +
						     node->hole_size),
				(unsigned long long)node->hole_size);
			free_space += node->hole_size;
		}
		node = next_node(node);
	} while (node != &mm->head_node);
	fprintf(out, "total: %llu, used %llu free %llu\n",
		(unsigned long long)(used + free_space),
		(unsigned long long)used, (unsigned long long)free_space);
}

uint64_t udrm_mm_debug_tree_steps(const struct udrm_mm *mm)
{
	return mm->debug_tree_steps;
}
