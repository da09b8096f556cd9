/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer (and AFL++) target for the datapath: the input is one Ethernet
 * frame. It goes through dp_handle() on both ports of a small fixed table (DR
 * and NAT services, built once), with a few flows already open so that reply
 * and ICMP paths are reachable, at a clock that depends on the input and may
 * wrap; then again after expiry. Every frame lbd sends (scratch headers joined
 * with the tail it borrows from the input) must fit the scratch buffer and
 * parse, and its checksums must verify whenever the input's did:
 * rewriting preserves correctness, it does not repair it.
 *
 * Seeds: lb/fuzz/corpus/pkt/, written by "lb_test_dp --seeds DIR" from the
 * golden frames, whose addresses this table shares.
 *
 * Each input also runs through a twin datapath with no fast path: the two
 * must agree on every verdict, byte and counter.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "dp.h"
#include "pkt.h"
#include "pktbuild.h"
#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_pkt: %s:%d: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

#define FZ_CAP	2048		/* scratch frame; inputs above it are dropped */

static const struct lb_mac mac_gw = { { 0x02, 0, 0, 0, 0, 0xfe } };
static const struct lb_mac mac_ext = { { 0x02, 0, 0, 0, 0, 0x01 } };
static const struct lb_mac mac_int = { { 0x02, 0, 0, 0, 0, 0x02 } };

/*
 * Two worlds, each with a table per twin: the second has expire_nodest_conn
 * on, no gateway towards the clients, and a TCP NAT server down without
 * inhibit_on_failure, so the paths those reach are fuzzed too.
 */
static struct svc_table *tables[2][2];	/* [world][0 fast, 1 full] */
static uint8_t prime[4][128];	/* frames that open flows before each input */
static size_t prime_len[4];

struct fz_rs {
	const char *addr;
	uint16_t port;
	uint32_t weight;
};

struct fz_svc {
	uint16_t vport;
	uint8_t proto;
	enum lb_fwd fwd;
	const char *sched;
	struct fz_rs rs[2];
	size_t n_rs;
};

/* The golden world of test_dp.c, plus a second server per TCP service. */
static const struct fz_svc fz_svcs[] = {
	{ 80, IPPROTO_TCP, LB_FWD_DR, "wrr",
	  { { "192.0.2.11", 80, 1 }, { "192.0.2.13", 80, 0 } }, 2 },
	{ 8080, IPPROTO_TCP, LB_FWD_NAT, "rr",
	  { { "10.1.0.21", 8000, 1 }, { "10.1.0.23", 8000, 1 } }, 2 },
	{ 53, IPPROTO_UDP, LB_FWD_NAT, "wrr", { { "10.1.0.22", 5353, 1 } }, 1 },
	{ 123, IPPROTO_UDP, LB_FWD_DR, "rr", { { "192.0.2.12", 123, 1 } }, 1 },
};

#define FZ_NSVC	(sizeof(fz_svcs) / sizeof(fz_svcs[0]))

static struct svc_table *build_table(bool harsh)
{
	struct cfg_svc cs[FZ_NSVC];
	struct cfg_rs crs[FZ_NSVC][2];
	struct cfg c;
	struct svc_table *t;
	char err[CFG_ERR_LEN];
	size_t i, k;

	memset(&c, 0, sizeof(c));
	memset(cs, 0, sizeof(cs));
	memset(crs, 0, sizeof(crs));
	for (i = 0; i < FZ_NSVC; i++) {
		cs[i].vaddr = pb_addr("192.0.2.100");
		cs[i].vport = htons(fz_svcs[i].vport);
		cs[i].proto = fz_svcs[i].proto;
		cs[i].fwd = fz_svcs[i].fwd;
		snprintf(cs[i].sched, sizeof(cs[i].sched), "%s", fz_svcs[i].sched);
		cs[i].rs = crs[i];
		cs[i].n_rs = fz_svcs[i].n_rs;
		for (k = 0; k < fz_svcs[i].n_rs; k++) {
			crs[i][k].addr = pb_addr(fz_svcs[i].rs[k].addr);
			crs[i][k].port = htons(fz_svcs[i].rs[k].port);
			crs[i][k].weight = fz_svcs[i].rs[k].weight;
		}
	}
	c.svc = cs;
	c.n_svc = FZ_NSVC;
	t = svc_table_build(&c, err, sizeof(err));
	FZ_CHECK(t != NULL, "svc_table_build: %s", err);
	t->port[LB_PORT_EXT] = (struct svc_port){ .present = true, .mac = mac_ext,
		.addr = pb_addr("192.0.2.1"), .mtu = 1500 };
	t->port[LB_PORT_INT] = (struct svc_port){ .present = true, .mac = mac_int,
		.addr = pb_addr("10.1.0.1"), .mtu = 1400 };
	t->has_gw = true;
	t->gw_mac = mac_gw;
	for (i = 0; i < t->n_svc; i++) {
		for (k = 0; k < t->svc[i].n_rs; k++) {
			struct svc_rs *rs = &t->svc[i].rs[k];

			rs->has_mac = true;
			rs->mac.b[0] = 0x02;
			rs->mac.b[1] = 0;
			memcpy(rs->mac.b + 2, &rs->addr, 4);
			rs->via = t->svc[i].fwd == LB_FWD_NAT ? LB_PORT_INT :
								 LB_PORT_EXT;
		}
	}
	/* The second DR server is down but inhibited: a destination of weight 0. */
	t->svc[0].rs[1].up = false;
	t->svc[0].rs[1].inhibit = true;
	svc_sched_reset(&t->svc[0]);
	if (harsh) {
		t->expire_nodest_conn = true;
		t->has_gw = false;
		t->svc[1].rs[1].up = false;
		svc_sched_reset(&t->svc[1]);
	}
	return t;
}

/* Client flows the golden seeds refer to: DR 1000->80, NAT 1001->8080, UDP 2000->53. */
static void build_prime(void)
{
	static const struct { uint16_t cport, vport; uint8_t flags; bool udp; } p[] = {
		{ 1000, 80, PB_SYN, false }, { 1001, 8080, PB_SYN, false },
		{ 1001, 8080, PB_ACK, false }, { 2000, 53, 0, true },
	};
	struct pb_eth eth = { .src = mac_gw, .dst = mac_ext };
	size_t i;

	for (i = 0; i < 4; i++) {
		struct pb_ip ip;

		pb_ip_init(&ip, "198.51.100.7", "192.0.2.100");
		if (p[i].udp) {
			struct pb_udp u = { .sport = p[i].cport, .dport = p[i].vport };

			prime_len[i] = pb_udp_frame(prime[i], sizeof(prime[i]), &eth,
						    &ip, &u, NULL, 0);
		} else {
			struct pb_tcp tc = { .sport = p[i].cport,
					     .dport = p[i].vport,
					     .flags = p[i].flags };

			prime_len[i] = pb_tcp_frame(prime[i], sizeof(prime[i]), &eth,
						    &ip, &tc, NULL, 0);
		}
		FZ_CHECK(prime_len[i] > 0, "prime %zu", i);
	}
}

static bool is_ipv4(const uint8_t *f, size_t len)
{
	return len >= 14 && f[12] == 0x08 && f[13] == 0x00;
}

/* What must hold for any frame dp_handle() produced from input <in>. */
static void check(const uint8_t *in, size_t inlen, enum lb_verdict v,
		  const struct dp_tx *tx)
{
	static uint8_t out[FZ_CAP];
	struct pkt p;
	enum lb_drop why = LB_DROP_NONE;
	size_t len;

	switch (v) {
	case LB_PASS:
		FZ_CHECK(tx->why == LB_DROP_NONE, "pass with reason %d", tx->why);
		return;
	case LB_DROP:
		FZ_CHECK(tx->why > LB_DROP_NONE && tx->why < LB_DROP_MAX,
			 "drop with reason %d", tx->why);
		return;
	case LB_TX:
		break;
	default:
		FZ_CHECK(0, "verdict %d", v);
	}
	FZ_CHECK(tx->len >= 14 && tx->len <= tx->cap, "tx len %zu cap %zu",
		 tx->len, tx->cap);
	FZ_CHECK(tx->port < LB_PORT_MAX, "port %d", tx->port);
	/* A tail is borrowed from the input, so it lies within it. */
	FZ_CHECK(tx->tail_len == 0 ||
		 (tx->tail >= in && tx->tail_len <= inlen &&
		  tx->tail <= in + inlen - tx->tail_len),
		 "tail outside the input frame");
	len = dp_tx_flatten(tx, out, sizeof(out));
	FZ_CHECK(len == tx->len + tx->tail_len, "frame of %zu + %zu bytes",
		 tx->len, tx->tail_len);
	/* It parses, so its IPv4 header checksum verifies (pkt_parse checks). */
	FZ_CHECK(pkt_parse(out, len, &p, &why), "output refused: %s",
		 dp_drop_name(why));
	if (p.kind != PKT_K_IPV4)
		return;
	FZ_CHECK(pb_ip_csum_ok(out, len), "output IPv4 checksum");
	if (p.proto == IPPROTO_ICMP &&
	    (p.icmp_type == 3 || p.icmp_type == 11))
		FZ_CHECK(p.icmp_error, "ICMP error without a usable quote");
	if (is_ipv4(in, inlen) && pb_l4_csum_ok(in, inlen))
		FZ_CHECK(pb_l4_csum_ok(out, len),
			 "L4 checksum broken by the rewrite (proto %u)", p.proto);
	/* A quoted header that verified still verifies after translation. */
	if (p.icmp_error && is_ipv4(in, inlen)) {
		struct pkt ip;
		enum lb_drop w;

		if (pkt_parse(in, inlen, &ip, &w) && ip.icmp_error &&
		    ip.inner.l3_off == p.inner.l3_off &&
		    pb_fold(pb_sum(0, in + ip.inner.l3_off,
				   (size_t)(ip.inner.l4_off - ip.inner.l3_off))) == 0)
			FZ_CHECK(pb_fold(pb_sum(0, out + p.inner.l3_off,
						(size_t)(p.inner.l4_off -
							 p.inner.l3_off))) == 0,
				 "quoted IPv4 checksum broken");
	}
}

/*
 * lbd as it runs, and a twin that takes every frame down the full path
 * (dp_conf.full_path_only), each with its own table (schedulers have state):
 * the fast path must not change a verdict, a byte or a counter.
 */
struct twins {
	struct dp *dp, *full;
	struct svc_table *t, *tf;	/* their tables */
};

static void step(struct twins *w, enum lb_port in, const uint8_t *f,
		 size_t len, uint32_t now, bool must_tx)
{
	static uint8_t scratch[2][FZ_CAP], out[2][FZ_CAP];
	struct dp_tx tx = { .buf = scratch[0], .cap = FZ_CAP };
	struct dp_tx ty = { .buf = scratch[1], .cap = FZ_CAP };
	uint64_t rx = dp_rx(&w->dp->st);
	enum lb_verdict v, vf;
	size_t n, nf;

	v = dp_handle(w->dp, w->t, in, f, len, now, &tx);
	FZ_CHECK(dp_rx(&w->dp->st) == rx + 1, "a frame counted %llu verdicts",
		 (unsigned long long)(dp_rx(&w->dp->st) - rx));
	check(f, len, v, &tx);
	vf = dp_handle(w->full, w->tf, in, f, len, now, &ty);
	FZ_CHECK(v == vf && tx.why == ty.why, "fast path: verdict %d why %s, "
		 "full path: verdict %d why %s", v, dp_drop_name(tx.why), vf,
		 dp_drop_name(ty.why));
	if (v == LB_TX) {
		n = dp_tx_flatten(&tx, out[0], FZ_CAP);
		nf = dp_tx_flatten(&ty, out[1], FZ_CAP);
		FZ_CHECK(tx.port == ty.port && n == nf &&
			 memcmp(out[0], out[1], n) == 0,
			 "fast and full path sent different frames");
	}
	FZ_CHECK(memcmp(&w->dp->st, &w->full->st, sizeof(w->dp->st)) == 0,
		 "fast and full path counted differently");
	FZ_CHECK(conn_count(w->dp->ct) == conn_count(w->full->ct) &&
		 conn_half_open(w->dp->ct) == conn_half_open(w->full->ct),
		 "fast and full path keep different flows");
	FZ_CHECK(!must_tx || v == LB_TX, "verdict %d, want LB_TX", v);
}

static void expire(struct twins *w, uint32_t now, size_t budget)
{
	size_t n = dp_expire(w->dp, now, budget);

	FZ_CHECK(n == dp_expire(w->full, now, budget),
		 "fast and full path expire differently");
}

/* The whole sequence for one frame <f>, on a fresh pair of datapaths. */
static void run_one(const uint8_t *f, size_t size, uint32_t now, int world)
{
	struct dp_conf conf = { .conn_max = 64, .half_open_max = 16, .seed = 7 };
	struct twins w = { .t = tables[world][0], .tf = tables[world][1] };
	size_t i;

	conn_timeouts_default(&conf.timeouts);
	w.dp = dp_new(&conf);
	conf.full_path_only = true;
	w.full = dp_new(&conf);
	FZ_CHECK(w.dp != NULL && w.full != NULL, "dp_new");
	for (i = 0; i < 4; i++)
		step(&w, LB_PORT_EXT, prime[i], prime_len[i], now, true);

	step(&w, LB_PORT_EXT, f, size, now, false);
	step(&w, LB_PORT_INT, f, size, now + 1, false);
	step(&w, LB_PORT_EXT, f, size, now + 2, false);	/* now a known flow */
	expire(&w, now + 200000, 8);			/* SYN_RECV flows go */
	step(&w, LB_PORT_INT, f, size, now + 200001, false);
	/* Everything goes within a day (conn.h: expire at least once a day). */
	expire(&w, now + 86000000u, 64);
	FZ_CHECK(conn_count(w.dp->ct) == 0, "%u flows left after expiry",
		 conn_count(w.dp->ct));
	for (i = 0; i < SVC_SLOTS && i < 8; i++)
		FZ_CHECK(atomic_load(&w.dp->st.rs_conns[i].active) == 0 &&
			 atomic_load(&w.dp->st.rs_conns[i].inactive) == 0,
			 "slot %zu conn counters not back to 0", i);
	step(&w, LB_PORT_EXT, f, size, now + 86000001u, false);
	dp_free(w.dp);
	dp_free(w.full);
}

/*
 * pkt_parse_fast() accepts a subset of what pkt_parse() accepts, and where it
 * accepts a frame it agrees on every field it writes.
 */
static void check_fast_parse(const uint8_t *f, size_t len)
{
	struct pkt fast, full;
	enum lb_drop why = LB_DROP_NONE;

	memset(&fast, 0, sizeof(fast));
	if (!pkt_parse_fast(f, len, &fast))
		return;
	FZ_CHECK(pkt_parse(f, len, &full, &why),
		 "fast parse took a frame the parser drops (%s)",
		 dp_drop_name(why));
	FZ_CHECK(fast.kind == full.kind && fast.l3_off == full.l3_off &&
		 fast.l4_off == full.l4_off && fast.ip_len == full.ip_len &&
		 fast.ihl == full.ihl && fast.proto == full.proto &&
		 fast.ttl == full.ttl && fast.tcp_flags == full.tcp_flags &&
		 fast.df == full.df && fast.saddr == full.saddr &&
		 fast.daddr == full.daddr && fast.sport == full.sport &&
		 fast.dport == full.dport, "fast parse disagrees with the parser");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t fixed[FZ_CAP];
	uint32_t now, h = 2166136261u;
	size_t i;

	if (!tables[0][0]) {
		for (i = 0; i < 4; i++)
			tables[i / 2][i % 2] = build_table(i >= 2);
		build_prime();
	}
	/* The clock comes from the input (FNV-1a), near the wrap for half of them. */
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	now = (h & 1) ? 0xffffffffu - (h >> 12) : h >> 4;

	/* As received: bad checksums and all. */
	check_fast_parse(data, size);
	run_one(data, size, now, 0);
	run_one(data, size, now, 1);
	/*
	 * And with its checksums made right, so that mutations of headers get
	 * past the parser and the "checksums still verify" checks apply.
	 */
	if (size <= sizeof(fixed)) {
		memcpy(fixed, data, size);
		pb_fix_csums(fixed, size);
		if (memcmp(fixed, data, size) != 0) {
			check_fast_parse(fixed, size);
			run_one(fixed, size, now, 0);
			run_one(fixed, size, now, 1);
		}
	}
	return 0;
}
