#!/bin/sh
# demo.sh - what "make demo" runs: a self-contained instance under ./run
# (its own config, spool and journal), a local test MX on loopback
# (Postfix's smtp-sink on 127.0.0.1:2525, reached through smtp-hosts),
# mta-queue started, mail injected, and the deliveries shown.
# Run from the top of the tree.  Everything it starts, it stops.
set -eu
top=$(pwd)
run=$top/run
pfx=$top/tests/bench/postfix
port=${DEMO_PORT:-2525}

if [ ! -x "$pfx/usr/sbin/smtp-sink" ]; then
	echo "demo: no smtp-sink in $pfx: run sh contrib/install-deps" >&2
	exit 1
fi
if [ -d "$run" ] && [ -f "$run/mta-queue.pid" ]; then
	kill "$(cat "$run/mta-queue.pid")" 2>/dev/null || true
fi
rm -rf "$run"
mkdir -p "$run/sink"
chmod 755 "$run" && chmod 777 "$run/sink"	# smtp-sink runs as nobody

cat >"$run/mta.conf" <<CONF
# The demo instance: everything under $run.
host-name demo.mta.test
postmaster postmaster@demo.mta.test
spool $run/spool

<source 127.0.0.1>
    process-x-virtual-mta yes
    process-x-job yes
</source>

<virtual-mta demo-1>
    smtp-source-host 127.0.0.2 demo-1.mta.test
</virtual-mta>

<virtual-mta demo-2>
    smtp-source-host 127.0.0.3 demo-2.mta.test
</virtual-mta>

<virtual-mta-pool demo-pool>
    virtual-mta demo-1
    virtual-mta demo-2
</virtual-mta-pool>

# Every destination goes to the local test MX, not the Internet.
<domain *>
    smtp-hosts [127.0.0.1]:$port
    max-smtp-out 4
    max-msg-per-connection 100
    max-msg-rate 1000/s
    retry-after 10s
</domain>
CONF
# The bounce categories, where an installed instance has them: next to
# its config.
cp "$top/etc/bounce-categories" "$run/"
ctl="$top/cmd/mta-ctl/mta-ctl -C $run/mta.conf"
inject="$top/cmd/mta-inject/mta-inject -C $run/mta.conf"

pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== mta-ctl check-config"
$ctl check-config | grep -v '^Warning' || true
echo "== mta-ctl spool init"
$ctl spool init

echo "== the test MX: smtp-sink on 127.0.0.1:$port"
user=
[ "$(id -u)" -eq 0 ] && user="-u nobody"
# shellcheck disable=SC2086
LD_LIBRARY_PATH=$pfx/usr/lib/postfix "$pfx/usr/sbin/smtp-sink" $user \
    -d "$run/sink/%M." "127.0.0.1:$port" 100 >"$run/sink.log" 2>&1 &
pids="$pids $!"

echo "== mta-queue started (its log: run/mta-queue.log)"
MTA_DELIVER=$top/cmd/mta-deliver/mta-deliver \
    "$top/cmd/mta-queue/mta-queue" -C "$run/mta.conf" \
    2>"$run/mta-queue.log" &
qpid=$!
pids="$qpid $pids"
echo "$qpid" >"$run/mta-queue.pid"

echo "== mta-inject: two messages, one routed by X-Virtual-MTA"
printf 'From: app@demo.mta.test\nTo: a@example.test\nSubject: one\n\nhello\n' |
    $inject -f app@demo.mta.test a@example.test
printf 'From: app@demo.mta.test\nTo: b@example.test\nX-Virtual-MTA: demo-1\nX-Job: spring\nSubject: two\n\nhello\n' |
    $inject -t -f app@demo.mta.test
echo "== mta-inject -b: a batch of 50 through the pool demo-pool"
i=0
while [ $i -lt 50 ]; do
	printf 'MAIL FROM:<app@demo.mta.test>\nRCPT TO:<c%d@example.org>\nDATA\nX-Virtual-MTA: demo-pool\nSubject: batch %d\n\nbody\n.\n' $i $i
	i=$((i + 1))
done | $inject -b | tail -n 1

# Wait (at most 30 s) until the spool holds nothing and the MX has all.
want=52
i=0
while [ $i -lt 300 ]; do
	got=$(find "$run/sink" -type f | wc -l)
	left=$(find "$run/spool/new" "$run/spool/queue" -type f | wc -l)
	[ "$got" -ge $want ] && [ "$left" -eq 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
echo "== mta-ctl show queues"
$ctl show queues
echo "== mta-ctl status"
$ctl status
echo "== the test MX received $(find "$run/sink" -type f | wc -l) of $want messages"
echo "== the journal: outcomes by type"
cat "$run"/spool/log/*.jnl "$run"/spool/log/*.sealed 2>/dev/null |
    awk '{ n[$1]++ } END { for (t in n) print "   " t, n[t] }'
kill "$qpid"
wait "$qpid" 2>/dev/null || true
pids=${pids#"$qpid "}
rm -f "$run/mta-queue.pid"
echo "== mta-queue stopped; the instance is in $run"
[ "$(find "$run/sink" -type f | wc -l)" -ge $want ]
