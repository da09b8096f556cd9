/* SPDX-License-Identifier: MIT */
/*
 * lbctl's command line (L1): ipvsadm's verbs and flags, checked against a
 * commands x options table as ipvsadm checks them, turned into ctl_proto
 * requests; and ipvsadm -R input turned into one begin ... commit batch.
 * Usage errors carry ipvsadm's message and exit status. L1: no I/O; name
 * lookups (hosts, services) go through caller-supplied callbacks.
 */
#ifndef LB_CTL_CLI_H
#define LB_CTL_CLI_H

#include "ctl_fmt.h"
#include "ctl_proto.h"

#define CTL_CLI_DEF_SCHED	"wrr"	/* ipvsadm's is wlc, which lbd lacks */
#define CTL_CLI_EXIT_USAGE	2	/* ipvsadm's fail(2, ...) */
#define CTL_CLI_EXIT_TRYHELP	255	/* ipvsadm's tryhelp_exit(-1) and popt errors */

/* Commands: the rows of the table in ctl_cli.c (ipvsadm's CMD_*), then lbctl's own. */
enum ctl_cmd {
	CTL_CMD_NONE = 0,
	CTL_CMD_ADD,		/* -A */
	CTL_CMD_EDIT,		/* -E */
	CTL_CMD_DEL,		/* -D */
	CTL_CMD_FLUSH,		/* -C */
	CTL_CMD_LIST,		/* -L, -l */
	CTL_CMD_ADDDEST,	/* -a */
	CTL_CMD_DELDEST,	/* -d */
	CTL_CMD_EDITDEST,	/* -e */
	CTL_CMD_RESTORE,	/* -R */
	CTL_CMD_SAVE,		/* -S */
	CTL_CMD_ZERO,		/* -Z */
	CTL_CMD_HELP,		/* -h: no table row */
	CTL_CMD_VERSION,	/* -v: no table row */
	CTL_CMD_MAX
};

/* Options: bit i is column i of the table in ctl_cli.c. */
#define CTL_OPT_NUMERIC		(1u << 0)	/* -n */
#define CTL_OPT_CONNECTION	(1u << 1)	/* -c */
#define CTL_OPT_SERVICE		(1u << 2)	/* -t, -u */
#define CTL_OPT_SCHEDULER	(1u << 3)	/* -s */
#define CTL_OPT_SERVER		(1u << 4)	/* -r */
#define CTL_OPT_FORWARD		(1u << 5)	/* -g, -m */
#define CTL_OPT_WEIGHT		(1u << 6)	/* -w */
#define CTL_OPT_TIMEOUT		(1u << 7)	/* --timeout */
#define CTL_OPT_STATS		(1u << 8)	/* --stats */
#define CTL_OPT_RATE		(1u << 9)	/* --rate */
#define CTL_OPT_EXACT		(1u << 10)	/* --exact, -X */
#define CTL_OPT_HEALTH		(1u << 11)	/* --health (lbd's) */
#define CTL_OPT_NOSORT		(1u << 12)	/* --nosort */
#define CTL_OPT_DROPS		(1u << 13)	/* --drops (lbd's) */
#define CTL_OPT_COUNT		14

/* Name lookups for host and port names; either pointer may be NULL (numeric only). */
struct ctl_cli_resolver {
	/* <name> -> IPv4 address (network order); false if unknown. */
	bool (*host)(void *arg, const char *name, __be32 *addr);
	/* <name> for <proto> (IPPROTO_TCP/UDP) -> port (network order); false if unknown. */
	bool (*port)(void *arg, const char *name, uint8_t proto, __be16 *port);
	void *arg;
};

struct ctl_cli {
	enum ctl_cmd cmd;
	unsigned int opts;	/* CTL_OPT_* given */
	unsigned int fmt;	/* CTL_FMT_* for printing the reply */
	struct ctl_req req;	/* the request to send; verb NONE for HELP, VERSION, RESTORE */
	const char *socket;	/* --socket PATH (into argv) or CTL_SOCKET_PATH */
};

/*
 * Parses <argc>/<argv> (argv[0] is the program name used in messages) as
 * ipvsadm does. <res> may be NULL. Returns 0 with <cli> filled; otherwise
 * the exit status (CTL_CLI_EXIT_USAGE or CTL_CLI_EXIT_TRYHELP) with the
 * text for stderr in <err> (<errlen> bytes, NUL-terminated, no final
 * newline). No arguments at all means "-L" (ipvsadm lists then). <cli>
 * points into <argv>, which must outlive it.
 */
int ctl_cli_parse(int argc, char *const argv[], const struct ctl_cli_resolver *res,
		  struct ctl_cli *cli, char *err, size_t errlen);

/*
 * Turns ipvsadm -S text (<len> bytes at <text>, need not be NUL-terminated)
 * into requests: begin, one per line, commit. Lines are ipvsadm arguments
 * without the program name (a leading "ipvsadm" or "lbctl" word is
 * skipped); blank lines and words from a '#' on are ignored. Only -A -E -D
 * -a -e -d -C -Z may appear. Returns a malloc'd array the caller frees,
 * with its length in <n>; or NULL with <status> the exit status and the
 * message in <err> (for the first bad line; <status> 1 means no memory).
 */
struct ctl_req *ctl_cli_restore(const char *text, size_t len, const char *prog,
				const struct ctl_cli_resolver *res, size_t *n,
				int *status, char *err, size_t errlen);

/*
 * ipvsadm -h's text, adapted to what lbd supports, for <prog>, into <buf>
 * (<len> bytes, NUL-terminated). Returns its length, or -1 if it was cut.
 */
int ctl_cli_usage(const char *prog, char *buf, size_t len);

/* The -v line, e.g. "lbctl 1.0 (ipvsadm-compatible, IPVS v1.2.1)". Same contract. */
int ctl_cli_version(char *buf, size_t len);

#endif /* LB_CTL_CLI_H */
