#!/bin/sh
# 75-suppress: the suppression list.  mta-ctl suppress add/remove and show
# suppressed (exit 1 for an address in no list); mta-inject refusing a
# suppressed recipient (exit 65, the list named, nothing left in the
# spool) for the store's default list, an @domain entry (also with the
# address itself in a list the source does not name), and the
# <address-list> (address, domain, /regex/, address-file) a source names
# in suppression-lists; a running mta-inject -b seeing an add and a
# remove made by another process without a restart; CSV import and
# export round trip, a bad row importing nothing; and an import killed
# with SIGKILL leaving the list either as it was or complete.
. "$TOP/tests/integ/lib/common.sh"

H='[0-9a-f]'
ID=$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H

newspool "$T/a" <<EOF
<address-list vip>
    address boss@example.com
    domain blocked.test
    address /^abuse@/
    address-file $T/list.txt
</address-list>
<source {pickup}>
    suppression-lists default, vip
</source>
EOF
C=$T/a/mta.conf
S=$T/a/spool
printf '# from the CRM\nfiled@example.com\n@filedom.test\n' >"$T/list.txt"
printf 'Subject: t\n\nhi\n' >"$T/msg"

# run COMMAND...: sets rc, out, err
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# inj RCPT...: mta-inject one message on an emptied spool
inj() {
	rm -f "$S"/new/* "$S"/tmp/*
	run "$INJECT" -C "$C" -f sender@example.org "$@" <"$T/msg"
}

# refused NAME ADDR LIST: the injection was refused for ADDR in LIST
refused() {
	eq "$1: exit" "$rc" 65
	eq "$1: stderr" "$err" \
	    "mta-inject: fatal: <$2>: recipient is in suppression list \"$3\""
	eq "$1: files left" "$(nfiles "$S/new" "$S/tmp")" 0
}

accepted() {
	eq "$1: exit" "$rc" 0
	eq "$1: stderr" "$err" ""
	match "$1: id" "$out" "$ID"
	eq "$1: files" "$(nfiles "$S/new")" 1
}

# --- mta-ctl suppress add, show suppressed ------------------------------

inj ok@example.com
accepted "empty list"

run "$CTL" -C "$C" suppress add -r "550 5.1.1 user unknown" \
    Hard@Example.COM @dom.test
eq "add: exit" "$rc" 0
eq "add: out" "$out" "2 added to default"
eq "store modes" "$(stat -c %a "$S/suppress/log")" 640

run "$CTL" -C "$C" show suppressed hard@example.com
eq "show: exit" "$rc" 0
match "show: out" "$out" 'hard@example.com: list=default source=store entry=hard@example.com added=20[0-9][0-9]-*Z reason="550 5.1.1 user unknown"'
run "$CTL" -C "$C" show suppressed x@dom.test nobody@example.com \
    abuse@any.test
eq "show 2: exit" "$rc" 1
eq "show 2: lines" "$(echo "$out" | sed 's/ added=[^ ]*//')" \
'x@dom.test: list=default source=store entry=@dom.test reason="550 5.1.1 user unknown"
nobody@example.com: not suppressed
abuse@any.test: list=vip source=config match=regex pattern=^abuse@'

run "$CTL" -C "$C" suppress add not-an-address
eq "add bad: exit" "$rc" 65
match "add bad: err" "$err" "mta-ctl: fatal: bad address not-an-address: *"
run "$CTL" -C "$C" suppress add -l "bad list" a@example.com
eq "add bad list: exit" "$rc" 64
run "$CTL" -C "$C" suppress frobnicate
eq "unknown: exit" "$rc" 64

# --- mta-inject refuses, per list ----------------------------------------

inj hard@example.com
refused "store address" hard@example.com default
inj ok@example.com HARD@example.com
refused "one of two" HARD@example.com default
inj someone@DOM.test
refused "store domain" someone@dom.test default
inj boss@example.com
refused "config address" boss@example.com vip
inj x@blocked.test
refused "config domain" x@blocked.test vip
inj abuse@example.net
refused "config regex" abuse@example.net vip
inj filed@example.com
refused "address-file address" filed@example.com vip
inj y@filedom.test
refused "address-file domain" y@filedom.test vip
inj x@sub.blocked.test
accepted "subdomain not listed"

# A list the source does not name is not consulted.
run "$CTL" -C "$C" suppress add -l other other@example.com
inj other@example.com
accepted "unnamed list"

# The address in a list the source does not name, its domain in one it
# does: the domain's entry counts, and show suppressed gives both.
run "$CTL" -C "$C" suppress add -l other a@split.test
run "$CTL" -C "$C" suppress add @split.test
inj a@split.test
refused "address elsewhere, domain listed" a@split.test default
run "$CTL" -C "$C" show suppressed a@split.test
eq "show both: lines" "$(echo "$out" | sed 's/ added=[^ ]*//')" \
'a@split.test: list=other source=store entry=a@split.test reason=""
a@split.test: list=default source=store entry=@split.test reason=""'
run "$CTL" -C "$C" suppress remove a@split.test @split.test
eq "split: removed" "$out" "2 removed, 0 not suppressed"

# --- remove ---------------------------------------------------------------

run "$CTL" -C "$C" suppress remove hard@example.com never@example.com
eq "remove: out" "$out" "1 removed, 1 not suppressed"
inj hard@example.com
accepted "removed"

# --- another process's change, seen by a running mta-inject -b ----------

rm -f "$S"/new/* "$S"/tmp/*
timeout 60 /usr/bin/python3 - "$INJECT" "$CTL" "$C" >"$T/got" 2>&1 <<'EOF'
import os, select, subprocess, sys, time

inject, ctl, conf = sys.argv[1:4]
p = subprocess.Popen([inject, "-C", conf, "-b"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
fd = p.stdout.fileno()
pending = b""


def readline(timeout):
    global pending
    end = time.monotonic() + timeout
    while b"\n" not in pending:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return "(timeout)"
        chunk = os.read(fd, 4096)
        if not chunk:
            return "(eof)"
        pending += chunk
    line, pending = pending.split(b"\n", 1)
    return line.decode()


def send(i):
    p.stdin.write(("MAIL FROM:<s@example.org>\r\nRCPT TO:<live@x.org>\r\n"
                   "DATA\r\nSubject: %d\r\n\r\nbody\r\n.\r\n" % i).encode())
    p.stdin.flush()
    line = readline(10)
    print("id" if len(line) == 21 else line)


def suppress(*args):
    subprocess.run([ctl, "-C", conf, "suppress"] + list(args),
                   stdout=subprocess.DEVNULL, check=True)


send(1)
suppress("add", "live@x.org")
send(2)
suppress("remove", "live@x.org")
send(3)
p.stdin.close()
print("exit", p.wait(timeout=10))
EOF
eq "live reader" "$(cat "$T/got")" 'id
error: 2: <live@x.org>: recipient is in suppression list "default"
id
exit 65'

# --- CSV import and export -----------------------------------------------

cat >"$T/in.csv" <<'EOF'
address,list,added,reason
imp1@example.com,default,2026-01-02T03:04:05Z,"550 5.1.1 no such user, really"
IMP2@example.com,bounces,1700000000,
@imp.test,,,"a reason
on two lines"
EOF
run "$CTL" -C "$C" suppress import "$T/in.csv"
eq "import: exit" "$rc" 0
eq "import: out" "$out" "3 imported, 5 in the list"
inj imp1@example.com
refused "imported" imp1@example.com default
run "$CTL" -C "$C" suppress export -l bounces
eq "export one list" "$out" 'address,list,added,reason
"imp2@example.com","bounces",2023-11-14T22:13:20Z,""'
run "$CTL" -C "$C" suppress export
eq "export: exit" "$rc" 0
eq "export: rows" "$(echo "$out" | wc -l)" 6
match "export: reason quoted" "$out" '*"imp1@example.com","default",2026-01-02T03:04:05Z,"550 5.1.1 no such user, really"*'
match "export: line end kept out" "$out" '*"@imp.test","default",*,"a reason on two lines"*'

# The export imports back to the same list, in a new spool.
cp "$T/out" "$T/export.csv"
newspool "$T/b" </dev/null
run "$CTL" -C "$T/b/mta.conf" suppress import "$T/export.csv"
eq "re-import" "$out" "5 imported, 5 in the list"
"$CTL" -C "$T/b/mta.conf" suppress export >"$T/export2.csv"
same "round trip" "$T/export2.csv" "$T/export.csv"

# A bad row: nothing imported, the rows named.
printf 'good@example.com\nbad address\nalso@example.com,l,never\n' \
    >"$T/bad.csv"
run "$CTL" -C "$C" suppress import "$T/bad.csv"
eq "bad import: exit" "$rc" 65
match "bad import: err" "$err" "mta-ctl: warning: $T/bad.csv: row 2: bad address bad address: *
mta-ctl: warning: $T/bad.csv: row 3: bad time \"never\"
mta-ctl: fatal: $T/bad.csv: 2 bad rows, nothing imported"
run "$CTL" -C "$C" show suppressed good@example.com
eq "bad import: nothing" "$out" "good@example.com: not suppressed"
run "$CTL" -C "$C" suppress import "$T/none.csv"
eq "missing file: exit" "$rc" 66

# --- an import killed: the list as it was, or complete --------------------

awk 'BEGIN { for (i = 0; i < 300000; i++) printf "k%d@kill.test,kill\n", i }' \
    >"$T/big.csv"
before=$("$CTL" -C "$C" suppress export | wc -l)
kills=0
for delay in 0.05 0.1 0.2 0.3 0.5 0.8; do
	"$CTL" -C "$C" suppress import "$T/big.csv" >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	n=$("$CTL" -C "$C" suppress export | wc -l)
	case $n in
	"$before"|$((before + 300000)))	pass ;;
	*)	fail "killed import at ${delay}s: $n rows, want $before or $((before + 300000))" ;;
	esac
	# the store still takes writes after the kill
	run "$CTL" -C "$C" suppress add "after$delay@kill.test"
	eq "add after kill $delay" "$rc" 0
	before=$((n + 1))
done
match "kills landed" "$kills" '[1-9]*'
# A killed import may have finished: count what is not from big.csv.
others=$("$CTL" -C "$C" suppress export | grep -cv '^"k[0-9]*@kill\.test"')
run "$CTL" -C "$C" suppress import "$T/big.csv"
eq "import after kills" "$out" "300000 imported, $((others - 1 + 300000)) in the list"
run "$CTL" -C "$C" suppress remove k123@kill.test
run "$CTL" -C "$C" show suppressed k124@kill.test
match "big list lookup" "$out" "k124@kill.test: list=kill *"

finish
