/* SPDX-License-Identifier: MIT */
/*
 * The control plane's model (L2): the configuration in force, the stable
 * slots that name services and real servers across tables, health, and the
 * publication of each new table to the datapath. Every change — a reload, an
 * lbctl edit, a health transition — becomes one new table built whole and
 * published with one pointer swap; a change that fails leaves everything as
 * it was. Runs on the control thread only.
 */
#ifndef LB_MODEL_H
#define LB_MODEL_H

#include "cfg.h"
#include "dp.h"
#include "hc.h"
#include "netif.h"
#include "svc.h"
#include "topo.h"

struct model;

/* What the model needs from the rest of lbd, fixed at start. */
struct model_env {
	struct svc_pub *pub;		/* where tables are published */
	struct netif *nif;		/* routes and neighbours */
	const struct dp_stats *st;	/* the datapath's counters (read only) */
	struct hc *hc;			/* health checker, or NULL */
	const char *ext_name;		/* interface names chosen at start */
	const char *int_name;		/* NULL when lbd drives one interface */
};

/*
 * Creates the model with <c> in force (taking ownership of <c>) and
 * <first>, the table already built, bound and published for it at start
 * (the model takes it over: its slots are config order, generation 1).
 * Returns NULL when memory is short.
 */
struct model *model_new(const struct model_env *env, struct cfg *c,
			struct svc_table *first);

/* Frees the model, its config and every table it retired. Accepts NULL. */
void model_free(struct model *m);

/*
 * Puts <next> in force: real servers keep their slots (and so their flows
 * and counters) when their service and address stay; removed ones with live
 * flows drain; new ones start up. On success takes ownership of <next> and
 * returns 0. On failure returns -1 with <err> filled, frees nothing of
 * <next> and changes nothing.
 */
int model_apply(struct model *m, struct cfg *next, char *err, size_t errlen);

/* A health checker's verdict for the real server in <slot>; republishes. */
void model_set_health(struct model *m, uint16_t slot, bool up);

/*
 * Housekeeping, about once a second: frees tables the datapath has left,
 * lets drained slots go, retries next hops whose MAC is unknown. Returns
 * true when it published a new table.
 */
bool model_tick(struct model *m);

/* The configuration in force. Valid until the next apply. */
const struct cfg *model_cfg(const struct model *m);

/* The table in force. Valid until the next publication. */
const struct svc_table *model_table(const struct model *m);

/*
 * The slot of the real server <daddr>:<dport> of service <proto> <vaddr>:
 * <vport>, or -1. For health events and lbctl.
 */
int model_rs_slot(const struct model *m, uint8_t proto, __be32 vaddr,
		  __be16 vport, __be32 daddr, __be16 dport);

#endif /* LB_MODEL_H */
