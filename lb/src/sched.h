/* SPDX-License-Identifier: MIT */
/*
 * Scheduler interface (L0): picks the real server for a new flow. A scheduler
 * sees only an array of destinations with effective weights and its own
 * state; it hears about weight or health changes only through update().
 * Pure: no I/O, no clock, no allocation.
 */
#ifndef LB_SCHED_H
#define LB_SCHED_H

#include "types.h"

/* One destination as a scheduler sees it. */
struct sched_dest {
	uint32_t weight;	/* effective weight: 0 = no new flows (down, drained) */
	int64_t cur;		/* scheduler-private (wrr's current weight) */
};

/* Per-service scheduler state, owned by whoever calls pick(). */
struct sched_state {
	uint32_t next;		/* rr: where the next search starts */
	int64_t total;		/* wrr: sum of effective weights */
};

struct sched_ops {
	const char *name;	/* "rr", "wrr": lb_algo and ipvsadm -s */
	/* Sets up <st> for <n> destinations <d>. */
	void (*init)(struct sched_state *st, struct sched_dest *d, size_t n);
	/* Weights or health in <d> changed: start a fresh cycle. */
	void (*update)(struct sched_state *st, struct sched_dest *d, size_t n);
	/* Index of the destination for a new flow, or -1 when none has weight. */
	int (*pick)(struct sched_state *st, struct sched_dest *d, size_t n);
};

extern const struct sched_ops sched_rr_ops;
extern const struct sched_ops sched_wrr_ops;

/* The scheduler called <name>, or NULL when there is none. */
const struct sched_ops *sched_find(const char *name);

#endif /* LB_SCHED_H */
