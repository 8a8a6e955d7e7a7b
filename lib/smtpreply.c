/*
 * smtpreply - SMTP replies and EHLO keywords (see smtpreply.h).
 *
 * Invariants: text is always NUL-terminated and len < SMTPREPLY_MAXTEXT;
 * text holds no control character but the LF between lines; code is the
 * same on every line of a reply; a reply never has more than
 * SMTPREPLY_MAXLINES lines of at most SMTPREPLY_MAXLINE octets.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpreply.h"

#define QUOTEMAX	40	/* bytes of a bad line shown in an error */

static int
fail(char *err, size_t errlen, const char *what, const char *line,
    size_t n)
{
	char q[QUOTEMAX + 1];
	size_t i;

	for (i = 0; i < n && i < QUOTEMAX; i++)
		q[i] = (unsigned char)line[i] < 0x20 || line[i] == 0x7f ?
		    '?' : line[i];
	q[i] = '\0';
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s: \"%s%s\"", what, q,
		    n > QUOTEMAX ? "..." : "");
	errno = EPROTO;
	return -1;
}

/* smtpreply_init - forget the reply: ready for the next one */
void
smtpreply_init(struct smtpreply *r)
{
	r->code = 0;
	r->dsn[0] = '\0';
	r->nlines = 0;
	r->truncated = false;
	r->len = 0;
	r->text[0] = '\0';
}

/*
 * The RFC 3463 code "class.subject.detail" at the start of the first
 * line, taken only when its class agrees with the reply code (RFC 2034).
 */
static void
take_dsn(struct smtpreply *r, const char *t, size_t n)
{
	size_t i = 0, digits;

	if (n < 5 || t[0] != '0' + r->code / 100 || t[1] != '.')
		return;
	i = 2;
	for (int part = 0; part < 2; part++) {
		for (digits = 0; i < n && isdigit((unsigned char)t[i]) &&
		    digits < 4; i++)
			digits++;
		if (digits == 0 || digits > 3)
			return;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return;
			i++;
		}
	}
	if (i < n && t[i] != ' ')
		return;
	memcpy(r->dsn, t, i);
	r->dsn[i] = '\0';
}

/* Keep a line's text, with controls made harmless, as far as it fits. */
static void
keep_text(struct smtpreply *r, const char *t, size_t n)
{
	size_t room;

	if (r->nlines > 0) {
		if (r->len + 1 >= SMTPREPLY_MAXTEXT) {
			r->truncated = true;
			return;
		}
		r->text[r->len++] = '\n';
	}
	room = SMTPREPLY_MAXTEXT - 1 - r->len;
	if (n > room) {
		n = room;
		r->truncated = true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		r->text[r->len++] = c == '\t' ? ' ' :
		    c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	r->text[r->len] = '\0';
}

/* One line without its line end: 1 the last line, 0 more follow, -1. */
static int
take_line(struct smtpreply *r, const char *l, size_t n, char *err,
    size_t errlen)
{
	int code, last;

	if (n < 3 || l[0] < '2' || l[0] > '5' || !isdigit((unsigned char)l[1])
	    || !isdigit((unsigned char)l[2]))
		return fail(err, errlen, "malformed reply line", l, n);
	if (n == 3 || l[3] == ' ')
		last = 1;
	else if (l[3] == '-')
		last = 0;
	else
		return fail(err, errlen, "malformed reply line", l, n);
	code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	if (r->nlines == 0)
		r->code = code;
	else if (code != r->code) {
		if (errlen > 0)
			(void)snprintf(err, errlen, "reply code changed from "
			    "%d to %d in line %zu", r->code, code,
			    r->nlines + 1);
		errno = EPROTO;
		return -1;
	}
	if (r->nlines == SMTPREPLY_MAXLINES) {
		if (errlen > 0)
			(void)snprintf(err, errlen, "reply of more than %d "
			    "lines", SMTPREPLY_MAXLINES);
		errno = EPROTO;
		return -1;
	}
	l += n > 3 ? 4 : 3;
	n -= n > 3 ? 4 : 3;
	if (r->nlines == 0)
		take_dsn(r, l, n);
	keep_text(r, l, n);
	r->nlines++;
	return last;
}

/*
 * smtpreply_parse - take the complete lines of the n bytes at p into r;
 * *used says how many bytes were taken.  Returns 1 when the reply is
 * complete (the bytes after its last line are not taken), 0 when it
 * needs more input, -1 when the reply is malformed (err says why).
 * Lines end in CRLF; a bare LF is accepted.
 */
int
smtpreply_parse(struct smtpreply *r, const char *p, size_t n, size_t *used,
    char *err, size_t errlen)
{
	const char *nl;
	size_t off = 0, linelen, textlen;
	int rc;

	*used = 0;
	while (off < n) {
		nl = memchr(p + off, '\n', n - off);
		if (nl == NULL) {
			if (n - off >= SMTPREPLY_MAXLINE)
				goto toolong;
			return 0;
		}
		linelen = (size_t)(nl - (p + off)) + 1;
		if (linelen > SMTPREPLY_MAXLINE)
			goto toolong;
		textlen = linelen - 1;
		if (textlen > 0 && p[off + textlen - 1] == '\r')
			textlen--;
		rc = take_line(r, p + off, textlen, err, errlen);
		if (rc == -1)
			return -1;
		off += linelen;
		*used = off;
		if (rc == 1)
			return 1;
	}
	return 0;
toolong:
	if (errlen > 0)
		(void)snprintf(err, errlen, "reply line longer than %d bytes",
		    SMTPREPLY_MAXLINE);
	errno = EPROTO;
	return -1;
}

/*
 * smtpreply_oneline - the text of r on one line (lines joined by a
 * space) into dst, NUL-terminated and cut to fit; returns its length
 */
size_t
smtpreply_oneline(const struct smtpreply *r, char *dst, size_t dstlen)
{
	size_t n;

	if (dstlen == 0)
		return 0;
	n = r->len < dstlen - 1 ? r->len : dstlen - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = r->text[i] == '\n' ? ' ' : r->text[i];
	dst[n] = '\0';
	return n;
}

static const struct {
	const char *name;
	unsigned flag;
} known[] = {
	{ "PIPELINING", SMTPEXT_PIPELINING },
	{ "SIZE", SMTPEXT_SIZE },
	{ "8BITMIME", SMTPEXT_8BITMIME },
	{ "STARTTLS", SMTPEXT_STARTTLS },
	{ "ENHANCEDSTATUSCODES", SMTPEXT_ENHANCEDSTATUSCODES },
	{ "SMTPUTF8", SMTPEXT_SMTPUTF8 },
	{ "DSN", SMTPEXT_DSN },
	{ "CHUNKING", SMTPEXT_CHUNKING },
};

/* "SIZE n": n, or 0 for no number or one out of range (no limit known) */
static uint64_t
size_param(const char *p, size_t n)
{
	char num[24];
	const char *e;
	long long v;

	if (n == 0 || n >= sizeof(num))
		return 0;
	memcpy(num, p, n);
	num[n] = '\0';
	v = strtonum(num, 0, LLONG_MAX, &e);
	return e == NULL ? (uint64_t)v : 0;
}

/* Append one element to the list if it fits whole. */
static void
list_add(struct smtpext *x, size_t *len, const char *kw, size_t kwlen,
    const char *par, size_t parlen)
{
	size_t need = (*len > 0) + kwlen + (parlen > 0 ? 1 + parlen : 0);

	if (*len + need >= sizeof(x->list))
		return;
	if (*len > 0)
		x->list[(*len)++] = ',';
	for (size_t i = 0; i < kwlen; i++)
		x->list[(*len)++] = (char)toupper((unsigned char)kw[i]);
	if (parlen > 0) {
		x->list[(*len)++] = '=';
		for (size_t i = 0; i < parlen; i++)
			x->list[(*len)++] = par[i] == ',' ? ' ' : par[i];
	}
	x->list[*len] = '\0';
}

/* One EHLO line "KEYWORD [params]" (RFC 5321 4.1.1.1). */
static void
take_keyword(struct smtpext *x, size_t *len, const char *l, size_t n)
{
	size_t kwlen = 0, par, parlen;

	while (kwlen < n && (isalnum((unsigned char)l[kwlen]) ||
	    (kwlen > 0 && l[kwlen] == '-')))
		kwlen++;
	if (kwlen == 0 || (kwlen < n && l[kwlen] != ' '))
		return;		/* not a keyword: "AUTH=LOGIN", junk */
	for (par = kwlen; par < n && l[par] == ' '; par++)
		continue;
	parlen = n - par;
	while (parlen > 0 && l[par + parlen - 1] == ' ')
		parlen--;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].name) != kwlen ||
		    strncasecmp(known[i].name, l, kwlen) != 0)
			continue;
		x->flags |= known[i].flag;
		if (known[i].flag == SMTPEXT_SIZE)
			x->size = size_param(l + par, parlen);
	}
	list_add(x, len, l, kwlen, l + par, parlen);
}

/*
 * smtpext_parse - the keywords of an EHLO reply r: the lines after the
 * first (which names the server)
 */
void
smtpext_parse(const struct smtpreply *r, struct smtpext *x)
{
	const char *l, *end = r->text + r->len, *nl;
	size_t len = 0;

	x->flags = 0;
	x->size = 0;
	x->list[0] = '\0';
	if ((l = memchr(r->text, '\n', r->len)) == NULL)
		return;
	for (l++; l < end; l = nl + 1) {
		if ((nl = memchr(l, '\n', (size_t)(end - l))) == NULL)
			nl = end;
		take_keyword(x, &len, l, (size_t)(nl - l));
	}
}
