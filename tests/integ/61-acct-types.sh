#!/bin/sh
# 61-acct-types: the record types besides d, b and t, and pipes that
# misbehave.
#  - mta-inject and mta-smtpd copy the header fields record-fields names
#    into the envelope (unfolded, 8-bit, commas and quotes, cut at 256
#    bytes);
#    mta-queue journals a "received" record per recipient, and a
#    "qdeferred" one per failed connection (refused; 421 greeting);
#    mta-bounce --inbound a "bounced" and a "status" record, in a
#    segment of its own while mta-queue's is open; mta-acct makes r, d,
#    tq, rb and rs rows with header_X columns, read with Python's csv;
#  - a pipe command that never reads holds up neither a file nor another
#    command; one stuck until write-timeout is killed, started again
#    after retry-interval, and gets every record.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
DSN_PORT=26400
. "$TOP/tests/integ/queue/lib.sh"

ACCT=$TOP/cmd/mta-acct/mta-acct
BOUNCE=$TOP/cmd/mta-bounce/mta-bounce
GEN="python3 $TOP/tests/integ/acct/gen.py"
VERIFY="python3 $TOP/tests/integ/acct/verify.py"
export TZ=UTC

# --- r, d, tq, rb, rs rows and header_X columns, from the real programs
qinit <<EOF
host-name mta.example.test
run-as-root yes
smtp-listener 127.0.0.1:26404
<source 127.0.0.1>
	always-allow-relaying yes
</source>
<domain ok.test>
	smtp-hosts [127.0.0.1]:26401
</domain>
<domain down.test>
	smtp-hosts [127.0.0.1]:26402
	retry-after 1h
</domain>
<domain busy.test>
	smtp-hosts [127.0.0.1]:26403
	retry-after 1h
</domain>
<acct-file $T/all.csv>
	records r,d,tq,rb,rs
	record-fields r rcpt,orig,srcType,srcMta,dlvSize,jobId,header_X-Campaign,header_X-Tag,header_X-Big,header_X-None
	record-fields d rcpt,dsnStatus,jobId,header_X-Campaign
	record-fields tq queue,dsnStatus,dsnDiag
	record-fields rb rcpt,dsnAction,dsnStatus,bounceCat
	record-fields rs rcpt,dsnAction,dsnStatus,bounceCat
</acct-file>
EOF
start_mx 127.0.0.1:26401 || exit 1
start_mx 127.0.0.1:26403 --reply 'CONNECT:421 4.3.2 too busy' || exit 1
qstart || exit 1
big=$(rep a 300)
printf 'Subject: one\r\nX-Campaign: spring, "sale"\r\n\tfolded\r\nX-Tag: caf\303\251 \r\nX-Big: %s\r\nX-Job: j-42\r\n\r\nbody\r\n' \
    "$big" | "$INJECT" -C "$QC" -f s@src.test -J j-42 a@ok.test b@ok.test \
    >/dev/null || fail "inject one"
printf 'Subject: two\r\n\r\nbody\r\n' |
    "$INJECT" -C "$QC" -f s@src.test c@down.test d@busy.test >/dev/null ||
    fail "inject two"
# the same copy by mta-smtpd
"$TOP/cmd/mta-smtpd/mta-smtpd" -C "$QC" 2>"$T/smtpd.log" &
spid=$!
on_exit="kill $spid 2>/dev/null; $on_exit"
wait_until "grep -q 'listening on 127.0.0.1:26404' $T/smtpd.log" 10 ||
    fail "mta-smtpd did not start"
python3 -c 'import smtplib
with smtplib.SMTP("127.0.0.1", 26404, timeout=10) as c:
    c.sendmail("s@src.test", ["e@ok.test"],
               b"Subject: three\r\nX-Campaign: by smtp\r\n\r\nbody\r\n")' ||
    fail "smtp submission"
kill "$spid"
wait_j delivered 3 10 || fail "no deliveries"
wait_until '[ "$(jcount qdeferred)" -ge 2 ]' 10 ||
    fail "no qdeferred records"
eq "received records" "$(jcount received)" 5
eq "header keys in the journal" \
    "$(jfield received header-x-campaign | sort -u)" \
    'by%20smtp
spring,%20"sale"%09folded'
run_bounce() {
	"$BOUNCE" -c "$TOP/etc/bounce-categories" -q "$QS" --inbound \
	    <"$TOP/tests/integ/bounce/dsn.eml" >/dev/null 2>"$T/bounce.err"
}
run_bounce || fail "mta-bounce: $(cat "$T/bounce.err")"

"$ACCT" -C "$QC" 2>"$T/acct.err" &
apid=$!
on_exit="kill $apid 2>/dev/null; $on_exit"
cat >"$T/rows.py" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8'),
                       strict=True))
head = rows[0]
for r in rows[1:]:
    c = dict(zip(head, r))
    t = c['type']
    keys = {'r': ['rcpt', 'orig', 'srcType', 'srcMta', 'dlvSize', 'jobId',
                  'header_X-Campaign', 'header_X-Tag', 'header_X-Big',
                  'header_X-None'],
            'd': ['rcpt', 'dsnStatus', 'jobId', 'header_X-Campaign'],
            'tq': ['queue', 'dsnStatus', 'dsnDiag'],
            'rb': ['rcpt', 'dsnAction', 'dsnStatus', 'bounceCat'],
            'rs': ['rcpt', 'dsnAction', 'dsnStatus', 'bounceCat']}[t]
    print(t + ' ' + ' | '.join(
        '%s=%s' % (k, (c[k] if k != 'header_X-Big' else
                       'a*%d' % len(c[k]) if set(c[k]) == {'a'} else c[k]))
        for k in keys if c[k] != ''))
EOF
wait_until '[ "$(python3 "$T/rows.py" "$T/all.csv" 2>/dev/null | wc -l)" -ge 11 ]' 10 ||
    fail "mta-acct did not write 11 rows: $(cat "$T/acct.err")"
python3 "$T/rows.py" "$T/all.csv" | sed 's/dlvSize=[0-9]*/dlvSize=N/' |
    sort -u >"$T/rows"
cat >"$T/rows.want" <<'EOF'
d rcpt=a@ok.test | dsnStatus=2.0.0 (success) | jobId=j-42 | header_X-Campaign=spring, "sale"	folded
d rcpt=b@ok.test | dsnStatus=2.0.0 (success) | jobId=j-42 | header_X-Campaign=spring, "sale"	folded
r rcpt=a@ok.test | orig=s@src.test | srcType=pickup | dlvSize=N | jobId=j-42 | header_X-Campaign=spring, "sale"	folded | header_X-Tag=café | header_X-Big=a*256
r rcpt=b@ok.test | orig=s@src.test | srcType=pickup | dlvSize=N | jobId=j-42 | header_X-Campaign=spring, "sale"	folded | header_X-Tag=café | header_X-Big=a*256
r rcpt=c@down.test | orig=s@src.test | srcType=pickup | dlvSize=N
r rcpt=e@ok.test | orig=s@src.test | srcType=smtp | srcMta=127.0.0.1 | dlvSize=N | header_X-Campaign=by smtp
d rcpt=e@ok.test | dsnStatus=2.0.0 (success) | header_X-Campaign=by smtp
r rcpt=d@busy.test | orig=s@src.test | srcType=pickup | dlvSize=N
rb rcpt=bob@example.net | dsnAction=failed | dsnStatus=5.1.1 (bad destination mailbox address) | bounceCat=bad-mailbox
rs rcpt=carol@example.net | dsnAction=delayed | dsnStatus=4.2.2 (mailbox full) | bounceCat=quota-issues
tq queue=busy.test/{default} | dsnStatus=4.3.2 (system not accepting network messages) | dsnDiag=smtp;421 4.3.2 too busy
EOF
python3 "$T/rows.py" "$T/all.csv" | grep '^tq queue=down' | head -n 1 |
    sed 's/dsnDiag=.*/dsnDiag=/' >>"$T/rows.want.down"
sort "$T/rows.want" >"$T/rows.want.sorted"
grep -v '^tq queue=down' "$T/rows" >"$T/rows.nodown"
same "r, d, tq, rb, rs rows" "$T/rows.nodown" "$T/rows.want.sorted"
match "tq row of a refused connection" "$(cat "$T/rows.want.down")" \
    "tq queue=down.test/{default} | dsnStatus=4.*"
eq "mta-queue's segment still open" \
    "$(ls "$QS/log" | grep -c '^[0-9T.]*-[0-9]*\.jnl$')" 1
kill "$apid"
wait "$apid" 2>/dev/null
qstop

# --- pipes: one never reads, one is stuck once; a file beside them
P=$T/pipe
mkdir -p "$P/spool/log"
cat >"$P/stuck.sh" <<EOF
echo \$\$ >>$P/pids
exec sleep 30
EOF
cat >"$P/once.sh" <<EOF
echo \$\$ >>$P/pids
if mkdir $P/once.flag 2>/dev/null; then
	exec sleep 30
fi
exec cat >>$P/once.out
EOF
cat >"$P/mta.conf" <<EOF
spool $P/spool
<acct-file |sh $P/stuck.sh>
	records d,b,t
	write-timeout 1h
</acct-file>
<acct-file |sh $P/once.sh>
	records d,b,t
	write-timeout 1s
	retry-interval 1s
</acct-file>
<acct-file $P/reg.csv>
	records d,b,t
</acct-file>
EOF
$GEN "$P/spool/log" 3000 --per-seg 1000
"$ACCT" -C "$P/mta.conf" 2>"$P/err" &
apid=$!
on_exit="kill $apid 2>/dev/null; [ -f $P/pids ] && kill \$(cat $P/pids) 2>/dev/null; $on_exit"
wait_until "$VERIFY --count 3000 $P/reg.csv >/dev/null 2>&1" 10
eq "a file beside stuck commands gets every row" \
    "$($VERIFY --count 3000 "$P/reg.csv")" "ok 3000"
wait_until "$VERIFY --count 3000 --at-least-once $P/once.out >/dev/null 2>&1" 10
match "the command restarted gets every row" \
    "$($VERIFY --count 3000 --at-least-once "$P/once.out")" "ok 3[0-9][0-9][0-9]"
eq "killed after write-timeout, once" \
    "$(grep -c "once.sh\" pid=[0-9]* write-timeout: killed, restarting in 1s" "$P/err")" 1
eq "the other command is never killed" \
    "$(grep -c "stuck.sh\" pid=[0-9]* write-timeout" "$P/err")" 0
kill "$apid"
wait "$apid" 2>/dev/null
kill $(cat "$P/pids") 2>/dev/null

finish
