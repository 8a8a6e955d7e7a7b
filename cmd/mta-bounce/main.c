/*
 * mta-bounce - classify failures into bounce categories, and read the
 * bounces and complaints that come back as mail (mta-bounce(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounce.h"
#include "bouncecat.h"
#include "buf.h"
#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "verp.h"

#define USAGE "usage: mta-bounce [-C file] [-c categories] classify reply\n" \
	"       mta-bounce [-C file] [-c categories] [-q spooldir] " \
	"[-r rcpt] --inbound [--print]\n"

static _Noreturn void
usage(int code)
{
	fputs(USAGE, code == 0 ? stdout : stderr);
	exit(code);
}

/* load_conf - the config at path; NULL when it is optional and absent */
static struct conf *
load_conf(const char *path, int optional)
{
	struct conf *c;
	size_t n;

	if (optional && access(path, F_OK) == -1 && errno == ENOENT)
		return NULL;
	if ((c = conf_load(path)) == NULL)
		die_sys(EX_CONFIG, "%s", path);
	if ((n = conf_errors(c)) > 0) {
		conf_print_diags(c, stderr);
		conf_free(c);
		die(EX_CONFIG, "%s: %zu errors", path, n);
	}
	return c;
}

static const char *
kind_name(enum inbound_kind k)
{
	switch (k) {
	case INBOUND_BOUNCE:
		return "bounce";
	case INBOUND_COMPLAINT:
		return "complaint";
	case INBOUND_AUTOREPLY:
		return "autoreply";
	default:
		return "none";
	}
}

/*
 * The recipient the VERP address of the bounce msg encodes, into v;
 * false if there is none.  A forged address is fatal.  Without a key in
 * the spool no address can be ours, and none is looked for.
 */
static bool
verp(const char *msg, size_t n, const char *rcpt, const char *spooldir,
    struct buf *v)
{
	unsigned char key[VERP_KEYLEN];
	const char *where;
	char path[4096];
	int rc;

	rc = snprintf(path, sizeof(path), "%s/%s", spooldir, VERP_KEYFILE);
	if (rc < 0 || (size_t)rc >= sizeof(path))
		die(EX_TEMPFAIL, "%s/%s: path too long", spooldir,
		    VERP_KEYFILE);
	if (verp_key_read(path, key) == -1) {
		if (errno != ENOENT)
			die_sys(EX_TEMPFAIL, "%s", path);
		if (rcpt != NULL)
			log_warn("%s: no VERP key: --rcpt not decoded", path);
		return false;
	}
	rc = verp_find(msg, n, rcpt, key, sizeof(key), v, &where);
	explicit_bzero(key, sizeof(key));
	if (rc == -1 && errno == EBADMSG)
		die(EX_DATAERR, "the VERP address in %s has a bad tag: not a "
		    "bounce of ours, refused", where);
	if (rc == -1)
		die_sys(EX_TEMPFAIL, "VERP");
	if (rc == 1)
		log_info("inbound: VERP address in %s decoded", where);
	return rc == 1;
}

/* inbound - read one message on stdin and print or journal what it says */
static int
inbound(const struct bouncecat *bc, const struct conf *c,
    const char *spooldir, const char *rcpt, int print)
{
	struct conf_settings g;
	struct inbound in;
	struct buf v = BUF_INIT;
	char err[512], *msg;
	size_t n;
	int rc, nrec, nsup;
	bool have;

	if (bounce_read_stdin(&msg, &n) == -1) {
		if (errno == EFBIG)
			die(EX_DATAERR, "message longer than %d bytes",
			    BOUNCE_READMAX);
		die_sys(EX_TEMPFAIL, "read");
	}
	if (spooldir == NULL && c != NULL) {
		conf_resolve_global(c, &g);
		spooldir = conf_str(&g, CONF_SPOOL);
	}
	if (spooldir == NULL)
		spooldir = MTA_SPOOLDIR;
	have = verp(msg, n, rcpt, spooldir, &v);
	if (inbound_parse_rcpt(&in, msg, n, have ? buf_cstr(&v) : NULL, bc,
	    err, sizeof(err)) == -1) {
		free(msg);
		if (errno == ENOMEM)
			die(EX_TEMPFAIL, "%s", err);
		die(EX_DATAERR, "%s", err);
	}
	free(msg);
	if (have && bounce_verp_apply(&in, buf_cstr(&v)) == -1)
		die(EX_TEMPFAIL, "out of memory");
	buf_free(&v);
	if (print) {
		rc = bounce_print(&in, stdout);
		inbound_free(&in);
		return rc;
	}
	/* suppression first: adding twice is harmless, journaling not */
	nsup = bounce_suppress(bc, &in, spooldir);
	nrec = bounce_journal(&in, spooldir);
	log_info("inbound format=%s kind=%s records=%d suppressed=%d",
	    in.format != NULL ? in.format : "none", kind_name(in.kind), nrec,
	    nsup);
	inbound_free(&in);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "inbound", no_argument, NULL, 'I' },
		{ "print", no_argument, NULL, 'P' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *confpath = MTA_SYSCONFDIR "/mta.conf", *catpath = NULL;
	const char *spooldir = NULL, *rcpt = NULL;
	struct bouncecat *bc;
	struct conf *c;
	char err[512];
	int ch, do_inbound = 0, print = 0, conf_given = 0, rc;

	log_init("mta-bounce");
	while ((ch = getopt_long(argc, argv, "+C:c:hq:r:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'C':
			confpath = optarg;
			conf_given = 1;
			break;
		case 'c':
			catpath = optarg;
			break;
		case 'q':
			spooldir = optarg;
			break;
		case 'r':
			rcpt = optarg;
			break;
		case 'I':
			do_inbound = 1;
			break;
		case 'P':
			print = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (do_inbound ? argc != 0 : argc != 2 || strcmp(argv[0],
	    "classify") != 0 || print || rcpt != NULL)
		usage(EX_USAGE);
	c = load_conf(confpath, !conf_given);
	if ((bc = bouncecat_load(catpath, c, err, sizeof(err))) == NULL)
		die(errno == EINVAL || errno == ENOENT || errno == EACCES ||
		    errno == EFBIG ? EX_CONFIG : EX_TEMPFAIL, "%s", err);
	if (do_inbound)
		rc = inbound(bc, c, spooldir, rcpt, print);
	else
		rc = bounce_classify(bc, argv[1], stdout);
	bouncecat_free(bc);
	if (c != NULL)
		conf_free(c);
	return rc;
}
