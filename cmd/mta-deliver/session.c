/*
 * session - one SMTP client session: greeting, EHLO (HELO), STARTTLS,
 * then transactions (RFC 5321, 2920, 3207) until close, quit, a 421,
 * a timeout or a lost connection.
 *
 * Invariants: every session record gets exactly one session answer;
 * every msg record gets one rcpt answer per rcpt record, then done,
 * before any closed record of its session; a session is freed only
 * from the functions that answer its end.  A function that may free
 * the session returns -1 after doing so, and its caller returns at once.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "dns.h"
#include "log.h"
#include "proto.h"
#include "smtpreply.h"

static void tx_finish(struct session *);
static int tx_start(struct session *);
static void tx_fail_all(struct tx *, const char *, const char *, ...)
	    PRINTFLIKE(3, 4);
static int on_reply(struct session *);
static int on_bad_reply(struct session *, const char *);
static void sess_timeout(void *);
static void answer_closed(struct session *, const char *, int, const char *,
	    const char *);

static unsigned
sid_hash(long long sid)
{
	return (unsigned)((unsigned long long)sid * 2654435761u) %
	    DELIVER_SESS_BUCKETS;
}

/* session_find - the live session of sid, or NULL */
struct session *
session_find(struct worker *w, long long sid)
{
	struct session *s;

	for (s = w->bucket[sid_hash(sid)]; s != NULL; s = s->hnext)
		if (s->sid == sid)
			return s;
	return NULL;
}

static void
unhash(struct session *s)
{
	struct session **pp;

	if (!s->hashed)
		return;
	for (pp = &s->w->bucket[sid_hash(s->sid)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	s->hashed = false;
}

/* Free what t holds: its spool file, strings and recipients. */
static void
tx_free(struct tx *t)
{
	send_close(t);
	buf_free(&t->strs);
	free(t->r);
}

/* session_free - forget the session; its answers are all written */
void
session_free(struct session *s)
{
	struct worker *w = s->w;

	if (s->quit_answer) {
		s->quit_answer = false;
		answer_closed(s, "quit", 0, "2.0.0", "quit");
	}
	unhash(s);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->all = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	ev_timer_stop(w->ev, &s->timer);
	conn_drop(s);
	conn_free_targets(s);
	tx_free(&s->tx);
	tx_free(&s->nx);
	buf_free(&s->out);
	free(s->hosts);
	free(s->skip);
	free(s);
	w->nsessions--;
	worker_maybe_exit(w);
}

static struct session *
alloc_session(struct worker *w, long long sid)
{
	struct session *s;
	unsigned h = sid_hash(sid);

	if ((s = calloc(1, sizeof(*s))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->w = w;
	s->sid = sid;
	s->fd = -1;
	s->tx.fd = -1;
	s->nx.fd = -1;
	s->hnext = w->bucket[h];
	w->bucket[h] = s;
	s->hashed = true;
	s->next = w->all;
	if (w->all != NULL)
		w->all->prev = s;
	w->all = s;
	w->nsessions++;
	ev_timer_init(&s->timer, sess_timeout, s);
	smtpreply_init(&s->reply);
	return s;
}

/* A host name or address literal as EHLO and the answers carry it. */
static bool
name_ok(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f
		    || v[i] == '<' || v[i] == '>')
			return false;
	return true;
}

static int
get_time(const struct proto_rec *r, const char *key, uint64_t *ms,
    char *err, size_t errlen)
{
	long long v;

	if (proto_get(r, key) == NULL)
		return 0;
	if (proto_get_num(r, key, 1, 7 * 86400, &v) == -1) {
		(void)snprintf(err, errlen, "bad %s", key);
		return -1;
	}
	*ms = (uint64_t)v * 1000;
	return 0;
}

static int
parse_session(struct session *s, const struct proto_rec *r, char *err,
    size_t errlen)
{
	const char *v;
	long long n;

	if ((v = proto_get(r, "domain")) == NULL || !name_ok(v,
	    sizeof(s->domain)))
		goto bad_domain;
	memcpy(s->domain, v, strlen(v) + 1);
	if ((v = proto_get(r, "helo")) == NULL || !name_ok(v,
	    sizeof(s->helo))) {
		(void)snprintf(err, errlen, "missing or bad helo");
		return -1;
	}
	memcpy(s->helo, v, strlen(v) + 1);
	if (proto_get(r, "queue") == NULL) {
		(void)snprintf(err, errlen, "missing queue");
		return -1;
	}
	if ((v = proto_get(r, "hosts")) != NULL && (s->hosts = strdup(v)) ==
	    NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	if ((v = proto_get(r, "skip")) != NULL && (s->skip = strdup(v)) ==
	    NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->port = 25;
	if (proto_get(r, "port") != NULL) {
		if (proto_get_num(r, "port", 1, 65535, &n) == -1) {
			(void)snprintf(err, errlen, "bad port");
			return -1;
		}
		s->port = (uint16_t)n;
	}
	if ((v = proto_get(r, "src")) != NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&s->src;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->src;

		if (inet_pton(AF_INET, v, &sin->sin_addr) == 1)
			sin->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, v, &sin6->sin6_addr) == 1)
			sin6->sin6_family = AF_INET6;
		else {
			(void)snprintf(err, errlen, "bad src");
			return -1;
		}
		s->has_src = true;
	}
	s->tls = TLS_TRY;
	if ((v = proto_get(r, "tls")) != NULL) {
		if (strcmp(v, "no") == 0)
			s->tls = TLS_NO;
		else if (strcmp(v, "require") == 0)
			s->tls = TLS_REQUIRE;
		else if (strcmp(v, "try") != 0) {
			(void)snprintf(err, errlen, "bad tls");
			return -1;
		}
	}
	if ((v = proto_get(r, "pipelining")) != NULL) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			(void)snprintf(err, errlen, "bad pipelining");
			return -1;
		}
		s->no_pipelining = v[0] == '0';
	}
	s->family = DNS_INET | DNS_INET6;
	if ((v = proto_get(r, "family")) != NULL) {
		if (strcmp(v, "4") == 0)
			s->family = DNS_INET;
		else if (strcmp(v, "6") == 0)
			s->family = DNS_INET6;
		else if (strcmp(v, "46") != 0) {
			(void)snprintf(err, errlen, "bad family");
			return -1;
		}
	}
	s->tmo_connect = TMO_CONNECT;
	s->tmo_greeting = TMO_GREETING;
	s->tmo_idle = TMO_IDLE;
	if (get_time(r, "connect-timeout", &s->tmo_connect, err,
	    errlen) == -1 ||
	    get_time(r, "greeting-timeout", &s->tmo_greeting, err,
	    errlen) == -1 ||
	    get_time(r, "command-timeout", &s->tmo_command, err,
	    errlen) == -1 ||
	    get_time(r, "data-timeout", &s->tmo_data, err, errlen) == -1 ||
	    get_time(r, "idle-timeout", &s->tmo_idle, err, errlen) == -1)
		return -1;
	return 0;
bad_domain:
	(void)snprintf(err, errlen, "missing or bad domain");
	return -1;
}

/*
 * session_new - a session record: start connecting.  -1 with err set
 * for a protocol error.  The session may be answered and freed before
 * this returns (a bad host list, no address).
 */
int
session_new(struct worker *w, const struct proto_rec *r, char *err,
    size_t errlen)
{
	struct session *s;
	long long sid;

	if (proto_get_num(r, "sid", 0, LLONG_MAX, &sid) == -1) {
		(void)snprintf(err, errlen, "missing or bad sid");
		return -1;
	}
	if (session_find(w, sid) != NULL) {
		(void)snprintf(err, errlen, "session %lld exists", sid);
		return -1;
	}
	s = alloc_session(w, sid);
	if (parse_session(s, r, err, errlen) == -1) {
		s->state = SS_QUIT;
		session_free(s);
		return -1;
	}
	s->state = SS_RESOLVE;
	conn_start(s);
	return 0;
}

static void
derive_dsn(char *dsn, size_t n, int code, const char *given)
{
	if (given != NULL && given[0] != '\0')
		(void)snprintf(dsn, n, "%s", given);
	else
		(void)snprintf(dsn, n, "%d.0.0", code >= 200 && code < 600 ?
		    code / 100 : 4);
}

/*
 * session_fail - remember why this host or address did not work: the
 * reply (code > 0) or what happened (code 0), for the session answer
 */
void
session_fail(struct session *s, const char *dsn, int code,
    const char *fmt, ...)
{
	va_list ap;

	s->fcode = code;
	snprintf(s->fdsn, sizeof(s->fdsn), "%s", dsn);
	va_start(ap, fmt);
	(void)vsnprintf(s->ftext, sizeof(s->ftext), fmt, ap);
	va_end(ap);
	snprintf(s->fmx, sizeof(s->fmx), "%s", s->mx);
	snprintf(s->fip, sizeof(s->fip), "%s", s->ip);
	log_debug("session sid=%lld: %s", s->sid, s->ftext);
}

/* Remember the reply in hand as the failure. */
static void
fail_reply(struct session *s)
{
	char text[DELIVER_TEXTMAX];
	char dsn[12];

	smtpreply_oneline(&s->reply, text, sizeof(text));
	derive_dsn(dsn, sizeof(dsn), s->reply.code, s->reply.dsn);
	session_fail(s, dsn, s->reply.code, "%s", text);
}

/* session_answer_fail - no host worked: answer defer or fail, free */
void
session_answer_fail(struct session *s)
{
	struct worker *w = s->w;
	size_t start = w->out.len;
	struct buf *b;
	char src[DELIVER_ADDRMAX];

	if (s->fdsn[0] == '\0')
		session_fail(s, "4.4.4", 0, "no usable address for %s",
		    s->domain);
	b = rec_begin(w, "session");
	proto_add_num(b, "sid", s->sid);
	proto_add(b, "status", s->fperm ? "fail" : "defer");
	proto_add_num(b, "code", s->fcode);
	proto_add(b, "dsn", s->fdsn);
	rec_text(b, "text", s->ftext);
	if (s->fmx[0] != '\0')
		proto_add(b, "mx", s->fmx);
	if (s->fip[0] != '\0')
		proto_add(b, "ip", s->fip);
	if (s->has_src)
		proto_add(b, "src", conn_ntop(&s->src, src, sizeof(src)));
	rec_end(w, start);
	log_info("session sid=%lld domain=%s status=%s dsn=%s text=%s",
	    s->sid, s->domain, s->fperm ? "fail" : "defer", s->fdsn,
	    s->ftext);
	s->state = SS_QUIT;
	session_free(s);
}

/* session_set_events - what the loop watches on the connection */
void
session_set_events(struct session *s, unsigned events)
{
	if (s->fd == -1 || s->events == events)
		return;
	if (ev_fd_set(s->w->ev, s->fd, events) == -1)
		die_sys(EX_OSERR, "epoll");
	s->events = events;
}

static uint64_t
cmd_timeout(const struct session *s)
{
	return s->tmo_command ? s->tmo_command : TMO_COMMAND;
}

/* Queue one command line and write it. -1: the session is gone. */
static int
command(struct session *s, enum sess_state next, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(&s->out, (size_t)n + 2) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	va_start(ap, fmt);
	(void)vsnprintf(s->out.p + s->out.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->out.len += (size_t)n;
	buf_append(&s->out, "\r\n", 2);
	s->state = next;
	ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
	return session_write(s);
}

/* session_connected - connect(2) worked: wait for the greeting */
void
session_connected(struct session *s)
{
	s->state = SS_GREETING;
	s->inlen = 0;
	smtpreply_init(&s->reply);
	session_set_events(s, EV_READ);
	ev_timer_start(s->w->ev, &s->timer, s->tmo_greeting);
}

/* EHLO done: answer ok and wait for work. */
static void
session_ready(struct session *s)
{
	struct worker *w = s->w;
	size_t start = w->out.len;
	struct buf *b;

	conn_free_targets(s);
	/* ext= says what was offered; the session uses what it may */
	if (s->no_pipelining)
		s->ext.flags &= ~SMTPEXT_PIPELINING;
	b = rec_begin(w, "session");
	proto_add_num(b, "sid", s->sid);
	proto_add(b, "status", "ok");
	proto_add(b, "mx", s->mx);
	proto_add(b, "ip", s->ip);
	proto_add_num(b, "port", s->peer_port);
	proto_add(b, "src", s->local);
	proto_add(b, "ext", s->ext.list);
	if (s->ssl != NULL) {
		proto_add(b, "tls", tls_version(s));
		proto_add(b, "cipher", tls_cipher(s));
	}
	rec_end(w, start);
	log_info("session sid=%lld domain=%s relay=%s[%s]:%u src=%s tls=%s",
	    s->sid, s->domain, s->mx, s->ip, s->peer_port, s->local,
	    s->ssl != NULL ? tls_version(s) : "no");
	s->state = SS_READY;
	ev_timer_start(w->ev, &s->timer, s->tmo_idle);
}

/* What the server was last asked, for "lost connection ... after X". */
static const char *
where(const struct session *s)
{
	const struct tx *t = &s->tx;
	size_t k;

	switch (s->state) {
	case SS_RESOLVE:
	case SS_CONNECT:
		return "while connecting";
	case SS_GREETING:
		return "while waiting for the greeting";
	case SS_EHLO:
	case SS_EHLO_TLS:
		return "after EHLO";
	case SS_HELO:
		return "after HELO";
	case SS_STARTTLS:
		return "after STARTTLS";
	case SS_HANDSHAKE:
		return "during the TLS handshake";
	case SS_READY:
	case SS_MSG:
		return "while idle";
	case SS_CMDS:
		k = t->nreplies;
		if (t->rset) {
			if (k == 0)
				return "after RSET";
			k--;
		}
		if (k == 0)
			return "after MAIL";
		if (k <= t->nrcptsent)
			return "after RCPT";
		return "after DATA";
	case SS_BODY:
		return "while sending the message";
	case SS_DOT:
		return "after end of data";
	case SS_QUIT:
		return "after QUIT";
	}
	return "";
}

/* Write one closed record. */
static void
answer_closed(struct session *s, const char *reason, int code,
    const char *dsn, const char *text)
{
	struct worker *w = s->w;
	size_t start = w->out.len;
	struct buf *b;

	b = rec_begin(w, "closed");
	proto_add_num(b, "sid", s->sid);
	proto_add(b, "reason", reason);
	proto_add_num(b, "code", code);
	proto_add(b, "dsn", dsn);
	rec_text(b, "text", text);
	rec_end(w, start);
	log_info("closed sid=%lld relay=%s[%s] reason=%s text=%s", s->sid,
	    s->mx, s->ip, reason, text);
}

/* Every recipient of t not decided yet gets this result. */
static void
tx_decide_rest(struct tx *t, int code, const char *dsn, const char *text)
{
	size_t off = t->strs.len;

	if (buf_append(&t->strs, text, strlen(text) + 1) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	for (size_t i = 0; i < t->got; i++) {
		if (t->r[i].state == RS_DONE)
			continue;
		t->r[i].state = RS_DONE;
		t->r[i].code = code;
		snprintf(t->r[i].dsn, sizeof(t->r[i].dsn), "%s", dsn);
		t->r[i].text = off;
	}
}

/* The next transaction becomes the current one; tx's buffers are kept. */
static void
nx_promote(struct session *s)
{
	struct tx over = s->tx;

	s->tx = s->nx;
	s->nx = over;
	s->nx.got = s->nx.nrcpt = 0;
	s->nx_state = NX_NONE;
}

/*
 * The session ends on its own: answer the transaction in flight and the
 * next one, if it came (or, while rcpt records still arrive, wait for
 * them), then closed.
 */
static int
sess_end(struct session *s, const char *reason, int code, const char *dsn,
    const char *fmt, ...)
{
	char text[DELIVER_TEXTMAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	switch (s->state) {
	case SS_MSG:
		goto wait;
	case SS_CMDS:
	case SS_BODY:
	case SS_DOT:
		tx_decide_rest(&s->tx, code, dsn, text);
		tx_finish(s);
		if (s->nx_state == NX_MSG) {
			nx_promote(s);
			goto wait;
		}
		if (s->nx_state != NX_NONE) {
			nx_promote(s);
			tx_decide_rest(&s->tx, code, dsn, text);
			tx_finish(s);
		}
		break;
	case SS_QUIT:
		session_free(s);
		return -1;
	default:
		break;
	}
	answer_closed(s, reason, code, dsn, text);
	s->state = SS_QUIT;
	session_free(s);
	return -1;
wait:
	/* The answers wait for the last rcpt record. */
	s->state = SS_MSG;
	conn_drop(s);
	s->dead = true;
	s->close_reason = reason;
	session_fail(s, dsn, code, "%s", text);
	return -1;
}

/* The connection broke (n == 0: EOF).  -1: the session is gone. */
static int
sess_lost(struct session *s, int errnum)
{
	char what[200];

	if (errnum == 0)
		snprintf(what, sizeof(what), "lost connection");
	else
		snprintf(what, sizeof(what), "%s", strerror(errnum));
	switch (s->state) {
	case SS_CONNECT:
	case SS_GREETING:
	case SS_EHLO:
	case SS_HELO:
	case SS_STARTTLS:
	case SS_HANDSHAKE:
	case SS_EHLO_TLS:
		session_fail(s, "4.4.2", 0, "%s with %s[%s] %s", what,
		    s->mx, s->ip, where(s));
		conn_next(s, false);
		return -1;
	default:
		return sess_end(s, "lost", 0, "4.4.2", "%s with %s[%s] %s",
		    what, s->mx, s->ip, where(s));
	}
}

static void
sess_timeout(void *arg)
{
	struct session *s = arg;

	switch (s->state) {
	case SS_CONNECT:
		session_fail(s, "4.4.1", 0, "connect to %s:%u: timeout",
		    s->ip, s->peer_port);
		conn_next(s, false);
		return;
	case SS_GREETING:
	case SS_EHLO:
	case SS_HELO:
	case SS_STARTTLS:
	case SS_HANDSHAKE:
	case SS_EHLO_TLS:
		session_fail(s, "4.4.2", 0, "timeout with %s[%s] %s",
		    s->mx, s->ip, where(s));
		conn_next(s, false);
		return;
	case SS_READY:
		/* Say goodbye without waiting for the answer. */
		buf_appends(&s->out, "QUIT\r\n");
		(void)io_write(s, s->out.p + s->outoff, s->out.len - s->outoff);
		answer_closed(s, "timeout", 0, "2.0.0", "idle timeout");
		s->state = SS_QUIT;
		session_free(s);
		return;
	case SS_QUIT:
		session_free(s);
		return;
	default:
		(void)sess_end(s, "timeout", 0, "4.4.2", "timeout with %s[%s] "
		    "%s", s->mx, s->ip, where(s));
	}
}

/* session_write - write what is queued.  -1: the session is gone. */
int
session_write(struct session *s)
{
	char err[256];
	ssize_t n;

	for (;;) {
		while (s->outoff < s->out.len) {
			n = io_write(s, s->out.p + s->outoff,
			    s->out.len - s->outoff);
			if (n > 0) {
				s->outoff += (size_t)n;
				if (s->state == SS_BODY)
					ev_timer_start(s->w->ev, &s->timer,
					    s->tmo_data ? s->tmo_data :
					    TMO_DATA_BLOCK);
				continue;
			}
			if (n == -1 && errno == EAGAIN) {
				session_set_events(s, EV_READ | EV_WRITE);
				return 0;
			}
			return sess_lost(s, n == 0 ? 0 : errno);
		}
		s->out.len = 0;
		s->outoff = 0;
		if (s->state != SS_BODY)
			break;
		if (send_fill(s, err, sizeof(err)) == -1) {
			/* No "." may follow a cut message: hang up. */
			return sess_end(s, "error", 0, "4.3.0", "%s", err);
		}
	}
	if (s->out.cap > 65536) {
		buf_free(&s->out);
	}
	session_set_events(s, s->ssl_want_write ? EV_READ | EV_WRITE :
	    EV_READ);
	return 0;
}

/*
 * Read what the server sent and act on each reply.  -1: gone.  Each
 * reply's bytes leave the buffer before it is acted on, so an action
 * may empty the buffer (STARTTLS) or replace the connection.
 */
static int
session_read(struct session *s)
{
	char err[256];
	size_t used, room;
	ssize_t n;
	int rc;

	for (;;) {
		room = sizeof(s->in) - s->inlen;
		n = io_read(s, s->in + s->inlen, room);
		if (n == 0)
			return sess_lost(s, 0);
		if (n == -1)
			return errno == EAGAIN ? 0 : sess_lost(s, errno);
		s->inlen += (size_t)n;
		for (;;) {
			rc = smtpreply_parse(&s->reply, s->in, s->inlen, &used,
			    err, sizeof(err));
			memmove(s->in, s->in + used, s->inlen - used);
			s->inlen -= used;
			if (rc == 0)
				break;
			if (rc == -1)
				return on_bad_reply(s, err);
			if ((rc = on_reply(s)) == -1)
				return -1;
			smtpreply_init(&s->reply);
			if (rc == 1)
				return 0;
		}
		/* A short read drained the socket; TLS may hold more. */
		if (s->ssl == NULL && (size_t)n < room)
			return 0;
	}
}

/*
 * One step of the TLS handshake; when it is done, EHLO again.  -1: the
 * connection was given up (and the session maybe freed).
 */
static int
handshake_step(struct session *s)
{
	char err[256];
	int rc;

	if ((rc = tls_handshake(s, err, sizeof(err))) == 0)
		return 0;
	if (rc == 1)
		return command(s, SS_EHLO_TLS, "EHLO %s", s->helo);
	session_fail(s, "4.7.5", 0, "TLS handshake with %s[%s] failed: %s",
	    s->mx, s->ip, err);
	if (s->tls == TLS_REQUIRE) {
		conn_next(s, true);
		return -1;
	}
	/* Opportunistic TLS (RFC 7435): this host gets plain text. */
	conn_tls_mark_broken(s);
	conn_retry_plain(s);
	return -1;
}

/* session_io - the loop's callback for the connection */
void
session_io(int fd, unsigned events, void *arg)
{
	struct session *s = arg;

	(void)fd;
	if (s->state == SS_CONNECT) {
		conn_connect_done(s);
		return;
	}
	if (s->state == SS_HANDSHAKE) {
		(void)handshake_step(s);
		return;
	}
	if ((events & EV_WRITE) && s->outoff < s->out.len &&
	    session_write(s) == -1)
		return;
	if ((events & (EV_READ | EV_ERROR)) || s->ssl_want_write) {
		s->ssl_want_write = false;
		(void)session_read(s);
	}
}

static int
on_bad_reply(struct session *s, const char *err)
{
	switch (s->state) {
	case SS_GREETING:
	case SS_EHLO:
	case SS_HELO:
	case SS_STARTTLS:
	case SS_EHLO_TLS:
		session_fail(s, "4.5.0", 0, "bad reply from %s[%s] %s: %s",
		    s->mx, s->ip, where(s), err);
		conn_next(s, false);
		return -1;
	default:
		return sess_end(s, "error", 0, "4.5.0", "bad reply from %s[%s] "
		    "%s: %s", s->mx, s->ip, where(s), err);
	}
}

/* A reply that ends the session: 421, or one nobody asked for. */
static int
reply_ends(struct session *s, const char *reason)
{
	char text[DELIVER_TEXTMAX], dsn[12];

	smtpreply_oneline(&s->reply, text, sizeof(text));
	derive_dsn(dsn, sizeof(dsn), s->reply.code, s->reply.dsn);
	return sess_end(s, reason, s->reply.code, dsn, "%s", text);
}

/* The reply in hand decides recipient r (or every one not decided). */
static void
decide(struct session *s, struct tx_rcpt *r, enum rcpt_state only)
{
	struct tx *t = &s->tx;
	char text[DELIVER_TEXTMAX];
	size_t off = t->strs.len, n;

	n = smtpreply_oneline(&s->reply, text, sizeof(text));
	if (buf_append(&t->strs, text, n + 1) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	for (size_t i = 0; i < t->got; i++) {
		struct tx_rcpt *q = r != NULL ? r : &t->r[i];

		if (r == NULL && q->state != only)
			continue;
		q->state = RS_DONE;
		q->code = s->reply.code;
		derive_dsn(q->dsn, sizeof(q->dsn), s->reply.code,
		    s->reply.dsn);
		q->text = off;
		if (r != NULL)
			break;
	}
}

/*
 * After a transaction: the next one, if it came; else QUIT when the
 * queue said quit.  -1: the session is gone (or quits).
 */
static int
after_tx(struct session *s)
{
	enum nx_state next = s->nx_state;

	if (next != NX_NONE)
		nx_promote(s);
	switch (next) {
	case NX_SENT:
		/* its replies follow the one to "." */
		s->state = SS_CMDS;
		ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
		return 0;
	case NX_MSG:
		s->state = SS_MSG;
		ev_timer_stop(s->w->ev, &s->timer);
		return 0;
	case NX_READY:
		if (!s->w->quitting)
			return tx_start(s);
		tx_fail_all(&s->tx, "4.3.0", "mta-deliver quit");
		tx_finish(s);
		break;
	case NX_NONE:
		break;
	}
	if (s->w->quitting)
		session_quit(s, true);
	return s->w->quitting ? -1 : 0;
}

/* What comes after the replies in hand, without PIPELINING mostly. */
static int
tx_continue(struct session *s)
{
	struct tx *t = &s->tx;
	bool unsent = false;

	for (size_t i = t->nextrcpt; i < t->got; i++)
		if (t->r[i].state == RS_WAIT)
			unsent = true;
	if (t->mail_sent && (!t->mail_ok || (!unsent &&
	    t->naccepted == 0))) {
		s->need_rset = true;
		tx_finish(s);
		return after_tx(s);
	}
	send_commands(s, t);
	ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
	return session_write(s);
}

/* The reply to DATA. */
static int
data_reply(struct session *s)
{
	struct tx *t = &s->tx;
	char err[256];

	if (s->reply.code / 100 != 3) {
		decide(s, NULL, RS_ACCEPTED);
		s->need_rset = true;
		tx_finish(s);
		return after_tx(s);
	}
	if (t->naccepted == 0) {
		/* RFC 2920 3.1: no recipient, yet 354: end it empty. */
		t->empty = true;
		buf_appends(&s->out, ".\r\n");
		s->state = SS_DOT;
		ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
		return session_write(s);
	}
	s->state = SS_BODY;
	ev_timer_start(s->w->ev, &s->timer, s->tmo_data ? s->tmo_data :
	    TMO_DATA_BLOCK);
	if (send_fill(s, err, sizeof(err)) == -1)
		return sess_end(s, "error", 0, "4.3.0", "%s", err);
	return session_write(s);
}

/* A reply to RSET, MAIL, RCPT or DATA, in the order they were sent. */
static int
cmd_reply(struct session *s)
{
	struct tx *t = &s->tx;
	struct tx_rcpt *r;
	size_t k = t->nreplies++;
	int c = s->reply.code;

	if (c == 421)
		return reply_ends(s, "421");
	if (t->rset && k == 0)
		goto next;	/* whatever RSET got, MAIL will tell */
	k -= t->rset;
	if (k == 0) {
		if (c / 100 == 2)
			t->mail_ok = true;
		else
			decide(s, NULL, RS_WAIT);
	} else if (k <= t->nrcptsent) {
		while (!t->r[t->rcur].sent)
			t->rcur++;
		r = &t->r[t->rcur++];
		if (r->state == RS_WAIT) {
			if (c / 100 == 2) {
				r->state = RS_ACCEPTED;
				t->naccepted++;
			} else
				decide(s, r, RS_WAIT);
		}
	} else
		return data_reply(s);
next:
	if (t->nreplies < t->nexpect) {
		ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
		return 0;
	}
	return tx_continue(s);
}

static int
after_ehlo(struct session *s)
{
	smtpext_parse(&s->reply, &s->ext);
	if (s->tls != TLS_NO && !s->no_tls &&
	    (s->ext.flags & SMTPEXT_STARTTLS) &&
	    (s->tls == TLS_REQUIRE || !conn_tls_broken(s)))
		return command(s, SS_STARTTLS, "STARTTLS");
	if (s->tls == TLS_REQUIRE) {
		session_fail(s, "4.7.10", 0, "TLS required, but %s[%s] offers "
		    "no STARTTLS", s->mx, s->ip);
		conn_next(s, true);
		return -1;
	}
	session_ready(s);
	return 0;
}

static int
starttls_reply(struct session *s)
{
	char err[256];

	if (s->reply.code != 220) {
		if (s->tls == TLS_REQUIRE) {
			fail_reply(s);
			conn_next(s, true);
			return -1;
		}
		session_ready(s);
		return 0;
	}
	/* Plain text sent after the 220 must not pass for TLS's. */
	s->inlen = 0;
	if (tls_start(s, err, sizeof(err)) == -1)
		die(EX_TEMPFAIL, "TLS: %s", err);
	s->state = SS_HANDSHAKE;
	ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
	return handshake_step(s) == -1 ? -1 : 1;
}

/*
 * One complete reply, in the state that asked for it: 0 go on, 1 stop
 * reading for now, -1 the connection or the session is gone.
 */
static int
on_reply(struct session *s)
{
	int c = s->reply.code;

	switch (s->state) {
	case SS_GREETING:
		if (c / 100 == 2)
			return command(s, SS_EHLO, "EHLO %s", s->helo);
		break;
	case SS_EHLO:
		if (c / 100 == 2)
			return after_ehlo(s);
		if (c / 100 == 5)
			return command(s, SS_HELO, "HELO %s", s->helo);
		break;
	case SS_HELO:
		if (c / 100 != 2)
			break;
		memset(&s->ext, 0, sizeof(s->ext));
		if (s->tls == TLS_REQUIRE) {
			session_fail(s, "4.7.10", 0, "TLS required, but %s[%s] "
			    "does not speak ESMTP", s->mx, s->ip);
			conn_next(s, true);
			return -1;
		}
		session_ready(s);
		return 0;
	case SS_STARTTLS:
		return starttls_reply(s);
	case SS_EHLO_TLS:
		if (c / 100 != 2)
			break;
		smtpext_parse(&s->reply, &s->ext);
		session_ready(s);
		return 0;
	case SS_CMDS:
		return cmd_reply(s);
	case SS_DOT:
		if (c == 421 && !s->tx.empty)
			decide(s, NULL, RS_ACCEPTED);
		if (c == 421)
			return reply_ends(s, "421");
		if (!s->tx.empty)
			decide(s, NULL, RS_ACCEPTED);
		else
			s->need_rset = true;
		tx_finish(s);
		return after_tx(s);
	case SS_QUIT:
		if (s->quit_answer && !s->got_goodbye) {
			/* Now the server hangs up (EOF), or soon. */
			s->got_goodbye = true;
			ev_timer_start(s->w->ev, &s->timer, TMO_QUIT_EOF);
			return 0;
		}
		session_free(s);
		return -1;
	case SS_READY:
	case SS_MSG:
	case SS_BODY:
		/* Nobody asked: a 421 (RFC 5321 3.8) or a confused server. */
		return reply_ends(s, c == 421 ? "421" : "error");
	default:
		return 0;
	}
	/* A refusal while the session opens: the next address. */
	fail_reply(s);
	conn_next(s, false);
	return -1;
}

static const char *
rcpt_status(const struct tx_rcpt *r)
{
	int cls = r->code > 0 ? r->code / 100 : r->dsn[0] - '0';

	return cls == 2 ? "delivered" : cls == 5 ? "failed" : "deferred";
}

/* Answer every rcpt record, then done; the session is idle again. */
static void
tx_finish(struct session *s)
{
	struct worker *w = s->w;
	struct tx *t = &s->tx;
	struct tx_rcpt *r;
	struct buf *b;
	size_t start;
	double delay = (double)(ev_now(w->ev) - t->t0) / 1000;

	for (size_t i = 0; i < t->got; i++) {
		r = &t->r[i];
		if (r->state != RS_DONE)
			PANIC("sid %lld rcpt %zu undecided", s->sid, i);
		start = w->out.len;
		b = rec_begin(w, "rcpt");
		proto_add_num(b, "sid", s->sid);
		proto_add(b, "id", t->id);
		proto_add_num(b, "n", r->n);
		proto_add(b, "status", rcpt_status(r));
		proto_add_num(b, "code", r->code);
		proto_add(b, "dsn", r->dsn);
		rec_text(b, "text", t->strs.p + r->text);
		rec_end(w, start);
		buf_reset(&w->logbuf);
		proto_encode(&w->logbuf, t->strs.p + r->to,
		    strlen(t->strs.p + r->to));
		buf_appends(&w->logbuf, " text=");
		proto_encode(&w->logbuf, t->strs.p + r->text,
		    strlen(t->strs.p + r->text));
		log_info("delivery id=%s relay=%s[%s] status=%s code=%d "
		    "dsn=%s delay=%.2f rcpt=%s", t->id, s->mx, s->ip,
		    rcpt_status(r), r->code, r->dsn, delay, w->logbuf.p);
	}
	start = w->out.len;
	b = rec_begin(w, "done");
	proto_add_num(b, "sid", s->sid);
	proto_add(b, "id", t->id);
	rec_end(w, start);
	send_close(t);
	buf_reset(&t->strs);
	if (t->strs.cap > 65536)
		buf_free(&t->strs);
	t->got = t->nrcpt = 0;
	s->state = SS_READY;
	ev_timer_start(w->ev, &s->timer, s->tmo_idle);
}

/* The recipients of a transaction that never reached the server. */
static void
tx_fail_all(struct tx *t, const char *dsn, const char *fmt, ...)
{
	char text[DELIVER_TEXTMAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tx_decide_rest(t, 0, dsn, text);
}

/* An address as MAIL and RCPT carry it: nothing that breaks the line. */
static bool
addr_ok(const char *a)
{
	size_t n = strlen(a);

	if (n > 512)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] < ' ' || a[i] == 0x7f || a[i] == '<' ||
		    a[i] == '>')
			return false;
	return true;
}

/*
 * What of t can go: the recipients that MAIL and RCPT can carry, when
 * the sender can be carried, the size and SMTPUTF8 suit the server and
 * the spool file opens; the others are decided here.  false: nothing
 * is left to send.  Deciding twice changes nothing.
 */
static bool
tx_check(struct session *s, struct tx *t)
{
	char err[256];
	bool any = false;

	if (t->from != NOSTR && !addr_ok(t->strs.p + t->from))
		tx_fail_all(t, "5.1.7", "bad sender address syntax");
	else if (t->smtputf8 && !(s->ext.flags & SMTPEXT_SMTPUTF8))
		tx_fail_all(t, "5.6.7", "SMTPUTF8 is required, but was not "
		    "offered by %s[%s]", s->mx, s->ip);
	else if ((s->ext.flags & SMTPEXT_SIZE) && s->ext.size > 0 &&
	    (uint64_t)t->size > s->ext.size)
		tx_fail_all(t, "5.3.4", "message size %lld exceeds size limit "
		    "%llu of %s[%s]", t->size,
		    (unsigned long long)s->ext.size, s->mx, s->ip);
	for (size_t i = 0; i < t->got; i++) {
		if (t->r[i].state != RS_WAIT)
			continue;
		if (!addr_ok(t->strs.p + t->r[i].to)) {
			size_t off = t->strs.len;

			buf_appends(&t->strs, "bad recipient address syntax");
			buf_appendc(&t->strs, '\0');
			t->r[i].state = RS_DONE;
			t->r[i].code = 0;
			snprintf(t->r[i].dsn, sizeof(t->r[i].dsn), "5.1.3");
			t->r[i].text = off;
			continue;
		}
		any = true;
	}
	if (any && t->fd == -1 && send_open(t, err, sizeof(err)) == -1) {
		tx_fail_all(t, "4.3.0", "%s", err);
		any = false;
	}
	return any;
}

/* t's commands are about to go, RSET first when rset. */
static void
tx_begin(struct tx *t, bool rset)
{
	t->rset = rset;
	t->nexpect = t->nreplies = t->nextrcpt = t->rcur = 0;
	t->nrcptsent = t->naccepted = 0;
	t->mail_sent = t->mail_ok = t->data_sent = t->rset_sent = false;
	t->empty = false;
}

/* All rcpt records are in: check, then talk.  -1: the session is gone. */
static int
tx_start(struct session *s)
{
	struct tx *t = &s->tx;

	if (!tx_check(s, t)) {
		tx_finish(s);
		return after_tx(s);
	}
	tx_begin(t, s->need_rset);
	s->need_rset = false;
	s->state = SS_CMDS;
	send_commands(s, t);
	ev_timer_start(s->w->ev, &s->timer, cmd_timeout(s));
	return session_write(s);
}

/*
 * session_pipeline_next - the final "." of tx is queued: queue the next
 * transaction's MAIL, RCPT and DATA right behind it, if it is in and
 * may go (RFC 2920 3.1: a message's content may begin a group).  Not
 * behind an empty "." (RSET must come first), nor when quitting.  A
 * next one with nothing to send waits for its turn to be answered.
 */
void
session_pipeline_next(struct session *s)
{
	struct tx *t = &s->nx;

	if (s->nx_state != NX_READY || s->state != SS_DOT || s->tx.empty ||
	    !(s->ext.flags & SMTPEXT_PIPELINING) || s->w->quitting ||
	    !tx_check(s, t))
		return;
	tx_begin(t, false);
	send_commands(s, t);
	s->nx_state = NX_SENT;
}

/* Keep a string of the transaction; NOSTR for NULL. */
static size_t
keep(struct tx *t, const char *v)
{
	size_t off = t->strs.len;

	if (v == NULL)
		return NOSTR;
	if (buf_append(&t->strs, v, strlen(v) + 1) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	return off;
}

/* Take a msg record into t.  -1 with err: a protocol error. */
static int
tx_read_msg(struct worker *w, struct tx *t, const struct proto_rec *r,
    char *err, size_t errlen)
{
	const char *v;
	long long nrcpt, n;

	if ((v = proto_get(r, "id")) == NULL || !name_ok(v, sizeof(t->id))) {
		(void)snprintf(err, errlen, "missing or bad id");
		return -1;
	}
	memcpy(t->id, v, strlen(v) + 1);
	if (proto_get(r, "path") == NULL ||
	    proto_get_num(r, "off", 0, LLONG_MAX, &t->off) == -1 ||
	    proto_get_num(r, "size", 0, LLONG_MAX, &t->size) == -1 ||
	    proto_get_num(r, "nrcpt", 1, DELIVER_MAXRCPT, &nrcpt) == -1) {
		(void)snprintf(err, errlen, "missing or bad path, off, size or "
		    "nrcpt");
		return -1;
	}
	buf_reset(&t->strs);
	t->path = keep(t, proto_get(r, "path"));
	v = proto_get(r, "from");
	t->from = keep(t, v != NULL && v[0] != '\0' ? v : NULL);
	t->envid = keep(t, proto_get(r, "envid"));
	v = proto_get(r, "ret");
	t->ret = v == NULL ? NULL : strcmp(v, "full") == 0 ? "FULL" :
	    strcmp(v, "hdrs") == 0 ? "HDRS" : NULL;
	t->smtputf8 = proto_get_num(r, "smtputf8", 0, 1, &n) == 0 && n == 1;
	t->eightbit = proto_get_num(r, "eightbit", 0, 1, &n) == 0 && n == 1;
	if ((size_t)nrcpt > t->rcap) {
		struct tx_rcpt *p;

		if ((p = reallocarray(t->r, (size_t)nrcpt, sizeof(*p))) ==
		    NULL)
			die_sys(EX_TEMPFAIL, "out of memory");
		t->r = p;
		t->rcap = (size_t)nrcpt;
	}
	t->nrcpt = (size_t)nrcpt;
	t->got = 0;
	t->t0 = ev_now(w->ev);
	return 0;
}

/*
 * session_msg_record - a msg record for s, idle or with a transaction
 * in flight and none after it, or for a session that has ended on its
 * own (s NULL): its recipients are answered deferred.  -1 with err: a
 * protocol error.
 */
int
session_msg_record(struct worker *w, struct session *s,
    const struct proto_rec *r, char *err, size_t errlen)
{
	long long sid;

	if (s == NULL) {
		(void)proto_get_num(r, "sid", 0, LLONG_MAX, &sid);
		s = alloc_session(w, sid);
		s->state = SS_READY;
		s->dead = true;
		session_fail(s, "4.4.2", 0, "session %lld was closed", sid);
	}
	if ((s->state == SS_CMDS || s->state == SS_BODY ||
	    s->state == SS_DOT) && s->nx_state == NX_NONE) {
		if (tx_read_msg(w, &s->nx, r, err, errlen) == -1)
			return -1;
		s->nx_state = NX_MSG;
		return 0;
	}
	if (s->state != SS_READY) {
		(void)snprintf(err, errlen, "session %lld is not idle", s->sid);
		return -1;
	}
	if (tx_read_msg(w, &s->tx, r, err, errlen) == -1)
		return -1;
	s->state = SS_MSG;
	/* The queue sends the rcpt records at once: no idle timeout. */
	ev_timer_stop(w->ev, &s->timer);
	return 0;
}

/* session_rcpt - a rcpt record; -1 with err: a protocol error */
int
session_rcpt(struct session *s, const struct proto_rec *r, char *err,
    size_t errlen)
{
	struct tx *t = s->nx_state == NX_MSG ? &s->nx : &s->tx;
	struct tx_rcpt *q;
	const char *v;

	if (t == &s->tx && s->state != SS_MSG) {
		(void)snprintf(err, errlen, "no msg for session %lld", s->sid);
		return -1;
	}
	if ((v = proto_get(r, "id")) == NULL || strcmp(v, t->id) != 0) {
		(void)snprintf(err, errlen, "id is not that of the msg");
		return -1;
	}
	q = &t->r[t->got];
	memset(q, 0, sizeof(*q));
	if (proto_get_num(r, "n", 0, LLONG_MAX, &q->n) == -1 ||
	    (v = proto_get(r, "to")) == NULL) {
		(void)snprintf(err, errlen, "missing or bad n or to");
		return -1;
	}
	q->to = keep(t, v);
	q->notify = keep(t, proto_get(r, "notify"));
	q->orcpt = keep(t, proto_get(r, "orcpt"));
	q->state = RS_WAIT;
	if (++t->got < t->nrcpt)
		return 0;
	if (t == &s->nx) {
		/* behind tx's ".", if that is out already */
		s->nx_state = NX_READY;
		session_pipeline_next(s);
		if (s->nx_state == NX_SENT)
			(void)session_write(s);
		return 0;
	}
	if (!s->dead) {
		(void)tx_start(s);
		return 0;
	}
	/* The session ended while the records came: answer them so. */
	tx_decide_rest(t, s->fcode, s->fdsn, s->ftext);
	tx_finish(s);
	if (s->close_reason != NULL)
		answer_closed(s, s->close_reason, s->fcode, s->fdsn, s->ftext);
	s->state = SS_QUIT;
	session_free(s);
	return 0;
}

/*
 * Say QUIT and wait for the server's goodbye and hang-up before the
 * queue hears "closed": until then the connection still counts against
 * the destination's max-smtp-out, as the server sees it.
 */
static void
send_quit(struct session *s)
{
	s->quit_answer = true;
	unhash(s);
	s->state = SS_QUIT;
	buf_appends(&s->out, "QUIT\r\n");
	ev_timer_start(s->w->ev, &s->timer, TMO_QUIT);
	(void)session_write(s);
}

/* Answer a session that is not ready yet, and forget it. */
static void
drop_unready(struct session *s, const char *why)
{
	session_fail(s, "4.3.0", 0, "%s", why);
	s->fmx[0] = s->fip[0] = '\0';
	s->fperm = false;
	session_answer_fail(s);
}

/* session_close - a close record; -1 with err: a protocol error */
int
session_close(struct session *s, char *err, size_t errlen)
{
	struct worker *w = s->w;
	long long sid = s->sid;
	size_t start;
	struct buf *b;

	switch (s->state) {
	case SS_READY:
		send_quit(s);
		return 0;
	case SS_MSG:
	case SS_CMDS:
	case SS_BODY:
	case SS_DOT:
		(void)snprintf(err, errlen, "close during a transaction");
		return -1;
	case SS_QUIT:
		return 0;
	default:
		drop_unready(s, "closed by mta-queue before it was ready");
		start = w->out.len;
		b = rec_begin(w, "closed");
		proto_add_num(b, "sid", sid);
		proto_add(b, "reason", "quit");
		proto_add_num(b, "code", 0);
		proto_add(b, "dsn", "2.0.0");
		proto_add(b, "text", "quit");
		rec_end(w, start);
		return 0;
	}
}

/*
 * session_quit - the queue said quit (wait: QUIT politely, let a
 * transaction in flight finish) or went away (hang up now)
 */
void
session_quit(struct session *s, bool wait)
{
	if (!wait) {
		if (s->state == SS_READY && s->ssl == NULL) {
			buf_appends(&s->out, "QUIT\r\n");
			(void)io_write(s, s->out.p + s->outoff,
			    s->out.len - s->outoff);
		}
		s->state = SS_QUIT;
		session_free(s);
		return;
	}
	switch (s->state) {
	case SS_READY:
		send_quit(s);
		return;
	case SS_MSG:
		tx_fail_all(&s->tx, "4.3.0", "mta-deliver quit");
		tx_finish(s);
		send_quit(s);
		return;
	case SS_CMDS:
	case SS_BODY:
	case SS_DOT:
	case SS_QUIT:
		return;		/* after_tx() says QUIT */
	default:
		drop_unready(s, "mta-deliver quit before the session was "
		    "ready");
		return;
	}
}
