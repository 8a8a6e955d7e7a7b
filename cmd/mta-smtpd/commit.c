/*
 * commit - group commit across sessions.
 *
 * A message whose end arrived is written to tmp/ at once (submit.c) and
 * its session waits.  The group closes COMMIT_WINDOW milliseconds after
 * its first message, or at once when every session waits (nothing else
 * could join): meanwhile the loop serves the other sessions, whose
 * messages join the group, and one spool_commit() makes them all
 * durable with one sync.  The window costs a client at most that much
 * latency; without it a group holds only the sessions whose "." came in
 * the same loop iteration, a fraction of the sessions, since the others
 * are at MAIL, RCPT or DATA.  Each
 * session then answers 250 with its queue ids, or, when the commit
 * failed, 452 4.3.1 (disk full) or 451 4.3.0: all or none, nothing is
 * left half-written in new/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "smtpd.h"
#include "spool.h"

#define COMMIT_WINDOW	2	/* ms a group stays open */

static void
on_commit(void *arg)
{
	struct smtpd *srv = arg;
	struct session *list = srv->pending, *s, *next;
	struct spool_writer **ws;
	size_t n = 0, nmsg = 0;
	char err[512], reply[600];
	int rc = 0;

	srv->pending = NULL;
	for (s = list; s != NULL; s = s->next_pending)
		n += s->qout.n, nmsg++;
	if ((ws = reallocarray(NULL, n > 0 ? n : 1, sizeof(*ws))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	n = 0;
	for (s = list; s != NULL; s = s->next_pending)
		for (size_t i = 0; i < s->qout.n; i++)
			ws[n++] = s->qout.w[i];
	if (n > 0 && spool_commit(srv->spool, ws, n, err, sizeof(err)) ==
	    -1) {
		int e = errno;

		rc = -1;
		log_warn("commit of %zu messages: %s", nmsg, err);
		if (e == ENOSPC || e == EDQUOT)
			(void)snprintf(reply, sizeof(reply),
			    "452 4.3.1 Insufficient system storage");
		else
			(void)snprintf(reply, sizeof(reply),
			    "451 4.3.0 Error: queue file write error");
	} else
		srv->committed += nmsg;
	free(ws);
	for (s = list; s != NULL; s = next) {
		next = s->next_pending;
		s->next_pending = NULL;
		session_committed(s, rc, reply);
	}
}

/* commit_init - no message waits */
void
commit_init(struct smtpd *srv)
{
	srv->pending = NULL;
	ev_timer_init(&srv->commit_timer, on_commit, srv);
}

/* commit_add - s's message joins the next group */
void
commit_add(struct session *s)
{
	struct smtpd *srv = s->srv;

	size_t n = 1;

	s->next_pending = srv->pending;
	srv->pending = s;
	for (struct session *p = s->next_pending; p != NULL;
	    p = p->next_pending)
		n++;
	if (n >= srv->nsessions)
		ev_timer_start(srv->ev, &srv->commit_timer, 0);
	else if (!ev_timer_pending(&srv->commit_timer))
		ev_timer_start(srv->ev, &srv->commit_timer, COMMIT_WINDOW);
}

/* commit_forget - s goes away: its message is not committed */
void
commit_forget(struct session *s)
{
	struct session **pp;

	for (pp = &s->srv->pending; *pp != NULL; pp = &(*pp)->next_pending)
		if (*pp == s) {
			*pp = s->next_pending;
			break;
		}
	s->next_pending = NULL;
	submit_abort(&s->qout);
}
