/*
 * fuzz_suppress - libFuzzer target for what the suppression list reads
 * from outside: the CSV of "mta-ctl suppress import", and the store's
 * own files (a snapshot and a log someone damaged).
 *
 * The first input byte chooses.  Even: the rest is a CSV file, fed in
 * chunks whose sizes the byte's upper bits pick.  Every row given back
 * as an entry must have a key that suppress_key() keeps as it is, a
 * valid list name and a reason without line ends; written with
 * suppress_csv_write() and read again it must come back the same.
 * Odd: the rest, split at the offset the next two bytes give, becomes
 * suppress/snapshot and suppress/log.  Opening may refuse a damaged
 * snapshot header (EINVAL), nothing else; once open, lookups, a walk
 * (every entry valid) and the count must work, and an add must then be
 * found, before and after a compaction.
 *
 * Invariants failing abort().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static char dir[64];
static char sdir[96];

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", sdir, name);
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) != -1);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	CHECK(close(fd) == 0);
}

static void
rm(const char *name)
{
	char path[160];

	(void)snprintf(path, sizeof(path), "%s/%s", sdir, name);
	(void)unlink(path);
}

static void
cleanup(void)
{
	rm("snapshot");
	rm("snapshot.tmp");
	rm("log");
	rm("log.tmp");
	rm("lock");
	(void)rmdir(sdir);
	(void)rmdir(dir);
}

static void
valid_entry(const struct suppress_entry *e)
{
	char key[SUPPRESS_KEYMAX + 1];

	CHECK(suppress_key(e->addr, key, sizeof(key), NULL, 0) == 0);
	CHECK(strcmp(key, e->addr) == 0);
	CHECK(suppress_list_valid(e->list));
	CHECK(strlen(e->reason) <= SUPPRESS_REASONMAX);
}

/* What a second reading of a written row must give. */
struct again {
	const struct suppress_entry *want;
	int	 rows;
};

static int
again_row(const struct suppress_entry *e, unsigned long row,
    const char *why, void *arg)
{
	struct again *a = arg;

	(void)row;
	(void)why;
	CHECK(e != NULL);
	CHECK(strcmp(e->addr, a->want->addr) == 0);
	CHECK(strcmp(e->list, a->want->list) == 0);
	CHECK(e->added == a->want->added);
	CHECK(strcmp(e->reason, a->want->reason) == 0);
	a->rows++;
	return 0;
}

static int
csv_row(const struct suppress_entry *e, unsigned long row, const char *why,
    void *arg)
{
	struct suppress_csv *c;
	struct again a = { e, 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	(void)arg;
	CHECK(row > 0);
	if (e == NULL) {
		CHECK(why != NULL && why[0] != '\0');
		return 0;
	}
	valid_entry(e);
	CHECK(strchr(e->reason, '\n') == NULL &&
	    strchr(e->reason, '\r') == NULL);
	CHECK((fp = open_memstream(&text, &len)) != NULL);
	CHECK(suppress_csv_write(fp, e) == 0);
	CHECK(fclose(fp) == 0);
	CHECK((c = suppress_csv_new("default", 0, again_row, &a)) != NULL);
	CHECK(suppress_csv_feed(c, text, len) == 0);
	CHECK(suppress_csv_end(c) == 0);
	suppress_csv_free(c);
	CHECK(a.rows == 1);
	free(text);
	return 0;
}

static void
fuzz_csv(int flags, const uint8_t *p, size_t n)
{
	struct suppress_csv *c;
	size_t chunk = (size_t)(flags >> 1) + 1, k;
	int rc = 0;

	CHECK((c = suppress_csv_new("default", 1764480000, csv_row,
	    NULL)) != NULL);
	for (size_t off = 0; off < n && rc == 0; off += k) {
		k = n - off < chunk ? n - off : chunk;
		rc = suppress_csv_feed(c, p + off, k);
		CHECK(rc == 0 || (rc == -1 && errno == EINVAL));
	}
	if (rc == 0)
		CHECK(suppress_csv_end(c) == 0 || errno == EINVAL);
	suppress_csv_free(c);
}

static int
walk_one(const struct suppress_entry *e, void *arg)
{
	(*(size_t *)arg)++;
	valid_entry(e);
	return 0;
}

static void
fuzz_store(const uint8_t *p, size_t n)
{
	struct suppress_entry e[SUPPRESS_LOOKUPMAX], add = {
	    "fuzz@added.test", "default", 1, "r" };
	struct suppress *s;
	size_t split = 0, walked = 0;
	char err[512];

	if (n >= 2) {
		split = ((size_t)p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
		split = n > 0 ? split % (n + 1) : 0;
	}
	rm("snapshot");
	rm("log");
	if (split > 0)
		put("snapshot", p, split);
	put("log", p + split, n - split);
	if ((s = suppress_open(dir, SUPPRESS_WRITE, err, sizeof(err))) ==
	    NULL) {
		CHECK(errno == EINVAL);
		return;
	}
	CHECK(suppress_lookup(s, "a@b.test", e, SUPPRESS_LOOKUPMAX) >= 0);
	CHECK(suppress_lookup(s, "<x@y>", e, SUPPRESS_LOOKUPMAX) >= 0);
	CHECK(suppress_lookup(s, "@", e, SUPPRESS_LOOKUPMAX) >= 0);
	CHECK(suppress_walk(s, walk_one, &walked) == 0);
	(void)suppress_count(s);
	if (suppress_add(s, &add, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "suppress_add: %s\n", err);
		abort();
	}
	CHECK(suppress_lookup(s, "FUZZ@added.test", e, 1) == 1);
	CHECK(suppress_compact(s, err, sizeof(err)) == 0);
	CHECK(suppress_lookup(s, "fuzz@added.test", e, 1) == 1);
	suppress_close(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0') {
		CHECK(strlcpy(dir, "/tmp/fuzz_suppress.XXXXXX", sizeof(dir)) <
		    sizeof(dir) && mkdtemp(dir) != NULL);
		(void)snprintf(sdir, sizeof(sdir), "%s/suppress", dir);
		CHECK(mkdir(sdir, 0750) == 0);
		(void)atexit(cleanup);
	}
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_store(data + 1, size - 1);
	else
		fuzz_csv(data[0], data + 1, size - 1);
	return 0;
}
