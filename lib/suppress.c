/*
 * suppress - the suppression list: the store in suppress/ and the
 * config's <address-list> blocks (mta-suppress(5)).
 *
 * The store is two files.  "snapshot" holds every entry as a text line
 * sorted by key; it is mapped and binary-searched in place, so opening
 * it costs nothing and a million entries cost no heap.  "log" holds the
 * changes since, one line each, appended under suppress/lock and fsynced
 * before an add returns; readers keep it in a hash table and read what
 * was appended when the file grew.  Compaction merges both into a new
 * snapshot (tmp file, fsync, rename), then puts an empty log in place
 * the same way.  Each file names a generation: a log older than the
 * snapshot is already in it and is ignored, which makes a crash between
 * the two renames harmless, and lets a reader open the log first and the
 * snapshot second without locking.
 *
 * Invariants: a line counts only once its LF is on disk (a torn last
 * line is cut off by the next writer); the log's last record for a key
 * wins over the snapshot; the snapshot is sorted and has one line a key.
 */
#define _GNU_SOURCE		/* memmem(3) */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "proto.h"
#include "rx.h"
#include "suppress.h"

#define SNAP_MAGIC	"mta-suppress snapshot 1 gen="
#define LOG_MAGIC	"mta-suppress log 1 gen="
#define FILE_MODE	0640
#define DIR_MODE	0750
#define READ_CHUNK	65536
#define LOG_MIN_COMPACT	(256 * 1024)	/* bytes of log before compaction */
#define BULK_MIN	4096		/* entries an add puts in a snapshot */
#define LOG_READMAX	((size_t)1 << 30)	/* bytes of log read at once */
#define LOOKUP_REFRESH_MS 10	/* a lookup looks at the files this often */

/* An entry of the log, or of an address list: one allocation. */
struct ent {
	char	*key;
	char	*list;
	char	*reason;
	int64_t	 added;
	bool	 gone;		/* a removal */
};

/* Open addressing, keys owned by the entries. */
struct tab {
	struct ent **slot;
	size_t	 cap;		/* a power of two, or 0 */
	size_t	 n;
};

struct suppress {
	char	*dir;		/* SPOOL/suppress */
	int	 flags;
	/* the snapshot, mapped */
	char	*map;
	size_t	 maplen;
	size_t	 data;		/* offset of the first entry */
	size_t	 dom, domend;	/* the @domain entries, sorted together */
	uint64_t snapgen;
	size_t	 snapcount;
	dev_t	 snapdev;
	ino_t	 snapino;	/* 0: no snapshot */
	/* the log */
	bool	 haslog;
	bool	 logapplies;	/* its generation is not older */
	uint64_t loggen;
	dev_t	 logdev;
	ino_t	 logino;
	off_t	 logoff;	/* bytes applied, up to a commit line */
	off_t	 logseen;	/* bytes looked at: the file's size then */
	unsigned long logline;
	uint64_t looked_ms;	/* a lookup's last refresh, or 0 */
	struct tab delta;
	/* what lookup returns points here, a slot an entry */
	struct {
		char	 key[SUPPRESS_KEYMAX + 1];
		char	 list[SUPPRESS_LISTMAX + 1];
		struct buf reason;
	} out[SUPPRESS_LOOKUPMAX];
};

/* One <address-list>, or a name only the store knows. */
struct alist {
	char	*name;
	struct tab keys;	/* address and @domain entries */
	struct rx **rx;
	size_t	 nrx;
};

struct suppress_set {
	struct suppress *store;
	struct alist *lists;
	size_t	 n;
};


/* --- the hash table -------------------------------------------------- */

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct ent **
tab_slot(const struct tab *t, const char *key, size_t n)
{
	size_t i = hash(key, n) & (t->cap - 1);

	while (t->slot[i] != NULL && (strncmp(t->slot[i]->key, key, n) != 0 ||
	    t->slot[i]->key[n] != '\0'))
		i = (i + 1) & (t->cap - 1);
	return &t->slot[i];
}

static struct ent *
tab_get(const struct tab *t, const char *key, size_t n)
{
	if (t->cap == 0)
		return NULL;
	return *tab_slot(t, key, n);
}

static int
tab_grow(struct tab *t)
{
	struct tab nt;

	nt.cap = t->cap == 0 ? 64 : t->cap * 2;
	nt.n = t->n;
	if ((nt.slot = calloc(nt.cap, sizeof(*nt.slot))) == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i] != NULL)
			*tab_slot(&nt, t->slot[i]->key,
			    strlen(t->slot[i]->key)) = t->slot[i];
	free(t->slot);
	*t = nt;
	return 0;
}

static struct ent *
ent_new(const char *key, size_t klen, const char *list, const char *reason,
    size_t rlen, int64_t added, bool gone)
{
	size_t llen = strlen(list);
	struct ent *e;
	char *p;

	if ((e = malloc(sizeof(*e) + klen + llen + rlen + 3)) == NULL)
		return NULL;
	p = (char *)(e + 1);
	e->key = p;
	memcpy(p, key, klen);
	p[klen] = '\0';
	p += klen + 1;
	e->list = p;
	memcpy(p, list, llen + 1);
	p += llen + 1;
	e->reason = p;
	if (rlen > 0)
		memcpy(p, reason, rlen);
	p[rlen] = '\0';
	e->added = added;
	e->gone = gone;
	return e;
}

/* tab_put - insert or replace the entry for e->key; takes e */
static int
tab_put(struct tab *t, struct ent *e)
{
	struct ent **s;

	if ((t->n + 1) * 2 > t->cap && tab_grow(t) == -1) {
		free(e);
		return -1;
	}
	s = tab_slot(t, e->key, strlen(e->key));
	if (*s != NULL)
		free(*s);
	else
		t->n++;
	*s = e;
	return 0;
}

static void
tab_free(struct tab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* --- keys and names -------------------------------------------------- */

/*
 * suppress_key - the store's key for an address ("<a@b>", "a@b") or a
 * domain ("@b"): lowercased, no brackets; -1 with EINVAL and err
 */
int
suppress_key(const char *addr, char *key, size_t keylen, char *err,
    size_t errlen)
{
	struct buf norm = BUF_INIT, dom = BUF_INIT;
	char why[128];
	size_t n = strlen(addr);
	int rc = -1;

	if (n > 0 && addr[0] == '@') {
		/* a domain: check it as the domain of an address */
		if (buf_appends(&dom, "x") == -1 ||
		    buf_append(&dom, addr, n) == -1)
			goto fail;
		if (addr_parse(dom.p, dom.len, &norm, ADDR_UTF8, why,
		    sizeof(why)) == -1) {
			err_msg(err, errlen, "bad domain %s: %s", addr, why);
			goto fail;
		}
		memmove(norm.p, norm.p + 1, norm.len);	/* with the NUL */
		norm.len--;
	} else if (addr_parse(addr, n, &norm, ADDR_UTF8, why,
	    sizeof(why)) == -1) {
		err_msg(err, errlen, "bad address %s: %s", addr, why);
		goto fail;
	}
	if (norm.len == 0 || norm.len >= keylen ||
	    norm.len > SUPPRESS_KEYMAX) {
		errno = EINVAL;
		err_msg(err, errlen, "bad address %s: empty or too long", addr);
		goto fail;
	}
	for (size_t i = 0; i < norm.len; i++) {
		unsigned char c = (unsigned char)norm.p[i];

		if (c <= 0x20 || c == 0x7f) {
			errno = EINVAL;
			err_msg(err, errlen, "bad address %s: a space or "
			    "control character", addr);
			goto fail;
		}
		key[i] = (char)tolower(c);
	}
	key[norm.len] = '\0';
	rc = 0;
fail:
	if (rc == -1 && errno != EINVAL)
		err_sys(err, errlen, "%s", addr);
	buf_free(&norm);
	buf_free(&dom);
	return rc;
}

/* suppress_list_valid - whether s may name a list: [A-Za-z0-9._-]+ */
int
suppress_list_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SUPPRESS_LISTMAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/*
 * lookup_key - the key for a lookup: the address lowercased, brackets
 * off; the caller has checked the address already
 */
static int
lookup_key(const char *addr, char *key, size_t keylen)
{
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	if (n == 0 || n >= keylen)
		return -1;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)addr[i]);
	key[n] = '\0';
	return 0;
}

/* --- parsing lines --------------------------------------------------- */

/* A line split at its tabs, not NUL-terminated. */
struct fields {
	const char *f[5];
	size_t	 len[5];
	size_t	 n;
};

static int
split(const char *p, size_t n, struct fields *fl)
{
	const char *end = p + n, *t;

	fl->n = 0;
	for (;;) {
		if (fl->n == 5)
			return -1;
		t = memchr(p, '\t', (size_t)(end - p));
		fl->f[fl->n] = p;
		fl->len[fl->n] = (size_t)((t != NULL ? t : end) - p);
		fl->n++;
		if (t == NULL)
			return 0;
		p = t + 1;
	}
}

static int
parse_num(const char *p, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int
field_ok(const char *p, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/* Entry fields: key list added reason, as in the snapshot. */
static int
entry_fields(const struct fields *fl, size_t at)
{
	int64_t added;
	char list[SUPPRESS_LISTMAX + 1];

	if (fl->n != at + 4 || !field_ok(fl->f[at], fl->len[at],
	    SUPPRESS_KEYMAX) || fl->len[at + 1] > SUPPRESS_LISTMAX ||
	    parse_num(fl->f[at + 2], fl->len[at + 2], &added) == -1 ||
	    fl->len[at + 3] > 3 * SUPPRESS_REASONMAX)
		return -1;
	memcpy(list, fl->f[at + 1], fl->len[at + 1]);
	list[fl->len[at + 1]] = '\0';
	if (!suppress_list_valid(list))
		return -1;
	for (size_t i = 0; i < fl->len[at + 3]; i++)
		if ((unsigned char)fl->f[at + 3][i] < 0x21 ||
		    fl->f[at + 3][i] == 0x7f)
			return -1;
	return 0;
}

static int
header_gen(const char *p, size_t n, const char *magic, uint64_t *gen)
{
	size_t m = strlen(magic);
	int64_t g;

	if (n <= m || memcmp(p, magic, m) != 0 ||
	    parse_num(p + m, n - m, &g) == -1)
		return -1;
	*gen = (uint64_t)g;
	return 0;
}

/* key_ok - whether the n bytes at p are a key as suppress_key() makes */
static int
key_ok(const char *p, size_t n)
{
	char in[SUPPRESS_KEYMAX + 1], key[SUPPRESS_KEYMAX + 1];

	if (!field_ok(p, n, SUPPRESS_KEYMAX))
		return 0;
	memcpy(in, p, n);
	in[n] = '\0';
	return suppress_key(in, key, sizeof(key), NULL, 0) == 0 &&
	    strcmp(in, key) == 0;
}

/* apply_log_line - one log line into the delta; -1 if malformed */
static int
apply_log_line(struct suppress *s, const char *p, size_t n)
{
	struct fields fl;
	struct buf r = BUF_INIT;
	struct ent *e;
	int64_t added = 0;
	char list[SUPPRESS_LISTMAX + 1];

	if (split(p, n, &fl) == -1 || fl.len[0] != 1 || fl.n < 2 ||
	    !key_ok(fl.f[1], fl.len[1]))
		return -1;
	if (fl.f[0][0] == '-') {
		if (fl.n != 2 || !field_ok(fl.f[1], fl.len[1],
		    SUPPRESS_KEYMAX))
			return -1;
		e = ent_new(fl.f[1], fl.len[1], "", NULL, 0, 0, true);
	} else if (fl.f[0][0] == '+') {
		if (entry_fields(&fl, 1) == -1 ||
		    proto_decode(&r, fl.f[4], fl.len[4]) == -1) {
			buf_free(&r);
			return -1;
		}
		(void)parse_num(fl.f[3], fl.len[3], &added);
		memcpy(list, fl.f[2], fl.len[2]);
		list[fl.len[2]] = '\0';
		if (r.len > SUPPRESS_REASONMAX)
			r.len = SUPPRESS_REASONMAX;
		e = ent_new(fl.f[1], fl.len[1], list, r.p, r.len, added,
		    false);
		buf_free(&r);
	} else
		return -1;
	if (e == NULL || tab_put(&s->delta, e) == -1)
		return -2;
	return 0;
}

/* --- reading the store ----------------------------------------------- */

static size_t	snap_bound(const struct suppress *, size_t, size_t, const char *,
	    size_t);

static int
path_of(const struct suppress *s, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", s->dir, name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void
unmap(struct suppress *s)
{
	if (s->map != NULL)
		(void)munmap(s->map, s->maplen);
	s->map = NULL;
	s->maplen = s->data = s->dom = s->domend = 0;
	s->snapgen = 0;
	s->snapcount = 0;
	s->snapino = 0;
}

/* map_snapshot - map suppress/snapshot, or nothing when there is none */
static int
map_snapshot(struct suppress *s)
{
	char path[4096];
	const char *nl, *sp;
	struct stat st;
	int fd;
	int64_t count = 0;

	unmap(s);
	if (path_of(s, "snapshot", path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		(void)close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	s->snapdev = st.st_dev;
	s->snapino = st.st_ino;
	s->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	(void)close(fd);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return -1;
	}
	s->maplen = (size_t)st.st_size;
	/* a header line with the generation and the count */
	if ((nl = memchr(s->map, '\n', s->maplen)) == NULL ||
	    (sp = memmem(s->map, (size_t)(nl - s->map), " count=", 7)) ==
	    NULL || header_gen(s->map, (size_t)(sp - s->map), SNAP_MAGIC,
	    &s->snapgen) == -1 || parse_num(sp + 7, (size_t)(nl - sp - 7),
	    &count) == -1)
		goto bad;
	s->snapcount = (size_t)count;
	s->data = (size_t)(nl - s->map) + 1;
	/* whatever follows the last LF is not an entry */
	while (s->maplen > s->data && s->map[s->maplen - 1] != '\n')
		s->maplen--;
	/* "@" sorts before every @domain key, "A" after them all */
	s->dom = snap_bound(s, s->data, s->maplen, "@", 1);
	s->domend = snap_bound(s, s->dom, s->maplen, "A", 1);
	return 0;
bad:
	unmap(s);
	errno = EINVAL;
	return -1;
}

/*
 * committed - the length of the part of the n bytes at p (log text from
 * a line start; at the file's start if top) that ends with a commit
 * line "." or, at the top, the header line: what a reader may apply and
 * a writer must keep
 */
static size_t
committed(const char *p, size_t n, bool top)
{
	const char *nl, *line = p, *end = p + n;
	size_t cut = 0;

	while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
		if ((top && line == p) || (nl - line == 1 && line[0] == '.'))
			cut = (size_t)(nl + 1 - p);
		line = nl + 1;
	}
	return cut;
}

/* read_all - the bytes of fd from off to its end (at most max), into b */
static int
read_all(int fd, off_t off, size_t max, struct buf *b)
{
	ssize_t r;

	buf_reset(b);
	while (b->len < max) {
		if (buf_grow(b, READ_CHUNK) == -1)
			return -1;
		r = pread(fd, b->p + b->len, READ_CHUNK, off + (off_t)b->len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		b->len += (size_t)r;
	}
	return 0;
}

/*
 * read_log - apply the batches appended past logoff: only whole ones, so
 * that an add of many addresses is seen all at once or not at all
 */
static int
read_log(struct suppress *s, int fd)
{
	struct buf b = BUF_INIT;
	const char *p, *nl, *end;
	size_t cut;
	int rc = -1, bad = 0;

	if (read_all(fd, s->logoff, LOG_READMAX, &b) == -1)
		goto fail;
	s->logseen = s->logoff + (off_t)b.len;
	cut = committed(b.p, b.len, s->logoff == 0);
	end = b.p + cut;
	for (p = b.p; p < end; p = nl + 1) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)(nl - p);
		s->logline++;
		if (s->logline == 1) {
			if (header_gen(p, n, LOG_MAGIC, &s->loggen) == -1) {
				bad++;
				s->logapplies = false;
			} else
				s->logapplies = s->loggen >= s->snapgen;
		} else if (s->logapplies && !(n == 1 && p[0] == '.')) {
			int a = apply_log_line(s, p, n);

			if (a == -2)
				goto fail;
			if (a == -1)
				bad++;
		}
	}
	s->logoff += (off_t)cut;
	if (bad > 0)
		log_warn("%s/log: %d damaged line%s ignored", s->dir, bad,
		    bad == 1 ? "" : "s");
	rc = 0;
fail:
	buf_free(&b);
	return rc;
}

/*
 * reload - read the store again from scratch: the log first, then the
 * snapshot, so that a compaction in between leaves us with a log that
 * is either applied or older than (and inside) the snapshot
 */
static int
reload(struct suppress *s)
{
	char path[4096];
	struct stat st;
	int fd;

	tab_free(&s->delta);
	s->haslog = false;
	s->logapplies = false;
	s->loggen = 0;
	s->logoff = s->logseen = 0;
	s->logline = 0;
	if (path_of(s, "log", path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 && errno != ENOENT)
		return -1;
	if (map_snapshot(s) == -1) {
		int save = errno;

		if (fd != -1)
			(void)close(fd);
		errno = save;
		return -1;
	}
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || read_log(s, fd) == -1) {
		int save = errno;

		(void)close(fd);
		errno = save;
		return -1;
	}
	s->haslog = true;
	s->logdev = st.st_dev;
	s->logino = st.st_ino;
	(void)close(fd);
	return 0;
}

/* refresh - catch up with other processes: one stat(2) when nothing new */
static int
refresh(struct suppress *s)
{
	char path[4096];
	struct stat st;
	int fd, rc;

	if (path_of(s, "log", path, sizeof(path)) == -1)
		return -1;
	if (stat(path, &st) == -1) {
		if (errno != ENOENT)
			return -1;
		if (s->haslog)
			return reload(s);
		/* no log yet: only a first compaction cut short makes one
		 * snapshot without the other, so look at the snapshot too */
		if (path_of(s, "snapshot", path, sizeof(path)) == -1)
			return -1;
		if (stat(path, &st) == -1)
			return errno == ENOENT ? (s->snapino != 0 ?
			    reload(s) : 0) : -1;
		if (st.st_ino != s->snapino || st.st_dev != s->snapdev)
			return reload(s);
		return 0;
	}
	if (!s->haslog || st.st_dev != s->logdev || st.st_ino != s->logino ||
	    st.st_size < s->logoff)
		return reload(s);
	if (st.st_size == s->logseen)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? reload(s) : -1;
	rc = read_log(s, fd);
	(void)close(fd);
	return rc;
}

/*
 * refresh_soon - refresh for a lookup; with SUPPRESS_LAZY at most every
 * LOOKUP_REFRESH_MS: a daemon's lookup for each recipient would
 * otherwise stat(2) the store once or twice, a few microseconds each;
 * what another process adds is seen within that time (a writer takes in
 * its own changes at once)
 */
static int
refresh_soon(struct suppress *s)
{
	struct timespec ts;
	uint64_t now;

	if (!(s->flags & SUPPRESS_LAZY))
		return refresh(s);
	(void)clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	/* + 1: never 0, which says "not looked yet" */
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
	if (s->looked_ms != 0 && now - s->looked_ms < LOOKUP_REFRESH_MS)
		return 0;
	if (refresh(s) == -1) {
		s->looked_ms = 0;	/* the next lookup tries again */
		return -1;
	}
	s->looked_ms = now;
	return 0;
}

/* suppress_open - the store of the spool at spooldir; NULL, errno, err */
struct suppress *
suppress_open(const char *spooldir, int flags, char *err, size_t errlen)
{
	struct suppress *s;
	int n;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_sys(err, errlen, "suppress");
		return NULL;
	}
	s->flags = flags;
	n = snprintf(NULL, 0, "%s/suppress", spooldir);
	if (n < 0 || (s->dir = malloc((size_t)n + 1)) == NULL) {
		err_sys(err, errlen, "suppress");
		free(s);
		return NULL;
	}
	(void)snprintf(s->dir, (size_t)n + 1, "%s/suppress", spooldir);
	if ((flags & SUPPRESS_WRITE) && mkdir(s->dir, DIR_MODE) == -1 &&
	    errno != EEXIST) {
		err_sys(err, errlen, "%s: mkdir", s->dir);
		goto fail;
	}
	if (reload(s) == -1) {
		err_msg(err, errlen, "%s: %s", s->dir, errno == EINVAL ?
		    "damaged snapshot header" : strerror(errno));
		goto fail;
	}
	return s;
fail:
	n = errno;
	suppress_close(s);
	errno = n;
	return NULL;
}

/* suppress_close - release the store */
void
suppress_close(struct suppress *s)
{
	if (s == NULL)
		return;
	unmap(s);
	tab_free(&s->delta);
	for (size_t i = 0; i < SUPPRESS_LOOKUPMAX; i++)
		buf_free(&s->out[i].reason);
	free(s->dir);
	free(s);
}

/* keycmp - key against the key field of the line at p (bytes) */
static int
keycmp(const char *key, size_t klen, const char *p, size_t n)
{
	const char *t = memchr(p, '\t', n);
	size_t flen = t != NULL ? (size_t)(t - p) : n;
	int c = memcmp(key, p, klen < flen ? klen : flen);

	if (c != 0)
		return c;
	return klen < flen ? -1 : klen > flen;
}

/*
 * snap_bound - the offset of the first line of the snapshot between
 * offsets lo and hi (line starts) whose key is not less than key (hi if
 * none)
 */
static size_t
snap_bound(const struct suppress *s, size_t lo, size_t hi, const char *key,
    size_t klen)
{
	size_t mid, start, end;
	const char *nl;

	/* lo and hi stay line starts: below lo every key is less */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		start = mid;
		while (start > lo && s->map[start - 1] != '\n')
			start--;
		nl = memchr(s->map + start, '\n', hi - start);
		end = nl != NULL ? (size_t)(nl - s->map) : hi;
		if (keycmp(key, klen, s->map + start, end - start) > 0)
			lo = end + 1;
		else
			hi = start;
	}
	return lo;
}

/*
 * snap_find - the line of key in the snapshot, or NULL; a domain is
 * searched for among the domains only, a few lines where a million
 * addresses are
 */
static const char *
snap_find(const struct suppress *s, const char *key, size_t klen,
    size_t *linelen)
{
	size_t lo = s->data, hi = s->maplen, end;
	const char *nl;

	if (klen > 0 && key[0] == '@') {
		lo = s->dom;
		hi = s->domend;
	}
	if ((lo = snap_bound(s, lo, hi, key, klen)) >= hi)
		return NULL;
	nl = memchr(s->map + lo, '\n', hi - lo);
	end = nl != NULL ? (size_t)(nl - s->map) : hi;
	if (keycmp(key, klen, s->map + lo, end - lo) != 0)
		return NULL;
	*linelen = end - lo;
	return s->map + lo;
}

/*
 * entry_from_line - fill e from a snapshot line, its strings in out
 * slot i; -1 if damaged
 */
static int
entry_from_line(struct suppress *s, size_t i, const char *p, size_t n,
    struct suppress_entry *e)
{
	struct fields fl;

	if (split(p, n, &fl) == -1 || entry_fields(&fl, 0) == -1 ||
	    proto_decode(&s->out[i].reason, fl.f[3], fl.len[3]) == -1)
		return -1;
	memcpy(s->out[i].key, fl.f[0], fl.len[0]);
	s->out[i].key[fl.len[0]] = '\0';
	memcpy(s->out[i].list, fl.f[1], fl.len[1]);
	s->out[i].list[fl.len[1]] = '\0';
	(void)parse_num(fl.f[2], fl.len[2], &e->added);
	if (s->out[i].reason.len > SUPPRESS_REASONMAX)
		s->out[i].reason.len = SUPPRESS_REASONMAX;
	if (buf_cstr(&s->out[i].reason) == NULL)
		return -1;
	e->addr = s->out[i].key;
	e->list = s->out[i].list;
	e->reason = s->out[i].reason.p;
	return 0;
}

/*
 * find - the entry of one key, from the log or else the snapshot (its
 * strings in out slot i)
 */
static int
find(struct suppress *s, const char *key, size_t i, struct suppress_entry *e)
{
	size_t klen = strlen(key), n;
	const struct ent *d;
	const char *line;

	if ((d = tab_get(&s->delta, key, klen)) != NULL) {
		if (d->gone)
			return 0;
		e->addr = d->key;
		e->list = d->list;
		e->added = d->added;
		e->reason = d->reason;
		return 1;
	}
	if (s->map == NULL ||
	    (line = snap_find(s, key, klen, &n)) == NULL)
		return 0;
	return entry_from_line(s, i, line, n, e) == -1 ? 0 : 1;
}

/*
 * suppress_lookup - the store's entries that apply to an address: its
 * own, then its domain's (@domain), whatever their lists; up to n of
 * them into e (valid until the next call), their number, or -1
 */
int
suppress_lookup(struct suppress *s, const char *addr,
    struct suppress_entry *e, size_t n)
{
	char key[SUPPRESS_KEYMAX + 2];
	const char *at;
	size_t found = 0;

	if (refresh_soon(s) == -1)
		return -1;
	if (n > SUPPRESS_LOOKUPMAX)
		n = SUPPRESS_LOOKUPMAX;
	if (lookup_key(addr, key, sizeof(key)) == -1)
		return 0;
	if (key[0] != '@' && found < n && find(s, key, found, &e[found]) == 1)
		found++;
	if ((at = strrchr(key, '@')) != NULL && found < n &&
	    find(s, at, found, &e[found]) == 1)
		found++;
	return (int)found;
}

/* --- writing --------------------------------------------------------- */

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* lock - take suppress/lock for writing; the fd, or -1 */
static int
lock(struct suppress *s)
{
	char path[4096];
	int fd;

	if (!(s->flags & SUPPRESS_WRITE)) {
		errno = EBADF;
		return -1;
	}
	if (path_of(s, "lock", path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, FILE_MODE)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			(void)close(fd);
			return -1;
		}
	return fd;
}

/* new_file - write content to name through name.tmp, fsync, rename */
static int
new_file(struct suppress *s, const char *name, const struct buf *b)
{
	char tmp[4096], path[4096];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s/%s.tmp", s->dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    path_of(s, name, path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    FILE_MODE)) == -1)
		return -1;
	if (write_all(fd, b->p, b->len) == -1 || fsync(fd) == -1) {
		n = errno;
		(void)close(fd);
		(void)unlink(tmp);
		errno = n;
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		n = errno;
		(void)unlink(tmp);
		errno = n;
		return -1;
	}
	return 0;
}

/* fresh_log - an empty log of generation gen in place */
static int
fresh_log(struct suppress *s, uint64_t gen)
{
	struct buf b = BUF_INIT;
	int rc = -1;

	if (buf_appendf(&b, "%s%" PRIu64 "\n", LOG_MAGIC, gen) == 0 &&
	    new_file(s, "log", &b) == 0 && fsync_dir(s->dir) == 0)
		rc = 0;
	buf_free(&b);
	return rc;
}

/*
 * cut_torn - a batch without its commit line was never acknowledged: put
 * the log back to its committed part.  Through a new file, not in place:
 * a reader knows new bytes by the size, and the cut log with the next
 * batch appended can be the size it saw before the cut.  A new inode
 * makes every reader read the log again.
 */
static int
cut_torn(struct suppress *s, const char *path)
{
	struct buf b = BUF_INIT;
	struct stat st;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && read_all(fd, 0, LOG_READMAX, &b) == 0) {
		b.len = committed(b.p, b.len, true);
		if ((off_t)b.len == st.st_size || (new_file(s, "log", &b) ==
		    0 && fsync_dir(s->dir) == 0))
			rc = 0;
	}
	buf_free(&b);
	(void)close(fd);
	return rc;
}

/*
 * open_log - the log for appending, under the lock: made anew when it is
 * missing, damaged or older than the snapshot; a torn last batch cut off
 */
static int
open_log(struct suppress *s)
{
	char path[4096];

	if (reload(s) == -1 || path_of(s, "log", path, sizeof(path)) == -1)
		return -1;
	if (!s->haslog || !s->logapplies) {
		if (fresh_log(s, s->snapgen) == -1 || reload(s) == -1)
			return -1;
	}
	if (cut_torn(s, path) == -1)
		return -1;
	return open(path, O_RDWR | O_APPEND | O_CLOEXEC);
}

static int
format_entry(struct buf *b, const struct suppress_entry *e)
{
	size_t rlen = strlen(e->reason != NULL ? e->reason : "");

	if (rlen > SUPPRESS_REASONMAX)
		rlen = SUPPRESS_REASONMAX;
	if (buf_appendf(b, "%s\t%s\t%" PRId64 "\t", e->addr, e->list,
	    e->added) == -1 || proto_encode(b, e->reason != NULL ?
	    e->reason : "", rlen) == -1)
		return -1;
	return buf_appendc(b, '\n');
}

/* check_entry - the key of e, checked, into key */
static int
check_entry(const struct suppress_entry *e, char *key, char *err,
    size_t errlen)
{
	if (suppress_key(e->addr, key, SUPPRESS_KEYMAX + 1, err, errlen) ==
	    -1)
		return -1;
	if (e->list == NULL || !suppress_list_valid(e->list)) {
		errno = EINVAL;
		err_msg(err, errlen, "%s: bad list name \"%s\"", e->addr,
		    e->list != NULL ? e->list : "");
		return -1;
	}
	if (e->added < 0 || e->added > 999999999999LL) {
		errno = EINVAL;
		err_msg(err, errlen, "%s: bad time", e->addr);
		return -1;
	}
	return 0;
}

/*
 * Snapshot entries, one by one, for merging: damaged lines and lines out
 * of order are left out, so that what a merge writes is sorted and
 * searchable whatever the snapshot it read held.
 */
struct cursor {
	const struct suppress *s;
	size_t	 off;
	const char *last;	/* the key of the last line given */
	size_t	 lastlen;
};

static int
cursor_next(struct cursor *c, const char **p, size_t *n)
{
	const struct suppress *s = c->s;
	struct fields fl;
	const char *nl;

	while (s->map != NULL && c->off < s->maplen) {
		nl = memchr(s->map + c->off, '\n', s->maplen - c->off);
		*p = s->map + c->off;
		*n = nl != NULL ? (size_t)(nl - *p) : s->maplen - c->off;
		c->off += *n + 1;
		if (split(*p, *n, &fl) == -1 || entry_fields(&fl, 0) == -1 ||
		    (c->last != NULL && keycmp(c->last, c->lastlen, *p, *n) >=
		    0))
			continue;
		c->last = fl.f[0];
		c->lastlen = fl.len[0];
		return 1;
	}
	return 0;
}

static int
entcmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;

	return strcmp(x->key, y->key);
}

/* sorted_delta - the log's entries in key order */
static struct ent **
sorted_delta(const struct suppress *s, size_t *n)
{
	struct ent **v;

	*n = 0;
	if ((v = reallocarray(NULL, s->delta.n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (size_t i = 0; i < s->delta.cap; i++)
		if (s->delta.slot[i] != NULL)
			v[(*n)++] = s->delta.slot[i];
	qsort(v, *n, sizeof(*v), entcmp);
	return v;
}

/*
 * merge - every live entry in key order, snapshot and log together, to
 * fn (a snapshot line of the store as it is, or NULL and the entry)
 */
static int
merge(struct suppress *s, int (*fn)(const char *, size_t,
    const struct ent *, void *), void *arg)
{
	struct cursor c = { s, s->data, NULL, 0 };
	struct ent **v;
	const char *p = NULL;
	size_t nv, i = 0, n = 0;
	int have, cmp, rc = 0;

	if ((v = sorted_delta(s, &nv)) == NULL)
		return -1;
	have = cursor_next(&c, &p, &n);
	while (rc == 0 && (have || i < nv)) {
		if (!have)
			cmp = 1;
		else if (i == nv)
			cmp = -1;
		else
			cmp = -keycmp(v[i]->key, strlen(v[i]->key), p, n);
		if (cmp < 0) {
			rc = fn(p, n, NULL, arg);
			have = cursor_next(&c, &p, &n);
		} else {
			if (!v[i]->gone)
				rc = fn(NULL, 0, v[i], arg);
			if (cmp == 0)
				have = cursor_next(&c, &p, &n);
			i++;
		}
	}
	free(v);
	return rc;
}

struct snapout {
	struct buf b;
	size_t	 count;
	int	 fd;
};

static int
snap_line(const char *p, size_t n, const struct ent *e, void *arg)
{
	struct snapout *o = arg;
	struct suppress_entry se;

	o->count++;
	if (p != NULL) {
		if (buf_append(&o->b, p, n) == -1 ||
		    buf_appendc(&o->b, '\n') == -1)
			return -1;
	} else {
		se.addr = e->key;
		se.list = e->list;
		se.added = e->added;
		se.reason = e->reason;
		if (format_entry(&o->b, &se) == -1)
			return -1;
	}
	if (o->b.len >= READ_CHUNK * 4) {
		if (write_all(o->fd, o->b.p, o->b.len) == -1)
			return -1;
		buf_reset(&o->b);
	}
	return 0;
}

/*
 * compact_locked - merge snapshot and log into a new snapshot, then an
 * empty log of the new generation; the lock is held, s is current
 */
static int
compact_locked(struct suppress *s)
{
	char tmp[4096], path[4096], head[128];
	struct snapout o = { BUF_INIT, 0, -1 };
	uint64_t gen = (s->loggen > s->snapgen ? s->loggen : s->snapgen) + 1;
	int n, save;

	n = snprintf(tmp, sizeof(tmp), "%s/snapshot.tmp", s->dir);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    path_of(s, "snapshot", path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    FILE_MODE)) == -1)
		return -1;
	/* a fixed-width count, filled in once known */
	n = snprintf(head, sizeof(head), "%s%012" PRIu64 " count=%012zu\n",
	    SNAP_MAGIC, gen, (size_t)0);
	if (buf_append(&o.b, head, (size_t)n) == -1 ||
	    merge(s, snap_line, &o) == -1 ||
	    write_all(o.fd, o.b.p, o.b.len) == -1)
		goto fail;
	n = snprintf(head, sizeof(head), "%s%012" PRIu64 " count=%012zu\n",
	    SNAP_MAGIC, gen, o.count);
	if (pwrite(o.fd, head, (size_t)n, 0) != n || fsync(o.fd) == -1 ||
	    close(o.fd) == -1) {
		o.fd = -1;
		goto fail;
	}
	o.fd = -1;
	if (rename(tmp, path) == -1 || fsync_dir(s->dir) == -1)
		goto fail;
	buf_free(&o.b);
	/* a crash here leaves an older log: ignored from now on */
	if (fresh_log(s, gen) == -1)
		return -1;
	return reload(s);
fail:
	save = errno;
	if (o.fd != -1)
		(void)close(o.fd);
	(void)unlink(tmp);
	buf_free(&o.b);
	errno = save;
	return -1;
}

/* maybe_compact - compact once the log outgrows a share of the snapshot */
static int
maybe_compact(struct suppress *s)
{
	off_t limit = (off_t)(s->maplen / 16);

	if (limit < LOG_MIN_COMPACT)
		limit = LOG_MIN_COMPACT;
	if (s->logoff < limit)
		return 0;
	return compact_locked(s);
}

static void
unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
	(void)close(fd);
}

/*
 * apply_bulk - many entries: straight into a new snapshot, so that an
 * import is all or nothing and its log never holds a million lines
 */
static int
apply_bulk(struct suppress *s, const struct suppress_entry *v, size_t n)
{
	char key[SUPPRESS_KEYMAX + 1];
	struct ent *e;

	if (reload(s) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (suppress_key(v[i].addr, key, sizeof(key), NULL, 0) == -1)
			return -1;
		e = ent_new(key, strlen(key), v[i].list, v[i].reason,
		    v[i].reason != NULL ? strnlen(v[i].reason,
		    SUPPRESS_REASONMAX) : 0, v[i].added, false);
		if (e == NULL || tab_put(&s->delta, e) == -1)
			return -1;
	}
	return compact_locked(s);
}

/*
 * append_batch - end the batch of log lines in b, append it to the log
 * and sync it (nothing when b is empty), then take in what other
 * writers added and compact when the log has grown; 0, or -1 with errno
 */
static int
append_batch(struct suppress *s, struct buf *b)
{
	int fd, save;

	if (b->len > 0) {
		if (buf_appends(b, ".\n") == -1 || (fd = open_log(s)) == -1)
			return -1;
		if (write_all(fd, b->p, b->len) == -1 || fsync(fd) == -1) {
			save = errno;
			(void)close(fd);
			errno = save;
			return -1;
		}
		(void)close(fd);
	}
	return refresh(s) == -1 || maybe_compact(s) == -1 ? -1 : 0;
}

/*
 * suppress_add - add or replace n entries, durably: on return 0 they are
 * on disk; -1 with errno and err, and nothing added
 */
int
suppress_add(struct suppress *s, const struct suppress_entry *v, size_t n,
    char *err, size_t errlen)
{
	char key[SUPPRESS_KEYMAX + 1];
	struct buf b = BUF_INIT;
	struct suppress_entry e;
	int lfd, save;

	for (size_t i = 0; i < n; i++)
		if (check_entry(&v[i], key, err, errlen) == -1)
			return -1;
	if ((lfd = lock(s)) == -1) {
		err_sys(err, errlen, "%s/lock", s->dir);
		return -1;
	}
	if (n >= BULK_MIN) {
		if (apply_bulk(s, v, n) == -1) {
			save = errno;
			(void)reload(s);	/* forget what is not on disk */
			errno = save;
			goto fail;
		}
		unlock(lfd);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		e = v[i];
		(void)suppress_key(v[i].addr, key, sizeof(key), NULL, 0);
		e.addr = key;
		if (buf_appends(&b, "+\t") == -1 || format_entry(&b, &e) == -1)
			goto fail;
	}
	if (append_batch(s, &b) == -1)
		goto fail;
	buf_free(&b);
	unlock(lfd);
	return 0;
fail:
	save = errno;
	err_sys(err, errlen, "%s", s->dir);
	buf_free(&b);
	unlock(lfd);
	errno = save;
	return -1;
}

/*
 * suppress_remove - take n addresses (or @domains) out; *removed counts
 * those that were in; 0, or -1 with errno and err
 */
int
suppress_remove(struct suppress *s, const char *const *addrs, size_t n,
    size_t *removed, char *err, size_t errlen)
{
	char key[SUPPRESS_KEYMAX + 1];
	struct suppress_entry e;
	struct buf b = BUF_INIT;
	int lfd, save;

	*removed = 0;
	for (size_t i = 0; i < n; i++)
		if (suppress_key(addrs[i], key, sizeof(key), err, errlen) ==
		    -1)
			return -1;
	if ((lfd = lock(s)) == -1) {
		err_sys(err, errlen, "%s/lock", s->dir);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		(void)suppress_key(addrs[i], key, sizeof(key), NULL, 0);
		if (find(s, key, 0, &e) != 1)
			continue;
		(*removed)++;
		if (buf_appendf(&b, "-\t%s\n", key) == -1)
			goto fail;
	}
	if (append_batch(s, &b) == -1)
		goto fail;
	buf_free(&b);
	unlock(lfd);
	return 0;
fail:
	save = errno;
	err_sys(err, errlen, "%s", s->dir);
	buf_free(&b);
	unlock(lfd);
	errno = save;
	return -1;
}

/* suppress_compact - merge the log into a new snapshot now */
int
suppress_compact(struct suppress *s, char *err, size_t errlen)
{
	int lfd, rc, save;

	if ((lfd = lock(s)) == -1) {
		err_sys(err, errlen, "%s/lock", s->dir);
		return -1;
	}
	rc = reload(s) == -1 ? -1 : compact_locked(s);
	save = errno;
	if (rc == -1)
		err_sys(err, errlen, "%s: compact", s->dir);
	unlock(lfd);
	errno = save;
	return rc;
}

struct walk {
	struct suppress *s;
	int	(*fn)(const struct suppress_entry *, void *);
	void	*arg;
};

static int
walk_one(const char *p, size_t n, const struct ent *d, void *arg)
{
	struct walk *w = arg;
	struct suppress_entry e;

	if (p != NULL) {
		/* damage is skipped: what a walk gives, an import takes */
		if (entry_from_line(w->s, 0, p, n, &e) == -1 ||
		    !key_ok(e.addr, strlen(e.addr)))
			return 0;
	} else {
		e.addr = d->key;
		e.list = d->list;
		e.added = d->added;
		e.reason = d->reason;
	}
	return w->fn(&e, w->arg);
}

/*
 * suppress_walk - fn for every entry in key order; stops at the first
 * non-zero return of fn and returns it; -1 with errno on our failure
 */
int
suppress_walk(struct suppress *s, int (*fn)(const struct suppress_entry *,
    void *), void *arg)
{
	struct walk w = { s, fn, arg };

	if (refresh(s) == -1)
		return -1;
	return merge(s, walk_one, &w);
}

/* suppress_count - entries in the store, as of the last look */
size_t
suppress_count(struct suppress *s)
{
	size_t n = s->snapcount, klen, linelen;

	(void)refresh(s);
	for (size_t i = 0; i < s->delta.cap; i++) {
		const struct ent *d = s->delta.slot[i];

		if (d == NULL)
			continue;
		klen = strlen(d->key);
		if (s->map != NULL && snap_find(s, d->key, klen,
		    &linelen) != NULL) {
			if (d->gone && n > 0)
				n--;
		} else if (!d->gone)
			n++;
	}
	return n;
}

/*
 * suppress_soft_bounce_entry - for permanent-bounce-after, without
 * writing: whether an address that has soft-bounced since first (and
 * still does at now) has done so for at least after seconds; 1 and e
 * filled (its reason in reason, reasonlen bytes) if so, else 0
 */
int
suppress_soft_bounce_entry(const char *addr, time_t first, time_t now,
    int64_t after, struct suppress_entry *e, char *reason, size_t reasonlen)
{
	struct tm tm;

	if (after == INT64_MAX || after < 0 || now < first ||
	    (int64_t)(now - first) < after)
		return 0;
	if (gmtime_r(&first, &tm) == NULL ||
	    strftime(reason, reasonlen, "soft bounces since "
	    "%Y-%m-%dT%H:%M:%SZ (permanent-bounce-after)", &tm) == 0)
		(void)strlcpy(reason, "permanent-bounce-after", reasonlen);
	e->addr = addr;
	e->list = SUPPRESS_DEFAULT_LIST;
	e->added = (int64_t)now;
	e->reason = reason;
	return 1;
}

/*
 * suppress_soft_bounce - suppress_soft_bounce_entry, and the entry added
 * to the store; 1 if it was, 0 if not yet, -1
 */
int
suppress_soft_bounce(struct suppress *s, const char *addr, time_t first,
    time_t now, int64_t after, char *err, size_t errlen)
{
	struct suppress_entry e;
	char reason[128];

	if (suppress_soft_bounce_entry(addr, first, now, after, &e, reason,
	    sizeof(reason)) == 0)
		return 0;
	return suppress_add(s, &e, 1, err, errlen) == -1 ? -1 : 1;
}

/* --- the lists of a source ------------------------------------------- */

static int
alist_key(struct alist *l, const char *key)
{
	struct ent *e;

	if ((e = ent_new(key, strlen(key), "", NULL, 0, 0, false)) == NULL)
		return -1;
	return tab_put(&l->keys, e);
}

static int
alist_rx(struct alist *l, const char *p, size_t n, char *why, size_t len)
{
	struct rx **v, *rx;

	if ((rx = rx_compile(p, n, RX_CASELESS, why, len)) == NULL)
		return -1;
	if ((v = reallocarray(l->rx, l->nrx + 1, sizeof(*v))) == NULL) {
		rx_free(rx);
		(void)strlcpy(why, strerror(errno), len);
		return -1;
	}
	l->rx = v;
	l->rx[l->nrx++] = rx;
	return 0;
}

/*
 * alist_entry - one entry as written after "address" (or a line of an
 * address-file): /regex/, @domain, or an address; domain says "domain"
 */
static int
alist_entry(struct alist *l, const char *v, bool domain, char *why,
    size_t len)
{
	char key[SUPPRESS_KEYMAX + 2], dom[SUPPRESS_KEYMAX + 2];
	size_t n = strlen(v);

	if (!domain && n >= 2 && v[0] == '/' && v[n - 1] == '/')
		return alist_rx(l, v + 1, n - 2, why, len);
	if (domain || (v[0] != '@' && strchr(v, '@') == NULL)) {
		if (snprintf(dom, sizeof(dom), "@%s", v) >= (int)sizeof(dom)) {
			(void)strlcpy(why, "domain too long", len);
			return -1;
		}
		v = dom;
	}
	if (suppress_key(v, key, sizeof(key), why, len) == -1)
		return -1;
	if (alist_key(l, key) == -1) {
		(void)strlcpy(why, strerror(errno), len);
		return -1;
	}
	return 0;
}

/* alist_file - the entries of an address-file, one a line, # comments */
static int
alist_file(struct alist *l, const char *path, char *why, size_t len)
{
	char line[1024], w[256];
	unsigned long lineno = 0;
	char *p, *end;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		(void)snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			(void)snprintf(why, len, "%s:%lu: line too long",
			    path, lineno);
			rc = -1;
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (alist_entry(l, p, false, w, sizeof(w)) == -1) {
			(void)snprintf(why, len, "%s:%lu: %s", path, lineno, w);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(fp)) {
		(void)snprintf(why, len, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	(void)fclose(fp);
	return rc;
}

/* alist_load - the entries of <address-list NAME> */
static int
alist_load(struct alist *l, const struct conf_block *b, char *err,
    size_t errlen)
{
	char why[512];
	int rc;

	for (const struct conf_directive *d = b->dirs; d != NULL;
	    d = d->next) {
		if (d->cleared)
			continue;
		switch (d->def->id) {
		case CONF_ADDRESS:
			rc = alist_entry(l, d->str != NULL ? d->str : d->text,
			    false, why, sizeof(why));
			break;
		case CONF_KEY_DOMAIN:
			rc = alist_entry(l, d->str != NULL ? d->str : d->text,
			    true, why, sizeof(why));
			break;
		case CONF_ADDRESS_FILE:
			rc = alist_file(l, d->str != NULL ? d->str : d->text,
			    why, sizeof(why));
			break;
		default:
			continue;
		}
		if (rc == -1) {
			errno = EINVAL;
			err_msg(err, errlen, "%s:%d: <address-list %s> %s: %s",
			    d->file, d->line, l->name, d->def->name, why);
			return -1;
		}
	}
	return 0;
}

/*
 * suppress_set_new - the lists named in names ("a,b" or "a b"; NULL for
 * the default list), each its <address-list> block if the config has
 * one, and the store's entries of that list; NULL with errno and err
 */
struct suppress_set *
suppress_set_new(const struct conf *c, struct suppress *store,
    const char *names, char *err, size_t errlen)
{
	struct suppress_set *set;
	const struct conf_block *b;
	struct alist *v;
	char *copy, *w, *save;
	int e;

	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (copy = strdup(names != NULL ? names :
	    SUPPRESS_DEFAULT_LIST)) == NULL) {
		free(set);
		err_sys(err, errlen, "suppression lists");
		return NULL;
	}
	set->store = store;
	for (w = strtok_r(copy, ", \t", &save); w != NULL;
	    w = strtok_r(NULL, ", \t", &save)) {
		if (!suppress_list_valid(w)) {
			errno = EINVAL;
			err_msg(err, errlen, "suppression-lists: bad list name "
			    "\"%s\"", w);
			goto fail;
		}
		if ((v = reallocarray(set->lists, set->n + 1,
		    sizeof(*v))) == NULL)
			goto oom;
		set->lists = v;
		memset(&v[set->n], 0, sizeof(*v));
		if ((v[set->n].name = strdup(w)) == NULL)
			goto oom;
		set->n++;
		if (c != NULL && (b = conf_find_block(c, CONF_S_ADDRESS_LIST,
		    w)) != NULL && alist_load(&v[set->n - 1], b, err,
		    errlen) == -1)
			goto fail;
	}
	free(copy);
	return set;
oom:
	err_sys(err, errlen, "suppression lists");
fail:
	e = errno;
	free(copy);
	suppress_set_free(set);
	errno = e;
	return NULL;
}

/* suppress_set_free - release a set (not its store) */
void
suppress_set_free(struct suppress_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->lists[i].name);
		tab_free(&set->lists[i].keys);
		for (size_t k = 0; k < set->lists[i].nrx; k++)
			rx_free(set->lists[i].rx[k]);
		free(set->lists[i].rx);
	}
	free(set->lists);
	free(set);
}

static void
matched(struct suppress_match *m, const char *list, const char *how,
    const char *reason)
{
	if (m == NULL)
		return;
	(void)strlcpy(m->list, list, sizeof(m->list));
	(void)strlcpy(m->how, how, sizeof(m->how));
	(void)strlcpy(m->reason, reason, sizeof(m->reason));
}

/*
 * suppress_check - whether addr is in one of the set's lists: 1 and the
 * first list (in the order named) in m, 0, or -1 with errno when the
 * store cannot be read (the caller should defer, not send).  The store
 * may hold the address in one list and its domain in another: each
 * entry counts.
 */
int
suppress_check(struct suppress_set *set, const char *addr,
    struct suppress_match *m)
{
	char key[SUPPRESS_KEYMAX + 2];
	struct suppress_entry e[SUPPRESS_LOOKUPMAX];
	const char *dom;
	int instore = 0;

	if (lookup_key(addr, key, sizeof(key)) == -1 ||
	    (dom = strrchr(key, '@')) == NULL)
		return 0;
	if (set->store != NULL && (instore = suppress_lookup(set->store, key,
	    e, SUPPRESS_LOOKUPMAX)) == -1)
		return -1;
	for (size_t i = 0; i < set->n; i++) {
		const struct alist *l = &set->lists[i];

		if (tab_get(&l->keys, key, strlen(key)) != NULL) {
			matched(m, l->name, "address", "");
			return 1;
		}
		if (tab_get(&l->keys, dom, strlen(dom)) != NULL) {
			matched(m, l->name, "domain", "");
			return 1;
		}
		for (size_t k = 0; k < l->nrx; k++)
			if (rx_match(l->rx[k], key, strlen(key)) == 1) {
				matched(m, l->name, "regex",
				    rx_pattern(l->rx[k]));
				return 1;
			}
		for (int k = 0; k < instore; k++)
			if (strcmp(e[k].list, l->name) == 0) {
				matched(m, l->name, "store", e[k].reason);
				return 1;
			}
	}
	return 0;
}

/* --- CSV: address,list,added,reason ---------------------------------- */

#define CSV_FIELDMAX	4096		/* bytes in one field */
#define CSV_NFIELDS	4

struct suppress_csv {
	struct csv_parser p;
	char	 deflist[SUPPRESS_LISTMAX + 1];
	time_t	 now;
	int	(*fn)(const struct suppress_entry *, unsigned long,
		    const char *, void *);
	void	*arg;
	unsigned long row;
	struct buf f[CSV_NFIELDS];
	size_t	 nf;
	bool	 toomany;
	bool	 toolong;
	int	 stop;		/* what fn returned, once not 0 */
};

/*
 * libcsv grows its field buffer without end; this keeps a hostile file
 * from taking the memory (the parser then reports CSV_ENOMEM)
 */
static void *
csv_realloc_capped(void *p, size_t n)
{
	if (n > 4 * CSV_FIELDMAX)
		return NULL;
	return realloc(p, n);
}

/* parse_time - seconds, or YYYY-MM-DD[T ]HH:MM:SS[Z]; empty is now */
static int
parse_time(const char *s, time_t now, int64_t *out)
{
	struct tm tm;
	const char *end;

	if (*s == '\0') {
		*out = (int64_t)now;
		return 0;
	}
	if (parse_num(s, strlen(s), out) == 0)
		return *out <= 999999999999LL ? 0 : -1;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    (*end != 'T' && *end != ' ') ||
	    (end = strptime(end + 1, "%H:%M:%S", &tm)) == NULL ||
	    (*end != '\0' && strcmp(end, "Z") != 0 &&
	    strcmp(end, "+0000") != 0))
		return -1;
	*out = (int64_t)timegm(&tm);
	return *out >= 0 ? 0 : -1;
}

static void
csv_field(void *p, size_t n, void *arg)
{
	struct suppress_csv *c = arg;

	if (c->nf >= CSV_NFIELDS) {
		c->toomany = true;
		return;
	}
	if (n > CSV_FIELDMAX) {
		c->toolong = true;
		n = 0;
	}
	buf_reset(&c->f[c->nf]);
	if (buf_append(&c->f[c->nf], p != NULL ? p : "", n) == -1 ||
	    buf_cstr(&c->f[c->nf]) == NULL)
		c->toolong = true;
	c->nf++;
}

static int
csv_bad(struct suppress_csv *c, const char *fmt, ...) PRINTFLIKE(2, 3);

static int
csv_bad(struct suppress_csv *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return c->fn(NULL, c->row, why, c->arg);
}

/* csv_entry - the row just read, to the callback */
static int
csv_entry(struct suppress_csv *c)
{
	char key[SUPPRESS_KEYMAX + 1], why[256];
	struct suppress_entry e;
	const char *list;
	size_t n;

	for (size_t i = c->nf; i < CSV_NFIELDS; i++) {
		buf_reset(&c->f[i]);
		if (buf_cstr(&c->f[i]) == NULL)
			return -1;
	}
	if (c->toomany)
		return csv_bad(c, "more than %d fields", CSV_NFIELDS);
	if (c->toolong)
		return csv_bad(c, "a field over %d bytes", CSV_FIELDMAX);
	if (c->f[0].len == 0 && c->nf <= 1)
		return 0;	/* an empty row */
	if (c->row == 1 && strcasecmp(c->f[0].p, "address") == 0)
		return 0;	/* the header */
	if (memchr(c->f[0].p, '\0', c->f[0].len) != NULL ||
	    suppress_key(c->f[0].p, key, sizeof(key), why, sizeof(why)) ==
	    -1)
		return csv_bad(c, "%s", memchr(c->f[0].p, '\0', c->f[0].len) ?
		    "a NUL in the address" : why);
	list = c->f[1].len > 0 ? c->f[1].p : c->deflist;
	if (!suppress_list_valid(list))
		return csv_bad(c, "bad list name \"%.*s\"", SUPPRESS_LISTMAX,
		    list);
	if (parse_time(c->f[2].p, c->now, &e.added) == -1)
		return csv_bad(c, "bad time \"%.40s\"", c->f[2].p);
	/* a reason is text: line ends and NULs become spaces */
	n = c->f[3].len > SUPPRESS_REASONMAX ? SUPPRESS_REASONMAX :
	    c->f[3].len;
	for (size_t i = 0; i < n; i++)
		if (c->f[3].p[i] == '\0' || c->f[3].p[i] == '\r' ||
		    c->f[3].p[i] == '\n')
			c->f[3].p[i] = ' ';
	c->f[3].p[n] = '\0';
	e.addr = key;
	e.list = list;
	e.reason = c->f[3].p;
	return c->fn(&e, c->row, NULL, c->arg);
}

static void
csv_row(int term, void *arg)
{
	struct suppress_csv *c = arg;

	(void)term;
	c->row++;
	if (c->stop == 0)
		c->stop = csv_entry(c);
	c->nf = 0;
	c->toomany = c->toolong = false;
}

/*
 * suppress_csv_new - a reader of import rows for fn; rows without a
 * list go to deflist, rows without a time are added at now
 */
struct suppress_csv *
suppress_csv_new(const char *deflist, time_t now,
    int (*fn)(const struct suppress_entry *, unsigned long, const char *,
    void *), void *arg)
{
	struct suppress_csv *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (csv_init(&c->p, CSV_APPEND_NULL) != 0) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	csv_set_realloc_func(&c->p, csv_realloc_capped);
	(void)strlcpy(c->deflist, deflist, sizeof(c->deflist));
	c->now = now;
	c->fn = fn;
	c->arg = arg;
	return c;
}

/*
 * suppress_csv_feed - n more bytes of the file; 0, the callback's
 * non-zero return that stopped the reading, or -1 (EINVAL: the CSV is
 * malformed, ENOMEM)
 */
int
suppress_csv_feed(struct suppress_csv *c, const void *p, size_t n)
{
	if (c->stop != 0)
		return c->stop;
	if (csv_parse(&c->p, p, n, csv_field, csv_row, c) != n) {
		errno = EINVAL;	/* malformed, or a field over the cap */
		return -1;
	}
	return c->stop;
}

/* suppress_csv_end - the last row, if it had no line end */
int
suppress_csv_end(struct suppress_csv *c)
{
	if (c->stop != 0)
		return c->stop;
	if (csv_fini(&c->p, csv_field, csv_row, c) != 0) {
		errno = EINVAL;
		return -1;
	}
	return c->stop;
}

/* suppress_csv_free - release the reader */
void
suppress_csv_free(struct suppress_csv *c)
{
	if (c == NULL)
		return;
	csv_free(&c->p);
	for (size_t i = 0; i < CSV_NFIELDS; i++)
		buf_free(&c->f[i]);
	free(c);
}

/* suppress_csv_write - one entry as a CSV row (NULL: the header row) */
int
suppress_csv_write(FILE *fp, const struct suppress_entry *e)
{
	char when[32];
	struct tm tm;
	time_t t;

	if (e == NULL)
		return fputs("address,list,added,reason\n", fp) == EOF ? -1 : 0;
	t = (time_t)e->added;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(when, sizeof(when), "%" PRId64, e->added);
	if (csv_fwrite(fp, e->addr, strlen(e->addr)) != 0 ||
	    fputc(',', fp) == EOF ||
	    csv_fwrite(fp, e->list, strlen(e->list)) != 0 ||
	    fprintf(fp, ",%s,", when) < 0 ||
	    csv_fwrite(fp, e->reason, strlen(e->reason)) != 0 ||
	    fputc('\n', fp) == EOF)
		return -1;
	return 0;
}
