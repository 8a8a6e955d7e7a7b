/*
 * commit - outcomes to the journal, then to the spool, in groups.
 *
 * Every outcome is written to the journal as it arrives; the spool
 * changes it implies (a recipient's state field rewritten, a finished
 * message unlinked) wait in a batch.  A flush makes the journal durable
 * with one sync and only then applies the batch, without syncing the
 * spool: the synced journal is the write-ahead log, and a restart
 * replays it (commit_replay) for messages still in the spool.
 *
 * The sync runs on a thread of its own, so that the loop keeps
 * dispatching while the disk flushes: the batch and the journal's
 * buffered records go to the thread together (journal_sync_take), the
 * next outcomes gather in a new batch, and when the thread reports
 * through an eventfd(2) the loop applies the synced batch.  One sync is
 * in flight at a time; a flush asked for meanwhile starts as soon as it
 * ends, so under load the batches follow the time a sync takes.
 */
#include <sys/eventfd.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "journal.h"
#include "log.h"
#include "queue.h"

#define COMMIT_MS	20	/* the longest an outcome waits for its sync */
#define COMMIT_MAX	1024	/* outcomes that force a flush */

struct centry {
	struct msg	*m;
	size_t		 off;		/* the state field, 0: none */
	uint32_t	 idx;
	uint32_t	 next, first;
	uint16_t	 attempts;
	uint8_t		 state;
};

struct batch {
	struct centry	*e;
	size_t		 n, cap;
};

/*
 * cur gathers; insync (with the records in recs) is on the thread while
 * busy.  The thread reads only recs and the journal's file, and writes
 * sync_rc and err_text; the mutex orders that against the loop.
 */
static struct batch cur, insync;
static struct buf recs = BUF_INIT;
static struct ev_timer timer;
static bool busy, again;	/* a sync in flight; another wanted */
static bool thread_ok, todo, quit;
static int sync_rc, efd = -1;
static char err_text[512];
static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void start_sync(void);
static void apply(struct batch *);

static void
flush_cb(void *arg)
{
	(void)arg;
	ev_timer_stop(S.ev, &timer);
	if (busy)
		again = true;
	else
		start_sync();
}

/* The sync thread: one journal_sync_buf() per batch handed to it. */
static void *
sync_thread(void *arg)
{
	uint64_t one = 1;
	char err[512];
	int r;

	(void)arg;
	for (;;) {
		(void)pthread_mutex_lock(&mu);
		while (!todo && !quit)
			(void)pthread_cond_wait(&cv, &mu);
		if (!todo) {
			(void)pthread_mutex_unlock(&mu);
			return NULL;
		}
		(void)pthread_mutex_unlock(&mu);
		r = journal_sync_buf(S.journal, &recs, err, sizeof(err));
		(void)pthread_mutex_lock(&mu);
		todo = false;
		sync_rc = r;
		if (r == -1)
			(void)strlcpy(err_text, err, sizeof(err_text));
		(void)pthread_mutex_unlock(&mu);
		(void)write(efd, &one, sizeof(one));
	}
}

/* The thread is done with a batch: apply it, start the next if due. */
static void
synced_cb(int fd, unsigned events, void *arg)
{
	uint64_t n;
	bool done;
	int r;

	(void)events;
	(void)arg;
	(void)read(fd, &n, sizeof(n));
	(void)pthread_mutex_lock(&mu);
	done = !todo;
	r = sync_rc;
	(void)pthread_mutex_unlock(&mu);
	if (!busy || !done)
		return;
	if (r == -1)
		die(EX_TEMPFAIL, "journal: %s", err_text);
	busy = false;
	apply(&insync);
	if (again || cur.n >= COMMIT_MAX) {
		again = false;
		start_sync();
	}
}

/* Start the sync thread; false: the syncs run on the loop. */
static bool
thread_start(void)
{
	sigset_t all, old;
	bool ok;

	if ((efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return false;
	if (ev_fd_add(S.ev, efd, EV_READ, synced_cb, NULL) == -1) {
		(void)close(efd);
		efd = -1;
		return false;
	}
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&thread, NULL, sync_thread, NULL) == 0;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ok) {
		ev_fd_del(S.ev, efd);
		(void)close(efd);
		efd = -1;
	}
	return ok;
}

/* commit_init - open the journal */
int
commit_init(void)
{
	char err[512];

	ev_timer_init(&timer, flush_cb, NULL);
	if (remove_start() == -1)
		log_warn("cannot start the remove threads: removing inline");
	if ((S.journal = journal_open(S.spooldir, err, sizeof(err))) == NULL) {
		log_warn("journal: %s", err);
		return -1;
	}
	if (!(thread_ok = thread_start()))
		log_warn("cannot start the journal sync thread: syncing on "
		    "the loop");
	return 0;
}

static const char *
action_of(const char *type)
{
	if (strcmp(type, "delivered") == 0)
		return "relayed";	/* RFC 3464: handed to the next MTA */
	if (strcmp(type, "deferred") == 0 || strcmp(type, "delayed") == 0)
		return "delayed";
	return "failed";
}

/*
 * what the envelope says of recipient i (i < e->nrcpt), its header
 * fields into hdr (room for JOURNAL_MAXHDR)
 */
static void
from_envelope(struct journal_outcome *o, const struct envelope *e, size_t i,
    struct journal_header *hdr)
{
	o->orig = e->from.p != NULL ? e->from.p : "";
	o->rcpt = e->rcpt[i].addr.p != NULL ? e->rcpt[i].addr.p : "";
	o->orcpt = e->rcpt[i].orcpt.len > 0 ? e->rcpt[i].orcpt.p : NULL;
	o->notify = e->rcpt[i].notify.len > 0 ? e->rcpt[i].notify.p : NULL;
	o->envid = e->envid.len > 0 ? e->envid.p : NULL;
	o->ret = e->ret.len > 0 ? e->ret.p : NULL;
	o->job = e->job.len > 0 ? e->job.p : NULL;
	/* "smtp 192.0.2.9" from mta-smtpd, else mta-inject's */
	if (e->source.len > 5 && strncmp(e->source.p, "smtp ", 5) == 0) {
		o->src_type = "smtp";
		o->src_mta = e->source.p + 5;
	} else
		o->src_type = "pickup";
	for (size_t k = 0; k < e->nhdr && k < JOURNAL_MAXHDR; k++) {
		hdr[k].name = e->hdr[k].name.p;
		hdr[k].value = e->hdr[k].value.p;
	}
	o->hdr = hdr;
	o->nhdr = e->nhdr < JOURNAL_MAXHDR ? e->nhdr : JOURNAL_MAXHDR;
}

static double
now_logged(void)
{
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* the journal has records to sync: a flush within COMMIT_MS */
static void
commit_soon(void)
{
	if (!ev_timer_pending(&timer))
		ev_timer_start(S.ev, &timer, COMMIT_MS);
}

/*
 * journal_received - journal a "received" record for each recipient of
 * a message taken from new/ (PowerMTA's r records), before msg_add()
 * so that they come before its outcomes; only when some <acct-file>
 * takes r records, since they double the journal's records
 */
void
journal_received(const struct envelope *e)
{
	struct journal_outcome o;
	struct journal_header hdr[JOURNAL_MAXHDR];
	double now = now_logged();

	if (!S.receipts)
		return;
	for (size_t i = 0; i < e->nrcpt; i++) {
		memset(&o, 0, sizeof(o));
		o.type = "received";
		o.logged = now;
		o.queued = e->time;
		o.id = e->id.p;
		o.n = (unsigned)i;
		from_envelope(&o, e, i, hdr);
		o.vmta = e->vmta.len > 0 ? e->vmta.p : NULL;
		o.size = e->size;
		if (journal_write(S.journal, &o) == -1)
			die_sys(EX_TEMPFAIL, "journal: write");
	}
	if (e->nrcpt > 0)
		commit_soon();
}

/*
 * journal_queue_deferred - journal that queue q could not be reached
 * (PowerMTA's tq record): one record per failed connection, with what
 * the session knew of the server it tried (s may be NULL)
 */
void
journal_queue_deferred(const struct queue *q, const struct session *s,
    int code, const char *dsn, const char *text)
{
	struct journal_outcome o;
	char diag[1100];

	memset(&o, 0, sizeof(o));
	o.type = "qdeferred";
	o.logged = now_logged();
	o.vmta = q->vmta;
	o.queue = q->name;
	if (s != NULL) {
		o.src = s->src;
		o.mx = s->mx;
		o.mx_ip = s->ip;
		o.port = s->port;
	}
	o.code = code;
	o.dsn_action = "delayed";
	o.dsn_status = dsn != NULL && *dsn != '\0' ? dsn : NULL;
	if (code != 0)
		(void)snprintf(diag, sizeof(diag), "smtp;%d %s", code,
		    text != NULL ? text : "");
	else
		(void)snprintf(diag, sizeof(diag), "x-mta;%s",
		    text != NULL ? text : "");
	o.dsn_diag = diag;
	if (journal_write(S.journal, &o) == -1)
		die_sys(EX_TEMPFAIL, "journal: write");
	commit_soon();
}

/*
 * journal_outcome_write - journal one outcome of recipient i of m; e
 * (the envelope read again) and s (the session) may be NULL
 */
void
journal_outcome_write(const char *type, const struct msg *m,
    const struct envelope *e, size_t i, const struct rcpt *r, int code,
    const char *dsn, const char *text, const struct session *s)
{
	struct journal_outcome o;
	struct journal_header hdr[JOURNAL_MAXHDR];
	char diag[1100];

	memset(&o, 0, sizeof(o));
	o.type = type;
	o.logged = now_logged();
	o.queued = m->queued;
	o.first = r->first;
	o.id = m->id;
	o.n = (unsigned)i;
	o.attempts = r->attempts;
	o.rcpt = "";
	if (e != NULL && i < e->nrcpt)
		from_envelope(&o, e, i, hdr);
	o.vmta = m->vmta;
	o.pool = m->pool;
	o.queue = r->q != NULL ? r->q->name : NULL;
	if (s != NULL) {
		o.src = s->src;
		o.mx = s->mx;
		o.mx_ip = s->ip;
		o.port = s->port;
		o.ext = s->ext;
		o.tls = s->tls;
		o.tls_cipher = s->cipher;
	}
	o.size = m->size;
	o.code = code;
	o.dsn_action = action_of(type);
	o.dsn_status = dsn != NULL && *dsn != '\0' ? dsn : NULL;
	if (text == NULL)
		text = "";
	if (dsn == NULL || (*dsn != '\0' && strncmp(text, dsn,
	    strlen(dsn)) == 0))
		dsn = "";	/* the text has it already */
	if (code != 0)
		(void)snprintf(diag, sizeof(diag), "smtp;%d %s%s%s", code,
		    dsn, *dsn != '\0' ? " " : "", text);
	else
		(void)snprintf(diag, sizeof(diag), "x-mta;%s", text);
	o.dsn_diag = diag;
	if (strcmp(type, "failed") == 0 || strcmp(type, "expired") == 0)
		o.bounce_cat = bounce_category(type, code, o.dsn_status, text);
	if (journal_write(S.journal, &o) == -1)
		die_sys(EX_TEMPFAIL, "journal: write");
	if (S.verbose)
		log_info("%s id=%s n=%zu queue=%s code=%d dsn=%s", type, m->id,
		    i, o.queue != NULL ? o.queue : "", code,
		    o.dsn_status != NULL ? o.dsn_status : "");
}

/*
 * commit_add - after the next journal sync, write this state into
 * recipient idx of m (at file offset off; 0: nothing to write)
 */
void
commit_add(struct msg *m, uint32_t idx, uint8_t state, uint16_t attempts,
    uint32_t next, uint32_t first, size_t off)
{
	struct centry *b;
	size_t cap;

	if (cur.n == cur.cap) {
		cap = cur.cap == 0 ? 256 : cur.cap * 2;
		if ((b = reallocarray(cur.e, cap, sizeof(*b))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		cur.e = b;
		cur.cap = cap;
	}
	cur.e[cur.n++] = (struct centry){ m, off, idx, next, first,
	    attempts, state };
	m->busy++;
	commit_soon();
	if (cur.n >= COMMIT_MAX)
		ev_timer_at(S.ev, &timer, ev_now(S.ev));
}

/* commit_msg_done - m is finished: its file goes (remove.c), forget it */
void
commit_msg_done(struct msg *m)
{
	if (!m->gone)
		remove_add(m->id);
	msg_release(m);
}

static int
open_msg(const struct msg *m)
{
	char path[PATH_MAX];
	int fd;

	if (spool_path(S.spool, m->id, path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		log_warn_sys("%s: open", path);
	return fd;
}

/* apply - write the states of a synced batch into the spool, empty it */
static void
apply(struct batch *bt)
{
	struct envelope_rcpt er;
	struct msg *fdm = NULL;
	int fd = -1;

	for (size_t i = 0; i < bt->n; i++) {
		struct centry *c = &bt->e[i];
		struct msg *m = c->m;

		if (m->pending > 0 && c->off != 0 && !m->gone) {
			if (fdm != m) {
				if (fd != -1)
					(void)close(fd);
				fd = open_msg(m);
				fdm = m;
			}
			memset(&er, 0, sizeof(er));
			er.state = c->state;
			er.attempts = c->attempts;
			er.next = c->next;
			er.first = c->first;
			er.off = c->off;
			if (fd != -1 && envelope_rcpt_write(fd, &er) == -1)
				log_warn_sys("%s: recipient %u: write", m->id,
				    c->idx);
		}
		if (--m->busy == 0 && m->pending == 0) {
			if (fdm == m) {
				if (fd != -1)
					(void)close(fd);
				fd = -1;
				fdm = NULL;
			}
			commit_msg_done(m);
		}
	}
	if (fd != -1)
		(void)close(fd);
	bt->n = 0;
}

/*
 * start_sync - hand the gathered batch and the journal's records to the
 * sync thread (or, without one, sync and apply them here)
 */
static void
start_sync(void)
{
	struct batch t;
	char err[512];

	ev_timer_stop(S.ev, &timer);
	/* receipts and queue failures need a sync, and change nothing */
	if (cur.n == 0 && journal_pending(S.journal) == 0)
		return;
	bounce_flush();		/* DSNs durable before the failures are */
	if (!thread_ok) {
		if (journal_sync(S.journal, err, sizeof(err)) == -1)
			die(EX_TEMPFAIL, "journal: %s", err);
		apply(&cur);
		return;
	}
	t = insync;
	insync = cur;
	cur = t;
	journal_sync_take(S.journal, &recs);
	busy = true;
	(void)pthread_mutex_lock(&mu);
	todo = true;
	(void)pthread_cond_signal(&cv);
	(void)pthread_mutex_unlock(&mu);
}

/*
 * commit_flush - sync the journal, then apply every batch to the spool,
 * before returning (at the stop); the sync thread ends
 */
void
commit_flush(void)
{
	uint64_t n;

	ev_timer_stop(S.ev, &timer);
	if (thread_ok) {
		(void)pthread_mutex_lock(&mu);
		quit = true;
		(void)pthread_cond_signal(&cv);
		(void)pthread_mutex_unlock(&mu);
		(void)pthread_join(thread, NULL);
		thread_ok = false;
		ev_fd_del(S.ev, efd);
		(void)read(efd, &n, sizeof(n));
		(void)close(efd);
		efd = -1;
		if (busy) {
			if (sync_rc == -1)
				die(EX_TEMPFAIL, "journal: %s", err_text);
			busy = false;
			apply(&insync);
		}
	}
	start_sync();		/* no thread now: syncs and applies here */
}

/* Replay: final outcomes of the journal for messages still queued. */
struct replay {
	struct msg	**touched;
	size_t		 n, cap;
	size_t		 records, applied;
};

/* A delay notice went: its recipient's period is not notified again. */
static int
replay_delayed(const struct proto_rec *rec)
{
	struct journal_outcome o;
	struct msg *m;
	struct rcpt *r;
	char err[256];

	if (journal_read_outcome(rec, &o, err, sizeof(err)) == -1 ||
	    (m = msg_byid(o.id)) == NULL || o.n >= m->nrcpt)
		return 0;
	r = &m->rcpt[o.n];
	if (o.logged > r->delayed_at && o.logged < UINT32_MAX)
		r->delayed_at = (uint32_t)o.logged;
	return 0;
}

static int
replay_rec(const struct proto_rec *rec, void *arg)
{
	struct replay *rp = arg;
	const char *v = rec->verb, *id;
	struct msg *m, **t;
	struct rcpt *r;
	long long n;
	int state;

	rp->records++;
	if (strcmp(v, "delayed") == 0)
		return replay_delayed(rec);
	if (strcmp(v, "delivered") == 0)
		state = ENVELOPE_DELIVERED;
	else if (strcmp(v, "failed") == 0)
		state = ENVELOPE_FAILED;
	else if (strcmp(v, "expired") == 0)
		state = ENVELOPE_EXPIRED;
	else
		return 0;
	if ((id = proto_get(rec, "id")) == NULL || (m = msg_byid(id)) ==
	    NULL || proto_get_num(rec, "n", 0, (long long)m->nrcpt - 1,
	    &n) == -1)
		return 0;
	r = &m->rcpt[n];
	if (r->where == R_FINAL)
		return 0;
	rcpt_unlink(r);
	r->where = R_FINAL;
	r->state = (uint8_t)state;
	m->pending--;
	S.nrcpts--;
	r->q->nrcpt--;
	rp->applied++;
	for (size_t i = 0; i < rp->n; i++)
		if (rp->touched[i] == m)
			return 0;
	if (rp->n == rp->cap) {
		rp->cap = rp->cap == 0 ? 64 : rp->cap * 2;
		if ((t = reallocarray(rp->touched, rp->cap, sizeof(*t))) ==
		    NULL)
			die(EX_TEMPFAIL, "out of memory");
		rp->touched = t;
	}
	rp->touched[rp->n++] = m;
	return 0;
}

static void
replay_warn(const char *msg, void *arg)
{
	(void)arg;
	log_warn("journal: %s", msg);
}

/* Write the replayed states of m into its file. */
static void
replay_apply(struct msg *m)
{
	struct envelope e;
	char err[512];
	int fd;

	if (m->pending == 0) {
		commit_msg_done(m);
		return;
	}
	if (msg_read(m, &e, err, sizeof(err)) == -1) {
		log_warn("%s", err);
		return;
	}
	if ((fd = open_msg(m)) != -1) {
		for (uint32_t i = 0; i < m->nrcpt; i++) {
			if (m->rcpt[i].where != R_FINAL ||
			    e.rcpt[i].state != ENVELOPE_PENDING)
				continue;
			e.rcpt[i].state = m->rcpt[i].state;
			if (envelope_rcpt_write(fd, &e.rcpt[i]) == -1)
				log_warn_sys("%s: write", m->id);
		}
		(void)close(fd);
	}
	envelope_free(&e);
}

/*
 * commit_replay - apply the journal's final outcomes to the messages
 * loaded from the spool, so that no recipient already final is sent
 * again; 0, or -1
 */
int
commit_replay(void)
{
	struct replay rp = { NULL, 0, 0, 0, 0 };
	char err[512];
	int rc;

	rc = journal_walk(S.spooldir, replay_rec, replay_warn, &rp, err,
	    sizeof(err));
	if (rc == -1) {
		log_warn("journal: %s", err);
		free(rp.touched);
		return -1;
	}
	for (size_t i = 0; i < rp.n; i++)
		replay_apply(rp.touched[i]);
	if (rp.applied > 0)
		log_info("journal: %zu records read, %zu recipients final "
		    "from it, %zu messages", rp.records, rp.applied, rp.n);
	free(rp.touched);
	return 0;
}
