/*
 * dkim - DKIM signatures (RFC 6376 rsa-sha256, RFC 8463 ed25519-sha256).
 *
 * A message is signed as it is stored: a head of CRLF lines and a body.
 * The body goes into the hash without a copy where it can (simple: one
 * span; relaxed: the runs of each line that canonicalization leaves
 * alone), since hashing a 10 KB body already costs a sixth of an Ed25519
 * signature.  Each key keeps the signing context OpenSSL prepared once,
 * as "openssl speed" does, and the hash context and buffers its
 * signatures are made in, so that after the first one a signature
 * allocates nothing: it costs the private-key operation, the SHA-256 of
 * the body and little more.  A key is used by one thread at a time.
 *
 * The header we write has its tags in the order v a c d i q s t x h bh b,
 * the h= names " : " apart and folds under 78 columns only where a space
 * stood: dkimpy's form, which makes the RFC 8463 example reproducible
 * byte for byte.  No l= is ever written: a body limit lets anyone append.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim.h"
#include "log.h"

#define ERR(e, ...) do {					\
	(void)snprintf(err, errlen, __VA_ARGS__);		\
	errno = (e);						\
	goto fail;						\
} while (0)

#define FOLDCOL		78	/* fold the header before this column */
#define SIGMAX		1024	/* bytes of an RSA-8192 signature */
#define B64LEN(n)	(((n) + 2) / 3 * 4)
#define NFIELDS		64	/* fields split without an allocation */

struct dkim_key {
	EVP_PKEY	*pkey;
	enum dkim_alg	 alg;
	EVP_PKEY_CTX	*pctx;		/* RSA: sign_init done once */
	EVP_MD_CTX	*mctx;		/* Ed25519: DigestSignInit done once */
	EVP_MD_CTX	*hash;		/* SHA-256 of body and header data */
	struct buf	 hdr;		/* our field, b= empty */
	struct buf	 data;		/* the header data to hash */
};

/* A header field of the message: name first, through its line end. */
struct field {
	const char	*p;
	size_t		 len;
	size_t		 namelen;	/* without white space before ':' */
	bool		 used;
};

/* Where canonical bytes go: a hash, or a buffer (tests). */
struct sink {
	EVP_MD_CTX	*md;
	struct buf	*b;
	const char	*p;		/* a span not yet passed on */
	size_t		 n;
	int		 rc;
};

/* What we sign when the config names no header list (From over-signed). */
static const char *const default_headers[] = {
	"from", "to", "cc", "subject", "date", "message-id", "mime-version",
	"content-type", "content-transfer-encoding", "reply-to",
	"in-reply-to", "references", "list-unsubscribe",
	"list-unsubscribe-post"
};

static const char crlf_sp[] = "\r\n ";

/* White space, which relaxed body canonicalization looks at twice. */
static const bool wsp_class[256] = { ['\t'] = true, [' '] = true };

/* What relaxed header canonicalization does not copy as it is. */
static const bool unfold_class[256] = {
	['\t'] = true, ['\n'] = true, ['\r'] = true, [' '] = true
};

static const EVP_MD *
sha256(void)
{
	static EVP_MD *md;

	/* Fetched once: an implicit fetch on every digest costs a lookup. */
	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

/* dkim_alg_name - the a= value of an algorithm */
const char *
dkim_alg_name(enum dkim_alg a)
{
	return a == DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;	/* an encrypted key cannot be used unattended */
}

static int
b64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	size_t need = (n + 2) / 3 * 4;
	int r;

	if (n > 1 << 20 || buf_grow(b, need + 1) == -1)
		return -1;
	r = EVP_EncodeBlock((unsigned char *)b->p + b->len, p, (int)n);
	b->len += (size_t)r;
	b->p[b->len] = '\0';
	return 0;
}

/* A 32-byte Ed25519 seed in base64, as dkimpy and rspamd store it. */
static EVP_PKEY *
raw_ed25519(const char *data, size_t len)
{
	unsigned char seed[48];
	char text[64];
	size_t n = 0;
	EVP_PKEY *pk;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
		    data[i] == '\n')
			continue;
		if (n == sizeof(text) - 1)
			return NULL;
		text[n++] = data[i];
	}
	text[n] = '\0';
	if (n != 44 || text[43] != '=' || text[42] == '=' ||
	    EVP_DecodeBlock(seed, (unsigned char *)text, 44) != 33)
		pk = NULL;
	else
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
		    seed, 32);
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(text, sizeof(text));
	return pk;
}

/* dkim_key_parse - a private key from PEM, or a raw Ed25519 seed */
struct dkim_key *
dkim_key_parse(const char *data, size_t len, char *err, size_t errlen)
{
	struct dkim_key *k;
	BIO *bio;
	int bits;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		ERR(errno, "out of memory");
	if (len > DKIM_KEYMAX)
		ERR(EINVAL, "key file over %d bytes", DKIM_KEYMAX);
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		ERR(ENOMEM, "out of memory");
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	BIO_free(bio);
	if (k->pkey == NULL)
		k->pkey = raw_ed25519(data, len);
	ERR_clear_error();
	if (k->pkey == NULL)
		ERR(EINVAL, "not a private key (PEM, unencrypted), nor a "
		    "base64 Ed25519 seed");
	switch (EVP_PKEY_get_base_id(k->pkey)) {
	case EVP_PKEY_RSA:
		k->alg = DKIM_RSA_SHA256;
		bits = EVP_PKEY_get_bits(k->pkey);
		if (bits < DKIM_RSAMIN || bits > DKIM_RSAMAX)
			ERR(EINVAL, "RSA key of %d bits: DKIM wants %d to %d",
			    bits, DKIM_RSAMIN, DKIM_RSAMAX);
		if ((k->pctx = EVP_PKEY_CTX_new(k->pkey, NULL)) == NULL ||
		    EVP_PKEY_sign_init(k->pctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(k->pctx,
		    RSA_PKCS1_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_signature_md(k->pctx, sha256()) <= 0)
			ERR(ENOMEM, "cannot prepare the RSA key");
		break;
	case EVP_PKEY_ED25519:
		k->alg = DKIM_ED25519_SHA256;
		if ((k->mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(k->mctx, NULL, NULL, NULL,
		    k->pkey) <= 0)
			ERR(ENOMEM, "cannot prepare the Ed25519 key");
		break;
	default:
		ERR(EINVAL, "neither an RSA nor an Ed25519 key");
	}
	if ((k->hash = EVP_MD_CTX_new()) == NULL || sha256() == NULL)
		ERR(ENOMEM, "out of memory");
	return k;
fail:
	ERR_clear_error();
	dkim_key_free(k);
	return NULL;
}

/* Warn when others than the owner may read the key. */
static void
check_mode(const char *path, const struct stat *st)
{
	/* A setgid program may read a key only its group may read. */
	if ((st->st_mode & 037) == 0 && st->st_gid == getegid() &&
	    getegid() != getgid())
		return;
	if ((st->st_mode & 077) != 0)
		log_warn("dkim key %s: mode %04o lets others than its owner "
		    "read it; make it 0600", path,
		    (unsigned)(st->st_mode & 07777));
}

/* dkim_key_load - read a private key file, warning about its mode */
struct dkim_key *
dkim_key_load(const char *path, char *err, size_t errlen)
{
	struct dkim_key *k = NULL;
	struct stat st;
	char *data = NULL, why[200];
	size_t len = 0;
	ssize_t r;
	int fd, save;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		ERR(errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1)
		ERR(errno, "%s: fstat: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		ERR(EINVAL, "%s: not a regular file", path);
	if (st.st_size > DKIM_KEYMAX)
		ERR(EINVAL, "%s: over %d bytes: not a key", path, DKIM_KEYMAX);
	check_mode(path, &st);
	if ((data = malloc(DKIM_KEYMAX + 1)) == NULL)
		ERR(errno, "out of memory");
	while (len <= DKIM_KEYMAX) {
		if ((r = read(fd, data + len, DKIM_KEYMAX + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			ERR(errno, "%s: read: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > DKIM_KEYMAX)
		ERR(EINVAL, "%s: over %d bytes: not a key", path, DKIM_KEYMAX);
	if ((k = dkim_key_parse(data, len, err, errlen)) == NULL) {
		save = errno;
		(void)strlcpy(why, err, sizeof(why));
		(void)snprintf(err, errlen, "%s: %s", path, why);
		errno = save;
	}
fail:
	save = errno;
	if (data != NULL)
		freezero(data, DKIM_KEYMAX + 1);
	if (fd != -1)
		(void)close(fd);
	errno = save;
	return k;
}

/* dkim_key_free - release a key and wipe it */
void
dkim_key_free(struct dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_CTX_free(k->pctx);
	EVP_MD_CTX_free(k->mctx);
	EVP_MD_CTX_free(k->hash);
	buf_free(&k->hdr);
	buf_free(&k->data);
	EVP_PKEY_free(k->pkey);		/* OpenSSL clears key material */
	free(k);
}

/* dkim_key_alg - the algorithm a key signs with */
enum dkim_alg
dkim_key_alg(const struct dkim_key *k)
{
	return k->alg;
}

/* dkim_key_public - append the p= value of the key's DNS record */
int
dkim_key_public(const struct dkim_key *k, struct buf *out)
{
	unsigned char raw[64], *der = NULL;
	size_t n = sizeof(raw);
	int len, rc;

	if (k->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463: the bare 32-byte key, not a SubjectPublicKeyInfo */
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) != 1) {
			errno = EINVAL;
			return -1;
		}
		return b64_encode(out, raw, n);
	}
	if ((len = i2d_PUBKEY(k->pkey, &der)) <= 0) {
		errno = ENOMEM;
		return -1;
	}
	rc = b64_encode(out, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

static void
sink_flush(struct sink *k)
{
	if (k->n == 0)
		return;
	if (k->md != NULL) {
		if (EVP_DigestUpdate(k->md, k->p, k->n) != 1)
			k->rc = -1;
	} else if (buf_append(k->b, k->p, k->n) == -1)
		k->rc = -1;
	k->n = 0;
}

/* Pass n bytes at p on; bytes next to the last ones join them. */
static inline void
sink_put(struct sink *k, const char *p, size_t n)
{
	if (k->n > 0 && k->p + k->n == p) {
		k->n += n;
		return;
	}
	sink_flush(k);
	k->p = p;
	k->n = n;
}

static inline bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The end of the line at p (its CR), or end; *nl says if a CRLF follows. */
static const char *
line_end(const char *p, const char *end, size_t *nl)
{
	const char *q = p;

	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		if (q > p && q[-1] == '\r') {
			*nl = 2;
			return q - 1;
		}
		q++;		/* a bare LF is part of the line */
	}
	*nl = 0;
	return end;
}

/* RFC 6376 3.4.3 and 3.4.4 */
static void
canon_body(struct sink *k, enum dkim_canon c, const char *p, size_t n)
{
	const char *end = p + n, *eol, *e, *q, *run;
	size_t nl, empty = 0;

	if (c == DKIM_SIMPLE) {
		while (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
			n -= 2;
		if (n == 0)
			sink_put(k, crlf_sp, 2);
		else if (p + n < end)
			sink_put(k, p, n + 2);	/* its own CRLF */
		else {
			sink_put(k, p, n);
			sink_put(k, crlf_sp, 2);
		}
		sink_flush(k);
		return;
	}
	while (p < end) {
		eol = line_end(p, end, &nl);
		for (e = eol; e > p && is_wsp(e[-1]); e--)
			;
		if (e == p) {
			empty++;	/* kept back: trailing ones vanish */
			p = eol + nl;
			continue;
		}
		for (; empty > 0; empty--)
			sink_put(k, crlf_sp, 2);
		for (run = q = p; q < e;) {
			/* a run without white space, then a lone space, stay */
			while (q < e && !wsp_class[(unsigned char)*q])
				q++;
			if (q == e)
				break;
			if (*q == ' ' && !is_wsp(q[1])) {
				q++;
				continue;
			}
			sink_put(k, run, (size_t)(q - run));
			while (q < e && is_wsp(*q))
				q++;
			sink_put(k, crlf_sp + 2, 1);
			run = q;
		}
		sink_put(k, run, (size_t)(e - run));
		if (nl > 0 && e == eol)
			sink_put(k, eol, 2);
		else
			sink_put(k, crlf_sp, 2);
		p = eol + nl;
	}
	sink_flush(k);
}

/* dkim_canon_body - append the canonical form of a body */
int
dkim_canon_body(enum dkim_canon c, const char *p, size_t n, struct buf *out)
{
	struct sink k = { NULL, out, NULL, 0, 0 };

	canon_body(&k, c, p, n);
	return k.rc;
}

/*
 * One field (name through its line end) in canonical form; with crlf
 * false it is the signature's own field, hashed without a line end.
 */
static int
canon_field(struct buf *out, enum dkim_canon c, const char *p, size_t n,
    size_t namelen, bool crlf)
{
	const char *v, *end = p + n;
	bool space = false, any = false;
	char *o;

	if (c == DKIM_SIMPLE) {
		if (buf_append(out, p, n) == -1)
			return -1;
		if (crlf && (n == 0 || p[n - 1] != '\n'))
			return buf_append(out, "\r\n", 2);
		return 0;
	}
	/* Never longer than the field and a CRLF: grow once, then write. */
	if (buf_grow(out, n + 3) == -1)
		return -1;
	o = out->p + out->len;
	for (size_t i = 0; i < namelen; i++)
		*o++ = p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i];
	*o++ = ':';
	v = memchr(p, ':', n);
	v = v != NULL ? v + 1 : end;
	/*
	 * Unfold, one space for each run of white space, none at the ends.
	 * One look-up a byte: this loop is most of a relaxed header's cost.
	 */
	for (; v < end; v++) {
		if (!unfold_class[(unsigned char)*v]) {
			if (space) {
				*o++ = ' ';
				space = false;
			}
			*o++ = *v;
			any = true;
		} else if (*v == ' ' || *v == '\t')
			space = any;
	}
	if (crlf) {
		*o++ = '\r';
		*o++ = '\n';
	}
	*o = '\0';
	out->len = (size_t)(o - out->p);
	return 0;
}

/* The length of the field name at p, without white space before ':'. */
static size_t
field_name(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t len;

	if (colon == NULL)
		return 0;
	for (len = (size_t)(colon - p); len > 0 && is_wsp(p[len - 1]); len--)
		;
	return len;
}

/* dkim_canon_header - append the canonical form of one header field */
int
dkim_canon_header(enum dkim_canon c, const char *p, size_t n,
    struct buf *out)
{
	return canon_field(out, c, p, n, field_name(p, n), true);
}

/*
 * Split a head into fields; continuation lines join the field above.
 * *fp starts as an array of NFIELDS; a longer head gets one from the heap.
 */
static int
split_fields(const char *p, size_t n, struct field **fp, size_t *nfp)
{
	const char *end = p + n, *nl;
	struct field *f = *fp, *nf;
	size_t cnt = 0, cap = NFIELDS, len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
		if (is_wsp(*p) && cnt > 0)
			f[cnt - 1].len += len;
		else {
			if (cnt == cap) {
				if ((nf = reallocarray(f == *fp ? NULL : f,
				    cap * 2, sizeof(*f))) == NULL) {
					if (f != *fp)
						free(f);
					return -1;
				}
				if (f == *fp)
					memcpy(nf, f, cnt * sizeof(*f));
				f = nf;
				cap *= 2;
			}
			f[cnt].p = p;
			f[cnt].len = len;
			f[cnt].namelen = field_name(p, len);
			f[cnt].used = false;
			cnt++;
		}
		p += len;
	}
	*fp = f;
	*nfp = cnt;
	return 0;
}

/* Field f is called name, in any case. */
static inline bool
is_named(const struct field *f, const char *name, size_t len)
{
	/* Most names differ in length or first letter: look there first. */
	return f->namelen == len && (f->p[0] | 0x20) == (name[0] | 0x20) &&
	    strncasecmp(f->p, name, len) == 0;
}

/* The last field of this name not signed yet, or NULL. */
static struct field *
pick(struct field *f, size_t nf, const char *name, size_t len)
{
	for (size_t i = nf; i-- > 0;)
		if (!f[i].used && is_named(&f[i], name, len)) {
			f[i].used = true;
			return &f[i];
		}
	return NULL;
}

/* h=: a name is printable ASCII without ':' or ';' (RFC 5322 ftext). */
static bool
good_name(const char *p, size_t n)
{
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == ':' || p[i] == ';')
			return false;
	return true;
}

/* A d=, s= value: printable, no ';', no white space, no '='. */
static bool
good_tag(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 127 || *s == ';' || *s == '=')
			return false;
	return true;
}

struct hlist {
	const char	*name[DKIM_MAXH];
	size_t		 len[DKIM_MAXH];
	size_t		 n;
};

/* The names to sign: the list given, else the default for this head. */
static int
header_list(const char *given, const struct field *f, size_t nf,
    struct hlist *h)
{
	const char *p, *s;
	size_t cnt;

	h->n = 0;
	if (given != NULL) {
		for (p = given; *p != '\0';) {
			if (*p == ':' || *p == ',' || *p == ' ' || *p == '\t') {
				p++;
				continue;
			}
			for (s = p; *p != '\0' && *p != ':' && *p != ',' &&
			    *p != ' ' && *p != '\t'; p++)
				;
			if (h->n == DKIM_MAXH || !good_name(s, (size_t)(p - s)))
				return -1;
			h->name[h->n] = s;
			h->len[h->n++] = (size_t)(p - s);
		}
		return h->n > 0 ? 0 : -1;
	}
	for (size_t d = 0; d < sizeof(default_headers) /
	    sizeof(default_headers[0]); d++) {
		size_t len = strlen(default_headers[d]);

		cnt = d == 0 ? 1 : 0;	/* From once more: over-signed */
		for (size_t i = 0; i < nf; i++)
			if (is_named(&f[i], default_headers[d], len))
				cnt++;
		for (; cnt > 0 && h->n < DKIM_MAXH; cnt--) {
			h->name[h->n] = default_headers[d];
			h->len[h->n++] = len;
		}
	}
	return 0;
}

/* Folding: a word after a space, or on a new line when it would not fit. */
struct fold {
	struct buf	*b;
	size_t		 col;
	int		 rc;
};

/* A word made of a tag, a value and what ends it: "h=" "from" " :". */
static void
fold_word(struct fold *f, const char *tag, const char *v, size_t vlen,
    const char *end)
{
	size_t tlen = strlen(tag), elen = strlen(end), n = tlen + vlen + elen;
	char *o;

	if (buf_grow(f->b, 3 + n) == -1) {
		f->rc = -1;
		return;
	}
	o = f->b->p + f->b->len;
	if (f->col + 1 + n > FOLDCOL) {
		memcpy(o, crlf_sp, 3);
		o += 3;
		f->col = 1;
	} else {
		*o++ = ' ';
		f->col++;
	}
	memcpy(o, tag, tlen);
	memcpy(o + tlen, v, vlen);
	memcpy(o + tlen + vlen, end, elen);
	o[n] = '\0';
	f->b->len = (size_t)(o + n - f->b->p);
	f->col += n;
}

static void
fold_tag(struct fold *f, const char *tag, const char *v)
{
	fold_word(f, tag, v, strlen(v), ";");
}

static void
fold_time(struct fold *f, const char *tag, long long t)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%lld", t);
	fold_tag(f, tag, num);
}

/* i= is dkim-quoted-printable (RFC 6376 2.11). */
static int
put_identity(struct fold *f, const char *id)
{
	struct buf w = BUF_INIT;
	int rc = buf_appends(&w, "i=");

	for (; *id != '\0' && rc == 0; id++) {
		unsigned char c = (unsigned char)*id;

		if (c <= ' ' || c >= 127 || c == ';' || c == '=')
			rc = buf_appendf(&w, "=%02X", c);
		else
			rc = buf_appendc(&w, c);
	}
	if (rc == 0 && w.len < 511)
		fold_word(f, "", w.p, w.len, ";");
	else
		rc = -1;
	buf_free(&w);
	return rc;
}

static int
body_hash(EVP_MD_CTX *md, enum dkim_canon c, const char *p, size_t n,
    unsigned char *out)
{
	struct sink k = { md, NULL, NULL, 0, 0 };

	if (EVP_DigestInit_ex(md, sha256(), NULL) != 1)
		return -1;
	canon_body(&k, c, p, n);
	return k.rc == 0 && EVP_DigestFinal_ex(md, out, NULL) == 1 ? 0 : -1;
}

/* Sign the digest with the key's prepared context. */
static int
private_op(struct dkim_key *k, const unsigned char *dgst, unsigned char *sig,
    size_t *siglen)
{
	*siglen = SIGMAX;
	if (k->alg == DKIM_RSA_SHA256)
		return EVP_PKEY_sign(k->pctx, sig, siglen, dgst, 32) == 1 ?
		    0 : -1;
	/* RFC 8463: Ed25519 (pure) over the SHA-256 of the header data */
	return EVP_DigestSign(k->mctx, sig, siglen, dgst, 32) == 1 ? 0 : -1;
}

/*
 * Our own field as hashed: without a line end, and in relaxed form
 * without a pass over each byte, since its values hold no white space
 * (good_tag, good_name, put_identity see to it): its folds, a space or
 * "\r\n ", become one space, none after the colon.
 */
static int
canon_own(struct buf *out, enum dkim_canon c, const struct buf *hdr)
{
	const char *p = hdr->p + 15, *end = hdr->p + hdr->len, *q;
	int rc;

	if (c == DKIM_SIMPLE)
		return buf_append(out, hdr->p, hdr->len);
	rc = buf_append(out, "dkim-signature:", 15);
	p += *p == ' ' ? 1 : 3;		/* the fold after the colon goes */
	while (rc == 0 && p < end) {
		if ((q = memchr(p, '\r', (size_t)(end - p))) == NULL)
			q = end;
		rc = buf_append(out, p, (size_t)(q - p));
		if (q < end) {
			rc |= buf_appendc(out, ' ');
			q += 3;
		}
		p = q;
	}
	return rc == 0 ? 0 : -1;
}

/* One signature over the fields f of the head, with body hash bh. */
static int
sign_one(const struct dkim_sign *s, struct field *f, size_t nf,
    const unsigned char *bh, time_t now, struct buf *out, char *err,
    size_t errlen)
{
	static const char *const cname[2][2] = {
		{ "simple/simple", "simple/relaxed" },
		{ "relaxed/simple", "relaxed/relaxed" }
	};
	struct dkim_key *k = s->key;
	struct buf *hdr = &k->hdr, *data = &k->data;
	struct fold fo;
	struct hlist h;
	struct field *x;
	unsigned char dgst[32], sig[SIGMAX];
	char bh64[B64LEN(32) + 1], sig64[B64LEN(SIGMAX) + 1];
	size_t siglen, start = out->len, sigstart, room, b64len;

	for (size_t i = 0; i < nf; i++)
		f[i].used = false;
	if (header_list(s->headers, f, nf, &h) == -1)
		ERR(EINVAL, "dkim: bad header list \"%s\" (at most %d names "
		    "of printable ASCII)", s->headers, DKIM_MAXH);
	(void)EVP_EncodeBlock((unsigned char *)bh64, bh, 32);

	buf_reset(hdr);
	fo.b = hdr;
	fo.rc = buf_appends(hdr, "DKIM-Signature:");
	fo.col = hdr->len;
	fold_tag(&fo, "v=", "1");
	fold_tag(&fo, "a=", dkim_alg_name(k->alg));
	fold_tag(&fo, "c=", cname[s->hcanon][s->bcanon]);
	fold_tag(&fo, "d=", s->domain);
	if (s->identity != NULL && put_identity(&fo, s->identity) == -1)
		ERR(EINVAL, "dkim: identity too long");
	fold_tag(&fo, "q=", "dns/txt");
	fold_tag(&fo, "s=", s->selector);
	fold_time(&fo, "t=", (long long)now);
	if (s->expire > 0)
		fold_time(&fo, "x=", (long long)now + s->expire);
	for (size_t i = 0; i < h.n; i++)
		fold_word(&fo, i == 0 ? "h=" : "", h.name[i], h.len[i],
		    i + 1 == h.n ? ";" : " :");
	fold_tag(&fo, "bh=", bh64);
	fold_word(&fo, "b=", "", 0, "");
	if (fo.rc != 0)
		ERR(ENOMEM, "out of memory");

	/* The fields h= names, bottom up, then our own with b= empty. */
	buf_reset(data);
	for (size_t i = 0; i < h.n; i++)
		if ((x = pick(f, nf, h.name[i], h.len[i])) != NULL &&
		    canon_field(data, s->hcanon, x->p, x->len, x->namelen,
		    true) == -1)
			ERR(ENOMEM, "out of memory");
	if (canon_own(data, s->hcanon, hdr) == -1)
		ERR(ENOMEM, "out of memory");
	if (EVP_DigestInit_ex(k->hash, sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(k->hash, data->p, data->len) != 1 ||
	    EVP_DigestFinal_ex(k->hash, dgst, NULL) != 1)
		ERR(ENOMEM, "dkim: sha256 failed");
	if (private_op(k, dgst, sig, &siglen) == -1)
		ERR(EIO, "dkim: signing with s=%s d=%s failed", s->selector,
		    s->domain);

	b64len = (size_t)EVP_EncodeBlock((unsigned char *)sig64, sig,
	    (int)siglen);
	if (buf_grow(out, hdr->len + b64len + b64len / 40 * 3 + 8) == -1 ||
	    buf_append(out, hdr->p, hdr->len) == -1)
		ERR(ENOMEM, "out of memory");
	/* b= folds inside its value, where FWS is allowed (3.5). */
	for (sigstart = 0; sigstart < b64len; sigstart += room) {
		if (fo.col + 8 > FOLDCOL) {
			if (buf_append(out, crlf_sp, 3) == -1)
				ERR(ENOMEM, "out of memory");
			fo.col = 1;
		}
		room = FOLDCOL - fo.col;
		if (room > b64len - sigstart)
			room = b64len - sigstart;
		if (buf_append(out, sig64 + sigstart, room) == -1)
			ERR(ENOMEM, "out of memory");
		fo.col += room;
	}
	if (buf_append(out, "\r\n", 2) == -1)
		ERR(ENOMEM, "out of memory");
	return 0;
fail:
	ERR_clear_error();
	out->len = start;
	if (out->p != NULL)
		out->p[start] = '\0';
	return -1;
}

/*
 * dkim_sign - append to out one DKIM-Signature field (CRLF ended) for
 * each of the n signatures, over the head (CRLF lines, no empty line)
 * and the body of a message, signed at time now
 */
int
dkim_sign(const struct dkim_sign *sigs, size_t n, const char *head,
    size_t hlen, const char *body, size_t blen, time_t now, struct buf *out,
    char *err, size_t errlen)
{
	unsigned char bh[2][32];
	bool have[2] = { false, false };
	struct field fixed[NFIELDS], *f = fixed;
	size_t nf = 0, start = out->len;

	if (split_fields(head, hlen, &f, &nf) == -1)
		ERR(ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct dkim_sign *s = &sigs[i];

		if (s->key == NULL || !good_tag(s->domain) ||
		    !good_tag(s->selector) || s->hcanon > DKIM_RELAXED ||
		    s->bcanon > DKIM_RELAXED)
			ERR(EINVAL, "dkim: bad signing domain or selector");
		if (!have[s->bcanon]) {
			if (body_hash(s->key->hash, s->bcanon, body, blen,
			    bh[s->bcanon]) == -1)
				ERR(ENOMEM, "dkim: body hash failed");
			have[s->bcanon] = true;
		}
		if (sign_one(s, f, nf, bh[s->bcanon], now, out, err,
		    errlen) == -1)
			goto fail;
	}
	if (f != fixed)
		free(f);
	return 0;
fail:
	ERR_clear_error();
	if (f != fixed)
		free(f);
	out->len = start;
	if (out->p != NULL)
		out->p[start] = '\0';
	return -1;
}
