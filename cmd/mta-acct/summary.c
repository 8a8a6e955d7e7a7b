/*
 * summary - "mta-acct summary [--json] file ...": the counts of
 * acct_summary over accounting files ("-" is standard input).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "acct.h"
#include "acctd.h"
#include "log.h"

#define SUMMARY_USAGE	"usage: mta-acct summary [--json] file ...\n"

static int
feed_file(struct acct_summary *s, const char *path)
{
	char buf[65536], err[300];
	ssize_t n;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn_sys("%s", path);
		return EX_NOINPUT;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn_sys("%s: read", path);
			return EX_IOERR;
		}
		if (acct_summary_feed(s, buf, (size_t)n, err, sizeof(err))
		    == -1)
			goto bad;
	}
	if (fd != 0)
		(void)close(fd);
	if (acct_summary_end(s, err, sizeof(err)) == -1)
		goto bad;
	return 0;
bad:
	if (fd > 0)
		(void)close(fd);
	if (errno == ENOMEM)
		die(EX_TEMPFAIL, "%s: %s", path, err);
	log_warn("%s: %s", path, err);
	return EX_DATAERR;
}

/* summary_main - the summary command; argv[0] is "summary" */
int
summary_main(int argc, char **argv)
{
	struct acct_summary *s;
	bool json = false;
	int i = 1, rc = 0, r;

	if (i < argc && strcmp(argv[i], "--json") == 0) {
		json = true;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i == argc || (argv[i][0] == '-' && argv[i][1] == '-')) {
		fputs(SUMMARY_USAGE, stderr);
		return EX_USAGE;
	}
	if ((s = acct_summary_new()) == NULL)
		die_sys(EX_TEMPFAIL, "summary");
	for (; i < argc; i++) {
		/* a bad file is reported; the others still count */
		if ((r = feed_file(s, argv[i])) != 0 && rc == 0)
			rc = r;
		if (r == EX_DATAERR) {
			acct_summary_free(s);
			return r;
		}
	}
	if (acct_summary_print(s, stdout, json) == -1)
		die_sys(EX_IOERR, "stdout");
	acct_summary_free(s);
	return rc;
}
