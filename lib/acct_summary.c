/*
 * acct_summary - counts over accounting files, the report operators
 * otherwise write in awk: records by type, recipient domain, virtual
 * MTA, DSN status and bounce category, and deliveries per hour.
 *
 * Input is parsed by libcsv (strict RFC 4180, CRLF or LF); columns are
 * found by the names of the latest header line (a row whose first cell
 * is "type").  Every cell and row is bounded, so hostile input costs at
 * most memory in proportion to its distinct values.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <csv.h>

#include "acct.h"
#include "buf.h"

#define MAXCELLS	256
#define MAXCELL		8192	/* bytes of a cell that are kept */

enum dim { DIM_TYPE, DIM_DOMAIN, DIM_VMTA, DIM_STATUS, DIM_CAT, DIM_HOUR,
	NDIMS };

static const char *dim_names[NDIMS] = {
	"type", "domain", "vmta", "dsnStatus", "bounceCat",
	"deliveriesPerHour"
};

struct count {
	char	*key;
	unsigned long long n;
};

/* open addressing, grown at half full */
struct table {
	struct count *v;
	size_t	 cap, len;
};

struct acct_summary {
	struct csv_parser csv;
	struct buf cells[MAXCELLS];
	size_t	 ncells;
	bool	 have_header;
	int	 col[NDIMS + 2];	/* type rcpt vmta status cat time */
	unsigned long long records, line;
	struct table t[NDIMS];
	int	 err;
	char	 errmsg[256];
};

enum { C_TYPE, C_RCPT, C_VMTA, C_STATUS, C_CAT, C_TIME, NCOLS };
static const char *col_names[NCOLS] = {
	"type", "rcpt", "vmta", "dsnStatus", "bounceCat", "timeLogged"
};

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int
table_add(struct table *t, const char *key, size_t n)
{
	struct count *nv;
	size_t i;

	if (t->len * 2 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		if ((nv = calloc(cap, sizeof(*nv))) == NULL)
			return -1;
		for (size_t k = 0; k < t->cap; k++) {
			if (t->v[k].key == NULL)
				continue;
			i = hash(t->v[k].key, strlen(t->v[k].key)) & (cap - 1);
			while (nv[i].key != NULL)
				i = (i + 1) & (cap - 1);
			nv[i] = t->v[k];
		}
		free(t->v);
		t->v = nv;
		t->cap = cap;
	}
	i = hash(key, n) & (t->cap - 1);
	while (t->v[i].key != NULL) {
		if (strlen(t->v[i].key) == n && memcmp(t->v[i].key, key, n)
		    == 0) {
			t->v[i].n++;
			return 0;
		}
		i = (i + 1) & (t->cap - 1);
	}
	if ((t->v[i].key = strndup(key, n)) == NULL)
		return -1;
	t->v[i].n = 1;
	t->len++;
	return 0;
}

/* acct_summary_new - an empty summary */
struct acct_summary *
acct_summary_new(void)
{
	struct acct_summary *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (csv_init(&s->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)
	    != 0) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static const char *
cell(struct acct_summary *s, int c)
{
	int k = s->col[c];

	if (k < 0 || (size_t)k >= s->ncells)
		return "";
	return s->cells[k].len == 0 ? "" : s->cells[k].p;
}

static void
take_header(struct acct_summary *s)
{
	for (int c = 0; c < NCOLS; c++) {
		s->col[c] = -1;
		for (size_t k = 0; k < s->ncells; k++)
			if (s->cells[k].len > 0 &&
			    strcasecmp(s->cells[k].p, col_names[c]) == 0) {
				s->col[c] = (int)k;
				break;
			}
	}
	s->have_header = true;
}

/* "2026-11-30 05:36:00+0000" or Unix seconds: "2026-11-30 05" */
static int
hour_of(const char *t, char *out, size_t size)
{
	char *end;
	long long v;
	time_t tt;
	struct tm tm;

	if (strlen(t) >= 13 && t[4] == '-' && t[10] == ' ') {
		(void)snprintf(out, size, "%.13s", t);
		return 0;
	}
	errno = 0;
	v = strtoll(t, &end, 10);
	if (errno != 0 || end == t || *end != '\0')
		return -1;
	tt = (time_t)v;
	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	(void)strftime(out, size, "%Y-%m-%d %H", &tm);
	return 0;
}

static int
count_row(struct acct_summary *s)
{
	const char *type = cell(s, C_TYPE), *v, *at;
	char hour[32];

	s->records++;
	if (table_add(&s->t[DIM_TYPE], type, strlen(type)) == -1)
		return -1;
	v = cell(s, C_RCPT);
	if ((at = strrchr(v, '@')) != NULL) {
		char dom[256];
		size_t n = strlen(at + 1);

		if (n >= sizeof(dom))
			n = sizeof(dom) - 1;
		for (size_t i = 0; i < n; i++)
			dom[i] = (char)(at[1 + i] >= 'A' && at[1 + i] <= 'Z' ?
			    at[1 + i] + 32 : at[1 + i]);
		if (n > 0 && table_add(&s->t[DIM_DOMAIN], dom, n) == -1)
			return -1;
	}
	v = cell(s, C_VMTA);
	if (*v != '\0' && table_add(&s->t[DIM_VMTA], v, strlen(v)) == -1)
		return -1;
	v = cell(s, C_STATUS);
	if (*v != '\0' && table_add(&s->t[DIM_STATUS], v, strcspn(v, " "))
	    == -1)
		return -1;
	v = cell(s, C_CAT);
	if (*v != '\0' && table_add(&s->t[DIM_CAT], v, strlen(v)) == -1)
		return -1;
	if (strcmp(type, "d") == 0 &&
	    hour_of(cell(s, C_TIME), hour, sizeof(hour)) == 0 &&
	    table_add(&s->t[DIM_HOUR], hour, strlen(hour)) == -1)
		return -1;
	return 0;
}

static void
on_cell(void *p, size_t n, void *arg)
{
	struct acct_summary *s = arg;
	struct buf *b;

	if (s->ncells == MAXCELLS) {
		s->ncells++;		/* counted, not kept */
		return;
	}
	if (s->ncells > MAXCELLS)
		return;
	b = &s->cells[s->ncells++];
	buf_reset(b);
	if (n > MAXCELL)
		n = MAXCELL;
	if ((p != NULL && buf_append(b, p, n) == -1) || buf_grow(b, 1) == -1)
		s->err = ENOMEM;
	else
		b->p[b->len] = '\0';
}

static void
on_row(int c, void *arg)
{
	struct acct_summary *s = arg;

	(void)c;
	s->line++;
	if (s->ncells > MAXCELLS)
		s->ncells = MAXCELLS;
	if (s->ncells == 1 && s->cells[0].len == 0)
		;			/* an empty line */
	else if (s->cells[0].len > 0 && strcmp(s->cells[0].p, "type") == 0)
		take_header(s);
	else if (!s->have_header) {
		if (s->err == 0) {
			s->err = EINVAL;
			(void)snprintf(s->errmsg, sizeof(s->errmsg),
			    "row %llu: no header line before it", s->line);
		}
	} else if (count_row(s) == -1)
		s->err = ENOMEM;
	s->ncells = 0;
}

static int
check(struct acct_summary *s, char *err, size_t errlen)
{
	if (s->err == 0)
		return 0;
	if (s->err == ENOMEM)
		(void)snprintf(err, errlen, "out of memory");
	else
		(void)snprintf(err, errlen, "%s", s->errmsg);
	errno = s->err;
	return -1;
}

/* acct_summary_feed - count the rows in the next bytes of a file */
int
acct_summary_feed(struct acct_summary *s, const void *p, size_t n, char *err,
    size_t errlen)
{
	if (csv_parse(&s->csv, p, n, on_cell, on_row, s) != n) {
		(void)snprintf(err, errlen, "after row %llu: %s", s->line,
		    csv_strerror(csv_error(&s->csv)));
		errno = EINVAL;
		return -1;
	}
	return check(s, err, errlen);
}

/* acct_summary_end - the end of one file: its last row counts */
int
acct_summary_end(struct acct_summary *s, char *err, size_t errlen)
{
	if (csv_fini(&s->csv, on_cell, on_row, s) != 0) {
		(void)snprintf(err, errlen, "after row %llu: %s", s->line,
		    csv_strerror(csv_error(&s->csv)));
		errno = EINVAL;
		return -1;
	}
	s->have_header = false;		/* each file has its own */
	s->line = 0;
	return check(s, err, errlen);
}

static int
count_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int
hour_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/*
 * acct_summary_print - the report: "dimension<TAB>key<TAB>count" lines,
 * biggest first (hours in time order), or one JSON object
 */
int
acct_summary_print(struct acct_summary *s, FILE *fp, bool json)
{
	struct count *v;

	if (json)
		fprintf(fp, "{\"records\":%llu", s->records);
	else
		fprintf(fp, "records\t%llu\n", s->records);
	for (int d = 0; d < NDIMS; d++) {
		struct table *t = &s->t[d];
		size_t n = 0;

		if ((v = calloc(t->len + 1, sizeof(*v))) == NULL)
			return -1;
		for (size_t i = 0; i < t->cap; i++)
			if (t->v[i].key != NULL)
				v[n++] = t->v[i];
		qsort(v, n, sizeof(*v), d == DIM_HOUR ? hour_cmp : count_cmp);
		if (json)
			fprintf(fp, ",\"%s\":{", dim_names[d]);
		for (size_t i = 0; i < n; i++) {
			if (json) {
				if (i > 0)
					fputc(',', fp);
				json_str(fp, v[i].key);
				fprintf(fp, ":%llu", v[i].n);
			} else
				fprintf(fp, "%s\t%s\t%llu\n", dim_names[d],
				    v[i].key, v[i].n);
		}
		if (json)
			fputc('}', fp);
		free(v);
	}
	if (json)
		fputs("}\n", fp);
	return fflush(fp) == EOF ? -1 : 0;
}

/* acct_summary_free - release a summary */
void
acct_summary_free(struct acct_summary *s)
{
	if (s == NULL)
		return;
	csv_free(&s->csv);
	for (size_t i = 0; i < MAXCELLS; i++)
		buf_free(&s->cells[i]);
	for (int d = 0; d < NDIMS; d++) {
		for (size_t i = 0; i < s->t[d].cap; i++)
			free(s->t[d].v[i].key);
		free(s->t[d].v);
	}
	free(s);
}
