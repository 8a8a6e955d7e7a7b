#!/bin/sh
# 33-queue-routing: where mta-queue queues a domain's mail and how the
# replies of its MX steer it, with dnsmasq and mx.py peers on 26500-26509.
# queue-to puts alias.test's mail in target.test's queue (its MX, the
# recipient kept) and a queue-to loop is refused; an <mx-rollup-list>
# rolls r1.test and r2.test, whose MX hosts match *.roll.test, into one
# queue whose max-smtp-out 1 holds for both; skip-mx takes the mail to
# the second MX on the first one's reply; disable-source-ip moves the
# mail to the other source address, reenable-after (and
# reenable-source-ip-after) bring it back on time, and a queue left
# without a source waits, in backoff mode if so configured; a reload
# applies a new queue-to and keeps a disabled source; queue-interval
# spaces the retry passes of a queue; a smtp-hosts list too long for a
# session record defers its queue.  First, mta-deliver alone: the
# skip= key of a session record, malformed and oversized, and the src=
# of a deferred session.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"
. "$TOP/tests/integ/deliver/lib.sh"

DSN_PORT=26500
DNS=26501
P=26502
D=26503

# --- mta-deliver's skip= (read as written, never trusted) ------------
start_mx 127.0.0.1:$D || exit 1
long=$(printf '%03000d' 0 | tr 0 a)
S='> session queue=a.test/v domain=a.test helo=me.test'
cat >"$T/skip.in" <<EOF
$HELLO
$S sid=1 hosts=[127.0.0.1]:$D skip=127.0.0.1
< session sid=1
$S sid=2 hosts=[127.0.0.1]:$D skip=,,,
< session sid=2
$S sid=3 hosts=[127.0.0.1]:$D skip=$long,,127.0.0.1.
< session sid=3
$S sid=4 hosts=[127.0.0.1]:$D skip=
< session sid=4
$S sid=5 hosts=[127.0.0.1]:$D skip=127.0.0
< session sid=5
$S sid=6 hosts=[127.0.0.1]:26509 src=127.0.0.2
< session sid=6
> quit
exit
EOF
drive skip
eq "skip=: the only host skipped" \
    "$(val skip session status 'sid=1 '),$(val skip session dsn 'sid=1 ')" \
    defer,4.4.4
match "skip=: why" "$(val skip session text 'sid=1 ')" '*skipped*skip-mx*'
eq "skip=: empty names skip nothing" "$(val skip session status 'sid=2 ')" ok
eq "skip=: long list, a name with its dot" \
    "$(val skip session status 'sid=3 ')" defer
eq "skip=: empty" "$(val skip session status 'sid=4 ')" ok
eq "skip=: a prefix is not the name" "$(val skip session status 'sid=5 ')" ok
eq "defer: src= says the source" "$(val skip session src 'sid=6 ')" 127.0.0.2
eq "skip=: exit" "$(tail -n 1 "$T/skip.out")" "exit 0"

qinit <<EOF2
host-name mta.example.test
name-server 127.0.0.1:$DNS
dns-timeout 5s
<virtual-mta one>
	smtp-source-host 127.0.0.2 one.example.test
</virtual-mta>
<virtual-mta two>
	smtp-source-host 127.0.0.2 two-a.example.test
	smtp-source-host 127.0.0.3 two-b.example.test
</virtual-mta>
<smtp-pattern-list steer>
	reply /too many connections/ skip-mx
	reply /TS03/ disable-source-ip,reenable-after=2s
</smtp-pattern-list>
<mx-rollup-list>
	mx *.roll.test shared.rollup
</mx-rollup-list>
<domain *>
	default-smtp-port $P
	retry-after 1m
	max-smtp-out 3
</domain>
<domain alias.test>
	queue-to target.test
</domain>
<domain loopa.test>
	queue-to loopb.test
</domain>
<domain loopb.test>
	queue-to loopa.test
</domain>
<domain shared.rollup>
	max-smtp-out 1
</domain>
<domain solo.test>
	disable-mx-rollup yes
</domain>
<domain skip.test>
	smtp-pattern-list steer
</domain>
<domain dis.test>
	smtp-pattern-list steer
</domain>
<smtp-pattern-list steer0>
	reply /TS03/ disable-source-ip
</smtp-pattern-list>
<domain dis0.test>
	smtp-pattern-list steer0
	backoff-upon-all-sources-disabled yes
</domain>
<smtp-pattern-list grey>
	reply /greylisted/ disable-source-ip
</smtp-pattern-list>
<domain dis1.test>
	smtp-pattern-list grey
	retry-after 1s
	reenable-source-ip-after 3s
</domain>
<domain qi.test>
	retry-after 1s
	queue-interval 3s
</domain>
<domain long.test>
	smtp-hosts $(l=$(printf 'a%.0s' $(seq 60)); for i in $(seq 24); do
	    printf 'h%s.%s.%s.%s.long.test,' $i $l $l $l; done)h0.long.test
	retry-after 1h
</domain>
EOF2

start_dnsmasq $DNS --local=/test/ \
    --mx-host=alias.test,mx.alias.test,10 \
    --host-record=mx.alias.test,127.0.0.10 \
    --mx-host=target.test,mx.target.test,10 \
    --host-record=mx.target.test,127.0.0.11 \
    --mx-host=loopa.test,mx.target.test,10 \
    --mx-host=r1.test,mx1.roll.test,10 \
    --mx-host=r2.test,mx2.roll.test,10 \
    --mx-host=solo.test,mx3.roll.test,10 \
    --host-record=mx1.roll.test,127.0.0.12 \
    --host-record=mx2.roll.test,127.0.0.12 \
    --host-record=mx3.roll.test,127.0.0.17 \
    --mx-host=skip.test,mxa.skip.test,10 \
    --mx-host=skip.test,mxb.skip.test,20 \
    --host-record=mxa.skip.test,127.0.0.13 \
    --host-record=mxb.skip.test,127.0.0.14 \
    --mx-host=dis.test,mx.dis.test,10 \
    --mx-host=dis0.test,mx.dis.test,10 \
    --host-record=mx.dis.test,127.0.0.15 \
    --mx-host=dis1.test,mx.dis1.test,10 \
    --host-record=mx.dis1.test,127.0.0.18 \
    --mx-host=qi.test,mx.qi.test,10 \
    --host-record=mx.qi.test,127.0.0.16 || { finish; exit; }
start_mx 127.0.0.10:$P --stats "$T/alias.json" || { finish; exit; }
start_mx 127.0.0.11:$P --stats "$T/target.json" || { finish; exit; }
start_mx 127.0.0.12:$P --stats "$T/roll.json" --delay-data 0.3 ||
    { finish; exit; }
start_mx 127.0.0.17:$P --stats "$T/solo.json" || { finish; exit; }
start_mx 127.0.0.13:$P --stats "$T/skipa.json" \
    --reply 'RCPT:452 4.7.1 too many connections, try later' ||
    { finish; exit; }
start_mx 127.0.0.14:$P --stats "$T/skipb.json" || { finish; exit; }
start_mx 127.0.0.15:$P --stats "$T/dis.json" \
    --reply 'CONNECT:^127\.0\.0\.2$:421 4.7.0 TS03 blocked from this address' ||
    { finish; exit; }
start_mx 127.0.0.18:$P --stats "$T/dis1.json" --defer-first 1 ||
    { finish; exit; }
start_mx 127.0.0.16:$P --stats "$T/qi.json" --defer-first 2 ||
    { finish; exit; }

injv() {
	printf 'Subject: v\r\n\r\nx\r\n' | "$INJECT" -C "$QC" -V "$1" \
	    -f s@src.test "$2" >/dev/null || fail "inject -V $1 $2"
}

inj 1 q@qi.test
inj 2 a@alias.test
inj 1 l@loopa.test
inj 3 b@r1.test
inj 3 c@r2.test
inj 2 d@solo.test
inj 2 e@skip.test
injv two f@dis.test
injv two g@dis.test
injv one i@dis0.test
injv one k@dis1.test
qstart || { finish; exit; }
wait_until '[ "$(jcount delivered)" -ge 15 ]' 10 ||
    fail "delivered: $(jcount delivered) of 15"

# queue-to
eq "queue-to: the target's MX got the mail" \
    "$(mx_stat "$T/target.json" "sorted(m['rcpts'][0] for m in message_log)")" \
    '["a@alias.test", "a@alias.test", "l@loopa.test"]'
eq "queue-to: the alias's own MX got nothing" \
    "$(mx_stat "$T/alias.json" connections)" 0
eq "queue-to: journal queue" \
    "$(jfield delivered queue | grep -c '^target.test/{default}$')" 2
eq "queue-to: a loop is refused, the domain keeps its queue" \
    "$(jfield delivered queue | grep -c '^loopa.test/{default}$')" 1
match "queue-to: the loop logged" "$(grep 'makes a loop' "$QLOG")" \
    '*queue loopa.test/{default}: queue-to loopb.test makes a loop: ignored*'

# rollup
eq "rollup: r1 and r2 in one queue" \
    "$(jfield delivered queue | grep -c '^shared.rollup/{default}$')" 6
eq "rollup: its max-smtp-out 1 held for both domains" \
    "$(mx_stat "$T/roll.json" "messages, max_concurrent")" '[6, 1]'
eq "disable-mx-rollup: solo.test in its own queue" \
    "$(jfield delivered queue | grep -c '^solo.test/{default}$')" 2
eq "disable-mx-rollup: its MX got the mail" \
    "$(mx_stat "$T/solo.json" messages)" 2
match "rollup logged" "$(grep 'rolled up' "$QLOG")" \
    '*queue r1.test/{default}: rolled up into shared.rollup/{default} (mx mx1.roll.test)*'

# skip-mx
eq "skip-mx: the first MX refused the recipients" \
    "$(mx_stat "$T/skipa.json" "messages == 0 and commands.get('RCPT', 0) >= 1")" \
    True
eq "skip-mx: the second MX got them" "$(mx_stat "$T/skipb.json" messages)" 2
eq "skip-mx: no deferral counted" \
    "$(jfield deferred rcpt | grep -c 'skip.test')" 0

# disable-source-ip
eq "disable-source-ip: the other source carried the mail" \
    "$(mx_stat "$T/dis.json" "sorted(m['peer'] for m in message_log)")" \
    '["127.0.0.3", "127.0.0.3"]'
eq "disable-source-ip: disabled once" \
    "$(grep -c 'queue dis.test/two: source 127.0.0.2 disabled' "$QLOG")" 1
eq "disable-source-ip: another source, no backoff" \
    "$(grep -c 'queue dis.test/two: backoff mode' "$QLOG")" 0
match "backoff-upon-all-sources-disabled: its only source gone" \
    "$(grep 'queue dis0.test/one: backoff mode' "$QLOG")" \
    '*every source address disabled*'
eq "disable-source-ip: the MX saw both sources" \
    "$(mx_stat "$T/dis.json" "peers")" '["127.0.0.2", "127.0.0.3"]'
# reenable-after=2s: back on time, with no mail to send
wait_until 'grep -q "queue dis.test/two: source 127.0.0.2 enabled again" "$QLOG"' 4 ||
    fail "dis.test/two: 127.0.0.2 not enabled again"
# dis1.test: its only source is disabled on the greylisting reply for
# reenable-source-ip-after 3s; the retry (retry-after 1s) waits for it,
# then goes from it
wait_until '[ "$(jfield delivered rcpt | grep -c "^k@dis1.test$")" = 1 ]' 8 ||
    fail "k@dis1.test not delivered"
eq "reenable-after: the retry waited for the source" \
    "$(mx_stat "$T/dis1.json" "recipients['k@dis1.test']['rcpt'], [m['peer'] for m in message_log]")" \
    '[["451", "250"], ["127.0.0.2"]]'
eq "reenable-after: disabled, then enabled again" \
    "$(grep -c 'queue dis1.test/one: source 127.0.0.2 \(disabled for 3s\|enabled again\)' "$QLOG")" 2
first=$(cat "$QS"/log/* | grep '^deferred ' | grep 'rcpt=k@dis1.test' |
    tr ' ' '\n' | sed -n 's/^logged=//p')
last=$(cat "$QS"/log/* | grep '^delivered ' | grep 'rcpt=k@dis1.test' |
    tr ' ' '\n' | sed -n 's/^logged=//p')
eq "reenable-after: not before its time" \
    "$(awk -v a="$first" -v b="$last" 'BEGIN { print (b - a >= 1.5) ? "yes" : b - a }')" yes
"$CTL" -C "$QC" show queues --json >"$T/queues.json" 2>&1 ||
    fail "show queues: $(cat "$T/queues.json")"
qv() {
	"$PY" -c 'import json, sys
q = [q for q in json.load(open(sys.argv[1]))["queues"] if q["name"] == sys.argv[2]]
print(q[0][sys.argv[3]] if q else "no queue")' "$T/queues.json" "$1" "$2"
}
eq "show queues: the disabled source" "$(qv dis0.test/one disabled_src)" \
    127.0.0.2
eq "show queues: the source back" "$(qv dis.test/two disabled_src)" ''
eq "show queues: queue-to" "$(qv 'alias.test/{default}' forward)" \
    'target.test/{default}'
eq "show queues: rollup" "$(qv 'r2.test/{default}' forward)" \
    'shared.rollup/{default}'
eq "show queues: no forward" "$(qv 'solo.test/{default}' forward)" ''
eq "show queues: without a source, the mail waits" \
    "$(qv dis0.test/one rcpts),$(qv dis0.test/one mode)" 1,backoff

# a reload: a new queue-to applies to the queue made before it, and a
# disabled source stays disabled
sed 's/^\tdisable-mx-rollup yes$/&\n\tqueue-to target.test/' "$QC" >"$QC.new" &&
    mv "$QC.new" "$QC"
kill -HUP "$QPID"
wait_until 'grep -q "reload: " "$QLOG"' 5 || fail "no reload logged"
inj 1 s@solo.test
wait_until '[ "$(jfield delivered rcpt | grep -c "^s@solo.test$")" = 1 ]' 8 ||
    fail "s@solo.test not delivered after the reload"
eq "reload: queue-to now sends solo.test to the target" \
    "$(mx_stat "$T/target.json" "[m['rcpts'][0] for m in message_log][-1]")" \
    s@solo.test
"$CTL" -C "$QC" show queues --json >"$T/queues.json" 2>&1 ||
    fail "show queues: $(cat "$T/queues.json")"
eq "reload: the source is still disabled" \
    "$(qv dis0.test/one disabled_src)" 127.0.0.2

# queue-interval: tries at t, t+1 (retry-after 1s), then t+4, not t+2
wait_until '[ "$(jfield delivered rcpt | grep -c "^q@qi.test$")" = 1 ]' 8 ||
    { fail "q@qi.test not delivered"; grep qi.test "$QLOG" | sed 's/^/    /'; }
eq "queue-interval: three tries" \
    "$(mx_stat "$T/qi.json" "recipients['q@qi.test']['rcpt']")" \
    '["451", "451", "250"]'
first=$(cat "$QS"/log/* | grep '^deferred ' | grep 'rcpt=q@qi.test' |
    tr ' ' '\n' | sed -n 's/^logged=//p' | sort -n | head -n 1)
last=$(cat "$QS"/log/* | grep '^delivered ' | grep 'rcpt=q@qi.test' |
    tr ' ' '\n' | sed -n 's/^logged=//p')
eq "queue-interval: the third try 3 s after the second pass" \
    "$(awk -v a="$first" -v b="$last" 'BEGIN { print (b - a >= 2.5 && b - a < 6) ? "yes" : b - a }')" yes
# a session record over deliver/1's 4096 bytes: the queue waits and
# says why, the other queues go on
inj 1 l@long.test
wait_until 'grep -q "queue long.test/.*session record over" "$QLOG"' 8 ||
    fail "long smtp-hosts: not logged"
"$CTL" -C "$QC" show queues --json >"$T/queues.json" 2>&1 ||
    fail "show queues: $(cat "$T/queues.json")"
match "long smtp-hosts: the queue's last error" "$("$PY" -c 'import json, sys
print([q for q in json.load(open(sys.argv[1]))["queues"]
    if q["name"].startswith("long.test/")][0]["last_error"])' \
    "$T/queues.json")" '*session record over 4096 bytes*'
inj 1 after@solo.test
wait_until '[ "$(jfield delivered rcpt | grep -c "^after@solo.test$")" = 1 ]' \
    8 || fail "long smtp-hosts: other queues stopped"
qstop
eq "mta-queue exit" "$QRC" 0
finish
