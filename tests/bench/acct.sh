#!/bin/sh
# acct.sh - records/s that mta-acct appends to one accounting file
# (goal: 200,000/s).  Makes a journal of N records (default 500,000) with
# tests/integ/acct/gen.py, then times mta-acct from its start to the
# moment its position reaches the journal's end, once with sync yes
# (the default: fdatasync per 4 MiB batch) and once with sync no.
# Run from the top of the build tree: sh tests/bench/acct.sh [N]
N=${1:-500000}
TOP=$(pwd)
ACCT=$TOP/cmd/mta-acct/mta-acct
T=$(mktemp -d) || exit 1
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/journal"
python3 "$TOP/tests/integ/acct/gen.py" "$T/journal" "$N" --per-seg 100000 ||
    exit 1
last=$(ls "$T/journal" | tail -n 1)
end="seg=${last%.*} off=$(stat -c %s "$T/journal/$last") "
for sync in yes no; do
	rm -rf "$T/spool" "$T/acct.csv"
	mkdir -p "$T/spool/log"
	cp -p "$T"/journal/* "$T/spool/log/"
	cat >"$T/mta.conf" <<EOT
spool $T/spool
<acct-file $T/acct.csv>
	records d,b,t
	sync $sync
	max-size 0
	move-interval never
</acct-file>
EOT
	t0=$(date +%s.%N)
	"$ACCT" -C "$T/mta.conf" 2>"$T/err" &
	pid=$!
	n=0
	until grep -q "$end" "$T"/spool/acct/*.pos 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 60000 ] || { echo "timed out" >&2; exit 1; }
		sleep 0.005
	done
	t1=$(date +%s.%N)
	kill $pid
	wait $pid 2>/dev/null
	pid=
	awk -v n="$N" -v a="$t0" -v b="$t1" -v s="$sync" \
	    -v bytes="$(stat -c %s "$T/acct.csv")" 'BEGIN {
		printf "mta-acct sync %s: %d records in %.2f s: %.0f records/s, %.1f MB/s\n",
		    s, n, b - a, n / (b - a), bytes / (b - a) / 1e6 }'
done
