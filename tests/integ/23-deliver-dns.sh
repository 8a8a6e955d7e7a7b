#!/bin/sh
# 23-deliver-dns: mta-deliver finds hosts through DNS (dnsmasq on
# 127.0.0.1:25280, given by the config's name-server): MX hosts in
# preference order with the next one tried when the first refuses, a
# host name in hosts=, and the permanent answers (NXDOMAIN, null MX)
# that fail the session.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/deliver/lib.sh"

printf 'Subject: dns\r\n\r\nbody\r\n' >"$T/m.eml"
printf 'name-server 127.0.0.1:25280\ndns-timeout 5s\n' >"$T/mta.conf"

start_dnsmasq 25280 --local=/test/ \
    --mx-host=y.test,mx1.y.test,10 --mx-host=y.test,mx2.y.test,20 \
    --host-record=mx1.y.test,127.0.0.3 --host-record=mx2.y.test,127.0.0.1 \
    --host-record=relay.test,127.0.0.1 \
    --mx-host=null.test,.,0 || exit 1
start_mx 127.0.0.1:25281 || exit 1

cat >"$T/dns.in" <<EOF
$HELLO
> session sid=1 queue=y.test/v domain=y.test helo=me.test port=25281
< session sid=1
$(msgs 1 a 1 "$T/m.eml" b@y.test)
> session sid=2 queue=r/v domain=r.test helo=me.test hosts=relay.test:25281
< session sid=2
> session sid=3 queue=n/v domain=nx.test helo=me.test port=25281
< session sid=3
> session sid=4 queue=n/v domain=null.test helo=me.test port=25281
< session sid=4
> session sid=5 queue=r/v domain=r.test helo=me.test hosts=nx.test:25281
< session sid=5
> quit
exit
EOF
drive dns -C "$T/mta.conf"
eq "MX: ok" "$(val dns session status 'sid=1 ')" ok
eq "MX: second host" "$(val dns session mx 'sid=1 ')" mx2.y.test
eq "MX: address" "$(val dns session ip 'sid=1 ')" 127.0.0.1
eq "MX: delivered" "$(val dns rcpt status)" delivered
eq "hosts=name: ok" "$(val dns session status 'sid=2 ')" ok
eq "hosts=name: mx" "$(val dns session mx 'sid=2 ')" relay.test
eq "NXDOMAIN: fail" "$(val dns session status 'sid=3 ')" fail
eq "NXDOMAIN: dsn" "$(val dns session dsn 'sid=3 ')" 5.1.2
eq "null MX: fail" "$(val dns session status 'sid=4 ')" fail
eq "null MX: dsn" "$(val dns session dsn 'sid=4 ')" 5.1.10
eq "route name NXDOMAIN: defer" "$(val dns session status 'sid=5 ')" defer
eq "exit" "$(tail -n 1 "$T/dns.out")" "exit 0"

finish
