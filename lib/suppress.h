/*
 * suppress - the suppression list of mta-suppress(5): a store of
 * addresses and domains in the spool's suppress/ folder (a sorted
 * snapshot searched in place, plus an append-only log), and the
 * <address-list> blocks of the config, checked together for the lists a
 * <source> names in suppression-lists.
 *
 * Writers serialise on suppress/lock; readers never lock and see what
 * other processes added at their next lookup.
 */
#ifndef MTA_SUPPRESS_H
#define MTA_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define SUPPRESS_DEFAULT_LIST	"default"	/* no suppression-lists */
#define SUPPRESS_LISTMAX	64	/* octets in a list name */
#define SUPPRESS_REASONMAX	512	/* octets of a reason kept */
#define SUPPRESS_KEYMAX		256	/* octets in a key */
#define SUPPRESS_LOOKUPMAX	2	/* an address's entries: own, @domain */

#define SUPPRESS_WRITE		0x01	/* suppress_open: will add/remove */
#define SUPPRESS_LAZY		0x02	/* suppress_open: lookups see others'
					   changes within 10 ms, not at once */

/* One entry of the store; the strings belong to the store. */
struct suppress_entry {
	const char	*addr;		/* key: lowercased address or @domain */
	const char	*list;
	int64_t		 added;		/* seconds since the epoch */
	const char	*reason;	/* "" when none */
};

/* Which list an address matched, and how. */
struct suppress_match {
	char	 list[SUPPRESS_LISTMAX + 1];
	char	 how[16];		/* address, domain, regex, store */
	char	 reason[SUPPRESS_REASONMAX + 1];
};

struct conf;
struct suppress;
struct suppress_set;

int	suppress_key(const char *, char *, size_t, char *, size_t);
int	suppress_list_valid(const char *);

struct suppress *suppress_open(const char *, int, char *, size_t);
void	suppress_close(struct suppress *);
int	suppress_lookup(struct suppress *, const char *,
	    struct suppress_entry *, size_t);
int	suppress_add(struct suppress *, const struct suppress_entry *, size_t,
	    char *, size_t);
int	suppress_remove(struct suppress *, const char *const *, size_t,
	    size_t *, char *, size_t);
int	suppress_compact(struct suppress *, char *, size_t);
int	suppress_walk(struct suppress *,
	    int (*)(const struct suppress_entry *, void *), void *);
size_t	suppress_count(struct suppress *);
int	suppress_soft_bounce(struct suppress *, const char *, time_t, time_t,
	    int64_t, char *, size_t);
int	suppress_soft_bounce_entry(const char *, time_t, time_t, int64_t,
	    struct suppress_entry *, char *, size_t);

/*
 * CSV import: each row goes to the callback as an entry, or as NULL and
 * why the row is wrong; rows count from 1, the header row included.
 */
struct suppress_csv;

struct suppress_csv *suppress_csv_new(const char *, time_t,
	    int (*)(const struct suppress_entry *, unsigned long,
	    const char *, void *), void *);
int	suppress_csv_feed(struct suppress_csv *, const void *, size_t);
int	suppress_csv_end(struct suppress_csv *);
void	suppress_csv_free(struct suppress_csv *);
int	suppress_csv_write(FILE *, const struct suppress_entry *);

struct suppress_set *suppress_set_new(const struct conf *, struct suppress *,
	    const char *, char *, size_t);
void	suppress_set_free(struct suppress_set *);
int	suppress_check(struct suppress_set *, const char *,
	    struct suppress_match *);

#endif
