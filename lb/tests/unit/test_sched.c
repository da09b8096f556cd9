/* SPDX-License-Identifier: MIT */
/*
 * sched: rr order and its skipping of zero weights; wrr cycles that match the
 * weights exactly in every window (gcd > 1, zero weights, one server, all
 * down, 65535), no bursts of the heaviest server, and update() starting a
 * fresh cycle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

#define MAXD	8

static void set_weights(struct sched_dest *d, const uint32_t *w, size_t n)
{
	size_t i;

	memset(d, 0, sizeof(*d) * MAXD);
	for (i = 0; i < n; i++)
		d[i].weight = w[i];
}

static void test_sched_find_by_name(void **state)
{
	(void)state;
	assert_ptr_equal(sched_find("rr"), &sched_rr_ops);
	assert_ptr_equal(sched_find("wrr"), &sched_wrr_ops);
	assert_string_equal(sched_rr_ops.name, "rr");
	assert_string_equal(sched_wrr_ops.name, "wrr");
	assert_null(sched_find("lc"));
	assert_null(sched_find(""));
	assert_null(sched_find("WRR"));
	assert_null(sched_find("wrr "));
}

/* --- rr ------------------------------------------------------------------------ */

struct rr_case {
	const char *name;
	uint32_t w[MAXD];
	size_t n;
	int want[12];		/* the first picks */
	size_t npicks;
};

static const struct rr_case rr_cases[] = {
	{ "equal", { 1, 1, 1 }, 3, { 0, 1, 2, 0, 1, 2, 0 }, 7 },
	{ "weights_ignored", { 5, 1, 9 }, 3, { 0, 1, 2, 0, 1, 2 }, 6 },
	{ "skip_middle_zero", { 1, 0, 1 }, 3, { 0, 2, 0, 2, 0 }, 5 },
	{ "skip_leading_zeros", { 0, 0, 5 }, 3, { 2, 2, 2 }, 3 },
	{ "skip_trailing_zero", { 3, 3, 0 }, 3, { 0, 1, 0, 1 }, 4 },
	{ "single", { 1 }, 1, { 0, 0, 0 }, 3 },
	{ "all_zero", { 0, 0, 0 }, 3, { -1, -1, -1 }, 3 },
	{ "none", { 0 }, 0, { -1, -1 }, 2 },
};

static void test_sched_rr_order_skips_zero_weight(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(rr_cases) / sizeof(rr_cases[0]); i++) {
		const struct rr_case *c = &rr_cases[i];
		struct sched_dest d[MAXD];
		struct sched_state st = { 0 };

		set_weights(d, c->w, c->n);
		sched_rr_ops.init(&st, d, c->n);
		for (k = 0; k < c->npicks; k++) {
			int got = sched_rr_ops.pick(&st, d, c->n);

			if (got != c->want[k])
				fail_msg("%s: pick %zu = %d, want %d", c->name, k,
					 got, c->want[k]);
		}
	}
}

/* After update() the rotation goes on from where it was, skipping the new zero. */
static void test_sched_rr_update_keeps_rotation(void **state)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	struct sched_dest d[MAXD];
	struct sched_state st = { 0 };

	(void)state;
	set_weights(d, w, 4);
	sched_rr_ops.init(&st, d, 4);
	assert_int_equal(sched_rr_ops.pick(&st, d, 4), 0);
	assert_int_equal(sched_rr_ops.pick(&st, d, 4), 1);
	d[2].weight = 0;
	sched_rr_ops.update(&st, d, 4);
	assert_int_equal(sched_rr_ops.pick(&st, d, 4), 3);
	assert_int_equal(sched_rr_ops.pick(&st, d, 4), 0);
	assert_int_equal(sched_rr_ops.pick(&st, d, 4), 1);
	/* The list shrinks to 2 with the cursor at 2: it wraps to 0. */
	sched_rr_ops.update(&st, d, 2);
	assert_int_equal(sched_rr_ops.pick(&st, d, 2), 0);
	assert_int_equal(sched_rr_ops.pick(&st, d, 2), 1);
}

/* --- wrr ----------------------------------------------------------------------- */

struct wrr_case {
	const char *name;
	uint32_t w[MAXD];
	size_t n;
	uint32_t cycle;		/* picks in which the proportions are exact: sum / gcd */
};

static const struct wrr_case wrr_cases[] = {
	{ "w_1_2_3_4", { 1, 2, 3, 4 }, 4, 10 },
	{ "w_4_3_2_1", { 4, 3, 2, 1 }, 4, 10 },
	{ "gcd_2_4_6", { 2, 4, 6 }, 3, 6 },
	{ "gcd_100_100", { 100, 100 }, 2, 2 },
	{ "zero_weight_middle", { 3, 0, 1 }, 3, 4 },
	{ "zero_weight_first", { 0, 5, 5, 1 }, 4, 11 },
	{ "single", { 7 }, 1, 1 },
	{ "single_among_zeros", { 0, 0, 9, 0 }, 4, 1 },
	{ "skewed_10_1", { 10, 1 }, 2, 11 },
	{ "equal_8", { 1, 1, 1, 1, 1, 1, 1, 1 }, 8, 8 },
	{ "primes", { 2, 3, 5, 7, 11, 13 }, 6, 41 },
};

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Every window of <cycle> consecutive picks (sliding, over several cycles)
 * gives each destination exactly weight / gcd picks: the proportions hold
 * from the first pick and at every point, not just on average.
 */
static void check_windows(const char *name, const uint32_t *w, size_t n,
			  const int *picks, size_t npicks, uint32_t cycle)
{
	uint32_t g = 0;
	size_t s, i, k;

	for (i = 0; i < n; i++)
		g = gcd(g, w[i]);
	for (s = 0; s + cycle <= npicks; s++) {
		uint32_t cnt[MAXD] = { 0 };

		for (k = s; k < s + cycle; k++) {
			if (picks[k] < 0 || (size_t)picks[k] >= n)
				fail_msg("%s: pick %zu = %d", name, k, picks[k]);
			cnt[picks[k]]++;
		}
		for (i = 0; i < n; i++)
			if (cnt[i] != w[i] / g)
				fail_msg("%s: window at %zu: dest %zu got %u, want %u",
					 name, s, i, cnt[i], w[i] / g);
	}
}

static void test_sched_wrr_every_window_matches_weights(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(wrr_cases) / sizeof(wrr_cases[0]); i++) {
		const struct wrr_case *c = &wrr_cases[i];
		struct sched_dest d[MAXD];
		struct sched_state st = { 0 };
		int picks[5 * 64];
		size_t np = 5 * c->cycle;

		assert_true(np <= sizeof(picks) / sizeof(picks[0]));
		set_weights(d, c->w, c->n);
		sched_wrr_ops.init(&st, d, c->n);
		for (k = 0; k < np; k++)
			picks[k] = sched_wrr_ops.pick(&st, d, c->n);
		check_windows(c->name, c->w, c->n, picks, np, c->cycle);
	}
}

/* gcd > 1: 2:4:6 gives the 1:2:3 sequence, not 2 of A in a row then 4 of B. */
static void test_sched_wrr_gcd_same_sequence_as_reduced(void **state)
{
	static const uint32_t w6[] = { 2, 4, 6 }, w3[] = { 1, 2, 3 };
	struct sched_dest d6[MAXD], d3[MAXD];
	struct sched_state s6 = { 0 }, s3 = { 0 };
	int k;

	(void)state;
	set_weights(d6, w6, 3);
	set_weights(d3, w3, 3);
	sched_wrr_ops.init(&s6, d6, 3);
	sched_wrr_ops.init(&s3, d3, 3);
	for (k = 0; k < 60; k++)
		assert_int_equal(sched_wrr_ops.pick(&s6, d6, 3),
				 sched_wrr_ops.pick(&s3, d3, 3));
}

/*
 * No burst: with 1:2:3:4 the heaviest server never gets two consecutive new
 * flows, within a cycle or across the boundary between two cycles.
 */
/*
 * Interleaving, as the issue states it: with 1:2:3:4 the heaviest server never
 * gets two flows in a row inside one cycle of 10, and never a burst over
 * cycles: at most two in a row, where one cycle ends with it and the next
 * begins with it (smooth wrr's D C B D A C D B C D | D ...).
 */
static void test_sched_wrr_no_burst_of_heaviest(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4 };
	struct sched_dest d[MAXD];
	struct sched_state st = { 0 };
	int prev = -1, run = 0, k;
	char seq[64] = "";

	(void)state;
	set_weights(d, w, 4);
	sched_wrr_ops.init(&st, d, 4);
	for (k = 0; k < 40; k++) {
		int i = sched_wrr_ops.pick(&st, d, 4);

		seq[k] = (char)('A' + i);
		run = i == prev ? run + 1 : 1;
		if (i == 3 && prev == 3 && k % 10 != 0)
			fail_msg("heaviest picked twice in a row inside a cycle at "
				 "picks %d,%d; sequence %s", k - 1, k, seq);
		if (run > 2)
			fail_msg("%d picks in a row to %c at pick %d; sequence %s",
				 run, 'A' + i, k, seq);
		prev = i;
	}
}

/* All down (every weight 0): -1, every time, and no state corruption after. */
static void test_sched_wrr_all_down_returns_minus_one(void **state)
{
	static const uint32_t w[] = { 0, 0, 0 }, up[] = { 1, 1, 1 };
	struct sched_dest d[MAXD];
	struct sched_state st = { 0 };
	int k;

	(void)state;
	set_weights(d, w, 3);
	sched_wrr_ops.init(&st, d, 3);
	for (k = 0; k < 5; k++)
		assert_int_equal(sched_wrr_ops.pick(&st, d, 3), -1);
	assert_int_equal(sched_wrr_ops.pick(&st, d, 0), -1);
	set_weights(d, up, 3);
	sched_wrr_ops.update(&st, d, 3);
	assert_int_equal(sched_wrr_ops.pick(&st, d, 3), 0);
	assert_int_equal(sched_wrr_ops.pick(&st, d, 3), 1);
	assert_int_equal(sched_wrr_ops.pick(&st, d, 3), 2);
}

/*
 * update() after a weight change mid-cycle starts a fresh, exact cycle of the
 * new weights: the picks equal those of a scheduler initialised with them.
 */
static void test_sched_wrr_update_starts_fresh_cycle(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4 }, w2[] = { 4, 0, 1, 2 };
	struct sched_dest d[MAXD], f[MAXD];
	struct sched_state st = { 0 }, fs = { 0 };
	int picks[7 * 4];
	size_t k;

	(void)state;
	set_weights(d, w, 4);
	sched_wrr_ops.init(&st, d, 4);
	for (k = 0; k < 3; k++)		/* mid-cycle */
		sched_wrr_ops.pick(&st, d, 4);
	d[0].weight = 4;
	d[1].weight = 0;
	d[2].weight = 1;
	d[3].weight = 2;
	sched_wrr_ops.update(&st, d, 4);
	set_weights(f, w2, 4);
	sched_wrr_ops.init(&fs, f, 4);
	for (k = 0; k < sizeof(picks) / sizeof(picks[0]); k++) {
		picks[k] = sched_wrr_ops.pick(&st, d, 4);
		assert_int_equal(picks[k], sched_wrr_ops.pick(&fs, f, 4));
	}
	check_windows("after_update", w2, 4, picks, sizeof(picks) / sizeof(picks[0]),
		      7);
}

/*
 * Weights at the ipvsadm maximum, many of them: the sums stay exact (no
 * 32-bit overflow) over a whole cycle of 4 * 65535 + 1 picks.
 */
static void test_sched_wrr_large_weights_no_overflow(void **state)
{
	static const uint32_t w[] = { 65535, 65535, 1, 65535, 65535 };
	struct sched_dest d[MAXD];
	struct sched_state st = { 0 };
	uint32_t cnt[MAXD] = { 0 }, total = 0;
	size_t i, k;

	(void)state;
	for (i = 0; i < 5; i++)
		total += w[i];
	set_weights(d, w, 5);
	sched_wrr_ops.init(&st, d, 5);
	for (k = 0; k < total; k++) {
		int p = sched_wrr_ops.pick(&st, d, 5);

		assert_true(p >= 0 && p < 5);
		cnt[p]++;
	}
	for (i = 0; i < 5; i++)
		assert_int_equal(cnt[i], w[i]);
	/* And the state is back to the start: the next cycle is the same. */
	for (i = 0; i < 5; i++)
		assert_int_equal(d[i].cur, 0);
}

/* Many servers at 65535: the total (2^28) exceeds what int32 could hold. */
static void test_sched_wrr_large_total_exact_first_picks(void **state)
{
	enum { N = 4096 };
	struct sched_dest *d = calloc(N, sizeof(*d));
	struct sched_state st = { 0 };
	size_t k;

	(void)state;
	assert_non_null(d);
	for (k = 0; k < N; k++)
		d[k].weight = 65535;
	sched_wrr_ops.init(&st, d, N);
	assert_int_equal(st.total, (int64_t)N * 65535);
	/* Equal weights: a plain rotation, in index order. */
	for (k = 0; k < 2 * N; k++)
		assert_int_equal(sched_wrr_ops.pick(&st, d, N), (int)(k % N));
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_find_by_name),
		cmocka_unit_test(test_sched_rr_order_skips_zero_weight),
		cmocka_unit_test(test_sched_rr_update_keeps_rotation),
		cmocka_unit_test(test_sched_wrr_every_window_matches_weights),
		cmocka_unit_test(test_sched_wrr_gcd_same_sequence_as_reduced),
		cmocka_unit_test(test_sched_wrr_no_burst_of_heaviest),
		cmocka_unit_test(test_sched_wrr_all_down_returns_minus_one),
		cmocka_unit_test(test_sched_wrr_update_starts_fresh_cycle),
		cmocka_unit_test(test_sched_wrr_large_weights_no_overflow),
		cmocka_unit_test(test_sched_wrr_large_total_exact_first_picks),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
