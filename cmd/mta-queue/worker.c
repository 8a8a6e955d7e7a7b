/*
 * worker - the mta-deliver processes: spawning, restarting, and the
 * deliver/1 records both ways (mta-deliver(8), mta-queue(8) PROTOCOL).
 *
 * Each worker is a socketpair on its fd 0 and 1.  Both ends are
 * non-blocking; output is buffered and written when the socket takes
 * it, so the scheduler never blocks on a worker.  The records of one
 * loop iteration (the next transactions of every session whose answers
 * came in one read) leave in one write(2), from a timer of 0 ms that
 * runs after the iteration's events: one wakeup of the worker, not one
 * a record.  A worker that dies takes its sessions with it: their
 * unanswered recipients go back to their queues without counting an
 * attempt, and the worker is started again after a delay that doubles
 * up to WORKER_MAX_BACKOFF.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "proto.h"
#include "queue.h"
#include "verp.h"

#define WORKER_MAX_BACKOFF	30000	/* ms */
#define WORKER_STABLE		60	/* s alive before backoff resets */
#define SID_BUCKETS		4096
#define VERP_KEY_RETRY		60	/* s before a failed key load again */

struct worker {
	int		 n;
	pid_t		 pid;
	int		 fd;
	bool		 ready;		/* said hello */
	bool		 pipeline;	/* takes a msg behind a msg */
	struct proto_reader rd;
	struct buf	 out;
	size_t		 sessions;
	unsigned	 backoff_ms;
	time_t		 started;
	struct ev_timer	 restart;
	struct ev_timer	 flush;		/* 0 ms: write what is buffered */
};

static struct worker *workers;
static size_t nworkers;
static struct session *sids[SID_BUCKETS];
static uint64_t next_sid = 1;
static char deliver_path[PATH_MAX];
static struct proto_rec rec;	/* large: one, reused */

static void worker_spawn(struct worker *);
static void worker_input(int, unsigned, void *);

/* Where mta-deliver is: $MTA_DELIVER, else next to this program. */
static int
find_deliver(void)
{
	const char *env = getenv("MTA_DELIVER");
	char self[PATH_MAX - 64], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		if (strlcpy(deliver_path, env, sizeof(deliver_path)) >=
		    sizeof(deliver_path))
			return -1;
		return 0;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(deliver_path, sizeof(deliver_path),
	    "%s/../mta-deliver/mta-deliver", self);
	if (access(deliver_path, X_OK) == 0)
		return 0;
	(void)snprintf(deliver_path, sizeof(deliver_path), "%s/mta-deliver",
	    self);
	return 0;
}

/* Write what the worker's socket takes; watch for room for the rest. */
static void
flush_now(struct worker *w)
{
	ssize_t n;

	ev_timer_stop(S.ev, &w->flush);
	if (w->fd == -1)
		return;
	while (w->out.len > 0) {
		n = write(w->fd, w->out.p, w->out.len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return;	/* the read side sees the end */
		}
		memmove(w->out.p, w->out.p + n, w->out.len - (size_t)n);
		w->out.len -= (size_t)n;
	}
	(void)ev_fd_set(S.ev, w->fd, EV_READ | (w->out.len > 0 ? EV_WRITE :
	    0));
}

static void
flush_cb(void *arg)
{
	flush_now(arg);
}

/* The records buffered go at the end of this loop iteration. */
static void
flush(struct worker *w)
{
	if (!ev_timer_pending(&w->flush))
		ev_timer_start(S.ev, &w->flush, 0);
}

/* Records to a worker: begin, add keys, end. */
static size_t
rec_begin(struct worker *w, const char *verb)
{
	size_t start = w->out.len;

	if (proto_begin(&w->out, verb) == -1)
		die(EX_TEMPFAIL, "out of memory");
	return start;
}

static void
rec_add(struct worker *w, const char *k, const char *v)
{
	if (v != NULL && proto_add(&w->out, k, v) == -1)
		die(EX_TEMPFAIL, "out of memory");
}

static void
rec_num(struct worker *w, const char *k, long long v)
{
	if (proto_add_num(&w->out, k, v) == -1)
		die(EX_TEMPFAIL, "out of memory");
}

static void
rec_end(struct worker *w, size_t start)
{
	if (proto_end(&w->out, start) == -1)
		log_warn("worker %d: record too long: not sent", w->n);
}

/* worker_start_all - start n workers */
int
worker_start_all(size_t n)
{
	if (find_deliver() == -1)
		return -1;
	if ((workers = calloc(n, sizeof(*workers))) == NULL)
		return -1;
	nworkers = n;
	for (size_t i = 0; i < n; i++) {
		workers[i].n = (int)i;
		workers[i].fd = -1;
		workers[i].backoff_ms = 1000;
		ev_timer_init(&workers[i].restart,
		    (ev_timer_cb *)worker_spawn, &workers[i]);
		ev_timer_init(&workers[i].flush, flush_cb, &workers[i]);
		worker_spawn(&workers[i]);
	}
	return 0;
}

static void
worker_spawn(struct worker *w)
{
	char *argv[6];
	sigset_t none;
	int sv[2], argc = 0;
	size_t st;

	if (S.stopping)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		goto retry;
	argv[argc++] = "mta-deliver";
	if (S.confpath != NULL) {
		argv[argc++] = "-C";
		argv[argc++] = (char *)S.confpath;
	}
	if (S.verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	switch (w->pid = fork()) {
	case -1:
		(void)close(sv[0]);
		(void)close(sv[1]);
		goto retry;
	case 0:
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGPIPE, SIG_DFL);
		if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1)
			_exit(EX_OSERR);
		execv(deliver_path, argv);
		log_warn_sys("worker: exec %s", deliver_path);
		_exit(EX_OSERR);
	}
	(void)close(sv[1]);
	w->fd = sv[0];
	w->ready = false;
	w->sessions = 0;
	w->started = time(NULL);
	buf_reset(&w->out);
	proto_reader_init(&w->rd, w->fd);
	if (fcntl(w->fd, F_SETFL, O_NONBLOCK) == -1 ||
	    ev_fd_add(S.ev, w->fd, EV_READ, worker_input, w) == -1)
		die_sys(EX_OSERR, "worker %d", w->n);
	st = rec_begin(w, "hello");
	rec_add(w, "proto", "deliver/1");
	rec_end(w, st);
	flush(w);
	log_debug("worker %d: started %s pid %ld", w->n, deliver_path,
	    (long)w->pid);
	return;

retry:
	log_warn_sys("worker %d: cannot start", w->n);
	ev_timer_start(S.ev, &w->restart, w->backoff_ms);
}

/* The worker's pipe ended or failed: its sessions are lost. */
static void
worker_gone(struct worker *w, const char *why)
{
	struct session *s, *next;

	if (w->fd == -1)
		return;
	if (!S.stopping)
		log_warn("worker %d (pid %ld): %s", w->n, (long)w->pid, why);
	ev_fd_del(S.ev, w->fd);
	ev_timer_stop(S.ev, &w->flush);
	(void)close(w->fd);
	w->fd = -1;
	w->ready = false;
	for (size_t b = 0; b < SID_BUCKETS; b++)
		for (s = sids[b]; s != NULL; s = next) {
			next = s->hnext;
			if (s->w == w)
				session_lost(s);
		}
	if (S.stopping)
		return;
	if (time(NULL) - w->started >= WORKER_STABLE)
		w->backoff_ms = 1000;
	ev_timer_start(S.ev, &w->restart, w->backoff_ms);
	if (w->backoff_ms < WORKER_MAX_BACKOFF)
		w->backoff_ms *= 2;
}

/* worker_reap - collect exited workers (SIGCHLD) */
void
worker_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < nworkers; i++) {
			if (workers[i].pid != pid)
				continue;
			workers[i].pid = 0;
			if (!S.stopping || status != 0)
				log_info("worker %zu: pid %ld exited, status "
				    "%d", i, (long)pid, WIFEXITED(status) ?
				    WEXITSTATUS(status) : 128 +
				    WTERMSIG(status));
			worker_gone(&workers[i], "exited");
		}
}

/* worker_alive - workers with a process */
size_t
worker_alive(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			n++;
	return n;
}

/* worker_txns - sessions with a transaction in flight */
size_t
worker_txns(void)
{
	size_t n = 0;

	for (size_t b = 0; b < SID_BUCKETS; b++)
		for (struct session *s = sids[b]; s != NULL; s = s->hnext)
			if (s->txn != NULL)
				n++;
	return n;
}

/* session_find - the session of a sid, or NULL */
struct session *
session_find(uint64_t sid)
{
	struct session *s;

	for (s = sids[sid % SID_BUCKETS]; s != NULL; s = s->hnext)
		if (s->sid == sid)
			return s;
	return NULL;
}

/* session_free - forget s (its transaction already settled) */
void
session_free(struct session *s)
{
	struct session **p = &sids[s->sid % SID_BUCKETS];
	struct queue *q = s->q;

	while (*p != s)
		p = &(*p)->hnext;
	*p = s->hnext;
	if (s->qprev != NULL)
		s->qprev->qnext = s->qnext;
	else
		q->sessions = s->qnext;
	if (s->qnext != NULL)
		s->qnext->qprev = s->qprev;
	if (s->state == S_OPENING)
		q->nopening--;
	else if (s->state == S_IDLE)
		q->nidle--;
	q->nsessions--;
	q->v->nsessions--;
	S.nsessions--;
	s->w->sessions--;
	ev_timer_stop(S.ev, &s->timer);
	free(s->mx);
	free(s->ip);
	free(s->src);
	free(s->ext);
	free(s->tls);
	free(s->cipher);
	free(s);
	slots_freed();
}

static struct worker *
least_loaded(void)
{
	struct worker *best = NULL;

	for (size_t i = 0; i < nworkers; i++)
		if (workers[i].ready && (best == NULL ||
		    workers[i].sessions < best->sessions))
			best = &workers[i];
	return best;
}

/*
 * session_record - the session record of q on w's output; false when it
 * is over PROTO_MAXLINE (a long smtp-hosts list): nothing was written
 */
static bool
session_record(struct worker *w, struct queue *q, uint64_t sid,
    const struct qsource *src)
{
	const char *helo;
	char skip[1024];
	size_t st;

	helo = src != NULL && src->helo != NULL ? src->helo : q->set.helo;
	st = rec_begin(w, "session");
	rec_num(w, "sid", (long long)sid);
	rec_add(w, "queue", q->name);
	rec_add(w, "domain", q->domain);
	rec_add(w, "helo", helo != NULL ? helo : "localhost");
	if (src != NULL)
		rec_add(w, "src", src->addr);
	rec_add(w, "hosts", queue_hosts(q));
	rec_add(w, "skip", queue_skip_list(q, skip, sizeof(skip)));
	if (q->set.port > 0 && q->set.port != 25)
		rec_num(w, "port", q->set.port);
	rec_add(w, "tls", q->set.tls);
	if (q->set.no_pipelining)
		rec_add(w, "pipelining", "0");
	rec_num(w, "connect-timeout", q->set.connect_timeout);
	rec_num(w, "greeting-timeout", q->set.greeting_timeout);
	rec_num(w, "command-timeout", q->set.command_timeout);
	rec_num(w, "data-timeout", q->set.data_timeout);
	return proto_end(&w->out, st) == 0;
}

/*
 * worker_open - ask the least loaded worker for a session of q; NULL
 * when no worker runs, or when q's session record cannot be sent (the
 * queue is then deferred, and says why)
 */
struct session *
worker_open(struct queue *q)
{
	struct worker *w;
	struct session *s;
	const struct qsource *src = NULL;

	if ((w = least_loaded()) == NULL)
		return NULL;
	for (size_t k = 0; k < q->set.nsrc; k++) {
		const struct qsource *c = &q->set.src[q->src_rr++ %
		    q->set.nsrc];

		if (!c->disabled) {
			src = c;
			break;
		}
	}
	if (!session_record(w, q, next_sid, src)) {
		(void)snprintf(q->last_error, sizeof(q->last_error),
		    "session record over %d bytes (smtp-hosts too long?)",
		    PROTO_MAXLINE);
		log_warn("queue %s: %s", q->name, q->last_error);
		queue_defer(q, queue_retry_interval(q, ++q->fails),
		    q->last_error);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	s->sid = next_sid++;
	s->w = w;
	s->q = q;
	s->state = S_OPENING;
	ev_timer_init(&s->timer, session_timer, s);
	s->hnext = sids[s->sid % SID_BUCKETS];
	sids[s->sid % SID_BUCKETS] = s;
	s->qnext = q->sessions;
	if (q->sessions != NULL)
		q->sessions->qprev = s;
	q->sessions = s;
	q->nsessions++;
	q->nopening++;
	q->v->nsessions++;
	S.nsessions++;
	w->sessions++;
	flush(w);
	return s;
}

/* The spool's VERP key, read or made at first use; NULL if none. */
static const unsigned char *
verp_key(void)
{
	static unsigned char key[VERP_KEYLEN];
	static bool loaded;
	static time_t failed;
	char path[PATH_MAX];
	time_t now = time(NULL);
	int n;

	if (loaded)
		return key;
	if (failed != 0 && now - failed < VERP_KEY_RETRY)
		return NULL;
	n = snprintf(path, sizeof(path), "%s/%s", S.spooldir, VERP_KEYFILE);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		log_warn_sys("%s/%s: VERP senders off", S.spooldir,
		    VERP_KEYFILE);
		failed = now;
		return NULL;
	}
	if (verp_key_load(path, key) == -1) {
		log_warn_sys("%s: VERP senders off for %d s", path,
		    VERP_KEY_RETRY);
		failed = now;
		return NULL;
	}
	loaded = true;
	return key;
}

/*
 * The envelope sender of t: with a bounce-domain, the VERP address of
 * its one recipient (into b), else the message's own.
 */
static const char *
txn_sender(const struct session *s, const struct txn *t, struct buf *b)
{
	const struct envelope *e = &t->env;
	const unsigned char *key;

	if (s->q->set.bounce_domain == NULL || e->from.len == 0 ||
	    t->n != 1 || (key = verp_key()) == NULL)
		return e->from.p;
	if (verp_encode(e->from.p, e->rcpt[t->idx[0]].addr.p,
	    s->q->set.bounce_domain, key, VERP_KEYLEN, b) == -1) {
		log_debug("%s: no VERP sender: %s", t->m->id, strerror(errno));
		return e->from.p;
	}
	return buf_cstr(b);
}

/* worker_send_msg - send transaction t on session s */
void
worker_send_msg(struct session *s, struct txn *t)
{
	struct worker *w = s->w;
	struct envelope *e = &t->env;
	struct buf from = BUF_INIT;
	char path[PATH_MAX];
	size_t st;

	if (spool_path(S.spool, t->m->id, path, sizeof(path)) == -1)
		die_sys(EX_SOFTWARE, "%s: spool path", t->m->id);
	st = rec_begin(w, "msg");
	rec_num(w, "sid", (long long)s->sid);
	rec_add(w, "id", t->m->id);
	rec_add(w, "path", path);
	rec_num(w, "off", t->m->body_off);
	rec_num(w, "size", (long long)t->m->size);
	rec_num(w, "nrcpt", (long long)t->n);
	if (e->from.len > 0)
		rec_add(w, "from", txn_sender(s, t, &from));
	buf_free(&from);
	if (e->envid.len > 0)
		rec_add(w, "envid", buf_cstr(&e->envid));
	if (e->ret.len > 0)
		rec_add(w, "ret", buf_cstr(&e->ret));
	rec_end(w, st);
	for (size_t k = 0; k < t->n; k++) {
		struct envelope_rcpt *r = &e->rcpt[t->idx[k]];

		st = rec_begin(w, "rcpt");
		rec_num(w, "sid", (long long)s->sid);
		rec_add(w, "id", t->m->id);
		rec_num(w, "n", t->idx[k]);
		rec_add(w, "to", buf_cstr(&r->addr));
		if (r->notify.len > 0)
			rec_add(w, "notify", buf_cstr(&r->notify));
		if (r->orcpt.len > 0)
			rec_add(w, "orcpt", buf_cstr(&r->orcpt));
		rec_end(w, st);
	}
	flush(w);
}

/*
 * worker_pipelines - whether s may be sent a transaction behind the one
 * in flight: its worker said it takes one, and the server offers
 * PIPELINING (in ext, the EHLO keywords of its session record), without
 * which it would only wait in the worker
 */
bool
worker_pipelines(const struct session *s, const char *ext)
{
	const char *p = ext;
	size_t n = strlen("PIPELINING");

	if (!s->w->pipeline || p == NULL || s->q->set.no_pipelining)
		return false;
	for (; *p != '\0'; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, "PIPELINING", n) == 0 && (p[n] == '\0' ||
		    p[n] == ','))
			return true;
	return false;
}

/* worker_close - ask the worker to end session s */
void
worker_close(struct session *s)
{
	struct worker *w = s->w;
	size_t st;

	if (s->state == S_CLOSING)
		return;
	if (s->state == S_IDLE)
		s->q->nidle--;
	else if (s->state == S_OPENING)
		s->q->nopening--;
	s->state = S_CLOSING;
	ev_timer_stop(S.ev, &s->timer);
	st = rec_begin(w, "close");
	rec_num(w, "sid", (long long)s->sid);
	rec_end(w, st);
	flush(w);
}

/* worker_quit_all - tell every worker to finish */
void
worker_quit_all(void)
{
	for (size_t i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		ev_timer_stop(S.ev, &w->restart);
		if (w->fd == -1)
			continue;
		rec_end(w, rec_begin(w, "quit"));
		flush_now(w);
	}
}

/* worker_count - workers ready for sessions */
size_t
worker_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nworkers; i++)
		if (workers[i].ready)
			n++;
	return n;
}

static struct session *
rec_session(struct worker *w)
{
	long long sid;
	struct session *s;

	if (proto_get_num(&rec, "sid", 1, LLONG_MAX, &sid) == -1)
		return NULL;
	if ((s = session_find((uint64_t)sid)) == NULL || s->w != w)
		return NULL;
	return s;
}

/* One record from worker w; -1 on a protocol error. */
static int
handle(struct worker *w)
{
	struct session *s = NULL;
	const char *v = rec.verb, *status;

	if (strcmp(v, "hello") == 0) {
		const char *pl = proto_get(&rec, "pipeline");

		w->ready = true;
		w->pipeline = pl != NULL && strcmp(pl, "1") == 0;
		log_debug("worker %d: ready", w->n);
		queue_kick_all();
		return 0;
	}
	if (strcmp(v, "error") == 0) {
		log_warn("worker %d: error: %s", w->n, proto_get(&rec,
		    "text") != NULL ? proto_get(&rec, "text") : "");
		return -1;
	}
	if (strcmp(v, "session") != 0 && strcmp(v, "rcpt") != 0 &&
	    strcmp(v, "done") != 0 && strcmp(v, "closed") != 0) {
		log_warn("worker %d: unknown record \"%s\"", w->n, v);
		return -1;
	}
	if ((s = rec_session(w)) == NULL) {
		log_warn("worker %d: %s record for an unknown session", w->n,
		    v);
		return 0;
	}
	if (strcmp(v, "session") == 0) {
		status = proto_get(&rec, "status");
		if (status != NULL && strcmp(status, "ok") == 0) {
			if (s->state == S_CLOSING)
				return 0;	/* its closed follows */
			session_ok(s, &rec);
		} else
			session_failed(s, &rec);
	} else if (strcmp(v, "rcpt") == 0)
		session_rcpt(s, &rec);
	else if (strcmp(v, "done") == 0)
		session_done(s);
	else
		session_closed(s, &rec);
	return 0;
}

static void
worker_input(int fd, unsigned events, void *arg)
{
	struct worker *w = arg;
	char err[256];
	int rc;

	(void)fd;
	if (events & EV_WRITE)
		flush_now(w);
	if (!(events & (EV_READ | EV_ERROR)))
		return;
	for (;;) {
		rc = proto_read(&w->rd);
		if (rc == -1 && errno == EAGAIN)
			break;
		while ((rc == 1 || w->rd.len > 0) && w->fd != -1) {
			int n = proto_next(&w->rd, &rec, err, sizeof(err));

			if (n == 0)
				break;
			if (n == -1 || handle(w) == -1) {
				if (n == -1)
					log_warn("worker %d: %s", w->n, err);
				worker_gone(w, "protocol error");
				if (w->pid > 0)
					(void)kill(w->pid, SIGTERM);
				return;
			}
		}
		if (rc == 0) {
			worker_gone(w, "end of pipe");
			return;
		}
		if (rc == -1) {
			worker_gone(w, strerror(errno));
			return;
		}
		if (w->rd.drained)
			break;	/* no read only to learn EAGAIN */
	}
}
