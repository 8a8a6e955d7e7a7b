/*
 * envelope - the envelope at the head of each spool file (mta-spool(5)).
 *
 * Text records, one a line, ending with an empty line; each recipient
 * line starts with a fixed-width state field that the queue manager
 * rewrites in place.  Every string is a struct buf and may be empty.
 */
#ifndef MTA_ENVELOPE_H
#define MTA_ENVELOPE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define ENVELOPE_VERSION	1	/* major version written */
#define ENVELOPE_MAXLINE	4096	/* bytes in a record, with its \n */
#define ENVELOPE_MAXRCPT	100000
#define ENVELOPE_MAXATTEMPTS	9999
#define ENVELOPE_MAXTIME	9999999999LL
#define ENVELOPE_MAXSIZE	999999999999ULL
#define ENVELOPE_STATELEN	28	/* "S AAAA NNNNNNNNNN FFFFFFFFFF" */
#define ENVELOPE_SIZELEN	12	/* digits of the size record */
#define ENVELOPE_MAXHDR		8	/* header records kept */
#define ENVELOPE_HDRNAMEMAX	64	/* bytes of a header name */
#define ENVELOPE_HDRVALMAX	256	/* bytes of a header value kept */

/* recipient states: the value is the character in the file */
enum envelope_state {
	ENVELOPE_PENDING = '-',
	ENVELOPE_DELIVERED = 'D',
	ENVELOPE_FAILED = 'F',
	ENVELOPE_EXPIRED = 'X'
};

struct envelope_rcpt {
	struct buf	 addr;		/* normalised, without <> */
	struct buf	 orcpt;		/* RFC 3461 ORCPT, "rfc822;a@b" */
	struct buf	 notify;	/* RFC 3461 NOTIFY, "SUCCESS,FAILURE" */
	int		 state;		/* enum envelope_state */
	unsigned	 attempts;	/* saturates at ENVELOPE_MAXATTEMPTS */
	time_t		 next;		/* next attempt, unix seconds */
	time_t		 first;		/* first attempt, 0 if none yet */
	size_t		 off;		/* file offset of the state field */
};

/* A header field copied for accounting: name lower-case [a-z0-9-]. */
struct envelope_hdr {
	struct buf	 name;
	struct buf	 value;
};

struct envelope {
	unsigned	 version;	/* major format version read */
	struct buf	 id;		/* queue id */
	time_t		 time;		/* injection time */
	struct buf	 from;		/* empty for the null sender */
	struct buf	 vmta;
	struct buf	 job;
	struct buf	 envid;		/* RFC 3461 ENVID */
	struct buf	 ret;		/* "full", "hdrs" or empty */
	unsigned long long size;	/* message bytes after the envelope */
	struct buf	 source;	/* "local", "smtp 192.0.2.9" */
	struct buf	 auth;
	struct buf	 srcname;	/* the <source> name applied last, or empty */
	struct envelope_hdr hdr[ENVELOPE_MAXHDR];
	size_t		 nhdr;
	struct envelope_rcpt *rcpt;
	size_t		 nrcpt;
	size_t		 rcptcap;
	size_t		 size_off;	/* file offset of the size digits */
};

void	envelope_init(struct envelope *);
void	envelope_free(struct envelope *);
int	envelope_add_rcpt(struct envelope *, const char *, const char *,
	    const char *);
int	envelope_add_header(struct envelope *, const char *, const char *,
	    size_t);
int	envelope_format(struct envelope *, struct buf *);
int	envelope_parse(const char *, size_t, struct envelope *, size_t *,
	    char *, size_t);
int	envelope_size_update(int, size_t, unsigned long long);
int	envelope_rcpt_update(int, const struct envelope *, size_t);
int	envelope_rcpt_write(int, const struct envelope_rcpt *);
const char *envelope_state_name(int);

#endif
