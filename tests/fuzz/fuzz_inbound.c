/*
 * fuzz_inbound - libFuzzer target for the inbound report parser: the
 * input is a message as it reaches mta-bounce --inbound.
 *
 * Invariants checked (abort() when one fails): inbound_parse() returns 0
 * or -1; after -1 the error says why and the result is empty; after 0 a
 * message that is not a report has no records, there are at most
 * INBOUND_MAXRCPTS records, every string is one line (no LF, no NUL
 * inside its length), a category is one of the 17 and only bounces have
 * one, a status is "c.s.d" with a class 2, 4 or 5; the same message with
 * CRLF line ends instead of LF gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bouncecat.h"
#include "buf.h"
#include "inbound.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* a few rules of each kind, when etc/bounce-categories is not at hand */
static const char rules[] =
    "/user unknown|no such user/ bad-mailbox\n"
    "/quota|mailbox full/ quota-issues\n"
    "/spam|blocked/ spam-related\n"
    "/^[45]\\.1\\.1\\b/ bad-mailbox\n"
    "/^[45]\\.4\\.7\\b/ message-expired\n"
    "soft bad-domain\n";

static struct bouncecat *bc;

static void
check_str(const char *s)
{
	if (s != NULL)
		CHECK(strchr(s, '\n') == NULL);
}

static void
check_status(const char *s)
{
	size_t i = 2, d;

	if (s == NULL)
		return;
	CHECK((s[0] == '2' || s[0] == '4' || s[0] == '5') && s[1] == '.');
	for (d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
		;
	CHECK(d >= 1 && d <= 3 && s[i] == '.');
	for (i++, d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
		;
	CHECK(d >= 1 && d <= 3 && s[i] == '\0');
}

static void
check(const struct inbound *in)
{
	CHECK(in->n <= INBOUND_MAXRCPTS);
	CHECK(in->kind != INBOUND_NONE || in->n == 0);
	CHECK(in->n == 0 || in->r != NULL);
	check_str(in->reporting_mta);
	check_str(in->orig);
	check_str(in->msgid);
	check_str(in->user_agent);
	for (size_t i = 0; i < in->n; i++) {
		const struct inbound_rcpt *r = &in->r[i];

		check_str(r->rcpt);
		check_str(r->orcpt);
		check_str(r->action);
		check_str(r->diag);
		check_status(r->status);
		CHECK(r->code == 0 || (r->code >= 200 && r->code < 600));
		if (r->category != NULL) {
			CHECK(in->kind == INBOUND_BOUNCE);
			CHECK(bouncecat_valid(r->category));
		}
		if (in->kind == INBOUND_COMPLAINT)
			CHECK(r->feedback_type != NULL);
	}
}

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbound in, crlf;
	struct buf b = BUF_INIT;
	char err[256];
	int rc, rc2;

	if (bc == NULL && (bc = bouncecat_load("etc/bounce-categories", NULL,
	    err, sizeof(err))) == NULL && (bc = bouncecat_parse(rules,
	    sizeof(rules) - 1, "rules", err, sizeof(err))) == NULL)
		abort();
	err[0] = '\0';
	rc = inbound_parse(&in, (const char *)data, size, bc, err,
	    sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(err[0] != '\0');
		CHECK(in.n == 0 && in.r == NULL);
		return 0;
	}
	check(&in);

	/* CRLF for every LF that has no CR before it */
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			CHECK(buf_appendc(&b, '\r') == 0);
		CHECK(buf_appendc(&b, data[i]) == 0);
	}
	rc2 = inbound_parse(&crlf, b.p != NULL ? b.p : "", b.len, bc, err,
	    sizeof(err));
	CHECK(rc2 == 0);
	CHECK(crlf.kind == in.kind && crlf.n == in.n);
	for (size_t i = 0; i < in.n; i++) {
		CHECK(same(in.r[i].rcpt, crlf.r[i].rcpt));
		CHECK(same(in.r[i].status, crlf.r[i].status));
		CHECK(same(in.r[i].category, crlf.r[i].category));
	}
	inbound_free(&crlf);
	inbound_free(&in);
	buf_free(&b);
	return 0;
}
