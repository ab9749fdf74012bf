#!/usr/bin/env bash
# Runs every test of jwtguard: formatting, vet, the dependency rules, module
# hygiene (go mod tidy changes nothing, no replace directive in the library's
# go.mod, a package doc and an example in every public package), the
# race-enabled test suite (attack suite, JWKS fault tests, adapter
# conformance, Redis store against a real redis-server), the bench module's
# own checks, and every example's -check mode (an example that is a module of
# its own is vetted too). This is the command README.md gives; .ci/run and
# the hosted workflow (.github/workflows/ci.yml) call it.
#
# Servers: the Redis tests need redis-server. When it is missing, this script
# installs it with scripts/install-redis.sh where it can (root or sudo with
# apt-get). Where it cannot (macOS, Fedora, a non-root user), it prints a
# visible notice and runs everything else; the Redis tests then skip. In CI
# (CI=true) a missing server is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

notice() { printf '\n*** NOTICE: %s ***\n\n' "$*" >&2; }

# step prints a step's header; step_done first prints the previous step's
# duration on its own line, so a slow step is visible in the log.
step_started=
step_done() {
  if [ -n "$step_started" ]; then echo "   (done in $((SECONDS - step_started)) s)"; fi
  step_started=$SECONDS
}
step() {
  step_done
  echo "== $*"
}

# long runs a command that can be silent for minutes (go vet and go test
# compile every dependency on an empty build cache, several minutes on two
# cores; go test prints nothing until the root package's tests end) and
# prints a line every 30 s while it runs, so a slow step never looks like a
# hung one. The command's own output and exit status are kept.
long() {
  local start=$SECONDS pid ticker rc=0
  "$@" &
  pid=$!
  (
    while sleep 30 </dev/null >/dev/null 2>&1; do
      echo "   ... still running after $((SECONDS - start)) s: $*"
    done
  ) &
  ticker=$!
  wait "$pid" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$rc"
}

if ! command -v redis-server >/dev/null 2>&1; then
  if [ -x scripts/install-redis.sh ] && bash scripts/install-redis.sh; then
    :
  elif [ "${CI:-}" = true ]; then
    echo "redis-server is missing and could not be installed (CI=true: the Redis tests must run)" >&2
    exit 1
  else
    notice "redis-server is not installed and could not be installed here (needs apt-get as root or with sudo); the Redis store tests will be SKIPPED. Install redis-server to run them."
  fi
fi

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then echo "gofmt needed on:"; echo "$unformatted"; exit 1; fi

step "go vet ($(go list ./... | wc -l) packages and their tests)"
long go vet ./...

step "dependency rules"
# Nothing under internal/ imports the root package.
if go list -deps ./internal/... | grep -qx 'github.com/jwtguard/jwtguard'; then
  echo "an internal package imports the root package:"; go list -f '{{.ImportPath}}: {{join .Imports " "}}' ./internal/... | grep -w 'github.com/jwtguard/jwtguard$'
  exit 1
fi
# The library's packages never import an OpenTelemetry SDK, an exporter or a
# config-file library (the API only; SDK and exporters live in examples,
# tests and the gateway).
libs=$(go list ./... | grep -v -e '/examples/' -e '/internal/redistest' -e '/internal/providertest')
forbidden='go.opentelemetry.io/otel/sdk|go.opentelemetry.io/otel/exporters|go.opentelemetry.io/contrib/exporters|gopkg.in/yaml|sigs.k8s.io/yaml|github.com/spf13/viper|github.com/knadh/koanf|github.com/BurntSushi/toml|github.com/hashicorp/hcl'
for p in $libs; do
  bad=$(go list -deps "$p" | grep -E "^($forbidden)" || true)
  if [ -n "$bad" ]; then echo "$p imports forbidden packages:"; echo "$bad"; exit 1; fi
done
echo "ok: internal packages do not import the root; no library package imports an SDK, exporter or config library"
step_done # the next header is echoed as it is: its cap rises with the issues

echo "== exported names of the root package (at most 105, each name beyond the first 90 justified in CHANGELOG.md)"
go run scripts/exports.go -max 105

step "module hygiene: go mod tidy changes nothing (every module of the repository)"
# -diff prints what tidy would change and exits non-zero, leaving the files
# as they are. Every directory holding a go.mod is checked (today the root,
# bench/ and examples/observability/), so a nested module added later is
# covered.
for mod in $(find . -name go.mod -not -path '*/testdata/*' -not -path '*/vendor/*' | sort); do
  dir=$(dirname "$mod")
  if ! (cd "$dir" && go mod tidy -diff); then
    echo "go mod tidy would change $dir/go.mod or $dir/go.sum (diff above): run 'go mod tidy' in $dir and commit the result"
    exit 1
  fi
done
echo "ok: go.mod and go.sum are tidy"

step "module hygiene: no replace directive in the library's go.mod"
# A replace directive is ignored for everyone who requires the module, so
# the library would build differently here than for its users. (bench/ is
# its own module and replaces the library with ../ on purpose.)
if ! go mod edit -json | grep -q '"Replace": null'; then
  echo "go.mod has a replace directive:"; go mod edit -print | grep -E '^replace|=>'
  exit 1
fi
echo "ok: no replace directive"

step "package docs and examples (every public package)"
go run scripts/pkgdocs.go

step "go test -race"
long go test -race -count=1 ./...

step "memory bound of the token cache at full size (1,000,000 tokens; -race runs a reduced count)"
long go test -count=1 -run '^TestCacheMemoryBound$' .

step "memory bound of the throttle's memory store (1,000,000 client keys; -race runs a reduced count)"
long go test -count=1 -run '^TestMemoryStoreBound$' ./throttle

if [ -f bench/go.mod ]; then
  step "bench module (vet + one iteration of every benchmark)"
  (cd bench && long go vet ./... && long go test -count=1 -run . -bench . -benchtime 1x ./... >/dev/null)
fi

step "examples -check"
# An example with its own go.mod (examples/observability: the OpenTelemetry
# SDK and Prometheus exporter stay out of the library's go.mod) is a nested
# module: the root's go vet ./... does not enter it and go run cannot build
# it from here, so it is vetted and run from its own directory.
for dir in examples/*/; do
  dir=${dir%/}
  [ -f "$dir/main.go" ] || continue
  if [ -f "$dir/go.mod" ]; then
    echo "-- (cd $dir && go vet ./... && go run . -check)"
    (cd "$dir" && long go vet ./... && long go run . -check)
  else
    echo "-- go run ./$dir -check"
    long go run "./$dir" -check
  fi
done
echo "   (done in $((SECONDS - step_started)) s)"
echo "all tests passed in $SECONDS s"
