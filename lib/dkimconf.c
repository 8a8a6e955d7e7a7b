/*
 * dkimconf - the DKIM signatures mta.conf(5) asks for on a message.
 *
 * A message is signed when dkim-sign is yes for the delivery queue
 * (recipient domain, virtual MTA) of one of its recipients; the other
 * dkim-* settings come from that queue.  The signing domain is the From
 * header's.  The keys are, in order: those of the message's virtual MTA
 * or pool (its domain-key lines, then its <dkim>, <domain-key> and
 * <domain-key-list> blocks), then the global ones in the same order.
 * For each algorithm (RSA, Ed25519) the first key naming the From domain
 * signs, else the first "*" key; so a domain with both kinds of key gets
 * two signatures.  A key is read from its file the first time it is
 * needed and kept until dkimconf_reload(); a key that cannot be read
 * fails the message, which then stays with its sender (never unsigned
 * by surprise).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "dkim.h"
#include "dkimconf.h"
#include "log.h"
#include "msg.h"

#define ERR(e, ...) do {					\
	(void)snprintf(err, errlen, __VA_ARGS__);		\
	errno = (e);						\
	return -1;						\
} while (0)

#define MAXCAND		256	/* keys one message may look at */
#define DOMAINMAX	256

/* A key the config names, with the settings of its <dkim> block. */
struct cand {
	const char	*selector;
	const char	*domain;	/* or "*" */
	const char	*path;
	const char	*headers;	/* <dkim> header-list, or NULL */
	int		 canon;		/* <dkim> canonicalization, or -1 */
	char		 namebuf[2][DOMAINMAX];	/* <domain-key s._domainkey.d> */
};

/* The keys read so far: path, and the key or why it failed. */
struct cached {
	char		*path;
	struct dkim_key	*key;
	int		 error;
	char		 why[256];
};

static struct cached *cache;
static size_t ncache;

/*
 * The keys one message may look at: 140 KB, got once and kept, since a
 * daemon signs message after message and zeroing that much each time
 * costs as much as a twentieth of an Ed25519 signature.
 */
static struct cand *cands;

/* dkimconf_reload - forget the keys read; the next use reads them again */
void
dkimconf_reload(void)
{
	for (size_t i = 0; i < ncache; i++) {
		free(cache[i].path);
		dkim_key_free(cache[i].key);
	}
	free(cache);
	cache = NULL;
	ncache = 0;
}

static struct cached *
key_get(const char *path)
{
	struct cached *c;

	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].path, path) == 0)
			return &cache[i];
	if ((c = reallocarray(cache, ncache + 1, sizeof(*c))) == NULL)
		return NULL;
	cache = c;
	c = &cache[ncache];
	memset(c, 0, sizeof(*c));
	if ((c->path = strdup(path)) == NULL)
		return NULL;
	ncache++;
	if ((c->key = dkim_key_load(path, c->why, sizeof(c->why))) == NULL)
		c->error = errno;
	return c;
}

static const char *
dstr(const struct conf_directive *d)
{
	if (d == NULL)
		return NULL;
	return d->str != NULL ? d->str : d->text;
}

static bool
add(struct cand *cv, size_t *n, const char *sel, const char *dom,
    const char *path, const char *headers, int canon)
{
	if (*n == MAXCAND || sel == NULL || dom == NULL || path == NULL)
		return false;
	cv[*n].selector = sel;
	cv[*n].domain = dom;
	cv[*n].path = path;
	cv[*n].headers = headers;
	cv[*n].canon = canon;
	(*n)++;
	return true;
}

/* <domain-key s._domainkey.example.com>: selector and domain by name. */
static void
from_name(struct cand *c, const char *name)
{
	const char *dk;

	if (name == NULL || (dk = strstr(name, "._domainkey.")) == NULL ||
	    (size_t)(dk - name) >= DOMAINMAX ||
	    strlen(dk + 12) >= DOMAINMAX)
		return;
	(void)snprintf(c->namebuf[0], DOMAINMAX, "%.*s", (int)(dk - name),
	    name);
	(void)strlcpy(c->namebuf[1], dk + 12, DOMAINMAX);
}

/* <domain-key NAME>: selector, domain and private-key. */
static void
domain_key_block(const struct conf_block *b, struct cand *cv, size_t *n)
{
	const char *sel, *dom;
	struct cand *c = &cv[*n];

	if (*n == MAXCAND)
		return;
	memset(c->namebuf, 0, sizeof(c->namebuf));
	from_name(c, b->arg);
	if ((sel = dstr(conf_block_get(b, CONF_KEY_SELECTOR))) == NULL &&
	    c->namebuf[0][0] != '\0')
		sel = c->namebuf[0];
	if ((dom = dstr(conf_block_get(b, CONF_KEY_DOMAIN))) == NULL &&
	    c->namebuf[1][0] != '\0')
		dom = c->namebuf[1];
	(void)add(cv, n, sel, dom, dstr(conf_block_get(b,
	    CONF_KEY_PRIVATE_KEY)), NULL, -1);
}

/* The keys of one block (global or a virtual MTA), in order. */
static void
block_keys(const struct conf_block *b, struct cand *cv, size_t *n)
{
	const struct conf_directive *d = NULL;
	const struct conf_domain_key *k;

	while ((d = conf_block_next(b, d, CONF_DOMAIN_KEY)) != NULL)
		if ((k = d->obj) != NULL)
			(void)add(cv, n, k->selector, k->domain, k->path,
			    NULL, -1);
	for (const struct conf_block *c = b->child; c != NULL; c = c->next)
		switch (c->scope) {
		case CONF_S_DKEY_LIST:
			d = NULL;
			while ((d = conf_block_next(c, d, CONF_DOMAIN_KEY)) !=
			    NULL)
				if ((k = d->obj) != NULL)
					(void)add(cv, n, k->selector,
					    k->domain, k->path, NULL, -1);
			break;
		case CONF_S_DKIM:
			d = conf_block_get(c, CONF_CANONICALIZATION);
			(void)add(cv, n,
			    dstr(conf_block_get(c, CONF_KEY_SELECTOR)),
			    dstr(conf_block_get(c, CONF_KEY_DOMAIN)),
			    dstr(conf_block_get(c, CONF_KEY_PRIVATE_KEY_FILE)),
			    dstr(conf_block_get(c, CONF_HEADER_LIST)),
			    d != NULL ? (int)d->num : -1);
			break;
		case CONF_S_DOMAIN_KEY:
			domain_key_block(c, cv, n);
			break;
		default:
			break;
		}
}

/* The domain of the one From field's first mailbox, lower case. */
struct from {
	char	 domain[DOMAINMAX];
	char	 addr[512];
	int	 nfields;
};

static int
from_cb(void *arg, const char *a, size_t n)
{
	struct from *f = arg;
	const char *at = NULL;

	if (f->addr[0] != '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] == '@')
			at = a + i;
	if (at == NULL || n >= sizeof(f->addr) ||
	    (size_t)(a + n - at - 1) >= sizeof(f->domain))
		return 0;
	(void)snprintf(f->addr, sizeof(f->addr), "%.*s", (int)n, a);
	(void)snprintf(f->domain, sizeof(f->domain), "%.*s",
	    (int)(a + n - at - 1), at + 1);
	for (char *p = f->domain; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

/* Walk the fields called name; cb sees each mailbox. */
static int
fields(const char *head, size_t len, const char *name, struct from *f)
{
	const char *p = head, *end = head + len, *nl, *v;
	size_t nlen = strlen(name), flen;

	f->nfields = 0;
	while (p < end) {
		/* the field runs to the first line that does not fold */
		for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) !=
		    NULL && nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t');
		    nl++)
			;
		flen = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
		if (flen > nlen && strncasecmp(p, name, nlen) == 0) {
			for (v = p + nlen; v < p + flen && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			if (v < p + flen && *v == ':') {
				f->nfields++;
				v++;
				if (msg_addrlist(v, (size_t)(p + flen - v),
				    from_cb, f) == -1)
					return -1;
			}
		}
		p += flen;
	}
	return 0;
}

/* A d= we can write: an ASCII host name. */
static bool
good_domain(const char *d)
{
	if (*d == '\0' || *d == '.' || *d == '-')
		return false;
	for (; *d != '\0'; d++)
		if (!isalnum((unsigned char)*d) && *d != '.' && *d != '-' &&
		    *d != '_')
			return false;
	return true;
}

/* The queue settings of the first recipient whose queue signs. */
static bool
wants_signing(const struct conf *c, const struct dkimconf_msg *m,
    struct conf_settings *s)
{
	const char *at;

	for (size_t i = 0; i < m->nrcpt; i++) {
		at = strrchr(m->rcpt[i], '@');
		conf_resolve_queue(c, at != NULL ? at + 1 : m->rcpt[i],
		    m->vmta, s);
		if (conf_bool(s, CONF_DKIM_SIGN))
			return true;
	}
	return false;
}

/* i= per dkim-identity: an address or @domain inside d=, else none. */
static const char *
identity(const struct conf_settings *s, const char *head, size_t hlen,
    const char *d, struct from *sender)
{
	const char *v = conf_str(s, CONF_DKIM_IDENTITY), *at, *dom;
	size_t dl = strlen(d), il;

	if (v == NULL || strcasecmp(v, "none") == 0)
		return NULL;
	if (strcasecmp(v, "sender-or-from") == 0) {
		memset(sender, 0, sizeof(*sender));
		if (fields(head, hlen, "Sender", sender) == -1 ||
		    sender->addr[0] == '\0') {
			memset(sender, 0, sizeof(*sender));
			if (fields(head, hlen, "From", sender) == -1)
				return NULL;
		}
		v = sender->addr;
	}
	if ((at = strrchr(v, '@')) == NULL)
		return NULL;
	dom = at + 1;
	il = strlen(dom);
	/* RFC 6376 3.5: the i= domain is d= or a subdomain of it */
	if (strcasecmp(dom, d) == 0 || (il > dl && dom[il - dl - 1] == '.' &&
	    strcasecmp(dom + il - dl, d) == 0))
		return v;
	return NULL;
}

/* The index of a key's algorithm slot, after reading it. */
static int
choose(const struct cand *cv, size_t n, const char *domain,
    struct dkim_sign *sig, const struct cand **chosen, char *err,
    size_t errlen)
{
	struct cached *k;
	enum dkim_alg a;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (sig[0].key != NULL && sig[1].key != NULL)
				return 0;
			if (pass == 0 ? strcasecmp(cv[i].domain, domain) != 0 :
			    strcmp(cv[i].domain, "*") != 0)
				continue;
			if ((k = key_get(cv[i].path)) == NULL)
				ERR(ENOMEM, "out of memory");
			if (k->key == NULL)
				ERR(EAGAIN, "DKIM key for %s (s=%s) cannot be "
				    "used: %s", domain, cv[i].selector, k->why);
			a = dkim_key_alg(k->key);
			if (sig[a].key == NULL) {
				sig[a].key = k->key;
				chosen[a] = &cv[i];
			}
		}
	return 0;
}

/*
 * dkimconf_sign - append to out the DKIM-Signature fields the config
 * asks for on message m (nothing when it asks for none)
 */
int
dkimconf_sign(const struct conf *c, const struct dkimconf_msg *m,
    struct buf *out, char *err, size_t errlen)
{
	struct cand *cv = cands;
	const struct cand *chosen[2] = { NULL, NULL };
	const struct conf_block *vb = NULL;
	struct conf_settings s;
	struct dkim_sign sig[2], use[2];
	struct from from, sender;
	const char *id;
	size_t n = 0, nuse = 0;
	int hc, bc;

	if (!wants_signing(c, m, &s))
		return 0;
	memset(&from, 0, sizeof(from));
	if (fields(m->head, m->headlen, "From", &from) == -1)
		ERR(ENOMEM, "out of memory");
	if (from.nfields != 1 || !good_domain(from.domain)) {
		log_warn("not signed with DKIM: %d From field%s, %s",
		    from.nfields, from.nfields == 1 ? "" : "s",
		    from.domain[0] == '\0' ? "no address with a domain" :
		    good_domain(from.domain) ? "one domain" :
		    "a domain that cannot be d=");
		return 0;
	}
	if (cv == NULL && (cv = cands = calloc(MAXCAND, sizeof(*cv))) == NULL)
		ERR(ENOMEM, "out of memory");
	if (m->vmta != NULL && ((vb = conf_find_block(c, CONF_S_VMTA,
	    m->vmta)) != NULL || (vb = conf_find_block(c, CONF_S_POOL,
	    m->vmta)) != NULL))
		block_keys(vb, cv, &n);
	block_keys(conf_root(c), cv, &n);

	memset(sig, 0, sizeof(sig));
	if (choose(cv, n, from.domain, sig, chosen, err, errlen) == -1)
		return -1;

	/* Body canonicalization: simple unless the config says (6376 3.4). */
	bc = (int)conf_num(&s, CONF_DKIM_BODY_CANON);
	hc = (int)conf_num(&s, CONF_DKIM_HEADERS_CANON);
	id = identity(&s, m->head, m->headlen, from.domain, &sender);
	for (int a = 0; a < 2; a++) {
		/* canonicalization: relaxed/simple|simple/simple|... */
		static const int ch[] = { 1, 0, 1, 0 }, cb[] = { 0, 0, 1, 1 };
		const struct cand *k = chosen[a];

		if (k == NULL)
			continue;
		use[nuse] = sig[a];
		use[nuse].domain = from.domain;
		use[nuse].selector = k->selector;
		use[nuse].identity = id;
		use[nuse].headers = k->headers != NULL ? k->headers :
		    conf_str(&s, CONF_DKIM_HEADERS);
		use[nuse].hcanon = k->canon >= 0 && k->canon < 4 ?
		    (enum dkim_canon)ch[k->canon] : (enum dkim_canon)hc;
		use[nuse].bcanon = k->canon >= 0 && k->canon < 4 ?
		    (enum dkim_canon)cb[k->canon] : (enum dkim_canon)bc;
		use[nuse].expire = conf_num(&s, CONF_DKIM_EXPIRE_AFTER);
		if (use[nuse].expire == CONFVAL_NEVER)
			use[nuse].expire = 0;
		nuse++;
	}
	if (nuse == 0)
		return 0;	/* no key for this domain: unsigned */
	if (dkim_sign(use, nuse, m->head, m->headlen, m->body, m->bodylen,
	    m->now, out, err, errlen) == -1) {
		errno = EAGAIN;	/* the config's fault, not the sender's */
		return -1;
	}
	return 0;
}
