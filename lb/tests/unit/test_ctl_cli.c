/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ctl_cli (L1): ipvsadm command lines -> requests, with
 * ipvsadm's exact messages and exit statuses for the bad ones; -R input ->
 * one begin ... commit batch; and -S output fed back through -R (the
 * "lbctl -S | lbctl -C; lbctl -R" round trip, minus the socket).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cli.h"

#define ARGV_MAX	32

/* Splits <cmd> ("-A -t x") into argv with argv[0] = "lbctl"; words are static. */
static int mkargv(const char *cmd, char **argv, char *store, size_t storelen)
{
	int argc = 0;
	char *p;

	snprintf(store, storelen, "%s", cmd);
	argv[argc++] = (char *)(uintptr_t)"lbctl";
	for (p = strtok(store, " "); p != NULL && argc < ARGV_MAX - 1;
	     p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	return argc;
}

/* A resolver that knows one host and one service name. */
static bool fake_host(void *arg, const char *name, __be32 *addr)
{
	(void)arg;
	if (strcmp(name, "web") != 0)
		return false;
	*addr = htonl(0x0a090909);	/* 10.9.9.9 */
	return true;
}

static bool fake_port(void *arg, const char *name, uint8_t proto, __be16 *port)
{
	(void)arg;
	if (strcmp(name, "http") != 0 || proto != IPPROTO_TCP)
		return false;
	*port = htons(80);
	return true;
}

static const struct ctl_cli_resolver fake_res = { fake_host, fake_port, NULL };

/* ---- command lines that parse ------------------------------------------------ */

struct cli_ok {
	const char *args;
	enum ctl_cmd cmd;
	const char *req;	/* the request as sent; NULL: none */
	unsigned int fmt;
	const char *socket;	/* NULL: the default */
};

#define N	CTL_FMT_NUMERIC

static const struct cli_ok cli_oks[] = {
	/* arguments                                         command            request line                                       format            socket */
	{ "",                                                CTL_CMD_LIST,      "list\n",                                          0, NULL },
	{ "-L -n",                                           CTL_CMD_LIST,      "list\n",                                          N, NULL },
	{ "-Ln",                                             CTL_CMD_LIST,      "list\n",                                          N, NULL },
	{ "-l",                                              CTL_CMD_LIST,      "list\n",                                          0, NULL },
	{ "--list --numeric",                                CTL_CMD_LIST,      "list\n",                                          N, NULL },
	{ "-L -n --stats",                                   CTL_CMD_LIST,      "list\n",                                          N | CTL_FMT_STATS, NULL },
	{ "-L -n --rate --exact",                            CTL_CMD_LIST,      "list\n",                                          N | CTL_FMT_RATE | CTL_FMT_EXACT, NULL },
	{ "-L -X",                                           CTL_CMD_LIST,      "list\n",                                          CTL_FMT_EXACT, NULL },
	{ "-L -n --stats --rate",                            CTL_CMD_LIST,      "list\n",                                          N | CTL_FMT_STATS | CTL_FMT_RATE, NULL },
	{ "-L -n --health",                                  CTL_CMD_LIST,      "list\n",                                          N | CTL_FMT_HEALTH, NULL },
	{ "-L -n --nosort --sort",                           CTL_CMD_LIST,      "list\n",                                          N | CTL_FMT_NOSORT, NULL },
	{ "-L -n -t 10.0.0.100:80",                          CTL_CMD_LIST,      "list tcp 10.0.0.100:80\n",                        N | CTL_FMT_SERVICE, NULL },
	{ "-L -u 10.0.0.100:53 --stats",                     CTL_CMD_LIST,      "list udp 10.0.0.100:53\n",                        CTL_FMT_SERVICE | CTL_FMT_STATS, NULL },
	{ "-L -c -n",                                        CTL_CMD_LIST,      "conns\n",                                         N, NULL },
	{ "-Lcn",                                            CTL_CMD_LIST,      "conns\n",                                         N, NULL },
	{ "-L --timeout",                                    CTL_CMD_LIST,      "timeouts\n",                                      0, NULL },
	{ "-L --drops",                                      CTL_CMD_LIST,      "drops\n",                                         0, NULL },
	{ "-A -t 10.0.0.100:80 -s wrr",                      CTL_CMD_ADD,       "svc-add tcp 10.0.0.100:80 wrr\n",                 0, NULL },
	{ "-A -t 10.0.0.100:80",                             CTL_CMD_ADD,       "svc-add tcp 10.0.0.100:80 wrr\n",                 0, NULL },
	{ "-At10.0.0.100:80 -srr",                           CTL_CMD_ADD,       "svc-add tcp 10.0.0.100:80 rr\n",                  0, NULL },
	{ "--add-service --tcp-service=10.0.0.100:80 --scheduler=rr",
							     CTL_CMD_ADD,       "svc-add tcp 10.0.0.100:80 rr\n",                  0, NULL },
	{ "-A -s rr -u 10.0.0.100:53",                       CTL_CMD_ADD,       "svc-add udp 10.0.0.100:53 rr\n",                  0, NULL },
	{ "-A -t 10.0.0.100:80 -s wlc",                      CTL_CMD_ADD,       "svc-add tcp 10.0.0.100:80 wlc\n",                 0, NULL },
	{ "-A -t web:http",                                  CTL_CMD_ADD,       "svc-add tcp 10.9.9.9:80 wrr\n",                   0, NULL },
	{ "-A -t 10.1:80",                                   CTL_CMD_ADD,       "svc-add tcp 10.0.0.1:80 wrr\n",                   0, NULL },
	{ "-E -u 10.0.0.100:53 -s rr",                       CTL_CMD_EDIT,      "svc-edit udp 10.0.0.100:53 rr\n",                 0, NULL },
	{ "-E -t 10.0.0.100:80",                             CTL_CMD_EDIT,      "svc-edit tcp 10.0.0.100:80 wrr\n",                0, NULL },
	{ "-D -t 10.0.0.100:80",                             CTL_CMD_DEL,       "svc-del tcp 10.0.0.100:80\n",                     0, NULL },
	{ "-D -t 10.0.0.100",                                CTL_CMD_DEL,       "svc-del tcp 10.0.0.100:0\n",                      0, NULL },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1:80 -g -w 2",      CTL_CMD_ADDDEST,   "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 2\n",     0, NULL },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -m",              CTL_CMD_ADDDEST,   "rs-add tcp 10.0.0.100:80 10.0.1.1:80 nat 1\n",    0, NULL },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1:8080 -m -w 0",    CTL_CMD_ADDDEST,   "rs-add tcp 10.0.0.100:80 10.0.1.1:8080 nat 0\n",  0, NULL },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1:8080",            CTL_CMD_ADDDEST,   "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1\n",     0, NULL },
	{ "-a -r 10.0.1.1 -m -t 10.0.0.100:80",              CTL_CMD_ADDDEST,   "rs-add tcp 10.0.0.100:80 10.0.1.1:80 nat 1\n",    0, NULL },
	{ "--add-server --udp-service 10.0.0.100:53 --real-server 10.0.2.1:5353 --masquerading --weight 65535",
							     CTL_CMD_ADDDEST,   "rs-add udp 10.0.0.100:53 10.0.2.1:5353 nat 65535\n", 0, NULL },
	{ "-e -t 10.0.0.100:80 -r 10.0.1.1:80 -w 5",         CTL_CMD_EDITDEST,  "rs-edit tcp 10.0.0.100:80 10.0.1.1:80 dr 5\n",    0, NULL },
	{ "-e -t 10.0.0.100:80 -r 10.0.1.1:80",              CTL_CMD_EDITDEST,  "rs-edit tcp 10.0.0.100:80 10.0.1.1:80 dr 1\n",    0, NULL },
	{ "-d -t 10.0.0.100:80 -r 10.0.1.1",                 CTL_CMD_DELDEST,   "rs-del tcp 10.0.0.100:80 10.0.1.1:80\n",          0, NULL },
	{ "-d -t 10.0.0.100:80 -r 10.0.1.1:8080",            CTL_CMD_DELDEST,   "rs-del tcp 10.0.0.100:80 10.0.1.1:8080\n",        0, NULL },
	{ "-C",                                              CTL_CMD_FLUSH,     "clear\n",                                         0, NULL },
	{ "--clear",                                         CTL_CMD_FLUSH,     "clear\n",                                         0, NULL },
	{ "-Z",                                              CTL_CMD_ZERO,      "zero\n",                                          0, NULL },
	{ "-Z -t 10.0.0.100:80",                             CTL_CMD_ZERO,      "zero tcp 10.0.0.100:80\n",                        0, NULL },
	{ "-S",                                              CTL_CMD_SAVE,      "list\n",                                          CTL_FMT_RULE, NULL },
	{ "-S -n",                                           CTL_CMD_SAVE,      "list\n",                                          CTL_FMT_RULE | N, NULL },
	{ "-R",                                              CTL_CMD_RESTORE,   NULL,                                              0, NULL },
	{ "-L --socket /tmp/x.sock",                         CTL_CMD_LIST,      "list\n",                                          0, "/tmp/x.sock" },
	{ "--socket=/tmp/y.sock -C",                         CTL_CMD_FLUSH,     "clear\n",                                         0, "/tmp/y.sock" },
	{ "--socket /tmp/z.sock",                            CTL_CMD_LIST,      "list\n",                                          0, "/tmp/z.sock" },
	{ "-h",                                              CTL_CMD_HELP,      NULL,                                              0, NULL },
	{ "--help -bogus",                                   CTL_CMD_HELP,      NULL,                                              0, NULL },
	{ "-v",                                              CTL_CMD_VERSION,   NULL,                                              0, NULL },
	{ "-L -- ",                                          CTL_CMD_LIST,      "list\n",                                          0, NULL },
};

static void test_ctl_cli_parses_ipvsadm_commands(void **state)
{
	char store[512], err[CTL_ERR_LEN], line[CTL_LINE_MAX];
	char *argv[ARGV_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cli_oks) / sizeof(cli_oks[0]); i++) {
		const struct cli_ok *c = &cli_oks[i];
		int argc = mkargv(c->args, argv, store, sizeof(store));
		struct ctl_cli cli;
		int rc = ctl_cli_parse(argc, argv, &fake_res, &cli, err, sizeof(err));

		if (rc != 0)
			fail_msg("'%s': %d %s", c->args, rc, err);
		assert_int_equal(cli.cmd, c->cmd);
		if (c->req == NULL) {
			assert_int_equal(cli.req.verb, CTL_V_NONE);
		} else {
			assert_true(ctl_req_format(&cli.req, line, sizeof(line)) > 0);
			if (strcmp(line, c->req) != 0)
				fail_msg("'%s': sent '%s', want '%s'", c->args, line,
					 c->req);
		}
		if (cli.fmt != c->fmt)
			fail_msg("'%s': format %#x, want %#x", c->args, cli.fmt, c->fmt);
		assert_string_equal(cli.socket, c->socket ? c->socket : "/run/lbd.sock");
	}
}

/* ---- command lines that do not ------------------------------------------------ */

struct cli_bad {
	const char *args;
	int status;
	const char *err;	/* exactly what goes to stderr */
};

#define TRYHELP	"Try `lbctl -h' or 'lbctl --help' for more information."
#define NOTSUP(o)	"option `" o "' is not supported by lbd"

static const struct cli_bad cli_bads[] = {
	/* arguments                                          status  message */
	{ "-n",                                               255, TRYHELP },
	{ "foo",                                              255, TRYHELP },
	{ "--bogus",                                          255, TRYHELP },
	{ "-t 10.0.0.1:80 -A",                                255, TRYHELP },
	{ "-L --bogus",                                       255, "--bogus: unknown option" },
	{ "-Lq",                                              255, "-Lq: unknown option" },
	{ "-A -t",                                            255, "-t: missing argument" },
	{ "-A --tcp-service",                                 255, "--tcp-service: missing argument" },
	{ "-L --stats=1",                                     255, "--stats=1: option does not take an argument" },
	{ "-L foo",                                           2,   "unexpected argument foo" },
	{ "-L -- -n",                                         2,   "unexpected argument -n" },
	{ "-L -A",                                            2,   "invalid option `-A'" },
	{ "-L -h",                                            2,   "invalid option `-h'" },
	{ "-L -n -n",                                         2,   "multiple 'numeric' options specified" },
	{ "-A -t 10.0.0.100:80 -t 10.0.0.1:80",               2,   "multiple 'service-address' options specified" },
	{ "-A -t 10.0.0.100:80 -u 10.0.0.1:80",               2,   "multiple 'service-address' options specified" },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -g -m",            2,   "multiple 'forwarding-method' options specified" },
	{ "-A -t 10.0.0.999:80",                              2,   "illegal virtual server address[:port] specified" },
	{ "-A -t 80",                                         2,   "illegal virtual server address[:port] specified" },
	{ "-A -t 10.0.0.1:ftp",                               2,   "illegal virtual server address[:port] specified" },
	{ "-A -t 10.0.0.1:65536",                             2,   "illegal virtual server address[:port] specified" },
	{ "-A -t [::1]:80",                                   2,   "illegal virtual server address[:port] specified" },
	{ "-A -t ::1",                                        2,   "illegal virtual server address[:port] specified" },
	{ "-A -t unknown.host:80",                            2,   "illegal virtual server address[:port] specified" },
	{ "-a -t 10.0.0.100:80 -r bogus.invalid",             2,   "illegal real server address[:port] specified" },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -w 65536",         2,   "illegal weight specified" },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -w abc",           2,   "illegal weight specified" },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -w -1",            2,   "illegal weight specified" },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -w 1x",            2,   "illegal weight specified" },
	{ "-A",                                               2,   "You need to supply the 'service-address' option for the 'add-service' command" },
	{ "-D",                                               2,   "You need to supply the 'service-address' option for the 'delete-service' command" },
	{ "-a -t 10.0.0.100:80",                              2,   "You need to supply the 'real-server' option for the 'add-server' command" },
	{ "-d -t 10.0.0.100:80 -w 1",                         2,   "You need to supply the 'real-server' option for the 'delete-server' command" },
	{ "-e -r 10.0.1.1",                                   2,   "You need to supply the 'service-address' option for the 'edit-server' command" },
	{ "-A -t 10.0.0.100:80 -w 1",                         2,   "Illegal 'weight' option with the 'add-service' command" },
	{ "-E -t 10.0.0.100:80 -r 10.0.1.1",                  2,   "Illegal 'real-server' option with the 'edit-service' command" },
	{ "-D -t 10.0.0.100:80 -s rr",                        2,   "Illegal 'scheduler' option with the 'delete-service' command" },
	{ "-d -t 10.0.0.100:80 -r 10.0.1.1 -m",               2,   "Illegal 'forwarding-method' option with the 'delete-server' command" },
	{ "-C -n",                                            2,   "Illegal 'numeric' option with the 'flush' command" },
	{ "-S -c",                                            2,   "Illegal 'connection' option with the 'save' command" },
	{ "-R -n",                                            2,   "Illegal 'numeric' option with the 'restore' command" },
	{ "-Z -r 10.0.1.1",                                   2,   "Illegal 'real-server' option with the 'zero' command" },
	{ "-Z --stats",                                       2,   "Illegal 'stats' option with the 'zero' command" },
	{ "-A -t 10.0.0.100:80 --health",                     2,   "Illegal 'health' option with the 'add-service' command" },
	{ "-L -s rr",                                         2,   "Illegal 'scheduler' option with the 'list' command" },
	{ "-L -c -t 10.0.0.100:80",                           2,   "The option 'service-address' conflicts with the 'connection' option in the 'list' command" },
	{ "-L -c --timeout",                                  2,   "The option 'timeout' conflicts with the 'connection' option in the 'list' command" },
	{ "-L -c --stats",                                    2,   "options conflicts in the list command" },
	{ "-L --timeout --rate",                              2,   "options conflicts in the list command" },
	{ "-L --timeout --health",                            2,   "options conflicts in the list command" },
	{ "-L --drops --stats",                               2,   "options conflicts in the list command" },
	{ "-L -c --drops",                                    2,   "The option 'drops' conflicts with the 'connection' option in the 'list' command" },
	{ "-A -t 10.0.0.1:80 --drops",                        2,   "Illegal 'drops' option with the 'add-service' command" },
	{ "-A -t 10.0.0.100",                                 2,   "Zero port specified for non-persistent service" },
	{ "-E -t 10.0.0.100:0",                               2,   "Zero port specified for non-persistent service" },
	{ "-A -t 10.0.0.100:80 -s WLC!",                      255, "Scheduler not found" },
	{ "-A -t 10.0.0.100:80 -s a_16_chars_long_",          255, "Scheduler not found" },
	{ "-A -t 10.0.0.100:80 -p",                           2,   NOTSUP("-p") },
	{ "-A -t 10.0.0.100:80 --persistent",                 2,   NOTSUP("--persistent") },
	{ "-A -f 1",                                          2,   NOTSUP("-f") },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -i",               2,   NOTSUP("-i") },
	{ "-a -t 10.0.0.100:80 -r 10.0.1.1 -x 10",            2,   NOTSUP("-x") },
	{ "-L --daemon",                                      2,   NOTSUP("--daemon") },
	{ "-L --thresholds",                                  2,   NOTSUP("--thresholds") },
	{ "--set 1 2 3",                                      255, TRYHELP },
};

static void test_ctl_cli_errors_like_ipvsadm(void **state)
{
	char store[512], err[CTL_ERR_LEN];
	char *argv[ARGV_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cli_bads) / sizeof(cli_bads[0]); i++) {
		const struct cli_bad *c = &cli_bads[i];
		int argc = mkargv(c->args, argv, store, sizeof(store));
		struct ctl_cli cli;
		int rc = ctl_cli_parse(argc, argv, &fake_res, &cli, err, sizeof(err));

		if (rc != c->status || strcmp(err, c->err) != 0)
			fail_msg("'%s': got %d '%s', want %d '%s'", c->args, rc, err,
				 c->status, c->err);
	}
}

static void test_ctl_cli_without_resolver_is_numeric_only(void **state)
{
	char store[128], err[CTL_ERR_LEN];
	char *argv[ARGV_MAX];
	struct ctl_cli cli;
	int argc;

	(void)state;
	argc = mkargv("-A -t web:80", argv, store, sizeof(store));
	assert_int_equal(ctl_cli_parse(argc, argv, NULL, &cli, err, sizeof(err)), 2);
	assert_string_equal(err, "illegal virtual server address[:port] specified");
	argc = mkargv("-A -t 10.0.0.1:80", argv, store, sizeof(store));
	assert_int_equal(ctl_cli_parse(argc, argv, NULL, &cli, err, sizeof(err)), 0);
	/* argc 0 and a tiny error buffer are survivable */
	assert_int_equal(ctl_cli_parse(0, argv, NULL, &cli, err, sizeof(err)), 0);
	assert_int_equal(cli.cmd, CTL_CMD_LIST);
	argc = mkargv("-A", argv, store, sizeof(store));
	assert_int_equal(ctl_cli_parse(argc, argv, NULL, &cli, err, 8), 2);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(ctl_cli_parse(argc, argv, NULL, &cli, NULL, 0), 2);
}

/* ---- -R ---------------------------------------------------------------------- */

/* Formats every request of <reqs> into one text, one line each. */
static void reqs_text(const struct ctl_req *reqs, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		int l = ctl_req_format(&reqs[i], buf + off, len - off);

		assert_true(l > 0);
		off += (size_t)l;
	}
}

struct restore_case {
	const char *name;
	const char *text;
	const char *reqs;	/* NULL: an error */
	int status;
	const char *err;
};

static const struct restore_case restore_cases[] = {
	{ "ipvsadm-save output",
	  "-A -t 10.0.0.100:80 -s wrr\n"
	  "-a -t 10.0.0.100:80 -r 10.0.1.1:80 -g -w 1\n"
	  "-a -t 10.0.0.100:80 -r 10.0.1.2:8080 -m -w 3\n",
	  "begin\n"
	  "svc-add tcp 10.0.0.100:80 wrr\n"
	  "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1\n"
	  "rs-add tcp 10.0.0.100:80 10.0.1.2:8080 nat 3\n"
	  "commit\n", 0, "" },
	{ "blank lines, comments, program names, CRLF, no final newline",
	  "\n# saved by hand\n   \nipvsadm -C\r\nlbctl -Z -t 10.0.0.100:80 # zero it\n"
	  "\t-D -t 10.0.0.100:80",
	  "begin\nclear\nzero tcp 10.0.0.100:80\nsvc-del tcp 10.0.0.100:80\ncommit\n",
	  0, "" },
	{ "every write command",
	  "-A -u 10.0.0.1:53\n-E -u 10.0.0.1:53 -s rr\n-a -u 10.0.0.1:53 -r 10.0.2.1 -m\n"
	  "-e -u 10.0.0.1:53 -r 10.0.2.1 -m -w 9\n-d -u 10.0.0.1:53 -r 10.0.2.1\n-Z\n-C\n",
	  "begin\nsvc-add udp 10.0.0.1:53 wrr\nsvc-edit udp 10.0.0.1:53 rr\n"
	  "rs-add udp 10.0.0.1:53 10.0.2.1:53 nat 1\nrs-edit udp 10.0.0.1:53 10.0.2.1:53 nat 9\n"
	  "rs-del udp 10.0.0.1:53 10.0.2.1:53\nzero\nclear\ncommit\n", 0, "" },
	{ "empty input", "", "begin\ncommit\n", 0, "" },
	{ "a bad line spoils all",
	  "-A -t 10.0.0.100:80 -s wrr\n-a -t 10.0.0.100:80 -r 10.0.1.1 -w 70000\n",
	  NULL, 2, "illegal weight specified" },
	{ "a list in the input", "-C\n-L -n\n", NULL, 2,
	  "only -A -E -D -a -e -d -C -Z can be restored" },
	{ "a save in the input", "-S\n", NULL, 2,
	  "only -A -E -D -a -e -d -C -Z can be restored" },
	{ "restore inside restore", "-R\n", NULL, 255, TRYHELP },
	{ "not a command", "foo bar\n", NULL, 255, TRYHELP },
	{ "NUL byte", "-C\n-Z\0\n", NULL, 2, "line too long or not text" },
};

static void test_ctl_cli_restore(void **state)
{
	static char text[16384];
	char err[CTL_ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(restore_cases) / sizeof(restore_cases[0]); i++) {
		const struct restore_case *c = &restore_cases[i];
		size_t len = strlen(c->text), n = 99;
		struct ctl_req *reqs;
		int status = 99;

		if (strcmp(c->name, "NUL byte") == 0)
			len = 7;
		reqs = ctl_cli_restore(c->text, len, "lbctl", &fake_res, &n, &status,
				       err, sizeof(err));
		if (c->reqs == NULL) {
			if (reqs != NULL)
				fail_msg("%s: accepted", c->name);
			assert_int_equal(n, 0);
			if (status != c->status || strcmp(err, c->err) != 0)
				fail_msg("%s: %d '%s'", c->name, status, err);
			continue;
		}
		if (reqs == NULL)
			fail_msg("%s: %d %s", c->name, status, err);
		reqs_text(reqs, n, text, sizeof(text));
		if (strcmp(text, c->reqs) != 0)
			fail_msg("%s: got\n%s", c->name, text);
		free(reqs);
	}
}

static void test_ctl_cli_restore_long_line(void **state)
{
	static char text[CTL_LINE_MAX + 16];
	char err[CTL_ERR_LEN];
	size_t n;
	int status;

	(void)state;
	memset(text, ' ', sizeof(text));
	memcpy(text, "-C", 2);
	text[sizeof(text) - 1] = '\n';
	assert_null(ctl_cli_restore(text, sizeof(text), "lbctl", NULL, &n, &status,
				    err, sizeof(err)));
	assert_int_equal(status, 2);
	/* many words on one line */
	{
		size_t off = 0;
		int i;

		for (i = 0; i < 100; i++)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "-n ");
		assert_null(ctl_cli_restore(text, off, "lbctl", NULL, &n, &status,
					    err, sizeof(err)));
		assert_int_equal(status, 2);
		assert_string_equal(err, "too many arguments");
	}
}

/*
 * The round trip of the issue: -S text of a table, -R of that text, the
 * requests applied to an empty table (a model of what lbd does), -S again.
 * The two texts must be identical.
 */
static void apply(const struct ctl_req *reqs, size_t n, struct ctl_view *v)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct ctl_req *r = &reqs[i];
		struct ctl_view_svc *s = NULL;

		for (j = 0; j < v->n_svc; j++)
			if (v->svc[j].row.proto == r->proto &&
			    v->svc[j].row.vaddr == r->vaddr &&
			    v->svc[j].row.vport == r->vport)
				s = &v->svc[j];
		if (r->verb == CTL_V_SVC_ADD) {
			char line[CTL_LINE_MAX];
			struct ctl_svc_row row;

			assert_null(s);
			memset(&row, 0, sizeof(row));
			row.proto = r->proto;
			row.vaddr = r->vaddr;
			row.vport = r->vport;
			memcpy(row.sched, r->sched, sizeof(row.sched));
			assert_true(ctl_svc_row_format(&row, line, sizeof(line)) > 0);
			assert_true(ctl_view_add(v, line, strlen(line)));
		} else if (r->verb == CTL_V_RS_ADD) {
			struct ctl_rs_row *rs;

			assert_non_null(s);
			/* rows are added in order, so s is the last service */
			assert_ptr_equal(s, &v->svc[v->n_svc - 1]);
			s->rs = realloc(s->rs, (s->n_rs + 1) * sizeof(*s->rs));
			assert_non_null(s->rs);
			rs = &s->rs[s->n_rs++];
			s->cap_rs = s->n_rs;
			memset(rs, 0, sizeof(*rs));
			rs->daddr = r->daddr;
			rs->dport = r->dport;
			rs->fwd = r->fwd;
			rs->weight = r->weight;
		} else {
			assert_true(r->verb == CTL_V_BEGIN || r->verb == CTL_V_COMMIT);
		}
	}
}

static void test_ctl_cli_save_restore_round_trip(void **state)
{
	static const char *const rows[] = {
		"info proto=1 ver=1.2.1 size=4096\n",
		"svc proto=udp vaddr=10.0.0.100:53 sched=rr conns=9 inpkts=0 outpkts=0 "
		"inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 inbps=0 outbps=0\n",
		"rs daddr=10.0.2.1:5353 fwd=nat weight=0 active=0 inactive=4 conns=0 "
		"inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
		"inbps=0 outbps=0 health=down lat_us=- check=refused\n",
		"svc proto=tcp vaddr=10.0.0.100:80 sched=wrr conns=0 inpkts=0 outpkts=0 "
		"inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 inbps=0 outbps=0\n",
		"rs daddr=10.0.1.2:80 fwd=dr weight=65535 active=0 inactive=0 conns=0 "
		"inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
		"inbps=0 outbps=0 health=up lat_us=1 check=\n",
		"rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
		"inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
		"inbps=0 outbps=0 health=up lat_us=1 check=\n",
		"svc proto=tcp vaddr=192.168.1.1:443 sched=rr conns=0 inpkts=0 outpkts=0 "
		"inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 inbps=0 outbps=0\n",
	};
	static char saved[8192], again[8192];
	char err[CTL_ERR_LEN];
	struct ctl_view v, w;
	struct ctl_req *reqs;
	struct ctl_buf b;
	struct ctl_out o;
	size_t i, n;
	int status;

	(void)state;
	ctl_view_init(&v);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_true(ctl_view_add(&v, rows[i], strlen(rows[i])));
	o = ctl_buf_out(&b, saved, sizeof(saved));
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_RULE, &o), 0);
	ctl_view_fini(&v);
	assert_string_equal(saved,
		"-A -t 10.0.0.100:80 -s wrr\n"
		"-a -t 10.0.0.100:80 -r 10.0.1.1:80 -g -w 1\n"
		"-a -t 10.0.0.100:80 -r 10.0.1.2:80 -g -w 65535\n"
		"-A -t 192.168.1.1:443 -s rr\n"
		"-A -u 10.0.0.100:53 -s rr\n"
		"-a -u 10.0.0.100:53 -r 10.0.2.1:5353 -m -w 0\n");

	reqs = ctl_cli_restore(saved, strlen(saved), "lbctl", NULL, &n, &status,
			       err, sizeof(err));
	if (reqs == NULL)
		fail_msg("%d %s", status, err);
	assert_int_equal(n, 8);
	assert_int_equal(reqs[0].verb, CTL_V_BEGIN);
	assert_int_equal(reqs[n - 1].verb, CTL_V_COMMIT);
	ctl_view_init(&w);
	apply(reqs, n, &w);
	free(reqs);
	o = ctl_buf_out(&b, again, sizeof(again));
	assert_int_equal(ctl_fmt_list(&w, CTL_FMT_RULE, &o), 0);
	ctl_view_fini(&w);
	assert_string_equal(again, saved);
}

static void test_ctl_cli_usage_and_version(void **state)
{
	static char buf[8192];
	char small[64];

	(void)state;
	assert_true(ctl_cli_usage("lbctl", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Usage:\n  lbctl -A|E -t|u service-address"));
	assert_non_null(strstr(buf, "--health"));
	assert_non_null(strstr(buf, "/run/lbd.sock"));
	assert_int_equal(ctl_cli_usage("lbctl", small, sizeof(small)), -1);
	assert_true(ctl_cli_version(buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "lbctl 1.0 (ipvsadm-compatible, IPVS v1.2.1)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_cli_parses_ipvsadm_commands),
		cmocka_unit_test(test_ctl_cli_errors_like_ipvsadm),
		cmocka_unit_test(test_ctl_cli_without_resolver_is_numeric_only),
		cmocka_unit_test(test_ctl_cli_restore),
		cmocka_unit_test(test_ctl_cli_restore_long_line),
		cmocka_unit_test(test_ctl_cli_save_restore_round_trip),
		cmocka_unit_test(test_ctl_cli_usage_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
