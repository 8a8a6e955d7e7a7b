/*
 * queue.h - the scheduler's modules and the state they share.
 *
 * Memory per queued message is the point of these structures: a message
 * is one struct msg with its struct rcpt array in one allocation, plus a
 * slot of the id table; addresses and the sender stay in the spool file
 * and are read again when a transaction starts (mta-queue(8) gives the
 * figures).
 */
#ifndef MTA_QUEUE_QUEUE_H
#define MTA_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "envelope.h"
#include "ev.h"
#include "proto.h"
#include "rate.h"
#include "spool.h"

struct queue;
struct session;
struct worker;

/* queue_strhash - djb2 of s, for the id, queue, name and address tables */
static inline unsigned
queue_strhash(const char *s)
{
	unsigned h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Where a recipient is (struct rcpt.where). */
enum {
	R_FINAL,		/* delivered, failed or expired */
	R_READY,		/* in its queue's ready list */
	R_WAIT,			/* in its queue's retry heap */
	R_BUSY			/* in a transaction or awaiting commit */
};

struct rcpt {
	struct rcpt	*prev, *next;	/* ready list */
	struct msg	*m;
	struct queue	*q;
	uint32_t	 next_at;	/* next attempt, unix seconds */
	uint32_t	 first;		/* first attempt, 0 if none */
	uint32_t	 hidx;		/* retry heap index + 1 */
	uint32_t	 delayed_at;	/* last delay notice due, 0: none */
	uint16_t	 attempts;
	uint8_t		 where;
	uint8_t		 state;		/* enum envelope_state */
};

struct msg {
	struct msg	*hnext;		/* id table chain */
	uint32_t	 queued;	/* injection time */
	uint32_t	 body_off;
	uint64_t	 size;
	uint32_t	 nrcpt;
	uint32_t	 pending;	/* recipients not final */
	uint32_t	 busy;		/* in transactions or commits */
	bool		 gone;		/* deleted by the operator */
	char		 id[SPOOL_QIDLEN + 1];
	const char	*vmta;		/* interned: the member chosen */
	const char	*pool;		/* interned, or NULL */
	struct envtext	*envtext;	/* intake's read, or NULL (envcache.c) */
	struct rcpt	 rcpt[];
};

/* One smtp-source-host of a queue. */
struct qsource {
	char	 addr[64];
	char	*helo;			/* or NULL: the queue's helo */
	bool	 disabled;
	time_t	 reenable;
};

/* The settings of a queue, resolved from the config (settings.c). */
struct qset {
	int64_t	 max_smtp_out, max_msg_per_conn, max_rcpt;
	struct confval_rate msg_rate, connect_rate;
	struct confval_intervals retry;
	int64_t	 bounce_after, queue_interval;
	int64_t	 delay_every;		/* notify-of-delay-every */
	char	*bounce_domain;		/* VERP senders at it, or NULL */
	bool	 pause;
	char	*hosts;			/* smtp-hosts/route as written */
	const char *tls;		/* no, try, require */
	bool	 no_pipelining;		/* ignore-pipelining */
	int64_t	 port;
	int64_t	 connect_timeout, greeting_timeout, command_timeout,
		 data_timeout;
	char	*helo;
	struct qsource *src;
	size_t	 nsrc;
	const struct conf_retry_rule **rules;
	size_t	 nrules;
	const struct conf_block *patterns;	/* <smtp-pattern-list> */
	bool	 bo_mode;			/* back-off-mode backoff */
	struct confval_rate bo_msg_rate, bo_connect_rate;
	int64_t	 bo_max_smtp_out, bo_max_msg_per_conn, bo_to_normal;
	struct confval_intervals bo_retry;
	int64_t	 vmta_max_smtp_out;		/* per vmta total, 0: none */
	int64_t	 reenable_src;		/* reenable-source-ip-after */
	bool	 no_rollup;		/* disable-mx-rollup, or smtp-hosts */
	bool	 bo_no_src;	/* backoff-upon-all-sources-disabled */
};

/* A mail exchanger not to use for a while (skip-mx). */
struct qskip {
	char	 name[256];
	time_t	 until;
};

struct queue {
	struct queue	*hnext;
	struct queue	*all_next;
	char		*name;		/* "domain/vmta" */
	char		*domain;
	const char	*vmta;		/* interned; "{default}" */
	struct vmta	*v;
	struct qset	 set;
	struct rcpt	*ready_head, *ready_tail;
	size_t		 nready;
	struct rcpt	**heap;		/* waiting for their retry */
	size_t		 nwait, capwait;
	size_t		 nrcpt;		/* not final */
	unsigned long long bytes;
	size_t		 nbusy;		/* rcpts in transactions */
	struct session	*sessions;	/* its sessions */
	size_t		 nsessions, nopening, nidle;
	bool		 paused;	/* by the operator */
	bool		 backoff;
	time_t		 backoff_since;
	time_t		 retry_at;	/* the queue waits until then */
	unsigned	 fails;		/* consecutive session failures */
	struct rate	 msg_rate, connect_rate;
	struct ev_timer	 timer;
	bool		 blocked;	/* waits for a vmta/global slot */
	struct queue	*blk_next;
	unsigned	 src_rr;
	unsigned long long delivered, deferred, failed, expired;
	char		 last_error[160];
	time_t		 oldest;
	struct queue	*fwd;		/* queue-to, rollup: mail goes there */
	bool		 fwd_rollup;	/* fwd is a rollup queue */
	bool		 mx_wait;	/* its MX lookup for rollup runs */
	char		*mx_hosts;	/* a rollup queue: its MX hosts */
	time_t		 examined;	/* last retry pass (queue-interval) */
	struct qskip	*skip;		/* skip-mx */
	size_t		 nskip;
};

/* A virtual MTA's session total. */
struct vmta {
	struct vmta	*next;
	const char	*name;
	size_t		 nsessions;
};

enum { S_OPENING, S_IDLE, S_BUSY, S_CLOSING };

/* One transaction in flight. */
struct txn {
	struct msg	*m;
	struct envelope	 env;
	size_t		 n;
	size_t		 answered;
	uint32_t	*idx;		/* envelope indexes */
	bool		*got;		/* answered? */
};

struct session {
	uint64_t	 sid;
	struct session	*hnext;		/* sid table */
	struct session	*qnext, *qprev;	/* its queue's list */
	struct worker	*w;
	struct queue	*q;
	int		 state;
	unsigned	 nmsg;
	char		*mx, *ip, *src, *ext, *tls, *cipher;
	bool		 pipelines;	/* may be sent a next txn, see session.c */
	unsigned	 port;
	struct txn	*txn;
	struct txn	*next;		/* sent behind txn, see session.c */
	struct ev_timer	 timer;		/* msg-rate wait, or linger */
	uint64_t	 linger_until;	/* ms: idle, nothing ready; 0: no */
};

/* The one scheduler. */
struct sched {
	struct ev	*ev;
	struct conf	*conf;
	const char	*confpath;
	struct spool	*spool;
	char		*spooldir;
	struct journal	*journal;
	int		 verbose;
	size_t		 nworkers_want;
	bool		 stopping;
	bool		 receipts;	/* an <acct-file> takes r records */
	time_t		 started;
	int64_t		 total_max_smtp_out;	/* 0: none */
	size_t		 nsessions;
	size_t		 nmsgs, nrcpts;
	unsigned long long delivered, deferred, failed, expired, injected;
};

extern struct sched S;

/* envcache.c */
void	envcache_keep(struct msg *, const struct buf *);
void	envcache_drop(struct msg *);
int	envcache_take(struct msg *, struct envelope *);

/* sched.c */
void	sched_init(void);
struct msg *msg_byid(const char *);
struct msg *msg_add(const struct envelope *, size_t);
void	msg_release(struct msg *);
int	msg_read(struct msg *, struct envelope *, char *, size_t);
void	queue_kick(struct queue *);
bool	queue_any_blocked(void);
void	queue_kick_all(void);
void	queue_resettle(void);
struct queue *queue_first(void);
void	queue_fail_all(struct queue *, int, const char *, const char *);
void	queue_defer(struct queue *, int64_t, const char *);
void	queue_delay_notices(struct queue *, int, const char *, const char *);
void	rcpt_finalize(struct rcpt *, const struct envelope *, int,
	    const char *, int, const char *, const char *,
	    const struct session *);
void	rcpt_defer(struct rcpt *, const struct envelope *, bool, int,
	    const char *, const char *, const struct session *);
void	rcpt_defer_after(struct rcpt *, const struct envelope *, bool,
	    int64_t, int, const char *, const char *, const struct session *);
void	rcpt_unlink(struct rcpt *);
void	sweep_start(void);
void	slots_freed(void);
bool	queue_match(const struct queue *, const char *);
int64_t	queue_retry_interval(const struct queue *, unsigned);
size_t	queue_limit(const struct queue *);
bool	msg_expired(const struct queue *, const struct msg *);
void	queue_skip_mx(struct queue *, const char *);
bool	queue_mx_skipped(const struct queue *, const char *);
const char *queue_skip_list(const struct queue *, char *, size_t);
bool	queue_src_disable(struct queue *, const char *, int64_t);
bool	queue_src_disabled(const struct queue *, const char *);
const char *queue_hosts(const struct queue *);

/* session.c */
void	session_ok(struct session *, const struct proto_rec *);
void	session_failed(struct session *, const struct proto_rec *);
void	session_rcpt(struct session *, const struct proto_rec *);
void	session_done(struct session *);
void	session_closed(struct session *, const struct proto_rec *);
void	session_lost(struct session *);
bool	session_next(struct session *);
void	session_timer(void *);
void	reply_check(struct queue *, int, const char *, const char *,
	    bool *, bool *);

/* worker.c */
int	worker_start_all(size_t);
struct session *worker_open(struct queue *);
void	worker_send_msg(struct session *, struct txn *);
bool	worker_pipelines(const struct session *, const char *);
void	worker_close(struct session *);
void	worker_quit_all(void);
size_t	worker_count(void);
size_t	worker_alive(void);
size_t	worker_txns(void);
void	worker_reap(void);
struct session *session_find(uint64_t);
void	session_free(struct session *);

/* settings.c */
void	qset_resolve(struct queue *);
void	qset_free(struct qset *);
const char *intern(const char *);
struct vmta *vmta_get(const char *);
const char *pool_pick(const char *, const char **);
int64_t	global_total(void);
const char *qset_queue_to(const char *, const char *, char *, size_t);
bool	rollup_any(void);
const char *rollup_name(const char *, char *, size_t);
struct dns *queue_dns(void);

/* What a <bounce-action> block does (bounce.c). */
enum { BA_NONE, BA_SUPPRESS, BA_RETRY, BA_BOUNCE };

/* commit.c, bounce.c */
int	bounce_setup(char *, size_t);
const char *bounce_category(const char *, int, const char *, const char *);
int	bounce_action(int, int, const char *, const char *, unsigned,
	    int64_t *, int64_t *);
void	bounce_note(struct msg *, size_t, bool, int, const char *,
	    const char *, const struct session *);
int	bounce_delay_note(struct msg *, size_t, uint32_t, int, const char *,
	    const char *, const struct session *);
void	bounce_flush(void);
int	commit_init(void);
void	commit_add(struct msg *, uint32_t, uint8_t, uint16_t, uint32_t,
	    uint32_t, size_t);
void	commit_msg_done(struct msg *);
void	commit_flush(void);
int	commit_replay(void);
void	journal_received(const struct envelope *);
void	journal_queue_deferred(const struct queue *, const struct session *,
	    int, const char *, const char *);
void	journal_outcome_write(const char *, const struct msg *,
	    const struct envelope *, size_t, const struct rcpt *, int,
	    const char *, const char *, const struct session *);

/* suppress.c */
struct supp_src;

int	supp_setup(char *, size_t);
const struct supp_src *supp_source(const struct envelope *);
bool	supp_refused(struct rcpt *, const struct envelope *,
	    const struct supp_src *);
void	supp_outcome(struct rcpt *, const struct envelope *, int, int,
	    const char *, const char *, const struct session *);
void	supp_flush(void);
bool	supp_refusing(void);

/* remove.c */
int	remove_start(void);
void	remove_add(const char *);
void	remove_stop(void);

/* intake.c */
int	intake_start(void);
int	intake_load_queue(void);
void	intake_scan(void);
void	intake_stop(void);

#endif
