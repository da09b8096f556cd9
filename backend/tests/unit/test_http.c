/* SPDX-License-Identifier: MIT */
/* Unit tests for http: ids, query decoding, routing, limits, JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/http.h"

static void
test_http_user_ids(void **state)
{
	static const struct {
		const char *id;
		bool ok;
	} cases[] = {
		/* id                                  ok */
		{ "a",                                 true },
		{ "User_42-x",                         true },
		{ "",                                  false },
		{ "a b",                               false },
		{ "a/b",                               false },
		{ "a.b",                               false },
		{ "\xc3\xbc",                          false },
		{ "semi;colon",                        false },
	};
	char longid[HTTP_USER_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(http_user_is_valid(cases[i].id,
		    strlen(cases[i].id)), cases[i].ok);
	memset(longid, 'x', sizeof(longid));
	assert_true(http_user_is_valid(longid, HTTP_USER_MAX));
	assert_false(http_user_is_valid(longid, HTTP_USER_MAX + 1));
	/* An embedded NUL inside the length is invalid. */
	assert_false(http_user_is_valid("ab\0c", 4));
}

static void
test_http_order_ids(void **state)
{
	(void)state;
	assert_true(http_order_is_valid("1", 1));
	assert_true(http_order_is_valid("12345678901234567890", 20));
	assert_false(http_order_is_valid("123456789012345678901", 21));
	assert_false(http_order_is_valid("0", 1));
	assert_false(http_order_is_valid("01", 2));
	assert_false(http_order_is_valid("", 0));
	assert_false(http_order_is_valid("1a", 2));
	assert_false(http_order_is_valid("-1", 2));
}

static void
test_http_query_get(void **state)
{
	static const struct {
		const char *q, *key;
		int rc;
		const char *val;
	} cases[] = {
		/* query                 key      rc  value */
		{ "user=bob",            "user",  1,  "bob" },
		{ "a=1&user=bob&b=2",    "user",  1,  "bob" },
		{ "user=a%5Fb",          "user",  1,  "a_b" },
		{ "user=a+b",            "user",  1,  "a b" },
		{ "user=",               "user",  1,  "" },
		{ "user",                "user",  1,  "" },
		{ "users=bob",           "user",  0,  NULL },
		{ "",                    "user",  0,  NULL },
		{ "user=%zz",            "user",  -1, NULL },
		{ "user=%4",             "user",  -1, NULL },
		{ "user=%",              "user",  -1, NULL },
		{ "user=a%00b",          "user",  -1, NULL },
		{ "user=1&user=2",       "user",  1,  "1" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = http_query_get(cases[i].q, strlen(cases[i].q),
		    cases[i].key, out, sizeof(out));

		assert_int_equal(rc, cases[i].rc);
		if (rc == 1)
			assert_string_equal(out, cases[i].val);
	}
	/* Values longer than the output buffer are malformed, not cut. */
	assert_int_equal(http_query_get("user=0123456789abcdef", 21, "user",
	    out, sizeof(out)), -1);
	assert_int_equal(http_query_get("user=x", 6, "user", out, 0), -1);
}

static void
test_http_req_routes(void **state)
{
	static const struct {
		enum http_method m;
		const char *uri;
		enum http_route route;
		int code;
		const char *user, *order;
	} cases[] = {
		/* method       uri                              route          code user   order */
		{ HTTP_M_POST,  "/buy?user=alice",               HTTP_R_BUY,    200, "alice", "" },
		{ HTTP_M_GET,   "/buy?user=alice",               HTTP_R_BUY,    200, "alice", "" },
		{ HTTP_M_HEAD,  "/buy?user=alice",               HTTP_R_NONE,   405, "", "" },
		{ HTTP_M_OTHER, "/buy?user=alice",               HTTP_R_NONE,   405, "", "" },
		{ HTTP_M_POST,  "/buy",                          HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_POST,  "/buy?user=",                    HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_POST,  "/buy?user=a%20b",               HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_POST,  "/buy?user=a%2",                 HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_POST,  "/buy/?user=a",                  HTTP_R_NONE,   404, "", "" },
		{ HTTP_M_POST,  "/pay?order=7&user=bob",         HTTP_R_PAY,    200, "bob", "7" },
		{ HTTP_M_GET,   "/pay?order=7&user=bob",         HTTP_R_NONE,   405, "", "" },
		{ HTTP_M_POST,  "/pay?order=07&user=bob",        HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_POST,  "/pay?order=7",                  HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_GET,   "/health",                       HTTP_R_HEALTH, 200, "", "" },
		{ HTTP_M_HEAD,  "/health",                       HTTP_R_HEALTH, 200, "", "" },
		{ HTTP_M_GET,   "/stats?x=1",                    HTTP_R_STATS,  200, "", "" },
		{ HTTP_M_GET,   "/",                             HTTP_R_NONE,   404, "", "" },
		{ HTTP_M_GET,   "/nope",                         HTTP_R_NONE,   404, "", "" },
		{ HTTP_M_GET,   "health",                        HTTP_R_NONE,   400, "", "" },
		{ HTTP_M_GET,   "",                              HTTP_R_NONE,   400, "", "" },
	};
	struct http_req req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = http_req_parse(cases[i].m, cases[i].uri,
		    strlen(cases[i].uri), &req);

		assert_int_equal(ok, cases[i].route != HTTP_R_NONE);
		assert_int_equal(req.route, cases[i].route);
		assert_int_equal(req.code, cases[i].code);
		assert_string_equal(req.user, cases[i].user);
		assert_string_equal(req.order, cases[i].order);
		if (!ok)
			assert_non_null(req.err);
	}
}

static void
test_http_req_limits(void **state)
{
	char uri[HTTP_URI_MAX + 64];
	struct http_req req;
	size_t n;

	(void)state;
	/* The longest valid user id passes; one byte more is a 400. */
	n = (size_t)snprintf(uri, sizeof(uri), "/buy?user=");
	memset(uri + n, 'u', HTTP_USER_MAX);
	assert_true(http_req_parse(HTTP_M_POST, uri, n + HTTP_USER_MAX, &req));
	assert_int_equal(strlen(req.user), HTTP_USER_MAX);
	uri[n + HTTP_USER_MAX] = 'u';
	assert_false(http_req_parse(HTTP_M_POST, uri, n + HTTP_USER_MAX + 1,
	    &req));
	assert_int_equal(req.code, 400);
	/* Request targets over HTTP_URI_MAX are refused before parsing. */
	memset(uri + n, 'u', sizeof(uri) - n);
	assert_false(http_req_parse(HTTP_M_POST, uri, HTTP_URI_MAX + 1, &req));
	assert_int_equal(req.code, 414);
	/* A target without NUL termination is read only up to len. */
	assert_true(http_req_parse(HTTP_M_GET, "/healthXXXX", 7, &req));
	assert_int_equal(req.route, HTTP_R_HEALTH);
}

static void
test_http_json(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(http_json_status(buf, sizeof(buf), "ok", "12"),
	    (int)strlen("{\"status\":\"ok\",\"order\":\"12\"}\n"));
	assert_string_equal(buf, "{\"status\":\"ok\",\"order\":\"12\"}\n");
	http_json_status(buf, sizeof(buf), "sold_out", NULL);
	assert_string_equal(buf, "{\"status\":\"sold_out\"}\n");
	assert_int_equal(http_json_status(buf, 8, "sold_out", NULL), -1);
	http_json_error(buf, sizeof(buf), "bad");
	assert_string_equal(buf, "{\"status\":\"error\",\"error\":\"bad\"}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_user_ids),
		cmocka_unit_test(test_http_order_ids),
		cmocka_unit_test(test_http_query_get),
		cmocka_unit_test(test_http_req_routes),
		cmocka_unit_test(test_http_req_limits),
		cmocka_unit_test(test_http_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
