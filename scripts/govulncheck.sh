#!/bin/sh
# Supply-chain check: govulncheck (pinned, builds with Go 1.26) over ./... with
# -test (test files too: the bench module is tests only) of
# every Go module in this repository (each directory holding a go.mod), so the
# scan cannot be narrowed by adding a module.
#
# Which vulnerability database, in order of preference:
#   1. GOVULNDB, when set (a mirror: https://... or file:///...);
#   2. the public database https://vuln.go.dev, when it answers;
#   3. the snapshot in ../shared/vulndb (or VULNDB_SNAPSHOT_DIR), unpacked by
#      its own govulndb script, for machines that cannot reach the public one.
# The output names the database and its date. With no database at all the
# script fails in CI (CI=true) and prints a loud SKIPPED notice elsewhere.
#
# A vulnerability that the code calls fails the run (govulncheck exits 3).
# Vulnerabilities in required modules that the code does not call are listed
# (-show verbose) but do not fail it.
set -u
cd "$(dirname "$0")/.."
VERSION=v1.9.0
PUBLIC=https://vuln.go.dev
snapshot_dir=${VULNDB_SNAPSHOT_DIR:-../shared/vulndb}

db=${GOVULNDB:-}
label=""
if [ -n "$db" ]; then
	label="GOVULNDB=$db"
elif command -v curl >/dev/null 2>&1 && idx=$(curl -fsS --max-time 10 "$PUBLIC/index/db.json" 2>/dev/null); then
	db=$PUBLIC
	label="public database $PUBLIC"
elif [ -x "$snapshot_dir/govulndb" ] && db=$("$snapshot_dir/govulndb"); then
	snap=$(ls "$snapshot_dir"/go-vulndb-*.tar.gz 2>/dev/null | head -n 1)
	label="snapshot $(basename "${snap:-$snapshot_dir}") ($db): the public database cannot be reached from this machine"
else
	if [ "${CI:-}" = true ] || [ "${GOVULNCHECK_STRICT:-0}" = 1 ]; then
		echo "govulncheck: FAILED: no vulnerability database: $PUBLIC cannot be reached and there is no snapshot in $snapshot_dir (set GOVULNDB)" >&2
		exit 1
	fi
	echo "govulncheck: SKIPPED: no vulnerability database: $PUBLIC cannot be reached and there is no snapshot in $snapshot_dir; set GOVULNDB to a mirror" >&2
	exit 0
fi
# The date the database says it was last modified (the snapshot's index has
# none, its file name carries the date instead).
modified=$(printf '%s' "${idx:-}" | sed -n 's/.*"modified":"\([0-9-]*\)T.*/\1/p')
case "$db" in file://*)
	modified=$(sed -n 's/.*"modified":"\([0-9-]*\)T.*/\1/p' "${db#file://}/index/db.json" 2>/dev/null) ;;
esac
[ "$modified" = 0001-01-01 ] && modified=""
echo "govulncheck $VERSION: database: $label${modified:+, modified $modified}"

status=0
for mod in $(find . -name go.mod -not -path '*/testdata/*' -not -path '*/vendor/*' | sort); do
	dir=$(dirname "$mod")
	echo "== govulncheck $dir (./...)"
	(cd "$dir" && go run "golang.org/x/vuln/cmd/govulncheck@$VERSION" -db "$db" -test -show verbose ./...)
	rc=$?
	case "$rc" in
	0) ;;
	3) echo "govulncheck: FAILED: $dir calls a vulnerable symbol (see above)" >&2; status=1 ;;
	*) echo "govulncheck: FAILED: govulncheck exited $rc in $dir" >&2; status=1 ;;
	esac
done
[ "$status" -eq 0 ] && echo "govulncheck: no vulnerability that the code calls, in any module"
exit "$status"
