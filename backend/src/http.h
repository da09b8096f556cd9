/* SPDX-License-Identifier: MIT */
/*
 * http: pure request parsing and validation for ticketd (route, method,
 * query string, user and order ids) and JSON reply formatting.
 * L0: no I/O, no allocation, no clock; fuzzed by backend/fuzz/fuzz_http.c.
 */
#ifndef TICKETS_HTTP_H
#define TICKETS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_USER_MAX 64	/* bytes, longest valid user id */
#define HTTP_ORDER_MAX 20	/* decimal digits, longest valid order id */
#define HTTP_URI_MAX 2048	/* bytes, longest request target we parse */
#define HTTP_HEADERS_MAX 8192	/* bytes, request line plus headers */
#define HTTP_BODY_MAX 4096	/* bytes, request body */

enum http_method {
	HTTP_M_OTHER = 0,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
};

enum http_route {
	HTTP_R_NONE = 0,	/* parse failed: see code and err */
	HTTP_R_BUY,
	HTTP_R_PAY,
	HTTP_R_HEALTH,
	HTTP_R_STATS,
};

struct http_req {
	enum http_route route;
	int code;			/* HTTP status when route is NONE */
	const char *err;		/* static message when route is NONE */
	char user[HTTP_USER_MAX + 1];	/* NUL-terminated, validated */
	char order[HTTP_ORDER_MAX + 1];	/* NUL-terminated, digits only */
};

/*
 * http_user_is_valid: true if <s>[0..<len>) is 1..HTTP_USER_MAX bytes of
 * [A-Za-z0-9_-]. Node ids follow the same rule.
 */
bool http_user_is_valid(const char *s, size_t len);

/*
 * http_order_is_valid: true if <s>[0..<len>) is 1..HTTP_ORDER_MAX decimal
 * digits without a leading zero.
 */
bool http_order_is_valid(const char *s, size_t len);

/*
 * http_query_get: looks up <key> in the query string <q>[0..<qlen>)
 * ("a=1&b=2", no leading '?'), percent-decodes its first value ('+' is a
 * space) into <out> of <outlen> bytes and NUL-terminates it.
 * Returns 1 when found, 0 when absent, -1 when the value is malformed
 * (bad %-escape, a NUL byte, or longer than <outlen> - 1).
 */
int http_query_get(const char *q, size_t qlen, const char *key, char *out,
    size_t outlen);

/*
 * http_req_parse: parses the request target <uri>[0..<len>) of a request
 * with method <m> into <req>. Returns true with req->route set on success;
 * false with req->route = HTTP_R_NONE, req->code (400, 404, 405 or 414) and
 * req->err (a static string) otherwise. <uri> need not be NUL-terminated.
 */
bool http_req_parse(enum http_method m, const char *uri, size_t len,
    struct http_req *req);

/*
 * http_json_status: writes {"status":"<status>"} or, when <order> is not
 * NULL, {"status":"<status>","order":"<order>"} into <buf> of <buflen>
 * bytes. <status> and <order> must be JSON-safe (validated ids, literals).
 * Returns the length written, or -1 if it did not fit.
 */
int http_json_status(char *buf, size_t buflen, const char *status,
    const char *order);

/*
 * http_json_error: writes {"status":"error","error":"<msg>"} like
 * http_json_status; <msg> must be JSON-safe.
 */
int http_json_error(char *buf, size_t buflen, const char *msg);

#endif
