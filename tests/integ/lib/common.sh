# common.sh - sourced by integration tests that count their own checks.
#
# Gives a scratch folder $T (removed on exit, after the commands in
# $on_exit), checks that print only their failures ("FAIL name: got X,
# want Y"), a spool made by mta-ctl, and readers of spool files.  A test
# ends with "finish", which prints "N passed, N failed" and sets the exit
# status.  Needs TOP, the top of the build tree (run.sh sets it).

# shellcheck disable=SC2034
INJECT=$TOP/cmd/mta-inject/mta-inject
CTL=$TOP/cmd/mta-ctl/mta-ctl
npass=0
nfail=0
on_exit=:	# a test adds its cleanup here: unmounts, kills by PID

T=$(mktemp -d) || exit 1
trap 'eval "$on_exit"; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

pass() {
	npass=$((npass + 1))
}

fail() {
	nfail=$((nfail + 1))
	printf 'FAIL %s\n' "$*"
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: got [$2], want [$3]"
	fi
}

# match NAME GOT PATTERN: GOT matches the case(1) pattern
match() {
	# shellcheck disable=SC2254
	case $2 in
	$3)	pass ;;
	*)	fail "$1: got [$2], want a match of [$3]" ;;
	esac
}

# same NAME GOTFILE WANTFILE: the same bytes
same() {
	if cmp -s "$2" "$3"; then
		pass
	else
		fail "$1: $(cmp "$2" "$3" 2>&1 | head -n 1)"
		od -c "$2" | head -n 8 | sed 's/^/    got  /'
		od -c "$3" | head -n 8 | sed 's/^/    want /'
	fi
}

finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# newspool DIR: the config DIR/mta.conf, read from stdin with "spool
# DIR/spool" put first, and its spool, made by mta-ctl spool init
newspool() {
	mkdir -p "$1" || exit 1
	{ echo "spool $1/spool"; cat; } >"$1/mta.conf"
	if ! "$CTL" -C "$1/mta.conf" spool init >/dev/null; then
		fail "mta-ctl spool init in $1"
		exit 1
	fi
}

# nfiles DIR...: how many entries the folders hold
nfiles() {
	echo $(($(find "$@" -mindepth 1 -maxdepth 1 | wc -l)))
}

# rep CHAR N: N copies of CHAR, no newline
rep() {
	head -c "$2" /dev/zero | tr '\0' "$1"
}

# envelope FILE: the envelope of a spool file, without its empty line
envelope() {
	sed -n '/^$/q;p' "$1"
}

# record FILE KEY: the value of one envelope record
record() {
	envelope "$1" | sed -n "s/^$2 //p"
}

# message FILE: the message bytes that follow the envelope
message() {
	tail -c +$(($(envelope "$1" | wc -c) + 2)) "$1"
}

# header FILE: the header section of the message, without CRs
header() {
	message "$1" | tr -d '\r' | sed '/^$/q' | sed '/^$/d'
}

# shape FILE: the envelope with the id, time and size that vary replaced
shape() {
	envelope "$1" | sed -e 's/^id [0-9a-f]\{21\}$/id ID/' \
	    -e 's/^time [0-9]\{1,\}$/time TIME/' \
	    -e 's/^size [0-9]\{12\}$/size SIZE/'
}

# intact FILE: "ok" if the size record matches the bytes after the
# envelope and the id record matches the file name, else what is wrong
# (two processes a file: it runs on every file of a batch)
intact() {
	_env=$(envelope "$1")
	_id=
	_sz=
	while read -r _k _v; do
		case $_k in
		id)	_id=$_v ;;
		size)	_sz=$_v ;;
		esac
	done <<EOF
$_env
EOF
	# the envelope's lines, its empty line, then the message
	_n=$(($(wc -c <"$1") - ${#_env} - 2))
	if [ "$_id" != "${1##*/}" ]; then
		echo "id [$_id] in ${1##*/}"
	elif [ -z "$_sz" ] || [ $((1$_sz - 1000000000000)) -ne "$_n" ]; then
		echo "size [$_sz] but $_n bytes"
	else
		echo ok
	fi
}
