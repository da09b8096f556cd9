/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for http: the first byte picks the method, the rest is a
 * request target. Checks that every accepted request carries ids that pass
 * the validators and that every refusal carries a 4xx code and a message.
 * Also builds with afl-clang-fast (libFuzzer-compatible driver).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum http_method methods[] = {
		HTTP_M_GET, HTTP_M_POST, HTTP_M_HEAD, HTTP_M_OTHER,
	};
	struct http_req req;
	char *uri, out[HTTP_USER_MAX + 1];
	char json[256];
	bool ok;

	if (size == 0)
		return 0;
	/* An exact-size heap copy lets ASan catch any over-read. */
	uri = malloc(size - 1 ? size - 1 : 1);
	if (uri == NULL)
		return 0;
	memcpy(uri, data + 1, size - 1);
	ok = http_req_parse(methods[data[0] % 4], uri, size - 1, &req);
	if (ok) {
		if (req.route == HTTP_R_BUY || req.route == HTTP_R_PAY) {
			if (!http_user_is_valid(req.user, strlen(req.user)))
				abort();
			if (http_json_status(json, sizeof(json), "ok",
			    req.order[0] ? req.order : NULL) < 0)
				abort();
		}
		if (req.route == HTTP_R_PAY &&
		    !http_order_is_valid(req.order, strlen(req.order)))
			abort();
	} else {
		if (req.code < 400 || req.code > 499 || req.err == NULL ||
		    req.route != HTTP_R_NONE)
			abort();
	}
	(void)http_query_get(uri, size - 1, "user", out, sizeof(out));
	free(uri);
	return 0;
}
