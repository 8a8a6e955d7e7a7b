#!/bin/sh
# run.sh - the whole test suite: unit tests, integration tests, man lint.
# Each part counts its cases; the last line sums them as "N passed, N failed".
# Run from the top of the tree (make check does).

top=$(pwd)
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {	# count NAME: add the "N passed, N failed" line in $log
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $1 (no result line)"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }; f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || { echo "FAIL $1"; sed 's/^/    /' "$log" | tail -n 40; }
}

echo "== unit tests"
for t in tests/unit/*_test; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	count "$t"
	echo "   $t: $(tail -n 1 "$log")"
done

echo "== integration tests"
for t in tests/integ/[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=${t%.sh}
	if [ -f "$name.out" ]; then
		env -i PATH="$PATH" HOME="$HOME" TOP="$top" SAN="${SAN:-}" \
		    sh "$t" >"$log.out" 2>"$log.err"
		rc=$?
		if [ $rc -eq 0 ] && diff -u "$name.out" "$log.out" >"$log.diff"
		then
			passed=$((passed + 1))
			echo "   ok $t"
		else
			failed=$((failed + 1))
			echo "FAIL $t (exit $rc)"
			sed 's/^/    /' "$log.diff" "$log.err" | head -n 60
		fi
		rm -f "$log.out" "$log.err" "$log.diff"
	else
		# A script without .out counts its own checks.
		t0=$(date +%s)
		env -i PATH="$PATH" HOME="$HOME" TOP="$top" SAN="${SAN:-}" \
		    sh "$t" >"$log" 2>&1
		count "$t"
		echo "   $t: $(grep -E '^[0-9]+ passed' "$log" | tail -n 1)" \
		    "($(($(date +%s) - t0)) s)"
	fi
done

echo "== man pages"
if command -v mandoc >/dev/null 2>&1; then
	for m in man/*.[1-8]; do
		[ -f "$m" ] || continue
		if mandoc -Tlint -Wwarning "$m" >"$log" 2>&1; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL mandoc $m"
			sed 's/^/    /' "$log"
		fi
	done
else
	echo "FAIL mandoc not installed"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
