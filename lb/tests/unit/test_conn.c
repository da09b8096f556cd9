/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for conn.c: every cell of the three TCP state tables (against a
 * table written here from ip_vs_proto_tcp.c, column by column), lookups, the
 * half-open and capacity bounds, expiry with an injected clock, and a
 * randomized model test against an array-based reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

#define S(x) CONN_S_##x

/* ------------------------------------------------------------------ */
/* Expected state table                                                */
/* ------------------------------------------------------------------ */

enum { EV_SYN = 0, EV_FIN, EV_ACK, EV_RST, EV_N };

/* Flags that select each event on their own. */
static const uint8_t ev_flags[EV_N] = {
	[EV_SYN] = CONN_TCP_SYN,
	[EV_FIN] = CONN_TCP_FIN,
	[EV_ACK] = CONN_TCP_ACK,
	[EV_RST] = CONN_TCP_RST,
};

#define N_TCP_STATES 11

/*
 * One row per current state: the next state for SYN, FIN, ACK, RST. Read off
 * the columns of IPVS's tcp_states[] (not tcp_states_dos[]) by hand, so that a
 * transcription slip in conn.c's row-wise table shows up as a mismatch here.
 */
struct exp_row {
	enum conn_state from;
	enum conn_state to[EV_N];
};

static const struct exp_row exp_tab[CONN_DIR_MAX][N_TCP_STATES] = {
	[CONN_DIR_IN] = {
		/* from		   SYN		  FIN		  ACK		   RST */
		{ S(NONE),	{ S(SYN_RECV), S(CLOSE),      S(CLOSE),       S(CLOSE) } },
		{ S(ESTABLISHED), { S(ESTABLISHED), S(CLOSE_WAIT), S(ESTABLISHED), S(CLOSE) } },
		{ S(SYN_SENT),	{ S(ESTABLISHED), S(SYN_SENT), S(SYN_SENT),   S(CLOSE) } },
		{ S(SYN_RECV),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(SYN_RECV) } },
		{ S(FIN_WAIT),	{ S(SYN_RECV), S(TIME_WAIT),  S(FIN_WAIT),    S(CLOSE) } },
		{ S(TIME_WAIT),	{ S(SYN_RECV), S(TIME_WAIT),  S(TIME_WAIT),   S(CLOSE) } },
		{ S(CLOSE),	{ S(SYN_RECV), S(CLOSE),      S(CLOSE),       S(CLOSE) } },
		{ S(CLOSE_WAIT), { S(SYN_RECV), S(CLOSE_WAIT), S(CLOSE_WAIT), S(CLOSE) } },
		{ S(LAST_ACK),	{ S(SYN_RECV), S(LAST_ACK),   S(CLOSE),       S(LAST_ACK) } },
		{ S(LISTEN),	{ S(SYN_RECV), S(LISTEN),     S(LISTEN),      S(LISTEN) } },
		{ S(SYNACK),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(SYN_RECV) } },
	},
	[CONN_DIR_OUT] = {
		{ S(NONE),	{ S(SYN_SENT), S(TIME_WAIT),  S(ESTABLISHED), S(CLOSE) } },
		{ S(ESTABLISHED), { S(ESTABLISHED), S(FIN_WAIT), S(ESTABLISHED), S(CLOSE) } },
		{ S(SYN_SENT),	{ S(SYN_SENT), S(SYN_SENT),   S(SYN_SENT),    S(SYN_SENT) } },
		{ S(SYN_RECV),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(CLOSE) } },
		{ S(FIN_WAIT),	{ S(SYN_SENT), S(FIN_WAIT),   S(FIN_WAIT),    S(CLOSE) } },
		{ S(TIME_WAIT),	{ S(SYN_SENT), S(TIME_WAIT),  S(TIME_WAIT),   S(TIME_WAIT) } },
		{ S(CLOSE),	{ S(SYN_SENT), S(CLOSE),      S(CLOSE),       S(CLOSE) } },
		{ S(CLOSE_WAIT), { S(SYN_SENT), S(TIME_WAIT), S(CLOSE_WAIT),  S(CLOSE) } },
		{ S(LAST_ACK),	{ S(SYN_SENT), S(LAST_ACK),   S(LAST_ACK),    S(CLOSE) } },
		{ S(LISTEN),	{ S(LISTEN),   S(LISTEN),     S(ESTABLISHED), S(CLOSE) } },
		{ S(SYNACK),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(CLOSE) } },
	},
	[CONN_DIR_IN_ONLY] = {
		{ S(NONE),	{ S(SYN_RECV), S(CLOSE),      S(CLOSE),       S(CLOSE) } },
		{ S(ESTABLISHED), { S(ESTABLISHED), S(FIN_WAIT), S(ESTABLISHED), S(CLOSE) } },
		{ S(SYN_SENT),	{ S(ESTABLISHED), S(SYN_SENT), S(SYN_SENT),   S(CLOSE) } },
		{ S(SYN_RECV),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(SYN_RECV) } },
		{ S(FIN_WAIT),	{ S(SYN_RECV), S(FIN_WAIT),   S(FIN_WAIT),    S(CLOSE) } },
		{ S(TIME_WAIT),	{ S(SYN_RECV), S(TIME_WAIT),  S(TIME_WAIT),   S(CLOSE) } },
		{ S(CLOSE),	{ S(SYN_RECV), S(CLOSE),      S(CLOSE),       S(CLOSE) } },
		{ S(CLOSE_WAIT), { S(SYN_RECV), S(CLOSE_WAIT), S(CLOSE_WAIT), S(CLOSE) } },
		{ S(LAST_ACK),	{ S(SYN_RECV), S(LAST_ACK),   S(CLOSE),       S(LAST_ACK) } },
		{ S(LISTEN),	{ S(SYN_RECV), S(LISTEN),     S(LISTEN),      S(LISTEN) } },
		{ S(SYNACK),	{ S(SYN_RECV), S(TIME_WAIT),  S(ESTABLISHED), S(CLOSE) } },
	},
};

static enum conn_state exp_next(enum conn_dir dir, enum conn_state s, int ev)
{
	assert_int_equal(exp_tab[dir][s].from, s);
	return exp_tab[dir][s].to[ev];
}

/* Event a flag byte selects, ranked RST > SYN > FIN > ACK; -1 for none. */
static int exp_event(uint8_t flags)
{
	if (flags & CONN_TCP_RST)
		return EV_RST;
	if (flags & CONN_TCP_SYN)
		return EV_SYN;
	if (flags & CONN_TCP_FIN)
		return EV_FIN;
	if (flags & CONN_TCP_ACK)
		return EV_ACK;
	return -1;
}

static enum conn_state exp_after(enum conn_dir dir, enum conn_state s,
				 uint8_t flags, uint8_t proto)
{
	int ev = exp_event(flags);

	if (proto != IPPROTO_TCP || ev < 0)
		return s;
	return exp_next(dir, s, ev);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

#define VIP	0x0a000001u	/* 10.0.0.1 */
#define RS1	0x0a000101u	/* 10.0.1.1 */
#define RS2	0x0a000102u

static struct flow_key mk_key(uint32_t caddr, uint16_t cport, uint32_t vaddr,
			      uint16_t vport, uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	k.caddr = htonl(caddr);
	k.cport = htons(cport);
	k.vaddr = htonl(vaddr);
	k.vport = htons(vport);
	k.proto = proto;
	return k;
}

static struct flow_key tcp_key(uint32_t i)
{
	return mk_key(0xc0a80000u + (i >> 12), (uint16_t)(1024 + (i & 0xfff)),
		      VIP, 80, IPPROTO_TCP);
}

/* Timeouts below 64 ms have a 1 ms grain, so expiries are exact. */
static void small_timeouts(struct conn_timeouts *t)
{
	static const uint32_t ms[CONN_S_MAX] = {
		[CONN_S_NONE] = 20,
		[CONN_S_ESTABLISHED] = 50,
		[CONN_S_SYN_SENT] = 30,
		[CONN_S_SYN_RECV] = 40,
		[CONN_S_FIN_WAIT] = 30,
		[CONN_S_TIME_WAIT] = 30,
		[CONN_S_CLOSE] = 10,
		[CONN_S_CLOSE_WAIT] = 25,
		[CONN_S_LAST_ACK] = 15,
		[CONN_S_LISTEN] = 30,
		[CONN_S_SYNACK] = 30,
		[CONN_S_UDP] = 45,
	};

	memcpy(t->ms, ms, sizeof(ms));
}

static struct conn_tab *new_tab(uint32_t cap, uint32_t hmax, bool small)
{
	struct conn_timeouts t;
	struct conn_tab *tab;

	if (small)
		small_timeouts(&t);
	else
		conn_timeouts_default(&t);
	tab = conn_tab_new(cap, hmax, &t, 0x12345678u);
	assert_non_null(tab);
	return tab;
}

static struct conn *add(struct conn_tab *tab, const struct flow_key *k,
			uint32_t daddr, enum lb_fwd fwd, uint32_t now)
{
	enum lb_drop why = LB_DROP_MAX;
	struct conn *cp;

	cp = conn_new(tab, k, htonl(daddr), htons(8080), fwd, 7, 3, now, &why);
	assert_non_null(cp);
	assert_int_equal(why, LB_DROP_NONE);
	return cp;
}

static enum lb_drop add_fail(struct conn_tab *tab, const struct flow_key *k,
			     uint32_t now)
{
	enum lb_drop why = LB_DROP_NONE;

	assert_null(conn_new(tab, k, htonl(RS1), htons(8080), LB_FWD_DR, 1, 1,
			     now, &why));
	return why;
}

/* Records what conn_expire() hands to its callback. */
#define REC_MAX 64
struct rec {
	size_t n;
	struct conn seen[REC_MAX];
};

static void rec_cb(void *arg, const struct conn *cp)
{
	struct rec *r = arg;

	assert_true(r->n < REC_MAX);
	r->seen[r->n++] = *cp;
}

static void count_cb(void *arg, const struct conn *cp)
{
	(void)cp;
	(*(size_t *)arg)++;
}

/* ------------------------------------------------------------------ */
/* State table                                                         */
/* ------------------------------------------------------------------ */

static void test_conn_tcp_table_every_cell(void **state)
{
	(void)state;
	for (int d = 0; d < CONN_DIR_MAX; d++)
		for (int s = 0; s < N_TCP_STATES; s++)
			for (int ev = 0; ev < EV_N; ev++)
				assert_int_equal(
					conn_tcp_next_state((enum conn_state)s,
							    (enum conn_dir)d,
							    ev_flags[ev]),
					exp_next((enum conn_dir)d,
						 (enum conn_state)s, ev));
}

/* Flag combinations rank as IPVS ranks them; no known flag changes nothing. */
static void test_conn_tcp_event_ranking(void **state)
{
	static const uint8_t combos[] = {
		0, 0x08 /* PSH */, 0x20 /* URG */, 0x28,
		CONN_TCP_SYN | CONN_TCP_ACK, CONN_TCP_FIN | CONN_TCP_ACK,
		CONN_TCP_RST | CONN_TCP_ACK, CONN_TCP_RST | CONN_TCP_SYN,
		CONN_TCP_SYN | CONN_TCP_FIN, CONN_TCP_RST | CONN_TCP_FIN,
		CONN_TCP_ACK | 0x08, 0xff, 0x1f, CONN_TCP_FIN | CONN_TCP_SYN |
		CONN_TCP_ACK,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(combos); i++)
		for (int d = 0; d < CONN_DIR_MAX; d++)
			for (int s = 0; s < N_TCP_STATES; s++)
				assert_int_equal(
					conn_tcp_next_state((enum conn_state)s,
							    (enum conn_dir)d,
							    combos[i]),
					exp_after((enum conn_dir)d,
						  (enum conn_state)s, combos[i],
						  IPPROTO_TCP));
}

static void test_conn_tcp_next_state_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(conn_tcp_next_state(S(UDP), CONN_DIR_IN, CONN_TCP_SYN),
			 S(UDP));
	assert_int_equal(conn_tcp_next_state(S(ESTABLISHED), CONN_DIR_MAX,
					     CONN_TCP_RST), S(ESTABLISHED));
	assert_int_equal(conn_tcp_next_state(S(MAX), CONN_DIR_IN, CONN_TCP_RST),
			 S(MAX));
}

/* A path of (dir, event) steps from SYN_RECV, found by BFS over exp_tab. */
struct path {
	int n;
	uint8_t dir[N_TCP_STATES];
	uint8_t ev[N_TCP_STATES];
};

static void find_paths(struct path p[N_TCP_STATES], bool reached[N_TCP_STATES])
{
	int queue[N_TCP_STATES], qh = 0, qt = 0;

	memset(reached, 0, N_TCP_STATES * sizeof(bool));
	memset(p, 0, N_TCP_STATES * sizeof(*p));
	reached[S(SYN_RECV)] = true;
	queue[qt++] = S(SYN_RECV);
	while (qh < qt) {
		int s = queue[qh++];

		for (int d = 0; d < CONN_DIR_MAX; d++)
			for (int ev = 0; ev < EV_N; ev++) {
				int t = exp_next((enum conn_dir)d,
						 (enum conn_state)s, ev);

				if (reached[t])
					continue;
				reached[t] = true;
				p[t] = p[s];
				p[t].dir[p[t].n] = (uint8_t)d;
				p[t].ev[p[t].n] = (uint8_t)ev;
				p[t].n++;
				queue[qt++] = t;
			}
	}
}

/*
 * Every cell whose state a flow can reach from SYN_RECV, driven through
 * conn_new() + conn_update() on a live table, checking the half-open count at
 * each step. NONE, LAST_ACK, LISTEN and SYNACK have no way in (as in IPVS);
 * their cells are covered by test_conn_tcp_table_every_cell.
 */
static void test_conn_tcp_table_via_update(void **state)
{
	static const bool exp_reach[N_TCP_STATES] = {
		[S(ESTABLISHED)] = true, [S(SYN_SENT)] = true,
		[S(SYN_RECV)] = true, [S(FIN_WAIT)] = true,
		[S(TIME_WAIT)] = true, [S(CLOSE)] = true,
		[S(CLOSE_WAIT)] = true,
	};
	struct path paths[N_TCP_STATES];
	bool reached[N_TCP_STATES];
	struct conn_tab *tab = new_tab(4, 4, false);
	uint32_t now = 1000;
	int cells = 0;

	(void)state;
	find_paths(paths, reached);
	for (int s = 0; s < N_TCP_STATES; s++)
		assert_int_equal(reached[s], exp_reach[s]);

	for (int s = 0; s < N_TCP_STATES; s++) {
		if (!reached[s])
			continue;
		for (int d = 0; d < CONN_DIR_MAX; d++)
			for (int ev = 0; ev < EV_N; ev++) {
				struct flow_key k = tcp_key((uint32_t)cells);
				struct conn *cp = add(tab, &k, RS1, LB_FWD_NAT,
						      now);
				enum conn_state cur = S(SYN_RECV);

				assert_int_equal(conn_half_open(tab), 1);
				for (int i = 0; i < paths[s].n; i++) {
					enum conn_dir pd = paths[s].dir[i];
					int pe = paths[s].ev[i];

					assert_int_equal(
						conn_update(tab, cp, pd,
							    ev_flags[pe], ++now),
						cur);
					cur = exp_next(pd, cur, pe);
					assert_int_equal(cp->state, cur);
					assert_int_equal(conn_half_open(tab),
							 cur == S(SYN_RECV));
				}
				assert_int_equal(cur, s);
				assert_int_equal(conn_update(tab, cp,
							     (enum conn_dir)d,
							     ev_flags[ev], ++now),
						 s);
				cur = exp_next((enum conn_dir)d,
					       (enum conn_state)s, ev);
				assert_int_equal(cp->state, cur);
				assert_int_equal(conn_half_open(tab),
						 cur == S(SYN_RECV));
				assert_ptr_equal(conn_lookup_in(tab, &k), cp);
				conn_del(tab, cp);
				assert_int_equal(conn_count(tab), 0);
				assert_int_equal(conn_half_open(tab), 0);
				cells++;
			}
	}
	assert_int_equal(cells, 7 * CONN_DIR_MAX * EV_N);
	conn_tab_free(tab);
}

static void test_conn_udp_never_changes_state(void **state)
{
	static const uint8_t flags[] = { 0, CONN_TCP_SYN, CONN_TCP_FIN,
					 CONN_TCP_RST, CONN_TCP_ACK, 0xff };
	struct conn_tab *tab = new_tab(4, 1, false);
	struct flow_key k = mk_key(0xc0a80001u, 5353, VIP, 53, IPPROTO_UDP);
	struct conn *cp = add(tab, &k, RS1, LB_FWD_NAT, 0);

	(void)state;
	assert_int_equal(cp->state, S(UDP));
	assert_int_equal(conn_half_open(tab), 0);
	for (int d = 0; d < CONN_DIR_MAX; d++)
		for (size_t i = 0; i < sizeof(flags); i++) {
			assert_int_equal(conn_update(tab, cp, (enum conn_dir)d,
						     flags[i], 1),
					 S(UDP));
			assert_int_equal(cp->state, S(UDP));
		}
	assert_int_equal(conn_half_open(tab), 0);
	conn_tab_free(tab);
}

static void test_conn_state_names(void **state)
{
	static const struct {
		enum conn_state s;
		const char *name;
	} cases[] = {
		{ S(NONE), "NONE" }, { S(ESTABLISHED), "ESTABLISHED" },
		{ S(SYN_SENT), "SYN_SENT" }, { S(SYN_RECV), "SYN_RECV" },
		{ S(FIN_WAIT), "FIN_WAIT" }, { S(TIME_WAIT), "TIME_WAIT" },
		{ S(CLOSE), "CLOSE" }, { S(CLOSE_WAIT), "CLOSE_WAIT" },
		{ S(LAST_ACK), "LAST_ACK" }, { S(LISTEN), "LISTEN" },
		{ S(SYNACK), "SYNACK" }, { S(UDP), "UDP" },
	};

	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), CONN_S_MAX);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(conn_state_name(cases[i].s), cases[i].name);
	assert_non_null(conn_state_name(S(MAX)));
}

static void test_conn_timeouts_default(void **state)
{
	static const struct {
		enum conn_state s;
		uint32_t ms;
	} cases[] = {
		{ S(NONE), 2000 }, { S(ESTABLISHED), 900000 },
		{ S(SYN_SENT), 120000 }, { S(SYN_RECV), 60000 },
		{ S(FIN_WAIT), 120000 }, { S(TIME_WAIT), 120000 },
		{ S(CLOSE), 10000 }, { S(CLOSE_WAIT), 60000 },
		{ S(LAST_ACK), 30000 }, { S(LISTEN), 120000 },
		{ S(SYNACK), 120000 }, { S(UDP), 300000 },
	};
	struct conn_timeouts t;

	(void)state;
	memset(&t, 0xa5, sizeof(t));
	conn_timeouts_default(&t);
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), CONN_S_MAX);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(t.ms[cases[i].s], cases[i].ms);
}

static void test_conn_is_reusable(void **state)
{
	struct conn c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.proto = IPPROTO_TCP;
	for (int fwd = LB_FWD_NAT; fwd <= LB_FWD_DR; fwd++) {
		c.fwd = (uint8_t)fwd;
		for (int s = 0; s < CONN_S_MAX; s++) {
			c.state = (uint8_t)s;
			assert_int_equal(conn_is_reusable(&c),
					 s == S(TIME_WAIT) || s == S(CLOSE) ||
					 (fwd == LB_FWD_DR && s == S(FIN_WAIT)));
		}
	}
	c.proto = IPPROTO_UDP;
	c.state = S(UDP);
	assert_false(conn_is_reusable(&c));
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

static void test_conn_lookup_in_out_nat_vs_dr(void **state)
{
	struct conn_tab *tab = new_tab(16, 16, false);
	struct flow_key kn = mk_key(0xc0a80001u, 40000, VIP, 80, IPPROTO_TCP);
	struct flow_key kd = mk_key(0xc0a80002u, 40001, VIP, 80, IPPROTO_TCP);
	struct conn *nat = add(tab, &kn, RS1, LB_FWD_NAT, 5);
	struct conn *dr = add(tab, &kd, RS2, LB_FWD_DR, 5);
	struct flow_key miss;

	(void)state;
	assert_ptr_equal(conn_lookup_in(tab, &kn), nat);
	assert_ptr_equal(conn_lookup_in(tab, &kd), dr);

	/* Public fields as bound at creation. */
	assert_int_equal(nat->caddr, kn.caddr);
	assert_int_equal(nat->vaddr, kn.vaddr);
	assert_int_equal(nat->cport, kn.cport);
	assert_int_equal(nat->vport, kn.vport);
	assert_int_equal(nat->daddr, htonl(RS1));
	assert_int_equal(nat->dport, htons(8080));
	assert_int_equal(nat->proto, IPPROTO_TCP);
	assert_int_equal(nat->fwd, LB_FWD_NAT);
	assert_int_equal(dr->fwd, LB_FWD_DR);
	assert_int_equal(nat->rs, 7);
	assert_int_equal(nat->rs_gen, 3);
	assert_int_equal(nat->state, S(SYN_RECV));
	assert_int_equal(nat->pad, 0);

	/* Reply tuple: NAT found, DR never. */
	assert_ptr_equal(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1),
					 htons(8080), kn.caddr, kn.cport), nat);
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS2), htons(8080),
				    kd.caddr, kd.cport));
	assert_null(conn_lookup_out(tab, IPPROTO_UDP, htonl(RS1), htons(8080),
				    kn.caddr, kn.cport));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8081),
				    kn.caddr, kn.cport));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS2), htons(8080),
				    kn.caddr, kn.cport));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8080),
				    kn.caddr, htons(40002)));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8080),
				    htonl(0xc0a80009u), kn.cport));

	/* Each field of the in-tuple matters. */
	miss = kn;
	miss.caddr ^= htonl(1);
	assert_null(conn_lookup_in(tab, &miss));
	miss = kn;
	miss.vaddr ^= htonl(1);
	assert_null(conn_lookup_in(tab, &miss));
	miss = kn;
	miss.cport ^= htons(1);
	assert_null(conn_lookup_in(tab, &miss));
	miss = kn;
	miss.vport ^= htons(1);
	assert_null(conn_lookup_in(tab, &miss));
	miss = kn;
	miss.proto = IPPROTO_UDP;
	assert_null(conn_lookup_in(tab, &miss));

	/* Deleting the NAT flow takes it out of both hashes. */
	conn_del(tab, nat);
	assert_null(conn_lookup_in(tab, &kn));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8080),
				    kn.caddr, kn.cport));
	assert_ptr_equal(conn_lookup_in(tab, &kd), dr);
	conn_tab_free(tab);
}

/* ------------------------------------------------------------------ */
/* Expiry                                                              */
/* ------------------------------------------------------------------ */

static void test_conn_expire_exact_boundary(void **state)
{
	struct conn_tab *tab = new_tab(8, 8, true);
	struct flow_key k = tcp_key(1);
	struct conn *cp = add(tab, &k, RS1, LB_FWD_NAT, 1000);
	struct rec r = { 0 };

	(void)state;
	assert_int_equal(cp->expires, 1000 + 40);	/* SYN_RECV, 1 ms grain */
	assert_int_equal(conn_expire(tab, 1039, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(r.n, 0);
	assert_ptr_equal(conn_lookup_in(tab, &k), cp);
	assert_int_equal(conn_expire(tab, 1040, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.seen[0].caddr, k.caddr);
	assert_int_equal(r.seen[0].cport, k.cport);
	assert_int_equal(r.seen[0].vaddr, k.vaddr);
	assert_int_equal(r.seen[0].vport, k.vport);
	assert_int_equal(r.seen[0].daddr, htonl(RS1));
	assert_int_equal(r.seen[0].state, S(SYN_RECV));
	assert_int_equal(r.seen[0].rs, 7);
	assert_int_equal(r.seen[0].expires, 1040);
	assert_null(conn_lookup_in(tab, &k));
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8080),
				    k.caddr, k.cport));
	assert_int_equal(conn_count(tab), 0);
	assert_int_equal(conn_half_open(tab), 0);
	conn_tab_free(tab);
}

/* Each state's own timeout applies after a transition. */
static void test_conn_expire_per_state_timeout(void **state)
{
	static const struct {
		enum conn_dir dir;
		uint8_t flags;
		enum conn_state s;
		uint32_t ms;
	} steps[] = {
		{ CONN_DIR_IN_ONLY, CONN_TCP_ACK, S(ESTABLISHED), 50 },
		{ CONN_DIR_IN_ONLY, CONN_TCP_FIN, S(FIN_WAIT), 30 },
		{ CONN_DIR_IN, CONN_TCP_RST, S(CLOSE), 10 },
	};
	struct conn_timeouts t;

	(void)state;
	small_timeouts(&t);
	for (size_t n = 1; n <= sizeof(steps) / sizeof(steps[0]); n++) {
		struct conn_tab *tab = new_tab(2, 2, true);
		struct flow_key k = tcp_key(3);
		struct conn *cp = add(tab, &k, RS1, LB_FWD_DR, 0);
		uint32_t now = 0;

		for (size_t i = 0; i < n; i++)
			conn_update(tab, cp, steps[i].dir, steps[i].flags,
				    now += 3);
		assert_int_equal(cp->state, steps[n - 1].s);
		assert_int_equal(t.ms[steps[n - 1].s], steps[n - 1].ms);
		assert_int_equal(cp->expires, now + steps[n - 1].ms);
		assert_int_equal(conn_expire(tab, cp->expires - 1, SIZE_MAX,
					     NULL, NULL), 0);
		assert_int_equal(conn_expire(tab, now + steps[n - 1].ms,
					     SIZE_MAX, NULL, NULL), 1);
		conn_tab_free(tab);
	}
}

static void test_conn_expire_budget_honoured(void **state)
{
	struct conn_tab *tab = new_tab(32, 32, true);
	struct rec r = { 0 };
	size_t got;

	(void)state;
	for (uint32_t i = 0; i < 10; i++) {
		struct flow_key k = tcp_key(i);

		add(tab, &k, RS1, i & 1 ? LB_FWD_DR : LB_FWD_NAT, i);
	}
	assert_int_equal(conn_expire(tab, 1000, 0, rec_cb, &r), 0);
	assert_int_equal(conn_count(tab), 10);
	assert_int_equal(conn_expire(tab, 1000, 3, rec_cb, &r), 3);
	assert_int_equal(r.n, 3);
	assert_int_equal(conn_count(tab), 7);
	assert_int_equal(conn_half_open(tab), 7);
	got = conn_expire(tab, 1000, SIZE_MAX, rec_cb, &r);
	assert_int_equal(got, 7);
	assert_int_equal(r.n, 10);
	assert_int_equal(conn_count(tab), 0);
	assert_int_equal(conn_half_open(tab), 0);

	/* Once each, in expiry order (one list here), with their own fields. */
	for (size_t i = 0; i < r.n; i++) {
		struct flow_key k = tcp_key((uint32_t)i);

		assert_int_equal(r.seen[i].cport, k.cport);
		assert_int_equal(r.seen[i].expires, i + 40);
		assert_int_equal(r.seen[i].fwd, i & 1 ? LB_FWD_DR : LB_FWD_NAT);
	}
	conn_tab_free(tab);
}

/* A small budget still reaches every state's list over successive calls. */
static void test_conn_expire_budget_no_starvation(void **state)
{
	struct conn_tab *tab = new_tab(64, 64, true);
	size_t n = 0, calls = 0, cbs = 0;

	(void)state;
	for (uint32_t i = 0; i < 40; i++) {
		struct flow_key k = tcp_key(i);
		struct conn *cp = add(tab, &k, RS1, LB_FWD_DR, 0);

		if (i >= 20)
			conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_ACK, 0);
	}
	while (conn_count(tab) > 0) {
		n += conn_expire(tab, 100, 1, count_cb, &cbs);
		assert_true(++calls <= 40);
	}
	assert_int_equal(n, 40);
	assert_int_equal(cbs, 40);
	conn_tab_free(tab);
}

static void test_conn_rearm_moves_expiry(void **state)
{
	struct conn_tab *tab = new_tab(8, 8, true);
	struct flow_key ka = tcp_key(1), kb = tcp_key(2);
	struct conn *a = add(tab, &ka, RS1, LB_FWD_NAT, 0);
	struct conn *b = add(tab, &kb, RS1, LB_FWD_NAT, 10);
	struct rec r = { 0 };

	(void)state;
	assert_int_equal(a->expires, 40);
	assert_int_equal(b->expires, 50);
	/* A keeps SYN_RECV (a retransmitted SYN) and moves behind B. */
	assert_int_equal(conn_update(tab, a, CONN_DIR_IN, CONN_TCP_SYN, 20),
			 S(SYN_RECV));
	assert_int_equal(a->expires, 60);
	assert_int_equal(conn_expire(tab, 40, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 50, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(r.seen[0].cport, kb.cport);
	assert_ptr_equal(conn_lookup_in(tab, &ka), a);
	assert_int_equal(conn_expire(tab, 59, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 60, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(r.seen[1].cport, ka.cport);
	conn_tab_free(tab);
}

/*
 * Default timeouts: expiries round up to a power-of-two grain <= timeout/64,
 * never early, never shortened, and unchanged for updates within one grain.
 */
static void test_conn_rearm_grain(void **state)
{
	struct conn_tab *tab = new_tab(8, 8, false);
	struct flow_key k = tcp_key(1);
	struct conn *cp = add(tab, &k, RS1, LB_FWD_DR, 12345);
	uint32_t now = 12345, prev;

	(void)state;
	assert_true(cp->expires - now >= 60000);
	assert_true(cp->expires - now < 60000 + 60000 / 64);
	conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_ACK, now);
	assert_int_equal(cp->state, S(ESTABLISHED));
	prev = cp->expires;
	assert_int_equal(prev % 8192, 0);	/* 900000 / 64 -> 8192 */
	for (int i = 0; i < 10000; i++) {
		now += 7;
		conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_ACK, now);
		assert_true(cp->expires - now >= 900000);
		assert_true(cp->expires - now < 900000 + 900000 / 64);
		assert_true((int32_t)(cp->expires - prev) >= 0);
		assert_true(cp->expires == prev || cp->expires - prev == 8192);
		prev = cp->expires;
	}
	/* An older <now> never pulls the expiry in. */
	conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_ACK, now - 50000);
	assert_int_equal(cp->expires, prev);
	conn_tab_free(tab);
}

static void test_conn_clock_wrap(void **state)
{
	struct conn_tab *tab = new_tab(8, 8, true);
	struct flow_key ka = tcp_key(1), kb = tcp_key(2), kc = tcp_key(3);
	uint32_t t0 = 0xffffffffu - 20;
	struct conn *a = add(tab, &ka, RS1, LB_FWD_NAT, t0);	/* 19 */
	struct conn *b = add(tab, &kb, RS1, LB_FWD_NAT, t0 + 15);	/* 34 */
	struct conn *c = add(tab, &kc, RS1, LB_FWD_NAT, t0 + 30);	/* 49 */
	struct rec r = { 0 };

	(void)state;
	(void)c;
	assert_int_equal(a->expires, 19);
	assert_int_equal(b->expires, 34);
	assert_int_equal(conn_expire(tab, t0 + 10, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 0xffffffffu, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 18, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 19, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(r.seen[0].cport, ka.cport);
	assert_int_equal(conn_expire(tab, 34, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(r.seen[1].cport, kb.cport);
	assert_int_equal(conn_expire(tab, 48, SIZE_MAX, rec_cb, &r), 0);
	assert_int_equal(conn_expire(tab, 49, SIZE_MAX, rec_cb, &r), 1);
	assert_int_equal(conn_count(tab), 0);
	conn_tab_free(tab);
}

/* ------------------------------------------------------------------ */
/* Bounds                                                              */
/* ------------------------------------------------------------------ */

static void test_conn_half_open_bound(void **state)
{
	struct conn_tab *tab = new_tab(100, 10, true);
	struct conn *est[5], *syn[10], *cp;
	struct flow_key k;
	uint32_t now = 0;

	(void)state;
	for (uint32_t i = 0; i < 5; i++) {
		k = tcp_key(i);
		est[i] = add(tab, &k, RS1, LB_FWD_DR, now);
		conn_update(tab, est[i], CONN_DIR_IN_ONLY, CONN_TCP_ACK, now);
	}
	assert_int_equal(conn_half_open(tab), 0);
	for (uint32_t i = 0; i < 10; i++) {
		k = tcp_key(100 + i);
		syn[i] = add(tab, &k, RS1, LB_FWD_DR, now);
	}
	assert_int_equal(conn_half_open(tab), 10);

	/* The flood hits the bound; nothing else changes. */
	for (uint32_t i = 0; i < 50; i++) {
		k = tcp_key(200 + i);
		assert_int_equal(add_fail(tab, &k, now), LB_DROP_HALF_OPEN_FULL);
	}
	assert_int_equal(conn_count(tab), 15);
	for (uint32_t i = 0; i < 5; i++) {
		k = tcp_key(i);
		assert_ptr_equal(conn_lookup_in(tab, &k), est[i]);
		assert_int_equal(est[i]->state, S(ESTABLISHED));
	}
	/* Established flows keep working; UDP is never half-open. */
	conn_update(tab, est[0], CONN_DIR_IN_ONLY, CONN_TCP_ACK, now);
	k = mk_key(0xc0a80001u, 5353, VIP, 53, IPPROTO_UDP);
	cp = add(tab, &k, RS1, LB_FWD_DR, now);
	conn_del(tab, cp);

	/* A RST while half-open keeps SYN_RECV in IPVS, so still counted. */
	conn_update(tab, syn[0], CONN_DIR_IN_ONLY, CONN_TCP_RST, now);
	assert_int_equal(syn[0]->state, S(SYN_RECV));
	assert_int_equal(conn_half_open(tab), 10);

	/* One handshake completes: room for exactly one more SYN. */
	conn_update(tab, syn[0], CONN_DIR_IN_ONLY, CONN_TCP_ACK, now);
	assert_int_equal(conn_half_open(tab), 9);
	k = tcp_key(300);
	add(tab, &k, RS1, LB_FWD_DR, now);
	k = tcp_key(301);
	assert_int_equal(add_fail(tab, &k, now), LB_DROP_HALF_OPEN_FULL);

	/* Deletion and expiry release the bound too. */
	conn_del(tab, syn[1]);
	assert_int_equal(conn_half_open(tab), 9);
	assert_int_equal(conn_expire(tab, now + 40, SIZE_MAX, NULL, NULL), 9);
	assert_int_equal(conn_half_open(tab), 0);
	assert_int_equal(conn_count(tab), 6);	/* 5 est + syn[0], ES until 50 */
	conn_tab_free(tab);
}

/* A flow re-entering SYN_RECV counts again (and may exceed the bound). */
static void test_conn_half_open_reentry(void **state)
{
	struct conn_tab *tab = new_tab(4, 1, true);
	struct flow_key k = tcp_key(1);
	struct conn *cp = add(tab, &k, RS1, LB_FWD_DR, 0);

	(void)state;
	conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_FIN, 1);
	assert_int_equal(cp->state, S(TIME_WAIT));
	assert_int_equal(conn_half_open(tab), 0);
	conn_update(tab, cp, CONN_DIR_IN_ONLY, CONN_TCP_SYN, 2);
	assert_int_equal(cp->state, S(SYN_RECV));
	assert_int_equal(conn_half_open(tab), 1);
	k = tcp_key(2);
	assert_int_equal(add_fail(tab, &k, 2), LB_DROP_HALF_OPEN_FULL);
	conn_tab_free(tab);
}

static void test_conn_capacity_bound(void **state)
{
	struct conn_tab *tab = new_tab(4, 4, true);
	struct conn *cp[4];
	struct flow_key k;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		k = tcp_key(i);
		cp[i] = add(tab, &k, RS1, LB_FWD_NAT, i);
	}
	/* Full wins over half-open full: both bounds are hit here. */
	k = tcp_key(10);
	assert_int_equal(add_fail(tab, &k, 4), LB_DROP_CONN_FULL);
	k = mk_key(0xc0a80001u, 5353, VIP, 53, IPPROTO_UDP);
	assert_int_equal(add_fail(tab, &k, 4), LB_DROP_CONN_FULL);
	assert_int_equal(conn_count(tab), 4);
	for (uint32_t i = 0; i < 4; i++) {
		k = tcp_key(i);
		assert_ptr_equal(conn_lookup_in(tab, &k), cp[i]);
	}
	/* Capacity comes back after expiry. */
	assert_int_equal(conn_expire(tab, 40, SIZE_MAX, NULL, NULL), 1);
	k = tcp_key(10);
	add(tab, &k, RS2, LB_FWD_NAT, 40);
	k = tcp_key(11);
	assert_int_equal(add_fail(tab, &k, 40), LB_DROP_CONN_FULL);
	conn_tab_free(tab);
}

static void test_conn_del_then_new_same_tuple(void **state)
{
	struct conn_tab *tab = new_tab(4, 4, true);
	struct flow_key k = tcp_key(9);
	struct conn *cp = add(tab, &k, RS1, LB_FWD_NAT, 0);
	enum lb_drop why;

	(void)state;
	conn_update(tab, cp, CONN_DIR_IN, CONN_TCP_ACK, 1);
	conn_update(tab, cp, CONN_DIR_IN, CONN_TCP_FIN, 2);
	conn_update(tab, cp, CONN_DIR_OUT, CONN_TCP_FIN, 3);
	assert_int_equal(cp->state, S(TIME_WAIT));
	assert_true(conn_is_reusable(cp));

	conn_del(tab, cp);
	assert_null(conn_lookup_in(tab, &k));
	assert_int_equal(conn_count(tab), 0);
	conn_del(tab, cp);	/* a second delete is ignored */
	assert_int_equal(conn_count(tab), 0);

	cp = conn_new(tab, &k, htonl(RS2), htons(9090), LB_FWD_NAT, 8, 1, 4,
		      &why);
	assert_non_null(cp);
	assert_ptr_equal(conn_lookup_in(tab, &k), cp);
	assert_int_equal(cp->state, S(SYN_RECV));
	assert_int_equal(cp->daddr, htonl(RS2));
	assert_int_equal(cp->rs, 8);
	assert_null(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS1), htons(8080),
				    k.caddr, k.cport));
	assert_ptr_equal(conn_lookup_out(tab, IPPROTO_TCP, htonl(RS2),
					 htons(9090), k.caddr, k.cport), cp);
	assert_int_equal(conn_count(tab), 1);
	assert_int_equal(conn_half_open(tab), 1);
	assert_int_equal(conn_expire(tab, 43, SIZE_MAX, NULL, NULL), 0);
	assert_int_equal(conn_expire(tab, 44, SIZE_MAX, NULL, NULL), 1);
	conn_tab_free(tab);
}

/* ------------------------------------------------------------------ */
/* Table life cycle, walk, memory                                      */
/* ------------------------------------------------------------------ */

static void test_conn_tab_new_bad_args(void **state)
{
	struct conn_timeouts t;
	struct conn_tab *tab;

	(void)state;
	conn_timeouts_default(&t);
	assert_null(conn_tab_new(0, 1, &t, 1));
	assert_null(conn_tab_new((1u << 24) + 1, 1, &t, 1));
	assert_null(conn_tab_new(8, 0, &t, 1));
	assert_null(conn_tab_new(8, 8, NULL, 1));
	t.ms[S(CLOSE)] = (1u << 30) + 1;
	assert_null(conn_tab_new(8, 8, &t, 1));
	conn_tab_free(NULL);

	/* half_open_max above capacity acts as capacity. */
	conn_timeouts_default(&t);
	tab = conn_tab_new(2, 1000, &t, 1);
	assert_non_null(tab);
	assert_int_equal(conn_capacity(tab), 2);
	conn_tab_free(tab);
}

static void walk_cb(void *arg, const struct conn *cp)
{
	uint32_t *seen = arg;

	seen[ntohs(cp->cport) - 1024]++;
}

static void test_conn_walk_visits_each_once(void **state)
{
	struct conn_tab *tab = new_tab(64, 64, true);
	uint32_t seen[64] = { 0 };

	(void)state;
	for (uint32_t i = 0; i < 50; i++) {
		struct flow_key k = tcp_key(i);
		struct conn *cp = add(tab, &k, RS1, LB_FWD_NAT, 0);

		if (i % 3 == 1)
			conn_update(tab, cp, CONN_DIR_IN, CONN_TCP_ACK, 0);
		if (i % 5 == 2)
			conn_del(tab, cp);
	}
	conn_walk(tab, walk_cb, seen);
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(seen[i], i < 50 && i % 5 != 2);
	conn_tab_free(tab);
}

static void test_conn_mem_budget(void **state)
{
	struct conn_tab *tab = new_tab(1000000, 65536, false);

	(void)state;
	assert_int_equal(sizeof(struct conn), 48);
	assert_true(conn_tab_bytes(tab) <= 64u * 1000 * 1000);
	assert_true(conn_tab_bytes(tab) >= 48u * 1000000 + 8u * 1048576);
	conn_tab_free(tab);
}

/* ------------------------------------------------------------------ */
/* Collisions and the randomized model test                            */
/* ------------------------------------------------------------------ */

/* Capacity 1 and 2 (one and two buckets): fill, refuse, churn. */
static void test_conn_collisions_tiny_tables(void **state)
{
	(void)state;
	for (uint32_t cap = 1; cap <= 2; cap++) {
		struct conn_tab *tab = new_tab(cap, cap, true);
		struct conn *live[2] = { NULL, NULL };
		uint32_t key_of[2] = { 0, 0 };

		for (uint32_t i = 0; i < 500; i++) {
			uint32_t slot = i % cap;
			struct flow_key k = tcp_key(i);

			if (conn_count(tab) == cap)
				assert_int_equal(add_fail(tab, &k, i),
						 LB_DROP_CONN_FULL);
			if (live[slot] != NULL) {
				struct flow_key old = tcp_key(key_of[slot]);

				conn_del(tab, live[slot]);
				assert_null(conn_lookup_in(tab, &old));
			}
			live[slot] = add(tab, &k, RS1 + (i & 1),
					 i & 2 ? LB_FWD_DR : LB_FWD_NAT, i);
			key_of[slot] = i;
			for (uint32_t j = 0; j < cap; j++) {
				struct flow_key kj = tcp_key(key_of[j]);
				struct conn *o;

				if (live[j] == NULL)
					continue;
				assert_ptr_equal(conn_lookup_in(tab, &kj),
						 live[j]);
				o = conn_lookup_out(tab, IPPROTO_TCP,
						    live[j]->daddr,
						    live[j]->dport, kj.caddr,
						    kj.cport);
				assert_ptr_equal(o, live[j]->fwd == LB_FWD_NAT ?
						 live[j] : NULL);
			}
		}
		conn_tab_free(tab);
	}
}

struct rng {
	uint64_t s;
};

static uint32_t rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 32);
}

struct ref_flow {
	bool live;
	struct flow_key k;
	__be32 daddr;
	uint8_t fwd;
	uint8_t state;
	uint32_t expires;
};

struct model {
	struct conn_tab *tab;
	struct conn_timeouts t;
	struct ref_flow *ref;
	uint32_t nkeys;
	uint32_t cap, hmax;
	uint32_t now;
	uint32_t removed;
	bool check_due;
};

/*
 * Key i: pairs (2j, 2j+1) share addresses and ports and differ only in the
 * protocol; odd keys are UDP. Two VIPs, so out-tuples stay unique.
 */
static struct flow_key model_key(uint32_t i)
{
	uint32_t j = i / 2;

	return mk_key(0xc0a80000u + (j % 5), (uint16_t)(2000 + j),
		      VIP + (j % 2), 80, i & 1 ? IPPROTO_UDP : IPPROTO_TCP);
}

static uint32_t model_id(const struct conn *cp)
{
	return (uint32_t)(ntohs(cp->cport) - 2000) * 2 +
	       (cp->proto == IPPROTO_UDP);
}

static void model_check_expires(struct model *m, const struct conn *cp)
{
	uint32_t to = m->t.ms[cp->state];
	uint32_t slack = to >> 6 ? to >> 6 : 1;
	uint32_t d = cp->expires - (m->now + to);

	assert_true(d < slack);
}

static uint32_t model_half_open(const struct model *m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m->nkeys; i++)
		n += m->ref[i].live && m->ref[i].state == S(SYN_RECV);
	return n;
}

static void model_expire_cb(void *arg, const struct conn *cp)
{
	struct model *m = arg;
	uint32_t id = model_id(cp);
	struct ref_flow *f = &m->ref[id];

	assert_true(id < m->nkeys);
	assert_true(f->live);
	assert_int_equal(cp->expires, f->expires);
	assert_int_equal(cp->state, f->state);
	assert_int_equal(cp->daddr, f->daddr);
	assert_true((int32_t)(f->expires - m->now) <= 0);
	f->live = false;
	m->removed++;
}

static void model_walk_cb(void *arg, const struct conn *cp)
{
	uint32_t *seen = arg;

	seen[model_id(cp)]++;
}

static void model_invariants(struct model *m)
{
	uint32_t live = 0, half = 0;
	uint32_t *seen = calloc(m->nkeys, sizeof(*seen));

	assert_non_null(seen);
	conn_walk(m->tab, model_walk_cb, seen);
	for (uint32_t i = 0; i < m->nkeys; i++) {
		struct ref_flow *f = &m->ref[i];
		struct conn *cp = conn_lookup_in(m->tab, &f->k);

		assert_int_equal(seen[i], f->live);
		if (!f->live) {
			assert_null(cp);
			continue;
		}
		assert_non_null(cp);
		live++;
		half += f->state == S(SYN_RECV);
		assert_int_equal(cp->state, f->state);
		assert_int_equal(cp->expires, f->expires);
		if (m->check_due)
			assert_false((int32_t)(f->expires - m->now) <= 0);
	}
	assert_int_equal(conn_count(m->tab), live);
	assert_int_equal(conn_half_open(m->tab), half);
	free(seen);
}

static void model_run(uint32_t cap, uint32_t hmax, uint32_t nkeys,
		      uint32_t ops, uint64_t seed)
{
	static const uint8_t flags[] = {
		CONN_TCP_SYN, CONN_TCP_SYN | CONN_TCP_ACK, CONN_TCP_ACK,
		CONN_TCP_ACK, CONN_TCP_ACK | 0x08, CONN_TCP_FIN | CONN_TCP_ACK,
		CONN_TCP_FIN, CONN_TCP_RST, CONN_TCP_RST | CONN_TCP_ACK, 0,
	};
	struct rng r = { seed };
	struct model m;

	memset(&m, 0, sizeof(m));
	m.cap = cap;
	m.hmax = hmax;
	m.nkeys = nkeys;
	m.now = 0xffffffffu - 3000;	/* the clock wraps during the run */
	m.t.ms[S(NONE)] = 20;
	m.t.ms[S(ESTABLISHED)] = 5000;	/* 64 ms grain */
	m.t.ms[S(SYN_SENT)] = 300;
	m.t.ms[S(SYN_RECV)] = 700;	/* 8 ms grain */
	m.t.ms[S(FIN_WAIT)] = 400;
	m.t.ms[S(TIME_WAIT)] = 200;
	m.t.ms[S(CLOSE)] = 50;
	m.t.ms[S(CLOSE_WAIT)] = 150;
	m.t.ms[S(LAST_ACK)] = 100;
	m.t.ms[S(LISTEN)] = 100;
	m.t.ms[S(SYNACK)] = 100;
	m.t.ms[S(UDP)] = 1000;
	m.tab = conn_tab_new(cap, hmax, &m.t, (uint32_t)seed);
	assert_non_null(m.tab);
	m.ref = calloc(nkeys, sizeof(*m.ref));
	assert_non_null(m.ref);
	for (uint32_t i = 0; i < nkeys; i++)
		m.ref[i].k = model_key(i);

	for (uint32_t op = 0; op < ops; op++) {
		uint32_t x = rng_next(&r) % 100;
		uint32_t id = rng_next(&r) % nkeys;
		struct ref_flow *f = &m.ref[id];
		struct conn *cp = conn_lookup_in(m.tab, &f->k);

		m.check_due = false;
		assert_true((cp != NULL) == f->live);
		if (x < 35) {
			/* New flow, or port reuse as the datapath does it. */
			uint32_t live = conn_count(m.tab);
			bool tcp = f->k.proto == IPPROTO_TCP;
			enum lb_drop why = LB_DROP_NONE, want = LB_DROP_NONE;
			__be32 daddr = htonl(RS1 + rng_next(&r) % 3);
			uint8_t fwd = rng_next(&r) & 1;

			if (f->live) {
				if (!conn_is_reusable(cp))
					continue;
				assert_true(f->state == S(TIME_WAIT) ||
					    f->state == S(CLOSE) ||
					    (cp->fwd == LB_FWD_DR &&
					     f->state == S(FIN_WAIT)));
				conn_del(m.tab, cp);
				f->live = false;
				live--;
			}
			if (live == cap)
				want = LB_DROP_CONN_FULL;
			else if (tcp && model_half_open(&m) >= hmax)
				want = LB_DROP_HALF_OPEN_FULL;
			cp = conn_new(m.tab, &f->k, daddr, htons(8080),
				      (enum lb_fwd)fwd, (uint16_t)id, 0,
				      m.now, &why);
			assert_int_equal(why, want);
			if (want != LB_DROP_NONE) {
				assert_null(cp);
				continue;
			}
			assert_non_null(cp);
			f->live = true;
			f->daddr = daddr;
			f->fwd = fwd;
			f->state = tcp ? S(SYN_RECV) : S(UDP);
			model_check_expires(&m, cp);
			f->expires = cp->expires;
		} else if (x < 65) {
			enum conn_dir d = (enum conn_dir)(rng_next(&r) % 3);
			uint8_t fl = flags[rng_next(&r) % sizeof(flags)];
			uint32_t old_exp = f->expires;
			uint8_t old_state = f->state;

			if (!f->live)
				continue;
			m.now += rng_next(&r) % 3;
			assert_int_equal(conn_update(m.tab, cp, d, fl, m.now),
					 f->state);
			f->state = exp_after(d, (enum conn_state)f->state, fl,
					     f->k.proto);
			assert_int_equal(cp->state, f->state);
			if (f->state == old_state &&
			    (int32_t)(old_exp - (m.now + m.t.ms[f->state])) >= 0)
				assert_int_equal(cp->expires, old_exp);
			else
				model_check_expires(&m, cp);
			f->expires = cp->expires;
		} else if (x < 75) {
			if (!f->live)
				continue;
			assert_int_equal(cp->daddr, f->daddr);
			assert_int_equal(cp->fwd, f->fwd);
			assert_int_equal(cp->rs, id);
			assert_int_equal(cp->caddr, f->k.caddr);
			assert_int_equal(cp->vaddr, f->k.vaddr);
			assert_int_equal(cp->cport, f->k.cport);
			assert_int_equal(cp->vport, f->k.vport);
			assert_int_equal(cp->proto, f->k.proto);
		} else if (x < 80) {
			struct conn *o = conn_lookup_out(m.tab, f->k.proto,
							 f->daddr, htons(8080),
							 f->k.caddr, f->k.cport);

			if (f->live && f->fwd == LB_FWD_NAT)
				assert_ptr_equal(o, cp);
			else
				assert_null(o);
		} else if (x < 85) {
			if (!f->live)
				continue;
			conn_del(m.tab, cp);
			f->live = false;
		} else if (x < 97) {
			uint32_t due = 0;
			size_t budget = rng_next(&r) % 4 ? rng_next(&r) % 4 :
				SIZE_MAX;
			size_t n;

			m.now += rng_next(&r) % 200;
			for (uint32_t i = 0; i < nkeys; i++)
				due += m.ref[i].live &&
				       (int32_t)(m.ref[i].expires - m.now) <= 0;
			m.removed = 0;
			n = conn_expire(m.tab, m.now, budget, model_expire_cb,
					&m);
			assert_int_equal(n, m.removed);
			assert_int_equal(n, due < budget ? due : budget);
			m.check_due = budget == SIZE_MAX;
			model_invariants(&m);
		} else {
			model_invariants(&m);
		}
	}
	model_invariants(&m);
	free(m.ref);
	conn_tab_free(m.tab);
}

struct model_case {
	uint32_t cap, hmax, nkeys, ops;
};

static void test_conn_model_random(void **state)
{
	static const struct model_case cases[] = {
		{ 1, 1, 8, 3000 },
		{ 2, 1, 12, 3000 },
		{ 3, 2, 40, 4000 },
		{ 64, 16, 400, 6000 },
		{ 512, 64, 1200, 8000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		model_run(cases[i].cap, cases[i].hmax, cases[i].nkeys,
			  cases[i].ops, 0x9e3779b97f4a7c15ULL + i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_tcp_table_every_cell),
		cmocka_unit_test(test_conn_tcp_event_ranking),
		cmocka_unit_test(test_conn_tcp_next_state_out_of_range),
		cmocka_unit_test(test_conn_tcp_table_via_update),
		cmocka_unit_test(test_conn_udp_never_changes_state),
		cmocka_unit_test(test_conn_state_names),
		cmocka_unit_test(test_conn_timeouts_default),
		cmocka_unit_test(test_conn_is_reusable),
		cmocka_unit_test(test_conn_lookup_in_out_nat_vs_dr),
		cmocka_unit_test(test_conn_expire_exact_boundary),
		cmocka_unit_test(test_conn_expire_per_state_timeout),
		cmocka_unit_test(test_conn_expire_budget_honoured),
		cmocka_unit_test(test_conn_expire_budget_no_starvation),
		cmocka_unit_test(test_conn_rearm_moves_expiry),
		cmocka_unit_test(test_conn_rearm_grain),
		cmocka_unit_test(test_conn_clock_wrap),
		cmocka_unit_test(test_conn_half_open_bound),
		cmocka_unit_test(test_conn_half_open_reentry),
		cmocka_unit_test(test_conn_capacity_bound),
		cmocka_unit_test(test_conn_del_then_new_same_tuple),
		cmocka_unit_test(test_conn_tab_new_bad_args),
		cmocka_unit_test(test_conn_walk_visits_each_once),
		cmocka_unit_test(test_conn_mem_budget),
		cmocka_unit_test(test_conn_collisions_tiny_tables),
		cmocka_unit_test(test_conn_model_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
