/*
 * dns_priv.h - the parts of dns.c that need no network, for its unit
 * test: reading TTLs out of an answer, and the order of MX records.
 */
#ifndef MTA_DNS_PRIV_H
#define MTA_DNS_PRIV_H

#include <stddef.h>
#include <stdint.h>

#define DNS_TTL_MIN	5	/* seconds; a shorter TTL is read as this */
#define DNS_TTL_MAX	3600	/* a longer TTL is read as this */
#define DNS_NEG_TTL_MAX	300	/* NXDOMAIN and NODATA (RFC 2308) */
#define DNS_NEG_TTL_NOSOA 60	/* a negative answer without an SOA */

/* One MX record as cached: name "" is the root (RFC 7505 null MX). */
struct dns_mx {
	int	 pref;
	char	*name;
};

void	dns_answer_ttls(const unsigned char *, int, uint32_t *, uint32_t *);
uint32_t dns_ttl_clamp(uint32_t, uint32_t, uint32_t);
void	dns_mx_sort(struct dns_mx *, size_t);
void	dns_mx_shuffle(struct dns_mx *, size_t);

#endif
