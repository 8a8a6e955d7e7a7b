/*
 * envcache - the envelope text that intake read, kept for the message's
 * first transaction.
 *
 * Intake opens and reads every message it takes from new/; without this
 * its first transaction would open and read the same file again a moment
 * later, which is most of the loop's work for a message.  The text kept
 * is the envelope as written (a few hundred bytes for one recipient), and
 * the whole cache holds at most ENVCACHE_BYTES: once full, a message
 * keeps nothing and its transaction reads the file as before.  A restart
 * keeps nothing either: it loads the whole queue at once, most of it
 * waiting for retries, and the memory of a queued message stays small.
 *
 * The text is dropped after the first transaction: the recipients'
 * states in it are not kept up to date (the in-memory ones are), and
 * later transactions of the message are rare and far apart.  Only the
 * main thread touches it.
 */
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define ENVCACHE_BYTES	(16 * 1024 * 1024)

/* What m->envtext points at. */
struct envtext {
	size_t	len;
	char	text[];
};

static size_t held;			/* bytes of all texts kept */

static size_t
cost(size_t len)
{
	return sizeof(struct envtext) + len + 1;
}

/* envcache_keep - keep a copy of text for m's first transaction, if room */
void
envcache_keep(struct msg *m, const struct buf *text)
{
	struct envtext *t;

	if (m->envtext != NULL || text->len == 0 ||
	    held + cost(text->len) > ENVCACHE_BYTES ||
	    (t = malloc(cost(text->len))) == NULL)
		return;
	t->len = text->len;
	memcpy(t->text, text->p, text->len);
	t->text[t->len] = '\0';
	held += cost(t->len);
	m->envtext = t;
}

/* envcache_drop - forget what m kept */
void
envcache_drop(struct msg *m)
{
	if (m->envtext == NULL)
		return;
	held -= cost(m->envtext->len);
	free(m->envtext);
	m->envtext = NULL;
}

/*
 * envcache_take - parse what m kept into e (initialised here) and drop
 * it; -1 when m kept nothing, or out of memory.  The text is the one
 * intake parsed and checked (its id, its size against the file) and
 * made m from: it is not checked again.
 */
int
envcache_take(struct msg *m, struct envelope *e)
{
	char err[256];
	int rc;

	if (m->envtext == NULL)
		return -1;
	envelope_init(e);
	rc = envelope_parse(m->envtext->text, m->envtext->len, e, NULL, err,
	    sizeof(err));
	if (rc == -1)
		envelope_free(e);
	envcache_drop(m);
	return rc;
}
