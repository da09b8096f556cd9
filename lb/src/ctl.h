/* SPDX-License-Identifier: MIT */
/*
 * The control socket (L2): lbctl's requests (ctl_proto.h) served on the
 * control thread's libevent loop. Every change goes through the model as one
 * new table; the datapath is reached only through it and through the
 * connection dump it answers between batches. Never blocks: slow or bad
 * peers get an error and are dropped.
 */
#ifndef LB_CTL_H
#define LB_CTL_H

#include <event2/event.h>

#include "conn.h"
#include "dp.h"
#include "hc.h"
#include "model.h"
#include "stats.h"

struct ctl;

struct ctl_env {
	struct event_base *base;	/* the control thread's loop */
	struct model *model;
	struct stats *stats;
	const struct dp_stats *st;	/* the datapath's counters */
	struct hc *hc;			/* may be NULL */
	struct conn_dump *dump;		/* answered by the datapath thread */
	uint32_t conn_max;		/* table capacity, for the info row */
	const char *path;		/* socket path */
};

/*
 * Listens on env->path (replacing a stale socket file), mode 0600. Returns
 * NULL with <err> filled when the socket cannot be made.
 */
struct ctl *ctl_new(const struct ctl_env *env, char *err, size_t errlen);

/* Closes every client and the socket, and removes the socket file. Accepts NULL. */
void ctl_free(struct ctl *c);

#endif /* LB_CTL_H */
