/*
 * journal - the outcome journal in the spool's log/ folder (see
 * journal.h; the format is in mta-journal(5)).
 *
 * Invariants: one writer at a time, which holds an exclusive flock(2) on
 * log/ itself (and one on its open segment, so a reader can tell a live
 * segment from one left by a writer that died); segment names sort in
 * the order the segments were written, because a new segment's time is
 * later than every name already in log/, whatever the clock says; a
 * record reaches a segment whole or not at all, because a failed write
 * or fdatasync(2) is cut off again with ftruncate(2) and the records stay
 * buffered for the next journal_sync(); a segment is renamed from .jnl to
 * .sealed only once all of it is on disk and ends with a LF, and is never
 * written again.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "buf.h"
#include "journal.h"
#include "proto.h"

#define LOG_DIR_MODE	0750	/* as spool_init() makes log/ */
#define SEG_MODE	0640	/* mta-acct reads through the group */
#define SEALED_MODE	0440
#define OPEN_SUFFIX	".jnl"
#define SEALED_SUFFIX	".sealed"
#define TIMELEN		22	/* "20261130T053600.123456" */
#define NAMEMAX		80
#define AUXMAX		16	/* letters in an auxiliary writer's name */
#define TMP_PREFIX	".new-"	/* not a segment: readers skip it */
#define READBUF		(4 * PROTO_MAXLINE)
#define MAXLOGGED	99999999999LL	/* seconds: year 5138 */
#define US		1000000LL

struct journal {
	char	*logdir;	/* for messages */
	int	 dirfd;		/* log/, locked */
	int	 fd;		/* the open segment, or -1 */
	char	 name[NAMEMAX];	/* its name, with OPEN_SUFFIX */
	uint64_t last_us;	/* time in the newest segment name */
	off_t	 off;		/* bytes of the segment on disk */
	size_t	 rotate;
	struct buf buf;		/* records not yet synced */
	char	 aux[AUXMAX + 1];	/* an auxiliary writer's name, or "" */
};

enum { F_LOGGED, F_TIME, F_UINT, F_ULL, F_INT, F_STR };

/*
 * The kinds of verbs: outcomes of mta-queue's deliveries and receipts,
 * what mta-bounce read in inbound reports, and a queue's failures to
 * connect; a key may be required for some.
 */
enum {
	V_OUTCOME = 1, V_BOUNCED = 2, V_COMPLAINT = 4, V_QUEUE = 8,
	V_ALL = 15
};

/*
 * The keys of a record in the order written.  required: the verbs for
 * which the key must be there (written even when zero); cut: the value
 * may be shortened to keep the record within PROTO_MAXLINE.
 */
static const struct field {
	const char	*key;
	int		 kind;
	size_t		 off;
	unsigned	 required;
	bool		 cut;
} fields[] = {
#define F(k, t, m, r, c) { k, t, offsetof(struct journal_outcome, m), r, c }
	F("logged", F_LOGGED, logged, V_ALL, false),
	F("queued", F_TIME, queued, false, false),
	F("first", F_TIME, first, false, false),
	F("id", F_STR, id, V_OUTCOME, false),
	F("n", F_UINT, n, V_OUTCOME, false),
	F("attempts", F_UINT, attempts, false, false),
	F("orig", F_STR, orig, false, false),
	F("rcpt", F_STR, rcpt, V_OUTCOME | V_BOUNCED, false),
	F("orcpt", F_STR, orcpt, false, false),
	F("notify", F_STR, notify, false, false),
	F("envid", F_STR, envid, false, false),
	F("ret", F_STR, ret, false, false),
	F("vmta", F_STR, vmta, false, false),
	F("pool", F_STR, pool, false, false),
	F("job", F_STR, job, false, false),
	F("queue", F_STR, queue, V_QUEUE, false),
	F("src", F_STR, src, false, false),
	F("mx", F_STR, mx, false, false),
	F("mx-ip", F_STR, mx_ip, false, false),
	F("port", F_UINT, port, false, false),
	F("ext", F_STR, ext, false, true),
	F("size", F_ULL, size, false, false),
	F("code", F_INT, code, false, false),
	F("dsn-action", F_STR, dsn_action, false, false),
	F("dsn-status", F_STR, dsn_status, false, false),
	F("dsn-diag", F_STR, dsn_diag, false, true),
	F("tls", F_STR, tls, false, false),
	F("tls-cipher", F_STR, tls_cipher, false, false),
	F("bounce-cat", F_STR, bounce_cat, false, false),
	F("format", F_STR, format, false, false),
	F("feedback-type", F_STR, feedback_type, false, false),
	F("user-agent", F_STR, user_agent, false, false),
	F("reporting-mta", F_STR, reporting_mta, false, false),
	F("source-ip", F_STR, source_ip, false, false),
	F("reported-domain", F_STR, reported_domain, false, false),
	F("msgid", F_STR, msgid, false, false),
	F("src-type", F_STR, src_type, false, false),
	F("src-mta", F_STR, src_mta, false, false),
#undef F
};
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))
_Static_assert(NFIELDS <= 64, "journal_read_outcome keeps a 64-bit mask");

static const struct {
	const char	*verb;
	unsigned	 kind;
} verbs[] = {
	{ "delivered", V_OUTCOME }, { "deferred", V_OUTCOME },
	{ "failed", V_OUTCOME }, { "expired", V_OUTCOME },
	{ "delayed", V_OUTCOME },
	{ "bounced", V_BOUNCED }, { "complaint", V_COMPLAINT },
	{ "received", V_OUTCOME }, { "qdeferred", V_QUEUE },
	{ "status", V_BOUNCED }
};


/* verb_kind - the kind of the verb v, or 0 if it is not one */
static unsigned
verb_kind(const char *v)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(v, verbs[i].verb) == 0)
			return verbs[i].kind;
	return 0;
}

/* now_us - the wall clock in microseconds */
static uint64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * US + (uint64_t)ts.tv_nsec / 1000;
}

/* append_num - append " key=v" without printf: this runs per record */
static int
append_num(struct buf *b, const char *key, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (buf_appendc(b, ' ') == -1 || buf_appends(b, key) == -1 ||
	    buf_appendc(b, '=') == -1)
		return -1;
	return buf_append(b, d + i, sizeof(d) - i);
}

/* append_logged - append " logged=S.UUUUUU" for t seconds (0: now) */
static int
append_logged(struct buf *b, double t)
{
	long long s, f;
	uint64_t us;

	if (t == 0) {
		us = now_us();
		s = (long long)(us / US);
		f = (long long)(us % US);
	} else {
		if (!(t > 0 && t <= (double)MAXLOGGED)) {
			errno = EINVAL;
			return -1;
		}
		/* t > 0: the casts are floor() and round(), without libm */
		s = (long long)t;
		f = (long long)((t - (double)s) * US + 0.5);
		if (f == US) {
			s++;
			f = 0;
		}
	}
	if (append_num(b, "logged", (unsigned long long)s) == -1 ||
	    buf_appendc(b, '.') == -1)
		return -1;
	for (long long m = US / 10; m > 0; m /= 10)
		if (buf_appendc(b, (int)('0' + f / m % 10)) == -1)
			return -1;
	return 0;
}

/* encoded_len - bytes of the string s once percent-encoded */
static size_t
encoded_len(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += *p >= 0x21 && *p <= 0x7e && *p != '%' ? 1 : 3;
	return n;
}

/*
 * append_cut - append " key=s" with s cut so that its encoding takes at
 * most max bytes, and not inside a UTF-8 sequence; nothing when max is 0
 */
static int
append_cut(struct buf *b, const char *key, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, used = 0, c;

	if (max == 0)
		return 0;
	for (; p[n] != '\0'; n++) {
		c = p[n] >= 0x21 && p[n] <= 0x7e && p[n] != '%' ? 1 : 3;
		if (used + c > max)
			break;
		used += c;
	}
	if (p[n] != '\0')
		while (n > 0 && (p[n] & 0xc0) == 0x80)
			n--;
	if (n > 0 && p[n] != '\0' && p[n - 1] >= 0xc0)
		n--;	/* a lead byte whose sequence was cut */
	return proto_addn(b, key, s, n);
}

/*
 * format_rec - append the record of o without its LF; the values of the
 * cut fields take at most diagmax and extmax encoded bytes
 */
static int
format_rec(struct buf *b, const struct journal_outcome *o, size_t diagmax,
    size_t extmax)
{
	const char *base = (const char *)o, *s;
	unsigned long long v;
	unsigned kind = verb_kind(o->type);
	int rc = 0;

	if (proto_begin(b, o->type) == -1)
		return -1;
	for (size_t i = 0; i < NFIELDS && rc == 0; i++) {
		const struct field *f = &fields[i];
		const void *m = base + f->off;

		switch (f->kind) {
		case F_LOGGED:
			rc = append_logged(b, *(const double *)m);
			break;
		case F_TIME:
			if (*(const time_t *)m > 0)
				rc = append_num(b, f->key,
				    (unsigned long long)*(const time_t *)m);
			break;
		case F_UINT:
			if ((v = *(const unsigned *)m) != 0 ||
			    (f->required & kind) != 0)
				rc = append_num(b, f->key, v);
			break;
		case F_ULL:
			if ((v = *(const unsigned long long *)m) != 0)
				rc = append_num(b, f->key, v);
			break;
		case F_INT:
			if (*(const int *)m > 0)
				rc = append_num(b, f->key,
				    (unsigned long long)*(const int *)m);
			break;
		case F_STR:
			if ((s = *(const char *const *)m) == NULL || *s == '\0')
				break;
			if (!f->cut)
				rc = proto_add(b, f->key, s);
			else
				rc = append_cut(b, f->key, s,
				    f->off == offsetof(struct journal_outcome,
				    ext) ? extmax : diagmax);
			break;
		default:
			abort();
		}
	}
	return rc;
}

/* missing_key - whether o lacks a string its kind of verb requires */
static bool
missing_key(const struct journal_outcome *o, unsigned kind)
{
	const char *s;

	for (size_t i = 0; i < NFIELDS; i++) {
		if ((fields[i].required & kind) == 0 || fields[i].kind != F_STR)
			continue;
		s = *(const char *const *)((const char *)o + fields[i].off);
		if (s == NULL || *s == '\0')
			return true;
	}
	return false;
}

/* header_name_ok - whether s is a header key suffix: [a-z0-9-]{1,64} */
static bool
header_name_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
			return false;
	return n > 0 && n <= JOURNAL_HDRNAMEMAX;
}

/*
 * append_headers - " header-NAME=value" for each header of o after the
 * record that began at start, each value cut to the room left within
 * PROTO_MAXLINE; a header without room for a few bytes is left out
 */
static int
append_headers(struct buf *b, size_t start, const struct journal_outcome *o)
{
	char key[sizeof("header-") + JOURNAL_HDRNAMEMAX];
	size_t used, need;

	for (size_t i = 0; i < o->nhdr; i++) {
		const struct journal_header *h = &o->hdr[i];

		if (h->value == NULL || *h->value == '\0')
			continue;
		(void)snprintf(key, sizeof(key), "header-%s", h->name);
		used = b->len - start;
		need = strlen(key) + 2;		/* " key=" */
		/* room for one encoded byte at least, and the LF */
		if (used + need + 3 + 1 > PROTO_MAXLINE)
			continue;
		if (append_cut(b, key, h->value,
		    PROTO_MAXLINE - 1 - used - need) == -1)
			return -1;
		if (b->len - start == used + need)
			b->len = start + used;	/* cut to nothing */
	}
	return 0;
}

/*
 * journal_format - append the record of o to b, LF included; -1 with
 * EINVAL for an unknown type, a missing id or rcpt (a "bounced" or
 * "status" record needs no id, a "complaint" neither id nor rcpt, a
 * "qdeferred" only its queue), a bad header name or a bad logged time,
 * EMSGSIZE when it cannot be made to fit PROTO_MAXLINE by shortening
 * dsn-diag and then ext; header values take the room left, cut or left
 * out; b is as it was after a failure
 */
int
journal_format(struct buf *b, const struct journal_outcome *o)
{
	size_t start = b->len, len, excess, d, e, diagmax, extmax;

	if (o->type == NULL || verb_kind(o->type) == 0 ||
	    missing_key(o, verb_kind(o->type)) || o->nhdr > JOURNAL_MAXHDR) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < o->nhdr; i++)
		if (o->hdr[i].name == NULL || !header_name_ok(o->hdr[i].name)) {
			errno = EINVAL;
			return -1;
		}
	if (format_rec(b, o, SIZE_MAX, SIZE_MAX) == -1)
		goto fail;
	len = b->len - start;
	if (len + 1 > PROTO_MAXLINE) {
		/*
		 * Shorten the SMTP reply first, then the EHLO keywords; a
		 * value cut to nothing takes its " key=" along.
		 */
		excess = len + 1 - PROTO_MAXLINE;
		d = o->dsn_diag != NULL ? encoded_len(o->dsn_diag) : 0;
		e = o->ext != NULL ? encoded_len(o->ext) : 0;
		diagmax = extmax = SIZE_MAX;
		if (excess < d)
			diagmax = d - excess;
		else {
			diagmax = 0;
			excess -= d > 0 ? d + sizeof(" dsn-diag=") - 1 : 0;
			extmax = excess < e ? e - excess : 0;
		}
		b->len = start;
		if (format_rec(b, o, diagmax, extmax) == -1)
			goto fail;
	}
	if (append_headers(b, start, o) == -1 || proto_end(b, start) == -1)
		goto fail;
	return 0;

fail:
	b->len = start;
	if (b->cap > 0)
		b->p[b->len] = '\0';
	return -1;
}

/* parse_u64 - the decimal digits of s as a number in [0, max] */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * parse_time - "S" or "S.F" in [0, MAXLOGGED] seconds; the fraction is
 * kept to the microsecond
 */
static int
parse_time(const char *s, uint64_t *sec, uint64_t *usec)
{
	char whole[24];
	const char *dot;
	size_t n;
	uint64_t f = 0, m = US / 10;

	if ((dot = strchr(s, '.')) == NULL)
		dot = s + strlen(s);
	if ((n = (size_t)(dot - s)) >= sizeof(whole))
		return -1;
	memcpy(whole, s, n);
	whole[n] = '\0';
	if (parse_u64(whole, MAXLOGGED, sec) == -1)
		return -1;
	if (*dot == '.') {
		if (dot[1] == '\0')
			return -1;
		for (const char *p = dot + 1; *p != '\0'; p++, m /= 10) {
			if (*p < '0' || *p > '9')
				return -1;
			f += (uint64_t)(*p - '0') * m;
		}
	}
	*usec = f;
	return 0;
}

/* read_field - set the field f of o from the value v */
static int
read_field(const struct field *f, const char *v, struct journal_outcome *o)
{
	char *base = (char *)o;
	void *m = base + f->off;
	uint64_t n, frac;

	switch (f->kind) {
	case F_LOGGED:
		if (parse_time(v, &n, &frac) == -1)
			return -1;
		*(double *)m = (double)n + (double)frac / US;
		return 0;
	case F_TIME:
		if (parse_time(v, &n, &frac) == -1)
			return -1;
		*(time_t *)m = (time_t)n;
		return 0;
	case F_UINT:
		if (parse_u64(v, UINT32_MAX, &n) == -1 || n > (unsigned)-1)
			return -1;
		*(unsigned *)m = (unsigned)n;
		return 0;
	case F_ULL:
		if (parse_u64(v, UINT64_MAX, &n) == -1)
			return -1;
		*(unsigned long long *)m = n;
		return 0;
	case F_INT:
		if (parse_u64(v, INT32_MAX, &n) == -1)
			return -1;
		*(int *)m = (int)n;
		return 0;
	case F_STR:
		*(const char **)m = v;
		return 0;
	default:
		abort();
	}
}

/*
 * journal_read_outcome - fill o from the record r, its strings pointing
 * into r; unknown keys are ignored and a repeated key counts once, as in
 * proto_get(); -1 with EINVAL and a reason in err for an unknown verb, a
 * bad value or a missing required key
 */
int
journal_read_outcome(const struct proto_rec *r, struct journal_outcome *o,
    char *err, size_t errlen)
{
	uint64_t seen = 0;
	size_t i, k, next = 0;
	unsigned kind;

	memset(o, 0, sizeof(*o));
	if ((kind = verb_kind(r->verb)) == 0) {
		err_msg(err, errlen, "unknown verb \"%s\"", r->verb);
		goto fail;
	}
	o->type = r->verb;
	for (k = 0; k < r->nkeys; k++) {
		size_t j;

		/* keys come in table order: look after the last one first */
		for (j = 0, i = next; j < NFIELDS; j++, i = (i + 1) % NFIELDS)
			if (strcmp(r->kv[k].key, fields[i].key) == 0)
				break;
		if (j == NFIELDS)
			i = NFIELDS;
		else
			next = (i + 1) % NFIELDS;
		if (i == NFIELDS || (seen & (1ULL << i)) != 0)
			continue;
		seen |= 1ULL << i;
		if (read_field(&fields[i], r->kv[k].val, o) == -1) {
			err_msg(err, errlen, "bad %s", fields[i].key);
			goto fail;
		}
	}
	for (i = 0; i < NFIELDS; i++) {
		if ((fields[i].required & kind) == 0)
			continue;
		if ((seen & (1ULL << i)) == 0 || (fields[i].kind == F_STR &&
		    **(const char *const *)((const char *)o + fields[i].off) ==
		    '\0')) {
			err_msg(err, errlen, "no %s", fields[i].key);
			goto fail;
		}
	}
	return 0;

fail:
	errno = EINVAL;
	return -1;
}

/*
 * parse_name - whether name is a segment, "YYYYMMDDTHHMMSS.UUUUUU-PID"
 * then ".jnl" or ".sealed"; its time in microseconds and whether sealed
 */
static bool
parse_name(const char *name, uint64_t *us, bool *sealed)
{
	static const char shape[] = "ddddddddTdddddd.dddddd-";
	/* where YYYY MM DD T HH MM SS . UUUUUU are, and their widths */
	static const int pos[7][2] = {
		{ 0, 4 }, { 4, 2 }, { 6, 2 }, { 9, 2 }, { 11, 2 }, { 13, 2 },
		{ 16, 6 }
	};
	struct tm tm;
	const char *p = name + sizeof(shape) - 1;
	size_t n;
	time_t t;
	int v[7];

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? name[i] < '0' || name[i] > '9' :
		    name[i] != shape[i])
			return false;
	}
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		;
	if (n == 0 || n > 10)
		return false;
	if (p[n] == '-') {	/* "-NAME": an auxiliary writer's */
		size_t k;

		for (k = 1; p[n + k] >= 'a' && p[n + k] <= 'z'; k++)
			;
		if (k == 1 || k > AUXMAX + 1)
			return false;
		n += k;
	}
	if (strcmp(p + n, OPEN_SUFFIX) == 0)
		*sealed = false;
	else if (strcmp(p + n, SEALED_SUFFIX) == 0)
		*sealed = true;
	else
		return false;
	for (int i = 0; i < 7; i++) {
		v[i] = 0;
		for (int j = 0; j < pos[i][1]; j++)
			v[i] = v[i] * 10 + (name[pos[i][0] + j] - '0');
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if ((t = timegm(&tm)) < 0)
		t = 0;
	*us = (uint64_t)t * US + (uint64_t)v[6];
	return true;
}

/*
 * segment_name - "YYYYMMDDTHHMMSS.UUUUUU-PID.jnl" for us into name, or
 * "...-PID-AUX.jnl" for an auxiliary writer aux
 */
static int
segment_name(char *name, size_t size, uint64_t us, const char *aux)
{
	struct tm tm;
	time_t t = (time_t)(us / US);
	char when[24];
	int n;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm) != 15)
		return -1;
	n = snprintf(name, size, "%s.%06u-%ld%s%s%s", when,
	    (unsigned)(us % US), (long)getpid(), *aux != '\0' ? "-" : "", aux,
	    OPEN_SUFFIX);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* sealed_name - the name of the open segment name once sealed */
static int
sealed_name(const char *name, char *to, size_t size)
{
	size_t n = strlen(name) - (sizeof(OPEN_SUFFIX) - 1);
	int len;

	len = snprintf(to, size, "%.*s%s", (int)n, name, SEALED_SUFFIX);
	return len < 0 || (size_t)len >= size ? -1 : 0;
}

/*
 * seal - make the open segment name (on fd, which is at off bytes and
 * all on disk) read-only and rename it to .sealed, or remove it if empty;
 * the caller syncs log/
 */
static int
seal(struct journal *j, int fd, const char *name, off_t off, char *err,
    size_t errlen)
{
	char to[NAMEMAX];

	if (off == 0) {
		if (unlinkat(j->dirfd, name, 0) == -1 && errno != ENOENT) {
			err_sys(err, errlen, "%s/%s: unlink", j->logdir, name);
			return -1;
		}
		return 0;
	}
	if (sealed_name(name, to, sizeof(to)) == -1) {
		errno = ENAMETOOLONG;
		err_sys(err, errlen, "%s/%s", j->logdir, name);
		return -1;
	}
	if (fchmod(fd, SEALED_MODE) == -1) {
		err_sys(err, errlen, "%s/%s: chmod", j->logdir, name);
		return -1;
	}
	if (renameat(j->dirfd, name, j->dirfd, to) == -1) {
		err_sys(err, errlen, "%s/%s: rename", j->logdir, name);
		return -1;
	}
	return 0;
}

/* last_lf - the offset just past the last LF of fd, which is size long */
static off_t
last_lf(int fd, off_t size)
{
	char b[PROTO_MAXLINE];
	off_t at = size;
	ssize_t n;
	size_t want;

	while (at > 0) {
		want = at < (off_t)sizeof(b) ? (size_t)at : sizeof(b);
		at -= (off_t)want;
		if ((n = pread(fd, b, want, at)) != (ssize_t)want) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		for (size_t i = want; i > 0; i--)
			if (b[i - 1] == '\n')
				return at + (off_t)i;
	}
	return 0;
}

/* is_aux - whether the segment name is an auxiliary writer's */
static bool
is_aux(const char *name)
{
	const char *dash = strrchr(name, '-');

	return dash != NULL && dash[1] >= 'a' && dash[1] <= 'z';
}

/*
 * seal_dead - seal the segment name a writer that died left open: a torn
 * last record was never reported durable, so it is cut off first; an
 * auxiliary writer's segment that is still locked is alive, and left be
 */
static int
seal_dead(struct journal *j, const char *name, char *err, size_t errlen)
{
	struct stat st, now;
	off_t keep;
	int fd, rc = -1;

	if ((fd = openat(j->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1) {
		if (errno == ENOENT)
			return 0;
		err_sys(err, errlen, "%s/%s", j->logdir, name);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK && is_aux(name))
			rc = 0;
		else if (errno == EWOULDBLOCK)
			err_msg(err, errlen, "%s/%s: a writer has it open",
			    j->logdir, name);
		else
			err_sys(err, errlen, "%s/%s: lock", j->logdir, name);
		goto done;
	}
	if (fstat(fd, &st) == -1) {
		err_sys(err, errlen, "%s/%s: read", j->logdir, name);
		goto done;
	}
	/* someone else sealed it while we waited for the lock */
	if (fstatat(j->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
		rc = 0;
		goto done;
	}
	if ((keep = last_lf(fd, st.st_size)) == -1) {
		err_sys(err, errlen, "%s/%s: read", j->logdir, name);
		goto done;
	}
	if (keep != st.st_size && (ftruncate(fd, keep) == -1 ||
	    fdatasync(fd) == -1)) {
		err_sys(err, errlen, "%s/%s: truncate", j->logdir, name);
		goto done;
	}
	rc = seal(j, fd, name, keep, err, errlen);
done:
	(void)close(fd);
	return rc;
}

/*
 * new_aux_segment - create and lock an auxiliary writer's segment: made
 * under a name that is not a segment's, locked, and only then linked in,
 * so that nobody ever sees it unlocked and takes it for a dead writer's
 */
static int
new_aux_segment(struct journal *j, char *err, size_t errlen)
{
	char tmp[NAMEMAX];
	uint64_t us = now_us();
	int rc = -1;

	(void)snprintf(tmp, sizeof(tmp), "%s%ld-%s", TMP_PREFIX,
	    (long)getpid(), j->aux);
	(void)unlinkat(j->dirfd, tmp, 0);
	j->fd = openat(j->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, SEG_MODE);
	if (j->fd == -1 || fchmod(j->fd, SEG_MODE) == -1 ||
	    flock(j->fd, LOCK_EX) == -1) {
		err_sys(err, errlen, "%s/%s: create", j->logdir, tmp);
		goto done;
	}
	for (int tries = 0; tries < 10; tries++) {
		if (us <= j->last_us)
			us = j->last_us + 1;
		if (segment_name(j->name, sizeof(j->name), us, j->aux) == -1) {
			errno = ERANGE;
			err_sys(err, errlen, "%s: segment name", j->logdir);
			goto done;
		}
		j->last_us = us;
		if ((rc = linkat(j->dirfd, tmp, j->dirfd, j->name, 0)) == 0 ||
		    errno != EEXIST)
			break;
	}
	if (rc == -1) {
		err_sys(err, errlen, "%s/%s: link", j->logdir, j->name);
		goto done;
	}
	if (unlinkat(j->dirfd, tmp, 0) == -1 || fsync(j->dirfd) == -1) {
		err_sys(err, errlen, "%s/%s", j->logdir, j->name);
		(void)unlinkat(j->dirfd, j->name, 0);
		rc = -1;
		goto done;
	}
	j->off = 0;
	return 0;

done:
	(void)unlinkat(j->dirfd, tmp, 0);
	if (j->fd != -1)
		(void)close(j->fd);
	j->fd = -1;
	return -1;
}

/*
 * new_segment - create and lock the open segment, named after now or just
 * after the newest segment if the clock is behind it, and sync log/
 */
static int
new_segment(struct journal *j, char *err, size_t errlen)
{
	uint64_t us = now_us();

	if (j->aux[0] != '\0')
		return new_aux_segment(j, err, errlen);
	for (int tries = 0; tries < 10; tries++) {
		if (us <= j->last_us)
			us = j->last_us + 1;
		if (segment_name(j->name, sizeof(j->name), us, j->aux) == -1) {
			errno = ERANGE;
			err_sys(err, errlen, "%s: segment name", j->logdir);
			return -1;
		}
		j->fd = openat(j->dirfd, j->name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, SEG_MODE);
		if (j->fd != -1 || errno != EEXIST)
			break;
		j->last_us = us;
	}
	if (j->fd == -1) {
		err_sys(err, errlen, "%s/%s: create", j->logdir, j->name);
		return -1;
	}
	j->last_us = us;
	j->off = 0;
	/* the lock is only a sign for readers: log/ is locked already */
	if (fchmod(j->fd, SEG_MODE) == -1 || flock(j->fd, LOCK_EX) == -1 ||
	    fsync(j->dirfd) == -1) {
		err_sys(err, errlen, "%s/%s", j->logdir, j->name);
		(void)unlinkat(j->dirfd, j->name, 0);
		(void)close(j->fd);
		j->fd = -1;
		return -1;
	}
	return 0;
}

/* open_logdir - open dir/log, creating it if it is missing */
static int
open_logdir(const char *logdir)
{
	int fd;

	fd = open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1 || errno != ENOENT)
		return fd;
	if (mkdir(logdir, LOG_DIR_MODE) == -1 && errno != EEXIST)
		return -1;
	if (chmod(logdir, LOG_DIR_MODE) == -1)
		return -1;
	return open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * seal_old - seal what writers that died left open in log/, and learn
 * the newest segment time
 */
static int
seal_old(struct journal *j, char *err, size_t errlen)
{
	struct dirent *de;
	uint64_t us;
	bool sealed, changed = false;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(j->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		err_sys(err, errlen, "%s", j->logdir);
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!parse_name(de->d_name, &us, &sealed))
			continue;
		if (us > j->last_us)
			j->last_us = us;
		/* an auxiliary writer leaves mta-queue's segments alone */
		if (!sealed && (j->aux[0] == '\0' || is_aux(de->d_name))) {
			rc = seal_dead(j, de->d_name, err, errlen);
			changed = true;
		}
	}
	(void)closedir(d);
	if (rc == 0 && changed && fsync(j->dirfd) == -1) {
		err_sys(err, errlen, "%s: fsync", j->logdir);
		rc = -1;
	}
	return rc;
}

/*
 * open_writer - a writer of the journal of the spool dir: mta-queue's,
 * which locks log/, when aux is NULL, else the auxiliary writer aux
 */
static struct journal *
open_writer(const char *dir, const char *aux, char *err, size_t errlen)
{
	struct journal *j;
	size_t n = strlen(dir) + sizeof("/log");
	int save;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		err_sys(err, errlen, "journal");
		return NULL;
	}
	j->dirfd = j->fd = -1;
	j->rotate = JOURNAL_ROTATE_SIZE;
	if (aux != NULL)
		(void)strlcpy(j->aux, aux, sizeof(j->aux));
	if ((j->logdir = malloc(n)) == NULL) {
		err_sys(err, errlen, "journal");
		goto fail;
	}
	(void)snprintf(j->logdir, n, "%s/log", dir);
	if ((j->dirfd = open_logdir(j->logdir)) == -1) {
		err_sys(err, errlen, "%s", j->logdir);
		goto fail;
	}
	if (aux == NULL && flock(j->dirfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			err_msg(err, errlen, "%s: locked by another writer",
			    j->logdir);
		else
			err_sys(err, errlen, "%s: lock", j->logdir);
		goto fail;
	}
	if (seal_old(j, err, errlen) == -1 || new_segment(j, err, errlen) ==
	    -1)
		goto fail;
	return j;

fail:
	save = errno;
	if (j->dirfd != -1)
		(void)close(j->dirfd);
	free(j->logdir);
	free(j);
	errno = save;
	return NULL;
}

/*
 * journal_open - become the writer of the journal of the spool dir: lock
 * log/, seal the segments a writer that died left open and start a new
 * one; NULL with errno set and err filled (EWOULDBLOCK: another writer)
 */
struct journal *
journal_open(const char *dir, char *err, size_t errlen)
{
	return open_writer(dir, NULL, err, errlen);
}

/*
 * journal_open_aux - become an auxiliary writer called name ([a-z]+, at
 * most AUXMAX letters) of the journal of the spool dir, beside mta-queue:
 * log/ is not locked, only the new segment "STEM-PID-name.jnl"; dead
 * auxiliary segments are sealed; NULL with errno set and err filled
 */
struct journal *
journal_open_aux(const char *dir, const char *name, char *err,
    size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUXMAX || strspn(name, "abcdefghijklmnopqrstuvwxyz")
	    != n) {
		errno = EINVAL;
		err_msg(err, errlen, "journal: bad writer name \"%s\"", name);
		return NULL;
	}
	return open_writer(dir, name, err, errlen);
}

/*
 * journal_write - buffer the record of o; nothing is on disk before
 * journal_sync(); -1 with errno as journal_format() and nothing buffered
 */
int
journal_write(struct journal *j, const struct journal_outcome *o)
{
	return journal_format(&j->buf, o);
}

/* journal_pending - bytes written and not yet synced */
size_t
journal_pending(const struct journal *j)
{
	return j->buf.len;
}

/* journal_segment - the name of the open segment in log/, or NULL */
const char *
journal_segment(const struct journal *j)
{
	return j->fd != -1 ? j->name : NULL;
}

/* journal_set_rotate_size - seal segments from n bytes on (for tests) */
void
journal_set_rotate_size(struct journal *j, size_t n)
{
	j->rotate = n;
}

/* rotate - seal the open segment and start the next one */
static int
rotate(struct journal *j, char *err, size_t errlen)
{
	if (seal(j, j->fd, j->name, j->off, err, errlen) == -1)
		return -1;
	(void)close(j->fd);
	j->fd = -1;
	/* new_segment() syncs log/ for both names */
	return new_segment(j, err, errlen);
}

/* write_all - write the n bytes at p to fd at off */
static int
write_all(int fd, const char *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/*
 * journal_sync_buf - put the records of b (journal_sync_take) on disk
 * with one write and one fdatasync(2), after starting a new segment if
 * the open one is full; b is emptied.  -1 with errno set and err
 * filled, and the records kept in b, when any step fails.
 */
int
journal_sync_buf(struct journal *j, struct buf *b, char *err, size_t errlen)
{
	int save;

	if (b->len == 0)
		return 0;
	if (j->fd != -1 && (size_t)j->off >= j->rotate &&
	    rotate(j, err, errlen) == -1)
		return -1;
	if (j->fd == -1 && new_segment(j, err, errlen) == -1)
		return -1;
	if (write_all(j->fd, b->p, b->len, j->off) == -1) {
		err_sys(err, errlen, "%s/%s: write", j->logdir, j->name);
		goto undo;
	}
	if (fdatasync(j->fd) == -1) {
		err_sys(err, errlen, "%s/%s: fdatasync", j->logdir, j->name);
		goto undo;
	}
	j->off += (off_t)b->len;
	buf_reset(b);
	return 0;

undo:
	/*
	 * Cut off what part of the records reached the file: the next try
	 * writes them all again, and a torn record must not stay before it.
	 */
	save = errno;
	(void)ftruncate(j->fd, j->off);
	errno = save;
	return -1;
}

/*
 * journal_sync - put every buffered record on disk (journal_sync_buf);
 * on failure the records stay buffered for the next call
 */
int
journal_sync(struct journal *j, char *err, size_t errlen)
{
	return journal_sync_buf(j, &j->buf, err, errlen);
}

/*
 * journal_sync_take - move the buffered records into b (empty), for a
 * journal_sync_buf() that may run on another thread while the caller
 * writes the next records: only journal_write() may touch j until it
 * returns, and one such sync runs at a time
 */
void
journal_sync_take(struct journal *j, struct buf *b)
{
	struct buf t = *b;

	*b = j->buf;
	j->buf = t;
	buf_reset(&j->buf);
}

/*
 * journal_close - sync what is buffered, seal the open segment and stop
 * being the writer; j is freed even when this fails (-1, err filled),
 * and the records that could not be synced are lost
 */
int
journal_close(struct journal *j, char *err, size_t errlen)
{
	int rc;

	rc = journal_sync(j, err, errlen);
	if (j->fd != -1) {
		if (rc == 0 && seal(j, j->fd, j->name, j->off, err, errlen) ==
		    -1)
			rc = -1;
		else if (rc == 0 && fsync(j->dirfd) == -1) {
			err_sys(err, errlen, "%s: fsync", j->logdir);
			rc = -1;
		}
		(void)close(j->fd);
	}
	(void)close(j->dirfd);
	buf_free(&j->buf);
	free(j->logdir);
	free(j);
	return rc;
}

/* Reading. */

struct seg {
	char	 name[NAMEMAX];
	bool	 sealed;
};

struct walk {
	int	(*cb)(const struct proto_rec *, void *);
	void	(*warn)(const char *, void *);
	void	*arg;
	struct proto_rec rec;
	char	 buf[READBUF];
};

static int
seg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seg *)a)->name,
	    ((const struct seg *)b)->name);
}

/* list_segments - the segments in logdir, oldest first */
static int
list_segments(const char *logdir, struct seg **out, size_t *nout)
{
	struct seg *v = NULL, *nv;
	struct dirent *de;
	size_t n = 0, cap = 0;
	uint64_t us;
	bool sealed;
	DIR *d;

	if ((d = opendir(logdir)) == NULL)
		return -1;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!parse_name(de->d_name, &us, &sealed))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if (strlcpy(v[n].name, de->d_name, sizeof(v[n].name)) >=
		    sizeof(v[n].name))
			continue;
		v[n++].sealed = sealed;
	}
	if (errno != 0)
		goto fail;
	(void)closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), seg_cmp);
	*out = v;
	*nout = n;
	return 0;

fail:
	(void)closedir(d);
	free(v);
	return -1;
}

static void
warn_line(struct walk *w, const char *name, unsigned long line,
    const char *why)
{
	char msg[512];

	if (w->warn == NULL)
		return;
	(void)snprintf(msg, sizeof(msg), "log/%s:%lu: %s", name, line, why);
	w->warn(msg, w->arg);
}

/* one_line - hand one line (no LF) to the callback, or warn */
static int
one_line(struct walk *w, const char *name, unsigned long line,
    const char *p, size_t n)
{
	struct journal_outcome o;
	char why[256];

	if (proto_parse(p, n, &w->rec, why, sizeof(why)) == -1 ||
	    journal_read_outcome(&w->rec, &o, why, sizeof(why)) == -1) {
		warn_line(w, name, line, why);
		return 0;
	}
	return w->cb(&w->rec, w->arg);
}

/*
 * read_segment - every line of the segment on fd; a line with no LF at
 * the end is torn, silent when torn_ok; 0, the callback's non-zero
 * return, or -1 with *ioerr set for a read error
 */
static int
read_segment(struct walk *w, int fd, const char *name, bool torn_ok,
    bool *ioerr)
{
	size_t len = 0, pos;
	unsigned long line = 0;
	bool toolong = false;
	char *nl, why[64];
	ssize_t r;
	int rc;

	(void)snprintf(why, sizeof(why), "record longer than %d bytes",
	    PROTO_MAXLINE);
	for (;;) {
		if ((r = read(fd, w->buf + len, sizeof(w->buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			*ioerr = true;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		pos = 0;
		while ((nl = memchr(w->buf + pos, '\n', len - pos)) != NULL) {
			line++;
			if (toolong) {
				warn_line(w, name, line, why);
				toolong = false;
			} else if ((rc = one_line(w, name, line, w->buf + pos,
			    (size_t)(nl - (w->buf + pos)))) != 0)
				return rc;
			pos = (size_t)(nl - w->buf) + 1;
		}
		/* A line that does not fit is dropped up to its LF. */
		if (toolong || len - pos >= PROTO_MAXLINE) {
			toolong = true;
			len = 0;
		} else {
			memmove(w->buf, w->buf + pos, len - pos);
			len -= pos;
		}
	}
	if ((len > 0 || toolong) && !torn_ok)
		warn_line(w, name, line + 1, "last line has no LF");
	return 0;
}

/*
 * journal_walk - every record of the journal of the spool dir, oldest
 * first (see journal.h); 0, the callback's non-zero return, or -1 with
 * errno set and err filled
 */
int
journal_walk(const char *dir, int (*cb)(const struct proto_rec *, void *),
    void (*warn)(const char *, void *), void *arg, char *err, size_t errlen)
{
	struct walk *w = NULL;
	struct seg *segs = NULL;
	char logdir[4096], path[4096 + NAMEMAX], sealed[NAMEMAX];
	size_t n = 0;
	int fd, rc = -1, len;
	bool ioerr = false;

	len = snprintf(logdir, sizeof(logdir), "%s/log", dir);
	if (len < 0 || (size_t)len >= sizeof(logdir)) {
		errno = ENAMETOOLONG;
		err_sys(err, errlen, "%s/log", dir);
		return -1;
	}
	if (list_segments(logdir, &segs, &n) == -1) {
		err_sys(err, errlen, "%s", logdir);
		return -1;
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		err_sys(err, errlen, "journal");
		goto done;
	}
	w->cb = cb;
	w->warn = warn;
	w->arg = arg;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct seg *s = &segs[i];

		(void)snprintf(path, sizeof(path), "%s/%s", logdir, s->name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd == -1 && errno == ENOENT && !s->sealed) {
			/* sealed since it was listed: same records */
			if (sealed_name(s->name, sealed, sizeof(sealed)) == 0)
				(void)strlcpy(s->name, sealed,
				    sizeof(s->name));
			s->sealed = true;
			(void)snprintf(path, sizeof(path), "%s/%s", logdir,
			    s->name);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		}
		if (fd == -1) {
			if (errno == ENOENT)
				continue;	/* removed meanwhile */
			err_sys(err, errlen, "%s", path);
			rc = -1;
			break;
		}
		rc = read_segment(w, fd, s->name, !s->sealed, &ioerr);
		if (ioerr)
			err_sys(err, errlen, "%s: read", path);
		(void)close(fd);
	}
done:
	free(w);
	free(segs);
	return rc;
}
