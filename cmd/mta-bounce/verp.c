/*
 * verp - the recipient an inbound bounce is about, from the VERP
 * address it came back to (lib/verp, mta-queue(8)): the envelope
 * recipient given with --rcpt, else the first of the bounce's
 * Delivered-To, X-Original-To and To fields that holds one.
 *
 * The tag is checked under the spool's key: an address that has the
 * form but not the tag is refused, as a bounce we did not cause.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "buf.h"
#include "inbound.h"
#include "log.h"
#include "verp.h"

#define ADDRMAX	1000	/* bytes of a field value looked at */

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
	buf_cstr(&v);
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
	for (size_t i = 0; i < len && i < INBOUND_MAXHEADER; i++)
		if (msg[i] == '\n' && (i + 1 == len || msg[i + 1] == '\n' ||
		    (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')))
			return i + 1;
	return len < INBOUND_MAXHEADER ? len : INBOUND_MAXHEADER;
}

/*
 * bounce_verp - the recipient (into vrcpt) that the VERP address of the
 * bounce msg[0..len) encodes, the address being rcpt if not NULL, else
 * in its header; key is the spool's.  1 decoded, 0 none found, -1 with
 * errno EBADMSG (the address has the form but a bad tag: refused) or
 * another error; where says which field held it.
 */
int
bounce_verp(const char *msg, size_t len, const char *rcpt,
    const unsigned char *key, struct buf *vrcpt, const char **where)
{
	static const char *fields[] = { "Delivered-To", "X-Original-To",
	    "To" };
	struct buf a = BUF_INIT;
	size_t hlen;
	int rc = 0;

	*where = "--rcpt";
	if (rcpt != NULL) {
		if (verp_decode(rcpt, NULL, key, VERP_KEYLEN, vrcpt, NULL) ==
		    0)
			return 1;
		return errno == EINVAL ? 0 : -1;
	}
	hlen = header_end(msg, len);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!header_addr(msg, hlen, fields[i], &a))
			continue;
		*where = fields[i];
		if (verp_decode(buf_cstr(&a), NULL, key, VERP_KEYLEN, vrcpt,
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

/*
 * bounce_verp_apply - the recipients of the bounce in: one without an
 * address gets v; a single one that names another address is replaced
 * by v, the address the message went to (the report may name where it
 * was forwarded); the number of recipients changed
 */
int
bounce_verp_apply(struct inbound *in, const char *v)
{
	struct inbound_rcpt *r;
	int changed = 0;
	char *s;

	if (in->kind != INBOUND_BOUNCE)
		return 0;
	for (size_t i = 0; i < in->n; i++) {
		r = &in->r[i];
		if (r->rcpt != NULL && r->rcpt[0] != '\0' &&
		    (strcasecmp(r->rcpt, v) == 0 || in->n > 1))
			continue;	/* confirmed, or one of several */
		if ((s = strdup(v)) == NULL)
			return -1;
		if (r->rcpt != NULL && r->rcpt[0] != '\0')
			log_info("inbound: the report names another recipient "
			    "than its VERP address: the VERP one is used");
		free(r->rcpt);
		r->rcpt = s;
		changed++;
	}
	return changed;
}
