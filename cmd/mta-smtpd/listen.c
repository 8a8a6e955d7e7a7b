/*
 * listen - the listening sockets: every "smtp-listener ADDR:PORT
 * [source=NAME]" line and every <smtp-listener ADDR:PORT> block (which
 * may say immediate-tls yes and source NAME).  "*:PORT" listens on both
 * families through one IPv6 socket.  New connections are accepted until
 * the queue is empty; limits are checked by the session, which answers
 * 421 to a client over them.  On SIGHUP the set follows the new config.
 */
#define _GNU_SOURCE		/* accept4(2) */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"

#define ACCEPT_BURST	64	/* connections taken per wake-up */

static void
on_accept(int fd, unsigned what, void *arg)
{
	struct listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int c;

	(void)what;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		len = sizeof(ss);
		if ((c = accept4(fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn_sys("accept");
			return;
		}
		session_new(l->srv, c, c, (struct sockaddr *)&ss, l->source,
		    l->immediate_tls);
	}
}

static const char *
addr_text(const struct confval_listener *a, char *out, size_t n)
{
	char ip[64];

	if (a->af == AF_UNSPEC)
		(void)strlcpy(ip, "*", sizeof(ip));
	else if (inet_ntop(a->af, a->addr, ip, sizeof(ip)) == NULL)
		(void)strlcpy(ip, "?", sizeof(ip));
	(void)snprintf(out, n, a->af == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
	    a->port);
	return out;
}

static int
open_one(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0, af = l->addr.af;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(l->addr.port);
		memcpy(&in->sin_addr, l->addr.addr, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(l->addr.port);
		if (af == AF_INET6)
			memcpy(&in6->sin6_addr, l->addr.addr, 16);
		len = sizeof(*in6);
		af = AF_INET6;
	}
	if ((fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.af == AF_UNSPEC)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
		    sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 1024) == -1) {
		int save = errno;

		(void)close(fd);
		errno = save;
		return -1;
	}
	l->fd = fd;
	return 0;
}

static void
add(struct listener **ls, size_t *n, struct smtpd *srv,
    const struct confval_listener *a, const char *src, bool tls)
{
	struct listener *l;

	if ((l = reallocarray(*ls, *n + 1, sizeof(*l))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	*ls = l;
	l = &l[(*n)++];
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->addr = *a;
	l->source = src;
	l->immediate_tls = tls;
	l->srv = srv;
}

/* The listeners the config c asks for, not open yet. */
static void
collect(struct smtpd *srv, const struct conf *c, struct listener **ls,
    size_t *n)
{
	const struct conf_block *root = conf_root(c);
	const struct conf_directive *d;
	struct confval_listener a;
	char err[CONFVAL_ERRLEN];

	*ls = NULL;
	*n = 0;
	for (d = conf_block_next(root, NULL, CONF_SMTP_LISTENER); d != NULL;
	    d = conf_block_next(root, d, CONF_SMTP_LISTENER)) {
		const struct conf_listener *cl = d->obj;

		if (cl != NULL)
			add(ls, n, srv, &cl->addr, cl->source, false);
	}
	for (const struct conf_block *b = root->child; b != NULL;
	    b = b->next) {
		const struct conf_directive *src, *tls;

		if (b->scope != CONF_S_LISTENER || b->arg == NULL ||
		    confval_listener(b->arg, &a, err, sizeof(err)) == -1)
			continue;
		src = conf_block_get(b, CONF_USER_SOURCE);
		tls = conf_block_get(b, CONF_IMMEDIATE_TLS);
		add(ls, n, srv, &a, src != NULL ? src->str : NULL,
		    tls != NULL && tls->num != 0);
	}
}

/* Watch l, open, and say so if it is new. */
static void
watch(struct listener *l, bool opened)
{
	char text[96];

	if (ev_fd_add(l->srv->ev, l->fd, EV_READ, on_accept, l) == -1)
		die_sys(EX_TEMPFAIL, "event loop");
	if (opened)
		log_info("listening on %s%s%s%s", addr_text(&l->addr, text,
		    sizeof(text)), l->source != NULL ? " source=" : "",
		    l->source != NULL ? l->source : "",
		    l->immediate_tls ? " immediate-tls" : "");
}

/* listen_open - open every listener of the config; -1 if none */
int
listen_open(struct smtpd *srv)
{
	char text[96];

	collect(srv, srv->conf, &srv->listeners, &srv->nlisteners);
	if (srv->nlisteners == 0) {
		errno = ENOENT;
		return -1;
	}
	for (size_t i = 0; i < srv->nlisteners; i++) {
		struct listener *l = &srv->listeners[i];

		if (open_one(l) == -1)
			die_sys(EX_UNAVAILABLE, "listen on %s",
			    addr_text(&l->addr, text, sizeof(text)));
		if (l->immediate_tls && srv->tls == NULL)
			die(EX_CONFIG, "listener %s: immediate-tls needs "
			    "smtp-server-tls-certificate",
			    addr_text(&l->addr, text, sizeof(text)));
		watch(l, true);
	}
	return 0;
}

static bool
same_socket(const struct listener *a, const struct listener *b)
{
	return a->addr.af == b->addr.af && a->addr.port == b->addr.port &&
	    memcmp(a->addr.addr, b->addr.addr, sizeof(a->addr.addr)) == 0;
}

/*
 * listen_reload - the listeners of the new config (srv->conf): sockets
 * it still names are kept open (connections waiting in them are not
 * lost), new ones opened, the others closed.  One that cannot be opened
 * is logged and left out.
 */
void
listen_reload(struct smtpd *srv)
{
	struct listener *ls, *o;
	size_t n;
	char text[96];
	bool kept;

	collect(srv, srv->conf, &ls, &n);
	for (size_t i = 0; i < n; i++) {
		struct listener *l = &ls[i];

		kept = false;
		for (size_t k = 0; k < srv->nlisteners; k++) {
			o = &srv->listeners[k];
			if (o->fd != -1 && same_socket(o, l)) {
				ev_fd_del(srv->ev, o->fd);
				l->fd = o->fd;
				o->fd = -1;
				kept = true;
				break;
			}
		}
		addr_text(&l->addr, text, sizeof(text));
		if (l->immediate_tls && srv->tls == NULL) {
			log_warn("listener %s: immediate-tls needs "
			    "smtp-server-tls-certificate: closed", text);
			if (l->fd != -1)
				(void)close(l->fd);
			l->fd = -1;
			continue;
		}
		if (l->fd == -1 && open_one(l) == -1) {
			log_warn_sys("listen on %s", text);
			continue;
		}
		watch(l, !kept);
	}
	for (size_t k = 0; k < srv->nlisteners; k++) {
		o = &srv->listeners[k];
		if (o->fd == -1)
			continue;
		ev_fd_del(srv->ev, o->fd);
		(void)close(o->fd);
		log_info("stopped listening on %s", addr_text(&o->addr, text,
		    sizeof(text)));
	}
	free(srv->listeners);
	srv->listeners = ls;
	srv->nlisteners = n;
}

/* listen_stop - close the listeners (at the end) */
void
listen_stop(struct smtpd *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].fd != -1) {
			ev_fd_del(srv->ev, srv->listeners[i].fd);
			(void)close(srv->listeners[i].fd);
			srv->listeners[i].fd = -1;
		}
	free(srv->listeners);
	srv->listeners = NULL;
	srv->nlisteners = 0;
}
