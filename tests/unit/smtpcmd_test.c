/*
 * smtpcmd_test - the SMTP command parser: each verb, each parameter,
 * and the replies to what is malformed.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "smtpcmd.h"

static const struct {
	const char	*line;
	int		 verb;
	const char	*reply;		/* NULL: accepted */
	const char	*path;		/* MAIL/RCPT, or the argument */
} table[] = {
	{ "EHLO client.test", SMTPCMD_EHLO, NULL, "client.test" },
	{ "ehlo   client.test  ", SMTPCMD_EHLO, NULL, "client.test" },
	{ "HELO [192.0.2.1]", SMTPCMD_HELO, NULL, "[192.0.2.1]" },
	{ "HELO", SMTPCMD_HELO, "501 5.5.4 Syntax: HELO hostname", NULL },
	{ "EHLO", SMTPCMD_EHLO, "501 5.5.4 Syntax: EHLO hostname", NULL },
	{ "MAIL FROM:<a@b.test>", SMTPCMD_MAIL, NULL, "a@b.test" },
	{ "mail from: <a@b.test>", SMTPCMD_MAIL, NULL, "a@b.test" },
	{ "MAIL FROM:<>", SMTPCMD_MAIL, NULL, "" },
	{ "MAIL FROM:<@r1,@r2:a@b.test>", SMTPCMD_MAIL, NULL, "a@b.test" },
	{ "MAIL FROM:<\"a>b\"@c.test>", SMTPCMD_MAIL, NULL,
	    "\"a>b\"@c.test" },
	{ "MAIL FROM:a@b.test", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax: MAIL FROM:<address>", NULL },
	{ "MAIL FROM:<a@b.test", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax: MAIL FROM:<address>", NULL },
	{ "MAIL FROM:<a@b.test>x", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax: MAIL FROM:<address>", NULL },
	{ "MAIL TO:<a@b.test>", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax: MAIL FROM:<address>", NULL },
	{ "MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=FULL "
	    "ENVID=x+2By AUTH=<>", SMTPCMD_MAIL, NULL, "a@b.test" },
	{ "MAIL FROM:<a@b.test> SIZE=x", SMTPCMD_MAIL,
	    "501 5.5.4 Bad SIZE parameter", NULL },
	{ "MAIL FROM:<a@b.test> SIZE=99999999999999999999999", SMTPCMD_MAIL,
	    "501 5.5.4 Bad SIZE parameter", NULL },
	{ "MAIL FROM:<a@b.test> SIZE=18446744073709551616", SMTPCMD_MAIL,
	    "552 5.3.4 Message size exceeds the limit", NULL },
	{ "MAIL FROM:<a@b.test> SIZE=1 size=2", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax error: parameter given twice", NULL },
	{ "MAIL FROM:<a@b.test> BODY=BINARYMIME", SMTPCMD_MAIL,
	    "555 5.5.4 Unsupported BODY type", NULL },
	{ "MAIL FROM:<a@b.test> SMTPUTF8=yes", SMTPCMD_MAIL,
	    "501 5.5.4 SMTPUTF8 takes no value", NULL },
	{ "MAIL FROM:<a@b.test> RET=ALL", SMTPCMD_MAIL,
	    "501 5.5.4 Bad RET parameter", NULL },
	{ "MAIL FROM:<a@b.test> ENVID=a+0", SMTPCMD_MAIL,
	    "501 5.5.4 Bad ENVID parameter", NULL },
	{ "MAIL FROM:<a@b.test> ENVID=a+00", SMTPCMD_MAIL,
	    "501 5.5.4 Bad ENVID parameter", NULL },
	{ "MAIL FROM:<a@b.test> XFOO", SMTPCMD_MAIL,
	    "555 5.5.4 Unsupported option", NULL },
	{ "MAIL FROM:<a@b.test> =x", SMTPCMD_MAIL,
	    "501 5.5.4 Syntax error in parameters", NULL },
	{ "RCPT TO:<c@d.test>", SMTPCMD_RCPT, NULL, "c@d.test" },
	{ "RCPT TO:<c@d.test> NOTIFY=NEVER", SMTPCMD_RCPT, NULL, "c@d.test" },
	{ "RCPT TO:<c@d.test> NOTIFY=NEVER,DELAY", SMTPCMD_RCPT,
	    "501 5.5.4 Bad NOTIFY parameter", NULL },
	{ "RCPT TO:<c@d.test> NOTIFY=SUCCESS,", SMTPCMD_RCPT,
	    "501 5.5.4 Bad NOTIFY parameter", NULL },
	{ "RCPT TO:<c@d.test> ORCPT=rfc822", SMTPCMD_RCPT,
	    "501 5.5.4 Bad ORCPT parameter", NULL },
	{ "RCPT TO:<c@d.test> SIZE=1", SMTPCMD_RCPT,
	    "555 5.5.4 Unsupported option", NULL },
	{ "RCPT FROM:<c@d.test>", SMTPCMD_RCPT,
	    "501 5.5.4 Syntax: RCPT TO:<address>", NULL },
	{ "DATA", SMTPCMD_DATA, NULL, "" },
	{ "DATA x", SMTPCMD_DATA,
	    "501 5.5.4 Syntax error: no parameters allowed", NULL },
	{ "BDAT 100", SMTPCMD_BDAT, NULL, "100" },
	{ "BDAT 0 LAST", SMTPCMD_BDAT, NULL, "0 LAST" },
	{ "BDAT", SMTPCMD_BDAT, "501 5.5.4 Syntax: BDAT size [LAST]", NULL },
	{ "BDAT 1 FIRST", SMTPCMD_BDAT,
	    "501 5.5.4 Syntax: BDAT size [LAST]", NULL },
	{ "BDAT 99999999999999999999", SMTPCMD_BDAT,
	    "552 5.3.4 Chunk too big", NULL },
	{ "RSET", SMTPCMD_RSET, NULL, "" },
	{ "NOOP anything", SMTPCMD_NOOP, NULL, "anything" },
	{ "QUIT", SMTPCMD_QUIT, NULL, "" },
	{ "VRFY postmaster", SMTPCMD_VRFY, NULL, "postmaster" },
	{ "VRFY", SMTPCMD_VRFY, "501 5.5.4 Syntax: VRFY address", NULL },
	{ "EXPN list", SMTPCMD_EXPN, NULL, "list" },
	{ "HELP", SMTPCMD_HELP, NULL, "" },
	{ "STARTTLS", SMTPCMD_STARTTLS, NULL, "" },
	{ "STARTTLS now", SMTPCMD_STARTTLS,
	    "501 5.5.4 Syntax error: no parameters allowed", NULL },
	{ "AUTH PLAIN", SMTPCMD_AUTH, NULL, "PLAIN" },
	{ "AUTH PLAIN AGEAYg==", SMTPCMD_AUTH, NULL, "PLAIN AGEAYg==" },
	{ "AUTH", SMTPCMD_AUTH, "501 5.5.4 Syntax: AUTH mechanism", NULL },
	{ "XYZZY", SMTPCMD_UNKNOWN,
	    "500 5.5.1 Error: command not recognized", NULL },
	{ "", SMTPCMD_UNKNOWN, "500 5.5.1 Error: command not recognized",
	    NULL },
	{ "HELO a\rb", SMTPCMD_UNKNOWN,
	    "500 5.5.2 Error: bad character in command", NULL },
	{ "HELO a\tb", SMTPCMD_UNKNOWN,
	    "500 5.5.2 Error: bad character in command", NULL },
};

TEST(parse_table)
{
	struct smtpcmd c;
	int rc;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		rc = smtpcmd_parse(table[i].line, strlen(table[i].line), &c);
		if (table[i].reply == NULL) {
			CHECK_INT(rc, 0);
			CHECK_INT(c.verb, table[i].verb);
			if (c.verb == SMTPCMD_MAIL || c.verb == SMTPCMD_RCPT)
				CHECK_STR(c.path, table[i].path);
			else
				CHECK_STR(c.arg, table[i].path);
		} else {
			CHECK_INT(rc, -1);
			CHECK_STR(c.reply, table[i].reply);
		}
	}
}

TEST(parameters)
{
	const char *l = "MAIL FROM:<a@b.test> SIZE=1024 BODY=8BITMIME "
	    "SMTPUTF8 RET=HDRS ENVID=q+2Bx+3D";
	struct smtpcmd c;

	CHECK_INT(smtpcmd_parse(l, strlen(l), &c), 0);
	CHECK(c.has_size);
	CHECK_UINT(c.size, 1024);
	CHECK_INT(c.body, SMTPCMD_BODY_8BITMIME);
	CHECK(c.smtputf8);
	CHECK_STR(c.ret, "hdrs");
	CHECK_STR(c.envid, "q+x=");
	l = "RCPT TO:<c@d.test> NOTIFY=success,Delay ORCPT=rfc822;c+40d.test";
	CHECK_INT(smtpcmd_parse(l, strlen(l), &c), 0);
	CHECK_STR(c.notify, "SUCCESS,DELAY");
	CHECK_STR(c.orcpt, "rfc822;c@d.test");
	l = "BDAT 4096 last";
	CHECK_INT(smtpcmd_parse(l, strlen(l), &c), 0);
	CHECK_UINT(c.chunk, 4096);
	CHECK(c.last);
	l = "AUTH login dXNlcg==";
	CHECK_INT(smtpcmd_parse(l, strlen(l), &c), 0);
	CHECK_STR(c.mech, "login");
	CHECK_STR(c.initial, "dXNlcg==");
}

/* RFC 5321 4.5.3.1.4: 512 octets with CRLF; a path of 256 with <>. */
TEST(limits)
{
	char line[600], path[300];
	struct smtpcmd c;

	memset(line, 'x', sizeof(line));
	memcpy(line, "NOOP ", 5);
	CHECK_INT(smtpcmd_parse(line, 510, &c), 0);
	CHECK_INT(smtpcmd_parse(line, 511, &c), -1);
	CHECK_STR(c.reply, "500 5.5.2 Error: line too long");
	memset(path, 'a', sizeof(path));
	(void)snprintf(line, sizeof(line), "MAIL FROM:<%.*s@b.test>", 247,
	    path);
	CHECK_INT(smtpcmd_parse(line, strlen(line), &c), 0);
	(void)snprintf(line, sizeof(line), "MAIL FROM:<%.*s@b.test>", 248,
	    path);
	CHECK_INT(smtpcmd_parse(line, strlen(line), &c), -1);
	CHECK_STR(c.reply, "501 5.1.0 Address too long");
	CHECK_INT(smtpcmd_parse("HELO a\0b", 8, &c), -1);
	CHECK_STR(c.reply, "500 5.5.2 Error: bad character in command");
}

TEST(names)
{
	CHECK_STR(smtpcmd_name(SMTPCMD_STARTTLS), "STARTTLS");
	CHECK_STR(smtpcmd_name(SMTPCMD_UNKNOWN), "unknown");
}

static const struct test_case tests[] = {
	T(parse_table),
	T(parameters),
	T(limits),
	T(names),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
