/*
 * tls - the server side of TLS through OpenSSL: STARTTLS (RFC 3207) and
 * implicit TLS on listeners marked immediate-tls (RFC 8314).
 *
 * smtp-server-tls-certificate names a PEM file holding the certificate
 * chain and, unless a second word names another file, the private key.
 * Non-blocking: every call maps OpenSSL's WANT_READ/WANT_WRITE to
 * EAGAIN and notes in s->tls_want_write which way the loop must wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "smtpd.h"

static void
ssl_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	(void)snprintf(err, errlen, "%s: %s: %s", path, what,
	    e != 0 ? buf : "failed");
	ERR_clear_error();
}

/*
 * tls_server_ctx - the context for spec ("certfile [keyfile]"); NULL and
 * err when the files do not load
 */
SSL_CTX *
tls_server_ctx(const struct conf_settings *g, const char *spec, char *err,
    size_t errlen)
{
	char cert[1024], key[1024];
	const char *ciphers;
	SSL_CTX *ctx;
	size_t n;

	n = strcspn(spec, " \t");
	if (n == 0 || n >= sizeof(cert)) {
		(void)snprintf(err, errlen, "smtp-server-tls-certificate: "
		    "bad value");
		return NULL;
	}
	memcpy(cert, spec, n);
	cert[n] = '\0';
	spec += n;
	spec += strspn(spec, " \t");
	if (strlcpy(key, *spec != '\0' ? spec : cert, sizeof(key)) >=
	    sizeof(key)) {
		(void)snprintf(err, errlen, "smtp-server-tls-certificate: "
		    "key path too long");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_error(err, errlen, "SSL_CTX_new", cert);
		return NULL;
	}
	(void)SSL_CTX_set_min_proto_version(ctx,
	    conf_bool(g, CONF_SMTP_SERVER_TLS_ALLOW_TLSV1_1) ?
	    TLS1_1_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	(void)SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if ((ciphers = conf_str(g, CONF_SMTP_SERVER_TLS_CIPHERS)) != NULL &&
	    SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		ssl_error(err, errlen, "cipher list", ciphers);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_error(err, errlen, "certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(err, errlen, "private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(err, errlen, "private key does not match", key);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* tls_start - a server TLS object on the session's descriptors */
int
tls_start(struct session *s)
{
	if ((s->ssl = SSL_new(s->srv->tls)) == NULL ||
	    SSL_set_rfd(s->ssl, s->rfd) != 1 ||
	    SSL_set_wfd(s->ssl, s->wfd) != 1) {
		log_warn("client=%s: TLS: %s", s->ip,
		    ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
		return -1;
	}
	SSL_set_accept_state(s->ssl);
	return 0;
}

/* Map an OpenSSL result: EAGAIN for "call again", else an error. */
static int
want(struct session *s, int r, const char *what)
{
	int e = SSL_get_error(s->ssl, r);

	s->tls_want_write = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		s->tls_want_write = true;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		log_debug("client=%s: TLS %s: %s", s->ip, what,
		    strerror(errno));
		break;
	default:
		log_warn("client=%s: TLS %s: %s", s->ip, what,
		    ERR_reason_error_string(ERR_peek_last_error()));
		errno = EPROTO;
	}
	ERR_clear_error();
	return -2;
}

/* tls_handshake - 1 done, 0 call again, -1 failed */
int
tls_handshake(struct session *s)
{
	int r;

	ERR_clear_error();
	if ((r = SSL_do_handshake(s->ssl)) == 1) {
		s->tls = true;
		s->tls_want_write = false;
		log_info("tls client=%s version=%s cipher=%s", s->ip,
		    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
		return 1;
	}
	r = want(s, r, "handshake");
	return r == -1 ? 0 : -1;
}

/* tls_read - as read(2) */
ssize_t
tls_read(struct session *s, void *p, size_t n)
{
	int r;

	ERR_clear_error();
	if ((r = SSL_read(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n)) > 0)
		return r;
	r = want(s, r, "read");
	return r == -2 ? -1 : r;
}

/* tls_write - as write(2) */
ssize_t
tls_write(struct session *s, const void *p, size_t n)
{
	int r;

	ERR_clear_error();
	if ((r = SSL_write(s->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n)) > 0)
		return r;
	r = want(s, r, "write");
	if (r == 0) {
		errno = EPIPE;
		return -1;
	}
	return r == -2 ? -1 : r;
}
