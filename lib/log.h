/*
 * log - plain lines on stderr for svlogd/multilog, and fatal exits.
 *
 * Every line reads "prog: level: text".  No timestamps (the log service
 * adds them) and no syslog.  Lines are cut at LOG_MAXLINE bytes so one
 * event is always one line.
 */
#ifndef MTA_LOG_H
#define MTA_LOG_H

#include <stdarg.h>

#define LOG_MAXLINE	1000
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

void	log_init(const char *);
const char *log_progname(void);
void	log_set_verbose(int);
void	log_info(const char *, ...) PRINTFLIKE(1, 2);
void	log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	log_warn_sys(const char *, ...) PRINTFLIKE(1, 2);
void	log_debug(const char *, ...) PRINTFLIKE(1, 2);
_Noreturn void die(int, const char *, ...) PRINTFLIKE(2, 3);
_Noreturn void die_sys(int, const char *, ...) PRINTFLIKE(2, 3);
_Noreturn void log_panic(const char *, int, const char *, ...)
	    PRINTFLIKE(3, 4);

#define PANIC(...)	log_panic(__FILE__, __LINE__, __VA_ARGS__)

#endif
