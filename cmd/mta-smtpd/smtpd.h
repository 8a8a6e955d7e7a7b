/*
 * smtpd.h - what the parts of mta-smtpd share.
 *
 * One process, one event loop (lib/ev), many sessions.  A session reads
 * into its input buffer, runs every complete command it holds (so
 * pipelined commands are answered in one write), and stops at the end
 * of a message until the group commit has made the message durable.
 */
#ifndef MTA_SMTPD_H
#define MTA_SMTPD_H

#include <sys/socket.h>

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "rate.h"
#include "smtpcmd.h"
#include "submit.h"

#define SMTPD_INMAX	(256 * 1024)	/* unprocessed input we hold */
#define SMTPD_MAXERRORS	20	/* bad commands, then 421, unless set */
#define SMTPD_AUTHMAX	3	/* failed AUTH, then 421, unless a rate */

struct session;
struct suppress;
struct suppress_match;
struct suppress_set;
struct supplists;

struct listener {
	int		 fd;
	struct confval_listener addr;
	const char	*source;	/* source=NAME, or NULL */
	bool		 immediate_tls;
	struct smtpd	*srv;
};

/*
 * One loaded config.  A session keeps the config it started with until
 * it ends, whatever SIGHUP loads meanwhile: the last one out frees it.
 */
struct confgen {
	struct conf	*conf;
	struct supplists *supp;		/* its sources' suppression lists */
	size_t		 refs;		/* sessions */
};

/* The server: the config, the spool, the listeners. */
struct smtpd {
	struct ev	*ev;
	const struct conf *conf;	/* the current one: gen->conf */
	struct confgen	*gen;
	const char	*conf_path;
	char		*spool_dir;	/* as opened: a reload keeps it */
	bool		 spool_fixed;	/* -q */
	char		*root_cert;	/* read as root before -u, or NULL */
	struct spool	*spool;
	struct suppress	*supp;		/* the spool's suppression store */
	struct conf_settings global;
	char		 hostname[256];
	SSL_CTX		*tls;		/* NULL: no certificate */
	struct listener	*listeners;
	size_t		 nlisteners;
	size_t		 nsessions;
	size_t		 maxsessions;	/* max-smtp-in, total-max-smtp-in */
	struct session	*sessions;	/* every live session */
	bool		 oneshot;	/* -s: one session on fd 0 and 1 */
	struct authfail	*authfail;	/* clients under a failure rate */
	size_t		 nauthfail;
	uint64_t	 committed;	/* messages, for the log */
	uint64_t	 commits;	/* groups */
	uint64_t	 commit_us;	/* time they took */
};

/* smtp-max-auth-failure-rate: the failures of one client address. */
struct authfail {
	int		 af;
	uint8_t		 addr[16];
	struct rate	 rate;
};

/* What a session may do, from its <source> (and {auth}) settings. */
struct policy {
	bool		 service;	/* smtp-service */
	bool		 relay;		/* any domain: always-allow-relaying */
	bool		 require_auth;
	bool		 allow_auth;
	bool		 plain_auth;	/* AUTH without TLS */
	bool		 starttls;	/* allow-starttls and a certificate */
	bool		 chunking;
	bool		 smtputf8;
	size_t		 maxrcpt;
	size_t		 maxconn;	/* per client address, 0: no limit */
	unsigned	 maxerrors;	/* bad commands, 0: no limit */
	const char	*auth_file;	/* auth-plain, or NULL */
	bool		 authfail_rate_set;
	struct confval_rate authfail_rate;
	int64_t		 cmd_timeout;	/* seconds */
	int64_t		 data_timeout;
	struct suppress_set *supp;	/* NULL: see supp_err */
	const char	*supp_err;	/* why the lists did not load */
};

enum session_state {
	ST_CMD,			/* reading commands */
	ST_DATA,		/* reading DATA text */
	ST_BDAT,		/* reading a BDAT chunk */
	ST_AUTH,		/* reading an AUTH response line */
	ST_COMMIT,		/* the message waits for the group commit */
	ST_TLS_FLUSH,		/* 220 to STARTTLS being written */
	ST_TLS_ACCEPT,		/* TLS handshake */
	ST_CLOSING		/* last reply being written, then close */
};

/* DATA after the 354: where we are in the text. */
struct data_reader {
	bool		 bol;		/* at the start of a line */
	bool		 prev_crlf;	/* the last line ended in CRLF */
	char		 last;		/* the last byte taken */
	bool		 toobig;
	bool		 nul;
};

struct session {
	struct smtpd	*srv;
	const struct conf *conf;	/* of gen, held by the session */
	struct confgen	*gen;
	struct session	*next, *prev;	/* in srv->sessions */
	struct session	*next_pending;	/* in the next commit group */
	bool		 in_commit;	/* its group is being committed */
	int		 rfd, wfd;
	SSL		*ssl;
	bool		 tls;		/* TLS is up */
	bool		 tls_want_write;
	bool		 eof;
	bool		 immediate;	/* TLS before the greeting */
	bool		 greeted;
	enum session_state state;
	struct ev_timer	 timer;
	int		 af;
	uint8_t		 addr[16];
	char		 ip[64];	/* printable client address */
	const char	*srcname;	/* the listener's source= */
	char		 envsource[80];	/* "smtp 192.0.2.9" */
	struct submit	 sub;
	struct policy	 pol;
	struct buf	 in;
	size_t		 inpos;		/* taken from in */
	struct buf	 out;
	bool		 skip_line;	/* discarding an over-long line */
	unsigned	 nerrors;
	unsigned	 nauthfail;
	/* HELO and the transaction */
	bool		 esmtp;
	char		 helo[256];
	bool		 has_from;
	struct buf	 from;
	char		 envid[SMTPCMD_ENVIDMAX + 1];
	char		 ret[8];
	bool		 smtputf8;
	char		**rcpt, **orcpt, **notify;
	size_t		 nrcpt;
	struct data_reader dr;
	struct buf	 msg;		/* the message text, unstuffed */
	uint64_t	 chunk_left;	/* BDAT bytes still to read */
	uint64_t	 chunk_size;
	bool		 chunk_last;
	bool		 bdat_failed;	/* a chunk was refused: discard */
	bool		 bdat_used;
	struct submit_out qout;		/* the message's spool writers */
	/* AUTH */
	char		 auth_user[256];	/* "" until authenticated */
	int		 auth_step;
	char		 auth_mech[16];
	char		 auth_login[256];
	uint64_t	 nmsg;
};

/* listen.c */
int	listen_open(struct smtpd *);
void	listen_reload(struct smtpd *);
void	listen_stop(struct smtpd *);

/* config.c */
struct conf *config_load(const char *);
struct confgen *config_gen(const struct smtpd *, struct conf *, size_t *);
void	conf_release(struct smtpd *, struct confgen *);
void	config_reload(struct smtpd *);
int	config_name(const struct conf_settings *, char *, size_t);
int	config_tls(const struct conf_settings *, SSL_CTX **, char *, size_t);

/* session.c */
void	session_new(struct smtpd *, int, int, const struct sockaddr *,
	    const char *, bool);
void	session_reply(struct session *, const char *, ...) PRINTFLIKE(2, 3);
void	session_committed(struct session *, int, const char *,
	    const struct submit_out *);
void	session_close(struct session *);
void	session_run(struct session *);
void	session_reset_txn(struct session *);
size_t	session_count_addr(const struct smtpd *, int, const uint8_t *);

/* data.c */
void	data_start(struct data_reader *);
void	data_begin(struct session *);
size_t	data_feed(struct data_reader *, const char *, size_t, struct buf *,
	    uint64_t, bool *);
int	data_chunk(struct session *, const char *, size_t);
void	data_finish(struct session *);

/* commit.c */
void	commit_init(struct smtpd *);
void	commit_stop(void);
void	commit_add(struct session *);
void	commit_forget(struct session *);

/* pool.c */
void	pool_start(struct smtpd *);
void	pool_stop(struct smtpd *);

/* policy.c */
void	policy_init(struct session *, const char *);
bool	policy_may_relay(const struct session *, const char *);
int	policy_max_sessions(const struct conf *, const struct conf_settings *);
bool	auth_rate_take(struct session *);
int	policy_suppressed(const struct session *, const char *,
	    struct suppress_match *, char *, size_t);

/* supplists.c */
struct supplists *supplists_new(const struct conf *, struct suppress *,
	    size_t *);
void	supplists_free(struct supplists *);
struct suppress_set *supplists_find(const struct supplists *,
	    const struct conf_directive *, const char **);

/* auth.c */
void	auth_start(struct session *, const struct smtpcmd *);
void	auth_line(struct session *, const char *, size_t);
bool	auth_offer(const struct session *);

/* tls.c */
SSL_CTX	*tls_server_ctx(const struct conf_settings *, const char *,
	    char *, size_t);
int	tls_start(struct session *);
int	tls_handshake(struct session *);
ssize_t	tls_read(struct session *, void *, size_t);
ssize_t	tls_write(struct session *, const void *, size_t);

#endif
