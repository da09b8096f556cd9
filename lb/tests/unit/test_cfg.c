/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cfg (L1): keepalived.conf LVS subset -> struct cfg. Three
 * tables: files that parse (with a check of the fields), files that fail
 * (with the exact "file:line:" and a distinctive part of the message), and a
 * few cases that need generated text or special buffers.
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

#include "cfg.h"

#define FNAME	"t.conf"

static struct cfg *parse_ok(const char *text)
{
	char err[CFG_ERR_LEN] = "";
	struct cfg *c = cfg_parse(text, strlen(text), FNAME, err, sizeof(err));

	if (c == NULL)
		fail_msg("unexpected error: %s", err);
	return c;
}

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- files that parse --------------------------------------------------- */

struct ok_case {
	const char *name;
	const char *text;
	void (*check)(const struct cfg *c);
};

#define VS	"virtual_server 10.0.0.1 80 {\n"
#define RS	"  real_server 10.0.1.1 80 {\n"
#define RS2	"  real_server 10.0.1.2 80 {\n"

static void chk_defaults(const struct cfg *c)
{
	const struct cfg_svc *svc = &c->svc[0];
	const struct cfg_rs *rs = &svc->rs[0];

	assert_int_equal(c->n_svc, 1);
	assert_int_equal(c->conn_max, 1048576);
	assert_int_equal(c->half_open_max, 1048576 / 8);
	assert_int_equal(c->tcp_timeout_ms, 0);
	assert_int_equal(c->tcpfin_timeout_ms, 0);
	assert_int_equal(c->udp_timeout_ms, 0);
	assert_false(c->expire_nodest_conn);
	assert_int_equal(c->rx_coalesce_us, 0);
	assert_int_equal(svc->vaddr, ip("10.0.0.1"));
	assert_int_equal(svc->vport, htons(80));
	assert_int_equal(svc->proto, IPPROTO_TCP);
	assert_int_equal(svc->fwd, LB_FWD_NAT);
	assert_string_equal(svc->sched, "wrr");
	assert_int_equal(svc->delay_loop_ms, 60000);
	assert_int_equal(svc->line, 1);
	assert_int_equal(svc->n_rs, 1);
	assert_int_equal(rs->addr, ip("10.0.1.1"));
	assert_int_equal(rs->port, htons(80));
	assert_int_equal(rs->weight, 1);
	assert_false(rs->inhibit_on_failure);
	assert_int_equal(rs->rise, 1);
	assert_int_equal(rs->fall, 1);
	assert_int_equal(rs->line, 2);
	assert_int_equal(rs->check.kind, CFG_CHECK_NONE);
	assert_int_equal(rs->check.connect_timeout_ms, 5000);
	assert_int_equal(rs->check.connect_port, 0);
	assert_int_equal(rs->check.retry, 1);
	assert_int_equal(rs->check.delay_before_retry_ms, 1000);
	assert_string_equal(rs->check.path, "");
	assert_int_equal(rs->check.status_code, 0);
}

static void chk_rr(const struct cfg *c) { assert_string_equal(c->svc[0].sched, "rr"); }
static void chk_wrr(const struct cfg *c) { assert_string_equal(c->svc[0].sched, "wrr"); }
static void chk_dr(const struct cfg *c) { assert_int_equal(c->svc[0].fwd, LB_FWD_DR); }
static void chk_nat(const struct cfg *c) { assert_int_equal(c->svc[0].fwd, LB_FWD_NAT); }
static void chk_udp(const struct cfg *c) { assert_int_equal(c->svc[0].proto, IPPROTO_UDP); }
static void chk_tcp(const struct cfg *c) { assert_int_equal(c->svc[0].proto, IPPROTO_TCP); }
static void chk_delay_200(const struct cfg *c) { assert_int_equal(c->svc[0].delay_loop_ms, 200); }
static void chk_delay_6s(const struct cfg *c) { assert_int_equal(c->svc[0].delay_loop_ms, 6000); }
static void chk_delay_1500(const struct cfg *c) { assert_int_equal(c->svc[0].delay_loop_ms, 1500); }

static void chk_inhibit_svc(const struct cfg *c)
{
	assert_true(c->svc[0].rs[0].inhibit_on_failure);
	assert_false(c->svc[0].rs[1].inhibit_on_failure);	/* "off" wins */
}

static void chk_inhibit_bool(const struct cfg *c)
{
	assert_true(c->svc[0].rs[0].inhibit_on_failure);
	assert_false(c->svc[0].rs[1].inhibit_on_failure);
}

static void chk_rise_fall(const struct cfg *c)
{
	assert_int_equal(c->svc[0].rs[0].rise, 3);
	assert_int_equal(c->svc[0].rs[0].fall, 2);
	assert_int_equal(c->svc[0].rs[1].rise, 5);	/* own value wins */
	assert_int_equal(c->svc[0].rs[1].fall, 2);
}

static void chk_weights(const struct cfg *c)
{
	assert_int_equal(c->svc[0].rs[0].weight, 0);
	assert_int_equal(c->svc[0].rs[1].weight, 65535);
}

static void chk_tcp_check(const struct cfg *c)
{
	const struct cfg_check *k = &c->svc[0].rs[0].check;

	assert_int_equal(k->kind, CFG_CHECK_TCP);
	assert_int_equal(k->connect_timeout_ms, 2500);
	assert_int_equal(k->connect_port, 8080);
	assert_int_equal(k->retry, 3);
	assert_int_equal(k->delay_before_retry_ms, 250);
}

static void chk_nb_get_retry(const struct cfg *c)
{
	assert_int_equal(c->svc[0].rs[0].check.retry, 4);
}

static void chk_http_get(const struct cfg *c)
{
	const struct cfg_check *k = &c->svc[0].rs[0].check;

	assert_int_equal(k->kind, CFG_CHECK_HTTP);
	assert_string_equal(k->path, "/health");
	assert_int_equal(k->status_code, 200);
	assert_int_equal(k->connect_timeout_ms, 3000);
	assert_int_equal(k->connect_port, 8081);
	assert_int_equal(k->retry, 2);
	assert_int_equal(k->delay_before_retry_ms, 2000);
}

static void chk_http_any_2xx(const struct cfg *c)
{
	assert_int_equal(c->svc[0].rs[0].check.status_code, 0);
	assert_string_equal(c->svc[0].rs[0].check.path, "/");
}

static void chk_inherit_retry(const struct cfg *c)
{
	const struct cfg_svc *svc = &c->svc[0];

	/* svc sets 5 / 0.5 s; rs0 takes them, rs1's checker sets its own. */
	assert_int_equal(svc->rs[0].check.retry, 5);
	assert_int_equal(svc->rs[0].check.delay_before_retry_ms, 500);
	assert_int_equal(svc->rs[1].check.retry, 7);
	assert_int_equal(svc->rs[1].check.delay_before_retry_ms, 700);
}

static void chk_global(const struct cfg *c)
{
	assert_int_equal(c->tcp_timeout_ms, 900000);
	assert_int_equal(c->tcpfin_timeout_ms, 120000);
	assert_int_equal(c->udp_timeout_ms, 300000);
	assert_int_equal(c->conn_max, 1000);
	assert_int_equal(c->half_open_max, 10);
	assert_true(c->expire_nodest_conn);
	assert_int_equal(c->rx_coalesce_us, 25);
	assert_int_equal(c->n_svc, 0);
}

static void chk_coalesce_max(const struct cfg *c)
{
	assert_int_equal(c->rx_coalesce_us, CFG_COALESCE_US_MAX);
}

static void chk_coalesce_off(const struct cfg *c)
{
	assert_int_equal(c->rx_coalesce_us, 0);
}

static void chk_half_open_default(const struct cfg *c)
{
	assert_int_equal(c->conn_max, 1000);
	assert_int_equal(c->half_open_max, 125);
}

static void chk_half_open_min(const struct cfg *c)
{
	assert_int_equal(c->conn_max, 4);
	assert_int_equal(c->half_open_max, 1);
}

static void chk_timeout_max(const struct cfg *c)
{
	assert_int_equal(c->udp_timeout_ms, 24u * 86400u * 1000u);
}

static void chk_one_svc_one_rs(const struct cfg *c)
{
	assert_int_equal(c->n_svc, 1);
	assert_int_equal(c->svc[0].n_rs, 1);
	assert_int_equal(c->svc[0].rs[0].weight, 3);
}

static void chk_compact(const struct cfg *c)
{
	const struct cfg_rs *rs = &c->svc[0].rs[0];

	assert_int_equal(rs->weight, 3);
	assert_true(rs->inhibit_on_failure);
	assert_string_equal(rs->check.path, "/h");
	assert_int_equal(rs->check.status_code, 204);
	assert_int_equal(rs->check.connect_timeout_ms, 1000);
	assert_int_equal(c->svc[0].n_rs, 2);
}

static void chk_quoted(const struct cfg *c)
{
	assert_string_equal(c->svc[0].rs[0].check.path, "/a{b}#c!d");
	assert_int_equal(c->svc[0].rs[0].weight, 7);
}

static void chk_empty(const struct cfg *c)
{
	assert_int_equal(c->n_svc, 0);
	assert_null(c->svc);
}

static void chk_no_rs(const struct cfg *c)
{
	assert_int_equal(c->n_svc, 1);
	assert_int_equal(c->svc[0].n_rs, 0);
}

static void chk_tcp_udp_same_vip(const struct cfg *c)
{
	assert_int_equal(c->n_svc, 2);
	assert_int_equal(c->svc[0].proto, IPPROTO_TCP);
	assert_int_equal(c->svc[1].proto, IPPROTO_UDP);
	assert_int_equal(c->svc[1].line, 4);
}

static void chk_dr_same_port(const struct cfg *c)
{
	assert_int_equal(c->svc[0].fwd, LB_FWD_DR);
	assert_int_equal(c->svc[0].rs[0].port, htons(80));
}

static void chk_nat_port_change(const struct cfg *c)
{
	assert_int_equal(c->svc[0].rs[0].port, htons(8080));
}

static const struct ok_case ok_cases[] = {
	{ "test_cfg_defaults", VS RS "  }\n}\n", chk_defaults },
	{ "test_cfg_lb_algo_rr", VS "lb_algo rr\n}\n", chk_rr },
	{ "test_cfg_lvs_sched_alias", VS "lvs_sched rr\n}\n", chk_rr },
	{ "test_cfg_lb_algo_wrr", VS "lb_algo wrr\n}\n", chk_wrr },
	{ "test_cfg_lb_kind_dr", VS "lb_kind DR\n}\n", chk_dr },
	{ "test_cfg_lvs_method_alias_lowercase", VS "lvs_method dr\n}\n", chk_dr },
	{ "test_cfg_lb_kind_nat", VS "lb_kind NAT\n}\n", chk_nat },
	{ "test_cfg_protocol_udp", VS "protocol UDP\n}\n", chk_udp },
	{ "test_cfg_protocol_tcp_lowercase", VS "protocol tcp\n}\n", chk_tcp },
	{ "test_cfg_delay_loop_fractional", VS "delay_loop 0.2\n}\n", chk_delay_200 },
	{ "test_cfg_delay_loop_integer", VS "delay_loop 6\n}\n", chk_delay_6s },
	{ "test_cfg_delay_loop_trailing_zeros", VS "delay_loop 1.500000\n}\n",
	  chk_delay_1500 },
	{ "test_cfg_inhibit_on_failure_inherited",
	  VS RS "}\n" RS2 "inhibit_on_failure off\n}\n"
	  "inhibit_on_failure\n}\n", chk_inhibit_svc },
	{ "test_cfg_rise_fall_inherited",
	  VS "rise 3\nfall 2\n" RS "}\n" RS2 "rise 5\n}\n}\n", chk_rise_fall },
	{ "test_cfg_weight_bounds",
	  VS RS "weight 0\n}\n" RS2 "weight 65535\n}\n}\n", chk_weights },
	{ "test_cfg_tcp_check_fields",
	  VS RS "TCP_CHECK {\nconnect_timeout 2.5\nconnect_port 8080\nretry 3\n"
	  "delay_before_retry 0.25\n}\n}\n}\n", chk_tcp_check },
	{ "test_cfg_nb_get_retry_alias",
	  VS RS "TCP_CHECK {\nnb_get_retry 4\n}\n}\n}\n", chk_nb_get_retry },
	{ "test_cfg_http_get_fields",
	  VS RS "HTTP_GET {\nurl {\npath /health\nstatus_code 200\n}\n"
	  "connect_timeout 3\nconnect_port 8081\nretry 2\n"
	  "delay_before_retry 2\n}\n}\n}\n", chk_http_get },
	{ "test_cfg_http_get_status_default_any_2xx",
	  VS RS "HTTP_GET {\nurl {\npath /\n}\n}\n}\n}\n", chk_http_any_2xx },
	{ "test_cfg_retry_inherited_from_svc",
	  VS RS "TCP_CHECK {\n}\n}\n"
	  RS2 "TCP_CHECK {\nretry 7\ndelay_before_retry 0.7\n}\n}\n"
	  "retry 5\ndelay_before_retry 0.5\n}\n", chk_inherit_retry },
	{ "test_cfg_global_defs",
	  "global_defs {\n  router_id LVS_DEVEL\n"
	  "  notification_email {\n    ops@example.com\n    a@b.c\n  }\n"
	  "  notification_email_from lb@example.com\n"
	  "  smtp_server 192.0.2.1 25\n  smtp_connect_timeout 30\n"
	  "  lvs_timeouts tcp 900 tcpfin 120 udp 300\n"
	  "  lbd_conn_max 1000\n  lbd_half_open_max 10\n"
	  "  expire_nodest_conn\n  lbd_rx_coalesce_us 25\n}\n", chk_global },
	{ "test_cfg_rx_coalesce_max",
	  "global_defs {\nlbd_rx_coalesce_us 1000\n}\n", chk_coalesce_max },
	{ "test_cfg_rx_coalesce_last_wins",
	  "global_defs {\nlbd_rx_coalesce_us 7\nlbd_rx_coalesce_us 0\n}\n",
	  chk_coalesce_off },
	{ "test_cfg_half_open_default_is_eighth",
	  "global_defs {\nlbd_conn_max 1000\n}\n", chk_half_open_default },
	{ "test_cfg_half_open_default_at_least_one",
	  "global_defs {\nlbd_conn_max 4\n}\n", chk_half_open_min },
	{ "test_cfg_lvs_timeouts_max_24_days",
	  "global_defs {\nlvs_timeouts udp 2073600\n}\n", chk_timeout_max },
	{ "test_cfg_comments_hash_and_bang",
	  "# leading comment\n! keepalived style\n"
	  "virtual_server 10.0.0.1 80 { # trailing\n"
	  "  ! inside a block\n"
	  "  real_server 10.0.1.1 80 {\n    weight 3 ! after a value\n"
	  "  }#glued\n}\n", chk_one_svc_one_rs },
	{ "test_cfg_brace_on_next_line",
	  "virtual_server 10.0.0.1 80\n{\n  real_server 10.0.1.1 80\n  {\n"
	  "weight 3\n  }\n}\n", chk_one_svc_one_rs },
	{ "test_cfg_compact_one_line_forms",
	  "virtual_server 10.0.0.1 80 {\n"
	  "real_server 10.0.1.1 80 { weight 3 inhibit_on_failure\n"
	  "HTTP_GET { url { path /h status_code 204 } connect_timeout 1 } }\n"
	  "real_server 10.0.1.2 80 { weight 1 } }\n", chk_compact },
	{ "test_cfg_quoted_strings",
	  "global_defs {\nrouter_id \"my router # 1\"\n}\n"
	  VS RS "weight \"7\"\nHTTP_GET {\nurl {\npath \"/a{b}#c!d\"\n}\n}\n}\n}\n",
	  chk_quoted },
	{ "test_cfg_crlf_line_endings",
	  "virtual_server 10.0.0.1 80 {\r\n real_server 10.0.1.1 80 {\r\n"
	  "weight 3\r\n}\r\n}\r\n", chk_one_svc_one_rs },
	{ "test_cfg_no_final_newline",
	  VS RS "weight 3\n}\n}", chk_one_svc_one_rs },
	{ "test_cfg_empty_file", "", chk_empty },
	{ "test_cfg_only_comments", "# nothing\n! here\n\n   \n", chk_empty },
	{ "test_cfg_svc_without_real_servers", VS "lb_algo rr\n}\n", chk_no_rs },
	{ "test_cfg_same_vip_port_tcp_and_udp",
	  VS "protocol TCP\n}\n" VS "protocol UDP\n}\n", chk_tcp_udp_same_vip },
	{ "test_cfg_dr_same_port", VS "lb_kind DR\n" RS "}\n}\n", chk_dr_same_port },
	{ "test_cfg_nat_may_change_port",
	  VS "lb_kind NAT\nreal_server 10.0.1.1 8080 {\n}\n}\n",
	  chk_nat_port_change },
	{ "test_cfg_inhibit_on_failure_bool_arg",
	  VS RS "inhibit_on_failure yes\n}\n" RS2 "inhibit_on_failure off\n}\n}\n",
	  chk_inhibit_bool },
};

static void run_ok_case(void **state)
{
	const struct ok_case *tc = *state;
	struct cfg *c = parse_ok(tc->text);

	if (tc->check != NULL)
		tc->check(c);
	cfg_free(c);
}

/* ---- files that fail ---------------------------------------------------- */

struct err_case {
	const char *name;
	const char *text;
	unsigned int line;	/* expected line in "t.conf:<line>: " */
	const char *msg;	/* expected part of the message */
};

static const struct err_case err_cases[] = {
	/* keywords */
	{ "test_cfg_err_unknown_keyword", VS "  lb_algoo rr\n}\n", 2,
	  "unknown keyword 'lb_algoo' in virtual_server" },
	{ "test_cfg_err_unknown_top_keyword", "\n\nfoo bar\n", 3,
	  "unknown keyword 'foo' in the top level" },
	{ "test_cfg_err_keyword_in_wrong_block", VS "weight 2\n}\n", 2,
	  "'weight' is not allowed in virtual_server (it belongs in real_server)" },
	{ "test_cfg_err_real_server_at_top", "real_server 10.0.1.1 80 {\n}\n", 1,
	  "'real_server' is not allowed in the top level" },
	{ "test_cfg_err_lb_kind_in_real_server", VS RS "lb_kind DR\n}\n}\n", 3,
	  "'lb_kind' is not allowed in real_server" },
	{ "test_cfg_err_nested_virtual_server", VS VS "}\n}\n", 2,
	  "'virtual_server' is not allowed in virtual_server" },
	{ "test_cfg_err_lb_algo_lc", VS "lb_algo lc\n}\n", 2,
	  "lb_algo 'lc' is not supported by lbd (rr or wrr)" },
	{ "test_cfg_err_lb_kind_tun", VS "lb_kind TUN\n}\n", 2,
	  "TUN is not supported (no IPIP here)" },
	{ "test_cfg_err_lb_kind_unknown", VS "lvs_method FOO\n}\n", 2,
	  "unknown lvs_method 'FOO' (NAT or DR)" },
	{ "test_cfg_err_protocol_sctp", VS "protocol SCTP\n}\n", 2,
	  "protocol 'SCTP' is not supported" },
	{ "test_cfg_err_vrrp_instance", "vrrp_instance VI_1 {\n}\n", 1,
	  "'vrrp_instance' is not supported by lbd" },
	{ "test_cfg_err_vrrp_sync_group", "\nvrrp_sync_group G {\n}\n", 2,
	  "'vrrp_sync_group' is not supported by lbd" },
	{ "test_cfg_err_virtual_server_group", "virtual_server_group G {\n}\n", 1,
	  "'virtual_server_group' is not supported by lbd" },
	{ "test_cfg_err_include", "include /etc/keepalived/*.conf\n", 1,
	  "'include' is not supported by lbd" },
	{ "test_cfg_err_fwmark_service", "virtual_server fwmark 1 {\n}\n", 1,
	  "virtual_server 'fwmark' is not supported by lbd" },
	{ "test_cfg_err_persistence_timeout", VS "persistence_timeout 50\n}\n", 2,
	  "'persistence_timeout' is not supported by lbd" },
	{ "test_cfg_err_sorry_server", VS "sorry_server 10.0.9.9 80\n}\n", 2,
	  "'sorry_server' is not supported by lbd" },
	{ "test_cfg_err_ssl_get", VS RS "SSL_GET {\n}\n}\n}\n", 3,
	  "'SSL_GET' is not supported by lbd" },
	{ "test_cfg_err_digest", VS RS "HTTP_GET {\nurl {\npath /\n"
	  "digest 640205b7b0fc66c1ea91c463fac6334d\n}\n}\n}\n}\n", 6,
	  "'digest' is not supported" },
	{ "test_cfg_err_conditional_line", "global_defs {\n@main router_id a\n}\n",
	  2, "'@main': conditional lines" },
	{ "test_cfg_err_digest_compact", VS RS "HTTP_GET {\n"
	  "url { path / digest 640205b7 }\n}\n}\n}\n", 4,
	  "'digest' is not supported by lbd" },
	{ "test_cfg_err_wrong_block_compact", VS RS "weight 1 lb_kind DR\n}\n}\n", 3,
	  "'lb_kind' is not allowed in real_server" },
	/* addresses and ports */
	{ "test_cfg_err_ipv6", "virtual_server 2001:db8::1 80 {\n}\n", 1,
	  "'2001:db8::1' is not an IPv4 address (lbd is IPv4 only)" },
	{ "test_cfg_err_short_address", "virtual_server 10.0.0 80 {\n}\n", 1,
	  "'10.0.0' is not an IPv4 address" },
	{ "test_cfg_err_hostname", VS "real_server www.example.com 80 {\n}\n}\n", 2,
	  "'www.example.com' is not an IPv4 address" },
	{ "test_cfg_err_zero_address", "virtual_server 0.0.0.0 80 {\n}\n", 1,
	  "'0.0.0.0' is not a unicast address" },
	{ "test_cfg_err_multicast_address", "virtual_server 224.0.0.18 80 {\n}\n",
	  1, "'224.0.0.18' is not a unicast address" },
	{ "test_cfg_err_port_zero", "virtual_server 10.0.0.1 0 {\n}\n", 1,
	  "virtual_server '0' out of range (1..65535)" },
	{ "test_cfg_err_port_too_big", VS "real_server 10.0.1.1 65536 {\n}\n}\n", 2,
	  "real_server '65536' out of range (1..65535)" },
	{ "test_cfg_err_port_not_numeric", "virtual_server 10.0.0.1 http {\n}\n", 1,
	  "virtual_server 'http' is not a number" },
	{ "test_cfg_err_connect_port_zero", VS RS "TCP_CHECK {\nconnect_port 0\n}\n}\n}\n",
	  4, "connect_port '0' out of range" },
	/* numbers */
	{ "test_cfg_err_weight_too_big", VS RS "weight 65536\n}\n}\n", 3,
	  "weight '65536' out of range (0..65535)" },
	{ "test_cfg_err_weight_negative", VS RS "weight -1\n}\n}\n", 3,
	  "weight '-1' is not a number" },
	{ "test_cfg_err_weight_overflow", VS RS "weight 18446744073709551617\n}\n}\n",
	  3, "weight '18446744073709551617' out of range" },
	{ "test_cfg_err_weight_trailing_junk", VS RS "weight 10x\n}\n}\n", 3,
	  "weight '10x' is not a number" },
	{ "test_cfg_err_weight_fractional", VS RS "weight 1.5\n}\n}\n", 3,
	  "weight '1.5' is not a number" },
	{ "test_cfg_err_semicolon_is_not_a_separator", VS RS "weight 1;\n}\n}\n", 3,
	  "weight '1;' is not a number" },
	{ "test_cfg_err_rise_zero", VS RS "rise 0\n}\n}\n", 3,
	  "rise '0' out of range (1..1000)" },
	{ "test_cfg_err_delay_loop_zero", VS "delay_loop 0\n}\n", 2,
	  "delay_loop '0' is not a duration in seconds" },
	{ "test_cfg_err_delay_loop_sub_ms", VS "delay_loop 0.0001\n}\n", 2,
	  "delay_loop '0.0001' is not a duration" },
	{ "test_cfg_err_delay_loop_two_dots", VS "delay_loop 1.2.3\n}\n", 2,
	  "delay_loop '1.2.3' is not a duration" },
	{ "test_cfg_err_delay_loop_too_long", VS "delay_loop 2073601\n}\n", 2,
	  "delay_loop '2073601' is not a duration" },
	{ "test_cfg_err_connect_timeout_zero", VS RS "TCP_CHECK {\nconnect_timeout 0\n}\n}\n}\n",
	  4, "connect_timeout '0' is not a duration" },
	{ "test_cfg_err_status_code_range", VS RS "HTTP_GET {\nurl {\npath /\n"
	  "status_code 200-299\n}\n}\n}\n}\n", 6, "status_code '200-299' is not a number" },
	{ "test_cfg_err_status_code_600", VS RS "HTTP_GET {\nurl {\npath /\n"
	  "status_code 600\n}\n}\n}\n}\n", 6, "status_code '600' out of range (100..599)" },
	{ "test_cfg_err_inhibit_bad_bool", VS "inhibit_on_failure maybe\n}\n", 2,
	  "inhibit_on_failure 'maybe' is not one of on|off" },
	/* arguments */
	{ "test_cfg_err_missing_argument", VS RS "weight\n}\n}\n", 3,
	  "'weight' needs 1 argument, got 0" },
	{ "test_cfg_err_virtual_server_one_arg", "virtual_server 10.0.0.1 {\n}\n", 1,
	  "'virtual_server' needs 2 arguments, got 1" },
	{ "test_cfg_err_extra_argument", VS RS "weight 1 2\n}\n}\n", 3,
	  "extra argument '2' to 'weight'" },
	{ "test_cfg_err_extra_argument_flag", VS "inhibit_on_failure on off\n}\n", 2,
	  "extra argument 'off' to 'inhibit_on_failure'" },
	/* structure */
	{ "test_cfg_err_unbalanced_close", VS "}\n}\n", 3,
	  "unexpected '}' with no block open" },
	{ "test_cfg_err_stray_open", VS "{\n}\n}\n", 2, "unexpected '{'" },
	{ "test_cfg_err_eof_in_real_server", VS "lb_algo rr\n" RS "weight 1\n", 3,
	  "unexpected end of file: 'real_server' block opened here is not closed" },
	{ "test_cfg_err_eof_in_url", VS RS "HTTP_GET {\nurl {\npath /\n", 4,
	  "'url' block opened here is not closed" },
	{ "test_cfg_err_missing_open_brace", "virtual_server 10.0.0.1 80\n"
	  "delay_loop 6\n}\n", 1, "'virtual_server' needs a '{' block" },
	{ "test_cfg_err_block_on_flag", VS RS "weight 1 {\n}\n}\n}\n", 3,
	  "'weight' does not open a block" },
	{ "test_cfg_err_notification_email_eof", "global_defs {\nnotification_email {\n"
	  "a@b\n", 2, "'notification_email' block opened here is not closed" },
	/* lexical */
	{ "test_cfg_err_unterminated_quote", VS RS "HTTP_GET {\nurl {\n"
	  "path \"/x\n}\n}\n}\n}\n", 5, "unterminated quoted string" },
	{ "test_cfg_err_control_character", VS "lb_algo r\x01r\n}\n", 2,
	  "control character 0x01" },
	/* validation */
	{ "test_cfg_err_duplicate_virtual_server", VS "}\n\n" VS "}\n", 4,
	  "duplicate virtual_server '10.0.0.1 80' TCP (first at line 1)" },
	{ "test_cfg_err_duplicate_virtual_server_udp", VS "protocol UDP\n}\n"
	  VS "protocol udp\n}\n", 4, "duplicate virtual_server '10.0.0.1 80' UDP" },
	{ "test_cfg_err_duplicate_real_server", VS RS "}\n" RS "}\n}\n", 4,
	  "duplicate real_server '10.0.1.1 80' in this virtual_server (first at line 2)" },
	{ "test_cfg_err_dr_port_change", VS "lb_kind DR\n"
	  "real_server 10.0.1.1 8080 {\n}\n}\n", 3,
	  "real_server port '8080': DR cannot change the port" },
	{ "test_cfg_err_dr_after_real_servers", VS RS "}\n"
	  "real_server 10.0.1.2 81 {\n}\nlb_kind DR\n}\n", 4,
	  "DR cannot change the port (virtual_server port is 80)" },
	{ "test_cfg_err_half_open_above_conn_max", "global_defs {\n"
	  "lbd_half_open_max 200\nlbd_conn_max 100\n}\n", 2,
	  "lbd_half_open_max '200' exceeds lbd_conn_max 100" },
	{ "test_cfg_err_rx_coalesce_too_long",
	  "global_defs {\nlbd_rx_coalesce_us 1001\n}\n", 2,
	  "lbd_rx_coalesce_us '1001' out of range (0..1000)" },
	{ "test_cfg_err_rx_coalesce_word",
	  "global_defs {\nlbd_rx_coalesce_us auto\n}\n", 2,
	  "lbd_rx_coalesce_us 'auto' is not a number" },
	{ "test_cfg_err_rx_coalesce_missing",
	  "global_defs {\nlbd_rx_coalesce_us\n}\n", 2, "lbd_rx_coalesce_us" },
	{ "test_cfg_err_conn_max_zero", "global_defs {\nlbd_conn_max 0\n}\n", 2,
	  "lbd_conn_max '0' out of range" },
	{ "test_cfg_err_conn_max_above_table", "global_defs {\nlbd_conn_max 16777217\n}\n", 2,
	  "lbd_conn_max '16777217' out of range" },
	{ "test_cfg_err_lvs_timeouts_zero", "global_defs {\nlvs_timeouts tcp 0\n}\n",
	  2, "tcp '0' is not a duration" },
	{ "test_cfg_err_lvs_timeouts_too_long",
	  "global_defs {\nlvs_timeouts tcpfin 2073601\n}\n", 2,
	  "tcpfin '2073601' is not a duration" },
	{ "test_cfg_err_lvs_timeouts_unknown", "global_defs {\nlvs_timeouts sctp 5\n}\n",
	  2, "unknown timeout 'sctp' in lvs_timeouts" },
	{ "test_cfg_err_lvs_timeouts_missing_value",
	  "global_defs {\nlvs_timeouts tcp 10 udp\n}\n", 2,
	  "missing value after 'udp'" },
	{ "test_cfg_err_lvs_timeouts_twice",
	  "global_defs {\nlvs_timeouts tcp 10 tcp 20\n}\n", 2,
	  "timeout 'tcp' given twice" },
	{ "test_cfg_err_second_url", VS RS "HTTP_GET {\nurl {\npath /a\n}\n"
	  "url {\npath /b\n}\n}\n}\n}\n", 7, "second 'url' block in HTTP_GET" },
	{ "test_cfg_err_second_checker", VS RS "TCP_CHECK {\n}\n"
	  "HTTP_GET {\nurl {\npath /\n}\n}\n}\n}\n", 5,
	  "second checker 'HTTP_GET' in real_server" },
	{ "test_cfg_err_http_get_without_url", VS RS "HTTP_GET {\n"
	  "connect_timeout 3\n}\n}\n}\n", 3, "HTTP_GET needs a 'url' block" },
	{ "test_cfg_err_url_without_path", VS RS "HTTP_GET {\nurl {\n"
	  "status_code 200\n}\n}\n}\n}\n", 4, "url block needs a 'path'" },
	{ "test_cfg_err_path_without_slash", VS RS "HTTP_GET {\nurl {\n"
	  "path health\n}\n}\n}\n}\n", 5, "path 'health' must start with '/'" },
	{ "test_cfg_err_path_with_blank", VS RS "HTTP_GET {\nurl {\n"
	  "path \"/a b\"\n}\n}\n}\n}\n", 5, "path '/a b' has a blank" },
};

static void run_err_case(void **state)
{
	const struct err_case *tc = *state;
	char err[CFG_ERR_LEN];
	char prefix[64];
	struct cfg *c;

	memset(err, 'X', sizeof(err));
	c = cfg_parse(tc->text, strlen(tc->text), FNAME, err, sizeof(err));
	if (c != NULL) {
		cfg_free(c);
		fail_msg("parsed, expected \"%s\"", tc->msg);
	}
	snprintf(prefix, sizeof(prefix), FNAME ":%u: ", tc->line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err, tc->msg) == NULL)
		fail_msg("got \"%s\", expected \"%s...%s\"", err, prefix, tc->msg);
}

/* ---- cases that need generated text or special buffers ------------------ */

/* A keepalived.conf in the style of keepalived's doc/samples, LVS part only. */
static const char full_example[] =
	"! Configuration File for keepalived\n"
	"\n"
	"global_defs {\n"
	"   notification_email {\n"
	"     acassen\n"
	"   }\n"
	"   notification_email_from Alexandre.Cassen@firewall.loc\n"
	"   smtp_server 192.168.200.1\n"
	"   smtp_connect_timeout 30\n"
	"   router_id LVS_DEVEL\n"
	"   lvs_timeouts tcp 900 tcpfin 120 udp 300\n"
	"}\n"
	"\n"
	"virtual_server 10.10.10.2 1358 {\n"
	"    delay_loop 6\n"
	"    lb_algo rr\n"
	"    lb_kind NAT\n"
	"    protocol TCP\n"
	"\n"
	"    real_server 192.168.200.2 1358 {\n"
	"        weight 1\n"
	"        inhibit_on_failure        ! set weight to 0 instead of removing\n"
	"        HTTP_GET {\n"
	"            url {\n"
	"              path /testurl3/test.jsp\n"
	"              status_code 200\n"
	"            }\n"
	"            connect_timeout 3\n"
	"            retry 3\n"
	"            delay_before_retry 3\n"
	"        }\n"
	"    }\n"
	"    real_server 192.168.200.3 1358 {\n"
	"        weight 2\n"
	"        TCP_CHECK {\n"
	"            connect_port 1358\n"
	"            connect_timeout 3\n"
	"        }\n"
	"    }\n"
	"}\n"
	"\n"
	"virtual_server 10.10.10.3 80 {\n"
	"    delay_loop 3\n"
	"    lb_algo wrr\n"
	"    lb_kind DR\n"
	"    protocol TCP\n"
	"\n"
	"    real_server 192.168.200.4 80 {\n"
	"        weight 3\n"
	"        TCP_CHECK {\n"
	"            connect_timeout 3\n"
	"            nb_get_retry 3\n"
	"            delay_before_retry 3\n"
	"        }\n"
	"    }\n"
	"    real_server 192.168.200.5 80 {\n"
	"        weight 1\n"
	"        TCP_CHECK {\n"
	"            connect_timeout 3\n"
	"        }\n"
	"    }\n"
	"}\n"
	"\n"
	"virtual_server 10.10.10.3 53 {\n"
	"    delay_loop 10\n"
	"    lvs_sched wrr\n"
	"    lvs_method NAT\n"
	"    protocol UDP\n"
	"    real_server 192.168.200.6 5353 {\n"
	"        weight 1\n"
	"    }\n"
	"}\n";

static void test_cfg_full_keepalived_example(void **state)
{
	struct cfg *c = parse_ok(full_example);

	(void)state;
	assert_int_equal(c->n_svc, 3);
	assert_int_equal(c->tcp_timeout_ms, 900000);
	assert_int_equal(c->svc[0].vaddr, ip("10.10.10.2"));
	assert_int_equal(c->svc[0].vport, htons(1358));
	assert_int_equal(c->svc[0].line, 14);
	assert_int_equal(c->svc[0].n_rs, 2);
	assert_true(c->svc[0].rs[0].inhibit_on_failure);
	assert_int_equal(c->svc[0].rs[0].check.kind, CFG_CHECK_HTTP);
	assert_string_equal(c->svc[0].rs[0].check.path, "/testurl3/test.jsp");
	assert_int_equal(c->svc[0].rs[0].check.retry, 3);
	assert_int_equal(c->svc[0].rs[1].check.kind, CFG_CHECK_TCP);
	assert_int_equal(c->svc[0].rs[1].line, 33);
	assert_int_equal(c->svc[1].fwd, LB_FWD_DR);
	assert_int_equal(c->svc[1].delay_loop_ms, 3000);
	assert_int_equal(c->svc[1].rs[0].weight, 3);
	assert_int_equal(c->svc[2].proto, IPPROTO_UDP);
	assert_int_equal(c->svc[2].rs[0].port, htons(5353));
	cfg_free(c);
}

/* The sample keepalived ships still has persistence_timeout: a clear no. */
static void test_cfg_keepalived_sample_with_persistence(void **state)
{
	static const char text[] =
		"virtual_server 10.10.10.2 1358 {\n"
		"    delay_loop 6\n"
		"    lb_algo rr\n"
		"    lb_kind NAT\n"
		"    persistence_timeout 50\n"
		"}\n";
	char err[CFG_ERR_LEN];

	(void)state;
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_string_equal(err, FNAME ":5: 'persistence_timeout' is not "
			    "supported by lbd (no persistence)");
}

/* Appends to a growing buffer; test helper only. */
static void gen(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void gen(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < *cap - *len)
			break;
		*cap = *cap * 2 + (size_t)n;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	*len += (size_t)n;
}

static char *gen_services(size_t n_svc, size_t rs_per_svc, size_t *len)
{
	size_t cap = 1024, i, j;
	char *buf = malloc(cap);

	assert_non_null(buf);
	*len = 0;
	for (i = 0; i < n_svc; i++) {
		gen(&buf, len, &cap, "virtual_server 10.0.%zu.%zu 80 {\n",
		    i / 250, i % 250 + 1);
		for (j = 0; j < rs_per_svc; j++)
			gen(&buf, len, &cap, "real_server 10.1.%zu.%zu 80 {\n}\n",
			    j / 250, j % 250 + 1);
		gen(&buf, len, &cap, "}\n");
	}
	return buf;
}

static void test_cfg_svc_max_accepted_and_exceeded(void **state)
{
	char err[CFG_ERR_LEN];
	size_t len;
	char *text = gen_services(CFG_SVC_MAX, 0, &len);
	struct cfg *c = cfg_parse(text, len, FNAME, err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->n_svc, CFG_SVC_MAX);
	cfg_free(c);
	free(text);
	text = gen_services(CFG_SVC_MAX + 1, 0, &len);
	assert_null(cfg_parse(text, len, FNAME, err, sizeof(err)));
	/* Service 257 opens on line 2 * 256 + 1. */
	assert_string_equal(err, FNAME ":513: too many virtual servers (max 256)");
	free(text);
}

static void test_cfg_rs_max_accepted_and_exceeded(void **state)
{
	char err[CFG_ERR_LEN];
	size_t len;
	char *text = gen_services(2, CFG_RS_MAX / 2, &len);
	struct cfg *c = cfg_parse(text, len, FNAME, err, sizeof(err));

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->svc[0].n_rs + c->svc[1].n_rs, CFG_RS_MAX);
	cfg_free(c);
	free(text);
	text = gen_services(2, CFG_RS_MAX / 2 + 1, &len);
	assert_null(cfg_parse(text, len, FNAME, err, sizeof(err)));
	assert_non_null(strstr(err, "too many real servers (max 4096 in all)"));
	free(text);
}

static void test_cfg_nul_byte(void **state)
{
	static const char text[] = "virtual_server 10.0.0.1 80 {\n# a\0b\n}\n";
	char err[CFG_ERR_LEN];

	(void)state;
	assert_null(cfg_parse(text, sizeof(text) - 1, FNAME, err, sizeof(err)));
	assert_string_equal(err, FNAME ":2: NUL byte in the text");
}

static void test_cfg_long_line(void **state)
{
	char err[CFG_ERR_LEN];
	size_t n = 5000;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	memcpy(text, "\n# ", 3);
	memset(text + 3, 'a', n);
	memcpy(text + 3 + n, "\n", 2);
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_string_equal(err, FNAME ":2: line too long (5002 bytes, max 4096)");
	free(text);
}

static void test_cfg_long_token(void **state)
{
	char err[CFG_ERR_LEN];
	size_t n = 2000;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	memcpy(text, "global_defs {\nrouter_id ", 24);
	memset(text + 24, 'b', n);
	memcpy(text + 24 + n, "\n}\n", 4);
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_non_null(strstr(err, FNAME ":2: token 'bbbb"));
	assert_non_null(strstr(err, "...' too long (2000 bytes, max 1024)"));
	free(text);
}

static void test_cfg_long_path(void **state)
{
	char err[CFG_ERR_LEN];
	char path[CFG_PATH_MAX + 1];
	char text[1024];

	(void)state;
	path[0] = '/';
	memset(path + 1, 'p', CFG_PATH_MAX - 1);
	path[CFG_PATH_MAX] = '\0';	/* CFG_PATH_MAX bytes: one too many */
	snprintf(text, sizeof(text), VS RS "HTTP_GET {\nurl {\npath %s\n}\n}\n}\n}\n",
		 path);
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_non_null(strstr(err, FNAME ":5: path '/ppp"));
	assert_non_null(strstr(err, "too long (max 255 bytes)"));
	path[CFG_PATH_MAX - 1] = '\0';	/* 255 bytes fit */
	snprintf(text, sizeof(text), VS RS "HTTP_GET {\nurl {\npath %s\n}\n}\n}\n}\n",
		 path);
	cfg_free(parse_ok(text));
}

/* <len> bounds the text: what follows is never read. */
static void test_cfg_text_not_nul_terminated(void **state)
{
	static const char text[] = VS "}\ngarbage {{{";
	char err[CFG_ERR_LEN];
	struct cfg *c;

	(void)state;
	c = cfg_parse(text, strlen(VS "}\n"), FNAME, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->n_svc, 1);
	assert_string_equal(err, "");
	cfg_free(c);
}

static void test_cfg_err_buffer_small_or_absent(void **state)
{
	static const char text[] = "bogus\n";
	char err[8];

	(void)state;
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_string_equal(err, "t.conf:");
	assert_null(cfg_parse(text, strlen(text), FNAME, NULL, 0));
	assert_null(cfg_parse(text, strlen(text), FNAME, err, 0));
}

static void test_cfg_fname_in_message(void **state)
{
	static const char text[] = "\nbogus\n";
	char err[CFG_ERR_LEN];

	(void)state;
	assert_null(cfg_parse(text, strlen(text), "/etc/lbd/lbd.conf", err,
			      sizeof(err)));
	assert_string_equal(err, "/etc/lbd/lbd.conf:2: unknown keyword 'bogus' "
			    "in the top level");
	assert_null(cfg_parse(text, strlen(text), NULL, err, sizeof(err)));
	assert_string_equal(err, "(config):2: unknown keyword 'bogus' in the "
			    "top level");
}

static void test_cfg_error_quotes_unprintable(void **state)
{
	static const char text[] = VS "lb_algo \"r\xc3\xa9r\"\n}\n";
	char err[CFG_ERR_LEN];

	(void)state;
	assert_null(cfg_parse(text, strlen(text), FNAME, err, sizeof(err)));
	assert_string_equal(err, FNAME ":2: lb_algo 'r??r' is not supported by "
			    "lbd (rr or wrr)");
}

/*
 * The shipped examples parse. Suites run from the repository root (make,
 * tools/run-suites); from anywhere else the files are not found and the
 * test is reported as skipped, not passed.
 */
static void test_cfg_examples_parse(void **state)
{
	static const char *const files[] = { "lb/examples/dr.conf",
					     "lb/examples/nat.conf" };
	static char text[65536];
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		char err[CFG_ERR_LEN];
		FILE *f = fopen(files[i], "rb");
		struct cfg *c;

		if (f == NULL) {
			print_message("%s not found: run from the repo root\n",
				      files[i]);
			skip();
		}
		len = fread(text, 1, sizeof(text), f);
		fclose(f);
		assert_true(len < sizeof(text));
		c = cfg_parse(text, len, files[i], err, sizeof(err));
		if (c == NULL)
			fail_msg("%s", err);
		assert_int_equal(c->n_svc, 2);
		assert_int_equal(c->svc[0].fwd, i == 0 ? LB_FWD_DR : LB_FWD_NAT);
		cfg_free(c);
	}
}

static void test_cfg_free_null(void **state)
{
	(void)state;
	cfg_free(NULL);
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_cfg_full_keepalived_example),
	cmocka_unit_test(test_cfg_keepalived_sample_with_persistence),
	cmocka_unit_test(test_cfg_svc_max_accepted_and_exceeded),
	cmocka_unit_test(test_cfg_rs_max_accepted_and_exceeded),
	cmocka_unit_test(test_cfg_nul_byte),
	cmocka_unit_test(test_cfg_long_line),
	cmocka_unit_test(test_cfg_long_token),
	cmocka_unit_test(test_cfg_long_path),
	cmocka_unit_test(test_cfg_text_not_nul_terminated),
	cmocka_unit_test(test_cfg_err_buffer_small_or_absent),
	cmocka_unit_test(test_cfg_fname_in_message),
	cmocka_unit_test(test_cfg_error_quotes_unprintable),
	cmocka_unit_test(test_cfg_examples_parse),
	cmocka_unit_test(test_cfg_free_null),
};

#define N_OK	(sizeof(ok_cases) / sizeof(ok_cases[0]))
#define N_ERR	(sizeof(err_cases) / sizeof(err_cases[0]))
#define N_FIXED	(sizeof(fixed_tests) / sizeof(fixed_tests[0]))

/* Each table row runs as its own cmocka test, named after the row. */
int main(void)
{
	static struct CMUnitTest tests[N_OK + N_ERR + N_FIXED];
	size_t i, n = 0;

	for (i = 0; i < N_OK; i++)
		tests[n++] = (struct CMUnitTest){ ok_cases[i].name, run_ok_case,
			NULL, NULL, (void *)(uintptr_t)&ok_cases[i] };
	for (i = 0; i < N_ERR; i++)
		tests[n++] = (struct CMUnitTest){ err_cases[i].name, run_err_case,
			NULL, NULL, (void *)(uintptr_t)&err_cases[i] };
	for (i = 0; i < N_FIXED; i++)
		tests[n++] = fixed_tests[i];
	return _cmocka_run_group_tests("cfg", tests, n, NULL, NULL);
}
