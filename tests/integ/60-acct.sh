#!/bin/sh
# 60-acct: mta-acct turns the journal into PowerMTA accounting files.
# Journals are written by acct/gen.py; acct/verify.py reads every file
# with Python's csv module and checks each cell against the journal.
#  - d,b,t rows, record-fields, two files from one journal;
#  - killed with SIGKILL at random instants while the journal grows
#    (100,000 records), restarted: no row lost or written twice, and
#    the file is byte for byte the one of a run never killed;
#  - consumed sealed segments removed, the newest sealed one kept;
#  - rotation by max-size into move-to, dated names, world-readable,
#    delete-after, each moved file whole; rotation by move-interval;
#  - a command that dies gets its unread rows again;
#  - summary against awk; bad input and config errors.
. "$TOP/tests/integ/lib/common.sh"

ACCT=$TOP/cmd/mta-acct/mta-acct
GEN="python3 $TOP/tests/integ/acct/gen.py"
VERIFY="python3 $TOP/tests/integ/acct/verify.py"
export TZ=UTC

# conf DIR: DIR/mta.conf with spool DIR/spool and the blocks on stdin
conf() {
	mkdir -p "$1/spool/log"
	{ echo "spool $1/spool"; cat; } >"$1/mta.conf"
}

# start DIR: mta-acct on DIR/mta.conf in the background, its pid in $pid
start() {
	"$ACCT" -C "$1/mta.conf" 2>>"$1/err" &
	pid=$!
	on_exit="kill $pid 2>/dev/null; $on_exit"
}

# stop: SIGTERM and wait; its exit status in $status
stop() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	status=$?
}

# caught_up DIR NAME: the position of acct-file NAME is the journal's end
caught_up() {
	last=$(ls "$1/spool/log" | tail -n 1)
	[ -n "$last" ] || return 1
	grep -q "seg=${last%.*} off=$(stat -c %s "$1/spool/log/$last") " \
	    "$1/spool/acct/$2.pos" 2>/dev/null
}

# wait_caught_up DIR NAME: within 60 s
wait_caught_up() {
	n=0
	while ! caught_up "$1" "$2"; do
		n=$((n + 1))
		[ $n -lt 1200 ] || { fail "$2 never caught up"; return 1; }
		sleep 0.05
	done
}

# pos NAME: the position file name of a path
pos() {
	echo "$1" | sed 's/[^A-Za-z0-9.-]/_/g'
}

# --- two files, record types and fields, Python's csv
D=$T/basic
conf "$D" <<EOF
<acct-file $D/acct.csv>
	records d,b,t
</acct-file>
<acct-file $D/d.csv>
	records delivery
	record-fields d rcpt,*,!orcpt,dlvTlsProtocol,dlvTlsCipher,header_X-Job
</acct-file>
EOF
$GEN "$D/spool/log" 300 --per-seg 100 --open
start "$D"
wait_caught_up "$D" "$(pos "$D/acct.csv")"
wait_caught_up "$D" "$(pos "$D/d.csv")"
stop
# under SAN=1, LeakSanitizer makes a leak at exit a failure
eq "SIGTERM: exit 0, nothing leaked" \
    "$status $(grep -c LeakSanitizer "$D/err")" "0 0"
eq "d,b,t rows" "$($VERIFY --count 300 "$D/acct.csv")" "ok 300"
eq "d rows" "$($VERIFY --count 300 --types d "$D/d.csv")" "ok 75"
eq "header" "$(head -n 1 "$D/d.csv" | tr -d '\r')" \
    "type,rcpt,timeLogged,timeQueued,orig,dsnAction,dsnStatus,dsnDiag,\
dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,\
dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool,dlvTlsProtocol,\
dlvTlsCipher,header_X-Job"
eq "rows end with CRLF" "$(grep -c "$(printf '\r')\$" "$D/d.csv")" 76
eq "first d row" "$(sed -n 2p "$D/d.csv" | cut -c1-70)" \
    "d,u0@d0.example,2025-11-30 05:36:00+0000,2025-11-30 05:35:00+0000,boun"
# the open segment and the newest sealed one stay; older ones go
eq "segments left" "$(ls "$D/spool/log" | sed 's/.*\.//' | tr '\n' ' ')" \
    "sealed jnl "

# more records after a restart are appended, the header not repeated;
# the open segment is sealed first, as mta-queue does when it starts
for j in "$D"/spool/log/*.jnl; do
	chmod 0440 "$j" && mv "$j" "${j%.jnl}.sealed"
done
$GEN "$D/spool/log" 100 --start 300
start "$D"
wait_caught_up "$D" "$(pos "$D/acct.csv")"
stop
eq "appended after restart" "$($VERIFY --count 400 "$D/acct.csv")" "ok 400"

# a batch written but never recorded (a kill between the two) is cut
printf 'd,half a row written before a kill' >>"$D/acct.csv"
start "$D"
n=0
until grep -q "cut to size" "$D/err" || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
stop
eq "unrecorded tail cut" "$($VERIFY --count 400 "$D/acct.csv")" "ok 400"

# --- kill -9 at random instants, 100,000 records written while it runs
K=$T/kill
R=$T/ref
for d in "$K" "$R"; do
	conf "$d" <<EOF
<acct-file $d/acct.csv>
	records d,b,t
	move-interval never
	max-size 0
</acct-file>
EOF
done
$GEN "$R/spool/log" 100000 --per-seg 5000
start "$R"
wait_caught_up "$R" "$(pos "$R/acct.csv")"
stop
eq "reference run" "$($VERIFY --count 100000 "$R/acct.csv")" "ok 100000"

kills=0
i=0
start "$K"
while [ $i -lt 20 ]; do
	$GEN "$K/spool/log" 5000 --per-seg 5000 --start $((i * 5000))
	i=$((i + 1))
	# kill at a random instant within the next 0-150 ms, then restart
	sleep "0.$(printf '%03d' $(($(od -An -N2 -tu2 /dev/urandom) % 150)))"
	if [ $((i % 3)) -ne 0 ]; then
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		wait "$pid" 2>/dev/null
		start "$K"
	fi
done
wait_caught_up "$K" "$(pos "$K/acct.csv")"
stop
match "killed several times" "$kills" "1[0-9]"
eq "no row lost or repeated" "$($VERIFY --count 100000 "$K/acct.csv")" \
    "ok 100000"
same "same file as never killed" "$K/acct.csv" "$R/acct.csv"
eq "one segment left" "$(nfiles "$K/spool/log")" 1
cut=$(grep -c "cut to size" "$K/err")
echo "kill -9: $kills kills, $cut torn batches cut back" >&2

# --- summary against awk (cells without commas, so awk can split them)
S=$T/sum
conf "$S" <<EOF
<acct-file $S/s.csv>
	records d,b,t
	record-fields d rcpt,vmta,dsnStatus,timeLogged
	record-fields b rcpt,vmta,dsnStatus,bounceCat
	record-fields t rcpt,vmta,dsnStatus,bounceCat
</acct-file>
EOF
$GEN "$S/spool/log" 5000
start "$S"
wait_caught_up "$S" "$(pos "$S/s.csv")"
stop
"$ACCT" summary "$S/s.csv" >"$S/got" 2>&1
eq "summary exit" $? 0
# type,rcpt,vmta,dsnStatus,timeLogged,bounceCat
awk -F, '{ sub(/\r$/, "") } NR > 1 { n++; t[$1]++; sub(/.*@/, "", $2);
    d[$2]++; v[$3]++; split($4, s, " "); st[s[1]]++;
    if ($6 != "") c[$6]++; if ($1 == "d") h[substr($5, 1, 13)]++ }
    END { print "records\t" n; for (k in t) print "type\t" k "\t" t[k];
    for (k in d) print "domain\t" k "\t" d[k];
    for (k in v) print "vmta\t" k "\t" v[k];
    for (k in st) print "dsnStatus\t" k "\t" st[k];
    for (k in c) print "bounceCat\t" k "\t" c[k];
    for (k in h) print "deliveriesPerHour\t" k "\t" h[k] }' \
    "$S/s.csv" | sort >"$S/want"
sort "$S/got" >"$S/got.sorted"
same "summary = awk" "$S/got.sorted" "$S/want"
eq "summary records" "$(head -n 1 "$S/got")" "records	5000"
"$ACCT" summary --json "$S/s.csv" "$D/acct.csv" >"$S/json"
eq "summary --json" "$(python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(j["records"], j["type"]["d"], sum(j["deliveriesPerHour"].values()))' \
    "$S/json")" "5400 1350 1350"

# --- rotation: max-size, move-to, dated names, world-readable
M=$T/rot
mkdir -p "$M/old"
conf "$M" <<EOF
<acct-file $M/acct.csv>
	records d,b
	max-size 20k
	move-to $M/old
	world-readable yes
	delete-after 1d
</acct-file>
EOF
# an old moved file that delete-after removes, and one it keeps
: >"$M/old/acct-2020-01-01-0000.csv"
touch -d '2020-01-02' "$M/old/acct-2020-01-01-0000.csv"
: >"$M/old/other-2020-01-01-0000.csv"
touch -d '2020-01-02' "$M/old/other-2020-01-01-0000.csv"
$GEN "$M/spool/log" 2000 --per-seg 100
start "$M"
wait_caught_up "$M" "$(pos "$M/acct.csv")"
stop
# any date: a run across midnight names its files after two days
moved=$(ls "$M/old" | grep -v '^acct-2020-' |
    grep -c '^acct-[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]-[0-9]\{4\}\.csv$')
match "files moved" "$moved" "[1-9]*"
eq "old moved file deleted" "$(ls "$M/old" | grep -c 2020)" 1
eq "rows over the moved files" \
    "$($VERIFY --count 2000 --types d,b $(ls "$M"/old/acct-2*.csv | grep -v 2020) "$M/acct.csv")" \
    "ok 1500"
eq "world-readable" "$(stat -c %a "$M/acct.csv")" 644
big=0
for f in "$M"/old/acct-2*.csv; do
	case $f in *2020*) continue ;; esac
	# moved after the batch that reached 20k: whole rows, one header
	[ "$(head -n 1 "$f" | cut -c1-5)" = "type," ] || big=$((big + 1))
	[ "$(tail -c 2 "$f" | od -An -c | tr -d ' ')" = '\r\n' ] ||
	    big=$((big + 1))
done
eq "moved files whole" $big 0

# --- rotation by move-interval: each file moved once a second has passed
I=$T/interval
conf "$I" <<EOF
<acct-file $I/acct.csv>
	records d
	move-interval 1s
	delete-after never
</acct-file>
EOF
$GEN "$I/spool/log" 40
start "$I"
wait_caught_up "$I" "$(pos "$I/acct.csv")"
n=0
until [ -e "$I/acct-$(date +%Y-%m-%d)-0000.csv" ] || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
$GEN "$I/spool/log" 40 --start 40
wait_caught_up "$I" "$(pos "$I/acct.csv")"
n=0
until [ -e "$I/acct-$(date +%Y-%m-%d)-0001.csv" ] || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
stop
eq "interval: files moved" "$(ls "$I" | grep -c '^acct-.*\.csv$')" 2
eq "interval: rows over them" \
    "$($VERIFY --count 80 --types d "$I"/acct-*.csv)" "ok 20"
eq "interval: the new file waits for a row" "$(stat -c %s "$I/acct.csv")" 0

# --- a command that dies after 250 lines: restarted, nothing lost.  It
# reads a byte at a time (sh's read), so it leaves unread in the pipe
# all it did not write out, and stops only at the end of a row (CR).
P=$T/pipe
mkdir -p "$P"
cat >"$P/cmd.sh" <<EOF
n=0
cr=\$(printf '\\r')
while IFS= read -r l; do
	printf '%s\\n' "\$l" >>$P/out
	n=\$((n + 1))
	case \$l in *\$cr) [ \$n -lt 250 ] || exit 0 ;; esac
done
EOF
conf "$P" <<EOF
<acct-file |sh $P/cmd.sh>
	records d,b,t
	retry-interval 1s
</acct-file>
EOF
$GEN "$P/spool/log" 1000 --per-seg 200
start "$P"
n=0
until $VERIFY --count 1000 --at-least-once "$P/out" >/dev/null 2>&1 ||
    [ $n -ge 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
stop
match "command restarted" "$(grep -c "started command=" "$P/err")" "[4-9]"
match "every row reached a command" \
    "$($VERIFY --count 1000 --at-least-once "$P/out")" "ok 1[0-9][0-9][0-9]"

# --- bad input and configuration
printf 'd,a@b\n' >"$T/bad.csv"
"$ACCT" summary "$T/bad.csv" >/dev/null 2>"$T/bad.err"
eq "summary of a file without header: exit" $? 65
eq "summary message" "$(cat "$T/bad.err")" \
    "mta-acct: warning: $T/bad.csv: row 1: no header line before it"
printf 'type,rcpt\nd,"a@b\n' >"$T/bad2.csv"
"$ACCT" summary "$T/bad2.csv" >/dev/null 2>&1
eq "summary of a torn quote: exit" $? 65
conf "$T/badconf" <<EOF
<acct-file $T/badconf/a.csv>
	record-fields d rcpt,noSuchField
</acct-file>
EOF
"$ACCT" -C "$T/badconf/mta.conf" 2>"$T/badconf.err"
eq "unknown field: exit" $? 78
match "unknown field: message" "$(cat "$T/badconf.err")" \
    "*record-fields: unknown field \"noSuchField\"*"
"$ACCT" -x 2>/dev/null
eq "bad option" $? 64

finish
