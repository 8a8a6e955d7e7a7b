/*
 * journal_test - the outcome journal: the record format and its round
 * trip, durability order, write failures, rotation and sealing, a writer
 * that died, a torn last line, damaged lines and the single writer.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "journal.h"
#include "proto.h"
#include "spool.h"

static char top[64];		/* the mkdtemp directory of a test */
static char dir[128];		/* the spool inside it */
static char logdir[160];
static char err[512];

/* What a walk saw. */
struct seen {
	size_t	 nrec;
	size_t	 nwarn;
	char	 warn[16][256];
	unsigned n[4096];	/* the n= of each record */
	struct buf lines;	/* every record, formatted again */
	int	 stop_at;	/* return 7 at this record (1-based), or 0 */
};

/* rmtree - remove path and everything below it */
static int
rmtree(const char *path)
{
	char child[512];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n, rc = 0;

	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child) || rmtree(child) == -1)
			rc = -1;
	}
	closedir(d);
	return rmdir(path) == -1 ? -1 : rc;
}

static void
setup(void)
{
	if (strlcpy(top, "/tmp/journal_test.XXXXXX", sizeof(top)) >=
	    sizeof(top) || mkdtemp(top) == NULL)
		abort();
	(void)snprintf(dir, sizeof(dir), "%s/spool", top);
	(void)snprintf(logdir, sizeof(logdir), "%s/log", dir);
	if (spool_init(dir, err, sizeof(err)) == -1) {
		test_fail(__FILE__, __LINE__, "spool_init: %s", err);
		abort();
	}
}

static void
teardown(void)
{
	if (rmtree(top) == -1)
		test_fail(__FILE__, __LINE__, "cannot remove %s", top);
}

static int
on_rec(const struct proto_rec *r, void *arg)
{
	struct seen *s = arg;
	struct journal_outcome o;
	char why[128];

	if (journal_read_outcome(r, &o, why, sizeof(why)) == -1) {
		test_fail(__FILE__, __LINE__, "walk gave a bad record: %s",
		    why);
		return 0;
	}
	if (s->nrec < sizeof(s->n) / sizeof(s->n[0]))
		s->n[s->nrec] = o.n;
	s->nrec++;
	/* a record near the limit may not fit once logged has 6 decimals */
	if (journal_format(&s->lines, &o) == -1 && errno != EMSGSIZE)
		test_fail(__FILE__, __LINE__, "journal_format: %s",
		    strerror(errno));
	return s->stop_at > 0 && (size_t)s->stop_at == s->nrec ? 7 : 0;
}

static void
on_warn(const char *msg, void *arg)
{
	struct seen *s = arg;

	if (s->nwarn < sizeof(s->warn) / sizeof(s->warn[0]))
		(void)strlcpy(s->warn[s->nwarn], msg, sizeof(s->warn[0]));
	s->nwarn++;
}

/* walk - the journal of dir into s, which is reset first */
static int
walk(struct seen *s)
{
	buf_free(&s->lines);
	memset(s, 0, sizeof(*s));
	return journal_walk(dir, on_rec, on_warn, s, err, sizeof(err));
}

/* segments - how many .jnl and .sealed files log/ holds */
static void
segments(int *open, int *sealed)
{
	struct dirent *de;
	DIR *d;
	size_t n;

	*open = *sealed = 0;
	if ((d = opendir(logdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".jnl") == 0)
			(*open)++;
		else if (n > 7 && strcmp(de->d_name + n - 7, ".sealed") == 0)
			(*sealed)++;
	}
	closedir(d);
}

/* put - write a file log/name holding the string s */
static void
put(const char *name, const char *s)
{
	char path[256];
	size_t n = strlen(s);
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", logdir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1 ||
	    write(fd, s, n) != (ssize_t)n || close(fd) == -1)
		test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
}

/* filesize - bytes of log/name, or -1 */
static long long
filesize(const char *name)
{
	char path[256];
	struct stat st;

	(void)snprintf(path, sizeof(path), "%s/%s", logdir, name);
	return stat(path, &st) == -1 ? -1 : (long long)st.st_size;
}

/* simple - a plain outcome of recipient n */
static struct journal_outcome
simple(unsigned n)
{
	struct journal_outcome o;

	memset(&o, 0, sizeof(o));
	o.type = "delivered";
	o.logged = 1764480960.5;
	o.id = "692bf3c0.1e240.0000ab12";
	o.n = n;
	o.rcpt = "bob@example.org";
	o.code = 250;
	return o;
}

static struct journal_outcome
full(void)
{
	struct journal_outcome o;

	memset(&o, 0, sizeof(o));
	o.type = "failed";
	o.logged = 1764480960.123456;
	o.queued = 1764480000;
	o.first = 1764480100;
	o.id = "692bf3c0.1e240.0000ab12";
	o.n = 3;
	o.attempts = 2;
	o.orig = "alice@example.com";
	o.rcpt = "bob@example.org";
	o.orcpt = "rfc822;Bob@Example.org";
	o.notify = "FAILURE,DELAY";
	o.envid = "QQ 100% sure=yes";
	o.ret = "HDRS";
	o.vmta = "vmta-1";
	o.pool = "pool a";
	o.job = "newsletter-\xc3\xa9t\xc3\xa9";	/* UTF-8 */
	o.queue = "example.org/vmta-1";
	o.src = "192.0.2.10";
	o.mx = "mx1.example.org";
	o.mx_ip = "2001:db8::25";
	o.port = 25;
	o.ext = "PIPELINING,SIZE,8BITMIME,STARTTLS";
	o.size = 5000000000ULL;
	o.code = 550;
	o.dsn_action = "failed";
	o.dsn_status = "5.1.1";
	o.dsn_diag = "smtp;550 5.1.1 <bob@example.org>: user unknown\r\n";
	o.tls = "TLSv1.3";
	o.tls_cipher = "TLS_AES_256_GCM_SHA384";
	return o;
}

#define SAME_STR(a, b)	CHECK_STR((a) != NULL ? (a) : "", \
	(b) != NULL ? (b) : "")

static void
check_same(const struct journal_outcome *a, const struct journal_outcome *b)
{
	CHECK_STR(a->type, b->type);
	CHECK_INT((long long)(a->logged * 1e6 + 0.5),
	    (long long)(b->logged * 1e6 + 0.5));
	CHECK_INT(a->queued, b->queued);
	CHECK_INT(a->first, b->first);
	CHECK_UINT(a->n, b->n);
	CHECK_UINT(a->attempts, b->attempts);
	CHECK_UINT(a->port, b->port);
	CHECK_UINT(a->size, b->size);
	CHECK_INT(a->code, b->code);
	SAME_STR(a->id, b->id);
	SAME_STR(a->orig, b->orig);
	SAME_STR(a->rcpt, b->rcpt);
	SAME_STR(a->orcpt, b->orcpt);
	SAME_STR(a->notify, b->notify);
	SAME_STR(a->envid, b->envid);
	SAME_STR(a->ret, b->ret);
	SAME_STR(a->vmta, b->vmta);
	SAME_STR(a->pool, b->pool);
	SAME_STR(a->job, b->job);
	SAME_STR(a->queue, b->queue);
	SAME_STR(a->src, b->src);
	SAME_STR(a->mx, b->mx);
	SAME_STR(a->mx_ip, b->mx_ip);
	SAME_STR(a->ext, b->ext);
	SAME_STR(a->dsn_action, b->dsn_action);
	SAME_STR(a->dsn_status, b->dsn_status);
	SAME_STR(a->dsn_diag, b->dsn_diag);
	SAME_STR(a->tls, b->tls);
	SAME_STR(a->tls_cipher, b->tls_cipher);
}

/* The record of full(), as mta-journal(5) shows it. */
static const char full_line[] = "failed logged=1764480960.123456 "
    "queued=1764480000 first=1764480100 id=692bf3c0.1e240.0000ab12 n=3 "
    "attempts=2 orig=alice@example.com rcpt=bob@example.org "
    "orcpt=rfc822;Bob@Example.org notify=FAILURE,DELAY "
    "envid=QQ%20100%25%20sure=yes ret=HDRS vmta=vmta-1 pool=pool%20a "
    "job=newsletter-%C3%A9t%C3%A9 queue=example.org/vmta-1 "
    "src=192.0.2.10 mx=mx1.example.org mx-ip=2001:db8::25 port=25 "
    "ext=PIPELINING,SIZE,8BITMIME,STARTTLS size=5000000000 code=550 "
    "dsn-action=failed dsn-status=5.1.1 "
    "dsn-diag=smtp;550%205.1.1%20<bob@example.org>:%20user%20unknown%0D%0A "
    "tls=TLSv1.3 tls-cipher=TLS_AES_256_GCM_SHA384\n";

TEST(format)
{
	struct journal_outcome o = full(), p;
	struct buf b = BUF_INIT;

	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), full_line);

	/* zero numbers and NULL or empty strings are left out, but not n */
	buf_reset(&b);
	memset(&p, 0, sizeof(p));
	p.type = "deferred";
	p.logged = 1.000001;
	p.id = "q";
	p.rcpt = "r";
	p.mx = "";
	CHECK_INT(journal_format(&b, &p), 0);
	CHECK_STR(buf_cstr(&b), "deferred logged=1.000001 id=q n=0 rcpt=r\n");
	/* a delay notice's record is an outcome's, and needs its keys */
	buf_reset(&b);
	p.type = "delayed";
	CHECK_INT(journal_format(&b, &p), 0);
	CHECK_STR(buf_cstr(&b), "delayed logged=1.000001 id=q n=0 rcpt=r\n");
	p.rcpt = "";
	CHECK_INT(journal_format(&b, &p), -1);
	p.rcpt = "r";
	p.type = "deferred";

	/* logged 0 is now */
	buf_reset(&b);
	p.logged = 0;
	CHECK_INT(journal_format(&b, &p), 0);
	CHECK(strncmp(buf_cstr(&b), "deferred logged=1", 17) == 0);
	CHECK(strlen(buf_cstr(&b)) == strlen("deferred logged=") + 17 +
	    strlen(" id=q n=0 rcpt=r\n"));

	/* what is not an outcome leaves the buffer as it was */
	buf_set(&b, "x", 1);
	p.type = "bogus";
	CHECK_INT(journal_format(&b, &p), -1);
	CHECK_INT(errno, EINVAL);
	p.type = "expired";
	p.id = NULL;
	CHECK_INT(journal_format(&b, &p), -1);
	p.id = "q";
	p.rcpt = "";
	CHECK_INT(journal_format(&b, &p), -1);
	p.rcpt = "r";
	p.logged = -5;
	CHECK_INT(journal_format(&b, &p), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_STR(buf_cstr(&b), "x");
	buf_free(&b);
}

/* An outcome too long for a record loses the end of dsn-diag, then ext. */
TEST(too_long)
{
	static char diag[6000], ext[4001], rcpt[5000];
	struct journal_outcome o = full(), p;
	struct proto_rec r;
	struct buf b = BUF_INIT;
	char why[128];
	size_t i;

	for (i = 0; i + 2 < sizeof(diag) - 1; i += 2)
		memcpy(diag + i, "\xc3\xa9", 2);	/* 6 bytes encoded */
	diag[i] = '\0';
	o.dsn_diag = diag;
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK(b.len <= PROTO_MAXLINE);
	CHECK(b.len > PROTO_MAXLINE - 6);
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, why, sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&r, &p, why, sizeof(why)), 0);
	/* cut between characters, and only dsn-diag was cut */
	CHECK(strlen(p.dsn_diag) % 2 == 0 && strlen(p.dsn_diag) > 1000);
	CHECK(strncmp(p.dsn_diag, diag, strlen(p.dsn_diag)) == 0);
	CHECK_STR(p.ext, o.ext);
	CHECK_STR(p.tls_cipher, o.tls_cipher);

	/* then ext goes too */
	memset(ext, 'E', sizeof(ext) - 1);
	memset(diag, 'D', sizeof(diag) - 1);
	o.ext = ext;
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, why, sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&r, &p, why, sizeof(why)), 0);
	CHECK(p.dsn_diag == NULL);
	CHECK(p.ext != NULL && strlen(p.ext) > 1000 && strlen(p.ext) <
	    sizeof(ext) - 1);
	CHECK_INT(b.len, PROTO_MAXLINE);

	/* a recipient address cannot be cut */
	memset(rcpt, 'r', sizeof(rcpt) - 1);
	o.rcpt = rcpt;
	buf_set(&b, "x", 1);
	CHECK_INT(journal_format(&b, &o), -1);
	CHECK_INT(errno, EMSGSIZE);
	CHECK_STR(buf_cstr(&b), "x");
	buf_free(&b);
}

TEST(read_outcome)
{
	static const struct {
		const char *line;
		const char *why;	/* NULL: it is one */
	} t[] = {
		{ "delivered logged=1 id=a n=0 rcpt=b", NULL },
		{ "delivered logged=1.5 id=a n=0 rcpt=b x-new=1", NULL },
		{ "delivered logged=1 id=a n=0 rcpt=b n=zz", NULL },
		{ "hello logged=1 id=a n=0 rcpt=b", "unknown verb \"hello\"" },
		{ "delivered id=a n=0 rcpt=b", "no logged" },
		{ "delivered logged=1 n=0 rcpt=b", "no id" },
		{ "delivered logged=1 id=a rcpt=b", "no n" },
		{ "delivered logged=1 id=a n=0", "no rcpt" },
		{ "delivered logged=1 id=a n=0 rcpt=", "no rcpt" },
		{ "delivered logged=1 id=%00 n=0 rcpt=b", "no id" },
		{ "delivered logged=1. id=a n=0 rcpt=b", "bad logged" },
		{ "delivered logged=-1 id=a n=0 rcpt=b", "bad logged" },
		{ "delivered logged=1e9 id=a n=0 rcpt=b", "bad logged" },
		{ "delivered logged=999999999999 id=a n=0 rcpt=b",
		    "bad logged" },
		{ "delivered logged=1 id=a n=4294967296 rcpt=b", "bad n" },
		{ "delivered logged=1 id=a n=+1 rcpt=b", "bad n" },
		{ "delivered logged=1 id=a n=0 rcpt=b code=2147483648",
		    "bad code" },
		{ "delivered logged=1 id=a n=0 rcpt=b "
		    "size=18446744073709551616", "bad size" },
		{ "delivered logged=1 id=a n=0 rcpt=b queued=1.x",
		    "bad queued" },
	};
	struct journal_outcome o;
	struct proto_rec r;
	const char *line;
	char why[128];
	int rc;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		CHECK_INT(proto_parse(t[i].line, strlen(t[i].line), &r, why,
		    sizeof(why)), 0);
		rc = journal_read_outcome(&r, &o, why, sizeof(why));
		if (t[i].why == NULL)
			CHECK_INT(rc, 0);
		else {
			CHECK_INT(rc, -1);
			CHECK_STR(why, t[i].why);
		}
	}
	line = "failed logged=12.0000019 queued=3.9 id=a n=4294967295 rcpt=b "
	    "size=18446744073709551615";
	CHECK_INT(proto_parse(line, strlen(line), &r, why, sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&r, &o, why, sizeof(why)), 0);
	CHECK_INT((long long)(o.logged * 1e6 + 0.5), 12000001);
	CHECK_INT(o.queued, 3);
	CHECK_UINT(o.n, 4294967295U);
	CHECK_UINT(o.size, 18446744073709551615ULL);
}

/* Every key written, synced, walked and read back. */
TEST(round_trip)
{
	struct journal *j;
	struct journal_outcome o = full(), p = simple(0);
	struct seen s = { 0 };

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK_INT(journal_write(j, &o), 0);
	CHECK_INT(journal_write(j, &p), 0);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 2);
	CHECK_UINT(s.nwarn, 0);
	{
		struct buf want = BUF_INIT;

		CHECK_INT(journal_format(&want, &o), 0);
		CHECK_INT(journal_format(&want, &p), 0);
		CHECK_STR(buf_cstr(&s.lines), buf_cstr(&want));
		buf_free(&want);
	}
	/* and field by field, through journal_read_outcome */
	{
		struct proto_rec r;
		struct journal_outcome q;
		char why[128];

		CHECK_INT(proto_parse(full_line, strlen(full_line) - 1, &r, why,
		    sizeof(why)), 0);
		CHECK_INT(journal_read_outcome(&r, &q, why, sizeof(why)), 0);
		check_same(&q, &o);
	}
	buf_free(&s.lines);
	teardown();
}

/* Nothing is on disk before journal_sync(); all of it is after. */
TEST(durability_order)
{
	struct journal *j;
	struct journal_outcome o = simple(0);
	struct seen s = { 0 };
	char name[64];

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK(journal_segment(j) != NULL);
	(void)strlcpy(name, journal_segment(j), sizeof(name));
	CHECK_INT(filesize(name), 0);
	for (unsigned i = 0; i < 100; i++) {
		o.n = i;
		CHECK_INT(journal_write(j, &o), 0);
	}
	CHECK(journal_pending(j) > 100 * 50);
	CHECK_INT(filesize(name), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 0);
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	CHECK_UINT(journal_pending(j), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 100);
	CHECK_UINT(s.n[99], 99);
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);	/* nothing */
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	buf_free(&s.lines);
	teardown();
}

/* A failed write keeps the records, and leaves no torn record behind. */
TEST(write_fails)
{
	struct journal *j;
	struct journal_outcome o = simple(0);
	struct rlimit old, lim;
	struct seen s = { 0 };
	char name[64], want[512];
	long long before;

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	(void)strlcpy(name, journal_segment(j), sizeof(name));
	CHECK_INT(journal_write(j, &o), 0);
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	before = filesize(name);
	for (unsigned i = 1; i <= 200; i++) {
		o.n = i;
		CHECK_INT(journal_write(j, &o), 0);
	}
	/* a file size limit in the middle of the batch */
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 4000;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_INT(journal_sync(j, err, sizeof(err)), -1);
	CHECK_INT(errno, EFBIG);
	(void)snprintf(want, sizeof(want), "%s/%s: write: File too large",
	    logdir, name);
	CHECK_STR(err, want);
	CHECK_INT(filesize(name), before);
	CHECK(journal_pending(j) > 200 * 50);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	/* the next try writes them all, once */
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	CHECK_UINT(journal_pending(j), 0);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 201);
	CHECK_UINT(s.nwarn, 0);
	for (unsigned i = 0; i < 201 && i < s.nrec; i++)
		CHECK_UINT(s.n[i], i);
	buf_free(&s.lines);
	teardown();
}

/*
 * journal_sync_take/journal_sync_buf: the records taken go to disk on
 * another thread while the next ones are written; nothing taken is on
 * disk before the sync, a failed one keeps its records for the retry,
 * and the order of the records holds.
 */
struct taken {
	struct journal	*j;
	struct buf	*b;
	int		 rc;
	int		 err;
};

static void *
sync_thread(void *arg)
{
	struct taken *t = arg;
	char e[256];

	t->rc = journal_sync_buf(t->j, t->b, e, sizeof(e));
	t->err = errno;
	return NULL;
}

TEST(sync_taken)
{
	struct journal *j;
	struct journal_outcome o = simple(0);
	struct buf b = BUF_INIT;
	struct taken t;
	struct rlimit old, lim;
	struct seen s = { 0 };
	pthread_t th;
	char name[64];
	long long before;
	unsigned n = 0;

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	(void)strlcpy(name, journal_segment(j), sizeof(name));
	for (; n < 100; n++) {
		o.n = n;
		CHECK_INT(journal_write(j, &o), 0);
	}
	journal_sync_take(j, &b);
	CHECK_UINT(journal_pending(j), 0);
	CHECK(b.len > 100 * 50);
	CHECK_INT(filesize(name), 0);
	t = (struct taken){ j, &b, -2, 0 };
	CHECK_INT(pthread_create(&th, NULL, sync_thread, &t), 0);
	for (; n < 150; n++) {		/* meanwhile, the next group */
		o.n = n;
		CHECK_INT(journal_write(j, &o), 0);
	}
	CHECK_INT(pthread_join(th, NULL), 0);
	CHECK_INT(t.rc, 0);
	CHECK_UINT(b.len, 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 100);
	CHECK(journal_pending(j) > 50 * 50);

	/* a failed sync keeps what it took; the retry writes it once */
	journal_sync_take(j, &b);
	before = filesize(name);
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 1000;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_INT(journal_sync_buf(j, &b, err, sizeof(err)), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(filesize(name), before);
	CHECK(b.len > 50 * 50);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(journal_sync_buf(j, &b, err, sizeof(err)), 0);
	CHECK_UINT(b.len, 0);
	/* and what came after it goes after it */
	o.n = n++;
	CHECK_INT(journal_write(j, &o), 0);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 151);
	CHECK_UINT(s.nwarn, 0);
	for (unsigned i = 0; i < 151 && i < s.nrec; i++)
		CHECK_UINT(s.n[i], i);
	buf_free(&b);
	buf_free(&s.lines);
	teardown();
}

/* Segments rotate by size; sealed ones are read-only; order holds. */
TEST(rotation)
{
	struct journal *j;
	struct journal_outcome o = simple(0);
	struct seen s = { 0 };
	struct dirent *de;
	struct stat st;
	char path[512];
	int nopen, nsealed;
	DIR *d;

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	journal_set_rotate_size(j, 20000);
	for (unsigned i = 0; i < 1000; i++) {
		o.n = i;
		CHECK_INT(journal_write(j, &o), 0);
		if (i % 10 == 9)
			CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	}
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	segments(&nopen, &nsealed);
	CHECK_INT(nopen, 1);
	/* ~100 bytes a record, 10 records a sync: 200 records a segment */
	CHECK(nsealed >= 4 && nsealed <= 6);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 1000);
	CHECK_UINT(s.nwarn, 0);
	for (unsigned i = 0; i < 1000 && i < s.nrec; i++)
		if (s.n[i] != i) {
			CHECK_UINT(s.n[i], i);
			break;
		}
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	segments(&nopen, &nsealed);
	CHECK_INT(nopen, 0);
	CHECK(nsealed >= 5 && nsealed <= 7);
	/* sealed segments: read-only, under 20000 bytes + one sync */
	CHECK((d = opendir(logdir)) != NULL);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", logdir,
		    de->d_name);
		CHECK_INT(stat(path, &st), 0);
		CHECK_INT(st.st_mode & 07777, 0440);
		CHECK(st.st_size < 20000 + 1100);
	}
	if (d != NULL)
		closedir(d);
	buf_free(&s.lines);
	teardown();
}

/* An empty segment is removed, not sealed. */
TEST(empty_close)
{
	struct journal *j;
	int nopen, nsealed;

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	segments(&nopen, &nsealed);
	CHECK_INT(nopen, 1);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	segments(&nopen, &nsealed);
	CHECK_INT(nopen + nsealed, 0);
	teardown();
}

/*
 * A writer that dies leaves its segment open with a torn last record:
 * readers skip it silently, and the next writer cuts it off and seals.
 */
TEST(dead_writer)
{
	struct journal *j;
	struct journal_outcome o = simple(0);
	struct seen s = { 0 };
	char name[64], old[64], path[512];
	int status, nopen, nsealed, fd;
	pid_t pid;

	setup();
	if ((pid = fork()) == 0) {
		if ((j = journal_open(dir, err, sizeof(err))) == NULL)
			_exit(1);
		for (unsigned i = 0; i < 5; i++) {
			o.n = i;
			if (journal_write(j, &o) == -1)
				_exit(2);
		}
		if (journal_sync(j, err, sizeof(err)) == -1)
			_exit(3);
		/* half a record, as a crash in the middle of a write */
		(void)snprintf(path, sizeof(path), "%s/%s", logdir,
		    journal_segment(j));
		if ((fd = open(path, O_WRONLY | O_APPEND)) == -1 ||
		    write(fd, "delivered logged=1 id=x n=5 rc", 30) != 30)
			_exit(4);
		_exit(0);	/* no journal_close */
	}
	CHECK(pid > 0);
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	segments(&nopen, &nsealed);
	CHECK_INT(nopen, 1);
	CHECK_INT(nsealed, 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 5);
	CHECK_UINT(s.nwarn, 0);

	/* the next writer seals it, without the torn record */
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	(void)strlcpy(name, journal_segment(j), sizeof(name));
	segments(&nopen, &nsealed);
	CHECK_INT(nopen, 1);
	CHECK_INT(nsealed, 1);
	o.n = 9;
	CHECK_INT(journal_write(j, &o), 0);
	CHECK_INT(journal_sync(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 6);
	CHECK_UINT(s.n[5], 9);
	CHECK_UINT(s.nwarn, 0);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	/* the sealed one ends with its last whole record */
	{
		struct dirent *de;
		DIR *d;

		old[0] = '\0';
		CHECK((d = opendir(logdir)) != NULL);
		while (d != NULL && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && strncmp(de->d_name, name,
			    22) != 0)
				(void)strlcpy(old, de->d_name, sizeof(old));
		if (d != NULL)
			closedir(d);
		CHECK(strcmp(old, name) < 0);
		CHECK_INT(filesize(old), 5 * (long long)(s.lines.len / 6));
	}
	buf_free(&s.lines);
	teardown();
}

/* A clock behind the newest segment does not break the order. */
TEST(clock_behind)
{
	struct journal *j;
	const char *future = "29991231T235959.999999-1.sealed";
	const char *line = "delivered logged=1 id=a n=0 rcpt=b\n";
	struct journal_outcome o = simple(1);
	struct seen s = { 0 };

	setup();
	put(future, line);
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK(journal_segment(j) != NULL &&
	    strcmp(journal_segment(j), "29991231T235959.999999-1") > 0);
	CHECK(strncmp(journal_segment(j), "30000101T000000.000000-", 23) ==
	    0);
	CHECK_INT(journal_write(j, &o), 0);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 2);
	CHECK_UINT(s.n[0], 0);
	CHECK_UINT(s.n[1], 1);
	buf_free(&s.lines);
	teardown();
}

/* Damaged lines are reported with segment and line, and skipped. */
TEST(damaged)
{
	static char big[6000];
	struct buf b = BUF_INIT;
	struct seen s = { 0 };
	const char *seg = "20261130T053600.000001-42.sealed";
	const char *seg2 = "20261130T053600.000002-42.sealed";
	const char *seg3 = "20261130T053600.000003-43.jnl";

	setup();
	buf_appends(&b, "delivered logged=1 id=a n=0 rcpt=b\n");	/* 1 */
	buf_appends(&b, "Delivered logged=1 id=a n=1 rcpt=b\n");	/* 2 */
	buf_appends(&b, "delivered logged=1 id=a n=2\n");		/* 3 */
	buf_appends(&b, "delivered logged=1 id=a n=3 rcpt=%zz\n");	/* 4 */
	memset(big, 'x', sizeof(big) - 1);
	buf_appends(&b, "delivered logged=1 id=a n=4 rcpt=");		/* 5 */
	buf_appends(&b, big);
	buf_appends(&b, "\n");
	buf_appends(&b, "hello proto=deliver/1\n");			/* 6 */
	buf_appends(&b, "\n");						/* 7 */
	buf_appends(&b, "deferred logged=1 id=a n=5 rcpt=b\n");	/* 8 */
	put(seg, b.p);
	/* a sealed segment must end with a LF */
	put(seg2, "failed logged=1 id=a n=6 rcpt=b\nfailed logged=1");
	/* the newest may not, and readers do not warn */
	put(seg3, "expired logged=1 id=a n=7 rcpt=b\nexpired log");
	/* names that are not segments are not read */
	put("README", "not a segment\n");
	put("20261130T053600.000004-43.jnl.tmp", "junk\n");
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 4);
	CHECK_UINT(s.n[0], 0);
	CHECK_UINT(s.n[1], 5);
	CHECK_UINT(s.n[2], 6);
	CHECK_UINT(s.n[3], 7);
	CHECK_UINT(s.nwarn, 7);
	CHECK_STR(s.warn[0], "log/20261130T053600.000001-42.sealed:2: "
	    "bad verb");
	CHECK_STR(s.warn[1], "log/20261130T053600.000001-42.sealed:3: no rcpt");
	CHECK_STR(s.warn[2], "log/20261130T053600.000001-42.sealed:4: "
	    "bad escape in value");
	CHECK_STR(s.warn[3], "log/20261130T053600.000001-42.sealed:5: "
	    "record longer than 4096 bytes");
	CHECK_STR(s.warn[4], "log/20261130T053600.000001-42.sealed:6: "
	    "unknown verb \"hello\"");
	CHECK_STR(s.warn[5], "log/20261130T053600.000001-42.sealed:7: "
	    "bad verb");
	CHECK_STR(s.warn[6], "log/20261130T053600.000002-42.sealed:2: "
	    "last line has no LF");

	/* a callback's non-zero return stops the walk */
	buf_free(&s.lines);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK_INT(journal_walk(dir, on_rec, NULL, &s, err, sizeof(err)), 7);
	CHECK_UINT(s.nrec, 2);
	buf_free(&s.lines);
	buf_free(&b);
	teardown();
}

/* Lines across read boundaries, and a long torn line at the end. */
TEST(long_segment)
{
	struct journal_outcome o = full();
	struct buf b = BUF_INIT;
	struct seen s = { 0 };
	static char tail[9000];

	setup();
	for (unsigned i = 0; i < 300; i++) {
		o.n = i;
		CHECK_INT(journal_format(&b, &o), 0);
	}
	memset(tail, 'y', sizeof(tail) - 1);
	buf_appends(&b, tail);
	put("20261130T053600.000001-42.jnl", b.p);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 300);
	CHECK_UINT(s.nwarn, 0);
	CHECK_UINT(s.n[299], 299);

	/* a line longer than a read, in an older segment: one warning */
	buf_reset(&b);
	buf_appends(&b, "delivered logged=1 id=a n=1000 rcpt=b\n");
	for (int i = 0; i < 5; i++)
		buf_appends(&b, tail);
	buf_appends(&b, "\ndelivered logged=1 id=a n=1001 rcpt=b\n");
	put("20261130T053600.000000-42.sealed", b.p);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 302);
	CHECK_UINT(s.n[0], 1000);
	CHECK_UINT(s.n[1], 1001);
	CHECK_UINT(s.n[2], 0);
	CHECK_UINT(s.nwarn, 1);
	CHECK_STR(s.warn[0], "log/20261130T053600.000000-42.sealed:2: "
	    "record longer than 4096 bytes");
	buf_free(&s.lines);
	buf_free(&b);
	teardown();
}

/* Lines of every length around the limit and the read size. */
TEST(line_lengths)
{
	static const size_t len[] = {
		4094, 4095, 4096, 4097, 8191, 8192, 12288, 16383, 16384,
		16385, 20000, 32769, 45000
	};
	static const char head[] = "delivered logged=1 id=a n=1 rcpt=";
	struct buf b = BUF_INIT;
	struct seen s = { 0 };
	char want[128];
	size_t pre, start;

	setup();
	for (size_t i = 0; i < sizeof(len) / sizeof(len[0]); i++) {
		for (pre = 0; pre < 20000; pre += 6001) {
			buf_reset(&b);
			while (b.len < pre)
				buf_appends(&b,
				    "deferred logged=1 id=a n=0 rcpt=b\n");
			start = b.len;
			buf_appends(&b, head);
			while (b.len < start + len[i])
				buf_appendc(&b, 'r');
			buf_appends(&b, "\nexpired logged=1 id=a n=2 rcpt=b\n");
			put("20261130T053600.000000-42.sealed", b.p);
			CHECK_INT(walk(&s), 0);
			CHECK_UINT(s.n[s.nrec - 1], 2);
			if (len[i] < PROTO_MAXLINE) {
				CHECK_UINT(s.nwarn, 0);
				CHECK_UINT(s.n[s.nrec - 2], 1);
				continue;
			}
			CHECK_UINT(s.nwarn, 1);
			(void)snprintf(want, sizeof(want), "log/"
			    "20261130T053600.000000-42.sealed:%zu: record "
			    "longer than 4096 bytes", s.nrec);
			CHECK_STR(s.warn[0], want);
		}
	}
	buf_free(&s.lines);
	buf_free(&b);
	teardown();
}

/* One writer at a time. */
TEST(single_writer)
{
	struct journal *j, *j2;
	char want[512];

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	err[0] = '\0';
	CHECK((j2 = journal_open(dir, err, sizeof(err))) == NULL);
	CHECK_INT(errno, EWOULDBLOCK);
	(void)snprintf(want, sizeof(want), "%s: locked by another writer",
	    logdir);
	CHECK_STR(err, want);
	if (j2 != NULL)
		(void)journal_close(j2, err, sizeof(err));
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	teardown();
}

/* journal_open makes log/ if the spool has none; walk needs one. */
TEST(no_log_dir)
{
	struct journal *j;
	struct seen s = { 0 };
	struct stat st;

	setup();
	CHECK_INT(rmdir(logdir), 0);
	CHECK_INT(walk(&s), -1);
	CHECK_INT(errno, ENOENT);
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK_INT(stat(logdir, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0750);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	buf_free(&s.lines);
	teardown();
}

/* The records of mta-bounce: an inbound bounce and a complaint. */
TEST(report_verbs)
{
	struct journal_outcome o, r;
	struct proto_rec rec;
	struct buf b = BUF_INIT;
	char why[128];

	memset(&o, 0, sizeof(o));
	o.type = "bounced";
	o.logged = 2.5;
	o.rcpt = "bob@example.org";
	o.orig = "alice@example.com";
	o.code = 550;
	o.dsn_action = "failed";
	o.dsn_status = "5.1.1";
	o.dsn_diag = "smtp;550 5.1.1 user unknown";
	o.bounce_cat = "bad-mailbox";
	o.format = "rfc3464";
	o.reporting_mta = "mx.example.org";
	o.msgid = "<1@example.com>";
	/* no id, no n: a bounce that came back as mail has no queue id */
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), "bounced logged=2.500000 "
	    "orig=alice@example.com rcpt=bob@example.org code=550 "
	    "dsn-action=failed dsn-status=5.1.1 "
	    "dsn-diag=smtp;550%205.1.1%20user%20unknown "
	    "bounce-cat=bad-mailbox format=rfc3464 "
	    "reporting-mta=mx.example.org msgid=<1@example.com>\n");
	CHECK_INT(proto_parse(b.p, b.len - 1, &rec, why, sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&rec, &r, why, sizeof(why)), 0);
	CHECK_STR(r.type, "bounced");
	CHECK_STR(r.bounce_cat, "bad-mailbox");
	CHECK_STR(r.format, "rfc3464");
	CHECK_STR(r.msgid, "<1@example.com>");
	CHECK(r.id == NULL);

	/* a bounced record needs its rcpt */
	o.rcpt = NULL;
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), -1);
	CHECK_INT(errno, EINVAL);

	/* a complaint may not know its recipient */
	memset(&o, 0, sizeof(o));
	o.type = "complaint";
	o.logged = 3;
	o.feedback_type = "abuse";
	o.user_agent = "SomeGenerator/1.0";
	o.source_ip = "192.0.2.1";
	o.format = "arf";
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), "complaint logged=3.000000 format=arf "
	    "feedback-type=abuse user-agent=SomeGenerator/1.0 "
	    "source-ip=192.0.2.1\n");
	CHECK_INT(proto_parse(b.p, b.len - 1, &rec, why, sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&rec, &r, why, sizeof(why)), 0);
	CHECK_STR(r.feedback_type, "abuse");
	CHECK_STR(r.user_agent, "SomeGenerator/1.0");

	/* the outcomes still need id, n and rcpt, and take bounce-cat */
	CHECK_INT(proto_parse("failed logged=1 rcpt=r", 22, &rec, why,
	    sizeof(why)), 0);
	CHECK_INT(journal_read_outcome(&rec, &r, why, sizeof(why)), -1);
	CHECK_STR(why, "no id");
	memset(&o, 0, sizeof(o));
	o.type = "failed";
	o.logged = 1;
	o.id = "q";
	o.rcpt = "r";
	o.bounce_cat = "quota-issues";
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b),
	    "failed logged=1.000000 id=q n=0 rcpt=r bounce-cat=quota-issues\n");
	buf_free(&b);
}

/* count_named - how many files in log/ end with suffix and hold infix */
static int
count_named(const char *infix, const char *suffix)
{
	struct dirent *de;
	DIR *d;
	size_t n, sl = strlen(suffix);
	int c = 0;

	if ((d = opendir(logdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > sl && strcmp(de->d_name + n - sl, suffix) == 0 &&
		    strstr(de->d_name, infix) != NULL)
			c++;
	}
	closedir(d);
	return c;
}

static struct journal_outcome
bounce_rec(const char *rcpt)
{
	struct journal_outcome o;

	memset(&o, 0, sizeof(o));
	o.type = "bounced";
	o.rcpt = rcpt;
	o.bounce_cat = "bad-mailbox";
	return o;
}

/*
 * An auxiliary writer beside mta-queue: its own segment, sealed on
 * close, read by journal_walk in order; mta-queue starts while it runs
 * and seals it only once its writer is gone.
 */
TEST(aux_writer)
{
	struct journal *j, *a, *a2;
	struct journal_outcome o;
	struct seen s = { 0 };
	char path[512];
	int fd;

	setup();
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	o = bounce_rec("one@example.org");
	CHECK((a = journal_open_aux(dir, "bounce", err, sizeof(err))) !=
	    NULL);
	/* two auxiliary writers at once are fine too */
	CHECK((a2 = journal_open_aux(dir, "bounce", err, sizeof(err))) !=
	    NULL);
	CHECK(strstr(journal_segment(a), "-bounce.jnl") != NULL);
	CHECK(strcmp(journal_segment(a), journal_segment(j)) > 0);
	CHECK_INT(journal_write(a, &o), 0);
	CHECK_INT(journal_sync(a, err, sizeof(err)), 0);
	CHECK_INT(count_named("-bounce", ".jnl"), 2);
	CHECK_INT(journal_close(a2, err, sizeof(err)), 0);
	CHECK_INT(count_named("-bounce", ".jnl"), 1);

	/* mta-queue restarts: the live auxiliary segment is left alone */
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK_INT(count_named("-bounce", ".jnl"), 1);
	CHECK_INT(journal_close(a, err, sizeof(err)), 0);
	CHECK_INT(count_named("-bounce", ".jnl"), 0);
	CHECK_INT(count_named("-bounce", ".sealed"), 1);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 1);
	CHECK_UINT(s.nwarn, 0);
	CHECK(strncmp(s.lines.p, "bounced logged=", 15) == 0);

	/* a dead auxiliary writer's segment, torn: mta-queue seals it */
	(void)snprintf(path, sizeof(path),
	    "%s/20261130T000000.000001-99999-bounce.jnl", logdir);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640)) != -1);
	CHECK(write(fd, "bounced logged=1 rcpt=x\nbounced logg", 36) == 36);
	(void)close(fd);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);
	CHECK_INT(walk(&s), 0);
	CHECK_UINT(s.nrec, 2);
	CHECK_UINT(s.n[0], 0);
	CHECK((j = journal_open(dir, err, sizeof(err))) != NULL);
	CHECK_INT(count_named("-bounce", ".jnl"), 0);
	CHECK_INT(count_named("-bounce", ".sealed"), 2);
	CHECK_INT(journal_close(j, err, sizeof(err)), 0);

	/* names are letters only */
	CHECK(journal_open_aux(dir, "Bad", err, sizeof(err)) == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(journal_open_aux(dir, "", err, sizeof(err)) == NULL);
	CHECK(journal_open_aux(dir, "abcdefghijklmnopq", err, sizeof(err)) ==
	    NULL);
	buf_free(&s.lines);
	teardown();
}

TEST(new_verbs_and_headers)
{
	struct journal_outcome o;
	struct journal_header h[JOURNAL_MAXHDR + 1];
	struct proto_rec r;
	struct buf b = BUF_INIT, v = BUF_INIT;
	char e[256];

	/* a receipt is an outcome: id, n and rcpt */
	memset(&o, 0, sizeof(o));
	o.type = "received";
	o.logged = 1;
	o.id = "q";
	o.rcpt = "a@b";
	o.size = 42;
	h[0] = (struct journal_header){ "x-campaign",
	    "spring, \"sale\"\r\n\tcaf\xc3\xa9 100%" };
	h[1] = (struct journal_header){ "x-empty", "" };
	o.hdr = h;
	o.nhdr = 2;
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), "received logged=1.000000 id=q n=0 rcpt=a@b "
	    "size=42 header-x-campaign=spring,%20\"sale\"%0D%0A%09caf%C3%A9"
	    "%20100%25\n");
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, e, sizeof(e)), 0);
	CHECK_STR(proto_get(&r, "header-x-campaign"),
	    "spring, \"sale\"\r\n\tcaf\xc3\xa9 100%");
	o.id = NULL;
	CHECK_INT(journal_format(&b, &o), -1);
	CHECK_INT(errno, EINVAL);

	/* bad header names, too many headers */
	o.id = "q";
	h[0].name = "X-Up";
	CHECK_INT(journal_format(&b, &o), -1);
	h[0].name = "";
	CHECK_INT(journal_format(&b, &o), -1);
	h[0].name = NULL;
	CHECK_INT(journal_format(&b, &o), -1);
	for (size_t i = 0; i <= JOURNAL_MAXHDR; i++)
		h[i] = (struct journal_header){ "x-a", "1" };
	o.nhdr = JOURNAL_MAXHDR + 1;
	CHECK_INT(journal_format(&b, &o), -1);

	/* oversize values: within 4096 bytes, cut between characters */
	for (int i = 0; i < 700; i++)
		(void)buf_appends(&v, "\xc3\xa9");
	for (size_t i = 0; i < JOURNAL_MAXHDR; i++)
		h[i] = (struct journal_header){ "x-big", v.p };
	o.nhdr = JOURNAL_MAXHDR;
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK(b.len <= PROTO_MAXLINE);
	CHECK(b.len > PROTO_MAXLINE - 20);
	CHECK(strstr(b.p, "header-x-big=%C3%A9") != NULL);
	CHECK(strstr(b.p, "%C3\n") == NULL && strstr(b.p, "=\n") == NULL &&
	    strstr(b.p, "= ") == NULL);
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, e, sizeof(e)), 0);
	CHECK_INT(journal_read_outcome(&r, &o, e, sizeof(e)), 0);

	/* a queue's failure: no id, n or rcpt; its queue */
	memset(&o, 0, sizeof(o));
	o.type = "qdeferred";
	o.logged = 2;
	o.queue = "x.example/v1";
	o.vmta = "v1";
	o.code = 421;
	o.dsn_status = "4.3.2";
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), "qdeferred logged=2.000000 vmta=v1 "
	    "queue=x.example/v1 code=421 dsn-status=4.3.2\n");
	CHECK_INT(proto_parse(b.p, b.len - 1, &r, e, sizeof(e)), 0);
	CHECK_INT(journal_read_outcome(&r, &o, e, sizeof(e)), 0);
	o.queue = NULL;
	CHECK_INT(journal_format(&b, &o), -1);
	CHECK_INT(proto_parse("qdeferred logged=2", 18, &r, e, sizeof(e)), 0);
	CHECK_INT(journal_read_outcome(&r, &o, e, sizeof(e)), -1);
	CHECK_STR(e, "no queue");

	/* an inbound status: rcpt, as bounced */
	memset(&o, 0, sizeof(o));
	o.type = "status";
	o.logged = 3;
	o.rcpt = "c@d";
	o.dsn_action = "delayed";
	buf_reset(&b);
	CHECK_INT(journal_format(&b, &o), 0);
	CHECK_STR(buf_cstr(&b), "status logged=3.000000 rcpt=c@d "
	    "dsn-action=delayed\n");
	o.rcpt = NULL;
	CHECK_INT(journal_format(&b, &o), -1);
	buf_free(&b);
	buf_free(&v);
}

static const struct test_case tests[] = {
	T(format),
	T(too_long),
	T(read_outcome),
	T(round_trip),
	T(durability_order),
	T(write_fails),
	T(sync_taken),
	T(rotation),
	T(empty_close),
	T(dead_writer),
	T(clock_behind),
	T(damaged),
	T(long_segment),
	T(line_lengths),
	T(single_writer),
	T(no_log_dir),
	T(report_verbs),
	T(aux_writer),
	T(new_verbs_and_headers),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
