/*
 * session - one SMTP session: the state machine of RFC 5321 with
 * PIPELINING (RFC 2920), STARTTLS (RFC 3207), AUTH (RFC 4954) and
 * CHUNKING (RFC 3030).
 *
 * Input is read into s->in and every complete command is run before the
 * replies are written, so a pipelined group is answered in one write.
 * At the end of a message the session stops reading commands until the
 * group commit (commit.c) has answered it: replies stay in order, and a
 * "250 queued" is never written before the message is on disk.  After
 * STARTTLS whatever the client sent with it is thrown away
 * (CVE-2011-0411), as is everything known about the client but its
 * address.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "proto.h"
#include "smtpd.h"
#include "spool.h"
#include "suppress.h"

static void	on_io(int, unsigned, void *);
static void	on_timeout(void *);

/* session_reply - queue one reply line (CRLF is added) */
void
session_reply(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	if (buf_append(&s->out, line, (size_t)n) == -1 ||
	    buf_append(&s->out, "\r\n", 2) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
}

/* session_count_addr - live sessions from this client address */
size_t
session_count_addr(const struct smtpd *srv, int af, const uint8_t *addr)
{
	size_t n = 0, len = af == AF_INET ? 4 : 16;

	for (const struct session *s = srv->sessions; s != NULL; s = s->next)
		if (s->af == af && memcmp(s->addr, addr, len) == 0)
			n++;
	return n;
}

/* session_reset_txn - forget the mail transaction (RSET) */
void
session_reset_txn(struct session *s)
{
	for (size_t i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i]);
		free(s->orcpt[i]);
		free(s->notify[i]);
	}
	free(s->rcpt);
	free(s->orcpt);
	free(s->notify);
	s->rcpt = s->orcpt = s->notify = NULL;
	s->nrcpt = 0;
	s->has_from = false;
	s->smtputf8 = false;
	s->envid[0] = '\0';
	s->ret[0] = '\0';
	buf_reset(&s->from);
	buf_free(&s->msg);
	s->bdat_used = false;
	s->bdat_failed = false;
	s->chunk_left = 0;
}

static void
greet(struct session *s)
{
	session_reply(s, "220 %s ESMTP mta-smtpd", s->srv->hostname);
}

static void
set_timer(struct session *s)
{
	int64_t t = s->state == ST_DATA || s->state == ST_BDAT ?
	    s->pol.data_timeout : s->pol.cmd_timeout;

	if (s->state == ST_COMMIT) {
		ev_timer_stop(s->srv->ev, &s->timer);
		return;
	}
	if (t <= 0 || t > 86400)
		t = 600;
	ev_timer_start(s->srv->ev, &s->timer, (uint64_t)t * 1000);
}

/* session_new - a session on rfd/wfd (the same socket unless -s) */
void
session_new(struct smtpd *srv, int rfd, int wfd, const struct sockaddr *sa,
    const char *srcname, bool immediate_tls)
{
	struct session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->srv = srv;
	s->gen = srv->gen;
	s->gen->refs++;
	s->conf = s->gen->conf;
	s->rfd = rfd;
	s->wfd = wfd;
	s->srcname = srcname;
	s->state = ST_CMD;
	if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
			s->af = AF_INET;
			memcpy(s->addr, a6->sin6_addr.s6_addr + 12, 4);
		} else {
			s->af = AF_INET6;
			memcpy(s->addr, a6->sin6_addr.s6_addr, 16);
		}
	} else if (sa != NULL && sa->sa_family == AF_INET) {
		s->af = AF_INET;
		memcpy(s->addr, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	} else
		s->af = AF_UNSPEC;
	if (s->af == AF_UNSPEC ||
	    inet_ntop(s->af, s->addr, s->ip, sizeof(s->ip)) == NULL)
		(void)strlcpy(s->ip, "unknown", sizeof(s->ip));
	(void)snprintf(s->envsource, sizeof(s->envsource), "smtp %s", s->ip);
	if (submit_init(&s->sub, s->conf, srv->spool, s->af,
	    s->af == AF_UNSPEC ? NULL : s->addr, srcname) == -1)
		die_sys(EX_CONFIG, "host name");
	policy_init(s, srcname);
	ev_timer_init(&s->timer, on_timeout, s);
	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->nsessions++;
	if (ev_fd_add(srv->ev, rfd, EV_READ, on_io, s) == -1 ||
	    (wfd != rfd && ev_fd_add(srv->ev, wfd, 0, on_io, s) == -1))
		die_sys(EX_TEMPFAIL, "event loop");
	log_info("connect client=%s", s->ip);
	if (srv->nsessions > srv->maxsessions) {
		log_warn("refused client=%s reason=max-smtp-in", s->ip);
		session_reply(s, "421 4.7.0 %s Error: too many connections",
		    srv->hostname);
		s->state = ST_CLOSING;
	} else if (s->pol.maxconn > 0 && session_count_addr(srv, s->af,
	    s->addr) > s->pol.maxconn) {
		log_warn("refused client=%s reason=max-smtp-in-per-source",
		    s->ip);
		session_reply(s, "421 4.7.0 %s Error: too many connections "
		    "from %s", srv->hostname, s->ip);
		s->state = ST_CLOSING;
	} else if (!s->pol.service) {
		log_warn("refused client=%s reason=smtp-service", s->ip);
		session_reply(s, "554 5.7.1 %s Error: service not available "
		    "to %s", srv->hostname, s->ip);
		s->state = ST_CLOSING;
	} else if (immediate_tls) {
		if (srv->tls == NULL || tls_start(s) == -1) {
			log_warn("client=%s: immediate-tls without a "
			    "certificate", s->ip);
			session_close(s);
			return;
		}
		s->immediate = true;
		s->state = ST_TLS_ACCEPT;
	} else
		greet(s);
	session_run(s);
}

/* session_close - end the session and free it */
void
session_close(struct session *s)
{
	struct smtpd *srv = s->srv;

	commit_forget(s);
	ev_timer_stop(srv->ev, &s->timer);
	ev_fd_del(srv->ev, s->rfd);
	if (s->wfd != s->rfd)
		ev_fd_del(srv->ev, s->wfd);
	if (s->ssl != NULL) {
		if (s->tls)
			(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	(void)close(s->rfd);
	if (s->wfd != s->rfd)
		(void)close(s->wfd);
	log_info("disconnect client=%s messages=%llu", s->ip,
	    (unsigned long long)s->nmsg);
	session_reset_txn(s);
	buf_free(&s->from);
	buf_free(&s->in);
	buf_free(&s->out);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	srv->nsessions--;
	conf_release(srv, s->gen);
	free(s);
	if (srv->oneshot && srv->nsessions == 0)
		ev_break(srv->ev);
}

/* Write what we can of s->out; -1 when the client is gone. */
static int
flush_out(struct session *s)
{
	ssize_t n;
	size_t done = 0;

	while (done < s->out.len) {
		if (s->tls)
			n = tls_write(s, s->out.p + done, s->out.len - done);
		else
			n = write(s->wfd, s->out.p + done, s->out.len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		if (n == 0)
			return -1;
		done += (size_t)n;
	}
	if (done > 0) {
		memmove(s->out.p, s->out.p + done, s->out.len - done);
		s->out.len -= done;
	}
	return 0;
}

/*
 * Read what has arrived into s->in; -1 on a hard error.  A short read
 * of the socket took all there was: the loop is level-triggered, so
 * no read is spent on learning EAGAIN (TLS may hold more, decrypted).
 */
static int
read_input(struct session *s)
{
	const size_t chunk = 16384;
	ssize_t n;

	if (s->inpos > 0 && (s->inpos == s->in.len || s->inpos > 65536)) {
		memmove(s->in.p, s->in.p + s->inpos, s->in.len - s->inpos);
		s->in.len -= s->inpos;
		s->inpos = 0;
	}
	while (!s->eof && s->in.len - s->inpos < SMTPD_INMAX) {
		if (buf_grow(&s->in, chunk) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
		if (s->tls)
			n = tls_read(s, s->in.p + s->in.len, chunk);
		else
			n = read(s->rfd, s->in.p + s->in.len, chunk);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (n == 0)
			s->eof = true;
		s->in.len += (size_t)n;
		if (!s->tls && n > 0 && (size_t)n < chunk)
			break;
	}
	return 0;
}

static void
update_events(struct session *s)
{
	unsigned rd = 0, wr = 0;

	if (s->state != ST_TLS_FLUSH && s->state != ST_CLOSING && !s->eof &&
	    s->in.len - s->inpos < SMTPD_INMAX)
		rd = EV_READ;
	if (s->state == ST_TLS_ACCEPT)
		rd = EV_READ;
	if (s->out.len > 0 || s->tls_want_write)
		wr = EV_WRITE;
	if (s->rfd == s->wfd)
		(void)ev_fd_set(s->srv->ev, s->rfd, rd | wr);
	else {
		(void)ev_fd_set(s->srv->ev, s->rfd, rd);
		(void)ev_fd_set(s->srv->ev, s->wfd, wr);
	}
}

static void
too_many_errors(struct session *s)
{
	if (++s->nerrors < s->pol.maxerrors || s->pol.maxerrors == 0)
		return;
	log_warn("client=%s: too many errors", s->ip);
	session_reply(s, "421 4.7.0 %s Error: too many errors",
	    s->srv->hostname);
	s->state = ST_CLOSING;
}

static void
cmd_ehlo(struct session *s, const struct smtpcmd *c)
{
	session_reset_txn(s);
	(void)strlcpy(s->helo, c->arg, sizeof(s->helo));
	if (c->verb == SMTPCMD_HELO) {
		s->esmtp = false;
		session_reply(s, "250 %s", s->srv->hostname);
		return;
	}
	s->esmtp = true;
	session_reply(s, "250-%s", s->srv->hostname);
	session_reply(s, "250-PIPELINING");
	session_reply(s, "250-SIZE %llu", (unsigned long long)s->sub.maxsize);
	session_reply(s, "250-8BITMIME");
	session_reply(s, "250-ENHANCEDSTATUSCODES");
	session_reply(s, "250-DSN");
	if (s->pol.smtputf8)
		session_reply(s, "250-SMTPUTF8");
	if (s->pol.chunking)
		session_reply(s, "250-CHUNKING");
	if (s->pol.starttls && !s->tls)
		session_reply(s, "250-STARTTLS");
	if (auth_offer(s))
		session_reply(s, "250-AUTH PLAIN LOGIN");
	session_reply(s, "250 HELP");
}

static void
cmd_mail(struct session *s, const struct smtpcmd *c)
{
	char why[128];

	if (s->helo[0] == '\0') {
		session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->has_from) {
		session_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (s->pol.require_auth && s->auth_user[0] == '\0') {
		session_reply(s, "530 5.7.0 Authentication required");
		return;
	}
	if (c->has_size && c->size > s->sub.maxsize) {
		session_reply(s, "552 5.3.4 Message size exceeds fixed "
		    "limit");
		return;
	}
	if (c->smtputf8 && !s->pol.smtputf8) {
		session_reply(s, "555 5.5.4 SMTPUTF8 not available");
		return;
	}
	if (addr_parse(c->path, strlen(c->path), &s->from, ADDR_ALLOW_NULL |
	    (c->smtputf8 ? ADDR_UTF8 : 0), why, sizeof(why)) == -1) {
		session_reply(s, "553 5.1.7 Bad sender address syntax: %s",
		    why);
		return;
	}
	s->has_from = true;
	s->smtputf8 = c->smtputf8;
	(void)strlcpy(s->envid, c->envid, sizeof(s->envid));
	(void)strlcpy(s->ret, c->ret, sizeof(s->ret));
	session_reply(s, "250 2.1.0 Ok");
}

static char *
dup_or_null(const char *v)
{
	char *p;

	if (v[0] == '\0')
		return NULL;
	if ((p = strdup(v)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	return p;
}

static void
add_rcpt(struct session *s, const char *addr, const struct smtpcmd *c)
{
	size_t n = s->nrcpt + 1;
	char **r, **o, **no;

	if ((r = reallocarray(s->rcpt, n, sizeof(*r))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->rcpt = r;
	if ((o = reallocarray(s->orcpt, n, sizeof(*o))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->orcpt = o;
	if ((no = reallocarray(s->notify, n, sizeof(*no))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	s->notify = no;
	s->rcpt[s->nrcpt] = dup_or_null(addr);
	s->orcpt[s->nrcpt] = dup_or_null(c->orcpt);
	s->notify[s->nrcpt] = dup_or_null(c->notify);
	s->nrcpt++;
}

/*
 * One line for a refused recipient, info, or a warning with the error
 * when it could not be checked; the address and the error are
 * percent-encoded, as a quoted local part may hold spaces.
 */
static void
log_reject(const struct session *s, const char *rcpt, const char *reason,
    const struct suppress_match *m, const char *err)
{
	struct buf b = BUF_INIT;

	if (buf_appendf(&b, "reject client=%s rcpt=<", s->ip) == -1 ||
	    proto_encode(&b, rcpt, strlen(rcpt)) == -1 ||
	    buf_appendf(&b, "> reason=%s", reason) == -1 ||
	    (m != NULL && buf_appendf(&b, " list=%s how=%s", m->list,
	    m->how) == -1) ||
	    (err != NULL && (buf_appendf(&b, " error=") == -1 ||
	    proto_encode(&b, err, strlen(err)) == -1)))
		die_sys(EX_TEMPFAIL, "out of memory");
	if (err != NULL)
		log_warn("%s", buf_cstr(&b));
	else
		log_info("%s", buf_cstr(&b));
	buf_free(&b);
}

static void
cmd_rcpt(struct session *s, const struct smtpcmd *c)
{
	struct suppress_match m;
	struct buf a = BUF_INIT;
	char why[512];

	if (!s->has_from) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->nrcpt >= s->pol.maxrcpt) {
		session_reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (addr_parse(c->path, strlen(c->path), &a, s->smtputf8 ? ADDR_UTF8 :
	    0, why, sizeof(why)) == -1) {
		buf_free(&a);
		session_reply(s, "553 5.1.3 Bad recipient address syntax: %s",
		    why);
		return;
	}
	if (!policy_may_relay(s, a.p)) {
		log_reject(s, a.p, "relay", NULL, NULL);
		session_reply(s, "550 5.7.1 <%s>: Relay access denied", a.p);
		buf_free(&a);
		return;
	}
	switch (policy_suppressed(s, a.p, &m, why, sizeof(why))) {
	case -1:
		log_reject(s, a.p, "suppression-unavailable", NULL, why);
		session_reply(s, "451 4.3.0 <%s>: suppression list not "
		    "available, try again later", a.p);
		break;
	case 1:
		log_reject(s, a.p, "suppressed", &m, NULL);
		session_reply(s, "550 5.7.1 <%s>: recipient is in suppression "
		    "list \"%s\"", a.p, m.list);
		break;
	default:
		add_rcpt(s, a.p, c);
		session_reply(s, "250 2.1.5 Ok");
	}
	buf_free(&a);
}

static void
cmd_data(struct session *s)
{
	if (!s->has_from) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->bdat_used) {
		session_reply(s, "503 5.5.1 Error: DATA after BDAT");
		return;
	}
	if (s->nrcpt == 0) {
		session_reply(s, "554 5.5.1 Error: no valid recipients");
		return;
	}
	data_begin(s);
	s->state = ST_DATA;
	session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

static void
cmd_bdat(struct session *s, const struct smtpcmd *c)
{
	if (!s->bdat_used) {
		data_begin(s);
		s->bdat_used = true;
		s->bdat_failed = false;
	}
	s->chunk_left = c->chunk;
	s->chunk_size = c->chunk;
	s->chunk_last = c->last;
	s->state = ST_BDAT;
	/* The chunk is read whatever happens; the reply comes after it. */
	if (!s->has_from || s->nrcpt == 0)
		s->bdat_failed = true;
	if (s->chunk_left == 0)
		data_finish(s);
}

static void
cmd_starttls(struct session *s)
{
	size_t dropped;

	if (s->tls) {
		session_reply(s, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (!s->pol.starttls) {
		session_reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	/* CVE-2011-0411: what came with STARTTLS was sent in clear text. */
	dropped = s->in.len - s->inpos;
	if (dropped > 0)
		log_warn("client=%s: %zu bytes after STARTTLS discarded",
		    s->ip, dropped);
	s->inpos = s->in.len;
	session_reset_txn(s);
	s->helo[0] = '\0';
	s->esmtp = false;
	session_reply(s, "220 2.0.0 Ready to start TLS");
	s->state = ST_TLS_FLUSH;
}

static void
command(struct session *s, const char *line, size_t len)
{
	struct smtpcmd c;

	if (smtpcmd_parse(line, len, &c) == -1) {
		session_reply(s, "%s", c.reply);
		too_many_errors(s);
		return;
	}
	if (s->bdat_used && c.verb != SMTPCMD_BDAT && c.verb !=
	    SMTPCMD_RSET && c.verb != SMTPCMD_QUIT && c.verb !=
	    SMTPCMD_NOOP) {
		session_reply(s, "503 5.5.1 Error: BDAT expected");
		return;
	}
	switch (c.verb) {
	case SMTPCMD_HELO:
	case SMTPCMD_EHLO:
		cmd_ehlo(s, &c);
		break;
	case SMTPCMD_MAIL:
		cmd_mail(s, &c);
		break;
	case SMTPCMD_RCPT:
		cmd_rcpt(s, &c);
		break;
	case SMTPCMD_DATA:
		cmd_data(s);
		break;
	case SMTPCMD_BDAT:
		if (!s->pol.chunking || !s->esmtp) {
			session_reply(s, "502 5.5.1 Error: command not "
			    "implemented");
			break;
		}
		cmd_bdat(s, &c);
		break;
	case SMTPCMD_RSET:
		session_reset_txn(s);
		session_reply(s, "250 2.0.0 Ok");
		break;
	case SMTPCMD_NOOP:
		session_reply(s, "250 2.0.0 Ok");
		break;
	case SMTPCMD_QUIT:
		session_reply(s, "221 2.0.0 Bye");
		s->state = ST_CLOSING;
		break;
	case SMTPCMD_VRFY:
		session_reply(s, "252 2.5.2 Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case SMTPCMD_EXPN:
		session_reply(s, "502 5.5.1 Error: EXPN not available");
		break;
	case SMTPCMD_HELP:
		session_reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT "
		    "DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
		break;
	case SMTPCMD_STARTTLS:
		cmd_starttls(s);
		break;
	case SMTPCMD_AUTH:
		auth_start(s, &c);
		break;
	default:
		PANIC("verb %d", c.verb);
	}
}

/* The next line in s->in: 1 and the line, or 0 when it is incomplete. */
static int
next_line(struct session *s, const char **line, size_t *len)
{
	const char *p = s->in.p + s->inpos, *lf;
	size_t avail = s->in.len - s->inpos;

	if (avail == 0)			/* s->in.p may still be NULL */
		return 0;
	if ((lf = memchr(p, '\n', avail)) == NULL) {
		if (avail > SMTPCMD_LINEMAX) {
			/* Throw it away now; answer when its end comes. */
			if (!s->skip_line) {
				session_reply(s, "500 5.5.2 Error: line too "
				    "long");
				too_many_errors(s);
			}
			s->skip_line = true;
			s->inpos = s->in.len;
		}
		return 0;
	}
	s->inpos += (size_t)(lf - p) + 1;
	*line = p;
	*len = (size_t)(lf - p);
	/* CRLF, and a bare LF as Postfix's "normalize" takes it */
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* Run what the input holds, as far as the state allows. */
static void
process(struct session *s)
{
	const char *line;
	size_t len, n;
	bool done;

	for (;;) {
		switch (s->state) {
		case ST_CMD:
		case ST_AUTH:
			if (next_line(s, &line, &len) == 0)
				return;
			if (s->skip_line) {
				s->skip_line = false;
				continue;
			}
			if (len > SMTPCMD_LINEMAX - 2) {
				session_reply(s, "500 5.5.2 Error: line too "
				    "long");
				too_many_errors(s);
			} else if (s->state == ST_AUTH)
				auth_line(s, line, len);
			else
				command(s, line, len);
			break;
		case ST_DATA:
			done = false;
			n = data_feed(&s->dr, s->in.p + s->inpos,
			    s->in.len - s->inpos, &s->msg, s->sub.maxsize,
			    &done);
			s->inpos += n;
			if (done)
				data_finish(s);
			else if (n == 0)
				return;
			break;
		case ST_BDAT:
			n = s->in.len - s->inpos;
			if (n > s->chunk_left)
				n = (size_t)s->chunk_left;
			if (n == 0)
				return;
			(void)data_chunk(s, s->in.p + s->inpos, n);
			s->inpos += n;
			s->chunk_left -= n;
			if (s->chunk_left == 0)
				data_finish(s);
			break;
		default:
			return;
		}
	}
}

/*
 * session_run - run the buffered input, write the replies, and wait for
 * what comes next; s may be freed
 */
void
session_run(struct session *s)
{
	for (;;) {
		process(s);
		if (s->state == ST_CMD && s->ssl != NULL && s->tls &&
		    SSL_pending(s->ssl) > 0 && s->in.len - s->inpos <
		    SMTPD_INMAX) {
			if (read_input(s) == -1) {
				session_close(s);
				return;
			}
			continue;
		}
		break;
	}
	if (flush_out(s) == -1) {
		session_close(s);
		return;
	}
	if (s->out.len == 0 && (s->state == ST_CLOSING ||
	    (s->eof && s->state != ST_COMMIT))) {
		session_close(s);
		return;
	}
	if (s->state == ST_TLS_FLUSH && s->out.len == 0) {
		if (tls_start(s) == -1) {
			session_close(s);
			return;
		}
		s->state = ST_TLS_ACCEPT;
		if (tls_handshake(s) == -1) {
			session_close(s);
			return;
		}
	}
	set_timer(s);
	update_events(s);
}

static void
on_io(int fd, unsigned what, void *arg)
{
	struct session *s = arg;
	int r;

	(void)fd;
	if (s->state == ST_TLS_ACCEPT) {
		if ((r = tls_handshake(s)) == -1) {
			session_close(s);
			return;
		}
		if (r == 0) {
			update_events(s);
			return;
		}
		s->tls = true;
		s->state = ST_CMD;
		if (s->immediate && !s->greeted) {
			s->greeted = true;
			greet(s);
		}
	}
	if ((what & (EV_READ | EV_ERROR)) || s->tls)
		if (s->state != ST_TLS_FLUSH && s->state != ST_CLOSING &&
		    read_input(s) == -1) {
			session_close(s);
			return;
		}
	session_run(s);
}

static void
on_timeout(void *arg)
{
	struct session *s = arg;

	log_warn("client=%s: timeout in state %d", s->ip, (int)s->state);
	session_reply(s, "421 4.4.2 %s Error: timeout exceeded",
	    s->srv->hostname);
	s->state = ST_CLOSING;
	session_run(s);
}

/*
 * session_committed - the group commit is over: rc 0 and the message is
 * queued as the writers of out say, or -1 and reply says why not; s may
 * be freed
 */
void
session_committed(struct session *s, int rc, const char *reply,
    const struct submit_out *out)
{
	char ids[SUBMIT_MAXSPLIT * (SPOOL_QIDLEN + 1)];
	size_t len = 0;

	if (rc == 0) {
		for (size_t i = 0; i < out->n; i++) {
			if (i > 0)
				ids[len++] = ' ';
			memcpy(ids + len, spool_writer_qid(out->w[i]),
			    SPOOL_QIDLEN);
			len += SPOOL_QIDLEN;
		}
		ids[len] = '\0';
		s->nmsg++;
		log_info("queued id=%s client=%s from=<%s> nrcpt=%zu%s%s",
		    ids, s->ip, s->from.p != NULL ? s->from.p : "",
		    s->nrcpt, s->auth_user[0] != '\0' ? " auth=" : "",
		    s->auth_user);
		session_reply(s, "250 2.0.0 Ok: queued as %s", ids);
	} else
		session_reply(s, "%s", reply);
	session_reset_txn(s);
	s->state = ST_CMD;
	session_run(s);
}
