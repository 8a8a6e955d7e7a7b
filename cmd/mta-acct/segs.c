/*
 * segs - the journal's segments as mta-acct sees them (mta-journal(5)):
 * listed by stem, opened under whichever suffix they have now, and
 * removed once every accounting file has read past them.
 *
 * A segment is removed only when it is sealed, every follower's cursor
 * (the open segments it passed included) is in a later segment, and it
 * is not the newest sealed segment, which mta-queue may read when it
 * restarts.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctd.h"
#include "log.h"

/* "20261130T053600.123456-4711": the stem of a segment name, or -1 */
static int
parse_name(const char *name, char *stem, size_t size, bool *sealed)
{
	const char *p = name, *dot;
	size_t n;

	for (int i = 0; i < 22; i++, p++) {
		if (i == 8 && *p != 'T')
			return -1;
		if (i == 15 && *p != '.')
			return -1;
		if (i != 8 && i != 15 && !isdigit((unsigned char)*p))
			return -1;
	}
	if (*p++ != '-' || !isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '-') {	/* "-NAME": an auxiliary writer's segment */
		const char *a = ++p;

		while (*p >= 'a' && *p <= 'z')
			p++;
		if (p == a || p - a > 16)
			return -1;
	}
	dot = p;
	if (strcmp(dot, ".jnl") == 0)
		*sealed = false;
	else if (strcmp(dot, ".sealed") == 0)
		*sealed = true;
	else
		return -1;
	n = (size_t)(dot - name);
	if (n >= size)
		return -1;
	memcpy(stem, name, n);
	stem[n] = '\0';
	return 0;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct seginfo *x = a, *y = b;

	return strcmp(x->stem, y->stem);
}

/* segs_list - the segments of logdir, oldest first */
int
segs_list(const char *logdir, struct seginfo **out, size_t *nout)
{
	struct seginfo *v = NULL, *nv, s;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(logdir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (parse_name(de->d_name, s.stem, sizeof(s.stem),
		    &s.sealed) == -1)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				(void)closedir(d);
				return -1;
			}
			v = nv;
		}
		v[n++] = s;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), seg_cmp);
	/* a segment sealed between two readdir entries shows twice */
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1].stem, v[i].stem) == 0) {
			v[i - 1].sealed = true;
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
			n--;
			i--;
		}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * segs_open - open a segment by stem under its current suffix; sets
 * s->sealed to what was opened.  -1 with ENOENT if it is gone.
 */
int
segs_open(const char *logdir, const struct seginfo *s, char *path,
    size_t size)
{
	static const char *sfx[2] = { ".jnl", ".sealed" };
	int fd = -1;

	for (int i = s->sealed ? 1 : 0; i < 2; i++) {
		(void)snprintf(path, size, "%s/%s%s", logdir, s->stem, sfx[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 || errno != ENOENT)
			return fd;
	}
	return -1;
}

/* jpos_cmp - the order of two journal positions */
int
jpos_cmp(const struct jpos *a, const struct jpos *b)
{
	int c = strcmp(a->stem, b->stem);

	if (c != 0)
		return c;
	return a->off < b->off ? -1 : a->off > b->off;
}

/* cursor_oldest - the stem of the oldest segment a cursor still reads */
const char *
cursor_oldest(const struct cursor *c)
{
	/* the open segments passed over are older than pos, oldest first */
	return c->nopen > 0 ? c->open[0].stem : c->pos.stem;
}

/* segs_remove_consumed - remove the sealed segments all files are past */
void
segs_remove_consumed(struct acctd *ad)
{
	struct seginfo *v = NULL;
	char path[4096];
	const char *min = NULL;
	size_t n = 0, newest_sealed = (size_t)-1;

	if (!ad->remove_segments || ad->nfiles == 0)
		return;
	for (size_t i = 0; i < ad->nfiles; i++) {
		const struct afile *f = &ad->files[i];
		/* a command may be sent rows again from its oldest write */
		const char *stem = cursor_oldest(f->nck > 0 ? &f->ck[0].cur :
		    &f->cur);

		if (min == NULL || strcmp(stem, min) < 0)
			min = stem;
	}
	if (segs_list(ad->logdir, &v, &n) == -1) {
		log_warn_sys("%s", ad->logdir);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].sealed)
			newest_sealed = i;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].sealed || i == newest_sealed)
			continue;
		/* a follower in this segment or before still needs it */
		if (strcmp(v[i].stem, min) >= 0)
			break;
		(void)snprintf(path, sizeof(path), "%s/%s.sealed", ad->logdir,
		    v[i].stem);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn_sys("unlink %s", path);
		else
			log_info("removed segment=%s.sealed", v[i].stem);
	}
	free(v);
}
