/* SPDX-License-Identifier: MIT */
/*
 * Round robin (L0): each destination with a non-zero weight in turn, as
 * IPVS's ip_vs_rr.c. Weights beyond "zero or not" do not matter here.
 */
#include "sched.h"

static void rr_init(struct sched_state *st, struct sched_dest *d, size_t n)
{
	(void)d;
	(void)n;
	st->next = 0;
}

/* Keeping the cursor on update keeps the rotation fair across changes. */
static void rr_update(struct sched_state *st, struct sched_dest *d, size_t n)
{
	(void)d;
	if (st->next >= n)
		st->next = 0;
}

/* At most n probes: terminates even when every weight is zero. */
static int rr_pick(struct sched_state *st, struct sched_dest *d, size_t n)
{
	size_t i, k;

	for (k = 0; k < n; k++) {
		i = (st->next + k) % n;
		if (d[i].weight) {
			st->next = (uint32_t)((i + 1) % n);
			return (int)i;
		}
	}
	return -1;
}

const struct sched_ops sched_rr_ops = {
	.name = "rr",
	.init = rr_init,
	.update = rr_update,
	.pick = rr_pick,
};
