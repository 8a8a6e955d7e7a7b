/*
 * fuzz_acct_summary - libFuzzer target for the CSV reader of
 * "mta-acct summary" (lib/acct_summary.c): the input is one file, fed in
 * two pieces cut where its first byte says.
 *
 * Invariants checked (abort() when one fails): a failure sets errno and
 * a reason; the records counted are never more than the input's line
 * ends plus one, nor more than the input's length; the report prints.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct acct_summary *s;
	char err[256], out[64];
	size_t cut, lines = 1;
	unsigned long long records;
	FILE *fp;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	if (size == 0)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' || data[i] == '\r')
			lines++;
	CHECK((s = acct_summary_new()) != NULL);
	err[0] = '\0';
	errno = 0;
	if (acct_summary_feed(s, data, cut, err, sizeof(err)) == -1 ||
	    acct_summary_feed(s, data + cut, size - cut, err, sizeof(err))
	    == -1 || acct_summary_end(s, err, sizeof(err)) == -1) {
		CHECK(errno != 0 && err[0] != '\0');
		acct_summary_free(s);
		return 0;
	}
	CHECK(acct_summary_print(s, null, false) == 0);
	CHECK(acct_summary_print(s, null, true) == 0);
	/* the first line of the report is "records<TAB>N" */
	fp = fmemopen(out, sizeof(out), "w");
	CHECK(fp != NULL);
	(void)acct_summary_print(s, fp, false);
	(void)fclose(fp);
	out[sizeof(out) - 1] = '\0';
	CHECK(strncmp(out, "records\t", 8) == 0);
	records = strtoull(out + 8, NULL, 10);
	CHECK(records <= lines && records <= size);
	acct_summary_free(s);
	return 0;
}
