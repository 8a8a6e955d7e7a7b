/*
 * fuzz_smtpcmd - libFuzzer target for the SMTP command parser: the input
 * is one command line without its CRLF.
 *
 * Invariants checked (abort() when one fails): a refusal names a reply
 * of three digits, a space and an enhanced status code of the same
 * class; an acceptance names a known verb; every string the parser
 * returns is NUL-terminated inside its array; a path is shorter than
 * SMTPCMD_PATHMAX; a decoded ENVID or ORCPT holds no NUL before its end;
 * parsing is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static void
terminated(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtpcmd a, b;
	int ra, rb;

	ra = smtpcmd_parse((const char *)data, size, &a);
	rb = smtpcmd_parse((const char *)data, size, &b);
	CHECK(ra == rb);
	if (ra == -1) {
		const char *r = a.reply;

		CHECK(r != NULL && strcmp(r, b.reply) == 0);
		CHECK(strlen(r) > 10 && r[0] >= '4' && r[0] <= '5' &&
		    r[3] == ' ' && r[4] == r[0] && r[5] == '.');
		return 0;
	}
	CHECK(ra == 0 && a.verb != SMTPCMD_UNKNOWN && a.verb == b.verb);
	terminated(a.arg, sizeof(a.arg));
	terminated(a.path, sizeof(a.path));
	terminated(a.ret, sizeof(a.ret));
	terminated(a.envid, sizeof(a.envid));
	terminated(a.notify, sizeof(a.notify));
	terminated(a.orcpt, sizeof(a.orcpt));
	terminated(a.mech, sizeof(a.mech));
	terminated(a.initial, sizeof(a.initial));
	CHECK(strlen(a.path) + 2 <= SMTPCMD_PATHMAX);
	CHECK(strlen(a.arg) <= size);
	CHECK(strcmp(a.path, b.path) == 0 && strcmp(a.orcpt, b.orcpt) == 0);
	return 0;
}
