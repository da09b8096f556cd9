/* SPDX-License-Identifier: MIT */
/*
 * Counter baselines, derived service counters and rate estimation. L1:
 * reads the datapath's counters with relaxed atomic loads, writes only its
 * own struct.
 *
 * The datapath's counters only grow (one writer, 64 bits), and every
 * baseline is an earlier sample of the same counter: a slot counts for a
 * service from the slot's counters when it began to (stats_rs_own()), and
 * "zero" takes a later sample. So "now - then" never goes below zero, and
 * neither does a service's total, which only adds such differences.
 */
#include <string.h>

#include "stats.h"

static void sample(const struct dp_ctr *c, struct stats_sample *out)
{
	out->conns = dp_read(&c->conns);
	out->inpkts = dp_read(&c->pkts_in);
	out->outpkts = dp_read(&c->pkts_out);
	out->inbytes = dp_read(&c->bytes_in);
	out->outbytes = dp_read(&c->bytes_out);
}

/* *<acc> += <a> - <b>, field by field. */
static void add_diff(struct stats_sample *acc, const struct stats_sample *a,
		     const struct stats_sample *b)
{
	acc->conns += a->conns - b->conns;
	acc->inpkts += a->inpkts - b->inpkts;
	acc->outpkts += a->outpkts - b->outpkts;
	acc->inbytes += a->inbytes - b->inbytes;
	acc->outbytes += a->outbytes - b->outbytes;
}

/* *<acc> += what slot <slot> counted since it began to count for its service. */
static void add_share(const struct stats *s, const struct dp_stats *st,
		      size_t slot, struct stats_sample *acc)
{
	struct stats_sample now;

	sample(&st->rs[slot], &now);
	add_diff(acc, &now, &s->start[slot]);
}

void stats_init(struct stats *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SVC_SLOTS; i++)
		s->owner[i] = STATS_NO_SVC;
}

void stats_rs_own(struct stats *s, const struct dp_stats *st, uint16_t slot,
		  uint16_t svc)
{
	struct stats_sample now;

	if (slot >= SVC_SLOTS || (svc >= CFG_SVC_MAX && svc != STATS_NO_SVC) ||
	    s->owner[slot] == svc)
		return;
	/* One sample for both sides: a packet counted meanwhile is in one. */
	sample(&st->rs[slot], &now);
	if (s->owner[slot] != STATS_NO_SVC)
		add_diff(&s->gone[s->owner[slot]], &now, &s->start[slot]);
	s->start[slot] = now;
	s->owner[slot] = svc;
}

void stats_rs_leave(struct stats *s, const struct dp_stats *st, uint16_t slot)
{
	stats_rs_own(s, st, slot, STATS_NO_SVC);
}

void stats_svc_enter(struct stats *s, const struct dp_stats *st, uint16_t idx)
{
	if (idx >= CFG_SVC_MAX)
		return;
	memset(&s->gone[idx], 0, sizeof(s->gone[idx]));
	stats_zero_svc(s, st, idx);
	s->svc[idx].primed = false;	/* the last tick sampled the old tenant */
}

/* Every service's total in one pass over the real server slots. */
static void svc_totals(const struct stats *s, const struct dp_stats *st,
		       struct stats_sample *out)
{
	size_t i;

	memcpy(out, s->gone, sizeof(s->gone));
	for (i = 0; i < SVC_SLOTS; i++)
		if (s->owner[i] != STATS_NO_SVC)
			add_share(s, st, i, &out[s->owner[i]]);
}

void stats_svc_total(const struct stats *s, const struct dp_stats *st,
		     uint16_t idx, struct stats_sample *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (idx >= CFG_SVC_MAX)
		return;
	*out = s->gone[idx];
	for (i = 0; i < SVC_SLOTS; i++)
		if (s->owner[i] == idx)
			add_share(s, st, i, out);
}

/* One smoothing step, IPVS style: avg += (rate - avg) / 4. */
static void smooth(double *avg, uint64_t now, uint64_t then, double secs)
{
	double rate = (double)(now - then) / secs;

	*avg += (rate - *avg) / 4.0;
}

static void tick_slot(struct stats_slot *sl, const struct stats_sample *now,
		      double secs)
{
	if (sl->primed) {
		smooth(&sl->rate.cps, now->conns, sl->last.conns, secs);
		smooth(&sl->rate.inpps, now->inpkts, sl->last.inpkts, secs);
		smooth(&sl->rate.outpps, now->outpkts, sl->last.outpkts, secs);
		smooth(&sl->rate.inbps, now->inbytes, sl->last.inbytes, secs);
		smooth(&sl->rate.outbps, now->outbytes, sl->last.outbytes, secs);
	}
	sl->last = *now;
	sl->primed = true;
}

void stats_tick(struct stats *s, const struct dp_stats *st, uint32_t now)
{
	struct stats_sample svc[CFG_SVC_MAX], rs;
	uint32_t dt = now - s->last_ms;
	size_t i;

	if (s->started && dt < STATS_PERIOD_MS)
		return;
	svc_totals(s, st, svc);
	for (i = 0; i < CFG_SVC_MAX; i++)
		tick_slot(&s->svc[i], &svc[i], dt / 1000.0);
	for (i = 0; i < SVC_SLOTS; i++) {
		sample(&st->rs[i], &rs);
		tick_slot(&s->rs[i], &rs, dt / 1000.0);
	}
	s->last_ms = now;
	s->started = true;
}

static void view(const struct stats_slot *sl, const struct stats_sample *now,
		 struct ctl_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->conns = now->conns - sl->base.conns;
	out->inpkts = now->inpkts - sl->base.inpkts;
	out->outpkts = now->outpkts - sl->base.outpkts;
	out->inbytes = now->inbytes - sl->base.inbytes;
	out->outbytes = now->outbytes - sl->base.outbytes;
	out->cps = (uint64_t)(sl->rate.cps + 0.5);
	out->inpps = (uint64_t)(sl->rate.inpps + 0.5);
	out->outpps = (uint64_t)(sl->rate.outpps + 0.5);
	out->inbps = (uint64_t)(sl->rate.inbps + 0.5);
	out->outbps = (uint64_t)(sl->rate.outbps + 0.5);
}

void stats_svc(const struct stats *s, const struct dp_stats *st, uint16_t idx,
	       struct ctl_stats *out)
{
	struct stats_sample now;

	stats_svc_total(s, st, idx, &now);
	view(&s->svc[idx], &now, out);
}

void stats_rs(const struct stats *s, const struct dp_stats *st, uint16_t slot,
	      struct ctl_stats *out)
{
	struct stats_sample now;

	sample(&st->rs[slot], &now);
	view(&s->rs[slot], &now, out);
}

static void zero(struct stats_slot *sl, const struct stats_sample *now)
{
	sl->base = *now;
	memset(&sl->rate, 0, sizeof(sl->rate));
}

void stats_zero_svc(struct stats *s, const struct dp_stats *st, uint16_t idx)
{
	struct stats_sample now;

	stats_svc_total(s, st, idx, &now);
	zero(&s->svc[idx], &now);
}

void stats_zero_rs(struct stats *s, const struct dp_stats *st, uint16_t slot)
{
	struct stats_sample now;

	sample(&st->rs[slot], &now);
	zero(&s->rs[slot], &now);
}
