/*
 * mta-ctl - the operator's tool: check the configuration, set up the
 * spool, and (with mta-queue running) inspect and steer the queues.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define USAGE "usage: mta-ctl [-C file] [-q spooldir] command [args ...]\n" \
	"commands:\n" \
	"  check-config [-v]     check the configuration (also: test config)\n" \
	"  directives            print the table of configuration directives\n" \
	"  spool init            create the spool tree\n" \
	"  show queue            count messages by state, vmta and domain\n"

static const struct command {
	const char *name;
	const char *name2;	/* second word, or NULL */
	int	(*fn)(struct ctl *, int, char **);
} commands[] = {
	{ "check-config", NULL, ctl_check_config },
	{ "test", "config", ctl_check_config },
	{ "directives", NULL, ctl_directives },
	{ "spool", "init", ctl_spool_init },
	{ "show", "queue", ctl_show_queue },
};

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { MTA_SYSCONFDIR "/mta.conf", NULL };
	int ch, skip, rc;

	log_init("mta-ctl");
	while ((ch = getopt(argc, argv, "+C:hq:")) != -1) {
		switch (ch) {
		case 'C':
			ctl.conf_path = optarg;
			break;
		case 'q':
			ctl.spool_dir = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EX_USAGE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		skip = 1;
		if (commands[i].name2 != NULL) {
			if (argc < 2 || strcmp(argv[1], commands[i].name2) != 0)
				continue;
			skip = 2;
		}
		/* The command sees its own words as argv[0]. */
		rc = commands[i].fn(&ctl, argc - skip + 1, argv + skip - 1);
		if (rc == EX_USAGE)
			usage(EX_USAGE);
		return rc;
	}
	log_warn("unknown command \"%s\"", argv[0]);
	usage(EX_USAGE);
}
