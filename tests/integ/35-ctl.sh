#!/bin/sh
# 35-ctl: mta-ctl's commands that ask a running mta-queue through its
# control socket.  "Not running" before it starts (no socket, then a
# stale one); the socket's mode; each command's text and JSON with
# messages held in queues whose MX (127.0.0.1:25401) refuses connections;
# pause/resume, backoff, schedule, reload (good and broken config),
# delete, sources; bad requests from mta-ctl; hostile bytes straight onto
# the socket (over-long, binary, unknown verb, no end of line, too many
# clients, a client that never speaks) with the server still up; a second
# mta-queue refused; the socket removed at exit.
. "$TOP/tests/integ/lib/common.sh"

QUEUE=$TOP/cmd/mta-queue/mta-queue
DEAD=25401	# nothing listens here: the messages stay queued
if [ ! -x "$QUEUE" ]; then
	fail "no $QUEUE"
	finish
	exit
fi
MTA_DELIVER=$TOP/cmd/mta-deliver/mta-deliver
export MTA_DELIVER

cat >"$T/conf" <<EOF
host-name mx.example.test
<virtual-mta a>
    smtp-source-host 127.0.0.1 mx.example.test
</virtual-mta>
<domain *>
    smtp-hosts [127.0.0.1]:$DEAD
    retry-after 1h
</domain>
<domain dead.test>
    max-smtp-out 3
</domain>
EOF
newspool "$T/i" <"$T/conf"
C=$T/i/mta.conf
S=$T/i/spool

# ctl ARGS...: run mta-ctl; sets rc, out, err
ctl() {
	"$CTL" -C "$C" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# json NAME: $T/out is one valid JSON document
json() {
	if python3 -m json.tool "$T/out" >/dev/null 2>"$T/jerr"; then
		pass
	else
		fail "$1: not JSON: $(head -c 300 "$T/out") $(cat "$T/jerr")"
	fi
}

# jq_ NAME EXPR WANT: a python expression on the document d
jq_() {
	eq "$1" "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/out" "$2" 2>&1)" "$3"
}

# col NAME KEY COLUMN WANT: column N of the line whose first field is KEY
col() {
	eq "$1" "$(printf '%s\n' "$out" | awk -v k="$2" -v n="$3" \
	    '$1 == k { print $n }')" "$4"
}

# sock REQUEST-PY: send python bytes to the socket, print the reply
sock() {
	python3 - "$S/control" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
s.connect(sys.argv[1])
try:
    s.sendall(eval(sys.argv[2]))
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
d = b""
while True:
    try:
        x = s.recv(65536)
    except ConnectionResetError:
        break
    if not x:
        break
    d += x
sys.stdout.write(d.decode("latin1"))
EOF
}

# --- Down: no socket, then a stale one; show queue still works ----------

ctl show queues
eq "no socket: exit" "$rc" 69
eq "no socket: message" "$err" "mta-ctl: fatal: mta-queue is not running \
($S/control: No such file or directory)"
eq "no socket: stdout" "$out" ""
python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$S/control"
ctl status
eq "stale socket: exit" "$rc" 69
eq "stale socket: message" "$err" "mta-ctl: fatal: mta-queue is not \
running ($S/control: Connection refused)"
ctl -q "$S" show queues --json
eq "-q: exit" "$rc" 69

printf 'Subject: a\n\nx\n' | "$INJECT" -C "$C" -f s@example.org -J job1 \
    r1@dead.test r2@dead.test >/dev/null
printf 'Subject: b\n\nx\n' | "$INJECT" -C "$C" -f t@example.org -J job2 \
    r3@dead.test >/dev/null
printf 'Subject: c\n\nx\n' | "$INJECT" -C "$C" -V a -f s@example.org \
    x@other.test >/dev/null
# queued_bytes DOMAIN: the bytes a queue to DOMAIN holds, from the
# envelopes in new/: each message's size once for each recipient there
queued_bytes() {
	for f in "$S"/new/*; do
		echo "$(envelope "$f" | grep -c "^rcpt .*@$1>\$") $(message "$f" |
		    wc -c)"
	done | awk '{ n += $1 * $2 } END { print n }'
}
dead_bytes=$(queued_bytes dead.test) other_bytes=$(queued_bytes other.test)
ctl show queue
eq "offline show queue" "$rc $(printf '%s\n' "$out" | tail -n 1)" \
    "0 messages: 3 new, 0 queued"

# --- Up --------------------------------------------------------------------

"$QUEUE" -C "$C" -w 1 2>"$T/queue.log" &
QPID=$!
on_exit="kill $QPID 2>/dev/null; $on_exit"

# up: wait (at most 10 s) for mta-queue to answer with its 2 queues
up() {
	i=0
	while [ $i -lt 100 ]; do
		ctl status
		[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" |
		    awk '$1 == "queues" { print $2 }')" = 2 ] && return
		sleep 0.1
		i=$((i + 1))
	done
}
up
eq "up" "$rc" 0
eq "socket mode" "$(stat -c '%a %F %g' "$S/control")" \
    "660 socket $(stat -c %g "$S")"

ctl status
eq "status: exit" "$rc" 0
col "status: pid" pid 2 "$QPID"
col "status: queues" queues 2 2
col "status: messages" messages 2 3
col "status: rcpts" rcpts 2 4
col "status: config" config 2 "$C"
match "status: started" "$(printf '%s\n' "$out" | awk '$1 == "started"')" \
    'started    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'
ctl status --json
json "status --json"
jq_ "status --json: pid" "d['pid'] == $QPID and d['rcpts']" 4
jq_ "status --json: keys" "sorted(d)" "['config', 'deferred', \
'delivered', 'expired', 'failed', 'injected', 'messages', 'now', 'pid', \
'queues', 'rcpts', 'sessions', 'started', 'workers']"
ctl show status
col "show status" pid 2 "$QPID"

ctl show queues
eq "show queues: exit" "$rc" 0
eq "show queues: header" "$(printf '%s\n' "$out" | head -n 1 | tr -s ' ')" \
    "queue rcpts bytes sessions mode paused retry oldest delivered \
deferred failed expired last-error"
eq "show queues: names" "$(printf '%s\n' "$out" | awk 'NR > 1 { print $1 }' |
    tr '\n' ' ')" "dead.test/{default} other.test/a "
col "show queues: rcpts" "dead.test/{default}" 2 3
col "show queues: bytes" "dead.test/{default}" 3 "$dead_bytes"
col "show queues: bytes, one rcpt" "other.test/a" 3 "$other_bytes"
col "show queues: sessions" "dead.test/{default}" 4 "0/3"
col "show queues: mode" "dead.test/{default}" 5 normal
col "show queues: paused" "dead.test/{default}" 6 no
match "show queues: oldest" "$(printf '%s\n' "$out" |
    awk '$1 == "other.test/a" { print $8 }')" '[0-9]*s'
# The sizes hold mta-inject's Received: date, one byte longer on days
# 10-31 than on days 1-9: the values are checked above, the widths here.
eq "show queues: aligned" "$(printf '%s\n' "$out" | cut -c 1-33 |
    sed 's/[0-9]/9/g')" \
    "queue                rcpts  bytes
dead.test/{default}      9    999
other.test/a             9    999"
ctl show queues --json
json "show queues --json"
jq_ "show queues --json: names" "[q['name'] for q in d['queues']]" \
    "['dead.test/{default}', 'other.test/a']"
jq_ "show queues --json: first" "[(k, d['queues'][0][k]) for k in \
('rcpts', 'max_sessions', 'mode', 'paused', 'vmta')]" \
    "[('rcpts', 3), ('max_sessions', 3), ('mode', 'normal'), \
('paused', False), ('vmta', '{default}')]"
# null until a failed attempt sets a retry time (1h: retry-after)
jq_ "show queues --json: retry_at" "d['queues'][0]['retry_at'] is None or \
0 < d['queues'][0]['retry_at'] - d['queues'][0]['oldest'] <= 3700" True
jq_ "show queues --json: oldest" \
    "isinstance(d['queues'][1]['oldest'], int)" True
ctl show queues other.test
eq "show queues pattern" "$(printf '%s\n' "$out" | awk 'NR > 1 { print $1 }')" \
    "other.test/a"
ctl show queues '*/a' --json
jq_ "show queues */a" "[q['name'] for q in d['queues']]" "['other.test/a']"
ctl show queues 'NONE.test'
eq "show queues none" "$rc $(printf '%s\n' "$out" | wc -l)" "0 1"

ctl show domains
eq "show domains: header" "$(printf '%s\n' "$out" | head -n 1 | tr -s ' ')" \
    "domain queues rcpts bytes sessions paused backoff oldest delivered \
deferred failed expired"
col "show domains: dead.test" dead.test 3 3
col "show domains: other.test" other.test 2 1
ctl show domains --json
json "show domains --json"
jq_ "show domains --json" "[(x['name'], x['rcpts'], x['queues']) for x in \
d['domains']]" "[('dead.test', 3, 1), ('other.test', 1, 1)]"
ctl show vmtas
col "show vmtas: a" a 3 1
col "show vmtas: default" "{default}" 3 3
ctl show vmtas --json
json "show vmtas --json"
jq_ "show vmtas --json" "[x['name'] for x in d['vmtas']]" \
    "['a', '{default}']"

ctl show settings dead.test/a
eq "show settings" "$rc $(printf '%s\n' "$out" | tr -s ' ')" \
    "0 queue dead.test/a
 max-smtp-out 3 # $C:11
 retry-after 1h # $C:8
 smtp-hosts [127.0.0.1]:$DEAD # $C:7"
ctl show settings dead.test/a --json
json "show settings --json"
jq_ "show settings --json" "(d['queue'], d['settings'][0])" \
    "('dead.test/a', {'name': 'max-smtp-out', 'value': '3', 'file': '$C', \
'line': 11})"

# --- Steering -------------------------------------------------------------

ctl pause queue dead.test
eq "pause" "$rc $out" "0 1 queue(s) paused"
ctl show queues
col "paused" "dead.test/{default}" 6 yes
col "other not paused" "other.test/a" 6 no
ctl show domains
col "paused in domains" dead.test 6 1
ctl resume queue 'DEAD.test/*' --json
json "resume --json"
jq_ "resume --json" "d" "{'ok': True, 'queues': 1}"
ctl show queues dead.test --json
jq_ "resumed" "d['queues'][0]['paused']" False

ctl set queue --mode=backoff '*'
eq "backoff" "$rc $out" "0 2 queue(s) set to backoff mode"
ctl show queues
col "backoff" "other.test/a" 5 backoff
ctl show vmtas
col "backoff in vmtas" a 7 1
ctl set queue other.test --mode=normal --json
jq_ "normal --json" "d" "{'ok': True, 'queues': 1, 'mode': 'normal'}"
ctl show queues
eq "modes" "$(printf '%s\n' "$out" | awk 'NR > 1 { print $5 }' |
    tr '\n' ' ')" "backoff normal "
ctl set queue --mode=fast dead.test
eq "bad mode" "$rc" 65
eq "bad mode: message" "$err" \
    "mta-ctl: fatal: mode: mode= must be normal or backoff"
ctl set queue dead.test
eq "no mode" "$rc" 64

ctl schedule dead.test
eq "schedule" "$rc $out" "0 1 queue(s) scheduled for delivery now"

ctl reload
eq "reload" "$rc $out" "0 configuration reloaded"
cp "$C" "$T/good.conf"
printf '<domain broken.test>\n    max-smtp-out ten\n' >>"$C"
ctl reload
eq "reload broken, found by mta-ctl: exit" "$rc" 78
eq "reload broken, found by mta-ctl" "$(printf '%s\n' "$err" | grep -v \
    '^Warning')" "Error in line 14 of $C: max-smtp-out: not a number: \"ten\"
Error in line 13 of $C: <domain broken.test> is never closed
mta-ctl: fatal: $C: 2 errors"
ctl -q "$S" reload
eq "reload broken, found by mta-queue: exit" "$rc" 78
match "reload broken, found by mta-queue" "$err" "mta-ctl: fatal: *$C*"
cp "$T/good.conf" "$C"
ctl show settings dead.test
eq "old config kept" "$rc $(printf '%s\n' "$out" | sed -n 2p | tr -s ' ')" \
    "0  max-smtp-out 3 # $C:11"

ctl delete --rcpt=r1@dead.test
eq "delete rcpt" "$rc $out" "0 1 recipient(s) deleted"
ctl delete --jobId=job2 --queue=dead.test --json
jq_ "delete job" "d" "{'ok': True, 'rcpts': 1}"
ctl delete --orig=nobody@example.org
eq "delete none" "$rc $out" "0 0 recipient(s) deleted"
ctl show queues
col "after delete" "dead.test/{default}" 2 1
col "after delete: failed" "dead.test/{default}" 11 2
ctl delete
eq "delete without filter" "$rc" 64
ctl delete dead.test
eq "delete with a word" "$rc" 64

ctl disable source 127.0.0.1
eq "disable source" "$rc $out" "0 source 127.0.0.1 disabled"
ctl enable source 127.0.0.1 --json
jq_ "enable source" "d" "{'ok': True, 'ip': '127.0.0.1'}"
ctl disable source 192.0.2.9
eq "disable unknown source" "$rc $err" "65 mta-ctl: fatal: disable \
192.0.2.9: no queue sends from this address"
ctl disable source not-an-ip
eq "disable bad source" "$rc $err" \
    "65 mta-ctl: fatal: disable: not an IP address"

# --- Bad requests from mta-ctl -----------------------------------------

ctl show queues 'a/b/c'
eq "bad pattern" "$rc $err" "65 mta-ctl: fatal: queues: bad queue pattern"
ctl show settings '*'
eq "settings of *" "$rc" 65
ctl pause queue
eq "pause without pattern" "$rc" 64
ctl show queues --bogus
eq "unknown option" "$rc" 64
ctl pause queue "$(rep x 5000)"
eq "over-long request" "$rc $err" \
    "65 mta-ctl: fatal: request longer than 4096 bytes"

# --- Hostile bytes straight onto the socket --------------------------------

# A client that never speaks is dropped after 10 s: started now, read
# at the end.
python3 - "$S/control" >"$T/mute" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
t = time.time()
try:
    d = s.recv(100)
except OSError as e:
    d = repr(e).encode()
print("closed" if d == b"" else d, 9 <= time.time() - t < 15)
EOF
MUTE=$!

r=$(sock 'b"x" * 10000')
eq "over-long line" "$r" "error kind=request \
text=bad%20request:%20record%20longer%20than%204096%20bytes"
r=$(sock 'bytes(range(256)) + b"\n"')
match "binary" "$r" "error kind=request text=bad%20request:*"
r=$(sock 'b"\x00\xff\xfe\n"')
match "NUL and 8-bit" "$r" "error kind=request text=bad%20request:*"
r=$(sock 'b"shutdown now=1\n"')
eq "unknown verb" "$r" \
    'error kind=request text=unknown%20request%20"shutdown"'
r=$(sock 'b"queues queue=%zz\n"')
eq "bad escape" "$r" \
    "error kind=request text=bad%20request:%20bad%20escape%20in%20value"
r=$(sock 'b"status"')
eq "no end of line" "$r" \
    "error kind=request text=request%20without%20end%20of%20line"
r=$(sock 'b"pause queue=dead.test/\n"')
eq "pattern ending in /" "$r" \
    "error kind=request text=pause:%20bad%20queue%20pattern"
r=$(sock 'b"pause queue=dead.test%0A\n"')
eq "pattern with LF" "$r" \
    "error kind=request text=pause:%20bad%20queue%20pattern"
r=$(sock 'b"status\nreload\n" + b"y" * 100000')
eq "trailing junk ignored" "$(printf '%s\n' "$r" | sed -n '1p;$p' |
    tr '\n' ' ')" "ok end "
r=$(sock 'b"queues junk=%00 queue=other.test\n"')
eq "unknown key ignored" "$(printf '%s\n' "$r" | cut -d' ' -f1-2 |
    tr '\n' ' ')" "ok queue name=other.test/a end "

# 40 clients at once, all silent: the 33rd on is told "busy"; then all
# go and the server answers again.
python3 - "$S/control" >"$T/many" 2>&1 <<'EOF'
import socket, sys
socks = []
for i in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    socks.append(s)
busy = 0
for s in socks[32:]:
    try:
        if s.recv(100).startswith(b"error kind=busy"):
            busy += 1
    except OSError:
        pass
print(busy)
for s in socks:
    s.close()
EOF
eq "too many clients" "$(cat "$T/many")" 8

i=0
while [ $i -lt 50 ] && kill -0 $MUTE 2>/dev/null; do
	sleep 0.3
	i=$((i + 1))
done
wait $MUTE
eq "silent client dropped" "$(cat "$T/mute")" "closed True"

ctl status
eq "still up: exit" "$rc" 0
col "still up: same pid" pid 2 "$QPID"

# --- A second mta-queue on the same spool is refused -------------------

"$QUEUE" -C "$C" -w 1 >"$T/q2.out" 2>"$T/q2.err" &
Q2=$!
i=0
while [ $i -lt 50 ] && kill -0 $Q2 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 $Q2 2>/dev/null; then
	kill $Q2
	wait $Q2
	fail "second mta-queue: still running after 5 s: $(cat "$T/q2.err")"
else
	wait $Q2
	eq "second mta-queue: exit" "$?" 75
fi
ctl status
col "first still answers" pid 2 "$QPID"

# --- Down again --------------------------------------------------------------

kill $QPID
i=0
while [ $i -lt 100 ] && kill -0 $QPID 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
wait $QPID
eq "mta-queue stopped" "$?" 0
eq "socket removed" "$(ls "$S" | grep -c '^control$')" 0
ctl status
eq "after stop" "$rc" 69
eq "log: pause" "$(grep -c 'info: control pause queue=dead.test: ok queues=1$' \
    "$T/queue.log")" 1
eq "log: delete" "$(grep -c \
    'info: control delete rcpt=r1@dead.test: ok rcpts=1$' "$T/queue.log")" 1
eq "log: status not logged" "$(grep -c 'info: control status' \
    "$T/queue.log")" 0
finish
