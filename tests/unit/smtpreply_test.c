/*
 * smtpreply_test - SMTP replies parse whole, in pieces and pipelined;
 * malformed, oversized and hostile ones are refused with a reason; EHLO
 * keywords become flags, a SIZE and a list.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "smtpreply.h"

/* Parse all of s as one reply: the return of the last call. */
static int
parse_all(struct smtpreply *r, const char *s, size_t *used, char *err,
    size_t errlen)
{
	smtpreply_init(r);
	return smtpreply_parse(r, s, strlen(s), used, err, errlen);
}

TEST(single_line)
{
	struct smtpreply r;
	char err[128];
	size_t used;

	CHECK_INT(parse_all(&r, "250 2.1.0 Ok\r\n", &used, err,
	    sizeof(err)), 1);
	CHECK_INT(r.code, 250);
	CHECK_STR(r.dsn, "2.1.0");
	CHECK_STR(r.text, "2.1.0 Ok");
	CHECK_UINT(used, 14);
	CHECK_UINT(r.nlines, 1);
	/* bare code, bare LF */
	CHECK_INT(parse_all(&r, "354\n", &used, err, sizeof(err)), 1);
	CHECK_INT(r.code, 354);
	CHECK_STR(r.text, "");
	CHECK_STR(r.dsn, "");
}

TEST(multi_line)
{
	struct smtpreply r;
	char err[128], one[64];
	size_t used;
	const char *s = "250-mx.test hello\r\n250-PIPELINING\r\n"
	    "250 SIZE 1000\r\n220 next\r\n";

	CHECK_INT(parse_all(&r, s, &used, err, sizeof(err)), 1);
	CHECK_INT(r.code, 250);
	CHECK_UINT(r.nlines, 3);
	CHECK_STR(r.text, "mx.test hello\nPIPELINING\nSIZE 1000");
	/* the next reply is left where it is */
	CHECK_STR(s + used, "220 next\r\n");
	CHECK_UINT(smtpreply_oneline(&r, one, sizeof(one)), 34);
	CHECK_STR(one, "mx.test hello PIPELINING SIZE 1000");
	CHECK_UINT(smtpreply_oneline(&r, one, 6), 5);
	CHECK_STR(one, "mx.te");
}

TEST(byte_by_byte)
{
	const char *s = "550-5.1.1 first\r\n550 second\r\n";
	struct smtpreply r;
	char err[128], in[64];
	size_t len = 0, used, n = strlen(s);
	int rc = 0;

	smtpreply_init(&r);
	for (size_t i = 0; i < n; i++) {
		in[len++] = s[i];
		rc = smtpreply_parse(&r, in, len, &used, err, sizeof(err));
		memmove(in, in + used, len - used);
		len -= used;
		if (i + 1 < n)
			CHECK_INT(rc, 0);
	}
	CHECK_INT(rc, 1);
	CHECK_INT(r.code, 550);
	CHECK_STR(r.dsn, "5.1.1");
	CHECK_STR(r.text, "5.1.1 first\nsecond");
	CHECK_UINT(len, 0);
}

TEST(enhanced_codes)
{
	static const struct {
		const char *in, *dsn;
	} t[] = {
		{ "250 2.0.0 Ok\r\n", "2.0.0" },
		{ "451 4.7.1\r\n", "4.7.1" },
		{ "550 5.123.456 x\r\n", "5.123.456" },
		{ "550 5.1234.1 x\r\n", "" },		/* subject too long */
		{ "550 4.1.1 x\r\n", "" },		/* class disagrees */
		{ "550 5.1.1x\r\n", "" },
		{ "550 5..1 x\r\n", "" },
		{ "550 5.1. x\r\n", "" },
		{ "550 x 5.1.1\r\n", "" },
		{ "250-2.0.0 a\r\n250 2.1.0 b\r\n", "2.0.0" },
	};
	struct smtpreply r;
	char err[128];
	size_t used;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_INT(parse_all(&r, t[i].in, &used, err, sizeof(err)), 1);
		CHECK_STR(r.dsn, t[i].dsn);
	}
}

TEST(malformed)
{
	static const struct {
		const char *in, *err;
	} t[] = {
		{ "25\r\n", "malformed reply line: \"25\"" },
		{ "\r\n", "malformed reply line: \"\"" },
		{ "abc hello\r\n", "malformed reply line: \"abc hello\"" },
		{ "150 one\r\n", "malformed reply line: \"150 one\"" },
		{ "650 six\r\n", "malformed reply line: \"650 six\"" },
		{ "2500 x\r\n", "malformed reply line: \"2500 x\"" },
		{ "250\tx\r\n", "malformed reply line: \"250?x\"" },
		{ "250-a\r\n251 b\r\n",
		    "reply code changed from 250 to 251 in line 2" },
		{ "250-a\r\nxyz\r\n", "malformed reply line: \"xyz\"" },
		{ "250-a\r\n\x1b[31m\r\n", "malformed reply line: \"?[31m\"" },
	};
	struct smtpreply r;
	char err[128];
	size_t used;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_INT(parse_all(&r, t[i].in, &used, err, sizeof(err)), -1);
		CHECK_STR(err, t[i].err);
	}
}

TEST(limits)
{
	static char big[SMTPREPLY_MAXLINE * 2];
	struct smtpreply r;
	char err[128];
	size_t used, n;

	/* a line of exactly the limit, CRLF included, is fine */
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	memcpy(big + SMTPREPLY_MAXLINE - 2, "\r\n", 3);
	CHECK_INT(parse_all(&r, big, &used, err, sizeof(err)), 1);
	CHECK_UINT(used, SMTPREPLY_MAXLINE);
	/* one more byte is not */
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	memcpy(big + SMTPREPLY_MAXLINE - 1, "\r\n", 3);
	CHECK_INT(parse_all(&r, big, &used, err, sizeof(err)), -1);
	CHECK_STR(err, "reply line longer than 1000 bytes");
	/* nor is an endless line without LF: refused before its end */
	big[sizeof(big) - 1] = '\0';
	memset(big, 'x', sizeof(big) - 1);
	CHECK_INT(parse_all(&r, big, &used, err, sizeof(err)), -1);
	CHECK_UINT(used, 0);
	/* a partial line under the limit waits */
	CHECK_INT(parse_all(&r, "250-ok\r\n250 no end", &used, err,
	    sizeof(err)), 0);
	CHECK_UINT(used, 8);
	/* too many lines */
	smtpreply_init(&r);
	for (n = 0; n < SMTPREPLY_MAXLINES; n++)
		CHECK_INT(smtpreply_parse(&r, "250-x\r\n", 7, &used, err,
		    sizeof(err)), 0);
	CHECK_INT(smtpreply_parse(&r, "250 x\r\n", 7, &used, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "reply of more than 100 lines");
	/* long text is cut, not refused */
	smtpreply_init(&r);
	memset(big, 'y', 900);
	memcpy(big, "250-", 4);
	memcpy(big + 900, "\r\n", 3);
	for (n = 0; n < 5; n++)
		CHECK_INT(smtpreply_parse(&r, big, 902, &used, err,
		    sizeof(err)), 0);
	CHECK_INT(smtpreply_parse(&r, "250 end\r\n", 9, &used, err,
	    sizeof(err)), 1);
	CHECK(r.truncated);
	CHECK_UINT(r.len, SMTPREPLY_MAXTEXT - 1);
	CHECK_UINT(strlen(r.text), r.len);
}

TEST(hostile_bytes)
{
	struct smtpreply r;
	char err[128];
	size_t used;
	const char s[] = "250-a\0b\r\n250 c\rd\x7f\r\n";

	smtpreply_init(&r);
	CHECK_INT(smtpreply_parse(&r, s, sizeof(s) - 1, &used, err,
	    sizeof(err)), 1);
	CHECK_UINT(r.len, 8);
	CHECK_STR(r.text, "a?b\nc?d?");
}

TEST(ehlo_keywords)
{
	struct smtpreply r;
	struct smtpext x;
	char err[128];
	size_t used;

	CHECK_INT(parse_all(&r, "250-mx.test Hello PIPELINING\r\n"
	    "250-pipelining\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
	    "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n"
	    "250-DSN\r\n250-CHUNKING\r\n250-AUTH PLAIN  LOGIN \r\n"
	    "250-AUTH=LOGIN\r\n250-X-FOO a,b\r\n250-\r\n250 \r\n", &used, err,
	    sizeof(err)), 1);
	smtpext_parse(&r, &x);
	CHECK_UINT(x.flags, SMTPEXT_PIPELINING | SMTPEXT_SIZE |
	    SMTPEXT_8BITMIME | SMTPEXT_STARTTLS | SMTPEXT_ENHANCEDSTATUSCODES |
	    SMTPEXT_SMTPUTF8 | SMTPEXT_DSN | SMTPEXT_CHUNKING);
	CHECK_UINT(x.size, 10240000);
	CHECK_STR(x.list, "PIPELINING,SIZE=10240000,8BITMIME,STARTTLS,"
	    "ENHANCEDSTATUSCODES,SMTPUTF8,DSN,CHUNKING,AUTH=PLAIN  LOGIN,"
	    "X-FOO=a b");

	/* the greeting line is not a keyword; SIZE without a number */
	CHECK_INT(parse_all(&r, "250-STARTTLS\r\n250-SIZE\r\n"
	    "250 SIZE 99999999999999999999999\r\n", &used, err,
	    sizeof(err)), 1);
	smtpext_parse(&r, &x);
	CHECK_UINT(x.flags, SMTPEXT_SIZE);
	CHECK_UINT(x.size, 0);
	CHECK_STR(x.list, "SIZE,SIZE=99999999999999999999999");

	/* one line: no keywords */
	CHECK_INT(parse_all(&r, "250 mx.test\r\n", &used, err,
	    sizeof(err)), 1);
	smtpext_parse(&r, &x);
	CHECK_UINT(x.flags, 0);
	CHECK_STR(x.list, "");
}

TEST(ehlo_list_fills)
{
	struct smtpreply r;
	struct smtpext x;
	char err[128], line[64];
	size_t used;

	smtpreply_init(&r);
	CHECK_INT(smtpreply_parse(&r, "250-hi\r\n", 8, &used, err,
	    sizeof(err)), 0);
	for (int i = 0; i < 90; i++) {
		snprintf(line, sizeof(line), "250-XKEYWORD%02d\r\n", i);
		CHECK_INT(smtpreply_parse(&r, line, strlen(line), &used, err,
		    sizeof(err)), 0);
	}
	CHECK_INT(smtpreply_parse(&r, "250 DSN\r\n", 9, &used, err,
	    sizeof(err)), 1);
	smtpext_parse(&r, &x);
	CHECK(strlen(x.list) < sizeof(x.list));
	CHECK(x.flags & SMTPEXT_DSN);
	/* whole elements only */
	CHECK(x.list[strlen(x.list) - 1] != ',');
	CHECK(strstr(x.list, "XKEYWORD00,") == x.list);
}

static const struct test_case tests[] = {
	T(single_line),
	T(multi_line),
	T(byte_by_byte),
	T(enhanced_codes),
	T(malformed),
	T(limits),
	T(hostile_bytes),
	T(ehlo_keywords),
	T(ehlo_list_fills),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
