/*
 * pipe - the deliver/1 records between mta-queue and this worker (see
 * mta-deliver(8), PROTOCOL).
 *
 * Records in are read until EAGAIN and handled one by one; records out
 * collect in one buffer that a zero-delay timer writes once per loop
 * iteration, so many answers leave in one write(2).  When the queue
 * stops reading, this side stops reading too rather than grow without
 * bound.  A protocol error is answered with "error" and ends the
 * process: the queue restarts a worker it cannot trust.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "proto.h"

#define OUT_HIGH	(4 * 1024 * 1024)	/* stop reading above this */
#define OUT_LOW		(1024 * 1024)		/* and go on below this */
#define READS_PER_WAKE	64

static void pipe_writable(int, unsigned, void *);

/* pipe_flush_sync - write what is buffered, waiting at most a second */
void
pipe_flush_sync(struct worker *w)
{
	struct pollfd pfd = { w->out_fd, POLLOUT, 0 };
	ssize_t n;
	int tries = 0;

	while (w->out.len > 0 && tries < 10) {
		n = write(w->out_fd, w->out.p, w->out.len);
		if (n > 0) {
			memmove(w->out.p, w->out.p + n, w->out.len - (size_t)n);
			w->out.len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			break;
		(void)poll(&pfd, 1, 100);
		tries++;
	}
	buf_reset(&w->out);
}

static _Noreturn void
protocol_error(struct worker *w, const char *fmt, ...)
{
	char text[512];
	struct buf *b;
	size_t start;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_warn("protocol error: %s", text);
	start = w->out.len;
	b = rec_begin(w, "error");
	proto_add(b, "text", text);
	rec_end(w, start);
	pipe_flush_sync(w);
	exit(EX_PROTOCOL);
}

/* pipe_flush - write what the queue will take; watch for the rest */
void
pipe_flush(struct worker *w)
{
	ssize_t n;

	while (w->out.len > 0) {
		n = write(w->out_fd, w->out.p, w->out.len);
		if (n > 0) {
			/* Usually all of it: then nothing moves. */
			memmove(w->out.p, w->out.p + n, w->out.len - (size_t)n);
			w->out.len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		/* The queue is gone: nobody to deliver for. */
		log_warn_sys("write to mta-queue");
		exit(EX_TEMPFAIL);
	}
	if (w->out.len > 0 && !w->out_wait) {
		if (ev_fd_set(w->ev, w->out_fd, EV_WRITE) == -1)
			die_sys(EX_OSERR, "epoll");
		w->out_wait = true;
	} else if (w->out.len == 0 && w->out_wait) {
		(void)ev_fd_set(w->ev, w->out_fd, 0);
		w->out_wait = false;
	}
	if (w->out.len == 0 && w->out.cap > OUT_LOW)
		buf_free(&w->out);
	if (!w->reading && w->out.len < OUT_LOW) {
		(void)ev_fd_set(w->ev, w->in_fd, EV_READ);
		w->reading = true;
	}
	worker_maybe_exit(w);
}

static void
flush_timer(void *arg)
{
	pipe_flush(arg);
}

static void
pipe_writable(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	pipe_flush(arg);
}

/* rec_begin - start an answer record; give its start to rec_end */
struct buf *
rec_begin(struct worker *w, const char *verb)
{
	if (proto_begin(&w->out, verb) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	return &w->out;
}

/* rec_end - end the record that began at start; write it soon */
void
rec_end(struct worker *w, size_t start)
{
	if (proto_end(&w->out, start) == -1)
		PANIC("record to mta-queue: %s", strerror(errno));
	if (!ev_timer_pending(&w->flush))
		ev_timer_start(w->ev, &w->flush, 0);
	if (w->reading && w->out.len > OUT_HIGH) {
		(void)ev_fd_set(w->ev, w->in_fd, 0);
		w->reading = false;
	}
}

/* rec_text - add key=text, cut to DELIVER_TEXTMAX bytes */
void
rec_text(struct buf *b, const char *key, const char *text)
{
	size_t n = strlen(text);

	if (proto_addn(b, key, text, n < DELIVER_TEXTMAX ? n :
	    DELIVER_TEXTMAX) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
}

/* worker_maybe_exit - after quit or EOF, exit once everything is done */
void
worker_maybe_exit(struct worker *w)
{
	if (!w->quitting || w->nsessions > 0)
		return;
	pipe_flush_sync(w);
	exit(0);
}

static void
do_hello(struct worker *w, const struct proto_rec *r)
{
	const char *v = proto_get(r, "proto");
	struct buf *b;
	size_t start = w->out.len, n = strlen(DELIVER_PROTO);

	if (w->said_hello)
		protocol_error(w, "a second hello");
	if (v == NULL)
		protocol_error(w, "hello without proto");
	/* deliver/1 and any deliver/1.x speak the same records. */
	if (strncmp(v, DELIVER_PROTO, n) != 0 || (v[n] != '\0' &&
	    v[n] != '.')) {
		log_warn("protocol %s not spoken, only %s", v, DELIVER_PROTO);
		b = rec_begin(w, "error");
		proto_add(b, "text", "protocol not spoken: only "
		    DELIVER_PROTO);
		rec_end(w, start);
		pipe_flush_sync(w);
		exit(EX_PROTOCOL);
	}
	w->said_hello = true;
	b = rec_begin(w, "hello");
	proto_add(b, "proto", DELIVER_PROTO);
	proto_add_num(b, "pid", (long long)getpid());
	/* a msg may come for a session with a transaction in flight */
	proto_add(b, "pipeline", "1");
	rec_end(w, start);
}

static struct session *
find(struct worker *w, const struct proto_rec *r, bool must)
{
	struct session *s;
	long long sid;

	if (proto_get_num(r, "sid", 0, LLONG_MAX, &sid) == -1)
		protocol_error(w, "%s: missing or bad sid", r->verb);
	if ((s = session_find(w, sid)) == NULL && must)
		protocol_error(w, "%s: no session %lld", r->verb, sid);
	return s;
}

static void
dispatch(struct worker *w, const struct proto_rec *r)
{
	struct session *s, *next;
	char err[256];

	if (strcmp(r->verb, "hello") == 0) {
		do_hello(w, r);
		return;
	}
	if (!w->said_hello)
		protocol_error(w, "%s before hello", r->verb);
	err[0] = '\0';
	if (strcmp(r->verb, "session") == 0) {
		if (w->quitting)
			protocol_error(w, "session after quit");
		if (session_new(w, r, err, sizeof(err)) == -1)
			protocol_error(w, "session: %s", err);
	} else if (strcmp(r->verb, "msg") == 0) {
		/*
		 * The session may have ended on its own while this record
		 * was on its way: session_msg() answers for a gone one.
		 */
		s = find(w, r, false);
		if (session_msg_record(w, s, r, err, sizeof(err)) == -1)
			protocol_error(w, "msg: %s", err);
	} else if (strcmp(r->verb, "rcpt") == 0) {
		s = find(w, r, true);
		if (session_rcpt(s, r, err, sizeof(err)) == -1)
			protocol_error(w, "rcpt: %s", err);
	} else if (strcmp(r->verb, "close") == 0) {
		/* Gone already: its closed record is on its way. */
		if ((s = find(w, r, false)) != NULL &&
		    session_close(s, err, sizeof(err)) == -1)
			protocol_error(w, "close: %s", err);
	} else if (strcmp(r->verb, "quit") == 0) {
		w->quitting = true;
		for (s = w->all; s != NULL; s = next) {
			next = s->next;
			session_quit(s, true);
		}
		worker_maybe_exit(w);
	} else
		protocol_error(w, "unknown record \"%s\"", r->verb);
}

/* At the end of the queue's records: leave without waiting. */
static void
at_eof(struct worker *w)
{
	struct session *s, *next;

	w->quitting = true;
	for (s = w->all; s != NULL; s = next) {
		next = s->next;
		session_quit(s, false);
	}
	pipe_flush_sync(w);
	exit(0);
}

static void
pipe_readable(int fd, unsigned events, void *arg)
{
	struct worker *w = arg;
	struct proto_rec r;
	char err[256];
	int rc;

	(void)fd;
	(void)events;
	for (int i = 0; i < READS_PER_WAKE && w->reading; i++) {
		if ((rc = proto_read(&w->rd)) == -1) {
			if (errno == EAGAIN)
				return;
			die_sys(EX_TEMPFAIL, "read from mta-queue");
		}
		while ((rc = proto_next(&w->rd, &r, err, sizeof(err))) != 0) {
			if (rc == -1)
				protocol_error(w, "%s", err);
			dispatch(w, &r);
		}
		if (w->rd.eof) {
			if (w->rd.len > 0)
				log_warn("mta-queue ended in a record");
			at_eof(w);
		}
		if (w->rd.drained)
			return;
	}
}

/* pipe_init - read records from in_fd, answer on out_fd */
void
pipe_init(struct worker *w, int in_fd, int out_fd)
{
	int fl;

	w->in_fd = in_fd;
	w->out_fd = out_fd;
	for (int i = 0; i < 2; i++) {
		int fd = i == 0 ? in_fd : out_fd;

		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
			die_sys(EX_OSERR, "fd %d", fd);
	}
	proto_reader_init(&w->rd, in_fd);
	ev_timer_init(&w->flush, flush_timer, w);
	if (ev_fd_add(w->ev, in_fd, EV_READ, pipe_readable, w) == -1)
		die_sys(EX_USAGE, "standard input: not a pipe or socket");
	if (ev_fd_add(w->ev, out_fd, 0, pipe_writable, w) == -1)
		die_sys(EX_USAGE, "standard output: not a pipe or socket");
	w->reading = true;
}
