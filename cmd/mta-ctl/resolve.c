/*
 * resolve - mta-ctl resolve: where delivery would send each domain's
 * mail, through the lib/dns code mta-deliver uses.  All domains are
 * resolved at once in one loop; the answers print in argument order.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <netdb.h>

#include "buf.h"
#include "conf.h"
#include "ctl.h"
#include "dns.h"
#include "ev.h"
#include "log.h"

struct answer {
	char		 domain[300];	/* as given, made printable */
	struct buf	 out;		/* the lines to print */
	int		 rc;		/* 0, EX_NOHOST or EX_TEMPFAIL */
	size_t		*pending;
};

/* The settings resolve needs from the config. */
struct resolve_conf {
	struct buf	 servers;	/* c-ares CSV, empty: resolv.conf */
	int		 timeout_ms;
};

/* name-server words, "," or " " apart, as c-ares' CSV list. */
static void
servers_csv(struct buf *b, const char *words)
{
	size_t n;

	while (*words != '\0') {
		words += strspn(words, ", \t");
		if ((n = strcspn(words, ", \t")) == 0)
			break;
		if ((b->len > 0 && buf_appendc(b, ',') == -1) ||
		    buf_append(b, words, n) == -1)
			die_sys(EX_TEMPFAIL, "name-server");
		words += n;
	}
}

/* The config's name-server and dns-timeout; defaults without a file. */
static void
resolve_conf(struct ctl *ctl, struct resolve_conf *rc)
{
	const struct conf_directive *d;
	struct conf_settings s;
	struct conf *c;

	rc->timeout_ms = 30000;
	if (access(ctl->conf_path, F_OK) == -1 && errno == ENOENT) {
		log_warn("%s: %s: using resolv.conf and a 30s timeout",
		    ctl->conf_path, strerror(errno));
		return;
	}
	c = ctl_load_conf(ctl);
	conf_resolve_global(c, &s);
	if ((d = conf_get(&s, CONF_NAME_SERVER)) != NULL && d->text != NULL)
		servers_csv(&rc->servers, d->text);
	if (conf_num(&s, CONF_DNS_TIMEOUT) > 0)
		rc->timeout_ms = conf_num(&s, CONF_DNS_TIMEOUT) > 86400 ?
		    86400000 : (int)conf_num(&s, CONF_DNS_TIMEOUT) * 1000;
	conf_free(c);
}

/* A name from the command line, safe to print on one line. */
static void
printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++)
		dst[i] = isgraph((unsigned char)src[i]) ? src[i] : '?';
	dst[i] = '\0';
}

static void
print_host(struct answer *a, const struct dns_host *h)
{
	char addr[NI_MAXHOST], pref[16];
	socklen_t len;
	int rc;

	if (h->pref < 0)
		strlcpy(pref, "implicit", sizeof(pref));
	else
		snprintf(pref, sizeof(pref), "%d", h->pref);
	for (size_t i = 0; i < h->naddr; i++) {
		len = h->addr[i].ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		if ((rc = getnameinfo((const struct sockaddr *)&h->addr[i],
		    len, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST)) != 0)
			strlcpy(addr, gai_strerror(rc), sizeof(addr));
		if (buf_appendf(&a->out, "%s: mx %s %s %s\n", a->domain, pref,
		    h->name, addr) == -1)
			die_sys(EX_TEMPFAIL, "resolve");
	}
}

/* The result text without its leading "domain: ". */
static const char *
reason(const struct answer *a, const struct dns_result *r)
{
	size_t n = strlen(a->domain);

	if (strncmp(r->text, a->domain, n) == 0 &&
	    strncmp(r->text + n, ": ", 2) == 0)
		return r->text + n + 2;
	return r->text;
}

/* dns.c's text for a name it refused to ask about. */
static bool
invalid_name(const struct dns_result *r)
{
	const char *tail = ": invalid domain name";
	size_t n = strlen(r->text), m = strlen(tail);

	return n >= m && strcmp(r->text + n - m, tail) == 0;
}

static void
answered(const struct dns_result *r, void *arg)
{
	struct answer *a = arg;
	int rc = 0;

	switch (r->status) {
	case DNS_OK:
		for (size_t i = 0; i < r->nhosts; i++)
			print_host(a, &r->host[i]);
		break;
	case DNS_NXDOMAIN:
		if (invalid_name(r))
			rc = buf_appendf(&a->out, "%s: invalid domain name\n",
			    a->domain);
		else
			rc = buf_appendf(&a->out, "%s: nxdomain\n", a->domain);
		a->rc = EX_NOHOST;
		break;
	case DNS_NULLMX:
		rc = buf_appendf(&a->out, "%s: null MX (RFC 7505): mail "
		    "refused\n", a->domain);
		a->rc = EX_NOHOST;
		break;
	case DNS_NOHOST:
		rc = buf_appendf(&a->out, "%s: no host: %s\n", a->domain,
		    reason(a, r));
		a->rc = EX_NOHOST;
		break;
	case DNS_TEMPFAIL:
		rc = buf_appendf(&a->out, "%s: temporary failure: %s\n",
		    a->domain, reason(a, r));
		a->rc = EX_TEMPFAIL;
		break;
	}
	if (rc == -1)
		die_sys(EX_TEMPFAIL, "resolve");
	(*a->pending)--;
}

/* ctl_resolve - "resolve [-46] [-s servers] domain ..." */
int
ctl_resolve(struct ctl *ctl, int argc, char **argv)
{
	struct resolve_conf rc = { BUF_INIT, 0 };
	const char *servers = NULL;
	struct answer *ans;
	struct dns *dns;
	struct ev *ev;
	char err[512];
	size_t n, pending;
	int ch, families = 0, status = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "46s:")) != -1) {
		switch (ch) {
		case '4':
			families |= DNS_INET;
			break;
		case '6':
			families |= DNS_INET6;
			break;
		case 's':
			servers = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind == argc)
		return EX_USAGE;
	if (families == 0)
		families = DNS_INET | DNS_INET6;
	resolve_conf(ctl, &rc);
	if (servers == NULL && rc.servers.len > 0)
		servers = buf_cstr(&rc.servers);
	if ((ev = ev_new()) == NULL)
		die_sys(EX_TEMPFAIL, "event loop");
	if ((dns = dns_new(ev, servers, rc.timeout_ms, err, sizeof(err))) ==
	    NULL)
		die(EX_CONFIG, "%s", err);
	n = (size_t)(argc - optind);
	if ((ans = calloc(n, sizeof(*ans))) == NULL)
		die_sys(EX_TEMPFAIL, "resolve");
	pending = n;
	for (size_t i = 0; i < n; i++) {
		printable(ans[i].domain, sizeof(ans[i].domain),
		    argv[optind + (int)i]);
		ans[i].pending = &pending;
		if (dns_resolve_mx(dns, argv[optind + (int)i], families,
		    answered, &ans[i]) == NULL)
			die_sys(EX_TEMPFAIL, "resolve %s", ans[i].domain);
	}
	/* Each query ends within the timeout: this loop is bounded. */
	while (pending > 0)
		if (ev_run_once(ev, -1) == -1)
			die_sys(EX_TEMPFAIL, "event loop");
	for (size_t i = 0; i < n; i++) {
		fputs(buf_cstr(&ans[i].out), stdout);
		/* A temporary failure wins: the answer is not complete. */
		if (ans[i].rc == EX_TEMPFAIL)
			status = EX_TEMPFAIL;
		else if (status == 0)
			status = ans[i].rc;
		buf_free(&ans[i].out);
	}
	free(ans);
	dns_free(dns);
	ev_free(ev);
	buf_free(&rc.servers);
	if (fflush(stdout) == EOF)
		die_sys(EX_TEMPFAIL, "stdout");
	return status;
}
