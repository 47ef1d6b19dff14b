#!/usr/bin/env bash
# Runs the unit and package tests with the race detector. When no Postgres is
# named by MIMO_TEST_POSTGRES_URL, starts a throwaway one (scripts/test-postgres.sh)
# if its binaries are installed, so the Postgres store is tested too. Under
# CI=true a missing Postgres fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${MIMO_TEST_POSTGRES_URL:-}" ]]; then
	if url="$(./scripts/test-postgres.sh start)"; then
		export MIMO_TEST_POSTGRES_URL="$url"
		trap './scripts/test-postgres.sh stop >/dev/null 2>&1 || true' EXIT
	elif [[ "${CI:-}" == "true" ]]; then
		echo "test.sh: cannot start Postgres for the tests (install the postgresql package)" >&2
		exit 1
	else
		echo "test.sh: no Postgres found; the Postgres tests will be skipped" >&2
	fi
fi

# The scenario packages need Docker and run separately (make validate).
pkgs=$(go list ./... | grep -v '/scenarios/' || true)
go test -race -count=1 -timeout 20m ${pkgs} "$@"
