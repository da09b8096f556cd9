/* SPDX-License-Identifier: MIT */
/*
 * Counters as lbctl and the metrics endpoint show them (L1): the datapath's
 * single-writer counters, minus the baseline taken by the last "zero"
 * (ipvsadm -Z, which must not write into the datapath's memory), plus rates
 * estimated the way IPVS's estimator does it: sampled every STATS_PERIOD_MS,
 * smoothed with weight 1/4. No I/O: time is an argument.
 *
 * The datapath counts per real server slot only. A service's counters are
 * derived here, as the sum over the slots its real servers hold plus what
 * real servers that have left it counted while they were in it: one counter
 * set less per packet, and the figures ipvsadm shows are the same.
 */
#ifndef LB_STATS_H
#define LB_STATS_H

#include "ctl_proto.h"
#include "dp.h"

#define STATS_PERIOD_MS	2000	/* as IPVS's estimator */
#define STATS_NO_SVC	0xffff	/* stats.owner[] of a slot no service holds */

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
	uint16_t owner[SVC_SLOTS];	/* rs slot -> its service's slot */
	struct stats_sample start[SVC_SLOTS];	/* rs slot's counters when its tenant came */
	struct stats_sample gone[CFG_SVC_MAX];	/* counted by real servers that left */
	uint32_t last_ms;		/* time of the previous tick */
	bool started;
};

/* Resets <s>: no slot belongs to a service. */
void stats_init(struct stats *s);

/*
 * Samples every counter of <st> at <now> (ms) and updates the rates when at
 * least STATS_PERIOD_MS has passed since the previous sample. Call often.
 */
void stats_tick(struct stats *s, const struct dp_stats *st, uint32_t now);

/*
 * From now on, what rs slot <slot> counts is service slot <svc>'s; what it
 * counted before stays with the service it counted for. Call for every slot
 * of every table published (a no-op when nothing changed): a real server
 * keeps its slot when its service is re-created in another service slot.
 */
void stats_rs_own(struct stats *s, const struct dp_stats *st, uint16_t slot,
		  uint16_t svc);

/*
 * The real server in <slot> leaves for good, its share staying with its
 * service: stats_rs_own() to no service. Call only once the datapath can no
 * longer count into the slot (no flows, and no table that schedules to it).
 */
void stats_rs_leave(struct stats *s, const struct dp_stats *st, uint16_t slot);

/* A new service takes service slot <idx>: its counters start from zero. */
void stats_svc_enter(struct stats *s, const struct dp_stats *st, uint16_t idx);

/*
 * Service slot <idx>'s counters since it came, not "zero"ed: what its real
 * servers counted while they were in it.
 */
void stats_svc_total(const struct stats *s, const struct dp_stats *st,
		     uint16_t idx, struct stats_sample *out);

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
