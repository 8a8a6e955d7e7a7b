/*
 * control - mta-queue's control socket: the unix stream socket "control"
 * in the spool root, where mta-ctl sends one request line and reads the
 * reply (protocol: CONTROL SOCKET in mta-queue(8)).
 *
 * It lives in the scheduler's event loop and never blocks it: sockets are
 * non-blocking, a request is one lib/proto record of at most PROTO_MAXLINE
 * bytes, a client has CONTROL_TIMEOUT_MS to send its request and read the
 * whole reply, and at most CONTROL_MAXCLIENTS are served at once.  The
 * reply is built whole from the scheduler's memory (admin.h, the only way
 * in) when the request arrives, then written as fast as the client reads.
 * The wire carries data, not layout: mta-ctl renders text or JSON.
 */
#define _GNU_SOURCE		/* accept4(2) */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "conf.h"
#include "control.h"
#include "ev.h"
#include "log.h"
#include "proto.h"

#define CONTROL_NAME		"control"
#define CONTROL_MAXCLIENTS	32
#define CONTROL_TIMEOUT_MS	10000	/* request read and reply written */
#define CONTROL_ACCEPT_BURST	16	/* accepts per wake-up */
#define CONTROL_EMFILE_MS	1000	/* accept(2) rests after EMFILE */
#define CONTROL_MAXPATTERN	320	/* domain (255) "/" vmta */
#define CONTROL_MAXVALUE	1024	/* address, job id */
#define CONTROL_MAXTEXT		1000	/* error and setting text sent */

struct client {
	int	 fd;
	struct proto_reader rd;
	struct buf out;			/* the reply */
	size_t	 sent;
	bool	 replying;
	struct ev_timer timer;
	struct client *prev, *next;
};

static struct {
	struct ev *ev;
	int	 fd;
	char	 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ev_timer rest;		/* accept(2) paused after EMFILE */
	struct client *clients;
	size_t	 nclients;
} ctl = { .fd = -1 };

/* One request: its verb, its handler, and whether it changes anything. */
struct request {
	const char *verb;
	int	(*fn)(const struct proto_rec *, struct buf *);
	bool	 changes;
};

/* reply_error - replace the reply with "error kind=K text=T" */
static int
reply_error(struct buf *out, const char *kind, const char *fmt, ...)
{
	char text[CONTROL_MAXTEXT];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	buf_reset(out);
	if (proto_begin(out, "error") == -1 ||
	    proto_add(out, "kind", kind) == -1 ||
	    proto_add(out, "text", text) == -1 ||
	    proto_end(out, 0) == -1)
		return -1;
	return 1;
}

/* add_text - " key=value", value cut to CONTROL_MAXTEXT bytes */
static int
add_text(struct buf *b, const char *k, const char *v)
{
	size_t n = v != NULL ? strnlen(v, CONTROL_MAXTEXT) : 0;

	return proto_addn(b, k, v != NULL ? v : "", n);
}

static int
add_u(struct buf *b, const char *k, unsigned long long v)
{
	return buf_appendf(b, " %s=%llu", k, v);
}

static int
add_time(struct buf *b, const char *k, time_t t)
{
	return buf_appendf(b, " %s=%lld", k, (long long)(t > 0 ? t : 0));
}

/* A queue pattern: "*", "domain", "domain/vmta", printable, one slash. */
static bool
pattern_ok(const char *p)
{
	const char *slash = strchr(p, '/');
	size_t n = strlen(p);

	if (n == 0 || n > CONTROL_MAXPATTERN || p[0] == '/' || p[n - 1] == '/')
		return false;
	if (slash != NULL && strchr(slash + 1, '/') != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return false;
	return true;
}

/* The queue= of a request, required or not; NULL: none given. */
static int
get_pattern(const struct proto_rec *r, struct buf *out, bool required,
    const char **pat)
{
	*pat = proto_get(r, "queue");
	if (*pat == NULL && required)
		return reply_error(out, "request", "%s: missing queue=",
		    r->verb);
	if (*pat != NULL && !pattern_ok(*pat))
		return reply_error(out, "request", "%s: bad queue pattern",
		    r->verb);
	return 0;
}

static int
ok_line(struct buf *out, const char *k, long long n)
{
	if (proto_begin(out, "ok") == -1 ||
	    (k != NULL && proto_add_num(out, k, n) == -1))
		return -1;
	return proto_end(out, 0);
}

static int
req_status(const struct proto_rec *r, struct buf *out)
{
	struct admin_status st;
	size_t start;
	int rc = 0;

	(void)r;
	memset(&st, 0, sizeof(st));
	admin_status(&st);
	rc |= ok_line(out, NULL, 0);
	start = out->len;
	rc |= proto_begin(out, "status");
	rc |= proto_add_num(out, "pid", (long long)st.pid);
	rc |= add_time(out, "started", st.started);
	rc |= add_time(out, "now", time(NULL));
	rc |= add_u(out, "queues", st.queues);
	rc |= add_u(out, "messages", st.messages);
	rc |= add_u(out, "rcpts", st.rcpts);
	rc |= add_u(out, "sessions", st.sessions);
	rc |= add_u(out, "workers", st.workers);
	rc |= add_u(out, "injected", st.injected);
	rc |= add_u(out, "delivered", st.delivered);
	rc |= add_u(out, "deferred", st.deferred);
	rc |= add_u(out, "failed", st.failed);
	rc |= add_u(out, "expired", st.expired);
	rc |= add_text(out, "config", st.config);
	rc |= proto_end(out, start);
	return rc;
}

/* One "queue" record a queue. */
static int
queue_record(const struct admin_queue *q, void *arg)
{
	struct buf *out = arg;
	size_t start = out->len;
	int rc = 0;

	rc |= proto_begin(out, "queue");
	rc |= add_text(out, "name", q->name);
	rc |= add_text(out, "domain", q->domain);
	rc |= add_text(out, "vmta", q->vmta);
	rc |= add_u(out, "rcpts", q->rcpts);
	rc |= add_u(out, "bytes", q->bytes);
	rc |= add_u(out, "sessions", q->sessions);
	rc |= add_u(out, "max-sessions", q->max_sessions);
	rc |= proto_add(out, "mode", q->backoff ? "backoff" : "normal");
	rc |= add_u(out, "paused", q->paused);
	rc |= add_time(out, "retry-at", q->retry_at);
	rc |= add_time(out, "oldest", q->oldest);
	rc |= add_u(out, "delivered", q->delivered);
	rc |= add_u(out, "deferred", q->deferred);
	rc |= add_u(out, "failed", q->failed);
	rc |= add_u(out, "expired", q->expired);
	rc |= add_text(out, "last-error", q->last_error);
	rc |= add_text(out, "disabled-src", q->disabled_src);
	rc |= add_text(out, "forward", q->forward);
	rc |= proto_end(out, start);
	return rc;
}

static int
req_queues(const struct proto_rec *r, struct buf *out)
{
	const char *pat;
	int rc;

	if ((rc = get_pattern(r, out, false, &pat)) != 0)
		return rc;
	rc = ok_line(out, NULL, 0);
	errno = 0;
	if (rc == 0 && admin_foreach_queue(pat, queue_record, out) != 0) {
		if (errno == ENOMEM)
			return -1;
		return reply_error(out, "request", "queues: bad queue pattern");
	}
	return rc;
}

/* The sums of the queues of one domain or one virtual MTA. */
struct agg {
	char	*name;
	size_t	 queues, rcpts, sessions, max_sessions, paused, backoff;
	unsigned long long bytes, delivered, deferred, failed, expired;
	time_t	 oldest;
};

struct aggs {
	struct agg *a;
	size_t	 n, cap;
	bool	 by_vmta;
};

static int
agg_add(const struct admin_queue *q, void *arg)
{
	struct aggs *s = arg;
	struct agg *a;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap < 64 ? 64 : s->cap * 2;
		if ((a = reallocarray(s->a, cap, sizeof(*a))) == NULL)
			return -1;
		s->a = a;
		s->cap = cap;
	}
	a = &s->a[s->n];
	if ((a->name = strdup(s->by_vmta ? q->vmta : q->domain)) == NULL)
		return -1;
	s->n++;
	a->queues = 1;
	a->rcpts = q->rcpts;
	a->sessions = q->sessions;
	a->max_sessions = q->max_sessions;
	a->paused = q->paused;
	a->backoff = q->backoff;
	a->bytes = q->bytes;
	a->delivered = q->delivered;
	a->deferred = q->deferred;
	a->failed = q->failed;
	a->expired = q->expired;
	a->oldest = q->oldest;
	return 0;
}

static int
agg_cmp(const void *va, const void *vb)
{
	const struct agg *a = va, *b = vb;

	return strcmp(a->name, b->name);
}

/* Fold b into a, which has the same name. */
static void
agg_merge(struct agg *a, const struct agg *b)
{
	a->queues += b->queues;
	a->rcpts += b->rcpts;
	a->sessions += b->sessions;
	a->max_sessions += b->max_sessions;
	a->paused += b->paused;
	a->backoff += b->backoff;
	a->bytes += b->bytes;
	a->delivered += b->delivered;
	a->deferred += b->deferred;
	a->failed += b->failed;
	a->expired += b->expired;
	if (b->oldest > 0 && (a->oldest == 0 || b->oldest < a->oldest))
		a->oldest = b->oldest;
}

static int
agg_record(struct buf *out, const char *type, const struct agg *a)
{
	size_t start = out->len;
	int rc = 0;

	rc |= proto_begin(out, type);
	rc |= add_text(out, "name", a->name);
	rc |= add_u(out, "queues", a->queues);
	rc |= add_u(out, "rcpts", a->rcpts);
	rc |= add_u(out, "bytes", a->bytes);
	rc |= add_u(out, "sessions", a->sessions);
	rc |= add_u(out, "max-sessions", a->max_sessions);
	rc |= add_u(out, "paused-queues", a->paused);
	rc |= add_u(out, "backoff-queues", a->backoff);
	rc |= add_time(out, "oldest", a->oldest);
	rc |= add_u(out, "delivered", a->delivered);
	rc |= add_u(out, "deferred", a->deferred);
	rc |= add_u(out, "failed", a->failed);
	rc |= add_u(out, "expired", a->expired);
	rc |= proto_end(out, start);
	return rc;
}

/* "domains" and "vmtas": one record a name, sorted, from every queue. */
static int
aggregate(struct buf *out, bool by_vmta)
{
	struct aggs s = { NULL, 0, 0, by_vmta };
	size_t i, j;
	int rc;

	rc = admin_foreach_queue(NULL, agg_add, &s);
	if (rc == 0) {
		qsort(s.a, s.n, sizeof(s.a[0]), agg_cmp);
		rc = ok_line(out, NULL, 0);
		for (i = 0; i < s.n && rc == 0; i = j) {
			for (j = i + 1; j < s.n &&
			    strcmp(s.a[i].name, s.a[j].name) == 0; j++)
				agg_merge(&s.a[i], &s.a[j]);
			rc = agg_record(out, by_vmta ? "vmta" : "domain",
			    &s.a[i]);
		}
	}
	for (i = 0; i < s.n; i++)
		free(s.a[i].name);
	free(s.a);
	return rc == 0 ? 0 : -1;
}

static int
req_domains(const struct proto_rec *r, struct buf *out)
{
	(void)r;
	return aggregate(out, false);
}

static int
req_vmtas(const struct proto_rec *r, struct buf *out)
{
	(void)r;
	return aggregate(out, true);
}

/*
 * "settings queue=domain/vmta": the resolved settings that the running
 * configuration sets, as conf_print_settings() walks them, one record a
 * value so that mta-ctl can render text or JSON.
 */
static int
req_settings(const struct proto_rec *r, struct buf *out)
{
	const struct conf *c;
	const struct conf_directive *d;
	struct conf_settings s;
	char domain[CONTROL_MAXPATTERN + 1], *vmta;
	const char *q;
	size_t start;
	int rc;

	if ((q = proto_get(r, "queue")) == NULL)
		return reply_error(out, "request", "settings: missing queue=");
	if (!pattern_ok(q) || strchr(q, '*') != NULL)
		return reply_error(out, "request", "settings: bad queue name");
	(void)strlcpy(domain, q, sizeof(domain));
	if ((vmta = strchr(domain, '/')) != NULL)
		*vmta++ = '\0';
	if (vmta != NULL && strcmp(vmta, "{default}") == 0)
		vmta = NULL;
	if ((c = admin_conf()) == NULL)
		return reply_error(out, "internal", "no configuration loaded");
	conf_resolve_queue(c, domain, vmta, &s);
	rc = proto_begin(out, "ok");
	rc |= proto_add(out, "queue", q);
	rc |= proto_end(out, 0);
	for (size_t i = 0; i < CONF_NDIRECTIVES && rc == 0; i++) {
		for (d = s.d[i]; d != NULL && rc == 0;
		    d = conf_multi(i) ? conf_next(d) : NULL) {
			start = out->len;
			rc |= proto_begin(out, "setting");
			rc |= proto_add(out, "name",
			    d->def->id == CONF_RETRY_RULE ? "retry-after" :
			    d->def->name);
			rc |= add_text(out, "value", d->text);
			rc |= add_text(out, "file", d->file);
			rc |= proto_add_num(out, "line", d->line);
			rc |= proto_end(out, start);
		}
	}
	return rc == 0 ? 0 : -1;
}

/* The reply to an action on the queues a pattern names. */
static int
queues_done(struct buf *out, const char *verb, const char *pat, int n)
{
	if (n >= 0)
		return ok_line(out, "queues", n);
	if (errno != 0)
		return reply_error(out, "request", "%s %s: %s", verb, pat,
		    strerror(errno));
	return reply_error(out, "request", "%s %s: no such queue", verb, pat);
}

static int
pause_resume(const struct proto_rec *r, struct buf *out, bool pause)
{
	const char *pat;
	int rc;

	if ((rc = get_pattern(r, out, true, &pat)) != 0)
		return rc;
	errno = 0;
	return queues_done(out, r->verb, pat, admin_pause(pat, pause));
}

static int
req_pause(const struct proto_rec *r, struct buf *out)
{
	return pause_resume(r, out, true);
}

static int
req_resume(const struct proto_rec *r, struct buf *out)
{
	return pause_resume(r, out, false);
}

static int
req_mode(const struct proto_rec *r, struct buf *out)
{
	const char *pat, *mode;
	int rc, n;

	if ((rc = get_pattern(r, out, true, &pat)) != 0)
		return rc;
	if ((mode = proto_get(r, "mode")) == NULL ||
	    (strcmp(mode, "normal") != 0 && strcmp(mode, "backoff") != 0))
		return reply_error(out, "request",
		    "mode: mode= must be normal or backoff");
	errno = 0;
	if ((n = admin_set_backoff(pat, strcmp(mode, "backoff") == 0)) < 0)
		return queues_done(out, r->verb, pat, n);
	if (proto_begin(out, "ok") == -1 ||
	    proto_add_num(out, "queues", n) == -1 ||
	    proto_add(out, "mode", mode) == -1)
		return -1;
	return proto_end(out, 0);
}

static int
req_schedule(const struct proto_rec *r, struct buf *out)
{
	const char *pat;
	int rc;

	if ((rc = get_pattern(r, out, true, &pat)) != 0)
		return rc;
	errno = 0;
	return queues_done(out, r->verb, pat, admin_schedule(pat));
}

static int
req_reload(const struct proto_rec *r, struct buf *out)
{
	char err[CONTROL_MAXTEXT];

	(void)r;
	err[0] = '\0';
	if (admin_reload(err, sizeof(err)) == -1)
		return reply_error(out, "config", "%s", err[0] != '\0' ? err :
		    "reload failed");
	return ok_line(out, NULL, 0);
}

/* A filter value of delete: printable, not too long; NULL if absent. */
static int
get_filter(const struct proto_rec *r, struct buf *out, const char *k,
    const char **v)
{
	size_t n;

	if ((*v = proto_get(r, k)) == NULL)
		return 0;
	n = strlen(*v);
	if (n == 0 || n > CONTROL_MAXVALUE)
		return reply_error(out, "request", "delete: bad %s=", k);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)(*v)[i] < 0x21 ||
		    (unsigned char)(*v)[i] == 0x7f)
			return reply_error(out, "request", "delete: bad %s=",
			    k);
	return 0;
}

static int
req_delete(const struct proto_rec *r, struct buf *out)
{
	struct admin_delete d;
	int rc;

	if ((rc = get_pattern(r, out, false, &d.queue)) != 0 ||
	    (rc = get_filter(r, out, "rcpt", &d.rcpt)) != 0 ||
	    (rc = get_filter(r, out, "orig", &d.orig)) != 0 ||
	    (rc = get_filter(r, out, "job", &d.job)) != 0)
		return rc;
	if (d.queue == NULL && d.rcpt == NULL && d.orig == NULL &&
	    d.job == NULL)
		return reply_error(out, "request",
		    "delete: give at least one of queue=, rcpt=, orig=, job=");
	return ok_line(out, "rcpts", (long long)admin_delete(&d));
}

static int
source(const struct proto_rec *r, struct buf *out, bool enable)
{
	unsigned char a[16];
	const char *ip;

	if ((ip = proto_get(r, "ip")) == NULL)
		return reply_error(out, "request", "%s: missing ip=", r->verb);
	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return reply_error(out, "request", "%s: not an IP address",
		    r->verb);
	/* How many queues send from it: none is a mistyped address. */
	if (admin_source(ip, enable) <= 0)
		return reply_error(out, "request", "%s %s: no queue sends "
		    "from this address", r->verb, ip);
	if (proto_begin(out, "ok") == -1 || proto_add(out, "ip", ip) == -1)
		return -1;
	return proto_end(out, 0);
}

static int
req_enable(const struct proto_rec *r, struct buf *out)
{
	return source(r, out, true);
}

static int
req_disable(const struct proto_rec *r, struct buf *out)
{
	return source(r, out, false);
}

static const struct request requests[] = {
	{ "status", req_status, false },
	{ "queues", req_queues, false },
	{ "domains", req_domains, false },
	{ "vmtas", req_vmtas, false },
	{ "settings", req_settings, false },
	{ "pause", req_pause, true },
	{ "resume", req_resume, true },
	{ "mode", req_mode, true },
	{ "schedule", req_schedule, true },
	{ "reload", req_reload, true },
	{ "delete", req_delete, true },
	{ "enable", req_enable, true },
	{ "disable", req_disable, true },
};

/* The request as a log value: the record again, encoded. */
static void
log_request(const struct proto_rec *r, const struct buf *out)
{
	struct buf b = BUF_INIT;
	const char *nl;
	int n;

	(void)proto_begin(&b, r->verb);
	for (size_t i = 0; i < r->nkeys; i++)
		(void)proto_addn(&b, r->kv[i].key, r->kv[i].val, r->kv[i].vlen);
	nl = out->len > 0 ? memchr(out->p, '\n', out->len) : NULL;
	n = nl != NULL ? (int)(nl - out->p) : 0;
	log_info("control %s: %.*s", b.len > 0 ? b.p : "?", n,
	    out->p != NULL ? out->p : "");
	buf_free(&b);
}

/* Build the whole reply to one request, "end" line included. */
static void
answer(struct client *c, const struct proto_rec *r)
{
	const struct request *q = NULL;
	size_t start;
	int rc;

	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (strcmp(r->verb, requests[i].verb) == 0)
			q = &requests[i];
	buf_reset(&c->out);
	if (q == NULL)
		rc = reply_error(&c->out, "request", "unknown request \"%s\"",
		    r->verb);
	else if ((rc = q->fn(r, &c->out)) == -1)
		rc = reply_error(&c->out, "internal", "%s: %s", r->verb,
		    strerror(errno == 0 ? ENOMEM : errno));
	start = c->out.len;
	if (rc == 0 && (proto_begin(&c->out, "end") == -1 ||
	    proto_end(&c->out, start) == -1))
		rc = reply_error(&c->out, "internal", "out of memory");
	if (q != NULL && q->changes)
		log_request(r, &c->out);
	else if (q != NULL)
		log_debug("control request=%s", r->verb);
}

static void
client_close(struct client *c)
{
	char sink[4096];

	ev_timer_stop(ctl.ev, &c->timer);
	ev_fd_del(ctl.ev, c->fd);
	/*
	 * Read what the client still sends, a little of it, so that
	 * closing with unread data does not turn its end of file into
	 * ECONNRESET before it has read the reply.
	 */
	(void)shutdown(c->fd, SHUT_WR);
	for (int i = 0; i < 16; i++)
		if (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl.clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ctl.nclients--;
	buf_free(&c->out);
	free(c);
}

/* Write what the client will take; close once all is sent. */
static void
client_flush(struct client *c)
{
	ssize_t n;

	while (c->sent < c->out.len) {
		n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			log_debug("control: send: %s", strerror(errno));
			break;
		}
		c->sent += (size_t)n;
	}
	client_close(c);
}

static void
client_reply(struct client *c)
{
	c->replying = true;
	c->sent = 0;
	if (ev_fd_set(ctl.ev, c->fd, EV_WRITE) == -1) {
		log_warn_sys("control: epoll");
		client_close(c);
		return;
	}
	client_flush(c);
}

static void
client_read(struct client *c)
{
	struct proto_rec r;
	char err[256];
	int rc;

	if (proto_read(&c->rd) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			client_close(c);
		return;
	}
	switch (proto_next(&c->rd, &r, err, sizeof(err))) {
	case 1:
		answer(c, &r);
		break;
	case -1:
		rc = reply_error(&c->out, "request", "bad request: %s", err);
		log_debug("control: bad request: %s", err);
		if (rc == -1) {
			client_close(c);
			return;
		}
		break;
	default:
		if (!c->rd.eof)
			return;
		if (c->rd.len == 0) {	/* hung up without a word */
			client_close(c);
			return;
		}
		if (reply_error(&c->out, "request",
		    "request without end of line") == -1) {
			client_close(c);
			return;
		}
		break;
	}
	client_reply(c);
}

static void
client_event(int fd, unsigned what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	if (c->replying) {
		if (what & (EV_WRITE | EV_ERROR))
			client_flush(c);
	} else if (what & (EV_READ | EV_ERROR))
		client_read(c);
}

static void
client_timeout(void *arg)
{
	struct client *c = arg;

	log_debug("control: client timed out");
	client_close(c);
}

static void
client_new(int fd)
{
	static const char busy[] = "error kind=busy text=too%20many%20"
	    "clients\n";
	struct client *c;

	if (ctl.nclients >= CONTROL_MAXCLIENTS ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		(void)send(fd, busy, sizeof(busy) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	c->fd = fd;
	proto_reader_init(&c->rd, fd);
	ev_timer_init(&c->timer, client_timeout, c);
	if (ev_fd_add(ctl.ev, fd, EV_READ, client_event, c) == -1) {
		log_warn_sys("control: epoll");
		close(fd);
		free(c);
		return;
	}
	ev_timer_start(ctl.ev, &c->timer, CONTROL_TIMEOUT_MS);
	c->next = ctl.clients;
	if (c->next != NULL)
		c->next->prev = c;
	ctl.clients = c;
	ctl.nclients++;
}

static void
accept_rested(void *arg)
{
	(void)arg;
	if (ctl.fd != -1 && ev_fd_set(ctl.ev, ctl.fd, EV_READ) == -1)
		log_warn_sys("control: epoll");
}

static void
accept_event(int fd, unsigned what, void *arg)
{
	int cfd;

	(void)what;
	(void)arg;
	for (int i = 0; i < CONTROL_ACCEPT_BURST; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd != -1) {
			client_new(cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* The socket stays readable: rest rather than spin. */
			log_warn_sys("control: accept");
			(void)ev_fd_set(ctl.ev, fd, 0);
			ev_timer_start(ctl.ev, &ctl.rest, CONTROL_EMFILE_MS);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn_sys("control: accept");
		return;
	}
}

/* Is some process listening on path?  1 yes, 0 no (stale or none). */
static int
answered(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		(void)snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	/* EAGAIN: its backlog is full, so it is alive. */
	rc = rc == 0 || errno == EAGAIN ? 1 : 0;
	close(fd);
	return rc;
}

/*
 * control_start - listen on "control" in spool_dir within ev; replace a
 * stale socket, refuse while another process answers on it
 */
int
control_start(struct ev *ev, const char *spool_dir, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st, sp;
	mode_t mask;
	int n, fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", spool_dir,
	    CONTROL_NAME);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		(void)snprintf(err, errlen, "%s/%s: name too long for a "
		    "socket", spool_dir, CONTROL_NAME);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(spool_dir, &sp) == -1) {
		(void)snprintf(err, errlen, "%s: %s", spool_dir,
		    strerror(errno));
		return -1;
	}
	if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)snprintf(err, errlen, "%s: exists and is not a "
			    "socket", sun.sun_path);
			errno = EEXIST;
			return -1;
		}
		if ((n = answered(&sun, err, errlen)) != 0) {
			if (n == 1)
				(void)snprintf(err, errlen, "%s: another "
				    "mta-queue answers on it", sun.sun_path);
			errno = EADDRINUSE;
			return -1;
		}
		if (unlink(sun.sun_path) == -1 && errno != ENOENT)
			goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	/* Never more open than 0660, not even between bind and chmod. */
	mask = umask(0117);
	n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(mask);
	if (n == -1)
		goto fail;
	if (chmod(sun.sun_path, 0660) == -1)
		goto fail_unlink;
	/* The spool's group reaches the socket; mta-ctl runs in it. */
	if (lchown(sun.sun_path, (uid_t)-1, sp.st_gid) == -1)
		log_warn("%s: cannot give it group %u: %s", sun.sun_path,
		    (unsigned)sp.st_gid, strerror(errno));
	if (listen(fd, 64) == -1 ||
	    ev_fd_add(ev, fd, EV_READ, accept_event, NULL) == -1)
		goto fail_unlink;
	ctl.ev = ev;
	ctl.fd = fd;
	(void)strlcpy(ctl.path, sun.sun_path, sizeof(ctl.path));
	ev_timer_init(&ctl.rest, accept_rested, NULL);
	return 0;

fail_unlink:
	n = errno;
	(void)unlink(sun.sun_path);
	errno = n;
fail:
	n = errno;
	(void)snprintf(err, errlen, "%s: %s", sun.sun_path, strerror(n));
	if (fd != -1)
		close(fd);
	errno = n;
	return -1;
}

/* control_stop - close every client and the socket, and remove it */
void
control_stop(void)
{
	if (ctl.fd == -1)
		return;
	while (ctl.clients != NULL)
		client_close(ctl.clients);
	ev_timer_stop(ctl.ev, &ctl.rest);
	ev_fd_del(ctl.ev, ctl.fd);
	close(ctl.fd);
	ctl.fd = -1;
	(void)unlink(ctl.path);
}
