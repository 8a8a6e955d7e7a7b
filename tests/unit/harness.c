/*
 * harness - run a table of unit tests and print "N passed, N failed".
 *
 * With an argument, only the tests whose names contain it run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

int test_failures;

/* test_fail - report one failed check as "file:line: got X, want Y" */
void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	test_failures++;
}

/* test_main - run every test case of the table */
int
test_main(const struct test_case *tests, int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (const struct test_case *t = tests; t->name != NULL; t++) {
		int before = test_failures;

		if (argc > 1 && strstr(t->name, argv[1]) == NULL)
			continue;
		t->fn();
		if (test_failures == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n", t->name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
