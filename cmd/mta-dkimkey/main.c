/*
 * mta-dkimkey - make a DKIM key pair and the DNS record that publishes
 * it, or check that the published record matches a key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "dkimkey.h"
#include "log.h"

static _Noreturn void
usage(int code)
{
	fprintf(stderr, "usage: mta-dkimkey [-f] [-t rsa|ed25519] [-b bits] "
	    "[-o dir] -s selector -d domain\n"
	    "       mta-dkimkey --check [-C file] [-S servers] -s selector "
	    "-d domain -k keyfile\n");
	exit(code);
}

/* The config's name-server, as c-ares' "host:port,..." list. */
static char *
conf_servers(const char *path, int must)
{
	const struct conf_directive *d;
	struct conf_settings s;
	struct conf *c;
	char *csv = NULL;

	if (!must && access(path, F_OK) == -1)
		return NULL;
	if ((c = conf_load(path)) == NULL)
		die_sys(EX_TEMPFAIL, "%s", path);
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		die(EX_CONFIG, "%s: %zu error%s", path, conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s");
	}
	conf_resolve_global(c, &s);
	if ((d = conf_get(&s, CONF_NAME_SERVER)) != NULL && d->text != NULL) {
		if ((csv = strdup(d->text)) == NULL)
			die_sys(EX_TEMPFAIL, "out of memory");
		for (char *p = csv; *p != '\0'; p++)
			if (*p == ' ' || *p == '\t')
				*p = ',';
	}
	conf_free(c);
	return csv;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct dkimkey_opts o;
	const char *conf_path = NULL, *bits = NULL, *errstr;
	char *servers = NULL;
	int ch, check = 0;

	log_init("mta-dkimkey");
	memset(&o, 0, sizeof(o));
	o.type = "rsa";
	o.dir = ".";
	while ((ch = getopt_long(argc, argv, "b:C:d:fk:o:s:S:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bits = optarg;
			break;
		case 'C':
			conf_path = optarg;
			break;
		case 'd':
			o.domain = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case 'k':
			o.keyfile = optarg;
			break;
		case 'K':
			check = 1;
			break;
		case 'o':
			o.dir = optarg;
			break;
		case 's':
			o.selector = optarg;
			break;
		case 'S':
			o.servers = optarg;
			break;
		case 't':
			o.type = optarg;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc || o.selector == NULL || o.domain == NULL)
		usage(EX_USAGE);
	if (!dkimkey_name_ok(o.selector))
		die(EX_USAGE, "-s %s: not a DNS label list", o.selector);
	if (!dkimkey_name_ok(o.domain))
		die(EX_USAGE, "-d %s: not a domain name", o.domain);
	if (check) {
		if (o.keyfile == NULL || bits != NULL || o.force)
			usage(EX_USAGE);
		if (o.servers == NULL) {
			servers = conf_servers(conf_path ? conf_path :
			    MTA_SYSCONFDIR "/mta.conf", conf_path != NULL);
			o.servers = servers;
		}
		ch = dkimkey_check(&o);
		free(servers);
		return ch;
	}
	if (o.keyfile != NULL || o.servers != NULL || conf_path != NULL)
		usage(EX_USAGE);
	if (strcmp(o.type, "rsa") == 0) {
		o.bits = 2048;
		if (bits != NULL && (o.bits = (int)strtonum(bits, 1, 1 << 20,
		    &errstr)) == 0)
			die(EX_USAGE, "-b %s: %s", bits, errstr);
		if (o.bits < 1024)
			die(EX_USAGE, "-b %d: RSA keys under 1024 bits are "
			    "refused by verifiers (RFC 8301)", o.bits);
		if (o.bits > 4096)
			die(EX_USAGE, "-b %d: at most 4096 (larger keys do not "
			    "fit DNS well and sign slowly)", o.bits);
	} else if (strcmp(o.type, "ed25519") == 0) {
		if (bits != NULL)
			die(EX_USAGE, "-b: Ed25519 keys have a fixed size");
	} else
		die(EX_USAGE, "-t %s: not rsa or ed25519", o.type);
	return dkimkey_generate(&o);
}
