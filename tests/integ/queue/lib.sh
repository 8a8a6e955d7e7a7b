# queue/lib.sh - helpers of the mta-queue tests (30-queue*.sh), sourced
# after common.sh and peers.sh.
#
#   qinit                     config from stdin (spool line added), spool
#   qstart [ARGS...]          start mta-queue on it; sets QPID
#   qstop                     SIGTERM, wait (15 s at most); sets QRC
#   qkill                     SIGKILL, wait
#   inj N RCPT...             inject N messages to the recipients
#   jcount VERB               journal records of that verb
#   jfield VERB KEY           values of KEY in those records, one a line
#   rcptof VERB ADDR          the journal records of VERB for ADDR
#   queued                    message files in queue/ and new/
#   wait_queued N [SECONDS]   until queued prints N (20 s)
#   wait_j VERB N [SECONDS]   until jcount VERB prints N (20 s)
#
# mta-queue finds mta-deliver next to itself; MTA_DELIVER, when the
# caller's environment has it (run.sh's does not), names another worker.

QUEUE=$TOP/cmd/mta-queue/mta-queue
QD=$T/q
QC=$QD/mta.conf
QS=$QD/spool
QLOG=$T/queue.log
QPID=

# The senders of the tests are at src.test: unless the config routes
# src.test itself, the DSNs of failed recipients go to an MX of their
# own on 127.0.0.1:$DSN_PORT (messages kept in $T/dsn, stats in
# $T/mx-$DSN_PORT.json), so no test ever asks the system's DNS.
DSN_PORT=${DSN_PORT:-25398}

qinit() {
	cat >"$T/qinit.conf"
	if ! grep -q 'src\.test' "$T/qinit.conf"; then
		printf '<domain src.test>\n\tsmtp-hosts [127.0.0.1]:%s\n</domain>\n' \
		    "$DSN_PORT" >>"$T/qinit.conf"
		mkdir -p "$T/dsn"
		start_mx "127.0.0.1:$DSN_PORT" --mbox "$T/dsn" || exit 1
	fi
	newspool "$QD" <"$T/qinit.conf"
	# the bounce categories, as installed next to the config
	cp "$TOP/etc/bounce-categories" "$QD/"
}

qstart() {
	rm -f "$QS/control"
	"$QUEUE" -C "$QC" -w 2 "$@" >>"$QLOG" 2>&1 &
	QPID=$!
	on_exit="kill -9 $QPID 2>/dev/null; $on_exit"
	if ! wait_until "[ -S $QS/control ] || ! kill -0 $QPID" 10 ||
	    ! kill -0 "$QPID" 2>/dev/null; then
		fail "mta-queue did not start"
		tail -n 20 "$QLOG" | sed 's/^/    /'
		return 1
	fi
}

qstop() {
	kill -TERM "$QPID" 2>/dev/null
	_n=300
	while kill -0 "$QPID" 2>/dev/null && [ $_n -gt 0 ]; do
		sleep 0.05
		_n=$((_n - 1))
	done
	if kill -0 "$QPID" 2>/dev/null; then
		fail "mta-queue still running 15 s after SIGTERM"
		kill -9 "$QPID"
	fi
	wait "$QPID"
	QRC=$?
}

qkill() {
	kill -9 "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	# its workers see the end of their pipe and exit
	wait_until '! pgrep -P '"$QPID"' >/dev/null' 5
}

inj() {
	_n=$1
	shift
	_i=0
	while [ $_i -lt "$_n" ]; do
		printf 'Subject: test %s\r\nFrom: s@src.test\r\n\r\nbody %s\r\n' \
		    "$_i" "$_i" | "$INJECT" -C "$QC" -f s@src.test "$@" \
		    >/dev/null || fail "inject $_i"
		_i=$((_i + 1))
	done
}

jcount() {
	cat "$QS"/log/* 2>/dev/null | grep -c "^$1 "
}

jfield() {
	cat "$QS"/log/* 2>/dev/null | grep "^$1 " | tr ' ' '\n' |
	    sed -n "s/^$2=//p"
}

rcptof() {
	cat "$QS"/log/* 2>/dev/null | grep "^$1 " | grep -F "rcpt=$2 "
}

queued() {
	echo $(($(find "$QS/queue" "$QS/new" -type f | wc -l)))
}

wait_queued() {
	wait_until '[ "$(queued)" = '"$1"' ]' "${2:-20}"
}

wait_j() {
	wait_until '[ "$(jcount '"$1"')" = '"$2"' ]' "${3:-20}"
}
