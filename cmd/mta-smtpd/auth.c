/*
 * auth - SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN, checked
 * against the auth-plain file of the client's <accepted-connect> (or of
 * <smtp-server>), "user:hash" lines of crypt(3) hashes as the seed
 * guides write them, then against the <smtp-user NAME> blocks:
 * "password" in clear, with authentication-method password.  Offered
 * only over TLS unless the source allows unencrypted plain
 * authentication.  After success the session takes the settings of the
 * user's "source" (default {auth}), and may relay.  Failures end the
 * session: the third one, or, when the source sets
 * smtp-max-auth-failure-rate, the first over that rate for the client's
 * address across its connections.
 */
#define _GNU_SOURCE		/* crypt_r(3) */

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "log.h"
#include "proto.h"
#include "smtpd.h"

#define AUTH_STEP_PLAIN		1
#define AUTH_STEP_LOGIN_USER	2
#define AUTH_STEP_LOGIN_PASS	3

enum verdict { AUTH_NO, AUTH_YES, AUTH_TEMP };

static bool
have_users(const struct conf *c)
{
	for (const struct conf_block *b = conf_root(c)->child; b != NULL;
	    b = b->next)
		if (b->scope == CONF_S_SMTP_USER)
			return true;
	return false;
}

/* auth_offer - is AUTH in the EHLO reply? */
bool
auth_offer(const struct session *s)
{
	return s->pol.allow_auth && s->auth_user[0] == '\0' &&
	    (s->tls || s->pol.plain_auth) && (s->pol.auth_file != NULL ||
	    have_users(s->conf));
}

/* Base64 of n bytes into out (outlen > 3 * n / 4); -1 if malformed. */
static int
b64_decode(const char *in, size_t n, unsigned char *out, size_t outlen,
    size_t *len)
{
	int r, pad = 0;

	if (n % 4 != 0 || n / 4 * 3 + 1 > outlen || n > INT32_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (in[i] == '=') {
			if (i < n - 2)
				return -1;
			pad++;
		} else if (pad > 0)
			return -1;
	if ((r = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n)) ==
	    -1)
		return -1;
	*len = (size_t)r - (size_t)pad;
	out[*len] = '\0';
	return 0;
}

static void
log_user(struct session *s, const char *what, const char *user)
{
	struct buf enc = BUF_INIT;

	(void)proto_encode(&enc, user, strlen(user));
	log_warn("%s client=%s user=%s", what, s->ip, buf_cstr(&enc));
	buf_free(&enc);
}

/* Is user/pass an <smtp-user>?  The comparison takes constant time. */
static bool
check_user(const struct session *s, const char *user, const char *pass)
{
	const struct conf_block *b;
	const struct conf_directive *pw, *method;
	unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned wn = 0, gn = 0;

	b = conf_find_block(s->conf, CONF_S_SMTP_USER, user);
	if (b == NULL || (pw = conf_block_get(b, CONF_PASSWORD)) == NULL ||
	    pw->str == NULL)
		return false;
	method = conf_block_get(b, CONF_AUTHENTICATION_METHOD);
	if (method != NULL && method->num != 0)
		return false;	/* system, certificate: not here */
	/* Digests first, so the time says nothing of the length. */
	if (EVP_Digest(pw->str, strlen(pw->str), want, &wn, EVP_sha256(),
	    NULL) != 1 || EVP_Digest(pass, strlen(pass), got, &gn,
	    EVP_sha256(), NULL) != 1 || wn != gn)
		return false;
	return CRYPTO_memcmp(want, got, wn) == 0;
}

/* Does pass hash to hash?  Failure tokens of crypt(3) start with '*'. */
static bool
crypt_matches(const char *pass, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	bool ok;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return false;
	h = crypt_r(pass, hash, cd);
	ok = h != NULL && h[0] != '*' && hash[0] != '\0' &&
	    strlen(h) == strlen(hash) &&
	    CRYPTO_memcmp(h, hash, strlen(h)) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/*
 * Is user/pass in the auth-plain file path?  Lines "user:hash[:...]";
 * empty lines and lines starting with # are skipped.  A user not there
 * costs a hash too, so that the time does not tell who exists.
 */
static enum verdict
check_file(const struct session *s, const char *path, const char *user,
    const char *pass)
{
	static const char dummy[] = "$5$mta.smtpd.salt$"
	    "Fh2TNJLoE5mbX3C7hNc8o2xlLQZVvB6vRZ3tbGb8JV/";
	char *line = NULL, *hash, *end;
	size_t cap = 0, ulen = strlen(user);
	ssize_t n;
	FILE *fp;
	bool found = false, ok = false, ioerr;

	if ((fp = fopen(path, "re")) == NULL) {
		log_warn_sys("client=%s: auth-plain %s", s->ip, path);
		return AUTH_TEMP;
	}
	while (!found && (n = getline(&line, &cap, fp)) != -1) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || strncmp(line, user, ulen) != 0 ||
		    line[ulen] != ':')
			continue;
		hash = line + ulen + 1;
		if ((end = strchr(hash, ':')) != NULL)
			*end = '\0';
		found = true;
		ok = crypt_matches(pass, hash);
	}
	if ((ioerr = ferror(fp) != 0))
		log_warn_sys("client=%s: auth-plain %s", s->ip, path);
	(void)fclose(fp);
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	if (ioerr)
		return AUTH_TEMP;
	if (!found)
		(void)crypt_matches(pass, dummy);
	return ok ? AUTH_YES : AUTH_NO;
}

/* Is user/pass known?  AUTH_TEMP when the file cannot be read. */
static enum verdict
check(const struct session *s, const char *user, const char *pass)
{
	enum verdict v;

	if (user[0] == '\0' || strchr(user, ':') != NULL)
		return AUTH_NO;
	if (s->pol.auth_file != NULL && (v = check_file(s, s->pol.auth_file,
	    user, pass)) != AUTH_NO)
		return v;
	return check_user(s, user, pass) ? AUTH_YES : AUTH_NO;
}

static void
succeed(struct session *s, const char *user)
{
	const char *src = submit_auth_source(s->conf, user);

	(void)strlcpy(s->auth_user, user, sizeof(s->auth_user));
	if (submit_init(&s->sub, s->conf, s->srv->spool, s->af,
	    s->af == AF_UNSPEC ? NULL : s->addr, src) == -1)
		log_warn_sys("client=%s: settings after AUTH", s->ip);
	policy_init(s, src);
	log_info("auth client=%s user=%s", s->ip, s->auth_user);
	session_reply(s, "235 2.7.0 Authentication successful");
}

static void
temp_failure(struct session *s)
{
	s->state = ST_CMD;
	session_reply(s, "454 4.7.0 Temporary authentication failure");
}

static void
failed(struct session *s, const char *user)
{
	bool over;

	log_user(s, "auth failed", user);
	s->state = ST_CMD;
	s->nauthfail++;
	if (s->pol.authfail_rate_set)
		over = !auth_rate_take(s);
	else
		over = s->nauthfail >= SMTPD_AUTHMAX;
	if (over) {
		log_warn("client=%s: too many failed authentications", s->ip);
		session_reply(s, "421 4.7.0 %s Error: too many failed "
		    "authentications", s->srv->hostname);
		s->state = ST_CLOSING;
		return;
	}
	session_reply(s, "535 5.7.8 Error: authentication failed");
}

/* The verdict on user, as a reply. */
static void
verdict(struct session *s, enum verdict v, const char *user)
{
	s->state = ST_CMD;
	if (v == AUTH_YES)
		succeed(s, user);
	else if (v == AUTH_TEMP)
		temp_failure(s);
	else
		failed(s, user);
}

/* PLAIN: authzid NUL authcid NUL password; authzid empty or authcid. */
static void
plain(struct session *s, const unsigned char *p, size_t n)
{
	const char *authz = (const char *)p, *user, *pass, *end;

	end = (const char *)p + n;
	if ((user = memchr(authz, '\0', n)) == NULL || ++user >= end ||
	    (pass = memchr(user, '\0', (size_t)(end - user))) == NULL) {
		s->state = ST_CMD;
		session_reply(s, "501 5.5.2 Error: bad PLAIN response");
		return;
	}
	pass++;
	if (memchr(pass, '\0', (size_t)(end - pass)) != NULL ||
	    (*authz != '\0' && strcmp(authz, user) != 0)) {
		failed(s, user);
		return;
	}
	verdict(s, check(s, user, pass), user);
}

/* One base64 response, from AUTH's initial response or a line. */
static void
response(struct session *s, const char *line, size_t len)
{
	unsigned char dec[SMTPCMD_LINEMAX];
	size_t n = 0;

	if (len == 1 && line[0] == '*') {
		s->state = ST_CMD;
		session_reply(s, "501 5.7.0 Error: authentication aborted");
		return;
	}
	if (!(len == 1 && line[0] == '=') &&
	    b64_decode(line, len, dec, sizeof(dec), &n) == -1) {
		s->state = ST_CMD;
		session_reply(s, "501 5.5.2 Error: bad base64 data");
		return;
	}
	if (len == 1 && line[0] == '=')
		dec[0] = '\0';
	switch (s->auth_step) {
	case AUTH_STEP_PLAIN:
		plain(s, dec, n);
		break;
	case AUTH_STEP_LOGIN_USER:
		if (memchr(dec, '\0', n) != NULL) {
			failed(s, "");
			break;
		}
		(void)strlcpy(s->auth_login, (char *)dec,
		    sizeof(s->auth_login));
		s->auth_step = AUTH_STEP_LOGIN_PASS;
		s->state = ST_AUTH;
		session_reply(s, "334 UGFzc3dvcmQ6");
		break;
	case AUTH_STEP_LOGIN_PASS:
		if (memchr(dec, '\0', n) != NULL)
			failed(s, s->auth_login);
		else
			verdict(s, check(s, s->auth_login, (char *)dec),
			    s->auth_login);
		break;
	}
	explicit_bzero(dec, sizeof(dec));
}

/* auth_start - the AUTH command */
void
auth_start(struct session *s, const struct smtpcmd *c)
{
	if (s->auth_user[0] != '\0') {
		session_reply(s, "503 5.5.1 Error: already authenticated");
		return;
	}
	if (s->has_from) {
		session_reply(s, "503 5.5.1 Error: MAIL transaction in "
		    "progress");
		return;
	}
	if (!s->pol.allow_auth || (s->pol.auth_file == NULL &&
	    !have_users(s->conf)) ||
	    s->helo[0] == '\0' || !s->esmtp) {
		session_reply(s, "503 5.5.1 Error: authentication not "
		    "enabled");
		return;
	}
	if (!s->tls && !s->pol.plain_auth) {
		session_reply(s, "538 5.7.11 Encryption required for "
		    "requested authentication mechanism");
		return;
	}
	if (strcasecmp(c->mech, "PLAIN") == 0)
		s->auth_step = AUTH_STEP_PLAIN;
	else if (strcasecmp(c->mech, "LOGIN") == 0)
		s->auth_step = AUTH_STEP_LOGIN_USER;
	else {
		session_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	s->auth_login[0] = '\0';
	if (c->initial[0] != '\0') {
		s->state = ST_AUTH;
		response(s, c->initial, strlen(c->initial));
		return;
	}
	s->state = ST_AUTH;
	session_reply(s, s->auth_step == AUTH_STEP_PLAIN ? "334 " :
	    "334 VXNlcm5hbWU6");
}

/* auth_line - a response line while in ST_AUTH */
void
auth_line(struct session *s, const char *line, size_t len)
{
	response(s, line, len);
}
