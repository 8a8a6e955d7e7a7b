/*
 * submit_test - the suppression check of submit_message(): without a set
 * of the caller's, every recipient against the source's lists; with one
 * (mta-smtpd, which checked its recipients at RCPT), only the recipients
 * -t adds, and against that set, not the source's.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "harness.h"
#include "spool.h"
#include "submit.h"
#include "suppress.h"

#define MSG(to)	"To: " to "\r\nSubject: t\r\n\r\nhi\r\n"

static char top[64];
static char err[512];

TEST(suppression)
{
	static const unsigned char local[4] = { 127, 0, 0, 1 };
	static const struct {
		const char *rcpt;	/* NULL: -t alone */
		const char *msg;
		bool	 extract;
		const char *set;	/* the caller's lists; NULL: none */
		const char *want;	/* the list refusing; NULL: accepted */
	} t[] = {
		{ "ok@x.test", MSG("ok@x.test"), false, NULL, NULL },
		{ "hard@x.test", MSG("ok@x.test"), false, NULL, "vip" },
		{ "ok@x.test", MSG("hard@x.test"), true, NULL, "vip" },
		/* checked at RCPT already: not looked up again */
		{ "hard@x.test", MSG("ok@x.test"), false, "vip", NULL },
		/* what -t adds is, against the caller's set */
		{ NULL, MSG("hard@x.test"), true, "vip", "vip" },
		{ "ok@x.test", MSG("Hard@x.test"), true, "vip", "vip" },
		{ NULL, MSG("hard@x.test"), true, "other", NULL },
		{ "hard@x.test", MSG("hard@x.test"), true, "other", NULL },
	};
	struct suppress_entry hard = { "hard@x.test", "vip", 1, "" };
	struct suppress_set *set;
	struct suppress *store;
	struct submit_env env;
	struct submit_out out;
	struct submit sub;
	struct spool *sp;
	struct conf *c;
	char dir[128], path[128], cmd[128];
	const char *rcpt[1];
	FILE *fp;
	int rc;

	(void)strlcpy(top, "/tmp/submit_test.XXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		abort();
	(void)snprintf(dir, sizeof(dir), "%s/spool", top);
	(void)snprintf(path, sizeof(path), "%s/mta.conf", top);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("host-name mta.example.org\n"
	    "<source {pickup}>\n  suppression-lists vip\n</source>\n", fp);
	if (fclose(fp) == EOF)
		abort();
	CHECK((c = conf_load(path)) != NULL && conf_errors(c) == 0);
	CHECK(spool_init(dir, err, sizeof(err)) == 0);
	CHECK((sp = spool_open(dir, 0, err, sizeof(err))) != NULL);
	CHECK((store = suppress_open(dir, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	if (c == NULL || sp == NULL || store == NULL)
		return;
	CHECK_INT(suppress_add(store, &hard, 1, err, sizeof(err)), 0);
	CHECK_INT(submit_init(&sub, c, sp, AF_INET, local, "{pickup}"), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		set = NULL;
		if (t[i].set != NULL && (set = suppress_set_new(c, store,
		    t[i].set, err, sizeof(err))) == NULL) {
			test_fail(__FILE__, __LINE__, "set: %s", err);
			continue;
		}
		memset(&env, 0, sizeof(env));
		rcpt[0] = t[i].rcpt;
		env.from = "s@x.test";
		env.rcpt = rcpt;
		env.nrcpt = t[i].rcpt != NULL ? 1 : 0;
		env.extract = t[i].extract;
		env.source = "local";
		env.supp = set;
		err[0] = '\0';
		rc = submit_message(&sub, &env, t[i].msg, strlen(t[i].msg),
		    &out, err, sizeof(err));
		if (t[i].want == NULL) {
			if (rc != 0)
				test_fail(__FILE__, __LINE__, "row %zu: got "
				    "\"%s\", want accepted", i, err);
			else
				submit_abort(&out);
		} else if (rc != -1 || errno != EINVAL ||
		    strstr(err, "suppression list") == NULL ||
		    strstr(err, t[i].want) == NULL)
			test_fail(__FILE__, __LINE__, "row %zu: got %d \"%s\", "
			    "want refused by %s", i, rc, err, t[i].want);
		suppress_set_free(set);
	}
	suppress_close(store);
	spool_close(sp);
	conf_free(c);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		test_fail(__FILE__, __LINE__, "cannot remove %s", top);
}

static const struct test_case tests[] = {
	T(suppression),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
