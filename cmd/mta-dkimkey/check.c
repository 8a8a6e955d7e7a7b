/*
 * check - does the TXT record at selector._domainkey.domain publish this
 * key?  The record is looked up through c-ares (blocking: one query) and
 * read the way a verifier reads it (RFC 6376 3.6.1); every answer but a
 * match says what is wrong: missing, truncated, another key, bad syntax.
 */
#include <sys/select.h>

#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <ares.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "dkim.h"
#include "dkimkey.h"
#include "log.h"

#define MAXRECS		16
#define MAXTAGS		32
#define QUERY_SECS	20	/* the whole lookup, retries included */

struct answer {
	int		 status;
	struct buf	 rec[MAXRECS];	/* each record, its strings joined */
	size_t		 n;
};

struct tag {
	char	*name;
	char	*value;
};

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct answer *a = arg;
	struct ares_txt_ext *txt, *t;

	(void)timeouts;
	a->status = status;
	if (status != ARES_SUCCESS)
		return;
	if ((a->status = ares_parse_txt_reply_ext(abuf, alen, &txt)) !=
	    ARES_SUCCESS)
		return;
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start && a->n < MAXRECS)
			a->n++;
		if (a->n > 0 && buf_append(&a->rec[a->n - 1], t->txt,
		    t->length) == -1)
			a->status = ARES_ENOMEM;
	}
	ares_free_data(txt);
}

static void
lookup(const char *name, const char *servers, struct answer *a)
{
	struct ares_options opt;
	struct timeval tv, *tvp, max;
	ares_channel ch;
	fd_set rd, wr;
	int nfds, rc;

	memset(a, 0, sizeof(*a));
	a->status = -1;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
		die(EX_TEMPFAIL, "c-ares: %s", ares_strerror(rc));
	memset(&opt, 0, sizeof(opt));
	opt.timeout = 3000;
	opt.tries = 3;
	if ((rc = ares_init_options(&ch, &opt, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES)) != ARES_SUCCESS)
		die(EX_TEMPFAIL, "c-ares: %s", ares_strerror(rc));
	if (servers != NULL && (rc = ares_set_servers_ports_csv(ch,
	    servers)) != ARES_SUCCESS)
		die(EX_USAGE, "name servers \"%s\": %s", servers,
		    ares_strerror(rc));
	ares_query(ch, name, ns_c_in, ns_t_txt, on_answer, a);
	/* c-ares ends the query after its tries; the count is a backstop */
	for (int i = 0; i < QUERY_SECS * 10 && a->status == -1; i++) {
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		if ((nfds = ares_fds(ch, &rd, &wr)) == 0)
			break;
		max.tv_sec = 0;
		max.tv_usec = 100000;
		tvp = ares_timeout(ch, &max, &tv);
		if (select(nfds, &rd, &wr, NULL, tvp) == -1 && errno != EINTR)
			die_sys(EX_OSERR, "select");
		ares_process(ch, &rd, &wr);
	}
	ares_destroy(ch);
	ares_library_cleanup();
}

/* Split a tag list; -1 and why when it is not one (RFC 6376 3.2). */
static int
tag_list(char *s, struct tag *t, size_t *n, char *why, size_t whylen)
{
	char *semi, *eq, *e;

	*n = 0;
	for (; s != NULL; s = semi) {
		if ((semi = strchr(s, ';')) != NULL)
			*semi++ = '\0';
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0' && semi == NULL)
			break;		/* a ';' may end the list */
		if ((eq = strchr(s, '=')) == NULL || eq == s) {
			(void)snprintf(why, whylen, "\"%.40s\" is not "
			    "tag=value", s);
			return -1;
		}
		for (e = eq; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (char *c = s; *c != '\0'; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' &&
			    *c <= 'Z') || (c > s && ((*c >= '0' && *c <= '9')
			    || *c == '_')))) {
				(void)snprintf(why, whylen, "bad tag name "
				    "\"%.40s\"", s);
				return -1;
			}
		for (size_t i = 0; i < *n; i++)
			if (strcmp(t[i].name, s) == 0) {
				(void)snprintf(why, whylen, "tag %s= twice", s);
				return -1;
			}
		if (*n == MAXTAGS) {
			(void)snprintf(why, whylen, "over %d tags", MAXTAGS);
			return -1;
		}
		for (eq++; *eq == ' ' || *eq == '\t'; eq++)
			;
		for (e = eq + strlen(eq); e > eq && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'); e--)
			;
		*e = '\0';
		t[*n].name = s;
		t[*n].value = eq;
		(*n)++;
	}
	return 0;
}

static const char *
tag_get(const struct tag *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].value;
	return NULL;
}

/* Is s a key record at all (not SPF or a site verification)? */
static bool
is_key_record(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return strncmp(s, "v=DKIM1", 7) == 0 || strstr(s, "p=") != NULL;
}

static bool
in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ':' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ':' || p[n] == ' '))
			return true;
	return false;
}

/* Compare the p= a record publishes with the key's own. */
static int
compare_key(const char *name, const char *p, const char *want,
    enum dkim_alg alg)
{
	unsigned char der[8192];
	const unsigned char *q = der;
	char b64[8192];
	size_t n = 0, plen;
	EVP_PKEY *pk;
	int len;

	for (; *p != '\0' && n < sizeof(b64) - 1; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			b64[n++] = *p;
	b64[n] = '\0';
	if (strcmp(b64, want) == 0) {
		printf("%s: match: the record publishes this %s key\n", name,
		    alg == DKIM_RSA_SHA256 ? "RSA" : "Ed25519");
		return 0;
	}
	if (n > 0 && n < strlen(want) && strncmp(b64, want, n) == 0)
		die(EX_DATAERR, "%s: truncated: p= holds %zu of the key's %zu "
		    "characters (a TXT string is at most 255 octets: publish "
		    "p= as several strings)", name, n, strlen(want));
	plen = strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789+/=");
	if (plen != n || n % 4 != 0 || n > sizeof(der) / 3 * 4 ||
	    (len = EVP_DecodeBlock(der, (unsigned char *)b64, (int)n)) < 0)
		die(EX_DATAERR, "%s: bad syntax: p= is not base64", name);
	if (alg == DKIM_ED25519_SHA256) {
		len -= (int)(n - strcspn(b64, "="));
		if (len != 32)
			die(EX_DATAERR, "%s: bad syntax: p= holds %d bytes, an "
			    "Ed25519 key is 32", name, len);
	} else {
		if ((pk = d2i_PUBKEY(NULL, &q, len)) == NULL)
			die(EX_DATAERR, "%s: bad syntax: p= is not an RSA "
			    "public key (SubjectPublicKeyInfo)", name);
		EVP_PKEY_free(pk);
	}
	die(EX_DATAERR, "%s: mismatch: the record publishes another key",
	    name);
}

/* dkimkey_check - compare the published record with the key file */
int
dkimkey_check(const struct dkimkey_opts *o)
{
	struct buf want = BUF_INIT, name = BUF_INIT;
	struct tag t[MAXTAGS];
	struct answer a;
	struct dkim_key *k;
	const char *v, *kt, *keytype;
	char err[256], why[128];
	size_t nt, nkey = 0, which = 0;
	enum dkim_alg alg;

	if ((k = dkim_key_load(o->keyfile, err, sizeof(err))) == NULL)
		die(EX_NOINPUT, "%s", err);
	alg = dkim_key_alg(k);
	keytype = alg == DKIM_RSA_SHA256 ? "rsa" : "ed25519";
	if (dkim_key_public(k, &want) == -1 || buf_appendf(&name,
	    "%s._domainkey.%s", o->selector, o->domain) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	dkim_key_free(k);

	lookup(name.p, o->servers, &a);
	if (a.status == ARES_ENOTFOUND || a.status == ARES_ENODATA)
		die(EX_NOHOST, "%s: missing: no TXT record at this name",
		    name.p);
	if (a.status != ARES_SUCCESS)
		die(EX_TEMPFAIL, "%s: lookup failed: %s", name.p,
		    a.status == -1 ? "no answer" : ares_strerror(a.status));
	for (size_t i = 0; i < a.n; i++)
		if (is_key_record(buf_cstr(&a.rec[i]))) {
			nkey++;
			which = i;
		}
	if (nkey == 0)
		die(EX_NOHOST, "%s: missing: %zu TXT record%s, none a DKIM "
		    "key", name.p, a.n, a.n == 1 ? "" : "s");
	if (nkey > 1)
		die(EX_DATAERR, "%s: bad syntax: %zu DKIM key records; "
		    "verifiers may take either", name.p, nkey);
	if (memchr(a.rec[which].p, '\0', a.rec[which].len) != NULL)
		die(EX_DATAERR, "%s: bad syntax: a NUL byte in the record",
		    name.p);
	if (tag_list(a.rec[which].p, t, &nt, why, sizeof(why)) == -1)
		die(EX_DATAERR, "%s: bad syntax: %s", name.p, why);
	if ((v = tag_get(t, nt, "v")) != NULL && (strcmp(v, "DKIM1") != 0 ||
	    strcmp(t[0].name, "v") != 0))
		die(EX_DATAERR, "%s: bad syntax: v=%s (must be v=DKIM1, "
		    "first)", name.p, v);
	kt = tag_get(t, nt, "k");
	if (kt == NULL)
		kt = "rsa";
	if (strcmp(kt, keytype) != 0)
		die(EX_DATAERR, "%s: mismatch: the record says k=%s, the key "
		    "is %s", name.p, kt, keytype);
	if ((v = tag_get(t, nt, "h")) != NULL && !in_list(v, "sha256"))
		die(EX_DATAERR, "%s: mismatch: h=%s leaves out sha256",
		    name.p, v);
	if ((v = tag_get(t, nt, "s")) != NULL && !in_list(v, "*") &&
	    !in_list(v, "email"))
		die(EX_DATAERR, "%s: mismatch: s=%s is not for email", name.p,
		    v);
	if ((v = tag_get(t, nt, "p")) == NULL)
		die(EX_DATAERR, "%s: bad syntax: no p= tag", name.p);
	if (*v == '\0')
		die(EX_DATAERR, "%s: mismatch: p= is empty: the key is "
		    "revoked", name.p);
	compare_key(name.p, v, want.p, alg);
	for (size_t i = 0; i < a.n; i++)
		buf_free(&a.rec[i]);
	buf_free(&want);
	buf_free(&name);
	return 0;
}
