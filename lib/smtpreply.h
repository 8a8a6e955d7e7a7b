/*
 * smtpreply - SMTP replies as a client reads them (RFC 5321 4.2), their
 * RFC 2034 enhanced status code, and the EHLO keywords they announce.
 *
 * smtpreply_parse() is incremental: give it the bytes read so far, it
 * takes the complete lines and says how many bytes it used, so a reply
 * split over many reads, or many pipelined replies in one read, both
 * parse.  A reply that breaks the grammar or the limits below is an
 * error with a reason, never a crash.  Kept text is cut at
 * SMTPREPLY_MAXTEXT (truncated is set); the lines are still checked.
 */
#ifndef MTA_SMTPREPLY_H
#define MTA_SMTPREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPREPLY_MAXLINE	1000	/* octets in a line, CRLF included */
#define SMTPREPLY_MAXLINES	100	/* lines in one reply */
#define SMTPREPLY_MAXTEXT	2048	/* text kept of one reply */

struct smtpreply {
	int	 code;			/* 200-599, 0 until a line is read */
	char	 dsn[12];		/* "5.1.1" of the first line, or "" */
	size_t	 nlines;
	bool	 truncated;		/* text was cut */
	size_t	 len;			/* bytes in text */
	char	 text[SMTPREPLY_MAXTEXT];	/* each line's text after
					   "NNN-", LF between lines, NUL
					   at the end; controls become '?' */
};

void	smtpreply_init(struct smtpreply *);
int	smtpreply_parse(struct smtpreply *, const char *, size_t, size_t *,
	    char *, size_t);
size_t	smtpreply_oneline(const struct smtpreply *, char *, size_t);

/* EHLO keywords (RFC 1869) that change what the client sends. */
#define SMTPEXT_PIPELINING	0x0001	/* RFC 2920 */
#define SMTPEXT_SIZE		0x0002	/* RFC 1870 */
#define SMTPEXT_8BITMIME	0x0004	/* RFC 6152 */
#define SMTPEXT_STARTTLS	0x0008	/* RFC 3207 */
#define SMTPEXT_ENHANCEDSTATUSCODES 0x0010	/* RFC 2034 */
#define SMTPEXT_SMTPUTF8	0x0020	/* RFC 6531 */
#define SMTPEXT_DSN		0x0040	/* RFC 3461 */
#define SMTPEXT_CHUNKING	0x0080	/* RFC 3030 */

#define SMTPEXT_MAXLIST		1024

struct smtpext {
	unsigned flags;
	uint64_t size;			/* SIZE limit; 0: none announced */
	char	 list[SMTPEXT_MAXLIST];	/* "PIPELINING,SIZE=10240000,..." */
};

void	smtpext_parse(const struct smtpreply *, struct smtpext *);

#endif
