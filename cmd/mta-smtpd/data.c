/*
 * data - the message text of DATA and BDAT, and the hand-over to
 * lib/submit at its end.
 *
 * DATA ends only at <CR><LF>.<CR><LF>: a line "." ending in CRLF after
 * a line that ended in CRLF (or right after the 354).  Every other
 * "end" of the SMTP smuggling family (<LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>,
 * ...) is message text.  Bare CR and bare LF are then normalised to CRLF
 * by msg_parse(), as Postfix's smtpd_forbid_bare_newline = normalize
 * does, so the spool never holds one; a NUL byte refuses the message.
 * Leading dots are removed from every other line (RFC 5321 4.5.2).
 * Text past the size limit is read and thrown away, then refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "smtpd.h"

/* data_start - the state after the 354 */
void
data_start(struct data_reader *dr)
{
	dr->bol = true;
	dr->prev_crlf = true;
	dr->last = '\n';
	dr->toobig = false;
	dr->nul = false;
}

/* Append n bytes of text, or note that the limit is passed. */
static void
take(struct data_reader *dr, const char *p, size_t n, struct buf *msg,
    uint64_t max)
{
	if (n == 0)
		return;
	if (memchr(p, '\0', n) != NULL)
		dr->nul = true;
	if (dr->toobig || dr->nul)
		return;
	if (n > max || msg->len > max - n) {
		dr->toobig = true;
		return;
	}
	if (buf_append(msg, p, n) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
}

/*
 * data_feed - take DATA text from p[0..n) into msg (at most max bytes);
 * the number of bytes used, and *done at the end of the data
 */
size_t
data_feed(struct data_reader *dr, const char *p, size_t n, struct buf *msg,
    uint64_t max, bool *done)
{
	const char *lf;
	size_t used = 0, len;

	*done = false;
	while (used < n) {
		const char *line = p + used, *text;
		size_t avail = n - used;

		lf = memchr(line, '\n', avail);
		if (dr->bol && line[0] == '.' && lf == NULL && avail < 3)
			break;	/* could be the end: wait for more */
		if (dr->bol && dr->prev_crlf && lf == line + 2 &&
		    line[0] == '.' && line[1] == '\r') {
			*done = true;
			return used + 3;
		}
		len = lf != NULL ? (size_t)(lf - line) + 1 : avail;
		used += len;
		if (lf != NULL) {
			/* Did this line end in CRLF?  The CR may have come
			 * in an earlier read. */
			if (lf > line)
				dr->prev_crlf = lf[-1] == '\r';
			else
				dr->prev_crlf = !dr->bol && dr->last == '\r';
		}
		text = line;
		if (dr->bol && line[0] == '.') {
			text++;
			len--;
		}
		take(dr, text, len, msg, max);
		dr->last = line[lf != NULL ? (size_t)(lf - line) : avail - 1];
		dr->bol = lf != NULL;
	}
	return used;
}

/* data_chunk - n bytes of a BDAT chunk, as they are */
int
data_chunk(struct session *s, const char *p, size_t n)
{
	if (s->bdat_failed)
		return 0;
	take(&s->dr, p, n, &s->msg, s->sub.maxsize);
	return 0;
}

/* The reply to a message submit_message() refused, by its errno. */
static void
refused(struct session *s, int e, const char *err)
{
	log_warn("refused client=%s from=<%s> reason=%s", s->ip,
	    buf_cstr(&s->from), err);
	switch (e) {
	case EINVAL:
		session_reply(s, "554 5.6.0 Error: %s", err);
		break;
	case EFBIG:
		session_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		break;
	case EDESTADDRREQ:
		session_reply(s, "554 5.5.1 Error: no valid recipients");
		break;
	case ENOSPC:
	case EDQUOT:
		session_reply(s, "452 4.3.1 Insufficient system storage");
		break;
	default:
		session_reply(s, "451 4.3.0 Error: queue file write error");
	}
}

/*
 * The Received field (RFC 5321 4.4), protocol names of RFC 3848; with
 * hide-message-source, no "from" clause: the client's name and address
 * stay out of the message.
 */
static void
received(struct session *s)
{
	char date[64], from[400];

	if (!conf_bool(&s->sub.source, CONF_ADD_RECEIVED_HEADER))
		return;
	if (msg_date(time(NULL), date, sizeof(date)) == -1)
		date[0] = '\0';
	if (conf_bool(&s->sub.source, CONF_HIDE_MESSAGE_SOURCE))
		from[0] = '\0';
	else
		(void)snprintf(from, sizeof(from), "from %s (%s%s])\r\n\t",
		    s->helo, s->af == AF_INET6 ? "[IPv6:" : "[", s->ip);
	if (buf_appendf(&s->msg, "Received: %sby %s (mta-smtpd) with "
	    "%s%s%s;\r\n\t%s\r\n", from, s->srv->hostname,
	    s->esmtp ? "ESMTP" : "SMTP", s->tls ? "S" : "",
	    s->auth_user[0] != '\0' ? "A" : "", date) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
}

/* data_begin - a new message: its text starts with our Received */
void
data_begin(struct session *s)
{
	data_start(&s->dr);
	buf_reset(&s->msg);
	received(s);
}

/* The whole message is here: make spool writers, queue for commit. */
static void
submit(struct session *s)
{
	struct submit_env env;
	char err[512];

	memset(&env, 0, sizeof(env));
	env.from = buf_cstr(&s->from);
	env.rcpt = (const char *const *)s->rcpt;
	env.rcpt_orcpt = (const char *const *)s->orcpt;
	env.rcpt_notify = (const char *const *)s->notify;
	env.nrcpt = s->nrcpt;
	env.envid = s->envid[0] != '\0' ? s->envid : NULL;
	env.ret = s->ret[0] != '\0' ? s->ret : NULL;
	env.source = s->envsource;
	env.auth = s->auth_user[0] != '\0' ? s->auth_user : NULL;
	env.supp = s->pol.supp;		/* each recipient checked at RCPT */
	if (submit_message(&s->sub, &env, s->msg.p, s->msg.len, &s->qout,
	    err, sizeof(err)) == -1) {
		refused(s, errno, err);
		session_reset_txn(s);
		return;
	}
	buf_free(&s->msg);
	s->state = ST_COMMIT;
	commit_add(s);
}

/* data_finish - the end of DATA, or of a BDAT chunk */
void
data_finish(struct session *s)
{
	bool whole = s->state == ST_DATA || s->chunk_last;

	s->state = ST_CMD;
	if (s->bdat_failed) {
		session_reply(s, !s->has_from ?
		    "503 5.5.1 Error: need MAIL command" :
		    s->nrcpt == 0 ? "554 5.5.1 Error: no valid recipients" :
		    "554 5.5.0 Error: message refused");
	} else if (s->dr.nul) {
		log_warn("refused client=%s reason=NUL", s->ip);
		session_reply(s, "554 5.6.0 Error: message contains a NUL "
		    "byte");
		s->bdat_failed = true;
	} else if (s->dr.toobig) {
		log_warn("refused client=%s reason=size", s->ip);
		session_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		s->bdat_failed = true;
	} else if (whole) {
		submit(s);
		return;
	} else
		session_reply(s, "250 2.0.0 %llu octets received",
		    (unsigned long long)s->chunk_size);
	if (whole)
		session_reset_txn(s);
}
