/* SPDX-License-Identifier: MIT */
/*
 * Counters as lbctl and the metrics endpoint show them (L1): the datapath's
 * single-writer counters, minus the baseline taken by the last "zero"
 * (ipvsadm -Z, which must not write into the datapath's memory), plus rates
 * estimated the way IPVS's estimator does it: sampled every STATS_PERIOD_MS,
 * smoothed with weight 1/4. No I/O: time is an argument.
 */
#ifndef LB_STATS_H
#define LB_STATS_H

#include "ctl_proto.h"
#include "dp.h"

#define STATS_PERIOD_MS	2000	/* as IPVS's estimator */

/* One counter set read at one instant. */
struct stats_sample {
	uint64_t conns, inpkts, outpkts, inbytes, outbytes;
};

/* Rates, per second, smoothed. */
struct stats_rate {
	double cps, inpps, outpps, inbps, outbps;
};

struct stats_slot {
	struct stats_sample base;	/* what "zero" subtracted */
	struct stats_sample last;	/* at the previous tick */
	struct stats_rate rate;
	bool primed;			/* last is valid */
};

struct stats {
	struct stats_slot svc[CFG_SVC_MAX];
	struct stats_slot rs[SVC_SLOTS];
	uint32_t last_ms;		/* time of the previous tick */
	bool started;
};

/* Resets <s>. */
void stats_init(struct stats *s);

/*
 * Samples every counter of <st> at <now> (ms) and updates the rates when at
 * least STATS_PERIOD_MS has passed since the previous sample. Call often.
 */
void stats_tick(struct stats *s, const struct dp_stats *st, uint32_t now);

/* Service counter slot <idx> as lbctl shows it. */
void stats_svc(const struct stats *s, const struct dp_stats *st, uint16_t idx,
	       struct ctl_stats *out);

/* Real server slot <slot> as lbctl shows it. */
void stats_rs(const struct stats *s, const struct dp_stats *st, uint16_t slot,
	      struct ctl_stats *out);

/* ipvsadm -Z for a service slot or a real server slot: counters from 0 again. */
void stats_zero_svc(struct stats *s, const struct dp_stats *st, uint16_t idx);
void stats_zero_rs(struct stats *s, const struct dp_stats *st, uint16_t slot);

#endif /* LB_STATS_H */
