/*
 * acct_test - golden rows of lib/acct: each record type from journal
 * records made by journal_format, each field's value shape, the
 * columns of record-fields ("*", "!field", header_NAME) and of files
 * holding several types, RFC 4180 quoting, and the summary counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "buf.h"
#include "harness.h"
#include "journal.h"
#include "proto.h"

static struct acct_layout L;

static const struct journal_outcome base = {
	.type = "delivered",
	.logged = 1796016960.25,	/* 2026-11-30 05:36:00 UTC */
	.queued = 1796016900,
	.first = 1796016950,
	.id = "692bf3c0.1e240.0000ab12",
	.n = 0,
	.attempts = 1,
	.orig = "alice@example.com",
	.rcpt = "bob@example.org",
	.vmta = "vmta1",
	.pool = "pool1",
	.job = "job7",
	.queue = "example.org/vmta1",
	.src = "192.0.2.1",
	.mx = "mx.example.org",
	.mx_ip = "192.0.2.7",
	.port = 25,
	.ext = "PIPELINING,SIZE,8BITMIME",
	.size = 2048,
	.code = 250,
	.dsn_action = "relayed",
	.dsn_status = "2.0.0",
	.dsn_diag = "smtp;250 2.0.0 ok",
};

/* the row of an outcome through the journal's own format, CRLF cut */
static const char *
row_of(const struct journal_outcome *o, const char *extra)
{
	static struct buf b, line;
	static struct proto_rec r;
	static char err[256];
	struct acct_rec ar;

	buf_reset(&line);
	if (journal_format(&line, o) == -1)
		return "(format failed)";
	line.len--;			/* the LF */
	if (extra != NULL) {
		(void)buf_appends(&line, " ");
		(void)buf_appends(&line, extra);
	}
	if (proto_parse(line.p, line.len, &r, err, sizeof(err)) == -1)
		return err;
	if (acct_from_journal(&r, &ar, err, sizeof(err)) == -1)
		return "(not an accounting record)";
	buf_reset(&b);
	if (acct_row(&b, &L, &ar) == -1)
		return "(row failed)";
	if (b.len < 2 || strcmp(b.p + b.len - 2, "\r\n") != 0)
		return "(no CRLF)";
	b.p[b.len - 2] = '\0';
	return b.p;
}

static const char *
header_of(void)
{
	static struct buf b;

	buf_reset(&b);
	if (acct_header(&b, &L) == -1)
		return "(header failed)";
	b.p[b.len - 2] = '\0';
	return b.p;
}

static void
layout(unsigned types, const char *fields1, const char *fields2)
{
	char err[256];

	acct_layout_init(&L, types);
	if (fields1 != NULL)
		CHECK_INT(acct_layout_fields(&L, fields1, err, sizeof(err)), 0);
	if (fields2 != NULL)
		CHECK_INT(acct_layout_fields(&L, fields2, err, sizeof(err)), 0);
	acct_layout_finish(&L);
}

#define DB	((1u << ACCT_D) | (1u << ACCT_B))

TEST(default_header)
{
	layout(DB, NULL, NULL);
	CHECK_STR(header_of(), "type,timeLogged,timeQueued,orig,rcpt,orcpt,"
	    "dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,"
	    "dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,"
	    "vmta,jobId,envId,queue,vmtaPool");
}

TEST(delivered_row)
{
	layout(DB, NULL, NULL);
	CHECK_STR(row_of(&base, NULL), "d,2026-11-30 05:36:00+0000,"
	    "2026-11-30 05:35:00+0000,alice@example.com,bob@example.org,,"
	    "relayed,2.0.0 (success),smtp;250 2.0.0 ok,"
	    "mx.example.org (192.0.2.7),,,,smtp,192.0.2.1,192.0.2.7,"
	    "\"PIPELINING,SIZE,8BITMIME\",2048,vmta1,job7,,"
	    "example.org/vmta1,pool1");
}

TEST(failed_row)
{
	struct journal_outcome o = base;

	layout(DB, NULL, NULL);
	o.type = "failed";
	o.code = 550;
	o.dsn_action = "failed";
	o.dsn_status = "5.1.1";
	o.dsn_diag = "smtp;550 5.1.1 <bob@example.org>: no such user";
	o.orcpt = "rfc822;Bob@example.org";
	o.envid = "E42";
	o.size = 0;
	CHECK_STR(row_of(&o, NULL), "b,2026-11-30 05:36:00+0000,"
	    "2026-11-30 05:35:00+0000,alice@example.com,bob@example.org,"
	    "rfc822;Bob@example.org,failed,"
	    "5.1.1 (bad destination mailbox address),"
	    "smtp;550 5.1.1 <bob@example.org>: no such user,"
	    "mx.example.org (192.0.2.7),bad-mailbox,,,smtp,192.0.2.1,"
	    "192.0.2.7,\"PIPELINING,SIZE,8BITMIME\",,vmta1,job7,E42,"
	    "example.org/vmta1,pool1");
}

TEST(expired_row)
{
	struct journal_outcome o = base;

	layout(DB, NULL, NULL);
	o.type = "expired";
	o.dsn_action = NULL;
	o.dsn_status = "4.4.7";
	o.dsn_diag = NULL;
	o.mx = NULL;
	o.mx_ip = NULL;
	o.src = NULL;
	o.ext = NULL;
	CHECK_STR(row_of(&o, NULL), "b,2026-11-30 05:36:00+0000,"
	    "2026-11-30 05:35:00+0000,alice@example.com,bob@example.org,,"
	    "failed,4.4.7 (delivery time expired),,,message-expired,,,,,,,"
	    "2048,vmta1,job7,,example.org/vmta1,pool1");
}

TEST(bounce_cat_from_journal)
{
	struct journal_outcome o = base;
	const char *row;

	layout(1u << ACCT_B, "b rcpt,bounceCat", NULL);
	o.type = "failed";
	o.dsn_status = "5.7.1";
	row = row_of(&o, NULL);
	CHECK_STR(row, "b,bob@example.org,policy-related");
	row = row_of(&o, "bounce-cat=spam-related");
	CHECK_STR(row, "b,bob@example.org,spam-related");
}

TEST(transient_row)
{
	struct journal_outcome o = base;

	layout(1u << ACCT_T, "t rcpt,dsnAction,dsnStatus,dsnDiag,bounceCat",
	    NULL);
	o.type = "deferred";
	o.dsn_action = NULL;
	o.dsn_status = "4.4.1";
	o.dsn_diag = "smtp;421 try later";
	CHECK_STR(row_of(&o, NULL), "t,bob@example.org,delayed,"
	    "4.4.1 (no answer from host),smtp;421 try later,"
	    "no-answer-from-host");
}

TEST(record_fields_star_not_header)
{
	layout(1u << ACCT_D, "d jobId,*,!orcpt,!dlvEsmtpAvailable,"
	    "header_X-Campaign,dlvTlsProtocol,dlvTlsCipher,totalSecondsQueued",
	    NULL);
	CHECK_STR(header_of(), "type,jobId,timeLogged,timeQueued,orig,rcpt,"
	    "dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,"
	    "dlvType,dlvSourceIp,dlvDestinationIp,dlvSize,vmta,envId,queue,"
	    "vmtaPool,header_X-Campaign,dlvTlsProtocol,dlvTlsCipher,"
	    "totalSecondsQueued");
}

TEST(header_tls_total_values)
{
	struct journal_outcome o = base;

	layout(1u << ACCT_D, "d rcpt,header_X-Campaign,dlvTlsProtocol,"
	    "dlvTlsCipher,totalSecondsQueued,userString", NULL);
	L.user_string = "site,1";
	o.tls = "TLSv1.3";
	o.tls_cipher = "TLS_AES_256_GCM_SHA384";
	CHECK_STR(row_of(&o, NULL), "d,bob@example.org,,TLSv1.3,"
	    "TLS_AES_256_GCM_SHA384,60,\"site,1\"");
	CHECK_STR(row_of(&o, "header-x-campaign=Winter%20sale"),
	    "d,bob@example.org,Winter sale,TLSv1.3,TLS_AES_256_GCM_SHA384,60,"
	    "\"site,1\"");
}

TEST(union_of_types)
{
	struct journal_outcome o = base;

	/* the guide's example: columns of d, then b's new ones */
	layout(DB, "delivery timeLogged,orig,rcpt,dlvSourceIp",
	    "bounce timeLogged,orig,rcpt,bounceCat");
	L.iso_times = false;
	CHECK_STR(header_of(), "type,timeLogged,orig,rcpt,dlvSourceIp,"
	    "bounceCat");
	CHECK_STR(row_of(&o, NULL), "d,1796016960,alice@example.com,"
	    "bob@example.org,192.0.2.1,");
	o.type = "failed";
	o.dsn_status = "5.7.1";
	CHECK_STR(row_of(&o, NULL), "b,1796016960,alice@example.com,"
	    "bob@example.org,,policy-related");
}

TEST(quoting)
{
	struct journal_outcome o = base;

	layout(1u << ACCT_D, "d dsnDiag,orig", NULL);
	o.dsn_diag = "smtp;250 \"ok\", queued\r\nas 42";
	o.orig = NULL;
	CHECK_STR(row_of(&o, NULL),
	    "d,\"smtp;250 \"\"ok\"\", queued\r\nas 42\",");
}

TEST(other_types_from_other_writers)
{
	struct proto_rec r;
	struct acct_rec ar;
	struct buf b = BUF_INIT;
	char err[256];
	const char *rb = "bounced logged=1796016960 orig=a@x.example "
	    "rcpt=b@y.example dsn-status=5.1.1 dsn-diag=smtp;550%20no "
	    "mx=mx.y.example mx-ip=192.0.2.9 dsn-reporting-mta=r.y.example";
	const char *f = "complaint logged=1796016960 format=arf "
	    "user-agent=AOL%20SComp orig=a@x.example rcpt=b@y.example "
	    "reporting-mta=mail1.y.example src=192.0.2.30";

	acct_layout_init(&L, (1u << ACCT_RB) | (1u << ACCT_F));
	acct_layout_finish(&L);
	CHECK_INT(proto_parse(rb, strlen(rb), &r, err, sizeof(err)), 0);
	CHECK_INT(acct_from_journal(&r, &ar, err, sizeof(err)), 0);
	CHECK_INT(ar.type, ACCT_RB);
	CHECK_INT(acct_row(&b, &L, &ar), 0);
	/* union: f's columns come first, then rb's new ones */
	CHECK_STR(b.p, "rb,2026-11-30 05:36:00+0000,,,,a@x.example,"
	    "b@y.example,,,,5.1.1 (bad destination mailbox address),"
	    "smtp;550 no,mx.y.example (192.0.2.9),r.y.example,bad-mailbox,,"
	    "\r\n");
	buf_reset(&b);
	CHECK_INT(proto_parse(f, strlen(f), &r, err, sizeof(err)), 0);
	CHECK_INT(acct_from_journal(&r, &ar, err, sizeof(err)), 0);
	CHECK_INT(acct_row(&b, &L, &ar), 0);
	CHECK_STR(b.p, "f,2026-11-30 05:36:00+0000,arf,AOL SComp,,"
	    "a@x.example,b@y.example,mail1.y.example,192.0.2.30,,,,,,,,\r\n");
	buf_free(&b);
	/* mta-queue's note of a delay notice: no record, and no warning */
	f = "delayed logged=1796016960 id=a n=0 rcpt=b@y.example";
	CHECK_INT(proto_parse(f, strlen(f), &r, err, sizeof(err)), 0);
	errno = 0;
	CHECK_INT(acct_from_journal(&r, &ar, err, sizeof(err)), -1);
	CHECK_INT(errno, ENOENT);
	f = "nosuch logged=1796016960 id=a n=0 rcpt=b@y.example";
	CHECK_INT(proto_parse(f, strlen(f), &r, err, sizeof(err)), 0);
	CHECK_INT(acct_from_journal(&r, &ar, err, sizeof(err)), -1);
	CHECK_INT(errno, EINVAL);
}

TEST(receipt_queue_status_rows)
{
	struct journal_outcome o;
	struct journal_header h[2] = {
		{ "x-campaign", "spring, \"sale\"\r\nnext caf\xc3\xa9" },
		{ "x-job", "j1" },
	};

	/* r: default columns, with the headers asked for */
	layout(1u << ACCT_R, "r *,header_X-Campaign,header_x-job,header_X-No",
	    NULL);
	memset(&o, 0, sizeof(o));
	o.type = "received";
	o.logged = base.logged;
	o.queued = base.queued;
	o.id = base.id;
	o.orig = base.orig;
	o.rcpt = base.rcpt;
	o.orcpt = "rfc822;Bob@example.org";
	o.src_type = "smtp";
	o.src_mta = "192.0.2.9";
	o.size = 2048;
	o.vmta = "vmta1";
	o.job = "job7";
	o.envid = "e1";
	o.hdr = h;
	o.nhdr = 2;
	CHECK_STR(row_of(&o, NULL), "r,2026-11-30 05:36:00+0000,"
	    "alice@example.com,bob@example.org,rfc822;Bob@example.org,smtp,"
	    "192.0.2.9,192.0.2.9,,2048,vmta1,job7,e1,"
	    "\"spring, \"\"sale\"\"\r\nnext caf\xc3\xa9\",j1,");

	/* tq: one per queue */
	layout(1u << ACCT_TQ, NULL, NULL);
	memset(&o, 0, sizeof(o));
	o.type = "qdeferred";
	o.logged = base.logged;
	o.vmta = "vmta1";
	o.queue = "example.org/vmta1";
	o.code = 421;
	o.dsn_status = "4.3.2";
	o.dsn_diag = "smtp;421 4.3.2 busy";
	o.mx = "mx.example.org";
	o.mx_ip = "192.0.2.7";
	o.src = "192.0.2.1";
	CHECK_STR(row_of(&o, NULL), "tq,2026-11-30 05:36:00+0000,"
	    "4.3.2 (system not accepting network messages),"
	    "smtp;421 4.3.2 busy,mx.example.org (192.0.2.7),smtp,192.0.2.1,"
	    "192.0.2.7,vmta1,example.org/vmta1");

	/* rs: an inbound delayed status */
	layout(1u << ACCT_RS, NULL, NULL);
	memset(&o, 0, sizeof(o));
	o.type = "status";
	o.logged = base.logged;
	o.orig = base.orig;
	o.rcpt = "carol@example.net";
	o.dsn_action = "delayed";
	o.dsn_status = "4.2.2";
	o.dsn_diag = "smtp;452 4.2.2 full";
	o.bounce_cat = "quota-issues";
	CHECK_STR(row_of(&o, NULL), "rs,2026-11-30 05:36:00+0000,"
	    "alice@example.com,carol@example.net,,delayed,"
	    "4.2.2 (mailbox full),smtp;452 4.2.2 full,,quota-issues,,,");
	CHECK_INT(acct_type_of_verb("received"), ACCT_R);
	CHECK_INT(acct_type_of_verb("qdeferred"), ACCT_TQ);
	CHECK_INT(acct_type_of_verb("status"), ACCT_RS);
}

TEST(types_and_fields_errors)
{
	unsigned m = 0;
	char err[256];

	CHECK_INT(acct_types_parse("d, b t tq r f rb rs", &m, err,
	    sizeof(err)), 0);
	CHECK_UINT(m, 0xff);
	CHECK_INT(acct_types_parse("delivery,bounce", &m, err, sizeof(err)),
	    0);
	CHECK_UINT(m, DB);
	CHECK_INT(acct_types_parse("d,x", &m, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown record type \"x\"");
	acct_layout_init(&L, DB);
	CHECK_INT(acct_layout_fields(&L, "d rcpt,nosuch", err, sizeof(err)),
	    -1);
	CHECK_STR(err, "record-fields: unknown field \"nosuch\"");
	CHECK_INT(acct_layout_fields(&L, "zz rcpt", err, sizeof(err)), -1);
	CHECK_INT(acct_type_of_verb("delivered"), ACCT_D);
	CHECK_INT(acct_type_of_verb("expired"), ACCT_B);
	CHECK_INT(acct_type_of_verb("deferred"), ACCT_T);
	CHECK_INT(acct_type_of_verb("bounced"), ACCT_RB);
	CHECK_INT(acct_type_of_verb("complaint"), ACCT_F);
	CHECK_INT(acct_type_of_verb("hello"), -1);
}

TEST(status_and_category_tables)
{
	CHECK_STR(acct_status_text("2.0.0"), "success");
	CHECK_STR(acct_status_text("5.7.1"), "delivery not authorized");
	CHECK_STR(acct_status_text("4.4.1"), "no answer from host");
	CHECK_STR(acct_status_text("5.0.0"), "undefined status");
	CHECK_STR(acct_status_text("5.9.9"), NULL);
	CHECK_STR(acct_status_text("x"), NULL);
	CHECK_STR(acct_bounce_cat("5.1.1"), "bad-mailbox");
	CHECK_STR(acct_bounce_cat("5.1.2"), "bad-domain");
	CHECK_STR(acct_bounce_cat("4.4.7"), "message-expired");
	CHECK_STR(acct_bounce_cat("5.2.2"), "quota-issues");
	CHECK_STR(acct_bounce_cat("5.7.1"), "policy-related");
	CHECK_STR(acct_bounce_cat("5.5.1"), "protocol-errors");
	CHECK_STR(acct_bounce_cat("5.9.9"), "other");
	CHECK_STR(acct_bounce_cat(NULL), "other");
}

static const char *
summary_of(const char *csv, bool json)
{
	static char out[4096];
	struct acct_summary *s = acct_summary_new();
	char err[256];
	FILE *fp;
	size_t half = strlen(csv) / 2;

	/* fed in two pieces: a cell may be cut anywhere */
	if (acct_summary_feed(s, csv, half, err, sizeof(err)) == -1 ||
	    acct_summary_feed(s, csv + half, strlen(csv) - half, err,
	    sizeof(err)) == -1 || acct_summary_end(s, err, sizeof(err)) == -1) {
		acct_summary_free(s);
		(void)snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	fp = fmemopen(out, sizeof(out), "w");
	(void)acct_summary_print(s, fp, json);
	fclose(fp);
	acct_summary_free(s);
	return out;
}

TEST(summary_counts)
{
	/* PowerMTA's column order differs: columns go by name */
	const char *csv =
	    "type,timeLogged,rcpt,dsnStatus,bounceCat,vmta\r\n"
	    "d,2026-11-30 05:36:00+0000,a@X.example,2.0.0 (success),,v1\r\n"
	    "d,2026-11-30 06:01:00+0000,b@x.example,2.0.0 (success),,v2\r\n"
	    "b,2026-11-30 06:02:00+0000,c@y.example,"
	    "\"5.2.1 (mailbox disabled, not accepting messages)\","
	    "inactive-mailbox,v1\n"
	    "type,rcpt,vmta,timeLogged\n"
	    "d,d@y.example,v1,1796017000\n";

	CHECK_STR(summary_of(csv, false),
	    "records\t4\n"
	    "type\td\t3\ntype\tb\t1\n"
	    "domain\tx.example\t2\ndomain\ty.example\t2\n"
	    "vmta\tv1\t3\nvmta\tv2\t1\n"
	    "dsnStatus\t2.0.0\t2\ndsnStatus\t5.2.1\t1\n"
	    "bounceCat\tinactive-mailbox\t1\n"
	    "deliveriesPerHour\t2026-11-30 05\t2\n"
	    "deliveriesPerHour\t2026-11-30 06\t1\n");
	CHECK_STR(summary_of("type,rcpt\nd,\"a\"\"b@q\"\"\"\n", true),
	    "{\"records\":1,\"type\":{\"d\":1},\"domain\":{\"q\\\"\":1},"
	    "\"vmta\":{},\"dsnStatus\":{},\"bounceCat\":{},"
	    "\"deliveriesPerHour\":{}}\n");
}

TEST(summary_bad_input)
{
	CHECK_STR(summary_of("d,a@b\n", false),
	    "error: row 1: no header line before it");
	CHECK_STR(summary_of("type,rcpt\nd,\"a@b\n", false),
	    "error: after row 1: error parsing data while strict checking "
	    "enabled");
	CHECK_STR(summary_of("type,rcpt\nd,a\"b\n", false),
	    "error: after row 1: error parsing data while strict checking "
	    "enabled");
}

static const struct test_case tests[] = {
	T(default_header),
	T(delivered_row),
	T(failed_row),
	T(expired_row),
	T(bounce_cat_from_journal),
	T(transient_row),
	T(record_fields_star_not_header),
	T(header_tls_total_values),
	T(union_of_types),
	T(quoting),
	T(other_types_from_other_writers),
	T(receipt_queue_status_rows),
	T(types_and_fields_errors),
	T(status_and_category_tables),
	T(summary_counts),
	T(summary_bad_input),
	{ NULL, NULL }
};

int
main(int argc, char *argv[])
{
	setenv("TZ", "UTC", 1);
	tzset();
	return test_main(tests, argc, argv);
}
