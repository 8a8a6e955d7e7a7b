/*
 * dns_test - lib/dns: TTLs read from answers, MX order, and the query
 * machinery (cache, shared lookups, cancel, timeout) against a tiny DNS
 * server on a loopback UDP socket inside the test's own event loop.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ares.h>

#include "dns.h"
#include "dns_priv.h"
#include "ev.h"
#include "harness.h"

/* A packet: header, question "a.test" MX, then the given records. */
static size_t
packet(unsigned char *p, int an, int ns)
{
	static const unsigned char head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 4, 't', 'e', 's', 't', 0, 0, 15, 0, 1
	};

	memcpy(p, head, sizeof(head));
	p[7] = (unsigned char)an;
	p[9] = (unsigned char)ns;
	return sizeof(head);
}

/* One record owned by the question name (pointer 0xc00c). */
static size_t
rr(unsigned char *p, int type, uint32_t ttl, const unsigned char *rdata,
    size_t rdlen)
{
	unsigned char h[12] = { 0xc0, 0x0c, 0, (unsigned char)type, 0, 1,
	    (unsigned char)(ttl >> 24), (unsigned char)(ttl >> 16),
	    (unsigned char)(ttl >> 8), (unsigned char)ttl, 0,
	    (unsigned char)rdlen };

	memcpy(p, h, sizeof(h));
	memcpy(p + sizeof(h), rdata, rdlen);
	return sizeof(h) + rdlen;
}

TEST(ttls)
{
	static const unsigned char mx[] = { 0, 10, 0xc0, 0x0c };
	/* SOA: mname ".", rname ".", serial, refresh, retry, expire, min */
	static const unsigned char soa[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
	    0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 60 };
	unsigned char p[512];
	uint32_t pos, neg;
	size_t n;

	n = packet(p, 2, 0);
	n += rr(p + n, 15, 300, mx, sizeof(mx));
	n += rr(p + n, 15, 100, mx, sizeof(mx));
	dns_answer_ttls(p, (int)n, &pos, &neg);
	CHECK_UINT(pos, 100);
	CHECK_UINT(neg, UINT32_MAX);

	/* NODATA: the SOA's MINIMUM when below its TTL (RFC 2308 5). */
	n = packet(p, 0, 1);
	n += rr(p + n, 6, 3600, soa, sizeof(soa));
	dns_answer_ttls(p, (int)n, &pos, &neg);
	CHECK_UINT(pos, UINT32_MAX);
	CHECK_UINT(neg, 60);
	n = packet(p, 0, 1);
	n += rr(p + n, 6, 30, soa, sizeof(soa));
	dns_answer_ttls(p, (int)n, &pos, &neg);
	CHECK_UINT(neg, 30);

	/* The top bit set reads as zero (RFC 2181 8). */
	n = packet(p, 1, 0);
	n += rr(p + n, 15, 0x80000000u, mx, sizeof(mx));
	dns_answer_ttls(p, (int)n, &pos, &neg);
	CHECK_UINT(pos, 0);

	/* Damaged packets: what was read before the damage, no crash. */
	n = packet(p, 2, 0);
	n += rr(p + n, 15, 300, mx, sizeof(mx));
	n += rr(p + n, 15, 100, mx, sizeof(mx));
	for (size_t cut = 0; cut < n; cut++) {
		dns_answer_ttls(p, (int)cut, &pos, &neg);
		CHECK(pos == UINT32_MAX || pos == 300);
	}
	p[7] = 200;		/* more records than the packet holds */
	dns_answer_ttls(p, (int)n, &pos, &neg);
	CHECK_UINT(pos, 100);
	dns_answer_ttls(NULL, 0, &pos, &neg);
	CHECK_UINT(pos, UINT32_MAX);

	CHECK_UINT(dns_ttl_clamp(0, DNS_TTL_MIN, DNS_TTL_MAX), DNS_TTL_MIN);
	CHECK_UINT(dns_ttl_clamp(86400, DNS_TTL_MIN, DNS_TTL_MAX), DNS_TTL_MAX);
	CHECK_UINT(dns_ttl_clamp(600, DNS_TTL_MIN, DNS_TTL_MAX), 600);
}

TEST(mx_order)
{
	struct dns_mx mx[5];
	char *names[] = { "c", "a", "d", "b", "e" };
	int prefs[] = { 20, 10, 30, 10, 20 };
	int afirst = 0, bfirst = 0, cfirst = 0, efirst = 0;

	for (int run = 0; run < 200; run++) {
		for (int i = 0; i < 5; i++) {
			mx[i].pref = prefs[i];
			mx[i].name = names[i];
		}
		dns_mx_sort(mx, 5);
		dns_mx_shuffle(mx, 5);
		CHECK_INT(mx[0].pref, 10);
		CHECK_INT(mx[1].pref, 10);
		CHECK_INT(mx[2].pref, 20);
		CHECK_INT(mx[3].pref, 20);
		CHECK_INT(mx[4].pref, 30);
		CHECK_STR(mx[4].name, "d");
		afirst += strcmp(mx[0].name, "a") == 0;
		bfirst += strcmp(mx[0].name, "b") == 0;
		cfirst += strcmp(mx[2].name, "c") == 0;
		efirst += strcmp(mx[2].name, "e") == 0;
	}
	/* Both orders of each pair; all-one-way has odds 2^-199. */
	CHECK(afirst > 0 && bfirst > 0 && afirst + bfirst == 200);
	CHECK(cfirst > 0 && efirst > 0 && cfirst + efirst == 200);
	dns_mx_shuffle(mx, 0);
	dns_mx_sort(mx, 0);
}

/*
 * The fake server: "mx.test" MX 10 "h.mx.test", which is 127.0.0.7;
 * "slow.test" is never answered; anything else is NXDOMAIN.
 */
struct fake {
	int	 fd;
	int	 queries;
	int	 mx_queries;
};

static void
fake_read(int fd, unsigned events, void *arg)
{
	static const unsigned char mxrd[] = { 0, 10, 1, 'h', 2, 'm', 'x',
	    4, 't', 'e', 's', 't', 0 };
	static const unsigned char ard[] = { 127, 0, 0, 7 };
	struct fake *f = arg;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	unsigned char q[512], *p;
	char *name;
	long enclen;
	ssize_t n;
	size_t len;
	int type;

	(void)events;
	while ((n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
	    &fromlen)) > 12) {
		f->queries++;
		if (ares_expand_name(q + 12, q, (int)n, &name, &enclen) !=
		    ARES_SUCCESS)
			continue;
		p = q + 12 + enclen;
		if (p + 4 > q + n) {
			ares_free_string(name);
			continue;
		}
		type = p[0] << 8 | p[1];
		len = (size_t)(p + 4 - q);
		q[2] = 0x84;		/* QR, AA */
		q[3] = 0x80;		/* RA, NOERROR */
		q[6] = q[7] = q[8] = q[9] = q[10] = q[11] = 0;
		if (strcmp(name, "slow.test") == 0) {
			ares_free_string(name);
			continue;
		}
		if (strcmp(name, "mx.test") == 0 && type == 15) {
			f->mx_queries++;
			q[7] = 1;
			len += rr(q + len, 15, 600, mxrd, sizeof(mxrd));
		} else if (strcmp(name, "h.mx.test") == 0 && type == 1) {
			q[7] = 1;
			len += rr(q + len, 1, 600, ard, sizeof(ard));
		} else if (strcmp(name, "mx.test") != 0 &&
		    strcmp(name, "h.mx.test") != 0)
			q[3] |= 3;	/* NXDOMAIN */
		ares_free_string(name);
		sendto(fd, q, len, 0, (struct sockaddr *)&from, fromlen);
	}
}

struct got {
	int	 calls;
	int	 inline_calls;	/* made from inside dns_resolve_*() */
	enum dns_status status;
	char	 host[DNS_MAXNAME];
	char	 addr[64];
	size_t	 nhosts;
};

static int in_resolve;

static void
got_cb(const struct dns_result *r, void *arg)
{
	struct got *g = arg;
	const struct sockaddr_in *sin;

	g->calls++;
	g->inline_calls += in_resolve;
	g->status = r->status;
	g->nhosts = r->nhosts;
	if (r->nhosts > 0 && r->host[0].naddr > 0) {
		strlcpy(g->host, r->host[0].name, sizeof(g->host));
		sin = (const struct sockaddr_in *)&r->host[0].addr[0];
		inet_ntop(AF_INET, &sin->sin_addr, g->addr, sizeof(g->addr));
	}
}

/* Run the loop until *calls reaches want, for at most 5 s. */
static void
run_until(struct ev *ev, const int *calls, int want)
{
	for (int i = 0; i < 500 && *calls < want; i++)
		ev_run_once(ev, 10);
}

TEST(queries)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct fake f = { -1, 0, 0 };
	struct got g[4], slow;
	struct dns_query *cq;
	struct ev *ev;
	struct dns *dns;
	char err[256], servers[64];

	memset(g, 0, sizeof(g));
	memset(&slow, 0, sizeof(slow));
	CHECK((ev = ev_new()) != NULL);
	f.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(f.fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(f.fd, (struct sockaddr *)&sin, &len) == 0);
	CHECK(ev_fd_add(ev, f.fd, EV_READ, fake_read, &f) == 0);
	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    ntohs(sin.sin_port));
	dns = dns_new(ev, servers, 700, err, sizeof(err));
	CHECK(dns != NULL);
	if (dns == NULL)
		return;

	/* Three callers, one cancelled: one MX query, two callbacks. */
	in_resolve = 1;
	dns_resolve_mx(dns, "MX.test.", DNS_INET, got_cb, &g[0]);
	cq = dns_resolve_mx(dns, "mx.test", DNS_INET, got_cb, &g[1]);
	dns_resolve_mx(dns, "mx.test", DNS_INET, got_cb, &g[2]);
	in_resolve = 0;
	dns_cancel(cq);
	run_until(ev, &g[2].calls, 1);
	CHECK_INT(g[0].calls, 1);
	CHECK_INT(g[1].calls, 0);
	CHECK_INT(g[2].calls, 1);
	CHECK_INT(g[0].status, DNS_OK);
	CHECK_STR(g[0].host, "h.mx.test");
	CHECK_STR(g[0].addr, "127.0.0.7");
	CHECK_INT(f.mx_queries, 1);
	CHECK_INT(f.queries, 2);	/* MX, A */

	/* From the cache: no query, and the callback comes from the loop. */
	in_resolve = 1;
	dns_resolve_mx(dns, "mx.test", DNS_INET, got_cb, &g[3]);
	in_resolve = 0;
	CHECK_INT(g[3].calls, 0);
	run_until(ev, &g[3].calls, 1);
	CHECK_INT(g[3].calls, 1);
	CHECK_INT(g[3].inline_calls, 0);
	CHECK_STR(g[3].addr, "127.0.0.7");
	CHECK_INT(f.queries, 2);
	CHECK(dns_cache_size(dns) >= 2);

	/* Cancelled from the cache too: never called. */
	memset(&g[1], 0, sizeof(g[1]));
	dns_cancel(dns_resolve_mx(dns, "mx.test", DNS_INET, got_cb, &g[1]));
	memset(&g[0], 0, sizeof(g[0]));
	dns_resolve_host(dns, "h.mx.test", DNS_INET, got_cb, &g[0]);
	run_until(ev, &g[0].calls, 1);
	CHECK_INT(g[1].calls, 0);
	CHECK_INT(g[0].status, DNS_OK);
	CHECK_STR(g[0].addr, "127.0.0.7");
	CHECK_INT(g[0].inline_calls, 0);

	/* NXDOMAIN; an address literal; never answered: the timeout. */
	memset(g, 0, sizeof(g));
	dns_resolve_mx(dns, "none.test", DNS_INET, got_cb, &g[0]);
	dns_resolve_host(dns, "192.0.2.9", DNS_INET, got_cb, &g[1]);
	dns_resolve_mx(dns, "slow.test", DNS_INET, got_cb, &slow);
	run_until(ev, &slow.calls, 1);
	CHECK_INT(g[0].status, DNS_NXDOMAIN);
	CHECK_INT(g[1].status, DNS_OK);
	CHECK_STR(g[1].addr, "192.0.2.9");
	CHECK_INT(slow.calls, 1);
	CHECK_INT(slow.status, DNS_TEMPFAIL);

	/* Freed with a query in flight: no callback, nothing leaks. */
	memset(&slow, 0, sizeof(slow));
	dns_resolve_mx(dns, "slow.test", DNS_INET, got_cb, &slow);
	ev_run_once(ev, 10);
	dns_free(dns);
	CHECK_INT(slow.calls, 0);
	ev_fd_del(ev, f.fd);
	close(f.fd);
	ev_free(ev);
}

TEST(bad_servers)
{
	struct ev *ev = ev_new();
	char err[256];

	CHECK(dns_new(ev, "not a server", 1000, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a server") != NULL);
	ev_free(ev);
}

static const struct test_case tests[] = {
	T(ttls),
	T(mx_order),
	T(queries),
	T(bad_servers),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
