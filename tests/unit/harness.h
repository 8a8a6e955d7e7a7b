/*
 * harness - the in-tree unit test harness (after Postfix's ptest).
 *
 * A test file defines tests with TEST(name) and lists them in a
 * TEST_LIST; the harness runs each, counts the checks that failed and
 * ends with "N passed, N failed" where N counts test cases.
 */
#ifndef MTA_HARNESS_H
#define MTA_HARNESS_H

#include <stdint.h>
#include <string.h>

struct test_case {
	const char *name;
	void	(*fn)(void);
};

extern int test_failures;

void	test_fail(const char *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	test_main(const struct test_case *, int, char **);

#define TEST(name)	static void name(void)
#define T(name)		{ #name, name }

#define CHECK(cond) do {						\
	if (!(cond))							\
		test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_)							\
		test_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", \
		    #got, g_, w_);					\
} while (0)

#define CHECK_UINT(got, want) do {					\
	unsigned long long g_ = (got), w_ = (want);			\
	if (g_ != w_)							\
		test_fail(__FILE__, __LINE__, "%s: got %llu, want %llu", \
		    #got, g_, w_);					\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0)	\
		test_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", \
		    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");	\
} while (0)

#endif
