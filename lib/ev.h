/*
 * ev - the event loop of the long-running programs: descriptors through
 * epoll(7), timers in a binary heap, signals through signalfd(2).
 *
 * One loop per process, no threads.  Callbacks run from ev_run_once();
 * a callback may add, change or remove any descriptor or timer, its own
 * included.  Time is CLOCK_MONOTONIC in milliseconds, read once per
 * iteration (ev_now()).
 */
#ifndef MTA_EV_H
#define MTA_EV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EV_READ		0x01
#define EV_WRITE	0x02
/* Passed to a callback only: the peer hung up or the descriptor failed.
 * A read (or write) then returns the error or the end of file. */
#define EV_ERROR	0x04

struct ev;

typedef void ev_fd_cb(int, unsigned, void *);
typedef void ev_timer_cb(void *);
typedef void ev_signal_cb(int, void *);

/* Embed one in the object it times; ev_timer_init() before first use. */
struct ev_timer {
	uint64_t	 when;		/* ev_now() milliseconds */
	size_t		 slot;		/* heap index + 1, 0: not pending */
	ev_timer_cb	*cb;
	void		*arg;
};

struct ev *ev_new(void);
void	ev_free(struct ev *);
uint64_t ev_now(struct ev *);
void	ev_update_time(struct ev *);

int	ev_fd_add(struct ev *, int, unsigned, ev_fd_cb *, void *);
int	ev_fd_set(struct ev *, int, unsigned);
void	ev_fd_del(struct ev *, int);

void	ev_timer_init(struct ev_timer *, ev_timer_cb *, void *);
void	ev_timer_start(struct ev *, struct ev_timer *, uint64_t);
void	ev_timer_at(struct ev *, struct ev_timer *, uint64_t);
void	ev_timer_stop(struct ev *, struct ev_timer *);
bool	ev_timer_pending(const struct ev_timer *);

int	ev_signal_add(struct ev *, int, ev_signal_cb *, void *);

int	ev_run_once(struct ev *, int);
int	ev_run(struct ev *);
void	ev_break(struct ev *);

#endif
