#!/bin/sh
# 24-deliver-pipeline: a msg record for a session whose transaction is
# in flight.  mta-deliver sends its MAIL, RCPT and DATA right behind the
# current message's final "." when the server offers PIPELINING (RFC
# 2920 3.1): rawmx.py reads them before it answers the "." (a client
# that waited for that answer would hang the script).  The answers come
# in order; a 5xx to the first "." leaves the second alone; a 421 or a
# hang-up there answers both, then closed; a refused pipelined MAIL
# makes the next transaction begin with RSET; without PIPELINING the
# next one waits its turn; a bad pipelining= and a third msg are
# protocol errors.  Then mta-queue: two queued messages, one session,
# the second pipelined; with ignore-pipelining, no command before the
# reply to the last; with a max-msg-rate, no next message before the
# reply to the ".".
# Peers on 127.0.0.1:25260-25269.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/deliver/lib.sh"

printf 'Subject: p\r\n\r\nbody\r\n' >"$T/m.eml"
MSZ=$(wc -c <"$T/m.eml")

# session PORT, then msgs p1 and p2 at once, each to one recipient
two() {
	cat <<EOF
$HELLO
> session sid=1 queue=y.test/v domain=y.test helo=me.test hosts=[127.0.0.1]:$1
< session sid=1
> msg sid=1 id=p1 path=$T/m.eml off=0 size=$MSZ nrcpt=1 from=a@x.test
> rcpt sid=1 id=p1 n=0 to=b@y.test
> msg sid=1 id=p2 path=$T/m.eml off=0 size=$MSZ nrcpt=1 from=a@x.test
> rcpt sid=1 id=p2 n=0 to=c@y.test
EOF
}

# the records' verbs and ids, in order
order() {
	grep -v '^hello\|^exit' "$T/$1.out" | sed 's/ sid=1//' |
	    sed -n 's/^\([a-z]*\)\( id=[a-z0-9]*\)\{0,1\}.*/\1\2/p' |
	    tr '\n' ' '
}

GREET='say:220 raw.test|read|say:250-raw.test\n250-PIPELINING\n250 8BITMIME'
CMDS='read|read|read'
GOT='250 ok\n250 ok\n354 go'
GO="say:$GOT"

# --- both delivered; the second's commands before the first's 250 ----
start_raw 127.0.0.1:25260 \
    "$GREET|$CMDS|$GO|data|$CMDS|say:250 one\n$GOT|data|say:250 two|read|say:221 bye" ||
    exit 1
{ two 25260; printf '< done sid=1 id=p2\n> quit\nexit\n'; } >"$T/both.in"
drive both
eq "both: p1" "$(val both rcpt status 'id=p1')" delivered
eq "both: p1 text" "$(val both rcpt text 'id=p1')" one
eq "both: p2" "$(val both rcpt status 'id=p2')" delivered
eq "both: p2 text" "$(val both rcpt text 'id=p2')" two
eq "both: order" "$(order both)" \
    "session rcpt id=p1 done id=p1 rcpt id=p2 done id=p2 closed "
eq "both: exit" "$(tail -n 1 "$T/both.out")" "exit 0"
eq "both: wire" "$(sed -n 's/^1[<>] //p' "$T/raw-25260.log" | sed -n 8,13p |
    tr '\n' '|')" \
    "(message)|MAIL FROM:<a@x.test>|RCPT TO:<c@y.test>|DATA|250 one\n250 ok\n250 ok\n354 go|(message)|"
kill "$RAW_PID"

# --- 554 to the first ".": the second goes on ------------------------
start_raw 127.0.0.1:25261 \
    "$GREET|$CMDS|$GO|data|$CMDS|say:554 5.7.1 no\n$GOT|data|say:250 two|read|say:221 bye" ||
    exit 1
{ two 25261; printf '< done sid=1 id=p2\n> quit\nexit\n'; } >"$T/r554.in"
drive r554
eq "554: p1" "$(val r554 rcpt status 'id=p1')" failed
eq "554: p1 code" "$(val r554 rcpt code 'id=p1')" 554
eq "554: p2" "$(val r554 rcpt status 'id=p2')" delivered
kill "$RAW_PID"

# --- 421 to the first ".": both answered, then closed ----------------
start_raw 127.0.0.1:25262 \
    "$GREET|$CMDS|$GO|data|$CMDS|say:421 4.3.2 going down|close" || exit 1
{ two 25262; printf '< closed sid=1\n> quit\nexit\n'; } >"$T/q421.in"
drive q421
eq "421: p1" "$(val q421 rcpt status 'id=p1')" deferred
eq "421: p1 code" "$(val q421 rcpt code 'id=p1')" 421
eq "421: p2" "$(val q421 rcpt status 'id=p2')" deferred
eq "421: closed" "$(val q421 closed reason)" 421
eq "421: order" "$(order q421)" \
    "session rcpt id=p1 done id=p1 rcpt id=p2 done id=p2 closed "
kill "$RAW_PID"

# --- a hang-up after the first ".": both deferred, lost --------------
start_raw 127.0.0.1:25263 "$GREET|$CMDS|$GO|data|$CMDS|close" || exit 1
{ two 25263; printf '< closed sid=1\n> quit\nexit\n'; } >"$T/hup.in"
drive hup
eq "hang-up: p1" "$(val hup rcpt status 'id=p1')" deferred
eq "hang-up: p2" "$(val hup rcpt status 'id=p2')" deferred
eq "hang-up: p2 code" "$(val hup rcpt code 'id=p2')" 0
eq "hang-up: closed" "$(val hup closed reason)" lost
eq "hang-up: order" "$(order hup)" \
    "session rcpt id=p1 done id=p1 rcpt id=p2 done id=p2 closed "
kill "$RAW_PID"

# --- the pipelined MAIL refused: the third begins with RSET ----------
start_raw 127.0.0.1:25264 \
    "$GREET|$CMDS|$GO|data|$CMDS|say:250 one\n550 5.1.8 bad sender\n503 5.5.1 no MAIL\n503 5.5.1 no MAIL|read|$CMDS|say:250 reset\n$GOT|data|say:250 three|read|say:221 bye" ||
    exit 1
{
	two 25264
	echo "< done sid=1 id=p1"
	echo "> msg sid=1 id=p3 path=$T/m.eml off=0 size=$MSZ nrcpt=1"
	echo "> rcpt sid=1 id=p3 n=0 to=d@y.test"
	printf '< done sid=1 id=p3\n> quit\nexit\n'
} >"$T/rset.in"
drive rset
eq "refused MAIL: p1" "$(val rset rcpt status 'id=p1')" delivered
eq "refused MAIL: p2" "$(val rset rcpt status 'id=p2')" failed
eq "refused MAIL: p2 code" "$(val rset rcpt code 'id=p2')" 550
eq "refused MAIL: p3" "$(val rset rcpt status 'id=p3')" delivered
eq "refused MAIL: RSET" "$(grep -c '^1< RSET' "$T/raw-25264.log")" 1
kill "$RAW_PID"

# --- no PIPELINING: the next one waits for the first's answer --------
start_raw 127.0.0.1:25265 \
    "say:220 raw.test|read|say:250 raw.test|read|say:250 ok|read|say:250 ok|read|say:354 go|data|idle:0.3|say:250 one|read|say:250 ok|read|say:250 ok|read|say:354 go|data|say:250 two|read|say:221 bye" ||
    exit 1
{ two 25265; printf '< done sid=1 id=p2\n> quit\nexit\n'; } >"$T/nopipe.in"
drive nopipe
eq "no PIPELINING: p1" "$(val nopipe rcpt status 'id=p1')" delivered
eq "no PIPELINING: p2" "$(val nopipe rcpt status 'id=p2')" delivered
eq "no PIPELINING: no MAIL before the 250" \
    "$(grep -c '^1< (idle)' "$T/raw-25265.log")" 1
kill "$RAW_PID"

# --- a session record's pipelining= is 0 or 1 -----------------------
printf '%s\n> session sid=1 queue=y.test/v domain=y.test helo=me.test hosts=[127.0.0.1]:25266 pipelining=yes\nexit\n' \
    "$HELLO" >"$T/badpl.in"
drive badpl
match "pipelining=yes: error" "$(grep '^error' "$T/badpl.out")" \
    "error text=session:%20bad%20pipelining"
eq "pipelining=yes: exit" "$(tail -n 1 "$T/badpl.out")" "exit 76"

# --- a third msg while two are held: a protocol error ----------------
start_raw 127.0.0.1:25266 "$GREET|$CMDS|sleep:3" || exit 1
{
	two 25266
	echo "> msg sid=1 id=p3 path=$T/m.eml off=0 size=$MSZ nrcpt=1"
	printf 'exit\n'
} >"$T/third.in"
drive third
match "third msg: error" "$(grep '^error' "$T/third.out")" \
    "error text=msg:%20session%201%20is%20not%20idle"
eq "third msg: exit" "$(tail -n 1 "$T/third.out")" "exit 76"
kill "$RAW_PID"

# --- mta-queue: two queued messages, one session, pipelined ----------
. "$TOP/tests/integ/queue/lib.sh"

# pipeconf PORT [DIRECTIVE] - the config: pipe.test to rawmx on PORT,
# one session, with DIRECTIVE; no DSN is expected (src.test's port idle)
pipeconf() {
	printf 'host-name mta.example.test\n<domain pipe.test>\n'
	printf '\tsmtp-hosts [127.0.0.1]:%s\n' "$1"
	printf '\tmax-smtp-out 1\n\tretry-after 1h\n\tuse-starttls no\n'
	[ -z "${2:-}" ] || printf '\t%s\n' "$2"
	printf '</domain>\n<domain src.test>\n\tsmtp-hosts [127.0.0.1]:%s\n' \
	    "$DSN_PORT"
	printf '</domain>\n'
}

# qrun PORT SCRIPT TOTAL - rawmx on PORT saying SCRIPT, two messages
# queued, mta-queue until TOTAL deliveries are journaled in all
qrun() {
	start_raw "127.0.0.1:$1" "$2" || exit 1
	inj 2 a@pipe.test
	qstart || exit 1
	wait_j delivered "$3" || fail "port $1: not delivered"
}

pipeconf 25267 | qinit
qrun 25267 \
    "$GREET|$CMDS|$GO|data|$CMDS|say:250 one\n$GOT|data|say:250 two|read|say:221 bye" 2
eq "queue: connections" "$(grep -c '^1> 220' "$T/raw-25267.log") \
$(grep -c '^2> 220' "$T/raw-25267.log")" "1 0"
eq "queue: pipelined" "$(sed -n 's/^1[<>] //p' "$T/raw-25267.log" |
    sed -n 8,11p | cut -c 1-9 | tr '\n' '|')" \
    "(message)|MAIL FROM|RCPT TO:<|DATA|"
qstop
eq "queue: exit" "$QRC" 0
kill "$RAW_PID"

# --- ignore-pipelining: one command at a time though it is offered ---
{ echo "spool $QS"; pipeconf 25268 "ignore-pipelining yes"; } >"$QC"
W1='read|idle:0.3|say:250 ok|read|idle:0.3|say:250 ok|read|say:354 go|data'
qrun 25268 "$GREET|$W1|idle:0.3|say:250 one|$W1|say:250 two|read|say:221 bye" 4
eq "ignore-pipelining: waits" "$(grep -c '^1< (idle)' "$T/raw-25268.log") \
$(grep -c '^1< (busy)' "$T/raw-25268.log")" "5 0"
qstop
kill "$RAW_PID"

# --- max-msg-rate: the next message waits for its turn ----------------
{ echo "spool $QS"; pipeconf 25269 "max-msg-rate 100/s"; } >"$QC"
qrun 25269 \
    "$GREET|$CMDS|$GO|data|idle:0.3|say:250 one|$CMDS|$GO|data|say:250 two|read|say:221 bye" 6
eq "max-msg-rate: no MAIL before the 250" \
    "$(grep -c '^1< (idle)' "$T/raw-25269.log")" 1
qstop
finish
