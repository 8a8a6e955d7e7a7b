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
	"  resolve [-46] [-s servers] domain ...\n" \
	"                        the MX hosts and addresses delivery uses\n" \
	"  show queue            count messages by state, vmta and domain\n" \
	"  show suppressed addr ...\n" \
	"                        the suppression lists holding each address\n" \
	"  suppress add [-l list] [-r reason] addr ...\n" \
	"  suppress remove addr ...\n" \
	"  suppress import [-l list] file.csv\n" \
	"  suppress export [-l list]\n" \
	"  suppress compact      the suppression list; CSV: address,list,\n" \
	"                        added,reason\n" \
	"asking mta-queue (each also with --json):\n" \
	"  status                its counters\n" \
	"  show queues [pattern] the queues: domain/vmta, domain, */vmta, *\n" \
	"  show domains          the queues summed by domain\n" \
	"  show vmtas            the queues summed by virtual MTA\n" \
	"  show settings domain[/vmta]\n" \
	"                        the settings a queue runs with\n" \
	"  pause queue pattern   stop delivering to the queues\n" \
	"  resume queue pattern  deliver again\n" \
	"  set queue --mode=normal|backoff pattern\n" \
	"  schedule pattern      retry the queues now\n" \
	"  reload                re-read the configuration\n" \
	"  delete [--queue=pat] [--rcpt=addr] [--orig=addr] [--jobId=id]\n" \
	"  disable source ip     stop sending from a source address\n" \
	"  enable source ip      send from it again\n"

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
	{ "status", NULL, ctl_status },
	{ "show", "status", ctl_status },
	{ "show", "queues", ctl_show_queues },
	{ "show", "domains", ctl_show_domains },
	{ "show", "vmtas", ctl_show_vmtas },
	{ "show", "settings", ctl_show_settings },
	{ "pause", "queue", ctl_pause },
	{ "resume", "queue", ctl_resume },
	{ "set", "queue", ctl_set_queue },
	{ "schedule", NULL, ctl_schedule },
	{ "reload", NULL, ctl_reload },
	{ "delete", NULL, ctl_delete },
	{ "disable", "source", ctl_disable_source },
	{ "enable", "source", ctl_enable_source },
	{ "resolve", NULL, ctl_resolve },
	{ "show", "suppressed", ctl_show_suppressed },
	{ "suppress", NULL, ctl_suppress },
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
