/* SPDX-License-Identifier: MIT */
/*
 * http: pure request parsing and validation for ticketd.
 * L0: no I/O, no allocation, no clock. Every input is untrusted bytes.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

#define M(x) (1u << (x))

/*
 * The routes, as data. A request whose path matches no row is 404; one whose
 * method is not in the row's mask is 405.
 */
static const struct http_route_row {
	const char *path;	/* exact path, without query */
	enum http_route route;
	unsigned methods;	/* mask of 1 << enum http_method */
} http_routes[] = {
	/* path        route           methods */
	{ "/buy",      HTTP_R_BUY,     M(HTTP_M_GET) | M(HTTP_M_POST) },
	{ "/pay",      HTTP_R_PAY,     M(HTTP_M_POST) },
	{ "/health",   HTTP_R_HEALTH,  M(HTTP_M_GET) | M(HTTP_M_HEAD) },
	{ "/stats",    HTTP_R_STATS,   M(HTTP_M_GET) | M(HTTP_M_HEAD) },
};

static bool
is_id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool
http_user_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > HTTP_USER_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!is_id_char((unsigned char)s[i]))
			return false;
	return true;
}

bool
http_order_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > HTTP_ORDER_MAX || s[0] == '0')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes <s>[0..<len>) into <out>; false on a bad escape, NUL or overflow. */
static bool
pct_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;

		if (c == '%') {
			if (i + 2 >= len)
				return false;
			hi = hex_val((unsigned char)s[i + 1]);
			lo = hex_val((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0' || o + 1 >= outlen)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

int
http_query_get(const char *q, size_t qlen, const char *key, char *out,
    size_t outlen)
{
	size_t klen = strlen(key);
	size_t i = 0;

	if (outlen == 0)
		return -1;
	while (i < qlen) {
		size_t end = i, eq;

		while (end < qlen && q[end] != '&')
			end++;
		eq = i;
		while (eq < end && q[eq] != '=')
			eq++;
		if (eq - i == klen && memcmp(q + i, key, klen) == 0) {
			size_t vstart = eq < end ? eq + 1 : end;

			if (!pct_decode(q + vstart, end - vstart, out, outlen))
				return -1;
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

static bool
fail(struct http_req *req, int code, const char *err)
{
	req->route = HTTP_R_NONE;
	req->user[0] = '\0';
	req->order[0] = '\0';
	req->code = code;
	req->err = err;
	return false;
}

/* Reads and validates the id parameter <key> into <out>. */
static bool
get_id(const char *q, size_t qlen, const char *key, char *out, size_t outlen,
    bool (*valid)(const char *, size_t))
{
	/* One spare byte so an over-long value decodes and then fails. */
	char tmp[HTTP_USER_MAX + 2];
	int rc;
	size_t n;

	rc = http_query_get(q, qlen, key, tmp, sizeof(tmp));
	if (rc != 1)
		return false;
	n = strlen(tmp);
	if (!valid(tmp, n) || n + 1 > outlen)
		return false;
	memcpy(out, tmp, n + 1);
	return true;
}

bool
http_req_parse(enum http_method m, const char *uri, size_t len,
    struct http_req *req)
{
	const struct http_route_row *row = NULL;
	size_t plen, qlen, i;
	const char *q;

	memset(req, 0, sizeof(*req));
	if (len > HTTP_URI_MAX)
		return fail(req, 414, "uri too long");
	if (len == 0 || uri[0] != '/')
		return fail(req, 400, "bad request target");
	for (plen = 0; plen < len && uri[plen] != '?'; plen++)
		;
	q = plen < len ? uri + plen + 1 : uri + len;
	qlen = plen < len ? len - plen - 1 : 0;
	for (i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
		if (strlen(http_routes[i].path) == plen &&
		    memcmp(http_routes[i].path, uri, plen) == 0) {
			row = &http_routes[i];
			break;
		}
	}
	if (row == NULL)
		return fail(req, 404, "not found");
	if ((row->methods & M(m)) == 0)
		return fail(req, 405, "method not allowed");
	switch (row->route) {
	case HTTP_R_BUY:
		if (!get_id(q, qlen, "user", req->user, sizeof(req->user),
		    http_user_is_valid))
			return fail(req, 400, "user must be 1-64 of [A-Za-z0-9_-]");
		break;
	case HTTP_R_PAY:
		if (!get_id(q, qlen, "user", req->user, sizeof(req->user),
		    http_user_is_valid))
			return fail(req, 400, "user must be 1-64 of [A-Za-z0-9_-]");
		if (!get_id(q, qlen, "order", req->order, sizeof(req->order),
		    http_order_is_valid))
			return fail(req, 400, "order must be a decimal order id");
		break;
	default:
		break;
	}
	req->route = row->route;
	req->code = 200;
	return true;
}

int
http_json_status(char *buf, size_t buflen, const char *status,
    const char *order)
{
	int n;

	if (order != NULL)
		n = snprintf(buf, buflen, "{\"status\":\"%s\",\"order\":\"%s\"}\n",
		    status, order);
	else
		n = snprintf(buf, buflen, "{\"status\":\"%s\"}\n", status);
	if (n < 0 || (size_t)n >= buflen)
		return -1;
	return n;
}

int
http_json_error(char *buf, size_t buflen, const char *msg)
{
	int n;

	n = snprintf(buf, buflen, "{\"status\":\"error\",\"error\":\"%s\"}\n",
	    msg);
	if (n < 0 || (size_t)n >= buflen)
		return -1;
	return n;
}
