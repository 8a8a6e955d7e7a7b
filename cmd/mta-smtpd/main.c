/*
 * mta-smtpd - the SMTP submission server: many sessions in one event
 * loop on the listeners of the config, or (-s) one session on standard
 * input and output under tcpserver(1) or inetd.  Messages are committed
 * through lib/submit like mta-inject's, many per sync (commit.c).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "ev.h"
#include "log.h"
#include "smtpd.h"
#include "spool.h"

#define USAGE	"usage: mta-smtpd [-hsv] [-C file] [-q spooldir] [-r fd]\n"

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

static void
on_signal(int sig, void *arg)
{
	struct smtpd *srv = arg;

	log_info("signal %d: stopping", sig);
	ev_break(srv->ev);
}

static void
setup_tls(struct smtpd *srv)
{
	const char *spec = conf_str(&srv->global,
	    CONF_SMTP_SERVER_TLS_CERTIFICATE);
	char err[512];

	if (spec == NULL)
		return;
	if ((srv->tls = tls_server_ctx(&srv->global, spec, err,
	    sizeof(err))) == NULL)
		die(EX_CONFIG, "%s", err);
}

static void
setup_names(struct smtpd *srv)
{
	const char *host = conf_str(&srv->global, CONF_HOST_NAME);

	if (host != NULL) {
		if (strlcpy(srv->hostname, host, sizeof(srv->hostname)) >=
		    sizeof(srv->hostname))
			die(EX_CONFIG, "host-name too long");
	} else if (gethostname(srv->hostname, sizeof(srv->hostname)) == -1)
		die_sys(EX_OSERR, "gethostname");
}

/* -s: the client's address from tcpserver's TCPREMOTEIP, if any. */
static void
oneshot(struct smtpd *srv)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *ip = getenv("TCPREMOTEIP");

	memset(&ss, 0, sizeof(ss));
	if (ip != NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET, ip, &in->sin_addr) == 1)
			in->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1)
			in6->sin6_family = AF_INET6;
	} else if (getpeername(STDIN_FILENO, (struct sockaddr *)&ss, &len) ==
	    -1)
		ss.ss_family = AF_UNSPEC;
	for (int fd = 0; fd <= 1; fd++)
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
			die_sys(EX_OSERR, "fd %d", fd);
	srv->oneshot = true;
	session_new(srv, STDIN_FILENO, STDOUT_FILENO,
	    (struct sockaddr *)&ss, NULL, false);
}

int
main(int argc, char **argv)
{
	const char *conf_path = MTA_SYSCONFDIR "/mta.conf", *spool_dir = NULL;
	const char *errstr;
	static struct conf *c;
	static struct smtpd srv;
	char err[512];
	int ch, ready = -1;
	bool one = false;

	log_init("mta-smtpd");
	while ((ch = getopt(argc, argv, "C:hq:r:sv")) != -1) {
		switch (ch) {
		case 'C':
			conf_path = optarg;
			break;
		case 'h':
			usage(0);
		case 'q':
			spool_dir = optarg;
			break;
		case 'r':
			ready = (int)strtonum(optarg, 0, 1024, &errstr);
			if (errstr != NULL)
				die(EX_USAGE, "-r %s: %s", optarg, errstr);
			break;
		case 's':
			one = true;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	(void)signal(SIGPIPE, SIG_IGN);
	if ((c = conf_load(conf_path)) == NULL)
		die_sys(EX_CONFIG, "%s", conf_path);
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		die(EX_CONFIG, "%s: %zu error%s", conf_path, conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s");
	}
	srv.conf = c;
	conf_resolve_global(c, &srv.global);
	if (spool_dir == NULL)
		spool_dir = conf_str(&srv.global, CONF_SPOOL);
	if ((srv.spool = spool_open(spool_dir, SPOOL_INJECT, err,
	    sizeof(err))) == NULL)
		die(EX_TEMPFAIL, "%s", err);
	setup_names(&srv);
	setup_tls(&srv);
	srv.maxsessions = (size_t)policy_max_sessions(&srv.global);
	if ((srv.ev = ev_new()) == NULL)
		die_sys(EX_OSERR, "event loop");
	commit_init(&srv);
	if (ev_signal_add(srv.ev, SIGTERM, on_signal, &srv) == -1 ||
	    ev_signal_add(srv.ev, SIGINT, on_signal, &srv) == -1)
		die_sys(EX_OSERR, "signals");
	if (one)
		oneshot(&srv);
	else if (listen_open(&srv) == -1)
		die(EX_CONFIG, "%s: no smtp-listener", conf_path);
	if (ready != -1) {
		(void)write(ready, "\n", 1);
		(void)close(ready);
	}
	if ((!one || srv.nsessions > 0) && ev_run(srv.ev) == -1)
		die_sys(EX_OSERR, "event loop");
	while (srv.sessions != NULL)
		session_close(srv.sessions);
	listen_stop(&srv);
	log_info("stopped: %llu messages queued",
	    (unsigned long long)srv.committed);
	return 0;
}
