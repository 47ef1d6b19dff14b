#!/usr/bin/env bash
# Runs the unit and package tests with the race detector and measures their
# coverage into results/coverage/ (MIMO_RESULTS_DIR overrides results/); the
# run fails when system/ is covered under the floor. When no Postgres is named
# by MIMO_TEST_POSTGRES_URL, starts a throwaway one (scripts/test-postgres.sh)
# if its binaries are installed, so the Postgres store is tested too. Under
# CI=true a missing Postgres fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ -z "${MIMO_TEST_POSTGRES_URL:-}" ]]; then
	# Without PGPORT, the first free port from 55432 on: another checkout's
	# test run may be using 55432, and its cluster must not be reused (and
	# stopped under it).
	if [[ -z "${PGPORT:-}" ]]; then
		for p in $(seq 55432 55531); do
			if port_free "$p"; then
				export PGPORT="$p"
				break
			fi
		done
	fi
	if url="$(./scripts/test-postgres.sh start)"; then
		export MIMO_TEST_POSTGRES_URL="$url"
		trap './scripts/test-postgres.sh stop >/dev/null 2>&1 || true' EXIT
		echo "test.sh: started a throwaway Postgres on port ${PGPORT:-55432} for the Postgres tests; it is removed at the end" >&2
	elif [[ "${CI:-}" == "true" ]]; then
		echo "test.sh: cannot start Postgres for the tests (install the postgresql package)" >&2
		exit 1
	else
		echo "test.sh: no Postgres found (install the postgresql package); the Postgres tests will be SKIPPED" >&2
	fi
else
	echo "test.sh: the Postgres tests use MIMO_TEST_POSTGRES_URL" >&2
fi
echo "test.sh: unit and package tests with -race and coverage; about 6 minutes on two cores" >&2

# The same run measures coverage (docs/COVERAGE.md): every test binary counts
# the statements of system/ and harness/ it runs (-coverpkg), and
# mimo-coverage merges the binaries' counts by block, writes the figures for
# the sign-off report and fails the run when system/ is under the floor. With
# arguments (say -run) the run is partial: the figures are written, the floor
# is not enforced.
covdir="${MIMO_RESULTS_DIR:-results}/coverage"
mkdir -p "$covdir"
rm -f "$covdir/coverage.out" "$covdir/coverage.json" "$covdir/unmerged.out"
check=-check=true
if (($#)); then
	check=-check=false
fi

# The scenario packages need Docker and run separately (make validate).
pkgs=$(go list ./... | grep -v '/scenarios/' || true)
status=0
go test -race -count=1 -timeout 20m -coverpkg=./system/...,./harness/... \
	-coverprofile="$covdir/unmerged.out" ${pkgs} "$@" || status=$?
if [[ ! -s "$covdir/unmerged.out" ]]; then
	echo "test.sh: go test wrote no cover profile" >&2
	exit $((status ? status : 1))
fi
cover=0
go run ./harness/cmd/mimo-coverage -profile "$covdir/unmerged.out" -merged "$covdir/coverage.out" \
	-json "$covdir/coverage.json" -floor 80 "$check" || cover=$?
rm -f "$covdir/unmerged.out"
if ((status)); then
	exit "$status"
fi
exit "$cover"
