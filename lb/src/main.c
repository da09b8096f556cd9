/* SPDX-License-Identifier: MIT */
/*
 * lbd: options, wiring and signals (L3). The main thread is the control
 * plane; the datapath runs in its own thread (loop.c) and sees only the
 * published service table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "arp.h"
#include "cap.h"
#include "cfg.h"
#include "conn.h"
#include "dp.h"
#include "log.h"
#include "loop.h"
#include "netif.h"
#include "svc.h"
#include "topo.h"

#define CFG_FILE_MAX	(4 << 20)	/* bytes: a larger config is a mistake */
#define ARP_WAIT_MS	1500
#define GARP_COUNT	3

struct opts {
	const char *file;
	const char *ext_if;
	const char *int_if;
	bool test_only;
	int verbose;
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: lbd -f FILE [-t] [-i IFACE] [-I INSIDE_IFACE] [-v]\n"
		"  -f FILE   keepalived-style configuration (LVS subset)\n"
		"  -t        check the configuration and exit 0 (ok) or 1\n"
		"  -i IFACE  interface that carries the VIPs (default: by route)\n"
		"  -I IFACE  interface towards NAT real servers (default: by route)\n"
		"  -v        debug logging\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "f:ti:I:vh")) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 't': o->test_only = true; break;
		case 'i': o->ext_if = optarg; break;
		case 'I': o->int_if = optarg; break;
		case 'v': o->verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!o->file || optind != argc)
		return -1;
	return 0;
}

/* Reads all of <path> into a malloc'd buffer. 0, or -1 with <err> filled. */
static int read_file(const char *path, char **text, size_t *len, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CFG_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	n = fread(buf, 1, CFG_FILE_MAX + 1, f);
	if (ferror(f) || n > CFG_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? "read error" : "larger than 4 MiB");
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
}

static struct cfg *load_cfg(const char *path)
{
	char err[CFG_ERR_LEN];
	struct cfg *c;
	char *text;
	size_t len;

	if (read_file(path, &text, &len, err, sizeof(err))) {
		log_warn("%s", err);
		return NULL;
	}
	c = cfg_parse(text, len, path, err, sizeof(err));
	free(text);
	if (!c)
		log_warn("%s", err);
	return c;
}

static void dp_conf_from(const struct cfg *c, struct dp_conf *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->conn_max = c->conn_max;
	dc->half_open_max = c->half_open_max;
	conn_timeouts_default(&dc->timeouts);
	/* ipvsadm --set tcp tcpfin udp: the same three knobs. */
	if (c->tcp_timeout_ms)
		dc->timeouts.ms[CONN_S_ESTABLISHED] = c->tcp_timeout_ms;
	if (c->tcpfin_timeout_ms)
		dc->timeouts.ms[CONN_S_FIN_WAIT] = c->tcpfin_timeout_ms;
	if (c->udp_timeout_ms)
		dc->timeouts.ms[CONN_S_UDP] = c->udp_timeout_ms;
	if (getrandom(&dc->seed, sizeof(dc->seed), 0) != sizeof(dc->seed))
		dc->seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
}

static void warn_offloads(const struct topo *tp)
{
	char on[64];
	int p, n;

	for (p = 0; p < LB_PORT_MAX; p++) {
		const char *ifn = tp->port[p].name;

		if (!tp->port[p].ifindex)
			continue;
		n = netif_offloads_on(ifn, on, sizeof(on));
		if (n > 0)
			log_warn("%s has offloads on (%s): a userspace forwarder "
				 "sees partial checksums and 64 KB frames; run "
				 "'ethtool -K %s tx off tso off gso off gro off'",
				 ifn, on, ifn);
		else if (n < 0)
			log_warn("%s: cannot read offload settings", ifn);
	}
}

static void log_table(const struct svc_table *t, const struct topo *tp)
{
	char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	uint16_t i, j;

	for (i = 0; i < t->n_svc; i++) {
		const struct svc *s = &t->svc[i];

		inet_ntop(AF_INET, &s->vaddr, v, sizeof(v));
		log_info("service %s %s:%u %s %s, %u real servers",
			 s->proto == IPPROTO_TCP ? "TCP" : "UDP", v,
			 ntohs(s->vport), s->sched->name,
			 s->fwd == LB_FWD_DR ? "DR" : "NAT", s->n_rs);
		for (j = 0; j < s->n_rs; j++) {
			const struct svc_rs *rs = &s->rs[j];
			const uint8_t *m = rs->mac.b;

			inet_ntop(AF_INET, &rs->addr, r, sizeof(r));
			log_info("  -> %s:%u weight %u via %s mac %02x:%02x:%02x:%02x:%02x:%02x%s",
				 r, ntohs(rs->port), rs->weight,
				 tp->port[rs->via].name, m[0], m[1], m[2], m[3],
				 m[4], m[5], rs->has_mac ? "" : " (unresolved)");
		}
	}
}

static void print_counters(struct loop *l, const struct svc_table *t)
{
	struct dp_stats *st = &l->dp->st;
	char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	uint16_t i, j;
	int d;

	fprintf(stderr, "lbd counters: rx %llu tx %llu tx_errors %llu "
		"conns %llu half_open %llu expired %llu\n",
		(unsigned long long)dp_read(&st->rx),
		(unsigned long long)dp_read(&st->tx),
		(unsigned long long)dp_read(&l->tx_errors),
		(unsigned long long)dp_read(&st->conn_live),
		(unsigned long long)dp_read(&st->conn_half_open),
		(unsigned long long)dp_read(&st->expired));
	for (d = 1; d < LB_DROP_MAX; d++)
		if (dp_read(&st->drop[d]))
			fprintf(stderr, "  drop %-22s %llu\n",
				dp_drop_name((enum lb_drop)d),
				(unsigned long long)dp_read(&st->drop[d]));
	for (i = 0; i < t->n_svc; i++) {
		const struct svc *s = &t->svc[i];
		struct dp_ctr *sc = &st->svc[s->idx];

		inet_ntop(AF_INET, &s->vaddr, v, sizeof(v));
		fprintf(stderr, "  %s %s:%u conns %llu in %llu pkts %llu bytes "
			"out %llu pkts %llu bytes\n",
			s->proto == IPPROTO_TCP ? "TCP" : "UDP", v,
			ntohs(s->vport),
			(unsigned long long)dp_read(&sc->conns),
			(unsigned long long)dp_read(&sc->pkts_in),
			(unsigned long long)dp_read(&sc->bytes_in),
			(unsigned long long)dp_read(&sc->pkts_out),
			(unsigned long long)dp_read(&sc->bytes_out));
		for (j = 0; j < s->n_rs; j++) {
			const struct svc_rs *rs = &s->rs[j];
			struct dp_ctr *rc = &st->rs[rs->slot];

			inet_ntop(AF_INET, &rs->addr, r, sizeof(r));
			fprintf(stderr, "    -> %s:%u conns %llu in %llu pkts "
				"%llu bytes out %llu pkts %llu bytes\n",
				r, ntohs(rs->port),
				(unsigned long long)dp_read(&rc->conns),
				(unsigned long long)dp_read(&rc->pkts_in),
				(unsigned long long)dp_read(&rc->bytes_in),
				(unsigned long long)dp_read(&rc->pkts_out),
				(unsigned long long)dp_read(&rc->bytes_out));
		}
	}
}

static int open_caps(struct loop *l, const struct svc_table *t,
		     const struct topo *tp)
{
	char err[512];
	char *filter = topo_filter(t);
	int p;

	if (!filter) {
		log_warn("out of memory");
		return -1;
	}
	log_debug("capture filter: %s", filter);
	for (p = 0; p < LB_PORT_MAX; p++) {
		if (!t->port[p].present)
			continue;
		l->cap[p] = cap_open(tp->port[p].name, filter, LOOP_FRAME_MAX,
				     err, sizeof(err));
		if (!l->cap[p]) {
			log_warn("%s", err);
			free(filter);
			return -1;
		}
	}
	free(filter);
	return 0;
}

/* Announces each VIP so that neighbours' caches point at lbd (RFC 5227). */
static void announce_vips(struct loop *l, const struct svc_table *t)
{
	uint8_t f[ARP_FRAME_LEN];
	char err[256];
	uint16_t i;
	int k;

	for (k = 0; k < GARP_COUNT; k++)
		for (i = 0; i < t->n_vip; i++) {
			size_t n = arp_announce(f, sizeof(f),
						&t->port[LB_PORT_EXT].mac,
						t->vip[i]);

			if (cap_send(l->cap[LB_PORT_EXT], f, n, err, sizeof(err)))
				log_warn("gratuitous ARP: %s", err);
		}
}

/*
 * The control thread's wait: signals are blocked in every thread and taken
 * here synchronously, so no handler ever runs inside the datapath.
 */
static void control_loop(struct loop *l, const struct svc_table *t,
			 const sigset_t *sigs)
{
	struct timespec tick = { 1, 0 };
	uint64_t drops_seen = 0;
	int sig;

	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("signal %d: stopping", sig);
			return;
		}
		if (sig == SIGUSR1)
			print_counters(l, t);
		if (sig == SIGHUP)
			log_warn("SIGHUP: reload is not supported yet; "
				 "configuration unchanged");
		if (sig == -1 && errno != EAGAIN && errno != EINTR) {
			log_warn("sigtimedwait: %s", strerror(errno));
			return;
		}
		if (l->cap[LB_PORT_EXT]) {
			uint64_t d = cap_kernel_drops(l->cap[LB_PORT_EXT]);

			if (d > drops_seen)
				log_warn("kernel dropped %llu captured frames",
					 (unsigned long long)(d - drops_seen));
			drops_seen = d;
		}
	}
}

int main(int argc, char **argv)
{
	static struct loop l;
	char err[512];
	struct svc_pub pub = { 0 };
	struct netif *nif = NULL;
	struct svc_table *t = NULL;
	struct cfg *c;
	struct dp_conf dc;
	struct topo tp;
	struct opts o;
	pthread_t dp_thread;
	sigset_t sigs;
	int rc = 1, p;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	log_init("lbd", o.verbose);
	c = load_cfg(o.file);
	if (!c)
		return 1;
	if (o.test_only) {
		printf("lbd: configuration file %s test is successful\n", o.file);
		cfg_free(c);
		return 0;
	}
	t = svc_table_build(c, err, sizeof(err));
	if (!t) {
		log_warn("%s: %s", o.file, err);
		goto out_cfg;
	}
	nif = netif_open(err, sizeof(err));
	if (!nif || topo_bind(nif, t, o.ext_if, o.int_if, &tp, err, sizeof(err))) {
		log_warn("%s", err);
		goto out_table;
	}
	warn_offloads(&tp);
	if (open_caps(&l, t, &tp))
		goto out_caps;
	topo_resolve(nif, t, &tp, l.cap, ARP_WAIT_MS);
	log_table(t, &tp);

	dp_conf_from(c, &dc);
	l.dp = dp_new(&dc);
	if (!l.dp) {
		log_warn("cannot allocate a connection table of %u flows",
			 dc.conn_max);
		goto out_caps;
	}
	l.pub = &pub;
	svc_pub_set(&pub, t);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0 ||
	    pthread_create(&dp_thread, NULL, loop_datapath, &l) != 0) {
		log_warn("cannot start the datapath thread");
		goto out_dp;
	}
	announce_vips(&l, t);
	log_info("forwarding on %s%s%s; %u flows max",
		 tp.port[LB_PORT_EXT].name,
		 t->port[LB_PORT_INT].present ? " and " : "",
		 t->port[LB_PORT_INT].present ? tp.port[LB_PORT_INT].name : "",
		 dc.conn_max);
	control_loop(&l, t, &sigs);
	atomic_store(&l.stop, true);
	pthread_join(dp_thread, NULL);
	print_counters(&l, t);
	rc = 0;

out_dp:
	dp_free(l.dp);
out_caps:
	for (p = 0; p < LB_PORT_MAX; p++)
		cap_close(l.cap[p]);
out_table:
	netif_close(nif);
	svc_table_free(t);
out_cfg:
	cfg_free(c);
	return rc;
}
