#!/bin/sh
# Runs every benchmark of the bench module in one go and prints the
# markdown tables (median of COUNT runs, ratios to the minimal floor and to
# the fastest peer, goal checks). The raw `go test -bench` output goes to
# stderr. About 20 minutes with the defaults on 2 cores.
#
#   ./run.sh > results.md             COUNT=5 BENCHTIME=2s ./run.sh
#   ./run.sh -bench 'Verify/RS256'    (any benchtable flag)
set -eu
cd "$(dirname "$0")"
exec go run ./cmd/benchtable -count "${COUNT:-3}" -benchtime "${BENCHTIME:-1s}" "$@"
