/* SPDX-License-Identifier: MIT */
/*
 * stats: service counters derived from their real servers' slots (tenants
 * entering and leaving, slots reused by another service), "zero" for
 * services and real servers, and rates that never see a counter go back.
 * The datapath's counters are written here directly, as the datapath would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "stats.h"

struct world {
	struct dp_stats st;
	struct stats s;
};

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	stats_init(&w->s);
	return w;
}

/* <n> packets of <bytes> each in and out, and <conns> new flows, on <slot>. */
static void count(struct world *w, uint16_t slot, uint64_t conns, uint64_t n,
		  uint64_t bytes)
{
	struct dp_ctr *c = &w->st.rs[slot];

	atomic_fetch_add(&c->conns, conns);
	atomic_fetch_add(&c->pkts_in, n);
	atomic_fetch_add(&c->bytes_in, n * bytes);
	atomic_fetch_add(&c->pkts_out, n);
	atomic_fetch_add(&c->bytes_out, n * bytes * 2);
}

static struct ctl_stats svc_view(struct world *w, uint16_t idx)
{
	struct ctl_stats out;

	stats_svc(&w->s, &w->st, idx, &out);
	return out;
}

static struct ctl_stats rs_view(struct world *w, uint16_t slot)
{
	struct ctl_stats out;

	stats_rs(&w->s, &w->st, slot, &out);
	return out;
}

/* A service counts exactly what its real servers count, and nothing else. */
static void test_stats_service_is_sum_of_its_servers(void **state)
{
	struct world *w = world_new();
	struct ctl_stats v;

	(void)state;
	stats_svc_enter(&w->s, &w->st, 1);
	stats_svc_enter(&w->s, &w->st, 2);
	stats_rs_own(&w->s, &w->st, 0, 1);
	stats_rs_own(&w->s, &w->st, 1, 1);
	stats_rs_own(&w->s, &w->st, 2, 2);
	count(w, 0, 1, 10, 100);
	count(w, 1, 2, 5, 60);
	count(w, 2, 7, 1000, 1);
	v = svc_view(w, 1);
	assert_int_equal(v.conns, 3);
	assert_int_equal(v.inpkts, 15);
	assert_int_equal(v.inbytes, 10 * 100 + 5 * 60);
	assert_int_equal(v.outpkts, 15);
	assert_int_equal(v.outbytes, 2 * (10 * 100 + 5 * 60));
	v = svc_view(w, 2);
	assert_int_equal(v.conns, 7);
	assert_int_equal(v.inpkts, 1000);
	v = svc_view(w, 0);
	assert_int_equal(v.inpkts, 0);
	free(w);
}

/*
 * A real server that leaves keeps its share in its service; the slot's next
 * tenant, here in another service, starts from zero and counts only there.
 */
static void test_stats_leaver_share_stays_and_slot_reuse_starts_clean(void **state)
{
	struct world *w = world_new();
	struct stats_sample tot;
	struct ctl_stats v;

	(void)state;
	stats_svc_enter(&w->s, &w->st, 0);
	stats_svc_enter(&w->s, &w->st, 3);
	stats_rs_own(&w->s, &w->st, 5, 0);
	count(w, 5, 4, 40, 10);
	stats_rs_leave(&w->s, &w->st, 5);
	stats_rs_leave(&w->s, &w->st, 5);	/* twice: ignored */
	v = svc_view(w, 0);
	assert_int_equal(v.conns, 4);
	assert_int_equal(v.inpkts, 40);

	stats_zero_rs(&w->s, &w->st, 5);	/* a new tenant, as model.c does */
	stats_rs_own(&w->s, &w->st, 5, 3);
	assert_int_equal(rs_view(w, 5).inpkts, 0);
	assert_int_equal(svc_view(w, 3).inpkts, 0);
	count(w, 5, 1, 3, 10);
	assert_int_equal(rs_view(w, 5).inpkts, 3);
	assert_int_equal(svc_view(w, 3).inpkts, 3);
	assert_int_equal(svc_view(w, 0).inpkts, 40);
	stats_svc_total(&w->s, &w->st, 0, &tot);
	assert_int_equal(tot.inbytes, 400);
	free(w);
}

/*
 * A service re-created in another service slot (lbctl -C, then -R) keeps
 * its real servers' slots: from then on they count for the new slot only,
 * and their own figures go on without a break.
 */
static void test_stats_server_moves_to_recreated_service(void **state)
{
	struct world *w = world_new();

	(void)state;
	stats_svc_enter(&w->s, &w->st, 0);
	stats_rs_own(&w->s, &w->st, 2, 0);
	count(w, 2, 1, 10, 1);
	stats_svc_enter(&w->s, &w->st, 1);
	stats_rs_own(&w->s, &w->st, 2, 1);
	stats_rs_own(&w->s, &w->st, 2, 1);	/* unchanged: a no-op */
	assert_int_equal(svc_view(w, 1).inpkts, 0);
	count(w, 2, 1, 5, 1);
	assert_int_equal(svc_view(w, 1).inpkts, 5);
	assert_int_equal(svc_view(w, 0).inpkts, 10);
	assert_int_equal(rs_view(w, 2).inpkts, 15);
	free(w);
}

/* A service slot's next tenant starts from zero, whatever the last one had. */
static void test_stats_service_slot_reuse_starts_clean(void **state)
{
	struct world *w = world_new();

	(void)state;
	stats_svc_enter(&w->s, &w->st, 7);
	stats_rs_own(&w->s, &w->st, 0, 7);
	count(w, 0, 1, 9, 9);
	stats_rs_leave(&w->s, &w->st, 0);
	assert_int_equal(svc_view(w, 7).inpkts, 9);
	stats_svc_enter(&w->s, &w->st, 7);
	assert_int_equal(svc_view(w, 7).inpkts, 0);
	assert_int_equal(svc_view(w, 7).conns, 0);
	free(w);
}

/* ipvsadm -Z: views restart from zero; totals and other slots do not move. */
static void test_stats_zero(void **state)
{
	struct world *w = world_new();
	struct stats_sample tot;

	(void)state;
	stats_svc_enter(&w->s, &w->st, 0);
	stats_rs_own(&w->s, &w->st, 0, 0);
	stats_rs_own(&w->s, &w->st, 1, 0);
	count(w, 0, 1, 10, 1);
	count(w, 1, 1, 20, 1);
	stats_zero_svc(&w->s, &w->st, 0);
	stats_zero_rs(&w->s, &w->st, 0);
	assert_int_equal(svc_view(w, 0).inpkts, 0);
	assert_int_equal(rs_view(w, 0).inpkts, 0);
	assert_int_equal(rs_view(w, 1).inpkts, 20);
	count(w, 0, 0, 1, 1);
	assert_int_equal(svc_view(w, 0).inpkts, 1);
	assert_int_equal(rs_view(w, 0).inpkts, 1);
	stats_svc_total(&w->s, &w->st, 0, &tot);
	assert_int_equal(tot.inpkts, 31);
	free(w);
}

/*
 * Rates: IPVS's smoothing of per-second differences; a service slot taken
 * by a new tenant restarts its estimate instead of seeing its counter fall.
 */
static void test_stats_rates_and_tenant_change(void **state)
{
	struct world *w = world_new();
	uint32_t now = 1000;
	int i;

	(void)state;
	stats_svc_enter(&w->s, &w->st, 0);
	stats_rs_own(&w->s, &w->st, 0, 0);
	stats_tick(&w->s, &w->st, now);
	for (i = 0; i < 40; i++) {
		count(w, 0, 0, 2000, 1);	/* 1000 packets per second */
		now += STATS_PERIOD_MS;
		stats_tick(&w->s, &w->st, now);
	}
	assert_true(svc_view(w, 0).inpps >= 990 && svc_view(w, 0).inpps <= 1000);
	assert_true(rs_view(w, 0).inpps >= 990 && rs_view(w, 0).inpps <= 1000);
	/* Ticks closer than the period change nothing. */
	stats_tick(&w->s, &w->st, now + 1);

	stats_rs_leave(&w->s, &w->st, 0);
	stats_svc_enter(&w->s, &w->st, 0);
	now += STATS_PERIOD_MS;
	stats_tick(&w->s, &w->st, now);
	assert_int_equal(svc_view(w, 0).inpps, 0);
	now += STATS_PERIOD_MS;
	stats_tick(&w->s, &w->st, now);
	assert_int_equal(svc_view(w, 0).inpps, 0);
	free(w);
}

/* Out-of-range slots are ignored rather than written past. */
static void test_stats_bad_slots_ignored(void **state)
{
	struct world *w = world_new();
	struct stats_sample tot;

	(void)state;
	stats_rs_own(&w->s, &w->st, SVC_SLOTS, 0);
	stats_rs_own(&w->s, &w->st, 0, CFG_SVC_MAX);
	stats_rs_leave(&w->s, &w->st, SVC_SLOTS);
	stats_svc_enter(&w->s, &w->st, CFG_SVC_MAX);
	stats_svc_total(&w->s, &w->st, CFG_SVC_MAX, &tot);
	assert_int_equal(tot.inpkts, 0);
	assert_int_equal(w->s.owner[0], STATS_NO_SVC);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_service_is_sum_of_its_servers),
		cmocka_unit_test(test_stats_leaver_share_stays_and_slot_reuse_starts_clean),
		cmocka_unit_test(test_stats_server_moves_to_recreated_service),
		cmocka_unit_test(test_stats_service_slot_reuse_starts_clean),
		cmocka_unit_test(test_stats_zero),
		cmocka_unit_test(test_stats_rates_and_tenant_change),
		cmocka_unit_test(test_stats_bad_slots_ignored),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
