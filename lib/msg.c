/*
 * msg - a message as it is committed to the spool.
 *
 * msg_parse() makes every line end in CRLF (a bare LF or a bare CR counts
 * as a line end), refuses NUL bytes, and breaks lines longer than 998
 * octets the way Postfix's smtp_line_length_limit does: by inserting
 * CRLF and a space, which keeps a header field one field and does least
 * harm to MIME bodies.  The header section ends at the first empty line
 * or at the first line that is neither a field nor a continuation (that
 * line then starts the body, as in Postfix).  A leading mbox "From " line
 * is dropped, as sendmail does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"

#define ERR(...) do {						\
	(void)snprintf(err, errlen, __VA_ARGS__);		\
	errno = EINVAL;						\
	return -1;						\
} while (0)

/* msg_init - an empty message */
void
msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
}

/* msg_free - release a message */
void
msg_free(struct msg *m)
{
	buf_free(&m->head);
	buf_free(&m->body);
	free(m->f);
	msg_init(m);
}

/* Append one line (without its end) to b, broken into SMTP-sized parts. */
static int
put_line(struct msg *m, struct buf *b, const char *p, size_t n)
{
	size_t chunk = MSG_LINEMAX;

	for (;;) {
		if (n <= chunk)
			return buf_append(b, p, n) == -1 ||
			    buf_append(b, "\r\n", 2) == -1 ? -1 : 0;
		if (buf_append(b, p, chunk) == -1 ||
		    buf_append(b, "\r\n ", 3) == -1)
			return -1;
		m->nsplit++;
		p += chunk;
		n -= chunk;
		chunk = MSG_LINEMAX - 1;	/* the space takes one */
	}
}

/* Is this line a header field "name: value"? */
static size_t
field_name_len(const char *p, size_t n)
{
	size_t i;

	/* The colon must stay on the first line when a long line breaks. */
	for (i = 0; i < n && p[i] != ':' && i < MSG_LINEMAX; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 127)
			return 0;
	return i < n && i > 0 && i < MSG_LINEMAX && p[i] == ':' ? i : 0;
}

static int
add_field(struct msg *m, size_t off, size_t namelen)
{
	struct msg_field *f;

	if (m->nf == m->fcap) {
		size_t cap = m->fcap ? m->fcap * 2 : 16;

		if ((f = reallocarray(m->f, cap, sizeof(*f))) == NULL)
			return -1;
		m->f = f;
		m->fcap = cap;
	}
	m->f[m->nf].off = off;
	m->f[m->nf].len = 0;
	m->f[m->nf].namelen = namelen;
	m->nf++;
	return 0;
}

static void
close_field(struct msg *m)
{
	if (m->nf > 0)
		m->f[m->nf - 1].len = m->head.len - m->f[m->nf - 1].off;
}

/* One line of the header section; returns 1 when the body has begun. */
static int
header_line(struct msg *m, const char *p, size_t n)
{
	size_t namelen;

	if (n == 0)
		return 1;
	if ((*p == ' ' || *p == '\t') && m->nf > 0) {
		if (put_line(m, &m->head, p, n) == -1)
			return -1;
		close_field(m);
		return 0;
	}
	if ((namelen = field_name_len(p, n)) == 0)
		return 2;	/* not a field: the body starts here */
	if (add_field(m, m->head.len, namelen) == -1 ||
	    put_line(m, &m->head, p, n) == -1)
		return -1;
	close_field(m);
	return 0;
}

/* msg_parse - normalise and index a message of len bytes */
int
msg_parse(struct msg *m, const char *data, size_t len, char *err,
    size_t errlen)
{
	const char *p = data, *end = data + len, *eol;
	size_t n, lineno = 0;
	bool inhead = true;
	int r;

	msg_free(m);
	if (memchr(data, '\0', len) != NULL)
		ERR("message contains a NUL byte");
	for (const char *q = data; q < end; q++)
		if ((unsigned char)*q >= 0x80) {
			m->eightbit = true;
			break;
		}
	while (p < end) {
		for (eol = p; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			;
		n = (size_t)(eol - p);
		lineno++;
		if (lineno == 1 && n >= 5 && memcmp(p, "From ", 5) == 0) {
			/* mbox separator: not part of the message */
		} else if (inhead) {
			if ((r = header_line(m, p, n)) == -1)
				goto nomem;
			if (r > 0)
				inhead = false;
			if (r == 2 && put_line(m, &m->body, p, n) == -1)
				goto nomem;
		} else if (put_line(m, &m->body, p, n) == -1)
			goto nomem;
		if (eol < end && *eol == '\r' && eol + 1 < end &&
		    eol[1] == '\n')
			eol++;
		p = eol + 1;
	}
	if (m->nf == 0 && m->body.len == 0)
		ERR("empty message");
	return 0;
nomem:
	ERR("out of memory");
}

/* msg_find - the index of the first field name at or after i, or -1 */
int
msg_find(const struct msg *m, const char *name, size_t i)
{
	size_t n = strlen(name);

	for (; i < m->nf; i++)
		if (m->f[i].namelen == n &&
		    strncasecmp(m->head.p + m->f[i].off, name, n) == 0)
			return (int)i;
	return -1;
}

/* msg_value - the value of field i: after the colon, without the CRLF */
void
msg_value(const struct msg *m, size_t i, const char **v, size_t *n)
{
	const struct msg_field *f = &m->f[i];

	*v = m->head.p + f->off + f->namelen + 1;
	*n = f->len - f->namelen - 1 - 2;
}

/* msg_remove - delete field i */
int
msg_remove(struct msg *m, size_t i)
{
	size_t off = m->f[i].off, len = m->f[i].len;

	memmove(m->head.p + off, m->head.p + off + len,
	    m->head.len - off - len);
	m->head.len -= len;
	m->head.p[m->head.len] = '\0';
	memmove(&m->f[i], &m->f[i + 1], (m->nf - i - 1) * sizeof(m->f[0]));
	m->nf--;
	for (size_t j = i; j < m->nf; j++)
		m->f[j].off -= len;
	return 0;
}

/* msg_append - add the field "name: value" after the others */
int
msg_append(struct msg *m, const char *name, const char *value)
{
	size_t off = m->head.len;

	if (add_field(m, off, strlen(name)) == -1)
		return -1;
	if (buf_appendf(&m->head, "%s: %s\r\n", name, value) == -1) {
		m->nf--;
		return -1;
	}
	close_field(m);
	return 0;
}

/* msg_size - the bytes the message takes: head, empty line, body */
size_t
msg_size(const struct msg *m)
{
	return m->head.len + 2 + m->body.len;
}

/* msg_date - an RFC 5322 date-time for t, in local time */
int
msg_date(time_t t, char *out, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;
	int n;

	/* Names by hand: strftime's %a and %b follow the locale. */
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff / 60;
	n = snprintf(out, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Skip white space, folding and (nested) comments. */
static const char *
skip_cfws(const char *p, const char *end)
{
	int depth;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if (p >= end || *p != '(')
			return p;
		for (depth = 0; p < end; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

/* Skip a quoted string starting at p (on '"'). */
static const char *
skip_quoted(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\' && p + 1 < end)
			p++;
	return p < end ? p + 1 : p;
}

/*
 * msg_addrlist - call cb with the addr-spec of every mailbox in an RFC
 * 5322 address list (To, Cc, Bcc): display names, angle addresses,
 * groups and comments are understood; cb returning -1 stops the walk.
 */
int
msg_addrlist(const char *v, size_t len,
    int (*cb)(void *, const char *, size_t), void *arg)
{
	const char *p = v, *end = v + len, *start, *lt, *last;
	struct buf spec = BUF_INIT;
	int rc = 0;

	while (p < end && rc == 0) {
		p = skip_cfws(p, end);
		if (p >= end)
			break;
		if (*p == ',' || *p == ';') {
			p++;
			continue;
		}
		/* One mailbox, or a group's display name up to ':'. */
		start = p;
		lt = NULL;
		while (p < end && *p != ',' && *p != ';') {
			if (*p == '"')
				p = skip_quoted(p, end);
			else if (*p == '(')
				p = skip_cfws(p, end);
			else if (*p == '<') {
				lt = p;
				while (p < end && *p != '>')
					p++;
				if (p < end)
					p++;
			} else if (*p == ':' && lt == NULL &&
			    memchr(start, '@', (size_t)(p - start)) == NULL) {
				start = ++p;	/* group: its members follow */
			} else
				p++;
		}
		buf_reset(&spec);
		if (lt != NULL) {
			lt++;
			for (last = lt; last < end && *last != '>'; last++)
				;
			rc = buf_append(&spec, lt, (size_t)(last - lt));
		} else {
			/*
			 * A bare addr-spec: its text without comments and
			 * folding; a quoted local part is kept as it is.
			 */
			for (const char *q = skip_cfws(start, p); q < p;) {
				if (*q == '(') {
					q = skip_cfws(q, p);
					continue;
				}
				if (*q == '"') {
					const char *e = skip_quoted(q, p);

					if (buf_append(&spec, q, (size_t)(e - q))
					    == -1)
						rc = -1;
					q = e;
					continue;
				}
				if (*q != ' ' && *q != '\t' && *q != '\r' &&
				    *q != '\n' && buf_appendc(&spec, *q) == -1)
					rc = -1;
				q++;
			}
		}
		if (rc == 0 && spec.len > 0)
			rc = cb(arg, spec.p, spec.len);
	}
	buf_free(&spec);
	return rc;
}
