/*
 * mta-dkimkey - generate DKIM keys and check their DNS records.
 */
#ifndef MTA_DKIMKEY_H
#define MTA_DKIMKEY_H

#include <stdbool.h>

struct dkimkey_opts {
	const char	*type;		/* "rsa" or "ed25519" */
	int		 bits;
	const char	*selector;
	const char	*domain;
	const char	*dir;
	bool		 force;
	const char	*keyfile;	/* --check */
	const char	*servers;	/* --check: c-ares CSV, or NULL */
};

int	dkimkey_generate(const struct dkimkey_opts *);
int	dkimkey_check(const struct dkimkey_opts *);
bool	dkimkey_name_ok(const char *);

#endif
