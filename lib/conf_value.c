/*
 * conf_value - check one directive's value against its type in the table
 * and keep the parsed form (num, str or obj) beside the text.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"
#include "rx.h"

#define ERR(...) do {						\
	(void)snprintf(err, errlen, __VA_ARGS__);		\
	errno = EINVAL;						\
	return -1;						\
} while (0)

static const char *const categories[] = {
	"bad-configuration", "bad-connection", "bad-domain", "bad-mailbox",
	"content-related", "inactive-mailbox", "invalid-sender",
	"message-expired", "no-answer-from-host", "other", "policy-related",
	"protocol-errors", "quota-issues", "relaying-issues", "routing-errors",
	"spam-related", "virus-related", NULL
};

static const char *const record_types[] = {
	"d", "delivery", "b", "bounce", "t", "transient", "tq",
	"transient-queue", "r", "receipt", "f", "feedback-loop", "rb",
	"remote-bounce", "rs", "remote-status", NULL
};

static bool
in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncasecmp(*list, s, n) == 0)
			return true;
	return false;
}

/* The next word of s: skips separators, returns its length. */
static size_t
next_word(const char **s, const char *seps)
{
	*s += strspn(*s, seps);
	return strcspn(*s, seps);
}

/* "a|b|c" as "a, b or c" (static buffer: one message at a time). */
static const char *
enum_choices(const char *values)
{
	static char out[256];
	const char *last = strrchr(values, '|');
	size_t o = 0;

	for (const char *v = values; *v != '\0' && o + 5 < sizeof(out); v++) {
		if (*v != '|') {
			out[o++] = *v;
			continue;
		}
		if (v == last) {
			memcpy(out + o, " or ", 4);
			o += 4;
		} else {
			memcpy(out + o, ", ", 2);
			o += 2;
		}
	}
	out[o] = '\0';
	return out;
}

static int
parse_enum(struct conf_directive *d, char *err, size_t errlen)
{
	const char *v = d->def->values, *bar;
	size_t n;

	for (int64_t i = 0; v != NULL && *v != '\0'; i++) {
		bar = strchr(v, '|');
		n = bar != NULL ? (size_t)(bar - v) : strlen(v);
		if (strlen(d->text) == n && strncasecmp(v, d->text, n) == 0) {
			d->num = i;
			return 0;
		}
		v = bar != NULL ? bar + 1 : v + n;
	}
	ERR("\"%s\" is not one of: %s", d->text, enum_choices(d->def->values));
}

/* A /regex/ at s: its text (escapes kept), and the rest after it. */
static struct rx *
parse_slashed(const char *s, const char **rest, char *err, size_t errlen)
{
	const char *p;

	if (*s != '/') {
		(void)snprintf(err, errlen, "expected /regex/");
		return NULL;
	}
	for (p = s + 1; *p != '\0' && *p != '/'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	if (*p != '/') {
		(void)snprintf(err, errlen, "regular expression without "
		    "closing \"/\"");
		return NULL;
	}
	*rest = p + 1;
	if (**rest != '\0' && !isspace((unsigned char)**rest)) {
		(void)snprintf(err, errlen, "text right after the closing "
		    "\"/\" of a regular expression");
		return NULL;
	}
	*rest += strspn(*rest, " \t");
	return rx_compile(s + 1, (size_t)(p - s - 1), RX_CASELESS, err,
	    errlen);
}

static int
parse_reply_rule(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_reply_rule *r;
	const char *rest, *w;
	size_t n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		ERR("out of memory");
	d->obj = r;
	if ((r->rx = parse_slashed(d->text, &rest, err, errlen)) == NULL)
		return -1;
	for (w = rest; (n = next_word(&w, ", \t")) > 0; w += n) {
		if (n == 12 && strncmp(w, "mode=backoff", n) == 0)
			r->actions |= CONF_ACT_BACKOFF;
		else if (n == 11 && strncmp(w, "mode=normal", n) == 0)
			r->actions |= CONF_ACT_NORMAL;
		else if (n == 7 && strncmp(w, "skip-mx", n) == 0)
			r->actions |= CONF_ACT_SKIP_MX;
		else if (n == 12 && strncmp(w, "bounce-queue", n) == 0)
			r->actions |= CONF_ACT_BOUNCE_QUEUE;
		else if (n == 11 && strncmp(w, "bounce-rcpt", n) == 0)
			r->actions |= CONF_ACT_BOUNCE_RCPT;
		else if (n == 11 && strncmp(w, "defer-queue", n) == 0)
			r->actions |= CONF_ACT_DEFER_QUEUE;
		else if (n == 17 && strncmp(w, "disable-source-ip", n) == 0)
			r->actions |= CONF_ACT_DISABLE_SRC;
		else if (n > 15 && strncmp(w, "reenable-after=", 15) == 0) {
			char v[64];

			if (n - 15 >= sizeof(v))
				ERR("reenable-after: value too long");
			memcpy(v, w + 15, n - 15);
			v[n - 15] = '\0';
			if (confval_interval(v, false, &r->reenable_after,
			    err, errlen) == -1)
				return -1;
		} else
			ERR("unknown action \"%.*s\"", (int)n, w);
	}
	if (r->actions == 0)
		ERR("no action after the regular expression");
	if ((r->actions & CONF_ACT_BACKOFF) && (r->actions & CONF_ACT_NORMAL))
		ERR("mode=backoff and mode=normal together");
	return 0;
}

static int
parse_match_rule(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_match_rule *m;
	const char *s = d->text, *w;
	char **slot;
	size_t n;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		ERR("out of memory");
	d->obj = m;
	if (d->def->id == CONF_HEADER) {
		m->kind = CONF_MATCH_HEADER;
		n = strcspn(s, " \t");
		if ((m->header = strndup(s, n)) == NULL)
			ERR("out of memory");
		s += n + strspn(s + n, " \t");
	} else
		m->kind = d->def->id == CONF_MAIL_FROM ? CONF_MATCH_MAIL_FROM :
		    CONF_MATCH_RCPT_TO;
	if ((m->rx = parse_slashed(s, &s, err, errlen)) == NULL)
		return -1;
	for (w = s; (n = next_word(&w, ", \t")) > 0; w += n) {
		if (n > 12 && strncmp(w, "virtual-mta=", 12) == 0) {
			slot = &m->vmta;
			w += 12;
			n -= 12;
		} else if (n > 4 && strncmp(w, "job=", 4) == 0) {
			slot = &m->job;
			w += 4;
			n -= 4;
		} else
			ERR("unknown action \"%.*s\"", (int)n, w);
		free(*slot);
		if ((*slot = strndup(w, n)) == NULL)
			ERR("out of memory");
	}
	if (m->vmta == NULL && m->job == NULL)
		ERR("no action after the regular expression");
	return 0;
}

static int
parse_category_rule(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_category_rule *r;
	const char *rest;
	size_t n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		ERR("out of memory");
	d->obj = r;
	if ((r->rx = parse_slashed(d->text, &rest, err, errlen)) == NULL)
		return -1;
	n = strcspn(rest, " \t");
	if (n == 0)
		ERR("missing bounce category after the regular expression");
	if (rest[n + strspn(rest + n, " \t")] != '\0')
		ERR("text after the bounce category");
	if (!in_list(categories, rest, n))
		ERR("unknown bounce category \"%.*s\"", (int)n, rest);
	if ((r->category = strndup(rest, n)) == NULL)
		ERR("out of memory");
	return 0;
}

static int
parse_rollup(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_rollup *r;
	const char *w = d->text;
	size_t n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		ERR("out of memory");
	d->obj = r;
	n = next_word(&w, " \t");
	if ((r->pattern = strndup(w, n)) == NULL)
		ERR("out of memory");
	w += n;
	if ((n = next_word(&w, " \t")) == 0)
		ERR("needs a host pattern and a queue name");
	if ((r->name = strndup(w, n)) == NULL)
		ERR("out of memory");
	w += n;
	if ((n = next_word(&w, " \t")) > 0) {
		if (n != 12 || strncmp(w, "rollup-by-ip", n) != 0)
			ERR("unknown option \"%.*s\"", (int)n, w);
		r->by_ip = true;
		w += n;
		if (next_word(&w, " \t") > 0)
			ERR("text after rollup-by-ip");
	}
	return 0;
}

static int
parse_listener(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_listener *l;
	const char *w = d->text;
	char addr[CONFVAL_MAXNAME];
	size_t n;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		ERR("out of memory");
	d->obj = l;
	n = next_word(&w, " \t");
	if (n >= sizeof(addr))
		ERR("address too long");
	memcpy(addr, w, n);
	addr[n] = '\0';
	if (confval_listener(addr, &l->addr, err, errlen) == -1)
		return -1;
	for (w += n; (n = next_word(&w, " \t")) > 0; w += n) {
		if (n <= 7 || strncmp(w, "source=", 7) != 0)
			ERR("unknown listener option \"%.*s\"", (int)n, w);
		free(l->source);
		if ((l->source = strndup(w + 7, n - 7)) == NULL)
			ERR("out of memory");
	}
	return 0;
}

static int
parse_source_host(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_source_host *h;
	struct confval_domain dom;
	const char *w = d->text;
	char addr[CONFVAL_MAXNAME];
	size_t n;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		ERR("out of memory");
	d->obj = h;
	n = next_word(&w, " \t");
	if (n >= sizeof(addr) || memchr(w, '/', n) != NULL)
		ERR("\"%.*s\" is not an IP address", (int)n, w);
	memcpy(addr, w, n);
	addr[n] = '\0';
	if (confval_cidr(addr, &h->addr, err, errlen) == -1 ||
	    (h->addr.af == AF_INET && h->addr.prefix != 32))
		ERR("\"%s\" is not an IP address", addr);
	w += n;
	if ((n = next_word(&w, " \t")) == 0)
		return 0;
	if (n >= sizeof(addr))
		ERR("host name too long");
	memcpy(addr, w, n);
	addr[n] = '\0';
	if (confval_domain(addr, &dom, err, errlen) == -1 ||
	    dom.kind != CONFVAL_DOM_EXACT)
		ERR("\"%s\" is not a host name", addr);
	if ((h->hostname = strdup(dom.name)) == NULL)
		ERR("out of memory");
	w += n;
	if (next_word(&w, " \t") > 0)
		ERR("text after the host name");
	return 0;
}

static int
parse_domain_key(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_domain_key *k;
	char *parts[3], *copy, *p;
	int i;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		ERR("out of memory");
	d->obj = k;
	if ((copy = strdup(d->text)) == NULL)
		ERR("out of memory");
	p = copy;
	for (i = 0; i < 3 && p != NULL; i++) {
		parts[i] = p;
		if ((p = strchr(p, ',')) != NULL)
			*p++ = '\0';
		while (isspace((unsigned char)*parts[i]))
			parts[i]++;
		for (char *e = parts[i] + strlen(parts[i]);
		    e > parts[i] && isspace((unsigned char)e[-1]);)
			*--e = '\0';
	}
	if (i < 3 || p != NULL || *parts[0] == '\0' || *parts[1] == '\0' ||
	    *parts[2] == '\0') {
		free(copy);
		ERR("expected SELECTOR,DOMAIN,KEYFILE");
	}
	k->selector = strdup(parts[0]);
	k->domain = strdup(parts[1]);
	k->path = strdup(parts[2]);
	free(copy);
	if (k->selector == NULL || k->domain == NULL || k->path == NULL)
		ERR("out of memory");
	return 0;
}

/* "10m,30m,1h" or, in a <domain>, "421 4.7.0 15m" (num = 1). */
static int
parse_retry(struct conf_directive *d, char *err, size_t errlen)
{
	struct conf_retry_rule *r;
	const char *w = d->text;
	char delay[64];
	size_t n;

	if (isdigit((unsigned char)w[0]) && isdigit((unsigned char)w[1]) &&
	    isdigit((unsigned char)w[2]) && isspace((unsigned char)w[3])) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			ERR("out of memory");
		d->obj = r;
		d->num = 1;
		r->code = (w[0] - '0') * 100 + (w[1] - '0') * 10 + w[2] - '0';
		if (r->code < 400 || r->code > 599)
			ERR("reply code %d is not 4xx or 5xx", r->code);
		w += 3;
		n = next_word(&w, " \t");
		if ((r->match = strndup(w, n)) == NULL)
			ERR("out of memory");
		w += n;
		n = next_word(&w, " \t");
		if (n == 0 || n >= sizeof(delay) || *r->match == '\0')
			ERR("expected CODE STATUS-OR-TEXT DELAY");
		memcpy(delay, w, n);
		delay[n] = '\0';
		if (w[n + strspn(w + n, " \t")] != '\0')
			ERR("text after the delay");
		return confval_interval(delay, false, &r->delay, err, errlen);
	}
	if ((d->obj = calloc(1, sizeof(struct confval_intervals))) == NULL)
		ERR("out of memory");
	return confval_intervals(d->text, d->obj, err, errlen);
}

static int
parse_record_fields(struct conf_directive *d, char *err, size_t errlen)
{
	const char *w = d->text;
	size_t n;

	n = next_word(&w, " \t");
	if (!in_list(record_types, w, n))
		ERR("unknown record type \"%.*s\"", (int)n, w);
	w += n;
	if (next_word(&w, " \t") == 0)
		ERR("no fields after the record type");
	for (; (n = next_word(&w, ", \t")) > 0; w += n) {
		const char *f = w;
		size_t fn = n;

		if (*f == '!') {
			f++;
			fn--;
		}
		if (fn == 0)
			ERR("empty field name");
		for (size_t i = 0; i < fn; i++)
			if (!isalnum((unsigned char)f[i]) &&
			    strchr("_-*", f[i]) == NULL)
				ERR("bad field name \"%.*s\"", (int)n, w);
	}
	return 0;
}

static int
parse_words(struct conf_directive *d, char *err, size_t errlen)
{
	const char *w = d->text;
	size_t n;

	if (d->def->id == CONF_RECORDS)
		for (; (n = next_word(&w, ", \t")) > 0; w += n)
			if (!in_list(record_types, w, n))
				ERR("unknown record type \"%.*s\"", (int)n, w);
	if (d->def->id == CONF_MATCH)
		for (; (n = next_word(&w, ", \t")) > 0; w += n)
			if (!in_list(categories, w, n))
				ERR("unknown bounce category \"%.*s\"",
				    (int)n, w);
	return 0;
}

static int
parse_string(struct conf_directive *d, char *err, size_t errlen)
{
	struct confval_domain dom;
	size_t len = strlen(d->text) + 1;

	if ((d->str = malloc(len)) == NULL)
		ERR("out of memory");
	if (conf_unquote(d->text, d->str, len) == NULL)
		ERR("bad quoted string");
	switch (d->def->type) {
	case CONF_T_HOST:
		if (confval_domain(d->str, &dom, err, errlen) == -1 ||
		    dom.kind != CONFVAL_DOM_EXACT)
			ERR("\"%s\" is not a host name", d->str);
		break;
	case CONF_T_EMAIL:
		return confval_email(d->str, err, errlen);
	case CONF_T_NAME:
		for (const char *p = d->str; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) &&
			    strchr("-_.{}", *p) == NULL)
				ERR("bad name \"%s\"", d->str);
		break;
	default:
		break;
	}
	if (*d->str == '\0')
		ERR("empty value");
	return 0;
}

/* conf_value_parse - parse d->text by d->def->type into num, str, obj */
int
conf_value_parse(struct conf_directive *d, char *err, size_t errlen)
{
	bool b;

	switch (d->def->type) {
	case CONF_T_BOOL:
		if (confval_bool(d->text, &b, err, errlen) == -1)
			return -1;
		d->num = b;
		return 0;
	case CONF_T_INT:
		return confval_int(d->text, 0, INT64_MAX, &d->num, err, errlen);
	case CONF_T_SIZE:
		return confval_size(d->text, (uint64_t *)&d->num, err, errlen);
	case CONF_T_INTERVAL:
	case CONF_T_INTERVAL_NEVER:
		return confval_interval(d->text,
		    d->def->type == CONF_T_INTERVAL_NEVER, &d->num, err,
		    errlen);
	case CONF_T_INTERVALS:
		if ((d->obj = calloc(1, sizeof(struct confval_intervals)))
		    == NULL)
			ERR("out of memory");
		return confval_intervals(d->text, d->obj, err, errlen);
	case CONF_T_RATE:
		if ((d->obj = calloc(1, sizeof(struct confval_rate))) == NULL)
			ERR("out of memory");
		return confval_rate(d->text, d->obj, err, errlen);
	case CONF_T_ENUM:
		return parse_enum(d, err, errlen);
	case CONF_T_CIDR:
		if ((d->obj = calloc(1, sizeof(struct confval_cidr))) == NULL)
			ERR("out of memory");
		return confval_cidr(d->text, d->obj, err, errlen);
	case CONF_T_HOSTS:
		if ((d->obj = calloc(1, sizeof(struct confval_hosts))) == NULL)
			ERR("out of memory");
		return confval_hosts(d->text, d->obj, err, errlen);
	case CONF_T_LISTENER:
		return parse_listener(d, err, errlen);
	case CONF_T_SOURCE_HOST:
		return parse_source_host(d, err, errlen);
	case CONF_T_DOMAIN_KEY:
		return parse_domain_key(d, err, errlen);
	case CONF_T_RETRY:
		return parse_retry(d, err, errlen);
	case CONF_T_REPLY_RULE:
		return parse_reply_rule(d, err, errlen);
	case CONF_T_MATCH_RULE:
		return parse_match_rule(d, err, errlen);
	case CONF_T_ROLLUP:
		return parse_rollup(d, err, errlen);
	case CONF_T_CATEGORY_RULE:
		return parse_category_rule(d, err, errlen);
	case CONF_T_RECORD_FIELDS:
		return parse_record_fields(d, err, errlen);
	case CONF_T_WORDS:
		return parse_words(d, err, errlen);
	case CONF_T_STRING:
	case CONF_T_PATH:
	case CONF_T_HOST:
	case CONF_T_EMAIL:
	case CONF_T_NAME:
	case CONF_T_TEXT:
		return parse_string(d, err, errlen);
	case CONF_T_MACRO:
	case CONF_T_INCLUDE:
		break;
	}
	PANIC("directive %s: type %d", d->def->name, d->def->type);
}

/* conf_value_free - release what conf_value_parse made */
void
conf_value_free(struct conf_directive *d)
{
	free(d->str);
	d->str = NULL;
	if (d->obj == NULL)
		return;
	switch (d->def->type) {
	case CONF_T_LISTENER:
		free(((struct conf_listener *)d->obj)->source);
		break;
	case CONF_T_SOURCE_HOST:
		free(((struct conf_source_host *)d->obj)->hostname);
		break;
	case CONF_T_DOMAIN_KEY: {
		struct conf_domain_key *k = d->obj;

		free(k->selector);
		free(k->domain);
		free(k->path);
		break;
	}
	case CONF_T_RETRY:
		if (d->num == 1)
			free(((struct conf_retry_rule *)d->obj)->match);
		break;
	case CONF_T_REPLY_RULE:
		rx_free(((struct conf_reply_rule *)d->obj)->rx);
		break;
	case CONF_T_MATCH_RULE: {
		struct conf_match_rule *m = d->obj;

		rx_free(m->rx);
		free(m->header);
		free(m->vmta);
		free(m->job);
		break;
	}
	case CONF_T_ROLLUP: {
		struct conf_rollup *r = d->obj;

		free(r->pattern);
		free(r->name);
		break;
	}
	case CONF_T_CATEGORY_RULE:
		rx_free(((struct conf_category_rule *)d->obj)->rx);
		free(((struct conf_category_rule *)d->obj)->category);
		break;
	default:
		break;
	}
	free(d->obj);
	d->obj = NULL;
}
