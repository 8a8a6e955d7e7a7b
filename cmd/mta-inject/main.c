/*
 * mta-inject - commit a message from standard input to the spool and
 * print its queue id; sendmail-compatible where the flags overlap, and
 * installed as sendmail too.  -b reads many messages in batch SMTP.
 *
 * Nothing is printed before the message file and its directory entry
 * are on disk; on any failure nothing is left in new/.
 */
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "inject.h"
#include "log.h"
#include "spool.h"

#define USAGE	"usage: mta-inject [-bhit] [-C file] [-q spooldir] " \
	"[-f sender] [-V vmta]\n" \
	"                  [-J jobid] [-N dsn-notify] [-R ret] [-E envid] " \
	"[-F name] [-o option]\n" \
	"                  [recipient ...]\n"

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

/* inject_exit_code - the sysexits(3) code for a failure with errno e */
int
inject_exit_code(int e)
{
	switch (e) {
	case EINVAL:
	case EFBIG:
		return EX_DATAERR;
	case EDESTADDRREQ:
		return EX_USAGE;
	case EACCES:
	case EPERM:
	case EROFS:
		return EX_CANTCREAT;
	default:
		return EX_TEMPFAIL;
	}
}

static const char *
check_notify(const char *s)
{
	char copy[64], *w, *save;

	if (strlcpy(copy, s, sizeof(copy)) >= sizeof(copy))
		die(EX_USAGE, "-N %s: too long", s);
	for (w = strtok_r(copy, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save))
		if (strcasecmp(w, "never") != 0 &&
		    strcasecmp(w, "success") != 0 &&
		    strcasecmp(w, "failure") != 0 &&
		    strcasecmp(w, "delay") != 0)
			die(EX_USAGE, "-N %s: not never, success, failure or "
			    "delay", s);
	return s;
}

static const char *
check_ret(const char *s)
{
	if (strcasecmp(s, "full") == 0)
		return "full";
	if (strcasecmp(s, "hdrs") == 0)
		return "hdrs";
	die(EX_USAGE, "-R %s: not full or hdrs", s);
}

/*
 * Message files are anonymous (O_TMPFILE) until the commit links them
 * into new/: the fdatasync of a file that has no name in tmp/ writes no
 * directory, and there is no tmp/ entry to remove.  Where the file
 * system cannot, named tmp/ files as before.
 */
static int
anon_file(void *arg)
{
	static bool unsupported;
	int fd;

	if (unsupported)
		return -1;
	if ((fd = spool_anon_create(arg)) == -1 && (errno == EOPNOTSUPP ||
	    errno == EISDIR || errno == EINVAL))
		unsupported = true;
	return fd;
}

static struct spool *
open_spool(const struct conf *c, const char *dir)
{
	struct conf_settings s;
	struct spool *sp;
	char err[512];

	if (dir == NULL) {
		conf_resolve_global(c, &s);
		dir = conf_str(&s, CONF_SPOOL);
	}
	if ((sp = spool_open(dir, SPOOL_INJECT, err, sizeof(err))) == NULL)
		die(inject_exit_code(errno), "%s", err);
	/* without /proc/self/fd to link them: named files */
	(void)spool_set_anon(sp, anon_file, sp);
	return sp;
}

int
main(int argc, char **argv)
{
	const char *conf_path = MTA_SYSCONFDIR "/mta.conf", *spool_dir = NULL;
	static const unsigned char local[4] = { 127, 0, 0, 1 };
	/* static: reachable when die() exits, for the leak checker */
	static struct conf *c;
	struct inject in;
	bool batch = false;
	int ch, rc;

	log_init("mta-inject");
	memset(&in, 0, sizeof(in));
	in.dot_ends = true;
	in.env.source = "local";
	/* "b::" so that sendmail's -bm (the default mode) is understood. */
	while ((ch = getopt(argc, argv, "b::C:E:F:f:hiJ:N:o:q:R:r:tV:")) !=
	    -1) {
		switch (ch) {
		case 'b':
			if (optarg == NULL)
				batch = true;
			else if (strcmp(optarg, "m") != 0)
				die(EX_USAGE, "-b%s: not supported", optarg);
			break;
		case 'C':
			conf_path = optarg;
			break;
		case 'E':
			in.env.envid = optarg;
			break;
		case 'F':
			break;	/* sendmail's full name: the From header rules */
		case 'f':
		case 'r':
			in.env.from = optarg;
			break;
		case 'h':
			usage(0);
		case 'i':
			in.dot_ends = false;
			break;
		case 'J':
			in.env.job = optarg;
			break;
		case 'N':
			in.env.notify = check_notify(optarg);
			break;
		case 'o':
			/* sendmail options: only -oi means something here */
			if (strcmp(optarg, "i") == 0)
				in.dot_ends = false;
			break;
		case 'q':
			spool_dir = optarg;
			break;
		case 'R':
			in.env.ret = check_ret(optarg);
			break;
		case 't':
			in.env.extract = true;
			break;
		case 'V':
			in.env.vmta = optarg;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	/*
	 * Installed setgid to reach the spool, we must not let a user
	 * point us at another config or another folder.
	 */
	if ((getgid() != getegid() || getuid() != geteuid()) &&
	    (spool_dir != NULL || strcmp(conf_path, MTA_SYSCONFDIR
	    "/mta.conf") != 0))
		die(EX_NOPERM, "-C and -q are not allowed when setgid");
	in.env.rcpt = (const char *const *)argv + optind;
	in.env.nrcpt = (size_t)(argc - optind);
	if (batch && (in.env.nrcpt > 0 || in.env.extract))
		die(EX_USAGE, "-b takes its recipients from the input");
	if (!batch && in.env.nrcpt == 0 && !in.env.extract)
		die(EX_USAGE, "no recipients (give some, or -t)");

	if ((c = conf_load(conf_path)) == NULL)
		die_sys(EX_TEMPFAIL, "%s", conf_path);
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		die(EX_CONFIG, "%s: %zu error%s", conf_path, conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s");
	}
	if (submit_init(&in.sub, c, open_spool(c, spool_dir), AF_INET, local,
	    "{pickup}") == -1)
		die_sys(EX_CONFIG, "host name");
	rc = batch ? inject_batch(&in) : inject_single(&in);
	spool_close(in.sub.spool);
	conf_free(c);
	return rc;
}
