/* SPDX-License-Identifier: MIT */
/*
 * Configuration (L1): the LVS subset of keepalived.conf, parsed from text into
 * a validated struct cfg. No I/O: the caller reads the file and passes its text.
 * Either the whole file is accepted or NULL comes back with "file:line: why".
 */
#ifndef LB_CFG_H
#define LB_CFG_H

#include "types.h"

#define CFG_ERR_LEN	256
#define CFG_PATH_MAX	256	/* HTTP_GET url path, including the NUL */
#define CFG_SCHED_MAX	8	/* "rr", "wrr", including the NUL */
#define CFG_SVC_MAX	256	/* virtual servers per file */
#define CFG_RS_MAX	4096	/* real servers per file, all services together */
#define CFG_WEIGHT_MAX	65535	/* as ipvsadm */

enum cfg_check_kind {
	CFG_CHECK_NONE = 0,	/* no checker: the real server is always up */
	CFG_CHECK_TCP,		/* TCP_CHECK: a connect() that succeeds */
	CFG_CHECK_HTTP,		/* HTTP_GET: GET <path>, expect <status_code> */
};

struct cfg_check {
	enum cfg_check_kind kind;
	uint32_t connect_timeout_ms;	/* ms; keepalived default 5 s */
	uint16_t connect_port;		/* host order; 0 means the real server's port */
	uint32_t retry;			/* failed attempts before a check fails; default 1 */
	uint32_t delay_before_retry_ms;	/* ms between retries; default 1 s */
	char path[CFG_PATH_MAX];	/* HTTP_GET url path, e.g. "/health" */
	uint16_t status_code;		/* HTTP_GET expected status; 0 means any 2xx */
};

struct cfg_rs {
	__be32 addr;			/* network order */
	__be16 port;			/* network order */
	uint32_t weight;		/* 0 .. CFG_WEIGHT_MAX; default 1 */
	bool inhibit_on_failure;	/* down -> weight 0 instead of removal */
	uint32_t rise;			/* successes to come up; lbd's own; default 1 */
	uint32_t fall;			/* failures to go down; lbd's own; default 1 */
	struct cfg_check check;
	unsigned int line;		/* where the real_server block starts */
};

struct cfg_svc {
	__be32 vaddr;			/* network order */
	__be16 vport;			/* network order */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP; default TCP */
	enum lb_fwd fwd;		/* lb_kind; default NAT, as keepalived */
	char sched[CFG_SCHED_MAX];	/* lb_algo: "rr" or "wrr"; default "wrr" */
	uint32_t delay_loop_ms;		/* ms between checks; keepalived default 60 s */
	struct cfg_rs *rs;		/* n_rs entries, owned by the cfg */
	size_t n_rs;
	unsigned int line;		/* where the virtual_server block starts */
};

#define CFG_COALESCE_US_MAX	1000u	/* lbd_rx_coalesce_us upper bound */

struct cfg {
	struct cfg_svc *svc;		/* n_svc entries, owned */
	size_t n_svc;
	uint32_t conn_max;		/* global_defs lbd_conn_max; default 1048576 */
	uint32_t half_open_max;		/* global_defs lbd_half_open_max; default conn_max / 8 */
	uint32_t tcp_timeout_ms;	/* lvs_timeouts tcp; 0 = IPVS default */
	uint32_t tcpfin_timeout_ms;	/* lvs_timeouts tcpfin; 0 = IPVS default */
	uint32_t udp_timeout_ms;	/* lvs_timeouts udp; 0 = IPVS default */
	bool expire_nodest_conn;	/* global_defs: drop flows of a dead real server */
	uint32_t rx_coalesce_us;	/* global_defs lbd_rx_coalesce_us; default 0 */
};

/*
 * Parses <len> bytes of <text> (need not be NUL-terminated), naming <fname> in
 * errors. Returns a config the caller frees with cfg_free(), or NULL with
 * "<fname>:<line>: <what>" written to <err> (<errlen> bytes, always
 * NUL-terminated when errlen > 0). Nothing is returned half-parsed.
 */
struct cfg *cfg_parse(const char *text, size_t len, const char *fname,
		      char *err, size_t errlen);

/* Frees <c> and everything it owns. Accepts NULL. */
void cfg_free(struct cfg *c);

#endif /* LB_CFG_H */
