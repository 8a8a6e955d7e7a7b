# lib.sh - helpers of the mta-deliver tests, sourced after common.sh and
# peers.sh.
#
#   drive NAME [-t S] [ARGS...]   run $T/NAME.in through driver.py (S
#                                 seconds a wait) and mta-deliver ARGS:
#                                 $T/NAME.out, $T/NAME.err
#   val NAME VERB KEY [GREP]      KEY of the first VERB record in
#                                 $T/NAME.out (that also matches GREP)
#   count NAME VERB [GREP]        how many VERB records (matching GREP)
#   start_raw ADDR:PORT SCRIPT... rawmx.py; its log is $T/raw-PORT.log
#   msgs NAME SID ID-PREFIX N FILE RCPT...  N msg records for FILE, each
#                                 to the RCPTs, each waited for

DELIVER=$TOP/cmd/mta-deliver/mta-deliver
DRIVER=$TOP/tests/integ/deliver/driver.py
RAWMX=$TOP/tests/integ/deliver/rawmx.py
HELLO='> hello proto=deliver/1
< hello'

drive() {
	_dn=$1
	_dt=10
	shift
	if [ "${1:-}" = -t ]; then
		_dt=$2
		shift 2
	fi
	"$PY" "$DRIVER" -t "$_dt" "$DELIVER" "$@" <"$T/$_dn.in" \
	    >"$T/$_dn.out" 2>"$T/$_dn.err"
	# under SAN=1: a sanitizer's report is a failure of its own
	if grep -q -e 'Sanitizer' -e 'runtime error' "$T/$_dn.err"; then
		fail "$_dn: $(grep -m 1 -e Sanitizer -e 'runtime error' \
		    "$T/$_dn.err")"
	fi
}

val() {
	grep "^$2 " "$T/$1.out" | grep -e "${4:-}" | head -n 1 |
	    tr ' ' '\n' | sed -n "s/^$3=//p" | head -n 1
}

count() {
	grep "^$2 " "$T/$1.out" | grep -c -e "${3:-}"
}

start_raw() {
	_rp=${1##*:}
	_ra=$1
	shift
	"$PY" "$RAWMX" "$_ra" "$T/raw-$_rp.log" "$@" 2>"$T/raw-$_rp.err" &
	RAW_PID=$!
	on_exit="$on_exit; kill $RAW_PID 2>/dev/null; wait $RAW_PID 2>/dev/null"
	_peer_up "start_raw $_ra" "$RAW_PID" "$T/raw-$_rp.err" \
	    "listening $_ra"
}

# msgs SID PREFIX N FILE RCPT...: N transactions of FILE, ids PREFIXi
msgs() {
	_ms=$1 _mp=$2 _mn=$3 _mf=$4
	shift 4
	_msz=$(wc -c <"$_mf")
	_mi=0
	while [ "$_mi" -lt "$_mn" ]; do
		echo "> msg sid=$_ms id=$_mp$_mi path=$_mf off=0 size=$_msz nrcpt=$#"
		_mk=0
		for _mr in "$@"; do
			echo "> rcpt sid=$_ms id=$_mp$_mi n=$_mk to=$_mr"
			_mk=$((_mk + 1))
		done
		echo "< done sid=$_ms id=$_mp$_mi"
		_mi=$((_mi + 1))
	done
}
