/*
 * config - mta-ctl check-config: read the whole configuration, print every
 * error and warning, and with -v the settings each queue resolves to.
 */
#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"

/* ctl_check_config - "check-config [-v]" or "test config [-v]" */
int
ctl_check_config(struct ctl *ctl, int argc, char **argv)
{
	struct conf *c;
	int ch, verbose = 0, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "v")) != -1) {
		switch (ch) {
		case 'v':
			verbose = 1;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc)
		return EX_USAGE;
	if ((c = conf_load(ctl->conf_path)) == NULL)
		die_sys(EX_TEMPFAIL, "%s", ctl->conf_path);
	conf_print_diags(c, stdout);
	if (conf_errors(c) > 0) {
		printf("%zu error%s in %s\n", conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s", ctl->conf_path);
		rc = EX_CONFIG;
	} else {
		if (verbose)
			conf_print_queues(c, stdout);
		printf("configuration OK\n");
		rc = 0;
	}
	conf_free(c);
	return rc;
}

/* ctl_load_conf - the configuration, or exit with its errors printed */
struct conf *
ctl_load_conf(struct ctl *ctl)
{
	struct conf *c;
	size_t n;

	if ((c = conf_load(ctl->conf_path)) == NULL)
		die_sys(EX_TEMPFAIL, "%s", ctl->conf_path);
	if ((n = conf_errors(c)) > 0) {
		conf_print_diags(c, stderr);
		/* freed first: LeakSanitizer would turn exit 78 into 23 */
		conf_free(c);
		die(EX_CONFIG, "%s: %zu error%s", ctl->conf_path, n,
		    n == 1 ? "" : "s");
	}
	return c;
}
