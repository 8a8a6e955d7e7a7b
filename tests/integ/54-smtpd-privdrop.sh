#!/bin/sh
# 54-smtpd-privdrop: mta-smtpd started as root with -u nobody binds its
# listener and reads a root-only TLS key as root, then runs as nobody
# for good (every uid and gid, no other group), writes the spool as
# nobody, and after SIGHUP keeps the key it can no longer read while it
# still opens a new listener and takes mail, and keeps it when a reload
# is refused.  As root without -u it
# refuses to start unless the config says run-as-root yes.  Needs root
# and the user nobody: else it says "skip".
. "$TOP/tests/integ/lib/common.sh"
SMTPD=$TOP/cmd/mta-smtpd/mta-smtpd
P=2660		# ports 26600-26609

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 ||
    ! command -v setpriv >/dev/null; then
	echo "skip: 54-smtpd-privdrop needs root, the user nobody and setpriv"
	echo "0 passed, 0 failed (skipped)"
	exit 0
fi
# Under SAN=1 the leak check cannot ptrace a process that dropped root.
export ASAN_OPTIONS=detect_leaks=0
uid=$(id -u nobody)
gid=$(id -g nobody)

chmod 755 "$T"		# nobody reaches the spool and the config
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
    { fail "openssl: no certificate"; finish; exit 1; }
chmod 600 "$T/key.pem"
chmod 644 "$T/cert.pem"
newspool "$T/s" <<EOF
host-name mx.test
smtp-listener 127.0.0.1:${P}0
smtp-server-tls-certificate $T/cert.pem $T/key.pem
<source 127.0.0.1>
    always-allow-relaying yes
</source>
EOF
C=$T/s/mta.conf
S=$T/s/spool

# the key really is root's alone
setpriv --reuid=nobody --regid="$gid" --clear-groups cat "$T/key.pem" \
    >/dev/null 2>&1
eq "key unreadable to nobody" $? 1

# run EXPECTED_STATUS NAME ARGS...: mta-smtpd that must not start
refused() {
	want=$1 name=$2
	shift 2
	"$SMTPD" -C "$C" "$@" >"$T/out" 2>&1
	eq "$name: exit status" $? "$want"
}
refused 64 "root without -u"
match "root without -u: says why" "$(cat "$T/out")" \
    "*running as root: give -u user (or say run-as-root yes)*"
refused 67 "-u no such user" -u no-such-user.mta
refused 64 "-u root" -u root
# the spool is opened as the user: root's spool is refused
refused 75 "spool not the user's" -u nobody
match "spool not the user's: says why" "$(cat "$T/out")" \
    "*fatal: spool $S: Permission denied*"

chown -R nobody "$S"
: >"$T/log"
"$SMTPD" -C "$C" -u nobody 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; $on_exit"
# waitlog PATTERN: wait for a log line
waitlog() {
	i=0
	while ! grep -q "$1" "$T/log" && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q "$1" "$T/log"
}
waitlog "running as user nobody (uid $uid, gid $gid)"
eq "logs the drop" $? 0
waitlog "listening on 127.0.0.1:${P}0"
eq "listening" $? 0
eq "ps: user" "$(ps -o user= -p $pid)" nobody
eq "uids" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' /proc/$pid/status)" \
    "$uid $uid $uid $uid"
eq "gids" "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' /proc/$pid/status)" \
    "$gid $gid $gid $gid"
eq "groups" "$(awk '$1 == "Groups:" { print $2, $3 }' /proc/$pid/status)" \
    "$gid "
eq "no capabilities" "$(awk '$1 == "CapEff:" || $1 == "CapPrm:" { print $2 }' \
    /proc/$pid/status | sort -u)" 0000000000000000

# send PORT NAME: one message over STARTTLS; prints "250" or the error
send() {
	/usr/bin/python3 -B - "$1" "$2" <<'EOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
    s.starttls(context=ctx)
    s.ehlo("client.test")
    r = s.sendmail("a@client.test", ["b@example.test"],
                   "Subject: %s\r\n\r\nbody\r\n" % sys.argv[2])
    s.quit()
    print("250" if r == {} else r)
except Exception as e:
    print(type(e).__name__, e)
EOF
}
eq "mail over STARTTLS" "$(send ${P}0 first)" 250
eq "in new/" "$(nfiles "$S/new")" 1
eq "owned by nobody" "$(find "$S/new" -type f -user nobody | wc -l)" 1

# SIGHUP: the key is not readable any more; the one read as root stays,
# and a new listener (an unprivileged port) opens
sed -e "s/^smtp-listener .*/&\nsmtp-listener 127.0.0.1:${P}1/" \
    "$C" >"$T/new.conf"
cat "$T/new.conf" >"$C"
kill -HUP $pid
waitlog "reload: $C loaded"
eq "reload loaded" $? 0
match "reload keeps the root-only key" "$(cat "$T/log")" \
    "*reload: *Permission denied*keeping the certificate loaded as root*"
waitlog "listening on 127.0.0.1:${P}1"
eq "new listener" $? 0
eq "mail after reload" "$(send ${P}0 second)" 250
eq "mail on the new listener" "$(send ${P}1 third)" 250
eq "3 in new/" "$(find "$S/new" -type f -user nobody | wc -l)" 3
kill -0 $pid 2>/dev/null
eq "still running" $? 0
eq "still nobody" "$(ps -o user= -p $pid)" nobody

# SIGHUP with a list that does not load: refused, and the certificate
# read as root still serves (it was once freed with the refused config)
printf 'not an address\n' >"$T/bad.txt"
chmod 644 "$T/bad.txt"
cp "$C" "$T/good.conf"
{ cat "$T/good.conf"; printf '<address-list broken>\n'
  printf '    address-file %s\n</address-list>\n' "$T/bad.txt"
  printf '<source 127.0.0.2>\n    suppression-lists broken\n</source>\n'
} >"$C"
kill -HUP $pid
waitlog "reload: $C refused"
eq "reload with a broken list refused" $? 0
eq "STARTTLS after the refused reload" "$(send ${P}0 fifth)" 250
cp "$T/good.conf" "$C"

# run-as-root yes: root may stay root (tests and odd setups)
kill $pid
wait $pid
chown -R root "$S"
sed -e "s/^host-name .*/&\nrun-as-root yes/" -e "/:${P}1/d" "$T/new.conf" \
    >"$C"
"$SMTPD" -C "$C" 2>"$T/log" &
pid=$!
on_exit="kill $pid 2>/dev/null; $on_exit"
waitlog "listening on 127.0.0.1:${P}0"
eq "run-as-root yes: starts" $? 0
eq "run-as-root yes: root" "$(ps -o user= -p $pid)" root
eq "run-as-root yes: mail" "$(send ${P}0 fourth)" 250
kill $pid
wait $pid
eq "stops cleanly" $? 0
finish
