/*
 * single - one message on standard input, as sendmail(8) reads it: to
 * the end of the input, or to a line holding only "." unless -i.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "inject.h"
#include "log.h"
#include "spool.h"

/* Read all of fd 0, at most max bytes (then one more, to see "too big"). */
static int
read_input(struct buf *b, size_t max, bool dot_ends)
{
	char chunk[65536];
	ssize_t n;
	size_t line = 0;	/* where the current line starts */

	for (;;) {
		if ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if (buf_append(b, chunk, (size_t)n) == -1)
			return -1;
		/* A line "." or ".\r" ends the message; it is not part of it. */
		for (size_t i = b->len - (size_t)n; dot_ends && i < b->len;
		    i++) {
			if (b->p[i] != '\n')
				continue;
			if ((i - line == 1 && b->p[line] == '.') ||
			    (i - line == 2 && b->p[line] == '.' &&
			    b->p[line + 1] == '\r')) {
				b->len = line;
				return 0;
			}
			line = i + 1;
		}
		/* Only now: what follows the "." does not count. */
		if (b->len > max)
			return 0;	/* the caller says "too big" */
	}
}

/* inject_single - commit the message on stdin; print its queue id(s) */
int
inject_single(struct inject *in)
{
	struct buf data = BUF_INIT;
	struct submit_out out;
	char err[512];

	if (read_input(&data, in->sub.maxsize, in->dot_ends) == -1)
		die_sys(EX_NOINPUT, "reading the message");
	if (data.len == 0)
		die(EX_NOINPUT, "empty message");
	if (submit_message(&in->sub, &in->env, data.p, data.len, &out, err,
	    sizeof(err)) == -1)
		die(inject_exit_code(errno), "%s", err);
	buf_free(&data);
	if (spool_commit(in->sub.spool, out.w, out.n, err, sizeof(err)) ==
	    -1) {
		int save = errno;

		submit_abort(&out);
		die(inject_exit_code(save), "%s", err);
	}
	for (size_t i = 0; i < out.n; i++) {
		printf("%s%s", i > 0 ? " " : "", spool_writer_qid(out.w[i]));
		spool_writer_free(out.w[i]);
	}
	printf("\n");
	if (fflush(stdout) == EOF)
		die_sys(EX_IOERR, "writing the queue id");
	return 0;
}
