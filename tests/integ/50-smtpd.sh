#!/bin/sh
# 50-smtpd: mta-smtpd on loopback, driven by swaks and by a byte-exact
# dialogue (smtpd/talk.py): every command and extension (EHLO, HELO,
# MAIL with SIZE/BODY/SMTPUTF8/RET/ENVID, RCPT with NOTIFY/ORCPT, DATA,
# BDAT, RSET, NOOP, VRFY, EXPN, HELP, QUIT), pipelining, the size,
# recipient and connection limits, relay control by source address
# (127.0.0.2 is outside the allowed block), smtp-service and
# require-auth, AUTH PLAIN and LOGIN (success, failure, refused without
# TLS), STARTTLS and implicit TLS with a certificate made here, command
# timeouts, one session under tcpserver (-s), and a full disk (452 4.3.1,
# nothing left in new/ or tmp/).

# The full disk is a tmpfs; as root it is mounted in a mount namespace
# of its own, which takes it away whatever happens to this script.
if [ -z "${IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare --mount --propagation private true 2>/dev/null; then
	IN_NS=1
	export IN_NS
	exec unshare --mount --propagation private sh "$0"
fi
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
H=$TOP/tests/integ/smtpd
PY="/usr/bin/python3 -B"	# no __pycache__ in the tree
P=2571		# ports 25710-25719

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
    { fail "openssl: no certificate"; finish; exit 1; }

newspool "$T/s" <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:${P}0
smtp-server-tls-certificate $T/cert.pem $T/key.pem
relay-domain open.test
<smtp-listener 127.0.0.1:${P}1>
    immediate-tls yes
</smtp-listener>
<source 0/0>
    always-allow-relaying no
</source>
<source 127.0.0.1>
    always-allow-relaying yes
</source>
<source 127.0.0.3>
    smtp-service no
</source>
<source 127.0.0.4>
    always-allow-relaying yes
    require-auth yes
</source>
<source 127.0.0.5>
    always-allow-relaying yes
    max-smtp-in 1
</source>
<source 127.0.0.6>
    always-allow-relaying yes
    max-message-size 2k
</source>
<source 127.0.0.7>
    always-allow-relaying yes
    max-rcpt-per-message 2
</source>
<source 127.0.0.8>
    allow-unencrypted-plain yes
</source>
<source 127.0.0.9>
    smtp-command-timeout 1s
</source>
<smtp-user alice>
    password s3cret
</smtp-user>
EOF
C=$T/s/mta.conf
S=$T/s/spool

: >"$T/log"
"$SMTPD" -C "$C" 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; wait $pid 2>/dev/null; $on_exit"
i=0
while ! grep -q "listening on 127.0.0.1:${P}1" "$T/log" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
eq "started" "$(grep -c 'listening on' "$T/log")" 2

# talk NAME SRC EXPECTED: the dialogue on stdin, replies compared
talk() {
	_got=$($PY "$H/talk.py" 127.0.0.1 "${P}0" "$2" |
	    sed 's/queued as [0-9a-f]*/queued as ID/')
	eq "$1" "$_got" "$3"
}

# newest: the file most recently committed to new/
newest() {
	ls -t "$S/new" | head -n 1
}

# --- every command ------------------------------------------------------

talk "commands" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 mx.test
250 2.0.0 Ok
252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery
502 5.5.1 Error: EXPN not available
214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH
503 5.5.1 Error: need MAIL command
503 5.5.1 Error: need MAIL command
250 2.1.0 Ok
503 5.5.1 Error: nested MAIL command
554 5.5.1 Error: no valid recipients
250 2.1.5 Ok
250 2.0.0 Ok
503 5.5.1 Error: need MAIL command
501 5.5.4 Syntax error: no parameters allowed
501 5.5.4 Syntax: HELO hostname
221 2.0.0 Bye" <<'EOF'
HELO client.test
NOOP
VRFY someone
EXPN list
HELP
RCPT TO:<b@y.test>
DATA
MAIL FROM:<a@x.test>
MAIL FROM:<a@x.test>
DATA
RCPT TO:<b@y.test>
RSET
RCPT TO:<b@y.test>
QUIT now
HELO
QUIT
EOF

$PY "$H/talk.py" 127.0.0.1 "${P}0" <<'EOF' >/dev/null
EOF
swaks --server 127.0.0.1:${P}0 --quit-after EHLO >"$T/sw" 2>&1
for ext in PIPELINING "SIZE 268435456" 8BITMIME ENHANCEDSTATUSCODES DSN \
    SMTPUTF8 CHUNKING STARTTLS; do
	eq "EHLO offers $ext" "$(grep -c "^<-  250[- ]$ext\$" "$T/sw")" 1
done
eq "no AUTH without TLS" "$(grep -c 'AUTH' "$T/sw")" 0

# --- a message, and what the spool holds ---------------------------------

talk "message" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
221 2.0.0 Bye" <<'EOF'
EHLO client.test
MAIL FROM:<a@x.test> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc+2Bd
RCPT TO:<b@y.test> NOTIFY=SUCCESS,failure ORCPT=rfc822;b+40y.test
RCPT TO:<c@Z.TEST>
DATA
Subject: hello

..leading dot
body
.
QUIT
EOF
F=$S/new/$(newest)
eq "message: sender" "$(record "$F" from)" "<a@x.test>"
eq "message: source" "$(record "$F" source)" "smtp%20127.0.0.1"
eq "message: ret" "$(record "$F" ret)" "hdrs"
eq "message: envid" "$(record "$F" envid)" "abc+d"
match "message: rcpt 1" "$(record "$F" rcpt | head -n 1)" \
    "*<b@y.test>*orcpt=rfc822;b@y.test*notify=SUCCESS,FAILURE*"
match "message: rcpt 2" "$(record "$F" rcpt | tail -n 1)" "*<c@z.test>"
eq "message: received" "$(header "$F" | head -n 2)" \
"Received: from client.test ([127.0.0.1])
	by mx.test (mta-smtpd) with ESMTP;"
eq "message: body, unstuffed" "$(message "$F" | tr -d '\r' |
    sed '1,/^$/d')" ".leading dot
body"
eq "message: intact" "$(intact "$F")" ok

# --- pipelining ----------------------------------------------------------

talk "pipelining" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
250 2.1.5 Ok
553 5.1.3 Bad recipient address syntax: missing @ in \"nodomain\"
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
250 2.0.0 Ok
250 2.1.0 Ok
250 2.0.0 Ok
221 2.0.0 Bye" <<'EOF'
<<PIPE EHLO p.test|MAIL FROM:<a@x.test>|RCPT TO:<b@y.test>|RCPT TO:<nodomain>|RCPT TO:<d@y.test>|DATA
Subject: pipelined

x
.
<<PIPE RSET|MAIL FROM:<>|RSET|QUIT
EOF
before=$(nfiles "$S/new")
swaks --server 127.0.0.1:${P}0 --from a@x.test --to b@y.test --pipeline \
    >"$T/sw" 2>&1
eq "swaks --pipeline: queued" "$(grep -c '^<-  250 2.0.0 Ok: queued as' \
    "$T/sw")" 1
eq "swaks --pipeline: one file" "$(nfiles "$S/new")" $((before + 1))

# --- limits --------------------------------------------------------------

talk "SIZE too big" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 HELP
552 5.3.4 Message size exceeds fixed limit
555 5.5.4 Unsupported option
555 5.5.4 Unsupported BODY type
501 5.5.4 Syntax error: parameter given twice
501 5.5.4 Bad NOTIFY parameter
221 2.0.0 Bye" <<'EOF'
EHLO s.test
MAIL FROM:<a@x.test> SIZE=999999999999
MAIL FROM:<a@x.test> FOO=bar
MAIL FROM:<a@x.test> BODY=BINARYMIME
MAIL FROM:<a@x.test> SIZE=1 SIZE=2
RCPT TO:<b@y.test> NOTIFY=NEVER,SUCCESS
QUIT
EOF
before=$(nfiles "$S/new")
{ printf 'Subject: big\n\n'; i=0; while [ $i -lt 40 ]; do rep x 99
    printf '\n'; i=$((i + 1)); done; } >"$T/big"
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.6 --from a@x.test \
    --to b@y.test --data "$T/big" >"$T/sw" 2>&1
eq "max-message-size: 552" "$(grep -c '^<\*\* 552 5.3.4' "$T/sw")" 1
eq "max-message-size: nothing queued" "$(nfiles "$S/new" "$S/tmp")" \
    "$before"

talk "max-rcpt-per-message" 127.0.0.7 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
452 4.5.3 Error: too many recipients
221 2.0.0 Bye" <<'EOF'
EHLO r.test
MAIL FROM:<a@x.test>
RCPT TO:<1@y.test>
RCPT TO:<2@y.test>
RCPT TO:<3@y.test>
QUIT
EOF

# max-smtp-in 1 for 127.0.0.5: a second session is refused while the
# first is open.
$PY "$H/talk.py" 127.0.0.1 "${P}0" 127.0.0.5 >"$T/first" <<'EOF' &
<<WAIT 1.5
EOF
first=$!
sleep 0.5
talk "max-smtp-in per source" 127.0.0.5 \
    "421 4.7.0 mx.test Error: too many connections from 127.0.0.5" </dev/null
kill $first 2>/dev/null
wait $first 2>/dev/null

# --- who may do what -----------------------------------------------------

talk "relay refused from 127.0.0.2" 127.0.0.2 "220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok
550 5.7.1 <b@y.test>: Relay access denied
250 2.1.5 Ok
221 2.0.0 Bye" <<'EOF'
EHLO outside.test
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
RCPT TO:<b@open.test>
QUIT
EOF
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 --from a@x.test \
    --to b@y.test >"$T/sw" 2>&1
eq "swaks from 127.0.0.2: relay denied" \
    "$(grep -c '^<\*\* 550 5.7.1 <b@y.test>: Relay access denied' "$T/sw")" 1
talk "smtp-service no" 127.0.0.3 \
    "554 5.7.1 mx.test Error: service not available to 127.0.0.3" </dev/null
talk "require-auth" 127.0.0.4 "220 mx.test ESMTP mta-smtpd
250 HELP
530 5.7.0 Authentication required
221 2.0.0 Bye" <<'EOF'
EHLO a.test
MAIL FROM:<a@x.test>
QUIT
EOF

# --- AUTH ----------------------------------------------------------------

talk "AUTH needs TLS" 127.0.0.2 "220 mx.test ESMTP mta-smtpd
250 HELP
538 5.7.11 Encryption required for requested authentication mechanism
221 2.0.0 Bye" <<'EOF'
EHLO a.test
AUTH PLAIN AGFsaWNlAHMzY3JldA==
QUIT
EOF
talk "AUTH PLAIN without TLS where allowed" 127.0.0.8 \
"220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
334 VXNlcm5hbWU6
501 5.7.0 Error: authentication aborted
504 5.5.4 Unrecognized authentication type
235 2.7.0 Authentication successful
503 5.5.1 Error: already authenticated
250 2.1.0 Ok
250 2.1.5 Ok
221 2.0.0 Bye" <<'EOF'
EHLO a.test
AUTH PLAIN AGFsaWNlAHdyb25n
AUTH LOGIN
*
AUTH CRAM-MD5
AUTH PLAIN AGFsaWNlAHMzY3JldA==
AUTH PLAIN AGFsaWNlAHMzY3JldA==
MAIL FROM:<a@x.test>
RCPT TO:<relayed@y.test>
QUIT
EOF
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 --tls \
    --auth PLAIN --auth-user alice --auth-password s3cret --from a@x.test \
    --to b@y.test >"$T/sw" 2>&1
eq "swaks STARTTLS + AUTH PLAIN: 235" "$(grep -c '^<~  235 2.7.0' "$T/sw")" 1
eq "swaks STARTTLS + AUTH PLAIN: queued" \
    "$(grep -c '^<~  250 2.0.0 Ok: queued as' "$T/sw")" 1
F=$S/new/$(newest)
eq "AUTH: envelope auth" "$(record "$F" auth)" alice
match "AUTH: received" "$(header "$F" | sed -n 2p)" "*with ESMTPSA;"
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 --tls \
    --auth LOGIN --auth-user alice --auth-password s3cret --from a@x.test \
    --to b@y.test >"$T/sw" 2>&1
eq "swaks AUTH LOGIN: queued" \
    "$(grep -c '^<~  250 2.0.0 Ok: queued as' "$T/sw")" 1
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 --tls \
    --auth PLAIN --auth-user alice --auth-password wrong --from a@x.test \
    --to b@y.test >"$T/sw" 2>&1
eq "swaks AUTH wrong password: 535" \
    "$(grep -c '^<~\* 535 5.7.8' "$T/sw")" 1
swaks --server 127.0.0.1:${P}0 --local-interface 127.0.0.2 --tls \
    --auth PLAIN --auth-user bob --auth-password s3cret --from a@x.test \
    --to b@y.test >"$T/sw" 2>&1
eq "swaks AUTH unknown user: 535" \
    "$(grep -c '^<~\* 535 5.7.8' "$T/sw")" 1
talk "three AUTH failures: 421" 127.0.0.8 "220 mx.test ESMTP mta-smtpd
250 HELP
535 5.7.8 Error: authentication failed
535 5.7.8 Error: authentication failed
421 4.7.0 mx.test Error: too many failed authentications" <<'EOF'
EHLO a.test
AUTH PLAIN AGFsaWNlAHdyb25n
AUTH PLAIN AGFsaWNlAHdyb25n
AUTH PLAIN AGFsaWNlAHdyb25n
EOF

# --- TLS -----------------------------------------------------------------

swaks --server 127.0.0.1:${P}0 --tls --from a@x.test --to b@y.test \
    >"$T/sw" 2>&1
eq "STARTTLS: queued" "$(grep -c '^<~  250 2.0.0 Ok: queued as' "$T/sw")" 1
match "STARTTLS: received" "$(header "$S/new/$(newest)" | sed -n 2p)" \
    "*with ESMTPS;"
swaks --server 127.0.0.1:${P}1 --tlsc --from a@x.test --to b@y.test \
    >"$T/sw" 2>&1
eq "immediate-tls: greeting inside TLS" \
    "$(grep -c '^<~  220 mx.test ESMTP' "$T/sw")" 1
eq "immediate-tls: queued" \
    "$(grep -c '^<~  250 2.0.0 Ok: queued as' "$T/sw")" 1

# --- CHUNKING ------------------------------------------------------------

talk "BDAT" 127.0.0.1 "220 mx.test ESMTP mta-smtpd
250 HELP
503 5.5.1 Error: need MAIL command
250 2.0.0 Ok
250 2.1.0 Ok
250 2.1.5 Ok
250 2.0.0 18 octets received
503 5.5.1 Error: BDAT expected
250 2.0.0 Ok: queued as ID
221 2.0.0 Bye" <<'EOF'
EHLO b.test
<<BDAT LAST abc\r\n
RSET
MAIL FROM:<a@x.test>
RCPT TO:<b@y.test>
<<BDAT Subject: chunked\r\n
DATA
<<BDAT LAST \r\n.chunk\r\n
QUIT
EOF
F=$S/new/$(newest)
eq "BDAT: body as sent, no unstuffing" "$(message "$F" | tr -d '\r' |
    sed '1,/^$/d')" ".chunk"

# --- timeouts ------------------------------------------------------------

talk "command timeout" 127.0.0.9 "220 mx.test ESMTP mta-smtpd
421 4.4.2 mx.test Error: timeout exceeded" <<'EOF'
<<WAIT 2
EOF

# --- tcpserver -----------------------------------------------------------

if command -v tcpserver >/dev/null 2>&1; then
	tcpserver -R -H -l0 127.0.0.1 ${P}5 "$SMTPD" -s -C "$C" \
	    2>"$T/tcplog" &
	tpid=$!
	on_exit="kill $tpid 2>/dev/null; $on_exit"
	i=0
	while ! swaks --server 127.0.0.1:${P}5 --quit-after CONNECT \
	    >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	swaks --server 127.0.0.1:${P}5 --from a@x.test --to b@y.test \
	    >"$T/sw" 2>&1
	eq "tcpserver -s: queued" \
	    "$(grep -c '^<-  250 2.0.0 Ok: queued as' "$T/sw")" 1
	eq "tcpserver -s: source" "$(record "$S/new/$(newest)" source)" \
	    "smtp%20127.0.0.1"
	swaks --server 127.0.0.1:${P}5 --local-interface 127.0.0.2 \
	    --from a@x.test --to b@y.test >"$T/sw" 2>&1
	eq "tcpserver -s: relay refused by TCPREMOTEIP" \
	    "$(grep -c '^<\*\* 550 5.7.1' "$T/sw")" 1
	swaks --server 127.0.0.1:${P}5 --tls --from a@x.test --to b@y.test \
	    >"$T/sw" 2>&1
	eq "tcpserver -s: STARTTLS" \
	    "$(grep -c '^<~  250 2.0.0 Ok: queued as' "$T/sw")" 1
	kill $tpid
else
	fail "tcpserver not installed"
fi

# --- a full disk ---------------------------------------------------------

if [ -n "${IN_NS:-}" ]; then
	newspool "$T/f" <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:${P}6
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
	FS=$T/f/spool
	mount -t tmpfs -o size=256k tmpfs "$FS"
	on_exit="umount '$FS' 2>/dev/null; $on_exit"
	"$CTL" -C "$T/f/mta.conf" spool init >/dev/null
	: >"$T/flog"
	"$SMTPD" -C "$T/f/mta.conf" 2>"$T/flog" &
	fpid=$!
	on_exit="kill $fpid 2>/dev/null; $on_exit"
	i=0
	while ! grep -q "listening" "$T/flog" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	{ printf 'Subject: big\n\n'; i=0; while [ $i -lt 400 ]; do
		rep c 999; printf '\n'; i=$((i + 1)); done; } >"$T/big"
	swaks --server 127.0.0.1:${P}6 --from a@x.test --to b@y.test \
	    --data "$T/big" >"$T/sw" 2>&1
	eq "full disk: 452 4.3.1" "$(grep -c '^<\*\* 452 4.3.1' "$T/sw")" 1
	eq "full disk: nothing left" "$(nfiles "$FS/new" "$FS/tmp")" 0
	# room for the message file, not for its commit
	free=$(stat -f -c %a "$FS")
	dd if=/dev/zero of="$FS/fill" bs=4096 count=$((free - 1)) 2>/dev/null
	{ printf 'Subject: small\n\n'; i=0; while [ $i -lt 100 ]; do
		rep d 99; printf '\n'; i=$((i + 1)); done; } >"$T/small"
	swaks --server 127.0.0.1:${P}6 --from a@x.test --to b@y.test \
	    --data "$T/small" >"$T/sw" 2>&1
	match "full disk, small message: 452 4.3.1" \
	    "$(grep '^<\*\* 45' "$T/sw")" "<\*\* 452 4.3.1*"
	eq "full disk, small message: nothing left" \
	    "$(nfiles "$FS/new" "$FS/tmp")" 0
	rm -f "$FS/fill"
	swaks --server 127.0.0.1:${P}6 --from a@x.test --to b@y.test \
	    >"$T/sw" 2>&1
	eq "full disk, room again: queued" \
	    "$(grep -c '^<-  250 2.0.0 Ok: queued as' "$T/sw")" 1
	kill $fpid
else
	echo "full disk: skipped (needs root for a tmpfs)"
fi

kill $pid
wait $pid
eq "exit on SIGTERM" "$?" 0
finish
