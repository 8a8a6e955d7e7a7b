/*
 * conf_table - the directive table as data, and look-ups in it.
 */
#include <string.h>

#include "conf.h"

#define CONF_DIRECTIVE(id, name, type, scopes, def, impl, values) \
	{ id, name, type, scopes, def, impl, values },
const struct conf_def conf_defs[CONF_NDIRECTIVES] = {
#include "conf_directives.h"
};
#undef CONF_DIRECTIVE

/* conf_def_byname - the first row with this name, or NULL */
const struct conf_def *
conf_def_byname(const char *name)
{
	for (size_t i = 0; i < CONF_NDIRECTIVES; i++)
		if (strcmp(conf_defs[i].name, name) == 0)
			return &conf_defs[i];
	return NULL;
}

static const char *const type_names[] = {
	[CONF_T_BOOL] = "boolean",
	[CONF_T_INT] = "integer",
	[CONF_T_SIZE] = "size",
	[CONF_T_INTERVAL] = "interval",
	[CONF_T_INTERVAL_NEVER] = "interval|never",
	[CONF_T_INTERVALS] = "interval-list",
	[CONF_T_RATE] = "rate",
	[CONF_T_ENUM] = "choice",
	[CONF_T_STRING] = "string",
	[CONF_T_PATH] = "path",
	[CONF_T_HOST] = "host",
	[CONF_T_EMAIL] = "address",
	[CONF_T_NAME] = "name",
	[CONF_T_WORDS] = "list",
	[CONF_T_TEXT] = "text",
	[CONF_T_CIDR] = "cidr",
	[CONF_T_HOSTS] = "host-list",
	[CONF_T_LISTENER] = "listener",
	[CONF_T_SOURCE_HOST] = "ip [host]",
	[CONF_T_DOMAIN_KEY] = "selector,domain,file",
	[CONF_T_RETRY] = "interval-list|code status delay",
	[CONF_T_REPLY_RULE] = "/regex/ actions",
	[CONF_T_MATCH_RULE] = "/regex/ actions",
	[CONF_T_ROLLUP] = "pattern name [rollup-by-ip]",
	[CONF_T_CATEGORY_RULE] = "/regex/ category",
	[CONF_T_RECORD_FIELDS] = "type fields",
	[CONF_T_MACRO] = "name values",
	[CONF_T_INCLUDE] = "file-pattern",
};

/* conf_type_name - how the directive table names a value type */
const char *
conf_type_name(enum conf_type t)
{
	if ((size_t)t >= sizeof(type_names) / sizeof(type_names[0]) ||
	    type_names[t] == NULL)
		return "?";
	return type_names[t];
}
