#!/bin/sh
# 02-inject: mta-inject, one message a run.  The message round trip byte
# for byte (CRLF, 8-bit, UTF-8, over-long lines), every flag, the routing
# headers and <pattern-list>, Message-ID and Date, each refusal with its
# message and sysexits(3) code leaving nothing in new/ or tmp/ (bad
# addresses, no recipients, too big, NUL, empty input, no spool, a
# read-only spool, a full disk), the sendmail name, and mta-ctl show queue.

# The read-only spool and the full disk are mounts; as root they are made
# in a mount namespace of their own, which takes them away whatever
# happens to this script.
if [ -z "${IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare --mount --propagation private true 2>/dev/null; then
	IN_NS=1
	export IN_NS
	exec unshare --mount --propagation private sh "$0"
fi
. "$TOP/tests/integ/lib/common.sh"

H='[0-9a-f]'
ID=$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H$H
DATE='[A-Z][a-z][a-z], [1-9]* [A-Z][a-z][a-z] [0-9][0-9][0-9][0-9] '
DATE=$DATE'[0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9][0-9][0-9][0-9]'
RCPT='rcpt - 0000 0000000000 0000000000'

# run COMMAND... <input: run it on a spool $S emptied first; sets rc, out
# and err.  inj ARGS...: run mta-inject so.
run() {
	rm -f "$S"/new/* "$S"/tmp/*
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

inj() {
	run "$INJECT" "$@"
}

# accepted NAME: the run printed one queue id and committed a complete
# file, then F
accepted() {
	eq "$1: exit" "$rc" 0
	eq "$1: stderr" "$err" ""
	match "$1: id" "$out" "$ID"
	F=$S/new/$out
	# shellcheck disable=SC2254
	case $out in
	$ID)	;;
	*)	F=$T/none; : >"$F" ;;	# keeps the later checks quiet
	esac
	eq "$1: complete" "$(intact "$F" 2>&1)" ok
	eq "$1: files" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "1 0"
}

# refused NAME CODE MESSAGE: the run failed so, and left nothing behind
refused() {
	eq "$1: exit" "$rc" "$2"
	eq "$1: stderr" "$err" "$3"
	eq "$1: stdout" "$out" ""
	eq "$1: files left" "$(nfiles "$S/new" "$S/tmp")" 0
}

input() {
	# shellcheck disable=SC2059
	printf "$@" >"$T/in"
}

# The routing config: headers honoured from 127.0.0.1, rules, a pool.
cat >"$T/a.conf" <<'EOF'
host-name mx.example.test
<source 127.0.0.1>
    process-x-virtual-mta yes
    process-x-job yes
    pattern-list routing
</source>
<virtual-mta a>
</virtual-mta>
<virtual-mta b>
</virtual-mta>
<virtual-mta-pool p>
    virtual-mta a
    virtual-mta b
</virtual-mta-pool>
<pattern-list routing>
    mail-from /@tx\.example\.net$/ virtual-mta=b
    rcpt-to /@gmail\.com$/ virtual-mta=a
    header X-Priority /^1/ virtual-mta=b
</pattern-list>
EOF
# The plain config: no headers honoured, a default vmta, a 4 KB limit.
cat >"$T/b.conf" <<'EOF'
host-name mx.example.test
<source 127.0.0.1>
    default-virtual-mta b
    max-message-size 4k
</source>
<virtual-mta a>
</virtual-mta>
<virtual-mta b>
</virtual-mta>
EOF
newspool "$T/a" <"$T/a.conf"
newspool "$T/b" <"$T/b.conf"
A=$T/a/mta.conf
B=$T/b/mta.conf
S=$T/a/spool
eq "configs check" "$({ "$CTL" -C "$A" check-config; \
    "$CTL" -C "$B" check-config; } 2>&1 | grep -v '^Warning')" \
    "configuration OK
configuration OK"

# --- The round trip: the message as sent, line ends made CRLF -----------

allbytes() {	# every byte but NUL, LF and CR, in order
	i=1
	while [ $i -le 255 ]; do
		# shellcheck disable=SC2059
		case $i in
		10|13)	;;
		*)	printf "\\$(printf %o $i)" ;;
		esac
		i=$((i + 1))
	done
}
allbytes >"$T/all"
eq "all bytes" "$(od -An -tu1 -v "$T/all" | tr -s ' ' '\n' | grep . |
    tr '\n' ' ')" "$(seq 1 255 | grep -vx -e 10 -e 13 | tr '\n' ' ')"
{
	printf 'From s@example.org Mon Jan  1 00:00:00 2024\n'
	printf 'Message-ID: <rt@example.org>\n'
	printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n'
	printf 'Subject: Gr\303\274\303\237e \342\234\223\r'
	printf '\tfolded \344\366\374 Latin-1\n'
	printf 'To: r@example.org\n'
	printf '\n'
	printf 'LF\nCRLF\r\nCR\rtwo ends\r\r\n'
	cat "$T/all"
	printf '\n  spaces  \n\ttab\t\n..two dots\n.one dot\nFrom inside\n'
	printf '\346\227\245\346\234\254\350\252\236 \342\202\254 caf\351\n'
	printf '\n\n'
	printf 'no newline at the end'
} >"$T/in"
{
	printf 'Message-ID: <rt@example.org>\r\n'
	printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n'
	printf 'Subject: Gr\303\274\303\237e \342\234\223\r\n'
	printf '\tfolded \344\366\374 Latin-1\r\n'
	printf 'To: r@example.org\r\n'
	printf '\r\n'
	printf 'LF\r\nCRLF\r\nCR\r\ntwo ends\r\n\r\n'
	cat "$T/all"
	printf '\r\n  spaces  \r\n\ttab\t\r\n..two dots\r\n.one dot\r\n'
	printf 'From inside\r\n'
	printf '\346\227\245\346\234\254\350\252\236 \342\202\254 caf\351\r\n'
	printf '\r\n\r\n'
	printf 'no newline at the end\r\n'
} >"$T/want"
before=$(date +%s)
inj -C "$A" -f s@example.org r@example.org <"$T/in"
after=$(date +%s)
accepted "round trip"
message "$F" >"$T/got"
same "round trip: message" "$T/got" "$T/want"
eq "round trip: envelope" "$(shape "$F")" "mta-spool 1
id ID
time TIME
from <s@example.org>
size SIZE
source local
source-name {pickup}
$RCPT <r@example.org>"
eq "round trip: size" "$(record "$F" size)" \
    "$(printf %012d "$(wc -c <"$T/want")")"
t=$(record "$F" time)
eq "round trip: time" "$([ "$t" -ge "$before" ] && [ "$t" -le "$after" ] &&
    echo now)" now

# --- Message-ID and Date: added only when missing ------------------------

input 'Subject: none\n\nbody\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "no Message-ID, no Date"
eq "added: fields" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "Subject Message-ID Date "
eq "added: Message-ID" "$(header "$F" | sed -n 's/^Message-ID: //p')" \
    "<$out@mx.example.test>"
match "added: Date" "$(header "$F" | sed -n 's/^Date: //p')" "$DATE"

input 'message-id: <m@x>\nSubject: s\n\nbody\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "a Message-ID"
eq "kept Message-ID" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "message-id Subject Date "
eq "kept Message-ID: value" "$(header "$F" | sed -n 's/^message-id: //p')" \
    "<m@x>"

input 'DATE: Tue, 2 Jan 2024 10:00:00 +0100\n\nbody\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "a Date"
eq "kept Date" "$(header "$F")" "DATE: Tue, 2 Jan 2024 10:00:00 +0100
Message-ID: <$out@mx.example.test>"

input 'no header, only a body\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "body only"
eq "body only: fields" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "Message-ID Date "
eq "body only: body" "$(message "$F" | sed '1,/^\r$/d')" \
    "$(printf 'no header, only a body\r')"

# add-message-id-header no from <source 127.0.0.1>, add-date-header
# override from <source {pickup}>, the narrower source.
newspool "$T/d" <<'EOF'
host-name mx.example.test
<source 127.0.0.1>
    add-message-id-header no
    add-date-header no
</source>
<source {pickup}>
    add-date-header override
</source>
EOF
S=$T/d/spool
input 'Date: Mon, 1 Jan 2024 00:00:00 +0000\nSubject: s\n\nbody\n'
inj -C "$T/d/mta.conf" -f s@example.org r@example.org <"$T/in"
accepted "Date override"
eq "Date override: fields" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "Subject Date "
match "Date override: ours" "$(header "$F" | sed -n 's/^Date: //p')" "$DATE"
eq "Date override: not theirs" \
    "$(header "$F" | grep -c 'Mon, 1 Jan 2024')" 0
S=$T/a/spool

# --- Over-long lines: broken at 998 octets with CRLF and a space --------

{
	printf 'Subject: %s\n' "$(rep x 1500)"
	printf 'Message-ID: <l@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n'
	rep y 998; printf '\n'
	rep z 999; printf '\n'
	rep w 2500; printf '\n'
} >"$T/in"
{
	printf 'Subject: %s\r\n %s\r\n' "$(rep x 989)" "$(rep x 511)"
	printf 'Message-ID: <l@x>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n'
	printf '\r\n'
	rep y 998; printf '\r\n'
	rep z 998; printf '\r\n z\r\n'
	rep w 998; printf '\r\n '; rep w 997; printf '\r\n '; rep w 505
	printf '\r\n'
} >"$T/want"
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "long lines"
message "$F" >"$T/got"
same "long lines: broken" "$T/got" "$T/want"
eq "long lines: longest" "$(tr -d '\r' <"$T/got" |
    awk '{ if (length > n) n = length } END { print n }')" 998

# --- Senders: -f, -f '<>', -r, the user ---------------------------------

input 'Subject: s\n\nbody\n'
inj -C "$A" -f '<>' r@example.org <"$T/in"
accepted "-f <>"
eq "-f <>: from" "$(record "$F" from)" "<>"
inj -C "$A" -f '' r@example.org <"$T/in"
accepted "-f ''"
eq "-f '': from" "$(record "$F" from)" "<>"
inj -C "$A" -f '<S@Example.ORG>' r@example.org <"$T/in"
accepted "-f <addr>"
eq "-f <addr>: from" "$(record "$F" from)" "<S@example.org>"
inj -C "$A" -r r-flag@example.org r@example.org <"$T/in"
accepted "-r"
eq "-r: from" "$(record "$F" from)" "<r-flag@example.org>"
inj -C "$A" r@example.org <"$T/in"
accepted "no -f"
eq "no -f: from the user" "$(record "$F" from)" \
    "<$(id -un)@mx.example.test>"

# --- Recipients: UTF-8, domains without case, each once ----------------

inj -C "$A" -f s@example.org "$(printf 'J\303\266rg@B\303\274cher.EXAMPLE')" \
    "$(printf '<j\303\266rg@b\303\274cher.example>')" \
    "$(printf 'J\303\266rg@b\303\274cher.example')" <"$T/in"
accepted "UTF-8 recipients"
eq "UTF-8 recipients: once each" "$(record "$F" rcpt)" \
    "- 0000 0000000000 0000000000 <J%C3%B6rg@b%C3%BCcher.example>
- 0000 0000000000 0000000000 <j%C3%B6rg@b%C3%BCcher.example>"

# --- -t: recipients from To, Cc and Bcc; Bcc removed ---------------------

input '%s\n' 'From: s@example.org' 'To: A <a@x.org>, b@y.org' \
    'Cc: "Doe, C" <c@z.org>, team: g1@x.org, g2@x.org;, a@x.org' \
    'Bcc: hidden@h.org' 'Subject: t' 'bcc: (blind) hidden2@h.org' \
    'Message-ID: <t@x>' '' 'body'
inj -C "$A" -t -f s@example.org extra@e.org <"$T/in"
accepted "-t"
eq "-t: recipients" "$(record "$F" rcpt)" "- 0000 0000000000 0000000000 <extra@e.org>
- 0000 0000000000 0000000000 <a@x.org>
- 0000 0000000000 0000000000 <b@y.org>
- 0000 0000000000 0000000000 <c@z.org>
- 0000 0000000000 0000000000 <g1@x.org>
- 0000 0000000000 0000000000 <g2@x.org>
- 0000 0000000000 0000000000 <hidden@h.org>
- 0000 0000000000 0000000000 <hidden2@h.org>"
eq "-t: Bcc removed" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "From To Cc Subject Message-ID Date "

# --- A lone "." ends the message, unless -i or -oi ----------------------

input 'Subject: dot\n\nline 1\n..two\n.\nline 2\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "lone dot"
eq "lone dot: ends" "$(message "$F" | sed '1,/^\r$/d' | tr -d '\r')" \
    "line 1
..two"
input 'Subject: dot\n\nline 1\r\n.\r\nline 2\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "lone dot CRLF"
eq "lone dot CRLF: ends" "$(message "$F" | sed '1,/^\r$/d' | tr -d '\r')" \
    "line 1"
input 'Subject: dot\n\nline 1\n..two\n.\nline 2\n'
for flag in -i -oi; do
	inj -C "$A" $flag -f s@example.org r@example.org <"$T/in"
	accepted "$flag"
	eq "$flag: dot kept" \
	    "$(message "$F" | sed '1,/^\r$/d' | tr -d '\r')" "line 1
..two
.
line 2"
done
input '.\nSubject: only a dot\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
refused "dot first" 66 "mta-inject: fatal: empty message"

# --- -V, -J, -N, -R, -E; -F, -bm and -o ignored ---------------------------

input 'Subject: s\n\nbody\n'
inj -C "$A" -V a -J job-1 -N success,DELAY -R HDRS -E env-1 -F 'A Name' \
    -bm -oem -odi -f s@example.org r@example.org q@gmail.com <"$T/in"
accepted "flags"
eq "flags: envelope" "$(shape "$F")" "mta-spool 1
id ID
time TIME
from <s@example.org>
size SIZE
vmta a
job job-1
envid env-1
ret hdrs
source local
source-name {pickup}
$RCPT <r@example.org> notify=success,DELAY
$RCPT <q@gmail.com> notify=success,DELAY"
eq "flags: -F adds no From" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "Subject Message-ID Date "
inj -C "$A" -V p -R full -N never r@example.org <"$T/in"
accepted "-V pool"
eq "-V pool: records" "$(record "$F" vmta) $(record "$F" ret)
$(record "$F" rcpt)" "p full
- 0000 0000000000 0000000000 <r@example.org> notify=never"
inj -C "$A" -V zz r@example.org <"$T/in"
refused "-V unknown" 65 'mta-inject: fatal: unknown virtual MTA "zz"'
inj -C "$A" -N bogus r@example.org <"$T/in"
refused "-N bogus" 64 \
    "mta-inject: fatal: -N bogus: not never, success, failure or delay"
inj -C "$A" -R bogus r@example.org <"$T/in"
refused "-R bogus" 64 "mta-inject: fatal: -R bogus: not full or hdrs"
inj -C "$A" -bs r@example.org <"$T/in"
refused "-bs" 64 "mta-inject: fatal: -bs: not supported"
inj -C "$A" -bi r@example.org <"$T/in"
refused "-bi" 64 "mta-inject: fatal: -bi: not supported"
inj -C "$A" -b r@example.org <"$T/in"
refused "-b with recipients" 64 \
    "mta-inject: fatal: -b takes its recipients from the input"
inj -C "$A" -Z r@example.org <"$T/in"
eq "bad flag: exit" "$rc" 64
match "bad flag: usage" "$err" "*invalid option*usage: mta-inject *"
inj -h
eq "-h: exit" "$rc" 0
match "-h: usage on stdout" "$out" "usage: mta-inject *"

# -q beats the config's spool; -C names the config.
S=$T/b/spool
inj -C "$A" -q "$T/b/spool" r@example.org <"$T/in"
accepted "-q"
eq "-q: not in the config's spool" "$(nfiles "$T/a/spool/new")" 0
inj -C "$T/none.conf" r@example.org <"$T/in"
refused "-C missing" 78 "Error in $T/none.conf: cannot open: No such file or directory
mta-inject: fatal: $T/none.conf: 1 error"
printf 'bogus-directive 1\n' >"$T/bad.conf"
inj -C "$T/bad.conf" r@example.org <"$T/in"
refused "-C broken" 78 "Error in line 1 of $T/bad.conf: unknown directive \"bogus-directive\"
mta-inject: fatal: $T/bad.conf: 1 error"

# --- X-Virtual-MTA and X-Job: honoured only if the source says so --------

S=$T/a/spool
input 'X-Virtual-MTA: b\nSubject: s\nx-job: job-h\nX-Job: job-2\n\nbody\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "headers honoured"
eq "headers honoured: vmta job" "$(record "$F" vmta) $(record "$F" job)" \
    "b job-2"
eq "headers honoured: removed" "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" \
    "Subject Message-ID Date "
inj -C "$A" -V a -J job-f -f s@example.org r@example.org <"$T/in"
accepted "flags beat headers"
eq "flags beat headers: vmta job" "$(record "$F" vmta) $(record "$F" job)" \
    "a job-f"
eq "flags beat headers: removed" \
    "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" "Subject Message-ID Date "
S=$T/b/spool
input 'X-Virtual-MTA: a\nX-Job: job-h\nSubject: s\n\nbody\n'
inj -C "$B" -f s@example.org r@example.org <"$T/in"
accepted "headers not honoured"
eq "headers not honoured: vmta job" \
    "$(record "$F" vmta) [$(record "$F" job)]" "b []"
eq "headers not honoured: removed" \
    "$(header "$F" | cut -d: -f1 | tr '\n' ' ')" "Subject Message-ID Date "
input 'X-Virtual-MTA: nonesuch\nSubject: s\n\nbody\n'
inj -C "$B" -f s@example.org r@example.org <"$T/in"
accepted "unknown header vmta ignored"
S=$T/a/spool
inj -C "$A" -f s@example.org r@example.org <"$T/in"
refused "unknown header vmta" 65 \
    'mta-inject: fatal: unknown virtual MTA "nonesuch"'

# --- <pattern-list>: mail-from, rcpt-to, header; two vmtas, two ids ------

input 'Subject: s\n\nbody\n'
inj -C "$A" -f s@tx.example.net r@example.org <"$T/in"
accepted "mail-from rule"
eq "mail-from rule: vmta" "$(record "$F" vmta)" b
inj -C "$A" -f s@example.org q@gmail.com <"$T/in"
accepted "rcpt-to rule"
eq "rcpt-to rule: vmta" "$(record "$F" vmta)" a
input 'X-Priority: 1 (Highest)\nSubject: s\n\nbody\n'
inj -C "$A" -f s@example.org r@example.org <"$T/in"
accepted "header rule"
eq "header rule: vmta" "$(record "$F" vmta)" b
input 'X-Priority: 3\nSubject: s\n\nbody\n'
inj -C "$A" -f s@example.org q@gmail.com r@example.org q2@gmail.com \
    <"$T/in"
eq "two vmtas: exit" "$rc" 0
match "two vmtas: two ids" "$out" "$ID $ID"
id1=${out% *}
id2=${out#* }
eq "two vmtas: files" "$(nfiles "$S/new") $(intact "$S/new/$id1") \
$(intact "$S/new/$id2")" "2 ok ok"
eq "two vmtas: first" "$(record "$S/new/$id1" vmta)
$(record "$S/new/$id1" rcpt)" "a
- 0000 0000000000 0000000000 <q@gmail.com>
- 0000 0000000000 0000000000 <q2@gmail.com>"
eq "two vmtas: second" "[$(record "$S/new/$id2" vmta)]
$(record "$S/new/$id2" rcpt)" "[]
- 0000 0000000000 0000000000 <r@example.org>"
message "$S/new/$id1" >"$T/m1"
message "$S/new/$id2" >"$T/m2"
same "two vmtas: one message" "$T/m2" "$T/m1"
eq "two vmtas: Message-ID" "$(header "$S/new/$id1" |
    sed -n 's/^Message-ID: //p')" "<$id1@mx.example.test>"

# --- Refusals: message, exit code, nothing left --------------------------

input 'Subject: s\n\nbody\n'
inj -C "$A" 'a@@x.org' <"$T/in"
refused "bad recipient" 65 \
    'mta-inject: fatal: bad recipient address: more than one @ in "a@@x.org"'
inj -C "$A" good@x.org nodomain other@x.org <"$T/in"
refused "one bad recipient" 65 \
    'mta-inject: fatal: bad recipient address: missing @ in "nodomain"'
inj -C "$A" -f 'bad sender@x.org' good@x.org <"$T/in"
refused "bad sender" 65 'mta-inject: fatal: bad sender address: bad character in local part in "bad sender@x.org"'
input 'To: good@x.org, <b@d@x.org>\nSubject: s\n\nbody\n'
inj -C "$A" -t <"$T/in"
refused "-t bad address" 65 \
    'mta-inject: fatal: bad recipient address: more than one @ in "b@d@x.org"'
inj -C "$A" <"$T/in"
refused "no recipients" 64 \
    "mta-inject: fatal: no recipients (give some, or -t)"
input 'Subject: s\n\nbody\n'
inj -C "$A" -t <"$T/in"
refused "-t, no recipients" 64 "mta-inject: fatal: no recipients"
printf 'Subject: s\n\nbo\0dy\n' >"$T/in"
inj -C "$A" r@x.org <"$T/in"
refused "NUL" 65 "mta-inject: fatal: message contains a NUL byte"
: >"$T/in"
inj -C "$A" r@x.org <"$T/in"
refused "empty input" 66 "mta-inject: fatal: empty message"
inj -C "$A" r@x.org </dev/null
refused "/dev/null" 66 "mta-inject: fatal: empty message"

# max-message-size 4k in B's source: counted on the stored message, after
# CRLF; what follows a lone "." does not count.
S=$T/b/spool
{ printf 'Subject: big\n\n'; rep a 4100; printf '\n'; } >"$T/in"
inj -C "$B" r@x.org <"$T/in"
refused "too big" 65 \
    "mta-inject: fatal: message too big: 4115 bytes, the limit is 4096"
{ printf 'Subject: lines\n\n'; i=0; while [ $i -lt 1020 ]; do
	printf 'abc\n'; i=$((i + 1)); done; } >"$T/in"
inj -C "$B" r@x.org <"$T/in"
refused "too big with CRLF" 65 \
    "mta-inject: fatal: message too big: 5118 bytes, the limit is 4096"
{ printf 'Subject: s\n\nsmall\n.\n'; rep b 8000; printf '\n'; } >"$T/in"
inj -C "$B" r@x.org <"$T/in"
accepted "small, then junk after the dot"
eq "junk after the dot: dropped" "$(record "$F" size)" \
    "$(printf %012d "$(message "$F" | wc -c)")"
eq "junk after the dot: body" "$(message "$F" | sed '1,/^\r$/d')" \
    "$(printf 'small\r')"

S=$T/a/spool
input 'Subject: s\n\nbody\n'
inj -C "$A" -q "$T/nonexistent" r@x.org <"$T/in"
eq "no spool: exit" "$rc" 75
eq "no spool: stderr" "$err" "mta-inject: fatal: spool $T/nonexistent: missing (run mta-ctl spool init)"
mkdir -p "$T/partial/new"
inj -C "$A" -q "$T/partial" r@x.org <"$T/in"
eq "partial spool: exit" "$rc" 75
eq "partial spool: stderr" "$err" "mta-inject: fatal: spool $T/partial: missing tmp/ (run mta-ctl spool init)"
eq "partial spool: nothing made" "$(ls "$T/partial")" new

# A read-only spool: a read-only mount, or a user who may not write.
newspool "$T/ro" <"$T/a.conf"
RO=$T/ro/spool
S=$RO
if [ -n "${IN_NS:-}" ] && mount --bind "$RO" "$RO" &&
    mount -o remount,bind,ro "$RO"; then
	on_exit="umount '$RO' 2>/dev/null; $on_exit"
	inj -C "$T/ro/mta.conf" r@x.org <"$T/in"
	refused "read-only mount" 73 "mta-inject: fatal: spool $RO: tmp/ not writable: Read-only file system"
	umount "$RO"
else
	echo "skip: no read-only mount"
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 0711 "$T" "$T/ro"
	chmod 0755 "$RO"
	chmod 0644 "$T/ro/mta.conf"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$INJECT" -C "$T/ro/mta.conf" r@x.org <"$T/in"
	refused "not the spool's user" 73 "mta-inject: fatal: spool $RO: tmp/ not writable: Permission denied"
	chmod 0700 "$T"
elif [ "$(id -u)" -ne 0 ]; then
	chmod 0550 "$RO/tmp"
	inj -C "$T/ro/mta.conf" r@x.org <"$T/in"
	refused "tmp/ not writable" 73 "mta-inject: fatal: spool $RO: tmp/ not writable: Permission denied"
	chmod 02770 "$RO/tmp"
fi

# A full disk: a 256 KB tmpfs, or a file size limit.
newspool "$T/full" <"$T/a.conf"
S=$T/full/spool
if [ -n "${IN_NS:-}" ] && mount -t tmpfs -o size=256k tmpfs "$S"; then
	on_exit="umount '$S' 2>/dev/null; $on_exit"
	"$CTL" -C "$T/full/mta.conf" spool init >/dev/null
	{ printf 'Subject: big\n\n'; i=0; while [ $i -lt 400 ]; do
		rep c 999; printf '\n'; i=$((i + 1)); done; } >"$T/big"
	{ printf 'Subject: small\n\n'; i=0; while [ $i -lt 100 ]; do
		rep d 99; printf '\n'; i=$((i + 1)); done; } >"$T/small"
	# 400 KB: the disk fills while the message is written.
	inj -C "$T/full/mta.conf" r@x.org <"$T/big"
	eq "full disk, writing: exit" "$rc" 75
	match "full disk, writing: stderr" "$err" \
	    "mta-inject: fatal: tmp/$ID: write: No space left on device"
	eq "full disk, writing: files left" "$(nfiles "$S/new" "$S/tmp")" 0
	# One page free: room for the envelope, not for the message, which
	# is written at commit.
	free=$(stat -f -c %a "$S")
	dd if=/dev/zero of="$S/fill" bs=4096 count=$((free - 1)) 2>/dev/null
	inj -C "$T/full/mta.conf" r@x.org <"$T/small"
	eq "full disk, committing: exit" "$rc" 75
	match "full disk, committing: stderr" "$err" \
	    "mta-inject: fatal: $S/tmp/$ID: write: No space left on device"
	eq "full disk, committing: files left" \
	    "$(nfiles "$S/new" "$S/tmp")" 0
	# No page free: not even the envelope.
	dd if=/dev/zero of="$S/fill2" bs=4096 2>/dev/null
	inj -C "$T/full/mta.conf" r@x.org <"$T/small"
	eq "full disk, starting: exit" "$rc" 75
	match "full disk, starting: stderr" "$err" \
	    "mta-inject: fatal: $S/tmp/$ID: write: No space left on device"
	eq "full disk, starting: files left" \
	    "$(nfiles "$S/new" "$S/tmp")" 0
	rm -f "$S/fill" "$S/fill2"
	inj -C "$T/full/mta.conf" r@x.org <"$T/small"
	accepted "full disk, room again"
	umount "$S"
else
	{ printf 'Subject: big\n\n'; rep c 100000; printf '\n'; } >"$T/big"
	rm -f "$S"/new/* "$S"/tmp/*
	(trap '' XFSZ; ulimit -f 16
	    exec "$INJECT" -C "$T/full/mta.conf" r@x.org) <"$T/big" \
	    >"$T/out" 2>"$T/err"
	rc=$?
	match "file size limit: exit" "$rc" "6[5]|75"
	match "file size limit: stderr" "$(cat "$T/err")" \
	    "*tmp/$ID: write: File too large"
	eq "file size limit: files left" "$(nfiles "$S/new" "$S/tmp")" 0
fi

# The id cannot be written: exit 74, the message committed all the same.
S=$T/a/spool
rm -f "$S"/new/*
"$INJECT" -C "$A" r@x.org <"$T/in" >/dev/full 2>"$T/err"
eq "stdout full: exit" "$?" 74
eq "stdout full: stderr" "$(cat "$T/err")" \
    "mta-inject: fatal: writing the queue id: No space left on device"
eq "stdout full: committed" "$(nfiles "$S/new") $(nfiles "$S/tmp")" "1 0"

# --- The sendmail name: a symlink works the same -------------------------

S=$T/a/spool
mkdir "$T/bin"
ln -s "$INJECT" "$T/bin/sendmail"
input '%s\n' 'From: s@example.org' 'To: t@x.org' 'Bcc: u@x.org' \
    'Message-ID: <sm@x>' 'Date: Mon, 1 Jan 2024 00:00:00 +0000' '' 'b' \
    '.' 'after the dot'
inj -C "$A" -t -i -f s@example.org <"$T/in"
accepted "mta-inject -t -i"
message "$F" >"$T/m1"
shape "$F" >"$T/e1"
run env PATH="$T/bin:$PATH" sendmail -C "$A" -t -i -f s@example.org <"$T/in"
accepted "sendmail -t -i"
message "$F" >"$T/m2"
shape "$F" >"$T/e2"
same "sendmail: same message" "$T/m2" "$T/m1"
same "sendmail: same envelope" "$T/e2" "$T/e1"
run "$T/bin/sendmail" -C "$A" -bm -oi -oem -f s@example.org r@x.org \
    <"$T/in"
accepted "sendmail -bm -oi"
run "$T/bin/sendmail" -C "$A" <"$T/in"
refused "sendmail, no recipients" 64 \
    "mta-inject: fatal: no recipients (give some, or -t)"

# --- mta-ctl show queue, offline, after a few injections -----------------

newspool "$T/q" <"$T/a.conf"
Q=$T/q/mta.conf
input 'Subject: s\n\nbody\n'
{
	"$INJECT" -C "$Q" -f s@example.org r1@x.org r2@y.org <"$T/in"
	"$INJECT" -C "$Q" -f s@example.org q@gmail.com r3@x.org <"$T/in"
	"$INJECT" -C "$Q" -V b -f s@example.org z@y.org <"$T/in"
	"$INJECT" -C "$Q" -f s@tx.example.net q@gmail.com <"$T/in"
} >"$T/ids" 2>&1
eq "show queue: ids" "$(sed "s/$ID/ID/g" "$T/ids")" "ID
ID ID
ID
ID"
eq "show queue" "$("$CTL" -C "$Q" show queue 2>&1; echo "exit $?")" \
    "$(printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    vmta domain pending delivered failed expired \
    - x.org 2 0 0 0 \
    - y.org 1 0 0 0 \
    a gmail.com 1 0 0 0 \
    b gmail.com 1 0 0 0 \
    b y.org 1 0 0 0 \
    total '*' 6 0 0 0)
messages: 5 new, 0 queued
exit 0"

finish
