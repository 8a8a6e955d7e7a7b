/*
 * mta-bounce - what its commands share: the rules and where to write.
 */
#ifndef MTA_BOUNCE_H
#define MTA_BOUNCE_H

#include <stdbool.h>
#include <stdio.h>

struct bouncecat;
struct inbound;

#define BOUNCE_READMAX	(32 * 1024 * 1024)	/* = INBOUND_MAXSIZE */

int	bounce_classify(const struct bouncecat *, const char *, FILE *);
int	bounce_read_stdin(char **, size_t *);
int	bounce_print(const struct inbound *, FILE *);
int	bounce_journal(const struct inbound *, const char *);
int	bounce_suppress(const struct bouncecat *, const struct inbound *,
	    const char *);
int	bounce_verp_apply(struct inbound *, const char *);

#endif
