/*
 * dkim_test - canonicalization tables, header selection, the RFC 8463
 * example reproduced bit for bit (Ed25519 and RSA: both deterministic),
 * key formats and refusals.
 *
 * The RFC 8463 keys and message are dkimpy's test data (zlib-style
 * licence, /work/shared/corpus/dkim/LICENSE); the expected values are
 * those of the corpus README, which dkimpy 1.1.4 produced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "dkim.h"
#include "harness.h"

static const char rsa1024[] =
"-----BEGIN RSA PRIVATE KEY-----\n"
"MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi\n"
"Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM\n"
"KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
"AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm\n"
"6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe\n"
"zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy\n"
"6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc\n"
"uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy\n"
"WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd\n"
"WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a\n"
"licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst\n"
"o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe\n"
"uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL\n"
"-----END RSA PRIVATE KEY-----\n";

static const char rsa1024_pub[] =
"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5q"
"hdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lx"
"j+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QID"
"AQAB";

static const char ed_seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n";
static const char ed_pub[] = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static const char rfc_head[] =
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";
static const char rfc_body[] =
"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
static const char rfc_h[] =
"from : to : subject : date : message-id : from : subject : date";

/* The value of tag name in DKIM-Signature fields s, the n-th one. */
static char *
tag(const char *s, const char *name, int nth)
{
	static char v[2048];
	char flat[8192], want[32];
	const char *p;
	size_t n = 0;

	/* unfold and drop white space: it never matters in these tags */
	for (; *s != '\0' && n < sizeof(flat) - 1; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			flat[n++] = *s;
	flat[n] = '\0';
	(void)snprintf(want, sizeof(want), ";%s=", name);
	p = flat;
	if (strcmp(name, "v") == 0)
		(void)snprintf(want, sizeof(want), "DKIM-Signature:v=");
	for (; nth >= 0; nth--) {
		if ((p = strstr(p, want)) == NULL)
			return NULL;
		p += strlen(want);
	}
	for (n = 0; p[n] != ';' && p[n] != '\0' && p[n] != 'D' &&
	    n < sizeof(v) - 1; n++)
		v[n] = p[n];
	/* b= is last: it runs to the next field's name */
	if (p[n] == 'D' && strncmp(p + n, "DKIM-", 5) != 0)
		for (; p[n] != ';' && p[n] != '\0' && strncmp(p + n,
		    "DKIM-", 5) != 0 && n < sizeof(v) - 1; n++)
			v[n] = p[n];
	v[n] = '\0';
	return v;
}

static struct dkim_key *
key(const char *text)
{
	char err[256];
	struct dkim_key *k = dkim_key_parse(text, strlen(text), err,
	    sizeof(err));

	if (k == NULL)
		test_fail(__FILE__, __LINE__, "key: %s", err);
	return k;
}

static char *
sign(struct dkim_sign *s, size_t n, const char *head, const char *body,
    time_t now)
{
	struct buf out = BUF_INIT;
	char err[256];

	if (dkim_sign(s, n, head, strlen(head), body, strlen(body), now, &out,
	    err, sizeof(err)) == -1) {
		test_fail(__FILE__, __LINE__, "dkim_sign: %s", err);
		buf_free(&out);
		return NULL;
	}
	buf_cstr(&out);
	return out.p;
}

TEST(rfc8463_relaxed)
{
	struct dkim_sign s[2];
	char *out;

	memset(s, 0, sizeof(s));
	s[0].key = key(ed_seed);
	s[1].key = key(rsa1024);
	if (s[0].key == NULL || s[1].key == NULL)
		return;
	s[0].domain = s[1].domain = "football.example.com";
	s[0].identity = s[1].identity = "@football.example.com";
	s[0].selector = "brisbane";
	s[1].selector = "test";
	s[0].hcanon = s[1].hcanon = s[0].bcanon = s[1].bcanon = DKIM_RELAXED;
	s[0].headers = s[1].headers = "from:to:subject:date:message-id:"
	    "from:subject:date";
	if ((out = sign(s, 2, rfc_head, rfc_body, 1528637909)) == NULL)
		return;
	CHECK_STR(tag(out, "a", 0), "ed25519-sha256");
	CHECK_STR(tag(out, "h", 0), "from:to:subject:date:message-id:from:"
	    "subject:date");
	CHECK(strstr(out, "h=from : to :") != NULL);
	CHECK_STR(tag(out, "bh", 0),
	    "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	CHECK_STR(tag(out, "b", 0), "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9Od"
	    "qQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
	CHECK_STR(tag(out, "a", 1), "rsa-sha256");
	CHECK_STR(tag(out, "bh", 1),
	    "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	CHECK_STR(tag(out, "b", 1), "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL"
	    "8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGda"
	    "SGsgeefOsk2JzdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZ"
	    "Q4FADY+8=");
	CHECK_STR(tag(out, "t", 0), "1528637909");
	CHECK(tag(out, "x", 0) == NULL);
	CHECK(tag(out, "l", 0) == NULL);
	/* folded under 78 columns, each field ends in CRLF */
	for (const char *p = out, *e; *p != '\0'; p = e + 2) {
		CHECK((e = strstr(p, "\r\n")) != NULL);
		if (e == NULL)
			break;
		CHECK(e - p <= 78);
	}
	free(out);
	dkim_key_free(s[0].key);
	dkim_key_free(s[1].key);
}

TEST(rfc8463_simple_bh)
{
	struct dkim_sign s;
	char *out;

	memset(&s, 0, sizeof(s));
	if ((s.key = key(ed_seed)) == NULL)
		return;
	s.domain = "football.example.com";
	s.selector = "brisbane";
	s.headers = rfc_h;
	s.expire = 3600;
	if ((out = sign(&s, 1, rfc_head, rfc_body, 1518460054)) == NULL)
		return;
	CHECK_STR(tag(out, "c", 0), "simple/simple");
	CHECK_STR(tag(out, "bh", 0),
	    "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
	CHECK_STR(tag(out, "x", 0), "1518463654");
	CHECK(tag(out, "i", 0) == NULL);
	free(out);
	dkim_key_free(s.key);
}

TEST(public_keys)
{
	struct dkim_key *k;
	struct buf b = BUF_INIT;

	if ((k = key(ed_seed)) != NULL) {
		CHECK_INT(dkim_key_alg(k), DKIM_ED25519_SHA256);
		CHECK_INT(dkim_key_public(k, &b), 0);
		CHECK_STR(buf_cstr(&b), ed_pub);
		dkim_key_free(k);
	}
	buf_reset(&b);
	if ((k = key(rsa1024)) != NULL) {
		CHECK_INT(dkim_key_alg(k), DKIM_RSA_SHA256);
		CHECK_INT(dkim_key_public(k, &b), 0);
		CHECK_STR(buf_cstr(&b), rsa1024_pub);
		dkim_key_free(k);
	}
	buf_free(&b);
}

TEST(bad_keys)
{
	static const char *const bad[] = {
		"", "hello", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
		"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A==",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIC\n"
		"-----END RSA PRIVATE KEY-----\n",
	};
	struct buf pem = BUF_INIT;
	EVP_PKEY *small;
	BIO *bio;
	char err[256], *p;
	long n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(dkim_key_parse(bad[i], strlen(bad[i]), err,
		    sizeof(err)) == NULL);
		CHECK(err[0] != '\0');
	}
	/* RSA under 1024 bits: refused (RFC 8301) */
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
	bio = BIO_new(BIO_s_mem());
	CHECK(small != NULL && bio != NULL);
	if (small == NULL || bio == NULL)
		return;
	CHECK(PEM_write_bio_PrivateKey(bio, small, NULL, NULL, 0, NULL,
	    NULL) == 1);
	n = BIO_get_mem_data(bio, &p);
	CHECK(dkim_key_parse(p, (size_t)n, err, sizeof(err)) == NULL);
	CHECK_STR(err, "RSA key of 768 bits: DKIM wants 1024 to 8192");
	BIO_free(bio);
	EVP_PKEY_free(small);
	buf_free(&pem);
	/* a missing file says which */
	CHECK(dkim_key_load("/nonexistent/k.pem", err, sizeof(err)) == NULL);
	CHECK_STR(err, "/nonexistent/k.pem: No such file or directory");
}

static const struct {
	enum dkim_canon c;
	const char *in, *want;
} body_cases[] = {
	{ DKIM_SIMPLE, "", "\r\n" },
	{ DKIM_SIMPLE, "\r\n", "\r\n" },
	{ DKIM_SIMPLE, "\r\n\r\n\r\n", "\r\n" },
	{ DKIM_SIMPLE, "a\r\n\r\n", "a\r\n" },
	{ DKIM_SIMPLE, "a", "a\r\n" },
	{ DKIM_SIMPLE, "a \t\r\n \r\n", "a \t\r\n \r\n" },
	{ DKIM_SIMPLE, "..dot\r\n", "..dot\r\n" },
	{ DKIM_RELAXED, "", "" },
	{ DKIM_RELAXED, "\r\n", "" },
	{ DKIM_RELAXED, " \t\r\n\r\n", "" },
	{ DKIM_RELAXED, "a", "a\r\n" },
	{ DKIM_RELAXED, "a  b\t\tc \t d \r\n", "a b c d\r\n" },
	{ DKIM_RELAXED, " a\r\n\r\n \r\nb\r\n \r\n\r\n", " a\r\n\r\n\r\nb\r\n" },
	{ DKIM_RELAXED, "x\ty\r\nz", "x y\r\nz\r\n" },
	{ DKIM_RELAXED, "a\tb", "a b\r\n" },
	{ DKIM_RELAXED, "\xc3\xa9t\xc3\xa9  \r\n", "\xc3\xa9t\xc3\xa9\r\n" },
	{ DKIM_RELAXED, "bare\nlf \r\n", "bare\nlf\r\n" },
};

TEST(body_canon)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]);
	    i++) {
		buf_reset(&b);
		CHECK_INT(dkim_canon_body(body_cases[i].c, body_cases[i].in,
		    strlen(body_cases[i].in), &b), 0);
		CHECK_STR(buf_cstr(&b), body_cases[i].want);
	}
	buf_free(&b);
}

static const struct {
	enum dkim_canon c;
	const char *in, *want;
} head_cases[] = {
	{ DKIM_RELAXED, "Subject: hi\r\n", "subject:hi\r\n" },
	{ DKIM_RELAXED, "SubJect \t:  a \t b  \r\n\t c \r\n",
	    "subject:a b c\r\n" },
	{ DKIM_RELAXED, "X:\r\n", "x:\r\n" },
	{ DKIM_RELAXED, "X: \r\n \r\n", "x:\r\n" },
	{ DKIM_RELAXED, "Subject: =?UTF-8?B?w6k=?= \xc3\xa9\r\n",
	    "subject:=?UTF-8?B?w6k=?= \xc3\xa9\r\n" },
	{ DKIM_SIMPLE, "SubJect : a \r\n b\r\n", "SubJect : a \r\n b\r\n" },
	{ DKIM_SIMPLE, "X: no end", "X: no end\r\n" },
};

TEST(header_canon)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(head_cases) / sizeof(head_cases[0]);
	    i++) {
		buf_reset(&b);
		CHECK_INT(dkim_canon_header(head_cases[i].c, head_cases[i].in,
		    strlen(head_cases[i].in), &b), 0);
		CHECK_STR(buf_cstr(&b), head_cases[i].want);
	}
	buf_free(&b);
}

TEST(default_headers)
{
	static const char head[] =
	    "Received: from x\r\n"
	    "From: a@example.test\r\n"
	    "To: b@example.test\r\n"
	    "to: c@example.test\r\n"
	    "Subject: s\r\n"
	    "X-Other: o\r\n"
	    "List-Unsubscribe: <mailto:u@example.test>\r\n"
	    "MIME-Version: 1.0\r\n";
	struct dkim_sign s;
	char *out;

	memset(&s, 0, sizeof(s));
	if ((s.key = key(ed_seed)) == NULL)
		return;
	s.domain = "example.test";
	s.selector = "sel";
	s.hcanon = DKIM_RELAXED;
	if ((out = sign(&s, 1, head, "body\r\n", 1700000000)) == NULL)
		return;
	CHECK_STR(tag(out, "h", 0), "from:from:to:to:subject:mime-version:"
	    "list-unsubscribe");
	CHECK_STR(tag(out, "c", 0), "relaxed/simple");
	CHECK_STR(tag(out, "d", 0), "example.test");
	CHECK_STR(tag(out, "q", 0), "dns/txt");
	free(out);
	dkim_key_free(s.key);
}

TEST(refusals)
{
	struct dkim_sign s;
	struct buf out = BUF_INIT;
	char err[256];

	memset(&s, 0, sizeof(s));
	if ((s.key = key(ed_seed)) == NULL)
		return;
	s.domain = "example.test";
	s.selector = "sel";
	s.headers = "from:bad;name";
	CHECK_INT(dkim_sign(&s, 1, "From: a\r\n", 9, "", 0, 1, &out, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "dkim: bad header list \"from:bad;name\" (at most 64 "
	    "names of printable ASCII)");
	CHECK_UINT(out.len, 0);
	s.headers = NULL;
	s.domain = "exa mple";
	CHECK_INT(dkim_sign(&s, 1, "From: a\r\n", 9, "", 0, 1, &out, err,
	    sizeof(err)), -1);
	s.domain = "example.test";
	s.identity = "user;x=y@example.test";
	CHECK_INT(dkim_sign(&s, 1, "From: a\r\n", 9, "", 0, 1, &out, err,
	    sizeof(err)), 0);
	CHECK_STR(tag(buf_cstr(&out), "i", 0), "user=3Bx=3Dy@example.test");
	buf_free(&out);
	dkim_key_free(s.key);
}

static const struct test_case tests[] = {
	T(rfc8463_relaxed),
	T(rfc8463_simple_bh),
	T(public_keys),
	T(bad_keys),
	T(body_canon),
	T(header_canon),
	T(default_headers),
	T(refusals),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
