/*
 * rate - a rate limit as a generic cell rate algorithm without burst.
 *
 * A rate of count events a period becomes a spacing of period / count
 * microseconds, rounded up, and the time next_us before which no event
 * may happen.  Rounding up is what keeps the promise of rate.h: k events
 * spaced at least period / count apart span at least (k - 1) * period /
 * count, so a half-open window of one period never holds more than count
 * of them.  There is no credit for idle time: after a quiet hour a limit
 * of 10/s still allows one event now and the next 100 ms later.
 */
#include <stdbool.h>
#include <stdint.h>

#include "confval.h"
#include "rate.h"

#define US_PER_SEC	1000000ULL

/*
 * rate_init - set r to the limit cv with no event taken yet; a period
 * longer than UINT64_MAX microseconds (half a million years) is cut to it
 */
void
rate_init(struct rate *r, const struct confval_rate *cv)
{
	uint64_t per_us;

	r->unlimited = cv->unlimited;
	r->none = !cv->unlimited && cv->count == 0;
	r->spacing_us = 0;
	r->next_us = 0;
	if (r->unlimited || r->none)
		return;
	per_us = cv->per > UINT64_MAX / US_PER_SEC ? UINT64_MAX :
	    cv->per * US_PER_SEC;
	/* rounded up, and at least 1 us */
	r->spacing_us = per_us / cv->count + (per_us % cv->count != 0);
	if (r->spacing_us == 0)
		r->spacing_us = 1;
}

/*
 * rate_take - take one event at time now_us (microseconds on a clock
 * that never goes back): true, and the next event is pushed one spacing
 * later, when the limit allows it now; false, and nothing changes, when
 * it does not
 */
bool
rate_take(struct rate *r, uint64_t now_us)
{
	if (r->unlimited)
		return true;
	if (r->none || now_us < r->next_us)
		return false;
	/* now_us >= next_us, so max(now_us, next_us) is now_us */
	r->next_us = now_us > UINT64_MAX - r->spacing_us ? UINT64_MAX :
	    now_us + r->spacing_us;
	return true;
}

/*
 * rate_wait - microseconds from now_us until rate_take() would succeed:
 * 0 when it would now, UINT64_MAX when never (the rate "0")
 */
uint64_t
rate_wait(const struct rate *r, uint64_t now_us)
{
	if (r->unlimited)
		return 0;
	if (r->none)
		return UINT64_MAX;
	return r->next_us > now_us ? r->next_us - now_us : 0;
}
