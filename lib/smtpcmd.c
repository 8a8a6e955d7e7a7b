/*
 * smtpcmd - parse one SMTP command line.
 *
 * Strict where a loose reading could be abused, tolerant where clients
 * are known to differ: the verb is case-insensitive, extra spaces
 * between words and after "FROM:" or "TO:" are accepted (as Postfix
 * does), but a path needs its angle brackets, control characters are
 * refused anywhere, and every parameter is checked and decoded here, so
 * the session only ever sees clean values.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpcmd.h"

#define R_TOOLONG	"500 5.5.2 Error: line too long"
#define R_BADCHAR	"500 5.5.2 Error: bad character in command"
#define R_UNKNOWN	"500 5.5.1 Error: command not recognized"
#define R_NOARG		"501 5.5.4 Syntax error: no parameters allowed"
#define R_DUP		"501 5.5.4 Syntax error: parameter given twice"
#define R_UNSUPP	"555 5.5.4 Unsupported option"

static const struct {
	const char	*name;
	enum smtpcmd_verb verb;
} verbs[] = {
	{ "HELO", SMTPCMD_HELO },
	{ "EHLO", SMTPCMD_EHLO },
	{ "MAIL", SMTPCMD_MAIL },
	{ "RCPT", SMTPCMD_RCPT },
	{ "DATA", SMTPCMD_DATA },
	{ "BDAT", SMTPCMD_BDAT },
	{ "RSET", SMTPCMD_RSET },
	{ "NOOP", SMTPCMD_NOOP },
	{ "QUIT", SMTPCMD_QUIT },
	{ "VRFY", SMTPCMD_VRFY },
	{ "EXPN", SMTPCMD_EXPN },
	{ "HELP", SMTPCMD_HELP },
	{ "STARTTLS", SMTPCMD_STARTTLS },
	{ "AUTH", SMTPCMD_AUTH },
};

/* smtpcmd_name - the verb as written in replies and logs */
const char *
smtpcmd_name(enum smtpcmd_verb v)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "unknown";
}

static int
bad(struct smtpcmd *c, const char *reply)
{
	c->reply = reply;
	return -1;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* RFC 3461 xtext of n bytes into out (size outlen); -1 if malformed. */
static int
xtext(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	int ch;

	for (size_t i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '+') {
			if (i + 2 >= n || hexval(s[i + 1]) == -1 ||
			    hexval(s[i + 2]) == -1)
				return -1;
			ch = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
			if (ch == 0)
				return -1;
		} else if (ch < 0x21 || ch > 0x7e || ch == '=')
			return -1;
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* Skip spaces; the caller's string is NUL-terminated. */
static const char *
skip_sp(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/*
 * "<path>" at p into c->path, without a source route; *end is set after
 * the ">".  Quoted strings may hold ">".
 */
static int
parse_path(struct smtpcmd *c, const char *p, const char **end,
    const char *reply)
{
	const char *q, *in;
	bool quoted = false;
	size_t n;

	if (*p != '<')
		return bad(c, reply);
	for (q = p + 1; *q != '\0'; q++) {
		if (quoted && *q == '\\' && q[1] != '\0')
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (!quoted && *q == '>')
			break;
	}
	if (*q != '>')
		return bad(c, reply);
	if ((size_t)(q - p + 1) > SMTPCMD_PATHMAX)
		return bad(c, "501 5.1.0 Address too long");
	in = p + 1;
	/* A-d-l ":" mailbox: the route is obsolete, RFC 5321 C. */
	if (*in == '@') {
		const char *colon = memchr(in, ':', (size_t)(q - in));

		if (colon == NULL)
			return bad(c, reply);
		in = colon + 1;
	}
	n = (size_t)(q - in);
	memcpy(c->path, in, n);
	c->path[n] = '\0';
	*end = q + 1;
	return 0;
}

static bool
is_keyword(const char *k, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)k[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-')
			return false;
	return true;
}

static bool
kw(const char *k, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(k, want, n) == 0;
}

static int
param_size(struct smtpcmd *c, const char *v, size_t n)
{
	uint64_t size = 0;

	if (n == 0 || n > 20)
		return bad(c, "501 5.5.4 Bad SIZE parameter");
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return bad(c, "501 5.5.4 Bad SIZE parameter");
		if (size > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return bad(c, "552 5.3.4 Message size exceeds the "
			    "limit");
		size = size * 10 + (uint64_t)(v[i] - '0');
	}
	c->has_size = true;
	c->size = size;
	return 0;
}

/* One MAIL parameter; seen holds a bit per kind to find repeats. */
static int
mail_param(struct smtpcmd *c, const char *k, size_t kn, const char *v,
    size_t vn, bool hasv, unsigned *seen)
{
	unsigned bit;

	if (kw(k, kn, "SIZE"))
		bit = 1;
	else if (kw(k, kn, "BODY"))
		bit = 2;
	else if (kw(k, kn, "SMTPUTF8"))
		bit = 4;
	else if (kw(k, kn, "RET"))
		bit = 8;
	else if (kw(k, kn, "ENVID"))
		bit = 16;
	else if (kw(k, kn, "AUTH"))
		bit = 32;
	else
		return bad(c, R_UNSUPP);
	if (*seen & bit)
		return bad(c, R_DUP);
	*seen |= bit;
	if (bit == 4) {
		if (hasv)
			return bad(c, "501 5.5.4 SMTPUTF8 takes no value");
		c->smtputf8 = true;
		return 0;
	}
	if (!hasv)
		return bad(c, "501 5.5.4 Parameter needs a value");
	switch (bit) {
	case 1:
		return param_size(c, v, vn);
	case 2:
		if (kw(v, vn, "7BIT"))
			c->body = SMTPCMD_BODY_7BIT;
		else if (kw(v, vn, "8BITMIME"))
			c->body = SMTPCMD_BODY_8BITMIME;
		else
			return bad(c, "555 5.5.4 Unsupported BODY type");
		return 0;
	case 8:
		if (kw(v, vn, "FULL"))
			(void)strlcpy(c->ret, "full", sizeof(c->ret));
		else if (kw(v, vn, "HDRS"))
			(void)strlcpy(c->ret, "hdrs", sizeof(c->ret));
		else
			return bad(c, "501 5.5.4 Bad RET parameter");
		return 0;
	case 16:
		if (xtext(v, vn, c->envid, sizeof(c->envid)) == -1)
			return bad(c, "501 5.5.4 Bad ENVID parameter");
		return 0;
	default:
		/* AUTH=: trusted from no one; checked for syntax only */
		if (vn == 0 || (!kw(v, vn, "<>") &&
		    xtext(v, vn, c->initial, sizeof(c->initial)) == -1))
			return bad(c, "501 5.5.4 Bad AUTH parameter");
		c->initial[0] = '\0';
		return 0;
	}
}

static int
notify_param(struct smtpcmd *c, const char *v, size_t vn)
{
	const char *w = v, *end = v + vn, *comma;
	size_t n;
	bool never = false, other = false;

	c->notify[0] = '\0';
	while (w < end) {
		if ((comma = memchr(w, ',', (size_t)(end - w))) == NULL)
			comma = end;
		n = (size_t)(comma - w);
		if (kw(w, n, "NEVER"))
			never = true;
		else if (kw(w, n, "SUCCESS") || kw(w, n, "FAILURE") ||
		    kw(w, n, "DELAY"))
			other = true;
		else
			return bad(c, "501 5.5.4 Bad NOTIFY parameter");
		if (c->notify[0] != '\0')
			(void)strlcat(c->notify, ",", sizeof(c->notify));
		for (size_t i = 0; i < n; i++) {
			char up[2] = { (char)toupper((unsigned char)w[i]),
			    '\0' };

			if (strlcat(c->notify, up, sizeof(c->notify)) >=
			    sizeof(c->notify))
				return bad(c, "501 5.5.4 Bad NOTIFY parameter");
		}
		w = comma + 1;
		if (comma == end)
			break;
		if (w == end)
			return bad(c, "501 5.5.4 Bad NOTIFY parameter");
	}
	if (vn == 0 || (never && other))
		return bad(c, "501 5.5.4 Bad NOTIFY parameter");
	return 0;
}

static int
orcpt_param(struct smtpcmd *c, const char *v, size_t vn)
{
	const char *semi = memchr(v, ';', vn);
	size_t tn;

	if (semi == NULL || (tn = (size_t)(semi - v)) == 0 ||
	    !is_keyword(v, tn) || tn + 2 >= sizeof(c->orcpt))
		return bad(c, "501 5.5.4 Bad ORCPT parameter");
	memcpy(c->orcpt, v, tn + 1);
	if (xtext(semi + 1, vn - tn - 1, c->orcpt + tn + 1,
	    sizeof(c->orcpt) - tn - 1) == -1 || c->orcpt[tn + 1] == '\0')
		return bad(c, "501 5.5.4 Bad ORCPT parameter");
	return 0;
}

static int
rcpt_param(struct smtpcmd *c, const char *k, size_t kn, const char *v,
    size_t vn, bool hasv, unsigned *seen)
{
	if (kw(k, kn, "NOTIFY")) {
		if (*seen & 1)
			return bad(c, R_DUP);
		*seen |= 1;
		if (!hasv)
			return bad(c, "501 5.5.4 Bad NOTIFY parameter");
		return notify_param(c, v, vn);
	}
	if (kw(k, kn, "ORCPT")) {
		if (*seen & 2)
			return bad(c, R_DUP);
		*seen |= 2;
		if (!hasv)
			return bad(c, "501 5.5.4 Bad ORCPT parameter");
		return orcpt_param(c, v, vn);
	}
	return bad(c, R_UNSUPP);
}

/* The parameters after a path: "KEY[=VALUE]" separated by spaces. */
static int
parse_params(struct smtpcmd *c, const char *p)
{
	const char *k, *eq, *v;
	size_t kn, vn;
	unsigned seen = 0;
	bool hasv;

	for (p = skip_sp(p); *p != '\0'; p = skip_sp(p)) {
		k = p;
		p += strcspn(p, " ");
		eq = memchr(k, '=', (size_t)(p - k));
		kn = (size_t)((eq != NULL ? eq : p) - k);
		hasv = eq != NULL;
		v = hasv ? eq + 1 : p;
		vn = (size_t)(p - v);
		if (!is_keyword(k, kn) || (hasv && (vn == 0 ||
		    memchr(v, '=', vn) != NULL)))
			return bad(c, "501 5.5.4 Syntax error in parameters");
		if (c->verb == SMTPCMD_MAIL) {
			if (mail_param(c, k, kn, v, vn, hasv, &seen) == -1)
				return -1;
		} else if (rcpt_param(c, k, kn, v, vn, hasv, &seen) == -1)
			return -1;
	}
	return 0;
}

static int
parse_mail_rcpt(struct smtpcmd *c)
{
	const char *pre = c->verb == SMTPCMD_MAIL ? "FROM:" : "TO:";
	const char *reply = c->verb == SMTPCMD_MAIL ?
	    "501 5.5.4 Syntax: MAIL FROM:<address>" :
	    "501 5.5.4 Syntax: RCPT TO:<address>";
	const char *p = c->arg, *end;
	size_t n = strlen(pre);

	if (strncasecmp(p, pre, n) != 0)
		return bad(c, reply);
	p = skip_sp(p + n);
	if (parse_path(c, p, &end, reply) == -1)
		return -1;
	if (*end != '\0' && *end != ' ')
		return bad(c, reply);
	return parse_params(c, end);
}

static int
parse_bdat(struct smtpcmd *c)
{
	const char *p = c->arg;
	uint64_t n = 0;
	size_t digits = 0;

	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return bad(c, "552 5.3.4 Chunk too big");
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0 || digits > 20)
		return bad(c, "501 5.5.4 Syntax: BDAT size [LAST]");
	p = skip_sp(p);
	if (strncasecmp(p, "LAST", 4) == 0 && *skip_sp(p + 4) == '\0')
		c->last = true;
	else if (*p != '\0')
		return bad(c, "501 5.5.4 Syntax: BDAT size [LAST]");
	c->chunk = n;
	return 0;
}

static int
parse_auth(struct smtpcmd *c)
{
	const char *p = c->arg;
	size_t n = strcspn(p, " ");

	if (n == 0 || n >= sizeof(c->mech) || !is_keyword(p, n))
		return bad(c, "501 5.5.4 Syntax: AUTH mechanism");
	memcpy(c->mech, p, n);
	c->mech[n] = '\0';
	p = skip_sp(p + n);
	if (strchr(p, ' ') != NULL)
		return bad(c, "501 5.5.4 Syntax: AUTH mechanism "
		    "[initial-response]");
	(void)strlcpy(c->initial, p, sizeof(c->initial));
	return 0;
}

/* The argument: after the verb's spaces, without trailing spaces. */
static void
copy_arg(struct smtpcmd *c, const char *line, size_t len, size_t at)
{
	while (at < len && line[at] == ' ')
		at++;
	while (len > at && line[len - 1] == ' ')
		len--;
	memcpy(c->arg, line + at, len - at);
	c->arg[len - at] = '\0';
}

/*
 * smtpcmd_parse - one command line of len bytes without its line end
 * into c; 0, or -1 with c->reply the reply to give
 */
int
smtpcmd_parse(const char *line, size_t len, struct smtpcmd *c)
{
	size_t vn;

	memset(c, 0, sizeof(*c));
	if (len > SMTPCMD_LINEMAX - 2)
		return bad(c, R_TOOLONG);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return bad(c, R_BADCHAR);
	for (vn = 0; vn < len && line[vn] != ' '; vn++)
		;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vn &&
		    strncasecmp(line, verbs[i].name, vn) == 0)
			c->verb = verbs[i].verb;
	if (c->verb == SMTPCMD_UNKNOWN)
		return bad(c, R_UNKNOWN);
	copy_arg(c, line, len, vn);
	switch (c->verb) {
	case SMTPCMD_HELO:
	case SMTPCMD_EHLO:
		if (c->arg[0] == '\0')
			return bad(c, c->verb == SMTPCMD_HELO ?
			    "501 5.5.4 Syntax: HELO hostname" :
			    "501 5.5.4 Syntax: EHLO hostname");
		return 0;
	case SMTPCMD_MAIL:
	case SMTPCMD_RCPT:
		return parse_mail_rcpt(c);
	case SMTPCMD_BDAT:
		return parse_bdat(c);
	case SMTPCMD_AUTH:
		return parse_auth(c);
	case SMTPCMD_VRFY:
	case SMTPCMD_EXPN:
		if (c->arg[0] == '\0')
			return bad(c, "501 5.5.4 Syntax: VRFY address");
		return 0;
	case SMTPCMD_NOOP:
	case SMTPCMD_HELP:
		return 0;
	default:
		if (c->arg[0] != '\0')
			return bad(c, R_NOARG);
		return 0;
	}
}
