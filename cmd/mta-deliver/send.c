/*
 * send - what a transaction writes: RSET, MAIL, RCPT and DATA (all in
 * one write when PIPELINING is offered, RFC 2920; else one at a time),
 * then the message read from its spool file and dot-stuffed (RFC 5321
 * 4.5.2), then ".".
 *
 * The message is read with pread(2) in blocks of the worker's scratch
 * buffer, so a session holds at most one block at a time, and never
 * more bytes than [off, off + size) of the file.
 */
#define _GNU_SOURCE		/* O_NOATIME */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "smtpreply.h"

static void
add(struct session *s, const char *p, size_t n)
{
	if (buf_append(&s->out, p, n) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
}

static void
adds(struct session *s, const char *p)
{
	add(s, p, strlen(p));
}

/* Append v as RFC 3461 4 xtext. */
static void
send_xtext(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c >= 33 && c <= 126 && c != '+' && c != '=')
			buf_appendc(b, c);
		else
			buf_appendf(b, "+%02X", c);
	}
}

/* NOTIFY=: SUCCESS, FAILURE, DELAY or NEVER, comma-separated. */
static bool
notify_ok(const char *v)
{
	size_t n;

	for (;;) {
		n = strcspn(v, ",");
		if (!((n == 7 && strncmp(v, "SUCCESS", n) == 0) ||
		    (n == 7 && strncmp(v, "FAILURE", n) == 0) ||
		    (n == 5 && strncmp(v, "DELAY", n) == 0) ||
		    (n == 5 && strncmp(v, "NEVER", n) == 0)))
			return false;
		if (v[n] == '\0')
			return true;
		v += n + 1;
	}
}

static void
add_mail(struct session *s, const struct tx *t)
{
	unsigned ext = s->ext.flags;

	adds(s, "MAIL FROM:<");
	if (t->from != NOSTR)
		adds(s, t->strs.p + t->from);
	adds(s, ">");
	if (ext & SMTPEXT_SIZE)
		buf_appendf(&s->out, " SIZE=%lld", t->size);
	if (t->eightbit && (ext & SMTPEXT_8BITMIME))
		adds(s, " BODY=8BITMIME");
	if (t->smtputf8 && (ext & SMTPEXT_SMTPUTF8))
		adds(s, " SMTPUTF8");
	if (ext & SMTPEXT_DSN) {
		if (t->ret != NULL) {
			adds(s, " RET=");
			adds(s, t->ret);
		}
		if (t->envid != NOSTR && t->strs.p[t->envid] != '\0') {
			adds(s, " ENVID=");
			send_xtext(&s->out, t->strs.p + t->envid);
		}
	}
	add(s, "\r\n", 2);
}

static void
add_rcpt(struct session *s, const struct tx *t, const struct tx_rcpt *r)
{
	const char *v, *semi;

	adds(s, "RCPT TO:<");
	adds(s, t->strs.p + r->to);
	adds(s, ">");
	if (s->ext.flags & SMTPEXT_DSN) {
		if (r->notify != NOSTR && notify_ok(t->strs.p + r->notify)) {
			adds(s, " NOTIFY=");
			adds(s, t->strs.p + r->notify);
		}
		if (r->orcpt != NOSTR && t->strs.p[r->orcpt] != '\0') {
			/* "rfc822;a@b": the type as is, the address xtext */
			v = t->strs.p + r->orcpt;
			adds(s, " ORCPT=");
			if ((semi = strchr(v, ';')) != NULL &&
			    strspn(v, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
			    (size_t)(semi - v) && semi > v) {
				add(s, v, (size_t)(semi - v + 1));
				v = semi + 1;
			} else
				adds(s, "rfc822;");
			send_xtext(&s->out, v);
		}
	}
	add(s, "\r\n", 2);
}

/*
 * send_commands - queue the next commands of t: with PIPELINING the
 * whole group up to DATA, else the next one only
 */
void
send_commands(struct session *s, struct tx *t)
{
	bool pipelining = (s->ext.flags & SMTPEXT_PIPELINING) != 0;

	if (t->rset && !t->rset_sent) {
		adds(s, "RSET\r\n");
		t->rset_sent = true;
		t->nexpect++;
		if (!pipelining)
			return;
	}
	if (!t->mail_sent) {
		add_mail(s, t);
		t->mail_sent = true;
		t->nexpect++;
		if (!pipelining)
			return;
	}
	while (t->nextrcpt < t->got) {
		struct tx_rcpt *r = &t->r[t->nextrcpt++];

		if (r->state != RS_WAIT)
			continue;	/* refused here already */
		add_rcpt(s, t, r);
		r->sent = true;
		t->nrcptsent++;
		t->nexpect++;
		if (!pipelining)
			return;
	}
	if (!t->data_sent) {
		adds(s, "DATA\r\n");
		t->data_sent = true;
		t->nexpect++;
	}
}

/* send_open - open t's spool file and check it holds the message */
int
send_open(struct tx *t, char *err, size_t errlen)
{
	const char *path = t->strs.p + t->path;
	struct stat st;

	/* no atime write for every message, where the file is ours */
	t->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (t->fd == -1 && errno == EPERM)
		t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(t->fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (t->off > st.st_size || t->size > st.st_size - t->off) {
		snprintf(err, errlen, "%s: %lld bytes, not %lld at %lld",
		    path, (long long)st.st_size, t->size, t->off);
		goto fail;
	}
	t->sent = 0;
	t->bol = true;
	t->crlf = true;
	t->last = '\0';
	return 0;
fail:
	send_close(t);
	return -1;
}

/* send_close - close t's spool file, if open */
void
send_close(struct tx *t)
{
	if (t->fd != -1) {
		close(t->fd);
		t->fd = -1;
	}
}

/* Append n message bytes, doubling a "." that begins a line. */
static void
dot_stuff(struct session *s, const char *p, size_t n)
{
	struct tx *t = &s->tx;
	const char *end = p + n, *nl;
	char before;

	if (n == 0)
		return;
	if (buf_grow(&s->out, n + n / 8 + 8) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (t->bol && *p == '.')
		add(s, ".", 1);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			add(s, p, (size_t)(end - p));
			break;
		}
		add(s, p, (size_t)(nl + 1 - p));
		p = nl + 1;
		if (p < end && *p == '.')
			add(s, ".", 1);
	}
	before = n >= 2 ? end[-2] : t->last;
	t->bol = end[-1] == '\n';
	t->crlf = t->bol && before == '\r';
	t->last = end[-1];
}

/*
 * send_fill - queue the next block of the message; after the last, the
 * final "." (and the session waits for its reply), and behind it the
 * next transaction's commands when they may go.  -1 with err when the
 * file cannot be read: the message must not end with ".".
 */
int
send_fill(struct session *s, char *err, size_t errlen)
{
	struct tx *t = &s->tx;
	size_t want;
	ssize_t n;

	if (t->sent < t->size) {
		want = sizeof(s->w->scratch);
		if ((long long)want > t->size - t->sent)
			want = (size_t)(t->size - t->sent);
		do
			n = pread(t->fd, s->w->scratch, want, t->off + t->sent);
		while (n == -1 && errno == EINTR);
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", t->strs.p + t->path,
			    n == 0 ? "shorter than its message" :
			    strerror(errno));
			return -1;
		}
		dot_stuff(s, s->w->scratch, (size_t)n);
		t->sent += n;
		if (t->sent < t->size)
			return 0;
	}
	/* The spool keeps CRLF; a last line without one still ends. */
	if (!t->crlf)
		add(s, "\r\n", 2);
	add(s, ".\r\n", 3);
	send_close(t);
	s->state = SS_DOT;
	ev_timer_start(s->w->ev, &s->timer, s->tmo_data ? s->tmo_data :
	    TMO_DATA_DOT);
	session_pipeline_next(s);
	return 0;
}
