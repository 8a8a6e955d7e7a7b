/*
 * dkim - DKIM signatures: RFC 6376 rsa-sha256 and RFC 8463
 * ed25519-sha256, simple and relaxed canonicalization, no l=.
 */
#ifndef MTA_DKIM_H
#define MTA_DKIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define DKIM_KEYMAX	65536	/* bytes in a key file */
#define DKIM_RSAMIN	1024	/* bits: RFC 8301 */
#define DKIM_RSAMAX	8192
#define DKIM_MAXH	64	/* names in an h= list */

enum dkim_alg {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256
};

enum dkim_canon {
	DKIM_SIMPLE,
	DKIM_RELAXED
};

struct dkim_key;

/* One signature to make; the strings belong to the caller. */
struct dkim_sign {
	struct dkim_key	*key;
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*identity;	/* i= as is, or NULL */
	enum dkim_canon	 hcanon;
	enum dkim_canon	 bcanon;
	const char	*headers;	/* h= as given, or NULL: the default */
	int64_t		 expire;	/* x= is t= plus this; 0: no x= */
};

struct dkim_key *dkim_key_load(const char *, char *, size_t);
struct dkim_key *dkim_key_parse(const char *, size_t, char *, size_t);
void	dkim_key_free(struct dkim_key *);
enum dkim_alg dkim_key_alg(const struct dkim_key *);
const char *dkim_alg_name(enum dkim_alg);
int	dkim_key_public(const struct dkim_key *, struct buf *);
int	dkim_sign(const struct dkim_sign *, size_t, const char *, size_t,
	    const char *, size_t, time_t, struct buf *, char *, size_t);
int	dkim_canon_body(enum dkim_canon, const char *, size_t, struct buf *);
int	dkim_canon_header(enum dkim_canon, const char *, size_t,
	    struct buf *);

#endif
