/*
 * intake - messages into memory: queue/ once at start, new/ whenever
 * the trigger FIFO wakes us and on a timer as a fallback.
 *
 * The FIFO is opened for reading and also, once, for writing, so that
 * it never reads as end-of-file when the last injector closes it.
 *
 * The file work (rename into queue/, open, read and parse each
 * envelope) is done on threads: at start by LOAD_THREADS readers of the
 * queue/ folders, later by one intake thread that takes new/ while the
 * loop delivers.  Only the main thread touches the scheduler's memory:
 * the threads hand it parsed envelopes (struct item) in lists, and
 * msg_add() runs there.  The threads use the spool's calls that read,
 * take from new/ and sync queue/; nothing else of mta-queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"

#define INTAKE_MS	5000	/* the fallback rescan */
#define INTAKE_FIRST	256	/* messages a scan takes first, */
#define INTAKE_BATCH	8192	/* and at most between two syncs */
#define INTAKE_HAND	256	/* items handed to the loop at once */
#define INTAKE_AHEAD	1024	/* read, not yet in memory: the most */

/* A message read by the thread, for the loop's msg_add(). */
struct item {
	struct item	*next;
	struct envelope	 e;
	size_t		 off;
	struct buf	 text;		/* from new/: the envelope as read */
};

static int trigger_fd = -1, dummy_fd = -1;
static struct ev_timer timer;

static pthread_t thread;
static bool thread_ok;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool want_scan, quit;		/* for the thread */
static struct item *items, **items_tail = &items;
static size_t nitems;
static int note[2] = { -1, -1 };	/* thread to loop: items wait */

struct ids {
	char	(*id)[SPOOL_QIDLEN + 1];
	size_t	 n, cap, max;
};

static void
item_free(struct item *it)
{
	envelope_free(&it->e);
	buf_free(&it->text);
	free(it);
}

static int
collect(const char *id, void *arg)
{
	struct ids *l = arg;
	void *p;

	if (l->n == l->max)
		return 1;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		if ((p = reallocarray(l->id, l->cap, sizeof(*l->id))) == NULL)
			return -1;
		l->id = p;
	}
	(void)strlcpy(l->id[l->n++], id, sizeof(l->id[0]));
	return 0;
}

/*
 * Read message id from queue/: an item, or NULL.  With keep_text, the
 * envelope's text too, for envcache_keep().
 */
static struct item *
read_item(const char *id, bool keep_text)
{
	struct item *it;
	char err[512];

	if ((it = calloc(1, sizeof(*it))) == NULL) {
		log_warn("%s: out of memory", id);
		return NULL;
	}
	envelope_init(&it->e);
	if (spool_read_msg(S.spool, id, &it->e, &it->off, keep_text ?
	    &it->text : NULL, err, sizeof(err)) == -1) {
		log_warn("%s", err);
		item_free(it);
		return NULL;
	}
	return it;
}

/* Read message id from queue/ into memory (the loop's thread). */
static void
load(const char *id)
{
	struct item *it;

	if (msg_byid(id) != NULL || (it = read_item(id, false)) == NULL)
		return;
	(void)msg_add(&it->e, it->off);
	item_free(it);
}

static int
load_one(const char *id, void *arg)
{
	(void)arg;
	load(id);
	return 0;
}

/*
 * The rebuild at start: LOAD_THREADS threads read the envelopes of the
 * queue/ folders (open, read, parse: the dear part, in the kernel), and
 * the main thread takes the messages into memory as they come.
 */
#define LOAD_THREADS	4	/* reads in flight: a cold cache waits for the disk */

struct loader {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	unsigned	 next_dir;	/* the next folder to scan */
	unsigned	 running;	/* threads not done */
	bool		 failed;	/* a folder could not be read */
	struct item	*head, **tail;
	size_t		 n;
};

struct batch {
	struct loader	*ld;
	struct item	*head, **tail;
	size_t		 n;
};

static void
load_push(struct batch *b)
{
	struct loader *ld = b->ld;

	(void)pthread_mutex_lock(&ld->lock);
	while (ld->n > INTAKE_AHEAD)
		(void)pthread_cond_wait(&ld->cond, &ld->lock);
	*ld->tail = b->head;
	ld->tail = b->tail;
	ld->n += b->n;
	(void)pthread_cond_broadcast(&ld->cond);
	(void)pthread_mutex_unlock(&ld->lock);
	b->head = NULL;
	b->tail = &b->head;
	b->n = 0;
}

static int
load_cb(const char *id, void *arg)
{
	struct batch *b = arg;
	struct item *it;

	if ((it = read_item(id, false)) == NULL)
		return 0;
	*b->tail = it;
	b->tail = &it->next;
	if (++b->n == INTAKE_HAND)
		load_push(b);
	return 0;
}

static void *
load_thread(void *arg)
{
	struct loader *ld = arg;
	struct batch b = { ld, NULL, &b.head, 0 };
	unsigned h;

	for (;;) {
		(void)pthread_mutex_lock(&ld->lock);
		h = ld->next_dir++;
		(void)pthread_mutex_unlock(&ld->lock);
		if (h >= SPOOL_QDIRS)
			break;
		if (spool_scan_queue_dir(S.spool, h, load_cb, &b) == -1) {
			log_warn_sys("spool %s: scan queue/%02x", S.spooldir,
			    h);
			(void)pthread_mutex_lock(&ld->lock);
			ld->failed = true;
			(void)pthread_mutex_unlock(&ld->lock);
		}
	}
	if (b.n > 0)
		load_push(&b);
	(void)pthread_mutex_lock(&ld->lock);
	ld->running--;
	(void)pthread_cond_broadcast(&ld->cond);
	(void)pthread_mutex_unlock(&ld->lock);
	return NULL;
}

/* Take the items of the loader into memory until every thread is done. */
static void
load_take(struct loader *ld)
{
	struct item *it, *next;

	(void)pthread_mutex_lock(&ld->lock);
	for (;;) {
		while (ld->n == 0 && ld->running > 0)
			(void)pthread_cond_wait(&ld->cond, &ld->lock);
		if (ld->n == 0)
			break;
		it = ld->head;
		ld->head = NULL;
		ld->tail = &ld->head;
		ld->n = 0;
		(void)pthread_cond_broadcast(&ld->cond);
		(void)pthread_mutex_unlock(&ld->lock);
		for (; it != NULL; it = next) {
			next = it->next;
			(void)msg_add(&it->e, it->off);
			item_free(it);
		}
		(void)pthread_mutex_lock(&ld->lock);
	}
	(void)pthread_mutex_unlock(&ld->lock);
}

/* intake_load_queue - every message of queue/ into memory (at start) */
int
intake_load_queue(void)
{
	struct loader ld;
	pthread_t t[LOAD_THREADS];
	size_t n = 0;

	memset(&ld, 0, sizeof(ld));
	(void)pthread_mutex_init(&ld.lock, NULL);
	(void)pthread_cond_init(&ld.cond, NULL);
	ld.tail = &ld.head;
	for (; n < LOAD_THREADS; n++) {
		if (pthread_create(&t[n], NULL, load_thread, &ld) != 0)
			break;
		ld.running++;
	}
	if (n == 0 && spool_scan_queue(S.spool, load_one, NULL) == -1)
		ld.failed = true;	/* no thread: this one reads them */
	load_take(&ld);
	for (size_t i = 0; i < n; i++)
		(void)pthread_join(t[i], NULL);
	(void)pthread_mutex_destroy(&ld.lock);
	(void)pthread_cond_destroy(&ld.cond);
	/* what the threads' envelopes took goes back: RSS is the queue's */
	(void)malloc_trim(0);
	if (ld.failed) {
		log_warn_sys("spool %s: scan queue/", S.spooldir);
		return -1;
	}
	log_info("loaded %zu messages, %zu recipients pending", S.nmsgs,
	    S.nrcpts);
	return 0;
}

/* Hand the items of head to the loop; wait while it has many. */
static void
hand_over(struct item *head, struct item **tail, size_t n)
{
	(void)pthread_mutex_lock(&lock);
	*items_tail = head;
	items_tail = tail;
	nitems += n;
	(void)pthread_mutex_unlock(&lock);
	(void)write(note[1], "", 1);
	(void)pthread_mutex_lock(&lock);
	while (nitems > INTAKE_AHEAD && !quit)
		(void)pthread_cond_wait(&wake, &lock);
	(void)pthread_mutex_unlock(&lock);
}

/*
 * One batch of new/ (max messages), on the thread: move it, then one
 * fsync per queue/ folder, not per file; read each envelope; hand the
 * items to the loop, INTAKE_HAND at a time.  1: new/ held more.
 */
static int
take_batch(size_t max)
{
	struct ids l = { NULL, 0, 0, max };
	struct item *it, *head = NULL, **tail = &head;
	size_t n = 0;
	int rc;

	rc = spool_scan_new(S.spool, collect, &l);
	if (rc == -1)
		log_warn_sys("spool %s: scan new/", S.spooldir);
	for (size_t i = 0; i < l.n; i++) {
		if (spool_take_nosync(S.spool, l.id[i]) == -1) {
			if (errno != ENOENT)
				log_warn_sys("%s: take", l.id[i]);
			l.id[i][0] = '\0';	/* not taken */
		}
	}
	if (spool_sync_taken(S.spool) == -1)
		log_warn_sys("spool %s: queue/: fsync", S.spooldir);
	for (size_t i = 0; i < l.n; i++) {
		if (l.id[i][0] == '\0' ||
		    (it = read_item(l.id[i], true)) == NULL)
			continue;
		*tail = it;
		tail = &it->next;
		if (++n == INTAKE_HAND) {
			hand_over(head, tail, n);
			head = NULL;
			tail = &head;
			n = 0;
		}
	}
	free(l.id);
	if (n > 0)
		hand_over(head, tail, n);
	return rc == 1;
}

/*
 * The intake thread: a scan when asked, batch after batch while new/
 * has more, at most INTAKE_AHEAD items ahead of the loop.  The renames
 * and reads (the dear part: a rename in a large folder) overlap the
 * deliveries on the loop.
 */
static void *
intake_thread(void *arg)
{
	bool more, stop;
	size_t max;

	(void)arg;
	for (;;) {
		(void)pthread_mutex_lock(&lock);
		while (!want_scan && !quit)
			(void)pthread_cond_wait(&wake, &lock);
		want_scan = false;
		stop = quit;
		(void)pthread_mutex_unlock(&lock);
		/*
		 * A small batch first, so that deliveries start at once;
		 * then larger ones, each sync of up to 256 folders shared
		 * by more messages.
		 */
		for (more = !stop, max = INTAKE_FIRST; more && !stop;
		    max = max < INTAKE_BATCH ? max * 2 : max) {
			more = take_batch(max);
			(void)pthread_mutex_lock(&lock);
			stop = quit;
			(void)pthread_mutex_unlock(&lock);
		}
		if (stop)
			return NULL;
	}
}

/* The thread has items: into memory with them. */
static void
note_cb(int fd, unsigned events, void *arg)
{
	struct item *it, *next;
	struct msg *m;
	char buf[512];

	(void)events;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	(void)pthread_mutex_lock(&lock);
	it = items;
	items = NULL;
	items_tail = &items;
	nitems = 0;
	(void)pthread_cond_broadcast(&wake);
	(void)pthread_mutex_unlock(&lock);
	for (; it != NULL; it = next) {
		next = it->next;
		S.injected++;
		/* taken from new/: its receipt, even when stopping */
		journal_received(&it->e);
		/* else in queue/ for the restart */
		if (!S.stopping && (m = msg_add(&it->e, it->off)) != NULL)
			envcache_keep(m, &it->text);
		item_free(it);
	}
}

/* intake_scan - take what new/ holds (on the intake thread) */
void
intake_scan(void)
{
	if (S.stopping)
		return;
	(void)pthread_mutex_lock(&lock);
	want_scan = true;
	(void)pthread_cond_broadcast(&wake);
	(void)pthread_mutex_unlock(&lock);
	ev_timer_start(S.ev, &timer, INTAKE_MS);
}

/* intake_stop - end the intake thread (what it took stays in queue/) */
void
intake_stop(void)
{
	if (!thread_ok)
		return;
	(void)pthread_mutex_lock(&lock);
	quit = true;
	(void)pthread_cond_broadcast(&wake);
	(void)pthread_mutex_unlock(&lock);
	(void)pthread_join(thread, NULL);
	thread_ok = false;
}

static void
timer_cb(void *arg)
{
	(void)arg;
	intake_scan();
}

static void
trigger_cb(int fd, unsigned events, void *arg)
{
	char buf[512];

	(void)events;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	intake_scan();
}

/* intake_start - watch the trigger, scan new/ now and on a timer */
int
intake_start(void)
{
	char path[PATH_MAX];
	int n;

	ev_timer_init(&timer, timer_cb, NULL);
	n = snprintf(path, sizeof(path), "%s/trigger", S.spooldir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if ((trigger_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1 || (dummy_fd = open(path, O_WRONLY | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		log_warn_sys("%s", path);
		return -1;
	}
	if (ev_fd_add(S.ev, trigger_fd, EV_READ, trigger_cb, NULL) == -1)
		return -1;
	if (pipe(note) == -1 || fcntl(note[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(note[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(note[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(note[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    ev_fd_add(S.ev, note[0], EV_READ, note_cb, NULL) == -1) {
		log_warn_sys("intake: pipe");
		return -1;
	}
	if (pthread_create(&thread, NULL, intake_thread, NULL) != 0) {
		log_warn("intake: cannot start its thread");
		return -1;
	}
	thread_ok = true;
	intake_scan();
	return 0;
}
