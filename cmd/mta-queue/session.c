/*
 * session - one SMTP session of a queue, as the scheduler sees it: what
 * the worker's answers (session, rcpt, done, closed) do to the queue
 * and its recipients, and which transaction goes next.
 *
 * A session sends one transaction at a time: the recipients of one
 * message in its queue, at most max-rcpt-per-transaction of them; it
 * closes when its queue has had nothing ready for SESSION_LINGER_MS
 * (no linger starts while another queue waits for a shared slot, and
 * one under way ends at its session's next look), when
 * max-msg-per-connection is reached, or when the queue pauses or waits
 * for a retry.  The linger keeps the sessions of a queue fed by the
 * intake, a few hundred messages at a time, from closing and opening
 * again between two hand-overs.
 *
 * While a transaction is in flight, the session may be given the next
 * one (s->next) when its server offers PIPELINING and nothing would
 * hold the session back: the worker sends its MAIL, RCPT and DATA right
 * behind the current message's final "." (RFC 2920 3.1), sparing a
 * round trip and a read and a write on each side a message.  Its
 * answers follow those of the current one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "queue.h"
#include "rx.h"

#define SESSION_LINGER_MS	100	/* an idle session waits for more */

static void
set_state(struct session *s, int state)
{
	struct queue *q = s->q;

	if (s->state == S_OPENING)
		q->nopening--;
	else if (s->state == S_IDLE)
		q->nidle--;
	s->state = state;
	if (state == S_OPENING)
		q->nopening++;
	else if (state == S_IDLE)
		q->nidle++;
}

static char *
dup_val(const struct proto_rec *rec, const char *key)
{
	const char *v = proto_get(rec, key);
	char *p;

	if (v == NULL || *v == '\0')
		return NULL;
	if ((p = strdup(v)) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	return p;
}

static int
get_code(const struct proto_rec *rec)
{
	long long v;

	if (proto_get_num(rec, "code", 0, 999, &v) == -1)
		return 0;
	return (int)v;
}

static const char *
get_str(const struct proto_rec *rec, const char *key)
{
	const char *v = proto_get(rec, key);

	return v != NULL ? v : "";
}

static void
enter_backoff(struct queue *q, const char *why)
{
	q->backoff_since = time(NULL);
	if (q->backoff)
		return;
	q->backoff = true;
	rate_init(&q->msg_rate, &q->set.bo_msg_rate);
	rate_init(&q->connect_rate, &q->set.bo_connect_rate);
	log_info("queue %s: backoff mode: %s", q->name, why);
}

static void
leave_backoff(struct queue *q, const char *why)
{
	if (!q->backoff || q->set.bo_mode)
		return;
	q->backoff = false;
	rate_init(&q->msg_rate, &q->set.msg_rate);
	rate_init(&q->connect_rate, &q->set.connect_rate);
	log_info("queue %s: normal mode: %s", q->name, why);
}

/* The <smtp-pattern-list> rule that the last reply_check matched. */
static const struct conf_reply_rule *matched;

/*
 * reply_check - apply q's reply rules to one SMTP reply: the
 * retry-after CODE MATCH DELAY rules of its <domain>, then the first
 * matching "reply" of its <smtp-pattern-list>.  *bounce_rcpt and
 * *bounce_queue tell the caller what to do with the recipients.
 */
void
reply_check(struct queue *q, int code, const char *dsn, const char *text,
    bool *bounce_rcpt, bool *bounce_queue)
{
	const struct conf_directive *d;
	const struct conf_reply_rule *rule;
	char line[1200];
	int n;

	*bounce_rcpt = *bounce_queue = false;
	matched = NULL;
	if (code == 0 && *text == '\0')
		return;
	for (size_t i = 0; i < q->set.nrules; i++) {
		const struct conf_retry_rule *rr = q->set.rules[i];

		if (rr->code == code && (strstr(dsn, rr->match) != NULL ||
		    strstr(text, rr->match) != NULL)) {
			queue_defer(q, rr->delay, text);
			break;
		}
	}
	if (q->set.patterns == NULL)
		return;
	if (code != 0)
		n = snprintf(line, sizeof(line), "%d %s%s%s", code, dsn,
		    *dsn != '\0' ? " " : "", text);
	else
		n = snprintf(line, sizeof(line), "%s", text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	for (d = conf_block_next(q->set.patterns, NULL, CONF_REPLY); d != NULL;
	    d = conf_block_next(q->set.patterns, d, CONF_REPLY)) {
		rule = d->obj;
		if (rule == NULL || rx_match(rule->rx, line, (size_t)n) <= 0)
			continue;
		matched = rule;
		if (rule->actions & CONF_ACT_BACKOFF)
			enter_backoff(q, line);
		if (rule->actions & CONF_ACT_NORMAL)
			leave_backoff(q, line);
		if (rule->actions & CONF_ACT_BOUNCE_RCPT)
			*bounce_rcpt = true;
		if (rule->actions & CONF_ACT_BOUNCE_QUEUE)
			*bounce_queue = true;
		if (rule->actions & CONF_ACT_DEFER_QUEUE)
			queue_defer(q, queue_retry_interval(q, ++q->fails),
			    line);
		break;
	}
}

/*
 * After reply_check: the skip-mx and disable-source-ip of the rule it
 * matched, for mail exchanger mx and source address src.  True when
 * the mail should go again at once, by another mail exchanger or from
 * another source, rather than wait for a retry.
 */
static bool
reply_route(struct queue *q, const char *mx, const char *src)
{
	bool again = false;

	if (matched == NULL)
		return false;
	if ((matched->actions & CONF_ACT_SKIP_MX) && mx != NULL &&
	    *mx != '\0') {
		queue_skip_mx(q, mx);
		again = true;
	}
	if ((matched->actions & CONF_ACT_DISABLE_SRC) && src != NULL &&
	    *src != '\0') {
		if (queue_src_disable(q, src, matched->reenable_after))
			again = true;
		else if (q->set.bo_no_src)
			enter_backoff(q, "every source address disabled");
	}
	return again;
}

static void
txn_free(struct txn *t)
{
	envelope_free(&t->env);
	free(t->idx);
	free(t->got);
	free(t);
}

/*
 * The recipients of t that got no answer go back to their queue, not
 * counted as an attempt: the session died under them.
 */
static void
txn_abandon(struct session *s, struct txn *t)
{
	struct msg *m = t->m;
	struct rcpt *r;

	for (size_t k = 0; k < t->n; k++) {
		if (t->got[k])
			continue;
		r = &m->rcpt[t->idx[k]];
		t->got[k] = true;
		s->q->nbusy--;
		rcpt_defer(r, &t->env, false, 0, "", "", s);
		m->busy--;
	}
	if (m->pending == 0 && m->busy == 0)
		commit_msg_done(m);
	txn_free(t);
}

/* Forget a message whose file went away or cannot be read. */
static void
msg_drop(struct msg *m)
{
	struct rcpt *r;

	for (uint32_t i = 0; i < m->nrcpt; i++) {
		r = &m->rcpt[i];
		if (r->where == R_FINAL)
			continue;
		rcpt_unlink(r);
		r->where = R_FINAL;
		m->pending--;
		S.nrcpts--;
		r->q->nrcpt--;
	}
	if (m->busy == 0)
		msg_release(m);
	else
		m->gone = true;
}

/*
 * The next transaction of q: the ready recipients of the message at the
 * head of its ready list, those in a suppression list failed instead;
 * NULL when none is left to send.
 */
static struct txn *
txn_make(struct queue *q)
{
	struct rcpt *r = q->ready_head;
	struct msg *m = r->m;
	const struct supp_src *src;
	struct txn *t;
	char err[512];
	size_t n = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->idx = calloc(m->nrcpt, sizeof(*t->idx))) == NULL ||
	    (t->got = calloc(m->nrcpt, sizeof(*t->got))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	t->m = m;
	if (envcache_take(m, &t->env) == -1 &&
	    msg_read(m, &t->env, err, sizeof(err)) == -1) {
		log_warn("%s: %s; dropped from the queue", m->id, err);
		msg_drop(m);
		txn_free(t);
		return NULL;
	}
	src = supp_source(&t->env);
	for (uint32_t i = 0; i < m->nrcpt && n < (size_t)q->set.max_rcpt;
	    i++) {
		r = &m->rcpt[i];
		if (r->q != q || r->where != R_READY)
			continue;
		rcpt_unlink(r);
		if (!supp_refused(r, &t->env, src))
			t->idx[n++] = i;
	}
	if (n == 0) {
		txn_free(t);
		return NULL;
	}
	t->n = n;
	m->busy += (uint32_t)n;
	q->nbusy += n;
	return t;
}

/* Whether s may take no more transactions: it is to close. */
static bool
session_held(const struct session *s)
{
	const struct queue *q = s->q;
	int64_t limit = q->backoff ? q->set.bo_max_msg_per_conn :
	    q->set.max_msg_per_conn;

	return S.stopping || q->paused || q->set.pause ||
	    q->retry_at > time(NULL) || (limit > 0 && s->nmsg >= limit) ||
	    q->nsessions > queue_limit(q) || q->fwd != NULL ||
	    queue_mx_skipped(q, s->mx) || queue_src_disabled(q, s->src);
}

/*
 * Give busy session s the transaction after its current one, when it
 * can pipeline it and one is ready that no idle session of the queue
 * could take now.  Not under a max-msg-rate: the next one leaves when
 * the current one is sent, which may be long after its turn under the
 * rate, and would then crowd the one that came in its own turn.
 */
static void
session_prefetch(struct session *s)
{
	struct queue *q = s->q;
	struct txn *t = NULL;

	if (s->txn == NULL || s->next != NULL || q->nready == 0 ||
	    q->nidle > 0 || !q->msg_rate.unlimited || !s->pipelines ||
	    session_held(s) ||
	    (q->ready_head != NULL && msg_expired(q, q->ready_head->m)))
		return;
	while (t == NULL && q->nready > 0)
		t = txn_make(q);
	if (t == NULL)
		return;
	log_debug("queue %s: session %llu: %s, %zu recipients, next",
	    q->name, (unsigned long long)s->sid, t->m->id, t->n);
	s->next = t;
	s->nmsg++;
	worker_send_msg(s, t);
}

/*
 * session_next - give idle session s its next transaction; false when
 * s was closed instead (nothing ready, limits reached)
 */
bool
session_next(struct session *s)
{
	struct queue *q = s->q;
	uint64_t now_us = ev_now(S.ev) * 1000;
	struct txn *t;

	if (session_held(s)) {
		worker_close(s);
		queue_kick(q);
		return false;
	}
	if (s->linger_until != 0) {
		if (q->nready == 0 && ev_now(S.ev) < s->linger_until &&
		    !queue_any_blocked()) {
			if (!ev_timer_pending(&s->timer))
				ev_timer_at(S.ev, &s->timer, s->linger_until);
			return true;
		}
		/* more is ready, or the linger is over */
		s->linger_until = 0;
		ev_timer_stop(S.ev, &s->timer);
		if (q->nready == 0) {
			worker_close(s);
			return false;
		}
	}
	if (ev_timer_pending(&s->timer))
		return true;
	if (q->ready_head != NULL && msg_expired(q, q->ready_head->m)) {
		queue_kick(q);	/* the run expires it */
		return true;
	}
	if (q->nready == 0) {
		if (!queue_any_blocked()) {
			s->linger_until = ev_now(S.ev) + SESSION_LINGER_MS;
			ev_timer_start(S.ev, &s->timer, SESSION_LINGER_MS);
			return true;
		}
		worker_close(s);
		return false;
	}
	if (!rate_take(&q->msg_rate, now_us)) {
		uint64_t wait = rate_wait(&q->msg_rate, now_us) / 1000 + 1;

		ev_timer_start(S.ev, &s->timer, wait > 60000 ? 60000 : wait);
		return true;
	}
	t = NULL;
	while (t == NULL && q->nready > 0)
		t = txn_make(q);
	if (t == NULL) {
		worker_close(s);
		return false;
	}
	log_debug("queue %s: session %llu: %s, %zu recipients, at %llu ms",
	    q->name, (unsigned long long)s->sid, t->m->id, t->n,
	    (unsigned long long)ev_now(S.ev));
	s->txn = t;
	s->nmsg++;
	set_state(s, S_BUSY);
	worker_send_msg(s, t);
	session_prefetch(s);
	return true;
}

/* The msg-rate wait of an idle session is over. */
void
session_timer(void *arg)
{
	struct session *s = arg;

	if (s->state == S_IDLE)
		(void)session_next(s);
}

/* session_ok - the worker opened the session */
void
session_ok(struct session *s, const struct proto_rec *rec)
{
	long long port;

	s->mx = dup_val(rec, "mx");
	s->ip = dup_val(rec, "ip");
	s->src = dup_val(rec, "src");
	s->ext = dup_val(rec, "ext");
	s->pipelines = worker_pipelines(s, s->ext);
	s->tls = dup_val(rec, "tls");
	s->cipher = dup_val(rec, "cipher");
	if (proto_get_num(rec, "port", 0, 65535, &port) == 0)
		s->port = (unsigned)port;
	s->q->fails = 0;
	set_state(s, S_IDLE);
	if (session_next(s))
		queue_kick(s->q);
}

/* session_failed - the worker could not open the session */
void
session_failed(struct session *s, const struct proto_rec *rec)
{
	struct queue *q = s->q;
	const char *status = get_str(rec, "status");
	const char *dsn = get_str(rec, "dsn"), *text = get_str(rec, "text");
	int code = get_code(rec);
	bool brcpt, bqueue;
	char why[300];

	log_info("queue %s: session %s: %d %s %s", q->name, status, code, dsn,
	    text);
	session_free(s);
	if (strcmp(status, "fail") == 0) {
		queue_fail_all(q, code, *dsn != '\0' ? dsn : "5.0.0", text);
		return;
	}
	reply_check(q, code, dsn, text, &brcpt, &bqueue);
	if (bqueue || brcpt) {
		queue_fail_all(q, code, dsn, text);
		return;
	}
	/* no server took the connection: the session knew none */
	journal_queue_deferred(q, NULL, code, dsn, text);
	if (reply_route(q, proto_get(rec, "mx"), proto_get(rec, "src"))) {
		queue_kick(q);
		return;
	}
	if (code != 0)
		(void)snprintf(why, sizeof(why), "%d %s %s", code, dsn, text);
	else
		(void)snprintf(why, sizeof(why), "%s", text);
	(void)strlcpy(q->last_error, why, sizeof(q->last_error));
	q->fails++;
	queue_defer(q, queue_retry_interval(q, q->fails), why);
	queue_delay_notices(q, code, dsn, text);
}

/* session_rcpt - the result of one recipient of the transaction */
void
session_rcpt(struct session *s, const struct proto_rec *rec)
{
	struct txn *t = s->txn;
	struct queue *q = s->q;
	const char *status = get_str(rec, "status");
	const char *dsn = get_str(rec, "dsn"), *text = get_str(rec, "text");
	int code = get_code(rec);
	long long n;
	size_t k;
	struct rcpt *r;
	int64_t retry, max_tries;
	bool brcpt, bqueue, delivered, failed;
	int act;

	if (t == NULL || proto_get_num(rec, "n", 0, t->m->nrcpt - 1, &n) ==
	    -1 || strcmp(get_str(rec, "id"), t->m->id) != 0) {
		log_warn("queue %s: rcpt record for no transaction: ignored",
		    q->name);
		return;
	}
	for (k = 0; k < t->n && (t->idx[k] != n || t->got[k]); k++)
		;
	if (k == t->n) {
		log_warn("queue %s: %s: result for recipient %lld not sent",
		    q->name, t->m->id, n);
		return;
	}
	t->got[k] = true;
	t->answered++;
	r = &t->m->rcpt[n];
	reply_check(q, code, dsn, text, &brcpt, &bqueue);
	delivered = strcmp(status, "delivered") == 0;
	failed = strcmp(status, "failed") == 0 || brcpt || bqueue;
	act = delivered ? BA_NONE : bounce_action(failed ? ENVELOPE_FAILED :
	    ENVELOPE_PENDING, code, dsn, text, r->attempts + 1u, &retry,
	    &max_tries);
	/* retries end at max-tries; a reply pattern's bounce stands */
	if (act == BA_RETRY && (brcpt || bqueue || (max_tries > 0 &&
	    r->attempts + 1 >= max_tries)))
		act = BA_BOUNCE;
	if (delivered)
		rcpt_finalize(r, &t->env, ENVELOPE_DELIVERED, "delivered",
		    code, dsn, text, s);
	else if (act == BA_RETRY)
		rcpt_defer_after(r, &t->env, true, retry, code, dsn, text, s);
	else if (failed || act == BA_BOUNCE)
		rcpt_finalize(r, &t->env, ENVELOPE_FAILED, "failed", code,
		    dsn, text, s);
	else
		rcpt_defer(r, &t->env, !reply_route(q, s->mx, s->src), code,
		    dsn, text, s);
	t->m->busy--;
	q->nbusy--;
	if (bqueue)
		queue_fail_all(q, code, dsn, text);
}

/*
 * session_done - the transaction is over; the next one already sent is
 * the session's now, else the session is idle again
 */
void
session_done(struct session *s)
{
	struct txn *t = s->txn;

	if (t == NULL)
		return;
	s->txn = s->next;
	s->next = NULL;
	txn_abandon(s, t);
	if (s->txn != NULL) {
		session_prefetch(s);
		return;
	}
	set_state(s, S_IDLE);
	(void)session_next(s);
}

/* The transactions of s that got no answer go back to their queue. */
static void
session_abandon(struct session *s)
{
	if (s->txn != NULL)
		txn_abandon(s, s->txn);
	if (s->next != NULL)
		txn_abandon(s, s->next);
	s->txn = s->next = NULL;
}

/* session_closed - the session ended on its own (or after close) */
void
session_closed(struct session *s, const struct proto_rec *rec)
{
	struct queue *q = s->q;
	const char *reason = get_str(rec, "reason");
	const char *dsn = get_str(rec, "dsn"), *text = get_str(rec, "text");
	int code = get_code(rec);
	bool brcpt, bqueue;
	char mx[256], src[64];

	(void)snprintf(mx, sizeof(mx), "%s", s->mx != NULL ? s->mx : "");
	(void)snprintf(src, sizeof(src), "%s", s->src != NULL ? s->src : "");
	if (strcmp(reason, "quit") != 0)
		log_info("queue %s: session closed: %s %d %s %s", q->name,
		    reason, code, dsn, text);
	session_abandon(s);
	if (strcmp(reason, "421") == 0 || code == 421)
		journal_queue_deferred(q, s, code, dsn, text);
	session_free(s);
	if (strcmp(reason, "421") == 0 || code == 421) {
		reply_check(q, code, dsn, text, &brcpt, &bqueue);
		(void)snprintf(q->last_error, sizeof(q->last_error),
		    "%d %s %s", code, dsn, text);
		/* a matching retry-after rule has set its own delay */
		if (!reply_route(q, mx, src) && q->retry_at <= time(NULL))
			queue_defer(q, queue_retry_interval(q, ++q->fails),
			    q->last_error);
	}
	queue_kick(q);
}

/* session_lost - the worker of s died */
void
session_lost(struct session *s)
{
	struct queue *q = s->q;

	session_abandon(s);
	session_free(s);
	queue_kick(q);
}
