/*
 * inbound - read an inbound report (see inbound.h; what is recognised is
 * in mta-bounce(8)).
 *
 * The message is first made LF-only (CRLF and lone CR both end a line),
 * so a report reads the same whatever its line endings.  A walk of the
 * MIME tree then gathers the parts that matter: the first
 * message/delivery-status, the first message/feedback-report, the first
 * text part and the header of the original message.  Parts of an
 * attached message are never walked: a report quoted inside a report is
 * the original's business.  What the parts say is read last: ARF and
 * JMRP make complaints, a delivery-status part makes a bounce, and else
 * the text is searched for recipients and replies, which is how Exim,
 * qmail and most non-standard bounces say it.
 *
 * Invariants: every walk is bounded by INBOUND_MAXDEPTH and
 * INBOUND_MAXPARTS, every kept value by INBOUND_MAXVALUE and every list
 * by INBOUND_MAXRCPTS; every string in a result is NUL-terminated and
 * owned by the result.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "err.h"
#include "bouncecat.h"
#include "buf.h"
#include "inbound.h"
#include "proto.h"

#define DIAG_MAX	2000	/* bytes of diagnostic text kept */
#define DIAG_LINES	12	/* lines of text after an address */

/* What the walk of the MIME tree found. */
struct scan {
	struct buf	 dsn;		/* message/delivery-status, decoded */
	struct buf	 fbl;		/* message/feedback-report, decoded */
	struct buf	 text;		/* the first text/plain, decoded */
	struct buf	 html;		/* the first text/html, as text */
	struct buf	 orig;		/* header of the original message */
	bool		 report;	/* a multipart/report was seen */
	bool		 orig_seen;
	size_t		 nparts;
	const char	*rcpt;		/* known by other means, or NULL */
	char		*err;
	size_t		 errlen;
};

/* mem_find - the first place of the nlen bytes k in the n bytes at p */
static const char *
mem_find(const char *p, size_t n, const char *k, size_t nlen)
{
	const char *q;

	if (nlen == 0 || n < nlen)
		return NULL;
	for (q = p; (q = memchr(q, k[0], n - nlen + 1 - (size_t)(q - p))) !=
	    NULL; q++)
		if (memcmp(q, k, nlen) == 0)
			return q;
	return NULL;
}

/* ci_find - the first place of needle in s, ignoring ASCII case */
static const char *
ci_find(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, needle, n) == 0)
			return s;
	return NULL;
}

/* normalize - a copy of the n bytes at p with LF line ends, into b */
static int
normalize(const char *p, size_t n, struct buf *b)
{
	if (buf_grow(b, n + 1) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r') {
			b->p[b->len++] = '\n';
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else
			b->p[b->len++] = p[i] == '\0' ? ' ' : p[i];
	}
	b->p[b->len] = '\0';
	return 0;
}

/*
 * split - the header section [p, *headlen) and the body after the empty
 * line of the entity p, n bytes long; a first line that is not a field
 * means there is no header at all
 */
static void
split(const char *p, size_t n, size_t *headlen, const char **body,
    size_t *bodylen)
{
	const char *e = p + n, *q;
	size_t i;

	for (i = 0; i < n && p[i] != ':' && p[i] != '\n' && p[i] > ' ' &&
	    (unsigned char)p[i] < 127; i++)
		;
	if (n == 0 || i == 0 || i == n || p[i] != ':') {
		*headlen = 0;
		*body = p + (n > 0 && p[0] == '\n' ? 1 : 0);
		*bodylen = (size_t)(e - *body);
		return;
	}
	for (q = p; q < e; q++) {
		if (*q == '\n' && q + 1 < e && q[1] == '\n') {
			*headlen = (size_t)(q - p) + 1;
			*body = q + 2;
			*bodylen = (size_t)(e - *body);
			return;
		}
	}
	*headlen = n;
	*body = e;
	*bodylen = 0;
}

/*
 * hdr_next - the next field called name in the header h (hlen bytes),
 * from *pos on, unfolded into v with its white space squeezed and cut
 * at INBOUND_MAXVALUE; whether one was found
 */
static bool
hdr_next(const char *h, size_t hlen, size_t *pos, const char *name,
    struct buf *v)
{
	size_t nlen = strlen(name), i = *pos, end;
	bool space = false;

	while (i < hlen) {
		for (end = i; end < hlen && h[end] != '\n'; end++)
			;
		if (end - i > nlen && strncasecmp(h + i, name, nlen) == 0 &&
		    (h[i + nlen] == ':' || ((h[i + nlen] == ' ' ||
		    h[i + nlen] == '\t') && memchr(h + i + nlen, ':',
		    end - i - nlen) != NULL &&
		    strspn(h + i + nlen, " \t") ==
		    (size_t)((const char *)memchr(h + i + nlen, ':',
		    end - i - nlen) - (h + i + nlen)))))
			break;
		i = end + 1;
	}
	if (i >= hlen)
		return false;
	buf_reset(v);
	i = (size_t)((const char *)memchr(h + i, ':', hlen - i) - h) + 1;
	for (; i < hlen; i++) {
		if (h[i] == '\n') {
			if (i + 1 < hlen && (h[i + 1] == ' ' ||
			    h[i + 1] == '\t')) {
				space = true;
				continue;
			}
			break;
		}
		if (h[i] == ' ' || h[i] == '\t') {
			space = true;
			continue;
		}
		if (v->len >= INBOUND_MAXVALUE)
			continue;
		if (space && v->len > 0)
			(void)buf_appendc(v, ' ');
		space = false;
		(void)buf_appendc(v, h[i]);
	}
	*pos = i;
	if (v->p == NULL)
		(void)buf_set(v, "", 0);
	return true;
}

/* hdr_get - the first field called name of the header, into v */
static bool
hdr_get(const char *h, size_t hlen, const char *name, struct buf *v)
{
	size_t pos = 0;

	return hdr_next(h, hlen, &pos, name, v);
}

/* lower - the value of v in lower case up to ';' or a space */
static void
media_type(const struct buf *v, char *t, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && i < v->len && v->p[i] != ';' &&
	    v->p[i] != ' '; i++)
		t[i] = (char)tolower((unsigned char)v->p[i]);
	t[i] = '\0';
}

/* param - the parameter name of a Content-Type value v, into out */
static bool
param(const struct buf *v, const char *name, char *out, size_t size)
{
	const char *p = v->p, *e = v->p + v->len, *s;
	size_t nlen = strlen(name), n = 0;

	while ((p = memchr(p, ';', (size_t)(e - p))) != NULL) {
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(e - p) <= nlen || strncasecmp(p, name, nlen) != 0)
			continue;
		s = p + nlen;
		while (s < e && *s == ' ')
			s++;
		if (s >= e || *s != '=')
			continue;
		s++;
		while (s < e && *s == ' ')
			s++;
		if (s < e && *s == '"') {
			for (s++; s < e && *s != '"' && n + 1 < size; s++)
				out[n++] = *s;
		} else {
			for (; s < e && *s != ';' && *s != ' ' && n + 1 < size;
			    s++)
				out[n++] = *s;
		}
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* decode_qp - append the quoted-printable text p to out */
static int
decode_qp(const char *p, size_t n, struct buf *out)
{
	int hi, lo, c;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '=' && i + 1 < n && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == '=' && i + 2 < n &&
		    (hi = proto_hexval(p[i + 1])) != -1 &&
		    (lo = proto_hexval(p[i + 2])) != -1) {
			c = hi * 16 + lo;
			/* no NUL in a string, no CR in a line */
			if (buf_appendc(out, c == 0 || c == '\r' ? ' ' : c) ==
			    -1)
				return -1;
			i += 2;
			continue;
		}
		if (buf_appendc(out, p[i]) == -1)
			return -1;
	}
	return 0;
}

/* decode_b64 - append the base64 text p to out; garbage ends it */
static int
decode_b64(const char *p, size_t n, struct buf *out)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char chunk[4096 + 64];
	int got, in;

	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	EVP_DecodeInit(ctx);
	while (n > 0) {
		in = n > 4096 ? 4096 : (int)n;
		if (EVP_DecodeUpdate(ctx, chunk, &got, (const unsigned char *)p,
		    in) == -1)
			break;
		if (buf_append(out, chunk, (size_t)got) == -1)
			goto fail;
		p += in;
		n -= (size_t)in;
	}
	if (EVP_DecodeFinal(ctx, chunk, &got) == 1 && got > 0 &&
	    buf_append(out, chunk, (size_t)got) == -1)
		goto fail;
	EVP_ENCODE_CTX_free(ctx);
	/* what was decoded may hold CRs again */
	for (size_t i = 0; i < out->len; i++)
		if (out->p[i] == '\r' || out->p[i] == '\0')
			out->p[i] = out->p[i] == '\r' && i + 1 < out->len &&
			    out->p[i + 1] == '\n' ? ' ' : '\n';
	return 0;

fail:
	EVP_ENCODE_CTX_free(ctx);
	return -1;
}

/* decode - append the body of an entity with header h to out */
static int
decode(const char *h, size_t hlen, const char *p, size_t n, struct buf *out)
{
	struct buf v = BUF_INIT;
	char cte[32];
	int rc;

	cte[0] = '\0';
	if (hdr_get(h, hlen, "Content-Transfer-Encoding", &v))
		media_type(&v, cte, sizeof(cte));
	buf_free(&v);
	if (strcmp(cte, "base64") == 0)
		rc = decode_b64(p, n, out);
	else if (strcmp(cte, "quoted-printable") == 0)
		rc = decode_qp(p, n, out);
	else
		rc = buf_append(out, p, n);
	if (rc == 0 && out->p == NULL)
		rc = buf_set(out, "", 0);
	return rc;
}

/* strip_html - append the text of the HTML at p to out */
static int
strip_html(const char *p, size_t n, struct buf *out)
{
	bool tag = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '<') {
			tag = true;
			if (i + 3 < n && (strncasecmp(p + i, "<br", 3) == 0 ||
			    strncasecmp(p + i, "<p", 2) == 0 ||
			    strncasecmp(p + i, "<tr", 3) == 0))
				(void)buf_appendc(out, '\n');
			continue;
		}
		if (p[i] == '>' && tag) {
			tag = false;
			continue;
		}
		if (tag)
			continue;
		if (p[i] == '&' && strncasecmp(p + i, "&lt;", 4) == 0) {
			(void)buf_appendc(out, '<');
			i += 3;
		} else if (p[i] == '&' && strncasecmp(p + i, "&gt;", 4) == 0) {
			(void)buf_appendc(out, '>');
			i += 3;
		} else if (p[i] == '&' && strncasecmp(p + i, "&nbsp;", 6) ==
		    0) {
			(void)buf_appendc(out, ' ');
			i += 5;
		} else if (buf_appendc(out, p[i]) == -1)
			return -1;
	}
	return 0;
}

static int walk(struct scan *, const char *, size_t, int);
static char *header_addr(const char *, size_t, const char *);

/* is_delim - whether the line at p (n bytes) is "--boundary" or "--b--" */
static int
is_delim(const char *p, size_t n, const char *b, size_t blen)
{
	if (n < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return 0;
	p += blen + 2;
	n -= blen + 2;
	if (n >= 2 && p[0] == '-' && p[1] == '-')
		return 2;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	return n == 0 ? 1 : 0;
}

/*
 * walk_multipart - walk each part of the body p between the delimiters
 * of boundary b; a body without any delimiter is taken as text
 */
static int
walk_multipart(struct scan *s, const char *p, size_t n, const char *b,
    int depth)
{
	const char *e = p + n, *line = p, *nl, *start = NULL;
	size_t blen = strlen(b);
	int d;

	while (line < e) {
		if ((nl = memchr(line, '\n', (size_t)(e - line))) == NULL)
			nl = e;
		if ((d = is_delim(line, (size_t)(nl - line), b, blen)) != 0) {
			if (start != NULL && walk(s, start, (size_t)(line -
			    start), depth + 1) == -1)
				return -1;
			start = d == 1 && nl < e ? nl + 1 : NULL;
			if (d == 2)
				return 0;
		}
		line = nl + 1;
	}
	if (start != NULL)	/* no closing delimiter: up to the end */
		return walk(s, start, (size_t)(e - start), depth + 1);
	if (s->nparts == 1 && s->text.p == NULL)
		return decode("", 0, p, n, &s->text);
	return 0;
}

/* walk - take what matters from the entity p and, for a multipart, its
 * parts */
static int
walk(struct scan *s, const char *p, size_t n, int depth)
{
	struct buf v = BUF_INIT;
	const char *body;
	size_t hlen, blen, ohlen;
	char type[64], b[256];
	int rc = 0;

	if (++s->nparts > INBOUND_MAXPARTS) {
		err_msg(s->err, s->errlen, "more than %d MIME parts",
		    INBOUND_MAXPARTS);
		errno = E2BIG;
		return -1;
	}
	split(p, n, &hlen, &body, &blen);
	if (hlen > INBOUND_MAXHEADER) {
		err_msg(s->err, s->errlen, "a header section longer than %d "
		    "bytes", INBOUND_MAXHEADER);
		errno = E2BIG;
		return -1;
	}
	(void)strlcpy(type, "text/plain", sizeof(type));
	if (hdr_get(p, hlen, "Content-Type", &v) && v.len > 0)
		media_type(&v, type, sizeof(type));
	if (strncmp(type, "multipart/", 10) == 0) {
		if (depth >= INBOUND_MAXDEPTH) {
			err_msg(s->err, s->errlen, "MIME parts nested deeper "
			    "than %d", INBOUND_MAXDEPTH);
			errno = E2BIG;
			rc = -1;
		} else if (!param(&v, "boundary", b, sizeof(b))) {
			/* no boundary: the body is all there is to read */
			if (s->text.p == NULL)
				rc = decode(p, hlen, body, blen, &s->text);
		} else {
			if (strcmp(type, "multipart/report") == 0)
				s->report = true;
			rc = walk_multipart(s, body, blen, b, depth);
		}
	} else if (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) {
		if (s->dsn.p == NULL)
			rc = decode(p, hlen, body, blen, &s->dsn);
	} else if (strcmp(type, "message/feedback-report") == 0) {
		if (s->fbl.p == NULL)
			rc = decode(p, hlen, body, blen, &s->fbl);
	} else if (strncmp(type, "message/", 8) == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0) {
		if (!s->orig_seen) {
			struct buf m = BUF_INIT;

			s->orig_seen = true;
			if ((rc = decode(p, hlen, body, blen, &m)) == 0) {
				split(m.p, m.len, &ohlen, &body, &blen);
				if (ohlen > INBOUND_MAXHEADER)
					ohlen = INBOUND_MAXHEADER;
				rc = buf_append(&s->orig, m.p, ohlen);
			}
			buf_free(&m);
		}
	} else if (strcmp(type, "text/html") == 0) {
		if (s->html.p == NULL) {
			struct buf m = BUF_INIT;

			if ((rc = decode(p, hlen, body, blen, &m)) == 0)
				rc = strip_html(m.p, m.len, &s->html);
			if (rc == 0 && s->html.p == NULL)
				rc = buf_set(&s->html, "", 0);
			buf_free(&m);
		}
	} else if (strncmp(type, "text/", 5) == 0 && s->text.p == NULL)
		rc = decode(p, hlen, body, blen, &s->text);
	buf_free(&v);
	if (rc == -1 && errno == ENOMEM)
		err_msg(s->err, s->errlen, "out of memory");
	return rc;
}

/* Results. */

/* dupn - a NUL-terminated copy of n bytes, or NULL */
static char *
dupn(const char *p, size_t n)
{
	char *s;

	if (n > INBOUND_MAXVALUE)
		n = INBOUND_MAXVALUE;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	/* a value is one line of printable text */
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' || s[i] == '\t')
			s[i] = ' ';
	return s;
}

static struct inbound_rcpt *
add_rcpt(struct inbound *in)
{
	struct inbound_rcpt *r;

	if (in->n >= INBOUND_MAXRCPTS) {
		errno = E2BIG;
		return NULL;
	}
	if ((r = reallocarray(in->r, in->n + 1, sizeof(*r))) == NULL)
		return NULL;
	in->r = r;
	r = &in->r[in->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static bool
atext(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+/=?^_`{|}~.-", c) !=
	    NULL);
}

static bool
dtext(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_';
}

/*
 * find_addr - the first address in the n bytes at p: its start in *at and
 * its length, or 0
 */
static size_t
find_addr(const char *p, size_t n, const char **at)
{
	const char *e = p + n, *q, *s, *t;

	for (q = p; q < e && (q = memchr(q, '@', (size_t)(e - q))) != NULL;
	    q++) {
		for (s = q; s > p && atext((unsigned char)s[-1]); s--)
			;
		while (s < q && *s == '.')
			s++;
		for (t = q + 1; t < e && dtext((unsigned char)*t); t++)
			;
		while (t > q + 1 && (t[-1] == '.' || t[-1] == '-'))
			t--;
		if (s == q || t == q + 1 || memchr(q + 1, '.',
		    (size_t)(t - q - 1)) == NULL)
			continue;
		*at = s;
		return (size_t)(t - s);
	}
	return 0;
}

/* addr_value - the address in a field value such as "rfc822; <a@b>" */
static char *
addr_value(const char *v, size_t n)
{
	const char *a, *semi;
	size_t len;

	if ((semi = memchr(v, ';', n)) != NULL) {
		n -= (size_t)(semi + 1 - v);
		v = semi + 1;
	}
	if ((len = find_addr(v, n, &a)) == 0) {
		while (n > 0 && (*v == ' ' || *v == '<')) {
			v++;
			n--;
		}
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '>'))
			n--;
		return n > 0 ? dupn(v, n) : NULL;
	}
	return dupn(a, len);
}

/*
 * find_status - the first RFC 3463 status "c.s.d" in the n bytes at p, c
 * in 2, 4 or 5, not part of a longer dotted number, into st; whether one
 */
static bool
find_status(const char *p, size_t n, char *st, size_t size)
{
	size_t i, j, k, d1, d2;

	for (i = 0; i + 5 <= n; i++) {
		if ((p[i] != '2' && p[i] != '4' && p[i] != '5') ||
		    p[i + 1] != '.')
			continue;
		if (i > 0 && (isdigit((unsigned char)p[i - 1]) ||
		    p[i - 1] == '.'))
			continue;
		for (j = i + 2, d1 = 0; j < n && isdigit((unsigned char)p[j]) &&
		    d1 < 3; j++, d1++)
			;
		if (d1 == 0 || j >= n || p[j] != '.')
			continue;
		for (k = j + 1, d2 = 0; k < n && isdigit((unsigned char)p[k]) &&
		    d2 < 3; k++, d2++)
			;
		if (d2 == 0 || (k < n && (isdigit((unsigned char)p[k]) ||
		    (p[k] == '.' && k + 1 < n &&
		    isdigit((unsigned char)p[k + 1])))))
			continue;
		if (k - i + 1 > size)
			continue;
		memcpy(st, p + i, k - i);
		st[k - i] = '\0';
		return true;
	}
	return false;
}

/* find_code - the first SMTP reply code "[245]dd" followed by a space or
 * '-' in the n bytes at p, or 0 */
static int
find_code(const char *p, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if ((p[i] != '2' && p[i] != '4' && p[i] != '5') ||
		    !isdigit((unsigned char)p[i + 1]) ||
		    !isdigit((unsigned char)p[i + 2]))
			continue;
		if (i > 0 && (isalnum((unsigned char)p[i - 1]) ||
		    p[i - 1] == '.' || p[i - 1] == '#' || p[i - 1] == '-' ||
		    p[i - 1] == ':' || p[i - 1] == '/'))
			continue;
		if (i + 3 < n && p[i + 3] != ' ' && p[i + 3] != '-' &&
		    p[i + 3] != '\n')
			continue;
		if (p[i + 1] > '5')
			continue;
		return (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 +
		    (p[i + 2] - '0');
	}
	return 0;
}


/* valid_status - whether s is a whole RFC 3463 status, "5.1.1" */
static bool
valid_status(const char *s)
{
	char st[16];

	return find_status(s, strlen(s), st, sizeof(st)) &&
	    strcmp(st, s) == 0;
}

/*
 * status_after_code - the status right after the first reply code of
 * the n bytes at p ("550 5.1.1", "550-5.1.1"), into st; whether one
 */
static bool
status_after_code(const char *p, size_t n, char *st, size_t size)
{
	size_t at;

	for (size_t i = 0; i + 9 <= n; i++) {
		if (find_code(p + i, 4) == 0 || (i > 0 &&
		    (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '.')))
			continue;
		at = i + 4;

		if (p[i + 3] != ' ' && p[i + 3] != '-')
			continue;
		if (at < n && (p[at] == '\'' || p[at] == '"'))
			at++;
		if (find_status(p + at, n - at, st, size) &&
		    strncmp(p + at, st, strlen(st)) == 0)
			return true;
	}
	return false;
}

/*
 * finish_rcpt - fill what a record lacks from its diagnostic: the reply
 * code, a status more precise than x.0.0, the category and a status
 * derived from the category when there is none at all
 */
static int
finish_rcpt(struct inbound_rcpt *r, const struct bouncecat *bc)
{
	char st[16];
	const char *d = r->diag != NULL ? r->diag : "";
	size_t dl = strlen(d);
	bool have;

	if (r->code == 0)
		r->code = find_code(d, dl);
	have = status_after_code(d, dl, st, sizeof(st)) ||
	    find_status(d, dl, st, sizeof(st));
	if (r->status != NULL && !valid_status(r->status)) {
		free(r->status);
		r->status = NULL;
	}
	/*
	 * The diagnostic is the remote server's own word; a Status field
	 * is often the reporting MTA's summary of it ("5.0.0", "4.4.7").
	 */
	if (have && (r->status == NULL || (st[0] == r->status[0] &&
	    strcmp(st, r->status) != 0))) {
		free(r->status);
		if ((r->status = strdup(st)) == NULL)
			return -1;
	}
	if (r->action != NULL && (strcmp(r->action, "delivered") == 0 ||
	    strcmp(r->action, "relayed") == 0 ||
	    strcmp(r->action, "expanded") == 0 ||
	    strcmp(r->action, "deliverable") == 0))
		return 0;
	if (r->status != NULL && r->status[0] == '2') {
		free(r->action);
		return (r->action = strdup("delivered")) == NULL ? -1 : 0;
	}
	r->category = bouncecat_classify(bc, r->code, r->status, r->diag);
	if (r->status == NULL && (r->status = strdup(
	    bouncecat_default_status(r->category, r->code))) == NULL)
		return -1;
	if (r->action == NULL && (r->action = strdup(r->status[0] == '4' ?
	    "delayed" : "failed")) == NULL)
		return -1;
	return 0;
}

/* lower_word - v cut at the first space or ';', in lower case */
static char *
lower_word(const struct buf *v)
{
	size_t n = strcspn(v->p, " ;(");
	char *s;

	if ((s = dupn(v->p, n)) == NULL)
		return NULL;
	for (char *q = s; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return s;
}

/* Complaints. */

/* read_arf - the records of a message/feedback-report part */
static int
read_arf(struct inbound *in, struct scan *s, const char *tophead,
    size_t tophlen)
{
	struct buf v = BUF_INIT;
	struct inbound_rcpt *r;
	const char *f = s->fbl.p;
	size_t flen = s->fbl.len, pos = 0, hlen, blen;
	const char *body;
	char *type = NULL;

	(void)tophead;
	(void)tophlen;
	split(f, flen, &hlen, &body, &blen);
	if (hlen == 0)
		hlen = flen;
	in->kind = INBOUND_COMPLAINT;
	in->format = "arf";
	if (hdr_get(f, hlen, "Feedback-Type", &v) && v.len > 0 &&
	    (type = lower_word(&v)) == NULL)
		goto fail;
	if (hdr_get(f, hlen, "User-Agent", &v) && v.len > 0 &&
	    (in->user_agent = dupn(v.p, v.len)) == NULL)
		goto fail;
	if (hdr_get(f, hlen, "Source-IP", &v) && v.len > 0 &&
	    (in->source_ip = dupn(v.p, v.len)) == NULL)
		goto fail;
	if (hdr_get(f, hlen, "Reported-Domain", &v) && v.len > 0 &&
	    (in->reported_domain = dupn(v.p, v.len)) == NULL)
		goto fail;
	if (hdr_get(f, hlen, "Reporting-MTA", &v) && v.len > 0 &&
	    (in->reporting_mta = addr_value(v.p, v.len)) == NULL)
		goto fail;
	if (hdr_get(f, hlen, "Original-Mail-From", &v) && v.len > 0)
		in->orig = addr_value(v.p, v.len);
	while (hdr_next(f, hlen, &pos, "Original-Rcpt-To", &v)) {
		if ((r = add_rcpt(in)) == NULL)
			goto fail;
		r->rcpt = addr_value(v.p, v.len);
	}
	if (in->n == 0) {
		if ((r = add_rcpt(in)) == NULL)
			goto fail;
		if (s->orig.len > 0 && hdr_get(s->orig.p, s->orig.len, "To",
		    &v))
			r->rcpt = addr_value(v.p, v.len);
		else if (hdr_get(f, hlen, "Removal-Recipient", &v))
			r->rcpt = addr_value(v.p, v.len);
	}
	for (size_t i = 0; i < in->n; i++) {
		in->r[i].action = strdup("complaint");
		in->r[i].feedback_type = strdup(type != NULL ? type : "abuse");
		if (in->r[i].action == NULL || in->r[i].feedback_type == NULL)
			goto fail;
	}
	free(type);
	buf_free(&v);
	return 0;

fail:
	free(type);
	buf_free(&v);
	return -1;
}

/*
 * read_jmrp - Microsoft's complaints: an attached message that carries
 * X-HmXmrOriginalRecipient, from a Hotmail/Outlook feedback address
 */
static bool
read_jmrp(struct inbound *in, struct scan *s, const char *h, size_t hlen)
{
	struct buf v = BUF_INIT;
	struct inbound_rcpt *r;
	const char *where = s->orig.p;
	size_t wlen = s->orig.len;
	bool found;

	found = wlen > 0 && hdr_get(where, wlen, "X-HmXmrOriginalRecipient",
	    &v);
	if (!found && hdr_get(h, hlen, "X-HmXmrOriginalRecipient", &v)) {
		/* the complaint is the original, Hotmail's fields on top */
		found = true;
		where = h;
		wlen = hlen;
	}
	if (!found) {
		/* some forward the original inline, without a part */
		const char *b = s->text.p != NULL ? s->text.p : h;
		size_t blen = s->text.p != NULL ? s->text.len : hlen;
		const char *x = b != NULL ? ci_find(b,
		    "\nX-HmXmrOriginalRecipient:") : NULL;

		if (x != NULL && (size_t)(x - b) < blen) {
			found = hdr_get(x + 1, blen - (size_t)(x + 1 - b),
			    "X-HmXmrOriginalRecipient", &v);
			where = NULL;
		}
	}
	if (!found) {
		buf_free(&v);
		return false;
	}
	in->kind = INBOUND_COMPLAINT;
	in->format = "jmrp";
	if ((r = add_rcpt(in)) != NULL) {
		r->rcpt = addr_value(v.p, v.len);
		r->action = strdup("complaint");
		r->feedback_type = strdup("abuse");
	}
	if (where != NULL && hdr_get(where, wlen, "From", &v))
		in->orig = addr_value(v.p, v.len);
	buf_free(&v);
	return true;
}

/*
 * read_unsubscribe - Apple Mail's "unsubscribe" mail (X-Apple-Unsubscribe):
 * the sender asks to be taken off the list, an opt-out complaint
 */
static bool
read_unsubscribe(struct inbound *in, const char *h, size_t hlen)
{
	struct buf v = BUF_INIT;
	struct inbound_rcpt *r;
	bool yes;

	yes = hdr_get(h, hlen, "X-Apple-Unsubscribe", &v) &&
	    strncasecmp(buf_cstr(&v), "true", 4) == 0;
	buf_free(&v);
	if (!yes)
		return false;
	in->kind = INBOUND_COMPLAINT;
	in->format = "unsubscribe";
	if ((r = add_rcpt(in)) != NULL) {
		r->rcpt = header_addr(h, hlen, "From");
		r->action = strdup("complaint");
		r->feedback_type = strdup("opt-out");
	}
	return true;
}

/* Bounces with a delivery-status part. */

/* read_block - one recipient block of a delivery-status part */
static int
read_block(struct inbound *in, const char *b, size_t n)
{
	struct buf v = BUF_INIT;
	struct inbound_rcpt *r;
	char *final = NULL, *orcpt = NULL;
	const char *d;

	if (hdr_get(b, n, "Reporting-MTA", &v) && in->reporting_mta == NULL)
		in->reporting_mta = addr_value(v.p, v.len);
	if (hdr_get(b, n, "Final-Recipient", &v))
		final = addr_value(v.p, v.len);
	if (hdr_get(b, n, "Original-Recipient", &v))
		orcpt = addr_value(v.p, v.len);
	if (final == NULL && orcpt == NULL) {
		buf_free(&v);
		return 0;
	}
	if ((r = add_rcpt(in)) == NULL) {
		free(final);
		free(orcpt);
		buf_free(&v);
		return errno == E2BIG ? 0 : -1;
	}
	r->rcpt = final != NULL ? final : strdup(orcpt);
	r->orcpt = orcpt;
	if (hdr_get(b, n, "Action", &v) && v.len > 0)
		r->action = lower_word(&v);
	if (hdr_get(b, n, "Status", &v) && v.len > 0)
		r->status = dupn(v.p, strcspn(v.p, " ;("));
	if (hdr_get(b, n, "Diagnostic-Code", &v) && v.len > 0) {
		/* "smtp; 550 ..." loses its type; "X-Unix; 255" keeps it */
		d = memchr(v.p, ';', v.len);
		d = d != NULL && d - v.p < 20 && strncasecmp(v.p, "smtp",
		    4) == 0 ? d + 1 : v.p;
		while (*d == ' ')
			d++;
		r->diag = dupn(d, strlen(d));
	}
	buf_free(&v);
	return 0;
}

/* read_dsn - the records of a message/delivery-status part */
static int
read_dsn(struct inbound *in, const struct buf *dsn)
{
	const char *p = dsn->p, *e = dsn->p + dsn->len, *q;

	while (p < e) {
		while (p < e && (*p == '\n' || *p == ' ' || *p == '\t'))
			p++;
		for (q = p; q < e && !(q[0] == '\n' && q + 1 < e &&
		    (q[1] == '\n')); q++)
			;
		if (q > p && read_block(in, p, (size_t)(q - p) + 1) == -1)
			return -1;
		p = q + 1;
	}
	return 0;
}

/* Amazon SES notifications, JSON in the text. */

/*
 * json_str - the string value of "key": in the n bytes at p, up to the
 * first '}' (the end of the object), into out; whether there was one.
 * Escapes other than \" and \\ are kept as they are.
 */
static bool
json_str(const char *p, size_t n, const char *key, struct buf *out)
{
	const char *e, *q;
	char pat[64];
	size_t plen;

	if ((e = memchr(p, '}', n)) == NULL)
		e = p + n;
	plen = (size_t)snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	for (q = p; q + plen <= e; q++)
		if (memcmp(q, pat, plen) == 0)
			break;
	if (q + plen > e)
		return false;
	buf_reset(out);
	for (q += plen; q < e && *q != '"' && out->len < INBOUND_MAXVALUE;
	    q++) {
		if (*q == '\\' && q + 1 < e && (q[1] == '"' || q[1] == '\\'))
			q++;
		if (buf_appendc(out, *q) == -1)
			return false;
	}
	if (out->p == NULL)
		(void)buf_set(out, "", 0);
	return true;
}

/*
 * read_ses - an Amazon SES bounce or complaint notification (SNS JSON):
 * one record for each object of bouncedRecipients or
 * complainedRecipients; whether the text was one
 */
static int
read_ses(struct inbound *in, const char *p, size_t n)
{
	static const char bounce[] = "\"notificationType\":\"Bounce\"";
	static const char compl[] = "\"notificationType\":\"Complaint\"";
	const char *e = p + n, *list, *at;
	struct buf v = BUF_INIT, ft = BUF_INIT;
	struct inbound_rcpt *r;
	bool complaint;

	if (n < sizeof(bounce) || (!(complaint = mem_find(p, n, compl,
	    sizeof(compl) - 1) != NULL) && mem_find(p, n, bounce,
	    sizeof(bounce) - 1) == NULL))
		return 0;
	list = mem_find(p, n, complaint ? "\"complainedRecipients\":[" :
	    "\"bouncedRecipients\":[", complaint ? 24 : 21);
	if (list == NULL)
		return 0;
	in->kind = complaint ? INBOUND_COMPLAINT : INBOUND_BOUNCE;
	in->format = "amazonses";
	if (complaint && !json_str(p, n, "complaintFeedbackType", &ft))
		(void)buf_set(&ft, "abuse", 5);
	for (at = list; at < e && *at != ']' &&
	    (at = mem_find(at, (size_t)(e - at), "{\"emailAddress\":\"", 17)) !=
	    NULL; at++) {
		if ((r = add_rcpt(in)) == NULL)
			break;
		if (json_str(at, (size_t)(e - at), "emailAddress", &v))
			r->rcpt = dupn(v.p, v.len);
		if (complaint) {
			r->action = strdup("complaint");
			r->feedback_type = dupn(ft.p, ft.len);
			continue;
		}
		if (json_str(at, (size_t)(e - at), "action", &v))
			r->action = dupn(v.p, v.len);
		if (json_str(at, (size_t)(e - at), "status", &v))
			r->status = dupn(v.p, v.len);
		if (json_str(at, (size_t)(e - at), "diagnosticCode", &v)) {
			const char *d = v.p;

			if (strncasecmp(d, "smtp;", 5) == 0)
				d += 5 + strspn(d + 5, " ");
			r->diag = dupn(d, strlen(d));
		}
	}
	buf_free(&v);
	buf_free(&ft);
	return in->n > 0 ? 1 : 0;
}

/*
 * ses_text - read_ses() on the text, or on the text unescaped once: SNS
 * puts the notification as a JSON string into its own JSON
 */
static int
ses_text(struct inbound *in, const struct buf *t)
{
	struct buf u = BUF_INIT;
	int rc;

	if ((rc = read_ses(in, t->p, t->len)) != 0 ||
	    mem_find(t->p, t->len, "\\\"notificationType\\\"", 20) == NULL)
		return rc;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] == '\\' && i + 1 < t->len && (t->p[i + 1] == '"' ||
		    t->p[i + 1] == '\\'))
			i++;
		if (buf_appendc(&u, t->p[i]) == -1) {
			buf_free(&u);
			return -1;
		}
	}
	rc = read_ses(in, u.p, u.len);
	buf_free(&u);
	return rc;
}

/* Bounces in plain text. */

static const char *const cut_marks[] = {
	"copy of the message", "original message follows",
	"- original message", "original message -", "original message:",
	"message follows",
	"returned message", "unsent message", "header of the original",
	"original mail", "headers of your message", "message header follows",
	"content-type: message/rfc822", "text of your message",
	"below is a copy", "your message reads", "original text follows",
	"undelivered message", "headers follow", "message headers",
	"forwarded message", NULL
};

/* text_end - where the report in the text ends: at a quoted original */
static size_t
text_end(const char *p, size_t n)
{
	const char *e = p + n, *line = p, *nl;
	char low[128];
	size_t len;

	while (line < e) {
		if ((nl = memchr(line, '\n', (size_t)(e - line))) == NULL)
			nl = e;
		len = (size_t)(nl - line) < sizeof(low) - 1 ?
		    (size_t)(nl - line) : sizeof(low) - 1;
		for (size_t i = 0; i < len; i++)
			low[i] = (char)tolower((unsigned char)line[i]);
		low[len] = '\0';
		for (size_t i = 0; cut_marks[i] != NULL; i++)
			if (strstr(low, cut_marks[i]) != NULL && line > p)
				return (size_t)(line - p);
		if ((strncmp(low, "received:", 9) == 0 ||
		    strncmp(low, "return-path:", 12) == 0) && line > p)
			return (size_t)(line - p);
		line = nl + 1;
	}
	return n;
}

/* same_addr - whether a (n bytes) is the address s, ignoring case */
static bool
same_addr(const char *a, size_t n, const char *s)
{
	return s != NULL && strlen(s) == n && strncasecmp(a, s, n) == 0;
}

/*
 * addr_line - whether the line (n bytes, leading blanks gone) names a
 * recipient: it begins with the address, maybe in <>, maybe quoted
 */
static size_t
addr_line(const char *l, size_t n, const char **a)
{
	size_t len, skip = 0;

	while (skip < n && (l[skip] == '<' || l[skip] == '"' ||
	    l[skip] == '\'' || l[skip] == '*' || l[skip] == '-'))
		skip++;
	if ((len = find_addr(l + skip, n - skip, a)) == 0 || *a != l + skip)
		return 0;
	return len;
}

/*
 * read_text - the records of a bounce told in text: each line that begins
 * with an address is a recipient, the rest of the line and the lines
 * after it its diagnostic; with anywhere, a line holding an address
 * anywhere is a recipient, and all of the line is diagnostic.  Quoting
 * ("> ") of a forwarded bounce is skipped.
 */
static int
read_text(struct inbound *in, const char *p, size_t n, const char *self,
    const char *sender, bool anywhere)
{
	const char *e = p + n, *line = p, *nl, *l, *a;
	struct inbound_rcpt *r = NULL;
	struct buf diag = BUF_INIT;
	size_t len, lines = 0;
	bool dup;

	while (line < e) {
		if ((nl = memchr(line, '\n', (size_t)(e - line))) == NULL)
			nl = e;
		for (l = line; l < nl && (*l == ' ' || *l == '\t' ||
		    *l == '>'); l++)
			;
		if (anywhere)
			len = find_addr(l, (size_t)(nl - l), &a);
		else
			len = addr_line(l, (size_t)(nl - l), &a);
		dup = false;
		for (size_t i = 0; len > 0 && i < in->n; i++)
			if (same_addr(a, len, in->r[i].rcpt))
				dup = true;
		/* an address already seen is part of the diagnostic */
		if (len > 0 && !dup && !same_addr(a, len, self) &&
		    !same_addr(a, len, sender)) {
			if (r != NULL && (r->diag = dupn(diag.p != NULL ?
			    diag.p : "", diag.len)) == NULL)
				goto fail;
			buf_reset(&diag);
			if ((r = add_rcpt(in)) == NULL)
				break;
			if ((r->rcpt = dupn(a, len)) == NULL)
				goto fail;
			lines = 0;
			if (!anywhere) {
				l = a + len;
				while (l < nl && (*l == '>' || *l == ':' ||
				    *l == '"' || *l == ' ' || *l == '.'))
					l++;
			}
		}
		/* a blank line after a reply ends what a recipient got */
		if (r != NULL && !anywhere && l == nl && diag.len > 0 &&
		    find_code(diag.p, diag.len) != 0)
			lines = DIAG_LINES;
		if (r != NULL && l < nl && lines < DIAG_LINES &&
		    diag.len < DIAG_MAX) {
			if (diag.len > 0)
				(void)buf_appendc(&diag, ' ');
			(void)buf_append(&diag, l, (size_t)(nl - l));
			lines++;
		}
		line = nl + 1;
	}
	if (r != NULL && (r->diag = dupn(diag.p != NULL ? diag.p : "",
	    diag.len)) == NULL)
		goto fail;
	buf_free(&diag);
	return 0;

fail:
	buf_free(&diag);
	return -1;
}

/* squeeze_text - the n bytes at p as one line, at most DIAG_MAX bytes */
static char *
squeeze_text(const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	char *s;
	bool space = false;

	for (size_t i = 0; i < n && b.len < DIAG_MAX; i++) {
		if (isspace((unsigned char)p[i])) {
			space = true;
			continue;
		}
		if (space && b.len > 0)
			(void)buf_appendc(&b, ' ');
		space = false;
		(void)buf_appendc(&b, p[i]);
	}
	s = dupn(b.p != NULL ? b.p : "", b.len);
	buf_free(&b);
	return s;
}

static bool
contains_any(const char *s, const char *const *words)
{
	for (size_t i = 0; s != NULL && words[i] != NULL; i++)
		if (ci_find(s, words[i]) != NULL)
			return true;
	return false;
}

/* looks_bounce - whether the top header says "a delivery failed" */
static bool
looks_bounce(const char *h, size_t hlen, const struct scan *s)
{
	static const char *const from[] = { "mailer-daemon", "postmaster",
	    "mail delivery", "maildelivery", "mail-daemon", "mailerdaemon",
	    "daemon@", NULL };
	static const char *const subj[] = { "undeliver", "undelivered",
	    "delivery status", "delivery fail", "delivery notification",
	    "returned mail", "failure notice", "mail delivery", "delivery "
	    "report", "could not be delivered", "non-deliver", "nondeliver",
	    "not delivered", "delivery has failed", "delivery problem",
	    "failed delivery", "mail system error", "rejected", "bounce",
	    "warning: could not", "mail failure", "error sending", NULL };
	struct buf v = BUF_INIT;
	bool yes = s->report || s->dsn.p != NULL;

	if (!yes && hdr_get(h, hlen, "X-Failed-Recipients", &v))
		yes = true;
	if (!yes && hdr_get(h, hlen, "From", &v) &&
	    contains_any(buf_cstr(&v), from))
		yes = true;
	if (!yes && hdr_get(h, hlen, "Subject", &v) &&
	    contains_any(buf_cstr(&v), subj))
		yes = true;
	buf_free(&v);
	return yes;
}

/* text_says_bounce - whether the first text part says "not delivered" */
static bool
text_says_bounce(const struct scan *s)
{
	static const char *const words[] = { "could not be delivered",
	    "was not delivered", "undeliverable", "delivery failed",
	    "delivery has failed", "permanent error", "unable to deliver",
	    "message could not be delivered", NULL };
	const struct buf *t = s->text.p != NULL ? &s->text : &s->html;
	char head[2048];
	size_t n;

	if (t->p == NULL)
		return false;
	/* the first lines are where a bounce says so */
	n = t->len < sizeof(head) - 1 ? t->len : sizeof(head) - 1;
	memcpy(head, t->p, n);
	head[n] = '\0';
	return contains_any(head, words);
}

/* looks_autoreply - whether the top header says "an automatic reply" */
static bool
looks_autoreply(const char *h, size_t hlen)
{
	static const char *const subj[] = { "auto:", "automatic reply",
	    "autoreply", "auto-reply", "auto reply", "out of office",
	    "out of the office", "vacation", "away from", "abwesenheit",
	    "autosvar", "auto response", "autoresponse", NULL };
	struct buf v = BUF_INIT;
	bool yes = false;

	if (hdr_get(h, hlen, "Auto-Submitted", &v) && v.len > 0 &&
	    strncasecmp(v.p, "no", 2) != 0)
		yes = true;
	if (hdr_get(h, hlen, "X-Autoreply", &v) ||
	    hdr_get(h, hlen, "X-Autorespond", &v) ||
	    hdr_get(h, hlen, "X-Autoresponder", &v))
		yes = true;
	if (hdr_get(h, hlen, "Precedence", &v) && ci_find(buf_cstr(&v),
	    "auto_reply") != NULL)
		yes = true;
	if (hdr_get(h, hlen, "Subject", &v) && contains_any(buf_cstr(&v),
	    subj))
		yes = true;
	buf_free(&v);
	return yes;
}

/* header_addr - the address of the field name of the header h */
static char *
header_addr(const char *h, size_t hlen, const char *name)
{
	struct buf v = BUF_INIT;
	char *a = NULL;

	if (hdr_get(h, hlen, name, &v) && v.len > 0)
		a = addr_value(v.p, v.len);
	buf_free(&v);
	return a;
}

/* text_format - which MTA wrote a bounce in text, by its marks */
static const char *
text_format(const char *h, size_t hlen, const char *t)
{
	struct buf v = BUF_INIT;
	const char *f = "text";

	if (hdr_get(h, hlen, "X-Failed-Recipients", &v) ||
	    (t != NULL && strstr(t, "mail delivery software") != NULL))
		f = "exim";
	else if (t != NULL && strstr(t, "qmail-send") != NULL)
		f = "qmail";
	else if (t != NULL && strstr(t, "This is the mail system at") != NULL)
		f = "postfix";
	else if (hdr_get(h, hlen, "From", &v) && (ci_find(buf_cstr(&v),
	    "google") != NULL || ci_find(buf_cstr(&v), "gmail") != NULL))
		f = "gmail";
	else if (hdr_get(h, hlen, "X-MS-Exchange-Message-Is-Ndr", &v) ||
	    (t != NULL && strstr(t, "Microsoft") != NULL))
		f = "microsoft";
	buf_free(&v);
	return f;
}

/* keep_failed - drop the records whose address the list v does not name */
static void
keep_failed(struct inbound *in, const struct buf *v)
{
	size_t k = 0;
	const char *a, *q;
	size_t len, left;
	bool named;

	for (size_t i = 0; i < in->n; i++) {
		named = false;
		for (q = v->p, left = v->len; !named &&
		    (len = find_addr(q, left, &a)) > 0;
		    left -= (size_t)(a + len - q), q = a + len)
			named = same_addr(a, len, in->r[i].rcpt);
		if (named) {
			in->r[k++] = in->r[i];
			continue;
		}
		free(in->r[i].rcpt);
		free(in->r[i].diag);
		free(in->r[i].orcpt);
		free(in->r[i].action);
		free(in->r[i].status);
		free(in->r[i].feedback_type);
	}
	in->n = k;
}

/*
 * quoted_to - a record for the address of the first "To:" line of the
 * n bytes at p, or NULL if there is none (or no memory: rcpt is NULL)
 */
static struct inbound_rcpt *
quoted_to(struct inbound *in, const char *p, size_t n)
{
	const char *e = p + n, *line = p, *nl, *a;
	struct inbound_rcpt *r;
	size_t len;

	for (; line < e; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(e - line))) == NULL)
			nl = e;
		if (nl - line < 4 || strncasecmp(line, "To:", 3) != 0 ||
		    (len = find_addr(line, (size_t)(nl - line), &a)) == 0)
			continue;
		if ((r = add_rcpt(in)) != NULL)
			r->rcpt = dupn(a, len);
		return r;
	}
	return NULL;
}

/* read_bounce_text - a bounce without a delivery-status part */
static int
read_bounce_text(struct inbound *in, struct scan *s, const char *h,
    size_t hlen, const char *body, size_t blen)
{
	const struct buf *t = s->text.p != NULL ? &s->text : &s->html;
	const char *p = t->p != NULL ? t->p : body;
	size_t n = t->p != NULL ? t->len : blen, end, pos = 0;
	char *self, *sender;
	struct buf v = BUF_INIT;
	struct inbound_rcpt *r;
	int rc = 0;

	end = text_end(p, n);
	in->kind = INBOUND_BOUNCE;
	in->format = text_format(h, hlen, p);
	self = header_addr(h, hlen, "From");
	sender = header_addr(h, hlen, "To");
	if (read_text(in, p, end, self, NULL, false) == -1 ||
	    (in->n == 0 && read_text(in, p, end, self, sender, true) == -1))
		rc = -1;
	/* Exim names the recipients in a field too: it is the truth */
	if (rc == 0 && hdr_get(h, hlen, "X-Failed-Recipients", &v))
		keep_failed(in, &v);
	while (rc == 0 && in->n == 0 && hdr_next(h, hlen, &pos,
	    "X-Failed-Recipients", &v)) {
		const char *a, *q = v.p;
		size_t len, left = v.len;

		while ((len = find_addr(q, left, &a)) > 0) {
			if ((r = add_rcpt(in)) == NULL)
				break;
			r->rcpt = dupn(a, len);
			left -= (size_t)(a + len - q);
			q = a + len;
		}
	}
	/* the caller knows it (VERP): better than the original's To: */
	if (rc == 0 && in->n == 0 && s->rcpt != NULL &&
	    (r = add_rcpt(in)) != NULL && (r->rcpt = strdup(s->rcpt)) == NULL)
		rc = -1;
	if (rc == 0 && in->n == 0 && s->orig.len > 0 &&
	    (r = add_rcpt(in)) != NULL)
		r->rcpt = header_addr(s->orig.p, s->orig.len, "To");
	/* the original quoted in the text, after the report */
	if (rc == 0 && in->n == 0 && (r = quoted_to(in, p + end, n - end)) !=
	    NULL && r->rcpt == NULL)
		rc = -1;
	/* a recipient without words of its own gets the whole report */
	for (size_t i = 0; rc == 0 && i < in->n; i++) {
		if (in->r[i].diag != NULL && in->r[i].diag[0] != '\0')
			continue;
		free(in->r[i].diag);
		if ((in->r[i].diag = squeeze_text(p, end)) == NULL)
			rc = -1;
	}
	free(self);
	free(sender);
	buf_free(&v);
	return rc;
}

/*
 * dsn_diag_from_text - a DSN part without Diagnostic-Code: its text may
 * say more (Gmail, Postfix); look for the recipient there
 */
static int
diag_from_text(struct inbound *in, struct scan *s)
{
	struct inbound tmp;
	const char *p = s->text.p;
	size_t end;

	if (p == NULL)
		return 0;
	end = text_end(p, s->text.len);
	memset(&tmp, 0, sizeof(tmp));
	if (read_text(&tmp, p, end, NULL, NULL, false) == -1) {
		inbound_free(&tmp);
		return -1;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct inbound_rcpt *r = &in->r[i];

		if (r->diag != NULL && r->diag[0] != '\0')
			continue;
		for (size_t k = 0; k < tmp.n; k++) {
			if (r->rcpt == NULL || tmp.r[k].rcpt == NULL ||
			    strcasecmp(r->rcpt, tmp.r[k].rcpt) != 0 ||
			    tmp.r[k].diag == NULL || tmp.r[k].diag[0] == '\0')
				continue;
			free(r->diag);
			r->diag = tmp.r[k].diag;
			tmp.r[k].diag = NULL;
			break;
		}
		if ((r->diag == NULL || r->diag[0] == '\0') && tmp.n == 0) {
			free(r->diag);
			if ((r->diag = squeeze_text(p, end)) == NULL)
				goto fail;
		}
	}
	inbound_free(&tmp);
	return 0;

fail:
	inbound_free(&tmp);
	return -1;
}

/*
 * dsn_in_text - delivery-status fields written into the text instead of
 * a part of their own (a broken MIME header, a forwarded bounce): a copy
 * of the text from the first "Final-Recipient:" line on, quoting ("> ")
 * taken off, into out; whether there were any
 */
static bool
dsn_in_text(const char *p, size_t n, struct buf *out)
{
	const char *e = p + n, *line = p, *nl, *l;
	bool found = false;

	while (line < e) {
		if ((nl = memchr(line, '\n', (size_t)(e - line))) == NULL)
			nl = e;
		/* "> " quoting goes; the indent of a folded line stays */
		for (l = line; l < nl && *l == '>'; ) {
			l++;
			if (l < nl && *l == ' ')
				l++;
		}
		if (!found && (size_t)(nl - l) > 16 &&
		    strncasecmp(l, "Final-Recipient:", 16) == 0)
			found = true;
		if (found && (buf_append(out, l, (size_t)(nl - l)) == -1 ||
		    buf_appendc(out, '\n') == -1))
			return false;
		line = nl + 1;
	}
	return found;
}

/* read_report - decide what the message is from what the walk found */
static int
read_report(struct inbound *in, struct scan *s, const char *h, size_t hlen,
    const char *body, size_t blen, const struct bouncecat *bc)
{
	if (s->fbl.p != NULL)
		return read_arf(in, s, h, hlen);
	if (read_jmrp(in, s, h, hlen))
		return 0;
	if (read_unsubscribe(in, h, hlen))
		return in->n > 0 ? 0 : -1;
	if (s->text.p != NULL && ses_text(in, &s->text) == 1) {
		if (in->kind == INBOUND_COMPLAINT)
			return 0;
		goto finish;
	}
	if (s->dsn.p == NULL && s->text.p != NULL && looks_bounce(h, hlen, s) &&
	    !dsn_in_text(s->text.p, s->text.len, &s->dsn))
		buf_free(&s->dsn);
	if (s->dsn.p != NULL) {
		in->kind = INBOUND_BOUNCE;
		in->format = "rfc3464";
		if (read_dsn(in, &s->dsn) == -1 || diag_from_text(in, s) == -1)
			return -1;
		if (in->n > 0)
			goto finish;
	}
	if (!looks_bounce(h, hlen, s) && (looks_autoreply(h, hlen) ||
	    !text_says_bounce(s))) {
		if (looks_autoreply(h, hlen)) {
			struct inbound_rcpt *r;

			in->kind = INBOUND_AUTOREPLY;
			in->format = "rfc3834";
			if ((r = add_rcpt(in)) == NULL)
				return -1;
			r->rcpt = header_addr(h, hlen, "From");
			r->action = strdup("autoreply");
		}
		return 0;
	}
	if (read_bounce_text(in, s, h, hlen, body, blen) == -1)
		return -1;
finish:
	if (in->orig == NULL && s->orig.len > 0)
		in->orig = header_addr(s->orig.p, s->orig.len, "From");
	if (in->msgid == NULL && s->orig.len > 0)
		in->msgid = header_addr(s->orig.p, s->orig.len, "Message-ID");
	for (size_t i = 0; i < in->n; i++)
		if (finish_rcpt(&in->r[i], bc) == -1)
			return -1;
	return 0;
}

/*
 * inbound_parse - read the message p (n bytes) into in, classifying
 * bounces with bc (may be NULL: every bounce is "other"); 0, or -1 with
 * errno set and err filled for a message too large or too deeply nested,
 * or out of memory; in holds nothing after a failure
 */
int
inbound_parse(struct inbound *in, const char *p, size_t n,
    const struct bouncecat *bc, char *err, size_t errlen)
{
	return inbound_parse_rcpt(in, p, n, NULL, bc, err, errlen);
}

/*
 * inbound_parse_rcpt - inbound_parse(), rcpt (if not NULL) being the
 * recipient the report is about, known by other means (a VERP address):
 * a bounce whose text names none is about it
 */
int
inbound_parse_rcpt(struct inbound *in, const char *p, size_t n,
    const char *rcpt, const struct bouncecat *bc, char *err, size_t errlen)
{
	struct scan s;
	struct buf m = BUF_INIT;
	const char *body, *start;
	size_t hlen, blen, mlen;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	memset(&s, 0, sizeof(s));
	s.rcpt = rcpt;
	s.err = err;
	s.errlen = errlen;
	if (n > INBOUND_MAXSIZE) {
		err_msg(err, errlen, "message longer than %d bytes",
		    INBOUND_MAXSIZE);
		errno = EFBIG;
		return -1;
	}
	if (normalize(p, n, &m) == -1) {
		err_msg(err, errlen, "out of memory");
		return -1;
	}
	/* an mbox "From " line before the header */
	start = m.p;
	if (m.len > 5 && strncmp(m.p, "From ", 5) == 0 &&
	    (start = memchr(m.p, '\n', m.len)) != NULL)
		start++;
	else
		start = m.p;
	mlen = m.len - (size_t)(start - m.p);
	split(start, mlen, &hlen, &body, &blen);
	if (hlen == 0) {
		err_msg(err, errlen, "not a message: no header");
		errno = EINVAL;
		goto done;
	}
	if (walk(&s, start, mlen, 0) == -1)
		goto done;
	if (read_report(in, &s, start, hlen, body, blen, bc) == -1) {
		if (errno == ENOMEM)
			err_msg(err, errlen, "out of memory");
		goto done;
	}
	rc = 0;
done:
	if (rc == -1)
		inbound_free(in);
	buf_free(&s.dsn);
	buf_free(&s.fbl);
	buf_free(&s.text);
	buf_free(&s.html);
	buf_free(&s.orig);
	buf_free(&m);
	return rc;
}

/* inbound_free - free what in holds */
void
inbound_free(struct inbound *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->r[i].rcpt);
		free(in->r[i].orcpt);
		free(in->r[i].action);
		free(in->r[i].status);
		free(in->r[i].diag);
		free(in->r[i].feedback_type);
	}
	free(in->r);
	free(in->reporting_mta);
	free(in->orig);
	free(in->msgid);
	free(in->user_agent);
	free(in->source_ip);
	free(in->reported_domain);
	memset(in, 0, sizeof(*in));
}
