/* SPDX-License-Identifier: MIT */
/*
 * The control plane's model. L2: talks to the kernel through netif and
 * topo, to the health checker through hc, and to the datapath only by
 * publishing tables.
 *
 * Slots. A real server is named by its rs slot for its whole life: flows
 * refer to it as (slot, generation), counters are kept per slot, and the
 * health checker knows it by slot. A rebuild keeps the slot of every real
 * server whose service and address stay the same. A real server that leaves
 * the configuration stays in its slot as a draining entry (IPVS's
 * destination trash) until the datapath reports no flows for it and has left
 * every table in which it could still take new ones; only then is the slot
 * free, and its next tenant gets generation + 1 so that a stale flow can
 * never reach it, and counters from zero. Services get counter slots the
 * same way.
 *
 * Two kinds of rebuild. An apply (reload, lbctl) re-reads routes and binds
 * every real server afresh. A health change or housekeeping keeps the
 * configuration and reuses the binding in force, so it cannot fail on a
 * route that went away meanwhile; several health changes in a row fold into
 * one rebuild (model_flush()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfg_edit.h"
#include "log.h"
#include "model.h"

#define MODEL_RETIRED_MAX	64	/* tables waiting for the datapath to move on */
#define MODEL_WAIT_MS		200	/* longest wait for the datapath to catch up */

struct model_rs_slot {
	bool used;		/* configured or draining */
	bool draining;		/* left the configuration, flows still live */
	bool up;		/* health */
	uint16_t gen;		/* kept while free, so the next tenant gets gen + 1 */
	uint8_t proto;		/* key: service and address, network order */
	__be32 vaddr;
	__be16 vport;
	__be32 daddr;
	__be16 dport;
};

struct model_svc_slot {
	bool used;
	uint8_t proto;
	__be32 vaddr;
	__be16 vport;
};

struct model_slots {
	struct model_rs_slot rs[SVC_SLOTS];
	struct model_svc_slot svc[CFG_SVC_MAX];
	__be32 nexthop[SVC_SLOTS];	/* per rs slot, from the last bind */
};

struct model {
	struct model_env env;
	struct cfg *cfg;
	struct svc_table *cur;
	struct svc_table *retired[MODEL_RETIRED_MAX];
	size_t n_retired;
	struct model_slots slots;
	struct model_slots scratch;	/* the next slots, while a build runs */
	struct model_slots prev;	/* the slots before the last publication */
	uint64_t generation;		/* successful applies */
	bool dirty;			/* health changed since the last publication */
};

static uint32_t slot_conns(const struct model *m, uint16_t slot)
{
	const struct dp_rs_conns *rc = &m->env.st->rs_conns[slot];

	return atomic_load_explicit(&rc->active, memory_order_relaxed) +
	       atomic_load_explicit(&rc->inactive, memory_order_relaxed);
}

static bool rs_key_is(const struct model_rs_slot *r, const struct cfg_svc *s,
		      const struct cfg_rs *rs)
{
	return r->proto == s->proto && r->vaddr == s->vaddr &&
	       r->vport == s->vport && r->daddr == rs->addr &&
	       r->dport == rs->port;
}

/* --- slot assignment ------------------------------------------------------ */

static int assign_svc(const struct model_slots *old, struct model_slots *nx,
		      const struct cfg_svc *s, struct svc_ref *ref)
{
	uint16_t j;

	for (j = 0; j < CFG_SVC_MAX; j++)
		if (old->svc[j].used && !nx->svc[j].used &&
		    old->svc[j].proto == s->proto &&
		    old->svc[j].vaddr == s->vaddr && old->svc[j].vport == s->vport)
			goto found;
	for (j = 0; j < CFG_SVC_MAX; j++)
		if (!old->svc[j].used && !nx->svc[j].used)
			goto found;
	return -1;
found:
	nx->svc[j].used = true;
	nx->svc[j].proto = s->proto;
	nx->svc[j].vaddr = s->vaddr;
	nx->svc[j].vport = s->vport;
	ref->slot = j;
	return 0;
}

static int assign_rs(const struct model_slots *old, struct model_slots *nx,
		     const struct cfg_svc *s, const struct cfg_rs *rs,
		     struct svc_ref *ref)
{
	struct model_rs_slot *r;
	uint16_t j;

	for (j = 0; j < SVC_SLOTS; j++)
		if (old->rs[j].used && !nx->rs[j].used &&
		    rs_key_is(&old->rs[j], s, rs)) {
			nx->rs[j] = old->rs[j];	/* a draining one comes back */
			goto found;
		}
	for (j = 0; j < SVC_SLOTS; j++)
		if (!old->rs[j].used && !nx->rs[j].used) {
			nx->rs[j].gen = (uint16_t)(old->rs[j].gen + 1);
			nx->rs[j].up = true;
			goto found;
		}
	return -1;
found:
	r = &nx->rs[j];
	r->used = true;
	r->draining = false;
	r->proto = s->proto;
	r->vaddr = s->vaddr;
	r->vport = s->vport;
	r->daddr = rs->addr;
	r->dport = rs->port;
	ref->slot = j;
	ref->gen = r->gen;
	ref->up = r->up;
	return 0;
}

static const struct cfg_rs *cfg_rs_of(const struct cfg *c,
				      const struct model_rs_slot *r,
				      const struct cfg_svc **svc);
static bool check_same(const struct cfg_svc *a, const struct cfg_rs *ra,
		       const struct cfg_svc *b, const struct cfg_rs *rb);

/*
 * A real server keeps its health across a rebuild only when its checker
 * stays as it was. A checker that is started afresh (new check settings, a
 * server back from draining) begins "up" and reports only changes, so the
 * slot must begin up too, or it would stay down for good.
 */
static bool keeps_health(const struct model *m, const struct model_rs_slot *was,
			 const struct cfg_svc *s, const struct cfg_rs *rs)
{
	const struct cfg_svc *ps = NULL;
	const struct cfg_rs *pr;

	if (!was->used || was->draining)
		return false;
	pr = cfg_rs_of(m->cfg, was, &ps);
	return pr && check_same(ps, pr, s, rs);
}

/*
 * Decides the next slots for <c> into m->scratch and fills the refs and the
 * draining entries (copied from the table in force). A real server that
 * leaves always drains first: the datapath may still be scheduling new flows
 * to it from the table it has not left yet. A draining slot is freed once it
 * has no flows and no retired table is waiting (so the datapath runs a table
 * where it takes none). Returns the number of draining entries, or -1 when
 * slots run out.
 */
static int assign_all(struct model *m, const struct cfg *c,
		      struct svc_ref *svc_refs, struct svc_ref *rs_refs,
		      struct svc_rs *drain)
{
	const struct model_slots *old = &m->slots;
	struct model_slots *nx = &m->scratch;
	size_t i, j, k = 0;
	int n_drain = 0;
	uint16_t s;

	memset(nx, 0, sizeof(*nx));
	for (s = 0; s < SVC_SLOTS; s++) {
		nx->rs[s].gen = old->rs[s].gen;
		nx->nexthop[s] = old->nexthop[s];
	}
	for (i = 0; i < c->n_svc; i++) {
		if (assign_svc(old, nx, &c->svc[i], &svc_refs[i]))
			return -1;
		for (j = 0; j < c->svc[i].n_rs; j++, k++) {
			const struct cfg_rs *rs = &c->svc[i].rs[j];

			if (assign_rs(old, nx, &c->svc[i], rs, &rs_refs[k]))
				return -1;
			s = rs_refs[k].slot;
			if (!keeps_health(m, &old->rs[s], &c->svc[i], rs))
				rs_refs[k].up = nx->rs[s].up = true;
		}
	}
	for (s = 0; s < SVC_SLOTS; s++) {
		const struct svc_rs *was = m->cur ? m->cur->slot[s] : NULL;

		if (!old->rs[s].used || nx->rs[s].used || !was)
			continue;
		if (old->rs[s].draining && slot_conns(m, s) == 0 &&
		    m->n_retired == 0)
			continue;		/* free: nothing can refer to it */
		nx->rs[s] = old->rs[s];
		nx->rs[s].draining = true;
		nx->svc[was->svc].used = true;	/* its counters stay its own */
		drain[n_drain++] = *was;
	}
	return n_drain;
}

/* --- next hops -------------------------------------------------------------- */

/*
 * Asks the kernel to resolve <addr>: an empty UDP datagram to the discard
 * port makes it send an ARP request, and the next tick finds the answer in
 * the neighbour table. Never blocks.
 */
static void neigh_poke(__be32 addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return;
	sin.sin_addr.s_addr = addr;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, "", 0, 0) == -1)
		log_debug("neighbour poke: %s", strerror(errno));
	close(fd);
}

/* MACs come from the table in force where the next hop is the same one. */
static void fill_macs(struct model *m, struct svc_table *t,
		      const struct topo *tp)
{
	uint16_t i, j;

	for (i = 0; i < t->n_svc; i++)
		for (j = 0; j < t->svc[i].n_rs; j++) {
			struct svc_rs *rs = &t->svc[i].rs[j];
			const struct svc_rs *was = m->cur ? m->cur->slot[rs->slot] : NULL;
			int ifx = t->port[rs->via].ifindex;

			/*
			 * The kernel's entry first, so a changed MAC wins;
			 * else the one lbd had (it may have resolved it with
			 * its own ARP, which the kernel never saw).
			 */
			if (netif_neigh(m->env.nif, ifx, tp->nexthop[rs->slot],
					&rs->mac) == 0) {
				rs->has_mac = true;
			} else if (was && was->has_mac && was->addr == rs->addr &&
				   was->via == rs->via &&
				   m->slots.nexthop[rs->slot] ==
				   tp->nexthop[rs->slot]) {
				rs->mac = was->mac;
				rs->has_mac = true;
			} else {
				neigh_poke(tp->nexthop[rs->slot]);
			}
		}
	if (tp->gw && netif_neigh(m->env.nif, t->port[LB_PORT_EXT].ifindex,
				  tp->gw, &t->gw_mac) == 0)
		t->has_gw = true;
	else if (m->cur && m->cur->has_gw) {
		t->gw_mac = m->cur->gw_mac;
		t->has_gw = true;
	}
}

/* --- build and publish -------------------------------------------------------- */

/*
 * Gives <t> its capture filter; the generation moves only when the text
 * differs from the table in force, so the datapath recompiles it only then.
 */
static int set_filter(const struct model *m, struct svc_table *t, char *err,
		      size_t errlen)
{
	t->filter = topo_filter(t);
	if (!t->filter) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	t->filter_gen = m->cur->filter_gen;
	if (!m->cur->filter || strcmp(t->filter, m->cur->filter) != 0)
		t->filter_gen++;
	return 0;
}

/*
 * Keeps the binding in force for every real server of <t>: interfaces,
 * next hops and MACs as the table in force has them (its slots hold the
 * same servers, draining ones included).
 */
static void keep_binding(const struct model *m, struct svc_table *t)
{
	uint16_t i, j;

	memcpy(t->port, m->cur->port, sizeof(t->port));
	t->has_gw = m->cur->has_gw;
	t->gw_mac = m->cur->gw_mac;
	for (i = 0; i < t->n_svc; i++)
		for (j = 0; j < t->svc[i].n_rs; j++) {
			struct svc_rs *rs = &t->svc[i].rs[j];
			const struct svc_rs *was = m->cur->slot[rs->slot];

			if (!was)
				continue;	/* cannot happen: same config */
			rs->via = was->via;
			rs->has_mac = was->has_mac;
			rs->mac = was->mac;
		}
}

/*
 * Builds the table for <c> into a new svc_table, with the next slots in
 * m->scratch. <rebind>: look up routes and neighbours afresh (an apply);
 * otherwise keep the binding in force (a health change, housekeeping).
 */
static struct svc_table *build(struct model *m, const struct cfg *c,
			       bool rebind, char *err, size_t errlen)
{
	size_t n_rs = cfg_rs_total(c);
	struct svc_ref *svc_refs = calloc(c->n_svc + 1, sizeof(*svc_refs));
	struct svc_ref *rs_refs = calloc(n_rs + 1, sizeof(*rs_refs));
	struct svc_rs *drain = calloc(SVC_SLOTS, sizeof(*drain));
	struct svc_table *t = NULL;
	struct topo tp;
	int n_drain;

	if (!svc_refs || !rs_refs || !drain) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto out;
	}
	n_drain = assign_all(m, c, svc_refs, rs_refs, drain);
	if (n_drain < 0) {
		snprintf(err, errlen, "no free slot for a real server "
			 "(flows of removed ones are still draining)");
		errno = ENOMEM;
		goto out;
	}
	errno = 0;
	t = svc_table_rebuild(c, svc_refs, rs_refs, drain, (uint16_t)n_drain,
			      err, errlen);
	if (!t) {
		if (errno != ENOMEM)
			errno = EINVAL;
		goto out;
	}
	if (!rebind) {
		keep_binding(m, t);
		svc_table_ready(t);
		if (set_filter(m, t, err, errlen))
			goto err_free;
		goto out;
	}
	if (topo_bind(m->env.nif, t, m->env.ext_name, m->env.int_name, &tp,
		      err, errlen)) {
		errno = EINVAL;
		goto err_free;
	}
	if (t->port[LB_PORT_INT].present && !m->env.int_name) {
		snprintf(err, errlen, "a real server is reached through %s, "
			 "which lbd was not started on", tp.port[LB_PORT_INT].name);
		errno = EINVAL;
		goto err_free;
	}
	fill_macs(m, t, &tp);
	for (n_rs = 0; n_rs < SVC_SLOTS; n_rs++)
		if (m->scratch.rs[n_rs].used && !m->scratch.rs[n_rs].draining)
			m->scratch.nexthop[n_rs] = tp.nexthop[n_rs];
	svc_table_ready(t);
	if (set_filter(m, t, err, errlen))
		goto err_free;
	goto out;

err_free:
	svc_table_free(t);
	t = NULL;
out:
	free(svc_refs);
	free(rs_refs);
	free(drain);
	return t;
}

/* Frees the retired tables the datapath has moved past. */
static void reap(struct model *m)
{
	size_t i, kept = 0;

	for (i = 0; i < m->n_retired; i++) {
		if (svc_pub_released(m->env.pub, m->retired[i]))
			svc_table_free(m->retired[i]);
		else
			m->retired[kept++] = m->retired[i];
	}
	m->n_retired = kept;
}

/*
 * Room for one more retired table. The datapath acknowledges a new table
 * within one poll interval, so a full list is waited on, briefly; if the
 * datapath still has not moved on, the publication is refused rather than
 * the memory of a table it may be reading freed.
 */
static bool room_to_retire(struct model *m)
{
	struct timespec ms = { 0, 1000000 };
	int waited;

	reap(m);
	for (waited = 0; m->n_retired == MODEL_RETIRED_MAX &&
	     waited < MODEL_WAIT_MS; waited++) {
		nanosleep(&ms, NULL);
		reap(m);
	}
	return m->n_retired < MODEL_RETIRED_MAX;
}

/*
 * Publishes <t> with the slots in m->scratch, or returns -1 (with <t>
 * freed and nothing changed) when the datapath has not caught up. A slot
 * with a new tenant starts its counters from zero.
 */
static int publish(struct model *m, struct svc_table *t, char *err,
		   size_t errlen)
{
	struct svc_table *old;
	uint16_t s;

	if (!room_to_retire(m)) {
		svc_table_free(t);
		snprintf(err, errlen, "the datapath has not taken the last %d "
			 "tables; try again", MODEL_RETIRED_MAX);
		errno = ENOMEM;
		return -1;
	}
	/*
	 * A tenant leaves only once its slot has drained in a table the
	 * datapath has left (assign_all()), so nothing counts into it any
	 * more; services enter before the real servers that count for them.
	 */
	for (s = 0; s < SVC_SLOTS && m->env.stats; s++)
		if (m->slots.rs[s].used && (!m->scratch.rs[s].used ||
		    m->scratch.rs[s].gen != m->slots.rs[s].gen))
			stats_rs_leave(m->env.stats, m->env.st, s);
	for (s = 0; s < CFG_SVC_MAX && m->env.stats; s++)
		if (m->scratch.svc[s].used && !m->slots.svc[s].used)
			stats_svc_enter(m->env.stats, m->env.st, s);
	for (s = 0; s < SVC_SLOTS && m->env.stats; s++) {
		if (!m->scratch.rs[s].used || !t->slot[s])
			continue;
		if (!m->slots.rs[s].used ||
		    m->scratch.rs[s].gen != m->slots.rs[s].gen)
			stats_zero_rs(m->env.stats, m->env.st, s);
		stats_rs_own(m->env.stats, m->env.st, s, t->slot[s]->svc);
	}
	old = svc_pub_set(m->env.pub, t);
	if (old)
		m->retired[m->n_retired++] = old;
	m->cur = t;
	m->prev = m->slots;
	m->slots = m->scratch;
	m->dirty = false;
	return 0;
}

/* --- health checks -------------------------------------------------------------- */

static const struct cfg_rs *cfg_rs_of(const struct cfg *c,
				      const struct model_rs_slot *r,
				      const struct cfg_svc **svc)
{
	size_t i, j;

	if (!c)
		return NULL;
	for (i = 0; i < c->n_svc; i++)
		for (j = 0; j < c->svc[i].n_rs; j++)
			if (rs_key_is(r, &c->svc[i], &c->svc[i].rs[j])) {
				*svc = &c->svc[i];
				return &c->svc[i].rs[j];
			}
	return NULL;
}

static bool check_same(const struct cfg_svc *a, const struct cfg_rs *ra,
		       const struct cfg_svc *b, const struct cfg_rs *rb)
{
	return a->delay_loop_ms == b->delay_loop_ms && ra->rise == rb->rise &&
	       ra->fall == rb->fall &&
	       ra->inhibit_on_failure == rb->inhibit_on_failure &&
	       memcmp(&ra->check, &rb->check, sizeof(ra->check)) == 0;
}

/*
 * Brings the checker in line with a change from <old> slots under <prev> to
 * <nx> slots under <next>: a real server that left (or whose check changed)
 * stops being checked, a new one (or a changed one) starts. A checker starts
 * from "up", as keepalived's do. Either config may be NULL.
 */
static void sync_checks(struct model *m, const struct model_slots *old,
			const struct model_slots *nx, const struct cfg *prev,
			const struct cfg *next)
{
	uint16_t s;

	if (!m->env.hc)
		return;
	for (s = 0; s < SVC_SLOTS; s++) {
		const struct cfg_svc *ps = NULL, *ns = NULL;
		const struct cfg_rs *pr = NULL, *nr = NULL;
		struct hc_target tg;

		if (old && old->rs[s].used && !old->rs[s].draining)
			pr = cfg_rs_of(prev, &old->rs[s], &ps);
		if (nx->rs[s].used && !nx->rs[s].draining)
			nr = cfg_rs_of(next, &nx->rs[s], &ns);
		if (pr && nr && old->rs[s].gen == nx->rs[s].gen &&
		    check_same(ps, pr, ns, nr))
			continue;
		if (pr && pr->check.kind != CFG_CHECK_NONE)
			hc_remove(m->env.hc, s);
		if (nr && nr->check.kind != CFG_CHECK_NONE &&
		    (hc_target_from_cfg(&tg, s, ns, nr) || hc_add(m->env.hc, &tg)))
			log_warn("health check for slot %u: %s", s, strerror(errno));
	}
}

/* --- public ----------------------------------------------------------------------- */

struct model *model_new(const struct model_env *env, struct cfg *c,
			struct svc_table *first)
{
	struct model *m = calloc(1, sizeof(*m));
	size_t i, j;

	if (!m)
		return NULL;
	m->env = *env;
	m->cfg = c;
	m->cur = first;
	memcpy(m->slots.nexthop, env->topo->nexthop, sizeof(m->slots.nexthop));
	/* svc_table_build() without refs: config order, generation 1, up. */
	for (i = 0; i < first->n_svc; i++) {
		const struct svc *s = &first->svc[i];

		m->slots.svc[s->idx] = (struct model_svc_slot){
			true, s->proto, s->vaddr, s->vport };
		for (j = 0; j < s->n_rs; j++) {
			const struct svc_rs *rs = &s->rs[j];

			m->slots.rs[rs->slot] = (struct model_rs_slot){
				.used = true, .up = rs->up, .gen = rs->gen,
				.proto = s->proto, .vaddr = s->vaddr,
				.vport = s->vport, .daddr = rs->addr,
				.dport = rs->port };
		}
	}
	/* The startup table never goes through publish(): own its slots here. */
	for (i = 0; i < first->n_svc && env->stats; i++) {
		const struct svc *s = &first->svc[i];

		stats_svc_enter(env->stats, env->st, s->idx);
		for (j = 0; j < s->n_rs; j++)
			stats_rs_own(env->stats, env->st, s->rs[j].slot, s->idx);
	}
	sync_checks(m, NULL, &m->slots, NULL, c);
	return m;
}

void model_free(struct model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_retired; i++)
		svc_table_free(m->retired[i]);
	cfg_free(m->cfg);
	free(m);
}

int model_apply(struct model *m, struct cfg *next, char *err, size_t errlen)
{
	struct svc_table *t;
	struct cfg *prev = m->cfg;

	/* Routes or neighbours may have changed since the last look. */
	if (netif_refresh(m->env.nif, err, errlen)) {
		errno = EINVAL;
		return -1;
	}
	t = build(m, next, true, err, errlen);
	if (!t)
		return -1;
	if (publish(m, t, err, errlen))
		return -1;
	sync_checks(m, &m->prev, &m->slots, prev, next);
	m->cfg = next;
	m->generation++;
	cfg_free(prev);
	return 0;
}

/* Rebuilds from the configuration in force, keeping the binding. */
static bool rebuild(struct model *m, const char *why)
{
	char err[256];
	struct svc_table *t = build(m, m->cfg, false, err, sizeof(err));

	if (!t || publish(m, t, err, sizeof(err))) {
		log_warn("rebuilding the service table (%s): %s; will retry",
			 why, err);
		m->dirty = true;
		return false;
	}
	return true;
}

/* Binds the configuration in force afresh (routes and MACs looked up again). */
static bool rebind(struct model *m)
{
	char err[256];
	struct svc_table *t = build(m, m->cfg, true, err, sizeof(err));

	if (!t || publish(m, t, err, sizeof(err))) {
		log_warn("binding the service table again: %s", err);
		return false;
	}
	return true;
}

bool model_set_health(struct model *m, uint16_t slot, bool up)
{
	if (slot >= SVC_SLOTS || !m->slots.rs[slot].used ||
	    m->slots.rs[slot].draining || m->slots.rs[slot].up == up)
		return false;
	m->slots.rs[slot].up = up;
	m->dirty = true;
	return true;
}

bool model_flush(struct model *m)
{
	return m->dirty && rebuild(m, "health");
}

/*
 * True when the kernel's neighbour table disagrees with the table in force:
 * a next hop whose MAC lbd lacks and the kernel now knows, or one whose MAC
 * has changed (a real server's NIC replaced, a VM moved, a router failed
 * over; each announces itself with gratuitous ARP, which the kernel hears,
 * and health checks keep the kernel's entries fresh). IPVS asks the
 * neighbour layer at every transmit; lbd keeps MACs in its snapshot, so it
 * compares once a tick and binds again when they differ. Unknown next hops
 * are poked so that the kernel resolves them.
 */
static bool neighbours_moved(struct model *m)
{
	const struct svc_table *t = m->cur;
	struct lb_mac mac;
	char err[256], a[INET_ADDRSTRLEN];
	__be32 gw = m->env.topo->gw;
	uint16_t i, j;

	if (netif_refresh(m->env.nif, err, sizeof(err))) {
		log_warn("%s", err);
		return false;
	}
	for (i = 0; i < t->n_svc; i++)
		for (j = 0; j < t->svc[i].n_rs; j++) {
			const struct svc_rs *rs = &t->svc[i].rs[j];
			__be32 nh = m->slots.nexthop[rs->slot];

			if (!nh)
				continue;
			if (netif_neigh(m->env.nif, t->port[rs->via].ifindex,
					nh, &mac)) {
				if (!rs->has_mac)
					neigh_poke(nh);
				continue;
			}
			if (rs->has_mac && memcmp(&mac, &rs->mac, sizeof(mac)) == 0)
				continue;
			if (rs->has_mac)
				log_info("next hop %s changed its MAC: binding again",
					 inet_ntop(AF_INET, &nh, a, sizeof(a)));
			return true;
		}
	if (gw && t->has_gw &&
	    netif_neigh(m->env.nif, t->port[LB_PORT_EXT].ifindex, gw, &mac) == 0 &&
	    memcmp(&mac, &t->gw_mac, sizeof(mac)) != 0) {
		log_info("gateway %s changed its MAC: binding again",
			 inet_ntop(AF_INET, &gw, a, sizeof(a)));
		return true;
	}
	return false;
}

bool model_tick(struct model *m)
{
	bool need = m->dirty;
	uint16_t s;

	reap(m);
	for (s = 0; s < SVC_SLOTS && !need; s++)
		if (m->slots.rs[s].draining && slot_conns(m, s) == 0 &&
		    m->n_retired == 0)
			need = true;
	if (need)
		return rebuild(m, "housekeeping");
	if (!neighbours_moved(m))
		return false;
	/* A MAC the kernel learned or saw change: bind again, same configuration. */
	return rebind(m);
}

const struct cfg *model_cfg(const struct model *m)
{
	return m->cfg;
}

const struct svc_table *model_table(const struct model *m)
{
	return m->cur;
}

int model_rs_slot(const struct model *m, uint8_t proto, __be32 vaddr,
		  __be16 vport, __be32 daddr, __be16 dport)
{
	uint16_t s;

	for (s = 0; s < SVC_SLOTS; s++) {
		const struct model_rs_slot *r = &m->slots.rs[s];

		if (r->used && !r->draining && r->proto == proto &&
		    r->vaddr == vaddr && r->vport == vport &&
		    r->daddr == daddr && r->dport == dport)
			return s;
	}
	return -1;
}

uint64_t model_generation(const struct model *m)
{
	return m->generation;
}
