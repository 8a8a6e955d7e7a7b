/*
 * priv - dropping root for good: a daemon started as root (to bind port
 * 25, to read a root-only key) becomes an unprivileged user.
 */
#ifndef MTA_PRIV_H
#define MTA_PRIV_H

#include <stddef.h>

int	priv_drop(const char *, char *, size_t);

#endif
