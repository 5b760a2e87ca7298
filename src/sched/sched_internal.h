/* SPDX-License-Identifier: MIT */
/*
 * Private to src/sched: the list helpers, the job fences' life cycle and
 * what the entity and the scheduler's worker call in each other.
 */
#ifndef UDRM_SCHED_INTERNAL_H
#define UDRM_SCHED_INTERNAL_H

#include <stddef.h>

#include "sched/gpu_scheduler.h"

static inline void sched_list_init(struct udrm_sched_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool sched_list_empty(const struct udrm_sched_list *head)
{
	return head->next == head;
}

static inline void sched_list_add_tail(struct udrm_sched_list *node,
				       struct udrm_sched_list *head)
{
	node->prev = head->prev;
	node->next = head;
	head->prev->next = node;
	head->prev = node;
}

static inline void sched_list_del(struct udrm_sched_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	sched_list_init(node);
}

#define sched_container_of(ptr, type, member)                                  \
	((type *)((char *)(ptr)-offsetof(type, member)))

#define sched_job_of(node) sched_container_of(node, struct udrm_sched_job, link)

/* sched_fence.c */
struct udrm_sched_fence *sched_fence_alloc(void);
void sched_fence_init(struct udrm_sched_fence *fence,
		      struct udrm_fence_names *names, uint64_t context,
		      uint64_t seqno);
void sched_fence_free_unarmed(struct udrm_sched_fence *fence);
void sched_fence_scheduled(struct udrm_sched_fence *fence,
			   struct udrm_fence *parent);
void sched_fence_finished(struct udrm_sched_fence *fence, int result);

/* sched_entity.c */
struct udrm_sched_entity_stats *
sched_stats_get(struct udrm_sched_entity_stats *stats);
void sched_stats_put(struct udrm_sched_entity_stats *stats);
/* Completes a job that will never run with @error and frees it. */
void sched_job_kill(struct udrm_sched_job *job, int error);

#endif
