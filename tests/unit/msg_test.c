/*
 * msg_test - line endings, over-long lines, header fields, address lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "msg.h"

/* The message as it would be written: head, empty line, body. */
static char *
flat(const struct msg *m)
{
	char *s = malloc(msg_size(m) + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, m->head.p ? m->head.p : "", m->head.len);
	memcpy(s + m->head.len, "\r\n", 2);
	memcpy(s + m->head.len + 2, m->body.p ? m->body.p : "", m->body.len);
	s[msg_size(m)] = '\0';
	return s;
}

static void
check_parse(const char *in, const char *want)
{
	char err[128], *got;
	struct msg m;

	msg_init(&m);
	CHECK_INT(msg_parse(&m, in, strlen(in), err, sizeof(err)), 0);
	got = flat(&m);
	CHECK_STR(got, want);
	free(got);
	msg_free(&m);
}

TEST(line_endings)
{
	check_parse("A: 1\nB: 2\n\nbody\n", "A: 1\r\nB: 2\r\n\r\nbody\r\n");
	check_parse("A: 1\r\n\r\nx\r\ny", "A: 1\r\n\r\nx\r\ny\r\n");
	check_parse("A: 1\r\rx\r", "A: 1\r\n\r\nx\r\n");
	check_parse("A: 1\n\n\n\nx\n", "A: 1\r\n\r\n\r\n\r\nx\r\n");
	check_parse("A: 1\n", "A: 1\r\n\r\n");
}

TEST(body_starts_at_a_non_field)
{
	check_parse("A: 1\nnot a header\nmore\n",
	    "A: 1\r\n\r\nnot a header\r\nmore\r\n");
	check_parse("just text\n", "\r\njust text\r\n");
	check_parse("From a@b Sat Jan  1 00:00:00 2000\nA: 1\n\nx\n",
	    "A: 1\r\n\r\nx\r\n");
}

TEST(folded_fields)
{
	struct msg m;
	const char *v;
	char err[64];
	size_t n;
	const char *in = "Subject: a\n  b\nTo: x@y\n\n";

	msg_init(&m);
	CHECK_INT(msg_parse(&m, in, strlen(in), err, sizeof(err)), 0);
	CHECK_INT(m.nf, 2);
	msg_value(&m, 0, &v, &n);
	CHECK_INT(n, 7);
	CHECK(memcmp(v, " a\r\n  b", 7) == 0);
	CHECK_INT(msg_find(&m, "subject", 0), 0);
	CHECK_INT(msg_find(&m, "TO", 0), 1);
	CHECK_INT(msg_find(&m, "to", 2), -1);
	CHECK_INT(msg_find(&m, "Subjec", 0), -1);
	msg_remove(&m, 0);
	CHECK_INT(msg_find(&m, "to", 0), 0);
	CHECK_STR(m.head.p, "To: x@y\r\n");
	CHECK_INT(msg_append(&m, "Message-ID", "<1@x>"), 0);
	CHECK_INT(msg_find(&m, "message-id", 0), 1);
	CHECK_STR(m.head.p, "To: x@y\r\nMessage-ID: <1@x>\r\n");
	msg_free(&m);
}

TEST(long_lines_are_broken)
{
	char *in, *want, *got, err[64];
	struct msg m;

	in = malloc(3000);
	want = malloc(3100);
	memcpy(in, "A: 1\n\n", 6);
	memset(in + 6, 'x', 2500);
	strcpy(in + 2506, "\n");
	memcpy(want, "A: 1\r\n\r\n", 8);
	memset(want + 8, 'x', 998);
	memcpy(want + 1006, "\r\n ", 3);
	memset(want + 1009, 'x', 997);
	memcpy(want + 2006, "\r\n ", 3);
	memset(want + 2009, 'x', 505);
	strcpy(want + 2514, "\r\n");
	msg_init(&m);
	CHECK_INT(msg_parse(&m, in, strlen(in), err, sizeof(err)), 0);
	CHECK_INT(m.nsplit, 2);
	got = flat(&m);
	CHECK_STR(got, want);
	free(got);
	msg_free(&m);
	free(in);
	free(want);
}

TEST(long_field_name)
{
	char in[1100], err[64];
	struct msg m;

	/* A "name" too long for one line is no field: the body starts. */
	memset(in, 'X', 998);
	strcpy(in + 998, ":v\nTo: a@b\n\nbody\n");
	msg_init(&m);
	CHECK_INT(msg_parse(&m, in, strlen(in), err, sizeof(err)), 0);
	CHECK_INT(m.nf, 0);
	CHECK_INT(msg_find(&m, "to", 0), -1);
	msg_free(&m);
	memset(in, 'X', 997);
	strcpy(in + 997, ":v\nTo: a@b\n\nbody\n");
	CHECK_INT(msg_parse(&m, in, strlen(in), err, sizeof(err)), 0);
	CHECK_INT(m.nf, 2);
	CHECK_INT(m.f[0].namelen, 997);
	msg_free(&m);
}

TEST(bad_input)
{
	char err[64];
	struct msg m;

	msg_init(&m);
	CHECK_INT(msg_parse(&m, "A: 1\n\nx\0y\n", 10, err, sizeof(err)), -1);
	CHECK(strstr(err, "NUL") != NULL);
	CHECK_INT(msg_parse(&m, "", 0, err, sizeof(err)), -1);
	CHECK_INT(msg_parse(&m, "\n", 1, err, sizeof(err)), -1);
	CHECK_INT(msg_parse(&m, "\xff\xfe: \x80\n\n\x81", 8, err,
	    sizeof(err)), 0);
	CHECK(m.eightbit);
	msg_free(&m);
}

static int
collect(void *arg, const char *a, size_t n)
{
	char *out = arg;

	snprintf(out + strlen(out), 512 - strlen(out), "%s%.*s",
	    out[0] ? "|" : "", (int)n, a);
	return 0;
}

static void
check_list(const char *v, const char *want)
{
	char out[512] = "";

	CHECK_INT(msg_addrlist(v, strlen(v), collect, out), 0);
	CHECK_STR(out, want);
}

TEST(address_lists)
{
	check_list(" a@b.example", "a@b.example");
	check_list(" A <a@b>, \"Last, First\" <c@d>", "a@b|c@d");
	check_list(" a@b (comment, with comma), c@d", "a@b|c@d");
	check_list(" undisclosed-recipients:;", "");
	check_list(" team: x@y, z@w; other@v", "x@y|z@w|other@v");
	check_list(" \"q@uoted\"@ex.example", "\"q@uoted\"@ex.example");
	check_list(" \"john doe\"@ex.example", "\"john doe\"@ex.example");
	check_list(" \"a(b)c\"@ex.example (c)", "\"a(b)c\"@ex.example");
	check_list(" user@[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]");
	check_list(" (only a comment)", "");
	check_list(" <unterminated@x", "unterminated@x");
	check_list(" \"unterminated", "\"unterminated");
	check_list(" a@b,\r\n c@d", "a@b|c@d");
}

TEST(date)
{
	char d[64];

	setenv("TZ", "UTC", 1);
	CHECK_INT(msg_date(0, d, sizeof(d)), 0);
	CHECK_STR(d, "Thu, 1 Jan 1970 00:00:00 +0000");
	CHECK_INT(msg_date(0, d, 10), -1);
}

static const struct test_case tests[] = {
	T(line_endings),
	T(body_starts_at_a_non_field),
	T(folded_fields),
	T(long_lines_are_broken),
	T(long_field_name),
	T(bad_input),
	T(address_lists),
	T(date),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
