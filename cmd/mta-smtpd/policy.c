/*
 * policy - who may do what, from the <source> blocks that hold the
 * client's address (and the listener's source=NAME, or {auth} and the
 * user's source after AUTH), the seed guides' <accepted-connect>
 * blocks, and the global relay-domain and relay-address lists.
 *
 * Never an open relay: a recipient is accepted only for a client whose
 * source says always-allow-relaying yes (or relay yes, or an
 * <accepted-connect> with allow-submission yes), for an authenticated
 * client, or for a domain or address named by relay-domain or
 * relay-address.  mta-smtpd delivers nothing locally: there are no
 * local domains, every accepted message is queued for delivery.
 *
 * A setting comes from the client's <source> blocks, else from the
 * <smtp-server> block (the service as a whole), else from the global
 * scope or the default.
 *
 * A recipient the client may send to is then checked against the
 * suppression lists its source names (supplists.c): one suppressed is
 * refused, and one that cannot be checked is deferred, never accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "envelope.h"
#include "smtpd.h"
#include "suppress.h"

/* The directive id of the <smtp-server> block, or NULL. */
static const struct conf_directive *
server_setting(const struct conf *c, enum conf_id id)
{
	const struct conf_block *b = conf_find_block(c, CONF_S_SMTP_SERVER,
	    NULL);

	return b != NULL ? conf_block_get(b, id) : NULL;
}

/* A <source> setting, else <smtp-server>'s, else the global or default. */
static const struct conf_directive *
setting(const struct session *s, enum conf_id id)
{
	const struct conf_directive *d;

	if (s->sub.source.d[id] != NULL)
		return s->sub.source.d[id];
	if ((d = server_setting(s->conf, id)) != NULL)
		return d;
	return conf_get(&s->sub.global, id);
}

static bool
on(const struct session *s, enum conf_id id)
{
	const struct conf_directive *d = setting(s, id);

	return d != NULL && d->num != 0;
}

static int64_t
num(const struct session *s, enum conf_id id)
{
	const struct conf_directive *d = setting(s, id);

	return d != NULL ? d->num : 0;
}

/* max-rcpt-per-message: a number; 0 or unset is the spool's limit. */
static size_t
max_rcpt(const struct session *s)
{
	const struct conf_directive *d = setting(s, CONF_MAX_RCPT_PER_MESSAGE);
	const char *errstr;
	long long n;

	if (d == NULL || d->str == NULL)
		return ENVELOPE_MAXRCPT;
	n = strtonum(d->str, 0, ENVELOPE_MAXRCPT, &errstr);
	if (errstr != NULL || n == 0)
		return ENVELOPE_MAXRCPT;
	return (size_t)n;
}

/*
 * max-errors-per-connection: a number, or "unlimited" (0 here); where
 * the config does not set it, SMTPD_MAXERRORS
 */
static unsigned
max_errors(const struct session *s)
{
	const struct conf_directive *d;
	const char *errstr;
	long long n;

	if ((d = s->sub.source.d[CONF_MAX_ERRORS_PER_CONNECTION]) == NULL &&
	    (d = server_setting(s->conf,
	    CONF_MAX_ERRORS_PER_CONNECTION)) == NULL)
		return SMTPD_MAXERRORS;
	if (d->text == NULL || strcasecmp(d->text, "unlimited") == 0)
		return 0;
	n = strtonum(d->text, 1, 1000000, &errstr);
	return errstr != NULL ? SMTPD_MAXERRORS : (unsigned)n;
}

/*
 * auth-plain: of the client's <accepted-connect> blocks, else of
 * <smtp-server>
 */
static const char *
auth_file(const struct session *s, const struct conf_settings *acc)
{
	const struct conf_directive *d = acc->d[CONF_AUTH_PLAIN];

	if (d == NULL)
		d = server_setting(s->conf, CONF_AUTH_PLAIN);
	return d != NULL && d->str != NULL && d->str[0] != '\0' ? d->str :
	    NULL;
}

/* policy_init - what the client may do; srcname as for submit_init() */
void
policy_init(struct session *s, const char *srcname)
{
	struct conf_settings acc;
	struct policy *p = &s->pol;
	const struct conf_directive *d;
	bool accept_blocks = false;

	(void)srcname;
	memset(p, 0, sizeof(*p));
	conf_resolve_source(s->conf, CONF_S_ACCEPT, s->af,
	    s->af == AF_UNSPEC ? NULL : s->addr, NULL, &acc);
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++)
		if (acc.d[i] != NULL)
			accept_blocks = true;
	p->service = on(s, CONF_SMTP_SERVICE);
	p->relay = on(s, CONF_ALWAYS_ALLOW_RELAYING) || on(s, CONF_RELAY) ||
	    (accept_blocks && conf_bool(&acc, CONF_ALLOW_SUBMISSION));
	p->require_auth = on(s, CONF_REQUIRE_AUTH) ||
	    (accept_blocks && conf_bool(&acc, CONF_REQUIRE_AUTH));
	p->allow_auth = on(s, CONF_ALLOW_AUTH);
	p->plain_auth = on(s, CONF_ALLOW_UNENCRYPTED_PLAIN) ||
	    on(s, CONF_ALLOW_UNENCRYPTED_PLAIN_AUTH);
	/* A certificate offers STARTTLS unless the source says no. */
	d = s->sub.source.d[CONF_ALLOW_STARTTLS];
	p->starttls = s->srv->tls != NULL && (d == NULL || d->num != 0);
	p->chunking = on(s, CONF_ALLOW_CHUNKING);
	p->smtputf8 = on(s, CONF_ALLOW_SMTPUTF8);
	p->maxrcpt = max_rcpt(s);
	p->maxconn = s->sub.source.d[CONF_MAX_SMTP_IN] != NULL ?
	    (size_t)s->sub.source.d[CONF_MAX_SMTP_IN]->num : 0;
	p->maxerrors = max_errors(s);
	p->auth_file = auth_file(s, &acc);
	d = setting(s, CONF_SMTP_MAX_AUTH_FAILURE_RATE);
	if (d != NULL && d->obj != NULL && s->sub.source.d[
	    CONF_SMTP_MAX_AUTH_FAILURE_RATE] != NULL) {
		p->authfail_rate_set = true;
		p->authfail_rate = *(const struct confval_rate *)d->obj;
	}
	p->cmd_timeout = num(s, CONF_SMTP_COMMAND_TIMEOUT);
	p->data_timeout = num(s, CONF_SMTP_DATA_TIMEOUT);
	/* as lib/submit takes it: the source's, else the global scope's */
	if ((d = s->sub.source.d[CONF_SUPPRESSION_LISTS]) == NULL)
		d = conf_get(&s->sub.global, CONF_SUPPRESSION_LISTS);
	p->supp = supplists_find(s->gen->supp, d, &p->supp_err);
	if (s->auth_user[0] != '\0')
		p->relay = true;
}

/* Is word (n bytes) in the list of words (", " or " " apart)? */
static bool
in_list(const char *list, const char *word, size_t n)
{
	const char *p = list;
	size_t k;

	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		k = strcspn(p, ", \t");
		if (k == n && k > 0 && strncasecmp(p, word, n) == 0)
			return true;
		p += k;
	}
	return false;
}

/* policy_may_relay - may the client send to this normalised address? */
bool
policy_may_relay(const struct session *s, const char *rcpt)
{
	const struct conf_directive *d;
	const char *dom = addr_domain(rcpt);

	if (s->pol.relay)
		return true;
	/* a list of words keeps its text only */
	if ((d = conf_get(&s->sub.global, CONF_RELAY_DOMAIN)) != NULL &&
	    dom != NULL && in_list(d->text, dom, strlen(dom)))
		return true;
	if ((d = conf_get(&s->sub.global, CONF_RELAY_ADDRESS)) != NULL &&
	    in_list(d->text, rcpt, strlen(rcpt)))
		return true;
	return false;
}

/*
 * policy_suppressed - is the normalised address rcpt in the client's
 * suppression lists: 1 and which in *m, 0, or -1 and why not known
 */
int
policy_suppressed(const struct session *s, const char *rcpt,
    struct suppress_match *m, char *why, size_t whylen)
{
	int rc;

	if (s->pol.supp == NULL) {
		(void)strlcpy(why, s->pol.supp_err, whylen);
		return -1;
	}
	if ((rc = suppress_check(s->pol.supp, rcpt, m)) == -1)
		(void)snprintf(why, whylen, "suppression store: %s",
		    strerror(errno));
	return rc;
}

/*
 * policy_max_sessions - max-smtp-in of <smtp-server> or the global
 * scope, else total-max-smtp-in
 */
int
policy_max_sessions(const struct conf *c, const struct conf_settings *global)
{
	const struct conf_directive *d = server_setting(c, CONF_MAX_SMTP_IN);

	if (d != NULL && d->num > 0)
		return (int)d->num;
	d = global->d[CONF_MAX_SMTP_IN];
	if (d != NULL && d->num > 0)
		return (int)d->num;
	d = conf_get(global, CONF_TOTAL_MAX_SMTP_IN);
	return d != NULL && d->num > 0 ? (int)d->num : 100;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * auth_rate_take - one more failed AUTH from s's address: false when it
 * is over smtp-max-auth-failure-rate.  Addresses whose rate allows a
 * failure now again are forgotten.
 */
bool
auth_rate_take(struct session *s)
{
	struct smtpd *srv = s->srv;
	struct authfail *a = NULL, *t;
	size_t len = s->af == AF_INET6 ? 16 : 4, k = 0;
	uint64_t now = now_us();

	for (size_t i = 0; i < srv->nauthfail; i++) {
		t = &srv->authfail[i];
		if (t->af == s->af && memcmp(t->addr, s->addr, len) == 0)
			a = t;
		else if (rate_wait(&t->rate, now) == 0)
			continue;	/* forgotten */
		srv->authfail[k++] = *t;
		if (a == t)
			a = &srv->authfail[k - 1];
	}
	srv->nauthfail = k;
	if (a == NULL) {
		if ((t = reallocarray(srv->authfail, k + 1, sizeof(*t))) ==
		    NULL)
			return false;	/* no memory: refuse, safely */
		srv->authfail = t;
		a = &t[srv->nauthfail++];
		memset(a, 0, sizeof(*a));
		a->af = s->af;
		memcpy(a->addr, s->addr, len);
	}
	/* the rate of the session's source, whatever an earlier one said */
	{
		uint64_t next = a->rate.next_us;

		rate_init(&a->rate, &s->pol.authfail_rate);
		a->rate.next_us = next;
	}
	return rate_take(&a->rate, now);
}
