/*
 * supplists - the suppression lists of every <source> of one config,
 * built when the config is loaded (at startup and on SIGHUP), never per
 * session or per recipient: reading an address-file and compiling its
 * expressions is work for a reload, not for a RCPT.
 *
 * A client's lists follow from the suppression-lists directive its
 * settings resolved to, so the table maps each such directive of the
 * config (and "none", the list "default") to its set; directives that
 * name the same lists share one set.  Every set checks the one store of
 * the spool, opened once by main.c; lookups in it never lock, and see
 * what other processes add at once (mta-suppress(5)).
 *
 * A set that does not load (a bad entry in an address-file) is kept as
 * its error: the sources that name it have their recipients deferred,
 * never accepted unchecked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtpd.h"
#include "suppress.h"

/* One set of lists, and the text that named them. */
struct supplist {
	char		*names;		/* NULL: none named, "default" */
	struct suppress_set *set;	/* NULL: did not load, see err */
	char		*err;
};

/* A suppression-lists directive of the config, and its set. */
struct suppdir {
	const struct conf_directive *d;
	size_t		 list;		/* in lists[] */
};

struct supplists {
	struct supplist	*lists;		/* [0]: no directive */
	size_t		 nlists;
	struct suppdir	*dirs;
	size_t		 ndirs;
};

/* The lists d names, or NULL for the default list. */
static const char *
names_of(const struct conf_directive *d)
{
	return d != NULL && !d->cleared && d->text != NULL ? d->text : NULL;
}

static bool
same_names(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The index of the set for names, made if new; -1 when out of memory. */
static long
list_for(struct supplists *t, const struct conf *c, struct suppress *store,
    const char *names, size_t *nbad)
{
	struct supplist *v, *l;
	char err[512];

	for (size_t i = 0; i < t->nlists; i++)
		if (same_names(t->lists[i].names, names))
			return (long)i;
	if ((v = reallocarray(t->lists, t->nlists + 1, sizeof(*v))) == NULL)
		return -1;
	t->lists = v;
	l = &v[t->nlists];
	memset(l, 0, sizeof(*l));
	if (names != NULL && (l->names = strdup(names)) == NULL)
		return -1;
	t->nlists++;
	if ((l->set = suppress_set_new(c, store, names, err,
	    sizeof(err))) == NULL) {
		if (errno == ENOMEM)
			return -1;
		log_warn("suppression-lists %s: %s", names != NULL ? names :
		    SUPPRESS_DEFAULT_LIST, err);
		if ((l->err = strdup(err)) == NULL)
			return -1;
		(*nbad)++;
	}
	return (long)(t->nlists - 1);
}

/* Add every suppression-lists directive of block b to the table. */
static int
add_block(struct supplists *t, const struct conf *c, struct suppress *store,
    const struct conf_block *b, size_t *nbad)
{
	const struct conf_directive *d = NULL;
	struct suppdir *v;
	long k;

	while ((d = conf_block_next(b, d, CONF_SUPPRESSION_LISTS)) != NULL) {
		if ((k = list_for(t, c, store, names_of(d), nbad)) == -1)
			return -1;
		if ((v = reallocarray(t->dirs, t->ndirs + 1,
		    sizeof(*v))) == NULL)
			return -1;
		t->dirs = v;
		v[t->ndirs].d = d;
		v[t->ndirs].list = (size_t)k;
		t->ndirs++;
	}
	return 0;
}

/*
 * supplists_new - the sets of config c's sources over store; *nbad is
 * how many did not load (each logged); NULL when out of memory
 */
struct supplists *
supplists_new(const struct conf *c, struct suppress *store, size_t *nbad)
{
	struct supplists *t;
	const struct conf_block *root = conf_root(c);

	*nbad = 0;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (list_for(t, c, store, NULL, nbad) == -1 ||
	    add_block(t, c, store, root, nbad) == -1)
		goto fail;
	for (const struct conf_block *b = root->child; b != NULL; b = b->next)
		if (b->scope == CONF_S_SOURCE &&
		    add_block(t, c, store, b, nbad) == -1)
			goto fail;
	return t;
fail:
	supplists_free(t);
	return NULL;
}

/* supplists_free - release the sets (not the store) */
void
supplists_free(struct supplists *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nlists; i++) {
		free(t->lists[i].names);
		suppress_set_free(t->lists[i].set);
		free(t->lists[i].err);
	}
	free(t->lists);
	free(t->dirs);
	free(t);
}

/*
 * supplists_find - the set for a client whose settings resolved
 * suppression-lists to d (NULL: none); NULL and *err when that set did
 * not load
 */
struct suppress_set *
supplists_find(const struct supplists *t, const struct conf_directive *d,
    const char **err)
{
	const struct supplist *l = NULL;

	if (names_of(d) == NULL)
		l = &t->lists[0];
	for (size_t i = 0; l == NULL && i < t->ndirs; i++)
		if (t->dirs[i].d == d)
			l = &t->lists[t->dirs[i].list];
	if (l == NULL) {
		*err = "suppression-lists outside any <source>";
		return NULL;
	}
	*err = l->err;
	return l->set;
}
