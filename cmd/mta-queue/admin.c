/*
 * admin - the scheduler's side of the control socket (admin.h): status,
 * queues, pause and resume, backoff, schedule, delete, sources, reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "queue.h"

/* admin_status - the scheduler's counters */
void
admin_status(struct admin_status *st)
{
	size_t nq = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next)
		nq++;
	memset(st, 0, sizeof(*st));
	st->started = S.started;
	st->pid = getpid();
	st->queues = nq;
	st->messages = S.nmsgs;
	st->rcpts = S.nrcpts;
	st->sessions = S.nsessions;
	st->workers = worker_count();
	st->delivered = S.delivered;
	st->deferred = S.deferred;
	st->failed = S.failed;
	st->expired = S.expired;
	st->injected = S.injected;
	st->config = S.confpath;
}

static int
queue_name_cmp(const void *a, const void *b)
{
	const struct queue *const *qa = a, *const *qb = b;

	return strcmp((*qa)->name, (*qb)->name);
}

static void
admin_fill(const struct queue *q, struct admin_queue *a)
{
	static char dis[512];
	size_t n = 0, k;

	memset(a, 0, sizeof(*a));
	dis[0] = '\0';
	for (size_t i = 0; i < q->set.nsrc; i++) {
		if (!q->set.src[i].disabled)
			continue;
		k = strlen(q->set.src[i].addr);
		if (n + k + 2 > sizeof(dis))
			break;
		if (n > 0)
			dis[n++] = ',';
		memcpy(dis + n, q->set.src[i].addr, k + 1);
		n += k;
	}
	a->disabled_src = dis;
	a->forward = q->fwd != NULL ? q->fwd->name : "";
	a->name = q->name;
	a->domain = q->domain;
	a->vmta = q->vmta;
	a->rcpts = q->nrcpt;
	a->bytes = q->bytes;
	a->sessions = q->nsessions;
	a->max_sessions = queue_limit(q);
	a->paused = q->paused || q->set.pause;
	a->backoff = q->backoff;
	a->retry_at = q->retry_at > time(NULL) ? q->retry_at : 0;
	a->oldest = q->nrcpt > 0 ? q->oldest : 0;
	a->delivered = q->delivered;
	a->deferred = q->deferred;
	a->failed = q->failed;
	a->expired = q->expired;
	a->last_error = q->last_error;
}

/*
 * admin_foreach_queue - cb for each queue matching pattern, in name
 * order, until cb returns non-zero; that value, 0, or -1 (no memory)
 */
int
admin_foreach_queue(const char *pattern, admin_queue_cb *cb, void *arg)
{
	struct admin_queue a;
	struct queue **v = NULL, **nv;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next) {
		if (!queue_match(q, pattern))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				return -1;
			}
			v = nv;
		}
		v[n++] = q;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), queue_name_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		admin_fill(v[i], &a);
		rc = cb(&a, arg);
	}
	free(v);
	return rc;
}

/* admin_pause - pause (or resume) the matching queues; how many */
int
admin_pause(const char *pattern, bool pause)
{
	int n = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next)
		if (queue_match(q, pattern)) {
			q->paused = pause;
			queue_kick(q);
			n++;
		}
	if (n > 0)
		log_info("%s %s: %d queues", pause ? "pause" : "resume",
		    pattern != NULL ? pattern : "*", n);
	return n;
}

/* admin_set_backoff - put the matching queues in backoff or normal mode */
int
admin_set_backoff(const char *pattern, bool backoff)
{
	int n = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next) {
		if (!queue_match(q, pattern))
			continue;
		q->backoff = backoff;
		q->backoff_since = time(NULL);
		rate_init(&q->msg_rate, backoff ? &q->set.bo_msg_rate :
		    &q->set.msg_rate);
		rate_init(&q->connect_rate, backoff ?
		    &q->set.bo_connect_rate : &q->set.connect_rate);
		queue_kick(q);
		n++;
	}
	return n;
}

/*
 * admin_schedule - retry the matching queues now: the queue's own wait
 * ends and every waiting recipient is due
 */
int
admin_schedule(const char *pattern)
{
	int n = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next) {
		if (!queue_match(q, pattern))
			continue;
		q->retry_at = 0;
		q->fails = 0;
		for (size_t i = 0; i < q->nwait; i++)
			q->heap[i]->next_at = 0;
		queue_kick(q);
		n++;
	}
	return n;
}

static bool
del_match(const struct admin_delete *d, const struct envelope *e, size_t i)
{
	if (d->rcpt != NULL && strcasecmp(buf_cstr((struct buf *)
	    &e->rcpt[i].addr), d->rcpt) != 0)
		return false;
	if (d->orig != NULL && strcasecmp(buf_cstr((struct buf *)&e->from),
	    d->orig) != 0)
		return false;
	if (d->job != NULL && strcmp(buf_cstr((struct buf *)&e->job),
	    d->job) != 0)
		return false;
	return true;
}

/*
 * admin_delete - fail the waiting and ready recipients that match every
 * given criterion (journaled as failed, "deleted by the operator");
 * recipients in a transaction now are left alone.  How many.
 */
size_t
admin_delete(const struct admin_delete *d)
{
	struct queue *q;
	struct msg **ms = NULL, **p;
	struct envelope e;
	struct rcpt *r;
	size_t nm = 0, cap = 0, n = 0;
	char err[512];

	/* the messages first: finalizing changes the lists walked */
	for (q = queue_first(); q != NULL; q = q->all_next) {
		if (!queue_match(q, d->queue))
			continue;
		for (r = q->ready_head; ; r = r->next) {
			if (r == NULL)
				break;
			if (nm == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((p = reallocarray(ms, cap, sizeof(*p))) ==
				    NULL)
					goto out;
				ms = p;
			}
			ms[nm++] = r->m;
		}
		for (size_t i = 0; i < q->nwait; i++) {
			if (nm == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				if ((p = reallocarray(ms, cap, sizeof(*p))) ==
				    NULL)
					goto out;
				ms = p;
			}
			ms[nm++] = q->heap[i]->m;
		}
	}
	for (size_t k = 0; k < nm; k++) {
		struct msg *m = ms[k];
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = ms[j] == m;
		if (dup || m->pending == 0)
			continue;
		m->busy++;
		if (msg_read(m, &e, err, sizeof(err)) == -1) {
			log_warn("delete: %s", err);
			m->busy--;
			continue;
		}
		for (uint32_t i = 0; i < m->nrcpt; i++) {
			r = &m->rcpt[i];
			if ((r->where != R_READY && r->where != R_WAIT) ||
			    !queue_match(r->q, d->queue) ||
			    !del_match(d, &e, i))
				continue;
			rcpt_unlink(r);
			rcpt_finalize(r, &e, ENVELOPE_FAILED, "failed", 0,
			    "5.0.0", "deleted by the operator", NULL);
			n++;
		}
		envelope_free(&e);
		m->busy--;
	}
out:
	free(ms);
	if (n > 0)
		log_info("delete: %zu recipients", n);
	return n;
}

/* admin_source - disable or enable a source address in every queue */
int
admin_source(const char *addr, bool enable)
{
	int n = 0;

	for (struct queue *q = queue_first(); q != NULL; q = q->all_next)
		for (size_t i = 0; i < q->set.nsrc; i++)
			if (strcmp(q->set.src[i].addr, addr) == 0) {
				/* the operator's word: no re-enable time */
				q->set.src[i].disabled = !enable;
				q->set.src[i].reenable = 0;
				n++;
			}
	return n;
}

/* admin_conf - the config in use */
const struct conf *
admin_conf(void)
{
	return S.conf;
}
