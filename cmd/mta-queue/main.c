/*
 * mta-queue - the scheduler: takes committed messages from the spool,
 * keeps one delivery queue per domain/vmta in memory, hands SMTP work
 * to mta-deliver workers within each queue's throttles, and journals
 * every outcome before it changes the spool.
 *
 * Runs in the foreground under a supervisor; crash-only: everything
 * that matters is in the spool and the journal, and a restart rebuilds
 * the queues from them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "admin.h"
#include "conf.h"
#include "control.h"
#include "journal.h"
#include "log.h"
#include "queue.h"

#ifndef MTA_SYSCONFDIR
#define MTA_SYSCONFDIR	"/etc/mta"
#endif

#define USAGE		"usage: mta-queue [-hv] [-C file] [-w workers]\n"
#define STOP_WAIT_MS	10000	/* in-flight sessions get this long */

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

static struct conf *
load_conf(const char *path, char *err, size_t errlen)
{
	struct conf *c;

	if ((c = conf_load(path)) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		(void)snprintf(err, errlen, "%s: %zu errors", path,
		    conf_errors(c));
		conf_free(c);
		return NULL;
	}
	return c;
}

/* admin_reload - read the config again; on errors keep the old one */
int
admin_reload(char *err, size_t errlen)
{
	struct conf *c, *old = S.conf;

	if ((c = load_conf(S.confpath, err, errlen)) == NULL) {
		log_warn("reload: %s: keeping the old config", err);
		return -1;
	}
	S.conf = c;
	S.receipts = acct_conf_wants(c, ACCT_R);
	if (bounce_setup(err, errlen) == -1)
		log_warn("reload: %s", err);
	queue_resettle();
	conf_free(old);
	log_info("reload: %s", S.confpath);
	return 0;
}

static void
on_hup(int sig, void *arg)
{
	char err[512];

	(void)sig;
	(void)arg;
	(void)admin_reload(err, sizeof(err));
}

static void
on_chld(int sig, void *arg)
{
	(void)sig;
	(void)arg;
	worker_reap();
}

static void
on_stop_timeout(void *arg)
{
	(void)arg;
	worker_quit_all();
}

static struct ev_timer stop_timer;

static void
on_term(int sig, void *arg)
{
	(void)arg;
	if (S.stopping)
		return;
	log_info("signal %d: stopping", sig);
	S.stopping = true;
	control_stop();
	queue_kick_all();
	ev_timer_init(&stop_timer, on_stop_timeout, NULL);
	ev_timer_start(S.ev, &stop_timer, STOP_WAIT_MS);
}

/*
 * The workers by default: one per two processors.  A delivery costs
 * mta-queue (the spool's renames and unlinks, in the kernel) more than
 * it costs its worker, and one worker holds thousands of sessions; a
 * worker per processor only split the same sessions over more wake-ups
 * (on 2 CPUs, 1 worker delivered 5-6% more than 2, each message taking
 * a fifth less of the workers' CPU).
 */
static long
default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) / 2;

	return n < 1 ? 1 : n > 32 ? 32 : n;
}

/*
 * Stop: transactions in flight finish (bounded), then the workers quit
 * (closing what is left), and the journal is synced.
 */
static void
shutdown_loop(void)
{
	uint64_t deadline = ev_now(S.ev) + STOP_WAIT_MS + 3000;
	bool quit_sent = false;

	while (worker_alive() > 0 && ev_now(S.ev) < deadline) {
		if (!quit_sent && worker_txns() == 0) {
			worker_quit_all();
			quit_sent = true;
		}
		if (ev_run_once(S.ev, 100) == -1 && errno != EINTR)
			break;
		ev_update_time(S.ev);
	}
	commit_flush();
}

int
main(int argc, char *argv[])
{
	const char *confpath = MTA_SYSCONFDIR "/mta.conf";
	const char *errstr;
	struct conf_settings g;
	char err[512];
	long nworkers = default_workers();
	int ch;

	log_init("mta-queue");
	while ((ch = getopt(argc, argv, "C:hvw:")) != -1) {
		switch (ch) {
		case 'C':
			confpath = optarg;
			break;
		case 'h':
			usage(0);
		case 'v':
			S.verbose++;
			break;
		case 'w':
			nworkers = (long)strtonum(optarg, 1, 256, &errstr);
			if (errstr != NULL)
				die(EX_USAGE, "-w %s: %s", optarg, errstr);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	log_set_verbose(S.verbose);
	S.confpath = confpath;
	S.started = time(NULL);
	if ((S.conf = load_conf(confpath, err, sizeof(err))) == NULL)
		die(EX_CONFIG, "%s", err);
	S.receipts = acct_conf_wants(S.conf, ACCT_R);
	conf_resolve_global(S.conf, &g);
	if ((S.spooldir = strdup(conf_str(&g, CONF_SPOOL))) == NULL)
		die(EX_TEMPFAIL, "out of memory");
	if ((S.spool = spool_open(S.spooldir, 0, err, sizeof(err))) == NULL)
		die(EX_TEMPFAIL, "%s", err);
	if ((S.ev = ev_new()) == NULL)
		die_sys(EX_OSERR, "event loop");
	(void)signal(SIGPIPE, SIG_IGN);
	if (ev_signal_add(S.ev, SIGTERM, on_term, NULL) == -1 ||
	    ev_signal_add(S.ev, SIGINT, on_term, NULL) == -1 ||
	    ev_signal_add(S.ev, SIGHUP, on_hup, NULL) == -1 ||
	    ev_signal_add(S.ev, SIGCHLD, on_chld, NULL) == -1)
		die_sys(EX_OSERR, "signals");
	sched_init();
	if (bounce_setup(err, sizeof(err)) == -1)
		die(EX_CONFIG, "%s", err);
	if (commit_init() == -1)
		die(EX_TEMPFAIL, "cannot open the journal");
	if (intake_load_queue() == -1 || commit_replay() == -1)
		die(EX_TEMPFAIL, "cannot rebuild the queue");
	if (worker_start_all((size_t)nworkers) == -1)
		die_sys(EX_OSERR, "workers");
	if (intake_start() == -1)
		die(EX_TEMPFAIL, "cannot watch %s/trigger", S.spooldir);
	if (control_start(S.ev, S.spooldir, err, sizeof(err)) == -1) {
		if (errno == EADDRINUSE)	/* another mta-queue answers */
			die(EX_TEMPFAIL, "control socket: %s", err);
		log_warn("control socket: %s", err);
	}
	sweep_start();
	log_info("started: %zu messages, %ld workers", S.nmsgs, nworkers);
	while (!S.stopping)
		if (ev_run_once(S.ev, -1) == -1 && errno != EINTR)
			die_sys(EX_OSERR, "event loop");
	shutdown_loop();
	intake_stop();
	remove_stop();
	if (journal_close(S.journal, err, sizeof(err)) == -1)
		die(EX_TEMPFAIL, "journal: %s", err);
	log_info("stopped");
	return 0;
}
