/* SPDX-License-Identifier: MIT */
/*
 * Control socket server. L2. One request line in, one reply out, per
 * ctl_proto.h. Every peer is bounded: requests wait while its replies pile
 * up, a half line times out, a reply it stops reading times out, a line past
 * CTL_LINE_MAX is refused and only CTL_CLIENTS_MAX peers are served at once,
 * so no peer can hold lbd or make it buffer without bound.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg_edit.h"
#include "ctl.h"
#include "ctl_proto.h"
#include "log.h"

#define CTL_DUMP_POLL_MS	5	/* how often a waiting dump is checked */
#define CTL_DUMP_CHUNK		512	/* conn rows written per write callback */
#define CTL_DUMP_SLACK		4096	/* flows the table may gain during a dump */
#define CTL_OUT_HIGH		(256 << 10)	/* bytes queued: requests wait */
#define CTL_OUT_LOW		(64 << 10)	/* bytes queued: requests resume */
#define CTL_IN_HIGH		(4 * CTL_LINE_MAX)	/* bytes of requests read ahead */
#define CTL_LINES_PER_CB	64	/* requests answered per callback */
#define CTL_CLIENTS_MAX		16	/* peers served at once */
#define CTL_IPVS_VERSION	"1.2.1"

struct ctl_client;

struct ctl {
	struct ctl_env env;
	struct evconnlistener *lis;
	struct ctl_client *clients;	/* every peer, for ctl_free() */
	struct ctl_client *dumper;	/* the peer whose conns dump is under way */
	struct event *dump_timer;
	unsigned n_served;		/* clients counted against CTL_CLIENTS_MAX */
	unsigned n_refused;		/* refused clients lingering, also at most that */
	dev_t sock_dev;			/* the socket file ctl_new() made */
	ino_t sock_ino;
};

struct ctl_client {
	struct ctl *ctl;
	struct bufferevent *bev;
	struct cfg *txn;		/* begin..commit staging copy, or NULL */
	uint64_t txn_gen;		/* model_generation() at begin */
	bool closing;			/* refused: flush, then free */
	bool eof;			/* peer shut down its side: answer, then free */
	bool served;			/* counted in ctl.n_served */
	bool refused;			/* lingers (ctl.n_refused) until linger_end */
	bool shut;			/* our side is shut down */
	struct timeval linger_end;	/* loop time a refused peer is freed at */
	bool read_timed;		/* the read timeout is armed */
	bool waiting_dump;		/* asked for conns, dump not done */
	struct conn *rows;		/* conns to write, from the dump */
	uint32_t n_rows, pos;
	uint32_t rows_now;		/* the datapath's clock for "expire" */
	struct ctl_client *next, *prev;
};

static void client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	if (c->dumper == cl)
		c->dumper = NULL;	/* the datapath finishes into a buffer we keep */
	if (cl->served)
		c->n_served--;
	if (cl->refused)
		c->n_refused--;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	bufferevent_free(cl->bev);
	cfg_free(cl->txn);
	free(cl->rows);
	free(cl);
}

/* --- replies ----------------------------------------------------------------- */

static void out(struct ctl_client *cl, const char *buf, int n)
{
	if (n > 0)
		bufferevent_write(cl->bev, buf, (size_t)n);
}

static void reply_err(struct ctl_client *cl, enum ctl_err code, const char *msg)
{
	char buf[CTL_LINE_MAX];

	out(cl, buf, ctl_err_format(code, msg, buf, sizeof(buf)));
}

static void reply_ok(struct ctl_client *cl)
{
	bufferevent_write(cl->bev, "ok\n.\n", 5);
}

static enum ctl_err err_of(int e)
{
	switch (e) {
	case ESRCH: return CTL_E_ESRCH;
	case EEXIST: return CTL_E_EEXIST;
	case ENOENT: return CTL_E_ENOENT;
	case EINVAL: return CTL_E_EINVAL;
	case EOPNOTSUPP: return CTL_E_EOPNOTSUPP;
	default: return CTL_E_ENOMEM;
	}
}

/* The message for a refused edit: IPVS's errno, in lbd's words where it differs. */
static const char *edit_msg(int e)
{
	if (e == EOPNOTSUPP)
		return "lbd binds one forwarding method per service; "
		       "its other real servers use the other one";
	return strerror(e);
}

static void info_row(struct ctl_client *cl)
{
	struct ctl_info_row row = { .proto = CTL_PROTO_VERSION,
				    .size = cl->ctl->env.conn_max };
	char buf[CTL_LINE_MAX];

	snprintf(row.ver, sizeof(row.ver), "%s", CTL_IPVS_VERSION);
	out(cl, buf, ctl_info_row_format(&row, buf, sizeof(buf)));
}

/* --- list ---------------------------------------------------------------------- */

static void rs_row(struct ctl_client *cl, const struct svc *s,
		   const struct svc_rs *rs)
{
	const struct ctl_env *env = &cl->ctl->env;
	const struct dp_rs_conns *rc = &env->st->rs_conns[rs->slot];
	struct ctl_rs_row row;
	struct hc_status hs;
	char buf[CTL_LINE_MAX];

	memset(&row, 0, sizeof(row));
	row.daddr = rs->addr;
	row.dport = rs->port;
	row.fwd = s->fwd;
	/* keepalived's inhibit_on_failure shows as weight 0 in ipvsadm. */
	row.weight = !rs->up && rs->inhibit ? 0 : rs->weight;
	row.active = atomic_load_explicit(&rc->active, memory_order_relaxed);
	row.inactive = atomic_load_explicit(&rc->inactive, memory_order_relaxed);
	stats_rs(env->stats, env->st, rs->slot, &row.st);
	row.up = rs->up;
	row.lat_us = CTL_LAT_NONE;
	if (env->hc && hc_status(env->hc, rs->slot, &hs) && hs.n_probes) {
		row.lat_us = hs.last_latency_us;
		snprintf(row.check, sizeof(row.check), "%s", hs.last_detail);
	}
	out(cl, buf, ctl_rs_row_format(&row, buf, sizeof(buf)));
}

static void svc_rows(struct ctl_client *cl, const struct svc *s)
{
	const struct ctl_env *env = &cl->ctl->env;
	struct ctl_svc_row row;
	char buf[CTL_LINE_MAX];
	uint16_t i;

	memset(&row, 0, sizeof(row));
	row.proto = s->proto;
	row.vaddr = s->vaddr;
	row.vport = s->vport;
	snprintf(row.sched, sizeof(row.sched), "%s", s->sched->name);
	stats_svc(env->stats, env->st, s->idx, &row.st);
	out(cl, buf, ctl_svc_row_format(&row, buf, sizeof(buf)));
	for (i = 0; i < s->n_rs; i++)
		rs_row(cl, s, &s->rs[i]);
}

static void do_list(struct ctl_client *cl, const struct ctl_req *rq)
{
	const struct svc_table *t = model_table(cl->ctl->env.model);
	const struct svc *one = NULL;
	uint16_t i;

	if (rq->has_svc) {
		one = svc_lookup(t, rq->vaddr, rq->vport, rq->proto);
		if (!one) {
			reply_err(cl, CTL_E_ESRCH, "no such service");
			return;
		}
	}
	bufferevent_write(cl->bev, "ok\n", 3);
	info_row(cl);
	for (i = 0; i < t->n_svc; i++)
		if (!one || one == &t->svc[i])
			svc_rows(cl, &t->svc[i]);
	bufferevent_write(cl->bev, ".\n", 2);
}

static void do_zero(struct ctl_client *cl, const struct ctl_req *rq)
{
	const struct ctl_env *env = &cl->ctl->env;
	const struct svc_table *t = model_table(env->model);
	uint16_t i, j;

	if (rq->has_svc && !svc_lookup(t, rq->vaddr, rq->vport, rq->proto)) {
		reply_err(cl, CTL_E_ESRCH, "no such service");
		return;
	}
	for (i = 0; i < t->n_svc; i++) {
		const struct svc *s = &t->svc[i];

		if (rq->has_svc && (s->proto != rq->proto ||
				    s->vaddr != rq->vaddr || s->vport != rq->vport))
			continue;
		stats_zero_svc(env->stats, env->st, s->idx);
		for (j = 0; j < s->n_rs; j++)
			stats_zero_rs(env->stats, env->st, s->rs[j].slot);
	}
	reply_ok(cl);
}

static void do_timeouts(struct ctl_client *cl)
{
	const struct cfg *c = model_cfg(cl->ctl->env.model);
	struct ctl_timeouts_row row;
	struct conn_timeouts def;
	char buf[CTL_LINE_MAX];

	conn_timeouts_default(&def);
	row.tcp = (c->tcp_timeout_ms ? c->tcp_timeout_ms :
		   def.ms[CONN_S_ESTABLISHED]) / 1000;
	row.tcpfin = (c->tcpfin_timeout_ms ? c->tcpfin_timeout_ms :
		      def.ms[CONN_S_FIN_WAIT]) / 1000;
	row.udp = (c->udp_timeout_ms ? c->udp_timeout_ms :
		   def.ms[CONN_S_UDP]) / 1000;
	bufferevent_write(cl->bev, "ok\n", 3);
	out(cl, buf, ctl_timeouts_row_format(&row, buf, sizeof(buf)));
	bufferevent_write(cl->bev, ".\n", 2);
}

/* lbd's own listing: table fill, frames and every drop counter. */
static void do_drops(struct ctl_client *cl)
{
	const struct dp_stats *st = cl->ctl->env.st;
	struct ctl_table_row tab = {
		.entries = atomic_load_explicit(&st->conn_live, memory_order_relaxed),
		.half_open = atomic_load_explicit(&st->conn_half_open,
						  memory_order_relaxed),
		.capacity = cl->ctl->env.conn_max,
		.rx = dp_rx(st),
		.tx = atomic_load_explicit(&st->tx, memory_order_relaxed),
	};
	struct ctl_drop_row row;
	char buf[CTL_LINE_MAX];
	int d;

	bufferevent_write(cl->bev, "ok\n", 3);
	out(cl, buf, ctl_table_row_format(&tab, buf, sizeof(buf)));
	for (d = 1; d < LB_DROP_MAX; d++) {
		snprintf(row.reason, sizeof(row.reason), "%s",
			 dp_drop_name((enum lb_drop)d));
		row.count = atomic_load_explicit(&st->drop[d], memory_order_relaxed);
		out(cl, buf, ctl_drop_row_format(&row, buf, sizeof(buf)));
	}
	bufferevent_write(cl->bev, ".\n", 2);
}

/* --- conns: the datapath copies the table; we stream it out -------------------- */

static void write_rows(struct ctl_client *cl)
{
	struct evbuffer *o = bufferevent_get_output(cl->bev);
	char buf[CTL_LINE_MAX];
	uint32_t k;

	for (k = 0; cl->pos < cl->n_rows && k < CTL_DUMP_CHUNK &&
		    evbuffer_get_length(o) < CTL_OUT_HIGH; k++, cl->pos++) {
		const struct conn *cp = &cl->rows[cl->pos];
		struct ctl_conn_row row = {
			.proto = cp->proto,
			.caddr = cp->caddr, .cport = cp->cport,
			.vaddr = cp->vaddr, .vport = cp->vport,
			.daddr = cp->daddr, .dport = cp->dport,
		};
		int32_t left = (int32_t)(cp->expires - cl->rows_now);

		snprintf(row.state, sizeof(row.state), "%s",
			 conn_state_name((enum conn_state)cp->state));
		row.expire = left > 0 ? (uint32_t)left / 1000 : 0;
		out(cl, buf, ctl_conn_row_format(&row, buf, sizeof(buf)));
	}
	if (cl->pos == cl->n_rows && cl->rows) {
		bufferevent_write(cl->bev, ".\n", 2);
		free(cl->rows);
		cl->rows = NULL;
	}
}

/*
 * Has on_read() run from the loop, soon: for requests that arrived while a
 * reply was under way. Deferred rather than called, so that no caller sees
 * <cl> freed under it.
 */
static void kick(struct ctl_client *cl)
{
	bufferevent_trigger(cl->bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void dump_start(struct ctl *c, struct ctl_client *cl)
{
	struct conn_dump *d = c->env.dump;
	uint64_t live = atomic_load_explicit(&c->env.st->conn_live,
					     memory_order_relaxed);
	uint64_t want = live + live / 4 + CTL_DUMP_SLACK;
	uint32_t cap = want < c->env.conn_max ? (uint32_t)want : c->env.conn_max;

	d->buf = calloc(cap, sizeof(*d->buf));
	if (!d->buf) {
		cl->waiting_dump = false;
		reply_err(cl, CTL_E_ENOMEM, "no memory for the connection list");
		kick(cl);
		return;
	}
	d->cap = cap;
	d->n = 0;
	d->next = 0;
	c->dumper = cl;
	atomic_store_explicit(&d->state, CONN_DUMP_ASKED, memory_order_release);
}

/*
 * The dump timer: hands a finished dump to its peer, then starts the next
 * waiting one. A dump whose peer left is still waited for (the datapath
 * writes into its buffer) and then thrown away. A full buffer smaller than
 * the table means flows may have been left out: the table grew by more than
 * the slack while the datapath walked it.
 */
static void dump_poll(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;
	struct conn_dump *d = c->env.dump;
	struct timeval tv = { 0, CTL_DUMP_POLL_MS * 1000 };
	struct ctl_client *cl;
	int st = atomic_load_explicit(&d->state, memory_order_acquire);

	(void)fd;
	(void)what;
	if (st == CONN_DUMP_ASKED) {
		evtimer_add(c->dump_timer, &tv);
		return;
	}
	if (st == CONN_DUMP_DONE) {
		cl = c->dumper;
		if (d->n == d->cap && d->cap < c->env.conn_max)
			log_warn("conns: more than %u flows while the table was "
				 "copied; the list may miss some", d->cap);
		if (cl) {
			cl->waiting_dump = false;
			cl->rows = d->buf;
			cl->n_rows = d->n;
			cl->pos = 0;
			cl->rows_now = d->now;
			bufferevent_write(cl->bev, "ok\n", 3);
			write_rows(cl);
			if (!cl->rows)
				kick(cl);	/* the requests sent after conns */
		} else {
			free(d->buf);
		}
		d->buf = NULL;
		c->dumper = NULL;
		atomic_store_explicit(&d->state, CONN_DUMP_IDLE, memory_order_relaxed);
	}
	for (cl = c->clients; cl; cl = cl->next)
		if (cl->waiting_dump) {
			dump_start(c, cl);
			if (c->dumper)
				break;
		}
	if (c->dumper)
		evtimer_add(c->dump_timer, &tv);
}

static void do_conns(struct ctl_client *cl)
{
	struct timeval now = { 0, 0 };

	cl->waiting_dump = true;	/* later requests wait: one reply at a time */
	if (!evtimer_pending(cl->ctl->dump_timer, NULL))
		evtimer_add(cl->ctl->dump_timer, &now);
}

/* --- writes ----------------------------------------------------------------------- */

static int edit(struct cfg *c, const struct ctl_req *rq)
{
	switch (rq->verb) {
	case CTL_V_SVC_ADD:
		return cfg_svc_add(c, rq->proto, rq->vaddr, rq->vport, rq->sched);
	case CTL_V_SVC_EDIT:
		return cfg_svc_edit(c, rq->proto, rq->vaddr, rq->vport, rq->sched);
	case CTL_V_SVC_DEL:
		return cfg_svc_del(c, rq->proto, rq->vaddr, rq->vport);
	case CTL_V_RS_ADD:
		return cfg_rs_add(c, rq->proto, rq->vaddr, rq->vport, rq->daddr,
				  rq->dport, (enum lb_fwd)rq->fwd, rq->weight);
	case CTL_V_RS_EDIT:
		return cfg_rs_edit(c, rq->proto, rq->vaddr, rq->vport, rq->daddr,
				   rq->dport, (enum lb_fwd)rq->fwd, rq->weight);
	case CTL_V_RS_DEL:
		return cfg_rs_del(c, rq->proto, rq->vaddr, rq->vport, rq->daddr,
				  rq->dport);
	case CTL_V_CLEAR:
		cfg_clear(c);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

/*
 * Applies <c> (taking it) as the configuration in force, answering the peer:
 * ENOMEM when memory or room ran short, EINVAL when the configuration
 * cannot be bound to the network (no route to a real server and the like).
 * model_apply() tells them apart by errno; calloc() sets ENOMEM itself.
 */
static void commit(struct ctl_client *cl, struct cfg *c)
{
	char err[256];

	errno = 0;
	if (model_apply(cl->ctl->env.model, c, err, sizeof(err))) {
		enum ctl_err code = errno == ENOMEM ? CTL_E_ENOMEM : CTL_E_EINVAL;

		cfg_free(c);
		log_warn("lbctl change refused: %s", err);
		reply_err(cl, code, err);
		return;
	}
	reply_ok(cl);
}

static void do_write(struct ctl_client *cl, const struct ctl_req *rq)
{
	/* Edits go to a copy: a failed one leaves the original as it was. */
	struct cfg *c = cfg_clone(cl->txn ? cl->txn :
					    model_cfg(cl->ctl->env.model));

	if (!c) {
		reply_err(cl, CTL_E_ENOMEM, "out of memory");
		return;
	}
	if (edit(c, rq)) {
		reply_err(cl, err_of(errno), edit_msg(errno));
		cfg_free(c);
		return;
	}
	if (!cl->txn) {
		commit(cl, c);
		return;
	}
	cfg_free(cl->txn);
	cl->txn = c;
	reply_ok(cl);
}

static void do_txn(struct ctl_client *cl, const struct ctl_req *rq)
{
	struct cfg *c;

	switch (rq->verb) {
	case CTL_V_BEGIN:
		if (cl->txn) {
			reply_err(cl, CTL_E_EPROTO, "already in a transaction");
			return;
		}
		cl->txn = cfg_clone(model_cfg(cl->ctl->env.model));
		if (!cl->txn) {
			reply_err(cl, CTL_E_ENOMEM, "out of memory");
			return;
		}
		cl->txn_gen = model_generation(cl->ctl->env.model);
		reply_ok(cl);
		return;
	case CTL_V_COMMIT:
		if (!cl->txn) {
			reply_err(cl, CTL_E_EPROTO, "commit without begin");
			return;
		}
		c = cl->txn;
		cl->txn = NULL;
		/* The copy was made before a reload or another client's change. */
		if (model_generation(cl->ctl->env.model) != cl->txn_gen) {
			cfg_free(c);
			reply_err(cl, CTL_E_EPROTO,
				  "configuration changed since begin; start again");
			return;
		}
		commit(cl, c);
		return;
	default:
		if (!cl->txn) {
			reply_err(cl, CTL_E_EPROTO, "abort without begin");
			return;
		}
		cfg_free(cl->txn);
		cl->txn = NULL;
		reply_ok(cl);
		return;
	}
}

/* --- dispatch ------------------------------------------------------------------------ */

static void handle(struct ctl_client *cl, const char *line, size_t len)
{
	char err[CTL_ERR_LEN];
	struct ctl_req rq;

	if (!ctl_req_parse(line, len, &rq, err, sizeof(err))) {
		reply_err(cl, CTL_E_EPROTO, err);
		return;
	}
	if (cl->txn && !ctl_verb_is_write(rq.verb) && rq.verb != CTL_V_COMMIT &&
	    rq.verb != CTL_V_ABORT && rq.verb != CTL_V_BEGIN) {
		reply_err(cl, CTL_E_EPROTO, "not allowed inside a transaction");
		return;
	}
	switch (rq.verb) {
	case CTL_V_HELLO:
		if (rq.version != CTL_PROTO_VERSION) {
			reply_err(cl, CTL_E_EPROTO, "protocol version mismatch");
			return;
		}
		bufferevent_write(cl->bev, "ok\n", 3);
		info_row(cl);
		bufferevent_write(cl->bev, ".\n", 2);
		return;
	case CTL_V_LIST:
		do_list(cl, &rq);
		return;
	case CTL_V_ZERO:
		if (cl->txn)
			reply_ok(cl);	/* counters are not configuration */
		else
			do_zero(cl, &rq);
		return;
	case CTL_V_CONNS:
		do_conns(cl);
		return;
	case CTL_V_TIMEOUTS:
		do_timeouts(cl);
		return;
	case CTL_V_DROPS:
		do_drops(cl);
		return;
	case CTL_V_BEGIN:
	case CTL_V_COMMIT:
	case CTL_V_ABORT:
		do_txn(cl, &rq);
		return;
	default:
		do_write(cl, &rq);
		return;
	}
}

/* --- bufferevent callbacks -------------------------------------------------------------- */

/* True while a conns reply is under way: later requests wait for it. */
static bool is_busy(const struct ctl_client *cl)
{
	return cl->waiting_dump || cl->rows;
}

static bool has_line(struct evbuffer *in)
{
	return evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos != -1;
}

static void refuse_line(struct ctl_client *cl)
{
	reply_err(cl, CTL_E_EPROTO, "line too long");
	cl->closing = true;
	bufferevent_disable(cl->bev, EV_READ);
}

/*
 * The read timeout is for a peer stalled in the middle of a line; between
 * requests it may stay as long as it likes. The write timeout always holds.
 */
static void arm_read_timeout(struct ctl_client *cl, bool on)
{
	struct timeval tmo = { CTL_TIMEOUT_MS / 1000,
			       (CTL_TIMEOUT_MS % 1000) * 1000 };

	if (on == cl->read_timed)
		return;
	cl->read_timed = on;
	bufferevent_set_timeouts(cl->bev, on ? &tmo : NULL, &tmo);
}

/*
 * A refused peer: its err line is written, what it sends is thrown away,
 * and it is freed when it closes, or at linger_end. Closing at once, while
 * its request may still be on its way, would have it fail to send rather
 * than read why it was refused. Returns true when <cl> was freed.
 */
static bool linger(struct ctl_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	struct evbuffer *o = bufferevent_get_output(cl->bev);
	struct timeval now;
	bool late;

	evbuffer_drain(in, evbuffer_get_length(in));
	event_base_gettimeofday_cached(cl->ctl->env.base, &now);
	late = now.tv_sec > cl->linger_end.tv_sec ||
	       (now.tv_sec == cl->linger_end.tv_sec &&
		now.tv_usec > cl->linger_end.tv_usec);
	if (!late && evbuffer_get_length(o) > 0)
		return false;
	if (!late && !cl->eof) {
		if (!cl->shut)
			shutdown(bufferevent_getfd(cl->bev), SHUT_WR);
		cl->shut = true;
		return false;
	}
	client_free(cl);
	return true;
}

/*
 * Answers the requests buffered from <cl>, in order, while no conns reply
 * is under way and fewer than CTL_OUT_HIGH bytes of replies wait to be
 * read; at most CTL_LINES_PER_CB per call, the rest on a later turn of the
 * loop, so that one peer cannot hold it. Requests left waiting resume from
 * on_write() (the output drained to CTL_OUT_LOW) or from kick() (a dump
 * ended); the input stops growing at CTL_IN_HIGH meanwhile. Frees <cl> when
 * it is finished: refused, or at EOF with no whole line left, and nothing
 * more to write. Returns true then, and <cl> must not be touched.
 */
static bool pump(struct ctl_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	struct evbuffer *o = bufferevent_get_output(cl->bev);
	unsigned n;
	size_t len;
	char *line;

	if (cl->refused)
		return linger(cl);
	for (n = 0; !cl->closing && !is_busy(cl) &&
		    evbuffer_get_length(o) < CTL_OUT_HIGH; n++) {
		if (n == CTL_LINES_PER_CB) {
			kick(cl);
			break;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (!line)
			break;
		if (len >= CTL_LINE_MAX) {
			free(line);
			refuse_line(cl);
			break;
		}
		handle(cl, line, len);
		free(line);
	}
	/* Checked only when this peer's turn has come, to keep replies in order. */
	if (!cl->closing && !is_busy(cl) &&
	    evbuffer_get_length(in) >= CTL_LINE_MAX && !has_line(in))
		refuse_line(cl);
	arm_read_timeout(cl, !cl->closing && !cl->eof &&
			 evbuffer_get_length(in) > 0 && !has_line(in));
	if (!cl->closing && !(cl->eof && !has_line(in)))
		return false;
	if (is_busy(cl) || evbuffer_get_length(o) > 0)
		return false;
	client_free(cl);	/* a half line at EOF goes unanswered */
	return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump(arg);
}

/* The output drained to CTL_OUT_LOW: more rows, more requests, or the end. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;

	(void)bev;
	if (cl->rows)
		write_rows(cl);
	pump(cl);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;

	if ((what & BEV_EVENT_READING) && (what & BEV_EVENT_EOF)) {
		/* A half-close: what was asked before it is still answered. */
		cl->eof = true;
		bufferevent_disable(bev, EV_READ);
		pump(cl);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: peer timed out");
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(cl);	/* an open transaction is dropped */
}

static bool peer_is_root(evutil_socket_t fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	       uc.uid == 0;
}

/*
 * Answers a new peer <cl> with one err line and no more. It lingers (see
 * linger()) for at most CTL_TIMEOUT_MS, and only CTL_CLIENTS_MAX of them at
 * once; beyond that, one is closed as soon as its line is written.
 */
static void refuse_peer(struct ctl_client *cl, enum ctl_err code,
			const char *msg)
{
	struct ctl *c = cl->ctl;

	reply_err(cl, code, msg);
	cl->closing = true;
	if (c->n_refused < CTL_CLIENTS_MAX) {
		cl->refused = true;
		c->n_refused++;
		event_base_gettimeofday_cached(c->env.base, &cl->linger_end);
		cl->linger_end.tv_sec += CTL_TIMEOUT_MS / 1000;
		arm_read_timeout(cl, true);
		bufferevent_enable(cl->bev, EV_READ);
	}
	bufferevent_enable(cl->bev, EV_WRITE);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct ctl *c = arg;
	struct timeval tmo = { CTL_TIMEOUT_MS / 1000,
			       (CTL_TIMEOUT_MS % 1000) * 1000 };
	struct ctl_client *cl = calloc(1, sizeof(*cl));

	(void)lis;
	(void)sa;
	(void)salen;
	if (!cl) {
		evutil_closesocket(fd);
		return;
	}
	cl->ctl = c;
	cl->bev = bufferevent_socket_new(c->env.base, fd,
					 BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev) {
		evutil_closesocket(fd);
		free(cl);
		return;
	}
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	bufferevent_setcb(cl->bev, on_read, on_write, on_event, cl);
	bufferevent_set_timeouts(cl->bev, NULL, &tmo);
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CTL_IN_HIGH);
	bufferevent_setwatermark(cl->bev, EV_WRITE, CTL_OUT_LOW, 0);
	if (!peer_is_root(fd)) {
		refuse_peer(cl, CTL_E_EPERM, "you must be root");
		return;
	}
	if (c->n_served >= CTL_CLIENTS_MAX) {
		refuse_peer(cl, CTL_E_ENOMEM, "too many clients");
		return;
	}
	cl->served = true;
	c->n_served++;
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* --- setup ------------------------------------------------------------------------------- */

/*
 * Whether <sun>'s path may become our socket: absent, or a socket nobody
 * listens on any more (a previous lbd that died). A live listener is
 * another lbd, and anything that is not a socket is not ours to delete.
 * Returns 1 when a stale socket is there, 0 when nothing is, -1 with <err>
 * filled when the path must not be used.
 */
static int probe_path(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path;
	struct stat sb;
	int fd, rc, e;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		goto err;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "control socket %s exists and is not a socket",
			 path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto err;
	do
		rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	while (rc == -1 && errno == EINTR);
	e = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still a listener. */
	if (rc == 0 || e == EAGAIN) {
		snprintf(err, errlen, "control socket %s is in use by another lbd",
			 path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		errno = e;
		goto err;
	}
	return 1;

err:
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	return -1;
}

static int fill_sun(struct sockaddr_un *sun, const char *path, char *err,
		    size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	return 0;
}

int ctl_path_usable(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;

	if (fill_sun(&sun, path, err, errlen))
		return -1;
	return probe_path(&sun, err, errlen) < 0 ? -1 : 0;
}

/* Removes a stale socket file at <sun>'s path; refuses a live one. */
static int clear_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	int rc = probe_path(sun, err, errlen);

	if (rc <= 0)
		return rc;
	if (unlink(sun->sun_path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: %s", sun->sun_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Binds and listens on <path>, recording the socket file's identity in <sb>
 * for ctl_free(). Returns the listening fd, or -1 with <err> filled.
 */
static int listen_unix(const char *path, struct stat *sb, char *err,
		       size_t errlen)
{
	struct sockaddr_un sun;
	int fd;

	if (fill_sun(&sun, path, err, errlen) || clear_stale(&sun, err, errlen))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto err;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto err_close;
	if (stat(path, sb) == -1 || chmod(path, 0600) == -1 ||
	    listen(fd, 16) == -1)
		goto err_unlink;
	return fd;

err_unlink:
	unlink(path);
err_close:
	close(fd);
err:
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	return -1;
}

/* Removes the socket file, unless it is no longer the one ctl_new() made. */
static void unlink_own(const struct ctl *c)
{
	struct stat sb;

	if (stat(c->env.path, &sb) == 0 && sb.st_dev == c->sock_dev &&
	    sb.st_ino == c->sock_ino)
		unlink(c->env.path);
}

struct ctl *ctl_new(const struct ctl_env *env, char *err, size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));
	struct stat sb;
	int fd;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->env = *env;
	fd = listen_unix(env->path, &sb, err, errlen);
	if (fd == -1)
		goto err_free;
	c->sock_dev = sb.st_dev;
	c->sock_ino = sb.st_ino;
	c->lis = evconnlistener_new(env->base, on_accept, c,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				    -1, fd);
	c->dump_timer = evtimer_new(env->base, dump_poll, c);
	if (!c->lis || !c->dump_timer) {
		if (!c->lis)
			close(fd);
		snprintf(err, errlen, "control socket: libevent setup failed");
		goto err_unlink;
	}
	return c;

err_unlink:
	unlink_own(c);
	if (c->lis)
		evconnlistener_free(c->lis);
	if (c->dump_timer)
		event_free(c->dump_timer);
err_free:
	free(c);
	return NULL;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->clients)
		client_free(c->clients);
	evconnlistener_free(c->lis);
	event_free(c->dump_timer);
	/*
	 * A dump the datapath has not finished stays allocated: the datapath
	 * thread is stopped before this runs, so its buffer can go now.
	 */
	free(c->env.dump->buf);
	c->env.dump->buf = NULL;
	unlink_own(c);
	free(c);
}
