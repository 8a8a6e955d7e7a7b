#!/bin/sh
# 31-queue-runit-crash: 10,000 messages delivered by mta-queue under
# runit (runsvdir) to an smtp-sink, while mta-queue and its mta-deliver
# workers are killed with SIGKILL again and again; runit starts
# mta-queue again, mta-queue starts its workers again.  Every message
# must arrive; duplicates (deliveries in flight at a kill) are counted
# and printed, and must stay below what the kills could have caused.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

N=${CRASH_N:-10000}
# Under ASan the programs are several times slower: fewer messages, the
# same kills.
[ -n "${SAN:-}" ] && N=${CRASH_N:-3000}
PORT=25810
MAXOUT=8
command -v runsvdir >/dev/null || { fail "runsvdir: not installed"; finish; exit; }

qinit <<EOF2
host-name mta.example.test
<domain crash.test>
	smtp-hosts [127.0.0.1]:$PORT
	max-smtp-out $MAXOUT
	max-msg-per-connection 200
	retry-after 1s
</domain>
EOF2

# The messages first, in one batch: mta-queue is not running yet.
i=0
while [ $i -lt "$N" ]; do
	printf 'MAIL FROM:<s@src.test>\nRCPT TO:<u%d@crash.test>\nDATA\nSubject: crash %d\n\nbody\n.\n' $i $i
	i=$((i + 1))
done >"$T/batch"
"$INJECT" -C "$QC" -b <"$T/batch" >"$T/ids" || fail "mta-inject -b"
eq "queued before the start" "$(queued)" "$N"

start_sink "127.0.0.1:$PORT" || { finish; exit; }

# A runit service for mta-queue, and runsvdir over it.
mkdir -p "$T/sv/mta-queue" "$T/service"
cat >"$T/sv/mta-queue/run" <<EOF2
#!/bin/sh
exec "$QUEUE" -C "$QC" -w 2 2>>"$QLOG"
EOF2
chmod 755 "$T/sv/mta-queue/run"
ln -s "$T/sv/mta-queue" "$T/service/mta-queue"
runsvdir -P "$T/service" >/dev/null 2>&1 &
RSVD=$!
on_exit="sv -w 15 down $T/service/mta-queue >/dev/null 2>&1; kill -HUP $RSVD 2>/dev/null; wait $RSVD 2>/dev/null; $on_exit"

# qpid: mta-queue's pid as runit sees it, or nothing
qpid() {
	sv status "$T/service/mta-queue" 2>/dev/null |
	    sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'
}
wait_until '[ -n "$(qpid)" ]' 10 || fail "runit did not start mta-queue"

# Kill something every 0.3-0.8 s while the sink fills: mta-queue or one
# of its workers, in turn; at most 12 kills, at most 120 s in all.
kills=0 wkills=0 t0=$(date +%s)
while [ $((kills + wkills)) -lt 12 ] && [ $(($(date +%s) - t0)) -lt 120 ] &&
    [ "$(sink_count "$PORT")" -lt $((N * 9 / 10)) ]; do
	sleep "0.$(awk 'BEGIN { srand(); printf "%d", 3 + rand() * 5 }')"
	p=$(qpid)
	[ -n "$p" ] || continue
	if [ $(((kills + wkills) % 2)) -eq 0 ]; then
		kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
	else
		w=$(pgrep -P "$p" | head -n 1)
		[ -n "$w" ] && kill -9 "$w" 2>/dev/null && wkills=$((wkills + 1))
	fi
done
wait_queued 0 120 || fail "still queued after the kills: $(queued)"

# Count at the sink: every recipient once or more.
got=$(cat "$SINK_DUMP"/* | sed -n 's/^X-Rcpt-Args: <\(.*\)>$/\1/p' |
    sort | uniq -c | awk '{ n++; d += $1 - 1 } END { print n + 0, d + 0 }')
uniq=${got% *} dups=${got#* }
echo "crash: $N messages, $kills mta-queue kills, $wkills mta-deliver kills," \
    "$(sink_count "$PORT") deliveries, $dups duplicates"
eq "every message arrived" "$uniq" "$N"
match "some kills of each kind" "$kills $wkills" "[1-9]* [1-9]*"
# In flight at a kill: at most MAXOUT sessions, one transaction each,
# plus what the journal had not synced yet (20 ms of outcomes).
eq "duplicates within what the kills allow" \
    "$([ "$dups" -le $(((kills + wkills) * (MAXOUT + 100))) ] && echo yes)" yes
eq "journal: every recipient delivered" \
    "$(jfield delivered rcpt | sort -u | wc -l | tr -d ' ')" "$N"
finish
