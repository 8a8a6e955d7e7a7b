#!/bin/sh
# 32-queue-dns: the whole path with DNS: mta-queue and mta-deliver find
# the MX hosts through dnsmasq (the config's name-server), try them in
# preference order and fall back when the first refuses (no listener; a
# 554 greeting), fail null-MX and non-existent domains at once with the
# right status, and bind each virtual MTA's source address (127.0.0.2,
# 127.0.0.3) as the MX sees it.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

DNS=25820
P=25821

qinit <<EOF2
# src.test: its MX comes from DNS, the DSNs go there too
host-name mta.example.test
name-server 127.0.0.1:$DNS
dns-timeout 5s
<virtual-mta v2>
	smtp-source-host 127.0.0.2 v2.mta.example.test
</virtual-mta>
<virtual-mta v3>
	smtp-source-host 127.0.0.3 v3.mta.example.test
</virtual-mta>
<domain *>
	default-smtp-port $P
	retry-after 1s
</domain>
EOF2

start_dnsmasq $DNS --local=/test/ \
    --mx-host=multi.test,mx1.multi.test,10 \
    --mx-host=multi.test,mx2.multi.test,20 \
    --host-record=mx1.multi.test,127.0.0.4 \
    --host-record=mx2.multi.test,127.0.0.5 \
    --mx-host=greet.test,mx1.greet.test,10 \
    --mx-host=greet.test,mx2.greet.test,20 \
    --host-record=mx1.greet.test,127.0.0.6 \
    --host-record=mx2.greet.test,127.0.0.7 \
    --mx-host=src.test,mx.src.test,10 \
    --host-record=mx.src.test,127.0.0.8 \
    --mx-host=nullmx.test,.,0 || { finish; exit; }
# multi.test: nothing listens on 127.0.0.4; mx2 takes the mail.
start_mx 127.0.0.5:$P --stats "$T/multi2.json" || { finish; exit; }
# greet.test: the first MX refuses at its greeting.
start_mx 127.0.0.6:$P --stats "$T/greet1.json" --greeting "554 5.7.1 go away" ||
    { finish; exit; }
start_mx 127.0.0.7:$P --stats "$T/greet2.json" || { finish; exit; }
start_mx 127.0.0.8:$P --stats "$T/src.json" || { finish; exit; }

inj 3 a@multi.test
inj 2 b@greet.test
printf 'Subject: v2\r\n\r\nx\r\n' | "$INJECT" -C "$QC" -V v2 -f s@src.test c@src.test >/dev/null ||
    fail "inject -V v2"
printf 'Subject: v3\r\n\r\nx\r\n' | "$INJECT" -C "$QC" -V v3 -f s@src.test d@src.test >/dev/null ||
    fail "inject -V v3"
inj 1 e@nullmx.test
inj 1 f@nx.test
qstart || { finish; exit; }
wait_queued 0 30 || fail "still queued: $(queued)"
qstop

eq "multi.test: the second MX got them" "$(mx_stat "$T/multi2.json" messages)" 3
eq "multi.test: journal mx" \
    "$(jfield delivered mx | grep -c '^mx2.multi.test$')" 3
eq "greet.test: the first MX took nothing" \
    "$(mx_stat "$T/greet1.json" messages)" 0
eq "greet.test: the second MX got them" "$(mx_stat "$T/greet2.json" messages)" 2
eq "source addresses seen by the MX" "$(mx_stat "$T/src.json" \
    "sorted(m['peer'] for m in message_log if m['from'] != '<>')")" \
    '["127.0.0.2", "127.0.0.3"]'
eq "the vmta's host name in EHLO" \
    "$(mx_stat "$T/src.json" "sorted(m['helo'] for m in message_log if m['from'] != '<>')")" \
    '["v2.mta.example.test", "v3.mta.example.test"]'
eq "DSNs to the sender for the two failures" \
    "$(mx_stat "$T/src.json" "sorted(m['rcpts'][0] for m in message_log if m['from'] == '<>')")" \
    '["s@src.test", "s@src.test"]'
eq "null MX: failed 5.1.10" \
    "$(cat "$QS"/log/* | grep '^failed ' | grep 'rcpt=e@nullmx.test' |
    tr ' ' '\n' | sed -n 's/^dsn-status=//p')" 5.1.10
eq "no such domain: failed 5.1.2" \
    "$(cat "$QS"/log/* | grep '^failed ' | grep 'rcpt=f@nx.test' |
    tr ' ' '\n' | sed -n 's/^dsn-status=//p')" 5.1.2
eq "deliveries in the journal (7 and 2 DSNs)" "$(jcount delivered)" 9
finish
