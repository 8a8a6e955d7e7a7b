# peers.sh - the SMTP and DNS peers of integration tests, sourced after
# common.sh.  Each start_* starts one server in the background, waits
# until it answers, sets its PID and adds a kill of that PID to $on_exit;
# if the server does not come up it prints "FAIL ..." (counted) with the
# server's log and returns 1.  Logs are in $T: sink-PORT.log,
# dnsmasq-PORT.log, mx-PORT.log.  Every wait is bounded.
#
#   start_sink ADDR:PORT [smtp-sink options...]   sets SINK_PID, SINK_DUMP
#   sink_count PORT|DIR                           messages smtp-sink took
#   start_dnsmasq PORT [dnsmasq options...]       sets DNS_PID
#   start_mx ADDR:PORT [mx.py options...]         sets MX_PID, MX_STATS
#   mx_stat PORT|FILE PYTHON-EXPRESSION           a value from mx.py's stats
#   mx_wait PORT|FILE EXPRESSION WANT [SECONDS]   until mx_stat prints WANT
#   make_cert DIR                                 DIR/cert.pem, DIR/key.pem
#   wait_port ADDR:PORT [SECONDS]                 until something listens
#   wait_until "COMMAND" SECONDS                  until COMMAND succeeds
#   postfix_available                             smtp-sink/-source are here

PFX=$TOP/tests/bench/postfix
SMTP_SINK=$PFX/usr/sbin/smtp-sink
SMTP_SOURCE=$PFX/usr/sbin/smtp-source
PFX_LIBS=$PFX/usr/lib/postfix
MX_PY=$TOP/tests/integ/lib/mx.py
PY=/usr/bin/python3		# the one that sees python3-aiosmtpd

# smtp-sink runs as nobody when we are root: it must reach $T.
chmod a+x "$T"

# postfix_available: true when postfix's test tools were extracted
# (contrib/install-deps does it)
postfix_available() {
	[ -x "$SMTP_SINK" ] && [ -x "$SMTP_SOURCE" ]
}

# wait_until "COMMAND" SECONDS: run COMMAND (eval'd, output discarded)
# every 0.05 s until it succeeds; false if it never did in SECONDS
wait_until() {
	_wu_n=$(($2 * 20))
	while [ "$_wu_n" -gt 0 ]; do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
		_wu_n=$((_wu_n - 1))
	done
	eval "$1" >/dev/null 2>&1
}

# listening ADDR:PORT: a TCP socket listens there.  It asks the kernel
# (ss) rather than connecting, so that a server counting its connections
# counts only the test's.
listening() {
	ss -Hltn "src $1" 2>/dev/null | grep -q .
}

# wait_port ADDR:PORT [SECONDS]: until a server listens there (10 s)
wait_port() {
	wait_until "listening $1" "${2:-10}"
}

# _peer_up NAME PID LOG CHECK: wait 10 s for CHECK; on failure print
# FAIL with the log, kill the server and return 1
_peer_up() {
	if wait_until "$4" 10; then
		return 0
	fi
	if kill -0 "$2" 2>/dev/null; then
		fail "$1: not answering after 10 s"
		kill "$2" 2>/dev/null
	else
		fail "$1: exited"
	fi
	sed 's/^/    /' "$3" | tail -n 20
	return 1
}

# start_sink ADDR:PORT [smtp-sink options...]: postfix's smtp-sink, which
# dumps each message it accepts into SINK_DUMP=$T/sinkdump-PORT
start_sink() {
	if ! postfix_available; then
		fail "start_sink: no $SMTP_SINK (run contrib/install-deps)"
		return 1
	fi
	_port=${1##*:}
	SINK_DUMP=$T/sinkdump-$_port
	mkdir -p "$SINK_DUMP" && chmod 777 "$SINK_DUMP" || return 1
	_addr=$1
	shift
	_user=
	[ "$(id -u)" -eq 0 ] && _user="-u nobody"
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH=$PFX_LIBS "$SMTP_SINK" $_user -d "$SINK_DUMP/" \
	    "$@" "$_addr" 256 >"$T/sink-$_port.log" 2>&1 &
	SINK_PID=$!
	on_exit="$on_exit; kill $SINK_PID 2>/dev/null; wait $SINK_PID 2>/dev/null"
	_peer_up "start_sink $_addr" "$SINK_PID" "$T/sink-$_port.log" \
	    "listening $_addr"
}

# sink_count PORT|DIR: how many messages the smtp-sink on PORT (or with
# that dump folder) accepted: it writes a file when it sends its 250
sink_count() {
	_d=$1
	[ -d "$_d" ] || _d=$T/sinkdump-$1
	find "$_d" -type f | wc -l | tr -d ' '
}

# start_dnsmasq PORT [dnsmasq options...]: an authoritative-only dnsmasq
# on 127.0.0.1:PORT (--mx-host=..., --host-record=..., --txt-record=...)
start_dnsmasq() {
	_port=$1
	shift
	dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv \
	    --no-hosts --no-poll --listen-address=127.0.0.1 \
	    --bind-interfaces --port="$_port" --log-facility=- \
	    --pid-file="$T/dnsmasq-$_port.pid" "$@" \
	    >"$T/dnsmasq-$_port.log" 2>&1 &
	DNS_PID=$!
	on_exit="$on_exit; kill $DNS_PID 2>/dev/null; wait $DNS_PID 2>/dev/null"
	# any answer, even REFUSED, means it is serving
	_peer_up "start_dnsmasq $_port" "$DNS_PID" "$T/dnsmasq-$_port.log" \
	    "dig +time=1 +tries=1 -p $_port @127.0.0.1 up.invalid"
}

# start_mx ADDR:PORT [mx.py options...]: mx.py (see its --help) with
# its stats in MX_STATS=$T/mx-PORT.json unless the options give --stats
start_mx() {
	_port=${1##*:}
	_addr=$1
	shift
	MX_STATS=$T/mx-$_port.json
	"$PY" "$MX_PY" --listen "$_addr" --stats "$MX_STATS" "$@" \
	    >"$T/mx-$_port.log" 2>&1 &
	MX_PID=$!
	on_exit="$on_exit; kill $MX_PID 2>/dev/null; wait $MX_PID 2>/dev/null"
	_peer_up "start_mx $_addr" "$MX_PID" "$T/mx-$_port.log" \
	    "listening $_addr"
}

# mx_stat PORT|FILE EXPR: EXPR, a Python expression over the stats keys
# (messages, len(peers), recipients['a@b']['rcpt'] ...), printed; lists,
# dicts and tuples ("messages, concurrent") as JSON
mx_stat() {
	_f=$1
	[ -f "$_f" ] || _f=$T/mx-$1.json
	"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {}, s)
if isinstance(v, tuple):
    v = list(v)
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' "$_f" "$2"
}

# mx_wait PORT|FILE EXPR WANT [SECONDS]: until "mx_stat PORT EXPR" prints
# WANT (5 s); false if it never did.  Stats other than messages lag up to
# 0.05 s: wait for connections to end, e.g. mx_wait 2525 concurrent 0.
mx_wait() {
	_mw_f=$1 _mw_e=$2 _mw_w=$3
	# shellcheck disable=SC2016
	wait_until '[ "$(mx_stat "$_mw_f" "$_mw_e")" = "$_mw_w" ]' "${4:-5}"
}

# make_cert DIR: a self-signed certificate for mx.test (and 127.0.0.1)
# in DIR/cert.pem with its key in DIR/key.pem
make_cert() {
	mkdir -p "$1" || return 1
	if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mx.test \
	    -addext "subjectAltName=DNS:mx.test,IP:127.0.0.1" -days 2 \
	    -keyout "$1/key.pem" -out "$1/cert.pem" >"$1/openssl.log" 2>&1
	then
		fail "make_cert $1: $(tail -n 1 "$1/openssl.log")"
		return 1
	fi
	chmod 644 "$1/key.pem"	# test-only key, readable by a dropped user
}
