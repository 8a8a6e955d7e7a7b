/*
 * addr_test - RFC 5321 mailbox syntax: good, odd and hostile addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "harness.h"

#define U	ADDR_UTF8
#define N	ADDR_ALLOW_NULL

struct addr_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	unsigned	 flags;
	const char	*want;	/* normal form, or NULL for an error */
	const char	*err;	/* expected start of the error */
};

static const struct addr_case cases[] = {
	/* good */
	{ "user@example.com", 0, 0, "user@example.com", NULL },
	{ "<user@example.com>", 0, 0, "user@example.com", NULL },
	{ "User.Name+tag@EXAMPLE.Com", 0, 0, "User.Name+tag@example.com",
	    NULL },
	{ "!#$%&'*+-/=?^_`{|}~@x.org", 0, 0, "!#$%&'*+-/=?^_`{|}~@x.org",
	    NULL },
	{ "user@localhost", 0, 0, "user@localhost", NULL },
	{ "a@1.2.3.4", 0, 0, "a@1.2.3.4", NULL },
	{ "\"john doe\"@Example.COM", 0, 0, "\"john doe\"@example.com",
	    NULL },
	{ "\"a\\\"b\\\\c\"@x.org", 0, 0, "\"a\\\"b\\\\c\"@x.org", NULL },
	{ "\"a@b\"@x.org", 0, 0, "\"a@b\"@x.org", NULL },
	{ "\"\"@x.org", 0, 0, "\"\"@x.org", NULL },
	{ "\"a.\"@x.org", 0, 0, "\"a.\"@x.org", NULL },
	{ "<\"a>b\"@x.org>", 0, 0, "\"a>b\"@x.org", NULL },
	{ "user@[192.0.2.1]", 0, 0, "user@[192.0.2.1]", NULL },
	{ "user@[IPv6:2001:DB8::1]", 0, 0, "user@[IPv6:2001:db8::1]", NULL },
	{ "user@[ipv6:::1]", 0, 0, "user@[IPv6:::1]", NULL },
	{ "user@[IPv6:::ffff:192.0.2.1]", 0, 0,
	    "user@[IPv6:::ffff:192.0.2.1]", NULL },
	{ "<@a.example,@b.example:user@c.example>", 0, 0, "user@c.example",
	    NULL },
	{ "x@xn--bcher-kva.example", 0, 0, "x@xn--bcher-kva.example", NULL },
	/* UTF-8 only with ADDR_UTF8 */
	{ "j\xc3\xb6ran@B\xc3\xbc" "cher.Example", 0, U,
	    "j\xc3\xb6ran@b\xc3\xbc" "cher.example", NULL },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.test", 0, U,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.test", NULL },
	{ "\"\xf0\x9f\x93\xa7 x\"@x.org", 0, U,
	    "\"\xf0\x9f\x93\xa7 x\"@x.org", NULL },
	{ "j\xc3\xb6ran@x.org", 0, 0, NULL,
	    "non-ASCII character in local part" },
	{ "a@b\xc3\xbc" "cher.example", 0, 0, NULL,
	    "non-ASCII character in domain" },
	{ "\"\xc3\xb6\"@x.org", 0, 0, NULL,
	    "non-ASCII character in local part" },
	{ "a\xc3@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "\xc0\xaf@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "\xed\xa0\x80@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "\xf4\x90\x80\x80@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "\xe0\x80\xaf@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "\x80@x.org", 0, U, NULL, "bad UTF-8 in local part" },
	{ "a@x\xff.org", 0, U, NULL, "bad UTF-8 in domain" },
	{ "a@x\xe4\xbe.org", 0, U, NULL, "bad UTF-8 in domain" },
	/* the null sender */
	{ "", 0, N, "", NULL },
	{ "<>", 0, N, "", NULL },
	{ "", 0, 0, NULL, "empty address" },
	{ "<>", 0, 0, NULL, "null sender not allowed" },
	/* structure */
	{ "foo", 0, 0, NULL, "missing @ in \"foo\"" },
	{ "\"foo\"", 0, 0, NULL, "missing @" },
	{ "a@b@c.org", 0, 0, NULL, "more than one @" },
	{ "a@", 0, 0, NULL, "missing domain" },
	{ "@x.org", 0, 0, NULL, "empty local part" },
	{ "<a@x.org", 0, 0, NULL, "missing >" },
	{ "a@x.org>", 0, 0, NULL, "missing <" },
	{ "<", 0, 0, NULL, "missing >" },
	{ "<@a.example user@c.example>", 0, 0, NULL, "bad source route" },
	{ "@a.example:user@c.example", 0, 0, NULL, "empty local part" },
	{ "a..b@x.org", 0, 0, NULL, "two dots in a row in local part" },
	{ ".a@x.org", 0, 0, NULL, "local part starts with a dot" },
	{ "a.@x.org", 0, 0, NULL, "local part ends with a dot" },
	{ "a b@x.org", 0, 0, NULL, "bad character in local part" },
	{ " a@x.org", 0, 0, NULL, "bad character in local part" },
	{ "a(b)@x.org", 0, 0, NULL, "bad character in local part" },
	{ "a\x01" "b@x.org", 0, 0, NULL, "bad character in local part" },
	{ "a\rb@x.org", 0, 0, NULL, "bad character in local part" },
	{ "a\nb@x.org", 0, 0, NULL, "bad character in local part" },
	{ "a\0b@x.org", 9, 0, NULL, "NUL byte in \"a\\x00b@x.org\"" },
	{ "a@x.org\0", 8, 0, NULL, "NUL byte" },
	{ "\"unterminated@x.org", 0, 0, NULL,
	    "unterminated quoted string in local part" },
	{ "\"a\"b@x.org", 0, 0, NULL,
	    "bad character after quoted local part" },
	{ "\"a\x01\"@x.org", 0, 0, NULL, "bad character in local part" },
	{ "\"a\\\x01\"@x.org", 0, 0, NULL, "bad quoted pair in local part" },
	{ "\"a\\", 0, 0, NULL, "bad quoted pair in local part" },
	/* domains */
	{ "a@x..org", 0, 0, NULL, "empty domain label" },
	{ "a@x.org.", 0, 0, NULL, "empty domain label" },
	{ "a@.x.org", 0, 0, NULL, "empty domain label" },
	{ "a@-x.org", 0, 0, NULL, "domain label starts or ends with a hyphen" },
	{ "a@x-.org", 0, 0, NULL, "domain label starts or ends with a hyphen" },
	{ "a@x_y.org", 0, 0, NULL, "bad character in domain" },
	{ "a@x\x7f.org", 0, 0, NULL, "bad character in domain" },
	{ "a@x org", 0, 0, NULL, "bad character in domain" },
	{ "a@[1.2.3]", 0, 0, NULL, "bad IPv4 address literal" },
	{ "a@[1.2.3.256]", 0, 0, NULL, "bad IPv4 address literal" },
	{ "a@[]", 0, 0, NULL, "bad IPv4 address literal" },
	{ "a@[IPv6:]", 0, 0, NULL, "bad IPv6 address literal" },
	{ "a@[IPv6:zz::1]", 0, 0, NULL, "bad IPv6 address literal" },
	{ "a@[IPv6:1.2.3.4]", 0, 0, NULL, "bad IPv6 address literal" },
	{ "a@[1.2.3.4", 0, 0, NULL, "unterminated address literal" },
	{ "a@[", 0, 0, NULL, "unterminated address literal" },
	{ "a@[x-tag:foo]", 0, 0, NULL, "unsupported address literal" },
	{ "a@[1.2.3.4]x", 0, 0, NULL, "unterminated address literal" },
};

TEST(table)
{
	struct buf out = BUF_INIT;
	char err[256];
	size_t len;
	int rc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];

		len = c->len != 0 ? c->len : strlen(c->in);
		err[0] = '\0';
		errno = 0;
		rc = addr_parse(c->in, len, &out, c->flags, err, sizeof(err));
		if (c->want != NULL) {
			if (rc != 0)
				test_fail(__FILE__, __LINE__, "case %zu: "
				    "got error \"%s\", want \"%s\"", i, err,
				    c->want);
			else
				CHECK_STR(buf_cstr(&out), c->want);
		} else {
			if (rc != -1) {
				test_fail(__FILE__, __LINE__, "case %zu: got "
				    "\"%s\", want error \"%s\"", i,
				    buf_cstr(&out), c->err);
				continue;
			}
			CHECK_INT(errno, EINVAL);
			if (strncmp(err, c->err, strlen(c->err)) != 0)
				test_fail(__FILE__, __LINE__, "case %zu: got "
				    "error \"%s\", want \"%s...\"", i, err,
				    c->err);
		}
	}
	buf_free(&out);
}

/* repeat - a string of n copies of c */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static int
parse(const char *s, struct buf *out, char *err, size_t errlen)
{
	return addr_parse(s, strlen(s), out, 0, err, errlen);
}

TEST(limits)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	char err[256], *l64 = repeat('l', 64), *l63 = repeat('d', 63);

	/* a local part of 64 octets passes, 65 do not */
	buf_appendf(&in, "%s@x.org", l64);
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), 0);
	buf_set(&in, "m", 1);
	buf_appendf(&in, "%s@x.org", l64);
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), -1);
	CHECK(strncmp(err, "local part too long", 19) == 0);
	/* so does a quoted one, quotes counted */
	buf_set(&in, "\"", 1);
	buf_append(&in, l64, 62);
	buf_appends(&in, "\"@x.org");
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), 0);
	buf_set(&in, "\"", 1);
	buf_append(&in, l64, 63);
	buf_appends(&in, "\"@x.org");
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), -1);

	/* labels of 63 octets pass, 64 do not */
	buf_reset(&in);
	buf_appendf(&in, "a@%s.org", l63);
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), 0);
	buf_reset(&in);
	buf_appendf(&in, "a@%sd.org", l63);
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), -1);
	CHECK_STR(err, "domain label too long in \"a@ddddddddddddddddddddd"
	    "ddddddddddddddddddddddddddddddddddddddddd...\"");

	/* 254 octets in all pass, 255 do not */
	buf_set(&in, "a@", 2);
	for (int i = 0; i < 3; i++)
		buf_appendf(&in, "%s.", l63);
	buf_append(&in, l63, 60);	/* 2 + 192 + 60 = 254 */
	CHECK_INT(in.len, 254);
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), 0);
	CHECK_INT(out.len, 254);
	buf_appendc(&in, 'd');
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), -1);
	CHECK(strncmp(err, "address too long", 16) == 0);

	/* a domain over 255 octets */
	buf_set(&in, "a@", 2);
	for (int i = 0; i < 4; i++)
		buf_appendf(&in, "%s.", l63);
	buf_appends(&in, "org");
	CHECK_INT(parse(buf_cstr(&in), &out, err, sizeof(err)), -1);
	CHECK(strncmp(err, "domain too long", 15) == 0);

	free(l64);
	free(l63);
	buf_free(&in);
	buf_free(&out);
}

TEST(hostile)
{
	struct buf out = BUF_INIT;
	char err[256], small[12], *big = repeat('a', 100000);
	unsigned char all[256];

	/* a huge input is refused and quoted short */
	CHECK_INT(addr_parse(big, 100000, &out, 0, err, sizeof(err)), -1);
	CHECK(strlen(err) < 120);
	CHECK(strstr(err, "...\"") != NULL);
	big[50] = '@';
	CHECK_INT(addr_parse(big, 100000, &out, 0, err, sizeof(err)), -1);
	CHECK_INT(out.len, 0);

	/* unprintable bytes are escaped in the error */
	CHECK_INT(addr_parse("a\x01\"\\\xff@x", 7, &out, 0, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "bad character in local part in "
	    "\"a\\x01\\\"\\\\\\xff@x\"");

	/* a small error buffer is cut, not overrun; NULL is fine */
	CHECK_INT(addr_parse("foo", 3, &out, 0, small, sizeof(small)), -1);
	CHECK_INT(strlen(small), sizeof(small) - 1);
	CHECK_INT(addr_parse("foo", 3, &out, 0, NULL, 0), -1);

	/* every single byte, with and without ADDR_UTF8, as a local part */
	for (int c = 0; c < 256; c++)
		all[c] = (unsigned char)c;
	for (int c = 0; c < 256; c++) {
		char in[8] = { (char)c, '@', 'x', '.', 'o', 'r', 'g' };
		int want = strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (c == 0)
			want = 0;
		CHECK_INT(addr_parse(in, 7, &out, 0, err, sizeof(err)),
		    want ? 0 : -1);
		CHECK_INT(addr_parse(in, 7, &out, U, err, sizeof(err)),
		    want ? 0 : -1);
	}
	/* all 256 bytes in a row never pass */
	CHECK_INT(addr_parse((char *)all, sizeof(all), &out, U, err,
	    sizeof(err)), -1);
	/* a previous result does not survive an error */
	CHECK_INT(addr_parse("a@b", 3, &out, 0, err, sizeof(err)), 0);
	CHECK_INT(addr_parse("a@", 2, &out, 0, err, sizeof(err)), -1);
	CHECK_INT(out.len, 0);

	free(big);
	buf_free(&out);
}

TEST(domain)
{
	static const struct {
		const char *in, *want;
	} dc[] = {
		{ "a@b.c", "b.c" },
		{ "\"x@y\"@z.org", "z.org" },
		{ "\"a\\\"@b\"@c", "c" },
		{ "\"a\\\\\"@c", "c" },
		{ "a@[IPv6:::1]", "[IPv6:::1]" },
		{ "noat", NULL },
		{ "\"a@b\"", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(dc) / sizeof(dc[0]); i++)
		CHECK_STR(addr_domain(dc[i].in), dc[i].want);
}

/* a normal form parses to itself */
TEST(idempotent)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];

		if (c->want == NULL || *c->want == '\0')
			continue;
		CHECK_INT(addr_parse(c->want, strlen(c->want), &a, c->flags,
		    err, sizeof(err)), 0);
		CHECK_STR(buf_cstr(&a), c->want);
		CHECK_INT(addr_parse(buf_cstr(&a), a.len, &b, c->flags, err,
		    sizeof(err)), 0);
		CHECK_STR(buf_cstr(&b), c->want);
	}
	buf_free(&a);
	buf_free(&b);
}

static const struct test_case tests[] = {
	T(table),
	T(limits),
	T(hostile),
	T(domain),
	T(idempotent),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
