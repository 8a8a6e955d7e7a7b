/*
 * buf - strings that carry their length (qmail's stralloc, Postfix VSTRING).
 *
 * p is always NUL-terminated when cap > 0, so buf_cstr() is free; the NUL
 * is not counted in len.  Growth checks for overflow before it allocates.
 */
#ifndef MTA_BUF_H
#define MTA_BUF_H

#include <stddef.h>

#include "log.h"

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0 }

int	buf_grow(struct buf *, size_t);
int	buf_append(struct buf *, const void *, size_t);
int	buf_appends(struct buf *, const char *);
int	buf_appendc(struct buf *, int);
int	buf_appendf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
int	buf_set(struct buf *, const void *, size_t);
void	buf_reset(struct buf *);
void	buf_free(struct buf *);
const char *buf_cstr(struct buf *);

#endif
