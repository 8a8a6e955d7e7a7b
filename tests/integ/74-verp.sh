#!/bin/sh
# 74-verp: VERP envelope senders (bounce-domain).  A message to three
# recipients of a domain with bounce-domain reaches its MX as three
# transactions, each MAIL FROM a VERP address at the bounce domain that
# decodes to its recipient, while a domain without one gets the plain
# sender and one transaction; the key is spool/verp.key, mode 0600; the
# journal's orig stays the sender.  Bounces that come back to a VERP
# address, fed to mta-bounce --inbound --print: an RFC 3464 report and a
# text bounce that names no recipient give the original recipient (the
# address from --rcpt, from Delivered-To, from To), and is journaled as
# its "bounced" record; a report that names another address (a forward)
# gives the VERP one; a tampered address is refused (exit 65), as is one
# made under another key; without a key nothing is decoded.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
DSN_PORT=26310
. "$TOP/tests/integ/queue/lib.sh"
BOUNCE=$TOP/cmd/mta-bounce/mta-bounce
CATS=$T/q/bounce-categories

qinit <<'EOF2'
host-name mta.example.test
<domain v.test>
	smtp-hosts [127.0.0.1]:26311
	bounce-domain bnc.example.test
</domain>
<domain p.test>
	smtp-hosts [127.0.0.1]:26311
</domain>
EOF2

start_mx 127.0.0.1:26311 || exit 1
qstart || exit 1
inj 1 a@v.test B+x-y=z@v.test c@v.test
inj 1 d@p.test e@p.test
wait_j delivered 5 || fail "delivered: $(jcount delivered)"
mx_wait 26311 messages 4 || fail "MX: $(mx_stat 26311 messages) messages"
qstop

# An RFC 3464 report from the recipient's MX, to the VERP address.
dsn() {	# FINAL-RECIPIENT: a report about it, to $from
	printf 'From: MAILER-DAEMON@mx.v.test\r\nTo: <%s>\r\n' "$from"
	printf 'Subject: Undelivered Mail Returned to Sender\r\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status;'
	printf ' boundary="B1"\r\n\r\n--B1\r\nContent-Type: text/plain\r\n\r\n'
	printf 'Sorry.\r\n--B1\r\nContent-Type: message/delivery-status\r\n\r\n'
	printf 'Reporting-MTA: dns; mx.v.test\r\n\r\n'
	printf 'Final-Recipient: rfc822; %s\r\nAction: failed\r\n' "$1"
	printf 'Status: 5.1.1\r\n'
	printf 'Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n'
	printf '\r\n--B1--\r\n'
}
text() {	# a text bounce naming no recipient, to $from
	printf 'From: MAILER-DAEMON@mx.v.test\r\n%s\r\n' "$1"
	printf 'Subject: Mail delivery failed: returning message to '
	printf 'sender\r\n\r\nThis message was created automatically by '
	printf 'mail delivery software.\r\n\r\nA message that you sent '
	printf 'could not be delivered to one or more of its\r\n'
	printf 'recipients. This is a permanent error.\r\n\r\n'
	printf '  550 5.1.1 mailbox unavailable\r\n'
}
row() {	# ARGS: the first row of mta-bounce --inbound --print ARGS
	"$BOUNCE" -C "$QC" -c "$CATS" "$@" --inbound --print 2>"$T/err" |
	    sed -n 2p
}
mx_stat 26311 '[(m["from"], m["rcpts"]) for m in message_log]' |
    /usr/bin/python3 -c 'import json, sys
for f, r in json.load(sys.stdin):
    print(len(r), " ".join(r), f)' | sort -k2 >"$T/txn"
eq "transactions" "$(wc -l <"$T/txn")" 4
eq "plain domain: one transaction, the sender" \
    "$(grep p.test "$T/txn")" "2 d@p.test e@p.test s@src.test"
n=0
while read -r k rcpt from; do
	case $rcpt in
	*@v.test)	;;
	*)		continue ;;
	esac
	n=$((n + 1))
	eq "$rcpt: one a transaction" "$k" 1
	match "$rcpt: VERP sender" "$from" "s-*-????????@bnc.example.test"
	eq "$rcpt: decodes" "$(text 'To: <s@src.test>' |
	    row --rcpt "$from" | cut -d, -f1)" "\"$rcpt\""
	echo "$rcpt $from" >>"$T/verp"
done <"$T/txn"
eq "VERP transactions" "$n" 3
eq "key mode" "$(stat -c %a "$QS/verp.key")" 600
eq "key size" "$(stat -c %s "$QS/verp.key")" 32
eq "journal orig" "$(jfield delivered orig | sort -u)" s@src.test

from=$(sed -n 's/^B+x-y=z@v.test //p' "$T/verp")

from=$(sed -n 's/^B+x-y=z@v.test //p' "$T/verp")
eq "report, confirmed" "$(dsn B+x-y=z@v.test | row | cut -d, -f1-4,6)" \
    '"B+x-y=z@v.test","failed","5.1.1","bad-mailbox","rfc3464"'
eq "report about a forward: the VERP recipient" \
    "$(dsn fwd@elsewhere.test | row | cut -d, -f1)" '"B+x-y=z@v.test"'
grep -q 'names another recipient' "$T/err" || fail "forward: no log line"
eq "text, no recipient: none without VERP" \
    "$(text 'To: <s@src.test>' | row)" ""
eq "text, no recipient, To:" \
    "$(text "To: <$from>" | row | cut -d, -f1,2,4)" \
    '"B+x-y=z@v.test","failed","bad-mailbox"'
eq "text, Delivered-To: before To:" \
    "$(text "Delivered-To: $from
To: <s@src.test>" | row | cut -d, -f1)" '"B+x-y=z@v.test"'
eq "text, --rcpt" \
    "$(text 'To: <s@src.test>' | row --rcpt "$from" | cut -d, -f1)" \
    '"B+x-y=z@v.test"'
text "To: <$from>" | "$BOUNCE" -C "$QC" -c "$CATS" --inbound 2>"$T/err" ||
    fail "journaling: $(cat "$T/err")"
eq "journaled: the original recipient" "$(jfield bounced rcpt)" \
    "B+x-y=z@v.test"

# Tampered: one character of the tag, or of the recipient, changed.
case $from in
*a@bnc.example.test)	bad_tag=$(echo "$from" | sed 's/.@bnc/b@bnc/') ;;
*)			bad_tag=$(echo "$from" | sed 's/.@bnc/a@bnc/') ;;
esac
bad_rcpt=$(echo "$from" | sed 's/-B/-C/')
for bad in "$bad_tag" "$bad_rcpt"; do
	dsn B+x-y=z@v.test | "$BOUNCE" -C "$QC" -c "$CATS" --rcpt "$bad" \
	    --inbound --print >"$T/out" 2>"$T/err"
	eq "tampered $bad: exit" "$?" 65
	eq "tampered $bad: no output" "$(cat "$T/out")" ""
	grep -q 'has a bad tag: not a bounce of ours, refused' "$T/err" ||
	    fail "tampered $bad: $(cat "$T/err")"
done
text "To: <$bad_tag>" | "$BOUNCE" -C "$QC" -c "$CATS" --inbound >/dev/null 2>&1
eq "tampered To:, journaling: exit" "$?" 65
eq "tampered: nothing journaled" "$(jcount bounced)" 1
# without a key no address is ours; under another key it is forged
mv "$QS/verp.key" "$T/key"
eq "no key: not decoded" "$(text "To: <$from>" | row)" ""
head -c 32 /dev/urandom >"$QS/verp.key"
dsn B+x-y=z@v.test | "$BOUNCE" -C "$QC" -c "$CATS" --rcpt "$from" \
    --inbound --print >/dev/null 2>&1
eq "another key: exit" "$?" 65
finish
