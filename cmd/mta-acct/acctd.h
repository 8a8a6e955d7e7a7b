/*
 * acctd - the parts of mta-acct: one follower per <acct-file> block
 * (follow.c), the journal segments they read (segs.c), and the summary
 * report (summary.c).
 */
#ifndef MTA_ACCTD_H
#define MTA_ACCTD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "acct.h"
#include "buf.h"

#define ACCTD_STEMMAX	64

/* A place in the journal: segment stem and byte offset. */
struct jpos {
	char	 stem[ACCTD_STEMMAX];	/* "" before the first segment */
	uint64_t off;
};

#define ACCTD_NOPEN	8	/* open segments a follower may pass */

/*
 * Where a follower is in the journal: the newest segment it reached
 * (pos), and the open segments before it that it read to their end
 * and passed while they could still grow (an auxiliary writer's
 * segment came after them), oldest first.
 */
struct cursor {
	struct jpos pos;
	struct jpos open[ACCTD_NOPEN];
	size_t	 nopen;
};

/* A pipe write whose records a dead command may not have read. */
struct checkpoint {
	struct cursor cur;		/* journal cursor before the batch */
	uint64_t bytes;			/* pipe bytes queued before it */
};

#define ACCTD_NCHECK	64

struct afile {
	char	*name;			/* the block's argument */
	char	*path;			/* file path, or the command */
	bool	 pipe;
	struct acct_layout *layout;
	char	*posfile;		/* spool/acct/NAME.pos */
	struct cursor cur;		/* committed */
	uint64_t size;			/* committed CSV bytes */
	time_t	 started;		/* when the CSV file was begun */
	int	 fd;
	/* settings */
	bool	 sync, world_readable;
	int64_t	 move_interval, delete_after;	/* seconds, -1 never */
	uint64_t max_size;
	char	*move_to;		/* or NULL: the file's folder */
	/* pipe */
	pid_t	 pid;			/* its process group too */
	uint64_t piped;			/* bytes written to this command */
	struct buf out;			/* queued, not yet written */
	struct cursor after;		/* the cursor once out is written */
	time_t	 out_since;		/* when out was queued */
	int64_t	 write_timeout, retry_interval;	/* seconds */
	unsigned long kills;		/* commands killed, for the log */
	struct checkpoint ck[ACCTD_NCHECK];
	size_t	 nck;
	time_t	 restart_at;
	time_t	 last_clean;
};

struct acctd {
	struct conf *conf;		/* the layouts point into it */
	char	*spooldir;
	char	*logdir;
	struct afile *files;
	size_t	 nfiles;
	bool	 remove_segments;
	size_t	 batch_max;		/* CSV bytes per commit */
};

/* segs.c */
struct seginfo {
	char	 stem[ACCTD_STEMMAX];
	bool	 sealed;
};
int	segs_list(const char *, struct seginfo **, size_t *);
int	segs_open(const char *, const struct seginfo *, char *, size_t);
void	segs_remove_consumed(struct acctd *);
int	jpos_cmp(const struct jpos *, const struct jpos *);
const char *cursor_oldest(const struct cursor *);

/* follow.c */
int	afile_open(struct acctd *, struct afile *);
int	afile_step(struct acctd *, struct afile *, bool *);
int	afile_poll(const struct afile *, time_t, time_t *);
void	afile_rotate_check(struct afile *, time_t);
void	afile_child_exited(struct afile *, pid_t, int);
int	afile_save_pos(struct afile *);

/* setup.c */
void	acctd_setup(struct acctd *, const char *);
void	acctd_free(struct acctd *);

/* summary.c */
int	summary_main(int, char **);

#endif
