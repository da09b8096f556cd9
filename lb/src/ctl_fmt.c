/* SPDX-License-Identifier: MIT */
/*
 * ipvsadm's listing formats (L1), rebuilt from its printf formats: rows in,
 * the same bytes ipvsadm prints out. L1: no I/O; output through struct
 * ctl_out, memory only for the collected view.
 */
#include "ctl_fmt.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_FMT_LINE	512	/* one output line, bytes; the longest is ~300 */

static int buf_write(void *arg, const char *s, size_t n)
{
	struct ctl_buf *b = arg;
	size_t room = b->cap - 1 - b->len;

	if (n > room) {
		b->overflow = true;
		n = room;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return b->overflow ? -1 : 0;
}

struct ctl_out ctl_buf_out(struct ctl_buf *b, char *p, size_t cap)
{
	struct ctl_out out = { buf_write, b };

	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	p[0] = '\0';
	return out;
}

/* printf into one line, then to <out>. A line never exceeds CTL_FMT_LINE. */
static int emit(const struct ctl_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int emit(const struct ctl_out *out, const char *fmt, ...)
{
	char line[CTL_FMT_LINE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	return out->write(out->arg, line, (size_t)n);
}

/* ---- the view ----------------------------------------------------------- */

void ctl_view_init(struct ctl_view *v)
{
	memset(v, 0, sizeof(*v));
}

void ctl_view_fini(struct ctl_view *v)
{
	size_t i;

	for (i = 0; i < v->n_svc; i++)
		free(v->svc[i].rs);
	free(v->svc);
	memset(v, 0, sizeof(*v));
}

/* Next capacity for an array of <cap> elements of <size> bytes; 0 if none. */
static size_t next_cap(size_t cap, size_t size)
{
	size_t ncap = cap ? cap * 2 : 8;

	return ncap > SIZE_MAX / size ? 0 : ncap;
}

bool ctl_view_add(struct ctl_view *v, const char *line, size_t len)
{
	switch (ctl_line_kind(line, len)) {
	case CTL_L_INFO:
		if (!ctl_info_row_parse(line, len, &v->info))
			return false;
		v->has_info = true;
		return true;
	case CTL_L_SVC: {
		struct ctl_svc_row row;
		struct ctl_view_svc *s;

		if (v->n_rows >= CTL_VIEW_MAX || !ctl_svc_row_parse(line, len, &row))
			return false;
		if (v->n_svc == v->cap_svc) {
			size_t ncap = next_cap(v->cap_svc, sizeof(*v->svc));
			struct ctl_view_svc *p;

			if (ncap == 0 || (p = realloc(v->svc, ncap * sizeof(*p))) == NULL)
				return false;
			v->svc = p;
			v->cap_svc = ncap;
		}
		v->n_rows++;
		s = &v->svc[v->n_svc++];
		memset(s, 0, sizeof(*s));
		s->row = row;
		return true;
	}
	case CTL_L_RS: {
		struct ctl_rs_row row;
		struct ctl_view_svc *s;

		if (v->n_svc == 0 || v->n_rows >= CTL_VIEW_MAX ||
		    !ctl_rs_row_parse(line, len, &row))
			return false;
		s = &v->svc[v->n_svc - 1];
		if (s->n_rs == s->cap_rs) {
			size_t ncap = next_cap(s->cap_rs, sizeof(*s->rs));
			struct ctl_rs_row *p;

			if (ncap == 0 || (p = realloc(s->rs, ncap * sizeof(*p))) == NULL)
				return false;
			s->rs = p;
			s->cap_rs = ncap;
		}
		v->n_rows++;
		s->rs[s->n_rs++] = row;
		return true;
	}
	default:
		return false;
	}
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_svc(const void *pa, const void *pb)
{
	const struct ctl_svc_row *a = &((const struct ctl_view_svc *)pa)->row;
	const struct ctl_svc_row *b = &((const struct ctl_view_svc *)pb)->row;
	int r = cmp_u32(a->proto, b->proto);

	if (r == 0)
		r = cmp_u32(ntohl(a->vaddr), ntohl(b->vaddr));
	if (r == 0)
		r = cmp_u32(ntohs(a->vport), ntohs(b->vport));
	return r;
}

static int cmp_rs(const void *pa, const void *pb)
{
	const struct ctl_rs_row *a = pa, *b = pb;
	int r = cmp_u32(ntohl(a->daddr), ntohl(b->daddr));

	if (r == 0)
		r = cmp_u32(ntohs(a->dport), ntohs(b->dport));
	return r;
}

void ctl_view_sort(struct ctl_view *v)
{
	size_t i;

	if (v->n_svc > 1)
		qsort(v->svc, v->n_svc, sizeof(*v->svc), cmp_svc);
	for (i = 0; i < v->n_svc; i++)
		if (v->svc[i].n_rs > 1)
			qsort(v->svc[i].rs, v->svc[i].n_rs,
			      sizeof(*v->svc[i].rs), cmp_rs);
}

/* ---- numbers and names -------------------------------------------------- */

void ctl_fmt_num(uint64_t x, bool exact, char *buf, size_t len)
{
	unsigned long long i = x;

	if (exact) {
		char tmp[32];
		int n = snprintf(tmp, sizeof(tmp), "%llu", i);

		snprintf(buf, len, "%*llu", n <= 8 ? 9 : n + 1, i);
	} else if (i < 100000000ULL) {
		snprintf(buf, len, "%9llu", i);
	} else if (i < 1000000000ULL) {
		snprintf(buf, len, "%8lluK", i / 1000ULL);
	} else if (i < 100000000000ULL) {
		snprintf(buf, len, "%8lluM", i / 1000000ULL);
	} else if (i < 100000000000000ULL) {
		snprintf(buf, len, "%8lluG", i / 1000000000ULL);
	} else {
		snprintf(buf, len, "%8lluT", i / 1000000000000ULL);
	}
}

static void addrport(char *buf, size_t len, __be32 addr, __be16 port)
{
	uint32_t a = ntohl(addr);

	snprintf(buf, len, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff, (unsigned int)ntohs(port));
}

/* ---- -L and -S ----------------------------------------------------------- */

static int fmt_title(unsigned int fmt, const struct ctl_out *out)
{
	if (fmt & CTL_FMT_STATS)
		return emit(out, "%-33s %8s %8s %8s %8s %8s\n"
			    "  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
			    "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
	if (fmt & CTL_FMT_RATE)
		return emit(out, "%-33s %8s %8s %8s %8s %8s\n"
			    "  -> RemoteAddress:Port\n", "Prot LocalAddress:Port",
			    "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
	if (fmt & CTL_FMT_RULE)
		return 0;
	if (fmt & CTL_FMT_HEALTH)
		return emit(out, "Prot LocalAddress:Port Scheduler Flags\n"
			    "  -> RemoteAddress:Port           Forward Weight "
			    "ActiveConn %-10s %-6s %-9s %s\n",
			    "InActConn", "Health", "Latency", "LastCheck");
	return emit(out, "Prot LocalAddress:Port Scheduler Flags\n"
		    "  -> RemoteAddress:Port           Forward Weight ActiveConn "
		    "InActConn\n");
}

/* Five counters as print_largenum() prints them, then a newline. */
static int emit_nums(const struct ctl_out *out, bool exact, const uint64_t *x,
		     size_t n)
{
	char line[CTL_FMT_LINE], num[32];
	size_t off = 0, i;

	for (i = 0; i < n; i++) {
		size_t l;

		ctl_fmt_num(x[i], exact, num, sizeof(num));
		l = strlen(num);
		if (off + l + 2 > sizeof(line))
			return -1;
		memcpy(line + off, num, l);
		off += l;
	}
	line[off++] = '\n';
	return out->write(out->arg, line, off);
}

static int fmt_svc(const struct ctl_svc_row *s, unsigned int fmt,
		   const struct ctl_out *out)
{
	bool exact = (fmt & CTL_FMT_EXACT) != 0;
	const char *p = s->proto == IPPROTO_UDP ? "UDP" : "TCP";
	char vname[32], name[64];

	addrport(vname, sizeof(vname), s->vaddr, s->vport);
	if (fmt & CTL_FMT_RULE)
		return emit(out, "-A %s %s -s %s\n",
			    s->proto == IPPROTO_UDP ? "-u" : "-t", vname, s->sched);
	/* ipvsadm cuts the service name at 33 bytes; an IPv4 one never is. */
	snprintf(name, sizeof(name), "%s  %.26s", p, vname);
	if (fmt & (CTL_FMT_STATS | CTL_FMT_RATE)) {
		const struct ctl_stats *st = &s->st;
		uint64_t stats[5] = { st->conns, st->inpkts, st->outpkts,
				      st->inbytes, st->outbytes };
		uint64_t rates[5] = { st->cps, st->inpps, st->outpps,
				      st->inbps, st->outbps };

		if (emit(out, "%-33s", name) < 0)
			return -1;
		return emit_nums(out, exact, (fmt & CTL_FMT_STATS) ? stats : rates, 5);
	}
	return emit(out, "%s %s\n", name, s->sched);
}

static void fmt_latency(uint32_t us, char *buf, size_t len)
{
	if (us == CTL_LAT_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u.%03ums", us / 1000, us % 1000);
}

static int fmt_rs(const struct ctl_svc_row *s, const struct ctl_rs_row *r,
		  unsigned int fmt, const struct ctl_out *out)
{
	bool exact = (fmt & CTL_FMT_EXACT) != 0;
	const struct ctl_stats *st = &r->st;
	char dname[32], vname[32];

	addrport(dname, sizeof(dname), r->daddr, r->dport);
	if (fmt & CTL_FMT_RULE) {
		addrport(vname, sizeof(vname), s->vaddr, s->vport);
		return emit(out, "-a %s %s -r %s %s -w %u\n",
			    s->proto == IPPROTO_UDP ? "-u" : "-t", vname, dname,
			    r->fwd == LB_FWD_NAT ? "-m" : "-g",
			    (unsigned int)r->weight);
	}
	if (fmt & CTL_FMT_STATS) {
		uint64_t x[5] = { st->conns, st->inpkts, st->outpkts,
				  st->inbytes, st->outbytes };

		if (emit(out, "  -> %-28s", dname) < 0)
			return -1;
		return emit_nums(out, exact, x, 5);
	}
	if (fmt & CTL_FMT_RATE) {
		uint64_t x[2] = { st->inbps, st->outbps };

		if (emit(out, "  -> %-28s %8llu %8llu %8llu", dname,
			 (unsigned long long)st->cps,
			 (unsigned long long)st->inpps,
			 (unsigned long long)st->outpps) < 0)
			return -1;
		return emit_nums(out, exact, x, 2);
	}
	if (fmt & CTL_FMT_HEALTH) {
		char lat[32];

		fmt_latency(r->lat_us, lat, sizeof(lat));
		return emit(out, "  -> %-28s %-7s %-6u %-10u %-10u %-6s %-9s %s\n",
			    dname, r->fwd == LB_FWD_NAT ? "Masq" : "Route",
			    (unsigned int)r->weight, (unsigned int)r->active,
			    (unsigned int)r->inactive, r->up ? "up" : "down",
			    lat, r->check[0] != '\0' ? r->check : "-");
	}
	return emit(out, "  -> %-28s %-7s %-6u %-10u %-10u\n", dname,
		    r->fwd == LB_FWD_NAT ? "Masq" : "Route",
		    (unsigned int)r->weight, (unsigned int)r->active,
		    (unsigned int)r->inactive);
}

int ctl_fmt_list(struct ctl_view *v, unsigned int fmt, const struct ctl_out *out)
{
	size_t i, j;

	if (!(fmt & (CTL_FMT_RULE | CTL_FMT_SERVICE)) &&
	    emit(out, "IP Virtual Server version %s (size=%u)\n",
		 v->has_info ? v->info.ver : "1.2.1",
		 v->has_info ? (unsigned int)v->info.size : 0u) < 0)
		return -1;
	if (!(fmt & CTL_FMT_NOSORT))
		ctl_view_sort(v);
	if (fmt_title(fmt, out) < 0)
		return -1;
	for (i = 0; i < v->n_svc; i++) {
		const struct ctl_view_svc *s = &v->svc[i];

		if (fmt_svc(&s->row, fmt, out) < 0)
			return -1;
		for (j = 0; j < s->n_rs; j++)
			if (fmt_rs(&s->row, &s->rs[j], fmt, out) < 0)
				return -1;
	}
	return 0;
}

/* ---- -c and --timeout ---------------------------------------------------- */

int ctl_fmt_conn_title(const struct ctl_out *out)
{
	return emit(out, "IPVS connection entries\n"
		    "pro expire %-11s %-18s %-18s %s\n",
		    "state", "source", "virtual", "destination");
}

int ctl_fmt_conn(const struct ctl_conn_row *row, const struct ctl_out *out)
{
	char c[32], v[32], d[32], expire[24];

	addrport(c, sizeof(c), row->caddr, row->cport);
	addrport(v, sizeof(v), row->vaddr, row->vport);
	addrport(d, sizeof(d), row->daddr, row->dport);
	snprintf(expire, sizeof(expire), "%02u:%02u",
		 (unsigned int)(row->expire / 60), (unsigned int)(row->expire % 60));
	return emit(out, "%-3s %-6s %-11s %-18s %-18s %s\n",
		    row->proto == IPPROTO_UDP ? "UDP" : "TCP", expire,
		    row->state, c, v, d);
}

int ctl_fmt_timeouts(const struct ctl_timeouts_row *row,
		     const struct ctl_out *out)
{
	return emit(out, "Timeout (tcp tcpfin udp): %u %u %u\n",
		    (unsigned int)row->tcp, (unsigned int)row->tcpfin,
		    (unsigned int)row->udp);
}

int ctl_fmt_table(const struct ctl_table_row *row, const struct ctl_out *out)
{
	return emit(out, "Connection table: %llu of %llu entries, %llu half-open\n"
		    "Frames: %llu received, %llu sent\n"
		    "Drops by reason:\n",
		    (unsigned long long)row->entries,
		    (unsigned long long)row->capacity,
		    (unsigned long long)row->half_open,
		    (unsigned long long)row->rx, (unsigned long long)row->tx);
}

int ctl_fmt_drop(const struct ctl_drop_row *row, const struct ctl_out *out)
{
	return emit(out, "  %-24s %llu\n", row->reason,
		    (unsigned long long)row->count);
}
