/*
 * suppress - the suppression lists as the scheduler applies them
 * (mta-suppress(5)): a recipient whose address is in a list of its
 * message's <source> fails when a transaction is built, before anything
 * is sent; permanent-bounce-after and <bounce-action> "suppress" add
 * addresses to the list "default".
 *
 * One suppress_set per distinct suppression-lists of the config's
 * <source> blocks (and one for a source that names none), built at
 * start and on every reload over one store; a check costs one lookup a
 * recipient.  Additions are collected and written as one batch (one
 * fsync) by bounce_flush(), before the journal sync of the outcomes
 * that caused them: a crash may repeat an addition; a crash of this
 * process loses those of the outcomes not committed yet, as it does
 * their DSNs.
 *
 * Invariants: a recipient whose lists cannot be read is deferred, never
 * sent; the soft-bounce table holds only addresses deferred since their
 * last delivery, and only while permanent-bounce-after is set; it is
 * pruned of ended runs before it grows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "proto.h"
#include "queue.h"
#include "submit.h"
#include "suppress.h"

#define SOFT_MINBUCKETS	1024
#define SOFT_MINPAUSE	86400	/* seconds without a deferral that end a run */

/* The lists of the sources that name the same suppression-lists. */
struct supp_src {
	const struct conf_directive *names;	/* NULL: no such directive */
	struct suppress_set *set;		/* NULL: cannot be read */
	char	 why[256];			/* ...and why */
};

/* An address soft-bouncing since "since", for permanent-bounce-after. */
struct soft {
	struct soft	*next;
	time_t		 since;
	time_t		 last;		/* its last deferral */
	char		 key[];
};

/* An address to add to the list "default" at the next flush. */
struct pending {
	char	*addr;
	char	*reason;
	int64_t	 added;
};

static struct suppress *store;
static struct supp_src *srcs;		/* srcs[0]: no suppression-lists */
static size_t nsrcs;
static char store_why[256];
static int64_t pb_after = CONFVAL_NEVER;	/* permanent-bounce-after */
static struct soft **soft;
static size_t nsoft, capsoft;
static struct pending *pend;
static size_t npend, cappend;
static bool refusing;			/* supp_refused's own failure */

static void
srcs_free(void)
{
	for (size_t i = 0; i < nsrcs; i++)
		suppress_set_free(srcs[i].set);
	free(srcs);
	srcs = NULL;
	nsrcs = 0;
}

static void
src_add(const struct conf_directive *names)
{
	struct supp_src *v, *x;

	for (size_t i = 0; i < nsrcs; i++)
		if (srcs[i].names == names)
			return;
	if ((v = reallocarray(srcs, nsrcs + 1, sizeof(*v))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	srcs = v;
	x = &srcs[nsrcs++];
	memset(x, 0, sizeof(*x));
	x->names = names;
	if (store == NULL) {
		(void)strlcpy(x->why, store_why, sizeof(x->why));
		return;
	}
	if ((x->set = suppress_set_new(S.conf, store, names != NULL &&
	    !names->cleared ? names->text : NULL, x->why,
	    sizeof(x->why))) == NULL)
		log_warn("suppression lists: %s", x->why);
}

/* The sets of S.conf's sources over the store; -1 if it cannot be read. */
static int
srcs_build(void)
{
	const struct conf_block *b;

	srcs_free();
	if (store == NULL && (store = suppress_open(S.spooldir,
	    SUPPRESS_WRITE | SUPPRESS_LAZY, store_why, sizeof(store_why))) ==
	    NULL)
		log_warn("%s", store_why);
	src_add(NULL);
	for (b = conf_root(S.conf)->child; b != NULL; b = b->next)
		if (b->scope == CONF_S_SOURCE)
			src_add(conf_block_get(b, CONF_SUPPRESSION_LISTS));
	return store == NULL ? -1 : 0;
}

static void
soft_clear(void)
{
	struct soft *p, *next;

	for (size_t i = 0; i < capsoft; i++)
		for (p = soft[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(soft);
	soft = NULL;
	nsoft = capsoft = 0;
}

/*
 * supp_setup - the suppression lists of S.conf's sources and its
 * permanent-bounce-after; -1 and err when the store cannot be read
 * (each check tries again)
 */
int
supp_setup(char *err, size_t errlen)
{
	struct conf_settings g;

	conf_resolve_global(S.conf, &g);
	pb_after = conf_num(&g, CONF_PERMANENT_BOUNCE_AFTER);
	if (pb_after == CONFVAL_NEVER)
		soft_clear();
	if (srcs_build() == -1) {
		(void)strlcpy(err, store_why, errlen);
		return -1;
	}
	return 0;
}

/*
 * supp_source - the lists that apply to the message of envelope e: those
 * of the <source> it was submitted under (lib/submit), or of a source
 * that names none
 */
const struct supp_src *
supp_source(const struct envelope *e)
{
	const struct conf_directive *names;
	struct conf_settings cs;

	if (store == NULL)
		(void)srcs_build();
	submit_source_of(S.conf, e, &cs);
	names = cs.d[CONF_SUPPRESSION_LISTS];
	for (size_t i = 0; i < nsrcs; i++)
		if (srcs[i].names == names)
			return &srcs[i];
	return &srcs[0];
}

/*
 * supp_refused - recipient r (unlinked for a transaction) of envelope e
 * is in a list of src: it fails with 550 5.7.1 (journal, DSN); when the
 * lists cannot be read it is deferred.  True if r is taken so.
 */
bool
supp_refused(struct rcpt *r, const struct envelope *e,
    const struct supp_src *src)
{
	struct suppress_match mt;
	const char *addr = e->rcpt[r - r->m->rcpt].addr.p;
	char text[600];
	int rc;

	if (src->set == NULL)
		rc = -1;
	else if ((rc = suppress_check(src->set, addr, &mt)) == -1)
		(void)snprintf(text, sizeof(text), "%s", strerror(errno));
	if (rc == 0)
		return false;
	r->m->busy++;
	if (rc == 1) {
		(void)snprintf(text, sizeof(text), "<%s>: recipient is in "
		    "suppression list \"%s\"", addr, mt.list);
		log_info("refused id=%s rcpt=<%s> list=%s", r->m->id, addr,
		    mt.list);
		refusing = true;
		rcpt_finalize(r, e, ENVELOPE_FAILED, "failed", 550, "5.7.1",
		    text, NULL);
		refusing = false;
	} else {
		if (src->set == NULL)
			(void)snprintf(text, sizeof(text), "%s", src->why);
		log_warn("deferred id=%s rcpt=<%s>: suppression lists: %s",
		    r->m->id, addr, text);
		rcpt_defer(r, e, true, 451, "4.3.0",
		    "suppression lists cannot be read", NULL);
	}
	r->m->busy--;
	return true;
}

/* supp_refusing - is the outcome being written a suppression refusal? */
bool
supp_refusing(void)
{
	return refusing;
}

/* Queue addr for the list "default" at the next flush. */
static void
pend_add(const char *addr, const char *reason, time_t now)
{
	struct pending *v;
	size_t cap;

	if (npend == cappend) {
		cap = cappend == 0 ? 64 : cappend * 2;
		if ((v = reallocarray(pend, cap, sizeof(*v))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		pend = v;
		cappend = cap;
	}
	v = &pend[npend];
	if ((v->addr = strdup(addr)) == NULL ||
	    (v->reason = strndup(reason, SUPPRESS_REASONMAX)) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	v->added = (int64_t)now;
	npend++;
}

/* The slot of key in the soft-bounce table (*slot NULL: not there). */
static struct soft **
soft_slot(const char *key)
{
	struct soft **p;

	if (capsoft == 0)
		return NULL;
	for (p = &soft[queue_strhash(key) & (capsoft - 1)]; *p != NULL;
	    p = &(*p)->next)
		if (strcmp((*p)->key, key) == 0)
			break;
	return p;
}

/*
 * Has the run of x ended: no deferral for longer than
 * permanent-bounce-after or SOFT_MINPAUSE, whichever is longer?  (Not
 * just the former, which may be shorter than the retry interval.)
 */
static bool
run_ended(const struct soft *x, time_t now)
{
	int64_t pause = pb_after > SOFT_MINPAUSE ? pb_after : SOFT_MINPAUSE;

	return (int64_t)(now - x->last) > pause;
}

/*
 * The table is full: first drop the runs that have ended, then double it
 * if it is still half full.
 */
static void
soft_grow(time_t now)
{
	struct soft **n, **pp, *p, *next;
	size_t cap = capsoft == 0 ? SOFT_MINBUCKETS : capsoft * 2;

	for (size_t i = 0; i < capsoft; i++)
		for (pp = &soft[i]; (p = *pp) != NULL; ) {
			if (run_ended(p, now)) {
				*pp = p->next;
				free(p);
				nsoft--;
			} else
				pp = &p->next;
		}
	if (capsoft > 0 && nsoft < capsoft / 2)
		return;
	if ((n = calloc(cap, sizeof(*n))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	for (size_t i = 0; i < capsoft; i++)
		for (p = soft[i]; p != NULL; p = next) {
			next = p->next;
			p->next = n[queue_strhash(p->key) & (cap - 1)];
			n[queue_strhash(p->key) & (cap - 1)] = p;
		}
	free(soft);
	soft = n;
	capsoft = cap;
}

static void
soft_forget(const char *key)
{
	struct soft **p = soft_slot(key), *x;

	if (p == NULL || (x = *p) == NULL)
		return;
	*p = x->next;
	free(x);
	nsoft--;
}

/*
 * A deferral of r at now: start or continue its address's run of soft
 * bounces, and suppress the address once the run is long enough.  A run
 * starts at the first deferral this process saw since the last delivery
 * (or since the last run ended), or at r's first attempt if that was
 * before this process started.
 */
static void
soft_bounce(const struct rcpt *r, const char *key, time_t now)
{
	struct suppress_entry se;
	struct soft **p, *x;
	char reason[128];
	size_t klen = strlen(key);

	if (nsoft >= capsoft)
		soft_grow(now);
	p = soft_slot(key);
	if ((x = *p) == NULL) {
		if ((x = malloc(sizeof(*x) + klen + 1)) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		memcpy(x->key, key, klen + 1);
		x->since = r->first != 0 && (time_t)r->first < S.started ?
		    (time_t)r->first : now;
		x->next = NULL;
		*p = x;
		nsoft++;
	} else if (run_ended(x, now))
		x->since = now;
	x->last = now;
	if (suppress_soft_bounce_entry(key, x->since, now, pb_after, &se,
	    reason, sizeof(reason)) == 1) {
		pend_add(key, reason, now);
		soft_forget(key);
	}
}

/*
 * supp_outcome - r (of envelope e, which may be NULL) had an outcome:
 * state is its new final state, or ENVELOPE_PENDING for a counted
 * deferral.  A delivery ends its address's soft bounces; a deferral by
 * a session counts towards permanent-bounce-after; a matching
 * <bounce-action> "suppress" adds the address to the list "default".
 * A deferral with a 5xx code is a permanent failure that a
 * <bounce-action> retries: neither a soft bounce nor a transient one.
 */
void
supp_outcome(struct rcpt *r, const struct envelope *e, int state, int code,
    const char *dsn, const char *text, const struct session *s)
{
	char key[SUPPRESS_KEYMAX + 1], reason[SUPPRESS_REASONMAX + 1];
	size_t i = (size_t)(r - r->m->rcpt);
	int64_t retry, max_tries;
	bool soft_run = state == ENVELOPE_PENDING && s != NULL &&
	    pb_after != CONFVAL_NEVER;
	int act = BA_NONE;

	if (e == NULL || i >= e->nrcpt || refusing ||
	    e->rcpt[i].addr.p == NULL ||
	    (state == ENVELOPE_DELIVERED && nsoft == 0) ||
	    (state == ENVELOPE_PENDING && code >= 500))
		return;
	if (state != ENVELOPE_DELIVERED && (state != ENVELOPE_PENDING ||
	    s != NULL))
		act = bounce_action(state, code, dsn, text, r->attempts,
		    &retry, &max_tries);
	if ((state != ENVELOPE_DELIVERED && !soft_run && act !=
	    BA_SUPPRESS) || suppress_key(e->rcpt[i].addr.p, key,
	    sizeof(key), NULL, 0) == -1)
		return;
	if (state == ENVELOPE_DELIVERED) {
		soft_forget(key);
		return;
	}
	if (soft_run)
		soft_bounce(r, key, time(NULL));
	if (act != BA_SUPPRESS)
		return;
	if (text == NULL)
		text = "";
	if (dsn == NULL || strncmp(text, dsn, strlen(dsn)) == 0)
		dsn = "";		/* the text has it already */
	if (code != 0)
		(void)snprintf(reason, sizeof(reason), "%d %s%s%s", code, dsn,
		    *dsn != '\0' ? " " : "", text);
	else
		(void)snprintf(reason, sizeof(reason), "%s", text);
	pend_add(key, reason, time(NULL));
	if (state != ENVELOPE_PENDING)
		soft_forget(key);
}

static int
pend_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pending *)a)->addr,
	    ((const struct pending *)b)->addr);
}

/*
 * supp_flush - add the addresses collected since the last flush to the
 * list "default" in one batch, each once; an address the store holds
 * already (in any list, or by its domain) is left as it is
 */
void
supp_flush(void)
{
	struct suppress_entry *v, e[SUPPRESS_LOOKUPMAX];
	struct buf why = BUF_INIT;
	char err[512];
	size_t n = 0;

	if (npend == 0)
		return;
	if (store == NULL) {
		log_warn("suppression lists: %s: %zu additions lost",
		    store_why, npend);
		goto done;
	}
	if ((v = calloc(npend, sizeof(*v))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	/* keys: two recipients may share one, and one outcome add twice */
	qsort(pend, npend, sizeof(*pend), pend_cmp);
	for (size_t i = 0; i < npend; i++) {
		if ((i > 0 && strcmp(pend[i].addr, pend[i - 1].addr) == 0) ||
		    suppress_lookup(store, pend[i].addr, e,
		    SUPPRESS_LOOKUPMAX) > 0)
			continue;
		v[n].addr = pend[i].addr;
		v[n].list = SUPPRESS_DEFAULT_LIST;
		v[n].added = pend[i].added;
		v[n].reason = pend[i].reason;
		n++;
	}
	if (n > 0 && suppress_add(store, v, n, err, sizeof(err)) == -1)
		log_warn("suppression lists: %s: %zu additions lost", err, n);
	else
		for (size_t i = 0; i < n; i++) {
			buf_reset(&why);
			(void)proto_encode(&why, v[i].reason,
			    strlen(v[i].reason));
			log_info("suppressed rcpt=<%s> list=%s reason=%.*s",
			    v[i].addr, v[i].list, (int)why.len,
			    why.p != NULL ? why.p : "");
		}
	buf_free(&why);
	free(v);
done:
	for (size_t i = 0; i < npend; i++) {
		free(pend[i].addr);
		free(pend[i].reason);
	}
	npend = 0;
}
