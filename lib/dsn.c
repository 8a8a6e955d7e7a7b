/*
 * dsn - RFC 3464 delivery status notifications for spool messages.
 *
 * What the report shows of the remote side (diagnostics, host names) is
 * cut to printable US-ASCII and DSN_TEXTMAX bytes, so a hostile reply
 * can neither forge a field nor break the report's structure; addresses
 * with other bytes are written as xtext.  The original's header is cut
 * at DSN_HEADERS_MAX on a field boundary.  The boundary is checked not
 * to occur in what the report holds.  Configuration read here, per
 * dsn_prepare(): dsn-format, deliver-local-dsn (the queue of the first
 * recipient reported), dsn-return-default and suppress-local-dsn (the
 * <source> the original came from), host-name and postmaster (its
 * virtual MTA, else global), custom-dsn-from-header.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "dsn.h"
#include "envelope.h"
#include "msg.h"
#include "spool.h"
#include "submit.h"

#define FOLD		76	/* fold a field's line past this column */
#define BOUNDARY_TRIES	8

/* What one report is made of, worked out before it is written. */
struct report {
	const struct dsn_opts *o;
	const struct envelope *e;
	const struct dsn_rcpt *r;
	size_t		 n;
	enum dsn_kind	 kind;
	const char	*orig;		/* what is attached of the original */
	size_t		 origlen;
	bool		 full;		/* the whole original, not its header */
	bool		 cut;		/* RET=FULL asked, header given */
	bool		 eightbit;
	char		 boundary[64];
};

/* dsn_wanted - does sender want a DSN of kind for a recipient's NOTIFY? */
bool
dsn_wanted(const char *sender, const char *notify, enum dsn_kind kind)
{
	const char *p, *q, *want;
	bool hit = false;
	size_t n;

	if (sender == NULL || *sender == '\0')
		return false;	/* never a DSN about a DSN */
	if (notify == NULL || *notify == '\0')
		return true;
	want = kind == DSN_FAILURE ? "FAILURE" : "DELAY";
	for (p = notify; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		if ((q = strchr(p, ',')) == NULL)
			q = p + strlen(p);
		n = (size_t)(q - p);
		if (n == 5 && strncasecmp(p, "NEVER", 5) == 0)
			return false;
		if (n == strlen(want) && strncasecmp(p, want, n) == 0)
			hit = true;
	}
	return hit;
}

/*
 * dsn_delay_count - the notify-of-delay-every intervals (every seconds;
 * 0 or CONFVAL_NEVER for never) a message queued at queued has waited
 * by now, at most DSN_DELAYMAX
 */
unsigned
dsn_delay_count(time_t queued, time_t now, int64_t every)
{
	int64_t n;

	if (every <= 0 || every == INT64_MAX || now <= queued)
		return 0;
	n = ((int64_t)now - (int64_t)queued) / every;
	return n > DSN_DELAYMAX ? DSN_DELAYMAX : (unsigned)n;
}

/*
 * dsn_delay_due - is a delay notice due for a recipient deferred now,
 * *sent notices having gone before?  Updates *sent.  One notice for each
 * interval passed, however many were passed since the last attempt.
 */
bool
dsn_delay_due(time_t queued, time_t now, int64_t every, unsigned *sent)
{
	unsigned n = dsn_delay_count(queued, now, every);

	if (n <= *sent)
		return false;
	*sent = n;
	return true;
}

/*
 * s cut to printable US-ASCII: runs of controls and white space become
 * one space, other bytes '?', at most max bytes and "..." when longer.
 */
static int
sanitize(struct buf *out, const char *s, size_t max)
{
	size_t start = out->len;
	bool space = false;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f) {
			space = out->len > start;
			continue;
		}
		if (out->len - start >= max)
			return buf_appends(out, "...");
		if (space && buf_appendc(out, ' ') == -1)
			return -1;
		space = false;
		if (buf_appendc(out, c >= 0x80 ? '?' : c) == -1)
			return -1;
	}
	return 0;
}

/* An address-like value, as it is or as xtext when it needs to be. */
static int
xtext(struct buf *out, const char *s, size_t max)
{
	size_t start = out->len;
	unsigned char c;
	bool plain = true;

	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			plain = false;
	for (; *s != '\0'; s++) {
		if (out->len - start >= max)
			return buf_appends(out, "...");
		c = (unsigned char)*s;
		if (plain || (c > ' ' && c < 0x7f && c != '+' && c != '=')) {
			if (buf_appendc(out, c) == -1)
				return -1;
		} else if (buf_appendf(out, "+%02X", c) == -1)
			return -1;
	}
	return 0;
}

/* "Name: value" CRLF; runs of spaces fold past FOLD columns. */
static int
field(struct buf *out, const char *name, const char *v)
{
	size_t col, first, word;

	if (buf_appendf(out, "%s:", name) == -1)
		return -1;
	col = first = strlen(name) + 1;
	while (*(v += strspn(v, " ")) != '\0') {
		word = strcspn(v, " ");
		if (col + 1 + word > FOLD && col > first) {
			if (buf_appends(out, "\r\n") == -1)
				return -1;
			col = 0;
		}
		if (buf_appendc(out, ' ') == -1 || buf_append(out, v, word) ==
		    -1)
			return -1;
		col += 1 + word;
		v += word;
	}
	return buf_appends(out, "\r\n");
}

static int
fieldf(struct buf *out, const char *name, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static int
fieldf(struct buf *out, const char *name, const char *fmt, ...)
{
	struct buf v = BUF_INIT;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(&v, (size_t)n + 1) == -1)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(v.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	v.len = (size_t)n;
	rc = field(out, name, v.p);
	buf_free(&v);
	return rc;
}

static int
date_field(struct buf *out, const char *name, time_t t)
{
	char d[64];

	if (msg_date(t, d, sizeof(d)) == -1) {
		errno = EINVAL;
		return -1;
	}
	return field(out, name, d);
}

/* Is s an RFC 3463 status of class cls ('4', '5'), or any if '\0'? */
static bool
status_ok(const char *s, char cls)
{
	size_t n;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    (cls != '\0' && s[0] != cls) || s[1] != '.')
		return false;
	s += 2;
	for (int part = 0; part < 2; part++) {
		n = strspn(s, "0123456789");
		if (n < 1 || n > 3)
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

static const char *
rcpt_status(const struct report *rp, const struct dsn_rcpt *r)
{
	if (rp->kind == DSN_DELAY)
		return status_ok(r->status, '4') ? r->status : "4.0.0";
	if (status_ok(r->status, '5') || status_ok(r->status, '4'))
		return r->status;
	return r->expired ? "4.4.7" : "5.0.0";
}

/* The original's header section: where it ends, cut at max. */
static size_t
header_len(const char *m, size_t len, size_t max)
{
	size_t i = 0, lastfield = 0, eol;
	const char *nl;

	while (i < len) {
		if (m[i] == '\n' || (m[i] == '\r' && i + 1 < len &&
		    m[i + 1] == '\n'))
			return i;	/* the empty line */
		if (i > 0 && m[i] != ' ' && m[i] != '\t')
			lastfield = i;
		if ((nl = memchr(m + i, '\n', len - i)) == NULL)
			eol = len;
		else
			eol = (size_t)(nl - m) + 1;
		if (eol > max)
			return lastfield;
		i = eol;
	}
	return len;
}

static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Append s[0..n) without its NUL bytes, which no message may carry. */
static int
append_clean(struct buf *out, const char *s, size_t n)
{
	const char *z;

	while (n > 0 && (z = memchr(s, '\0', n)) != NULL) {
		if (buf_append(out, s, (size_t)(z - s)) == -1)
			return -1;
		n -= (size_t)(z - s) + 1;
		s = z + 1;
	}
	return buf_append(out, s, n);
}

static bool
contains(const char *s, size_t n, const char *w)
{
	size_t wn = strlen(w);
	const char *p;

	while (n >= wn && (p = memchr(s, w[0], n - wn + 1)) != NULL) {
		if (memcmp(p, w, wn) == 0)
			return true;
		n -= (size_t)(p - s) + 1;
		s = p + 1;
	}
	return false;
}

/* The queue id to name in the report: only a well-formed one. */
static const char *
report_qid(const struct envelope *e)
{
	return e->id.len > 0 && spool_qid_valid(e->id.p) ? e->id.p : "0";
}

static int
pick_boundary(struct report *rp, const char *qid)
{
	for (int i = 0; i < BOUNDARY_TRIES; i++) {
		(void)snprintf(rp->boundary, sizeof(rp->boundary),
		    "=_mta-dsn-%.21s-%08x%08x", qid, arc4random(),
		    arc4random());
		if (!contains(rp->orig, rp->origlen, rp->boundary))
			return 0;
	}
	errno = EAGAIN;		/* the original is made to defeat us */
	return -1;
}

static int
human_rcpt(struct buf *out, const struct report *rp, const struct dsn_rcpt *r)
{
	int bad = 0;

	bad |= buf_appends(out, "<") == -1 || xtext(out, r->addr, 300) == -1;
	bad |= buf_appends(out, ">: ") == -1;
	if (r->diag != NULL && *r->diag != '\0')
		bad |= sanitize(out, r->diag, DSN_TEXTMAX) == -1;
	else if (r->expired)
		bad |= buf_appends(out, "delivery time expired") == -1;
	else
		bad |= buf_appends(out, rp->kind == DSN_DELAY ?
		    "delivery deferred" : "delivery failed") == -1;
	bad |= buf_appends(out, "\r\n    (status ") == -1 ||
	    buf_appends(out, rcpt_status(rp, r)) == -1;
	if (r->remote_mta != NULL && *r->remote_mta != '\0')
		bad |= buf_appends(out, ", host ") == -1 ||
		    sanitize(out, r->remote_mta, 255) == -1;
	if (r->expired)
		bad |= buf_appends(out, ", retried until it expired") == -1;
	bad |= buf_appends(out, ")\r\n\r\n") == -1;
	return bad ? -1 : 0;
}

/* The part a person reads. */
static int
human(struct buf *out, const struct report *rp)
{
	const struct dsn_opts *o = rp->o;
	char until[64];
	time_t t = 0;
	int bad = 0;

	bad |= buf_appendf(out, "This is the mail system at host %s.\r\n\r\n",
	    o->hostname) == -1;
	if (rp->kind == DSN_DELAY) {
		for (size_t i = 0; i < rp->n; i++)
			if (rp->r[i].retry_until > t)
				t = rp->r[i].retry_until;
		bad |= buf_appends(out, "This is a warning only; you do not "
		    "need to send your message again.\r\n\r\nYour message "
		    "could not be delivered yet to the recipients below.\r\n"
		    "The mail system will keep trying") == -1;
		if (t > 0 && msg_date(t, until, sizeof(until)) == 0)
			bad |= buf_appendf(out, " until\r\n%s", until) == -1;
		bad |= buf_appends(out, ".\r\n\r\n") == -1;
	} else
		bad |= buf_appends(out, "I'm sorry to have to inform you that "
		    "your message could not\r\nbe delivered to one or more "
		    "recipients.\r\n\r\n") == -1;
	if (rp->full)
		bad |= buf_appends(out, "The message is attached below.\r\n"
		    "\r\n") == -1;
	else if (rp->cut)
		bad |= buf_appendf(out, "The message was too big to return "
		    "whole (%llu bytes, at most %zu);\r\nits header is "
		    "attached below.\r\n\r\n", rp->e->size,
		    o->full_max) == -1;
	else
		bad |= buf_appends(out, "The header of the message is "
		    "attached below.\r\n\r\n") == -1;
	for (size_t i = 0; i < rp->n && !bad; i++)
		bad |= human_rcpt(out, rp, &rp->r[i]) == -1;
	return bad ? -1 : 0;
}

static int
status_rcpt(struct buf *out, const struct report *rp, const struct dsn_rcpt *r)
{
	struct buf v = BUF_INIT;
	int bad = 0;

	if (r->orcpt != NULL && *r->orcpt != '\0') {
		if (strchr(r->orcpt, ';') == NULL)
			bad |= buf_appends(&v, "rfc822;") == -1;
		bad |= xtext(&v, r->orcpt, 500) == -1;
		bad |= field(out, "Original-Recipient", buf_cstr(&v)) == -1;
		buf_reset(&v);
	}
	bad |= buf_appends(&v, "rfc822; ") == -1 || xtext(&v, r->addr, 500) ==
	    -1 || field(out, "Final-Recipient", buf_cstr(&v)) == -1;
	bad |= field(out, "Action", rp->kind == DSN_DELAY ? "delayed" :
	    "failed") == -1;
	bad |= field(out, "Status", rcpt_status(rp, r)) == -1;
	if (r->remote_mta != NULL && *r->remote_mta != '\0') {
		buf_reset(&v);
		bad |= buf_appends(&v, "dns; ") == -1 ||
		    sanitize(&v, r->remote_mta, 255) == -1 ||
		    field(out, "Remote-MTA", buf_cstr(&v)) == -1;
	}
	if (r->diag != NULL && *r->diag != '\0') {
		buf_reset(&v);
		/* An SMTP reply starts with its code; anything else is ours. */
		bad |= buf_appends(&v, r->diag[0] >= '2' && r->diag[0] <= '5' &&
		    isdigit((unsigned char)r->diag[1]) &&
		    isdigit((unsigned char)r->diag[2]) ? "smtp; " :
		    "X-mta; ") == -1 || sanitize(&v, r->diag, DSN_TEXTMAX) ==
		    -1 || field(out, "Diagnostic-Code", buf_cstr(&v)) == -1;
	}
	if (r->last_attempt > 0)
		bad |= date_field(out, "Last-Attempt-Date", r->last_attempt) ==
		    -1;
	if (rp->kind == DSN_DELAY && r->retry_until > 0)
		bad |= date_field(out, "Will-Retry-Until", r->retry_until) ==
		    -1;
	buf_free(&v);
	return bad ? -1 : 0;
}

/* The message/delivery-status fields (RFC 3464 section 2). */
static int
status_fields(struct buf *out, const struct report *rp)
{
	const struct envelope *e = rp->e;
	struct buf v = BUF_INIT;
	int bad = 0;

	bad |= fieldf(out, "Reporting-MTA", "dns; %s", rp->o->hostname) == -1;
	if (e->id.len > 0) {
		bad |= sanitize(&v, e->id.p, 64) == -1 ||
		    field(out, "X-Mta-Queue-ID", buf_cstr(&v)) == -1;
		buf_reset(&v);
	}
	if (e->envid.len > 0)
		bad |= xtext(&v, e->envid.p, 500) == -1 ||
		    field(out, "Original-Envelope-Id", buf_cstr(&v)) == -1;
	if (e->time > 0)
		bad |= date_field(out, "Arrival-Date", e->time) == -1;
	buf_free(&v);
	for (size_t i = 0; i < rp->n && !bad; i++)
		bad |= buf_appends(out, "\r\n") == -1 ||
		    status_rcpt(out, rp, &rp->r[i]) == -1;
	return bad ? -1 : 0;
}

static int
top_header(struct buf *out, const struct report *rp, const char *orig_msgid)
{
	const struct dsn_opts *o = rp->o;
	struct buf v = BUF_INIT;
	int bad = 0;

	bad |= date_field(out, "Date", o->now) == -1;
	if (o->from != NULL && *o->from != '\0')
		bad |= sanitize(&v, o->from, DSN_TEXTMAX) == -1 ||
		    field(out, "From", buf_cstr(&v)) == -1;
	else
		bad |= fieldf(out, "From", "Mail Delivery System "
		    "<MAILER-DAEMON@%s>", o->hostname) == -1;
	bad |= buf_appendf(out, "To: <%s>\r\n", rp->e->from.p) == -1;
	bad |= field(out, "Subject", rp->kind == DSN_DELAY ?
	    "Delayed Mail (still being retried)" :
	    "Undelivered Mail Returned to Sender") == -1;
	bad |= fieldf(out, "Message-ID", "<dsn.%s.%08x@%s>",
	    report_qid(rp->e), arc4random(), o->hostname) == -1;
	if (orig_msgid != NULL)
		bad |= field(out, "In-Reply-To", orig_msgid) == -1 ||
		    field(out, "References", orig_msgid) == -1;
	bad |= field(out, "Auto-Submitted", "auto-replied") == -1;
	bad |= field(out, "MIME-Version", "1.0") == -1;
	buf_free(&v);
	return bad ? -1 : 0;
}

/* The original's Message-ID when it is a sane one to refer to. */
static const char *
orig_message_id(const char *m, size_t hlen, char *id, size_t idlen)
{
	const char *p = m, *end = m + hlen, *v, *lt, *gt;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > 11 && strncasecmp(p, "Message-ID:",
		    11) == 0) {
			v = p + 11;
			if ((lt = memchr(v, '<', (size_t)(eol - v))) == NULL ||
			    (gt = memchr(lt, '>', (size_t)(eol - lt))) ==
			    NULL || (size_t)(gt - lt + 2) > idlen)
				return NULL;
			for (const char *q = lt + 1; q < gt; q++)
				if ((unsigned char)*q <= ' ' ||
				    (unsigned char)*q >= 0x7f || *q == '<')
					return NULL;
			memcpy(id, lt, (size_t)(gt - lt + 1));
			id[gt - lt + 1] = '\0';
			return id;
		}
		p = eol + 1;
	}
	return NULL;
}

static int
report_rfc3464(struct buf *out, const struct report *rp)
{
	const char *cte = rp->eightbit ? "8bit" : "7bit";
	int bad = 0;

	bad |= buf_appendf(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", rp->boundary, cte) == -1;
	bad |= buf_appendf(out, "This is a MIME-encapsulated message.\r\n\r\n"
	    "--%s\r\nContent-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    rp->boundary) == -1 || human(out, rp) == -1;
	bad |= buf_appendf(out, "--%s\r\nContent-Description: Delivery "
	    "report\r\nContent-Type: message/delivery-status\r\n\r\n",
	    rp->boundary) == -1 || status_fields(out, rp) == -1;
	bad |= buf_appendf(out, "\r\n--%s\r\nContent-Description: %s\r\n"
	    "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	    rp->boundary, rp->full ? "Undelivered Message" :
	    "Undelivered Message Headers", rp->full ? "message/rfc822" :
	    "text/rfc822-headers", cte) == -1;
	bad |= append_clean(out, rp->orig, rp->origlen) == -1;
	if (rp->origlen > 0 && rp->orig[rp->origlen - 1] != '\n')
		bad |= buf_appends(out, "\r\n") == -1;
	bad |= buf_appendf(out, "\r\n--%s--\r\n", rp->boundary) == -1;
	return bad ? -1 : 0;
}

/* dsn-format text: the same information in one plain text part. */
static int
report_text(struct buf *out, const struct report *rp)
{
	int bad = 0;

	bad |= buf_appendf(out, "Content-Type: text/plain; charset=%s\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", rp->eightbit ?
	    "unknown-8bit" : "us-ascii", rp->eightbit ? "8bit" : "7bit") ==
	    -1 || human(out, rp) == -1;
	bad |= buf_appends(out, "--- Delivery report ---\r\n\r\n") == -1 ||
	    status_fields(out, rp) == -1;
	bad |= buf_appendf(out, "\r\n--- %s ---\r\n\r\n", rp->full ?
	    "The original message" : "The header of the original message") ==
	    -1 || append_clean(out, rp->orig, rp->origlen) == -1;
	return bad ? -1 : 0;
}

/*
 * dsn_build - the report of kind about the n recipients r of the message
 * with envelope e and bytes msg[0..len) (len may stop short of e->size;
 * then only the header is attached), appended to out.  EINVAL: e has the
 * null sender, or n is 0.
 */
int
dsn_build(const struct dsn_opts *o, const struct envelope *e,
    const char *msg, size_t len, const struct dsn_rcpt *r, size_t n,
    enum dsn_kind kind, struct buf *out)
{
	struct report rp;
	char msgid[256];
	const char *mid;
	size_t hlen;
	bool want_full;

	if (e->from.len == 0 || n == 0 || o->hostname == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < e->from.len; i++)
		if ((unsigned char)e->from.p[i] < ' ' || e->from.p[i] == 0x7f) {
			errno = EINVAL;	/* no To: field could hold it */
			return -1;
		}
	memset(&rp, 0, sizeof(rp));
	rp.o = o;
	rp.e = e;
	rp.r = r;
	rp.n = n;
	rp.kind = kind;
	if (e->ret.len > 0)
		want_full = strcasecmp(e->ret.p, "full") == 0;
	else
		want_full = o->ret_default == DSN_RET_FULL;
	hlen = header_len(msg, len, DSN_HEADERS_MAX);
	rp.full = want_full && len <= o->full_max &&
	    (e->size == 0 || e->size == len);
	rp.cut = want_full && !rp.full;
	rp.orig = msg;
	rp.origlen = rp.full ? len : hlen;
	rp.eightbit = has_8bit(rp.orig, rp.origlen) ||
	    has_8bit(e->from.p, e->from.len);
	mid = orig_message_id(msg, hlen, msgid, sizeof(msgid));
	if (pick_boundary(&rp, report_qid(e)) == -1 ||
	    top_header(out, &rp, mid) == -1)
		return -1;
	if (o->format == DSN_FMT_TEXT)
		return report_text(out, &rp);
	return report_rfc3464(out, &rp);
}

/* dsn_submit_init - a submitter for DSNs: local mail, as from mta-inject */
int
dsn_submit_init(struct submit *s, const struct conf *c, struct spool *sp)
{
	static const unsigned char local[4] = { 127, 0, 0, 1 };

	return submit_init(s, c, sp, AF_INET, local, "{pickup}");
}

/* A setting of the original's <virtual-mta>, else the global one. */
static const char *
vmta_str(const struct submit *sub, const struct envelope *e, enum conf_id id)
{
	const struct conf_block *b;
	const struct conf_directive *d;

	if (e->vmta.len > 0 && (b = conf_find_block(sub->conf, CONF_S_VMTA,
	    e->vmta.p)) != NULL && (d = conf_block_get(b, id)) != NULL)
		return d->str;
	return conf_str(&sub->global, id);
}

/* The dsn-format of the resolved settings q. */
static enum dsn_format
format_of(const struct conf_settings *q)
{
	const struct conf_directive *d = conf_get(q, CONF_DSN_FORMAT);

	/* the values in the order of conf_directives.h */
	return d != NULL && (d->num == 1 || d->num == 3) ? DSN_FMT_TEXT :
	    DSN_FMT_RFC3464;
}

/*
 * dsn_format_of - the dsn-format of the queue of domain through vmta
 * (NULL: the default one): standard is RFC 3464's, plain-text is text
 */
enum dsn_format
dsn_format_of(const struct conf *c, const char *domain, const char *vmta)
{
	struct conf_settings q;

	conf_resolve_queue(c, domain, vmta, &q);
	return format_of(&q);
}

/*
 * The options of the report on e to rcpt's queue; false when the
 * configuration wants none (deliver-local-dsn no, suppress-local-dsn).
 */
static bool
options(struct submit *sub, const struct envelope *e, const char *rcpt,
    struct dsn_opts *o)
{
	struct conf_settings q, src;
	const struct conf_directive *d;
	const char *pm, *domain;
	bool send;

	memset(o, 0, sizeof(*o));
	o->now = time(NULL);
	o->full_max = DSN_FULL_MAX;
	if ((o->hostname = vmta_str(sub, e, CONF_HOST_NAME)) == NULL)
		o->hostname = sub->hostname;
	o->from = conf_str(&sub->global, CONF_CUSTOM_DSN_FROM_HEADER);
	if (o->from == NULL && (pm = vmta_str(sub, e, CONF_POSTMASTER)) !=
	    NULL)
		o->from = pm;
	if ((domain = addr_domain(rcpt)) == NULL)
		domain = "";
	conf_resolve_queue(sub->conf, domain, e->vmta.len > 0 ? e->vmta.p :
	    NULL, &q);
	submit_source_of(sub->conf, e, &src);	/* the original's */
	o->format = format_of(&q);
	d = conf_get(&src, CONF_DSN_RETURN_DEFAULT);
	o->ret_default = d != NULL && d->num == 1 ? DSN_RET_FULL :
	    DSN_RET_HDRS;
	d = conf_get(&q, CONF_DELIVER_LOCAL_DSN);
	send = d == NULL || d->num != 0;
	if (conf_bool(&src, CONF_SUPPRESS_LOCAL_DSN))
		send = false;
	return send;
}

/* At most max bytes of the message at off in fd. */
static int
read_message(int fd, size_t off, size_t max, struct buf *b)
{
	ssize_t n;

	if (buf_grow(b, max + 1) == -1)
		return -1;
	while (b->len < max) {
		n = pread(fd, b->p + b->len, max - b->len, (off_t)(off +
		    b->len));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->p[b->len] = '\0';
	return 0;
}

/* The recipients to report on: given ones, with the envelope's data. */
static int
pick_rcpts(const struct envelope *e, const struct dsn_rcpt *in, size_t n,
    enum dsn_kind kind, struct dsn_rcpt *r, size_t *nr)
{
	const struct envelope_rcpt *er;

	*nr = 0;
	for (size_t i = 0; i < n; i++) {
		r[*nr] = in[i];
		if (in[i].addr == NULL) {
			if (in[i].idx >= e->nrcpt) {
				errno = EINVAL;
				return -1;
			}
			er = &e->rcpt[in[i].idx];
			r[*nr].addr = er->addr.p;
			r[*nr].orcpt = er->orcpt.len > 0 ? er->orcpt.p : NULL;
			r[*nr].notify = er->notify.len > 0 ? er->notify.p :
			    NULL;
		}
		if (dsn_wanted(e->from.p, r[*nr].notify, kind))
			(*nr)++;
	}
	return 0;
}

static int
submit_report(struct submit *sub, const struct envelope *e,
    const struct buf *rep, const char *vmta, struct submit_out *out,
    char *err, size_t errlen)
{
	const char *rcpt[1];
	struct submit_env env;

	memset(&env, 0, sizeof(env));
	rcpt[0] = e->from.p;
	env.from = "";
	env.rcpt = rcpt;
	env.nrcpt = 1;
	env.vmta = vmta;
	env.source = "local";
	return submit_message(sub, &env, rep->p, rep->len, out, err, errlen);
}

/*
 * Build and write the report; a virtual MTA that is gone sends through
 * the default, and a report too big for max-message-size goes again
 * with the header only.
 */
static int
write_report(struct submit *sub, const struct envelope *e, struct dsn_opts *o,
    const struct buf *msg, const struct dsn_rcpt *r, size_t nr,
    enum dsn_kind kind, struct submit_out *out, char *err, size_t errlen)
{
	const char *vmta = e->vmta.len > 0 ? e->vmta.p : NULL;
	struct buf rep = BUF_INIT;
	int rc = -1;

	for (int tries = 0; tries < 3; tries++) {
		buf_reset(&rep);
		if (dsn_build(o, e, msg->p, msg->len, r, nr, kind, &rep) ==
		    -1) {
			(void)snprintf(err, errlen, "%s: making the DSN: %s",
			    e->id.p, strerror(errno));
			break;
		}
		if ((rc = submit_report(sub, e, &rep, vmta, out, err,
		    errlen)) == 0)
			break;
		if (errno == EINVAL && vmta != NULL)
			vmta = NULL;
		else if (errno == EFBIG && o->full_max > 0)
			o->full_max = 0;
		else
			break;
	}
	buf_free(&rep);
	return rc;
}

/*
 * dsn_prepare - the DSN of kind about n recipients of message qid in
 * sub's spool, as uncommitted writers in out (out->n is 0 when none is
 * due: the null sender, NOTIFY, deliver-local-dsn, suppress-local-dsn).
 * The caller commits them with spool_commit() before it lets the
 * original go, so that a crash can only repeat a DSN, never lose one.
 */
int
dsn_prepare(struct submit *sub, const char *qid, const struct dsn_rcpt *in,
    size_t n, enum dsn_kind kind, struct submit_out *out, char *err,
    size_t errlen)
{
	struct dsn_rcpt *r = NULL;
	struct buf msg = BUF_INIT;
	struct envelope e;
	struct dsn_opts o;
	size_t off, nr, max;
	int fd = -1, rc = -1, save;

	out->n = 0;
	envelope_init(&e);
	if (spool_open_msg(sub->spool, qid, &e, &off, &fd, err, errlen) ==
	    -1)
		goto done;
	rc = 0;
	if (e.from.len == 0 || n == 0)
		goto done;
	if ((r = reallocarray(NULL, n, sizeof(*r))) == NULL ||
	    pick_rcpts(&e, in, n, kind, r, &nr) == -1) {
		(void)snprintf(err, errlen, "%s: %s", qid, errno == EINVAL ?
		    "no such recipient" : strerror(errno));
		rc = -1;
		goto done;
	}
	if (nr == 0 || !options(sub, &e, r[0].addr, &o))
		goto done;
	max = o.full_max > DSN_HEADERS_MAX + 2 ? o.full_max :
	    DSN_HEADERS_MAX + 2;
	if (read_message(fd, off, e.size < max ? (size_t)e.size : max,
	    &msg) == -1) {
		(void)snprintf(err, errlen, "%s: read: %s", qid,
		    strerror(errno));
		rc = -1;
		goto done;
	}
	rc = write_report(sub, &e, &o, &msg, r, nr, kind, out, err, errlen);
done:
	save = errno;
	if (fd != -1)
		(void)close(fd);
	free(r);
	buf_free(&msg);
	envelope_free(&e);
	errno = save;
	return rc;
}

/*
 * dsn_submit - dsn_prepare() and commit: the DSN's queue id in dsnqid,
 * or "" when none was due
 */
int
dsn_submit(struct submit *sub, const char *qid, const struct dsn_rcpt *r,
    size_t n, enum dsn_kind kind, char dsnqid[SPOOL_QIDLEN + 1], char *err,
    size_t errlen)
{
	struct submit_out out;
	int save;

	dsnqid[0] = '\0';
	if (dsn_prepare(sub, qid, r, n, kind, &out, err, errlen) == -1)
		return -1;
	if (out.n == 0)
		return 0;
	if (spool_commit(sub->spool, out.w, out.n, err, errlen) == -1) {
		save = errno;
		submit_abort(&out);
		errno = save;
		return -1;
	}
	(void)strlcpy(dsnqid, spool_writer_qid(out.w[0]), SPOOL_QIDLEN + 1);
	for (size_t i = 0; i < out.n; i++)
		spool_writer_free(out.w[i]);
	return 0;
}
