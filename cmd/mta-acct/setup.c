/*
 * setup - the <acct-file> blocks of the configuration become followers:
 * their directives read, their layouts built, their files opened at the
 * recorded positions.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acct.h"
#include "acctd.h"
#include "conf.h"
#include "confval.h"
#include "log.h"

static int64_t
dir_num(const struct conf_block *b, enum conf_id id, int64_t dflt)
{
	const struct conf_directive *d = conf_block_get(b, id);

	return d == NULL || d->cleared ? dflt : d->num;
}

static const char *
dir_str(const struct conf_block *b, enum conf_id id)
{
	const struct conf_directive *d = conf_block_get(b, id);

	if (d == NULL || d->cleared)
		return NULL;
	/* words and record-fields keep their text only */
	return d->str != NULL ? d->str : d->text;
}

/* the position file of a block: spool/acct/ and its name, made safe */
static char *
pos_path(const char *spooldir, const char *name)
{
	char safe[200], *p;
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(safe) - 1; i++)
		safe[i] = isalnum((unsigned char)name[i]) ||
		    name[i] == '.' || name[i] == '-' ? name[i] : '_';
	safe[i] = '\0';
	if (asprintf(&p, "%s/acct/%s.pos", spooldir, safe) == -1)
		return NULL;
	return p;
}

static void
setup_file(struct acctd *ad, const struct conf_block *b, struct afile *f)
{
	const struct conf_directive *d;
	const char *arg = b->arg, *s;
	char err[256];
	unsigned types = ACCT_DEFAULT_TYPES;
	size_t n;

	memset(f, 0, sizeof(*f));
	n = strlen(arg);
	if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
		arg++;
		n -= 2;
	}
	if ((f->name = strndup(arg, n)) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	f->pipe = f->name[0] == '|';
	f->path = f->name + f->pipe;
	while (f->pipe && isspace((unsigned char)*f->path))
		f->path++;
	if ((s = dir_str(b, CONF_RECORDS)) != NULL &&
	    acct_types_parse(s, &types, err, sizeof(err)) == -1)
		die(EX_CONFIG, "<acct-file %s>: records: %s", f->name, err);
	if ((f->layout = malloc(sizeof(*f->layout))) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	acct_layout_init(f->layout, types);
	for (d = conf_block_next(b, NULL, CONF_RECORD_FIELDS); d != NULL;
	    d = conf_block_next(b, d, CONF_RECORD_FIELDS))
		if (!d->cleared && acct_layout_fields(f->layout, d->text,
		    err, sizeof(err)) == -1)
			die(EX_CONFIG, "%s:%d: %s", d->file, d->line, err);
	f->layout->iso_times = dir_num(b, CONF_ISO_TIMES, 1) != 0;
	f->layout->user_string = dir_str(b, CONF_USER_STRING);
	acct_layout_finish(f->layout);
	f->sync = dir_num(b, CONF_ACCT_SYNC, 1) != 0;
	f->world_readable = dir_num(b, CONF_WORLD_READABLE, 0) != 0;
	f->move_interval = dir_num(b, CONF_MOVE_INTERVAL, 86400);
	if (f->move_interval == CONFVAL_NEVER)
		f->move_interval = -1;
	f->delete_after = dir_num(b, CONF_DELETE_AFTER, 8 * 86400);
	if (f->delete_after == CONFVAL_NEVER)
		f->delete_after = -1;
	f->max_size = (uint64_t)dir_num(b, CONF_MAX_SIZE, 250 << 20);
	f->write_timeout = dir_num(b, CONF_ACCT_WRITE_TIMEOUT, 60);
	f->retry_interval = dir_num(b, CONF_RETRY_INTERVAL, 300);
	if ((s = dir_str(b, CONF_MOVE_TO)) != NULL &&
	    (f->move_to = strdup(s)) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	if ((f->posfile = pos_path(ad->spooldir, f->name)) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	if (afile_open(ad, f) == -1)
		die_sys(EX_TEMPFAIL, "<acct-file %s>", f->name);
	log_info("acct-file=%s records=0x%x columns=%zu seg=%s off=%llu",
	    f->name, types, f->layout->ncols,
	    f->cur.pos.stem[0] ? f->cur.pos.stem : "-",
	    (unsigned long long)f->cur.pos.off);
}

/* acctd_setup - the files of the config's <acct-file> blocks, opened */
void
acctd_setup(struct acctd *ad, const char *confpath)
{
	struct conf_settings g;
	const struct conf_block *b;
	struct conf *c;
	char dir[4096];
	size_t n = 0;

	if ((c = conf_load(confpath)) == NULL)
		die_sys(EX_CONFIG, "%s", confpath);
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		die(EX_CONFIG, "%s: %zu errors", confpath, conf_errors(c));
	}
	conf_resolve_global(c, &g);
	if ((ad->spooldir = strdup(conf_str(&g, CONF_SPOOL))) == NULL ||
	    asprintf(&ad->logdir, "%s/log", ad->spooldir) == -1)
		die_sys(EX_TEMPFAIL, "setup");
	(void)snprintf(dir, sizeof(dir), "%s/acct", ad->spooldir);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		die_sys(EX_TEMPFAIL, "mkdir %s", dir);
	for (b = conf_root(c)->child; b != NULL; b = b->next)
		if (b->scope == CONF_S_ACCT)
			n++;
	if (n > 0 && (ad->files = calloc(n, sizeof(*ad->files))) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	for (b = conf_root(c)->child; b != NULL; b = b->next)
		if (b->scope == CONF_S_ACCT)
			setup_file(ad, b, &ad->files[ad->nfiles++]);
	/* the layouts point into the config: it stays loaded */
	ad->conf = c;
}

/* acctd_free - release what acctd_setup allocated (the fds stay open) */
void
acctd_free(struct acctd *ad)
{
	for (size_t i = 0; i < ad->nfiles; i++) {
		struct afile *f = &ad->files[i];

		free(f->name);
		free(f->layout);
		free(f->posfile);
		free(f->move_to);
		buf_free(&f->out);
	}
	free(ad->files);
	free(ad->spooldir);
	free(ad->logdir);
	conf_free(ad->conf);
	memset(ad, 0, sizeof(*ad));
}
