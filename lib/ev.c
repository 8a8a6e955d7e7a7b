/*
 * ev - epoll, a timer heap and signalfd in one loop (see ev.h).
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"

#define EV_MAXEVENTS	256
#define EV_NSIG		65

struct ev_fd {
	ev_fd_cb	*cb;
	void		*arg;
	unsigned	 events;	/* 0: not registered */
	uint32_t	 gen;		/* bumped on del: stale events skipped */
};

struct ev {
	int		 epfd;
	uint64_t	 now;
	bool		 stop;
	struct ev_fd	*fds;		/* indexed by descriptor */
	size_t		 nfds;
	struct ev_timer **heap;
	size_t		 nheap, heapcap;
	int		 sigfd;
	sigset_t	 sigmask;
	struct {
		ev_signal_cb *cb;
		void	*arg;
	} sig[EV_NSIG];
};

static uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev *
ev_new(void)
{
	struct ev *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(ev);
		return NULL;
	}
	ev->sigfd = -1;
	sigemptyset(&ev->sigmask);
	ev->now = clock_ms();
	return ev;
}

void
ev_free(struct ev *ev)
{
	if (ev == NULL)
		return;
	close(ev->epfd);
	if (ev->sigfd != -1) {
		close(ev->sigfd);
		sigprocmask(SIG_UNBLOCK, &ev->sigmask, NULL);
	}
	free(ev->fds);
	free(ev->heap);
	free(ev);
}

uint64_t
ev_now(struct ev *ev)
{
	return ev->now;
}

void
ev_update_time(struct ev *ev)
{
	ev->now = clock_ms();
}

static uint32_t
epoll_bits(unsigned events)
{
	uint32_t bits = 0;

	if (events & EV_READ)
		bits |= EPOLLIN;
	if (events & EV_WRITE)
		bits |= EPOLLOUT;
	return bits;
}

int
ev_fd_add(struct ev *ev, int fd, unsigned events, ev_fd_cb *cb, void *arg)
{
	struct epoll_event ee;
	struct ev_fd *p;
	size_t n;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= ev->nfds) {
		n = (size_t)fd + 64;
		if ((p = reallocarray(ev->fds, n, sizeof(*p))) == NULL)
			return -1;
		memset(p + ev->nfds, 0, (n - ev->nfds) * sizeof(*p));
		ev->fds = p;
		ev->nfds = n;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = epoll_bits(events);
	ee.data.u64 = (uint64_t)fd | (uint64_t)ev->fds[fd].gen << 32;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) == -1)
		return -1;
	ev->fds[fd].cb = cb;
	ev->fds[fd].arg = arg;
	ev->fds[fd].events = events | 0x100;	/* registered, maybe idle */
	return 0;
}

int
ev_fd_set(struct ev *ev, int fd, unsigned events)
{
	struct epoll_event ee;

	if (fd < 0 || (size_t)fd >= ev->nfds || ev->fds[fd].events == 0) {
		errno = EBADF;
		return -1;
	}
	if ((ev->fds[fd].events & 0xff) == events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = epoll_bits(events);
	ee.data.u64 = (uint64_t)fd | (uint64_t)ev->fds[fd].gen << 32;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &ee) == -1)
		return -1;
	ev->fds[fd].events = events | 0x100;
	return 0;
}

/* Call before close(2): the loop skips events already fetched for fd. */
void
ev_fd_del(struct ev *ev, int fd)
{
	if (fd < 0 || (size_t)fd >= ev->nfds || ev->fds[fd].events == 0)
		return;
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->fds[fd].events = 0;
	ev->fds[fd].cb = NULL;
	ev->fds[fd].gen++;
}

/* The timer heap: slot is the 1-based index, so 0 means "not queued". */

static void
heap_place(struct ev *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->slot = i + 1;
}

static void
heap_up(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	while (i > 0 && ev->heap[(i - 1) / 2]->when > t->when) {
		heap_place(ev, i, ev->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(ev, i, t);
}

static void
heap_down(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= ev->nheap)
			break;
		if (c + 1 < ev->nheap && ev->heap[c + 1]->when <
		    ev->heap[c]->when)
			c++;
		if (ev->heap[c]->when >= t->when)
			break;
		heap_place(ev, i, ev->heap[c]);
		i = c;
	}
	heap_place(ev, i, t);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
}

bool
ev_timer_pending(const struct ev_timer *t)
{
	return t->slot != 0;
}

void
ev_timer_stop(struct ev *ev, struct ev_timer *t)
{
	struct ev_timer *last;
	size_t i;

	if (t->slot == 0)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (--ev->nheap == i)
		return;
	last = ev->heap[ev->nheap];
	heap_place(ev, i, last);
	heap_up(ev, i);
	if (last->slot - 1 == i)
		heap_down(ev, i);
}

/* Fire at an absolute ev_now() time. */
void
ev_timer_at(struct ev *ev, struct ev_timer *t, uint64_t when)
{
	struct ev_timer **h;
	size_t n;

	ev_timer_stop(ev, t);
	if (ev->nheap == ev->heapcap) {
		n = ev->heapcap ? ev->heapcap * 2 : 64;
		if ((h = reallocarray(ev->heap, n, sizeof(*h))) == NULL)
			PANIC("timer heap: out of memory");
		ev->heap = h;
		ev->heapcap = n;
	}
	t->when = when;
	ev->heap[ev->nheap] = t;
	t->slot = ++ev->nheap;
	heap_up(ev, ev->nheap - 1);
}

/* Fire after ms milliseconds. */
void
ev_timer_start(struct ev *ev, struct ev_timer *t, uint64_t ms)
{
	ev_timer_at(ev, t, ev->now + ms);
}

static void
signal_read(int fd, unsigned events, void *arg)
{
	struct ev *ev = arg;
	struct signalfd_siginfo si;
	unsigned signo;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		signo = si.ssi_signo;
		if (signo < EV_NSIG && ev->sig[signo].cb != NULL)
			ev->sig[signo].cb((int)signo, ev->sig[signo].arg);
	}
}

/*
 * Deliver signo through the loop.  The signal is blocked in the process
 * from now on: a child must unblock it (sigprocmask) before exec.
 */
int
ev_signal_add(struct ev *ev, int signo, ev_signal_cb *cb, void *arg)
{
	int fd;

	if (signo <= 0 || signo >= EV_NSIG) {
		errno = EINVAL;
		return -1;
	}
	sigaddset(&ev->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &ev->sigmask, NULL) == -1)
		return -1;
	fd = signalfd(ev->sigfd, &ev->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return -1;
	if (ev->sigfd == -1) {
		ev->sigfd = fd;
		if (ev_fd_add(ev, fd, EV_READ, signal_read, ev) == -1)
			return -1;
	}
	ev->sig[signo].cb = cb;
	ev->sig[signo].arg = arg;
	return 0;
}

static void
run_timers(struct ev *ev)
{
	struct ev_timer *t;

	while (ev->nheap > 0 && ev->heap[0]->when <= ev->now) {
		t = ev->heap[0];
		ev_timer_stop(ev, t);
		t->cb(t->arg);
	}
}

/*
 * Wait at most max_ms milliseconds (-1: until something happens), run
 * what is ready.  Returns the number of descriptor events, or -1.
 */
int
ev_run_once(struct ev *ev, int max_ms)
{
	struct epoll_event evs[EV_MAXEVENTS];
	struct ev_fd *f;
	uint64_t wait;
	unsigned what;
	uint32_t gen;
	int i, n, fd, timeout = max_ms;

	if (ev->nheap > 0) {
		wait = ev->heap[0]->when > ev->now ?
		    ev->heap[0]->when - ev->now : 0;
		if (timeout < 0 || wait < (uint64_t)timeout)
			timeout = wait > 3600000 ? 3600000 : (int)wait;
	}
	n = epoll_wait(ev->epfd, evs, EV_MAXEVENTS, timeout);
	ev->now = clock_ms();
	if (n == -1) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		fd = (int)(evs[i].data.u64 & 0xffffffff);
		gen = (uint32_t)(evs[i].data.u64 >> 32);
		f = &ev->fds[fd];
		if (f->events == 0 || f->gen != gen || f->cb == NULL)
			continue;
		what = 0;
		if (evs[i].events & EPOLLIN)
			what |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			what |= EV_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			what |= EV_ERROR | (f->events & (EV_READ | EV_WRITE));
		f->cb(fd, what, f->arg);
	}
	run_timers(ev);
	return n;
}

/* Run until ev_break().  Returns 0, or -1 when epoll fails. */
int
ev_run(struct ev *ev)
{
	ev->stop = false;
	while (!ev->stop)
		if (ev_run_once(ev, -1) == -1)
			return -1;
	return 0;
}

void
ev_break(struct ev *ev)
{
	ev->stop = true;
}
