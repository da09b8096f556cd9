/* SPDX-License-Identifier: MIT */
/*
 * ipvsadm-style edits on a struct cfg: each verb's success and each of its
 * error codes, that a failed edit changes nothing, and that clones are deep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_edit.h"

#define TCP	IPPROTO_TCP
#define UDP	IPPROTO_UDP

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct cfg *empty(void)
{
	struct cfg *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->conn_max = 1024;
	c->half_open_max = 128;
	return c;
}

/* One service 10.0.0.100:80/tcp, wrr, DR, with real servers .11 and .12. */
static struct cfg *two_rs(void)
{
	struct cfg *c = empty();

	assert_int_equal(cfg_svc_add(c, TCP, ip("10.0.0.100"), htons(80), "wrr"), 0);
	assert_int_equal(cfg_rs_add(c, TCP, ip("10.0.0.100"), htons(80),
				    ip("10.0.0.11"), htons(80), LB_FWD_DR, 1), 0);
	assert_int_equal(cfg_rs_add(c, TCP, ip("10.0.0.100"), htons(80),
				    ip("10.0.0.12"), htons(80), LB_FWD_DR, 3), 0);
	return c;
}

static void expect_errno(int rc, int code)
{
	assert_int_equal(rc, -1);
	assert_int_equal(errno, code);
}

static void test_cfg_edit_svc_add(void **state)
{
	struct cfg *c = empty();
	struct cfg_svc *s;

	(void)state;
	assert_int_equal(cfg_svc_add(c, UDP, ip("10.0.0.100"), htons(53), "rr"), 0);
	s = cfg_svc_find(c, UDP, ip("10.0.0.100"), htons(53));
	assert_non_null(s);
	assert_string_equal(s->sched, "rr");
	assert_int_equal(s->n_rs, 0);
	assert_null(cfg_svc_find(c, TCP, ip("10.0.0.100"), htons(53)));
	cfg_free(c);
}

static void test_cfg_edit_svc_errors(void **state)
{
	struct cfg *c = two_rs();
	__be32 v = ip("10.0.0.100");

	(void)state;
	expect_errno(cfg_svc_add(c, TCP, v, htons(80), "rr"), EEXIST);
	expect_errno(cfg_svc_add(c, TCP, v, htons(81), "lc"), ENOENT);
	expect_errno(cfg_svc_add(c, TCP, v, 0, "rr"), EINVAL);
	expect_errno(cfg_svc_add(c, IPPROTO_ICMP, v, htons(81), "rr"), EINVAL);
	expect_errno(cfg_svc_edit(c, TCP, v, htons(81), "rr"), ESRCH);
	expect_errno(cfg_svc_edit(c, TCP, v, htons(80), "sh"), ENOENT);
	expect_errno(cfg_svc_del(c, UDP, v, htons(80)), ESRCH);
	/* Nothing changed. */
	assert_int_equal(c->n_svc, 1);
	assert_string_equal(c->svc[0].sched, "wrr");
	cfg_free(c);
}

static void test_cfg_edit_svc_limit(void **state)
{
	struct cfg *c = empty();
	int i;

	(void)state;
	for (i = 0; i < CFG_SVC_MAX; i++)
		assert_int_equal(cfg_svc_add(c, TCP, ip("10.0.0.100"),
					     htons((uint16_t)(1000 + i)), "rr"), 0);
	expect_errno(cfg_svc_add(c, TCP, ip("10.0.0.100"), htons(80), "rr"),
		     ENOMEM);
	cfg_free(c);
}

static void test_cfg_edit_svc_edit_del(void **state)
{
	struct cfg *c = two_rs();

	(void)state;
	assert_int_equal(cfg_svc_add(c, TCP, ip("10.0.0.101"), htons(80), "rr"), 0);
	assert_int_equal(cfg_svc_edit(c, TCP, ip("10.0.0.100"), htons(80), "rr"), 0);
	assert_string_equal(c->svc[0].sched, "rr");
	assert_int_equal(cfg_svc_del(c, TCP, ip("10.0.0.100"), htons(80)), 0);
	assert_int_equal(c->n_svc, 1);
	assert_int_equal(c->svc[0].vaddr, ip("10.0.0.101"));
	assert_int_equal(cfg_rs_total(c), 0);
	cfg_free(c);
}

static void test_cfg_edit_rs_add_edit_del(void **state)
{
	struct cfg *c = two_rs();
	struct cfg_svc *s = cfg_svc_find(c, TCP, ip("10.0.0.100"), htons(80));
	struct cfg_rs *rs;

	(void)state;
	assert_int_equal(s->fwd, LB_FWD_DR);
	assert_int_equal(cfg_rs_total(c), 2);
	assert_int_equal(cfg_rs_edit(c, TCP, ip("10.0.0.100"), htons(80),
				     ip("10.0.0.12"), htons(80), LB_FWD_DR, 0), 0);
	rs = cfg_rs_find(s, ip("10.0.0.12"), htons(80));
	assert_non_null(rs);
	assert_int_equal(rs->weight, 0);
	assert_int_equal(cfg_rs_del(c, TCP, ip("10.0.0.100"), htons(80),
				    ip("10.0.0.11"), htons(80)), 0);
	assert_int_equal(s->n_rs, 1);
	assert_int_equal(s->rs[0].addr, ip("10.0.0.12"));
	/* The last real server may switch the service's method. */
	assert_int_equal(cfg_rs_edit(c, TCP, ip("10.0.0.100"), htons(80),
				     ip("10.0.0.12"), htons(80), LB_FWD_NAT, 2), 0);
	assert_int_equal(s->fwd, LB_FWD_NAT);
	cfg_free(c);
}

struct rs_err_case {
	const char *name;
	int op;			/* 0 add, 1 edit, 2 del */
	const char *vaddr;
	uint16_t vport;
	const char *daddr;
	uint16_t dport;
	enum lb_fwd fwd;
	uint32_t weight;
	int code;
};

static const struct rs_err_case rs_err_cases[] = {
	/* name                  op vaddr         vport daddr       dport fwd         weight code */
	{ "add no service",       0, "10.0.0.101", 80, "10.0.0.13", 80, LB_FWD_DR,  1,     ESRCH },
	{ "add exists",           0, "10.0.0.100", 80, "10.0.0.11", 80, LB_FWD_DR,  1,     EEXIST },
	{ "add port 0",           0, "10.0.0.100", 80, "10.0.0.13", 0,  LB_FWD_NAT, 1,     EINVAL },
	{ "add weight",           0, "10.0.0.100", 80, "10.0.0.13", 80, LB_FWD_DR,  65536, EINVAL },
	{ "add DR port change",   0, "10.0.0.100", 80, "10.0.0.13", 8080, LB_FWD_DR, 1,    EINVAL },
	{ "add mixed methods",    0, "10.0.0.100", 80, "10.0.0.13", 80, LB_FWD_NAT, 1,     EOPNOTSUPP },
	{ "edit no service",      1, "10.0.0.101", 80, "10.0.0.11", 80, LB_FWD_DR,  1,     ESRCH },
	{ "edit no such rs",      1, "10.0.0.100", 80, "10.0.0.13", 80, LB_FWD_DR,  1,     ENOENT },
	{ "edit mixed methods",   1, "10.0.0.100", 80, "10.0.0.11", 80, LB_FWD_NAT, 1,     EOPNOTSUPP },
	{ "edit weight",          1, "10.0.0.100", 80, "10.0.0.11", 80, LB_FWD_DR,  70000, EINVAL },
	{ "del no service",       2, "10.0.0.101", 80, "10.0.0.11", 80, LB_FWD_DR,  0,     ESRCH },
	{ "del no such rs",       2, "10.0.0.100", 80, "10.0.0.13", 80, LB_FWD_DR,  0,     ENOENT },
};

static void test_cfg_edit_rs_errors_change_nothing(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rs_err_cases) / sizeof(rs_err_cases[0]); i++) {
		const struct rs_err_case *k = &rs_err_cases[i];
		struct cfg *c = two_rs();
		struct cfg *before = cfg_clone(c);
		int rc;

		assert_non_null(before);
		if (k->op == 0)
			rc = cfg_rs_add(c, TCP, ip(k->vaddr), htons(k->vport),
					ip(k->daddr), htons(k->dport), k->fwd, k->weight);
		else if (k->op == 1)
			rc = cfg_rs_edit(c, TCP, ip(k->vaddr), htons(k->vport),
					 ip(k->daddr), htons(k->dport), k->fwd, k->weight);
		else
			rc = cfg_rs_del(c, TCP, ip(k->vaddr), htons(k->vport),
					ip(k->daddr), htons(k->dport));
		if (rc != -1 || errno != k->code)
			fail_msg("%s: rc %d errno %d, want %d", k->name, rc, errno, k->code);
		assert_int_equal(c->svc[0].n_rs, 2);
		assert_memory_equal(c->svc[0].rs, before->svc[0].rs,
				    2 * sizeof(struct cfg_rs));
		assert_int_equal(c->svc[0].fwd, before->svc[0].fwd);
		cfg_free(before);
		cfg_free(c);
	}
}

static void test_cfg_edit_clone_is_deep(void **state)
{
	struct cfg *c = two_rs();
	struct cfg *d = cfg_clone(c);

	(void)state;
	assert_non_null(d);
	assert_ptr_not_equal(d->svc, c->svc);
	assert_ptr_not_equal(d->svc[0].rs, c->svc[0].rs);
	assert_int_equal(cfg_rs_del(d, TCP, ip("10.0.0.100"), htons(80),
				    ip("10.0.0.11"), htons(80)), 0);
	assert_int_equal(c->svc[0].n_rs, 2);
	assert_int_equal(d->svc[0].n_rs, 1);
	assert_int_equal(d->conn_max, c->conn_max);
	cfg_free(c);
	cfg_free(d);
}

static void test_cfg_edit_clear(void **state)
{
	struct cfg *c = two_rs();

	(void)state;
	cfg_clear(c);
	assert_int_equal(c->n_svc, 0);
	assert_int_equal(c->conn_max, 1024);
	assert_int_equal(cfg_svc_add(c, TCP, ip("10.0.0.100"), htons(80), "rr"), 0);
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_edit_svc_add),
		cmocka_unit_test(test_cfg_edit_svc_errors),
		cmocka_unit_test(test_cfg_edit_svc_limit),
		cmocka_unit_test(test_cfg_edit_svc_edit_del),
		cmocka_unit_test(test_cfg_edit_rs_add_edit_del),
		cmocka_unit_test(test_cfg_edit_rs_errors_change_nothing),
		cmocka_unit_test(test_cfg_edit_clone_is_deep),
		cmocka_unit_test(test_cfg_edit_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
