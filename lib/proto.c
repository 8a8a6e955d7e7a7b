/*
 * proto - the line protocol between mta programs (see proto.h).
 *
 * Parsing never trusts the peer: a line over PROTO_MAXLINE, a bad verb or
 * key, a bad escape or more than PROTO_MAXKEYS keys is an error with a
 * reason, and the reader skips past the bad line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define ERR(...) do {						\
	(void)snprintf(err, errlen, __VA_ARGS__);		\
	errno = EPROTO;						\
	return -1;						\
} while (0)

/* proto_hexval - the value of the hex digit c, or -1 */
int
proto_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* proto_parse - parse one line (without its LF) into r */
int
proto_parse(const char *line, size_t len, struct proto_rec *r, char *err,
    size_t errlen)
{
	const char *p = line, *end = line + len, *sp;
	char *o = r->text;
	size_t n;

	r->nkeys = 0;
	if (len + 1 > PROTO_MAXLINE)
		ERR("record longer than %d bytes", PROTO_MAXLINE);
	for (n = 0; p + n < end && p[n] != ' '; n++)
		if (p[n] < 'a' || p[n] > 'z')
			ERR("bad verb");
	if (n == 0 || n >= sizeof(r->verb))
		ERR("bad verb");
	memcpy(r->verb, p, n);
	r->verb[n] = '\0';
	p += n;
	while (p < end) {
		if (*p++ != ' ' || p == end)
			ERR("bad separator");
		if (r->nkeys == PROTO_MAXKEYS)
			ERR("more than %d keys", PROTO_MAXKEYS);
		r->kv[r->nkeys].key = o;
		for (n = 0; p < end && *p != '='; p++, n++) {
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-'))
				ERR("bad key");
			*o++ = *p;
		}
		if (n == 0 || p == end)
			ERR("bad key");
		*o++ = '\0';
		p++;	/* '=' */
		r->kv[r->nkeys].val = o;
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			sp = end;
		for (; p < sp; p++) {
			if ((unsigned char)*p < 0x21 ||
			    (unsigned char)*p > 0x7e)
				ERR("bad byte in value");
			if (*p != '%') {
				*o++ = *p;
				continue;
			}
			if (sp - p < 3 || proto_hexval(p[1]) < 0 ||
			    proto_hexval(p[2]) < 0)
				ERR("bad escape in value");
			*o++ = (char)(proto_hexval(p[1]) * 16 +
			    proto_hexval(p[2]));
			p += 2;
		}
		r->kv[r->nkeys].vlen = (size_t)(o - r->kv[r->nkeys].val);
		*o++ = '\0';
		r->nkeys++;
	}
	return 0;
}

/* proto_get - the value of the first key k, or NULL */
const char *
proto_get(const struct proto_rec *r, const char *k)
{
	for (size_t i = 0; i < r->nkeys; i++)
		if (strcmp(r->kv[i].key, k) == 0)
			return r->kv[i].val;
	return NULL;
}

/* proto_get_num - the value of k as a number in [min, max] */
int
proto_get_num(const struct proto_rec *r, const char *k, long long min,
    long long max, long long *out)
{
	const char *v = proto_get(r, k), *e;

	if (v == NULL) {
		errno = ENOENT;
		return -1;
	}
	*out = strtonum(v, min, max, &e);
	if (e != NULL) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* proto_encode - append n bytes percent-encoded */
int
proto_encode(struct buf *b, const void *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = v;
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x21 && p[i] <= 0x7e && p[i] != '%')
			continue;
		if (buf_append(b, p + start, i - start) == -1 ||
		    buf_appendc(b, '%') == -1 ||
		    buf_appendc(b, hex[p[i] >> 4]) == -1 ||
		    buf_appendc(b, hex[p[i] & 15]) == -1)
			return -1;
		start = i + 1;
	}
	return buf_append(b, p + start, n - start);
}

/*
 * proto_decode - set b to the n percent-encoded bytes at s, decoded; -1
 * with EINVAL for a byte outside 0x21-0x7E or a bad escape
 */
int
proto_decode(struct buf *b, const char *s, size_t n)
{
	int hi, lo;

	buf_reset(b);
	if (buf_grow(b, n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			goto bad;
		if (c == '%') {
			if (n - i < 3 || (hi = proto_hexval(s[i + 1])) < 0 ||
			    (lo = proto_hexval(s[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		b->p[b->len++] = (char)c;
	}
	b->p[b->len] = '\0';
	return 0;
bad:
	buf_reset(b);
	errno = EINVAL;
	return -1;
}

/* proto_begin - start a record with its verb */
int
proto_begin(struct buf *b, const char *verb)
{
	return buf_appends(b, verb);
}

/* proto_add - append " key=value" */
int
proto_add(struct buf *b, const char *k, const char *v)
{
	return proto_addn(b, k, v != NULL ? v : "", v != NULL ? strlen(v) : 0);
}

/* proto_addn - append " key=value" for a value of n bytes */
int
proto_addn(struct buf *b, const char *k, const void *v, size_t n)
{
	if (buf_appendc(b, ' ') == -1 || buf_appends(b, k) == -1 ||
	    buf_appendc(b, '=') == -1)
		return -1;
	return proto_encode(b, v, n);
}

/* proto_add_num - append " key=number" */
int
proto_add_num(struct buf *b, const char *k, long long v)
{
	return buf_appendf(b, " %s=%lld", k, v);
}

/*
 * proto_end - end the record that began at offset start with LF; a record
 * over PROTO_MAXLINE is taken back out and -1 returned (EMSGSIZE)
 */
int
proto_end(struct buf *b, size_t start)
{
	if (b->len - start + 1 > PROTO_MAXLINE) {
		b->len = start;
		if (b->cap > 0)
			b->p[b->len] = '\0';
		errno = EMSGSIZE;
		return -1;
	}
	return buf_appendc(b, '\n');
}

/* proto_reader_init - read records from fd */
void
proto_reader_init(struct proto_reader *rd, int fd)
{
	rd->fd = fd;
	rd->len = 0;
	rd->eof = 0;
	rd->drained = 0;
}

/*
 * proto_read - read what fd has: 1 data, 0 end of file, -1 error.  After
 * a short read rd->drained is set: a level-triggered loop need not read
 * again only to learn EAGAIN.
 */
int
proto_read(struct proto_reader *rd)
{
	ssize_t n;
	size_t room = sizeof(rd->buf) - rd->len;

	if (rd->len == sizeof(rd->buf)) {
		errno = ENOBUFS;
		return -1;
	}
	do
		n = read(rd->fd, rd->buf + rd->len, room);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		rd->eof = 1;
		return 0;
	}
	rd->len += (size_t)n;
	rd->drained = (size_t)n < room;
	return 1;
}

/*
 * proto_next - the next complete record: 1 one was parsed into r, 0 none
 * is complete yet, -1 a bad one was skipped (err says why)
 */
int
proto_next(struct proto_reader *rd, struct proto_rec *r, char *err,
    size_t errlen)
{
	char *nl;
	size_t n;
	int rc;

	if ((nl = memchr(rd->buf, '\n', rd->len)) == NULL) {
		if (rd->len < PROTO_MAXLINE)
			return 0;
		rd->len = 0;	/* no LF within the limit: drop it all */
		ERR("record longer than %d bytes", PROTO_MAXLINE);
	}
	n = (size_t)(nl - rd->buf);
	rc = proto_parse(rd->buf, n, r, err, errlen);
	memmove(rd->buf, nl + 1, rd->len - n - 1);
	rd->len -= n + 1;
	return rc == 0 ? 1 : -1;
}
