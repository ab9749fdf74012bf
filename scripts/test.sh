#!/usr/bin/env bash
# Runs every test of jwtguard: formatting, vet, the race-enabled test suite
# (attack suite, JWKS fault tests, adapter conformance, Redis store against a
# real redis-server), the bench module's own checks, and every example's
# -check mode. This is the command README.md gives; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# A real redis-server is needed by the Redis store tests.
if ! command -v redis-server >/dev/null 2>&1 && [ -x scripts/install-redis.sh ]; then
  bash scripts/install-redis.sh
fi

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then echo "gofmt needed on:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 ./...

echo "== memory bound of the token cache at full size (1,000,000 tokens; -race runs a reduced count)"
go test -count=1 -run '^TestCacheMemoryBound$' .

if [ -f bench/go.mod ]; then
  echo "== bench module (vet + one iteration of every benchmark)"
  (cd bench && go vet ./... && go test -count=1 -run . -bench . -benchtime 1x ./... >/dev/null)
fi

echo "== examples -check"
for dir in examples/*/; do
  [ -f "$dir/main.go" ] || continue
  echo "-- go run ./$dir -check"
  go run "./$dir" -check
done
echo "all tests passed"
