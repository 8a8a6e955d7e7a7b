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

struct conf;

const char *ctl_spool_dir(struct ctl *);
struct conf *ctl_load_conf(struct ctl *);
int	ctl_check_config(struct ctl *, int, char **);
int	ctl_directives(struct ctl *, int, char **);
int	ctl_spool_init(struct ctl *, int, char **);
int	ctl_show_queue(struct ctl *, int, char **);
int	ctl_status(struct ctl *, int, char **);		/* remote.c */
int	ctl_show_queues(struct ctl *, int, char **);
int	ctl_show_domains(struct ctl *, int, char **);
int	ctl_show_vmtas(struct ctl *, int, char **);
int	ctl_show_settings(struct ctl *, int, char **);
int	ctl_pause(struct ctl *, int, char **);
int	ctl_resume(struct ctl *, int, char **);
int	ctl_set_queue(struct ctl *, int, char **);
int	ctl_schedule(struct ctl *, int, char **);
int	ctl_reload(struct ctl *, int, char **);
int	ctl_delete(struct ctl *, int, char **);
int	ctl_disable_source(struct ctl *, int, char **);
int	ctl_enable_source(struct ctl *, int, char **);
int	ctl_resolve(struct ctl *, int, char **);
int	ctl_show_suppressed(struct ctl *, int, char **);	/* suppress.c */
int	ctl_suppress(struct ctl *, int, char **);

#endif
