/*
 * pool - spool files made ahead of need, on a thread of their own.
 *
 * Creating a file costs an inode allocation, and on ext4 without a
 * journal, on a spool whose files come and go, that means skipping the
 * recently deleted inodes one by one: a good part of a millisecond that
 * the event loop would otherwise spend at the end of every message.  So
 * a thread keeps POOL_MAX anonymous files (O_TMPFILE, spool_anon_create)
 * ready, and lib/spool takes one for each new message through
 * spool_set_anon; the commit links it into new/.  An empty pool, or a
 * file system without O_TMPFILE, means a named tmp/ file as before.
 * The thread is woken when the pool falls below POOL_LOW and fills it
 * in one go: one wake-up for many files, not one for each.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"
#include "spool.h"

#define POOL_MAX	128	/* files kept ready */
#define POOL_LOW	64	/* the thread is woken below this many */
#define POOL_RETRY_MS	100	/* after a failed create */

static struct {
	struct spool	*sp;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 fds[POOL_MAX];
	size_t		 n;
	bool		 stop;
	bool		 running;
} pool;

static void
nap(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += POOL_RETRY_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&pool.cv, &pool.mu, &ts);
}

static void *
fill(void *arg)
{
	int fd, e;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	while (!pool.stop) {
		if (pool.n >= POOL_MAX) {
			pthread_cond_wait(&pool.cv, &pool.mu);
			continue;
		}
		pthread_mutex_unlock(&pool.mu);
		fd = spool_anon_create(pool.sp);
		e = errno;
		pthread_mutex_lock(&pool.mu);
		if (fd != -1) {
			pool.fds[pool.n++] = fd;
			continue;
		}
		if (e == EOPNOTSUPP || e == EISDIR || e == EINVAL)
			break;		/* no O_TMPFILE here: named files */
		nap();			/* ENOSPC and the like: later */
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* One ready file, or -1 (spool_set_anon's callback). */
static int
take(void *arg)
{
	int fd = -1;

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	if (pool.n > 0)
		fd = pool.fds[--pool.n];
	if (pool.n < POOL_LOW)
		pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	return fd;
}

/* pool_start - fill a pool of files for new messages of srv's spool */
void
pool_start(struct smtpd *srv)
{
	sigset_t all, old;
	int e;

	memset(&pool, 0, sizeof(pool));
	pool.sp = srv->spool;
	pthread_mutex_init(&pool.mu, NULL);
	pthread_cond_init(&pool.cv, NULL);
	if (spool_set_anon(srv->spool, take, NULL) == -1) {
		log_warn_sys("/proc/self/fd: new messages made one by one");
		return;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&pool.thread, NULL, fill, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		(void)spool_set_anon(srv->spool, NULL, NULL);
		errno = e;
		log_warn_sys("pool thread: new messages made one by one");
		return;
	}
	pool.running = true;
}

/* pool_stop - stop the thread; the files not taken vanish */
void
pool_stop(struct smtpd *srv)
{
	if (!pool.running)
		return;
	(void)spool_set_anon(srv->spool, NULL, NULL);
	pthread_mutex_lock(&pool.mu);
	pool.stop = true;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	(void)pthread_join(pool.thread, NULL);
	while (pool.n > 0)
		(void)close(pool.fds[--pool.n]);
	pool.running = false;
}
