/* SPDX-License-Identifier: MIT */
/*
 * lbd: options, wiring and signals (L3). The main thread is the control
 * plane; the datapath runs in its own thread (loop.c) and sees only the
 * published service table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cap.h"
#include "cfg.h"
#include "conn.h"
#include "ctl.h"
#include "ctl_proto.h"
#include "dp.h"
#include "hc.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "model.h"
#include "netif.h"
#include "stats.h"
#include "svc.h"
#include "topo.h"

#define CFG_FILE_MAX	(4 << 20)	/* bytes: a larger config is a mistake */
#define ARP_WAIT_MS	1500
#define GARP_COUNT	3

struct opts {
	const char *file;
	const char *ext_if;
	const char *int_if;
	const char *sock;	/* control socket path */
	const char *metrics;	/* ADDR:PORT, or NULL: off */
	bool test_only;
	int verbose;
};

static void usage(FILE *to)
{
	fprintf(to,
		"usage: lbd -f FILE [-t] [-i IFACE] [-I IFACE] [-s PATH] [-m [ADDR:]PORT] [-v]\n"
		"  -f, --config FILE      keepalived-style configuration (LVS subset)\n"
		"  -t, --test             check the configuration and exit 0 (ok) or 1\n"
		"  -i, --interface IFACE  interface that carries the VIPs (default: by route)\n"
		"  -I, --inside IFACE     interface towards NAT real servers (default: by route)\n"
		"  -s, --socket PATH      control socket for lbctl (default " CTL_SOCKET_PATH ")\n"
		"  -m, --metrics ADDR     Prometheus text at http://ADDR/metrics (default off;\n"
		"                         a bare PORT listens on 127.0.0.1)\n"
		"  -v, --verbose          debug logging\n"
		"signals: TERM/INT stop, HUP reloads FILE, USR1 prints counters\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "test", no_argument, NULL, 't' },
		{ "interface", required_argument, NULL, 'i' },
		{ "inside", required_argument, NULL, 'I' },
		{ "socket", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(o, 0, sizeof(*o));
	o->sock = CTL_SOCKET_PATH;
	while ((c = getopt_long(argc, argv, "f:ti:I:s:m:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 't': o->test_only = true; break;
		case 'i': o->ext_if = optarg; break;
		case 'I': o->int_if = optarg; break;
		case 's': o->sock = optarg; break;
		case 'm': o->metrics = optarg; break;
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

/* <tp> names the interfaces; NULL after start, when they are known by index. */
static void log_table(const struct svc_table *t, const struct topo *tp)
{
	char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	uint16_t i, j;

	if (t->rx_coalesce_us)
		log_info("rx coalescing: %u us after a short round",
			 (unsigned)t->rx_coalesce_us);
	else
		log_info("rx coalescing: off");
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
				 tp ? tp->port[rs->via].name : (rs->via ? "inside" : "outside"),
				 m[0], m[1], m[2], m[3],
				 m[4], m[5], rs->has_mac ? "" : " (unresolved)");
		}
	}
}

static void print_counters(struct loop *l, const struct svc_table *t,
			   const struct stats *sts)
{
	struct dp_stats *st = &l->dp->st;
	char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	uint16_t i, j;
	int d;

	fprintf(stderr, "lbd counters: rx %llu tx %llu tx_errors %llu rx_errors %llu "
		"conns %llu half_open %llu expired %llu rx_coalesce_us %u\n",
		(unsigned long long)dp_rx(st),
		(unsigned long long)dp_read(&st->tx),
		(unsigned long long)dp_read(&l->tx_errors),
		(unsigned long long)dp_read(&l->rx_errors),
		(unsigned long long)dp_read(&st->conn_live),
		(unsigned long long)dp_read(&st->conn_half_open),
		(unsigned long long)dp_read(&st->expired),
		(unsigned)t->rx_coalesce_us);
	for (d = 1; d < LB_DROP_MAX; d++)
		if (dp_read(&st->drop[d]))
			fprintf(stderr, "  drop %-22s %llu\n",
				dp_drop_name((enum lb_drop)d),
				(unsigned long long)dp_read(&st->drop[d]));
	for (i = 0; i < t->n_svc; i++) {
		const struct svc *s = &t->svc[i];
		struct stats_sample sc;

		stats_svc_total(sts, st, s->idx, &sc);
		inet_ntop(AF_INET, &s->vaddr, v, sizeof(v));
		fprintf(stderr, "  %s %s:%u conns %llu in %llu pkts %llu bytes "
			"out %llu pkts %llu bytes\n",
			s->proto == IPPROTO_TCP ? "TCP" : "UDP", v,
			ntohs(s->vport),
			(unsigned long long)sc.conns,
			(unsigned long long)sc.inpkts,
			(unsigned long long)sc.inbytes,
			(unsigned long long)sc.outpkts,
			(unsigned long long)sc.outbytes);
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

/*
 * Opens a capture on each interface <t> uses, with the filter <t> carries
 * from now on (the datapath re-applies it when a later table changes it).
 */
static int open_caps(struct loop *l, struct svc_table *t, const struct topo *tp)
{
	char err[512];
	int p;

	t->filter = topo_filter(t);
	t->filter_gen = 1;
	if (!t->filter) {
		log_warn("out of memory");
		return -1;
	}
	log_debug("capture filter: %s", t->filter);
	for (p = 0; p < LB_PORT_MAX; p++) {
		if (!t->port[p].present)
			continue;
		l->cap[p] = cap_open(tp->port[p].name, t->filter, LOOP_FRAME_MAX,
				     err, sizeof(err));
		if (!l->cap[p]) {
			log_warn("%s", err);
			return -1;
		}
	}
	return 0;
}

/* Everything the control thread's callbacks need. */
struct control {
	struct event_base *base;
	struct loop *l;
	struct model *model;
	struct stats stats;
	struct hc *hc;
	struct event *flush;		/* folds health verdicts into one rebuild */
	const char *file;
	uint64_t drops_seen;
	pthread_t dp_thread;
	bool dp_running;
	bool failed;			/* the datapath died: exit 1 */
	uint64_t filter_errors_seen;
};

/*
 * Stops the datapath thread and waits for it. Everything the datapath may
 * still touch (the dump buffer, published tables) is freed only after this.
 */
static void stop_datapath(struct control *cs)
{
	if (!cs->dp_running)
		return;
	atomic_store(&cs->l->stop, true);
	pthread_join(cs->dp_thread, NULL);
	cs->dp_running = false;
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct control *cs = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(cs->base);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct control *cs = arg;

	(void)sig;
	(void)what;
	print_counters(cs->l, model_table(cs->model), &cs->stats);
}

/* SIGHUP: the new file is validated and bound whole, or nothing changes. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct control *cs = arg;
	struct cfg *c;
	char err[512];

	(void)sig;
	(void)what;
	c = load_cfg(cs->file);
	if (!c) {
		log_warn("reload failed: keeping the running configuration");
		return;
	}
	if (model_apply(cs->model, c, err, sizeof(err))) {
		log_warn("reload failed: %s; keeping the running configuration",
			 err);
		cfg_free(c);
		return;
	}
	log_info("reloaded %s", cs->file);
	log_table(model_table(cs->model), NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct control *cs = arg;
	struct cap *ext = cs->l->cap[LB_PORT_EXT];

	(void)fd;
	(void)what;
	if (atomic_load_explicit(&cs->l->dead, memory_order_acquire)) {
		log_warn("the datapath stopped: %s; exiting",
			 strerror(atomic_load(&cs->l->dead)));
		cs->failed = true;
		event_base_loopbreak(cs->base);
		return;
	}
	if (atomic_load_explicit(&cs->l->filter_errors, memory_order_relaxed) >
	    cs->filter_errors_seen) {
		cs->filter_errors_seen = atomic_load(&cs->l->filter_errors);
		log_warn("a new capture filter was refused; new VIPs or NAT real "
			 "servers may not be captured");
	}
	model_tick(cs->model);
	stats_tick(&cs->stats, &cs->l->dp->st, loop_now_ms());
	if (ext) {
		uint64_t d = cap_kernel_drops(ext);

		if (d > cs->drops_seen)
			log_warn("kernel dropped %llu captured frames",
				 (unsigned long long)(d - cs->drops_seen));
		cs->drops_seen = d;
	}
}

/* One line per health transition, then a new table. */
static void on_health(void *arg, const struct hc_event *ev)
{
	struct control *cs = arg;
	const struct svc_table *t = model_table(cs->model);
	const struct svc_rs *rs = ev->id < SVC_SLOTS ? t->slot[ev->id] : NULL;
	char r[INET_ADDRSTRLEN] = "?";

	if (rs)
		inet_ntop(AF_INET, &rs->addr, r, sizeof(r));
	log_info("real server %s:%u %s -> %s: %s (%.1f ms)%s", r,
		 rs ? ntohs(rs->port) : 0, ev->up ? "down" : "up",
		 ev->up ? "up" : "down", ev->detail, ev->latency_us / 1000.0,
		 !ev->up && ev->inhibit_on_failure ? ", weight 0" : "");
	if (model_set_health(cs->model, (uint16_t)ev->id, ev->up))
		event_active(cs->flush, 0, 0);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct control *cs = arg;

	(void)fd;
	(void)what;
	model_flush(cs->model);
}

static int add_signal(struct event_base *base, int sig, event_callback_fn fn,
		      void *arg, struct event **ev)
{
	*ev = evsignal_new(base, sig, fn, arg);
	return *ev && evsignal_add(*ev, NULL) == 0 ? 0 : -1;
}

/*
 * The control thread: health checks, the lbctl socket, metrics, reloads,
 * housekeeping, on one libevent loop. Returns when told to stop.
 */
static int control_run(struct control *cs, const struct opts *o,
		       const struct dp_conf *dc, const sigset_t *blocked)
{
	struct timeval second = { 1, 0 };
	struct event *sigev[4] = { 0 }, *tick = NULL;
	struct ctl *ctl = NULL;
	struct metrics *mx = NULL;
	char err[512];
	int rc = -1;
	size_t i;

	if (add_signal(cs->base, SIGTERM, on_stop, cs, &sigev[0]) ||
	    add_signal(cs->base, SIGINT, on_stop, cs, &sigev[1]) ||
	    add_signal(cs->base, SIGUSR1, on_usr1, cs, &sigev[2]) ||
	    add_signal(cs->base, SIGHUP, on_hup, cs, &sigev[3])) {
		log_warn("cannot install signal handlers");
		goto out;
	}
	/* libevent owns the signals now: let pending ones through. */
	if (pthread_sigmask(SIG_UNBLOCK, blocked, NULL) != 0) {
		log_warn("cannot unblock signals");
		goto out;
	}
	tick = event_new(cs->base, -1, EV_PERSIST, on_tick, cs);
	if (!tick || event_add(tick, &second)) {
		log_warn("cannot start the control timer");
		goto out;
	}
	ctl = ctl_new(&(struct ctl_env){
			.base = cs->base, .model = cs->model, .stats = &cs->stats,
			.st = &cs->l->dp->st, .hc = cs->hc, .dump = &cs->l->dump,
			.conn_max = dc->conn_max, .path = o->sock },
		      err, sizeof(err));
	if (!ctl) {
		log_warn("%s", err);
		goto out;
	}
	if (o->metrics) {
		mx = metrics_new(&(struct metrics_env){
				.base = cs->base, .model = cs->model,
				.stats = &cs->stats, .st = &cs->l->dp->st,
				.hc = cs->hc, .tx_errors = &cs->l->tx_errors,
				.rx_errors = &cs->l->rx_errors,
				.conn_max = dc->conn_max },
				 o->metrics, err, sizeof(err));
		if (!mx) {
			log_warn("%s", err);
			goto out;
		}
	}
	rc = event_base_dispatch(cs->base) == -1 || cs->failed ? -1 : 0;
out:
	stop_datapath(cs);
	metrics_free(mx);
	ctl_free(ctl);
	if (tick)
		event_free(tick);
	for (i = 0; i < sizeof(sigev) / sizeof(sigev[0]); i++)
		if (sigev[i])
			event_free(sigev[i]);
	return rc;
}

int main(int argc, char **argv)
{
	static struct loop l;
	static struct control cs;
	char err[512];
	static struct svc_pub pub;	/* zero: nothing published yet */
	struct netif *nif = NULL;
	struct svc_table *t = NULL;
	struct cfg *c;
	struct dp_conf dc;
	struct topo tp;
	struct opts o;
	sigset_t sigs;
	int rc = 1, p;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	log_init("lbd", o.verbose);
	/*
	 * A peer that hangs up mid-reply must cost an error, not the process.
	 * The others wait, blocked, until the control loop takes them: a
	 * SIGHUP during start-up must not kill lbd.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	c = load_cfg(o.file);
	if (!c)
		return 1;
	if (o.test_only) {
		printf("lbd: configuration file %s test is successful\n", o.file);
		cfg_free(c);
		return 0;
	}
	/* Another lbd on this socket is another lbd on these VIPs: stop here. */
	if (ctl_path_usable(o.sock, err, sizeof(err))) {
		log_warn("%s", err);
		goto out_cfg;
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
	svc_table_ready(t);
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

	cs.base = event_base_new();
	cs.l = &l;
	cs.file = o.file;
	stats_init(&cs.stats);
	if (!cs.base) {
		log_warn("cannot create the control loop");
		goto out_dp;
	}
	cs.hc = hc_new(cs.base, on_health, &cs, dc.seed);
	cs.flush = event_new(cs.base, -1, 0, on_flush, &cs);
	if (!cs.hc || !cs.flush) {
		log_warn("out of memory");
		goto out_control;
	}
	cs.model = model_new(&(struct model_env){
			.pub = &pub, .nif = nif, .st = &l.dp->st, .hc = cs.hc,
			.stats = &cs.stats, .topo = &tp,
			.ext_name = tp.port[LB_PORT_EXT].name,
			.int_name = t->port[LB_PORT_INT].present ?
				    tp.port[LB_PORT_INT].name : NULL },
			     c, t);
	if (!cs.model) {
		log_warn("out of memory");
		goto out_control;
	}
	c = NULL;	/* the model owns the config and the table now */
	t = NULL;
	/* Before the datapath thread owns the captures: announce every VIP. */
	loop_adopt(&l, model_table(cs.model));
	loop_announce(&l, model_table(cs.model), GARP_COUNT);
	/*
	 * Set here, where a failure can be logged; the datapath thread
	 * inherits it. lbd_rx_coalesce_us waits may be tens of microseconds,
	 * which the default slack (50 us) would stretch; the control thread's
	 * own timers are a second or more, where 1 us of slack changes nothing.
	 */
	if (prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL) == -1)
		log_warn("timer slack: %s; coalescing waits may run long",
			 strerror(errno));
	if (pthread_create(&cs.dp_thread, NULL, loop_datapath, &l) != 0) {
		log_warn("cannot start the datapath thread");
		goto out_control;
	}
	cs.dp_running = true;

	log_info("forwarding on %s%s%s; %u flows max; control socket %s",
		 tp.port[LB_PORT_EXT].name, tp.port[LB_PORT_INT].ifindex ? " and " : "",
		 tp.port[LB_PORT_INT].ifindex ? tp.port[LB_PORT_INT].name : "",
		 dc.conn_max, o.sock);
	rc = control_run(&cs, &o, &dc, &sigs) ? 1 : 0;
	stop_datapath(&cs);
	print_counters(&l, model_table(cs.model), &cs.stats);

out_control:
	stop_datapath(&cs);
	model_free(cs.model);	/* frees the config; the table is pub's */
	hc_free(cs.hc);
	if (cs.flush)
		event_free(cs.flush);
	if (cs.base)
		event_base_free(cs.base);
	if (!t)
		t = svc_pub_get(&pub);
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
