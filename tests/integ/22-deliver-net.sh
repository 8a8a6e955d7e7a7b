#!/bin/sh
# 22-deliver-net: mta-deliver's connections on 127.0.0.x:25250-25279 and
# [::1]: the source address (src=127.0.0.2 and .3 as the peer sees
# them, IPv6, a family that fits no host), timeouts (greeting, end of
# data, idle) within their seconds, and many sessions at once in one
# process.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/deliver/lib.sh"

printf 'Subject: net\r\n\r\nbody\r\n' >"$T/m.eml"
SZ=$(wc -c <"$T/m.eml")
S='queue=y.test/v domain=y.test helo=me.test'

# --- source addresses -----------------------------------------------
start_mx 127.0.0.1:25250 || exit 1
cat >"$T/src.in" <<EOF
$HELLO
> session sid=1 $S hosts=[127.0.0.1]:25250 src=127.0.0.2
> session sid=2 $S hosts=[127.0.0.1]:25250 src=127.0.0.3
< session sid=1
< session sid=2
$(msgs 1 a 1 "$T/m.eml" b@y.test)
$(msgs 2 b 1 "$T/m.eml" b@y.test)
> session sid=3 $S hosts=[127.0.0.1]:25250 src=::1
< session sid=3
> session sid=4 $S hosts=[127.0.0.1]:25250 family=6
< session sid=4
> quit
exit
EOF
drive src
eq "src .2: answer" "$(val src session src 'sid=1 ')" 127.0.0.2
eq "src .3: answer" "$(val src session src 'sid=2 ')" 127.0.0.3
eq "src: delivered" "$(count src rcpt status=delivered)" 2
mx_wait 25250 messages 2
eq "src: peers seen" "$(mx_stat 25250 peers)" '["127.0.0.2", "127.0.0.3"]'
eq "src v6 to v4 host: defer" "$(val src session status 'sid=3 ')" defer
match "src v6 to v4 host: text" "$(val src session text 'sid=3 ')" \
    "no%20address*fits*"
eq "family=6 to v4 host: defer" "$(val src session status 'sid=4 ')" defer
kill "$MX_PID"

start_mx '[::1]:25251' || exit 1
cat >"$T/v6.in" <<EOF
$HELLO
> session sid=1 $S hosts=[::1]:25251 src=::1
< session sid=1
$(msgs 1 a 1 "$T/m.eml" b@y.test)
> quit
exit
EOF
drive v6
eq "IPv6: ip" "$(val v6 session ip)" ::1
eq "IPv6: src" "$(val v6 session src)" ::1
eq "IPv6: delivered" "$(val v6 rcpt status)" delivered
kill "$MX_PID"

# --- timeouts --------------------------------------------------------
start_mx 127.0.0.1:25252 --hang || exit 1
start_mx 127.0.0.1:25253 --reply 'DOT:hang' || exit 1
cat >"$T/tmo.in" <<EOF
$HELLO
time
> session sid=1 $S hosts=[127.0.0.1]:25252 greeting-timeout=1
< session sid=1
time
> session sid=2 $S hosts=[127.0.0.1]:25253 data-timeout=1 idle-timeout=1
< session sid=2
$(msgs 2 d 1 "$T/m.eml" b@y.test)
time
> session sid=3 $S hosts=[127.0.0.1]:25253 idle-timeout=1
< session sid=3
time
< closed sid=3
time
> quit
exit
EOF
drive tmo
eq "greeting timeout: defer" "$(val tmo session status 'sid=1 ')" defer
match "greeting timeout: text" "$(val tmo session text 'sid=1 ')" \
    "timeout%20with*greeting"
match "greeting timeout: 1 s" "$(grep ^time "$T/tmo.out" | sed -n 2p)" \
    "time 1.[0-4]*"
eq "data timeout: deferred" "$(val tmo rcpt status)" deferred
match "data timeout: text" "$(val tmo rcpt text)" \
    "timeout%20with*after%20end%20of%20data"
eq "data timeout: closed" "$(val tmo closed reason 'sid=2 ')" timeout
match "data timeout: 1 s" "$(grep ^time "$T/tmo.out" | sed -n 3p)" \
    "time 1.[0-4]*"
eq "idle timeout: closed" "$(val tmo closed reason 'sid=3 ')" timeout
match "idle timeout: 1 s" "$(grep ^time "$T/tmo.out" | sed -n 5p)" \
    "time 1.[0-4]*"

# --- many sessions at once ------------------------------------------
start_sink 127.0.0.1:25254 || exit 1
N=100
{
	echo "$HELLO"
	i=1
	while [ $i -le $N ]; do
		echo "> session sid=$i $S hosts=[127.0.0.1]:25254"
		i=$((i + 1))
	done
	i=1
	while [ $i -le $N ]; do
		echo "< session sid=$i"
		i=$((i + 1))
	done
	# five messages on every session, all sessions at once
	for k in 1 2 3 4 5; do
		i=1
		while [ $i -le $N ]; do
			echo "> msg sid=$i id=m$i.$k path=$T/m.eml off=0 size=$SZ nrcpt=1"
			echo "> rcpt sid=$i id=m$i.$k n=0 to=r$i@y.test"
			i=$((i + 1))
		done
		i=1
		while [ $i -le $N ]; do
			echo "< done sid=$i id=m$i.$k"
			i=$((i + 1))
		done
	done
	echo "> quit"
	echo "exit"
} >"$T/many.in"
drive many -t 30
eq "many: sessions" "$(count many session status=ok)" $N
eq "many: delivered" "$(count many rcpt status=delivered)" $((N * 5))
eq "many: closed" "$(count many closed reason=quit)" $N
eq "many: exit" "$(tail -n 1 "$T/many.out")" "exit 0"
wait_until '[ "$(sink_count 25254)" -eq $((N * 5)) ]' 10
eq "many: sink got" "$(sink_count 25254)" $((N * 5))

finish
