/*
 * dns - MX and address resolution for delivery, through c-ares inside
 * the ev(3) loop (see dns.h).
 *
 * Two layers.  An entry is one DNS question, (type, name), with its
 * answer.  Entries live in a tree that is the cache; while an entry's
 * query is in flight, every caller asking the same question waits on that
 * one entry, so a thousand sessions towards one domain cost one lookup.
 * A query (struct dns_query) is one caller's request: it waits on the MX
 * entry of its domain, then on the A/AAAA entries of the MX hosts, and
 * when nothing is left to wait for it fires its timer at once.  The timer
 * callback builds the result and calls back.  The same timer, first set to
 * dns-timeout, ends a query that waits too long.
 *
 * Invariants: a finished entry never changes (a refresh is a new entry);
 * an entry is freed once it is out of the tree and nothing refers to it
 * (a query's slot, or its c-ares query in flight); a temporary failure is
 * never cached; a caller's callback runs only from its query's timer.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <ares_dns.h>

#include "dns.h"
#include "dns_priv.h"
#include "ev.h"
#include "log.h"

#define DNS_MAXMX	64	/* MX records kept per domain */
#define DNS_MAXSTORE	32	/* addresses kept per name and family */
#define DNS_SWEEP_MIN	1024	/* entries in the cache before a sweep */
#define DNS_TRIES	3	/* c-ares tries per server: 1 + 2 + 4 units */
#define DNS_TIMEOUT_DEF	30000	/* ms, when the caller gives none */

enum entry_result {
	RES_OK,			/* records in the entry */
	RES_NODATA,		/* the name exists, no record of the type */
	RES_NXDOMAIN,		/* also: a name c-ares cannot encode */
	RES_TEMPFAIL		/* never cached */
};

struct slot;

struct entry {
	RB_ENTRY(entry)	 node;
	struct dns	*dns;
	int		 type;		/* ns_t_mx, ns_t_a or ns_t_aaaa */
	char		 name[DNS_MAXNAME];
	bool		 pending;	/* its c-ares query is in flight */
	bool		 in_tree;
	enum entry_result result;
	int		 status;	/* c-ares status, for the text */
	uint64_t	 started;	/* ev_now() ms */
	uint64_t	 expires;
	size_t		 refs;		/* slots, and the query in flight */
	size_t		 n;		/* records in mx, a or aaaa */
	struct dns_mx	*mx;
	struct in_addr	*a;
	struct in6_addr	*aaaa;
	TAILQ_HEAD(, slot) waiters;
};

/* A query's hold on one entry. */
struct slot {
	TAILQ_ENTRY(slot) link;		/* in entry->waiters while waiting */
	struct entry	*entry;		/* NULL: unused, or out of memory */
	struct dns_query *q;
	bool		 used;
	bool		 waiting;
};

struct qhost {
	const char	*name;		/* in the MX entry, or q->domain */
	int		 pref;
	struct slot	 addr[2];	/* A, AAAA */
};

enum qstage {
	STAGE_MX,			/* waiting for the MX records */
	STAGE_HOSTS,			/* waiting for the hosts' addresses */
	STAGE_DONE			/* the timer runs the callback */
};

struct dns_query {
	TAILQ_ENTRY(dns_query) link;
	struct dns	*dns;
	dns_cb		*cb;
	void		*arg;
	char		 domain[DNS_MAXNAME];
	int		 families;
	bool		 want_mx;
	bool		 badname;	/* answered at once: DNS_NXDOMAIN */
	bool		 implicit;	/* no MX: the domain is its own host */
	struct sockaddr_storage literal;	/* ss_family != 0: an address */
	enum qstage	 stage;
	size_t		 nwait;		/* slots waiting, +1 while adding */
	struct ev_timer	 timer;
	struct slot	 mxslot;
	size_t		 nhosts;
	struct qhost	 host[DNS_MAXHOSTS];
};

RB_HEAD(entry_tree, entry);

struct dns {
	struct ev	*ev;
	ares_channel	 channel;
	struct ev_timer	 timer;		/* c-ares' own retransmissions */
	int		 timeout_ms;
	struct entry_tree cache;
	size_t		 nentries;
	size_t		 sweep_at;
	TAILQ_HEAD(, dns_query) queries;
};

static void query_advance(struct dns_query *);

static int
entry_cmp(const struct entry *a, const struct entry *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* libbsd's RB_GENERATE_STATIC needs a __unused that glibc cannot have. */
RB_GENERATE_INTERNAL(entry_tree, entry, node, entry_cmp,
    __attribute__((unused)) static)

static const char *
type_name(int type)
{
	switch (type) {
	case ns_t_mx:
		return "MX";
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	}
	return "?";
}

/* The pure parts: answer TTLs and MX order (dns_priv.h). */

/* Skip one possibly compressed name at *p. */
static int
skip_name(const unsigned char *abuf, int alen, const unsigned char **p)
{
	char *name;
	long enclen;

	if (ares_expand_name(*p, abuf, alen, &name, &enclen) != ARES_SUCCESS)
		return -1;
	ares_free_string(name);
	*p += enclen;
	return 0;
}

/*
 * dns_answer_ttls - the smallest TTL in the answer section (*pos), and
 * the negative TTL an SOA in the authority section gives (*neg, RFC 2308
 * section 5: the smaller of its TTL and its MINIMUM).  UINT32_MAX when
 * absent.  A malformed packet yields what was read before the damage.
 */
void
dns_answer_ttls(const unsigned char *abuf, int alen, uint32_t *pos,
    uint32_t *neg)
{
	const unsigned char *p, *end;
	unsigned qd, an, ns, type, rdlen;
	uint32_t ttl, min;

	*pos = *neg = UINT32_MAX;
	if (abuf == NULL || alen < HFIXEDSZ)
		return;
	p = abuf + HFIXEDSZ;
	end = abuf + alen;
	qd = DNS_HEADER_QDCOUNT(abuf);
	an = DNS_HEADER_ANCOUNT(abuf);
	ns = DNS_HEADER_NSCOUNT(abuf);
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(abuf, alen, &p) == -1 || end - p < QFIXEDSZ)
			return;
		p += QFIXEDSZ;
	}
	for (unsigned i = 0; i < an + ns; i++) {
		if (skip_name(abuf, alen, &p) == -1 || end - p < RRFIXEDSZ)
			return;
		type = DNS_RR_TYPE(p);
		ttl = DNS_RR_TTL(p);
		rdlen = DNS_RR_LEN(p);
		p += RRFIXEDSZ;
		if (end - p < (long)rdlen)
			return;
		/* RFC 2181 8: a TTL with the top bit set means zero. */
		if (ttl > INT32_MAX)
			ttl = 0;
		if (i < an) {
			if (ttl < *pos)
				*pos = ttl;
		} else if (type == ns_t_soa && rdlen >= 22) {
			/* MINIMUM ends the RDATA, after two names. */
			min = DNS__32BIT(p + rdlen - 4);
			if (min < ttl)
				ttl = min;
			if (ttl < *neg)
				*neg = ttl;
		}
		p += rdlen;
	}
}

/* dns_ttl_clamp - ttl seconds held within [lo, hi] */
uint32_t
dns_ttl_clamp(uint32_t ttl, uint32_t lo, uint32_t hi)
{
	if (ttl < lo)
		return lo;
	return ttl > hi ? hi : ttl;
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* dns_mx_sort - MX records by preference */
void
dns_mx_sort(struct dns_mx *mx, size_t n)
{
	if (n > 1)
		qsort(mx, n, sizeof(*mx), mx_cmp);
}

/* dns_mx_shuffle - random order among equal preferences of sorted mx */
void
dns_mx_shuffle(struct dns_mx *mx, size_t n)
{
	struct dns_mx t;
	size_t i, j, k;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && mx[j].pref == mx[i].pref; j++)
			;
		/* Fisher-Yates over [i, j). */
		for (k = j - 1; k > i; k--) {
			size_t r = i + arc4random_uniform((uint32_t)(k - i + 1));

			t = mx[k];
			mx[k] = mx[r];
			mx[r] = t;
		}
	}
}

/* Entries: the cache. */

static void
entry_free(struct entry *e)
{
	for (size_t i = 0; e->mx != NULL && i < e->n; i++)
		free(e->mx[i].name);
	free(e->mx);
	free(e->a);
	free(e->aaaa);
	free(e);
}

static void
entry_unref(struct entry *e)
{
	if (--e->refs == 0 && !e->in_tree && !e->pending)
		entry_free(e);
}

static void
entry_untree(struct dns *dns, struct entry *e)
{
	RB_REMOVE(entry_tree, &dns->cache, e);
	e->in_tree = false;
	dns->nentries--;
	if (e->refs == 0 && !e->pending)
		entry_free(e);
}

/* Drop the expired entries nobody holds, so the cache tracks use. */
static void
cache_sweep(struct dns *dns)
{
	struct entry *e, *next;
	uint64_t now = ev_now(dns->ev);

	RB_FOREACH_SAFE(e, entry_tree, &dns->cache, next)
		if (!e->pending && e->expires <= now)
			entry_untree(dns, e);
	dns->sweep_at = dns->nentries * 2 > DNS_SWEEP_MIN ?
	    dns->nentries * 2 : DNS_SWEEP_MIN;
}

/* "Name." and "NAME" are "name". */
static void
name_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= DNS_MAXNAME)
		n = DNS_MAXNAME - 1;
	if (n > 0 && src[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
}

static int
parse_mx(struct entry *e, const unsigned char *abuf, int alen)
{
	struct ares_mx_reply *list, *r;
	size_t n = 0;
	int rc;

	if ((rc = ares_parse_mx_reply(abuf, alen, &list)) != ARES_SUCCESS)
		return rc;
	for (r = list; r != NULL; r = r->next)
		n++;
	if (n == 0) {
		ares_free_data(list);
		return ARES_ENODATA;
	}
	if ((e->mx = calloc(n, sizeof(*e->mx))) == NULL) {
		ares_free_data(list);
		return ARES_ENOMEM;
	}
	for (r = list; r != NULL; r = r->next) {
		if ((e->mx[e->n].name = malloc(DNS_MAXNAME)) == NULL) {
			ares_free_data(list);
			return ARES_ENOMEM;
		}
		name_copy(e->mx[e->n].name, r->host);
		e->mx[e->n++].pref = r->priority;
	}
	ares_free_data(list);
	dns_mx_sort(e->mx, e->n);
	while (e->n > DNS_MAXMX)
		free(e->mx[--e->n].name);
	return ARES_SUCCESS;
}

static int
parse_addr(struct entry *e, const unsigned char *abuf, int alen)
{
	struct ares_addrttl t4[DNS_MAXSTORE];
	struct ares_addr6ttl t6[DNS_MAXSTORE];
	int rc, n = DNS_MAXSTORE;

	if (e->type == ns_t_a)
		rc = ares_parse_a_reply(abuf, alen, NULL, t4, &n);
	else
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, t6, &n);
	if (rc != ARES_SUCCESS)
		return rc;
	if (n <= 0)
		return ARES_ENODATA;
	if (e->type == ns_t_a) {
		if ((e->a = calloc((size_t)n, sizeof(*e->a))) == NULL)
			return ARES_ENOMEM;
		for (int i = 0; i < n; i++)
			e->a[i] = t4[i].ipaddr;
	} else {
		if ((e->aaaa = calloc((size_t)n, sizeof(*e->aaaa))) == NULL)
			return ARES_ENOMEM;
		for (int i = 0; i < n; i++)
			memcpy(&e->aaaa[i], &t6[i].ip6addr, sizeof(e->aaaa[i]));
	}
	e->n = (size_t)n;
	return ARES_SUCCESS;
}

/* Turn c-ares' answer into the entry's result and lifetime. */
static void
entry_parse(struct entry *e, int status, const unsigned char *abuf,
    int alen)
{
	uint64_t now = ev_now(e->dns->ev);
	uint32_t pos, neg, ttl;

	if (status == ARES_SUCCESS)
		status = e->type == ns_t_mx ? parse_mx(e, abuf, alen) :
		    parse_addr(e, abuf, alen);
	e->status = status;
	dns_answer_ttls(abuf, alen, &pos, &neg);
	switch (status) {
	case ARES_SUCCESS:
		e->result = RES_OK;
		ttl = dns_ttl_clamp(pos, DNS_TTL_MIN, DNS_TTL_MAX);
		break;
	case ARES_ENODATA:
		e->result = RES_NODATA;
		ttl = dns_ttl_clamp(neg == UINT32_MAX ? DNS_NEG_TTL_NOSOA : neg,
		    DNS_TTL_MIN, DNS_NEG_TTL_MAX);
		break;
	case ARES_ENOTFOUND:
	case ARES_EBADNAME:
		e->result = RES_NXDOMAIN;
		ttl = dns_ttl_clamp(neg == UINT32_MAX ? DNS_NEG_TTL_NOSOA : neg,
		    DNS_TTL_MIN, DNS_NEG_TTL_MAX);
		break;
	default:
		e->result = RES_TEMPFAIL;
		ttl = 0;
		break;
	}
	e->expires = now + (uint64_t)ttl * 1000;
}

/* c-ares calls back: wake every query waiting on the entry. */
static void
entry_answer(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct entry *e = arg;
	struct slot *s;

	(void)timeouts;
	e->pending = false;
	if (status == ARES_EDESTRUCTION) {	/* dns_free(): no waiters */
		e->result = RES_TEMPFAIL;
		entry_unref(e);
		return;
	}
	entry_parse(e, status, abuf, alen);
	if (e->result == RES_TEMPFAIL && e->in_tree)
		entry_untree(e->dns, e);
	while ((s = TAILQ_FIRST(&e->waiters)) != NULL) {
		TAILQ_REMOVE(&e->waiters, s, link);
		s->waiting = false;
		if (--s->q->nwait == 0)
			query_advance(s->q);
	}
	entry_unref(e);
}

static void
ares_timer_update(struct dns *dns)
{
	struct timeval tv;
	uint64_t ms;

	if (ares_timeout(dns->channel, NULL, &tv) == NULL) {
		ev_timer_stop(dns->ev, &dns->timer);
		return;
	}
	ms = (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
	ev_timer_start(dns->ev, &dns->timer, ms);
}

/*
 * The entry for (type, name), referenced for the caller: from the cache,
 * or new with its query sent.  NULL when out of memory.
 */
static struct entry *
entry_get(struct dns *dns, int type, const char *name)
{
	struct entry key, *e;
	uint64_t now = ev_now(dns->ev);

	key.type = type;
	if (strlcpy(key.name, name, sizeof(key.name)) >= sizeof(key.name))
		key.name[0] = '\0';	/* c-ares refuses it: EBADNAME */
	if ((e = RB_FIND(entry_tree, &dns->cache, &key)) != NULL) {
		/* Expired, or a query so old its callers gave up on it. */
		if ((!e->pending && e->expires <= now) || (e->pending &&
		    now - e->started >= (uint64_t)dns->timeout_ms))
			entry_untree(dns, e);
		else {
			e->refs++;
			return e;
		}
	}
	if (dns->nentries >= dns->sweep_at)
		cache_sweep(dns);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->dns = dns;
	e->type = type;
	memcpy(e->name, key.name, sizeof(e->name));
	TAILQ_INIT(&e->waiters);
	e->started = now;
	e->pending = true;
	e->in_tree = true;
	e->refs = 2;		/* the caller's, and the query's in flight */
	RB_INSERT(entry_tree, &dns->cache, e);
	dns->nentries++;
	/* This may answer at once (bad name, no server): e stays held. */
	ares_query(dns->channel, e->name, ns_c_in, type, entry_answer, e);
	ares_timer_update(dns);
	return e;
}

/* Queries. */

static void
slot_wait(struct dns_query *q, struct slot *s, int type, const char *name)
{
	s->used = true;
	s->q = q;
	if ((s->entry = entry_get(q->dns, type, name)) == NULL)
		return;
	if (s->entry->pending) {
		TAILQ_INSERT_TAIL(&s->entry->waiters, s, link);
		s->waiting = true;
		q->nwait++;
	}
}

static void
slot_release(struct slot *s)
{
	if (s->entry == NULL)
		return;
	if (s->waiting)
		TAILQ_REMOVE(&s->entry->waiters, s, link);
	s->waiting = false;
	entry_unref(s->entry);
	s->entry = NULL;
}

/* Look up the addresses of every host of q. */
static void
query_hosts(struct dns_query *q)
{
	struct qhost *h;

	q->stage = STAGE_HOSTS;
	q->nwait++;		/* no wake-up until all are asked */
	for (size_t i = 0; i < q->nhosts; i++) {
		h = &q->host[i];
		if (q->families & DNS_INET)
			slot_wait(q, &h->addr[0], ns_t_a, h->name);
		if (q->families & DNS_INET6)
			slot_wait(q, &h->addr[1], ns_t_aaaa, h->name);
	}
	q->nwait--;
}

/* The MX records are in: choose the hosts, in the order to try. */
static void
query_mx_done(struct dns_query *q)
{
	struct dns_mx order[DNS_MAXMX];
	struct entry *e = q->mxslot.entry;
	size_t i, j;

	if (e != NULL && e->result == RES_NODATA) {
		q->implicit = true;
		q->host[0].name = q->domain;
		q->host[0].pref = -1;
		q->nhosts = 1;
		query_hosts(q);
		return;
	}
	if (e == NULL || e->result != RES_OK) {
		q->stage = STAGE_DONE;
		return;
	}
	memcpy(order, e->mx, e->n * sizeof(order[0]));
	dns_mx_shuffle(order, e->n);
	for (i = 0; i < e->n && q->nhosts < DNS_MAXHOSTS; i++) {
		/* "." is RFC 7505's null MX: not a host. */
		if (order[i].name[0] == '\0')
			continue;
		for (j = 0; j < q->nhosts; j++)
			if (strcmp(q->host[j].name, order[i].name) == 0)
				break;
		if (j < q->nhosts)
			continue;
		q->host[q->nhosts].name = order[i].name;
		q->host[q->nhosts++].pref = order[i].pref;
	}
	if (q->nhosts == 0) {
		q->stage = STAGE_DONE;
		return;
	}
	query_hosts(q);
}

/* Move on while nothing is awaited; once done, call back from the loop. */
static void
query_advance(struct dns_query *q)
{
	while (q->nwait == 0) {
		switch (q->stage) {
		case STAGE_MX:
			query_mx_done(q);
			break;
		case STAGE_HOSTS:
			q->stage = STAGE_DONE;
			break;
		case STAGE_DONE:
			ev_timer_start(q->dns->ev, &q->timer, 0);
			return;
		}
	}
}

static void
result_set(struct dns_result *r, enum dns_status status, const char *fmt,
    ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* Why a slot has no answer: a c-ares status, or 0 if it has one. */
static int
slot_failure(const struct slot *s)
{
	if (!s->used)
		return 0;
	if (s->entry == NULL)
		return ARES_ENOMEM;
	if (s->waiting)
		return ARES_ETIMEOUT;
	return s->entry->result == RES_TEMPFAIL ? s->entry->status : 0;
}

/* Up to max addresses of one family, in a random order. */
static size_t
host_addrs(struct dns_host *dh, const struct slot *s, size_t max)
{
	const struct entry *e = s->entry;
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	size_t n, first = dh->naddr;

	if (!s->used || e == NULL || s->waiting || e->result != RES_OK)
		return 0;
	for (n = 0; n < e->n && n < max && dh->naddr < DNS_MAXADDRS; n++) {
		memset(&dh->addr[dh->naddr], 0, sizeof(dh->addr[0]));
		if (e->type == ns_t_a) {
			sin = (struct sockaddr_in *)&dh->addr[dh->naddr];
			sin->sin_family = AF_INET;
			sin->sin_addr = e->a[n];
		} else {
			sin6 = (struct sockaddr_in6 *)&dh->addr[dh->naddr];
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = e->aaaa[n];
		}
		dh->naddr++;
	}
	/* Spread the load over the addresses, as a resolver's rotation. */
	for (size_t k = dh->naddr - 1; n > 1 && k > first; k--) {
		size_t r = first + arc4random_uniform((uint32_t)(k - first + 1));
		struct sockaddr_storage t = dh->addr[k];

		dh->addr[k] = dh->addr[r];
		dh->addr[r] = t;
	}
	return n;
}

static size_t
slot_count(const struct slot *s)
{
	if (!s->used || s->entry == NULL || s->waiting ||
	    s->entry->result != RES_OK)
		return 0;
	return s->entry->n;
}

/* The hosts with addresses; the first failure, if any, in *failed. */
static void
result_hosts(struct dns_query *q, struct dns_result *r, int *failed,
    const struct qhost **failhost, int *failtype, bool *all_nx)
{
	struct dns_host *dh;
	struct qhost *h;
	size_t n4, n6;
	int st;

	*failed = 0;
	*all_nx = true;
	for (size_t i = 0; i < q->nhosts; i++) {
		h = &q->host[i];
		for (int k = 0; k < 2; k++) {
			if ((st = slot_failure(&h->addr[k])) != 0 &&
			    *failed == 0) {
				*failed = st;
				*failhost = h;
				*failtype = k == 0 ? ns_t_a : ns_t_aaaa;
			}
			if (h->addr[k].used && (h->addr[k].entry == NULL ||
			    h->addr[k].waiting ||
			    h->addr[k].entry->result != RES_NXDOMAIN))
				*all_nx = false;
		}
		/* IPv4 first; IPv6 keeps at least half the room if it has
		 * that many. */
		n6 = slot_count(&h->addr[1]);
		n4 = DNS_MAXADDRS - (n6 < DNS_MAXADDRS / 2 ? n6 :
		    DNS_MAXADDRS / 2);
		dh = &r->host[r->nhosts];
		dh->naddr = 0;
		host_addrs(dh, &h->addr[0], n4);
		host_addrs(dh, &h->addr[1], DNS_MAXADDRS);
		if (dh->naddr == 0)
			continue;	/* an MX host without address: skip */
		strlcpy(dh->name, h->name, sizeof(dh->name));
		dh->pref = h->pref;
		r->nhosts++;
	}
}

static void
query_result(struct dns_query *q, struct dns_result *r)
{
	const struct qhost *fh = NULL;
	const struct entry *mx = q->mxslot.entry;
	const char *d = q->domain;
	int failed, ftype = 0;
	bool all_nx;

	r->status = DNS_OK;
	r->text[0] = '\0';
	r->nhosts = 0;
	if (q->badname) {
		result_set(r, DNS_NXDOMAIN, "%s: invalid domain name", d);
		return;
	}
	if (q->literal.ss_family != 0) {
		strlcpy(r->host[0].name, d, sizeof(r->host[0].name));
		r->host[0].pref = -1;
		r->host[0].naddr = 1;
		r->host[0].addr[0] = q->literal;
		r->nhosts = 1;
		return;
	}
	if (q->want_mx) {
		if ((failed = slot_failure(&q->mxslot)) != 0) {
			result_set(r, DNS_TEMPFAIL, "%s: MX lookup: %s", d,
			    ares_strerror(failed));
			return;
		}
		if (mx->result == RES_NXDOMAIN) {
			result_set(r, DNS_NXDOMAIN, "%s: MX lookup: %s", d,
			    ares_strerror(mx->status));
			return;
		}
		if (mx->result == RES_OK && q->nhosts == 0) {
			result_set(r, DNS_NULLMX, "%s: null MX (RFC 7505): "
			    "the domain accepts no mail", d);
			return;
		}
	}
	result_hosts(q, r, &failed, &fh, &ftype, &all_nx);
	if (r->nhosts > 0)
		return;
	if (failed != 0 && strcmp(fh->name, d) == 0)
		result_set(r, DNS_TEMPFAIL, "%s: %s lookup: %s", d,
		    type_name(ftype), ares_strerror(failed));
	else if (failed != 0)
		result_set(r, DNS_TEMPFAIL, "%s: %s lookup of %s: %s", d,
		    type_name(ftype), fh->name, ares_strerror(failed));
	else if (!q->want_mx && all_nx)
		result_set(r, DNS_NXDOMAIN, "%s: %s", d,
		    ares_strerror(ARES_ENOTFOUND));
	else if (!q->want_mx)
		result_set(r, DNS_NOHOST, "%s: no address record", d);
	else if (q->implicit)
		result_set(r, DNS_NOHOST, "%s: no MX and no address record", d);
	else
		result_set(r, DNS_NOHOST, "%s: no MX host has an address", d);
}

static void
query_free(struct dns_query *q)
{
	ev_timer_stop(q->dns->ev, &q->timer);
	for (size_t i = 0; i < q->nhosts; i++) {
		slot_release(&q->host[i].addr[0]);
		slot_release(&q->host[i].addr[1]);
	}
	slot_release(&q->mxslot);
	TAILQ_REMOVE(&q->dns->queries, q, link);
	free(q);
}

/* The query's timer: its answer is complete, or dns-timeout is up. */
static void
query_fire(void *arg)
{
	static struct dns_result oom;
	struct dns_query *q = arg;
	struct dns_result *r;
	dns_cb *cb = q->cb;
	void *cbarg = q->arg;

	if ((r = malloc(sizeof(*r))) == NULL) {
		r = &oom;
		result_set(r, DNS_TEMPFAIL, "%s: %s", q->domain,
		    ares_strerror(ARES_ENOMEM));
		r->nhosts = 0;
	} else
		query_result(q, r);
	/* Gone before the callback, which may do anything. */
	query_free(q);
	cb(r, cbarg);
	if (r != &oom)
		free(r);
}

static struct dns_query *
query_new(struct dns *dns, const char *name, int families, dns_cb *cb,
    void *arg, bool want_mx)
{
	struct dns_query *q;
	const char *p;
	size_t len, label = 0;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->dns = dns;
	q->cb = cb;
	q->arg = arg;
	q->want_mx = want_mx;
	q->families = families & (DNS_INET | DNS_INET6);
	if (q->families == 0)
		q->families = DNS_INET;
	ev_timer_init(&q->timer, query_fire, q);
	TAILQ_INSERT_TAIL(&dns->queries, q, link);
	len = strlen(name);
	q->badname = len == 0 || len >= DNS_MAXNAME - 1;
	name_copy(q->domain, name);
	if (q->domain[0] == '\0')
		q->badname = true;
	/* Letters, digits, '-' and '_' in labels of 1 to 63 octets. */
	for (p = q->domain; !q->badname && *p != '\0'; p++) {
		if (*p == '.') {
			q->badname = label == 0;
			label = 0;
		} else if (!isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '_')
			q->badname = true;
		else if (++label > 63)
			q->badname = true;
	}
	q->stage = q->badname ? STAGE_DONE : STAGE_MX;
	return q;
}

/* dns_resolve_mx - the MX hosts of domain, each with its addresses */
struct dns_query *
dns_resolve_mx(struct dns *dns, const char *domain, int families,
    dns_cb *cb, void *arg)
{
	struct dns_query *q;

	if ((q = query_new(dns, domain, families, cb, arg, true)) == NULL)
		return NULL;
	ev_timer_start(dns->ev, &q->timer, (uint64_t)dns->timeout_ms);
	q->nwait = 1;		/* no wake-up while setting up */
	if (q->stage == STAGE_MX)
		slot_wait(q, &q->mxslot, ns_t_mx, q->domain);
	if (--q->nwait == 0)
		query_advance(q);
	return q;
}

/* dns_resolve_host - the addresses of one host name (or literal) */
struct dns_query *
dns_resolve_host(struct dns *dns, const char *name, int families,
    dns_cb *cb, void *arg)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct dns_query *q;

	if ((q = query_new(dns, name, families, cb, arg, false)) == NULL)
		return NULL;
	sin = (struct sockaddr_in *)&q->literal;
	sin6 = (struct sockaddr_in6 *)&q->literal;
	if (inet_pton(AF_INET, name, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, name, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		memset(&q->literal, 0, sizeof(q->literal));
	if (q->literal.ss_family != 0) {
		q->badname = false;
		strlcpy(q->domain, name, sizeof(q->domain));
		q->stage = STAGE_DONE;
	}
	ev_timer_start(dns->ev, &q->timer, (uint64_t)dns->timeout_ms);
	q->nwait = 1;
	if (q->stage == STAGE_MX) {
		q->host[0].name = q->domain;
		q->host[0].pref = -1;
		q->nhosts = 1;
		query_hosts(q);
	}
	if (--q->nwait == 0)
		query_advance(q);
	return q;
}

/* dns_cancel - forget q: its callback will not run */
void
dns_cancel(struct dns_query *q)
{
	if (q != NULL)
		query_free(q);
}

/* dns_cache_size - entries in the cache, answered or in flight */
size_t
dns_cache_size(const struct dns *dns)
{
	return dns->nentries;
}

/* c-ares and the loop. */

static void
ares_timer_fire(void *arg)
{
	struct dns *dns = arg;

	ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	ares_timer_update(dns);
}

static void
sock_io(int fd, unsigned events, void *arg)
{
	struct dns *dns = arg;

	ares_process_fd(dns->channel,
	    events & (EV_READ | EV_ERROR) ? fd : ARES_SOCKET_BAD,
	    events & EV_WRITE ? fd : ARES_SOCKET_BAD);
	ares_timer_update(dns);
}

/* c-ares opens, watches and closes its sockets through this. */
static void
sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct dns *dns = arg;
	unsigned events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	if (events == 0) {
		ev_fd_del(dns->ev, fd);
		return;
	}
	if (ev_fd_set(dns->ev, fd, events) == -1 &&
	    ev_fd_add(dns->ev, fd, events, sock_io, dns) == -1)
		log_warn_sys("dns: socket %d: unable to watch", fd);
}

/*
 * dns_new - a resolver in the loop ev.  servers: NULL for resolv.conf,
 * else c-ares' CSV form; timeout_ms bounds each query (0: 30 s).  NULL
 * with err set on failure.
 */
struct dns *
dns_new(struct ev *ev, const char *servers, int timeout_ms, char *err,
    size_t errlen)
{
	struct ares_options o;
	struct dns *dns;
	int rc;

	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		ares_library_cleanup();
		return NULL;
	}
	dns->ev = ev;
	dns->timeout_ms = timeout_ms > 0 ? timeout_ms : DNS_TIMEOUT_DEF;
	dns->sweep_at = DNS_SWEEP_MIN;
	RB_INIT(&dns->cache);
	TAILQ_INIT(&dns->queries);
	ev_timer_init(&dns->timer, ares_timer_fire, dns);
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = dns;
	/* Three tries with doubling waits fill the time of one query. */
	o.timeout = dns->timeout_ms / 7 > 100 ? dns->timeout_ms / 7 : 100;
	o.tries = DNS_TRIES;
	rc = ares_init_options(&dns->channel, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(dns);
		ares_library_cleanup();
		return NULL;
	}
	if (servers != NULL && (rc = ares_set_servers_ports_csv(dns->channel,
	    servers)) != ARES_SUCCESS) {
		snprintf(err, errlen, "name servers \"%s\": %s", servers,
		    ares_strerror(rc));
		dns_free(dns);
		return NULL;
	}
	return dns;
}

/* dns_free - end every query without its callback, free everything */
void
dns_free(struct dns *dns)
{
	struct dns_query *q;
	struct entry *e, *next;

	if (dns == NULL)
		return;
	while ((q = TAILQ_FIRST(&dns->queries)) != NULL)
		query_free(q);
	/* Calls back each query in flight with ARES_EDESTRUCTION. */
	ares_destroy(dns->channel);
	ev_timer_stop(dns->ev, &dns->timer);
	RB_FOREACH_SAFE(e, entry_tree, &dns->cache, next)
		entry_untree(dns, e);
	free(dns);
	ares_library_cleanup();
}
