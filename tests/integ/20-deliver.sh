#!/bin/sh
# 20-deliver: mta-deliver driven over deliver/1 against real SMTP peers
# (postfix's smtp-sink, mx.py, rawmx.py) on 127.0.0.1:25200-25229.
# The records, delivery one and many messages on a session, the exact
# bytes on the wire (dot-stuffing, CRLF, offsets in the spool file, the
# MAIL/RCPT parameters), per-recipient 4xx/5xx, RSET after a refused
# transaction, 421, a hang-up after DATA, no PIPELINING, no ESMTP, a
# refused connection and the next host level, SIZE, SMTPUTF8, bad
# replies, and protocol errors.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/deliver/lib.sh"

S1='> session sid=1 queue=y.test/v domain=y.test helo=me.test'

# A message with dot lines, a long line and 8-bit bytes, 40 KB so that
# it crosses mta-deliver's 32 KB read block; one with no last CRLF.
{
	printf 'Subject: dots\r\nFrom: a@x.test\r\n\r\n'
	printf '.\r\n..\r\n.x\r\nmid.dle\r\n\r\n.\r\nl\xe4st\r\n'
	i=0
	while [ $i -lt 400 ]; do
		printf '.%0100d\r\n' $i
		i=$((i + 1))
	done
	printf '.\r\nend\r\n'
} >"$T/m.eml"
printf 'Subject: short\r\n\r\nno end' >"$T/short.eml"
printf 'Subject: short\r\n\r\nno end\r\n' >"$T/short.want"
# the same message after an envelope, as a spool file holds it
{ printf 'id x\nrcpt - 1\n\n'; cat "$T/m.eml"; } >"$T/spool"
MSZ=$(wc -c <"$T/m.eml")

# --- hello ----------------------------------------------------------
printf '> hello proto=deliver/2\nexit\n' >"$T/badhello.in"
drive badhello
eq "hello: other version" "$(head -n 1 "$T/badhello.out" | cut -d' ' -f1)" \
    error
eq "hello: exit" "$(tail -n 1 "$T/badhello.out")" "exit 76"

printf '> session sid=1 queue=a/b domain=a helo=b\nexit\n' >"$T/nohello.in"
drive nohello
match "no hello first" "$(cat "$T/nohello.out")" "error text=*hello*exit 76"

printf '%s\n> frobnicate sid=1\nexit\n' "$HELLO" >"$T/verb.in"
drive verb
match "unknown verb" "$(cat "$T/verb.out")" \
    "*error text=unknown%20record*frobnicate*exit 76"

printf '%s\n> session sid=1 queue=a domain=a\nexit\n' "$HELLO" >"$T/nohelo.in"
drive nohelo
match "session without helo" "$(cat "$T/nohelo.out")" "*error*helo*exit 76"

printf '%s\neof\nexit\n' "$HELLO" >"$T/eof.in"
drive eof
match "EOF: exit 0" "$(cat "$T/eof.out")" "hello proto=deliver/1 pid=*exit 0"

# --- smtp-sink: plain delivery and the parameters -------------------
start_sink 127.0.0.1:25200 || exit 1
cat >"$T/plain.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25200
< session sid=1
> msg sid=1 id=q1 path=$T/m.eml off=0 size=$MSZ nrcpt=2 from=a@x.test eightbit=1 envid=e+1=x ret=hdrs
> rcpt sid=1 id=q1 n=0 to=b@y.test notify=SUCCESS,FAILURE orcpt=rfc822;b+x@y.test
> rcpt sid=1 id=q1 n=7 to=c@y.test notify=BOGUS%0D%0AQUIT
< done sid=1 id=q1
> msg sid=1 id=q2 path=$T/m.eml off=0 size=$MSZ nrcpt=1
> rcpt sid=1 id=q2 n=0 to=d@y.test
< done sid=1 id=q2
> close sid=1
< closed sid=1
> quit
exit
EOF
drive plain
eq "plain: session" "$(val plain session status)" ok
eq "plain: ip" "$(val plain session ip)" 127.0.0.1
eq "plain: port" "$(val plain session port)" 25200
eq "plain: src" "$(val plain session src)" 127.0.0.1
match "plain: ext" "$(val plain session ext)" "PIPELINING,*DSN*"
eq "plain: rcpt 0" "$(val plain rcpt status 'n=0 ')" delivered
eq "plain: rcpt 7" "$(val plain rcpt status 'n=7 ')" delivered
eq "plain: rcpt code" "$(val plain rcpt code)" 250
eq "plain: rcpt dsn" "$(val plain rcpt dsn)" 2.0.0
eq "plain: answers" "$(grep -c '^rcpt ' "$T/plain.out") \
$(grep -c '^done ' "$T/plain.out")" "3 2"
eq "plain: closed" "$(val plain closed reason)" quit
eq "plain: exit" "$(tail -n 1 "$T/plain.out")" "exit 0"
wait_until '[ "$(sink_count 25200)" -eq 2 ]' 5
eq "plain: sink got" "$(sink_count 25200)" 2
F=$(grep -l 'X-Rcpt-Args: <b@y.test>' "$SINK_DUMP"/* | head -n 1)
eq "plain: MAIL args" "$(sed -n 's/^X-Mail-Args: //p' "$F")" \
    "<a@x.test> BODY=8BITMIME RET=HDRS ENVID=e+2B1+3Dx"
eq "plain: RCPT args" "$(sed -n 's/^X-Rcpt-Args: //p' "$F")" \
    "<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@y.test
<c@y.test>"
F=$(grep -l 'X-Rcpt-Args: <d@y.test>' "$SINK_DUMP"/* | head -n 1)
eq "plain: null sender" "$(sed -n 's/^X-Mail-Args: //p' "$F")" "<>"
match "plain: log line" "$(grep 'delivery id=q1' "$T/plain.err" | head -n 1)" \
    "mta-deliver: info: delivery id=q1 relay=*status=delivered*rcpt=b@y.test*"
kill "$SINK_PID"

# --- mx.py: the exact bytes, many messages on one connection ---------
mkdir "$T/mbox"
start_mx 127.0.0.1:25201 --mbox "$T/mbox" || exit 1
SOFF=$(($(wc -c <"$T/spool") - MSZ))
SSZ=$(wc -c <"$T/short.eml")
{
	echo "$HELLO"
	echo "$S1 hosts=[127.0.0.1]:25201"
	echo "< session sid=1"
	echo "> msg sid=1 id=s1 path=$T/spool off=$SOFF size=$MSZ nrcpt=1"
	echo "> rcpt sid=1 id=s1 n=0 to=b@y.test"
	echo "< done sid=1 id=s1"
	echo "> msg sid=1 id=s2 path=$T/short.eml off=0 size=$SSZ nrcpt=1"
	echo "> rcpt sid=1 id=s2 n=0 to=b@y.test"
	echo "< done sid=1 id=s2"
	msgs 1 many 200 "$T/short.want" r@y.test
	echo "> quit"
	echo "exit"
} >"$T/many.in"
drive many -t 30
eq "many: delivered" "$(count many rcpt status=delivered)" 202
eq "many: done" "$(count many done)" 202
eq "many: exit" "$(tail -n 1 "$T/many.out")" "exit 0"
mx_wait 25201 messages 202
eq "many: mx messages" "$(mx_stat 25201 messages)" 202
eq "many: one connection" "$(mx_stat 25201 connections)" 1
same "bytes: offset, dots, 8-bit, 40 KB" "$T/mbox/$(ls "$T/mbox" | sort | head -n 1)" \
    "$T/m.eml"
same "bytes: CRLF added at the end" \
    "$T/mbox/$(ls "$T/mbox" | sort | sed -n 2p)" "$T/short.want"
kill "$MX_PID"

# --- per-recipient replies; RSET after a refused transaction ---------
start_mx 127.0.0.1:25202 --reply 'RCPT:^bad:550 5.1.1 no such user' \
    --reply 'RCPT:^grey@:451 4.7.1 greylisted' \
    --reply 'RCPT:^old@:553 sorry' || exit 1
cat >"$T/rcpts.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25202
< session sid=1
> msg sid=1 id=r1 path=$T/short.want off=0 size=$SSZ nrcpt=4 from=a@x.test
> rcpt sid=1 id=r1 n=0 to=ok@y.test
> rcpt sid=1 id=r1 n=1 to=bad@y.test
> rcpt sid=1 id=r1 n=2 to=grey@y.test
> rcpt sid=1 id=r1 n=3 to=old@y.test
< done sid=1 id=r1
> msg sid=1 id=r2 path=$T/short.want off=0 size=$SSZ nrcpt=2 from=a@x.test
> rcpt sid=1 id=r2 n=0 to=bad@y.test
> rcpt sid=1 id=r2 n=1 to=bad2@y.test
< done sid=1 id=r2
> msg sid=1 id=r3 path=$T/short.want off=0 size=$SSZ nrcpt=1 from=a@x.test
> rcpt sid=1 id=r3 n=0 to=ok@y.test
< done sid=1 id=r3
> quit
exit
EOF
drive rcpts
eq "rcpts: ok" "$(val rcpts rcpt status 'id=r1 n=0 ')" delivered
eq "rcpts: 550" "$(val rcpts rcpt status 'id=r1 n=1 ')" failed
eq "rcpts: 550 code" "$(val rcpts rcpt code 'id=r1 n=1 ')" 550
eq "rcpts: 550 dsn" "$(val rcpts rcpt dsn 'id=r1 n=1 ')" 5.1.1
eq "rcpts: 550 text" "$(val rcpts rcpt text 'id=r1 n=1 ')" \
    "5.1.1%20no%20such%20user"
eq "rcpts: 451" "$(val rcpts rcpt status 'id=r1 n=2 ')" deferred
eq "rcpts: 451 dsn" "$(val rcpts rcpt dsn 'id=r1 n=2 ')" 4.7.1
eq "rcpts: no enhanced code" "$(val rcpts rcpt dsn 'id=r1 n=3 ')" 5.0.0
eq "rcpts: all refused" "$(val rcpts rcpt status 'id=r2 n=1 ')" failed
eq "rcpts: after RSET" "$(val rcpts rcpt status 'id=r3 n=0 ')" delivered
mx_wait 25202 messages 2
eq "rcpts: RSET sent" "$(mx_stat 25202 "commands.get('RSET', 0)")" 1
eq "rcpts: messages" "$(mx_stat 25202 messages)" 2
kill "$MX_PID"

# --- SIZE and SMTPUTF8: refused here, without a MAIL -----------------
start_mx 127.0.0.1:25203 --size 1000 || exit 1
cat >"$T/size.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25203
< session sid=1
> msg sid=1 id=z1 path=$T/m.eml off=0 size=$MSZ nrcpt=1
> rcpt sid=1 id=z1 n=0 to=b@y.test
< done sid=1 id=z1
> msg sid=1 id=z2 path=$T/short.want off=0 size=$SSZ nrcpt=1 smtputf8=1
> rcpt sid=1 id=z2 n=0 to=b@y.test
< done sid=1 id=z2
> msg sid=1 id=z3 path=$T/nonexistent off=0 size=10 nrcpt=1
> rcpt sid=1 id=z3 n=0 to=b@y.test
< done sid=1 id=z3
> msg sid=1 id=z4 path=$T/short.want off=0 size=$SSZ nrcpt=2
> rcpt sid=1 id=z4 n=0 to=b@y.test%0D%0ARSET
> rcpt sid=1 id=z4 n=1 to=c@y.test
< done sid=1 id=z4
> quit
exit
EOF
drive size
match "size: ext" "$(val size session ext)" "*SIZE=1000*"
eq "size: too big" "$(val size rcpt status 'id=z1 ')" failed
eq "size: dsn" "$(val size rcpt dsn 'id=z1 ')" 5.3.4
eq "size: code" "$(val size rcpt code 'id=z1 ')" 0
eq "smtputf8: not offered" "$(val size rcpt dsn 'id=z2 ')" 5.6.7
eq "smtputf8: failed" "$(val size rcpt status 'id=z2 ')" failed
eq "no spool file: deferred" "$(val size rcpt status 'id=z3 ')" deferred
match "no spool file: text" "$(val size rcpt text 'id=z3 ')" \
    "*No%20such%20file*"
eq "CRLF in address" "$(val size rcpt dsn 'id=z4 n=0 ')" 5.1.3
eq "other rcpt delivered" "$(val size rcpt status 'id=z4 n=1 ')" delivered
mx_wait 25203 messages 1
eq "size: one MAIL only" "$(mx_stat 25203 "commands.get('MAIL', 0)")" 1
eq "size: no RSET" "$(mx_stat 25203 "commands.get('RSET', 0)")" 0
kill "$MX_PID"

# --- 421 on MAIL; hang-up after the message --------------------------
start_sink 127.0.0.1:25204 -Q MAIL || exit 1
cat >"$T/q421.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25204
< session sid=1
> msg sid=1 id=c1 path=$T/short.want off=0 size=$SSZ nrcpt=2
> rcpt sid=1 id=c1 n=0 to=b@y.test
> rcpt sid=1 id=c1 n=1 to=c@y.test
< closed sid=1
> quit
exit
EOF
drive q421
eq "421: rcpt" "$(val q421 rcpt status 'n=1 ')" deferred
eq "421: code" "$(val q421 rcpt code 'n=1 ')" 421
eq "421: closed" "$(val q421 closed reason)" 421
eq "421: closed code" "$(val q421 closed code)" 421
eq "421: order" "$(cut -d' ' -f1 "$T/q421.out" | tr '\n' ' ')" \
    "hello session rcpt rcpt done closed exit "
kill "$SINK_PID"

start_sink 127.0.0.1:25205 -q . || exit 1
cat >"$T/hup.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25205
< session sid=1
> msg sid=1 id=h1 path=$T/short.want off=0 size=$SSZ nrcpt=1
> rcpt sid=1 id=h1 n=0 to=b@y.test
< closed sid=1
> quit
exit
EOF
drive hup
eq "hang-up: deferred" "$(val hup rcpt status)" deferred
eq "hang-up: code" "$(val hup rcpt code)" 0
match "hang-up: text" "$(val hup rcpt text)" \
    "lost%20connection%20with*after%20end%20of%20data"
eq "hang-up: closed" "$(val hup closed reason)" lost
kill "$SINK_PID"

# --- no PIPELINING; no ESMTP (HELO) ---------------------------------
start_sink 127.0.0.1:25206 -p || exit 1
cat >"$T/nopipe.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25206
< session sid=1
$(msgs 1 p 3 "$T/short.want" a@y.test b@y.test)
> quit
exit
EOF
drive nopipe
match "no pipelining: ext" "$(val nopipe session ext)" "8BITMIME*"
eq "no pipelining: delivered" "$(count nopipe rcpt status=delivered)" 6
wait_until '[ "$(sink_count 25206)" -eq 3 ]' 5
eq "no pipelining: sink" "$(sink_count 25206)" 3
kill "$SINK_PID"

start_sink 127.0.0.1:25207 -e || exit 1
cat >"$T/helo.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25207
< session sid=1
$(msgs 1 e 2 "$T/short.want" a@y.test)
> quit
exit
EOF
drive helo
eq "HELO: session" "$(val helo session status)" ok
eq "HELO: no ext" "$(val helo session ext)" ""
eq "HELO: delivered" "$(count helo rcpt status=delivered)" 2
wait_until '[ "$(sink_count 25207)" -eq 2 ]' 5
match "HELO: proto" "$(cat "$SINK_DUMP"/* | grep X-Client-Proto | head -n 1)" \
    "*: SMTP"

# --- a refused port, then the next level ----------------------------
cat >"$T/next.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25229;[127.0.0.1]:25207
< session sid=1
> session sid=2 queue=y.test/v domain=y.test helo=me.test hosts=[127.0.0.1]:25229,[127.0.0.1]:25228
< session sid=2
> quit
exit
EOF
drive next
eq "next level: ok" "$(val next session status 'sid=1 ')" ok
eq "next level: port" "$(val next session port 'sid=1 ')" 25207
eq "all refused: defer" "$(val next session status 'sid=2 ')" defer
eq "all refused: code" "$(val next session code 'sid=2 ')" 0
match "all refused: text" "$(val next session text 'sid=2 ')" \
    "connect%20to%20127.0.0.1:2522[89]:%20Connection%20refused"
eq "all refused: ip" "$(val next session ip 'sid=2 ')" 127.0.0.1
kill "$SINK_PID"

# --- replies that break the rules ------------------------------------
start_raw 127.0.0.1:25208 \
    'say:220 ok|read|say:250-a\n251 b|close' \
    'say:220 ok|read|say:250 ok|read|say:250 ok|read|say:250 ok|read|say:354 go|data|say:25O bad|close' || exit 1
cat >"$T/bad.in" <<EOF
$HELLO
$S1 hosts=[127.0.0.1]:25208
< session sid=1
> session sid=2 queue=y.test/v domain=y.test helo=me.test hosts=[127.0.0.1]:25208
< session sid=2
> msg sid=2 id=b1 path=$T/short.want off=0 size=$SSZ nrcpt=1
> rcpt sid=2 id=b1 n=0 to=b@y.test
< closed sid=2
> quit
exit
EOF
drive bad
eq "bad EHLO reply: defer" "$(val bad session status 'sid=1 ')" defer
match "bad EHLO reply: text" "$(val bad session text 'sid=1 ')" \
    "bad%20reply*reply%20code%20changed%20from%20250%20to%20251*"
eq "bad final reply: deferred" "$(val bad rcpt status)" deferred
match "bad final reply: text" "$(val bad rcpt text)" "*malformed%20reply%20line*"
eq "bad final reply: closed" "$(val bad closed reason)" error

# --- a msg crossing the closed record of its session -----------------
cat >"$T/gone.in" <<EOF
$HELLO
> msg sid=9 id=g1 path=$T/short.want off=0 size=$SSZ nrcpt=2
> rcpt sid=9 id=g1 n=0 to=b@y.test
> rcpt sid=9 id=g1 n=1 to=c@y.test
< done sid=9
> close sid=9
> quit
exit
EOF
drive gone
eq "closed session: deferred" "$(count gone rcpt 'sid=9 .*status=deferred')" 2
eq "closed session: exit" "$(tail -n 1 "$T/gone.out")" "exit 0"

finish
