/*
 * envelope - format and parse the envelope at the head of a spool file.
 *
 * The format is in mta-spool(5).  Invariants: every record is at most
 * ENVELOPE_MAXLINE bytes with its newline, so envelope_parse() never
 * refuses what envelope_format() wrote; every byte of a record is in
 * 0x20-0x7E, values being percent-encoded; the state field of each
 * recipient is ENVELOPE_STATELEN bytes at a fixed offset, so rewriting
 * it in place never moves another byte.  The parser takes hostile input:
 * it reads within len only, bounds lines and recipients, refuses NUL
 * bytes in values and ignores keys it does not know.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "proto.h"

#define MAGIC		"mta-spool "
#define MAGICLEN	(sizeof(MAGIC) - 1)

/* the records that may appear once, as bits of a mask */
enum {
	K_ID = 1 << 0, K_TIME = 1 << 1, K_FROM = 1 << 2, K_SIZE = 1 << 3,
	K_VMTA = 1 << 4, K_JOB = 1 << 5, K_ENVID = 1 << 6, K_RET = 1 << 7,
	K_SOURCE = 1 << 8, K_AUTH = 1 << 9, K_SRCNAME = 1 << 10
};

/*
 * pdec - set b to the n percent-encoded bytes at s, decoded; -1 with
 * EINVAL for what proto_decode() refuses, and for %00: no value of an
 * envelope holds a NUL.
 */
static int
pdec(struct buf *b, const char *s, size_t n)
{
	if (proto_decode(b, s, n) == -1)
		return -1;
	if (memchr(b->p, '\0', b->len) != NULL) {
		buf_reset(b);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * digits - the value of the n decimal digits at s if it is at most max,
 * else -1.  No sign, no space: fixed-width fields keep their zeros.
 */
static long long
digits(const char *s, size_t n, long long max)
{
	long long v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

static int
state_ok(int s)
{
	return s == ENVELOPE_PENDING || s == ENVELOPE_DELIVERED ||
	    s == ENVELOPE_FAILED || s == ENVELOPE_EXPIRED;
}

/*
 * state_field - write the ENVELOPE_STATELEN bytes of r's state field to
 * out (with room for a NUL); -1 with EINVAL if r holds impossible values.
 */
static int
state_field(const struct envelope_rcpt *r, char *out, size_t outlen)
{
	unsigned a;
	int n;

	if (!state_ok(r->state) || r->next < 0 || r->next > ENVELOPE_MAXTIME ||
	    r->first < 0 || r->first > ENVELOPE_MAXTIME) {
		errno = EINVAL;
		return -1;
	}
	a = r->attempts > ENVELOPE_MAXATTEMPTS ? ENVELOPE_MAXATTEMPTS :
	    r->attempts;
	n = snprintf(out, outlen, "%c %04u %010lld %010lld", r->state, a,
	    (long long)r->next, (long long)r->first);
	if (n != ENVELOPE_STATELEN) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void
rcpt_init(struct envelope_rcpt *r)
{
	memset(r, 0, sizeof(*r));
	r->state = ENVELOPE_PENDING;
}

static void
rcpt_free(struct envelope_rcpt *r)
{
	buf_free(&r->addr);
	buf_free(&r->orcpt);
	buf_free(&r->notify);
}

/* envelope_init - make e an empty envelope */
void
envelope_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->version = ENVELOPE_VERSION;
}

/* envelope_free - release the memory of e and leave it empty */
void
envelope_free(struct envelope *e)
{
	buf_free(&e->id);
	buf_free(&e->from);
	buf_free(&e->vmta);
	buf_free(&e->job);
	buf_free(&e->envid);
	buf_free(&e->ret);
	buf_free(&e->source);
	buf_free(&e->auth);
	buf_free(&e->srcname);
	for (size_t i = 0; i < e->nhdr; i++) {
		buf_free(&e->hdr[i].name);
		buf_free(&e->hdr[i].value);
	}
	for (size_t i = 0; i < e->nrcpt; i++)
		rcpt_free(&e->rcpt[i]);
	free(e->rcpt);
	envelope_init(e);
}

/* new_rcpt - a new pending recipient at the end of e, or NULL */
static struct envelope_rcpt *
new_rcpt(struct envelope *e)
{
	struct envelope_rcpt *r;
	size_t cap;

	if (e->nrcpt >= ENVELOPE_MAXRCPT) {
		errno = E2BIG;
		return NULL;
	}
	if (e->nrcpt == e->rcptcap) {
		cap = e->rcptcap < 8 ? 8 : e->rcptcap * 2;
		if ((r = reallocarray(e->rcpt, cap, sizeof(*r))) == NULL)
			return NULL;
		e->rcpt = r;
		e->rcptcap = cap;
	}
	r = &e->rcpt[e->nrcpt++];
	rcpt_init(r);
	return r;
}

/*
 * envelope_add_rcpt - add a pending recipient (orcpt and notify may be
 * NULL); 0, or -1 with errno set
 */
int
envelope_add_rcpt(struct envelope *e, const char *addr, const char *orcpt,
    const char *notify)
{
	struct envelope_rcpt *r;

	if (addr == NULL || *addr == '\0') {
		errno = EINVAL;
		return -1;
	}
	if ((r = new_rcpt(e)) == NULL)
		return -1;
	if (buf_appends(&r->addr, addr) == -1 ||
	    (orcpt != NULL && buf_appends(&r->orcpt, orcpt) == -1) ||
	    (notify != NULL && buf_appends(&r->notify, notify) == -1)) {
		rcpt_free(r);
		e->nrcpt--;
		return -1;
	}
	return 0;
}

/* hdr_name_ok - whether the n bytes at s are a header name: [a-z0-9-] */
static int
hdr_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > ENVELOPE_HDRNAMEMAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * envelope_add_header - keep header name (lower-case [a-z0-9-]) with the
 * n bytes of value, cut to ENVELOPE_HDRVALMAX bytes, not inside a UTF-8
 * sequence; -1 with EINVAL for a bad name or a NUL in the value, E2BIG
 * when e holds ENVELOPE_MAXHDR already
 */
int
envelope_add_header(struct envelope *e, const char *name, const char *value,
    size_t n)
{
	struct envelope_hdr *h;

	if (!hdr_name_ok(name, strlen(name)) || memchr(value, '\0', n) !=
	    NULL) {
		errno = EINVAL;
		return -1;
	}
	if (e->nhdr == ENVELOPE_MAXHDR) {
		errno = E2BIG;
		return -1;
	}
	if (n > ENVELOPE_HDRVALMAX) {
		n = ENVELOPE_HDRVALMAX;
		while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
	}
	h = &e->hdr[e->nhdr];
	if (buf_appends(&h->name, name) == -1 ||
	    buf_append(&h->value, value, n) == -1) {
		buf_free(&h->name);
		buf_free(&h->value);
		return -1;
	}
	e->nhdr++;
	return 0;
}

/*
 * put - append the record "key value" to out, or nothing when the value
 * is empty and optional
 */
static int
put(struct buf *out, const char *key, const struct buf *v, int optional)
{
	if (v->len == 0 && optional)
		return 0;
	if (buf_appends(out, key) == -1 || buf_appendc(out, ' ') == -1 ||
	    proto_encode(out, v->p, v->len) == -1 || buf_appendc(out, '\n') == -1)
		return -1;
	return 0;
}

/* put_addr - append "<address>" percent-encoded */
static int
put_addr(struct buf *out, const struct buf *a)
{
	if (buf_appendc(out, '<') == -1 || proto_encode(out, a->p, a->len) == -1 ||
	    buf_appendc(out, '>') == -1)
		return -1;
	return 0;
}

/* put_rcpt - append the record of r and set its offset */
static int
put_rcpt(struct buf *out, struct envelope_rcpt *r)
{
	char state[ENVELOPE_STATELEN + 1];

	if (r->addr.len == 0 || state_field(r, state, sizeof(state)) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (buf_appends(out, "rcpt ") == -1)
		return -1;
	r->off = out->len;
	if (buf_append(out, state, ENVELOPE_STATELEN) == -1 ||
	    buf_appendc(out, ' ') == -1 || put_addr(out, &r->addr) == -1)
		return -1;
	if (r->orcpt.len > 0 && (buf_appends(out, " orcpt=") == -1 ||
	    proto_encode(out, r->orcpt.p, r->orcpt.len) == -1))
		return -1;
	if (r->notify.len > 0 && (buf_appends(out, " notify=") == -1 ||
	    proto_encode(out, r->notify.p, r->notify.len) == -1))
		return -1;
	return buf_appendc(out, '\n');
}

/*
 * envelope_format - write e to out (replacing its content) with the empty
 * line that ends it, and record in e the offset of every field that is
 * rewritten in place; 0, or -1 with errno set (EINVAL: a value out of
 * range, a record over ENVELOPE_MAXLINE bytes)
 */
int
envelope_format(struct envelope *e, struct buf *out)
{
	size_t start;

	buf_reset(out);
	if (e->id.len == 0 || e->time < 0 || e->time > ENVELOPE_MAXTIME ||
	    e->size > ENVELOPE_MAXSIZE || e->nrcpt > ENVELOPE_MAXRCPT) {
		errno = EINVAL;
		return -1;
	}
	if (buf_appendf(out, "%s%d\n", MAGIC, ENVELOPE_VERSION) == -1 ||
	    put(out, "id", &e->id, 0) == -1 ||
	    buf_appendf(out, "time %lld\nfrom ", (long long)e->time) == -1 ||
	    put_addr(out, &e->from) == -1 ||
	    buf_appends(out, "\nsize ") == -1)
		return -1;
	e->size_off = out->len;
	if (buf_appendf(out, "%0*llu\n", ENVELOPE_SIZELEN, e->size) == -1 ||
	    put(out, "vmta", &e->vmta, 1) == -1 ||
	    put(out, "job", &e->job, 1) == -1 ||
	    put(out, "envid", &e->envid, 1) == -1 ||
	    put(out, "ret", &e->ret, 1) == -1 ||
	    put(out, "source", &e->source, 1) == -1 ||
	    put(out, "auth", &e->auth, 1) == -1 ||
	    put(out, "source-name", &e->srcname, 1) == -1)
		return -1;
	for (size_t i = 0; i < e->nhdr; i++) {
		const struct envelope_hdr *h = &e->hdr[i];

		if (!hdr_name_ok(h->name.p, h->name.len)) {
			errno = EINVAL;
			return -1;
		}
		if (buf_appends(out, "header ") == -1 ||
		    buf_append(out, h->name.p, h->name.len) == -1 ||
		    buf_appendc(out, '=') == -1 ||
		    proto_encode(out, h->value.p, h->value.len) == -1 ||
		    buf_appendc(out, '\n') == -1)
			return -1;
	}
	/* only these records can grow long: check them one by one */
	if (out->len > ENVELOPE_MAXLINE) {
		for (const char *p = out->p, *nl; p < out->p + out->len;
		    p = nl + 1) {
			nl = memchr(p, '\n', out->len - (size_t)(p - out->p));
			if (nl == NULL || nl + 1 - p > ENVELOPE_MAXLINE) {
				errno = EINVAL;
				return -1;
			}
		}
	}
	for (size_t i = 0; i < e->nrcpt; i++) {
		start = out->len;
		if (put_rcpt(out, &e->rcpt[i]) == -1)
			return -1;
		if (out->len - start > ENVELOPE_MAXLINE) {
			errno = EINVAL;
			return -1;
		}
	}
	return buf_appendc(out, '\n');
}

/* perr - format a parse error for line n; always -1 with EINVAL */
static int
perr(char *err, size_t errlen, size_t n, const char *what)
{
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "envelope line %zu: %s", n, what);
	errno = EINVAL;
	return -1;
}

/* header - check the first line, "mta-spool MAJOR[.MINOR]" */
static int
header(const char *l, size_t n, struct envelope *e, char *err,
    size_t errlen)
{
	const char *dot;
	long long major;
	char msg[128];

	if (n <= MAGICLEN || memcmp(l, MAGIC, MAGICLEN) != 0)
		return perr(err, errlen, 1, "not a spool file");
	l += MAGICLEN;
	n -= MAGICLEN;
	if ((dot = memchr(l, '.', n)) != NULL &&
	    digits(dot + 1, n - (size_t)(dot + 1 - l), 9999) == -1)
		return perr(err, errlen, 1, "bad format version");
	if (dot != NULL)
		n = (size_t)(dot - l);
	if ((major = digits(l, n, 9999)) <= 0)
		return perr(err, errlen, 1, "bad format version");
	if (major > ENVELOPE_VERSION) {
		(void)snprintf(msg, sizeof(msg), "format version %lld is "
		    "newer than this program's (%d)", major, ENVELOPE_VERSION);
		return perr(err, errlen, 1, msg);
	}
	e->version = (unsigned)major;
	return 0;
}

/* value_addr - decode the token "<...>" into b */
static int
value_addr(const char *v, size_t n, struct buf *b)
{
	if (n < 2 || v[0] != '<' || v[n - 1] != '>') {
		errno = EINVAL;
		return -1;
	}
	return pdec(b, v + 1, n - 2);
}

/*
 * rcpt_line - parse the record after "rcpt " (r, n bytes at file offset
 * off) into a new recipient of e
 */
static int
rcpt_line(const char *l, size_t n, size_t off, struct envelope *e,
    size_t lineno, char *err, size_t errlen)
{
	struct envelope_rcpt *r;
	const char *tok, *end = l + n, *sp, *eq;
	long long a, next, first;
	int seen_orcpt = 0, seen_notify = 0;

	if (n < ENVELOPE_STATELEN + 2 || l[1] != ' ' || l[6] != ' ' ||
	    l[17] != ' ' || l[ENVELOPE_STATELEN] != ' ' || !state_ok(l[0]) ||
	    (a = digits(l + 2, 4, ENVELOPE_MAXATTEMPTS)) == -1 ||
	    (next = digits(l + 7, 10, ENVELOPE_MAXTIME)) == -1 ||
	    (first = digits(l + 18, 10, ENVELOPE_MAXTIME)) == -1)
		return perr(err, errlen, lineno, "bad recipient state field");
	if ((r = new_rcpt(e)) == NULL) {
		if (errno == E2BIG)
			return perr(err, errlen, lineno,
			    "too many recipients");
		return -1;
	}
	r->state = l[0];
	r->attempts = (unsigned)a;
	r->next = (time_t)next;
	r->first = (time_t)first;
	r->off = off;
	for (tok = l + ENVELOPE_STATELEN + 1; tok < end; tok = sp + 1) {
		if ((sp = memchr(tok, ' ', (size_t)(end - tok))) == NULL)
			sp = end;
		if (tok == l + ENVELOPE_STATELEN + 1) {
			if (value_addr(tok, (size_t)(sp - tok), &r->addr) == -1
			    || r->addr.len == 0)
				return perr(err, errlen, lineno,
				    "bad recipient address");
			continue;
		}
		if ((eq = memchr(tok, '=', (size_t)(sp - tok))) == NULL)
			return perr(err, errlen, lineno,
			    "recipient field without =");
		if (eq - tok == 5 && memcmp(tok, "orcpt", 5) == 0) {
			if (seen_orcpt++ || pdec(&r->orcpt, eq + 1,
			    (size_t)(sp - eq - 1)) == -1)
				return perr(err, errlen, lineno, "bad orcpt");
		} else if (eq - tok == 6 && memcmp(tok, "notify", 6) == 0) {
			if (seen_notify++ || pdec(&r->notify, eq + 1,
			    (size_t)(sp - eq - 1)) == -1)
				return perr(err, errlen, lineno,
				    "bad notify");
		}
		/* unknown keys are for a later minor version */
	}
	if (r->addr.len == 0)
		return perr(err, errlen, lineno, "bad recipient address");
	return 0;
}

/*
 * header_line - parse "NAME=VALUE" after "header "; those past
 * ENVELOPE_MAXHDR are ignored, as a later version may keep more
 */
static int
header_line(const char *v, size_t n, struct envelope *e, size_t lineno,
    char *err, size_t errlen)
{
	struct envelope_hdr *h;
	const char *eq;

	if ((eq = memchr(v, '=', n)) == NULL ||
	    !hdr_name_ok(v, (size_t)(eq - v)) ||
	    memchr(eq, ' ', n - (size_t)(eq - v)) != NULL)
		return perr(err, errlen, lineno, "bad header record");
	if (e->nhdr == ENVELOPE_MAXHDR)
		return 0;
	h = &e->hdr[e->nhdr];
	if (buf_set(&h->name, v, (size_t)(eq - v)) == -1)
		return -1;
	if (pdec(&h->value, eq + 1, n - (size_t)(eq + 1 - v)) == -1) {
		buf_free(&h->name);
		buf_free(&h->value);
		return perr(err, errlen, lineno, "bad header value");
	}
	e->nhdr++;
	return 0;
}

/* record - parse one record other than the header and rcpt */
static int
record(const char *l, size_t n, size_t off, struct envelope *e,
    unsigned *seen, size_t lineno, char *err, size_t errlen)
{
	static const struct {
		const char	*key;
		unsigned	 bit;
		size_t		 field;
	} keys[] = {
		{ "id", K_ID, offsetof(struct envelope, id) },
		{ "time", K_TIME, 0 },
		{ "from", K_FROM, offsetof(struct envelope, from) },
		{ "size", K_SIZE, 0 },
		{ "vmta", K_VMTA, offsetof(struct envelope, vmta) },
		{ "job", K_JOB, offsetof(struct envelope, job) },
		{ "envid", K_ENVID, offsetof(struct envelope, envid) },
		{ "ret", K_RET, offsetof(struct envelope, ret) },
		{ "source", K_SOURCE, offsetof(struct envelope, source) },
		{ "auth", K_AUTH, offsetof(struct envelope, auth) },
		{ "source-name", K_SRCNAME, offsetof(struct envelope,
		    srcname) },
	};
	const char *sp, *v;
	size_t klen, vlen;
	long long t;
	struct buf *b;

	if ((sp = memchr(l, ' ', n)) == NULL)
		sp = l + n;
	klen = (size_t)(sp - l);
	v = sp < l + n ? sp + 1 : sp;
	vlen = (size_t)(l + n - v);
	if (klen == 4 && memcmp(l, "rcpt", 4) == 0)
		return rcpt_line(v, vlen, off + 5, e, lineno, err, errlen);
	if (klen == 6 && memcmp(l, "header", 6) == 0)
		return header_line(v, vlen, e, lineno, err, errlen);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != klen ||
		    memcmp(keys[i].key, l, klen) != 0)
			continue;
		if (*seen & keys[i].bit)
			return perr(err, errlen, lineno, "duplicate record");
		*seen |= keys[i].bit;
		if (memchr(v, ' ', vlen) != NULL)
			return perr(err, errlen, lineno, "space in value");
		switch (keys[i].bit) {
		case K_TIME:
			if ((t = digits(v, vlen, ENVELOPE_MAXTIME)) == -1)
				return perr(err, errlen, lineno, "bad time");
			e->time = (time_t)t;
			return 0;
		case K_SIZE:
			if ((t = digits(v, vlen, ENVELOPE_MAXSIZE)) == -1)
				return perr(err, errlen, lineno, "bad size");
			e->size = (unsigned long long)t;
			e->size_off = off + 5;
			return 0;
		case K_FROM:
			if (value_addr(v, vlen, &e->from) == -1)
				return perr(err, errlen, lineno,
				    "bad sender address");
			return 0;
		default:
			b = (struct buf *)((char *)e + keys[i].field);
			if (pdec(b, v, vlen) == -1)
				return perr(err, errlen, lineno, "bad value");
			if (keys[i].bit == K_ID && b->len == 0)
				return perr(err, errlen, lineno, "empty id");
			return 0;
		}
	}
	return 0;	/* unknown record: ignored */
}

/* keyok - whether the record at l starts with a key [a-z0-9-]+ */
static int
keyok(const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < n && l[i] != ' '; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') ||
		    (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
			return 0;
	return i > 0;
}

/*
 * envelope_parse - parse the envelope at the start of the len bytes at
 * data into e (initialised; its content is replaced) and set *body_offset
 * to where the message starts; 0, or -1 with errno set (EINVAL with the
 * reason in err)
 */
int
envelope_parse(const char *data, size_t len, struct envelope *e,
    size_t *body_offset, char *err, size_t errlen)
{
	static const struct {
		unsigned	 bit;
		const char	*msg;
	} required[] = {
		{ K_ID, "missing id record" },
		{ K_TIME, "missing time record" },
		{ K_FROM, "missing from record" },
	};
	const char *l, *nl;
	size_t pos = 0, lim, n, lineno = 0;
	unsigned seen = 0;

	envelope_free(e);
	if (len < MAGICLEN || memcmp(data, MAGIC, MAGICLEN) != 0)
		return perr(err, errlen, 1, "not a spool file");
	for (;;) {
		lineno++;
		l = data + pos;
		lim = len - pos < ENVELOPE_MAXLINE ? len - pos :
		    ENVELOPE_MAXLINE;
		if ((nl = memchr(l, '\n', lim)) == NULL)
			return perr(err, errlen, lineno, lim ==
			    ENVELOPE_MAXLINE ? "line too long" :
			    "truncated envelope");
		n = (size_t)(nl - l);
		if (lineno == 1) {
			if (header(l, n, e, err, errlen) == -1)
				return -1;
			pos += n + 1;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)l[i] < 0x20 ||
			    (unsigned char)l[i] > 0x7e)
				return perr(err, errlen, lineno,
				    "bad byte in record");
		if (n == 0) {
			pos += 1;
			break;
		} else if (!keyok(l, n))
			return perr(err, errlen, lineno, "bad key");
		else if (record(l, n, pos, e, &seen, lineno, err,
		    errlen) == -1)
			return -1;
		pos += n + 1;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & required[i].bit))
			return perr(err, errlen, lineno, required[i].msg);
	if (body_offset != NULL)
		*body_offset = pos;
	return 0;
}

/* pwrite_all - write n bytes at offset off, retrying short writes */
static int
pwrite_all(int fd, const char *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/*
 * envelope_rcpt_update - write the state field of recipient i of e into
 * the file fd in place and fdatasync(2) it; 0, or -1 with errno set
 */
int
envelope_rcpt_update(int fd, const struct envelope *e, size_t i)
{
	char state[ENVELOPE_STATELEN + 1];

	if (i >= e->nrcpt || e->rcpt[i].off == 0) {
		errno = EINVAL;
		return -1;
	}
	if (state_field(&e->rcpt[i], state, sizeof(state)) == -1)
		return -1;
	if (pwrite_all(fd, state, ENVELOPE_STATELEN,
	    (off_t)e->rcpt[i].off) == -1)
		return -1;
	return fdatasync(fd);
}

/*
 * envelope_rcpt_write - write the state field of recipient r (its
 * state, attempts, next, first, at r->off) into the file fd in place,
 * without syncing: for a caller whose own log already holds the change
 * durably; 0, or -1 with errno set
 */
int
envelope_rcpt_write(int fd, const struct envelope_rcpt *r)
{
	char state[ENVELOPE_STATELEN + 1];

	if (r->off == 0) {
		errno = EINVAL;
		return -1;
	}
	if (state_field(r, state, sizeof(state)) == -1)
		return -1;
	return pwrite_all(fd, state, ENVELOPE_STATELEN, (off_t)r->off);
}

/*
 * envelope_size_update - write size into the size record at offset off of
 * the file fd, without syncing; 0, or -1 with errno set
 */
int
envelope_size_update(int fd, size_t off, unsigned long long size)
{
	char txt[ENVELOPE_SIZELEN + 1];
	int n;

	if (off == 0 || size > ENVELOPE_MAXSIZE) {
		errno = off == 0 ? EINVAL : EFBIG;
		return -1;
	}
	n = snprintf(txt, sizeof(txt), "%0*llu", ENVELOPE_SIZELEN, size);
	if (n != ENVELOPE_SIZELEN) {
		errno = EINVAL;
		return -1;
	}
	return pwrite_all(fd, txt, ENVELOPE_SIZELEN, (off_t)off);
}

/* envelope_state_name - the name of a recipient state */
const char *
envelope_state_name(int s)
{
	switch (s) {
	case ENVELOPE_PENDING:
		return "pending";
	case ENVELOPE_DELIVERED:
		return "delivered";
	case ENVELOPE_FAILED:
		return "failed";
	case ENVELOPE_EXPIRED:
		return "expired";
	default:
		return "unknown";
	}
}
