#define _GNU_SOURCE
/*
 * mta-acct - the accounting files: follows the outcome journal of the
 * spool (mta-journal(5)) and appends PowerMTA's CSV records to each
 * <acct-file>, or writes them to a command; "mta-acct summary" reports
 * on such files.
 *
 * Runs in the foreground under a supervisor; crash-only: each file's
 * place in the journal is on disk under spool/acct/, and a restart
 * goes on from there without a row lost or written twice.
 */
#include <sys/inotify.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "acctd.h"
#include "log.h"

#ifndef MTA_SYSCONFDIR
#define MTA_SYSCONFDIR	"/etc/mta"
#endif

#define USAGE	"usage: mta-acct [-hv] [-C file] [-r fd]\n" \
		"       mta-acct summary [--json] file ...\n"
#define POLL_MS		1000	/* rescan even without inotify events */
#define BATCH_MAX	(4 * 1024 * 1024)
#define STEPS_A_ROUND	64	/* batches of one file before the next */

static volatile sig_atomic_t stopping, child_exited;

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		child_exited = 1;
	else
		stopping = 1;
}

static void
reap(struct acctd *ad)
{
	pid_t pid;
	int status;

	child_exited = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < ad->nfiles; i++)
			afile_child_exited(&ad->files[i], pid, status);
}

/* one round: every file as far as the journal goes; 1 if more waits */
static int
round_all(struct acctd *ad)
{
	bool more = false, any = false;
	time_t now = time(NULL);

	for (size_t i = 0; i < ad->nfiles && !stopping; i++) {
		struct afile *f = &ad->files[i];

		for (int k = 0; k < STEPS_A_ROUND && !stopping; k++) {
			afile_rotate_check(f, now);
			if (afile_step(ad, f, &more) == -1 || !more)
				break;
		}
		any = any || more;
	}
	segs_remove_consumed(ad);
	return any;
}

/*
 * wait for the journal (inotify), a pipe that can take more, a child, a
 * signal, or the next timeout of a command, POLL_MS at the most
 */
static void
wait_events(struct acctd *ad, struct pollfd *pfd, int infd)
{
	char evbuf[4096];
	time_t now = time(NULL), due = now + POLL_MS / 1000;
	nfds_t n = 0;
	int fd, ms;

	pfd[n].fd = infd;
	pfd[n++].events = POLLIN;
	for (size_t i = 0; i < ad->nfiles; i++)
		if ((fd = afile_poll(&ad->files[i], now, &due)) != -1) {
			pfd[n].fd = fd;
			pfd[n++].events = POLLOUT;
		}
	ms = due <= now ? 0 : (int)(due - now) * 1000;
	if (poll(pfd, n, ms) > 0 && (pfd[0].revents & POLLIN) != 0)
		while (read(infd, evbuf, sizeof(evbuf)) > 0)
			continue;
}

int
main(int argc, char *argv[])
{
	struct acctd ad;
	struct sigaction sa;
	struct pollfd *pfd;
	const char *confpath = MTA_SYSCONFDIR "/mta.conf";
	const char *errstr;
	int ch, verbose = 0, readyfd = -1, infd;

	log_init("mta-acct");
	if (argc > 1 && strcmp(argv[1], "summary") == 0)
		return summary_main(argc - 1, argv + 1);
	while ((ch = getopt(argc, argv, "C:hr:v")) != -1) {
		switch (ch) {
		case 'C':
			confpath = optarg;
			break;
		case 'h':
			usage(0);
		case 'r':
			readyfd = (int)strtonum(optarg, 0, 1024, &errstr);
			if (errstr != NULL)
				usage(EX_USAGE);
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	log_set_verbose(verbose);
	memset(&ad, 0, sizeof(ad));
	ad.batch_max = BATCH_MAX;
	ad.remove_segments = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	acctd_setup(&ad, confpath);
	if (ad.nfiles == 0)
		log_warn("%s: no <acct-file>: following nothing", confpath);
	if ((pfd = calloc(ad.nfiles + 1, sizeof(*pfd))) == NULL)
		die_sys(EX_TEMPFAIL, "setup");
	infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (infd != -1 && inotify_add_watch(infd, ad.logdir, IN_MODIFY |
	    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) == -1)
		log_warn_sys("inotify %s: polling", ad.logdir);
	if (readyfd != -1) {
		(void)write(readyfd, "\n", 1);
		(void)close(readyfd);
	}
	while (!stopping) {
		if (child_exited)
			reap(&ad);
		if (round_all(&ad))
			continue;
		if (!stopping && !child_exited)
			wait_events(&ad, pfd, infd);
	}
	log_info("stopping");
	free(pfd);
	acctd_free(&ad);
	return 0;
}
