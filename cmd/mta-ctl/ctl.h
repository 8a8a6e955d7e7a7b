/*
 * ctl.h - the commands of mta-ctl, one file each.
 */
#ifndef MTA_CTL_H
#define MTA_CTL_H

struct ctl {
	const char *conf_path;		/* -C */
	const char *spool_dir;		/* -q, or NULL: from the config */
};

#define EX_USAGE_CTL	64	/* EX_USAGE: the caller prints usage */

int	ctl_check_config(struct ctl *, int, char **);
int	ctl_directives(struct ctl *, int, char **);
int	ctl_spool_init(struct ctl *, int, char **);
int	ctl_show_queue(struct ctl *, int, char **);

#endif
