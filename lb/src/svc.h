/* SPDX-License-Identifier: MIT */
/*
 * Services and real servers (L1): the snapshot the datapath forwards with.
 * The control plane builds a table, fills in what only it can learn (MACs,
 * interfaces), then publishes it with one atomic pointer swap; the datapath
 * never waits for it. After publication a table is read-only except for the
 * scheduler state (sched_state, sched_dest), which belongs to the datapath.
 * No I/O here.
 */
#ifndef LB_SVC_H
#define LB_SVC_H

#include <stdatomic.h>

#include "cfg.h"
#include "sched.h"
#include "types.h"

#define SVC_SLOTS	CFG_RS_MAX	/* real server slots: conns refer to these */
#define SVC_HASH_SIZE	1024		/* > 2 * CFG_SVC_MAX, a power of two */

/* One of the director's interfaces as the datapath needs it. */
struct svc_port {
	bool present;
	int ifindex;
	struct lb_mac mac;	/* ours */
	__be32 addr;		/* the kernel's address on it, network order */
	uint32_t mtu;		/* bytes of IP packet, e.g. 1500 */
};

struct svc_rs {
	__be32 addr;		/* network order */
	__be16 port;		/* network order */
	uint16_t slot;		/* index in svc_table.slot[], stable for its life */
	uint16_t gen;		/* bumped when a slot is reused */
	uint16_t svc;		/* its service's counter slot (svc.idx) */
	uint32_t weight;	/* configured weight */
	bool up;		/* health: up (true until a checker says down) */
	bool inhibit;		/* when down: weight 0, but still a destination */
	uint8_t via;		/* enum lb_port towards it */
	bool has_mac;		/* <mac> is valid */
	struct lb_mac mac;	/* next hop MAC towards it */
};

struct svc {
	__be32 vaddr;		/* network order */
	__be16 vport;		/* network order */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t fwd;		/* enum lb_fwd */
	uint16_t idx;		/* counter slot, stable across tables */
	const struct sched_ops *sched;
	struct sched_state st;	/* datapath-owned after publication */
	struct sched_dest *sd;	/* n_rs entries, datapath-owned, parallel to rs */
	struct svc_rs *rs;	/* n_rs entries */
	uint16_t n_rs;
};

struct svc_table {
	uint64_t gen;		/* publication number, set by svc_pub_set() */
	struct svc *svc;	/* n_svc entries */
	uint16_t n_svc;
	struct svc_rs *drain;	/* n_drain removed real servers whose flows live on */
	uint16_t n_drain;
	struct svc_rs *slot[SVC_SLOTS];	/* slot -> real server (or drain), or NULL */
	__be32 vip[CFG_SVC_MAX];	/* distinct VIPs, network order */
	uint16_t n_vip;
	struct svc_port port[LB_PORT_MAX];
	bool has_gw;		/* <gw_mac> valid: next hop towards clients */
	struct lb_mac gw_mac;
	bool expire_nodest_conn;
	uint32_t rx_coalesce_us;	/* lbd_rx_coalesce_us, for the loop */
	uint16_t hash[SVC_HASH_SIZE];	/* service index + 1; 0 = empty */
	/*
	 * The capture filter this table needs (VIPs, NAT real servers), owned
	 * by the table, and a number that changes only when the text does: the
	 * datapath re-applies the filter when it sees a new number.
	 */
	char *filter;
	uint64_t filter_gen;
};

/*
 * How the control plane names services and real servers across tables, so
 * that flows and counters keep pointing at the same thing: one entry per
 * service (svc_slot) and one per real server (the rest), in config order.
 */
struct svc_ref {
	uint16_t slot;		/* counter slot (service) or rs slot */
	uint16_t gen;		/* rs: generation of the slot */
	bool up;		/* rs: health */
};

/*
 * Builds a table from the validated config <c> for a first start: services
 * take counter slots and real servers take rs slots in config order,
 * generation 1, all up. Schedulers count every real server that is up; ports
 * and MACs are left for the caller, who calls svc_table_ready() once they are
 * filled. Returns NULL with a message in <err> when memory is short or a
 * scheduler is unknown.
 */
struct svc_table *svc_table_build(const struct cfg *c, char *err, size_t errlen);

/*
 * As svc_table_build(), but with the control plane's names: <svc_refs> has
 * c->n_svc entries and <rs_refs> one per real server in config order.
 * <drain> (<n_drain> entries, may be NULL when 0) are removed real servers
 * whose flows must still reach them: they keep their slots but take no new
 * flows. Also fails when two entries claim one slot.
 */
struct svc_table *svc_table_rebuild(const struct cfg *c,
				    const struct svc_ref *svc_refs,
				    const struct svc_ref *rs_refs,
				    const struct svc_rs *drain, uint16_t n_drain,
				    char *err, size_t errlen);

/*
 * Recomputes every scheduler from the final health and MAC state (a real
 * server whose next hop MAC is unknown takes no new flows): call before
 * publishing.
 */
void svc_table_ready(struct svc_table *t);

/*
 * Carries scheduler state from <old>, the table the datapath has been
 * forwarding with, into <t>, the one it is taking up: a service (same
 * counter slot and scheduler) whose real servers and effective weights are
 * the same in both goes on with its cycle, so a rebuild for something else
 * (another service's edit, a health change elsewhere, a MAC) does not
 * restart its rr or wrr cycle. Any other service keeps the fresh state
 * svc_table_ready() gave it: its weights changed, a new cycle is right.
 * Only the datapath may call this (it owns both tables' scheduler state),
 * before its first pick from <t>. <old> may be NULL.
 */
void svc_table_inherit(struct svc_table *t, const struct svc_table *old);

/* Frees <t>. Accepts NULL. */
void svc_table_free(struct svc_table *t);

/* The service for <vaddr>:<vport>/<proto> (network order), or NULL. */
struct svc *svc_lookup(const struct svc_table *t, __be32 vaddr, __be16 vport,
		       uint8_t proto);

/* True when <addr> (network order) is one of the table's VIPs. */
bool svc_is_vip(const struct svc_table *t, __be32 addr);

/* The weight <rs> offers new flows: 0 when it is down or has no next hop MAC. */
uint32_t svc_rs_weight(const struct svc_rs *rs);

/*
 * True when <rs> may still carry existing flows: up, or down but inhibited
 * (weight 0 rather than removal, keepalived's inhibit_on_failure).
 */
bool svc_rs_is_dest(const struct svc_rs *rs);

/* Recomputes <s>'s scheduler weights (svc_rs_weight()) and calls update(). */
void svc_sched_reset(struct svc *s);

/*
 * Publication. One writer (the control plane) swaps tables in; one reader
 * (the datapath) picks up the newest at the start of each batch and, after
 * the batch, acknowledges the generation it used. A retired table may be
 * freed once svc_pub_released() says the reader has moved past it.
 */
struct svc_pub {
	_Atomic(struct svc_table *) cur;
	_Atomic uint64_t seen;	/* generation the datapath last finished with */
	uint64_t next_gen;	/* writer-private */
};

/* Publishes <t> (numbering it) and returns the table it replaces, or NULL. */
struct svc_table *svc_pub_set(struct svc_pub *pub, struct svc_table *t);

/* The datapath's view: the newest table (acquire), or NULL before the first. */
struct svc_table *svc_pub_get(struct svc_pub *pub);

/* The datapath finished a batch with <t>. */
void svc_pub_ack(struct svc_pub *pub, const struct svc_table *t);

/* True once the datapath has acknowledged a table newer than <old>. */
bool svc_pub_released(struct svc_pub *pub, const struct svc_table *old);

#endif /* LB_SVC_H */
