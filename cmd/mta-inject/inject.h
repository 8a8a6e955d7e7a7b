/*
 * inject.h - what the parts of mta-inject share.
 */
#ifndef MTA_INJECT_H
#define MTA_INJECT_H

#include <stdbool.h>

#include "submit.h"

struct inject {
	struct submit	 sub;
	struct submit_env env;		/* from the command line */
	bool		 dot_ends;	/* a lone "." ends the message */
};

int	inject_exit_code(int);
int	inject_single(struct inject *);
int	inject_batch(struct inject *);

#endif
