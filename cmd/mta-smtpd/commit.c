/*
 * commit - group commit across sessions, on threads of their own.
 *
 * A message whose end arrived is written to its spool file at once
 * (submit.c) and its session waits in the pending group.  The group
 * goes to a commit thread as soon as one is free, and one spool_commit()
 * makes all its messages durable with one sync.  While that sync runs
 * the event loop keeps serving the other sessions, whose messages gather
 * in the next group: the groups are pipelined, and their size follows
 * the time a sync takes, with no window to tune.  COMMIT_THREADS groups
 * may be in flight at once, so that a device that takes flushes in
 * parallel gets them.  A message that finds a thread free waits at most
 * COMMIT_WINDOW milliseconds for company, unless no other session could
 * bring any.
 *
 * A thread touches only the group handed to it (writers, by
 * spool_commit) and reports through an eventfd(2) read by the loop,
 * which then answers each session 250 with its queue ids, or, when the
 * commit failed, 452 4.3.1 (disk full) or 451 4.3.0: all or none,
 * nothing is left half-written in new/.  A session that goes away while
 * its message is being committed leaves the writers to the group.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"
#include "spool.h"

#ifndef COMMIT_THREADS
#define COMMIT_THREADS	2	/* groups in flight at once */
#endif
#ifndef COMMIT_WINDOW
#define COMMIT_WINDOW	1	/* ms a message waits for company */
#endif

/* One message of a group: its session (NULL once gone), its writers. */
struct entry {
	struct session	*s;
	struct submit_out out;
};

struct group {
	struct group	*next;		/* in todo or done */
	struct entry	*e;
	size_t		 n;
	int		 rc;		/* spool_commit's */
	uint64_t	 us;		/* how long it took */
	int		 err;		/* its errno */
	char		 text[512];	/* its error */
};

struct commit {
	struct smtpd	*srv;
	struct ev_timer	 timer;
	struct session	*pending;	/* the next group, newest first */
	size_t		 npending;
	int		 efd;		/* a thread's "done" */
	pthread_t	 thread[COMMIT_THREADS];
	size_t		 nthreads;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct group	*todo;		/* handed to the threads (a stack) */
	struct group	*done;		/* back from them */
	/* the loop's view: todo, being committed, or done and not yet
	   answered */
	struct group	*inflight[COMMIT_THREADS];
	size_t		 ninflight;
	size_t		 inflight_msgs;
	bool		 stop;
};

static struct commit cm;

static uint64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void *
run(void *arg)
{
	struct group *g;
	struct spool_writer **ws;
	uint64_t t0;
	size_t n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&cm.mu);
		while (cm.todo == NULL && !cm.stop)
			pthread_cond_wait(&cm.cv, &cm.mu);
		if ((g = cm.todo) != NULL)
			cm.todo = g->next;
		pthread_mutex_unlock(&cm.mu);
		if (g == NULL)
			return NULL;
		n = 0;
		for (size_t i = 0; i < g->n; i++)
			n += g->e[i].out.n;
		if ((ws = reallocarray(NULL, n > 0 ? n : 1, sizeof(*ws))) ==
		    NULL) {
			g->rc = -1;
			g->err = ENOMEM;
			(void)strlcpy(g->text, "out of memory",
			    sizeof(g->text));
		} else {
			n = 0;
			for (size_t i = 0; i < g->n; i++)
				for (size_t k = 0; k < g->e[i].out.n; k++)
					ws[n++] = g->e[i].out.w[k];
			t0 = now_us();
			g->rc = n == 0 ? 0 : spool_commit(cm.srv->spool, ws,
			    n, g->text, sizeof(g->text));
			g->err = errno;
			g->us = now_us() - t0;
			free(ws);
		}
		pthread_mutex_lock(&cm.mu);
		g->next = cm.done;
		cm.done = g;
		pthread_mutex_unlock(&cm.mu);
		(void)eventfd_write(cm.efd, 1);
	}
}

/* Hand the pending messages to a commit thread, if one is free. */
static void
dispatch(void)
{
	struct group *g;
	struct session *s;
	size_t i;

	ev_timer_stop(cm.srv->ev, &cm.timer);
	if (cm.pending == NULL || cm.ninflight == cm.nthreads)
		return;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->e = reallocarray(NULL, cm.npending, sizeof(*g->e))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	/* oldest first, so that the replies go out in arrival order */
	i = cm.npending;
	for (s = cm.pending; s != NULL; s = s->next_pending) {
		g->e[--i].s = s;
		g->e[i].out = s->qout;
		s->qout.n = 0;
		s->in_commit = true;
	}
	g->n = cm.npending;
	while ((s = cm.pending) != NULL) {
		cm.pending = s->next_pending;
		s->next_pending = NULL;
	}
	cm.npending = 0;
	cm.inflight[cm.ninflight++] = g;
	cm.inflight_msgs += g->n;
	pthread_mutex_lock(&cm.mu);
	g->next = cm.todo;
	cm.todo = g;
	pthread_cond_signal(&cm.cv);
	pthread_mutex_unlock(&cm.mu);
}

static void
free_group(struct group *g)
{
	for (size_t i = 0; i < g->n; i++)
		submit_abort(&g->e[i].out);	/* frees committed ones too */
	free(g->e);
	free(g);
}

/* The answers to the sessions of g, whose commit is over. */
static void
answer(struct group *g)
{
	char reply[80];
	struct session *s;

	for (size_t i = 0; i < cm.ninflight; i++)
		if (cm.inflight[i] == g) {
			cm.inflight[i] = cm.inflight[--cm.ninflight];
			break;
		}
	cm.inflight_msgs -= g->n;
	if (g->rc == -1) {
		log_warn("commit of %zu messages: %s", g->n, g->text);
		(void)strlcpy(reply, g->err == ENOSPC || g->err == EDQUOT ?
		    "452 4.3.1 Insufficient system storage" :
		    "451 4.3.0 Error: queue file write error", sizeof(reply));
	} else {
		cm.srv->committed += g->n;
		cm.srv->commits++;
		cm.srv->commit_us += g->us;
	}
	for (size_t i = 0; i < g->n; i++) {
		if ((s = g->e[i].s) == NULL)
			continue;
		g->e[i].s = NULL;
		s->in_commit = false;
		session_committed(s, g->rc, reply, &g->e[i].out);
	}
	free_group(g);
}

/* A thread is done: answer the sessions of the groups it committed. */
static void
on_done(int fd, unsigned what, void *arg)
{
	struct group *g, *next;
	eventfd_t v;

	(void)what;
	(void)arg;
	(void)eventfd_read(fd, &v);
	pthread_mutex_lock(&cm.mu);
	g = cm.done;
	cm.done = NULL;
	pthread_mutex_unlock(&cm.mu);
	for (; g != NULL; g = next) {
		next = g->next;
		answer(g);
	}
	/* what came meanwhile has waited long enough: it goes now */
	dispatch();
}

static void
on_timer(void *arg)
{
	(void)arg;
	dispatch();
}

/* commit_init - start the commit thread; no message waits */
void
commit_init(struct smtpd *srv)
{
	sigset_t all, old;
	int e;

	memset(&cm, 0, sizeof(cm));
	cm.srv = srv;
	ev_timer_init(&cm.timer, on_timer, NULL);
	if ((cm.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    ev_fd_add(srv->ev, cm.efd, EV_READ, on_done, NULL) == -1)
		die_sys(EX_OSERR, "eventfd");
	pthread_mutex_init(&cm.mu, NULL);
	pthread_cond_init(&cm.cv, NULL);
	/* signals are the loop's (signalfd): the thread blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; i < COMMIT_THREADS; i++) {
		if ((e = pthread_create(&cm.thread[i], NULL, run, NULL)) !=
		    0) {
			errno = e;
			die_sys(EX_OSERR, "commit thread");
		}
		cm.nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * commit_stop - wait for the group being committed, if any, and stop
 * the thread (its sessions are gone: nobody is answered)
 */
void
commit_stop(void)
{
	struct group *g, *next;

	pthread_mutex_lock(&cm.mu);
	cm.stop = true;
	pthread_cond_broadcast(&cm.cv);
	pthread_mutex_unlock(&cm.mu);
	for (size_t i = 0; i < cm.nthreads; i++)
		(void)pthread_join(cm.thread[i], NULL);
	/* every group was committed: todo is empty */
	for (g = cm.done; g != NULL; g = next) {
		next = g->next;
		cm.srv->committed += g->rc == 0 ? g->n : 0;
		free_group(g);
	}
	cm.todo = cm.done = NULL;
	cm.ninflight = 0;
	ev_fd_del(cm.srv->ev, cm.efd);
	(void)close(cm.efd);
}

/* commit_add - s's message joins the next group */
void
commit_add(struct session *s)
{
	struct smtpd *srv = s->srv;

	s->next_pending = cm.pending;
	cm.pending = s;
	cm.npending++;
	if (cm.ninflight == cm.nthreads)
		return;		/* it goes when a thread is back */
	if (cm.npending + cm.inflight_msgs >= srv->nsessions)
		dispatch();	/* nobody else could join */
	else if (!ev_timer_pending(&cm.timer))
		ev_timer_start(srv->ev, &cm.timer, COMMIT_WINDOW);
}

/* commit_forget - s goes away: its message is not answered */
void
commit_forget(struct session *s)
{
	struct session **pp;

	if (s->in_commit) {
		/* the thread has its writers: the group frees them */
		for (size_t k = 0; k < cm.ninflight; k++)
			for (size_t i = 0; i < cm.inflight[k]->n; i++)
				if (cm.inflight[k]->e[i].s == s)
					cm.inflight[k]->e[i].s = NULL;
		s->in_commit = false;
		return;
	}
	for (pp = &cm.pending; *pp != NULL; pp = &(*pp)->next_pending)
		if (*pp == s) {
			*pp = s->next_pending;
			cm.npending--;
			break;
		}
	s->next_pending = NULL;
	submit_abort(&s->qout);
}
