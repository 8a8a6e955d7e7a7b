#!/bin/sh
# 05-peers: the test peers of tests/integ/lib/peers.sh work as the other
# tests expect: smtp-sink counts what it took and refuses on request,
# smtp-source loads it, dnsmasq answers MX and A queries, and mx.py
# counts connections, peers, messages and replies, keeps messages byte
# for byte, greylists, refuses by rule, greets badly or late, hangs,
# speaks STARTTLS, answers slowly and stops after N messages.  Ports
# 25500-25599 on 127.0.0.1.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"

# smtp ARGS...: swaks to the server given, output in $T/swaks; sets rc
smtp() {
	swaks --timeout 5 -f a@example.test "$@" >"$T/swaks" 2>&1
	rc=$?
}

# said PATTERN: a reply line in the last swaks session matches
said() {
	grep -q -- "$1" "$T/swaks" && echo yes || echo no
}

# since START: whole seconds elapsed since START ($(date +%s))
since() {
	echo $(($(date +%s) - $1))
}

eq "postfix tools" "$(postfix_available && echo yes)" yes

# --- smtp-sink
if start_sink 127.0.0.1:25501; then
	smtp --server 127.0.0.1:25501 -t b@example.test
	eq "sink: swaks" "$rc" 0
	smtp --server 127.0.0.1:25501 -t b@example.test --quit-after RCPT
	eq "sink: one message" "$(sink_count 25501)" 1
	LD_LIBRARY_PATH=$PFX_LIBS "$SMTP_SOURCE" -s 4 -m 20 -f a@example.test \
	    -t b@example.test 127.0.0.1:25501 >"$T/source" 2>&1
	eq "smtp-source: exit" "$?" 0
	eq "sink: after smtp-source" "$(sink_count "$SINK_DUMP")" 21
	eq "sink: recipient dumped" "$(grep -l '^X-Rcpt-Args: <b@example.test>' \
	    "$SINK_DUMP"/* | wc -l | tr -d ' ')" 21
fi
if start_sink 127.0.0.1:25502 -r RCPT -b "450 4.7.650 slow down"; then
	smtp --server 127.0.0.1:25502 -t b@example.test
	eq "sink -r RCPT: refused" "$rc $(said '<\*\* 450 4.7.650 slow down')" \
	    "24 yes"
	eq "sink -r RCPT: nothing taken" "$(sink_count 25502)" 0
fi

# --- dnsmasq
if start_dnsmasq 25553 --mx-host=example.test,mx.example.test,10 \
    --host-record=mx.example.test,127.0.0.1 --local=/example.test/; then
	eq "dnsmasq: MX" "$(dig +short +time=2 -p 25553 @127.0.0.1 MX \
	    example.test)" "10 mx.example.test."
	eq "dnsmasq: A" "$(dig +short +time=2 -p 25553 @127.0.0.1 A \
	    mx.example.test)" "127.0.0.1"
	eq "dnsmasq: no such name" "$(dig +time=2 -p 25553 @127.0.0.1 A \
	    nx.example.test | grep -c NXDOMAIN)" 1
fi

# --- mx.py: counting, two peers, the mbox byte for byte
if start_mx 127.0.0.1:25510 --mbox "$T/mbox"; then
	eq "mx: nothing yet" "$(mx_stat 25510 connections)" 0
	smtp --server 127.0.0.1:25510 -t b@example.test
	eq "mx: swaks" "$rc" 0
	smtp --server 127.0.0.1:25510 -t b@example.test,c@example.test \
	    --local-interface 127.0.0.2
	eq "mx: swaks from 127.0.0.2" "$rc" 0
	# the message bytes as sent: dot-stuffing undone, a bare LF kept
	printf 'Subject: raw\r\n\r\n.dot\r\nbare\nlf\r\n\377\r\n' >"$T/raw"
	"$PY" - "$T/raw" <<'EOF' >"$T/rawclient" 2>&1
import socket, sys
body = open(sys.argv[1], "rb").read()
wire = body.replace(b"\r\n.", b"\r\n..")
s = socket.create_connection(("127.0.0.1", 25510), timeout=5)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            return line
reply()
for cmd in (b"EHLO raw.test", b"MAIL FROM:<r@example.test>",
            b"RCPT TO:<d@example.test>", b"DATA"):
    s.sendall(cmd + b"\r\n")
    reply()
s.sendall(wire + b".\r\n")
print(reply().decode().strip())
s.sendall(b"QUIT\r\n")
reply()
EOF
	eq "mx: raw client" "$(cat "$T/rawclient")" "250 2.0.0 OK 3"
	mx_wait 25510 concurrent 0
	eq "mx: connections" "$(mx_stat 25510 connections)" 3
	eq "mx: messages" "$(mx_stat 25510 messages)" 3
	eq "mx: times" "$(mx_stat 25510 'len(message_times)')" 3
	eq "mx: peers" "$(mx_stat 25510 peers)" '["127.0.0.1", "127.0.0.2"]'
	eq "mx: per connection" "$(mx_stat 25510 per_connection)" '[1, 1, 1]'
	eq "mx: recipients" "$(mx_stat 25510 \
	    'message_log[1]["rcpts"]')" '["b@example.test", "c@example.test"]'
	eq "mx: helo" "$(mx_stat 25510 'message_log[2]["helo"]')" raw.test
	eq "mx: mbox files" "$(nfiles "$T/mbox")" 3
	same "mx: mbox bytes" "$T/mbox/000003.eml" "$T/raw"
fi

# --- smtp-source reusing connections: concurrency, messages per connection
if start_mx 127.0.0.1:25511 --delay-data 0.2; then
	LD_LIBRARY_PATH=$PFX_LIBS "$SMTP_SOURCE" -d -s 2 -m 6 \
	    -f a@example.test -t b@example.test 127.0.0.1:25511 \
	    >"$T/source" 2>&1
	mx_wait 25511 concurrent 0
	eq "mx: smtp-source messages" "$(mx_stat 25511 messages)" 6
	eq "mx: smtp-source connections" "$(mx_stat 25511 connections)" 2
	eq "mx: max concurrent" "$(mx_stat 25511 max_concurrent)" 2
	eq "mx: max per connection" "$(mx_stat 25511 max_per_connection)" 3
fi

# --- greylisting and reply rules
if start_mx 127.0.0.1:25512 --defer-first 1 \
    --reply 'RCPT:^bad@:550 5.1.1 no such user' \
    --reply 'DOT:REJECTME:554 5.7.1 refused\n554 5.7.1 by rule' \
    --reply 'MAIL:^drop@:drop'; then
	smtp --server 127.0.0.1:25512 -t g@example.test
	eq "grey: first" "$rc $(said '<\*\* 451 4.7.1')" "24 yes"
	smtp --server 127.0.0.1:25512 -t g@example.test,bad@example.test
	eq "grey: second" "$rc $(said '<\*\* 550 5.1.1 no such user')" "0 yes"
	smtp --server 127.0.0.1:25512 -t g@example.test --body REJECTME
	eq "rule DOT: multi-line" "$rc $(said '<\*\* 554-5.7.1 refused') \
$(said '<\*\* 554 5.7.1 by rule')" "26 yes yes"
	smtp --server 127.0.0.1:25512 -t g@example.test -f drop@example.test
	match "rule drop: swaks fails" "$rc" "[1-9]*"
	mx_wait 25512 concurrent 0
	eq "grey: g rcpt" "$(mx_stat 25512 'recipients["g@example.test"]')" \
	    '{"data": ["250", "554"], "delivered": 1, "rcpt": ["451", "250", "250"]}'
	eq "rule: bad rcpt" "$(mx_stat 25512 \
	    'recipients["bad@example.test"]["rcpt"]')" '["550"]'
	eq "rule: messages" "$(mx_stat 25512 messages)" 1
fi

# --- greetings: refused, late, none
if start_mx 127.0.0.1:25520 --greeting "421 4.3.2 go away"; then
	smtp --server 127.0.0.1:25520 -t b@example.test
	eq "greeting 421" "$(said '<\*\* 421 4.3.2 go away')" yes
	mx_wait 25520 connections,concurrent "[1, 0]"
	eq "greeting 421: closed" "$(mx_stat 25520 \
	    'connections, concurrent, messages')" '[1, 0, 0]'
fi
if start_mx 127.0.0.1:25521 --greeting-delay 2; then
	t0=$(date +%s)
	smtp --server 127.0.0.1:25521 -t b@example.test
	eq "greeting delay: sent" "$rc" 0
	match "greeting delay: took" "$(since "$t0")" "[2-9]"
fi
if start_mx 127.0.0.1:25522 --hang; then
	t0=$(date +%s)
	swaks --timeout 1 --server 127.0.0.1:25522 -t b@example.test \
	    >"$T/swaks" 2>&1
	match "hang: swaks gives up" "$?" "[1-9]*"
	match "hang: after its timeout" "$(since "$t0")" "[1-5]"
	eq "hang: counted" "$(mx_stat 25522 'connections, messages')" '[1, 0]'
fi

# --- STARTTLS, required
if make_cert "$T/tls" && start_mx 127.0.0.1:25530 --tls-cert \
    "$T/tls/cert.pem" --tls-key "$T/tls/key.pem" --require-tls; then
	smtp --server 127.0.0.1:25530 -t b@example.test
	eq "tls required: plain refused" "$rc $(said '<\*\* 530')" "23 yes"
	smtp --server 127.0.0.1:25530 -t b@example.test --tls
	eq "tls: sent" "$rc" 0
	eq "tls: counted" "$(mx_stat 25530 'messages, tls_sessions')" '[1, 1]'
	match "tls: version" "$(mx_stat 25530 tls_versions)" '\["TLSv1.[23]"\]'
	match "tls: per message" "$(mx_stat 25530 'message_log[0]["tls"]')" \
	    'TLSv1.[23]'
fi

# --- a slow reply to the message; exit after N messages
if start_mx 127.0.0.1:25540 --delay-data 2 --max-messages 2; then
	t0=$(date +%s)
	smtp --server 127.0.0.1:25540 -t b@example.test
	eq "delay-data: sent" "$rc" 0
	match "delay-data: took" "$(since "$t0")" "[2-9]"
	eq "max-messages: still up after 1" \
	    "$(kill -0 "$MX_PID" 2>/dev/null && echo yes)" yes
	smtp --server 127.0.0.1:25540 -t b@example.test
	eq "max-messages: second sent" "$rc" 0
	wait_until "! kill -0 $MX_PID" 10
	eq "max-messages: exited" \
	    "$(kill -0 "$MX_PID" 2>/dev/null || echo gone)" gone
	eq "max-messages: final stats" "$(mx_stat 25540 \
	    'messages, concurrent')" '[2, 0]'
	eq "max-messages: not listening" "$(listening 127.0.0.1:25540 ||
	    echo no)" no
fi

# --- bad options are refused with a message
"$PY" "$MX_PY" --listen 127.0.0.1:25590 --reply 'RCPT:x:hello' \
    >"$T/out" 2>&1
eq "mx: bad rule exit" "$?" 2
match "mx: bad rule message" "$(tail -n 1 "$T/out")" "*--reply*3-digit*"

finish
