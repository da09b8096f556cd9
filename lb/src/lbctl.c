/* SPDX-License-Identifier: MIT */
/*
 * lbctl (L3): ipvsadm's command line for lbd. Parses argv with ctl_cli, talks
 * ctl_proto to lbd over its unix socket with a timeout on every read and
 * write, prints the reply with ctl_fmt. Exit statuses are ipvsadm's: 0 ok,
 * 2 usage error or lbd unreachable, 255 a change lbd refused (or a popt
 * error), 1 a listing lbd refused or a broken/timed-out conversation.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_cli.h"
#include "ctl_fmt.h"
#include "ctl_proto.h"

#define LBCTL_EXIT_IO		1	/* ipvsadm's exit(1) after a failed listing */
#define LBCTL_EXIT_REFUSED	255	/* ipvsadm returns -1 after a failed change */
#define LBCTL_STDIN_MAX		(64u << 20)	/* bytes of -R input */

struct sess {
	int fd;
	const char *path;
	char buf[2 * CTL_LINE_MAX];	/* received, not yet consumed */
	size_t off;			/* start of unconsumed bytes */
	size_t len;			/* end of received bytes */
};

/* ---- name lookups for ctl_cli (the only place lbctl touches the resolver) */

static bool resolve_host(void *arg, const char *name, __be32 *addr)
{
	struct addrinfo hints, *ai;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if (getaddrinfo(name, NULL, &hints, &ai) != 0)
		return false;
	*addr = ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(ai);
	return true;
}

static bool resolve_port(void *arg, const char *name, uint8_t proto, __be16 *port)
{
	struct servent *se;

	(void)arg;
	se = getservbyname(name, proto == IPPROTO_UDP ? "udp" : "tcp");
	if (se == NULL)
		return false;
	*port = (__be16)se->s_port;
	return true;
}

/* ---- the conversation --------------------------------------------------- */

static int sess_open(struct sess *s, const char *path)
{
	struct timeval tv = { CTL_TIMEOUT_MS / 1000, (CTL_TIMEOUT_MS % 1000) * 1000 };
	struct sockaddr_un sun;

	memset(s, 0, sizeof(*s));
	s->path = path;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "lbctl: socket path too long: %s\n", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		fprintf(stderr, "lbctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		fprintf(stderr, "lbctl: setsockopt: %s\n", strerror(errno));
		goto err_close;
	}
	while (connect(s->fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		fprintf(stderr, "lbctl: cannot connect to %s: %s (is lbd running?)\n",
			path, strerror(errno));
		goto err_close;
	}
	return 0;

err_close:
	close(s->fd);
	s->fd = -1;
	return -1;
}

static void sess_close(struct sess *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

static int sess_send(struct sess *s, const struct ctl_req *req)
{
	char line[CTL_LINE_MAX];
	int n = ctl_req_format(req, line, sizeof(line));
	size_t off = 0;

	if (n < 0) {
		fprintf(stderr, "lbctl: cannot encode the %s request\n",
			ctl_verb_name(req->verb));
		return -1;
	}
	while (off < (size_t)n) {
		ssize_t w = send(s->fd, line + off, (size_t)n - off, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fprintf(stderr, "lbctl: %s: lbd did not take the "
					"request within %d ms\n", s->path,
					CTL_TIMEOUT_MS);
			else
				fprintf(stderr, "lbctl: %s: %s\n", s->path,
					strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/*
 * Next reply line, without its '\n', NUL-terminated in the session buffer and
 * valid until the next call. 1 got one, -1 error (already reported).
 */
static int sess_line(struct sess *s, char **line, size_t *len)
{
	for (;;) {
		char *start = s->buf + s->off;
		char *nl = memchr(start, '\n', s->len - s->off);
		ssize_t r;

		if (nl != NULL) {
			*nl = '\0';
			*line = start;
			*len = (size_t)(nl - start);
			s->off += *len + 1;
			return 1;
		}
		if (s->len - s->off >= CTL_LINE_MAX) {
			fprintf(stderr, "lbctl: %s: reply line too long\n", s->path);
			return -1;
		}
		if (s->off > 0) {
			memmove(s->buf, start, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		r = recv(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(stderr, "lbctl: %s: no reply from lbd within %d ms\n",
				s->path, CTL_TIMEOUT_MS);
			return -1;
		}
		if (r == -1) {
			fprintf(stderr, "lbctl: %s: %s\n", s->path, strerror(errno));
			return -1;
		}
		if (r == 0) {
			fprintf(stderr, "lbctl: %s: lbd closed the connection\n",
				s->path);
			return -1;
		}
		s->len += (size_t)r;
	}
}

/*
 * Sends <req> and reads the first reply line. Returns 0 on "ok" (data rows
 * follow), a positive exit status after printing ipvsadm's message for an
 * "err" reply (<refused> is that status), or -1 on a broken conversation.
 */
static int sess_request(struct sess *s, const struct ctl_req *req, int refused)
{
	char msg[CTL_LINE_MAX];
	enum ctl_err code;
	char *line;
	size_t len;

	if (sess_send(s, req) < 0 || sess_line(s, &line, &len) < 0)
		return -1;
	switch (ctl_line_kind(line, len)) {
	case CTL_L_OK:
		return 0;
	case CTL_L_ERR:
		if (!ctl_err_parse(line, len, &code, msg, sizeof(msg)))
			break;
		fprintf(stderr, "%s\n", ctl_strerror(req->verb, code, msg));
		return refused;
	default:
		break;
	}
	fprintf(stderr, "lbctl: %s: unexpected reply from lbd\n", s->path);
	return -1;
}

/*
 * Reads data rows up to ".", handing each to <row> (which may be NULL: no
 * rows expected). Lines of kinds a newer lbd may send are skipped. 0 or -1.
 */
static int sess_rows(struct sess *s, int (*row)(void *arg, enum ctl_line kind,
						 const char *line, size_t len),
		     void *arg)
{
	for (;;) {
		enum ctl_line kind;
		char *line;
		size_t len;

		if (sess_line(s, &line, &len) < 0)
			return -1;
		kind = ctl_line_kind(line, len);
		if (kind == CTL_L_END)
			return 0;
		if (kind == CTL_L_OK || kind == CTL_L_ERR) {
			fprintf(stderr, "lbctl: %s: unexpected reply from lbd\n",
				s->path);
			return -1;
		}
		if (kind == CTL_L_BAD || row == NULL)
			continue;
		if (row(arg, kind, line, len) < 0) {
			fprintf(stderr, "lbctl: %s: malformed reply from lbd: %.80s\n",
				s->path, line);
			return -1;
		}
	}
}

/* ---- printing ------------------------------------------------------------ */

static int stdout_write(void *arg, const char *p, size_t n)
{
	(void)arg;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

static const struct ctl_out stdout_out = { stdout_write, NULL };

static int row_view(void *arg, enum ctl_line kind, const char *line, size_t len)
{
	if (kind != CTL_L_INFO && kind != CTL_L_SVC && kind != CTL_L_RS)
		return 0;
	return ctl_view_add(arg, line, len) ? 0 : -1;
}

static int row_conn(void *arg, enum ctl_line kind, const char *line, size_t len)
{
	struct ctl_conn_row row;

	(void)arg;
	if (kind != CTL_L_CONN)
		return 0;
	if (!ctl_conn_row_parse(line, len, &row))
		return -1;
	return ctl_fmt_conn(&row, &stdout_out);
}

static int row_timeouts(void *arg, enum ctl_line kind, const char *line,
			size_t len)
{
	struct ctl_timeouts_row row;

	(void)arg;
	if (kind != CTL_L_TIMEOUTS)
		return 0;
	if (!ctl_timeouts_row_parse(line, len, &row))
		return -1;
	return ctl_fmt_timeouts(&row, &stdout_out);
}

static int row_drops(void *arg, enum ctl_line kind, const char *line,
		     size_t len)
{
	struct ctl_table_row table;
	struct ctl_drop_row drop;

	(void)arg;
	if (kind == CTL_L_TABLE)
		return ctl_table_row_parse(line, len, &table) ?
		       ctl_fmt_table(&table, &stdout_out) : -1;
	if (kind == CTL_L_DROP)
		return ctl_drop_row_parse(line, len, &drop) ?
		       ctl_fmt_drop(&drop, &stdout_out) : -1;
	return 0;
}

static int row_info(void *arg, enum ctl_line kind, const char *line, size_t len)
{
	if (kind != CTL_L_INFO)
		return 0;
	return ctl_info_row_parse(line, len, arg) ? 0 : -1;
}

/* ---- commands ------------------------------------------------------------ */

static int hello(struct sess *s)
{
	struct ctl_info_row info;
	struct ctl_req req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.verb = CTL_V_HELLO;
	req.version = CTL_PROTO_VERSION;
	rc = sess_request(s, &req, LBCTL_EXIT_IO);
	if (rc != 0)
		return rc < 0 ? LBCTL_EXIT_IO : rc;
	return sess_rows(s, row_info, &info) < 0 ? LBCTL_EXIT_IO : 0;
}

static int run_list(struct sess *s, const struct ctl_cli *cli)
{
	struct ctl_view v;
	int rc;

	rc = sess_request(s, &cli->req, LBCTL_EXIT_IO);
	if (rc != 0)
		return rc < 0 ? LBCTL_EXIT_IO : rc;
	ctl_view_init(&v);
	if (sess_rows(s, row_view, &v) < 0) {
		rc = LBCTL_EXIT_IO;
		goto out_fini;
	}
	if (ctl_fmt_list(&v, cli->fmt, &stdout_out) < 0)
		rc = LBCTL_EXIT_IO;
out_fini:
	ctl_view_fini(&v);
	return rc;
}

static int run_rows(struct sess *s, const struct ctl_cli *cli)
{
	int rc = sess_request(s, &cli->req, LBCTL_EXIT_IO);

	if (rc != 0)
		return rc < 0 ? LBCTL_EXIT_IO : rc;
	if (cli->req.verb == CTL_V_CONNS) {
		if (ctl_fmt_conn_title(&stdout_out) < 0)
			return LBCTL_EXIT_IO;
		return sess_rows(s, row_conn, NULL) < 0 ? LBCTL_EXIT_IO : 0;
	}
	if (cli->req.verb == CTL_V_DROPS)
		return sess_rows(s, row_drops, NULL) < 0 ? LBCTL_EXIT_IO : 0;
	return sess_rows(s, row_timeouts, NULL) < 0 ? LBCTL_EXIT_IO : 0;
}

static int run_change(struct sess *s, const struct ctl_req *req)
{
	int rc = sess_request(s, req, LBCTL_EXIT_REFUSED);

	if (rc != 0)
		return rc < 0 ? LBCTL_EXIT_IO : rc;
	return sess_rows(s, NULL, NULL) < 0 ? LBCTL_EXIT_IO : 0;
}

/* Reads all of stdin (at most LBCTL_STDIN_MAX bytes) into a malloc'd buffer. */
static char *read_stdin(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *p;

	if (buf == NULL)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= LBCTL_STDIN_MAX) {
				fprintf(stderr, "lbctl: -R input larger than %u bytes\n",
					LBCTL_STDIN_MAX);
				goto err_free;
			}
			cap *= 2;
			p = realloc(buf, cap);
			if (p == NULL)
				goto err_nomem;
			buf = p;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fprintf(stderr, "lbctl: stdin: %s\n", strerror(errno));
			goto err_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;

err_nomem:
	fprintf(stderr, "Memory allocation problem\n");
err_free:
	free(buf);
	return NULL;
}

/* -R: every line in one transaction; the first refusal aborts it all. */
static int run_restore(struct sess *s, const char *prog,
		       const struct ctl_cli_resolver *res)
{
	char err[CTL_ERR_LEN];
	struct ctl_req *reqs, abort_req;
	size_t len, n, i;
	int status = 0, rc = 0;
	char *text;

	text = read_stdin(&len);
	if (text == NULL)
		return LBCTL_EXIT_IO;
	reqs = ctl_cli_restore(text, len, prog, res, &n, &status, err, sizeof(err));
	free(text);
	if (reqs == NULL) {
		fprintf(stderr, "%s\n", err);
		return status;
	}
	for (i = 0; i < n; i++) {
		rc = run_change(s, &reqs[i]);
		if (rc != 0)
			break;
	}
	if (rc != 0 && i > 0 && i + 1 < n) {
		/* Best effort: lbd drops the transaction when we go anyway. */
		memset(&abort_req, 0, sizeof(abort_req));
		abort_req.verb = CTL_V_ABORT;
		if (sess_send(s, &abort_req) == 0)
			(void)run_change(s, &abort_req);
	}
	free(reqs);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct ctl_cli_resolver res = { resolve_host, resolve_port, NULL };
	char err[CTL_ERR_LEN];
	struct ctl_cli cli;
	struct sess s;
	int rc;

	rc = ctl_cli_parse(argc, argv, &res, &cli, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	if (cli.cmd == CTL_CMD_HELP) {
		char usage[8192];

		if (ctl_cli_usage(argv[0], usage, sizeof(usage)) < 0)
			return LBCTL_EXIT_IO;
		fputs(usage, stdout);
		return 0;
	}
	if (cli.cmd == CTL_CMD_VERSION) {
		char ver[128];

		if (ctl_cli_version(ver, sizeof(ver)) < 0)
			return LBCTL_EXIT_IO;
		fputs(ver, stdout);
		return 0;
	}
	if (sess_open(&s, cli.socket) < 0)
		return CTL_CLI_EXIT_USAGE;	/* ipvsadm: "Can't initialize ipvs", 2 */
	rc = hello(&s);
	if (rc != 0)
		goto out_close;
	switch (cli.req.verb) {
	case CTL_V_LIST:
		rc = run_list(&s, &cli);
		break;
	case CTL_V_CONNS:
	case CTL_V_TIMEOUTS:
	case CTL_V_DROPS:
		rc = run_rows(&s, &cli);
		break;
	case CTL_V_NONE:
		rc = run_restore(&s, argv[0], &res);
		break;
	default:
		rc = run_change(&s, &cli.req);
		break;
	}
out_close:
	sess_close(&s);
	if (fflush(stdout) == EOF && rc == 0)
		rc = LBCTL_EXIT_IO;
	return rc;
}
