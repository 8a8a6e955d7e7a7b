/*
 * dkimconf - which DKIM signatures mta.conf(5) asks for on a message, and
 * the private keys, read once per process (dkimconf_reload on SIGHUP).
 */
#ifndef MTA_DKIMCONF_H
#define MTA_DKIMCONF_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"

/* One spool file's message: its virtual MTA, recipients and bytes. */
struct dkimconf_msg {
	const char	*vmta;		/* or NULL */
	const char *const *rcpt;	/* addresses */
	size_t		 nrcpt;
	const char	*head;		/* CRLF lines, no empty line */
	size_t		 headlen;
	const char	*body;
	size_t		 bodylen;
	time_t		 now;
};

int	dkimconf_sign(const struct conf *, const struct dkimconf_msg *,
	    struct buf *, char *, size_t);
void	dkimconf_reload(void);

#endif
