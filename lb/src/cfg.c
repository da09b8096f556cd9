/* SPDX-License-Identifier: MIT */
/*
 * Configuration (L1): the LVS subset of keepalived.conf, from text to a
 * validated struct cfg. A small tokenizer feeds a dispatcher driven by one
 * keyword table per block. L1: no I/O, no logging, no clock; errors go to the
 * caller's buffer as "file:line: message".
 */
#include "cfg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Lexical limits. keepalived reads lines of at most 1024 bytes (MAXBUF) and
 * silently cuts longer ones; lbd is more generous and says so instead.
 */
#define CFG_LINE_MAX	4096	/* bytes per line, without the newline */
#define CFG_TOKEN_MAX	1024	/* bytes per token */
#define CFG_ARGS_MAX	8	/* arguments per statement (lvs_timeouts has 6) */
#define CFG_QUOTE_MAX	48	/* bytes of a token echoed in an error */

/* Durations are milliseconds; 24 days keeps every one below 2^31 ms. */
#define CFG_MS_MAX	(24u * 86400u * 1000u)
#define CFG_CONN_MAX	(1u << 24)	/* lbd_conn_max upper bound: conn_tab_new()'s */
#define CFG_COUNT_MAX	1000u		/* rise, fall, retry */

/* Defaults, as keepalived's where keepalived has one. */
#define CFG_DEF_CONN_MAX	1048576u
#define CFG_DEF_DELAY_LOOP_MS	60000u
#define CFG_DEF_TIMEOUT_MS	5000u
#define CFG_DEF_RETRY		1u
#define CFG_DEF_DBR_MS		1000u

enum cfg_tok_type {
	CFG_T_EOF = 0,
	CFG_T_EOL,
	CFG_T_WORD,		/* bare word or "quoted string" */
	CFG_T_LBRACE,
	CFG_T_RBRACE,
};

struct cfg_tok {
	enum cfg_tok_type type;
	const char *s;		/* into the caller's text; not NUL-terminated */
	size_t len;		/* bytes */
	unsigned int line;	/* 1-based */
};

/* What a real server or service set explicitly (the rest is inherited). */
enum {
	CFG_SET_INHIBIT = 1u << 0,
	CFG_SET_RISE = 1u << 1,
	CFG_SET_FALL = 1u << 2,
	CFG_SET_RETRY = 1u << 3,
	CFG_SET_DBR = 1u << 4,
};

/* Per-level values that lower levels inherit unless they set their own. */
struct cfg_inherit {
	unsigned int set;		/* CFG_SET_* */
	bool inhibit_on_failure;
	uint32_t rise, fall;
	uint32_t retry;
	uint32_t dbr_ms;		/* delay_before_retry, ms */
};

struct cfg_parser {
	const char *p, *end;		/* unread text */
	const char *fname;
	unsigned int line;		/* line of p */
	bool at_bol;			/* p starts a line not yet checked */
	struct cfg_tok peek;		/* one token of lookahead */
	bool has_peek;
	char *err;			/* caller's buffer, may be NULL */
	size_t errlen;			/* bytes */
	struct cfg *c;			/* being built; freed on error */
	size_t n_rs_total;		/* over every service, for CFG_RS_MAX */
	unsigned int half_open_line;	/* line of lbd_half_open_max, 0 if unset */
	struct cfg_svc *svc;		/* open virtual_server, else NULL */
	struct cfg_rs *rs;		/* open real_server, else NULL */
	struct cfg_inherit svc_def;	/* the open service's defaults */
	struct cfg_inherit rs_def;	/* the open real server's defaults */
	unsigned int check_line;	/* line of the open rs's checker, 0 if none */
	bool in_check;			/* inside TCP_CHECK or HTTP_GET */
	unsigned int url_line;		/* line of its url block, 0 if none */
	bool url_has_path;		/* the open url block has a path */
	uint8_t rs_set[CFG_RS_MAX];	/* CFG_SET_* per rs of the open svc */
};

struct cfg_block;

/*
 * One row of a block's keyword table. The handler gets the keyword's token
 * and its arguments; it returns 0, or -1 after filling the error. A keyword
 * with a <sub> block is followed by "{ ... }": its handler runs before the
 * block, sub->end after it.
 */
struct cfg_kw {
	const char *name;		/* exact, case-sensitive as keepalived */
	uint8_t min_args;		/* arguments after the keyword */
	uint8_t max_args;		/* <= CFG_ARGS_MAX */
	int (*fn)(struct cfg_parser *P, const struct cfg_tok *kw,
		  const struct cfg_tok *argv, size_t argc);
	const struct cfg_block *sub;	/* the block it opens, or NULL */
};

struct cfg_block {
	const char *name;		/* for errors: "... in <name>" */
	const struct cfg_kw *kws;	/* NULL: contents skipped unread */
	size_t n_kws;
	int (*end)(struct cfg_parser *P, unsigned int open_line); /* or NULL */
};

/* ---- errors ------------------------------------------------------------- */

static void cfg_err(struct cfg_parser *P, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_err(struct cfg_parser *P, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (P->err == NULL || P->errlen == 0)
		return;
	n = snprintf(P->err, P->errlen, "%s:%u: ", P->fname, line);
	if (n < 0 || (size_t)n >= P->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(P->err + n, P->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * Copies <t> into <buf> for an error message: printable ASCII only (other
 * bytes become '?'), cut with "..." past CFG_QUOTE_MAX bytes.
 */
static const char *cfg_quote(const struct cfg_tok *t, char buf[CFG_QUOTE_MAX + 4])
{
	size_t i, n = t->len < CFG_QUOTE_MAX ? t->len : CFG_QUOTE_MAX;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t->s[i];

		buf[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (t->len > CFG_QUOTE_MAX) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Declares a quote buffer and quotes <t> into it; for one-line messages. */
#define CFG_Q(t)	cfg_quote((t), (char[CFG_QUOTE_MAX + 4]){0})

static bool cfg_tok_is(const struct cfg_tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

static bool cfg_tok_icase(const struct cfg_tok *t, const char *s)
{
	return t->len == strlen(s) && strncasecmp(t->s, s, t->len) == 0;
}

/* ---- tokenizer ---------------------------------------------------------- */

/*
 * Checks the line starting at P->p once, before any of it is tokenized: its
 * length and NUL bytes (a NUL would end the text for every C tool after us).
 */
static int cfg_check_line(struct cfg_parser *P)
{
	size_t avail = (size_t)(P->end - P->p);
	const char *nl = memchr(P->p, '\n', avail);
	size_t len = nl != NULL ? (size_t)(nl - P->p) : avail;

	P->at_bol = false;
	if (len > CFG_LINE_MAX) {
		cfg_err(P, P->line, "line too long (%zu bytes, max %u)", len,
			CFG_LINE_MAX);
		return -1;
	}
	if (memchr(P->p, '\0', len) != NULL) {
		cfg_err(P, P->line, "NUL byte in the text");
		return -1;
	}
	return 0;
}

static bool cfg_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* A bare word ends at blanks, newline, braces, quotes and comments. */
static bool cfg_is_delim(char ch)
{
	return cfg_is_space(ch) || ch == '\n' || ch == '{' || ch == '}' ||
	       ch == '"' || ch == '#' || ch == '!';
}

static int cfg_lex_quoted(struct cfg_parser *P, struct cfg_tok *t)
{
	const char *s = P->p + 1;
	const char *q = s;

	while (q < P->end && *q != '"' && *q != '\n')
		q++;
	if (q == P->end || *q != '"') {
		cfg_err(P, P->line, "unterminated quoted string");
		return -1;
	}
	t->type = CFG_T_WORD;
	t->s = s;
	t->len = (size_t)(q - s);
	P->p = q + 1;
	return 0;
}

static int cfg_lex_word(struct cfg_parser *P, struct cfg_tok *t)
{
	const char *q = P->p;

	while (q < P->end && !cfg_is_delim(*q)) {
		unsigned char ch = (unsigned char)*q;

		if (ch < 0x20 || ch == 0x7f) {
			cfg_err(P, P->line, "control character 0x%02x in the text",
				ch);
			return -1;
		}
		q++;
	}
	t->type = CFG_T_WORD;
	t->s = P->p;
	t->len = (size_t)(q - P->p);
	P->p = q;
	return 0;
}

/* Reads the next token into <t>; 0, or -1 with the error filled. */
static int cfg_lex(struct cfg_parser *P, struct cfg_tok *t)
{
	if (P->at_bol && P->p < P->end && cfg_check_line(P) < 0)
		return -1;
	while (P->p < P->end && cfg_is_space(*P->p))
		P->p++;
	if (P->p < P->end && (*P->p == '#' || *P->p == '!')) {
		const char *nl = memchr(P->p, '\n', (size_t)(P->end - P->p));

		P->p = nl != NULL ? nl : P->end;
	}
	t->line = P->line;
	t->s = P->p;
	t->len = 1;
	if (P->p == P->end) {
		t->type = CFG_T_EOF;
		t->len = 0;
		return 0;
	}
	switch (*P->p) {
	case '\n':
		t->type = CFG_T_EOL;
		P->p++;
		P->line++;
		P->at_bol = true;
		return 0;
	case '{':
		t->type = CFG_T_LBRACE;
		P->p++;
		return 0;
	case '}':
		t->type = CFG_T_RBRACE;
		P->p++;
		return 0;
	case '"':
		if (cfg_lex_quoted(P, t) < 0)
			return -1;
		break;
	default:
		if (cfg_lex_word(P, t) < 0)
			return -1;
		break;
	}
	if (t->len > CFG_TOKEN_MAX) {
		cfg_err(P, t->line, "token '%s' too long (%zu bytes, max %u)",
			CFG_Q(t), t->len, CFG_TOKEN_MAX);
		return -1;
	}
	return 0;
}

static int cfg_next(struct cfg_parser *P, struct cfg_tok *t)
{
	if (P->has_peek) {
		*t = P->peek;
		P->has_peek = false;
		return 0;
	}
	return cfg_lex(P, t);
}

static int cfg_peek(struct cfg_parser *P, struct cfg_tok *t)
{
	if (!P->has_peek) {
		if (cfg_lex(P, &P->peek) < 0)
			return -1;
		P->has_peek = true;
	}
	*t = P->peek;
	return 0;
}

/* ---- values ------------------------------------------------------------- */

/* Parses an all-digit <t> into <out>; false if empty, not digits or > max. */
static bool cfg_num(const struct cfg_tok *t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->len == 0)
		return false;
	for (i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool cfg_is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/*
 * Parses seconds "S" or "S.F" into milliseconds. keepalived timers have
 * microsecond resolution; lbd keeps milliseconds, so digits past the third
 * decimal must be zero rather than being silently dropped.
 */
static bool cfg_secs(const struct cfg_tok *t, uint32_t max_ms, uint32_t *out_ms)
{
	const char *dot = memchr(t->s, '.', t->len);
	size_t ilen = dot != NULL ? (size_t)(dot - t->s) : t->len;
	size_t flen = dot != NULL ? t->len - ilen - 1 : 0;
	struct cfg_tok ipart = { CFG_T_WORD, t->s, ilen, t->line };
	uint32_t secs, frac = 0;
	size_t i;

	if (!cfg_is_digits(t->s, ilen) ||
	    (dot != NULL && (flen == 0 || flen > 6 || !cfg_is_digits(dot + 1, flen))))
		return false;
	if (!cfg_num(&ipart, max_ms / 1000 + 1, &secs))
		return false;
	for (i = 0; i < 3; i++)
		frac = frac * 10 + (i < flen ? (uint32_t)(dot[1 + i] - '0') : 0);
	for (i = 3; i < flen; i++)
		if (dot[1 + i] != '0')
			return false;
	if ((uint64_t)secs * 1000 + frac > max_ms)
		return false;
	*out_ms = secs * 1000 + frac;
	return true;
}

static int cfg_arg_u32(struct cfg_parser *P, const struct cfg_tok *kw,
		       const struct cfg_tok *a, uint32_t min, uint32_t max,
		       uint32_t *out)
{
	uint32_t v;

	if (!cfg_is_digits(a->s, a->len)) {
		cfg_err(P, a->line, "%s '%s' is not a number", CFG_Q(kw), CFG_Q(a));
		return -1;
	}
	if (!cfg_num(a, max, &v) || v < min) {
		cfg_err(P, a->line, "%s '%s' out of range (%u..%u)", CFG_Q(kw),
			CFG_Q(a), min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int cfg_arg_secs(struct cfg_parser *P, const struct cfg_tok *kw,
			const struct cfg_tok *a, uint32_t min_ms, uint32_t *out_ms)
{
	uint32_t v;

	if (!cfg_secs(a, CFG_MS_MAX, &v) || v < min_ms) {
		cfg_err(P, a->line,
			"%s '%s' is not a duration in seconds (%u.%03u..%u, "
			"at most 3 decimals)", CFG_Q(kw), CFG_Q(a),
			min_ms / 1000, min_ms % 1000, CFG_MS_MAX / 1000);
		return -1;
	}
	*out_ms = v;
	return 0;
}

static int cfg_arg_port(struct cfg_parser *P, const struct cfg_tok *kw,
			const struct cfg_tok *a, uint16_t *out)
{
	uint32_t v;

	if (cfg_arg_u32(P, kw, a, 1, 65535, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* A usable IPv4 unicast address: dotted quad, not 0/8, multicast or broadcast. */
static int cfg_arg_addr(struct cfg_parser *P, const struct cfg_tok *kw,
			const struct cfg_tok *a, __be32 *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in;
	uint32_t h;

	if (a->len >= sizeof(buf)) {
		cfg_err(P, a->line, "%s '%s' is not an IPv4 address", CFG_Q(kw),
			CFG_Q(a));
		return -1;
	}
	memcpy(buf, a->s, a->len);
	buf[a->len] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1) {
		cfg_err(P, a->line, "%s '%s' is not an IPv4 address%s", CFG_Q(kw),
			CFG_Q(a), memchr(a->s, ':', a->len) != NULL ?
			" (lbd is IPv4 only)" : "");
		return -1;
	}
	h = ntohl(in.s_addr);
	if ((h >> 24) == 0 || (h >> 28) >= 0xe) {
		cfg_err(P, a->line, "%s '%s' is not a unicast address", CFG_Q(kw),
			CFG_Q(a));
		return -1;
	}
	*out = in.s_addr;
	return 0;
}

/* keepalived's <BOOL>; a flag keyword without an argument means "on". */
static int cfg_arg_bool(struct cfg_parser *P, const struct cfg_tok *kw,
			const struct cfg_tok *argv, size_t argc, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes" };
	static const char *const no[] = { "off", "false", "no" };
	size_t i;

	*out = true;
	if (argc == 0)
		return 0;
	for (i = 0; i < 3; i++) {
		if (cfg_tok_icase(&argv[0], yes[i]))
			return 0;
		if (cfg_tok_icase(&argv[0], no[i])) {
			*out = false;
			return 0;
		}
	}
	cfg_err(P, argv[0].line, "%s '%s' is not one of on|off|true|false|yes|no",
		CFG_Q(kw), CFG_Q(&argv[0]));
	return -1;
}

/* ---- global_defs -------------------------------------------------------- */

static int cfg_kw_ignore(struct cfg_parser *P, const struct cfg_tok *kw,
			 const struct cfg_tok *argv, size_t argc)
{
	(void)P, (void)kw, (void)argv, (void)argc;
	return 0;
}

static int cfg_kw_lvs_timeouts(struct cfg_parser *P, const struct cfg_tok *kw,
			       const struct cfg_tok *argv, size_t argc)
{
	static const char *const names[] = { "tcp", "tcpfin", "udp" };
	uint32_t *fields[] = { &P->c->tcp_timeout_ms, &P->c->tcpfin_timeout_ms,
			       &P->c->udp_timeout_ms };
	bool seen[3] = { false, false, false };
	size_t i, k;

	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < 3 && !cfg_tok_is(&argv[i], names[k]); k++)
			;
		if (k == 3) {
			cfg_err(P, argv[i].line, "unknown timeout '%s' in %s "
				"(tcp, tcpfin or udp)", CFG_Q(&argv[i]), CFG_Q(kw));
			return -1;
		}
		if (seen[k]) {
			cfg_err(P, argv[i].line, "timeout '%s' given twice in %s",
				CFG_Q(&argv[i]), CFG_Q(kw));
			return -1;
		}
		if (i + 1 == argc) {
			cfg_err(P, argv[i].line, "missing value after '%s' in %s",
				CFG_Q(&argv[i]), CFG_Q(kw));
			return -1;
		}
		seen[k] = true;
		if (cfg_arg_secs(P, &argv[i], &argv[i + 1], 1, fields[k]) < 0)
			return -1;
	}
	return 0;
}

static int cfg_kw_conn_max(struct cfg_parser *P, const struct cfg_tok *kw,
			   const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_u32(P, kw, &argv[0], 1, CFG_CONN_MAX, &P->c->conn_max);
}

static int cfg_kw_half_open_max(struct cfg_parser *P, const struct cfg_tok *kw,
				const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	P->half_open_line = kw->line;
	return cfg_arg_u32(P, kw, &argv[0], 1, CFG_CONN_MAX, &P->c->half_open_max);
}

/* lbd_rx_coalesce_us N: the datapath's wait after a short round (loop.c). */
static int cfg_kw_rx_coalesce(struct cfg_parser *P, const struct cfg_tok *kw,
			      const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_u32(P, kw, &argv[0], 0, CFG_COALESCE_US_MAX,
			   &P->c->rx_coalesce_us);
}

static int cfg_kw_expire_nodest(struct cfg_parser *P, const struct cfg_tok *kw,
				const struct cfg_tok *argv, size_t argc)
{
	return cfg_arg_bool(P, kw, argv, argc, &P->c->expire_nodest_conn);
}

/* ---- virtual_server ----------------------------------------------------- */

static int cfg_kw_virtual_server(struct cfg_parser *P, const struct cfg_tok *kw,
				 const struct cfg_tok *argv, size_t argc)
{
	struct cfg *c = P->c;
	struct cfg_svc *svc, *tab;
	__be32 vaddr;
	uint16_t vport;

	(void)argc;
	if (cfg_tok_is(&argv[0], "fwmark") || cfg_tok_is(&argv[0], "group")) {
		cfg_err(P, argv[0].line, "virtual_server '%s' is not supported by "
			"lbd (only IP PORT services)", CFG_Q(&argv[0]));
		return -1;
	}
	if (cfg_arg_addr(P, kw, &argv[0], &vaddr) < 0 ||
	    cfg_arg_port(P, kw, &argv[1], &vport) < 0)
		return -1;
	if (c->n_svc == CFG_SVC_MAX) {
		cfg_err(P, kw->line, "too many virtual servers (max %u)",
			CFG_SVC_MAX);
		return -1;
	}
	tab = realloc(c->svc, (c->n_svc + 1) * sizeof(*tab));
	if (tab == NULL) {
		cfg_err(P, kw->line, "out of memory");
		return -1;
	}
	c->svc = tab;
	svc = &tab[c->n_svc++];
	memset(svc, 0, sizeof(*svc));
	svc->vaddr = vaddr;
	svc->vport = htons(vport);
	svc->proto = IPPROTO_TCP;
	svc->fwd = LB_FWD_NAT;
	memcpy(svc->sched, "wrr", 4);
	svc->delay_loop_ms = CFG_DEF_DELAY_LOOP_MS;
	svc->line = kw->line;
	P->svc = svc;
	memset(&P->svc_def, 0, sizeof(P->svc_def));
	return 0;
}

static int cfg_kw_lb_algo(struct cfg_parser *P, const struct cfg_tok *kw,
			  const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	if (cfg_tok_icase(&argv[0], "rr"))
		memcpy(P->svc->sched, "rr", 3);
	else if (cfg_tok_icase(&argv[0], "wrr"))
		memcpy(P->svc->sched, "wrr", 4);
	else {
		cfg_err(P, argv[0].line, "%s '%s' is not supported by lbd "
			"(rr or wrr)", CFG_Q(kw), CFG_Q(&argv[0]));
		return -1;
	}
	return 0;
}

static int cfg_kw_lb_kind(struct cfg_parser *P, const struct cfg_tok *kw,
			  const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	if (cfg_tok_icase(&argv[0], "NAT"))
		P->svc->fwd = LB_FWD_NAT;
	else if (cfg_tok_icase(&argv[0], "DR"))
		P->svc->fwd = LB_FWD_DR;
	else if (cfg_tok_icase(&argv[0], "TUN")) {
		cfg_err(P, argv[0].line, "%s '%s': TUN is not supported "
			"(no IPIP here)", CFG_Q(kw), CFG_Q(&argv[0]));
		return -1;
	} else {
		cfg_err(P, argv[0].line, "unknown %s '%s' (NAT or DR)", CFG_Q(kw),
			CFG_Q(&argv[0]));
		return -1;
	}
	return 0;
}

static int cfg_kw_protocol(struct cfg_parser *P, const struct cfg_tok *kw,
			   const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	if (cfg_tok_icase(&argv[0], "TCP"))
		P->svc->proto = IPPROTO_TCP;
	else if (cfg_tok_icase(&argv[0], "UDP"))
		P->svc->proto = IPPROTO_UDP;
	else {
		cfg_err(P, argv[0].line, "%s '%s' is not supported by lbd "
			"(TCP or UDP)", CFG_Q(kw), CFG_Q(&argv[0]));
		return -1;
	}
	return 0;
}

static int cfg_kw_delay_loop(struct cfg_parser *P, const struct cfg_tok *kw,
			     const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_secs(P, kw, &argv[0], 1, &P->svc->delay_loop_ms);
}

/*
 * inhibit_on_failure, rise, fall, retry and delay_before_retry may be given
 * in virtual_server (a default for its real servers), in real_server (a
 * default for its checker) and, for the last two, in the checker. The lowest
 * level wins, whatever the order of the lines, so the value is kept with a
 * CFG_SET_* bit here and resolved when the enclosing block closes.
 */
static struct cfg_inherit *cfg_level(struct cfg_parser *P)
{
	return P->rs != NULL ? &P->rs_def : &P->svc_def;
}

static int cfg_kw_inhibit(struct cfg_parser *P, const struct cfg_tok *kw,
			  const struct cfg_tok *argv, size_t argc)
{
	struct cfg_inherit *lv = cfg_level(P);

	lv->set |= CFG_SET_INHIBIT;
	return cfg_arg_bool(P, kw, argv, argc, &lv->inhibit_on_failure);
}

static int cfg_kw_rise(struct cfg_parser *P, const struct cfg_tok *kw,
		       const struct cfg_tok *argv, size_t argc)
{
	struct cfg_inherit *lv = cfg_level(P);

	(void)argc;
	lv->set |= CFG_SET_RISE;
	return cfg_arg_u32(P, kw, &argv[0], 1, CFG_COUNT_MAX, &lv->rise);
}

static int cfg_kw_fall(struct cfg_parser *P, const struct cfg_tok *kw,
		       const struct cfg_tok *argv, size_t argc)
{
	struct cfg_inherit *lv = cfg_level(P);

	(void)argc;
	lv->set |= CFG_SET_FALL;
	return cfg_arg_u32(P, kw, &argv[0], 1, CFG_COUNT_MAX, &lv->fall);
}

static int cfg_kw_retry(struct cfg_parser *P, const struct cfg_tok *kw,
			const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	if (P->in_check) {
		P->rs_set[P->rs - P->svc->rs] |= CFG_SET_RETRY;
		return cfg_arg_u32(P, kw, &argv[0], 0, CFG_COUNT_MAX,
				   &P->rs->check.retry);
	}
	cfg_level(P)->set |= CFG_SET_RETRY;
	return cfg_arg_u32(P, kw, &argv[0], 0, CFG_COUNT_MAX, &cfg_level(P)->retry);
}

static int cfg_kw_dbr(struct cfg_parser *P, const struct cfg_tok *kw,
		      const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	if (P->in_check) {
		P->rs_set[P->rs - P->svc->rs] |= CFG_SET_DBR;
		return cfg_arg_secs(P, kw, &argv[0], 0,
				    &P->rs->check.delay_before_retry_ms);
	}
	cfg_level(P)->set |= CFG_SET_DBR;
	return cfg_arg_secs(P, kw, &argv[0], 0, &cfg_level(P)->dbr_ms);
}

/* Applies <lv>'s values to <rs> for every field <rs_set> has not claimed. */
static void cfg_inherit_apply(const struct cfg_inherit *lv, struct cfg_rs *rs,
			      uint8_t *rs_set)
{
	unsigned int take = lv->set & ~(unsigned int)*rs_set;

	if (take & CFG_SET_INHIBIT)
		rs->inhibit_on_failure = lv->inhibit_on_failure;
	if (take & CFG_SET_RISE)
		rs->rise = lv->rise;
	if (take & CFG_SET_FALL)
		rs->fall = lv->fall;
	if (take & CFG_SET_RETRY)
		rs->check.retry = lv->retry;
	if (take & CFG_SET_DBR)
		rs->check.delay_before_retry_ms = lv->dbr_ms;
	*rs_set |= (uint8_t)lv->set;
}

/*
 * A service with no real server is accepted: every new flow to it drops with
 * LB_DROP_NO_DEST (IPVS also answers ICMP port unreachable first, from
 * ip_vs_leave(); lbd drops silently), which lets a file declare a VIP before
 * its pool exists.
 */
static int cfg_svc_end(struct cfg_parser *P, unsigned int open_line)
{
	struct cfg_svc *svc = P->svc;
	size_t i;

	(void)open_line;
	for (i = 0; i < svc->n_rs; i++) {
		struct cfg_rs *rs = &svc->rs[i];

		cfg_inherit_apply(&P->svc_def, rs, &P->rs_set[i]);
		if (svc->fwd == LB_FWD_DR && rs->port != svc->vport) {
			cfg_err(P, rs->line, "real_server port '%u': DR cannot "
				"change the port (virtual_server port is %u)",
				ntohs(rs->port), ntohs(svc->vport));
			return -1;
		}
	}
	for (i = 0; svc != &P->c->svc[i]; i++) {
		const struct cfg_svc *o = &P->c->svc[i];

		if (o->vaddr == svc->vaddr && o->vport == svc->vport &&
		    o->proto == svc->proto) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &svc->vaddr, a, sizeof(a));
			cfg_err(P, svc->line, "duplicate virtual_server '%s %u' %s "
				"(first at line %u)", a, ntohs(svc->vport),
				svc->proto == IPPROTO_UDP ? "UDP" : "TCP", o->line);
			return -1;
		}
	}
	P->svc = NULL;
	return 0;
}

/* ---- real_server -------------------------------------------------------- */

static void cfg_check_defaults(struct cfg_check *chk)
{
	memset(chk, 0, sizeof(*chk));
	chk->kind = CFG_CHECK_NONE;
	chk->connect_timeout_ms = CFG_DEF_TIMEOUT_MS;
	chk->retry = CFG_DEF_RETRY;
	chk->delay_before_retry_ms = CFG_DEF_DBR_MS;
}

static int cfg_kw_real_server(struct cfg_parser *P, const struct cfg_tok *kw,
			      const struct cfg_tok *argv, size_t argc)
{
	struct cfg_svc *svc = P->svc;
	struct cfg_rs *rs, *tab;
	__be32 addr;
	uint16_t port;
	size_t i;

	(void)argc;
	if (cfg_arg_addr(P, kw, &argv[0], &addr) < 0 ||
	    cfg_arg_port(P, kw, &argv[1], &port) < 0)
		return -1;
	for (i = 0; i < svc->n_rs; i++) {
		if (svc->rs[i].addr == addr && svc->rs[i].port == htons(port)) {
			cfg_err(P, kw->line, "duplicate real_server '%s %s' in this "
				"virtual_server (first at line %u)", CFG_Q(&argv[0]),
				CFG_Q(&argv[1]), svc->rs[i].line);
			return -1;
		}
	}
	if (P->n_rs_total == CFG_RS_MAX) {
		cfg_err(P, kw->line, "too many real servers (max %u in all)",
			CFG_RS_MAX);
		return -1;
	}
	tab = realloc(svc->rs, (svc->n_rs + 1) * sizeof(*tab));
	if (tab == NULL) {
		cfg_err(P, kw->line, "out of memory");
		return -1;
	}
	svc->rs = tab;
	rs = &tab[svc->n_rs];
	P->rs_set[svc->n_rs] = 0;
	svc->n_rs++;
	P->n_rs_total++;
	memset(rs, 0, sizeof(*rs));
	rs->addr = addr;
	rs->port = htons(port);
	rs->weight = 1;
	rs->rise = 1;
	rs->fall = 1;
	cfg_check_defaults(&rs->check);
	rs->line = kw->line;
	P->rs = rs;
	memset(&P->rs_def, 0, sizeof(P->rs_def));
	P->check_line = 0;
	return 0;
}

static int cfg_kw_weight(struct cfg_parser *P, const struct cfg_tok *kw,
			 const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_u32(P, kw, &argv[0], 0, CFG_WEIGHT_MAX, &P->rs->weight);
}

static int cfg_rs_end(struct cfg_parser *P, unsigned int open_line)
{
	(void)open_line;
	cfg_inherit_apply(&P->rs_def, P->rs, &P->rs_set[P->rs - P->svc->rs]);
	P->rs = NULL;
	P->check_line = 0;
	return 0;
}

/* ---- checkers ----------------------------------------------------------- */

static int cfg_check_begin(struct cfg_parser *P, const struct cfg_tok *kw,
			   enum cfg_check_kind kind)
{
	if (P->rs->check.kind != CFG_CHECK_NONE) {
		cfg_err(P, kw->line, "second checker '%s' in real_server (lbd "
			"runs one per real_server; first at line %u)", CFG_Q(kw),
			P->check_line);
		return -1;
	}
	P->rs->check.kind = kind;
	P->check_line = kw->line;
	P->in_check = true;
	P->url_line = 0;
	P->url_has_path = false;
	return 0;
}

static int cfg_kw_tcp_check(struct cfg_parser *P, const struct cfg_tok *kw,
			    const struct cfg_tok *argv, size_t argc)
{
	(void)argv, (void)argc;
	return cfg_check_begin(P, kw, CFG_CHECK_TCP);
}

static int cfg_kw_http_get(struct cfg_parser *P, const struct cfg_tok *kw,
			   const struct cfg_tok *argv, size_t argc)
{
	(void)argv, (void)argc;
	return cfg_check_begin(P, kw, CFG_CHECK_HTTP);
}

static int cfg_kw_connect_timeout(struct cfg_parser *P, const struct cfg_tok *kw,
				  const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_secs(P, kw, &argv[0], 1, &P->rs->check.connect_timeout_ms);
}

static int cfg_kw_connect_port(struct cfg_parser *P, const struct cfg_tok *kw,
			       const struct cfg_tok *argv, size_t argc)
{
	(void)argc;
	return cfg_arg_port(P, kw, &argv[0], &P->rs->check.connect_port);
}

static int cfg_check_end(struct cfg_parser *P, unsigned int open_line)
{
	P->in_check = false;
	if (P->rs->check.kind == CFG_CHECK_HTTP && P->url_line == 0) {
		cfg_err(P, open_line, "HTTP_GET needs a 'url' block with a 'path'");
		return -1;
	}
	return 0;
}

static int cfg_kw_url(struct cfg_parser *P, const struct cfg_tok *kw,
		      const struct cfg_tok *argv, size_t argc)
{
	(void)argv, (void)argc;
	if (P->url_line != 0) {
		cfg_err(P, kw->line, "second '%s' block in HTTP_GET (lbd checks "
			"one url; first at line %u)", CFG_Q(kw), P->url_line);
		return -1;
	}
	P->url_line = kw->line;
	return 0;
}

/* The path goes into a request line: it must look like one. */
static int cfg_kw_path(struct cfg_parser *P, const struct cfg_tok *kw,
		       const struct cfg_tok *argv, size_t argc)
{
	const struct cfg_tok *a = &argv[0];
	size_t i;

	(void)argc;
	if (a->len == 0 || a->s[0] != '/') {
		cfg_err(P, a->line, "%s '%s' must start with '/'", CFG_Q(kw),
			CFG_Q(a));
		return -1;
	}
	if (a->len >= CFG_PATH_MAX) {
		cfg_err(P, a->line, "%s '%s' too long (max %u bytes)", CFG_Q(kw),
			CFG_Q(a), CFG_PATH_MAX - 1);
		return -1;
	}
	for (i = 0; i < a->len; i++) {
		unsigned char ch = (unsigned char)a->s[i];

		if (ch <= 0x20 || ch >= 0x7f) {
			cfg_err(P, a->line, "%s '%s' has a blank or a byte outside "
				"printable ASCII", CFG_Q(kw), CFG_Q(a));
			return -1;
		}
	}
	memcpy(P->rs->check.path, a->s, a->len);
	P->rs->check.path[a->len] = '\0';
	P->url_has_path = true;
	return 0;
}

static int cfg_kw_status_code(struct cfg_parser *P, const struct cfg_tok *kw,
			      const struct cfg_tok *argv, size_t argc)
{
	uint32_t v;

	(void)argc;
	if (cfg_arg_u32(P, kw, &argv[0], 100, 599, &v) < 0)
		return -1;
	P->rs->check.status_code = (uint16_t)v;
	return 0;
}

static int cfg_url_end(struct cfg_parser *P, unsigned int open_line)
{
	if (!P->url_has_path) {
		cfg_err(P, open_line, "url block needs a 'path'");
		return -1;
	}
	return 0;
}

/* ---- keyword tables ----------------------------------------------------- */

#define CFG_N(tab)	(sizeof(tab) / sizeof((tab)[0]))

static const struct cfg_kw cfg_url_kws[] = {
	/* keyword	min max handler			block */
	{ "path",	1, 1, cfg_kw_path,		NULL },
	{ "status_code", 1, 1, cfg_kw_status_code,	NULL },
};
static const struct cfg_block cfg_url_block = {
	"url", cfg_url_kws, CFG_N(cfg_url_kws), cfg_url_end
};

static const struct cfg_kw cfg_tcp_check_kws[] = {
	/* keyword		min max handler			block */
	{ "connect_timeout",	1, 1, cfg_kw_connect_timeout,	NULL },
	{ "connect_port",	1, 1, cfg_kw_connect_port,	NULL },
	{ "retry",		1, 1, cfg_kw_retry,		NULL },
	{ "nb_get_retry",	1, 1, cfg_kw_retry,		NULL },
	{ "delay_before_retry",	1, 1, cfg_kw_dbr,		NULL },
};
static const struct cfg_block cfg_tcp_check_block = {
	"TCP_CHECK", cfg_tcp_check_kws, CFG_N(cfg_tcp_check_kws), cfg_check_end
};

static const struct cfg_kw cfg_http_get_kws[] = {
	/* keyword		min max handler			block */
	{ "url",		0, 0, cfg_kw_url,		&cfg_url_block },
	{ "connect_timeout",	1, 1, cfg_kw_connect_timeout,	NULL },
	{ "connect_port",	1, 1, cfg_kw_connect_port,	NULL },
	{ "retry",		1, 1, cfg_kw_retry,		NULL },
	{ "nb_get_retry",	1, 1, cfg_kw_retry,		NULL },
	{ "delay_before_retry",	1, 1, cfg_kw_dbr,		NULL },
};
static const struct cfg_block cfg_http_get_block = {
	"HTTP_GET", cfg_http_get_kws, CFG_N(cfg_http_get_kws), cfg_check_end
};

static const struct cfg_kw cfg_rs_kws[] = {
	/* keyword		min max handler			block */
	{ "weight",		1, 1, cfg_kw_weight,		NULL },
	{ "inhibit_on_failure",	0, 1, cfg_kw_inhibit,		NULL },
	{ "rise",		1, 1, cfg_kw_rise,		NULL },
	{ "fall",		1, 1, cfg_kw_fall,		NULL },
	{ "retry",		1, 1, cfg_kw_retry,		NULL },
	{ "delay_before_retry",	1, 1, cfg_kw_dbr,		NULL },
	{ "TCP_CHECK",		0, 0, cfg_kw_tcp_check,	&cfg_tcp_check_block },
	{ "HTTP_GET",		0, 0, cfg_kw_http_get,	&cfg_http_get_block },
};
static const struct cfg_block cfg_rs_block = {
	"real_server", cfg_rs_kws, CFG_N(cfg_rs_kws), cfg_rs_end
};

static const struct cfg_kw cfg_svc_kws[] = {
	/* keyword		min max handler			block */
	{ "lb_algo",		1, 1, cfg_kw_lb_algo,		NULL },
	{ "lvs_sched",		1, 1, cfg_kw_lb_algo,		NULL },
	{ "lb_kind",		1, 1, cfg_kw_lb_kind,		NULL },
	{ "lvs_method",		1, 1, cfg_kw_lb_kind,		NULL },
	{ "protocol",		1, 1, cfg_kw_protocol,		NULL },
	{ "delay_loop",		1, 1, cfg_kw_delay_loop,	NULL },
	{ "inhibit_on_failure",	0, 1, cfg_kw_inhibit,		NULL },
	{ "rise",		1, 1, cfg_kw_rise,		NULL },
	{ "fall",		1, 1, cfg_kw_fall,		NULL },
	{ "retry",		1, 1, cfg_kw_retry,		NULL },
	{ "delay_before_retry",	1, 1, cfg_kw_dbr,		NULL },
	{ "real_server",	2, 2, cfg_kw_real_server,	&cfg_rs_block },
};
static const struct cfg_block cfg_svc_block = {
	"virtual_server", cfg_svc_kws, CFG_N(cfg_svc_kws), cfg_svc_end
};

/* Contents are mail addresses, not statements: skipped unread. */
static const struct cfg_block cfg_opaque_block = {
	"notification_email", NULL, 0, NULL
};

/*
 * router_id and the mail settings only matter to keepalived's alerting; they
 * are accepted and ignored so that an existing keepalived.conf loads.
 */
static const struct cfg_kw cfg_global_kws[] = {
	/* keyword			min max handler		block */
	{ "lvs_timeouts",		2, 6, cfg_kw_lvs_timeouts,	NULL },
	{ "lbd_conn_max",		1, 1, cfg_kw_conn_max,		NULL },
	{ "lbd_half_open_max",		1, 1, cfg_kw_half_open_max,	NULL },
	{ "lbd_rx_coalesce_us",		1, 1, cfg_kw_rx_coalesce,	NULL },
	{ "expire_nodest_conn",		0, 1, cfg_kw_expire_nodest,	NULL },
	{ "router_id",			1, 1, cfg_kw_ignore,		NULL },
	{ "lvs_id",			1, 1, cfg_kw_ignore,		NULL },
	{ "notification_email",		0, 0, cfg_kw_ignore, &cfg_opaque_block },
	{ "notification_email_from",	1, 1, cfg_kw_ignore,		NULL },
	{ "smtp_server",		1, 2, cfg_kw_ignore,		NULL },
	{ "smtp_helo_name",		1, 1, cfg_kw_ignore,		NULL },
	{ "smtp_connect_timeout",	1, 1, cfg_kw_ignore,		NULL },
};
static const struct cfg_block cfg_global_block = {
	"global_defs", cfg_global_kws, CFG_N(cfg_global_kws), NULL
};

static const struct cfg_kw cfg_top_kws[] = {
	/* keyword		min max handler			block */
	{ "global_defs",	0, 0, cfg_kw_ignore,		&cfg_global_block },
	{ "virtual_server",	2, 2, cfg_kw_virtual_server,	&cfg_svc_block },
};
static const struct cfg_block cfg_top_block = {
	"the top level", cfg_top_kws, CFG_N(cfg_top_kws), NULL
};

/* Every block, to tell "wrong block" from "unknown keyword". */
static const struct cfg_block *const cfg_all_blocks[] = {
	&cfg_top_block, &cfg_global_block, &cfg_svc_block, &cfg_rs_block,
	&cfg_tcp_check_block, &cfg_http_get_block, &cfg_url_block,
};

/*
 * keepalived keywords lbd knows and rejects, with why. Anything else that is
 * in no table is an unknown keyword.
 */
struct cfg_unsupported {
	const char *name;
	const char *why;
};

static const struct cfg_unsupported cfg_unsupported[] = {
	/* keyword			why */
	{ "include",			"(put everything in one file)" },
	{ "vrrp_instance",		"(lbd does no VRRP)" },
	{ "vrrp_sync_group",		"(lbd does no VRRP)" },
	{ "vrrp_script",		"(lbd does no VRRP)" },
	{ "vrrp_track_file",		"(lbd does no VRRP)" },
	{ "virtual_server_group",	"(only IP PORT services)" },
	{ "static_ipaddress",		"(lbd does not configure addresses)" },
	{ "static_routes",		"(lbd does not configure routes)" },
	{ "static_rules",		"(lbd does not configure rules)" },
	{ "bfd_instance",		"" },
	{ "lvs_sync_daemon",		"(no connection sync)" },
	{ "lvs_flush",			"(lbd does not use kernel IPVS)" },
	{ "nat_mask",			"(obsolete keepalived keyword)" },
	{ "persistence_timeout",	"(no persistence)" },
	{ "persistence_granularity",	"(no persistence)" },
	{ "persistence_engine",		"(no persistence)" },
	{ "sorry_server",		"" },
	{ "sorry_server_inhibit",	"" },
	{ "sorry_server_lvs_method",	"" },
	{ "quorum",			"" },
	{ "quorum_up",			"" },
	{ "quorum_down",		"" },
	{ "hysteresis",			"" },
	{ "ha_suspend",			"" },
	{ "alpha",			"" },
	{ "omega",			"" },
	{ "ops",			"" },
	{ "virtualhost",		"(HTTP_GET sends no Host header choice)" },
	{ "warmup",			"" },
	{ "notify_up",			"(lbd runs no scripts)" },
	{ "notify_down",		"(lbd runs no scripts)" },
	{ "uthreshold",			"" },
	{ "lthreshold",			"" },
	{ "SSL_GET",			"(TCP_CHECK or HTTP_GET)" },
	{ "SMTP_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "MISC_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "DNS_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "UDP_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "PING_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "BFD_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "FILE_CHECK",			"(TCP_CHECK or HTTP_GET)" },
	{ "connect_ip",			"(checks go to the real server)" },
	{ "bindto",			"" },
	{ "bind_port",			"" },
	{ "bind_if",			"" },
	{ "fwmark",			"" },
	{ "digest",			"(lbd checks status_code only)" },
	{ "regex",			"(lbd checks status_code only)" },
};

static const struct cfg_kw *cfg_kw_find(const struct cfg_block *blk,
					const struct cfg_tok *t)
{
	size_t i;

	for (i = 0; i < blk->n_kws; i++)
		if (cfg_tok_is(t, blk->kws[i].name))
			return &blk->kws[i];
	return NULL;
}

/* Whether <t> is a keyword of any block, or one lbd rejects by name. */
static bool cfg_is_keyword(const struct cfg_tok *t)
{
	size_t i;

	for (i = 0; i < CFG_N(cfg_unsupported); i++)
		if (cfg_tok_is(t, cfg_unsupported[i].name))
			return true;
	for (i = 0; i < CFG_N(cfg_all_blocks); i++)
		if (cfg_kw_find(cfg_all_blocks[i], t) != NULL)
			return true;
	return false;
}

/* Fills the error for <t>, which is not a keyword of <blk>. */
static void cfg_err_keyword(struct cfg_parser *P, const struct cfg_block *blk,
			    const struct cfg_tok *t)
{
	size_t i;

	for (i = 0; i < CFG_N(cfg_unsupported); i++) {
		if (cfg_tok_is(t, cfg_unsupported[i].name)) {
			cfg_err(P, t->line, "'%s' is not supported by lbd %s",
				CFG_Q(t), cfg_unsupported[i].why);
			return;
		}
	}
	for (i = 0; i < CFG_N(cfg_all_blocks); i++) {
		if (cfg_kw_find(cfg_all_blocks[i], t) != NULL) {
			cfg_err(P, t->line, "'%s' is not allowed in %s (it belongs "
				"in %s)", CFG_Q(t), blk->name,
				cfg_all_blocks[i]->name);
			return;
		}
	}
	if (t->len > 0 && (t->s[0] == '@' || t->s[0] == '$')) {
		cfg_err(P, t->line, "'%s': conditional lines and $PARAMETERS are "
			"not supported by lbd", CFG_Q(t));
		return;
	}
	cfg_err(P, t->line, "unknown keyword '%s' in %s", CFG_Q(t), blk->name);
}

/* ---- dispatcher --------------------------------------------------------- */

static int cfg_block_parse(struct cfg_parser *P, const struct cfg_block *blk,
			   unsigned int open_line, bool is_top);

/*
 * Collects the arguments of <kw> into <argv>: the words up to the end of the
 * line, a brace, or (once <kw> has its minimum) a word that is itself a
 * keyword of <blk>. The last rule lets compact lines such as
 * "url { path /health status_code 200 }" read as their authors meant. Past
 * <kw>'s maximum, a word that is a keyword anywhere also ends the statement,
 * so that "path / digest X" reports digest rather than an extra argument.
 */
static int cfg_args(struct cfg_parser *P, const struct cfg_block *blk,
		    const struct cfg_tok *kwtok, const struct cfg_kw *kw,
		    struct cfg_tok *argv, size_t *argc)
{
	struct cfg_tok t;

	*argc = 0;
	for (;;) {
		if (cfg_peek(P, &t) < 0)
			return -1;
		if (t.type != CFG_T_WORD)
			break;
		if (*argc >= kw->min_args && cfg_kw_find(blk, &t) != NULL)
			break;
		if (*argc == kw->max_args) {
			if (cfg_is_keyword(&t))
				break;	/* the dispatcher says what is wrong */
			cfg_err(P, t.line, "extra argument '%s' to '%s'",
				CFG_Q(&t), CFG_Q(kwtok));
			return -1;
		}
		argv[(*argc)++] = t;
		P->has_peek = false;
	}
	if (*argc < kw->min_args) {
		cfg_err(P, kwtok->line, "'%s' needs %s%u argument%s, got %zu",
			CFG_Q(kwtok), kw->min_args == kw->max_args ? "" : "at least ",
			kw->min_args, kw->min_args == 1 ? "" : "s", *argc);
		return -1;
	}
	return 0;
}

/* Skips an opaque block up to its closing brace. */
static int cfg_skip_block(struct cfg_parser *P, unsigned int open_line,
			  const char *name)
{
	struct cfg_tok t;

	for (;;) {
		if (cfg_next(P, &t) < 0)
			return -1;
		if (t.type == CFG_T_RBRACE)
			return 0;
		if (t.type == CFG_T_LBRACE) {
			cfg_err(P, t.line, "unexpected '{' in %s", name);
			return -1;
		}
		if (t.type == CFG_T_EOF) {
			cfg_err(P, open_line, "unexpected end of file: '%s' block "
				"opened here is not closed", name);
			return -1;
		}
	}
}

/* Opens the block of <kw> ("{" may be on a later line) and parses it. */
static int cfg_sub_block(struct cfg_parser *P, const struct cfg_tok *kwtok,
			 const struct cfg_kw *kw)
{
	struct cfg_tok t;

	do {
		if (cfg_next(P, &t) < 0)
			return -1;
	} while (t.type == CFG_T_EOL);
	if (t.type != CFG_T_LBRACE) {
		cfg_err(P, kwtok->line, "'%s' needs a '{' block", CFG_Q(kwtok));
		return -1;
	}
	if (kw->sub->kws == NULL)
		return cfg_skip_block(P, kwtok->line, kw->sub->name);
	if (cfg_block_parse(P, kw->sub, kwtok->line, false) < 0)
		return -1;
	return kw->sub->end != NULL ? kw->sub->end(P, kwtok->line) : 0;
}

static int cfg_statement(struct cfg_parser *P, const struct cfg_block *blk,
			 const struct cfg_tok *kwtok)
{
	const struct cfg_kw *kw = cfg_kw_find(blk, kwtok);
	struct cfg_tok argv[CFG_ARGS_MAX];
	struct cfg_tok t;
	size_t argc;

	if (kw == NULL) {
		cfg_err_keyword(P, blk, kwtok);
		return -1;
	}
	if (cfg_args(P, blk, kwtok, kw, argv, &argc) < 0 ||
	    kw->fn(P, kwtok, argv, argc) < 0)
		return -1;
	if (kw->sub != NULL)
		return cfg_sub_block(P, kwtok, kw);
	if (cfg_peek(P, &t) < 0)
		return -1;
	if (t.type == CFG_T_LBRACE) {
		cfg_err(P, t.line, "'%s' does not open a block", CFG_Q(kwtok));
		return -1;
	}
	return 0;
}

/* Parses statements of <blk> up to its '}' (or EOF at the top level). */
static int cfg_block_parse(struct cfg_parser *P, const struct cfg_block *blk,
			   unsigned int open_line, bool is_top)
{
	struct cfg_tok t;

	for (;;) {
		if (cfg_next(P, &t) < 0)
			return -1;
		switch (t.type) {
		case CFG_T_EOL:
			break;
		case CFG_T_WORD:
			if (cfg_statement(P, blk, &t) < 0)
				return -1;
			break;
		case CFG_T_RBRACE:
			if (!is_top)
				return 0;
			cfg_err(P, t.line, "unexpected '}' with no block open");
			return -1;
		case CFG_T_LBRACE:
			cfg_err(P, t.line, "unexpected '{' in %s (no keyword "
				"before it)", blk->name);
			return -1;
		case CFG_T_EOF:
			if (is_top)
				return 0;
			cfg_err(P, open_line, "unexpected end of file: '%s' block "
				"opened here is not closed", blk->name);
			return -1;
		}
	}
}

/* ---- entry points ------------------------------------------------------- */

static int cfg_finish(struct cfg_parser *P)
{
	struct cfg *c = P->c;

	if (P->half_open_line == 0)
		c->half_open_max = c->conn_max / 8 > 0 ? c->conn_max / 8 : 1;
	if (c->half_open_max > c->conn_max) {
		cfg_err(P, P->half_open_line, "lbd_half_open_max '%u' exceeds "
			"lbd_conn_max %u", c->half_open_max, c->conn_max);
		return -1;
	}
	return 0;
}

struct cfg *cfg_parse(const char *text, size_t len, const char *fname,
		      char *err, size_t errlen)
{
	struct cfg_parser *P;
	struct cfg *c;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	P = calloc(1, sizeof(*P));
	if (P == NULL)
		goto err_nomem;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto err_free_parser;
	c->conn_max = CFG_DEF_CONN_MAX;
	P->c = c;
	P->p = text;
	P->end = text != NULL ? text + len : text;
	P->fname = fname != NULL ? fname : "(config)";
	P->line = 1;
	P->at_bol = true;
	P->err = err;
	P->errlen = errlen;
	if (cfg_block_parse(P, &cfg_top_block, 1, true) < 0 || cfg_finish(P) < 0)
		goto err_free_cfg;
	free(P);
	return c;

err_free_cfg:
	cfg_free(c);
	free(P);
	return NULL;
err_free_parser:
	free(P);
err_nomem:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s:0: out of memory",
			 fname != NULL ? fname : "(config)");
	return NULL;
}

void cfg_free(struct cfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_svc; i++)
		free(c->svc[i].rs);
	free(c->svc);
	free(c);
}
