#!/bin/sh
# Runs every fuzz target of the module for ${FUZZTIME:-20s} each, one at a
# time with one worker (-parallel 1), as .ci/run does. Targets are found by
# their "func FuzzXxx(" declarations, so new ones are picked up.
#
#   FUZZTIME=10m scripts/fuzz-smoke.sh     # a real campaign
#
# New crashers are written to testdata/fuzz/<FuzzName>/ by go test; commit
# them as regression seeds once fixed.
set -eu
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-20s}
failed=""
count=0
for dir in $(go list -f '{{.Dir}}' ./...); do
	targets=$(cat "$dir"/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p')
	[ -n "$targets" ] || continue
	for t in $targets; do
		count=$((count + 1))
		rel=${dir#"$PWD"}
		echo "=== fuzz $t in .$rel for $FUZZTIME"
		if ! (cd "$dir" && go test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 100x -parallel 1 .); then
			failed="$failed $t"
		fi
	done
done
if [ "$count" -eq 0 ]; then
	echo "fuzz-smoke: no fuzz targets found" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "fuzz-smoke: FAILED:$failed" >&2
	exit 1
fi
echo "fuzz-smoke: $count targets passed ($FUZZTIME each)"
