/*
 * spool_test - the spool tree: init, open, group commit, failures,
 * queue ids, take/remove and the queue manager's reads.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "harness.h"
#include "spool.h"

static char top[64];		/* the mkdtemp directory of a test */
static char dir[128];		/* the spool inside it */
static char err[512];

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

/* setup - a fresh top directory; with init, a spool tree in it */
static void
setup(int init)
{
	int n;

	if (strlcpy(top, "/tmp/spool_test.XXXXXX", sizeof(top)) >=
	    sizeof(top) || mkdtemp(top) == NULL)
		abort();
	n = snprintf(dir, sizeof(dir), "%s/spool", top);
	if (n < 0 || (size_t)n >= sizeof(dir))
		abort();
	if (init && spool_init(dir, err, sizeof(err)) == -1) {
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

/* sub - dir/rel into a static buffer */
static const char *
sub(const char *rel)
{
	static char p[256];
	int n;

	n = snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(p))
		abort();
	return p;
}

/* entries - the number of names in dir/rel, . and .. aside */
static int
entries(const char *rel)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(sub(rel))) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* slurp - the whole file at path into b */
static int
slurp(const char *path, struct buf *b)
{
	char chunk[8192];
	ssize_t r;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(b, chunk, (size_t)r);
	close(fd);
	return r == 0 ? 0 : -1;
}

static void
make_env(struct envelope *e, int i)
{
	char a[64];

	envelope_init(e);
	buf_set(&e->from, "sender@x.example", 16);
	buf_set(&e->source, "smtp 192.0.2.9", 14);
	(void)snprintf(a, sizeof(a), "r%d@y.example", i);
	CHECK_INT(envelope_add_rcpt(e, a, NULL, "FAILURE"), 0);
	CHECK_INT(envelope_add_rcpt(e, "second@z.example", "rfc822;x@z",
	    NULL), 0);
}

static int
count_cb(const char *qid, void *arg)
{
	CHECK(spool_qid_valid(qid));
	(*(int *)arg)++;
	return 0;
}

TEST(init_idempotent)
{
	static const char *const dirs[] = { "", "tmp", "new", "queue", "log",
	    "suppress", "queue/00", "queue/7f", "queue/ff" };
	struct stat st;
	mode_t old;

	setup(0);
	old = umask(077);	/* modes must not depend on the umask */
	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);
	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);
	umask(old);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		CHECK_INT(stat(sub(dirs[i]), &st), 0);
		CHECK(S_ISDIR(st.st_mode));
		/* injectors (setgid) write tmp/ and new/ only */
		CHECK_INT(st.st_mode & 07777, strcmp(dirs[i], "tmp") == 0 ||
		    strcmp(dirs[i], "new") == 0 ? 02770 : 0750);
	}
	CHECK_INT(entries("queue"), 256);
	CHECK_INT(stat(sub("trigger"), &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_INT(st.st_mode & 07777, 0620);

	/* a missing part is put back, the rest is left alone */
	CHECK_INT(rmdir(sub("queue/ab")), 0);
	CHECK_INT(rmdir(sub("log")), 0);
	CHECK_INT(chmod(sub("new"), 0700), 0);
	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);
	CHECK_INT(stat(sub("queue/ab"), &st), 0);
	CHECK_INT(stat(sub("log"), &st), 0);
	CHECK_INT(stat(sub("new"), &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);

	/* what cannot be fixed is said */
	CHECK_INT(unlink(sub("trigger")), 0);
	CHECK_INT(close(open(sub("trigger"), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK_INT(spool_init(dir, err, sizeof(err)), -1);
	CHECK(strstr(err, "trigger is not a FIFO") != NULL);
	CHECK_INT(spool_init(sub("no/such/dir"), err, sizeof(err)), -1);
	CHECK(strstr(err, "mkdir: No such file or directory") != NULL);
	teardown();
}

TEST(open_errors)
{
	struct spool *sp;
	struct envelope e;
	char want[512];

	setup(0);
	CHECK(spool_open(dir, 0, err, sizeof(err)) == NULL);
	(void)snprintf(want, sizeof(want), "spool %s: missing (run mta-ctl "
	    "spool init)", dir);
	CHECK_STR(err, want);

	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);
	CHECK_INT(rmdir(sub("tmp")), 0);
	CHECK(spool_open(dir, 0, err, sizeof(err)) == NULL);
	(void)snprintf(want, sizeof(want), "spool %s: missing tmp/ (run "
	    "mta-ctl spool init)", dir);
	CHECK_STR(err, want);

	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);
	CHECK_INT(unlink(sub("trigger")), 0);
	CHECK(spool_open(dir, 0, err, sizeof(err)) == NULL);
	(void)snprintf(want, sizeof(want), "spool %s: missing trigger (run "
	    "mta-ctl spool init)", dir);
	CHECK_STR(err, want);
	CHECK_INT(close(open(sub("trigger"), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK(spool_open(dir, 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "trigger is not a FIFO") != NULL);
	CHECK_INT(unlink(sub("trigger")), 0);
	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);

	CHECK_INT(rmdir(sub("suppress")), 0);
	CHECK_INT(close(open(sub("suppress"), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK(spool_open(dir, 0, err, sizeof(err)) == NULL);
	(void)snprintf(want, sizeof(want), "spool %s: suppress: Not a "
	    "directory", dir);
	CHECK_STR(err, want);
	CHECK_INT(unlink(sub("suppress")), 0);
	CHECK_INT(spool_init(dir, err, sizeof(err)), 0);

	/* read-only: opens, but writes nothing */
	CHECK((sp = spool_open(dir, SPOOL_RDONLY, err, sizeof(err))) != NULL);
	make_env(&e, 0);
	CHECK(spool_writer_new(sp, &e, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "opened read-only") != NULL);
	envelope_free(&e);
	spool_close(sp);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	spool_close(sp);
	teardown();
}

/* commit_n - commit n messages in one batch, check them and take them */
static void
commit_n(int n)
{
	struct spool *sp;
	struct spool_writer **ws;
	struct envelope *es, p;
	struct buf file = BUF_INIT, body = BUF_INIT;
	char path[256], qid[SPOOL_QIDLEN + 1];
	size_t off;
	int count = 0, rfd;
	char c;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	/* a reader on the trigger, as mta-queue keeps one */
	CHECK((rfd = open(sub("trigger"), O_RDONLY | O_NONBLOCK)) != -1);
	ws = calloc((size_t)n, sizeof(*ws));
	es = calloc((size_t)n, sizeof(*es));
	if (ws == NULL || es == NULL)
		abort();
	for (int i = 0; i < n; i++) {
		make_env(&es[i], i);
		ws[i] = spool_writer_new(sp, &es[i], err, sizeof(err));
		CHECK(ws[i] != NULL);
		CHECK(spool_qid_valid(spool_writer_qid(ws[i])));
		CHECK_STR(es[i].id.p, spool_writer_qid(ws[i]));
		CHECK(es[i].time > 0);
		buf_reset(&body);
		buf_appendf(&body, "Subject: %d\r\n\r\n\xe9t\xe9 %d\r\n", i, i);
		CHECK_INT(spool_writer_write(ws[i], body.p, body.len), 0);
	}
	CHECK_INT(entries("tmp"), n);
	CHECK_INT(spool_commit(sp, ws, (size_t)n, err, sizeof(err)), 0);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), n);
	CHECK_INT(read(rfd, &c, 1), 1);
	CHECK_INT(spool_scan_new(sp, count_cb, &count), 0);
	CHECK_INT(count, n);

	envelope_init(&p);
	for (int i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "new/%s",
		    spool_writer_qid(ws[i]));
		CHECK_INT(slurp(sub(path), &file), 0);
		CHECK_INT(envelope_parse(file.p, file.len, &p, &off, err,
		    sizeof(err)), 0);
		buf_reset(&body);
		buf_appendf(&body, "Subject: %d\r\n\r\n\xe9t\xe9 %d\r\n", i, i);
		CHECK_UINT(p.size, body.len);
		CHECK_UINT(file.len - off, body.len);
		CHECK(memcmp(file.p + off, body.p, body.len) == 0);
		CHECK_STR(p.id.p, spool_writer_qid(ws[i]));
		CHECK_STR(buf_cstr(&p.from), "sender@x.example");
		CHECK_UINT(p.nrcpt, 2);
		/* the writer's offsets hold in the committed file */
		for (size_t r = 0; r < p.nrcpt; r++) {
			CHECK_UINT(es[i].rcpt[r].off, p.rcpt[r].off);
			CHECK_INT(file.p[es[i].rcpt[r].off], '-');
		}
		(void)strlcpy(qid, spool_writer_qid(ws[i]), sizeof(qid));
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
		CHECK_INT(spool_take(sp, qid), 0);
	}
	CHECK_INT(entries("new"), 0);
	count = 0;
	CHECK_INT(spool_scan_queue(sp, count_cb, &count), 0);
	CHECK_INT(count, n);
	close(rfd);
	envelope_free(&p);
	buf_free(&file);
	buf_free(&body);
	free(ws);
	free(es);
	spool_close(sp);
	teardown();
}

TEST(commit_1)
{
	commit_n(1);
}

TEST(commit_3)
{
	commit_n(3);
}

TEST(commit_100)
{
	commit_n(100);
}

TEST(commit_nothing)
{
	struct spool *sp;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	CHECK_INT(spool_commit(sp, NULL, 0, err, sizeof(err)), 0);
	spool_close(sp);
	teardown();
}

TEST(body_exact)
{
	struct spool *sp;
	struct spool_writer *w;
	struct envelope e, p;
	struct buf body = BUF_INIT, got = BUF_INIT;
	unsigned x = 1;
	size_t off, at, n;
	ssize_t r;
	int fd;
	struct stat st;

	/* every byte value, bare CR and LF, NUL, then 300 KB of noise */
	for (int c = 0; c < 256; c++)
		buf_appendc(&body, c);
	buf_appends(&body, "\r\n.\r\n\n\r\r\n..\r\n");
	while (body.len < 300 * 1024) {
		x = x * 1103515245 + 12345;
		buf_appendc(&body, (int)(x >> 16));
	}

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	make_env(&e, 0);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	/* chunks of every size, some over the writer's buffer */
	for (at = 0, n = 0; at < body.len; at += n) {
		n = at < 5000 ? 1 + at % 7 : at < 100000 ? 40000 : 4093;
		if (n > body.len - at)
			n = body.len - at;
		CHECK_INT(spool_writer_write(w, body.p + at, n), 0);
	}
	CHECK_INT(spool_writer_write(w, "", 0), 0);
	CHECK_INT(spool_commit(sp, &w, 1, err, sizeof(err)), 0);
	CHECK_INT(spool_take(sp, e.id.p), 0);

	envelope_init(&p);
	CHECK_INT(spool_open_msg(sp, e.id.p, &p, &off, &fd, err,
	    sizeof(err)), 0);
	CHECK_UINT(p.size, body.len);
	CHECK_INT(fstat(fd, &st), 0);
	CHECK_INT(st.st_size, off + body.len);
	CHECK_INT(st.st_mode & 07777, 0660);
	buf_grow(&got, body.len);
	r = pread(fd, got.p, body.len, (off_t)off);
	CHECK_INT(r, body.len);
	CHECK(memcmp(got.p, body.p, body.len) == 0);
	close(fd);

	spool_writer_free(w);
	envelope_free(&e);
	envelope_free(&p);
	buf_free(&body);
	buf_free(&got);
	spool_close(sp);
	teardown();
}

TEST(abort_leaves_nothing)
{
	struct spool *sp;
	struct spool_writer *w;
	struct envelope e;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	make_env(&e, 0);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	CHECK_INT(spool_writer_write(w, "x\r\n", 3), 0);
	CHECK_INT(entries("tmp"), 1);
	spool_writer_abort(w);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 0);

	/* freeing an uncommitted writer discards it too */
	envelope_free(&e);
	make_env(&e, 1);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	spool_writer_free(w);
	CHECK_INT(entries("tmp"), 0);

	/* an envelope that cannot be written leaves nothing either */
	envelope_free(&e);
	make_env(&e, 2);
	buf_reset(&e.source);
	for (int i = 0; i < 2000; i++)
		buf_appendc(&e.source, ' ');
	CHECK(spool_writer_new(sp, &e, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "a record over 4096 bytes") != NULL);
	CHECK_INT(entries("tmp"), 0);
	envelope_free(&e);
	spool_close(sp);
	teardown();
}

TEST(given_id)
{
	struct spool *sp;
	struct spool_writer *w, *w2;
	struct envelope e;
	char qid[SPOOL_QIDLEN + 1];

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	make_env(&e, 0);
	spool_qid_new(qid);
	buf_set(&e.id, qid, strlen(qid));
	e.time = 12345;
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	CHECK_STR(spool_writer_qid(w), qid);
	CHECK_INT(e.time, 12345);
	/* the same id twice is refused, the first message stays */
	CHECK((w2 = spool_writer_new(sp, &e, err, sizeof(err))) == NULL);
	CHECK(strstr(err, "create: File exists") != NULL);
	CHECK_INT(entries("tmp"), 1);
	spool_writer_abort(w);
	buf_set(&e.id, "../../etc/passwd", 16);
	CHECK(spool_writer_new(sp, &e, err, sizeof(err)) == NULL);
	CHECK_STR(err, "bad queue id in envelope");
	envelope_free(&e);
	spool_close(sp);
	teardown();
}

/* spool_set_anon's getter: a file of spool_anon_create, or none */
static int anon_calls;
static int anon_none;

static int
anon_get(void *arg)
{
	anon_calls++;
	return anon_none ? -1 : spool_anon_create(arg);
}

/* anonymous files (mta-inject, mta-smtpd): no tmp/ name at any time */
TEST(anon_files)
{
	struct spool *sp;
	struct spool_writer *ws[3];
	struct envelope es[3], p;
	struct buf file = BUF_INIT;
	struct stat st;
	char path[256];
	size_t off;
	mode_t old;
	int fd;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	if ((fd = spool_anon_create(sp)) == -1) {
		/* a file system without O_TMPFILE: nothing to test */
		CHECK(errno == EOPNOTSUPP || errno == EISDIR);
		spool_close(sp);
		teardown();
		return;
	}
	close(fd);
	CHECK_INT(spool_set_anon(sp, anon_get, sp), 0);
	old = umask(077);	/* the mode must not depend on the umask */
	for (int i = 0; i < 3; i++) {
		make_env(&es[i], i);
		CHECK((ws[i] = spool_writer_new(sp, &es[i], err,
		    sizeof(err))) != NULL);
		CHECK_INT(spool_writer_write(ws[i], "Subject: a\r\n\r\nb\r\n",
		    18), 0);
	}
	umask(old);
	CHECK_INT(anon_calls, 3);
	CHECK_INT(entries("tmp"), 0);
	/* an abort leaves nothing; a commit links the others into new/ */
	spool_writer_abort(ws[2]);
	envelope_free(&es[2]);
	CHECK_INT(spool_commit(sp, ws, 2, err, sizeof(err)), 0);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 2);
	envelope_init(&p);
	for (int i = 0; i < 2; i++) {
		(void)snprintf(path, sizeof(path), "new/%s",
		    spool_writer_qid(ws[i]));
		CHECK_INT(stat(sub(path), &st), 0);
		CHECK_INT(st.st_mode & 07777, 0660);
		CHECK_INT(st.st_nlink, 1);
		CHECK_INT(slurp(sub(path), &file), 0);
		CHECK_INT(envelope_parse(file.p, file.len, &p, &off, err,
		    sizeof(err)), 0);
		CHECK_STR(p.id.p, spool_writer_qid(ws[i]));
		CHECK_UINT(p.size, 18);
		CHECK_UINT(file.len - off, 18);
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
	}

	/* a given id, or a getter with nothing: a named tmp/ file */
	make_env(&es[0], 0);
	spool_qid_new(path);
	buf_set(&es[0].id, path, strlen(path));
	CHECK((ws[0] = spool_writer_new(sp, &es[0], err, sizeof(err))) !=
	    NULL);
	CHECK_INT(anon_calls, 3);
	anon_none = 1;
	make_env(&es[1], 1);
	CHECK((ws[1] = spool_writer_new(sp, &es[1], err, sizeof(err))) !=
	    NULL);
	CHECK_INT(anon_calls, 4);
	CHECK_INT(entries("tmp"), 2);
	CHECK_INT(spool_commit(sp, ws, 2, err, sizeof(err)), 0);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 4);
	for (int i = 0; i < 2; i++) {
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
	}
	envelope_free(&p);
	buf_free(&file);
	spool_close(sp);
	teardown();
}

/* no file of a failed batch may be left in tmp/ or new/ */
TEST(commit_fails_fsize)
{
	struct spool *sp;
	struct spool_writer *ws[3];
	struct envelope es[3];
	struct rlimit old, lim;
	char big[20000], want[256];

	memset(big, 'b', sizeof(big));
	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	for (int i = 0; i < 3; i++) {
		make_env(&es[i], i);
		CHECK((ws[i] = spool_writer_new(sp, &es[i], err,
		    sizeof(err))) != NULL);
		CHECK_INT(spool_writer_write(ws[i], "small\r\n", 7), 0);
	}
	/* a file size limit makes the flush inside the commit fail */
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 8192;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CHECK_INT(spool_writer_write(ws[1], big, sizeof(big) / 2), 0);
	CHECK_INT(spool_commit(sp, ws, 3, err, sizeof(err)), -1);
	CHECK_INT(errno, EFBIG);
	(void)snprintf(want, sizeof(want), "%s/tmp/%s: write: File too large",
	    dir, spool_writer_qid(ws[1]));
	CHECK_STR(err, want);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 0);
	/* the writers are dead now */
	CHECK_INT(spool_writer_write(ws[0], "x", 1), -1);
	CHECK_INT(spool_commit(sp, ws, 1, err, sizeof(err)), -1);
	for (int i = 0; i < 3; i++) {
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
	}

	/* a write too big for the buffer fails at once */
	make_env(&es[0], 0);
	CHECK((ws[0] = spool_writer_new(sp, &es[0], err, sizeof(err))) !=
	    NULL);
	CHECK_INT(spool_writer_write(ws[0], big, sizeof(big)), 0);
	CHECK_INT(spool_writer_write(ws[0], big, sizeof(big)), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(spool_writer_write(ws[0], "x", 1), -1);
	CHECK_INT(spool_commit(sp, ws, 1, err, sizeof(err)), -1);
	CHECK(strstr(err, ": write: File too large") != NULL);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 0);
	spool_writer_free(ws[0]);
	envelope_free(&es[0]);

	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	spool_close(sp);
	teardown();
}

TEST(commit_fails_rename)
{
	struct spool *sp;
	struct spool_writer *ws[2];
	struct envelope es[2];
	char path[128], want[256];

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	for (int i = 0; i < 2; i++) {
		make_env(&es[i], i);
		CHECK((ws[i] = spool_writer_new(sp, &es[i], err,
		    sizeof(err))) != NULL);
	}
	/* the second name is taken in new/: the first must not stay */
	(void)snprintf(path, sizeof(path), "new/%s", spool_writer_qid(ws[1]));
	CHECK_INT(close(open(sub(path), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK_INT(spool_commit(sp, ws, 2, err, sizeof(err)), -1);
	CHECK_INT(errno, EEXIST);
	(void)snprintf(want, sizeof(want), "%s/new/%s: rename: File exists",
	    dir, spool_writer_qid(ws[1]));
	CHECK_STR(err, want);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 1);	/* only the file made above */
	(void)snprintf(path, sizeof(path), "new/%s", spool_writer_qid(ws[0]));
	CHECK_INT(access(sub(path), F_OK), -1);
	for (int i = 0; i < 2; i++) {
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
	}
	spool_close(sp);
	teardown();
}

/* the file descriptor of w: the one open on tmp/qid */
static int
writer_fd(const char *qid)
{
	char link[300], target[512];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int fd = -1, k;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		k = snprintf(link, sizeof(link), "/proc/self/fd/%s",
		    de->d_name);
		if (k < 0 || (size_t)k >= sizeof(link) ||
		    (n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "/tmp/") != NULL &&
		    strstr(target, qid) != NULL)
			fd = (int)strtonum(de->d_name, 0, INT_MAX, NULL);
	}
	closedir(d);
	return fd;
}

TEST(commit_fails_bad_fd)
{
	struct spool *sp;
	struct spool_writer *ws[2];
	struct envelope es[2];
	int fd, null;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	for (int i = 0; i < 2; i++) {
		make_env(&es[i], i);
		CHECK((ws[i] = spool_writer_new(sp, &es[i], err,
		    sizeof(err))) != NULL);
		CHECK_INT(spool_writer_write(ws[i], "x\r\n", 3), 0);
	}
	/* swap a read-only fd in under the writer: its writes fail */
	CHECK((fd = writer_fd(spool_writer_qid(ws[0]))) != -1);
	CHECK((null = open("/dev/null", O_RDONLY)) != -1);
	CHECK_INT(dup2(null, fd), fd);
	close(null);
	CHECK_INT(spool_commit(sp, ws, 2, err, sizeof(err)), -1);
	CHECK_INT(errno, EBADF);
	CHECK(strstr(err, ": write: Bad file descriptor") != NULL);
	CHECK_INT(entries("tmp"), 0);
	CHECK_INT(entries("new"), 0);
	for (int i = 0; i < 2; i++) {
		spool_writer_free(ws[i]);
		envelope_free(&es[i]);
	}
	spool_close(sp);
	teardown();
}

/* commit one message and take it into queue/; its id into qid */
static void
queue_one(struct spool *sp, int i, char qid[SPOOL_QIDLEN + 1])
{
	struct spool_writer *w;
	struct envelope e;

	make_env(&e, i);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	CHECK_INT(spool_writer_write(w, "Subject: q\r\n\r\nq\r\n", 17), 0);
	CHECK_INT(spool_commit(sp, &w, 1, err, sizeof(err)), 0);
	(void)strlcpy(qid, spool_writer_qid(w), SPOOL_QIDLEN + 1);
	spool_writer_free(w);
	envelope_free(&e);
}

static int
stop_cb(const char *qid, void *arg)
{
	(void)qid;
	(*(int *)arg)++;
	return 7;
}

TEST(take_remove)
{
	struct spool *sp;
	struct envelope e;
	char qid[3][SPOOL_QIDLEN + 1], path[256], rel[128], nq[128];
	size_t off;
	int fd, count = 0;
	struct stat st;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	for (int i = 0; i < 3; i++)
		queue_one(sp, i, qid[i]);
	CHECK_INT(spool_scan_new(sp, stop_cb, &count), 7);
	CHECK_INT(count, 1);
	/* a batch: moves first, one sync per folder after */
	CHECK_INT(spool_take(sp, qid[0]), 0);
	for (int i = 1; i < 3; i++)
		CHECK_INT(spool_take_nosync(sp, qid[i]), 0);
	CHECK_INT(spool_take_nosync(sp, qid[1]), -1);	/* gone from new/ */
	CHECK_INT(errno, ENOENT);
	CHECK_INT(spool_take_nosync(sp, "../tmp/x"), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(spool_sync_taken(sp), 0);
	CHECK_INT(spool_sync_taken(sp), 0);		/* nothing left */
	CHECK_INT(entries("new"), 0);
	count = 0;
	CHECK_INT(spool_scan_queue(sp, count_cb, &count), 0);
	CHECK_INT(count, 3);

	/* the path is queue/XX/qid */
	CHECK_INT(spool_path(sp, qid[0], path, sizeof(path)), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK(strncmp(path, sub("queue/"), strlen(sub("queue/"))) == 0);
	CHECK_INT(strlen(path), strlen(dir) + 7 + 3 + SPOOL_QIDLEN);
	CHECK_INT(spool_path(sp, qid[0], path, 20), -1);
	CHECK_INT(errno, ENAMETOOLONG);
	CHECK_INT(spool_path(sp, "../../../etc/passwd", path, sizeof(path)),
	    -1);
	CHECK_INT(errno, EINVAL);

	/* in-place update through spool_open_msg, seen on the next open */
	envelope_init(&e);
	CHECK_INT(spool_open_msg(sp, qid[1], &e, &off, &fd, err,
	    sizeof(err)), 0);
	CHECK_UINT(e.nrcpt, 2);
	e.rcpt[1].state = ENVELOPE_DELIVERED;
	e.rcpt[1].attempts = 1;
	e.rcpt[1].first = 1700000000;
	CHECK_INT(envelope_rcpt_update(fd, &e, 1), 0);
	close(fd);
	CHECK_INT(spool_open_msg(sp, qid[1], &e, &off, &fd, err,
	    sizeof(err)), 0);
	CHECK_INT(e.rcpt[0].state, ENVELOPE_PENDING);
	CHECK_INT(e.rcpt[1].state, ENVELOPE_DELIVERED);
	CHECK_INT(e.rcpt[1].attempts, 1);
	CHECK_INT(e.rcpt[1].first, 1700000000);
	close(fd);

	/* remove */
	CHECK_INT(spool_remove(sp, qid[1]), 0);
	CHECK_INT(spool_remove(sp, qid[1]), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(spool_open_msg(sp, qid[1], &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, ": open: No such file or directory") != NULL);
	CHECK_INT(spool_take(sp, qid[1]), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(spool_take(sp, "../tmp/x"), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(spool_remove(sp, ""), -1);
	CHECK_INT(errno, EINVAL);

	/* a crash inside a take left the file in both places: taken */
	CHECK_INT(spool_path(sp, qid[2], path, sizeof(path)), 0);
	(void)snprintf(nq, sizeof(nq), "new/%s", qid[2]);
	CHECK_INT(link(path, sub(nq)), 0);
	CHECK_INT(spool_take(sp, qid[2]), 0);
	CHECK_INT(entries("new"), 0);
	CHECK_INT(stat(path, &st), 0);
	/* a different file of the same name is not overwritten */
	CHECK_INT(close(open(sub(nq), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK_INT(spool_take(sp, qid[2]), -1);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(stat(path, &st), 0);
	CHECK(st.st_size > 0);
	(void)snprintf(rel, sizeof(rel), "new/%s", qid[2]);
	CHECK_INT(unlink(sub(rel)), 0);

	envelope_free(&e);
	spool_close(sp);
	teardown();
}

TEST(open_msg_errors)
{
	struct spool *sp;
	struct envelope e;
	char qid[2][SPOOL_QIDLEN + 1], path[256], other[256], fake[32];
	size_t off;
	struct buf b = BUF_INIT;
	int fd, n;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	for (int i = 0; i < 2; i++) {
		queue_one(sp, i, qid[i]);
		CHECK_INT(spool_take(sp, qid[i]), 0);
	}
	envelope_init(&e);

	/* a message cut short */
	CHECK_INT(spool_path(sp, qid[0], path, sizeof(path)), 0);
	CHECK_INT(slurp(path, &b), 0);
	CHECK_INT(truncate(path, (off_t)b.len - 1), 0);
	CHECK_INT(spool_open_msg(sp, qid[0], &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, ": 16 message bytes, the envelope says 17 "
	    "(truncated?)") != NULL);
	/* cut inside the envelope */
	CHECK_INT(truncate(path, 40), 0);
	CHECK_INT(spool_open_msg(sp, qid[0], &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, ": truncated envelope") != NULL);
	/* an empty file, and garbage */
	CHECK_INT(truncate(path, 0), 0);
	CHECK_INT(spool_open_msg(sp, qid[0], &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "not a spool file") != NULL);

	/* a file under another queue id's name */
	CHECK_INT(spool_path(sp, qid[1], other, sizeof(other)), 0);
	CHECK_INT(rename(other, path), 0);
	CHECK_INT(spool_open_msg(sp, qid[0], &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "envelope of another queue id") != NULL);

	/* not a queue id */
	CHECK_INT(spool_open_msg(sp, "..", &e, &off, &fd, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "bad queue id");
	n = snprintf(fake, sizeof(fake), "%.*s", SPOOL_QIDLEN, qid[0]);
	CHECK_INT(n, SPOOL_QIDLEN);
	fake[3] = 'G';
	CHECK_INT(spool_open_msg(sp, fake, &e, &off, &fd, err, sizeof(err)),
	    -1);
	CHECK_INT(errno, EINVAL);

	envelope_free(&e);
	buf_free(&b);
	spool_close(sp);
	teardown();
}

/*
 * spool_read_msg: the envelope's text as written, which parses alone to
 * the same envelope; the size check holds whether the first read meets
 * the end of the file (a small message) or fstat(2) gives the size.
 */
TEST(read_msg_text)
{
	struct spool *sp;
	struct spool_writer *w;
	struct envelope e, p, q;
	struct buf text = BUF_INIT, file = BUF_INIT, body = BUF_INIT;
	char qid[SPOOL_QIDLEN + 1], big[SPOOL_QIDLEN + 1], path[256];
	size_t off, off2;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	queue_one(sp, 0, qid);
	CHECK_INT(spool_take(sp, qid), 0);
	envelope_init(&p);
	CHECK_INT(spool_read_msg(sp, qid, &p, &off, &text, err, sizeof(err)),
	    0);
	CHECK_INT(spool_path(sp, qid, path, sizeof(path)), 0);
	CHECK_INT(slurp(path, &file), 0);
	CHECK_UINT(text.len, off);
	CHECK(memcmp(text.p, file.p, off) == 0);
	envelope_init(&q);
	CHECK_INT(envelope_parse(text.p, text.len, &q, &off2, err,
	    sizeof(err)), 0);
	CHECK_UINT(off2, off);
	CHECK_STR(buf_cstr(&q.id), qid);
	CHECK_UINT(q.nrcpt, 2);
	CHECK_STR(buf_cstr(&q.rcpt[1].addr), "second@z.example");
	/* without text: the same envelope, nothing else */
	CHECK_INT(spool_read_msg(sp, qid, &q, &off2, NULL, err, sizeof(err)),
	    0);
	CHECK_UINT(off2, off);

	/* 40 KB: the first read does not reach the end */
	make_env(&e, 1);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);
	while (body.len < 40 * 1024)
		buf_appends(&body, "0123456789abcdef0123456789abcdef\r\n");
	CHECK_INT(spool_writer_write(w, body.p, body.len), 0);
	CHECK_INT(spool_commit(sp, &w, 1, err, sizeof(err)), 0);
	(void)strlcpy(big, spool_writer_qid(w), sizeof(big));
	spool_writer_free(w);
	CHECK_INT(spool_take(sp, big), 0);
	CHECK_INT(spool_read_msg(sp, big, &q, &off2, &text, err, sizeof(err)),
	    0);
	CHECK_UINT(q.size, body.len);
	CHECK_UINT(text.len, off2);
	CHECK_INT(spool_path(sp, big, path, sizeof(path)), 0);
	CHECK_INT(truncate(path, (off_t)(off2 + body.len - 1)), 0);
	CHECK_INT(spool_read_msg(sp, big, &q, &off2, &text, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "the envelope says") != NULL);

	envelope_free(&e);
	envelope_free(&p);
	envelope_free(&q);
	buf_free(&text);
	buf_free(&file);
	buf_free(&body);
	spool_close(sp);
	teardown();
}

TEST(clean_tmp)
{
	struct spool *sp;
	struct spool_writer *w;
	struct envelope e;
	struct timespec ts[2];
	time_t now = time(NULL);

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	CHECK_INT(close(open(sub("tmp/stale"), O_CREAT | O_WRONLY, 0600)), 0);
	CHECK_INT(close(open(sub("tmp/young"), O_CREAT | O_WRONLY, 0600)), 0);
	ts[0].tv_sec = ts[1].tv_sec = now - SPOOL_TMP_MAXAGE - 60;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CHECK_INT(utimensat(AT_FDCWD, sub("tmp/stale"), ts, 0), 0);
	ts[0].tv_sec = ts[1].tv_sec = now - SPOOL_TMP_MAXAGE + 60;
	CHECK_INT(utimensat(AT_FDCWD, sub("tmp/young"), ts, 0), 0);
	make_env(&e, 0);
	CHECK((w = spool_writer_new(sp, &e, err, sizeof(err))) != NULL);

	CHECK_INT(spool_clean_tmp(sp, now), 1);
	CHECK_INT(access(sub("tmp/stale"), F_OK), -1);
	CHECK_INT(access(sub("tmp/young"), F_OK), 0);
	CHECK_INT(entries("tmp"), 2);
	CHECK_INT(spool_clean_tmp(sp, now), 0);
	/* a day and a half later the rest goes */
	CHECK_INT(spool_clean_tmp(sp, now + SPOOL_TMP_MAXAGE + 120), 2);
	CHECK_INT(entries("tmp"), 0);
	spool_writer_abort(w);
	envelope_free(&e);
	spool_close(sp);
	teardown();
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

TEST(qid)
{
	enum { N = 10000, KIDS = 4, PER = 2000 };
	char (*ids)[SPOOL_QIDLEN + 1];
	char prev[SPOOL_QIDLEN + 1] = "";
	int p[2], sorted = 1;
	size_t got = 0;
	ssize_t r;
	pid_t pids[KIDS];

	if ((ids = calloc(N + KIDS * PER, sizeof(*ids))) == NULL)
		abort();
	for (int i = 0; i < N; i++) {
		spool_qid_new(ids[i]);
		if (!spool_qid_valid(ids[i]) ||
		    strlen(ids[i]) != SPOOL_QIDLEN)
			test_fail(__FILE__, __LINE__, "bad id \"%s\"", ids[i]);
		if (strcmp(prev, ids[i]) >= 0)
			sorted = 0;
		memcpy(prev, ids[i], sizeof(prev));
	}
	CHECK(sorted);

	/* other processes at the same time never make the same id */
	CHECK_INT(pipe(p), 0);
	for (int k = 0; k < KIDS; k++) {
		if ((pids[k] = fork()) == 0) {
			char id[PER][SPOOL_QIDLEN + 1];

			close(p[0]);
			for (int i = 0; i < PER; i++)
				spool_qid_new(id[i]);
			_exit(write(p[1], id, sizeof(id)) == sizeof(id) ?
			    0 : 1);
		}
	}
	close(p[1]);
	while ((r = read(p[0], (char *)ids[N] + got,
	    KIDS * PER * sizeof(*ids) - got)) > 0)
		got += (size_t)r;
	close(p[0]);
	for (int k = 0; k < KIDS; k++) {
		int status;

		CHECK_INT(waitpid(pids[k], &status, 0), pids[k]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK_UINT(got, KIDS * PER * sizeof(*ids));
	qsort(ids, N + KIDS * PER, sizeof(*ids), cmp);
	for (int i = 1; i < N + KIDS * PER; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			test_fail(__FILE__, __LINE__, "duplicate id %s",
			    ids[i]);

	/* the form: 21 lowercase hex digits */
	CHECK(spool_qid_valid("65a1b2c30f424000004d2"));
	CHECK(!spool_qid_valid(""));
	CHECK(!spool_qid_valid("65a1b2c30f424000004d"));
	CHECK(!spool_qid_valid("65a1b2c30f424000004d2a"));
	CHECK(!spool_qid_valid("65A1B2C30F424000004D2"));
	CHECK(!spool_qid_valid("65a1b2c30f4240000/../"));
	CHECK(!spool_qid_valid("65a1b2c30f424000004d "));
	free(ids);
}

/* queue/ folders fill evenly, even with ids made in a tight loop */
TEST(hash_spread)
{
	struct spool *sp;
	char qid[SPOOL_QIDLEN + 1], path[256];
	int count[256] = { 0 }, lo = 1 << 30, hi = 0;
	size_t base;
	unsigned v;

	setup(1);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	base = strlen(sub("queue/"));
	for (int i = 0; i < 256 * 100; i++) {
		spool_qid_new(qid);
		CHECK_INT(spool_path(sp, qid, path, sizeof(path)), 0);
		CHECK_INT(sscanf(path + base, "%2x/", &v), 1);
		CHECK(v < 256);
		count[v & 0xff]++;
	}
	for (int i = 0; i < 256; i++) {
		lo = count[i] < lo ? count[i] : lo;
		hi = count[i] > hi ? count[i] : hi;
	}
	/* 100 expected in each, 10 the standard deviation */
	if (lo < 50 || hi > 150)
		test_fail(__FILE__, __LINE__, "folders hold %d to %d ids, "
		    "want 50 to 150", lo, hi);
	spool_close(sp);
	teardown();
}

static const struct test_case tests[] = {
	T(init_idempotent),
	T(open_errors),
	T(commit_1),
	T(commit_3),
	T(commit_100),
	T(commit_nothing),
	T(body_exact),
	T(abort_leaves_nothing),
	T(given_id),
	T(anon_files),
	T(commit_fails_fsize),
	T(commit_fails_rename),
	T(commit_fails_bad_fd),
	T(take_remove),
	T(open_msg_errors),
	T(read_msg_text),
	T(clean_tmp),
	T(qid),
	T(hash_spread),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
