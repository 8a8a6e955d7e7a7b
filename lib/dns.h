/*
 * dns - where to deliver a domain's mail: MX records by preference
 * (random among equals), their A/AAAA addresses, the implicit MX of
 * RFC 5321 5.1 when there is none, and RFC 7505 null MX.  All through
 * c-ares inside the ev(3) loop, with a cache that honours the TTLs.
 *
 * The callback runs once per query, from the loop (never from inside
 * dns_resolve_*()), unless the query is cancelled first.  The result is
 * valid only during the callback: copy what you keep.
 */
#ifndef MTA_DNS_H
#define MTA_DNS_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define DNS_MAXHOSTS	16	/* MX hosts kept per domain */
#define DNS_MAXADDRS	8	/* addresses kept per host */
#define DNS_MAXNAME	256

enum dns_status {
	DNS_OK,			/* hosts[] holds at least one address */
	DNS_NXDOMAIN,		/* the domain does not exist: permanent */
	DNS_NULLMX,		/* "MX 0 ." (RFC 7505): permanent */
	DNS_NOHOST,		/* no MX and no address, or no MX host has
				   an address: permanent */
	DNS_TEMPFAIL		/* SERVFAIL, timeout, refused: try later */
};

/* Address families to look up for hosts. */
#define DNS_INET	0x01
#define DNS_INET6	0x02

struct dns_host {
	char	 name[DNS_MAXNAME];	/* MX target, or the domain itself */
	int	 pref;			/* MX preference; -1 for implicit MX */
	size_t	 naddr;
	struct sockaddr_storage addr[DNS_MAXADDRS];	/* port 0 */
};

struct dns_result {
	enum dns_status status;
	char	 text[512];		/* "example.test: MX lookup: Timeout while
					   contacting DNS servers", for
					   diagnostics; empty on DNS_OK */
	size_t	 nhosts;
	struct dns_host host[DNS_MAXHOSTS];	/* the order to try */
};

struct ev;
struct dns;
struct dns_query;

typedef void dns_cb(const struct dns_result *, void *);

/*
 * servers: NULL to read /etc/resolv.conf, else c-ares' CSV form
 * "127.0.0.1:5353,[::1]:53".  timeout_ms bounds each query overall
 * (the config's dns-timeout).
 */
struct dns *dns_new(struct ev *, const char *, int, char *, size_t);
void	dns_free(struct dns *);

/* The MX hosts of a domain, each with its addresses. */
struct dns_query *dns_resolve_mx(struct dns *, const char *, int, dns_cb *,
	    void *);
/* One host name's addresses (smtp-hosts names): one host in the result. */
struct dns_query *dns_resolve_host(struct dns *, const char *, int,
	    dns_cb *, void *);
/* The callback will not run. */
void	dns_cancel(struct dns_query *);

/* Entries cached, for the status output. */
size_t	dns_cache_size(const struct dns *);

#endif
