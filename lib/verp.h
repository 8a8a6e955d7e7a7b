/*
 * verp - variable envelope return paths: the sender of one delivery
 * carries its recipient, so that a bounce names who bounced even when
 * its text does not.
 *
 *	sender bounces@example.org, recipient a+b@y.example,
 *	bounce-domain bnc.example.org:
 *	bounces-a+2Bb=y.example-k3x7qa2m@bnc.example.org
 *
 * The local part is PREFIX-RLOCAL=RDOMAIN-TAG: PREFIX is the sender's
 * local part, RLOCAL the recipient's with '+', '-', '=' and every byte
 * that is not atext written as +XX (RFC 3461 xtext), TAG 8 base32
 * characters of an HMAC-SHA256, under a key of the spool, of the
 * lowercased address before it.  A bounce whose tag does not match was
 * not caused by us.  The scheme is documented in mta-queue(8).
 */
#ifndef MTA_VERP_H
#define MTA_VERP_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

#define VERP_TAGLEN	8	/* base32 characters, 40 bits */
#define VERP_KEYLEN	32	/* bytes of the HMAC key */
#define VERP_KEYFILE	"verp.key"	/* in the spool directory */
#define VERP_MAXHEADER	(256 * 1024)	/* of a bounce, looked at */

int	verp_encode(const char *, const char *, const char *,
	    const unsigned char *, size_t, struct buf *);
int	verp_decode(const char *, const char *, const unsigned char *,
	    size_t, struct buf *, struct buf *);
int	verp_find(const char *, size_t, const char *, const unsigned char *,
	    size_t, struct buf *, const char **);
int	verp_key_read(const char *, unsigned char [VERP_KEYLEN]);
int	verp_key_load(const char *, unsigned char [VERP_KEYLEN]);
const char *verp_bounce_domain(const struct conf *, const char *,
	    const char *);

#endif
