/*
 * fuzz_dkim - libFuzzer target for DKIM canonicalization and signing of
 * hostile messages.  The first input byte picks the options (header and
 * body canonicalization, a header list taken from the input or the
 * default one, x=); the rest is a message as a client submits it.  It is
 * signed raw (head up to the first empty line) and as mta-inject stores
 * it (after msg_parse), with a fixed Ed25519 key.
 *
 * Invariants checked (abort() when one fails): signing the stored form
 * succeeds; the output is DKIM-Signature fields, CRLF lines, folded
 * lines start with a space, no l= tag; a failed signing leaves the
 * output untouched; both body canonicalizations are idempotent and the
 * relaxed one has no white space before a CRLF, no run of white space,
 * no tab and no empty line at the end.
 */
#define _GNU_SOURCE	/* memmem */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dkim.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static void
check_output(const struct buf *b, size_t start)
{
	const char *p = b->p + start, *end = b->p + b->len;

	CHECK(b->len > start + 15 && memcmp(p, "DKIM-Signature:", 15) == 0);
	CHECK(end[-2] == '\r' && end[-1] == '\n');
	for (; p < end; p++) {
		CHECK(*p != '\0');
		if (*p == '\r') {
			CHECK(p + 1 < end && p[1] == '\n');
			CHECK(p + 2 == end || p[2] == ' ' ||
			    memcmp(p + 2, "DKIM-Signature:", 15) == 0);
		} else
			CHECK(*p != '\n' || (p > b->p && p[-1] == '\r'));
	}
	CHECK(memmem(b->p + start, b->len - start, "; l=", 4) == NULL);
}

static void
check_canon(const char *p, size_t n)
{
	struct buf a = BUF_INIT, again = BUF_INIT;

	for (int c = DKIM_SIMPLE; c <= DKIM_RELAXED; c++) {
		buf_reset(&a);
		buf_reset(&again);
		CHECK(dkim_canon_body(c, p, n, &a) == 0);
		CHECK(dkim_canon_body(c, a.p ? a.p : "", a.len, &again) == 0);
		CHECK(a.len == again.len && (a.len == 0 ||
		    memcmp(a.p, again.p, a.len) == 0));
		if (c == DKIM_RELAXED && a.len > 0) {
			CHECK(memmem(a.p, a.len, " \r\n", 3) == NULL);
			CHECK(memmem(a.p, a.len, "  ", 2) == NULL);
			CHECK(memchr(a.p, '\t', a.len) == NULL);
			CHECK(a.len < 4 || memcmp(a.p + a.len - 4, "\r\n\r\n",
			    4) != 0);
		}
	}
	buf_free(&a);
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_key *key;
	struct dkim_sign s;
	struct buf out = BUF_INIT;
	struct msg m;
	char err[256], hl[65];
	const char *in = (const char *)data + 1, *sep;
	size_t n, hlen;
	int rc;

	if (size < 1)
		return 0;
	if (key == NULL)
		CHECK((key = dkim_key_parse(seed, sizeof(seed) - 1, err,
		    sizeof(err))) != NULL);
	n = size - 1;
	memset(&s, 0, sizeof(s));
	s.key = key;
	s.domain = "example.test";
	s.selector = "sel";
	s.hcanon = data[0] & 1 ? DKIM_RELAXED : DKIM_SIMPLE;
	s.bcanon = data[0] & 2 ? DKIM_RELAXED : DKIM_SIMPLE;
	s.expire = data[0] & 4 ? 86400 : 0;
	if (data[0] & 8) {
		/* a header list from the input: its first line, cut short */
		for (hlen = 0; hlen < n && hlen < 64 && in[hlen] != '\n' &&
		    in[hlen] != '\0'; hlen++)
			hl[hlen] = in[hlen];
		hl[hlen] = '\0';
		s.headers = hl;
	}
	check_canon(in, n);

	/* raw: the head is what comes before the first empty line */
	sep = memmem(in, n, "\r\n\r\n", 4);
	hlen = sep != NULL ? (size_t)(sep - in) + 2 : n;
	if (buf_append(&out, "x", 1) == -1)
		abort();
	rc = dkim_sign(&s, 1, in, hlen, in + hlen, n - hlen, 1700000000, &out,
	    err, sizeof(err));
	if (rc == 0)
		check_output(&out, 1);
	else
		CHECK(out.len == 1);

	/* stored: as mta-inject would write it */
	msg_init(&m);
	if (msg_parse(&m, in, n, err, sizeof(err)) == 0) {
		buf_reset(&out);
		rc = dkim_sign(&s, 1, m.head.p ? m.head.p : "", m.head.len,
		    m.body.p ? m.body.p : "", m.body.len, 1700000000, &out,
		    err, sizeof(err));
		CHECK(rc == 0 || s.headers != NULL);
		if (rc == 0)
			check_output(&out, 0);
	}
	msg_free(&m);
	buf_free(&out);
	return 0;
}
