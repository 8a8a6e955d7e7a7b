/*
 * proto - the line protocol between mta programs, and of the journal.
 *
 * One record a line of at most PROTO_MAXLINE bytes with its LF:
 * "verb SP key=value *(SP key=value) LF".  The verb matches [a-z]+, keys
 * [a-z0-9-]+; values are percent-encoded for every byte outside 0x21-0x7E
 * and for '%'.  No quoting, no optional white space.  A key may repeat;
 * proto_get() finds the first.  This module is the only parser and
 * formatter of the format.
 */
#ifndef MTA_PROTO_H
#define MTA_PROTO_H

#include <stddef.h>

#include "buf.h"

#define PROTO_MAXLINE	4096	/* bytes in a record, LF included */
#define PROTO_MAXKEYS	64

struct proto_rec {
	char	 verb[32];
	size_t	 nkeys;
	struct {
		const char *key;	/* into text */
		const char *val;	/* decoded, NUL-terminated, into text */
		size_t	 vlen;		/* decoded length (may hold NULs) */
	} kv[PROTO_MAXKEYS];
	char	 text[PROTO_MAXLINE * 2];
};

/* Incoming lines from a descriptor (non-blocking or not). */
struct proto_reader {
	int	 fd;
	char	 buf[PROTO_MAXLINE * 4];
	size_t	 len;
	int	 eof;
	int	 drained;	/* the last read was short: fd had no more */
};

int	proto_parse(const char *, size_t, struct proto_rec *, char *, size_t);
const char *proto_get(const struct proto_rec *, const char *);
int	proto_get_num(const struct proto_rec *, const char *, long long,
	    long long, long long *);

int	proto_begin(struct buf *, const char *);
int	proto_add(struct buf *, const char *, const char *);
int	proto_addn(struct buf *, const char *, const void *, size_t);
int	proto_add_num(struct buf *, const char *, long long);
int	proto_end(struct buf *, size_t);
int	proto_encode(struct buf *, const void *, size_t);
int	proto_decode(struct buf *, const char *, size_t);
int	proto_hexval(int);

void	proto_reader_init(struct proto_reader *, int);
int	proto_read(struct proto_reader *);
int	proto_next(struct proto_reader *, struct proto_rec *, char *, size_t);

#endif
