#!/bin/sh
# demo.sh - what "make demo" runs: a self-contained instance under ./run
# (its own config and spool), three messages injected, the queue shown.
# Run from the top of the tree.
set -eu
top=$(pwd)
run=$top/run
rm -rf "$run"
mkdir -p "$run"
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

<domain *>
    max-smtp-out 4
    max-msg-rate 100/s
    smtp-hosts [127.0.0.1]:2525
</domain>
CONF
ctl="$top/cmd/mta-ctl/mta-ctl -C $run/mta.conf"
inject="$top/cmd/mta-inject/mta-inject -C $run/mta.conf"

echo "== mta-ctl check-config"
$ctl check-config | grep -v '^Warning' || true
echo "== mta-ctl spool init"
$ctl spool init
echo "== mta-inject: two messages, one routed by X-Virtual-MTA"
printf 'From: app@demo.mta.test\nTo: a@example.test\nSubject: one\n\nhello\n' |
    $inject -f app@demo.mta.test a@example.test
printf 'From: app@demo.mta.test\nTo: b@example.test\nX-Virtual-MTA: demo-1\nX-Job: spring\nSubject: two\n\nhello\n' |
    $inject -t -f app@demo.mta.test
echo "== mta-inject -b: a batch of three"
printf 'MAIL FROM:<app@demo.mta.test>\nRCPT TO:<c%d@example.org>\nDATA\nSubject: batch\n\nbody\n.\n' 1 2 3 |
    $inject -b
echo "== mta-ctl show queue"
$ctl show queue
echo "The instance is in $run."
