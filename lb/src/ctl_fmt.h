/* SPDX-License-Identifier: MIT */
/*
 * ipvsadm's output (L1): reply rows from ctl_proto become the text of
 * ipvsadm -L -n (plain, --stats, --rate, --exact), -L -c, -L --timeout and -S,
 * byte for byte, plus lbd's --health columns. L1: no I/O; text goes to a
 * caller-supplied writer.
 *
 * Divergences from ipvsadm, all deliberate: addresses and ports are always
 * numeric (names would need a resolver; -n is accepted and changes nothing),
 * and sorting compares addresses as unsigned numbers (ipvsadm subtracts them
 * as int, which misorders addresses 2^31 apart).
 */
#ifndef LB_CTL_FMT_H
#define LB_CTL_FMT_H

#include "ctl_proto.h"

/* Output format flags (ipvsadm's FMT_*). */
#define CTL_FMT_NUMERIC	(1u << 0)	/* -n: accepted; output is always numeric */
#define CTL_FMT_RULE	(1u << 1)	/* -S: ipvsadm-save lines */
#define CTL_FMT_STATS	(1u << 2)	/* --stats */
#define CTL_FMT_RATE	(1u << 3)	/* --rate */
#define CTL_FMT_EXACT	(1u << 4)	/* --exact: no K/M/G/T */
#define CTL_FMT_HEALTH	(1u << 5)	/* --health: lbd's extra real server columns */
#define CTL_FMT_NOSORT	(1u << 6)	/* --nosort: the daemon's order */
#define CTL_FMT_SERVICE	(1u << 7)	/* one named service: no version line */

/*
 * Where text goes. write() gets <n> bytes at <s> (not NUL-terminated) and
 * returns 0, or -1 to stop the formatter, which then returns -1 too.
 */
struct ctl_out {
	int (*write)(void *arg, const char *s, size_t n);
	void *arg;
};

/* A writer into a fixed caller buffer, always NUL-terminated. */
struct ctl_buf {
	char *p;		/* cap bytes, owned by the caller */
	size_t cap;		/* bytes at p, > 0 */
	size_t len;		/* bytes written, without the NUL */
	bool overflow;		/* something did not fit; output is cut there */
};

/* Sets <b> up over <p> (<cap> > 0 bytes) and returns the ctl_out writing to it. */
struct ctl_out ctl_buf_out(struct ctl_buf *b, char *p, size_t cap);

/* One service of a listing with its real servers. */
struct ctl_view_svc {
	struct ctl_svc_row row;
	struct ctl_rs_row *rs;	/* n_rs entries, owned by the view */
	size_t n_rs;
	size_t cap_rs;
};

/* The rows of one "list" reply, collected for sorting and printing. */
struct ctl_view {
	bool has_info;
	struct ctl_info_row info;
	struct ctl_view_svc *svc;	/* n_svc entries, owned */
	size_t n_svc;
	size_t cap_svc;
	size_t n_rows;		/* svc and rs rows held, <= CTL_VIEW_MAX */
};

#define CTL_VIEW_MAX	(1u << 20)	/* rows one view holds, all kinds */

/* Initialises an empty view; ctl_view_fini() frees what it collected. */
void ctl_view_init(struct ctl_view *v);
void ctl_view_fini(struct ctl_view *v);

/*
 * Adds one data line of a list reply (<len> bytes, optional '\n'): an info,
 * svc or rs row (rs rows belong to the svc row before them). Returns false
 * for a malformed line, any other kind, an rs row before the first svc row,
 * more than CTL_VIEW_MAX rows, or no memory; the view keeps what it had.
 */
bool ctl_view_add(struct ctl_view *v, const char *line, size_t len);

/* Sorts services by (proto, vaddr, vport) and each one's real servers by (daddr, dport). */
void ctl_view_sort(struct ctl_view *v);

/*
 * ipvsadm's print_largenum(): <x> right-aligned in 9 columns, or with
 * <exact> as wide as it needs plus one leading space (at least 9); without
 * <exact>, numbers from 10^8 up are cut to K, M, G or T. Writes into <buf>
 * (<len> >= 32 bytes).
 */
void ctl_fmt_num(uint64_t x, bool exact, char *buf, size_t len);

/*
 * Prints view <v> as ipvsadm -L (or -S with CTL_FMT_RULE) does with format
 * <fmt>: version line (not for RULE or SERVICE), title (not for RULE), then
 * every service and its real servers, sorted unless CTL_FMT_NOSORT (which
 * leaves <v> reordered). Returns 0, or -1 when <out> failed.
 */
int ctl_fmt_list(struct ctl_view *v, unsigned int fmt, const struct ctl_out *out);

/* ipvsadm -L -c: the two title lines, then one line per connection. 0 or -1. */
int ctl_fmt_conn_title(const struct ctl_out *out);
int ctl_fmt_conn(const struct ctl_conn_row *row, const struct ctl_out *out);

/*
 * lbctl -L --drops (lbd's own): the table row as two lines, connection table
 * fill and frames, then a title; each drop row as one "  reason  count" line
 * (counts exact: these are for scripts as much as for people). 0 or -1.
 */
int ctl_fmt_table(const struct ctl_table_row *row, const struct ctl_out *out);
int ctl_fmt_drop(const struct ctl_drop_row *row, const struct ctl_out *out);

/* ipvsadm -L --timeout: "Timeout (tcp tcpfin udp): 900 120 300". 0 or -1. */
int ctl_fmt_timeouts(const struct ctl_timeouts_row *row,
		     const struct ctl_out *out);

#endif /* LB_CTL_FMT_H */
