/*
 * fuzz_addr - libFuzzer target for the address parser: the input is one
 * address, parsed with each combination of flags.
 *
 * Invariants checked (abort() when one fails): a failure sets EINVAL, a
 * reason and an empty result; the normal form is at most ADDR_MAX bytes,
 * has no NUL (buf_cstr() gives it as a C string), is ASCII without
 * ADDR_UTF8 and non-empty without ADDR_ALLOW_NULL; it parses again,
 * with the same flags, to itself; a flag only ever adds addresses, never
 * changes a normal form; the domain addr_domain() finds is the text after
 * the last '@', holds no upper-case letter (bar the "IPv6:" tag of a
 * literal) and parses again as a domain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const unsigned flagset[] = {
	0, ADDR_UTF8, ADDR_ALLOW_NULL, ADDR_UTF8 | ADDR_ALLOW_NULL
};
#define NFLAGS	(sizeof(flagset) / sizeof(flagset[0]))

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* check_domain - the domain of the normal form a (len bytes) */
static void
check_domain(const char *a, size_t len, unsigned flags)
{
	struct buf again = BUF_INIT, x = BUF_INIT;
	const char *d, *at;
	size_t i = 0;
	char err[128];

	d = addr_domain(a);
	if (len == 0) {
		CHECK(d == NULL);
		return;
	}
	/* The domain holds no '@', so it follows the last one. */
	CHECK(d != NULL);
	CHECK((at = strrchr(a, '@')) != NULL && d == at + 1);
	CHECK(*d != '\0');
	if (strncmp(d, "[IPv6:", 6) == 0)
		i = 6;
	for (; d[i] != '\0'; i++)
		CHECK(!(d[i] >= 'A' && d[i] <= 'Z'));

	/* The domain after the shortest local part is an address. */
	CHECK(buf_append(&x, "x@", 2) == 0 && buf_appends(&x, d) == 0);
	CHECK(addr_parse(x.p, x.len, &again, flags, err, sizeof(err)) == 0);
	CHECK(again.len == x.len && memcmp(again.p, x.p, x.len) == 0);
	buf_free(&x);
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out[NFLAGS], again = BUF_INIT;
	const char *s = (const char *)data;
	char err[128], *cstr;
	int rc[NFLAGS];

	for (size_t i = 0; i < NFLAGS; i++) {
		unsigned f = flagset[i];

		out[i] = (struct buf)BUF_INIT;
		err[0] = '\0';
		errno = 0;
		rc[i] = addr_parse(s, size, &out[i], f, err, sizeof(err));
		if (rc[i] == -1) {
			CHECK(errno == EINVAL && err[0] != '\0');
			CHECK(out[i].len == 0);
			continue;
		}
		CHECK(rc[i] == 0);
		CHECK(out[i].len <= ADDR_MAX);
		CHECK(out[i].len == 0 || memchr(out[i].p, '\0',
		    out[i].len) == NULL);
		if (!(f & ADDR_ALLOW_NULL))
			CHECK(out[i].len > 0);
		if (!(f & ADDR_UTF8))
			for (size_t j = 0; j < out[i].len; j++)
				CHECK((unsigned char)out[i].p[j] < 0x80);

		/* buf_cstr() is the normal form as a C string. */
		CHECK(strlen(buf_cstr(&out[i])) == out[i].len);

		/* The normal form is a fixed point. */
		CHECK(addr_parse(buf_cstr(&out[i]), out[i].len, &again, f,
		    err, sizeof(err)) == 0);
		CHECK(again.len == out[i].len &&
		    memcmp(buf_cstr(&again), buf_cstr(&out[i]),
		    out[i].len) == 0);
		check_domain(buf_cstr(&out[i]), out[i].len, f);
	}

	/* Each flag widens what is accepted and changes no normal form. */
	for (size_t i = 0; i < NFLAGS; i++)
		for (size_t j = 0; j < NFLAGS; j++)
			if ((flagset[i] & flagset[j]) == flagset[i] &&
			    rc[i] == 0) {
				CHECK(rc[j] == 0);
				CHECK(out[j].len == out[i].len &&
				    memcmp(buf_cstr(&out[j]),
				    buf_cstr(&out[i]), out[i].len) == 0);
			}

	/* addr_domain() takes any C string. */
	if ((cstr = malloc(size + 1)) != NULL) {
		memcpy(cstr, data, size);
		cstr[size] = '\0';
		(void)addr_domain(cstr);
		free(cstr);
	}

	for (size_t i = 0; i < NFLAGS; i++)
		buf_free(&out[i]);
	buf_free(&again);
	return 0;
}
