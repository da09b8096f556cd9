/* SPDX-License-Identifier: MIT */
/*
 * lbctl's command line (L1), parsed the way ipvsadm's popt loop does: the
 * first option must be a command, options are checked against the commands
 * x options table, messages and exit statuses are ipvsadm's. L1: no I/O.
 */
#include "ctl_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_CLI_VERSION		"1.0"
#define CTL_CLI_ARG_MAX		256	/* bytes of one address argument */
#define CTL_CLI_WORDS_MAX	64	/* words on one -R line */

/* Result of parse_service(), as ipvsadm's SERVICE_*. */
#define CTL_SVC_NONE	0
#define CTL_SVC_ADDR	1
#define CTL_SVC_PORT	2

/*
 * Legal combinations of commands and options, ipvsadm's commands_v_options:
 *  '+' compulsory, 'x' illegal, '1' exclusive (at most one '1' option),
 *  ' ' optional. Rows are enum ctl_cmd from CTL_CMD_ADD, columns CTL_OPT_*.
 */
static const char ctl_cmd_opts[CTL_CMD_ZERO][CTL_OPT_COUNT] = {
	/*             -n   -c   svc  -s   -r   fwd  -w   tot  -st  -rt  -ex  hlth srt  drp */
	/* ADD */     {'x', 'x', '+', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* EDIT */    {'x', 'x', '+', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* DEL */     {'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* FLUSH */   {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* LIST */    {' ', '1', '1', 'x', 'x', 'x', 'x', '1', ' ', ' ', ' ', ' ', ' ', '1'},
	/* ADDSRV */  {'x', 'x', '+', 'x', '+', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* DELSRV */  {'x', 'x', '+', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* EDITSRV */ {'x', 'x', '+', 'x', '+', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* RESTORE */ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* SAVE */    {' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
	/* ZERO */    {'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
};

/* Names in messages: ipvsadm's cmdnames[] and optnames[]. */
static const char *const ctl_cmd_names[CTL_CMD_ZERO] = {
	"add-service", "edit-service", "delete-service", "flush", "list",
	"add-server", "delete-server", "edit-server", "restore", "save", "zero",
};

static const char *const ctl_opt_names[CTL_OPT_COUNT] = {
	"numeric", "connection", "service-address", "scheduler", "real-server",
	"forwarding-method", "weight", "timeout", "stats", "rate", "exact",
	"health", "nosort", "drops",
};

/* What an option does once recognised. */
enum ctl_okind {
	CTL_K_CMD = 0,		/* a command: val is enum ctl_cmd */
	CTL_K_OPT,		/* an option: val is enum ctl_tag */
	CTL_K_SOCKET,		/* --socket PATH: anywhere, not in the table */
	CTL_K_NOOP,		/* --sort: accepted, does nothing (as ipvsadm) */
	CTL_K_UNSUP,		/* ipvsadm has it, lbd does not */
};

enum ctl_tag {
	CTL_TAG_TCP = 0, CTL_TAG_UDP, CTL_TAG_SCHED, CTL_TAG_SERVER, CTL_TAG_DR,
	CTL_TAG_NAT, CTL_TAG_WEIGHT, CTL_TAG_NUMERIC, CTL_TAG_CONN,
	CTL_TAG_TIMEOUT, CTL_TAG_STATS, CTL_TAG_RATE, CTL_TAG_EXACT,
	CTL_TAG_HEALTH, CTL_TAG_NOSORT, CTL_TAG_DROPS,
};

static const struct ctl_optdef {
	const char *lng;	/* without "--" */
	char shrt;		/* 0: long only */
	bool arg;		/* takes an argument */
	enum ctl_okind kind;
	int val;
} ctl_optdefs[] = {
	/* long              short arg    kind          value */
	{ "add-service",     'A', false, CTL_K_CMD,    CTL_CMD_ADD },
	{ "edit-service",    'E', false, CTL_K_CMD,    CTL_CMD_EDIT },
	{ "delete-service",  'D', false, CTL_K_CMD,    CTL_CMD_DEL },
	{ "clear",           'C', false, CTL_K_CMD,    CTL_CMD_FLUSH },
	{ "list",            'L', false, CTL_K_CMD,    CTL_CMD_LIST },
	{ "list",            'l', false, CTL_K_CMD,    CTL_CMD_LIST },
	{ "zero",            'Z', false, CTL_K_CMD,    CTL_CMD_ZERO },
	{ "add-server",      'a', false, CTL_K_CMD,    CTL_CMD_ADDDEST },
	{ "edit-server",     'e', false, CTL_K_CMD,    CTL_CMD_EDITDEST },
	{ "delete-server",   'd', false, CTL_K_CMD,    CTL_CMD_DELDEST },
	{ "help",            'h', false, CTL_K_CMD,    CTL_CMD_HELP },
	{ "version",         'v', false, CTL_K_CMD,    CTL_CMD_VERSION },
	{ "restore",         'R', false, CTL_K_CMD,    CTL_CMD_RESTORE },
	{ "save",            'S', false, CTL_K_CMD,    CTL_CMD_SAVE },
	{ "tcp-service",     't', true,  CTL_K_OPT,    CTL_TAG_TCP },
	{ "udp-service",     'u', true,  CTL_K_OPT,    CTL_TAG_UDP },
	{ "scheduler",       's', true,  CTL_K_OPT,    CTL_TAG_SCHED },
	{ "real-server",     'r', true,  CTL_K_OPT,    CTL_TAG_SERVER },
	{ "gatewaying",      'g', false, CTL_K_OPT,    CTL_TAG_DR },
	{ "masquerading",    'm', false, CTL_K_OPT,    CTL_TAG_NAT },
	{ "weight",          'w', true,  CTL_K_OPT,    CTL_TAG_WEIGHT },
	{ "numeric",         'n', false, CTL_K_OPT,    CTL_TAG_NUMERIC },
	{ "connection",      'c', false, CTL_K_OPT,    CTL_TAG_CONN },
	{ "timeout",         0,   false, CTL_K_OPT,    CTL_TAG_TIMEOUT },
	{ "stats",           0,   false, CTL_K_OPT,    CTL_TAG_STATS },
	{ "rate",            0,   false, CTL_K_OPT,    CTL_TAG_RATE },
	{ "exact",           'X', false, CTL_K_OPT,    CTL_TAG_EXACT },
	{ "health",          0,   false, CTL_K_OPT,    CTL_TAG_HEALTH },
	{ "nosort",          0,   false, CTL_K_OPT,    CTL_TAG_NOSORT },
	{ "drops",           0,   false, CTL_K_OPT,    CTL_TAG_DROPS },
	{ "sort",            0,   false, CTL_K_NOOP,   0 },
	{ "socket",          0,   true,  CTL_K_SOCKET, 0 },
	{ "fwmark-service",  'f', true,  CTL_K_UNSUP,  0 },
	{ "persistent",      'p', false, CTL_K_UNSUP,  0 },
	{ "netmask",         'M', true,  CTL_K_UNSUP,  0 },
	{ "ipip",            'i', false, CTL_K_UNSUP,  0 },
	{ "u-threshold",     'x', true,  CTL_K_UNSUP,  0 },
	{ "l-threshold",     'y', true,  CTL_K_UNSUP,  0 },
	{ "ipv6",            '6', false, CTL_K_UNSUP,  0 },
	{ "ops",             'o', false, CTL_K_UNSUP,  0 },
	{ "set",             0,   false, CTL_K_UNSUP,  0 },
	{ "start-daemon",    0,   true,  CTL_K_UNSUP,  0 },
	{ "stop-daemon",     0,   true,  CTL_K_UNSUP,  0 },
	{ "mcast-interface", 0,   true,  CTL_K_UNSUP,  0 },
	{ "syncid",          0,   true,  CTL_K_UNSUP,  0 },
	{ "daemon",          0,   false, CTL_K_UNSUP,  0 },
	{ "thresholds",      0,   false, CTL_K_UNSUP,  0 },
	{ "persistent-conn", 0,   false, CTL_K_UNSUP,  0 },
};

#define NOPTDEFS	(sizeof(ctl_optdefs) / sizeof(ctl_optdefs[0]))

/* Parser state for one argv. */
struct ctl_pst {
	struct ctl_cli *cli;
	const struct ctl_cli_resolver *res;
	const char *prog;
	char *err;
	size_t errlen;
	bool has_proto;		/* -t or -u seen: svc proto is known */
	int svc_parse;		/* CTL_SVC_* of -t/-u */
	int rs_parse;		/* CTL_SVC_* of -r */
	const char *sched;	/* -s argument, into argv */
	const char *first_arg;	/* first positional argument, into argv */
};

static int fail(struct ctl_pst *st, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctl_pst *st, int status, const char *fmt, ...)
{
	va_list ap;

	if (st->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

static int tryhelp(struct ctl_pst *st)
{
	return fail(st, CTL_CLI_EXIT_TRYHELP,
		    "Try `%s -h' or '%s --help' for more information.",
		    st->prog, st->prog);
}

/* ipvsadm's string_to_number(): strtol, whole string, min..max; -1 if not. */
static long string_to_number(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*end == '\0' && end != s && errno != ERANGE && min <= n && n <= max)
		return n;
	return -1;
}

static bool str_is_digit(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * ipvsadm's parse_service() for IPv4: "host[:port]". Returns CTL_SVC_NONE,
 * or CTL_SVC_ADDR with CTL_SVC_PORT when a port was given. IPv6 is not
 * something lbd forwards, so it is NONE here.
 */
static int parse_service(const struct ctl_pst *st, const char *arg, uint8_t proto,
			 __be32 *addr, __be16 *port)
{
	char buf[CTL_CLI_ARG_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	char *portp;
	int r = CTL_SVC_ADDR;

	if (str_is_digit(arg) || arg[0] == '[' ||
	    snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) ||
	    inet_pton(AF_INET6, buf, &a6) > 0)
		return CTL_SVC_NONE;
	portp = strrchr(buf, ':');
	if (portp != NULL)
		*portp++ = '\0';
	if (inet_aton(buf, &a4) != 0)
		*addr = a4.s_addr;
	else if (st->res == NULL || st->res->host == NULL ||
		 !st->res->host(st->res->arg, buf, addr))
		return CTL_SVC_NONE;
	if (portp != NULL) {
		long n = string_to_number(portp, 0, 65535);

		r |= CTL_SVC_PORT;
		if (n != -1)
			*port = htons((uint16_t)n);
		else if (st->res == NULL || st->res->port == NULL ||
			 !st->res->port(st->res->arg, portp, proto, port))
			return CTL_SVC_NONE;
	}
	return r;
}

static int set_option(struct ctl_pst *st, unsigned int opt)
{
	unsigned int i;

	if (st->cli->opts & opt) {
		for (i = 0; (1u << i) != opt; i++)
			;
		return fail(st, CTL_CLI_EXIT_USAGE,
			    "multiple '%s' options specified", ctl_opt_names[i]);
	}
	st->cli->opts |= opt;
	return 0;
}

/* One option of the main loop (ipvsadm's second switch). */
static int do_option(struct ctl_pst *st, enum ctl_tag tag, const char *arg)
{
	struct ctl_cli *cli = st->cli;
	struct ctl_req *req = &cli->req;
	static const struct {
		enum ctl_tag tag;
		unsigned int opt;
		unsigned int fmt;
	} flags[] = {
		/* tag              option               format */
		{ CTL_TAG_NUMERIC, CTL_OPT_NUMERIC,    CTL_FMT_NUMERIC },
		{ CTL_TAG_CONN,    CTL_OPT_CONNECTION, 0 },
		{ CTL_TAG_TIMEOUT, CTL_OPT_TIMEOUT,    0 },
		{ CTL_TAG_STATS,   CTL_OPT_STATS,      CTL_FMT_STATS },
		{ CTL_TAG_RATE,    CTL_OPT_RATE,       CTL_FMT_RATE },
		{ CTL_TAG_EXACT,   CTL_OPT_EXACT,      CTL_FMT_EXACT },
		{ CTL_TAG_HEALTH,  CTL_OPT_HEALTH,     CTL_FMT_HEALTH },
		{ CTL_TAG_NOSORT,  CTL_OPT_NOSORT,     CTL_FMT_NOSORT },
		{ CTL_TAG_DROPS,   CTL_OPT_DROPS,      0 },
	};
	size_t i;
	long w;
	int rc;

	switch (tag) {
	case CTL_TAG_TCP:
	case CTL_TAG_UDP:
		if ((rc = set_option(st, CTL_OPT_SERVICE)) != 0)
			return rc;
		req->proto = tag == CTL_TAG_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		st->has_proto = true;
		st->svc_parse = parse_service(st, arg, req->proto, &req->vaddr,
					      &req->vport);
		if (!(st->svc_parse & CTL_SVC_ADDR))
			return fail(st, CTL_CLI_EXIT_USAGE, "illegal virtual server "
				    "address[:port] specified");
		return 0;
	case CTL_TAG_SCHED:
		st->sched = arg;
		return set_option(st, CTL_OPT_SCHEDULER);
	case CTL_TAG_SERVER:
		if ((rc = set_option(st, CTL_OPT_SERVER)) != 0)
			return rc;
		st->rs_parse = parse_service(st, arg, req->proto, &req->daddr,
					     &req->dport);
		if (!(st->rs_parse & CTL_SVC_ADDR))
			return fail(st, CTL_CLI_EXIT_USAGE, "illegal real server "
				    "address[:port] specified");
		return 0;
	case CTL_TAG_DR:
	case CTL_TAG_NAT:
		req->fwd = tag == CTL_TAG_DR ? LB_FWD_DR : LB_FWD_NAT;
		return set_option(st, CTL_OPT_FORWARD);
	case CTL_TAG_WEIGHT:
		if ((rc = set_option(st, CTL_OPT_WEIGHT)) != 0)
			return rc;
		w = string_to_number(arg, 0, CTL_WEIGHT_MAX);
		if (w == -1)
			return fail(st, CTL_CLI_EXIT_USAGE, "illegal weight specified");
		req->weight = (uint32_t)w;
		return 0;
	default:
		break;
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (flags[i].tag == tag) {
			cli->fmt |= flags[i].fmt;
			return set_option(st, flags[i].opt);
		}
	}
	return fail(st, CTL_CLI_EXIT_USAGE, "invalid option");
}

/* ipvsadm's generic_opt_check(): the table, column by column. */
static int check_table(struct ctl_pst *st)
{
	int i = (int)st->cli->cmd - CTL_CMD_ADD, j, last = 0, count = 0;

	for (j = 0; j < CTL_OPT_COUNT; j++) {
		char c = ctl_cmd_opts[i][j];

		if (!(st->cli->opts & (1u << j))) {
			if (c == '+')
				return fail(st, CTL_CLI_EXIT_USAGE,
					    "You need to supply the '%s' option "
					    "for the '%s' command", ctl_opt_names[j],
					    ctl_cmd_names[i]);
			continue;
		}
		if (c == 'x')
			return fail(st, CTL_CLI_EXIT_USAGE,
				    "Illegal '%s' option with the '%s' command",
				    ctl_opt_names[j], ctl_cmd_names[i]);
		if (c == '1' && ++count > 1)
			return fail(st, CTL_CLI_EXIT_USAGE,
				    "The option '%s' conflicts with the '%s' "
				    "option in the '%s' command", ctl_opt_names[j],
				    ctl_opt_names[last], ctl_cmd_names[i]);
		if (c == '1')
			last = j;
	}
	return 0;
}

static const struct ctl_optdef *find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTDEFS; i++)
		if (strlen(ctl_optdefs[i].lng) == len &&
		    memcmp(ctl_optdefs[i].lng, name, len) == 0)
			return &ctl_optdefs[i];
	return NULL;
}

static const struct ctl_optdef *find_short(char c)
{
	size_t i;

	for (i = 0; i < NOPTDEFS; i++)
		if (ctl_optdefs[i].shrt == c && c != 0)
			return &ctl_optdefs[i];
	return NULL;
}

/*
 * One recognised option <d> with its argument <arg> (NULL if none). Before
 * the command is known it must be one (ipvsadm's first switch); --socket
 * may come anywhere. <as_typed> names the option in messages.
 */
static int one_option(struct ctl_pst *st, const struct ctl_optdef *d,
		      const char *arg, const char *as_typed)
{
	struct ctl_cli *cli = st->cli;

	if (d->kind == CTL_K_SOCKET) {
		cli->socket = arg;
		return 0;
	}
	if (cli->cmd == CTL_CMD_NONE) {
		if (d->kind != CTL_K_CMD)
			return tryhelp(st);
		cli->cmd = (enum ctl_cmd)d->val;
		return 0;
	}
	switch (d->kind) {
	case CTL_K_NOOP:
		return 0;
	case CTL_K_UNSUP:
		return fail(st, CTL_CLI_EXIT_USAGE,
			    "option `%s' is not supported by lbd", as_typed);
	case CTL_K_OPT:
		return do_option(st, (enum ctl_tag)d->val, arg);
	default:
		return fail(st, CTL_CLI_EXIT_USAGE, "invalid option `%s'", as_typed);
	}
}

/* A popt error: before the command it is tryhelp, after it "opt: why". */
static int popt_error(struct ctl_pst *st, const char *as_typed, const char *why)
{
	if (st->cli->cmd == CTL_CMD_NONE)
		return tryhelp(st);
	return fail(st, CTL_CLI_EXIT_TRYHELP, "%s: %s", as_typed, why);
}

/* The popt-like scan: long and bundled short options, "--" and positionals. */
static int scan(struct ctl_pst *st, int argc, char *const argv[])
{
	bool opts_done = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (st->first_arg == NULL)
				st->first_arg = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
			const struct ctl_optdef *d = find_long(name, nlen);
			const char *arg = NULL;

			if (d == NULL)
				return popt_error(st, a, "unknown option");
			if (d->arg) {
				if (eq != NULL)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return popt_error(st, a, "missing argument");
			} else if (eq != NULL) {
				return popt_error(st, a,
						  "option does not take an argument");
			}
			if ((rc = one_option(st, d, arg, a)) != 0)
				return rc;
		} else {
			const char *p;

			for (p = a + 1; *p != '\0'; p++) {
				const struct ctl_optdef *d = find_short(*p);
				const char *arg = NULL;

				if (d == NULL)
					return popt_error(st, a, "unknown option");
				if (d->arg) {
					if (p[1] != '\0')
						arg = p + 1;
					else if (i + 1 < argc)
						arg = argv[++i];
					else
						return popt_error(st, a,
								  "missing argument");
				}
				if ((rc = one_option(st, d, arg, a)) != 0)
					return rc;
				if (st->cli->cmd == CTL_CMD_HELP ||
				    st->cli->cmd == CTL_CMD_VERSION)
					return 0;
				if (arg != NULL)
					break;
			}
		}
		if (st->cli->cmd == CTL_CMD_HELP || st->cli->cmd == CTL_CMD_VERSION)
			return 0;
	}
	return 0;
}

static bool sched_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= CTL_SCHED_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return false;
	return true;
}

/* What ipvsadm's process_options() does after parsing, then the request. */
static int finish(struct ctl_pst *st)
{
	struct ctl_cli *cli = st->cli;
	struct ctl_req *req = &cli->req;
	unsigned int o = cli->opts;
	int rc;

	if ((rc = check_table(st)) != 0)
		return rc;
	/* -r without a port means the service's port, for every command. */
	if ((o & CTL_OPT_SERVER) && !(st->rs_parse & CTL_SVC_PORT))
		req->dport = req->vport;
	switch (cli->cmd) {
	case CTL_CMD_ADD:
	case CTL_CMD_EDIT:
		if (req->vport == 0)
			return fail(st, CTL_CLI_EXIT_USAGE,
				    "Zero port specified for non-persistent service");
		if (st->sched == NULL)
			st->sched = CTL_CLI_DEF_SCHED;
		/* The kernel would say so; lbd would too, but the name must fit the wire. */
		if (!sched_ok(st->sched))
			return fail(st, CTL_CLI_EXIT_TRYHELP, "Scheduler not found");
		snprintf(req->sched, sizeof(req->sched), "%s", st->sched);
		req->verb = cli->cmd == CTL_CMD_ADD ? CTL_V_SVC_ADD : CTL_V_SVC_EDIT;
		break;
	case CTL_CMD_DEL:
		req->verb = CTL_V_SVC_DEL;
		break;
	case CTL_CMD_FLUSH:
		req->verb = CTL_V_CLEAR;
		break;
	case CTL_CMD_ADDDEST:
	case CTL_CMD_EDITDEST:
		/* DR and tunnels keep the service's port (ipvsadm does this too). */
		if (req->fwd == LB_FWD_DR)
			req->dport = req->vport;
		req->verb = cli->cmd == CTL_CMD_ADDDEST ? CTL_V_RS_ADD : CTL_V_RS_EDIT;
		break;
	case CTL_CMD_DELDEST:
		req->verb = CTL_V_RS_DEL;
		break;
	case CTL_CMD_ZERO:
		req->verb = CTL_V_ZERO;
		req->has_svc = (o & CTL_OPT_SERVICE) != 0;
		break;
	case CTL_CMD_SAVE:
		req->verb = CTL_V_LIST;
		cli->fmt |= CTL_FMT_RULE;
		break;
	case CTL_CMD_LIST:
		if ((o & (CTL_OPT_CONNECTION | CTL_OPT_TIMEOUT | CTL_OPT_DROPS)) &&
		    (o & (CTL_OPT_STATS | CTL_OPT_RATE | CTL_OPT_HEALTH)))
			return fail(st, CTL_CLI_EXIT_USAGE,
				    "options conflicts in the list command");
		if (o & CTL_OPT_CONNECTION) {
			req->verb = CTL_V_CONNS;
		} else if (o & CTL_OPT_DROPS) {
			req->verb = CTL_V_DROPS;
		} else if (o & CTL_OPT_TIMEOUT) {
			req->verb = CTL_V_TIMEOUTS;
		} else {
			req->verb = CTL_V_LIST;
			req->has_svc = (o & CTL_OPT_SERVICE) != 0;
			if (req->has_svc)
				cli->fmt |= CTL_FMT_SERVICE;
		}
		break;
	case CTL_CMD_RESTORE:
	default:
		break;
	}
	return 0;
}

int ctl_cli_parse(int argc, char *const argv[], const struct ctl_cli_resolver *res,
		  struct ctl_cli *cli, char *err, size_t errlen)
{
	struct ctl_pst st;
	int rc;

	memset(cli, 0, sizeof(*cli));
	memset(&st, 0, sizeof(st));
	st.cli = cli;
	st.res = res;
	st.prog = argc > 0 && argv[0] != NULL ? argv[0] : "lbctl";
	st.err = err;
	st.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	cli->socket = CTL_SOCKET_PATH;
	/* ipvsadm's defaults: weight 1, direct routing. */
	cli->req.weight = 1;
	cli->req.fwd = LB_FWD_DR;
	cli->req.proto = IPPROTO_TCP;

	if ((rc = scan(&st, argc, argv)) != 0)
		return rc;
	if (cli->cmd == CTL_CMD_NONE) {
		/* No options at all (or only --socket): ipvsadm lists. */
		if (st.first_arg != NULL)
			return tryhelp(&st);
		cli->cmd = CTL_CMD_LIST;
		cli->req.verb = CTL_V_LIST;
		return 0;
	}
	if (cli->cmd == CTL_CMD_HELP || cli->cmd == CTL_CMD_VERSION)
		return 0;
	if (st.first_arg != NULL)
		return fail(&st, CTL_CLI_EXIT_USAGE, "unexpected argument %s",
			    st.first_arg);
	return finish(&st);
}

/* ---- -R -------------------------------------------------------------------- */

static bool push(struct ctl_req **arr, size_t *n, size_t *cap,
		 const struct ctl_req *req)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct ctl_req *p = realloc(*arr, ncap * sizeof(*p));

		if (p == NULL)
			return false;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = *req;
	return true;
}

/* Splits one -R line in place into words; '#' starts a comment. */
static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* Parses one line of -R input into <req>; 0, 1 (blank) or an exit status. */
static int restore_line(char *line, const char *prog,
			const struct ctl_cli_resolver *res, struct ctl_req *req,
			char *err, size_t errlen)
{
	char *words[CTL_CLI_WORDS_MAX + 1];
	struct ctl_cli cli;
	int n, rc;

	words[0] = (char *)(uintptr_t)prog;
	n = split_words(line, words + 1, CTL_CLI_WORDS_MAX);
	if (n < 0) {
		snprintf(err, errlen, "too many arguments");
		return CTL_CLI_EXIT_USAGE;
	}
	if (n > 0 && (strcmp(words[1], "ipvsadm") == 0 ||
		      strcmp(words[1], "lbctl") == 0)) {
		words[1] = words[0];
		n--;
		memmove(words, words + 1, (size_t)(n + 1) * sizeof(words[0]));
	}
	if (n == 0)
		return 1;
	rc = ctl_cli_parse(n + 1, words, res, &cli, err, errlen);
	if (rc != 0)
		return rc;
	switch (cli.cmd) {
	case CTL_CMD_ADD: case CTL_CMD_EDIT: case CTL_CMD_DEL:
	case CTL_CMD_ADDDEST: case CTL_CMD_EDITDEST: case CTL_CMD_DELDEST:
	case CTL_CMD_FLUSH: case CTL_CMD_ZERO:
		*req = cli.req;
		return 0;
	case CTL_CMD_RESTORE:
		/* ipvsadm refuses to recurse the same way. */
		snprintf(err, errlen, "Try `%s -h' or '%s --help' for more "
			 "information.", prog, prog);
		return CTL_CLI_EXIT_TRYHELP;
	default:
		snprintf(err, errlen, "only -A -E -D -a -e -d -C -Z can be "
			 "restored");
		return CTL_CLI_EXIT_USAGE;
	}
}

struct ctl_req *ctl_cli_restore(const char *text, size_t len, const char *prog,
				const struct ctl_cli_resolver *res, size_t *n,
				int *status, char *err, size_t errlen)
{
	struct ctl_req *arr = NULL, req;
	size_t cap = 0, pos = 0;
	char line[CTL_LINE_MAX];

	*n = 0;
	*status = 0;
	if (errlen > 0)
		err[0] = '\0';
	memset(&req, 0, sizeof(req));
	req.verb = CTL_V_BEGIN;
	if (!push(&arr, n, &cap, &req))
		goto err_nomem;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int rc;

		if (l >= sizeof(line) || memchr(text + pos, '\0', l) != NULL) {
			snprintf(err, errlen, "line too long or not text");
			*status = CTL_CLI_EXIT_USAGE;
			goto err_free;
		}
		memcpy(line, text + pos, l);
		line[l] = '\0';
		pos += l + (nl != NULL);
		rc = restore_line(line, prog, res, &req, err, errlen);
		if (rc == 1)
			continue;
		if (rc != 0) {
			*status = rc;
			goto err_free;
		}
		if (!push(&arr, n, &cap, &req))
			goto err_nomem;
	}
	memset(&req, 0, sizeof(req));
	req.verb = CTL_V_COMMIT;
	if (!push(&arr, n, &cap, &req))
		goto err_nomem;
	return arr;

err_nomem:
	snprintf(err, errlen, "Memory allocation problem");
	*status = 1;
err_free:
	free(arr);
	*n = 0;
	return NULL;
}

/* ---- help and version ------------------------------------------------------ */

int ctl_cli_usage(const char *p, char *buf, size_t len)
{
	int n = snprintf(buf, len,
		"lbctl " CTL_CLI_VERSION " (ipvsadm-compatible, IPVS v1.2.1)\n"
		"Usage:\n"
		"  %s -A|E -t|u service-address [-s scheduler]\n"
		"  %s -D -t|u service-address\n"
		"  %s -C\n"
		"  %s -R\n"
		"  %s -S [-n]\n"
		"  %s -a|e -t|u service-address -r server-address [options]\n"
		"  %s -d -t|u service-address -r server-address\n"
		"  %s -L|l [options]\n"
		"  %s -Z [-t|u service-address]\n"
		"  %s -h\n\n"
		"Commands:\n"
		"Either long or short options are allowed.\n"
		"  --add-service     -A        add virtual service with options\n"
		"  --edit-service    -E        edit virtual service with options\n"
		"  --delete-service  -D        delete virtual service\n"
		"  --clear           -C        clear the whole table\n"
		"  --restore         -R        restore rules from stdin\n"
		"  --save            -S        save rules to stdout\n"
		"  --add-server      -a        add real server with options\n"
		"  --edit-server     -e        edit real server with options\n"
		"  --delete-server   -d        delete real server\n"
		"  --list            -L|-l     list the table\n"
		"  --zero            -Z        zero counters in a service or all services\n"
		"  --help            -h        display this help message\n\n"
		"Options:\n"
		"  --tcp-service  -t service-address   service-address is host[:port]\n"
		"  --udp-service  -u service-address   service-address is host[:port]\n"
		"  --scheduler    -s scheduler         one of rr|wrr,\n"
		"                                      the default scheduler is %s.\n"
		"  --real-server  -r server-address    server-address is host (and port)\n"
		"  --gatewaying   -g                   gatewaying (direct routing) (default)\n"
		"  --masquerading -m                   masquerading (NAT)\n"
		"  --weight       -w weight            capacity of real server\n"
		"  --connection   -c                   output of current IPVS connections\n"
		"  --timeout                           output of timeout (tcp tcpfin udp)\n"
		"  --stats                             output of statistics information\n"
		"  --rate                              output of rate information\n"
		"  --exact                             expand numbers (display exact values)\n"
		"  --health                            output of health check state (lbd)\n"
		"  --drops                             output of drops by reason and table fill (lbd)\n"
		"  --nosort                            disable sorting output of service/server entries\n"
		"  --sort                              does nothing, for backwards compatibility\n"
		"  --numeric      -n                   numeric output of addresses and ports\n"
		"                                      (lbctl output is always numeric)\n"
		"  --socket PATH                       lbd's control socket (default %s)\n",
		p, p, p, p, p, p, p, p, p, p, CTL_CLI_DEF_SCHED, CTL_SOCKET_PATH);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

int ctl_cli_version(char *buf, size_t len)
{
	int n = snprintf(buf, len, "lbctl " CTL_CLI_VERSION
			 " (ipvsadm-compatible, IPVS v1.2.1)\n");

	return n < 0 || (size_t)n >= len ? -1 : n;
}
