/*
 * conn - where a session connects: the hosts of hosts= (levels in order,
 * random among equals; literals used as they are, names resolved to
 * A/AAAA) or the MX hosts of the domain, each address in turn (RFC 5321
 * 5.1); the source address bound first; connect(2) without blocking.
 *
 * A literal host list never touches lib/dns: the resolver is made on
 * the first name.  Hosts whose TLS handshake failed are remembered for
 * an hour, so tls=try goes straight to plain text with them.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "confval.h"
#include "deliver.h"
#include "dns.h"
#include "log.h"

#define TLS_BROKEN_SLOTS	256
#define TLS_BROKEN_MS		(3600 * 1000)

struct target {
	char	 name[DELIVER_NAMEMAX];
	uint16_t port;			/* 0: the session's */
	bool	 literal;
	bool	 resolved;
	size_t	 naddr;
	struct sockaddr_storage addr[DNS_MAXADDRS];
};

struct targets {
	size_t	 n;
	size_t	 cur;			/* the host being tried */
	size_t	 next;			/* its next address */
	struct target t[CONFVAL_MAXLIST];
};

static struct {
	char	 ip[DELIVER_ADDRMAX];
	uint16_t port;
	uint64_t until;
} broken[TLS_BROKEN_SLOTS];

static void try_targets(struct session *);

/* conn_tls_broken - did TLS with this address fail within the hour? */
bool
conn_tls_broken(const struct session *s)
{
	uint64_t now = ev_now(s->w->ev);

	for (size_t i = 0; i < TLS_BROKEN_SLOTS; i++)
		if (broken[i].until > now && broken[i].port == s->peer_port &&
		    strcmp(broken[i].ip, s->ip) == 0)
			return true;
	return false;
}

/* conn_tls_mark_broken - remember that TLS with this address failed */
void
conn_tls_mark_broken(const struct session *s)
{
	size_t oldest = 0;

	for (size_t i = 0; i < TLS_BROKEN_SLOTS; i++) {
		if (broken[i].until < broken[oldest].until)
			oldest = i;
		if (broken[i].port == s->peer_port &&
		    strcmp(broken[i].ip, s->ip) == 0) {
			oldest = i;
			break;
		}
	}
	snprintf(broken[oldest].ip, sizeof(broken[oldest].ip), "%s", s->ip);
	broken[oldest].port = s->peer_port;
	broken[oldest].until = ev_now(s->w->ev) + TLS_BROKEN_MS;
}

/* conn_drop - close the connection, if any, and forget its state */
void
conn_drop(struct session *s)
{
	ev_timer_stop(s->w->ev, &s->timer);
	if (s->fd != -1) {
		ev_fd_del(s->w->ev, s->fd);
		tls_end(s);
		close(s->fd);
		s->fd = -1;
	}
	s->events = 0;
	s->ssl_want_write = false;
	s->inlen = 0;
	s->out.len = 0;
	s->outoff = 0;
	smtpreply_init(&s->reply);
}

/* conn_free_targets - connected or given up: the list goes */
void
conn_free_targets(struct session *s)
{
	if (s->dq != NULL) {
		dns_cancel(s->dq);
		s->dq = NULL;
	}
	free(s->tg);
	s->tg = NULL;
}

static struct dns *
resolver(struct session *s)
{
	struct worker *w = s->w;
	char err[256];

	if (w->dns == NULL && (w->dns = dns_new(w->ev, w->dns_servers,
	    w->dns_timeout_ms, err, sizeof(err))) == NULL)
		session_fail(s, "4.4.3", 0, "DNS: %s", err);
	return w->dns;
}

/* Shuffle each level of equal hosts (RFC 5321 5.1: random order). */
static void
shuffle(struct targets *tg, const struct confval_hosts *hl)
{
	struct target tmp;
	size_t a, b, j;

	for (a = 0; a < tg->n; a = b) {
		for (b = a + 1; b < tg->n && hl->h[b].level == hl->h[a].level;
		    b++)
			continue;
		for (size_t i = b - 1; i > a; i--) {
			j = a + arc4random_uniform((uint32_t)(i - a + 1));
			tmp = tg->t[i];
			tg->t[i] = tg->t[j];
			tg->t[j] = tmp;
		}
	}
}

/* An address literal into a target; false if it is none. */
static bool
literal(struct target *t, const char *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr[0];

	t->literal = t->resolved = true;
	t->naddr = 0;
	if (strncasecmp(a, "IPv6:", 5) == 0)
		a += 5;
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		return false;
	t->naddr = 1;
	return true;
}

static void
mx_done(const struct dns_result *res, void *arg)
{
	struct session *s = arg;
	struct targets *tg = s->tg;
	const struct dns_host *h;
	struct target *t;

	s->dq = NULL;
	switch (res->status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
		s->fperm = true;
		session_fail(s, "5.1.2", 0, "%s", res->text);
		session_answer_fail(s);
		return;
	case DNS_NULLMX:
		s->fperm = true;
		session_fail(s, "5.1.10", 0, "%s", res->text[0] ? res->text :
		    "domain accepts no mail (null MX)");
		session_answer_fail(s);
		return;
	case DNS_NOHOST:
		s->fperm = true;
		session_fail(s, "5.4.4", 0, "%s", res->text);
		session_answer_fail(s);
		return;
	default:
		session_fail(s, "4.4.3", 0, "%s", res->text);
		session_answer_fail(s);
		return;
	}
	for (size_t i = 0; i < res->nhosts && tg->n < CONFVAL_MAXLIST; i++) {
		h = &res->host[i];
		t = &tg->t[tg->n++];
		snprintf(t->name, sizeof(t->name), "%s", h->name);
		t->resolved = true;
		t->naddr = h->naddr < DNS_MAXADDRS ? h->naddr : DNS_MAXADDRS;
		memcpy(t->addr, h->addr, t->naddr * sizeof(t->addr[0]));
	}
	try_targets(s);
}

static void
host_done(const struct dns_result *res, void *arg)
{
	struct session *s = arg;
	struct target *t = &s->tg->t[s->tg->cur];

	s->dq = NULL;
	t->resolved = true;
	t->naddr = 0;
	if (res->status != DNS_OK || res->nhosts == 0) {
		session_fail(s, res->status == DNS_TEMPFAIL ? "4.4.3" :
		    "4.4.4", 0, "%s", res->text[0] ? res->text :
		    "no address");
		snprintf(s->fmx, sizeof(s->fmx), "%s", t->name);
	} else {
		t->naddr = res->host[0].naddr < DNS_MAXADDRS ?
		    res->host[0].naddr : DNS_MAXADDRS;
		memcpy(t->addr, res->host[0].addr,
		    t->naddr * sizeof(t->addr[0]));
	}
	try_targets(s);
}

/* conn_start - a new session: make its host list, then connect */
void
conn_start(struct session *s)
{
	struct confval_hosts hl;
	struct targets *tg;
	struct target *t;
	char err[CONFVAL_ERRLEN], lit[DELIVER_NAMEMAX];
	size_t n;

	if ((tg = s->tg = calloc(1, sizeof(*tg))) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	if (s->hosts == NULL && s->domain[0] == '[') {
		/* A domain literal (RFC 5321 4.1.3) is its own host. */
		n = strlen(s->domain);
		if (n < 3 || s->domain[n - 1] != ']' || n - 2 >= sizeof(lit))
			goto bad_literal;
		memcpy(lit, s->domain + 1, n - 2);
		lit[n - 2] = '\0';
		t = &tg->t[tg->n++];
		snprintf(t->name, sizeof(t->name), "%s", lit);
		if (!literal(t, lit))
			goto bad_literal;
		try_targets(s);
		return;
	}
	if (s->hosts == NULL) {
		if (resolver(s) == NULL) {
			session_answer_fail(s);
			return;
		}
		s->state = SS_RESOLVE;
		s->dq = dns_resolve_mx(s->w->dns, s->domain, s->family, mx_done,
		    s);
		if (s->dq == NULL) {
			session_fail(s, "4.4.3", 0, "DNS: %s", strerror(errno));
			session_answer_fail(s);
		}
		return;
	}
	if (confval_hosts(s->hosts, &hl, err, sizeof(err)) == -1) {
		session_fail(s, "4.3.5", 0, "hosts: %s", err);
		session_answer_fail(s);
		return;
	}
	for (size_t i = 0; i < hl.n; i++) {
		t = &tg->t[tg->n++];
		snprintf(t->name, sizeof(t->name), "%s", hl.h[i].name);
		t->port = hl.h[i].port;
		if (hl.h[i].literal && !literal(t, hl.h[i].name))
			t->naddr = 0;	/* confval checked it: cannot be */
	}
	shuffle(tg, &hl);
	try_targets(s);
	return;
bad_literal:
	session_fail(s, "5.1.2", 0, "bad domain literal %s", s->domain);
	s->fperm = true;
	session_answer_fail(s);
}

/* conn_ntop - the address of sa as text in buf */
const char *
conn_ntop(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	const void *a = sa->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* Start connecting to one address: 0 under way, -1 failed already. */
static int
try_connect(struct session *s, const struct target *t,
    const struct sockaddr_storage *a)
{
	struct sockaddr_storage sa = *a;
	socklen_t len;
	int fd, on = 1;

	snprintf(s->mx, sizeof(s->mx), "%s", t->name);
	conn_ntop(&sa, s->ip, sizeof(s->ip));
	s->peer_port = t->port ? t->port : s->port;
	if (sa.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(s->peer_port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&sa)->sin_port = htons(s->peer_port);
		len = sizeof(struct sockaddr_in);
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		session_fail(s, "4.3.0", 0, "socket: %s", strerror(errno));
		return -1;
	}
	/* Commands are gathered before each write: no Nagle delay. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (s->has_src) {
		/* The port comes at connect(2): many sessions, one source. */
#ifdef IP_BIND_ADDRESS_NO_PORT
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on,
		    sizeof(on));
#endif
		if (bind(fd, (struct sockaddr *)&s->src, len) == -1) {
			char src[DELIVER_ADDRMAX];

			session_fail(s, "4.4.0", 0, "bind to %s: %s",
			    conn_ntop(&s->src, src, sizeof(src)), strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&sa, len) == -1 &&
	    errno != EINPROGRESS) {
		session_fail(s, "4.4.1", 0, "connect to %s:%u: %s", s->ip,
		    s->peer_port, strerror(errno));
		close(fd);
		return -1;
	}
	if (ev_fd_add(s->w->ev, fd, EV_WRITE, session_io, s) == -1)
		die_sys(EX_OSERR, "epoll");
	s->fd = fd;
	s->events = EV_WRITE;
	s->state = SS_CONNECT;
	ev_timer_start(s->w->ev, &s->timer, s->tmo_connect);
	return 0;
}

static bool
family_ok(const struct session *s, const struct sockaddr_storage *a)
{
	if (s->has_src && a->ss_family != s->src.ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return (s->family & DNS_INET) != 0;
	return (s->family & DNS_INET6) != 0;
}

/* Is host name in the skip= list of the session (skip-mx)? */
static bool
skip_host(const struct session *s, const char *name)
{
	const char *p = s->skip;
	size_t n, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && p[n - 1] == '.')
			n--;
		if (n == len && strncasecmp(p, name, n) == 0)
			return true;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return false;
}

/* The next address of the current host, or of the next host. */
static void
try_targets(struct session *s)
{
	struct targets *tg = s->tg;
	struct target *t;
	bool skipped = false;
	size_t nskip = 0;

	for (; tg->cur < tg->n; tg->cur++, tg->next = 0) {
		t = &tg->t[tg->cur];
		if (tg->next == 0 && skip_host(s, t->name)) {
			log_debug("session sid=%lld: %s skipped", s->sid,
			    t->name);
			nskip++;
			continue;
		}
		if (!t->resolved) {
			if (resolver(s) == NULL)
				continue;
			s->state = SS_RESOLVE;
			s->dq = dns_resolve_host(s->w->dns, t->name, s->family,
			    host_done, s);
			if (s->dq != NULL)
				return;
			session_fail(s, "4.4.3", 0, "DNS: %s: %s", t->name,
			    strerror(errno));
			continue;
		}
		while (tg->next < t->naddr) {
			const struct sockaddr_storage *a = &t->addr[tg->next++];

			if (!family_ok(s, a)) {
				skipped = true;
				continue;
			}
			if (try_connect(s, t, a) == 0)
				return;
		}
	}
	if (s->fdsn[0] == '\0' && nskip == tg->n) {
		/* no host was tried: no server to name in the failure */
		session_fail(s, "4.4.4", 0, "every host of %s skipped "
		    "(skip-mx)", s->domain);
		s->fmx[0] = s->fip[0] = '\0';
	} else if (skipped && s->fdsn[0] == '\0')
		session_fail(s, "4.4.4", 0, "no address of %s fits src and "
		    "family", s->domain);
	session_answer_fail(s);
}

/*
 * conn_next - this address did not work (the reason is in the
 * session): the next one, or with skip_host the next host
 */
void
conn_next(struct session *s, bool skip_host)
{
	conn_drop(s);
	s->no_tls = false;
	memset(&s->ext, 0, sizeof(s->ext));
	if (skip_host) {
		s->tg->cur++;
		s->tg->next = 0;
	}
	try_targets(s);
}

/* conn_retry_plain - the same address again, without STARTTLS */
void
conn_retry_plain(struct session *s)
{
	conn_drop(s);
	memset(&s->ext, 0, sizeof(s->ext));
	s->no_tls = true;
	s->tg->next--;
	try_targets(s);
}

/* conn_connect_done - connect(2) finished, one way or the other */
void
conn_connect_done(struct session *s)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		session_fail(s, "4.4.1", 0, "connect to %s:%u: %s", s->ip,
		    s->peer_port, strerror(err));
		conn_next(s, false);
		return;
	}
	len = sizeof(local);
	if (getsockname(s->fd, (struct sockaddr *)&local, &len) == -1)
		snprintf(s->local, sizeof(s->local), "?");
	else
		conn_ntop(&local, s->local, sizeof(s->local));
	session_connected(s);
}
