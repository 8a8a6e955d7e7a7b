/*
 * confval_test - the mta.conf value parsers: good values, bad values with
 * their reasons, boundaries, and the matching of domains and CIDRs.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confval.h"
#include "harness.h"

/* A value that must fail, its errno and its reason. */
struct bad {
	const char	*in;
	int		 errnum;
	const char	*err;
};

/* Check that a parse failed with the expected errno and reason. */
#define CHECK_BAD(call, b) do {						\
	char err_[CONFVAL_ERRLEN];					\
	int rc_;							\
									\
	memset(err_, 'x', sizeof(err_));				\
	errno = 0;							\
	rc_ = call(b.in, &out, err_, sizeof(err_));			\
	if (rc_ != -1)							\
		test_fail(__FILE__, __LINE__, "%s(\"%s\"): got %d, "	\
		    "want -1", #call, b.in, rc_);			\
	else {								\
		CHECK_INT(errno, b.errnum);				\
		CHECK_STR(err_, b.err);					\
	}								\
} while (0)

TEST(test_bool)
{
	static const struct {
		const char	*in;
		bool		 want;
	} good[] = {
		{ "yes", true }, { "YES", true }, { "true", true },
		{ "True", true }, { "on", true }, { "On", true },
		{ "1", true }, { "no", false }, { "NO", false },
		{ "false", false }, { "FALSE", false }, { "off", false },
		{ "OFF", false }, { "0", false },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "maybe", EINVAL, "not a boolean: \"maybe\"" },
		{ "yess", EINVAL, "not a boolean: \"yess\"" },
		{ "ye", EINVAL, "not a boolean: \"ye\"" },
		{ "2", EINVAL, "not a boolean: \"2\"" },
		{ "yes no", EINVAL, "not a boolean: \"yes no\"" },
		{ "\x01\xff", EINVAL, "not a boolean: \"??\"" },
	};
	char err[CONFVAL_ERRLEN];
	bool out;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out = !good[i].want;
		CHECK_INT(confval_bool(good[i].in, &out, err, sizeof(err)),
		    0);
		CHECK_INT(out, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_bool, bad[i]);
}

TEST(test_int)
{
	static const struct {
		const char	*in;
		int64_t		 min, max;
		int		 rc;
		int64_t		 want;
		int		 errnum;
		const char	*err;
	} t[] = {
		{ "0", 0, 10, 0, 0, 0, "" },
		{ "10", 0, 10, 0, 10, 0, "" },
		{ "007", 0, 10, 0, 7, 0, "" },
		{ "-5", -10, 10, 0, -5, 0, "" },
		{ "-0", -1, 1, 0, 0, 0, "" },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX,
		    0, "" },
		{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN,
		    0, "" },
		{ "11", 0, 10, -1, 0, ERANGE, "value out of range: \"11\"" },
		{ "-11", -10, 10, -1, 0, ERANGE,
		    "value out of range: \"-11\"" },
		{ "4", 5, 10, -1, 0, ERANGE, "value out of range: \"4\"" },
		{ "-3", 0, 10, -1, 0, EINVAL,
		    "negative value not allowed: \"-3\"" },
		{ "-0", 0, 10, -1, 0, EINVAL,
		    "negative value not allowed: \"-0\"" },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, -1, 0, ERANGE,
		    "value out of range: \"9223372036854775808\"" },
		{ "-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0, ERANGE,
		    "value out of range: \"-9223372036854775809\"" },
		{ "99999999999999999999", 0, INT64_MAX, -1, 0, ERANGE,
		    "value out of range: \"99999999999999999999\"" },
		{ "-99999999999999999999", INT64_MIN, 0, -1, 0, ERANGE,
		    "value out of range: \"-99999999999999999999\"" },
		{ "", 0, 10, -1, 0, EINVAL, "empty value" },
		{ "ten", 0, 10, -1, 0, EINVAL, "not a number: \"ten\"" },
		{ "-", -1, 1, -1, 0, EINVAL, "not a number: \"-\"" },
		{ "+5", 0, 10, -1, 0, EINVAL, "not a number: \"+5\"" },
		{ "5x", 0, 10, -1, 0, EINVAL, "not a number: \"5x\"" },
		{ "1 0", 0, 10, -1, 0, EINVAL, "not a number: \"1 0\"" },
		{ "0x10", 0, 100, -1, 0, EINVAL, "not a number: \"0x10\"" },
		{ "--1", -10, 10, -1, 0, EINVAL, "not a number: \"--1\"" },
	};
	char err[CONFVAL_ERRLEN];
	int64_t out;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = 12345;
		errno = 0;
		err[0] = 'x';
		CHECK_INT(confval_int(t[i].in, t[i].min, t[i].max, &out, err,
		    sizeof(err)), t[i].rc);
		CHECK_STR(err, t[i].err);
		if (t[i].rc == 0)
			CHECK_INT(out, t[i].want);
		else {
			CHECK_INT(out, 12345);
			CHECK_INT(errno, t[i].errnum);
		}
	}
}

TEST(test_size)
{
	static const struct {
		const char	*in;
		uint64_t	 want;
	} good[] = {
		{ "0", 0 }, { "512", 512 }, { "512k", 512 * 1024ULL },
		{ "512K", 512 * 1024ULL }, { "50M", 50ULL << 20 },
		{ "50m", 50ULL << 20 }, { "4G", 4ULL << 30 },
		{ "4g", 4ULL << 30 }, { "1T", 1ULL << 40 },
		{ "2t", 2ULL << 40 }, { "100kb", 100 * 1024ULL },
		{ "100KB", 100 * 1024ULL }, { "100Mb", 100ULL << 20 },
		{ "100b", 100 }, { "100B", 100 }, { "0k", 0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "k", EINVAL, "not a size: \"k\"" },
		{ "ten", EINVAL, "not a size: \"ten\"" },
		{ "-3", EINVAL, "negative value not allowed: \"-3\"" },
		{ "-3k", EINVAL, "negative value not allowed: \"-3k\"" },
		{ "10p", EINVAL, "unknown size unit \"p\"" },
		{ "10kk", EINVAL, "unknown size unit \"kk\"" },
		{ "10bb", EINVAL, "unknown size unit \"bb\"" },
		{ "10kbyte", EINVAL, "unknown size unit \"kbyte\"" },
		{ "1.5G", EINVAL, "not a size: \"1.5G\"" },
		{ "10 k", EINVAL, "not a size: \"10 k\"" },
		{ "18446744073709551616", ERANGE,
		    "value out of range: \"18446744073709551616\"" },
		{ "99999999999G", ERANGE,
		    "value out of range: \"99999999999G\"" },
		{ "16777216T", ERANGE, "value out of range: \"16777216T\"" },
		{ "17179869184G", ERANGE,
		    "value out of range: \"17179869184G\"" },
	};
	char err[CONFVAL_ERRLEN];
	uint64_t out;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out = 1;
		CHECK_INT(confval_size(good[i].in, &out, err, sizeof(err)),
		    0);
		CHECK_UINT(out, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_size, bad[i]);
}

/* confval_interval with allow_never as for a CHECK_BAD call. */
static int
interval_nonever(const char *s, int64_t *v, char *err, size_t errlen)
{
	return confval_interval(s, false, v, err, errlen);
}

TEST(test_interval)
{
	static const struct {
		const char	*in;
		int64_t		 want;
	} good[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "10m", 600 },
		{ "2h", 7200 }, { "4d", 345600 }, { "1w", 604800 },
		{ "4d12h", 388800 }, { "1w2d12h", 820800 },
		{ "1h30m", 5400 }, { "30m1h", 5400 }, { "1H30M", 5400 },
		{ "1h1h", 7200 }, { "0s", 0 }, { "90sec", 90 },
		{ "2hours", 7200 }, { "1day", 86400 }, { "1min30s", 90 },
		{ "NEVER", CONFVAL_NEVER }, { "never", CONFVAL_NEVER },
		{ "9223372036854775806", INT64_MAX - 1 },
		{ "9223372036854775806s", INT64_MAX - 1 },
		{ "15250284452471w", 15250284452471LL * 604800 },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "never", EINVAL, "\"never\" is not allowed here" },
		{ "Never", EINVAL, "\"never\" is not allowed here" },
		{ "-3", EINVAL, "negative value not allowed: \"-3\"" },
		{ "-1h", EINVAL, "negative value not allowed: \"-1h\"" },
		{ "h", EINVAL, "not an interval: \"h\"" },
		{ "1hm", EINVAL, "unknown interval unit \"hm\"" },
		{ "10fortnight", EINVAL,
		    "unknown interval unit \"fortnight\"" },
		{ "1y", EINVAL, "unknown interval unit \"y\"" },
		{ "1h30", EINVAL, "missing unit in interval \"1h30\"" },
		{ "1.5h", EINVAL, "not an interval: \"1.5h\"" },
		{ "10 m", EINVAL, "not an interval: \"10 m\"" },
		{ "1h 30m", EINVAL, "not an interval: \"1h 30m\"" },
		{ "10m,", EINVAL, "not an interval: \"10m,\"" },
		{ "9223372036854775807", ERANGE,
		    "value out of range: \"9223372036854775807\"" },
		{ "99999999999999999999", ERANGE,
		    "value out of range: \"99999999999999999999\"" },
		{ "999999999999999w", ERANGE,
		    "value out of range: \"999999999999999w\"" },
		{ "15250284452472w", ERANGE,
		    "value out of range: \"15250284452472w\"" },
		{ "15250284452471w1w", ERANGE,
		    "value out of range: \"15250284452471w1w\"" },
		{ "9223372036854775806s1s", ERANGE,
		    "value out of range: \"9223372036854775806s1s\"" },
		{ "1h99999999999999999999s", ERANGE,
		    "value out of range: \"1h99999999999999999999s\"" },
	};
	char err[CONFVAL_ERRLEN];
	int64_t out;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out = -1;
		CHECK_INT(confval_interval(good[i].in, true, &out, err,
		    sizeof(err)), 0);
		CHECK_INT(out, good[i].want);
	}
	CHECK_INT(confval_interval("1h", false, &out, err, sizeof(err)), 0);
	CHECK_INT(out, 3600);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(interval_nonever, bad[i]);
	/* Only "never" depends on allow_never. */
	CHECK_INT(confval_interval("1x", true, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown interval unit \"x\"");
	CHECK_INT(confval_interval(NULL, true, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "empty value");
}

TEST(test_intervals)
{
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ ",", EINVAL, "empty list entry" },
		{ "10m,", EINVAL, "empty list entry" },
		{ ",10m", EINVAL, "empty list entry" },
		{ "10m,,1h", EINVAL, "empty list entry" },
		{ "10m, ,1h", EINVAL, "empty list entry" },
		{ " ", EINVAL, "empty list entry" },
		{ "10m,never", EINVAL, "\"never\" is not allowed here" },
		{ "10m,1x", EINVAL, "unknown interval unit \"x\"" },
		{ "10m,1 h", EINVAL, "not an interval: \"1 h\"" },
		{ "10m;1h", EINVAL, "not an interval: \"10m;1h\"" },
		{ "1m,999999999999999w", ERANGE,
		    "value out of range: \"999999999999999w\"" },
	};
	struct confval_intervals out;
	char err[CONFVAL_ERRLEN], buf[512];
	size_t len;
	int n;

	CHECK_INT(confval_intervals("10m,30m, 1h", &out, err, sizeof(err)),
	    0);
	CHECK_UINT(out.n, 3);
	CHECK_INT(out.v[0], 600);
	CHECK_INT(out.v[1], 1800);
	CHECK_INT(out.v[2], 3600);
	CHECK_INT(confval_intervals("5m", &out, err, sizeof(err)), 0);
	CHECK_UINT(out.n, 1);
	CHECK_INT(out.v[0], 300);
	CHECK_INT(confval_intervals("0 ,\t1h30m\t, 2d ", &out, err,
	    sizeof(err)), 0);
	CHECK_UINT(out.n, 3);
	CHECK_INT(out.v[0], 0);
	CHECK_INT(out.v[1], 5400);
	CHECK_INT(out.v[2], 172800);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_intervals, bad[i]);

	/* CONFVAL_MAXLIST entries fit; one more, or 64, do not. */
	for (int want = 1; want <= 64; want++) {
		len = 0;
		buf[0] = '\0';
		for (int i = 0; i < want; i++) {
			n = snprintf(buf + len, sizeof(buf) - len, "%s%dm",
			    i > 0 ? ", " : "", i + 1);
			CHECK(n > 0 && (size_t)n < sizeof(buf) - len);
			len += n;
		}
		memset(&out, 0, sizeof(out));
		if (want <= CONFVAL_MAXLIST) {
			CHECK_INT(confval_intervals(buf, &out, err,
			    sizeof(err)), 0);
			CHECK_UINT(out.n, want);
			CHECK_INT(out.v[want - 1], want * 60);
		} else {
			CHECK_INT(confval_intervals(buf, &out, err,
			    sizeof(err)), -1);
			CHECK_STR(err, "too many list entries (at most 32)");
			CHECK_UINT(out.n, 0);
		}
	}
}

TEST(test_rate)
{
	static const struct {
		const char	*in;
		bool		 unlimited;
		uint64_t	 count, per;
	} good[] = {
		{ "83/10m", false, 83, 600 },
		{ "6/sec", false, 6, 1 },
		{ "500/day", false, 500, 86400 },
		{ "1000/m", false, 1000, 60 },
		{ "100/h", false, 100, 3600 },
		{ "5000/h", false, 5000, 3600 },
		{ "120/h", false, 120, 3600 },
		{ "1/2h", false, 1, 7200 },
		{ "100/hours", false, 100, 3600 },
		{ "100/HOUR", false, 100, 3600 },
		{ "1/s", false, 1, 1 }, { "1/secs", false, 1, 1 },
		{ "1/second", false, 1, 1 }, { "1/seconds", false, 1, 1 },
		{ "1/min", false, 1, 60 }, { "1/mins", false, 1, 60 },
		{ "1/minute", false, 1, 60 }, { "1/minutes", false, 1, 60 },
		{ "1/hr", false, 1, 3600 }, { "1/hrs", false, 1, 3600 },
		{ "1/hour", false, 1, 3600 }, { "1/d", false, 1, 86400 },
		{ "1/days", false, 1, 86400 }, { "1/w", false, 1, 604800 },
		{ "1/week", false, 1, 604800 },
		{ "1/weeks", false, 1, 604800 },
		{ "1/Week", false, 1, 604800 },
		{ "0/h", false, 0, 3600 },
		{ "0", false, 0, 1 }, { "000", false, 0, 1 },
		{ "unlimited", true, 0, 0 }, { "Unlimited", true, 0, 0 },
		{ "18446744073709551615/s", false, UINT64_MAX, 1 },
		{ "1/9223372036854775807s", false, 1, INT64_MAX },
		{ "1/15250284452471w", false, 1, 15250284452471ULL * 604800 },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "10", EINVAL, "missing \"/unit\" in rate \"10\"" },
		{ "10/", EINVAL, "missing unit in rate \"10/\"" },
		{ "10/5", EINVAL, "missing unit in rate \"10/5\"" },
		{ "10/fortnight", EINVAL, "unknown rate unit \"fortnight\"" },
		{ "10/ h", EINVAL, "unknown rate unit \" h\"" },
		{ "10/hh", EINVAL, "unknown rate unit \"hh\"" },
		{ "10/-1h", EINVAL, "unknown rate unit \"-1h\"" },
		{ "10/0h", EINVAL, "zero period in rate \"10/0h\"" },
		{ "-3/h", EINVAL, "negative value not allowed: \"-3/h\"" },
		{ "ten/h", EINVAL, "not a rate: \"ten/h\"" },
		{ "/h", EINVAL, "not a rate: \"/h\"" },
		{ "10 /h", EINVAL, "not a rate: \"10 /h\"" },
		{ "10:h", EINVAL, "not a rate: \"10:h\"" },
		{ "limited", EINVAL, "not a rate: \"limited\"" },
		{ "18446744073709551616/h", ERANGE,
		    "value out of range: \"18446744073709551616/h\"" },
		{ "1/99999999999999999999h", ERANGE,
		    "value out of range: \"1/99999999999999999999h\"" },
		{ "1/9223372036854775808s", ERANGE,
		    "value out of range: \"1/9223372036854775808s\"" },
		{ "1/15250284452472w", ERANGE,
		    "value out of range: \"1/15250284452472w\"" },
	};
	struct confval_rate out;
	char err[CONFVAL_ERRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&out, 0xa5, sizeof(out));
		CHECK_INT(confval_rate(good[i].in, &out, err, sizeof(err)),
		    0);
		CHECK_STR(err, "");
		CHECK_INT(out.unlimited, good[i].unlimited);
		CHECK_UINT(out.count, good[i].count);
		CHECK_UINT(out.per, good[i].per);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_rate, bad[i]);
}

/* Parse s as a CIDR or report the failure. */
static bool
cidr(const char *s, struct confval_cidr *c)
{
	char err[CONFVAL_ERRLEN];

	if (confval_cidr(s, c, err, sizeof(err)) == 0)
		return true;
	test_fail(__FILE__, __LINE__, "cidr(\"%s\"): %s", s, err);
	return false;
}

TEST(test_cidr)
{
	static const struct {
		const char	*in;
		int		 af;
		const char	*addr;	/* canonical, after masking */
		int		 prefix;
	} good[] = {
		{ "10/8", AF_INET, "10.0.0.0", 8 },
		{ "10.1/16", AF_INET, "10.1.0.0", 16 },
		{ "10.1.2/24", AF_INET, "10.1.2.0", 24 },
		{ "0/0", AF_INET, "0.0.0.0", 0 },
		{ "192.0.2.7", AF_INET, "192.0.2.7", 32 },
		{ "192.0.2.7/32", AF_INET, "192.0.2.7", 32 },
		{ "127.0.0.1/8", AF_INET, "127.0.0.0", 8 },
		{ "192.0.2.255/25", AF_INET, "192.0.2.128", 25 },
		{ "192.0.2.255/31", AF_INET, "192.0.2.254", 31 },
		{ "255.255.255.255/1", AF_INET, "128.0.0.0", 1 },
		{ "10/008", AF_INET, "10.0.0.0", 8 },
		{ "0.0.0.0", AF_INET, "0.0.0.0", 32 },
		{ "::1", AF_INET6, "::1", 128 },
		{ "::", AF_INET6, "::", 128 },
		{ "::/0", AF_INET6, "::", 0 },
		{ "2001:db8::/32", AF_INET6, "2001:db8::", 32 },
		{ "2001:db8:ffff::1/33", AF_INET6, "2001:db8:8000::", 33 },
		{ "2001:DB8::1/128", AF_INET6, "2001:db8::1", 128 },
		{ "ffff:ffff::/1", AF_INET6, "8000::", 1 },
		{ "::ffff:192.0.2.7", AF_INET6, "::ffff:192.0.2.7", 128 },
		{ "::ffff:192.0.2.7/120", AF_INET6, "::ffff:192.0.2.0", 120 },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "10", EINVAL, "not an address: \"10\"" },
		{ "10.1", EINVAL, "not an address: \"10.1\"" },
		{ "1.2.3.4.5/8", EINVAL, "not an address: \"1.2.3.4.5\"" },
		{ "1.2.3.256", EINVAL, "not an address: \"1.2.3.256\"" },
		{ "1.2.3.1000/8", EINVAL, "not an address: \"1.2.3.1000\"" },
		{ "01.2.3.4", EINVAL, "not an address: \"01.2.3.4\"" },
		{ "1..3.4", EINVAL, "not an address: \"1..3.4\"" },
		{ "1.2.3.", EINVAL, "not an address: \"1.2.3.\"" },
		{ ".1.2.3", EINVAL, "not an address: \".1.2.3\"" },
		{ "/8", EINVAL, "not an address: \"\"" },
		{ "a.b.c.d", EINVAL, "not an address: \"a.b.c.d\"" },
		{ "1.2.3.4 ", EINVAL, "not an address: \"1.2.3.4 \"" },
		{ "1.2.3.4/", EINVAL, "not a prefix length: \"\"" },
		{ "1.2.3.4/x", EINVAL, "not a prefix length: \"x\"" },
		{ "1.2.3.4/-1", EINVAL, "not a prefix length: \"-1\"" },
		{ "1.2.3.4/8/8", EINVAL, "not a prefix length: \"8/8\"" },
		{ "1.2.3.4/ 8", EINVAL, "not a prefix length: \" 8\"" },
		{ "1.2.3.4/33", ERANGE, "prefix length out of range" },
		{ "10/0008", ERANGE, "prefix length out of range" },
		{ "10/99999999999999999999", ERANGE,
		    "prefix length out of range" },
		{ "::/129", ERANGE, "prefix length out of range" },
		{ "::1/999", ERANGE, "prefix length out of range" },
		{ ":::1", EINVAL, "not an address: \":::1\"" },
		{ "2001:db8::g", EINVAL, "not an address: \"2001:db8::g\"" },
		{ "fe80::1%eth0", EINVAL,
		    "not an address: \"fe80::1%eth0\"" },
		{ "[::1]", EINVAL, "not an address: \"[::1]\"" },
		{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
		    EINVAL, "not an address: \"0000:0000:0000:0000:0000:0000:"
		    "0000:0000:0000:0000:0000:0000\"" },
	};
	struct confval_cidr out, c;
	char buf[INET6_ADDRSTRLEN], err[CONFVAL_ERRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&out, 0xa5, sizeof(out));
		CHECK_INT(confval_cidr(good[i].in, &out, err, sizeof(err)),
		    0);
		CHECK_INT(out.af, good[i].af);
		CHECK_INT(out.prefix, good[i].prefix);
		CHECK(inet_ntop(out.af, out.addr, buf, sizeof(buf)) != NULL);
		CHECK_STR(buf, good[i].addr);
		if (out.af == AF_INET)
			for (size_t j = 4; j < sizeof(out.addr); j++)
				CHECK_UINT(out.addr[j], 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_cidr, bad[i]);
	CHECK_INT(confval_cidr(NULL, &c, err, sizeof(err)), -1);

	/* A long hostile value is cut in the reason. */
	{
		char big[4096];

		memset(big, '7', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[10] = '\n';
		CHECK_INT(confval_cidr(big, &c, err, sizeof(err)), -1);
		CHECK_UINT(strlen(err), strlen("not an address: \"\"") +
		    64 + 3);
		CHECK(strchr(err, '\n') == NULL);
		CHECK(strstr(err, "...\"") != NULL);
	}
}

/* Does the cidr text s contain the address text a? */
static bool
match(const char *s, const char *a)
{
	struct confval_cidr c;
	uint8_t addr[16];
	int af = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;

	if (!cidr(s, &c))
		return false;
	if (inet_pton(af, a, addr) != 1) {
		test_fail(__FILE__, __LINE__, "bad test address %s", a);
		return false;
	}
	return confval_cidr_match(&c, af, addr);
}

TEST(test_cidr_match)
{
	static const struct {
		const char	*cidr, *addr;
		bool		 want;
	} t[] = {
		{ "10/8", "10.1.2.3", true },
		{ "10/8", "10.255.255.255", true },
		{ "10/8", "11.0.0.0", false },
		{ "10/8", "9.255.255.255", false },
		{ "0/0", "1.2.3.4", true },
		{ "0/0", "255.255.255.255", true },
		{ "0/0", "::1", false },
		{ "192.0.2.7", "192.0.2.7", true },
		{ "192.0.2.7", "192.0.2.6", false },
		{ "192.0.2.128/25", "192.0.2.200", true },
		{ "192.0.2.128/25", "192.0.2.127", false },
		{ "192.0.2.0/31", "192.0.2.1", true },
		{ "192.0.2.0/31", "192.0.2.2", false },
		{ "127.0.0.1/8", "127.9.9.9", true },
		/* IPv4 blocks hold v4-mapped IPv6 addresses. */
		{ "10/8", "::ffff:10.1.2.3", true },
		{ "10/8", "::ffff:11.1.2.3", false },
		{ "0/0", "::ffff:0.0.0.0", true },
		{ "10/8", "::10.1.2.3", false },
		{ "10/8", "64:ff9b::10.1.2.3", false },
		{ "::1", "::1", true },
		{ "::1", "::2", false },
		{ "::/0", "2001:db8::1", true },
		{ "::/0", "1.2.3.4", false },
		{ "2001:db8::/32", "2001:db8:ffff::1", true },
		{ "2001:db8::/32", "2001:db9::1", false },
		{ "2001:db8::/33", "2001:db8:7fff::1", true },
		{ "2001:db8::/33", "2001:db8:8000::1", false },
		{ "::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true },
		{ "::ffff:10.0.0.0/104", "10.9.9.9", false },
	};
	struct confval_cidr c;
	uint8_t a[16] = { 0 };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (match(t[i].cidr, t[i].addr) != t[i].want)
			test_fail(__FILE__, __LINE__, "%s in %s: got %d, "
			    "want %d", t[i].addr, t[i].cidr, !t[i].want,
			    t[i].want);

	/* Unknown families, NULLs and a corrupt prefix match nothing. */
	CHECK(cidr("0/0", &c));
	CHECK(!confval_cidr_match(&c, AF_UNIX, a));
	CHECK(!confval_cidr_match(&c, AF_INET, NULL));
	CHECK(!confval_cidr_match(NULL, AF_INET, a));
	c.af = AF_UNIX;
	CHECK(!confval_cidr_match(&c, AF_UNIX, a));
	CHECK(cidr("0/0", &c));
	c.prefix = 33;
	CHECK(!confval_cidr_match(&c, AF_INET, a));
	c.prefix = -1;
	CHECK(!confval_cidr_match(&c, AF_INET, a));
}

TEST(test_domain)
{
	static const struct {
		const char		*in;
		enum confval_domkind	 kind;
		const char		*name;
	} good[] = {
		{ "*", CONFVAL_DOM_ANY, "" },
		{ "x.example", CONFVAL_DOM_EXACT, "x.example" },
		{ "X.Example.", CONFVAL_DOM_EXACT, "x.example" },
		{ "localhost", CONFVAL_DOM_EXACT, "localhost" },
		{ "a-b_c.d9", CONFVAL_DOM_EXACT, "a-b_c.d9" },
		{ "*.x.example", CONFVAL_DOM_SUB, "x.example" },
		{ "*.X.EXAMPLE.", CONFVAL_DOM_SUB, "x.example" },
		{ "[*.]x.example", CONFVAL_DOM_SELFSUB, "x.example" },
		{ "[*.]X.example.", CONFVAL_DOM_SELFSUB, "x.example" },
		{ "[192.0.2.0/24]", CONFVAL_DOM_LITERAL, "[192.0.2.0/24]" },
		{ "[192.0.2.7]", CONFVAL_DOM_LITERAL, "[192.0.2.7]" },
		{ "[::1]", CONFVAL_DOM_LITERAL, "[::1]" },
		{ "[IPv6:2001:DB8::/32]", CONFVAL_DOM_LITERAL,
		    "[ipv6:2001:db8::/32]" },
		{ "[ipv6:::1]", CONFVAL_DOM_LITERAL, "[ipv6:::1]" },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ ".", EINVAL, "empty domain name" },
		{ "*.", EINVAL, "empty domain name" },
		{ "[*.]", EINVAL, "empty domain name" },
		{ "x..example", EINVAL,
		    "empty label in domain \"x..example\"" },
		{ ".x.example", EINVAL,
		    "empty label in domain \".x.example\"" },
		{ "x.example..", EINVAL,
		    "empty label in domain \"x.example..\"" },
		{ "**", EINVAL, "invalid character in domain \"**\"" },
		{ "*x.example", EINVAL,
		    "invalid character in domain \"*x.example\"" },
		{ "a.*.example", EINVAL,
		    "invalid character in domain \"a.*.example\"" },
		{ "*.*.example", EINVAL,
		    "invalid character in domain \"*.example\"" },
		{ "x example", EINVAL,
		    "invalid character in domain \"x example\"" },
		{ "x\texample", EINVAL,
		    "invalid character in domain \"x?example\"" },
		{ "b\xc3\xa4r.example", EINVAL,
		    "invalid character in domain \"b??r.example\"" },
		{ "a@b", EINVAL, "invalid character in domain \"a@b\"" },
		{ "[*.]a b", EINVAL, "invalid character in domain \"a b\"" },
		{ "[*.x.example", EINVAL,
		    "missing \"]\" in \"[*.x.example\"" },
		{ "[", EINVAL, "missing \"]\" in \"[\"" },
		{ "[]", EINVAL, "not an address: \"\"" },
		{ "[IPv6:]", EINVAL, "not an address: \"\"" },
		{ "[x.example]", EINVAL, "not an address: \"x.example\"" },
		{ "[192.0.2.0/33]", ERANGE, "prefix length out of range" },
		{ "[IPv6:192.0.2.7]", EINVAL,
		    "not an IPv6 address: \"192.0.2.7\"" },
		{ "[192.0.2.7]x", EINVAL,
		    "unexpected text after \"]\" in \"[192.0.2.7]x\"" },
	};
	struct confval_domain out;
	char err[CONFVAL_ERRLEN], buf[400];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&out, 0xa5, sizeof(out));
		CHECK_INT(confval_domain(good[i].in, &out, err, sizeof(err)),
		    0);
		CHECK_INT(out.kind, good[i].kind);
		CHECK_STR(out.name, good[i].name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_domain, bad[i]);

	CHECK_INT(confval_domain("[192.0.2.7/24]", &out, err, sizeof(err)),
	    0);
	CHECK_INT(out.cidr.af, AF_INET);
	CHECK_INT(out.cidr.prefix, 24);
	CHECK_UINT(out.cidr.addr[3], 0);

	/* Labels of 63 and names of 253 bytes are the limits. */
	memset(buf, 'a', 63);
	memcpy(buf + 63, ".x", 3);
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), 0);
	memset(buf, 'a', 64);
	memcpy(buf + 64, ".x", 3);
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), -1);
	CHECK(strncmp(err, "label too long in domain \"aaa", 29) == 0);
	for (size_t i = 0; i < 253; i += 2)
		memcpy(buf + i, "a.", 2);
	buf[253] = '\0';	/* "a.a. ... a": 253 bytes */
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), 0);
	CHECK_UINT(strlen(out.name), 253);
	buf[253] = '.';
	buf[254] = '\0';
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), 0);
	CHECK_UINT(strlen(out.name), 253);
	buf[254] = 'a';
	buf[255] = '\0';
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), -1);
	CHECK_INT(errno, EINVAL);
	CHECK(strncmp(err, "domain name too long: \"a.a.", 27) == 0);
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	CHECK_INT(confval_domain(buf, &out, err, sizeof(err)), -1);
	CHECK(strncmp(err, "domain name too long", 20) == 0);
}

TEST(test_domain_match)
{
	static const struct {
		const char	*pat, *dom;
		bool		 want;
	} t[] = {
		{ "*", "x.example", true },
		{ "*", "", true },
		{ "*", "[192.0.2.7]", true },
		{ "x.example", "x.example", true },
		{ "x.example", "X.EXAMPLE", true },
		{ "x.example", "x.example.", true },
		{ "X.Example", "x.example", true },
		{ "x.example", "a.x.example", false },
		{ "x.example", "ax.example", false },
		{ "x.example", "x.example.com", false },
		{ "x.example", "example", false },
		{ "x.example", "x.example..", false },
		{ "x.example", "", false },
		{ "*.x.example", "a.x.example", true },
		{ "*.x.example", "A.B.X.Example.", true },
		{ "*.x.example", "x.example", false },
		{ "*.x.example", "ax.example", false },
		{ "*.x.example", "a.y.example", false },
		{ "*.x.example", ".x.example", false },
		{ "*.x.example", "example", false },
		{ "[*.]x.example", "x.example", true },
		{ "[*.]x.example", "X.example.", true },
		{ "[*.]x.example", "a.x.example", true },
		{ "[*.]x.example", "a.b.x.example", true },
		{ "[*.]x.example", "ax.example", false },
		{ "[*.]x.example", ".x.example", false },
		{ "[*.]x.example", "y.example", false },
		{ "[192.0.2.0/24]", "[192.0.2.7]", true },
		{ "[192.0.2.0/24]", "[192.0.3.7]", false },
		{ "[192.0.2.0/24]", "192.0.2.7", false },
		{ "[192.0.2.0/24]", "[IPv6:::ffff:192.0.2.7]", true },
		{ "[192.0.2.0/24]", "[192.0.2.7", false },
		{ "[192.0.2.0/24]", "[]", false },
		{ "[192.0.2.0/24]", "[", false },
		{ "[192.0.2.0/24]", "[x.example]", false },
		{ "[192.0.2.7]", "[192.0.2.7]", true },
		{ "[192.0.2.7]", "[192.0.2.8]", false },
		{ "[IPv6:2001:db8::/32]", "[IPv6:2001:db8::1]", true },
		{ "[IPv6:2001:db8::/32]", "[ipv6:2001:DB8::1]", true },
		{ "[IPv6:2001:db8::/32]", "[2001:db8::1]", false },
		{ "[IPv6:2001:db8::/32]", "[IPv6:2001:db9::1]", false },
		{ "[IPv6:2001:db8::/32]", "[IPv6:192.0.2.7]", false },
		{ "[::1]", "[IPv6:::1]", true },
		{ "[::/0]", "[192.0.2.7]", false },
		{ "[IPv6:2001:db8::/32]",
		    "[IPv6:2001:0db8:0000:0000:0000:0000:0000:0000:0000:0000:"
		    "0000:0000:0000:0001]",
		    false },
		{ "x.example", "[192.0.2.7]", false },
	};
	struct confval_domain d;
	char err[CONFVAL_ERRLEN];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (confval_domain(t[i].pat, &d, err, sizeof(err)) == -1) {
			test_fail(__FILE__, __LINE__, "%s: %s", t[i].pat,
			    err);
			continue;
		}
		if (confval_domain_match(&d, t[i].dom) != t[i].want)
			test_fail(__FILE__, __LINE__, "\"%s\" ~ \"%s\": got "
			    "%d, want %d", t[i].dom, t[i].pat, !t[i].want,
			    t[i].want);
	}
	CHECK(!confval_domain_match(&d, NULL));
	CHECK(!confval_domain_match(NULL, "x"));
	d.kind = (enum confval_domkind)(CONFVAL_DOM_LITERAL + 1);
	CHECK(!confval_domain_match(&d, "x"));
}

TEST(test_hosts)
{
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ " ", EINVAL, "empty entry in host list" },
		{ "a,", EINVAL, "empty entry in host list" },
		{ "a,,b", EINVAL, "empty entry in host list" },
		{ "a;", EINVAL, "empty entry in host list" },
		{ "a;;b", EINVAL, "empty entry in host list" },
		{ ";a", EINVAL, "empty entry in host list" },
		{ "a; ,b", EINVAL, "empty entry in host list" },
		{ "a:0", ERANGE, "port out of range: \"0\"" },
		{ "a:65536", ERANGE, "port out of range: \"65536\"" },
		{ "a:99999999999999999999", ERANGE,
		    "port out of range: \"99999999999999999999\"" },
		{ "a:", EINVAL, "not a port: \"\"" },
		{ "a:x", EINVAL, "not a port: \"x\"" },
		{ "a:25x", EINVAL, "not a port: \"25x\"" },
		{ "a:-25", EINVAL, "not a port: \"-25\"" },
		{ "a: 25", EINVAL, "not a port: \" 25\"" },
		{ ":25", EINVAL, "empty domain name" },
		{ "a b", EINVAL, "invalid character in domain \"a b\"" },
		{ "*", EINVAL, "invalid character in domain \"*\"" },
		{ "a..b", EINVAL, "empty label in domain \"a..b\"" },
		{ "::1", EINVAL, "IPv6 address must be in brackets: \"::1\"" },
		{ "2001:db8::1:25", EINVAL,
		    "IPv6 address must be in brackets: \"2001:db8::1:25\"" },
		{ "[::1", EINVAL, "missing \"]\" in \"[::1\"" },
		{ "[]", EINVAL, "not an address: \"\"" },
		{ "[x.example]", EINVAL, "not an address: \"x.example\"" },
		{ "[10/8]", EINVAL, "not an address: \"10/8\"" },
		{ "[1.2.3]", EINVAL, "not an address: \"1.2.3\"" },
		{ "[::1]25", EINVAL,
		    "unexpected text after \"]\" in \"[::1]25\"" },
		{ "[::1]:", EINVAL, "not a port: \"\"" },
		{ "[::1]:0", ERANGE, "port out of range: \"0\"" },
		{ "a, [::1]:70000", ERANGE, "port out of range: \"70000\"" },
	};
	struct confval_hosts out;
	char err[CONFVAL_ERRLEN], buf[2048];
	size_t len;
	int n;

	CHECK_INT(confval_hosts("h1, h2; [127.0.0.1]:2527", &out, err,
	    sizeof(err)), 0);
	CHECK_UINT(out.n, 3);
	CHECK_STR(out.h[0].name, "h1");
	CHECK_INT(out.h[0].literal, false);
	CHECK_UINT(out.h[0].port, 0);
	CHECK_INT(out.h[0].level, 0);
	CHECK_STR(out.h[1].name, "h2");
	CHECK_INT(out.h[1].level, 0);
	CHECK_STR(out.h[2].name, "127.0.0.1");
	CHECK_INT(out.h[2].literal, true);
	CHECK_UINT(out.h[2].port, 2527);
	CHECK_INT(out.h[2].level, 1);

	CHECK_INT(confval_hosts("MX.Example.:25 ;[::1] ; \tb:65535,[::1]:1",
	    &out, err, sizeof(err)), 0);
	CHECK_UINT(out.n, 4);
	CHECK_STR(out.h[0].name, "mx.example");
	CHECK_UINT(out.h[0].port, 25);
	CHECK_INT(out.h[0].literal, false);
	CHECK_STR(out.h[1].name, "::1");
	CHECK_INT(out.h[1].literal, true);
	CHECK_UINT(out.h[1].port, 0);
	CHECK_INT(out.h[1].level, 1);
	CHECK_STR(out.h[2].name, "b");
	CHECK_UINT(out.h[2].port, 65535);
	CHECK_INT(out.h[2].level, 2);
	CHECK_STR(out.h[3].name, "::1");
	CHECK_UINT(out.h[3].port, 1);
	CHECK_INT(out.h[3].level, 2);

	CHECK_INT(confval_hosts("relay", &out, err, sizeof(err)), 0);
	CHECK_UINT(out.n, 1);
	CHECK_STR(out.h[0].name, "relay");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_hosts, bad[i]);

	/* At most CONFVAL_MAXLIST hosts over all levels. */
	for (int want = 30; want <= 64; want++) {
		len = 0;
		for (int i = 0; i < want; i++) {
			n = snprintf(buf + len, sizeof(buf) - len, "%sh%d",
			    i == 0 ? "" : i % 2 ? ", " : "; ", i);
			CHECK(n > 0 && (size_t)n < sizeof(buf) - len);
			len += n;
		}
		memset(&out, 0, sizeof(out));
		if (want <= CONFVAL_MAXLIST) {
			CHECK_INT(confval_hosts(buf, &out, err, sizeof(err)),
			    0);
			CHECK_UINT(out.n, want);
			CHECK_INT(out.h[want - 1].level, (want - 1) / 2);
		} else {
			CHECK_INT(confval_hosts(buf, &out, err, sizeof(err)),
			    -1);
			CHECK_STR(err, "too many hosts (at most 32)");
			CHECK_UINT(out.n, 0);
		}
	}
}

TEST(test_listener)
{
	static const struct {
		const char	*in;
		int		 af;
		const char	*addr;
		uint16_t	 port;
	} good[] = {
		{ "127.0.0.1:2525", AF_INET, "127.0.0.1", 2525 },
		{ "0/0:587", AF_INET, "0.0.0.0", 587 },
		{ "0.0.0.0/0:587", AF_INET, "0.0.0.0", 587 },
		{ "0.0.0.0:25", AF_INET, "0.0.0.0", 25 },
		{ "[::1]:25", AF_INET6, "::1", 25 },
		{ "[::]:25", AF_INET6, "::", 25 },
		{ "[2001:db8::7]:65535", AF_INET6, "2001:db8::7", 65535 },
		{ "[192.0.2.7]:1", AF_INET, "192.0.2.7", 1 },
		{ "::/0:25", AF_INET6, "::", 25 },
		{ "*:25", AF_UNSPEC, NULL, 25 },
	};
	static const struct bad bad[] = {
		{ "", EINVAL, "empty value" },
		{ "127.0.0.1", EINVAL, "missing port in \"127.0.0.1\"" },
		{ "*", EINVAL, "missing port in \"*\"" },
		{ "[::1]", EINVAL, "missing port in \"[::1]\"" },
		{ "[::1]25", EINVAL, "missing port in \"[::1]25\"" },
		{ "[::1:25", EINVAL, "missing \"]\" in \"[::1:25\"" },
		{ "[]:25", EINVAL, "not an address: \"\"" },
		{ "[localhost]:25", EINVAL, "not an address: \"localhost\"" },
		{ "localhost:25", EINVAL, "not an address: \"localhost\"" },
		{ "mx.example:25", EINVAL, "not an address: \"mx.example\"" },
		{ ":25", EINVAL, "not an address: \"\"" },
		{ "**:25", EINVAL, "not an address: \"**\"" },
		{ "10/8:25", EINVAL, "not a listening address: \"10/8\"" },
		{ "::1/128:25", EINVAL,
		    "not a listening address: \"::1/128\"" },
		{ "0/33:25", ERANGE, "prefix length out of range" },
		{ "0/x:25", EINVAL, "not a prefix length: \"x\"" },
		{ "::1:25", EINVAL,
		    "IPv6 address must be in brackets: \"::1:25\"" },
		{ "127.0.0.1:0", ERANGE, "port out of range: \"0\"" },
		{ "127.0.0.1:65536", ERANGE, "port out of range: \"65536\"" },
		{ "[::1]:0", ERANGE, "port out of range: \"0\"" },
		{ "*:99999999999999999999", ERANGE,
		    "port out of range: \"99999999999999999999\"" },
		{ "127.0.0.1:", EINVAL, "not a port: \"\"" },
		{ "127.0.0.1:smtp", EINVAL, "not a port: \"smtp\"" },
		{ "127.0.0.1: 25", EINVAL, "not a port: \" 25\"" },
		{ "127.0.0.1 :25", EINVAL, "not an address: \"127.0.0.1 \"" },
	};
	struct confval_listener out;
	char abuf[INET6_ADDRSTRLEN], err[CONFVAL_ERRLEN];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&out, 0xa5, sizeof(out));
		CHECK_INT(confval_listener(good[i].in, &out, err,
		    sizeof(err)), 0);
		CHECK_INT(out.af, good[i].af);
		CHECK_UINT(out.port, good[i].port);
		if (good[i].addr != NULL) {
			CHECK(inet_ntop(out.af, out.addr, abuf,
			    sizeof(abuf)) != NULL);
			CHECK_STR(abuf, good[i].addr);
		} else
			for (size_t j = 0; j < sizeof(out.addr); j++)
				CHECK_UINT(out.addr[j], 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_BAD(confval_listener, bad[i]);
}

TEST(test_email)
{
	static const char *const good[] = {
		"postmaster@x.example",
		"a@b",
		"First.Last+tag@Mail.X.Example.",
		"!#$%&'*+-/=?^_`{|}~@x.example",
		"\"john doe\"@x.example",
		"\"a@b\"@x.example",
		"\"a\\\"b\"@x.example",
		"user@[192.0.2.7]",
		"user@[IPv6:2001:db8::1]",
	};
	static const struct {
		const char	*in;
		const char	*err;
	} bad[] = {
		{ "", "empty value" },
		{ "user", "missing \"@\" in \"user\"" },
		{ "@x.example", "empty local part in \"@x.example\"" },
		{ "user@", "empty domain name" },
		{ "user@@x.example",
		    "invalid character in domain \"@x.example\"" },
		{ "a@b@c", "invalid character in domain \"b@c\"" },
		{ "us er@x.example",
		    "invalid local part in \"us er@x.example\"" },
		{ ".user@x", "invalid local part in \".user@x\"" },
		{ "user.@x", "invalid local part in \"user.@x\"" },
		{ "us..er@x", "invalid local part in \"us..er@x\"" },
		{ "<user@x>", "invalid local part in \"<user@x>\"" },
		{ "us\"er@x", "invalid local part in \"us\"er@x\"" },
		{ "user@x..example",
		    "empty label in domain \"x..example\"" },
		{ "user@x example",
		    "invalid character in domain \"x example\"" },
		{ "\"\"@x", "empty local part in \"\"\"@x\"" },
		{ "\"abc@x", "unterminated quoted local part in \"\"abc@x\"" },
		{ "\"abc\\", "unterminated quoted local part in \"\"abc\\\"" },
		{ "\"a\\\"@x", "unterminated quoted local part in "
		    "\"\"a\\\"@x\"" },
		{ "\"a\"", "missing \"@\" in \"\"a\"\"" },
		{ "\"a\"b@x", "missing \"@\" in \"\"a\"b@x\"" },
		{ "\"a\tb\"@x", "invalid local part in \"\"a?b\"@x\"" },
		{ "\"a\x80\"@x", "invalid local part in \"\"a?\"@x\"" },
		{ "user@[192.0.2.0/24]",
		    "not an address: \"192.0.2.0/24\"" },
		{ "user@[x.example]", "not an address: \"x.example\"" },
		{ "user@[IPv6:192.0.2.7]",
		    "not an IPv6 address: \"192.0.2.7\"" },
		{ "user@[192.0.2.7", "missing \"]\" in \"[192.0.2.7\"" },
	};
	char err[CONFVAL_ERRLEN], buf[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (confval_email(good[i], err, sizeof(err)) == -1)
			test_fail(__FILE__, __LINE__, "\"%s\": got \"%s\", "
			    "want success", good[i], err);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK_INT(confval_email(bad[i].in, err, sizeof(err)), -1);
		CHECK_INT(errno, EINVAL);
		CHECK_STR(err, bad[i].err);
	}

	/* A local part has at most 64 bytes, quoted or not. */
	memset(buf, 'a', 64);
	memcpy(buf + 64, "@x", 3);
	CHECK_INT(confval_email(buf, err, sizeof(err)), 0);
	memset(buf, 'a', 65);
	memcpy(buf + 65, "@x", 3);
	CHECK_INT(confval_email(buf, err, sizeof(err)), -1);
	CHECK(strncmp(err, "local part too long in \"aaa", 27) == 0);
	buf[0] = '"';
	buf[63] = '"';
	memcpy(buf + 64, "@x", 3);
	CHECK_INT(confval_email(buf, err, sizeof(err)), 0);
	buf[64] = '"';
	memcpy(buf + 65, "@x", 3);
	buf[63] = 'a';
	CHECK_INT(confval_email(buf, err, sizeof(err)), -1);
	CHECK(strncmp(err, "local part too long", 19) == 0);
}

TEST(test_errbuf)
{
	char err[8];
	bool b;
	int64_t v;

	/* errlen 0 writes nothing; a short buffer is cut and terminated. */
	memset(err, 'x', sizeof(err));
	CHECK_INT(confval_bool("maybe", &b, err, 0), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_UINT((unsigned char)err[0], 'x');
	CHECK_INT(confval_bool("maybe", &b, NULL, 0), -1);
	CHECK_INT(confval_int("x", 0, 1, &v, NULL, 0), -1);
	CHECK_INT(confval_interval("never", false, &v, NULL, 0), -1);
	CHECK_INT(confval_bool("maybe", &b, err, sizeof(err)), -1);
	CHECK_STR(err, "not a b");
	CHECK_INT(confval_bool("maybe", &b, err, 1), -1);
	CHECK_STR(err, "");
	/* Success clears err. */
	memset(err, 'x', sizeof(err));
	CHECK_INT(confval_bool("yes", &b, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* NULL text is an empty value. */
	CHECK_INT(confval_bool(NULL, &b, err, sizeof(err)), -1);
	CHECK_INT(confval_int(NULL, 0, 1, &v, err, sizeof(err)), -1);
}

/*
 * Feed every parser random and mutated text: it must not crash (run with
 * SAN=1) and a failure must leave a terminated reason.
 */
TEST(test_garbage)
{
	static const char alphabet[] = "0123456789/:.[]*,;@\"\\ \tkKmMgGbB"
	    "hdwsx-_neverIPv6abcdef\x01\x7f\x80\xff";
	static const char *const seeds[] = {
		"83/10m", "1w2d12h", "10m,30m, 1h", "[*.]x.example",
		"[IPv6:2001:db8::/32]", "h1, h2; [127.0.0.1]:2527",
		"::/0:25", "\"a b\"@x.example", "192.0.2.0/24",
	};
	struct confval_intervals li;
	struct confval_rate r;
	struct confval_cidr c;
	struct confval_domain d;
	struct confval_hosts h;
	struct confval_listener l;
	char s[300], err[CONFVAL_ERRLEN];
	uint64_t u;
	int64_t v;
	bool b;
	size_t n;

	srandom(42);
	for (int iter = 0; iter < 20000; iter++) {
		if (iter % 2 == 0) {
			n = random() % (sizeof(s) - 1);
			for (size_t i = 0; i < n; i++)
				s[i] = alphabet[random() %
				    (sizeof(alphabet) - 1)];
			s[n] = '\0';
		} else {
			n = strlen(seeds[iter / 2 % 9]);
			memcpy(s, seeds[iter / 2 % 9], n + 1);
			for (int k = random() % 4; k >= 0; k--)
				s[random() % n] = alphabet[random() %
				    (sizeof(alphabet) - 1)];
		}
		memset(err, 'x', sizeof(err));
		(void)confval_bool(s, &b, err, sizeof(err));
		(void)confval_int(s, -5, 5, &v, err, sizeof(err));
		(void)confval_size(s, &u, err, sizeof(err));
		(void)confval_interval(s, true, &v, err, sizeof(err));
		(void)confval_intervals(s, &li, err, sizeof(err));
		(void)confval_rate(s, &r, err, sizeof(err));
		if (confval_cidr(s, &c, err, sizeof(err)) == 0)
			(void)confval_cidr_match(&c, c.af, c.addr);
		if (confval_domain(s, &d, err, sizeof(err)) == 0)
			(void)confval_domain_match(&d, s);
		(void)confval_hosts(s, &h, err, sizeof(err));
		(void)confval_listener(s, &l, err, sizeof(err));
		(void)confval_email(s, err, sizeof(err));
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	}
}

static const struct test_case tests[] = {
	T(test_bool),
	T(test_int),
	T(test_size),
	T(test_interval),
	T(test_intervals),
	T(test_rate),
	T(test_cidr),
	T(test_cidr_match),
	T(test_domain),
	T(test_domain_match),
	T(test_hosts),
	T(test_listener),
	T(test_email),
	T(test_errbuf),
	T(test_garbage),
	{ NULL, NULL }
};

int
main(int argc, char **argv)
{
	return test_main(tests, argc, argv);
}
