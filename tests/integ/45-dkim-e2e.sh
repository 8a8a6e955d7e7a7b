#!/bin/sh
# 45-dkim-e2e: DKIM end to end.  Messages are injected with mta-inject
# (signed there, as in 40-dkim), delivered by the real mta-queue and
# mta-deliver to smtp-sink (relaxed/simple) and to mx.py (simple/simple
# and relaxed/relaxed), and what arrived is checked by python3-dkim and
# by opendkim -t: RSA alone, Ed25519 alone and both signatures at once,
# over bodies with lines that start with a dot, lines over the SMTP
# limit, 8-bit text, bare LFs, no final line end and an empty body.  The
# bytes mx.py received (dot-unstuffed) are the bytes signed in the spool
# before delivery; smtp-sink's copies (it keeps LF line ends and adds
# its own trace fields on top) are the same once CRLF is put back.
. "$TOP/tests/integ/lib/common.sh"
. "$TOP/tests/integ/lib/peers.sh"
. "$TOP/tests/integ/queue/lib.sh"

VERIFY="/usr/bin/python3 $TOP/tests/integ/dkim/verify.py"
KEYGEN=$TOP/cmd/mta-dkimkey/mta-dkimkey
# peers on an address of their own, so that runs at the same time (two
# checkouts, two users) do not deliver to each other
NET=127.45.$(($$ % 250 + 1))
SINK=$NET.1:25451
MX=$NET.2:25452
for f in /usr/bin/python3 /usr/sbin/opendkim; do
	[ -e "$f" ] || { fail "missing $f"; finish; exit; }
done

# --- keys (mta-dkimkey) and the verifiers' table of them -------------
mkdir "$T/k"
"$KEYGEN" -s r1 -d example.test -o "$T/k" >/dev/null &&
"$KEYGEN" -t ed25519 -s e1 -d example.test -o "$T/k" >/dev/null ||
    fail "mta-dkimkey"
for s in r1 e1; do
	f=$(echo "$T"/k/$s.*.txt)
	printf '%s._domainkey.* %s\n' $s \
	    "$(sed 's/^[^(]*( //; s/ )$//; s/" "//g; s/"//g' "$f")"
done >"$T/keys"

# From domain: which keys sign; recipient domain: which peer and which
# canonicalization
qinit <<EOF
host-name mta.example.test
domain-key r1,rsa.example.test,$T/k/r1.example.test.pem
domain-key e1,ed.example.test,$T/k/e1.example.test.pem
domain-key r1,both.example.test,$T/k/r1.example.test.pem
domain-key e1,both.example.test,$T/k/e1.example.test.pem
<domain sink.test>
	smtp-hosts [$NET.1]:25451
	dkim-sign yes
</domain>
<domain simple.test>
	smtp-hosts [$NET.2]:25452
	dkim-sign yes
	dkim-headers-canon simple
	dkim-body-canon simple
</domain>
<domain relaxed.test>
	smtp-hosts [$NET.2]:25452
	dkim-sign yes
	dkim-headers-canon relaxed
	dkim-body-canon relaxed
</domain>
EOF

# --- the messages: From and X-Test are added per key set -------------
mkdir "$T/c"
printf 'Subject: plain\r\nTo: r@dest.test\r\n\r\nHello.\r\n' >"$T/c/plain"
printf 'Subject: dots\r\n\r\n.\r\n..two\r\n.leading\r\n. \r\n...\r\n'\
'end\r\n.' >"$T/c/dots"
{ printf 'Subject: long\r\nX-Long: %s\r\n\r\n' "$(rep h 2000)"
  printf '%s\r\n%s\r\n.%s\r\n%s\r\n' "$(rep x 998)" "$(rep y 3000)" \
      "$(rep z 1500)" "$(printf 'a %.0s' $(seq 700))"; } >"$T/c/long"
printf 'Subject: \303\251t\303\251 \342\202\254 \360\237\230\200\r\n'\
'MIME-Version: 1.0\r\n'\
'Content-Type: text/plain; charset=utf-8\r\n'\
'Content-Transfer-Encoding: 8bit\r\n\r\n'\
'\303\251t\303\251 \342\202\254\r\n.\303\251\r\nLatin-1: caf\351\r\n' \
    >"$T/c/8bit"
printf 'Subject: lf\n\nlf only\n.\n..\n\ttab  \nend\n' >"$T/c/lf"
printf 'Subject: trailing\r\n\r\ntrailing  \t \r\n\r\n\r\n' >"$T/c/trailing"
printf 'Subject: empty\r\n\r\n' >"$T/c/empty"

# put KEYSET RCPT...: inject each message From s@KEYSET.example.test
# (-i: a line of one dot is text, not the end); X-Test says which
# message, key set and recipient domains it is
put() {
	_ks=$1
	shift
	_to=$(echo "$@" | sed 's/[^ ]*@//g; s/ /+/g')
	for _f in "$T"/c/*; do
		_tag=${_f##*/}.$_ks.$_to
		{ printf 'From: Sender <s@%s.example.test>\r\nX-Test: %s\r\n' \
		    "$_ks" "$_tag"; cat "$_f"; } |
		    "$INJECT" -C "$QC" -i -f a@example.test "$@" >/dev/null \
		    2>>"$T/inject.err" || fail "inject $_tag"
	done
}
nmsg=$(nfiles "$T/c")
for ks in rsa ed both; do
	for r in r@sink.test r@simple.test r@relaxed.test; do
		put $ks $r
	done
done
# one message, both peers: one signature (sink.test's settings) for both
put both r@sink.test r@simple.test
eq "inject: no complaint" "$(cat "$T/inject.err")" ""

# What was signed, before delivery: the spool copies by X-Test tag
mkdir "$T/signed"
for f in "$QS"/new/*; do
	message "$f" >"$T/m"
	tag=$(tr -d '\r' <"$T/m" | sed -n 's/^X-Test: //p' | head -n 1)
	mv "$T/m" "$T/signed/$tag"
done
eq "signed: every message in the spool" "$(nfiles "$T/signed")" \
    $((nmsg * 10))

# --- delivery -------------------------------------------------------
start_sink "$SINK" || { finish; exit; }
start_mx "$MX" --mbox "$T/mbox" || { finish; exit; }
qstart || { finish; exit; }
wait_queued 0 60 || fail "delivery: $(queued) messages still queued"
wait_until "[ \$(sink_count 25451) -ge $((nmsg * 4)) ]" 10
eq "smtp-sink: messages" "$(sink_count 25451)" $((nmsg * 4))
mx_wait 25452 messages $((nmsg * 7)) ||
    fail "mx.py: $(mx_stat 25452 messages) messages, want $((nmsg * 7))"
eq "journal: delivered" "$(jcount delivered)" $((nmsg * 11))
eq "journal: nothing else" "$(cat "$QS"/log/* | grep -vc '^delivered ')" 0
qstop

# --- what arrived ---------------------------------------------------
# got/PEER.TAG: the bytes received, smtp-sink's with CRLF line ends
mkdir "$T/got"
tagof() {
	tr -d '\r' <"$1" | sed -n 's/^X-Test: //p' | head -n 1
}
for f in "$SINK_DUMP"/*; do
	sed 's/$/\r/' "$f" >"$T/got/sink.$(tagof "$f")"
done
for f in "$T"/mbox/*.eml; do
	cp "$f" "$T/got/mx.$(tagof "$f")"
done
eq "received: every copy, by its tag" "$(nfiles "$T/got")" $((nmsg * 11))

# skip_trace FILE: the message without smtp-sink's fields above it (its
# X-Client-Addr... lines and its Received field) and without the empty
# lines it adds at the end (no canonicalization counts them)
skip_trace() {
	/usr/bin/python3 -c 'import re, sys
d = open(sys.argv[1], "rb").read()
d = re.sub(rb"^(X-[A-Za-z-]+: [^\r\n]*\r\n)+Received: [^\r\n]*\r\n"
           rb"\tby smtp-sink [^\r\n]*\r\n(\t[^\r\n]*\r\n)*", b"", d)
sys.stdout.buffer.write(re.sub(b"(\r\n)+$", b"\r\n", d))' "$1"
}
bad=
for f in "$T"/got/*; do
	name=${f##*/}
	tag=${name#*.}
	skip_trace "$f" >"$T/a"
	skip_trace "$T/signed/$tag" >"$T/b"
	cmp -s "$T/a" "$T/b" || bad="$bad $name"
	case $name in
	mx.*)	cmp -s "$f" "$T/signed/$tag" || bad="$bad $name(exact)" ;;
	esac
done
eq "the bytes received are the bytes signed" "$bad" ""

# expect FILE: the verifier's line for it: ok 1 (rsa, ed), ok 2 (both)
nsig() {
	case $1 in
	*.both.*)	echo 2 ;;
	*)		echo 1 ;;
	esac
}
out=$($VERIFY "$T/keys" "$T"/got/* 2>&1)
eq "dkimpy: verifies every copy" "$(echo "$out" | while read -r n r; do
	[ "$r" = "ok $(nsig "${n%:}")" ] || echo "$n $r"
done)" ""
eq "dkimpy: copies checked" "$(echo "$out" | grep -c ': ok [12]$')" \
    $((nmsg * 11))

# tags FILE TAG: the values of TAG in each signature
tags() {
	tr -d '\r' <"$1" | sed '/^$/q' | tr -d '\n\t ' |
	    sed 's/DKIM-Signature:/\n/g' |
	    sed -n "s/.*;$2=\([^;]*\);.*/\1/p; s/^$2=\([^;]*\);.*/\1/p" |
	    paste -sd' ' -
}
g=$T/got
eq "a=: RSA" "$(tags "$g/mx.plain.rsa.simple.test" a)" rsa-sha256
eq "a=: Ed25519" "$(tags "$g/mx.plain.ed.simple.test" a)" ed25519-sha256
eq "a=: both" "$(tags "$g/sink.plain.both.sink.test" a)" \
    "rsa-sha256 ed25519-sha256"
eq "c=: smtp-sink" "$(tags "$g/sink.dots.ed.sink.test" c)" relaxed/simple
eq "c=: simple.test" "$(tags "$g/mx.dots.ed.simple.test" c)" simple/simple
eq "c=: relaxed.test" "$(tags "$g/mx.dots.ed.relaxed.test" c)" \
    relaxed/relaxed
eq "c=: two peers, one signature" \
    "$(tags "$g/mx.dots.both.sink.test+simple.test" c)" \
    "relaxed/simple relaxed/simple"
eq "dots: the body arrived as written" "$(/usr/bin/python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
sys.stdout.write(repr(d[d.index(b"\r\n\r\n") + 4:]))' \
    "$g/mx.dots.rsa.simple.test")" \
    "b'.\\r\\n..two\\r\\n.leading\\r\\n. \\r\\n...\\r\\nend\\r\\n.\\r\\n'"
eq "8-bit: arrived as 8-bit" "$(grep -c "$(printf 'caf\351')" \
    "$g/mx.8bit.ed.relaxed.test")" 1
match "long lines: broken under 1000" "$(awk '{ n = length($0) }
    n > m { m = n } END { print m }' "$g/mx.long.rsa.simple.test")" "99[0-9]"

# opendkim -t, on each signature of each copy alone
$VERIFY -opendkim-keys "$T/keys" "$g"/* >"$T/od.keys"
printf 'TestPublicKeys %s\nMode v\nBackground No\nSyslog No\n' \
    "$T/od.keys" >"$T/od.conf"
opendkim_all() {	# opendkim_all FILE...: what did not say "succeeded"
	for _m in "$@"; do
		rm -rf "$T/split"
		mkdir "$T/split"
		$VERIFY -split "$T/split" "$T/keys" "$_m"
		_n=0
		for _s in "$T"/split/*.eml; do
			[ -f "$_s" ] || continue
			_n=$((_n + 1))
			_o=$(opendkim -x "$T/od.conf" -t "$_s" 2>&1)
			case $_o in
			*verification*succeeded*) ;;
			*) echo "${_m##*/}/${_s##*/}: $_o" ;;
			esac
		done
		[ $_n = "$(nsig "$_m")" ] || echo "${_m##*/}: $_n signatures"
	done
}
eq "opendkim: verifies every signature" "$(opendkim_all "$g"/*)" ""

# The checks can fail: one byte changed in a body, in a signed field.
mkdir "$T/bad"
sed 's/^Hello\./Hello!/' "$g/mx.plain.both.simple.test" \
    >"$T/bad/plain.both.x"
sed 's/^Subject: dots/Subject: Dots/' "$g/sink.dots.rsa.sink.test" \
    >"$T/bad/dots.rsa.x"
eq "tampered: dkimpy" "$($VERIFY "$T/keys" "$T"/bad/* | sed 's/:.*//' |
    tr '\n' ' ')" "dots.rsa.x plain.both.x "
eq "tampered: opendkim fails each signature" \
    "$(opendkim_all "$T"/bad/* | wc -l)" 3
finish
