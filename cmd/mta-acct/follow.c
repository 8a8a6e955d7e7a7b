#define _GNU_SOURCE
/*
 * follow - one accounting file (or command) following the journal.
 *
 * Exactly once, for a file: rows are appended in batches; a batch is
 * written and fdatasync'ed, and only then is the position file replaced
 * (tmp, fsync, rename, fsync of the folder) with the journal position
 * after the batch and the file's size with it.  On start, a file longer
 * than its recorded size holds a batch whose position was never
 * recorded: it is cut back to that size and the batch is made again
 * from the journal.  A file is rotated only between batches, so a moved
 * file always ends with a whole row.
 *
 * For a command: at least once.  Rows go to the pipe without blocking
 * (one stuck command never holds up another file); the position
 * advances when a batch is all in the pipe.  A batch that is not in
 * within write-timeout gets the command killed.  When the command dies
 * or is killed, the rows still unread in the pipe (FIONREAD) are sent
 * again to the next command, started retry-interval later, from the
 * batch they began in.
 *
 * The journal may have more than one open segment (auxiliary writers,
 * mta-journal(5)): a follower that reaches an open segment that is not
 * the newest reads it to its end, keeps its place in it in the
 * cursor's open list, and goes on; it reads the rest of such a segment
 * first on each step, until it finds it sealed and read.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "acctd.h"
#include "buf.h"
#include "journal.h"
#include "log.h"
#include "proto.h"

#define CHUNK		(1024 * 1024)	/* journal bytes read at once */
#define PIPE_BATCH	4096		/* CSV bytes a pipe write: at most */
					/* what a dead command gets twice */

#ifndef MIN
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#endif

static struct buf batch = BUF_INIT;
static char *chunk;

/* write n bytes; *done says how many went out, also on failure */
static int
write_counted(int fd, const char *p, size_t n, uint64_t *done)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		*done += (uint64_t)w;
	}
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	uint64_t done = 0;

	return write_counted(fd, p, n, &done);
}

static int
fsync_dir_of(const char *path)
{
	char tmp[4096];
	int fd, rc;

	if (strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/* afile_save_pos - make the committed position durable */
int
afile_save_pos(struct afile *f)
{
	struct buf b = BUF_INIT;
	char tmp[4096];
	int fd = -1, rc = -1;

	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", f->posfile);
	if (proto_begin(&b, "pos") == -1 ||
	    (f->cur.pos.stem[0] != '\0' &&
	    proto_add(&b, "seg", f->cur.pos.stem) == -1) ||
	    proto_add_num(&b, "off", (long long)f->cur.pos.off) == -1 ||
	    proto_add_num(&b, "size", (long long)f->size) == -1 ||
	    proto_add_num(&b, "started", (long long)f->started) == -1)
		goto done;
	/* open=STEM:OFF,STEM:OFF: the open segments passed */
	for (size_t i = 0; i < f->cur.nopen; i++)
		if (buf_appends(&b, i == 0 ? " open=" : ",") == -1 ||
		    buf_appendf(&b, "%s:%llu", f->cur.open[i].stem,
		    (unsigned long long)f->cur.open[i].off) == -1)
			goto done;
	if (proto_end(&b, 0) == -1)
		goto done;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640))
	    == -1)
		goto done;
	if (write_all(fd, b.p, b.len) == -1 || fsync(fd) == -1)
		goto done;
	if (close(fd) == -1) {
		fd = -1;
		goto done;
	}
	fd = -1;
	if (rename(tmp, f->posfile) == -1 || fsync_dir_of(f->posfile) == -1)
		goto done;
	rc = 0;
done:
	if (rc == -1)
		log_warn_sys("%s", tmp);
	if (fd != -1)
		(void)close(fd);
	buf_free(&b);
	return rc;
}

/* parse_open - "STEM:OFF,STEM:OFF" into the open list of c */
static int
parse_open(const char *s, struct cursor *c)
{
	const char *colon, *end;
	char num[24];
	const char *errstr;
	size_t n;

	c->nopen = 0;
	while (*s != '\0') {
		end = s + strcspn(s, ",");
		if ((colon = memchr(s, ':', (size_t)(end - s))) == NULL ||
		    c->nopen == ACCTD_NOPEN)
			return -1;
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(c->open[0].stem) ||
		    (size_t)(end - colon - 1) >= sizeof(num))
			return -1;
		memcpy(c->open[c->nopen].stem, s, n);
		c->open[c->nopen].stem[n] = '\0';
		memcpy(num, colon + 1, (size_t)(end - colon - 1));
		num[end - colon - 1] = '\0';
		c->open[c->nopen].off = (uint64_t)strtonum(num, 0, INT64_MAX,
		    &errstr);
		if (errstr != NULL)
			return -1;
		/* oldest first, all before pos */
		if (strcmp(c->open[c->nopen].stem, c->pos.stem) >= 0 ||
		    (c->nopen > 0 && strcmp(c->open[c->nopen].stem,
		    c->open[c->nopen - 1].stem) <= 0))
			return -1;
		c->nopen++;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int
load_pos(struct afile *f)
{
	struct proto_rec *r;
	char line[PROTO_MAXLINE], err[256];
	long long v;
	ssize_t n;
	int fd, rc = -1;
	const char *s;

	memset(&f->cur, 0, sizeof(f->cur));
	f->size = 0;
	f->started = 0;
	if ((fd = open(f->posfile, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, line, sizeof(line) - 1);
	(void)close(fd);
	if (n <= 0 || line[n - 1] != '\n') {
		log_warn("%s: torn or empty: starting from the journal's start",
		    f->posfile);
		return 0;
	}
	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (proto_parse(line, (size_t)n - 1, r, err, sizeof(err)) == -1) {
		log_warn("%s: %s", f->posfile, err);
		errno = EINVAL;
		goto done;
	}
	if ((s = proto_get(r, "seg")) != NULL &&
	    strlcpy(f->cur.pos.stem, s, sizeof(f->cur.pos.stem)) >=
	    sizeof(f->cur.pos.stem))
		goto bad;
	if (proto_get_num(r, "off", 0, INT64_MAX, &v) == -1)
		goto bad;
	f->cur.pos.off = (uint64_t)v;
	if ((s = proto_get(r, "open")) != NULL &&
	    parse_open(s, &f->cur) == -1)
		goto bad;
	if (proto_get_num(r, "size", 0, INT64_MAX, &v) == -1)
		goto bad;
	f->size = (uint64_t)v;
	if (proto_get_num(r, "started", 0, INT64_MAX, &v) == 0)
		f->started = (time_t)v;
	rc = 0;
	goto done;
bad:
	log_warn("%s: bad position record", f->posfile);
	errno = EINVAL;
done:
	free(r);
	return rc;
}

static int
open_csv(struct afile *f)
{
	struct stat st;
	mode_t mode = f->world_readable ? 0644 : 0640;

	f->fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (f->fd == -1 || fstat(f->fd, &st) == -1)
		return -1;
	(void)fchmod(f->fd, mode);
	if ((uint64_t)st.st_size > f->size) {
		/* a batch written but never recorded: made again */
		log_info("%s: cut to size=%llu from %lld: the last batch is "
		    "written again", f->path, (unsigned long long)f->size,
		    (long long)st.st_size);
		if (ftruncate(f->fd, (off_t)f->size) == -1 ||
		    fsync(f->fd) == -1)
			return -1;
	} else if ((uint64_t)st.st_size < f->size) {
		if (st.st_size > 0)
			log_warn("%s: size=%lld, shorter than the recorded "
			    "%llu: appending", f->path, (long long)st.st_size,
			    (unsigned long long)f->size);
		/* 0: moved away after its last batch (a rotation) */
		f->size = (uint64_t)st.st_size;
	}
	if (f->size == 0 || f->started == 0)
		f->started = time(NULL);
	if (lseek(f->fd, (off_t)f->size, SEEK_SET) == -1)
		return -1;
	return 0;
}

/* afile_open - read the position and open the file of f */
int
afile_open(struct acctd *ad, struct afile *f)
{
	(void)ad;
	f->fd = -1;
	f->pid = 0;
	if (chunk == NULL && (chunk = malloc(CHUNK)) == NULL)
		return -1;
	if (load_pos(f) == -1)
		return -1;
	if (!f->pipe && open_csv(f) == -1) {
		log_warn_sys("%s", f->path);
		return -1;
	}
	return 0;
}

static int
start_command(struct afile *f)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* its own group: a kill reaches what the shell started */
		(void)setpgid(0, 0);
		(void)signal(SIGPIPE, SIG_DFL);
		if (dup2(p[0], 0) == -1)
			_exit(127);
		(void)execl("/bin/sh", "sh", "-c", f->path, (char *)NULL);
		_exit(127);
	}
	(void)setpgid(pid, pid);
	(void)close(p[0]);
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) == -1) {
		(void)close(p[1]);
		(void)kill(-pid, SIGKILL);
		return -1;
	}
	f->fd = p[1];
	f->pid = pid;
	f->piped = 0;
	f->nck = 0;
	buf_reset(&f->out);
	log_info("started command=\"%s\" pid=%ld", f->path, (long)pid);
	return 0;
}

/*
 * the command of f is gone: rows it may not have read are sent again,
 * from the batch the first of them is in; the next command starts
 * retry-interval later
 */
static void
command_gone(struct afile *f)
{
	uint64_t consumed, queued = f->piped + f->out.len;
	int unread = 0;
	size_t k;

	if (f->fd != -1 && ioctl(f->fd, FIONREAD, &unread) == -1)
		unread = 0;
	consumed = f->piped - (uint64_t)unread;
	if (f->nck > 0) {
		/* the batch of the first byte not read */
		for (k = f->nck; k > 1; k--)
			if (f->ck[k - 1].bytes <= consumed)
				break;
		if (k < f->nck || consumed < queued)
			f->cur = f->ck[k - 1].cur;
		else
			f->cur = f->after;	/* all of it was read */
		(void)afile_save_pos(f);
	}
	if (f->fd != -1)
		(void)close(f->fd);
	f->fd = -1;
	f->pid = 0;
	f->nck = 0;
	buf_reset(&f->out);
	f->restart_at = time(NULL) + f->retry_interval;
}

/* afile_child_exited - the reaper found pid gone */
void
afile_child_exited(struct afile *f, pid_t pid, int status)
{
	if (!f->pipe || f->pid != pid)
		return;
	if (WIFSIGNALED(status))
		log_warn("command=\"%s\" pid=%ld killed by signal %d: "
		    "restarting in %llds", f->path, (long)pid,
		    WTERMSIG(status), (long long)f->retry_interval);
	else
		log_warn("command=\"%s\" pid=%ld exited status=%d: "
		    "restarting in %llds", f->path, (long)pid,
		    WEXITSTATUS(status), (long long)f->retry_interval);
	command_gone(f);
}

/* kill the command of f (its process group); the reaper collects it */
static void
command_kill(struct afile *f, const char *why)
{
	f->kills++;
	log_warn("command=\"%s\" pid=%ld %s: killed, restarting in %llds "
	    "kills=%lu", f->path, (long)f->pid, why,
	    (long long)f->retry_interval, f->kills);
	if (f->pid > 0)
		(void)kill(-f->pid, SIGKILL);
	command_gone(f);
}

/*
 * a checkpoint before a batch of f; when the list is full, those the
 * command has read past go, else two are merged into the older one (a
 * resend from it repeats more rows, and loses none)
 */
static void
push_checkpoint(struct afile *f, const struct cursor *c)
{
	uint64_t consumed = 0;
	int unread;
	size_t k = 0;

	if (f->nck == ACCTD_NCHECK) {
		if (ioctl(f->fd, FIONREAD, &unread) == 0 && unread >= 0 &&
		    (uint64_t)unread <= f->piped)
			consumed = f->piped - (uint64_t)unread;
		while (k + 1 < f->nck && f->ck[k + 1].bytes <= consumed)
			k++;
		if (k > 0) {
			/* batches read to their end: forgotten */
			memmove(&f->ck[0], &f->ck[k], (f->nck - k) *
			    sizeof(f->ck[0]));
			f->nck -= k;
		} else {
			/* ck[0] stands for the batch of ck[1] too */
			memmove(&f->ck[1], &f->ck[2], (f->nck - 2) *
			    sizeof(f->ck[0]));
			f->nck--;
		}
	}
	f->ck[f->nck].cur = *c;
	f->ck[f->nck].bytes = f->piped + f->out.len;
	f->nck++;
}

/* drop the first n bytes of what is queued for the command */
static void
out_consume(struct afile *f, size_t n)
{
	memmove(f->out.p, f->out.p + n, f->out.len - n);
	f->out.len -= n;
}

static bool
cursor_eq(const struct cursor *a, const struct cursor *b)
{
	if (jpos_cmp(&a->pos, &b->pos) != 0 || a->nopen != b->nopen)
		return false;
	for (size_t i = 0; i < a->nopen; i++)
		if (jpos_cmp(&a->open[i], &b->open[i]) != 0)
			return false;
	return true;
}

/*
 * write what is queued for the command without blocking; 1 all of it
 * is in the pipe, 0 some waits, -1 the command is gone
 */
static int
pipe_flush(struct afile *f)
{
	ssize_t w;
	size_t done = 0;

	while (done < f->out.len) {
		w = write(f->fd, f->out.p + done, f->out.len - done);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			log_warn_sys("writing to command=\"%s\"", f->path);
			out_consume(f, done);
			f->piped += done;
			command_kill(f, "stopped reading");
			return -1;
		}
		done += (size_t)w;
	}
	out_consume(f, done);
	f->piped += done;
	if (f->out.len == 0)
		return 1;
	if (f->write_timeout > 0 &&
	    time(NULL) - f->out_since >= f->write_timeout) {
		command_kill(f, "write-timeout");
		return -1;
	}
	return 0;
}

/*
 * a command for f that has taken every queued row: 1 ready, 0 not yet
 * (waiting to restart it, or for the pipe)
 */
static int
pipe_ready(struct afile *f)
{
	if (f->fd == -1) {
		if (time(NULL) < f->restart_at)
			return 0;
		if (start_command(f) == -1) {
			log_warn_sys("starting command=\"%s\"", f->path);
			f->restart_at = time(NULL) + f->retry_interval;
			return 0;
		}
		/* each command begins with a header line, as in PowerMTA */
		if (acct_header(&f->out, f->layout) == -1)
			die_sys(EX_TEMPFAIL, "out of memory");
		f->out_since = time(NULL);
		f->after = f->cur;
	}
	if (f->out.len == 0)
		return 1;
	switch (pipe_flush(f)) {
	case 1:
		if (!cursor_eq(&f->cur, &f->after)) {
			f->cur = f->after;
			(void)afile_save_pos(f);
		}
		return 1;
	default:
		return 0;
	}
}

/*
 * afile_poll - the fd to wait on for writing (-1: none), and the time
 * f next needs a step at the latest, lowered into *due
 */
int
afile_poll(const struct afile *f, time_t now, time_t *due)
{
	if (!f->pipe)
		return -1;
	if (f->fd == -1) {
		if (f->restart_at > now && f->restart_at < *due)
			*due = f->restart_at;
		return -1;
	}
	if (f->out.len == 0)
		return -1;
	if (f->write_timeout > 0 && f->out_since + f->write_timeout < *due)
		*due = f->out_since + f->write_timeout;
	return f->fd;
}

static bool
type_wanted(const struct afile *f, const struct acct_rec *r)
{
	return (f->layout->types & (1u << r->type)) != 0;
}

/*
 * read journal lines from the segment at p into the batch; returns 1 at
 * the end of the segment's data, 0 when the batch is full, -1 on error
 */
static int
read_segment(struct afile *f, int fd, const char *seg, struct jpos *p,
    size_t max, bool sealed)
{
	struct proto_rec *r;
	struct acct_rec ar;
	char err[256];
	ssize_t n;
	const char *s, *nl, *end;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	for (;;) {
		if ((n = pread(fd, chunk, CHUNK, (off_t)p->off)) == -1) {
			free(r);
			return -1;
		}
		if (n == 0)
			break;
		s = chunk;
		end = chunk + n;
		while (s < end && (nl = memchr(s, '\n', (size_t)(end - s)))
		    != NULL) {
			if (proto_parse(s, (size_t)(nl - s), r, err,
			    sizeof(err)) == -1 ||
			    acct_from_journal(r, &ar, err, sizeof(err)) == -1) {
				if (errno != ENOENT)
					log_warn("log/%s:@%llu: %s", seg,
					    (unsigned long long)p->off, err);
			} else if (type_wanted(f, &ar) &&
			    acct_row(&batch, f->layout, &ar) == -1) {
				free(r);
				return -1;
			}
			p->off += (uint64_t)(nl + 1 - s);
			s = nl + 1;
			if (batch.len >= max) {
				free(r);
				return 0;
			}
		}
		if (s == chunk) {
			/* no LF: a record being written, or damage */
			if (!sealed && n < CHUNK)
				break;
			log_warn("log/%s:@%llu: no LF: skipped", seg,
			    (unsigned long long)p->off);
			p->off += (uint64_t)n;
		}
	}
	free(r);
	return 1;
}

/* read the segment v at p; *sealed says what was opened; as above */
static int
read_one(struct acctd *ad, struct afile *f, struct seginfo *v,
    struct jpos *p, size_t max, bool *sealed)
{
	char path[4096];
	int fd, r;

	if ((fd = segs_open(ad->logdir, v, path, sizeof(path))) == -1) {
		if (errno != ENOENT) {
			log_warn_sys("%s", path);
			return -1;
		}
		*sealed = true;		/* gone: nothing more in it */
		return 1;
	}
	*sealed = strstr(path, ".sealed") != NULL;
	r = read_segment(f, fd, v->stem, p, max, *sealed);
	if (r == -1)
		log_warn_sys("%s", path);
	(void)close(fd);
	return r;
}

static struct seginfo *
seg_find(struct seginfo *v, size_t n, const char *stem)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].stem, stem) == 0)
			return &v[i];
	return NULL;
}

/*
 * rows after cursor c into the batch, up to max bytes, c moved past
 * them: first the open segments passed before, then on from c->pos;
 * 1 the end of the journal, 0 the batch is full, -1 an error
 */
static int
fill(struct acctd *ad, struct afile *f, struct seginfo *v, size_t n,
    struct cursor *c, size_t max)
{
	struct seginfo *sv;
	size_t i, k;
	bool sealed;
	int r;

	for (k = 0; k < c->nopen; ) {
		if ((sv = seg_find(v, n, c->open[k].stem)) == NULL) {
			log_warn("segment %s is gone", c->open[k].stem);
			r = 1;
			sealed = true;
		} else if ((r = read_one(ad, f, sv, &c->open[k], max,
		    &sealed)) != 1)
			return r;
		if (sealed) {
			memmove(&c->open[k], &c->open[k + 1],
			    (c->nopen - k - 1) * sizeof(c->open[0]));
			c->nopen--;
		} else
			k++;
	}
	for (i = 0; i < n; i++)
		if (strcmp(v[i].stem, c->pos.stem) >= 0)
			break;
	if (i == n)
		return 1;		/* nothing new */
	if (strcmp(v[i].stem, c->pos.stem) != 0) {
		if (c->pos.stem[0] != '\0' && c->pos.off > 0)
			log_warn("segment %s is gone: going on with %s",
			    c->pos.stem, v[i].stem);
		(void)strlcpy(c->pos.stem, v[i].stem, sizeof(c->pos.stem));
		c->pos.off = 0;
	}
	for (;;) {
		if ((r = read_one(ad, f, &v[i], &c->pos, max, &sealed)) != 1)
			return r;
		if (i + 1 == n)
			break;
		if (!sealed) {
			/* open, yet another writer's segment comes after */
			if (c->nopen == ACCTD_NOPEN)
				break;
			c->open[c->nopen++] = c->pos;
		}
		i++;
		(void)strlcpy(c->pos.stem, v[i].stem, sizeof(c->pos.stem));
		c->pos.off = 0;
	}
	return 1;
}

static int
commit_file(struct afile *f, const struct cursor *c)
{
	if (batch.len > 0) {
		if (write_all(f->fd, batch.p, batch.len) == -1)
			goto fail;
		if (f->sync && fdatasync(f->fd) == -1)
			goto fail;
	}
	f->size += batch.len;
	f->cur = *c;
	return afile_save_pos(f);
fail:
	log_warn_sys("%s", f->path);
	/* cut what reached the file: the next try writes it again */
	if (ftruncate(f->fd, (off_t)f->size) == -1 ||
	    lseek(f->fd, (off_t)f->size, SEEK_SET) == -1)
		die_sys(EX_TEMPFAIL, "%s: cannot cut back to %llu", f->path,
		    (unsigned long long)f->size);
	return -1;
}

/* queue the batch for the command; the cursor moves once it is in */
static int
commit_pipe(struct afile *f, const struct cursor *c)
{
	push_checkpoint(f, &f->cur);
	if (buf_append(&f->out, batch.p, batch.len) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	f->out_since = time(NULL);
	f->after = *c;
	return pipe_ready(f) == 1 ? 0 : -1;
}

/*
 * afile_step - append the rows of the journal records after f's
 * position, one batch; *more says another batch is ready
 */
int
afile_step(struct acctd *ad, struct afile *f, bool *more)
{
	struct seginfo *v = NULL;
	struct cursor c = f->cur;
	size_t n = 0, max;
	int rc = 0, r;

	*more = false;
	if (f->pipe && pipe_ready(f) != 1)
		return 0;
	if (segs_list(ad->logdir, &v, &n) == -1) {
		log_warn_sys("%s", ad->logdir);
		return -1;
	}
	buf_reset(&batch);
	if (!f->pipe && f->size == 0 && acct_header(&batch, f->layout) == -1)
		goto fail;
	max = f->pipe ? PIPE_BATCH : ad->batch_max;
	/* a file is moved at max-size: let it pass that by one row only */
	if (!f->pipe && f->max_size > 0)
		max = f->size + batch.len < f->max_size ?
		    MIN(max, f->max_size - f->size) : 1;
	if ((r = fill(ad, f, v, n, &c, max)) == -1)
		goto fail;
	*more = r == 0;
	/* nothing new; or, for a new file, only its header: wait */
	if (cursor_eq(&c, &f->cur) && (batch.len == 0 ||
	    (!f->pipe && f->size == 0)))
		goto done;
	rc = f->pipe ? commit_pipe(f, &c) : commit_file(f, &c);
	if (rc == -1)
		*more = false;
	goto done;
fail:
	rc = -1;
done:
	free(v);
	return rc;
}

/* the dated name of a moved file: acct.csv -> acct-2026-11-30-0000.csv */
static int
dated_name(const struct afile *f, int seq, char *out, size_t size)
{
	char base[1024], dir[4096], tmp[4096], date[16];
	const char *b, *dot;
	struct tm tm;
	int n;

	(void)strlcpy(tmp, f->path, sizeof(tmp));
	(void)strlcpy(dir, f->move_to != NULL ? f->move_to : dirname(tmp),
	    sizeof(dir));
	b = strrchr(f->path, '/');
	b = b == NULL ? f->path : b + 1;
	if (strlcpy(base, b, sizeof(base)) >= sizeof(base))
		return -1;
	if (localtime_r(&f->started, &tm) == NULL)
		return -1;
	(void)strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	if ((dot = strrchr(base, '.')) != NULL && dot != base)
		n = snprintf(out, size, "%s/%.*s-%s-%04d%s", dir,
		    (int)(dot - base), base, date, seq, dot);
	else
		n = snprintf(out, size, "%s/%s-%s-%04d", dir, base, date, seq);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void
delete_old(struct afile *f, time_t now)
{
	char pat[4096], dir[4096], tmp[4096], path[8192];
	const char *b, *dot;
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t plen;

	if (f->delete_after < 0 || now - f->last_clean < 3600)
		return;
	f->last_clean = now;
	(void)strlcpy(tmp, f->path, sizeof(tmp));
	(void)strlcpy(dir, f->move_to != NULL ? f->move_to : dirname(tmp),
	    sizeof(dir));
	b = strrchr(f->path, '/');
	b = b == NULL ? f->path : b + 1;
	dot = strrchr(b, '.');
	plen = dot != NULL && dot != b ? (size_t)(dot - b) : strlen(b);
	(void)snprintf(pat, sizeof(pat), "%.*s-", (int)plen, b);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		/* only names this file was moved to: NAME-YYYY-MM-DD-NNNN */
		if (strncmp(de->d_name, pat, plen + 1) != 0 ||
		    strlen(de->d_name) < plen + 16)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (strcmp(path, f->path) == 0 || stat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime < f->delete_after)
			continue;
		if (unlink(path) == 0)
			log_info("deleted file=%s", path);
	}
	(void)closedir(d);
}

/*
 * afile_rotate_check - move the file away when it is max-size big or
 * a move-interval boundary has passed since it was begun; called
 * between batches only
 */
void
afile_rotate_check(struct afile *f, time_t now)
{
	char to[8192];
	bool due = false;
	int seq;

	if (f->pipe || f->fd == -1)
		return;
	delete_old(f, now);
	if (f->size == 0)
		return;
	if (f->max_size > 0 && f->size >= f->max_size)
		due = true;
	if (f->move_interval > 0 &&
	    now / f->move_interval != f->started / f->move_interval)
		due = true;
	if (!due)
		return;
	for (seq = 0; seq < 10000; seq++) {
		if (dated_name(f, seq, to, sizeof(to)) == -1)
			return;
		if (renameat2(AT_FDCWD, f->path, AT_FDCWD, to,
		    RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST) {
			log_warn_sys("rename %s to %s", f->path, to);
			return;
		}
	}
	if (seq == 10000)
		return;
	(void)fsync_dir_of(to);
	log_info("moved file=%s to=%s size=%llu", f->path, to,
	    (unsigned long long)f->size);
	(void)close(f->fd);
	f->size = 0;
	f->started = now;
	(void)afile_save_pos(f);
	if (open_csv(f) == -1)
		die_sys(EX_TEMPFAIL, "%s", f->path);
}
