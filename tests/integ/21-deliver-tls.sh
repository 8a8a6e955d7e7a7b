#!/bin/sh
# 21-deliver-tls: STARTTLS in mta-deliver against mx.py (aiosmtpd with a
# self-signed certificate) and rawmx.py on 127.0.0.1:25230-25249:
# tls=try and tls=require with a TLS server, tls=no, require against a
# server without STARTTLS, and a broken handshake: plain text again with
# tls=try (remembered for the next session), the next host with
# tls=require.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/deliver/lib.sh"

make_cert "$T/cert" || exit 1
printf 'Subject: tls\r\n\r\nover TLS\r\n' >"$T/m.eml"
SZ=$(wc -c <"$T/m.eml")
S='queue=y.test/v domain=y.test helo=me.test'

start_mx 127.0.0.1:25230 --tls-cert "$T/cert/cert.pem" \
    --tls-key "$T/cert/key.pem" --require-tls || exit 1
cat >"$T/try.in" <<EOF
$HELLO
> session sid=1 $S hosts=[127.0.0.1]:25230
< session sid=1
$(msgs 1 t 2 "$T/m.eml" b@y.test)
> session sid=2 $S hosts=[127.0.0.1]:25230 tls=require
< session sid=2
$(msgs 2 r 1 "$T/m.eml" b@y.test)
> session sid=3 $S hosts=[127.0.0.1]:25230 tls=no
< session sid=3
$(msgs 3 n 1 "$T/m.eml" b@y.test)
> quit
exit
EOF
drive try
eq "try: ok" "$(val try session status 'sid=1 ')" ok
match "try: tls" "$(val try session tls 'sid=1 ')" "TLSv1.[23]"
match "try: cipher" "$(val try session cipher 'sid=1 ')" "?*"
match "try: ext after TLS" "$(val try session ext 'sid=1 ')" "SIZE=*8BITMIME*"
case $(val try session ext 'sid=1 ') in
*STARTTLS*) fail "try: STARTTLS offered inside TLS" ;;
*) pass ;;
esac
eq "try: delivered" "$(count try rcpt 'sid=1 .*status=delivered')" 2
eq "require: tls" "$(val try session tls 'sid=2 ')" \
    "$(val try session tls 'sid=1 ')"
eq "require: delivered" "$(count try rcpt 'sid=2 .*status=delivered')" 1
eq "tls=no: no tls" "$(val try session tls 'sid=3 ')" ""
eq "tls=no: refused plain" "$(val try rcpt code 'sid=3 ')" 530
mx_wait 25230 messages 3
eq "mx: TLS sessions" "$(mx_stat 25230 tls_sessions)" 2
eq "mx: messages over TLS" \
    "$(mx_stat 25230 "len([m for m in message_log if m['tls']])")" 3
kill "$MX_PID"

# require against a server without STARTTLS: no host works.
start_mx 127.0.0.1:25231 || exit 1
cat >"$T/notls.in" <<EOF
$HELLO
> session sid=1 $S hosts=[127.0.0.1]:25231 tls=require
< session sid=1
> quit
exit
EOF
drive notls
eq "require, none: defer" "$(val notls session status)" defer
eq "require, none: dsn" "$(val notls session dsn)" 4.7.10
match "require, none: text" "$(val notls session text)" \
    "TLS%20required*no%20STARTTLS"
kill "$MX_PID"

# A handshake that breaks: 220 to STARTTLS, then plain text.
EHLO_TLS='say:220 raw|read|say:250-raw\n250 STARTTLS|read'
PLAIN='say:220 raw|read|say:250 raw|read|say:250 ok|read|say:250 ok|read|say:354 go|data|say:250 2.0.0 taken|read|say:221 bye'
start_raw 127.0.0.1:25232 "$EHLO_TLS|say:220 go|say:not TLS at all|close" \
    "$PLAIN" || exit 1
cat >"$T/broken.in" <<EOF
$HELLO
> session sid=1 $S hosts=[127.0.0.1]:25232
< session sid=1
$(msgs 1 b 1 "$T/m.eml" b@y.test)
> close sid=1
< closed sid=1
> session sid=2 $S hosts=[127.0.0.1]:25232
< session sid=2
> quit
exit
EOF
drive broken
eq "broken TLS, try: ok" "$(val broken session status 'sid=1 ')" ok
eq "broken TLS, try: plain" "$(val broken session tls 'sid=1 ')" ""
eq "broken TLS, try: delivered" "$(val broken rcpt status)" delivered
eq "broken TLS: remembered" "$(val broken session status 'sid=2 ')" ok
eq "broken TLS: one STARTTLS" "$(grep -c '< STARTTLS' "$T/raw-25232.log")" 1
kill "$RAW_PID"

start_raw 127.0.0.1:25233 "$EHLO_TLS|say:220 go|say:not TLS at all|close" \
    || exit 1
cat >"$T/broken2.in" <<EOF
$HELLO
> session sid=1 $S hosts=[127.0.0.1]:25233 tls=require
< session sid=1
> quit
exit
EOF
drive broken2
eq "broken TLS, require: defer" "$(val broken2 session status)" defer
eq "broken TLS, require: dsn" "$(val broken2 session dsn)" 4.7.5
match "broken TLS, require: text" "$(val broken2 session text)" \
    "TLS%20handshake%20with*failed*"
eq "broken TLS, require: one try" "$(grep -c '< EHLO' "$T/raw-25233.log")" 1

finish
