/*
 * conf_test - the configuration reader, checker and resolver.
 *
 * The example files of ../shared/examples are the acceptance set; the
 * small configs below each test one rule.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "harness.h"

#define EXAMPLES	"../shared/examples"

static char tmpdir[] = "/tmp/conf_test.XXXXXX";

/* Write text to tmpdir/name and return the path (static buffer). */
static const char *
write_conf(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return path;
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* The line numbers of the errors, as "4,5,6", for comparison. */
static void
error_lines(const struct conf *c, char *out, size_t len)
{
	char *text = NULL, *line, *save;
	size_t tlen = 0;
	FILE *fp;
	int n;

	out[0] = '\0';
	if ((fp = open_memstream(&text, &tlen)) == NULL)
		return;
	conf_print_diags(c, fp);
	fclose(fp);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "Error in line %d", &n) == 1)
			snprintf(out + strlen(out), len - strlen(out), "%s%d",
			    out[0] ? "," : "", n);
	free(text);
}

/* The diagnostics as one string. */
static char *
diags(const struct conf *c)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &tlen)) == NULL)
		return NULL;
	conf_print_diags(c, fp);
	fclose(fp);
	return text;
}

static void
check_diag(const char *conf_text, const char *want_lines,
    const char *want_substr)
{
	struct conf *c;
	char lines[256], *d;

	c = conf_load(write_conf("t.conf", conf_text));
	CHECK(c != NULL);
	if (c == NULL)
		return;
	error_lines(c, lines, sizeof(lines));
	CHECK_STR(lines, want_lines);
	d = diags(c);
	if (want_substr != NULL && (d == NULL || strstr(d, want_substr) ==
	    NULL))
		test_fail(__FILE__, __LINE__, "diagnostics: got \"%s\", "
		    "want one with \"%s\"", d ? d : "", want_substr);
	free(d);
	conf_free(c);
}

TEST(examples_check_clean)
{
	const char *files[] = { "production.conf", "minimal.conf",
	    "pmta-syntax.conf" };
	char path[256], lines[256];

	for (size_t i = 0; i < 3; i++) {
		struct conf *c;

		snprintf(path, sizeof(path), "%s/%s", EXAMPLES, files[i]);
		c = conf_load(path);
		CHECK(c != NULL);
		if (c == NULL)
			continue;
		error_lines(c, lines, sizeof(lines));
		CHECK_STR(lines, "");
		CHECK_INT(conf_errors(c), 0);
		conf_free(c);
	}
}

TEST(broken_reports_every_line)
{
	struct conf *c;
	char lines[256];

	c = conf_load(EXAMPLES "/broken.conf");
	CHECK(c != NULL);
	if (c == NULL)
		return;
	error_lines(c, lines, sizeof(lines));
	CHECK_STR(lines, "4,5,6,8,10,12,14,15");
	conf_free(c);
}

static struct conf *
load_syntax(void)
{
	return conf_load(EXAMPLES "/pmta-syntax.conf");
}

static void
check_queue_num(struct conf *c, const char *dom, const char *vmta,
    enum conf_id id, int64_t want)
{
	struct conf_settings s;

	conf_resolve_queue(c, dom, vmta, &s);
	if (conf_num(&s, id) != want)
		test_fail(__FILE__, __LINE__, "%s/%s %s: got %lld, want %lld",
		    dom, vmta ? vmta : "", conf_defs[id].name,
		    (long long)conf_num(&s, id), (long long)want);
}

TEST(resolution_explicit_beats_macro)
{
	struct conf *c = load_syntax();

	check_queue_num(c, "yahoo.com", NULL, CONF_MAX_SMTP_OUT, 12);
	check_queue_num(c, "yahoo.de", NULL, CONF_MAX_SMTP_OUT, 8);
	check_queue_num(c, "yahoo.co.uk", NULL, CONF_MAX_SMTP_OUT, 8);
	check_queue_num(c, "ymail.com", NULL, CONF_MAX_SMTP_OUT, 8);
	check_queue_num(c, "YMAIL.COM", NULL, CONF_MAX_SMTP_OUT, 8);
	check_queue_num(c, "yahoo.fr", NULL, CONF_MAX_SMTP_OUT, 20);
	conf_free(c);
}

TEST(resolution_specific_wins_whatever_the_order)
{
	struct conf *c = load_syntax();

	check_queue_num(c, "discard.example.org", NULL, CONF_BOUNCE_AFTER,
	    3600);
	check_queue_num(c, "example.org", NULL, CONF_BOUNCE_AFTER,
	    (7 + 2) * 86400 + 12 * 3600);
	check_queue_num(c, "a.b.example.org", NULL, CONF_BOUNCE_AFTER,
	    (7 + 2) * 86400 + 12 * 3600);
	check_queue_num(c, "a.example.org", NULL, CONF_LOG_COMMANDS, 1);
	check_queue_num(c, "example.org", NULL, CONF_LOG_COMMANDS, 0);
	check_queue_num(c, "notexample.org", NULL, CONF_BOUNCE_AFTER,
	    4 * 86400 + 12 * 3600);
	/* "" clears what [*.]example.org set: back to the default. */
	check_queue_num(c, "inherited.example.org", NULL, CONF_BOUNCE_AFTER,
	    4 * 86400 + 12 * 3600);
	conf_free(c);
}

TEST(resolution_vmta_and_pool)
{
	struct conf *c = load_syntax();
	struct conf_settings s;

	check_queue_num(c, "gmail.com", NULL, CONF_MAX_SMTP_OUT, 20);
	check_queue_num(c, "gmail.com", "mta1", CONF_MAX_SMTP_OUT, 4);
	check_queue_num(c, "gmail.com", "mta2", CONF_MAX_SMTP_OUT, 4);
	check_queue_num(c, "gmail.com", "mta1", CONF_DKIM_SIGN, 1);
	check_queue_num(c, "gmail.com", "mta2", CONF_DKIM_SIGN, 0);
	/* The pool's <domain *> beats the global <domain yahoo.com>. */
	check_queue_num(c, "yahoo.com", "mta1", CONF_MAX_SMTP_OUT, 4);
	/* An included file's blocks count like the others. */
	check_queue_num(c, "icloud.com", NULL, CONF_MAX_SMTP_OUT, 10);
	check_queue_num(c, "me.com", NULL, CONF_MAX_MSG_PER_CONNECTION, 100);
	conf_resolve_queue(c, "gmail.com", NULL, &s);
	CHECK_INT(((const struct confval_intervals *)conf_obj(&s,
	    CONF_RETRY_AFTER))->n, 6);
	conf_free(c);
}

static void
check_queue_str(struct conf *c, const char *dom, const char *vmta,
    enum conf_id id, const char *want)
{
	struct conf_settings s;

	conf_resolve_queue(c, dom, vmta, &s);
	CHECK_STR(conf_str(&s, id), want);
}

TEST(resolution_longer_suffix_and_layers)
{
	struct conf *c;

	c = conf_load(write_conf("layers.conf",
	    "<domain *.org>\nmax-smtp-out 1\nehlo-hostname g.example\n"
	    "</domain>\n"
	    "<domain [*.]mail.example.org>\nmax-smtp-out 2\n</domain>\n"
	    "<domain *.mail.example.org>\nmax-smtp-out 3\n</domain>\n"
	    "<virtual-mta v>\nehlo-hostname v.example\n</virtual-mta>\n"
	    "<virtual-mta w>\nehlo-hostname w.example\n<domain *>\n"
	    "ehlo-hostname wd.example\n</domain>\n</virtual-mta>\n"));
	CHECK_INT(conf_errors(c), 0);
	/* A longer suffix beats a shorter one, whatever the kind. */
	check_queue_num(c, "mail.example.org", NULL, CONF_MAX_SMTP_OUT, 2);
	/* For the same suffix "*.x" beats "[*.]x". */
	check_queue_num(c, "a.mail.example.org", NULL, CONF_MAX_SMTP_OUT, 3);
	check_queue_num(c, "x.org", NULL, CONF_MAX_SMTP_OUT, 1);
	/* The vmta's own layer beats the global <domain> blocks. */
	check_queue_str(c, "x.org", NULL, CONF_EHLO_HOSTNAME, "g.example");
	check_queue_str(c, "x.org", "v", CONF_EHLO_HOSTNAME, "v.example");
	check_queue_str(c, "x.org", "w", CONF_EHLO_HOSTNAME, "wd.example");
	conf_free(c);
}

TEST(resolution_literal_and_rate)
{
	struct conf *c = load_syntax();
	const struct confval_hosts *h;
	const struct confval_rate *r;
	struct conf_settings s;

	conf_resolve_queue(c, "[127.0.0.5]", NULL, &s);
	h = conf_obj(&s, CONF_SMTP_HOSTS);
	CHECK(h != NULL);
	if (h != NULL) {
		CHECK_INT(h->n, 1);
		CHECK_INT(h->h[0].port, 2526);
	}
	conf_resolve_queue(c, "example.org", NULL, &s);
	r = conf_obj(&s, CONF_MAX_MSG_RATE);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_UINT(r->count, 83);
		CHECK_UINT(r->per, 600);
	}
	conf_resolve_queue(c, "relay.example.org", NULL, &s);
	CHECK_STR(conf_str(&s, CONF_QUEUE_TO), "relay.queue");
	CHECK_INT(conf_num(&s, CONF_USE_STARTTLS), 0);	/* "yes" */
	conf_free(c);
}

TEST(resolution_sources)
{
	struct conf *c = load_syntax();
	const unsigned char lo1[4] = { 127, 0, 0, 1 };
	const unsigned char lo2[4] = { 127, 0, 0, 2 };
	const unsigned char far[4] = { 192, 0, 2, 1 };
	struct conf_settings s;

	conf_resolve_source(c, CONF_S_SOURCE, AF_INET, lo1, NULL, &s);
	CHECK(conf_bool(&s, CONF_ALWAYS_ALLOW_RELAYING));
	CHECK(conf_bool(&s, CONF_PROCESS_X_VIRTUAL_MTA));
	CHECK_STR(conf_str(&s, CONF_DEFAULT_VIRTUAL_MTA), "mta1");
	CHECK(conf_get(&s, CONF_SMTP_SERVICE)->line == 25);
	conf_resolve_source(c, CONF_S_SOURCE, AF_INET, lo2, NULL, &s);
	CHECK(!conf_bool(&s, CONF_ALWAYS_ALLOW_RELAYING));
	CHECK(conf_bool(&s, CONF_SMTP_SERVICE));
	conf_resolve_source(c, CONF_S_SOURCE, AF_INET, lo2, "{auth}", &s);
	CHECK(conf_bool(&s, CONF_ALWAYS_ALLOW_RELAYING));
	conf_resolve_source(c, CONF_S_SOURCE, AF_INET, far, NULL, &s);
	CHECK(!conf_bool(&s, CONF_ALWAYS_ALLOW_RELAYING));
	CHECK(!conf_bool(&s, CONF_PROCESS_X_JOB));
	conf_free(c);
}

TEST(rules_are_lists)
{
	struct conf *c = load_syntax();
	const struct conf_block *b;
	const struct conf_directive *d;
	int n = 0;

	b = conf_find_block(c, CONF_S_SMTP_PATTERNS, "provider-errors");
	CHECK(b != NULL);
	if (b == NULL) {
		conf_free(c);
		return;
	}
	for (d = conf_block_next(b, NULL, CONF_REPLY); d != NULL;
	    d = conf_next(d))
		n++;
	CHECK_INT(n, 8);
	d = conf_block_next(b, NULL, CONF_REPLY);
	CHECK_INT(((struct conf_reply_rule *)d->obj)->actions,
	    CONF_ACT_BACKOFF);
	conf_free(c);
}

TEST(production_retry_rules)
{
	struct conf *c = conf_load(EXAMPLES "/production.conf");
	const struct conf_directive *d;
	const struct conf_retry_rule *r;
	struct conf_settings s;
	int n = 0;

	conf_resolve_queue(c, "gmail.com", NULL, &s);
	for (d = s.d[CONF_RETRY_RULE]; d != NULL; d = conf_next(d))
		n++;
	CHECK_INT(n, 2);
	d = s.d[CONF_RETRY_RULE];
	CHECK(d != NULL);
	if (d != NULL) {
		r = d->obj;
		CHECK_INT(r->code, 421);
		CHECK_STR(r->match, "4.7.0");
		CHECK_INT(r->delay, 900);
	}
	/* The reply rules do not replace the interval list of <domain *>. */
	CHECK(conf_obj(&s, CONF_RETRY_AFTER) != NULL);
	conf_free(c);
}

TEST(nesting_rules)
{
	check_diag("<domain x.example>\n<virtual-mta v>\n</virtual-mta>\n"
	    "</domain>\n", "2", "<virtual-mta> is not allowed in <domain>");
	check_diag("<domain *>\n</domain>\n<spool /x>\n<spool /y>\n</spool>\n"
	    "</spool>\n", "4", "<spool> is not allowed in <spool>");
	check_diag("<domain a.example>\n<domain b.example>\n</domain>\n"
	    "</domain>\n", "2", "not allowed");
	check_diag("<virtual-mta v>\n<domain *>\nmax-smtp-out 3\n</domain>\n"
	    "</virtual-mta v>\n", "", NULL);
	check_diag("<virtual-mta v>\n</virtual-mta w>\n", "2",
	    "does not match");
	check_diag("<virtual-mta v>\n</domain>\n</virtual-mta>\n", "2",
	    "does not match");
	check_diag("<nonsense x>\nfoo bar\n</nonsense>\n", "1",
	    "unknown block <nonsense>");
	check_diag("<virtual-mta v>\n</virtual-mta>\n<virtual-mta v>\n"
	    "</virtual-mta>\n", "3", "already defined");
	check_diag("<domain *\n", "1", "tag without");
}

TEST(directives_in_wrong_place)
{
	check_diag("records d\n", "1", "not allowed in the global scope");
	check_diag("<domain *>\nhost-name x.example\n</domain>\n", "2",
	    "not allowed in <domain>");
	check_diag("max-smtp-outt 3\n", "1", "did you mean \"max-smtp-out\"");
	check_diag("zzzzzzzzzzzzzzzzzz 3\n", "1", "unknown directive");
	check_diag("host-name\n", "1", "missing value");
	check_diag("retry-after 421 4.7.0 15m\n", "1", "belongs in a <domain>");
}

TEST(values)
{
	check_diag("<domain *>\nmax-msg-rate 10/fortnight\n</domain>\n", "2",
	    "max-msg-rate");
	check_diag("<domain *>\nuse-starttls perhaps\n</domain>\n", "2",
	    "is not one of");
	check_diag("<domain *>\nbounce-after never\n</domain>\n", "", NULL);
	check_diag("<domain *>\nretry-after never\n</domain>\n", "2", NULL);
	check_diag("<domain *>\nmax-smtp-out 99999999999999999999\n</domain>\n",
	    "2", NULL);
	check_diag("postmaster \"not an address\"\n", "1", "postmaster");
	check_diag("host-name \"mx.example.net\"\n", "", NULL);
	check_diag("host-name \"unterminated\n", "1", "unterminated");
	check_diag("<smtp-pattern-list p>\nreply /x/ explode\n"
	    "</smtp-pattern-list>\n", "2", "unknown action");
	check_diag("<smtp-pattern-list p>\nreply /(/ mode=backoff\n"
	    "</smtp-pattern-list>\n", "2", "bad regular expression");
	check_diag("<smtp-pattern-list p>\nreply /a\\/b/ mode=backoff\n"
	    "</smtp-pattern-list>\n", "", NULL);
	check_diag("<bounce-category-patterns>\n/x/ not-a-category\n"
	    "</bounce-category-patterns>\n", "2", "unknown bounce category");
	check_diag("<acct-file /x.csv>\nrecords d, zz\n</acct-file>\n", "2",
	    "unknown record type");
	check_diag("<virtual-mta v>\nsmtp-source-host 300.1.1.1 x.example\n"
	    "</virtual-mta>\n", "2", "not an IP address");
	check_diag("<virtual-mta v>\ndomain-key k1,example.net\n"
	    "</virtual-mta>\n", "2", "SELECTOR,DOMAIN,KEYFILE");
	check_diag("<domain $nope>\n</domain>\n", "1", "not defined");
	check_diag("<domain *>\nsmtp-pattern-list missing\n</domain>\n", "2",
	    "\"missing\" is not defined");
	check_diag("<virtual-mta-pool p>\nvirtual-mta ghost\n"
	    "</virtual-mta-pool>\n", "2", "\"ghost\" is not defined");
}

/* <bounce-action>: its own "type" row, apart from <domain-key>'s */
TEST(bounce_action)
{
	const struct conf_block *b;
	struct conf *c;

	check_diag("<bounce-action>\ntype permanent\nmatch bad-mailbox, "
	    "bad-domain\naction suppress\n</bounce-action>\n"
	    "<bounce-action x>\ntype TRANSIENT\nmatch spam-related\n"
	    "action retry\nretry-after 6h, 12h\nmax-tries 3\n"
	    "</bounce-action>\n", "", NULL);
	check_diag("<bounce-action>\ntype dkim\n</bounce-action>\n", "2",
	    "is not one of");
	check_diag("<bounce-action>\ntype\n</bounce-action>\n", "2",
	    "missing value");
	check_diag("<bounce-action>\nmatch bad-mailbox nope\n"
	    "</bounce-action>\n", "2", "unknown bounce category");
	check_diag("<bounce-action>\naction explode\n</bounce-action>\n",
	    "2", "is not one of");
	check_diag("<bounce-action>\nmax-tries -1\n</bounce-action>\n", "2",
	    NULL);
	check_diag("<bounce-action>\nmax-tries 99999999999999999999\n"
	    "</bounce-action>\n", "2", NULL);
	check_diag("<bounce-action>\nretry-after 1h,\n</bounce-action>\n",
	    "2", NULL);
	check_diag("<bounce-action>\naction suppress\n", "1", "never closed");
	check_diag("type permanent\n", "1", NULL);
	c = conf_load(write_conf("t.conf", "<bounce-action>\ntype transient\n"
	    "</bounce-action>\n<domain-key k,example.net,/k.pem>\ntype dkim\n"
	    "</domain-key>\n"));
	CHECK(c != NULL && conf_errors(c) == 0);
	if (c == NULL)
		return;
	b = conf_find_block(c, CONF_S_BOUNCE_ACTION, NULL);
	CHECK(b != NULL && conf_block_get(b, CONF_BA_TYPE) != NULL &&
	    conf_block_get(b, CONF_BA_TYPE)->num == 1);
	conf_free(c);
}

TEST(comments_and_quotes)
{
	struct conf *c;
	struct conf_settings s;

	c = conf_load(write_conf("q.conf",
	    "# a comment\n"
	    "   # an indented comment\n"
	    "host-name mx.example.net   # trailing\n"
	    "postmaster \"pm@example.net\"\n"
	    "<smtp-user u>\n"
	    "password \"with # hash and \\\"quotes\\\"\"  # comment\n"
	    "</smtp-user>\n"
	    "<smtp-pattern-list p>\n"
	    "reply /literal \\x23 hash/ mode=backoff\n"
	    "</smtp-pattern-list>\n"));
	CHECK_INT(conf_errors(c), 0);
	conf_resolve_global(c, &s);
	CHECK_STR(conf_str(&s, CONF_HOST_NAME), "mx.example.net");
	CHECK_STR(conf_str(&s, CONF_POSTMASTER), "pm@example.net");
	CHECK_STR(conf_block_get(conf_find_block(c, CONF_S_SMTP_USER, "u"),
	    CONF_PASSWORD)->str, "with # hash and \"quotes\"");
	conf_free(c);
}

TEST(includes)
{
	char text[512];
	struct conf *c;

	write_conf("inc-a.conf", "include inc-b.conf\n");
	write_conf("inc-b.conf", "include inc-a.conf\n");
	check_diag("include inc-a.conf\n", "1", "include loop");
	check_diag("include does-not-exist.conf\n", "1", "No such file");
	check_diag("include nothing-*.conf\n", "", NULL);
	check_diag("include /dev/null\n", "1", "not a regular file");
	write_conf("inc-open.conf", "<domain *>\n");
	check_diag("include inc-open.conf\n</domain>\n", "1,2", "never closed");
	write_conf("inc-ok.conf", "<domain x.example>\nmax-smtp-out 7\n"
	    "</domain>\n");
	snprintf(text, sizeof(text), "include %s/inc-ok*.conf\n", tmpdir);
	c = conf_load(write_conf("t2.conf", text));
	check_queue_num(c, "x.example", NULL, CONF_MAX_SMTP_OUT, 7);
	CHECK_INT(conf_errors(c), 0);
	conf_free(c);
}

TEST(macros)
{
	struct conf *c;

	check_diag("domain-macro a $b\ndomain-macro b $a\n<domain $a>\n"
	    "</domain>\n", "3", "loop");
	check_diag("domain-macro a x.example\ndomain-macro a y.example\n",
	    "2", "already defined");
	check_diag("domain-macro a\n", "1", "needs a name and a value");
	c = conf_load(write_conf("m.conf",
	    "domain-macro tld com, net\n"
	    "domain-macro big a.$tld b.$tld,c.example\n"
	    "<domain $big>\nmax-smtp-out 5\n</domain>\n"));
	CHECK_INT(conf_errors(c), 0);
	check_queue_num(c, "a.com", NULL, CONF_MAX_SMTP_OUT, 5);
	check_queue_num(c, "b.net", NULL, CONF_MAX_SMTP_OUT, 5);
	check_queue_num(c, "c.example", NULL, CONF_MAX_SMTP_OUT, 5);
	check_queue_num(c, "c.com", NULL, CONF_MAX_SMTP_OUT, 20);
	conf_free(c);
}

TEST(hostile_input)
{
	char *big;
	FILE *fp;
	const char *path;

	path = write_conf("nul.conf", "");
	if ((fp = fopen(path, "w")) != NULL) {
		fwrite("host-name a\0b\n<domain *>\n</domain>\n", 1, 35, fp);
		fclose(fp);
	}
	{
		struct conf *c = conf_load(path);
		char lines[64];

		error_lines(c, lines, sizeof(lines));
		CHECK_STR(lines, "1");
		conf_free(c);
	}
	if ((big = malloc(20001)) != NULL) {
		memset(big, 'a', 20000);
		big[20000] = '\0';
		check_diag(big, "1", "line too long");
		memcpy(big, "</", 2);
		check_diag(big, "1", NULL);
		free(big);
	}
	check_diag("<>\n", "1", NULL);
	check_diag("</>\n", "1", NULL);
	check_diag("<domain>\n</domain>\n", "1", "needs an argument");
	check_diag("<source>\n</source>\n", "1", NULL);
	check_diag("<source 10.0.0.0/99>\n</source>\n", "1", NULL);
	check_diag("\"\n", "1", "unterminated");
	check_diag("max-smtp-out \"\"\n", "", NULL);
}

TEST(every_default_parses)
{
	struct conf *c = conf_load(write_conf("empty.conf", ""));
	struct conf_settings s;

	CHECK_INT(conf_errors(c), 0);
	conf_resolve_queue(c, "example.com", NULL, &s);
	CHECK_INT(conf_num(&s, CONF_MAX_SMTP_OUT), 20);
	CHECK_INT(conf_num(&s, CONF_BOUNCE_AFTER), 4 * 86400 + 12 * 3600);
	CHECK(((const struct confval_rate *)conf_obj(&s,
	    CONF_MAX_MSG_RATE))->unlimited);
	conf_free(c);
}
/* name-server words, blanks or commas apart, into c-ares' CSV form */
TEST(name_servers)
{
	static const struct {
		const char *line, *want;
	} t[] = {
		{ "", "" },
		{ "name-server 127.0.0.1\n", "127.0.0.1" },
		{ "name-server 127.0.0.1:5353, [::1]:53\n",
		    "127.0.0.1:5353,[::1]:53" },
		{ "name-server ,, 10.0.0.1 ,\t10.0.0.2,\n",
		    "10.0.0.1,10.0.0.2" },
	};
	struct conf_settings s;
	struct buf b = BUF_INIT;
	struct conf *c;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = conf_load(write_conf("ns.conf", t[i].line));
		CHECK_INT(conf_errors(c), 0);
		conf_resolve_global(c, &s);
		buf_reset(&b);
		(void)buf_append(&b, "x", 1);
		CHECK_INT(conf_name_servers(&s, &b), 0);
		CHECK_STR(buf_cstr(&b) + 1, t[i].want);
		conf_free(c);
	}
	buf_free(&b);
}

static const struct test_case tests[] = {
	T(examples_check_clean),
	T(broken_reports_every_line),
	T(resolution_explicit_beats_macro),
	T(resolution_specific_wins_whatever_the_order),
	T(resolution_vmta_and_pool),
	T(resolution_longer_suffix_and_layers),
	T(resolution_literal_and_rate),
	T(resolution_sources),
	T(rules_are_lists),
	T(production_retry_rules),
	T(nesting_rules),
	T(directives_in_wrong_place),
	T(values),
	T(bounce_action),
	T(comments_and_quotes),
	T(includes),
	T(macros),
	T(hostile_input),
	T(every_default_parses),
	T(name_servers),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	int rc;
	char cmd[300];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = test_main(tests, argc, argv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
