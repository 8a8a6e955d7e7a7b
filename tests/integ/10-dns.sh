#!/bin/sh
# 10-dns: lib/dns through mta-ctl resolve against dnsmasq on loopback.
# MX order by preference and random among equals, implicit MX, NXDOMAIN,
# null MX, MX hosts without address, CNAME targets, an MX naming an IP,
# address families, one lookup shared by many callers, a server that never
# answers (bounded by dns-timeout), a refusing port, bad names, the
# name-server directive, and many domains at once.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"

PORT=15353
SILENT=15359		# a UDP socket that reads and never answers
NOBODY=15358		# nothing listens: ICMP port unreachable

# The zone.  Names under .test and .1 are local: unknown ones NXDOMAIN.
set -- --local=/test/ --local=/1/ --log-queries \
    --mx-host=example.test,mx1.example.test,10 \
    --mx-host=example.test,mx2.example.test,20 \
    --host-record=mx1.example.test,127.0.0.1 \
    --host-record=mx2.example.test,127.0.0.2 \
    --mx-host=eq.test,a.eq.test,10 --mx-host=eq.test,b.eq.test,10 \
    --mx-host=eq.test,c.eq.test,20 \
    --host-record=a.eq.test,127.0.1.1 --host-record=b.eq.test,127.0.1.2 \
    --host-record=c.eq.test,127.0.1.3 \
    --host-record=plain.test,127.0.0.9 \
    --mx-host=nullmx.test,.,0 \
    --mx-host=noaddr.test,gone.noaddr.test,10 \
    --mx-host=noaddr.test,mx1.example.test,20 \
    --mx-host=allgone.test,gone.allgone.test,10 \
    --mx-host=cname.test,alias.cname.test,10 \
    --cname=alias.cname.test,mx1.example.test \
    --mx-host=ipmx.test,127.0.0.1,10 \
    --mx-host=v6.test,mx.v6.test,10 \
    --host-record=mx.v6.test,127.0.0.6,::6 \
    --mx-host=share.test,mx.share.test,10 \
    --host-record=mx.share.test,127.0.2.1
i=1
while [ $i -le 50 ]; do
	set -- "$@" --mx-host=d$i.test,mx.d$i.test,$i \
	    --host-record=mx.d$i.test,127.0.3.$i
	i=$((i + 1))
done
start_dnsmasq $PORT "$@" || { finish; exit 1; }

# A server that takes queries and never answers.
/usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", '$SILENT'))
time.sleep(60)' &
SILENT_PID=$!
on_exit="$on_exit; kill $SILENT_PID 2>/dev/null; wait $SILENT_PID 2>/dev/null"
wait_until "ss -Hlun 'sport = :$SILENT' | grep -q ." 10 ||
    fail "silent DNS server on port $SILENT did not start"

printf 'dns-timeout 2s\n' >"$T/mta.conf"
printf 'dns-timeout 2s\nname-server 127.0.0.1:%s\n' $PORT >"$T/ns.conf"

TIMEOUT='Timeout while contacting DNS servers'	# c-ares' words

# between NAME GOT LO HI: LO <= GOT < HI
between() {
	if [ "$2" -ge "$3" ] && [ "$2" -lt "$4" ]; then
		pass
	else
		fail "$1: got [$2], want $3 to $4"
	fi
}

# res ARGS...: mta-ctl resolve through dnsmasq; sets out, err, rc
res() {
	"$CTL" -C "$T/mta.conf" resolve "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
S="-s 127.0.0.1:$PORT"

# MX order by preference; each host with its address; -4: no AAAA.
res $S -4 example.test
eq "mx order" "$out" "example.test: mx 10 mx1.example.test 127.0.0.1
example.test: mx 20 mx2.example.test 127.0.0.2"
eq "mx order exit" "$rc" 0
eq "mx order stderr" "$err" ""

# No MX, an A record: the domain is its own MX (RFC 5321 5.1).
res $S plain.test
eq "implicit mx" "$out" "plain.test: mx implicit plain.test 127.0.0.9"
eq "implicit mx exit" "$rc" 0

res $S nx.test
eq "nxdomain" "$out" "nx.test: nxdomain"
eq "nxdomain exit" "$rc" 68

res $S nullmx.test
eq "null mx" "$out" "nullmx.test: null MX (RFC 7505): mail refused"
eq "null mx exit" "$rc" 68

# An MX host without address is dropped; with none left, no host.
res $S -4 noaddr.test
eq "mx host without address" "$out" \
    "noaddr.test: mx 20 mx1.example.test 127.0.0.1"
eq "mx host without address exit" "$rc" 0
res $S allgone.test
eq "no mx host has an address" "$out" \
    "allgone.test: no host: no MX host has an address"
eq "no mx host has an address exit" "$rc" 68

# A CNAME target is followed; an MX naming an IP is a name, not an
# address (RFC 5321 5.1), so it has none.
res $S -4 cname.test
eq "cname target" "$out" "cname.test: mx 10 alias.cname.test 127.0.0.1"
res $S ipmx.test
eq "ip as mx name" "$out" "ipmx.test: no host: no MX host has an address"
eq "ip as mx name exit" "$rc" 68

# Address families.
res $S v6.test
eq "both families" "$out" "v6.test: mx 10 mx.v6.test 127.0.0.6
v6.test: mx 10 mx.v6.test ::6"
res $S -6 v6.test
eq "ipv6 only" "$out" "v6.test: mx 10 mx.v6.test ::6"
res $S -6 example.test
eq "ipv6 only, none" "$out" \
    "example.test: no host: no MX host has an address"

# Equal preferences in random order: 40 answers in one run, each its
# own draw; c (preference 20) always last.
set --
i=0
while [ $i -lt 40 ]; do
	set -- "$@" eq.test
	i=$((i + 1))
done
res $S -4 "$@"
eq "equal preferences: lines" "$(echo "$out" | wc -l)" 120
eq "equal preferences: c last" \
    "$(echo "$out" | awk 'NR % 3 == 0 && $4 != "c.eq.test"' | wc -l)" 0
na=$(echo "$out" | awk 'NR % 3 == 1 && $4 == "a.eq.test"' | wc -l)
nb=$(echo "$out" | awk 'NR % 3 == 1 && $4 == "b.eq.test"' | wc -l)
eq "equal preferences: a or b first" $((na + nb)) 40
match "equal preferences: both orders ($na a first, $nb b first)" \
    "$na $nb" '[1-9]* [1-9]*'

# 200 callers of one domain: one MX lookup, one A lookup.
set --
i=0
while [ $i -lt 200 ]; do
	set -- "$@" share.test
	i=$((i + 1))
done
res $S -4 "$@"
eq "shared: answers" "$(echo "$out" | grep -c \
    '^share.test: mx 10 mx.share.test 127.0.2.1$')" 200
eq "shared: MX queries" \
    "$(grep -c 'query\[MX\] share.test ' "$T/dnsmasq-$PORT.log")" 1
eq "shared: A queries" \
    "$(grep -c 'query\[A\] mx.share.test ' "$T/dnsmasq-$PORT.log")" 1

# Many domains at once, each with its own MX.
set --
i=1
while [ $i -le 50 ]; do
	set -- "$@" d$i.test
	i=$((i + 1))
done
res $S -4 "$@"
want=$(i=1; while [ $i -le 50 ]; do
	echo "d$i.test: mx $i mx.d$i.test 127.0.3.$i"; i=$((i + 1)); done)
eq "many domains" "$out" "$want"
eq "many domains exit" "$rc" 0

# Exit status: a permanent failure is 68; a temporary one wins.
res $S example.test nx.test
eq "mixed permanent exit" "$rc" 68

# A server that never answers: a temporary failure within dns-timeout.
t0=$(date +%s%N)
res -s 127.0.0.1:$SILENT slow.test
ms=$((($(date +%s%N) - t0) / 1000000))
eq "timeout" "$out" "slow.test: temporary failure: MX lookup: $TIMEOUT"
eq "timeout exit" "$rc" 75
between "timeout: milliseconds" "$ms" 1500 3500
t0=$(date +%s%N)
res -s 127.0.0.1:$SILENT slow.test example.test
ms=$((($(date +%s%N) - t0) / 1000000))
eq "timeout, two domains exit" "$rc" 75
between "timeout, two domains: milliseconds" "$ms" 1500 3500

# Nothing listens: the port refuses, no waiting.
res -s 127.0.0.1:$NOBODY nobody.test
eq "refused port" "$out" \
    "nobody.test: temporary failure: MX lookup: Could not contact DNS servers"
eq "refused port exit" "$rc" 75

# dnsmasq refuses names it does not serve: temporary.
res $S mail.example.org
match "refused name" "$out" "mail.example.org: temporary failure: MX lookup: *"
eq "refused name exit" "$rc" 75

# Bad names get an answer, not a query.
res $S 'a..b' "$(printf 'x\ny')" "$(rep a 300).test" ""
eq "bad names" "$out" "a..b: invalid domain name
x?y: invalid domain name
$(rep a 299): invalid domain name
: invalid domain name"
eq "bad names exit" "$rc" 68
eq "bad names: no query" "$(grep -c 'query\[MX\] a\.\.b' \
    "$T/dnsmasq-$PORT.log")" 0

# Servers from the config's name-server; -s overrides it.
"$CTL" -C "$T/ns.conf" resolve -4 example.test >"$T/out" 2>"$T/err"
eq "name-server directive exit" "$?" 0
eq "name-server directive" "$(head -n 1 "$T/out")" \
    "example.test: mx 10 mx1.example.test 127.0.0.1"
"$CTL" -C "$T/ns.conf" resolve -s 127.0.0.1:$NOBODY example.test \
    >"$T/out" 2>"$T/err"
eq "-s over name-server" "$?" 75

# A bad server list and a missing domain.
res -s 'not a server' example.test
eq "bad -s exit" "$rc" 78
match "bad -s message" "$err" '*name servers "not a server"*'
res
eq "no domain exit" "$rc" 64

finish
