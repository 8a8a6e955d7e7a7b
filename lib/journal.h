/*
 * journal - the outcome journal in the spool's log/ folder
 * (mta-journal(5)): one lib/proto record per recipient outcome, written
 * by mta-queue, read by mta-acct and by mta-queue when it restarts.
 *
 * Records are buffered and made durable together (group commit):
 * journal_sync() returns only when every record written before it is on
 * disk.  mta-queue changes a recipient's spool state only after the
 * record saying so is durable, so the journal is the write-ahead log of
 * the spool's recipient states.  journal_sync_take() and
 * journal_sync_buf() split a sync in two, so that its write and
 * fdatasync run on another thread while the next records are written.
 *
 * An auxiliary writer (journal_open_aux(), mta-bounce) appends to a
 * segment of its own, named after it, while mta-queue holds log/: it
 * locks only its segment, and seals it when it closes.
 */
#ifndef MTA_JOURNAL_H
#define MTA_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "proto.h"

#define JOURNAL_ROTATE_SIZE	(64 * 1024 * 1024)	/* bytes a segment */

#define JOURNAL_MAXHDR		8	/* header-NAME keys in a record */
#define JOURNAL_HDRNAMEMAX	64	/* bytes of a NAME */

/* A header field of the message: NAME lower-case [a-z0-9-]. */
struct journal_header {
	const char *name;
	const char *value;
};

/*
 * One recipient outcome or receipt, one recipient of an inbound report
 * ("bounced", "status", "complaint"), or one failure of a queue
 * to connect ("qdeferred").  NULL strings and zero numbers are
 * left out.
 */
struct journal_outcome {
	const char *type;	/* "delivered", "deferred", "failed", "expired",
				   "received", "qdeferred", "bounced",
				   "status", "complaint" */
	double	 logged;	/* unix seconds, with fraction */
	time_t	 queued;	/* injection time */
	time_t	 first;		/* first attempt, 0 if none */
	const char *id;		/* queue id */
	unsigned n;		/* recipient index in the envelope */
	unsigned attempts;
	const char *orig, *rcpt, *orcpt, *notify, *envid, *ret;
	const char *vmta, *pool, *job, *queue;
	const char *src;	/* source IP */
	const char *mx, *mx_ip;
	unsigned port;
	const char *ext;	/* EHLO keywords seen, "PIPELINING,SIZE,..." */
	unsigned long long size;
	int	 code;		/* SMTP reply code, 0 if none */
	const char *dsn_action;	/* RFC 3464: delivered, delayed, failed */
	const char *dsn_status;	/* "5.1.1" */
	const char *dsn_diag;	/* "smtp;550 5.1.1 user unknown" */
	const char *tls, *tls_cipher;
	/* failed, expired, bounced: the bounce category (bouncecat.h) */
	const char *bounce_cat;
	/* bounced, complaint: what an inbound report said (mta-bounce) */
	const char *format;	/* rfc3464, arf, jmrp, exim, qmail ... */
	const char *feedback_type;	/* ARF Feedback-Type: abuse ... */
	const char *user_agent;	/* ARF User-Agent */
	const char *reporting_mta;
	const char *source_ip;	/* ARF Source-IP */
	const char *reported_domain;
	const char *msgid;	/* Message-ID of the original message */
	const char *src_type;	/* how it came: "smtp", "pickup" */
	const char *src_mta;	/* the submitting client's address */
	/* header fields asked for by record-fields; written last, cut */
	const struct journal_header *hdr;
	size_t	 nhdr;
};

struct journal;
struct buf;

struct journal *journal_open(const char *, char *, size_t);
struct journal *journal_open_aux(const char *, const char *, char *, size_t);
int	journal_write(struct journal *, const struct journal_outcome *);
int	journal_sync(struct journal *, char *, size_t);
void	journal_sync_take(struct journal *, struct buf *);
int	journal_sync_buf(struct journal *, struct buf *, char *, size_t);
size_t	journal_pending(const struct journal *);
int	journal_close(struct journal *, char *, size_t);
const char *journal_segment(const struct journal *);
void	journal_set_rotate_size(struct journal *, size_t);

/*
 * journal_format appends one record (LF included) to a buffer, as
 * journal_write does; journal_read_outcome fills an outcome from a
 * record, its strings pointing into the record, or says why it is not
 * one (unknown verb, a required key missing, a bad number).
 */
int	journal_format(struct buf *, const struct journal_outcome *);
int	journal_read_outcome(const struct proto_rec *,
	    struct journal_outcome *, char *, size_t);

/*
 * Reading: every record of every segment in log/, oldest segment first,
 * record order within a segment.  The callback gets each parsed record;
 * a non-zero return stops the walk and is returned.  A damaged line is
 * reported through warn (may be NULL) as "log/SEGMENT:LINE: reason" and
 * skipped; a torn last line (no LF) of a segment not yet sealed, such as
 * the newest, is normal after a crash and is skipped silently.  Every
 * record given to the callback passes journal_read_outcome().
 */
int	journal_walk(const char *, int (*)(const struct proto_rec *, void *),
	    void (*)(const char *, void *), void *, char *, size_t);

#endif
