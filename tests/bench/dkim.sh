#!/bin/sh
# dkim.sh - DKIM signatures a second (10 KB messages, c=relaxed/simple,
# one signature per message) for RSA-2048 and Ed25519, next to
# "openssl speed rsa2048 ed25519" of the same machine in the same run:
# the goal is at least 85% of OpenSSL's raw signing rate.  Run from the
# top of the tree after "make" (it builds tests/bench/dkim_bench against
# lib/libmta.a).
#
# One clock for both: "openssl speed" divides by the user CPU time, and
# so does dkim_bench (DKIM_ELAPSED=1: both by the wall time).  On a busy
# machine one run says little, so the script runs DKIM_ROUNDS rounds (7)
# of DKIM_SECS seconds (1) a figure, openssl and ours taking turns to go
# first, and reports medians; the verdict is on the median of the
# rounds' ratios.  The "paired" rows come from dkim_bench -r, which
# alternates 10 ms chunks of dkim_sign() with chunks of the private-key
# call "openssl speed" makes, in one process: the least noisy measure of
# what the DKIM part of the work (canonicalization, both hashes, the
# header) adds to a signature.  Its "floor" is what no DKIM signer can
# skip: the SHA-256 of the 10 KB body and of the header data, and the
# private-key operation; its ratio to the raw rate is the best any
# implementation could score here.
top=$(pwd)
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
rounds=${DKIM_ROUNDS:-7}
secs=${DKIM_SECS:-1}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
deps="libssl libcrypto libbsd-overlay"
# shellcheck disable=SC2046
${CC:-cc} -std=c17 -D_DEFAULT_SOURCE -O2 -Ilib \
    $($PKG_CONFIG --cflags $deps) -o "$T/dkim_bench" \
    tests/bench/dkim_bench.c lib/libmta.a $($PKG_CONFIG --libs $deps) ||
    exit 1
cmd/mta-dkimkey/mta-dkimkey -s rsa -d example.test -o "$T" >/dev/null &&
cmd/mta-dkimkey/mta-dkimkey -t ed25519 -s ed -d example.test -o "$T" \
    >/dev/null || exit 1
RSA=$T/rsa.example.test.pem ED=$T/ed.example.test.pem
e= ossl_e=
[ "${DKIM_ELAPSED:-0}" = 1 ] && e=-e ossl_e=-elapsed

ossl() {	# "openssl speed" once: its RSA and Ed25519 sign/s
	# (-mr lines: +F2:index:bits:sign/s:verify/s, +F6:...:Ed25519:sign/s:...)
	openssl speed -mr $ossl_e -seconds "$secs" rsa2048 ed25519 \
	    2>/dev/null | awk -F: '/^\+F2:/ && $3 == 2048 { r = $4 }
	    /^\+F6:/ && $4 == "Ed25519" { d = $5 }
	    END { if (r == "" || d == "") exit 1; print r, d }'
}
ours() {	# dkim_bench once: RSA, Ed25519, Ed25519 relaxed/relaxed
	_r=$("$T/dkim_bench" $e -s "$secs" -k "$RSA") &&
	_d=$("$T/dkim_bench" $e -s "$secs" -k "$ED") &&
	_rr=$("$T/dkim_bench" $e -s "$secs" -c relaxed/relaxed -k "$ED") &&
	echo "$_r $_d $_rr"
}

i=1
while [ $i -le "$rounds" ]; do
	if [ $((i % 2)) -eq 1 ]; then
		o=$(ossl) || { echo "dkim bench: openssl speed failed"; exit 1; }
		m=$(ours) || exit 1
	else
		m=$(ours) || exit 1
		o=$(ossl) || { echo "dkim bench: openssl speed failed"; exit 1; }
	fi
	p=$("$T/dkim_bench" -r -s "$secs" -k "$RSA") &&
	p="$p $("$T/dkim_bench" -r -s "$secs" -k "$ED")" || exit 1
	# a round: openssl rsa ed, ours rsa ed ed-rr,
	# paired rsa (dkim raw floor), paired ed (dkim raw floor)
	echo "$o $m $p" >>"$T/rounds"
	i=$((i + 1))
done

med() {		# med AWK-EXPR: the median over the rounds
	awk "{ print $1 }" "$T/rounds" | sort -g | awk '{ v[NR] = $1 } END {
	    m = int((NR + 1) / 2); printf "%.6g", (v[m] + v[NR + 1 - m]) / 2 }'
}
pct() {
	awk -v a="$1" 'BEGIN { printf "%.1f%%", 100 * a }'
}

echo "round   openssl        |      mta (dkim)          | paired: dkim, floor"
echo "          rsa  ed25519 |     rsa  ed25519 ed(r/r) |   rsa         ed"
awk '{ printf "%5d %7.0f %8.0f | %7.0f %8.0f %7.0f |", NR, $1, $2, $3, $4, $5
    printf " %3.0f%% %3.0f%%  %3.0f%% %3.0f%%\n", 100 * $6 / $7, 100 * $8 / $7,
    100 * $9 / $10, 100 * $11 / $10 }' "$T/rounds"
echo
clock="user CPU time"
[ -n "$e" ] && clock="wall time"
printf 'signatures/s, medians of %d rounds of %ss (%s)\n' "$rounds" "$secs" \
    "$clock"
printf '%-34s %10s %10s %8s\n' "" "mta (dkim)" "openssl" "ratio"
ok=0
row() {		# row NAME OURS-FIELD OPENSSL-FIELD
	r=$(med "\$$2 / \$$3")
	printf '%-34s %10.0f %10.0f %8s\n' "$1" "$(med "\$$2")" \
	    "$(med "\$$3")" "$(pct "$r")"
	awk -v r="$r" 'BEGIN { exit !(r >= 0.85) }' || ok=1
}
row "RSA-2048, 10 KB, relaxed/simple" 3 1
row "Ed25519, 10 KB, relaxed/simple" 4 2
printf '%-34s %10.0f %10s\n' "Ed25519, 10 KB, relaxed/relaxed" "$(med '$5')" -
printf '%-34s %10s %10s %8s\n' "paired, in one process" "" "raw" ""
prow() {	# prow NAME DKIM RAW: a paired row, as ratios to raw
	printf '%-34s %10.0f %10.0f %8s\n' "$1" "$(med "\$$2")" \
	    "$(med "\$$3")" "$(pct "$(med "\$$2 / \$$3")")"
}
prow "  RSA-2048: dkim_sign()" 6 7
prow "  RSA-2048: floor (hashes + sign)" 8 7
prow "  Ed25519: dkim_sign()" 9 10
prow "  Ed25519: floor (hashes + sign)" 11 10
[ $ok -eq 0 ] && echo "dkim bench: ok (>= 85% of openssl speed)" ||
    echo "dkim bench: below 85% of openssl speed"
cd "$top" || exit 1
