#!/bin/sh
# 30-queue-backoff: a reply matching a "reply /re/ mode=backoff" rule of
# the queue's <smtp-pattern-list> puts the queue in backoff mode, where
# backoff-max-smtp-out and backoff-retry-after apply (one session: the
# MX sees the retried messages one after another); after
# backoff-to-normal-after the queue is back to normal.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<smtp-pattern-list slow>
	reply /greylisted/ mode=backoff
</smtp-pattern-list>
<domain bo.test>
	smtp-hosts [127.0.0.1]:25350
	smtp-pattern-list slow
	max-smtp-out 10
	retry-after 30s
	backoff-max-smtp-out 1
	backoff-retry-after 1s
	backoff-to-normal-after 3s
</domain>
EOF2

start_mx 127.0.0.1:25350 --defer-first 1 --delay-data 0.3 || exit 1
qstart || exit 1
for i in 1 2 3 4 5 6; do
	inj 1 "u$i@bo.test"
done
wait_j delivered 6 20 || fail "delivered: $(jcount delivered)"
eq "deferred once each" "$(jcount deferred)" 6
grep -q 'queue bo.test/{default}: backoff mode' "$QLOG" ||
    fail "no 'backoff mode' in the log"
# retried after backoff-retry-after (1 s), not retry-after (30 s), one
# session at a time: every message 0.3 s after the one before
gap=$(mx_stat 25350 \
    '(lambda t: min(t[i + 1] - t[i] for i in range(len(t) - 1)))(sorted(message_times))')
eq "backoff-max-smtp-out 1: one at a time" \
    "$(awk -v g="$gap" 'BEGIN { print (g >= 0.28) ? "yes" : g }')" yes
sleep 3
inj 1 u7@bo.test
wait_j delivered 7 20 || fail "u7 not delivered"
grep -q 'queue bo.test/{default}: back to normal mode' "$QLOG" ||
    fail "no 'back to normal mode' in the log"
qstop
eq "SIGTERM: exit" "$QRC" 0
finish
