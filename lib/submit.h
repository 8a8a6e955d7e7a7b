/*
 * submit - turn a received message into spool writers, the same way for
 * mta-inject and mta-smtpd: check the addresses, apply the routing
 * headers and <pattern-list> rules, add Message-ID and Date, write the
 * message to tmp/.  The caller commits the writers (group commit).
 */
#ifndef MTA_SUBMIT_H
#define MTA_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "envelope.h"

#define SUBMIT_MAXSPLIT	16		/* virtual MTAs one message may need */
#define SUBMIT_HARDMAX	(256ULL << 20)	/* bytes, when no limit is set */

struct spool;
struct spool_writer;
struct suppress_set;

/* What the submitter said about one message; NULL where nothing. */
struct submit_env {
	const char	*from;		/* NULL: the submitting user */
	const char *const *rcpt;
	const char *const *rcpt_orcpt;	/* per recipient, or NULL */
	const char *const *rcpt_notify;	/* per recipient, or NULL */
	size_t		 nrcpt;
	const char	*vmta;		/* -V: beats headers and rules */
	const char	*job;
	const char	*envid;
	const char	*ret;		/* "full" or "hdrs" */
	const char	*notify;	/* default NOTIFY of every recipient */
	bool		 extract;	/* -t: recipients from To, Cc, Bcc */
	const char	*source;	/* "local", "smtp 192.0.2.9" */
	const char	*auth;
	/*
	 * The suppression lists rcpt were checked against already (at
	 * RCPT): only recipients -t adds are checked, against these.
	 * NULL: every recipient, against the source's lists, built here.
	 */
	struct suppress_set *supp;
};

/* What stays the same across messages: the config and the spool. */
struct submit {
	const struct conf *conf;
	struct spool	*spool;
	struct conf_settings global;
	struct conf_settings source;
	char		 hostname[256];
	char		 srcname[256];	/* the source name given, or "" */
	uint64_t	 maxsize;	/* bytes */
	/* header fields an <acct-file> asks for, lower-case, into the
	   envelope (header_NAME of record-fields) */
	char		 acct_hdr[ENVELOPE_MAXHDR][ENVELOPE_HDRNAMEMAX + 1];
	size_t		 nacct_hdr;
};

/* The spool files one message became (one per virtual MTA). */
struct submit_out {
	struct spool_writer *w[SUBMIT_MAXSPLIT];
	size_t		 n;
};

int	submit_init(struct submit *, const struct conf *, struct spool *,
	    int, const void *, const char *);
int	submit_message(struct submit *, const struct submit_env *,
	    const char *, size_t, struct submit_out *, char *, size_t);
void	submit_abort(struct submit_out *);
const char *submit_auth_source(const struct conf *, const char *);
void	submit_source_of(const struct conf *, const struct envelope *,
	    struct conf_settings *);

#endif
