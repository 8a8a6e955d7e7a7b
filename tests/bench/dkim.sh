#!/bin/sh
# dkim.sh - DKIM signatures a second (10 KB messages, c=relaxed/simple,
# one signature per message) for RSA-2048 and Ed25519, next to
# "openssl speed" of the same machine in the same run: the goal is at
# least 85% of OpenSSL's raw signing rate.  Run from the top of the tree
# after "make" (it builds tests/bench/dkim_bench against lib/libmta.a).
top=$(pwd)
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
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

openssl speed -seconds 3 rsa2048 ed25519 2>/dev/null >"$T/speed"
o_rsa=$(awk '/^rsa 2048 bits/ { print $(NF - 1) }' "$T/speed")
o_ed=$(awk '/Ed25519/ { print $(NF - 1) }' "$T/speed")
m_rsa=$("$T/dkim_bench" -s 3 -k "$T/rsa.example.test.pem")
m_ed=$("$T/dkim_bench" -s 3 -k "$T/ed.example.test.pem")
m_edrr=$("$T/dkim_bench" -s 3 -c relaxed/relaxed -k "$T/ed.example.test.pem")

printf '%-34s %12s %12s %8s\n' "signatures/s" "mta (dkim)" "openssl" "ratio"
ok=0
row() {
	r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f%%", 100 * a / b }')
	printf '%-34s %12s %12s %8s\n' "$1" "$2" "$3" "$r"
	awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= 0.85 * b) }' || ok=1
}
row "RSA-2048, 10 KB, relaxed/simple" "$m_rsa" "$o_rsa"
row "Ed25519, 10 KB, relaxed/simple" "$m_ed" "$o_ed"
printf '%-34s %12s %12s\n' "Ed25519, 10 KB, relaxed/relaxed" "$m_edrr" "-"
[ $ok -eq 0 ] && echo "dkim bench: ok (>= 85% of openssl speed)" ||
    echo "dkim bench: below 85% of openssl speed"
cd "$top" || exit 1
