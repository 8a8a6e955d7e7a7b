#!/bin/sh
# 53-smtpd-config: what mta-smtpd takes from the config beyond 50-smtpd:
# the seed guides' auth-plain file of crypt(3) hashes (in
# <accepted-connect> and <smtp-server>), <smtp-server> settings,
# hide-message-source, smtp-max-auth-failure-rate across connections,
# max-errors-per-connection (where the directive table allows it in
# <source>), and SIGHUP: a new host name, listeners added and removed,
# sessions that span the reload, a broken config refused and the running
# one kept.
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
H=$TOP/tests/integ/smtpd
PY="/usr/bin/python3 -B"	# no __pycache__ in the tree
export H
P=2574		# ports 25740-25749

b64() { printf "$1" | base64 | tr -d '\n'; }
ALICE_OK=$(b64 '\000alice\000pw1')
ALICE_BAD=$(b64 '\000alice\000pw2')
BOB_OK=$(b64 '\000bob\000pw2')
CAROL=$(b64 '\000carol\000x')
NOBODY=$(b64 '\000nobody\000pw1')

# alice: SHA-512 crypt of "pw1"; bob: SHA-256 crypt of "pw2"
cat >"$T/passwd" <<'EOF'
# user:hash, as the seed guides write them
alice:$6$abcdefgh$BOw/nV5aU2HJ8o7otKMCN5S.MoSoxPoAUYewKjq5oSqs8UMghGB3x4G4HaPK7NZqL54npGT9hs/qRSokU.4Qt/

bob:$5$saltsalt$ZI/6D8IUtprIPT0oSEShQnlsdN7tuxxKSSObpb/Yq89:1000:extra
carol:*
EOF

# Does the directive table take max-errors-per-connection in <source>?
printf 'spool %s\n<source 127.0.0.9>\n    max-errors-per-connection 2\n</source>\n' \
    "$T/x" >"$T/probe.conf"
if "$CTL" -C "$T/probe.conf" check-config >/dev/null 2>&1; then
	MAXERR="<source 127.0.0.9>
    max-errors-per-connection 2
</source>"
else
	MAXERR=
	echo "note: max-errors-per-connection not allowed in <source> by" \
	    "lib/conf_directives.h: its checks are skipped"
fi

newspool "$T/s" <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:${P}0
<smtp-server>
    auth-plain $T/passwd
    allow-unencrypted-plain yes
    max-smtp-in 20
</smtp-server>
<accepted-connect 127.0.0.1>
    allow-submission yes
    require-auth yes
    auth-plain $T/passwd
</accepted-connect>
<accepted-connect 127.0.0.4>
    auth-plain $T/missing
</accepted-connect>
<source 127.0.0.5>
    always-allow-relaying yes
    hide-message-source yes
</source>
<source 127.0.0.6/31>
    smtp-max-auth-failure-rate 1/h
</source>
$MAXERR
EOF
C=$T/s/mta.conf
S=$T/s/spool
cp "$C" "$T/first.conf"

: >"$T/log"
"$SMTPD" -C "$C" 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; wait $pid 2>/dev/null; $on_exit"
# waitlog PATTERN [COUNT]: until the log has COUNT lines matching (5 s)
waitlog() {
	_i=0
	while [ "$(grep -c "$1" "$T/log")" -lt "${2:-1}" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}
waitlog "listening on 127.0.0.1:${P}0"
eq "started" "$(grep -c 'listening on' "$T/log")" 1

# talk NAME SRC EXPECTED [PORT]: the dialogue on stdin, replies compared
talk() {
	_got=$($PY "$H/talk.py" 127.0.0.1 "${4:-${P}0}" "$2" 2>&1 |
	    sed 's/queued as [0-9a-f]*/queued as ID/')
	eq "$1" "$_got" "$3"
}
newest() {
	ls -t "$S/new" | head -n 1
}

# --- auth-plain ----------------------------------------------------------

talk "auth-plain: crypt(3) hashes" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 HELP
530 5.7.0 Authentication required
535 5.7.8 Error: authentication failed
535 5.7.8 Error: authentication failed
334 VXNlcm5hbWU6
334 UGFzc3dvcmQ6
235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
221 2.0.0 Bye" <<EOF
EHLO a.test
MAIL FROM:<a@x.test>
AUTH PLAIN $ALICE_BAD
AUTH PLAIN $NOBODY
AUTH LOGIN
$(b64 bob)
$(b64 pw2)
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
DATA
Subject: by bob

x
.
QUIT
EOF
eq "auth-plain: the user in the envelope" "$(record "$S/new/$(newest)" auth)" bob
eq "auth-plain: failures logged" "$(grep -c 'auth failed client=127.0.0.1' "$T/log")" 2

talk "auth-plain: locked and malformed entries" 127.0.0.1 \
"220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
235 2.7.0 Authentication successful
221 2.0.0 Bye" <<EOF
EHLO a.test
AUTH PLAIN $CAROL
AUTH PLAIN $BOB_OK
QUIT
EOF

swaks --server 127.0.0.1:${P}0 --auth PLAIN --auth-user alice \
    --auth-password pw1 --from a@x.test --to b@y.test >"$T/sw" 2>&1
eq "swaks AUTH PLAIN with a SHA-512 hash: 235" \
    "$(grep -c '^<-  235 2.7.0' "$T/sw")" 1
eq "swaks AUTH PLAIN: queued" "$(grep -c '^<-  250 2.0.0 Ok: queued' "$T/sw")" 1

# 127.0.0.2: no <accepted-connect>, so <smtp-server>'s file; no relay
talk "auth-plain of <smtp-server>" 127.0.0.2 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
550 5.7.1 <b@y.test>: Relay access denied
250 2.0.0 Ok
235 2.7.0 Authentication successful
250 2.1.0 Ok
250 2.1.5 Ok
221 2.0.0 Bye" <<EOF
EHLO a.test
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
RSET
AUTH PLAIN $ALICE_OK
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
QUIT
EOF
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 \
    --quit-after EHLO >"$T/sw" 2>&1
eq "EHLO offers AUTH (allow-unencrypted-plain of <smtp-server>)" \
    "$(grep -c '^<-  250-AUTH PLAIN LOGIN$' "$T/sw")" 1

talk "auth-plain: unreadable file is a temporary failure" 127.0.0.4 \
"220 mx.test ESMTP mta-smtpd
250 HELP
454 4.7.0 Temporary authentication failure
221 2.0.0 Bye" <<EOF
EHLO a.test
AUTH PLAIN $ALICE_OK
QUIT
EOF
eq "auth-plain: unreadable file logged" \
    "$(grep -c "auth-plain $T/missing: No such file" "$T/log")" 1

# --- hide-message-source -------------------------------------------------

talk "hide-message-source: message" 127.0.0.5 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
221 2.0.0 Bye" <<'EOF'
EHLO secret-client.test
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
DATA
Subject: hidden

x
.
QUIT
EOF
F=$S/new/$(newest)
match "hide-message-source: Received" "$(header "$F" | head -n 1)" \
    "Received: by mx.test (mta-smtpd) with ESMTP;"
eq "hide-message-source: no client name or address" \
    "$(message "$F" | grep -c 'secret-client\|127\.0\.0\.5')" 0
eq "hide-message-source: intact" "$(intact "$F")" ok

# --- smtp-max-auth-failure-rate -------------------------------------------

talk "auth failure rate: second failure closes" 127.0.0.6 \
"220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
421 4.7.0 mx.test Error: too many failed authentications" <<EOF
EHLO a.test
AUTH PLAIN $ALICE_BAD
AUTH PLAIN $ALICE_BAD
EOF
talk "auth failure rate: held across connections" 127.0.0.6 \
"220 mx.test ESMTP mta-smtpd
250 HELP
421 4.7.0 mx.test Error: too many failed authentications" <<EOF
EHLO a.test
AUTH PLAIN $ALICE_BAD
EOF
talk "auth failure rate: per client address" 127.0.0.7 \
"220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
235 2.7.0 Authentication successful
221 2.0.0 Bye" <<EOF
EHLO a.test
AUTH PLAIN $ALICE_BAD
AUTH PLAIN $ALICE_OK
QUIT
EOF
talk "auth failures: three end a session without a rate" 127.0.0.2 \
"220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
535 5.7.8 Error: authentication failed
421 4.7.0 mx.test Error: too many failed authentications" <<EOF
EHLO a.test
AUTH PLAIN $ALICE_BAD
AUTH PLAIN $ALICE_BAD
AUTH PLAIN $ALICE_BAD
EOF

# --- max-errors-per-connection ---------------------------------------------

if [ -n "$MAXERR" ]; then
	talk "max-errors-per-connection 2" 127.0.0.9 \
"220 mx.test ESMTP mta-smtpd
500 5.5.1 Error: command not recognized
500 5.5.1 Error: command not recognized
421 4.7.0 mx.test Error: too many errors" <<'EOF'
BOGUS
BOGUS
NOOP
EOF
fi
# the default: 20
{ i=0; while [ $i -lt 19 ]; do echo BOGUS; i=$((i + 1)); done; echo NOOP
  echo BOGUS; echo NOOP; } >"$T/bogus"
got=$($PY "$H/talk.py" 127.0.0.1 "${P}0" 127.0.0.2 <"$T/bogus" | tail -n 3)
eq "max errors: 20 by default" "$got" "250 2.0.0 Ok
500 5.5.1 Error: command not recognized
421 4.7.0 mx.test Error: too many errors"

# --- SIGHUP ----------------------------------------------------------------

# A session opened before the reload and finished after it.
$PY - 127.0.0.1 "${P}0" "$T/span.fifo" >"$T/span.out" 2>&1 <<'EOF' &
import os, sys, time
sys.path.insert(0, os.environ["H"])
from smtpc import Client
c = Client(sys.argv[1], int(sys.argv[2]), "127.0.0.5")
out = [c.reply()]
c.send(b"EHLO span.test\r\n"); out.append(c.reply())
c.send(b"MAIL FROM:<a@x.test>\r\n"); out.append(c.reply())
open(sys.argv[3] + ".ready", "w").close()
for _ in range(100):		# until the reload is done (10 s)
    if os.path.exists(sys.argv[3] + ".go"):
        break
    time.sleep(0.1)
c.send(b"RCPT TO:<b@y.test>\r\nDATA\r\n"); out.append(c.reply()); out.append(c.reply())
c.send(b"Subject: span\r\n\r\nx\r\n.\r\n"); out.append(c.reply())
c.send(b"QUIT\r\n"); out.append(c.reply())
for r in out:
    print(r.decode().split("\n")[-1].split(" queued as")[0])
EOF
span=$!
i=0
while [ ! -e "$T/span.fifo.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

sed -e "s/^host-name mx.test/host-name mx2.test/" \
    -e "s/^smtp-listener 127.0.0.1:${P}0/smtp-listener 127.0.0.1:${P}1/" \
    "$T/first.conf" >"$C"
kill -HUP $pid
waitlog "reload: .* loaded"
waitlog "listening on 127.0.0.1:${P}1"
eq "reload: logged" "$(grep -c 'reload: .* loaded' "$T/log")" 1
eq "reload: new listener" "$(grep -c "listening on 127.0.0.1:${P}1" "$T/log")" 1
eq "reload: old listener closed" \
    "$(grep -c "stopped listening on 127.0.0.1:${P}0" "$T/log")" 1
talk "reload: the new host name on the new listener" 127.0.0.2 \
"220 mx2.test ESMTP mta-smtpd
221 2.0.0 Bye" "${P}1" <<'EOF'
QUIT
EOF
got=$($PY "$H/talk.py" 127.0.0.1 "${P}0" 127.0.0.2 </dev/null 2>&1 | tail -n 1)
match "reload: removed listener refuses" "$got" "*efused*"

: >"$T/span.fifo.go"
wait $span
eq "reload: a session spans it" "$(cat "$T/span.out")" "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok:
221 2.0.0 Bye"

# Both listeners, then a broken config: refused, the running one kept.
printf 'smtp-listener 127.0.0.1:%s\n' "${P}0" >>"$C"
kill -HUP $pid
waitlog "reload: .* loaded" 2
waitlog "info: listening on 127.0.0.1:${P}0" 2
eq "reload: listener back" "$(grep -c "info: listening on 127.0.0.1:${P}0" "$T/log")" 2
eq "reload: kept listener not reopened" \
    "$(grep -c "info: listening on 127.0.0.1:${P}1" "$T/log")" 1
cp "$C" "$T/good.conf"
echo "max-smtp-in lots" >>"$C"
kill -HUP $pid
waitlog "refused, the running config kept"
eq "reload: broken config refused" \
    "$(grep -c 'refused, the running config kept' "$T/log")" 1
talk "reload: still serving the last good config" 127.0.0.2 \
"220 mx2.test ESMTP mta-smtpd
221 2.0.0 Bye" "${P}1" <<'EOF'
QUIT
EOF
kill -0 $pid 2>/dev/null
eq "server alive" $? 0

kill $pid
wait $pid
eq "clean exit" $? 0
eq "no crash in the log" "$(grep -c 'fatal\|panic\|Sanitizer' "$T/log")" 0
finish
