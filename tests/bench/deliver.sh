#!/bin/sh
# deliver.sh - delivery rate of mta-queue against Postfix and against the
# SMTP ceiling, and mta-queue's memory per queued message and rebuild time.
#
#   sh tests/bench/deliver.sh       (make bench runs it; root for Postfix)
#   N=5000 PF_N=2000 REBUILD_N=20000 RUNS=1 sh tests/bench/deliver.sh
#
# Never run by make check.  One smtp-sink on loopback, started once, takes
# every message of every run (-c: its running counters on stdout, one line
# a message, the cheapest reliable count; -d or -D would write every
# message to disk).  In one run, rounds interleaved so that a noisy
# machine hurts all alike, 1 KB messages (whole message, headers
# included, the same bytes everywhere):
#   a) mta: N messages injected by mta-inject -b (STREAMS processes) into
#      a fresh spool while mta-queue is down; then mta-queue starts, with
#      <domain *> routed to the sink by smtp-hosts.  Timed from its start
#      until the sink has counted N more messages and the spool's new/
#      and queue/ are empty.  Peak RSS (VmHWM) of mta-queue and of its
#      mta-deliver workers, read just before SIGTERM.
#   b) Postfix: PF_N messages sent by smtp-source into a throwaway
#      Postfix instance's smtpd while its master.cf has no qmgr (they
#      stop in incoming/); then qmgr and smtp are added, postfix reload,
#      and timed until the sink has counted PF_N more messages and the
#      queue is empty.  relayhost is the sink; smtp concurrency SESSIONS,
#      as mta-queue's max-smtp-out; Postfix's defaults otherwise.
#   b2) right after each b) (PARTS has postfix-e2e, the default): with
#      qmgr and smtp still running, smtp-source sends PF_N more over 10
#      sessions into the same smtpd, timed from the first connection
#      until the sink has counted them and the queue is empty: Postfix
#      end to end, how the issue's reference figure (about 640 msg/s)
#      was taken.
#   c) the SMTP ceiling: smtp-source, SRC_SESSIONS sessions each reusing
#      its connection, SRC_N messages straight into the sink.
#   d) memory and rebuild: REBUILD_N messages injected (as in a) to a
#      domain routed to a closed loopback port, retry-after 1h.  mta-queue
#      starts once and takes them from new/ into queue/ (the intake rate
#      is shown too), stops; an mta-queue on an empty spool gives the
#      base RSS; then mta-queue restarts on the full spool, timed until it
#      logs "loaded M messages" (its scan of queue/), and its RSS a second
#      later, minus the base, over M is the memory per queued message.
#      The rebuild time is scaled linearly to 1,000,000 messages when
#      REBUILD_N is smaller.  The page cache is warm (as after a crash and
#      restart); DROP_CACHES=1 drops it first (whole machine).
#   a0) with BASE= (an older mta-queue binary, its mta-deliver next to it
#      or in ../mta-deliver/): the same as a) with that pair, next to
#      each a) (after it in odd runs, before it in even ones), for a
#      before/after on a noisy machine.
# Prints the median of RUNS runs with their range, then the ratios against
# the goals (mta >= 8x Postfix; < 300 bytes a queued message; a rebuild of
# 1,000,000 in < 30 s).  Exits non-zero only when something failed to run,
# not when a goal is missed.  Without root the Postfix rows say n/a.
# Knobs:
RUNS=${RUNS:-3}
N=${N:-100000}			# a) messages per run
PF_N=${PF_N:-20000}		# b) messages per run (filling Postfix is slow)
SRC_N=${SRC_N:-$N}		# c) messages per run
REBUILD_N=${REBUILD_N:-200000}	# d) messages in the spool (goal: 1000000)
SIZE=${SIZE:-1024}		# bytes a message, headers included
SESSIONS=${SESSIONS:-20}	# a) max-smtp-out, b) smtp concurrency (its default)
PER_CONN=${PER_CONN:-1000}	# a) max-msg-per-connection
WORKERS=${WORKERS:-}		# a) mta-queue -w (empty: its default, one per two CPUs)
SRC_SESSIONS=${SRC_SESSIONS:-10}	# c) smtp-source -s
STREAMS=${STREAMS:-2}		# mta-inject -b processes filling a spool
PORT=${PORT:-25470}		# the sink; PORT+1 Postfix's smtpd; PORT+2 closed
RUN_LIMIT=${RUN_LIMIT:-900}	# seconds at most for one timed run or fill
PARTS=${PARTS:-"mta postfix postfix-e2e source rebuild"}
BASE=${BASE:-}			# another mta-queue binary: before/after rows a0)
RTT_MS=${RTT_MS:-0}		# a) through a relay adding this round trip (PORT+3)
DROP_CACHES=${DROP_CACHES:-0}
KEEP=${KEEP:-0}			# 1: keep the temp dir (logs, spools)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
inject=$top/cmd/mta-inject/mta-inject
ctl=$top/cmd/mta-ctl/mta-ctl
queue=$top/cmd/mta-queue/mta-queue
deliver=$top/cmd/mta-deliver/mta-deliver
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
need="$inject $ctl"
if has mta || has rebuild; then need="$need $queue $deliver"; fi
base_deliver=
if [ -n "$BASE" ]; then
	base_deliver=$(dirname "$BASE")/mta-deliver
	[ -x "$base_deliver" ] ||
	    base_deliver=$(dirname "$BASE")/../mta-deliver/mta-deliver
	need="$need $BASE $base_deliver"
fi
for p in $need; do
	[ -x "$p" ] || { echo "deliver.sh: no $p: run make first" >&2; exit 1; }
done

# Postfix's test tools: the system's, else the ones extracted in the tree.
pftools=$top/tests/bench/postfix
if command -v smtp-sink >/dev/null 2>&1; then
	sink_bin=$(command -v smtp-sink) source_bin=$(command -v smtp-source)
elif [ -x "$pftools/usr/sbin/smtp-sink" ]; then
	export LD_LIBRARY_PATH="$pftools/usr/lib/postfix"
	sink_bin=$pftools/usr/sbin/smtp-sink
	source_bin=$pftools/usr/sbin/smtp-source
else
	echo "deliver.sh: no smtp-sink (apt-get install postfix)" >&2; exit 1
fi

PF_PORT=$((PORT + 1)) CLOSED_PORT=$((PORT + 2))
for p in $PORT $PF_PORT $CLOSED_PORT; do
	if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
		echo "deliver.sh: port $p is in use: set PORT" >&2; exit 1
	fi
done

# The temp dir: on the file system of the tree.
base=${TMPDIR:-/tmp}
if [ "$(stat -c %d "$base")" != "$(stat -c %d "$top")" ]; then
	base=$top/tests/bench
fi
w=$(mktemp -d "$base/mta-bench.XXXXXX")
chmod 755 "$w"		# Postfix's daemons run as user postfix
P=$w/postfix
pf_master= sink_pid= qpid= relay_pid=
cleanup() {
	[ -z "$qpid" ] || stop_queue || true
	[ -z "$relay_pid" ] || kill "$relay_pid" 2>/dev/null || true
	if [ -n "$pf_master" ]; then
		postfix -c "$P/etc" stop >/dev/null 2>&1 || true
		i=0
		while kill -0 "$pf_master" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.2; i=$((i + 1))
		done
		kill "$pf_master" 2>/dev/null || true
	fi
	[ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then say "kept $w"; else rm -rf "$w"; fi
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

start=$(date +%s)
now() { date +%s%N; }
say() { printf '%s\n' "$*" >&2; }
# rate N T0 T1 - messages per second
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / ((b - a) / 1e9) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
record() { echo "$1 $2" >>"$w/results"; }
failed=
failure() { say "FAILED: $*"; failed="$failed $1"; }

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

# gen_bsmtp MSG N FIRST - N messages of batch SMTP on stdout, recipients
# numbered from FIRST
gen_bsmtp() {
	awk -v msg="$1" -v n="$2" -v first="$3" 'BEGIN {
		while ((getline l <msg) > 0)
			body = body l "\n"
		for (i = first; i < first + n; i++)
			printf "MAIL FROM:<a@example.test>\nRCPT TO:<b%d@example.test>\nDATA\n%s.\n", i, body
		print "QUIT"
	}'
}

bw=$w/benchwait
cc -O2 -o "$bw" "$top/tests/bench/deliver/benchwait.c"
msg=$w/msg
gen_msg "$SIZE" "$msg"
[ "$(wc -c <"$msg")" -eq "$SIZE" ] || { say "bad size"; exit 1; }

# --- the sink ------------------------------------------------------------

# One sink for everything; -c writes "sess=N quit=N mesg=N\r" whenever a
# message ends (and a session), so the last record is the count so far.
"$sink_bin" -u nobody -c "127.0.0.1:$PORT" 1000 >"$w/sink.out" \
    2>"$w/sink.err" &
sink_pid=$!
i=0
until ss -Hltn "sport = :$PORT" | grep -q . || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -0 "$sink_pid" 2>/dev/null || { say "smtp-sink did not start"; exit 1; }

# With RTT_MS, a) and a0) reach the sink through latency.py on PORT+3:
# a long path's round trip, which no loopback run otherwise shows.
MTA_PORT=$PORT
if [ "$RTT_MS" != 0 ]; then
	MTA_PORT=$((PORT + 3))
	python3 -u "$top/tests/bench/deliver/latency.py" "$MTA_PORT" "$PORT" \
	    "$(awk -v r="$RTT_MS" 'BEGIN { print r / 2 }')" >"$w/relay.out" \
	    2>&1 &
	relay_pid=$!
	i=0
	until grep -q listening "$w/relay.out" || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q listening "$w/relay.out" || { say "latency.py did not start"; exit 1; }
fi

sunk() {
	tail -c 200 "$w/sink.out" | tr '\r' '\n' |
	    sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo 0
}

# wait_sunk COUNT PID - until the sink has counted COUNT, at most
# RUN_LIMIT s and while PID lives: $first (when the count first moved)
# and $sunk_at, in ns
wait_sunk() {
	if ! out=$("$bw" count "$RUN_LIMIT" "$2" "$w/sink.out" "$1"); then
		say "the sink counted $(($(sunk) - before)) of $(($1 - before))" \
		    "in $RUN_LIMIT s"
		return 1
	fi
	set -- $out
	first=$1 sunk_at=$2
}

# wait_empty PID DIR... - until no DIR (or subfolder) holds a file: $t1
wait_empty() {
	if ! t1=$("$bw" empty "$RUN_LIMIT" "$@"); then
		say "files left in $2 after $RUN_LIMIT s"
		return 1
	fi
}

# wait_log STRING LOG - until a line of LOG holds STRING, while mta-queue
# lives: $t1
wait_log() {
	if ! out=$("$bw" line "$RUN_LIMIT" "$qpid" "$2" "$1"); then
		say "mta-queue: no \"$1\" in its log"; tail -n 20 "$2" >&2
		return 1
	fi
	t1=${out%% *}
}

# --- mta -----------------------------------------------------------------

nrun=0
prev=
fresh() {
	nrun=$((nrun + 1))
	d=$w/run.$nrun
	[ -z "$prev" ] || [ "$KEEP" = 1 ] || rm -rf "$prev"
	prev=$d
	mkdir "$d"
}

# mta_conf SPOOL ROUTE [EXTRA] - the config used by a) and d), on stdout
mta_conf() {
	cat <<EOF
host-name bench.mta.test
postmaster postmaster@bench.mta.test
spool $1

<domain *>
	smtp-hosts $2
	max-smtp-out $SESSIONS
	max-msg-per-connection $PER_CONN
	retry-after 1h
	use-starttls no
${3:-}</domain>
EOF
}

# fill_spool N DIR - N messages into $spool/new/ by mta-inject -b, STREAMS
# processes in parallel; their output in DIR
fill_spool() {
	k=0 per=$(($1 / STREAMS)) pids=
	while [ $k -lt "$STREAMS" ]; do
		n=$per
		[ $k -ne 0 ] || n=$(($1 - per * (STREAMS - 1)))
		gen_bsmtp "$msg" "$n" $((k * per)) |
		    "$inject" -C "$conf" -b >"$2/qids.$k" 2>"$2/inject.$k" &
		pids="$pids $!"
		k=$((k + 1))
	done
	for p in $pids; do
		wait "$p" || true
	done
	ids=$(cat "$2"/qids.* | grep -cv '^error' || true)
	got=$(find "$spool/new" -type f | wc -l)
	if [ "$got" -ne "$1" ] || [ "$ids" -ne "$1" ]; then
		say "mta-inject -b: $got in new/, $ids ids, $1 sent"
		cat "$2"/inject.* >&2
		return 1
	fi
	sync
}

# start_queue LOG [QUEUE DELIVER] - mta-queue -C $conf in the background
# (or the QUEUE binary, its workers DELIVER): $qpid
start_queue() {
	: >"$1"
	MTA_DELIVER=${3:-$deliver} "${2:-$queue}" -C "$conf" \
	    ${WORKERS:+-w "$WORKERS"} 2>"$1" &
	qpid=$!
}

# stop_queue - SIGTERM, and wait (bounded) until it is gone; its workers
# follow it (they read end-of-file on their pipe)
stop_queue() {
	kill -TERM "$qpid" 2>/dev/null || true
	i=0
	while kill -0 "$qpid" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if kill -0 "$qpid" 2>/dev/null; then
		say "mta-queue $qpid: still running 30 s after SIGTERM: killed"
		kill -9 "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
		qpid=
		return 1
	fi
	wait "$qpid" 2>/dev/null || true
	qpid=
}

# kb FIELD PID - a VmXXX figure of /proc/PID/status in kB
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status" 2>/dev/null || true; }

# ticks PID... - CPU time (user + system, every thread) of the processes
# in clock ticks; the comm field may hold blanks, so count from its ")"
ticks() {
	for p in "$@"; do
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ t += $12 + $13 } END { print t + 0 }'
}

# per_msg TICKS N - microseconds of CPU a message
per_msg() { echo $(($1 * 1000000 / $(getconf CLK_TCK) / $2)); }

# run_mta [KEY QUEUE DELIVER] - a) (or a0) with BASE's binaries: KEY base)
run_mta() {
	key=${1:-mta}
	fresh
	spool=$d/spool conf=$d/mta.conf
	mta_conf "$spool" "[127.0.0.1]:$MTA_PORT" >"$conf"
	"$ctl" -C "$conf" spool init >/dev/null || return 1
	fill_spool "$N" "$d" || return 1
	before=$(sunk)
	sink0=$(ticks "$sink_pid")
	t0=$(now)
	start_queue "$d/queue.log" ${2:+"$2" "$3"}
	if ! wait_sunk $((before + N)) "$qpid" ||
	    ! wait_empty "$qpid" "$spool/new" "$spool/queue"; then
		tail -n 20 "$d/queue.log" >&2
		stop_queue
		return 1
	fi
	record $key "$(rate "$N" "$t0" "$t1")"
	record ${key}_first "$(secs "$t0" "$first")"
	record ${key}_flow "$(rate "$N" "$first" "$t1")"
	record ${key}_tail "$(secs "$sunk_at" "$t1")"
	# peak RSS: mta-queue and the largest of its workers
	record ${key}_hwm "$(kb VmHWM "$qpid")"
	wmax=0 nw=0
	for p in $(pgrep -P "$qpid"); do
		h=$(kb VmHWM "$p")
		[ -n "$h" ] || continue
		nw=$((nw + 1))
		[ "$h" -le "$wmax" ] || wmax=$h
	done
	record ${key}_whwm "$wmax"
	record ${key}_nw "$nw"
	# CPU a message: the system is CPU-bound, so this is the figure a
	# change moves when the noisy wall-clock rate hides it
	record ${key}_cpu "$(per_msg "$(ticks "$qpid")" "$N")"
	record ${key}_wcpu "$(per_msg "$(ticks $(pgrep -P "$qpid"))" "$N")"
	record ${key}_scpu "$(per_msg $(($(ticks "$sink_pid") - sink0)) "$N")"
	stop_queue || return 1
	got=$(($(sunk) - before))
	[ "$got" -eq "$N" ] || say "mta: the sink got $got messages for $N"
	record ${key}_extra $((got - N))
}

# --- d) memory and rebuild -----------------------------------------------

run_rebuild() {
	fresh
	# the base: mta-queue on an empty spool, with the same config
	spool=$d/empty conf=$d/empty.conf
	mta_conf "$spool" "[127.0.0.1]:$CLOSED_PORT" >"$conf"
	"$ctl" -C "$conf" spool init >/dev/null || return 1
	start_queue "$d/empty.log"
	wait_log 'started:' "$d/empty.log" || { stop_queue; return 1; }
	sleep 1
	rss0=$(kb VmRSS "$qpid")
	stop_queue || return 1

	# the full spool: made in the first round, used by every round
	spool=$w/rebuild/spool conf=$w/rebuild/mta.conf
	[ -d "$spool" ] || fill_rebuild || return 1
	sync
	if [ "$DROP_CACHES" = 1 ]; then
		echo 3 >/proc/sys/vm/drop_caches
	fi

	# the restart: timed until the scan of queue/ is done
	t0=$(now)
	start_queue "$d/rebuild.log"
	wait_log 'info: loaded ' "$d/rebuild.log" || { stop_queue; return 1; }
	loaded=$(sed -n 's/.*loaded \([0-9]*\) messages.*/\1/p' \
	    "$d/rebuild.log" | head -n 1)
	sleep 1
	rss=$(kb VmRSS "$qpid")
	if "$ctl" -C "$conf" status --json >"$d/status.json" 2>/dev/null; then
		say "mta-ctl status: $(tr -d '\n' <"$d/status.json" | cut -c1-300)"
	fi
	stop_queue || return 1
	[ "$loaded" = "$REBUILD_N" ] ||
	    { say "rebuild: loaded $loaded of $REBUILD_N"; return 1; }
	inq=$(find "$spool/queue" -type f | wc -l)
	[ "$inq" -eq "$REBUILD_N" ] ||
	    { say "rebuild: $inq left in queue/ of $REBUILD_N"; return 1; }
	record rebuild "$(secs "$t0" "$t1")"
	record rebuild_rate "$(rate "$REBUILD_N" "$t0" "$t1")"
	record rebuild_1m "$(awk -v s="$(secs "$t0" "$t1")" -v n="$REBUILD_N" \
	    'BEGIN { printf "%.2f", s * 1000000 / n }')"
	record rss0 "$rss0"
	record rss "$rss"
	record bpm "$(awk -v a="$rss" -v b="$rss0" -v n="$REBUILD_N" \
	    'BEGIN { printf "%.1f", (a - b) * 1024 / n }')"
}

# fill_rebuild - REBUILD_N messages into queue/ of a new spool: injected
# into new/, then taken into queue/ by mta-queue (the intake rate)
fill_rebuild() {
	mkdir -p "$w/rebuild"
	mta_conf "$spool" "[127.0.0.1]:$CLOSED_PORT" >"$conf"
	"$ctl" -C "$conf" spool init >/dev/null || return 1
	fill_spool "$REBUILD_N" "$w/rebuild" || return 1
	t0=$(now)
	start_queue "$w/rebuild/intake.log"
	if ! wait_empty "$qpid" "$spool/new"; then
		tail -n 20 "$w/rebuild/intake.log" >&2; stop_queue; return 1
	fi
	record intake "$(rate "$REBUILD_N" "$t0" "$t1")"
	stop_queue || return 1
	inq=$(find "$spool/queue" -type f | wc -l)
	if [ "$inq" -ne "$REBUILD_N" ]; then
		say "rebuild: $inq in queue/, $REBUILD_N injected"
		rm -rf "$spool"
		return 1
	fi
}

# --- Postfix -------------------------------------------------------------

setup_postfix() {
	if ! command -v postfix >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			say "postfix: not installed and not root: skipped"
			return 2
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
		return 2
	fi
	cmddir=$(postconf -dh command_directory)
	mkdir -p "$P/etc" "$P/bin" "$P/queue" "$P/data"
	chown postfix "$P/data"
	for f in "$cmddir"/post* "$cmddir/sendmail"; do
		ln -s "$f" "$P/bin/"
	done
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
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
relayhost = [127.0.0.1]:$PORT
default_transport = smtp
smtp_destination_concurrency_limit = $SESSIONS
in_flow_delay = 0
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
EOF
	pf_master_cf fill
	if ! postfix -c "$P/etc" start >/dev/null 2>&1; then
		say "postfix: start failed: skipped"; cat "$P/maillog" >&2
		return 1
	fi
	pf_master=$(tr -d ' ' <"$P/queue/pid/master.pid")
	i=0
	until ss -Hltn "sport = :$PF_PORT" | grep -q . || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	say "postfix: $(postconf -dh mail_version) in $P (master pid $pf_master)"
}

# pf_master_cf fill|deliver - no qmgr while filling: messages stop in
# incoming/; no chroot
pf_master_cf() {
	cat >"$P/etc/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n -     n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if [ "$1" = deliver ]; then
		cat >>"$P/etc/master.cf" <<EOF
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
EOF
	fi
}

run_postfix() {
	sync
	# fill: smtp-source into smtpd, until PF_N complete files (mode
	# u+x) are in incoming/
	"$source_bin" -s 10 -d -m "$PF_N" -F "$msg" -f a@example.test \
	    -t b@example.test "127.0.0.1:$PF_PORT" >"$w/pf_fill.out" 2>&1 || {
		say "postfix: smtp-source into smtpd failed"
		cat "$w/pf_fill.out" >&2; return 1
	}
	deadline=$(($(date +%s) + RUN_LIMIT))
	until [ "$(find "$P/queue/incoming" -type f -perm -u+x | wc -l)" \
	    -eq "$PF_N" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || {
			say "postfix: $PF_N sent, not all in incoming/"
			return 1
		}
		sleep 0.2
	done
	sync
	# deliver: qmgr and smtp in, reload, until all at the sink
	before=$(sunk)
	pf_master_cf deliver
	t0=$(now)
	postfix -c "$P/etc" reload >/dev/null 2>&1 ||
	    { say "postfix: reload failed"; return 1; }
	if ! wait_sunk $((before + PF_N)) "$pf_master" ||
	    ! wait_empty "$pf_master" "$P/queue/incoming" "$P/queue/active" \
	    "$P/queue/deferred" "$P/queue/maildrop"; then
		tail -n 5 "$P/maillog" >&2
		return 1
	fi
	record pf_first "$(secs "$t0" "$first")"
	record pf_flow "$(rate "$PF_N" "$first" "$t1")"
	record postfix "$(rate "$PF_N" "$t0" "$t1")"
	got=$(($(sunk) - before))
	[ "$got" -eq "$PF_N" ] || say "postfix: the sink got $got for $PF_N"
	if has postfix-e2e; then
		run_postfix_e2e || return 1
	fi
	pf_master_cf fill
	postfix -c "$P/etc" reload >/dev/null 2>&1 ||
	    { say "postfix: reload failed"; return 1; }
	# the next fill must not find qmgr still running
	i=0
	while pgrep -P "$pf_master" -x qmgr >/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# b2) Postfix end to end, as the issue's reference figure was taken:
# smtp-source into smtpd while qmgr and smtp relay to the sink, timed
# until the sink has every message and the queue is empty
run_postfix_e2e() {
	before=$(sunk)
	t0=$(now)
	"$source_bin" -s 10 -d -m "$PF_N" -F "$msg" -f a@example.test \
	    -t b@example.test "127.0.0.1:$PF_PORT" >"$w/pf_e2e.out" 2>&1 || {
		say "postfix: smtp-source end to end failed"
		cat "$w/pf_e2e.out" >&2; return 1
	}
	if ! wait_sunk $((before + PF_N)) "$pf_master" ||
	    ! wait_empty "$pf_master" "$P/queue/incoming" "$P/queue/active" \
	    "$P/queue/deferred" "$P/queue/maildrop"; then
		tail -n 5 "$P/maillog" >&2
		return 1
	fi
	record pf_e2e "$(rate "$PF_N" "$t0" "$t1")"
}

# --- c) the SMTP ceiling -------------------------------------------------

run_source() {
	before=$(sunk)
	t0=$(now)
	"$source_bin" -s "$SRC_SESSIONS" -d -m "$SRC_N" -F "$msg" \
	    -f a@example.test -t b@example.test "127.0.0.1:$PORT" \
	    >"$w/source.out" 2>&1 || {
		say "smtp-source failed"; cat "$w/source.out" >&2; return 1
	}
	wait_sunk $((before + SRC_N)) 0 || return 1
	t1=$sunk_at
	record source "$(rate "$SRC_N" "$t0" "$t1")"
}

# --- the runs ------------------------------------------------------------

pf_ok=0
if has postfix; then
	# 2: not root, skipped (n/a); 1: failed
	setup_postfix && pf_ok=1 || [ $? -eq 2 ] || failed="$failed postfix-setup"
fi
say "temp dir $w, $(nproc) CPUs, sink pid $sink_pid on port $PORT"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

run=1
while [ $run -le "$RUNS" ]; do
	for part in $PARTS; do
		say "run $run/$RUNS: $part ($(($(date +%s) - start)) s)"
		case $part in
		mta)	# with BASE, which goes first alternates
			[ -z "$BASE" ] || [ $((run % 2)) -eq 1 ] ||
			    run_mta base "$BASE" "$base_deliver" ||
			    failure base
			run_mta || failure mta
			[ -z "$BASE" ] || [ $((run % 2)) -eq 0 ] ||
			    run_mta base "$BASE" "$base_deliver" ||
			    failure base ;;
		postfix)
			[ $pf_ok -eq 0 ] || run_postfix || failure postfix ;;
		postfix-e2e)	;;	# by run_postfix, once its queue is empty
		source)	run_source || failure source ;;
		rebuild) run_rebuild || failure rebuild ;;
		*)	say "unknown part $part"; exit 1 ;;
		esac
	done
	run=$((run + 1))
done
[ -z "$prev" ] || [ "$KEEP" = 1 ] || rm -rf "$prev"

# --- the table -----------------------------------------------------------

# stats KEY [SCALE [DECIMALS]] - "median min-max" of the runs recorded
# for KEY, each divided by SCALE
stats() {
	awk -v k="$1" -v s="${2:-1}" '$1 == k { print $2 / s }' \
	    "$w/results" 2>/dev/null | sort -n | awk -v dec="${3:-0}" '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			f = "%." dec "f"
			printf f " (" f "-" f ")\n", m, a[1], a[NR]
		}'
}
med() { stats "$1" | cut -d' ' -f1; }
row() {		# LABEL KEY [SCALE [DECIMALS]]
	printf '%-52s %s\n' "$1" "$(stats "$2" "${3:-1}" "${4:-0}")"
}

# ratio LABEL A B GOAL - A / B against GOAL (A over B >= GOAL)
ratio() {
	printf '%-52s %s\n' "$1" "$(awk -v a="$2" -v b="$3" -v g="$4" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) { print "n/a"; exit }
		printf "%.2fx %s", a / b, g == 0 ? "" : ((a / b >= g) ? "ok" : "LOW") }')"
}
# below LABEL VALUE LIMIT UNIT - VALUE against an upper bound
below() {
	printf '%-52s %s\n' "$1" "$(awk -v v="$2" -v l="$3" -v u="$4" 'BEGIN {
		if (v == "n/a") { print "n/a"; exit }
		printf "%s %s (goal < %s %s)", v, (v < l ? "ok" : "HIGH"), l, u }')"
}

scaled=
[ "$REBUILD_N" -ge 1000000 ] || scaled=", scaled linearly from $REBUILD_N"
echo
echo "== delivery to smtp-sink on loopback, 1 KB messages: median of $RUNS runs (min-max)"
echo "   $(uname -r), $(nproc) CPUs, $(findmnt -no SOURCE,FSTYPE -T "$w" 2>/dev/null || true); $(($(date +%s) - start)) s"
echo "   load average: $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
row "a) mta-queue -> smtp-sink, msg/s (N=$N)" mta
row "   start to first message at the sink, s" mta_first 1 2
row "   first message to the last, msg/s" mta_flow
row "   last message at the sink to an empty spool, s" mta_tail 1 2
row "   mta-queue peak RSS (VmHWM), MB" mta_hwm 1024 1
row "   mta-deliver peak RSS, largest worker, MB" mta_whwm 1024 1
row "   mta-deliver workers" mta_nw
row "   mta-queue CPU a message, us (user+sys)" mta_cpu
row "   mta-deliver CPU a message, us (all workers)" mta_wcpu
row "   smtp-sink CPU a message, us" mta_scpu
row "   messages the sink got beyond N (duplicates)" mta_extra
if [ -n "$BASE" ]; then
	row "a0) BASE mta-queue -> smtp-sink, msg/s" base
	row "   first message to the last, msg/s" base_flow
	row "   last message at the sink to an empty spool, s" base_tail 1 2
	row "   messages the sink got beyond N (duplicates)" base_extra
	row "   mta-queue CPU a message, us (user+sys)" base_cpu
	row "   mta-deliver CPU a message, us (all workers)" base_wcpu
	row "   smtp-sink CPU a message, us" base_scpu
fi
row "b) Postfix qmgr+smtp -> smtp-sink, msg/s (PF_N=$PF_N)" postfix
row "   reload to first message at the sink, s" pf_first 1 2
row "   first message to the last, msg/s" pf_flow
row "b2) Postfix end to end, smtpd+qmgr+smtp, msg/s" pf_e2e
row "c) smtp-source -> smtp-sink (ceiling), msg/s" source
row "d) mta-queue intake new/ -> queue/, msg/s" intake
row "   rebuild from queue/ (restart), s (M=$REBUILD_N)" rebuild 1 2
row "   rebuild, msg/s" rebuild_rate
row "   mta-queue RSS, empty spool, MB" rss0 1024 1
row "   mta-queue RSS, M messages loaded, MB" rss 1024 1
row "   bytes per queued message" bpm 1 1
echo
echo "ratios of the medians (goal)"
ratio "a/b mta-queue / Postfix (>= 8)" "$(med mta)" "$(med postfix)" 8
ratio "a/b2 mta-queue / Postfix end to end (>= 8)" "$(med mta)" \
    "$(med pf_e2e)" 8
[ -z "$BASE" ] || ratio "a/a0 mta-queue / BASE" "$(med mta)" "$(med base)" 0
ratio "a/c mta-queue / SMTP ceiling" "$(med mta)" "$(med source)" 0
ratio "b/c Postfix / SMTP ceiling" "$(med postfix)" "$(med source)" 0
below "d) bytes per queued message" "$(med bpm)" 300 bytes
below "d) rebuild of 1,000,000 messages, s$scaled" \
    "$(stats rebuild_1m 1 1 | cut -d' ' -f1)" 30 s
echo
echo "mta: <domain *> smtp-hosts [127.0.0.1]:PORT, max-smtp-out $SESSIONS,"
echo "max-msg-per-connection $PER_CONN, mta-queue -w ${WORKERS:-(its default, one per two CPUs)}; spool filled by"
echo "$STREAMS mta-inject -b.  Postfix $PF_N a run (filled through its smtpd"
echo "with qmgr off), smtp_destination_concurrency_limit $SESSIONS, other limits"
echo "its defaults.  smtp-source: $SRC_SESSIONS sessions reusing connections."
echo "Rates count from the start of mta-queue (the reload of Postfix) until"
echo "the sink has every message and the spool is empty."
[ "$RTT_MS" = 0 ] ||
    echo "a) and a0) through latency.py: a round trip of $RTT_MS ms added."
if [ -n "$failed" ]; then
	echo "FAILED to run:$failed"
	exit 1
fi
