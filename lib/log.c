/*
 * log - plain lines on stderr for svlogd/multilog, and fatal exits.
 *
 * A line is formatted whole in a buffer and written with one write(2), so
 * lines from processes sharing a log pipe never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *progname = "mta";
static int verbose;

/* log_init - remember the program name for every line */
void
log_init(const char *name)
{
	const char *slash;

	if (name == NULL)
		return;
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	progname = name;
}

/* log_progname - the name given to log_init */
const char *
log_progname(void)
{
	return progname;
}

/* log_set_verbose - enable debug lines when v is non-zero */
void
log_set_verbose(int v)
{
	verbose = v;
}

static void
log_emit(const char *level, const char *fmt, va_list ap, int errnum)
{
	char line[LOG_MAXLINE + 1];
	size_t len;
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: ", progname, level);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ? (size_t)n :
		    sizeof(line) - len - 1;
	if (errnum != 0 && len < sizeof(line) - 1) {
		n = snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(errnum));
		if (n > 0)
			len += (size_t)n < sizeof(line) - len ? (size_t)n :
			    sizeof(line) - len - 1;
	}
	/* Untrusted text must not start a new line of its own. */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	(void)write(STDERR_FILENO, line, len);
}

/* log_info - an event worth keeping */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("info", fmt, ap, 0);
	va_end(ap);
}

/* log_warn - something went wrong and the program goes on */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("warning", fmt, ap, 0);
	va_end(ap);
}

/* log_warn_sys - log_warn with strerror(errno) appended */
void
log_warn_sys(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit("warning", fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

/* log_debug - detail, shown only when verbose */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	log_emit("debug", fmt, ap, 0);
	va_end(ap);
}

/* die - log a fatal line and exit with a sysexits(3) code */
void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal", fmt, ap, 0);
	va_end(ap);
	exit(code);
}

/* die_sys - die with strerror(errno) appended */
void
die_sys(int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit("fatal", fmt, ap, saved);
	va_end(ap);
	exit(code);
}

/* log_panic - an internal bug: log where and abort */
void
log_panic(const char *file, int line, const char *fmt, ...)
{
	char msg[LOG_MAXLINE];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: panic: %s:%d: %s\n", progname, file, line, msg);
	abort();
}
