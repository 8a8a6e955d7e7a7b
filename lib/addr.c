/*
 * addr - RFC 5321 mailbox syntax (section 4.1.2), with the RFC 6531
 * UTF-8 extension behind a flag.
 *
 * Mailbox = Local-part "@" ( Domain / address-literal ); the local part is
 * a dot-atom or a quoted string, the domain a hostname of LDH labels or a
 * bracketed IPv4 or IPv6 literal checked with inet_pton(3).  A source
 * route inside the brackets (<@a,@b:user@c>) is accepted and dropped, as
 * RFC 5321 section 4.1.2 and appendix C ask.  Input is a byte string
 * with a length: a NUL byte anywhere is an error, never an end.  The
 * length limits are those of section 4.5.3.1, counted in octets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

#define SHOWMAX	64	/* bytes of a bad address quoted in an error */

/* the characters of RFC 5322 atext besides letters and digits */
static const char atext_special[] = "!#$%&'*+-/=?^_`{|}~";

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr(atext_special, c) != NULL);
}

/*
 * utf8_len - length of the well-formed UTF-8 sequence at p (RFC 3629
 * section 4: no overlong forms, no surrogates, nothing above U+10FFFF),
 * or 0 if there is none.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * fail - say what is wrong with address s in err, quoting at most
 * SHOWMAX of its bytes with anything unprintable escaped.
 */
static int
fail(char *err, size_t errlen, const char *s, size_t len, const char *what)
{
	char show[SHOWMAX * 4 + 4];
	size_t o = 0;

	for (size_t i = 0; i < len && i < SHOWMAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			show[o++] = '\\';
			show[o++] = (char)c;
		} else if (c >= 0x20 && c <= 0x7e)
			show[o++] = (char)c;
		else
			o += (size_t)snprintf(show + o, sizeof(show) - o,
			    "\\x%02x", c);
	}
	if (len > SHOWMAX) {
		memcpy(show + o, "...", 3);
		o += 3;
	}
	show[o] = '\0';
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "%s in \"%s\"", what, show);
	errno = EINVAL;
	return -1;
}

/*
 * local_quoted - length of the quoted string at the start of p (RFC 5321
 * Quoted-string with its quotes), or 0 with *why set.
 */
static size_t
local_quoted(const unsigned char *p, size_t n, unsigned flags,
    const char **why)
{
	size_t i = 1, u;

	for (;;) {
		if (i >= n) {
			*why = "unterminated quoted string in local part";
			return 0;
		}
		if (p[i] == '"')
			return i + 1;
		if (p[i] == '\\') {
			/* quoted-pairSMTP = %d92 %d32-126 */
			if (i + 1 >= n || p[i + 1] < 32 || p[i + 1] > 126) {
				*why = "bad quoted pair in local part";
				return 0;
			}
			i += 2;
		} else if (p[i] >= 32 && p[i] <= 126)
			i++;
		else if (p[i] >= 0x80) {
			if (!(flags & ADDR_UTF8)) {
				*why = "non-ASCII character in local part "
				    "(needs SMTPUTF8)";
				return 0;
			}
			if ((u = utf8_len(p + i, n - i)) == 0) {
				*why = "bad UTF-8 in local part";
				return 0;
			}
			i += u;
		} else {
			*why = "bad character in local part";
			return 0;
		}
	}
}

/*
 * local_atom - length of the dot-atom at the start of p, which ends at
 * the first '@' or at n, or 0 with *why set.
 */
static size_t
local_atom(const unsigned char *p, size_t n, unsigned flags,
    const char **why)
{
	size_t i = 0, u;

	while (i < n && p[i] != '@') {
		if (is_atext(p[i]))
			i++;
		else if (p[i] == '.') {
			if (i == 0) {
				*why = "local part starts with a dot";
				return 0;
			}
			if (p[i - 1] == '.') {
				*why = "two dots in a row in local part";
				return 0;
			}
			i++;
		} else if (p[i] >= 0x80) {
			if (!(flags & ADDR_UTF8)) {
				*why = "non-ASCII character in local part "
				    "(needs SMTPUTF8)";
				return 0;
			}
			if ((u = utf8_len(p + i, n - i)) == 0) {
				*why = "bad UTF-8 in local part";
				return 0;
			}
			i += u;
		} else {
			*why = "bad character in local part";
			return 0;
		}
	}
	if (i == 0) {
		*why = i < n ? "empty local part" : "missing @";
		return 0;
	}
	if (p[i - 1] == '.') {
		*why = "local part ends with a dot";
		return 0;
	}
	return i;
}

/*
 * literal_ok - check the address literal d of length n (with brackets)
 * and append its normal form to out; 0, or -1 with *why set.
 */
static int
literal_ok(const char *d, size_t n, struct buf *out, const char **why)
{
	char ip[64];
	unsigned char bin[16];
	const char *in = d + 1;
	size_t inlen;
	int af = AF_INET;

	if (n < 2 || d[n - 1] != ']') {
		*why = "unterminated address literal";
		return -1;
	}
	inlen = n - 2;
	if (inlen >= 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		af = AF_INET6;
		in += 5;
		inlen -= 5;
	} else if (memchr(in, ':', inlen) != NULL) {
		*why = "unsupported address literal";
		return -1;
	}
	if (inlen == 0 || inlen >= sizeof(ip)) {
		*why = af == AF_INET6 ? "bad IPv6 address literal" :
		    "bad IPv4 address literal";
		return -1;
	}
	memcpy(ip, in, inlen);
	ip[inlen] = '\0';
	if (inet_pton(af, ip, bin) != 1) {
		*why = af == AF_INET6 ? "bad IPv6 address literal" :
		    "bad IPv4 address literal";
		return -1;
	}
	for (size_t i = 0; i < inlen; i++)
		if (ip[i] >= 'A' && ip[i] <= 'Z')
			ip[i] += 'a' - 'A';
	if (buf_appendf(out, "[%s%s]", af == AF_INET6 ? "IPv6:" : "",
	    ip) == -1)
		return -1;
	return 0;
}

/*
 * hostname_ok - check the hostname d of length n (RFC 5321 Domain, or
 * U-labels with ADDR_UTF8) and append it lowercased to out; 0, or -1
 * with *why set.
 */
static int
hostname_ok(const char *d, size_t n, unsigned flags, struct buf *out,
    const char **why)
{
	const unsigned char *p = (const unsigned char *)d;
	size_t i = 0, start, u;

	while (i <= n) {
		start = i;
		while (i < n && p[i] != '.') {
			if (is_alnum(p[i]) || p[i] == '-')
				i++;
			else if (p[i] >= 0x80) {
				if (!(flags & ADDR_UTF8)) {
					*why = "non-ASCII character in domain "
					    "(needs SMTPUTF8)";
					return -1;
				}
				if ((u = utf8_len(p + i, n - i)) == 0) {
					*why = "bad UTF-8 in domain";
					return -1;
				}
				i += u;
			} else {
				*why = "bad character in domain";
				return -1;
			}
		}
		if (i == start) {
			*why = "empty domain label";
			return -1;
		}
		if (i - start > 63) {
			*why = "domain label too long";
			return -1;
		}
		if (p[start] == '-' || p[i - 1] == '-') {
			*why = "domain label starts or ends with a hyphen";
			return -1;
		}
		i++;
	}
	for (i = 0; i < n; i++)
		if (buf_appendc(out, p[i] >= 'A' && p[i] <= 'Z' ?
		    p[i] + ('a' - 'A') : p[i]) == -1)
			return -1;
	return 0;
}

/*
 * addr_parse - check the address s of len bytes and put its normal form
 * in out; 0, or -1 with errno set (EINVAL with the reason in err)
 */
int
addr_parse(const char *s, size_t len, struct buf *out, unsigned flags,
    char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *why = NULL, *colon;
	size_t n = len, llen, dlen;
	int bracket = 0;

	buf_reset(out);
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return fail(err, errlen, s, len, "NUL byte");
	if (n > 0 && p[0] == '<') {
		if (n < 2 || p[n - 1] != '>')
			return fail(err, errlen, s, len, "missing >");
		p++;
		n -= 2;
		bracket = 1;
		/* RFC 5321 4.1.2: A-d-l ":" before the mailbox is dropped */
		if (n > 0 && p[0] == '@') {
			if ((colon = memchr(p, ':', n)) == NULL)
				return fail(err, errlen, s, len,
				    "bad source route");
			n -= (size_t)((const unsigned char *)colon + 1 - p);
			p = (const unsigned char *)colon + 1;
		}
	} else if (n > 0 && p[n - 1] == '>')
		return fail(err, errlen, s, len, "missing <");
	if (n == 0) {
		if (flags & ADDR_ALLOW_NULL)
			return 0;
		return fail(err, errlen, s, len, bracket ?
		    "null sender not allowed" : "empty address");
	}

	if (p[0] == '"')
		llen = local_quoted(p, n, flags, &why);
	else
		llen = local_atom(p, n, flags, &why);
	if (llen == 0)
		return fail(err, errlen, s, len, why);
	if (llen == n || p[llen] != '@')
		return fail(err, errlen, s, len, llen == n ? "missing @" :
		    "bad character after quoted local part");
	if (llen > ADDR_LOCALMAX)
		return fail(err, errlen, s, len, "local part too long");
	dlen = n - llen - 1;
	if (dlen == 0)
		return fail(err, errlen, s, len, "missing domain");
	if (memchr(p + llen + 1, '@', dlen) != NULL)
		return fail(err, errlen, s, len, "more than one @");
	if (dlen > ADDR_DOMAINMAX)
		return fail(err, errlen, s, len, "domain too long");
	if (llen + 1 + dlen > ADDR_MAX)
		return fail(err, errlen, s, len, "address too long");

	if (buf_append(out, p, llen + 1) == -1)
		return -1;
	if (p[llen + 1] == '[') {
		if (literal_ok((const char *)p + llen + 1, dlen, out,
		    &why) == -1)
			goto bad;
	} else if (hostname_ok((const char *)p + llen + 1, dlen, flags, out,
	    &why) == -1)
		goto bad;
	return 0;

bad:
	buf_reset(out);
	if (why == NULL)
		return -1;	/* out of memory, errno set */
	return fail(err, errlen, s, len, why);
}

/*
 * addr_domain - the domain of a normalised address: the text after the
 * last '@' outside quotes, or NULL if there is none
 */
const char *
addr_domain(const char *a)
{
	const char *d = NULL;
	int quoted = 0;

	for (; *a != '\0'; a++) {
		if (quoted && *a == '\\' && a[1] != '\0')
			a++;
		else if (*a == '"')
			quoted = !quoted;
		else if (*a == '@' && !quoted)
			d = a + 1;
	}
	return d;
}
