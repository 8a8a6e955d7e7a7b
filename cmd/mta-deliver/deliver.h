/*
 * mta-deliver - the SMTP client worker of mta-queue (deliver/1, see
 * mta-deliver(8)).  One process, one ev loop, many sessions.
 *
 * pipe.c    the deliver/1 records: reading, checking, answering
 * session.c the SMTP conversation of one session, reply by reply
 * conn.c    which host and address to try next; connect and source bind
 * tls.c     STARTTLS through OpenSSL, and the socket I/O under it
 * send.c    the commands of a transaction and the message, dot-stuffed
 */
#ifndef MTA_DELIVER_H
#define MTA_DELIVER_H

#include <sys/socket.h>

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "ev.h"
#include "proto.h"
#include "smtpreply.h"

#define DELIVER_PROTO		"deliver/1"
#define DELIVER_MAXRCPT		10000	/* rcpt records of one msg */
#define DELIVER_TEXTMAX		600	/* bytes of a reply in a record */
#define DELIVER_NAMEMAX		256
#define DELIVER_ADDRMAX		46	/* INET6_ADDRSTRLEN */
#define DELIVER_SESS_BUCKETS	4096	/* sid hash */

/* RFC 5321 4.5.3.2 when the session record gives no time. */
#define TMO_CONNECT	(30 * 1000)
#define TMO_GREETING	(5 * 60 * 1000)
#define TMO_COMMAND	(5 * 60 * 1000)
#define TMO_DATA_INIT	(2 * 60 * 1000)
#define TMO_DATA_BLOCK	(3 * 60 * 1000)
#define TMO_DATA_DOT	(10 * 60 * 1000)
#define TMO_IDLE	(5 * 60 * 1000)
#define TMO_QUIT	(10 * 1000)
#define TMO_QUIT_EOF	(2 * 1000)	/* after 221: the server hangs up */

enum tls_mode {
	TLS_NO,
	TLS_TRY,
	TLS_REQUIRE
};

enum sess_state {
	SS_RESOLVE,		/* waiting for DNS */
	SS_CONNECT,		/* connect(2) in progress */
	SS_GREETING,
	SS_EHLO,
	SS_HELO,
	SS_STARTTLS,
	SS_HANDSHAKE,
	SS_EHLO_TLS,		/* EHLO again inside TLS */
	SS_READY,		/* answered, idle */
	SS_MSG,			/* msg record in, its rcpt records coming */
	SS_CMDS,		/* RSET/MAIL/RCPT/DATA replies awaited */
	SS_BODY,		/* sending the message */
	SS_DOT,			/* the reply to "." awaited */
	SS_QUIT			/* QUIT sent, closed already answered */
};

/*
 * A msg record that came while the transaction before it was in
 * flight (the queue's "pipeline"): held in the session's nx, it goes
 * out right behind that transaction's final "." when the server offers
 * PIPELINING (RFC 2920 3.1), else when that transaction is over.
 */
enum nx_state {
	NX_NONE,
	NX_MSG,			/* its rcpt records coming */
	NX_READY,		/* all in: starts when tx is over */
	NX_SENT			/* MAIL, RCPT, DATA sent behind tx's "." */
};

/* Where a recipient stands in the transaction. */
enum rcpt_state {
	RS_WAIT,		/* no answer yet */
	RS_ACCEPTED,		/* RCPT got 2xx: the final reply decides */
	RS_DONE			/* result set */
};

struct tx_rcpt {
	long long n;		/* index given by the queue */
	size_t	 to, notify, orcpt;	/* offsets into tx.strs, or NOSTR */
	bool	 sent;		/* RCPT went out */
	enum rcpt_state state;
	int	 code;
	char	 dsn[12];
	size_t	 text;		/* offset into tx.strs */
};

#define NOSTR	SIZE_MAX

/* The transaction of one msg record. */
struct tx {
	char	 id[128];
	size_t	 path, from, envid;	/* offsets into strs, or NOSTR */
	const char *ret;		/* "FULL", "HDRS" or NULL */
	bool	 smtputf8, eightbit;
	long long off, size;
	size_t	 nrcpt, got;
	struct tx_rcpt *r;
	size_t	 rcap;
	struct buf strs;		/* every string of the transaction */
	uint64_t t0;			/* ev_now() at the msg record */
	int	 fd;			/* the spool file while sending */
	long long sent;			/* message bytes queued for output */
	bool	 bol;			/* at the beginning of a line */
	bool	 crlf;			/* what went so far ends in CRLF */
	char	 last;			/* the last byte that went */
	/* the replies owed by the server, in order */
	size_t	 nexpect;		/* commands sent */
	size_t	 nreplies;		/* replies taken */
	bool	 rset;			/* the first command is RSET */
	bool	 rset_sent, mail_sent, data_sent;
	bool	 mail_ok;
	bool	 empty;			/* "." with no recipient: ignore */
	size_t	 nextrcpt;		/* next RCPT to send */
	size_t	 nrcptsent;
	size_t	 rcur;			/* rcpt the next RCPT reply is for */
	size_t	 naccepted;
};

struct targets;
struct dns_query;
struct worker;

struct session {
	struct worker	*w;
	struct session	*hnext;		/* in the sid hash */
	struct session	*prev, *next;	/* every session, closing ones too */
	long long	 sid;
	bool		 hashed;	/* found by sid */
	bool		 quit_answer;	/* "closed" waits for the end */
	bool		 got_goodbye;	/* the reply to QUIT came */
	enum sess_state	 state;
	/* from the session record */
	char		 domain[DELIVER_NAMEMAX];
	char		 helo[DELIVER_NAMEMAX];
	char		*hosts;		/* hosts= or NULL */
	char		*skip;		/* skip= or NULL: hosts not to use */
	struct sockaddr_storage src;
	bool		 has_src;
	int		 family;	/* DNS_INET | DNS_INET6 */
	uint16_t	 port;
	enum tls_mode	 tls;
	bool		 no_pipelining;	/* one command at a time, always */
	uint64_t	 tmo_connect, tmo_greeting, tmo_idle;
	uint64_t	 tmo_command;	/* 0: RFC 5321 defaults */
	uint64_t	 tmo_data;	/* 0: RFC 5321 defaults */
	/* while connecting */
	struct targets	*tg;
	struct dns_query *dq;
	/* failure to report if no host works */
	int		 fcode;
	char		 fdsn[12];
	char		 ftext[DELIVER_TEXTMAX];
	char		 fmx[DELIVER_NAMEMAX];
	char		 fip[DELIVER_ADDRMAX];
	bool		 fperm;		/* a permanent DNS fact */
	/* the connection */
	int		 fd;
	unsigned	 events;	/* ev interest */
	SSL		*ssl;
	bool		 ssl_want_write;	/* SSL_read needs EV_WRITE */
	bool		 no_tls;	/* this attempt: no STARTTLS */
	char		 mx[DELIVER_NAMEMAX];
	char		 ip[DELIVER_ADDRMAX];
	uint16_t	 peer_port;
	char		 local[DELIVER_ADDRMAX];
	struct smtpext	 ext;
	struct ev_timer	 timer;
	struct buf	 out;
	size_t		 outoff;
	char		 in[4096];
	size_t		 inlen;
	struct smtpreply reply;
	/* transactions */
	struct tx	 tx;
	struct tx	 nx;		/* the next one, see nx_state */
	enum nx_state	 nx_state;
	bool		 need_rset;
	bool		 dead;		/* lost while rcpt records arrive */
	const char	*close_reason;	/* with dead: "lost", "421", ... */
};

struct worker {
	struct ev	*ev;
	struct dns	*dns;		/* made on first use */
	char		*dns_servers;	/* NULL: resolv.conf */
	int		 dns_timeout_ms;
	SSL_CTX		*tls;
	int		 in_fd, out_fd;
	struct proto_reader rd;
	bool		 said_hello;
	bool		 quitting;	/* quit record seen */
	bool		 reading;	/* in_fd is watched */
	struct buf	 out;		/* records for the queue */
	bool		 out_wait;	/* out_fd watched for EV_WRITE */
	struct ev_timer	 flush;
	struct session	*bucket[DELIVER_SESS_BUCKETS];
	struct session	*all;
	size_t		 nsessions;
	char		 scratch[32768];	/* file reads */
	struct buf	 logbuf;
};

/* pipe.c */
void	pipe_init(struct worker *, int, int);
void	pipe_flush(struct worker *);
void	pipe_flush_sync(struct worker *);
struct buf *rec_begin(struct worker *, const char *);
void	rec_end(struct worker *, size_t);
void	rec_text(struct buf *, const char *, const char *);
void	worker_maybe_exit(struct worker *);

/* session.c */
int	session_new(struct worker *, const struct proto_rec *, char *,
	    size_t);
int	session_msg_record(struct worker *, struct session *,
	    const struct proto_rec *, char *, size_t);
int	session_rcpt(struct session *, const struct proto_rec *, char *,
	    size_t);
int	session_close(struct session *, char *, size_t);
void	session_quit(struct session *, bool);
void	session_free(struct session *);
struct session *session_find(struct worker *, long long);
void	session_connected(struct session *);
void	session_io(int, unsigned, void *);
void	session_fail(struct session *, const char *, int, const char *,
	    ...) PRINTFLIKE(4, 5);
void	session_answer_fail(struct session *);
int	session_write(struct session *);
void	session_pipeline_next(struct session *);
void	session_set_events(struct session *, unsigned);

/* conn.c */
void	conn_start(struct session *);
void	conn_next(struct session *, bool);
void	conn_retry_plain(struct session *);
void	conn_connect_done(struct session *);
void	conn_drop(struct session *);
void	conn_free_targets(struct session *);
bool	conn_tls_broken(const struct session *);
void	conn_tls_mark_broken(const struct session *);
const char *conn_ntop(const struct sockaddr_storage *, char *, size_t);

/* tls.c */
int	tls_init(struct worker *, char *, size_t);
int	tls_start(struct session *, char *, size_t);
int	tls_handshake(struct session *, char *, size_t);
ssize_t	io_read(struct session *, void *, size_t);
ssize_t	io_write(struct session *, const void *, size_t);
void	tls_end(struct session *);
const char *tls_version(const struct session *);
const char *tls_cipher(const struct session *);

/* send.c */
void	send_commands(struct session *, struct tx *);
int	send_open(struct tx *, char *, size_t);
int	send_fill(struct session *, char *, size_t);
void	send_close(struct tx *);

#endif
