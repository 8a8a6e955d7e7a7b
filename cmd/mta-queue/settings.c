/*
 * settings - a queue's settings, resolved once from the config
 * (conf_resolve_queue) and again after each reload; interned names;
 * virtual MTAs and pools; where a domain's mail is queued (queue-to,
 * <mx-rollup-list>) and the resolver that finds the MX hosts for it.
 *
 * A queue keeps copies of the values it uses and pointers into the
 * config only for rule lists; a reload re-resolves every queue before
 * the old config is freed.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "log.h"
#include "queue.h"

#define INTERN_BUCKETS	1024

struct name {
	struct name	*next;
	char		 s[];
};

static struct name *names[INTERN_BUCKETS];
static struct vmta *vmtas;

/* intern - one copy of each name for the life of the process */
const char *
intern(const char *s)
{
	struct name **b = &names[queue_strhash(s) % INTERN_BUCKETS], *n;
	size_t len = strlen(s);

	for (n = *b; n != NULL; n = n->next)
		if (strcmp(n->s, s) == 0)
			return n->s;
	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	memcpy(n->s, s, len + 1);
	n->next = *b;
	*b = n;
	return n->s;
}

/* vmta_get - the session total of a virtual MTA */
struct vmta *
vmta_get(const char *name)
{
	struct vmta *v;

	name = intern(name);
	for (v = vmtas; v != NULL; v = v->next)
		if (v->name == name)
			return v;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	v->name = name;
	v->next = vmtas;
	vmtas = v;
	return v;
}

/*
 * pool_pick - the vmta to use for a message injected for name: name
 * itself, or a member of the pool name, round robin; *pool gets the pool
 * or NULL
 */
const char *
pool_pick(const char *name, const char **pool)
{
	static struct rr {
		struct rr *next;
		const char *pool;
		unsigned n;
	} *rrs;
	const struct conf_block *b;
	const struct conf_directive *d;
	struct rr *r;
	size_t n = 0, k;

	*pool = NULL;
	if (name == NULL || *name == '\0')
		return intern("{default}");
	if ((b = conf_find_block(S.conf, CONF_S_POOL, name)) == NULL)
		return intern(name);
	for (d = conf_block_next(b, NULL, CONF_VIRTUAL_MTA); d != NULL;
	    d = conf_block_next(b, d, CONF_VIRTUAL_MTA))
		n++;
	if (n == 0)
		return intern(name);
	*pool = intern(name);
	for (r = rrs; r != NULL && r->pool != *pool; r = r->next)
		;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		r->pool = *pool;
		r->next = rrs;
		rrs = r;
	}
	k = r->n++ % n;
	for (d = conf_block_next(b, NULL, CONF_VIRTUAL_MTA); k > 0;
	    d = conf_block_next(b, d, CONF_VIRTUAL_MTA))
		k--;
	return intern(d->str);
}

/* global_total - total-max-smtp-out, or the global max-smtp-out; 0: none */
int64_t
global_total(void)
{
	struct conf_settings g;
	const struct conf_directive *d;
	int64_t t = 0;

	conf_resolve_global(S.conf, &g);
	if ((d = g.d[CONF_TOTAL_MAX_SMTP_OUT]) != NULL)
		t = d->num;
	if ((d = g.d[CONF_MAX_SMTP_OUT]) != NULL && (t == 0 || d->num < t))
		t = d->num;
	return t;
}

static void
copy_rate(const struct conf_settings *s, enum conf_id id,
    struct confval_rate *r, const struct confval_rate *fallback)
{
	const struct confval_rate *v = conf_obj(s, id);

	if (v == NULL)
		v = fallback;
	if (v != NULL)
		*r = *v;
	else {
		memset(r, 0, sizeof(*r));
		r->unlimited = true;
	}
}

static void
copy_intervals(const struct conf_settings *s, enum conf_id id,
    struct confval_intervals *iv, int64_t def)
{
	const struct conf_directive *d = conf_get(s, id);

	memset(iv, 0, sizeof(*iv));
	/* retry-after shares its row with the reply rules: num 1 is a rule */
	if (d != NULL && d->obj != NULL && d->num == 0)
		*iv = *(const struct confval_intervals *)d->obj;
	if (iv->n == 0) {
		iv->n = 1;
		iv->v[0] = def;
	}
}

/*
 * A virtual MTA's own directives (host-name, smtp-source-host) do not
 * flow into a queue's settings: they are read from its block, else from
 * the global scope.
 */
static const struct conf_directive *
vmta_or_global(const struct conf_block *vb, const struct conf_settings *g,
    enum conf_id id)
{
	const struct conf_directive *d;

	if (vb != NULL && (d = conf_block_next(vb, NULL, id)) != NULL)
		return d;
	return g->d[id];
}

static void
resolve_sources(struct qset *qs, const struct conf_block *vb,
    const struct conf_settings *g)
{
	const struct conf_directive *d, *first;
	const struct conf_source_host *h;
	size_t n = 0;

	if ((first = vmta_or_global(vb, g, CONF_SMTP_SOURCE_HOST)) == NULL)
		first = vmta_or_global(vb, g, CONF_SMTP_SOURCE_IP);
	for (d = first; d != NULL; d = conf_next(d))
		n++;
	if (n == 0)
		return;
	if ((qs->src = calloc(n, sizeof(*qs->src))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	for (d = first; d != NULL; d = conf_next(d)) {
		h = d->obj;
		if (h == NULL || inet_ntop(h->addr.af, h->addr.addr,
		    qs->src[qs->nsrc].addr,
		    sizeof(qs->src[qs->nsrc].addr)) == NULL)
			continue;
		if (h->hostname != NULL &&
		    (qs->src[qs->nsrc].helo = strdup(h->hostname)) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		qs->nsrc++;
	}
}

static const char *
resolve_helo(const struct conf_settings *s, const struct conf_block *vb,
    const struct conf_settings *g)
{
	const struct conf_directive *d;

	if (s->d[CONF_EHLO_HOSTNAME] != NULL)
		return s->d[CONF_EHLO_HOSTNAME]->str;
	if (vb != NULL && (d = conf_block_get(vb, CONF_EHLO_HOSTNAME)) !=
	    NULL)
		return d->str;
	if ((d = vmta_or_global(vb, g, CONF_HOST_NAME)) != NULL)
		return d->str;
	return NULL;
}

static void
resolve_rules(struct qset *qs, const struct conf_settings *s)
{
	const struct conf_directive *d;
	const char *name;
	size_t n = 0;

	for (d = s->d[CONF_RETRY_RULE]; d != NULL; d = conf_next(d))
		n++;
	if (n > 0 && (qs->rules = calloc(n, sizeof(*qs->rules))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	for (d = s->d[CONF_RETRY_RULE]; d != NULL; d = conf_next(d))
		if (d->num == 1 && d->obj != NULL)
			qs->rules[qs->nrules++] = d->obj;
	if ((name = conf_str(s, CONF_SMTP_PATTERN_LIST)) != NULL &&
	    (qs->patterns = conf_find_block(S.conf, CONF_S_SMTP_PATTERNS,
	    name)) == NULL)
		log_warn("queue: smtp-pattern-list %s: no such "
		    "<smtp-pattern-list>", name);
}

static const char *
tls_mode(const struct conf_settings *s)
{
	static const char *const modes[] = {
		"try", "no", "try", "require", "try", "no"
	};
	int64_t v = conf_num(s, CONF_USE_STARTTLS);

	if (conf_bool(s, CONF_REQUIRE_STARTTLS))
		return "require";
	if (v < 0 || v >= (int64_t)(sizeof(modes) / sizeof(modes[0])))
		return "try";
	return modes[v];
}

static char *
dup_or_null(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	return p;
}

/* qset_free - release what qset_resolve allocated */
void
qset_free(struct qset *qs)
{
	free(qs->hosts);
	free(qs->helo);
	free(qs->bounce_domain);
	for (size_t i = 0; i < qs->nsrc; i++)
		free(qs->src[i].helo);
	free(qs->src);
	free(qs->rules);
	memset(qs, 0, sizeof(*qs));
}

/*
 * A source address disabled (disable-source-ip, mta-ctl) stays so over
 * a reload: its state goes from the old list to the new one.
 */
static void
keep_disabled(struct qset *qs, const struct qsource *old, size_t nold)
{
	for (size_t i = 0; i < nold; i++) {
		if (!old[i].disabled)
			continue;
		for (size_t k = 0; k < qs->nsrc; k++)
			if (strcmp(qs->src[k].addr, old[i].addr) == 0) {
				qs->src[k].disabled = true;
				qs->src[k].reenable = old[i].reenable;
			}
	}
}

/* qset_resolve - (re)resolve q's settings from the current config */
void
qset_resolve(struct queue *q)
{
	struct conf_settings s, g;
	struct qset *qs = &q->set;
	const struct conf_directive *d;
	const struct conf_block *vb;
	const char *vmta = strcmp(q->vmta, "{default}") == 0 ? NULL :
	    q->vmta;
	struct qsource *old = qs->src;
	size_t nold = qs->nsrc;

	qs->src = NULL;
	qs->nsrc = 0;
	qset_free(qs);
	conf_resolve_queue(S.conf, q->domain, vmta, &s);
	qs->max_smtp_out = conf_num(&s, CONF_MAX_SMTP_OUT);
	qs->max_msg_per_conn = conf_num(&s, CONF_MAX_MSG_PER_CONNECTION);
	qs->max_rcpt = conf_num(&s, CONF_MAX_RCPT_PER_TRANSACTION);
	if (qs->max_rcpt <= 0)
		qs->max_rcpt = 1000;
	/* a VERP sender names one recipient: one a transaction */
	qs->bounce_domain = dup_or_null(conf_str(&s, CONF_BOUNCE_DOMAIN));
	if (qs->bounce_domain != NULL)
		qs->max_rcpt = 1;
	qs->delay_every = conf_num(&s, CONF_NOTIFY_OF_DELAY_EVERY);
	copy_rate(&s, CONF_MAX_MSG_RATE, &qs->msg_rate, NULL);
	copy_rate(&s, CONF_MAX_CONNECT_RATE, &qs->connect_rate, NULL);
	copy_intervals(&s, CONF_RETRY_AFTER, &qs->retry, 600);
	qs->bounce_after = conf_num(&s, CONF_BOUNCE_AFTER);
	qs->queue_interval = conf_num(&s, CONF_QUEUE_INTERVAL);
	qs->pause = conf_bool(&s, CONF_PAUSE);
	if ((d = conf_get(&s, CONF_ROUTE)) == NULL)
		d = conf_get(&s, CONF_SMTP_HOSTS);
	qs->hosts = d != NULL ? dup_or_null(d->text) : NULL;
	qs->tls = tls_mode(&s);
	qs->no_pipelining = conf_bool(&s, CONF_IGNORE_PIPELINING);
	qs->port = conf_num(&s, CONF_DEFAULT_SMTP_PORT);
	if (s.d[CONF_SMTP_PORT] != NULL)
		qs->port = s.d[CONF_SMTP_PORT]->num;
	qs->connect_timeout = conf_num(&s, CONF_CONNECT_TIMEOUT);
	qs->greeting_timeout = conf_num(&s, CONF_SMTP_GREETING_TIMEOUT);
	qs->command_timeout = conf_num(&s, CONF_SMTP_TIMEOUT);
	qs->data_timeout = conf_num(&s, CONF_SMTP_DATA_TERMINATION_TIMEOUT);
	vb = vmta != NULL ? conf_find_block(S.conf, CONF_S_VMTA, vmta) : NULL;
	conf_resolve_global(S.conf, &g);
	qs->helo = dup_or_null(resolve_helo(&s, vb, &g));
	resolve_sources(qs, vb, &g);
	keep_disabled(qs, old, nold);
	for (size_t i = 0; i < nold; i++)
		free(old[i].helo);
	free(old);
	qs->reenable_src = conf_num(&s, CONF_REENABLE_SOURCE_IP_AFTER);
	qs->bo_no_src = conf_bool(&s, CONF_BACKOFF_UPON_ALL_SOURCES_DISABLED);
	qs->no_rollup = conf_bool(&s, CONF_DISABLE_MX_ROLLUP) ||
	    qs->hosts != NULL;
	resolve_rules(qs, &s);
	qs->bo_mode = conf_num(&s, CONF_BACK_OFF_MODE) == 1;
	copy_rate(&s, CONF_BACKOFF_MAX_MSG_RATE, &qs->bo_msg_rate,
	    &qs->msg_rate);
	copy_rate(&s, CONF_BACKOFF_MAX_CONNECT_RATE, &qs->bo_connect_rate,
	    &qs->connect_rate);
	qs->bo_max_smtp_out = conf_num(&s, CONF_BACKOFF_MAX_SMTP_OUT);
	qs->bo_max_msg_per_conn = qs->max_msg_per_conn;
	if ((d = conf_get(&s, CONF_BACKOFF_MAX_MSG_PER_CONNECTION)) != NULL)
		qs->bo_max_msg_per_conn = d->num;
	copy_intervals(&s, CONF_BACKOFF_RETRY_AFTER, &qs->bo_retry, 3600);
	qs->bo_to_normal = conf_num(&s, CONF_BACKOFF_TO_NORMAL_AFTER);
	qs->vmta_max_smtp_out = 0;
	if (vb != NULL && (d = conf_block_get(vb, CONF_MAX_SMTP_OUT)) !=
	    NULL && !d->cleared)
		qs->vmta_max_smtp_out = d->num;
	rate_init(&q->msg_rate, q->backoff ? &qs->bo_msg_rate :
	    &qs->msg_rate);
	rate_init(&q->connect_rate, q->backoff ? &qs->bo_connect_rate :
	    &qs->connect_rate);
	if (qs->bo_mode && !q->backoff) {
		q->backoff = true;
		q->backoff_since = time(NULL);
	}
}

/* s in lower case without a final dot; -1 if too long or empty */
static int
lower(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
	if (s[i] != '\0' || i == 0)
		return -1;
	if (out[i - 1] == '.')
		out[--i] = '\0';
	return i > 0 ? 0 : -1;
}

/*
 * qset_queue_to - the domain whose queue takes the mail of domain
 * (queue-to), lower case in out; NULL when it keeps its own
 */
const char *
qset_queue_to(const char *domain, const char *vmta, char *out,
    size_t outlen)
{
	struct conf_settings s;
	const char *to;

	conf_resolve_queue(S.conf, domain, strcmp(vmta, "{default}") == 0 ?
	    NULL : vmta, &s);
	if ((to = conf_str(&s, CONF_QUEUE_TO)) == NULL ||
	    lower(to, out, outlen) == -1 || strcmp(out, domain) == 0)
		return NULL;
	return out;
}

/* rollup_any - does the config have an mx line in an <mx-rollup-list>? */
bool
rollup_any(void)
{
	const struct conf_block *b;

	for (b = conf_root(S.conf)->child; b != NULL; b = b->next)
		if (b->scope == CONF_S_ROLLUP &&
		    conf_block_get(b, CONF_MX) != NULL)
			return true;
	return false;
}

/*
 * rollup_name - the rollup queue of a mail exchanger, in lower case in
 * out: the name of the first "mx" line, in file order, whose pattern
 * matches host; or NULL
 */
const char *
rollup_name(const char *host, char *out, size_t outlen)
{
	const struct conf_block *b;
	const struct conf_directive *d;
	const struct conf_rollup *r;
	char name[DNS_MAXNAME], pat[DNS_MAXNAME];

	/* fnmatch(3) has no portable case folding: both in lower case */
	if (lower(host, name, sizeof(name)) == -1)
		return NULL;
	for (b = conf_root(S.conf)->child; b != NULL; b = b->next) {
		if (b->scope != CONF_S_ROLLUP)
			continue;
		for (d = conf_block_next(b, NULL, CONF_MX); d != NULL;
		    d = conf_block_next(b, d, CONF_MX))
			if ((r = d->obj) != NULL && lower(r->pattern, pat,
			    sizeof(pat)) == 0 && fnmatch(pat, name, 0) == 0)
				return lower(r->name, out, outlen) == 0 ?
				    out : NULL;
	}
	return NULL;
}

/*
 * queue_dns - the scheduler's resolver (for MX rollup), made on first
 * use with the config's name-server and dns-timeout; NULL on failure
 */
struct dns *
queue_dns(void)
{
	static struct dns *dns;
	struct conf_settings g;
	struct buf b = BUF_INIT;
	char err[256];

	if (dns != NULL)
		return dns;
	conf_resolve_global(S.conf, &g);
	if (conf_name_servers(&g, &b) == -1)
		die(EX_TEMPFAIL, "out of memory");
	if ((dns = dns_new(S.ev, b.len > 0 ? buf_cstr(&b) : NULL,
	    (int)(conf_num(&g, CONF_DNS_TIMEOUT) * 1000), err,
	    sizeof(err))) == NULL)
		log_warn("queue: DNS for MX rollup: %s", err);
	buf_free(&b);
	return dns;
}
