/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (L2) at --metrics ADDR:PORT, on the control
 * thread's loop (libevent's evhttp). Figures that node_exporter's IPVS
 * collector already names keep its names and labels, so IPVS dashboards
 * work unchanged; the rest are lbd_*, with units in their names.
 */
#ifndef LB_METRICS_H
#define LB_METRICS_H

#include <event2/event.h>

#include "dp.h"
#include "hc.h"
#include "model.h"
#include "stats.h"

struct metrics;

struct metrics_env {
	struct event_base *base;
	struct model *model;
	struct stats *stats;
	const struct dp_stats *st;
	struct hc *hc;			/* may be NULL */
	_Atomic uint64_t *tx_errors;	/* the datapath loop's, may be NULL */
	_Atomic uint64_t *rx_errors;	/* the datapath loop's, may be NULL */
	uint32_t conn_max;
};

/*
 * Serves GET and HEAD /metrics on <addr> ("127.0.0.1:9110"; a bare port
 * means loopback). Returns NULL with <err> filled on a bad address or a
 * bind error.
 */
struct metrics *metrics_new(const struct metrics_env *env, const char *addr,
			    char *err, size_t errlen);

/* Stops serving. Accepts NULL. */
void metrics_free(struct metrics *m);

#endif /* LB_METRICS_H */
