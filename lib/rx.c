/*
 * rx - regular expressions of the config, compiled once at load (PCRE2).
 *
 * Matching is bounded by PCRE2's match limit so a hostile pattern or
 * subject cannot stall a daemon: a match that hits the limit counts as
 * no match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rx.h"

#define RX_MATCH_LIMIT	100000

struct rx {
	pcre2_code		*code;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	char			*pattern;
};

/* rx_compile - compile pattern p of length n, or say why not in err */
struct rx *
rx_compile(const char *p, size_t n, int flags, char *err, size_t errlen)
{
	struct rx *rx;
	PCRE2_UCHAR msg[128];
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_DOLLAR_ENDONLY;
	int code;

	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return NULL;
	if (flags & RX_CASELESS)
		opts |= PCRE2_CASELESS;
	rx->code = pcre2_compile((PCRE2_SPTR)p, n, opts, &code, &off, NULL);
	if (rx->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		if (errlen > 0)
			snprintf(err, errlen, "bad regular expression at "
			    "offset %zu: %s", (size_t)off, (char *)msg);
		free(rx);
		return NULL;
	}
	rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	rx->mctx = pcre2_match_context_create(NULL);
	rx->pattern = strndup(p, n);
	if (rx->md == NULL || rx->mctx == NULL || rx->pattern == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "out of memory");
		rx_free(rx);
		return NULL;
	}
	pcre2_set_match_limit(rx->mctx, RX_MATCH_LIMIT);
	return rx;
}

/* rx_match - 1 if the subject matches, 0 if not */
int
rx_match(const struct rx *rx, const char *s, size_t n)
{
	return pcre2_match(rx->code, (PCRE2_SPTR)s, n, 0, 0, rx->md,
	    rx->mctx) >= 0;
}

/* rx_pattern - the source text of the expression */
const char *
rx_pattern(const struct rx *rx)
{
	return rx->pattern;
}

/* rx_free - release a compiled expression */
void
rx_free(struct rx *rx)
{
	if (rx == NULL)
		return;
	pcre2_match_context_free(rx->mctx);
	pcre2_match_data_free(rx->md);
	pcre2_code_free(rx->code);
	free(rx->pattern);
	free(rx);
}
