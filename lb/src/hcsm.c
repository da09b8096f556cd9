/* SPDX-License-Identifier: MIT */
/*
 * Health state machine (L1): rise/fall over checks, retry over probes.
 * Pure: no I/O, no clock, no rand(), no logging; see hcsm.h.
 */
#include <stdint.h>

#include "hcsm.h"

/* What a completed check does to the streak counter. */
enum hcsm_count {
	HCSM_C_RESET = 0,	/* streak = 0, go to <below> */
	HCSM_C_START,		/* streak = 1, then compare with the threshold */
	HCSM_C_INC,		/* streak += 1, then compare with the threshold */
};

struct hcsm_rule {
	enum hcsm_count count;
	enum hcsm_state below;	/* next state while streak < threshold */
	enum hcsm_state reached;	/* next state once streak >= threshold */
};

enum hcsm_result {
	HCSM_R_PASS = 0,	/* threshold: rise */
	HCSM_R_FAIL,		/* threshold: fall */
	HCSM_R_MAX
};

#define R(c, b, r) { HCSM_C_##c, HCSM_S_##b, HCSM_S_##r }

/*
 * The rise/fall table, one row per state, one column per check result.
 * A check that agrees with the current health resets the streak; one that
 * disagrees starts or extends it, and the state flips once the streak reaches
 * rise (for passes) or fall (for failures). A single disagreeing check in a
 * *_FALLING / *_RISING state is forgotten by the next agreeing one, which is
 * what suppresses flapping. <reached> is unused for RESET rules.
 */
static const struct hcsm_rule hcsm_rules[HCSM_S_MAX][HCSM_R_MAX] = {
	/*			   PASS				FAIL */
	[HCSM_S_UP] =		{ R(RESET, UP, UP),		R(START, UP_FALLING, DOWN) },
	[HCSM_S_UP_FALLING] =	{ R(RESET, UP, UP),		R(INC, UP_FALLING, DOWN) },
	[HCSM_S_DOWN] =		{ R(START, DOWN_RISING, UP),	R(RESET, DOWN, DOWN) },
	[HCSM_S_DOWN_RISING] =	{ R(INC, DOWN_RISING, UP),	R(RESET, DOWN, DOWN) },
};

#undef R

static const char *const hcsm_state_names[HCSM_S_MAX] = {
	[HCSM_S_UP] = "up",
	[HCSM_S_UP_FALLING] = "up-falling",
	[HCSM_S_DOWN] = "down",
	[HCSM_S_DOWN_RISING] = "down-rising",
};

static bool hcsm_state_is_up(enum hcsm_state st)
{
	return st == HCSM_S_UP || st == HCSM_S_UP_FALLING;
}

bool hcsm_params_fix(struct hcsm_params *p)
{
	bool as_given = true;

	if (p->rise == 0) {
		p->rise = 1;
		as_given = false;
	}
	if (p->fall == 0) {
		p->fall = 1;
		as_given = false;
	}
	if (p->delay_loop_ms == 0) {
		p->delay_loop_ms = 1;
		as_given = false;
	}
	return as_given;
}

/* <rnd> mod (<span> + 1) without overflow when span is UINT32_MAX. */
static uint64_t hcsm_spread(uint32_t span, uint32_t rnd)
{
	return (uint64_t)rnd % ((uint64_t)span + 1);
}

void hcsm_init(struct hcsm *sm, const struct hcsm_params *p, uint64_t now, uint32_t rnd)
{
	*sm = (struct hcsm){ .p = *p };
	hcsm_params_fix(&sm->p);
	sm->st = HCSM_S_UP;
	sm->phase = HCSM_P_WAIT;
	sm->deadline_ms = now + hcsm_spread(sm->p.warmup_ms, rnd);
}

bool hcsm_is_up(const struct hcsm *sm)
{
	return hcsm_state_is_up(sm->st);
}

enum hcsm_state hcsm_state(const struct hcsm *sm)
{
	return sm->st;
}

enum hcsm_phase hcsm_phase(const struct hcsm *sm)
{
	return sm->phase;
}

uint64_t hcsm_deadline(const struct hcsm *sm)
{
	return sm->phase == HCSM_P_WAIT ? sm->deadline_ms : UINT64_MAX;
}

bool hcsm_is_due(const struct hcsm *sm, uint64_t now)
{
	return sm->phase == HCSM_P_WAIT && now >= sm->deadline_ms;
}

bool hcsm_probe_start(struct hcsm *sm, uint64_t now)
{
	(void)now;
	if (sm->phase != HCSM_P_WAIT)
		return false;
	sm->phase = HCSM_P_PROBING;
	return true;
}

uint32_t hcsm_attempt(const struct hcsm *sm)
{
	return sm->attempt;
}

const char *hcsm_state_name(enum hcsm_state st)
{
	if ((unsigned int)st >= HCSM_S_MAX)
		return "?";
	return hcsm_state_names[st];
}

/*
 * One probe result. Retries come first (keepalived's tcp_epilog): a failed
 * attempt with attempt < retry only schedules another attempt. A pass, or the
 * last failed attempt, completes one check, which the rule table turns into
 * the next state. The streak never exceeds the threshold that flips the
 * state, because reaching it moves to a state whose rules START or RESET.
 */
bool hcsm_probe_done(struct hcsm *sm, uint64_t now, bool ok, int reason,
		     uint32_t rnd, struct hcsm_transition *tr)
{
	const struct hcsm_rule *rule;
	enum hcsm_result res;
	enum hcsm_state next;
	uint32_t attempts, threshold;
	bool was_up;

	if (sm->phase != HCSM_P_PROBING)
		return false;
	sm->phase = HCSM_P_WAIT;
	sm->last_reason = reason;
	sm->n_probes++;

	if (!ok && sm->attempt < sm->p.retry) {
		sm->attempt++;
		sm->deadline_ms = now + sm->p.delay_before_retry_ms;
		return false;
	}

	attempts = sm->attempt + 1;
	sm->attempt = 0;
	sm->n_checks++;
	sm->deadline_ms = now + sm->p.delay_loop_ms + hcsm_spread(sm->p.jitter_ms, rnd);

	res = ok ? HCSM_R_PASS : HCSM_R_FAIL;
	threshold = ok ? sm->p.rise : sm->p.fall;
	rule = &hcsm_rules[sm->st][res];
	switch (rule->count) {
	case HCSM_C_RESET:
		sm->streak = 0;
		break;
	case HCSM_C_START:
		sm->streak = 1;
		break;
	case HCSM_C_INC:
		sm->streak++;
		break;
	}
	next = rule->count != HCSM_C_RESET && sm->streak >= threshold ?
	       rule->reached : rule->below;

	was_up = hcsm_state_is_up(sm->st);
	sm->st = next;
	if (was_up == hcsm_state_is_up(next))
		return false;

	sm->n_transitions++;
	if (tr) {
		*tr = (struct hcsm_transition){
			.was_up = was_up,
			.is_up = !was_up,
			.reason = reason,
			.streak = sm->streak,
			.attempts = attempts,
			.inhibit_on_failure = sm->p.inhibit_on_failure,
		};
	}
	sm->streak = 0;
	return true;
}
