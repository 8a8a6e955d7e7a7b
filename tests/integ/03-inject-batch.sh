#!/bin/sh
# 03-inject-batch: mta-inject -b, batch SMTP.  200 messages in one stream
# give 200 ids in order, dot-unstuffed bodies and files that parse; a bad
# message gets "error: N: why" and exit 65 while the others are committed;
# ENVID, RET, NOTIFY and ORCPT reach the envelope; a client that waits for
# each id gets it at once (group commit waits neither for a full group nor
# for the rest of a message begun); a full disk fails with exit 75.

# The full disk is a tmpfs, mounted as root in a mount namespace of this
# test's own.
if [ -z "${IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare --mount --propagation private true 2>/dev/null; then
	IN_NS=1
	export IN_NS
	exec unshare --mount --propagation private sh "$0"
fi
. "$TOP/tests/integ/lib/common.sh"

H='[0-9a-f]'
ID=$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H
RCPT='rcpt - 0000 0000000000 0000000000'

cat >"$T/conf" <<'EOF'
host-name mx.example.test
<source 127.0.0.1>
    process-x-virtual-mta yes
    max-message-size 4k
</source>
<virtual-mta a>
</virtual-mta>
<virtual-mta b>
</virtual-mta>
EOF
newspool "$T/a" <"$T/conf"
C=$T/a/mta.conf
S=$T/a/spool

# batch ARGS... <input: run mta-inject -b on an empty spool; sets rc, out
# (ids as ID) and err
batch() {
	rm -f "$S"/new/* "$S"/tmp/*
	"$INJECT" -C "$C" -b "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(sed "s/$ID/ID/g" "$T/out")
	err=$(cat "$T/err")
}

# --- 200 messages in one stream ------------------------------------------

# Message i: CRLF lines when i is even, LF when odd; dot-stuffed lines.
awk 'BEGIN {
	for (i = 1; i <= 200; i++) {
		e = i % 2 ? "\n" : "\r\n"
		printf "MAIL FROM:<s@example.org>%sRCPT TO:<r%d@x.org>%s", e, i, e
		printf "DATA%sSubject: m%d%sMessage-ID: <m%d@x>%s", e, i, e, i, e
		printf "Date: Mon, 1 Jan 2024 00:00:00 +0000%s%s", e, e
		printf "..dot %d%s...%splain %d%s%s.. %s.%s", i, e, e, i, e, e, e, e
	}
	printf "QUIT\r\n"
}' >"$T/in"
awk 'BEGIN {
	for (i = 1; i <= 200; i++) {
		printf "Subject: m%d\r\nMessage-ID: <m%d@x>\r\n", i, i
		printf "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n"
		printf ".dot %d\r\n..\r\nplain %d\r\n\r\n. \r\n", i, i
	}
}' >"$T/want"
batch <"$T/in"
eq "200: exit" "$rc" 0
eq "200: stderr" "$err" ""
eq "200: lines" "$(grep -c "^$ID\$" "$T/out")" 200
eq "200: in order" "$(sort -c -u "$T/out" 2>&1)" ""
eq "200: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "200 0"
bad=0
: >"$T/got"
while read -r id; do
	[ "$(intact "$S/new/$id")" = ok ] || bad=$((bad + 1))
	message "$S/new/$id" >>"$T/got"
done <"$T/out"
eq "200: complete" "$bad" 0
same "200: messages, in order, unstuffed" "$T/got" "$T/want"
eq "200: show queue" "$("$CTL" -C "$C" show queue 2>&1; echo "exit $?")" \
    "$(printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    vmta domain pending delivered failed expired \
    - x.org 200 0 0 0 \
    total '*' 200 0 0 0)
messages: 200 new, 0 queued
exit 0"
eq "200: first and last" \
    "$(record "$S/new/$(head -n 1 "$T/out")" rcpt) $(record \
    "$S/new/$(tail -n 1 "$T/out")" rcpt)" \
    "- 0000 0000000000 0000000000 <r1@x.org> - 0000 0000000000 0000000000 <r200@x.org>"

# --- Errors are per message ---------------------------------------------

cat >"$T/in" <<'EOF'
HELO client.example.org
MAIL FROM:<s@example.org>
RCPT TO:<ok1@x.org>
DATA
Subject: 1

one
.
MAIL FROM:<s@example.org>
DATA
two
.
MAIL FROM:<s@example.org>
RCPT TO:<ok3@x.org>
RCPT TO:<c@@x.org>
DATA
three
.
FROB
MAIL FROM:<s@example.org>
RCPT TO:<ok4@x.org>
DATA
four
.
FROB
RSET
NOOP
MAIL FROM:<s@example.org>
RCPT TO:<ok5@x.org>
DATA
five
.
RCPT TO:<ok6@x.org>
DATA
six
.
MAIL FROM:<s@example.org>
MAIL FROM:<s@example.org>
RCPT TO:<ok7@x.org>
DATA
seven
.
MAIL FROM:<s@example.org> FOO=1
RCPT TO:<ok8@x.org>
DATA
eight
.
MAIL FROM:<s@example.org>
RCPT TO:<ok9@x.org> BAR=2
DATA
nine
.
MAIL FROM:<bad sender@x.org>
RCPT TO:<ok10@x.org>
DATA
ten
.
MAIL FROM:<s@example.org> ENVID=bad+4
RCPT TO:<ok11@x.org>
DATA
eleven
.
EHLO client.example.org
MAIL FROM:<s@example.org>
RCPT TO:<ok12@x.org>
DATA
twelve
.
QUIT
MAIL FROM:<s@example.org>
RCPT TO:<after-quit@x.org>
DATA
after QUIT: not read
.
EOF
batch <"$T/in"
eq "errors: exit" "$rc" 65
eq "errors: stdout" "$out" 'ID
error: 2: DATA without RCPT TO
error: 3: bad recipient address: more than one @ in "<c@@x.org>"
error: 4: unknown command "FROB"
ID
error: 6: DATA without MAIL FROM
error: 7: MAIL FROM given twice
error: 8: unknown MAIL parameter FOO=1
error: 9: unknown RCPT parameter BAR=2
error: 10: bad sender address: bad character in local part in "<bad sender@x.org>"
error: 11: bad xtext in ENVID=bad+4
ID'
eq "errors: stderr" "$err" ""
eq "errors: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "3 0"
for f in "$S"/new/*; do
	printf '%s %s\n' "$(intact "$f")" "$(record "$f" rcpt)"
done >"$T/got"
eq "errors: the good ones" "$(sort "$T/got")" "ok - 0000 0000000000 0000000000 <ok12@x.org>
ok - 0000 0000000000 0000000000 <ok1@x.org>
ok - 0000 0000000000 0000000000 <ok5@x.org>"

printf 'MAIL FROM:<s@example.org>\nRCPT TO:<r@x.org>\nDATA\n%s\n.\n' \
    "$(rep a 5000)" >"$T/in"
printf 'MAIL FROM:<s@example.org>\nRCPT TO:<r@x.org>\nDATA\nsmall\n.\n' \
    >>"$T/in"
batch <"$T/in"
eq "too big: exit" "$rc" 65
eq "too big: stdout" "$out" "error: 1: message too big: 4098 bytes, the limit is 4096
ID"
eq "too big: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "1 0"

printf 'MAIL FROM:<s@example.org>\nRCPT TO:<r@x.org>\nDATA\nSubject: s\n\nbo' \
    >"$T/in"
batch <"$T/in"
eq "cut short: exit" "$rc" 65
eq "cut short: stdout" "$out" "error: 1: input ended inside DATA"
eq "cut short: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "0 0"

batch r@x.org </dev/null
eq "recipients with -b: exit" "$rc" 64
eq "recipients with -b: stderr" "$err" \
    "mta-inject: fatal: -b takes its recipients from the input"
batch </dev/null
eq "empty batch: exit, stdout" "$rc [$out]" "0 []"

# --- ENVID, RET, NOTIFY, ORCPT; -N, -V and -J for the whole batch ---------

cat >"$T/in" <<'EOF'
MAIL FROM:<s@example.org> ENVID=QQ+2B314+3Dx RET=HDRS SIZE=100 BODY=8BITMIME
RCPT TO:<a@x.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@x.org
RCPT TO:<b@x.org> NOTIFY=NEVER
RCPT TO:<c@x.org>
DATA
Subject: dsn

.
MAIL FROM:<> RET=FULL
RCPT TO:<d@x.org>
DATA
X-Virtual-MTA: b
Subject: bounce

.
EOF
batch <"$T/in"
eq "dsn: exit" "$rc" 0
eq "dsn: stdout" "$out" "ID
ID"
id1=$(sed -n 1p "$T/out")
id2=$(sed -n 2p "$T/out")
eq "dsn: first" "$(shape "$S/new/$id1")" "mta-spool 1
id ID
time TIME
from <s@example.org>
size SIZE
envid QQ+314=x
ret hdrs
source local
source-name {pickup}
$RCPT <a@x.org> orcpt=rfc822;a@x.org notify=SUCCESS,FAILURE
$RCPT <b@x.org> notify=NEVER
$RCPT <c@x.org>"
eq "dsn: second" "$(shape "$S/new/$id2")" "mta-spool 1
id ID
time TIME
from <>
size SIZE
vmta b
ret full
source local
source-name {pickup}
$RCPT <d@x.org>"
eq "dsn: X-Virtual-MTA removed" "$(header "$S/new/$id2" | cut -d: -f1 |
    tr '\n' ' ')" "Subject Message-ID Date "
batch -N delay -V a -J job-b <"$T/in"
eq "flags: exit" "$rc" 0
id1=$(sed -n 1p "$T/out")
id2=$(sed -n 2p "$T/out")
eq "flags: first" "$(shape "$S/new/$id1")" "mta-spool 1
id ID
time TIME
from <s@example.org>
size SIZE
vmta a
job job-b
envid QQ+314=x
ret hdrs
source local
source-name {pickup}
$RCPT <a@x.org> orcpt=rfc822;a@x.org notify=SUCCESS,FAILURE
$RCPT <b@x.org> notify=NEVER
$RCPT <c@x.org> notify=delay"
eq "flags: second" "$(record "$S/new/$id2" vmta) $(record "$S/new/$id2" job)" \
    "a job-b"

# --- A client that waits for each id gets it at once --------------------

rm -f "$S"/new/* "$S"/tmp/*
timeout 60 /usr/bin/python3 - "$INJECT" "$C" >"$T/got" 2>&1 <<'EOF'
import os, re, select, subprocess, sys, time

inject, conf = sys.argv[1:3]
p = subprocess.Popen([inject, "-C", conf, "-b"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
fd = p.stdout.fileno()
pending = b""


def msg(i):
    return ("MAIL FROM:<s@example.org>\r\nRCPT TO:<w%d@x.org>\r\nDATA\r\n"
            "Subject: w%d\r\n\r\nwait %d\r\n.\r\n" % (i, i, i)).encode()


def readline(timeout):
    """One line of mta-inject's output, or None after timeout seconds."""
    global pending
    end = time.monotonic() + timeout
    while b"\n" not in pending:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        pending += chunk
    line, pending = pending.split(b"\n", 1)
    return line.decode()


def step(name, data, nlines):
    """Send data, then wait (10 s at most) for nlines lines."""
    p.stdin.write(data)
    p.stdin.flush()
    for _ in range(nlines):
        line = readline(10)
        if line is None:
            print(name, "no reply within 10 s")
            p.kill()
            sys.exit(1)
        print(name, re.sub("^[0-9a-f]{21}$", "ID", line))


try:
    for i in range(1, 4):
        step("one", msg(i), 1)
    step("three", msg(4) + msg(5) + msg(6), 3)
    half = msg(7)
    p.stdin.write(half[:40])
    p.stdin.flush()
    time.sleep(0.2)
    step("split", half[40:], 1)
    step("bad", b"MAIL FROM:<s@example.org>\r\nDATA\r\nx\r\n.\r\n", 1)
    step("after", msg(8), 1)
    m9, m10 = msg(9), msg(10)
    cut = m10.index(b"DATA")
    step("ahead", m9 + m10[:cut], 1)	# and the start of the next one
    step("ahead", m10[cut:], 1)
    p.stdin.write(b"QUIT\r\n")
    p.stdin.close()
    print("eof", readline(10))
    print("exit", p.wait(timeout=10))
finally:
    if p.poll() is None:
        p.kill()
EOF
eq "waiting client" "$(cat "$T/got")" "one ID
one ID
one ID
three ID
three ID
three ID
split ID
bad error: 8: DATA without RCPT TO
after ID
ahead ID
ahead ID
eof None
exit 65"
eq "waiting client: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "10 0"

# --- A full disk fails what it must, with exit 75 -------------------------

newspool "$T/full" <"$T/conf"
C=$T/full/mta.conf
S=$T/full/spool
if [ -n "${IN_NS:-}" ] && mount -t tmpfs -o size=256k tmpfs "$S"; then
	on_exit="umount '$S' 2>/dev/null; $on_exit"
	"$CTL" -C "$C" spool init >/dev/null
	printf '%s\n' 'MAIL FROM:<s@example.org>' 'RCPT TO:<r@x.org>' DATA \
	    small . 'MAIL FROM:<s@example.org>' 'RCPT TO:<r@x.org>' DATA \
	    small . 'MAIL FROM:<s@example.org>' DATA 'no rcpt' . >"$T/in"
	# No page free: every message fails.
	dd if=/dev/zero of="$S/fill" bs=4096 2>/dev/null
	batch <"$T/in"
	eq "full disk: exit" "$rc" 75
	eq "full disk: stdout" "$(echo "$out" | sed "s|$S/tmp/ID|TMP/ID|")" "error: 1: TMP/ID: write: No space left on device
error: 2: TMP/ID: write: No space left on device
error: 3: DATA without RCPT TO"
	eq "full disk: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "0 0"
	# One page free: the first message fits, the second does not.
	rm "$S/fill"
	free=$(stat -f -c %a "$S")
	dd if=/dev/zero of="$S/fill" bs=4096 count=$((free - 1)) 2>/dev/null
	batch <"$T/in"
	eq "nearly full disk: exit" "$rc" 75
	eq "nearly full disk: stdout" "$(echo "$out" | sed "s|$S/tmp/ID|TMP/ID|")" "ID
error: 2: TMP/ID: write: No space left on device
error: 3: DATA without RCPT TO"
	eq "nearly full disk: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" \
	    "1 0"
	umount "$S"
else
	echo "skip: no tmpfs"
fi

finish
