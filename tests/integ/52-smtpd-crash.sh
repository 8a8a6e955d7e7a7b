#!/bin/sh
# 52-smtpd-crash: mta-smtpd killed by SIGKILL while 20 sessions send
# messages as fast as they are answered, three times over.  Every queue id
# a client saw in a "250 queued" reply is then a complete file in new/
# holding its message (mta-ctl show queue reads them all); what was not
# acknowledged may be there or not, never half-written.
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
H=$TOP/tests/integ/smtpd
PY="/usr/bin/python3 -B"	# no __pycache__ in the tree
P=25730

newspool "$T/s" <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:$P
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
S=$T/s/spool
: >"$T/ids"
round=1
while [ $round -le 3 ]; do
	: >"$T/log"
	"$SMTPD" -C "$T/s/mta.conf" 2>"$T/log" &
	pid=$!
	i=0
	while ! grep -q "listening" "$T/log" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	$PY "$H/load.py" 127.0.0.1 $P 20 10 >>"$T/ids" &
	lpid=$!
	sleep 0.$((round * 3))
	kill -9 $pid
	wait $pid 2>/dev/null
	wait $lpid
	round=$((round + 1))
done
acked=$(wc -l <"$T/ids")
echo "acknowledged $acked, files in new/ $(nfiles "$S/new")"
match "many acknowledged" "$acked" "[1-9][0-9][0-9]*"
eq "acknowledged and lost or broken" \
    "$($PY "$TOP/tests/integ/lib/intact.py" "$S/new" <"$T/ids")" \
    "lost 0 broken 0"
eq "unique ids" "$(sort -u "$T/ids" | wc -l)" "$acked"
n=$(nfiles "$S/new")
"$CTL" -C "$T/s/mta.conf" show queue >"$T/q" 2>&1
eq "show queue: exit" "$?" 0
eq "show queue: every file read" "$(tail -n 1 "$T/q")" \
    "messages: $n new, 0 queued"
finish
