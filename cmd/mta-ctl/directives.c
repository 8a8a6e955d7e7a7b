/*
 * directives - mta-ctl directives: the directive table, one row a line,
 * tab-separated for cut(1) and awk(1): name, type, where it may stand,
 * default, and whether it has an effect yet.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "ctl.h"

/* ctl_directives - print the directive table */
int
ctl_directives(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argv;
	if (argc != 1)
		return EX_USAGE_CTL;
	printf("name\ttype\tscopes\tdefault\timplemented\n");
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++) {
		const struct conf_def *d = &conf_defs[i];
		const char *sep = "";

		/* Internal rows (a form of another directive) are not shown. */
		if (strchr(d->name, ' ') != NULL)
			continue;
		printf("%s\t%s", d->name, d->type == CONF_T_ENUM ?
		    d->values : conf_type_name(d->type));
		putchar('\t');
		for (unsigned bit = 1; bit != 0 && bit <= d->scopes; bit <<= 1)
			if (d->scopes & bit) {
				printf("%s%s", sep, conf_scope_name(bit));
				sep = ",";
			}
		printf("\t%s\t%s\n", d->def != NULL ? d->def : "",
		    d->implemented ? "yes" : "no");
	}
	return 0;
}
