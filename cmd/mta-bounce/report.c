/*
 * report - the output of mta-bounce: the category of one reply, and what
 * an inbound report says, as CSV or as journal records (mta-journal(5)).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "bounce.h"
#include "bouncecat.h"
#include "buf.h"
#include "inbound.h"
#include "journal.h"
#include "log.h"
#include "suppress.h"

/*
 * bounce_classify - print the category of a reply such as "550 5.1.1
 * user unknown": its code, then its status if it has one, then text
 */
int
bounce_classify(const struct bouncecat *bc, const char *reply, FILE *out)
{
	const char *p = reply, *status = NULL;
	char st[16];
	size_t n;
	int code = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-' ||
	    p[3] == '\0')) {
		code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		p += p[3] == '\0' ? 3 : 4;
	}
	while (*p == ' ')
		p++;
	n = strspn(p, "0123456789.");
	if (n >= 5 && n < sizeof(st) && (p[n] == ' ' || p[n] == '\0') &&
	    strchr("245", p[0]) != NULL && p[1] == '.') {
		memcpy(st, p, n);
		st[n] = '\0';
		status = st;
		p += n;
	}
	if (fprintf(out, "%s\n", bouncecat_classify(bc, code, status, p)) <
	    0 || fflush(out) == EOF)
		die_sys(EX_IOERR, "stdout");
	return 0;
}

/* bounce_read_stdin - all of stdin, at most BOUNCE_READMAX bytes */
int
bounce_read_stdin(char **out, size_t *outlen)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t r;

	for (;;) {
		if ((r = read(STDIN_FILENO, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > BOUNCE_READMAX) {
			errno = EFBIG;
			goto fail;
		}
		if (buf_append(&b, chunk, (size_t)r) == -1)
			goto fail;
	}
	if (b.p == NULL && buf_set(&b, "", 0) == -1)
		goto fail;
	*out = b.p;
	*outlen = b.len;
	return 0;

fail:
	buf_free(&b);
	return -1;
}

/* field - one CSV field and its separator */
static void
field(FILE *out, const char *s, int last)
{
	if (s == NULL)
		s = "";
	if (csv_fwrite(out, s, strlen(s)) != 0)
		die_sys(EX_IOERR, "stdout");
	if (putc(last ? '\n' : ',', out) == EOF)
		die_sys(EX_IOERR, "stdout");
}

/*
 * bounce_print - the CSV of a report: a header, then one line per
 * recipient; a complaint has its Feedback-Type in the category column
 */
int
bounce_print(const struct inbound *in, FILE *out)
{
	if (fputs("rcpt,action,status,category,diag,format\n", out) == EOF)
		die_sys(EX_IOERR, "stdout");
	for (size_t i = 0; i < in->n; i++) {
		const struct inbound_rcpt *r = &in->r[i];

		field(out, r->rcpt, 0);
		field(out, r->action, 0);
		field(out, r->status, 0);
		field(out, in->kind == INBOUND_COMPLAINT ? r->feedback_type :
		    r->category, 0);
		field(out, r->diag, 0);
		field(out, in->format, 1);
	}
	if (fflush(out) == EOF)
		die_sys(EX_IOERR, "stdout");
	return 0;
}

/* diag_of - "smtp;TEXT" as RFC 3464 Diagnostic-Code, into b */
static const char *
diag_of(const struct inbound_rcpt *r, struct buf *b)
{
	if (r->diag == NULL || r->diag[0] == '\0')
		return NULL;
	buf_reset(b);
	if (buf_appendf(b, "smtp;%s", r->diag) == -1)
		die(EX_TEMPFAIL, "out of memory");
	return buf_cstr(b);
}

/*
 * suppressed - whether a recipient of the report goes on the suppression
 * list: a hard bounce that failed, or any complaint
 */
static bool
suppressed(const struct bouncecat *bc, const struct inbound *in,
    const struct inbound_rcpt *r)
{
	if (r->rcpt == NULL || r->rcpt[0] == '\0')
		return false;
	if (in->kind == INBOUND_COMPLAINT)
		return true;
	return in->kind == INBOUND_BOUNCE && r->category != NULL &&
	    r->action != NULL && strcmp(r->action, "failed") == 0 &&
	    bouncecat_hard(bc, r->category);
}

/*
 * bounce_suppress - put the recipients of a hard bounce or a complaint
 * on the default suppression list of spooldir, with the reason; an
 * address that is not one is only logged
 */
int
bounce_suppress(const struct bouncecat *bc, const struct inbound *in,
    const char *spooldir)
{
	struct suppress *sp = NULL;
	struct suppress_entry e;
	char key[SUPPRESS_KEYMAX + 1], why[SUPPRESS_REASONMAX + 1], err[512];
	size_t nadd = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct inbound_rcpt *r = &in->r[i];

		if (!suppressed(bc, in, r))
			continue;
		if (suppress_key(r->rcpt, key, sizeof(key), err,
		    sizeof(err)) == -1) {
			log_warn("%s: recipient %zu: not suppressed: %s",
			    in->format, i + 1, err);
			continue;
		}
		if (in->kind == INBOUND_COMPLAINT)
			(void)snprintf(why, sizeof(why), "complaint %s (%s)",
			    r->feedback_type, in->format);
		else
			(void)snprintf(why, sizeof(why), "bounced %s %s (%s)",
			    r->status != NULL ? r->status : "", r->category,
			    in->format);
		if (sp == NULL && (sp = suppress_open(spooldir,
		    SUPPRESS_WRITE, err, sizeof(err))) == NULL)
			die(EX_TEMPFAIL, "%s", err);
		e.addr = key;
		e.list = SUPPRESS_DEFAULT_LIST;
		e.added = (int64_t)time(NULL);
		e.reason = why;
		if (suppress_add(sp, &e, 1, err, sizeof(err)) == -1)
			die(EX_TEMPFAIL, "%s", err);
		nadd++;
	}
	if (sp != NULL)
		suppress_close(sp);
	return (int)nadd;
}

/* the journal verb of a recipient of a DSN, or NULL: none */
static const char *
journal_type(const struct inbound_rcpt *r)
{
	static const char *const status[] = { "delivered", "relayed",
	    "expanded", "delayed" };

	for (size_t i = 0; r->action != NULL &&
	    i < sizeof(status) / sizeof(status[0]); i++)
		if (strcmp(r->action, status[i]) == 0)
			return "status";
	return r->category != NULL ? "bounced" : NULL;
}

/*
 * bounce_journal - one record per recipient in an auxiliary segment of
 * the journal of spooldir: "bounced" for a failed recipient, "status"
 * for one delivered, relayed, expanded or delayed, "complaint" for a
 * complaint; nothing for anything else
 */

int
bounce_journal(const struct inbound *in, const char *spooldir)
{
	struct journal_outcome o;
	struct journal *j = NULL;
	struct buf diag = BUF_INIT;
	char err[512];
	size_t nrec = 0;

	for (size_t i = 0; i < in->n; i++) {
		const struct inbound_rcpt *r = &in->r[i];

		memset(&o, 0, sizeof(o));
		if (in->kind == INBOUND_COMPLAINT) {
			o.type = "complaint";
			o.feedback_type = r->feedback_type;
			o.user_agent = in->user_agent;
			o.source_ip = in->source_ip;
			o.reported_domain = in->reported_domain;
		} else if (in->kind == INBOUND_BOUNCE && r->rcpt != NULL &&
		    r->rcpt[0] != '\0' && (o.type = journal_type(r)) != NULL) {
			o.code = r->code;
			o.dsn_action = r->action;
			o.dsn_status = r->status;
			o.dsn_diag = diag_of(r, &diag);
			o.bounce_cat = r->category;
		} else
			continue;
		o.rcpt = r->rcpt;
		o.orcpt = r->orcpt;
		o.orig = in->orig;
		o.format = in->format;
		o.reporting_mta = in->reporting_mta;
		o.msgid = in->msgid;
		if (j == NULL && (j = journal_open_aux(spooldir, "bounce", err,
		    sizeof(err))) == NULL)
			die(EX_TEMPFAIL, "%s", err);
		if (journal_write(j, &o) == -1) {
			/* the address is the sender's text: not logged */
			log_warn("%s: recipient %zu: not journaled: %s",
			    in->format, i + 1, strerror(errno));
			continue;
		}
		nrec++;
	}
	buf_free(&diag);
	if (j != NULL && journal_close(j, err, sizeof(err)) == -1)
		die(EX_TEMPFAIL, "%s", err);
	return (int)nrec;
}
