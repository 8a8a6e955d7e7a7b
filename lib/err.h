/*
 * err - the "char *err, size_t errlen" convention of lib/: a function
 * that fails says why in the caller's buffer (which may be NULL), and
 * errno survives the formatting.
 */
#ifndef MTA_ERR_H
#define MTA_ERR_H

#include <stddef.h>

#include "log.h"

void	err_msg(char *, size_t, const char *, ...) PRINTFLIKE(3, 4);
void	err_sys(char *, size_t, const char *, ...) PRINTFLIKE(3, 4);

#endif
