/*
 * verp_test - VERP addresses: the encoding, round trips through case
 * changes, forged and mangled tags, hostile addresses, the key file
 * (made 0600, read back; short, long, missing) and the bounce-domain
 * lookup.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "harness.h"
#include "verp.h"

static const unsigned char key[VERP_KEYLEN] =
    "0123456789abcdef0123456789abcde";
static const unsigned char key2[VERP_KEYLEN] =
    "another key, another key, anoth";

/* Encode sender/rcpt at domain; return the address (static). */
static const char *
enc(const char *sender, const char *rcpt, const char *domain)
{
	static struct buf b;

	buf_reset(&b);
	if (verp_encode(sender, rcpt, domain, key, sizeof(key), &b) == -1)
		return NULL;
	return buf_cstr(&b);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s -= 'a' - 'A';
}

TEST(shape)
{
	const char *a = enc("bounces@example.org", "user@y.example",
	    "bnc.example.org");
	size_t n;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	n = strlen("bounces-user=y.example-");
	CHECK(strncmp(a, "bounces-user=y.example-", n) == 0);
	CHECK_STR(a + n + VERP_TAGLEN, "@bnc.example.org");
	for (size_t i = n; i < n + VERP_TAGLEN; i++)
		CHECK(strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]) !=
		    NULL);
	/* the separators and 8-bit bytes of the recipient are xtext */
	a = enc("b@x", "a+b-c=d@y-z.example", "v.example");
	CHECK(a != NULL && strncmp(a, "b-a+2Bb+2Dc+3Dd=y-z.example-", 28) ==
	    0);
	a = enc("b@x", "j\xc3\xb6rg..x@y.example", "v.example");
	CHECK(a != NULL && strncmp(a, "b-j+C3+B6rg.+2Ex=y.example-", 27) == 0);
	a = enc("\"odd sender\"@x", "u@y", "v.example");
	CHECK(a != NULL && strncmp(a, "+22odd+20sender+22-u=y-", 23) == 0);
}

TEST(round_trip)
{
	static const char *const rcpts[] = {
		"user@y.example", "a+b-c=d@y-z.example",
		"j\xc3\xb6rg@x.example",
		"\"a b\"@y.example", "x.-=+.y@z", "o'neil@example.ie",
		"a..b@c", "-@d", "=@e", "+@f",
	};
	static const char *const senders[] = {
		"bounces@example.org", "a-b=c+d@x", "\"q u\"@x.example",
	};
	struct buf r = BUF_INIT, p = BUF_INIT;
	char a[512];

	for (size_t s = 0; s < sizeof(senders) / sizeof(senders[0]); s++)
		for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
			const char *e = enc(senders[s], rcpts[i],
			    "Bnc.Example");

			if (e == NULL) {
				test_fail(__FILE__, __LINE__, "encode %s: %s",
				    rcpts[i], strerror(errno));
				continue;
			}
			(void)strlcpy(a, e, sizeof(a));
			for (const char *q = a; *q != '\0'; q++)
				if ((unsigned char)*q >= 0x80 || *q == ' ' ||
				    *q == '"')
					test_fail(__FILE__, __LINE__, "not an "
					    "atom: %s", a);
			CHECK(strstr(a, "..") == NULL);
			CHECK_INT(verp_decode(a, "bnc.example", key,
			    sizeof(key), &r, &p), 0);
			CHECK_STR(buf_cstr(&r), rcpts[i]);
			/* a remote MTA that changes case: same tag */
			lower(a);
			CHECK_INT(verp_decode(a, "BNC.example", key,
			    sizeof(key), &r, NULL), 0);
			upper(a);
			CHECK_INT(verp_decode(a, NULL, key, sizeof(key), &r,
			    NULL), 0);
		}
	buf_free(&r);
	buf_free(&p);
}

TEST(prefix)
{
	struct buf r = BUF_INIT, p = BUF_INIT;

	CHECK_INT(verp_decode(enc("news-letter@x", "a-b@y", "v.example"),
	    "v.example", key, sizeof(key), &r, &p), 0);
	CHECK_STR(buf_cstr(&p), "news-letter");
	CHECK_STR(buf_cstr(&r), "a-b@y");
	buf_free(&r);
	buf_free(&p);
}

TEST(forged)
{
	struct buf r = BUF_INIT, b = BUF_INIT;
	char a[512];
	char *tag, was;

	(void)strlcpy(a, enc("bounces@x", "user@y.example", "v.example"),
	    sizeof(a));
	/* another key */
	errno = 0;
	CHECK_INT(verp_decode(a, "v.example", key2, sizeof(key2), &r, NULL),
	    -1);
	CHECK_INT(errno, EBADMSG);
	CHECK_STR(buf_cstr(&r), "user@y.example");	/* still decoded */
	/* one tag character changed */
	tag = strchr(a, '@') - VERP_TAGLEN;
	was = *tag;
	*tag = was == 'a' ? 'b' : 'a';
	CHECK_INT(verp_decode(a, "v.example", key, sizeof(key), &r, NULL), -1);
	CHECK_INT(errno, EBADMSG);
	/* the recipient changed, the tag kept */
	*tag = was;
	CHECK_INT(verp_decode(a, "v.example", key, sizeof(key), &r, NULL), 0);
	a[strlen("bounces-")] = 'X';
	CHECK_INT(verp_decode(a, "v.example", key, sizeof(key), &r, NULL), -1);
	CHECK_INT(errno, EBADMSG);
	/* without a key: a hash, still checked */
	CHECK_INT(verp_encode("b@x", "u@y", "v.example", NULL, 0, &b), 0);
	CHECK_INT(verp_decode(buf_cstr(&b), "v.example", NULL, 0, &r, NULL),
	    0);
	CHECK_STR(buf_cstr(&r), "u@y");
	CHECK_INT(verp_decode(buf_cstr(&b), "v.example", key, sizeof(key),
	    &r, NULL), -1);
	buf_free(&r);
	buf_free(&b);
}

TEST(not_verp)
{
	static const char *const bad[] = {
		"", "@", "plain@v.example", "bounces@v.example",
		"a-b-abcdefgh@v.example",	/* no '=' */
		"a-b=c-abcdefg@v.example",	/* short tag */
		"a-b=c-abcdefghi@v.example",	/* long tag */
		"-b=c-abcdefgh@v.example",	/* no prefix */
		"a-=c-abcdefgh@v.example",	/* no recipient local part */
		"a-b=-abcdefgh@v.example",	/* no recipient domain */
		"a-b+2=c-abcdefgh@v.example",	/* cut xtext */
		"a-b+ZZ=c-abcdefgh@v.example",	/* not hex */
		"a-b+00=c-abcdefgh@v.example",	/* a NUL */
		"a-b=c-abcdefgh@",
		"a-b=c-abcdefgh@other.example",	/* another domain */
		"ab=c-abcdefgh@v.example",	/* no prefix separator */
	};
	struct buf r = BUF_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (verp_decode(bad[i], "v.example", key, sizeof(key), &r,
		    NULL) != -1 || errno != EINVAL)
			test_fail(__FILE__, __LINE__, "%s: got %s, want "
			    "EINVAL", bad[i], strerror(errno));
	}
	buf_free(&r);
}

TEST(encode_errors)
{
	struct buf b = BUF_INIT, big = BUF_INIT;

	errno = 0;
	CHECK_INT(verp_encode("", "u@y", "v", key, sizeof(key), &b), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(verp_encode("b@x", "", "v", key, sizeof(key), &b), -1);
	CHECK_INT(verp_encode("b@x", "u@", "v", key, sizeof(key), &b), -1);
	CHECK_INT(verp_encode("b@x", "@y", "v", key, sizeof(key), &b), -1);
	CHECK_INT(verp_encode("b@x", "u@y", "", key, sizeof(key), &b), -1);
	CHECK_INT(verp_encode("bx", "u@y", "v", key, sizeof(key), &b), -1);
	/* too long for a path: ENAMETOOLONG, out unchanged */
	if (buf_appends(&b, "keep") == -1)
		abort();
	for (int i = 0; i < 60; i++)
		if (buf_appends(&big, "\xc3\xa9") == -1)
			abort();
	if (buf_appends(&big, "@y.example") == -1)
		abort();
	errno = 0;
	CHECK_INT(verp_encode("b@x", big.p, "v.example", key, sizeof(key), &b),
	    -1);
	CHECK_INT(errno, ENAMETOOLONG);
	CHECK_STR(buf_cstr(&b), "keep");
	/* appends to what out holds */
	CHECK_INT(verp_encode("b@x", "u@y", "v", key, sizeof(key), &b), 0);
	CHECK(strncmp(buf_cstr(&b), "keepb-u=y-", 10) == 0);
	buf_free(&b);
	buf_free(&big);
}

TEST(key_file)
{
	char top[] = "/tmp/verp_test.XXXXXX", path[128], tmp[160];
	unsigned char k1[VERP_KEYLEN], k2[VERP_KEYLEN];
	struct stat st;
	int fd;

	if (mkdtemp(top) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/%s", top, VERP_KEYFILE);
	CHECK_INT(verp_key_load(path, k1), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, VERP_KEYLEN);
	CHECK_INT(st.st_mode & 0777 & ~0600, 0);
	CHECK_INT(verp_key_load(path, k2), 0);
	CHECK(memcmp(k1, k2, VERP_KEYLEN) == 0);
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	CHECK_INT(access(tmp, F_OK), -1);
	/* a short file is not a key */
	CHECK_INT(unlink(path), 0);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    write(fd, "short", 5) != 5)
		abort();
	(void)close(fd);
	errno = 0;
	CHECK_INT(verp_key_load(path, k2), -1);
	CHECK_INT(errno, EINVAL);
	/* the reader takes the same, and never makes one */
	CHECK_INT(verp_key_read(path, k2), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(unlink(path), 0);
	errno = 0;
	CHECK_INT(verp_key_read(path, k2), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(access(path, F_OK), -1);
	CHECK_INT(verp_key_load(path, k1), 0);
	memset(k2, 0, sizeof(k2));
	CHECK_INT(verp_key_read(path, k2), 0);
	CHECK(memcmp(k1, k2, VERP_KEYLEN) == 0);
	/* a longer file is not a key either */
	if ((fd = open(path, O_WRONLY | O_APPEND)) == -1 ||
	    write(fd, "x", 1) != 1)
		abort();
	(void)close(fd);
	errno = 0;
	CHECK_INT(verp_key_read(path, k2), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(verp_key_load(path, k2), -1);
	(void)unlink(path);
	/* a folder that is not there */
	(void)snprintf(path, sizeof(path), "%s/no/such/%s", top, VERP_KEYFILE);
	CHECK_INT(verp_key_load(path, k2), -1);
	(void)rmdir(top);
}

/*
 * A crash between making the key's own file and linking it leaves that
 * file behind; a later process with the same pid (a supervisor in a
 * container starts it with the same one) still makes its key.
 */
TEST(key_stale_tmp)
{
	char top[] = "/tmp/verp_test.XXXXXX", path[128], tmp[160];
	unsigned char k1[VERP_KEYLEN], k2[VERP_KEYLEN];
	int fd;

	if (mkdtemp(top) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/%s", top, VERP_KEYFILE);
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT, 0600)) == -1 ||
	    write(fd, "half", 4) != 4)
		abort();
	(void)close(fd);
	CHECK_INT(verp_key_load(path, k1), 0);
	CHECK_INT(access(tmp, F_OK), -1);
	CHECK_INT(verp_key_read(path, k2), 0);
	CHECK(memcmp(k1, k2, VERP_KEYLEN) == 0);
	(void)unlink(tmp);
	(void)unlink(path);
	(void)rmdir(top);
}

TEST(bounce_domain)
{
	char path[] = "/tmp/verp_test.XXXXXX";
	struct conf *c;
	FILE *fp;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp, "host-name mta.example.org\n"
	    "<virtual-mta v1>\n smtp-source-host 127.0.0.1 a.example\n"
	    " <domain gmail.com>\n  bounce-domain v1.bnc.example\n"
	    " </domain>\n</virtual-mta>\n"
	    "<domain *>\n bounce-domain bnc.example\n</domain>\n"
	    "<domain novrp.example>\n bounce-domain \"\"\n</domain>\n");
	(void)fclose(fp);
	c = conf_load(path);
	(void)unlink(path);
	if (c == NULL || conf_errors(c) > 0) {
		if (c != NULL)
			conf_print_diags(c, stderr);
		test_fail(__FILE__, __LINE__, "config");
		return;
	}
	CHECK_STR(verp_bounce_domain(c, "a@y.example", NULL), "bnc.example");
	CHECK_STR(verp_bounce_domain(c, "a@gmail.com", NULL), "bnc.example");
	CHECK_STR(verp_bounce_domain(c, "a@GMAIL.com", "v1"),
	    "v1.bnc.example");
	CHECK_STR(verp_bounce_domain(c, "a@novrp.example", NULL), NULL);
	CHECK_STR(verp_bounce_domain(c, "nodomain", NULL), NULL);
	conf_free(c);
}

/* verp_find over msg (NUL-terminated) with key; where into w. */
static int
find(const char *msg, const char *rcpt, struct buf *r, const char **w)
{
	return verp_find(msg, strlen(msg), rcpt, key, sizeof(key), r, w);
}

TEST(find_in_bounce)
{
	struct buf r = BUF_INIT, m = BUF_INIT, big = BUF_INIT;
	const char *w = NULL;
	char a[512], bad[512], *tag;

	(void)strlcpy(a, enc("b@x.example", "u+1@y.example", "bnc.example"),
	    sizeof(a));
	(void)strlcpy(bad, a, sizeof(bad));
	tag = strchr(bad, '@') - 1;
	*tag = *tag == 'a' ? 'b' : 'a';

	/* the envelope recipient, given */
	CHECK_INT(find("", a, &r, &w), 1);
	CHECK_STR(buf_cstr(&r), "u+1@y.example");
	CHECK_STR(w, "the envelope recipient");
	CHECK_INT(find("", "plain@bnc.example", &r, &w), 0);
	errno = 0;
	CHECK_INT(find("", bad, &r, &w), -1);
	CHECK_INT(errno, EBADMSG);

	/* Delivered-To, X-Original-To, To in that order */
	buf_reset(&m);
	(void)buf_appendf(&m, "From: x\r\nTo: Bounces <%s>\r\n"
	    "Delivered-To: other@bnc.example\r\n\r\nbody\r\n", a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 1);
	CHECK_STR(w, "To");
	CHECK_STR(buf_cstr(&r), "u+1@y.example");
	buf_reset(&m);
	(void)buf_appendf(&m, "To: s@x\nX-Original-To: %s\n"
	    "delivered-to: %s\n\n", bad, a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 1);
	CHECK_STR(w, "Delivered-To");
	/* the first that has the form decides: a bad tag is refused */
	buf_reset(&m);
	(void)buf_appendf(&m, "X-Original-To: <%s>\nTo: %s\n\n", bad, a);
	errno = 0;
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), -1);
	CHECK_INT(errno, EBADMSG);
	CHECK_STR(w, "X-Original-To");
	/* folded, with a display name */
	buf_reset(&m);
	(void)buf_appendf(&m, "Subject: x\nTo: \"Bounce, Handler\"\n"
	    "\t<%s>\n\n", a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 1);
	/* only the header counts */
	buf_reset(&m);
	(void)buf_appendf(&m, "Subject: x\n\nTo: %s\n", a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 0);
	buf_reset(&m);
	(void)buf_appendf(&m, "Subject: x\r\n\r\nTo: %s\r\n", a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 0);
	/* malformed: no header, empty fields, a name without colon */
	CHECK_INT(find("", NULL, &r, &w), 0);
	CHECK_INT(find("\n\n", NULL, &r, &w), 0);
	CHECK_INT(find("To:\nTo: <>\nDelivered-To:  \n\n", NULL, &r, &w),
	    0);
	CHECK_INT(find("To <x>\nTo\n", NULL, &r, &w), 0);
	CHECK_INT(find("To: <unclosed@bnc.example\n", NULL, &r, &w), 0);
	/*
	 * truncated: each prefix, without a NUL after it, finds nothing, or
	 * an address cut in its domain (EBADMSG), or the whole address
	 */
	buf_reset(&m);
	(void)buf_appendf(&m, "Received: x\r\nDelivered-To: %s\r\n"
	    "\r\nbody", a);
	for (size_t n = 0; n <= m.len; n++) {
		char *p = malloc(n + 1);

		if (p == NULL)
			abort();
		memcpy(p, m.p, n);
		errno = 0;
		if (verp_find(p, n, NULL, key, sizeof(key), &r, &w) == -1 &&
		    errno != EBADMSG)
			test_fail(__FILE__, __LINE__, "prefix %zu: %s", n,
			    strerror(errno));
		free(p);
	}
	CHECK_INT(verp_find(m.p, m.len, NULL, key, sizeof(key), &r, &w), 1);
	/* oversized: a value past what is looked at, a huge header */
	buf_reset(&m);
	(void)buf_appends(&m, "To: ");
	for (int i = 0; i < 2000; i++)
		(void)buf_appendc(&m, 'x');
	(void)buf_appendf(&m, " <%s>\n\n", a);
	CHECK_INT(find(buf_cstr(&m), NULL, &r, &w), 0);
	for (int i = 0; i < 30000; i++)
		(void)buf_appends(&big, "X-Pad: 0123456789\n");
	(void)buf_appendf(&big, "To: %s\n\n", a);
	CHECK_INT(find(buf_cstr(&big), NULL, &r, &w), 0);
	buf_free(&r);
	buf_free(&m);
	buf_free(&big);
}

static const struct test_case tests[] = {
	T(shape),
	T(round_trip),
	T(prefix),
	T(forged),
	T(not_verp),
	T(encode_errors),
	T(key_file),
	T(key_stale_tmp),
	T(bounce_domain),
	T(find_in_bounce),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
