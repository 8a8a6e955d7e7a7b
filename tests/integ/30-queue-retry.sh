#!/bin/sh
# 30-queue-retry: a 421 that matches a "retry-after 421 TEXT DELAY" rule
# of the domain defers the whole queue for DELAY, not for retry-after:
# nothing else of the queue is tried meanwhile, and the next try comes
# after DELAY; a plain 421 defers the queue for retry-after.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<domain rule.test>
	smtp-hosts [127.0.0.1]:25310
	max-smtp-out 1
	retry-after 1s
	retry-after 421 TS01 5s
</domain>
EOF2

start_mx 127.0.0.1:25310 --reply 'MAIL:421 4.7.0 [TS01] try again later' ||
    exit 1
mx1=$MX_PID
qstart || exit 1
inj 2 a@rule.test
wait_j deferred 1 || fail "no deferred record"
# the queue waits 5 s: the second message is not tried meanwhile
sleep 2
eq "421: connections while deferred" "$(mx_stat 25310 connections)" 1
eq "421: deferred records" "$(jcount deferred)" 1
eq "421: deferred code" "$(jfield deferred code)" 421
grep -q 'queue rule.test/{default}: deferred for 5s' "$QLOG" ||
    fail "421: no 'deferred for 5s' in the log"
kill "$mx1"
wait "$mx1" 2>/dev/null
start_mx 127.0.0.1:25310 || exit 1
wait_queued 0 || fail "421: still queued"
eq "421: delivered after" "$(jcount delivered)" 2
t0=$(jfield deferred logged | head -n 1)
t1=$(jfield delivered logged | head -n 1)
eq "421: waited the rule's 5 s" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a >= 4.9) ? "yes" : b - a }')" yes
qstop
eq "SIGTERM: exit" "$QRC" 0
finish
