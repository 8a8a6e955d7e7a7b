#!/bin/sh
# demo.sh - what "make demo" runs: check the shipped configuration and
# show what every queue resolves to.  Run from the top of the tree.
set -eu
echo "== mta-ctl check-config -v (etc/mta.conf)"
cmd/mta-ctl/mta-ctl -C etc/mta.conf check-config -v
