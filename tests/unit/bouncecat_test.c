/*
 * bouncecat_test - the bounce classifier: the shipped rules on replies
 * of each category, the rules file format and its errors, the config's
 * <bounce-category-patterns> first, hard and soft, default statuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bouncecat.h"
#include "conf.h"
#include "harness.h"

#define RULES	"etc/bounce-categories"	/* the tests run from the top */

static char err[512];

/* The shipped rules: one reply or more for each category. */
TEST(shipped)
{
	static const struct {
		int	 code;
		const char *status, *text, *want;
	} cases[] = {
		{ 550, "5.1.1", "user unknown", "bad-mailbox" },
		{ 550, NULL, "<bob@example.org>... User unknown",
		    "bad-mailbox" },
		{ 550, "5.1.1", "The email account that you tried to reach "
		    "does not exist", "bad-mailbox" },
		{ 0, NULL, "Recipient address rejected: "
		    "User unknown in local recipient table", "bad-mailbox" },
		{ 552, "5.2.2", "Mailbox full", "quota-issues" },
		{ 452, "4.2.2", "The email account that you tried to reach "
		    "is over quota", "quota-issues" },
		{ 550, "5.2.1", "The email account that you tried to reach "
		    "is disabled", "inactive-mailbox" },
		{ 550, NULL, "Host or domain name not found. Name service "
		    "error", "bad-domain" },
		{ 553, "5.1.8", "Sender address rejected: Domain not found",
		    "invalid-sender" },
		{ 554, "5.7.1", "Service unavailable; Client host "
		    "[192.0.2.1] blocked using zen.spamhaus.org",
		    "spam-related" },
		{ 550, "5.7.1", "Message rejected as spam", "spam-related" },
		{ 554, "5.7.1", "Relay access denied", "relaying-issues" },
		{ 550, "5.7.26", "Unauthenticated email is not accepted due "
		    "to domain's DMARC policy", "policy-related" },
		{ 550, "5.7.1", "Delivery not authorized", "policy-related" },
		{ 552, "5.7.0", "Our system detected an illegal attachment "
		    "(virus) on your message", "virus-related" },
		{ 550, "5.6.0", "Message header is malformed",
		    "content-related" },
		{ 0, "4.4.7", "delivery time expired", "message-expired" },
		{ 421, "4.4.1", "Connection timed out", "no-answer-from-host" },
		{ 0, "4.4.2", "bad connection", "bad-connection" },
		{ 554, "5.4.6", "Mail loop detected", "routing-errors" },
		{ 500, "5.5.1", "Command unrecognized", "protocol-errors" },
		{ 550, "5.3.5", "System incorrectly configured",
		    "bad-configuration" },
		{ 0, NULL, "X-Unix; 255", "other" },
		{ 451, NULL, "try again", "other" },
		{ 0, NULL, NULL, "other" },
		{ 0, NULL, "", "other" },
	};
	struct bouncecat *bc;
	const char *got;

	CHECK((bc = bouncecat_load(RULES, NULL, err, sizeof(err))) != NULL);
	if (bc == NULL) {
		test_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CHECK(bouncecat_nrules(bc) > 20);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = bouncecat_classify(bc, cases[i].code, cases[i].status,
		    cases[i].text);
		if (strcmp(got, cases[i].want) != 0)
			test_fail(__FILE__, __LINE__, "case %zu \"%s\": got "
			    "%s, want %s", i, cases[i].text != NULL ?
			    cases[i].text : "(null)", got, cases[i].want);
	}
	bouncecat_free(bc);
}

/* The subject: status, code and text, white space squeezed. */
TEST(subject)
{
	static const char rules[] =
	    "# a comment, then a blank line\n"
	    "\n"
	    "/^5\\.1\\.1 550 user unknown$/ bad-mailbox\n"
	    "  /^421 a b$/\tno-answer-from-host  \r\n"
	    "/^x\\/y$/ content-related\n"
	    "/^4\\.\\d+\\.\\d+$/ message-expired\n";
	struct bouncecat *bc;

	CHECK((bc = bouncecat_parse(rules, sizeof(rules) - 1, "t", err,
	    sizeof(err))) != NULL);
	if (bc == NULL)
		return;
	CHECK_INT(bouncecat_nrules(bc), 4);
	CHECK_STR(bouncecat_classify(bc, 550, "5.1.1", "user\r\n\tunknown"),
	    "bad-mailbox");
	CHECK_STR(bouncecat_classify(bc, 550, "5.1.1", "USER UNKNOWN"),
	    "bad-mailbox");
	CHECK_STR(bouncecat_classify(bc, 421, NULL, "  a   b  "),
	    "no-answer-from-host");
	CHECK_STR(bouncecat_classify(bc, 0, NULL, "x/y"), "content-related");
	CHECK_STR(bouncecat_classify(bc, 0, "4.4.7", NULL), "message-expired");
	CHECK_STR(bouncecat_classify(bc, 1000, NULL, NULL), "other");
	CHECK_STR(bouncecat_classify(NULL, 550, "5.1.1", "user unknown"),
	    "other");
	bouncecat_free(bc);
}

/* Bad rules name the file and line. */
TEST(errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "/a/ no-such\n", "r:1: unknown bounce category \"no-such\"" },
		{ "\n/a/\n", "r:2: missing bounce category" },
		{ "/a bad-mailbox\n", "r:1: no closing / after the regular "
		    "expression" },
		{ "/(/ bad-mailbox\n", "r:1: bad regular expression at offset "
		    "1: missing closing parenthesis" },
		{ "/a/ bad-mailbox x\n",
		    "r:1: text after the bounce category" },
		{ "spam spam-related\n", "r:1: not a rule: \"spam\"" },
		{ "hard\n", "r:1: missing bounce category" },
	};
	struct bouncecat *bc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		bc = bouncecat_parse(cases[i].text, strlen(cases[i].text), "r",
		    err, sizeof(err));
		CHECK(bc == NULL);
		CHECK_INT(errno, EINVAL);
		CHECK_STR(err, cases[i].want);
		bouncecat_free(bc);
	}
	CHECK(bouncecat_load("/nonexistent/rules", NULL, err, sizeof(err)) ==
	    NULL);
	CHECK_INT(errno, ENOENT);
	CHECK_STR(err, "/nonexistent/rules: No such file or directory");
}

/* Hard and soft: built in, and changed by the rules file. */
TEST(hard_soft)
{
	static const char rules[] = "soft bad-domain\nhard quota-issues\n";
	struct bouncecat *bc;

	CHECK(bouncecat_hard(NULL, "bad-mailbox"));
	CHECK(bouncecat_hard(NULL, "bad-domain"));
	CHECK(bouncecat_hard(NULL, "inactive-mailbox"));
	CHECK(!bouncecat_hard(NULL, "quota-issues"));
	CHECK(!bouncecat_hard(NULL, "spam-related"));
	CHECK(!bouncecat_hard(NULL, "no-such"));
	CHECK(!bouncecat_hard(NULL, NULL));
	CHECK((bc = bouncecat_parse(rules, sizeof(rules) - 1, "r", err,
	    sizeof(err))) != NULL);
	CHECK(!bouncecat_hard(bc, "bad-domain"));
	CHECK(bouncecat_hard(bc, "quota-issues"));
	CHECK(bouncecat_hard(bc, "bad-mailbox"));
	bouncecat_free(bc);
	CHECK(bouncecat_valid("virus-related"));
	CHECK(!bouncecat_valid("virus"));
	CHECK(!bouncecat_valid(NULL));
}

/* A status for a failure that gave none, in the class of its code. */
TEST(default_status)
{
	CHECK_STR(bouncecat_default_status("bad-mailbox", 550), "5.1.1");
	CHECK_STR(bouncecat_default_status("bad-mailbox", 450), "4.1.1");
	CHECK_STR(bouncecat_default_status("quota-issues", 0), "5.2.2");
	CHECK_STR(bouncecat_default_status("message-expired", 0), "4.4.7");
	CHECK_STR(bouncecat_default_status("no-such", 0), "5.0.0");
	CHECK_STR(bouncecat_default_status(NULL, 0), "5.0.0");
}

/* The config's <bounce-category-patterns> come before the file. */
TEST(config_first)
{
	char path[] = "/tmp/bouncecat_test.XXXXXX";
	static const char text[] =
	    "<bounce-category-patterns>\n"
	    "    /user unknown/ spam-related\n"
	    "    /special/ routing-errors\n"
	    "</bounce-category-patterns>\n";
	struct bouncecat *bc;
	struct conf *c;
	FILE *f;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		test_fail(__FILE__, __LINE__, "mkstemp");
		return;
	}
	fputs(text, f);
	fclose(f);
	c = conf_load(path);
	CHECK(c != NULL);
	if (c == NULL)
		goto done;
	if (conf_errors(c) > 0)
		conf_print_diags(c, stderr);
	CHECK_INT(conf_errors(c), 0);
	CHECK((bc = bouncecat_load(RULES, c, err, sizeof(err))) != NULL);
	CHECK_STR(bouncecat_classify(bc, 550, "5.1.1", "User unknown"),
	    "spam-related");
	CHECK_STR(bouncecat_classify(bc, 550, NULL, "a SPECIAL reply"),
	    "routing-errors");
	CHECK_STR(bouncecat_classify(bc, 552, "5.2.2", "mailbox full"),
	    "quota-issues");
	bouncecat_free(bc);
	conf_free(c);
done:
	(void)unlink(path);
}

static const struct test_case tests[] = {
	T(shipped),
	T(subject),
	T(errors),
	T(hard_soft),
	T(default_status),
	T(config_first),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
