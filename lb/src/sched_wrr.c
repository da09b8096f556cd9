/* SPDX-License-Identifier: MIT */
/*
 * Weighted round robin (L0), the "smooth" variant nginx uses rather than
 * IPVS's gcd walk: the proportions are exact per cycle like IPVS's, and the
 * picks of a heavy server are spread through the cycle instead of bunched.
 *
 * Variables: w[i] is the effective weight, cur[i] the current weight,
 * W = sum of w[i]. Each pick adds w[i] to every cur[i], chooses the largest
 * cur (lowest index on a tie) and subtracts W from it.
 *
 * Invariant: sum(cur) == 0 after every pick, because W was added in total and
 * W subtracted. Over any W consecutive picks from a fresh state every server
 * i is chosen exactly w[i] times, and cur returns to all zeros: a cycle.
 * With weights 1:2:3:4 that is 10 picks, 4 of them to the heaviest server and
 * never two of those in a row. Because the rule is linear in the weights,
 * weights with a common divisor g give the cycle of w/g repeated g times.
 *
 * pick() is O(n) over the service's destinations and runs only for the first
 * packet of a flow.
 */
#include "sched.h"

static void wrr_update(struct sched_state *st, struct sched_dest *d, size_t n)
{
	size_t i;

	st->total = 0;
	for (i = 0; i < n; i++) {
		d[i].cur = 0;
		st->total += d[i].weight;
	}
}

static int wrr_pick(struct sched_state *st, struct sched_dest *d, size_t n)
{
	int best = -1;
	size_t i;

	if (st->total == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!d[i].weight)
			continue;
		d[i].cur += d[i].weight;
		if (best < 0 || d[i].cur > d[best].cur)
			best = (int)i;
	}
	if (best >= 0)		/* only if update() was skipped after a change */
		d[best].cur -= st->total;
	return best;
}

const struct sched_ops sched_wrr_ops = {
	.name = "wrr",
	.init = wrr_update,
	.update = wrr_update,
	.pick = wrr_pick,
};
