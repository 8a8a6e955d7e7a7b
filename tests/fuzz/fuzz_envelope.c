/*
 * fuzz_envelope - libFuzzer target for the spool envelope parser: the
 * input is the start of a spool file.
 *
 * Invariants checked (abort() when one fails): a failure sets EINVAL and
 * a reason; what parses formats, and the formatted envelope parses again
 * to the same fields, with the offsets envelope_format() recorded, and
 * formats again to the same bytes; a recipient's state rewritten in place
 * (envelope_rcpt_update) in the input, and the size rewritten in place
 * (envelope_size_update) in the formatted envelope, change that field
 * and nothing else.
 */
#define _GNU_SOURCE	/* memfd_create */

#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->p, b->p, a->len) == 0);
}

/*
 * same - whether a and b hold the same fields; the offsets too when
 * offsets is set, and recipient skip (if any) may differ in its state
 */
static int
same(const struct envelope *a, const struct envelope *b, int offsets,
    size_t skip)
{
	const struct envelope_rcpt *r, *s;

	if (a->version != b->version || !same_buf(&a->id, &b->id) ||
	    a->time != b->time || !same_buf(&a->from, &b->from) ||
	    !same_buf(&a->vmta, &b->vmta) || !same_buf(&a->job, &b->job) ||
	    !same_buf(&a->envid, &b->envid) || !same_buf(&a->ret, &b->ret) ||
	    a->size != b->size || !same_buf(&a->source, &b->source) ||
	    !same_buf(&a->auth, &b->auth) ||
	    !same_buf(&a->srcname, &b->srcname) || a->nrcpt != b->nrcpt)
		return 0;
	if (offsets && a->size_off != b->size_off)
		return 0;
	for (size_t i = 0; i < a->nrcpt; i++) {
		r = &a->rcpt[i];
		s = &b->rcpt[i];
		if (!same_buf(&r->addr, &s->addr) ||
		    !same_buf(&r->orcpt, &s->orcpt) ||
		    !same_buf(&r->notify, &s->notify))
			return 0;
		if (i != skip && (r->state != s->state ||
		    r->attempts != s->attempts || r->next != s->next ||
		    r->first != s->first))
			return 0;
		if (offsets && r->off != s->off)
			return 0;
	}
	return 1;
}

/* load - make the file fd hold the n bytes at p */
static void
load(int fd, const char *p, size_t n)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, p, n, 0) == (ssize_t)n);
}

/* readback - read the first n bytes of the file fd into b */
static void
readback(int fd, struct buf *b, size_t n)
{
	buf_reset(b);
	CHECK(buf_grow(b, n) == 0);
	CHECK(pread(fd, b->p, n, 0) == (ssize_t)n);
	b->len = n;
	b->p[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct envelope e, e2, e3;
	struct envelope_rcpt *r;
	struct buf out = BUF_INIT, out2 = BUF_INIT, file = BUF_INIT;
	char err[256];
	size_t off, off2;

	if (fd == -1 && (fd = memfd_create("fuzz_envelope", 0)) == -1)
		abort();
	envelope_init(&e);
	envelope_init(&e2);
	envelope_init(&e3);
	err[0] = '\0';
	errno = 0;
	if (envelope_parse((const char *)data, size, &e, &off, err,
	    sizeof(err)) == -1) {
		CHECK(errno == EINVAL && err[0] != '\0');
		goto done;
	}
	CHECK(off <= size && off > 0 && data[off - 1] == '\n');
	CHECK(e.id.len > 0 && e.nrcpt <= ENVELOPE_MAXRCPT);

	/* The round trip: format, parse, compare, format again. */
	CHECK(envelope_format(&e, &out) == 0);
	CHECK(envelope_parse(out.p, out.len, &e2, &off2, err,
	    sizeof(err)) == 0);
	CHECK(off2 == out.len);
	CHECK(same(&e, &e2, 1, SIZE_MAX));
	CHECK(envelope_format(&e2, &out2) == 0);
	CHECK(same_buf(&out, &out2));

	/* The size in place, as the spool writer commits it. */
	load(fd, out.p, out.len);
	CHECK(envelope_size_update(fd, e.size_off,
	    ENVELOPE_MAXSIZE - e.size) == 0);
	readback(fd, &file, out.len);
	CHECK(envelope_parse(file.p, file.len, &e3, NULL, err,
	    sizeof(err)) == 0);
	CHECK(e3.size == ENVELOPE_MAXSIZE - e.size);
	e3.size = e.size;
	CHECK(same(&e, &e3, 1, SIZE_MAX));

	/*
	 * A recipient's state in place, in the file as it was read: e2 is
	 * parsed again from the input for its offsets, which format changed.
	 */
	if (e.nrcpt > 0) {
		size_t i = e.nrcpt / 2;

		CHECK(envelope_parse((const char *)data, size, &e2, NULL, err,
		    sizeof(err)) == 0);
		r = &e2.rcpt[i];
		r->state = r->state == ENVELOPE_DELIVERED ?
		    ENVELOPE_FAILED : ENVELOPE_DELIVERED;
		r->attempts = r->attempts + 1;
		r->next = ENVELOPE_MAXTIME - r->next;
		r->first = r->first == 0 ? 1 : 0;
		load(fd, (const char *)data, size);
		CHECK(envelope_rcpt_update(fd, &e2, i) == 0);
		readback(fd, &file, size);
		CHECK(envelope_parse(file.p, file.len, &e3, &off2, err,
		    sizeof(err)) == 0);
		CHECK(off2 == off);
		CHECK(same(&e2, &e3, 1, i));
		CHECK(e3.rcpt[i].state == r->state &&
		    e3.rcpt[i].next == r->next &&
		    e3.rcpt[i].first == r->first &&
		    e3.rcpt[i].attempts == (r->attempts >
		    ENVELOPE_MAXATTEMPTS ? ENVELOPE_MAXATTEMPTS :
		    r->attempts));
		/* Only the 28 bytes of the state field changed. */
		for (size_t j = 0; j < size; j++)
			CHECK(file.p[j] == (char)data[j] ||
			    (j >= r->off && j < r->off + ENVELOPE_STATELEN));
	}

done:
	envelope_free(&e);
	envelope_free(&e2);
	envelope_free(&e3);
	buf_free(&out);
	buf_free(&out2);
	buf_free(&file);
	return 0;
}
