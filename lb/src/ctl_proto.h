/* SPDX-License-Identifier: MIT */
/*
 * The lbd control protocol (L1): one text request line in, one reply out, over
 * the unix socket lbctl and lbd share. Pure parse/format functions for both
 * sides, fuzzed in both directions. L1: no I/O, no logging, no clock.
 */
#ifndef LB_CTL_PROTO_H
#define LB_CTL_PROTO_H

#include "types.h"

/*
 * ---- Transport ------------------------------------------------------------
 *
 * A SOCK_STREAM unix socket, CTL_SOCKET_PATH unless lbd and lbctl are told
 * otherwise (--socket PATH), created mode 0600 and owned by root; a second
 * lbd refuses to start on a socket a running one listens on. A client
 * writes request lines and reads one reply per request, in order; it may keep
 * the connection, idle or not, for any number of requests, and may send
 * requests ahead (pipeline) and then shut down its sending side: every whole
 * line sent before the shutdown is answered. lbd reads ahead only a few
 * lines and answers no more while a conns reply is under way or while much
 * of its replies waits unread, so a peer that does not read is not answered
 * further, and is closed once it has read nothing for CTL_TIMEOUT_MS. lbd
 * serves 16 peers at once; one more gets "err ENOMEM too many clients" and
 * is closed. All text is printable ASCII
 * (0x20..0x7e) plus the terminating '\n'; a '\r' before the '\n' is tolerated
 * on requests and never sent. Tokens are separated by one or more spaces or
 * tabs; the formatters emit single spaces.
 *
 * A line is at most CTL_LINE_MAX bytes including its '\n'.
 *
 * ---- Replies ----------------------------------------------------------------
 *
 * Every request gets exactly one reply, either
 *
 *     ok\n  <zero or more data rows>  .\n        (success; always ends in ".")
 *     err <CODE> <message>\n                     (failure; one line, no ".")
 *
 * CODE is one of the ctl_err names below ("ESRCH", "EEXIST", ...): the names,
 * not numbers, are the wire format. The message is free text for logs and for
 * codes lbctl has no fixed ipvsadm text for (see ctl_strerror()).
 *
 * Data rows start with their kind, then key=value fields, e.g.
 *
 *     info proto=1 ver=1.2.1 size=1048576
 *     svc proto=tcp vaddr=10.0.0.100:80 sched=wrr conns=12 inpkts=80 ...
 *     rs daddr=10.0.1.1:80 fwd=dr weight=1 active=3 inactive=9 conns=12 ...
 *     conn proto=tcp caddr=192.0.2.7:40001 vaddr=10.0.0.100:80 daddr=... state=ESTABLISHED expire=899
 *     timeouts tcp=900 tcpfin=120 udp=300
 *     table entries=12 half_open=3 capacity=1048576 rx=900 tx=880
 *     drop reason=no_connection count=7
 *
 * Formatters always write every field in the order of the tables in
 * ctl_proto.c; parsers accept any order, require every field, ignore keys
 * they do not know (so a newer lbd may add fields) and take the last of a
 * repeated key. Numbers are decimal without sign or leading '+'. Addresses
 * are dotted quads, "a.b.c.d:port". Free text (rs check=) is percent-encoded:
 * bytes outside 0x21..0x7e, '%' and '=' become %XX.
 *
 * ---- Requests and what lbd must do ------------------------------------------
 *
 * PROTO is "tcp" or "udp"; SVC is VADDR:VPORT; RS is DADDR:DPORT (ports
 * 0..65535 on the wire: lbd answers EINVAL where 0 makes no sense); FWD is
 * "dr" or "nat"; WEIGHT is 0..65535; SCHED is 1..15 of [a-z0-9_].
 * The ipvsadm text lbctl prints for each code is in brackets.
 *
 * An edit (svc-*, rs-*, clear) outside a transaction is published at once,
 * as a one-request commit, and can also fail as commit does (see begin /
 * commit): ENOMEM when memory or room runs short, EINVAL when the new
 * configuration cannot be bound to the network (no route to a real server,
 * a real server behind an interface lbd was not started on): a value
 * problem, with lbd's message saying which.
 *
 * hello VERSION
 *     First request of a session (lbctl always sends it). VERSION !=
 *     CTL_PROTO_VERSION: err EPROTO. Reply: ok, one info row, ".".
 * svc-add PROTO SVC SCHED
 *     Service exists: EEXIST [Service already exists]. Unknown scheduler:
 *     ENOENT [Scheduler not found]. VPORT 0: EINVAL. More than CFG_SVC_MAX
 *     services: ENOMEM [Memory allocation problem]. Else adds it, no real
 *     servers, zero counters.
 * svc-edit PROTO SVC SCHED
 *     No such service: ESRCH [No such service]. Unknown scheduler: ENOENT.
 *     Else switches the scheduler (its state restarts; existing conns stay).
 * svc-del PROTO SVC
 *     ESRCH [No such service]. Else removes the service and its real
 *     servers; their conns drain (STYLE.md §6).
 * rs-add PROTO SVC RS FWD WEIGHT
 *     ESRCH [Service not defined]. Real server exists: EEXIST [Destination
 *     already exists]. FWD dr and DPORT != VPORT, or DPORT 0: EINVAL. lbd
 *     binds one forwarding method per service: FWD differing from the other
 *     real servers' is EOPNOTSUPP with a message saying so (printed as is).
 *     Capacity (CFG_RS_MAX): ENOMEM. Else adds it, up, with zero counters.
 * rs-edit PROTO SVC RS FWD WEIGHT
 *     ESRCH [Service not defined]. No such real server: ENOENT [No such
 *     destination]. FWD as for rs-add. Else sets weight (and fwd); the
 *     scheduler hears of it through update(); health state is kept.
 * rs-del PROTO SVC RS
 *     ESRCH [Service not defined]; ENOENT [No such destination]. Else
 *     removes it; its conns drain.
 * clear
 *     Removes every service (ipvsadm -C). Always ok.
 * zero [PROTO SVC]
 *     With a service: ESRCH [No such service] when absent, else zeroes that
 *     service's and its real servers' counters and rates. Without: all.
 * list [PROTO SVC]
 *     With a service: ESRCH [No such service] when absent. Reply: ok, one
 *     info row, then for each service its svc row followed by the rs rows of
 *     its real servers, then ".". Any order: lbctl sorts as ipvsadm does.
 * conns
 *     ok, one conn row per connection (any order), ".". The reply can be
 *     large: write it without blocking the control loop (backpressure).
 * timeouts
 *     ok, one timeouts row (seconds, as ipvsadm --timeout), ".".
 * drops
 *     lbd's own (lbctl -L --drops; ipvsadm has none): ok, one table row
 *     (connection table fill, frames in and out), then one drop row per
 *     drop reason, zero counts included, ".".
 * begin / commit / abort
 *     ipvsadm -R as one transaction. begin inside a transaction: EPROTO.
 *     After begin, svc-*, rs-*, clear and zero apply to a private staging
 *     copy and are answered one by one as above (a failed request leaves the
 *     copy as it was); list, conns, timeouts and hello inside a transaction
 *     are EPROTO. commit publishes the copy as one snapshot, or applies
 *     nothing and answers: EPROTO "configuration changed since begin; start
 *     again" when the configuration in force changed after begin (a reload,
 *     another client's edit), ENOMEM when memory or room runs short, EINVAL
 *     when the copy cannot be bound to the network (as for edits, above).
 *     The transaction ends either way. abort, or the client going away,
 *     drops it. commit or abort without begin: EPROTO.
 *
 * Anything else: a line ctl_req_parse() rejects gets "err EPROTO <its
 * message>" and the connection stays usable. A line longer than
 * CTL_LINE_MAX, a NUL byte, a client idle for CTL_TIMEOUT_MS in the middle
 * of a line (not between requests), or one that stops reading its replies
 * for CTL_TIMEOUT_MS: lbd may answer "err EPROTO line too long" / "err
 * ETIMEDOUT ..." and closes the connection. A half line at EOF is dropped
 * unanswered. A peer whose uid is not 0 (SO_PEERCRED) gets EPERM
 * [Permission denied (you must be root)].
 */

#define CTL_PROTO_VERSION	1
#define CTL_SOCKET_PATH		"/run/lbd.sock"
#define CTL_TIMEOUT_MS		5000	/* ms a peer may stall mid-line or mid-reply */
#define CTL_LINE_MAX		4096	/* bytes per line, including the '\n' */
#define CTL_SCHED_MAX		16	/* scheduler name, including the NUL (IPVS's) */
#define CTL_STATE_MAX		16	/* conn state name, including the NUL */
#define CTL_CHECK_MAX		128	/* health check text, decoded, including the NUL */
#define CTL_VER_MAX		16	/* "1.2.1", including the NUL */
#define CTL_ERR_LEN		256	/* parse error buffers */
#define CTL_WEIGHT_MAX		65535	/* as ipvsadm */
#define CTL_LAT_NONE		UINT32_MAX	/* rs lat_us: no check has finished */
#define CTL_REASON_MAX		32	/* drop reason name, including the NUL */

/* Requests, in the order of the verb table in ctl_proto.c. */
enum ctl_verb {
	CTL_V_NONE = 0,		/* not a request; "any verb" in ctl_strerror() */
	CTL_V_HELLO,
	CTL_V_SVC_ADD,
	CTL_V_SVC_EDIT,
	CTL_V_SVC_DEL,
	CTL_V_RS_ADD,
	CTL_V_RS_EDIT,
	CTL_V_RS_DEL,
	CTL_V_CLEAR,
	CTL_V_ZERO,
	CTL_V_LIST,
	CTL_V_CONNS,
	CTL_V_TIMEOUTS,
	CTL_V_BEGIN,
	CTL_V_COMMIT,
	CTL_V_ABORT,
	CTL_V_DROPS,
	CTL_V_MAX
};

/* Error codes of "err" replies: errno names, as the kernel's IPVS uses them. */
enum ctl_err {
	CTL_E_NONE = 0,		/* not an error; never on the wire */
	CTL_E_ESRCH,		/* no such service */
	CTL_E_EEXIST,		/* service or real server already exists */
	CTL_E_ENOENT,		/* no such scheduler / real server */
	CTL_E_EINVAL,		/* invalid values (port 0, DR port mismatch, no route) */
	CTL_E_ENOMEM,		/* out of memory or table capacity */
	CTL_E_EPERM,		/* peer is not root */
	CTL_E_EPROTO,		/* malformed request, bad sequence (lbd's own) */
	CTL_E_EOPNOTSUPP,	/* valid ipvsadm, but not something lbd does */
	CTL_E_ETIMEDOUT,	/* the peer stalled */
	CTL_E_MAX
};

/*
 * One request. Only the fields its verb uses are meaningful; ctl_req_parse()
 * zeroes the rest, and ctl_req_format() ignores them.
 */
struct ctl_req {
	enum ctl_verb verb;
	uint32_t version;	/* hello: protocol version */
	bool has_svc;		/* zero, list: a service was named */
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__be32 vaddr;		/* network order */
	__be16 vport;		/* network order */
	char sched[CTL_SCHED_MAX];	/* svc-add, svc-edit; NUL-terminated */
	__be32 daddr;		/* rs-*: network order */
	__be16 dport;		/* rs-*: network order */
	uint8_t fwd;		/* rs-add, rs-edit: enum lb_fwd */
	uint32_t weight;	/* rs-add, rs-edit: 0 .. CTL_WEIGHT_MAX */
};

/* Counters and rates of a service or real server, as IPVS keeps them. */
struct ctl_stats {
	uint64_t conns;		/* connections scheduled, total */
	uint64_t inpkts;	/* packets client -> real server */
	uint64_t outpkts;	/* packets real server -> client (NAT only) */
	uint64_t inbytes;	/* bytes, L3, same direction as inpkts */
	uint64_t outbytes;	/* bytes, L3, same direction as outpkts */
	uint64_t cps;		/* connections per second, recent average */
	uint64_t inpps;		/* packets per second */
	uint64_t outpps;
	uint64_t inbps;		/* bytes per second */
	uint64_t outbps;
};

/* "info": what ipvsadm prints in its version line. */
struct ctl_info_row {
	uint32_t proto;		/* CTL_PROTO_VERSION the daemon speaks */
	char ver[CTL_VER_MAX];	/* IPVS version lbd mimics, "1.2.1" */
	uint32_t size;		/* conn table capacity, entries (IPVS: conn hash size) */
};

struct ctl_svc_row {
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__be32 vaddr;		/* network order */
	__be16 vport;		/* network order */
	char sched[CTL_SCHED_MAX];
	struct ctl_stats st;
};

struct ctl_rs_row {
	__be32 daddr;		/* network order */
	__be16 dport;		/* network order */
	uint8_t fwd;		/* enum lb_fwd */
	uint32_t weight;	/* configured weight, 0 .. CTL_WEIGHT_MAX */
	uint32_t active;	/* conns in ESTABLISHED */
	uint32_t inactive;	/* other conns */
	struct ctl_stats st;
	bool up;		/* health: up or down */
	uint32_t lat_us;	/* last check's duration, us; CTL_LAT_NONE if none */
	char check[CTL_CHECK_MAX];	/* last check result, "" if none */
};

struct ctl_conn_row {
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__be32 caddr;		/* client, network order */
	__be16 cport;
	__be32 vaddr;		/* virtual service, network order */
	__be16 vport;
	__be32 daddr;		/* real server, network order */
	__be16 dport;
	char state[CTL_STATE_MAX];	/* conn_state_name(): "ESTABLISHED", ... */
	uint32_t expire;	/* seconds until it expires */
};

struct ctl_timeouts_row {
	uint32_t tcp;		/* s, ESTABLISHED */
	uint32_t tcpfin;	/* s, FIN_WAIT */
	uint32_t udp;		/* s */
};

/* "table": the connection table's fill and the datapath's frame counts. */
struct ctl_table_row {
	uint64_t entries;	/* flows in the table */
	uint64_t half_open;	/* of those, in SYN_RECV */
	uint64_t capacity;	/* table size, flows */
	uint64_t rx;		/* frames the datapath read */
	uint64_t tx;		/* frames it sent */
};

/* "drop": the counter of one reason the datapath drops frames for. */
struct ctl_drop_row {
	char reason[CTL_REASON_MAX];	/* dp_drop_name(): "no_connection", ... */
	uint64_t count;
};

/* What a reply line is; see ctl_line_kind(). */
enum ctl_line {
	CTL_L_BAD = 0,		/* none of the below */
	CTL_L_OK,		/* "ok" */
	CTL_L_ERR,		/* "err CODE message" */
	CTL_L_END,		/* "." */
	CTL_L_INFO,		/* data rows, by their first token */
	CTL_L_SVC,
	CTL_L_RS,
	CTL_L_CONN,
	CTL_L_TIMEOUTS,
	CTL_L_TABLE,
	CTL_L_DROP,
};

/*
 * Parses one request line: <len> bytes at <line>, with or without the final
 * "\n" (or "\r\n"); need not be NUL-terminated, may contain anything. Returns
 * true and fills all of <req>; or false with a message for "err EPROTO" in
 * <err> (<errlen> bytes, always NUL-terminated when errlen > 0) and <req>
 * unspecified. Rejects: len >= CTL_LINE_MAX, bytes outside 0x20..0x7e (tab
 * allowed as a separator), unknown verbs, wrong argument count, malformed
 * or out-of-range values.
 */
bool ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
		   char *err, size_t errlen);

/*
 * Writes <req> as one line ending in "\n" into <buf> (<len> bytes) and
 * NUL-terminates it. Returns the line's length without the NUL, or -1 when
 * it does not fit or <req> is not formattable (bad verb, proto, fwd,
 * weight or scheduler name). For every <req> that ctl_req_parse() filled,
 * parsing the output gives back the same request.
 */
int ctl_req_format(const struct ctl_req *req, char *buf, size_t len);

/* The wire name of <verb> ("svc-add"), or "?" when out of range. */
const char *ctl_verb_name(enum ctl_verb verb);

/* True for the verbs that change state (and may appear inside begin/commit). */
bool ctl_verb_is_write(enum ctl_verb verb);

/* The wire name of <code> ("ESRCH"), or "?" when out of range. */
const char *ctl_err_name(enum ctl_err code);

/*
 * Writes "err CODE message\n" into <buf> (<len> bytes, NUL-terminated).
 * Bytes of <msg> (may be NULL) outside 0x20..0x7e become '?', and it is cut
 * to fit one line. Returns the length without the NUL, or -1 when <code> is
 * out of range or <len> < 64.
 */
int ctl_err_format(enum ctl_err code, const char *msg, char *buf, size_t len);

/*
 * Parses an "err" line (<len> bytes, optional '\n'): <code> and the message
 * into <msg> (<msglen> bytes, NUL-terminated, cut when short). Returns false
 * when the line is not a well-formed err line.
 */
bool ctl_err_parse(const char *line, size_t len, enum ctl_err *code,
		   char *msg, size_t msglen);

/*
 * What ipvsadm prints for <code> answering <verb>: its ipvs_strerror() text
 * where ipvsadm has one (e.g. svc-add + EEXIST -> "Service already
 * exists"), else <msg> when non-empty, else the code's name. Never NULL; the
 * result is static or <msg>.
 */
const char *ctl_strerror(enum ctl_verb verb, enum ctl_err code,
			 const char *msg);

/* Classifies a reply line (<len> bytes, optional '\n') by its first token. */
enum ctl_line ctl_line_kind(const char *line, size_t len);

/*
 * Row formatters: write the row as one line ending in "\n" into <buf>
 * (<len> bytes, NUL-terminated). Return the length without the NUL, or -1
 * when it does not fit or a field is out of range (proto, fwd, names that
 * are empty or not tokens). Row parsers: the inverse, for one line of
 * <len> bytes (optional '\n'), any bytes; return false on anything
 * malformed or a missing field, leaving <row> unspecified. parse(format(r))
 * == r for every row the parser can produce.
 */
int ctl_info_row_format(const struct ctl_info_row *row, char *buf, size_t len);
bool ctl_info_row_parse(const char *line, size_t len, struct ctl_info_row *row);
int ctl_svc_row_format(const struct ctl_svc_row *row, char *buf, size_t len);
bool ctl_svc_row_parse(const char *line, size_t len, struct ctl_svc_row *row);
int ctl_rs_row_format(const struct ctl_rs_row *row, char *buf, size_t len);
bool ctl_rs_row_parse(const char *line, size_t len, struct ctl_rs_row *row);
int ctl_conn_row_format(const struct ctl_conn_row *row, char *buf, size_t len);
bool ctl_conn_row_parse(const char *line, size_t len, struct ctl_conn_row *row);
int ctl_timeouts_row_format(const struct ctl_timeouts_row *row, char *buf,
			    size_t len);
bool ctl_timeouts_row_parse(const char *line, size_t len,
			    struct ctl_timeouts_row *row);
int ctl_table_row_format(const struct ctl_table_row *row, char *buf, size_t len);
bool ctl_table_row_parse(const char *line, size_t len, struct ctl_table_row *row);
int ctl_drop_row_format(const struct ctl_drop_row *row, char *buf, size_t len);
bool ctl_drop_row_parse(const char *line, size_t len, struct ctl_drop_row *row);

#endif /* LB_CTL_PROTO_H */
