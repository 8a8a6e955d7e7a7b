/*
 * fuzz_smtpreply - libFuzzer target for the SMTP reply parser: the
 * input is what a server sends.  The first byte chooses the size of the
 * reads the bytes arrive in (1 to 256), the rest are the bytes.
 *
 * Invariants checked (abort() when one fails): a reply parsed from
 * reads of any size is the reply parsed from all the bytes at once
 * (same code, enhanced code, text, bytes used); a complete reply has a
 * code 200-599 and 1 to SMTPREPLY_MAXLINES lines; its text is
 * NUL-terminated, len long and has no control byte but LF; an enhanced
 * code starts with the code's class; the EHLO keyword list fits and is
 * NUL-terminated; the parser never takes more bytes than it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)
#define MAXREPLIES	64

struct outcome {
	int	 rc;
	int	 code;
	char	 dsn[12];
	size_t	 used;		/* bytes of the input up to its end */
	char	 text[SMTPREPLY_MAXTEXT];
};

static void
check_reply(const struct smtpreply *r)
{
	struct smtpext x;

	CHECK(r->code >= 200 && r->code <= 599);
	CHECK(r->nlines >= 1 && r->nlines <= SMTPREPLY_MAXLINES);
	CHECK(r->len < SMTPREPLY_MAXTEXT && r->text[r->len] == '\0');
	for (size_t i = 0; i < r->len; i++)
		CHECK((unsigned char)r->text[i] >= 0x20 ||
		    r->text[i] == '\n');
	CHECK(r->text[r->len] == '\0');
	if (r->dsn[0] != '\0')
		CHECK(r->dsn[0] == '0' + r->code / 100 && r->dsn[1] == '.');
	smtpext_parse(r, &x);
	CHECK(strlen(x.list) < sizeof(x.list));
}

/* Parse data as reads of chunk bytes; record each reply. */
static size_t
run(const uint8_t *data, size_t size, size_t chunk, struct outcome *out)
{
	static struct smtpreply r;
	static char in[SMTPREPLY_MAXLINE * 2 + 256];
	size_t n = 0, len = 0, fed = 0, used, k;
	char err[128];
	int rc;

	smtpreply_init(&r);
	while (fed < size && n < MAXREPLIES) {
		k = size - fed < chunk ? size - fed : chunk;
		if (len + k > sizeof(in))
			break;
		memcpy(in + len, data + fed, k);
		len += k;
		fed += k;
		for (;;) {
			rc = smtpreply_parse(&r, in, len, &used, err,
			    sizeof(err));
			CHECK(used <= len);
			memmove(in, in + used, len - used);
			len -= used;
			if (rc == 0)
				break;
			out[n].rc = rc;
			out[n].used = fed - len;
			if (rc == -1) {
				CHECK(err[0] != '\0');
				return n + 1;
			}
			check_reply(&r);
			out[n].code = r.code;
			memcpy(out[n].dsn, r.dsn, sizeof(r.dsn));
			memcpy(out[n].text, r.text, r.len + 1);
			if (++n == MAXREPLIES)
				return n;
			smtpreply_init(&r);
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome a[MAXREPLIES], b[MAXREPLIES];
	size_t chunk, na, nb;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	data++;
	size--;
	na = run(data, size, chunk, a);
	nb = run(data, size, SMTPREPLY_MAXLINE + 256, b);
	/* Whole reads may stop earlier only for lack of buffer. */
	for (size_t i = 0; i < na && i < nb; i++) {
		CHECK(a[i].rc == b[i].rc);
		if (a[i].rc == -1)
			break;
		CHECK(a[i].code == b[i].code);
		CHECK(strcmp(a[i].dsn, b[i].dsn) == 0);
		CHECK(strcmp(a[i].text, b[i].text) == 0);
	}
	return 0;
}
