#!/bin/sh
# 30-queue-crash: messages queued while mta-queue is down are delivered
# when it starts; mta-queue killed with SIGKILL in the middle of
# delivering, then started again, rebuilds its queues from the spool and
# the journal: every message arrives, and only deliveries in flight at
# the kill may repeat (counted and printed).
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<domain crash.test>
	smtp-hosts [127.0.0.1]:25340
	max-smtp-out 4
</domain>
EOF2

N=300
start_mx 127.0.0.1:25340 --delay-data 0.02 || exit 1
i=0
while [ $i -lt $N ]; do
	inj 1 "u$i@crash.test"
	i=$((i + 1))
done
eq "queued before the start" "$(queued)" $N
kills=0
for round in 1 2 3; do
	qstart || exit 1
	want=$((round * 60))
	wait_until '[ "$(mx_stat 25340 messages)" -ge '$want' ]' 20 ||
	    fail "round $round: not $want messages"
	qkill
	kills=$((kills + 1))
done
qstart || exit 1
wait_queued 0 60 || fail "still queued: $(queued)"
qstop
eq "SIGTERM: exit" "$QRC" 0
got=$(mx_stat 25340 'len(recipients)')
eq "every message arrived" "$got" $N
msgs=$(mx_stat 25340 messages)
dups=$((msgs - N))
echo "crash: $N messages, $kills kills, $msgs deliveries, $dups duplicates"
# In flight at a kill: 4 sessions, one transaction each, and the
# outcomes not yet synced to the journal (20 ms; the MX takes 20 ms a
# message, so at most one more a session): 8 a kill.
eq "duplicates only for deliveries in flight" \
    "$([ $dups -le $((kills * 8)) ] && echo yes)" yes
eq "journal: every recipient delivered" \
    "$(jfield delivered id | sort -u | wc -l | tr -d ' ')" $N
finish
