/*
 * suppress_test - the suppression list: keys, add/lookup/remove, a
 * second reader seeing changes without reopening, compaction, a torn
 * log batch (one as long as the next batch too), a log left over by a
 * crash between the renames, damaged lines, bulk adds, an address and
 * its domain in different lists, domains among many addresses in a
 * snapshot, the <address-list> blocks of a source, soft bounces and the
 * CSV import reader.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "harness.h"
#include "suppress.h"

static char top[64];		/* the mkdtemp directory of a test */
static char sdir[128];		/* top/suppress */
static char err[512];

#define BULK_KEYS	500	/* addresses around the keys of a test */

static void
setup(void)
{
	(void)strlcpy(top, "/tmp/suppress_test.XXXXXX", sizeof(top));
	if (mkdtemp(top) == NULL)
		abort();
	(void)snprintf(sdir, sizeof(sdir), "%s/suppress", top);
}

static void
teardown(void)
{
	char cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		test_fail(__FILE__, __LINE__, "cannot remove %s", top);
}

static void
put_file(const char *name, const char *text, const char *mode)
{
	char path[256];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s", top, name);
	if ((fp = fopen(path, mode)) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

static void
read_file(const char *name, struct buf *b)
{
	char path[256], chunk[4096];
	size_t n;
	FILE *fp;

	buf_reset(b);
	(void)snprintf(path, sizeof(path), "%s/%s", top, name);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		(void)buf_append(b, chunk, n);
	fclose(fp);
	(void)buf_cstr(b);
}

static struct suppress_entry
ent(const char *addr, const char *list, const char *reason)
{
	struct suppress_entry e = { addr, list, 1700000000, reason };

	return e;
}

static int
add1(struct suppress *s, const char *addr, const char *list)
{
	struct suppress_entry e = ent(addr, list, "test");

	return suppress_add(s, &e, 1, err, sizeof(err));
}

/* has - the list addr is in, "" if none, "ERR" on error */
static const char *
has(struct suppress *s, const char *addr)
{
	static char list[SUPPRESS_LISTMAX + 1];
	struct suppress_entry e;

	switch (suppress_lookup(s, addr, &e, 1)) {
	case 1:
		(void)strlcpy(list, e.list, sizeof(list));
		return list;
	case 0:
		return "";
	default:
		return "ERR";
	}
}

TEST(keys)
{
	static const struct {
		const char *in, *want;	/* want NULL: refused */
	} t[] = {
		{ "a@b.example", "a@b.example" },
		{ "<John.Doe@Example.COM>", "john.doe@example.com" },
		{ "@Example.COM", "@example.com" },
		{ "user+tag@x.test", "user+tag@x.test" },
		{ "", NULL },
		{ "no-at-sign", NULL },
		{ "a@", NULL },
		{ "@", NULL },
		{ "a b@x.test", NULL },
		{ "\"a b\"@x.test", NULL },	/* legal, but no spaces kept */
		{ "a@b@c", NULL },
		{ "a\t@x.test", NULL },
	};
	char key[SUPPRESS_KEYMAX + 1];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = suppress_key(t[i].in, key, sizeof(key), err,
		    sizeof(err));

		if (t[i].want == NULL) {
			if (rc != -1)
				test_fail(__FILE__, __LINE__, "%s: got %s, "
				    "want refused", t[i].in, key);
			continue;
		}
		CHECK_INT(rc, 0);
		if (rc == 0)
			CHECK_STR(key, t[i].want);
	}
	CHECK(suppress_list_valid("default"));
	CHECK(suppress_list_valid("soft-bounce.2_x"));
	CHECK(!suppress_list_valid(""));
	CHECK(!suppress_list_valid("a b"));
	CHECK(!suppress_list_valid("a,b"));
}

TEST(add_lookup_remove)
{
	struct suppress *s;
	struct suppress_entry e;
	const char *rm[] = { "A@X.test", "nobody@x.test" };
	size_t n;

	setup();
	/* a spool without suppress/ reads as empty, writers make it */
	CHECK((s = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(s, "a@x.test"), "");
	CHECK_INT(add1(s, "a@x.test", "default"), -1);
	CHECK_INT(errno, EBADF);
	suppress_close(s);
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "A@X.test", "default"), 0);
	CHECK_INT(add1(s, "@Dom.test", "bounces"), 0);
	CHECK_STR(has(s, "a@x.test"), "default");
	CHECK_STR(has(s, "<A@x.TEST>"), "default");
	CHECK_STR(has(s, "b@x.test"), "");
	CHECK_STR(has(s, "anyone@dom.test"), "bounces");
	CHECK_STR(has(s, "anyone@sub.dom.test"), "");
	CHECK_INT(suppress_lookup(s, "a@x.test", &e, 1), 1);
	CHECK_STR(e.addr, "a@x.test");
	CHECK_STR(e.reason, "test");
	CHECK_INT(e.added, 1700000000);
	CHECK_UINT(suppress_count(s), 2);
	/* adding again replaces */
	CHECK_INT(add1(s, "a@x.test", "other"), 0);
	CHECK_STR(has(s, "a@x.test"), "other");
	CHECK_UINT(suppress_count(s), 2);
	CHECK_INT(suppress_remove(s, rm, 2, &n, err, sizeof(err)), 0);
	CHECK_UINT(n, 1);
	CHECK_STR(has(s, "a@x.test"), "");
	CHECK_UINT(suppress_count(s), 1);
	/* refused input changes nothing */
	{
		struct suppress_entry bad[2] = { ent("ok@x.test", "default",
		    ""), ent("bad", "default", "") };

		CHECK_INT(suppress_add(s, bad, 2, err, sizeof(err)), -1);
		CHECK_INT(errno, EINVAL);
		CHECK_STR(has(s, "ok@x.test"), "");
		bad[1] = ent("ok2@x.test", "no good", "");
		CHECK_INT(suppress_add(s, bad, 2, err, sizeof(err)), -1);
	}
	suppress_close(s);
	teardown();
}

/* A lazy reader (the daemons') sees a change within 10 ms, not later. */
TEST(lazy_reader)
{
	struct suppress *w, *r;

	setup();
	CHECK((w = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK((r = suppress_open(top, SUPPRESS_LAZY, err,
	    sizeof(err))) != NULL);
	CHECK_STR(has(r, "a@x.test"), "");
	CHECK_INT(add1(w, "a@x.test", "default"), 0);
	(void)usleep(25000);
	CHECK_STR(has(r, "a@x.test"), "default");
	CHECK_INT(suppress_compact(w, err, sizeof(err)), 0);
	CHECK_INT(add1(w, "b@x.test", "default"), 0);
	(void)usleep(25000);
	CHECK_STR(has(r, "b@x.test"), "default");	/* log replaced */
	suppress_close(r);
	suppress_close(w);
	teardown();
}

TEST(second_reader)
{
	struct suppress *w, *r;
	char key[32];

	setup();
	CHECK((w = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK((r = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(r, "a@x.test"), "");
	CHECK_INT(add1(w, "a@x.test", "default"), 0);
	CHECK_STR(has(r, "a@x.test"), "default");	/* log grew */
	CHECK_INT(suppress_compact(w, err, sizeof(err)), 0);
	CHECK_STR(has(r, "a@x.test"), "default");	/* log replaced */
	CHECK_INT(add1(w, "b@x.test", "default"), 0);
	CHECK_STR(has(r, "b@x.test"), "default");
	{
		const char *rm[] = { "a@x.test" };
		size_t n;

		CHECK_INT(suppress_remove(w, rm, 1, &n, err, sizeof(err)), 0);
	}
	CHECK_STR(has(r, "a@x.test"), "");		/* removed from log */
	/* enough to compact by itself, seen by the reader */
	for (int i = 0; i < 4000; i++) {
		(void)snprintf(key, sizeof(key), "u%d@many.test", i);
		if (add1(w, key, "default") != 0) {
			test_fail(__FILE__, __LINE__, "add %s: %s", key, err);
			break;
		}
	}
	for (int i = 0; i < 4000; i += 397) {
		(void)snprintf(key, sizeof(key), "u%d@many.test", i);
		CHECK_STR(has(r, key), "default");
	}
	CHECK_UINT(suppress_count(r), 4001);
	suppress_close(r);
	suppress_close(w);
	teardown();
}

TEST(torn_line)
{
	struct suppress *s, *r;
	struct buf b = BUF_INIT;

	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "a@x.test", "default"), 0);
	/* a writer died in its batch: whole lines, then half a line */
	put_file("suppress/log", "+\twhole@x.test\tdefault\t17\t\n"
	    "+\ttorn@x.test\tdefault\t17", "a");
	CHECK((r = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(r, "torn@x.test"), "");
	CHECK_STR(has(r, "whole@x.test"), "");	/* batch not committed */
	CHECK_STR(has(r, "a@x.test"), "default");
	/* the next writer cuts it off and appends whole lines */
	CHECK_INT(add1(s, "b@x.test", "default"), 0);
	CHECK_STR(has(r, "b@x.test"), "default");
	CHECK_STR(has(r, "torn@x.test"), "");
	read_file("suppress/log", &b);
	CHECK(b.p != NULL && strstr(b.p, "torn") == NULL);
	CHECK(b.p != NULL && strstr(b.p, "whole") == NULL);
	CHECK_STR(has(r, "whole@x.test"), "");
	CHECK(b.p != NULL && b.p[b.len - 1] == '\n');
	suppress_close(r);
	suppress_close(s);
	buf_free(&b);
	teardown();
}

/*
 * A torn batch as long as the next one: cut off and appended again, the
 * log is the size both readers saw, and still they must see the add.
 */
TEST(torn_same_size)
{
	const char *batch = "+\tb@x.test\tdefault\t1700000000\ttest\n.\n";
	const char *torn = "+\tc@x.test\tdefault\t1700000000\ttest\n+\t";
	struct suppress *s, *r;

	CHECK_UINT(strlen(torn), strlen(batch));
	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "a@x.test", "default"), 0);
	put_file("suppress/log", torn, "a");
	CHECK((r = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(s, "c@x.test"), "");	/* both have seen the tear */
	CHECK_STR(has(r, "c@x.test"), "");
	CHECK_INT(add1(s, "b@x.test", "default"), 0);
	CHECK_STR(has(s, "b@x.test"), "default");
	CHECK_STR(has(r, "b@x.test"), "default");
	CHECK_STR(has(r, "a@x.test"), "default");
	CHECK_STR(has(r, "c@x.test"), "");
	suppress_close(r);
	suppress_close(s);
	teardown();
}

TEST(crash_between_renames)
{
	struct suppress *s, *r;
	struct buf old = BUF_INIT;

	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "a@x.test", "default"), 0);
	{
		const char *rm[] = { "a@x.test" };
		size_t n;

		CHECK_INT(suppress_remove(s, rm, 1, &n, err, sizeof(err)), 0);
	}
	CHECK_INT(add1(s, "a@x.test", "again"), 0);
	read_file("suppress/log", &old);
	CHECK_INT(suppress_compact(s, err, sizeof(err)), 0);
	/* the old log back in place, as if the crash came before its
	 * replacement: it is older than the snapshot, so ignored */
	put_file("suppress/log", old.p != NULL ? old.p : "", "w");
	CHECK((r = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(r, "a@x.test"), "again");
	CHECK_INT(add1(s, "c@x.test", "default"), 0);
	CHECK_STR(has(r, "c@x.test"), "default");
	CHECK_STR(has(r, "a@x.test"), "again");
	suppress_close(r);
	suppress_close(s);
	buf_free(&old);
	teardown();
}

TEST(snapshot_without_log)
{
	struct suppress_entry *v;
	struct suppress *w, *r;
	char (*keys)[32], path[256];
	size_t n = 5000;

	setup();
	CHECK((v = calloc(n, sizeof(*v))) != NULL);
	CHECK((keys = calloc(n, sizeof(*keys))) != NULL);
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(keys[i], sizeof(keys[i]), "s%zu@x.test", i);
		v[i] = ent(keys[i], "default", "");
	}
	CHECK((r = suppress_open(top, 0, err, sizeof(err))) != NULL);
	CHECK_STR(has(r, "s1@x.test"), "");
	CHECK((w = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(suppress_add(w, v, n, err, sizeof(err)), 0);
	/* as if the first compaction stopped before its log */
	(void)snprintf(path, sizeof(path), "%s/log", sdir);
	CHECK_INT(unlink(path), 0);
	CHECK_STR(has(r, "s1@x.test"), "default");
	CHECK_STR(has(r, "s4999@x.test"), "default");
	CHECK_INT(add1(w, "t@x.test", "default"), 0);	/* makes the log */
	CHECK_STR(has(r, "t@x.test"), "default");
	CHECK_UINT(suppress_count(r), n + 1);
	suppress_close(r);
	suppress_close(w);
	free(v);
	free(keys);
	teardown();
}

TEST(damaged)
{
	struct suppress *s;
	char path[256];
	int fd;

	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "a@x.test", "default"), 0);
	put_file("suppress/log", "garbage\n+\tb@x.test\n"
	    "+\tc@x.test\tbad list\t1\t\n"
	    "+\td@x.test\tdefault\tnotanumber\t\n"
	    "-\n"
	    "+\te@x.test\tdefault\t5\tok\n.\n", "a");
	CHECK_STR(has(s, "a@x.test"), "default");
	CHECK_STR(has(s, "b@x.test"), "");
	CHECK_STR(has(s, "c@x.test"), "");
	CHECK_STR(has(s, "d@x.test"), "");
	CHECK_STR(has(s, "e@x.test"), "default");
	suppress_close(s);
	/* a snapshot with a bad header: the open says so */
	(void)snprintf(path, sizeof(path), "%s/snapshot", sdir);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) != -1);
	CHECK(write(fd, "nonsense\n", 9) == 9);
	(void)close(fd);
	CHECK(suppress_open(top, 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "damaged snapshot") != NULL);
	teardown();
}

static int
collect(const struct suppress_entry *e, void *arg)
{
	struct buf *b = arg;

	return buf_appendf(b, "%s %s|", e->addr, e->list) == -1 ? -1 : 0;
}

TEST(bulk_and_walk)
{
	struct suppress_entry *v;
	struct suppress *s;
	struct buf b = BUF_INIT, log = BUF_INIT;
	char (*keys)[32];
	size_t n = 10000;

	setup();
	CHECK((v = calloc(n, sizeof(*v))) != NULL);
	CHECK((keys = calloc(n, sizeof(*keys))) != NULL);
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(keys[i], sizeof(keys[i]), "k%zu@bulk.test",
		    (i * 7919) % n);
		v[i] = ent(keys[i], "bulk", "r");
	}
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "z@x.test", "default"), 0);
	CHECK_INT(suppress_add(s, v, n, err, sizeof(err)), 0);
	CHECK_UINT(suppress_count(s), n + 1);
	read_file("suppress/log", &log);	/* straight to the snapshot */
	CHECK(log.p != NULL && strchr(log.p, '\t') == NULL);
	for (size_t i = 0; i < n; i += 101)
		CHECK_STR(has(s, keys[i]), "bulk");
	CHECK_STR(has(s, "k10000@bulk.test"), "");
	CHECK_STR(has(s, "z@x.test"), "default");
	CHECK_INT(add1(s, "a@x.test", "default"), 0);
	{
		const char *rm[] = { "k5@bulk.test" };
		size_t nr;

		CHECK_INT(suppress_remove(s, rm, 1, &nr, err, sizeof(err)), 0);
	}
	CHECK_INT(suppress_walk(s, collect, &b), 0);
	/* in bytewise key order, each key once */
	CHECK(b.p != NULL && strncmp(b.p, "a@x.test default|k0@bulk.test "
	    "bulk|k1000@bulk.test bulk|", 56) == 0);
	{
		char *p = b.p, *bar, prev[64] = "";
		size_t count = 0;

		while (p != NULL && (bar = strchr(p, '|')) != NULL) {
			*bar = '\0';
			if (strcmp(prev, p) >= 0)
				test_fail(__FILE__, __LINE__, "%s after %s",
				    p, prev);
			(void)strlcpy(prev, p, sizeof(prev));
			count++;
			*bar = '|';
			p = bar + 1;
		}
		CHECK_UINT(count, n + 1);
	}
	CHECK(b.p != NULL && strstr(b.p, "|k5@bulk.test") == NULL);
	CHECK(b.p != NULL && strstr(b.p, "|z@x.test default|") != NULL);
	suppress_close(s);
	free(v);
	free(keys);
	buf_free(&b);
	buf_free(&log);
	teardown();
}

TEST(address_lists)
{
	static const struct {
		const char *names, *addr, *want, *how;
	} t[] = {
		{ "vip", "boss@example.com", "vip", "address" },
		{ "vip", "BOSS@example.com", "vip", "address" },
		{ "vip", "x@blocked.test", "vip", "domain" },
		{ "vip", "x@sub.blocked.test", "", "" },
		{ "vip", "abuse@anything.test", "vip", "regex" },
		{ "vip", "filed@f.test", "vip", "address" },
		{ "vip", "x@filedom.test", "vip", "domain" },
		{ "vip", "x@fileat.test", "vip", "domain" },
		{ "vip", "commented@f.test", "", "" },
		{ "vip", "stored@x.test", "", "" },
		{ "vip,default", "stored@x.test", "default", "store" },
		{ NULL, "stored@x.test", "default", "store" },
		{ NULL, "boss@example.com", "", "" },
		{ "other vip", "boss@example.com", "other", "address" },
		{ "vip other", "boss@example.com", "vip", "address" },
		{ "nosuch", "boss@example.com", "", "" },
		{ "bounces", "x@dom.test", "bounces", "store" },
	};
	struct suppress_match m;
	struct suppress_set *set;
	struct suppress *s;
	struct conf *c;
	char path[256], text[1024];

	setup();
	put_file("list.txt", "# operators' list\n\nfiled@f.test\n"
	    "  filedom.test  # a domain\n@fileat.test\n"
	    "#commented@f.test\n", "w");
	(void)snprintf(text, sizeof(text), "spool %s\n"
	    "<address-list vip>\n"
	    "  address boss@example.com\n"
	    "  domain blocked.test\n"
	    "  address /^abuse@/\n"
	    "  address-file %s/list.txt\n"
	    "</address-list>\n"
	    "<address-list other>\n"
	    "  address boss@example.com\n"
	    "</address-list>\n", top, top);
	put_file("mta.conf", text, "w");
	(void)snprintf(path, sizeof(path), "%s/mta.conf", top);
	CHECK((c = conf_load(path)) != NULL);
	CHECK_UINT(conf_errors(c), 0);
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(add1(s, "stored@x.test", "default"), 0);
	CHECK_INT(add1(s, "@dom.test", "bounces"), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		if ((set = suppress_set_new(c, s, t[i].names, err,
		    sizeof(err))) == NULL) {
			test_fail(__FILE__, __LINE__, "set %s: %s",
			    t[i].names, err);
			continue;
		}
		rc = suppress_check(set, t[i].addr, &m);
		if (rc != (t[i].want[0] != '\0') || (rc == 1 &&
		    (strcmp(m.list, t[i].want) != 0 ||
		    strcmp(m.how, t[i].how) != 0)))
			test_fail(__FILE__, __LINE__, "%s in %s: got %d %s "
			    "%s, want %s %s", t[i].addr, t[i].names ?
			    t[i].names : "(default)", rc, rc == 1 ? m.list :
			    "", rc == 1 ? m.how : "", t[i].want, t[i].how);
		suppress_set_free(set);
	}
	CHECK(suppress_set_new(c, s, "bad name!", err, sizeof(err)) == NULL);
	conf_free(c);
	/* a bad entry names its file and line */
	put_file("list.txt", "ok@f.test\nnot an address\n", "w");
	CHECK((c = conf_load(path)) != NULL);
	CHECK(suppress_set_new(c, s, "vip", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "list.txt:2:") != NULL);
	conf_free(c);
	suppress_close(s);
	teardown();
}

/*
 * An address in one list and its domain in another: a lookup gives
 * both, the address first, from the log and then from the snapshot
 * (two entries, neither overwriting the other), and a set that names
 * either list refuses the address.
 */
TEST(address_and_domain)
{
	static const struct {
		const char *names, *addr, *want;	/* "": not refused */
	} t[] = {
		{ NULL, "a@d.test", "default" },
		{ "other", "a@d.test", "other" },
		{ "other,default", "A@D.test", "other" },
		{ "default other", "a@d.test", "default" },
		{ "third", "a@d.test", "" },
		{ NULL, "b@d.test", "default" },
		{ "other", "b@d.test", "" },
		{ "other", "a@e.test", "" },
	};
	struct suppress_entry e[SUPPRESS_LOOKUPMAX], two[2] = {
		ent("a@d.test", "other", "its own"),
		ent("@d.test", "default", "the domain's") };
	struct suppress_match m;
	struct suppress_set *set;
	struct suppress *s;
	int rc;

	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(suppress_add(s, two, 2, err, sizeof(err)), 0);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			CHECK_INT(suppress_compact(s, err, sizeof(err)), 0);
		CHECK_INT(suppress_lookup(s, "<A@d.TEST>", e,
		    SUPPRESS_LOOKUPMAX), 2);
		CHECK_STR(e[0].addr, "a@d.test");
		CHECK_STR(e[0].list, "other");
		CHECK_STR(e[0].reason, "its own");
		CHECK_STR(e[1].addr, "@d.test");
		CHECK_STR(e[1].list, "default");
		CHECK_STR(e[1].reason, "the domain's");
		CHECK_INT(suppress_lookup(s, "a@d.test", e, 1), 1);
		CHECK_STR(e[0].list, "other");
		CHECK_INT(suppress_lookup(s, "b@d.test", e,
		    SUPPRESS_LOOKUPMAX), 1);
		CHECK_STR(e[0].addr, "@d.test");
		CHECK_INT(suppress_lookup(s, "@d.test", e,
		    SUPPRESS_LOOKUPMAX), 1);
		CHECK_INT(suppress_lookup(s, "a@e.test", e,
		    SUPPRESS_LOOKUPMAX), 0);
		CHECK_INT(suppress_lookup(s, "a@d.test", e, 0), 0);
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			if ((set = suppress_set_new(NULL, s, t[i].names, err,
			    sizeof(err))) == NULL) {
				test_fail(__FILE__, __LINE__, "set: %s", err);
				continue;
			}
			rc = suppress_check(set, t[i].addr, &m);
			if (rc != (t[i].want[0] != '\0') || (rc == 1 &&
			    strcmp(m.list, t[i].want) != 0))
				test_fail(__FILE__, __LINE__, "pass %d: %s in "
				    "%s: got %d %s, want \"%s\"", pass,
				    t[i].addr, t[i].names ? t[i].names :
				    "(default)", rc, rc == 1 ? m.list : "",
				    t[i].want);
			suppress_set_free(set);
		}
	}
	suppress_close(s);
	teardown();
}

/*
 * Domains are searched for among the snapshot's domains only: those
 * sort together ("@" after digits, before letters), and are found
 * whether the snapshot holds none, only them, or them among addresses
 * whose first character sorts before or after "@".
 */
TEST(snapshot_domains)
{
	static const char *const keys[][8] = {
		{ "a@x.test", "b@y.test", NULL },
		{ "@x.test", NULL },
		{ "@a.test", "@b.test", "@c.test", NULL },
		{ "!a@x.test", "0@x.test", "@m.test", "@n.test", "_a@y.test",
		    "z@z.test", "~a@z.test", NULL },
		{ "0@x.test", "1@x.test", "@z.test", NULL },
		{ "@a.test", "a@q.test", NULL },
	};
	static const char *const miss[] = { "u@w.test", "@q.test", "u@q.test",
	    "@", "@0.test", "u@~.test", "!@k.test" };
	static char bulk[BULK_KEYS][24];
	struct suppress_entry e[SUPPRESS_LOOKUPMAX], *v;
	struct suppress *s;
	char addr[64];
	size_t n;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		setup();
		CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
		    sizeof(err))) != NULL);
		/* many addresses around them, so the search has depth */
		n = 0;
		if ((v = calloc(BULK_KEYS + 8, sizeof(*v))) == NULL)
			abort();
		for (size_t i = 0; i < BULK_KEYS; i++) {
			(void)snprintf(bulk[i], sizeof(bulk[i]),
			    "k%zu@bulk.test", i);
			v[n++] = ent(bulk[i], "default", "");
		}
		for (size_t i = 0; keys[k][i] != NULL; i++)
			v[n++] = ent(keys[k][i], "l", "");
		CHECK_INT(suppress_add(s, v, n, err, sizeof(err)), 0);
		CHECK_INT(suppress_compact(s, err, sizeof(err)), 0);
		for (size_t i = 0; keys[k][i] != NULL; i++) {
			const char *key = keys[k][i];

			if (key[0] == '@') {
				(void)snprintf(addr, sizeof(addr), "u%s", key);
				key = addr;
			}
			if (suppress_lookup(s, key, e, SUPPRESS_LOOKUPMAX) !=
			    1 || strcmp(e[0].addr, keys[k][i]) != 0)
				test_fail(__FILE__, __LINE__, "set %zu: %s not "
				    "found", k, keys[k][i]);
		}
		for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
			if (suppress_lookup(s, miss[i], e,
			    SUPPRESS_LOOKUPMAX) != 0)
				test_fail(__FILE__, __LINE__, "set %zu: %s "
				    "found as %s", k, miss[i], e[0].addr);
		CHECK_STR(has(s, "k17@bulk.test"), "default");
		free(v);
		suppress_close(s);
		teardown();
	}
}

TEST(soft_bounce)
{
	struct suppress *s;
	struct suppress_entry e;

	setup();
	CHECK((s = suppress_open(top, SUPPRESS_WRITE, err,
	    sizeof(err))) != NULL);
	CHECK_INT(suppress_soft_bounce(s, "a@x.test", 1000, 1000 + 3599,
	    3600, err, sizeof(err)), 0);
	CHECK_STR(has(s, "a@x.test"), "");
	CHECK_INT(suppress_soft_bounce(s, "a@x.test", 1000, 1000 + 3600,
	    INT64_MAX, err, sizeof(err)), 0);
	CHECK_INT(suppress_soft_bounce(s, "a@x.test", 1000, 1000 + 3600,
	    3600, err, sizeof(err)), 1);
	CHECK_INT(suppress_lookup(s, "a@x.test", &e, 1), 1);
	CHECK_STR(e.list, SUPPRESS_DEFAULT_LIST);
	CHECK_STR(e.reason, "soft bounces since 1970-01-01T00:16:40Z "
	    "(permanent-bounce-after)");
	suppress_close(s);
	teardown();
}

/* The entry alone, for a caller that writes many in one batch. */
TEST(soft_bounce_entry)
{
	static const struct {
		time_t	 first, now;
		int64_t	 after;
		int	 want;
	} t[] = {
		{ 1000, 1000, 0, 1 },		/* at once */
		{ 1000, 1001, 2, 0 },
		{ 1000, 1002, 2, 1 },
		{ 1000, 999, 0, 0 },		/* the clock went back */
		{ 1000, 5000, -1, 0 },
		{ 1000, 5000, INT64_MAX, 0 },	/* never */
		{ 0, 0x7fffffff, 3600, 1 },
	};
	struct suppress_entry e;
	char reason[128], tiny[8];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK_INT(suppress_soft_bounce_entry("a@x.test", t[i].first,
		    t[i].now, t[i].after, &e, reason, sizeof(reason)),
		    t[i].want);
		if (t[i].want == 0) {
			CHECK(e.addr == NULL);
			continue;
		}
		CHECK_STR(e.addr, "a@x.test");
		CHECK_STR(e.list, SUPPRESS_DEFAULT_LIST);
		CHECK_INT(e.added, t[i].now);
		CHECK(strncmp(e.reason, "soft bounces since ", 19) == 0);
	}
	/* a reason buffer too small for the time: the bare reason, cut */
	CHECK_INT(suppress_soft_bounce_entry("a@x.test", 1000, 2000, 10, &e,
	    tiny, sizeof(tiny)), 1);
	CHECK_STR(e.reason, "permane");
}

struct rows {
	struct buf out;
	unsigned long nbad;
};

static int
row(const struct suppress_entry *e, unsigned long n, const char *why,
    void *arg)
{
	struct rows *r = arg;

	if (e == NULL) {
		r->nbad++;
		return buf_appendf(&r->out, "%lu:ERR %s|", n, why) == -1;
	}
	return buf_appendf(&r->out, "%lu:%s,%s,%lld,%s|", n, e->addr,
	    e->list, (long long)e->added, e->reason) == -1;
}

TEST(csv)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "address,list,added,reason\na@x.test,l,5,r\n",
		    "2:a@x.test,l,5,r|" },
		{ "A@X.test\n", "1:a@x.test,def,99,|" },
		{ "a@x.test,,,\n", "1:a@x.test,def,99,|" },
		{ "a@x.test,l,2026-11-30T06:00:00Z,\"550 5.1.1 no, "
		    "such\nuser\"\n",
		    "1:a@x.test,l,1796018400,550 5.1.1 no, such user|" },
		{ "a@x.test,l,2026-11-30 06:00:00\n",
		    "1:a@x.test,l,1796018400,|" },
		{ "\n\na@x.test\r\n", "1:a@x.test,def,99,|" },
		{ "a@x.test", "1:a@x.test,def,99,|" },
		{ "bad\n", "1:ERR bad address bad: *|" },
		{ "a@x.test,bad list\n", "1:ERR bad list name \"bad list\"|" },
		{ "a@x.test,l,yesterday\n", "1:ERR bad time \"yesterday\"|" },
		{ "a@x.test,l,1,r,extra\n", "1:ERR more than 4 fields|" },
		{ "@dom.test,l\n", "1:@dom.test,l,99,|" },
	};
	struct suppress_csv *c;
	struct rows r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0, sizeof(r));
		CHECK((c = suppress_csv_new("def", 99, row, &r)) != NULL);
		/* a byte at a time: rows split across reads */
		for (size_t k = 0; t[i].in[k] != '\0'; k++)
			CHECK_INT(suppress_csv_feed(c, t[i].in + k, 1), 0);
		CHECK_INT(suppress_csv_end(c), 0);
		suppress_csv_free(c);
		(void)buf_cstr(&r.out);
		if (strchr(t[i].want, '*') != NULL) {
			size_t n = (size_t)(strchr(t[i].want, '*') - t[i].want);

			if (r.out.p == NULL || strncmp(r.out.p, t[i].want,
			    n) != 0)
				test_fail(__FILE__, __LINE__, "got \"%s\", "
				    "want \"%s\"", r.out.p, t[i].want);
		} else
			CHECK_STR(r.out.p, t[i].want);
		buf_free(&r.out);
	}
	/* a field past the cap is an error, not memory */
	{
		struct buf big = BUF_INIT;

		memset(&r, 0, sizeof(r));
		CHECK(buf_appendc(&big, '"') == 0);
		for (int k = 0; k < 100000; k++)
			CHECK(buf_appendc(&big, 'x') == 0);
		CHECK((c = suppress_csv_new("def", 99, row, &r)) != NULL);
		CHECK_INT(suppress_csv_feed(c, big.p, big.len), -1);
		suppress_csv_free(c);
		buf_free(&big);
		buf_free(&r.out);
	}
}

static const struct test_case tests[] = {
	T(keys),
	T(add_lookup_remove),
	T(second_reader),
	T(lazy_reader),
	T(torn_line),
	T(torn_same_size),
	T(crash_between_renames),
	T(snapshot_without_log),
	T(damaged),
	T(bulk_and_walk),
	T(address_and_domain),
	T(snapshot_domains),
	T(address_lists),
	T(soft_bounce),
	T(soft_bounce_entry),
	T(csv),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
