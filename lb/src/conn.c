/* SPDX-License-Identifier: MIT */
/*
 * Connection table (L1): a preallocated array of struct conn, two chained hash
 * tables of uint32 heads (client tuple; NAT reply tuple), the IPVS TCP state
 * table and one expiry FIFO per state. No I/O, no clock, no allocation after
 * conn_tab_new(): time and the hash seed come from the caller.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "conn.h"

/* Private bits of struct conn.flags. */
#define CONN_F_LIVE	0x01	/* slot holds a flow (not on the free list) */
#define CONN_F_OUT	0x02	/* flow is linked into the out-hash (NAT) */

#define CONN_CAP_MAX		(1u << 24)
#define CONN_TIMEOUT_MAX	(1u << 30)	/* ms; keeps expiries wrap-safe */

/*
 * A flow expires no earlier than its state's timeout after its last segment,
 * and at most 1/2^CONN_GRAIN_SHIFT of that timeout later: expiries are rounded
 * up to a per-state power of two, so a busy flow keeps the same expiry (and its
 * place in the expiry list) for many packets instead of moving on each one.
 */
#define CONN_GRAIN_SHIFT	6

_Static_assert(sizeof(struct conn) == 48, "struct conn must stay 48 bytes");

struct conn_tab {
	struct conn *conns;	/* [capacity] slots */
	uint32_t *in_head;	/* [mask + 1] in-hash chains, index + 1 */
	uint32_t *out_head;	/* [mask + 1] out-hash chains (NAT), index + 1 */
	uint32_t mask;		/* buckets - 1; buckets a power of two >= capacity */
	uint32_t capacity;	/* slots */
	uint32_t count;		/* live flows */
	uint32_t half_open;	/* live flows in SYN_RECV */
	uint32_t half_open_max;	/* bound on half_open for conn_new() */
	uint32_t free_head;	/* free slots, chained through in_next, index + 1 */
	uint32_t lru_head[CONN_S_MAX];	/* per-state expiry FIFO, oldest, index + 1 */
	uint32_t lru_tail[CONN_S_MAX];	/* newest, index + 1 */
	uint32_t arm_add[CONN_S_MAX];	/* ms: timeout + grain - 1 */
	uint32_t arm_mask[CONN_S_MAX];	/* ~(grain - 1); grain: ms, a power of two */
	uint32_t expire_next;	/* state whose list conn_expire() visits first */
	uint64_t k0, k1;	/* hash key derived from the seed */
};

/* ------------------------------------------------------------------ */
/* TCP state table                                                     */
/* ------------------------------------------------------------------ */

/*
 * IPVS's TCP state table (ip_vs_proto_tcp.c, tcp_states[], not the secure_tcp
 * variant), transcribed. One block per enum conn_dir, one row per event, one
 * column per current state; the cell is the next state. Events are ranked as
 * tcp_state_idx() ranks them: RST beats SYN beats FIN beats ACK. Unlike IPVS,
 * which moves a segment with none of these flags to CLOSE, such a segment
 * changes nothing here (conn_tcp_event() returns CONN_EV_NONE).
 *
 * INPUT and INPUT-ONLY differ only where the director would need the server's
 * half to know better: FIN on ESTABLISHED (CLOSE_WAIT vs FIN_WAIT), FIN on
 * FIN_WAIT and RST on SYNACK. LISTEN and SYNACK are reachable only from
 * themselves in this table, NONE and LAST_ACK never from elsewhere; they are
 * kept so that the table matches IPVS cell for cell.
 */
enum conn_ev {
	CONN_EV_SYN = 0,
	CONN_EV_FIN,
	CONN_EV_ACK,
	CONN_EV_RST,
	CONN_EV_MAX,
	CONN_EV_NONE = CONN_EV_MAX
};

#define CONN_TCP_NSTATES	(CONN_S_SYNACK + 1)

#define NO CONN_S_NONE
#define ES CONN_S_ESTABLISHED
#define SS CONN_S_SYN_SENT
#define SR CONN_S_SYN_RECV
#define FW CONN_S_FIN_WAIT
#define TW CONN_S_TIME_WAIT
#define CL CONN_S_CLOSE
#define CW CONN_S_CLOSE_WAIT
#define LA CONN_S_LAST_ACK
#define LI CONN_S_LISTEN
#define SA CONN_S_SYNACK

static const uint8_t conn_tcp_table[CONN_DIR_MAX][CONN_EV_MAX][CONN_TCP_NSTATES] = {
	[CONN_DIR_IN] = {
		/*		 NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA */
		[CONN_EV_SYN] = { SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR },
		[CONN_EV_FIN] = { CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW },
		[CONN_EV_ACK] = { CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES },
		[CONN_EV_RST] = { CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR },
	},
	[CONN_DIR_OUT] = {
		/*		 NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA */
		[CONN_EV_SYN] = { SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR },
		[CONN_EV_FIN] = { TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW },
		[CONN_EV_ACK] = { ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES },
		[CONN_EV_RST] = { CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL },
	},
	[CONN_DIR_IN_ONLY] = {
		/*		 NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA */
		[CONN_EV_SYN] = { SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR },
		[CONN_EV_FIN] = { CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW },
		[CONN_EV_ACK] = { CL, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES },
		[CONN_EV_RST] = { CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL },
	},
};

#undef NO
#undef ES
#undef SS
#undef SR
#undef FW
#undef TW
#undef CL
#undef CW
#undef LA
#undef LI
#undef SA

static inline enum conn_ev conn_tcp_event(uint8_t tcp_flags)
{
	/* A bare ACK is what almost every segment of a flow carries. */
	if (!(tcp_flags & (CONN_TCP_RST | CONN_TCP_SYN | CONN_TCP_FIN)))
		return tcp_flags & CONN_TCP_ACK ? CONN_EV_ACK : CONN_EV_NONE;
	if (tcp_flags & CONN_TCP_RST)
		return CONN_EV_RST;
	if (tcp_flags & CONN_TCP_SYN)
		return CONN_EV_SYN;
	if (tcp_flags & CONN_TCP_FIN)
		return CONN_EV_FIN;
	if (tcp_flags & CONN_TCP_ACK)
		return CONN_EV_ACK;
	return CONN_EV_NONE;
}

/* conn_tcp_next_state(), inline for conn_update() on the packet path. */
static inline enum conn_state conn_tcp_next(enum conn_state s,
					    enum conn_dir dir, uint8_t tcp_flags)
{
	enum conn_ev ev = conn_tcp_event(tcp_flags);

	if ((unsigned int)s >= CONN_TCP_NSTATES ||
	    (unsigned int)dir >= CONN_DIR_MAX || ev == CONN_EV_NONE)
		return s;
	return (enum conn_state)conn_tcp_table[dir][ev][s];
}

enum conn_state conn_tcp_next_state(enum conn_state s, enum conn_dir dir,
				    uint8_t tcp_flags)
{
	return conn_tcp_next(s, dir, tcp_flags);
}

static const char *const conn_state_names[CONN_S_MAX] = {
	[CONN_S_NONE] = "NONE",
	[CONN_S_ESTABLISHED] = "ESTABLISHED",
	[CONN_S_SYN_SENT] = "SYN_SENT",
	[CONN_S_SYN_RECV] = "SYN_RECV",
	[CONN_S_FIN_WAIT] = "FIN_WAIT",
	[CONN_S_TIME_WAIT] = "TIME_WAIT",
	[CONN_S_CLOSE] = "CLOSE",
	[CONN_S_CLOSE_WAIT] = "CLOSE_WAIT",
	[CONN_S_LAST_ACK] = "LAST_ACK",
	[CONN_S_LISTEN] = "LISTEN",
	[CONN_S_SYNACK] = "SYNACK",
	[CONN_S_UDP] = "UDP",
};

const char *conn_state_name(enum conn_state s)
{
	if ((unsigned int)s >= CONN_S_MAX)
		return "ERR!";
	return conn_state_names[s];
}

void conn_timeouts_default(struct conn_timeouts *t)
{
	/* IPVS tcp_timeouts[] and udp_timeouts[], in ms. */
	static const uint32_t def[CONN_S_MAX] = {
		[CONN_S_NONE] = 2 * 1000,
		[CONN_S_ESTABLISHED] = 15 * 60 * 1000,
		[CONN_S_SYN_SENT] = 2 * 60 * 1000,
		[CONN_S_SYN_RECV] = 1 * 60 * 1000,
		[CONN_S_FIN_WAIT] = 2 * 60 * 1000,
		[CONN_S_TIME_WAIT] = 2 * 60 * 1000,
		[CONN_S_CLOSE] = 10 * 1000,
		[CONN_S_CLOSE_WAIT] = 60 * 1000,
		[CONN_S_LAST_ACK] = 30 * 1000,
		[CONN_S_LISTEN] = 2 * 60 * 1000,
		[CONN_S_SYNACK] = 120 * 1000,
		[CONN_S_UDP] = 5 * 60 * 1000,
	};

	memcpy(t->ms, def, sizeof(t->ms));
}

/*
 * A DR director never sees the server's FIN, so in the input-only table a
 * finished flow rests in FIN_WAIT, not TIME_WAIT; a fresh SYN there means the
 * client has moved on. IPVS needs conn_reuse_mode bit 2 for this; here it is
 * the rule.
 */
bool conn_is_reusable(const struct conn *cp)
{
	if (cp->proto != IPPROTO_TCP)
		return false;
	return cp->state == CONN_S_TIME_WAIT || cp->state == CONN_S_CLOSE ||
	       (cp->fwd == LB_FWD_DR && cp->state == CONN_S_FIN_WAIT);
}

/* ------------------------------------------------------------------ */
/* Hashing                                                             */
/* ------------------------------------------------------------------ */

static uint64_t conn_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Keyed multiply-fold of four 32-bit words (addresses, both ports, protocol):
 * one 64x64->128 multiply of the key-whitened halves, folded. Not a MAC,
 * like IPVS's jhash with a seed drawn when IPVS starts (ip_vs_conn_rnd): it
 * keeps chains short for tuples an attacker chooses without the seed.
 */
static inline uint32_t conn_mix(const struct conn_tab *tab, uint64_t x,
				uint64_t y)
{
	unsigned __int128 m = (unsigned __int128)(x ^ tab->k0) * (y ^ tab->k1);
	uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);

	return (uint32_t)h ^ (uint32_t)(h >> 32);
}

/*
 * A tuple as two words, addresses and ports, loaded as they lie in memory:
 * struct flow_key and struct conn keep the client tuple's pairs side by
 * side (caddr:vaddr, cport:vport), and struct conn the reply tuple's too
 * (daddr:caddr, dport:cport), so a lookup reads and compares a tuple as two
 * words and the protocol byte.
 */
_Static_assert(offsetof(struct flow_key, vaddr) ==
	       offsetof(struct flow_key, caddr) + 4 &&
	       offsetof(struct flow_key, vport) ==
	       offsetof(struct flow_key, cport) + 2 &&
	       offsetof(struct conn, vaddr) == offsetof(struct conn, caddr) + 4 &&
	       offsetof(struct conn, vport) == offsetof(struct conn, cport) + 2 &&
	       offsetof(struct conn, caddr) == offsetof(struct conn, daddr) + 4 &&
	       offsetof(struct conn, cport) == offsetof(struct conn, dport) + 2,
	       "tuple pairs must be adjacent");

/*
 * The 8 or 4 bytes at offset <off> of the object at <obj>, read through
 * the whole object rather than through one of its members, which is too
 * small to read 8 bytes from.
 */
static inline uint64_t conn_ld64(const void *obj, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)obj + off, sizeof(v));
	return v;
}

static inline uint32_t conn_ld32(const void *obj, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)obj + off, sizeof(v));
	return v;
}

/* The client tuple of a conn as two words. */
static inline uint64_t conn_addrs(const struct conn *cp)
{
	return conn_ld64(cp, offsetof(struct conn, caddr));
}

static inline uint32_t conn_ports(const struct conn *cp)
{
	return conn_ld32(cp, offsetof(struct conn, cport));
}

/* The reply tuple, real server then client, the same way. */
static inline uint64_t conn_reply_addrs(const struct conn *cp)
{
	return conn_ld64(cp, offsetof(struct conn, daddr));
}

static inline uint32_t conn_reply_ports(const struct conn *cp)
{
	return conn_ld32(cp, offsetof(struct conn, dport));
}

/*
 * The bucket of a tuple given as two words, in either hash: a client tuple
 * indexes in_head, a reply tuple out_head. The two have head arrays of
 * their own, so nothing needs to tell their keys apart.
 */
static inline uint32_t conn_bucket(const struct conn_tab *tab, uint64_t addrs,
				   uint32_t ports, uint8_t proto)
{
	return conn_mix(tab, addrs, ((uint64_t)ports << 32) | proto) & tab->mask;
}

/* ------------------------------------------------------------------ */
/* Table life cycle                                                    */
/* ------------------------------------------------------------------ */

static uint32_t conn_grain(uint32_t timeout)
{
	uint32_t g = 1;

	while ((uint64_t)g * 2 <= (timeout >> CONN_GRAIN_SHIFT))
		g *= 2;
	return g;
}

/*
 * Zeroed memory whose pages are already resident, so that the datapath never
 * takes a page fault on the table and an overcommitted host fails here rather
 * than under load. calloc() alone maps large blocks lazily, and compilers may
 * drop a memset(0) after it, hence the volatile stores (one per 4 KiB).
 */
static void *conn_zalloc(size_t len)
{
	volatile unsigned char *p = calloc(1, len);
	size_t off;

	if (p == NULL)
		return NULL;
	for (off = 0; off < len; off += 4096)
		p[off] = 0;
	return (void *)(uintptr_t)p;
}

struct conn_tab *conn_tab_new(uint32_t capacity, uint32_t half_open_max,
			      const struct conn_timeouts *t, uint32_t seed)
{
	struct conn_tab *tab;
	uint32_t buckets, i;
	uint64_t sm;

	if (capacity == 0 || capacity > CONN_CAP_MAX || half_open_max == 0 ||
	    t == NULL)
		return NULL;
	if (half_open_max > capacity)
		half_open_max = capacity;
	for (i = 0; i < CONN_S_MAX; i++)
		if (t->ms[i] > CONN_TIMEOUT_MAX)
			return NULL;

	tab = calloc(1, sizeof(*tab));
	if (tab == NULL)
		goto err;
	for (buckets = 1; buckets < capacity; buckets *= 2)
		;
	tab->mask = buckets - 1;
	tab->capacity = capacity;
	tab->half_open_max = half_open_max;

	tab->conns = conn_zalloc((size_t)capacity * sizeof(struct conn));
	tab->in_head = conn_zalloc((size_t)buckets * sizeof(uint32_t));
	tab->out_head = conn_zalloc((size_t)buckets * sizeof(uint32_t));
	if (tab->conns == NULL || tab->in_head == NULL || tab->out_head == NULL)
		goto err_free_tab;

	/* Free list in index order, so the first flows fill the array densely. */
	for (i = 0; i < capacity; i++)
		tab->conns[i].in_next = i + 2 <= capacity ? i + 2 : 0;
	tab->free_head = 1;

	for (i = 0; i < CONN_S_MAX; i++) {
		tab->arm_add[i] = t->ms[i] + conn_grain(t->ms[i]) - 1;
		tab->arm_mask[i] = ~(conn_grain(t->ms[i]) - 1);
	}
	sm = seed;
	tab->k0 = conn_splitmix64(&sm);
	tab->k1 = conn_splitmix64(&sm) | 1;
	return tab;

err_free_tab:
	conn_tab_free(tab);
err:
	return NULL;
}

void conn_tab_free(struct conn_tab *tab)
{
	if (tab == NULL)
		return;
	free(tab->out_head);
	free(tab->in_head);
	free(tab->conns);
	free(tab);
}

uint32_t conn_count(const struct conn_tab *tab)
{
	return tab->count;
}

uint32_t conn_half_open(const struct conn_tab *tab)
{
	return tab->half_open;
}

uint32_t conn_capacity(const struct conn_tab *tab)
{
	return tab->capacity;
}

size_t conn_tab_bytes(const struct conn_tab *tab)
{
	return sizeof(*tab) + (size_t)tab->capacity * sizeof(struct conn) +
	       2 * ((size_t)tab->mask + 1) * sizeof(uint32_t);
}

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

/* The in-hash chain walk, for a client tuple as conn_addrs()/conn_ports() give it. */
static inline struct conn *conn_walk_in(struct conn_tab *tab, uint64_t addrs,
					uint32_t ports, uint8_t proto)
{
	uint32_t i = tab->in_head[conn_bucket(tab, addrs, ports, proto)];

	while (i != 0) {
		struct conn *cp = &tab->conns[i - 1];

		if (conn_addrs(cp) == addrs && conn_ports(cp) == ports &&
		    cp->proto == proto)
			return cp;
		i = cp->in_next;
	}
	return NULL;
}

static inline struct conn *conn_walk_out(struct conn_tab *tab, uint64_t addrs,
					 uint32_t ports, uint8_t proto)
{
	uint32_t i = tab->out_head[conn_bucket(tab, addrs, ports, proto)];

	while (i != 0) {
		struct conn *cp = &tab->conns[i - 1];

		if (conn_reply_addrs(cp) == addrs &&
		    conn_reply_ports(cp) == ports && cp->proto == proto)
			return cp;
		i = cp->out_next;
	}
	return NULL;
}

struct conn *conn_lookup_in(struct conn_tab *tab, const struct flow_key *k)
{
	return conn_walk_in(tab, conn_ld64(k, offsetof(struct flow_key, caddr)),
			    conn_ld32(k, offsetof(struct flow_key, cport)),
			    k->proto);
}

struct conn *conn_lookup_out(struct conn_tab *tab, uint8_t proto,
			     __be32 daddr, __be16 dport,
			     __be32 caddr, __be16 cport)
{
	struct conn c = { .daddr = daddr, .caddr = caddr,
			  .dport = dport, .cport = cport };

	return conn_walk_out(tab, conn_reply_addrs(&c), conn_reply_ports(&c),
			     proto);
}

/*
 * A client's packet carries its tuple in the order struct conn keeps it
 * (source then destination address, source then destination port), so
 * both words load straight from the frame.
 */
struct conn *conn_find_in(struct conn_tab *tab, const uint8_t *addrs,
			  const uint8_t *ports, uint8_t proto)
{
	uint64_t a;
	uint32_t p;

	memcpy(&a, addrs, sizeof(a));
	memcpy(&p, ports, sizeof(p));
	return conn_walk_in(tab, a, p, proto);
}

struct conn *conn_find_out(struct conn_tab *tab, const uint8_t *addrs,
			   const uint8_t *ports, uint8_t proto)
{
	uint64_t a;
	uint32_t p;

	memcpy(&a, addrs, sizeof(a));
	memcpy(&p, ports, sizeof(p));
	return conn_walk_out(tab, a, p, proto);
}

/* ------------------------------------------------------------------ */
/* Expiry lists                                                        */
/* ------------------------------------------------------------------ */

/*
 * Expiry without scans. Each state s has a FIFO lru_head[s] .. lru_tail[s],
 * doubly linked through lru_prev/lru_next (index + 1, 0 = none); every live
 * flow is on exactly the list of its state, every free slot on none.
 *
 * Invariant: along each list, expires is non-decreasing (wrap-safely). It
 * holds because a flow enters or moves to the tail only with expires =
 * roundup(now + timeout[s], grain[s]) (conn_arm(), which keeps both folded
 * into arm_add[s] and arm_mask[s]), timeout[s] and grain[s] are constant
 * for the list, and <now> never goes backwards between calls; a flow whose
 * expiry would not move later stays where it is. So the due flows of a list
 * are a prefix of it, and conn_expire() pops heads while they are due.
 *
 * Wrap-safety: all live expiries lie within timeout + grain <= 2^30 + 2^24 ms
 * of <now>, well inside the 2^31 window that (int32_t)(a - b) compares
 * correctly, provided conn_expire() runs at least once a day.
 */

/* a <= b on the wrapping ms clock. */
static inline bool conn_time_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint32_t conn_arm(const struct conn_tab *tab,
				enum conn_state s, uint32_t now)
{
	return (now + tab->arm_add[s]) & tab->arm_mask[s];
}

static inline uint32_t conn_idx(const struct conn_tab *tab,
				const struct conn *cp)
{
	return (uint32_t)(cp - tab->conns) + 1;
}

static void conn_lru_unlink(struct conn_tab *tab, struct conn *cp)
{
	uint32_t prev = cp->lru_prev, next = cp->lru_next;

	if (prev != 0)
		tab->conns[prev - 1].lru_next = next;
	else
		tab->lru_head[cp->state] = next;
	if (next != 0)
		tab->conns[next - 1].lru_prev = prev;
	else
		tab->lru_tail[cp->state] = prev;
	cp->lru_prev = 0;
	cp->lru_next = 0;
}

static void conn_lru_append(struct conn_tab *tab, struct conn *cp, uint32_t idx)
{
	uint32_t tail = tab->lru_tail[cp->state];

	cp->lru_prev = tail;
	cp->lru_next = 0;
	if (tail != 0)
		tab->conns[tail - 1].lru_next = idx;
	else
		tab->lru_head[cp->state] = idx;
	tab->lru_tail[cp->state] = idx;
}

/* ------------------------------------------------------------------ */
/* Create, update, delete                                              */
/* ------------------------------------------------------------------ */

struct conn *conn_new(struct conn_tab *tab, const struct flow_key *k,
		      __be32 daddr, __be16 dport, enum lb_fwd fwd,
		      uint16_t rs, uint16_t rs_gen, uint32_t now,
		      enum lb_drop *why)
{
	bool is_tcp = k->proto == IPPROTO_TCP;
	struct conn *cp;
	uint32_t idx, b;

	if (tab->count >= tab->capacity || tab->free_head == 0) {
		*why = LB_DROP_CONN_FULL;
		return NULL;
	}
	if (is_tcp && tab->half_open >= tab->half_open_max) {
		*why = LB_DROP_HALF_OPEN_FULL;
		return NULL;
	}

	idx = tab->free_head;
	cp = &tab->conns[idx - 1];
	tab->free_head = cp->in_next;

	cp->caddr = k->caddr;
	cp->vaddr = k->vaddr;
	cp->daddr = daddr;
	cp->cport = k->cport;
	cp->vport = k->vport;
	cp->dport = dport;
	cp->proto = k->proto;
	cp->state = is_tcp ? CONN_S_SYN_RECV : CONN_S_UDP;
	cp->fwd = (uint8_t)fwd;
	cp->flags = CONN_F_LIVE;
	cp->rs = rs;
	cp->rs_gen = rs_gen;
	cp->pad = 0;
	cp->expires = conn_arm(tab, (enum conn_state)cp->state, now);

	b = conn_bucket(tab, conn_addrs(cp), conn_ports(cp), cp->proto);
	cp->in_next = tab->in_head[b];
	tab->in_head[b] = idx;

	cp->out_next = 0;
	if (fwd == LB_FWD_NAT) {
		b = conn_bucket(tab, conn_reply_addrs(cp),
				conn_reply_ports(cp), cp->proto);
		cp->out_next = tab->out_head[b];
		tab->out_head[b] = idx;
		cp->flags |= CONN_F_OUT;
	}

	conn_lru_append(tab, cp, idx);
	tab->count++;
	if (is_tcp)
		tab->half_open++;
	*why = LB_DROP_NONE;
	return cp;
}

void conn_touch(struct conn_tab *tab, struct conn *cp, uint32_t now)
{
	uint32_t expires = conn_arm(tab, (enum conn_state)cp->state, now);

	/*
	 * Most segments leave the rounded expiry as is, and an expiry is
	 * never pulled in (that could unsort the list).
	 */
	if (conn_time_le(expires, cp->expires))
		return;
	cp->expires = expires;
	if (tab->lru_tail[cp->state] == conn_idx(tab, cp))
		return;
	conn_lru_unlink(tab, cp);
	conn_lru_append(tab, cp, conn_idx(tab, cp));
}

enum conn_state conn_update(struct conn_tab *tab, struct conn *cp,
			    enum conn_dir dir, uint8_t tcp_flags, uint32_t now)
{
	enum conn_state old = (enum conn_state)cp->state;
	enum conn_state s = old;
	uint32_t expires;

	/*
	 * Nearly every segment is a bare ACK on an established flow, which
	 * the table's ACK row keeps established in every direction.
	 */
	if (cp->proto == IPPROTO_TCP &&
	    (old != CONN_S_ESTABLISHED ||
	     (tcp_flags & (CONN_TCP_RST | CONN_TCP_SYN | CONN_TCP_FIN))))
		s = conn_tcp_next(old, dir, tcp_flags);
	if (s == old) {
		conn_touch(tab, cp, now);
		return old;
	}

	expires = conn_arm(tab, s, now);
	conn_lru_unlink(tab, cp);
	if (old == CONN_S_SYN_RECV)
		tab->half_open--;
	if (s == CONN_S_SYN_RECV)
		tab->half_open++;
	cp->state = (uint8_t)s;
	cp->expires = expires;
	conn_lru_append(tab, cp, conn_idx(tab, cp));
	return old;
}

/* Unlinks <cp> (slot <idx>) from the hash chain starting at *<link>. */
static void conn_chain_unlink(struct conn_tab *tab, uint32_t *link,
			      uint32_t idx, bool out)
{
	while (*link != 0 && *link != idx) {
		struct conn *c = &tab->conns[*link - 1];

		link = out ? &c->out_next : &c->in_next;
	}
	if (*link == idx) {
		const struct conn *cp = &tab->conns[idx - 1];

		*link = out ? cp->out_next : cp->in_next;
	}
}

/* Takes <cp> out of both hashes and its expiry list; the slot stays taken. */
static void conn_unhash(struct conn_tab *tab, struct conn *cp, uint32_t idx)
{
	uint32_t b;

	b = conn_bucket(tab, conn_addrs(cp), conn_ports(cp), cp->proto);
	conn_chain_unlink(tab, &tab->in_head[b], idx, false);
	if (cp->flags & CONN_F_OUT) {
		b = conn_bucket(tab, conn_reply_addrs(cp),
				conn_reply_ports(cp), cp->proto);
		conn_chain_unlink(tab, &tab->out_head[b], idx, true);
	}
	conn_lru_unlink(tab, cp);
	tab->count--;
	if (cp->state == CONN_S_SYN_RECV)
		tab->half_open--;
}

static void conn_release(struct conn_tab *tab, struct conn *cp, uint32_t idx)
{
	cp->flags = 0;
	cp->out_next = 0;
	cp->in_next = tab->free_head;
	tab->free_head = idx;
}

void conn_del(struct conn_tab *tab, struct conn *cp)
{
	uint32_t idx = conn_idx(tab, cp);

	if (!(cp->flags & CONN_F_LIVE))
		return;
	conn_unhash(tab, cp, idx);
	conn_release(tab, cp, idx);
}

/*
 * conn_expire() visits the per-state lists in turn, starting with the state
 * where the previous call ran out of budget (expire_next) so that no list
 * starves, and pops each list's head while it is due (see the invariant
 * above). Variables: s walks the states, n counts removals. It terminates
 * because each pass of the inner loop either removes a flow (at most <budget>
 * times) or ends that state's visit, and there are CONN_S_MAX states.
 */
size_t conn_expire(struct conn_tab *tab, uint32_t now, size_t budget,
		   conn_expire_cb cb, void *arg)
{
	uint32_t first = tab->expire_next;
	size_t n = 0;
	uint32_t k;

	for (k = 0; k < CONN_S_MAX; k++) {
		uint32_t s = (first + k) % CONN_S_MAX;
		uint32_t idx;

		while ((idx = tab->lru_head[s]) != 0) {
			struct conn *cp = &tab->conns[idx - 1];

			if (!conn_time_le(cp->expires, now))
				break;
			if (n == budget) {
				tab->expire_next = s;
				return n;
			}
			conn_unhash(tab, cp, idx);
			if (cb != NULL)
				cb(arg, cp);
			conn_release(tab, cp, idx);
			n++;
		}
	}
	return n;
}

void conn_walk(const struct conn_tab *tab,
	       void (*fn)(void *arg, const struct conn *cp), void *arg)
{
	uint32_t s, idx;

	for (s = 0; s < CONN_S_MAX; s++)
		for (idx = tab->lru_head[s]; idx != 0;
		     idx = tab->conns[idx - 1].lru_next)
			fn(arg, &tab->conns[idx - 1]);
}

void conn_dump_step(const struct conn_tab *tab, struct conn_dump *d,
		    uint32_t now, uint32_t budget)
{
	uint32_t end = d->next + budget;

	if (end > tab->capacity || end < d->next)
		end = tab->capacity;
	for (; d->next < end; d->next++) {
		const struct conn *cp = &tab->conns[d->next];

		if ((cp->flags & CONN_F_LIVE) && d->n < d->cap)
			d->buf[d->n++] = *cp;
	}
	if (d->next >= tab->capacity) {
		d->now = now;
		atomic_store_explicit(&d->state, CONN_DUMP_DONE,
				      memory_order_release);
	}
}
