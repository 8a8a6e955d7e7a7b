/*
 * verp - the recipient a VERP address decodes to (verp_find()) made the
 * recipient of the inbound report.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "inbound.h"
#include "log.h"

/*
 * bounce_verp_apply - the recipients of the bounce in: one without an
 * address gets v; a single one that names another address is replaced
 * by v, the address the message went to (the report may name where it
 * was forwarded); the number of recipients changed
 */
int
bounce_verp_apply(struct inbound *in, const char *v)
{
	struct inbound_rcpt *r;
	int changed = 0;
	char *s;

	if (in->kind != INBOUND_BOUNCE)
		return 0;
	for (size_t i = 0; i < in->n; i++) {
		r = &in->r[i];
		if (r->rcpt != NULL && r->rcpt[0] != '\0' &&
		    (strcasecmp(r->rcpt, v) == 0 || in->n > 1))
			continue;	/* confirmed, or one of several */
		if ((s = strdup(v)) == NULL)
			return -1;
		if (r->rcpt != NULL && r->rcpt[0] != '\0')
			log_info("inbound: the report names another recipient "
			    "than its VERP address: the VERP one is used");
		free(r->rcpt);
		r->rcpt = s;
		changed++;
	}
	return changed;
}
