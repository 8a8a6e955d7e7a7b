/*
 * conf - read mta.conf(5) into a tree of blocks and directives.
 *
 * One line is one directive, an opening tag or a closing tag; "#" outside
 * double quotes starts a comment.  Every error is collected with its file
 * and line ("Error in line N of FILE: ...", PowerMTA's wording) and
 * reading goes on, so the checker reports all of them.  Blocks nest only
 * where the block table allows; a block never spans files.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf_priv.h"

#define CONF_MAXLINE	8192
#define CONF_MAXDEPTH	16

enum block_arg {
	ARG_NONE,		/* <tag> */
	ARG_OPTIONAL,		/* <tag> or <tag anything> */
	ARG_NAME,		/* <tag name> */
	ARG_TEXT,		/* <tag any text> */
	ARG_DOMAINS,		/* <domain a b, c $macro> */
	ARG_SOURCE,		/* <source 10/8>, <source *>, <source {auth}> */
	ARG_CIDR,		/* <source-pool 10.0.0.0/28> */
	ARG_LISTENER		/* <smtp-listener 127.0.0.1:25> */
};

static const struct block_def {
	const char	*tag;
	enum conf_scope	 scope;
	unsigned	 parents;
	enum block_arg	 arg;
} block_defs[] = {
	{ "domain", CONF_S_DOMAIN, CONF_S_GLOBAL | CONF_S_VMTA | CONF_S_POOL,
	    ARG_DOMAINS },
	{ "virtual-mta", CONF_S_VMTA, CONF_S_GLOBAL, ARG_NAME },
	{ "virtual-mta-pool", CONF_S_POOL, CONF_S_GLOBAL, ARG_NAME },
	{ "source", CONF_S_SOURCE, CONF_S_GLOBAL, ARG_SOURCE },
	{ "source-pool", CONF_S_SOURCE_POOL, CONF_S_GLOBAL, ARG_CIDR },
	{ "accepted-connect", CONF_S_ACCEPT, CONF_S_GLOBAL, ARG_SOURCE },
	{ "acct-file", CONF_S_ACCT, CONF_S_GLOBAL, ARG_TEXT },
	{ "smtp-listener", CONF_S_LISTENER, CONF_S_GLOBAL, ARG_LISTENER },
	{ "spool", CONF_S_SPOOL, CONF_S_GLOBAL, ARG_TEXT },
	{ "smtp-pattern-list", CONF_S_SMTP_PATTERNS, CONF_S_GLOBAL, ARG_NAME },
	{ "pattern-list", CONF_S_PATTERNS, CONF_S_GLOBAL, ARG_NAME },
	{ "mx-rollup-list", CONF_S_ROLLUP, CONF_S_GLOBAL, ARG_OPTIONAL },
	{ "bounce-category-patterns", CONF_S_BOUNCE_CAT, CONF_S_GLOBAL,
	    ARG_NONE },
	{ "smtp-user", CONF_S_SMTP_USER, CONF_S_GLOBAL, ARG_NAME },
	{ "dkim", CONF_S_DKIM, CONF_S_GLOBAL | CONF_S_VMTA, ARG_OPTIONAL },
	{ "domain-key", CONF_S_DOMAIN_KEY, CONF_S_GLOBAL | CONF_S_VMTA,
	    ARG_TEXT },
	{ "domain-key-list", CONF_S_DKEY_LIST, CONF_S_GLOBAL | CONF_S_VMTA,
	    ARG_OPTIONAL },
	{ "bounce-action", CONF_S_BOUNCE_ACTION, CONF_S_GLOBAL, ARG_OPTIONAL },
	{ "http", CONF_S_HTTP, CONF_S_GLOBAL, ARG_NONE },
	{ "smtp-server", CONF_S_SMTP_SERVER, CONF_S_GLOBAL, ARG_NONE },
	{ "address-list", CONF_S_ADDRESS_LIST, CONF_S_GLOBAL, ARG_NAME },
};

static const struct block_def unknown_block = { NULL, 0, 0, ARG_OPTIONAL };

static void read_file(struct conf *, const char *, struct conf_block *,
    const char *, int);

/* conf_diag - record one error or warning for file:line */
void
conf_diag(struct conf *c, bool error, const char *file, int line,
    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct conf_diag *d;
	char msg[CONF_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		(void)buf_appendf(&b, "%s in line %d of %s: %s",
		    error ? "Error" : "Warning", line, file, msg);
	else
		(void)buf_appendf(&b, "%s in %s: %s",
		    error ? "Error" : "Warning", file, msg);
	d = reallocarray(c->diags, c->ndiags + 1, sizeof(*c->diags));
	if (d == NULL || b.p == NULL) {
		buf_free(&b);
		if (d != NULL)
			c->diags = d;
		if (error)
			c->nerrors++;
		return;
	}
	c->diags = d;
	c->diags[c->ndiags].text = b.p;
	c->diags[c->ndiags].error = error;
	c->ndiags++;
	if (error)
		c->nerrors++;
	else
		c->nwarnings++;
}

/* conf_scope_name - the tag of a block kind, "global" for the root */
const char *
conf_scope_name(enum conf_scope scope)
{
	if (scope == CONF_S_GLOBAL)
		return "global";
	for (size_t i = 0; i < sizeof(block_defs) / sizeof(block_defs[0]); i++)
		if (block_defs[i].scope == scope)
			return block_defs[i].tag;
	return "?";
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* The known directive nearest to an unknown name, or NULL. */
static const char *
near_miss(const char *name)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, d, limit;

	limit = strlen(name) / 3 + 1;
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		if (strpbrk(conf_defs[i].name, " /") != NULL)
			continue;
		d = edit_distance(name, conf_defs[i].name);
		if (d < bestd) {
			bestd = d;
			best = conf_defs[i].name;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* Remove a comment: "#" outside double quotes, to the end of the line. */
static void
strip_comment(char *s)
{
	bool quoted = false;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (*s == '#' && !quoted) {
			*s = '\0';
			return;
		}
	}
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool
quotes_balanced(const char *s)
{
	bool quoted = false;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
	}
	return !quoted;
}

/* conf_unquote - s without its surrounding quotes, into out */
char *
conf_unquote(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), o = 0;

	if (outlen == 0)
		return NULL;
	if (len < 2 || s[0] != '"' || s[len - 1] != '"') {
		if (strlcpy(out, s, outlen) >= outlen)
			return NULL;
		return out;
	}
	for (size_t i = 1; i < len - 1; i++) {
		if (s[i] == '\\' && i + 1 < len - 1)
			i++;
		if (o + 1 >= outlen)
			return NULL;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static const char *
keep_string(struct conf *c, const char *path)
{
	char **f, *copy;

	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], path) == 0)
			return c->files[i];
	if ((copy = strdup(path)) == NULL)
		return "?";
	if ((f = reallocarray(c->files, c->nfiles + 1, sizeof(*f))) == NULL) {
		free(copy);
		return "?";
	}
	c->files = f;
	c->files[c->nfiles++] = copy;
	return copy;
}

static struct conf_block *
block_new(struct conf *c, struct conf_block *parent, const struct block_def *bd,
    const char *arg, const char *file, int line)
{
	struct conf_block *b, **tail;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->scope = bd->scope;
	b->tag = bd->tag;
	if (*arg != '\0' && (b->arg = strdup(arg)) == NULL) {
		free(b);
		return NULL;
	}
	b->file = file;
	b->line = line;
	b->order = ++c->order;
	b->parent = parent;
	b->dirs_tail = &b->dirs;
	for (tail = &parent->child; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = b;
	return b;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.@{}", *s) == NULL)
			return false;
	return true;
}

/* Check the argument of a block that does not need macros. */
static void
check_block_arg(struct conf *c, struct conf_block *b,
    const struct block_def *bd)
{
	char err[CONFVAL_ERRLEN];
	const char *arg = b->arg != NULL ? b->arg : "";
	struct confval_listener l;

	switch (bd->arg) {
	case ARG_NONE:
		if (*arg != '\0')
			conf_diag(c, true, b->file, b->line,
			    "<%s> takes no argument", bd->tag);
		break;
	case ARG_OPTIONAL:
		break;
	case ARG_NAME:
		if (*arg == '\0')
			conf_diag(c, true, b->file, b->line,
			    "<%s> needs a name", bd->tag);
		else if (!valid_name(arg))
			conf_diag(c, true, b->file, b->line,
			    "bad name \"%s\" for <%s>", arg, bd->tag);
		else if (b->parent->scope == CONF_S_GLOBAL)
			for (const struct conf_block *o = b->parent->child;
			    o != b; o = o->next)
				if (o->scope == b->scope && o->arg != NULL &&
				    strcmp(o->arg, arg) == 0) {
					conf_diag(c, true, b->file, b->line,
					    "<%s %s> is already defined in "
					    "line %d of %s", bd->tag, arg,
					    o->line, o->file);
					break;
				}
		break;
	case ARG_TEXT:
	case ARG_DOMAINS:
		if (*arg == '\0')
			conf_diag(c, true, b->file, b->line,
			    "<%s> needs an argument", bd->tag);
		break;
	case ARG_SOURCE:
		if (strcmp(arg, "*") == 0) {
			b->srckind = CONF_SRC_ANY;
			break;
		}
		if (arg[0] == '{') {
			b->srckind = CONF_SRC_NAMED;
			if (arg[strlen(arg) - 1] != '}' || strlen(arg) < 3)
				conf_diag(c, true, b->file, b->line,
				    "bad source name \"%s\"", arg);
			break;
		}
		/* A name that is no address names a source: <source inject>. */
		if (bd->arg == ARG_SOURCE && isalpha((unsigned char)arg[0]) &&
		    strchr(arg, ':') == NULL && valid_name(arg) &&
		    strspn(arg, "0123456789abcdefABCDEF") < strlen(arg)) {
			b->srckind = CONF_SRC_NAMED;
			break;
		}
		/* FALLTHROUGH */
	case ARG_CIDR:
		b->srckind = CONF_SRC_CIDR;
		if (*arg == '\0')
			conf_diag(c, true, b->file, b->line,
			    "<%s> needs an address block", bd->tag);
		else if (confval_cidr(arg, &b->cidr, err, sizeof(err)) == -1)
			conf_diag(c, true, b->file, b->line, "<%s %s>: %s",
			    bd->tag, arg, err);
		break;
	case ARG_LISTENER:
		if (confval_listener(arg, &l, err, sizeof(err)) == -1)
			conf_diag(c, true, b->file, b->line, "<%s %s>: %s",
			    bd->tag, arg, err);
		break;
	}
}

static const struct block_def *
block_def_byname(const char *tag)
{
	for (size_t i = 0; i < sizeof(block_defs) / sizeof(block_defs[0]); i++)
		if (strcmp(block_defs[i].tag, tag) == 0)
			return &block_defs[i];
	return NULL;
}

/* "<tag arg>": open a block; returns the new current block. */
static struct conf_block *
open_block(struct conf *c, struct conf_block *cur, char *inner,
    const char *file, int line)
{
	const struct block_def *bd;
	struct conf_block *b;
	char *arg;

	arg = inner + strcspn(inner, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = trim(arg);
	if ((bd = block_def_byname(inner)) == NULL) {
		conf_diag(c, true, file, line, "unknown block <%s>", inner);
		bd = &unknown_block;
	} else if ((bd->parents & cur->scope) == 0) {
		conf_diag(c, true, file, line, "<%s> is not allowed in %s%s%s",
		    inner, cur->scope == CONF_S_GLOBAL ? "the " : "<",
		    conf_scope_name(cur->scope),
		    cur->scope == CONF_S_GLOBAL ? " scope" : ">");
	}
	/*
	 * An unknown or misplaced block is still opened, so its contents
	 * and its closing tag do not cause errors of their own.
	 */
	if ((b = block_new(c, cur, bd, arg, file, line)) == NULL) {
		conf_diag(c, true, file, line, "out of memory");
		return cur;
	}
	if (bd->tag == NULL) {
		b->tag = keep_string(c, inner);
		b->scope = 0;
		return b;
	}
	check_block_arg(c, b, bd);
	return b;
}

/* "</tag arg>": close the current block. */
static struct conf_block *
close_block(struct conf *c, struct conf_block *cur, char *inner,
    const char *file, int line)
{
	char *arg;

	arg = inner + strcspn(inner, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = trim(arg);
	if (cur->parent == NULL) {
		conf_diag(c, true, file, line,
		    "</%s> closes a block that is not open", inner);
		return cur;
	}
	if (strcmp(cur->tag, inner) != 0) {
		conf_diag(c, true, file, line,
		    "</%s> does not match <%s> opened in line %d", inner,
		    cur->tag, cur->line);
		return cur;
	}
	if (*arg != '\0' && (cur->arg == NULL || strcmp(arg, cur->arg) != 0))
		conf_diag(c, true, file, line,
		    "</%s %s> does not match <%s %s> opened in line %d",
		    inner, arg, cur->tag, cur->arg ? cur->arg : "",
		    cur->line);
	return cur->parent;
}

static const struct conf_def *
find_def(const char *name, enum conf_scope scope, bool *known)
{
	*known = false;
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		if (strcmp(conf_defs[i].name, name) != 0)
			continue;
		*known = true;
		if (conf_defs[i].scopes & scope)
			return &conf_defs[i];
	}
	return NULL;
}

static void
add_directive(struct conf *c, struct conf_block *cur,
    const struct conf_def *def, const char *value, const char *file,
    int line)
{
	struct conf_directive *d;
	char err[CONF_ERRLEN];

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->text = strdup(value)) == NULL) {
		free(d);
		conf_diag(c, true, file, line, "out of memory");
		return;
	}
	d->def = def;
	d->file = file;
	d->line = line;
	if (strcmp(value, "\"\"") == 0) {
		d->cleared = true;
	} else if (conf_value_parse(d, err, sizeof(err)) == -1) {
		conf_diag(c, true, file, line, "%s: %s", def->name, err);
		conf_value_free(d);
		free(d->text);
		free(d);
		return;
	}
	/* The reply-keyed form of retry-after is a rule of its own. */
	if (d->def->id == CONF_RETRY_AFTER && d->num == 1) {
		d->def = &conf_defs[CONF_RETRY_RULE];
		if (cur->scope != CONF_S_DOMAIN) {
			conf_diag(c, true, file, line, "retry-after: a rule "
			    "keyed on a reply belongs in a <domain>");
			conf_value_free(d);
			free(d->text);
			free(d);
			return;
		}
	}
	*cur->dirs_tail = d;
	cur->dirs_tail = &d->next;
	if (!d->def->implemented && !c->warned[d->def->id]) {
		c->warned[d->def->id] = true;
		conf_diag(c, false, file, line, "directive \"%s\" is accepted "
		    "but has no effect yet", def->name);
	}
}

static void
add_macro(struct conf *c, char *value, const char *file, int line)
{
	struct conf_macro *m;
	char *name, *sp;

	sp = value + strcspn(value, " \t");
	if (sp == value || *sp == '\0') {
		conf_diag(c, true, file, line,
		    "domain-macro: needs a name and a value");
		return;
	}
	if ((name = strndup(value, (size_t)(sp - value))) == NULL)
		return;
	if (!valid_name(name)) {
		conf_diag(c, true, file, line, "domain-macro: bad name \"%s\"",
		    name);
		free(name);
		return;
	}
	for (size_t i = 0; i < c->nmacros; i++)
		if (strcmp(c->macros[i].name, name) == 0) {
			conf_diag(c, true, file, line, "domain-macro: \"%s\" "
			    "is already defined in line %d of %s", name,
			    c->macros[i].line, c->macros[i].file);
			free(name);
			return;
		}
	m = reallocarray(c->macros, c->nmacros + 1, sizeof(*m));
	if (m == NULL) {
		free(name);
		return;
	}
	c->macros = m;
	m = &c->macros[c->nmacros];
	m->name = name;
	if ((m->value = strdup(trim(sp))) == NULL) {
		free(name);
		return;
	}
	m->file = file;
	m->line = line;
	c->nmacros++;
}

/* include PATTERN: every file the pattern names, relative to this file. */
static void
include_files(struct conf *c, const char *value, const char *file, int line,
    struct conf_block *cur)
{
	char pat[PATH_MAX], unq[PATH_MAX];
	const char *slash;
	glob_t g;
	int r;

	if (conf_unquote(value, unq, sizeof(unq)) == NULL || *unq == '\0') {
		conf_diag(c, true, file, line, "include: bad file name");
		return;
	}
	slash = strrchr(file, '/');
	if (unq[0] == '/' || slash == NULL)
		r = snprintf(pat, sizeof(pat), "%s", unq);
	else
		r = snprintf(pat, sizeof(pat), "%.*s/%s",
		    (int)(slash - file), file, unq);
	if (r < 0 || (size_t)r >= sizeof(pat)) {
		conf_diag(c, true, file, line, "include: name too long");
		return;
	}
	r = glob(pat, GLOB_ERR, NULL, &g);
	if (r == GLOB_NOMATCH) {
		/* A wildcard may match nothing; a plain name must exist. */
		if (strpbrk(unq, "*?[") == NULL)
			conf_diag(c, true, file, line, "include: %s: %s",
			    pat, strerror(ENOENT));
		return;
	}
	if (r != 0) {
		conf_diag(c, true, file, line, "include: %s: cannot read",
		    pat);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		read_file(c, g.gl_pathv[i], cur, file, line);
	globfree(&g);
}

static struct conf_block *
parse_line(struct conf *c, struct conf_block *cur, char *s,
    const char *file, int line)
{
	const struct conf_def *def;
	char *name, *value, *end;
	bool known;

	if (!quotes_balanced(s)) {
		conf_diag(c, true, file, line, "unterminated quoted string");
		return cur;
	}
	if (*s == '<') {
		end = s + strlen(s) - 1;
		if (*end != '>') {
			conf_diag(c, true, file, line, "tag without \">\"");
			return cur;
		}
		*end = '\0';
		if (*trim(s + 1 + (s[1] == '/')) == '\0') {
			conf_diag(c, true, file, line, "empty tag");
			return cur;
		}
		if (s[1] == '/')
			return close_block(c, cur, trim(s + 2), file, line);
		return open_block(c, cur, trim(s + 1), file, line);
	}
	if (cur->scope == CONF_S_BOUNCE_CAT && *s == '/') {
		add_directive(c, cur, &conf_defs[CONF_CATEGORY_PATTERN], s,
		    file, line);
		return cur;
	}
	/* <address-list>: a bare /regex/ is an address pattern */
	if (cur->scope == CONF_S_ADDRESS_LIST && *s == '/') {
		add_directive(c, cur, &conf_defs[CONF_ADDRESS], s, file, line);
		return cur;
	}
	name = s;
	value = s + strcspn(s, " \t");
	if (*value != '\0')
		*value++ = '\0';
	value = trim(value);
	if (cur->scope == 0)
		return cur;	/* inside an unknown block: reported */
	if ((def = find_def(name, cur->scope, &known)) == NULL) {
		const char *near;

		if (known)
			conf_diag(c, true, file, line, "directive \"%s\" is "
			    "not allowed in %s%s%s", name,
			    cur->scope == CONF_S_GLOBAL ? "the " : "<",
			    conf_scope_name(cur->scope),
			    cur->scope == CONF_S_GLOBAL ? " scope" : ">");
		else if ((near = near_miss(name)) != NULL)
			conf_diag(c, true, file, line, "unknown directive "
			    "\"%s\" (did you mean \"%s\"?)", name, near);
		else
			conf_diag(c, true, file, line,
			    "unknown directive \"%s\"", name);
		return cur;
	}
	if (*value == '\0') {
		conf_diag(c, true, file, line, "%s: missing value", name);
		return cur;
	}
	switch (def->type) {
	case CONF_T_INCLUDE:
		include_files(c, value, file, line, cur);
		break;
	case CONF_T_MACRO:
		add_macro(c, value, file, line);
		break;
	default:
		add_directive(c, cur, def, value, file, line);
		break;
	}
	return cur;
}

/* Did this file include itself, directly or not? */
static bool
include_loop(struct conf *c, const char *real)
{
	for (int i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], real) == 0)
			return true;
	return false;
}

/*
 * Read one line of at most CONF_MAXLINE bytes into buf; a longer line is
 * consumed and reported.  Returns the length, or -1 at the end.
 */
static ssize_t
read_line(FILE *fp, char *buf, bool *toolong, bool *nul)
{
	size_t n = 0;
	int ch;

	*toolong = *nul = false;
	while ((ch = getc(fp)) != EOF) {
		if (ch == '\n')
			break;
		if (ch == '\0')
			*nul = true;
		if (n < CONF_MAXLINE)
			buf[n++] = (char)ch;
		else
			*toolong = true;
	}
	if (ch == EOF && n == 0)
		return -1;
	buf[n] = '\0';
	return (ssize_t)n;
}

static void
read_lines(struct conf *c, FILE *fp, const char *file,
    struct conf_block *top)
{
	struct conf_block *cur = top;
	bool toolong, nul;
	char *line, *s;
	int lineno = 0;

	if ((line = malloc(CONF_MAXLINE + 1)) == NULL) {
		conf_diag(c, true, file, 0, "out of memory");
		return;
	}
	while (read_line(fp, line, &toolong, &nul) != -1) {
		lineno++;
		if (toolong) {
			conf_diag(c, true, file, lineno, "line too long");
			continue;
		}
		if (nul) {
			conf_diag(c, true, file, lineno, "NUL byte in line");
			continue;
		}
		strip_comment(line);
		s = trim(line);
		if (*s != '\0')
			cur = parse_line(c, cur, s, file, lineno);
	}
	if (ferror(fp))
		conf_diag(c, true, file, 0, "read error: %s", strerror(errno));
	free(line);
	for (; cur != top; cur = cur->parent)
		conf_diag(c, true, file, cur->line, "<%s%s%s> is never closed",
		    cur->tag, cur->arg ? " " : "", cur->arg ? cur->arg : "");
}

/*
 * Read path into block top.  Problems with the file itself are reported
 * at the include line that named it (from, line), or at the file.
 */
static void
read_file(struct conf *c, const char *path, struct conf_block *top,
    const char *from, int fromline)
{
	char real[PATH_MAX];
	const char *file;
	struct stat st;
	FILE *fp;
	int fd;

	file = keep_string(c, path);
	if (from == NULL) {
		from = file;
		fromline = 0;
	}
	if (c->depth >= CONF_MAXDEPTH) {
		conf_diag(c, true, from, fromline, "include %s: nested too "
		    "deeply", file);
		return;
	}
	/* O_NONBLOCK: a FIFO named by mistake must not hang the reader. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (fromline == 0)
			conf_diag(c, true, from, 0, "cannot open: %s",
			    strerror(errno));
		else
			conf_diag(c, true, from, fromline, "cannot open %s: %s",
			    file, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_diag(c, true, from, fromline, "%s: not a regular file",
		    file);
		close(fd);
		return;
	}
	if (realpath(path, real) == NULL)
		(void)strlcpy(real, path, sizeof(real));
	if (include_loop(c, real)) {
		conf_diag(c, true, from, fromline, "include loop: %s "
		    "includes itself", file);
		close(fd);
		return;
	}
	if ((fp = fdopen(fd, "r")) == NULL ||
	    (c->stack[c->depth] = strdup(real)) == NULL) {
		conf_diag(c, true, from, fromline, "%s: %s", file,
		    strerror(errno));
		if (fp != NULL)
			fclose(fp);
		else
			close(fd);
		return;
	}
	c->depth++;
	read_lines(c, fp, file, top);
	free(c->stack[--c->depth]);
	fclose(fp);
}

static void
load_defaults(struct conf *c)
{
	char err[CONF_ERRLEN];

	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		struct conf_directive *d = &c->defaults[i];

		if (conf_defs[i].def == NULL)
			continue;
		d->def = &conf_defs[i];
		d->file = "(default)";
		if ((d->text = strdup(conf_defs[i].def)) == NULL ||
		    conf_value_parse(d, err, sizeof(err)) == -1)
			PANIC("default of %s: %s", conf_defs[i].name,
			    d->text ? err : "out of memory");
		c->has_default[i] = true;
	}
}

/* Expand macros and parse patterns of every <domain> block. */
static void
finish_blocks(struct conf *c, struct conf_block *b)
{
	for (struct conf_block *k = b->child; k != NULL; k = k->next) {
		if (k->scope == CONF_S_DOMAIN)
			(void)conf_expand_domains(c, k);
		finish_blocks(c, k);
	}
}

/* Cross-references: names that must be defined elsewhere. */
static void
check_references(struct conf *c, const struct conf_block *b)
{
	static const struct {
		enum conf_id id;
		enum conf_scope target;
		unsigned in;
	} refs[] = {
		{ CONF_SMTP_PATTERN_LIST, CONF_S_SMTP_PATTERNS, CONF_S_DOMAIN },
		{ CONF_VIRTUAL_MTA, CONF_S_VMTA, CONF_S_POOL },
		{ CONF_DEFAULT_VIRTUAL_MTA, CONF_S_VMTA, CONF_S_SOURCE },
		{ CONF_PATTERN_LIST, CONF_S_PATTERNS, CONF_S_SOURCE },
	};

	for (const struct conf_block *k = b->child; k != NULL; k = k->next)
		check_references(c, k);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		if ((b->scope & refs[i].in) == 0)
			continue;
		for (const struct conf_directive *d = b->dirs; d != NULL;
		    d = d->next) {
			if (d->def->id != refs[i].id || d->cleared)
				continue;
			if (conf_find_block(c, refs[i].target, d->str) != NULL)
				continue;
			/* A pool may stand where a virtual MTA may. */
			if (refs[i].target == CONF_S_VMTA &&
			    conf_find_block(c, CONF_S_POOL, d->str) != NULL)
				continue;
			conf_diag(c, true, d->file, d->line,
			    "%s: \"%s\" is not defined", d->def->name, d->str);
		}
	}
}

/* conf_load - read and check a configuration file and its includes */
struct conf *
conf_load(const char *path)
{
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->root.scope = CONF_S_GLOBAL;
	c->root.tag = "global";
	c->root.file = keep_string(c, path);
	c->root.dirs_tail = &c->root.dirs;
	load_defaults(c);
	read_file(c, path, &c->root, NULL, 0);
	finish_blocks(c, &c->root);
	check_references(c, &c->root);
	return c;
}

static void
free_block(struct conf_block *b)
{
	struct conf_block *k, *knext;
	struct conf_directive *d, *dnext;

	for (d = b->dirs; d != NULL; d = dnext) {
		dnext = d->next;
		conf_value_free(d);
		free(d->text);
		free(d);
	}
	for (k = b->child; k != NULL; k = knext) {
		knext = k->next;
		free_block(k);
		free(k);
	}
	free(b->arg);
	free(b->pats);
}

/* conf_free - release everything conf_load made */
void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free_block(&c->root);
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		conf_value_free(&c->defaults[i]);
		free(c->defaults[i].text);
	}
	for (size_t i = 0; i < c->ndiags; i++)
		free(c->diags[i].text);
	free(c->diags);
	for (size_t i = 0; i < c->nmacros; i++) {
		free(c->macros[i].name);
		free(c->macros[i].value);
	}
	free(c->macros);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

/* conf_errors - how many errors the files had */
size_t
conf_errors(const struct conf *c)
{
	return c->nerrors;
}

/* conf_warnings - how many warnings */
size_t
conf_warnings(const struct conf *c)
{
	return c->nwarnings;
}

/* conf_print_diags - every error and warning, one a line, in file order */
void
conf_print_diags(const struct conf *c, FILE *fp)
{
	for (size_t i = 0; i < c->ndiags; i++)
		fprintf(fp, "%s\n", c->diags[i].text);
}

/* conf_root - the global scope */
const struct conf_block *
conf_root(const struct conf *c)
{
	return &c->root;
}

/* conf_find_block - the global block of this kind and name, or NULL */
const struct conf_block *
conf_find_block(const struct conf *c, enum conf_scope scope,
    const char *name)
{
	for (const struct conf_block *b = c->root.child; b != NULL;
	    b = b->next)
		if (b->scope == scope && (name == NULL ||
		    (b->arg != NULL && strcmp(b->arg, name) == 0)))
			return b;
	return NULL;
}

/* conf_block_get - the last directive id in block b, or NULL */
const struct conf_directive *
conf_block_get(const struct conf_block *b, enum conf_id id)
{
	const struct conf_directive *last = NULL;

	for (const struct conf_directive *d = b->dirs; d != NULL; d = d->next)
		if (d->def->id == id)
			last = d;
	return last;
}

/* conf_block_next - the directive id after prev in b (first if NULL) */
const struct conf_directive *
conf_block_next(const struct conf_block *b, const struct conf_directive *prev,
    enum conf_id id)
{
	const struct conf_directive *d;

	for (d = prev != NULL ? prev->next : b->dirs; d != NULL; d = d->next)
		if (d->def->id == id)
			return d;
	return NULL;
}
