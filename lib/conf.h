/*
 * conf - mta.conf(5): PowerMTA's configuration language.
 *
 * conf_load() reads a file (and its includes) into a tree of blocks and
 * directives, checks every value against the one directive table
 * (conf_directives.h) and collects every error, not just the first.
 * conf_resolve_*() answer "which settings apply here" for a delivery
 * queue (domain/vmta) or a connecting source; the conf_*() accessors read
 * one setting, falling back to the table's default.
 */
#ifndef MTA_CONF_H
#define MTA_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "confval.h"

#ifndef MTA_SPOOLDIR
#define MTA_SPOOLDIR	"/var/spool/mta"	/* make SPOOLDIR=... */
#endif

/* Where a directive may stand: the global scope and each kind of block. */
enum conf_scope {
	CONF_S_GLOBAL		= 1 << 0,
	CONF_S_DOMAIN		= 1 << 1,
	CONF_S_VMTA		= 1 << 2,
	CONF_S_POOL		= 1 << 3,
	CONF_S_SOURCE		= 1 << 4,
	CONF_S_ACCT		= 1 << 5,
	CONF_S_LISTENER		= 1 << 6,
	CONF_S_SPOOL		= 1 << 7,
	CONF_S_SMTP_PATTERNS	= 1 << 8,
	CONF_S_PATTERNS		= 1 << 9,
	CONF_S_ROLLUP		= 1 << 10,
	CONF_S_BOUNCE_CAT	= 1 << 11,
	CONF_S_SMTP_USER	= 1 << 12,
	CONF_S_ACCEPT		= 1 << 13,
	CONF_S_DKIM		= 1 << 14,
	CONF_S_DOMAIN_KEY	= 1 << 15,
	CONF_S_DKEY_LIST	= 1 << 16,
	CONF_S_BOUNCE_ACTION	= 1 << 17,
	CONF_S_HTTP		= 1 << 18,
	CONF_S_SMTP_SERVER	= 1 << 19,
	CONF_S_ADDRESS_LIST	= 1 << 20,
	CONF_S_SOURCE_POOL	= 1 << 21
};

/* The value types of the directive table. */
enum conf_type {
	CONF_T_BOOL,		/* num: 0 or 1 */
	CONF_T_INT,		/* num: >= 0 */
	CONF_T_SIZE,		/* num: bytes */
	CONF_T_INTERVAL,	/* num: seconds */
	CONF_T_INTERVAL_NEVER,	/* num: seconds or CONFVAL_NEVER */
	CONF_T_INTERVALS,	/* obj: struct confval_intervals */
	CONF_T_RATE,		/* obj: struct confval_rate */
	CONF_T_ENUM,		/* num: index into the table's values */
	CONF_T_STRING,		/* str: unquoted */
	CONF_T_PATH,		/* str */
	CONF_T_HOST,		/* str: a host name */
	CONF_T_EMAIL,		/* str */
	CONF_T_NAME,		/* str: a block name (vmta, pattern list...) */
	CONF_T_WORDS,		/* str: a list of words, "," or " " apart */
	CONF_T_TEXT,		/* str: free text */
	CONF_T_CIDR,		/* obj: struct confval_cidr */
	CONF_T_HOSTS,		/* obj: struct confval_hosts */
	CONF_T_LISTENER,	/* obj: struct conf_listener */
	CONF_T_SOURCE_HOST,	/* obj: struct conf_source_host */
	CONF_T_DOMAIN_KEY,	/* obj: struct conf_domain_key */
	CONF_T_RETRY,		/* obj: intervals, or a conf_retry_rule */
	CONF_T_REPLY_RULE,	/* obj: struct conf_reply_rule */
	CONF_T_MATCH_RULE,	/* obj: struct conf_match_rule */
	CONF_T_ROLLUP,		/* obj: struct conf_rollup */
	CONF_T_CATEGORY_RULE,	/* obj: struct conf_category_rule */
	CONF_T_RECORD_FIELDS,	/* str: "TYPE field,field..." */
	CONF_T_MACRO,		/* str: "name value, value..." */
	CONF_T_INCLUDE		/* handled while reading */
};

#define CONF_DIRECTIVE(id, name, type, scopes, def, impl, values) id,
enum conf_id {
#include "conf_directives.h"
	CONF_NDIRECTIVES
};
#undef CONF_DIRECTIVE

/* One row of the directive table. */
struct conf_def {
	enum conf_id	 id;
	const char	*name;
	enum conf_type	 type;
	unsigned	 scopes;
	const char	*def;		/* default as written, or NULL */
	bool		 implemented;
	const char	*values;	/* CONF_T_ENUM: "a|b|c" */
};

struct rx;

/* smtp-listener ADDR:PORT [source=NAME] [key=value...] */
struct conf_listener {
	struct confval_listener addr;
	char	*source;	/* source=NAME, or NULL */
};

/* smtp-source-host IP [HOSTNAME], smtp-source-ip IP */
struct conf_source_host {
	struct confval_cidr addr;	/* a single address (/32 or /128) */
	char	*hostname;		/* or NULL */
};

/* domain-key SELECTOR,DOMAIN|*,PATH */
struct conf_domain_key {
	char	*selector;
	char	*domain;		/* "*" for any */
	char	*path;
};

/* retry-after CODE STATUS-OR-TEXT DELAY inside a <domain> */
struct conf_retry_rule {
	int	 code;			/* SMTP reply code, e.g. 421 */
	char	*match;			/* "4.7.0", or text such as "TS01" */
	int64_t	 delay;			/* seconds */
};

/* reply /re/ ACTION[,ACTION...] in <smtp-pattern-list> */
enum conf_reply_action {
	CONF_ACT_BACKOFF	= 1 << 0,
	CONF_ACT_NORMAL		= 1 << 1,
	CONF_ACT_SKIP_MX	= 1 << 2,
	CONF_ACT_BOUNCE_QUEUE	= 1 << 3,
	CONF_ACT_BOUNCE_RCPT	= 1 << 4,
	CONF_ACT_DEFER_QUEUE	= 1 << 5,
	CONF_ACT_DISABLE_SRC	= 1 << 6
};
struct conf_reply_rule {
	struct rx *rx;
	unsigned actions;
	int64_t	 reenable_after;	/* seconds, 0: not given */
};

/* mail-from|rcpt-to /re/ ..., header NAME /re/ ... in <pattern-list> */
enum conf_match_kind {
	CONF_MATCH_MAIL_FROM,
	CONF_MATCH_RCPT_TO,
	CONF_MATCH_HEADER
};
struct conf_match_rule {
	enum conf_match_kind kind;
	char	*header;		/* CONF_MATCH_HEADER */
	struct rx *rx;
	char	*vmta;			/* virtual-mta=NAME, or NULL */
	char	*job;			/* job=ID, or NULL */
};

/* mx PATTERN NAME [rollup-by-ip] in <mx-rollup-list> */
struct conf_rollup {
	char	*pattern;		/* shell-style: *.google.com */
	char	*name;
	bool	 by_ip;
};

/* /re/ CATEGORY in <bounce-category-patterns> */
struct conf_category_rule {
	struct rx *rx;
	char	*category;
};

/* One directive as written. */
struct conf_directive {
	const struct conf_def *def;
	const char *file;
	int	 line;
	char	*text;			/* the value, comments stripped */
	bool	 cleared;		/* written as "": back to the default */
	int64_t	 num;
	char	*str;
	void	*obj;
	struct conf_directive *next;	/* in its block, file order */
};

/* A domain pattern of a <domain> block. */
struct conf_pattern {
	struct confval_domain dom;
	bool	 from_macro;		/* came from a $macro */
};

enum conf_source_kind {
	CONF_SRC_CIDR,			/* <source 10/8> */
	CONF_SRC_ANY,			/* <source *> */
	CONF_SRC_NAMED			/* <source {auth}>, <source inject> */
};

/* A block, or the global scope (the root). */
struct conf_block {
	enum conf_scope scope;
	const char *tag;
	char	*arg;			/* as written, or NULL */
	const char *file;
	int	 line;
	int	 order;			/* file order over all blocks */
	struct conf_block *parent, *child, *next;
	struct conf_directive *dirs, **dirs_tail;
	struct conf_pattern *pats;	/* <domain>: its patterns */
	size_t	 npats;
	enum conf_source_kind srckind;	/* <source>, <accepted-connect> */
	struct confval_cidr cidr;
};

struct conf;

/* The settings that apply to one queue or source. */
struct conf_settings {
	const struct conf *conf;
	const struct conf_directive *d[CONF_NDIRECTIVES];
};

extern const struct conf_def conf_defs[CONF_NDIRECTIVES];

struct conf *conf_load(const char *);
void	conf_free(struct conf *);
size_t	conf_errors(const struct conf *);
size_t	conf_warnings(const struct conf *);
void	conf_print_diags(const struct conf *, FILE *);
const struct conf_block *conf_root(const struct conf *);
const struct conf_def *conf_def_byname(const char *);
const char *conf_type_name(enum conf_type);
const char *conf_scope_name(enum conf_scope);

const struct conf_block *conf_find_block(const struct conf *,
	    enum conf_scope, const char *);
const struct conf_directive *conf_block_get(const struct conf_block *,
	    enum conf_id);
const struct conf_directive *conf_block_next(const struct conf_block *,
	    const struct conf_directive *, enum conf_id);

void	conf_resolve_global(const struct conf *, struct conf_settings *);
void	conf_resolve_queue(const struct conf *, const char *, const char *,
	    struct conf_settings *);
void	conf_resolve_pattern(const struct conf *,
	    const struct confval_domain *, const char *,
	    struct conf_settings *);
void	conf_resolve_source(const struct conf *, enum conf_scope, int,
	    const void *, const char *, struct conf_settings *);

bool	conf_multi(enum conf_id);
const struct conf_directive *conf_get(const struct conf_settings *,
	    enum conf_id);
const struct conf_directive *conf_next(const struct conf_directive *);
int64_t	conf_num(const struct conf_settings *, enum conf_id);
bool	conf_bool(const struct conf_settings *, enum conf_id);
const char *conf_str(const struct conf_settings *, enum conf_id);
const void *conf_obj(const struct conf_settings *, enum conf_id);
struct buf;
int	conf_name_servers(const struct conf_settings *, struct buf *);

void	conf_print_settings(const struct conf_settings *, FILE *);
void	conf_print_queues(const struct conf *, FILE *);

#endif
