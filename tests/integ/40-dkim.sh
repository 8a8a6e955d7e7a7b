#!/bin/sh
# 40-dkim: messages signed by mta-inject, taken out of the spool file and
# verified by two independent verifiers, python3-dkim (every signature)
# and opendkim -t (each signature alone), in the three canonicalizations;
# over a corpus made to stress canonicalization and over the bounce
# corpus.  Then which key signs (From domain, "*", virtual MTA, dkim-sign
# no, <dkim> blocks), h= with From over-signed, x=, i=, and the failures:
# an unreadable key fails the injection (75, nothing left) and a key
# others may read draws a warning.
. "$TOP/tests/integ/lib/common.sh"

CORPUS=${CORPUS:-$TOP/../shared/corpus}
VERIFY="/usr/bin/python3 $TOP/tests/integ/dkim/verify.py"
KEYGEN=$TOP/cmd/mta-dkimkey/mta-dkimkey
for f in "$CORPUS/bounces/eml" /usr/bin/python3 /usr/sbin/opendkim; do
	[ -e "$f" ] || { fail "missing $f"; finish; exit; }
done

# --- keys: RSA and Ed25519, made by mta-dkimkey --------------------------
mkdir "$T/k"
"$KEYGEN" -s r1 -d example.test -o "$T/k" >/dev/null &&
"$KEYGEN" -t ed25519 -s e1 -d example.test -o "$T/k" >/dev/null &&
"$KEYGEN" -b 1024 -s v1 -d vm.example.test -o "$T/k" >/dev/null ||
    fail "mta-dkimkey"
# KEYS for the verifiers: each record's text without the zone syntax,
# and r1 and e1 once more for any domain (the "*" keys)
for s in r1 e1 v1; do
	f=$(echo "$T"/k/$s.*.txt)
	printf '%s %s\n' "$(cut -d' ' -f1 "$f" | sed 's/\.$//')" \
	    "$(sed 's/^[^(]*( //; s/ )$//; s/" "//g; s/"//g' "$f")"
done >"$T/keys"
sed -n 's/^\([re]1\)\._domainkey\.example\.test /\1._domainkey.* /p' \
    "$T/keys" >>"$T/keys"

# --- the stress corpus ---------------------------------------------------
mkdir "$T/c"
hdr='From: Sender <s@example.test>\r\nTo: r@dest.test\r\nSubject: t\r\n'
printf "$hdr"'Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nplain\r\n' \
    >"$T/c/plain"
printf "${hdr}"'X: y\r\n\r\n' >"$T/c/empty-body"
printf "${hdr}"'\r\nno final line end' >"$T/c/no-final-crlf"
printf "${hdr}"'\r\ntrailing  \t \r\nspaces\t\r\n\r\n\r\n \r\n' \
    >"$T/c/trailing-ws"
printf 'From: s@example.test\r\nTo: a@dest.test,\r\n\tb@dest.test\r\n'\
'Subject: folded\r\n  twice\r\n\t and tabs\r\nTo: second@dest.test\r\n'\
'Subject: again\r\nsubject: lower case\t\r\n\r\nbody\r\n' >"$T/c/folded-dup"
# Spaces after the colon: opendkim -t loses them (it re-reads fields as
# a milter gets them), so it fails simple header canonicalization here,
# dkimpy's own signatures too; only dkimpy checks this one under simple.
printf 'From: s@example.test\r\nSubject:   three\r\n\r\nx\r\n' >"$T/c/colon-spaces"
printf 'From: =?UTF-8?B?w4lsaXNl?= <s@example.test>\r\nTo: r@dest.test\r\n'\
'Subject: \303\251t\303\251 \342\202\254 \360\237\230\200\r\n'\
'X-Raw: caf\303\251  na\303\257ve\r\n\r\n\303\251t\303\251\r\n' >"$T/c/utf8"
{ printf "${hdr}"'X-Long: %s\r\n\r\n' "$(rep x 2000)"
  printf '%s\r\n%s\r\n' "$(rep y 3000)" "$(rep 'a ' 700)"; } >"$T/c/long"
printf "${hdr}"'\r\n.\r\n..two\r\n.leading\r\n. \r\nend\r\n.' >"$T/c/dots"
printf "${hdr}"'\n\nlf only\nlines\n' >"$T/c/lf"
printf "${hdr}"'\r\nmixed\rcr\nlf\r\n\t\r\n' >"$T/c/mixed"
printf 'From: s@example.test\r\nTo: r@dest.test\r\nMIME-Version: 1.0\r\n'\
'Content-Type: multipart/alternative; boundary="b"\r\n'\
'List-Unsubscribe: <mailto:u@example.test>\r\n'\
'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n--b\r\n'\
'Content-Type: text/plain\r\n\r\nhi \r\n--b--\r\n' >"$T/c/mime"

# sign CONF DIR FILES...: inject each file, keep the spool copy as
# DIR/NAME (the message bytes after the envelope)
sign() {
	_conf=$1 _dir=$2
	shift 2
	mkdir -p "$_dir"
	for _f in "$@"; do
		_id=$("$INJECT" -C "$_conf" -i -f a@example.test r@dest.test \
		    <"$_f" 2>>"$T/inject.err") || {
			fail "inject ${_f##*/}: $(tail -n 1 "$T/inject.err")"
			continue
		}
		message "$(dirname "$_conf")/spool/new/$_id" >"$_dir/${_f##*/}"
	done
}

# opendkim_all DIR: opendkim -t on each signature of each message alone;
# prints the lines that do not say "succeeded"
opendkim_all() {
	$VERIFY -opendkim-keys "$T/keys" "$1"/* >"$T/od.keys"
	printf 'TestPublicKeys %s\nMode v\nBackground No\nSyslog No\n' \
	    "$T/od.keys" >"$T/od.conf"
	for _m in "$1"/*; do
		case $_m in
		*/simple-*/colon-spaces)	continue ;;
		esac
		rm -rf "$T/split"
		mkdir "$T/split"
		$VERIFY -split "$T/split" "$T/keys" "$_m"
		for _s in "$T"/split/*.eml; do
			[ -f "$_s" ] || { echo "${_m##*/}: not signed"; continue; }
			_o=$(opendkim -x "$T/od.conf" -t "$_s" 2>&1)
			case $_o in
			*verification*succeeded*) ;;
			*) echo "${_m##*/}/${_s##*/}: $_o" ;;
			esac
		done
	done
}

# verified NAME DIR NSIG: every message of DIR has NSIG signatures (a
# grep pattern) and both verifiers accept them all
verified() {
	_out=$($VERIFY "$T/keys" "$2"/* 2>&1)
	eq "$1: dkimpy" "$(echo "$_out" | grep -v ": ok $3\$")" ""
	eq "$1: opendkim" "$(opendkim_all "$2")" ""
}

for canon in relaxed/simple simple/simple relaxed/relaxed; do
	h=${canon%/*} b=${canon#*/}
	d=$T/$h-$b
	newspool "$d" <<EOF
domain-key r1,example.test,$T/k/r1.example.test.pem
domain-key e1,example.test,$T/k/e1.example.test.pem
domain-key r1,*,$T/k/r1.example.test.pem
domain-key e1,*,$T/k/e1.example.test.pem
<domain *>
    dkim-sign yes
    dkim-headers-canon $h
    $([ "$canon" = relaxed/simple ] || echo "dkim-body-canon $b")
</domain>
EOF
	: >"$T/inject.err"
	sign "$d/mta.conf" "$d/out" "$T"/c/*
	verified "$canon stress" "$d/out" 2
	eq "$canon: c=" "$(grep -c "c=$canon;" "$d/out/plain")" 2
	eq "$canon: inject stderr" "$(cat "$T/inject.err")" ""
done

# The bounce corpus (CRLF, LF and CR files): every sixth file with one
# From field, signed by the "*" keys for its From domain.  Under the
# sanitizers every twelfth: the verifiers' time, not the signer's,
# is what a larger sample costs there.
step=6 least=60
[ -n "${SAN:-}" ] && step=12 least=30
files=$(ls "$CORPUS"/bounces/eml/* "$CORPUS"/bounces/dos/* \
    "$CORPUS"/bounces/mac/* | awk -v step=$step 'NR % step == 0')
picked=
for f in $files; do
	[ "$(tr '\r' '\n' <"$f" | sed '/^$/q' | grep -ci '^from:')" = 1 ] &&
	    picked="$picked $f"
done
: >"$T/inject.err"
# shellcheck disable=SC2086
sign "$T/relaxed-simple/mta.conf" "$T/bounces" $picked
# shellcheck disable=SC2086
sign "$T/relaxed-relaxed/mta.conf" "$T/bounces-rr" $picked
nsigned=0 ntotal=0
for m in "$T"/bounces/*; do
	ntotal=$((ntotal + 1))
	if grep -q '^DKIM-Signature:' "$m"; then
		nsigned=$((nsigned + 1))
	else
		rm "$m" "$T/bounces-rr/${m##*/}"
	fi
done
eq "bounces: at least $least, 90% signed ($nsigned of $ntotal)" \
    "$((nsigned * 10 >= ntotal * 9 && ntotal >= least))" 1
verified "bounces relaxed/simple" "$T/bounces" 2
verified "bounces relaxed/relaxed" "$T/bounces-rr" 2

# The verifiers can fail: a changed body, a changed signed header.
mkdir "$T/bad"
sed 's/^plain/plain!/' "$T/relaxed-simple/out/plain" >"$T/bad/body"
sed 's/^Subject: t/Subject: T!/' "$T/relaxed-simple/out/plain" >"$T/bad/subj"
eq "tampered: dkimpy" "$($VERIFY "$T/keys" "$T"/bad/* | sed 's/:.*//' |
    tr '\n' ' ')" "body subj "
eq "tampered: opendkim" "$(opendkim_all "$T/bad" | wc -l)" 4

# --- which key, which headers -----------------------------------------
tags() {	# tags FILE TAG: the values of TAG in each signature
	tr -d '\r' <"$1" | sed '/^$/q' | tr -d '\n\t ' |
	    sed 's/DKIM-Signature:/\n/g' |
	    sed -n "s/.*;$2=\([^;]*\);.*/\1/p; s/^$2=\([^;]*\);.*/\1/p" |
	    paste -sd' ' -
}
p=$T/relaxed-simple/out/plain
# (mta-inject added Message-ID, and Date where there was none)
eq "h= default" "$(tags "$p" h)" "$(printf '%s %s' \
    from:from:to:subject:date:message-id from:from:to:subject:date:message-id)"
hm=from:from:to:date:message-id:mime-version:content-type
hm=$hm:list-unsubscribe:list-unsubscribe-post
eq "h= mime" "$(tags "$T/relaxed-simple/out/mime" h)" "$hm $hm"
eq "algorithms" "$(tags "$p" a)" "rsa-sha256 ed25519-sha256"
eq "d= follows From" "$(tags "$p" d)" "example.test example.test"
eq "no l=" "$(tags "$p" l)" ""

# A virtual MTA's own keys first; dkim-sign no; no key for the domain;
# x=; a <dkim> block with its own header list and canonicalization.
newspool "$T/v" <<EOF
host-name mx.example.test
domain-key e1,example.test,$T/k/e1.example.test.pem
<virtual-mta vm>
    domain-key v1,vm.example.test,$T/k/v1.vm.example.test.pem
    domain-key r1,example.test,$T/k/r1.example.test.pem
</virtual-mta>
<domain *>
    dkim-sign yes
    dkim-expire-after 2d
    dkim-identity none
</domain>
<domain nosign.test>
    dkim-sign no
</domain>
<dkim>
    domain blk.example.test
    selector e1
    private-key-file $T/k/e1.example.test.pem
    header-list from:subject:from
    canonicalization simple/simple
</dkim>
EOF
V=$T/v/mta.conf
vsign() {	# vsign NAME FROM [inject args]: the signed copy in $T/vo/NAME
	_n=$1 _from=$2
	shift 2
	printf 'From: %s\r\nTo: r@dest.test\r\nSubject: s\r\n\r\nb\r\n' \
	    "$_from" >"$T/$_n.in"
	_id=$("$INJECT" -C "$V" -f a@example.test "$@" <"$T/$_n.in") ||
	    fail "inject $_n"
	mkdir -p "$T/vo"
	message "$T/v/spool/new/$_id" >"$T/vo/$_n"
}
vsign global s@example.test r@dest.test
vsign vmta s@example.test -V vm r@dest.test
vsign vmta-own s@vm.example.test -V vm r@dest.test
vsign nosign s@example.test r@nosign.test
vsign mixed s@example.test r@nosign.test r2@dest.test
vsign other s@elsewhere.test r@dest.test
vsign block s@blk.example.test r@dest.test
eq "global: one key" "$(tags "$T/vo/global" s)" "e1"
eq "vmta: its key, then the global one" "$(tags "$T/vo/vmta" s)" "r1 e1"
eq "vmta: own domain" "$(tags "$T/vo/vmta-own" s)" "v1"
eq "dkim-sign no" "$(grep -c DKIM-Signature "$T/vo/nosign")" 0
eq "one recipient's queue signs" "$(tags "$T/vo/mixed" s)" "e1"
eq "no key for the domain" "$(grep -c DKIM-Signature "$T/vo/other")" 0
eq "<dkim> block" "$(tags "$T/vo/block" s) $(tags "$T/vo/block" h) $(tags \
    "$T/vo/block" c)" "e1 from:subject:from simple/simple"
t=$(tags "$T/vo/global" t) x=$(tags "$T/vo/global" x)
eq "x= is t= + 2d" "$((x - t))" 172800
eq "i= none" "$(tags "$T/vo/global" i)" ""
rm "$T/vo/nosign" "$T/vo/other"
printf 'e1._domainkey.blk.example.test %s\n' \
    "$(sed -n 's/^e1\._domainkey\.example\.test //p' "$T/keys")" >>"$T/keys"
verified "virtual MTA keys" "$T/vo" "[12]"

# i= (dkim-identity sender-or-from, the default): Sender's address,
# because its domain lies inside d=
newspool "$T/i" <<EOF
domain-key e1,*,$T/k/e1.example.test.pem
<domain *>
    dkim-sign yes
</domain>
EOF
printf 'From: a@example.test\r\nSender: b@news.example.test\r\n\r\nx\r\n' \
    >"$T/i.in"
id=$("$INJECT" -C "$T/i/mta.conf" -f a@example.test r@dest.test <"$T/i.in")
message "$T/i/spool/new/$id" >"$T/i.out"
eq "i= Sender inside d=" "$(tags "$T/i.out" i)" "b@news.example.test"

# --- failures --------------------------------------------------------
newspool "$T/f" <<EOF
domain-key r9,example.test,$T/k/missing.pem
domain-key e1,*,$T/k/e1.example.test.pem
<domain *>
    dkim-sign yes
</domain>
EOF
printf 'From: s@example.test\r\n\r\nx\r\n' >"$T/f.in"
"$INJECT" -C "$T/f/mta.conf" -f a@example.test r@dest.test <"$T/f.in" \
    >"$T/out" 2>"$T/err"
eq "unreadable key: exit" $? 75
eq "unreadable key: error" "$(cat "$T/err")" "mta-inject: fatal: DKIM key \
for example.test (s=r9) cannot be used: $T/k/missing.pem: No such file or \
directory"
eq "unreadable key: nothing left" "$(nfiles "$T/f/spool/new" \
    "$T/f/spool/tmp")$(cat "$T/out")" 0
printf 'From: s@other.test\r\n\r\nx\r\n' >"$T/f2.in"
"$INJECT" -C "$T/f/mta.conf" -f a@example.test r@dest.test <"$T/f2.in" \
    >/dev/null 2>"$T/err"
eq "unreadable key of another domain: accepted" "$?$(cat "$T/err")" 0

chmod 644 "$T/k/e1.example.test.pem"
"$INJECT" -C "$T/f/mta.conf" -f a@example.test r@dest.test <"$T/f2.in" \
    >/dev/null 2>"$T/err"
eq "mode 0644: accepted, warned" "$?$(cat "$T/err")" "0mta-inject: \
warning: dkim key $T/k/e1.example.test.pem: mode 0644 lets others than its \
owner read it; make it 0600"
printf 'To: r@dest.test\r\n\r\nx\r\n' >"$T/f3.in"
"$INJECT" -C "$T/f/mta.conf" -f a@example.test r@dest.test <"$T/f3.in" \
    >/dev/null 2>"$T/err"
eq "no From: accepted unsigned" "$?$(cat "$T/err")" "0mta-inject: warning: \
not signed with DKIM: 0 From fields, no address with a domain"
finish
