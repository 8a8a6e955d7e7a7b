#!/bin/sh
# 72-dsn: the DSNs lib/dsn makes, parsed back by another implementation.
# tests/unit/dsn_test writes every report it builds (failures, delays,
# expiry, RET=FULL and HDRS, text format, hostile originals: 8-bit
# header, 300 KB of header, no Message-ID, no header, a NUL, xtext ENVID
# and ORCPT, a hostile diagnostic; and reports read back from a real
# spool) into a folder; Python's email package then parses each one and
# checks it against RFC 3464: multipart/report with report-type
# delivery-status, a text/plain part, a message/delivery-status part
# whose per-message and per-recipient fields are all there and well
# formed, and the original as text/rfc822-headers or message/rfc822;
# the top header (From, To, Subject, Date, Message-ID, Auto-Submitted);
# no parser defect, no line over 998 octets.
. "$TOP/tests/integ/lib/common.sh"

PY=/usr/bin/python3
OUT=$T/dsn
mkdir "$OUT" || exit 1

DSN_TEST_OUT=$OUT "$TOP/tests/unit/dsn_test" >"$T/unit" 2>&1
eq "dsn_test ran" "$(tail -n 1 "$T/unit")" "12 passed, 0 failed"
n=$(find "$OUT" -name '*.eml' | wc -l)
match "reports written" "$n" '2[0-9]'

if [ ! -x "$PY" ]; then
	fail "no $PY"
	finish
	exit
fi

cat >"$T/check.py" <<'EOF'
import email, email.utils, re, sys

STATUS = re.compile(r'^[245]\.[0-9]{1,3}\.[0-9]{1,3}$')
TYPED = re.compile(r'^[A-Za-z0-9-]+; ?\S')
XTEXT = re.compile(r'^[\x21-\x7e]*$')
PERMSG = {'reporting-mta', 'dsn-gateway', 'received-from-mta',
    'arrival-date', 'original-envelope-id'}
PERRCPT = {'original-recipient', 'final-recipient', 'action', 'status',
    'remote-mta', 'diagnostic-code', 'last-attempt-date',
    'final-log-id', 'will-retry-until'}
TEXT_FORMAT = {'text', 'config-text'}

def date_ok(v):
    try:
        return email.utils.parsedate_to_datetime(v) is not None
    except (TypeError, ValueError):
        return False

def check_fields(block, known, where):
    for k in block.keys():
        if k.lower() not in known and not k.lower().startswith('x-'):
            raise ValueError('%s: unknown field %s' % (where, k))
        if block.get_all(k) and len(block.get_all(k)) > 1:
            raise ValueError('%s: %s twice' % (where, k))
        if not XTEXT.match(str(block[k]).replace(' ', '').replace(
                '\t', '').replace('\r', '').replace('\n', '')):
            raise ValueError('%s: %s not ASCII' % (where, k))

def check_rcpt(r, delay, i):
    where = 'recipient %d' % i
    check_fields(r, PERRCPT, where)
    for k in ('Final-Recipient', 'Action', 'Status'):
        if r[k] is None:
            raise ValueError('%s: no %s' % (where, k))
    if not re.match(r'^rfc822; ?\S+@\S+$', r['Final-Recipient']):
        raise ValueError('%s: Final-Recipient %r' % (where,
            r['Final-Recipient']))
    if r['Original-Recipient'] is not None and not re.match(
            r'^rfc822; ?\S+$', r['Original-Recipient']):
        raise ValueError('%s: Original-Recipient' % where)
    act, st = r['Action'].strip(), r['Status'].strip()
    if act != ('delayed' if delay else 'failed'):
        raise ValueError('%s: Action %s' % (where, act))
    if not STATUS.match(st):
        raise ValueError('%s: Status %s' % (where, st))
    if delay and st[0] != '4' or not delay and st[0] not in '45':
        raise ValueError('%s: Status %s with %s' % (where, st, act))
    for k in ('Remote-MTA', 'Diagnostic-Code'):
        if r[k] is not None and not TYPED.match(
                re.sub(r'\s+', ' ', r[k])):
            raise ValueError('%s: %s %r' % (where, k, r[k]))
    for k in ('Last-Attempt-Date', 'Will-Retry-Until'):
        if r[k] is not None and not date_ok(r[k]):
            raise ValueError('%s: %s %r' % (where, k, r[k]))
    if r['Will-Retry-Until'] is not None and not delay:
        raise ValueError('%s: Will-Retry-Until when failed' % where)

def check(name, data):
    for n, line in enumerate(data.split(b'\r\n')):
        if len(line) > 998:
            raise ValueError('line %d: %d octets' % (n, len(line)))
    m = email.message_from_bytes(data)
    for part in m.walk():
        if part.defects:
            raise ValueError('defects: %r' % part.defects)
    for k in ('From', 'To', 'Subject', 'Date', 'Message-ID',
            'Auto-Submitted', 'MIME-Version'):
        if m[k] is None:
            raise ValueError('no %s' % k)
    if not date_ok(m['Date']):
        raise ValueError('Date %r' % m['Date'])
    if m['Auto-Submitted'] != 'auto-replied':
        raise ValueError('Auto-Submitted %s' % m['Auto-Submitted'])
    if not re.match(r'^<[^<>@\s]+@[^<>@\s]+>$', m['Message-ID']):
        raise ValueError('Message-ID %s' % m['Message-ID'])
    delay = m['Subject'] == 'Delayed Mail (still being retried)'
    if not delay and m['Subject'] != 'Undelivered Mail Returned to Sender':
        raise ValueError('Subject %s' % m['Subject'])
    if name in TEXT_FORMAT:
        if m.get_content_type() != 'text/plain':
            raise ValueError('text format: %s' % m.get_content_type())
        if 'Final-Recipient: rfc822;' not in m.get_payload():
            raise ValueError('text format: no Final-Recipient')
        return
    if m.get_content_type() != 'multipart/report':
        raise ValueError('type %s' % m.get_content_type())
    if m.get_param('report-type') != 'delivery-status':
        raise ValueError('report-type %s' % m.get_param('report-type'))
    parts = m.get_payload()
    if len(parts) != 3:
        raise ValueError('%d parts' % len(parts))
    if parts[0].get_content_type() != 'text/plain':
        raise ValueError('part 1 %s' % parts[0].get_content_type())
    if parts[1].get_content_type() != 'message/delivery-status':
        raise ValueError('part 2 %s' % parts[1].get_content_type())
    blocks = parts[1].get_payload()
    if len(blocks) < 2:
        raise ValueError('%d delivery-status blocks' % len(blocks))
    permsg = blocks[0]
    check_fields(permsg, PERMSG, 'per-message')
    if not re.match(r'^dns; \S+$', permsg['Reporting-MTA'] or ''):
        raise ValueError('Reporting-MTA %r' % permsg['Reporting-MTA'])
    if permsg['Arrival-Date'] is not None and not date_ok(
            permsg['Arrival-Date']):
        raise ValueError('Arrival-Date')
    for i, r in enumerate(blocks[1:]):
        check_rcpt(r, delay, i)
    ctype = parts[2].get_content_type()
    if ctype == 'message/rfc822':
        inner = parts[2].get_payload()[0]
        if not inner.keys():
            raise ValueError('message/rfc822 without a header')
    elif ctype == 'text/rfc822-headers':
        body = parts[2].get_payload(decode=True) or b''
        if len(body) > 64 * 1024 + 4:
            raise ValueError('header part of %d bytes' % len(body))
        if b'\r\n\r\n' in body.rstrip(b'\r\n'):
            raise ValueError('header part holds a body')
    else:
        raise ValueError('part 3 %s' % ctype)
    return len(blocks) - 1

for path in sys.argv[1:]:
    name = path.rsplit('/', 1)[-1][:-4]
    try:
        with open(path, 'rb') as f:
            n = check(name, f.read())
        print('pass %s %s' % (name, n))
    except Exception as e:
        print('fail %s: %s' % (name, e))
EOF

"$PY" "$T/check.py" "$OUT"/*.eml >"$T/py" 2>&1
while read -r verdict rest; do
	case $verdict in
	pass)	pass ;;
	*)	fail "$verdict $rest" ;;
	esac
done <"$T/py"
eq "python verdicts" "$(wc -l <"$T/py")" "$n"

# Reports the checker must tell about: the check itself can fail.
sed 's/^Action: failed/Action: bogus/' "$OUT/failure.eml" >"$T/bad1.eml"
sed 's/^Final-Recipient:.*/X-Nothing: 1/' "$OUT/failure.eml" >"$T/bad2.eml"
sed 's/^Status: 5.1.1/Status: 5.1/' "$OUT/failure.eml" >"$T/bad3.eml"
sed 's/report-type=delivery-status/report-type=x/' "$OUT/failure.eml" \
    >"$T/bad4.eml"
for b in bad1 bad2 bad3 bad4; do
	match "checker refuses $b" "$("$PY" "$T/check.py" "$T/$b.eml")" \
	    "fail $b: *"
done

# What the named reports hold, as Python sees them.
recipients() {	# NAME: recipients of its report
	sed -n "s/^pass $1 //p" "$T/py"
}
eq "delay: two recipients" "$(recipients delay)" 2
eq "spool report" "$(recipients spool)" 1
eq "huge header report" "$(recipients hugehead)" 1
"$PY" - "$OUT" >"$T/fields" <<'EOF'
import email, sys
d = sys.argv[1]
def ds(name):
    m = email.message_from_bytes(open('%s/%s.eml' % (d, name), 'rb').read())
    return m, m.get_payload()[1].get_payload()
m, b = ds('spool')
print('envid', b[0]['Original-Envelope-Id'])
print('orcpt', b[1]['Original-Recipient'])
print('to', m['To'])
print('ret', m.get_payload()[2].get_content_type())
m, b = ds('xtext')
print('xenvid', b[0]['Original-Envelope-Id'])
m, b = ds('expired')
print('expired', b[1]['Action'], b[1]['Status'])
m, b = ds('delay')
print('delay', b[1]['Action'], b[1]['Status'], b[2]['Status'])
m, b = ds('eightbit')
print('8bit', m['Content-Transfer-Encoding'],
    m.get_payload()[2]['Content-Transfer-Encoding'])
m, b = ds('hostile-diag')
print('diag', ' '.join(b[1]['Diagnostic-Code'].split()))
EOF
eq "ENVID" "$(sed -n 's/^envid //p' "$T/fields")" "ENV1"
eq "ORCPT" "$(sed -n 's/^orcpt //p' "$T/fields")" "rfc822;Bob@example.net"
eq "To" "$(sed -n 's/^to //p' "$T/fields")" "<alice@example.org>"
eq "RET=FULL" "$(sed -n 's/^ret //p' "$T/fields")" "message/rfc822"
eq "ENVID xtext" "$(sed -n 's/^xenvid //p' "$T/fields")" \
    "id+20with+20space+2Bplus+3D+C3+A9"
eq "expired" "$(sed -n 's/^expired //p' "$T/fields")" "failed 4.4.7"
eq "delay" "$(sed -n 's/^delay //p' "$T/fields")" "delayed 4.0.0 4.7.0"
eq "8bit" "$(sed -n 's/^8bit //p' "$T/fields")" "8bit 8bit"
eq "diagnostic" "$(sed -n 's/^diag //p' "$T/fields")" \
    "smtp; 550-5.1.1 first line Action: delivered 550 5.1.1 ?? bytes and \
controls"

finish
