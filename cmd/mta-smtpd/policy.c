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
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "envelope.h"
#include "smtpd.h"

/* A <source> setting if set there, else the global one, else default. */
static const struct conf_directive *
setting(const struct session *s, enum conf_id id)
{
	if (s->sub.source.d[id] != NULL)
		return s->sub.source.d[id];
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
	conf_resolve_source(s->srv->conf, CONF_S_ACCEPT, s->af,
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
	p->cmd_timeout = num(s, CONF_SMTP_COMMAND_TIMEOUT);
	p->data_timeout = num(s, CONF_SMTP_DATA_TIMEOUT);
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

/* policy_max_sessions - max-smtp-in, else total-max-smtp-in */
int
policy_max_sessions(const struct conf_settings *global)
{
	const struct conf_directive *d = global->d[CONF_MAX_SMTP_IN];

	if (d != NULL && d->num > 0)
		return (int)d->num;
	d = conf_get(global, CONF_TOTAL_MAX_SMTP_IN);
	return d != NULL && d->num > 0 ? (int)d->num : 100;
}
