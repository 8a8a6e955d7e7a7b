#!/bin/sh
# suppress.sh - the suppression list with a million addresses: the time
# and peak memory of "mta-ctl suppress import", the disk it takes,
# lookups a second (hits and misses, each one checking for other
# processes' changes, against the bare stat(2) that check costs), the
# time a fresh process takes to open the list and answer (what each
# mta-inject pays), the same with BENCH_LOG log entries not yet
# compacted, and that a restart keeps every address (a new process
# counts them all, and the export has N rows).
#
#   sh tests/bench/suppress.sh        (after make; make bench runs it)
#
# Knobs: N (1000000), SECS a lookup figure (2), OPENS processes timed
# (50), BENCH_LOG adds left in the log (2000).  Never run by make check.
N=${N:-1000000}
SECS=${SECS:-2}
OPENS=${OPENS:-50}
BENCH_LOG=${BENCH_LOG:-2000}
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=$top/cmd/mta-ctl/mta-ctl
[ -x "$ctl" ] || { echo "suppress.sh: no $ctl: run make first" >&2; exit 1; }
w=$(mktemp -d "${TMPDIR:-/tmp}/mta-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
deps="libssl libcrypto libbsd-overlay libcares libpcre2-8"
# shellcheck disable=SC2046
${CC:-cc} -std=c17 -D_DEFAULT_SOURCE -O2 -I"$top/lib" \
    $($PKG_CONFIG --cflags $deps) -o "$w/suppress_bench" \
    "$top/tests/bench/suppress_bench.c" "$top/lib/libmta.a" \
    $($PKG_CONFIG --libs $deps) -lcsv

echo "spool $w/spool" >"$w/mta.conf"
"$ctl" -C "$w/mta.conf" spool init >/dev/null
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "k%d@bench.test,default,1764480000,550 5.1.1 user unknown\n", i
}' >"$w/in.csv"
printf 'csv file           %s bytes, %s rows\n' "$(stat -c %s "$w/in.csv")" "$N"

# import: wall time and peak memory (GNU time's %M, else n/a)
t0=$(date +%s.%N)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M' -o "$w/maxrss" "$ctl" -C "$w/mta.conf" \
	    suppress import "$w/in.csv" >"$w/import.out"
	peak="$(cat "$w/maxrss") KB"
else
	"$ctl" -C "$w/mta.conf" suppress import "$w/in.csv" >"$w/import.out"
	peak=n/a
fi
t1=$(date +%s.%N)
printf 'import             %.2f s, peak RSS %s (%s)\n' \
    "$(echo "$t1 - $t0" | bc)" "$peak" "$(cat "$w/import.out")"
printf 'disk               %s KB (snapshot %s bytes, %.1f bytes an entry)\n' \
    "$(du -sk "$w/spool/suppress" | cut -f1)" \
    "$(stat -c %s "$w/spool/suppress/snapshot")" \
    "$(echo "$(stat -c %s "$w/spool/suppress/snapshot") / $N" | bc -l)"

"$w/suppress_bench" -q "$w/spool" -n "$N" -s "$SECS" | while read -r k v; do
	printf '%-18s %s\n' "$k" "$v"
done

opens() {	# median of OPENS fresh processes' open + first lookup, ms
	i=0
	while [ $i -lt "$OPENS" ]; do
		"$w/suppress_bench" -o -q "$w/spool" -n "$N"
		i=$((i + 1))
	done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
printf 'open, compacted    %s ms median of %s processes\n' "$(opens)" "$OPENS"

# adds that stay in the log (below the compaction threshold)
awk -v n="$BENCH_LOG" 'BEGIN { for (i = 0; i < n; i += 100) {
	s = ""; for (k = i; k < i + 100 && k < n; k++) s = s " l" k "@log.test"
	print s } }' | while read -r addrs; do
	# shellcheck disable=SC2086
	"$ctl" -C "$w/mta.conf" suppress add $addrs >/dev/null
done
printf 'log                %s bytes after %s adds\n' \
    "$(stat -c %s "$w/spool/suppress/log")" "$BENCH_LOG"
printf 'open, with the log %s ms median of %s processes\n' "$(opens)" "$OPENS"

# restart: a new process sees every address
total=$((N + BENCH_LOG))
rows=$("$ctl" -C "$w/mta.conf" suppress export | wc -l)
got=$("$ctl" -C "$w/mta.conf" suppress compact)
if [ "$rows" -eq $((total + 1)) ] && [ "$got" = "$total in the list" ]; then
	echo "restart            all $total kept (export rows, count after compact)"
else
	echo "restart            FAILED: export $rows rows, \"$got\", want $total"
	exit 1
fi
