/* SPDX-License-Identifier: MIT */
/*
 * Prometheus exposition over evhttp. L2: reads counters (relaxed atomics),
 * the model's table and the health checker; writes only HTTP replies.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

struct metrics {
	struct metrics_env env;
	struct evhttp *http;
};

static uint64_t rd(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void head(struct evbuffer *b, const char *name, const char *type,
		 const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

/* node_exporter's backend labels, in its order. */
static void backend_labels(char *buf, size_t len, const struct svc *s,
			   const struct svc_rs *rs)
{
	char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &s->vaddr, v, sizeof(v));
	inet_ntop(AF_INET, &rs->addr, r, sizeof(r));
	snprintf(buf, len, "local_address=\"%s\",local_port=\"%u\","
		 "remote_address=\"%s\",remote_port=\"%u\",proto=\"%s\","
		 "local_mark=\"\"", v, ntohs(s->vport), r, ntohs(rs->port),
		 s->proto == IPPROTO_TCP ? "TCP" : "UDP");
}

static void totals(struct metrics *m, struct evbuffer *b)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} tot[] = {
		{ "node_ipvs_connections_total", "The total number of connections made.",
		  offsetof(struct ctl_stats, conns) },
		{ "node_ipvs_incoming_packets_total", "The total number of incoming packets.",
		  offsetof(struct ctl_stats, inpkts) },
		{ "node_ipvs_outgoing_packets_total", "The total number of outgoing packets.",
		  offsetof(struct ctl_stats, outpkts) },
		{ "node_ipvs_incoming_bytes_total", "The total amount of incoming data.",
		  offsetof(struct ctl_stats, inbytes) },
		{ "node_ipvs_outgoing_bytes_total", "The total amount of outgoing data.",
		  offsetof(struct ctl_stats, outbytes) },
	};
	uint64_t sum[5] = { 0 };
	struct ctl_stats cs;
	uint16_t i;
	size_t k;

	/*
	 * Raw counters, not "zero"ed ones: Prometheus counters never go back.
	 * Every packet is counted once, on its real server's slot.
	 */
	for (i = 0; i < SVC_SLOTS; i++) {
		const struct dp_ctr *c = &m->env.st->rs[i];

		cs.conns = rd(&c->conns);
		cs.inpkts = rd(&c->pkts_in);
		cs.outpkts = rd(&c->pkts_out);
		cs.inbytes = rd(&c->bytes_in);
		cs.outbytes = rd(&c->bytes_out);
		for (k = 0; k < 5; k++)
			sum[k] += *(const uint64_t *)((const char *)&cs + tot[k].off);
	}
	for (k = 0; k < 5; k++) {
		head(b, tot[k].name, "counter", tot[k].help);
		evbuffer_add_printf(b, "%s %llu\n", tot[k].name,
				    (unsigned long long)sum[k]);
	}
}

static void backends(struct metrics *m, struct evbuffer *b)
{
	static const char *const gauges[][2] = {
		{ "node_ipvs_backend_connections_active",
		  "The current active connections by local and remote address." },
		{ "node_ipvs_backend_connections_inactive",
		  "The current inactive connections by local and remote address." },
		{ "node_ipvs_backend_weight",
		  "The current backend weight by local and remote address." },
		{ "lbd_backend_up", "1 when the real server's health check passes." },
	};
	const struct svc_table *t = model_table(m->env.model);
	char lab[256];
	uint16_t i, j;
	size_t g;

	for (g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		head(b, gauges[g][0], "gauge", gauges[g][1]);
		for (i = 0; i < t->n_svc; i++)
			for (j = 0; j < t->svc[i].n_rs; j++) {
				const struct svc *s = &t->svc[i];
				const struct svc_rs *rs = &s->rs[j];
				const struct dp_rs_conns *rc =
					&m->env.st->rs_conns[rs->slot];
				uint64_t v;

				if (g == 0)
					v = atomic_load_explicit(&rc->active,
								 memory_order_relaxed);
				else if (g == 1)
					v = atomic_load_explicit(&rc->inactive,
								 memory_order_relaxed);
				else if (g == 2)
					v = !rs->up && rs->inhibit ? 0 : rs->weight;
				else
					v = rs->up;
				backend_labels(lab, sizeof(lab), s, rs);
				evbuffer_add_printf(b, "%s{%s} %llu\n", gauges[g][0],
						    lab, (unsigned long long)v);
			}
	}
}

static void drops(struct metrics *m, struct evbuffer *b)
{
	int d;

	head(b, "lbd_dropped_frames_total", "counter",
	     "Frames the datapath dropped, by reason.");
	for (d = 1; d < LB_DROP_MAX; d++)
		evbuffer_add_printf(b, "lbd_dropped_frames_total{reason=\"%s\"} %llu\n",
				    dp_drop_name((enum lb_drop)d),
				    (unsigned long long)rd(&m->env.st->drop[d]));
	head(b, "lbd_received_frames_total", "counter", "Frames the datapath read.");
	evbuffer_add_printf(b, "lbd_received_frames_total %llu\n",
			    (unsigned long long)dp_rx(m->env.st));
	head(b, "lbd_transmitted_frames_total", "counter", "Frames the datapath sent.");
	evbuffer_add_printf(b, "lbd_transmitted_frames_total %llu\n",
			    (unsigned long long)rd(&m->env.st->tx));
	if (m->env.tx_errors) {
		head(b, "lbd_transmit_errors_total", "counter",
		     "Frames the datapath failed to send.");
		evbuffer_add_printf(b, "lbd_transmit_errors_total %llu\n",
				    (unsigned long long)rd(m->env.tx_errors));
	}
	if (m->env.rx_errors) {
		head(b, "lbd_receive_errors_total", "counter",
		     "Capture reads the datapath failed.");
		evbuffer_add_printf(b, "lbd_receive_errors_total %llu\n",
				    (unsigned long long)rd(m->env.rx_errors));
	}
	head(b, "lbd_conn_table_entries", "gauge", "Flows in the connection table.");
	evbuffer_add_printf(b, "lbd_conn_table_entries %llu\n",
			    (unsigned long long)rd(&m->env.st->conn_live));
	head(b, "lbd_conn_table_half_open_entries", "gauge",
	     "Flows in SYN_RECV, under their own bound.");
	evbuffer_add_printf(b, "lbd_conn_table_half_open_entries %llu\n",
			    (unsigned long long)rd(&m->env.st->conn_half_open));
	head(b, "lbd_conn_table_capacity_entries", "gauge",
	     "Size of the connection table.");
	evbuffer_add_printf(b, "lbd_conn_table_capacity_entries %u\n",
			    m->env.conn_max);
	head(b, "lbd_conn_expired_total", "counter", "Flows that timed out.");
	evbuffer_add_printf(b, "lbd_conn_expired_total %llu\n",
			    (unsigned long long)rd(&m->env.st->expired));
}

static void health_hist(struct metrics *m, struct evbuffer *b)
{
	const char *name = "lbd_health_check_duration_seconds";
	struct hc_hist h;
	size_t i;

	if (!m->env.hc || !hc_hist(m->env.hc, HC_ID_ALL, &h))
		return;
	head(b, name, "histogram", "Duration of health check probes.");
	for (i = 0; i + 1 < HC_HIST_BUCKETS; i++)
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
				    hc_hist_le_us[i] / 1e6,
				    (unsigned long long)h.le[i]);
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
			    (unsigned long long)h.count);
	evbuffer_add_printf(b, "%s_sum %.6f\n%s_count %llu\n", name,
			    h.sum_us / 1e6, name, (unsigned long long)h.count);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *b;

	/* HEAD is answered as GET: evhttp sends the headers and drops the body. */
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, "Out of memory");
		return;
	}
	totals(m, b);
	backends(m, b);
	drops(m, b);
	health_hist(m, b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, 404, "Not Found");
}

struct metrics *metrics_new(const struct metrics_env *env, const char *addr,
			    char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	char host[64] = "127.0.0.1";
	const char *arg = addr;
	const char *colon = strrchr(addr, ':');
	char *end;
	unsigned long port;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->env = *env;
	if (colon) {
		if ((size_t)(colon - addr) >= sizeof(host) || colon == addr)
			goto err_addr;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		addr = colon + 1;
	}
	port = strtoul(addr, &end, 10);
	if (!*addr || *end || port == 0 || port > 65535)
		goto err_addr;
	m->http = evhttp_new(env->base);
	if (!m->http) {
		snprintf(err, errlen, "metrics: evhttp_new failed");
		goto err_free;
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 5);
	if (evhttp_set_cb(m->http, "/metrics", on_request, m) != 0 ||
	    evhttp_bind_socket(m->http, host, (uint16_t)port) != 0) {
		snprintf(err, errlen, "metrics: cannot listen on %s:%lu", host, port);
		goto err_http;
	}
	evhttp_set_gencb(m->http, on_other, m);
	return m;

err_addr:
	snprintf(err, errlen, "metrics: bad address '%s' (want ADDR:PORT)", arg);
	goto err_free;
err_http:
	evhttp_free(m->http);
err_free:
	free(m);
	return NULL;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	evhttp_free(m->http);
	free(m);
}
