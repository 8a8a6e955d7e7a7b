#!/bin/sh
# 73-dsn-delay: delay notices (notify-of-delay-every).  An MX answers 451
# to every RCPT; with notify-of-delay-every 3s a recipient without NOTIFY
# gets a DSN with Action: delayed once each 3 s it waits, a multipart/
# report that Python's email package parses (Status 4.x.x, the 451 as
# Diagnostic-Code, Will-Retry-Until); NOTIFY=NEVER and NOTIFY=SUCCESS
# get none; a recipient whose MX does not answer (no attempt counted)
# gets them too; dsn-format text makes a text/plain notice, and a
# message to a domain of each format gets one notice of each; a restart of
# mta-queue right after a notice does not send that period's notice
# again (each notice's period, from the journal's "delayed" records, is
# a different one), and the notices received are the ones journaled.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
DSN_PORT=26300
. "$TOP/tests/integ/queue/lib.sh"

qinit <<'EOF2'
host-name mta.example.test
<domain d.test>
	smtp-hosts [127.0.0.1]:26301
	retry-after 1s
	notify-of-delay-every 3s
	bounce-after 1h
</domain>
<domain down.test>
	smtp-hosts [127.0.0.1]:26302
	retry-after 1s
	notify-of-delay-every 3s
</domain>
<domain t.test>
	smtp-hosts [127.0.0.1]:26301
	retry-after 1s
	notify-of-delay-every 3s
	dsn-format text
</domain>
EOF2

start_mx 127.0.0.1:26301 --reply 'RCPT:451 4.2.0 mailbox busy, try later' ||
    exit 1
qstart || exit 1
inj 1 a@d.test
inj 1 -N NEVER n@d.test
inj 1 -N SUCCESS s@d.test
inj 1 x@t.test
inj 1 u@down.test
inj 1 m1@d.test m2@t.test
wait_j delayed 5 8 || fail "no delay notices journaled ($(jcount delayed))"
# right after the first notices, within their period: restart
qstop
eq "SIGTERM: exit" "$QRC" 0
qstart || exit 1
# past the end of the second period: one more notice each
wait_j delayed 10 8 || fail "second period: $(jcount delayed) notices"
mx_wait "$DSN_PORT" messages 10 ||
    fail "DSN MX: $(mx_stat "$DSN_PORT" messages) messages"
qstop
eq "second SIGTERM: exit" "$QRC" 0

# The periods of the notices: no period twice for a recipient.
periods=$(cat "$QS"/log/* | grep '^delayed ' | awk '{
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		v[kv[1]] = kv[2]
	}
	print v["rcpt"], int((v["logged"] - v["queued"]) / 3)
}' | sort)
uniq=$(echo "$periods" | sort -u)
eq "a period notified once" "$periods" "$uniq"
eq "notices for a@d.test, m1@d.test, m2@t.test, u@down.test and \
x@t.test only" \
    "$(echo "$periods" | cut -d' ' -f1 | sort -u | tr '\n' ' ')" \
    "a@d.test m1@d.test m2@t.test u@down.test x@t.test "
eq "delayed records name the DSN action" \
    "$(jfield delayed dsn-action | sort -u)" delayed

# What arrived at the senders' MX, as Python's email package reads it.
eq "notices received are those journaled" \
    "$(mx_stat "$DSN_PORT" messages)" "$(jcount delayed)"
/usr/bin/python3 - "$T/dsn" >"$T/got" 2>&1 <<'EOF2'
import email, email.utils, os, re, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    m = email.message_from_bytes(open(os.path.join(d, name), 'rb').read())
    defects = sum(len(p.defects) for p in m.walk())
    ct = m.get_content_type()
    if ct == 'multipart/report':
        parts = m.get_payload()
        b = parts[1].get_payload()
        r = b[1]
        until = email.utils.parsedate_to_datetime(r['Will-Retry-Until'])
        print('report', m.get_param('report-type'), len(parts),
            parts[1].get_content_type(), r['Final-Recipient'],
            r['Action'], r['Status'][:2],
            ' '.join(r['Diagnostic-Code'].split()), until is not None,
            m['Subject'], 'defects=%d' % defects)
    else:
        body = m.get_payload()
        fr = re.search(r'^Final-Recipient: (.*?)\r?$', body, re.M)
        ac = re.search(r'^Action: (.*?)\r?$', body, re.M)
        print('text', ct, fr.group(1), ac.group(1),
            'multipart' in body.lower(), 'defects=%d' % defects)
EOF2
sort "$T/got" | uniq -c | sed 's/^ *//' >"$T/got.u"
eq "notices: 5 kinds" "$(wc -l <"$T/got.u")" 5
match "rfc3464 delay notice" "$(grep ' a@d.test ' "$T/got.u")" \
    "2 report delivery-status 3 message/delivery-status rfc822; a@d.test \
delayed 4. smtp; 451 4.2.0 mailbox busy, try later True Delayed Mail \
(still being retried) defects=0"
match "unreachable MX: delay notice" "$(grep ' u@down.test ' "$T/got.u")" \
    "2 report delivery-status 3 message/delivery-status rfc822; \
u@down.test delayed 4. X-mta; connect to 127.0.0.1:26302: * True Delayed Mail (still being retried) \
defects=0"
match "text delay notice" "$(grep ' x@t.test ' "$T/got.u")" \
    "2 text text/plain rfc822; x@t.test delayed False defects=0"
# one message, two domains, two formats: a notice in each
match "two formats: rfc3464" "$(grep ' m1@d.test ' "$T/got.u")" \
    "2 report delivery-status 3 message/delivery-status rfc822; m1@d.test *"
match "two formats: text" "$(grep ' m2@t.test ' "$T/got.u")" \
    "2 text text/plain rfc822; m2@t.test delayed False defects=0"
eq "NEVER, SUCCESS: none" "$(grep -c '[ns]@d.test' "$T/got")" 0
# still queued: the 451 is not final
eq "nothing failed" "$(jcount failed)$(jcount expired)" 00
finish
