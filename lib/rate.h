/*
 * rate - a rate limit such as max-msg-rate "100/h" or max-connect-rate
 * "10/s": events evenly spaced, so that no window of the period ever
 * holds more than the allowed count (a GCRA with no burst).
 *
 * Times are microseconds on a clock that never goes back (CLOCK_MONOTONIC
 * is right; the wall clock is not).  rate_init() sets spacing_us to the
 * period divided by the count, rounded up, and next_us to 0: the first
 * event is allowed at once.  rate_take(r, now) is true when now >=
 * next_us, and then sets next_us = now + spacing_us; otherwise it is
 * false and changes nothing.  Idle time earns no credit, so there are
 * never two events closer than spacing_us.  rate_wait(r, now) is the
 * number of microseconds until rate_take() would be true: 0 when it
 * would be now.  "unlimited" is always allowed (wait 0); "0", none, is
 * never allowed (wait UINT64_MAX).
 */
#ifndef MTA_RATE_H
#define MTA_RATE_H

#include <stdbool.h>
#include <stdint.h>

#include "confval.h"

struct rate {
	bool	 unlimited;
	bool	 none;		/* "0": nothing is ever allowed */
	uint64_t spacing_us;	/* period / count, microseconds */
	uint64_t next_us;	/* earliest time of the next event */
};

void	rate_init(struct rate *, const struct confval_rate *);
bool	rate_take(struct rate *, uint64_t);
uint64_t rate_wait(const struct rate *, uint64_t);

#endif
