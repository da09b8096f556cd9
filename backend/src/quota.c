/* SPDX-License-Identifier: MIT */
/*
 * quota: local lease accounting for one seller (see quota.h for the model).
 * L0: pure; no I/O.
 */
#include "quota.h"

void
quota_init(struct quota *q, int64_t target)
{
	q->avail = 0;
	q->inflight = 0;
	q->target = target > 0 ? target : 1;
}

bool
quota_take(struct quota *q)
{
	if (q->avail <= 0)
		return false;
	q->avail--;
	q->inflight++;
	return true;
}

static void
done_one(struct quota *q)
{
	if (q->inflight > 0)
		q->inflight--;
}

void
quota_sync(struct quota *q, int64_t lease)
{
	int64_t a = lease - q->inflight;

	q->avail = a > 0 ? a : 0;
}

void
quota_settle(struct quota *q, int64_t lease)
{
	done_one(q);
	quota_sync(q, lease);
}

void
quota_give_back(struct quota *q)
{
	done_one(q);
	q->avail++;
}

void
quota_lost(struct quota *q)
{
	done_one(q);
}

void
quota_reset(struct quota *q)
{
	q->avail = 0;
}

bool
quota_is_low(const struct quota *q)
{
	return 2 * (q->avail + q->inflight) < q->target;
}
