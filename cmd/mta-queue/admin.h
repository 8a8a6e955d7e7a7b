/*
 * admin - what the control socket (control.c) may ask of the scheduler.
 * Implemented by the scheduler's modules; control.c uses only this.
 *
 * A pattern names queues as "domain/vmta", "domain" (every vmta),
 * "*" or NULL (every queue); "*" may also stand for a whole part:
 * "* /vmta1" without the space.  Matching ignores case.
 */
#ifndef MTA_QUEUE_ADMIN_H
#define MTA_QUEUE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct conf;

struct admin_queue {
	const char *name;		/* "example.test/vmta1" */
	const char *domain;
	const char *vmta;		/* "{default}" when none */
	size_t	 rcpts;			/* recipients waiting */
	unsigned long long bytes;	/* their messages' size */
	size_t	 sessions;		/* SMTP sessions open now */
	size_t	 max_sessions;		/* max-smtp-out in effect */
	bool	 paused;
	bool	 backoff;
	time_t	 retry_at;		/* queue waiting for a retry; 0: no */
	time_t	 oldest;		/* injection time of the oldest */
	unsigned long long delivered, deferred, failed, expired;
	const char *last_error;		/* last failure text, "" if none */
	const char *disabled_src;	/* source addresses disabled, comma-
					   separated; "" if none */
	const char *forward;		/* queue-to or rollup queue, or "" */
};

struct admin_status {
	time_t	 started;
	pid_t	 pid;
	size_t	 queues, messages, rcpts, sessions, workers;
	unsigned long long delivered, deferred, failed, expired;
	unsigned long long injected;	/* messages taken from new/ */
	const char *config;		/* config file path */
};

struct admin_delete {
	const char *queue;		/* pattern, or NULL */
	const char *rcpt;		/* exact address, or NULL */
	const char *orig;		/* exact sender, or NULL */
	const char *job;		/* job id, or NULL */
};

typedef int admin_queue_cb(const struct admin_queue *, void *);

void	admin_status(struct admin_status *);
int	admin_foreach_queue(const char *, admin_queue_cb *, void *);
int	admin_pause(const char *, bool);
int	admin_set_backoff(const char *, bool);
int	admin_schedule(const char *);
size_t	admin_delete(const struct admin_delete *);
int	admin_source(const char *, bool);
int	admin_reload(char *, size_t);
const struct conf *admin_conf(void);

#endif
