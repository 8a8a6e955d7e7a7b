/*
 * bounce - what becomes of a failure besides its journal record: its
 * bounce category (lib/bouncecat) and the delivery status notification
 * to the sender (lib/dsn).
 *
 * A failed or expired recipient is noted as it is finalized; at the next
 * commit flush, before the journal sync that makes the failure final,
 * each message's notes become one DSN committed to the spool.  So a
 * crash may repeat a DSN but never lose one, and the original is still
 * in queue/ when the DSN quotes it.  A delay notice goes the same way,
 * then its "delayed" journal record (replayed at restart) says it went.
 *
 * The <bounce-action> blocks say what a failure or deferral of some
 * bounce categories does besides: suppress the address, retry a
 * permanent failure, or bounce a temporary one (mta.conf(5)).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bouncecat.h"
#include "dsn.h"
#include "journal.h"
#include "log.h"
#include "queue.h"

#ifndef MTA_SYSCONFDIR
#define MTA_SYSCONFDIR	"/etc/mta"
#endif

struct note {
	struct msg	*m;
	size_t		 idx;
	bool		 expired;
	enum dsn_kind	 kind;
	enum dsn_format	 fmt;		/* notes of one DSN share it */
	int		 code;
	uint32_t	 prev_at;	/* DSN_DELAY: the rcpt's old delayed_at */
	time_t		 when;
	char		 status[16];
	char		 mx[256];
	char		 diag[DSN_TEXTMAX];
};

/* One <bounce-action> block. */
struct baction {
	int	 type;			/* BT_* */
	int	 action;		/* BA_* */
	char	*match;			/* categories; NULL: every one */
	struct confval_intervals retry;	/* n == 0: the queue's */
	int64_t	 max_tries;		/* 0: no limit */
};

enum { BT_ANY, BT_PERMANENT, BT_TRANSIENT };

static struct bouncecat *cats;
static struct baction *bactions;
static size_t nbactions;
static struct submit dsnsub;
static bool dsn_ready;
static struct note *notes;
static size_t nnotes, capnotes;
static struct {			/* the last dsn-format looked up */
	const struct queue *q;
	const char	*vmta;
	enum dsn_format	 fmt;
} fmt_cache;

/*
 * The rules file: next to the config, else in MTA_SYSCONFDIR; without
 * one, only the config's <bounce-category-patterns> classify.
 */
static const char *
rules_path(char *buf, size_t size)
{
	char conf[PATH_MAX];

	(void)strlcpy(conf, S.confpath, sizeof(conf));
	(void)snprintf(buf, size, "%s/%s", dirname(conf), BOUNCECAT_FILE);
	if (access(buf, R_OK) == 0)
		return buf;
	(void)snprintf(buf, size, "%s/%s", MTA_SYSCONFDIR, BOUNCECAT_FILE);
	if (access(buf, R_OK) == 0)
		return buf;
	return NULL;
}

static void
bactions_free(void)
{
	for (size_t i = 0; i < nbactions; i++)
		free(bactions[i].match);
	free(bactions);
	bactions = NULL;
	nbactions = 0;
}

/*
 * The <bounce-action> blocks of S.conf, in file order; a block without
 * an action does nothing and is left out with a warning.
 */
static void
bactions_load(void)
{
	const struct conf_block *b;
	const struct conf_directive *d;
	struct baction *v, *a;

	bactions_free();
	for (b = conf_root(S.conf)->child; b != NULL; b = b->next) {
		if (b->scope != CONF_S_BOUNCE_ACTION)
			continue;
		if ((d = conf_block_get(b, CONF_ACTION)) == NULL) {
			log_warn("%s:%d: <bounce-action> without an action: "
			    "ignored", b->file, b->line);
			continue;
		}
		if ((v = reallocarray(bactions, nbactions + 1,
		    sizeof(*v))) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		bactions = v;
		a = &bactions[nbactions++];
		memset(a, 0, sizeof(*a));
		a->action = d->num == 0 ? BA_SUPPRESS : d->num == 1 ?
		    BA_RETRY : BA_BOUNCE;
		if ((d = conf_block_get(b, CONF_BA_TYPE)) != NULL)
			a->type = d->num == 0 ? BT_PERMANENT : BT_TRANSIENT;
		if ((d = conf_block_get(b, CONF_MATCH)) != NULL &&
		    (a->match = strdup(d->text)) == NULL)
			die(EX_TEMPFAIL, "out of memory");
		/* "retry-after CODE TEXT DELAY" is a <domain>'s rule */
		if ((d = conf_block_get(b, CONF_RETRY_AFTER)) != NULL &&
		    d->num == 0 && d->obj != NULL)
			a->retry = *(const struct confval_intervals *)d->obj;
		if ((d = conf_block_get(b, CONF_MAX_TRIES)) != NULL)
			a->max_tries = d->num;
	}
}

/* Is the category cat one of the words of list? */
static bool
in_words(const char *list, const char *cat)
{
	size_t n = strlen(cat), k;

	while (*list != '\0') {
		list += strspn(list, ", \t");
		k = strcspn(list, ", \t");
		if (k == n && strncmp(list, cat, n) == 0)
			return true;
		list += k;
	}
	return false;
}

/*
 * bounce_action - the first <bounce-action> for an outcome with this
 * reply (state ENVELOPE_FAILED or _EXPIRED, or _PENDING for a
 * deferral): BA_NONE or its action; for BA_RETRY the delay before the
 * next of tries attempts (0: the queue's retry-after) and its max-tries
 * (0: no limit)
 */
int
bounce_action(int state, int code, const char *dsn, const char *text,
    unsigned tries, int64_t *retry, int64_t *max_tries)
{
	const struct baction *a;
	const char *cat = NULL;
	bool permanent = state != ENVELOPE_PENDING;

	*retry = *max_tries = 0;
	for (size_t i = 0; i < nbactions; i++) {
		a = &bactions[i];
		if ((a->type == BT_PERMANENT && !permanent) ||
		    (a->type == BT_TRANSIENT && permanent))
			continue;
		if (cat == NULL)
			cat = bounce_category(state == ENVELOPE_EXPIRED ?
			    "expired" : "failed", code, dsn, text);
		if (a->match != NULL && !in_words(a->match, cat))
			continue;
		if (a->retry.n > 0)
			*retry = a->retry.v[(tries == 0 ? 1 : tries >
			    a->retry.n ? a->retry.n : tries) - 1];
		*max_tries = a->max_tries;
		return a->action;
	}
	return BA_NONE;
}

/*
 * bounce_setup - load the categories, the <bounce-action> blocks, the
 * DSN settings and the suppression lists of S.conf
 */
int
bounce_setup(char *err, size_t errlen)
{
	struct bouncecat *bc;
	char path[PATH_MAX];
	const char *p = rules_path(path, sizeof(path));

	bactions_load();
	if (supp_setup(err, errlen) == -1)
		log_warn("suppression lists: %s: recipients are deferred "
		    "until they can be read", err);
	if (p == NULL) {
		log_warn("no %s next to %s or in %s: bounce categories from "
		    "the config only", BOUNCECAT_FILE, S.confpath,
		    MTA_SYSCONFDIR);
		p = "/dev/null";
	}
	/* The DSN settings follow S.conf whatever the rules file says. */
	memset(&fmt_cache, 0, sizeof(fmt_cache));
	dsn_ready = dsn_submit_init(&dsnsub, S.conf, S.spool) == 0;
	if (!dsn_ready) {
		(void)snprintf(err, errlen, "DSN settings: %s",
		    strerror(errno));
		return -1;
	}
	if ((bc = bouncecat_load(p, S.conf, err, errlen)) == NULL)
		return -1;		/* the old categories stay */
	bouncecat_free(cats);
	cats = bc;
	return 0;
}

/*
 * The dsn-format of recipient idx of m, as dsn_prepare() will resolve
 * it (the message's pool or virtual MTA); queue_fail_all() notes many
 * of one queue in a row, hence the cache.
 */
static enum dsn_format
note_format(const struct msg *m, size_t idx)
{
	const struct queue *q = m->rcpt[idx].q;
	const char *vmta = m->pool != NULL ? m->pool :
	    strcmp(m->vmta, "{default}") != 0 ? m->vmta : NULL;

	if (q == NULL)
		return dsn_format_of(S.conf, "", vmta);
	if (fmt_cache.q != q || fmt_cache.vmta != vmta) {
		fmt_cache.q = q;
		fmt_cache.vmta = vmta;
		fmt_cache.fmt = dsn_format_of(S.conf, q->domain, vmta);
	}
	return fmt_cache.fmt;
}

/* bounce_category - the category of a failure, for the journal */
const char *
bounce_category(const char *type, int code, const char *dsn,
    const char *text)
{
	if (strcmp(type, "expired") == 0)
		return "message-expired";
	if (supp_refusing())
		return "policy-related";	/* a suppressed recipient */
	return bouncecat_classify(cats, code, dsn, text);
}

/* bounce_note - recipient idx of m failed (or expired): a DSN is due */
void
bounce_note(struct msg *m, size_t idx, bool expired, int code,
    const char *dsn, const char *text, const struct session *s)
{
	struct note *n;
	size_t cap;

	if (nnotes == capnotes) {
		cap = capnotes == 0 ? 64 : capnotes * 2;
		if ((n = reallocarray(notes, cap, sizeof(*n))) == NULL) {
			log_warn("%s: no memory for its DSN", m->id);
			return;
		}
		notes = n;
		capnotes = cap;
	}
	n = &notes[nnotes++];
	memset(n, 0, sizeof(*n));
	n->m = m;
	n->idx = idx;
	n->expired = expired;
	n->kind = DSN_FAILURE;
	n->fmt = note_format(m, idx);
	n->code = code;
	n->when = time(NULL);
	(void)strlcpy(n->status, dsn != NULL && *dsn != '\0' ? dsn :
	    expired ? "4.4.7" : "5.0.0", sizeof(n->status));
	if (s != NULL && s->mx != NULL)
		(void)strlcpy(n->mx, s->mx, sizeof(n->mx));
	if (code != 0)
		(void)snprintf(n->diag, sizeof(n->diag), "%d %s", code,
		    text != NULL ? text : "");
	else
		(void)strlcpy(n->diag, text != NULL ? text : "",
		    sizeof(n->diag));
}

/*
 * bounce_delay_note - a delay notice is due for recipient idx of m,
 * deferred with this reply; prev_at: its delayed_at before this one.
 * 0, or -1 when out of memory (delayed_at is prev_at again).
 */
int
bounce_delay_note(struct msg *m, size_t idx, uint32_t prev_at, int code,
    const char *dsn, const char *text, const struct session *s)
{
	size_t before = nnotes;

	bounce_note(m, idx, false, code, dsn, text, s);
	if (nnotes == before) {
		m->rcpt[idx].delayed_at = prev_at;	/* try again later */
		return -1;
	}
	notes[nnotes - 1].kind = DSN_DELAY;
	notes[nnotes - 1].prev_at = prev_at;
	return 0;
}

/*
 * The delay notice about the n recipients done of m is committed:
 * journal that it went, so that a restart does not send it again.
 */
static void
delay_journal(struct msg *m, struct note *const *done, size_t n)
{
	struct envelope e;
	char err[512];
	const struct note *x;

	if (msg_read(m, &e, err, sizeof(err)) == -1) {
		log_warn("%s: delay notice not journaled: %s", m->id, err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		x = done[i];
		/* with a code, diag is "451 text": the text goes on its own */
		journal_outcome_write("delayed", m, &e, x->idx,
		    &m->rcpt[x->idx], x->code, x->status, x->diag +
		    (x->code != 0 ? 4 : 0), NULL);
	}
	envelope_free(&e);
}

/*
 * One DSN for the notes of message m of one kind and format
 * (notes[from...] and later ones).
 */
static void
submit_one(size_t from)
{
	struct dsn_rcpt r[64];
	struct note *done[64];
	struct msg *m = notes[from].m;
	enum dsn_kind kind = notes[from].kind;
	enum dsn_format fmt = notes[from].fmt;
	char qid[SPOOL_QIDLEN + 1], err[512];
	size_t n = 0;
	int rc;

	for (size_t i = from; i < nnotes && n < 64; i++) {
		struct note *x = &notes[i];
		struct queue *q;

		if (x->m != m || x->kind != kind || x->fmt != fmt)
			continue;
		q = m->rcpt[x->idx].q;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].idx = x->idx;
		r[n].status = x->status;
		r[n].remote_mta = x->mx[0] != '\0' ? x->mx : NULL;
		r[n].diag = x->diag;
		r[n].last_attempt = x->when;
		r[n].expired = x->expired;
		if (kind == DSN_DELAY && q != NULL &&
		    q->set.bounce_after != CONFVAL_NEVER)
			r[n].retry_until = (time_t)m->queued +
			    q->set.bounce_after;
		done[n++] = x;
		x->m = NULL;		/* done */
	}
	if (m->gone)			/* deleted by the operator: no DSN */
		return;
	rc = dsn_submit(&dsnsub, m->id, r, n, kind, qid, err, sizeof(err));
	if (rc == -1)
		log_warn("%s: DSN: %s", m->id, err);
	else if (qid[0] != '\0')
		log_info("%s: %s %s to the sender (%zu recipient%s)", m->id,
		    kind == DSN_DELAY ? "delay notice" : "DSN", qid, n,
		    n == 1 ? "" : "s");
	if (kind != DSN_DELAY)
		return;
	if (rc == -1)		/* try again at their next deferral */
		for (size_t i = 0; i < n; i++)
			m->rcpt[done[i]->idx].delayed_at = done[i]->prev_at;
	else if (qid[0] != '\0')
		delay_journal(m, done, n);
}

/*
 * bounce_flush - commit the DSNs noted since the last flush, and the
 * addresses to suppress
 */
void
bounce_flush(void)
{
	for (size_t i = 0; i < nnotes; i++)
		if (notes[i].m != NULL && dsn_ready)
			submit_one(i);
	nnotes = 0;
	supp_flush();
}
