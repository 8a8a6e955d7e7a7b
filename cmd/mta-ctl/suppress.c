/*
 * suppress - mta-ctl commands on the suppression list (mta-suppress(5)):
 * "show suppressed", and "suppress add|remove|import|export|compact".
 * They work on the spool's files, so they answer whether mta-queue runs
 * or not, and every process sees a change at its next lookup.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "suppress.h"

#define IMPORT_MAXERRS	10	/* rows reported before giving up */

static struct suppress *
open_store(struct ctl *ctl, int flags)
{
	struct suppress *s;
	char err[512];

	if ((s = suppress_open(ctl_spool_dir(ctl), flags, err,
	    sizeof(err))) == NULL)
		die(errno == EACCES || errno == EPERM ? EX_NOPERM :
		    EX_TEMPFAIL, "%s", err);
	return s;
}

static void
print_time(int64_t t)
{
	char when[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		printf("%lld", (long long)t);
	else
		fputs(when, stdout);
}

/*
 * config_lists - the <address-list> blocks that hold addr, printed; the
 * config is read only when there is one to read
 */
static int
config_lists(struct ctl *ctl, const struct conf *c, const char *addr)
{
	struct suppress_match m;
	struct suppress_set *set;
	char err[512];
	int found = 0;

	(void)ctl;
	if (c == NULL)
		return 0;
	for (const struct conf_block *b = conf_root(c)->child; b != NULL;
	    b = b->next) {
		if (b->scope != CONF_S_ADDRESS_LIST || b->arg == NULL)
			continue;
		if ((set = suppress_set_new(c, NULL, b->arg, err,
		    sizeof(err))) == NULL) {
			log_warn("%s", err);
			continue;
		}
		if (suppress_check(set, addr, &m) == 1) {
			printf("%s: list=%s source=config match=%s%s%s\n",
			    addr, m.list, m.how, m.reason[0] ? " pattern=" :
			    "", m.reason);
			found = 1;
		}
		suppress_set_free(set);
	}
	return found;
}

/* ctl_show_suppressed - "show suppressed ADDR...": in which list, since */
int
ctl_show_suppressed(struct ctl *ctl, int argc, char **argv)
{
	struct suppress_entry e[SUPPRESS_LOOKUPMAX];
	struct suppress *s;
	struct conf *c = NULL;
	int rc = 0, found, r;

	if (argc < 2)
		return EX_USAGE;
	s = open_store(ctl, 0);
	if (access(ctl->conf_path, R_OK) == 0 &&
	    (c = conf_load(ctl->conf_path)) != NULL && conf_errors(c) > 0) {
		conf_free(c);
		c = NULL;
	}
	for (int i = 1; i < argc; i++) {
		if ((r = suppress_lookup(s, argv[i], e,
		    SUPPRESS_LOOKUPMAX)) == -1)
			die_sys(EX_TEMPFAIL, "suppress: lookup %s", argv[i]);
		found = r > 0;
		for (int k = 0; k < r; k++) {
			printf("%s: list=%s source=store entry=%s added=",
			    argv[i], e[k].list, e[k].addr);
			print_time(e[k].added);
			printf(" reason=\"%s\"\n", e[k].reason);
		}
		found |= config_lists(ctl, c, argv[i]);
		if (!found) {
			printf("%s: not suppressed\n", argv[i]);
			rc = 1;
		}
	}
	if (c != NULL)
		conf_free(c);
	suppress_close(s);
	if (fflush(stdout) == EOF)
		die_sys(EX_IOERR, "stdout");
	return rc;
}

static int
cmd_add(struct ctl *ctl, int argc, char **argv)
{
	const char *list = SUPPRESS_DEFAULT_LIST, *reason = "";
	struct suppress_entry *v;
	struct suppress *s;
	char err[512];
	time_t now = time(NULL);
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "l:r:")) != -1) {
		switch (ch) {
		case 'l':
			list = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind == argc)
		return EX_USAGE;
	if (!suppress_list_valid(list))
		die(EX_USAGE, "-l %s: a list name is letters, digits, "
		    "\".\", \"_\" and \"-\"", list);
	if ((v = reallocarray(NULL, (size_t)(argc - optind),
	    sizeof(*v))) == NULL)
		die_sys(EX_TEMPFAIL, "suppress add");
	for (int i = optind; i < argc; i++) {
		v[i - optind].addr = argv[i];
		v[i - optind].list = list;
		v[i - optind].added = (int64_t)now;
		v[i - optind].reason = reason;
	}
	s = open_store(ctl, SUPPRESS_WRITE);
	if (suppress_add(s, v, (size_t)(argc - optind), err,
	    sizeof(err)) == -1)
		die(errno == EINVAL ? EX_DATAERR : EX_TEMPFAIL, "%s", err);
	printf("%d added to %s\n", argc - optind, list);
	free(v);
	suppress_close(s);
	return 0;
}

static int
cmd_remove(struct ctl *ctl, int argc, char **argv)
{
	struct suppress *s;
	char err[512];
	size_t n;

	if (argc < 2)
		return EX_USAGE;
	s = open_store(ctl, SUPPRESS_WRITE);
	if (suppress_remove(s, (const char *const *)argv + 1,
	    (size_t)argc - 1, &n, err, sizeof(err)) == -1)
		die(errno == EINVAL ? EX_DATAERR : EX_TEMPFAIL, "%s", err);
	printf("%zu removed, %zu not suppressed\n", n, (size_t)argc - 1 - n);
	suppress_close(s);
	return 0;
}

/* The rows of an import, kept until all are read. */
struct import {
	const char *file;
	struct suppress_entry *v;
	size_t	 n, cap;
	unsigned long nerr;
};

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		die_sys(EX_TEMPFAIL, "suppress import");
	return p;
}

static int
import_row(const struct suppress_entry *e, unsigned long row,
    const char *why, void *arg)
{
	struct import *im = arg;
	struct suppress_entry *v;

	if (e == NULL) {
		if (++im->nerr <= IMPORT_MAXERRS)
			log_warn("%s: row %lu: %s", im->file, row, why);
		return 0;
	}
	if (im->n == im->cap) {
		im->cap = im->cap == 0 ? 1024 : im->cap * 2;
		if ((v = reallocarray(im->v, im->cap, sizeof(*v))) == NULL)
			die_sys(EX_TEMPFAIL, "suppress import");
		im->v = v;
	}
	im->v[im->n].addr = xstrdup(e->addr);
	im->v[im->n].list = xstrdup(e->list);
	im->v[im->n].reason = xstrdup(e->reason);
	im->v[im->n].added = e->added;
	im->n++;
	return 0;
}

/*
 * cmd_import - all rows or none: a file with a bad row imports nothing,
 * so that fixing it and running again gives the list meant
 */
static int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
	struct import im = { NULL, NULL, 0, 0, 0 };
	const char *list = SUPPRESS_DEFAULT_LIST;
	struct suppress_csv *csv;
	struct suppress *s;
	char buf[65536], err[512];
	size_t r;
	FILE *fp;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "l:")) != -1) {
		switch (ch) {
		case 'l':
			list = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 1)
		return EX_USAGE;
	if (!suppress_list_valid(list))
		die(EX_USAGE, "-l %s: a list name is letters, digits, "
		    "\".\", \"_\" and \"-\"", list);
	im.file = argv[optind];
	if (strcmp(im.file, "-") == 0) {
		fp = stdin;
		im.file = "stdin";
	} else if ((fp = fopen(im.file, "re")) == NULL)
		die_sys(EX_NOINPUT, "%s", im.file);
	if ((csv = suppress_csv_new(list, time(NULL), import_row, &im)) ==
	    NULL)
		die_sys(EX_TEMPFAIL, "suppress import");
	while ((r = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (suppress_csv_feed(csv, buf, r) == -1)
			die(EX_DATAERR, "%s: not CSV, or a field over 4096 "
			    "bytes", im.file);
	if (ferror(fp))
		die_sys(EX_IOERR, "%s", im.file);
	if (suppress_csv_end(csv) == -1)
		die(EX_DATAERR, "%s: not CSV", im.file);
	suppress_csv_free(csv);
	if (fp != stdin)
		(void)fclose(fp);
	if (im.nerr > 0)
		die(EX_DATAERR, "%s: %lu bad row%s, nothing imported",
		    im.file, im.nerr, im.nerr == 1 ? "" : "s");
	s = open_store(ctl, SUPPRESS_WRITE);
	if (im.n > 0 && suppress_add(s, im.v, im.n, err, sizeof(err)) == -1)
		die(EX_TEMPFAIL, "%s", err);
	printf("%zu imported, %zu in the list\n", im.n, suppress_count(s));
	suppress_close(s);
	for (size_t i = 0; i < im.n; i++) {
		free((char *)im.v[i].addr);
		free((char *)im.v[i].list);
		free((char *)im.v[i].reason);
	}
	free(im.v);
	return 0;
}

struct export {
	const char *list;	/* or NULL: all */
};

static int
export_row(const struct suppress_entry *e, void *arg)
{
	struct export *ex = arg;

	if (ex->list != NULL && strcmp(e->list, ex->list) != 0)
		return 0;
	if (suppress_csv_write(stdout, e) == -1)
		die_sys(EX_IOERR, "stdout");
	return 0;
}

static int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	struct export ex = { NULL };
	struct suppress *s;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "l:")) != -1) {
		switch (ch) {
		case 'l':
			ex.list = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc)
		return EX_USAGE;
	s = open_store(ctl, 0);
	if (suppress_csv_write(stdout, NULL) == -1)
		die_sys(EX_IOERR, "stdout");
	if (suppress_walk(s, export_row, &ex) == -1)
		die_sys(EX_TEMPFAIL, "suppress export");
	suppress_close(s);
	if (fflush(stdout) == EOF)
		die_sys(EX_IOERR, "stdout");
	return 0;
}

static int
cmd_compact(struct ctl *ctl, int argc, char **argv)
{
	struct suppress *s;
	char err[512];

	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	s = open_store(ctl, SUPPRESS_WRITE);
	if (suppress_compact(s, err, sizeof(err)) == -1)
		die(EX_TEMPFAIL, "%s", err);
	printf("%zu in the list\n", suppress_count(s));
	suppress_close(s);
	return 0;
}

/* ctl_suppress - "suppress add|remove|import|export|compact ..." */
int
ctl_suppress(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int	(*fn)(struct ctl *, int, char **);
	} sub[] = {
		{ "add", cmd_add },
		{ "remove", cmd_remove },
		{ "import", cmd_import },
		{ "export", cmd_export },
		{ "compact", cmd_compact },
	};

	if (argc < 2)
		return EX_USAGE;
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(ctl, argc - 1, argv + 1);
	log_warn("unknown command \"suppress %s\"", argv[1]);
	return EX_USAGE;
}
