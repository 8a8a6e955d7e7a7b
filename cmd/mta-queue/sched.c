/*
 * sched - messages, recipients and delivery queues in memory, and the
 * decisions: which queue opens a session, which recipient goes next,
 * what a result does to a recipient and to its queue.
 *
 * Invariants: a recipient that is not final is in exactly one place:
 * its queue's ready list, its queue's retry heap, or a transaction (or
 * a commit batch); a message leaves memory only once its last
 * recipient is final and that is applied to the spool (commit.c).
 * Scheduling reads memory only: no directory scans in steady state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "dsn.h"
#include "journal.h"
#include "log.h"
#include "queue.h"

#define QUEUE_BUCKETS	4096
#define SWEEP_MS	1000
#define RATE_MAX_WAIT_MS 60000	/* a rate of "0" checks again then */
#define QUEUE_MAXSKIP	8	/* mail exchangers skipped at once */

struct sched S;

static struct msg **ids;		/* id table */
static size_t nids;
static struct queue *qtab[QUEUE_BUCKETS];
static struct queue *queues, **queues_tail = &queues;
static struct ev_timer sweep_timer;
static struct queue *blocked, **blocked_tail = &blocked;

static void queue_run(struct queue *);
static void queue_timer(void *);

/* The id table: chained, doubled when the load passes one. */
static void
ids_grow(void)
{
	struct msg **n, *m, *next;
	size_t size = nids == 0 ? 1024 : nids * 2;

	if ((n = calloc(size, sizeof(*n))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	for (size_t i = 0; i < nids; i++)
		for (m = ids[i]; m != NULL; m = next) {
			next = m->hnext;
			m->hnext = n[queue_strhash(m->id) % size];
			n[queue_strhash(m->id) % size] = m;
		}
	free(ids);
	ids = n;
	nids = size;
}

/* msg_byid - the message with queue id id, or NULL */
struct msg *
msg_byid(const char *id)
{
	struct msg *m;

	if (nids == 0)
		return NULL;
	for (m = ids[queue_strhash(id) % nids]; m != NULL; m = m->hnext)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

static void
ids_del(struct msg *m)
{
	struct msg **p = &ids[queue_strhash(m->id) % nids];

	while (*p != m)
		p = &(*p)->hnext;
	*p = m->hnext;
}

/* The retry heap of a queue: a min-heap on next_at. */
static void
heap_set(struct queue *q, size_t i, struct rcpt *r)
{
	q->heap[i] = r;
	r->hidx = (uint32_t)i + 1;
}

static void
heap_up(struct queue *q, size_t i)
{
	struct rcpt *r = q->heap[i];

	while (i > 0 && q->heap[(i - 1) / 2]->next_at > r->next_at) {
		heap_set(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(q, i, r);
}

static void
heap_down(struct queue *q, size_t i)
{
	struct rcpt *r = q->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= q->nwait)
			break;
		if (c + 1 < q->nwait && q->heap[c + 1]->next_at <
		    q->heap[c]->next_at)
			c++;
		if (q->heap[c]->next_at >= r->next_at)
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, r);
}

static void
heap_push(struct queue *q, struct rcpt *r)
{
	struct rcpt **h;
	size_t cap;

	if (q->nwait == q->capwait) {
		cap = q->capwait == 0 ? 16 : q->capwait * 2;
		if ((h = reallocarray(q->heap, cap, sizeof(*h))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		q->heap = h;
		q->capwait = cap;
	}
	q->heap[q->nwait++] = r;
	heap_up(q, q->nwait - 1);
	r->where = R_WAIT;
}

static void
heap_remove(struct queue *q, struct rcpt *r)
{
	size_t i = r->hidx - 1;
	struct rcpt *last = q->heap[--q->nwait];

	r->hidx = 0;
	if (i == q->nwait)
		return;
	heap_set(q, i, last);
	heap_up(q, i);
	heap_down(q, last->hidx - 1);
}

static void
ready_append(struct queue *q, struct rcpt *r)
{
	r->next = NULL;
	r->prev = q->ready_tail;
	if (q->ready_tail != NULL)
		q->ready_tail->next = r;
	else
		q->ready_head = r;
	q->ready_tail = r;
	q->nready++;
	r->where = R_READY;
}

static void
ready_remove(struct queue *q, struct rcpt *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		q->ready_head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		q->ready_tail = r->prev;
	r->prev = r->next = NULL;
	q->nready--;
}

/* rcpt_unlink - take r out of its ready list or retry heap */
void
rcpt_unlink(struct rcpt *r)
{
	if (r->where == R_READY)
		ready_remove(r->q, r);
	else if (r->where == R_WAIT)
		heap_remove(r->q, r);
	r->where = R_BUSY;
}

/* Put a waiting or new recipient where it belongs by its time. */
static void
rcpt_place(struct rcpt *r, time_t now)
{
	if (r->next_at <= now)
		ready_append(r->q, r);
	else
		heap_push(r->q, r);
}

/* Find or make the queue named domain/vmta; *made says which. */
static struct queue *
queue_make(const char *domain, const char *vmta, bool *made)
{
	char name[CONFVAL_MAXNAME + 300];
	struct queue *q, **b;
	int n;

	*made = false;
	n = snprintf(name, sizeof(name), "%s/%s", domain, vmta);
	if (n < 0 || (size_t)n >= sizeof(name))
		return NULL;
	b = &qtab[queue_strhash(name) % QUEUE_BUCKETS];
	for (q = *b; q != NULL; q = q->hnext)
		if (strcmp(q->name, name) == 0)
			return q;
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->name = strdup(name)) == NULL ||
	    (q->domain = strndup(name, strlen(domain))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	q->vmta = intern(vmta);
	q->v = vmta_get(vmta);
	ev_timer_init(&q->timer, queue_timer, q);
	qset_resolve(q);
	q->hnext = *b;
	*b = q;
	*queues_tail = q;
	queues_tail = &q->all_next;
	*made = true;
	return q;
}

/*
 * Where q's mail goes: q, or the end of its queue-to/rollup chain.
 * queue_to() and rollup_done() keep the chains free of loops.
 */
static struct queue *
queue_dest(struct queue *q)
{
	while (q->fwd != NULL)
		q = q->fwd;
	return q;
}

/* Does the chain from "from" pass through q? */
static bool
leads_to(const struct queue *from, const struct queue *q)
{
	for (; from != NULL; from = from->fwd)
		if (from == q)
			return true;
	return false;
}

/* Move q's ready and waiting recipients to queue to. */
static void
queue_move(struct queue *q, struct queue *to)
{
	time_t now = time(NULL);
	struct rcpt *r;

	while ((r = q->ready_head != NULL ? q->ready_head : q->nwait > 0 ?
	    q->heap[0] : NULL) != NULL) {
		rcpt_unlink(r);
		q->nrcpt--;
		q->bytes -= q->bytes >= r->m->size ? r->m->size : q->bytes;
		r->q = to;
		to->nrcpt++;
		to->bytes += r->m->size;
		if (to->oldest == 0 || r->m->queued < to->oldest)
			to->oldest = r->m->queued;
		rcpt_place(r, now);
	}
	q->oldest = 0;
	queue_kick(to);
}

/*
 * The MX hosts of res that roll up into name, as an smtp-hosts list
 * (levels by preference) in b: a rollup queue delivers to them, so
 * that no member domain's own DNS decides for the others.
 */
static void
rollup_hosts(const struct dns_result *res, const char *name, struct buf *b)
{
	char buf[CONFVAL_MAXNAME];
	const char *r;
	int pref = 0;

	for (size_t i = 0; i < res->nhosts; i++) {
		r = rollup_name(res->host[i].name, buf, sizeof(buf));
		if (r == NULL || strcmp(r, name) != 0)
			continue;
		if ((b->len > 0 && buf_appendc(b, res->host[i].pref == pref ?
		    ',' : ';') == -1) ||
		    buf_appends(b, res->host[i].name) == -1)
			die(EX_TEMPFAIL, "out of memory");
		pref = res->host[i].pref;
	}
}

/*
 * The MX hosts of a queue's domain are known: the first of them (in
 * the order of delivery) that an "mx" line of an <mx-rollup-list>
 * matches sends the queue's mail to the rollup queue of that line.
 */
static void
rollup_done(const struct dns_result *res, void *arg)
{
	struct queue *q = arg, *r;
	const char *name = NULL, *host = NULL;
	char buf[CONFVAL_MAXNAME];
	struct buf hosts = BUF_INIT;
	bool made;

	q->mx_wait = false;
	for (size_t i = 0; res->status == DNS_OK && i < res->nhosts &&
	    name == NULL; i++)
		name = rollup_name(host = res->host[i].name, buf, sizeof(buf));
	if (name == NULL || strcmp(name, q->domain) == 0 ||
	    (r = queue_make(name, q->vmta, &made)) == NULL ||
	    leads_to(r, q)) {
		queue_kick(q);
		return;
	}
	if (made) {
		/* a queue of that name made for mail of its own keeps its MX */
		rollup_hosts(res, name, &hosts);
		r->mx_hosts = hosts.p;
	}
	q->fwd = r;
	q->fwd_rollup = true;
	log_info("queue %s: rolled up into %s (mx %s)", q->name, r->name,
	    host);
	queue_move(q, queue_dest(q));
}

/* Look up q's MX hosts when an <mx-rollup-list> may take its mail. */
static void
rollup_start(struct queue *q)
{
	struct dns *dns;

	if (q->set.no_rollup || q->domain[0] == '[' || !rollup_any() ||
	    (dns = queue_dns()) == NULL)
		return;
	q->mx_wait = true;
	if (dns_resolve_mx(dns, q->domain, DNS_INET | DNS_INET6, rollup_done,
	    q) == NULL) {
		q->mx_wait = false;
		log_warn_sys("queue %s: MX lookup for rollup", q->name);
	}
}

static void queue_to(struct queue *);

/* A new queue: where its queue-to sends its mail, else rollup. */
static void
queue_route(struct queue *q)
{
	queue_to(q);
	if (q->fwd == NULL)
		rollup_start(q);
}

/*
 * Point q at the queue of its queue-to domain, if any (made on first
 * use, its own queue-to followed); a loop is refused.
 */
static void
queue_to(struct queue *q)
{
	char to[CONFVAL_MAXNAME];
	struct queue *t;
	bool made;

	if (q->fwd_rollup)
		return;
	q->fwd = NULL;
	if (qset_queue_to(q->domain, q->vmta, to, sizeof(to)) == NULL ||
	    (t = queue_make(to, q->vmta, &made)) == NULL)
		return;
	if (made)
		queue_route(t);
	if (leads_to(t, q)) {
		log_warn("queue %s: queue-to %s makes a loop: ignored",
		    q->name, to);
		return;
	}
	q->fwd = t;
}

/*
 * queue_get - the queue that takes the mail for domain through vmta:
 * the domain's own, or the one its queue-to or a rollup names
 */
static struct queue *
queue_get(const char *domain, const char *vmta)
{
	struct queue *q;
	bool made;

	if ((q = queue_make(domain, vmta, &made)) == NULL)
		return NULL;
	if (made)
		queue_route(q);
	return queue_dest(q);
}

/* queue_first - the first queue; the next is q->all_next */
struct queue *
queue_first(void)
{
	return queues;
}

static void
domain_of(const char *addr, char *out, size_t outlen)
{
	const char *at = strrchr(addr, '@');
	size_t i;

	out[0] = '\0';
	if (at == NULL || at[1] == '\0')
		return;
	for (i = 0, at++; at[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)at[i]);
	out[i] = '\0';
}

/*
 * msg_add - take the message of envelope e (its message at body_off)
 * into memory; a recipient without a domain fails at once.  The message,
 * or NULL when it was known already or had nothing left to do.
 */
struct msg *
msg_add(const struct envelope *e, size_t body_off)
{
	char domain[CONFVAL_MAXNAME];
	const char *id = buf_cstr((struct buf *)&e->id);
	const char *vmta, *pool;
	struct msg *m;
	struct rcpt *r;
	time_t now = time(NULL);

	if (msg_byid(id) != NULL)
		return NULL;	/* already known: a rescan raced a take */
	if ((m = calloc(1, sizeof(*m) + e->nrcpt * sizeof(struct rcpt))) ==
	    NULL)
		die(EX_TEMPFAIL, "out of memory");
	(void)strlcpy(m->id, id, sizeof(m->id));
	m->queued = (uint32_t)e->time;
	m->body_off = (uint32_t)body_off;
	m->size = e->size;
	m->nrcpt = (uint32_t)e->nrcpt;
	vmta = pool_pick(e->vmta.len > 0 ? buf_cstr((struct buf *)&e->vmta) :
	    NULL, &pool);
	m->vmta = vmta;
	m->pool = pool;
	if (S.nmsgs >= nids)
		ids_grow();
	m->hnext = ids[queue_strhash(m->id) % nids];
	ids[queue_strhash(m->id) % nids] = m;
	S.nmsgs++;
	for (size_t i = 0; i < e->nrcpt; i++) {
		r = &m->rcpt[i];
		r->m = m;
		r->state = (uint8_t)e->rcpt[i].state;
		r->attempts = (uint16_t)e->rcpt[i].attempts;
		r->next_at = (uint32_t)e->rcpt[i].next;
		r->first = (uint32_t)e->rcpt[i].first;
		r->where = R_FINAL;
		if (r->state != ENVELOPE_PENDING)
			continue;
		domain_of(buf_cstr(&e->rcpt[i].addr), domain, sizeof(domain));
		m->pending++;
		S.nrcpts++;
		if (domain[0] == '\0' || (r->q = queue_get(domain, vmta)) ==
		    NULL) {
			r->where = R_BUSY;
			m->busy++;
			rcpt_finalize(r, e, ENVELOPE_FAILED, "failed", 0,
			    "5.1.3", "recipient address without a usable "
			    "domain", NULL);
			m->busy--;
			continue;
		}
		r->q->nrcpt++;
		r->q->bytes += m->size;
		if (r->q->oldest == 0 || m->queued < r->q->oldest)
			r->q->oldest = m->queued;
		rcpt_place(r, now);
		queue_kick(r->q);
	}
	if (m->pending == 0 && m->busy == 0) {
		/* all final already (a crash after the last commit) */
		commit_msg_done(m);
		return NULL;
	}
	return m;
}

/* msg_release - forget m: every recipient final and applied */
void
msg_release(struct msg *m)
{
	envcache_drop(m);
	ids_del(m);
	S.nmsgs--;
	free(m);
}

/* msg_read - read m's envelope again from its spool file */
int
msg_read(struct msg *m, struct envelope *e, char *err, size_t errlen)
{
	envelope_init(e);
	if (spool_read_msg(S.spool, m->id, e, NULL, NULL, err, errlen) == -1)
		return -1;
	if (e->nrcpt != m->nrcpt) {
		(void)snprintf(err, errlen, "%s: %zu recipients, %u expected",
		    m->id, e->nrcpt, m->nrcpt);
		envelope_free(e);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void
note_error(struct queue *q, int code, const char *dsn, const char *text)
{
	if (code != 0)
		(void)snprintf(q->last_error, sizeof(q->last_error),
		    "%d %s %s", code, dsn != NULL ? dsn : "", text);
	else
		(void)strlcpy(q->last_error, text != NULL ? text : "",
		    sizeof(q->last_error));
}

/*
 * rcpt_finalize - r (in a transaction or unlinked) reached a final
 * state: journal it, count it, queue its spool update
 */
void
rcpt_finalize(struct rcpt *r, const struct envelope *e, int state,
    const char *type, int code, const char *dsn, const char *text,
    const struct session *s)
{
	struct msg *m = r->m;
	struct queue *q = r->q;
	size_t i = (size_t)(r - m->rcpt);

	if (s != NULL) {
		/* a final SMTP answer is an attempt too */
		if (r->first == 0)
			r->first = (uint32_t)time(NULL);
		if (r->attempts < ENVELOPE_MAXATTEMPTS)
			r->attempts++;
	}
	r->state = (uint8_t)state;
	journal_outcome_write(type, m, e, i, r, code, dsn, text, s);
	supp_outcome(r, e, state, code, dsn, text, s);
	commit_add(m, (uint32_t)i, r->state, r->attempts, r->next_at,
	    r->first, e != NULL ? e->rcpt[i].off : 0);
	if (state == ENVELOPE_FAILED || state == ENVELOPE_EXPIRED)
		bounce_note(m, i, state == ENVELOPE_EXPIRED, code, dsn, text,
		    s);
	r->where = R_FINAL;
	m->pending--;
	S.nrcpts--;
	if (q != NULL) {
		q->nrcpt--;
		q->bytes -= q->bytes >= m->size ? m->size : q->bytes;
	}
	switch (state) {
	case ENVELOPE_DELIVERED:
		S.delivered++;
		if (q != NULL)
			q->delivered++;
		break;
	case ENVELOPE_EXPIRED:
		S.expired++;
		if (q != NULL)
			q->expired++;
		break;
	default:
		S.failed++;
		if (q != NULL) {
			q->failed++;
			note_error(q, code, dsn, text);
		}
	}
}

/* queue_retry_interval - retry-after (or backoff-retry-after) for try k */
int64_t
queue_retry_interval(const struct queue *q, unsigned k)
{
	const struct confval_intervals *iv = q->backoff ? &q->set.bo_retry :
	    &q->set.retry;

	if (k == 0)
		k = 1;
	if (k > iv->n)
		k = (unsigned)iv->n;
	return iv->v[k - 1];
}

/* Is a delay notice due for r now, by its queue's notify-of-delay-every? */
static bool
delay_due(const struct rcpt *r, time_t now)
{
	int64_t every = r->q->set.delay_every;
	unsigned sent = dsn_delay_count(r->m->queued, r->delayed_at, every);

	return dsn_delay_due(r->m->queued, now, every, &sent);
}

/*
 * A delay notice for r, deferred with this reply, when one more
 * notify-of-delay-every has passed since it was queued than at its
 * last notice, and its NOTIFY (and sender) wants one; true if noted.
 */
static bool
delay_notice(struct rcpt *r, const struct envelope *e, time_t now, int code,
    const char *dsn, const char *text, const struct session *s)
{
	struct msg *m = r->m;
	size_t i = (size_t)(r - m->rcpt);
	uint32_t prev = r->delayed_at;

	if (e == NULL || i >= e->nrcpt || !delay_due(r, now))
		return false;
	/* the period is done with, notice or not: not read again for it */
	r->delayed_at = (uint32_t)now;
	if (!dsn_wanted(e->from.p, e->rcpt[i].notify.len > 0 ?
	    e->rcpt[i].notify.p : NULL, DSN_DELAY))
		return false;
	return bounce_delay_note(m, i, prev, code, dsn, text, s) == 0;
}

/* The delay notice due for r, waiting or ready in a failing queue. */
static void
delay_notice_idle(struct rcpt *r, time_t now, int code, const char *dsn,
    const char *text)
{
	struct envelope e;
	char err[512];
	size_t i = (size_t)(r - r->m->rcpt);

	if (!delay_due(r, now))
		return;
	if (msg_read(r->m, &e, err, sizeof(err)) == -1) {
		log_warn("delay notice: %s", err);
		return;
	}
	if (delay_notice(r, &e, now, code, dsn, text, NULL))
		commit_add(r->m, (uint32_t)i, r->state, r->attempts,
		    r->next_at, r->first, e.rcpt[i].off);
	envelope_free(&e);
}

/*
 * queue_delay_notices - q's sessions fail (no attempt counted for its
 * recipients): the delay notices due for its waiting and ready ones.
 * Each goes with a spool write of the recipient's unchanged state,
 * which holds its message until the commit flush sends the notice.
 */
void
queue_delay_notices(struct queue *q, int code, const char *dsn,
    const char *text)
{
	time_t now = time(NULL);

	if (q->set.delay_every == CONFVAL_NEVER || q->set.delay_every <= 0)
		return;
	/* neither the ready list nor the heap changes order here */
	for (struct rcpt *r = q->ready_head; r != NULL; r = r->next)
		delay_notice_idle(r, now, code, dsn, text);
	for (size_t k = 0; k < q->nwait; k++)
		delay_notice_idle(q->heap[k], now, code, dsn, text);
}

/*
 * rcpt_defer_after - r (in a transaction) was deferred; an attempt
 * (counted) sets its next try after secs (0: by retry-after), else it
 * is ready again at once
 */
void
rcpt_defer_after(struct rcpt *r, const struct envelope *e, bool counted,
    int64_t secs, int code, const char *dsn, const char *text,
    const struct session *s)
{
	struct msg *m = r->m;
	struct queue *q = r->q;
	size_t i = (size_t)(r - m->rcpt);
	time_t now = time(NULL);

	if (counted) {
		if (r->first == 0)
			r->first = (uint32_t)now;
		if (r->attempts < ENVELOPE_MAXATTEMPTS)
			r->attempts++;
		r->next_at = (uint32_t)(now + (secs > 0 ? secs :
		    queue_retry_interval(q, r->attempts)));
		journal_outcome_write("deferred", m, e, i, r, code, dsn, text,
		    s);
		supp_outcome(r, e, ENVELOPE_PENDING, code, dsn, text, s);
		commit_add(m, (uint32_t)i, r->state, r->attempts, r->next_at,
		    r->first, e != NULL ? e->rcpt[i].off : 0);
		delay_notice(r, e, now, code, dsn, text, s);
		S.deferred++;
		q->deferred++;
		note_error(q, code, dsn, text);
	}
	rcpt_place(r, now);
	queue_kick(q);
}

/* rcpt_defer - rcpt_defer_after, the next try by retry-after */
void
rcpt_defer(struct rcpt *r, const struct envelope *e, bool counted,
    int code, const char *dsn, const char *text, const struct session *s)
{
	rcpt_defer_after(r, e, counted, 0, code, dsn, text, s);
}

/* msg_expired - has m passed q's bounce-after? */
bool
msg_expired(const struct queue *q, const struct msg *m)
{
	time_t now = time(NULL);

	return q->set.bounce_after != CONFVAL_NEVER &&
	    (int64_t)now - (int64_t)m->queued >= q->set.bounce_after;
}

/* Expire r (unlinked from its queue) with the queue's last error. */
static void
rcpt_expire(struct rcpt *r)
{
	struct envelope e;
	struct queue *q = r->q;
	char err[512], diag[300];

	r->where = R_BUSY;
	r->m->busy++;
	if (msg_read(r->m, &e, err, sizeof(err)) == -1) {
		log_warn("expire %s: %s", r->m->id, err);
		rcpt_finalize(r, NULL, ENVELOPE_EXPIRED, "expired", 0, "4.4.7",
		    "message expired", NULL);
	} else {
		(void)snprintf(diag, sizeof(diag), "message expired after "
		    "%lld s in queue%s%s", (long long)q->set.bounce_after,
		    q->last_error[0] != '\0' ? "; last error: " : "",
		    q->last_error);
		rcpt_finalize(r, &e, ENVELOPE_EXPIRED, "expired", 0, "4.4.7",
		    diag, NULL);
		envelope_free(&e);
	}
	r->m->busy--;
}

/*
 * Expire what has passed bounce-after among q's waiting and ready
 * recipients; the time of the next expiry among them, or 0.
 */
static time_t
queue_expire(struct queue *q)
{
	struct rcpt *r, *next;
	time_t soonest = 0, t;

	if (q->set.bounce_after == CONFVAL_NEVER)
		return 0;
	q->oldest = 0;
	for (r = q->ready_head; r != NULL; r = next) {
		next = r->next;
		if (msg_expired(q, r->m)) {
			rcpt_unlink(r);
			rcpt_expire(r);
		}
	}
	for (size_t i = 0; i < q->nwait; ) {
		r = q->heap[i];
		if (msg_expired(q, r->m)) {
			rcpt_unlink(r);
			rcpt_expire(r);
			continue;	/* slot i holds another now */
		}
		i++;
	}
	for (r = q->ready_head; r != NULL; r = r->next)
		if (q->oldest == 0 || r->m->queued < q->oldest)
			q->oldest = r->m->queued;
	for (size_t i = 0; i < q->nwait; i++)
		if (q->oldest == 0 || q->heap[i]->m->queued < q->oldest)
			q->oldest = q->heap[i]->m->queued;
	if (q->oldest != 0) {
		t = q->oldest + q->set.bounce_after;
		soonest = t;
	}
	return soonest;
}

/*
 * The sweep: once a second, expire in each queue whose oldest message
 * has passed bounce-after, whatever the queue's state (paused, retry,
 * backoff).  Cheap: it scans a queue only when something in it expires.
 */
static void
sweep(void *arg)
{
	time_t now = time(NULL);

	(void)arg;
	for (struct queue *q = queues; q != NULL; q = q->all_next) {
		if (q->nready + q->nwait == 0 || q->oldest == 0 ||
		    q->set.bounce_after == CONFVAL_NEVER ||
		    (int64_t)now - q->oldest < q->set.bounce_after)
			continue;
		(void)queue_expire(q);
		queue_kick(q);
	}
	ev_timer_start(S.ev, &sweep_timer, SWEEP_MS);
}

/* sweep_start - start the expiry sweep */
void
sweep_start(void)
{
	ev_timer_start(S.ev, &sweep_timer, SWEEP_MS);
}

/*
 * queue_fail_all - a permanent session failure (NXDOMAIN, null MX):
 * every waiting and ready recipient of q fails with it
 */
void
queue_fail_all(struct queue *q, int code, const char *dsn, const char *text)
{
	struct envelope e;
	struct rcpt *r;
	struct msg *m;
	char err[512];

	while ((r = q->ready_head != NULL ? q->ready_head :
	    q->nwait > 0 ? q->heap[0] : NULL) != NULL) {
		m = r->m;
		m->busy++;
		if (msg_read(m, &e, err, sizeof(err)) == -1) {
			log_warn("%s: %s", q->name, err);
			envelope_init(&e);
		}
		/* every recipient of this message in q, with one read */
		for (uint32_t i = 0; i < m->nrcpt; i++) {
			r = &m->rcpt[i];
			if (r->q != q || (r->where != R_READY &&
			    r->where != R_WAIT))
				continue;
			rcpt_unlink(r);
			rcpt_finalize(r, e.nrcpt == m->nrcpt ? &e : NULL,
			    ENVELOPE_FAILED, "failed", code, dsn, text, NULL);
		}
		envelope_free(&e);
		m->busy--;
		if (m->pending == 0 && m->busy == 0)
			commit_msg_done(m);
	}
}

/* queue_defer - the whole queue waits secs (a 421, a retry rule) */
void
queue_defer(struct queue *q, int64_t secs, const char *why)
{
	time_t at = time(NULL) + secs;

	if (at > q->retry_at) {
		q->retry_at = at;
		log_info("queue %s: deferred for %llds: %s", q->name,
		    (long long)secs, why);
	}
	queue_kick(q);
}

/* queue_kick - run q at the end of this loop iteration */
void
queue_kick(struct queue *q)
{
	if (!ev_timer_pending(&q->timer) || q->timer.when > ev_now(S.ev))
		ev_timer_at(S.ev, &q->timer, ev_now(S.ev));
}

static void
queue_timer(void *arg)
{
	queue_run(arg);
}

/* queue_kick_all - run every queue (a reload, a resume, a schedule) */
void
queue_kick_all(void)
{
	for (struct queue *q = queues; q != NULL; q = q->all_next)
		queue_kick(q);
}

/* queue_resettle - re-resolve every queue's settings after a reload */
void
queue_resettle(void)
{
	S.total_max_smtp_out = global_total();
	for (struct queue *q = queues; q != NULL; q = q->all_next) {
		qset_resolve(q);
		queue_to(q);
	}
	queue_kick_all();
}

/* queue_limit - max-smtp-out of q in its mode */
size_t
queue_limit(const struct queue *q)
{
	int64_t n = q->backoff ? q->set.bo_max_smtp_out :
	    q->set.max_smtp_out;

	return n <= 0 ? 1 : (size_t)n;
}

/*
 * Re-enable q's source addresses whose time has come; true when one
 * may be used.  *at gets the next re-enable time of those still
 * disabled (0: none).
 */
static bool
src_usable(struct queue *q, time_t *at)
{
	time_t now = time(NULL);
	bool ok = false;

	*at = 0;
	for (size_t i = 0; i < q->set.nsrc; i++) {
		struct qsource *c = &q->set.src[i];

		if (c->disabled && c->reenable != 0 && c->reenable <= now) {
			c->disabled = false;
			c->reenable = 0;
			log_info("queue %s: source %s enabled again", q->name,
			    c->addr);
		}
		if (!c->disabled)
			ok = true;
		else if (c->reenable != 0 && (*at == 0 || c->reenable < *at))
			*at = c->reenable;
	}
	return ok || q->set.nsrc == 0;
}

/* Why q may not open another session now: 0 it may, else a reason. */
enum { OPEN_OK, OPEN_QUEUE, OPEN_SHARED, OPEN_RATE, OPEN_WORKER, OPEN_SRC };

static int
may_open(struct queue *q, uint64_t *wait_ms)
{
	uint64_t now_us = ev_now(S.ev) * 1000;
	time_t src_at;

	if (q->nsessions >= queue_limit(q))
		return OPEN_QUEUE;
	if (!src_usable(q, &src_at))
		return OPEN_SRC;	/* queue_run's timer has src_at */
	if ((q->set.vmta_max_smtp_out > 0 && q->v->nsessions >=
	    (size_t)q->set.vmta_max_smtp_out) || (S.total_max_smtp_out > 0 &&
	    S.nsessions >= (size_t)S.total_max_smtp_out))
		return OPEN_SHARED;
	if (worker_count() == 0)
		return OPEN_WORKER;
	if (!rate_take(&q->connect_rate, now_us)) {
		*wait_ms = rate_wait(&q->connect_rate, now_us) / 1000 + 1;
		if (*wait_ms > RATE_MAX_WAIT_MS)
			*wait_ms = RATE_MAX_WAIT_MS;
		return OPEN_RATE;
	}
	return OPEN_OK;
}

static void
block(struct queue *q)
{
	if (q->blocked)
		return;
	q->blocked = true;
	q->blk_next = NULL;
	*blocked_tail = q;
	blocked_tail = &q->blk_next;
}

/* slots_freed - a session ended: let the queues that waited for one in */
void
slots_freed(void)
{
	struct queue *q = blocked;

	blocked = NULL;
	blocked_tail = &blocked;
	for (; q != NULL; q = q->blk_next) {
		q->blocked = false;
		queue_kick(q);
	}
}

/* queue_any_blocked - does a queue wait for a vmta or global slot? */
bool
queue_any_blocked(void)
{
	return blocked != NULL;
}

static void
close_idle(struct queue *q)
{
	struct session *s, *next;

	for (s = q->sessions; s != NULL; s = next) {
		next = s->qnext;
		if (s->state == S_IDLE)
			worker_close(s);
	}
}

static void
arm(struct queue *q, time_t at)
{
	uint64_t now = ev_now(S.ev);
	time_t t = time(NULL);

	if (at <= 0)
		return;
	ev_timer_at(S.ev, &q->timer, at <= t ? now : now +
	    (uint64_t)(at - t) * 1000);
}

/*
 * Run q: move due recipients to ready, leave backoff when its time has
 * come, feed idle sessions, open sessions for what is left, and arm the
 * timer for the next thing to happen.
 */
static void
queue_run(struct queue *q)
{
	struct session *s, *next;
	time_t now = time(NULL), soonest = 0;
	uint64_t wait_ms = 0;
	struct rcpt *r;
	int64_t qi = q->set.queue_interval;
	time_t src_at = 0;
	int why;

	if (q->fwd != NULL) {
		/* queue-to or a rollup: what is still here goes there */
		queue_move(q, queue_dest(q));
		close_idle(q);
		return;
	}
	if (q->backoff && !q->set.bo_mode && q->set.bo_to_normal !=
	    CONFVAL_NEVER && now - q->backoff_since >= q->set.bo_to_normal) {
		q->backoff = false;
		rate_init(&q->msg_rate, &q->set.msg_rate);
		rate_init(&q->connect_rate, &q->set.connect_rate);
		log_info("queue %s: back to normal mode", q->name);
	}
	/* queue-interval: one retry pass a queue per interval at most */
	if (q->nwait > 0 && q->heap[0]->next_at <= now && (qi <= 0 ||
	    now >= q->examined + qi)) {
		q->examined = now;
		while (q->nwait > 0 && q->heap[0]->next_at <= now) {
			r = q->heap[0];
			heap_remove(q, r);
			if (msg_expired(q, r->m)) {
				r->where = R_BUSY;
				rcpt_expire(r);
			} else
				ready_append(q, r);
		}
	}
	if (q->nwait > 0) {
		soonest = q->heap[0]->next_at;
		if (qi > 0 && soonest < q->examined + qi)
			soonest = q->examined + qi;
	}
	/* a disabled source comes back on time, mail or not */
	(void)src_usable(q, &src_at);
	if (src_at != 0 && (soonest == 0 || src_at < soonest))
		soonest = src_at;
	if (q->paused || q->set.pause || S.stopping || q->retry_at > now ||
	    q->mx_wait) {
		close_idle(q);
		if (!S.stopping && !q->paused && !q->set.pause &&
		    q->retry_at > now && (soonest == 0 ||
		    q->retry_at < soonest))
			soonest = q->retry_at;
		arm(q, soonest);
		return;
	}
	q->retry_at = 0;
	for (s = q->sessions; s != NULL; s = next) {
		next = s->qnext;
		if (s->state == S_IDLE)
			(void)session_next(s);
	}
	while (q->nready > q->nopening + q->nidle) {
		if ((why = may_open(q, &wait_ms)) != OPEN_OK) {
			if (why == OPEN_SHARED)
				block(q);
			else if (why == OPEN_RATE)
				ev_timer_at(S.ev, &q->timer, ev_now(S.ev) +
				    wait_ms);
			break;
		}
		if (worker_open(q) == NULL)
			break;
	}
	if (!ev_timer_pending(&q->timer))
		arm(q, soonest);
	else if (soonest != 0 && q->timer.when > ev_now(S.ev) +
	    (uint64_t)(soonest > now ? soonest - now : 0) * 1000)
		arm(q, soonest);
}

/*
 * queue_hosts - the hosts q's sessions use: smtp-hosts, else a rollup
 * queue's MX hosts, else NULL (the MX hosts of its domain)
 */
const char *
queue_hosts(const struct queue *q)
{
	return q->set.hosts != NULL ? q->set.hosts : q->mx_hosts;
}

static bool
same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * queue_skip_mx - skip-mx: q's sessions leave mail exchanger mx aside
 * for its first retry-after interval
 */
void
queue_skip_mx(struct queue *q, const char *mx)
{
	time_t now = time(NULL);
	struct qskip *k = NULL;
	size_t i;

	if (mx == NULL || *mx == '\0' || strlen(mx) >= sizeof(k->name))
		return;
	if (queue_mx_skipped(q, mx))
		return;
	/* its old slot, else a free one, else the one that ends first */
	for (i = 0; i < q->nskip && k == NULL; i++)
		if (same_host(q->skip[i].name, mx))
			k = &q->skip[i];
	for (i = 0; i < q->nskip && k == NULL; i++)
		if (q->skip[i].until <= now)
			k = &q->skip[i];
	if (k == NULL && q->nskip < QUEUE_MAXSKIP) {
		if (q->skip == NULL && (q->skip = calloc(QUEUE_MAXSKIP,
		    sizeof(*q->skip))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		k = &q->skip[q->nskip++];
	}
	if (k == NULL) {
		k = &q->skip[0];
		for (i = 1; i < q->nskip; i++)
			if (q->skip[i].until < k->until)
				k = &q->skip[i];
	}
	(void)strlcpy(k->name, mx, sizeof(k->name));
	k->until = now + queue_retry_interval(q, 1);
	log_info("queue %s: skip-mx: %s left aside for %llds", q->name, mx,
	    (long long)(k->until - now));
}

/* queue_mx_skipped - is mx left aside by skip-mx? */
bool
queue_mx_skipped(const struct queue *q, const char *mx)
{
	time_t now = time(NULL);

	if (mx == NULL)
		return false;
	for (size_t i = 0; i < q->nskip; i++)
		if (q->skip[i].until > now && same_host(q->skip[i].name, mx))
			return true;
	return false;
}

/*
 * queue_skip_list - the mail exchangers q skips, comma-separated in
 * buf (as many as fit), or NULL if none
 */
const char *
queue_skip_list(const struct queue *q, char *buf, size_t len)
{
	time_t now = time(NULL);
	size_t n = 0, k;

	for (size_t i = 0; i < q->nskip; i++) {
		if (q->skip[i].until <= now)
			continue;
		k = strlen(q->skip[i].name);
		if (n + k + 2 > len)
			break;
		if (n > 0)
			buf[n++] = ',';
		memcpy(buf + n, q->skip[i].name, k);
		n += k;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/*
 * queue_src_disable - disable-source-ip: q stops using source address
 * src for secs (0: reenable-source-ip-after); true when another of its
 * sources is still usable
 */
bool
queue_src_disable(struct queue *q, const char *src, int64_t secs)
{
	time_t now = time(NULL);
	bool other = false;

	if (secs == 0)
		secs = q->set.reenable_src;
	for (size_t i = 0; i < q->set.nsrc; i++) {
		struct qsource *c = &q->set.src[i];

		if (src == NULL || strcmp(c->addr, src) != 0) {
			if (!c->disabled)
				other = true;
			continue;
		}
		if (c->disabled)
			continue;
		c->disabled = true;
		c->reenable = secs <= 0 || secs == CONFVAL_NEVER ? 0 :
		    now + (time_t)secs;
		if (c->reenable == 0)
			log_info("queue %s: source %s disabled", q->name,
			    c->addr);
		else
			log_info("queue %s: source %s disabled for %llds",
			    q->name, c->addr, (long long)secs);
	}
	return other;
}

/* queue_src_disabled - is source address src disabled in q? */
bool
queue_src_disabled(const struct queue *q, const char *src)
{
	if (src == NULL)
		return false;
	for (size_t i = 0; i < q->set.nsrc; i++)
		if (q->set.src[i].disabled && strcmp(q->set.src[i].addr, src) ==
		    0)
			return true;
	return false;
}

/* queue_match - does q match the pattern of admin.h? */
bool
queue_match(const struct queue *q, const char *pat)
{
	const char *slash;
	size_t dl;

	if (pat == NULL || strcmp(pat, "*") == 0 || *pat == '\0')
		return true;
	if ((slash = strchr(pat, '/')) == NULL)
		return strcasecmp(q->domain, pat) == 0;
	dl = (size_t)(slash - pat);
	if (!(dl == 1 && pat[0] == '*') && (strlen(q->domain) != dl ||
	    strncasecmp(q->domain, pat, dl) != 0))
		return false;
	return strcmp(slash + 1, "*") == 0 ||
	    strcasecmp(slash + 1, q->vmta) == 0;
}

/* sched_init - the scheduler's timers */
void
sched_init(void)
{
	ev_timer_init(&sweep_timer, sweep, NULL);
	S.total_max_smtp_out = global_total();
}
