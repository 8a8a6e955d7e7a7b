/*
 * confval - parse the value types of mta.conf(5).
 *
 * Every parser works on a span (pointer and length) of the value text
 * and never reads past it, so the list parsers hand their items to the
 * same code without copying them.  A result is built in a local and
 * stored only on success: a failed parse leaves the caller's object as
 * it was.  Numbers are scanned by hand with an overflow check at every
 * step, so no value ever wraps, and character classes are ASCII whatever
 * the locale.  Every failure sets errno and, when errlen > 0, writes a
 * NUL-terminated reason into err in which the offending text is quoted,
 * cut to QUOTE_MAX bytes and stripped of bytes that are not printable
 * ASCII, so hostile text cannot garble the config checker's output.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confval.h"

#define QUOTE_MAX	64	/* bytes of offending text shown in err */
#define ADDR_MAX	64	/* longest address text given to inet_pton */
#define PREFIX_DIGITS	3	/* "/128" */
#define LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define LABEL_MAX	63
#define DOMAIN_MAX	253

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

struct unit {
	const char	*name;
	uint64_t	 secs;
};

static const struct unit units[] = {
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 },
	{ "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 },
	{ "minutes", 60 },
	{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 },
	{ "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
	{ NULL, 0 }
};

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static inline bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
is_space(int c)
{
	return c == ' ' || c == '\t';
}

static inline int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Compare n bytes ignoring ASCII case. */
static bool
span_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Is the span s[0..n) the word, ignoring case? */
static bool
span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && span_ieq(s, word, n);
}

static int PRINTFLIKE(4, 5)
fail(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = errnum;
	return -1;
}

/*
 * Fail with a reason whose format has one %s, filled with s[0..n) made
 * fit to print.
 */
static int
failq(char *err, size_t errlen, int errnum, const char *fmt, const char *s,
    size_t n)
{
	char q[QUOTE_MAX + 4];
	size_t i, m = n > QUOTE_MAX ? QUOTE_MAX : n;

	for (i = 0; i < m; i++) {
		unsigned char c = s[i];

		q[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n > m) {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
	return fail(err, errlen, errnum, fmt, q);
}

/*
 * Scan the decimal digits at the front of s[0..n) into *v and their
 * count into *used (0: none).  Returns -1 if the number does not fit.
 */
static int
scan_u64(const char *s, size_t n, size_t *used, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && is_digit((unsigned char)s[i]); i++) {
		unsigned int d = s[i] - '0';

		if (x > (UINT64_MAX - d) / 10)
			rc = -1;
		else
			x = x * 10 + d;
	}
	*used = i;
	*v = x;
	return rc;
}

/* The length in seconds of a unit name, or 0 if it is not one. */
static uint64_t
unit_secs(const char *s, size_t n)
{
	for (const struct unit *u = units; u->name != NULL; u++)
		if (span_is(s, n, u->name))
			return u->secs;
	return 0;
}

/* The end of the item that starts at i: the next c before lim, or lim. */
static size_t
item_end(const char *s, size_t lim, size_t i, int c)
{
	while (i < lim && s[i] != c)
		i++;
	return i;
}

/* Shrink [*a, *b) past the blanks at either end. */
static void
trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && is_space((unsigned char)s[*a]))
		(*a)++;
	while (*b > *a && is_space((unsigned char)s[*b - 1]))
		(*b)--;
}

/* Copy s[0..n) as a C string into buf, or fail if it does not fit. */
static bool
copy_span(char *buf, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static int
parse_port(const char *s, size_t n, uint16_t *port, char *err,
    size_t errlen)
{
	uint64_t x;
	size_t used;
	int rc;

	rc = scan_u64(s, n, &used, &x);
	if (used == 0 || used != n)
		return failq(err, errlen, EINVAL, "not a port: \"%s\"", s, n);
	if (rc == -1 || x == 0 || x > 65535)
		return failq(err, errlen, ERANGE,
		    "port out of range: \"%s\"", s, n);
	*port = (uint16_t)x;
	return 0;
}

/*
 * Check a domain name and store it lowercase, without its trailing dot,
 * in out.
 */
static int
check_name(const char *s, size_t n, char out[CONFVAL_MAXNAME], char *err,
    size_t errlen)
{
	size_t n0 = n, label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return fail(err, errlen, EINVAL, "empty domain name");
	if (n > DOMAIN_MAX)
		return failq(err, errlen, EINVAL,
		    "domain name too long: \"%s\"", s, n0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (label == 0)
				return failq(err, errlen, EINVAL,
				    "empty label in domain \"%s\"", s, n0);
			label = 0;
		} else if (is_alpha(c) || is_digit(c) || c == '-' ||
		    c == '_') {
			if (++label > LABEL_MAX)
				return failq(err, errlen, EINVAL,
				    "label too long in domain \"%s\"", s, n0);
		} else
			return failq(err, errlen, EINVAL,
			    "invalid character in domain \"%s\"", s, n0);
		out[i] = (char)lower(c);
	}
	if (label == 0)
		return failq(err, errlen, EINVAL,
		    "empty label in domain \"%s\"", s, n0);
	out[n] = '\0';
	return 0;
}

/*
 * A dotted IPv4 address; with abbrev it may have fewer than four parts,
 * the missing ones being zero.  Like inet_pton(3) it refuses leading
 * zeros, which some parsers read as octal.
 */
static bool
parse_v4(const char *s, size_t n, bool abbrev, uint8_t a[4])
{
	size_t i = 0, part = 0;

	memset(a, 0, 4);
	for (;;) {
		unsigned int v = 0;
		size_t digits = 0;

		if (part == 4)
			return false;
		for (; i < n && is_digit((unsigned char)s[i]); i++) {
			if (digits > 0 && v == 0)
				return false;
			v = v * 10 + (s[i] - '0');
			if (v > 255)
				return false;
			digits++;
		}
		if (digits == 0)
			return false;
		a[part++] = (uint8_t)v;
		if (i == n)
			break;
		if (s[i] != '.')
			return false;
		i++;
	}
	return abbrev || part == 4;
}

/* Zero the host bits. */
static void
cidr_mask(struct confval_cidr *c)
{
	int len = c->af == AF_INET ? 4 : 16;

	for (int i = 0; i < len; i++) {
		int bits = c->prefix - i * 8;

		if (bits >= 8)
			continue;
		c->addr[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

static int
parse_cidr(const char *s, size_t n, struct confval_cidr *c, char *err,
    size_t errlen)
{
	struct confval_cidr t;
	const char *slash, *p;
	char buf[ADDR_MAX];
	size_t alen, plen, used;
	uint64_t x;
	int rc, max;

	memset(&t, 0, sizeof(t));
	if (n == 0)
		return fail(err, errlen, EINVAL, "empty value");
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (memchr(s, ':', alen) != NULL) {
		if (!copy_span(buf, sizeof(buf), s, alen) ||
		    inet_pton(AF_INET6, buf, t.addr) != 1)
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s, alen);
		t.af = AF_INET6;
		max = 128;
	} else {
		if (!parse_v4(s, alen, slash != NULL, t.addr))
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s, alen);
		t.af = AF_INET;
		max = 32;
	}
	if (slash == NULL)
		t.prefix = max;
	else {
		p = slash + 1;
		plen = n - alen - 1;
		rc = scan_u64(p, plen, &used, &x);
		if (used == 0 || used != plen)
			return failq(err, errlen, EINVAL,
			    "not a prefix length: \"%s\"", p, plen);
		if (rc == -1 || used > PREFIX_DIGITS || x > (uint64_t)max)
			return fail(err, errlen, ERANGE,
			    "prefix length out of range");
		t.prefix = (int)x;
	}
	cidr_mask(&t);
	*c = t;
	return 0;
}

/*
 * A bracketed address literal, "[192.0.2.7]" or "[IPv6:2001:db8::1]" (the
 * tag is optional), with a prefix if allowed.  s[0] is '['.
 */
static int
parse_literal(const char *s, size_t n, bool allow_prefix,
    struct confval_cidr *c, char *err, size_t errlen)
{
	const char *p, *close;
	size_t len;
	bool v6 = false;

	if ((close = memchr(s, ']', n)) == NULL)
		return failq(err, errlen, EINVAL,
		    "missing \"]\" in \"%s\"", s, n);
	if (close != s + n - 1)
		return failq(err, errlen, EINVAL,
		    "unexpected text after \"]\" in \"%s\"", s, n);
	p = s + 1;
	len = n - 2;
	if (len >= 5 && span_ieq(p, "IPv6:", 5)) {
		v6 = true;
		p += 5;
		len -= 5;
	}
	if (len == 0)
		return fail(err, errlen, EINVAL, "not an address: \"\"");
	if (!allow_prefix && memchr(p, '/', len) != NULL)
		return failq(err, errlen, EINVAL,
		    "not an address: \"%s\"", p, len);
	if (parse_cidr(p, len, c, err, errlen) == -1)
		return -1;
	if (v6 && c->af != AF_INET6)
		return failq(err, errlen, EINVAL,
		    "not an IPv6 address: \"%s\"", p, len);
	return 0;
}

/* Does the address literal "[...]" fall inside c? */
static bool
literal_match(const struct confval_cidr *c, const char *s, size_t n)
{
	uint8_t a[16];
	char buf[ADDR_MAX];
	const char *p;
	size_t len;
	int af = AF_INET;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return false;
	p = s + 1;
	len = n - 2;
	if (len >= 5 && span_ieq(p, "IPv6:", 5)) {
		af = AF_INET6;
		p += 5;
		len -= 5;
	}
	if (!copy_span(buf, sizeof(buf), p, len) ||
	    inet_pton(af, buf, a) != 1)
		return false;
	return confval_cidr_match(c, af, a);
}

static int
parse_interval(const char *s, size_t n, bool allow_never, int64_t *v,
    char *err, size_t errlen)
{
	/* CONFVAL_NEVER itself is reserved for "never". */
	const uint64_t limit = (uint64_t)CONFVAL_NEVER - 1;
	uint64_t total = 0, x, mult;
	size_t i = 0, j, used;

	if (n == 0)
		return fail(err, errlen, EINVAL, "empty value");
	if (span_is(s, n, "never")) {
		if (!allow_never)
			return fail(err, errlen, EINVAL,
			    "\"never\" is not allowed here");
		*v = CONFVAL_NEVER;
		return 0;
	}
	if (s[0] == '-')
		return failq(err, errlen, EINVAL,
		    "negative value not allowed: \"%s\"", s, n);
	while (i < n) {
		if (scan_u64(s + i, n - i, &used, &x) == -1)
			return failq(err, errlen, ERANGE,
			    "value out of range: \"%s\"", s, n);
		if (used == 0)
			return failq(err, errlen, EINVAL,
			    "not an interval: \"%s\"", s, n);
		i += used;
		for (j = i; j < n && is_alpha((unsigned char)s[j]); j++)
			continue;
		if (j > i) {
			if ((mult = unit_secs(s + i, j - i)) == 0)
				return failq(err, errlen, EINVAL,
				    "unknown interval unit \"%s\"", s + i,
				    j - i);
		} else if (i == n && used == n)
			mult = 1;	/* a bare number of seconds */
		else if (i == n)
			return failq(err, errlen, EINVAL,
			    "missing unit in interval \"%s\"", s, n);
		else
			return failq(err, errlen, EINVAL,
			    "not an interval: \"%s\"", s, n);
		i = j;
		if (x > (limit - total) / mult)
			return failq(err, errlen, ERANGE,
			    "value out of range: \"%s\"", s, n);
		total += x * mult;
	}
	*v = (int64_t)total;
	return 0;
}

/*
 * Parse one host of a host list: "name", "name:port", "[addr]" or
 * "[addr]:port".
 */
static int
parse_host(const char *s, size_t n, struct confval_host *h, char *err,
    size_t errlen)
{
	uint8_t a[16];
	const char *close, *colon;
	size_t alen, rlen;

	if (s[0] == '[') {
		if ((close = memchr(s, ']', n)) == NULL)
			return failq(err, errlen, EINVAL,
			    "missing \"]\" in \"%s\"", s, n);
		alen = close - s - 1;
		if (!copy_span(h->name, ADDR_MAX, s + 1, alen) ||
		    (inet_pton(AF_INET, h->name, a) != 1 &&
		    inet_pton(AF_INET6, h->name, a) != 1))
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s + 1, alen);
		h->literal = true;
		rlen = n - alen - 2;
		if (rlen == 0)
			return 0;
		if (close[1] != ':')
			return failq(err, errlen, EINVAL,
			    "unexpected text after \"]\" in \"%s\"", s, n);
		return parse_port(close + 2, rlen - 1, &h->port, err, errlen);
	}
	colon = memchr(s, ':', n);
	alen = colon != NULL ? (size_t)(colon - s) : n;
	if (colon != NULL && memchr(colon + 1, ':', n - alen - 1) != NULL)
		return failq(err, errlen, EINVAL,
		    "IPv6 address must be in brackets: \"%s\"", s, n);
	if (check_name(s, alen, h->name, err, errlen) == -1)
		return -1;
	if (colon != NULL)
		return parse_port(colon + 1, n - alen - 1, &h->port, err,
		    errlen);
	return 0;
}

/* Is the local part a dot-atom (RFC 5322 3.2.3)? */
static bool
dot_atom(const char *s, size_t n)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return false;
		} else if (!is_alpha(c) && !is_digit(c) &&
		    (c == '\0' || strchr(atext, c) == NULL))
			return false;
	}
	return true;
}

/* confval_bool - parse yes/no, true/false, on/off or 1/0 */
int
confval_bool(const char *s, bool *v, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	size_t n;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	n = strlen(s);
	for (size_t i = 0; yes[i] != NULL; i++) {
		if (span_is(s, n, yes[i])) {
			*v = true;
			return 0;
		}
		if (span_is(s, n, no[i])) {
			*v = false;
			return 0;
		}
	}
	return failq(err, errlen, EINVAL, "not a boolean: \"%s\"", s, n);
}

/* confval_int - parse a decimal integer in [min, max] */
int
confval_int(const char *s, int64_t min, int64_t max, int64_t *v, char *err,
    size_t errlen)
{
	uint64_t mag;
	int64_t x;
	size_t n, i = 0, used;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	n = strlen(s);
	if (s[0] == '-') {
		if (min >= 0)
			return failq(err, errlen, EINVAL,
			    "negative value not allowed: \"%s\"", s, n);
		i = 1;
	}
	rc = scan_u64(s + i, n - i, &used, &mag);
	if (used == 0 || i + used != n)
		return failq(err, errlen, EINVAL, "not a number: \"%s\"", s, n);
	if (rc == -1)
		goto range;
	if (i == 1) {
		if (mag > (uint64_t)INT64_MAX + 1)
			goto range;
		/* -(INT64_MAX + 1) cannot be negated in int64_t. */
		x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			goto range;
		x = (int64_t)mag;
	}
	if (x < min || x > max)
		goto range;
	*v = x;
	return 0;

range:
	return failq(err, errlen, ERANGE, "value out of range: \"%s\"", s, n);
}

/* confval_size - parse a size in bytes with an optional k/M/G/T suffix */
int
confval_size(const char *s, uint64_t *v, char *err, size_t errlen)
{
	uint64_t x, mult = 1;
	size_t n, i, used;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	n = strlen(s);
	if (s[0] == '-')
		return failq(err, errlen, EINVAL,
		    "negative value not allowed: \"%s\"", s, n);
	rc = scan_u64(s, n, &used, &x);
	if (used == 0)
		return failq(err, errlen, EINVAL, "not a size: \"%s\"", s, n);
	i = used;
	if (i < n) {
		switch (lower((unsigned char)s[i])) {
		case 'k':
			mult = (uint64_t)1 << 10;
			break;
		case 'm':
			mult = (uint64_t)1 << 20;
			break;
		case 'g':
			mult = (uint64_t)1 << 30;
			break;
		case 't':
			mult = (uint64_t)1 << 40;
			break;
		}
		if (mult > 1)
			i++;
		if (i < n && lower((unsigned char)s[i]) == 'b')
			i++;
	}
	if (i != n) {
		if (!is_alpha((unsigned char)s[used]))
			return failq(err, errlen, EINVAL,
			    "not a size: \"%s\"", s, n);
		return failq(err, errlen, EINVAL,
		    "unknown size unit \"%s\"", s + used, n - used);
	}
	if (rc == -1 || x > UINT64_MAX / mult)
		return failq(err, errlen, ERANGE,
		    "value out of range: \"%s\"", s, n);
	*v = x * mult;
	return 0;
}

/* confval_interval - parse a time interval into seconds */
int
confval_interval(const char *s, bool allow_never, int64_t *v, char *err,
    size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL)
		return fail(err, errlen, EINVAL, "empty value");
	return parse_interval(s, strlen(s), allow_never, v, err, errlen);
}

/* confval_intervals - parse a comma-separated list of intervals */
int
confval_intervals(const char *s, struct confval_intervals *l, char *err,
    size_t errlen)
{
	struct confval_intervals t;
	size_t n, i = 0, end, a, b;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	memset(&t, 0, sizeof(t));
	n = strlen(s);
	for (;;) {
		end = item_end(s, n, i, ',');
		a = i;
		b = end;
		trim(s, &a, &b);
		if (a == b)
			return fail(err, errlen, EINVAL, "empty list entry");
		if (t.n == CONFVAL_MAXLIST)
			return fail(err, errlen, EINVAL,
			    "too many list entries (at most %d)",
			    CONFVAL_MAXLIST);
		if (parse_interval(s + a, b - a, false, &t.v[t.n], err,
		    errlen) == -1)
			return -1;
		t.n++;
		if (end == n)
			break;
		i = end + 1;
	}
	*l = t;
	return 0;
}

/* confval_rate - parse "unlimited", "0" or "N/unit" or "N/Munit" */
int
confval_rate(const char *s, struct confval_rate *r, char *err,
    size_t errlen)
{
	struct confval_rate t = { false, 0, 0 };
	uint64_t count, m, unit;
	size_t n, i, used;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	n = strlen(s);
	if (span_is(s, n, "unlimited")) {
		t.unlimited = true;
		*r = t;
		return 0;
	}
	if (s[0] == '-')
		return failq(err, errlen, EINVAL,
		    "negative value not allowed: \"%s\"", s, n);
	if (scan_u64(s, n, &used, &count) == -1)
		goto range;
	if (used == 0)
		return failq(err, errlen, EINVAL, "not a rate: \"%s\"", s, n);
	i = used;
	if (i == n) {
		if (count != 0)
			return failq(err, errlen, EINVAL,
			    "missing \"/unit\" in rate \"%s\"", s, n);
		t.per = 1;
		*r = t;
		return 0;
	}
	if (s[i] != '/')
		return failq(err, errlen, EINVAL, "not a rate: \"%s\"", s, n);
	i++;
	if (scan_u64(s + i, n - i, &used, &m) == -1)
		goto range;
	if (used == 0)
		m = 1;
	else if (m == 0)
		return failq(err, errlen, EINVAL,
		    "zero period in rate \"%s\"", s, n);
	i += used;
	if (i == n)
		return failq(err, errlen, EINVAL,
		    "missing unit in rate \"%s\"", s, n);
	if ((unit = unit_secs(s + i, n - i)) == 0)
		return failq(err, errlen, EINVAL,
		    "unknown rate unit \"%s\"", s + i, n - i);
	/* Keep per within int64_t so it converts to time_t. */
	if (m > (uint64_t)INT64_MAX / unit)
		goto range;
	t.count = count;
	t.per = m * unit;
	*r = t;
	return 0;

range:
	return failq(err, errlen, ERANGE, "value out of range: \"%s\"", s, n);
}

/* confval_cidr - parse an address block */
int
confval_cidr(const char *s, struct confval_cidr *c, char *err,
    size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL)
		return fail(err, errlen, EINVAL, "empty value");
	return parse_cidr(s, strlen(s), c, err, errlen);
}

/* confval_cidr_match - does the address fall inside the block? */
bool
confval_cidr_match(const struct confval_cidr *c, int af, const void *addr)
{
	const uint8_t *a = addr;
	int full, rest, max;
	uint8_t m;

	if (c == NULL || a == NULL)
		return false;
	/* An IPv6 socket shows IPv4 peers as ::ffff:a.b.c.d. */
	if (c->af == AF_INET && af == AF_INET6 &&
	    memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
		a += sizeof(v4mapped);
		af = AF_INET;
	}
	if (af != c->af)
		return false;
	if (af == AF_INET)
		max = 32;
	else if (af == AF_INET6)
		max = 128;
	else
		return false;
	if (c->prefix < 0 || c->prefix > max)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	m = (uint8_t)(0xff << (8 - rest));
	return ((c->addr[full] ^ a[full]) & m) == 0;
}

/* confval_domain - parse a domain pattern */
int
confval_domain(const char *s, struct confval_domain *d, char *err,
    size_t errlen)
{
	struct confval_domain t;
	size_t n;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	memset(&t, 0, sizeof(t));
	n = strlen(s);
	if (n == 1 && s[0] == '*') {
		t.kind = CONFVAL_DOM_ANY;
		rc = 0;
	} else if (n >= 4 && memcmp(s, "[*.]", 4) == 0) {
		t.kind = CONFVAL_DOM_SELFSUB;
		rc = check_name(s + 4, n - 4, t.name, err, errlen);
	} else if (s[0] == '[') {
		t.kind = CONFVAL_DOM_LITERAL;
		if ((rc = parse_literal(s, n, true, &t.cidr, err,
		    errlen)) == 0) {
			if (strlcpy(t.name, s, sizeof(t.name)) >=
			    sizeof(t.name))
				return fail(err, errlen, EINVAL,
				    "domain name too long");
			for (size_t i = 0; i < n; i++)
				t.name[i] = (char)lower((unsigned char)s[i]);
		}
	} else if (n >= 2 && s[0] == '*' && s[1] == '.') {
		t.kind = CONFVAL_DOM_SUB;
		rc = check_name(s + 2, n - 2, t.name, err, errlen);
	} else {
		t.kind = CONFVAL_DOM_EXACT;
		rc = check_name(s, n, t.name, err, errlen);
	}
	if (rc == -1)
		return -1;
	*d = t;
	return 0;
}

/* confval_domain_match - does the domain match the pattern? */
bool
confval_domain_match(const struct confval_domain *d, const char *dom)
{
	size_t n, nl;
	bool sub;

	if (d == NULL || dom == NULL)
		return false;
	n = strlen(dom);
	switch (d->kind) {
	case CONFVAL_DOM_ANY:
		return true;
	case CONFVAL_DOM_LITERAL:
		return literal_match(&d->cidr, dom, n);
	case CONFVAL_DOM_EXACT:
	case CONFVAL_DOM_SUB:
	case CONFVAL_DOM_SELFSUB:
		break;
	default:
		return false;
	}
	if (n > 0 && dom[n - 1] == '.')
		n--;
	nl = strnlen(d->name, sizeof(d->name));
	/* A subdomain has a non-empty label in front of ".name". */
	sub = n > nl + 1 && dom[n - nl - 1] == '.' &&
	    span_ieq(dom + n - nl, d->name, nl);
	if (d->kind == CONFVAL_DOM_SUB)
		return sub;
	if (n == nl && span_ieq(dom, d->name, n))
		return true;
	return d->kind == CONFVAL_DOM_SELFSUB && sub;
}

/* confval_hosts - parse a host list with ";" between preference levels */
int
confval_hosts(const char *s, struct confval_hosts *hl, char *err,
    size_t errlen)
{
	struct confval_hosts t;
	size_t n, i = 0, j, end, hend, a, b;
	int level = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	memset(&t, 0, sizeof(t));
	n = strlen(s);
	for (;; level++) {
		end = item_end(s, n, i, ';');
		for (j = i;;) {
			hend = item_end(s, end, j, ',');
			a = j;
			b = hend;
			trim(s, &a, &b);
			if (a == b)
				return fail(err, errlen, EINVAL,
				    "empty entry in host list");
			if (t.n == CONFVAL_MAXLIST)
				return fail(err, errlen, EINVAL,
				    "too many hosts (at most %d)",
				    CONFVAL_MAXLIST);
			if (parse_host(s + a, b - a, &t.h[t.n], err,
			    errlen) == -1)
				return -1;
			t.h[t.n++].level = level;
			if (hend == end)
				break;
			j = hend + 1;
		}
		if (end == n)
			break;
		i = end + 1;
	}
	*hl = t;
	return 0;
}

/* confval_listener - parse a listening address and port */
int
confval_listener(const char *s, struct confval_listener *l, char *err,
    size_t errlen)
{
	struct confval_listener t;
	struct confval_cidr c;
	char buf[ADDR_MAX];
	const char *close, *colon;
	size_t n, alen;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	memset(&t, 0, sizeof(t));
	n = strlen(s);
	if (s[0] == '[') {
		if ((close = memchr(s, ']', n)) == NULL)
			return failq(err, errlen, EINVAL,
			    "missing \"]\" in \"%s\"", s, n);
		alen = close - s - 1;
		if (!copy_span(buf, sizeof(buf), s + 1, alen))
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s + 1, alen);
		if (inet_pton(AF_INET6, buf, t.addr) == 1)
			t.af = AF_INET6;
		else if (inet_pton(AF_INET, buf, t.addr) == 1)
			t.af = AF_INET;
		else
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s + 1, alen);
		colon = close + 1;
		if (*colon != ':')
			return failq(err, errlen, EINVAL,
			    "missing port in \"%s\"", s, n);
	} else {
		/* The port follows the last ":", as in "::/0:25". */
		for (colon = s + n; colon > s && colon[-1] != ':'; colon--)
			continue;
		if (colon == s)
			return failq(err, errlen, EINVAL,
			    "missing port in \"%s\"", s, n);
		colon--;
		alen = colon - s;
		if (alen == 1 && s[0] == '*')
			t.af = AF_UNSPEC;
		else if (memchr(s, '/', alen) != NULL) {
			if (parse_cidr(s, alen, &c, err, errlen) == -1)
				return -1;
			if (c.prefix != 0)
				return failq(err, errlen, EINVAL,
				    "not a listening address: \"%s\"", s,
				    alen);
			t.af = c.af;
		} else if (memchr(s, ':', alen) != NULL)
			return failq(err, errlen, EINVAL,
			    "IPv6 address must be in brackets: \"%s\"", s, n);
		else if (copy_span(buf, sizeof(buf), s, alen) &&
		    inet_pton(AF_INET, buf, t.addr) == 1)
			t.af = AF_INET;
		else
			return failq(err, errlen, EINVAL,
			    "not an address: \"%s\"", s, alen);
	}
	if (parse_port(colon + 1, n - (colon + 1 - s), &t.port, err,
	    errlen) == -1)
		return -1;
	*l = t;
	return 0;
}

/* confval_email - check an e-mail address local@domain */
int
confval_email(const char *s, char *err, size_t errlen)
{
	struct confval_cidr c;
	char name[CONFVAL_MAXNAME];
	const char *at, *d;
	size_t n, i, llen;

	if (errlen > 0)
		err[0] = '\0';
	if (s == NULL || *s == '\0')
		return fail(err, errlen, EINVAL, "empty value");
	n = strlen(s);
	if (s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i == n)
				break;
			if ((unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] >= 0x7f)
				return failq(err, errlen, EINVAL,
				    "invalid local part in \"%s\"", s, n);
		}
		if (i >= n)
			return failq(err, errlen, EINVAL,
			    "unterminated quoted local part in \"%s\"", s, n);
		llen = i + 1;
		if (llen == 2)
			return failq(err, errlen, EINVAL,
			    "empty local part in \"%s\"", s, n);
		if (llen == n || s[llen] != '@')
			return failq(err, errlen, EINVAL,
			    "missing \"@\" in \"%s\"", s, n);
	} else {
		if ((at = memchr(s, '@', n)) == NULL)
			return failq(err, errlen, EINVAL,
			    "missing \"@\" in \"%s\"", s, n);
		llen = at - s;
		if (llen == 0)
			return failq(err, errlen, EINVAL,
			    "empty local part in \"%s\"", s, n);
		if (!dot_atom(s, llen))
			return failq(err, errlen, EINVAL,
			    "invalid local part in \"%s\"", s, n);
	}
	if (llen > LOCAL_MAX)
		return failq(err, errlen, EINVAL,
		    "local part too long in \"%s\"", s, n);
	d = s + llen + 1;
	if (*d == '[')
		return parse_literal(d, n - llen - 1, false, &c, err, errlen);
	return check_name(d, n - llen - 1, name, err, errlen);
}
