/*
 * rx - regular expressions of the config, compiled once at load.
 *
 * PowerMTA's patterns are PCRE (operators write \d, \s, (?i), \x23), so
 * the config's /regex/ values are compiled with PCRE2, caselessly unless
 * the caller asks otherwise.
 */
#ifndef MTA_RX_H
#define MTA_RX_H

#include <stdbool.h>
#include <stddef.h>

#define RX_CASELESS	0x1

struct rx;

struct rx *rx_compile(const char *, size_t, int, char *, size_t);
int	rx_match(const struct rx *, const char *, size_t);
const char *rx_pattern(const struct rx *);
void	rx_free(struct rx *);

#endif
