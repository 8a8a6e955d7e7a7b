/*
 * fuzz_conf - libFuzzer target for the mta.conf parser: read the input as
 * a config file, check it, resolve some queues and sources, print all.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static FILE *devnull;
	struct conf_settings *s;
	struct conf *c;
	const uint8_t loop[4] = { 127, 0, 0, 1 };
	FILE *fp;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_conf.%d", (int)getpid());
		devnull = fopen("/dev/null", "w");
	}
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if ((c = conf_load(path)) == NULL)
		return 0;
	conf_print_diags(c, devnull);
	if ((s = malloc(sizeof(*s))) != NULL) {
		conf_resolve_queue(c, "gmail.com", "mta1", s);
		conf_print_settings(s, devnull);
		conf_resolve_queue(c, "[127.0.0.1]", NULL, s);
		conf_resolve_source(c, CONF_S_SOURCE, AF_INET, loop, "{auth}",
		    s);
		conf_print_settings(s, devnull);
		free(s);
	}
	if (conf_errors(c) == 0)
		conf_print_queues(c, devnull);
	conf_free(c);
	return 0;
}
