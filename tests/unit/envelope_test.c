/*
 * envelope_test - the spool file envelope: round trips, hostile input,
 * in-place recipient updates.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "harness.h"

#define BODY	"Subject: x\r\n\r\nbody \x80\xff\0 bytes\r\n"
#define BODYLEN	(sizeof(BODY) - 1)

static void
set(struct buf *b, const char *s)
{
	if (buf_set(b, s, strlen(s)) == -1)
		abort();
}

/* sample - an envelope with odd bytes in every value */
static void
sample(struct envelope *e)
{
	envelope_init(e);
	set(&e->id, "65a1b2c30f4240000004d2");
	e->time = 1700000000;
	set(&e->from, "odd%sender+\"q u\"@x.org");
	set(&e->vmta, "v m\tt a");
	set(&e->job, "job\r\nrcpt - 0000 0000000000 0000000000 <evil@x>");
	set(&e->envid, "a+b=c%d%00");
	set(&e->ret, "full");
	e->size = 1234;
	set(&e->source, "smtp 192.0.2.9");
	set(&e->auth, "\xc3\xbcser\x01\x7f");
	set(&e->srcname, "{auth} named\n");
	CHECK_INT(envelope_add_rcpt(e, "b@y.example", "rfc822;b@y.example",
	    "SUCCESS,FAILURE"), 0);
	CHECK_INT(envelope_add_rcpt(e, "\"a>b c\"@x.org", NULL, NULL), 0);
	CHECK_INT(envelope_add_rcpt(e, "c@[IPv6:::1]", "utf-8;c\xe2\x80\x8b",
	    "NEVER"), 0);
	e->rcpt[1].state = ENVELOPE_DELIVERED;
	e->rcpt[1].attempts = 12;
	e->rcpt[1].next = 1700003600;
	e->rcpt[1].first = 1700000001;
	e->rcpt[2].state = ENVELOPE_EXPIRED;
	e->rcpt[2].attempts = 50000;	/* saturates */
	e->rcpt[2].next = 9999999999LL;
}

/* contains - whether b holds the string s */
static int
contains(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return 1;
	return 0;
}

static void
same_buf(const struct buf *a, const struct buf *b, const char *what)
{
	if (a->len != b->len || (a->len > 0 && memcmp(a->p, b->p, a->len)))
		test_fail(__FILE__, __LINE__, "%s differs: got %zu bytes "
		    "\"%.*s\", want %zu", what, b->len, (int)b->len,
		    b->len ? b->p : "", a->len);
}

TEST(round_trip)
{
	struct envelope e, p;
	struct buf out = BUF_INIT, data = BUF_INIT;
	char err[256];
	size_t body;

	sample(&e);
	CHECK_INT(envelope_format(&e, &out), 0);
	CHECK(strncmp(out.p, "mta-spool 1\n", 12) == 0);
	CHECK(out.len >= 2 && memcmp(out.p + out.len - 2, "\n\n", 2) == 0);
	/* the first blank line is the end: values hide their newlines */
	for (size_t i = 0; i + 2 < out.len; i++)
		CHECK(out.p[i] != '\n' || out.p[i + 1] != '\n');
	for (size_t i = 0; i < out.len; i++)
		if (out.p[i] != '\n' && (out.p[i] < 0x20 || out.p[i] > 0x7e))
			test_fail(__FILE__, __LINE__, "raw byte %#x at %zu",
			    (unsigned char)out.p[i], i);
	CHECK(contains(&out, "\nsize 000000001234\n"));
	CHECK(contains(&out, "\nrcpt D 0012 1700003600 1700000001 "
	    "<\"a>b%20c\"@x.org>\n"));
	CHECK(contains(&out, "\nrcpt X 9999 9999999999 0000000000 "));
	CHECK(contains(&out, "\nret full\n"));
	CHECK(contains(&out, "\njob job%0D%0Arcpt%20-%200000%20"));

	/* the message follows, byte-exact */
	buf_append(&data, out.p, out.len);
	buf_append(&data, BODY, BODYLEN);
	envelope_init(&p);
	CHECK_INT(envelope_parse(data.p, data.len, &p, &body, err,
	    sizeof(err)), 0);
	CHECK_UINT(body, out.len);
	CHECK(memcmp(data.p + body, BODY, BODYLEN) == 0);

	CHECK_INT(p.version, 1);
	same_buf(&e.id, &p.id, "id");
	CHECK_INT(p.time, 1700000000);
	same_buf(&e.from, &p.from, "from");
	same_buf(&e.vmta, &p.vmta, "vmta");
	same_buf(&e.job, &p.job, "job");
	same_buf(&e.envid, &p.envid, "envid");
	same_buf(&e.ret, &p.ret, "ret");
	CHECK_UINT(p.size, 1234);
	CHECK_UINT(p.size_off, e.size_off);
	same_buf(&e.source, &p.source, "source");
	same_buf(&e.auth, &p.auth, "auth");
	same_buf(&e.srcname, &p.srcname, "source-name");
	CHECK_UINT(p.nrcpt, 3);
	for (size_t i = 0; i < p.nrcpt && i < e.nrcpt; i++) {
		same_buf(&e.rcpt[i].addr, &p.rcpt[i].addr, "addr");
		same_buf(&e.rcpt[i].orcpt, &p.rcpt[i].orcpt, "orcpt");
		same_buf(&e.rcpt[i].notify, &p.rcpt[i].notify, "notify");
		CHECK_INT(p.rcpt[i].state, e.rcpt[i].state);
		CHECK_INT(p.rcpt[i].attempts, i == 2 ? 9999 :
		    e.rcpt[i].attempts);
		CHECK_INT(p.rcpt[i].next, e.rcpt[i].next);
		CHECK_INT(p.rcpt[i].first, e.rcpt[i].first);
		CHECK_UINT(p.rcpt[i].off, e.rcpt[i].off);
		CHECK_INT(data.p[p.rcpt[i].off], e.rcpt[i].state);
		CHECK(memcmp(data.p + p.rcpt[i].off - 5, "rcpt ", 5) == 0);
	}
	CHECK(memcmp(data.p + p.size_off, "000000001234", 12) == 0);

	/* formatting what was parsed gives the same bytes */
	buf_reset(&data);
	CHECK_INT(envelope_format(&p, &data), 0);
	CHECK_INT(data.len, out.len);
	CHECK(memcmp(data.p, out.p, out.len) == 0);

	envelope_free(&e);
	envelope_free(&p);
	buf_free(&out);
	buf_free(&data);
}

TEST(empty_values)
{
	struct envelope e, p;
	struct buf out = BUF_INIT;
	char err[256];
	size_t body;

	envelope_init(&e);
	set(&e.id, "0123456789abcdef0123a");
	e.time = 0;
	CHECK_INT(envelope_add_rcpt(&e, "a@b", "", NULL), 0);
	CHECK_INT(envelope_format(&e, &out), 0);
	CHECK_STR(buf_cstr(&out), "mta-spool 1\nid 0123456789abcdef0123a\n"
	    "time 0\nfrom <>\nsize 000000000000\n"
	    "rcpt - 0000 0000000000 0000000000 <a@b>\n\n");
	envelope_init(&p);
	CHECK_INT(envelope_parse(out.p, out.len, &p, &body, err,
	    sizeof(err)), 0);
	CHECK_INT(p.from.len, 0);
	CHECK_INT(p.vmta.len, 0);
	CHECK_INT(p.srcname.len, 0);
	CHECK_INT(p.rcpt[0].orcpt.len, 0);
	CHECK_STR(envelope_state_name(p.rcpt[0].state), "pending");
	CHECK_STR(envelope_state_name(ENVELOPE_DELIVERED), "delivered");
	CHECK_STR(envelope_state_name(ENVELOPE_FAILED), "failed");
	CHECK_STR(envelope_state_name(ENVELOPE_EXPIRED), "expired");
	CHECK_STR(envelope_state_name('?'), "unknown");
	envelope_free(&e);
	envelope_free(&p);
	buf_free(&out);
}

TEST(format_errors)
{
	struct envelope e;
	struct buf out = BUF_INIT;
	char *big;

	sample(&e);
	buf_reset(&e.id);
	CHECK_INT(envelope_format(&e, &out), -1);
	CHECK_INT(errno, EINVAL);
	set(&e.id, "x");
	e.time = -1;
	CHECK_INT(envelope_format(&e, &out), -1);
	e.time = 10000000000LL;
	CHECK_INT(envelope_format(&e, &out), -1);
	e.time = 1;
	e.rcpt[0].state = 'Q';
	CHECK_INT(envelope_format(&e, &out), -1);
	e.rcpt[0].state = ENVELOPE_PENDING;
	e.rcpt[0].first = -5;
	CHECK_INT(envelope_format(&e, &out), -1);
	e.rcpt[0].first = 0;
	CHECK_INT(envelope_format(&e, &out), 0);
	CHECK_INT(envelope_add_rcpt(&e, "", NULL, NULL), -1);

	/* a record that would not parse is not written */
	if ((big = malloc(2000)) == NULL)
		abort();
	memset(big, ' ', 1999);
	big[1999] = '\0';
	set(&e.source, big);	/* 6000 bytes encoded */
	CHECK_INT(envelope_format(&e, &out), -1);
	CHECK_INT(errno, EINVAL);
	set(&e.source, "local");
	set(&e.rcpt[1].orcpt, big);
	CHECK_INT(envelope_format(&e, &out), -1);
	big[1300] = '\0';	/* 3900 bytes encoded: fits */
	set(&e.rcpt[1].orcpt, big);
	CHECK_INT(envelope_format(&e, &out), 0);
	free(big);
	envelope_free(&e);
	buf_free(&out);
}

/* expect - parsing s fails with an error that contains want */
static void
expect(int line, const char *s, size_t len, const char *want)
{
	struct envelope e;
	char err[256];
	size_t body;

	envelope_init(&e);
	err[0] = '\0';
	if (envelope_parse(s, len, &e, &body, err, sizeof(err)) != -1)
		test_fail(__FILE__, line, "parsed, want error \"%s\"", want);
	else if (strstr(err, want) == NULL)
		test_fail(__FILE__, line, "got error \"%s\", want \"%s\"",
		    err, want);
	envelope_free(&e);
}

#define EXPECT(s, want)	expect(__LINE__, s, strlen(s), want)
#define HEAD	"mta-spool 1\nid 1\ntime 5\nfrom <a@b>\n"

TEST(parse_errors)
{
	EXPECT("", "not a spool file");
	EXPECT("hello world\n\n", "line 1: not a spool file");
	EXPECT("mta-spool\n\n", "not a spool file");
	EXPECT("mta-spool 2\nid 1\n\n", "format version 2 is newer than "
	    "this program's (1)");
	EXPECT("mta-spool 10.1\n\n", "newer");
	EXPECT("mta-spool 0\n\n", "bad format version");
	EXPECT("mta-spool 1.\n\n", "bad format version");
	EXPECT("mta-spool -1\n\n", "bad format version");
	EXPECT("mta-spool 1\r\n\n", "bad format version");
	EXPECT("mta-spool 1\n", "line 2: truncated envelope");
	EXPECT(HEAD, "line 5: truncated envelope");
	EXPECT("mta-spool 1\nid 1\ntime 5\n\n", "line 4: missing from");
	EXPECT("mta-spool 1\nid 1\nfrom <>\n\n", "missing time");
	EXPECT("mta-spool 1\ntime 1\nfrom <>\n\n", "missing id");
	EXPECT("mta-spool 1\nid \ntime 1\nfrom <>\n\n", "line 2: empty id");
	EXPECT(HEAD "id 2\n\n", "line 5: duplicate record");
	EXPECT(HEAD "from <c@d>\n\n", "duplicate record");
	EXPECT(HEAD "vmta a\nvmta b\n\n", "duplicate record");
	EXPECT(HEAD "source-name a\nsource-name b\n\n", "duplicate record");
	EXPECT(HEAD "source-name {a} b\n\n", "space in value");
	EXPECT(HEAD "source-name a%0\n\n", "bad value");
	EXPECT(HEAD "source-name a%00\n\n", "bad value");
	EXPECT("mta-spool 1\nid 1\ntime 1x\nfrom <>\n\n", "bad time");
	EXPECT("mta-spool 1\nid 1\ntime 99999999999\nfrom <>\n\n",
	    "bad time");
	EXPECT("mta-spool 1\nid 1\ntime -1\nfrom <>\n\n", "bad time");
	EXPECT("mta-spool 1\nid 1\ntime 1\nfrom a@b\n\n", "bad sender");
	EXPECT("mta-spool 1\nid 1\ntime 1\nfrom <a@b\n\n", "bad sender");
	EXPECT(HEAD "size 12a\n\n", "bad size");
	EXPECT(HEAD "vmta a b\n\n", "space in value");
	EXPECT(HEAD "vmta a%00b\n\n", "bad value");
	EXPECT(HEAD "vmta a%0\n\n", "bad value");
	EXPECT(HEAD "vmta a%G0\n\n", "bad value");
	EXPECT(HEAD "vmta a\tb\n\n", "bad byte in record");
	EXPECT(HEAD "vmta a\rb\n\n", "bad byte");
	EXPECT(HEAD "vmta \xc3\xbc\n\n", "bad byte");
	EXPECT(HEAD "Vmta x\n\n", "bad key");
	EXPECT(HEAD " x\n\n", "bad key");
	EXPECT(HEAD "rcpt\n\n", "bad recipient state");
	EXPECT(HEAD "rcpt Q 0000 0000000000 0000000000 <a@b>\n\n",
	    "bad recipient state");
	EXPECT(HEAD "rcpt - 000 0000000000 0000000000 <a@b>\n\n",
	    "bad recipient state");
	EXPECT(HEAD "rcpt - 00a0 0000000000 0000000000 <a@b>\n\n",
	    "bad recipient state");
	EXPECT(HEAD "rcpt - 0000 0000000000 000000000 <a@b>\n\n",
	    "bad recipient state");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000\n\n",
	    "bad recipient state");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 <>\n\n",
	    "bad recipient address");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 a@b\n\n",
	    "bad recipient address");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 <a@b> x\n\n",
	    "recipient field without =");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 <a@b>  orcpt=x\n\n",
	    "recipient field without =");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 <a@b> orcpt=%zz\n\n",
	    "bad orcpt");
	EXPECT(HEAD "rcpt - 0000 0000000000 0000000000 <a@b> notify=a "
	    "notify=b\n\n", "bad notify");
	/* a NUL byte is a bad byte, not an end */
	expect(__LINE__, HEAD "vmta a\0b\n\n", sizeof(HEAD) + 9, "bad byte");
}

TEST(forward_compatible)
{
	static const char s[] = "mta-spool 1.9\nx-future some%20thing\n"
	    "id 1\ntime 5\nfrom <a@b>\n2fa yes\n"
	    "rcpt F 0001 0000000007 0000000003 <c@d> dsn=5.1.1 notify=NEVER "
	    "x=\nx-body no\n\nrest";
	struct envelope e;
	char err[256];
	size_t body;

	envelope_init(&e);
	CHECK_INT(envelope_parse(s, sizeof(s) - 1, &e, &body, err,
	    sizeof(err)), 0);
	CHECK_INT(e.version, 1);
	CHECK_STR(e.id.p, "1");
	CHECK_INT(e.nrcpt, 1);
	CHECK_INT(e.rcpt[0].state, ENVELOPE_FAILED);
	CHECK_INT(e.rcpt[0].attempts, 1);
	CHECK_INT(e.rcpt[0].next, 7);
	CHECK_INT(e.rcpt[0].first, 3);
	CHECK_STR(buf_cstr(&e.rcpt[0].notify), "NEVER");
	CHECK_STR(s + body, "rest");
	CHECK_INT(e.size_off, 0);	/* no size record */
	envelope_free(&e);
}

TEST(oversized)
{
	struct buf s = BUF_INIT;
	char *junk;

	/* a record of 4096 bytes with its newline passes, 4097 do not */
	buf_appends(&s, HEAD "x-pad ");
	while (s.len - (sizeof(HEAD) - 1) < 4095)
		buf_appendc(&s, 'a');
	buf_appends(&s, "\n\n");
	{
		struct envelope e;
		char err[256];
		size_t body;

		envelope_init(&e);
		CHECK_INT(envelope_parse(s.p, s.len, &e, &body, err,
		    sizeof(err)), 0);
		envelope_free(&e);
	}
	buf_reset(&s);
	buf_appends(&s, HEAD "x-pad ");
	while (s.len - (sizeof(HEAD) - 1) < 4096)
		buf_appendc(&s, 'a');
	buf_appends(&s, "\n\n");
	expect(__LINE__, s.p, s.len, "line 5: line too long");

	/* a megabyte without a newline */
	if ((junk = malloc(1 << 20)) == NULL)
		abort();
	memset(junk, 'm', 1 << 20);
	memcpy(junk, "mta-spool 1\n", 12);
	expect(__LINE__, junk, 1 << 20, "line 2: line too long");
	memset(junk, 0, 1 << 20);
	expect(__LINE__, junk, 1 << 20, "not a spool file");
	free(junk);

	/* recipients beyond ENVELOPE_MAXRCPT */
	buf_set(&s, HEAD, sizeof(HEAD) - 1);
	for (int i = 0; i < ENVELOPE_MAXRCPT; i++)
		buf_appends(&s, "rcpt - 0000 0000000000 0000000000 <a@b>\n");
	buf_appendc(&s, '\n');
	{
		struct envelope e;
		char err[256];
		size_t body;

		envelope_init(&e);
		CHECK_INT(envelope_parse(s.p, s.len, &e, &body, err,
		    sizeof(err)), 0);
		CHECK_INT(e.nrcpt, ENVELOPE_MAXRCPT);
		CHECK_INT(envelope_add_rcpt(&e, "x@y", NULL, NULL), -1);
		CHECK_INT(errno, E2BIG);
		envelope_free(&e);
	}
	s.len--;
	buf_appends(&s, "rcpt - 0000 0000000000 0000000000 <a@b>\n\n");
	expect(__LINE__, s.p, s.len, "too many recipients");
	buf_free(&s);
}

/* every proper prefix of a good envelope is refused */
TEST(truncated)
{
	struct envelope e, p;
	struct buf out = BUF_INIT;
	char err[256], *copy;
	size_t body;

	sample(&e);
	CHECK_INT(envelope_format(&e, &out), 0);
	envelope_init(&p);
	for (size_t n = 0; n < out.len; n++) {
		/* a copy of exactly n bytes, so ASan sees any overread */
		if ((copy = malloc(n + 1)) == NULL)
			abort();
		memcpy(copy, out.p, n);
		if (envelope_parse(copy, n, &p, &body, err, sizeof(err)) !=
		    -1)
			test_fail(__FILE__, __LINE__, "prefix of %zu bytes "
			    "parsed", n);
		free(copy);
	}
	envelope_free(&e);
	envelope_free(&p);
	buf_free(&out);
}

/* random damage never crashes the parser nor makes it overread */
TEST(garbage)
{
	struct envelope e, p;
	struct buf out = BUF_INIT;
	unsigned long long x = 88172645463325252ULL;
	char err[256], *copy;
	size_t body, n, ok = 0;

	sample(&e);
	CHECK_INT(envelope_format(&e, &out), 0);
	envelope_init(&p);
	for (int i = 0; i < 20000; i++) {
		n = out.len;
		if ((copy = malloc(n)) == NULL)
			abort();
		memcpy(copy, out.p, n);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			copy[x % n] = (char)(x >> 32);
		}
		if (envelope_parse(copy, n, &p, &body, err,
		    sizeof(err)) == 0) {
			ok++;
			CHECK(body <= n);
			for (size_t r = 0; r < p.nrcpt; r++)
				CHECK(p.rcpt[r].off + ENVELOPE_STATELEN < n);
		}
		free(copy);
	}
	CHECK(ok > 0);
	envelope_free(&e);
	envelope_free(&p);
	buf_free(&out);
}

TEST(update_in_place)
{
	struct envelope e, p;
	struct buf out = BUF_INIT, file = BUF_INIT;
	char path[] = "/tmp/envelope_test.XXXXXX", err[256];
	struct stat st;
	size_t body;
	ssize_t r;
	int fd;

	sample(&e);
	CHECK_INT(envelope_format(&e, &out), 0);
	if ((fd = mkstemp(path)) == -1)
		abort();
	unlink(path);
	CHECK_INT(write(fd, out.p, out.len), out.len);
	CHECK_INT(write(fd, BODY, BODYLEN), BODYLEN);

	e.rcpt[0].state = ENVELOPE_DELIVERED;
	e.rcpt[0].attempts = 3;
	e.rcpt[0].next = 1700009999;
	e.rcpt[0].first = 1700000100;
	CHECK_INT(envelope_rcpt_update(fd, &e, 0), 0);
	e.rcpt[2].state = ENVELOPE_FAILED;
	CHECK_INT(envelope_rcpt_update(fd, &e, 2), 0);
	CHECK_INT(envelope_size_update(fd, e.size_off, 987654321), 0);

	/* refused: no such recipient, values out of range */
	CHECK_INT(envelope_rcpt_update(fd, &e, 3), -1);
	CHECK_INT(errno, EINVAL);
	e.rcpt[1].next = 10000000000LL;
	CHECK_INT(envelope_rcpt_update(fd, &e, 1), -1);
	CHECK_INT(errno, EINVAL);
	e.rcpt[1].next = 0;
	CHECK_INT(envelope_size_update(fd, e.size_off, 1000000000000ULL), -1);

	CHECK_INT(fstat(fd, &st), 0);
	CHECK_INT(st.st_size, out.len + BODYLEN);
	buf_grow(&file, (size_t)st.st_size);
	r = pread(fd, file.p, (size_t)st.st_size, 0);
	CHECK_INT(r, st.st_size);
	file.len = (size_t)r;
	envelope_init(&p);
	CHECK_INT(envelope_parse(file.p, file.len, &p, &body, err,
	    sizeof(err)), 0);
	CHECK_UINT(body, out.len);
	CHECK(memcmp(file.p + body, BODY, BODYLEN) == 0);
	CHECK_INT(p.rcpt[0].state, ENVELOPE_DELIVERED);
	CHECK_INT(p.rcpt[0].attempts, 3);
	CHECK_INT(p.rcpt[0].next, 1700009999);
	CHECK_INT(p.rcpt[0].first, 1700000100);
	CHECK_INT(p.rcpt[1].state, ENVELOPE_DELIVERED);
	CHECK_INT(p.rcpt[1].attempts, 12);
	CHECK_INT(p.rcpt[2].state, ENVELOPE_FAILED);
	CHECK_INT(p.rcpt[2].attempts, 9999);
	CHECK_UINT(p.size, 987654321);
	CHECK_STR(buf_cstr(&p.rcpt[0].notify), "SUCCESS,FAILURE");
	/* only the fields changed */
	buf_append(&out, BODY, BODYLEN);
	memcpy(out.p + e.rcpt[0].off, "D 0003 1700009999 1700000100", 28);
	memcpy(out.p + e.rcpt[2].off, "F 9999 9999999999 0000000000", 28);
	memcpy(out.p + e.size_off, "000987654321", 12);
	CHECK_INT(file.len, out.len);
	CHECK(memcmp(file.p, out.p, out.len) == 0);

	/* an update through a read-only or closed fd fails */
	close(fd);
	CHECK_INT(envelope_rcpt_update(fd, &e, 0), -1);
	CHECK_INT(errno, EBADF);
	envelope_free(&e);
	envelope_free(&p);
	buf_free(&out);
	buf_free(&file);
}

TEST(header_records)
{
	struct envelope e, p;
	struct buf out = BUF_INIT, big = BUF_INIT;
	char err[256];
	size_t body;
	const char *v = "spring, \"sale\"\tcaf\xc3\xa9 100%";

	envelope_init(&e);
	(void)buf_appends(&e.id, "1");
	e.time = 5;
	CHECK_INT(envelope_add_rcpt(&e, "c@d", NULL, NULL), 0);
	CHECK_INT(envelope_add_header(&e, "x-campaign", v, strlen(v)), 0);
	/* cut at 256 bytes, not inside the 2-byte sequences */
	for (int i = 0; i < 200; i++)
		(void)buf_appends(&big, "\xc3\xa9");
	CHECK_INT(envelope_add_header(&e, "x-big", big.p, big.len), 0);
	CHECK_UINT(e.hdr[1].value.len, 256);
	/* bad names, a NUL, a ninth header */
	CHECK_INT(envelope_add_header(&e, "X-Up", "a", 1), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(envelope_add_header(&e, "", "a", 1), -1);
	CHECK_INT(envelope_add_header(&e, "a b", "a", 1), -1);
	CHECK_INT(envelope_add_header(&e, "x", "a\0b", 3), -1);
	for (int i = 2; i < ENVELOPE_MAXHDR; i++)
		CHECK_INT(envelope_add_header(&e, "x-n", "1", 1), 0);
	CHECK_INT(envelope_add_header(&e, "x-n", "1", 1), -1);
	CHECK_INT(errno, E2BIG);
	CHECK_INT(envelope_format(&e, &out), 0);
	CHECK(strstr(out.p, "\nheader x-campaign=spring,%20\"sale\"%09"
	    "caf%C3%A9%20100%25\n") != NULL);
	envelope_init(&p);
	CHECK_INT(envelope_parse(out.p, out.len, &p, &body, err,
	    sizeof(err)), 0);
	CHECK_UINT(p.nhdr, ENVELOPE_MAXHDR);
	CHECK_STR(buf_cstr(&p.hdr[0].name), "x-campaign");
	CHECK_STR(buf_cstr(&p.hdr[0].value), v);
	CHECK_UINT(p.hdr[1].value.len, 256);
	CHECK_INT(memcmp(p.hdr[1].value.p, big.p, 256), 0);
	envelope_free(&p);
	envelope_free(&e);
	buf_free(&out);
	buf_free(&big);

	/* hostile header records; more than 8 are ignored */
	EXPECT(HEAD "header x\n\n", "line 5: bad header record");
	EXPECT(HEAD "header X-A=b\n\n", "line 5: bad header record");
	EXPECT(HEAD "header =b\n\n", "line 5: bad header record");
	EXPECT(HEAD "header x=a b\n\n", "line 5: bad header record");
	EXPECT(HEAD "header x=%00\n\n", "line 5: bad header value");
	EXPECT(HEAD "header x=%zz\n\n", "line 5: bad header value");
	{
		static const char s[] = HEAD "header a=1\nheader b=2\n"
		    "header c=3\nheader d=4\nheader e=5\nheader f=6\n"
		    "header g=7\nheader h=8\nheader i=9\nheader j=\n"
		    "rcpt - 0000 0000000000 0000000000 <c@d>\n\n";

		envelope_init(&p);
		CHECK_INT(envelope_parse(s, sizeof(s) - 1, &p, &body, err,
		    sizeof(err)), 0);
		CHECK_UINT(p.nhdr, ENVELOPE_MAXHDR);
		CHECK_STR(buf_cstr(&p.hdr[7].value), "8");
		envelope_free(&p);
	}
}

static const struct test_case tests[] = {
	T(round_trip),
	T(empty_values),
	T(format_errors),
	T(parse_errors),
	T(forward_compatible),
	T(oversized),
	T(truncated),
	T(garbage),
	T(update_in_place),
	T(header_records),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
