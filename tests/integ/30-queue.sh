#!/bin/sh
# 30-queue: mta-queue with mta-deliver against real SMTP peers on
# loopback: N messages to smtp-sink (all arrive, the spool empties, one
# journal record each, with its fields); one message to three domains
# (three MXs); 4xx then success on the retry; 5xx is final.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
retry-after 2s
<domain sink.test>
	smtp-hosts [127.0.0.1]:25301
</domain>
<domain one.test>
	smtp-hosts [127.0.0.1]:25302
</domain>
<domain two.test>
	smtp-hosts [127.0.0.2]:25303
</domain>
<domain three.test>
	smtp-hosts [127.0.0.3]:25304
</domain>
<domain grey.test>
	smtp-hosts [127.0.0.1]:25305
	retry-after 2s
</domain>
<domain bad.test>
	smtp-hosts [127.0.0.1]:25306
</domain>
EOF2

start_sink 127.0.0.1:25301 || exit 1
start_mx 127.0.0.1:25302 || exit 1
start_mx 127.0.0.2:25303 || exit 1
start_mx 127.0.0.3:25304 || exit 1
start_mx 127.0.0.1:25305 --defer-first 1 || exit 1
start_mx 127.0.0.1:25306 --reply 'RCPT:550 5.1.1 no such user' || exit 1
qstart || exit 1

# N messages to smtp-sink
N=50
inj $N rcpt@sink.test
wait_queued 0 || fail "sink: $(queued) messages still queued"
eq "sink: messages at the sink" "$(sink_count 25301)" $N
eq "sink: delivered records" "$(jcount delivered)" $N
eq "sink: queue field" "$(jfield delivered queue | sort -u)" \
    "sink.test/{default}"
eq "sink: mx-ip field" "$(jfield delivered mx-ip | sort -u)" 127.0.0.1
eq "sink: dsn-status" "$(jfield delivered dsn-status | sort -u)" 2.0.0
eq "sink: orig" "$(jfield delivered orig | sort -u)" s@src.test
eq "sink: rcpt" "$(jfield delivered rcpt | sort -u)" rcpt@sink.test
eq "sink: attempts" "$(jfield delivered attempts | sort -u)" 1
match "sink: ext" "$(jfield delivered ext | head -n 1)" "*PIPELINING*"

# one message, three domains, three MXs
inj 1 a@one.test b@two.test c@three.test
wait_queued 0 || fail "3 domains: still queued"
eq "3 domains: one.test" "$(mx_stat 25302 messages)" 1
eq "3 domains: two.test" "$(mx_stat 25303 messages)" 1
eq "3 domains: three.test" "$(mx_stat 25304 messages)" 1
eq "3 domains: delivered records" "$(jcount delivered)" $((N + 3))
eq "3 domains: mx-ip" "$(jfield delivered mx-ip | sort -u | tr '\n' ' ')" \
    "127.0.0.1 127.0.0.2 127.0.0.3 "

# 4xx, then delivered on the retry 2 s later
start=$(date +%s)
inj 1 g@grey.test
wait_queued 0 || fail "4xx: still queued"
end=$(date +%s)
eq "4xx: deferred records" "$(jcount deferred)" 1
eq "4xx: deferred dsn" "$(jfield deferred dsn-status)" 4.7.1
eq "4xx: delivered" "$(mx_stat 25305 "recipients['g@grey.test']['delivered']")" 1
eq "4xx: rcpt replies" "$(mx_stat 25305 "recipients['g@grey.test']['rcpt']")" \
    '["451", "250"]'
eq "4xx: waited the retry" "$([ $((end - start)) -ge 2 ] && echo yes)" yes
eq "4xx: attempts" "$(jfield delivered attempts | tail -n 1)" 2

# 5xx: final at once
inj 1 x@bad.test
wait_queued 0 || fail "5xx: still queued"
eq "5xx: failed records" "$(jcount failed)" 1
eq "5xx: dsn-status" "$(jfield failed dsn-status)" 5.1.1
eq "5xx: dsn-diag" "$(jfield failed dsn-diag)" \
    "smtp;550%205.1.1%20no%20such%20user"
eq "5xx: dsn-action" "$(jfield failed dsn-action)" failed
eq "5xx: bounce category" "$(jfield failed bounce-cat)" bad-mailbox
eq "5xx: src-type of an injected message" "$(jfield failed src-type)" pickup
# ... and a DSN to the sender, from the null sender, about x@bad.test
wait_until '[ "$(mx_stat $DSN_PORT messages)" = 1 ]' 10 || fail "5xx: no DSN"
eq "5xx: DSN from <>" "$(mx_stat $DSN_PORT "message_log[0]['from']")" '<>'
eq "5xx: DSN to the sender" "$(mx_stat $DSN_PORT "message_log[0]['rcpts']")" \
    '["s@src.test"]'
dsnf=$(find "$T/dsn" -type f | head -n 1)
match "5xx: DSN is a delivery-status report" "$(grep -c \
    -e '^Content-Type: multipart/report; report-type=delivery-status' \
    -e '^Final-Recipient: rfc822; *x@bad.test' -e '^Action: failed' \
    -e '^Status: 5.1.1' "$dsnf")" 4
eq "5xx: one RCPT" "$(mx_stat 25306 "commands['RCPT']")" 1

# SIGHUP: the new config applies (sink.test paused); a broken one is
# refused and the old one kept; then resumed by another reload
cp "$QC" "$T/good.conf"
sed 's/^<domain sink.test>$/&\n\tpause yes/' "$T/good.conf" >"$QC"
kill -HUP "$QPID"
wait_until 'grep -q "reload:" "$QLOG"' 5
inj 1 p@sink.test
sleep 2
eq "reload: paused queue keeps its message" "$(queued)" 1
echo 'max-smtp-out ten' >>"$QC"
kill -HUP "$QPID"
wait_until 'grep -q "keeping the old config" "$QLOG"' 5 ||
    fail "reload: broken config not refused"
cp "$T/good.conf" "$QC"
kill -HUP "$QPID"
wait_queued 0 10 || fail "reload: not resumed"
eq "reload: delivered after resume" "$(sink_count 25301)" $((N + 1))

qstop
eq "SIGTERM: exit" "$QRC" 0
eq "nothing left queued" "$(queued)" 0
finish
