/*
 * control - mta-queue's control socket ("control" in the spool root) for
 * mta-ctl; the request and reply format is in mta-queue(8).
 */
#ifndef MTA_QUEUE_CONTROL_H
#define MTA_QUEUE_CONTROL_H

struct ev;

int	control_start(struct ev *, const char *, char *, size_t);
void	control_stop(void);

#endif
