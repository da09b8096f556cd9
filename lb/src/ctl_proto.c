/* SPDX-License-Identifier: MIT */
/*
 * The lbd control protocol (L1): request lines and reply rows, parsed and
 * formatted from tables (verbs, error codes, row fields). L1: no I/O, no
 * logging; every length is checked, nothing trusts the peer.
 */
#include "ctl_proto.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CTL_TOK_MAX	64	/* tokens per line; more is malformed */

struct ctl_tok {
	const char *s;		/* into the caller's line; not NUL-terminated */
	size_t len;
};

/* ---- lexical helpers -------------------------------------------------- */

static bool tok_is(const struct ctl_tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && memcmp(t->s, s, n) == 0;
}

/*
 * Strips one "\n" (and a "\r" before it) from <line>, checks the length and
 * the character set. Returns false for a line that is too long or holds a
 * byte outside 0x20..0x7e and tab.
 */
static bool line_trim(const char *line, size_t *len)
{
	size_t n = *len, i;

	if (line == NULL || n > CTL_LINE_MAX)
		return false;
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n >= CTL_LINE_MAX)
		return false;	/* no room left for its '\n' */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 || c > 0x7e) && c != '\t')
			return false;
	}
	*len = n;
	return true;
}

/* Splits into at most <max> tokens; returns the count, or -1 when more. */
static int tokenize(const char *s, size_t len, struct ctl_tok *tok, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		size_t start;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == max)
			return -1;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		tok[n].s = s + start;
		tok[n].len = i - start;
		n++;
	}
	return n;
}

/* Decimal, digits only, at most <max>. */
static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned int)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static bool parse_u32(const char *s, size_t len, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (!parse_u64(s, len, max, &x))
		return false;
	*v = (uint32_t)x;
	return true;
}

/* "a.b.c.d:port", strictly: four decimal octets and a decimal port. */
static bool parse_addrport(const char *s, size_t len, __be32 *addr, __be16 *port)
{
	uint32_t a = 0, v;
	size_t i = 0;
	int octet;

	for (octet = 0; octet < 4; octet++) {
		size_t start = i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i - start > 3 || !parse_u32(s + start, i - start, 255, &v))
			return false;
		a = a << 8 | v;
		if (i == len || s[i] != (octet < 3 ? '.' : ':'))
			return false;
		i++;
	}
	if (!parse_u32(s + i, len - i, 65535, &v))
		return false;
	*addr = htonl(a);
	*port = htons((uint16_t)v);
	return true;
}

static int fmt_addrport(char *buf, size_t len, __be32 addr, __be16 port)
{
	uint32_t a = ntohl(addr);

	return snprintf(buf, len, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff,
			(a >> 8) & 0xff, a & 0xff, (unsigned int)ntohs(port));
}

/* A name token (scheduler, conn state): 1 .. size-1 of [A-Za-z0-9_]. */
static bool is_name(const char *s, size_t len, size_t size)
{
	size_t i;

	if (len == 0 || len >= size)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool parse_name(const char *s, size_t len, char *out, size_t size)
{
	if (!is_name(s, len, size))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool name_ok(const char *name, size_t size)
{
	const char *end = memchr(name, '\0', size);

	return end != NULL && is_name(name, (size_t)(end - name), size);
}

static bool parse_proto(const char *s, size_t len, uint8_t *proto)
{
	if (len == 3 && memcmp(s, "tcp", 3) == 0)
		*proto = IPPROTO_TCP;
	else if (len == 3 && memcmp(s, "udp", 3) == 0)
		*proto = IPPROTO_UDP;
	else
		return false;
	return true;
}

static const char *proto_name(uint8_t proto)
{
	if (proto == IPPROTO_TCP)
		return "tcp";
	if (proto == IPPROTO_UDP)
		return "udp";
	return NULL;
}

static bool parse_fwd(const char *s, size_t len, uint8_t *fwd)
{
	if (len == 2 && memcmp(s, "dr", 2) == 0)
		*fwd = LB_FWD_DR;
	else if (len == 3 && memcmp(s, "nat", 3) == 0)
		*fwd = LB_FWD_NAT;
	else
		return false;
	return true;
}

static const char *fwd_name(uint8_t fwd)
{
	if (fwd == LB_FWD_DR)
		return "dr";
	if (fwd == LB_FWD_NAT)
		return "nat";
	return NULL;
}

/* ---- percent-encoded text --------------------------------------------- */

static bool pct_plain(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '%' && c != '=';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes into <out> (<size> bytes incl. NUL); false on bad escapes, NUL, overflow. */
static bool pct_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= size)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

/* Appends the encoding of NUL-terminated <s> (within <size>); -1 if unterminated. */
static int pct_encode(const char *s, size_t size, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < size && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 > len)
			return -1;
		if (pct_plain(c)) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		}
	}
	if (i == size || o >= len)
		return -1;
	buf[o] = '\0';
	return (int)o;
}

/* ---- requests ----------------------------------------------------------- */

/* Argument shapes, in wire order: VERSION | PROTO SVC [RS] [SCHED] [FWD WEIGHT]. */
#define CTL_A_VERSION	(1u << 0)
#define CTL_A_SVC	(1u << 1)	/* PROTO VADDR:VPORT, required */
#define CTL_A_OPTSVC	(1u << 2)	/* PROTO VADDR:VPORT, optional */
#define CTL_A_RS	(1u << 3)	/* DADDR:DPORT */
#define CTL_A_SCHED	(1u << 4)
#define CTL_A_FWDW	(1u << 5)	/* FWD WEIGHT */

static const struct ctl_verb_def {
	const char *name;
	unsigned int args;
	bool write;
} ctl_verbs[CTL_V_MAX] = {
	/*               name          arguments                         write */
	[CTL_V_HELLO] = { "hello",     CTL_A_VERSION,                    false },
	[CTL_V_SVC_ADD] = { "svc-add", CTL_A_SVC | CTL_A_SCHED,          true },
	[CTL_V_SVC_EDIT] = { "svc-edit", CTL_A_SVC | CTL_A_SCHED,        true },
	[CTL_V_SVC_DEL] = { "svc-del", CTL_A_SVC,                        true },
	[CTL_V_RS_ADD] = { "rs-add",   CTL_A_SVC | CTL_A_RS | CTL_A_FWDW, true },
	[CTL_V_RS_EDIT] = { "rs-edit", CTL_A_SVC | CTL_A_RS | CTL_A_FWDW, true },
	[CTL_V_RS_DEL] = { "rs-del",   CTL_A_SVC | CTL_A_RS,             true },
	[CTL_V_CLEAR] = { "clear",     0,                                true },
	[CTL_V_ZERO] = { "zero",       CTL_A_OPTSVC,                     true },
	[CTL_V_LIST] = { "list",       CTL_A_OPTSVC,                     false },
	[CTL_V_CONNS] = { "conns",     0,                                false },
	[CTL_V_TIMEOUTS] = { "timeouts", 0,                              false },
	[CTL_V_BEGIN] = { "begin",     0,                                false },
	[CTL_V_COMMIT] = { "commit",   0,                                false },
	[CTL_V_ABORT] = { "abort",     0,                                false },
	[CTL_V_DROPS] = { "drops",     0,                                false },
};

const char *ctl_verb_name(enum ctl_verb verb)
{
	if ((unsigned int)verb <= CTL_V_NONE || (unsigned int)verb >= CTL_V_MAX)
		return "?";
	return ctl_verbs[verb].name;
}

bool ctl_verb_is_write(enum ctl_verb verb)
{
	if ((unsigned int)verb <= CTL_V_NONE || (unsigned int)verb >= CTL_V_MAX)
		return false;
	return ctl_verbs[verb].write;
}

/* Number of tokens after the verb that <args> takes (both for OPTSVC). */
static int args_count(unsigned int args, int *min)
{
	int n = 0;

	if (args & CTL_A_VERSION)
		n += 1;
	if (args & (CTL_A_SVC | CTL_A_OPTSVC))
		n += 2;
	if (args & CTL_A_RS)
		n += 1;
	if (args & CTL_A_SCHED)
		n += 1;
	if (args & CTL_A_FWDW)
		n += 2;
	*min = (args & CTL_A_OPTSVC) ? n - 2 : n;
	return n;
}

static bool req_fail(char *err, size_t errlen, const char *what,
		     const struct ctl_tok *t)
{
	if (errlen == 0)
		return false;
	if (t != NULL)
		snprintf(err, errlen, "%s '%.*s'", what,
			 (int)(t->len > 40 ? 40 : t->len), t->s);
	else
		snprintf(err, errlen, "%s", what);
	return false;
}

bool ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
		   char *err, size_t errlen)
{
	struct ctl_tok tok[CTL_TOK_MAX];
	const struct ctl_verb_def *def = NULL;
	int n, i, max, min, v;

	if (errlen > 0)
		err[0] = '\0';
	if (line != NULL && (len > CTL_LINE_MAX ||
			     (len == CTL_LINE_MAX && line[len - 1] != '\n')))
		return req_fail(err, errlen, "line too long", NULL);
	if (!line_trim(line, &len))
		return req_fail(err, errlen, "bad character in request", NULL);
	n = tokenize(line, len, tok, CTL_TOK_MAX);
	if (n < 0)
		return req_fail(err, errlen, "too many arguments", NULL);
	if (n == 0)
		return req_fail(err, errlen, "empty request", NULL);
	memset(req, 0, sizeof(*req));
	for (v = CTL_V_NONE + 1; v < CTL_V_MAX; v++) {
		if (tok_is(&tok[0], ctl_verbs[v].name)) {
			def = &ctl_verbs[v];
			req->verb = (enum ctl_verb)v;
			break;
		}
	}
	if (def == NULL)
		return req_fail(err, errlen, "unknown request", &tok[0]);
	max = args_count(def->args, &min);
	if (n - 1 != min && n - 1 != max)
		return req_fail(err, errlen, "wrong number of arguments to",
				&tok[0]);
	i = 1;
	if (def->args & CTL_A_VERSION) {
		if (!parse_u32(tok[i].s, tok[i].len, UINT32_MAX, &req->version))
			return req_fail(err, errlen, "bad version", &tok[i]);
		i++;
	}
	if ((def->args & CTL_A_SVC) || ((def->args & CTL_A_OPTSVC) && n - 1 == max)) {
		req->has_svc = true;
		if (!parse_proto(tok[i].s, tok[i].len, &req->proto))
			return req_fail(err, errlen, "bad protocol", &tok[i]);
		i++;
		if (!parse_addrport(tok[i].s, tok[i].len, &req->vaddr, &req->vport))
			return req_fail(err, errlen, "bad service address", &tok[i]);
		i++;
	}
	if (def->args & CTL_A_RS) {
		if (!parse_addrport(tok[i].s, tok[i].len, &req->daddr, &req->dport))
			return req_fail(err, errlen, "bad real server address",
					&tok[i]);
		i++;
	}
	if (def->args & CTL_A_SCHED) {
		if (!parse_name(tok[i].s, tok[i].len, req->sched, CTL_SCHED_MAX))
			return req_fail(err, errlen, "bad scheduler", &tok[i]);
		i++;
	}
	if (def->args & CTL_A_FWDW) {
		if (!parse_fwd(tok[i].s, tok[i].len, &req->fwd))
			return req_fail(err, errlen, "bad forwarding method",
					&tok[i]);
		i++;
		if (!parse_u32(tok[i].s, tok[i].len, CTL_WEIGHT_MAX, &req->weight))
			return req_fail(err, errlen, "bad weight", &tok[i]);
	}
	return true;
}

/* Appends with snprintf semantics; *off grows, stays <= len once full. */
static bool put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off) {
		*off = len;
		return false;
	}
	*off += (size_t)n;
	return true;
}

static bool put_addrport(char *buf, size_t len, size_t *off, __be32 addr,
			 __be16 port)
{
	char a[32];

	fmt_addrport(a, sizeof(a), addr, port);
	return put(buf, len, off, "%s", a);
}

int ctl_req_format(const struct ctl_req *req, char *buf, size_t len)
{
	const struct ctl_verb_def *def;
	size_t off = 0;
	bool ok;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if ((unsigned int)req->verb <= CTL_V_NONE ||
	    (unsigned int)req->verb >= CTL_V_MAX)
		return -1;
	def = &ctl_verbs[req->verb];
	ok = put(buf, len, &off, "%s", def->name);
	if (def->args & CTL_A_VERSION)
		ok = ok && put(buf, len, &off, " %u", (unsigned int)req->version);
	if ((def->args & CTL_A_SVC) || ((def->args & CTL_A_OPTSVC) && req->has_svc)) {
		const char *p = proto_name(req->proto);

		if (p == NULL)
			return -1;
		ok = ok && put(buf, len, &off, " %s ", p) &&
		     put_addrport(buf, len, &off, req->vaddr, req->vport);
	}
	if (def->args & CTL_A_RS)
		ok = ok && put(buf, len, &off, " ") &&
		     put_addrport(buf, len, &off, req->daddr, req->dport);
	if (def->args & CTL_A_SCHED) {
		if (!name_ok(req->sched, sizeof(req->sched)))
			return -1;
		ok = ok && put(buf, len, &off, " %s", req->sched);
	}
	if (def->args & CTL_A_FWDW) {
		const char *f = fwd_name(req->fwd);

		if (f == NULL || req->weight > CTL_WEIGHT_MAX)
			return -1;
		ok = ok && put(buf, len, &off, " %s %u", f,
			       (unsigned int)req->weight);
	}
	ok = ok && put(buf, len, &off, "\n");
	if (!ok) {
		buf[0] = '\0';
		return -1;
	}
	return (int)off;
}

/* ---- errors ------------------------------------------------------------- */

static const char *const ctl_err_names[CTL_E_MAX] = {
	[CTL_E_ESRCH] = "ESRCH",
	[CTL_E_EEXIST] = "EEXIST",
	[CTL_E_ENOENT] = "ENOENT",
	[CTL_E_EINVAL] = "EINVAL",
	[CTL_E_ENOMEM] = "ENOMEM",
	[CTL_E_EPERM] = "EPERM",
	[CTL_E_EPROTO] = "EPROTO",
	[CTL_E_EOPNOTSUPP] = "EOPNOTSUPP",
	[CTL_E_ETIMEDOUT] = "ETIMEDOUT",
};

const char *ctl_err_name(enum ctl_err code)
{
	if ((unsigned int)code <= CTL_E_NONE || (unsigned int)code >= CTL_E_MAX)
		return "?";
	return ctl_err_names[code];
}

int ctl_err_format(enum ctl_err code, const char *msg, char *buf, size_t len)
{
	size_t off, i, mlen;

	if (buf == NULL || len < 64)
		return -1;
	buf[0] = '\0';
	if ((unsigned int)code <= CTL_E_NONE || (unsigned int)code >= CTL_E_MAX)
		return -1;
	off = (size_t)snprintf(buf, len, "err %s", ctl_err_names[code]);
	mlen = msg != NULL ? strlen(msg) : 0;
	if (len > CTL_LINE_MAX)
		len = CTL_LINE_MAX;	/* one line: room for '\n' and NUL */
	if (mlen > 0 && off + 3 < len) {
		buf[off++] = ' ';
		for (i = 0; i < mlen && off + 2 < len; i++) {
			unsigned char c = (unsigned char)msg[i];

			buf[off++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
		}
	}
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}

bool ctl_err_parse(const char *line, size_t len, enum ctl_err *code,
		   char *msg, size_t msglen)
{
	size_t i, j, clen, mlen;
	int c;

	if (!line_trim(line, &len) || len < 5 || memcmp(line, "err ", 4) != 0)
		return false;
	for (i = 4; i < len && line[i] != ' '; i++)
		;
	clen = i - 4;
	for (c = CTL_E_NONE + 1; c < CTL_E_MAX; c++)
		if (strlen(ctl_err_names[c]) == clen &&
		    memcmp(line + 4, ctl_err_names[c], clen) == 0)
			break;
	if (c == CTL_E_MAX)
		return false;
	*code = (enum ctl_err)c;
	if (msglen == 0)
		return true;
	j = i < len ? i + 1 : len;
	mlen = len - j;
	if (mlen >= msglen)
		mlen = msglen - 1;
	memcpy(msg, line + j, mlen);
	msg[mlen] = '\0';
	return true;
}

/*
 * ipvsadm's ipvs_strerror() table, keyed by our verb instead of the libipvs
 * function that failed. CTL_V_NONE matches any verb.
 */
static const struct ctl_errtext {
	enum ctl_verb verb;
	enum ctl_err code;
	const char *text;
} ctl_errtexts[] = {
	/* verb            code               ipvsadm's text */
	{ CTL_V_SVC_ADD,  CTL_E_EEXIST,  "Service already exists" },
	{ CTL_V_SVC_ADD,  CTL_E_ENOENT,  "Scheduler not found" },
	{ CTL_V_SVC_EDIT, CTL_E_ESRCH,   "No such service" },
	{ CTL_V_SVC_EDIT, CTL_E_ENOENT,  "Scheduler not found" },
	{ CTL_V_SVC_DEL,  CTL_E_ESRCH,   "No such service" },
	{ CTL_V_ZERO,     CTL_E_ESRCH,   "No such service" },
	{ CTL_V_RS_ADD,   CTL_E_ESRCH,   "Service not defined" },
	{ CTL_V_RS_ADD,   CTL_E_EEXIST,  "Destination already exists" },
	{ CTL_V_RS_EDIT,  CTL_E_ESRCH,   "Service not defined" },
	{ CTL_V_RS_EDIT,  CTL_E_ENOENT,  "No such destination" },
	{ CTL_V_RS_DEL,   CTL_E_ESRCH,   "Service not defined" },
	{ CTL_V_RS_DEL,   CTL_E_ENOENT,  "No such destination" },
	{ CTL_V_LIST,     CTL_E_ESRCH,   "No such service" },
	{ CTL_V_NONE,     CTL_E_EPERM,   "Permission denied (you must be root)" },
	{ CTL_V_NONE,     CTL_E_EINVAL,  "Invalid operation.  Possibly wrong "
					 "module version, address not unicast, ..." },
	{ CTL_V_NONE,     CTL_E_ENOMEM,  "Memory allocation problem" },
};

const char *ctl_strerror(enum ctl_verb verb, enum ctl_err code,
			 const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_errtexts) / sizeof(ctl_errtexts[0]); i++) {
		const struct ctl_errtext *e = &ctl_errtexts[i];

		if ((e->verb == CTL_V_NONE || e->verb == verb) && e->code == code)
			return e->text;
	}
	if (msg != NULL && msg[0] != '\0')
		return msg;
	return ctl_err_name(code);
}

/* ---- reply rows --------------------------------------------------------- */

enum ctl_ftype {
	CTL_F_U32 = 0,		/* uint32_t at off, at most max */
	CTL_F_U64,		/* uint64_t at off */
	CTL_F_PROTO,		/* uint8_t at off: tcp|udp */
	CTL_F_FWD,		/* uint8_t at off: dr|nat */
	CTL_F_HEALTH,		/* bool at off: up|down */
	CTL_F_ADDRPORT,		/* __be32 at off, __be16 at off2 */
	CTL_F_NAME,		/* char[size] at off: a name token */
	CTL_F_TEXT,		/* char[size] at off: percent-encoded */
	CTL_F_VER,		/* char[size] at off: digits and dots */
	CTL_F_LAT,		/* uint32_t at off: number or "-" for CTL_LAT_NONE */
};

struct ctl_field {
	const char *key;
	enum ctl_ftype type;
	size_t off;
	size_t off2;		/* CTL_F_ADDRPORT: the port */
	size_t size;		/* CTL_F_NAME, CTL_F_TEXT, CTL_F_VER: buffer */
	uint64_t max;		/* CTL_F_U32 */
};

#define F_U32(T, m, mx)	{ #m, CTL_F_U32, offsetof(T, m), 0, 0, mx }
#define F_U64(T, m)	{ #m, CTL_F_U64, offsetof(T, m), 0, 0, 0 }
#define F_STAT(T, m)	{ #m, CTL_F_U64, offsetof(T, st.m), 0, 0, 0 }
#define F_AP(T, k, a, p) { k, CTL_F_ADDRPORT, offsetof(T, a), offsetof(T, p), 0, 0 }
#define F_STR(T, k, ty, m) { k, ty, offsetof(T, m), 0, sizeof(((T *)0)->m), 0 }
#define F_STATS(T)	F_STAT(T, conns), F_STAT(T, inpkts), F_STAT(T, outpkts), \
			F_STAT(T, inbytes), F_STAT(T, outbytes), F_STAT(T, cps), \
			F_STAT(T, inpps), F_STAT(T, outpps), F_STAT(T, inbps), \
			F_STAT(T, outbps)

static const struct ctl_field ctl_info_fields[] = {
	/* key     type and where */
	F_U32(struct ctl_info_row, proto, UINT32_MAX),
	F_STR(struct ctl_info_row, "ver", CTL_F_VER, ver),
	F_U32(struct ctl_info_row, size, UINT32_MAX),
};

static const struct ctl_field ctl_svc_fields[] = {
	{ "proto", CTL_F_PROTO, offsetof(struct ctl_svc_row, proto), 0, 0, 0 },
	F_AP(struct ctl_svc_row, "vaddr", vaddr, vport),
	F_STR(struct ctl_svc_row, "sched", CTL_F_NAME, sched),
	F_STATS(struct ctl_svc_row),
};

static const struct ctl_field ctl_rs_fields[] = {
	F_AP(struct ctl_rs_row, "daddr", daddr, dport),
	{ "fwd", CTL_F_FWD, offsetof(struct ctl_rs_row, fwd), 0, 0, 0 },
	F_U32(struct ctl_rs_row, weight, CTL_WEIGHT_MAX),
	F_U32(struct ctl_rs_row, active, UINT32_MAX),
	F_U32(struct ctl_rs_row, inactive, UINT32_MAX),
	F_STATS(struct ctl_rs_row),
	{ "health", CTL_F_HEALTH, offsetof(struct ctl_rs_row, up), 0, 0, 0 },
	{ "lat_us", CTL_F_LAT, offsetof(struct ctl_rs_row, lat_us), 0, 0, 0 },
	F_STR(struct ctl_rs_row, "check", CTL_F_TEXT, check),
};

static const struct ctl_field ctl_conn_fields[] = {
	{ "proto", CTL_F_PROTO, offsetof(struct ctl_conn_row, proto), 0, 0, 0 },
	F_AP(struct ctl_conn_row, "caddr", caddr, cport),
	F_AP(struct ctl_conn_row, "vaddr", vaddr, vport),
	F_AP(struct ctl_conn_row, "daddr", daddr, dport),
	F_STR(struct ctl_conn_row, "state", CTL_F_NAME, state),
	F_U32(struct ctl_conn_row, expire, UINT32_MAX),
};

static const struct ctl_field ctl_timeouts_fields[] = {
	F_U32(struct ctl_timeouts_row, tcp, UINT32_MAX),
	F_U32(struct ctl_timeouts_row, tcpfin, UINT32_MAX),
	F_U32(struct ctl_timeouts_row, udp, UINT32_MAX),
};

static const struct ctl_field ctl_table_fields[] = {
	F_U64(struct ctl_table_row, entries),
	F_U64(struct ctl_table_row, half_open),
	F_U64(struct ctl_table_row, capacity),
	F_U64(struct ctl_table_row, rx),
	F_U64(struct ctl_table_row, tx),
};

static const struct ctl_field ctl_drop_fields[] = {
	F_STR(struct ctl_drop_row, "reason", CTL_F_NAME, reason),
	F_U64(struct ctl_drop_row, count),
};

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/* Row kinds, in enum ctl_line order from CTL_L_INFO. */
static const struct ctl_rowdef {
	const char *kind;
	const struct ctl_field *f;
	size_t n;
	size_t size;		/* of the row struct */
} ctl_rows[] = {
	/* kind        fields                                       row size */
	{ "info",     ctl_info_fields, NFIELDS(ctl_info_fields),
	  sizeof(struct ctl_info_row) },
	{ "svc",      ctl_svc_fields, NFIELDS(ctl_svc_fields),
	  sizeof(struct ctl_svc_row) },
	{ "rs",       ctl_rs_fields, NFIELDS(ctl_rs_fields),
	  sizeof(struct ctl_rs_row) },
	{ "conn",     ctl_conn_fields, NFIELDS(ctl_conn_fields),
	  sizeof(struct ctl_conn_row) },
	{ "timeouts", ctl_timeouts_fields, NFIELDS(ctl_timeouts_fields),
	  sizeof(struct ctl_timeouts_row) },
	{ "table",    ctl_table_fields, NFIELDS(ctl_table_fields),
	  sizeof(struct ctl_table_row) },
	{ "drop",     ctl_drop_fields, NFIELDS(ctl_drop_fields),
	  sizeof(struct ctl_drop_row) },
};

/* "1.2.1": 1 .. size-1 of digits and dots. */
static bool is_ver(const char *s, size_t len, size_t size)
{
	size_t i;

	if (len == 0 || len >= size)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			return false;
	return true;
}

static bool field_parse(const struct ctl_field *f, const char *v, size_t len,
			unsigned char *row)
{
	uint64_t x;

	switch (f->type) {
	case CTL_F_U32:
		if (!parse_u64(v, len, f->max, &x))
			return false;
		{
			uint32_t y = (uint32_t)x;

			memcpy(row + f->off, &y, sizeof(y));
		}
		return true;
	case CTL_F_U64:
		if (!parse_u64(v, len, UINT64_MAX, &x))
			return false;
		memcpy(row + f->off, &x, sizeof(x));
		return true;
	case CTL_F_PROTO:
		return parse_proto(v, len, row + f->off);
	case CTL_F_FWD:
		return parse_fwd(v, len, row + f->off);
	case CTL_F_HEALTH: {
		bool up;

		if (len == 2 && memcmp(v, "up", 2) == 0)
			up = true;
		else if (len == 4 && memcmp(v, "down", 4) == 0)
			up = false;
		else
			return false;
		memcpy(row + f->off, &up, sizeof(up));
		return true;
	}
	case CTL_F_ADDRPORT: {
		__be32 a;
		__be16 p;

		if (!parse_addrport(v, len, &a, &p))
			return false;
		memcpy(row + f->off, &a, sizeof(a));
		memcpy(row + f->off2, &p, sizeof(p));
		return true;
	}
	case CTL_F_NAME:
		return parse_name(v, len, (char *)row + f->off, f->size);
	case CTL_F_TEXT:
		return pct_decode(v, len, (char *)row + f->off, f->size);
	case CTL_F_VER:
		if (!is_ver(v, len, f->size))
			return false;
		memcpy(row + f->off, v, len);
		row[f->off + len] = '\0';
		return true;
	case CTL_F_LAT: {
		uint32_t y = CTL_LAT_NONE;

		if (!(len == 1 && v[0] == '-') &&
		    !parse_u32(v, len, CTL_LAT_NONE - 1, &y))
			return false;
		memcpy(row + f->off, &y, sizeof(y));
		return true;
	}
	}
	return false;
}

static bool field_format(const struct ctl_field *f, const unsigned char *row,
			 char *buf, size_t len, size_t *off)
{
	if (!put(buf, len, off, " %s=", f->key))
		return false;
	switch (f->type) {
	case CTL_F_U32: {
		uint32_t y;

		memcpy(&y, row + f->off, sizeof(y));
		return y <= f->max && put(buf, len, off, "%u", (unsigned int)y);
	}
	case CTL_F_U64: {
		uint64_t x;

		memcpy(&x, row + f->off, sizeof(x));
		return put(buf, len, off, "%llu", (unsigned long long)x);
	}
	case CTL_F_PROTO: {
		const char *p = proto_name(row[f->off]);

		return p != NULL && put(buf, len, off, "%s", p);
	}
	case CTL_F_FWD: {
		const char *p = fwd_name(row[f->off]);

		return p != NULL && put(buf, len, off, "%s", p);
	}
	case CTL_F_HEALTH: {
		bool up;

		memcpy(&up, row + f->off, sizeof(up));
		return put(buf, len, off, "%s", up ? "up" : "down");
	}
	case CTL_F_ADDRPORT: {
		__be32 a;
		__be16 p;

		memcpy(&a, row + f->off, sizeof(a));
		memcpy(&p, row + f->off2, sizeof(p));
		return put_addrport(buf, len, off, a, p);
	}
	case CTL_F_NAME:
		if (!name_ok((const char *)row + f->off, f->size))
			return false;
		return put(buf, len, off, "%s", (const char *)row + f->off);
	case CTL_F_VER: {
		const char *s = (const char *)row + f->off;
		const char *end = memchr(s, '\0', f->size);

		if (end == NULL || !is_ver(s, (size_t)(end - s), f->size))
			return false;
		return put(buf, len, off, "%s", s);
	}
	case CTL_F_TEXT: {
		int n;

		if (*off >= len)
			return false;
		n = pct_encode((const char *)row + f->off, f->size, buf + *off,
			       len - *off);
		if (n < 0)
			return false;
		*off += (size_t)n;
		return true;
	}
	case CTL_F_LAT: {
		uint32_t y;

		memcpy(&y, row + f->off, sizeof(y));
		if (y == CTL_LAT_NONE)
			return put(buf, len, off, "-");
		return put(buf, len, off, "%u", (unsigned int)y);
	}
	}
	return false;
}

static int row_format(const struct ctl_rowdef *d, const void *row, char *buf,
		      size_t len)
{
	size_t off = 0, i;

	if (buf == NULL || len == 0)
		return -1;
	if (len > CTL_LINE_MAX)
		len = CTL_LINE_MAX;	/* a row is one protocol line */
	if (!put(buf, len, &off, "%s", d->kind))
		goto err;
	for (i = 0; i < d->n; i++)
		if (!field_format(&d->f[i], row, buf, len, &off))
			goto err;
	if (!put(buf, len, &off, "\n"))
		goto err;
	return (int)off;
err:
	buf[0] = '\0';
	return -1;
}

static bool row_parse(const struct ctl_rowdef *d, const char *line, size_t len,
		      void *row)
{
	struct ctl_tok tok[CTL_TOK_MAX];
	uint64_t seen = 0;
	int n, t;
	size_t i;

	if (!line_trim(line, &len))
		return false;
	n = tokenize(line, len, tok, CTL_TOK_MAX);
	if (n < 1 || !tok_is(&tok[0], d->kind))
		return false;
	memset(row, 0, d->size);
	for (t = 1; t < n; t++) {
		const char *eq = memchr(tok[t].s, '=', tok[t].len);
		size_t klen;

		if (eq == NULL)
			return false;
		klen = (size_t)(eq - tok[t].s);
		for (i = 0; i < d->n; i++) {
			if (strlen(d->f[i].key) == klen &&
			    memcmp(d->f[i].key, tok[t].s, klen) == 0)
				break;
		}
		if (i == d->n)
			continue;	/* a newer lbd's field */
		if (!field_parse(&d->f[i], eq + 1, tok[t].len - klen - 1, row))
			return false;
		seen |= 1ull << i;
	}
	return seen == (d->n == 64 ? UINT64_MAX : (1ull << d->n) - 1);
}

enum ctl_line ctl_line_kind(const char *line, size_t len)
{
	struct ctl_tok tok[1];
	size_t i;

	if (!line_trim(line, &len) || tokenize(line, len, tok, 1) == 0)
		return CTL_L_BAD;
	if (len == 2 && memcmp(line, "ok", 2) == 0)
		return CTL_L_OK;
	if (len == 1 && line[0] == '.')
		return CTL_L_END;
	if (len >= 4 && memcmp(line, "err ", 4) == 0)
		return CTL_L_ERR;
	for (i = 0; i < NFIELDS(ctl_rows); i++) {
		size_t k = strlen(ctl_rows[i].kind);

		if (len > k && memcmp(line, ctl_rows[i].kind, k) == 0 &&
		    line[k] == ' ')
			return (enum ctl_line)(CTL_L_INFO + i);
	}
	return CTL_L_BAD;
}

int ctl_info_row_format(const struct ctl_info_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[0], row, buf, len);
}

bool ctl_info_row_parse(const char *line, size_t len, struct ctl_info_row *row)
{
	return row_parse(&ctl_rows[0], line, len, row);
}

int ctl_svc_row_format(const struct ctl_svc_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[1], row, buf, len);
}

bool ctl_svc_row_parse(const char *line, size_t len, struct ctl_svc_row *row)
{
	return row_parse(&ctl_rows[1], line, len, row);
}

int ctl_rs_row_format(const struct ctl_rs_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[2], row, buf, len);
}

bool ctl_rs_row_parse(const char *line, size_t len, struct ctl_rs_row *row)
{
	return row_parse(&ctl_rows[2], line, len, row);
}

int ctl_conn_row_format(const struct ctl_conn_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[3], row, buf, len);
}

bool ctl_conn_row_parse(const char *line, size_t len, struct ctl_conn_row *row)
{
	return row_parse(&ctl_rows[3], line, len, row);
}

int ctl_timeouts_row_format(const struct ctl_timeouts_row *row, char *buf,
			    size_t len)
{
	return row_format(&ctl_rows[4], row, buf, len);
}

bool ctl_timeouts_row_parse(const char *line, size_t len,
			    struct ctl_timeouts_row *row)
{
	return row_parse(&ctl_rows[4], line, len, row);
}

int ctl_table_row_format(const struct ctl_table_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[5], row, buf, len);
}

bool ctl_table_row_parse(const char *line, size_t len, struct ctl_table_row *row)
{
	return row_parse(&ctl_rows[5], line, len, row);
}

int ctl_drop_row_format(const struct ctl_drop_row *row, char *buf, size_t len)
{
	return row_format(&ctl_rows[6], row, buf, len);
}

bool ctl_drop_row_parse(const char *line, size_t len, struct ctl_drop_row *row)
{
	return row_parse(&ctl_rows[6], line, len, row);
}
