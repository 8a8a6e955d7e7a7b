/*
 * buf - strings that carry their length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* buf_grow - make room for n more bytes and a NUL */
int
buf_grow(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = reallocarray(b->p, cap, 1)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

/* buf_append - append n bytes to b */
int
buf_append(struct buf *b, const void *src, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, src, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* buf_appends - append a NUL-terminated string */
int
buf_appends(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_appendc - append one byte */
int
buf_appendc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

/* buf_appendf - append printf-formatted text */
int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

/* buf_set - replace the contents of b with n bytes */
int
buf_set(struct buf *b, const void *src, size_t n)
{
	buf_reset(b);
	return buf_append(b, src, n);
}

/* buf_reset - empty b, keeping its memory */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap > 0)
		b->p[0] = '\0';
}

/* buf_free - release b's memory */
void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* buf_cstr - b as a C string (never NULL) */
const char *
buf_cstr(struct buf *b)
{
	if (b->cap == 0 && buf_grow(b, 0) == -1)
		return "";
	return b->p;
}
