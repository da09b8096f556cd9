/* SPDX-License-Identifier: MIT */
/*
 * Health checks (L2): keepalived's TCP_CHECK and HTTP_GET as non-blocking
 * probes on the control thread's libevent loop, rise/fall via hcsm. Emits
 * (rs id, up|down, reason) through a callback; never touches the datapath,
 * the service table or dp_*: the caller turns events into a new snapshot.
 */
#ifndef LB_HC_H
#define LB_HC_H

#include <event2/event.h>

#include "cfg.h"
#include "types.h"

#define HC_DETAIL_LEN		96	/* detail text, including the NUL */
#define HC_STATUS_LINE_MAX	512	/* bytes read while looking for the status line */
#define HC_HIST_BUCKETS		12	/* 11 finite bounds + Inf */
#define HC_ID_ALL		UINT32_MAX	/* hc_hist(): every target together */

/*
 * Why a probe failed (relayd's enum host_error). The names are what logs and
 * lbctl print; see hc_reason_str().
 */
enum hc_reason {
	HC_OK = 0,		/* connected (TCP) / expected status (HTTP) */
	HC_ERR_TIMEOUT,		/* connect_timeout elapsed before an answer */
	HC_ERR_REFUSED,		/* RST to our SYN: nothing listens */
	HC_ERR_UNREACH,		/* no route, host or network unreachable */
	HC_ERR_RESET,		/* connection reset or closed mid-probe */
	HC_ERR_BAD_STATUS,	/* HTTP answered, but not with status_code */
	HC_ERR_BAD_RESPONSE,	/* not an HTTP status line, or no answer at all */
	HC_ERR_SOCKET,		/* local failure: socket(), fd limit, memory */
	HC_ERR_CONNECT,		/* any other connect() error */
	HC_REASON_MAX
};

/* One real server to check. Plain values: hc_add() copies it. */
struct hc_target {
	uint32_t id;			/* caller's key, e.g. the svc slot; unique */
	__be32 addr;			/* IPv4 to probe, network order */
	__be16 port;			/* connect port, network order; != 0 */
	enum cfg_check_kind kind;	/* CFG_CHECK_TCP or CFG_CHECK_HTTP */
	char path[CFG_PATH_MAX];	/* HTTP_GET path, "/..." ; "" means "/" */
	uint16_t status_code;		/* HTTP_GET expected status; 0 = any 2xx */
	uint32_t connect_timeout_ms;	/* ms, whole probe budget; > 0 */
	uint32_t delay_loop_ms;		/* ms between checks; > 0 */
	uint32_t retry;			/* extra attempts before a check fails */
	uint32_t delay_before_retry_ms;	/* ms between those attempts */
	uint32_t rise;			/* passed checks in a row to go up; 0 = 1 */
	uint32_t fall;			/* failed checks in a row to go down; 0 = 1 */
	uint32_t warmup_ms;		/* ms; first probe at random in 0 .. warmup_ms */
	bool inhibit_on_failure;	/* not interpreted: passed to the event */
};

/* An up/down change of one target. Valid only during the callback. */
struct hc_event {
	uint32_t id;			/* hc_target.id */
	bool up;			/* new health */
	enum hc_reason why;		/* reason of the deciding probe */
	const char *detail;		/* "connect refused", "HTTP 503", ... */
	uint32_t latency_us;		/* us, the deciding probe's duration */
	uint32_t streak;		/* checks in a row behind it (rise or fall) */
	uint32_t attempts;		/* probes in the deciding check (1 + retries) */
	bool inhibit_on_failure;	/* from the target, for the log line */
};

/*
 * Called from the event loop on each up/down change (never for the initial
 * state, which is up). It may call hc_add() and hc_remove(), including on
 * <ev->id>, but not hc_free().
 */
typedef void (*hc_event_cb)(void *arg, const struct hc_event *ev);

/* What lbctl --health shows for one target; a copy. */
struct hc_status {
	bool up;
	const char *state;		/* "up", "up-falling", "down", "down-rising"; static */
	enum hc_reason last_reason;	/* of the last probe; HC_OK before the first */
	char last_detail[HC_DETAIL_LEN];	/* "" before the first probe */
	uint32_t last_latency_us;	/* us, the last probe's duration */
	uint64_t n_probes;		/* probes completed */
	uint64_t n_failed;		/* of those, not HC_OK */
	uint64_t n_transitions;		/* up/down changes */
};

/*
 * Probe durations, Prometheus style: le[i] counts probes that took at most
 * hc_hist_le_us[i] (cumulative), le[HC_HIST_BUCKETS - 1] is +Inf = count.
 * Every completed probe counts, failed ones included (a timeout lands near
 * its connect_timeout); use hc_status.n_failed to tell them apart.
 */
struct hc_hist {
	uint64_t le[HC_HIST_BUCKETS];	/* cumulative counts */
	uint64_t count;			/* probes */
	uint64_t sum_us;		/* us, total duration; /1e6 for _sum */
};

/* Finite bucket bounds in us: 500 us .. 1 s, i.e. 0.0005 .. 1 seconds. */
extern const uint32_t hc_hist_le_us[HC_HIST_BUCKETS - 1];

/*
 * Creates a checker on <base> (borrowed; must outlive the checker) that
 * reports changes to <cb>(<arg>, ...). <seed> feeds the jitter between checks
 * (any value; tests pass a constant). Returns NULL on allocation failure.
 */
struct hc *hc_new(struct event_base *base, hc_event_cb cb, void *arg, uint32_t seed);

/*
 * Stops every probe (closing its socket, no callbacks) and frees <h>.
 * Accepts NULL. Not from inside the callback.
 */
void hc_free(struct hc *h);

/*
 * Fills <t> for real server <rs> of service <svc> from the config, with
 * key <id>: connect_port or the server's port, delay_loop from the service,
 * warmup = delay_loop. Returns 0, or -1 with errno EINVAL if the server has
 * no checker (CFG_CHECK_NONE: the caller keeps it up without hc).
 */
int hc_target_from_cfg(struct hc_target *t, uint32_t id, const struct cfg_svc *svc,
		       const struct cfg_rs *rs);

/*
 * Starts checking <t> (copied): state up, first probe within t->warmup_ms,
 * then one check every delay_loop_ms plus 0 .. delay_loop_ms / 10 of jitter
 * (from the seed), each probe bounded by connect_timeout_ms. TCP_CHECK passes
 * when connect() completes; HTTP_GET sends an HTTP/1.0 GET and passes on the
 * expected status line, then closes without reading the body. Returns 0, or -1 with errno EEXIST (id already checked), EINVAL (kind not
 * TCP/HTTP, id HC_ID_ALL, port 0, timeout or delay_loop 0, a path that does not start with
 * '/' or holds spaces or control characters) or ENOMEM. Never calls the
 * callback itself.
 */
int hc_add(struct hc *h, const struct hc_target *t);

/*
 * Stops checking <id>: an in-flight probe is abandoned (socket closed, no
 * callback). Returns 0, or -1 with errno ENOENT for an unknown id.
 */
int hc_remove(struct hc *h, uint32_t id);

/* True if <id> is checked and currently up; false if down or unknown. */
bool hc_is_up(const struct hc *h, uint32_t id);

/* Copies <id>'s state to <out>. Returns false, leaving <out> alone, for an unknown id. */
bool hc_status(const struct hc *h, uint32_t id, struct hc_status *out);

/*
 * Copies the duration histogram of <id>, or of every probe since hc_new()
 * when <id> is HC_ID_ALL, to <out>. Returns false for an unknown id.
 */
bool hc_hist(const struct hc *h, uint32_t id, struct hc_hist *out);

/* Number of targets being checked. */
size_t hc_count(const struct hc *h);

/* Short name of <r> ("ok", "timeout", "connect refused", ...); never NULL. */
const char *hc_reason_str(enum hc_reason r);

/*
 * Parses one HTTP status line, "HTTP/d.d SP 3DIGIT [SP reason]", given as
 * <len> bytes at <line> without the LF (a trailing CR is allowed). Pure and
 * bounded: reads nothing past <len>, rejects len > HC_STATUS_LINE_MAX, codes
 * outside 100..599 and control characters in the reason. Returns true and
 * sets *<status>, or false for anything else.
 */
bool hc_parse_status_line(const char *line, size_t len, uint16_t *status);

/* True if <status> satisfies <want>: equal, or any 2xx when <want> is 0. */
bool hc_status_is_ok(uint16_t status, uint16_t want);

#endif /* LB_HC_H */
