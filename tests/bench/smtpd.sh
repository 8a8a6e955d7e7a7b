#!/bin/sh
# smtpd.sh - messages per second accepted durably over SMTP: mta-smtpd
# against Postfix's smtpd on the same machine, in the same run, and
# against the disk's group-commit ceiling.
#
#   sh tests/bench/smtpd.sh        (make bench runs it; root for Postfix)
#
# Never run by make check.  smtp-source (tests/bench/postfix) sends 1 KB
# messages over 10 and 50 sessions, connections reused (-d), to
#   a) mta-smtpd, one process, group commit across sessions;
#   b) Postfix's smtpd and cleanup (a throwaway instance from the
#      binaries under tests/bench/postfix, config and queue in the temp
#      dir; no qmgr, so messages stop in incoming/ once cleanup has
#      fsynced them, which is when smtpd answers 250);
#   c) the disk: fsync_ceiling.c, 64 files per syncfs (what spool_commit
#      does for a group).
# Every figure is the median of RUNS runs (interleaved), then the ratios
# against the goals: a >= 5x b, a >= 0.5x c.  Knobs:
RUNS=${RUNS:-3}
N=${N:-10000}		# messages per run
SIZE=${SIZE:-1024}
SESSIONS=${SESSIONS:-"10 50"}
PORT=${PORT:-25790}	# mta-smtpd; Postfix on PORT+1
BASE=${BASE:-}		# another mta-smtpd binary: before/after rows a0)
SUPPRESS=${SUPPRESS:-0}	# addresses in each mta-smtpd spool's suppression
			# store (none of them a recipient: every RCPT misses)
# SMTPD=path measures that binary instead of the tree's (a copy does not
# change under a rebuild during the run).  Each mta-smtpd run's log ends
# with its number of commits and their mean time.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
smtpd=${SMTPD:-$top/cmd/mta-smtpd/mta-smtpd}	# the binary measured
ctl=$top/cmd/mta-ctl/mta-ctl
PF=$top/tests/bench/postfix
export LD_LIBRARY_PATH=$PF/usr/lib/postfix
source_bin=$PF/usr/sbin/smtp-source
for p in "$smtpd" "$ctl" "$source_bin"; do
	[ -x "$p" ] || { echo "smtpd.sh: no $p: run make first" >&2; exit 1; }
done

base=${TMPDIR:-/tmp}
if [ "$(stat -c %d "$base")" != "$(stat -c %d "$top")" ]; then
	base=$top/tests/bench
fi
w=$(mktemp -d "$base/mta-bench-smtpd.XXXXXX")
chmod 755 "$w"
P=$w/postfix
pf_up=0
mta_pid=
cleanup() {
	[ -z "$mta_pid" ] || kill "$mta_pid" 2>/dev/null || true
	if [ $pf_up -eq 1 ]; then
		"$PF/usr/sbin/postfix" -c "$P/etc" stop >/dev/null 2>&1 || true
		sleep 1
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }
now() { date +%s%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }
record() { echo "$1 $2" >>"$w/results"; }

# --- Postfix -------------------------------------------------------------

setup_postfix() {
	if [ "$(id -u)" -ne 0 ] || ! id postfix >/dev/null 2>&1; then
		say "postfix: needs root and a postfix user: skipped"
		return 1
	fi
	mkdir -p "$P/etc" "$P/queue" "$P/data"
	chown postfix "$P/data"
	cp "$PF/etc/postfix/postfix-files" "$P/etc/"
	cat >"$P/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $P/etc
meta_directory = $P/etc
queue_directory = $P/queue
data_directory = $P/data
command_directory = $PF/usr/sbin
daemon_directory = $PF/usr/lib/postfix/sbin
shlib_directory = $PF/usr/lib/postfix
maillog_file = $P/maillog
maillog_file_prefixes = $P
myhostname = bench.mta.test
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost = [127.0.0.1]:9
defer_transports = smtp
in_flow_delay = 0
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_peername_lookup = no
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LD_LIBRARY_PATH
EOF
	cat >"$P/etc/master.cf" <<EOF
127.0.0.1:$((PORT + 1)) inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       n       -       1       anvil
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if ! "$PF/usr/sbin/postfix" -c "$P/etc" start >"$w/pf.start" 2>&1; then
		say "postfix: start failed: skipped"
		cat "$w/pf.start" "$P/maillog" >&2 2>/dev/null || true
		return 1
	fi
	pf_up=1
	i=0
	while ! "$source_bin" -c -m 1 -f a@example.test -t b@example.test \
	    127.0.0.1:$((PORT + 1)) >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	pf_wait 1 || { say "postfix: smtpd does not queue"; return 1; }
	say "postfix: $("$PF/usr/sbin/postconf" -c "$P/etc" -h mail_version) in $P"
}

pf_incoming() { find "$P/queue/incoming" -type f | wc -l; }

# pf_wait N - until N files are in incoming/ (at most 30 s)
pf_wait() {
	i=0
	while [ "$(pf_incoming)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(pf_incoming)" -ge "$1" ]
}

# --- runs ----------------------------------------------------------------

nrun=0
fresh() {
	nrun=$((nrun + 1))
	d=$w/run.$nrun
	mkdir "$d"
	sync
}

run_mta() {	# SESSIONS [BINARY LABEL]
	bin=${2:-$smtpd}
	fresh
	cat >"$d/mta.conf" <<EOF
host-name bench.mta.test
run-as-root yes
spool $d/spool
smtp-listener 127.0.0.1:$PORT
total-max-smtp-in 1000
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
	"$ctl" -C "$d/mta.conf" spool init >/dev/null
	[ "$SUPPRESS" -eq 0 ] ||
	    "$ctl" -C "$d/mta.conf" suppress import "$w/suppress.csv" >/dev/null
	"$bin" -C "$d/mta.conf" 2>"$d/log" >/dev/null &
	mta_pid=$!
	i=0
	while ! grep -q listening "$d/log" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sync
	t0=$(now)
	"$source_bin" -d -s "$1" -m "$N" -l "$SIZE" -f a@example.test \
	    -t b@example.test 127.0.0.1:$PORT
	t1=$(now)
	kill "$mta_pid"
	wait "$mta_pid" || true
	mta_pid=
	got=$(find "$d/spool/new" -type f | wc -l)
	[ "$got" -eq "$N" ] || { say "mta-smtpd: $got in new/, $N sent"; exit 1; }
	record "${3:-mta}$1" "$(rate "$N" "$t0" "$t1")"
}

run_postfix() {	# SESSIONS
	"$PF/usr/sbin/postsuper" -c "$P/etc" -d ALL incoming >/dev/null 2>&1 || true
	sync
	t0=$(now)
	"$source_bin" -d -s "$1" -m "$N" -l "$SIZE" -f a@example.test \
	    -t b@example.test 127.0.0.1:$((PORT + 1))
	t1=$(now)
	pf_wait "$N" || { say "postfix: not all $N in incoming/"; exit 1; }
	record "postfix$1" "$(rate "$N" "$t0" "$t1")"
}

run_ceiling() {
	fresh
	record ceil64 "$("$w/fsync_ceiling" "$d/c" "$SIZE" "$N" 64)"
}

cc -O2 -o "$w/fsync_ceiling" "$top/tests/bench/fsync_ceiling.c"
awk -v n="$SUPPRESS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "k%d@bench.test,default,1764480000,550 5.1.1 user unknown\n", i
}' >"$w/suppress.csv"
pf_ok=0
if setup_postfix; then pf_ok=1; fi
say "temp dir $w, $(nproc) CPUs"
run=1
while [ $run -le "$RUNS" ]; do
	say "run $run/$RUNS"
	run_ceiling
	for s in $SESSIONS; do
		run_mta "$s"
		[ -z "$BASE" ] || run_mta "$s" "$BASE" base
		[ $pf_ok -eq 0 ] || run_postfix "$s"
	done
	run=$((run + 1))
done

stats() {
	awk -v k="$1" '$1 == k { print $2 }' "$w/results" | sort -n | awk '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%.0f (%.0f-%.0f)\n", m, a[1], a[NR]
		}'
}
med() { stats "$1" | cut -d' ' -f1; }
ratio() {	# LABEL A B GOAL
	awk -v l="$1" -v a="$(med "$2")" -v b="$(med "$3")" -v g="$4" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) { printf "%-48s n/a\n", l; exit }
		printf "%-48s %.2fx %s\n", l, a / b, (a / b >= g) ? "ok" : "LOW" }'
}

echo
echo "== SMTP submission, $SIZE-byte messages, messages/s accepted durably"
echo "   median of $RUNS runs (min-max), $N messages a run; $(uname -r), $(nproc) CPUs"
echo "   suppression store of mta-smtpd: $SUPPRESS addresses"
printf '%-48s %s\n' "c) disk: 64 files per syncfs" "$(stats ceil64)"
for s in $SESSIONS; do
	printf '%-48s %s\n' "a) mta-smtpd, $s sessions" "$(stats "mta$s")"
	[ -z "$BASE" ] ||
	    printf '%-48s %s\n' "a0) BASE mta-smtpd, $s sessions" "$(stats "base$s")"
	printf '%-48s %s\n' "b) postfix smtpd, $s sessions" "$(stats "postfix$s")"
done
echo
for s in $SESSIONS; do
	ratio "a/b mta-smtpd / postfix, $s sessions (>= 5)" "mta$s" "postfix$s" 5
	ratio "a/c mta-smtpd / disk ceiling, $s sessions (>= 0.5)" "mta$s" ceil64 0.5
done
