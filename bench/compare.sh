#!/usr/bin/env bash
# Compares jwtguard's own benchmarks between two commits in one run, as our
# performance issues require: the bench module is built at OLD and at NEW
# (each against that commit's library, through the module's
# `replace github.com/jwtguard/jwtguard => ../`), the two test binaries run
# interleaved COUNT times (old, new, old, new, ...) so machine noise hits
# both alike, and benchstat compares them. Exits 1 when a row of a gated
# unit (sec/op, allocs/op) got worse by more than THRESHOLD percent at
# p < ALPHA.
#
#   bench/compare.sh OLD NEW [bench-regexp]
#
#   OLD, NEW   any commit-ish (HEAD~1, v1.2.0, a branch, a hash); NEW may be
#              the literal WORKTREE: the working tree of this repository as
#              it is, uncommitted changes included.
#   regexp     a `go test -bench` pattern; default: jwtguard's own Verify,
#              cold and warm, every algorithm:
#              ^BenchmarkVerify$/./^jwtguard_Verify_(cold|warm)$
#
# Environment (defaults in brackets):
#   COUNT [10]  BENCHTIME [1s]  THRESHOLD [3] (percent)  ALPHA [0.05]
#   UNITS ["sec/op allocs/op"]  units a regression fails the run in
#   OUT [bench/compare-out]     old.txt, new.txt, benchstat.txt, regressions.txt
#   BENCHSTAT                   a benchstat command to use instead of the pinned one
#
# Exit status: 0 no significant regression, 1 regression, 2 usage or
# build/run error.
#
#   bench/compare.sh HEAD~1 HEAD
#   COUNT=2 BENCHTIME=100ms bench/compare.sh main WORKTREE '^BenchmarkVerify$/RS256/^jwtguard'
set -euo pipefail

# golang.org/x/perf has no tagged releases; this pseudo-version builds with
# Go 1.26.8.
BENCHSTAT_PKG=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
DEFAULT_REGEXP='^BenchmarkVerify$/./^jwtguard_Verify_(cold|warm)$'

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "$0" >&2
	exit 2
}
die() {
	echo "compare.sh: $*" >&2
	exit 2
}

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then usage; fi
old_ref=$1
new_ref=$2
regexp=${3:-$DEFAULT_REGEXP}
count=${COUNT:-10}
benchtime=${BENCHTIME:-1s}
threshold=${THRESHOLD:-3}
alpha=${ALPHA:-0.05}
units=${UNITS:-sec/op allocs/op}

case $count in '' | *[!0-9]* | 0) die "COUNT must be a positive integer, not '$count'" ;; esac
awk -v t="$threshold" -v a="$alpha" 'BEGIN { exit !(t ~ /^[0-9]+(\.[0-9]+)?$/ && a ~ /^0?\.[0-9]+$/) }' ||
	die "THRESHOLD must be a number of percent and ALPHA a fraction (got '$threshold', '$alpha')"

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$script_dir" rev-parse --show-toplevel) || die "not inside a git repository"
out=${OUT:-$repo/bench/compare-out}

resolve() { # commit-ish -> full hash
	git -C "$repo" rev-parse --verify --quiet "$1^{commit}" || die "unknown commit: $1"
}
old_hash=$(resolve "$old_ref")
if [ "$new_ref" = WORKTREE ]; then
	new_hash="$(git -C "$repo" rev-parse HEAD) (working tree"
	if [ -n "$(git -C "$repo" status --porcelain --untracked-files=normal)" ]; then
		new_hash="$new_hash, with uncommitted changes)"
	else
		new_hash="$new_hash, clean)"
	fi
else
	new_hash=$(resolve "$new_ref")
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jwtguard-compare.XXXXXX")
worktrees=()
cleanup() {
	local wt
	for wt in ${worktrees[@]+"${worktrees[@]}"}; do
		git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1 || true
	done
	git -C "$repo" worktree prune >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

checkout() { # directory commit: a detached worktree, removed on exit
	worktrees+=("$1")
	git -C "$repo" worktree add --detach --quiet "$1" "$2" || die "git worktree add $2 failed"
}
old_dir=$tmp/old
checkout "$old_dir" "$old_hash"
if [ "$new_ref" = WORKTREE ]; then
	new_dir=$repo # built once, below, so later edits do not reach the binary
else
	new_dir=$tmp/new
	checkout "$new_dir" "$new_hash"
fi

echo "old: $old_ref = $old_hash"
echo "new: $new_ref = $new_hash"
echo "go:  $(go version)"
echo "regexp: $regexp   count: $count   benchtime: $benchtime   gate: > +$threshold% at p < $alpha in $units"
echo

build() { # name directory
	[ -f "$2/bench/go.mod" ] || die "$1 ($2) has no bench module"
	echo "building the $1 bench binary ..." >&2
	(cd "$2/bench" && go test -c -o "$tmp/$1.test" .) || die "building the $1 bench module failed"
}
build old "$old_dir"
build new "$new_dir"

if [ -z "${BENCHSTAT:-}" ]; then
	echo "building benchstat ..." >&2
	(cd "$tmp" && GOBIN=$tmp GOFLAGS='' go install "$BENCHSTAT_PKG") || die "building $BENCHSTAT_PKG failed"
	BENCHSTAT=$tmp/benchstat
fi

mkdir -p "$out"
rm -f "$out/old.txt" "$out/new.txt" "$out/benchstat.txt" "$out/regressions.txt"

run() { # name directory
	# go test runs a test binary in its package directory; so do we.
	(cd "$2/bench" && "$tmp/$1.test" -test.run '^$' -test.bench "$regexp" -test.benchmem \
		-test.count 1 -test.benchtime "$benchtime") >>"$out/$1.txt" ||
		die "the $1 benchmarks failed (see $out/$1.txt)"
}
for i in $(seq 1 "$count"); do
	echo "run $i/$count: old ..." >&2
	run old "$old_dir"
	echo "run $i/$count: new ..." >&2
	run new "$new_dir"
done
for f in old new; do
	grep -q '^Benchmark.*ns/op' "$out/$f.txt" || die "no benchmark matched '$regexp' at $f (see $out/$f.txt)"
done

# Labels "old" and "new" name benchstat's columns; the files stay where they are.
(cd "$out" && $BENCHSTAT -alpha "$alpha" old.txt new.txt) >"$out/benchstat.txt" || die "benchstat failed"
echo
cat "$out/benchstat.txt"
echo

# Benchstat's text output: a table per unit whose header row carries
# "<unit> vs base"; a row per benchmark ending in "<delta> (p=<p> n=<n>)"
# where delta is "~" when the difference is not significant, else a signed
# percentage ("+3.21%", "-0.50%"), or "?" when one side is 0 (then the
# medians, "<value> ± <spread>", tell 0 -> 1 allocs/op from 1 -> 0); maybe
# followed by footnote marks. Rows without "(p=" (geomean, footnotes) are
# skipped. Benchmark names hold no blanks (go test turns them into
# underscores).
awk -v threshold="$threshold" -v alpha="$alpha" -v units=" $units " '
	/ vs base/ {
		unit = ""
		for (i = 2; i <= NF; i++) if ($i == "vs" && $(i + 1) == "base") unit = $(i - 1)
		next
	}
	unit == "" || index(units, " " unit " ") == 0 { next }
	{
		for (i = 3; i <= NF; i++) {
			if ($i !~ /^\(p=/) continue
			p = $i; sub(/^\(p=/, "", p); sub(/\)$/, "", p)
			d = $(i - 1)
			if (p + 0 >= alpha + 0) break
			if (d == "?") {                     # no ratio: one side is 0
				n = 0
				for (j = 3; j < i; j++) if ($j == "±") v[++n] = $(j - 1)
				if (n >= 2 && v[1] + 0 == 0 && v[2] + 0 != 0)
					printf "%-60s %-10s %s -> %s (p=%s)\n", $1, unit, v[1], v[2], p
				break
			}
			if (d !~ /^\+/) break               # "~" or an improvement
			pct = d; sub(/^\+/, "", pct); sub(/%$/, "", pct)
			if (pct ~ /^[Ii]nf/ || pct + 0 > threshold + 0)
				printf "%-60s %-10s %s (p=%s)\n", $1, unit, d, p
			break
		}
	}' "$out/benchstat.txt" >"$out/regressions.txt"

if [ -s "$out/regressions.txt" ]; then
	echo "REGRESSION: worse by more than $threshold% at p < $alpha:"
	cat "$out/regressions.txt"
	echo "(results in $out)"
	exit 1
fi
echo "OK: no regression beyond $threshold% at p < $alpha in $units (results in $out)"
