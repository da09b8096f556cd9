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
 * Listens on env->path, mode 0600, replacing a stale socket file (one that
 * nobody listens on). Returns NULL with <err> filled when the socket cannot
 * be made, when another lbd listens on env->path ("control socket PATH is in
 * use by another lbd"), or when something other than a socket is there.
 * env->path must stay valid until ctl_free().
 */
struct ctl *ctl_new(const struct ctl_env *env, char *err, size_t errlen);

/*
 * Checks, before lbd starts anything, that <path> can become its control
 * socket: absent or stale, not another running lbd's. 0, or -1 with <err>.
 */
int ctl_path_usable(const char *path, char *err, size_t errlen);

/*
 * Closes every client and the socket, and removes the socket file if it is
 * still the one ctl_new() made. Accepts NULL.
 */
void ctl_free(struct ctl *c);

#endif /* LB_CTL_H */
