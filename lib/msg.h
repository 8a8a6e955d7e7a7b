/*
 * msg - a message as it is committed to the spool: CRLF line endings,
 * lines no longer than SMTP allows, and an index of the header fields so
 * they can be found, removed and added.
 */
#ifndef MTA_MSG_H
#define MTA_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define MSG_LINEMAX	998	/* octets in a line without CRLF (RFC 5322) */

struct msg_field {
	size_t	 off;		/* into head */
	size_t	 len;		/* the whole field, folding and CRLF included */
	size_t	 namelen;
};

struct msg {
	struct buf head;	/* the header section, CRLF lines */
	struct buf body;	/* what follows the empty line, CRLF lines */
	struct msg_field *f;
	size_t	 nf;
	size_t	 fcap;
	size_t	 nsplit;	/* over-long lines that were broken */
	bool	 eightbit;	/* some byte >= 0x80 */
};

void	msg_init(struct msg *);
void	msg_free(struct msg *);
int	msg_parse(struct msg *, const char *, size_t, char *, size_t);
int	msg_find(const struct msg *, const char *, size_t);
void	msg_value(const struct msg *, size_t, const char **, size_t *);
int	msg_remove(struct msg *, size_t);
int	msg_append(struct msg *, const char *, const char *);
size_t	msg_size(const struct msg *);
int	msg_date(time_t, char *, size_t);
int	msg_addrlist(const char *, size_t,
	    int (*)(void *, const char *, size_t), void *);

#endif
