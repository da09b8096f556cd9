/* SPDX-License-Identifier: MIT */
/*
 * Service snapshot: building from the config, lookup, publication.
 * L1: no I/O; allocates only when a table is built.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

static uint32_t svc_hash(__be32 vaddr, __be16 vport, uint8_t proto)
{
	uint32_t h = (uint32_t)vaddr * 0x9e3779b1u;

	h ^= ((uint32_t)vport << 8 | proto) * 0x85ebca6bu;
	h ^= h >> 15;
	return h & (SVC_HASH_SIZE - 1);
}

struct svc *svc_lookup(const struct svc_table *t, __be32 vaddr, __be16 vport,
		       uint8_t proto)
{
	uint32_t h = svc_hash(vaddr, vport, proto);
	uint32_t n;

	/* Open addressing, linear probing; the table is never more than half full. */
	for (n = 0; n < SVC_HASH_SIZE; n++) {
		uint16_t v = t->hash[(h + n) & (SVC_HASH_SIZE - 1)];
		struct svc *s;

		if (!v)
			return NULL;
		s = &t->svc[v - 1];
		if (s->vaddr == vaddr && s->vport == vport && s->proto == proto)
			return s;
	}
	return NULL;
}

bool svc_is_vip(const struct svc_table *t, __be32 addr)
{
	uint16_t i;

	for (i = 0; i < t->n_vip; i++)
		if (t->vip[i] == addr)
			return true;
	return false;
}

uint32_t svc_rs_weight(const struct svc_rs *rs)
{
	return rs->up && rs->has_mac ? rs->weight : 0;
}

bool svc_rs_is_dest(const struct svc_rs *rs)
{
	return rs->up || rs->inhibit;
}

void svc_sched_reset(struct svc *s)
{
	uint16_t i;

	for (i = 0; i < s->n_rs; i++)
		s->sd[i].weight = svc_rs_weight(&s->rs[i]);
	s->sched->update(&s->st, s->sd, s->n_rs);
}

/* True when <a> and <b> schedule over the same servers with the same weights. */
static bool same_dests(const struct svc *a, const struct svc *b)
{
	uint16_t i;

	if (a->sched != b->sched || a->n_rs != b->n_rs)
		return false;
	for (i = 0; i < a->n_rs; i++)
		if (a->rs[i].slot != b->rs[i].slot || a->rs[i].gen != b->rs[i].gen ||
		    a->sd[i].weight != b->sd[i].weight)
			return false;
	return true;
}

void svc_table_inherit(struct svc_table *t, const struct svc_table *old)
{
	uint16_t i, j, k;

	if (!old)
		return;
	for (i = 0; i < t->n_svc; i++) {
		struct svc *s = &t->svc[i];

		for (j = 0; j < old->n_svc && old->svc[j].idx != s->idx; j++)
			;
		if (j == old->n_svc || !same_dests(s, &old->svc[j]))
			continue;
		s->st = old->svc[j].st;
		for (k = 0; k < s->n_rs; k++)
			s->sd[k].cur = old->svc[j].sd[k].cur;
	}
}

void svc_table_free(struct svc_table *t)
{
	uint16_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_svc; i++) {
		free(t->svc[i].rs);
		free(t->svc[i].sd);
	}
	free(t->svc);
	free(t->drain);
	free(t->filter);
	free(t);
}

static void add_vip(struct svc_table *t, __be32 vaddr)
{
	if (!svc_is_vip(t, vaddr))
		t->vip[t->n_vip++] = vaddr;
}

static void add_hash(struct svc_table *t, uint16_t idx)
{
	const struct svc *s = &t->svc[idx];
	uint32_t h = svc_hash(s->vaddr, s->vport, s->proto);

	while (t->hash[h])
		h = (h + 1) & (SVC_HASH_SIZE - 1);
	t->hash[h] = (uint16_t)(idx + 1);
}

static int claim_slot(struct svc_table *t, struct svc_rs *rs, char *err,
		      size_t errlen)
{
	if (rs->slot >= SVC_SLOTS || t->slot[rs->slot]) {
		snprintf(err, errlen, "real server slot %u claimed twice", rs->slot);
		return -1;
	}
	t->slot[rs->slot] = rs;
	return 0;
}

static int build_svc(struct svc_table *t, const struct cfg_svc *cs,
		     uint16_t idx, const struct svc_ref *svc_ref,
		     const struct svc_ref *rs_refs, uint16_t *next_slot,
		     char *err, size_t errlen)
{
	struct svc *s = &t->svc[idx];
	size_t i;

	s->vaddr = cs->vaddr;
	s->vport = cs->vport;
	s->proto = cs->proto;
	s->fwd = (uint8_t)cs->fwd;
	s->idx = svc_ref ? svc_ref->slot : idx;
	s->sched = sched_find(cs->sched);
	if (!s->sched || s->idx >= CFG_SVC_MAX) {
		snprintf(err, errlen, "line %u: unknown scheduler '%s'",
			 cs->line, cs->sched);
		return -1;
	}
	s->rs = calloc(cs->n_rs ? cs->n_rs : 1, sizeof(*s->rs));
	s->sd = calloc(cs->n_rs ? cs->n_rs : 1, sizeof(*s->sd));
	if (!s->rs || !s->sd) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->n_rs = (uint16_t)cs->n_rs;
	for (i = 0; i < cs->n_rs; i++) {
		struct svc_rs *rs = &s->rs[i];

		rs->addr = cs->rs[i].addr;
		rs->port = cs->rs[i].port;
		rs->weight = cs->rs[i].weight;
		rs->inhibit = cs->rs[i].inhibit_on_failure;
		rs->svc = s->idx;
		rs->via = LB_PORT_EXT;
		if (rs_refs) {
			rs->slot = rs_refs[*next_slot].slot;
			rs->gen = rs_refs[*next_slot].gen;
			rs->up = rs_refs[*next_slot].up;
		} else {
			rs->slot = *next_slot;
			rs->gen = 1;
			rs->up = true;
		}
		(*next_slot)++;
		if (claim_slot(t, rs, err, errlen))
			return -1;
	}
	/* MACs come later; svc_table_ready() brings them into the weights. */
	for (i = 0; i < s->n_rs; i++)
		s->sd[i].weight = s->rs[i].up ? s->rs[i].weight : 0;
	s->sched->init(&s->st, s->sd, s->n_rs);
	add_vip(t, s->vaddr);
	add_hash(t, idx);
	return 0;
}

struct svc_table *svc_table_rebuild(const struct cfg *c,
				    const struct svc_ref *svc_refs,
				    const struct svc_ref *rs_refs,
				    const struct svc_rs *drain, uint16_t n_drain,
				    char *err, size_t errlen)
{
	struct svc_table *t;
	uint16_t next_slot = 0, i;
	size_t n_rs = 0;

	for (i = 0; i < c->n_svc; i++)
		n_rs += c->svc[i].n_rs;
	if (c->n_svc > CFG_SVC_MAX || n_rs + n_drain > SVC_SLOTS) {
		snprintf(err, errlen, "too many services or real servers");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto err_nomem;
	t->svc = calloc(c->n_svc ? c->n_svc : 1, sizeof(*t->svc));
	t->drain = calloc(n_drain ? n_drain : 1, sizeof(*t->drain));
	if (!t->svc || !t->drain)
		goto err_free;
	t->expire_nodest_conn = c->expire_nodest_conn;
	t->rx_coalesce_us = c->rx_coalesce_us;
	for (i = 0; i < c->n_svc; i++) {
		t->n_svc = (uint16_t)(i + 1);
		if (build_svc(t, &c->svc[i], i, svc_refs ? &svc_refs[i] : NULL,
			      rs_refs, &next_slot, err, errlen))
			goto err_free_quiet;
	}
	/* A draining server takes no new flows: it is in no service. */
	for (i = 0; i < n_drain; i++) {
		t->drain[i] = drain[i];
		t->drain[i].up = false;
		t->drain[i].inhibit = true;
		t->n_drain = (uint16_t)(i + 1);
		if (claim_slot(t, &t->drain[i], err, errlen))
			goto err_free_quiet;
	}
	return t;

err_free:
	svc_table_free(t);
err_nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
err_free_quiet:
	svc_table_free(t);
	return NULL;
}

struct svc_table *svc_table_build(const struct cfg *c, char *err, size_t errlen)
{
	return svc_table_rebuild(c, NULL, NULL, NULL, 0, err, errlen);
}

void svc_table_ready(struct svc_table *t)
{
	uint16_t i;

	for (i = 0; i < t->n_svc; i++)
		svc_sched_reset(&t->svc[i]);
}

struct svc_table *svc_pub_set(struct svc_pub *pub, struct svc_table *t)
{
	t->gen = ++pub->next_gen;
	return atomic_exchange_explicit(&pub->cur, t, memory_order_acq_rel);
}

struct svc_table *svc_pub_get(struct svc_pub *pub)
{
	return atomic_load_explicit(&pub->cur, memory_order_acquire);
}

void svc_pub_ack(struct svc_pub *pub, const struct svc_table *t)
{
	atomic_store_explicit(&pub->seen, t->gen, memory_order_release);
}

bool svc_pub_released(struct svc_pub *pub, const struct svc_table *old)
{
	return atomic_load_explicit(&pub->seen, memory_order_acquire) > old->gen;
}
