#!/bin/sh
# 01-check-config: mta-ctl check-config on the acceptance set of
# ../shared/examples: the good files check clean (warnings aside), the
# broken one names each of its bad lines and exits 78 (EX_CONFIG).
ctl=$TOP/cmd/mta-ctl/mta-ctl
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {		# run ARGS: the output without warnings, then the exit code
	"$ctl" "$@" >"$out" 2>&1
	rc=$?
	grep -v '^Warning' "$out"
	echo "exit $rc"
}

cd "$TOP/../shared/examples" || exit 1
for f in production.conf minimal.conf pmta-syntax.conf; do
	run -C "$f" check-config
done
run -C broken.conf check-config
run -C "$TOP/etc/mta.conf" test config
run -C /nonexistent/mta.conf check-config
run -C broken.conf frobnicate | head -n 2
"$ctl" -C broken.conf frobnicate >/dev/null 2>&1
echo "exit $?"
