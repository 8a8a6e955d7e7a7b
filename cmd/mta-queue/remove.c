/*
 * remove - finished messages leave the spool on threads of their own.
 *
 * unlink(2) of a spool file is the dearest call of a delivery: freeing
 * the inode's blocks can wait for the disk (ext4 mounted with discard
 * waits for the discard of each file).  On the event loop that wait
 * would stall every session; here a few threads take the queue ids
 * from a list, so that the waits overlap and the loop never blocks.
 *
 * Only what commit.c has journaled and synced is given to remove_add(),
 * so a crash that leaves a file behind loses nothing: the restart loads
 * it, the journal replay finds every recipient final, and it is given
 * here again.  remove_stop() drains the list before the process exits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "queue.h"

#define REMOVE_THREADS	8	/* waits of the disk that overlap */

typedef char qid_t[SPOOL_QIDLEN + 1];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static qid_t *ring;			/* the ids waiting, a ring */
static size_t head, count, cap;
static size_t idle;			/* threads waiting for an id */
static bool stopping;
static pthread_t threads[REMOVE_THREADS];
static size_t nthreads;

/* Take the next id into out; false when stopping and none is left. */
static bool
next_id(qid_t out)
{
	bool got = false;

	(void)pthread_mutex_lock(&lock);
	while (count == 0 && !stopping) {
		idle++;
		(void)pthread_cond_wait(&more, &lock);
		idle--;
	}
	if (count > 0) {
		memcpy(out, ring[head], sizeof(qid_t));
		head = (head + 1) % cap;
		count--;
		got = true;
	}
	(void)pthread_mutex_unlock(&lock);
	return got;
}

static void *
remover(void *arg)
{
	qid_t id;

	(void)arg;
	while (next_id(id))
		if (spool_remove(S.spool, id) == -1 && errno != ENOENT)
			log_warn_sys("%s: remove", id);
	return NULL;
}

/* remove_start - start the threads; -1 if none could start */
int
remove_start(void)
{
	for (size_t i = 0; i < REMOVE_THREADS; i++) {
		if (pthread_create(&threads[nthreads], NULL, remover, NULL) !=
		    0)
			break;
		nthreads++;
	}
	return nthreads > 0 ? 0 : -1;
}

/* Double the ring, keeping its order. */
static void
grow(void)
{
	size_t ncap = cap == 0 ? 1024 : cap * 2;
	qid_t *n;

	if ((n = reallocarray(NULL, ncap, sizeof(*n))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	for (size_t i = 0; i < count; i++)
		memcpy(n[i], ring[(head + i) % cap], sizeof(qid_t));
	free(ring);
	ring = n;
	cap = ncap;
	head = 0;
}

/* remove_add - remove the spool file of queue id id, soon */
void
remove_add(const char *id)
{
	if (nthreads == 0) {
		if (spool_remove(S.spool, id) == -1 && errno != ENOENT)
			log_warn_sys("%s: remove", id);
		return;
	}
	(void)pthread_mutex_lock(&lock);
	if (count == cap)
		grow();
	(void)strlcpy(ring[(head + count) % cap], id, sizeof(qid_t));
	count++;
	if (idle > 0)	/* busy threads come back for more themselves */
		(void)pthread_cond_signal(&more);
	(void)pthread_mutex_unlock(&lock);
}

/* remove_stop - remove what is left, end the threads */
void
remove_stop(void)
{
	(void)pthread_mutex_lock(&lock);
	stopping = true;
	(void)pthread_cond_broadcast(&more);
	(void)pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < nthreads; i++)
		(void)pthread_join(threads[i], NULL);
	nthreads = 0;
	free(ring);
	ring = NULL;
	head = count = cap = 0;
}
