/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hcsm.c with a fake clock: rise/fall sequences (table-driven,
 * one string of probe results per case), every cell of the rule table,
 * retry/delay_before_retry timing, transitions emitted exactly once, flapping
 * suppressed, deadlines, and the bounds of warmup and jitter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "hcsm.h"

#define T0	1000000u	/* fake clock start, ms */

struct fake {
	struct hcsm sm;
	uint64_t now;		/* ms */
	unsigned int flips;	/* transitions seen */
	struct hcsm_transition last;
};

static struct hcsm_params params(uint32_t rise, uint32_t fall, uint32_t retry)
{
	return (struct hcsm_params){
		.delay_loop_ms = 1000,
		.jitter_ms = 0,
		.warmup_ms = 0,
		.retry = retry,
		.delay_before_retry_ms = 100,
		.rise = rise,
		.fall = fall,
	};
}

static void fake_init(struct fake *f, const struct hcsm_params *p)
{
	memset(f, 0, sizeof(*f));
	f->now = T0;
	hcsm_init(&f->sm, p, f->now, 0);
}

/*
 * Runs one probe the way hc.c does: wait for the deadline, start, finish
 * <lat> ms later with <ok>. Returns true on a transition.
 */
static bool fake_probe(struct fake *f, bool ok, uint32_t lat, uint32_t rnd)
{
	struct hcsm_transition tr;
	bool flipped;

	assert_int_equal(hcsm_phase(&f->sm), HCSM_P_WAIT);
	assert_true(hcsm_deadline(&f->sm) >= f->now);
	f->now = hcsm_deadline(&f->sm);
	assert_true(hcsm_is_due(&f->sm, f->now));
	assert_true(hcsm_probe_start(&f->sm, f->now));
	assert_int_equal(hcsm_phase(&f->sm), HCSM_P_PROBING);
	assert_true(hcsm_deadline(&f->sm) == UINT64_MAX);
	assert_false(hcsm_is_due(&f->sm, f->now + 1000000));
	f->now += lat;
	memset(&tr, 0xa5, sizeof(tr));
	flipped = hcsm_probe_done(&f->sm, f->now, ok, ok ? 0 : 7, rnd, &tr);
	if (flipped) {
		f->flips++;
		f->last = tr;
		assert_true(tr.was_up != tr.is_up);
		assert_true(tr.is_up == hcsm_is_up(&f->sm));
	}
	return flipped;
}

/* ------------------------------------------------------------------ */
/* Sequences                                                           */
/* ------------------------------------------------------------------ */

/*
 * One case: probe results as a string ('o' passed, 'x' failed), and after
 * each probe the expected state as a letter: U up, F up-falling, D down,
 * R down-rising; '^' / 'v' mark the probes that must emit a transition to
 * up / down. retry is 0 here, so each probe is one check.
 */
struct seq_case {
	const char *name;
	uint32_t rise, fall;
	const char *probes;
	const char *states;
	const char *flips;	/* ' ' none, '^' up, 'v' down */
};

static const struct seq_case seq_cases[] = {
	/* name			rise fall probes	states		flips */
	{ "stays up",		1, 1, "oooo",		"UUUU",		"    " },
	{ "fall 1",		1, 1, "xo",		"DU",		"v^" },
	{ "fall 3",		1, 3, "xxxx",		"FFDD",		"  v " },
	{ "rise 3",		3, 1, "xoooo",		"DRRUU",	"v  ^ " },
	{ "fall reset",		1, 3, "xxoxxx",		"FFUFFD",	"     v" },
	{ "rise reset",		3, 1, "xooxooo",	"DRRDRRU",	"v     ^" },
	{ "flap up",		2, 2, "xoxoxoxo",	"FUFUFUFU",	"        " },
	{ "flap down",		2, 2, "xxoxoxox",	"FDRDRDRD",	" v      " },
	{ "rise 2 fall 2",	2, 2, "xxooxxoo",	"FDRUFDRU",	" v ^ v ^" },
	{ "down stays",		5, 1, "xxxx",		"DDDD",		"v   " },
};

static enum hcsm_state letter_state(char c)
{
	switch (c) {
	case 'U':
		return HCSM_S_UP;
	case 'F':
		return HCSM_S_UP_FALLING;
	case 'D':
		return HCSM_S_DOWN;
	case 'R':
		return HCSM_S_DOWN_RISING;
	default:
		fail_msg("bad state letter %c", c);
	}
	return HCSM_S_MAX;
}

static void test_hcsm_sequences(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(seq_cases) / sizeof(seq_cases[0]); i++) {
		const struct seq_case *sc = &seq_cases[i];
		struct hcsm_params p = params(sc->rise, sc->fall, 0);
		struct fake f;
		unsigned int want_flips = 0;

		assert_int_equal(strlen(sc->probes), strlen(sc->states));
		assert_int_equal(strlen(sc->probes), strlen(sc->flips));
		fake_init(&f, &p);
		for (j = 0; sc->probes[j]; j++) {
			bool ok = sc->probes[j] == 'o';
			bool flipped = fake_probe(&f, ok, 1, 0);

			if (hcsm_state(&f.sm) != letter_state(sc->states[j]))
				fail_msg("%s: probe %zu: state %s, want %c", sc->name, j,
					 hcsm_state_name(hcsm_state(&f.sm)), sc->states[j]);
			if (flipped != (sc->flips[j] != ' '))
				fail_msg("%s: probe %zu: flipped %d", sc->name, j, flipped);
			if (flipped) {
				want_flips++;
				assert_int_equal(f.last.is_up, sc->flips[j] == '^');
			}
		}
		assert_int_equal(f.flips, want_flips);
		assert_int_equal(f.sm.n_transitions, want_flips);
	}
}

/*
 * Every cell of the rule table with rise = fall = 3, reached from a known
 * state: (state, result) -> next state, and whether it flips.
 */
struct cell_case {
	const char *setup;	/* probes that reach <from> */
	enum hcsm_state from;
	bool ok;
	enum hcsm_state to;
	bool flips;
};

static const struct cell_case cell_cases[] = {
	/* setup	from			ok	to			flips */
	{ "",		HCSM_S_UP,		true,	HCSM_S_UP,		false },
	{ "",		HCSM_S_UP,		false,	HCSM_S_UP_FALLING,	false },
	{ "x",		HCSM_S_UP_FALLING,	true,	HCSM_S_UP,		false },
	{ "x",		HCSM_S_UP_FALLING,	false,	HCSM_S_UP_FALLING,	false },
	{ "xx",		HCSM_S_UP_FALLING,	false,	HCSM_S_DOWN,		true },
	{ "xxx",	HCSM_S_DOWN,		false,	HCSM_S_DOWN,		false },
	{ "xxx",	HCSM_S_DOWN,		true,	HCSM_S_DOWN_RISING,	false },
	{ "xxxo",	HCSM_S_DOWN_RISING,	true,	HCSM_S_DOWN_RISING,	false },
	{ "xxxo",	HCSM_S_DOWN_RISING,	false,	HCSM_S_DOWN,		false },
	{ "xxxoo",	HCSM_S_DOWN_RISING,	true,	HCSM_S_UP,		true },
};

static void test_hcsm_rule_table_cells(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cell_cases) / sizeof(cell_cases[0]); i++) {
		const struct cell_case *cc = &cell_cases[i];
		struct hcsm_params p = params(3, 3, 0);
		struct fake f;
		bool flipped;

		fake_init(&f, &p);
		for (j = 0; cc->setup[j]; j++)
			fake_probe(&f, cc->setup[j] == 'o', 1, 0);
		assert_int_equal(hcsm_state(&f.sm), cc->from);
		flipped = fake_probe(&f, cc->ok, 1, 0);
		if (hcsm_state(&f.sm) != cc->to || flipped != cc->flips)
			fail_msg("cell %zu: %s + %s -> %s (flip %d)", i,
				 hcsm_state_name(cc->from), cc->ok ? "pass" : "fail",
				 hcsm_state_name(hcsm_state(&f.sm)), flipped);
	}
}

/* ------------------------------------------------------------------ */
/* Start, deadlines, jitter                                            */
/* ------------------------------------------------------------------ */

static void test_hcsm_starts_up_waiting(void **state)
{
	struct hcsm_params p = params(2, 2, 1);
	struct hcsm sm;

	(void)state;
	hcsm_init(&sm, &p, T0, 12345);
	assert_true(hcsm_is_up(&sm));
	assert_int_equal(hcsm_state(&sm), HCSM_S_UP);
	assert_int_equal(hcsm_phase(&sm), HCSM_P_WAIT);
	assert_true(hcsm_deadline(&sm) == T0);	/* warmup 0: at once */
	assert_true(hcsm_is_due(&sm, T0));
	assert_int_equal(hcsm_attempt(&sm), 0);
}

static void test_hcsm_warmup_bounds(void **state)
{
	static const uint32_t rnds[] = { 0, 1, 499, 500, 501, 1000, 65535, UINT32_MAX };
	struct hcsm_params p = params(1, 1, 0);
	struct hcsm sm;
	size_t i;

	(void)state;
	p.warmup_ms = 500;
	for (i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		hcsm_init(&sm, &p, T0, rnds[i]);
		assert_true(hcsm_deadline(&sm) == T0 + rnds[i] % 501);
		assert_true(hcsm_deadline(&sm) <= T0 + 500);
		assert_false(hcsm_is_due(&sm, hcsm_deadline(&sm) - 1) &&
			     hcsm_deadline(&sm) > T0);
	}
	/* A warmup of UINT32_MAX must not overflow the modulus. */
	p.warmup_ms = UINT32_MAX;
	hcsm_init(&sm, &p, T0, UINT32_MAX);
	assert_true(hcsm_deadline(&sm) == T0 + (uint64_t)UINT32_MAX);
}

static void test_hcsm_deadline_after_check(void **state)
{
	struct hcsm_params p = params(1, 1, 0);
	struct fake f;

	(void)state;
	fake_init(&f, &p);
	fake_probe(&f, true, 7, 0);
	/* delay_loop counts from the end of the probe. */
	assert_true(hcsm_deadline(&f.sm) == T0 + 7 + 1000);
	assert_false(hcsm_is_due(&f.sm, T0 + 7 + 999));
	assert_true(hcsm_is_due(&f.sm, T0 + 7 + 1000));
	fake_probe(&f, false, 3, 0);
	assert_true(hcsm_deadline(&f.sm) == T0 + 7 + 1000 + 3 + 1000);
}

static void test_hcsm_jitter_bounds(void **state)
{
	static const uint32_t rnds[] = { 0, 1, 49, 50, 51, 100, 12345, UINT32_MAX };
	struct hcsm_params p = params(1, 1, 0);
	size_t i;

	(void)state;
	p.jitter_ms = 50;
	for (i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		struct fake f;
		uint64_t dl;

		fake_init(&f, &p);
		fake_probe(&f, i % 2 == 0, 0, rnds[i]);
		dl = hcsm_deadline(&f.sm) - f.now;
		assert_true(dl >= 1000 && dl <= 1050);
		assert_true(dl == 1000 + rnds[i] % 51);
	}
}

static void test_hcsm_jitter_not_on_retry(void **state)
{
	struct hcsm_params p = params(1, 1, 1);
	struct fake f;

	(void)state;
	p.jitter_ms = 50;
	fake_init(&f, &p);
	fake_probe(&f, false, 0, 40);
	assert_true(hcsm_deadline(&f.sm) == f.now + 100);
}

/* ------------------------------------------------------------------ */
/* Retry                                                               */
/* ------------------------------------------------------------------ */

static void test_hcsm_retry_timing(void **state)
{
	struct hcsm_params p = params(1, 1, 2);
	struct fake f;

	(void)state;
	fake_init(&f, &p);
	/* Attempt 1 fails at T0+5: retry 100 ms later, still up. */
	assert_false(fake_probe(&f, false, 5, 0));
	assert_true(hcsm_is_up(&f.sm));
	assert_int_equal(hcsm_attempt(&f.sm), 1);
	assert_true(hcsm_deadline(&f.sm) == T0 + 5 + 100);
	assert_true(f.sm.n_checks == 0);
	/* Attempt 2 fails. */
	assert_false(fake_probe(&f, false, 5, 0));
	assert_int_equal(hcsm_attempt(&f.sm), 2);
	assert_true(hcsm_deadline(&f.sm) == T0 + 5 + 100 + 5 + 100);
	/* Attempt 3 (retry exhausted) fails: one failed check, fall 1: down. */
	assert_true(fake_probe(&f, false, 5, 0));
	assert_false(hcsm_is_up(&f.sm));
	assert_int_equal(f.last.attempts, 3);
	assert_int_equal(hcsm_attempt(&f.sm), 0);
	assert_true(f.sm.n_checks == 1);
	assert_true(f.sm.n_probes == 3);
	assert_true(hcsm_deadline(&f.sm) == T0 + 3 * 5 + 2 * 100 + 1000);
}

static void test_hcsm_retry_then_success(void **state)
{
	struct hcsm_params p = params(1, 1, 3);
	struct fake f;

	(void)state;
	fake_init(&f, &p);
	assert_false(fake_probe(&f, false, 1, 0));
	assert_false(fake_probe(&f, false, 1, 0));
	assert_false(fake_probe(&f, true, 1, 0));
	/* A pass ends the check: no failure was counted, attempts reset. */
	assert_int_equal(hcsm_state(&f.sm), HCSM_S_UP);
	assert_int_equal(hcsm_attempt(&f.sm), 0);
	assert_true(hcsm_deadline(&f.sm) == f.now + 1000);
	/* The next failure starts from attempt 0 again. */
	assert_false(fake_probe(&f, false, 1, 0));
	assert_int_equal(hcsm_attempt(&f.sm), 1);
	assert_int_equal(f.flips, 0);
}

static void test_hcsm_retry_with_fall(void **state)
{
	struct hcsm_params p = params(1, 2, 1);
	struct fake f;
	int i;

	(void)state;
	fake_init(&f, &p);
	/* fall 2 checks x (retry 1 + 1) attempts = 4 failed probes to go down. */
	for (i = 0; i < 3; i++) {
		assert_false(fake_probe(&f, false, 1, 0));
		assert_true(hcsm_is_up(&f.sm));
	}
	assert_true(fake_probe(&f, false, 1, 0));
	assert_false(hcsm_is_up(&f.sm));
	assert_int_equal(f.last.streak, 2);
	assert_int_equal(f.last.attempts, 2);
}

static void test_hcsm_retry_zero_single_attempt(void **state)
{
	struct hcsm_params p = params(1, 1, 0);
	struct fake f;

	(void)state;
	fake_init(&f, &p);
	assert_true(fake_probe(&f, false, 1, 0));
	assert_int_equal(f.last.attempts, 1);
	assert_true(hcsm_deadline(&f.sm) == f.now + 1000);
}

static void test_hcsm_retry_while_down(void **state)
{
	struct hcsm_params p = params(2, 1, 1);
	struct fake f;

	(void)state;
	fake_init(&f, &p);
	fake_probe(&f, false, 1, 0);
	assert_true(fake_probe(&f, false, 1, 0));	/* down */
	fake_probe(&f, true, 1, 0);			/* down-rising */
	assert_int_equal(hcsm_state(&f.sm), HCSM_S_DOWN_RISING);
	/* keepalived retries whatever the state: a failed attempt is retried
	 * before it resets the rise streak. */
	fake_probe(&f, false, 1, 0);
	assert_int_equal(hcsm_state(&f.sm), HCSM_S_DOWN_RISING);
	assert_true(hcsm_deadline(&f.sm) == f.now + 100);
	assert_true(fake_probe(&f, true, 1, 0));	/* up: rise 2 */
	assert_int_equal(f.last.streak, 2);
}

/* ------------------------------------------------------------------ */
/* Transitions                                                         */
/* ------------------------------------------------------------------ */

static void test_hcsm_transition_once(void **state)
{
	struct hcsm_params p = params(2, 2, 0);
	struct fake f;
	int i;

	(void)state;
	fake_init(&f, &p);
	for (i = 0; i < 20; i++)
		fake_probe(&f, false, 1, 0);
	assert_int_equal(f.flips, 1);
	assert_false(f.last.is_up);
	for (i = 0; i < 20; i++)
		fake_probe(&f, true, 1, 0);
	assert_int_equal(f.flips, 2);
	assert_true(f.last.is_up);
	assert_true(f.sm.n_transitions == 2);
}

static void test_hcsm_transition_fields(void **state)
{
	struct hcsm_params p = params(1, 3, 1);
	struct hcsm_transition tr;
	struct hcsm sm;
	int i;

	(void)state;
	p.inhibit_on_failure = true;
	hcsm_init(&sm, &p, T0, 0);
	for (i = 0; i < 5; i++) {
		assert_true(hcsm_probe_start(&sm, T0));
		assert_false(hcsm_probe_done(&sm, T0, false, 40 + i, 0, &tr));
	}
	assert_true(hcsm_probe_start(&sm, T0));
	memset(&tr, 0, sizeof(tr));
	assert_true(hcsm_probe_done(&sm, T0, false, 99, 0, &tr));
	assert_true(tr.was_up);
	assert_false(tr.is_up);
	assert_int_equal(tr.reason, 99);
	assert_int_equal(tr.streak, 3);
	assert_int_equal(tr.attempts, 2);
	assert_true(tr.inhibit_on_failure);
	/* A NULL transition pointer is allowed. */
	assert_true(hcsm_probe_start(&sm, T0));
	assert_true(hcsm_probe_done(&sm, T0, true, 0, 0, NULL));
	assert_true(hcsm_is_up(&sm));
}

static void test_hcsm_probe_protocol(void **state)
{
	struct hcsm_params p = params(1, 1, 0);
	struct hcsm sm, copy;

	(void)state;
	hcsm_init(&sm, &p, T0, 0);
	/* done without start: ignored. */
	copy = sm;
	assert_false(hcsm_probe_done(&sm, T0, false, 1, 0, NULL));
	assert_memory_equal(&sm, &copy, sizeof(sm));
	/* start twice: the second is refused. */
	assert_true(hcsm_probe_start(&sm, T0));
	assert_false(hcsm_probe_start(&sm, T0));
	/* done twice: the second is ignored. */
	assert_true(hcsm_probe_done(&sm, T0 + 1, false, 1, 0, NULL));
	assert_false(hcsm_probe_done(&sm, T0 + 2, true, 0, 0, NULL));
	assert_false(hcsm_is_up(&sm));
	assert_true(sm.n_probes == 1);
	/* Starting before the deadline is allowed (a forced check). */
	assert_false(hcsm_is_due(&sm, T0 + 2));
	assert_true(hcsm_probe_start(&sm, T0 + 2));
}

static void test_hcsm_params_fix(void **state)
{
	struct hcsm_params p = { 0 };
	struct hcsm_params good = params(2, 3, 0);
	struct hcsm sm;

	(void)state;
	assert_false(hcsm_params_fix(&p));
	assert_int_equal(p.rise, 1);
	assert_int_equal(p.fall, 1);
	assert_int_equal(p.delay_loop_ms, 1);
	assert_true(hcsm_params_fix(&good));
	assert_int_equal(good.rise, 2);
	/* init normalises too: rise 0 behaves as rise 1. */
	p = params(0, 0, 0);
	hcsm_init(&sm, &p, T0, 0);
	assert_true(hcsm_probe_start(&sm, T0));
	assert_true(hcsm_probe_done(&sm, T0, false, 1, 0, NULL));
	assert_true(hcsm_probe_start(&sm, T0 + 1000));
	assert_true(hcsm_probe_done(&sm, T0 + 1000, true, 0, 0, NULL));
}

static void test_hcsm_state_names(void **state)
{
	(void)state;
	assert_string_equal(hcsm_state_name(HCSM_S_UP), "up");
	assert_string_equal(hcsm_state_name(HCSM_S_UP_FALLING), "up-falling");
	assert_string_equal(hcsm_state_name(HCSM_S_DOWN), "down");
	assert_string_equal(hcsm_state_name(HCSM_S_DOWN_RISING), "down-rising");
	assert_string_equal(hcsm_state_name(HCSM_S_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hcsm_sequences),
		cmocka_unit_test(test_hcsm_rule_table_cells),
		cmocka_unit_test(test_hcsm_starts_up_waiting),
		cmocka_unit_test(test_hcsm_warmup_bounds),
		cmocka_unit_test(test_hcsm_deadline_after_check),
		cmocka_unit_test(test_hcsm_jitter_bounds),
		cmocka_unit_test(test_hcsm_jitter_not_on_retry),
		cmocka_unit_test(test_hcsm_retry_timing),
		cmocka_unit_test(test_hcsm_retry_then_success),
		cmocka_unit_test(test_hcsm_retry_with_fall),
		cmocka_unit_test(test_hcsm_retry_zero_single_attempt),
		cmocka_unit_test(test_hcsm_retry_while_down),
		cmocka_unit_test(test_hcsm_transition_once),
		cmocka_unit_test(test_hcsm_transition_fields),
		cmocka_unit_test(test_hcsm_probe_protocol),
		cmocka_unit_test(test_hcsm_params_fix),
		cmocka_unit_test(test_hcsm_state_names),
	};

	return cmocka_run_group_tests_name("hcsm", tests, NULL, NULL);
}
