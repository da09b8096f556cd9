/* SPDX-License-Identifier: MIT */
/*
 * Counter baselines and rate estimation. L1: reads the datapath's counters
 * with relaxed atomic loads, writes only its own struct.
 *
 * The datapath's counters only grow (one writer, 64 bits), and a baseline
 * is an earlier sample of the same counter: a slot's new tenant gets a
 * fresh baseline when the model publishes it (model.c, publish()). So
 * "now - then" and "value - base" never go below zero.
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

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

/* One smoothing step, IPVS style: avg += (rate - avg) / 4. */
static void smooth(double *avg, uint64_t now, uint64_t then, double secs)
{
	double rate = (double)(now - then) / secs;

	*avg += (rate - *avg) / 4.0;
}

static void tick_slot(struct stats_slot *sl, const struct dp_ctr *c,
		      double secs)
{
	struct stats_sample now;

	sample(c, &now);
	if (sl->primed) {
		smooth(&sl->rate.cps, now.conns, sl->last.conns, secs);
		smooth(&sl->rate.inpps, now.inpkts, sl->last.inpkts, secs);
		smooth(&sl->rate.outpps, now.outpkts, sl->last.outpkts, secs);
		smooth(&sl->rate.inbps, now.inbytes, sl->last.inbytes, secs);
		smooth(&sl->rate.outbps, now.outbytes, sl->last.outbytes, secs);
	}
	sl->last = now;
	sl->primed = true;
}

void stats_tick(struct stats *s, const struct dp_stats *st, uint32_t now)
{
	uint32_t dt = now - s->last_ms;
	size_t i;

	if (s->started && dt < STATS_PERIOD_MS)
		return;
	for (i = 0; i < CFG_SVC_MAX; i++)
		tick_slot(&s->svc[i], &st->svc[i], dt / 1000.0);
	for (i = 0; i < SVC_SLOTS; i++)
		tick_slot(&s->rs[i], &st->rs[i], dt / 1000.0);
	s->last_ms = now;
	s->started = true;
}

static void view(const struct stats_slot *sl, const struct dp_ctr *c,
		 struct ctl_stats *out)
{
	struct stats_sample now;

	sample(c, &now);
	memset(out, 0, sizeof(*out));
	out->conns = now.conns - sl->base.conns;
	out->inpkts = now.inpkts - sl->base.inpkts;
	out->outpkts = now.outpkts - sl->base.outpkts;
	out->inbytes = now.inbytes - sl->base.inbytes;
	out->outbytes = now.outbytes - sl->base.outbytes;
	out->cps = (uint64_t)(sl->rate.cps + 0.5);
	out->inpps = (uint64_t)(sl->rate.inpps + 0.5);
	out->outpps = (uint64_t)(sl->rate.outpps + 0.5);
	out->inbps = (uint64_t)(sl->rate.inbps + 0.5);
	out->outbps = (uint64_t)(sl->rate.outbps + 0.5);
}

void stats_svc(const struct stats *s, const struct dp_stats *st, uint16_t idx,
	       struct ctl_stats *out)
{
	view(&s->svc[idx], &st->svc[idx], out);
}

void stats_rs(const struct stats *s, const struct dp_stats *st, uint16_t slot,
	      struct ctl_stats *out)
{
	view(&s->rs[slot], &st->rs[slot], out);
}

static void zero(struct stats_slot *sl, const struct dp_ctr *c)
{
	sample(c, &sl->base);
	memset(&sl->rate, 0, sizeof(sl->rate));
}

void stats_zero_svc(struct stats *s, const struct dp_stats *st, uint16_t idx)
{
	zero(&s->svc[idx], &st->svc[idx]);
}

void stats_zero_rs(struct stats *s, const struct dp_stats *st, uint16_t slot)
{
	zero(&s->rs[slot], &st->rs[slot]);
}
