/*
 * submit - turn a received message into spool writers.
 *
 * The virtual MTA of a recipient is, first to last: the one the submitter
 * forced (mta-inject -V), the X-Virtual-MTA header when the source may
 * use it (process-x-virtual-mta), the first matching rule of the
 * source's <pattern-list>, the source's default-virtual-mta; else none.
 * Recipients of different virtual MTAs go to different spool files.
 * The routing headers X-Virtual-MTA and X-Job are always removed: they
 * are for us, never for the recipient.  Errors: errno EINVAL, EFBIG or
 * EDESTADDRREQ for what the submitter got wrong, anything else for ours.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "dkimconf.h"
#include "envelope.h"
#include "msg.h"
#include "rx.h"
#include "spool.h"
#include "submit.h"
#include "suppress.h"

/* The strings a recipient points to belong to the config or the env. */
struct rcpt {
	struct buf	 addr;
	const char	*vmta;
	const char	*orcpt;
	const char	*notify;
};

struct job {
	const struct submit *s;
	const struct submit_env *env;
	struct msg	 msg;
	struct buf	 from;
	struct rcpt	*rcpt;
	size_t		 nrcpt;
	const char	*vmta;		/* forced or from the header */
	const char	*jobid;
	struct buf	 hdrjob;	/* X-Job's value, owned */
	struct buf	 hdrvmta;	/* X-Virtual-MTA's value, owned */
	struct buf	 acct[ENVELOPE_MAXHDR];	/* values of s->acct_hdr */
	char		*err;
	size_t		 errlen;
};

static int
fail(struct job *j, int e, const char *fmt, ...) PRINTFLIKE(3, 4);

static int
fail(struct job *j, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(j->err, j->errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* A source setting if its <source> sets it, else the global one. */
static const struct conf_directive *
setting(const struct submit *s, enum conf_id id)
{
	if (s->source.d[id] != NULL)
		return s->source.d[id];
	return conf_get(&s->global, id);
}

/* add a header name to those accounting asks for, once, 8 at most */
static void
acct_header_add(struct submit *s, const char *name)
{
	for (size_t i = 0; i < s->nacct_hdr; i++)
		if (strcmp(s->acct_hdr[i], name) == 0)
			return;
	if (s->nacct_hdr < ENVELOPE_MAXHDR)
		(void)strlcpy(s->acct_hdr[s->nacct_hdr++], name,
		    sizeof(s->acct_hdr[0]));
}

/* add the header_NAME fields of one record-fields value to s */
static void
acct_headers_of(struct submit *s, const char *spec)
{
	const char *p = spec + strcspn(spec, " \t");	/* after the type */
	char name[ENVELOPE_HDRNAMEMAX + 1];
	size_t n, k;

	for (p += strspn(p, ", \t"); *p != '\0'; p += strspn(p, ", \t")) {
		n = strcspn(p, ", \t");
		if (n > 7 && n - 7 <= ENVELOPE_HDRNAMEMAX &&
		    strncasecmp(p, "header_", 7) == 0) {
			for (k = 0; k < n - 7; k++) {
				name[k] = (char)tolower(
				    (unsigned char)p[7 + k]);
				if (!isalnum((unsigned char)name[k]) &&
				    name[k] != '-')
					break;
			}
			name[k] = '\0';
			if (k == n - 7)		/* else not a name */
				acct_header_add(s, name);
		}
		p += n;
	}
}

/*
 * The header fields the <acct-file> blocks name in record-fields: only
 * those are copied into envelopes, and none when no file asks.
 */
static void
acct_headers(struct submit *s, const struct conf *c)
{
	const struct conf_directive *d;

	for (const struct conf_block *b = conf_root(c)->child; b != NULL;
	    b = b->next) {
		if (b->scope != CONF_S_ACCT)
			continue;
		for (d = conf_block_next(b, NULL, CONF_RECORD_FIELDS);
		    d != NULL; d = conf_block_next(b, d, CONF_RECORD_FIELDS))
			if (!d->cleared && d->text != NULL)
				acct_headers_of(s, d->text);
	}
}

/*
 * submit_auth_source - the source name a client takes once it has
 * authenticated as user: its <smtp-user>'s source, else {auth}
 */
const char *
submit_auth_source(const struct conf *c, const char *user)
{
	const struct conf_block *b;
	const struct conf_directive *d;

	if ((b = conf_find_block(c, CONF_S_SMTP_USER, user)) != NULL &&
	    (d = conf_block_get(b, CONF_USER_SOURCE)) != NULL &&
	    d->str != NULL)
		return d->str;
	return "{auth}";
}

/*
 * submit_source_of - the <source> settings queued message e was
 * submitted under: with the name its source-name record keeps, as
 * submit_init() had them; for a file older than that record, from its
 * client address and AUTH user ({auth}, or the user's source), as
 * mta-smtpd resolves them, else mta-inject's {pickup}
 */
void
submit_source_of(const struct conf *c, const struct envelope *e,
    struct conf_settings *s)
{
	static const unsigned char local[4] = { 127, 0, 0, 1 };
	const char *src = e->source.len > 0 ? e->source.p : "local";
	const char *name = e->srcname.len > 0 ? e->srcname.p : NULL;
	unsigned char a[16];
	int af = AF_UNSPEC;

	if (strncmp(src, "smtp ", 5) == 0 && inet_pton(AF_INET, src + 5, a) ==
	    1)
		af = AF_INET;
	else if (strncmp(src, "smtp ", 5) == 0 && inet_pton(AF_INET6,
	    src + 5, a) == 1)
		af = AF_INET6;
	if (af == AF_UNSPEC) {
		conf_resolve_source(c, CONF_S_SOURCE, AF_INET, local,
		    name != NULL ? name : "{pickup}", s);
		return;
	}
	if (name == NULL && e->auth.len > 0)
		name = submit_auth_source(c, e->auth.p);
	conf_resolve_source(c, CONF_S_SOURCE, af, a, name, s);
}

/* submit_init - settings for messages from the client at addr */
int
submit_init(struct submit *s, const struct conf *c, struct spool *sp, int af,
    const void *addr, const char *srcname)
{
	const struct conf_directive *d;
	const char *host;

	memset(s, 0, sizeof(*s));
	s->conf = c;
	s->spool = sp;
	conf_resolve_global(c, &s->global);
	conf_resolve_source(c, CONF_S_SOURCE, af, addr, srcname, &s->source);
	/* into each envelope: mta-queue resolves the same settings */
	if (srcname != NULL && strlcpy(s->srcname, srcname,
	    sizeof(s->srcname)) >= sizeof(s->srcname)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((host = conf_str(&s->global, CONF_HOST_NAME)) != NULL) {
		if (strlcpy(s->hostname, host, sizeof(s->hostname)) >=
		    sizeof(s->hostname)) {
			errno = ENAMETOOLONG;
			return -1;
		}
	} else if (gethostname(s->hostname, sizeof(s->hostname)) == -1)
		return -1;
	d = setting(s, CONF_MAX_MESSAGE_SIZE);
	s->maxsize = d != NULL && d->num > 0 ? (uint64_t)d->num :
	    SUBMIT_HARDMAX;
	acct_headers(s, c);
	return 0;
}

/*
 * The values of the header fields accounting asks for, unfolded (CR
 * and LF dropped, the ends trimmed); the first field of each name.
 */
static int
copy_acct_headers(struct job *j)
{
	const char *v;
	size_t n;
	int i;

	for (size_t k = 0; k < j->s->nacct_hdr; k++) {
		buf_reset(&j->acct[k]);
		if ((i = msg_find(&j->msg, j->s->acct_hdr[k], 0)) == -1)
			continue;
		msg_value(&j->msg, (size_t)i, &v, &n);
		for (size_t m = 0; m < n; m++)
			if (v[m] != '\r' && v[m] != '\n' && v[m] != '\0' &&
			    (j->acct[k].len > 0 || (v[m] != ' ' &&
			    v[m] != '\t')) && buf_appendc(&j->acct[k], v[m])
			    == -1)
				return fail(j, errno, "out of memory");
		while (j->acct[k].len > 0 &&
		    (j->acct[k].p[j->acct[k].len - 1] == ' ' ||
		    j->acct[k].p[j->acct[k].len - 1] == '\t'))
			j->acct[k].len--;
	}
	return 0;
}

static bool
trusted(const struct job *j, enum conf_id id)
{
	const struct conf_directive *d = setting(j->s, id);

	return d != NULL && d->num != 0;
}

/* The value of a field without surrounding white space. */
static int
field_value(const struct msg *m, size_t i, struct buf *out)
{
	const char *v;
	size_t n;

	msg_value(m, i, &v, &n);
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	return buf_set(out, v, n);
}

/* Take X-Virtual-MTA and X-Job out of the message. */
static int
routing_headers(struct job *j)
{
	int i;

	while ((i = msg_find(&j->msg, "X-Virtual-MTA", 0)) != -1) {
		if (field_value(&j->msg, (size_t)i, &j->hdrvmta) == -1)
			return -1;
		msg_remove(&j->msg, (size_t)i);
	}
	while ((i = msg_find(&j->msg, "X-Job", 0)) != -1) {
		if (field_value(&j->msg, (size_t)i, &j->hdrjob) == -1)
			return -1;
		msg_remove(&j->msg, (size_t)i);
	}
	if (j->env->vmta != NULL)
		j->vmta = j->env->vmta;
	else if (j->hdrvmta.len > 0 && trusted(j, CONF_PROCESS_X_VIRTUAL_MTA))
		j->vmta = j->hdrvmta.p;
	if (j->env->job != NULL)
		j->jobid = j->env->job;
	else if (j->hdrjob.len > 0 && trusted(j, CONF_PROCESS_X_JOB))
		j->jobid = j->hdrjob.p;
	return 0;
}

static int
add_rcpt(struct job *j, const char *a, size_t n, const char *orcpt,
    const char *notify)
{
	struct rcpt *r;
	struct buf norm = BUF_INIT;
	char why[128];

	if (addr_parse(a, n, &norm, ADDR_UTF8, why, sizeof(why)) == -1) {
		buf_free(&norm);
		if (errno != EINVAL)
			return fail(j, errno, "out of memory");
		return fail(j, EINVAL, "bad recipient address: %s", why);
	}
	for (size_t i = 0; i < j->nrcpt; i++)
		if (strcmp(j->rcpt[i].addr.p, norm.p) == 0) {
			buf_free(&norm);
			return 0;	/* the same recipient twice */
		}
	if (j->nrcpt >= ENVELOPE_MAXRCPT) {
		buf_free(&norm);
		return fail(j, EINVAL, "too many recipients (at most %d)",
		    ENVELOPE_MAXRCPT);
	}
	if ((r = reallocarray(j->rcpt, j->nrcpt + 1, sizeof(*r))) == NULL) {
		buf_free(&norm);
		return fail(j, errno, "out of memory");
	}
	j->rcpt = r;
	j->rcpt[j->nrcpt].addr = norm;
	j->rcpt[j->nrcpt].vmta = NULL;
	j->rcpt[j->nrcpt].orcpt = orcpt;
	j->rcpt[j->nrcpt].notify = notify != NULL ? notify : j->env->notify;
	j->nrcpt++;
	return 0;
}

static int
add_rcpt_cb(void *arg, const char *a, size_t n)
{
	return add_rcpt(arg, a, n, NULL, NULL);
}

/* -t: recipients from To, Cc and Bcc; Bcc is then removed. */
static int
extract_rcpts(struct job *j)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	const char *v;
	size_t n;
	int i;

	for (size_t f = 0; f < 3; f++)
		for (i = msg_find(&j->msg, fields[f], 0); i != -1;
		    i = msg_find(&j->msg, fields[f], (size_t)i + 1)) {
			msg_value(&j->msg, (size_t)i, &v, &n);
			if (msg_addrlist(v, n, add_rcpt_cb, j) == -1)
				return -1;
		}
	while ((i = msg_find(&j->msg, "Bcc", 0)) != -1)
		msg_remove(&j->msg, (size_t)i);
	return 0;
}

static int
check_sender(struct job *j)
{
	const struct passwd *pw;
	struct buf user = BUF_INIT;
	char why[128];
	int r;

	if (j->env->from != NULL)
		r = addr_parse(j->env->from, strlen(j->env->from), &j->from,
		    ADDR_UTF8 | ADDR_ALLOW_NULL, why, sizeof(why));
	else {
		/* user@host, parsed into j->from: not in place */
		pw = getpwuid(getuid());
		if (buf_appendf(&user, "%s@%s", pw != NULL ? pw->pw_name :
		    "nobody", j->s->hostname) == -1)
			return fail(j, errno, "out of memory");
		r = addr_parse(user.p, user.len, &j->from,
		    ADDR_UTF8 | ADDR_ALLOW_NULL, why, sizeof(why));
		buf_free(&user);
	}
	if (r == -1)
		return fail(j, errno == EINVAL ? EINVAL : errno,
		    "bad sender address: %s", why);
	return 0;
}

/* Does rule m match recipient r of this message? */
static bool
rule_matches(const struct job *j, const struct conf_match_rule *m,
    const struct rcpt *r)
{
	struct buf v = BUF_INIT;
	bool hit = false;
	int i;

	switch (m->kind) {
	case CONF_MATCH_MAIL_FROM:
		return rx_match(m->rx, j->from.p ? j->from.p : "",
		    j->from.len);
	case CONF_MATCH_RCPT_TO:
		return rx_match(m->rx, r->addr.p, r->addr.len);
	case CONF_MATCH_HEADER:
		for (i = msg_find(&j->msg, m->header, 0); i != -1 && !hit;
		    i = msg_find(&j->msg, m->header, (size_t)i + 1))
			if (field_value(&j->msg, (size_t)i, &v) == 0)
				hit = rx_match(m->rx, buf_cstr(&v), v.len);
		buf_free(&v);
		return hit;
	}
	return false;
}

/* The first rule of the source's <pattern-list> that names a vmta. */
static const char *
pattern_vmta(const struct job *j, const struct rcpt *r)
{
	const struct conf_block *pl;
	const char *name;

	if ((name = conf_str(&j->s->source, CONF_PATTERN_LIST)) == NULL ||
	    (pl = conf_find_block(j->s->conf, CONF_S_PATTERNS, name)) == NULL)
		return NULL;
	for (const struct conf_directive *d = pl->dirs; d != NULL;
	    d = d->next) {
		const struct conf_match_rule *m = d->obj;

		if (d->def->type != CONF_T_MATCH_RULE || m == NULL ||
		    m->vmta == NULL)
			continue;
		if (rule_matches(j, m, r))
			return m->vmta;
	}
	return NULL;
}

static int
route(struct job *j)
{
	const char *def = conf_str(&j->s->source, CONF_DEFAULT_VIRTUAL_MTA);

	for (size_t i = 0; i < j->nrcpt; i++) {
		struct rcpt *r = &j->rcpt[i];

		if ((r->vmta = j->vmta) == NULL &&
		    (r->vmta = pattern_vmta(j, r)) == NULL)
			r->vmta = def;
		if (r->vmta != NULL && *r->vmta == '\0')
			r->vmta = NULL;
		if (r->vmta != NULL && conf_find_block(j->s->conf, CONF_S_VMTA,
		    r->vmta) == NULL && conf_find_block(j->s->conf,
		    CONF_S_POOL, r->vmta) == NULL)
			return fail(j, EINVAL, "unknown virtual MTA \"%s\"",
			    r->vmta);
	}
	return 0;
}

static bool
same_vmta(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* One envelope and writer for the recipients of virtual MTA vmta. */
static struct spool_writer *
open_writer(struct job *j, const char *vmta, time_t now)
{
	const struct submit_env *env = j->env;
	struct spool_writer *w = NULL;
	struct envelope e;
	char why[256];

	envelope_init(&e);
	e.time = now;
	if (buf_set(&e.from, j->from.p ? j->from.p : "", j->from.len) == -1 ||
	    (vmta != NULL && buf_appends(&e.vmta, vmta) == -1) ||
	    (j->jobid != NULL && buf_appends(&e.job, j->jobid) == -1) ||
	    (env->envid != NULL && buf_appends(&e.envid, env->envid) == -1) ||
	    (env->ret != NULL && buf_appends(&e.ret, env->ret) == -1) ||
	    buf_appends(&e.source, env->source ? env->source : "local") ==
	    -1 || (env->auth != NULL && buf_appends(&e.auth, env->auth) == -1) ||
	    buf_appends(&e.srcname, j->s->srcname) == -1)
		goto nomem;
	for (size_t k = 0; k < j->s->nacct_hdr; k++)
		if (j->acct[k].len > 0 && envelope_add_header(&e,
		    j->s->acct_hdr[k], j->acct[k].p, j->acct[k].len) == -1)
			goto nomem;
	for (size_t i = 0; i < j->nrcpt; i++)
		if (same_vmta(j->rcpt[i].vmta, vmta) && envelope_add_rcpt(&e,
		    j->rcpt[i].addr.p, j->rcpt[i].orcpt, j->rcpt[i].notify) ==
		    -1)
			goto nomem;
	if ((w = spool_writer_new(j->s->spool, &e, why, sizeof(why))) == NULL)
		(void)fail(j, errno, "%s", why);
	envelope_free(&e);
	return w;
nomem:
	envelope_free(&e);
	(void)fail(j, errno, "out of memory");
	return NULL;
}

/* Message-ID and Date, when the message has none and the source agrees. */
static int
add_headers(struct job *j, const char *qid, time_t now)
{
	char v[320];
	int i;

	if (msg_find(&j->msg, "Message-ID", 0) == -1 &&
	    trusted(j, CONF_ADD_MESSAGE_ID_HEADER)) {
		(void)snprintf(v, sizeof(v), "<%s@%s>", qid, j->s->hostname);
		if (msg_append(&j->msg, "Message-ID", v) == -1)
			return fail(j, errno, "out of memory");
	}
	/* add-date-header override: our Date replaces the sender's. */
	if (setting(j->s, CONF_ADD_DATE_HEADER)->num == 2)
		while ((i = msg_find(&j->msg, "Date", 0)) != -1)
			msg_remove(&j->msg, (size_t)i);
	if (msg_find(&j->msg, "Date", 0) == -1 &&
	    trusted(j, CONF_ADD_DATE_HEADER)) {
		if (msg_date(now, v, sizeof(v)) == -1 ||
		    msg_append(&j->msg, "Date", v) == -1)
			return fail(j, errno, "out of memory");
	}
	return 0;
}

/* The virtual MTA of writer w: the w-th one recipients name. */
static const char *
writer_vmta(const struct job *j, size_t w)
{
	size_t n = 0, k;

	for (size_t i = 0; i < j->nrcpt; i++) {
		for (k = 0; k < i; k++)
			if (same_vmta(j->rcpt[k].vmta, j->rcpt[i].vmta))
				break;
		if (k == i && n++ == w)
			return j->rcpt[i].vmta;
	}
	return NULL;
}

/*
 * The DKIM-Signature fields for the file of one virtual MTA.  Signing
 * happens here, once, over the bytes the file will hold: retries send
 * the same bytes and never sign again.  A key that cannot be read fails
 * the message (EAGAIN: the sender may try again once the key is fixed).
 */
static int
sign_message(struct job *j, const char *vmta, time_t now, struct buf *sig)
{
	const struct msg *m = &j->msg;
	struct dkimconf_msg dm;
	const char **rcpt;
	char why[512];
	size_t n = 0;
	int rc;

	if ((rcpt = reallocarray(NULL, j->nrcpt, sizeof(*rcpt))) == NULL)
		return fail(j, errno, "out of memory");
	for (size_t i = 0; i < j->nrcpt; i++)
		if (same_vmta(j->rcpt[i].vmta, vmta))
			rcpt[n++] = j->rcpt[i].addr.p;
	memset(&dm, 0, sizeof(dm));
	dm.vmta = vmta;
	dm.rcpt = rcpt;
	dm.nrcpt = n;
	dm.head = m->head.p ? m->head.p : "";
	dm.headlen = m->head.len;
	dm.body = m->body.p ? m->body.p : "";
	dm.bodylen = m->body.len;
	dm.now = now;
	rc = dkimconf_sign(j->s->conf, &dm, sig, why, sizeof(why));
	free(rcpt);
	if (rc == -1)
		return fail(j, errno == ENOMEM ? ENOMEM : EAGAIN, "%s", why);
	return 0;
}

static int
write_message(struct job *j, struct submit_out *out, time_t now)
{
	const struct msg *m = &j->msg;
	struct buf sig = BUF_INIT;

	for (size_t i = 0; i < out->n; i++) {
		buf_reset(&sig);
		if (sign_message(j, writer_vmta(j, i), now, &sig) == -1) {
			buf_free(&sig);
			return -1;
		}
		if (spool_writer_write(out->w[i], sig.p ? sig.p : "",
		    sig.len) == -1) {
			buf_free(&sig);
			return fail(j, errno, "tmp/%s: write: %s",
			    spool_writer_qid(out->w[i]), strerror(errno));
		}
	}
	buf_free(&sig);
	for (size_t i = 0; i < out->n; i++)
		if (spool_writer_write(out->w[i], m->head.p ? m->head.p : "",
		    m->head.len) == -1 ||
		    spool_writer_write(out->w[i], "\r\n", 2) == -1 ||
		    spool_writer_write(out->w[i], m->body.p ? m->body.p : "",
		    m->body.len) == -1)
			return fail(j, errno, "tmp/%s: write: %s",
			    spool_writer_qid(out->w[i]), strerror(errno));
	return 0;
}

/* Open one writer per virtual MTA, in the order recipients name them. */
static int
open_writers(struct job *j, struct submit_out *out, time_t now)
{
	for (size_t i = 0; i < j->nrcpt; i++) {
		size_t k;

		for (k = 0; k < i; k++)
			if (same_vmta(j->rcpt[k].vmta, j->rcpt[i].vmta))
				break;
		if (k < i)
			continue;
		if (out->n == SUBMIT_MAXSPLIT)
			return fail(j, EINVAL, "recipients need more than %d "
			    "virtual MTAs", SUBMIT_MAXSPLIT);
		if ((out->w[out->n] = open_writer(j, j->rcpt[i].vmta, now)) ==
		    NULL)
			return -1;
		out->n++;
	}
	return 0;
}

/*
 * The suppression lists of a source, for a caller that brings none:
 * built once for a config, source and spool, as mta-inject (one source
 * a process) needs them.
 */
static struct {
	const struct conf *conf;
	const struct conf_directive *names;
	struct spool	*spool;
	struct suppress	*store;
	struct suppress_set *set;
} supp;

static int
suppress_lists(struct job *j)
{
	const struct conf_directive *d = setting(j->s, CONF_SUPPRESSION_LISTS);
	char why[512];

	if (supp.set != NULL && supp.conf == j->s->conf && supp.names == d &&
	    supp.spool == j->s->spool)
		return 0;
	suppress_set_free(supp.set);
	supp.set = NULL;
	if (supp.store == NULL || supp.spool != j->s->spool) {
		suppress_close(supp.store);
		supp.store = NULL;
		if ((supp.store = suppress_open(spool_dir(j->s->spool), 0,
		    why, sizeof(why))) == NULL)
			return fail(j, EAGAIN, "suppression list: %s", why);
		supp.spool = j->s->spool;
	}
	if ((supp.set = suppress_set_new(j->s->conf, supp.store,
	    d != NULL && !d->cleared ? d->text : NULL, why,
	    sizeof(why))) == NULL)
		return fail(j, EAGAIN, "%s", why);
	supp.conf = j->s->conf;
	supp.names = d;
	return 0;
}

/*
 * check_suppressed - refuse the message if a recipient from the first
 * on is suppressed: by the caller's lists, else the source's
 */
static int
check_suppressed(struct job *j, size_t first)
{
	struct suppress_set *set = j->env->supp;
	struct suppress_match m;
	int rc;

	if (first == j->nrcpt)
		return 0;
	if (set == NULL) {
		if (suppress_lists(j) == -1)
			return -1;
		set = supp.set;
	}
	for (size_t i = first; i < j->nrcpt; i++) {
		if ((rc = suppress_check(set, j->rcpt[i].addr.p, &m)) == -1)
			return fail(j, EAGAIN, "suppression list: %s",
			    strerror(errno));
		if (rc == 1)
			return fail(j, EINVAL, "<%s>: recipient is in "
			    "suppression list \"%s\"", j->rcpt[i].addr.p,
			    m.list);
	}
	return 0;
}

static int
prepare(struct job *j, const char *data, size_t len, struct submit_out *out)
{
	const struct submit_env *env = j->env;
	time_t now = time(NULL);
	size_t checked;

	if (len > j->s->maxsize)
		return fail(j, EFBIG, "message too big: %zu bytes, the limit "
		    "is %llu", len, (unsigned long long)j->s->maxsize);
	if (msg_parse(&j->msg, data, len, j->err, j->errlen) == -1)
		return -1;
	if (msg_size(&j->msg) > j->s->maxsize)
		return fail(j, EFBIG, "message too big: %zu bytes, the limit "
		    "is %llu", msg_size(&j->msg),
		    (unsigned long long)j->s->maxsize);
	/* before routing_headers() takes X-Job out */
	if (copy_acct_headers(j) == -1 || routing_headers(j) == -1 ||
	    check_sender(j) == -1)
		return -1;
	for (size_t i = 0; i < env->nrcpt; i++)
		if (add_rcpt(j, env->rcpt[i], strlen(env->rcpt[i]),
		    env->rcpt_orcpt ? env->rcpt_orcpt[i] : NULL,
		    env->rcpt_notify ? env->rcpt_notify[i] : NULL) == -1)
			return -1;
	checked = env->supp != NULL ? j->nrcpt : 0;
	if (env->extract && extract_rcpts(j) == -1)
		return -1;
	if (j->nrcpt == 0)
		return fail(j, EDESTADDRREQ, "no recipients");
	if (check_suppressed(j, checked) == -1)
		return -1;
	if (route(j) == -1 || open_writers(j, out, now) == -1 ||
	    add_headers(j, spool_writer_qid(out->w[0]), now) == -1)
		return -1;
	return write_message(j, out, now);
}

/* submit_message - the spool writers for one message, not yet committed */
int
submit_message(struct submit *s, const struct submit_env *env,
    const char *data, size_t len, struct submit_out *out, char *err,
    size_t errlen)
{
	struct job j;
	int rc, save;

	memset(&j, 0, sizeof(j));
	j.s = s;
	j.env = env;
	j.err = err;
	j.errlen = errlen;
	msg_init(&j.msg);
	out->n = 0;
	if ((rc = prepare(&j, data, len, out)) == -1) {
		save = errno;
		submit_abort(out);
		errno = save;
	}
	save = errno;
	msg_free(&j.msg);
	buf_free(&j.from);
	buf_free(&j.hdrjob);
	buf_free(&j.hdrvmta);
	for (size_t k = 0; k < s->nacct_hdr; k++)
		buf_free(&j.acct[k]);
	for (size_t i = 0; i < j.nrcpt; i++)
		buf_free(&j.rcpt[i].addr);
	free(j.rcpt);
	errno = save;
	return rc;
}

/* submit_abort - discard the writers of a message not committed */
void
submit_abort(struct submit_out *out)
{
	for (size_t i = 0; i < out->n; i++)
		spool_writer_abort(out->w[i]);
	out->n = 0;
}
