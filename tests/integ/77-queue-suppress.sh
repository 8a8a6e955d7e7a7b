#!/bin/sh
# 77-queue-suppress: mta-queue and the suppression lists.  A recipient
# queued before its address was suppressed fails when its transaction is
# built (550 5.7.1, bounce category policy-related, a DSN to the sender)
# while the other recipient of its message is delivered; with
# permanent-bounce-after 2s an address answered 451 is added to the list
# "default" after 2 s and fails at its next try; <bounce-action> blocks:
# "suppress" on a 550 5.1.1 (bad-mailbox) adds the address (once, for
# two recipients of one address in one flush), "retry" on a
# 552 5.2.2 (quota-issues) retries it until max-tries, then fails it,
# "bounce" fails a 452 (quota-issues) at once, "retry" of type transient
# waits its own retry-after, and a permanent failure it retries past
# permanent-bounce-after is not a soft bounce;
# after SIGHUP a source's new suppression-lists apply to a recipient
# already queued, and one that cannot be read (an address-file missing)
# defers it with 451 4.3.0 until it is fixed.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
DSN_PORT=26200
. "$TOP/tests/integ/queue/lib.sh"

MX=26201

qinit <<EOF
host-name mta.example.test
permanent-bounce-after 2s
<source 0/0>
	suppression-lists default
</source>
<domain dest.test>
	smtp-hosts [127.0.0.1]:$MX
	retry-after 1s
</domain>
<domain hold.test>
	smtp-hosts [127.0.0.1]:$MX
	pause yes
</domain>
<domain wait.test>
	smtp-hosts [127.0.0.1]:$MX
	retry-after 1s
	pause yes
</domain>
<bounce-action>
	type permanent
	match bad-mailbox inactive-mailbox
	action suppress
</bounce-action>
<bounce-action>
	type permanent
	match quota-issues
	action retry
	retry-after 1s
	max-tries 2
</bounce-action>
<bounce-action now>
	type transient
	match quota-issues
	action bounce
</bounce-action>
<bounce-action>
	type permanent
	match spam-related
	action retry
	retry-after 1s
	max-tries 4
</bounce-action>
<bounce-action>
	type transient
	match spam-related
	action retry
	retry-after 2s
	max-tries 2
</bounce-action>
EOF
start_mx "127.0.0.1:$MX" \
    --reply 'RCPT:^soft@:451 4.2.0 try again later' \
    --reply 'RCPT:^bad@:550 5.1.1 user unknown' \
    --reply 'RCPT:^[Tt]wice@:550 5.1.1 user unknown' \
    --reply 'RCPT:^full@:552 5.2.2 mailbox full' \
    --reply 'RCPT:^now@:452 4.2.2 mailbox full' \
    --reply 'RCPT:^spam@:451 4.7.1 message looks like spam' \
    --reply 'RCPT:^spam5@:554 5.7.1 message looks like spam' || exit 1

# shown ADDR: the list and reason mta-ctl shows for ADDR, or "no"
shown() {
	"$CTL" -C "$QC" show suppressed "$1" 2>/dev/null |
	    sed -n 's/.* list=\([^ ]*\) .* reason="\(.*\)"$/\1 \2/p'
}

# Queued first, suppressed after: mta-inject accepted them all.
inj 1 a@dest.test gone@dest.test
inj 1 v@hold.test
inj 1 w@wait.test
inj 1 soft@dest.test
inj 1 bad@dest.test
inj 1 Twice@dest.test twice@dest.test
inj 1 full@dest.test
inj 1 now@dest.test
inj 1 spam@dest.test
inj 1 spam5@dest.test
"$CTL" -C "$QC" suppress add -r "operator" gone@dest.test >/dev/null ||
    fail "suppress add gone"
"$CTL" -C "$QC" suppress add -l vip v@hold.test >/dev/null ||
    fail "suppress add -l vip"
t0=$(date +%s)
qstart || exit 1

# the suppressed recipient: failed, never sent; the other one delivered
wait_until '[ -n "$(rcptof delivered a@dest.test)" ]' 5 ||
    fail "a@dest.test not delivered"
r=$(rcptof failed gone@dest.test)
match "refused: record" "$r" '*dsn-status=5.7.1 *'
match "refused: text" "$r" "*dsn-diag=smtp;550%205.7.1%20<gone@dest.test>:\
%20recipient%20is%20in%20suppression%20list%20\"default\"*"
match "refused: category" "$r" '*bounce-cat=policy-related*'
eq "refused: RCPTs to the MX" \
    "$(mx_stat "$MX" "'gone@dest.test' in recipients")" False
wait_until 'grep -rlq "gone@dest.test" "$T/dsn"' 5
match "refused: DSN to the sender" \
    "$(grep -rl 'recipient is in suppression list' "$T/dsn" | wc -l)" '[1-9]*'

# bounce-action suppress on a bad-mailbox failure
wait_until '[ -n "$(rcptof failed bad@dest.test)" ]' 5
match "bad-mailbox: category" "$(rcptof failed bad@dest.test)" \
    '*bounce-cat=bad-mailbox*'
wait_until '[ -n "$(shown bad@dest.test)" ]' 2
eq "bad-mailbox: suppressed" "$(shown bad@dest.test)" \
    "default 550 5.1.1 user unknown"
# two recipients of one address (one key) in one flush: added once
wait_until '[ -n "$(shown twice@dest.test)" ]' 2
eq "one key twice: one addition" \
    "$(grep -c 'suppressed rcpt=<twice@dest.test>' "$QLOG")" 1

# bounce-action retry: a 552 deferred once, failed at the second try
wait_until '[ -n "$(rcptof failed full@dest.test)" ]' 5 ||
    fail "full@dest.test never failed"
eq "retry: deferred" "$(rcptof deferred full@dest.test | wc -l)" 1
match "retry: deferred code" "$(rcptof deferred full@dest.test)" \
    '*code=552 *'
# the MX writes its stats a little after it answers: wait for them
mx_wait "$MX" "recipients['full@dest.test']['rcpt']" '["552", "552"]' ||
    true
eq "retry: RCPTs" "$(mx_stat "$MX" "recipients['full@dest.test']['rcpt']")" \
    '["552", "552"]'
eq "retry: not suppressed" "$(shown full@dest.test)" ""

# bounce-action bounce: a 452 fails at once, as it is
wait_until '[ -n "$(rcptof failed now@dest.test)" ]' 5
match "bounce: failed" "$(rcptof failed now@dest.test)" '*code=452 *'
eq "bounce: not deferred" "$(rcptof deferred now@dest.test)" ""

# bounce-action retry on a deferral: its own retry-after, then failed
wait_until '[ -n "$(rcptof failed spam@dest.test)" ]' 5 ||
    fail "spam@dest.test never failed"
eq "transient retry: deferred" "$(rcptof deferred spam@dest.test | wc -l)" 1
t2=$(rcptof deferred spam@dest.test | sed 's/.*logged=\([0-9.]*\) .*/\1/')
t3=$(rcptof failed spam@dest.test | sed 's/.*logged=\([0-9.]*\) .*/\1/')
eq "transient retry: waited its retry-after" "$(awk -v a="$t2" -v b="$t3" \
    'BEGIN { print (b - a >= 1) ? "yes" : b - a }')" yes

# a 554 retried by <bounce-action> for 3 s is no soft bounce: it fails
# as itself at max-tries, never suppressed by permanent-bounce-after
wait_until '[ -n "$(rcptof failed spam5@dest.test)" ]' 8 ||
    fail "spam5@dest.test never failed"
eq "permanent retried: deferred" \
    "$(rcptof deferred spam5@dest.test | wc -l)" 3
match "permanent retried: failed as itself" \
    "$(rcptof failed spam5@dest.test)" '*code=554 *'
eq "permanent retried: not suppressed" "$(shown spam5@dest.test)" ""

# permanent-bounce-after 2s: 451s for 2 s, then suppressed, then failed
wait_until '[ -n "$(rcptof failed soft@dest.test)" ]' 8 ||
    fail "soft@dest.test never failed"
t1=$(date +%s)
match "soft: suppressed" "$(shown soft@dest.test)" \
    'default soft bounces since 20*Z (permanent-bounce-after)'
match "soft: failed as suppressed" "$(rcptof failed soft@dest.test)" \
    '*dsn-status=5.7.1 *'
n=$(rcptof deferred soft@dest.test | wc -l)
match "soft: deferrals" "$n" '[34]'
match "soft: took 2 s or more" "$((t1 - t0))" '[2-9]'
grep -q 'suppressed rcpt=<soft@dest.test> list=default reason=soft%20bounces' \
    "$QLOG" || fail "soft: no 'suppressed' line in the log"

# SIGHUP: the source's lists now name vip, and hold.test runs
eq "hold: nothing yet" "$(rcptof failed v@hold.test)" ""
sed -i 's/suppression-lists default/&, vip/' "$QC"
sed -i '/hold/,/pause/s/pause yes/pause no/' "$QC"
kill -HUP "$QPID"
wait_until '[ -n "$(rcptof failed v@hold.test)" ]' 5 ||
    fail "reload: v@hold.test not refused"
match "reload: refused by vip" "$(rcptof failed v@hold.test)" \
    '*suppression%20list%20"vip"*'
eq "reload: never sent" "$(mx_stat "$MX" "'v@hold.test' in recipients")" \
    False
wait_until 'grep -rlq "v@hold.test" "$T/dsn"' 5 || fail "reload: no DSN"

# a list that cannot be read defers, never sends; once fixed, sent
printf '<address-list bad>\n\taddress-file %s\n</address-list>\n' \
    "$T/bad.txt" >>"$QC"
sed -i 's/suppression-lists default, vip/&, bad/;s/pause yes/pause no/' "$QC"
kill -HUP "$QPID"
wait_until '[ -n "$(rcptof deferred w@wait.test)" ]' 5 ||
    fail "bad list: w@wait.test not deferred"
match "bad list: deferred" "$(rcptof deferred w@wait.test | head -n 1)" \
    '*code=451 *dsn-status=4.3.0 *'
eq "bad list: never sent" "$(mx_stat "$MX" "'w@wait.test' in recipients")" \
    False
grep -q 'address-file' "$QLOG" || fail "bad list: no warning in the log"
: >"$T/bad.txt"
kill -HUP "$QPID"
wait_until '[ -n "$(rcptof delivered w@wait.test)" ]' 5 ||
    fail "bad list fixed: w@wait.test not delivered"
wait_queued 0 5 || fail "still queued: $(queued)"
qstop
eq "SIGTERM: exit" "$QRC" 0
finish
