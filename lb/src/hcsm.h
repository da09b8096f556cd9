/* SPDX-License-Identifier: MIT */
/*
 * Health state machine (L1): one real server's up/down state from probe
 * results, with keepalived's retry/delay_before_retry and lbd's rise/fall.
 * Pure: no I/O, no clock, no rand(). Time (<now>, ms) and randomness are
 * arguments; the caller runs the probes and the timers.
 */
#ifndef LB_HCSM_H
#define LB_HCSM_H

#include "types.h"

/*
 * Where the machine is. UP and DOWN are steady; the *_FALLING and *_RISING
 * states count a streak of checks that disagree with the current health.
 */
enum hcsm_state {
	HCSM_S_UP = 0,		/* healthy, last check passed */
	HCSM_S_UP_FALLING,	/* healthy, 1 .. fall-1 failed checks in a row */
	HCSM_S_DOWN,		/* unhealthy, last check failed */
	HCSM_S_DOWN_RISING,	/* unhealthy, 1 .. rise-1 passed checks in a row */
	HCSM_S_MAX
};

/* What the caller must do next. */
enum hcsm_phase {
	HCSM_P_WAIT = 0,	/* wait until hcsm_deadline(), then probe */
	HCSM_P_PROBING,		/* a probe is in flight; report it with hcsm_probe_done() */
	HCSM_P_MAX
};

/* Timing and thresholds, copied into the machine by hcsm_init(). */
struct hcsm_params {
	uint32_t delay_loop_ms;		/* ms between checks; > 0 */
	uint32_t jitter_ms;		/* ms; each delay_loop gets 0 .. jitter_ms extra */
	uint32_t warmup_ms;		/* ms; the first probe comes 0 .. warmup_ms after init */
	uint32_t retry;			/* extra attempts after a failed one; 0 = none */
	uint32_t delay_before_retry_ms;	/* ms between a failed attempt and its retry */
	uint32_t rise;			/* passed checks in a row to go up; >= 1 */
	uint32_t fall;			/* failed checks in a row to go down; >= 1 */
	bool inhibit_on_failure;	/* not interpreted: copied into transitions */
};

/* An up/down change, filled by hcsm_probe_done() when health flips. */
struct hcsm_transition {
	bool was_up;			/* health before */
	bool is_up;			/* health after; always != was_up */
	int reason;			/* the caller's code for the deciding probe */
	uint32_t streak;		/* checks in a row that decided it (rise or fall) */
	uint32_t attempts;		/* probes in the deciding check: 1 .. retry + 1 */
	bool inhibit_on_failure;	/* from the params, for the caller's log */
};

/*
 * The machine. It is public so that it can be embedded without an
 * allocation; callers may read the n_* counters, and use the functions below
 * for everything else.
 */
struct hcsm {
	struct hcsm_params p;
	enum hcsm_state st;
	enum hcsm_phase phase;
	uint32_t streak;		/* checks counted in *_FALLING / *_RISING */
	uint32_t attempt;		/* failed attempts of the current check so far */
	int last_reason;		/* caller's code of the last probe */
	uint64_t deadline_ms;		/* ms, caller's clock: next probe (WAIT only) */
	uint64_t n_probes;		/* probes reported */
	uint64_t n_checks;		/* checks completed (after retries) */
	uint64_t n_transitions;		/* up/down changes */
};

/*
 * Normalises <p>: rise and fall of 0 become 1, delay_loop_ms of 0 becomes 1.
 * Returns true if <p> was usable as given, false if something was changed.
 */
bool hcsm_params_fix(struct hcsm_params *p);

/*
 * Starts <sm> in state up (keepalived: real servers start alive), waiting for
 * the first probe at <now> + (<rnd> mod (warmup_ms + 1)). <p> is copied and
 * normalised with hcsm_params_fix(). <rnd> is any uniformly random value;
 * <now> is in ms on any monotonic clock the caller keeps using.
 */
void hcsm_init(struct hcsm *sm, const struct hcsm_params *p, uint64_t now, uint32_t rnd);

/* True while the server counts as healthy (states UP and UP_FALLING). */
bool hcsm_is_up(const struct hcsm *sm);

/* Current state and phase, for display. */
enum hcsm_state hcsm_state(const struct hcsm *sm);
enum hcsm_phase hcsm_phase(const struct hcsm *sm);

/*
 * When the next probe is due, in ms on the caller's clock. Meaningful in
 * phase WAIT; in phase PROBING it returns UINT64_MAX (the probe's own timeout
 * belongs to the caller).
 */
uint64_t hcsm_deadline(const struct hcsm *sm);

/* True if a probe should start now: phase WAIT and <now> >= the deadline. */
bool hcsm_is_due(const struct hcsm *sm, uint64_t now);

/*
 * Records that the caller started a probe at <now> (it may start early, e.g.
 * at once after a reload). Returns false, changing nothing, if a probe is
 * already in flight.
 */
bool hcsm_probe_start(struct hcsm *sm, uint64_t now);

/*
 * Reports the in-flight probe's result at <now>: <ok>, and <reason>, the
 * caller's code for it (kept and copied into a transition, not interpreted).
 * A failed probe with retries left schedules a retry delay_before_retry_ms
 * later and counts nothing. Otherwise the check is complete: it goes through
 * the rise/fall table and the next probe is due delay_loop_ms plus
 * (<rnd> mod (jitter_ms + 1)) later.
 * Returns true and fills <tr> (may be NULL) when health flipped; false when
 * it did not, or when no probe was in flight (then nothing changes).
 */
bool hcsm_probe_done(struct hcsm *sm, uint64_t now, bool ok, int reason,
		     uint32_t rnd, struct hcsm_transition *tr);

/* Attempts already failed in the current check (0 .. retry). */
uint32_t hcsm_attempt(const struct hcsm *sm);

/* Name of <st> ("up", "up-falling", "down", "down-rising"); never NULL. */
const char *hcsm_state_name(enum hcsm_state st);

#endif /* LB_HCSM_H */
