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
#      fsynced them, which is when smtpd answers 250; they stay there
#      and are counted);
#   c) the disk: fsync_ceiling.c, 64 files per syncfs (what spool_commit
#      does for a group), and as many files per syncfs as there are
#      sessions (the largest group such clients can form: each waits for
#      its 250 before it sends the next message);
#   x) the same client against smtp-sink, which stores nothing: the most
#      any server could answer it;
#   with MODES containing "live", both servers as they are run, their
#   queue managers delivering to an smtp-sink while they accept:
#   d) mta-smtpd with mta-queue and its mta-deliver workers (<domain *>
#      routed to the sink);
#   e) Postfix with qmgr and smtp (relayhost the sink), the set-up of the
#      issue's reference figure (about 640 msg/s there, in_flow_delay 1s;
#      here in_flow_delay is 0, as in b).
#   After each live run the next waits until the queue is empty.
# The accept runs delete nothing before the end, and all of them run
# before the first live run: this machine's ext4 has no journal, and
# there a file created within a minute of many deletions in its block
# group (six while the inode table is not yet written back) costs up to
# 0.5 ms of kernel time (recently_deleted() in the inode allocator), so
# a delete before one run slowed whichever server ran next.  In the live
# runs both queue managers delete what they have delivered, as in
# service, and both servers pay for it.
# Every figure is the median of RUNS runs (interleaved), then the ratios
# against the goals: a >= 5x b, a >= 0.5x c, d >= 5x e.  Under a/b a
# line sets 5x b against what the disk allows such clients: S sessions
# never form a group of more than S messages (each waits for its 250),
# so no spool that syncs a message before its 250 beats the disk's rate
# for groups of S files (c); and where the groups do not overlap (the
# row "messages a commit" near S) a session's cycle is its client's own
# time (x) plus one commit: at most 1/(1/x + 1/c).
# Knobs:
RUNS=${RUNS:-3}
N=${N:-10000}		# messages per run
SIZE=${SIZE:-1024}
SESSIONS=${SESSIONS:-"10 50"}
MODES=${MODES:-"accept live"}
PORT=${PORT:-25790}	# mta-smtpd; Postfix on PORT+1, live PORT+2, sink PORT+3
BASE=${BASE:-}		# another mta-smtpd binary: before/after rows a0)
SUPPRESS=${SUPPRESS:-0}	# addresses in each mta-smtpd spool's suppression
			# store (none of them a recipient: every RCPT misses)
# SMTPD=path measures that binary instead of the tree's (a copy does not
# change under a rebuild during the run).  BENCHDIR=dir puts the temp dir
# there (another file system) instead of on the tree's.  Each mta-smtpd
# run's log ends with its number of commits and their mean time.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
smtpd=${SMTPD:-$top/cmd/mta-smtpd/mta-smtpd}	# the binary measured
ctl=$top/cmd/mta-ctl/mta-ctl
queue=$top/cmd/mta-queue/mta-queue
deliver=$top/cmd/mta-deliver/mta-deliver
PF=$top/tests/bench/postfix
export LD_LIBRARY_PATH=$PF/usr/lib/postfix
source_bin=$PF/usr/sbin/smtp-source
sink_bin=$PF/usr/sbin/smtp-sink
for p in "$smtpd" "$ctl" "$source_bin" "$queue" "$deliver" "$sink_bin"; do
	[ -x "$p" ] || { echo "smtpd.sh: no $p: run make first" >&2; exit 1; }
done

base=${TMPDIR:-/tmp}
if [ -n "${BENCHDIR:-}" ]; then
	base=$BENCHDIR
elif [ "$(stat -c %d "$base")" != "$(stat -c %d "$top")" ]; then
	base=$top/tests/bench
fi
w=$(mktemp -d "$base/mta-bench-smtpd.XXXXXX")
chmod 755 "$w"
P=$w/postfix
PL=$w/postfix-live
pf_up=
mta_pid= queue_pid= sink_pid=
cleanup() {
	[ -z "$mta_pid" ] || kill "$mta_pid" 2>/dev/null || true
	[ -z "$queue_pid" ] || kill "$queue_pid" 2>/dev/null || true
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	for p in $pf_up; do
		"$PF/usr/sbin/postfix" -c "$p/etc" stop >/dev/null 2>&1 || true
	done
	[ -z "$pf_up" ] || sleep 1
	[ -n "${KEEP:-}" ] || rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }
now() { date +%s%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }
record() { echo "$1 $2" >>"$w/results"; }

# smtp_up PORT - until one message goes through the server on PORT (at
# most 10 s)
smtp_up() {
	i=0
	while ! "$source_bin" -c -m 1 -f a@example.test -t b@example.test \
	    "127.0.0.1:$1" >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
}

# --- Postfix -------------------------------------------------------------

# setup_postfix DIR PORT accept|live - a throwaway instance in DIR with
# its smtpd on PORT: "accept" has no qmgr (messages stop in incoming/),
# "live" relays them to the sink
setup_postfix() {
	if [ "$(id -u)" -ne 0 ] || ! id postfix >/dev/null 2>&1; then
		say "postfix: needs root and a postfix user: skipped"
		return 1
	fi
	mkdir -p "$1/etc" "$1/queue" "$1/data"
	chown postfix "$1/data"
	cp "$PF/etc/postfix/postfix-files" "$1/etc/"
	if [ "$3" = live ]; then
		relay="relayhost = [127.0.0.1]:$SINK_PORT"
		daemons="qmgr unix n - n 300 1 qmgr
smtp unix - - n - - smtp"
	else
		relay="relayhost = [127.0.0.1]:9
defer_transports = smtp"
		daemons=
	fi
	cat >"$1/etc/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $1/etc
meta_directory = $1/etc
queue_directory = $1/queue
data_directory = $1/data
command_directory = $PF/usr/sbin
daemon_directory = $PF/usr/lib/postfix/sbin
shlib_directory = $PF/usr/lib/postfix
maillog_file = $1/maillog
maillog_file_prefixes = $1
myhostname = bench.mta.test
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
$relay
in_flow_delay = 0
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_peername_lookup = no
smtp_destination_concurrency_limit = 20
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LD_LIBRARY_PATH
EOF
	cat >"$1/etc/master.cf" <<EOF
127.0.0.1:$2 inet n - n - - smtpd
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
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
$daemons
EOF
	if ! "$PF/usr/sbin/postfix" -c "$1/etc" start >"$1.start" 2>&1; then
		say "postfix: start failed: skipped"
		cat "$1.start" "$1/maillog" >&2 2>/dev/null || true
		return 1
	fi
	pf_up="$pf_up $1"
	smtp_up "$2"
	if [ "$3" = accept ]; then
		pf_wait 1 || { say "postfix: smtpd does not queue"; return 1; }
	else
		pf_drained "$1" || { say "postfix: does not relay"; return 1; }
	fi
	say "postfix: $("$PF/usr/sbin/postconf" -c "$1/etc" -h mail_version) in $1"
}

# pf_drained DIR - until DIR's queue holds no message (at most 120 s)
pf_drained() {
	i=0
	while [ -n "$(find "$1/queue/incoming" "$1/queue/active" \
	    "$1/queue/deferred" "$1/queue/maildrop" -type f 2>/dev/null |
	    head -n 1)" ]; do
		[ $i -lt 1200 ] || return 1
		sleep 0.1; i=$((i + 1))
	done
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

# mta_conf SPOOL [live] - the config of a mta-smtpd run, on stdout
mta_conf() {
	cat <<EOF
host-name bench.mta.test
run-as-root yes
spool $1
smtp-listener 127.0.0.1:$PORT
total-max-smtp-in 1000
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
	[ "${2:-}" = live ] || return 0
	cat <<EOF
<domain *>
    smtp-hosts [127.0.0.1]:$SINK_PORT
    max-smtp-out 20
    max-msg-per-connection 1000
    use-starttls no
</domain>
EOF
}

# start_mta BINARY - mta-smtpd on $d/mta.conf, until it listens: $mta_pid
start_mta() {
	"$1" -C "$d/mta.conf" 2>"$d/log" >/dev/null &
	mta_pid=$!
	i=0
	while ! grep -q listening "$d/log" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

stop() {	# PID
	kill "$1"
	wait "$1" || true
}

# send SESSIONS PORT - N messages by smtp-source: $t0 and $t1
send() {
	sync
	t0=$(now)
	"$source_bin" -d -s "$1" -m "$N" -l "$SIZE" -f a@example.test \
	    -t b@example.test "127.0.0.1:$2"
	t1=$(now)
}

run_mta() {	# SESSIONS [BINARY LABEL]
	fresh
	mta_conf "$d/spool" >"$d/mta.conf"
	"$ctl" -C "$d/mta.conf" spool init >/dev/null
	[ "$SUPPRESS" -eq 0 ] ||
	    "$ctl" -C "$d/mta.conf" suppress import "$w/suppress.csv" >/dev/null
	start_mta "${2:-$smtpd}"
	send "$1" "$PORT"
	# CPU a message (user + system, all threads): what a change moves
	# when the noisy wall-clock rate hides it
	cpu=$(sed 's/.*) //' "/proc/$mta_pid/stat" |
	    awk -v n="$N" -v hz="$(getconf CLK_TCK)" \
	    '{ printf "%d", ($12 + $13) * 1000000 / hz / n }')
	stop "$mta_pid"
	mta_pid=
	got=$(find "$d/spool/new" -type f | wc -l)
	[ "$got" -eq "$N" ] || { say "mta-smtpd: $got in new/, $N sent"; exit 1; }
	record "${3:-mta}$1" "$(rate "$N" "$t0" "$t1")"
	record "${3:-mta}cpu$1" "$cpu"
	# from the log's last line: "stopped: N messages queued in C commits"
	record "${3:-mta}group$1" "$(awk '/stopped: .* commits/ {
	    sub(/.*stopped: /, ""); if ($5 > 0) printf "%.1f", $1 / $5 }' \
	    "$d/log")"
}

# spool_drained - until $d/spool holds no message (at most 120 s)
spool_drained() {
	i=0
	while [ -n "$(find "$d/spool/new" "$d/spool/queue" -type f |
	    head -n 1)" ]; do
		[ $i -lt 1200 ] || return 1
		sleep 0.1; i=$((i + 1))
	done
}

run_mta_live() {	# SESSIONS
	fresh
	mta_conf "$d/spool" live >"$d/mta.conf"
	"$ctl" -C "$d/mta.conf" spool init >/dev/null
	MTA_DELIVER=$deliver "$queue" -C "$d/mta.conf" 2>"$d/queue.log" &
	queue_pid=$!
	start_mta "$smtpd"
	send "$1" "$PORT"
	record "mtalive$1" "$(rate "$N" "$t0" "$t1")"
	spool_drained || { say "mta-queue: spool not empty after 120 s"; exit 1; }
	stop "$mta_pid"
	stop "$queue_pid"
	mta_pid= queue_pid=
	grep -q "stopped: $N messages queued" "$d/log" ||
	    { say "mta-smtpd: not $N queued"; tail -n 3 "$d/log" >&2; exit 1; }
}

run_postfix() {	# SESSIONS
	had=$(pf_incoming)
	send "$1" $((PORT + 1))
	pf_wait $((had + N)) ||
	    { say "postfix: not all $N in incoming/"; exit 1; }
	record "postfix$1" "$(rate "$N" "$t0" "$t1")"
}

run_postfix_live() {	# SESSIONS
	send "$1" $((PORT + 2))
	record "pflive$1" "$(rate "$N" "$t0" "$t1")"
	pf_drained "$PL" || { say "postfix: queue not empty after 120 s"; exit 1; }
}

run_client() {	# SESSIONS
	send "$1" "$SINK_PORT"
	record "sink$1" "$(rate "$N" "$t0" "$t1")"
}

run_ceiling() {	# FILES-PER-SYNC
	fresh
	record "ceil$1" "$("$w/fsync_ceiling" "$d/c" "$SIZE" "$N" "$1")"
}

has_mode() { case " $MODES " in *" $1 "*) return 0 ;; esac; return 1; }

cc -O2 -o "$w/fsync_ceiling" "$top/tests/bench/fsync_ceiling.c"
awk -v n="$SUPPRESS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "k%d@bench.test,default,1764480000,550 5.1.1 user unknown\n", i
}' >"$w/suppress.csv"
SINK_PORT=$((PORT + 3))
if has_mode live && [ "$(id -u)" -ne 0 ]; then
	say "live runs: Postfix needs root: skipped"
	MODES=$(echo " $MODES " | sed 's/ live / /')
fi
sink_user=
[ "$(id -u)" -ne 0 ] || sink_user="-u nobody"
# shellcheck disable=SC2086	# no user, or -u and its user
"$sink_bin" $sink_user "127.0.0.1:$SINK_PORT" 1000 >/dev/null 2>&1 &
sink_pid=$!
smtp_up "$SINK_PORT"
pf_ok=0 pflive_ok=0
if has_mode accept && setup_postfix "$P" $((PORT + 1)) accept; then
	pf_ok=1
fi
if has_mode live && setup_postfix "$PL" $((PORT + 2)) live; then
	pflive_ok=1
fi
say "temp dir $w, $(nproc) CPUs"
# Every accept round before the first live one: a live run deletes what
# it delivers, and would slow the accept runs after it (see above).
run=1
while has_mode accept && [ $run -le "$RUNS" ]; do
	say "accept run $run/$RUNS"
	run_ceiling 64
	for s in $SESSIONS; do
		run_ceiling "$s"
		run_client "$s"
		run_mta "$s"
		[ -z "$BASE" ] || run_mta "$s" "$BASE" base
		[ $pf_ok -eq 0 ] || run_postfix "$s"
	done
	run=$((run + 1))
done
run=1
while has_mode live && [ $run -le "$RUNS" ]; do
	say "live run $run/$RUNS"
	for s in $SESSIONS; do
		run_mta_live "$s"
		[ $pflive_ok -eq 0 ] || run_postfix_live "$s"
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
		if (a == "n/a" || b == "n/a" || b == 0) { printf "%-52s n/a\n", l; exit }
		printf "%-52s %.2fx %s\n", l, a / b, (a / b >= g) ? "ok" : "LOW" }'
}

# reach SESSIONS - 5x b against the disk's rate for groups of SESSIONS
# files and the lock-step limit (why: the header)
reach() {
	awk -v s="$1" -v b="$(med "postfix$1")" -v c="$(med "ceil$1")" \
	    -v x="$(med "sink$1")" 'BEGIN {
		if (b == "n/a" || c == "n/a" || x == "n/a") exit
		printf "   5x b is %.0f; the disk takes %.0f in %d-file groups " \
		    "(c),\n   %.0f if each cycle is the client'"'"'s (x) plus one " \
		    "commit: 1/(1/x + 1/c)\n", 5 * b, c, s, 1 / (1 / x + 1 / c)
	}'
}

echo
echo "== SMTP submission, $SIZE-byte messages, messages/s accepted durably"
echo "   median of $RUNS runs (min-max), $N messages a run; $(uname -r), $(nproc) CPUs"
echo "   suppression store of mta-smtpd: $SUPPRESS addresses"
row() { printf '%-52s %s\n' "$1" "$(stats "$2")"; }
! has_mode accept || row "c) disk: 64 files per syncfs" ceil64
for s in $SESSIONS; do
	if has_mode accept; then
		row "c) disk: $s files per syncfs" "ceil$s"
		row "x) smtp-sink, stores nothing, $s sessions" "sink$s"
		row "a) mta-smtpd, $s sessions" "mta$s"
		row "   mta-smtpd CPU a message, us (user+sys)" "mtacpu$s"
		row "   mta-smtpd messages a commit (its group)" "mtagroup$s"
		if [ -n "$BASE" ]; then
			row "a0) BASE mta-smtpd, $s sessions" "base$s"
			row "   mta-smtpd CPU a message, us (user+sys)" \
			    "basecpu$s"
		fi
		row "b) postfix smtpd, $s sessions" "postfix$s"
	fi
	if has_mode live; then
		row "d) mta-smtpd + mta-queue, $s sessions" "mtalive$s"
		row "e) postfix smtpd + qmgr, $s sessions" "pflive$s"
	fi
done
echo
for s in $SESSIONS; do
	if has_mode accept; then
		ratio "a/b mta-smtpd / postfix, $s sessions (>= 5)" "mta$s" \
		    "postfix$s" 5
		reach "$s"
		ratio "a/c mta-smtpd / disk 64, $s sessions (>= 0.5)" "mta$s" \
		    ceil64 0.5
		ratio "a/c mta-smtpd / disk $s, $s sessions (>= 0.5)" "mta$s" \
		    "ceil$s" 0.5
	fi
	if has_mode live; then
		ratio "d/e delivering too, $s sessions (>= 5)" "mtalive$s" \
		    "pflive$s" 5
	fi
done
