/*
 * bouncecat - the bounce category of a failure: one of PowerMTA's 17
 * categories, from the SMTP reply code, the RFC 3463 enhanced status and
 * the text of the reply.
 *
 * The rules are regular expressions tried in order against the subject
 * "STATUS CODE TEXT" (the parts that are known, one space apart); the
 * first that matches gives the category.  The config's
 * <bounce-category-patterns> come first, then the rules file
 * (etc/bounce-categories, format in mta-bounce(8)); nothing matching is
 * "other".  Whether a category is hard (the address is bad) or soft
 * (try again later) comes from a built-in table the rules file may change.
 */
#ifndef MTA_BOUNCECAT_H
#define MTA_BOUNCECAT_H

#include <stdbool.h>
#include <stddef.h>

#define BOUNCECAT_FILE	"bounce-categories"	/* in MTA_SYSCONFDIR */
#define BOUNCECAT_MAXRULES	4096

struct conf;
struct bouncecat;

struct bouncecat *bouncecat_load(const char *, const struct conf *, char *,
	    size_t);
struct bouncecat *bouncecat_parse(const char *, size_t, const char *,
	    char *, size_t);
const char *bouncecat_classify(const struct bouncecat *, int, const char *,
	    const char *);
bool	bouncecat_hard(const struct bouncecat *, const char *);
const char *bouncecat_default_status(const char *, int);
bool	bouncecat_valid(const char *);
size_t	bouncecat_nrules(const struct bouncecat *);
void	bouncecat_free(struct bouncecat *);

#endif
