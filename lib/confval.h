/*
 * confval - the value types of mta.conf(5), one parser each.
 *
 * Every parser takes the value text (already stripped of comments and of
 * surrounding white space), fills its result and returns 0, or returns -1
 * with errno EINVAL (ERANGE for numbers out of range) and a short English
 * reason in err ("not a number", "unknown rate unit \"fortnight\"").  The
 * reasons are printed by the config checker after "Error in line N of F: ".
 */
#ifndef MTA_CONFVAL_H
#define MTA_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFVAL_ERRLEN		200
#define CONFVAL_NEVER		INT64_MAX	/* the interval "never" */
#define CONFVAL_MAXLIST		32		/* entries in one list */
#define CONFVAL_MAXNAME		256		/* a host or domain name + NUL */

/* yes/no, true/false, on/off, 1/0, case-insensitive */
int	confval_bool(const char *, bool *, char *, size_t);

/* A decimal integer in [min, max]; no sign unless min < 0. */
int	confval_int(const char *, int64_t, int64_t, int64_t *, char *,
	    size_t);

/*
 * A size in bytes: "512", "512k", "50M", "4G", "1T"; the suffixes are
 * binary (k = 1024), either case, an optional trailing "b"/"B".
 */
int	confval_size(const char *, uint64_t *, char *, size_t);

/*
 * A time interval in seconds: "30" (seconds), "30s", "10m", "2h", "4d",
 * "1w", and sums of them written together: "4d12h", "1w2d12h", "1h30m".
 * "never" gives CONFVAL_NEVER when allow_never is true.
 */
int	confval_interval(const char *, bool, int64_t *, char *, size_t);

/* A comma-separated list of intervals, spaces allowed: "10m,30m, 1h". */
struct confval_intervals {
	size_t	 n;
	int64_t	 v[CONFVAL_MAXLIST];
};
int	confval_intervals(const char *, struct confval_intervals *, char *,
	    size_t);

/*
 * A rate: "unlimited", "0" (none at all), "N/unit" or "N/Munit" with unit
 * one of s, sec, second, m, min, minute, h, hr, hour, d, day, w, week
 * (an "s" plural is accepted: "100/hours").  per is the period in seconds.
 */
struct confval_rate {
	bool	 unlimited;
	uint64_t count;
	uint64_t per;
};
int	confval_rate(const char *, struct confval_rate *, char *, size_t);

/*
 * An address block: "10/8", "0/0", "192.0.2.7" (a /32), "127.0.0.1/8"
 * (host bits are masked off), "::1", "2001:db8::/32".  IPv4 addresses may
 * be abbreviated in front of a prefix as in "10/8" and "10.1/16".
 */
struct confval_cidr {
	int	 af;		/* AF_INET or AF_INET6 */
	uint8_t	 addr[16];	/* network byte order, host bits zero */
	int	 prefix;	/* 0-32 or 0-128 */
};
int	confval_cidr(const char *, struct confval_cidr *, char *, size_t);
/* Does the address (AF_INET: 4 bytes, AF_INET6: 16 bytes) fall inside? */
bool	confval_cidr_match(const struct confval_cidr *, int, const void *);

/*
 * A domain pattern, as in <domain ...> and <mx-rollup-list>:
 *   "*"            every domain                      CONFVAL_DOM_ANY
 *   "x.example"    that domain only                  CONFVAL_DOM_EXACT
 *   "*.x.example"  subdomains of x.example only      CONFVAL_DOM_SUB
 *   "[*.]x.example" x.example and its subdomains     CONFVAL_DOM_SELFSUB
 *   "[192.0.2.0/24]" address literals in that block  CONFVAL_DOM_LITERAL
 * Names are stored lowercase without a trailing dot.
 */
enum confval_domkind {
	CONFVAL_DOM_ANY,
	CONFVAL_DOM_SELFSUB,
	CONFVAL_DOM_SUB,
	CONFVAL_DOM_EXACT,
	CONFVAL_DOM_LITERAL
};
struct confval_domain {
	enum confval_domkind kind;
	char	 name[CONFVAL_MAXNAME];
	struct confval_cidr cidr;
};
int	confval_domain(const char *, struct confval_domain *, char *,
	    size_t);
/*
 * Does the domain match?  A domain literal is given as "[192.0.2.7]" or
 * "[IPv6:2001:db8::1]"; name comparison ignores case.
 */
bool	confval_domain_match(const struct confval_domain *, const char *);

/*
 * A host list, as in smtp-hosts: hosts of equal preference are separated
 * by ",", preference levels by ";" (the first level is tried first).
 * A host is a name or a bracketed address "[192.0.2.7]" or "[::1]",
 * optionally followed by ":port".  A bracketed address is used as is
 * (no MX or A lookup).  "h1, h2; [127.0.0.1]:2527".
 */
struct confval_host {
	char	 name[CONFVAL_MAXNAME];	/* name, or the address unbracketed */
	bool	 literal;		/* was bracketed: an address */
	uint16_t port;			/* 0: the default port */
	int	 level;			/* 0 for the first ";" group, ... */
};
struct confval_hosts {
	size_t	 n;
	struct confval_host h[CONFVAL_MAXLIST];
};
int	confval_hosts(const char *, struct confval_hosts *, char *, size_t);

/*
 * A listening address: "127.0.0.1:2525", "0/0:587" (every IPv4 address),
 * "[::1]:25", "[::]:25" or "::/0:25" (every IPv6 address), "*:25" (every
 * address of both families).  The port is required.
 */
struct confval_listener {
	int	 af;		/* AF_INET, AF_INET6, or AF_UNSPEC for "*" */
	uint8_t	 addr[16];
	uint16_t port;
};
int	confval_listener(const char *, struct confval_listener *, char *,
	    size_t);

/* An e-mail address as written in the config: local@domain, no <>. */
int	confval_email(const char *, char *, size_t);

#endif
