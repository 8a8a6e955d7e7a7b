#!/bin/sh
# 04-inject-crash: 1,000 runs of mta-inject, single and batch, with one
# in six or so killed by SIGKILL at a random moment (lib/crash.py), while a
# watcher checks each file as it appears in new/.  Afterwards every id
# printed is a complete file in new/ holding its own message, no file was
# ever seen incomplete in new/, the dead left their stale files in tmp/
# only, mta-ctl show queue reads every file in new/, and the spool still
# takes messages.  Prints the counts: ids printed, files, kills.
. "$TOP/tests/integ/lib/common.sh"

newspool "$T/s" <<'EOF'
host-name mx.example.test
EOF
C=$T/s/mta.conf
S=$T/s/spool

# In the background, so that a test killed takes crash.py along, which
# then kills its own children.
timeout 80 /usr/bin/python3 "$TOP/tests/integ/lib/crash.py" "$INJECT" "$C" \
    "$S" 1000 "${SEED:-1}" >"$T/crash" 2>&1 &
pid=$!
saved=$on_exit
on_exit="kill $pid 2>/dev/null; wait $pid; $on_exit"
wait $pid
eq "crash.py: exit" "$?" 0
on_exit=$saved
grep '^FAIL' "$T/crash" | head -n 20
nbad=$(grep -c -v '^ids printed' "$T/crash")
eq "crash.py: failures" "$nbad" 0
summary=$(grep '^ids printed' "$T/crash")
echo "$summary"
# shellcheck disable=SC2046
set -- $(echo "$summary" | tr -cd '0-9 ')
printed=$1 innew=$2 intmp=$3 runs=$4 killed=$5
eq "runs" "$runs" 1000
match "many killed (10 or more)" "$killed" "[1-9][0-9]*"
match "ids printed" "$printed" "[1-9]*"
eq "no id lost" "$([ "$innew" -ge "$printed" ] && echo yes)" yes
eq "files in tmp/" "$(nfiles "$S/tmp")" "$intmp"
eq "files in new/" "$(nfiles "$S/new")" "$innew"

# mta-ctl reads every file in new/ (it reports the ones it cannot), each
# with its one recipient.
"$CTL" -C "$C" show queue >"$T/q" 2>&1
eq "show queue: exit" "$?" 0
eq "show queue: totals" "$(tail -n 2 "$T/q")" "$(printf \
    'total\t*\t%s\t0\t0\t0' "$innew")
messages: $innew new, 0 queued"

# The spool still works after all this.
printf 'Subject: after\n\nbody\n' >"$T/in"
"$INJECT" -C "$C" r@x.org <"$T/in" >"$T/out" 2>&1
eq "after: exit" "$?" 0
id=$(cat "$T/out")
eq "after: complete" "$(intact "$S/new/$id" 2>&1)" ok

finish
