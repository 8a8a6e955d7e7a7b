/*
 * inbound - what an inbound report says: a bounce (RFC 3464 DSN, or
 * the text of Exim, qmail, Postfix, Microsoft, Gmail ...), a complaint
 * (ARF, RFC 5965, or Microsoft's JMRP), an auto-reply, or nothing.
 *
 * The message is untrusted: its size, MIME depth, parts, header lines
 * and recipients are bounded (INBOUND_MAX*), and any input gives either a
 * result or an error, never a crash.
 */
#ifndef MTA_INBOUND_H
#define MTA_INBOUND_H

#include <stddef.h>

#define INBOUND_MAXSIZE		(32 * 1024 * 1024)	/* the message */
#define INBOUND_MAXDEPTH	8	/* nested multiparts */
#define INBOUND_MAXPARTS	256	/* MIME parts in all */
#define INBOUND_MAXRCPTS	256	/* records of one report */
#define INBOUND_MAXHEADER	(256 * 1024)	/* one header section */
#define INBOUND_MAXVALUE	4096	/* a field value kept */

enum inbound_kind {
	INBOUND_NONE,		/* not a report */
	INBOUND_BOUNCE,
	INBOUND_COMPLAINT,
	INBOUND_AUTOREPLY
};

/* One recipient of a report.  Strings are NULL when not known. */
struct inbound_rcpt {
	char	*rcpt;		/* the recipient address, as in the report */
	char	*orcpt;		/* Original-Recipient */
	char	*action;	/* failed, delayed, delivered ...; complaint */
	char	*status;	/* RFC 3463 "5.1.1", or one derived */
	int	 code;		/* SMTP reply code, 0 if none */
	char	*diag;		/* the diagnostic text */
	const char *category;	/* bounce category; NULL for non-bounces */
	char	*feedback_type;	/* complaints: abuse, opt-out ... */
};

struct inbound {
	enum inbound_kind kind;
	const char *format;	/* rfc3464, arf, jmrp, exim, qmail ... */
	char	*reporting_mta;
	char	*orig;		/* the sender of the original message */
	char	*msgid;		/* its Message-ID */
	char	*user_agent;	/* ARF User-Agent */
	char	*source_ip;	/* ARF Source-IP */
	char	*reported_domain;
	struct inbound_rcpt *r;
	size_t	 n;
};

struct bouncecat;

int	inbound_parse(struct inbound *, const char *, size_t,
	    const struct bouncecat *, char *, size_t);
int	inbound_parse_rcpt(struct inbound *, const char *, size_t,
	    const char *, const struct bouncecat *, char *, size_t);
void	inbound_free(struct inbound *);

#endif
