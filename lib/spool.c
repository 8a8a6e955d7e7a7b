/*
 * spool - the spool tree: queue ids, group commit, new/ and queue/.
 *
 * The tree and the commit protocol are in mta-spool(5).  Invariants: a
 * file is in new/ or queue/ only once its data is on disk (fdatasync(2)
 * or syncfs(2) happen before the rename); a commit reports success only
 * after new/ itself is fsynced; renames never replace an existing file
 * (renameat2 RENAME_NOREPLACE, else link and unlink), so even a queue id
 * that repeated could not overwrite a message; a failed commit leaves no
 * file of its batch in tmp/ or new/.  All paths go through directory file
 * descriptors opened once, so a message costs no path lookups of the
 * spool itself.  Queue ids are made without locks: not thread-safe.
 */
#define _GNU_SOURCE		/* syncfs(2), renameat2(2) */

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "envelope.h"
#include "spool.h"

/*
 * Injectors may run as other users with the spool's group (a setgid
 * mta-inject): tmp/ and new/ are group-writable and setgid so files keep
 * the spool's group, and files are group read-write so mta-queue can
 * update recipients in place.  Everything else belongs to mta-queue.
 */
#define DIR_MODE	0750
#define INJECT_DIR_MODE	02770
#define FILE_MODE	0660
#define FIFO_MODE	0620
#define WBUF		32768	/* message bytes a writer buffers */
/*
 * From this many files on, one syncfs(2) beats an fdatasync(2) per file
 * (measured: see mta-spool(5)).  syncfs also flushes whatever else is
 * dirty on the file system, which is why the spool wants its own.  Before
 * Linux 5.8 syncfs did not report write errors: build there with
 * -DSPOOL_SYNCFS_MIN=0 to fdatasync each file always.
 */
#ifndef SPOOL_SYNCFS_MIN
#define SPOOL_SYNCFS_MIN	4
#endif
static const size_t syncfs_min = SPOOL_SYNCFS_MIN;

enum { W_OPEN, W_COMMITTED, W_GONE };

struct spool {
	char	*dir;
	int	 flags;
	int	 rootfd;
	int	 tmpfd;
	int	 newfd;
	int	 queuefd;
	unsigned char taken[256 / 8];	/* queue/XX with unsynced takes */
	int	(*anon)(void *);	/* spool_set_anon: a ready tmp file */
	void	*anon_arg;
};

struct spool_writer {
	struct spool	*sp;
	char		 qid[SPOOL_QIDLEN + 1];
	int		 fd;
	int		 state;
	int		 anon;		/* fd is an O_TMPFILE: no tmp/ name */
	int		 err;		/* errno of a failed write, or 0 */
	size_t		 size_off;	/* offset of the size record */
	unsigned long long size;	/* message bytes */
	size_t		 len;		/* bytes in buf */
	char		 buf[WBUF];
};

static const struct {
	const char	*name;
	mode_t		 mode;
} subdirs[] = {
	{ "tmp", INJECT_DIR_MODE },
	{ "new", INJECT_DIR_MODE },
	{ "queue", DIR_MODE },
	{ "log", DIR_MODE },
	{ "suppress", DIR_MODE },
};


/* hashdir - the queue/ subfolder of qid: FNV-1a folded to 8 bits */
static void
hashdir(const char *qid, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	unsigned h = 2166136261u;

	for (; *qid != '\0'; qid++)
		h = (h ^ (unsigned char)*qid) * 16777619u;
	h ^= h >> 16;
	h ^= h >> 8;
	out[0] = hex[(h >> 4) & 0xf];
	out[1] = hex[h & 0xf];
	out[2] = '\0';
}

/* relpath - "XX/qid", the path of qid below queue/ */
static void
relpath(const char *qid, char out[3 + SPOOL_QIDLEN + 1])
{
	hashdir(qid, out);
	out[2] = '/';
	memcpy(out + 3, qid, SPOOL_QIDLEN + 1);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * move - rename name from directory fd from to directory fd to, never
 * replacing a file there (EEXIST instead)
 */
static int
move(int from, int to, const char *name)
{
	if (renameat2(from, name, to, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* a file system without RENAME_NOREPLACE: link(2) never replaces */
	if (linkat(from, name, to, name, 0) == -1)
		return -1;
	if (unlinkat(from, name, 0) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* mkdir_at - create the directory name in dfd with mode, if it is not */
static int
mkdir_at(int dfd, const char *name, mode_t mode, int *created)
{
	struct stat st;

	if (mkdirat(dfd, name, mode) == 0) {
		*created = 1;
		/* exact modes whatever the umask */
		return fchmodat(dfd, name, mode, 0);
	}
	if (errno != EEXIST)
		return -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * spool_sync_parent - fsync the folder that holds path, so that an entry
 * made in it lasts; 0, or -1 with errno set
 */
int
spool_sync_parent(const char *path)
{
	char parent[4096];
	const char *slash;
	size_t n;
	int fd, rc;

	if ((slash = strrchr(path, '/')) == NULL)
		n = strlcpy(parent, ".", sizeof(parent));
	else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n < sizeof(parent)) {
			memcpy(parent, path, n);
			parent[n] = '\0';
		}
	}
	if (n >= sizeof(parent)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/*
 * spool_init - create the spool tree at dir, or complete it; existing
 * parts are left as they are; 0, or -1 with errno set and err filled
 */
int
spool_init(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char name[3];
	int rootfd = -1, qfd = -1, created = 0, qcreated = 0;

	if (mkdir(dir, DIR_MODE) == 0) {
		if (chmod(dir, DIR_MODE) == -1) {
			err_sys(err, errlen, "spool %s: chmod", dir);
			return -1;
		}
		(void)spool_sync_parent(dir);	/* best effort */
	} else if (errno != EEXIST) {
		err_sys(err, errlen, "spool %s: mkdir", dir);
		return -1;
	}
	if ((rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		err_sys(err, errlen, "spool %s", dir);
		return -1;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (mkdir_at(rootfd, subdirs[i].name, subdirs[i].mode,
		    &created) == -1) {
			err_sys(err, errlen, "spool %s: %s/", dir,
			    subdirs[i].name);
			goto fail;
		}
	}
	if ((qfd = openat(rootfd, "queue", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		err_sys(err, errlen, "spool %s: queue/", dir);
		goto fail;
	}
	/* all 256 hash folders now, so spool_take never has to mkdir */
	for (unsigned h = 0; h < 256; h++) {
		(void)snprintf(name, sizeof(name), "%02x", h);
		if (mkdir_at(qfd, name, DIR_MODE, &qcreated) == -1) {
			err_sys(err, errlen, "spool %s: queue/%s/", dir, name);
			goto fail;
		}
	}
	if (mkfifoat(rootfd, "trigger", FIFO_MODE) == 0) {
		created = 1;
		if (fchmodat(rootfd, "trigger", FIFO_MODE, 0) == -1) {
			err_sys(err, errlen, "spool %s: trigger: chmod", dir);
			goto fail;
		}
	} else if (errno != EEXIST) {
		err_sys(err, errlen, "spool %s: trigger: mkfifo", dir);
		goto fail;
	} else if (fstatat(rootfd, "trigger", &st, AT_SYMLINK_NOFOLLOW) ==
	    -1) {
		err_sys(err, errlen, "spool %s: trigger", dir);
		goto fail;
	} else if (!S_ISFIFO(st.st_mode)) {
		errno = EEXIST;
		err_msg(err, errlen, "spool %s: trigger is not a FIFO", dir);
		goto fail;
	}
	if ((qcreated && fsync(qfd) == -1) || (created && fsync(rootfd) ==
	    -1)) {
		err_sys(err, errlen, "spool %s: fsync", dir);
		goto fail;
	}
	(void)close(qfd);
	(void)close(rootfd);
	return 0;

fail:
	if (qfd != -1)
		(void)close(qfd);
	(void)close(rootfd);
	return -1;
}

/*
 * spool_open - open the spool tree at dir, checking that it is complete
 * and, unless flags has SPOOL_RDONLY, writable; NULL with errno set and
 * err filled
 */
struct spool *
spool_open(const char *dir, int flags, char *err, size_t errlen)
{
	struct spool *sp;
	struct stat st;
	const char *s;

	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		err_sys(err, errlen, "spool %s", dir);
		return NULL;
	}
	sp->rootfd = sp->tmpfd = sp->newfd = sp->queuefd = -1;
	sp->flags = flags;
	if ((sp->dir = strdup(dir)) == NULL) {
		err_sys(err, errlen, "spool %s", dir);
		goto fail;
	}
	if ((sp->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			err_msg(err, errlen, "spool %s: missing (run mta-ctl "
			    "spool init)", dir);
		else
			err_sys(err, errlen, "spool %s", dir);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		s = subdirs[i].name;
		if (fstatat(sp->rootfd, s, &st, 0) == -1) {
			if (errno == ENOENT)
				err_msg(err, errlen, "spool %s: missing %s/ "
				    "(run mta-ctl spool init)", dir, s);
			else
				err_sys(err, errlen, "spool %s: %s/", dir, s);
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			err_sys(err, errlen, "spool %s: %s", dir, s);
			goto fail;
		}
		/* An injector needs to write tmp/ and new/ only. */
		if ((flags & SPOOL_INJECT) && subdirs[i].mode != INJECT_DIR_MODE)
			continue;
		if (!(flags & SPOOL_RDONLY) && faccessat(sp->rootfd, s,
		    W_OK | X_OK, AT_EACCESS) == -1) {
			err_sys(err, errlen, "spool %s: %s/ not writable", dir,
			    s);
			goto fail;
		}
	}
	if (fstatat(sp->rootfd, "trigger", &st, 0) == -1) {
		if (errno == ENOENT)
			err_msg(err, errlen, "spool %s: missing trigger (run "
			    "mta-ctl spool init)", dir);
		else
			err_sys(err, errlen, "spool %s: trigger", dir);
		goto fail;
	}
	if (!S_ISFIFO(st.st_mode)) {
		errno = ENODEV;	/* a broken spool: temporary, not the data */
		err_msg(err, errlen, "spool %s: trigger is not a FIFO", dir);
		goto fail;
	}
	if ((sp->tmpfd = openat(sp->rootfd, "tmp", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (sp->newfd = openat(sp->rootfd, "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (sp->queuefd = openat(sp->rootfd, "queue", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1) {
		err_sys(err, errlen, "spool %s", dir);
		goto fail;
	}
	return sp;

fail:
	spool_close(sp);
	return NULL;
}

/* spool_close - close the spool; its writers must be freed before */
void
spool_close(struct spool *sp)
{
	int save = errno;

	if (sp == NULL)
		return;
	if (sp->rootfd != -1)
		(void)close(sp->rootfd);
	if (sp->tmpfd != -1)
		(void)close(sp->tmpfd);
	if (sp->newfd != -1)
		(void)close(sp->newfd);
	if (sp->queuefd != -1)
		(void)close(sp->queuefd);
	free(sp->dir);
	free(sp);
	errno = save;
}

/*
 * spool_qid_new - a new queue id: hex seconds and microseconds of the
 * time, then the pid; strictly increasing within a process even when the
 * clock stands still or steps back
 */
void
spool_qid_new(char out[SPOOL_QIDLEN + 1])
{
	static long long last;	/* microseconds of the last id */
	struct timespec ts;
	long long us;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (us <= last)
		us = last + 1;
	last = us;
	(void)snprintf(out, SPOOL_QIDLEN + 1, "%08llx%05llx%08lx",
	    (unsigned long long)(us / 1000000) & 0xffffffffULL,
	    (unsigned long long)(us % 1000000),
	    (unsigned long)getpid() & 0xffffffffUL);
}

/* spool_qid_valid - whether s has the form of a queue id */
int
spool_qid_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= SPOOL_QIDLEN || !((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == SPOOL_QIDLEN;
}

/*
 * spool_anon_create - an anonymous file in tmp/ (O_TMPFILE), mode as a
 * message's, for spool_set_anon's pool: it has no name until the commit
 * links it into new/, and a crash before that leaves nothing behind.
 * Thread-safe.  The descriptor, or -1 with errno set (EOPNOTSUPP and
 * EISDIR: the file system has no O_TMPFILE).
 */
int
spool_anon_create(struct spool *sp)
{
	int fd;

	if ((fd = openat(sp->tmpfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
	    FILE_MODE)) == -1)
		return -1;
	if (fchmod(fd, FILE_MODE) == -1) {
		int save = errno;

		(void)close(fd);
		errno = save;
		return -1;
	}
	return fd;
}

/*
 * spool_set_anon - new messages with a queue id of their own take their
 * file from get(arg), a descriptor of spool_anon_create() (or -1: then a
 * named tmp/ file as usual), so that creating the file, which costs an
 * inode allocation, can happen ahead of need on another thread.  Needs
 * /proc/self/fd to link the file at the commit; -1 with errno set if it
 * is not there (nothing changes).
 */
int
spool_set_anon(struct spool *sp, int (*get)(void *), void *arg)
{
	if (get != NULL && access("/proc/self/fd", X_OK) == -1)
		return -1;
	sp->anon = get;
	sp->anon_arg = arg;
	return 0;
}

/* take_anon - w's file from the pool, if it has one; -1: err set */
static int
take_anon(struct spool *sp, struct spool_writer *w, struct envelope *e,
    char *err, size_t errlen)
{
	int fd;

	if ((fd = sp->anon(sp->anon_arg)) == -1)
		return 0;
	spool_qid_new(w->qid);
	if (buf_set(&e->id, w->qid, SPOOL_QIDLEN) == -1) {
		err_sys(err, errlen, "envelope");
		(void)close(fd);
		return -1;
	}
	w->fd = fd;
	w->anon = 1;
	return 0;
}

/*
 * publish - w's file into new/ under its queue id, never replacing a
 * file there: a rename from tmp/, or the link of an anonymous file.
 * That link is made from the descriptor itself (AT_EMPTY_PATH: root, or
 * Linux 6.10 and later for a file the caller made) or else through
 * /proc, whose path walk costs a few microseconds a message.
 */
static int
publish(struct spool *sp, struct spool_writer *w)
{
	static _Atomic int no_empty_path;	/* commit threads share it */
	char proc[64];

	if (!w->anon)
		return move(sp->tmpfd, sp->newfd, w->qid);
	if (!no_empty_path) {
		if (linkat(w->fd, "", sp->newfd, w->qid, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != ENOENT && errno != EPERM)
			return -1;
	}
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	if (linkat(AT_FDCWD, proc, sp->newfd, w->qid, AT_SYMLINK_FOLLOW) == -1)
		return -1;
	no_empty_path = 1;	/* not allowed here: /proc from now on */
	return 0;
}

/*
 * spool_writer_new - start a message in tmp/ and write the envelope e,
 * giving it a new queue id unless e->id holds one, and the current time
 * if e->time is 0; NULL with errno set and err filled
 */
struct spool_writer *
spool_writer_new(struct spool *sp, struct envelope *e, char *err,
    size_t errlen)
{
	struct spool_writer *w;
	struct buf head = BUF_INIT;
	int own = e->id.len == 0;

	if (sp->flags & SPOOL_RDONLY) {
		errno = EBADF;
		err_sys(err, errlen, "spool %s: opened read-only", sp->dir);
		return NULL;
	}
	if (!own && !spool_qid_valid(buf_cstr(&e->id))) {
		errno = EINVAL;
		err_msg(err, errlen, "bad queue id in envelope");
		return NULL;
	}
	/* not calloc: the buffer is written before it is read, and a small
	 * message should not touch all of it */
	if ((w = malloc(sizeof(*w))) == NULL) {
		err_sys(err, errlen, "spool %s: new message", sp->dir);
		return NULL;
	}
	memset(w, 0, offsetof(struct spool_writer, buf));
	w->sp = sp;
	w->fd = -1;
	w->state = W_GONE;
	if (e->time == 0)
		e->time = time(NULL);
	e->size = 0;
	if (own && sp->anon != NULL && take_anon(sp, w, e, err, errlen) == -1)
		goto fail;
	/* a fresh id is unique; retry anyway should a clock step repeat one */
	for (int tries = 0; w->fd == -1; tries++) {
		if (own) {
			spool_qid_new(w->qid);
			if (buf_set(&e->id, w->qid, SPOOL_QIDLEN) == -1) {
				err_sys(err, errlen, "envelope");
				goto fail;
			}
		} else
			(void)strlcpy(w->qid, e->id.p, sizeof(w->qid));
		if ((w->fd = openat(sp->tmpfd, w->qid, O_WRONLY | O_CREAT |
		    O_EXCL | O_CLOEXEC, FILE_MODE)) != -1)
			break;
		if (errno != EEXIST || !own || tries == 3) {
			err_sys(err, errlen, "%s/tmp/%s: create", sp->dir,
			    w->qid);
			goto fail;
		}
	}
	w->state = W_OPEN;
	if (envelope_format(e, &head) == -1) {
		if (errno == EINVAL)
			err_msg(err, errlen, "%s/tmp/%s: envelope: a value out "
			    "of range, or a record over %d bytes", sp->dir,
			    w->qid, ENVELOPE_MAXLINE);
		else
			err_sys(err, errlen, "%s/tmp/%s: envelope", sp->dir,
			    w->qid);
		goto fail;
	}
	w->size_off = e->size_off;
	/* exact mode whatever the umask (spool_anon_create made its own) */
	if ((!w->anon && fchmod(w->fd, FILE_MODE) == -1) ||
	    write_all(w->fd, head.p, head.len) == -1) {
		err_sys(err, errlen, "%s/tmp/%s: write", sp->dir, w->qid);
		goto fail;
	}
	buf_free(&head);
	return w;

fail:
	buf_free(&head);
	spool_writer_abort(w);
	return NULL;
}

/* spool_writer_qid - the queue id of the message w writes */
const char *
spool_writer_qid(const struct spool_writer *w)
{
	return w->qid;
}

/* flush - write out the bytes w buffers */
static int
flush(struct spool_writer *w)
{
	if (w->len > 0 && write_all(w->fd, w->buf, w->len) == -1) {
		w->err = errno;
		return -1;
	}
	w->len = 0;
	return 0;
}

/*
 * spool_writer_write - append n message bytes to w, as they are; 0, or
 * -1 with errno set (the message can then only be aborted)
 */
int
spool_writer_write(struct spool_writer *w, const void *p, size_t n)
{
	if (w->state != W_OPEN) {
		errno = EINVAL;
		return -1;
	}
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	if (n > ENVELOPE_MAXSIZE - w->size) {
		w->err = errno = EFBIG;
		return -1;
	}
	w->size += n;
	if (n <= WBUF - w->len) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return 0;
	}
	if (flush(w) == -1)
		return -1;
	if (n >= WBUF) {
		if (write_all(w->fd, p, n) == -1) {
			w->err = errno;
			return -1;
		}
		return 0;
	}
	memcpy(w->buf, p, n);
	w->len = n;
	return 0;
}

/* spool_writer_abort - discard the message of w unless it was committed,
 * and free w */
void
spool_writer_abort(struct spool_writer *w)
{
	int save = errno;

	if (w == NULL)
		return;
	if (w->state == W_OPEN)
		(void)unlinkat(w->sp->tmpfd, w->qid, 0);
	if (w->fd != -1)
		(void)close(w->fd);
	free(w);
	errno = save;
}

/* spool_writer_free - free w after its commit (an open message is
 * discarded) */
void
spool_writer_free(struct spool_writer *w)
{
	spool_writer_abort(w);
}

/*
 * trigger - write one byte to the trigger FIFO to wake mta-queue.  No
 * reader (ENXIO) or a full pipe (EAGAIN) is fine: it rescans on a timer.
 * A reader that leaves between open and write raises SIGPIPE, which is
 * blocked and consumed here so that the caller never sees it.
 */
static void
trigger(struct spool *sp)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipeset, old, pending;
	struct stat st;
	int fd, save = errno, was_pending;

	if ((fd = openat(sp->rootfd, "trigger", O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		goto out;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		sigemptyset(&pipeset);
		sigaddset(&pipeset, SIGPIPE);
		sigemptyset(&pending);
		(void)sigpending(&pending);
		was_pending = sigismember(&pending, SIGPIPE);
		(void)sigprocmask(SIG_BLOCK, &pipeset, &old);
		if (write(fd, "", 1) == -1 && errno == EPIPE && !was_pending)
			(void)sigtimedwait(&pipeset, NULL, &zero);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	}
	(void)close(fd);
out:
	errno = save;
}

/*
 * spool_commit - make the n messages of ws durable at once and move them
 * to new/, then wake mta-queue; all or none: on failure none is in new/,
 * their tmp/ files are gone, and err names the path and the error.  The
 * writers are freed by the caller either way.
 */
int
spool_commit(struct spool *sp, struct spool_writer **ws, size_t n,
    char *err, size_t errlen)
{
	struct spool_writer *w;
	size_t i, renamed = 0;
	int save;

	for (i = 0; i < n; i++) {
		w = ws[i];
		if (w->state != W_OPEN) {
			errno = EINVAL;
			err_sys(err, errlen, "%s/tmp/%s: not open", sp->dir,
			    w->qid);
			goto fail;
		}
		if (w->err != 0) {
			errno = w->err;
			err_sys(err, errlen, "%s/tmp/%s: write", sp->dir,
			    w->qid);
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		w = ws[i];
		if (flush(w) == -1 || envelope_size_update(w->fd, w->size_off,
		    w->size) == -1) {
			err_sys(err, errlen, "%s/tmp/%s: write", sp->dir,
			    w->qid);
			goto fail;
		}
	}
	if (syncfs_min > 0 && n >= syncfs_min) {
		if (syncfs(sp->tmpfd) == -1) {
			err_sys(err, errlen, "%s/tmp: syncfs", sp->dir);
			goto fail;
		}
	} else {
		for (i = 0; i < n; i++) {
			if (fdatasync(ws[i]->fd) == -1) {
				err_sys(err, errlen, "%s/tmp/%s: fdatasync",
				    sp->dir, ws[i]->qid);
				goto fail;
			}
		}
	}
	for (renamed = 0; renamed < n; renamed++) {
		if (publish(sp, ws[renamed]) == -1) {
			err_sys(err, errlen, "%s/new/%s: rename", sp->dir,
			    ws[renamed]->qid);
			goto fail;
		}
	}
	if (n > 0 && fsync(sp->newfd) == -1) {
		err_sys(err, errlen, "%s/new: fsync", sp->dir);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		w = ws[i];
		(void)close(w->fd);
		w->fd = -1;
		w->state = W_COMMITTED;
	}
	if (n > 0)
		trigger(sp);
	return 0;

fail:
	save = errno;
	/* mta-queue may have taken one already: ENOENT, and nothing to do */
	for (i = 0; i < renamed; i++)
		(void)unlinkat(sp->newfd, ws[i]->qid, 0);
	if (renamed > 0)
		(void)fsync(sp->newfd);
	for (i = 0; i < n; i++) {
		w = ws[i];
		if (w->state != W_OPEN)
			continue;
		(void)unlinkat(sp->tmpfd, w->qid, 0);
		(void)close(w->fd);
		w->fd = -1;
		w->state = W_GONE;
	}
	errno = save;
	return -1;
}

/* scan - call cb for each queue id in the directory dfd */
static int
scan(int dfd, int (*cb)(const char *, void *), void *arg)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0, save;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		save = errno;
		(void)close(fd);
		errno = save;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (!spool_qid_valid(de->d_name))
			continue;
		if ((rc = cb(de->d_name, arg)) != 0)
			break;
	}
	save = errno;
	(void)closedir(d);
	errno = save;
	return rc;
}

/*
 * spool_scan_new - call cb(qid, arg) for each message in new/, in
 * directory order, until cb returns non-zero; that value, 0, or -1 with
 * errno set
 */
int
spool_scan_new(struct spool *sp, int (*cb)(const char *, void *),
    void *arg)
{
	return scan(sp->newfd, cb, arg);
}

/*
 * spool_scan_queue_dir - call cb(qid, arg) for each message in queue/
 * subfolder h (0 to 255, as SPOOL_QDIRS), as spool_scan_new() does; a
 * folder that does not exist holds nothing.  Callers may scan different
 * folders on different threads at once.
 */
int
spool_scan_queue_dir(struct spool *sp, unsigned h,
    int (*cb)(const char *, void *), void *arg)
{
	char name[3];
	int dfd, rc, save;

	if (h >= SPOOL_QDIRS) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(name, sizeof(name), "%02x", h);
	if ((dfd = openat(sp->queuefd, name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = scan(dfd, cb, arg);
	save = errno;
	(void)close(dfd);
	errno = save;
	return rc;
}

/*
 * spool_scan_queue - call cb(qid, arg) for each message in queue/, as
 * spool_scan_new() does
 */
int
spool_scan_queue(struct spool *sp, int (*cb)(const char *, void *),
    void *arg)
{
	int rc;

	for (unsigned h = 0; h < SPOOL_QDIRS; h++)
		if ((rc = spool_scan_queue_dir(sp, h, cb, arg)) != 0)
			return rc;
	return 0;
}

/*
 * spool_take_nosync - move qid from new/ into its queue/ subfolder; the
 * move is durable only after spool_sync_taken().  A crash before that
 * leaves the file in new/ (taken again) or in queue/: never lost.
 */
int
spool_take_nosync(struct spool *sp, const char *qid)
{
	struct stat a, b;
	char rel[3 + SPOOL_QIDLEN + 1];
	unsigned h;

	if (!spool_qid_valid(qid)) {
		errno = EINVAL;
		return -1;
	}
	/* "XX/qid" from queue/: no open of the subfolder per message */
	relpath(qid, rel);
	if (renameat2(sp->newfd, qid, sp->queuefd, rel, RENAME_NOREPLACE) ==
	    -1) {
		if (errno == EINVAL || errno == ENOSYS) {
			/* no RENAME_NOREPLACE: link(2) never replaces */
			if (linkat(sp->newfd, qid, sp->queuefd, rel, 0) == 0)
				errno = EEXIST;	/* then as below */
		}
		if (errno != EEXIST)
			return -1;
		if (fstatat(sp->newfd, qid, &a, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fstatat(sp->queuefd, rel, &b, AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			errno = EEXIST;
			return -1;
		}
		if (unlinkat(sp->newfd, qid, 0) == -1)
			return -1;
	}
	rel[2] = '\0';
	h = (unsigned)strtoul(rel, NULL, 16);
	sp->taken[h / 8] |= (unsigned char)(1u << (h % 8));
	return 0;
}

/* spool_sync_taken - fsync every queue/ subfolder a take changed */
int
spool_sync_taken(struct spool *sp)
{
	char name[3];
	int dfd, rc = 0;

	for (unsigned h = 0; h < 256; h++) {
		if ((sp->taken[h / 8] & (1u << (h % 8))) == 0)
			continue;
		(void)snprintf(name, sizeof(name), "%02x", h);
		if ((dfd = openat(sp->queuefd, name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1 || fsync(dfd) == -1)
			rc = -1;
		if (dfd != -1)
			(void)close(dfd);
		if (rc == 0)
			sp->taken[h / 8] &= (unsigned char)~(1u << (h % 8));
	}
	return rc;
}

/* spool_take - move qid from new/ into queue/, durably */
int
spool_take(struct spool *sp, const char *qid)
{
	if (spool_take_nosync(sp, qid) == -1)
		return -1;
	return spool_sync_taken(sp);
}

/* spool_dir - the folder the spool was opened at */
const char *
spool_dir(const struct spool *sp)
{
	return sp->dir;
}

/* spool_path - the path of queued message qid into out */
int
spool_path(struct spool *sp, const char *qid, char *out, size_t outlen)
{
	char rel[3 + SPOOL_QIDLEN + 1];
	int n;

	if (!spool_qid_valid(qid)) {
		errno = EINVAL;
		return -1;
	}
	relpath(qid, rel);
	n = snprintf(out, outlen, "%s/queue/%s", sp->dir, rel);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * read_envelope - read fd from its start up to the empty line, into b;
 * *size is the file's size when a read met its end (a regular file reads
 * short only there), else -1: one fstat(2) saved for most messages
 */
static int
read_envelope(int fd, struct buf *b, long long *size)
{
	/* the largest envelope that envelope_parse() can accept */
	const size_t max = (size_t)ENVELOPE_MAXLINE * (ENVELOPE_MAXRCPT + 64);
	size_t from = 0, chunk = 8192;
	ssize_t r;

	*size = -1;
	for (;;) {
		if (buf_grow(b, chunk) == -1)
			return -1;
		if ((r = pread(fd, b->p + b->len, chunk, (off_t)b->len)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b->len += (size_t)r;
		b->p[b->len] = '\0';
		if ((size_t)r < chunk)
			*size = (long long)b->len;
		if (r == 0)
			return 0;	/* end of file: the parser says why */
		if (memmem(b->p + from, b->len - from, "\n\n", 2) != NULL ||
		    b->len >= max)
			return 0;
		from = b->len - 1;
		if (chunk < 1024 * 1024)
			chunk *= 2;
	}
}

/*
 * Open queue/rel.  O_NOATIME where the file is ours: under relatime the
 * first read after the write would still write the inode back, once
 * for every message, for a time nobody reads.
 */
static int
open_queued(struct spool *sp, const char *rel)
{
	int flags = (sp->flags & SPOOL_RDONLY ? O_RDONLY : O_RDWR) |
	    O_NOFOLLOW | O_CLOEXEC;
	int fd;

	fd = openat(sp->queuefd, rel, flags | O_NOATIME);
	if (fd == -1 && errno == EPERM)	/* not the owner */
		fd = openat(sp->queuefd, rel, flags);
	return fd;
}

/*
 * Open queued message qid, parse its envelope into e and check it; the
 * file in *fdp, or closed when fdp is NULL; the envelope's text (up to
 * the message) in text when not NULL.
 */
static int
load_msg(struct spool *sp, const char *qid, struct envelope *e,
    size_t *body_offset, struct buf *text, int *fdp, char *err,
    size_t errlen)
{
	char rel[3 + SPOOL_QIDLEN + 1], perr[256];
	struct buf b = BUF_INIT;
	struct stat st;
	long long size;
	size_t off;
	int fd, save;

	if (!spool_qid_valid(qid)) {
		errno = EINVAL;
		err_msg(err, errlen, "bad queue id");
		return -1;
	}
	relpath(qid, rel);
	if ((fd = open_queued(sp, rel)) == -1) {
		err_sys(err, errlen, "%s/queue/%s: open", sp->dir, rel);
		return -1;
	}
	if (read_envelope(fd, &b, &size) == -1 ||
	    (size == -1 && fstat(fd, &st) == -1)) {
		err_sys(err, errlen, "%s/queue/%s: read", sp->dir, rel);
		goto fail;
	}
	if (size == -1)
		size = (long long)st.st_size;
	if (envelope_parse(b.p, b.len, e, &off, perr, sizeof(perr)) == -1) {
		err_msg(err, errlen, "%s/queue/%s: %s", sp->dir, rel, perr);
		goto fail;
	}
	if (strcmp(buf_cstr(&e->id), qid) != 0) {
		errno = EINVAL;
		err_msg(err, errlen, "%s/queue/%s: envelope of another queue "
		    "id", sp->dir, rel);
		goto fail;
	}
	if (e->size_off != 0 && (unsigned long long)size != off + e->size) {
		errno = EINVAL;
		err_msg(err, errlen, "%s/queue/%s: %llu message bytes, the "
		    "envelope says %llu (truncated?)", sp->dir, rel,
		    (unsigned long long)size - off, e->size);
		goto fail;
	}
	if (text != NULL && buf_set(text, b.p, off) == -1) {
		err_sys(err, errlen, "%s/queue/%s", sp->dir, rel);
		goto fail;
	}
	buf_free(&b);
	if (body_offset != NULL)
		*body_offset = off;
	if (fdp != NULL)
		*fdp = fd;
	else
		(void)close(fd);
	return 0;

fail:
	save = errno;
	buf_free(&b);
	(void)close(fd);
	errno = save;
	return -1;
}

/*
 * spool_open_msg - open queued message qid (read-write unless the spool is
 * SPOOL_RDONLY), parse its envelope into e (initialised) and give the file
 * in *fd and where the message starts in *body_offset; 0, or -1 with
 * errno set and err filled
 */
int
spool_open_msg(struct spool *sp, const char *qid, struct envelope *e,
    size_t *body_offset, int *fdp, char *err, size_t errlen)
{
	return load_msg(sp, qid, e, body_offset, NULL, fdp, err, errlen);
}

/*
 * spool_read_msg - as spool_open_msg, the file closed again; when text is
 * not NULL, the envelope as written (every byte before the message) is
 * put in it, for a later envelope_parse() without the file
 */
int
spool_read_msg(struct spool *sp, const char *qid, struct envelope *e,
    size_t *body_offset, struct buf *text, char *err, size_t errlen)
{
	return load_msg(sp, qid, e, body_offset, text, NULL, err, errlen);
}

/*
 * spool_remove - delete queued message qid; not synced: should a crash
 * bring it back, all its recipients are final and it goes again
 */
int
spool_remove(struct spool *sp, const char *qid)
{
	char rel[3 + SPOOL_QIDLEN + 1];

	if (!spool_qid_valid(qid)) {
		errno = EINVAL;
		return -1;
	}
	relpath(qid, rel);
	return unlinkat(sp->queuefd, rel, 0);
}

/*
 * spool_clean_tmp - remove the files of tmp/ last modified more than
 * SPOOL_TMP_MAXAGE seconds before now, left by writers that died; the
 * number removed, or -1 with errno set
 */
int
spool_clean_tmp(struct spool *sp, time_t now)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, n = 0, save;

	if ((fd = openat(sp->tmpfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		save = errno;
		(void)close(fd);
		errno = save;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(sp->tmpfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || S_ISDIR(st.st_mode) ||
		    st.st_mtime > now - SPOOL_TMP_MAXAGE)
			continue;
		if (unlinkat(sp->tmpfd, de->d_name, 0) == 0)
			n++;
	}
	save = errno;
	(void)closedir(d);
	if (save != 0) {
		errno = save;
		return -1;
	}
	return n;
}
