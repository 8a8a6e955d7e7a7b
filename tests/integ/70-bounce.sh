#!/bin/sh
# 70-bounce: mta-bounce.  classify on replies of each kind and its usage
# errors; rules files and the config's <bounce-category-patterns> first;
# --inbound --print on a DSN, Exim text, an ARF report, an auto-reply
# and plain mail, the same with CRLF and CR line ends; --inbound into
# the journal: a sealed "-bounce" segment beside a journal whose log/
# another writer has locked, records journal readers take, nothing for
# non-reports; hostile input (huge header, deep nesting, too many parts,
# 8-bit garbage, no header, over 32 MiB) with its exit code and message.
. "$TOP/tests/integ/lib/common.sh"

B=$TOP/cmd/mta-bounce/mta-bounce
R=$TOP/etc/bounce-categories
D=$TOP/tests/integ/bounce

# run ARGS... <input: mta-bounce with the shipped rules; sets rc out err
run() {
	"$B" -c "$R" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# classify
for c in \
    "bad-mailbox|550 5.1.1 <bob@example.org>: user unknown" \
    "bad-mailbox|550 Requested action not taken: mailbox unavailable, no such user" \
    "quota-issues|452 4.2.2 The email account that you tried to reach is over quota" \
    "inactive-mailbox|550 5.2.1 The email account that you tried to reach is disabled" \
    "bad-domain|550 5.1.2 Host or domain name not found" \
    "invalid-sender|553 5.1.8 <a@x.example>: Sender address rejected: Domain not found" \
    "spam-related|554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org" \
    "relaying-issues|554 5.7.1 <b@y.example>: Relay access denied" \
    "policy-related|550 5.7.26 This message does not pass DMARC" \
    "virus-related|554 5.7.1 Message rejected: virus found" \
    "content-related|554 5.6.0 Message header is malformed" \
    "message-expired|4.4.7 delivery time expired" \
    "no-answer-from-host|421 4.4.1 Connection timed out" \
    "routing-errors|554 5.4.6 Mail loop detected" \
    "protocol-errors|500 5.5.1 Command unrecognized" \
    "bad-configuration|550 5.3.5 System incorrectly configured" \
    "other|451 try again" \
    "other|"; do
	run classify "${c#*|}"
	eq "classify ${c#*|}" "$rc:$out" "0:${c%%|*}"
done

run classify
eq "classify, no reply" "$rc" 64
run classify a b
eq "classify, two replies" "$rc" 64
run classify x --print
eq "classify --print" "$rc" 64
run --inbound extra </dev/null
eq "--inbound with an argument" "$rc" 64
run bogus
eq "unknown command" "$rc" 64
match "usage" "$err" "usage: mta-bounce *"

# rules files
printf '# mine\n/nyan/ spam-related\n/(/ other\n' >"$T/bad-rules"
"$B" -c "$T/bad-rules" classify x >"$T/out" 2>"$T/err"
eq "bad rules: exit" "$?" 78
eq "bad rules: message" "$(cat "$T/err")" \
    "mta-bounce: fatal: $T/bad-rules:3: bad regular expression at offset 1: missing closing parenthesis"
"$B" -c "$T/none" classify x >"$T/out" 2>"$T/err"
eq "no rules: exit" "$?" 78
eq "no rules: message" "$(cat "$T/err")" \
    "mta-bounce: fatal: $T/none: No such file or directory"
printf '/nyan/ spam-related\n' >"$T/rules"
eq "own rules" "$("$B" -c "$T/rules" classify "550 nyan")" spam-related
eq "own rules, no match" "$("$B" -c "$T/rules" classify "550 5.1.1")" other

# the config's patterns come first
newspool "$T/c" <<'EOF2'
<bounce-category-patterns>
    /user unknown/ routing-errors
</bounce-category-patterns>
EOF2
eq "config first" "$("$B" -C "$T/c/mta.conf" -c "$R" classify \
    "550 5.1.1 user unknown")" routing-errors
eq "config, then file" "$("$B" -C "$T/c/mta.conf" -c "$R" classify \
    "552 5.2.2 mailbox full")" quota-issues
printf '<bounce-category-patterns>\n /x/ nonsense\n</bounce-category-patterns>\n' \
    >"$T/bad.conf"
"$B" -C "$T/bad.conf" -c "$R" classify x >"$T/out" 2>"$T/err"
eq "bad config: exit" "$?" 78

# --inbound --print
for m in dsn exim arf autoreply plain; do
	run --inbound --print <"$D/$m.eml"
	eq "print $m: exit" "$rc" 0
	same "print $m" "$T/out" "$D/$m.csv"
	sed 's/$/\r/' "$D/$m.eml" >"$T/crlf"
	run --inbound --print <"$T/crlf"
	same "print $m, CRLF" "$T/out" "$D/$m.csv"
	tr '\n' '\r' <"$D/$m.eml" >"$T/cr"
	run --inbound --print <"$T/cr"
	same "print $m, CR" "$T/out" "$D/$m.csv"
done

# --inbound into the journal, while another writer holds log/
S=$T/c/spool
flock "$S/log" sleep 30 &
lockpid=$!
on_exit="kill $lockpid 2>/dev/null"
sleep 0.2
run -q "$S" --inbound <"$D/dsn.eml"
eq "journal dsn: exit" "$rc" 0
eq "journal dsn: log" "$err" \
    "mta-bounce: info: inbound format=rfc3464 kind=bounce records=2 suppressed=1"
run -q "$S" --inbound <"$D/arf.eml"
eq "journal arf: exit" "$rc" 0
eq "journal arf: log" "$err" \
    "mta-bounce: info: inbound format=arf kind=complaint records=2 suppressed=2"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
eq "sealed bounce segments" "$(ls "$S/log" | grep -c '^[0-9]\{8\}T[0-9]\{6\}\.[0-9]\{6\}-[0-9]*-bounce\.sealed$')" 2
eq "no open segments" "$(ls "$S/log" | grep -c '\.jnl$')" 0
eq "no temporary files" "$(ls -a "$S/log" | grep -c '^\.new-')" 0
cat "$S"/log/*.sealed | sed 's/logged=[0-9.]* //' >"$T/recs"
same "journal records" "$T/recs" "$D/journal.out"
for m in autoreply plain; do
	run -q "$S" --inbound <"$D/$m.eml"
	eq "journal $m: exit" "$rc" 0
done
eq "nothing for non-reports" "$(ls "$S/log" | wc -l)" 2

# the hard bounce and the complaints are suppressed, the soft bounce not
"$CTL" -C "$T/c/mta.conf" show suppressed bob@example.net carol@example.net \
    user@example.com user2@example.com bob@example.org 2>&1 |
    sed 's/added=[^ ]* //' >"$T/sup"
cat >"$T/sup.want" <<'EOF2'
bob@example.net: list=default source=store entry=bob@example.net reason="bounced 5.1.1 bad-mailbox (rfc3464)"
carol@example.net: not suppressed
user@example.com: list=default source=store entry=user@example.com reason="complaint abuse (arf)"
user2@example.com: list=default source=store entry=user2@example.com reason="complaint abuse (arf)"
bob@example.org: not suppressed
EOF2
same "suppressed" "$T/sup" "$T/sup.want"
run -q "$T/nospool" --inbound <"$D/dsn.eml"
eq "no spool: exit" "$rc" 75
match "no spool: message" "$err" "mta-bounce: fatal: $T/nospool/*: No such file or directory"

# hostile input: a clear error or a clear result, never a crash
{ printf 'From: a@b.example\nX-Big: '; rep x 300000; printf '\n\nbody\n'; } \
    >"$T/big-header"
run --inbound --print <"$T/big-header"
eq "huge header" "$rc:$err" \
    "65:mta-bounce: fatal: a header section longer than 262144 bytes"
{ printf 'From: a@b.example\n'; i=0; while [ $i -lt 12 ]; do
	printf 'Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n' $i $i
	i=$((i + 1)); done; } >"$T/deep"
run --inbound --print <"$T/deep"
eq "deep nesting" "$rc:$err" "65:mta-bounce: fatal: MIME parts nested deeper than 8"
{ printf 'From: a@b.example\nContent-Type: multipart/mixed; boundary=p\n\n'
  i=0; while [ $i -lt 300 ]; do printf -- '--p\n\nx\n'; i=$((i + 1)); done; } \
    >"$T/parts"
run --inbound --print <"$T/parts"
eq "too many parts" "$rc:$err" "65:mta-bounce: fatal: more than 256 MIME parts"
head -c 20000 /dev/urandom >"$T/garbage"
run --inbound --print <"$T/garbage"
match "random bytes" "$rc" "[06]*"
{ printf 'From: \377@\200\nSubject: \001\302\n\n'; head -c 5000 /dev/urandom; } \
    >"$T/8bit"
run --inbound --print <"$T/8bit"
eq "8-bit garbage" "$rc:$out" "0:rcpt,action,status,category,diag,format"
run --inbound --print </dev/null
eq "empty" "$rc:$err" "65:mta-bounce: fatal: not a message: no header"
{ printf 'From: a@b.example\n\n'; head -c 33554432 /dev/zero; } >"$T/huge"
run --inbound --print <"$T/huge"
eq "over 32 MiB" "$rc:$err" \
    "65:mta-bounce: fatal: message longer than 33554432 bytes"
rm -f "$T/huge"
sed 's/boundary="B1"/boundary="NOPE"/' "$D/dsn.eml" >"$T/noboundary"
run --inbound --print <"$T/noboundary"
eq "boundary never found: exit" "$rc" 0
match "boundary never found: a bounce" "$out" "*bob@example.net*"

finish
