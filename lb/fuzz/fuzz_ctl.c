/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer (and AFL++) target for the control protocol: any bytes, as one
 * line and split into lines, go to ctl_req_parse, every row parser,
 * ctl_err_parse and ctl_view_add, and as a whole to ctl_cli_restore. What
 * parses must format, and parse(format(x)) must format to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ctl_cli.h"
#include "../src/ctl_fmt.h"
#include "../src/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one row kind: parse -> format -> parse -> format is stable. */
#define ROUND_TRIP(T, parse, format, line, len)					\
	do {									\
		T rt_a, rt_b;								\
		char rt_s1[CTL_LINE_MAX], rt_s2[CTL_LINE_MAX];			\
		int rt_n1, rt_n2;							\
										\
		if (parse(line, len, &rt_a)) {					\
			rt_n1 = format(&rt_a, rt_s1, sizeof(rt_s1));			\
			if (rt_n1 <= 0 || !parse(rt_s1, (size_t)rt_n1, &rt_b))		\
				abort();					\
			rt_n2 = format(&rt_b, rt_s2, sizeof(rt_s2));			\
			if (rt_n1 != rt_n2 || memcmp(rt_s1, rt_s2, (size_t)rt_n1) != 0)	\
				abort();					\
		}								\
	} while (0)

static void fuzz_line(const char *line, size_t len, struct ctl_view *v)
{
	char err[CTL_ERR_LEN], s1[CTL_LINE_MAX], s2[CTL_LINE_MAX];
	struct ctl_req r1, r2;
	enum ctl_err code;
	char msg[64];

	if (ctl_req_parse(line, len, &r1, err, sizeof(err))) {
		int n1 = ctl_req_format(&r1, s1, sizeof(s1)), n2;

		if (n1 <= 0 || !ctl_req_parse(s1, (size_t)n1, &r2, err, sizeof(err)))
			abort();
		if (memcmp(&r1, &r2, sizeof(r1)) != 0)
			abort();
		n2 = ctl_req_format(&r2, s2, sizeof(s2));
		if (n1 != n2 || memcmp(s1, s2, (size_t)n1) != 0)
			abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	ROUND_TRIP(struct ctl_info_row, ctl_info_row_parse, ctl_info_row_format,
		   line, len);
	ROUND_TRIP(struct ctl_svc_row, ctl_svc_row_parse, ctl_svc_row_format,
		   line, len);
	ROUND_TRIP(struct ctl_rs_row, ctl_rs_row_parse, ctl_rs_row_format,
		   line, len);
	ROUND_TRIP(struct ctl_conn_row, ctl_conn_row_parse, ctl_conn_row_format,
		   line, len);
	ROUND_TRIP(struct ctl_timeouts_row, ctl_timeouts_row_parse,
		   ctl_timeouts_row_format, line, len);
	if (ctl_err_parse(line, len, &code, msg, sizeof(msg))) {
		if (ctl_err_format(code, msg, s1, sizeof(s1)) <= 0)
			abort();
	}
	(void)ctl_line_kind(line, len);
	(void)ctl_view_add(v, line, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	static char out[1 << 16];
	char err[CTL_ERR_LEN];
	struct ctl_view v;
	struct ctl_req *reqs;
	struct ctl_buf b;
	struct ctl_out o;
	size_t pos = 0, n;
	int status;

	ctl_view_init(&v);
	fuzz_line(text, size, &v);
	while (pos < size) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) + 1 : size - pos;

		fuzz_line(text + pos, l, &v);
		pos += l;
	}
	o = ctl_buf_out(&b, out, sizeof(out));
	(void)ctl_fmt_list(&v, CTL_FMT_HEALTH, &o);
	o = ctl_buf_out(&b, out, sizeof(out));
	(void)ctl_fmt_list(&v, CTL_FMT_RULE, &o);
	ctl_view_fini(&v);

	reqs = ctl_cli_restore(text, size, "lbctl", NULL, &n, &status, err,
			       sizeof(err));
	if (reqs != NULL) {
		size_t i;

		if (n < 2 || reqs[0].verb != CTL_V_BEGIN ||
		    reqs[n - 1].verb != CTL_V_COMMIT)
			abort();
		for (i = 0; i < n; i++) {
			char s[CTL_LINE_MAX];

			if (ctl_req_format(&reqs[i], s, sizeof(s)) <= 0)
				abort();
		}
		free(reqs);
	} else if (status == 0) {
		abort();
	}
	return 0;
}
