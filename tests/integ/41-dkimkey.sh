#!/bin/sh
# 41-dkimkey: mta-dkimkey makes keys (RSA 1024-4096, Ed25519; mode 0600;
# never replaces a key without -f; refuses RSA under 1024) and checks
# published records through c-ares against dnsmasq on 127.0.0.1:25653:
# match (RSA split over strings, Ed25519), another key, truncated,
# missing, bad syntax, wrong k=, revoked, two records.
. "$TOP/tests/integ/lib/common.sh"

K=$TOP/cmd/mta-dkimkey/mta-dkimkey
PORT=25653

# run ARGS...: mta-dkimkey ARGS; sets rc, out, err
run() {
	"$K" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

mkdir "$T/k"
run -s r1 -d example.test -o "$T/k"
eq "rsa: exit" "$rc" 0
eq "rsa: mode" "$(stat -c %a "$T/k/r1.example.test.pem")" 600
eq "rsa: domain-key line" "$(echo "$out" | sed -n 2p)" \
    "domain-key r1,example.test,$T/k/r1.example.test.pem"
match "rsa: TXT line" "$(echo "$out" | sed -n 1p)" \
    'r1._domainkey.example.test. IN TXT ( "v=DKIM1; k=rsa; " "p=MII*" "*" )'
eq "rsa: .txt file" "$(cat "$T/k/r1.example.test.txt")" \
    "$(echo "$out" | sed -n 1p)"
eq "rsa: strings under 255 octets" "$(sed -n 1p "$T/out" |
    grep -o '"[^"]*"' | awk 'length($0) - 2 >= 255' | wc -l)" 0
eq "rsa: 2048 bits" "$(openssl pkey -in "$T/k/r1.example.test.pem" \
    -noout -text 2>/dev/null | sed -n 1p)" "Private-Key: (2048 bit, 2 primes)"
run -s r1 -d example.test -o "$T/k"
eq "no overwrite" "$rc:$err" "73:mta-dkimkey: fatal: \
$T/k/r1.example.test.pem exists: not replaced (-f replaces it)"
cp "$T/k/r1.example.test.pem" "$T/old.pem"
run -f -s r1 -d example.test -o "$T/k"
eq "-f replaces" "$rc$(cmp -s "$T/old.pem" "$T/k/r1.example.test.pem" &&
    echo same)" 0
run -b 4096 -s big -d example.test -o "$T/k"
eq "4096 bits" "$rc" 0
run -b 1023 -s r0 -d example.test -o "$T/k"
eq "1023 bits refused" "$rc" 64
run -b 8192 -s r0 -d example.test -o "$T/k"
eq "8192 bits refused" "$rc" 64
run -t ed25519 -s e1 -d example.test -o "$T/k"
eq "ed25519" "$rc" 0
match "ed25519: TXT" "$(echo "$out" | sed -n 1p)" \
    'e1._domainkey.example.test. IN TXT ( "v=DKIM1; k=ed25519; " "p=????????????????????????????????????????????" )'
run -t ed25519 -b 256 -s e2 -d example.test
eq "ed25519 -b refused" "$rc" 64
run -t dsa -s e2 -d example.test
eq "-t dsa refused" "$rc" 64
run -s 'a;b' -d example.test
eq "bad selector" "$rc" 64
eq "only keys and records written" "$(ls "$T/k" | tr '\n' ' ')" \
    "big.example.test.pem big.example.test.txt e1.example.test.pem \
e1.example.test.txt r1.example.test.pem r1.example.test.txt "

# --- --check against dnsmasq -------------------------------------------
command -v dnsmasq >/dev/null || { fail "no dnsmasq"; finish; exit; }
p1() {	# the p= value of a .txt file
	sed 's/^[^(]*( //; s/ )$//; s/" "//g; s/"//g; s/.*p=//' "$1"
}
PR=$(p1 "$T/k/r1.example.test.txt")
PE=$(p1 "$T/k/e1.example.test.txt")
PB=$(p1 "$T/k/big.example.test.txt")
# An RSA record over 255 octets is given as parts (dnsmasq splits there).
split() {
	echo "$1" | fold -w 200 | paste -sd, -
}
dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
    --no-poll --listen-address=127.0.0.1 --bind-interfaces --port=$PORT \
    --pid-file= --local=/test/ \
    --txt-record="r1._domainkey.ok.test,v=DKIM1; k=rsa; ,p=$(split "$PR")" \
    --txt-record="e1._domainkey.ok.test,v=DKIM1; k=ed25519; p=$PE" \
    --txt-record="r1._domainkey.other.test,v=DKIM1; k=rsa; ,p=$(split "$PB")" \
    --txt-record="r1._domainkey.cut.test,v=DKIM1; k=rsa; p=$(echo "$PR" |
    cut -c1-240)" \
    --txt-record="r1._domainkey.spf.test,v=spf1 -all" \
    --txt-record="r1._domainkey.syntax.test,v=DKIM1; k=rsa; p" \
    --txt-record="r1._domainkey.b64.test,v=DKIM1; k=rsa; p=!!notbase64!!" \
    --txt-record="r1._domainkey.ktype.test,v=DKIM1; k=ed25519; p=$PE" \
    --txt-record="r1._domainkey.revoked.test,v=DKIM1; k=rsa; p=" \
    --txt-record="r1._domainkey.two.test,v=DKIM1; p=$PE" \
    --txt-record="r1._domainkey.two.test,v=DKIM1; p=$PE" \
    2>"$T/dnsmasq.err" &
dns=$!
on_exit="kill $dns 2>/dev/null; wait $dns 2>/dev/null"
i=0
until dig +short +time=1 +tries=1 -p $PORT @127.0.0.1 TXT \
    e1._domainkey.ok.test 2>/dev/null | grep -q DKIM1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { fail "dnsmasq did not start: $(cat "$T/dnsmasq.err")"
	    finish; exit; }
	sleep 0.1
done

S=127.0.0.1:$PORT
R=$T/k/r1.example.test.pem
chk() {	# chk DOMAIN KEY: --check against the stub
	run --check -S "$S" -s "$2" -d "$1" -k "$3"
}
chk ok.test r1 "$R"
eq "match rsa" "$rc:$out" "0:r1._domainkey.ok.test: match: the record \
publishes this RSA key"
chk ok.test e1 "$T/k/e1.example.test.pem"
eq "match ed25519" "$rc:$out" "0:e1._domainkey.ok.test: match: the record \
publishes this Ed25519 key"
chk other.test r1 "$R"
eq "another key" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.other.test: \
mismatch: the record publishes another key"
chk cut.test r1 "$R"
eq "truncated" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.cut.test: \
truncated: p= holds 240 of the key's ${#PR} characters (a TXT string is \
at most 255 octets: publish p= as several strings)"
chk none.test r1 "$R"
eq "missing" "$rc:$err" "68:mta-dkimkey: fatal: r1._domainkey.none.test: \
missing: no TXT record at this name"
chk spf.test r1 "$R"
eq "missing: other TXT" "$rc:$err" "68:mta-dkimkey: fatal: \
r1._domainkey.spf.test: missing: 1 TXT record, none a DKIM key"
chk syntax.test r1 "$R"
eq "bad syntax" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.syntax.test: \
bad syntax: \"p\" is not tag=value"
chk b64.test r1 "$R"
eq "bad base64" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.b64.test: \
bad syntax: p= is not base64"
chk ktype.test r1 "$R"
eq "wrong k=" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.ktype.test: \
mismatch: the record says k=ed25519, the key is rsa"
chk revoked.test r1 "$R"
eq "revoked" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.revoked.test: \
mismatch: p= is empty: the key is revoked"
chk two.test r1 "$R"
eq "two records" "$rc:$err" "65:mta-dkimkey: fatal: r1._domainkey.two.test: \
bad syntax: 2 DKIM key records; verifiers may take either"
# the config's name-server, when -S is not given
printf 'name-server %s\n' "$S" >"$T/mta.conf"
run --check -C "$T/mta.conf" -s r1 -d ok.test -k "$R"
eq "name-server from the config" "$rc" 0
run --check -S "$S" -s r1 -d ok.test -k "$T/k/none.pem"
eq "unreadable key" "$rc:$err" "66:mta-dkimkey: fatal: $T/k/none.pem: No \
such file or directory"
finish
