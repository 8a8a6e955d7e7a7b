/*
 * conf_resolve - which settings apply to a delivery queue or a source.
 *
 * A queue domain/vmta takes, from the most general to the most specific,
 * three layers: the global one, the virtual MTA pools' that hold the
 * virtual MTA, the virtual MTA's own.  In each layer the plain
 * directives come first, then the <domain> blocks that match, from the
 * least to the most specific: "*"; then the wildcards, a longer suffix
 * beating a shorter one and, for the same suffix, "*.x" beating "[*.]x";
 * then exact names, one from a $macro before one written out.  At equal
 * rank the later block wins.  Global and virtual-MTA-level values of a
 * total limit (max-smtp-out) never flow into a queue.  A source takes
 * "*", then the address blocks that hold it from the widest to the
 * narrowest, then a matching {name}.  mta.conf(5) states the same rule.
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

/* How specific a matching block is: compare tier, then a, then b. */
struct rank {
	int	 tier;		/* 0 "*", 1 wildcard, 2 exact */
	size_t	 a;		/* wildcard: suffix length; exact: written */
	size_t	 b;		/* wildcard: "*.x" over "[*.]x"; exact: length */
};

struct match {
	const struct conf_block *b;
	struct rank r;
};

static int
rank_cmp(const struct rank *x, const struct rank *y)
{
	if (x->tier != y->tier)
		return x->tier < y->tier ? -1 : 1;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

static int
match_cmp(const void *va, const void *vb)
{
	const struct match *x = va, *y = vb;
	int c;

	if ((c = rank_cmp(&x->r, &y->r)) != 0)
		return c;
	return x->b->order < y->b->order ? -1 : x->b->order > y->b->order;
}

static struct rank
pattern_rank(const struct conf_pattern *p)
{
	struct rank r = { 0, 0, 0 };

	switch (p->dom.kind) {
	case CONFVAL_DOM_ANY:
		break;
	case CONFVAL_DOM_SELFSUB:
	case CONFVAL_DOM_SUB:
		r.tier = 1;
		r.a = strlen(p->dom.name);
		r.b = p->dom.kind == CONFVAL_DOM_SUB;
		break;
	case CONFVAL_DOM_EXACT:
	case CONFVAL_DOM_LITERAL:
		r.tier = 2;
		r.a = !p->from_macro;
		r.b = p->dom.kind == CONFVAL_DOM_LITERAL ?
		    (size_t)p->dom.cidr.prefix : strlen(p->dom.name);
		break;
	}
	return r;
}

/* The <domain> children of b that cover q, least specific first. */
static size_t
collect(const struct conf_block *b, const struct confval_domain *q,
    struct match *m, size_t max)
{
	size_t n = 0;

	for (const struct conf_block *k = b->child; k != NULL; k = k->next) {
		struct match best = { k, { -1, 0, 0 } };

		if (k->scope != CONF_S_DOMAIN)
			continue;
		for (size_t i = 0; i < k->npats; i++) {
			struct rank r;

			if (!pattern_covers(&k->pats[i].dom, q))
				continue;
			r = pattern_rank(&k->pats[i]);
			if (rank_cmp(&r, &best.r) > 0)
				best.r = r;
		}
		if (best.r.tier >= 0 && n < max)
			m[n++] = best;
	}
	qsort(m, n, sizeof(m[0]), match_cmp);
	return n;
}

static void apply(struct conf_settings *, const struct conf_block *, bool);

/* One layer: b's own directives, then its matching <domain> blocks. */
static void
apply_layer(struct conf_settings *s, const struct conf_block *b,
    const struct confval_domain *q)
{
	struct match m[256];
	size_t n;

	apply(s, b, true);
	n = collect(b, q, m, sizeof(m) / sizeof(m[0]));
	for (size_t i = 0; i < n; i++)
		apply(s, m[i].b, false);
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

	memset(s, 0, sizeof(*s));
	s->conf = c;
	apply_layer(s, &c->root, q);
	if (vmta != NULL && *vmta != '\0')
		v = conf_find_block(c, CONF_S_VMTA, vmta);
	if (v == NULL)
		return;
	for (const struct conf_block *p = c->root.child; p != NULL;
	    p = p->next)
		if (p->scope == CONF_S_POOL && pool_has(p, vmta))
			apply_layer(s, p, q);
	apply_layer(s, v, q);
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

/*
 * conf_name_servers - the name-server list of settings s (words
 * separated by blanks or commas) in c-ares' form "a,b:port", appended
 * to b; b unchanged when there is none.  0, or -1 (ENOMEM).
 */
int
conf_name_servers(const struct conf_settings *s, struct buf *b)
{
	const struct conf_directive *d = conf_get(s, CONF_NAME_SERVER);
	const char *ns = d != NULL ? d->text : NULL;
	size_t n, start = b->len;

	if (ns == NULL)
		return 0;
	while (*(ns += strspn(ns, ", \t")) != '\0') {
		n = strcspn(ns, ", \t");
		if ((b->len > start && buf_appendc(b, ',') == -1) ||
		    buf_append(b, ns, n) == -1)
			return -1;
		ns += n;
	}
	return 0;
}
