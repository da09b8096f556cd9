/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ctl_proto (L1): request lines (every verb, accepted and
 * rejected), parse o format identity, reply rows both ways, err lines and
 * the ipvsadm message table. Tables first, then the cases that need
 * generated input (oversized lines, every byte value).
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

#include "ctl_proto.h"

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- requests that parse ------------------------------------------------- */

struct req_ok {
	const char *line;	/* as sent */
	const char *canon;	/* as ctl_req_format() writes it */
	enum ctl_verb verb;
	const char *vaddr;	/* NULL: no service */
	uint16_t vport;
	uint8_t proto;
	const char *daddr;	/* NULL: no real server */
	uint16_t dport;
	const char *sched;
	uint8_t fwd;
	uint32_t weight;
};

static const struct req_ok req_oks[] = {
	/* line, canonical form, verb, vaddr, vport, proto, daddr, dport, sched, fwd, weight */
	{ "hello 1\n", "hello 1\n", CTL_V_HELLO, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "svc-add tcp 10.0.0.100:80 wrr\n", "svc-add tcp 10.0.0.100:80 wrr\n",
	  CTL_V_SVC_ADD, "10.0.0.100", 80, IPPROTO_TCP, NULL, 0, "wrr", 0, 0 },
	{ "svc-edit udp 10.0.0.100:53 rr", "svc-edit udp 10.0.0.100:53 rr\n",
	  CTL_V_SVC_EDIT, "10.0.0.100", 53, IPPROTO_UDP, NULL, 0, "rr", 0, 0 },
	{ "svc-del tcp 255.255.255.255:65535\r\n", "svc-del tcp 255.255.255.255:65535\n",
	  CTL_V_SVC_DEL, "255.255.255.255", 65535, IPPROTO_TCP, NULL, 0, "", 0, 0 },
	{ "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1\n",
	  "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1\n",
	  CTL_V_RS_ADD, "10.0.0.100", 80, IPPROTO_TCP, "10.0.1.1", 80, "", LB_FWD_DR, 1 },
	{ "rs-edit  udp\t10.0.0.100:53   10.0.2.1:5353 nat 65535  \n",
	  "rs-edit udp 10.0.0.100:53 10.0.2.1:5353 nat 65535\n",
	  CTL_V_RS_EDIT, "10.0.0.100", 53, IPPROTO_UDP, "10.0.2.1", 5353, "",
	  LB_FWD_NAT, 65535 },
	{ "rs-del tcp 10.0.0.100:80 10.0.1.1:0\n", "rs-del tcp 10.0.0.100:80 10.0.1.1:0\n",
	  CTL_V_RS_DEL, "10.0.0.100", 80, IPPROTO_TCP, "10.0.1.1", 0, "", 0, 0 },
	{ "rs-add tcp 0.0.0.0:0 0.0.0.0:0 nat 0", "rs-add tcp 0.0.0.0:0 0.0.0.0:0 nat 0\n",
	  CTL_V_RS_ADD, "0.0.0.0", 0, IPPROTO_TCP, "0.0.0.0", 0, "", LB_FWD_NAT, 0 },
	{ "clear\n", "clear\n", CTL_V_CLEAR, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "zero\n", "zero\n", CTL_V_ZERO, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "zero tcp 10.0.0.100:80\n", "zero tcp 10.0.0.100:80\n",
	  CTL_V_ZERO, "10.0.0.100", 80, IPPROTO_TCP, NULL, 0, "", 0, 0 },
	{ "list\n", "list\n", CTL_V_LIST, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "list udp 10.0.0.100:53\n", "list udp 10.0.0.100:53\n",
	  CTL_V_LIST, "10.0.0.100", 53, IPPROTO_UDP, NULL, 0, "", 0, 0 },
	{ "conns\n", "conns\n", CTL_V_CONNS, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "timeouts\n", "timeouts\n", CTL_V_TIMEOUTS, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "drops\n", "drops\n", CTL_V_DROPS, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "begin\n", "begin\n", CTL_V_BEGIN, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "commit\n", "commit\n", CTL_V_COMMIT, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "abort\n", "abort\n", CTL_V_ABORT, NULL, 0, 0, NULL, 0, "", 0, 0 },
	{ "svc-add tcp 010.000.000.001:0080 a_15_chars_long\n",
	  "svc-add tcp 10.0.0.1:80 a_15_chars_long\n",
	  CTL_V_SVC_ADD, "10.0.0.1", 80, IPPROTO_TCP, NULL, 0, "a_15_chars_long", 0, 0 },
};

static void test_ctl_req_parse_every_verb(void **state)
{
	char err[CTL_ERR_LEN], buf[CTL_LINE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(req_oks) / sizeof(req_oks[0]); i++) {
		const struct req_ok *c = &req_oks[i];
		struct ctl_req r, r2;

		if (!ctl_req_parse(c->line, strlen(c->line), &r, err, sizeof(err)))
			fail_msg("%s: %s", c->line, err);
		assert_int_equal(r.verb, c->verb);
		assert_int_equal(r.has_svc, c->vaddr != NULL);
		if (c->vaddr != NULL) {
			assert_int_equal(r.vaddr, ip(c->vaddr));
			assert_int_equal(r.vport, htons(c->vport));
			assert_int_equal(r.proto, c->proto);
		}
		if (c->daddr != NULL) {
			assert_int_equal(r.daddr, ip(c->daddr));
			assert_int_equal(r.dport, htons(c->dport));
		}
		assert_string_equal(r.sched, c->sched);
		assert_int_equal(r.fwd, c->fwd);
		assert_int_equal(r.weight, c->weight);
		if (c->verb == CTL_V_HELLO)
			assert_int_equal(r.version, 1);
		/* format gives the canonical line; parsing it gives r again */
		assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)),
				 (int)strlen(c->canon));
		assert_string_equal(buf, c->canon);
		assert_true(ctl_req_parse(buf, strlen(buf), &r2, err, sizeof(err)));
		assert_memory_equal(&r, &r2, sizeof(r));
		assert_string_equal(ctl_verb_name(r.verb), c->canon[0] == 'h' ?
				    "hello" : ctl_verb_name(c->verb));
	}
}

/* ---- requests that do not ------------------------------------------------ */

struct req_bad {
	const char *line;
	size_t len;		/* 0: strlen(line) */
	const char *err;	/* part of the message */
};

static const struct req_bad req_bads[] = {
	/* line                                             len  message */
	{ "",                                                0,  "empty request" },
	{ "\n",                                              0,  "empty request" },
	{ "   \t \n",                                        0,  "empty request" },
	{ "frobnicate\n",                                    0,  "unknown request 'frobnicate'" },
	{ "LIST\n",                                          0,  "unknown request" },
	{ "hello\n",                                         0,  "wrong number of arguments" },
	{ "hello -1\n",                                      0,  "bad version" },
	{ "hello 4294967296\n",                              0,  "bad version" },
	{ "svc-add tcp 10.0.0.100:80\n",                     0,  "wrong number of arguments" },
	{ "svc-add tcp 10.0.0.100:80 wrr extra\n",           0,  "wrong number of arguments" },
	{ "svc-add sctp 10.0.0.100:80 wrr\n",                0,  "bad protocol 'sctp'" },
	{ "svc-add TCP 10.0.0.100:80 wrr\n",                 0,  "bad protocol" },
	{ "svc-add tcp 10.0.0.100 wrr\n",                    0,  "bad service address" },
	{ "svc-add tcp 10.0.0.256:80 wrr\n",                 0,  "bad service address" },
	{ "svc-add tcp 10.0.0.1:65536 wrr\n",                0,  "bad service address" },
	{ "svc-add tcp 10.0.0:80 wrr\n",                     0,  "bad service address" },
	{ "svc-add tcp 10.0.0.0.1:80 wrr\n",                 0,  "bad service address" },
	{ "svc-add tcp 10.0.0.1:+80 wrr\n",                  0,  "bad service address" },
	{ "svc-add tcp 10.0.0.1: wrr\n",                     0,  "bad service address" },
	{ "svc-add tcp 0010.0.0.1:80 wrr\n",                 0,  "bad service address" },
	{ "svc-add tcp [::1]:80 wrr\n",                      0,  "bad service address" },
	{ "svc-add tcp 10.0.0.1:80 w-r-r\n",                 0,  "bad scheduler" },
	{ "svc-add tcp 10.0.0.1:80 a_16_chars_long_\n",      0,  "bad scheduler" },
	{ "rs-add tcp 10.0.0.1:80 10.0.1.1:80 tun 1\n",      0,  "bad forwarding method 'tun'" },
	{ "rs-add tcp 10.0.0.1:80 10.0.1.1:80 dr 65536\n",   0,  "bad weight" },
	{ "rs-add tcp 10.0.0.1:80 10.0.1.1:80 dr -1\n",      0,  "bad weight" },
	{ "rs-add tcp 10.0.0.1:80 10.0.1.1:80 dr\n",         0,  "wrong number of arguments" },
	{ "rs-add tcp 10.0.0.1:80 host:80 dr 1\n",           0,  "bad real server address" },
	{ "rs-del tcp 10.0.0.1:80\n",                        0,  "wrong number of arguments" },
	{ "zero tcp\n",                                      0,  "wrong number of arguments" },
	{ "list tcp 10.0.0.1:80 extra\n",                    0,  "wrong number of arguments" },
	{ "clear now\n",                                     0,  "wrong number of arguments" },
	{ "commit 1\n",                                      0,  "wrong number of arguments" },
	/* half-written lines: whatever arrived before the peer stopped */
	{ "svc-add tcp 10.0.0.100:8",                        0,  "wrong number of arguments" },
	{ "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1",       36, "wrong number of arguments" },
	{ "rs-add tcp 10.0.0.100:80 10.0.1.1:80 dr 1",       34, "wrong number of arguments" },
	/* bytes that are not text */
	{ "list\0tcp 10.0.0.1:80\n",                         21, "bad character" },
	{ "list\x7f\n",                                      0,  "bad character" },
	{ "list\xc3\xa9\n",                                  0,  "bad character" },
	{ "list\r\r\n",                                      0,  "bad character" },
	{ "list\n\n",                                        0,  "bad character" },
};

static void test_ctl_req_parse_rejects(void **state)
{
	char err[CTL_ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(req_bads) / sizeof(req_bads[0]); i++) {
		const struct req_bad *c = &req_bads[i];
		size_t len = c->len ? c->len : strlen(c->line);
		struct ctl_req r;

		if (ctl_req_parse(c->line, len, &r, err, sizeof(err)))
			fail_msg("case %zu accepted: %s", i, c->line);
		if (strstr(err, c->err) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err, c->err);
	}
}

static void test_ctl_req_parse_line_length_limit(void **state)
{
	static char line[CTL_LINE_MAX + 2];
	char err[CTL_ERR_LEN];
	struct ctl_req r;

	(void)state;
	/* "clear", padding, "\n": exactly CTL_LINE_MAX bytes is fine */
	memset(line, ' ', sizeof(line));
	memcpy(line, "clear", 5);
	line[CTL_LINE_MAX - 1] = '\n';
	assert_true(ctl_req_parse(line, CTL_LINE_MAX, &r, err, sizeof(err)));
	assert_int_equal(r.verb, CTL_V_CLEAR);
	/* one byte more, or the same length without its newline, is not */
	line[CTL_LINE_MAX - 1] = ' ';
	line[CTL_LINE_MAX] = '\n';
	assert_false(ctl_req_parse(line, CTL_LINE_MAX + 1, &r, err, sizeof(err)));
	assert_string_equal(err, "line too long");
	assert_false(ctl_req_parse(line, CTL_LINE_MAX, &r, err, sizeof(err)));
	assert_string_equal(err, "line too long");
	/* an enormous length claim is checked before any byte is read */
	assert_false(ctl_req_parse(line, SIZE_MAX, &r, err, sizeof(err)));
	/* too many tokens */
	memset(line, 0, sizeof(line));
	{
		size_t off = 0;
		int i;

		for (i = 0; i < 70; i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "x ");
		assert_false(ctl_req_parse(line, off, &r, err, sizeof(err)));
		assert_string_equal(err, "too many arguments");
	}
	/* a NULL line and a zero-sized error buffer are survivable */
	assert_false(ctl_req_parse(NULL, 0, &r, err, sizeof(err)));
	assert_false(ctl_req_parse("bogus", 5, &r, NULL, 0));
}

static void test_ctl_req_format_rejects_what_cannot_be_sent(void **state)
{
	char buf[CTL_LINE_MAX];
	struct ctl_req r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);	/* NONE */
	r.verb = CTL_V_MAX;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);
	r.verb = CTL_V_SVC_ADD;
	r.proto = IPPROTO_TCP;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);	/* no sched */
	snprintf(r.sched, sizeof(r.sched), "wrr");
	r.proto = 132;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);	/* sctp */
	r.proto = IPPROTO_TCP;
	assert_int_equal(ctl_req_format(&r, buf, 10), -1);		/* too small */
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), 26);
	assert_string_equal(buf, "svc-add tcp 0.0.0.0:0 wrr\n");
	r.verb = CTL_V_RS_ADD;
	r.weight = 65536;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);
	r.weight = 1;
	r.fwd = 7;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);
	memset(r.sched, 'a', sizeof(r.sched));			/* unterminated */
	r.verb = CTL_V_SVC_EDIT;
	assert_int_equal(ctl_req_format(&r, buf, sizeof(buf)), -1);
}

/* ---- rows ---------------------------------------------------------------- */

static void test_ctl_rows_format_exactly(void **state)
{
	char buf[CTL_LINE_MAX];
	struct ctl_info_row info = { 1, "1.2.1", 4096 };
	struct ctl_svc_row svc;
	struct ctl_rs_row rs;
	struct ctl_conn_row cn;
	struct ctl_timeouts_row to = { 900, 120, 300 };

	(void)state;
	assert_int_equal(ctl_info_row_format(&info, buf, sizeof(buf)), 33);
	assert_string_equal(buf, "info proto=1 ver=1.2.1 size=4096\n");

	memset(&svc, 0, sizeof(svc));
	svc.proto = IPPROTO_TCP;
	svc.vaddr = ip("10.0.0.100");
	svc.vport = htons(80);
	snprintf(svc.sched, sizeof(svc.sched), "wrr");
	svc.st.conns = 1;
	svc.st.outbps = UINT64_MAX;
	assert_true(ctl_svc_row_format(&svc, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "svc proto=tcp vaddr=10.0.0.100:80 sched=wrr "
		"conns=1 inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 "
		"outpps=0 inbps=0 outbps=18446744073709551615\n");

	memset(&rs, 0, sizeof(rs));
	rs.daddr = ip("10.0.1.1");
	rs.dport = htons(8080);
	rs.fwd = LB_FWD_NAT;
	rs.weight = 3;
	rs.active = 4;
	rs.inactive = 5;
	rs.up = false;
	rs.lat_us = CTL_LAT_NONE;
	snprintf(rs.check, sizeof(rs.check), "HTTP 503 = 100%% \"bad\"\t\xc3\xa9");
	assert_true(ctl_rs_row_format(&rs, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "rs daddr=10.0.1.1:8080 fwd=nat weight=3 active=4 "
		"inactive=5 conns=0 inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 "
		"inpps=0 outpps=0 inbps=0 outbps=0 health=down lat_us=- "
		"check=HTTP%20503%20%3D%20100%25%20\"bad\"%09%C3%A9\n");

	memset(&cn, 0, sizeof(cn));
	cn.proto = IPPROTO_UDP;
	cn.caddr = ip("192.0.2.7");
	cn.cport = htons(40001);
	cn.vaddr = ip("10.0.0.100");
	cn.vport = htons(53);
	cn.daddr = ip("10.0.2.1");
	cn.dport = htons(53);
	snprintf(cn.state, sizeof(cn.state), "UDP");
	cn.expire = 299;
	assert_true(ctl_conn_row_format(&cn, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "conn proto=udp caddr=192.0.2.7:40001 "
		"vaddr=10.0.0.100:53 daddr=10.0.2.1:53 state=UDP expire=299\n");

	assert_int_equal(ctl_timeouts_row_format(&to, buf, sizeof(buf)), 36);
	assert_string_equal(buf, "timeouts tcp=900 tcpfin=120 udp=300\n");
}

/* parse(format(row)) == row, and format(parse(line)) == line. */
static void test_ctl_rows_round_trip(void **state)
{
	static const char *const lines[] = {
		"info proto=1 ver=1.2.1 size=1048576\n",
		"svc proto=udp vaddr=0.0.0.0:0 sched=rr conns=18446744073709551615 "
		"inpkts=1 outpkts=2 inbytes=3 outbytes=4 cps=5 inpps=6 outpps=7 "
		"inbps=8 outbps=9\n",
		"rs daddr=10.0.1.1:80 fwd=dr weight=65535 active=4294967295 "
		"inactive=0 conns=1 inpkts=2 outpkts=3 inbytes=4 outbytes=5 cps=6 "
		"inpps=7 outpps=8 inbps=9 outbps=10 health=up lat_us=4294967294 "
		"check=connect%20refused\n",
		"rs daddr=10.0.1.1:80 fwd=nat weight=0 active=0 inactive=0 conns=0 "
		"inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
		"inbps=0 outbps=0 health=down lat_us=- check=\n",
		("conn proto=tcp caddr=1.2.3.4:1 vaddr=5.6.7.8:2 daddr=9.10.11.12:3 "
		 "state=TIME_WAIT expire=0\n"),
		"timeouts tcp=0 tcpfin=4294967295 udp=1\n",
		"table entries=12 half_open=3 capacity=1048576 rx=18446744073709551615 tx=0\n",
		"drop reason=no_connection count=7\n",
	};
	char buf[CTL_LINE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *l = lines[i];
		size_t n = strlen(l);
		union {
			struct ctl_info_row info;
			struct ctl_svc_row svc;
			struct ctl_rs_row rs;
			struct ctl_conn_row conn;
			struct ctl_timeouts_row to;
			struct ctl_table_row tab;
			struct ctl_drop_row drop;
		} a, b;
		int len = -1;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		switch (ctl_line_kind(l, n)) {
		case CTL_L_INFO:
			assert_true(ctl_info_row_parse(l, n, &a.info));
			len = ctl_info_row_format(&a.info, buf, sizeof(buf));
			assert_true(ctl_info_row_parse(buf, (size_t)len, &b.info));
			break;
		case CTL_L_SVC:
			assert_true(ctl_svc_row_parse(l, n, &a.svc));
			len = ctl_svc_row_format(&a.svc, buf, sizeof(buf));
			assert_true(ctl_svc_row_parse(buf, (size_t)len, &b.svc));
			break;
		case CTL_L_RS:
			assert_true(ctl_rs_row_parse(l, n, &a.rs));
			len = ctl_rs_row_format(&a.rs, buf, sizeof(buf));
			assert_true(ctl_rs_row_parse(buf, (size_t)len, &b.rs));
			break;
		case CTL_L_CONN:
			assert_true(ctl_conn_row_parse(l, n, &a.conn));
			len = ctl_conn_row_format(&a.conn, buf, sizeof(buf));
			assert_true(ctl_conn_row_parse(buf, (size_t)len, &b.conn));
			break;
		case CTL_L_TIMEOUTS:
			assert_true(ctl_timeouts_row_parse(l, n, &a.to));
			len = ctl_timeouts_row_format(&a.to, buf, sizeof(buf));
			assert_true(ctl_timeouts_row_parse(buf, (size_t)len, &b.to));
			break;
		case CTL_L_TABLE:
			assert_true(ctl_table_row_parse(l, n, &a.tab));
			len = ctl_table_row_format(&a.tab, buf, sizeof(buf));
			assert_true(ctl_table_row_parse(buf, (size_t)len, &b.tab));
			break;
		case CTL_L_DROP:
			assert_true(ctl_drop_row_parse(l, n, &a.drop));
			len = ctl_drop_row_format(&a.drop, buf, sizeof(buf));
			assert_true(ctl_drop_row_parse(buf, (size_t)len, &b.drop));
			break;
		default:
			fail_msg("kind of %s", l);
		}
		assert_string_equal(buf, l);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

static void test_ctl_rows_any_order_unknown_keys(void **state)
{
	struct ctl_timeouts_row to;
	struct ctl_rs_row rs;
	static const char rs_line[] =
		"rs check=%68%69 health=up lat_us=12 outbps=0 inbps=0 outpps=0 "
		"inpps=0 cps=0 outbytes=0 inbytes=0 outpkts=0 inpkts=0 conns=0 "
		"inactive=0 active=0 weight=1 fwd=dr daddr=10.0.1.1:80 "
		"new_field=whatever zone=eu\r\n";

	(void)state;
	assert_true(ctl_timeouts_row_parse("timeouts udp=3 tcpfin=2 tcp=1 x=y",
					   33, &to));
	assert_int_equal(to.tcp, 1);
	assert_int_equal(to.tcpfin, 2);
	assert_int_equal(to.udp, 3);
	/* the last of a repeated key wins */
	assert_true(ctl_timeouts_row_parse("timeouts tcp=1 tcpfin=2 udp=3 tcp=9",
					   35, &to));
	assert_int_equal(to.tcp, 9);
	assert_true(ctl_rs_row_parse(rs_line, strlen(rs_line), &rs));
	assert_string_equal(rs.check, "hi");
	assert_int_equal(rs.lat_us, 12);
	assert_true(rs.up);
}

struct row_bad {
	const char *line;
	const char *why;
};

static const struct row_bad row_bads[] = {
	/* line                                                     why */
	{ "timeouts tcp=1 tcpfin=2",                                "missing udp" },
	{ "timeouts tcp=1 tcpfin=2 udp=4294967296",                 "u32 overflow" },
	{ "timeouts tcp=1 tcpfin=2 udp=",                           "empty number" },
	{ "timeouts tcp=1 tcpfin=2 udp=0x10",                       "hex" },
	{ "timeouts tcp=1 tcpfin=2 udp=3 garbage",                  "no '='" },
	{ "timeouts tcp=1 tcpfin=2 udp=-3",                         "sign" },
	{ "timeout tcp=1 tcpfin=2 udp=3",                           "wrong kind" },
	{ "svc tcp=1 tcpfin=2 udp=3",                               "wrong fields" },
	{ "info proto=1 ver=1.2.x size=1",                          "bad ver" },
	{ "info proto=1 ver= size=1",                               "empty ver" },
	{ "info proto=1 ver=1.2.1.1.1.1.1.1.1 size=1",              "ver too long" },
	{ "conn proto=icmp caddr=1.2.3.4:1 vaddr=5.6.7.8:2 daddr=9.10.11.12:3 "
	  "state=X expire=0",                                       "proto" },
	{ "conn proto=tcp caddr=1.2.3.4:1 vaddr=5.6.7.8:2 daddr=9.10.11.12:3 "
	  "state=ESTABLISHED_TOO_LONG expire=0",                    "state too long" },
	{ "conn proto=tcp caddr=1.2.3.4:1 vaddr=5.6.7.8:2 daddr=9.10.11.12:3 "
	  "state=X-Y expire=0",                                     "state chars" },
	{ "conn proto=tcp caddr=1.2.3.4 vaddr=5.6.7.8:2 daddr=9.10.11.12:3 "
	  "state=X expire=0",                                       "no port" },
	{ "rs daddr=10.0.1.1:80 fwd=tun weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=- check=",             "fwd" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=65536 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=- check=",             "weight" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=sick lat_us=- check=",           "health" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=4294967295 check=",    "lat sentinel" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=- check=%4",           "short escape" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=- check=%00",          "NUL escape" },
	{ "rs daddr=10.0.1.1:80 fwd=dr weight=1 active=0 inactive=0 conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0 health=up lat_us=- check=%zz",          "bad hex" },
	{ "svc proto=tcp vaddr=10.0.0.1:80 sched=wrr conns=18446744073709551616 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0",                                       "u64 overflow" },
	{ "svc proto=tcp vaddr=10.0.0.1:80 sched= conns=0 "
	  "inpkts=0 outpkts=0 inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 "
	  "inbps=0 outbps=0",                                       "empty sched" },
};

static void test_ctl_rows_reject_malformed(void **state)
{
	union {
		struct ctl_info_row info;
		struct ctl_svc_row svc;
		struct ctl_rs_row rs;
		struct ctl_conn_row conn;
		struct ctl_timeouts_row to;
	} u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(row_bads) / sizeof(row_bads[0]); i++) {
		const char *l = row_bads[i].line;
		size_t n = strlen(l);

		if (ctl_info_row_parse(l, n, &u.info) ||
		    ctl_svc_row_parse(l, n, &u.svc) ||
		    ctl_rs_row_parse(l, n, &u.rs) ||
		    ctl_conn_row_parse(l, n, &u.conn) ||
		    ctl_timeouts_row_parse(l, n, &u.to))
			fail_msg("accepted (%s): %s", row_bads[i].why, l);
	}
}

static void test_ctl_rows_check_text_too_long_for_row(void **state)
{
	static char line[CTL_LINE_MAX * 2];
	struct ctl_rs_row rs;
	size_t off;
	int i;

	(void)state;
	off = (size_t)snprintf(line, sizeof(line), "rs daddr=10.0.1.1:80 fwd=dr "
		"weight=1 active=0 inactive=0 conns=0 inpkts=0 outpkts=0 "
		"inbytes=0 outbytes=0 cps=0 inpps=0 outpps=0 inbps=0 outbps=0 "
		"health=up lat_us=- check=");
	for (i = 0; i < CTL_CHECK_MAX; i++)
		line[off++] = 'a';	/* one more than fits with its NUL */
	line[off] = '\0';
	assert_false(ctl_rs_row_parse(line, off, &rs));
	line[--off] = '\0';
	assert_true(ctl_rs_row_parse(line, off, &rs));
	assert_int_equal(strlen(rs.check), CTL_CHECK_MAX - 1);
	/* a full check text of bytes that all need escaping still fits a line */
	memset(rs.check, '%', CTL_CHECK_MAX - 1);
	rs.st.conns = rs.st.inpkts = rs.st.outpkts = rs.st.inbytes = UINT64_MAX;
	rs.st.outbytes = rs.st.cps = rs.st.inpps = rs.st.outpps = UINT64_MAX;
	rs.st.inbps = rs.st.outbps = UINT64_MAX;
	assert_true(ctl_rs_row_format(&rs, line, sizeof(line)) > 0);
	assert_true(strlen(line) < CTL_LINE_MAX);
	/* but not into a small buffer */
	assert_int_equal(ctl_rs_row_format(&rs, line, 100), -1);
	assert_string_equal(line, "");
}

/* ---- err lines ----------------------------------------------------------- */

static void test_ctl_err_format_parse(void **state)
{
	char buf[CTL_LINE_MAX], msg[CTL_LINE_MAX];
	enum ctl_err code;
	int c;

	(void)state;
	for (c = CTL_E_NONE + 1; c < CTL_E_MAX; c++) {
		assert_true(ctl_err_format((enum ctl_err)c, "some text\there\x01", buf,
					   sizeof(buf)) > 0);
		assert_memory_equal(buf, "err ", 4);
		assert_int_equal(ctl_line_kind(buf, strlen(buf)), CTL_L_ERR);
		assert_true(ctl_err_parse(buf, strlen(buf), &code, msg, sizeof(msg)));
		assert_int_equal(code, c);
		assert_string_equal(msg, "some text?here?");
	}
	assert_int_equal(ctl_err_format(CTL_E_ESRCH, NULL, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "err ESRCH\n");
	assert_true(ctl_err_parse(buf, 10, &code, msg, sizeof(msg)));
	assert_string_equal(msg, "");
	assert_int_equal(ctl_err_format(CTL_E_NONE, "x", buf, sizeof(buf)), -1);
	assert_int_equal(ctl_err_format(CTL_E_MAX, "x", buf, sizeof(buf)), -1);
	assert_int_equal(ctl_err_format(CTL_E_ESRCH, "x", buf, 10), -1);
	/* a long message is cut to one protocol line */
	{
		static char big[3 * CTL_LINE_MAX];

		memset(big, 'm', sizeof(big) - 1);
		assert_int_equal(ctl_err_format(CTL_E_EPROTO, big, buf, sizeof(buf)),
				 CTL_LINE_MAX - 1);
		assert_int_equal(buf[CTL_LINE_MAX - 2], '\n');
	}
	/* a short message buffer cuts, never overflows */
	assert_true(ctl_err_parse("err EPROTO abcdef\n", 18, &code, msg, 4));
	assert_string_equal(msg, "abc");
	assert_false(ctl_err_parse("err EWHAT x\n", 12, &code, msg, sizeof(msg)));
	assert_false(ctl_err_parse("err\n", 4, &code, msg, sizeof(msg)));
	assert_false(ctl_err_parse("error ESRCH x\n", 14, &code, msg, sizeof(msg)));
	assert_string_equal(ctl_err_name(CTL_E_EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(ctl_err_name(CTL_E_MAX), "?");
}

struct strerror_case {
	enum ctl_verb verb;
	enum ctl_err code;
	const char *msg;
	const char *expect;
};

/* ipvsadm's ipvs_strerror() answers, keyed by our verbs. */
static const struct strerror_case strerror_cases[] = {
	/* verb             code               daemon msg  expected */
	{ CTL_V_SVC_ADD,  CTL_E_EEXIST,      "x", "Service already exists" },
	{ CTL_V_SVC_ADD,  CTL_E_ENOENT,      "x", "Scheduler not found" },
	{ CTL_V_SVC_EDIT, CTL_E_ESRCH,       "x", "No such service" },
	{ CTL_V_SVC_EDIT, CTL_E_ENOENT,      "x", "Scheduler not found" },
	{ CTL_V_SVC_DEL,  CTL_E_ESRCH,       "x", "No such service" },
	{ CTL_V_ZERO,     CTL_E_ESRCH,       "x", "No such service" },
	{ CTL_V_RS_ADD,   CTL_E_ESRCH,       "x", "Service not defined" },
	{ CTL_V_RS_ADD,   CTL_E_EEXIST,      "x", "Destination already exists" },
	{ CTL_V_RS_EDIT,  CTL_E_ESRCH,       "x", "Service not defined" },
	{ CTL_V_RS_EDIT,  CTL_E_ENOENT,      "x", "No such destination" },
	{ CTL_V_RS_DEL,   CTL_E_ESRCH,       "x", "Service not defined" },
	{ CTL_V_RS_DEL,   CTL_E_ENOENT,      "x", "No such destination" },
	{ CTL_V_LIST,     CTL_E_ESRCH,       "x", "No such service" },
	{ CTL_V_CLEAR,    CTL_E_EPERM,       "x", "Permission denied (you must be root)" },
	{ CTL_V_RS_ADD,   CTL_E_EINVAL,      "x", "Invalid operation.  Possibly wrong "
					       "module version, address not unicast, ..." },
	{ CTL_V_SVC_ADD,  CTL_E_ENOMEM,      "x", "Memory allocation problem" },
	{ CTL_V_RS_ADD,   CTL_E_EOPNOTSUPP,  "mixed forwarding methods",
					     "mixed forwarding methods" },
	{ CTL_V_HELLO,    CTL_E_EPROTO,      "unsupported protocol version 2",
					     "unsupported protocol version 2" },
	{ CTL_V_LIST,     CTL_E_ETIMEDOUT,   "",  "ETIMEDOUT" },
	{ CTL_V_LIST,     CTL_E_ETIMEDOUT,   NULL, "ETIMEDOUT" },
};

static void test_ctl_strerror_matches_ipvsadm(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(strerror_cases) / sizeof(strerror_cases[0]); i++) {
		const struct strerror_case *c = &strerror_cases[i];

		assert_string_equal(ctl_strerror(c->verb, c->code, c->msg), c->expect);
	}
}

static void test_ctl_line_kind(void **state)
{
	static const struct {
		const char *line;
		enum ctl_line kind;
	} cases[] = {
		/* line                   kind */
		{ "ok\n",                 CTL_L_OK },
		{ "ok",                   CTL_L_OK },
		{ "ok extra\n",           CTL_L_BAD },
		{ ".\n",                  CTL_L_END },
		{ "..\n",                 CTL_L_BAD },
		{ "err ESRCH x\n",        CTL_L_ERR },
		{ "info proto=1\n",       CTL_L_INFO },
		{ "svc a=b\n",            CTL_L_SVC },
		{ "rs a=b\n",             CTL_L_RS },
		{ "conn a=b\n",           CTL_L_CONN },
		{ "timeouts a=b\n",       CTL_L_TIMEOUTS },
		{ "svcx a=b\n",           CTL_L_BAD },
		{ "future-row a=b\n",     CTL_L_BAD },
		{ "\n",                   CTL_L_BAD },
		{ "",                     CTL_L_BAD },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(ctl_line_kind(cases[i].line, strlen(cases[i].line)),
				 cases[i].kind);
	assert_int_equal(ctl_line_kind("ok\0\n", 4), CTL_L_BAD);
	assert_int_equal(ctl_line_kind(NULL, 0), CTL_L_BAD);
}

static void test_ctl_verbs_table(void **state)
{
	static const enum ctl_verb writes[] = {
		CTL_V_SVC_ADD, CTL_V_SVC_EDIT, CTL_V_SVC_DEL, CTL_V_RS_ADD,
		CTL_V_RS_EDIT, CTL_V_RS_DEL, CTL_V_CLEAR, CTL_V_ZERO,
	};
	size_t i;
	int v, n = 0;

	(void)state;
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		assert_true(ctl_verb_is_write(writes[i]));
	for (v = CTL_V_NONE; v <= CTL_V_MAX; v++)
		n += ctl_verb_is_write((enum ctl_verb)v);
	assert_int_equal(n, (int)(sizeof(writes) / sizeof(writes[0])));
	assert_string_equal(ctl_verb_name(CTL_V_NONE), "?");
	assert_string_equal(ctl_verb_name(CTL_V_RS_EDIT), "rs-edit");
}

/* Every single byte after a valid prefix: accepted only if text. */
static void test_ctl_req_parse_every_byte(void **state)
{
	char line[32], err[CTL_ERR_LEN];
	struct ctl_req r;
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		bool ok;

		memcpy(line, "list", 4);
		line[4] = (char)b;
		ok = ctl_req_parse(line, 5, &r, err, sizeof(err));
		/* "list" + space/tab/newline/CR parses; anything else does not */
		assert_int_equal(ok, b == ' ' || b == '\t' || b == '\n' || b == '\r');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_req_parse_every_verb),
		cmocka_unit_test(test_ctl_req_parse_rejects),
		cmocka_unit_test(test_ctl_req_parse_line_length_limit),
		cmocka_unit_test(test_ctl_req_format_rejects_what_cannot_be_sent),
		cmocka_unit_test(test_ctl_req_parse_every_byte),
		cmocka_unit_test(test_ctl_rows_format_exactly),
		cmocka_unit_test(test_ctl_rows_round_trip),
		cmocka_unit_test(test_ctl_rows_any_order_unknown_keys),
		cmocka_unit_test(test_ctl_rows_reject_malformed),
		cmocka_unit_test(test_ctl_rows_check_text_too_long_for_row),
		cmocka_unit_test(test_ctl_err_format_parse),
		cmocka_unit_test(test_ctl_strerror_matches_ipvsadm),
		cmocka_unit_test(test_ctl_line_kind),
		cmocka_unit_test(test_ctl_verbs_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
