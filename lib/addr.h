/*
 * addr - RFC 5321 mailbox syntax: parse, check and normalise an address.
 *
 * The normal form is local@domain without angle brackets: the local part
 * exactly as given (dot-atom or quoted string), the domain lowercased.
 * The null sender normalises to the empty string.
 */
#ifndef MTA_ADDR_H
#define MTA_ADDR_H

#include <stddef.h>

#include "buf.h"

#define ADDR_UTF8	0x01	/* allow UTF-8 (RFC 6531 SMTPUTF8) */
#define ADDR_ALLOW_NULL	0x02	/* accept <> and the empty string */

#define ADDR_LOCALMAX	64	/* octets in a local part */
#define ADDR_DOMAINMAX	255	/* octets in a domain */
#define ADDR_MAX	254	/* octets in local@domain */

int	addr_parse(const char *, size_t, struct buf *, unsigned, char *,
	    size_t);
const char *addr_domain(const char *);

#endif
