/*
 * spool - mta-ctl commands that work on the spool files themselves, so
 * they answer when mta-queue is down: "spool init" creates the tree,
 * "show queue" counts messages and recipients by state, virtual MTA and
 * domain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "ctl.h"
#include "envelope.h"
#include "log.h"
#include "spool.h"

#define ENVELOPE_READMAX (64UL << 20)	/* bytes read to find the envelope */

/* ctl_spool_dir - the spool folder: -q, or the config's spool directive */
const char *
ctl_spool_dir(struct ctl *ctl)
{
	static char dir[4096];
	struct conf_settings s;
	struct conf *c;
	size_t n;

	if (ctl->spool_dir != NULL)
		return ctl->spool_dir;
	c = ctl_load_conf(ctl);
	conf_resolve_global(c, &s);
	n = strlcpy(dir, conf_str(&s, CONF_SPOOL), sizeof(dir));
	conf_free(c);
	if (n >= sizeof(dir))
		die(EX_CONFIG, "spool: name too long");
	return dir;
}

/* ctl_spool_init - "spool init": create the spool tree */
int
ctl_spool_init(struct ctl *ctl, int argc, char **argv)
{
	const char *dir;
	char err[512];

	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	dir = ctl_spool_dir(ctl);
	if (spool_init(dir, err, sizeof(err)) == -1)
		die(errno == EACCES || errno == EROFS ? EX_CANTCREAT :
		    EX_TEMPFAIL, "%s", err);
	printf("spool %s ready\n", dir);
	return 0;
}

/* Counts of one virtual MTA and domain. */
struct count {
	char	*vmta;
	char	*domain;
	unsigned long n[4];	/* pending, delivered, failed, expired */
};

struct tally {
	struct spool *sp;
	const char *dir;
	const char *where;	/* "new" or "queue" */
	unsigned long msgs[2];	/* in new/, in queue/ */
	unsigned long bad;
	struct count *c;
	size_t	 nc;
};

static int
state_index(int state)
{
	switch (state) {
	case ENVELOPE_DELIVERED:
		return 1;
	case ENVELOPE_FAILED:
		return 2;
	case ENVELOPE_EXPIRED:
		return 3;
	default:
		return 0;
	}
}

static struct count *
count_for(struct tally *t, const char *vmta, const char *domain)
{
	struct count *c;

	for (size_t i = 0; i < t->nc; i++)
		if (strcmp(t->c[i].vmta, vmta) == 0 &&
		    strcmp(t->c[i].domain, domain) == 0)
			return &t->c[i];
	if ((c = reallocarray(t->c, t->nc + 1, sizeof(*c))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	t->c = c;
	c = &t->c[t->nc++];
	memset(c, 0, sizeof(*c));
	if ((c->vmta = strdup(vmta)) == NULL ||
	    (c->domain = strdup(domain)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	return c;
}

static bool
has_empty_line(const char *p, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\n')
			return true;
	return false;
}

/* Read the envelope of one spool file: enough of it to hold the end. */
static int
read_envelope(const char *path, struct envelope *e, char *err, size_t len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t body;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, len, "%s", strerror(errno));
		return errno == ENOENT ? 1 : -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_append(&b, chunk, (size_t)n) == -1)
			break;
		/* The envelope ends at its empty line. */
		if (has_empty_line(b.p, b.len) || b.len > ENVELOPE_READMAX)
			break;
	}
	if (n == -1)
		(void)snprintf(err, len, "%s", strerror(errno));
	else {
		envelope_init(e);
		rc = envelope_parse(b.p ? b.p : "", b.len, e, &body, err, len);
	}
	close(fd);
	buf_free(&b);
	return rc;
}

static int
tally_one(const char *qid, void *arg)
{
	struct tally *t = arg;
	struct envelope e;
	char path[4096], err[256];
	const char *dom;
	int n;

	if (strcmp(t->where, "new") == 0) {
		n = snprintf(path, sizeof(path), "%s/new/%s", t->dir, qid);
		if (n < 0 || (size_t)n >= sizeof(path))
			return 0;
	} else if (spool_path(t->sp, qid, path, sizeof(path)) == -1)
		return 0;
	switch (read_envelope(path, &e, err, sizeof(err))) {
	case -1:
		log_warn("%s: %s", path, err);
		t->bad++;
		return 0;
	case 1:
		return 0;	/* moved or removed by mta-queue meanwhile */
	}
	t->msgs[strcmp(t->where, "new") == 0 ? 0 : 1]++;
	for (size_t i = 0; i < e.nrcpt; i++) {
		dom = addr_domain(buf_cstr(&e.rcpt[i].addr));
		count_for(t, e.vmta.len ? e.vmta.p : "-", dom ? dom : "-")->
		    n[state_index(e.rcpt[i].state)]++;
	}
	envelope_free(&e);
	return 0;
}

static int
count_cmp(const void *va, const void *vb)
{
	const struct count *a = va, *b = vb;
	int c;

	if ((c = strcmp(a->vmta, b->vmta)) != 0)
		return c;
	return strcmp(a->domain, b->domain);
}

/* ctl_show_queue - "show queue": counts from the spool files */
int
ctl_show_queue(struct ctl *ctl, int argc, char **argv)
{
	struct tally t;
	char err[512];
	unsigned long sum[4] = { 0, 0, 0, 0 };

	(void)argv;
	if (argc != 1)
		return EX_USAGE;
	memset(&t, 0, sizeof(t));
	t.dir = ctl_spool_dir(ctl);
	if ((t.sp = spool_open(t.dir, SPOOL_RDONLY, err, sizeof(err))) ==
	    NULL)
		die(EX_TEMPFAIL, "%s", err);
	t.where = "new";
	if (spool_scan_new(t.sp, tally_one, &t) == -1)
		die_sys(EX_TEMPFAIL, "%s/new", t.dir);
	t.where = "queue";
	if (spool_scan_queue(t.sp, tally_one, &t) == -1)
		die_sys(EX_TEMPFAIL, "%s/queue", t.dir);
	spool_close(t.sp);
	if (t.nc > 0)
		qsort(t.c, t.nc, sizeof(t.c[0]), count_cmp);
	printf("vmta\tdomain\tpending\tdelivered\tfailed\texpired\n");
	for (size_t i = 0; i < t.nc; i++) {
		printf("%s\t%s\t%lu\t%lu\t%lu\t%lu\n", t.c[i].vmta,
		    t.c[i].domain, t.c[i].n[0], t.c[i].n[1], t.c[i].n[2],
		    t.c[i].n[3]);
		for (int k = 0; k < 4; k++)
			sum[k] += t.c[i].n[k];
		free(t.c[i].vmta);
		free(t.c[i].domain);
	}
	printf("total\t*\t%lu\t%lu\t%lu\t%lu\n", sum[0], sum[1], sum[2],
	    sum[3]);
	printf("messages: %lu new, %lu queued", t.msgs[0], t.msgs[1]);
	if (t.bad > 0)
		printf(", %lu unreadable", t.bad);
	printf("\n");
	free(t.c);
	return t.bad > 0 ? EX_DATAERR : 0;
}
