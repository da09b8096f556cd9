/* SPDX-License-Identifier: MIT */
/*
 * scripts: the Redis Lua scripts of the ticket store, as C strings.
 * L0: data only. Every script takes no KEYS; ARGV[1] is the key prefix
 * (e.g. "tk:"), so the store lives on one Redis instance (not Cluster).
 */
#ifndef TICKETS_SCRIPTS_H
#define TICKETS_SCRIPTS_H

enum scripts_id {
	SCRIPTS_BUY = 0,	/* prefix user node seller -> {st, order, lease} */
	SCRIPTS_LEASE,		/* prefix seller target ttl_ms -> {lease, got, rem} */
	SCRIPTS_RELEASE,	/* prefix seller -> returned */
	SCRIPTS_SWEEP,		/* prefix batch -> {expired, reclaimed} */
	SCRIPTS_PAY,		/* prefix order user -> {st} */
	SCRIPTS_INIT,		/* prefix total ttl -> "OK" or error */
	SCRIPTS_COUNTS,		/* prefix -> counters, see ticketctl */
	SCRIPTS_COUNT		/* number of scripts, not a script */
};

struct scripts_entry {
	const char *name;	/* short name for logs and ticketctl */
	const char *lua;	/* the script text */
};

/* scripts_table: SCRIPTS_COUNT entries indexed by enum scripts_id. */
extern const struct scripts_entry scripts_table[SCRIPTS_COUNT];

#endif
