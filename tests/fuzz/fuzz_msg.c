/*
 * fuzz_msg - libFuzzer target for the message parser: the input is a
 * message as a client submits it.  It is parsed, the addresses of every
 * To, Cc and Bcc field are walked and checked, and fields are found,
 * read, removed and appended as lib/submit.c does.
 *
 * Invariants checked (abort() when one fails), after the parse and after
 * every change: each line of head and body ends in CRLF, has no other CR
 * or LF and is at most MSG_LINEMAX octets before it; the head is exactly
 * its fields end to end, each "name:" with a name of printable ASCII;
 * msg_size() is head, empty line and body; the normal form parses again
 * to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* the longest value appended, well inside one line */
#define APPENDMAX	200

/* check_lines - every line of b ends in CRLF and fits SMTP */
static void
check_lines(const struct buf *b)
{
	size_t start = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '\n')
			abort();	/* an LF not after a CR */
		if (b->p[i] != '\r')
			continue;
		CHECK(i + 1 < b->len && b->p[i + 1] == '\n');
		CHECK(i - start <= MSG_LINEMAX);
		i++;
		start = i + 1;
	}
	CHECK(start == b->len);		/* the last line ends too */
	CHECK(b->len == 0 || b->p[b->len] == '\0');
}

/* check_msg - the invariants of a parsed or edited message */
static void
check_msg(const struct msg *m)
{
	const struct msg_field *f;
	size_t off = 0;

	check_lines(&m->head);
	check_lines(&m->body);
	CHECK(msg_size(m) == m->head.len + 2 + m->body.len);
	CHECK(m->nf <= m->fcap);
	for (size_t i = 0; i < m->nf; i++) {
		f = &m->f[i];
		CHECK(f->off == off);
		CHECK(f->namelen > 0 && f->len >= f->namelen + 3);
		CHECK(f->off + f->len <= m->head.len);
		for (size_t j = 0; j < f->namelen; j++)
			CHECK(m->head.p[f->off + j] > ' ' &&
			    m->head.p[f->off + j] < 127 &&
			    m->head.p[f->off + j] != ':');
		CHECK(m->head.p[f->off + f->namelen] == ':');
		CHECK(memcmp(m->head.p + f->off + f->len - 2, "\r\n", 2) == 0);
		off += f->len;
	}
	CHECK(off == m->head.len);
}

/* addr_cb - each addr-spec msg_addrlist() finds, as submit.c uses it */
static int
addr_cb(void *arg, const char *a, size_t n)
{
	struct buf norm = BUF_INIT;
	const struct buf *v = arg;
	char err[128];

	/* It is made of bytes of the value, which has no NUL. */
	CHECK(n > 0 && n <= v->len);
	CHECK(memchr(a, '\0', n) == NULL);
	if (addr_parse(a, n, &norm, ADDR_UTF8, err, sizeof(err)) == 0)
		CHECK(norm.len > 0);
	buf_free(&norm);
	return 0;
}

/* walk - msg_addrlist() on a copy of the value of field i, sized exactly */
static void
walk(const struct msg *m, size_t i)
{
	struct buf v = BUF_INIT;
	const char *p;
	char *copy;
	size_t n;

	msg_value(m, i, &p, &n);
	if ((copy = malloc(n ? n : 1)) == NULL)
		return;
	memcpy(copy, p, n);
	v.p = copy;
	v.len = n;
	CHECK(msg_addrlist(copy, n, addr_cb, &v) == 0);
	free(copy);
}

/* reparse - the normal form of m is a fixed point of msg_parse() */
static void
reparse(const struct msg *m)
{
	struct msg again;
	struct buf all = BUF_INIT;
	char err[128];

	msg_init(&again);
	CHECK(buf_append(&all, m->head.p, m->head.len) == 0 &&
	    buf_append(&all, "\r\n", 2) == 0 &&
	    buf_append(&all, m->body.p, m->body.len) == 0);
	CHECK(msg_parse(&again, all.p, all.len, err, sizeof(err)) == 0);
	CHECK(again.nsplit == 0 && again.nf == m->nf);
	CHECK(again.head.len == m->head.len && (m->head.len == 0 ||
	    memcmp(again.head.p, m->head.p, m->head.len) == 0));
	CHECK(again.body.len == m->body.len && (m->body.len == 0 ||
	    memcmp(again.body.p, m->body.p, m->body.len) == 0));
	for (size_t i = 0; i < m->nf; i++)
		CHECK(again.f[i].off == m->f[i].off &&
		    again.f[i].len == m->f[i].len &&
		    again.f[i].namelen == m->f[i].namelen);
	msg_free(&again);
	buf_free(&all);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcptf[] = { "To", "Cc", "Bcc" };
	static const char *const names[] = { "Subject", "From", "Date",
	    "Message-ID", "X-Virtual-MTA", "X-Job", "Received" };
	struct msg m;
	char err[128], val[APPENDMAX + 1];
	const char *v;
	size_t n, nf;
	int i;

	msg_init(&m);
	if (msg_parse(&m, (const char *)data, size, err, sizeof(err)) == -1) {
		CHECK(m.nf == 0);
		msg_free(&m);
		return 0;
	}
	check_msg(&m);
	reparse(&m);

	/* -t: the addresses of every To, Cc and Bcc */
	for (size_t k = 0; k < 3; k++)
		for (i = msg_find(&m, rcptf[k], 0); i != -1;
		    i = msg_find(&m, rcptf[k], (size_t)i + 1)) {
			CHECK((size_t)i < m.nf);
			walk(&m, (size_t)i);
		}

	/*
	 * Copy the first line of each named field's value into a new field,
	 * then remove every field of that name, and check all after each.
	 */
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if ((i = msg_find(&m, names[k], 0)) == -1)
			continue;
		CHECK(strncasecmp(m.head.p + m.f[i].off, names[k],
		    strlen(names[k])) == 0);
		msg_value(&m, (size_t)i, &v, &n);
		CHECK(v + n + 2 <= m.head.p + m.head.len);
		CHECK(memcmp(v + n, "\r\n", 2) == 0);
		for (n = 0; n < APPENDMAX && v[n] != '\r'; n++)
			val[n] = v[n];
		val[n] = '\0';
		nf = m.nf;
		CHECK(msg_append(&m, "X-Fuzz-Copy", val) == 0);
		CHECK(m.nf == nf + 1);
		check_msg(&m);
		CHECK((size_t)msg_find(&m, "x-fuzz-copy", nf) == nf);
		msg_value(&m, nf, &v, &n);
		CHECK(n == strlen(val) + 1 && v[0] == ' ' &&
		    memcmp(v + 1, val, n - 1) == 0);
		while ((i = msg_find(&m, names[k], 0)) != -1) {
			nf = m.nf;
			CHECK(msg_remove(&m, (size_t)i) == 0);
			CHECK(m.nf == nf - 1);
			check_msg(&m);
		}
	}
	reparse(&m);
	while (m.nf > 0) {
		CHECK(msg_remove(&m, m.nf - 1) == 0);
		check_msg(&m);
	}
	CHECK(m.head.len == 0);
	msg_free(&m);
	return 0;
}
