/*
 * intake - messages into memory: queue/ once at start, new/ whenever
 * the trigger FIFO wakes us and on a timer as a fallback.
 *
 * The FIFO is opened for reading and also, once, for writing, so that
 * it never reads as end-of-file when the last injector closes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"

#define INTAKE_MS	5000	/* the fallback rescan */
#define INTAKE_BATCH	5000	/* messages a scan takes before yielding */

static int trigger_fd = -1, dummy_fd = -1;
static struct ev_timer timer;

struct ids {
	char	(*id)[SPOOL_QIDLEN + 1];
	size_t	 n, cap;
};

static int
collect(const char *id, void *arg)
{
	struct ids *l = arg;
	void *p;

	if (l->n == INTAKE_BATCH)
		return 1;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		if ((p = reallocarray(l->id, l->cap, sizeof(*l->id))) == NULL)
			return -1;
		l->id = p;
	}
	(void)strlcpy(l->id[l->n++], id, sizeof(l->id[0]));
	return 0;
}

/* Read message id from queue/ into memory. */
static void
load(const char *id)
{
	struct envelope e;
	char err[512];
	size_t off;
	int fd;

	if (msg_find(id) != NULL)
		return;
	envelope_init(&e);
	if (spool_open_msg(S.spool, id, &e, &off, &fd, err, sizeof(err)) ==
	    -1) {
		log_warn("%s", err);
		envelope_free(&e);
		return;
	}
	(void)close(fd);
	(void)msg_add(&e, off);
	envelope_free(&e);
}

static int
load_cb(const char *id, void *arg)
{
	size_t *n = arg;

	load(id);
	(*n)++;
	return 0;
}

/* intake_load_queue - every message of queue/ into memory (at start) */
int
intake_load_queue(void)
{
	size_t n = 0;

	if (spool_scan_queue(S.spool, load_cb, &n) == -1) {
		log_warn_sys("spool %s: scan queue/", S.spooldir);
		return -1;
	}
	log_info("loaded %zu messages, %zu recipients pending", S.nmsgs,
	    S.nrcpts);
	return 0;
}

/* intake_scan - take what new/ holds */
void
intake_scan(void)
{
	struct ids l = { NULL, 0, 0 };
	int rc;

	if (S.stopping)
		return;
	rc = spool_scan_new(S.spool, collect, &l);
	if (rc == -1)
		log_warn_sys("spool %s: scan new/", S.spooldir);
	/* Move the batch, then one fsync per queue/ folder, not per file. */
	for (size_t i = 0; i < l.n; i++) {
		if (spool_take_nosync(S.spool, l.id[i]) == -1) {
			if (errno != ENOENT)
				log_warn_sys("%s: take", l.id[i]);
			l.id[i][0] = '\0';	/* not taken */
		}
	}
	if (spool_sync_taken(S.spool) == -1)
		log_warn_sys("spool %s: queue/: fsync", S.spooldir);
	for (size_t i = 0; i < l.n; i++) {
		if (l.id[i][0] == '\0')
			continue;
		S.injected++;
		load(l.id[i]);
	}
	free(l.id);
	/* more than a batch: go on after the loop has run once */
	ev_timer_start(S.ev, &timer, rc == 1 ? 0 : INTAKE_MS);
}

static void
timer_cb(void *arg)
{
	(void)arg;
	intake_scan();
}

static void
trigger_cb(int fd, unsigned events, void *arg)
{
	char buf[512];

	(void)events;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	intake_scan();
}

/* intake_start - watch the trigger, scan new/ now and on a timer */
int
intake_start(void)
{
	char path[PATH_MAX];
	int n;

	ev_timer_init(&timer, timer_cb, NULL);
	n = snprintf(path, sizeof(path), "%s/trigger", S.spooldir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if ((trigger_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1 || (dummy_fd = open(path, O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		log_warn_sys("%s", path);
		return -1;
	}
	if (ev_fd_add(S.ev, trigger_fd, EV_READ, trigger_cb, NULL) == -1)
		return -1;
	intake_scan();
	return 0;
}
