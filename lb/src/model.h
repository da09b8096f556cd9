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
#include "stats.h"
#include "svc.h"
#include "topo.h"

struct model;

/* What the model needs from the rest of lbd, fixed at start. */
struct model_env {
	struct svc_pub *pub;		/* where tables are published */
	struct netif *nif;		/* routes and neighbours */
	const struct dp_stats *st;	/* the datapath's counters (read only) */
	struct hc *hc;			/* health checker, or NULL */
	struct stats *stats;		/* baselines to reset for new tenants, or NULL */
	const struct topo *topo;	/* the binding done at start */
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
 * and counters) when their service and address stay; removed ones drain;
 * new ones start up. Routes and neighbours are looked up afresh. On success takes ownership of <next> and
 * returns 0. On failure returns -1 with <err> filled and errno ENOMEM (no
 * memory, no free slot, the datapath has not caught up) or EINVAL (the
 * configuration cannot be bound: no route to a real server, an interface
 * lbd was not started on), frees nothing of <next> and changes nothing.
 */
int model_apply(struct model *m, struct cfg *next, char *err, size_t errlen);

/*
 * A health checker's verdict for the real server in <slot>. Records it and
 * returns true when it changes something; the caller then arranges one
 * model_flush() for however many verdicts arrive meanwhile.
 */
bool model_set_health(struct model *m, uint16_t slot, bool up);

/*
 * Publishes the health verdicts recorded since the last publication, keeping
 * the binding in force. Returns true when it published; on failure (the
 * datapath has not caught up) it logs and model_tick() retries.
 */
bool model_flush(struct model *m);

/*
 * Housekeeping, about once a second: frees tables the datapath has left,
 * lets drained slots go, retries a failed flush, and binds again when the
 * kernel's neighbour table knows a MAC the table lacks or has seen one
 * change. Returns true when it published a new table.
 */
bool model_tick(struct model *m);

/*
 * Counts successful model_apply() calls: a transaction that began at one
 * generation must not commit over a change made since.
 */
uint64_t model_generation(const struct model *m);

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
