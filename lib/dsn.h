/*
 * dsn - delivery status notifications (RFC 3464) for messages of the
 * spool: a multipart/report to the original sender, with a human part,
 * a message/delivery-status part and the original's header (or the
 * whole original), committed through lib/submit like any message.
 *
 * Invariants: no DSN is ever made for a message of the null sender (a
 * DSN about a DSN), and a DSN's own sender is the null sender; NOTIFY
 * is honoured per recipient (NEVER: none; a list without FAILURE or
 * DELAY: none of that kind; no NOTIFY: FAILURE,DELAY, as Postfix).
 *
 * dsn_build() only formats; dsn_prepare() reads the original from the
 * spool, applies the configuration and returns uncommitted spool
 * writers (for the caller's group commit); dsn_submit() also commits.
 */
#ifndef MTA_DSN_H
#define MTA_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "envelope.h"
#include "spool.h"
#include "submit.h"

#define DSN_FULL_MAX	(128 * 1024)	/* RET=FULL up to this, else hdrs */
#define DSN_HEADERS_MAX	(64 * 1024)	/* of the original's header kept */
#define DSN_TEXTMAX	900		/* bytes of a diagnostic kept */
#define DSN_DELAYMAX	255		/* delay notices counted, at most */

enum dsn_kind {
	DSN_FAILURE,		/* failed or expired: Action: failed */
	DSN_DELAY		/* still being retried: Action: delayed */
};

enum dsn_format {
	DSN_FMT_RFC3464,	/* multipart/report (rfc3464, standard) */
	DSN_FMT_TEXT		/* one text/plain part (text, plain-text) */
};

enum dsn_ret {
	DSN_RET_HDRS,
	DSN_RET_FULL
};

/* One recipient reported on.  NULL or 0 where not known. */
struct dsn_rcpt {
	size_t		 idx;		/* dsn_prepare: index in the envelope */
	const char	*addr;		/* dsn_prepare: NULL takes idx's */
	const char	*orcpt;		/* "rfc822;a@b", decoded from xtext */
	const char	*notify;	/* "FAILURE,DELAY", "NEVER" */
	const char	*status;	/* "5.1.1"; default 5.0.0 / 4.0.0 */
	const char	*remote_mta;	/* the MX host name */
	const char	*diag;		/* "550 5.1.1 <a@b>: no such user" */
	time_t		 last_attempt;
	time_t		 retry_until;	/* DSN_DELAY: when it will expire */
	bool		 expired;	/* failed by bounce-after */
};

struct dsn_opts {
	const char	*hostname;	/* Reporting-MTA, MAILER-DAEMON@ */
	const char	*from;		/* the From: value, or NULL */
	enum dsn_format	 format;
	enum dsn_ret	 ret_default;	/* when the original gave no RET */
	size_t		 full_max;	/* RET=FULL up to this size */
	time_t		 now;
};

enum dsn_format dsn_format_of(const struct conf *, const char *,
	    const char *);
bool	dsn_wanted(const char *, const char *, enum dsn_kind);
unsigned dsn_delay_count(time_t, time_t, int64_t);
bool	dsn_delay_due(time_t, time_t, int64_t, unsigned *);
int	dsn_build(const struct dsn_opts *, const struct envelope *,
	    const char *, size_t, const struct dsn_rcpt *, size_t,
	    enum dsn_kind, struct buf *);
int	dsn_submit_init(struct submit *, const struct conf *, struct spool *);
int	dsn_prepare(struct submit *, const char *, const struct dsn_rcpt *,
	    size_t, enum dsn_kind, struct submit_out *, char *, size_t);
int	dsn_submit(struct submit *, const char *, const struct dsn_rcpt *,
	    size_t, enum dsn_kind, char [SPOOL_QIDLEN + 1], char *, size_t);

#endif
