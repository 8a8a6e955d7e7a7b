#!/bin/sh
# 51-smtpd-security: mta-smtpd against hostile clients.  Every row of
# ../shared/corpus/smtp/smuggling.tsv (SMTP smuggling: only CRLF.CRLF ends
# DATA, nothing smuggled runs, nothing queued holds a bare CR, bare LF or
# NUL), every server row of starttls-injection.tsv (CVE-2011-0411:
# nothing pipelined behind STARTTLS is answered inside TLS), and hostile
# bytes (NUL, over-long and high-bit lines, many errors), after which the
# server still answers.
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
H=$TOP/tests/integ/smtpd
PY="/usr/bin/python3 -B"	# no __pycache__ in the tree
P=2572		# ports 25720-25729
CORPUS=${CORPUS:-$TOP/../shared/corpus/smtp}

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
    { fail "openssl: no certificate"; finish; exit 1; }
newspool "$T/s" <<EOF
host-name mx.test
run-as-root yes
smtp-listener 127.0.0.1:${P}0
smtp-server-tls-certificate $T/cert.pem $T/key.pem
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
: >"$T/log"
"$TOP/cmd/mta-smtpd/mta-smtpd" -C "$T/s/mta.conf" 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; $on_exit"
i=0
while ! grep -q "listening" "$T/log" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done

# count FILE: each "ok" line passes, each "FAIL" line fails
count() {
	while read -r _w _rest; do
		case $_w in
		ok)	pass ;;
		FAIL)	fail "$_rest" ;;
		*)	fail "unexpected output: $_w $_rest" ;;
		esac
	done <"$1"
}

for f in smuggling.tsv starttls-injection.tsv; do
	[ -f "$CORPUS/$f" ] || fail "no $CORPUS/$f"
done
rows=$(($(wc -l <"$CORPUS/smuggling.tsv") - 1))
$PY "$H/smuggle.py" 127.0.0.1 ${P}0 "$T/s/spool" "$CORPUS/smuggling.tsv" \
    >"$T/out" 2>&1
eq "smuggling: every row ran" "$(grep -c '^ok\|^FAIL' "$T/out")" "$rows"
count "$T/out"
$PY "$H/tlsinject.py" 127.0.0.1 ${P}0 >"$T/out" 2>&1
eq "starttls injection: every check ran" "$(wc -l <"$T/out")" 10
count "$T/out"
eq "starttls injection: logged" \
    "$(grep -c 'bytes after STARTTLS discarded' "$T/log")" 2
$PY "$H/hostile.py" 127.0.0.1 ${P}0 >"$T/out" 2>&1
count "$T/out"
kill -0 $pid 2>/dev/null
eq "server alive" "$?" 0
eq "no crash in the log" "$(grep -c 'fatal\|panic' "$T/log")" 0
finish
