/*
 * dkim_bench - DKIM signatures a second on one 10 KB message: the whole
 * dkim_sign() (body hash, header selection, canonicalization, the
 * private-key operation, base64 and folding), one signature per call,
 * for -s seconds.  Usage: dkim_bench -k keyfile [-s secs] [-c canon]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dkim.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const char head[] =
	    "From: News <news@example.test>\r\n"
	    "To: someone@dest.test\r\n"
	    "Subject: The weekly letter, with a subject of ordinary length\r\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "Message-ID: <0123456789abcdef@mx.example.test>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "List-Unsubscribe: <mailto:unsub@example.test>\r\n";
	struct buf body = BUF_INIT, out = BUF_INIT;
	struct dkim_sign s;
	const char *keyfile = NULL;
	char err[256];
	double secs = 3, t0, t;
	long n = 0;
	int ch;

	memset(&s, 0, sizeof(s));
	s.domain = "example.test";
	s.selector = "bench";
	s.hcanon = DKIM_RELAXED;
	s.bcanon = DKIM_SIMPLE;
	while ((ch = getopt(argc, argv, "c:k:s:")) != -1)
		switch (ch) {
		case 'c':
			s.hcanon = strncmp(optarg, "simple", 6) == 0 ?
			    DKIM_SIMPLE : DKIM_RELAXED;
			s.bcanon = strstr(optarg, "/relaxed") != NULL ?
			    DKIM_RELAXED : DKIM_SIMPLE;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		default:
			return 64;
		}
	if (keyfile == NULL || (s.key = dkim_key_load(keyfile, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "dkim_bench: %s\n", keyfile ? err : "no -k");
		return 66;
	}
	/* 10 KB of text lines, like a newsletter */
	while (body.len < 10240)
		buf_appends(&body, "Lorem ipsum dolor sit amet, consectetur "
		    "adipiscing elit, sed do eiusmod tempor incididunt.\r\n");
	t0 = now();
	do {
		for (int i = 0; i < 50; i++) {
			buf_reset(&out);
			if (dkim_sign(&s, 1, head, sizeof(head) - 1, body.p,
			    body.len, 1700000000, &out, err, sizeof(err)) == -1) {
				fprintf(stderr, "dkim_bench: %s\n", err);
				return 70;
			}
			n++;
		}
	} while ((t = now() - t0) < secs);
	printf("%.1f\n", n / t);
	return 0;
}
