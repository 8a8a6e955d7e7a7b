/*
 * acct - PowerMTA accounting records from journal records: the record
 * types, the field table with each type's default columns, record-fields
 * ("*", "!field", "header_NAME"), and CSV rows through libcsv.
 *
 * Invariants: a row has exactly the layout's columns; "type" is always
 * the first; a cell is quoted only when it must be (RFC 4180), so the
 * rows read as PowerMTA's do; no cell ever holds a bare CR or LF
 * outside quotes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <csv.h>

#include "err.h"
#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "journal.h"
#include "proto.h"

enum field {
	F_TYPE, F_TIME_LOGGED, F_TIME_QUEUED, F_TOTAL_SECONDS, F_ORIG, F_RCPT,
	F_ORCPT, F_DSN_ACTION, F_DSN_STATUS, F_DSN_DIAG, F_DSN_MTA,
	F_BOUNCE_CAT, F_SRC_TYPE, F_SRC_MTA, F_DLV_TYPE, F_DLV_SOURCE_IP,
	F_DLV_DEST_IP, F_DLV_ESMTP, F_DLV_SIZE, F_VMTA, F_JOB_ID, F_ENV_ID,
	F_QUEUE, F_VMTA_POOL, F_USER_STRING, F_TLS_PROTOCOL, F_TLS_CIPHER,
	F_RCV_SMTP_USER, F_RCV_SOURCE_IP, F_RCV_DEST_IP, F_DSN_REPORTING_MTA,
	F_FORMAT, F_FEEDBACK_TYPE, F_USER_AGENT, F_REPORTING_MTA,
	F_REPORTED_DOMAIN, F_REP_SOURCE_IP, F_HEADER, F_NFIELDS
};

/*
 * The field names as PowerMTA writes them, and the journal key a value
 * comes from when no outcome member holds it (NULL: computed).
 */
static const struct {
	const char *name;
	const char *key;
} fields[F_NFIELDS] = {
	[F_TYPE] = { "type", NULL },
	[F_TIME_LOGGED] = { "timeLogged", NULL },
	[F_TIME_QUEUED] = { "timeQueued", NULL },
	[F_TOTAL_SECONDS] = { "totalSecondsQueued", NULL },
	[F_ORIG] = { "orig", NULL },
	[F_RCPT] = { "rcpt", NULL },
	[F_ORCPT] = { "orcpt", NULL },
	[F_DSN_ACTION] = { "dsnAction", NULL },
	[F_DSN_STATUS] = { "dsnStatus", NULL },
	[F_DSN_DIAG] = { "dsnDiag", NULL },
	[F_DSN_MTA] = { "dsnMta", NULL },
	[F_BOUNCE_CAT] = { "bounceCat", NULL },
	[F_SRC_TYPE] = { "srcType", "src-type" },
	[F_SRC_MTA] = { "srcMta", "src-mta" },
	[F_DLV_TYPE] = { "dlvType", NULL },
	[F_DLV_SOURCE_IP] = { "dlvSourceIp", NULL },
	[F_DLV_DEST_IP] = { "dlvDestinationIp", NULL },
	[F_DLV_ESMTP] = { "dlvEsmtpAvailable", NULL },
	[F_DLV_SIZE] = { "dlvSize", NULL },
	[F_VMTA] = { "vmta", NULL },
	[F_JOB_ID] = { "jobId", NULL },
	[F_ENV_ID] = { "envId", NULL },
	[F_QUEUE] = { "queue", NULL },
	[F_VMTA_POOL] = { "vmtaPool", NULL },
	[F_USER_STRING] = { "userString", NULL },
	[F_TLS_PROTOCOL] = { "dlvTlsProtocol", NULL },
	[F_TLS_CIPHER] = { "dlvTlsCipher", NULL },
	[F_RCV_SMTP_USER] = { "rcvSmtpUser", "rcv-smtp-user" },
	[F_RCV_SOURCE_IP] = { "rcvSourceIp", NULL },
	[F_RCV_DEST_IP] = { "rcvDestinationIp", "rcv-destination-ip" },
	[F_DSN_REPORTING_MTA] = { "dsnReportingMta", "dsn-reporting-mta" },
	[F_FORMAT] = { "format", "format" },
	[F_FEEDBACK_TYPE] = { "feedbackType", "feedback-type" },
	[F_USER_AGENT] = { "userAgent", "user-agent" },
	[F_REPORTING_MTA] = { "reportingMta", "reporting-mta" },
	[F_REPORTED_DOMAIN] = { "reportedDomain", "reported-domain" },
	[F_REP_SOURCE_IP] = { "repSourceIp", "rep-source-ip" },
	[F_HEADER] = { "header_", NULL },
};

#define END	(-1)

/* Each type's columns when record-fields does not say (after "type"). */
static const int dflt_dbt[] = {
	F_TIME_LOGGED, F_TIME_QUEUED, F_ORIG, F_RCPT, F_ORCPT, F_DSN_ACTION,
	F_DSN_STATUS, F_DSN_DIAG, F_DSN_MTA, F_BOUNCE_CAT, F_SRC_TYPE,
	F_SRC_MTA, F_DLV_TYPE, F_DLV_SOURCE_IP, F_DLV_DEST_IP, F_DLV_ESMTP,
	F_DLV_SIZE, F_VMTA, F_JOB_ID, F_ENV_ID, F_QUEUE, F_VMTA_POOL, END
};
static const int dflt_tq[] = {
	F_TIME_LOGGED, F_DSN_STATUS, F_DSN_DIAG, F_DSN_MTA, F_DLV_TYPE,
	F_DLV_SOURCE_IP, F_DLV_DEST_IP, F_VMTA, F_QUEUE, END
};
static const int dflt_r[] = {
	F_TIME_LOGGED, F_ORIG, F_RCPT, F_ORCPT, F_SRC_TYPE, F_SRC_MTA,
	F_RCV_SOURCE_IP, F_RCV_DEST_IP, F_DLV_SIZE, F_VMTA, F_JOB_ID,
	F_ENV_ID, END
};
static const int dflt_f[] = {
	F_TIME_LOGGED, F_FORMAT, F_USER_AGENT, F_ENV_ID, F_ORIG, F_RCPT,
	F_REPORTING_MTA, F_DLV_SOURCE_IP, END
};
static const int dflt_rb[] = {
	F_TIME_LOGGED, F_ORIG, F_RCPT, F_ORCPT, F_DSN_STATUS, F_DSN_DIAG,
	F_DSN_MTA, F_DSN_REPORTING_MTA, F_BOUNCE_CAT, F_SRC_TYPE, F_SRC_MTA,
	F_ENV_ID, END
};
static const int dflt_rs[] = {
	F_TIME_LOGGED, F_ORIG, F_RCPT, F_ORCPT, F_DSN_ACTION, F_DSN_STATUS,
	F_DSN_DIAG, F_DSN_MTA, F_BOUNCE_CAT, F_SRC_TYPE, F_SRC_MTA, F_ENV_ID,
	END
};

static const struct {
	const char *names[4];		/* short first: what "type" holds */
	const int *dflt;
} types[ACCT_NTYPES] = {
	[ACCT_D] = { { "d", "delivery", "delivered", NULL }, dflt_dbt },
	[ACCT_B] = { { "b", "bounce", "bounced", NULL }, dflt_dbt },
	[ACCT_T] = { { "t", "transient", NULL }, dflt_dbt },
	[ACCT_TQ] = { { "tq", "transient-queue", NULL }, dflt_tq },
	[ACCT_R] = { { "r", "receive", "received", NULL }, dflt_r },
	[ACCT_F] = { { "f", "feedback-loop", "feedback", NULL }, dflt_f },
	[ACCT_RB] = { { "rb", "remote-bounce", NULL }, dflt_rb },
	[ACCT_RS] = { { "rs", "remote-status", NULL }, dflt_rs },
};

/* Journal verbs and the record type each one makes (mta-acct(8)). */
static const struct {
	const char *verb;
	enum acct_type type;
} verbs[] = {
	{ "delivered", ACCT_D },
	{ "failed", ACCT_B },
	{ "expired", ACCT_B },
	{ "deferred", ACCT_T },
	{ "qdeferred", ACCT_TQ },
	{ "received", ACCT_R },
	{ "complaint", ACCT_F },
	{ "bounced", ACCT_RB },
	{ "status", ACCT_RS },
};

static int
type_byname(const char *s, size_t n)
{
	for (int t = 0; t < ACCT_NTYPES; t++)
		for (size_t i = 0; types[t].names[i] != NULL; i++)
			if (strlen(types[t].names[i]) == n &&
			    strncasecmp(types[t].names[i], s, n) == 0)
				return t;
	return -1;
}

/*
 * acct_types_parse - the record types of a "records" value, such as
 * "d,b" or "delivery bounce t"
 */
int
acct_types_parse(const char *s, unsigned *mask, char *err, size_t errlen)
{
	unsigned m = 0;
	size_t n;
	int t;

	while (*s != '\0') {
		n = strcspn(s, ", \t");
		if (n > 0) {
			if ((t = type_byname(s, n)) == -1) {
				err_msg(err, errlen, "unknown record type "
				    "\"%.*s\"", (int)n, s);
				errno = EINVAL;
				return -1;
			}
			m |= 1u << t;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	if (m == 0) {
		err_msg(err, errlen, "no record type");
		errno = EINVAL;
		return -1;
	}
	*mask = m;
	return 0;
}

/*
 * acct_conf_wants - does some <acct-file> of c take records of type t?
 * (a "records" value that does not parse takes none: mta-acct refuses it)
 */
bool
acct_conf_wants(const struct conf *c, enum acct_type t)
{
	const struct conf_directive *d;
	unsigned mask;
	char err[256];

	for (const struct conf_block *b = conf_root(c)->child; b != NULL;
	    b = b->next) {
		if (b->scope != CONF_S_ACCT)
			continue;
		mask = ACCT_DEFAULT_TYPES;
		if ((d = conf_block_get(b, CONF_RECORDS)) != NULL &&
		    !d->cleared && acct_types_parse(d->str != NULL ? d->str :
		    d->text, &mask, err, sizeof(err)) == -1)
			continue;
		if (mask & (1u << t))
			return true;
	}
	return false;
}

/* acct_type_name - the short name of a type, as the "type" column holds */
const char *
acct_type_name(enum acct_type t)
{
	if ((unsigned)t >= ACCT_NTYPES)
		return "?";
	return types[t].names[0];
}

/* acct_type_of_verb - the record type of a journal verb, or -1 */
int
acct_type_of_verb(const char *verb)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].verb, verb) == 0)
			return verbs[i].type;
	return -1;
}

static int
field_byname(const char *s, size_t n)
{
	for (int f = 0; f < F_HEADER; f++)
		if (strlen(fields[f].name) == n &&
		    strncasecmp(fields[f].name, s, n) == 0)
			return f;
	return -1;
}

/* a column for a field name, or header_NAME; -1 if unknown */
static int
make_col(struct acct_col *c, const char *s, size_t n)
{
	int f;

	memset(c, 0, sizeof(*c));
	if (n > 7 && strncasecmp(s, "header_", 7) == 0) {
		if (n >= sizeof(c->name))
			return -1;
		c->field = F_HEADER;
		memcpy(c->name, s, n);
		/* header_X-Job is journal key header-x-job */
		memcpy(c->key, "header-", 7);
		for (size_t i = 7; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];

			if (!isalnum(ch) && ch != '-')
				return -1;
			c->key[i] = (char)tolower(ch);
		}
		return 0;
	}
	if ((f = field_byname(s, n)) == -1 || f == F_TYPE)
		return -1;
	c->field = f;
	(void)strlcpy(c->name, fields[f].name, sizeof(c->name));
	if (fields[f].key != NULL)
		(void)strlcpy(c->key, fields[f].key, sizeof(c->key));
	return 0;
}

static bool
col_same(const struct acct_col *a, const struct acct_col *b)
{
	if (a->field != b->field)
		return false;
	return a->field != F_HEADER || strcasecmp(a->name, b->name) == 0;
}

static bool
col_in(const struct acct_col *list, size_t n, const struct acct_col *c)
{
	for (size_t i = 0; i < n; i++)
		if (col_same(&list[i], c))
			return true;
	return false;
}

static int
col_add(struct acct_col *list, size_t *n, const struct acct_col *c)
{
	if (col_in(list, *n, c))
		return 0;
	if (*n + 1 >= ACCT_MAXCOLS)
		return -1;
	list[(*n)++] = *c;
	return 0;
}

static void
set_default(struct acct_layout *l, enum acct_type t)
{
	struct acct_col c;

	l->tn[t] = 0;
	for (const int *f = types[t].dflt; *f != END; f++) {
		(void)make_col(&c, fields[*f].name, strlen(fields[*f].name));
		(void)col_add(l->tcols[t], &l->tn[t], &c);
	}
}

/* acct_layout_init - a layout of the given types, default columns */
void
acct_layout_init(struct acct_layout *l, unsigned typemask)
{
	memset(l, 0, sizeof(*l));
	l->types = typemask;
	l->iso_times = true;
	for (int t = 0; t < ACCT_NTYPES; t++)
		set_default(l, t);
}

/*
 * acct_layout_fields - apply one record-fields value, "TYPE f1,f2,...":
 * the listed fields in order, "*" the type's default fields not listed
 * yet, "!field" leaves a field out wherever it stands
 */
int
acct_layout_fields(struct acct_layout *l, const char *spec, char *err,
    size_t errlen)
{
	struct acct_col list[ACCT_MAXCOLS], drop[ACCT_MAXCOLS], c;
	size_t nlist = 0, ndrop = 0, n;
	const char *s = spec;
	int t;

	n = strcspn(s, " \t");
	if ((t = type_byname(s, n)) == -1) {
		err_msg(err, errlen, "record-fields: unknown record type "
		    "\"%.*s\"", (int)n, s);
		goto inval;
	}
	s += n;
	s += strspn(s, " \t");
	while (*s != '\0') {
		bool neg = false, star = false;

		n = strcspn(s, ", \t");
		if (n == 1 && *s == '*')
			star = true;
		else if (n > 1 && *s == '!')
			neg = true;
		if (star) {
			for (const int *f = types[t].dflt; *f != END; f++) {
				(void)make_col(&c, fields[*f].name,
				    strlen(fields[*f].name));
				if (col_add(list, &nlist, &c) == -1)
					goto toomany;
			}
		} else if (n > 0 && make_col(&c, s + neg, n - neg) == -1) {
			err_msg(err, errlen, "record-fields: unknown field "
			    "\"%.*s\"", (int)n, s);
			goto inval;
		} else if (n > 0 && neg) {
			if (col_add(drop, &ndrop, &c) == -1)
				goto toomany;
		} else if (n > 0 && col_add(list, &nlist, &c) == -1)
			goto toomany;
		s += n;
		s += strspn(s, ", \t");
	}
	l->tn[t] = 0;
	for (size_t i = 0; i < nlist; i++)
		if (!col_in(drop, ndrop, &list[i]))
			l->tcols[t][l->tn[t]++] = list[i];
	l->tset[t] = true;
	return 0;
toomany:
	err_msg(err, errlen, "record-fields: more than %d fields",
	    ACCT_MAXCOLS - 2);
inval:
	errno = EINVAL;
	return -1;
}

/* acct_layout_finish - the file's columns: the union over its types */
void
acct_layout_finish(struct acct_layout *l)
{
	struct acct_col type = { F_TYPE, "type", "" };

	l->ncols = 0;
	l->cols[l->ncols++] = type;
	memset(l->has, 0, sizeof(l->has));
	for (int t = 0; t < ACCT_NTYPES; t++) {
		if ((l->types & (1u << t)) == 0)
			continue;
		for (size_t i = 0; i < l->tn[t]; i++)
			(void)col_add(l->cols, &l->ncols, &l->tcols[t][i]);
	}
	for (int t = 0; t < ACCT_NTYPES; t++) {
		l->has[t][0] = true;
		for (size_t k = 1; k < l->ncols; k++)
			l->has[t][k] = col_in(l->tcols[t], l->tn[t],
			    &l->cols[k]);
	}
}

/* one cell, quoted by libcsv when RFC 4180 requires it */
static int
cell(struct buf *b, const char *s, size_t n)
{
	size_t need;

	if (n == 0)
		return 0;
	if (memchr(s, ',', n) == NULL && memchr(s, '"', n) == NULL &&
	    memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL)
		return buf_append(b, s, n);
	if (n > (SIZE_MAX - 2) / 2) {
		errno = EOVERFLOW;
		return -1;
	}
	need = 2 * n + 2;
	if (buf_grow(b, need) == -1)
		return -1;
	b->len += csv_write(b->p + b->len, need, s, n);
	b->p[b->len] = '\0';
	return 0;
}

static int
cells(struct buf *b, const char *s)
{
	return s == NULL ? 0 : cell(b, s, strlen(s));
}

/* times as PowerMTA writes them: "2026-11-30 05:36:00+0000" (local) */
static int
put_time(struct buf *b, time_t t, bool iso)
{
	static time_t last = -1;
	static char text[40];
	static size_t len;
	struct tm tm;

	if (!iso)
		return buf_appendf(b, "%lld", (long long)t);
	if (t != last) {
		if (localtime_r(&t, &tm) == NULL)
			return buf_appendf(b, "%lld", (long long)t);
		len = strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S%z",
		    &tm);
		last = t;
	}
	return buf_append(b, text, len);
}

static const char *
rec_key(const struct acct_rec *r, const char *key)
{
	if (r->raw == NULL || key == NULL || *key == '\0')
		return NULL;
	return proto_get(r->raw, key);
}

static const char *
default_action(enum acct_type t)
{
	switch (t) {
	case ACCT_D:
		return "relayed";
	case ACCT_B:
	case ACCT_RB:
		return "failed";
	case ACCT_T:
	case ACCT_TQ:
		return "delayed";
	default:
		return NULL;
	}
}

static int
put_status(struct buf *b, const char *status)
{
	const char *text;

	if (status == NULL)
		return 0;
	if ((text = acct_status_text(status)) == NULL)
		return cells(b, status);
	return buf_appendf(b, "%s (%s)", status, text);
}

static int
put_mta(struct buf *b, const char *host, const char *ip)
{
	if (host != NULL && ip != NULL)
		return buf_appendf(b, "%s (%s)", host, ip);
	return cells(b, host != NULL ? host : ip);
}

static bool
has_bounce_cat(enum acct_type t)
{
	return t == ACCT_B || t == ACCT_T || t == ACCT_RB || t == ACCT_TQ;
}

static int
put_field(struct buf *b, const struct acct_layout *l, const struct acct_col *c,
    const struct acct_rec *r)
{
	const struct journal_outcome *o = &r->o;
	const char *v;

	switch (c->field) {
	case F_TYPE:
		return buf_appends(b, acct_type_name(r->type));
	case F_TIME_LOGGED:
		return put_time(b, (time_t)o->logged, l->iso_times);
	case F_TIME_QUEUED:
		return o->queued == 0 ? 0 : put_time(b, o->queued,
		    l->iso_times);
	case F_TOTAL_SECONDS:
		if (o->queued == 0 || (time_t)o->logged < o->queued)
			return 0;
		return buf_appendf(b, "%lld",
		    (long long)((time_t)o->logged - o->queued));
	case F_ORIG:
		return cells(b, o->orig);
	case F_RCPT:
		return cells(b, o->rcpt);
	case F_ORCPT:
		return cells(b, o->orcpt);
	case F_DSN_ACTION:
		return cells(b, o->dsn_action != NULL ? o->dsn_action :
		    default_action(r->type));
	case F_DSN_STATUS:
		return put_status(b, o->dsn_status);
	case F_DSN_DIAG:
		return cells(b, o->dsn_diag);
	case F_DSN_MTA:
		return put_mta(b, o->mx, o->mx_ip);
	case F_BOUNCE_CAT:
		if ((v = rec_key(r, "bounce-cat")) != NULL)
			return cells(b, v);
		if (!has_bounce_cat(r->type))
			return 0;
		return cells(b, acct_bounce_cat(o->dsn_status));
	case F_DLV_TYPE:
		if ((v = rec_key(r, "dlv-type")) != NULL)
			return cells(b, v);
		return o->mx != NULL || o->mx_ip != NULL ?
		    buf_appends(b, "smtp") : 0;
	case F_DLV_SOURCE_IP:
		return cells(b, o->src);
	case F_DLV_DEST_IP:
		return cells(b, o->mx_ip);
	case F_DLV_ESMTP:
		return cells(b, o->ext);
	case F_DLV_SIZE:
		return o->size == 0 ? 0 : buf_appendf(b, "%llu", o->size);
	case F_VMTA:
		return cells(b, o->vmta);
	case F_JOB_ID:
		return cells(b, o->job);
	case F_ENV_ID:
		return cells(b, o->envid);
	case F_QUEUE:
		return cells(b, o->queue);
	case F_VMTA_POOL:
		return cells(b, o->pool);
	case F_USER_STRING:
		return cells(b, l->user_string);
	case F_TLS_PROTOCOL:
		return cells(b, o->tls);
	case F_TLS_CIPHER:
		return cells(b, o->tls_cipher);
	case F_SRC_TYPE:
		return cells(b, o->src_type);
	case F_SRC_MTA:
	case F_RCV_SOURCE_IP:	/* the client's address is all we keep */
		return cells(b, o->src_mta);
	default:
		return cells(b, rec_key(r, c->key));
	}
}

/* acct_header - the header line of a file */
int
acct_header(struct buf *b, const struct acct_layout *l)
{
	for (size_t k = 0; k < l->ncols; k++) {
		if (k > 0 && buf_appendc(b, ',') == -1)
			return -1;
		if (cells(b, l->cols[k].name) == -1)
			return -1;
	}
	return buf_append(b, "\r\n", 2);
}

/* acct_row - append the row of one record, CRLF included */
int
acct_row(struct buf *b, const struct acct_layout *l, const struct acct_rec *r)
{
	for (size_t k = 0; k < l->ncols; k++) {
		if (k > 0 && buf_appendc(b, ',') == -1)
			return -1;
		if (!l->has[r->type][k])
			continue;
		if (put_field(b, l, &l->cols[k], r) == -1)
			return -1;
	}
	return buf_append(b, "\r\n", 2);
}

/*
 * acct_from_journal - the accounting record of a journal record; -1 with
 * errno EINVAL for a verb accounting does not know, or a bad record,
 * ENOENT for a record that is none of accounting's ("delayed")
 */
int
acct_from_journal(const struct proto_rec *p, struct acct_rec *r, char *err,
    size_t errlen)
{
	int t;

	memset(r, 0, sizeof(*r));
	if (strcmp(p->verb, "delayed") == 0) {
		/* mta-queue's note that a delay notice went: no record */
		err_msg(err, errlen, "%s: not accounted", p->verb);
		errno = ENOENT;
		return -1;
	}
	if ((t = acct_type_of_verb(p->verb)) == -1) {
		err_msg(err, errlen, "unknown verb %s", p->verb);
		errno = EINVAL;
		return -1;
	}
	r->type = t;
	r->raw = p;
	return journal_read_outcome(p, &r->o, err, errlen);
}

/* RFC 3463 status texts, as PowerMTA shortens some of them. */
static const struct {
	const char *detail;		/* "1.1": subject.detail */
	const char *text;
} status_texts[] = {
	{ "0.0", "undefined status" },
	{ "1.0", "other address status" },
	{ "1.1", "bad destination mailbox address" },
	{ "1.2", "bad destination system address" },
	{ "1.3", "bad destination mailbox address syntax" },
	{ "1.4", "destination mailbox address ambiguous" },
	{ "1.5", "destination address valid" },
	{ "1.6", "destination mailbox has moved" },
	{ "1.7", "bad sender's mailbox address syntax" },
	{ "1.8", "bad sender's system address" },
	{ "2.0", "other or undefined mailbox status" },
	{ "2.1", "mailbox disabled, not accepting messages" },
	{ "2.2", "mailbox full" },
	{ "2.3", "message length exceeds administrative limit" },
	{ "2.4", "mailing list expansion problem" },
	{ "3.0", "other or undefined mail system status" },
	{ "3.1", "mail system full" },
	{ "3.2", "system not accepting network messages" },
	{ "3.3", "system not capable of selected features" },
	{ "3.4", "message too big for system" },
	{ "3.5", "system incorrectly configured" },
	{ "4.0", "other or undefined network or routing status" },
	{ "4.1", "no answer from host" },
	{ "4.2", "bad connection" },
	{ "4.3", "directory server failure" },
	{ "4.4", "unable to route" },
	{ "4.5", "mail system congestion" },
	{ "4.6", "routing loop detected" },
	{ "4.7", "delivery time expired" },
	{ "5.0", "other or undefined protocol status" },
	{ "5.1", "invalid command" },
	{ "5.2", "syntax error" },
	{ "5.3", "too many recipients" },
	{ "5.4", "invalid command arguments" },
	{ "5.5", "wrong protocol version" },
	{ "6.0", "other or undefined media error" },
	{ "6.1", "media not supported" },
	{ "6.2", "conversion required and prohibited" },
	{ "6.3", "conversion required but not supported" },
	{ "6.4", "conversion with loss performed" },
	{ "6.5", "conversion failed" },
	{ "7.0", "other or undefined security status" },
	{ "7.1", "delivery not authorized" },
	{ "7.2", "mailing list expansion prohibited" },
	{ "7.3", "security conversion required but not possible" },
	{ "7.4", "security features not supported" },
	{ "7.5", "cryptographic failure" },
	{ "7.6", "cryptographic algorithm not supported" },
	{ "7.7", "message integrity failure" },
};

/* acct_status_text - "success" for 2.0.0 and so on; NULL if unknown */
const char *
acct_status_text(const char *status)
{
	if (status == NULL || strchr("245", status[0]) == NULL ||
	    status[0] == '\0' || status[1] != '.')
		return NULL;
	if (strcmp(status, "2.0.0") == 0)
		return "success";
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]);
	    i++)
		if (strcmp(status + 2, status_texts[i].detail) == 0)
			return status_texts[i].text;
	return NULL;
}

/*
 * The bounce category of a DSN status when no classifier gave one
 * (bounce-cat in the journal): PowerMTA's category names.
 */
static const struct {
	const char *prefix;		/* status, or "X.Y." for a class */
	const char *cat;
} cats[] = {
	{ "5.1.2", "bad-domain" },
	{ "4.1.2", "bad-domain" },
	{ "5.1.7", "invalid-sender" },
	{ "5.1.8", "invalid-sender" },
	{ "5.1.", "bad-mailbox" },
	{ "4.4.7", "message-expired" },
	{ "5.4.7", "message-expired" },
	{ "4.4.1", "no-answer-from-host" },
	{ "4.4.2", "bad-connection" },
	{ "5.4.4", "routing-errors" },
	{ "5.4.6", "routing-errors" },
	{ "4.4.", "routing-errors" },
	{ "5.4.", "routing-errors" },
	{ "4.2.2", "quota-issues" },
	{ "5.2.2", "quota-issues" },
	{ "5.2.1", "inactive-mailbox" },
	{ "5.2.3", "content-related" },
	{ "5.3.4", "content-related" },
	{ "5.3.", "bad-configuration" },
	{ "5.5.", "protocol-errors" },
	{ "4.5.", "protocol-errors" },
	{ "5.6.", "content-related" },
	{ "5.7.1", "policy-related" },
	{ "5.7.", "policy-related" },
	{ "4.7.", "policy-related" },
};

/* acct_bounce_cat - the fallback bounce category of a DSN status */
const char *
acct_bounce_cat(const char *status)
{
	if (status == NULL || *status == '\0')
		return "other";
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (strncmp(status, cats[i].prefix,
		    strlen(cats[i].prefix)) == 0)
			return cats[i].cat;
	return "other";
}
