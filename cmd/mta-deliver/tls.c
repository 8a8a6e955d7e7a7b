/*
 * tls - STARTTLS (RFC 3207) through OpenSSL, and the reads and writes of
 * a session's connection, which go through TLS once it is up.
 *
 * Opportunistic TLS (RFC 7435): TLS 1.2 or later, no certificate check,
 * since an MX name is not authenticated by plain DNS anyway.  Buffers
 * are released while a connection idles: a worker holds thousands.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "deliver.h"
#include "log.h"

static SSL_CTX *ctx;

/* The reason of the last OpenSSL error, or of errno. */
static void
ssl_reason(int ret, int code, char *err, size_t errlen)
{
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, err, errlen);
	else if (code == SSL_ERROR_SYSCALL && ret == 0)
		snprintf(err, errlen, "connection closed");
	else if (code == SSL_ERROR_SYSCALL)
		snprintf(err, errlen, "%s", strerror(errno));
	else if (code == SSL_ERROR_ZERO_RETURN)
		snprintf(err, errlen, "connection closed by TLS alert");
	else
		snprintf(err, errlen, "TLS error %d", code);
	ERR_clear_error();
}

/* tls_init - the client context, shared by every session */
int
tls_init(struct worker *w, char *err, size_t errlen)
{
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_reason(0, SSL_ERROR_SSL, err, errlen);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	w->tls = ctx;
	return 0;
}

/* tls_start - after "220" to STARTTLS: a TLS client on the socket */
int
tls_start(struct session *s, char *err, size_t errlen)
{
	unsigned char a[sizeof(struct in6_addr)];

	if ((s->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(s->ssl, s->fd) !=
	    1) {
		ssl_reason(0, SSL_ERROR_SSL, err, errlen);
		return -1;
	}
	/* SNI names a host, never an address (RFC 6066 3). */
	if (inet_pton(AF_INET, s->mx, a) != 1 &&
	    inet_pton(AF_INET6, s->mx, a) != 1)
		(void)SSL_set_tlsext_host_name(s->ssl, s->mx);
	SSL_set_connect_state(s->ssl);
	return 0;
}

/* tls_handshake - one step: 1 done, 0 under way, -1 failed (err) */
int
tls_handshake(struct session *s, char *err, size_t errlen)
{
	int ret, code;

	ERR_clear_error();
	if ((ret = SSL_do_handshake(s->ssl)) == 1) {
		session_set_events(s, EV_READ);
		return 1;
	}
	code = SSL_get_error(s->ssl, ret);
	if (code == SSL_ERROR_WANT_READ) {
		session_set_events(s, EV_READ);
		return 0;
	}
	if (code == SSL_ERROR_WANT_WRITE) {
		session_set_events(s, EV_READ | EV_WRITE);
		return 0;
	}
	ssl_reason(ret, code, err, errlen);
	return -1;
}

/* After an SSL_read/SSL_write that did not move data. */
static ssize_t
io_ssl_error(struct session *s, int ret, bool reading)
{
	char err[256];
	int code = SSL_get_error(s->ssl, ret);

	switch (code) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		if (reading)
			s->ssl_want_write = true;
		session_set_events(s, EV_READ | EV_WRITE);
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ret == 0 && ERR_peek_error() == 0)
			return 0;	/* EOF without close_notify */
		/* FALLTHROUGH */
	default:
		ssl_reason(ret, code, err, sizeof(err));
		log_debug("TLS with %s[%s]: %s", s->mx, s->ip, err);
		if (errno == 0 || errno == EAGAIN)
			errno = EPROTO;
		return -1;
	}
}

/* io_read - read from the connection: n, 0 at EOF, -1 (EAGAIN...) */
ssize_t
io_read(struct session *s, void *p, size_t n)
{
	ssize_t r;
	int ret;

	if (s->ssl == NULL) {
		do
			r = recv(s->fd, p, n, 0);
		while (r == -1 && errno == EINTR);
		if (r == -1 && errno == EWOULDBLOCK)
			errno = EAGAIN;
		return r;
	}
	ERR_clear_error();
	if ((ret = SSL_read(s->ssl, p, n > INT_MAX ? INT_MAX : (int)n)) > 0)
		return ret;
	return io_ssl_error(s, ret, true);
}

/* io_write - write to the connection: n, or -1 (EAGAIN...) */
ssize_t
io_write(struct session *s, const void *p, size_t n)
{
	ssize_t r;
	int ret;

	if (s->fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	if (s->ssl == NULL) {
		do
			r = send(s->fd, p, n, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		if (r == -1 && errno == EWOULDBLOCK)
			errno = EAGAIN;
		return r;
	}
	ERR_clear_error();
	if ((ret = SSL_write(s->ssl, p, n > INT_MAX ? INT_MAX : (int)n)) > 0)
		return ret;
	if ((r = io_ssl_error(s, ret, false)) == 0) {
		errno = EPIPE;
		r = -1;
	}
	return r;
}

/* tls_end - drop the TLS state; close_notify if it can go at once */
void
tls_end(struct session *s)
{
	if (s->ssl == NULL)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(s->ssl);
	ERR_clear_error();
	SSL_free(s->ssl);
	s->ssl = NULL;
}

const char *
tls_version(const struct session *s)
{
	return SSL_get_version(s->ssl);
}

const char *
tls_cipher(const struct session *s)
{
	return SSL_get_cipher_name(s->ssl);
}
