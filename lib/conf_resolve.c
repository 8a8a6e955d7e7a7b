/*
 * conf_resolve - which settings apply to a delivery queue or a source.
 *
 * A queue domain/vmta takes, from the most general to the most specific:
 * the table's defaults; the global directives; the virtual MTA pool's and
 * the virtual MTA's own directives; then the <domain> blocks that match,
 * first the global ones, then the pools', then the virtual MTA's own, each
 * group ordered by how specific the pattern is: "*", "[*.]x", "*.x", a
 * name from a $macro, a name written out.  Longer suffixes are more
 * specific; at equal rank the later block wins.  A source takes "*", then
 * the address blocks that hold it from the widest to the narrowest, then
 * a matching {name}.  mta.conf(5) states the same rule with examples.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf_priv.h"

#define MACRO_DEPTH	16
#define MAX_PATTERNS	10000

struct expand {
	struct conf *c;
	struct conf_block *b;
	const char *chain[MACRO_DEPTH];
	int depth;
	bool failed;
};

static const struct conf_macro *
find_macro(const struct conf *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->nmacros; i++)
		if (strlen(c->macros[i].name) == n &&
		    strncmp(c->macros[i].name, name, n) == 0)
			return &c->macros[i];
	return NULL;
}

static void
add_pattern(struct expand *e, const char *s, bool from_macro)
{
	struct conf_block *b = e->b;
	struct conf_pattern *p;
	char err[CONFVAL_ERRLEN];

	if (b->npats >= MAX_PATTERNS) {
		if (!e->failed)
			conf_diag(e->c, true, b->file, b->line,
			    "<domain>: more than %d names", MAX_PATTERNS);
		e->failed = true;
		return;
	}
	if ((p = reallocarray(b->pats, b->npats + 1, sizeof(*p))) == NULL) {
		e->failed = true;
		return;
	}
	b->pats = p;
	p = &b->pats[b->npats];
	if (confval_domain(s, &p->dom, err, sizeof(err)) == -1) {
		conf_diag(e->c, true, b->file, b->line, "<domain %s>: %s", s,
		    err);
		e->failed = true;
		return;
	}
	p->from_macro = from_macro;
	b->npats++;
}

static void expand_item(struct expand *, const char *, bool);

/* Each value of macro m, fully expanded, put between prefix and rest. */
static void
expand_macro(struct expand *e, const struct conf_macro *m,
    const char *prefix, size_t plen, const char *rest)
{
	struct buf item = BUF_INIT;
	const char *v = m->value;
	size_t n;

	for (int i = 0; i < e->depth; i++)
		if (strcmp(e->chain[i], m->name) == 0) {
			conf_diag(e->c, true, e->b->file, e->b->line,
			    "domain-macro loop through $%s", m->name);
			e->failed = true;
			return;
		}
	if (e->depth >= MACRO_DEPTH) {
		conf_diag(e->c, true, e->b->file, e->b->line,
		    "domain-macro nested too deeply at $%s", m->name);
		e->failed = true;
		return;
	}
	for (; !e->failed; v += n) {
		v += strspn(v, ", \t");
		if ((n = strcspn(v, ", \t")) == 0)
			break;
		buf_reset(&item);
		if (buf_append(&item, prefix, plen) == -1 ||
		    buf_append(&item, v, n) == -1 ||
		    buf_appends(&item, rest) == -1) {
			e->failed = true;
			break;
		}
		/* The macro's own value expands inside its chain. */
		e->chain[e->depth++] = m->name;
		expand_item(e, buf_cstr(&item), true);
		e->depth--;
	}
	buf_free(&item);
}

/* One name of a <domain> tag: "x", "$m", "yahoo.$tld". */
static void
expand_item(struct expand *e, const char *s, bool from_macro)
{
	const struct conf_macro *m;
	const char *dollar, *name;
	size_t n;

	if ((dollar = strchr(s, '$')) == NULL) {
		add_pattern(e, s, from_macro);
		return;
	}
	name = dollar + 1;
	for (n = 0; isalnum((unsigned char)name[n]) || name[n] == '-' ||
	    name[n] == '_'; n++)
		;
	if ((m = find_macro(e->c, name, n)) == NULL) {
		conf_diag(e->c, true, e->b->file, e->b->line,
		    "domain-macro $%.*s is not defined", (int)n, name);
		e->failed = true;
		return;
	}
	expand_macro(e, m, s, (size_t)(dollar - s), name + n);
}

/* conf_expand_domains - the patterns of a <domain> tag, macros expanded */
int
conf_expand_domains(struct conf *c, struct conf_block *b)
{
	struct expand e = { .c = c, .b = b };
	char *copy, *w, *save;

	if (b->arg == NULL)
		return -1;
	if ((copy = strdup(b->arg)) == NULL)
		return -1;
	for (w = copy; *w != '\0' && !e.failed; w = save) {
		w += strspn(w, ", \t");
		if (*w == '\0')
			break;
		save = w + strcspn(w, ", \t");
		if (*save != '\0')
			*save++ = '\0';
		expand_item(&e, w, false);
	}
	free(copy);
	return e.failed ? -1 : 0;
}

/*
 * Does every domain that q matches also match p?  q is the queue's own
 * domain (an exact name) or, for conf_print_queues, a block's pattern.
 */
static bool
pattern_covers(const struct confval_domain *p, const struct confval_domain *q)
{
	size_t pl = strlen(p->name), ql = strlen(q->name);
	bool below = ql > pl && q->name[ql - pl - 1] == '.' &&
	    strcmp(q->name + ql - pl, p->name) == 0;
	bool same = strcmp(p->name, q->name) == 0;

	switch (p->kind) {
	case CONFVAL_DOM_ANY:
		return true;
	case CONFVAL_DOM_EXACT:
		return q->kind == CONFVAL_DOM_EXACT && same;
	case CONFVAL_DOM_SUB:
		if (q->kind == CONFVAL_DOM_SUB)
			return same || below;
		return (q->kind == CONFVAL_DOM_EXACT ||
		    q->kind == CONFVAL_DOM_SELFSUB) && below;
	case CONFVAL_DOM_SELFSUB:
		return (q->kind == CONFVAL_DOM_EXACT ||
		    q->kind == CONFVAL_DOM_SUB ||
		    q->kind == CONFVAL_DOM_SELFSUB) && (same || below);
	case CONFVAL_DOM_LITERAL:
		if (q->kind != CONFVAL_DOM_LITERAL ||
		    q->cidr.af != p->cidr.af || q->cidr.prefix < p->cidr.prefix)
			return false;
		return confval_cidr_match(&p->cidr, q->cidr.af, q->cidr.addr);
	}
	return false;
}

/* A sort key: bigger is more specific. */
struct match {
	const struct conf_block *b;
	int layer;		/* 0 global, 1 pool, 2 vmta */
	int rank;
	size_t len;
};

static int
match_cmp(const void *va, const void *vb)
{
	const struct match *a = va, *b = vb;

	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->b->order < b->b->order ? -1 : a->b->order > b->b->order;
}

static int
pattern_rank(const struct conf_pattern *p, size_t *len)
{
	*len = p->dom.kind == CONFVAL_DOM_LITERAL ? (size_t)p->dom.cidr.prefix :
	    strlen(p->dom.name);
	switch (p->dom.kind) {
	case CONFVAL_DOM_ANY:
		return 0;
	case CONFVAL_DOM_SELFSUB:
		return 1;
	case CONFVAL_DOM_SUB:
		return 2;
	case CONFVAL_DOM_EXACT:
	case CONFVAL_DOM_LITERAL:
		break;
	}
	return p->from_macro ? 3 : 4;
}

/* Add the <domain> children of b that cover q to the match list. */
static size_t
collect(const struct conf_block *b, int layer, const struct confval_domain *q,
    struct match *m, size_t n, size_t max)
{
	for (const struct conf_block *k = b->child; k != NULL; k = k->next) {
		struct match best = { k, layer, -1, 0 };

		if (k->scope != CONF_S_DOMAIN)
			continue;
		for (size_t i = 0; i < k->npats; i++) {
			size_t len;
			int rank;

			if (!pattern_covers(&k->pats[i].dom, q))
				continue;
			rank = pattern_rank(&k->pats[i], &len);
			if (rank > best.rank || (rank == best.rank &&
			    len > best.len)) {
				best.rank = rank;
				best.len = len;
			}
		}
		if (best.rank >= 0 && n < max)
			m[n++] = best;
	}
	return n;
}

/*
 * Global and virtual-MTA-level values of these limit a total, not one
 * queue (PowerMTA's max-smtp-out): they never flow into a queue.
 */
static bool
is_total_limit(enum conf_id id)
{
	return id == CONF_MAX_SMTP_OUT;
}

/*
 * Take b's directives (only those a <domain> may hold, when inherit).
 * Of a single-valued directive the last one wins; of a list (conf_multi)
 * the first is kept and conf_next() walks the others of the same block.
 */
static void
apply(struct conf_settings *s, const struct conf_block *b, bool inherit)
{
	bool seen[CONF_NDIRECTIVES] = { false };
	enum conf_id id;

	for (const struct conf_directive *d = b->dirs; d != NULL;
	    d = d->next) {
		id = d->def->id;
		if (inherit && ((d->def->scopes & CONF_S_DOMAIN) == 0 ||
		    is_total_limit(id)))
			continue;
		if (conf_multi(id) && seen[id])
			continue;
		seen[id] = true;
		s->d[id] = d->cleared ? NULL : d;
	}
}

static bool
pool_has(const struct conf_block *pool, const char *vmta)
{
	for (const struct conf_directive *d = pool->dirs; d != NULL;
	    d = d->next)
		if (d->def->id == CONF_VIRTUAL_MTA && d->str != NULL &&
		    strcmp(d->str, vmta) == 0)
			return true;
	return false;
}

/* conf_resolve_pattern - settings of the queues pattern q/vmta */
void
conf_resolve_pattern(const struct conf *c, const struct confval_domain *q,
    const char *vmta, struct conf_settings *s)
{
	const struct conf_block *v = NULL;
	struct match m[256];
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->conf = c;
	apply(s, &c->root, true);
	if (vmta != NULL && *vmta != '\0')
		v = conf_find_block(c, CONF_S_VMTA, vmta);
	n = collect(&c->root, 0, q, m, n, 256);
	if (v != NULL) {
		for (const struct conf_block *p = c->root.child; p != NULL;
		    p = p->next)
			if (p->scope == CONF_S_POOL && pool_has(p, vmta)) {
				apply(s, p, true);
				n = collect(p, 1, q, m, n, 256);
			}
		apply(s, v, true);
		n = collect(v, 2, q, m, n, 256);
	}
	qsort(m, n, sizeof(m[0]), match_cmp);
	for (size_t i = 0; i < n; i++)
		apply(s, m[i].b, false);
}

/* conf_resolve_queue - settings of the delivery queue domain/vmta */
void
conf_resolve_queue(const struct conf *c, const char *domain,
    const char *vmta, struct conf_settings *s)
{
	struct confval_domain q;
	char err[CONFVAL_ERRLEN];

	if (confval_domain(domain, &q, err, sizeof(err)) == -1 ||
	    (q.kind != CONFVAL_DOM_EXACT && q.kind != CONFVAL_DOM_LITERAL)) {
		/* Not a name any block can match: only "*" applies. */
		memset(&q, 0, sizeof(q));
		q.kind = CONFVAL_DOM_EXACT;
		(void)strlcpy(q.name, ".", sizeof(q.name));
	}
	conf_resolve_pattern(c, &q, vmta, s);
}

/* conf_resolve_global - the global directives */
void
conf_resolve_global(const struct conf *c, struct conf_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->conf = c;
	apply(s, &c->root, false);
}

static int
source_cmp(const void *va, const void *vb)
{
	const struct conf_block *a = *(const struct conf_block *const *)va;
	const struct conf_block *b = *(const struct conf_block *const *)vb;

	if (a->srckind != b->srckind)
		return a->srckind == CONF_SRC_ANY ? -1 : 1;
	if (a->cidr.prefix != b->cidr.prefix)
		return a->cidr.prefix < b->cidr.prefix ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * conf_resolve_source - settings for a client at addr (af AF_INET or
 * AF_INET6), from <source> or <accepted-connect> blocks (scope); name is
 * a source name such as "{auth}" that applies last, or NULL.
 */
void
conf_resolve_source(const struct conf *c, enum conf_scope scope, int af,
    const void *addr, const char *name, struct conf_settings *s)
{
	const struct conf_block *m[256];
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->conf = c;
	for (const struct conf_block *b = c->root.child; b != NULL && n < 256;
	    b = b->next) {
		if (b->scope != scope)
			continue;
		if (b->srckind == CONF_SRC_ANY || (b->srckind == CONF_SRC_CIDR &&
		    addr != NULL && confval_cidr_match(&b->cidr, af, addr)))
			m[n++] = b;
	}
	qsort(m, n, sizeof(m[0]), source_cmp);
	for (size_t i = 0; i < n; i++)
		apply(s, m[i], false);
	if (name == NULL)
		return;
	for (const struct conf_block *b = c->root.child; b != NULL;
	    b = b->next)
		if (b->scope == scope && b->srckind == CONF_SRC_NAMED &&
		    strcmp(b->arg, name) == 0)
			apply(s, b, false);
}

/* conf_multi - does the directive make a list rather than one value? */
bool
conf_multi(enum conf_id id)
{
	switch (conf_defs[id].type) {
	case CONF_T_LISTENER:
	case CONF_T_SOURCE_HOST:
	case CONF_T_DOMAIN_KEY:
	case CONF_T_REPLY_RULE:
	case CONF_T_MATCH_RULE:
	case CONF_T_ROLLUP:
	case CONF_T_CATEGORY_RULE:
	case CONF_T_RECORD_FIELDS:
		return true;
	default:
		return id == CONF_RETRY_RULE || id == CONF_VIRTUAL_MTA ||
		    id == CONF_ADDRESS;
	}
}

/* conf_next - the next directive of d's kind in d's block, or NULL */
const struct conf_directive *
conf_next(const struct conf_directive *d)
{
	return conf_block_next(NULL, d, d->def->id);
}

/* conf_get - the directive that applies, or the default, or NULL */
const struct conf_directive *
conf_get(const struct conf_settings *s, enum conf_id id)
{
	if (s->d[id] != NULL)
		return s->d[id];
	if (s->conf->has_default[id])
		return &s->conf->defaults[id];
	return NULL;
}

/* conf_num - a number (bool, int, size, interval, enum), 0 if unset */
int64_t
conf_num(const struct conf_settings *s, enum conf_id id)
{
	const struct conf_directive *d = conf_get(s, id);

	return d != NULL ? d->num : 0;
}

/* conf_bool - a boolean, false if unset */
bool
conf_bool(const struct conf_settings *s, enum conf_id id)
{
	return conf_num(s, id) != 0;
}

/* conf_str - a string value, NULL if unset */
const char *
conf_str(const struct conf_settings *s, enum conf_id id)
{
	const struct conf_directive *d = conf_get(s, id);

	return d != NULL ? d->str : NULL;
}

/* conf_obj - a parsed value (see enum conf_type), NULL if unset */
const void *
conf_obj(const struct conf_settings *s, enum conf_id id)
{
	const struct conf_directive *d = conf_get(s, id);

	return d != NULL ? d->obj : NULL;
}
