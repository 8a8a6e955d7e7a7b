/*
 * conf_priv.h - what the conf modules share and nobody else sees.
 *
 * conf.c reads files into blocks, conf_value.c checks one directive's
 * value, conf_resolve.c answers which settings apply.
 */
#ifndef MTA_CONF_PRIV_H
#define MTA_CONF_PRIV_H

#include "conf.h"
#include "log.h"

#define CONF_ERRLEN	512

struct conf_diag {
	char	*text;
	bool	 error;
};

struct conf_macro {
	char	*name;
	char	*value;
	const char *file;
	int	 line;
};

struct conf {
	struct conf_block root;
	char	**files;		/* every file read, owned */
	size_t	 nfiles;
	struct conf_diag *diags;
	size_t	 ndiags, nerrors, nwarnings;
	struct conf_macro *macros;
	size_t	 nmacros;
	bool	 warned[CONF_NDIRECTIVES];
	struct conf_directive defaults[CONF_NDIRECTIVES];
	bool	 has_default[CONF_NDIRECTIVES];
	int	 order;
	char	*stack[16];		/* files being read, for loops */
	int	 depth;
};

void	conf_diag(struct conf *, bool, const char *, int, const char *, ...)
	    PRINTFLIKE(5, 6);
int	conf_value_parse(struct conf_directive *, char *, size_t);
void	conf_value_free(struct conf_directive *);
char	*conf_unquote(const char *, char *, size_t);
int	conf_expand_domains(struct conf *, struct conf_block *);

#endif
