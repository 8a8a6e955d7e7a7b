/*
 * inbound_test - reading inbound reports: an RFC 3464 DSN, the text of
 * Exim, qmail and Gmail, ARF and JMRP complaints, auto-replies and plain
 * mail, line endings, and hostile MIME (no boundary, no end, nesting,
 * huge headers, too many parts, 8-bit garbage, NULs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bouncecat.h"
#include "buf.h"
#include "harness.h"
#include "inbound.h"

static struct bouncecat *bc;
static char err[512];

static const char dsn[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
    "To: alice@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"B1\"\n"
    "\n"
    "--B1\n"
    "Content-Type: text/plain\n"
    "\n"
    "I'm sorry to have to inform you...\n"
    "--B1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "\n"
    "Final-Recipient: rfc822; bob@example.net\n"
    "Original-Recipient: rfc822;Bob@Example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient\n"
    "    address rejected: User unknown in local recipient table\n"
    "\n"
    "Final-Recipient: rfc822; carol@example.net\n"
    "Action: delayed\n"
    "Status: 4.2.2\n"
    "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
    "\n"
    "--B1\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: alice@example.com\n"
    "To: bob@example.net\n"
    "Message-ID: <m1@example.com>\n"
    "\n"
    "hello\n"
    "--B1--\n";

static const char exim[] =
    "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
    "To: alice@example.com\n"
    "Subject: Mail delivery failed: returning message to sender\n"
    "X-Failed-Recipients: bob@example.org\n"
    "Auto-Submitted: auto-replied\n"
    "\n"
    "This message was created automatically by mail delivery software.\n"
    "\n"
    "A message that you sent could not be delivered to one or more of\n"
    "its recipients. This is a permanent error. The following address(es)\n"
    "failed:\n"
    "\n"
    "  bob@example.org\n"
    "    SMTP error from remote mail server after RCPT TO:"
    "<bob@example.org>:\n"
    "    host mx.example.org [192.0.2.1]: 550 5.2.2 mailbox is full\n"
    "\n"
    "------ This is a copy of the message, including all the headers.\n"
    "\n"
    "To: carol@example.org\n";

static const char qmail[] =
    "From: MAILER-DAEMON@mx.example.jp\n"
    "To: alice@example.com\n"
    "Subject: failure notice\n"
    "\n"
    "Hi. This is the qmail-send program at mx.example.jp.\n"
    "I'm afraid I wasn't able to deliver your message to the following "
    "addresses.\n"
    "\n"
    "<bob@example.jp>:\n"
    "Sorry, I couldn't find any host named example.jp. (#5.1.2)\n"
    "\n"
    "--- Below this line is a copy of the message.\n";

static const char arf[] =
    "From: <abuse@example.net>\n"
    "To: <abuse@example.com>\n"
    "Subject: FW: Earn money\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=feedback-report;\n"
    "     boundary=\"part1\"\n"
    "\n"
    "--part1\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is an email abuse report\n"
    "--part1\n"
    "Content-Type: message/feedback-report\n"
    "\n"
    "Feedback-Type: abuse\n"
    "User-Agent: SomeGenerator/1.0\n"
    "Version: 1\n"
    "Original-Mail-From: <somespammer@example.net>\n"
    "Original-Rcpt-To: <user@example.com>\n"
    "Original-Rcpt-To: <user2@example.com>\n"
    "Source-IP: 192.0.2.2\n"
    "Reported-Domain: example.net\n"
    "\n"
    "--part1\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: <somespammer@example.net>\n"
    "To: <user@example.com>\n"
    "\n"
    "Spam\n"
    "--part1--\n";

static const char jmrp[] =
    "From: staff@hotmail.com\n"
    "To: fbl@example.com\n"
    "Subject: complaint about message from 192.0.2.3\n"
    "Content-Type: multipart/mixed; boundary=\"J\"\n"
    "\n"
    "--J\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is an email abuse report.\n"
    "--J\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "X-HmXmrOriginalRecipient: <dave@hotmail.com>\n"
    "From: news@example.com\n"
    "To: dave@hotmail.com\n"
    "\n"
    "news\n"
    "--J--\n";

static const char vacation[] =
    "From: Bob <bob@example.org>\n"
    "To: alice@example.com\n"
    "Subject: Out of Office: your mail\n"
    "Auto-Submitted: auto-replied\n"
    "\n"
    "I am away until Monday.\n";

static const char plain[] =
    "From: Bob <bob@example.org>\n"
    "To: alice@example.com\n"
    "Subject: lunch?\n"
    "\n"
    "Shall we?\n";

/* parse - text into in, or fail the test */
static int
parse(struct inbound *in, const char *text, size_t n)
{
	int rc;

	err[0] = '\0';
	if ((rc = inbound_parse(in, text, n, bc, err, sizeof(err))) == -1)
		test_fail(__FILE__, __LINE__, "inbound_parse: %s", err);
	return rc;
}

TEST(rfc3464)
{
	struct inbound in;

	if (parse(&in, dsn, sizeof(dsn) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_BOUNCE);
	CHECK_STR(in.format, "rfc3464");
	CHECK_STR(in.reporting_mta, "mx.example.net");
	CHECK_STR(in.orig, "alice@example.com");
	CHECK_STR(in.msgid, "m1@example.com");
	CHECK_UINT(in.n, 2);
	if (in.n == 2) {
		CHECK_STR(in.r[0].rcpt, "bob@example.net");
		CHECK_STR(in.r[0].orcpt, "Bob@Example.net");
		CHECK_STR(in.r[0].action, "failed");
		CHECK_STR(in.r[0].status, "5.1.1");
		CHECK_INT(in.r[0].code, 550);
		CHECK_STR(in.r[0].category, "bad-mailbox");
		CHECK_STR(in.r[0].diag, "550 5.1.1 <bob@example.net>: "
		    "Recipient address rejected: User unknown in local "
		    "recipient table");
		CHECK_STR(in.r[1].rcpt, "carol@example.net");
		CHECK_STR(in.r[1].action, "delayed");
		CHECK_STR(in.r[1].category, "quota-issues");
	}
	inbound_free(&in);
}

TEST(text_bounces)
{
	struct inbound in;

	if (parse(&in, exim, sizeof(exim) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_BOUNCE);
	CHECK_STR(in.format, "exim");
	CHECK_UINT(in.n, 1);
	if (in.n == 1) {
		CHECK_STR(in.r[0].rcpt, "bob@example.org");
		CHECK_STR(in.r[0].status, "5.2.2");
		CHECK_INT(in.r[0].code, 550);
		CHECK_STR(in.r[0].category, "quota-issues");
		CHECK_STR(in.r[0].action, "failed");
	}
	inbound_free(&in);

	if (parse(&in, qmail, sizeof(qmail) - 1) == -1)
		return;
	CHECK_STR(in.format, "qmail");
	CHECK_UINT(in.n, 1);
	if (in.n == 1) {
		CHECK_STR(in.r[0].rcpt, "bob@example.jp");
		CHECK_STR(in.r[0].status, "5.1.2");
		CHECK_STR(in.r[0].category, "bad-domain");
	}
	inbound_free(&in);
}

TEST(complaints)
{
	struct inbound in;

	if (parse(&in, arf, sizeof(arf) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_COMPLAINT);
	CHECK_STR(in.format, "arf");
	CHECK_STR(in.user_agent, "SomeGenerator/1.0");
	CHECK_STR(in.source_ip, "192.0.2.2");
	CHECK_STR(in.reported_domain, "example.net");
	CHECK_STR(in.orig, "somespammer@example.net");
	CHECK_UINT(in.n, 2);
	if (in.n == 2) {
		CHECK_STR(in.r[0].rcpt, "user@example.com");
		CHECK_STR(in.r[1].rcpt, "user2@example.com");
		CHECK_STR(in.r[0].feedback_type, "abuse");
		CHECK_STR(in.r[0].action, "complaint");
		CHECK(in.r[0].category == NULL);
	}
	inbound_free(&in);

	if (parse(&in, jmrp, sizeof(jmrp) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_COMPLAINT);
	CHECK_STR(in.format, "jmrp");
	CHECK_UINT(in.n, 1);
	if (in.n == 1)
		CHECK_STR(in.r[0].rcpt, "dave@hotmail.com");
	inbound_free(&in);
}

/* Amazon SES notifications: JSON, or JSON quoted in SNS's JSON. */
TEST(amazonses)
{
	static const char ses[] =
	    "From: no-reply@sns.amazonaws.com\n"
	    "Subject: AWS Notification Message\n"
	    "\n"
	    "{\"notificationType\":\"Bounce\",\"bounce\":{"
	    "\"bouncedRecipients\":[{\"emailAddress\":\"a@b.example\","
	    "\"action\":\"failed\",\"status\":\"5.1.1\","
	    "\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"},"
	    "{\"emailAddress\":\"c@d.example\",\"status\":\"5.2.2\"}]}}\n";
	static const char sns[] =
	    "From: no-reply@sns.amazonaws.com\n"
	    "Subject: AWS Notification Message\n"
	    "\n"
	    "{\"Type\" : \"Notification\", \"Message\" : "
	    "\"{\\\"notificationType\\\":\\\"Complaint\\\","
	    "\\\"complaint\\\":{\\\"complainedRecipients\\\":[{"
	    "\\\"emailAddress\\\":\\\"e@f.example\\\"}],"
	    "\\\"complaintFeedbackType\\\":\\\"abuse\\\"}}\"}\n";
	struct inbound in;

	if (parse(&in, ses, sizeof(ses) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_BOUNCE);
	CHECK_STR(in.format, "amazonses");
	CHECK_UINT(in.n, 2);
	if (in.n == 2) {
		CHECK_STR(in.r[0].rcpt, "a@b.example");
		CHECK_STR(in.r[0].diag, "550 5.1.1 user unknown");
		CHECK_STR(in.r[0].category, "bad-mailbox");
		CHECK_STR(in.r[1].rcpt, "c@d.example");
		CHECK_STR(in.r[1].status, "5.2.2");
		CHECK_STR(in.r[1].category, "quota-issues");
	}
	inbound_free(&in);
	if (parse(&in, sns, sizeof(sns) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_COMPLAINT);
	CHECK_UINT(in.n, 1);
	if (in.n == 1) {
		CHECK_STR(in.r[0].rcpt, "e@f.example");
		CHECK_STR(in.r[0].feedback_type, "abuse");
	}
	inbound_free(&in);
}

/* Auto-replies and plain mail are not bounces. */
TEST(not_bounces)
{
	struct inbound in;

	if (parse(&in, vacation, sizeof(vacation) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_AUTOREPLY);
	CHECK_UINT(in.n, 1);
	if (in.n == 1) {
		CHECK(in.r[0].category == NULL);
		CHECK_STR(in.r[0].action, "autoreply");
	}
	inbound_free(&in);
	if (parse(&in, plain, sizeof(plain) - 1) == -1)
		return;
	CHECK_INT(in.kind, INBOUND_NONE);
	CHECK_UINT(in.n, 0);
	inbound_free(&in);
}

/* to_crlf - text with LF made CRLF (cr: made CR) into b */
static void
convert(struct buf *b, const char *text, int cr)
{
	buf_reset(b);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n') {
			(void)buf_appendc(b, '\r');
			if (!cr)
				(void)buf_appendc(b, '\n');
		} else
			(void)buf_appendc(b, *p);
	}
}

/* CRLF, LF and CR line ends read the same. */
TEST(line_endings)
{
	const char *const texts[] = { dsn, exim, qmail, arf };
	struct inbound a, c;
	struct buf b = BUF_INIT;

	for (size_t t = 0; t < 4; t++) {
		for (int cr = 0; cr < 2; cr++) {
			convert(&b, texts[t], cr);
			if (parse(&a, texts[t], strlen(texts[t])) == -1)
				continue;
			if (parse(&c, b.p, b.len) == -1) {
				inbound_free(&a);
				continue;
			}
			CHECK_INT(a.kind, c.kind);
			CHECK_UINT(a.n, c.n);
			for (size_t i = 0; i < a.n && i < c.n; i++) {
				CHECK_STR(a.r[i].rcpt, c.r[i].rcpt);
				CHECK_STR(a.r[i].status, c.r[i].status);
				CHECK_STR(a.r[i].diag, c.r[i].diag);
			}
			inbound_free(&a);
			inbound_free(&c);
		}
	}
	buf_free(&b);
}

/* Hostile MIME: a clear result or a clear error, never a crash. */
TEST(hostile)
{
	static const char noboundary[] =
	    "From: MAILER-DAEMON@x.example\n"
	    "Subject: Undelivered\n"
	    "Content-Type: multipart/report\n"
	    "\n"
	    "<bob@example.org>: 550 5.1.1 user unknown\n";
	static const char noend[] =
	    "From: MAILER-DAEMON@x.example\n"
	    "Content-Type: multipart/report; boundary=Z\n"
	    "\n"
	    "--Z\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; bob@example.org\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n";
	static const char nested[] =
	    "From: someone@example.org\n"
	    "Subject: fwd\n"
	    "Content-Type: multipart/mixed; boundary=O\n"
	    "\n"
	    "--O\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "From: MAILER-DAEMON@x.example\n"
	    "Content-Type: multipart/report; boundary=I\n"
	    "\n"
	    "--I\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; bob@example.org\n"
	    "--I--\n"
	    "--O--\n";
	static const char garbage[] =
	    "From: \xff\xfe@\x80\n"
	    "Subject: \x01\x02\xc3\x28\n"
	    "Content-Type: text/plain; charset=\"\n"
	    "\n"
	    "\xff\xfe\xfd @@@ <> <@> a@ @b \x00\x00 =?=?=\n";
	struct inbound in;
	struct buf b = BUF_INIT;

	CHECK_INT(parse(&in, noboundary, sizeof(noboundary) - 1), 0);
	CHECK_INT(in.kind, INBOUND_BOUNCE);
	CHECK_UINT(in.n, 1);
	if (in.n == 1)
		CHECK_STR(in.r[0].category, "bad-mailbox");
	inbound_free(&in);

	CHECK_INT(parse(&in, noend, sizeof(noend) - 1), 0);
	CHECK_UINT(in.n, 1);
	if (in.n == 1)
		CHECK_STR(in.r[0].status, "5.1.1");
	inbound_free(&in);

	/* a report quoted in a forwarded message is not this message's */
	CHECK_INT(parse(&in, nested, sizeof(nested) - 1), 0);
	CHECK_INT(in.kind, INBOUND_NONE);
	CHECK_UINT(in.n, 0);
	inbound_free(&in);

	CHECK_INT(parse(&in, garbage, sizeof(garbage) - 1), 0);
	CHECK_INT(in.kind, INBOUND_NONE);
	inbound_free(&in);

	/* nested deeper than allowed */
	buf_reset(&b);
	(void)buf_appends(&b, "From: a@b.example\n");
	for (int i = 0; i <= INBOUND_MAXDEPTH + 1; i++)
		(void)buf_appendf(&b, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	CHECK_INT(inbound_parse(&in, b.p, b.len, bc, err, sizeof(err)), -1);
	CHECK_INT(errno, E2BIG);
	CHECK_STR(err, "MIME parts nested deeper than 8");

	/* too many parts */
	buf_reset(&b);
	(void)buf_appends(&b, "From: a@b.example\n"
	    "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i <= INBOUND_MAXPARTS; i++)
		(void)buf_appends(&b, "--p\n\nx\n");
	CHECK_INT(inbound_parse(&in, b.p, b.len, bc, err, sizeof(err)), -1);
	CHECK_STR(err, "more than 256 MIME parts");

	/* a huge header */
	buf_reset(&b);
	(void)buf_appends(&b, "From: a@b.example\nX-Big: ");
	for (int i = 0; i < INBOUND_MAXHEADER / 8; i++)
		(void)buf_appends(&b, "xxxxxxx\n ");
	(void)buf_appends(&b, "\n\nbody\n");
	CHECK_INT(inbound_parse(&in, b.p, b.len, bc, err, sizeof(err)), -1);
	CHECK_STR(err, "a header section longer than 262144 bytes");

	/* not a message at all, and nothing */
	CHECK_INT(inbound_parse(&in, "\n\nhello", 7, bc, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "not a message: no header");
	CHECK_INT(inbound_parse(&in, "", 0, bc, err, sizeof(err)), -1);
	CHECK_INT(errno, EINVAL);
	buf_free(&b);
}

/* Each prefix of each sample parses or fails cleanly. */
TEST(prefixes)
{
	const char *const texts[] = { dsn, exim, qmail, arf, jmrp };
	struct inbound in;

	for (size_t t = 0; t < 5; t++)
		for (size_t n = 0; n <= strlen(texts[t]); n++)
			if (inbound_parse(&in, texts[t], n, bc, err,
			    sizeof(err)) == 0)
				inbound_free(&in);
}

/*
 * A recipient known by other means (VERP) is what a text bounce that
 * names none is about; it changes nothing where the report names one,
 * nor in what is not a bounce.
 */
TEST(known_rcpt)
{
	static const char anon[] =
	    "From: MAILER-DAEMON@mx.example.net\n"
	    "To: bnc-u=y-abcdefgh@bnc.example\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "\n"
	    "This message was created automatically by mail delivery "
	    "software.\n\n"
	    "A message that you sent could not be delivered to one or more "
	    "of its\nrecipients. This is a permanent error.\n\n"
	    "  550 5.1.1 mailbox unavailable\n";
	static const char notbounce[] =
	    "From: bob@example.org\nTo: alice@example.com\nSubject: hi\n"
	    "\nlunch?\n";
	struct inbound in;

	CHECK_INT(inbound_parse(&in, anon, strlen(anon), bc, err,
	    sizeof(err)), 0);
	CHECK_INT(in.n, 0);
	inbound_free(&in);
	CHECK_INT(inbound_parse_rcpt(&in, anon, strlen(anon), "u@y.example",
	    bc, err, sizeof(err)), 0);
	CHECK_INT(in.kind, INBOUND_BOUNCE);
	CHECK_INT(in.n, 1);
	if (in.n == 1) {
		CHECK_STR(in.r[0].rcpt, "u@y.example");
		CHECK_STR(in.r[0].action, "failed");
		CHECK_STR(in.r[0].category, "bad-mailbox");
		CHECK(in.r[0].diag != NULL &&
		    strstr(in.r[0].diag, "mailbox unavailable") != NULL);
	}
	inbound_free(&in);
	/* the report's own recipients stay */
	CHECK_INT(inbound_parse_rcpt(&in, dsn, strlen(dsn), "u@y.example", bc,
	    err, sizeof(err)), 0);
	CHECK_INT(in.n, 2);
	if (in.n == 2)
		CHECK_STR(in.r[0].rcpt, "bob@example.net");
	inbound_free(&in);
	CHECK_INT(inbound_parse_rcpt(&in, notbounce, strlen(notbounce), "u@y.example",
	    bc, err, sizeof(err)), 0);
	CHECK_INT(in.kind, INBOUND_NONE);
	CHECK_INT(in.n, 0);
	inbound_free(&in);
}

static const struct test_case tests[] = {
	T(rfc3464),
	T(text_bounces),
	T(complaints),
	T(amazonses),
	T(not_bounces),
	T(line_endings),
	T(hostile),
	T(prefixes),
	T(known_rcpt),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	if ((bc = bouncecat_load("etc/bounce-categories", NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "inbound_test: %s\n", err);
		return 1;
	}
	return test_main(tests, argc, argv);
}
