#!/bin/sh
# 70-bounce-accuracy: mta-bounce --inbound on bounces and complaints
# none of us wrote: the Sisimai samples of ../shared/corpus/bounces/ and
# the ARF reports of ../shared/corpus/arf/, scored against their labels
# by bounce/score.py.  Wants at least 90% of the labelled bounce rows
# right (category, and status where one is labelled), no crash nor
# timeout on any sample, the same records whatever the line endings, no
# record from the samples that are not bounces; for complaints 90% of
# the Feedback-Types and of the original recipients.  The tables go to
# bounce/ACCURACY (bounces) and bounce/ACCURACY-ARF.
. "$TOP/tests/integ/lib/common.sh"

CORPUS=${BOUNCE_CORPUS:-$TOP/../shared/corpus}
B=$TOP/cmd/mta-bounce/mta-bounce
R=$TOP/etc/bounce-categories
PY=/usr/bin/python3
D=$TOP/tests/integ/bounce

if [ ! -f "$CORPUS/bounces/expected.tsv" ]; then
	fail "no corpus in $CORPUS (set BOUNCE_CORPUS)"
	finish
	exit
fi

# score KIND OUTFILE: run the scorer; sets both rows crashes inv notb
score() {
	"$PY" "$D/score.py" "$B" "$R" "$CORPUS/$1" "$2" "$1" >"$T/$1.out" \
	    2>"$T/$1.err"
	eq "score.py $1: exit" "$?" 0
	sed '$d' "$T/$1.out"
	set -- $(tail -n 1 "$T/$1.out")
	both=${2#both=}
	rows=${3#rows=}
	crashes=${4#crashes=}
	inv=${5#invariance-failures=}
	notb=${6#not-bounce-records=}
	rcpt=${7#rcpt=}
}

score bounces "$D/ACCURACY"
eq "bounces: crashes" "$crashes" 0
eq "bounces: line-ending mismatches" "$inv" 0
eq "bounces: records from not/" "$notb" 0
if [ "$rows" -gt 400 ] && [ $((both * 100)) -ge $((rows * 90)) ]; then
	pass
else
	fail "bounces: $both of $rows rows right, want 90%"
fi

score arf "$D/ACCURACY-ARF"
eq "complaints: crashes" "$crashes" 0
if [ "$rows" -gt 30 ] && [ $((both * 100)) -ge $((rows * 90)) ]; then
	pass
else
	fail "complaints: $both of $rows feedback types right, want 90%"
fi
if [ $((${rcpt%/*} * 100)) -ge $((${rcpt#*/} * 90)) ]; then
	pass
else
	fail "complaints: $rcpt original recipients right, want 90%"
fi
finish
