/*
 * batch - mta-inject -b: many messages on standard input in batch SMTP
 * (RFC 2442): MAIL FROM, RCPT TO ..., DATA, the dot-stuffed message, ".".
 *
 * Messages are committed in groups (one sync for up to BATCH_MAX), a
 * group closing when it is full, at the end of the input, or before any
 * read that would wait, even inside the next message, so a sender that
 * waits for queue ids is never kept waiting.  One line is printed per
 * message, in input order: its queue id(s), or "error: N: reason" for
 * message number N.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "inject.h"
#include "log.h"
#include "spool.h"

#define BATCH_MAX	64
#define LINE_MAX_BSMTP	4096	/* a command line; DATA lines are longer */
#define RCPT_MAX	1000

/* Standard input through our own buffer, so we know when it is empty. */
struct input {
	char	 buf[65536];
	size_t	 pos, len;
	bool	 eof;
	struct group *group;	/* committed before a read that waits */
};

struct txn {
	struct buf	 from;
	bool		 has_from;
	char		*rcpt[RCPT_MAX];
	char		*orcpt[RCPT_MAX];
	char		*notify[RCPT_MAX];
	size_t		 nrcpt;
	struct buf	 envid;
	struct buf	 ret;
	struct buf	 error;		/* the first error of this message */
	struct buf	 data;
};

struct pending {
	struct submit_out out;
	char		*error;		/* or NULL */
	int		 code;		/* the sysexits(3) code of error */
	unsigned long	 number;
};

/* The messages read and not yet committed. */
struct group {
	struct inject	*inj;
	struct pending	 pend[BATCH_MAX];
	size_t		 n;
	int		 rc;		/* the exit code so far */
};

static void	group_flush(struct group *);

/* Is more input waiting right now, without blocking? */
static bool
input_waiting(struct input *in)
{
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };

	if (in->pos < in->len)
		return true;
	return !in->eof && poll(&p, 1, 0) == 1;
}

static int
fill(struct input *in)
{
	ssize_t n;

	if (in->pos < in->len || in->eof)
		return 0;
	/* About to wait for the sender: answer what it sent so far. */
	if (in->group->n > 0 && !input_waiting(in))
		group_flush(in->group);
	do
		n = read(STDIN_FILENO, in->buf, sizeof(in->buf));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	in->pos = 0;
	in->len = (size_t)n;
	if (n == 0)
		in->eof = true;
	return 0;
}

/*
 * One line into b without its end (LF or CRLF); 1 when a line was read,
 * 0 at the end of the input.  A line longer than max is cut, and *cut set.
 */
static int
get_line(struct input *in, struct buf *b, size_t max, bool *cut)
{
	char *nl;
	size_t n;

	buf_reset(b);
	*cut = false;
	for (;;) {
		if (fill(in) == -1)
			die_sys(EX_IOERR, "reading standard input");
		if (in->pos == in->len)
			return b->len > 0 || *cut;
		nl = memchr(in->buf + in->pos, '\n', in->len - in->pos);
		n = nl != NULL ? (size_t)(nl - (in->buf + in->pos)) :
		    in->len - in->pos;
		if (b->len + n > max) {
			*cut = true;
			n = b->len < max ? max - b->len : 0;
		}
		if (buf_append(b, in->buf + in->pos, n) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
		if (nl == NULL) {
			in->pos = in->len;
			continue;
		}
		in->pos = (size_t)(nl - in->buf) + 1;
		if (b->len > 0 && b->p[b->len - 1] == '\r')
			b->p[--b->len] = '\0';
		return 1;
	}
}

static void
txn_error(struct txn *t, const char *fmt, const char *arg)
{
	if (t->error.len == 0)
		(void)buf_appendf(&t->error, fmt, arg);
}

static void
txn_reset(struct txn *t)
{
	for (size_t i = 0; i < t->nrcpt; i++) {
		free(t->rcpt[i]);
		free(t->orcpt[i]);
		free(t->notify[i]);
	}
	t->nrcpt = 0;
	t->has_from = false;
	buf_reset(&t->from);
	buf_reset(&t->envid);
	buf_reset(&t->ret);
	buf_reset(&t->error);
	buf_reset(&t->data);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 3461 xtext into out, "+XX" being the byte XX; -1 if malformed */
static int
xtext_decode(struct buf *out, const char *s)
{
	int c;

	buf_reset(out);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '+') {
			if (hexval(s[1]) == -1 || hexval(s[2]) == -1)
				return -1;
			c = hexval(s[1]) * 16 + hexval(s[2]);
			s += 2;
		} else if (c < 0x21 || c > 0x7e || c == '=')
			return -1;
		if (c == 0)
			return -1;	/* the envelope cannot hold it */
		if (buf_appendc(out, c) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
	}
	return 0;
}

/* "<addr> KEY=VALUE ...": the address into addr, parameters by callback */
static const char *
split_path(char *arg, char **params)
{
	char *end;

	while (*arg == ' ')
		arg++;
	if (*arg == '<' && (end = strchr(arg, '>')) != NULL)
		end++;
	else
		end = arg + strcspn(arg, " ");
	*params = *end != '\0' ? end + 1 : end;
	*end = '\0';
	return arg;
}

static void
mail_from(struct txn *t, char *arg)
{
	char *params, *p;
	const char *path;

	if (t->has_from) {
		txn_error(t, "%s", "MAIL FROM given twice");
		return;
	}
	path = split_path(arg, &params);
	t->has_from = true;
	if (buf_appends(&t->from, path) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	for (p = strtok_r(params, " ", &params); p != NULL;
	    p = strtok_r(NULL, " ", &params)) {
		if (strncasecmp(p, "ENVID=", 6) == 0) {
			if (xtext_decode(&t->envid, p + 6) == -1)
				txn_error(t, "bad xtext in %s", p);
		} else if (strcasecmp(p, "RET=FULL") == 0)
			(void)buf_set(&t->ret, "full", 4);
		else if (strcasecmp(p, "RET=HDRS") == 0)
			(void)buf_set(&t->ret, "hdrs", 4);
		else if (strncasecmp(p, "SIZE=", 5) != 0 &&
		    strncasecmp(p, "BODY=", 5) != 0 &&
		    strcasecmp(p, "SMTPUTF8") != 0)
			txn_error(t, "unknown MAIL parameter %s", p);
	}
}

static void
rcpt_to(struct txn *t, char *arg)
{
	char *params, *p, *orcpt = NULL, *notify = NULL;
	const char *path;

	path = split_path(arg, &params);
	if (t->nrcpt == RCPT_MAX) {
		txn_error(t, "%s", "too many recipients");
		return;
	}
	for (p = strtok_r(params, " ", &params); p != NULL;
	    p = strtok_r(NULL, " ", &params)) {
		if (strncasecmp(p, "NOTIFY=", 7) == 0) {
			free(notify);
			notify = strdup(p + 7);
		} else if (strncasecmp(p, "ORCPT=", 6) == 0) {
			free(orcpt);
			orcpt = strdup(p + 6);
		} else
			txn_error(t, "unknown RCPT parameter %s", p);
	}
	if ((t->rcpt[t->nrcpt] = strdup(path)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	t->orcpt[t->nrcpt] = orcpt;
	t->notify[t->nrcpt] = notify;
	t->nrcpt++;
}

/* The message after DATA, dot-unstuffed, up to the line "." */
static int
read_data(struct input *in, struct txn *t, struct buf *line, size_t max)
{
	bool cut;

	while (get_line(in, line, max, &cut) == 1) {
		if (line->len == 1 && line->p[0] == '.')
			return 0;
		if (t->data.len + line->len > max)
			txn_error(t, "%s", "message too big");
		if (t->error.len > 0)
			continue;
		if (buf_append(&t->data, line->p[0] == '.' ? line->p + 1 :
		    line->p, line->p[0] == '.' ? line->len - 1 : line->len) ==
		    -1 || buf_append(&t->data, "\r\n", 2) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
	}
	txn_error(t, "%s", "input ended inside DATA");
	return -1;
}

/* The exit code of a group: a temporary failure wins, to be retried. */
static int
worse(int a, int b)
{
	if (a == EX_TEMPFAIL || b == EX_TEMPFAIL)
		return EX_TEMPFAIL;
	return a != 0 ? a : b;
}

/* Commit the group; print one line per message in order. */
static int
flush_group(struct inject *inj, struct pending *pend, size_t n)
{
	struct spool_writer *ws[BATCH_MAX * SUBMIT_MAXSPLIT];
	size_t nw = 0;
	char err[512];
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < pend[i].out.n; k++)
			ws[nw++] = pend[i].out.w[k];
	if (nw > 0 && spool_commit(inj->sub.spool, ws, nw, err,
	    sizeof(err)) == -1) {
		int code = inject_exit_code(errno);

		log_warn("%s", err);
		for (size_t i = 0; i < n; i++) {
			submit_abort(&pend[i].out);
			if (pend[i].error == NULL) {
				pend[i].error = strdup(err);
				pend[i].code = code;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (pend[i].error != NULL) {
			printf("error: %lu: %s\n", pend[i].number,
			    pend[i].error);
			free(pend[i].error);
			rc = worse(rc, pend[i].code);
			continue;
		}
		for (size_t k = 0; k < pend[i].out.n; k++) {
			printf("%s%s", k > 0 ? " " : "",
			    spool_writer_qid(pend[i].out.w[k]));
			spool_writer_free(pend[i].out.w[k]);
		}
		printf("\n");
	}
	if (fflush(stdout) == EOF)
		die_sys(EX_IOERR, "writing queue ids");
	return rc;
}

/* Commit the messages read; the exit code is that of the last failure. */
static void
group_flush(struct group *g)
{
	int rc;

	if (g->n > 0 && (rc = flush_group(g->inj, g->pend, g->n)) != 0)
		g->rc = rc;
	g->n = 0;
}

/* One message of the batch into pend: writers, or its error. */
static void
prepare(struct inject *inj, struct txn *t, struct pending *pend)
{
	struct submit_env env = inj->env;
	char err[512];

	pend->out.n = 0;
	pend->error = NULL;
	pend->code = EX_DATAERR;
	if (t->error.len == 0 && !t->has_from)
		txn_error(t, "%s", "DATA without MAIL FROM");
	if (t->error.len == 0 && t->nrcpt == 0)
		txn_error(t, "%s", "DATA without RCPT TO");
	if (t->error.len > 0) {
		pend->error = strdup(t->error.p);
		return;
	}
	env.from = t->from.p;
	env.rcpt = (const char *const *)t->rcpt;
	env.rcpt_orcpt = (const char *const *)t->orcpt;
	env.rcpt_notify = (const char *const *)t->notify;
	env.nrcpt = t->nrcpt;
	env.extract = false;
	if (t->envid.len > 0)
		env.envid = t->envid.p;
	if (t->ret.len > 0)
		env.ret = t->ret.p;
	if (submit_message(&inj->sub, &env, t->data.p ? t->data.p : "",
	    t->data.len, &pend->out, err, sizeof(err)) == -1) {
		pend->code = inject_exit_code(errno);
		pend->error = strdup(err);
	}
}

/* inject_batch - read batch SMTP from stdin until QUIT or its end */
int
inject_batch(struct inject *inj)
{
	static struct input in;
	static struct group g;
	struct buf line = BUF_INIT;
	struct txn t;
	unsigned long number = 0;
	bool cut, quit = false;

	memset(&t, 0, sizeof(t));
	g.inj = inj;
	in.group = &g;
	while (!quit && get_line(&in, &line, LINE_MAX_BSMTP, &cut) == 1) {
		char *cmd = line.p;

		if (cut) {
			txn_error(&t, "%s", "command line too long");
			continue;
		}
		if (strncasecmp(cmd, "MAIL FROM:", 10) == 0)
			mail_from(&t, cmd + 10);
		else if (strncasecmp(cmd, "RCPT TO:", 8) == 0)
			rcpt_to(&t, cmd + 8);
		else if (strcasecmp(cmd, "DATA") == 0) {
			(void)read_data(&in, &t, &line, inj->sub.maxsize);
			prepare(inj, &t, &g.pend[g.n]);
			g.pend[g.n++].number = ++number;
			txn_reset(&t);
			if (g.n == BATCH_MAX)
				group_flush(&g);
		} else if (strcasecmp(cmd, "RSET") == 0)
			txn_reset(&t);
		else if (strcasecmp(cmd, "QUIT") == 0)
			quit = true;
		else if (strncasecmp(cmd, "HELO", 4) != 0 &&
		    strncasecmp(cmd, "EHLO", 4) != 0 &&
		    strcasecmp(cmd, "NOOP") != 0 && line.len > 0)
			txn_error(&t, "unknown command \"%.40s\"", cmd);
	}
	group_flush(&g);
	txn_reset(&t);
	buf_free(&t.from);
	buf_free(&t.envid);
	buf_free(&t.ret);
	buf_free(&t.error);
	buf_free(&t.data);
	buf_free(&line);
	return g.rc;
}
