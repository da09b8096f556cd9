/* SPDX-License-Identifier: MIT */
/*
 * Scheduler registry. L0.
 */
#include <string.h>

#include "sched.h"

static const struct sched_ops *const sched_all[] = {
	&sched_rr_ops,
	&sched_wrr_ops,
};

const struct sched_ops *sched_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sched_all) / sizeof(sched_all[0]); i++)
		if (strcmp(sched_all[i]->name, name) == 0)
			return sched_all[i];
	return NULL;
}
