/*
 * config - mta-smtpd's configuration: loading it, the generation of it
 * sessions hold (the config and its sources' suppression lists), and
 * SIGHUP's reload, which takes a new config whole or keeps the running
 * one.  After the drop to -u, a certificate only root can read is kept
 * from the start rather than refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "dkimconf.h"
#include "log.h"
#include "smtpd.h"

/*
 * config_tls - the TLS context of global's certificate into *ctx (NULL:
 * none)
 */
int
config_tls(const struct conf_settings *global, SSL_CTX **ctx, char *err,
    size_t errlen)
{
	const char *spec = conf_str(global, CONF_SMTP_SERVER_TLS_CERTIFICATE);

	*ctx = NULL;
	if (spec == NULL)
		return 0;
	return (*ctx = tls_server_ctx(global, spec, err, errlen)) == NULL ?
	    -1 : 0;
}

/* config_name - host-name, else the system's name, into out */
int
config_name(const struct conf_settings *global, char *out, size_t len)
{
	const char *host = conf_str(global, CONF_HOST_NAME);

	if (host != NULL) {
		if (strlcpy(out, host, len) >= len) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	return gethostname(out, len);
}

/*
 * Is global's certificate the one root read before the drop?  A reload
 * that cannot read it then keeps the running one.
 */
static bool
same_cert(const struct smtpd *srv, const struct conf_settings *global)
{
	const char *spec = conf_str(global, CONF_SMTP_SERVER_TLS_CERTIFICATE);

	return srv->root_cert != NULL && srv->tls != NULL && spec != NULL &&
	    strcmp(spec, srv->root_cert) == 0;
}

/* config_load - conf_load and its diagnostics; NULL if it has errors */
struct conf *
config_load(const char *path)
{
	struct conf *c;

	if ((c = conf_load(path)) == NULL) {
		log_warn_sys("%s", path);
		return NULL;
	}
	if (conf_errors(c) > 0) {
		conf_print_diags(c, stderr);
		log_warn("%s: %zu error%s", path, conf_errors(c),
		    conf_errors(c) == 1 ? "" : "s");
		conf_free(c);
		return NULL;
	}
	return c;
}

/*
 * config_gen - c and its sources' suppression lists; *nbad did not load
 * (logged)
 */
struct confgen *
config_gen(const struct smtpd *srv, struct conf *c, size_t *nbad)
{
	struct confgen *g;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->supp = supplists_new(c, srv->supp, nbad)) == NULL)
		die_sys(EX_TEMPFAIL, "out of memory");
	g->conf = c;
	return g;
}

static void
free_gen(struct confgen *g)
{
	supplists_free(g->supp);
	conf_free(g->conf);
	free(g);
}

/* conf_release - a session is done with g; the last one frees it */
void
conf_release(struct smtpd *srv, struct confgen *g)
{
	if (--g->refs > 0 || g == srv->gen)
		return;
	free_gen(g);
}

/* config_reload - SIGHUP: the new config, all of it, or none of it */
void
config_reload(struct smtpd *srv)
{
	struct conf_settings global;
	struct confgen *old = srv->gen, *gen;
	struct conf *c;
	SSL_CTX *tls = NULL;
	char err[512], host[256];
	const char *spool;
	size_t nbad;
	bool keep_tls = false;

	if ((c = config_load(srv->conf_path)) == NULL) {
		log_warn("reload: %s refused, the running config kept",
		    srv->conf_path);
		return;
	}
	conf_resolve_global(c, &global);
	err[0] = '\0';
	if (config_name(&global, host, sizeof(host)) == -1)
		(void)snprintf(err, sizeof(err), "host-name: %s",
		    strerror(errno));
	else if (config_tls(&global, &tls, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			(void)strlcpy(err, "TLS certificate", sizeof(err));
		if (same_cert(srv, &global)) {
			/* root-only key files: the ones read as root stay */
			log_warn("reload: %s: keeping the certificate loaded "
			    "as root (a new one takes a restart)", err);
			err[0] = '\0';
			keep_tls = true;
		}
	}
	if (err[0] != '\0') {
		log_warn("reload: %s", err);
		conf_free(c);
		log_warn("reload: %s refused, the running config kept",
		    srv->conf_path);
		return;
	}
	/* lists that load are not traded for ones that defer mail */
	gen = config_gen(srv, c, &nbad);
	if (nbad > 0) {
		free_gen(gen);
		SSL_CTX_free(tls);
		log_warn("reload: %s refused, the running config kept",
		    srv->conf_path);
		return;
	}
	spool = conf_str(&global, CONF_SPOOL);
	if (!srv->spool_fixed && spool != NULL &&
	    strcmp(spool, srv->spool_dir) != 0)
		log_warn("reload: spool %s: takes a restart; still %s", spool,
		    srv->spool_dir);
	if (!keep_tls) {
		SSL_CTX_free(srv->tls);
		srv->tls = tls;
	}
	(void)strlcpy(srv->hostname, host, sizeof(srv->hostname));
	srv->gen = gen;
	srv->conf = c;
	srv->global = global;
	srv->maxsessions = (size_t)policy_max_sessions(c, &global);
	if (old->refs == 0)
		free_gen(old);
	if (!srv->oneshot)
		listen_reload(srv);
	dkimconf_reload();
	log_info("reload: %s loaded", srv->conf_path);
}
