/* SPDX-License-Identifier: MIT */
/* Unit tests for quota: take, give back, loss, and lease resync. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../src/quota.h"

static void
test_quota_empty_is_sold_out(void **state)
{
	struct quota q;

	(void)state;
	quota_init(&q, 10);
	assert_false(quota_take(&q));
	assert_int_equal(q.avail, 0);
	assert_int_equal(q.inflight, 0);
	assert_true(quota_is_low(&q));
}

static void
test_quota_take_until_empty(void **state)
{
	struct quota q;
	int i;

	(void)state;
	quota_init(&q, 4);
	quota_sync(&q, 4);
	for (i = 0; i < 4; i++)
		assert_true(quota_take(&q));
	assert_false(quota_take(&q));
	assert_int_equal(q.inflight, 4);
	/* Each ok reply reports the lease after its own sale. */
	for (i = 3; i >= 0; i--)
		quota_settle(&q, i);
	assert_int_equal(q.avail, 0);
	assert_int_equal(q.inflight, 0);
}

static void
test_quota_give_back_and_lost(void **state)
{
	struct quota q;

	(void)state;
	quota_init(&q, 10);
	quota_sync(&q, 2);
	assert_true(quota_take(&q));
	assert_true(quota_take(&q));
	quota_give_back(&q);		/* error reply: the script did not run */
	assert_int_equal(q.avail, 1);
	assert_int_equal(q.inflight, 1);
	quota_lost(&q);			/* connection lost: fate unknown */
	assert_int_equal(q.avail, 1);
	assert_int_equal(q.inflight, 0);
	quota_reset(&q);
	assert_int_equal(q.avail, 0);
	quota_lost(&q);			/* never below zero in flight */
	assert_int_equal(q.inflight, 0);
}

/*
 * The resync rule: a reply carrying lease L, with k buys still in flight
 * (all sent after it), leaves avail = max(0, L - k). Table-driven over
 * interleavings, including a lease reclaimed under our feet.
 */
static void
test_quota_resync(void **state)
{
	static const struct {
		int64_t start;		/* lease synced at start */
		int takes;		/* buys sent */
		int64_t lease;		/* lease in the first reply */
		int64_t avail;		/* expected avail after settle */
	} cases[] = {
		/* start takes lease avail */
		{ 10,   3,    9,    7 },	/* ok: 2 still in flight */
		{ 10,   3,    10,   8 },	/* dup: lease unchanged */
		{ 10,   3,    0,    0 },	/* reclaimed: sold out */
		{ 10,   1,    50,   50 },	/* topped up meanwhile */
		{ 2,    2,    1,    0 },
	};
	struct quota q;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		quota_init(&q, 100);
		quota_sync(&q, cases[i].start);
		for (k = 0; k < cases[i].takes; k++)
			assert_true(quota_take(&q));
		quota_settle(&q, cases[i].lease);
		assert_int_equal(q.inflight, cases[i].takes - 1);
		assert_int_equal(q.avail, cases[i].avail);
	}
}

/* A lease reply counts buys in flight as not yet taken from the lease. */
static void
test_quota_sync_with_inflight(void **state)
{
	struct quota q;

	(void)state;
	quota_init(&q, 10);
	quota_sync(&q, 5);
	assert_true(quota_take(&q));
	assert_true(quota_take(&q));
	quota_sync(&q, 10);		/* top-up reply, 2 buys behind it */
	assert_int_equal(q.avail, 8);
	quota_settle(&q, 9);
	quota_settle(&q, 8);
	assert_int_equal(q.avail, 8);
	assert_int_equal(q.inflight, 0);
}

static void
test_quota_low_watermark(void **state)
{
	struct quota q;

	(void)state;
	quota_init(&q, 10);
	quota_sync(&q, 5);
	assert_false(quota_is_low(&q));
	assert_true(quota_take(&q));
	assert_false(quota_is_low(&q));	/* 4 + 1 in flight */
	quota_settle(&q, 4);
	assert_true(quota_is_low(&q));
	quota_init(&q, 0);		/* target clamps to 1 */
	assert_int_equal(q.target, 1);
}

/*
 * Model check: a seller never sends more buys than the Redis lease holds,
 * whatever the interleaving of takes and in-order replies.
 */
static void
test_quota_never_exceeds_lease(void **state)
{
	struct quota q;
	int64_t redis_lease = 7, sent_unanswered = 0;
	unsigned seed = 1;
	int step;

	(void)state;
	quota_init(&q, 7);
	quota_sync(&q, redis_lease);
	for (step = 0; step < 10000; step++) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 != 0 && quota_take(&q)) {
			sent_unanswered++;
		} else if (sent_unanswered > 0) {
			/* The oldest buy runs in Redis, then its reply. */
			if (redis_lease > 0)
				redis_lease--;
			sent_unanswered--;
			quota_settle(&q, redis_lease);
		} else if (redis_lease == 0) {
			redis_lease = 7;	/* a lease top-up */
			quota_sync(&q, redis_lease);
		}
		assert_true(q.avail + q.inflight <= redis_lease);
		assert_int_equal(q.inflight, sent_unanswered);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quota_empty_is_sold_out),
		cmocka_unit_test(test_quota_take_until_empty),
		cmocka_unit_test(test_quota_give_back_and_lost),
		cmocka_unit_test(test_quota_resync),
		cmocka_unit_test(test_quota_sync_with_inflight),
		cmocka_unit_test(test_quota_low_watermark),
		cmocka_unit_test(test_quota_never_exceeds_lease),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
