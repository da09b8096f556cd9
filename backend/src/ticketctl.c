/* SPDX-License-Identifier: MIT */
/*
 * ticketctl: sets up a sale and audits it. Uses synchronous hiredis (it is a
 * command-line tool, never on a request path) and frees every reply.
 * L3: options and output.
 *
 *   ticketctl [--redis HOST:PORT] [--prefix P] [--json] init --total N
 *             --ttl SECONDS [--force]
 *   ticketctl [--redis HOST:PORT] [--prefix P] [--json] report
 *   ticketctl [--redis HOST:PORT] scripts
 *
 * report exits 0 when every invariant holds, 1 when one is broken (each
 * broken invariant is named), 2 on usage or connection errors.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "scripts.h"

#define CTL_BATCH 1000		/* orders per pipelined round trip */
#define CTL_BROKEN_MAX 16

struct ctl {
	char host[256];
	int port;
	char prefix[32];
	bool json, force;
	long long total, ttl;
	const char *cmd;
	redisContext *c;
};

struct report {
	long long total, remaining, sold, paid, expired, seq, leased;
	long long pending_z, users, ttl, exists;
	long long n_pending, n_paid, n_expired, n_missing, by_node_sum;
	long long dup_users;
	char broken[CTL_BROKEN_MAX][160];
	int nbroken;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ticketctl [--redis HOST:PORT] [--prefix P] [--json] CMD\n"
	    "  init --total N --ttl SECONDS [--force]   start a sale\n"
	    "  report                                 audit the sale\n"
	    "  scripts                                load scripts, print SHAs\n");
}

static bool
parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int
parse_args(int argc, char **argv, struct ctl *ctl)
{
	int i;

	snprintf(ctl->host, sizeof(ctl->host), "127.0.0.1");
	ctl->port = 6379;
	snprintf(ctl->prefix, sizeof(ctl->prefix), "tk:");
	ctl->total = -1;
	ctl->ttl = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			ctl->json = true;
		} else if (strcmp(a, "--force") == 0) {
			ctl->force = true;
		} else if (strcmp(a, "--redis") == 0 && v != NULL) {
			const char *colon = strrchr(v, ':');
			long long p;

			if (colon == NULL || colon == v ||
			    (size_t)(colon - v) >= sizeof(ctl->host) ||
			    !parse_ll(colon + 1, 1, 65535, &p))
				goto bad;
			memcpy(ctl->host, v, (size_t)(colon - v));
			ctl->host[colon - v] = '\0';
			ctl->port = (int)p;
			i++;
		} else if (strcmp(a, "--prefix") == 0 && v != NULL) {
			if (strlen(v) == 0 || strlen(v) >= sizeof(ctl->prefix))
				goto bad;
			snprintf(ctl->prefix, sizeof(ctl->prefix), "%s", v);
			i++;
		} else if (strcmp(a, "--total") == 0 && v != NULL) {
			if (!parse_ll(v, 0, 1000000000000LL, &ctl->total))
				goto bad;
			i++;
		} else if (strcmp(a, "--ttl") == 0 && v != NULL) {
			if (!parse_ll(v, 1, 86400 * 365, &ctl->ttl))
				goto bad;
			i++;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (a[0] != '-' && ctl->cmd == NULL) {
			ctl->cmd = a;
		} else {
			goto bad;
		}
	}
	if (ctl->cmd == NULL)
		goto bad;
	return 0;

bad:
	usage(stderr);
	return -1;
}

/* Runs EVAL of script <id> with the prefix and <n> more args; caller frees. */
static redisReply *
eval(struct ctl *ctl, enum scripts_id id, int n, const char **args)
{
	const char *argv[8];
	int argc = 0, i;

	argv[argc++] = "EVAL";
	argv[argc++] = scripts_table[id].lua;
	argv[argc++] = "0";
	argv[argc++] = ctl->prefix;
	for (i = 0; i < n && argc < 8; i++)
		argv[argc++] = args[i];
	return redisCommandArgv(ctl->c, argc, argv, NULL);
}

/* Deletes every key under the prefix (SCAN + UNLINK). Returns 0 or -1. */
static int
wipe(struct ctl *ctl)
{
	char cursor[32] = "0", pattern[64];
	redisReply *r;
	size_t i;

	snprintf(pattern, sizeof(pattern), "%s*", ctl->prefix);
	do {
		r = redisCommand(ctl->c, "SCAN %s MATCH %s COUNT 1000", cursor,
		    pattern);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2) {
			if (r != NULL)
				freeReplyObject(r);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (i = 0; i < r->element[1]->elements; i++) {
			redisReply *d = redisCommand(ctl->c, "UNLINK %s",
			    r->element[1]->element[i]->str);

			if (d == NULL) {
				freeReplyObject(r);
				return -1;
			}
			freeReplyObject(d);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static int
cmd_init(struct ctl *ctl)
{
	char total[32], ttl[32];
	const char *args[2] = { total, ttl };
	redisReply *r;
	int rc = 1;

	if (ctl->total < 0 || ctl->ttl < 0) {
		fprintf(stderr, "ticketctl: init needs --total N --ttl SECONDS\n");
		return 2;
	}
	if (ctl->force && wipe(ctl) != 0) {
		fprintf(stderr, "ticketctl: wiping %s* failed\n", ctl->prefix);
		return 1;
	}
	snprintf(total, sizeof(total), "%lld", ctl->total);
	snprintf(ttl, sizeof(ttl), "%lld", ctl->ttl);
	r = eval(ctl, SCRIPTS_INIT, 2, args);
	if (r == NULL) {
		fprintf(stderr, "ticketctl: %s\n", ctl->c->errstr);
		return 2;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "ticketctl: init refused: %s\n", r->str);
	} else {
		if (ctl->json)
			printf("{\"status\":\"ok\",\"total\":%lld,\"ttl\":%lld}\n",
			    ctl->total, ctl->ttl);
		else
			printf("sale started: %lld tickets, payment ttl %lld s\n",
			    ctl->total, ctl->ttl);
		rc = 0;
	}
	freeReplyObject(r);
	return rc;
}

/* Records a broken invariant, formatted like printf. */
#define CTL_BROKE(rep, ...) do { \
	if ((rep)->nbroken < CTL_BROKEN_MAX) \
		snprintf((rep)->broken[(rep)->nbroken++], \
		    sizeof((rep)->broken[0]), __VA_ARGS__); \
} while (0)

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Reads every order (pipelined HMGET) and counts statuses and users holding
 * more than one live order. Returns 0 or -1 on a connection error.
 */
static int
scan_orders(struct ctl *ctl, struct report *rep)
{
	char **users = NULL;
	size_t nusers = 0, cap = 0, i;
	long long id, first, last;
	int rc = -1;

	for (first = 1; first <= rep->seq; first += CTL_BATCH) {
		last = first + CTL_BATCH - 1;
		if (last > rep->seq)
			last = rep->seq;
		for (id = first; id <= last; id++)
			redisAppendCommand(ctl->c, "HMGET %sorder:%lld user status",
			    ctl->prefix, id);
		for (id = first; id <= last; id++) {
			redisReply *r = NULL;
			const char *user, *st;

			if (redisGetReply(ctl->c, (void **)&r) != REDIS_OK)
				goto out_free;
			if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
			    r->element[0]->type != REDIS_REPLY_STRING ||
			    r->element[1]->type != REDIS_REPLY_STRING) {
				rep->n_missing++;
				freeReplyObject(r);
				continue;
			}
			user = r->element[0]->str;
			st = r->element[1]->str;
			if (strcmp(st, "expired") == 0) {
				rep->n_expired++;
			} else {
				if (strcmp(st, "paid") == 0)
					rep->n_paid++;
				else
					rep->n_pending++;
				if (nusers == cap) {
					size_t ncap = cap ? cap * 2 : 1024;
					char **nu = realloc(users,
					    ncap * sizeof(*nu));

					if (nu == NULL) {
						freeReplyObject(r);
						goto out_free;
					}
					users = nu;
					cap = ncap;
				}
				users[nusers] = strdup(user);
				if (users[nusers] == NULL) {
					freeReplyObject(r);
					goto out_free;
				}
				nusers++;
			}
			freeReplyObject(r);
		}
	}
	if (nusers > 1)
		qsort(users, nusers, sizeof(*users), cmp_str);
	for (i = 1; i < nusers; i++)
		if (strcmp(users[i - 1], users[i]) == 0)
			rep->dup_users++;
	rc = 0;

out_free:
	for (i = 0; i < nusers; i++)
		free(users[i]);
	free(users);
	return rc;
}

/* Prints hash <key> (field -> integer) as text or JSON; returns its sum. */
static long long
print_hash(struct ctl *ctl, const char *key, const char *label)
{
	redisReply *r;
	long long sum = 0;
	size_t i;

	r = redisCommand(ctl->c, "HGETALL %s%s", ctl->prefix, key);
	if (r == NULL)
		return 0;
	if (ctl->json)
		printf(",\"%s\":{", label);
	else
		printf("%-10s", label);
	if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i + 1 < r->elements; i += 2) {
			long long v = strtoll(r->element[i + 1]->str, NULL, 10);

			sum += v;
			if (ctl->json)
				printf("%s\"%s\":%lld", i ? "," : "",
				    r->element[i]->str, v);
			else
				printf(" %s=%lld", r->element[i]->str, v);
		}
	}
	printf(ctl->json ? "}" : "\n");
	freeReplyObject(r);
	return sum;
}

static int
cmd_report(struct ctl *ctl)
{
	struct report rep = { 0 };
	long long *f[] = { &rep.total, &rep.remaining, &rep.sold, &rep.paid,
	    &rep.expired, &rep.seq, &rep.leased, &rep.pending_z, &rep.users,
	    &rep.ttl, &rep.exists };
	redisReply *r;
	size_t i;
	int n;

	r = eval(ctl, SCRIPTS_COUNTS, 0, NULL);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != sizeof(f) / sizeof(f[0])) {
		fprintf(stderr, "ticketctl: counts failed: %s\n",
		    r == NULL ? ctl->c->errstr :
		    r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
		if (r != NULL)
			freeReplyObject(r);
		return 2;
	}
	for (i = 0; i < r->elements; i++)
		*f[i] = r->element[i]->integer;
	freeReplyObject(r);
	if (!rep.exists) {
		fprintf(stderr, "ticketctl: no sale under %s (run init)\n",
		    ctl->prefix);
		return 2;
	}
	if (scan_orders(ctl, &rep) != 0) {
		fprintf(stderr, "ticketctl: reading orders failed\n");
		return 2;
	}

	/* The invariants, each named when broken. */
	if (rep.remaining + rep.leased + rep.sold != rep.total)
		CTL_BROKE(&rep, "stock: remaining + leased + sold = %lld, total = %lld",
		    rep.remaining + rep.leased + rep.sold, rep.total);
	if (rep.sold > rep.total)
		CTL_BROKE(&rep, "oversold: sold %lld > total %lld", rep.sold,
		    rep.total);
	if (rep.remaining < 0 || rep.leased < 0)
		CTL_BROKE(&rep, "negative stock: remaining %lld, leased %lld",
		    rep.remaining, rep.leased);
	if (rep.n_pending + rep.n_paid != rep.sold)
		CTL_BROKE(&rep, "orders: pending + paid orders = %lld, sold = %lld",
		    rep.n_pending + rep.n_paid, rep.sold);
	if (rep.n_paid != rep.paid)
		CTL_BROKE(&rep, "paid: paid orders = %lld, paid counter = %lld",
		    rep.n_paid, rep.paid);
	if (rep.n_expired != rep.expired)
		CTL_BROKE(&rep, "expired: expired orders = %lld, counter = %lld",
		    rep.n_expired, rep.expired);
	if (rep.n_pending != rep.pending_z)
		CTL_BROKE(&rep, "pending: pending orders = %lld, pending set = %lld",
		    rep.n_pending, rep.pending_z);
	if (rep.dup_users != 0)
		CTL_BROKE(&rep, "one order per user: %lld users hold more than one "
		    "live order (of %lld)", rep.dup_users, rep.sold);
	if (rep.users != rep.sold)
		CTL_BROKE(&rep, "users: user index has %lld entries, live orders "
		    "%lld", rep.users, rep.sold);
	if (rep.n_missing != 0)
		CTL_BROKE(&rep, "orders: %lld of %lld order records missing",
		    rep.n_missing, rep.seq);

	if (ctl->json) {
		printf("{\"total\":%lld,\"sold\":%lld,\"paid\":%lld,"
		    "\"pending\":%lld,\"expired\":%lld,\"remaining\":%lld,"
		    "\"leased\":%lld,\"orders\":%lld,\"ttl\":%lld",
		    rep.total, rep.sold, rep.paid, rep.n_pending, rep.expired,
		    rep.remaining, rep.leased, rep.seq, rep.ttl);
	} else {
		printf("total     %lld\nsold      %lld (pending %lld, paid %lld)\n"
		    "expired   %lld\nremaining %lld\nleased    %lld\n"
		    "orders    %lld\n",
		    rep.total, rep.sold, rep.n_pending, rep.paid, rep.expired,
		    rep.remaining, rep.leased, rep.seq);
	}
	rep.by_node_sum = print_hash(ctl, "bynode", "by_node");
	print_hash(ctl, "leases", "leases");
	if (rep.by_node_sum != rep.seq)
		CTL_BROKE(&rep, "by_node: per-node orders sum to %lld, orders %lld",
		    rep.by_node_sum, rep.seq);
	if (ctl->json) {
		printf(",\"ok\":%s,\"broken\":[", rep.nbroken ? "false" : "true");
		for (n = 0; n < rep.nbroken; n++)
			printf("%s\"%s\"", n ? "," : "", rep.broken[n]);
		printf("]}\n");
	} else if (rep.nbroken == 0) {
		printf("invariants ok: remaining + leased + sold == total, "
		    "one live order per user\n");
	} else {
		for (n = 0; n < rep.nbroken; n++)
			printf("INVARIANT BROKEN: %s\n", rep.broken[n]);
	}
	return rep.nbroken ? 1 : 0;
}

static int
cmd_scripts(struct ctl *ctl)
{
	int i;

	for (i = 0; i < SCRIPTS_COUNT; i++) {
		redisReply *r = redisCommand(ctl->c, "SCRIPT LOAD %s",
		    scripts_table[i].lua);

		if (r == NULL || r->type != REDIS_REPLY_STRING) {
			fprintf(stderr, "ticketctl: SCRIPT LOAD %s failed\n",
			    scripts_table[i].name);
			if (r != NULL)
				freeReplyObject(r);
			return 2;
		}
		printf("%s %s\n", scripts_table[i].name, r->str);
		freeReplyObject(r);
	}
	return 0;
}

/* Command table: name and handler. */
static const struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *);
} ctl_cmds[] = {
	/* name       handler */
	{ "init",     cmd_init },
	{ "report",   cmd_report },
	{ "scripts",  cmd_scripts },
};

int
main(int argc, char **argv)
{
	struct ctl ctl;
	struct timeval tv = { 2, 0 };
	size_t i;
	int rc = 2;

	memset(&ctl, 0, sizeof(ctl));
	if (parse_args(argc, argv, &ctl) != 0)
		return 2;
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(ctl_cmds[i].name, ctl.cmd) == 0)
			break;
	if (i == sizeof(ctl_cmds) / sizeof(ctl_cmds[0])) {
		fprintf(stderr, "ticketctl: unknown command %s\n", ctl.cmd);
		usage(stderr);
		return 2;
	}
	ctl.c = redisConnectWithTimeout(ctl.host, ctl.port, tv);
	if (ctl.c == NULL || ctl.c->err) {
		fprintf(stderr, "ticketctl: redis %s:%d: %s\n", ctl.host,
		    ctl.port, ctl.c ? ctl.c->errstr : "out of memory");
		goto out_free;
	}
	tv.tv_sec = 10;
	redisSetTimeout(ctl.c, tv);
	rc = ctl_cmds[i].fn(&ctl);

out_free:
	if (ctl.c != NULL)
		redisFree(ctl.c);
	return rc;
}
