/*
 * dsn_test - delivery status notifications: NOTIFY, the report's
 * fields, RET, hostile originals and diagnostics, and the way through
 * the spool.  With DSN_TEST_OUT set to a folder, every report built is
 * also written there as NAME.eml, for tests/integ/72-dsn.sh to parse
 * back with Python's email package.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "dsn.h"
#include "envelope.h"
#include "harness.h"
#include "spool.h"
#include "submit.h"

#define ORIG	"From: Alice <alice@example.org>\r\n" \
		"To: bob@example.net\r\n" \
		"Subject: hello\r\n" \
		"Message-ID: <m1@example.org>\r\n" \
		"\r\n" \
		"The body, which RET=HDRS keeps home.\r\n"

static void
set(struct buf *b, const char *s)
{
	if (buf_set(b, s, strlen(s)) == -1)
		abort();
}

static void
sample_env(struct envelope *e, const char *from, const char *ret)
{
	envelope_init(e);
	set(&e->id, "65a1b2c30f424000004d2");
	e->time = 1700000000;
	set(&e->from, from);
	if (ret != NULL)
		set(&e->ret, ret);
	set(&e->envid, "QQ314159");
}

static void
sample_opts(struct dsn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hostname = "mta.example.org";
	o->format = DSN_FMT_RFC3464;
	o->ret_default = DSN_RET_HDRS;
	o->full_max = DSN_FULL_MAX;
	o->now = 1700003600;
}

static const struct dsn_rcpt rcpt_550 = {
	.addr = "bob@example.net", .orcpt = "rfc822;Bob@Example.NET",
	.status = "5.1.1", .remote_mta = "mx.example.net",
	.diag = "550 5.1.1 <bob@example.net>: no such user",
	.last_attempt = 1700003000
};

/* Write a report to $DSN_TEST_OUT/name.eml when asked. */
static void
save(const char *name, const struct buf *b)
{
	const char *dir = getenv("DSN_TEST_OUT");
	char path[512];
	FILE *fp;

	if (dir == NULL || *dir == '\0')
		return;
	(void)snprintf(path, sizeof(path), "%s/%s.eml", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
		return;
	}
	if (b->len > 0)
		(void)fwrite(b->p, 1, b->len, fp);
	if (fclose(fp) == EOF)
		test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
}

static bool
has(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; b->len >= n && i <= b->len - n; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return true;
	return false;
}

#define CHECK_HAS(b, s) do {						\
	if (!has((b), (s)))						\
		test_fail(__FILE__, __LINE__, "report lacks \"%s\"", (s)); \
} while (0)

#define CHECK_LACKS(b, s) do {						\
	if (has((b), (s)))						\
		test_fail(__FILE__, __LINE__, "report has \"%s\"", (s)); \
} while (0)

/* No line longer than SMTP allows, none with a bare CR or LF. */
static void
check_lines(const struct buf *b)
{
	size_t start = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '\n' && (i == 0 || b->p[i - 1] != '\r'))
			test_fail(__FILE__, __LINE__, "bare LF at %zu", i);
		if (b->p[i] == '\r' && (i + 1 >= b->len || b->p[i + 1] != '\n'))
			test_fail(__FILE__, __LINE__, "bare CR at %zu", i);
		if (b->p[i] == '\n') {
			if (i - start > 1000)
				test_fail(__FILE__, __LINE__, "line of %zu "
				    "bytes at %zu", i - start, start);
			start = i + 1;
		}
	}
}

static int
build(const char *name, const struct dsn_opts *o, const struct envelope *e,
    const char *m, size_t len, const struct dsn_rcpt *r, size_t n,
    enum dsn_kind k, struct buf *out)
{
	int rc;

	buf_reset(out);
	if ((rc = dsn_build(o, e, m, len, r, n, k, out)) == 0)
		save(name, out);
	return rc;
}

TEST(wanted)
{
	static const struct {
		const char *from, *notify;
		enum dsn_kind kind;
		bool want;
	} t[] = {
		{ "a@x", NULL, DSN_FAILURE, true },
		{ "a@x", NULL, DSN_DELAY, true },
		{ "a@x", "", DSN_DELAY, true },
		{ "", NULL, DSN_FAILURE, false },
		{ NULL, "FAILURE", DSN_FAILURE, false },
		{ "", "FAILURE,DELAY", DSN_DELAY, false },
		{ "a@x", "NEVER", DSN_FAILURE, false },
		{ "a@x", "never", DSN_DELAY, false },
		{ "a@x", "SUCCESS", DSN_FAILURE, false },
		{ "a@x", "SUCCESS,FAILURE", DSN_FAILURE, true },
		{ "a@x", "SUCCESS,FAILURE", DSN_DELAY, false },
		{ "a@x", "failure,delay", DSN_DELAY, true },
		{ "a@x", "DELAY", DSN_FAILURE, false },
		{ "a@x", "FAILUREX", DSN_FAILURE, false },
		{ "a@x", "FAIL", DSN_FAILURE, false },
		{ "a@x", ",,FAILURE,", DSN_FAILURE, true },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (dsn_wanted(t[i].from, t[i].notify, t[i].kind) != t[i].want)
			test_fail(__FILE__, __LINE__, "case %zu: got %d, "
			    "want %d", i, !t[i].want, t[i].want);
}

TEST(delay_schedule)
{
	const int64_t h = 3600, every = 4 * h;
	const time_t t0 = 1700000000;
	unsigned sent = 0;

	CHECK_UINT(dsn_delay_count(t0, t0, every), 0);
	CHECK_UINT(dsn_delay_count(t0, t0 + every - 1, every), 0);
	CHECK_UINT(dsn_delay_count(t0, t0 + every, every), 1);
	CHECK_UINT(dsn_delay_count(t0, t0 + 9 * every, every), 9);
	CHECK_UINT(dsn_delay_count(t0, t0 - 5, every), 0);	/* clock */
	CHECK_UINT(dsn_delay_count(t0, t0 + 1000 * every, every),
	    DSN_DELAYMAX);
	CHECK_UINT(dsn_delay_count(t0, t0 + 10 * every, 0), 0);
	CHECK_UINT(dsn_delay_count(t0, t0 + 10 * every, INT64_MAX), 0);
	/* deferred at 1h, 3h: none; 5h: one; 6h: none; 12h: one more */
	CHECK(!dsn_delay_due(t0, t0 + h, every, &sent));
	CHECK(!dsn_delay_due(t0, t0 + 3 * h, every, &sent));
	CHECK(dsn_delay_due(t0, t0 + 5 * h, every, &sent));
	CHECK_UINT(sent, 1);
	CHECK(!dsn_delay_due(t0, t0 + 6 * h, every, &sent));
	CHECK(dsn_delay_due(t0, t0 + 12 * h, every, &sent));
	CHECK_UINT(sent, 3);
	CHECK(!dsn_delay_due(t0, t0 + 12 * h, every, &sent));
	/* after a restart: what has passed counts as sent */
	sent = dsn_delay_count(t0, t0 + 13 * h, every);
	CHECK(!dsn_delay_due(t0, t0 + 15 * h, every, &sent));
	CHECK(dsn_delay_due(t0, t0 + 16 * h, every, &sent));
}

TEST(failure_fields)
{
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "alice@example.org", NULL);
	sample_opts(&o);
	CHECK_INT(build("failure", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "\r\nFrom: Mail Delivery System "
	    "<MAILER-DAEMON@mta.example.org>\r\n");
	CHECK_HAS(&b, "\r\nTo: <alice@example.org>\r\n");
	CHECK_HAS(&b, "\r\nSubject: Undelivered Mail Returned to Sender\r\n");
	CHECK_HAS(&b, "\r\nAuto-Submitted: auto-replied\r\n");
	CHECK_HAS(&b, "\r\nIn-Reply-To: <m1@example.org>\r\n");
	CHECK_HAS(&b, "Content-Type: multipart/report; "
	    "report-type=delivery-status;");
	CHECK_HAS(&b, "Content-Type: message/delivery-status\r\n");
	CHECK_HAS(&b, "\r\nReporting-MTA: dns; mta.example.org\r\n");
	CHECK_HAS(&b, "\r\nOriginal-Envelope-Id: QQ314159\r\n");
	CHECK_HAS(&b, "\r\nArrival-Date: ");
	CHECK_HAS(&b, "\r\nOriginal-Recipient: rfc822;Bob@Example.NET\r\n");
	CHECK_HAS(&b, "\r\nFinal-Recipient: rfc822; bob@example.net\r\n");
	CHECK_HAS(&b, "\r\nAction: failed\r\n");
	CHECK_HAS(&b, "\r\nStatus: 5.1.1\r\n");
	CHECK_HAS(&b, "\r\nRemote-MTA: dns; mx.example.net\r\n");
	CHECK_HAS(&b, "\r\nDiagnostic-Code: smtp; 550 5.1.1 "
	    "<bob@example.net>: no such user\r\n");
	CHECK_HAS(&b, "\r\nLast-Attempt-Date: ");
	CHECK_HAS(&b, "Content-Type: text/rfc822-headers\r\n");
	CHECK_HAS(&b, "\r\nSubject: hello\r\n");
	CHECK_LACKS(&b, "RET=HDRS keeps home");
	CHECK_LACKS(&b, "Will-Retry-Until");
	CHECK_LACKS(&b, "Content-Transfer-Encoding: 8bit");
	check_lines(&b);
	buf_free(&b);
	envelope_free(&e);
}

TEST(null_sender_refused)
{
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "", NULL);
	sample_opts(&o);
	errno = 0;
	CHECK_INT(dsn_build(&o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_UINT(b.len, 0);
	envelope_free(&e);
	sample_env(&e, "a@x", NULL);
	CHECK_INT(dsn_build(&o, &e, ORIG, strlen(ORIG), &rcpt_550, 0,
	    DSN_FAILURE, &b), -1);
	envelope_free(&e);
	sample_env(&e, "a@x\r\nBcc: victim@y", NULL);
	CHECK_INT(dsn_build(&o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), -1);
	envelope_free(&e);
	buf_free(&b);
}

TEST(ret_full)
{
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "alice@example.org", "full");
	sample_opts(&o);
	CHECK_INT(build("full", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Type: message/rfc822\r\n");
	CHECK_HAS(&b, "RET=HDRS keeps home");
	CHECK_LACKS(&b, "text/rfc822-headers");
	envelope_free(&e);

	/* no RET: dsn-return-default full */
	sample_env(&e, "alice@example.org", NULL);
	o.ret_default = DSN_RET_FULL;
	CHECK_INT(build("full-default", &o, &e, ORIG, strlen(ORIG), &rcpt_550,
	    1, DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Type: message/rfc822\r\n");
	envelope_free(&e);

	/* RET=HDRS beats the default */
	sample_env(&e, "alice@example.org", "hdrs");
	CHECK_INT(build("hdrs", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Type: text/rfc822-headers\r\n");
	CHECK_LACKS(&b, "RET=HDRS keeps home");
	envelope_free(&e);

	/* too big: the header, and a word why */
	sample_env(&e, "alice@example.org", "full");
	o.full_max = 40;
	e.size = strlen(ORIG);
	CHECK_INT(build("toobig", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Type: text/rfc822-headers\r\n");
	CHECK_HAS(&b, "too big to return");
	CHECK_LACKS(&b, "RET=HDRS keeps home");

	/* read short of e->size (dsn_prepare reads a prefix): the header */
	o.full_max = DSN_FULL_MAX;
	e.size = 10 * 1024 * 1024;
	CHECK_INT(build("short", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Type: text/rfc822-headers\r\n");
	envelope_free(&e);
	buf_free(&b);
}

TEST(delay_and_expiry)
{
	struct dsn_rcpt r[2];
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "alice@example.org", NULL);
	sample_opts(&o);
	r[0] = rcpt_550;
	r[0].status = "5.1.1";	/* no 5.x.x in a delay notice */
	r[0].retry_until = 1700000000 + 5 * 86400;
	r[1] = rcpt_550;
	r[1].addr = "carol@example.com";
	r[1].orcpt = NULL;
	r[1].status = "4.7.0";
	r[1].diag = "421 4.7.0 try again later";
	r[1].retry_until = 1700000000 + 5 * 86400;
	CHECK_INT(build("delay", &o, &e, ORIG, strlen(ORIG), r, 2, DSN_DELAY,
	    &b), 0);
	CHECK_HAS(&b, "\r\nSubject: Delayed Mail (still being retried)\r\n");
	CHECK_HAS(&b, "\r\nAction: delayed\r\n");
	CHECK_LACKS(&b, "Action: failed");
	CHECK_HAS(&b, "\r\nStatus: 4.0.0\r\n");
	CHECK_HAS(&b, "\r\nStatus: 4.7.0\r\n");
	CHECK_HAS(&b, "\r\nWill-Retry-Until: ");
	CHECK_HAS(&b, "Final-Recipient: rfc822; carol@example.com\r\n");
	CHECK_HAS(&b, "you do not need to send your message again");

	r[1].status = NULL;
	r[1].expired = true;
	r[1].diag = NULL;
	r[1].remote_mta = NULL;
	r[1].last_attempt = 0;
	CHECK_INT(build("expired", &o, &e, ORIG, strlen(ORIG), &r[1], 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "\r\nAction: failed\r\n");
	CHECK_HAS(&b, "\r\nStatus: 4.4.7\r\n");
	CHECK_LACKS(&b, "Will-Retry-Until");
	CHECK_LACKS(&b, "Remote-MTA");
	CHECK_LACKS(&b, "Diagnostic-Code");
	CHECK_HAS(&b, "delivery time expired");

	/* a nonsense status falls back to a safe one */
	r[1].expired = false;
	r[1].status = "2.0.0\r\nAction: delivered";
	CHECK_INT(build("badstatus", &o, &e, ORIG, strlen(ORIG), &r[1], 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "\r\nStatus: 5.0.0\r\n");
	CHECK_LACKS(&b, "Action: delivered");
	envelope_free(&e);
	buf_free(&b);
}

TEST(hostile_diagnostic)
{
	struct dsn_rcpt r = rcpt_550;
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT, big = BUF_INIT;

	sample_env(&e, "alice@example.org", NULL);
	sample_opts(&o);
	r.diag = "550-5.1.1 first line\r\nAction: delivered\r\n"
	    "550 5.1.1 \xff\xfe bytes\tand\x01 controls";
	r.remote_mta = "mx\r\nStatus: 2.0.0";
	CHECK_INT(build("hostile-diag", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_LACKS(&b, "\nAction: delivered");
	CHECK_LACKS(&b, "\nStatus: 2.0.0");
	CHECK_LACKS(&b, "\xff");
	CHECK_HAS(&b, "Diagnostic-Code: smtp; 550-5.1.1 first line Action: "
	    "delivered 550 5.1.1 ??\r\n bytes and controls\r\n");
	check_lines(&b);

	/* a long reply folds, and is cut */
	for (int i = 0; i < 400; i++)
		if (buf_appends(&big, "word ") == -1)
			abort();
	r.diag = big.p;
	r.remote_mta = "mx.example.net";
	CHECK_INT(build("long-diag", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "...\r\nLast-Attempt-Date: ");
	check_lines(&b);

	/* no SMTP reply: our own text */
	r.diag = "no MX for example.net";
	CHECK_INT(build("local-diag", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Diagnostic-Code: X-mta; no MX for example.net\r\n");
	buf_free(&big);
	buf_free(&b);
	envelope_free(&e);
}

TEST(hostile_original)
{
	struct dsn_rcpt r = rcpt_550;
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT, m = BUF_INIT;
	const char *eight = "Subject: caf\xc3\xa9 \xff\xfe\r\n"
	    "From: =?utf-8?q?x?= <a@b>\r\n\r\nbody\r\n";
	const char *noid = "Subject: no id\n\nlf only\n";
	const char *nohead = "\r\njust a body\r\n";
	const char *allhead = "Subject: no body and no end";
	size_t start, end;

	sample_env(&e, "alice@example.org", NULL);
	sample_opts(&o);
	CHECK_INT(build("eightbit", &o, &e, eight, strlen(eight), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Content-Transfer-Encoding: 8bit\r\n");
	CHECK_HAS(&b, "Subject: caf\xc3\xa9");

	CHECK_INT(build("noid", &o, &e, noid, strlen(noid), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_LACKS(&b, "In-Reply-To");
	CHECK_HAS(&b, "Subject: no id");
	CHECK_LACKS(&b, "lf only");
	CHECK_INT(build("nohead", &o, &e, nohead, strlen(nohead), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_LACKS(&b, "just a body");
	CHECK_INT(build("allhead", &o, &e, allhead, strlen(allhead), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Subject: no body and no end\r\n");
	CHECK_INT(build("empty", &o, &e, "", 0, &r, 1, DSN_FAILURE, &b), 0);

	/* 300 KB of header: cut at a field, under DSN_HEADERS_MAX */
	for (int i = 0; i < 3000; i++)
		if (buf_appendf(&m, "X-Junk-%d: %090d\r\n\tfolded\r\n", i, i) ==
		    -1)
			abort();
	if (buf_appends(&m, "\r\nbody\r\n") == -1)
		abort();
	CHECK_INT(build("hugehead", &o, &e, m.p, m.len, &r, 1, DSN_FAILURE,
	    &b), 0);
	CHECK_HAS(&b, "X-Junk-0: ");
	CHECK_LACKS(&b, "X-Junk-2999:");
	CHECK(b.len < DSN_HEADERS_MAX + 8192);
	/* the last field kept is whole: its folded line is there */
	start = 0;
	for (size_t i = 0; i + 8 < b.len; i++)
		if (memcmp(b.p + i, "X-Junk-", 7) == 0)
			start = i;
	end = start;
	while (end < b.len && b.p[end] != '\n')
		end++;
	CHECK(end + 9 < b.len && memcmp(b.p + end + 1, "\tfolded\r\n", 9) ==
	    0);

	/* a NUL in the original never reaches the report */
	CHECK_INT(build("nul", &o, &e, "Subject: a\0b\r\n\r\n", 16, &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Subject: ab\r\n");

	/* a queue id that is not one names nothing in the header */
	set(&e.id, "a\r\nBcc: evil@x.example");
	CHECK_INT(build("badqid", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_LACKS(&b, "\nBcc:");
	CHECK_HAS(&b, "\r\nMessage-ID: <dsn.0.");
	set(&e.id, "65a1b2c30f424000004d2");

	/* the original holds the boundary prefix: still a good report */
	buf_reset(&m);
	if (buf_appends(&m, "Subject: =_mta-dsn-65a1b2c30f424000004d2-\r\n"
	    "\r\n") == -1)
		abort();
	CHECK_INT(build("boundary", &o, &e, m.p, m.len, &r, 1, DSN_FAILURE,
	    &b), 0);
	buf_free(&m);
	buf_free(&b);
	envelope_free(&e);
}

TEST(xtext_params)
{
	struct dsn_rcpt r = rcpt_550;
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "alice@example.org", NULL);
	set(&e.envid, "id with space+plus=\xc3\xa9");
	sample_opts(&o);
	r.orcpt = "rfc822;j\xc3\xb6rg+x@example.net";
	r.addr = "j\xc3\xb6rg@example.net";
	CHECK_INT(build("xtext", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Original-Envelope-Id: id+20with+20space+2Bplus+3D"
	    "+C3+A9\r\n");
	CHECK_HAS(&b, "Original-Recipient: rfc822;j+C3+B6rg+2Bx@example.net"
	    "\r\n");
	CHECK_HAS(&b, "Final-Recipient: rfc822; j+C3+B6rg@example.net\r\n");
	/* a plain ORCPT without a type gets rfc822 */
	r.orcpt = "bob@example.net";
	CHECK_INT(build("orcpt-notype", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "Original-Recipient: rfc822;bob@example.net\r\n");
	/* a UTF-8 sender: the report is 8bit, its To: field intact */
	envelope_free(&e);
	sample_env(&e, "\xc3\xa9l\xc3\xa8ve@example.org", NULL);
	CHECK_INT(build("utf8-sender", &o, &e, ORIG, strlen(ORIG), &r, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_HAS(&b, "To: <\xc3\xa9l\xc3\xa8ve@example.org>\r\n");
	CHECK_HAS(&b, "Content-Transfer-Encoding: 8bit\r\n");
	buf_free(&b);
	envelope_free(&e);
}

TEST(text_format_and_from)
{
	struct envelope e;
	struct dsn_opts o;
	struct buf b = BUF_INIT;

	sample_env(&e, "alice@example.org", NULL);
	sample_opts(&o);
	o.format = DSN_FMT_TEXT;
	o.from = "Bounces <postmaster@example.org>";
	CHECK_INT(build("text", &o, &e, ORIG, strlen(ORIG), &rcpt_550, 1,
	    DSN_FAILURE, &b), 0);
	CHECK_LACKS(&b, "multipart");
	CHECK_HAS(&b, "Content-Type: text/plain; charset=us-ascii\r\n");
	CHECK_HAS(&b, "\r\nFrom: Bounces <postmaster@example.org>\r\n");
	CHECK_HAS(&b, "\r\nFinal-Recipient: rfc822; bob@example.net\r\n");
	CHECK_HAS(&b, "\r\nSubject: hello\r\n");
	check_lines(&b);
	buf_free(&b);
	envelope_free(&e);
}

/* The spool part: a real spool in a mkdtemp folder. */
static char top[64];

static void
rmtree(const char *path)
{
	char child[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		(void)unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			(void)snprintf(child, sizeof(child), "%s/%s", path,
			    de->d_name);
			rmtree(child);
		}
	closedir(d);
	(void)rmdir(path);
}

static struct conf *
test_conf(const char *extra)
{
	char path[128];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/mta.conf", top);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fprintf(fp, "host-name mta.example.org\n%s", extra);
	if (fclose(fp) == EOF)
		abort();
	return conf_load(path);
}

/* Commit msg from sender to rcpt (with notify), take it into queue/. */
static void
inject(struct submit *sub, const char *from, const char *notify,
    const char *ret, char qid[SPOOL_QIDLEN + 1])
{
	const char *rcpt[1] = { "bob@example.net" };
	const char *nt[1] = { notify };
	const char *orcpt[1] = { "rfc822;Bob@example.net" };
	struct submit_env env;
	struct submit_out out;
	char err[512];

	memset(&env, 0, sizeof(env));
	env.from = from;
	env.rcpt = rcpt;
	env.rcpt_notify = nt;
	env.rcpt_orcpt = orcpt;
	env.nrcpt = 1;
	env.envid = "ENV1";
	env.ret = ret;
	env.source = "local";
	qid[0] = '\0';
	if (submit_message(sub, &env, ORIG, strlen(ORIG), &out, err,
	    sizeof(err)) == -1 || spool_commit(sub->spool, out.w, out.n, err,
	    sizeof(err)) == -1) {
		test_fail(__FILE__, __LINE__, "inject: %s", err);
		return;
	}
	(void)strlcpy(qid, spool_writer_qid(out.w[0]), SPOOL_QIDLEN + 1);
	spool_writer_free(out.w[0]);
	if (spool_take(sub->spool, qid) == -1)
		test_fail(__FILE__, __LINE__, "take %s: %s", qid,
		    strerror(errno));
}

/* Read DSN dq back: its envelope and its message bytes. */
static void
read_dsn(struct spool *sp, const char *dq, struct envelope *e,
    struct buf *m)
{
	char err[512];
	size_t off;
	ssize_t n;
	int fd;

	CHECK_INT(spool_take(sp, dq), 0);
	if (spool_open_msg(sp, dq, e, &off, &fd, err, sizeof(err)) == -1) {
		test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	if (buf_grow(m, (size_t)e->size + 1) == -1)
		abort();
	n = pread(fd, m->p, (size_t)e->size, (off_t)off);
	m->len = n > 0 ? (size_t)n : 0;
	m->p[m->len] = '\0';
	(void)close(fd);
}

/*
 * spool_setup - a fresh spool under a new top, its path in dir; NULL
 * (the test failed, top removed) if it cannot be made
 */
static struct spool *
spool_setup(char *dir, size_t dirlen)
{
	struct spool *sp;
	char err[512];

	(void)strlcpy(top, "/tmp/dsn_test.XXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		abort();
	(void)snprintf(dir, dirlen, "%s/spool", top);
	if (spool_init(dir, err, sizeof(err)) == -1 ||
	    (sp = spool_open(dir, 0, err, sizeof(err))) == NULL) {
		test_fail(__FILE__, __LINE__, "%s", err);
		rmtree(top);
		return NULL;
	}
	return sp;
}

TEST(through_the_spool)
{
	char dir[128], err[512], qid[SPOOL_QIDLEN + 1], dq[SPOOL_QIDLEN + 1];
	struct dsn_rcpt r = { .idx = 0, .status = "5.1.1",
	    .remote_mta = "mx.example.net", .diag = "550 5.1.1 no such user",
	    .last_attempt = 1700003000 };
	struct envelope e;
	struct submit sub;
	struct spool *sp;
	struct conf *c;
	struct buf m = BUF_INIT;

	if ((sp = spool_setup(dir, sizeof(dir))) == NULL)
		return;
	c = test_conf("");
	CHECK(c != NULL && conf_errors(c) == 0);
	CHECK_INT(dsn_submit_init(&sub, c, sp), 0);

	inject(&sub, "alice@example.org", NULL, "full", qid);
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), 0);
	CHECK_UINT(strlen(dq), SPOOL_QIDLEN);
	envelope_init(&e);
	read_dsn(sp, dq, &e, &m);
	CHECK_UINT(e.from.len, 0);
	CHECK_UINT(e.nrcpt, 1);
	if (e.nrcpt == 1)
		CHECK_STR(e.rcpt[0].addr.p, "alice@example.org");
	save("spool", &m);
	CHECK_HAS(&m, "Final-Recipient: rfc822; bob@example.net\r\n");
	CHECK_HAS(&m, "Original-Recipient: rfc822;Bob@example.net\r\n");
	CHECK_HAS(&m, "Original-Envelope-Id: ENV1\r\n");
	CHECK_HAS(&m, "Reporting-MTA: dns; mta.example.org\r\n");
	CHECK_HAS(&m, "Content-Type: message/rfc822\r\n");
	CHECK_HAS(&m, "RET=HDRS keeps home");
	envelope_free(&e);

	/* a DSN about the DSN: never */
	CHECK_INT(dsn_submit(&sub, dq, &r, 1, DSN_FAILURE, qid, err,
	    sizeof(err)), 0);
	CHECK_STR(qid, "");

	/* NOTIFY=NEVER, NOTIFY=SUCCESS; DELAY asked by FAILURE,DELAY */
	inject(&sub, "alice@example.org", "NEVER", NULL, qid);
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), 0);
	CHECK_STR(dq, "");
	inject(&sub, "alice@example.org", "SUCCESS", NULL, qid);
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), 0);
	CHECK_STR(dq, "");
	inject(&sub, "alice@example.org", "FAILURE,DELAY", NULL, qid);
	r.status = "4.4.1";
	r.retry_until = time(NULL) + 86400;
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_DELAY, dq, err,
	    sizeof(err)), 0);
	CHECK_UINT(strlen(dq), SPOOL_QIDLEN);
	envelope_init(&e);
	buf_reset(&m);
	read_dsn(sp, dq, &e, &m);
	save("spool-delay", &m);
	CHECK_HAS(&m, "Action: delayed\r\n");
	CHECK_HAS(&m, "Content-Type: text/rfc822-headers\r\n");
	envelope_free(&e);

	/* a recipient index that is not there */
	r.idx = 5;
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), -1);
	CHECK_INT(dsn_submit(&sub, "zz", &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), -1);
	buf_free(&m);
	conf_free(c);
	spool_close(sp);
	rmtree(top);
}

TEST(config)
{
	char dir[128], err[512], qid[SPOOL_QIDLEN + 1], dq[SPOOL_QIDLEN + 1],
	    nq[SPOOL_QIDLEN + 1];
	struct dsn_rcpt r = { .idx = 0, .status = "5.1.1" };
	struct envelope e;
	struct submit sub;
	struct spool *sp;
	struct conf *c;
	struct buf m = BUF_INIT;

	if ((sp = spool_setup(dir, sizeof(dir))) == NULL)
		return;
	c = test_conf("postmaster bounces@example.org\n"
	    "<domain example.net>\n dsn-format text\n</domain>\n"
	    "<domain nodsn.example>\n deliver-local-dsn no\n</domain>\n"
	    "<domain std.example>\n dsn-format standard\n</domain>\n"
	    "<domain pt.example>\n dsn-format plain-text\n</domain>\n"
	    "<virtual-mta v1>\n <domain pt.example>\n"
	    "  dsn-format rfc3464\n </domain>\n</virtual-mta>\n"
	    "<source 127.0.0.1>\n dsn-return-default full\n</source>\n");
	if (c == NULL || conf_errors(c) > 0) {
		if (c != NULL)
			conf_print_diags(c, stderr);
		test_fail(__FILE__, __LINE__, "config");
		rmtree(top);
		return;
	}
	/* dsn-format per domain, and per domain of a virtual MTA */
	CHECK_INT(dsn_format_of(c, "example.net", NULL), DSN_FMT_TEXT);
	CHECK_INT(dsn_format_of(c, "EXAMPLE.net", NULL), DSN_FMT_TEXT);
	CHECK_INT(dsn_format_of(c, "pt.example", NULL), DSN_FMT_TEXT);
	CHECK_INT(dsn_format_of(c, "pt.example", "v1"), DSN_FMT_RFC3464);
	CHECK_INT(dsn_format_of(c, "std.example", NULL), DSN_FMT_RFC3464);
	CHECK_INT(dsn_format_of(c, "other.example", NULL), DSN_FMT_RFC3464);
	CHECK_INT(dsn_format_of(c, "", NULL), DSN_FMT_RFC3464);
	CHECK_INT(dsn_submit_init(&sub, c, sp), 0);
	inject(&sub, "alice@example.org", NULL, NULL, qid);
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, dq, err,
	    sizeof(err)), 0);
	envelope_init(&e);
	read_dsn(sp, dq, &e, &m);
	save("config-text", &m);
	CHECK_LACKS(&m, "multipart/report");
	CHECK_HAS(&m, "From: bounces@example.org\r\n");
	CHECK_HAS(&m, "RET=HDRS keeps home");	/* dsn-return-default full */
	envelope_free(&e);

	/* deliver-local-dsn no for the recipient's domain: none */
	r.addr = "x@nodsn.example";
	CHECK_INT(dsn_submit(&sub, qid, &r, 1, DSN_FAILURE, nq, err,
	    sizeof(err)), 0);
	CHECK_STR(nq, "");
	buf_free(&m);
	conf_free(c);
	spool_close(sp);
	rmtree(top);
}

static const struct test_case tests[] = {
	T(wanted),
	T(delay_schedule),
	T(failure_fields),
	T(null_sender_refused),
	T(ret_full),
	T(delay_and_expiry),
	T(hostile_diagnostic),
	T(hostile_original),
	T(xtext_params),
	T(text_format_and_from),
	T(through_the_spool),
	T(config),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
