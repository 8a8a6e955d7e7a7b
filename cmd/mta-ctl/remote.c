/*
 * remote - the mta-ctl commands that ask a running mta-queue, through the
 * control socket in the spool (CONTROL SOCKET in mta-queue(8)): status,
 * show queues/domains/vmtas/settings, pause, resume, set queue, schedule,
 * reload, delete, disable and enable source.
 *
 * The socket carries data, one lib/proto record a line; this file turns
 * the reply into aligned columns that awk(1) can split on blanks (a value
 * with blanks is always the last column), or with --json into one JSON
 * document.  Text that came from the network is made printable before it
 * reaches a terminal.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "proto.h"

#define REMOTE_TIMEOUT	30			/* seconds for the reply */
#define REMOTE_MAXREPLY	(256UL << 20)		/* bytes */

/* Options a command takes, besides --json. */
#define OPT_MODE	0x01
#define OPT_FILTERS	0x02

/* How a value is shown: in the text columns and in JSON. */
enum kind {
	K_STR,		/* text */
	K_NUM,		/* a count */
	K_BOOL,		/* 0 or 1: "yes"/"no", true/false */
	K_AGE,		/* a time in the past: its age; epoch seconds */
	K_LEFT,		/* a time to come: how long until; epoch seconds */
	K_WHEN,		/* a time: ISO 8601; epoch seconds */
	K_SESSIONS	/* "sessions/max-sessions"; a count */
};

struct column {
	const char *key;	/* in the record */
	const char *head;	/* column header */
	enum kind kind;
};

static const struct column queue_cols[] = {
	{ "name", "queue", K_STR },
	{ "rcpts", "rcpts", K_NUM },
	{ "bytes", "bytes", K_NUM },
	{ "sessions", "sessions", K_SESSIONS },
	{ "mode", "mode", K_STR },
	{ "paused", "paused", K_BOOL },
	{ "retry-at", "retry", K_LEFT },
	{ "oldest", "oldest", K_AGE },
	{ "delivered", "delivered", K_NUM },
	{ "deferred", "deferred", K_NUM },
	{ "failed", "failed", K_NUM },
	{ "expired", "expired", K_NUM },
	{ "last-error", "last-error", K_STR },
	{ NULL, NULL, K_STR }
};

#define AGG_COLS(what) {						\
	{ "name", what, K_STR },					\
	{ "queues", "queues", K_NUM },					\
	{ "rcpts", "rcpts", K_NUM },					\
	{ "bytes", "bytes", K_NUM },					\
	{ "sessions", "sessions", K_SESSIONS },				\
	{ "paused-queues", "paused", K_NUM },				\
	{ "backoff-queues", "backoff", K_NUM },				\
	{ "oldest", "oldest", K_AGE },					\
	{ "delivered", "delivered", K_NUM },				\
	{ "deferred", "deferred", K_NUM },				\
	{ "failed", "failed", K_NUM },					\
	{ "expired", "expired", K_NUM },				\
	{ NULL, NULL, K_STR }						\
}
static const struct column domain_cols[] = AGG_COLS("domain");
static const struct column vmta_cols[] = AGG_COLS("vmta");

/* The JSON type of every key the server sends that is not text. */
static const struct column json_kinds[] = {
	{ "pid", NULL, K_NUM }, { "queues", NULL, K_NUM },
	{ "messages", NULL, K_NUM }, { "rcpts", NULL, K_NUM },
	{ "bytes", NULL, K_NUM }, { "sessions", NULL, K_NUM },
	{ "max-sessions", NULL, K_NUM }, { "workers", NULL, K_NUM },
	{ "injected", NULL, K_NUM }, { "delivered", NULL, K_NUM },
	{ "deferred", NULL, K_NUM }, { "failed", NULL, K_NUM },
	{ "expired", NULL, K_NUM }, { "paused-queues", NULL, K_NUM },
	{ "backoff-queues", NULL, K_NUM }, { "line", NULL, K_NUM },
	{ "paused", NULL, K_BOOL }, { "started", NULL, K_WHEN },
	{ "now", NULL, K_WHEN }, { "retry-at", NULL, K_LEFT },
	{ "oldest", NULL, K_AGE },
	{ NULL, NULL, K_STR }
};

/* One command: the request it sends and how its reply reads. */
struct verb {
	const char *request;		/* the request's verb */
	unsigned opts;			/* OPT_* */
	int	 nargs;			/* words after the command: -1 0 or 1 */
	const char *argkey;		/* the request key of that word */
	const char *list;		/* JSON array of the records */
	const struct column *cols;	/* text columns of the records */
	const char *done;		/* text of an action, %s: its count */
};

/* A reply: its ok line and its records, all parsed on demand. */
struct reply {
	struct buf raw;
	char	**line;			/* into raw, NUL-terminated */
	size_t	 nline;
	struct proto_rec rec;		/* scratch */
};

/* Send req to the control socket and read the reply to its end. */
static void
call(struct ctl *ctl, const struct buf *req, struct buf *raw)
{
	struct sockaddr_un sun;
	struct timeval tv = { REMOTE_TIMEOUT, 0 };
	char chunk[65536];
	size_t off = 0;
	ssize_t n;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	r = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/control",
	    ctl_spool_dir(ctl));
	if (r < 0 || (size_t)r >= sizeof(sun.sun_path))
		die(EX_CONFIG, "%s/control: name too long for a socket",
		    ctl_spool_dir(ctl));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die_sys(EX_TEMPFAIL, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		die_sys(EX_TEMPFAIL, "setsockopt");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die(EX_UNAVAILABLE, "mta-queue is not running (%s: %s)",
			    sun.sun_path, strerror(errno));
		die(errno == EACCES ? EX_NOPERM : EX_TEMPFAIL, "%s: %s",
		    sun.sun_path, strerror(errno));
	}
	while (off < req->len) {
		n = send(fd, req->p + off, req->len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;	/* it hung up: its reply may say why */
		off += (size_t)n;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ECONNRESET && raw->len > 0)
			break;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die(EX_TEMPFAIL, "%s: no reply within %d seconds",
			    sun.sun_path, REMOTE_TIMEOUT);
		if (n == -1)
			die_sys(EX_TEMPFAIL, "%s: read", sun.sun_path);
		if (n == 0)
			break;
		if (raw->len + (size_t)n > REMOTE_MAXREPLY)
			die(EX_PROTOCOL, "%s: reply longer than %lu bytes",
			    sun.sun_path, REMOTE_MAXREPLY);
		if (buf_append(raw, chunk, (size_t)n) == -1)
			die_sys(EX_TEMPFAIL, "reading the reply");
	}
	close(fd);
}

/* Parse line i of the reply into rp->rec; die if it is not a record. */
static const struct proto_rec *
parse(struct reply *rp, size_t i)
{
	char err[256];

	if (proto_parse(rp->line[i], strlen(rp->line[i]), &rp->rec, err,
	    sizeof(err)) == -1)
		die(EX_PROTOCOL, "bad reply from mta-queue: line %zu: %s",
		    i + 1, err);
	return &rp->rec;
}

/* The exit code of an error kind; unknown kinds are temporary. */
static int
error_code(const char *kind)
{
	if (kind != NULL && strcmp(kind, "request") == 0)
		return EX_DATAERR;
	if (kind != NULL && strcmp(kind, "config") == 0)
		return EX_CONFIG;
	return EX_TEMPFAIL;
}

/* Split the reply into lines; die on "error" or a reply cut short. */
static void
split(struct reply *rp)
{
	const struct proto_rec *r;
	const char *text;
	size_t cap = 0;
	char *p, *nl, **l;

	if (rp->raw.len == 0)
		die(EX_TEMPFAIL, "mta-queue closed the connection without a "
		    "reply");
	p = rp->raw.p;
	while ((nl = memchr(p, '\n', rp->raw.len - (size_t)(p - rp->raw.p)))
	    != NULL) {
		if (rp->nline == cap) {
			cap = cap < 64 ? 64 : cap * 2;
			if ((l = reallocarray(rp->line, cap, sizeof(*l))) ==
			    NULL)
				die_sys(EX_TEMPFAIL, "reading the reply");
			rp->line = l;
		}
		*nl = '\0';
		rp->line[rp->nline++] = p;
		p = nl + 1;
	}
	if (rp->nline == 0)
		die(EX_PROTOCOL, "bad reply from mta-queue: no end of line");
	r = parse(rp, 0);
	if (strcmp(r->verb, "error") == 0) {
		text = proto_get(r, "text");
		die(error_code(proto_get(r, "kind")), "%s",
		    text != NULL ? text : "mta-queue refused the request");
	}
	if (strcmp(r->verb, "ok") != 0)
		die(EX_PROTOCOL, "bad reply from mta-queue: \"%s\"", r->verb);
	if (strcmp(rp->line[rp->nline - 1], "end") != 0)
		die(EX_PROTOCOL, "reply from mta-queue cut short");
	rp->nline--;	/* "end" */
}

/* The value of key k in r, or "". */
static const char *
get(const struct proto_rec *r, const char *k)
{
	const char *v = proto_get(r, k);

	return v != NULL ? v : "";
}

/* A whole decimal number, as a JSON number may be written. */
static bool
is_count(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 20 && s[n] == '\0' && (s[0] != '0' || n == 1);
}

/*
 * Text for a terminal: printable ASCII stays, every other byte is '?',
 * so a remote server's reply cannot move the cursor; "" is "-".
 */
static void
printable(struct buf *b, const char *s)
{
	if (*s == '\0')
		s = "-";
	for (; *s != '\0'; s++)
		(void)buf_appendc(b, *s >= 0x20 && *s < 0x7f ? *s : '?');
}

/* "3d4h", "2h5m", "5m30s", "7s": the two largest units of a span. */
static void
span(struct buf *b, long long s)
{
	static const struct { long long len; char unit; } u[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' }
	};
	size_t i;

	if (s < 0)
		s = 0;
	for (i = 0; i < 3 && s < u[i].len; i++)
		continue;
	(void)buf_appendf(b, "%lld%c", s / u[i].len, u[i].unit);
	if (i < 3 && s % u[i].len / u[i + 1].len > 0)
		(void)buf_appendf(b, "%lld%c", s % u[i].len / u[i + 1].len,
		    u[i + 1].unit);
}

/* Epoch seconds as a local ISO 8601 time without blanks. */
static void
when(struct buf *b, long long t)
{
	char s[64];
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		(void)buf_appendf(b, "%lld", t);
	else
		(void)buf_appends(b, s);
}

/* The text of column c of record r. */
static void
cell(struct buf *b, const struct proto_rec *r, const struct column *c,
    time_t now)
{
	const char *v = get(r, c->key);
	long long t;

	buf_reset(b);
	switch (c->kind) {
	case K_BOOL:
		(void)buf_appends(b, strcmp(v, "0") == 0 ? "no" : "yes");
		return;
	case K_AGE:
	case K_LEFT:
	case K_WHEN:
		if (!is_count(v) || (t = strtoll(v, NULL, 10)) == 0) {
			(void)buf_appends(b, "-");
			return;
		}
		if (c->kind == K_WHEN)
			when(b, t);
		else
			span(b, c->kind == K_AGE ? now - t : t - now);
		return;
	case K_SESSIONS:
		printable(b, v);
		(void)buf_appendc(b, '/');
		printable(b, get(r, "max-sessions"));
		return;
	case K_STR:
	case K_NUM:
		printable(b, v);
		return;
	}
}

static int
row_cmp(const void *va, const void *vb)
{
	const char *const *a = va, *const *b = vb;

	return strcmp(*a, *b);
}

/*
 * Records as a table: a header, then one line a record sorted by name,
 * columns two blanks apart, text left and counts right, a last column of
 * text not padded.
 */
static void
table(struct reply *rp, const struct column *cols)
{
	struct buf b = BUF_INIT;
	size_t ncol, *width, i, k, len;
	time_t now = time(NULL);
	char **key;

	for (ncol = 0; cols[ncol].key != NULL; ncol++)
		continue;
	if ((width = calloc(ncol, sizeof(*width))) == NULL ||
	    (key = calloc(rp->nline, 2 * sizeof(*key))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	/* Sort the lines by name: pairs of (name, line). */
	for (i = 1; i < rp->nline; i++) {
		if ((key[2 * i] = strdup(get(parse(rp, i), "name"))) == NULL)
			die_sys(EX_TEMPFAIL, "out of memory");
		key[2 * i + 1] = rp->line[i];
	}
	qsort(key + 2, rp->nline - 1, 2 * sizeof(*key), row_cmp);
	for (k = 0; k < ncol; k++)
		width[k] = strlen(cols[k].head);
	for (i = 1; i < rp->nline; i++) {
		rp->line[i] = key[2 * i + 1];
		parse(rp, i);
		for (k = 0; k < ncol; k++) {
			cell(&b, &rp->rec, &cols[k], now);
			if (b.len > width[k])
				width[k] = b.len;
		}
	}
	for (i = 0; i < rp->nline; i++) {
		if (i > 0)
			parse(rp, i);
		for (k = 0; k < ncol; k++) {
			if (i == 0) {
				buf_reset(&b);
				(void)buf_appends(&b, cols[k].head);
			} else
				cell(&b, &rp->rec, &cols[k], now);
			len = k + 1 == ncol && cols[k].kind == K_STR ? 0 :
			    width[k];
			if (cols[k].kind == K_STR)
				printf("%-*s", (int)len, buf_cstr(&b));
			else
				printf("%*s", (int)len, buf_cstr(&b));
			fputs(k + 1 == ncol ? "\n" : "  ", stdout);
		}
	}
	for (i = 1; i < rp->nline; i++)
		free(key[2 * i]);
	free(key);
	free(width);
	buf_free(&b);
}

/* status as "key value" lines, aligned. */
static void
status_text(struct reply *rp)
{
	const struct proto_rec *r;
	struct buf b = BUF_INIT;
	struct column c = { NULL, NULL, K_STR };
	time_t now = time(NULL);
	long long t;

	if (rp->nline < 2)
		die(EX_PROTOCOL, "bad reply from mta-queue: no status");
	r = parse(rp, 1);
	for (size_t i = 0; i < r->nkeys; i++) {
		if (strcmp(r->kv[i].key, "now") == 0)
			continue;
		c.key = r->kv[i].key;
		c.kind = strcmp(c.key, "started") == 0 ? K_WHEN : K_STR;
		cell(&b, r, &c, now);
		printf("%-10s %s\n", c.key, buf_cstr(&b));
		if (c.kind == K_WHEN && is_count(r->kv[i].val)) {
			t = strtoll(r->kv[i].val, NULL, 10);
			buf_reset(&b);
			span(&b, now - t);
			printf("%-10s %s\n", "uptime", buf_cstr(&b));
		}
	}
	buf_free(&b);
}

/* settings as mta-ctl check-config -v prints a queue. */
static void
settings_text(struct reply *rp)
{
	struct buf v = BUF_INIT, f = BUF_INIT, q = BUF_INIT;
	const struct proto_rec *r;

	printable(&q, get(parse(rp, 0), "queue"));
	printf("queue %s\n", buf_cstr(&q));
	for (size_t i = 1; i < rp->nline; i++) {
		r = parse(rp, i);
		buf_reset(&q);
		buf_reset(&v);
		buf_reset(&f);
		printable(&q, get(r, "name"));
		printable(&v, get(r, "value"));
		printable(&f, get(r, "file"));
		printf("    %-28s %-30s # %s:%s\n", buf_cstr(&q), buf_cstr(&v),
		    buf_cstr(&f), get(r, "line"));
	}
	buf_free(&q);
	buf_free(&v);
	buf_free(&f);
}

/*
 * json_string - s as a JSON string: quotes, backslashes and control
 * characters escaped, valid UTF-8 kept, every other byte as the code
 * point of the same number (\u00XX) so that the document stays valid
 */
static void
json_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t len, k;

	(void)buf_appendc(b, '"');
	while (*p != '\0') {
		len = 0;
		if (*p >= 0xc2 && *p <= 0xf4) {
			len = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
			cp = *p & (0x7f >> len);
			for (k = 1; k < len && (p[k] & 0xc0) == 0x80; k++)
				cp = cp << 6 | (p[k] & 0x3f);
			if (k < len || (len == 3 && cp < 0x800) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				len = 0;	/* not UTF-8: escape the byte */
		}
		if (len > 0) {
			(void)buf_append(b, p, len);
			p += len;
			continue;
		}
		if (*p == '"' || *p == '\\')
			(void)buf_appendf(b, "\\%c", *p);
		else if (*p == '\n')
			(void)buf_appends(b, "\\n");
		else if (*p == '\t')
			(void)buf_appends(b, "\\t");
		else if (*p < 0x20 || *p >= 0x7f)
			(void)buf_appendf(b, "\\u%04x", *p);
		else
			(void)buf_appendc(b, *p);
		p++;
	}
	(void)buf_appendc(b, '"');
}

/* A JSON key: the wire key with "-" as "_", for jq's .last_error. */
static void
json_key(struct buf *b, const char *k)
{
	char name[64];

	(void)strlcpy(name, k, sizeof(name));
	for (char *p = name; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	json_string(b, name);
	(void)buf_appendc(b, ':');
}

static enum kind
json_kind(const char *k)
{
	for (size_t i = 0; json_kinds[i].key != NULL; i++)
		if (strcmp(json_kinds[i].key, k) == 0)
			return json_kinds[i].kind;
	return K_STR;
}

/* The members of record r, without braces; numbers only when they are. */
static void
json_members(struct buf *b, const struct proto_rec *r, bool first)
{
	const char *v;

	for (size_t i = 0; i < r->nkeys; i++, first = false) {
		v = r->kv[i].val;
		if (!first)
			(void)buf_appendc(b, ',');
		json_key(b, r->kv[i].key);
		switch (json_kind(r->kv[i].key)) {
		case K_BOOL:
			(void)buf_appends(b, strcmp(v, "0") == 0 ? "false" :
			    "true");
			break;
		case K_AGE:
		case K_LEFT:
		case K_WHEN:
			if (strcmp(v, "0") == 0) {
				(void)buf_appends(b, "null");
				break;
			}
			/* FALLTHROUGH */
		case K_NUM:
		case K_SESSIONS:
			if (is_count(v)) {
				(void)buf_appends(b, v);
				break;
			}
			/* FALLTHROUGH */
		case K_STR:
			json_string(b, v);
			break;
		}
	}
}

/*
 * The reply as one JSON document: the ok line's keys, then the records
 * in an array named v->list, or (status) the one record's keys merged.
 */
static void
json(struct reply *rp, const struct verb *v)
{
	struct buf b = BUF_INIT;
	const struct proto_rec *r;

	r = parse(rp, 0);
	(void)buf_appendc(&b, '{');
	if (v->list == NULL && v->cols == NULL && rp->nline == 1) {
		(void)buf_appends(&b, "\"ok\":true");
		json_members(&b, r, false);
	} else
		json_members(&b, r, true);
	if (v->list != NULL) {
		if (r->nkeys > 0)
			(void)buf_appendc(&b, ',');
		json_key(&b, v->list);
		(void)buf_appendc(&b, '[');
		for (size_t i = 1; i < rp->nline; i++) {
			if (i > 1)
				(void)buf_appendc(&b, ',');
			(void)buf_appendc(&b, '{');
			json_members(&b, parse(rp, i), true);
			(void)buf_appendc(&b, '}');
		}
		(void)buf_appendc(&b, ']');
	} else if (rp->nline > 1)
		json_members(&b, parse(rp, 1), r->nkeys == 0);
	if (buf_appends(&b, "}\n") == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
}

/* The text of an action: its sentence with the ok line's values. */
static void
done_text(struct reply *rp, const struct verb *v)
{
	const struct proto_rec *r = parse(rp, 0);
	struct buf a = BUF_INIT, b = BUF_INIT;

	printable(&a, r->nkeys > 0 ? r->kv[0].val : "");
	printable(&b, r->nkeys > 1 ? r->kv[1].val : "");
	printf(v->done, buf_cstr(&a), buf_cstr(&b));
	fputc('\n', stdout);
	buf_free(&a);
	buf_free(&b);
}

static const struct verb v_status = {
	"status", 0, 0, NULL, NULL, NULL, NULL
};
static const struct verb v_queues = {
	"queues", 0, -1, "queue", "queues", queue_cols, NULL
};
static const struct verb v_domains = {
	"domains", 0, 0, NULL, "domains", domain_cols, NULL
};
static const struct verb v_vmtas = {
	"vmtas", 0, 0, NULL, "vmtas", vmta_cols, NULL
};
static const struct verb v_settings = {
	"settings", 0, 1, "queue", "settings", NULL, NULL
};
static const struct verb v_pause = {
	"pause", 0, 1, "queue", NULL, NULL, "%s queue(s) paused"
};
static const struct verb v_resume = {
	"resume", 0, 1, "queue", NULL, NULL, "%s queue(s) resumed"
};
static const struct verb v_mode = {
	"mode", OPT_MODE, 1, "queue", NULL, NULL, "%s queue(s) set to %s mode"
};
static const struct verb v_schedule = {
	"schedule", 0, 1, "queue", NULL, NULL,
	"%s queue(s) scheduled for delivery now"
};
static const struct verb v_reload = {
	"reload", 0, 0, NULL, NULL, NULL, "configuration reloaded"
};
static const struct verb v_delete = {
	"delete", OPT_FILTERS, 0, NULL, NULL, NULL,
	"%s recipient(s) deleted"
};
static const struct verb v_disable = {
	"disable", 0, 1, "ip", NULL, NULL, "source %s disabled"
};
static const struct verb v_enable = {
	"enable", 0, 1, "ip", NULL, NULL, "source %s enabled"
};

/* Read the command's words into the request; EX_USAGE when wrong. */
static int
request(const struct verb *v, int argc, char **argv, struct buf *req,
    bool *as_json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "mode", required_argument, NULL, 'm' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "orig", required_argument, NULL, 'o' },
		{ "jobId", required_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	const char *k;
	int ch, nopts = 0;

	*as_json = false;
	if (proto_begin(req, v->request) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	optind = 0;	/* restart getopt, permuting: --json may come last */
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			*as_json = true;
			continue;
		case 'm':
			if (!(v->opts & OPT_MODE))
				return EX_USAGE;
			k = "mode";
			break;
		case 'Q':
		case 'r':
		case 'o':
		case 'J':
			if (!(v->opts & OPT_FILTERS))
				return EX_USAGE;
			k = ch == 'Q' ? "queue" : ch == 'r' ? "rcpt" :
			    ch == 'o' ? "orig" : "job";
			break;
		default:
			return EX_USAGE;
		}
		if (proto_add(req, k, optarg) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
		nopts++;
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (v->nargs == 0 && argc > 0) ||
	    (v->nargs == 1 && argc != 1))
		return EX_USAGE;
	/* --mode is required, and so is at least one filter. */
	if (v->opts != 0 && nopts == 0)
		return EX_USAGE;
	if (argc == 1 && proto_add(req, v->argkey, argv[0]) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (proto_end(req, 0) == -1)
		die(EX_DATAERR, "request longer than %d bytes", PROTO_MAXLINE);
	return 0;
}

/* Run one command: send its request, print the reply. */
static int
remote(struct ctl *ctl, const struct verb *v, int argc, char **argv)
{
	struct reply *rp;
	struct buf req = BUF_INIT;
	bool as_json;
	int rc;

	if ((rc = request(v, argc, argv, &req, &as_json)) != 0) {
		buf_free(&req);
		return rc;
	}
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	call(ctl, &req, &rp->raw);
	split(rp);
	if (as_json)
		json(rp, v);
	else if (v->cols != NULL)
		table(rp, v->cols);
	else if (v == &v_status)
		status_text(rp);
	else if (v == &v_settings)
		settings_text(rp);
	else
		done_text(rp, v);
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(EX_IOERR, "stdout");
	buf_free(&req);
	buf_free(&rp->raw);
	free(rp->line);
	free(rp);
	return 0;
}

/* ctl_status - "status": mta-queue's counters */
int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_status, argc, argv);
}

/* ctl_show_queues - "show queues [pattern]": the live queues */
int
ctl_show_queues(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_queues, argc, argv);
}

/* ctl_show_domains - "show domains": the queues summed by domain */
int
ctl_show_domains(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_domains, argc, argv);
}

/* ctl_show_vmtas - "show vmtas": the queues summed by virtual MTA */
int
ctl_show_vmtas(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_vmtas, argc, argv);
}

/* ctl_show_settings - "show settings domain[/vmta]" */
int
ctl_show_settings(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_settings, argc, argv);
}

/* ctl_pause - "pause queue pattern" */
int
ctl_pause(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_pause, argc, argv);
}

/* ctl_resume - "resume queue pattern" */
int
ctl_resume(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_resume, argc, argv);
}

/* ctl_set_queue - "set queue --mode=normal|backoff pattern" */
int
ctl_set_queue(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_mode, argc, argv);
}

/* ctl_schedule - "schedule pattern": retry now */
int
ctl_schedule(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_schedule, argc, argv);
}

/* ctl_reload - "reload": re-read the configuration */
int
ctl_reload(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_reload, argc, argv);
}

/* ctl_delete - "delete --queue= --rcpt= --orig= --jobId=" */
int
ctl_delete(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_delete, argc, argv);
}

/* ctl_disable_source - "disable source ip" */
int
ctl_disable_source(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_disable, argc, argv);
}

/* ctl_enable_source - "enable source ip" */
int
ctl_enable_source(struct ctl *ctl, int argc, char **argv)
{
	return remote(ctl, &v_enable, argc, argv);
}
