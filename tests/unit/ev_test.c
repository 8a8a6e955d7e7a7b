/*
 * ev_test - the event loop: descriptors, timers in order, removal from
 * inside callbacks, signals through signalfd.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "ev.h"
#include "harness.h"

static int fired[16];
static int nfired;

static void
record(void *arg)
{
	if (nfired < 16)
		fired[nfired++] = (int)(long)arg;
}

TEST(timers_fire_in_time_order)
{
	struct ev *ev = ev_new();
	struct ev_timer t[5];
	int i, order[] = { 30, 10, 50, 20, 40 };

	nfired = 0;
	for (i = 0; i < 5; i++) {
		ev_timer_init(&t[i], record, (void *)(long)order[i]);
		ev_timer_start(ev, &t[i], (uint64_t)order[i]);
	}
	while (nfired < 5)
		ev_run_once(ev, 1000);
	for (i = 0; i < 5; i++)
		CHECK_INT(fired[i], (i + 1) * 10);
	ev_free(ev);
}

TEST(timer_stop_and_restart)
{
	struct ev *ev = ev_new();
	struct ev_timer a, b, c;

	nfired = 0;
	ev_timer_init(&a, record, (void *)1L);
	ev_timer_init(&b, record, (void *)2L);
	ev_timer_init(&c, record, (void *)3L);
	ev_timer_start(ev, &a, 5);
	ev_timer_start(ev, &b, 10);
	ev_timer_start(ev, &c, 15);
	ev_timer_stop(ev, &a);
	CHECK(!ev_timer_pending(&a));
	CHECK(ev_timer_pending(&b));
	ev_timer_start(ev, &b, 30);	/* moves b after c */
	ev_timer_stop(ev, &a);		/* stopping twice is harmless */
	while (nfired < 2)
		ev_run_once(ev, 1000);
	CHECK_INT(fired[0], 3);
	CHECK_INT(fired[1], 2);
	ev_free(ev);
}

/* Many timers with pseudo-random deadlines in the past, some stopped:
 * one iteration fires the rest, earliest first. */
static uint64_t last_when;
static int out_of_order, nheap_fired;

static void
check_order(void *arg)
{
	struct ev_timer *t = arg;

	if (t->when < last_when)
		out_of_order++;
	last_when = t->when;
	nheap_fired++;
}

TEST(timer_heap_stress)
{
	struct ev *ev = ev_new();
	static struct ev_timer t[2000];
	uint64_t now = ev_now(ev);
	int i, left = 0;

	srandom(7);
	for (i = 0; i < 2000; i++) {
		ev_timer_init(&t[i], check_order, &t[i]);
		ev_timer_at(ev, &t[i], now - 1 - (uint64_t)(random() % 100000));
	}
	for (i = 0; i < 2000; i += 3)
		ev_timer_stop(ev, &t[i]);
	for (i = 0; i < 2000; i++)
		if (ev_timer_pending(&t[i]))
			left++;
	ev_run_once(ev, 0);
	CHECK_INT(nheap_fired, left);
	CHECK_INT(out_of_order, 0);
	ev_free(ev);
}

struct pipe_state {
	struct ev *ev;
	int	 reads;
	int	 other;		/* a descriptor to remove from the callback */
};

static void
on_read(int fd, unsigned events, void *arg)
{
	struct pipe_state *ps = arg;
	char c;

	if (events & EV_READ && read(fd, &c, 1) == 1)
		ps->reads++;
	if (ps->other != -1) {
		ev_fd_del(ps->ev, ps->other);
		ps->other = -1;
	}
}

TEST(descriptors_and_removal_in_callback)
{
	struct ev *ev = ev_new();
	struct pipe_state a = { ev, 0, -1 }, b = { ev, 0, -1 };
	int p[2], q[2];

	CHECK(pipe(p) == 0 && pipe(q) == 0);
	CHECK(ev_fd_add(ev, p[0], EV_READ, on_read, &a) == 0);
	CHECK(ev_fd_add(ev, q[0], EV_READ, on_read, &b) == 0);
	a.other = q[0];
	b.other = p[0];
	/* Both ready at once: whichever runs first removes the other, whose
	 * already-fetched event must then be skipped. */
	CHECK(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1);
	ev_run_once(ev, 100);
	CHECK_INT(a.reads + b.reads, 1);
	CHECK(ev_fd_add(ev, -1, EV_READ, on_read, &a) == -1);
	CHECK(ev_fd_set(ev, 1000, EV_READ) == -1);
	close(p[0]); close(p[1]); close(q[0]); close(q[1]);
	ev_free(ev);
}

static void
on_writable(int fd, unsigned events, void *arg)
{
	int *n = arg;

	(void)fd;
	if (events & EV_WRITE)
		(*n)++;
}

TEST(write_interest_and_hangup)
{
	struct ev *ev = ev_new();
	int p[2], n = 0;

	CHECK(pipe(p) == 0);
	CHECK(ev_fd_add(ev, p[1], 0, on_writable, &n) == 0);
	ev_run_once(ev, 10);
	CHECK_INT(n, 0);		/* no interest: not called */
	CHECK(ev_fd_set(ev, p[1], EV_WRITE) == 0);
	ev_run_once(ev, 100);
	CHECK_INT(n, 1);
	close(p[0]);			/* reader gone: EV_ERROR | EV_WRITE */
	ev_run_once(ev, 100);
	CHECK_INT(n, 2);
	ev_fd_del(ev, p[1]);
	close(p[1]);
	ev_free(ev);
}

static void
on_signal(int signo, void *arg)
{
	*(int *)arg = signo;
}

static void
stop_loop(void *arg)
{
	ev_break(arg);
}

TEST(signals_and_break)
{
	struct ev *ev = ev_new();
	struct ev_timer t;
	int got = 0;

	CHECK(ev_signal_add(ev, SIGUSR1, on_signal, &got) == 0);
	CHECK(ev_signal_add(ev, 0, on_signal, &got) == -1);
	kill(getpid(), SIGUSR1);	/* blocked: waits in the signalfd */
	ev_timer_init(&t, stop_loop, ev);
	ev_timer_start(ev, &t, 50);
	CHECK(ev_run(ev) == 0);
	CHECK_INT(got, SIGUSR1);
	ev_free(ev);
}

static const struct test_case tests[] = {
	T(timers_fire_in_time_order),
	T(timer_stop_and_restart),
	T(timer_heap_stress),
	T(descriptors_and_removal_in_callback),
	T(write_interest_and_hangup),
	T(signals_and_break),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
