/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ctl_fmt (L1): reply rows -> ipvsadm's text. The expected
 * strings are ipvsadm output for the same table, rendered from ipvsadm.c's
 * own printf formats (print_title, print_service_entry, print_largenum,
 * list_all, print_conn, list_timeout); rows go in unsorted, over the wire
 * format, so sorting and ctl_view_add are checked on the way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ctl_fmt.h"

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void add_svc(struct ctl_view *v, uint8_t proto, const char *addr,
		    uint16_t port, const char *sched, const struct ctl_stats *st)
{
	struct ctl_svc_row r;
	char line[CTL_LINE_MAX];

	memset(&r, 0, sizeof(r));
	r.proto = proto;
	r.vaddr = ip(addr);
	r.vport = htons(port);
	snprintf(r.sched, sizeof(r.sched), "%s", sched);
	if (st != NULL)
		r.st = *st;
	assert_true(ctl_svc_row_format(&r, line, sizeof(line)) > 0);
	assert_true(ctl_view_add(v, line, strlen(line)));
}

static void add_rs(struct ctl_view *v, const char *addr, uint16_t port,
		   enum lb_fwd fwd, uint32_t w, uint32_t act, uint32_t inact,
		   const struct ctl_stats *st, bool up, uint32_t lat,
		   const char *check)
{
	struct ctl_rs_row r;
	char line[CTL_LINE_MAX];

	memset(&r, 0, sizeof(r));
	r.daddr = ip(addr);
	r.dport = htons(port);
	r.fwd = (uint8_t)fwd;
	r.weight = w;
	r.active = act;
	r.inactive = inact;
	if (st != NULL)
		r.st = *st;
	r.up = up;
	r.lat_us = lat;
	snprintf(r.check, sizeof(r.check), "%s", check);
	assert_true(ctl_rs_row_format(&r, line, sizeof(line)) > 0);
	assert_true(ctl_view_add(v, line, strlen(line)));
}

/* The table of every listing test, added in an order that needs sorting. */
static void build(struct ctl_view *v)
{
	static const struct ctl_stats s80 = {
		.conns = 123456789, .inpkts = 5, .inbytes = 100000000000ULL,
		.outbytes = 99999999, .cps = 12, .inpps = 345, .inbps = 1234567890,
	};
	static const struct ctl_stats r1 = {
		.conns = 100000000, .inpkts = 999999999, .inbytes = 1000000000,
	};
	static const struct ctl_stats r2 = {
		.conns = 23456789, .inpkts = 7, .inbytes = 123456789012345ULL,
		.cps = 3, .inpps = 1000, .inbps = 100000000,
	};

	ctl_view_init(v);
	assert_true(ctl_view_add(v, "info proto=1 ver=1.2.1 size=4096\n", 33));
	add_svc(v, IPPROTO_UDP, "10.0.0.100", 53, "rr", NULL);
	add_rs(v, "10.0.2.1", 5353, LB_FWD_NAT, 0, 0, 4, NULL, false, CTL_LAT_NONE,
	       "connect refused");
	add_svc(v, IPPROTO_TCP, "10.0.0.100", 80, "wrr", &s80);
	add_rs(v, "10.0.1.2", 80, LB_FWD_DR, 2, 3, 10, &r2, true, 1234, "");
	add_rs(v, "10.0.1.1", 80, LB_FWD_DR, 1, 0, 0, &r1, true, 250,
	       "HTTP 200");
	add_svc(v, IPPROTO_TCP, "10.0.0.5", 443, "rr", NULL);
}

static const char exp_plain[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	"TCP  10.0.0.5:443 rr\n"
	"TCP  10.0.0.100:80 wrr\n"
	"  -> 10.0.1.1:80                  Route   1      0          0         \n"
	"  -> 10.0.1.2:80                  Route   2      3          10        \n"
	"UDP  10.0.0.100:53 rr\n"
	"  -> 10.0.2.1:5353                Masq    0      0          4         \n";

static const char exp_stats[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.0.5:443                        0        0        0        0        0\n"
	"TCP  10.0.0.100:80                 123456K        5        0     100G 99999999\n"
	"  -> 10.0.1.1:80                   100000K  999999K        0    1000M        0\n"
	"  -> 10.0.1.2:80                  23456789        7        0     123T        0\n"
	"UDP  10.0.0.100:53                       0        0        0        0        0\n"
	"  -> 10.0.2.1:5353                       0        0        0        0        0\n";

static const char exp_rate[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.0.5:443                        0        0        0        0        0\n"
	"TCP  10.0.0.100:80                      12      345        0    1234M        0\n"
	"  -> 10.0.1.1:80                         0        0        0        0        0\n"
	"  -> 10.0.1.2:80                         3     1000        0  100000K        0\n"
	"UDP  10.0.0.100:53                       0        0        0        0        0\n"
	"  -> 10.0.2.1:5353                       0        0        0        0        0\n";

static const char exp_stats_exact[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
	"  -> RemoteAddress:Port\n"
	"TCP  10.0.0.5:443                        0        0        0        0        0\n"
	"TCP  10.0.0.100:80                123456789        5        0 100000000000 99999999\n"
	"  -> 10.0.1.1:80                  100000000 999999999        0 1000000000        0\n"
	"  -> 10.0.1.2:80                  23456789        7        0 123456789012345        0\n"
	"UDP  10.0.0.100:53                       0        0        0        0        0\n"
	"  -> 10.0.2.1:5353                       0        0        0        0        0\n";

static const char exp_rule[] =
	"-A -t 10.0.0.5:443 -s rr\n"
	"-A -t 10.0.0.100:80 -s wrr\n"
	"-a -t 10.0.0.100:80 -r 10.0.1.1:80 -g -w 1\n"
	"-a -t 10.0.0.100:80 -r 10.0.1.2:80 -g -w 2\n"
	"-A -u 10.0.0.100:53 -s rr\n"
	"-a -u 10.0.0.100:53 -r 10.0.2.1:5353 -m -w 0\n";

/* lbd's --health: the plain lines, with three columns after InActConn. */
static const char exp_health[] =
	"IP Virtual Server version 1.2.1 (size=4096)\n"
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Health Latency   LastCheck\n"
	"TCP  10.0.0.5:443 rr\n"
	"TCP  10.0.0.100:80 wrr\n"
	"  -> 10.0.1.1:80                  Route   1      0          0          up     0.250ms   HTTP 200\n"
	"  -> 10.0.1.2:80                  Route   2      3          10         up     1.234ms   -\n"
	"UDP  10.0.0.100:53 rr\n"
	"  -> 10.0.2.1:5353                Masq    0      0          4          down   -         connect refused\n";

/* ipvsadm -L -n -t 10.0.0.100:80 (list_service: no version line). */
static const char exp_one[] =
	"Prot LocalAddress:Port Scheduler Flags\n"
	"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
	"TCP  10.0.0.100:80 wrr\n"
	"  -> 10.0.1.1:80                  Route   1      0          0         \n";

struct list_case {
	const char *name;
	unsigned int fmt;
	const char *expect;
};

static const struct list_case list_cases[] = {
	/* name                  format                                    expected */
	{ "-L -n",               CTL_FMT_NUMERIC,                          exp_plain },
	{ "-L -n --exact",       CTL_FMT_NUMERIC | CTL_FMT_EXACT,          exp_plain },
	{ "-L -n --stats",       CTL_FMT_NUMERIC | CTL_FMT_STATS,          exp_stats },
	{ "-L -n --rate",        CTL_FMT_NUMERIC | CTL_FMT_RATE,           exp_rate },
	{ "-L -n --rate --exact (rates < 1e8)", CTL_FMT_RATE | CTL_FMT_EXACT, NULL },
	{ "--stats --exact",     CTL_FMT_STATS | CTL_FMT_EXACT,            exp_stats_exact },
	{ "--stats --rate",      CTL_FMT_STATS | CTL_FMT_RATE,             exp_stats },
	{ "-S -n",               CTL_FMT_RULE | CTL_FMT_NUMERIC,           exp_rule },
	{ "-L -n --health",      CTL_FMT_NUMERIC | CTL_FMT_HEALTH,         exp_health },
};

static void test_ctl_fmt_list_matches_ipvsadm(void **state)
{
	static char out[16384];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *c = &list_cases[i];
		struct ctl_view v;
		struct ctl_buf b;
		struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));

		build(&v);
		assert_int_equal(ctl_fmt_list(&v, c->fmt, &o), 0);
		ctl_view_fini(&v);
		if (c->expect == NULL)
			continue;
		if (strcmp(out, c->expect) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", c->name, out, c->expect);
	}
}

static void test_ctl_fmt_rate_exact_differs_only_above_1e8(void **state)
{
	static char a[8192], b2[8192];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o;

	(void)state;
	build(&v);
	o = ctl_buf_out(&b, a, sizeof(a));
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_RATE | CTL_FMT_EXACT, &o), 0);
	o = ctl_buf_out(&b, b2, sizeof(b2));
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_RATE, &o), 0);
	ctl_view_fini(&v);
	/* 1234567890 B/s is "1234M" rounded, exact "1234567890". */
	assert_non_null(strstr(a, "TCP  10.0.0.100:80                      12      345        0 1234567890        0\n"));
	assert_non_null(strstr(a, "  -> 10.0.1.2:80                         3     1000        0 100000000        0\n"));
	assert_null(strstr(b2, "1234567890"));
}

static void test_ctl_fmt_one_service_has_no_version_line(void **state)
{
	static char out[4096];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));

	(void)state;
	ctl_view_init(&v);
	assert_true(ctl_view_add(&v, "info proto=1 ver=1.2.1 size=4096", 32));
	add_svc(&v, IPPROTO_TCP, "10.0.0.100", 80, "wrr", NULL);
	add_rs(&v, "10.0.1.1", 80, LB_FWD_DR, 1, 0, 0, NULL, true, CTL_LAT_NONE, "");
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_NUMERIC | CTL_FMT_SERVICE, &o), 0);
	ctl_view_fini(&v);
	assert_string_equal(out, exp_one);
}

static void test_ctl_fmt_empty_table(void **state)
{
	static char out[4096];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));

	(void)state;
	ctl_view_init(&v);
	assert_true(ctl_view_add(&v, "info proto=1 ver=1.2.1 size=1048576\n", 36));
	assert_int_equal(ctl_fmt_list(&v, 0, &o), 0);
	assert_string_equal(out,
		"IP Virtual Server version 1.2.1 (size=1048576)\n"
		"Prot LocalAddress:Port Scheduler Flags\n"
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
	o = ctl_buf_out(&b, out, sizeof(out));
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_RULE, &o), 0);
	assert_string_equal(out, "");
	ctl_view_fini(&v);
}

static void test_ctl_fmt_nosort_keeps_daemon_order(void **state)
{
	static char out[8192];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));
	const char *udp, *tcp;

	(void)state;
	build(&v);
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_NOSORT, &o), 0);
	ctl_view_fini(&v);
	udp = strstr(out, "UDP  10.0.0.100:53");
	tcp = strstr(out, "TCP  10.0.0.5:443");
	assert_non_null(udp);
	assert_non_null(tcp);
	assert_true(udp < tcp);
}

/* Unsigned comparison: ipvsadm's int subtraction would put 200.x first. */
static void test_ctl_fmt_sort_is_unsigned(void **state)
{
	static char out[4096];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));

	(void)state;
	ctl_view_init(&v);
	add_svc(&v, IPPROTO_TCP, "200.0.0.1", 80, "rr", NULL);
	add_svc(&v, IPPROTO_TCP, "10.0.0.1", 80, "rr", NULL);
	add_svc(&v, IPPROTO_TCP, "10.0.0.1", 8, "rr", NULL);
	assert_int_equal(ctl_fmt_list(&v, CTL_FMT_RULE, &o), 0);
	ctl_view_fini(&v);
	assert_string_equal(out, "-A -t 10.0.0.1:8 -s rr\n"
				 "-A -t 10.0.0.1:80 -s rr\n"
				 "-A -t 200.0.0.1:80 -s rr\n");
}

struct num_case {
	uint64_t x;
	const char *plain;
	const char *exact;
};

/* print_largenum() at each boundary. */
static const struct num_case num_cases[] = {
	/* value                      plain          exact */
	{ 0,                          "        0",   "        0" },
	{ 99999999,                   " 99999999",   " 99999999" },
	{ 100000000,                  "  100000K",   " 100000000" },
	{ 999999999,                  "  999999K",   " 999999999" },
	{ 1000000000,                 "    1000M",   " 1000000000" },
	{ 99999999999ULL,             "   99999M",   " 99999999999" },
	{ 100000000000ULL,            "     100G",   " 100000000000" },
	{ 99999999999999ULL,          "   99999G",   " 99999999999999" },
	{ 100000000000000ULL,         "     100T",   " 100000000000000" },
	{ UINT64_MAX,                 "18446744T",   " 18446744073709551615" },
};

static void test_ctl_fmt_num_like_print_largenum(void **state)
{
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		ctl_fmt_num(num_cases[i].x, false, buf, sizeof(buf));
		assert_string_equal(buf, num_cases[i].plain);
		ctl_fmt_num(num_cases[i].x, true, buf, sizeof(buf));
		assert_string_equal(buf, num_cases[i].exact);
	}
}

static void test_ctl_fmt_conns_like_ipvsadm_c(void **state)
{
	static const char conn1[] = "conn proto=tcp caddr=192.0.2.7:40001 "
		"vaddr=10.0.0.100:80 daddr=10.0.1.1:80 state=ESTABLISHED expire=899";
	static char out[4096];
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));
	struct ctl_conn_row r;

	(void)state;
	assert_int_equal(ctl_fmt_conn_title(&o), 0);
	assert_true(ctl_conn_row_parse(conn1, strlen(conn1), &r));
	assert_int_equal(ctl_fmt_conn(&r, &o), 0);
	memset(&r, 0, sizeof(r));
	r.proto = IPPROTO_UDP;
	r.caddr = ip("198.51.100.200");
	r.cport = htons(65535);
	r.vaddr = ip("10.0.0.100");
	r.vport = htons(53);
	r.daddr = ip("10.0.2.1");
	r.dport = htons(5353);
	snprintf(r.state, sizeof(r.state), "UDP");
	r.expire = 6000;
	assert_int_equal(ctl_fmt_conn(&r, &o), 0);
	assert_string_equal(out,
		"IPVS connection entries\n"
		"pro expire state       source             virtual            destination\n"
		"TCP 14:59  ESTABLISHED 192.0.2.7:40001    10.0.0.100:80      10.0.1.1:80\n"
		"UDP 100:00 UDP         198.51.100.200:65535 10.0.0.100:53      10.0.2.1:5353\n");
}

static void test_ctl_fmt_timeouts_like_ipvsadm(void **state)
{
	static char out[256];
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));
	struct ctl_timeouts_row r = { 900, 120, 300 };

	(void)state;
	assert_int_equal(ctl_fmt_timeouts(&r, &o), 0);
	assert_string_equal(out, "Timeout (tcp tcpfin udp): 900 120 300\n");
}

static void test_ctl_fmt_drops(void **state)
{
	static char out[512];
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));
	struct ctl_table_row t = { 12, 3, 1048576, 900, 880 };
	struct ctl_drop_row d = { "no_connection", 7 };

	(void)state;
	assert_int_equal(ctl_fmt_table(&t, &o), 0);
	assert_int_equal(ctl_fmt_drop(&d, &o), 0);
	assert_string_equal(out,
		"Connection table: 12 of 1048576 entries, 3 half-open\n"
		"Frames: 900 received, 880 sent\n"
		"Drops by reason:\n"
		"  no_connection            7\n");
}

static void test_ctl_fmt_buffer_overflow_is_reported(void **state)
{
	char out[40];
	struct ctl_view v;
	struct ctl_buf b;
	struct ctl_out o = ctl_buf_out(&b, out, sizeof(out));

	(void)state;
	build(&v);
	assert_int_equal(ctl_fmt_list(&v, 0, &o), -1);
	assert_true(b.overflow);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	ctl_view_fini(&v);
}

static void test_ctl_fmt_view_rejects_bad_rows(void **state)
{
	static const char rs[] = "rs daddr=10.0.1.1:80 fwd=dr weight=1 "
		"active=0 inactive=0 conns=0 inpkts=0 outpkts=0 inbytes=0 "
		"outbytes=0 cps=0 inpps=0 outpps=0 inbps=0 outbps=0 health=up "
		"lat_us=- check=";
	struct ctl_view v;

	(void)state;
	ctl_view_init(&v);
	/* rs before any svc, garbage, a conn row, an ok line. */
	assert_false(ctl_view_add(&v, rs, strlen(rs)));
	assert_false(ctl_view_add(&v, "svc proto=tcp", 13));
	assert_false(ctl_view_add(&v, "conn proto=tcp", 14));
	assert_false(ctl_view_add(&v, "ok", 2));
	assert_int_equal(v.n_svc, 0);
	ctl_view_fini(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_fmt_list_matches_ipvsadm),
		cmocka_unit_test(test_ctl_fmt_rate_exact_differs_only_above_1e8),
		cmocka_unit_test(test_ctl_fmt_one_service_has_no_version_line),
		cmocka_unit_test(test_ctl_fmt_empty_table),
		cmocka_unit_test(test_ctl_fmt_nosort_keeps_daemon_order),
		cmocka_unit_test(test_ctl_fmt_sort_is_unsigned),
		cmocka_unit_test(test_ctl_fmt_num_like_print_largenum),
		cmocka_unit_test(test_ctl_fmt_conns_like_ipvsadm_c),
		cmocka_unit_test(test_ctl_fmt_timeouts_like_ipvsadm),
		cmocka_unit_test(test_ctl_fmt_drops),
		cmocka_unit_test(test_ctl_fmt_buffer_overflow_is_reported),
		cmocka_unit_test(test_ctl_fmt_view_rejects_bad_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
