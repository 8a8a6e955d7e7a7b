/*
 * spool - the spool tree of mta-spool(5): queue ids, durable group commit
 * of new messages, and the queue manager's view of new/ and queue/.
 *
 * Every state change is a new file and a rename(2); nothing is reported
 * committed before the file and its directory entry are on disk.
 */
#ifndef MTA_SPOOL_H
#define MTA_SPOOL_H

#include <stddef.h>

#include "envelope.h"

#define SPOOL_QIDLEN	21	/* 8 hex seconds, 5 hex usec, 8 hex pid */
#define SPOOL_RDONLY	0x01	/* spool_open: no writes planned */
#define SPOOL_INJECT	0x02	/* spool_open: writes tmp/ and new/ only */
#define SPOOL_QDIRS	256	/* queue/00 to queue/ff */
#define SPOOL_TMP_MAXAGE (36 * 60 * 60)	/* seconds before tmp/ is stale */

struct spool;
struct spool_writer;

int	spool_init(const char *, char *, size_t);
int	spool_sync_parent(const char *);
struct spool *spool_open(const char *, int, char *, size_t);
void	spool_close(struct spool *);

void	spool_qid_new(char [SPOOL_QIDLEN + 1]);
int	spool_qid_valid(const char *);

struct spool_writer *spool_writer_new(struct spool *, struct envelope *,
	    char *, size_t);
const char *spool_writer_qid(const struct spool_writer *);
int	spool_writer_write(struct spool_writer *, const void *, size_t);
void	spool_writer_abort(struct spool_writer *);
void	spool_writer_free(struct spool_writer *);
int	spool_commit(struct spool *, struct spool_writer **, size_t, char *,
	    size_t);
int	spool_anon_create(struct spool *);
int	spool_set_anon(struct spool *, int (*)(void *), void *);

int	spool_scan_new(struct spool *, int (*)(const char *, void *), void *);
int	spool_scan_queue(struct spool *, int (*)(const char *, void *),
	    void *);
int	spool_scan_queue_dir(struct spool *, unsigned,
	    int (*)(const char *, void *), void *);
int	spool_take(struct spool *, const char *);
int	spool_take_nosync(struct spool *, const char *);
int	spool_sync_taken(struct spool *);
const char *spool_dir(const struct spool *);
int	spool_path(struct spool *, const char *, char *, size_t);
int	spool_open_msg(struct spool *, const char *, struct envelope *,
	    size_t *, int *, char *, size_t);
int	spool_read_msg(struct spool *, const char *, struct envelope *,
	    size_t *, struct buf *, char *, size_t);
int	spool_remove(struct spool *, const char *);
int	spool_clean_tmp(struct spool *, time_t);

#endif
