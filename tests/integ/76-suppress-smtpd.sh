#!/bin/sh
# 76-suppress-smtpd: mta-smtpd checking recipients against the
# suppression lists at RCPT.  The exact 550 5.7.1 text naming the list;
# the store's address and @domain entries (mta-ctl suppress add) for a
# source that names no list ("default"); an <address-list> (address,
# domain, /regex/, address-file) for a source that names it in
# suppression-lists, alone and with default; the other recipients of
# the same transaction accepted and alone in the spool file; a refused
# one in the middle of a pipelined group; DATA with every recipient
# refused (554); an address in a list the source does not name refused
# for its @domain in one it does; the lists of the source an AUTH user
# takes; an address added while mta-smtpd runs refused at once; a
# source whose list does not load deferred with 451 4.3.0, the others
# served; the end of DATA using the lists of RCPT, not reading an
# address-file again (gone meanwhile), for sources in turn; SIGHUP
# taking a changed config and address-file, and refusing one whose
# address-file is broken (the running lists kept); one info line per
# refusal.
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
H=$TOP/tests/integ/smtpd
PY="/usr/bin/python3 -B"	# no __pycache__ in the tree
P=2610		# ports 26100-26109

printf '# from the CRM\nfiled@example.com\n@filedom.test\n' >"$T/list.txt"
printf 'good@example.com\nnot an address\n' >"$T/bad.txt"
# conf EXTRA: the config, with EXTRA in the <source 127.0.0.1> block
conf() {
	cat <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:${P}0
<address-list vip>
    address boss@example.com
    domain blocked.test
    address /^abuse@/
    address-file $T/list.txt
</address-list>
<address-list broken>
    address-file $T/bad.txt
</address-list>
<source 127.0.0.0/29>
    always-allow-relaying yes
</source>
<source 127.0.0.1>
    $1
</source>
<source 127.0.0.2>
    suppression-lists vip
</source>
<source 127.0.0.3>
    suppression-lists default, vip
</source>
<source 127.0.0.4>
    suppression-lists broken
</source>
<source 127.0.0.5>
    allow-unencrypted-plain yes
</source>
<source {auth}>
    suppression-lists vip
</source>
<smtp-user alice>
    password pw1
</smtp-user>
EOF
}
conf "" | newspool "$T/s"
C=$T/s/mta.conf
S=$T/s/spool

"$CTL" -C "$C" suppress add -r "550 5.1.1 user unknown" hard@example.com \
    @dom.test >/dev/null || fail "suppress add"

: >"$T/log"
"$SMTPD" -C "$C" 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; wait $pid 2>/dev/null; $on_exit"
# waitlog PATTERN [COUNT]: until the log has COUNT lines matching (5 s)
waitlog() {
	_i=0
	while [ "$(grep -c -- "$1" "$T/log")" -lt "${2:-1}" ] &&
	    [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}
waitlog "listening on 127.0.0.1:${P}0"
eq "started" "$(grep -c 'listening on' "$T/log")" 1
match "broken list logged" "$(grep 'suppression-lists broken' "$T/log")" \
    "*bad.txt:2*"

# talk NAME SRC EXPECTED: the dialogue on stdin, replies compared
talk() {
	_got=$($PY "$H/talk.py" 127.0.0.1 "${P}0" "$2" 2>&1 |
	    sed 's/queued as [0-9a-f]*/queued as ID/')
	eq "$1" "$_got" "$3"
}
# refused ADDR LIST: the reply to RCPT TO:<ADDR>
refused() {
	echo "550 5.7.1 <$1>: recipient is in suppression list \"$2\""
}
# rcpts ADDR...: a dialogue with one RCPT for each ADDR, then QUIT
rcpts() {
	echo "EHLO c.test"
	echo "MAIL FROM:<s@x.test>"
	for _a; do
		echo "RCPT TO:<$_a>"
	done
	echo QUIT
}
HEAD="220 mx.test ESMTP mta-smtpd
250 HELP
250 2.1.0 Ok"
OK="250 2.1.5 Ok"
BYE="221 2.0.0 Bye"

# --- a source naming no list: the default list of the store ------------

talk "default: pipelined, one refused in the middle" 127.0.0.1 "$HEAD
$OK
$(refused Hard@example.com default)
$(refused x@dom.test default)
$OK
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
$BYE" <<EOF
EHLO c.test
<<PIPE MAIL FROM:<s@x.test>|RCPT TO:<ok1@x.test>|RCPT TO:<Hard@Example.COM>|RCPT TO:<x@dom.test>|RCPT TO:<ok2@x.test>|DATA
Subject: t

hi
.
QUIT
EOF
eq "default: one file" "$(nfiles "$S/new")" 1
F=$(ls -d "$S"/new/* | head -n 1)
eq "default: rcpt records" "$(record "$F" rcpt | sed 's/.*\(<[^>]*>\).*/\1/')" \
    "<ok1@x.test>
<ok2@x.test>"
match "default: log" "$(grep 'rcpt=<Hard@example.com>' "$T/log")" \
    "*: info: reject client=127.0.0.1 rcpt=<Hard@example.com> reason=suppressed list=default how=store"
eq "default: one line per refusal" \
    "$(grep -c 'reason=suppressed' "$T/log")" 2
rm -f "$S"/new/*

talk "default: vip not applied" 127.0.0.1 "$HEAD
$OK
$OK
$BYE" <<EOF
$(rcpts boss@example.com abuse@any.test)
EOF

talk "all refused: DATA 554" 127.0.0.1 "$HEAD
$(refused hard@example.com default)
554 5.5.1 Error: no valid recipients
$BYE" <<EOF
EHLO c.test
MAIL FROM:<s@x.test>
RCPT TO:<hard@example.com>
DATA
QUIT
EOF
eq "all refused: nothing queued" "$(nfiles "$S/new" "$S/tmp")" 0

"$CTL" -C "$C" suppress add -l other a@split.test >/dev/null &&
    "$CTL" -C "$C" suppress add @split.test >/dev/null ||
    fail "suppress add split"
talk "address elsewhere, domain in default" 127.0.0.1 "$HEAD
$(refused a@split.test default)
$BYE" <<EOF
$(rcpts a@split.test)
EOF

# --- <address-list vip>, alone and with default --------------------------

talk "vip alone" 127.0.0.2 "$HEAD
$(refused boss@example.com vip)
$(refused Abuse@any.test vip)
$(refused u@blocked.test vip)
$(refused filed@example.com vip)
$(refused u@filedom.test vip)
$OK
$OK
$BYE" <<EOF
$(rcpts boss@example.com Abuse@Any.test u@blocked.test filed@example.com \
    u@filedom.test u@sub.blocked.test hard@example.com)
EOF
match "regex logged" "$(grep 'rcpt=<Abuse@any.test>' "$T/log")" \
    "*reason=suppressed list=vip how=regex"

talk "default and vip" 127.0.0.3 "$HEAD
$(refused hard@example.com default)
$(refused boss@example.com vip)
$OK
$BYE" <<EOF
$(rcpts hard@example.com boss@example.com ok@x.test)
EOF

talk "after AUTH: the lists of {auth}" 127.0.0.5 "$HEAD
$OK
250 2.0.0 Ok
235 2.7.0 Authentication successful
250 2.1.0 Ok
$(refused boss@example.com vip)
$OK
$BYE" <<EOF
EHLO c.test
MAIL FROM:<s@x.test>
RCPT TO:<boss@example.com>
RSET
AUTH PLAIN $(printf '\000alice\000pw1' | base64)
MAIL FROM:<s@x.test>
RCPT TO:<boss@example.com>
RCPT TO:<hard@example.com>
QUIT
EOF

# --- the store changed by another process --------------------------------

"$CTL" -C "$C" suppress add live@example.com >/dev/null ||
    fail "suppress add live"
talk "added while running" 127.0.0.1 "$HEAD
$(refused live@example.com default)
$BYE" <<EOF
$(rcpts live@example.com)
EOF
"$CTL" -C "$C" suppress remove live@example.com >/dev/null ||
    fail "suppress remove live"
talk "removed while running" 127.0.0.1 "$HEAD
$OK
$BYE" <<EOF
$(rcpts live@example.com)
EOF

# --- a list that does not load: deferred, never accepted -----------------

talk "broken list: 451" 127.0.0.4 "$HEAD
451 4.3.0 <ok@x.test>: suppression list not available, try again later
554 5.5.1 Error: no valid recipients
$BYE" <<EOF
EHLO c.test
MAIL FROM:<s@x.test>
RCPT TO:<ok@x.test>
DATA
QUIT
EOF
match "broken list: warning" "$(grep 'rcpt=<ok@x.test> reason=suppr' \
    "$T/log")" "*: warning: reject client=127.0.0.4 rcpt=<ok@x.test> reason=suppression-unavailable error=*bad.txt:2*"

# --- the end of DATA: the lists of RCPT, not built again ------------------

# The address-file gone: lists are read at startup and SIGHUP only, so
# messages from sources that name it, in turn with others, still go.
mv "$T/list.txt" "$T/list.away"
for src in 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.2; do
	talk "DATA from $src: lists kept" $src "$HEAD
$OK
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
$BYE" <<EOF
EHLO c.test
MAIL FROM:<s@x.test>
RCPT TO:<ok@x.test>
DATA
Subject: t

hi
.
QUIT
EOF
done
mv "$T/list.away" "$T/list.txt"
eq "DATA: queued" "$(nfiles "$S/new")" 4
rm -f "$S"/new/*

# --- SIGHUP ---------------------------------------------------------------

printf 'good@example.com\n/^bad@/\n' >"$T/bad.txt"
printf 'filed@example.com\nnew@example.com\n' >"$T/list.txt"
conf "suppression-lists vip" >"$C.new"
sed -i "1i spool $S" "$C.new"
mv "$C.new" "$C"
kill -HUP $pid
waitlog "reload: .* loaded"
talk "reload: source 1 takes vip" 127.0.0.1 "$HEAD
$(refused boss@example.com vip)
$(refused new@example.com vip)
$OK
$OK
$BYE" <<EOF
$(rcpts boss@example.com new@example.com u@filedom.test hard@example.com)
EOF
talk "reload: the fixed list loads" 127.0.0.4 "$HEAD
$(refused good@example.com broken)
$(refused bad@x.test broken)
$OK
$BYE" <<EOF
$(rcpts good@example.com bad@x.test ok@x.test)
EOF

printf 'not an address\n' >"$T/bad.txt"
kill -HUP $pid
waitlog "reload: .* refused" 1
eq "broken reload refused" "$(grep -c 'reload: .* refused' "$T/log")" 1
talk "broken reload: lists kept" 127.0.0.4 "$HEAD
$(refused good@example.com broken)
$OK
$BYE" <<EOF
$(rcpts good@example.com ok@x.test)
EOF

finish
