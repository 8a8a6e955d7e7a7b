/*
 * suppress_bench - lookups a second against the suppression list of a
 * spool, the way mta-smtpd and mta-queue make them: suppress_check() on
 * the default set, each call first checking the log for changes made by
 * other processes (one stat(2)).
 *
 * Usage: suppress_bench -q spooldir -n N [-s secs] [-o]
 *
 * The store is expected to hold kI@bench.test for I in 0..N-1.  Prints,
 * one "name value" a line: the time to open the store and answer one
 * lookup (what a fresh mta-inject pays), hits a second (random I), misses
 * a second (addresses not in it), stat(2) calls a second (the floor of
 * the change check), and the resident memory of the process.  With -o
 * it prints only the open time, for a loop of processes.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suppress.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(fp);
	return kb;
}

/* rate - calls of one kind a second over secs; *found counts matches */
static double
rate(struct suppress_set *set, long n, double secs, int hits, long *found)
{
	struct suppress_match m;
	char addr[64];
	double t0 = now(), t;
	long calls = 0;
	unsigned r = 12345;

	*found = 0;
	do {
		for (int i = 0; i < 1000; i++) {
			r = r * 1103515245 + 12345;
			(void)snprintf(addr, sizeof(addr), hits ?
			    "k%ld@bench.test" : "k%ld@miss.test",
			    (long)((r >> 4) % (unsigned long)n));
			if (suppress_check(set, addr, &m) == 1)
				(*found)++;
		}
		calls += 1000;
		t = now() - t0;
	} while (t < secs);
	return (double)calls / t;
}

int
main(int argc, char **argv)
{
	const char *spool = NULL;
	struct suppress_set *set;
	struct suppress_match m;
	struct suppress *s;
	struct stat st;
	char err[512], path[4096];
	double secs = 2, t0, t, open_ms;
	long n = 0, found, calls;
	int ch, only_open = 0;

	while ((ch = getopt(argc, argv, "n:oq:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'o':
			only_open = 1;
			break;
		case 'q':
			spool = optarg;
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	if (spool == NULL || n <= 0)
		goto usage;
	t0 = now();
	if ((s = suppress_open(spool, 0, err, sizeof(err))) == NULL ||
	    (set = suppress_set_new(NULL, s, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "suppress_bench: %s\n", err);
		return 1;
	}
	if (suppress_check(set, "k0@bench.test", &m) != 1) {
		fprintf(stderr, "suppress_bench: k0@bench.test not found\n");
		return 1;
	}
	open_ms = (now() - t0) * 1000;
	if (only_open) {
		printf("%.3f\n", open_ms);
		return 0;
	}
	printf("open_and_first_lookup_ms %.3f\n", open_ms);
	printf("hits_per_s %.0f\n", rate(set, n, secs, 1, &found));
	if (found == 0)
		fprintf(stderr, "suppress_bench: no hit found\n");
	printf("misses_per_s %.0f\n", rate(set, n, secs, 0, &found));
	if (found != 0)
		fprintf(stderr, "suppress_bench: %ld misses found\n", found);
	(void)snprintf(path, sizeof(path), "%s/suppress/log", spool);
	t0 = now();
	calls = 0;
	do {
		for (int i = 0; i < 1000; i++)
			(void)stat(path, &st);
		calls += 1000;
		t = now() - t0;
	} while (t < secs);
	printf("stat_per_s %.0f\n", (double)calls / t);
	printf("rss_kb %ld\n", rss_kb());
	suppress_set_free(set);
	suppress_close(s);
	return 0;
usage:
	fprintf(stderr, "usage: suppress_bench -q spooldir -n N [-s secs] "
	    "[-o]\n");
	return 64;
}
