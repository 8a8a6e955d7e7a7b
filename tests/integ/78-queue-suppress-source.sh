#!/bin/sh
# 78-queue-suppress-source: mta-queue checks a recipient against the
# suppression lists of the <source> its message was submitted under.
# mta-smtpd writes that source's name into the envelope (source-name):
# for a listener with source=NAME it is NAME, whose lists differ from
# those of the client's address.  An address only in the address's list
# is delivered; one added to NAME's list after the message was accepted
# fails at its transaction (550 5.7.1, the list named).
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
DSN_PORT=26700
. "$TOP/tests/integ/queue/lib.sh"

MX=26701
LISTEN=26702

qinit <<EOF
host-name mta.example.test
run-as-root yes
smtp-listener 127.0.0.1:$LISTEN source=named
<address-list byaddr>
	address addr-only@dest.test
</address-list>
<source 127.0.0.1>
	always-allow-relaying yes
	suppression-lists byaddr
</source>
<source named>
	suppression-lists default
</source>
<domain dest.test>
	smtp-hosts [127.0.0.1]:$MX
	retry-after 1s
</domain>
EOF
start_mx "127.0.0.1:$MX" || exit 1

# Accepted by mta-smtpd while mta-queue is down: the lists of "named"
# (the store's default, empty) let all three in.
"$TOP/cmd/mta-smtpd/mta-smtpd" -C "$QC" 2>"$T/smtpd.log" &
spid=$!
on_exit="kill $spid 2>/dev/null; $on_exit"
wait_until "grep -q 'listening on 127.0.0.1:$LISTEN' $T/smtpd.log" 10 ||
    fail "mta-smtpd did not start"
python3 -c 'import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as c:
    c.sendmail("s@src.test", ["addr-only@dest.test", "late@dest.test",
               "ok@dest.test"], b"Subject: one\r\n\r\nbody\r\n")' "$LISTEN" ||
    fail "smtp submission"
kill "$spid"
wait "$spid" 2>/dev/null
eq "the envelope names the listener's source" \
    "$(cat "$QS"/new/* | grep -c '^source-name named$')" 1

# suppressed after acceptance, in the list "named" uses
"$CTL" -C "$QC" suppress add -r "operator" late@dest.test >/dev/null ||
    fail "suppress add late"
qstart || exit 1
wait_until '[ -n "$(rcptof failed late@dest.test)" ]' 10 ||
    fail "late@dest.test not failed"
match "late: refused by the list of the source" \
    "$(rcptof failed late@dest.test)" \
    "*dsn-diag=smtp;550%205.7.1%20<late@dest.test>:\
%20recipient%20is%20in%20suppression%20list%20\"default\"*"
wait_until '[ -n "$(rcptof delivered ok@dest.test)" ]' 10 ||
    fail "ok@dest.test not delivered"
# in the list of the client's address only: not this message's
wait_until '[ -n "$(rcptof delivered addr-only@dest.test)" ]' 10 ||
    fail "addr-only@dest.test not delivered: $(rcptof failed \
    addr-only@dest.test)"
eq "late never sent to the MX" \
    "$(mx_stat "$MX" "'late@dest.test' in recipients")" False
qstop
eq "mta-queue exit" "$QRC" 0

finish
