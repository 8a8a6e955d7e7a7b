/*
 * bouncecat - classify a failure into a bounce category (see bouncecat.h;
 * the rules file format is in mta-bounce(8)).
 *
 * Invariants: the rules are kept in the order they are tried, config
 * rules first; every rule names a known category; classifying never
 * fails: what no rule matches is "other".  The subject a rule sees has
 * its white space runs (folded lines included) made one space, and is at
 * most SUBJECT_MAX bytes, so a hostile reply cannot make matching slow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "bouncecat.h"
#include "buf.h"
#include "conf.h"
#include "rx.h"

#define SUBJECT_MAX	2048
#define FILE_MAX	(1024 * 1024)
#define LINE_MAX_	4096

static const struct {
	const char	*name;
	bool		 hard;
	const char	*status;	/* when the failure gave none */
} cats[] = {
	{ "bad-configuration",		false,	"5.3.5" },
	{ "bad-connection",		false,	"4.4.2" },
	{ "bad-domain",			true,	"5.1.2" },
	{ "bad-mailbox",		true,	"5.1.1" },
	{ "content-related",		false,	"5.6.0" },
	{ "inactive-mailbox",		true,	"5.2.1" },
	{ "invalid-sender",		false,	"5.1.7" },
	{ "message-expired",		false,	"4.4.7" },
	{ "no-answer-from-host",	false,	"4.4.1" },
	{ "other",			false,	"5.0.0" },
	{ "policy-related",		false,	"5.7.1" },
	{ "protocol-errors",		false,	"5.5.0" },
	{ "quota-issues",		false,	"5.2.2" },
	{ "relaying-issues",		false,	"5.7.1" },
	{ "routing-errors",		false,	"5.4.4" },
	{ "spam-related",		false,	"5.7.1" },
	{ "virus-related",		false,	"5.7.1" },
};
#define NCATS	(sizeof(cats) / sizeof(cats[0]))

struct rule {
	struct rx	*rx;
	size_t		 cat;		/* index into cats */
};

struct bouncecat {
	struct rule	*rules;
	size_t		 n, cap;
	bool		 hard[NCATS];
};

/* cat_index - the index of the category named by the n bytes at s, or -1 */
static int
cat_index(const char *s, size_t n)
{
	for (size_t i = 0; i < NCATS; i++)
		if (strlen(cats[i].name) == n && memcmp(cats[i].name, s, n) ==
		    0)
			return (int)i;
	return -1;
}

/* bouncecat_valid - whether name is one of the 17 categories */
bool
bouncecat_valid(const char *name)
{
	return name != NULL && cat_index(name, strlen(name)) != -1;
}

static struct bouncecat *
bc_new(void)
{
	struct bouncecat *bc;

	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return NULL;
	for (size_t i = 0; i < NCATS; i++)
		bc->hard[i] = cats[i].hard;
	return bc;
}

/* add_rule - append a rule; takes rx, freeing it on failure */
static int
add_rule(struct bouncecat *bc, struct rx *rx, size_t cat)
{
	struct rule *nr;
	size_t cap;

	if (bc->n >= BOUNCECAT_MAXRULES) {
		rx_free(rx);
		errno = E2BIG;
		return -1;
	}
	if (bc->n == bc->cap) {
		cap = bc->cap == 0 ? 64 : bc->cap * 2;
		if ((nr = reallocarray(bc->rules, cap, sizeof(*nr))) == NULL) {
			rx_free(rx);
			return -1;
		}
		bc->rules = nr;
		bc->cap = cap;
	}
	bc->rules[bc->n].rx = rx;
	bc->rules[bc->n++].cat = cat;
	return 0;
}

/*
 * parse_rule - one line "/re/ category" (a '/' inside the expression is
 * written "\/"), or "hard|soft category"
 */
static int
parse_line(struct bouncecat *bc, const char *p, size_t n, char *why,
    size_t whylen)
{
	const char *end = p + n, *re, *w;
	struct rx *rx;
	size_t relen;
	int cat, hard = -1;

	if (*p == '/') {
		re = ++p;
		while (p < end && *p != '/')
			p += *p == '\\' && p + 1 < end ? 2 : 1;
		if (p >= end) {
			err_msg(why, whylen, "no closing / after the regular "
			    "expression");
			return -1;
		}
		relen = (size_t)(p - re);
		p++;
	} else {
		w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (p - w == 4 && memcmp(w, "hard", 4) == 0)
			hard = 1;
		else if (p - w == 4 && memcmp(w, "soft", 4) == 0)
			hard = 0;
		else {
			err_msg(why, whylen, "not a rule: \"%.*s\"",
			    (int)(p - w > 40 ? 40 : p - w), w);
			return -1;
		}
		re = NULL;
		relen = 0;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	w = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == w) {
		err_msg(why, whylen, "missing bounce category");
		return -1;
	}
	if ((cat = cat_index(w, (size_t)(p - w))) == -1) {
		err_msg(why, whylen, "unknown bounce category \"%.*s\"",
		    (int)(p - w > 40 ? 40 : p - w), w);
		return -1;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end) {
		err_msg(why, whylen, "text after the bounce category");
		return -1;
	}
	if (hard != -1) {
		bc->hard[cat] = hard == 1;
		return 0;
	}
	if ((rx = rx_compile(re, relen, RX_CASELESS, why, whylen)) == NULL)
		return -1;
	if (add_rule(bc, rx, (size_t)cat) == -1) {
		err_msg(why, whylen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/* parse_text - the rules of a rules file's text; name is for messages */
static int
parse_text(struct bouncecat *bc, const char *text, size_t len,
    const char *name, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	char why[256];
	unsigned long line = 0;
	size_t n;

	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0 && *p != '#' && parse_line(bc, p, n, why,
		    sizeof(why)) == -1) {
			err_msg(err, errlen, "%s:%lu: %s", name, line, why);
			errno = EINVAL;
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

/*
 * bouncecat_parse - rules from the len bytes of text (a rules file named
 * name in messages), without config rules; NULL with err filled
 */
struct bouncecat *
bouncecat_parse(const char *text, size_t len, const char *name, char *err,
    size_t errlen)
{
	struct bouncecat *bc;

	if ((bc = bc_new()) == NULL) {
		err_msg(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	if (parse_text(bc, text, len, name, err, errlen) == -1) {
		bouncecat_free(bc);
		errno = EINVAL;
		return NULL;
	}
	return bc;
}

/* add_conf_rules - the rules of every <bounce-category-patterns> block */
static int
add_conf_rules(struct bouncecat *bc, const struct conf *conf, char *err,
    size_t errlen)
{
	const struct conf_block *b;
	const struct conf_directive *d;
	const struct conf_category_rule *r;
	const char *pat;
	struct rx *rx;
	char why[256];
	int cat;

	for (b = conf_root(conf)->child; b != NULL; b = b->next) {
		if (b->scope != CONF_S_BOUNCE_CAT)
			continue;
		for (d = b->dirs; d != NULL; d = d->next) {
			if (d->def->id != CONF_CATEGORY_PATTERN ||
			    (r = d->obj) == NULL || r->rx == NULL)
				continue;
			pat = rx_pattern(r->rx);
			if ((cat = cat_index(r->category,
			    strlen(r->category))) == -1 ||
			    (rx = rx_compile(pat, strlen(pat), RX_CASELESS,
			    why, sizeof(why))) == NULL) {
				err_msg(err, errlen, "%s:%d: bad bounce "
				    "category pattern", d->file, d->line);
				errno = EINVAL;
				return -1;
			}
			if (add_rule(bc, rx, (size_t)cat) == -1) {
				err_msg(err, errlen, "%s:%d: %s", d->file,
				    d->line, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* read_file - the whole of path, at most FILE_MAX bytes, into b */
static int
read_file(const char *path, struct buf *b, char *err, size_t errlen)
{
	char chunk[8192];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_msg(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if ((r = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			err_msg(err, errlen, "%s: read: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if (b->len + (size_t)r > FILE_MAX) {
			errno = EFBIG;
			err_msg(err, errlen, "%s: longer than %d bytes", path,
			    FILE_MAX);
			goto fail;
		}
		if (buf_append(b, chunk, (size_t)r) == -1) {
			err_msg(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	(void)close(fd);
	return 0;

fail:
	(void)close(fd);
	return -1;
}

/*
 * bouncecat_load - the rules of conf (may be NULL) then of the rules file
 * path (NULL: MTA_SYSCONFDIR/bounce-categories); NULL with errno set and
 * err filled ("FILE:LINE: why" for a bad rule)
 */
struct bouncecat *
bouncecat_load(const char *path, const struct conf *conf, char *err,
    size_t errlen)
{
	struct bouncecat *bc;
	struct buf text = BUF_INIT;
	int save;

	if (path == NULL)
		path = MTA_SYSCONFDIR "/" BOUNCECAT_FILE;
	if ((bc = bc_new()) == NULL) {
		err_msg(err, errlen, "bounce categories: %s", strerror(errno));
		return NULL;
	}
	if (conf != NULL && add_conf_rules(bc, conf, err, errlen) == -1)
		goto fail;
	if (read_file(path, &text, err, errlen) == -1 ||
	    parse_text(bc, text.p != NULL ? text.p : "", text.len, path, err,
	    errlen) == -1)
		goto fail;
	buf_free(&text);
	return bc;

fail:
	save = errno;
	buf_free(&text);
	bouncecat_free(bc);
	errno = save;
	return NULL;
}

/* append_squeezed - append s with white space runs made one space */
static void
append_squeezed(char *d, size_t *len, size_t max, const char *s)
{
	bool space = *len > 0;

	for (; *s != '\0' && *len < max; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			space = true;
			continue;
		}
		if (space && *len > 0 && *len < max)
			d[(*len)++] = ' ';
		space = false;
		if (*len < max)
			d[(*len)++] = *s;
	}
}

/*
 * bouncecat_classify - the category of a failure with reply code (0 if
 * none), status ("5.1.1", or NULL) and text (may be NULL): the first rule
 * matching "STATUS CODE TEXT", else "other"; a static string
 */
const char *
bouncecat_classify(const struct bouncecat *bc, int code, const char *status,
    const char *text)
{
	char subject[SUBJECT_MAX + 1], num[16];
	size_t len = 0;

	if (status != NULL)
		append_squeezed(subject, &len, SUBJECT_MAX, status);
	if (code > 0 && code < 1000) {
		(void)snprintf(num, sizeof(num), "%d", code);
		append_squeezed(subject, &len, SUBJECT_MAX, num);
	}
	if (text != NULL)
		append_squeezed(subject, &len, SUBJECT_MAX, text);
	subject[len] = '\0';
	for (size_t i = 0; bc != NULL && i < bc->n; i++)
		if (rx_match(bc->rules[i].rx, subject, len))
			return cats[bc->rules[i].cat].name;
	return "other";
}

/* bouncecat_hard - whether a failure of category name is permanent */
bool
bouncecat_hard(const struct bouncecat *bc, const char *name)
{
	int i;

	if (name == NULL || (i = cat_index(name, strlen(name))) == -1)
		return false;
	return bc != NULL ? bc->hard[i] : cats[i].hard;
}

/*
 * bouncecat_default_status - the RFC 3463 status to report for a failure
 * of category name that gave none; its class follows code (4xx: "4.")
 */
const char *
bouncecat_default_status(const char *name, int code)
{
	static char s[8];
	int i;

	if (name == NULL || (i = cat_index(name, strlen(name))) == -1)
		i = cat_index("other", 5);
	(void)strlcpy(s, cats[i].status, sizeof(s));
	if (code >= 400 && code < 500)
		s[0] = '4';
	else if (code >= 500 && code < 600)
		s[0] = '5';
	return s;
}

/* bouncecat_nrules - how many rules there are */
size_t
bouncecat_nrules(const struct bouncecat *bc)
{
	return bc->n;
}

/* bouncecat_free - free bc; NULL is fine */
void
bouncecat_free(struct bouncecat *bc)
{
	if (bc == NULL)
		return;
	for (size_t i = 0; i < bc->n; i++)
		rx_free(bc->rules[i].rx);
	free(bc->rules);
	free(bc);
}
