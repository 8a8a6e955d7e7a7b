#!/bin/sh
# 30-queue-throttle: the MX counts concurrent connections, messages per
# connection and message times, and never sees more than configured:
# max-smtp-out per queue, max-msg-per-connection, max-msg-rate, and
# max-smtp-out of a virtual MTA as the total of its queues.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<virtual-mta v1>
	max-smtp-out 1
</virtual-mta>
<domain conn.test>
	smtp-hosts [127.0.0.1]:25320
	max-smtp-out 2
	max-msg-per-connection 3
</domain>
<domain rate.test>
	smtp-hosts [127.0.0.1]:25321
	max-msg-rate 4/s
</domain>
<domain va.test>
	smtp-hosts [127.0.0.1]:25322
</domain>
<domain vb.test>
	smtp-hosts [127.0.0.1]:25322
</domain>
EOF2

start_mx 127.0.0.1:25320 --delay-data 0.3 || exit 1
start_mx 127.0.0.1:25321 || exit 1
start_mx 127.0.0.1:25322 --delay-data 0.3 || exit 1
qstart -w 4 || exit 1

inj 20 a@conn.test
inj 12 a@rate.test
inj 4 a@va.test -V v1
inj 4 a@vb.test -V v1
wait_queued 0 30 || fail "still queued: $(queued)"
eq "delivered" "$(jcount delivered)" 40

eq "max-smtp-out 2: most at once" "$(mx_stat 25320 max_concurrent)" 2
eq "max-msg-per-connection 3: most" "$(mx_stat 25320 max_per_connection)" 3
eq "max-msg-per-connection 3: connections" \
    "$(mx_stat 25320 'connections >= 7')" True
eq "conn.test: messages" "$(mx_stat 25320 messages)" 20

eq "max-msg-rate 4/s: messages" "$(mx_stat 25321 messages)" 12
# no window of one second holds more than 4 messages
# no window of one second holds more than 4 messages (5 span >= 1 s, less
# the jitter of the transactions' round trips)
span=$(mx_stat 25321 \
    '(lambda t: min(t[i + 4] - t[i] for i in range(len(t) - 4)))(sorted(message_times))')
eq "max-msg-rate 4/s: 5 messages span 1 s" \
    "$(awk -v s="$span" 'BEGIN { print (s >= 0.95) ? "yes" : s }')" yes

eq "vmta max-smtp-out 1: most at once" "$(mx_stat 25322 max_concurrent)" 1
eq "vmta: messages" "$(mx_stat 25322 messages)" 8
eq "vmta: queue names" "$(jfield delivered queue | grep v1 | sort -u |
    tr '\n' ' ')" "va.test/v1 vb.test/v1 "

qstop
eq "SIGTERM: exit" "$QRC" 0
finish
