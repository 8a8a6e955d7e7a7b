/*
 * fuzz_journal - libFuzzer target for the journal reader: the input
 * becomes the segments of a spool's log/ and journal_walk() reads them.
 *
 * The first input byte chooses the shape: bit 0 seals the segment (a
 * torn last line is then damage, not normal); bit 2 repeats the rest as
 * many times as the next byte says, plus one, so that small inputs make
 * lines longer than a read; bit 1 splits the rest in two segments at the
 * offset the next two bytes give, the older always sealed.
 *
 * Invariants checked (abort() when one fails): the walk succeeds;
 * every LF-terminated line gives exactly one record or one warning, and
 * a last line without LF one warning in a sealed segment and nothing in
 * an open one; warnings read "log/NAME:LINE: reason" with lines counting
 * up; every record passes journal_read_outcome(), and formats with
 * journal_format() to a record that reads back to the same outcome
 * (dsn-diag and ext may come back shortened, never otherwise changed).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "journal.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

#define OLDER	"20261130T053600.000001-7.sealed"
#define NEWER_OPEN	"20261130T053600.000002-7.jnl"
#define NEWER_SEALED	"20261130T053600.000002-7.sealed"

struct state {
	size_t	 events;	/* records and warnings */
	char	 last[64];	/* segment of the last warning */
	unsigned long lastline;
	struct buf out;
};

static char dir[64];
static char logdir[80];

static int
same_str(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* prefix - b is a (possibly shortened) a */
static int
prefix(const char *a, const char *b)
{
	a = a != NULL ? a : "";
	b = b != NULL ? b : "";
	return strncmp(a, b, strlen(b)) == 0;
}

static long long
micros(double t)
{
	return (long long)(t * 1e6 + 0.5);
}

/* same - whether b is what a reads back as after a format */
static int
same(const struct journal_outcome *a, const struct journal_outcome *b)
{
	if (strcmp(a->type, b->type) != 0 || a->queued != b->queued ||
	    a->first != b->first || a->n != b->n ||
	    a->attempts != b->attempts || a->port != b->port ||
	    a->size != b->size || a->code != b->code)
		return 0;
	/* logged 0 is written as the time now; past 2^31 s a double is
	 * too coarse for an exact microsecond */
	if (a->logged != 0 && (a->logged < 2147483648.0 ?
	    micros(a->logged) != micros(b->logged) :
	    llabs(micros(a->logged) - micros(b->logged)) > 1))
		return 0;
	return same_str(a->id, b->id) && same_str(a->orig, b->orig) &&
	    same_str(a->rcpt, b->rcpt) && same_str(a->orcpt, b->orcpt) &&
	    same_str(a->notify, b->notify) && same_str(a->envid, b->envid) &&
	    same_str(a->ret, b->ret) && same_str(a->vmta, b->vmta) &&
	    same_str(a->pool, b->pool) && same_str(a->job, b->job) &&
	    same_str(a->queue, b->queue) && same_str(a->src, b->src) &&
	    same_str(a->mx, b->mx) && same_str(a->mx_ip, b->mx_ip) &&
	    prefix(a->ext, b->ext) && same_str(a->dsn_action, b->dsn_action) &&
	    same_str(a->dsn_status, b->dsn_status) &&
	    prefix(a->dsn_diag, b->dsn_diag) && same_str(a->tls, b->tls) &&
	    same_str(a->tls_cipher, b->tls_cipher);
}

static int
on_rec(const struct proto_rec *r, void *arg)
{
	static struct proto_rec r2;
	struct state *st = arg;
	struct journal_outcome o, o2;
	char why[256];

	st->events++;
	CHECK(journal_read_outcome(r, &o, why, sizeof(why)) == 0);
	buf_reset(&st->out);
	if (journal_format(&st->out, &o) == -1) {
		/* only a record near the limit may not fit again */
		CHECK(errno == EMSGSIZE);
		return 0;
	}
	CHECK(st->out.len <= PROTO_MAXLINE &&
	    st->out.p[st->out.len - 1] == '\n');
	CHECK(proto_parse(st->out.p, st->out.len - 1, &r2, why,
	    sizeof(why)) == 0);
	CHECK(journal_read_outcome(&r2, &o2, why, sizeof(why)) == 0);
	CHECK(same(&o, &o2));
	return 0;
}

static void
on_warn(const char *msg, void *arg)
{
	struct state *st = arg;
	const char *colon, *end;
	unsigned long line;
	char name[64];
	size_t n;

	st->events++;
	CHECK(strncmp(msg, "log/", 4) == 0);
	msg += 4;
	CHECK((colon = strchr(msg, ':')) != NULL);
	n = (size_t)(colon - msg);
	CHECK(n < sizeof(name));
	memcpy(name, msg, n);
	name[n] = '\0';
	line = strtoul(colon + 1, (char **)&end, 10);
	CHECK(line > 0 && strncmp(end, ": ", 2) == 0 && end[2] != '\0');
	if (strcmp(name, st->last) == 0)
		CHECK(line > st->lastline);
	(void)strlcpy(st->last, name, sizeof(st->last));
	st->lastline = line;
}

/* expect - events a segment of the n bytes at p gives */
static size_t
expect(const uint8_t *p, size_t n, int sealed)
{
	size_t lines = 0, tail = 0;

	for (size_t i = 0; i < n; i++) {
		tail++;
		if (p[i] == '\n') {
			lines++;
			tail = 0;
		}
	}
	return lines + (sealed && tail > 0);
}

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", logdir, name);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) != -1);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	CHECK(close(fd) == 0);
}

static void
rm(const char *name)
{
	char path[160];

	(void)snprintf(path, sizeof(path), "%s/%s", logdir, name);
	(void)unlink(path);
}

/* cleanup - remove the spool at exit */
static void
cleanup(void)
{
	rm(OLDER);
	rm(NEWER_OPEN);
	rm(NEWER_SEALED);
	(void)rmdir(logdir);
	(void)rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	static struct buf seg = BUF_INIT;
	char err[256];
	size_t split = 0, want;
	int flags, sealed;

	if (dir[0] == '\0') {
		CHECK(strlcpy(dir, "/tmp/fuzz_journal.XXXXXX", sizeof(dir)) <
		    sizeof(dir) && mkdtemp(dir) != NULL);
		(void)snprintf(logdir, sizeof(logdir), "%s/log", dir);
		CHECK(mkdir(logdir, 0750) == 0);
		(void)atexit(cleanup);
	}
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	sealed = flags & 1;
	if ((flags & 4) && size >= 1) {
		int times = data[0] + 1;

		buf_reset(&seg);
		for (int i = 0; i < times; i++)
			CHECK(buf_append(&seg, data + 1, size - 1) == 0);
		data = (const uint8_t *)seg.p;
		size = seg.len;
	}
	if ((flags & 2) && size >= 2) {
		split = ((size_t)data[0] << 8 | data[1]);
		data += 2;
		size -= 2;
		split = size > 0 ? split % (size + 1) : 0;
		put(OLDER, data, split);
	}
	put(sealed ? NEWER_SEALED : NEWER_OPEN, data + split, size - split);
	want = ((flags & 2) ? expect(data, split, 1) : 0) +
	    expect(data + split, size - split, sealed);

	st.events = 0;
	st.last[0] = '\0';
	st.lastline = 0;
	CHECK(journal_walk(dir, on_rec, on_warn, &st, err, sizeof(err)) == 0);
	CHECK(st.events == want);
	rm(OLDER);
	rm(NEWER_OPEN);
	rm(NEWER_SEALED);
	return 0;
}
