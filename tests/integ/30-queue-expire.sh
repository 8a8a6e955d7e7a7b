#!/bin/sh
# 30-queue-expire: a recipient whose MX never answers expires at
# bounce-after (journaled "expired", the message completed), and so does
# one whose queue is paused; a paused queue opens no connection.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<domain hang.test>
	smtp-hosts [127.0.0.1]:25330
	bounce-after 3s
	smtp-greeting-timeout 60s
</domain>
<domain paused.test>
	smtp-hosts [127.0.0.1]:25331
	bounce-after 3s
	pause yes
</domain>
EOF2

start_mx 127.0.0.1:25330 --hang || exit 1
start_mx 127.0.0.1:25331 || exit 1
qstart || exit 1
inj 1 a@hang.test
inj 1 b@paused.test
wait_j expired 2 10 || fail "expired records: $(jcount expired)"
wait_queued 0 5 || fail "still queued: $(queued)"
eq "expired: rcpts" "$(jfield expired rcpt | sort | tr '\n' ' ')" \
    "a@hang.test b@paused.test "
eq "expired: dsn-status" "$(jfield expired dsn-status | sort -u)" 4.4.7
eq "expired: dsn-action" "$(jfield expired dsn-action | sort -u)" failed
for q in hang paused; do
	rec=$(cat "$QS"/log/* | grep "^expired .*rcpt=[ab]@$q.test")
	lq=$(echo "$rec" | tr ' ' '\n' | sed -n 's/^logged=//p')
	qd=$(echo "$rec" | tr ' ' '\n' | sed -n 's/^queued=//p')
	eq "expired $q: after bounce-after" \
	    "$(awk -v a="$qd" -v b="$lq" 'BEGIN { d = b - a
	    print (d >= 3 && d < 6) ? "yes" : d }')" yes
done
eq "hang.test: a connection" "$(mx_stat 25330 connections)" 1
eq "paused.test: no connection" "$(mx_stat 25331 connections)" 0
eq "nothing delivered but the DSNs" \
    "$(cat "$QS"/log/* | grep '^delivered ' | grep -vc 'rcpt=s@src.test')" 0
wait_until '[ "$(mx_stat $DSN_PORT messages)" = 2 ]' 10
eq "a DSN for each expired message" "$(mx_stat $DSN_PORT messages)" 2
eq "expired: DSN status 4.4.7" \
    "$(cat "$T"/dsn/* | grep -c '^Status: 4.4.7')" 2
qstop
eq "SIGTERM: exit" "$QRC" 0
finish
