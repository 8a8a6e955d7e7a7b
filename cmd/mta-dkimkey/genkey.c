/*
 * genkey - a new key pair: the private key in PEM (PKCS#8) with mode
 * 0600, the DNS TXT record as a zone-file line, and the domain-key line
 * for mta.conf(5).  A file is written under a temporary name and linked
 * (or, with -f, renamed) into place, so no reader ever sees half a key
 * and an existing key is never replaced by accident.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "dkim.h"
#include "dkimkey.h"
#include "log.h"

#define TXTCHUNK	250	/* octets in one TXT string: under 255 */

/* dkimkey_name_ok - a selector or domain: letters, digits, - _ . */
bool
dkimkey_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return false;
	return true;
}

/* Write data to path with mode; replace an existing file only if force. */
static void
put_file(const char *path, const char *data, size_t len, mode_t mode,
    bool force)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX",
	    slash ? (int)(slash - path + 1) : 0, path, slash ? slash + 1 : path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die(EX_CANTCREAT, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) == -1)
		die_sys(EX_CANTCREAT, "%s", tmp);
	if (fchmod(fd, mode) == -1 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		n = errno;
		(void)unlink(tmp);
		errno = n;
		die_sys(EX_CANTCREAT, "%s", tmp);
	}
	(void)close(fd);
	if (force ? rename(tmp, path) == -1 : link(tmp, path) == -1) {
		n = errno;
		(void)unlink(tmp);
		if (n == EEXIST)
			die(EX_CANTCREAT, "%s exists: not replaced (-f "
			    "replaces it)", path);
		errno = n;
		die_sys(EX_CANTCREAT, "%s", path);
	}
	if (!force)
		(void)unlink(tmp);
}

/* The zone-file line: strings under 255 octets each (RFC 1035 3.3.14). */
static int
txt_line(struct buf *b, const struct dkimkey_opts *o, const char *p)
{
	size_t n = strlen(p), off, take;
	int rc;

	rc = buf_appendf(b, "%s._domainkey.%s. IN TXT ( \"v=DKIM1; k=%s; \"",
	    o->selector, o->domain, o->type);
	for (off = 0; off < n || off == 0; off += take) {
		take = n - off < TXTCHUNK - 2 ? n - off : TXTCHUNK - 2;
		rc |= buf_appendf(b, " \"%s%.*s\"", off == 0 ? "p=" : "",
		    (int)take, p + off);
		if (n == 0)
			break;
	}
	rc |= buf_appends(b, " )\n");
	return rc == 0 ? 0 : -1;
}

/* dkimkey_generate - make the key, its files, and print what to paste */
int
dkimkey_generate(const struct dkimkey_opts *o)
{
	struct buf path = BUF_INIT, txt = BUF_INIT, pub = BUF_INIT;
	struct dkim_key *k;
	char real[PATH_MAX], err[256], *pem;
	EVP_PKEY *pk;
	BIO *bio;
	long len;

	if (realpath(o->dir, real) == NULL)
		die_sys(EX_CANTCREAT, "-o %s", o->dir);
	if (strcmp(o->type, "rsa") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL || (bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1)
		die(EX_SOFTWARE, "key generation failed");
	EVP_PKEY_free(pk);
	len = BIO_get_mem_data(bio, &pem);
	/* Read back as a signer will: the record is of the key it loads. */
	if ((k = dkim_key_parse(pem, (size_t)len, err, sizeof(err))) == NULL)
		die(EX_SOFTWARE, "the new key does not load: %s", err);
	if (dkim_key_public(k, &pub) == -1 || txt_line(&txt, o, pub.p) == -1 ||
	    buf_appendf(&path, "%s/%s.%s.pem", strcmp(real, "/") == 0 ? "" :
	    real, o->selector, o->domain) == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	dkim_key_free(k);
	if (!o->force && access(path.p, F_OK) == 0)
		die(EX_CANTCREAT, "%s exists: not replaced (-f replaces it)",
		    path.p);

	put_file(path.p, pem, (size_t)len, 0600, o->force);
	BIO_free(bio);			/* secure heap: wiped */
	path.len -= 4;
	if (buf_appends(&path, ".txt") == -1)
		die_sys(EX_TEMPFAIL, "out of memory");
	put_file(path.p, txt.p, txt.len, 0644, o->force);
	path.len -= 4;
	path.p[path.len] = '\0';
	if (fputs(txt.p, stdout) == EOF || printf("domain-key %s,%s,%s.pem\n",
	    o->selector, o->domain, path.p) < 0 || fflush(stdout) == EOF)
		die_sys(EX_IOERR, "standard output");
	buf_free(&path);
	buf_free(&txt);
	buf_free(&pub);
	return 0;
}
