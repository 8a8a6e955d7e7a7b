/*
 * rate_test - rate limits: spacing, the window promise of rate.h over
 * simulated timelines, unlimited and none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "confval.h"
#include "harness.h"
#include "rate.h"

#define SEC	1000000ULL

/* limit - r set from the mta.conf(5) rate text s */
static void
limit(struct rate *r, const char *s)
{
	struct confval_rate cv;
	char err[CONFVAL_ERRLEN];

	if (confval_rate(s, &cv, err, sizeof(err)) == -1) {
		test_fail(__FILE__, __LINE__, "confval_rate %s: %s", s, err);
		abort();
	}
	rate_init(r, &cv);
}

TEST(spacing)
{
	static const struct {
		const char *rate;
		uint64_t spacing;
	} t[] = {
		{ "10/s", 100000 },
		{ "3/s", 333334 },		/* rounded up */
		{ "100/h", 36000000 },
		{ "1/m", 60 * SEC },
		{ "7/5m", 42857143 },
		{ "5000000/s", 1 },		/* never below 1 us */
		{ "1/w", 604800 * SEC },
	};
	struct rate r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		limit(&r, t[i].rate);
		CHECK(!r.unlimited && !r.none);
		CHECK_UINT(r.spacing_us, t[i].spacing);
	}
}

TEST(take_and_wait)
{
	struct rate r;

	limit(&r, "10/s");
	CHECK_UINT(rate_wait(&r, 5 * SEC), 0);
	CHECK(rate_take(&r, 5 * SEC));
	CHECK_UINT(r.next_us, 5 * SEC + 100000);
	CHECK_UINT(rate_wait(&r, 5 * SEC + 40000), 60000);
	/* a refusal changes nothing */
	CHECK(!rate_take(&r, 5 * SEC + 40000));
	CHECK_UINT(r.next_us, 5 * SEC + 100000);
	CHECK(!rate_take(&r, 5 * SEC + 99999));
	CHECK(rate_take(&r, 5 * SEC + 100000));
	CHECK_UINT(r.next_us, 5 * SEC + 200000);
	/* idle time earns no credit: one now, the next a spacing later */
	CHECK(rate_take(&r, 60 * SEC));
	CHECK(!rate_take(&r, 60 * SEC + 1));
	CHECK_UINT(rate_wait(&r, 60 * SEC + 1), 99999);
	CHECK_UINT(rate_wait(&r, 61 * SEC), 0);
}

/*
 * simulate - try rate_take at pseudo-random times for n tries of at most
 * maxstep us apart; every window of one period holds at most count of
 * the events taken, and tries that jump straight to the time rate_wait
 * gives fill a period to count exactly
 */
static void
simulate(const char *rate, uint64_t count, uint64_t per, uint64_t maxstep,
    bool greedy)
{
	struct rate r;
	uint64_t *at, now = 1000, seed = 42;
	size_t n = 0, tries = 20000;

	limit(&r, rate);
	if ((at = calloc(tries, sizeof(*at))) == NULL)
		abort();
	for (size_t i = 0; i < tries; i++) {
		if (rate_take(&r, now))
			at[n++] = now;
		if (greedy && rate_wait(&r, now) > 0)
			now += rate_wait(&r, now);
		else {
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			now += (seed >> 33) % maxstep + 1;
		}
	}
	CHECK(n > count);
	for (size_t i = 0, j = 0; i < n; i++) {
		while (j < n && at[j] < at[i] + per)
			j++;
		if (j - i > count) {
			test_fail(__FILE__, __LINE__, "%s: %zu events in "
			    "[%llu, +%llu)", rate, j - i,
			    (unsigned long long)at[i],
			    (unsigned long long)per);
			break;
		}
		if (greedy && j < n)
			CHECK_UINT(j - i, count);
	}
	free(at);
}

TEST(windows)
{
	simulate("3/s", 3, SEC, 50000, false);
	simulate("3/s", 3, SEC, 1, true);
	simulate("10/s", 10, SEC, 7919, false);
	simulate("10/s", 10, SEC, 1, true);
	simulate("100/h", 100, 3600 * SEC, 3 * SEC, false);
	simulate("100/h", 100, 3600 * SEC, 1, true);
	simulate("7/5m", 7, 300 * SEC, 10 * SEC, false);
	simulate("7/5m", 7, 300 * SEC, 1, true);
	simulate("999/s", 999, SEC, 300, false);
	simulate("999/s", 999, SEC, 1, true);
}

TEST(unlimited)
{
	struct rate r;

	limit(&r, "unlimited");
	CHECK(r.unlimited);
	for (uint64_t t = 0; t < 1000; t++)
		CHECK(rate_take(&r, 77));
	CHECK_UINT(rate_wait(&r, 77), 0);
	CHECK(rate_take(&r, 0));
}

TEST(none)
{
	struct rate r;

	limit(&r, "0");
	CHECK(r.none && !r.unlimited);
	CHECK(!rate_take(&r, 0));
	CHECK(!rate_take(&r, UINT64_MAX));
	CHECK_UINT(rate_wait(&r, 0), UINT64_MAX);
	limit(&r, "0/h");
	CHECK(r.none);
	CHECK(!rate_take(&r, 12345));
}

TEST(extremes)
{
	struct confval_rate cv = { false, 1, UINT64_MAX / 1000 };
	struct rate r;

	/* a period beyond 2^64 us is cut, and nothing overflows */
	rate_init(&r, &cv);
	CHECK_UINT(r.spacing_us, UINT64_MAX);
	CHECK(rate_take(&r, 5));
	CHECK_UINT(r.next_us, UINT64_MAX);
	CHECK(!rate_take(&r, UINT64_MAX - 1));
	CHECK_UINT(rate_wait(&r, 5), UINT64_MAX - 5);
	limit(&r, "1000/s");
	CHECK(rate_take(&r, UINT64_MAX - 10));
	CHECK_UINT(r.next_us, UINT64_MAX);
	CHECK(rate_take(&r, UINT64_MAX));
}

static const struct test_case tests[] = {
	T(spacing),
	T(take_and_wait),
	T(windows),
	T(unlimited),
	T(none),
	T(extremes),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
