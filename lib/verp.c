/*
 * verp - encode a recipient into the envelope sender of its delivery,
 * and decode it from the address a bounce comes back to (verp_find():
 * the envelope recipient, or the bounce's Delivered-To, X-Original-To
 * or To, looked at within VERP_MAXHEADER and ADDRMAX bytes).
 *
 * The encoded address is plain ASCII dot-atom@domain whatever the
 * sender and recipient hold, so no delivery needs SMTPUTF8 for it, and
 * it decodes the same after a remote MTA has changed its case: the tag
 * is made over the lowercased address and compared without case, and
 * +XX takes either case of hex digit.  Addresses longer than RFC 5321
 * allows (ENAMETOOLONG) are not encoded; the caller sends the plain
 * sender.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "proto.h"
#include "spool.h"
#include "verp.h"

#define KEYMODE	0600
#define ADDRMAX	1000		/* bytes of a field value looked at */

static const char base32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* RFC 5322 atext, without the separators the scheme gives a meaning. */
static bool
plain(unsigned char c)
{
	return isascii(c) && (isalnum(c) || strchr("!#$%&'*/?^_`{|}~", c) !=
	    NULL);
}

/*
 * Append s[0..n) as xtext: '+XX' for what is not plain; '.' stays unless
 * it follows a dot (a dot-atom has no ".."), and so do the bytes of keep:
 * "+-=" in the sender part, which is never decoded, "-" in the domain,
 * after which the last '-' of the address still comes.
 */
static int
escape(struct buf *out, const char *s, size_t n, const char *keep)
{
	unsigned char c;
	char prev = '\0';

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (plain(c) || (c == '.' && prev != '.') ||
		    (c != '\0' && strchr(keep, c) != NULL)) {
			if (buf_appendc(out, c) == -1)
				return -1;
			prev = (char)c;
		} else {
			if (buf_appendf(out, "+%02X", c) == -1)
				return -1;
			prev = 'X';
		}
	}
	return 0;
}

/* The tag of the lowercased s[0..n) "@" domain, in tag[VERP_TAGLEN]. */
static int
make_tag(const char *s, size_t n, const char *domain,
    const unsigned char *key, size_t keylen, char tag[VERP_TAGLEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf in = BUF_INIT;
	uint64_t bits = 0;
	int ok;

	for (size_t i = 0; i < n; i++)
		if (buf_appendc(&in, tolower((unsigned char)s[i])) == -1)
			goto nomem;
	if (buf_appendc(&in, '@') == -1)
		goto nomem;
	for (const char *p = domain; *p != '\0'; p++)
		if (buf_appendc(&in, tolower((unsigned char)*p)) == -1)
			goto nomem;
	/* No key: a plain hash tells mangled addresses, not forged ones. */
	if (key != NULL && keylen > 0)
		ok = HMAC(EVP_sha256(), key, (int)keylen,
		    (const unsigned char *)in.p, in.len, md, &mdlen) != NULL;
	else
		ok = EVP_Digest(in.p, in.len, md, &mdlen, EVP_sha256(),
		    NULL) == 1;
	buf_free(&in);
	if (!ok || mdlen < 5) {
		errno = EIO;
		return -1;
	}
	for (size_t i = 0; i < 5; i++)
		bits = bits << 8 | md[i];
	for (size_t i = 0; i < VERP_TAGLEN; i++)
		tag[i] = base32[(bits >> (35 - 5 * i)) & 31];
	return 0;
nomem:
	buf_free(&in);
	return -1;
}

/*
 * verp_encode - the VERP address for sender and rcpt (both normalised,
 * without <>) at domain, into out; key may be NULL
 */
int
verp_encode(const char *sender, const char *rcpt, const char *domain,
    const unsigned char *key, size_t keylen, struct buf *out)
{
	const char *sat, *rat;
	char tag[VERP_TAGLEN];
	size_t start = out->len;

	if ((sat = strrchr(sender, '@')) == NULL || sat == sender ||
	    (rat = strrchr(rcpt, '@')) == NULL || rat == rcpt ||
	    rat[1] == '\0' || *domain == '\0' || strchr(rat + 1, '=') != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (escape(out, sender, (size_t)(sat - sender), "+-=") == -1 ||
	    buf_appendc(out, '-') == -1 ||
	    escape(out, rcpt, (size_t)(rat - rcpt), "") == -1 ||
	    buf_appendc(out, '=') == -1 || escape(out, rat + 1,
	    strlen(rat + 1), "-") == -1)
		goto fail;
	if (make_tag(out->p + start, out->len - start, domain, key, keylen,
	    tag) == -1 || buf_appendc(out, '-') == -1 ||
	    buf_append(out, tag, VERP_TAGLEN) == -1 ||
	    buf_appendf(out, "@%s", domain) == -1)
		goto fail;
	if (out->len - start > ADDR_MAX) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	return 0;
fail:
	out->len = start;
	if (out->p != NULL)
		out->p[start] = '\0';
	return -1;
}

/*
 * The address in the first field name of the header h[0..hlen), unfolded,
 * from its <...> or else the whole value trimmed, into out; false if
 * there is none.
 */
static bool
header_addr(const char *h, size_t hlen, const char *name, struct buf *out)
{
	size_t nlen = strlen(name), i = 0, eol;
	const char *nl, *lt, *gt;
	struct buf v = BUF_INIT;
	bool found = false;

	buf_reset(out);
	while (i < hlen && !found) {
		nl = memchr(h + i, '\n', hlen - i);
		eol = nl != NULL ? (size_t)(nl - h) : hlen;
		if (eol - i > nlen && h[i + nlen] == ':' &&
		    strncasecmp(h + i, name, nlen) == 0) {
			found = true;
			i += nlen + 1;
			/* the value and its continuation lines */
			for (;;) {
				if (v.len + (eol - i) <= ADDRMAX &&
				    buf_append(&v, h + i, eol - i) == -1)
					goto fail;
				i = eol + 1;
				if (i >= hlen || (h[i] != ' ' && h[i] != '\t'))
					break;
				nl = memchr(h + i, '\n', hlen - i);
				eol = nl != NULL ? (size_t)(nl - h) : hlen;
			}
		} else
			i = eol + 1;
	}
	if (!found || v.len == 0)
		goto fail;
	if ((lt = strchr(v.p, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		found = buf_set(out, lt + 1, (size_t)(gt - lt - 1)) == 0;
	else {
		lt = v.p + strspn(v.p, " \t\r");
		gt = lt + strcspn(lt, " \t\r,;");
		found = buf_set(out, lt, (size_t)(gt - lt)) == 0;
	}
	buf_free(&v);
	return found && out->len > 0;
fail:
	buf_free(&v);
	return false;
}

/* The end of the header section of msg: its empty line. */
static size_t
header_end(const char *msg, size_t len)
{
	for (size_t i = 0; i < len && i < VERP_MAXHEADER; i++)
		if (msg[i] == '\n' && (i + 1 == len || msg[i + 1] == '\n' ||
		    (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')))
			return i + 1;
	return len < VERP_MAXHEADER ? len : VERP_MAXHEADER;
}

/*
 * verp_find - the recipient (into vrcpt) that the VERP address a bounce
 * msg[0..len) came back to encodes: rcpt, the envelope recipient, if not
 * NULL, else the first of its Delivered-To, X-Original-To and To fields
 * that holds one; *where names it.  1 decoded, 0 none, -1 with errno
 * EBADMSG (an address of the form with a bad tag: not ours) or another.
 */
int
verp_find(const char *msg, size_t len, const char *rcpt,
    const unsigned char *key, size_t keylen, struct buf *vrcpt,
    const char **where)
{
	static const char *fields[] = { "Delivered-To", "X-Original-To",
	    "To" };
	struct buf a = BUF_INIT;
	size_t hlen;
	int rc = 0;

	*where = "the envelope recipient";
	if (rcpt != NULL) {
		if (verp_decode(rcpt, NULL, key, keylen, vrcpt, NULL) == 0)
			return 1;
		return errno == EINVAL ? 0 : -1;
	}
	hlen = header_end(msg, len);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!header_addr(msg, hlen, fields[i], &a))
			continue;
		*where = fields[i];
		if (verp_decode(buf_cstr(&a), NULL, key, keylen, vrcpt,
		    NULL) == 0) {
			rc = 1;
			break;
		}
		if (errno != EINVAL) {
			rc = -1;
			break;
		}
	}
	buf_free(&a);
	return rc;
}

/* Undo escape() of s[0..n) into out. */
static int
unescape(struct buf *out, const char *s, size_t n)
{
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '+') {
			if (buf_appendc(out, s[i]) == -1)
				return -1;
			continue;
		}
		if (i + 2 >= n || (hi = proto_hexval(s[i + 1])) == -1 ||
		    (lo = proto_hexval(s[i + 2])) == -1 ||
		    (hi == 0 && lo == 0))
			goto bad;
		if (buf_appendc(out, hi << 4 | lo) == -1)
			return -1;
		i += 2;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

static const char *
memrchr_in(const char *s, size_t n, int c)
{
	while (n-- > 0)
		if (s[n] == c)
			return s + n;
	return NULL;
}

/*
 * verp_decode - the recipient (and the sender's local part, if prefix is
 * not NULL) that addr encodes.  domain, if not NULL, must be addr's.
 * EINVAL: not a VERP address; EBADMSG: well-formed, decoded into rcpt,
 * but its tag is wrong (forged, or made under another key).
 */
int
verp_decode(const char *addr, const char *domain, const unsigned char *key,
    size_t keylen, struct buf *rcpt, struct buf *prefix)
{
	const char *at, *dash, *eq, *mid, *tag;
	char want[VERP_TAGLEN];
	size_t left;

	buf_reset(rcpt);
	if (prefix != NULL)
		buf_reset(prefix);
	if ((at = strrchr(addr, '@')) == NULL || at[1] == '\0' ||
	    (domain != NULL && strcasecmp(at + 1, domain) != 0))
		goto bad;
	if ((dash = memrchr_in(addr, (size_t)(at - addr), '-')) == NULL ||
	    at - dash - 1 != VERP_TAGLEN)
		goto bad;
	tag = dash + 1;
	left = (size_t)(dash - addr);
	if ((eq = memrchr_in(addr, left, '=')) == NULL || eq + 1 == dash ||
	    (mid = memrchr_in(addr, (size_t)(eq - addr), '-')) == NULL ||
	    mid == addr || mid + 1 == eq)
		goto bad;
	if (prefix != NULL && buf_set(prefix, addr, (size_t)(mid - addr)) ==
	    -1)
		return -1;
	if (unescape(rcpt, mid + 1, (size_t)(eq - mid - 1)) == -1 ||
	    buf_appendc(rcpt, '@') == -1 ||
	    unescape(rcpt, eq + 1, (size_t)(dash - eq - 1)) == -1)
		return -1;
	if (make_tag(addr, left, at + 1, key, keylen, want) == -1)
		return -1;
	for (size_t i = 0; i < VERP_TAGLEN; i++)
		if (tolower((unsigned char)tag[i]) != want[i]) {
			errno = EBADMSG;
			return -1;
		}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * verp_key_read - read the HMAC key at path, never making one (a reader
 * such as mta-bounce); EINVAL when the file is not a key
 */
int
verp_key_read(const char *path, unsigned char key[VERP_KEYLEN])
{
	unsigned char b[VERP_KEYLEN + 1];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	/* one byte more: a longer file is not ours */
	n = read(fd, b, sizeof(b));
	(void)close(fd);
	if (n != VERP_KEYLEN) {
		explicit_bzero(b, sizeof(b));
		if (n >= 0)
			errno = EINVAL;
		return -1;
	}
	memcpy(key, b, VERP_KEYLEN);
	explicit_bzero(b, sizeof(b));
	return 0;
}

/*
 * verp_key_load - read the HMAC key at path, making it first if there is
 * none: written to a file of its own, synced, then linked to path and
 * the folder synced (mail signed with a key lost in a crash would have
 * its bounces refused as forged), so that processes that race both end
 * up with the one that won.
 */
int
verp_key_load(const char *path, unsigned char key[VERP_KEYLEN])
{
	char tmp[4096];
	int fd, n, save;

	if (verp_key_read(path, key) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	arc4random_buf(key, VERP_KEYLEN);
	/* a crash may have left the file of a process with our pid */
	if (unlink(tmp) == -1 && errno != ENOENT)
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, KEYMODE)) == -1)
		return -1;
	if (write(fd, key, VERP_KEYLEN) != VERP_KEYLEN || fsync(fd) == -1) {
		save = errno ? errno : EIO;
		(void)close(fd);
		(void)unlink(tmp);
		errno = save;
		return -1;
	}
	(void)close(fd);
	if (link(tmp, path) == -1 && errno != EEXIST) {
		save = errno;
		(void)unlink(tmp);
		errno = save;
		return -1;
	}
	(void)unlink(tmp);
	explicit_bzero(key, VERP_KEYLEN);
	if (spool_sync_parent(path) == -1)
		return -1;
	return verp_key_read(path, key);
}

/*
 * verp_bounce_domain - bounce-domain of the queue rcpt goes to through
 * vmta (NULL: none), or NULL when VERP is off for it
 */
const char *
verp_bounce_domain(const struct conf *c, const char *rcpt, const char *vmta)
{
	struct conf_settings s;
	const char *domain;

	if ((domain = addr_domain(rcpt)) == NULL)
		return NULL;
	conf_resolve_queue(c, domain, vmta, &s);
	return conf_str(&s, CONF_BOUNCE_DOMAIN);
}
