/*
 * dkim_bench - DKIM signatures a second on one 10 KB message: the whole
 * dkim_sign() (body hash, header selection, canonicalization, the
 * private-key operation, base64 and folding), one signature per call.
 *
 * Usage: dkim_bench -k keyfile [-s secs] [-c canon] [-e] [-r]
 *
 * It counts like "openssl speed": signatures made in secs of wall time,
 * divided by the user CPU time they took (-e: by the wall time, as
 * "openssl speed -elapsed"), so that both figures of dkim.sh use one
 * clock.  It prints that rate.  With -r it also times, in chunks of
 * about 10 ms alternating with those of dkim_sign(), the bare private-key
 * operation exactly as "openssl speed" makes it (EVP_PKEY_sign of 36
 * bytes for RSA, EVP_DigestSign of 20 for Ed25519, with a context kept
 * across calls), and prints a second rate: on a busy machine chunks that
 * close together see the same load, so their ratio is what our part of
 * the work costs.  A third rate is the floor of any DKIM signer: the
 * SHA-256 of the body and of as many header bytes as dkim_sign() hashes,
 * and the raw operation on that digest, nothing else.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "dkim.h"

static const char head[] =
    "From: News <news@example.test>\r\n"
    "To: someone@dest.test\r\n"
    "Subject: The weekly letter, with a subject of ordinary length\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <0123456789abcdef@mx.example.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "List-Unsubscribe: <mailto:unsub@example.test>\r\n";

static struct buf body = BUF_INIT, out = BUF_INIT;
static struct dkim_sign sig;

/* What "openssl speed rsa2048 ed25519" calls, on its kept context. */
static EVP_PKEY_CTX *raw_rsa;
static EVP_MD_CTX *raw_ed;
static EVP_MD_CTX *sha;
static size_t headlen;		/* header data a signature hashes, about */

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
user(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sign_dkim(int n)
{
	char err[256];

	for (int i = 0; i < n; i++) {
		buf_reset(&out);
		if (dkim_sign(&sig, 1, head, sizeof(head) - 1, body.p,
		    body.len, 1700000000, &out, err, sizeof(err)) == -1) {
			fprintf(stderr, "dkim_bench: %s\n", err);
			exit(70);
		}
	}
}

/* The raw operation; with floor, on the digest of body and header. */
static void
sign_raw(int n, int floor)
{
	unsigned char in[36] = { 1 }, s[1024];
	size_t len, inlen = raw_rsa != NULL ? 36 : 20;
	int ok = 1;

	for (int i = 0; i < n && ok; i++) {
		if (floor) {
			ok = EVP_DigestInit_ex(sha, EVP_sha256(), NULL) == 1 &&
			    EVP_DigestUpdate(sha, body.p, body.len) == 1 &&
			    EVP_DigestFinal_ex(sha, in, NULL) == 1 &&
			    EVP_DigestInit_ex(sha, EVP_sha256(), NULL) == 1 &&
			    EVP_DigestUpdate(sha, out.p, headlen) == 1 &&
			    EVP_DigestFinal_ex(sha, in, NULL) == 1;
			inlen = 32;
		}
		len = sizeof(s);
		ok = ok && (raw_rsa != NULL ?
		    EVP_PKEY_sign(raw_rsa, s, &len, in, inlen) == 1 :
		    EVP_DigestSign(raw_ed, s, &len, in, inlen) == 1);
	}
	if (!ok) {
		fprintf(stderr, "dkim_bench: raw signing failed\n");
		exit(70);
	}
}

static void
raw_setup(const char *keyfile)
{
	EVP_PKEY *pk = NULL;
	FILE *fp;

	if ((sha = EVP_MD_CTX_new()) == NULL)
		exit(71);
	if ((fp = fopen(keyfile, "r")) != NULL) {
		pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		if ((raw_rsa = EVP_PKEY_CTX_new(pk, NULL)) != NULL &&
		    EVP_PKEY_sign_init(raw_rsa) == 1)
			return;
	} else if (pk != NULL) {
		if ((raw_ed = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(raw_ed, NULL, NULL, NULL, pk) == 1)
			return;
	}
	fprintf(stderr, "dkim_bench: %s: cannot set the raw key up\n",
	    keyfile);
	exit(66);
}

/* Signatures made in secs of wall time over the time of the clock. */
static double
rate(double secs, double (*clock)(void))
{
	double w0 = wall(), c0 = clock();
	long n = 0;

	do {
		sign_dkim(10);
		n += 10;
	} while (wall() - w0 < secs);
	return n / (clock() - c0);
}

/* Chunks of dkim_sign(), the raw operation and the floor, in turns. */
static void
paired(double secs, double *dkim, double *raw, double *floor)
{
	double w0 = wall(), t, tdkim = 0, traw = 0, tfloor = 0;
	int chunk = raw_rsa != NULL ? 40 : 200;	/* about 10 ms */
	long n = 0;

	sign_dkim(chunk);		/* warm them all */
	/* the fields dkim_sign() picks and its own, less its b= value */
	headlen = sizeof(head) - 1 + out.len - (raw_rsa != NULL ? 344 : 88);
	if (buf_grow(&out, headlen) == -1)
		exit(71);
	sign_raw(chunk, 0);
	sign_raw(chunk, 1);
	do {
		t = cpu();
		sign_dkim(chunk);
		tdkim += cpu() - t;
		t = cpu();
		sign_raw(chunk, 0);
		traw += cpu() - t;
		t = cpu();
		sign_raw(chunk, 1);
		tfloor += cpu() - t;
		n += chunk;
	} while (wall() - w0 < secs);
	*dkim = n / tdkim;
	*raw = n / traw;
	*floor = n / tfloor;
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL;
	char err[256];
	double secs = 3, d, r, f;
	int ch, elapsed = 0, raw = 0;

	memset(&sig, 0, sizeof(sig));
	sig.domain = "example.test";
	sig.selector = "bench";
	sig.hcanon = DKIM_RELAXED;
	sig.bcanon = DKIM_SIMPLE;
	while ((ch = getopt(argc, argv, "c:ek:rs:")) != -1)
		switch (ch) {
		case 'c':
			sig.hcanon = strncmp(optarg, "simple", 6) == 0 ?
			    DKIM_SIMPLE : DKIM_RELAXED;
			sig.bcanon = strstr(optarg, "/relaxed") != NULL ?
			    DKIM_RELAXED : DKIM_SIMPLE;
			break;
		case 'e':
			elapsed = 1;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		default:
			return 64;
		}
	if (keyfile == NULL || (sig.key = dkim_key_load(keyfile, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "dkim_bench: %s\n", keyfile ? err : "no -k");
		return 66;
	}
	/* 10 KB of text lines, like a newsletter */
	while (body.len < 10240)
		buf_appends(&body, "Lorem ipsum dolor sit amet, consectetur "
		    "adipiscing elit, sed do eiusmod tempor incididunt.\r\n");
	if (raw) {
		raw_setup(keyfile);
		paired(secs, &d, &r, &f);
		printf("%.1f %.1f %.1f\n", d, r, f);
	} else {
		sign_dkim(10);
		printf("%.1f\n", rate(secs, elapsed ? wall : user));
	}
	dkim_key_free(sig.key);
	buf_free(&body);
	buf_free(&out);
	return 0;
}
