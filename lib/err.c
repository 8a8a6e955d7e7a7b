/*
 * err - why a lib/ function failed, into the caller's buffer (see err.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* vset - format into err, then ": strerror(errno)" if sys; keeps errno */
static void
vset(char *err, size_t errlen, int sys, const char *fmt, va_list ap)
{
	int save = errno, n;

	if (err == NULL || errlen == 0)
		return;
	n = vsnprintf(err, errlen, fmt, ap);
	if (sys && n >= 0 && (size_t)n < errlen)
		(void)snprintf(err + n, errlen - (size_t)n, ": %s",
		    strerror(save));
	errno = save;
}

/* err_msg - "what" into err */
void
err_msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, errlen, 0, fmt, ap);
	va_end(ap);
}

/* err_sys - "what: strerror(errno)" into err */
void
err_sys(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, errlen, 1, fmt, ap);
	va_end(ap);
}
