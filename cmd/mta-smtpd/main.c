/*
 * mta-smtpd - the SMTP submission server: many sessions in one event
 * loop on the listeners of the config, or (-s) one session on standard
 * input and output under tcpserver(1) or inetd.  Messages are committed
 * through lib/submit like mta-inject's, many per sync (commit.c).
 * SIGHUP reads the config again: a config with errors (or a certificate
 * or suppression list that does not load) is refused and the running one
 * kept; sessions finish under the config they started with.  Started as
 * root, it binds its listeners and reads its certificate, then becomes
 * the user of -u for good, before it opens the spool or the suppression
 * store or starts a thread.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "ev.h"
#include "log.h"
#include "priv.h"
#include "smtpd.h"
#include "spool.h"
#include "suppress.h"

#define USAGE	"usage: mta-smtpd [-hsv] [-C file] [-q spooldir] [-r fd] " \
	"[-u user]\n"

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

/* -u: become user for good, once the listeners are bound and the
 * certificate read */
static void
drop(struct smtpd *srv, const char *user)
{
	const char *spec;
	char err[512];
	bool root;

	spec = conf_str(&srv->global, CONF_SMTP_SERVER_TLS_CERTIFICATE);
	root = geteuid() == 0;
	if (root && spec != NULL && (srv->root_cert = strdup(spec)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (priv_drop(user, err, sizeof(err)) == -1)
		/* as root, any failure to change ids is the system's */
		die(errno == ENOENT ? EX_NOUSER : errno == EINVAL ? EX_USAGE :
		    errno == EPERM && !root ? EX_NOPERM : EX_OSERR, "-u %s",
		    err);
	log_info("running as user %s (uid %lu, gid %lu)", user,
	    (unsigned long)getuid(), (unsigned long)getgid());
}

static void
on_hup(int sig, void *arg)
{
	(void)sig;
	config_reload(arg);
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
	const char *errstr, *user = NULL;
	static struct conf *c;
	static struct smtpd srv;
	char err[512];
	int ch, ready = -1;
	bool one = false;
	size_t nbad;

	log_init("mta-smtpd");
	/*
	 * Each message's 32 KB spool writer comes and goes with its group:
	 * glibc would give the top of the heap back (brk) and fault it in
	 * again, group after group.  Keep up to 16 MB.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 16 << 20);
	while ((ch = getopt(argc, argv, "C:hq:r:su:v")) != -1) {
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
		case 'u':
			user = optarg;
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
	if ((c = config_load(conf_path)) == NULL)
		die(EX_CONFIG, "%s: not loaded", conf_path);
	srv.conf = c;
	srv.conf_path = conf_path;
	conf_resolve_global(c, &srv.global);
	srv.spool_fixed = spool_dir != NULL;
	if (spool_dir == NULL)
		spool_dir = conf_str(&srv.global, CONF_SPOOL);
	if ((srv.spool_dir = strdup(spool_dir)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (user == NULL && geteuid() == 0 &&
	    !conf_bool(&srv.global, CONF_RUN_AS_ROOT))
		die(EX_USAGE, "running as root: give -u user (or say "
		    "run-as-root yes)");
	if (config_name(&srv.global, srv.hostname, sizeof(srv.hostname)) == -1)
		die_sys(EX_CONFIG, "host-name");
	if (config_tls(&srv.global, &srv.tls, err, sizeof(err)) == -1)
		die(EX_CONFIG, "%s", err);
	srv.maxsessions = (size_t)policy_max_sessions(c, &srv.global);
	if ((srv.ev = ev_new()) == NULL)
		die_sys(EX_OSERR, "event loop");
	if (ev_signal_add(srv.ev, SIGTERM, on_signal, &srv) == -1 ||
	    ev_signal_add(srv.ev, SIGINT, on_signal, &srv) == -1 ||
	    ev_signal_add(srv.ev, SIGHUP, on_hup, &srv) == -1)
		die_sys(EX_OSERR, "signals");
	if (!one && listen_open(&srv) == -1)
		die(EX_CONFIG, "%s: no smtp-listener", conf_path);
	/* root's work is done: the spool is opened, and written, as user */
	if (user != NULL)
		drop(&srv, user);
	if ((srv.spool = spool_open(spool_dir, SPOOL_INJECT, err,
	    sizeof(err))) == NULL)
		die(EX_TEMPFAIL, "%s", err);
	if ((srv.supp = suppress_open(spool_dir, SUPPRESS_LAZY, err,
	    sizeof(err))) == NULL)
		die(EX_TEMPFAIL, "%s", err);
	srv.gen = config_gen(&srv, c, &nbad);
	if (nbad > 0)
		log_warn("suppression lists: %zu did not load; the recipients "
		    "of the sources naming them are deferred", nbad);
	commit_init(&srv);
	pool_start(&srv);
	if (one)
		oneshot(&srv);
	if (ready != -1) {
		(void)write(ready, "\n", 1);
		(void)close(ready);
	}
	if ((!one || srv.nsessions > 0) && ev_run(srv.ev) == -1)
		die_sys(EX_OSERR, "event loop");
	while (srv.sessions != NULL)
		session_close(srv.sessions);
	commit_stop();
	pool_stop(&srv);
	listen_stop(&srv);
	log_info("stopped: %llu messages queued in %llu commits of %.1f ms",
	    (unsigned long long)srv.committed,
	    (unsigned long long)srv.commits, srv.commits == 0 ? 0.0 :
	    (double)srv.commit_us / (double)srv.commits / 1000.0);
	return 0;
}
