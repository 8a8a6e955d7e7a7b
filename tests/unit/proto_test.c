/*
 * proto_test - records round trip; hostile lines are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

TEST(round_trip)
{
	struct buf b = BUF_INIT;
	struct proto_rec r;
	char err[128];
	long long n;

	CHECK_INT(proto_begin(&b, "rcpt"), 0);
	CHECK_INT(proto_add(&b, "id", "1a2b.3"), 0);
	CHECK_INT(proto_add(&b, "text", "connect timeout 100% = bad\r\n"), 0);
	CHECK_INT(proto_add(&b, "empty", ""), 0);
	CHECK_INT(proto_addn(&b, "nul", "a\0b", 3), 0);
	CHECK_INT(proto_add_num(&b, "n", -42), 0);
	CHECK_INT(proto_end(&b, 0), 0);
	CHECK_STR(b.p, "rcpt id=1a2b.3 text=connect%20timeout%20100%25%20=%20"
	    "bad%0D%0A empty= nul=a%00b n=-42\n");
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, err, sizeof(err)), 0);
	CHECK_STR(r.verb, "rcpt");
	CHECK_INT(r.nkeys, 5);
	CHECK_STR(proto_get(&r, "text"), "connect timeout 100% = bad\r\n");
	CHECK_STR(proto_get(&r, "empty"), "");
	CHECK_INT(r.kv[3].vlen, 3);
	CHECK(memcmp(proto_get(&r, "nul"), "a\0b", 3) == 0);
	CHECK_INT(proto_get_num(&r, "n", -100, 100, &n), 0);
	CHECK_INT(n, -42);
	CHECK_INT(proto_get_num(&r, "n", 0, 100, &n), -1);
	CHECK_INT(proto_get_num(&r, "missing", 0, 100, &n), -1);
	CHECK(proto_get(&r, "missing") == NULL);
	buf_free(&b);
}

TEST(bad_records)
{
	static const char *bad[] = {
		"", "Rcpt a=1", "rcpt  a=1", "rcpt a=1 ", "rcpt =1", "rcpt A=1",
		"rcpt a", "rcpt a=%", "rcpt a=%4", "rcpt a=%zz", "rcpt a=\x01",
		"rcpt a=\xff", "rcpt a=b\tc", "verb_x a=1", "rcpt a=1 b",
	};
	struct proto_rec r;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proto_parse(bad[i], strlen(bad[i]), &r, err,
		    sizeof(err)) != -1)
			test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	CHECK_INT(proto_parse("ok", 2, &r, err, sizeof(err)), 0);
	CHECK_INT(r.nkeys, 0);
}

TEST(decode)
{
	static const char *bad[] = { "%", "%4", "%zz", "a b", "\x01", "\xff" };
	struct buf b = BUF_INIT;

	CHECK_INT(proto_decode(&b, "a%20b%25%00", 11), 0);
	CHECK_INT(b.len, 5);
	CHECK(memcmp(b.p, "a b%\0", 5) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (proto_decode(&b, bad[i], strlen(bad[i])) != -1)
			test_fail(__FILE__, __LINE__, "decoded \"%s\"", bad[i]);
		CHECK_INT(b.len, 0);
	}
	buf_free(&b);
}

TEST(limits)
{
	struct buf b = BUF_INIT;
	struct proto_rec r;
	char big[PROTO_MAXLINE + 10], err[128];

	memset(big, 'x', sizeof(big));
	proto_begin(&b, "v");
	proto_addn(&b, "k", big, 3000);	/* 3000 bytes: fits */
	CHECK_INT(proto_end(&b, 0), 0);
	buf_reset(&b);
	proto_begin(&b, "v");
	proto_addn(&b, "k", "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", 10);
	for (int i = 0; i < 200; i++)
		proto_addn(&b, "k", "\x01\x01\x01\x01\x01\x01\x01\x01", 8);
	CHECK_INT(proto_end(&b, 0), -1);
	CHECK_INT(errno, EMSGSIZE);
	CHECK_INT(b.len, 0);
	memcpy(big, "v k=", 4);
	CHECK_INT(proto_parse(big, PROTO_MAXLINE, &r, err, sizeof(err)), -1);
	buf_reset(&b);
	proto_begin(&b, "v");
	for (int i = 0; i < PROTO_MAXKEYS + 1; i++)
		proto_add(&b, "k", "v");
	CHECK_INT(proto_parse(b.p, b.len, &r, err, sizeof(err)), -1);
	buf_free(&b);
}

TEST(reader)
{
	struct proto_reader rd;
	struct proto_rec r;
	char err[128], big[PROTO_MAXLINE + 100];
	int fds[2];

	CHECK_INT(pipe(fds), 0);
	proto_reader_init(&rd, fds[0]);
	CHECK_INT(write(fds[1], "hello proto=deliver/1\nbad_\nok a=", 32), 32);
	CHECK_INT(proto_read(&rd), 1);
	CHECK(rd.drained);	/* 32 bytes of 16K: the pipe is empty */
	CHECK_INT(proto_next(&rd, &r, err, sizeof(err)), 1);
	CHECK_STR(proto_get(&r, "proto"), "deliver/1");
	CHECK_INT(proto_next(&rd, &r, err, sizeof(err)), -1);
	CHECK_INT(proto_next(&rd, &r, err, sizeof(err)), 0);
	CHECK_INT(write(fds[1], "1\n", 2), 2);
	CHECK_INT(proto_read(&rd), 1);
	CHECK_INT(proto_next(&rd, &r, err, sizeof(err)), 1);
	CHECK_STR(proto_get(&r, "a"), "1");
	memset(big, 'x', sizeof(big));
	CHECK_INT(write(fds[1], big, sizeof(big)), (int)sizeof(big));
	CHECK_INT(proto_read(&rd), 1);	/* all of it: the buffer holds 16K */
	CHECK_INT(proto_next(&rd, &r, err, sizeof(err)), -1);
	/* a read that fills the buffer says nothing of what is left */
	proto_reader_init(&rd, fds[0]);
	for (size_t i = 0; i < sizeof(rd.buf) / sizeof(big) + 1; i++)
		CHECK_INT(write(fds[1], big, sizeof(big)), (int)sizeof(big));
	CHECK_INT(proto_read(&rd), 1);
	CHECK_INT(rd.len, sizeof(rd.buf));
	CHECK(!rd.drained);
	proto_reader_init(&rd, fds[0]);
	close(fds[1]);
	while (proto_read(&rd) == 1)
		;
	CHECK(rd.eof);
	close(fds[0]);
}

static const struct test_case tests[] = {
	T(round_trip),
	T(bad_records),
	T(decode),
	T(limits),
	T(reader),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
