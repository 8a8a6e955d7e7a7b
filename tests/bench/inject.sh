#!/bin/sh
# inject.sh - durable injection rate of mta-inject against Postfix's
# sendmail and against what the disk allows, in messages per second.
#
#   sh tests/bench/inject.sh        (make bench runs it; root for Postfix)
#
# Never run by make check.  In one run, rounds interleaved so that a noisy
# machine hurts all alike, for 1 KB and 10 KB messages (whole message,
# headers included):
#   a) mta-inject, one process per message, 1 stream and 2 in parallel;
#   b) mta-inject -b (batch SMTP), one process, and 2 in parallel;
#   c) Postfix's sendmail, one process per message, into a throwaway
#      Postfix instance whose config and queue are in the temp dir.  Its
#      rate counts messages accepted by sendmail (it returns once postdrop
#      has written and fsynced the maildrop file) while pickup and cleanup
#      move them on into incoming/.  Nothing can be delivered: no smtpd,
#      no qmgr, smtp a deferred transport to a closed port on 127.0.0.1;
#   d) the disk's ceiling, fsync_ceiling.c: files created in tmp/,
#      written, renamed into new/, one by one (fsync each, rename, fsync
#      new/) and 64 at a time (one syncfs, renames, one fsync of new/);
#      and, one by one, two other protocols (see fsync_ceiling.c).
# Every run writes into a directory of its own, all removed at the end:
# deleting files between runs would make the next run pay ext4's
# allocator for recently deleted inodes (without a journal it skips them
# one by one), which swamps what is measured; DELETE=1 does that anyway.
# Prints the median of RUNS runs with their range, then the ratios, and
# the load average at the start and at the end (a shared machine's
# figures mean little without it).
# Without root the Postfix rows say n/a (Postfix is installed from Debian,
# preseeded to "No configuration", when missing).  Knobs:
RUNS=${RUNS:-3}
SIZES=${SIZES:-"1024 10240"}
SINGLE_N=${SINGLE_N:-2000}	# a) messages per run (split over streams)
POSTFIX_N=${POSTFIX_N:-$SINGLE_N}	# c)
BATCH_N=${BATCH_N:-20000}	# b) and d) 64 at a time
ONE_N=${ONE_N:-$SINGLE_N}	# d) one by one
RUN_LIMIT=${RUN_LIMIT:-40}	# seconds at most for one a) or c) run
DELETE=${DELETE:-0}
BASE=${BASE:-}		# another mta-inject binary: before/after rows a0)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
inject=$top/cmd/mta-inject/mta-inject
ctl=$top/cmd/mta-ctl/mta-ctl
for p in "$inject" "$ctl"; do
	[ -x "$p" ] || { echo "inject.sh: no $p: run make first" >&2; exit 1; }
done

# The temp dir: on the file system of the tree.
base=${TMPDIR:-/tmp}
if [ "$(stat -c %d "$base")" != "$(stat -c %d "$top")" ]; then
	base=$top/tests/bench
fi
w=$(mktemp -d "$base/mta-bench.XXXXXX")
chmod 755 "$w"		# Postfix's daemons run as user postfix
P=$w/postfix
pf_master=
cleanup() {
	if [ -n "$pf_master" ]; then
		postfix -c "$P/etc" stop >/dev/null 2>&1 || true
		i=0
		while kill -0 "$pf_master" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.2; i=$((i + 1))
		done
		kill "$pf_master" 2>/dev/null || true
	fi
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
now() { date +%s%N; }
say() { printf '%s\n' "$*" >&2; }
# rate N T0 T1 - messages per second
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }
record() { echo "$1 $2" >>"$w/results"; }

# Room for every run's files, else delete between runs.
need=0
for s in $SIZES; do
	need=$((need + RUNS * (s / 4096 + 2) * 4 * (3 * ONE_N + 3 * BATCH_N +
	    2 * SINGLE_N + 2 * POSTFIX_N) + 3 * BATCH_N * (s + 80) / 1024))
done
if [ "$DELETE" = 0 ] &&
    [ "$(df -Pk "$w" | awk 'NR == 2 { print $4 }')" -lt $((need * 2)) ]; then
	say "inject.sh: under $((need * 2 / 1048576)) GB free: DELETE=1"
	DELETE=1
fi

# --- inputs --------------------------------------------------------------

# gen_msg SIZE FILE - a message of exactly SIZE bytes, LF line ends
gen_msg() {
	awk -v size="$1" 'BEGIN {
		h = "From: a@example.test\nTo: b@example.test\n" \
		    "Subject: bench " size "\n\n"
		printf "%s", h
		for (line = ""; length(line) < 76; line = line "abcdefghij")
			;
		line = substr(line, 1, 76)
		for (left = size - length(h); left > 0; )
			if (left >= 77) { print line; left -= 77 }
			else { print substr(line, 1, left - 1); left = 0 }
	}' >"$2"
}

# gen_bsmtp MSG N FILE - N messages of batch SMTP
gen_bsmtp() {
	awk -v msg="$1" -v n="$2" 'BEGIN {
		while ((getline l <msg) > 0)
			body = body l "\n"
		for (i = 0; i < n; i++)
			printf "MAIL FROM:<a@example.test>\nRCPT TO:<b%d@example.test>\nDATA\n%s.\n", i, body
		print "QUIT"
	}' >"$3"
}

cc -O2 -o "$w/fsync_ceiling" "$top/tests/bench/fsync_ceiling.c"
for s in $SIZES; do
	gen_msg "$s" "$w/msg.$s"
	[ "$(wc -c <"$w/msg.$s")" -eq "$s" ] || { say "bad size"; exit 1; }
	gen_bsmtp "$w/msg.$s" "$BATCH_N" "$w/bsmtp.$s"
	gen_bsmtp "$w/msg.$s" $((BATCH_N / 2)) "$w/bsmtp.$s.half"
done

# fresh DIR - a directory for the next run (the previous one gone if
# DELETE=1), and nothing dirty left for the run's syncs to write
nrun=0
prev=
fresh() {
	nrun=$((nrun + 1))
	d=$w/run.$nrun
	if [ "$DELETE" != 0 ] && [ -n "$prev" ]; then rm -rf "$prev"; fi
	prev=$d
	mkdir "$d"
	sync
}

# fresh_spool - a new spool: $spool, $conf
fresh_spool() {
	fresh
	conf=$d/mta.conf
	spool=$d/spool
	cat >"$conf" <<EOF
host-name bench.mta.test
postmaster postmaster@bench.mta.test
spool $spool
EOF
	"$ctl" -C "$conf" spool init >/dev/null
	sync
}

# --- Postfix -------------------------------------------------------------

setup_postfix() {
	if ! command -v postfix >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			say "postfix: not installed and not root: skipped"
			return 1
		fi
		say "postfix: installing the Debian package (no configuration)"
		echo "postfix postfix/main_mailer_type select No configuration" |
		    debconf-set-selections
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends postfix >/dev/null 2>&1 || {
			apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			    --no-install-recommends postfix >/dev/null 2>&1
		} || { say "postfix: install failed: skipped"; return 1; }
	fi
	if [ "$(id -u)" -ne 0 ]; then
		say "postfix: needs root to start its master: skipped"
		return 1
	fi
	cmddir=$(postconf -dh command_directory)
	mkdir -p "$P/etc" "$P/bin" "$P/queue" "$P/data"
	chown postfix "$P/data"
	for f in "$cmddir"/post* "$cmddir/sendmail"; do
		ln -s "$f" "$P/bin/"
	done
	# A set-gid postdrop trusts only the system's config directory; a
	# plain copy run by root reads ours (MAIL_CONFIG).  Same work.
	rm "$P/bin/postdrop" "$P/bin/postqueue"
	cp "$cmddir/postdrop" "$cmddir/postqueue" "$P/bin/"
	chmod 755 "$P/bin/postdrop" "$P/bin/postqueue"
	cat >"$P/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $P/etc
queue_directory = $P/queue
data_directory = $P/data
command_directory = $P/bin
maillog_file = $P/maillog
maillog_file_prefixes = $P
myhostname = bench.mta.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
relayhost = [127.0.0.1]:9
default_transport = smtp
defer_transports = smtp
in_flow_delay = 0
EOF
	# No smtpd, no qmgr: messages stop in incoming/; no chroot.
	cat >"$P/etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if ! postfix -c "$P/etc" start >/dev/null 2>&1; then
		say "postfix: start failed: skipped"; cat "$P/maillog" >&2
		return 1
	fi
	pf_master=$(tr -d ' ' <"$P/queue/pid/master.pid")
	sendmail=$P/bin/sendmail
	export MAIL_CONFIG="$P/etc"
	# one message through, to be sure
	printf 'Subject: test\n\ntest\n' |
	    "$sendmail" -i -f a@example.test b@example.test ||
	    { say "postfix: sendmail failed: skipped"; return 1; }
	postfix_drain 1 || { say "postfix: pickup does not work"; return 1; }
	postsuper -c "$P/etc" -d ALL >/dev/null 2>&1
	say "postfix: $(postconf -dh mail_version) in $P (master pid $pf_master)"
}

incoming() { find "$P/queue/incoming" -type f -perm -u+x | wc -l; }

# postfix_drain N - wait until maildrop/ is empty and N complete files
# (mode u+x) are in incoming/
postfix_drain() {
	i=0
	while [ $i -lt 600 ]; do
		if [ -z "$(ls -A "$P/queue/maildrop")" ] &&
		    [ "$(incoming)" -eq "$1" ]; then
			return 0
		fi
		sleep 0.05; i=$((i + 1))
	done
	return 1
}

# --- one run of each -----------------------------------------------------

# loop N OUT CMD... - run CMD <$msg N times, at most until $deadline; the
# number done into OUT
loop() {
	n=$1 out=$2; shift 2
	i=0
	while [ $i -lt "$n" ]; do
		"$@" <"$msg" >/dev/null || { echo "$i" >"$out"; say "failed: $*"; return 1; }
		i=$((i + 1))
		if [ $((i % 100)) -eq 0 ] && [ "$(date +%s)" -ge "$deadline" ]; then
			break
		fi
	done
	echo "$i" >"$out"
}

# per_message KEY STREAMS CMD... - one process per message, STREAMS
# loops in parallel sharing $N; records the rate, prints the number done
per_message() {
	key=$1 streams=$2; shift 2
	deadline=$(($(date +%s) + RUN_LIMIT))
	t0=$(now)
	k=0
	while [ $k -lt "$streams" ]; do
		loop $((N / streams)) "$w/done.$k" "$@" &
		k=$((k + 1))
	done
	wait
	t1=$(now)
	done=$(cat "$w"/done.* | awk '{ s += $1 } END { print s }')
	rm -f "$w"/done.*
	record "$key" "$(rate "$done" "$t0" "$t1")"
	echo "$done"
}

run_mta_single() {	# STREAMS [BINARY KEY]
	fresh_spool
	N=$SINGLE_N
	n=$(per_message "${3:-single}$1.$s" "$1" "${2:-$inject}" -C "$conf" \
	    -i -f a@example.test b@example.test)
	got=$(find "$spool/new" -type f | wc -l)
	[ "$got" -eq "$n" ] || { say "mta-inject: $got in new/, $n sent"; exit 1; }
}

run_mta_batch() {	# STREAMS
	fresh_spool
	f=$w/bsmtp.$s
	[ "$1" -eq 1 ] || f=$f.half
	t0=$(now)
	k=0
	while [ $k -lt "$1" ]; do
		"$inject" -C "$conf" -b <"$f" >"$w/qids.$k" &
		k=$((k + 1))
	done
	wait
	t1=$(now)
	got=$(find "$spool/new" -type f | wc -l)
	ids=$(cat "$w"/qids.* | grep -cv '^error' || true)
	rm -f "$w"/qids.*
	if [ "$got" -ne "$ids" ] || [ "$got" -ne $((BATCH_N / $1 * $1)) ]; then
		say "mta-inject -b: $got in new/, $ids ids"; exit 1
	fi
	record "batch$1.$s" "$(rate "$got" "$t0" "$t1")"
}

run_postfix() {		# STREAMS
	if [ "$DELETE" != 0 ]; then
		postsuper -c "$P/etc" -d ALL >/dev/null 2>&1
	fi
	sync
	before=$(incoming)
	N=$POSTFIX_N
	t0=$(now)
	n=$(per_message "postfix$1.$s" "$1" "$sendmail" -i -f a@example.test \
	    b@example.test)
	postfix_drain $((before + n)) ||
	    { say "postfix: $n sent, not all in incoming/"; exit 1; }
	t1=$(now)
	record "pfdrain$1.$s" "$(rate "$n" "$t0" "$t1")"
}

run_ceiling() {		# BATCH [MODE]
	fresh
	n=$ONE_N
	[ "$1" -eq 1 ] || n=$BATCH_N
	record "ceil$1${2:-}.$s" \
	    "$("$w/fsync_ceiling" "$d/c" "$s" "$n" "$1" ${2:+"$2"})"
}

# --- the runs ------------------------------------------------------------

pf_ok=0
if setup_postfix; then pf_ok=1; fi
say "temp dir $w, $(nproc) CPUs, DELETE=$DELETE"

run=1
while [ $run -le "$RUNS" ]; do
	for s in $SIZES; do
		msg=$w/msg.$s
		say "run $run/$RUNS, $s bytes: ceiling, mta-inject, -b, postfix ($(($(date +%s) - start)) s)"
		run_ceiling 1
		run_ceiling 64
		run_ceiling 1 tmpfile
		run_ceiling 1 direct
		run_mta_single 1
		[ -z "$BASE" ] || run_mta_single 1 "$BASE" base
		run_mta_single 2
		run_mta_batch 1
		run_mta_batch 2
		[ $pf_ok -eq 0 ] || { run_postfix 1; run_postfix 2; }
	done
	run=$((run + 1))
done

# --- the table -----------------------------------------------------------

# stats KEY - "median min-max" of the runs recorded for KEY
stats() {
	awk -v k="$1" '$1 == k { print $2 }' "$w/results" | sort -n | awk '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%.0f %.0f-%.0f\n", m, a[1], a[NR]
		}'
}
med() { stats "$1" | cut -d' ' -f1; }

row() {		# LABEL KEY
	printf '%-46s' "$1"
	for s in $SIZES; do
		printf ' %19s' "$(stats "$2.$s" | awk '{ printf "%s (%s)", $1, $2 }')"
	done
	printf '\n'
}

ratio() {	# LABEL KEY_A KEY_B GOAL
	printf '%-46s' "$1"
	for s in $SIZES; do
		a=$(med "$2.$s") b=$(med "$3.$s")
		printf ' %19s' "$(awk -v a="$a" -v b="$b" -v g="$4" 'BEGIN {
			if (a == "n/a" || b == "n/a" || b == 0) { print "n/a"; exit }
			printf "%.2fx %s", a / b, g == 0 ? "" : ((a / b >= g) ? "ok" : "LOW") }')"
	done
	printf '\n'
}

echo
echo "== durable injection, messages/s: median of $RUNS runs (min-max)"
echo "   $(uname -r), $(nproc) CPUs, $(findmnt -no SOURCE,FSTYPE -T "$w" 2>/dev/null || true), DELETE=$DELETE; $(($(date +%s) - start)) s"
echo "   load average: $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
printf '%-46s' "message size (bytes, headers included)"
for s in $SIZES; do printf ' %19s' "$s"; done
printf '\n'
row "d) disk: 1 file: fsync, rename, fsync dir" ceil1
row "d) disk: 64 files: syncfs, renames, fsync dir" ceil64
row "   1 file: O_TMPFILE, fdatasync, linkat, fsync" ceil1tmpfile
row "   1 file: create in new/, fdatasync, fsync" ceil1direct
row "a) mta-inject, 1 process/msg, 1 stream" single1
[ -z "$BASE" ] || row "a0) BASE mta-inject, 1 process/msg, 1 stream" base1
row "a) mta-inject, 1 process/msg, 2 streams" single2
row "b) mta-inject -b, 1 process" batch1
row "b) mta-inject -b, 2 processes" batch2
row "c) postfix sendmail accepted, 1 stream" postfix1
row "c) postfix sendmail accepted, 2 streams" postfix2
row "   postfix through pickup to incoming/, 1" pfdrain1
row "   postfix through pickup to incoming/, 2" pfdrain2
echo
echo "ratios of the medians (goal)"
ratio "a/c mta-inject / postfix, 1 stream (>= 5)" single1 postfix1 5
ratio "a/c mta-inject / postfix, 2 streams (>= 5)" single2 postfix2 5
ratio "b/d mta-inject -b / 64-file disk (>= 0.5)" batch1 ceil64 0.5
ratio "b/d mta-inject -b x2 / 64-file disk" batch2 ceil64 0
ratio "a/d mta-inject / 1-file disk" single1 ceil1 0
[ -z "$BASE" ] || ratio "a/a0 mta-inject / BASE, 1 stream" single1 base1 0
echo
echo "Messages per run: a) $SINGLE_N, b) $BATCH_N, c) $POSTFIX_N, d) $ONE_N and $BATCH_N;"
echo "2 streams or processes share the same total.  Postfix: a message"
echo "counts when its sendmail returns (postdrop has written and fsynced"
echo "the maildrop file); pickup and cleanup run meanwhile, as they would."
echo "mta-queue does not run."
