/*
 * mta-deliver - the SMTP client worker: mta-queue writes deliver/1
 * records on its standard input, it opens SMTP sessions, delivers
 * transactions on them and answers on its standard output (see
 * mta-deliver(8)).  One process, one event loop, no threads.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
#include "ev.h"
#include "log.h"

#define USAGE	"usage: mta-deliver [-hv] [-C file]\n"

static struct worker worker;

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

/*
 * The process-wide settings: name-server (c-ares takes "a,b:port"; the
 * config lists words) and dns-timeout.
 */
static void
read_config(struct worker *w, const char *path)
{
	struct conf_settings set;
	struct buf b = BUF_INIT;
	struct conf *c;

	if ((c = conf_load(path)) == NULL)
		die_sys(EX_CONFIG, "%s", path);
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		die(EX_CONFIG, "%s: %zu error%s", path, conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s");
	}
	conf_resolve_global(c, &set);
	if (conf_name_servers(&set, &b) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (b.len > 0)
		w->dns_servers = b.p;
	w->dns_timeout_ms = (int)(conf_num(&set, CONF_DNS_TIMEOUT) * 1000);
	conf_free(c);
}

/* SIGTERM: as if mta-queue had gone, without waiting for anyone. */
static void
on_term(int sig, void *arg)
{
	struct worker *w = arg;
	struct session *s, *next;

	log_info("signal %d: exiting", sig);
	w->quitting = true;
	for (s = w->all; s != NULL; s = next) {
		next = s->next;
		session_quit(s, false);
	}
	pipe_flush_sync(w);
	exit(0);
}

int
main(int argc, char **argv)
{
	struct worker *w = &worker;
	const char *conf_path = NULL;
	char err[256];
	int ch;

	log_init("mta-deliver");
	while ((ch = getopt(argc, argv, "C:hv")) != -1) {
		switch (ch) {
		case 'C':
			conf_path = optarg;
			break;
		case 'h':
			usage(0);
		case 'v':
			log_set_verbose(1);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);

	w->dns_timeout_ms = 30 * 1000;
	if (conf_path != NULL)
		read_config(w, conf_path);
	/* A peer that hangs up is an error return, never a signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die_sys(EX_OSERR, "signal");
	if ((w->ev = ev_new()) == NULL)
		die_sys(EX_OSERR, "event loop");
	if (ev_signal_add(w->ev, SIGTERM, on_term, w) == -1)
		die_sys(EX_OSERR, "signalfd");
	if (tls_init(w, err, sizeof(err)) == -1)
		die(EX_SOFTWARE, "TLS: %s", err);
	pipe_init(w, STDIN_FILENO, STDOUT_FILENO);
	if (ev_run(w->ev) == -1)
		die_sys(EX_OSERR, "event loop");
	return 0;
}
